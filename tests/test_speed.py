"""Work not done twice (issue 17): each saving gives the same bytes as the plain path."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulletin.api import render

from .conftest import SAMPLE, write_issue


@pytest.fixture(scope="module")
def engine():
    from bulletin.typeset import speedups
    from bulletin.typeset import engine, patches

    render(SAMPLE)  # installs everything
    assert patches.installed("engine"), "the engine patches are installed by the first render"
    return engine


def test_engine_patches_give_the_same_bytes(engine, monkeypatch):
    """The sample without the engine patches (WeasyPrint copying and deflating as it does) and
    with them, cold and warm: the same PDF."""
    from bulletin.typeset import speedups
    from bulletin.typeset import patches

    from bulletin.typeset import diskcache

    monkeypatch.setattr(diskcache.disk, "enabled", False)  # cold: nothing from an earlier process either

    with_patches = render(SAMPLE).pdf
    patches.uninstall("engine")
    try:
        speedups.clear()
        plain = render(SAMPLE).pdf
    finally:
        patches.install("engine")
    speedups.clear()
    cold = render(SAMPLE).pdf
    assert plain == cold == with_patches == render(SAMPLE).pdf


def test_no_whole_font_file_is_copied(engine, monkeypatch):
    """A render of the sample copies no font file out of HarfBuzz: only subsets are made."""
    copied = []
    original = engine.FaceBlob.materialize

    def spy(self):
        data = original(self)
        copied.append(len(data or b""))
        return data

    monkeypatch.setattr(engine.FaceBlob, "materialize", spy)
    from bulletin.typeset import speedups

    speedups.clear()  # subsets made again, not taken from the cache
    from bulletin.typeset import diskcache

    monkeypatch.setattr(diskcache.disk, "enabled", False)
    pdf = render(SAMPLE).pdf
    assert pdf
    # subsets are small; the project's fonts are megabytes each
    assert copied and max(copied) < 2_000_000, copied


def test_face_blob_is_what_weasyprint_copies(engine):
    """FaceBlob reads the same bytes get_hb_object_data copies, and its length and head without
    copying the whole; a font's file_content reads through it only when asked."""
    from weasyprint.pdf import fonts
    from weasyprint.text.fonts import get_hb_object_data

    seen = []
    original_init = fonts.Font.__init__

    def keep(self, *args):
        original_init(self, *args)
        seen.append((self, self.__dict__["file_content"]))

    fonts.Font.__init__ = keep
    try:
        render(SAMPLE)
    finally:
        fonts.Font.__init__ = original_init
    assert seen and all(isinstance(kept, engine.FaceBlob) for _, kept in seen)  # nothing copied by __init__
    font = seen[0][0]
    blob = engine.FaceBlob(font.hb_face)
    whole = get_hb_object_data(font.hb_face)
    assert len(blob) == len(whole) > 1_000_000 and blob.head(65536) == whole[:65536] and blob.materialize() == whole
    font.file_content = engine.FaceBlob(font.hb_face)
    assert engine.face_identity(font) == (len(whole), hashlib.sha256(whole[:65536]).digest())
    assert isinstance(font.__dict__["file_content"], engine.FaceBlob)  # the identity copied nothing
    assert font.file_content == whole  # read: copied now, once
    assert font.__dict__["file_content"] == whole
    assert engine.deferred_face_data(font.hb_font, "png", 0) == get_hb_object_data(font.hb_font, "png", 0)


def _fresh_process_render(cache: Path, issue: Path) -> tuple[bytes, int]:
    """The PDF of `issue` rendered in a new process with `cache` as its cache folder, and how
    many fonts that process subset with HarfBuzz (WeasyPrint's hb_subset_or_fail calls)."""
    code = (
        "import sys\n"
        "from weasyprint.pdf import fonts\n"
        "calls = [0]\n"
        "class Counting:\n"  # the library as fonts.py sees it, counting the subsets made
        "    def __init__(self, lib): self.lib = lib\n"
        "    def __getattr__(self, name):\n"
        "        if name == 'hb_subset_or_fail': calls[0] += 1\n"
        "        return getattr(self.lib, name)\n"
        "fonts.harfbuzz_subset = Counting(fonts.harfbuzz_subset)\n"
        "from bulletin.api import render\n"
        "sys.stdout.buffer.write(render(sys.argv[1]).pdf)\n"
        "sys.stderr.write(f'{calls[0]}')\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", code, str(issue)], capture_output=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout, int(done.stderr.decode().strip().splitlines()[-1])


def test_subsets_and_deflated_fonts_outlive_the_process(tmp_path):
    """A second process takes the font subsets and their deflated bytes from the cache folder
    (WeasyPrint's subsetter not called), with the same PDF bytes; a damaged entry is noticed
    (its checksum), made again and rewritten — the same bytes still."""
    cache = tmp_path / "cache"
    first, spent_first = _fresh_process_render(cache, SAMPLE)
    store = cache / "bulletin" / "pdf-fonts"
    subsets = sorted(store.glob("subset-*"))
    deflated = sorted(store.glob("deflate-*"))
    assert len(subsets) >= 4 and deflated, list(store.iterdir())
    assert spent_first > 0
    second, spent_second = _fresh_process_render(cache, SAMPLE)
    assert second == first and spent_second == 0  # every subset came from the cache
    damaged = {}
    for entry in (subsets[0], deflated[0]):
        data = bytearray(entry.read_bytes())
        data[-10] ^= 0xFF  # a flipped byte in the stored font data
        entry.write_bytes(bytes(data))
        damaged[entry] = bytes(data)
    third, spent_third = _fresh_process_render(cache, SAMPLE)
    assert third == first and spent_third * len(subsets) == spent_first  # the damaged subset (only it) made again
    from bulletin.typeset.diskcache import DiskStore

    head = len(DiskStore.MAGIC)
    for entry, bad in damaged.items():  # written anew, whole and checked
        good = entry.read_bytes()
        assert good != bad and good[:head] == DiskStore.MAGIC
        assert hashlib.sha256(good[head + 32:]).digest() == good[head:head + 32]


def test_disk_store_is_bounded_and_never_in_the_way(tmp_path, monkeypatch):
    from bulletin.typeset.diskcache import DiskStore

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    store = DiskStore("test-store", max_files=3, max_bytes=10_000)
    for n in range(5):
        store.put("k", f"key {n}".encode(), bytes([n]) * 1000)
        time.sleep(0.01)  # distinct times: the oldest go first
    assert store.get("k", b"key 0") is None and store.get("k", b"key 1") is None
    assert store.get("k", b"key 4") == bytes([4]) * 1000
    assert len(list(store.folder().iterdir())) == 3
    store.put("k", b"big", b"x" * 9_500)  # over the byte bound: only it and what still fits stay
    assert store.get("k", b"big") == b"x" * 9_500 and len(list(store.folder().iterdir())) == 1
    # a cache folder that cannot be written (a file where the folder should be): no error, no entry
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "blocked"))
    (tmp_path / "blocked").write_text("not a folder")
    store.put("k", b"key", b"data")
    assert store.get("k", b"key") is None


def test_compressed_streams_are_pydyf_s_bytes(engine):
    import pydyf

    engine.clear()
    data = os.urandom(5000) + b"abc" * 3000
    for compress in (True, False):
        ours = engine.CompressOnce([data, b"tail"], pydyf.Dictionary({"Length1": 9}), compress=compress)
        theirs = pydyf.Stream([data, b"tail"], pydyf.Dictionary({"Length1": 9}), compress=compress)
        assert ours.data == theirs.data == ours.data
    assert len(engine._compressed) == 1  # kept once, used twice


def test_changed_pdf_writer_fails_loudly(engine, monkeypatch, tmp_path):
    from weasyprint.pdf import fonts

    from bulletin.typeset import patches

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no marker of an earlier passed check
    monkeypatch.setattr(fonts, "build_fonts_dictionary", lambda *a: None)
    monkeypatch.setattr(patches, "_checked", False)
    with pytest.raises(patches.WeasyPrintChanged, match="build_fonts_dictionary changed"):
        patches.check()
    monkeypatch.undo()
    patches._checked = False
    patches.check()


def test_sibling_index_rereads_only_changed_files(tmp_path, monkeypatch):
    from bulletin.source import siblings as load

    first = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", "正文。\n")
    series = first.parent
    for n in (2, 3):
        folder = series / f"2024-0{n}"
        folder.mkdir()
        (folder / "issue.md").write_text(f"---\nnumber: {n}\ndate: 2024-0{n}-15\n---\n\n正文。\n", encoding="utf-8")
    reads = []
    original = load._read_sibling
    monkeypatch.setattr(load, "_read_sibling", lambda path: reads.append(path.parent.name) or original(path))
    assert [s.number for s in load.sibling_issues(series)] == [1, 2, 3]
    assert sorted(reads) == ["2024-01", "2024-02", "2024-03"]
    reads.clear()
    assert [s.number for s in load.sibling_issues(series)] == [1, 2, 3]
    assert reads == []  # nothing changed: nothing read
    changed = series / "2024-02" / "issue.md"
    changed.write_text("---\nnumber: 5\ndate: 2024-02-15\n---\n\n正文。\n", encoding="utf-8")
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert [s.number for s in load.sibling_issues(series)] == [1, 5, 3]
    assert reads == ["2024-02"]
    reads.clear()
    (series / "2024-03" / "issue.md").unlink()
    assert [s.number for s in load.sibling_issues(series)] == [1, 5]
    assert reads == []


def test_layout_css_is_parsed_once_per_change(tmp_path):
    from weasyprint.text.fonts import FontConfiguration

    from bulletin.typeset import SafeFetcher, layout_sheet

    css = tmp_path / "layout.css"
    css.write_text("p { color: red }", encoding="utf-8")
    config, fetcher = FontConfiguration(), SafeFetcher([tmp_path / "issue", tmp_path])
    sheet = layout_sheet(css, config, fetcher)
    assert layout_sheet(css, config, SafeFetcher([tmp_path / "other", tmp_path])) is sheet
    css.write_text("p { color: blue }", encoding="utf-8")
    os.utime(css, ns=(time.time_ns(), time.time_ns() + 10**9))
    changed = layout_sheet(css, config, fetcher)
    assert changed is not sheet  # parsed again: the file changed
    assert layout_sheet(css, config, fetcher) is changed


def test_editor_list_loads_each_issue_once(monkeypatch, tmp_path):
    from starlette.testclient import TestClient

    import bulletin.api as api
    import bulletin.source.load
    from bulletin.serve.app import create_app

    class NoRenderer:
        def current(self, folder):
            return None

        def close(self):
            pass

    calls = []
    original = api.load
    counted = lambda *a, **k: calls.append(a[0]) or original(*a, **k)  # noqa: E731
    monkeypatch.setattr(api, "load", counted)
    monkeypatch.setattr(bulletin.source.load, "load", counted)  # what the list page imported before
    app = create_app(SAMPLE.parents[1], port=8000, renderer=NoRenderer(), status_cache=tmp_path / "status.json")
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        response = client.get("/")
        assert response.status_code == 200 and "2021-07" in response.text
        assert calls == []  # the list comes up at once; its figures are asked for apart
        status = client.get("/api/status", params={"issue": "shanxi-tongxin/2021-07"}).json()
    assert status["shanxi-tongxin/2021-07"]["number"] == 7
    assert len(calls) == 1  # loaded once for its number, date and check


# ---------------------------------------------------------------- preview: only the changed pages


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def test_page_digests_change_only_where_the_edit_is(tmp_path):
    import shutil

    from bulletin.typeset.pagedigest import Collector

    shutil.copytree(SAMPLE.parent, tmp_path / "s")
    issue = tmp_path / "s" / SAMPLE.name
    collector = Collector()
    first = render(issue, pdf_options={"finisher": collector})
    before = collector.digests
    assert len(before) == first.pages == len(set(before))
    assert first.pdf == render(issue).pdf  # the finisher changes no byte
    text = (issue / "issue.md").read_text(encoding="utf-8")
    edited = text.replace("迄今已是第十八届。", "迄今已是第十八届，龘。", 1)  # a character used nowhere else
    assert edited != text
    (issue / "issue.md").write_text(edited, encoding="utf-8")
    render(issue, pdf_options={"finisher": collector})
    changed = [n for n, (a, b) in enumerate(zip(before, collector.digests), 1) if a != b]
    assert changed == [2]


def test_renderer_rasterises_only_changed_pages_and_they_match_a_full_render(tmp_path):
    import shutil

    from bulletin.editor.preview import rasterise
    from bulletin.serve.renderer import Renderer

    shutil.copytree(SAMPLE.parent, tmp_path / "s")
    issue = tmp_path / "s" / SAMPLE.name
    renderer = Renderer()
    try:
        version = renderer.request(issue)
        first = renderer.wait(issue, version - 1, 120)
        assert first.ok and first.rasterised == list(range(1, len(first.pages) + 1))
        text = (issue / "issue.md").read_text(encoding="utf-8")
        (issue / "issue.md").write_text(text.replace("迄今已是第十八届。", "迄今已是第十八届，规模空前。", 1), encoding="utf-8")
        version = renderer.request(issue, visible=2)
        second = renderer.wait(issue, version - 1, 120)
        assert second.ok and second.rasterised == [2]
        assert second.pages[0] == first.pages[0] and second.pages[1] != first.pages[1]
        second = renderer.wait_pdf(issue, 120)  # the whole PDF comes after the images
        fresh = [_png(image) for image in rasterise(second.pdf, list(range(1, len(second.pages) + 1)), 72)]
        assert second.pages == fresh  # kept images are what rasterising everything again gives
        (issue / "picture-unused.txt").write_text("x", encoding="utf-8")  # the folder changed: all pages anew
        version = renderer.request(issue)
        third = renderer.wait(issue, version - 1, 120)
        assert third.rasterised == list(range(1, len(third.pages) + 1)) and third.pages == fresh
    finally:
        renderer.close()


def test_page_images_named_by_digest_may_be_kept_by_the_browser(tmp_path):
    from starlette.testclient import TestClient

    from bulletin.serve.app import create_app
    from bulletin.serve.renderer import Result

    class OneResult:
        def __init__(self):
            self.result = Result(3, True, [b"\x89PNG one", b"\x89PNG two"], b"%PDF", [], 0.2, ["aa", "bb"], [2])

        def request(self, folder, visible=None):
            return 4

        async def wait_async(self, folder, after, timeout):
            return self.result

        def current(self, folder):
            return self.result

        def close(self):
            pass

    import shutil

    shutil.copytree(SAMPLE.parent, tmp_path / "issues" / "shanxi-tongxin")
    app = create_app(tmp_path / "issues", port=8000, renderer=OneResult())
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        data = client.get("/api/issues/shanxi-tongxin/2021-07/preview?after=2").json()
        assert data["digests"] == ["aa", "bb"] and data["changed"] == [2] and 120 <= data["pause"] < 350
        named = client.get("/pages/shanxi-tongxin/2021-07/0/2.png?d=bb")
        assert named.content == b"\x89PNG two" and "immutable" in named.headers["cache-control"]
        stale = client.get("/pages/shanxi-tongxin/2021-07/0/2.png?d=aa")  # not what page 2 shows now
        assert stale.content == b"\x89PNG two" and stale.headers["cache-control"] == "no-store"


def test_saving_through_the_editor_keeps_the_other_pages(tmp_path):
    """A save (atomic rename: the folders' times change) is not a change of the surroundings;
    a new picture file is."""
    import shutil
    import time as clock

    from bulletin.serve.renderer import surroundings
    from bulletin.serve.workspace import Workspace

    shutil.copytree(SAMPLE.parent, tmp_path / "issues" / SAMPLE.parent.name)
    issue = tmp_path / "issues" / SAMPLE.parent.name / SAMPLE.name
    before = surroundings(str(issue))
    workspace = Workspace(tmp_path / "issues")
    ref = workspace.issue(SAMPLE.parent.name, SAMPLE.name)
    text, base = workspace.read(ref)
    clock.sleep(0.01)
    workspace.save(ref, text.replace("迄今已是第十八届。", "迄今已是第十八届，规模空前。", 1), base)
    assert surroundings(str(issue)) == before
    (issue / "images").mkdir(exist_ok=True)
    (issue / "images" / "new.png").write_bytes(b"\x89PNG")
    assert surroundings(str(issue)) != before


def test_watch_writes_only_the_pages_an_edit_changed(tmp_path):
    import shutil

    from bulletin.editor.preview import Kept, preview

    shutil.copytree(SAMPLE.parent, tmp_path / "s")
    issue = tmp_path / "s" / SAMPLE.name
    kept, out, plain = Kept(), tmp_path / "out", tmp_path / "plain"
    first = preview(issue, out, kept=kept)
    inodes = {p.name: p.stat().st_ino for p in first.pages}
    text = (issue / "issue.md").read_text(encoding="utf-8")
    (issue / "issue.md").write_text(text.replace("迄今已是第十八届。", "迄今已是第十八届，规模空前。", 1), encoding="utf-8")
    second = preview(issue, out, kept=kept)
    rewritten = sorted(p.name for p in second.pages if p.stat().st_ino != inodes[p.name])  # written atomically: new inode
    assert rewritten == [second.pages[1].name]
    again = preview(issue, plain)  # everything anew, nothing kept
    assert [p.read_bytes() for p in second.pages] == [p.read_bytes() for p in again.pages]
    assert second.contact_sheet.read_bytes() == again.contact_sheet.read_bytes()


def test_fewer_collections_keeps_the_older_generations_ratios():
    import gc

    from bulletin.collector import YOUNG_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        fewer_collections()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10) and YOUNG_THRESHOLD > 700
    finally:
        gc.set_threshold(*before)


def test_a_command_starts_with_fewer_collections():
    """launch.main (the `bulletin` command) sets the threshold before anything else runs."""
    code = ("import gc, sys\n"
            "from bulletin import launch, cli\n"
            "cli.main = lambda: print(gc.get_threshold()[0])\n"
            "sys.argv = ['bulletin', '--version']\n"
            "launch.main()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    from bulletin.collector import YOUNG_THRESHOLD

    assert done.returncode == 0 and done.stdout.split() == [str(YOUNG_THRESHOLD)], done.stderr


def test_a_process_that_ends_after_its_build_does_not_collect_first(monkeypatch, tmp_path):
    """build_one collects a typesetting process's garbage for the next issue (~20 ms), except in
    the process named by ENDS_AFTER_BUILD (a daemon's child, a one-issue build), which ends."""
    from bulletin import batch

    issue = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", "## 标题\n\n正文。\n")
    render(issue)  # this test process typesets
    from bulletin.typeset.speedups import settle

    settle()  # done once per process (it collects too)
    collected = []
    monkeypatch.setattr(batch.gc, "collect", lambda *a: collected.append(1) or 0)
    monkeypatch.setattr(batch, "ENDS_AFTER_BUILD", None)
    assert batch.build_one(str(issue), str(tmp_path / "a")).status == "built"
    assert collected == [1]
    monkeypatch.setattr(batch, "ENDS_AFTER_BUILD", os.getpid())
    assert batch.build_one(str(issue), str(tmp_path / "b")).status == "built"
    assert collected == [1]
    monkeypatch.setattr(batch, "ENDS_AFTER_BUILD", os.getpid() + 1)  # another process's (a forked worker's parent)
    assert batch.build_one(str(issue), str(tmp_path / "c")).status == "built"
    assert collected == [1, 1]
