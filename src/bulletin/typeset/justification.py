"""How one line is brought to the measure: compress before stretch (clreq 行内调整).

A line's natural width already has the adjustments that are not choices: of two adjacent marks
one gives up its blank half (标点挤压), the 间隔号 · is half a character, and a full-width mark at
the end of a justified line takes half a character with its ink at the block edge (GB/T 15834
§5.1.10). What is left is made up:

- too long: compress, one kind after the other, every place of a kind in the line by the same
  amount: word spaces (to two thirds), the blank halves of brackets and quotes, of 、，；：, the
  Han–Latin quarter em (to an eighth), then of 。？！ — never more than a blank half, so the mark's
  ink is never overlapped; if that is not enough the line cannot be set (the breaker avoids it);
- too short: stretch the Han–Latin spaces first (up to three eighths of an em), then every justification
  opportunity by the same amount: each boundary next to a CJK character and each word space — not
  inside Latin words or numbers, not inside “——” or “……”. Only a line that would be looser than
  0.05 em so also spaces the letters of its Latin runs (URLs, e-mail addresses, words), as a last
  resort and by at most 0.03 em a gap: what is left beyond 0.05 em is shared by the opportunities
  and the letter gaps alike, up to that cap.

`line_cost` rates the result for the paragraph breaker (breaking.py): the cubed stretch per
opportunity against 0.05 em, and each kind of compression by how visible it is, so that a line
prefers a barely wider spacing to a visibly compressed mark, and a compressed comma to a loose line.
"""
from __future__ import annotations

from dataclasses import dataclass

# Shrink classes, in the order they are used (clreq 挤压处理的优先顺序).
SHRINK_SPACE, SHRINK_BRACKET, SHRINK_PAUSE, SHRINK_AUTOSPACE, SHRINK_STOP = range(5)
SHRINK_CLASSES = 5
# Cost of compressing every place of a class by its whole capacity (a blank half, an eighth em, a
# third of a word space), against 100 for stretching every opportunity by 0.05 em: a mark pushed
# in to half width weighs about as much as a line 0.035–0.045 em loose.
SHRINK_WEIGHT = (6.0, 40.0, 30.0, 15.0, 60.0)
AUTOSPACE_STRETCH_WEIGHT = 12.0  # stretching every Han–Latin space as far as it goes
LOOSE_EM = 0.05  # stretch per opportunity that costs 100
SPACE_SHRINK = 1 / 3  # a word space may lose a third of its width
AUTOSPACE_SHRINK = 0.5  # the quarter em may shrink to an eighth
AUTOSPACE_STRETCH = 0.5  # ... and grow to three eighths (more shows as a hole around the Latin run)
LATIN_STRETCH_FROM = LOOSE_EM  # Latin letters are spaced only beyond this stretch per opportunity (em)
LATIN_STRETCH_MAX = 0.03  # em a gap between two Latin letters may grow, at most
LATIN_STRETCH_WEIGHT = 100.0  # cost of spacing every Latin letter gap by its cap
UNJUSTIFIABLE = 1e4  # a line that should be full but has nowhere to put its slack
INFEASIBLE = float("inf")


def stretch_split(slack: float, opportunities: int, latin_gaps: int, em: float) -> tuple[float, float]:
    """How `slack` (px, after the Han–Latin spaces) is spread: (px per opportunity, px per gap
    between Latin letters). Letters are spaced only beyond LATIN_STRETCH_FROM, then alike with the
    opportunities up to LATIN_STRETCH_MAX."""
    base = LATIN_STRETCH_FROM * em
    if not latin_gaps or slack <= base * opportunities:
        return slack / opportunities, 0.0
    extra = slack - base * opportunities
    cap = LATIN_STRETCH_MAX * em
    share = extra / (opportunities + latin_gaps)
    if share <= cap:
        return base + share, share
    return base + (extra - cap * latin_gaps) / opportunities, cap


def line_cost(natural: float, target: float, em: float, shrink: tuple[float, ...] | list[float],
              as_stretch: float, opportunities: int, last: bool, latin_gaps: int = 0) -> float:
    """Badness of setting a line of natural width `natural` to `target` (both px): 0 for a perfect
    fit, INFEASIBLE when it cannot be compressed enough. `shrink[c]`: capacity of class c (px);
    `as_stretch`: what the Han–Latin spaces can grow (px); `latin_gaps`: gaps between Latin letters
    (spaced as a last resort); a `last` line is never stretched."""
    slack = target - natural
    if slack >= 0:
        if last:
            return 0.0
        cost = 0.0
        if as_stretch > 0:
            used = min(slack, as_stretch)
            cost += AUTOSPACE_STRETCH_WEIGHT * (used / as_stretch) ** 2
            slack -= used
        if slack <= 1e-6:
            return cost
        if not opportunities:
            return UNJUSTIFIABLE + slack
        per, latin = stretch_split(slack, opportunities, latin_gaps, em)
        ratio = per / em / LOOSE_EM
        cost += 100.0 * ratio * ratio * ratio
        if latin:
            spread = latin / (LATIN_STRETCH_MAX * em)
            cost += LATIN_STRETCH_WEIGHT * spread * spread
        return cost
    need = -slack
    cost = 0.0
    for c in range(SHRINK_CLASSES):
        capacity = shrink[c]
        if capacity <= 0:
            continue
        used = need if need < capacity else capacity
        fraction = used / capacity
        cost += SHRINK_WEIGHT[c] * fraction * fraction
        need -= used
        if need <= 1e-6:
            return cost
    return INFEASIBLE


@dataclass
class Adjustment:
    """What `solve` decided for one line: per shrink class the fraction of its capacity used, the
    fraction of the Han–Latin stretch used, and the extra width of each opportunity and of each gap
    between Latin letters (px)."""
    shrink: list[float]
    autospace_stretch: float
    per_opportunity: float
    overfull: float  # px the line is still too long (0 unless nothing could be compressed enough)
    per_latin: float = 0.0


def solve(natural: float, target: float, shrink: list[float], as_stretch: float, opportunities: int,
          last: bool, latin_gaps: int = 0, em: float = 0.0) -> Adjustment:
    """The adjustment that `line_cost` rates (same order of use, same capacities)."""
    slack = target - natural
    fractions = [0.0] * SHRINK_CLASSES
    if slack >= 0:
        if last:
            return Adjustment(fractions, 0.0, 0.0, 0.0)
        used = min(slack, as_stretch) if as_stretch > 0 else 0.0
        slack -= used
        per, latin = stretch_split(slack, opportunities, latin_gaps, em) if opportunities and slack > 1e-9 else (0.0, 0.0)
        return Adjustment(fractions, used / as_stretch if as_stretch > 0 else 0.0, per, 0.0, latin)
    need = -slack
    for c in range(SHRINK_CLASSES):
        capacity = shrink[c]
        if capacity <= 0 or need <= 1e-9:
            continue
        used = min(need, capacity)
        fractions[c] = used / capacity
        need -= used
    return Adjustment(fractions, 0.0, 0.0, max(0.0, need))
