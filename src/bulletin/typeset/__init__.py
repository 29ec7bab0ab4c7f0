"""Typeset stage: composed HTML → PDF bytes with WeasyPrint.

- Only the issue folder, the layout folder and fonts/ can be read (SafeFetcher): no http(s),
  no file outside them, no `..` or symlink escapes.
- WeasyPrint's warnings are collected and returned, so callers can show them and tests can
  fail on them (an unknown CSS property in our own layouts is a bug).
- Output is reproducible: same input, same bytes (no timestamps, fixed identifier).
"""
from __future__ import annotations

import hashlib
import logging
import mimetypes
import time
import warnings as _warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname


with _warnings.catch_warnings():
    # WeasyPrint warns at import when the host has no fonts ("Expect ugly output"): irrelevant
    # here, layouts use only the project's own @font-face fonts.
    _warnings.filterwarnings("ignore", message=".*Expect ugly output")
    # first: it imports WeasyPrint's library bindings with its import patches (patches.import_weasyprint)
    from . import patches
    from weasyprint import CSS, HTML, __version__ as weasyprint_version
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..compose import Composed

if not weasyprint_version.startswith("70."):  # pragma: no cover - guarded by the pinned dependency
    raise ImportError(f"bulletin needs WeasyPrint 70.x, found {weasyprint_version}")


class FetchDenied(ValueError):
    pass


class SafeFetcher(URLFetcher):
    """Serves files under the allowed folders and nothing else."""

    def __init__(self, roots: list[Path]):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.roots = [r.resolve() for r in roots]
        self.denied: list[str] = []

    def local_file(self, url: str) -> Path | None:
        """The file an allowed file: URL names (resolved), else None."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(unquote(parts.path))).resolve()  # resolves .. and symlinks
        if not any(path == root or root in path.parents for root in self.roots) or not path.is_file():
            return None
        return path

    def fetch(self, url, headers=None):
        path = self.local_file(url)
        if path is None:
            return self._deny(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})

    def _deny(self, url: str):
        self.denied.append(url)
        raise FetchDenied(f"bulletin: access denied to {url}")


@dataclass
class Typeset:
    pdf: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # "layout", "pdf" (seconds)
    inspected: object = None  # what `inspect` read from the laid-out document (placement.measure)
    overflows: list[dict] = field(default_factory=list)  # postflight.measure(): boxes past the text block
    document: object = None  # typeset(paint=False): the laid-out document, not painted yet (painting.py)
    pdf_options: dict = field(default_factory=dict)  # … and what write_pdf is to be called with


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _collect_weasyprint_warnings():
    logger = logging.getLogger("weasyprint")
    handler = _Collector()
    logger.addHandler(handler)
    propagate = logger.propagate
    logger.propagate = False  # shown by our caller, not printed on stderr by the root logger
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


_font_config: FontConfiguration | None = None


def font_config() -> FontConfiguration:
    """One FontConfiguration per process: fonts are loaded once for many renders."""
    global _font_config
    if _font_config is None:
        patches.install("speed")  # a warm process keeps font subsets between renders (speedups.py)
        patches.install("engine")  # no whole font files copied, no subsets deflated twice (engine.py)
        _font_config = FontConfiguration()
        from .. import scratch

        scratch.adopt_font_folder(_font_config)  # font copies in our per-process folder, swept if we die
        import atexit

        atexit.register(release_fonts)
    return _font_config


def release_fonts() -> None:
    """Remove the font folder WeasyPrint keeps (links to the font files, or copies of them where no
    link could be made: then ~60 MB; fontfiles.py). Its own
    FontConfiguration.__del__ does it only if the object is collected, which a process ending with
    os._exit (prewarm's child, a fast exit) or at interpreter shutdown may never do."""
    import shutil

    folder = getattr(_font_config, "_folder", None) if _font_config is not None else None
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
    from .. import scratch

    scratch.cleanup()


# (layout stylesheet, its mtime and size, font configuration) → parsed CSS: a layout's CSS is
# parsed once per process (~14 ms a render on the sample), again only when the file changes
_SHEETS: dict[tuple, CSS] = {}


def layout_sheet(path: Path, config: FontConfiguration, fetcher: SafeFetcher) -> CSS:
    """The parsed stylesheet of a layout file, kept between renders. WeasyPrint does not change a
    CSS object while rendering with it; the fetcher is used only while parsing (the layout's own
    @import and @font-face, which can reach only the layout and fonts folders)."""
    path = Path(path).resolve()
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size, id(config), tuple(fetcher.roots[1:]))
    sheet = _SHEETS.get(key)
    if sheet is None:
        for old in [k for k in _SHEETS if k[0] == path]:
            del _SHEETS[old]
        sheet = _SHEETS[key] = CSS(filename=str(path), font_config=config, url_fetcher=fetcher)
    return sheet


def typeset(composed: Composed, base_dir: Path, stylesheets: list[Path], roots: list[Path],
            adjust: bool = True, pdf_options: dict | None = None, inspect=None, paint: bool = True) -> Typeset:
    """Render to PDF. `adjust=False` leaves WeasyPrint's own line adjustment (for comparisons);
    `pdf_options` go to WeasyPrint's write_pdf (e.g. pdf_variant, attachments); `inspect(document)`
    reads the laid-out pages (plain values, e.g. placement.measure). `paint=False` lays out only:
    the result has no PDF but the document and the write_pdf options (painting.Painter paints it,
    all pages or some, later: the live preview)."""
    patches.install("grid")  # grid snapping of pictures and tables (see blocklayout.py)
    if adjust:
        patches.install()  # Chinese line composition (see patches.py)
        patches.new_document()
    else:
        patches.uninstall()
    base_dir = base_dir.resolve()
    fetcher = SafeFetcher([base_dir, *roots])
    config = font_config()
    with _collect_weasyprint_warnings() as messages, _warnings.catch_warnings():
        _warnings.simplefilter("ignore", DeprecationWarning)
        sheets = [CSS(string=composed.css, font_config=config, url_fetcher=fetcher,
                      base_url=base_dir.as_uri() + "/")]
        sheets += [layout_sheet(p, config, fetcher) for p in stylesheets]
        html = HTML(string=composed.html, base_url=base_dir.as_uri() + "/", url_fetcher=fetcher)
        start = time.perf_counter()
        document = html.render(stylesheets=sheets, font_config=config)
        from ..check import postflight

        overflows = postflight.measure(html.etree_element, document)  # boxes past the text block
        laid_out = time.perf_counter()
        identifier = hashlib.sha256(composed.html.encode("utf-8")).hexdigest()[:32].encode()
        if not paint:
            return Typeset(pdf=b"", pages=len(document.pages), warnings=list(messages), denied=list(fetcher.denied),
                           timings={"layout": laid_out - start}, inspected=inspect(document) if inspect else None,
                           overflows=overflows, document=document,
                           pdf_options={"pdf_identifier": identifier, **(pdf_options or {})})
        pdf = document.write_pdf(pdf_identifier=identifier, **(pdf_options or {}))
        written = time.perf_counter()
    return Typeset(pdf=pdf, pages=len(document.pages), warnings=list(messages), denied=list(fetcher.denied),
                   timings={"layout": laid_out - start, "pdf": written - laid_out},
                   inspected=inspect(document) if inspect else None, overflows=overflows)
