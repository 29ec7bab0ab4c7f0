"""Imposing A4 pages on A3 sheets for a print shop (拼版).

- `booklet` (骑马订, saddle stitching): each copy's pages are padded with blank pages to a multiple
  of four and laid out so that the printed sheets, stacked, folded in the middle and stitched,
  read in order: the first sheet's front carries the last page and page 1, its back page 2 and the
  last page but one, and so on inwards. Print both sides, flipping on the short edge (短边翻转).
- `side-by-side` (顺序两版): pages 1–2, 3–4, … on consecutive sheets, each copy starting a new sheet
  (a copy with an odd number of pages ends with a blank half).

With `marks`, each A3 spread sits in the middle of an SRA3 sheet (450 × 320 mm) with crop marks at
its corners and fold marks at the spine, all outside the A3 trim (TrimBox = the A3 area,
BleedBox 3 mm beyond it); without, the sheet is exactly A3. Marks are in registration black
(all four inks), 0.25 pt, 3 mm clear of the trim.
"""
from __future__ import annotations

import io

MM = 72 / 25.4
SRA3 = (450 * MM, 320 * MM)
MARK_LENGTH = 5 * MM
MARK_OFFSET = 3 * MM
MARK_WIDTH = 0.25


def booklet_sheets(pages: int) -> list[tuple[int | None, int | None]]:
    """The sides of a saddle-stitched booklet of `pages` pages, in printing order (front, back,
    front, …), as (left, right) 0-based page indexes; None is a blank page."""
    total = -(-pages // 4) * 4 if pages else 0

    def page(i: int) -> int | None:
        return i if i < pages else None

    sides = []
    for sheet in range(total // 4):
        sides.append((page(total - 1 - 2 * sheet), page(2 * sheet)))          # front
        sides.append((page(2 * sheet + 1), page(total - 2 - 2 * sheet)))      # back
    return sides


def side_by_side(pages: int) -> list[tuple[int | None, int | None]]:
    """Pages 1–2, 3–4, … (0-based), the last right half blank when the count is odd."""
    return [(i, i + 1 if i + 1 < pages else None) for i in range(0, pages, 2)]


def _marks(sheet_w: float, sheet_h: float, x0: float, y0: float, w: float, h: float) -> bytes:
    """Crop marks at the corners of the trim box (x0, y0, w, h) and fold marks at its middle."""
    lines = []
    for x in (x0, x0 + w):
        for y, direction in ((y0, -1), (y0 + h, 1)):
            # vertical mark above/below the corner, horizontal mark left/right of it
            lines.append((x, y + direction * MARK_OFFSET, x, y + direction * (MARK_OFFSET + MARK_LENGTH)))
            side = -1 if x == x0 else 1
            lines.append((x + side * MARK_OFFSET, y, x + side * (MARK_OFFSET + MARK_LENGTH), y))
    middle = x0 + w / 2
    for y, direction in ((y0, -1), (y0 + h, 1)):  # the fold (spine): dashed, outside the trim
        lines.append((middle, y + direction * MARK_OFFSET, middle, y + direction * (MARK_OFFSET + MARK_LENGTH)))
    ops = [f"q {MARK_WIDTH} w 1 1 1 1 K"]
    for i, (ax, ay, bx, by) in enumerate(lines):
        dash = "[1.5 1.5] 0 d " if i >= len(lines) - 2 else "[] 0 d "
        ops.append(f"{dash}{ax:.3f} {ay:.3f} m {bx:.3f} {by:.3f} l S")
    ops.append("Q")
    return "\n".join(ops).encode()


def impose(pdf: bytes, pages_per_copy: int, order: str = "booklet", marks: bool = True,
           file_id=None) -> bytes:
    """Two A4 pages to a sheet for every copy in `pdf` (copies of `pages_per_copy` pages each);
    `file_id(writer)` gives the file its identifier (the same input, the same bytes)."""
    from pypdf import PageObject, PdfReader, PdfWriter, Transformation
    from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NameObject

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    pages = reader.pages
    if not pages:
        return pdf
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    spread_w, spread_h = 2 * width, height
    sheet_w, sheet_h = SRA3 if marks else (spread_w, spread_h)
    x0, y0 = (sheet_w - spread_w) / 2, (sheet_h - spread_h) / 2
    layout = booklet_sheets if order == "booklet" else side_by_side
    for start in range(0, len(pages), pages_per_copy):
        copy = [pages[k] for k in range(start, min(start + pages_per_copy, len(pages)))]
        for left, right in layout(len(copy)):
            sheet = PageObject.create_blank_page(width=sheet_w, height=sheet_h)
            if marks:
                stream = DecodedStreamObject()
                stream.set_data(_marks(sheet_w, sheet_h, x0, y0, spread_w, spread_h))
                sheet[NameObject("/Contents")] = writer._add_object(stream)
                trim = [x0, y0, x0 + spread_w, y0 + spread_h]
                bleed = [x0 - 3 * MM, y0 - 3 * MM, x0 + spread_w + 3 * MM, y0 + spread_h + 3 * MM]
                sheet[NameObject("/TrimBox")] = ArrayObject([FloatObject(round(v, 3)) for v in trim])
                sheet[NameObject("/BleedBox")] = ArrayObject([FloatObject(round(v, 3)) for v in bleed])
            for index, dx in ((left, x0), (right, x0 + width)):
                if index is not None:
                    sheet.merge_transformed_page(copy[index], Transformation().translate(tx=dx, ty=y0))
            writer.add_page(sheet).compress_content_streams()
    if file_id is not None:
        file_id(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
