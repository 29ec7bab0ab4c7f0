"""Placing pictures so that no page foot is left empty (更多于两行的空白).

WeasyPrint, like a browser, moves a picture that does not fit at the foot of a page to the next
page and leaves the rest of the page empty (a landscape photo: ~47 mm; a portrait phone photo:
most of the page). Print practice fills the page instead. After each rendering, `measure` reads
where the pages end and where every picture, paragraph and other block of the issue landed;
`revise` then finds the first page whose foot is more than two lines empty because the picture
at the top of the next page did not fit, and changes the plan for that picture:

1. scale it down to fit the space, when that keeps at least `min_scale` (layout.yaml, 0.7) of its
   size and `min_height`;
2. otherwise let the text after it flow up: the paragraphs (and headings with their text) that
   follow it in its article fill the page foot, the last of them split between two lines (at
   least two lines on each side, as elsewhere), and the picture goes to the top of the next page,
   followed by the rest of that paragraph;
3. otherwise scale it down to fill the space as long as it keeps half its size and `min_height`.

The issue is rendered again with the new plan, until nothing changes (each picture is revised
once, so the number of renderings is bounded by the number of pictures plus one). Text never
moves out of its article, and nothing is left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

PX_TO_PT = 0.75
PICTURE_KINDS = ("figure", "figures")


def block_key(article: int, block: int) -> str:
    """The key of a block of the issue (article index in reading order, block index in its body)."""
    return f"a{article}b{block}"


@dataclass(frozen=True)
class Plan:
    """What placement changed: picture key → scale factor, picture key → (whole blocks moved
    before it, non-blank characters of the next paragraph moved with them)."""

    scale: tuple[tuple[str, float], ...] = ()
    defer: tuple[tuple[str, int, int], ...] = ()

    def factor(self, key: str) -> float:
        return dict(self.scale).get(key, 1.0)

    def deferral(self, key: str) -> tuple[int, int] | None:
        for k, blocks, chars in self.defer:
            if k == key:
                return blocks, chars
        return None

    def touched(self, key: str) -> bool:
        return key in dict(self.scale) or self.deferral(key) is not None

    def with_scale(self, key: str, factor: float) -> "Plan":
        return replace(self, scale=(*((k, f) for k, f in self.scale if k != key), (key, round(factor, 4))))

    def with_defer(self, key: str, blocks: int, chars: int) -> "Plan":
        return replace(self, defer=(*self.defer, (key, blocks, chars)))


@dataclass
class Rules:
    min_scale: float = 0.7
    min_height: float = 99.2  # pt (35 mm)
    empty_lines: int = 2  # more empty lines than this at a page foot is a hole


# ---------------------------------------------------------------- measuring (in the typesetting process)


def _classes(box) -> list[str]:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return []
    return (element.get("class") or "").split()


def _key(box) -> str | None:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return None
    return element.get("data-key")


def _chars(box) -> int:
    """Non-blank characters of the text in a line (footnotes are not in the line's text)."""
    from weasyprint.formatting_structure import boxes

    count = 0
    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.TextBox):
            count += sum(1 for ch in child.text if not ch.isspace())
        elif isinstance(child, boxes.InlineBox) and "distribution" not in _classes(child):
            count += _chars(child)
    return count


def _style_margin_top(box) -> float:
    """The box's own top margin in pt (a margin at a page top is dropped from the box itself)."""
    value = box.style["margin_top"]
    return value.value * PX_TO_PT if getattr(value, "unit", None) == "px" else 0.0


def measure(document) -> dict:
    """Where every page's text ends, and every keyed block's fragments, in pt (plain values)."""
    from weasyprint.formatting_structure import boxes

    pages, blocks = [], {}
    pitch = None
    footnote_page = None
    for number, page in enumerate(document.pages):
        page_box = page._page_box
        bottom = page_box.content_box_y() + page_box.height
        top = page_box.content_box_y()
        used, first = top, None
        for child in page_box.children:
            if isinstance(child, boxes.FootnoteAreaBox):
                if child.children:
                    bottom = min(bottom, child.position_y)
                    footnote_page = number
                continue
            if isinstance(child, boxes.MarginBox):
                continue
            if pitch is None and child.style["line_height"] != "normal":
                pitch = child.style["line_height"].value * PX_TO_PT
            stack = [child]
            while stack:
                box = stack.pop()
                key = _key(box)
                if isinstance(box, boxes.LineBox):
                    end = box.position_y + box.height
                    used = max(used, end)
                    first = box.position_y if first is None else min(first, box.position_y)
                elif isinstance(box, (boxes.BlockLevelBox, boxes.ReplacedBox)) and (
                        key is not None or isinstance(box, (boxes.ReplacedBox, boxes.TableBox))):
                    end = box.border_box_y() + box.border_height()
                    used = max(used, end)
                    first = box.border_box_y() if first is None else min(first, box.border_box_y())
                if key is not None and isinstance(box, boxes.BlockLevelBox) and not isinstance(box, boxes.TableBox):
                    lines = [[line.position_y * PX_TO_PT, (line.position_y + line.height) * PX_TO_PT, _chars(line)]
                             for line in box.children if isinstance(line, boxes.LineBox)]
                    blocks.setdefault(key, []).append({
                        "page": number, "top": box.border_box_y() * PX_TO_PT,
                        "bottom": (box.border_box_y() + box.border_height()) * PX_TO_PT,
                        "margin_top": box.margin_top * PX_TO_PT, "gap_before": _style_margin_top(box), "lines": lines})
                    if not isinstance(box, boxes.ParentBox) or "picture" in _classes(box) \
                            or "picture-row" in _classes(box):
                        continue
                stack.extend(reversed(getattr(box, "children", [])))
        pages.append({"top": top * PX_TO_PT, "bottom": bottom * PX_TO_PT, "used": used * PX_TO_PT,
                      "first": (first if first is not None else bottom) * PX_TO_PT, "empty": first is None})
    return {"pages": pages, "blocks": blocks, "pitch": pitch or 12.0, "footnote_page": footnote_page}


def colophon_placement(measured: dict) -> str:
    """For duplex printing (GB/T 9704 §7.5: 版记 on the last page, an even one): 'anchored' when the
    版记 already ends an even page; 'own-page' to move it to the foot of the next even page;
    'own-page-unnumbered' when that leaves a blank page before it (both are then unnumbered)."""
    page = measured.get("footnote_page")
    if page is None or (page + 1) % 2 == 0:
        return "anchored"
    return "own-page"


def blank_before_colophon(measured: dict) -> bool:
    """Whether the page before the one carrying the 版记 is empty (a blank page was put in)."""
    page = measured.get("footnote_page")
    return bool(page) and measured["pages"][page - 1].get("empty", False)


# ---------------------------------------------------------------- revising (in the caller)


@dataclass
class Outline:
    """The issue's blocks in each article, as compose keys them: [(key, kind, picture height pt)]."""

    articles: list[list[tuple[str, str, float | None]]] = field(default_factory=list)

    def find(self, key: str) -> tuple[int, int] | None:
        for a, blocks in enumerate(self.articles):
            for b, (k, _kind, _h) in enumerate(blocks):
                if k == key:
                    return a, b
        return None


def _height(fragments: list[dict]) -> float:
    return sum(f["bottom"] - f["top"] for f in fragments)


def _deferral(outline: Outline, a: int, b: int, blocks: dict, room: float, pitch: float) -> tuple[int, int] | None:
    """Whole blocks after picture (a, b) that fit in `room`, and the characters of the first two
    or more lines of the paragraph after them (keeping two on each side), or None."""
    following = outline.articles[a][b + 1:]
    moved, pending_heading = 0, False
    for key, kind, _h in following:
        fragments = blocks.get(key)
        if not fragments:
            break
        height = _height(fragments) + fragments[0]["margin_top"]
        if kind == "paragraph":
            lines = [line for f in fragments for line in f["lines"]]
            if height <= room + 0.5:
                moved, room, pending_heading = moved + 1, room - height, False
                continue
            line_height = (lines[0][1] - lines[0][0]) if lines else pitch
            fit = min(int((room - fragments[0]["margin_top"] + 0.5) // line_height), len(lines) - 2)
            if fit >= 2:  # two lines at least on each side of the picture
                return moved, sum(line[2] for line in lines[:fit])
            break
        if kind == "heading":
            if height + 2 * pitch > room + 0.5:
                break
            moved, room, pending_heading = moved + 1, room - height, True
            continue
        if kind == "list" and height <= room + 0.5:
            moved, room, pending_heading = moved + 1, room - height, False
            continue
        break
    if pending_heading:  # a heading never ends a page
        moved -= 1
    return (moved, 0) if moved > 0 else None


def revise(plan: Plan, measured: dict, outline: Outline, rules: Rules) -> Plan:
    """The plan with one more picture placed, or the same plan when no page foot needs it."""
    pages, blocks, pitch = measured["pages"], measured["blocks"], measured["pitch"]
    for k in range(len(pages) - 1):
        room = pages[k]["bottom"] - pages[k]["used"]
        if room <= rules.empty_lines * pitch + 0.5:
            continue
        nxt = pages[k + 1]
        for key, fragments in blocks.items():
            if fragments[0]["page"] != k + 1 or abs(fragments[0]["top"] - nxt["first"]) > 1.0:
                continue
            where = outline.find(key)
            if where is None:
                continue
            a, b = where
            _key, kind, image_height = outline.articles[a][b]
            if kind not in PICTURE_KINDS or plan.deferral(key) is not None:
                continue
            height = _height(fragments) + fragments[0]["gap_before"]
            if height <= room:
                continue  # it would have fitted: it moved for another reason
            scaled = key in dict(plan.scale)
            factor = (image_height - (height - room + 1.0)) / image_height if image_height else 0.0
            if not scaled and factor >= rules.min_scale and image_height * factor >= rules.min_height:
                return plan.with_scale(key, factor)
            deferral = _deferral(outline, a, b, blocks, room, pitch)
            if deferral is not None:
                return plan.with_defer(key, *deferral)
            if not scaled and factor >= 0.5 and image_height * factor >= rules.min_height:
                return plan.with_scale(key, factor)
    return plan
