"""Pictures: their printed size, and the blocks the template draws.

A picture is as wide as the editor asks (``{宽=60%}``, ``{宽=12字}``, ``{宽=80mm}``) or as the block
allows, and never taller than the layout's limit (layout.yaml `pictures:`): landscape pictures up
to `max_height`, portrait ones (taller than wide: phone photos) up to `portrait_max_height`, so a
page that holds one keeps room for text. Two or three pictures in one paragraph stand side by
side at one common height, filling the block's width (less a gap between them), each with its
caption under it.

The size is worked out here, from the image's own pixel size (after its EXIF orientation), so
the template can write it and placement.py can scale it when a page foot would otherwise stay
empty. SVG pictures have no pixel size: they are as wide as asked (or the block), height from
their own aspect ratio in the browser.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..style.layout import length_pt

MM = 72 / 25.4


@dataclass(frozen=True)
class PictureRules:
    """Sizes from layout.yaml `pictures:` (all in pt)."""

    max_height: float = 100 * MM
    portrait_max_height: float = 85 * MM
    row_max_height: float = 70 * MM
    gap: float = 14.0  # between pictures of a row
    min_scale: float = 0.7  # placement may shrink a picture this far to fill a page foot
    min_height: float = 35 * MM  # … but not below this

    @classmethod
    def of(cls, spec: dict | None) -> "PictureRules":
        spec = spec or {}
        values = {}
        for name in ("max_height", "portrait_max_height", "row_max_height", "gap", "min_height"):
            if name in spec:
                values[name] = length_pt(str(spec[name]))
        if "min_scale" in spec:
            values["min_scale"] = float(spec["min_scale"])
        return cls(**values)


@lru_cache(maxsize=256)
def _pixel_size(path: str, mtime_ns: int, size: int) -> tuple[int, int] | None:
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - the loader has checked it is an image; SVG and others: unknown
        return None
    if orientation in (5, 6, 7, 8):  # rotated a quarter turn: WeasyPrint follows the EXIF tag
        width, height = height, width
    return (width, height) if width > 0 and height > 0 else None


def pixel_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in pixels as printed (EXIF orientation applied), or None (SVG, unreadable)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if path.suffix.lower() == ".svg":
        return None
    return _pixel_size(str(path), stat.st_mtime_ns, stat.st_size)


def asked_width(width: str | None, block: float, grid: float) -> float | None:
    """An editor's width (60%, 12字, 80mm) in pt, at most the block's width."""
    if not width:
        return None
    m = re.fullmatch(r"([0-9.]+)(%|字|mm)", width)
    if not m:
        return None
    value = float(m.group(1))
    pt = {"%": value / 100 * block, "字": value * grid, "mm": value * MM}[m.group(2)]
    return min(max(pt, grid), block)


@dataclass
class PictureView:
    """A picture as the template draws it."""

    key: str
    src: str
    caption: str
    width: float | None  # pt; None: let the browser size it (SVG without an asked width)
    height: float | None
    kind: str = "figure"
    portrait: bool = False
    box_width: float | None = None  # the figure with its caption (blocks.py: as wide as the caption needs)

    def scaled(self, factor: float) -> "PictureView":
        if self.width is None or self.height is None:
            return self
        return PictureView(self.key, self.src, self.caption, self.width * factor, self.height * factor,
                           self.kind, self.portrait)


@dataclass
class PictureRowView:
    key: str
    items: list[PictureView] = field(default_factory=list)
    kind: str = "figures"
    gap: float = 14.0

    def scaled(self, factor: float) -> "PictureRowView":
        return PictureRowView(self.key, [p.scaled(factor) for p in self.items], self.kind, self.gap)


def picture(figure, key: str, folder: Path, block: float, grid: float, rules: PictureRules) -> PictureView:
    """The printed size of one picture."""
    pixels = pixel_size(folder / figure.path)  # the file: src is the URL as written (照片 percent-encoded)
    wanted = asked_width(figure.width, block, grid)
    if pixels is None:
        return PictureView(key, figure.src, figure.caption, wanted, None)
    aspect = pixels[0] / pixels[1]
    portrait = aspect < 1
    width = wanted or min(block, pixels[0] * 0.75)  # a small image is not blown up past 96 dpi
    height = width / aspect
    limit = rules.portrait_max_height if portrait else rules.max_height
    if height > limit:
        height = limit
        width = height * aspect
    return PictureView(key, figure.src, figure.caption, width, height, portrait=portrait)


def picture_row(row, key: str, folder: Path, block: float, grid: float, rules: PictureRules) -> PictureRowView:
    """Pictures side by side at one height that fills the block's width (less the gaps)."""
    views = [picture(f, f"{key}-{i}", folder, block, grid, rules) for i, f in enumerate(row.figures)]
    gap = rules.gap
    room = block - gap * (len(views) - 1)
    known = [v for v in views if v.width and v.height]
    if len(known) == len(views):
        asked = [asked_width(f.width, block, grid) for f in row.figures]
        if all(asked):  # the editor gave every width: keep them (shrunk together if they do not fit)
            factor = min(1.0, room / sum(asked))
            views = [PictureView(v.key, v.src, v.caption, a * factor, a * factor * v.height / v.width, portrait=v.portrait)
                     for v, a in zip(views, asked)]
        else:
            ratios = [v.width / v.height for v in views]
            height = min(room / sum(ratios), rules.row_max_height)
            views = [PictureView(v.key, v.src, v.caption, r * height, height, portrait=v.portrait)
                     for v, r in zip(views, ratios)]
    else:  # an SVG among them: equal shares of the width
        share = room / len(views)
        views = [PictureView(v.key, v.src, v.caption, share, (share * v.height / v.width) if v.width and v.height
                             else None, portrait=v.portrait) for v in views]
    return PictureRowView(key, views, gap=gap)
