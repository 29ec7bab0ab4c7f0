"""Live preview: a background process that keeps fonts, layouts and WeasyPrint loaded and renders
the latest saved version of an issue into page images.

Requests are coalesced: while a render runs, newer requests for the same issue replace older
ones, so typing never queues a backlog. Results carry a version number that only grows.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PREVIEW_DPI = 72


@dataclass
class Result:
    version: int
    ok: bool
    pages: list[bytes] = field(default_factory=list)  # PNG per page
    pdf: bytes = b""
    problems: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    digests: list[str] = field(default_factory=list)  # what each page shows (pagedigest.py)
    rasterised: list[int] = field(default_factory=list)  # pages made anew (1-based); the others were kept


def surroundings(issue_dir: str) -> bytes:
    """What else a page image depends on besides the PDF's drawing: every file under the issue
    folder but issue.md (pictures), and the files of its series folder (series.yaml, fonts), by
    name, size and time. Part of every page digest, so a change there makes every page anew.
    Folders themselves are left out: saving issue.md (a rename) changes their times."""
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
    return "\n".join(entries).encode("utf-8", "surrogateescape")


def page_images(pdf: bytes, digests: list[str], kept: dict[str, bytes], png, visible: int | None = None
                ) -> tuple[list[bytes], list[int]]:
    """The PNG of every page: kept from the last render where the page's digest is the same,
    rasterised where it changed — the visible page first. Returns (images, pages rasterised)."""
    from ..editor.preview import rasterise

    todo = [n for n, digest in enumerate(digests, 1) if not digest or digest not in kept]
    todo.sort(key=lambda n: (n != visible, n))
    made = dict(zip(todo, (png(image) for image in rasterise(pdf, todo, PREVIEW_DPI)))) if todo else {}
    return [made.get(n) or kept[d] for n, d in enumerate(digests, 1)], todo


def problem_json(p) -> dict:
    """A Problem as the editor's JSON (file name only: the browser never sees paths)."""
    return {"file": p.file.name if p.file else "", "line": p.line, "column": p.column, "severity": p.severity,
            "message": p.message, "message_en": p.message_en, "hint": p.hint, "hint_en": p.hint_en}


def _worker(jobs, results, parent: int | None = None) -> None:  # pragma: no cover - runs in the child process
    from .. import typeset  # noqa: F401 - before watch_parent's thread: WeasyPrint's bindings as bulletin imports them
    from .jobs import watch_parent

    watch_parent(parent)  # a killed server takes its renderer with it
    from ..api import render
    from ..errors import BulletinError
    from ..typeset.pagedigest import Collector

    def _png(image) -> bytes:
        import io

        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)  # fast: the preview is local
        return buffer.getvalue()

    kept: dict[str, dict[str, bytes]] = {}  # issue folder → page digest → PNG of the last render
    while True:
        job = jobs.get()
        if job is None:
            return
        latest = {job[0]: job}
        while True:  # take everything queued; render only the newest per issue
            try:
                more = jobs.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return
            latest[more[0]] = more
        from ..typeset.speedups import settle

        for issue_dir, version, *rest in latest.values():
            visible = rest[0] if rest else None
            start = time.perf_counter()
            try:
                collector = Collector(surroundings(issue_dir))
                result = render(issue_dir, pdf_options={"finisher": collector})
                digests = collector.digests if len(collector.digests) == result.pages else [""] * result.pages
                # only the pages whose drawing changed are rasterised again (issue 17)
                images, made = page_images(result.pdf, digests, kept.get(issue_dir, {}), _png, visible)
                kept[issue_dir] = {d: image for d, image in zip(digests, images) if d}
                # render() already ran every check: its warnings and notes are what `check` lists
                order = {"warning": 0, "info": 1}
                problems = [problem_json(p) for p in sorted(
                    result.warnings, key=lambda p: (order.get(p.severity, 2), p.line or 0, p.column or 0))]
                results.put((issue_dir, Result(version, True, images, result.pdf, problems,
                                               time.perf_counter() - start, digests, made)))
            except BulletinError as exc:
                results.put((issue_dir, Result(version, False, problems=[problem_json(p) for p in exc.problems],
                                               seconds=time.perf_counter() - start)))
            except Exception as exc:  # noqa: BLE001 - reported to the editor, the worker goes on
                results.put((issue_dir, Result(version, False, problems=[{
                    "file": "", "line": None, "column": None, "severity": "error",
                    "message": f"排版出错：{type(exc).__name__}: {exc}", "message_en": f"render failed: {exc}",
                    "hint": "", "hint_en": ""}], seconds=time.perf_counter() - start)))
            settle()  # after the first render: cheaper garbage collection from then on


class Renderer:
    def __init__(self):
        ctx = multiprocessing.get_context("spawn")
        self.jobs = ctx.Queue()
        self.results = ctx.Queue()
        self.process = ctx.Process(target=_worker, args=(self.jobs, self.results, os.getpid()), daemon=True)
        self.process.start()
        self.version = 0
        self.latest: dict[str, Result] = {}  # issue folder → newest result
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                issue_dir, result = self.results.get()
            except (EOFError, OSError):
                return
            with self.cond:
                old = self.latest.get(issue_dir)
                if old is not None and result.version <= old.version:
                    continue  # stale
                if not result.ok and old is not None and old.pages:
                    # a broken edit keeps the last good pages on screen, with the new problems
                    result = Result(result.version, False, old.pages, old.pdf, result.problems, result.seconds,
                                    old.digests)
                self.latest[issue_dir] = result
                self.cond.notify_all()

    def request(self, issue_dir: Path, visible: int | None = None) -> int:
        """Ask for a render; `visible`: the page on screen, rasterised first if it changed."""
        with self.cond:
            self.version += 1
            version = self.version
        self.jobs.put((str(issue_dir), version, visible))
        return version

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

    async def wait_async(self, issue_dir: Path, after: int, timeout: float) -> Result | None:
        """wait() without holding a thread: the event loop checks every 50 ms (many pending
        previews then cost nothing, and never keep other requests waiting for a thread)."""
        import asyncio

        started = time.monotonic()
        deadline = started + timeout
        key = str(issue_dir)
        while True:
            with self.cond:
                result = self.latest.get(key)
            if result is not None and result.version > after:
                return result
            now = time.monotonic()
            if now >= deadline:
                return result if result is not None and after < 0 else None
            # every 10 ms while a render of a typical issue may end (a preview waits ~5 ms less on
            # average), every 50 ms after that
            await asyncio.sleep(0.01 if now - started < 3 else 0.05)

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
