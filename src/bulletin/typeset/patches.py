"""Every function of WeasyPrint 70 that bulletin replaces, in one place.

Each patch is a module-level function below, named after the function it replaces, whose docstring
says what it replaces and why; `PATCHES` lists them with the WeasyPrint code each one relies on
and that code's fingerprint (SHA-256 of its source in WeasyPrint 70.0). `install()` refuses, with
`WeasyPrintChanged` naming the function, to patch a WeasyPrint whose code differs: an upgrade
fails loudly instead of setting pages silently wrong. The work itself lives in the sibling
modules; the patches only route to it. Three groups, installed apart:

- "composition": the Chinese line composition (plan, breaking, justification, lines, spacing,
  punctuation, glyphs); installed for each render that adjusts lines, removed for the plain engine.
- "grid": blocks back onto the line grid (blocklayout.py); installed by every render.
- "speed": what a warm process keeps between renders, and image names independent of the folder
  (speedups.py); installed once per process, with the font configuration.
- "engine": work the PDF writer repeats on every render — whole font files copied, the same font
  subsets deflated again (engine.py) — and the font files copied for Fontconfig by every new
  process (fontfiles.py); installed once per process with "speed". Like "speed" it
  changes no output byte, so it stays installed for renders without the composition too.
- "import": what WeasyPrint does when its library bindings (weasyprint.text.ffi) are imported —
  libraries looked for by find_library, C declarations parsed by pycparser (prebuilt.py). In place
  only during that one import, by `import_weasyprint()`, which this module runs before its
  siblings import WeasyPrint; their code is checked with the others' by `check()`, after it.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

from . import prebuilt

WEASYPRINT_SERIES = "70."


class WeasyPrintChanged(RuntimeError):
    pass


@dataclass(frozen=True)
class Patch:
    target: str  # "module:attribute" or "module:Class.attribute"
    replacement: object
    relies_on: tuple[tuple[str, str], ...]  # (target, first 16 hex of the SHA-256 of its source)
    group: str = "composition"  # one of GROUPS or "import" (see the module's docstring)

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
BLOCK = "weasyprint.layout.block"
GROUPS = ("composition", "grid", "speed", "engine")


def _original(target: str) -> Callable:
    return ORIGINAL[target]


# ------------------------------------------------------------------------------ the import patches


def find_library(name):
    """Replaces ctypes.util.find_library (the path of a library by its short name) while
    weasyprint.text.ffi is imported, on Linux.

    Why: for each library WeasyPrint tries a list of names in turn (“gobject-2.0-0”,
    “gobject-2.0”, “libgobject-2.0.so.0”, …) through cffi, which hands a name it cannot open
    directly to find_library (cffi.api._load_backend_lib); on Linux that runs `ldconfig`, `gcc`
    and `ld` (54 processes, ~0.15–0.4 s of a ~1.3 s build). Every list also holds the library's
    soname (“libgobject-2.0.so.0”), which the dynamic loader opens itself: with find_library
    answering “not found” the same libraries load by that name. If one is then missing,
    import_weasyprint imports WeasyPrint again the usual way."""
    return None


_FOR_IMPORT: list = []  # the prebuilt FFI that cffi_ffi hands out during the import, if any


def cffi_ffi(*args, **kwargs):
    """Replaces cffi.FFI (the class of in-line FFIs) while weasyprint.text.ffi is imported, which
    runs `ffi = cffi.FFI()`, then `ffi.cdef(…)` with its C declarations, then `ffi.dlopen(…)` for
    each library.

    Why: cffi.FFI parses those declarations with pycparser in every process, and every C type
    string on its first use (~0.1 s of each cold process). The FFI given instead is prebuilt from
    the same declarations (prebuilt.PrebuiltFFI, kept in the cache folder): its `cdef` accepts
    them again without parsing, it opens the same libraries by the same names and flags, and it
    parses type strings in C. With no prebuilt module yet, WeasyPrint gets its own in-line FFI,
    which records the declarations for the module written after the import."""
    if _FOR_IMPORT:
        return _FOR_IMPORT.pop()
    return prebuilt.recording_ffi()


def fonttools_subset():
    """Replaces fontTools.subset (the module weasyprint/pdf/fonts.py imports when WeasyPrint is
    imported: `from fontTools import subset`) by the same module loaded on first use
    (importlib.util.LazyLoader; `defer_module`). Unlike the other import patches it stays: it is
    the module itself, in sys.modules for whoever imports it next.

    Why: importing it costs ~65 ms of every process that imports WeasyPrint, which uses it only to
    subset fonts without HarfBuzz-subset (Font._fonttools_subset) — never where HarfBuzz-subset is
    installed, as bulletin's installation makes sure (resources.harfbuzz_subsetting)."""
    return defer_module("fontTools.subset")


def defer_module(name: str):
    """Put a module that loads itself on first use in sys.modules (and on its package) unless it
    is imported already; the module, or None when it cannot be found."""
    import importlib.util

    if name in sys.modules:
        return sys.modules[name]
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.loader is None:
        return None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)  # only notes what to run on first use
    package, _, attribute = name.rpartition(".")
    if package:
        setattr(sys.modules[package], attribute, module)
    return module


IMPORT_PATCHES: tuple[Patch, ...] = (
    Patch("ctypes.util:find_library", find_library,
          (("cffi.api:_load_backend_lib", "6dd2d8c9061e7e9a"), ("weasyprint.text.ffi:_dlopen", "9ab3167cbc804871")),
          "import"),
    # the whole of weasyprint/text/ffi.py: its module code calls cffi.FFI, cdef and _dlopen
    Patch("cffi:FFI", cffi_ffi,
          (("weasyprint.text:ffi", "530e83118f7841d2"), ("weasyprint.text.ffi:_dlopen", "9ab3167cbc804871"),
           ("cffi.api:_load_backend_lib", "6dd2d8c9061e7e9a"), ("cffi.api:FFI.dlopen", "4f6cd544640a87d1")),
          "import"),
    # the whole of weasyprint/pdf/fonts.py: what it imports from fontTools and where it uses subset
    Patch("fontTools:subset", fonttools_subset, (("weasyprint.pdf:fonts", "9ad9a202a416b845"),), "import"),
)
DEFERRED = (fonttools_subset,)  # import patches made once for good (import_weasyprint), not around the import


@contextmanager
def _import_patches(linux: bool):
    """The import patches in place for one import (find_library only on Linux), then put back."""
    saved = []
    try:
        for patch in IMPORT_PATCHES:
            if (patch.replacement is find_library and not linux) or patch.replacement in DEFERRED:
                continue
            owner, name = patch.owner_and_name
            saved.append((owner, name, owner.__dict__.get(name, _MISSING)))
            setattr(owner, name, patch.replacement)
        yield
    finally:
        for owner, name, original in reversed(saved):
            if original is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


def _import_bindings(ffi) -> tuple[object, BaseException | None]:
    """Import weasyprint.text.ffi with the import patches (handing out `ffi` if not None): its
    module's ffi, or None and the error, with every WeasyPrint module forgotten again."""
    import contextlib
    import io

    _FOR_IMPORT[:] = [] if ffi is None else [ffi]
    try:
        with _import_patches(sys.platform.startswith("linux")):
            with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint prints why a library is missing
                import weasyprint.text.ffi as bindings
        return bindings.ffi, None
    except Exception as error:  # noqa: BLE001 - WeasyPrint is then imported again the usual way
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        return None, error
    finally:
        _FOR_IMPORT.clear()


def import_weasyprint() -> None:
    """Import WeasyPrint's library bindings with the import patches in place: the prebuilt FFI when
    the cache folder has it, else WeasyPrint's own FFI and the prebuilt module written after. When
    that fails (a library only find_library finds, a prebuilt FFI that does not serve), every
    WeasyPrint module is forgotten and the next `import weasyprint` is the usual one. Only when
    WeasyPrint is not imported yet and no other thread could meanwhile use what is replaced."""
    import threading

    if "weasyprint.text.ffi" in sys.modules or threading.active_count() > 1:
        return
    for deferred in DEFERRED:
        deferred()
    key = prebuilt.expected_key()
    ffi = prebuilt.load(key)
    made, error = _import_bindings(ffi)
    if ffi is not None and made is None and not isinstance(error, OSError):
        made, error = _import_bindings(None)  # with WeasyPrint's own FFI
    if made is not None and not isinstance(made, prebuilt.PrebuiltFFI):
        prebuilt.store(getattr(made, "recorded", []), key)


import_weasyprint()  # before the modules below import WeasyPrint

from . import blocklayout, engine, fontfiles, glyphs, lines, measure, plan, settings, speedups  # noqa: E402

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


def block_container_layout(context, box, bottom_space, skip_stack, page_is_empty, absolute_boxes, fixed_boxes,
                           adjoining_margins, first_letter_style, first_line_style, discard, max_lines):
    """Replaces weasyprint.layout.block.block_container_layout (lays out a block container's
    children, here: the root box on each page).

    Why: the line grid of a grid layout starts at the top of the page's content area, which only
    this call knows (blocklayout.note_page_top); the layout itself is WeasyPrint's."""
    blocklayout.note_page_top(context, box)
    return _original(f"{BLOCK}:block_container_layout")(
        context, box, bottom_space, skip_stack, page_is_empty, absolute_boxes, fixed_boxes,
        adjoining_margins, first_letter_style, first_line_style, discard, max_lines)


def block_level_layout(context, box, bottom_space, skip_stack, containing_block, page_is_empty=True,
                       absolute_boxes=None, fixed_boxes=None, adjoining_margins=None,
                       first_letter_style=None, first_line_style=None, discard=False, max_lines=None):
    """Replaces weasyprint.layout.block.block_level_layout (lays out one block-level box).

    Why: a picture or a table has the height it has and would push the text after it off the line
    grid; a `snap` box grows to end on a grid line (blocklayout.snap), and WeasyPrint places the
    next box below it as usual."""
    result = _original(f"{BLOCK}:block_level_layout")(
        context, box, bottom_space, skip_stack, containing_block, page_is_empty, absolute_boxes,
        fixed_boxes, adjoining_margins, first_letter_style, first_line_style, discard, max_lines)
    blocklayout.snap(context, result[0], bottom_space)
    return result


def font_harfbuzz_subset(self, to_unicode, hinting):
    """Replaces weasyprint.pdf.fonts.Font._harfbuzz_subset (the font bytes embedded in the PDF: a
    subset of the glyphs a document uses).

    Why: a warm process re-renders with the same glyph sets (preview --watch, batch workers); the
    subsets are kept, bounded (speedups.cached_subset). Same bytes with and without the cache."""
    speedups.cached_subset(_original("weasyprint.pdf.fonts:Font._harfbuzz_subset"), self, to_unicode, hinting)


def original_get_image_from_uri(*args, **kwargs):
    """Replaces weasyprint.document.original_get_image_from_uri (images.get_image_from_uri, which the
    document calls for every image).

    Why: WeasyPrint names a raster image in the PDF after its absolute URL, so the same issue in
    another folder gave other bytes; the name is made from the path relative to the allowed
    folders instead (speedups.relative_image_ids)."""
    return speedups.relative_image_ids(_original("weasyprint.document:original_get_image_from_uri"), *args, **kwargs)


def get_hb_object_data(hb_object, ot_color=None, glyph=None):
    """Replaces weasyprint.pdf.fonts.get_hb_object_data (the whole file of a HarfBuzz face, copied
    into Python bytes, as the PDF writer's Font asks for it; or a colour glyph's image).

    Why: Font.__init__ copied every font file whole on every render (56 MB with the project's
    fonts) though a subset font never needs the copy; the file is handed over uncopied and copied
    only when font.file_content is read (engine.deferred_face_data, engine.font_file_content)."""
    return engine.deferred_face_data(hb_object, ot_color, glyph)


def add_font_face(self, rule_descriptors, url_fetcher):
    """Replaces weasyprint.text.fonts.FontConfiguration.add_font_face (an @font-face rule's file
    registered with Fontconfig, from a copy in a temporary folder).

    Why: every new process copied the project's font files (56 MB read and written, ~0.16 s of a
    cold build); the copy is now a link to the same file (fontfiles.add_linked)."""
    return fontfiles.add_linked(_original(f"{_TEXT_FONTS}:FontConfiguration.add_font_face"), self,
                                rule_descriptors, url_fetcher)


def fetch(url_fetcher, url):
    """Replaces weasyprint.text.fonts.fetch (weasyprint.urls.fetch as add_font_face sees it: the
    response for a font file's URL).

    Why: while add_font_face links font files, an allowed local font file is answered with its
    path and first bytes instead of its 13 MB of bytes (fontfiles.fetch_linkable)."""
    return fontfiles.fetch_linkable(_original(f"{_TEXT_FONTS}:fetch"), url_fetcher, url)


_TEXT_FONTS = "weasyprint.text.fonts"
_ADD_FONT_FACE = (f"{_TEXT_FONTS}:FontConfiguration.add_font_face", "e4fcfcc36ed8c310")
_PDF_FONTS = "weasyprint.pdf.fonts"
# what reads or writes Font.file_content (methods, not the whole class: fingerprinting a class
# parses its whole module, ~15 ms a process)
_FONT_CLASS = ((f"{_PDF_FONTS}:Font.__init__", "1f281166b10302a4"), (f"{_PDF_FONTS}:Font.clean", "794f0211f18453f1"),
               (f"{_PDF_FONTS}:Font.subset", "61ed6bc2e9a7e43a"),
               (f"{_PDF_FONTS}:Font._harfbuzz_subset", "f80805663ede8080"),
               (f"{_PDF_FONTS}:Font.type", "31376bf9b326ac58"))
_BUILD_FONTS = (f"{_PDF_FONTS}:build_fonts_dictionary", "fc551bef35d0d6c3")
_DRAW_FIRST_LINE = ("weasyprint.draw.text:draw_first_line", "1bb8eae6d88e71b1")
_GET_NEXT_LINEBOX = (f"{INLINE}:get_next_linebox", "67af458c2545e74f")
_SPLIT_INLINE_LEVEL = (f"{INLINE}:split_inline_level", "d98c008c8fc00582")

PATCHES: tuple[Patch, ...] = (
    *IMPORT_PATCHES,
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
    # grid: _in_flow_layout lays children out through block_level_layout and places the next one
    # below the border box; block_box_layout calls block_container_layout
    Patch(f"{BLOCK}:block_container_layout", block_container_layout,
          ((f"{BLOCK}:block_container_layout", "65842ca53a8391eb"), (f"{BLOCK}:block_box_layout", "a6279066e3d9ff7d")),
          "grid"),
    Patch(f"{BLOCK}:block_level_layout", block_level_layout,
          ((f"{BLOCK}:block_level_layout", "c1301dde9284e245"), (f"{BLOCK}:_in_flow_layout", "c2537262836dd981")),
          "grid"),
    # speed: the subset sets self.file_content; images name a RasterImage by self.id = md5(url)
    Patch("weasyprint.pdf.fonts:Font._harfbuzz_subset", font_harfbuzz_subset,
          (("weasyprint.pdf.fonts:Font._harfbuzz_subset", "f80805663ede8080"),), "speed"),
    Patch("weasyprint.document:original_get_image_from_uri", original_get_image_from_uri,
          (("weasyprint.document:original_get_image_from_uri", "07bdb0c0e3fd5b83"),
           ("weasyprint.images:get_image_from_uri", "07bdb0c0e3fd5b83"),
           ("weasyprint.images:RasterImage.__init__", "f2f27bf6bb9cf72b")), "speed"),
    # engine (engine.py): the font file is read through get_hb_object_data by what reads or writes
    # Font.file_content; the fonts dictionary is written with pydyf.Stream
    Patch(f"{_PDF_FONTS}:get_hb_object_data", get_hb_object_data,
          ((f"{_PDF_FONTS}:get_hb_object_data", "03040a623df04c2b"), *_FONT_CLASS), "engine"),
    Patch(f"{_PDF_FONTS}:Font.file_content", engine.font_file_content, (*_FONT_CLASS, _BUILD_FONTS), "engine"),
    Patch(f"{_PDF_FONTS}:pydyf", engine.fonts_pydyf, (_BUILD_FONTS, ("pydyf:Stream.data", "bdc2bc513f286de7")),
          "engine"),
    # engine (fontfiles.py): add_font_face fetches the file (fetch), looks at its first 3 bytes and
    # writes it with font_path.write_bytes, font_path being a path in self._folder
    Patch(f"{_TEXT_FONTS}:FontConfiguration.add_font_face", add_font_face, (_ADD_FONT_FACE,), "engine"),
    Patch(f"{_TEXT_FONTS}:fetch", fetch, (_ADD_FONT_FACE, ("weasyprint.urls:fetch", "a0b61dca95970b6d")), "engine"),
)


# ------------------------------------------------------------------------------ installing

_checked = False
CHECKED_PACKAGES = ("weasyprint", "pydyf", "cffi")  # the code the patches rely on (relies_on's modules)


def install_stamp(packages: tuple[str, ...] = CHECKED_PACKAGES) -> str:
    """The installed code the check reads, by file name, size and time (every .py file of each
    package; a stat each, no reading), with the fingerprints the patches expect: a check that
    passed for one stamp passes again for it. Any edit, upgrade or reinstall makes another stamp."""
    import os

    h = hashlib.sha256(repr((WEASYPRINT_SERIES, sorted({r for p in PATCHES for r in p.relies_on}))).encode())
    for package in packages:
        module = importlib.import_module(package)
        h.update(f"{package}\0{getattr(module, '__version__', '')}\n".encode())
        if hasattr(module, "__path__"):
            files = []
            for folder in module.__path__:
                for dirpath, dirnames, filenames in os.walk(folder):
                    dirnames[:] = [d for d in dirnames if d != "__pycache__"]
                    files += [os.path.join(dirpath, f) for f in filenames if f.endswith(".py")]
        else:
            files = [module.__file__]
        for path in sorted(files):
            st = os.stat(path)
            h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def _checked_marker():
    """The file that says the check passed for this install (user's cache folder), or None."""
    from ..resources import cache_dir

    try:
        return cache_dir() / f"patches-checked-{install_stamp()}"
    except (ImportError, OSError, TypeError):
        return None


def check() -> None:
    """Raise WeasyPrintChanged unless the installed WeasyPrint is the code the patches were written
    against (version series and the fingerprint of every function they rely on). Fingerprinting
    reads and tokenises the source of 31 functions (~40 ms of every cold build): once it passed,
    a marker named by install_stamp() says so, and the same files are not fingerprinted again."""
    global _checked
    if _checked:
        return
    marker = _checked_marker()
    if marker is not None and marker.is_file():
        _checked = True
        return
    _fingerprint_all()
    _checked = True
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_bytes(b"")
        except OSError:
            pass  # a read-only home only costs time


def _fingerprint_all() -> None:
    import weasyprint

    problems = []
    if not weasyprint.__version__.startswith(WEASYPRINT_SERIES):
        problems.append(f"WeasyPrint {weasyprint.__version__} (written for {WEASYPRINT_SERIES}x)")
    found_by_target: dict[str, str | None] = {}  # several patches rely on the same function
    for patch in PATCHES:
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
        raise WeasyPrintChanged("bulletin's patches cannot hook into this WeasyPrint: "
                                + "; ".join(dict.fromkeys(problems)))


def installed(group: str = "composition") -> bool:
    return any(patch.target in ORIGINAL for patch in PATCHES if patch.group == group)


def install(group: str = "composition") -> None:
    """Hook a group of patches into WeasyPrint (idempotent): by default the Chinese line composition."""
    assert group in GROUPS, group  # not "import": those are in place during the one import only
    if installed(group):
        return
    check()
    for patch in PATCHES:
        if patch.group != group:
            continue
        owner, name = patch.owner_and_name
        ORIGINAL[patch.target] = owner.__dict__.get(name, _MISSING)
        setattr(owner, name, patch.replacement)


def uninstall(group: str = "composition") -> None:
    """Put WeasyPrint back as it was for a group (by default: for comparisons with the plain engine)."""
    for patch in reversed(PATCHES):
        if patch.group != group or patch.target not in ORIGINAL:
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
