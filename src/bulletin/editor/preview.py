"""`bulletin preview`: pages as PNG images and a contact sheet; `--watch` re-renders on every save.

Rasterising uses PDFium (pypdfium2), so no system tool is needed. In watch mode one warm process
keeps fonts and templates loaded; an edit that breaks the issue keeps the last good images and
reports the problem instead.
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BulletinError, Problem
from ..output.write import write_atomic


def parse_pages(spec: str | None, count: int) -> list[int]:
    """'1,3-4' → [1, 3, 4] (1-based, within the document); None → every page."""
    if not spec:
        return list(range(1, count + 1))
    pages: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            first, last = int(lo), int(hi or lo)
        except ValueError:
            raise BulletinError(Problem(None, None, f"页码范围 {spec!r} 写法不对", f"bad page range {spec!r}",
                                        "例如 1,3-4", "for example 1,3-4")) from None
        pages.extend(p for p in range(first, last + 1) if 1 <= p <= count and p not in pages)
    return pages


@dataclass
class Preview:
    pages: list[Path]
    contact_sheet: Path | None
    seconds: float
    problems: list[Problem] = field(default_factory=list)


def rasterise(pdf: bytes, pages: list[int], dpi: int):
    """PIL images of the given pages (1-based)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[p - 1].render(scale=dpi / 72).to_pil().convert("RGB") for p in pages]
    finally:
        document.close()


def contact_sheet(images, columns: int = 4, width: int = 300, gap: int = 12):
    """All pages small on one image, in reading order."""
    from PIL import Image

    thumbs = []
    for image in images:
        height = round(image.height * width / image.width)
        thumbs.append(image.resize((width, height)))
    rows = -(-len(thumbs) // columns)
    cell_h = max(t.height for t in thumbs)
    sheet = Image.new("RGB", (columns * (width + gap) + gap, rows * (cell_h + gap) + gap), (200, 200, 200))
    for i, thumb in enumerate(thumbs):
        sheet.paste(thumb, (gap + (i % columns) * (width + gap), gap + (i // columns) * (cell_h + gap)))
    return sheet


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


@dataclass
class Kept:
    """What `watch` keeps between renders: page images by page digest (pagedigest.py) and the
    digest each page file was last written with, so an edit rasterises and writes only the pages
    it changed."""
    images: dict[tuple[str, int], object] = field(default_factory=dict)  # (digest, dpi) → PIL image
    written: dict[Path, str] = field(default_factory=dict)  # page file → digest of what it shows

    def clear(self) -> None:
        self.images.clear()
        self.written.clear()


def preview(issue_dir: Path, out_dir: Path, pages: str | None = None, dpi: int = 60,
            kept: Kept | None = None) -> Preview:
    """Render the issue and write <stem>-p01.png … and <stem>-pages.png into out_dir. With `kept`
    (watch mode) pages whose drawing did not change are neither rasterised nor written again."""
    from ..api import render
    from ..typeset.pagedigest import Collector

    start = time.perf_counter()
    collector = Collector() if kept is not None else None
    result = render(issue_dir, pdf_options={"finisher": collector} if collector else None)
    wanted = parse_pages(pages, result.pages)
    digests = collector.digests if collector and len(collector.digests) == result.pages else None
    out_dir = Path(out_dir)
    if digests is None or kept is None:
        images = rasterise(result.pdf, wanted, dpi)
        fresh = set(wanted)
    else:
        todo = [n for n in wanted if (digests[n - 1], dpi) not in kept.images]
        made = dict(zip(todo, rasterise(result.pdf, todo, dpi)))
        images = [made.get(n) or kept.images[(digests[n - 1], dpi)] for n in wanted]
        kept.images = {(digests[n - 1], dpi): image for n, image in zip(wanted, images)}
        fresh = {n for n in wanted if kept.written.get(out_dir / f"{result.stem}-p{n:02d}.png") != digests[n - 1]
                 or not (out_dir / f"{result.stem}-p{n:02d}.png").exists()}
    written = []
    for number, image in zip(wanted, images):
        target = out_dir / f"{result.stem}-p{number:02d}.png"
        if number in fresh:
            write_atomic(target, _png(image))
            if kept is not None and digests is not None:
                kept.written[target] = digests[number - 1]
        written.append(target)
    sheet = None
    if len(images) > 1:
        sheet = out_dir / f"{result.stem}-pages.png"
        write_atomic(sheet, _png(contact_sheet(images)))
    return Preview(written, sheet, time.perf_counter() - start, result.warnings)


def watched_paths(issue_dir: Path) -> list[Path]:
    from ..source.load import load_series
    from ..resources import fonts_dir, layouts_dir

    from ..source.load import series_font_files

    series_dir = Path(issue_dir).resolve().parent
    try:
        from ..style.layout import load_layout, locate_layout

        layout = load_layout(locate_layout(load_series(series_dir).layout, series_dir)).folder
    except BulletinError:
        layout = layouts_dir()
    return [Path(issue_dir).resolve(), series_dir / "series.yaml", layout, fonts_dir(), *series_font_files(series_dir)]


def watch(issue_dir: Path, out_dir: Path, report: Callable[[Preview | BulletinError], None],
          pages: str | None = None, dpi: int = 60, stop_event=None) -> None:
    """Preview now and again after every change to the issue, its series, layout or fonts."""
    import watchfiles

    kept = Kept()

    def once() -> None:
        from ..typeset.speedups import settle

        try:
            report(preview(issue_dir, out_dir, pages, dpi, kept))
        except BulletinError as exc:  # the last good images stay where they are
            report(exc)
        settle()  # a long-lived process: see speedups.settle

    once()
    paths = [p for p in watched_paths(issue_dir) if p.exists()]
    own = str(Path(out_dir).resolve())  # our own output must not trigger a render

    def relevant(change, path: str) -> bool:
        return not path.startswith(own) and not path.endswith((".tmp", "~", ".bak")) and "/.issue.md." not in path

    for changes in watchfiles.watch(*paths, stop_event=stop_event, debounce=300, step=50, watch_filter=relevant):
        if any(Path(path).name != "issue.md" for _change, path in changes):
            kept.clear()  # a picture, the series, the layout or a font: every page anew
        once()
