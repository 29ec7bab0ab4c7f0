"""Full-width punctuation of Chinese text (zh-Hans, GB style): what kind each mark is, which side of
it is blank, and which pairs of adjacent marks share one blank (标点挤压, clreq §3.1.6).

A GB-style font draws a full-width mark in one half of its em box: closing brackets and quotes and
the pause, comma and stop marks in the left half (the blank on the right), opening brackets and
quotes in the right half. The composition measures the blank from the glyph's ink (paragraph.py),
so a font whose mark is centred or proportional is never compressed into its ink.
"""
from __future__ import annotations

import re

# Kinds of character, as the composition sees them (paragraph.Atoms.kind).
HAN = 0  # Han, kana, other full-width letters and symbols: a fixed em box, no blank to give
LATIN = 1  # letters, digits and other characters of proportional fonts
SPACE = 2  # U+0020, U+00A0: a word space (stretches and shrinks)
OPENING = 3  # （《「『【〔〈“‘ : blank on the left
CLOSING = 4  # ）》」』】〕〉”’ : blank on the right
PAUSE = 5  # 、，；： : blank on the right
STOP = 6  # 。？！ : blank on the right
MIDDLE = 7  # 间隔号 ·: set half a character wide (GB/T 15834 §4.15, clreq)
DASH = 8  # — (two make 破折号 ——)
ELLIPSIS = 9  # … (two make 省略号 ……)
FORCED = 10  # a preserved line break (<br>)

OPENING_MARKS = "（《「『【〔〈“‘"
CLOSING_MARKS = "）》」』】〕〉”’"
PAUSE_MARKS = "、，；："
STOP_MARKS = "。？！"
MIDDLE_DOTS = "\u00b7\u30fb\u2027"
DASHES = "\u2014\u2e3a\u2015"
ELLIPSES = "\u2026\u22ef"

_KIND = {**{c: OPENING for c in OPENING_MARKS}, **{c: CLOSING for c in CLOSING_MARKS},
         **{c: PAUSE for c in PAUSE_MARKS}, **{c: STOP for c in STOP_MARKS},
         **{c: MIDDLE for c in MIDDLE_DOTS}, **{c: DASH for c in DASHES},
         **{c: ELLIPSIS for c in ELLIPSES}, " ": SPACE, "\u00a0": SPACE, "\n": FORCED}

BLANK_RIGHT = (CLOSING, PAUSE, STOP)  # kinds whose blank half is on the right
HANGING_KINDS = (PAUSE, STOP)  # may hang past the block edge (行末悬挂, when the layout allows it)
HANGING = set(PAUSE_MARKS + STOP_MARKS)
BLANK_RIGHT_MARKS = set(CLOSING_MARKS + PAUSE_MARKS + STOP_MARKS)


# A blank beside a mark's ink is compressible when the font leaves (nearly) half an em there; a
# mark gives up at most half an em (never any of its ink).
HALF_BLANK = 0.44
MARKS_WITH_HALF = OPENING_MARKS + CLOSING_MARKS + PAUSE_MARKS + STOP_MARKS + MIDDLE_DOTS


def compressible(blank: float, em: float) -> float:
    """What a mark can give up of the blank `blank` beside its ink (same unit as `em`)."""
    return min(blank, 0.5 * em) if blank >= HALF_BLANK * em else 0.0


def half_geometry(ch: str, advance: float, ink_left: float, ink_right: float, em: float) -> tuple[float, float]:
    """(cut, shift) of the half-width form of mark `ch` drawn `advance` wide with its ink from
    `ink_left` to `ink_right` (all in one unit, e.g. font units): the glyph is `cut` narrower and its
    outline `shift` further left. A closing mark or a pause or stop mark loses its right blank half,
    an opening mark its left one (its ink moves left with it), the 间隔号 is half an em with its ink
    centred; (0, 0) for a mark with no blank to give (a centred ？). The face's own `halt` values
    where it has them (FandolFang, Noto CJK: −½ em advance, and −½ em placement for openings)."""
    kind = _KIND.get(ch)
    if kind in BLANK_RIGHT:
        return compressible(advance - ink_right, em), 0.0
    if kind == OPENING:
        cut = compressible(ink_left, em)
        return cut, cut
    if kind == MIDDLE and advance > 0.5 * em:
        cut = advance - 0.5 * em
        return cut, cut / 2
    return 0.0, 0.0


def kind_of(ch: str, cjk: bool) -> int:
    """The kind of `ch`; `cjk`: whether it is a CJK character (Han, kana, full-width forms)."""
    kind = _KIND.get(ch)
    if kind is not None:
        return kind
    return HAN if cjk else LATIN


# --------------------------------------------------------------------------- text without boxes
# Titles, headings and table cells are set by WeasyPrint itself (no paragraph composition): there
# the adjacent-mark compression is applied through the font's `halt` feature (glyphs.py).

PAIRS = re.compile(
    "(?=([{c}][{c}{o}])|([{o}][{o}]))".format(
        c=re.escape("".join(sorted(CLOSING_MARKS + PAUSE_MARKS + STOP_MARKS))),
        o=re.escape("".join(sorted(OPENING_MARKS)))))


def compressed(text: str) -> list[int]:
    """Indices of marks set half-width because a neighbouring mark already gives the blank:
    of “。”” “，“” the first mark loses its right blank; of “（“” the second its left blank."""
    return [m.start() if m.group(1) else m.start() + 1 for m in PAIRS.finditer(text)]
