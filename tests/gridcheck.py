"""Baselines of a rendered page against the line grid (版心网格): every line of text of the type
area should sit at the body's baseline offset plus a whole number of line pitches."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

MM = 72 / 25.4
BLOCK_TOP = 37 * MM
BLOCK_BOTTOM = (37 + 225) * MM


@dataclass
class TextRow:
    page: int  # 1-based
    baseline: float  # pt from the page top
    size: float
    font: str
    text: str


def baseline_groups(page, top: float = BLOCK_TOP, bottom: float = BLOCK_BOTTOM + 1) -> dict[float, list[dict]]:
    """A pdfplumber page's visible characters between `top` and `bottom`, by baseline (pt from the
    page top; the text matrix gives it)."""
    groups: dict[float, list[dict]] = {}
    for ch in page.chars:
        if not ch["text"].strip():
            continue
        baseline = float(page.height) - ch["matrix"][5]
        if not top - 1 <= baseline <= bottom:
            continue
        key = next((k for k in groups if abs(k - baseline) < 0.05), baseline)
        groups.setdefault(key, []).append(ch)
    return groups


def rows(pdf, top: float = BLOCK_TOP, bottom: float = BLOCK_BOTTOM + 1) -> list[TextRow]:
    """Each run of characters sharing a baseline (pdfplumber; the text matrix gives the baseline)."""
    out: list[TextRow] = []
    for number, page in enumerate(pdf.pages, 1):
        groups = baseline_groups(page, top, bottom)
        for baseline, chars in sorted(groups.items()):
            chars.sort(key=lambda c: c["x0"])
            size = Counter(round(c["size"], 1) for c in chars).most_common(1)[0][0]
            font = Counter(c["fontname"] for c in chars).most_common(1)[0][0]
            out.append(TextRow(number, baseline, size, font, "".join(c["text"] for c in chars)))
    return out


def body_offset(all_rows: list[TextRow], pitch: float, body_size: float) -> float:
    """The body text's baseline offset within a line (pt below a grid line), the commonest one."""
    offsets = Counter(round((r.baseline - BLOCK_TOP) % pitch, 1) for r in all_rows if r.size == body_size)
    return offsets.most_common(1)[0][0]


def off_grid(all_rows: list[TextRow], pitch: float, offset: float, tolerance: float = 0.3) -> list[tuple[TextRow, float]]:
    """Rows whose baseline is more than `tolerance` pt from the grid, with the distance."""
    bad = []
    for r in all_rows:
        d = (r.baseline - BLOCK_TOP - offset) % pitch
        d = min(d, pitch - d)
        if d > tolerance:
            bad.append((r, round(d, 2)))
    return bad


def ink_top(path, page_index: int, box: tuple[float, float, float, float], scale: int = 16) -> float | None:
    """Top of the ink (pt from the page top) inside box = (x0, top, x1, bottom), from a rendering of
    just that box at 72 × scale dpi (pypdfium2)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(path))
    try:
        page = doc[page_index]
        width, height = page.get_size()
        x0, top, x1, bottom = box
        image = page.render(scale=scale, crop=(x0, height - bottom, width - x1, top), grayscale=True).to_pil()
        ink = image.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
        return top + ink[1] / scale if ink else None
    finally:
        doc.close()
