"""Setting one laid-out line of a Chinese justified paragraph: every box placed by the composition.

When WeasyPrint has built a line (planned or not) and asks how to align it, the line's characters
are measured again from the boxes on it (paragraph.collect), brought to the measure
(justification.solve: compress before stretch) and placed: each text box gets the advance of every
character — its natural width, the layout's tracking and its share of the adjustment — and the
boxes are moved one after the other. glyphs.py draws each glyph at exactly that advance, so the PDF
shows what was computed, with the text layer unchanged (nothing is inserted).

At the line's edges: the Han–Latin margin of a span is removed (clreq: no space at line edges), a
closing mark at the end of a full line keeps half a character with its ink at the edge (GB/T 15834
§5.1.10), the tracking after the last character is dropped, and — where the layout asks for it —
an opening mark starting a line loses its blank half. Items marked `.line-end` (署名, 共印×份) go
flush right on their block's last line.
"""
from __future__ import annotations

from . import measure, plan, spacing
from . import punctuation as P
from .breaking import latin_gaps, totals
from .glyphs import half_face_for
from .justification import SHRINK_BRACKET, solve

WHOLE = 1 - 1e-9  # a kind compressed by its whole capacity
from .paragraph import Atoms, collect
from .settings import settings_for


def origin_measured(box):
    """The Measured text a laid-out text box comes from, and the index of its first character."""
    origin = getattr(box, "bulletin_origin", None)
    if origin is None:
        return measure.measure(box.text, box.style), 0
    source, start = origin
    return measure.measure(source.text, source.style), start


def align(context, line, available_width: float, last: bool, original) -> float:
    """text_align for a line: composed here when it belongs to a Chinese justified paragraph."""
    atoms = collect(line, origin_measured) if plan.managed(line.style) else None
    visible = _visible(atoms) if atoms is not None else None
    if visible is None:
        spacing.flush_line_end_item(line, available_width, last)
        spacing.drop_edge_spacing(line)
        line.bulletin_pitch = str(line.style["lang"] or "").lower().startswith("zh")
        return original(context, line, available_width, last)
    s, e = visible
    planned = getattr(line, "bulletin_plan", None)
    hanging = bool(planned and planned[1].hanging)
    text_last = last or bool(planned and planned[1].last) or (
        planned is None and spacing.ends_before_line_end_item(line))
    settings = settings_for(line.style)
    start_x = _first_position(line)
    target = available_width - (start_x - line.position_x)
    natural, shrink, as_stretch, opportunities = totals(atoms, s, e, settings, hanging)
    adjustment = solve(natural, target, shrink, as_stretch, opportunities, last=text_last,
                       latin_gaps=latin_gaps(atoms, s, e, hanging), em=atoms.em_ref)
    # a mark ending a full line takes half a character (GB/T 15834 §5.1.10); a paragraph's last line
    # keeps it whole unless it needs the room
    trim = not hanging and (not text_last or natural > target + 1e-6)
    extras = _extras(atoms, s, e, adjustment, hanging, trim)
    _drop_edge_autospace(atoms, s, e)
    lead = atoms.trim_left[s] if settings.trim_line_start else 0.0
    halves = half_forms(atoms, s, e, adjustment, hanging, trim, settings)
    x = start_x - lead
    for i, (_family, shift) in halves.items():
        if shift:  # the glyph's outline starts `shift` further left: its origin moves right as much
            extras[i] -= shift
            if i > s:
                extras[i - 1] += shift
            else:
                x += shift
    _place_line(line, atoms, extras, x, halves)
    line.bulletin_pitch = True  # see verticality: the line keeps the paragraph's pitch
    spacing.flush_line_end_item(line, available_width, last)
    return 0


def _visible(atoms: Atoms) -> tuple[int, int] | None:
    """First and last atom set on the line (spaces at its edges and a forced break left out)."""
    kind = atoms.kind
    s, e = 0, len(atoms) - 1
    while s <= e and kind[s] in (P.SPACE, P.FORCED):
        s += 1
    while e >= s and kind[e] in (P.SPACE, P.FORCED):
        e -= 1
    return (s, e) if s <= e else None


def _first_position(line) -> float:
    for child in line.children:
        if child.is_in_normal_flow():
            return child.position_x
    return line.position_x


def _extras(atoms: Atoms, s: int, e: int, adjustment, hanging: bool, trim: bool) -> list[float]:
    """What each atom's advance adds to its natural width: tracking and the adjustment of the
    boundary after it; atoms off the line's visible part (edge spaces) take no room."""
    n = len(atoms)
    extras = [-(atoms.advance[i] - atoms.tracking[i]) for i in range(n)]  # width 0
    fractions = adjustment.shrink
    for i in range(s, e):
        k = i + 1
        delta = atoms.pair[k]
        if any(fractions):
            delta -= sum(f * c for f, c in zip(fractions, atoms.shrink_at(k)) if f)
        if atoms.autospace[k]:
            delta += adjustment.autospace_stretch * atoms.stretch_autospace_at(k)
        elif adjustment.per_opportunity and atoms.opportunity_at(k):
            delta += adjustment.per_opportunity
        elif adjustment.per_latin and atoms.latin_gap[k]:
            delta += adjustment.per_latin
        extras[i] = atoms.tracking[i] + delta
    extras[e] = -atoms.trim_right[e] if trim else 0.0
    if hanging and e > s:
        extras[e - 1] = atoms.tracking[e - 1] + atoms.pair[e]  # the mark follows its character directly
    return extras


def half_forms(atoms: Atoms, s: int, e: int, adjustment, hanging: bool, trim: bool, settings) -> dict[int, tuple[str, float]]:
    """The marks of the line drawn with the half-width glyph of their face (fonts: `half_of`), as
    atom → (half face's family, how much further left its outline starts): every mark set half
    width — a mark ending a full line, one of two adjacent marks, one whose kind the line
    compresses fully, the 间隔号 — so the PDF gives the glyph the width it is printed with.
    A mark compressed only in part keeps its full-width glyph, set back by what it gives up: a
    half-width glyph followed by the blank left would read as a word space to text extraction
    (pypdf, pdfplumber), and the text layer must stay the source text. A mark whose face has no
    half-width glyph (an office's own font) keeps its full-width glyph too."""
    fractions = adjustment.shrink
    kind, trim_left, trim_right = atoms.kind, atoms.trim_left, atoms.trim_right
    out: dict[int, tuple[str, float]] = {}
    for i in range(s, e + 1):
        k = kind[i]
        if k in P.BLANK_RIGHT and trim_right[i]:
            if i == e:
                cut = trim and not hanging
            else:
                c = atoms.shrink_class[i + 1]
                cut = atoms.given[i] or (c >= 0 and fractions[c] >= WHOLE and atoms.shrink_after[i + 1] > 0)
            shift = 0.0
        elif k == P.OPENING and trim_left[i]:
            if i == s:
                cut = settings.trim_line_start
            else:
                cut = atoms.given[i] or (fractions[SHRINK_BRACKET] >= WHOLE and atoms.shrink_before[i] > 0)
            shift = trim_left[i]
        elif k == P.MIDDLE:
            natural = atoms.advance[i] - atoms.tracking[i]
            cut = atoms.advance[i] > 0.5 * atoms.em[i]  # set half an em wide (paragraph.finish)
            shift = (natural - 0.5 * atoms.em[i]) / 2
        else:
            continue
        if cut:
            family = half_face_for(tuple(atoms.box[i].style["font_family"]), atoms.ch[i])
            if family:
                out[i] = (family, shift)
    return out


def _drop_edge_autospace(atoms: Atoms, s: int, e: int) -> None:
    """No Han–Latin space at the start or end of a line: the margins of spans there go."""
    for k in list(range(0, s + 1)) + list(range(e + 1, len(atoms) + 1)):
        for box, side in atoms.autospace_sources[k]:
            setattr(box, f"margin_{side}", 0)


def _place_line(line, atoms: Atoms, extras: list[float], x: float, halves=None) -> None:
    """Give every text box its width and every box its position, left to right from x; the
    half-width marks (half_forms) are noted on their boxes' layouts for drawing (glyphs.py)."""
    advances: dict[int, list[float]] = {}
    for i, box in enumerate(atoms.box):
        advances.setdefault(id(box), []).append(atoms.advance[i] - atoms.tracking[i] + extras[i])
    half: dict[int, dict[int, str]] = {}
    for i, (family, _shift) in (halves or {}).items():
        half.setdefault(id(atoms.box[i]), {})[atoms.index[i]] = family
    end = x
    for child in line.children:
        if child.is_in_normal_flow():
            end = _place(child, end, advances, half)
    line.width = end - line.position_x


def _place(box, x: float, advances: dict[int, list[float]], half: dict[int, dict[int, str]]) -> float:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        widths = advances.get(id(box), [])
        box.position_x = x
        box.width = sum(widths)
        if box.pango_layout is not None:
            box.pango_layout.bulletin_advances = widths
            box.pango_layout.bulletin_half = half.get(id(box))
        return x + box.width
    if isinstance(box, boxes.InlineBox):
        box.position_x = x
        inner = x + box.margin_left + box.border_left_width + box.padding_left
        start = inner
        for child in box.children:
            if child.is_in_normal_flow():
                inner = _place(child, inner, advances, half)
        box.width = inner - start
        return inner + box.padding_right + box.border_right_width + box.margin_right
    box.translate(x - box.position_x, 0)
    return x + box.margin_width()


def verticality(original, box):
    """line_box_verticality, kept to the block's own line height for a line of Chinese text: an
    anchor, a 署名 or a character from another font (other ascent and descent) must not push the
    line off the pitch. Lines holding an image, an inline block or larger type keep their height."""
    max_y, min_y = original(box)
    if not getattr(box, "bulletin_pitch", False):
        return max_y, min_y
    top = -box.baseline
    bottom = top + box.margin_height()
    if (min_y < top - 1e-6 or max_y > bottom + 1e-6) and _text_only(box, box.style["font_size"]):
        return min(max_y, bottom), max(min_y, top)
    return max_y, min_y


def _text_only(box, size: float) -> bool:
    """Only text and inline boxes, none in a larger type than the paragraph's."""
    from weasyprint.formatting_structure import boxes

    for child in box.children:
        if not child.is_in_normal_flow():
            continue
        if not isinstance(child, (boxes.TextBox, boxes.InlineBox)) or child.style["font_size"] > size * 1.01:
            return False
        if isinstance(child, boxes.InlineBox) and not _text_only(child, size):
            return False
    return True

