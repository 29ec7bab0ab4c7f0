"""Tables: cells that wrap between words, widths from their content, and a check for tables wider
than the type area.

Chinese text may break between any two characters, so a browser gives a narrow table column one
character per line (“2023年完|成”, “十|一|月”). Here a short cell (up to SHORT_CELL characters in the
body, SHORT_HEADER in the header) never wraps, and a longer one wraps only between words of the
segmenter (titles.segment), so the narrowest a column can be is its longest word; the browser's
automatic table layout then gives the columns widths from their content. A row never splits
across pages (jianbao.css: tr { break-inside: avoid }).

When even that is wider than the block, the table is set one size smaller (五号, 10.5 pt) and, if
it still does not fit, may break anywhere; `check` reports such a table with its width and what to
do about it.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from ..errors import Problem
from ..model import Span, Table
from .titles import HAN, LATIN_RUN, Metrics, font_metrics, words

SHORT_CELL = 8  # characters: a body cell this short is never wrapped
SHORT_HEADER = 4  # a header cell this short neither; a longer one wraps between words (排查隐患|（处）)
MM = 72 / 25.4
CELL_PADDING = 2 * 1.5 * MM + 0.5  # jianbao.css: padding 0 1.5 mm, 0.5 pt rules
COMPACT_SIZE = 10.5  # 五号


def _plain(spans: list[Span]) -> str:
    return "".join(s.text for s in spans)


def _words(text: str) -> list[str]:
    """The segmenter's words, with Latin runs, numbers and their units (2023年) whole."""
    return words(text)


def cell_markup(spans: list[Span], mode: str) -> Markup:
    """A cell's content: `whole` (never wrapped), `words` (wrapped between words) or `chars`."""
    from . import autospace, inline

    if mode == "chars":
        return inline(spans)
    out = []
    for span in spans:
        parts = []
        for piece in span.text.split("\n"):
            if mode == "whole":
                parts.append(inline([Span(text=piece)]))
                continue
            words = _words(piece)
            pos, items = 0, []
            for word in words:
                before = piece[pos - 1] if pos else ""
                after = piece[pos + len(word)] if pos + len(word) < len(piece) else ""
                pos += len(word)
                if len(word) == 1:
                    items.append(autospace(word, before, after))
                    continue
                # the quarter em between Han and Latin at the word's own edges goes outside the
                # atomic inline (inside it, it would sit at the start or end of its own line box)
                edges = [c for c, ch, run in (("as-l", before, word[0]), ("as-r", after, word[-1]))
                         if HAN.match(ch or " ") and LATIN_RUN.match(run)]
                items.append(Markup('<span class="%s">%s</span>') % (" ".join(["w", *edges]), autospace(word)))
            parts.append(Markup("").join(items))
        text = Markup("<br>").join(parts)
        if span.emphasis:
            text = Markup("<em>%s</em>") % text
        if span.strong:
            text = Markup("<strong>%s</strong>") % text
        out.append(text)
    html = Markup("").join(out)
    return Markup('<span class="whole">%s</span>') % html if mode == "whole" else html


def _width(text: str, metrics: Metrics) -> float:
    return sum(metrics.widths(text))


@dataclass
class Fit:
    mode: str  # words (the table fits keeping words whole) or chars
    compact: bool  # set at 五号
    needed: float  # pt: the narrowest the table can be keeping words whole, at its normal size
    block: float


def _short(text: str, header: bool) -> bool:
    return len(text) <= (SHORT_HEADER if header else SHORT_CELL) and "\n" not in text


def cell_mode(spans: list[Span], header: bool, fit_mode: str) -> str:
    if fit_mode == "chars":
        return "chars"
    return "whole" if _short(_plain(spans), header) else "words"


def min_width(table: Table, size: float, body: Metrics, head: Metrics) -> float:
    """The table's min-content width (pt) with short cells whole and the rest wrapped by words."""
    columns = max([len(table.header)] + [len(r) for r in table.rows] or [0])
    widest = [0.0] * columns
    for r, row in enumerate([table.header, *table.rows] if table.header else table.rows):
        header = bool(table.header) and r == 0
        metrics = head if header else body
        for c, cell in enumerate(row):
            text = _plain(cell)
            if _short(text, header):
                need = _width(text, metrics)
            else:
                need = max((_width(w, metrics) for line in text.split("\n") for w in _words(line)), default=0.0)
            widest[c] = max(widest[c], need * size + CELL_PADDING)
    return sum(widest)


def fit(table: Table, size: float, block: float, fonts: dict[str, tuple[str, ...]]) -> Fit:
    body = font_metrics((fonts.get("body") or (None,))[0])
    head = font_metrics((fonts.get("heading") or (None,))[0])
    needed = min_width(table, size, body, head)
    if needed <= block:
        return Fit("words", False, needed, block)
    if min_width(table, COMPACT_SIZE, body, head) <= block:
        return Fit("words", True, needed, block)
    return Fit("chars", True, needed, block)


def small_size(option_css: dict[str, str]) -> float:
    from ..style.layout import length_pt

    return length_pt(option_css.get("--small-size", "12pt"))


def check(loaded, layout, option_css: dict[str, str]) -> list[Problem]:
    """Warnings for tables wider than the type area (with short cells whole and words unbroken)."""
    from ..source.load import article_paths

    if not layout.measure_pt:
        return []
    file = loaded.folder / "issue.md"
    size = small_size(option_css)
    problems = []
    for path, article in article_paths(loaded.bulletin.issue):
        for i, block in enumerate(article.body):
            if not isinstance(block, Table):
                continue
            result = fit(block, size, layout.measure_pt, layout.text_fonts)
            if result.mode == "words" and not result.compact:
                continue
            where, line = loaded.sources.locate(path + ("body", i), (file, None))
            columns = max([len(block.header)] + [len(r) for r in block.rows])
            need_mm, block_mm = round(result.needed / MM), round(result.block / MM)
            if result.mode == "words":
                zh = f"表格太宽：{columns} 列按词不断开至少要 {need_mm} mm，版心只有 {block_mm} mm，已缩小为五号字排入"
                en = f"table too wide: {columns} columns need {need_mm} mm with words whole, the block is {block_mm} mm; set at 10.5 pt"
            else:
                zh = f"表格太宽：{columns} 列按词不断开至少要 {need_mm} mm，版心只有 {block_mm} mm，缩小字号也排不下，单元格会在词中间断行"
                en = f"table too wide: {columns} columns need {need_mm} mm with words whole, the block is {block_mm} mm; words will break"
            problems.append(Problem(
                where, line, zh, en,
                "减少列数或拆成两个表；列多行少时把表转置（行列互换）；表头用简称（如“11月”代替“十一月”）",
                "fewer columns or two tables; transpose a wide, short table; abbreviate the headers",
                severity="warning"))
    return problems

