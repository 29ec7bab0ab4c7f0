"""Page feet of a rendered issue: how many lines of the text block each page leaves empty, and why.

A page (but the last) may end more than two lines short only when what comes next cannot start
at its foot: a picture or table taller than the room (it goes to the next page; placement.py lets
the text after a picture flow up when it can), or a heading group — 【栏目】, 引题, 标题, 副题,
小标题 — which never ends a page and takes at least two lines of its text with it, so when the
group and those two lines are taller than the room, the page ends where it does. Whole sections
and whole articles are never kept together. Text rows come from pdfplumber's characters, so
the figures are what the PDF shows.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

from bulletin.source.load import load

from .gridcheck import BLOCK_BOTTOM, BLOCK_TOP, baseline_groups

MM = 72 / 25.4
BLOCK_LEFT = 28 * MM


@dataclass
class Row:
    baseline: float
    x0: float
    x1: float
    size: float
    font: str
    text: str
    kind: str = "body"  # "body" | "heading" | "byline"


@dataclass
class Page:
    number: int  # 1-based
    rows: list[Row]
    objects: list[tuple[float, float]]  # (top, bottom) of pictures and tables in the block
    last: bool = False
    colophon_top: float | None = None  # top of the 版记 rules, on the page that carries it
    room: float = 0.0  # empty lines at the foot (in line pitches)
    descent: float = 0.0  # how far a body line's box reaches below its baseline (pt)
    notes: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return re.sub(r"[\s|]", "", text)


def heading_texts(issue_dir: Path) -> list[str]:
    """The texts printed in heading groups: 栏目 names (in 【】), kickers, titles, subtitles and
    小标题 (without their numbers)."""
    issue = load(issue_dir).bulletin.issue
    texts = [f"【{s.name}】" for s in issue.sections]
    for article in issue.articles():
        texts += [_norm(t) for t in (article.kicker, article.title, article.subtitle) if t]
        texts += [_norm("".join(s.text for s in b.content)) for b in article.body if b.kind == "heading"]
    return [re.sub(r"[*_`]", "", t) for t in texts if t]


def _is_heading(text: str, headings: list[str]) -> bool:
    text = _norm(text)
    if len(text) < 2:
        return False
    for heading in headings:
        if text in heading:  # a line of a title that wraps
            return True
        if heading in text and len(text) <= len(heading) + 4:  # with its number (一、 （一） 1.)
            return True
    return False


def pages(path: Path, issue_dir: Path, pitch: float, bylines: list[str] = ()) -> list[Page]:
    headings = heading_texts(issue_dir)
    issue = load(issue_dir).bulletin.issue
    bylines = [f"（{a.byline}）" for a in issue.articles() if a.byline]
    out = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            groups = baseline_groups(page)
            # the 版记 (报送 block): its rules are the page-wide lines at the block's foot
            # (drawn as filled boxes, the lowest ending at the block's foot)
            wide = [r for r in page.lines + page.rects if r["x1"] - r["x0"] > 150 * MM and r["top"] > BLOCK_TOP + 20]
            colophon_top = min(float(r["top"]) for r in wide) \
                if any(abs(r["bottom"] - BLOCK_BOTTOM) < 1.5 for r in wide) else None
            rows = []
            for baseline, chars in sorted(groups.items()):
                if colophon_top is not None and baseline > colophon_top:
                    continue
                chars.sort(key=lambda c: c["x0"])
                size = Counter(round(c["size"], 1) for c in chars).most_common(1)[0][0]
                font = Counter(c["fontname"] for c in chars).most_common(1)[0][0]
                text = "".join(c["text"] for c in chars)
                row = Row(baseline, chars[0]["x0"], chars[-1]["x1"], size, font, text)
                if _is_heading(text, headings):
                    row.kind = "heading"
                elif any(_norm(text).endswith(_norm(b)) for b in bylines) and len(_norm(text)) <= max(
                        len(_norm(b)) for b in bylines):
                    row.kind = "byline"
                rows.append(row)
            # pictures and tables: images, and the tables' cell borders
            objects = [(float(i["top"]), float(i["bottom"])) for i in page.images if i["top"] < BLOCK_BOTTOM]
            cells = [r for r in page.rects + page.lines
                     if r["x1"] - r["x0"] < 150 * MM and BLOCK_TOP - 1 < r["top"] < BLOCK_BOTTOM]
            if cells:
                objects.append((min(float(r["top"]) for r in cells), max(float(r["bottom"]) for r in cells)))
            out.append(Page(number, rows, objects, colophon_top=colophon_top))
    out[-1].last = True
    sizes = Counter(r.size for p in out for r in p.rows if r.kind == "body")
    body_size = sizes.most_common(1)[0][0]
    for page in out:
        for row in page.rows:  # captions, table cells
            if row.kind == "body" and row.size != body_size:
                row.kind = "other"
    descent = _descent(out, pitch)
    for page in out:
        bottom = max([r.baseline + descent for r in page.rows] + [b for _t, b in page.objects] + [BLOCK_TOP])
        foot = page.colophon_top if page.colophon_top is not None else BLOCK_BOTTOM
        page.room = (foot - bottom) / pitch
        page.descent = descent
    return out


def _descent(all_pages: list[Page], pitch: float) -> float:
    """How far a body line's box reaches below its baseline: the pitch less the commonest baseline
    offset of the body rows within their line (pt)."""
    sizes = Counter(r.size for p in all_pages for r in p.rows if r.kind == "body")
    body = sizes.most_common(1)[0][0]
    offsets = Counter(round((r.baseline - BLOCK_TOP) % pitch, 1) for p in all_pages for r in p.rows
                      if r.size == body and r.kind == "body")
    return pitch - offsets.most_common(1)[0][0]


def is_paragraph_start(row: Row, size: float) -> bool:
    """A first line: indented two characters (a list item or 署名 line is not a body paragraph)."""
    return row.kind == "body" and abs(row.x0 - (BLOCK_LEFT + 2 * size)) < 0.6 * size


def foot_problems(all_pages: list[Page], pitch: float, body_size: float, allowed: float = 2.0) -> list[str]:
    """What is wrong at the page feet: a page (not the last) more than `allowed` lines short that
    was not forced; a heading as the last line of a page; a paragraph's single first line at a
    page foot (orphan) or its single last line at a page top (widow)."""
    problems = []
    for k, page in enumerate(all_pages[:-1]):
        nxt = all_pages[k + 1]
        text_rows = [r for r in page.rows]
        if text_rows and text_rows[-1].kind == "heading":
            problems.append(f"p{page.number}: ends with the heading {text_rows[-1].text!r}")
        if page.room > allowed + 0.3 and not _forced(page, nxt, pitch):
            problems.append(f"p{page.number}: {page.room:.1f} empty lines at the foot and nothing forces them")
        # orphan: the page's last row starts a paragraph whose next line is on the next page
        if text_rows and is_paragraph_start(text_rows[-1], body_size) and nxt.rows \
                and nxt.rows[0].kind == "body" and not is_paragraph_start(nxt.rows[0], body_size) \
                and not (nxt.objects and min(t for t, _b in nxt.objects) < nxt.rows[0].baseline):
            problems.append(f"p{page.number}: a paragraph's first line alone at the foot: {text_rows[-1].text!r}")
        # widow: the next page's first row ends a paragraph begun on this page
        if nxt.rows and nxt.rows[0].kind in ("body", "byline") and not is_paragraph_start(nxt.rows[0], body_size):
            after = nxt.rows[1] if len(nxt.rows) > 1 else None
            ends = after is None or after.kind == "heading" or is_paragraph_start(after, body_size) \
                or (nxt.objects and min(t for t, _b in nxt.objects) < after.baseline)
            ends_short = nxt.rows[0].x1 < BLOCK_LEFT + 156 * MM - 2 * body_size
            if ends and ends_short and nxt.rows[0].kind == "body" and text_rows and text_rows[-1].kind == "body":
                problems.append(f"p{nxt.number}: a paragraph's single last line at the top: {nxt.rows[0].text!r}")
    return problems


def _forced(page: Page, nxt: Page, pitch: float) -> bool:
    """Whether what heads the next page could not have started at this page's foot: a picture or
    table taller than the room, or a heading group with two lines of its text (with the group's
    gap above it, half a line at least), or — on the last page — the 版记 with the text it holds."""
    room = page.room * pitch
    if not nxt.rows and not nxt.objects:
        return False
    first_row = nxt.rows[0].baseline if nxt.rows else BLOCK_BOTTOM
    first_object = min((t for t, _b in nxt.objects), default=BLOCK_BOTTOM)
    if first_object < first_row:  # a picture or table heads the next page
        bottom = min(b for t, b in nxt.objects if t == first_object)
        return bottom - BLOCK_TOP > room
    if nxt.rows[0].kind != "heading":
        return False  # text continues: it would have filled the foot
    body = [r for r in nxt.rows if r.kind != "heading"]
    if len(body) < 2:
        return True
    need = body[1].baseline + nxt.descent - BLOCK_TOP
    if nxt.last and nxt.colophon_top is not None and len(body) <= 4:
        # a short last paragraph goes with the 版记 (the rules and all that is above them)
        need = max(need, BLOCK_BOTTOM - nxt.colophon_top + body[-1].baseline - BLOCK_TOP)
    return need + 0.5 * pitch > room + 0.5  # the least gap above a heading group is half a line
