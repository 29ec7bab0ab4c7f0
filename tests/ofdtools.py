"""Helpers for the OFD tests: read an OFD package back the way the standard describes it (written
here from the standard, not with bulletin's own reader), render it with an independent reader
(easyofd, from PyPI) and compare page images with our PDF's."""
from __future__ import annotations

import io
import logging
import os
import posixpath
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

NS = "{http://www.ofdspec.org/2016}"
ROOT = Path(__file__).resolve().parents[1]
MM = 25.4 / 72


def expand(deltas: str | None, count: int) -> list[float]:
    """DeltaX/DeltaY values (with “g N v”) for `count` characters: count − 1 gaps."""
    out: list[float] = []
    tokens = (deltas or "").split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g":
            out += [float(tokens[i + 2])] * int(tokens[i + 1])
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out + [0.0] * (count - 1 - len(out))


@dataclass
class Char:
    page: int  # 0-based
    text: str
    glyph: int  # glyph id the reader draws (CGTransform, else the font's cmap)
    x: float  # origin, page mm
    y: float
    size: float  # mm
    font: int  # Font resource ID


class Package:
    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.ofd = self.xml("OFD.xml")
        self.doc_path = self.ofd.findtext(f"{NS}DocBody/{NS}DocRoot").strip()
        self.doc = self.xml(self.doc_path)
        base = posixpath.dirname(self.doc_path)
        self.fonts: dict[int, bytes] = {}
        self.color_spaces: dict[int, str] = {}
        for loc in [*self.doc.iter(f"{NS}PublicRes"), *self.doc.iter(f"{NS}DocumentRes")]:
            res_path = posixpath.join(base, loc.text.strip())
            res = self.xml(res_path)
            res_base = posixpath.join(posixpath.dirname(res_path), res.get("BaseLoc", ""))
            for font in res.iter(f"{NS}Font"):
                self.fonts[int(font.get("ID"))] = self.zip.read(posixpath.join(res_base, font.findtext(f"{NS}FontFile")))
            for space in res.iter(f"{NS}ColorSpace"):
                self.color_spaces[int(space.get("ID"))] = space.get("Type")
        self.page_ids = [int(p.get("ID")) for p in self.doc.iter(f"{NS}Page")]
        self.pages = [self.xml(posixpath.join(base, p.get("BaseLoc"))) for p in self.doc.iter(f"{NS}Page")]
        self._cmaps: dict[int, dict[int, int]] = {}

    def xml(self, name: str):
        return ET.fromstring(self.zip.read(name))

    def cmap(self, font_id: int) -> dict[int, int]:
        if font_id not in self._cmaps:
            from fontTools.ttLib import TTFont

            font = TTFont(io.BytesIO(self.fonts[font_id]))
            order = {n: i for i, n in enumerate(font.getGlyphOrder())}
            self._cmaps[font_id] = {cp: order[n] for cp, n in font.getBestCmap().items()}
        return self._cmaps[font_id]

    def chars(self) -> list[Char]:
        out = []
        for n, page in enumerate(self.pages):
            for obj in page.iter(f"{NS}TextObject"):
                bx, by = (float(v) for v in obj.get("Boundary").split()[:2])
                a, b, c, d, e, f = (float(v) for v in (obj.get("CTM") or "1 0 0 1 0 0").split())
                font, size = int(obj.get("Font")), float(obj.get("Size"))
                transforms: dict[int, int] = {}
                x = y = 0.0
                for child in obj:
                    if child.tag == f"{NS}CGTransform":  # CodeCount codes ↔ GlyphCount glyphs
                        pos, count = int(child.get("CodePosition")), int(child.get("CodeCount", "1"))
                        glyphs = [int(g) for g in child.findtext(f"{NS}Glyphs").split()]
                        if count == len(glyphs):
                            transforms.update({pos + k: g for k, g in enumerate(glyphs)})
                        else:  # a cluster: its first code draws the glyph, the others none
                            transforms.update({pos + k: None for k in range(count)})
                            transforms[pos] = glyphs[0]
                    elif child.tag == f"{NS}TextCode":
                        text = child.text or ""
                        x = float(child.get("X", x))
                        y = float(child.get("Y", y))
                        dxs, dys = expand(child.get("DeltaX"), len(text)), expand(child.get("DeltaY"), len(text))
                        for k, ch in enumerate(text):
                            if k:
                                x += dxs[k - 1]
                                y += dys[k - 1]
                            glyph = transforms[k] if k in transforms else self.cmap(font).get(ord(ch), 0)
                            out.append(Char(n, ch, glyph, bx + a * x + c * y + e, by + b * x + d * y + f, size, font))
                        transforms = {}
        return out

    def custom_data(self) -> dict[str, str]:
        return {c.get("Name"): c.text for c in self.ofd.iter(f"{NS}CustomData")}


# ---------------------------------------------------------------- the independent reader


def easyofd_pages(ofd_path: Path, workdir: Path):
    """Page images rendered by easyofd (OFD → PDF with reportlab → images with PyMuPDF).

    easyofd draws every character in the font registered as “宋体” (it does not use embedded
    fonts), as a desktop with SimSun would; here that is the project's own TrueType Kai font."""
    import loguru
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    try:
        pdfmetrics.getFont("宋体")
    except KeyError:
        pdfmetrics.registerFont(TTFont("宋体", str(ROOT / "fonts" / "gkai00mp.ttf")))
    loguru.logger.remove()  # the reader logs every font and object it handles
    logging.disable(logging.WARNING)
    cwd = os.getcwd()
    os.chdir(workdir)  # it writes the embedded fonts into the working folder while reading
    try:
        from easyofd import OFD

        reader = OFD()
        reader.read(str(ofd_path), fmt="path")
        pdf = reader.to_pdf()
        images = reader.pdf2img(pdf)
    finally:
        os.chdir(cwd)
        logging.disable(logging.NOTSET)
    return pdf, images


def easyofd_font_chars() -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(str(ROOT / "fonts" / "gkai00mp.ttf")).getBestCmap())


def our_pages(pdf_path: Path, workdir: Path, dpi: int = 150):
    """Our PDF's pages as pdftoppm renders them (greyscale)."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf_path), str(workdir / "ours")], check=True)
    files = sorted(workdir.glob("ours-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    return [Image.open(p).convert("L") for p in files]


TILE = 24  # px: 4 mm at 150 dpi, the scale at which a misplaced line or a missing rule shows


@dataclass
class PageComparison:
    stray: int  # most reader-ink pixels in one tile outside our ink and our character cells
    missing_graphics: int  # most pixels of our non-text ink in one tile with no reader ink near them
    blank_cells: list[str]  # characters whose cell the reader left empty
    cells: int


def _worst_tile(mask) -> int:
    import numpy as np

    h, w = mask.shape
    padded = np.zeros(((h + TILE - 1) // TILE * TILE, (w + TILE - 1) // TILE * TILE), dtype=np.int32)
    padded[:h, :w] = mask
    tiles = padded.reshape(padded.shape[0] // TILE, TILE, padded.shape[1] // TILE, TILE).sum(axis=(1, 3))
    return int(tiles.max())


def compare_page(ours, theirs, chars, dpi: int = 150, reach: int = 2) -> PageComparison:
    """Compare a page the reader rendered with ours, both at `dpi`.

    The reader draws text in its substitute typeface at the OFD's positions and sizes, so text is
    compared cell by cell: each character's cell (its advance × from 1 em above the baseline to
    0.3 em below, 0.1 em wider each side) must hold reader ink, and reader ink must fall inside
    a cell or on our own ink. Everything else we draw (rules, table lines, images) must have reader
    ink within `reach` pixels (2 px = 0.34 mm at 150 dpi: the reader outlines filled paths with its
    0.25 mm pen instead of filling them, so a 0.75 mm rule comes back as its two edges). Errors are
    counted per 4 mm tile, so one misplaced line is not diluted by a page of good ones."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    theirs = theirs.convert("L").resize(ours.size, Image.BOX)
    ink_ours = np.asarray(ours) < 200  # CMYK colours come back as other hues: compare ink, not colour
    ink_theirs = np.asarray(theirs) < 200
    scale = dpi / 25.4
    cells = Image.new("L", ours.size, 0)
    draw = ImageDraw.Draw(cells)
    boxes = []
    for ch in chars:
        box = ((ch["x0"] - 0.1 * ch["size"]) * scale, (ch["y"] - 1.0 * ch["size"]) * scale,
               (ch["x1"] + 0.1 * ch["size"]) * scale, (ch["y"] + 0.3 * ch["size"]) * scale)
        draw.rectangle(box, fill=255)
        boxes.append((box, ch["text"]))
    in_cells = np.asarray(cells) > 0

    def near(mask, r):
        return np.asarray(Image.fromarray(mask.astype("uint8") * 255).filter(ImageFilter.MaxFilter(2 * r + 1))) > 0

    stray = ink_theirs & ~near(ink_ours | in_cells, reach)
    graphics = ink_ours & ~near(in_cells, 1)
    missing = graphics & ~near(ink_theirs, reach)
    blank = []
    for (x0, y0, x1, y1), text in boxes:
        if not ink_theirs[max(int(y0), 0):int(y1) + 1, max(int(x0), 0):int(x1) + 1].any():
            blank.append(text)
    return PageComparison(_worst_tile(stray), _worst_tile(missing), blank, len(boxes))


def pdf_chars(pdf_path: Path) -> list[list[dict]]:
    """Every visible character of our PDF per page: text, origin (mm), advance box, size (mm)."""
    import pdfplumber

    pages = []
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            height = float(page.height)
            pages.append([{"text": c["text"], "x": c["matrix"][4] * MM, "y": (height - c["matrix"][5]) * MM,
                           "x0": c["x0"] * MM, "x1": c["x1"] * MM, "size": c["size"] * MM}
                          for c in page.chars if c["text"].strip()])
    return pages


def reader_pdf_chars(path: Path) -> list[list[tuple[float, float, float, str]]]:
    """Characters easyofd drew into its PDF (its unit: 1 mm = 200/25.4), per page: origin and size
    in mm, and the character."""
    import pdfplumber

    scale = 25.4 / 200
    pages = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            height = float(page.height)
            pages.append([(c["matrix"][4] * scale, (height - c["matrix"][5]) * scale, c["size"] * scale, c["text"])
                          for c in page.chars if c["text"].strip()])
    return pages


def misplaced(got, want: list[dict], tolerance: float = 0.01, font_chars: set[int] | None = None) -> list:
    """Pairs (reader's, ours) of one page's characters, in reading order, that differ in place or
    size by more than `tolerance` mm, or in character (unless the reader's font, whose characters
    are `font_chars`, lacks ours); a different number of characters is a mismatch of its own."""
    order = lambda c: (round(c[1], 1), c[0])  # noqa: E731 - lines top to bottom, then left to right
    got = sorted(got, key=order)
    # a cluster (several characters drawn as one glyph, like Noto's “——”) is drawn by the reader
    # character by character across the glyph's advance
    want = sorted(((c["x"] + k * (c["x1"] - c["x0"]) / len(c["text"]), c["y"], c["size"], ch)
                   for c in want for k, ch in enumerate(c["text"])), key=order)
    if len(got) != len(want):
        return [("count", len(got), len(want))]
    return [(g, w) for g, w in zip(got, want)
            if max(abs(g[0] - w[0]), abs(g[1] - w[1]), abs(g[2] - w[2])) > tolerance
            or (g[3] != w[3] and (font_chars is None or ord(w[3]) in font_chars))]
