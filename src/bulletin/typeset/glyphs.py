"""What reaches Pango and the PDF for each text box: spacing attributes, compressed marks, and
exact glyph positions.

- A justified box gets per-character letter-spacing (justification.letter_spacing_values).
- Of two adjacent full-width marks one loses its blank half through the font's `halt` feature
  (“。”” “，“” “）（” “（“”, punctuation.compressed), and a line set by push-in its extra ones.
- Two WeasyPrint precision problems are corrected: glyph adjustments written truncated to 1/1000 em
  (ExactAdjustment) and x-offsets scaled as 1/1000 em instead of 1/1024 (offsets_into_advances).
"""
from __future__ import annotations

from ..text import CJK_CHAR
from . import breaking
from .justification import letter_spacing_values
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


def adjust_attributes(layout, justify: bool) -> None:
    """After WeasyPrint's Layout.set_text: justification spacing and compressed marks."""
    from weasyprint.text.ffi import ffi, pango
    from weasyprint.text.line_break import TO_UNITS

    chars = layout.text
    gaps = getattr(layout, "bulletin_gaps", None) if justify and layout.justification_spacing else None
    extra_halves = breaking.pushed_in.get(chars) if breaking.pushed_in else None
    if not (gaps or extra_halves or PAIRS.search(chars)):
        return  # most calls: measuring text with nothing to adjust (cheapest checks first)
    style = layout.style
    if not str(style["lang"] or "").startswith("zh") or not CJK_CHAR.search(chars):
        return
    halves = compressed(chars)
    if extra_halves:  # a line set by push_in: its extra half-width marks
        halves = sorted(set(halves) | extra_halves)
    attr_list = pango.pango_layout_get_attributes(layout.layout)
    if attr_list == ffi.NULL:
        attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    offsets = [0]
    for ch in chars:
        offsets.append(offsets[-1] + len(ch.encode("utf-8")))
    if gaps:
        values = letter_spacing_values(style, chars, gaps, layout.justification_spacing)
        for i, value in enumerate(values):
            attr = pango.pango_attr_letter_spacing_new(int(round(value * TO_UNITS)))
            attr.start_index, attr.end_index = offsets[i], offsets[i + 1]
            pango.pango_attr_list_change(attr_list, attr)
    for i in halves:
        attr = pango.pango_attr_font_features_new(b"halt 1")
        attr.start_index, attr.end_index = offsets[i], offsets[i + 1]
        pango.pango_attr_list_insert(attr_list, attr)
    pango.pango_layout_set_attributes(layout.layout, attr_list)
    layout.bulletin_draw = justify  # set up for drawing: see offsets_into_advances


def offsets_into_advances(line) -> None:
    """Move each glyph's x_offset into the previous glyph's advance: same positions, no offsets.

    Pango places half of a character's letter-spacing in its glyph's x_offset; WeasyPrint 70
    writes x_offset / font_size into the PDF as if it were in 1/1000 em (it is in 1/1024 of a
    unit), misplacing the glyph by 2.4 % of its offset — negligible for mark positioning, a
    visible jitter for the alternating values of the spacing chain.
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
