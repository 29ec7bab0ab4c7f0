"""Every function of WeasyPrint 70 that bulletin replaces, in one place.

Each patch is a module-level function below, named after the function it replaces, whose docstring
says what it replaces and why; `PATCHES` lists them with the WeasyPrint code each one relies on
and that code's fingerprint (SHA-256 of its source in WeasyPrint 70.0). `install()` refuses, with
`WeasyPrintChanged` naming the function, to patch a WeasyPrint whose code differs: an upgrade
fails loudly instead of setting pages silently wrong. The composition itself lives in the sibling
modules (breaking, justification, spacing, punctuation, glyphs); the patches only route to it.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass
from typing import Callable

from . import breaking, glyphs, justification, spacing

WEASYPRINT_SERIES = "70."


class WeasyPrintChanged(RuntimeError):
    pass


@dataclass(frozen=True)
class Patch:
    target: str  # "module:attribute" or "module:Class.attribute"
    replacement: object
    relies_on: tuple[tuple[str, str], ...]  # (target, first 16 hex of the SHA-256 of its source)

    @property
    def owner_and_name(self) -> tuple[object, str]:
        return resolve(self.target)


# WeasyPrint's functions while installed: target → original
ORIGINAL: dict[str, Callable] = {}
_MISSING = object()


def resolve(target: str) -> tuple[object, str]:
    """'weasyprint.layout.inline:text_align' → (the module, 'text_align'); 'm:Cls.attr' → (Cls, 'attr')."""
    module, _, path = target.partition(":")
    owner = importlib.import_module(module)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, name


def fingerprint(target: str) -> str:
    """First 16 hex digits of the SHA-256 of WeasyPrint's source of `target` (its original when patched)."""
    function = ORIGINAL.get(target)
    if function is None:
        owner, name = resolve(target)
        function = getattr(owner, name)
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


INLINE = "weasyprint.layout.inline"
LINE_BREAK = "weasyprint.text.line_break"


def _original(target: str) -> Callable:
    return ORIGINAL[target]


# ------------------------------------------------------------------------------ the patches


def text_align(context, line, available_width, last):
    """Replaces weasyprint.layout.inline.text_align (horizontal alignment of a finished line).

    Why: items a layout marks `.line-end` (署名, 共印×份) go flush right on their block's last line,
    and the Han–Latin margin of an autospace span is removed at the start and end of a line (clreq:
    no space at line edges); then WeasyPrint aligns as usual."""
    spacing.flush_line_end_item(line, available_width, last)
    spacing.drop_edge_spacing(line)
    return _original(f"{INLINE}:text_align")(context, line, available_width, last)


def split_first_line(text, style, context, max_width, justification_spacing, is_line_start=True,
                     minimum=False):
    """Replaces weasyprint.layout.inline.split_first_line (first fit of one line of a text box).

    Why: Pango's UAX #14 breaking ends Chinese lines early where clreq allows more (before “, between
    ”“) and pushes a character down where the next line would start with a mark; this hangs the mark
    or breaks later, with push-in (breaking.first_line)."""
    return breaking.first_line(_original(f"{INLINE}:split_first_line"), text, style, context, max_width,
                               justification_spacing, is_line_start, minimum)


def justify_line(context, line, extra_width):
    """Replaces weasyprint.layout.inline.justify_line (spreads a line's slack over its spaces).

    Why: Chinese has no spaces; the slack goes to every boundary next to a CJK character
    (justification.mark_opportunities), through WeasyPrint's own add_word_spacing."""
    total = justification.mark_opportunities(line)
    if total:
        from weasyprint.layout import inline

        inline.add_word_spacing(context, line, extra_width / total, 0)


def count_expandable_spaces(box):
    """Replaces weasyprint.layout.inline.count_expandable_spaces (spaces of a box, for justification).

    Why: a text box marked by justify_line counts its CJK opportunities instead of its spaces, so
    add_word_spacing widens it by the right amount."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox) and hasattr(box, "bulletin_gaps"):
        return len(box.bulletin_gaps) + box.bulletin_trailing
    return _original(f"{INLINE}:count_expandable_spaces")(box)


def add_word_spacing(context, box, justification_spacing, x_advance):
    """Replaces weasyprint.layout.inline.add_word_spacing (widens boxes and re-creates their layouts).

    Why: the layout made for drawing must know where its opportunities are (set_text reads them)."""
    from weasyprint.formatting_structure import boxes

    result = _original(f"{INLINE}:add_word_spacing")(context, box, justification_spacing, x_advance)
    if isinstance(box, boxes.TextBox) and hasattr(box, "bulletin_gaps") and box.bulletin_gaps:
        box.pango_layout.bulletin_gaps = frozenset(box.bulletin_gaps)
    return result


def layout_set_text(self, text, justify=False):
    """Replaces weasyprint.text.line_break.Layout.set_text (text and spacing attributes of a layout).

    Why: justified Chinese boxes need letter-spacing at every opportunity, not only at spaces, and
    adjacent full-width marks share one blank (halt) — both as Pango attributes (glyphs)."""
    _original(f"{LINE_BREAK}:Layout.set_text")(self, text, justify)
    glyphs.adjust_attributes(self, justify)


def layout_get_first_line(self):
    """Replaces weasyprint.text.line_break.Layout.get_first_line (the laid-out line to draw).

    Why: for a layout set up for drawing, glyph x-offsets are moved into advances, which WeasyPrint
    writes exactly (glyphs.offsets_into_advances)."""
    first_line, index = _original(f"{LINE_BREAK}:Layout.get_first_line")(self)
    if getattr(self, "bulletin_draw", False):
        glyphs.offsets_into_advances(first_line)
    return first_line, index


_DRAW_FIRST_LINE = ("weasyprint.draw.text:draw_first_line", "1bb8eae6d88e71b1")
_GET_NEXT_LINEBOX = (f"{INLINE}:get_next_linebox", "67af458c2545e74f")

PATCHES: tuple[Patch, ...] = (
    # draw/text.py writes glyph adjustments as int(kerning): a module-level `int` there shadows the
    # builtin inside that module only (glyphs.ExactAdjustment).
    Patch("weasyprint.draw.text:int", glyphs.ExactAdjustment, (_DRAW_FIRST_LINE,)),
    Patch(f"{INLINE}:text_align", text_align,
          ((f"{INLINE}:text_align", "e953d41b87ccfc30"), _GET_NEXT_LINEBOX)),
    Patch(f"{INLINE}:split_first_line", split_first_line,
          ((f"{INLINE}:split_first_line", "39ad1016863ca34d"),
           (f"{INLINE}:split_text_box", "8c564329599ef23f"))),
    Patch(f"{INLINE}:justify_line", justify_line, ((f"{INLINE}:justify_line", "f83b21ff8793ba6b"),)),
    Patch(f"{INLINE}:count_expandable_spaces", count_expandable_spaces,
          ((f"{INLINE}:count_expandable_spaces", "175fe6f42576ed38"),)),
    Patch(f"{INLINE}:add_word_spacing", add_word_spacing,
          ((f"{INLINE}:add_word_spacing", "879516e71f1b80fa"),)),
    Patch(f"{LINE_BREAK}:Layout.set_text", layout_set_text,
          ((f"{LINE_BREAK}:Layout.set_text", "fe23ca9937dbf520"),)),
    Patch(f"{LINE_BREAK}:Layout.get_first_line", layout_get_first_line,
          ((f"{LINE_BREAK}:Layout.get_first_line", "bb65cbda0e27f135"), _DRAW_FIRST_LINE)),
)


# ------------------------------------------------------------------------------ installing

_checked = False


def check() -> None:
    """Raise WeasyPrintChanged unless the installed WeasyPrint is the code the patches were written
    against (version series and the fingerprint of every function they rely on)."""
    global _checked
    if _checked:
        return
    import weasyprint

    problems = []
    if not weasyprint.__version__.startswith(WEASYPRINT_SERIES):
        problems.append(f"WeasyPrint {weasyprint.__version__} (written for {WEASYPRINT_SERIES}x)")
    for patch in PATCHES:
        for target, expected in patch.relies_on:
            try:
                found = fingerprint(target)
            except (AttributeError, ImportError, OSError, TypeError):
                found = None
            if found != expected:
                problems.append(f"{target} changed (patch {patch.target})")
    if problems:
        raise WeasyPrintChanged("bulletin's Chinese line composition cannot hook into this WeasyPrint: "
                                + "; ".join(dict.fromkeys(problems)))
    _checked = True


def installed() -> bool:
    return bool(ORIGINAL)


def install() -> None:
    """Hook Chinese line composition into WeasyPrint (idempotent)."""
    if ORIGINAL:
        return
    check()
    for patch in PATCHES:
        owner, name = patch.owner_and_name
        ORIGINAL[patch.target] = owner.__dict__.get(name, _MISSING)
        setattr(owner, name, patch.replacement)


def uninstall() -> None:
    """Put WeasyPrint back as it was (for comparisons with the plain engine)."""
    for patch in reversed(PATCHES):
        if patch.target not in ORIGINAL:
            continue
        owner, name = patch.owner_and_name
        original = ORIGINAL.pop(patch.target)
        if original is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, original)


def new_document() -> None:
    """Forget what the previous document left (call before each render)."""
    breaking.new_document()
