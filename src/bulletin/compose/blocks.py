"""Article bodies as the template draws them.

Every block of an article gets a key (placement.block_key: article and block index), which the
template writes as `data-key` so placement.measure can find where it landed. Pictures get their
printed size (pictures.py), scaled as the placement plan says; a picture the plan defers is drawn
after the blocks that flow up before it, the last of them a paragraph split in two (`continues`:
its last line justified like any full line; `continued`: no first-line indent).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import tables
from ..model import Figure, FigureRow, Heading, ListBlock, Paragraph, Span, Table
from .pictures import PictureRules, PictureView, picture, picture_row
from .titles import Lexicon, break_title, font_metrics
from .placement import Outline, Plan, block_key

KINDS = {Paragraph: "paragraph", Heading: "heading", ListBlock: "list", Table: "table", Figure: "figure",
         FigureRow: "figures"}


class BlockView:
    """A model block with its key, extra classes and what else the template needs (`extra`);
    other attributes are the block's own."""

    def __init__(self, block, key: str, css_class: str = "", **extra):
        self.block, self.key, self.css_class = block, key, css_class
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self.block, name)


def split_spans(spans: list[Span], chars: int) -> tuple[list[Span], list[Span]]:
    """Spans cut after `chars` non-blank characters (blanks at the cut are dropped)."""
    first: list[Span] = []
    for i, span in enumerate(spans):
        count = sum(1 for ch in span.text if not ch.isspace())
        if count < chars:
            first.append(span)
            chars -= count
            continue
        at = seen = 0
        while at < len(span.text) and seen < chars:
            if not span.text[at].isspace():
                seen += 1
            at += 1
        head, tail = span.text[:at].rstrip(), span.text[at:].lstrip()
        if head:
            first.append(span.model_copy(update={"text": head}))
        rest = ([span.model_copy(update={"text": tail})] if tail else []) + list(spans[i + 1:])
        return first, rest
    return first, []


@dataclass(frozen=True)
class Measures:
    block_width: float  # pt
    grid: float  # one character of the grid, pt
    table_size: float  # pt
    fonts: dict
    pictures: PictureRules


def captioned(view: PictureView, measures: Measures, alone: bool) -> PictureView:
    """The caption broken into lines by words (titles.py) under its picture; a picture standing
    alone may have a caption wider than itself, up to the block's width."""
    if not view.caption:
        return view
    metrics = font_metrics((measures.fonts.get("kai") or (None,))[0])
    natural = sum(metrics.widths(view.caption)) * measures.table_size
    width = view.width or measures.block_width
    if alone:
        width = min(measures.block_width, max(width, natural + 1))
    view.box_width = width
    view.caption = break_title(view.caption, width / measures.table_size, Lexicon(), metrics)
    return view


def _views(article, index: int, folder: Path, measures: Measures, plan: Plan):
    block_width, grid, rules = measures.block_width, measures.grid, measures.pictures
    views, outline = [], []
    for b, block in enumerate(article.body):
        key = block_key(index, b)
        kind = KINDS.get(type(block), "other")
        height = None
        if isinstance(block, Figure):
            view = captioned(picture(block, key, folder, block_width, grid, rules).scaled(plan.factor(key)),
                             measures, alone=True)
            height = view.height
        elif isinstance(block, FigureRow):
            view = picture_row(block, key, folder, block_width, grid, rules).scaled(plan.factor(key))
            view.items = [captioned(p, measures, alone=False) for p in view.items]
            height = max((p.height or 0 for p in view.items), default=0) or None
        elif isinstance(block, Table):
            fitting = tables.fit(block, measures.table_size, block_width, measures.fonts)
            view = BlockView(block, key, "compact" if fitting.compact else "", fit_mode=fitting.mode)
        else:
            view = BlockView(block, key)
        views.append(view)
        outline.append((key, kind, height))
    for key, moved, chars in plan.defer:  # pictures that let the text after them flow up
        at = next((i for i, v in enumerate(views) if v.key == key), None)
        if at is None:
            continue
        picture_view = views[at]
        before = views[at + 1: at + 1 + moved]
        rest = views[at + 1 + moved:]
        if chars and rest and isinstance(getattr(rest[0], "block", None), Paragraph):
            head, tail = split_spans(rest[0].block.content, chars)
            if head and tail:
                before.append(BlockView(Paragraph(content=head), rest[0].key, "continues"))
                rest = [BlockView(Paragraph(content=tail), rest[0].key, "continued"), *rest[1:]]
        views = [*views[:at], *before, picture_view, *rest]
    return views, outline


def with_views(issue, folder: Path | None, measures: Measures, plan: Plan = Plan()):
    """The issue with each article's body as views, and the outline placement works on."""
    outline = Outline()
    counter = iter(range(10**9))

    def convert(article):
        views, keys = _views(article, next(counter), folder or Path("."), measures, plan)
        outline.articles.append(keys)
        return article.model_copy(update={"body": views})  # no validation: the views are for the template

    lead = [convert(a) for a in issue.lead]
    sections = [s.model_copy(update={"articles": [convert(a) for a in s.articles]}) for s in issue.sections]
    return issue.model_copy(update={"lead": lead, "sections": sections}), outline
