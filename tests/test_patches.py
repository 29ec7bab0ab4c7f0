"""Each WeasyPrint patch of the registry (typeset/patches.py) on its own: installed in place of the
function it names and removed again, and what it does with a call, with WeasyPrint's original
replaced by a recording stand-in. Their effect on whole documents is tested with the composition
(test_composition, test_typography), the grid (test_block_units) and the warm process (test_build,
test_cluster). Also: no function of typeset/ is longer than MAX_FUNCTION_LINES."""
from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from bulletin.typeset import blocklayout, glyphs, lines, patches, plan, speedups

TYPESET = Path(__file__).resolve().parents[1] / "src" / "bulletin" / "typeset"
MAX_FUNCTION_LINES = 80


def test_no_function_in_typeset_is_longer_than_80_lines():
    long = []
    for path in sorted(TYPESET.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.name}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def test_the_registry_is_the_only_place_that_replaces_weasyprint_functions():
    """No module of typeset/ but patches.py assigns to an attribute of a weasyprint module."""
    for path in sorted(TYPESET.glob("*.py")):
        if path.name == "patches.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        weasy = {alias.asname or alias.name.split(".")[-1] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("weasyprint")
                 for alias in node.names}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    base = target
                    while isinstance(base, ast.Attribute):
                        base = base.value
                    if isinstance(target, ast.Attribute) and isinstance(base, ast.Name):
                        assert base.id not in weasy, f"{path.name}:{node.lineno} patches {ast.unparse(target)}"


@pytest.mark.parametrize("patch", [p for p in patches.PATCHES if p.group != "import"], ids=lambda patch: patch.target)
def test_each_patch_installs_in_place_and_uninstalls(patch):
    owner, name = patches.resolve(patch.target)
    was = patches.installed(patch.group)
    try:
        patches.uninstall(patch.group)
        original = owner.__dict__.get(name)
        assert original is not patch.replacement
        patches.install(patch.group)
        assert getattr(owner, name) is patch.replacement
        if original is not None:
            assert patches.ORIGINAL[patch.target] is original
        patches.uninstall(patch.group)
        assert owner.__dict__.get(name) is original and patch.target not in patches.ORIGINAL
    finally:
        if was:
            patches.install(patch.group)


@pytest.fixture
def stand_in(monkeypatch):
    """Replace WeasyPrint's original of a target by a stand-in that records its calls."""
    calls = []

    def replace(target, result=None):
        def original(*args, **kwargs):
            calls.append((args, kwargs))
            return result(*args, **kwargs) if callable(result) else result

        monkeypatch.setitem(patches.ORIGINAL, target, original)
        return calls

    return replace


def test_split_inline_box_passes_other_boxes_to_weasyprint(stand_in):
    calls = stand_in(f"{patches.INLINE}:split_inline_box", "weasyprint's")
    context = SimpleNamespace(excluded_shapes=[])
    box = object()  # not a line box: none of the composition's business
    assert patches.split_inline_box(context, box, 0, 100, 0, None, None, False) == "weasyprint's"
    assert calls == [((context, box, 0, 100, 0, None, None, False), {})]


def test_split_text_box_passes_unplanned_boxes_to_weasyprint(stand_in, monkeypatch):
    monkeypatch.setattr(plan, "current", [None])  # no planned line
    box = SimpleNamespace(text="文字")
    calls = stand_in(f"{patches.INLINE}:split_text_box", lambda *args: (box, None, None, 0, 0, 0))
    patches.split_text_box("context", box, 50.0, None, True)
    assert calls and calls[0][0][:4] == ("context", box, 50.0, None)


def test_text_align_routes_to_the_composition(stand_in, monkeypatch):
    seen = []
    monkeypatch.setattr(lines, "align", lambda context, line, width, last, original: seen.append(
        (context, line, width, last, original)) or 7.0)
    stand_in(f"{patches.INLINE}:text_align")
    assert patches.text_align("context", "line", 300.0, True) == 7.0
    assert seen == [("context", "line", 300.0, True, patches.ORIGINAL[f"{patches.INLINE}:text_align"])]


def test_line_box_verticality_keeps_other_lines_as_weasyprint_measures_them(stand_in):
    calls = stand_in(f"{patches.INLINE}:line_box_verticality", (30.0, -2.0))
    box = SimpleNamespace()  # no bulletin_pitch: not a line of Chinese text
    assert patches.line_box_verticality(box) == (30.0, -2.0)
    assert calls == [((box,), {})]


def test_layout_set_text_wraps_weasyprint_between_the_glyph_hooks(stand_in, monkeypatch):
    order = []
    monkeypatch.setattr(glyphs, "before_set_text", lambda layout: order.append("before"))
    monkeypatch.setattr(glyphs, "after_set_text", lambda layout, justify: order.append(("after", justify)))
    stand_in(f"{patches.LINE_BREAK}:Layout.set_text", lambda self, text, justify: order.append(("set", text)))
    patches.layout_set_text("layout", "文字", justify=True)
    assert order == ["before", ("set", "文字"), ("after", True)]


def test_layout_get_first_line_changes_only_composed_boxes(stand_in, monkeypatch):
    stand_in(f"{patches.LINE_BREAK}:Layout.get_first_line", ("line", 3))
    touched = []
    monkeypatch.setattr(glyphs, "set_advances", lambda line, layout: touched.append("advances"))
    monkeypatch.setattr(glyphs, "offsets_into_advances", lambda line: touched.append("offsets"))
    assert patches.layout_get_first_line(SimpleNamespace()) == ("line", 3) and touched == []
    assert patches.layout_get_first_line(SimpleNamespace(bulletin_draw=True)) == ("line", 3)
    assert touched == ["advances", "offsets"]


def test_draw_int_keeps_the_exact_adjustment():
    value = glyphs.ExactAdjustment(-12.3456)
    assert int(value) == -12 and f"{value}" == "-12.346"


def test_block_container_layout_notes_the_page_top_of_the_root_box(stand_in):
    calls = stand_in(f"{patches.BLOCK}:block_container_layout", "laid out")
    context = SimpleNamespace()
    root = SimpleNamespace(is_for_root_element=True, content_box_y=lambda: 56.7)
    args = (None, False, [], [], [], None, None, False, None)
    assert patches.block_container_layout(context, root, 0, *args) == "laid out"
    assert context.bulletin_page_top == 56.7 and calls == [((context, root, 0, *args), {})]
    other = SimpleNamespace(is_for_root_element=False)
    fresh = SimpleNamespace()
    patches.block_container_layout(fresh, other, 0, *args)
    assert not hasattr(fresh, "bulletin_page_top")


def test_block_level_layout_snaps_a_marked_box_to_the_grid(stand_in, monkeypatch):
    box = SimpleNamespace(element=None, element_tag=None, height=95.0)
    stand_in(f"{patches.BLOCK}:block_level_layout", (box, None, None, [], False, None))
    context = SimpleNamespace(bulletin_page_top=100.0, page_bottom=1000.0)
    patches.block_level_layout(context, "box", 0, None, None)
    assert box.height == 95.0  # not marked `snap`: as WeasyPrint laid it out
    monkeypatch.setattr(blocklayout, "_classes", lambda b: ["snap"])
    monkeypatch.setattr(blocklayout, "grid_pitch", lambda style: 30.0)
    box.style = {}
    box.border_box_y = lambda: 100.0
    box.border_height = lambda: box.height
    result = patches.block_level_layout(context, "box", 0, None, None)
    assert result[0] is box and box.height == pytest.approx(120.0)  # 95 → the next grid line


def test_font_subsets_are_computed_once(stand_in, monkeypatch, tmp_path):
    monkeypatch.setattr(speedups, "_cache", type(speedups._cache)())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing kept on disk by an earlier run

    def subset(font, to_unicode, hinting):
        font.file_content = b"subset of " + font.file_content

    calls = stand_in("weasyprint.pdf.fonts:Font._harfbuzz_subset", subset)

    def font():
        return SimpleNamespace(file_content=b"font bytes", hash="h", index=0, missing={})

    first, second = font(), font()
    patches.font_harfbuzz_subset(first, {1: "一", 2: "二"}, False)
    patches.font_harfbuzz_subset(second, {2: "二", 1: "一"}, False)
    assert first.file_content == second.file_content == b"subset of font bytes" and len(calls) == 1
    patches.font_harfbuzz_subset(font(), {1: "一"}, False)  # another glyph set: computed
    assert len(calls) == 2
    monkeypatch.setattr(speedups, "_cache", type(speedups._cache)())  # a new process: from the disk
    third = font()
    patches.font_harfbuzz_subset(third, {2: "二", 1: "一"}, False)
    assert third.file_content == b"subset of font bytes" and len(calls) == 2


def test_image_ids_do_not_depend_on_the_folder(stand_in, tmp_path):
    from weasyprint.images import RasterImage

    def get_image_from_uri(cache, url_fetcher, options, url, forced_mime_type=None, context=None,
                           orientation="from-image"):
        image = RasterImage.__new__(RasterImage)
        image.id = "absolute"
        return image

    stand_in("weasyprint.document:original_get_image_from_uri", get_image_from_uri)
    patches.ORIGINAL["weasyprint.document:original_get_image_from_uri"].__signature__ = \
        __import__("inspect").signature(get_image_from_uri)
    ids = [patches.original_get_image_from_uri(cache={}, url_fetcher=SimpleNamespace(roots=[tmp_path / root]),
                                               options={}, url=(tmp_path / root / "images" / "x.png").as_uri()).id
           for root in ("a", "b")]
    assert ids[0] == ids[1] != "absolute"


# ---------------------------------------------------------------- the import patches (prebuilt.py)


def test_the_import_patches_are_in_place_during_the_import_only():
    import ctypes.util

    import cffi

    find_library, ffi_class = ctypes.util.find_library, cffi.FFI
    with patches._import_patches(linux=True):
        assert ctypes.util.find_library is patches.find_library and cffi.FFI is patches.cffi_ffi
    assert ctypes.util.find_library is find_library and cffi.FFI is ffi_class
    with pytest.raises(OSError), patches._import_patches(linux=False):
        assert ctypes.util.find_library is find_library  # soname loading is for Linux only
        assert cffi.FFI is patches.cffi_ffi
        raise OSError("a library that cannot be opened")
    assert ctypes.util.find_library is find_library and cffi.FFI is ffi_class
    with pytest.raises(AssertionError):
        patches.install("import")


def test_find_library_answers_that_it_found_nothing():
    assert patches.find_library("c") is None and patches.find_library("pango-1.0") is None


def test_cffi_ffi_hands_out_the_prebuilt_ffi_once_then_an_ffi_that_records_its_declarations(monkeypatch):
    import cffi.api

    prebuilt_ffi = object()
    monkeypatch.setattr(patches, "_FOR_IMPORT", [prebuilt_ffi])
    assert patches.cffi_ffi() is prebuilt_ffi
    own = patches.cffi_ffi()
    assert isinstance(own, cffi.api.FFI)
    own.cdef("typedef int gint; gint g_answer (void);")
    assert own.recorded == [("typedef int gint; gint g_answer (void);", False, False, None)]
    assert own.typeof("gint").cname == "int"


def test_the_import_patches_are_checked_against_weasyprints_bindings(monkeypatch, tmp_path):
    """A WeasyPrint whose ffi.py differs (other module code around cffi.FFI) is refused, loudly."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no marker of an earlier passed check
    monkeypatch.setattr(patches, "_checked", False)
    real = patches.fingerprint
    moved = "weasyprint.text:ffi"
    monkeypatch.setattr(patches, "fingerprint", lambda target: "0" * 16 if target == moved else real(target))
    with pytest.raises(patches.WeasyPrintChanged, match="weasyprint.text:ffi changed .patch cffi:FFI"):
        patches.check()
