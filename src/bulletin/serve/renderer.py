"""Live preview: a background process that keeps fonts, layouts and WeasyPrint loaded and renders
the latest saved version of an issue into page images.

Requests are coalesced: while a render runs, newer requests for the same issue replace older
ones, so typing never queues a backlog. Results carry a version number that only grows.

What a render does (issue 17): lay the issue out (api.lay_out: the build's own layout), take a
digest of every page from the laid-out boxes (pagedigest.layout_digests), paint only the pages
whose digest the server has no image for into a PDF of their own — the page on screen first —,
rasterise them and send their images; the other pages keep theirs. The whole PDF (the download,
`result.pdf`) is painted after that, unless a newer request is waiting: then it is given up for
the newer version's. A download of a version whose PDF is not made yet asks for it (pdf_async).
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

PREVIEW_DPI = 72
# An issue whose last render had at most this many pages is rendered with the garbage collector
# paused: a render allocates objects by the hundred thousand, 60–80 collections took 15–60 ms of a
# ~330 ms render of the sample. Its garbage (~18,000 objects, ~4 MB for the sample, nearly all of
# them its own) is collected once its images are sent (generations 0–1, ~15 ms); the oldest
# generation when the worker has nothing to do, or every GC_FULL_EVERY renders. Larger issues keep
# the collector running.
GC_PAUSED_PAGES = 200
GC_FULL_EVERY = 4


@dataclass
class Result:
    version: int
    ok: bool
    pages: list[bytes] = field(default_factory=list)  # PNG per page
    pdf: bytes = b""  # the whole PDF of the pages shown; b"" until painted (after the images)
    problems: list[dict] = field(default_factory=list)
    seconds: float = 0.0  # from the request's start to its page images
    digests: list[str] = field(default_factory=list)  # what each page shows (pagedigest.layout_digests)
    rasterised: list[int] = field(default_factory=list)  # pages made anew (1-based; the visible one first)
    marks: list[tuple[int, float]] = field(default_factory=list)  # the outline: (page, top from 0 to 1) per entry
    shows: int = 0  # the version whose pages these are (a broken edit keeps an older version's)
    pdf_done: bool = False  # the worker painted the whole PDF for these pages, or said it cannot


def surroundings(issue_dir: str, layout_folder: str | Path | None = None) -> bytes:
    """What else a page image depends on besides the laid-out pages: every file under the issue
    folder but issue.md (pictures), the files of its series folder (series.yaml, fonts) and of its
    layout folder, by name, size and time. Part of every page digest, so a change there makes every
    page anew. Folders themselves are left out: saving issue.md (a rename) changes their times."""
    entries = []
    folder = Path(issue_dir)
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # the editor's .history/ is no input
        for name in sorted(files):
            path = os.path.join(root, name)
            if path == str(folder / "issue.md") or name.endswith(".tmp") or name.startswith("."):
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue
            entries.append(f"{os.path.relpath(path, folder)}:{st.st_size}:{st.st_mtime_ns}")
    try:
        series = sorted(os.scandir(folder.parent), key=lambda e: e.name)
    except OSError:
        series = []
    for entry in series:
        try:
            if entry.is_file():
                st = entry.stat()
                entries.append(f"../{entry.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            continue
    if layout_folder is not None:
        for root, dirs, files in os.walk(layout_folder):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                entries.append(f"layout:{os.path.relpath(path, layout_folder)}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(entries).encode("utf-8", "surrogateescape")


def problem_json(p) -> dict:
    """A Problem as the editor's JSON (file name only: the browser never sees paths)."""
    return {"file": p.file.name if p.file else "", "line": p.line, "column": p.column, "severity": p.severity,
            "message": p.message, "message_en": p.message_en, "hint": p.hint, "hint_en": p.hint_en}


def page_marks(document) -> list[tuple[int, float]]:
    """Where each outline entry of a laid-out document points, as the PDF's outline says it:
    (page, distance from the page's top as a fraction of its height), entries in outline order —
    what the editor's page map is made from (app.page_map), without reading the PDF."""
    scale = 0.75  # as weasyprint.pdf.generate_pdf writes the outline
    heights = [scale * (p.height + p.bleed["top"] + p.bleed["bottom"]) for p in document.pages]
    marks: list[tuple[int, float]] = []

    def walk(nodes) -> None:
        for _label, (page, _x, y), children, _state in nodes:
            marks.append((page + 1, round(1 - y / heights[page], 4)))
            walk(children)

    walk(document.make_bookmark_tree(scale, transform_pages=True))
    return marks


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # fast: the preview is local
    return buffer.getvalue()


def _failure(exc) -> list[dict]:
    from ..errors import BulletinError

    if isinstance(exc, BulletinError):
        return [problem_json(p) for p in exc.problems]
    return [{"file": "", "line": None, "column": None, "severity": "error",
             "message": f"排版出错：{type(exc).__name__}: {exc}", "message_en": f"render failed: {exc}",
             "hint": "", "hint_en": ""}]


def _sorted_problems(warnings) -> list[dict]:
    # render() already ran every check: its warnings and notes are what `check` lists
    order = {"warning": 0, "info": 1}
    return [problem_json(p) for p in sorted(
        warnings, key=lambda p: (order.get(p.severity, 2), p.line or 0, p.column or 0))]


class _Issue:
    """What the worker keeps of one issue between renders."""

    def __init__(self):
        self.shown: set[str] = set()  # digests of the page images the server has
        self.messages: dict[str, list[str]] = {}  # page digest → WeasyPrint's messages painting it
        self.others: list[str] = []  # messages of the last whole painting outside any page (fonts)
        self.laid = None  # (version, api.LaidOut) whose whole PDF is not painted yet
        self.pages = 0  # pages of its last good render


class Worker:
    """The background process's loop (in the child; tests drive it in-process)."""

    def __init__(self, jobs, results):
        self.jobs, self.results = jobs, results
        self.issues: dict[str, _Issue] = {}
        self.renders: dict[str, tuple] = {}  # issue folder → newest render job (version, visible)
        self.downloads: dict[str, int] = {}  # issue folder → version whose whole PDF is asked for
        self.stopped = False
        self.uncollected = 0  # renders made with the collector paused since the last full collection

    def take(self, block: bool) -> None:
        """Move the queued requests into renders and downloads (the newest render per issue)."""
        while not self.stopped:
            if not block and self.jobs.empty():
                return
            job = self.jobs.get()
            block = False
            if job is None:
                self.stopped = True
            elif job[0] == "pdf":
                self.downloads[job[1]] = job[2]
            else:
                issue_dir, version, *rest = job
                rest += [None] * (2 - len(rest))
                self.renders[issue_dir] = (version, rest[0], rest[1])

    def waiting(self) -> bool:
        """A newer request is queued (asked between two pages of a whole PDF's painting)."""
        try:
            return not self.jobs.empty()
        except (OSError, ValueError):
            return True

    def run(self) -> None:  # pragma: no cover - runs in the child process
        from ..typeset.speedups import settle

        import gc

        while not self.stopped:
            idle = not self.renders and not self.downloads and not any(i.laid for i in self.issues.values())
            if idle and self.uncollected and self.jobs.empty():
                gc.collect()  # nothing to do: the oldest generation too
                self.uncollected = 0
            self.take(block=idle)
            if self.stopped:
                return
            if self.downloads:
                issue_dir, version = self.downloads.popitem()
                self.whole_pdf(issue_dir, None)
            elif self.renders:
                issue_dir, (version, visible, text) = next(iter(self.renders.items()))
                del self.renders[issue_dir]
                if self.render(issue_dir, version, visible, text):
                    # the render's own garbage, now that its images are sent (see GC_PAUSED_PAGES)
                    gc.collect(2 if self.uncollected >= GC_FULL_EVERY else 1)
                    if self.uncollected >= GC_FULL_EVERY:
                        self.uncollected = 0
                settle()  # after the first render: cheaper garbage collection from then on
            else:
                issue_dir = next(i for i, state in self.issues.items() if state.laid)
                self.whole_pdf(issue_dir, self.waiting)

    def render(self, issue_dir: str, version: int, visible: int | None, text: str | None = None) -> bool:
        """Render and send the result; True when the collector was paused for it."""
        import gc

        start = time.perf_counter()
        state = self.issues.setdefault(issue_dir, _Issue())
        paused = 0 < state.pages <= GC_PAUSED_PAGES and gc.isenabled()
        if paused:
            gc.disable()
            self.uncollected += 1
        try:
            self._render(issue_dir, version, visible, text, state, start)
        finally:
            if paused:
                gc.enable()
        return paused

    def _render(self, issue_dir: str, version: int, visible: int | None, text: str | None, state: _Issue,
                start: float) -> None:
        from ..api import lay_out
        from ..editor.preview import rasterise
        from ..typeset.pagedigest import layout_digests

        try:
            laid = lay_out(issue_dir, text=text)
            digests = layout_digests(laid.document, surroundings(issue_dir, laid.layout_folder))
            todo = [n for n, digest in enumerate(digests, 1) if digest not in state.shown]
            todo.sort(key=lambda n: (n != visible, n))  # the page on screen first
            made: dict[int, bytes] = {}
            messages = dict(state.messages)
            if todo:
                painted = laid.painter.pages(todo)
                for k, image in enumerate(rasterise(painted.pdf, list(range(1, len(todo) + 1)), PREVIEW_DPI)):
                    made[todo[k]] = _png(image)
                for n in todo:
                    messages[digests[n - 1]] = painted.by_page.get(n, [])
            page_messages = [m for digest in digests for m in messages.get(digest, [])]
            problems = _sorted_problems(laid.warnings([*page_messages, *state.others]))
        except Exception as exc:  # noqa: BLE001 - reported to the editor, the worker goes on
            self.results.put(("result", issue_dir, Result(version, False, problems=_failure(exc),
                                                          seconds=time.perf_counter() - start)))
            return
        result = Result(version, True, [made.get(n, b"") for n in range(1, len(digests) + 1)], b"", problems,
                        time.perf_counter() - start, digests, todo, page_marks(laid.document), version)
        self.results.put(("result", issue_dir, result))
        state.shown = set(digests)
        state.messages = {digest: messages.get(digest, []) for digest in digests}
        state.laid = (version, laid)
        state.pages = len(digests)

    def whole_pdf(self, issue_dir: str, interrupt) -> None:
        """Paint the whole PDF of the issue's last good layout and send it; given up (kept for
        later) when `interrupt()` says a newer request waits."""
        from ..typeset.painting import Superseded

        state = self.issues.get(issue_dir)
        if state is None or state.laid is None:
            self.results.put(("pdf", issue_dir, -1, b"", None))  # nothing to paint: the download stops waiting
            return
        version, laid = state.laid
        try:
            painted = laid.painter.pdf(interrupt=interrupt)
        except Superseded:
            return
        except Exception as exc:  # noqa: BLE001 - the preview stays; the download says why
            state.laid = None
            self.results.put(("pdf", issue_dir, version, b"", _failure(exc)))
            return
        state.laid = None  # painted: the layout is not needed any more
        state.others = list(painted.others)
        try:
            problems = _sorted_problems(laid.warnings(painted.messages))
        except Exception as exc:  # noqa: BLE001 - an error only painting shows (a picture it could not draw)
            self.results.put(("pdf", issue_dir, version, b"", _failure(exc)))
            return
        self.results.put(("pdf", issue_dir, version, painted.pdf, problems))


def _worker(jobs, results, parent: int | None = None) -> None:  # pragma: no cover - runs in the child process
    from .. import typeset  # noqa: F401 - before watch_parent's thread: WeasyPrint's bindings as bulletin imports them
    from .jobs import watch_parent

    watch_parent(parent)  # a killed server takes its renderer with it
    Worker(jobs, results).run()


class Renderer:
    def __init__(self):
        ctx = multiprocessing.get_context("spawn")
        # results through a simple queue: written at once by the worker, no feeder thread — a
        # result is on its way before the worker goes on (a feeder thread would wait for the GIL
        # behind the next work); requests through a queue with a feeder thread: a request carrying
        # an issue's text never holds up the server's event loop while the worker is busy
        self.jobs = ctx.Queue()
        self.results = ctx.SimpleQueue()
        self.process = ctx.Process(target=_worker, args=(self.jobs, self.results, os.getpid()), daemon=True)
        self.process.start()
        self.version = 0
        self.latest: dict[str, Result] = {}  # issue folder → newest result
        self.cond = threading.Condition()
        self.waiters: list = []  # (event loop, future) of the previews waiting for a result
        self.images: dict[str, dict[str, bytes]] = {}  # issue folder → page digest → PNG, as last sent
        self.cancelled: set[int] = set()  # versions rendered from a text that was not saved after all
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                message = self.results.get()
            except (EOFError, OSError):
                return
            kind, issue_dir, *rest = message
            with self.cond:
                if kind == "pdf":
                    self._attach_pdf(issue_dir, *rest)
                else:
                    self._take_result(issue_dir, rest[0])
                self.cond.notify_all()
                waiters, self.waiters = self.waiters, []
            for loop, future in waiters:
                try:
                    loop.call_soon_threadsafe(_wake, future)
                except RuntimeError:  # its event loop is closed
                    pass

    def _take_result(self, issue_dir: str, result: Result) -> None:
        if result.ok:
            # the worker sends only the images of pages whose digest it last sent no image for:
            # the others come from the last result it sent (shown or not)
            kept = self.images.get(issue_dir, {})
            result.pages = [image or kept.get(digest, b"") for image, digest in zip(result.pages, result.digests)]
            self.images[issue_dir] = dict(zip(result.digests, result.pages))
        if result.version in self.cancelled:
            self.cancelled.discard(result.version)
            if result.ok:
                self.request(Path(issue_dir))  # the issue as saved, laid out again
            return  # its text was not saved: never shown
        old = self.latest.get(issue_dir)
        if old is not None and result.version <= old.version:
            return  # stale
        if not result.ok and old is not None and old.pages:
            # a broken edit keeps the last good pages on screen (and their PDF), with the new problems
            result = replace(old, version=result.version, ok=False, problems=result.problems,
                             seconds=result.seconds, rasterised=[])
        self.latest[issue_dir] = result

    def _attach_pdf(self, issue_dir: str, version: int, pdf: bytes, problems) -> None:
        current = self.latest.get(issue_dir)
        if current is None or (version >= 0 and current.shows != version):
            return  # another version's PDF: never shown with other pages
        if pdf and not current.pdf:
            current = replace(current, pdf=pdf)
        if problems is not None and current.ok and current.version == version:
            current = replace(current, problems=problems)  # as painting the whole issue found them
        self.latest[issue_dir] = replace(current, pdf_done=True)

    def request(self, issue_dir: Path, visible: int | None = None, text: str | None = None) -> int:
        """Ask for a render; `visible`: the page on screen, rasterised first if it changed; `text`:
        render this text instead of reading issue.md — the editor's version while it is being
        checked and saved (cancel() it if it is not saved after all)."""
        with self.cond:
            self.version += 1
            version = self.version
        self.jobs.put((str(issue_dir), version, visible, text))
        return version

    def cancel(self, issue_dir: Path, version: int) -> None:
        """A render asked for with a text that was not saved: its result is never shown; if it
        was good, the issue as saved is rendered again (the worker's last layout would otherwise
        be of the unsaved text)."""
        with self.cond:
            current = self.latest.get(str(issue_dir))
            if current is None or current.version < version:
                self.cancelled.add(version)
                return
        if current.version == version:  # shown already (a save that waited long): no download of it
            with self.cond:
                self.latest[str(issue_dir)] = replace(current, pdf=b"", pdf_done=True)
            self.request(issue_dir)

    def wait(self, issue_dir: Path, after: int, timeout: float) -> Result | None:
        """The newest result newer than `after`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        key = str(issue_dir)
        with self.cond:
            while True:
                result = self.latest.get(key)
                if result is not None and result.version > after:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    return result if result is not None and after < 0 else None
                self.cond.wait(left)

    def wait_pdf(self, issue_dir: Path, timeout: float) -> Result | None:
        """The current result with its whole PDF, asking the worker to paint it if it has not yet."""
        deadline = time.monotonic() + timeout
        key = str(issue_dir)
        with self.cond:
            current = self.latest.get(key)
            if current is None:
                return None
            if not current.pdf and current.pages:
                self.jobs.put(("pdf", key, current.shows))
            while True:
                current = self.latest.get(key)
                if current is None or current.pdf or not current.pages or current.pdf_done:
                    return current
                left = deadline - time.monotonic()
                if left <= 0:
                    return current
                self.cond.wait(left)

    async def wait_async(self, issue_dir: Path, after: int, timeout: float) -> Result | None:
        """wait() without holding a thread: the preview waits on a future the reader thread
        wakes when a result comes (many pending previews then cost nothing, and never keep other
        requests waiting for a thread)."""
        import asyncio

        deadline = time.monotonic() + timeout
        key = str(issue_dir)
        loop = asyncio.get_running_loop()
        while True:
            future = loop.create_future()
            with self.cond:
                result = self.latest.get(key)
                if result is None or result.version <= after:
                    self.waiters.append((loop, future))
            if result is not None and result.version > after:
                return result
            left = deadline - time.monotonic()
            if left <= 0:
                return result if result is not None and after < 0 else None
            try:
                await asyncio.wait_for(future, min(left, 1.0))  # (looks again every second anyway)
            except asyncio.TimeoutError:
                pass

    async def pdf_async(self, issue_dir: Path, timeout: float) -> Result | None:
        """wait_pdf() without holding the event loop."""
        import asyncio

        return await asyncio.to_thread(self.wait_pdf, issue_dir, timeout)

    def current(self, issue_dir: Path) -> Result | None:
        with self.cond:
            return self.latest.get(str(issue_dir))

    def close(self) -> None:
        try:
            self.jobs.put(None)
            self.process.join(timeout=5)
        finally:
            if self.process.is_alive():
                self.process.terminate()


def _wake(future) -> None:
    if not future.done():
        future.set_result(None)
