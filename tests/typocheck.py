"""The project's own checks of Chinese line composition, read from a rendered PDF (pdfplumber).

Used by the tests (test_composition.py) and by bench/peers.py, which compares bulletin with Typst
and XeLaTeX on the same text. A PDF is read as lines of running text (the body face and size,
inside the text block, not the 报送 block); lines are linked into paragraphs (the next line of a
paragraph starts flush left, within one and a half line pitches, or at the top of the next page
after a full line). A full line is one followed by another line of its paragraph.

- looseness: extra space at the Han–Han boundaries of a full line beyond the nominal pitch (em);
- line-end marks: how a closing mark ending a full line meets the block's right edge — its advance
  ending at the edge (full width inside), half of it inside (trimmed), or past the edge (hanging);
- runts (孤字): a paragraph's last line holding one Han character and marks;
- strict line starts: a continuation line starting with ·, —, …;
- pitch: baseline distances inside paragraphs that differ from the common one;
- adjacent marks: pairs like “。”” set with one blank half (compressed) or two;
- kinsoku: a line starting with a mark that must not start one, or ending with an opening mark;
- overfull: a line running past the block edge;
- right edge: where the last glyph box of each full line ends, against the block's right edge — a
  mark set half width there ends at the edge only when the PDF gives it its printed width (a
  full-width glyph moved back by its advance reaches half an em past it, for text selection,
  extraction and any tool that reads glyph boxes);
- half-width marks: a mark whose glyph box is half an em, and how far it reaches into the next one.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

import pdfplumber

from . import pdfcheck as pc

HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")
CLOSING = set("，。、；：？！）》”’」』】〕〉")
OPENING = set("（《“‘「『【〔〈")
STRICT_NO_START = set("·・‧—―⸺…‥")
NO_START = set("，。、；：？！）》”’」』】〕〉%‰")
NO_END = OPENING
DISTRIBUTION = re.compile(r"^(报|送|抄送|发|分送)[：:]")
RUNT = re.compile(f"^{HAN.pattern}[{''.join(sorted(CLOSING))}]*$")
PAIRS = re.compile(f"[{''.join(sorted(CLOSING))}][{''.join(sorted(CLOSING | OPENING))}]|[{''.join(sorted(OPENING))}]{{2}}")


@dataclass
class TextLine:
    page: int  # 1-based
    text: str
    chars: list[dict]
    size: float
    baseline: float  # distance from the page top
    prev: "TextLine | None" = None
    next: "TextLine | None" = None

    @property
    def x0(self) -> float:
        return self.chars[0]["x0"]

    @property
    def x1(self) -> float:
        return self.chars[-1]["x1"]


@dataclass
class Figures:
    lines: list[TextLine]
    looseness: list[tuple[float, TextLine]] = field(default_factory=list)  # (em, line) per full line
    end_marks: Counter = field(default_factory=Counter)  # full_width_inside, trimmed, hanging
    consecutive_hanging: int = 0
    runts: list[TextLine] = field(default_factory=list)
    strict_starts: list[TextLine] = field(default_factory=list)
    off_pitch: list[tuple[float, TextLine]] = field(default_factory=list)
    pitch: float | None = None
    pairs: int = 0
    pairs_compressed: int = 0
    kinsoku: list[str] = field(default_factory=list)
    interpunct: list[float] = field(default_factory=list)
    mixed_widths: list[TextLine] = field(default_factory=list)  # one mark set at two widths in a line
    edges: list[tuple[float, TextLine]] = field(default_factory=list)  # (pt past the right edge, full line)
    half_marks: list[tuple[float, str]] = field(default_factory=list)  # (pt into the next box, mark + next)

    @property
    def max_loose(self) -> float:
        return max((v for v, _ in self.looseness), default=0.0)

    def loose_over(self, em: float) -> list[TextLine]:
        return [ln for v, ln in self.looseness if v > em]

    def off_edge(self, tolerance: float = 0.05) -> list[tuple[float, str]]:
        """Full lines (not hanging) whose last glyph box does not end at the block's right edge."""
        return [(round(d, 3), ln.text) for d, ln in self.edges if abs(d) > tolerance]


def _body(pdf) -> tuple[list[TextLine], float]:
    chars = [c for p in pdf.pages for c in p.chars if c["text"].strip()]
    size = Counter(round(c["size"], 1) for c in chars).most_common(1)[0][0]
    font = Counter(c["fontname"] for c in chars if round(c["size"], 1) == size).most_common(1)[0][0]
    masthead = _masthead_bottom(pdf.pages[0])
    out: list[TextLine] = []
    for ln in pc.lines(pdf):
        if not (pc.BLOCK_TOP - 2 < ln.top < pc.BLOCK_BOTTOM) or (ln.page == 1 and ln.top < masthead):
            continue
        at_size = [c for c in ln.chars if round(c["size"], 1) == size]
        if len(at_size) < 0.8 * len(ln.chars) or sum(c["fontname"] == font for c in ln.chars) < 0.6 * len(ln.chars):
            continue
        if DISTRIBUTION.match(ln.text) or _spread(ln, size):
            continue
        height = float(pdf.pages[ln.page - 1].height)
        baseline = statistics.median(height - c["matrix"][5] for c in at_size)
        out.append(TextLine(ln.page, ln.text, ln.chars, size, baseline))
    # the last page: nothing from the 报送 block on
    return out, size


def _red(color) -> bool:
    if not isinstance(color, (list, tuple)):
        return False
    if len(color) == 4:  # CMYK
        return color[1] > 0.6 and color[2] > 0.5 and color[0] < 0.3
    return len(color) == 3 and color[0] > 0.6 and color[1] < 0.35 and color[2] < 0.35


def _masthead_bottom(page) -> float:
    """The red rule under page 1's masthead (报头), or 0."""
    rules = [r["bottom"] for r in list(page.rects) + list(page.lines)
             if (_red(r.get("stroking_color")) or _red(r.get("non_stroking_color")))
             and r["x1"] - r["x0"] > 0.5 * float(page.width) and r["top"] < 0.5 * float(page.height)]
    return max(rules, default=0.0)


def _spread(ln, size: float) -> bool:
    """A gap over 3 em inside the line (a table row, the masthead's line), other than the one before
    a byline set flush right."""
    wide = [k for k in range(1, len(ln.chars)) if ln.chars[k]["x0"] - ln.chars[k - 1]["x1"] > 3 * size]
    return bool(wide) and not (len(wide) == 1 and re.fullmatch(r"（[^（）]+）", ln.text[wide[0]:]))


def _link(lines: list[TextLine], size: float) -> float | None:
    def flush_left(ln):
        return -0.6 * size <= ln.x0 - pc.BLOCK_LEFT <= 0.25 * size

    pairs = [(a, b) for a, b in zip(lines, lines[1:])
             if a.x0 - pc.BLOCK_LEFT <= 3 * size and flush_left(b) and not re.fullmatch(r"（[^（）]+）", b.text)]
    steps = [b.baseline - a.baseline for a, b in pairs if a.page == b.page and b.baseline > a.baseline]
    pitch = Counter(round(s, 1) for s in steps).most_common(1)[0][0] if steps else None
    for a, b in pairs:
        same = a.page == b.page and pitch is not None and 0 < b.baseline - a.baseline <= 1.5 * pitch
        over = b.page == a.page + 1 and a.x1 >= pc.BLOCK_RIGHT - 0.6 * size
        if same or over:
            a.next, b.prev = b, a
    return pitch


def _end_mark(ln: TextLine) -> str | None:
    c = ln.chars[-1]
    if c["text"] not in CLOSING or c["x1"] < pc.BLOCK_RIGHT - 0.25 * c["size"]:
        return None
    inside = (pc.BLOCK_RIGHT - c["x0"]) / c["size"]
    return "full_width_inside" if inside >= 0.75 else "trimmed" if inside >= 0.2 else "hanging"


def figures(pdf: pdfplumber.PDF) -> Figures:
    lines, size = _body(pdf)
    out = Figures(lines)
    if not lines:
        return out
    out.pitch = _link(lines, size)

    def han_gaps(ln):
        return [b["x0"] - a["x1"] for a, b in zip(ln.chars, ln.chars[1:])
                if HAN.match(a["text"]) and HAN.match(b["text"]) and b["x0"] - a["x1"] < 0.5 * size]

    natural = [g for ln in lines if not ln.next for g in han_gaps(ln)] or [g for ln in lines for g in han_gaps(ln)]
    nominal = statistics.median(natural) if natural else 0.0
    hanging_prev = None
    for ln in lines:
        if ln.next:
            gaps = han_gaps(ln)
            if gaps:
                out.looseness.append(((statistics.median(gaps) - nominal) / size, ln))
            mark = _end_mark(ln)
            if mark != "hanging":
                out.edges.append((ln.x1 - pc.BLOCK_RIGHT, ln))
            if mark:
                out.end_marks[mark] += 1
                if mark == "hanging" and hanging_prev is not None and hanging_prev.next is ln:
                    out.consecutive_hanging += 1
                hanging_prev = ln if mark == "hanging" else None
            else:
                hanging_prev = None
        if ln.prev and not ln.next and RUNT.match(ln.text):
            out.runts.append(ln)
        if ln.prev and ln.text[0] in STRICT_NO_START:
            out.strict_starts.append(ln)
        if ln.prev and ln.prev.page == ln.page and out.pitch and abs(ln.baseline - ln.prev.baseline - out.pitch) > 0.5:
            out.off_pitch.append((ln.baseline - ln.prev.baseline - out.pitch, ln))
        if ln.text[0] in NO_START:
            out.kinsoku.append(f"p{ln.page} starts with {ln.text[0]}: {ln.text[:12]}")
        if ln.text[-1] in NO_END:
            out.kinsoku.append(f"p{ln.page} ends with {ln.text[-1]}: {ln.text[-12:]}")
        for a, b in zip(ln.chars, ln.chars[1:]):
            if PAIRS.fullmatch(a["text"] + b["text"]) and b["x0"] - a["x1"] < 0.3 * a["size"]:
                out.pairs += 1
                out.pairs_compressed += (b["x0"] - a["x0"]) < 0.75 * a["size"]
        if _mixed_widths(ln):
            out.mixed_widths.append(ln)
        for a, b in zip(ln.chars, ln.chars[1:]):
            if (a["text"] in CLOSING | OPENING or a["text"] in "·・‧") and abs(a["x1"] - a["x0"] - a["size"] / 2) < 0.01:
                out.half_marks.append((a["x1"] - b["x0"], a["text"] + b["text"]))
        for k in range(1, len(ln.chars) - 1):
            if ln.chars[k]["text"] in "·・‧":
                out.interpunct.append((ln.chars[k + 1]["x0"] - ln.chars[k - 1]["x1"]) / ln.chars[k]["size"])
    return out


def _mixed_widths(ln: TextLine) -> bool:
    """Whether a closing or opening mark is set at two widths in the line (marks next to another
    mark, which share one blank, and the line's last character left out)."""
    widths: dict[str, list[float]] = {}
    chars = ln.chars
    for k in range(len(chars) - 1):
        a, b = chars[k], chars[k + 1]
        mark = a["text"]
        if mark not in CLOSING and mark not in OPENING:
            continue
        if b["text"] in CLOSING or b["text"] in OPENING or (k and chars[k - 1]["text"] in OPENING and mark in OPENING):
            continue
        if b["x0"] - a["x1"] > 0.5 * a["size"] or not HAN.match(b["text"]):
            continue  # a space or a Latin run follows: its width is not the mark's alone
        widths.setdefault(mark, []).append((b["x0"] - a["x0"]) / a["size"])
    return any(max(v) - min(v) > 0.05 for v in widths.values())


def overfull(pdf: pdfplumber.PDF, ink_of=None) -> list[str]:
    """Lines of the text block whose ink runs past its edges by more than half a point. Without
    `ink_of`, a closing mark ending a line counts up to the middle of its box and an opening mark
    starting one from the middle (GB-style marks have their ink in one half); `ink_of(page, box)`
    gives the ink's (left, right) inside a character box instead (see ink_finder)."""
    out = []
    for ln in pc.lines(pdf):
        if not pc.BLOCK_TOP - 2 < ln.top < pc.BLOCK_BOTTOM:
            continue
        first, last = ln.chars[0], ln.chars[-1]
        if ink_of is not None:
            start, end = ink_of(ln.page, first)[0], ink_of(ln.page, last)[1]
        else:
            end = last["x0"] + 0.5 * last["size"] if last["text"] in CLOSING else last["x1"]
            full = first["x1"] - first["x0"] > 0.75 * first["size"]  # a half-width glyph's box starts at its ink
            start = first["x0"] + 0.5 * first["size"] if first["text"] in OPENING and full else first["x0"]
        if end > pc.BLOCK_RIGHT + 0.5 or start < pc.BLOCK_LEFT - 0.5:
            out.append(ln.text)
    return out


def ink_finder(path):
    """ink_of for overfull(): renders the character's box of the PDF at `path` at 1152 dpi
    (pypdfium2) and returns where its ink starts and ends (PDF points; the box itself if blank)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    scale = 16

    def ink_of(page_number: int, char: dict) -> tuple[float, float]:
        page = document[page_number - 1]
        width, height = page.get_size()
        x0, x1 = char["x0"] - 1, char["x1"] + 1
        image = page.render(scale=scale, crop=(x0, height - char["bottom"], width - x1, char["top"]),
                            grayscale=True).to_pil()
        box = image.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
        if not box:
            return char["x0"], char["x1"]
        return x0 + box[0] / scale, x0 + box[2] / scale

    return ink_of


def kept_whole(pdf: pdfplumber.PDF, runs: list[str]) -> list[str]:
    """The runs (URLs, e-mail addresses) that are not whole on one line."""
    texts = [ln.text for ln in pc.lines(pdf)]
    return [run for run in runs if not any(run in t for t in texts)]


def address_breaks(pdf: pdfplumber.PDF, runs: list[str]) -> list[tuple[str, str, str]]:
    """How the runs (URLs, e-mail addresses) that are not whole on one line are broken: (run, the
    end of the line before the break, the start of the next line), e.g. ("ops-team@example.org",
    "ops-team", "@example.org"). A run found in neither form is reported as (run, "", "")."""
    texts = [ln.text for ln in pc.lines(pdf)]
    out = []
    for run in runs:
        if any(run in t for t in texts):
            continue
        found = ("", "")
        for a, b in zip(texts, texts[1:]):
            cut = next((k for k in range(1, len(run)) if a.endswith(run[:k]) and b.startswith(run[k:])), None)
            if cut is not None:
                found = (run[:cut], run[cut:])
                break
        out.append((run, *found))
    return out
