"""Use both cores for a single `bulletin build`.

A fresh process spends most of its time before typesetting: importing WeasyPrint (~0.5 s) and
loading the fonts (~0.2 s) on one side, importing the rest and loading, checking and composing
the issue (~0.3 s) on the other. They do not depend on each other, so `start()` forks a child
that does the first part while the parent does the second; the parent then hands the composed
issue to the child, which typesets it and sends back the PDF. If anything about the child goes
wrong, the parent typesets the issue itself: the result is the same bytes either way.
"""
from __future__ import annotations

import os
import pickle
import struct
import sys

WARM: "Warm | None" = None  # started by launch.py for `bulletin build ISSUE`, used by the CLI


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    os.write(fd, struct.pack("<Q", len(data)))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _recv(fd: int):
    def exactly(n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    (size,) = struct.unpack("<Q", exactly(8))
    return pickle.loads(exactly(size))


def _child(jobs: int, results: int) -> None:  # pragma: no cover - runs in the forked child
    try:
        from .. import typeset  # first: it imports WeasyPrint's bindings (typeset.patches.import_weasyprint)
        from weasyprint import CSS

        from ..style.fonts import base_faces_css

        config = typeset.font_config()
        CSS(string=base_faces_css(), font_config=config)  # loads the base font files now, not later
        from ..collector import freeze_imports

        freeze_imports()  # WeasyPrint and the fonts stay: the render's collections need not scan them
        while True:  # one job per rendering of the issue (picture placement may need several)
            job = _recv(jobs)
            if job is None:
                break
            result = typeset.typeset(*job[0], **job[1])
            # plain values: unpickling typeset.Typeset would make the parent import WeasyPrint
            _send(results, ("ok", dict(vars(result))))
    except BaseException as exc:  # noqa: BLE001 - the parent falls back to typesetting itself
        try:
            _send(results, ("error", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
    finally:
        try:
            from ..typeset import release_fonts

            release_fonts()  # os._exit skips WeasyPrint's own clean-up of its font copies
        finally:
            os._exit(0)


def _local(*args, **kwargs):
    from ..typeset import typeset  # imports WeasyPrint: only when the child could not do it

    return typeset(*args, **kwargs)


class Warm:
    """A forked child ready to typeset one issue (one or more renderings of it: picture placement
    may lay it out again); `close()` ends it."""

    def __init__(self, pid: int, jobs: int, results: int):
        self.pid, self.jobs, self.results = pid, jobs, results
        self.used = False
        self.closed = False

    def typeset(self, *args, **kwargs):
        if self.closed:
            return _local(*args, **kwargs)
        self.used = True
        from types import SimpleNamespace

        composed, *rest = args  # html and css only: unpickling Composed would import Jinja & co. there
        job = ((SimpleNamespace(html=composed.html, css=composed.css), *rest), kwargs)
        try:
            _send(self.jobs, job)
            status, value = _recv(self.results)
        except (OSError, EOFError, pickle.PickleError):
            status, value = "error", "child gone"
        if status != "ok":
            self.close()
        if status == "ok":
            from types import SimpleNamespace

            return SimpleNamespace(**value)  # pdf, pages, warnings, denied, timings
        return _local(*args, **kwargs)  # same result, just without the head start

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fd in (self.jobs, self.results):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0 if self.used else os.WNOHANG)
            if not self.used:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
        except (OSError, ChildProcessError):
            pass


def start() -> Warm | None:
    """Fork the typesetting child, unless forking is unavailable or unsafe (WeasyPrint loaded)."""
    import threading

    if (not hasattr(os, "fork") or "weasyprint" in sys.modules or threading.active_count() > 1
            or os.environ.get("BULLETIN_NO_PREWARM")):
        return None  # forking a process with threads (a server, a test runner's helpers) is unsafe
    job_r, job_w = os.pipe()
    res_r, res_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover
        os.close(job_w)
        os.close(res_r)
        _child(job_r, res_w)
    os.close(job_r)
    os.close(res_w)
    return Warm(pid, job_w, res_r)
