"""What reaches the PDF for each text box: glyph advances and exact positions.

- A composed text box (lines.py gave its layout `bulletin_advances`: one width per character) is
  shaped without letter-spacing, then each glyph cluster gets exactly its characters' advances:
  the drawing is the computation, with the characters of the source in the text layer.
- Other Chinese text (titles, headings, table cells, set by WeasyPrint itself): of two adjacent
  full-width marks one loses its blank half through the font's `halt` feature (“。”” “，“” “）（”).
- Two WeasyPrint precision problems are corrected: glyph adjustments written truncated to 1/1000 em
  (ExactAdjustment) and x-offsets scaled as 1/1000 em instead of 1/1024 (offsets into advances).
- Spaces are set in the text's own face (space_runs), never in an extension face that has none.
"""
from __future__ import annotations

import re

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


def before_set_text(layout) -> None:
    """Before WeasyPrint's Layout.set_text: the layout gets back WeasyPrint's own attribute list,
    without the attributes that belonged to its previous text (separate_spaces)."""
    from weasyprint.text.ffi import ffi, pango

    saved = layout.__dict__.pop("bulletin_text_attrs", None)
    if saved is None or getattr(layout, "layout", None) is None:
        return
    base, own = saved
    if pango.pango_layout_get_attributes(layout.layout) == own:  # the same layout, as we left it
        pango.pango_layout_set_attributes(layout.layout, ffi.NULL if base is None else base)


def after_set_text(layout, justify: bool) -> None:
    """After WeasyPrint's Layout.set_text: a composed box loses its letter-spacing (its advances
    are set on the glyphs) and its marks set half width are drawn from the half-width face
    (half_forms); in other Chinese text the first or second of two adjacent full-width marks is
    drawn half width; spaces get runs of their own where the font chain needs it (space_runs)."""
    chars = layout.text
    spaces = space_runs(chars, layout.style)
    ranges = _adjust(layout, chars, justify)
    if spaces or ranges:
        separate_spaces(layout, spaces, ranges)


def _adjust(layout, chars: str, justify: bool) -> list[tuple[int, int, bytes, bytes]]:
    """Sets a composed box's letter-spacing to 0; returns the attributes of single characters
    (byte range, "family" or "features", value) for the half-width marks."""
    from weasyprint.text.ffi import ffi, pango

    advances = getattr(layout, "bulletin_advances", None)
    if advances is None and not PAIRS.search(chars):
        return []  # most calls: measuring text with nothing to adjust (cheapest checks first)
    if advances is None and (not str(layout.style["lang"] or "").startswith("zh") or not CJK_CHAR.search(chars)):
        return []
    if advances is not None:
        attr_list = pango.pango_layout_get_attributes(layout.layout)
        if attr_list == ffi.NULL:
            attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
        attr = pango.pango_attr_letter_spacing_new(0)
        attr.start_index, attr.end_index = 0, len(chars.encode())
        pango.pango_attr_list_change(attr_list, attr)
        pango.pango_layout_set_attributes(layout.layout, attr_list)
        layout.bulletin_draw = justify
        halves = getattr(layout, "bulletin_half", None) or {}
    else:
        families = tuple(layout.style["font_family"])
        halves = {i: half_face_for(families, chars[i]) for i in compressed(chars)}
    if not halves:
        return []
    offsets = [0]
    for ch in chars:
        offsets.append(offsets[-1] + len(ch.encode("utf-8")))
    chain = ",".join(layout.style["font_family"])  # after the half face: never a host font
    # a half-width glyph of the mark's own face; without one (an office's own font), the face's
    # `halt` feature where it has one (only in text WeasyPrint sets: composed boxes get their
    # advances set exactly either way)
    return [(offsets[i], offsets[i + 1], "family", f"{family},{chain}".encode()) if family
            else (offsets[i], offsets[i + 1], "features", b"halt 1")
            for i, family in sorted(halves.items()) if i < len(chars) and (family or advances is None)]


def half_face_for(families: tuple[str, ...], ch: str) -> str | None:
    from ..style.fonts import half_face_for as find

    return find(families, ch)


# Unicode's space separators (Zs) that Pango gives no font of their own (pango/itemize.c,
# consider_as_space: the Ogham space mark is a visible letter there)
SPACES = re.compile("[\u0020\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_chain_lacks_space: dict[tuple[str, ...], bool] = {}


def space_runs(text: str, style) -> list[tuple[int, int]]:
    """Byte ranges of the runs of spaces of `text` that must be set apart, when the style's font
    chain has a face without a space; else [].

    Pango (1.50) chooses no font for a space: a space takes the font of the character before it,
    “assuming all fonts have the ASCII space”. The extension faces (fonts.py) have none, so the space
    after a rare character was drawn as a .notdef box, a “tofu” as wide as Pango guesses a
    character (and WeasyPrint's text layer lost the characters of the run). A run of spaces that is
    a Pango run of its own gets the first face of the chain that has a space: the text's own face,
    as a space after any other character. Chains without such a face (every issue without rare
    characters) are left as they were."""
    families = tuple(style["font_family"])
    lacks = _chain_lacks_space.get(families)
    if lacks is None:
        from ..style.fonts import lacks_space

        lacks = _chain_lacks_space[families] = any(lacks_space(family) for family in families)
    if not lacks:
        return []
    runs: list[tuple[int, int]] = []
    byte, char = 0, 0  # byte offset of character index `char`
    for match in SPACES.finditer(text):
        start, end = match.span()
        if start == 0 and end == len(text):
            return []  # only spaces: one run anyway
        first = byte + len(text[char:start].encode())
        byte, char = first + len(text[start:end].encode()), end
        runs.append((first, byte))
    return runs


# Pango functions WeasyPrint 70's cffi declarations lack, that bulletin (and its tests: the face
# of a run) calls: (name, declaration). The one list: a prebuilt FFI (prebuilt.py) holds these and
# can declare nothing more.
PANGO_DECLARATIONS = (
    ("pango_attr_fallback_new", "PangoAttribute * pango_attr_fallback_new (gboolean enable_fallback);"),
    ("pango_attr_list_copy", "PangoAttrList * pango_attr_list_copy (PangoAttrList *list);"),
    ("pango_attr_list_ref", "PangoAttrList * pango_attr_list_ref (PangoAttrList *list);"),
    ("pango_attr_family_new", "PangoAttribute * pango_attr_family_new (const char *family);"),
    ("pango_font_describe", "PangoFontDescription * pango_font_describe (PangoFont *font);"))


def _declare_pango() -> None:
    """Declare PANGO_DECLARATIONS once, those still missing (a prebuilt FFI has them already)."""
    from weasyprint.text.ffi import ffi, pango

    missing = []
    for name, declaration in PANGO_DECLARATIONS:
        try:
            getattr(pango, name)
        except AttributeError:
            missing.append(declaration)
    if missing:
        ffi.cdef("\n".join(missing))


def separate_spaces(layout, runs: list[tuple[int, int]], ranges=()) -> None:
    """Make each run of spaces (byte ranges, space_runs) a Pango run of its own, and give the
    characters of `ranges` ((start byte, end byte, "family" | "features", value)) their font
    family or features.

    Pango starts a run where an attribute starts or ends; `fallback: true` (Pango's default) changes
    nothing else. The attributes go on a copy of the layout's list, kept with the layout, which
    before_set_text takes away again: WeasyPrint sets other texts on the same layout, where they
    would fall inside characters."""
    from weasyprint.text.ffi import ffi, pango

    _declare_pango()
    base = pango.pango_layout_get_attributes(layout.layout)
    if base == ffi.NULL:
        base, own = None, pango.pango_attr_list_new()
    else:
        base, own = ffi.gc(pango.pango_attr_list_ref(base), pango.pango_attr_list_unref), pango.pango_attr_list_copy(base)
    own = ffi.gc(own, pango.pango_attr_list_unref)
    for start, end in runs:
        attr = pango.pango_attr_fallback_new(True)
        attr.start_index, attr.end_index = start, end
        pango.pango_attr_list_insert(own, attr)
    for start, end, what, value in ranges:
        if what == "family":
            attr = pango.pango_attr_family_new(value)
        else:
            attr = pango.pango_attr_font_features_new(value)
        attr.start_index, attr.end_index = start, end
        pango.pango_attr_list_insert(own, attr)
    pango.pango_layout_set_attributes(layout.layout, own)
    layout.bulletin_text_attrs = (base, own)


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
