"""What reaches the PDF for each text box: glyph advances and exact positions.

- A composed text box (lines.py gave its layout `bulletin_advances`: one width per character) is
  shaped without letter-spacing, then each glyph cluster gets exactly its characters' advances:
  the drawing is the computation, with the characters of the source in the text layer.
- Other Chinese text (titles, headings, table cells, set by WeasyPrint itself): of two adjacent
  full-width marks one loses its blank half through the font's `halt` feature (“。”” “，“” “）（”).
- Two WeasyPrint precision problems are corrected: glyph adjustments written truncated to 1/1000 em
  (ExactAdjustment) and x-offsets scaled as 1/1000 em instead of 1/1024 (offsets into advances).
"""
from __future__ import annotations

from ..text import CJK_CHAR
from .punctuation import PAIRS, compressed


class ExactAdjustment(int):
    """Stands in for `int` in weasyprint/draw/text.py, where a glyph's position adjustment is written
    into the PDF as `int(kerning)` in 1/1000 em: truncation moves every glyph of a letter-spaced or
    justified line up to 0.014 pt (at 14 pt), 0.25–0.45 pt over a line. This keeps the exact value
    for the PDF text (3 decimals, no exponent: a valid PDF number) and is an ordinary int elsewhere
    (the module's other use passes it to C)."""

    def __new__(cls, value=0, *args):
        obj = super().__new__(cls, value, *args)
        obj.exact = value if isinstance(value, float) else float(obj)
        return obj

    def __format__(self, spec: str) -> str:
        if spec:
            return format(int(self), spec)
        text = f"{self.exact:.3f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text


def after_set_text(layout, justify: bool) -> None:
    """After WeasyPrint's Layout.set_text: a composed box loses its letter-spacing (its advances
    are set on the glyphs); other Chinese text gets `halt` on the first or second of two adjacent
    full-width marks."""
    from weasyprint.text.ffi import ffi, pango

    advances = getattr(layout, "bulletin_advances", None)
    chars = layout.text
    if advances is None and not PAIRS.search(chars):
        return  # most calls: measuring text with nothing to adjust (cheapest checks first)
    if advances is None and (not str(layout.style["lang"] or "").startswith("zh") or not CJK_CHAR.search(chars)):
        return
    attr_list = pango.pango_layout_get_attributes(layout.layout)
    if attr_list == ffi.NULL:
        attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    if advances is not None:
        attr = pango.pango_attr_letter_spacing_new(0)
        attr.start_index, attr.end_index = 0, len(chars.encode())
        pango.pango_attr_list_change(attr_list, attr)
        layout.bulletin_draw = justify
    else:
        offsets = [0]
        for ch in chars:
            offsets.append(offsets[-1] + len(ch.encode("utf-8")))
        for i in compressed(chars):
            attr = pango.pango_attr_font_features_new(b"halt 1")
            attr.start_index, attr.end_index = offsets[i], offsets[i + 1]
            pango.pango_attr_list_insert(attr_list, attr)
    pango.pango_layout_set_attributes(layout.layout, attr_list)


def set_advances(line, layout) -> None:
    """Give each glyph cluster of the drawn line exactly its characters' advances (px → Pango
    units); characters the composition did not see (spaces stripped from the box) keep theirs."""
    from weasyprint.text.ffi import TO_UNITS, ffi

    advances = layout.bulletin_advances
    text = layout.text
    char_at: list[int] = []
    for i, ch in enumerate(text):
        char_at.extend([i] * len(ch.encode()))
    char_at.append(len(text))
    wanted, position, placed = [], 0.0, 0
    for advance in advances:  # rounded where the glyphs land, so errors do not add up
        position += advance
        wanted.append(round(position * TO_UNITS) - placed)
        placed += wanted[-1]
    run = line.runs
    while run != ffi.NULL:
        item, glyphs = run.data.item, run.data.glyphs
        count, clusters, infos = glyphs.num_glyphs, glyphs.log_clusters, glyphs.glyphs
        k = 0
        while k < count:
            j = k
            while j + 1 < count and clusters[j + 1] == clusters[k]:
                j += 1
            first = char_at[item.offset + clusters[k]]
            if first < len(wanted):
                stop = char_at[item.offset + (clusters[j + 1] if j + 1 < count else item.length)]
                width = sum(wanted[first:min(stop, len(wanted))])
                for g in range(k, j):
                    width -= infos[g].geometry.width
                infos[j].geometry.width = width
            k = j + 1
        run = run.next


def offsets_into_advances(line) -> None:
    """Move each glyph's x_offset into the previous glyph's advance: same positions, no offsets.

    WeasyPrint 70 writes x_offset / font_size into the PDF as if it were in 1/1000 em (it is in
    1/1024 of a unit), misplacing the glyph by 2.4 % of its offset.
    """
    from weasyprint.text.ffi import ffi

    previous = None
    run = line.runs
    while run != ffi.NULL:
        glyphs = run.data.glyphs
        for k in range(glyphs.num_glyphs):
            glyph = glyphs.glyphs[k]
            offset = glyph.geometry.x_offset
            if offset and previous is not None:
                previous.geometry.width += offset
                glyph.geometry.width -= offset
                glyph.geometry.x_offset = 0
            previous = glyph
        run = run.next
