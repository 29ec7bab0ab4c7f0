"""Every function of WeasyPrint 70 that bulletin replaces, in one place.

Each patch is a module-level function below, named after the function it replaces, whose docstring
says what it replaces and why; `PATCHES` lists them with the WeasyPrint code each one relies on
and that code's fingerprint (SHA-256 of its source in WeasyPrint 70.0). `install()` refuses, with
`WeasyPrintChanged` naming the function, to patch a WeasyPrint whose code differs: an upgrade
fails loudly instead of setting pages silently wrong. The composition itself lives in the sibling
modules (plan, breaking, justification, lines, spacing, punctuation, glyphs); the patches only
route to it.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass
from typing import Callable

from . import engine, glyphs, lines, measure, plan, settings

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
    function = ORIGINAL.get(target, ENGINE_ORIGINAL.get(target))
    if function is _MISSING:
        function = None
    if function is None:
        owner, name = resolve(target)
        function = getattr(owner, name)
    if isinstance(function, property):
        function = function.fget
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


INLINE = "weasyprint.layout.inline"
LINE_BREAK = "weasyprint.text.line_break"


def _original(target: str) -> Callable:
    return ORIGINAL[target]


# ------------------------------------------------------------------------------ the patches


def split_inline_box(context, box, position_x, max_x, *args):
    """Replaces weasyprint.layout.inline.split_inline_box (fits the content of a line box or an
    inline box into the width left, first fit).

    Why: a Chinese justified paragraph is broken as a whole (total fit, plan.py): for its line box
    this ends each line at the planned break; every other call goes to WeasyPrint unchanged."""
    return plan.split_line(_original(f"{INLINE}:split_inline_box"), context, box, position_x, max_x, *args)


def split_text_box(context, box, available_width, skip, is_line_start=True):
    """Replaces weasyprint.layout.inline.split_text_box (cuts one text box at Pango's first fit).

    Why: in a planned line the box is cut where the plan says, and every box made remembers the
    text it was cut from, so the line can be measured exactly (plan.split_text)."""
    return plan.split_text(_original(f"{INLINE}:split_text_box"), context, box, available_width, skip,
                           is_line_start)


def text_align(context, line, available_width, last):
    """Replaces weasyprint.layout.inline.text_align (horizontal alignment of a finished line; it
    justifies only at spaces).

    Why: a line of Chinese justified text is set by the composition (lines.align: compress before
    stretch, line-end marks, Han–Latin spaces, flush-right 署名); other lines get the line-edge
    rules and WeasyPrint's own alignment."""
    return lines.align(context, line, available_width, last, _original(f"{INLINE}:text_align"))


def line_box_verticality(box):
    """Replaces weasyprint.layout.inline.line_box_verticality (the height of a line from its boxes).

    Why: a footnote anchor (the 报送 block), a 署名 or a character from the fallback font (other
    ascent and descent) made their line taller than the others; a composed line keeps its
    paragraph's pitch (lines.verticality)."""
    return lines.verticality(_original(f"{INLINE}:line_box_verticality"), box)


def layout_set_text(self, text, justify=False):
    """Replaces weasyprint.text.line_break.Layout.set_text (text and spacing attributes of a layout).

    Why: a composed text box is drawn without letter-spacing (its glyph advances are set exactly);
    adjacent full-width marks in other Chinese text share one blank through `halt`; where the font
    chain has a face without a space (the extension faces), each run of spaces is a Pango run of
    its own, so it is set in the text's own face, not drawn as .notdef by the face of the
    character before it (glyphs.before_set_text, after_set_text, space_runs)."""
    glyphs.before_set_text(self)
    _original(f"{LINE_BREAK}:Layout.set_text")(self, text, justify)
    glyphs.after_set_text(self, justify)


def layout_get_first_line(self):
    """Replaces weasyprint.text.line_break.Layout.get_first_line (the laid-out line to draw).

    Why: for drawing, a composed box's glyphs get the advances the composition computed
    (glyphs.set_advances), and x-offsets are moved into advances, which WeasyPrint writes exactly."""
    first_line, index = _original(f"{LINE_BREAK}:Layout.get_first_line")(self)
    if getattr(self, "bulletin_draw", False):
        glyphs.set_advances(first_line, self)
        glyphs.offsets_into_advances(first_line)
    return first_line, index


_DRAW_FIRST_LINE = ("weasyprint.draw.text:draw_first_line", "1bb8eae6d88e71b1")
_GET_NEXT_LINEBOX = (f"{INLINE}:get_next_linebox", "67af458c2545e74f")
_SPLIT_INLINE_LEVEL = (f"{INLINE}:split_inline_level", "d98c008c8fc00582")

PATCHES: tuple[Patch, ...] = (
    # draw/text.py writes glyph adjustments as int(kerning): a module-level `int` there shadows the
    # builtin inside that module only (glyphs.ExactAdjustment).
    Patch("weasyprint.draw.text:int", glyphs.ExactAdjustment, (_DRAW_FIRST_LINE,)),
    Patch(f"{INLINE}:split_inline_box", split_inline_box,
          ((f"{INLINE}:split_inline_box", "3a0cb7ca7e34c7ef"), _GET_NEXT_LINEBOX, _SPLIT_INLINE_LEVEL,
           (f"{INLINE}:skip_first_whitespace", "deb2f1a5e2a6c035"),
           (f"{INLINE}:iter_line_boxes", "04aec48abfcad809"))),
    Patch(f"{INLINE}:split_text_box", split_text_box,
          ((f"{INLINE}:split_text_box", "8c564329599ef23f"), _SPLIT_INLINE_LEVEL,
           (f"{INLINE}:remove_last_whitespace", "53f0c79c9fbbda50"),
           # plan._deactivated_layout makes a Layout as these leave it
           (f"{LINE_BREAK}:Layout.__init__", "c17d3975d808536e"), (f"{LINE_BREAK}:Layout.set_text", "fe23ca9937dbf520"),
           (f"{LINE_BREAK}:Layout.deactivate", "bfec3ec8406e1c82"),
           (f"{LINE_BREAK}:Layout.reactivate", "0b89ee097104b713"))),
    Patch(f"{INLINE}:text_align", text_align, ((f"{INLINE}:text_align", "e953d41b87ccfc30"), _GET_NEXT_LINEBOX)),
    Patch(f"{INLINE}:line_box_verticality", line_box_verticality,
          ((f"{INLINE}:line_box_verticality", "1018aadb3410f89a"),
           (f"{INLINE}:aligned_subtree_verticality", "2c53963af64fb316"), _GET_NEXT_LINEBOX)),
    Patch(f"{LINE_BREAK}:Layout.set_text", layout_set_text,
          ((f"{LINE_BREAK}:Layout.set_text", "fe23ca9937dbf520"),
           (f"{LINE_BREAK}:Layout.reactivate", "0b89ee097104b713"))),
    Patch(f"{LINE_BREAK}:Layout.get_first_line", layout_get_first_line,
          ((f"{LINE_BREAK}:Layout.get_first_line", "bb65cbda0e27f135"), _DRAW_FIRST_LINE)),
)


# Work the PDF writer repeats on every render (engine.py). Unlike the composition above these
# change no output, so they stay installed for every render, `adjust=False` included.
_PDF_FONTS = "weasyprint.pdf.fonts"
# what reads or writes Font.file_content (methods, not the whole class: fingerprinting a class
# parses its whole module, ~15 ms a process)
_FONT_CLASS = ((f"{_PDF_FONTS}:Font.__init__", "1f281166b10302a4"), (f"{_PDF_FONTS}:Font.clean", "794f0211f18453f1"),
               (f"{_PDF_FONTS}:Font.subset", "61ed6bc2e9a7e43a"),
               (f"{_PDF_FONTS}:Font._harfbuzz_subset", "f80805663ede8080"),
               (f"{_PDF_FONTS}:Font.type", "31376bf9b326ac58"))
_BUILD_FONTS = (f"{_PDF_FONTS}:build_fonts_dictionary", "fc551bef35d0d6c3")

ENGINE: tuple[Patch, ...] = (
    Patch(f"{_PDF_FONTS}:get_hb_object_data", engine.deferred_face_data,
          ((f"{_PDF_FONTS}:get_hb_object_data", "03040a623df04c2b"), *_FONT_CLASS)),
    Patch(f"{_PDF_FONTS}:Font.file_content", engine.font_file_content, (*_FONT_CLASS, _BUILD_FONTS)),
    Patch(f"{_PDF_FONTS}:pydyf", engine.fonts_pydyf, (_BUILD_FONTS, ("pydyf:Stream.data", "bdc2bc513f286de7"))),
)
ENGINE_ORIGINAL: dict[str, object] = {}


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
    found_by_target: dict[str, str | None] = {}  # several patches rely on the same function
    for patch in PATCHES + ENGINE:
        for target, expected in patch.relies_on:
            if target not in found_by_target:
                try:
                    found_by_target[target] = fingerprint(target)
                except (AttributeError, ImportError, OSError, TypeError):
                    found_by_target[target] = None
            found = found_by_target[target]
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


def install_engine() -> None:
    """Install the PDF writer's savings (ENGINE; idempotent, checked like the composition)."""
    if ENGINE_ORIGINAL:
        return
    check()
    for patch in ENGINE:
        owner, name = patch.owner_and_name
        ENGINE_ORIGINAL[patch.target] = owner.__dict__.get(name, _MISSING)
        setattr(owner, name, patch.replacement)


def uninstall_engine() -> None:
    """Put the PDF writer back as it was (tests compare the bytes with and without)."""
    for patch in reversed(ENGINE):
        if patch.target not in ENGINE_ORIGINAL:
            continue
        owner, name = patch.owner_and_name
        original = ENGINE_ORIGINAL.pop(patch.target)
        if original is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, original)


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
    plan.new_document()
    measure.new_document()
    settings.new_document()
