"""Paragraph-wide breaking inside WeasyPrint's line-by-line layout.

WeasyPrint builds a paragraph one line at a time: `get_next_linebox` calls `split_inline_box` on
the paragraph's line box with the place to resume (a skip stack), and each text box is cut by
`split_text_box`. Here, the first time a Chinese justified paragraph is split, all of it is broken
at once (breaking.plan) and kept for the document; then each call sets the line to end exactly at
the planned break:

- the skip stack is turned into the index of the first character of the line;
- the line's last text box is cut at the planned byte offset (a break at the very end of a box is
  made by resuming at its end, so the next line starts with the next box);
- every other text box on the line is taken whole, and WeasyPrint is given room enough not to
  break anything itself (max_x far away): it never decides a break in a planned paragraph.

A paragraph resumed on a new page starts at a planned line start and uses the same plan; a start
the plan does not know (another width) gets a plan of its own from there.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import breaking, measure
from . import punctuation as P
from .paragraph import Atoms, collect
from .settings import settings_for

FAR = 1e7  # px: room given to WeasyPrint for a planned line


@dataclass
class Paragraph:
    atoms: Atoms
    paths: list[tuple[int, ...]]  # per text box (atoms.runs), its path from the line box, in order
    boxes: set[int]  # ids of its text boxes
    plans: dict[tuple[int, float, float], breaking.Plan] = field(default_factory=dict)


@dataclass
class Target:
    """The line being split: its plan line and where it ends."""
    paragraph: Paragraph
    line: breaking.Line
    box: object | None  # the text box the line ends in (None: the rest of the paragraph)
    end: int  # byte offset in that box's text where the next line resumes
    forced: bool  # the line ends with a preserved line break inside `box`


_paragraphs: dict[int, tuple[object, Paragraph | None]] = {}  # id(line box) → (line box, paragraph)
current: list[Target | None] = [None]  # the planned line being split, if any
stats = {"planned_lines": 0, "missed": 0}


def new_document() -> None:
    _paragraphs.clear()
    current[0] = None
    stats.update(planned_lines=0, missed=0)


def managed(style) -> bool:
    """Chinese justified text that wraps normally: the paragraphs composed here."""
    return (str(style["lang"] or "").lower().startswith("zh") and style["text_align_all"] == "justify"
            and style["white_space"] == "normal" and style["direction"] == "ltr")


def paragraph_of(linebox, containing_block) -> Paragraph | None:
    found = _paragraphs.get(id(linebox))
    if found is not None and found[0] is linebox:
        return found[1]
    paragraph = None
    if managed(linebox.style):
        atoms = collect(linebox, None, containing_block)
        if atoms is not None and len(atoms):
            paragraph = Paragraph(atoms, [path for _box, path, _first in atoms.runs],
                                  {id(box) for box, _path, _first in atoms.runs})
    _paragraphs[id(linebox)] = (linebox, paragraph)
    return paragraph


def skip_key(linebox, skip_stack) -> tuple:
    """A skip stack ({child: {child: … {byte offset: None}}}) as a key comparable with atom keys."""
    from weasyprint.formatting_structure import boxes

    key: list[int] = []
    box = linebox
    while skip_stack:
        (index, skip_stack), = skip_stack.items()
        key.append(index)
        if isinstance(box, boxes.TextBox):
            break
        box = box.children[index] if index < len(box.children) else None
        if box is None:
            break
    return tuple(key)


def first_atom(paragraph: Paragraph, linebox, skip_stack) -> int:
    """The index of the first atom at or after the skip stack (spaces are skipped)."""
    from bisect import bisect_left

    atoms = paragraph.atoms
    start = 0
    if skip_stack is not None:
        key = skip_key(linebox, skip_stack)
        run = bisect_left(paragraph.paths, key)  # the first text box at or after the key
        if run and paragraph.paths[run - 1] == key[:-1]:  # inside a text box: key ends in a byte offset
            box, _path, first = atoms.runs[run - 1]
            start = first + len(box.text.encode()[: key[-1]].decode(errors="ignore"))
        else:
            start = atoms.runs[run][2] if run < len(atoms.runs) else len(atoms)
    while start < len(atoms) and atoms.ch[start] == " ":
        start += 1
    return start


def line_for(paragraph: Paragraph, start: int, width_now: float, width: float, linebox) -> breaking.Line | None:
    """The planned line starting at atom `start` (a plan is made when none covers it)."""
    for (plan_start, first, full), plan in paragraph.plans.items():
        if abs(full - width) < 0.01 and (start != plan_start or abs(first - width_now) < 0.01):
            line = plan.starts().get(start)
            if line is not None:
                return line
    settings = settings_for(linebox.style)
    plan = breaking.plan(paragraph.atoms, width_now, width, settings, str(linebox.style["lang"]), start)
    paragraph.plans[(start, width_now, width)] = plan
    return plan.starts().get(start)


def target_for(paragraph: Paragraph, line: breaking.Line) -> Target:
    atoms = paragraph.atoms
    if line.next >= len(atoms):
        return Target(paragraph, line, None, 0, False)
    consumed = line.next - 1  # the last atom the line takes (trailing spaces included)
    if line.forced:
        while atoms.kind[consumed] != P.FORCED:
            consumed -= 1  # the preserved line break ends the line; spaces after it are skipped
    box = atoms.box[consumed]
    end = len(box.text[: atoms.index[consumed] + 1].encode())
    return Target(paragraph, line, box, end, line.forced)


def split_line(original, context, linebox, position_x, max_x, bottom_space, skip_stack, containing_block,
               *args):
    """WeasyPrint's split_inline_box for a paragraph's line box, ending the line where the plan
    says (see the module docstring); other calls go straight to WeasyPrint."""
    from weasyprint.formatting_structure import boxes

    if not isinstance(linebox, boxes.LineBox) or context.excluded_shapes:
        return original(context, linebox, position_x, max_x, bottom_space, skip_stack, containing_block, *args)
    paragraph = paragraph_of(linebox, containing_block)
    if paragraph is None:
        return original(context, linebox, position_x, max_x, bottom_space, skip_stack, containing_block, *args)
    width_now = max_x - position_x
    indent = linebox.text_indent if isinstance(linebox.text_indent, (int, float)) else 0
    start = first_atom(paragraph, linebox, skip_stack)
    line = line_for(paragraph, start, width_now, width_now + indent, linebox) if start < len(paragraph.atoms) else None
    if line is None:
        stats["missed"] += start < len(paragraph.atoms)
        return original(context, linebox, position_x, max_x, bottom_space, skip_stack, containing_block, *args)
    target = current[0] = target_for(paragraph, line)
    try:
        result = original(context, linebox, position_x, position_x + FAR, bottom_space, skip_stack,
                          containing_block, *args)
    finally:
        current[0] = None
    new_line = result[0]
    new_line.bulletin_plan = (paragraph, line)  # for text_align: the line's atoms and how it ends
    stats["planned_lines"] += 1
    if (result[1] is None) != (target.box is None):
        stats["missed"] += 1
    return result


def split_text(original, context, box, available_width, skip, is_line_start=True):
    """WeasyPrint's split_text_box: in a planned line, the last text box is cut at the planned
    break and the others are taken whole; every box made remembers the text it comes from
    (`bulletin_origin`: original box, index of its first character) for the line's measurement."""
    target = current[0]
    origin = getattr(box, "bulletin_origin", None)
    if target is not None and id(box) in target.paragraph.boxes and not (target.forced and box is target.box):
        skip = skip or 0
        end = target.end if box is target.box else len(box.text.encode())
        result = _piece(context, box, skip, end, resume=box is target.box)
    else:
        result = original(context, box, available_width, skip, is_line_start)
    new_box = result[0]
    if new_box is not None:
        if origin is None:
            origin = (box, 0)
        new_box.bulletin_origin = (origin[0], origin[1] + len(box.text.encode()[: skip or 0].decode()))
    return result


def _piece(context, box, skip: int, end: int, resume: bool):
    """A copy of text box `box` holding its text from byte `skip` to `end` (trailing spaces left
    out, as WeasyPrint does), made the way split_text_box makes one; the next line resumes at
    `end` when `resume`. Its width, height and baseline come from the box's measurement, so the
    piece is not shaped now (it is when drawn, and the line sets every width itself)."""
    from weasyprint.text.line_break import strut

    encoded = box.text.encode()
    text = encoded[skip:end].decode()
    if resume:
        text = text.rstrip(" ")  # the line ends here: its trailing spaces go, as in WeasyPrint
    resume_index = end if resume else None
    if not text:
        return None, resume_index, False
    style = box.style
    measured = measure.measure(box.text, style)
    first = len(encoded[:skip].decode())
    layout = _deactivated_layout(text, box.justification_spacing)
    new_box = box.copy_with_text(layout.text)
    new_box.width = sum(measured.natural[first:first + len(text)]) + measured.tracking * len(text)
    new_box.pango_layout = layout
    new_box.height = measured.height
    line_height, _ = strut(style)
    half_leading = (line_height - measured.height) / 2
    new_box.margin_top = new_box.margin_bottom = half_leading
    new_box.baseline = measured.baseline + half_leading
    return new_box, resume_index, False


def _deactivated_layout(text: str, justification_spacing: float):
    """A WeasyPrint Layout as Layout(…) followed by set_text(text) and deactivate() leave it, without
    making its Pango context now: drawing calls reactivate(), which sets it up and sets the text."""
    from weasyprint.text.line_break import Layout

    layout = Layout.__new__(Layout)
    layout.justification_spacing = justification_spacing
    layout.max_width = None
    layout.first_line_direction = 0
    layout.text = text
    return layout
