"""Natural widths of text, measured with Pango as WeasyPrint will draw it.

A text box's text is shaped once, without letter-spacing: each character gets the advance of its
glyphs (a ligature's width goes to its first character), the blank Pango's glyph ink leaves on
each side of a punctuation mark, and whether Pango (UAX #14) allows a line break before it. The
composition then places every glyph itself (glyphs.py), so these numbers are exactly what is drawn.

Results are kept (bounded, least recently used) keyed by the text and everything in the style that
shapes it, so a warm process re-rendering an issue measures only what changed.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from . import punctuation
from .glyphs import separate_spaces, space_runs

MAX_ENTRIES = 20000
_cache: OrderedDict[tuple, "Measured"] = OrderedDict()
_ink: dict[tuple[int, int], tuple[int, int, int]] = {}  # (font, glyph) → (ink left, ink right, advance)

_MARKS = set(punctuation.OPENING_MARKS + punctuation.CLOSING_MARKS + punctuation.PAUSE_MARKS
             + punctuation.STOP_MARKS + punctuation.MIDDLE_DOTS)


@dataclass(frozen=True)
class Measured:
    text: str
    natural: tuple[float, ...]  # px, per character, letter-spacing left out
    blank_left: tuple[float, ...]  # px of blank left of a mark's ink (0 for other characters)
    blank_right: tuple[float, ...]
    pango_break: tuple[bool, ...]  # Pango allows a break before character i
    tracking: float  # the style's letter-spacing, px
    em: float  # font size, px
    height: float = 0.0  # Pango's line height and baseline for this text (for pieces of it, too)
    baseline: float = 0.0


_SHAPING = ("font_size", "font_weight", "font_style", "font_stretch", "lang", "font_language_override",
            "font_kerning", "font_variant_ligatures", "font_variant_position", "font_variant_caps",
            "font_variant_numeric", "font_variant_alternates", "font_variant_east_asian",
            "font_feature_settings", "letter_spacing")


_style_keys: dict[int, tuple[object, tuple]] = {}  # id(style) → (style, key), for one document


def style_key(style) -> tuple:
    """What in a computed style changes the measured glyphs (kept per style object: a computed
    style does not change, and a line is measured several times)."""
    found = _style_keys.get(id(style))
    if found is not None and found[0] is style:
        return found[1]
    key = (id(style.font_config), tuple(style["font_family"]), *(repr(style[name]) for name in _SHAPING))
    if len(_style_keys) > 20000:
        _style_keys.clear()
    _style_keys[id(style)] = (style, key)
    return key


def measure(text: str, style) -> Measured:
    key = (text, style_key(style))
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        return hit
    result = _shape(text, style)
    _cache[key] = result
    while len(_cache) > MAX_ENTRIES:
        _cache.popitem(last=False)
    return result


def clear() -> None:
    _cache.clear()
    _ink.clear()
    _style_keys.clear()


def new_document() -> None:
    """Glyph ink is keyed by font object, style keys by style object: forget them between
    documents (fonts may be freed, styles are the document's)."""
    _ink.clear()
    _style_keys.clear()


def _shape(text: str, style) -> Measured:
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango, unicode_to_char_p
    from weasyprint.text.line_break import Layout

    layout = Layout(style)  # font description, features and language, no letter-spacing
    text_p, encoded = unicode_to_char_p(text)
    pango.pango_layout_set_text(layout.layout, text_p, -1)
    spaces = space_runs(text, style)  # spaces in the face they are drawn with
    if spaces:
        separate_spaces(layout, spaces)
    char_at = [0] * (len(encoded) + 1)
    position = 0
    for i, ch in enumerate(text):
        size = len(ch.encode())
        char_at[position:position + size] = [i] * size
        position += size
    char_at[len(encoded)] = len(text)
    natural = [0] * len(text)
    blank_left = [0.0] * len(text)
    blank_right = [0.0] * len(text)
    line = pango.pango_layout_get_line_readonly(layout.layout, 0)
    run = line.runs
    while run != ffi.NULL:
        item, glyphs = run.data.item, run.data.glyphs
        offset, font = item.offset, item.analysis.font
        clusters, infos = glyphs.log_clusters, glyphs.glyphs
        for k in range(glyphs.num_glyphs):
            c = char_at[offset + clusters[k]]
            info = infos[k]
            natural[c] += info.geometry.width
            if text[c] in _MARKS:
                left, right = _blanks(font, info.glyph, info.geometry.width)
                blank_left[c], blank_right[c] = left * FROM_UNITS, right * FROM_UNITS
        run = run.next
    count = ffi.new("gint *")
    attrs = pango.pango_layout_get_log_attrs_readonly(layout.layout, count)
    pango_break = tuple(bool(attrs[i].is_line_break) for i in range(len(text)))
    extents = ffi.new("PangoRectangle *")
    pango.pango_layout_line_get_extents(line, ffi.NULL, extents)
    baseline = pango.pango_layout_get_baseline(layout.layout) * FROM_UNITS
    layout.deactivate()
    tracking = style["letter_spacing"]
    return Measured(text, tuple(w * FROM_UNITS for w in natural), tuple(blank_left), tuple(blank_right),
                    pango_break, 0.0 if tracking == "normal" else float(tracking), float(style["font_size"]),
                    extents.height * FROM_UNITS, baseline)


def _blanks(font, glyph: int, advance: int) -> tuple[int, int]:
    """Blank (Pango units) left and right of the glyph's ink within its advance."""
    from weasyprint.text.ffi import ffi, pango

    key = (int(ffi.cast("uintptr_t", font)), glyph)
    hit = _ink.get(key)
    if hit is None:
        ink = ffi.new("PangoRectangle *")
        logical = ffi.new("PangoRectangle *")
        pango.pango_font_get_glyph_extents(font, glyph, ink, logical)
        hit = _ink[key] = (ink.x, ink.x + ink.width, logical.width)
    left, right, _logical = hit
    return max(0, left), max(0, advance - right)
