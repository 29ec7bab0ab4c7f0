"""What a fresh `bulletin build` process saves before typesetting (issue 17): WeasyPrint's
libraries opened by soname instead of through ctypes.util.find_library, and the caches that
spare a cold process work it did before. Each cache must be invalidated by a change of its input."""
from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="soname loading is Linux only")

LIBRARIES = "sorted({line.split()[-1] for line in open('/proc/self/maps') if '.so' in line})"


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
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
