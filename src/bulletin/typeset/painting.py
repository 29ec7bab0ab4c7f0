"""Painting a laid-out document (typeset(paint=False)) into PDF: all of its pages — the bytes
`bulletin build` writes for it — or only some of them, for the live preview (issue 17).

A WeasyPrint document is laid out once and can be painted any number of times: painting draws
from the boxes and shapes each text box's line again, and changes none of them. `document.copy`
takes a subset of the pages into a document of its own (its own fonts, subset to what those pages
use); each page is painted exactly as in the whole document, so its image is the same (glyph ids
are the fonts' own through subsetting; tests/test_preview_paint.py compares the pixels).

WeasyPrint logs some problems only while painting (a character no font has: “.notdef glyph…”),
so every message is noted with the page being painted when it was logged: a preview that paints
only the changed pages keeps the others' messages from when they were painted.

A whole-document painting may be given up between two pages (`interrupt`): the preview's
background process then starts on a newer edit at once instead of finishing a PDF nobody waits for.
"""
from __future__ import annotations

import logging
import time
import warnings as _warnings
from collections.abc import Callable
from dataclasses import dataclass, field


class Superseded(Exception):
    """A painting given up between two pages because newer work is waiting."""


@dataclass
class Painted:
    pdf: bytes
    messages: list[str] = field(default_factory=list)  # everything WeasyPrint logged, in order
    by_page: dict[int, list[str]] = field(default_factory=dict)  # page number (1-based) → logged while painting it
    others: list[str] = field(default_factory=list)  # logged outside any page's painting (fonts, links)
    seconds: float = 0.0


class _Log(logging.Handler):
    """WeasyPrint's warnings and errors, each noted with the page being painted (None: none)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.page: int | None = None
        self.messages: list[str] = []
        self.by_page: dict[int, list[str]] = {}
        self.others: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.messages.append(message)
        if self.page is None:
            self.others.append(message)
        else:
            self.by_page.setdefault(self.page, []).append(message)


class _Page:
    """One page of a document as WeasyPrint's PDF writer sees it, saying when its painting starts.
    `bare`: without links, anchors and bookmarks (a page painted alone for its image: links draw
    nothing, and one to a page left out would only be reported missing)."""

    def __init__(self, page, number: int, log: _Log, interrupt: Callable[[], bool] | None, bare: bool = False):
        self._page, self._number, self._log, self._interrupt = page, number, log, interrupt
        if bare:
            self.links, self.anchors, self.bookmarks = [], {}, []

    def __getattr__(self, name):
        return getattr(self._page, name)

    def paint(self, stream, scale=1):
        if self._interrupt is not None and self._interrupt():
            raise Superseded  # between two pages: WeasyPrint's state is as after a whole page
        self._log.page = self._number
        try:
            return self._page.paint(stream, scale)
        finally:
            self._log.page = None


class Painter:
    """Paints a document laid out by typeset(paint=False) with the options the build uses;
    `post(pdf)` is applied to every PDF made (the masthead's spot colour, output/inks.py)."""

    def __init__(self, document, pdf_options: dict, post: Callable[[bytes], bytes] | None = None):
        self.document = document
        self.options = dict(pdf_options)
        self.post = post

    @property
    def count(self) -> int:
        return len(self.document.pages)

    def pdf(self, finisher=None, interrupt: Callable[[], bool] | None = None) -> Painted:
        """The whole document: the bytes typeset() writes for it. `interrupt()` is asked before
        each page; when it says yes, Superseded is raised (nothing is kept)."""
        options = dict(self.options)
        if finisher is not None:
            options["finisher"] = finisher
        return self._paint(list(range(1, self.count + 1)), options, bare=False, interrupt=interrupt)

    def pages(self, numbers: list[int]) -> Painted:
        """A PDF of the given pages only (1-based), in that order: page k of it shows what page
        numbers[k - 1] of the whole document shows. Without links, anchors and outline, and not
        compressed (for rasterising at once: deflating and inflating it again is wasted time)."""
        from .diskcache import disk

        options = {key: value for key, value in self.options.items() if key != "finisher"}
        options["uncompressed_pdf"] = True
        with disk.paused():  # a page's glyph set is made for this edit only: not kept for later processes
            return self._paint(list(numbers), options, bare=True, interrupt=None)

    def _paint(self, numbers: list[int], options: dict, bare: bool, interrupt) -> Painted:
        log = _Log()
        pages = [_Page(self.document.pages[n - 1], n, log, interrupt, bare) for n in numbers]
        logger = logging.getLogger("weasyprint")
        logger.addHandler(log)
        propagate = logger.propagate
        logger.propagate = False  # shown by our caller, not printed on stderr by the root logger
        start = time.perf_counter()
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore", DeprecationWarning)
                pdf = self.document.copy(pages).write_pdf(**options)
        finally:
            logger.removeHandler(log)
            logger.propagate = propagate
        if self.post is not None:
            pdf = self.post(pdf)
        return Painted(pdf, log.messages, log.by_page, log.others, time.perf_counter() - start)
