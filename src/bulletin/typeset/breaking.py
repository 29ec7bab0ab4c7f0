"""Where Chinese lines may break (clreq 禁则, strict level), and the paragraph-wide choice of breaks.

Break rules between two characters (`break_allowed`): never before a closing mark, 、，。…, a unit
sign (%, ‰, ℃) or a character of “——”, “……” or the 间隔号 ·; never after an opening mark or after ·
(a foreign name stays whole); never inside a nowrap element (URLs, e-mail addresses, 署名); Latin
words and numbers break where Pango (UAX #14) allows it; everywhere else next to a CJK character.

`plan` breaks a paragraph as a whole (total fit, as TeX and Typst's optimised mode do): every line's
cost comes from its adjustment (justification.line_cost), and the breaks minimise the sum of
(10 + cost)² over the paragraph. So a line that would need stretching takes a character from the
line above or gives one to the line below, and the last line keeps at least `runt_min` characters
besides punctuation (no 孤字). Where the layout allows hanging punctuation, a 、，。；：！？ may
hang past the edge, never on two lines in a row.
"""
from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache

from ..text import NO_LINE_END, NO_LINE_START, is_cjk
from . import punctuation as P
from .justification import (AUTOSPACE_SHRINK, AUTOSPACE_STRETCH, INFEASIBLE, SHRINK_AUTOSPACE,
                            SHRINK_BRACKET, SHRINK_CLASSES, line_cost)

NO_START = NO_LINE_START | set("℃℉°′″％‰/")
NO_END = NO_LINE_END
LINE_PENALTY = 10.0
RUNT_PENALTY = 4e5  # between the demerits of a line 8.5 % and 10 % of an em loose
HANGING_PENALTY = 400.0
MARK_END_PENALTY = 200.0  # a full line ending in a mark (set half width, its ink inside the edge)
WORD_BREAK_PENALTY = 2500.0  # inside a Latin word (where Pango allows it)
URL_BREAK_PENALTY = 4e4  # inside a URL or e-mail address where it may break: rather than a line ~0.06 em loose
URL_MIN_PART = 4  # characters of the address on each side of such a break
KEEP_WHOLE = 50  # addresses up to this length break only where url_break allows (compose.markup.KEEP_WHOLE)
NUMBER_UNIT_PENALTY = 5000.0  # between a number and its unit or range (2023|年, 10.5|万, 2021—|2025)
URL_ANYWHERE_PENALTY = 6e5  # inside a long URL between two letters: rather than a line 10 % loose
EMERGENCY_PENALTY = 1e9  # inside an unbreakable run that does not fit the line
STRETCH_WINDOW_EM = 5.0  # lines shorter than the measure by more than this are not considered


@dataclass(frozen=True)
class Settings:
    hanging: bool = False  # 行末悬挂: 、，。；：！？ may hang past the block edge
    runt_min: int = 2  # characters besides punctuation on a paragraph's last line
    trim_line_start: bool = False  # an opening mark at a line start loses its blank half
    compress: bool = True  # marks and spaces may be compressed to fit a line


@dataclass
class Line:
    start: int  # first atom
    end: int  # last atom set on the line (trailing spaces and a forced break excluded)
    next: int  # first atom of the next line (len(atoms) at the end)
    hanging: bool = False  # the last atom hangs past the block edge
    forced: bool = False  # ended by a preserved line break
    last: bool = False  # the last line of the paragraph or before a forced break


@dataclass
class Plan:
    lines: list[Line] = field(default_factory=list)

    def starts(self) -> dict[int, Line]:
        return {line.start: line for line in self.lines}


@lru_cache(maxsize=4096)
def _pango_break(pair: str, lang: str) -> bool:
    from weasyprint.text.line_break import can_break_text

    return bool(can_break_text(pair, lang))


def break_allowed(left: str, right: str) -> bool:
    """Whether clreq allows a line break between two adjacent CJK-context characters."""
    if right in NO_START or left in NO_END:
        return False
    kl, kr = P.kind_of(left, is_cjk(left)), P.kind_of(right, is_cjk(right))
    if kr in (P.DASH, P.ELLIPSIS, P.MIDDLE) or kl == P.MIDDLE:
        return False
    if left.isascii() and right.isascii():
        return False  # Latin words, numbers, URLs: Pango's business
    return is_cjk(left) or is_cjk(right)


def _allowed_between(atoms, a: int, b: int, lang: str, urls: dict[int, tuple[int, int]]) -> tuple[bool, float]:
    """Whether a line may end with atom a and the next start with atom b (adjacent), and the
    penalty of that break. `urls`: atoms inside a URL or e-mail address → (its first atom, its end)."""
    ga, gb = atoms.group[a], atoms.group[b]
    if ga != -1 and ga == gb:
        return False, 0.0
    if atoms.kind[a] == P.HAN and atoms.kind[b] == P.HAN:
        return True, 0.0  # the common case: two Han characters (full-width letters, kana)
    left, right = atoms.ch[a], atoms.ch[b]
    if is_cjk(left) or is_cjk(right) or not (left.isascii() and right.isascii()):
        if not break_allowed(left, right):
            return False, 0.0
        if is_cjk(left) or is_cjk(right):
            number = (left.isdigit() and atoms.kind[b] == P.HAN) or (
                atoms.kind[a] == P.DASH and right.isdigit() and a > 0 and atoms.ch[a - 1].isdigit())
            return True, NUMBER_UNIT_PENALTY if number else 0.0
    address = urls.get(a)
    if address is not None and urls.get(b) == address:
        first, end = address
        if url_break(left, right) and b - first >= URL_MIN_PART and end - b >= URL_MIN_PART:
            return True, URL_BREAK_PENALTY
        if end - first > KEEP_WHOLE and "-" not in (left, right):
            return True, URL_ANYWHERE_PENALTY  # a long address that has to break somewhere
        return False, 0.0
    if atoms.box[a] is atoms.box[b]:
        allowed = atoms.pango_break[b]
    else:
        allowed = _pango_break(left + right, lang)
    both_latin = atoms.kind[a] == P.LATIN and atoms.kind[b] == P.LATIN
    return allowed, WORD_BREAK_PENALTY if allowed and both_latin else 0.0


URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)


def url_break(left: str, right: str) -> bool:
    """Where a URL or an e-mail address may break (Chicago Manual of Style, 15th ed. 17.11 and its
    FAQ, 17th ed. 7.42): after a slash or the double slash (never between the two slashes),
    before a period (so no line ends in what reads as a full stop), before @ (e-mail), ? # & = _ ~ %.
    Never next to a hyphen, which would read as hyphenation; nothing is inserted."""
    if "-" in (left, right):
        return False
    if left == "/":
        return right != "/"
    return right in ".@?#&=_~%" and left.isalnum()


def _url_atoms(atoms) -> dict[int, tuple[int, int]]:
    """Atoms of the URLs and e-mail addresses → (first atom, end) of theirs: those compose.py
    marked (`url` elements) and, in text without markup, those the pattern finds outside nowrap
    elements."""
    out: dict[int, tuple[int, int]] = {}
    ids = atoms.url
    i, n = 0, len(ids)
    while i < n:
        if ids[i] < 0:
            i += 1
            continue
        j = i
        while j < n and ids[j] == ids[i]:
            j += 1
        out.update((k, (i, j)) for k in range(i, j))
        i = j
    text = "".join(atoms.ch)
    for m in URL.finditer(text):
        start, end = m.span()
        while end > start and not text[end - 1].isascii():
            end -= 1  # the Chinese text after it is not part of the URL
        if start not in out and all(atoms.group[k] == -1 for k in range(start, end)):
            out.update((k, (start, end)) for k in range(start, end))
    return out


def break_points(atoms, lang: str) -> tuple[dict[int, tuple[int, float]], list[tuple[int, int, int]]]:
    """Breaks of a paragraph: {last atom of a line: (first atom of the next, penalty)}, and the
    segments between forced breaks as (first atom, end, first atom after the forced break; end
    and len(atoms) for the last segment)."""
    n = len(atoms)
    kind = atoms.kind
    breaks: dict[int, tuple[int, float]] = {}
    segments: list[tuple[int, int, int]] = []

    def skip(i: int, kinds: tuple[int, ...]) -> int:
        while i < n and kind[i] in kinds:
            i += 1
        return i

    urls = _url_atoms(atoms)
    seg_start = skip(0, (P.SPACE, P.FORCED))
    for e in range(n):
        if kind[e] in (P.SPACE, P.FORCED):
            continue
        j = skip(e + 1, (P.SPACE,))
        if j >= n:
            continue
        if kind[j] == P.FORCED:
            nxt = skip(j, (P.SPACE, P.FORCED))
            segments.append((seg_start, e + 1, nxt))
            seg_start = nxt
            continue
        if j > e + 1:  # through spaces: anything but a mark that must not start a line
            same_group = atoms.group[e] != -1 and atoms.group[e] == atoms.group[j]
            if not same_group and atoms.ch[j] not in NO_START:
                breaks[e] = (j, 0.0)
            continue
        allowed, penalty = _allowed_between(atoms, e, j, lang, urls)
        if allowed:
            breaks[e] = (j, penalty)
    if seg_start < n:
        end = n
        while end > seg_start and kind[end - 1] in (P.SPACE, P.FORCED):
            end -= 1
        if end > seg_start:
            segments.append((seg_start, end, n))
    return breaks, segments


class _Sums:
    """Prefix sums over atoms and boundaries, so a line's totals cost a few subtractions."""

    def __init__(self, atoms, settings: Settings, breaks: dict[int, tuple[int, float]] | None = None):
        n = len(atoms)
        self.advance = [0.0] * (n + 1)
        self.inner = [0.0] * (n + 1)
        self.shrink = [[0.0] * (n + 1) for _ in range(SHRINK_CLASSES)]
        self.shrink_total = [0.0] * (n + 1)
        self.as_stretch = [0.0] * (n + 1)
        self.opportunities = [0] * (n + 1)
        self.latin = [0] * (n + 1)  # gaps between Latin letters (spaced only as a last resort)
        self.letters = [0] * (n + 1)
        # what a line starting (ending) at an atom adds besides its atoms and inner boundaries
        self.start_extra = [atoms.opening[i] - (atoms.trim_left[i] if settings.trim_line_start else 0.0)
                            for i in range(n)]
        self.end_extra = [atoms.closing[i + 1] - atoms.tracking[i] - atoms.trim_right[i] for i in range(n)]
        self.next = [-1] * n  # first atom of the next line after a break at atom i (-1: no break)
        self.penalty = [0.0] * n
        for e, (j, penalty) in (breaks or {}).items():
            self.next[e], self.penalty[e] = j, penalty
        for i in range(n):
            self.advance[i + 1] = self.advance[i] + atoms.advance[i]
            letter = atoms.kind[i] in (P.HAN, P.LATIN) and not atoms.line_end[i]
            self.letters[i + 1] = self.letters[i] + letter
        closing, opening, autospace, pair = atoms.closing, atoms.opening, atoms.autospace, atoms.pair
        shrink_class, after, before = atoms.shrink_class, atoms.shrink_after, atoms.shrink_before
        opportunity = atoms.opportunity
        rows = self.shrink
        for k in range(1, n + 1):
            last = k == n  # the boundary after the last atom is never inside a line
            self.inner[k] = self.inner[k - 1] + (0.0 if last else closing[k] + opening[k] + autospace[k] + pair[k])
            for c in range(SHRINK_CLASSES):
                rows[c][k] = rows[c][k - 1]
            total = 0.0
            if not last:
                if shrink_class[k] >= 0:
                    rows[shrink_class[k]][k] += after[k]
                    total += after[k]
                if before[k]:
                    rows[SHRINK_BRACKET][k] += before[k]
                    total += before[k]
                if autospace[k]:
                    rows[SHRINK_AUTOSPACE][k] += AUTOSPACE_SHRINK * autospace[k]
                    total += AUTOSPACE_SHRINK * autospace[k]
            if not settings.compress:
                for c in range(SHRINK_CLASSES):
                    rows[c][k] = rows[c][k - 1]
                total = 0.0
            self.shrink_total[k] = self.shrink_total[k - 1] + total
            self.as_stretch[k] = self.as_stretch[k - 1] + (0.0 if last else AUTOSPACE_STRETCH * autospace[k])
            self.opportunities[k] = self.opportunities[k - 1] + (not last and opportunity[k])
            self.latin[k] = self.latin[k - 1] + (not last and atoms.latin_gap[k])


def line_totals(atoms, sums: _Sums, s: int, e: int, settings: Settings, hanging: bool = False):
    """(natural width, shrink per class, Han–Latin stretch, opportunities) of a line s..e; with
    `hanging`, of s..e−1 followed directly by the mark e set past the edge."""
    last = e - 1 if hanging else e
    natural = sums.advance[last + 1] - sums.advance[s] + sums.inner[last] - sums.inner[s] + atoms.opening[s]
    if hanging:
        natural += atoms.closing[e] + atoms.opening[e] + atoms.pair[e]
    else:
        natural += atoms.closing[e + 1] - atoms.tracking[e] - atoms.trim_right[e]
    if settings.trim_line_start:
        natural -= atoms.trim_left[s]
    shrink = [sums.shrink[c][last] - sums.shrink[c][s] for c in range(SHRINK_CLASSES)]
    return (natural, shrink, sums.as_stretch[last] - sums.as_stretch[s],
            sums.opportunities[last] - sums.opportunities[s])


def latin_gaps(atoms, s: int, e: int, hanging: bool = False) -> int:
    """Gaps between Latin letters inside the line s..e (see line_totals)."""
    last = e - 1 if hanging else e
    return sum(atoms.latin_gap[s + 1:last + 1])


def totals(atoms, s: int, e: int, settings: Settings, hanging: bool = False):
    """line_totals without prefix sums, for one line (lines.py)."""
    last = e - 1 if hanging else e
    natural = sum(atoms.advance[s:last + 1]) + atoms.opening[s]
    shrink = [0.0] * SHRINK_CLASSES
    as_stretch, opportunities = 0.0, 0
    for k in range(s + 1, last + 1):
        natural += atoms.closing[k] + atoms.opening[k] + atoms.autospace[k] + atoms.pair[k]
        if atoms.shrink_class[k] >= 0:
            shrink[atoms.shrink_class[k]] += atoms.shrink_after[k]
        shrink[SHRINK_BRACKET] += atoms.shrink_before[k]
        shrink[SHRINK_AUTOSPACE] += AUTOSPACE_SHRINK * atoms.autospace[k]
        as_stretch += AUTOSPACE_STRETCH * atoms.autospace[k]
        opportunities += atoms.opportunity[k]
    if hanging:
        natural += atoms.closing[e] + atoms.opening[e] + atoms.pair[e]
    else:
        natural += atoms.closing[e + 1] - atoms.tracking[e] - atoms.trim_right[e]
    if settings.trim_line_start:
        natural -= atoms.trim_left[s]
    if not settings.compress:
        shrink = [0.0] * SHRINK_CLASSES
    return natural, shrink, as_stretch, opportunities


MAX_PLANS = 2000
_plans: OrderedDict[tuple, Plan] = OrderedDict()


def plan(atoms, first_width: float, width: float, settings: Settings, lang: str = "zh",
         start: int = 0) -> Plan:
    """The best breaks of the paragraph's atoms from `start`: the first line `first_width` wide,
    the others `width`. Kept for the process (bounded), keyed by everything they depend on, so a
    warm process re-rendering an issue breaks only the paragraphs that changed."""
    key = (atoms.signature(), round(first_width, 4), round(width, 4), settings, lang, start)
    found = _plans.get(key)
    if found is not None:
        _plans.move_to_end(key)
        return found
    result = _plan(atoms, first_width, width, settings, lang, start)
    _plans[key] = result
    while len(_plans) > MAX_PLANS:
        _plans.popitem(last=False)
    return result


def clear() -> None:
    _plans.clear()


def _plan(atoms, first_width: float, width: float, settings: Settings, lang: str, start: int) -> Plan:
    breaks, segments = break_points(atoms, lang)
    sums = _Sums(atoms, settings, breaks)
    out = Plan()
    for seg_start, seg_end, after in segments:
        if seg_end <= start:
            continue
        first = max(seg_start, start)
        lines = _plan_segment(atoms, sums, breaks, first, seg_end, first_width if first == start else width,
                              width, settings)
        if not lines:
            return Plan()  # cannot happen (emergency breaks always exist); WeasyPrint breaks it
        lines[-1].last = True
        lines[-1].next = after
        lines[-1].forced = after < len(atoms)
        out.lines.extend(lines)
    return out


def _plan_segment(atoms, sums, breaks, seg_start, seg_end, first_width, width, settings) -> list[Line]:
    """Total fit of atoms seg_start..seg_end−1 (no forced break inside)."""
    window = STRETCH_WINDOW_EM * atoms.em_ref
    # best[(start, hung)] = (demerits, previous key, the line that ends there)
    best: dict[tuple[int, bool], tuple[float, tuple | None, Line | None]] = {(seg_start, False): (0.0, None, None)}
    queue = [(seg_start, False)]
    done: tuple[float, tuple, Line] | None = None
    while queue:
        key = heapq.heappop(queue)
        s, hung = key
        base = best[key][0]
        target = first_width if s == seg_start else width
        for e, nxt, hanging, cost, penalty, last in _candidates(atoms, sums, breaks, s, seg_start, seg_end,
                                                                 target, window, settings, hung):
            demerits = base + (LINE_PENALTY + cost) ** 2 + penalty
            line = Line(s, e, nxt, hanging=hanging, last=last)
            if nxt >= seg_end:
                if done is None or demerits < done[0]:
                    done = (demerits, key, line)
                continue
            new_key = (nxt, hanging)
            old = best.get(new_key)
            if old is None:
                heapq.heappush(queue, new_key)
            if old is None or demerits < old[0]:
                best[new_key] = (demerits, key, line)
    if done is None:
        return []
    _demerits, key, line = done
    lines = [line]
    while best[key][2] is not None:
        _d, previous_key, previous_line = best[key]
        lines.append(previous_line)
        key = previous_key
    lines.reverse()
    return lines


def _candidates(atoms, sums, breaks, s, seg_start, seg_end, target, window, settings, hung):
    """Lines from atom s: (last atom, next start, hanging, cost, penalty, text's last line) for each
    feasible end."""
    advance, inner, shrink_total = sums.advance, sums.inner, sums.shrink_total
    end_extra, nxt, penalties = sums.end_extra, sums.next, sums.penalty
    line_end = atoms.line_end
    base = inner[s] - sums.start_extra[s] + advance[s]
    out: list[tuple[int, int, bool, float, float, bool]] = []
    lo = bisect_left(advance, advance[s] + target - window, s + 1, seg_end + 1) - 1
    final = seg_end - 1
    em = atoms.em_ref
    for e in range(min(max(s, lo), final), seg_end):  # a short last line is always a candidate
        j = nxt[e]
        is_final = e == final
        if j < 0 and not is_final:
            continue
        natural = advance[e + 1] + inner[e] + end_extra[e] - base
        if natural - (shrink_total[e] - shrink_total[s]) > target + 1e-6:
            # too long even fully compressed, and so are all longer ones
            brk = None if j < 0 else (j, penalties[e])
            _hang_candidates(atoms, sums, s, e, target, settings, hung, brk, out)
            if not out:
                _fallback(atoms, sums, breaks, s, lo, e, target, settings, seg_end, out)
            break
        text_end = is_final or line_end[j] and not line_end[e]
        if natural <= target:
            if text_end:
                cost = 0.0
            else:
                shrink = None
                cost = line_cost(natural, target, em, shrink, sums.as_stretch[e] - sums.as_stretch[s],
                                 sums.opportunities[e] - sums.opportunities[s], last=False,
                                 latin_gaps=sums.latin[e] - sums.latin[s])
        else:
            shrink = [sums.shrink[c][e] - sums.shrink[c][s] for c in range(SHRINK_CLASSES)]
            cost = line_cost(natural, target, em, shrink, 0.0, 0, last=text_end)
        penalty = 0.0 if is_final else penalties[e] + (MARK_END_PENALTY if atoms.trim_right[e] else 0.0)
        if text_end and s > seg_start and 0 < sums.letters[e + 1] - sums.letters[s] < settings.runt_min:
            penalty += RUNT_PENALTY
        out.append((e, seg_end if is_final else j, False, cost, penalty, text_end))
        if settings.hanging and not hung and j >= 0:
            _hang_candidates(atoms, sums, s, e, target, settings, hung, (j, penalties[e]), out)
    return out


def _hang_candidates(atoms, sums, s, e, target, settings, hung, brk, out) -> bool:
    """The line s..e with its last mark hanging past the edge, if the layout allows it."""
    if not settings.hanging or hung or brk is None or e <= s or atoms.kind[e] not in P.HANGING_KINDS:
        return False
    natural, shrink, as_stretch, opportunities = line_totals(atoms, sums, s, e, settings, hanging=True)
    cost = line_cost(natural, target, atoms.em_ref, shrink, as_stretch, opportunities, last=False,
                     latin_gaps=sums.latin[e - 1] - sums.latin[s])
    if cost >= INFEASIBLE:
        return False
    out.append((e, brk[0], True, cost, brk[1] + HANGING_PENALTY, False))
    return True


def _fallback(atoms, sums, breaks, s, lo, e_over, target, settings, seg_end, out) -> None:
    """No line from s ends within the stretch window: the longest loose line, else an emergency
    break inside the unbreakable run that does not fit."""
    for e in range(min(lo, e_over) - 1, s - 1, -1):
        brk = breaks.get(e)
        if brk is not None:
            natural, shrink, as_stretch, opportunities = line_totals(atoms, sums, s, e, settings)
            cost = line_cost(natural, target, atoms.em_ref, shrink, as_stretch, opportunities, last=False,
                             latin_gaps=sums.latin[e] - sums.latin[s])
            out.append((e, brk[0], False, cost, brk[1], False))
            return
    _emergency(atoms, sums, s, e_over, target, settings, seg_end, out)


def _emergency(atoms, sums, s, e_over, target, settings, seg_end, out) -> None:
    """Break inside the run at the last place the line still fits (as `overflow-wrap:
    break-word` does), or take the shortest overfull line."""
    for e in range(e_over - 1, s - 1, -1):
        natural, shrink, _as, _opp = line_totals(atoms, sums, s, e, settings)
        if natural - sum(shrink) <= target + 1e-6 and atoms.kind[e] != P.SPACE:
            nxt = e + 1
            while nxt < seg_end and atoms.kind[nxt] == P.SPACE:
                nxt += 1
            if atoms.ch[nxt - 1] in NO_START or (nxt < seg_end and atoms.ch[nxt] in NO_START):
                continue
            out.append((e, nxt, False, 0.0, EMERGENCY_PENALTY, False))
            return
    nxt = e_over + 1
    while nxt < seg_end and atoms.kind[nxt] == P.SPACE:
        nxt += 1
    out.append((e_over, nxt, False, 0.0, EMERGENCY_PENALTY * 10, nxt >= seg_end))
