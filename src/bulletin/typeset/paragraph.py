"""A paragraph (or one laid-out line) as the composition sees it: a row of characters ("atoms")
with their widths and kinds, and what lies between neighbours (inline box edges, Han–Latin spaces,
compressed marks).

Built from WeasyPrint's inline boxes: the text boxes give the characters (measured by measure.py),
inline boxes their margins, borders and paddings; a box with `white-space: nowrap` keeps its
characters on one line. Anything else on the line (an image, an inline block, a float) makes the
paragraph one the composition does not break (`collect` returns None) — WeasyPrint breaks it.

Boundary k lies between atom k−1 and atom k (0: before the first, n: after the last). The width of a
line holding atoms s..e is

    Σ advance[s..e] + Σ_{k=s+1..e} inner[k] + opening[s] + closing[e+1] − tracking[e] − end_trim(e)

where inner[k] = closing[k] + opening[k] + autospace[k] + pair[k]: the right edges of boxes that end
and the left edges of boxes that start at the boundary, the Han–Latin quarter em (dropped at line
edges), and the compression of adjacent marks.
"""
from __future__ import annotations

import operator

from ..text import is_cjk
from . import measure, punctuation as P
from .justification import (AUTOSPACE_SHRINK, AUTOSPACE_STRETCH, SHRINK_AUTOSPACE, SHRINK_BRACKET,
                            SHRINK_CLASSES, SHRINK_PAUSE, SHRINK_SPACE, SHRINK_STOP, SPACE_SHRINK)

_SHRINK_OF_KIND = {P.CLOSING: SHRINK_BRACKET, P.OPENING: SHRINK_BRACKET, P.PAUSE: SHRINK_PAUSE,
                   P.STOP: SHRINK_STOP}


class Unsupported(Exception):
    """The paragraph holds something the composition does not break (image, inline block, float)."""


class Atoms:
    """Parallel lists, one entry per character (atom) or per boundary (length n + 1)."""

    def __init__(self):
        # per atom
        self.ch: list[str] = []
        self.kind: list[int] = []
        self.advance: list[float] = []  # natural width + tracking
        self.tracking: list[float] = []
        self.em: list[float] = []
        self.blank_left: list[float] = []  # compressible blank (px), after adjacent-mark compression
        self.blank_right: list[float] = []
        self.trim_right: list[float] = []  # what a line ending here trims (GB/T 15834 §5.1.10)
        self.trim_left: list[float] = []  # what a line starting here may trim (opening marks)
        self.pango_break: list[bool] = []  # Pango allows a break before this atom (inside its box)
        self.group: list[int] = []  # nowrap element holding the atom (-1: none)
        self.url: list[int] = []  # the URL or e-mail address (a `url` element) holding it (-1: none)
        self.line_end: list[bool] = []  # inside a `.line-end` item (署名, 共印×份)
        self.box: list[object] = []  # the text box and the index of the character in its text
        self.index: list[int] = []
        # per boundary
        self.closing: list[float] = [0.0]
        self.opening: list[float] = [0.0]
        self.autospace: list[float] = [0.0]
        self.autospace_sources: list[list] = [[]]  # (inline box, "left" | "right") per boundary
        self.pair: list[float] = [0.0]
        # text boxes in order: (box, path from the root, first atom)
        self.runs: list[tuple[object, tuple[int, ...], int]] = []
        self.em_ref = 0.0

    def __len__(self) -> int:
        return len(self.ch)

    def signature(self) -> tuple:
        """Everything a paragraph's breaks depend on, hashable (plans are kept by it)."""
        return ("".join(self.ch), tuple(self.advance), tuple(self.tracking), tuple(self.em),
                tuple(self.blank_left), tuple(self.blank_right), tuple(self.trim_left), tuple(self.trim_right),
                tuple(self.pango_break), tuple(self.group), tuple(self.url), tuple(self.line_end), tuple(self.closing),
                tuple(self.opening), tuple(self.autospace), tuple(self.pair), self.em_ref,
                tuple(map(operator.is_, self.box[1:], self.box[:-1])))  # each box: the same as the one before?

    # ------------------------------------------------------------------ derived per boundary

    def finish(self) -> "Atoms":
        """Compute adjacent-mark compression, the half-width 间隔号, and per boundary what can be
        compressed and whether it is a justification opportunity."""
        n = len(self.ch)
        kind, em = self.kind, self.em
        blank_l, blank_r = self.blank_left, self.blank_right
        self.trim_right = [blank_r[i] if kind[i] in P.BLANK_RIGHT else 0.0 for i in range(n)]
        self.trim_left = [blank_l[i] if kind[i] == P.OPENING else 0.0 for i in range(n)]
        pair = self.pair
        self.given = [False] * n  # the mark gave up its blank half to a neighbouring mark
        for k in range(1, n):
            a, b = kind[k - 1], kind[k]
            if a in P.BLANK_RIGHT and blank_r[k - 1] and (b in P.BLANK_RIGHT or b == P.OPENING):
                pair[k] -= blank_r[k - 1]
                blank_r[k - 1] = 0.0  # given up to its neighbour: nothing left to compress
                self.given[k - 1] = True
                if b == P.OPENING:
                    blank_l[k] = 0.0  # “》（” keeps the one blank half left between the two
            elif a == P.OPENING and b == P.OPENING and blank_l[k]:
                pair[k] -= blank_l[k]
                blank_l[k] = 0.0
                self.given[k] = True
        for i in range(n):
            if kind[i] == P.MIDDLE:  # 间隔号: half a character wide, its ink centred in it
                excess = self.advance[i] - 0.5 * em[i]
                if excess > 0:
                    pair[i] -= excess / 2
                    pair[i + 1] -= excess / 2
        # boundary k: what atom k−1 can give (a right blank or a third of a word space), what atom k
        # can give (a left blank: brackets), and whether the line may stretch there
        self.shrink_class = [-1] * (n + 1)
        self.shrink_after = [0.0] * (n + 1)
        self.shrink_before = [0.0] * (n + 1)
        self.opportunity = opportunity = [False] * (n + 1)
        # boundary k between two Latin letters (or digits, or the symbols of a URL): spaced only as
        # a last resort (justification.stretch_split)
        self.latin_gap = latin_gap = [False] * (n + 1)
        autospace, table = self.autospace, _OPPORTUNITY
        for k in range(1, n + 1):
            a = kind[k - 1]
            if a != P.HAN:
                if a in P.BLANK_RIGHT and blank_r[k - 1]:
                    self.shrink_class[k], self.shrink_after[k] = _SHRINK_OF_KIND[a], blank_r[k - 1]
                elif a == P.SPACE:
                    self.shrink_class[k], self.shrink_after[k] = SHRINK_SPACE, SPACE_SHRINK * self.advance[k - 1]
            if k < n:
                b = kind[k]
                if b == P.OPENING:
                    self.shrink_before[k] = blank_l[k]
                if not autospace[k]:
                    opportunity[k] = table[a][b]
                    latin_gap[k] = a == P.LATIN and b == P.LATIN
        return self

    def shrink_at(self, k: int) -> list[float]:
        """Compressible width at boundary k, per shrink class."""
        out = [0.0] * SHRINK_CLASSES
        if self.shrink_class[k] >= 0:
            out[self.shrink_class[k]] += self.shrink_after[k]
        out[SHRINK_BRACKET] += self.shrink_before[k]
        out[SHRINK_AUTOSPACE] += AUTOSPACE_SHRINK * self.autospace[k]
        return out

    def stretch_autospace_at(self, k: int) -> float:
        return AUTOSPACE_STRETCH * self.autospace[k]

    def opportunity_at(self, k: int) -> bool:
        """A justification opportunity at boundary k (between atoms k−1 and k)."""
        return self.opportunity[k]


def _opportunity(a: int, b: int) -> bool:
    """Whether the line may stretch between atoms of kinds a and b."""
    if a == P.FORCED or b == P.FORCED:
        return False
    if a == P.SPACE:
        return True  # the space itself stretches
    if b == P.SPACE:
        return False
    if a == b and a in (P.DASH, P.ELLIPSIS):
        return False  # one mark drawn as two characters
    return a != P.LATIN or b != P.LATIN


_OPPORTUNITY = [[_opportunity(a, b) for b in range(P.FORCED + 1)] for a in range(P.FORCED + 1)]


def collect(root, measured_text=None, containing_block=None) -> Atoms | None:
    """The atoms of the inline content of `root` (a LineBox or a laid-out line); None when it holds
    something the composition does not break. `measured_text(box)` gives a text box's Measured and
    the index of the box's first character in it (default: the box's own text, from 0);
    `containing_block` resolves the margins of boxes not laid out yet."""
    atoms = Atoms()
    atoms.em_ref = float(root.style["font_size"])
    groups = [0]
    try:
        _walk(root, (), -1, -1, False, atoms, measured_text or _measure_own, groups, containing_block)
    except Unsupported:
        return None
    return atoms.finish()


def _measure_own(box):
    return measure.measure(box.text, box.style), 0


def _spacing(box, side: str) -> float:
    def value(name):
        v = getattr(box, name)
        return v if isinstance(v, (int, float)) else 0.0  # 'auto' or not yet resolved
    return value(f"margin_{side}") + value(f"border_{side}_width") + value(f"padding_{side}")


def _walk(box, path, group, url, line_end, atoms: Atoms, measured_text, groups, containing_block) -> None:
    from weasyprint.formatting_structure import boxes

    for index, child in enumerate(box.children):
        if not child.is_in_normal_flow():
            if child.is_floated():
                raise Unsupported
            continue  # absolutely positioned placeholders, running elements: no width in the line
        if isinstance(child, boxes.TextBox):
            _add_text(child, path + (index,), group, url, line_end, atoms, measured_text)
        elif isinstance(child, boxes.InlineBox):
            if not isinstance(getattr(child, "margin_left", None), (int, float)):
                from weasyprint.layout.percent import resolve_percentages

                resolve_percentages(child, containing_block)
            classes = (child.element.get("class") or "").split() if child.element is not None else []
            inner_group, inner_url = group, url
            if group < 0 and url < 0 and "url" in classes:
                groups[0] += 1  # a URL or e-mail address: the breaker decides where it may break
                inner_url = groups[0]
            elif group < 0 and url < 0 and child.style["white_space"] in ("nowrap", "pre"):
                groups[0] += 1
                inner_group = groups[0]
            _add_edge(atoms, child, "left", "as-l" in classes)
            _walk(child, path + (index,), inner_group, inner_url, line_end or "line-end" in classes, atoms,
                  measured_text, groups, containing_block)
            _add_edge(atoms, child, "right", "as-r" in classes)
        else:
            raise Unsupported  # an atomic inline: image, inline block, inline table…


def _add_edge(atoms: Atoms, box, side: str, autospace: bool) -> None:
    width = _spacing(box, side)
    if not width:
        return
    k = len(atoms.ch)
    if autospace:
        margin = getattr(box, f"margin_{side}")
        atoms.autospace[k] += margin
        atoms.autospace_sources[k].append((box, side))
        width -= margin
    if side == "left":
        atoms.opening[k] += width
    else:
        atoms.closing[k] += width


_per_text: dict[int, tuple] = {}  # id(Measured) → (Measured, kinds, left blanks, right blanks)


def _characters(measured):
    """Kinds and compressible blanks of a measured text's characters (kept with it)."""
    found = _per_text.get(id(measured))
    if found is not None and found[0] is measured:
        return found[1:]
    if len(_per_text) > 20000:
        _per_text.clear()
    em = measured.em
    kinds = [P.kind_of(ch, is_cjk(ch)) for ch in measured.text]
    left = [P.compressible(b, em) for b in measured.blank_left]
    right = [P.compressible(b, em) for b in measured.blank_right]
    _per_text[id(measured)] = (measured, kinds, left, right)
    return kinds, left, right


def _add_text(box, path, group, url, line_end, atoms: Atoms, measured_text) -> None:
    text = box.text
    if not text:
        return
    atoms.runs.append((box, path, len(atoms.ch)))
    if box.style["white_space"] in ("pre", "pre-line", "pre-wrap") and "\n" in text:
        if text.strip("\n"):
            raise Unsupported  # preserved newlines inside text: leave it to WeasyPrint
        for i in range(len(text)):
            _append(atoms, "\n", P.FORCED, 0.0, 0.0, 0.0, box, i, group, 0.0, 0.0, False, line_end, url)
        return
    measured, start = measured_text(box)
    kinds, left, right = _characters(measured)
    if box.style["white_space"] in ("nowrap", "pre") and group < 0 and url < 0:
        group = -2 - len(atoms.runs)  # a nowrap text box of its own
    n, stop = len(text), start + len(text)
    tracking, em = measured.tracking, measured.em
    atoms.ch.extend(text)
    atoms.kind.extend(kinds[start:stop])
    atoms.advance.extend([w + tracking for w in measured.natural[start:stop]])
    atoms.tracking.extend([tracking] * n)
    atoms.em.extend([em] * n)
    atoms.blank_left.extend(left[start:stop])
    atoms.blank_right.extend(right[start:stop])
    atoms.pango_break.extend(measured.pango_break[start:stop])
    atoms.group.extend([group] * n)
    atoms.url.extend([url] * n)
    atoms.line_end.extend([line_end] * n)
    atoms.box.extend([box] * n)
    atoms.index.extend(range(n))
    zeros = [0.0] * n
    for row in (atoms.closing, atoms.opening, atoms.autospace, atoms.pair):
        row.extend(zeros)
    atoms.autospace_sources.extend([] for _ in range(n))


def _append(atoms, ch, kind, advance, tracking, em, box, index, group, left, right, pango_break, line_end, url=-1):
    atoms.ch.append(ch)
    atoms.kind.append(kind)
    atoms.advance.append(advance)
    atoms.tracking.append(tracking)
    atoms.em.append(em)
    atoms.blank_left.append(left)
    atoms.blank_right.append(right)
    atoms.pango_break.append(pango_break)
    atoms.group.append(group)
    atoms.url.append(url)
    atoms.line_end.append(line_end)
    atoms.box.append(box)
    atoms.index.append(index)
    for row in (atoms.closing, atoms.opening, atoms.autospace, atoms.pair):
        row.append(0.0)
    atoms.autospace_sources.append([])


def from_text(text: str, em: float = 16.0, tracking: float = 0.0, latin: float = 0.5) -> Atoms:
    """The atoms of plain text without fonts (for tests and experiments): CJK characters one em
    wide with a GB-style blank half on marks, other characters `latin` em, spaces a quarter em."""
    atoms = Atoms()
    atoms.em_ref = em
    box = object()
    for i, ch in enumerate(text):
        cjk = is_cjk(ch)
        kind = P.kind_of(ch, cjk)
        width = 0.25 if kind == P.SPACE else 0.0 if kind == P.FORCED else 1.0 if cjk else latin
        left = 0.5 * em if kind == P.OPENING else 0.0
        right = 0.5 * em if kind in P.BLANK_RIGHT else 0.0
        _append(atoms, ch, kind, width * em + tracking, tracking, em, box, i, -1, left, right,
                not (ch.isascii() and text[i - 1: i].isascii() and ch.isalnum()), False)
    return atoms.finish()
