"""The live preview paints only the changed pages and the whole PDF after them (issue 17):
- a page rasterised from a PDF of only some pages is the same image, pixel for pixel, as from the
  whole PDF;
- the whole PDF painted from the preview's layout is `bulletin build`'s, byte for byte;
- the whole PDF comes after the images, is given up for a newer edit, and is never shown with
  another version's pages; a download waits for it;
- the page map comes from the laid-out outline, the same as the PDF's outline says.
"""
from __future__ import annotations

import io
import queue
import shutil
import threading

import pytest

from bulletin import api
from bulletin.editor.preview import rasterise
from bulletin.serve.renderer import PREVIEW_DPI, Renderer, Result, Worker, page_marks

from .conftest import SAMPLE


@pytest.fixture
def issue(tmp_path):
    shutil.copytree(SAMPLE.parent, tmp_path / "s")
    return tmp_path / "s" / SAMPLE.name


def _images(pdf: bytes, pages: list[int]) -> list[bytes]:
    return [image.tobytes() for image in rasterise(pdf, pages, PREVIEW_DPI)]


def test_pages_painted_alone_look_as_in_the_whole_pdf(issue):
    laid = api.lay_out(issue)
    whole = laid.painter.pdf().pdf
    assert whole == api.render(issue).pdf  # the build's bytes, painted from the preview's layout
    every = _images(whole, list(range(1, laid.pages + 1)))
    for pages in ([2], [3, 1], [laid.pages], list(range(laid.pages, 0, -1))):
        part = laid.painter.pages(pages)
        assert len(__import__("pypdfium2").PdfDocument(part.pdf)) == len(pages)
        assert _images(part.pdf, list(range(1, len(pages) + 1))) == [every[n - 1] for n in pages]
    assert laid.painter.pdf().pdf == whole  # painting some pages changed nothing for the whole


def test_pages_painted_alone_with_the_masthead_red_as_a_spot_colour(issue):
    series = issue.parent / "series.yaml"
    series.write_text(series.read_text(encoding="utf-8").replace(
        "  show_total_number: true", "  show_total_number: true\n  red_spot: PANTONE 485 C"), encoding="utf-8")
    laid = api.lay_out(issue)
    whole = laid.painter.pdf().pdf
    assert whole == api.render(issue).pdf and b"PANTONE" in whole
    assert _images(laid.painter.pages([1]).pdf, [1]) == _images(whole, [1])


def test_messages_logged_while_painting_are_noted_with_their_page():
    """WeasyPrint reports a character no font has while it paints its page: each message is
    noted with that page, so the preview keeps it for a page it does not paint again."""
    from types import SimpleNamespace

    from bulletin.typeset import typeset
    from bulletin.typeset.painting import Painter

    html = ('<html lang="zh"><head><style>@page { size: A5 }</style></head>'  # characters of no font (private use)
            '<body><div style="border: 1pt solid">　</div><p style="break-before: page">\ue000\ue001\ue002</p></body></html>')
    result = typeset(SimpleNamespace(html=html, css=""), SAMPLE, [], [SAMPLE.parents[2] / "layouts"], paint=False)
    painter = Painter(result.document, result.pdf_options)
    whole = painter.pdf()
    assert list(whole.by_page) == [2] and len(whole.by_page[2]) == 3 and ".notdef" in whole.by_page[2][0]
    assert painter.pages([1]).messages == []
    alone = painter.pages([2, 1])
    assert list(alone.by_page) == [2] and alone.by_page[2] == whole.by_page[2]


def test_page_map_from_the_layout_is_the_pdfs_outline(issue):
    from pypdf import PdfReader

    laid = api.lay_out(issue)
    marks = page_marks(laid.document)
    reader = PdfReader(io.BytesIO(laid.painter.pdf().pdf))
    from_pdf = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                page = reader.get_destination_page_number(item)
                height = float(reader.pages[page].mediabox.height)
                from_pdf.append((page + 1, round(1 - float(item.top) / height, 4)))

    walk(reader.outline)
    assert len(marks) > 5 and marks == from_pdf


class _Results(queue.Queue):
    def messages(self):
        out = []
        while not self.empty():
            out.append(self.get())
        return out


def test_worker_sends_images_first_then_the_whole_pdf_unless_a_newer_edit_waits(issue):
    jobs, results = queue.Queue(), _Results()
    worker = Worker(jobs, results)
    key = str(issue)
    worker.render(key, 1, None)
    (kind, _, first), = results.messages()
    assert kind == "result" and first.ok and first.pdf == b"" and all(first.pages)
    assert first.rasterised == list(range(1, len(first.pages) + 1))
    text = (issue / "issue.md").read_text(encoding="utf-8")
    (issue / "issue.md").write_text(text.replace("他强调，", "他强化，", 1), encoding="utf-8")
    jobs.put((key, 2, 5))  # a newer edit is waiting: the whole PDF of version 1 is given up
    worker.whole_pdf(key, worker.waiting)
    assert results.messages() == []
    worker.take(block=False)
    worker.render(key, *worker.renders.pop(key))
    (kind, _, second), = results.messages()
    changed = second.rasterised
    assert kind == "result" and changed and 5 not in changed[1:]  # the visible page first, if it changed
    assert [n for n, image in enumerate(second.pages, 1) if image] == sorted(changed)  # only the new images travel
    worker.whole_pdf(key, worker.waiting)
    (kind, _, version, pdf, problems), = results.messages()
    assert kind == "pdf" and version == 2 and pdf == api.render(issue).pdf and problems is not None
    worker.whole_pdf(key, None)  # painted already: nothing left to paint
    assert results.messages() == [("pdf", key, -1, b"", None)]


def _renderer() -> Renderer:
    """The server's side of a Renderer, without its process."""
    renderer = Renderer.__new__(Renderer)
    renderer.latest, renderer.cond, renderer.waiters, renderer.version = {}, threading.Condition(), [], 0
    renderer.images, renderer.cancelled = {}, set()
    renderer.jobs = queue.Queue()
    return renderer


def test_a_render_of_a_text_not_saved_after_all_is_never_shown():
    """The editor's save asks for a render of its text before checking and saving it; when it
    is not saved (it does not load, another save came first), that render is cancelled: never
    shown, its images kept only as the worker's reference for the next one, and when it was good
    the file as saved is laid out again."""
    renderer = _renderer()
    key = "/x/issue"
    renderer._take_result(key, Result(1, True, [b"p1", b"p2"], digests=["a", "b"], shows=1))
    version = renderer.request(key, text="未保存的文字")
    assert renderer.jobs.get_nowait() == (key, version, None, "未保存的文字")
    renderer.cancel(key, version)
    renderer._take_result(key, Result(version, True, [b"", b"u2"], digests=["a", "u"], shows=version))
    assert renderer.latest[key].version == 1 and renderer.latest[key].pages == [b"p1", b"p2"]
    again = renderer.jobs.get_nowait()  # the saved file, rendered again
    assert again[:2] == (key, version + 1) and again[3] is None
    renderer._take_result(key, Result(again[1], True, [b"", b""], digests=["a", "u"], shows=again[1]))
    assert renderer.latest[key].pages == [b"p1", b"u2"]  # images the worker sent with the cancelled render
    failed = renderer.request(key, text="坏的")
    renderer.jobs.get_nowait()
    renderer.cancel(key, failed)
    renderer._take_result(key, Result(failed, False, problems=[{"message": "坏了"}]))
    assert renderer.latest[key].ok and renderer.jobs.empty()  # nothing shown, nothing to render again


def test_the_server_never_shows_a_pdf_with_another_versions_pages():
    renderer = _renderer()
    key = "/x/issue"
    renderer._take_result(key, Result(1, True, [b"p1", b"p2"], digests=["a", "b"], shows=1))
    renderer._take_result(key, Result(2, True, [b"", b"q2"], digests=["a", "c"], shows=2))
    assert renderer.latest[key].pages == [b"p1", b"q2"]  # the unchanged page's image kept by its digest
    renderer._attach_pdf(key, 1, b"%PDF-1", [])  # version 1's PDF, arriving late: not for version 2's pages
    assert renderer.latest[key].pdf == b"" and not renderer.latest[key].pdf_done
    renderer._take_result(key, Result(3, False, problems=[{"message": "坏了"}]))  # a broken edit
    broken = renderer.latest[key]
    assert not broken.ok and broken.pages == [b"p1", b"q2"] and broken.shows == 2 and broken.problems
    renderer._attach_pdf(key, 2, b"%PDF-2", [{"message": "全部"}])  # the PDF of the pages on screen
    assert renderer.latest[key].pdf == b"%PDF-2" and renderer.latest[key].problems == [{"message": "坏了"}]


def test_a_download_asks_for_the_pdf_of_the_pages_shown_and_waits_for_it():
    renderer = _renderer()
    key = "/x/issue"
    renderer._take_result(key, Result(4, True, [b"p"], digests=["a"], shows=4))

    def worker():
        job = renderer.jobs.get(timeout=5)
        assert job == ("pdf", key, 4)
        with renderer.cond:
            renderer._attach_pdf(key, 4, b"%PDF-4", None)
            renderer.cond.notify_all()

    thread = threading.Thread(target=worker)
    thread.start()
    result = renderer.wait_pdf(key, 10)
    thread.join()
    assert result.pdf == b"%PDF-4" and result.version == 4


def test_renderer_end_to_end_pdf_is_the_builds(issue):
    renderer = Renderer()
    try:
        version = renderer.request(issue, visible=1)
        first = renderer.wait(issue, version - 1, 120)
        assert first.ok and first.marks and len(first.digests) == len(first.pages)
        done = renderer.wait_pdf(issue, 120)
        assert done.version == first.version and done.pdf == api.render(issue).pdf
    finally:
        renderer.close()


def test_pages_painted_alone_leave_nothing_in_the_cache_folder(issue, tmp_path, monkeypatch):
    """A page's glyph set is made for one edit: its font subsets stay out of the disk store that
    later processes read (diskcache.py); the whole PDF's go in as usual."""
    from bulletin.typeset import speedups
    from bulletin.typeset.diskcache import disk

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    laid = api.lay_out(issue)
    speedups.clear()  # subsets made now, not found in this process's memory
    laid.painter.pages([2])
    store = disk.folder()
    assert not store.exists() or not list(store.iterdir())
    assert disk.enabled  # on again after the page
    speedups.clear()
    laid.painter.pdf()
    assert list(store.glob("subset-*"))
