"""Helpers for tests that read back rendered PDFs (pdfplumber / pdfminer / pypdf)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from pdfminer.converter import PDFPageAggregator
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
BLOCK_LEFT = 28 * MM
BLOCK_RIGHT = (28 + 156) * MM
BLOCK_TOP = 37 * MM
BLOCK_BOTTOM = (37 + 225) * MM


@dataclass
class Line:
    page: int  # 1-based
    text: str
    chars: list[dict]

    @property
    def top(self) -> float:
        return min(c["top"] for c in self.chars)

    @property
    def bottom(self) -> float:
        return max(c["bottom"] for c in self.chars)

    @property
    def x0(self) -> float:
        return self.chars[0]["x0"]

    @property
    def x1(self) -> float:
        return self.chars[-1]["x1"]

    @property
    def size(self) -> float:
        return max(c["size"] for c in self.chars)


def lines(pdf: pdfplumber.PDF) -> list[Line]:
    """Visual lines of every page, top to bottom, characters left to right."""
    out: list[Line] = []
    for number, page in enumerate(pdf.pages, 1):
        rows: list[list[dict]] = []
        for ch in sorted(page.chars, key=lambda c: (c["bottom"], c["x0"])):
            if not ch["text"].strip():
                continue
            for row in rows:
                if abs(row[0]["bottom"] - ch["bottom"]) <= 0.35 * max(row[0]["size"], ch["size"]):
                    row.append(ch)
                    break
            else:
                rows.append([ch])
        for row in sorted(rows, key=lambda r: r[0]["bottom"]):
            row.sort(key=lambda c: c["x0"])
            out.append(Line(number, "".join(c["text"] for c in row), row))
    return out


def flow_text(pdf: pdfplumber.PDF) -> str:
    """The text of the text blocks (page numbers left out) without whitespace, in reading order."""
    return re.sub(r"\s+", "", "".join(ln.text for ln in lines(pdf) if ln.top < BLOCK_BOTTOM))


def find_in_order(haystack: str, needles: list[str]) -> list[str]:
    """Needles (whitespace ignored) missing from haystack or out of order."""
    missing, pos = [], 0
    for needle in needles:
        n = re.sub(r"\s+", "", needle)
        at = haystack.find(n, pos)
        if at < 0:
            missing.append(needle)
        else:
            pos = at + len(n)
    return missing


class _NotdefCounter(PDFPageAggregator):
    def __init__(self, rsrcmgr):
        super().__init__(rsrcmgr, laparams=None)
        self.notdef = 0
        self.glyphs = 0

    def render_char(self, matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate):
        self.glyphs += 1
        if cid == 0:
            self.notdef += 1
        return super().render_char(matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate)


def count_notdef(path: Path) -> tuple[int, int]:
    """(glyphs drawn with glyph id 0 = .notdef tofu boxes, all glyphs). A character its face lacks
    is drawn by WeasyPrint through an Encoding CMap of the font's own (“WP-Encod”) that maps its
    code to CID 0; pdfminer reads no such CMap (it drops all the font's characters), so those
    codes are counted from the CMaps: at least one .notdef each."""
    rsrc = PDFResourceManager()
    device = _NotdefCounter(rsrc)
    interp = PDFPageInterpreter(rsrc, device)
    with open(path, "rb") as fh:
        for page in PDFPage.get_pages(fh):
            interp.process_page(page)
    return device.notdef + len(notdef_codes(path)), device.glyphs


def notdef_codes(path: Path) -> list[tuple[str, str]]:
    """(font, code) of every code an embedded Encoding CMap maps to CID 0 (.notdef)."""
    from pypdf import PdfReader
    from pypdf.generic import StreamObject

    found, seen = [], set()

    def fonts_of(resources):
        resources = resources.get_object() if resources is not None else {}
        for ref in (resources.get("/Font") or {}).values():
            yield ref.get_object()
        for ref in (resources.get("/XObject") or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                yield from fonts_of(xobject.get("/Resources"))

    for page in PdfReader(path).pages:
        for font in fonts_of(page.get("/Resources")):
            encoding = font.get("/Encoding")
            encoding = encoding.get_object() if encoding is not None else None
            if not isinstance(encoding, StreamObject) or id(encoding) in seen:
                continue
            seen.add(id(encoding))
            cmap = encoding.get_data().decode("latin-1")
            for block in re.findall(r"begincidchar(.*?)endcidchar", cmap, re.S):
                found += [(str(font.get("/BaseFont")), code) for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s+(\d+)", block)
                          if cid == "0"]
    return found


def is_red(color) -> bool:
    if not color:
        return False
    if len(color) == 4:
        c, m, y, k = color
        return m > 0.6 and y > 0.5 and c < 0.3 and k < 0.4
    if len(color) == 3:
        r, g, b = color
        return r > 0.6 and g < 0.35 and b < 0.35
    return False


def horizontal_rules(path: Path, page_index: int, xs_pt: list[float], dpi: int = 600) -> list[tuple[float, float]]:
    """Rules seen on the rendered page: (top in pt, thickness in mm) for each run of pixel rows that
    is dark at every x in `xs_pt` (choose x positions where no text is, e.g. the block's insets)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(path))
    image = doc[page_index].render(scale=dpi / 72).to_pil().convert("L")
    doc.close()
    scale = dpi / 72
    columns = [[image.getpixel((int(x * scale), y)) for y in range(image.height)] for x in xs_pt]
    dark = [all(col[y] < 128 for col in columns) for y in range(image.height)]
    rules, start = [], None
    for y, is_dark in enumerate([*dark, False]):
        if is_dark and start is None:
            start = y
        elif not is_dark and start is not None:
            rules.append((start / scale, (y - start) / scale / MM))
            start = None
    return rules
