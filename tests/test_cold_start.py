"""What a fresh `bulletin build` process saves before typesetting (issue 17): WeasyPrint's
libraries opened by soname instead of through ctypes.util.find_library, WeasyPrint's C
declarations prebuilt instead of parsed by pycparser, and the caches that spare a cold process
work it did before. Each cache must be invalidated by a change of its input."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="soname loading is Linux only")

LIBRARIES = "sorted({line.split()[-1] for line in open('/proc/self/maps') if '.so' in line})"


def _run(code: str, cache: Path | None = None) -> str:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache)) if cache is not None else None
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def test_weasyprint_loads_the_same_libraries_without_find_library():
    ours = _run(f"""
import ctypes.util
calls = []
real = ctypes.util.find_library
ctypes.util.find_library = lambda name: calls.append(name) or real(name)
counting = ctypes.util.find_library
import bulletin.typeset
assert ctypes.util.find_library is counting  # put back
assert not calls, calls
print({LIBRARIES})
""")
    plain = _run(f"import weasyprint\nprint({LIBRARIES})")
    assert "libpango-1.0.so" in ours and ours == plain


def test_a_library_the_loader_cannot_open_by_soname_falls_back_to_find_library():
    ours = _run(f"""
import ctypes.util
import cffi.api
real = cffi.api._load_backend_lib
def load(backend, name, flags):
    if ctypes.util.find_library("c") is None and "pango" in name:  # while find_library is off
        raise OSError("not found by soname")
    return real(backend, name, flags)
cffi.api._load_backend_lib = load
import bulletin.typeset
import weasyprint.text.ffi
print({LIBRARIES})
""")
    assert "libpango-1.0.so" in ours and "pango" not in ours.split("[")[0]  # nothing printed before


# ---------------------------------------------------------------- WeasyPrint's C declarations, prebuilt

# what a process used: the class of WeasyPrint's ffi, whether pycparser was imported, the libraries
# of WeasyPrint's bindings it opened
BINDINGS = """
import sys
print(type(sys.modules["weasyprint.text.ffi"].ffi).__name__, "pycparser" in sys.modules,
      sorted({line.split()[-1] for line in open('/proc/self/maps')
              if '.so' in line and any(name in line for name in ('gobject', 'pango', 'harfbuzz', 'fontconfig'))}))
"""
RENDER = """
import hashlib
from bulletin.api import render
print(hashlib.sha256(render({sample!r}).pdf).hexdigest())
"""


def _prebuilt_files(cache: Path) -> list[Path]:
    return sorted((cache / "bulletin").glob("weasyprint-ffi-*.py"))


def test_the_prebuilt_ffi_is_made_on_first_use_and_then_used_without_pycparser(tmp_path):
    """Same libraries and the same PDF bytes with the prebuilt FFI as with WeasyPrint's own."""
    from .conftest import SAMPLE

    cache = tmp_path / "cache"
    first = _run("import bulletin.typeset" + BINDINGS, cache).split("\n")[0]
    assert first.startswith("RecordingFFI True ")  # WeasyPrint's own FFI, its declarations noted
    [made] = _prebuilt_files(cache)
    assert made.read_text(encoding="utf-8").startswith("# bulletin: weasyprint.text.ffi prebuilt")
    lines = _run(RENDER.format(sample=str(SAMPLE)) + BINDINGS, cache).split("\n")
    assert lines[1].startswith("PrebuiltFFI False ")  # a whole render, and pycparser never imported
    assert "libpangoft2-1.0.so" in first and lines[1].split(" ", 2)[2] == first.split(" ", 2)[2]  # same libraries
    assert _prebuilt_files(cache) == [made]
    unwritable = tmp_path / "a-file"
    unwritable.write_text("")  # a cache folder that cannot be made: WeasyPrint's own FFI every time
    own = _run(RENDER.format(sample=str(SAMPLE)) + BINDINGS, unwritable).split("\n")
    assert own[1].startswith("RecordingFFI True ")
    assert own[0] == lines[0]  # the same PDF bytes


def test_a_build_imports_weasyprints_bindings_through_the_patches_in_every_process(tmp_path):
    """`bulletin build ISSUE` typesets in prewarm.py's child: it too imports WeasyPrint the way
    bulletin does (soname, prebuilt FFI), so no process of the build imports pycparser."""
    from .conftest import SAMPLE

    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), BULLETIN_NO_DAEMON="1")
    command = [sys.executable, "-X", "importtime", "-m", "bulletin", "build", str(SAMPLE), "-o", str(tmp_path),
               "--force"]
    runs = [subprocess.run(command, capture_output=True, text=True, timeout=300, env=env) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], runs[-1].stderr[-2000:]
    imported = [{line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()
                 if line.startswith("import time:")} for run in runs]
    assert "pycparser" in imported[0] and "bulletin.typeset.prebuilt" in imported[0]  # the first makes the module
    assert "weasyprint.text.ffi" in imported[1] and "pycparser" not in imported[1]


def test_objects_freed_at_the_very_end_of_a_process_find_their_libraries_still_loaded(tmp_path):
    """A font map kept by a module cleared after WeasyPrint's (as in a pytest session) is unreffed
    by its ffi.gc destructor in the interpreter's last garbage collection: its library is still
    there (prebuilt.keep_loaded; it crashed with exit status -11)."""
    cache = tmp_path / "cache"
    _run("import bulletin.typeset", cache)
    assert _prebuilt_files(cache)
    out = _run("""
import collections
import bulletin.typeset
from weasyprint.text.ffi import ffi, gobject, pangoft2

class Holder:
    pass

holder = Holder()
holder.cycle = holder
holder.font_map = ffi.gc(pangoft2.pango_ft2_font_map_new(), gobject.g_object_unref)
collections.kept_to_the_end = holder
print(type(ffi).__name__)
""", cache)
    assert out == "PrebuiltFFI\n"


@pytest.mark.parametrize("damage", ["stale", "corrupt", "does-not-serve"])
def test_a_stale_or_corrupt_prebuilt_module_is_ignored_and_written_again(tmp_path, damage):
    cache = tmp_path / "cache"
    _run("import bulletin.typeset", cache)
    [made] = _prebuilt_files(cache)
    good = made.read_text(encoding="utf-8")
    header, _, body = good.partition("\n")
    if damage == "stale":  # made for another WeasyPrint, cffi or Python, under this name
        key = made.stem.removeprefix("weasyprint-ffi-")
        made.write_text(header.replace(key, "0" * 32) + "\n" + body, encoding="utf-8")
    elif damage == "corrupt":  # cut short
        made.write_text(good[: len(good) // 2], encoding="utf-8")
    else:  # a sound file whose FFI declares nothing: WeasyPrint's cdef is refused, its own FFI used
        body = "ffi = _cffi_backend.FFI('_bulletin_weasyprint_ffi', _version=0x2601, _types=b'')\ndeclarations = ()\n"
        key = made.stem.removeprefix("weasyprint-ffi-")
        made.write_text(f"# bulletin: weasyprint.text.ffi prebuilt by cffi's recompiler; key {key} "
                        f"sha256 {hashlib.sha256(body.encode()).hexdigest()}\n" + body, encoding="utf-8")
    assert _run("import bulletin.typeset" + BINDINGS, cache).startswith("RecordingFFI True ")
    assert made.read_text(encoding="utf-8") == good  # written again
    assert _run("import bulletin.typeset" + BINDINGS, cache).startswith("PrebuiltFFI False ")
    assert not list((cache / "bulletin").glob("*.tmp"))


def test_without_the_recompiler_weasyprint_imports_as_usual(tmp_path):
    cache = tmp_path / "cache"
    out = _run("import sys\nsys.modules['cffi.recompiler'] = None\nimport bulletin.typeset" + BINDINGS, cache)
    assert out.startswith("RecordingFFI True ") and _prebuilt_files(cache) == []


def test_the_prebuilt_ffi_takes_its_own_declarations_only_and_opens_libraries_as_cffi_does(tmp_path, monkeypatch):
    import ctypes.util

    from bulletin.typeset import prebuilt

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    declarations = "typedef int gint;\ntypedef struct { gint x; gint y; } Point;\ndouble pango_units_to_double (int i);"
    key = "1" * 32
    path = prebuilt.store([(declarations, False, False, None)], key)
    assert path == prebuilt.cache_file(key) and path.is_file()
    ffi = prebuilt.load(key)
    assert isinstance(ffi, prebuilt.PrebuiltFFI)
    assert ffi.sizeof("Point") == 2 * ffi.sizeof("int") and ffi.new("gint *")[0] == 0
    ffi.cdef(declarations)  # what it was built from: accepted, nothing to do
    ffi.cdef("double pango_units_to_double (int i);")
    with pytest.raises(TypeError, match="cannot declare more"):
        ffi.cdef("int pango_version (void);")
    asked = []
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: asked.append(name) or "libpango-1.0.so.0")
    pango = ffi.dlopen("pango-1.0", ffi.RTLD_NOW)  # not a file name: found by find_library, as cffi does
    assert asked == ["pango-1.0"] and pango.pango_units_to_double(1024) == 1.0
    assert prebuilt.load("2" * 32) is None  # another key: no file


def test_the_prebuilt_module_is_read_not_run(tmp_path, monkeypatch):
    from bulletin.typeset import prebuilt

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    key = "4" * 32
    path = prebuilt.store([("typedef int gint;", False, False, None)], key)
    text = path.read_text(encoding="utf-8")
    assert prebuilt.load(key) is not None
    ran = tmp_path / "ran"
    run = f"open({str(ran)!r}, 'w')"
    for old, new in (("\ndeclarations =", f"\n{run}\ndeclarations ="),  # a statement of its own
                     ("\ndeclarations =", f"\ndeclarations = {run}\nthen ="),  # as a value
                     ("FFI('_bulletin_weasyprint_ffi',", f"FFI({run},"),  # as an argument
                     ("_version = ", f"_version = {run} or ")):  # in a keyword argument
        body = text.partition("\n")[2].replace(old, new, 1)
        assert body != text.partition("\n")[2]
        digest = hashlib.sha256(body.encode()).hexdigest()
        path.write_text(prebuilt.HEADER.format(key=key, digest=digest) + body, encoding="utf-8")
        assert prebuilt.load(key) is None and not ran.exists()


def test_a_read_only_cache_folder_is_not_written_nor_the_module_built(tmp_path, monkeypatch):
    from bulletin.typeset import prebuilt

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(prebuilt.os, "access", lambda path, mode: False)  # as for a user, not root
    monkeypatch.setattr(prebuilt, "module_text", lambda recorded: pytest.fail("built for nothing"))
    assert prebuilt.store([("typedef int gint;", False, False, None)], "3" * 32) is None
    assert list((tmp_path / "bulletin").iterdir()) == []


def test_the_prebuilt_module_is_kept_in_the_cache_folder_of_the_other_caches(tmp_path, monkeypatch):
    from bulletin.resources import cache_dir
    from bulletin.typeset import prebuilt

    for xdg in (str(tmp_path), ""):
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        assert prebuilt.cache_file("k").parent == cache_dir()


def test_the_prebuilt_module_key_follows_weasyprints_declarations_and_bulletins(monkeypatch):
    from bulletin.typeset import glyphs, prebuilt

    source = prebuilt.weasyprint_ffi_source()
    assert source is not None and b"ffi.cdef(" in source
    key = prebuilt.cache_key(source)
    assert prebuilt.expected_key() == key
    assert prebuilt.cache_key(source + b"\n# 70.1") != key
    monkeypatch.setattr(glyphs, "PANGO_DECLARATIONS", glyphs.PANGO_DECLARATIONS[:-1])
    assert prebuilt.cache_key(source) != key


# ---------------------------------------------------------------- the segmenter's answers, kept


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    from bulletin.compose import titles

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(titles, "_segments", None)
    return tmp_path / "cache" / "bulletin"


def test_segmentations_come_back_from_the_cache_without_the_dictionary(cache_home, monkeypatch):
    from bulletin.compose import titles

    text = "山西省通信管理局领导赴山西省通信行协调研指导工作"
    live = titles.segment(text)
    assert any(w == "领导" for w, _ in live)
    assert not list(cache_home.glob("segments-*.json"))  # written once per check or composition, not per text
    titles.keep_segments()
    [kept] = cache_home.glob("segments-*.json")
    assert text in kept.read_text(encoding="utf-8")

    def no_dictionary():
        raise AssertionError("the dictionary was loaded")

    monkeypatch.setattr(titles, "_segments", None)  # a new process
    monkeypatch.setattr(titles, "_segmenter", no_dictionary)
    assert titles.segment(text) == live
    with pytest.raises(AssertionError, match="dictionary"):
        titles.segment("另一个没见过的标题")


def test_another_segmenter_does_not_read_the_kept_answers(cache_home, monkeypatch):
    from bulletin.compose import titles

    text = "坚持高质量发展"
    titles.segment(text)
    titles.keep_segments()
    monkeypatch.setattr(titles, "_segments", None)
    monkeypatch.setattr(titles, "segmenter_stamp", lambda: "another-rjieba")
    asked = []
    real = titles._segmenter()
    monkeypatch.setattr(titles, "_segmenter", lambda: asked.append(1) or real)
    assert titles.segment(text) == real.tag(text) and asked
    titles.keep_segments()
    assert len(list(cache_home.glob("segments-*.json"))) == 2


def test_the_segmenter_stamp_follows_its_files(tmp_path, monkeypatch):
    import os

    from bulletin.compose.titles import segmenter_stamp

    package = tmp_path / "lib" / "fakejieba17"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "dict.so").write_bytes(b"1")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    first = segmenter_stamp("fakejieba17")
    assert first and segmenter_stamp("fakejieba17") == first
    (package / "dict.so").write_bytes(b"22")  # an upgrade: another size and time
    assert segmenter_stamp("fakejieba17") != first
    stamp = segmenter_stamp("fakejieba17")
    os.utime(package / "dict.so", ns=(1, 1))
    assert segmenter_stamp("fakejieba17") != stamp
    assert segmenter_stamp("no_such_package_17") is None


def test_a_corrupt_cache_file_is_segmented_again(cache_home):
    from bulletin.compose import titles

    cache_home.mkdir(parents=True)
    (cache_home / f"segments-{titles.segmenter_stamp()}.json").write_text("{not json", encoding="utf-8")
    assert titles.segment("坚持高质量发展") == titles._segmenter().tag("坚持高质量发展")


def test_a_check_keeps_what_it_segmented_in_one_write(cache_home, monkeypatch):
    from bulletin.api import check
    from bulletin.compose import titles

    from .conftest import SAMPLE

    writes = []
    real = titles._Segments.save
    monkeypatch.setattr(titles._Segments, "save", lambda self: writes.append(self.dirty) or real(self))
    titles.break_title.cache_clear()  # as in a new process: titles broken earlier in this one are kept
    check(SAMPLE)
    [kept] = cache_home.glob("segments-*.json")
    assert "赴山西省通信行协调研指导工作" in kept.read_text(encoding="utf-8")  # the second line of the first title
    assert writes.count(True) == 1  # the whole check: one write, whatever number of titles


# ---------------------------------------------------------------- the patches' check, kept


def test_a_passed_patch_check_is_not_repeated_for_the_same_install(tmp_path, monkeypatch):
    import bulletin.typeset  # noqa: F401 - WeasyPrint imported
    from bulletin.typeset import patches

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(patches, "_checked", False)
    patches.check()
    [marker] = (tmp_path / "bulletin").glob("patches-checked-*")
    assert marker.name.endswith(patches.install_stamp())

    def no_fingerprints(target):
        raise AssertionError("fingerprinted again")

    monkeypatch.setattr(patches, "_checked", False)  # a new process, same install
    monkeypatch.setattr(patches, "fingerprint", no_fingerprints)
    patches.check()
    assert patches._checked


def test_another_install_is_fingerprinted_and_refused_when_changed(tmp_path, monkeypatch):
    import bulletin.typeset  # noqa: F401
    from bulletin.typeset import patches

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(patches, "_checked", False)
    patches.check()  # the marker for this install
    monkeypatch.setattr(patches, "_checked", False)
    monkeypatch.setattr(patches, "install_stamp", lambda packages=patches.CHECKED_PACKAGES: "an-upgraded-weasyprint")
    monkeypatch.setattr(patches, "fingerprint", lambda target: "0" * 16)  # its code differs
    with pytest.raises(patches.WeasyPrintChanged, match="changed"):
        patches.check()
    assert not patches._checked
    assert not (tmp_path / "bulletin" / "patches-checked-an-upgraded-weasyprint").exists()


def test_the_install_stamp_follows_the_files_and_the_expected_fingerprints(tmp_path, monkeypatch):
    import os

    from bulletin.typeset import patches

    package = tmp_path / "lib" / "fakeweasy17"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("__version__ = '70.0'\n")
    (package / "sub" / "code.py").write_text("def f(): return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    first = patches.install_stamp(("fakeweasy17",))
    assert patches.install_stamp(("fakeweasy17",)) == first
    (package / "sub" / "code.py").write_text("def f(): return 22\n")  # an edit deep in the package
    second = patches.install_stamp(("fakeweasy17",))
    assert second != first
    os.utime(package / "sub" / "code.py", ns=(5, 5))  # reinstalled: same size, another time
    third = patches.install_stamp(("fakeweasy17",))
    assert third != second
    changed = patches.Patch("x:y", None, (("weasyprint.layout.inline:text_align", "ffffffffffffffff"),))
    monkeypatch.setattr(patches, "PATCHES", (*patches.PATCHES, changed))  # bulletin expects other code
    assert patches.install_stamp(("fakeweasy17",)) != third


def test_fonttools_subset_is_loaded_only_when_used():
    """WeasyPrint imports fontTools.subset (~65 ms) for subsetting without HarfBuzz-subset only: a
    process importing WeasyPrint through bulletin gets it deferred, a render never loads it, and
    the first use loads the real module in place (the same object for every importer)."""
    out = _run("""
import sys
import bulletin.typeset  # imports WeasyPrint
from bulletin.api import render
from tests.conftest import SAMPLE
deferred = type(sys.modules['fontTools.subset']).__name__
render(SAMPLE)
after_render = type(sys.modules['fontTools.subset']).__name__
from weasyprint.pdf import fonts
import fontTools.subset as again
options = fonts.subset.Options(retain_gids=True)  # what Font._fonttools_subset makes first
print(deferred, after_render, type(sys.modules['fontTools.subset']).__name__, again is fonts.subset,
      options.retain_gids, hasattr(again, 'Subsetter'))
""")
    assert out.split() == ["_LazyModule", "_LazyModule", "module", "True", "True", "True"], out


def test_defer_module_leaves_imported_and_unknown_modules_alone():
    from bulletin.typeset import patches

    assert patches.defer_module("json") is sys.modules["json"]
    assert patches.defer_module("no_such_module_here") is None
    assert patches.defer_module("no_such_package.sub") is None
