"""Breaking titles by words (标题回行): GB/T 9704-2012 §7.3.1 — 回行时，要做到词意完整，排列对称，
长短适宜，间距恰当，标题排列应当使用梯形或菱形.

A title (or a kicker / subtitle) that does not fit on one line is broken

- only between words: the word segmenter (jieba's dictionary and HMM, through `rjieba`, its Rust
  port) gives the words and their parts of speech; names the series knows (publisher, recipients,
  its `words` list and `words.txt`) are kept whole even where the segmenter would cut them; Latin
  words, numbers, dates and a number with its measure word (“2024年”, “8月25日”, “5G”) stay whole;
  the 禁则 of clreq hold (no line starts with “，。、）》”…”, none ends with “（《“”);
- at the best place between phrases: after a comma or an enumeration mark, between a subject and
  its predicate (“……有限公司 / 开展……”, “……领导 / 赴……”), before a time or a preposition phrase;
  never before 的/了/地/得 or a postposition (上、中), never after a preposition or a conjunction;
- into a shape: 正梯形 (上短下长, each line longer than the one above) for two lines, 菱形 (the middle
  line longest) or 正梯形 for three; never a rectangle of equal lines when a shape is possible,
  never one character or a lone Latin fragment on a line.

Every choice is a cost: the squared distance of each line from the shape's target length (em²),
plus a penalty or bonus for each break position. A dynamic programme over break positions finds the
cheapest breaks; a line holds at most `measure` em, so each position looks back over a bounded
number of positions: time is linear in the length of the title (O(n · lines · positions per line)).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache, lru_cache

from ..text import NO_LINE_END, NO_LINE_START

HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Latin words, numbers, URLs: never broken (the same runs compose.py keeps together)
LATIN_RUN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.,:/+\-%&_'@?=#~]*[A-Za-z0-9%/])?")
# a number and what counts it: 2024年, 8月25日, 第18届, 100周年, 1,234人次, 三十周年 (the measure word).
# The number's length is bounded: with an unbounded run every start inside a long run of digits
# read on to its end, quadratic in the run (a 10 000-digit caption or table cell took 0.75 s); a
# longer run of digits is kept whole by LATIN_RUN anyway.
NUMBER_UNIT = re.compile(
    r"第?(?:[0-9][0-9.,]{0,40}|[〇零一二三四五六七八九十百千万两]{1,20})"
    r"(?:年(?:[0-9]{1,2}月(?:[0-9]{1,2}日)?)?|月(?:[0-9]{1,2}日)?|[日号时点分秒期届次个项条件家名人位台座所万亿元周岁天%％]"
    r"|周年|季度|人次|户次|公里|千米|米|平方米|小时|分钟)"
)
# a short quotation or book title is a name: kept whole
SHORT_QUOTE = re.compile(r"[“《][^“”《》]{1,10}[”》]")
PHRASE_END = set("，、；：！？ \u3000")  # a line may well end here
KEEP_TOGETHER = {"—", "…"}  # “——” and “……” are one mark drawn as two characters

# parts of speech (jieba's tag set) of a word that can end a subject and of one that can begin a
# predicate or an adverbial phrase: a break between them is a break between phrases
NOUNISH = ("n", "j", "vn", "an", "t", "m", "q", "f", "eng", "r", "b", "s", "nz", "nt", "ns", "nr", "x")
PREDICATE = ("v", "vd", "d", "p", "c", "i", "ad")
# adverbial words that lead a predicate (jieba often tags 全力 or 深入 as nouns or verbs): a line
# may begin with them, but not end with them
ADVERBIAL = {"全力", "大力", "全面", "积极", "认真", "切实", "扎实", "深入", "着力", "努力", "持续", "不断",
             "进一步", "坚决", "迅速", "及时", "稳步", "有序", "共同", "统筹", "高效", "精准", "主动", "加快推进"}
PARTICLES = set("的地得了着过之们等")
# the last word of the name of a body: no break before it
ORG_SUFFIX = {"公司", "有限公司", "分公司", "集团", "协会", "学会", "商会", "委员会", "组委会", "管理局", "局", "厅",
              "办公室", "办", "中心", "研究院", "研究所", "大学", "学院", "分会", "政府", "部", "委", "处", "科", "所",
              "站", "队", "院", "馆", "社", "联合会", "基金会", "党委", "党组", "支部"}


@cache
def _segmenter():
    """rjieba's own instance: importing rjieba loads the dictionary into it (~0.2 s); another
    instance would load it a second time. Nothing here adds words to it."""
    import rjieba

    return getattr(rjieba, "_DEFAULT_JIEBA", None) or rjieba.Jieba()



_lock = threading.Lock()
# segmentations kept on disk: loading rjieba's dictionary costs a fresh process ~0.15-0.25 s, and
# an issue built again (or its checks run again) asks for the same titles and cells
SEGMENTS_KEPT = 4000  # entries (a title's piece or a table cell: ~100 bytes each)
SEGMENTS_LONGEST = 400  # characters: longer texts are segmented, not kept


def segmenter_stamp(package: str = "rjieba") -> str | None:
    """Which segmenter answers: rjieba's files (its dictionary is compiled into its library) by
    name, size and time, found without importing it; None when it is not installed."""
    import hashlib
    import importlib.util
    import os

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    h = hashlib.sha256()
    for folder in spec.submodule_search_locations:
        for name in sorted(os.listdir(folder)):
            if name != "__pycache__":
                st = os.stat(os.path.join(folder, name))
                h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


class _Segments:
    """text → [(word, tag)] for one segmenter (its stamp), read from the user's cache folder once
    per process; what was missing is written back (atomically) by keep_segments(), once per check
    or composition, not once per text. Bounded: the oldest go."""

    def __init__(self):
        from ..resources import cache_dir

        stamp = segmenter_stamp()
        self.file = cache_dir() / f"segments-{stamp}.json" if stamp else None
        self.entries: dict[str, list[tuple[str, str]]] = {}
        self.dirty = False
        if self.file is not None:
            import json

            try:
                found = json.loads(self.file.read_text(encoding="utf-8"))
                self.entries = {text: [(w, t) for w, t in pairs] for text, pairs in found.items()}
            except (OSError, ValueError, TypeError, AttributeError):
                pass

    def get(self, text: str) -> list[tuple[str, str]]:
        found = self.entries.get(text)
        if found is None:
            found = [(w, t) for w, t in _segmenter().tag(text)]
            if len(text) <= SEGMENTS_LONGEST:
                self.entries[text] = found
                self.dirty = True
        return list(found)

    def save(self) -> None:
        if self.file is None or not self.dirty:
            return
        self.dirty = False
        import json
        import os

        while len(self.entries) > SEGMENTS_KEPT:
            del self.entries[next(iter(self.entries))]
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.file)
        except OSError:
            pass  # a read-only home only costs time


_segments: _Segments | None = None


def segment(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) for `text`, by jieba's dictionary and tagger (rjieba); a text
    segmented before (by any process of this user, with the same rjieba) comes from the cache."""
    global _segments
    with _lock:  # one shared tagger; callers from several threads (serve) take turns
        if _segments is None:
            _segments = _Segments()
        return _segments.get(text)


def keep_segments() -> None:
    """Write the segmentations this process added to the user's cache (nothing when none was)."""
    with _lock:
        if _segments is not None:
            _segments.save()


@dataclass(frozen=True)
class Lexicon:
    """Names that titles keep whole (organisation names, series terms)."""

    terms: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *groups) -> "Lexicon":
        terms = set()
        for group in groups:
            for term in group or ():
                term = str(term).strip()
                if 2 <= len(term) <= 40 and "\n" not in term:
                    terms.add(term)
        return cls(frozenset(terms))

    @property
    def lengths(self) -> tuple[int, ...]:
        return _lengths(self.terms)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every occurrence of a term in `text`: one hash lookup per position and
        distinct term length."""
        if not self.terms:
            return []
        out = []
        for i in range(len(text)):
            for length in self.lengths:
                if i + length <= len(text) and text[i:i + length] in self.terms:
                    out.append((i, i + length))
        return out


@cache
def _lengths(terms: frozenset[str]) -> tuple[int, ...]:
    return tuple(sorted({len(t) for t in terms}, reverse=True))


# ---------------------------------------------------------------- widths


@dataclass(frozen=True)
class Metrics:
    """Advance widths in em: Han and full-width characters 1; Latin letters and digits from the
    font (`latin`: character → em); a quarter em between Han and Latin (compose.py's autospace)."""

    latin: tuple[tuple[str, float], ...] = ()
    default_latin: float = 0.6

    def widths(self, text: str) -> list[float]:
        table = dict(self.latin)
        out = []
        for i, ch in enumerate(text):
            if ch.isascii():
                w = table.get(ch, self.default_latin)
                if ch.isalnum():  # autospace: a quarter em on a Han side of a Latin run
                    if i and HAN.match(text[i - 1]):
                        w += 0.25
                    if i + 1 < len(text) and HAN.match(text[i + 1]):
                        w += 0.25
                out.append(w)
            else:
                out.append(1.0)
        return out


@cache
def font_metrics(role: str | None) -> Metrics:
    """Metrics of a font of the project (fonts/manifest.json role), for printable ASCII. Reading a
    CJK font costs ~0.07 s, so the advances are kept on disk, keyed by the font's SHA-256."""
    if role is None:
        return Metrics()
    import json
    import os

    from ..resources import cache_dir
    from ..style.fonts import fonts

    try:
        font = fonts()[role]
    except KeyError:
        return Metrics()
    cache_file = cache_dir() / f"advances-{font.sha256[:32]}.json"
    try:
        return Metrics(tuple((ch, float(w)) for ch, w in json.loads(cache_file.read_text())))
    except (OSError, ValueError, TypeError):
        pass
    try:
        from fontTools.ttLib import TTFont

        with TTFont(str(font.path), lazy=True) as tt:
            cmap, hmtx, upm = tt.getBestCmap(), tt["hmtx"], tt["head"].unitsPerEm
            latin = tuple((chr(c), hmtx[cmap[c]][0] / upm) for c in range(0x20, 0x7F) if c in cmap)
    except Exception:  # noqa: BLE001 - a font that cannot be read: the estimate will do
        return Metrics()
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(latin))
        os.replace(tmp, cache_file)
    except OSError:
        pass  # a read-only home only costs time
    return Metrics(latin)


# ---------------------------------------------------------------- breaking


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    tag: str


def _atoms(text: str, lexicon: Lexicon, measure: float) -> list[_Atom]:
    """The title as unbreakable pieces with a part of speech: words, merged where a name, a Latin
    run, a number with its unit or a short quotation spans several of them."""
    names = _leftmost_longest([(s, e) for s, e in lexicon.spans(text) if e - s <= measure - 2])
    bounds: list[tuple[int, int, str]] = []
    pos = 0
    # the text between the series' names is segmented on its own, as a user dictionary would do
    for start, end in [*names, (len(text), len(text))]:
        if pos < start:
            at = pos
            for word, tag in segment(text[pos:start]):
                bounds.append((at, at + len(word), tag))
                at += len(word)
            if at != start:  # the segmenter dropped or changed characters: one atom per character
                bounds = [b for b in bounds if b[1] <= pos] + [(i, i + 1, "x") for i in range(pos, start)]
        if start < end:
            bounds.append((start, end, "nt"))
        pos = end
    keep: list[tuple[int, int, str | None]] = [(s, e, "nt") for s, e in names]
    keep += [(m.start(), m.end(), "m") for m in NUMBER_UNIT.finditer(text)]
    keep += [(m.start(), m.end(), "eng") for m in LATIN_RUN.finditer(text)]
    keep += [(m.start(), m.end(), None) for m in SHORT_QUOTE.finditer(text)]
    # no break strictly inside a kept span: mark the positions, then merge the segmenter's words
    inside = bytearray(len(text) + 1)
    span_tag: dict[int, str] = {}
    for s, e, tag in keep:
        for k in range(s + 1, e):
            inside[k] = 1
        if tag:
            span_tag.setdefault(s, tag)
    cuts = sorted({b for s, e, _ in bounds for b in (s, e)} | {b for s, e, _ in keep for b in (s, e)})
    tags = {s: t for s, _, t in bounds}
    atoms: list[_Atom] = []
    start = 0
    for cut in cuts[1:]:
        if inside[cut] and cut < len(text):
            continue
        tag = span_tag.get(start) or tags.get(start, "x")
        atoms.append(_Atom(start, cut, tag))
        start = cut
    return atoms


def words(text: str, lexicon: Lexicon = Lexicon()) -> list[str]:
    """The pieces a line of text may break between: the segmenter's words, with names, Latin runs,
    numbers with their measure words (2024年) and short quotations kept whole."""
    return [text[a.start:a.end] for a in _atoms(text, lexicon, float("inf"))] if text else []


def _leftmost_longest(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Non-overlapping spans: at each position the longest, scanning left to right."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if out and start < out[-1][1]:
            continue
        out.append((start, end))
    return out


def _break_cost(text: str, left: _Atom, right: _Atom) -> float | None:
    """Penalty (em², negative: a bonus) for a break between two atoms; None where it is not allowed."""
    a, b = text[left.end - 1], text[right.start]
    if b in NO_LINE_START or a in NO_LINE_END or (a == b and a in KEEP_TOGETHER):
        return None
    word_l, word_r = text[left.start:left.end], text[right.start:right.end]
    if a in PHRASE_END:
        return -4.0
    cost = 0.0
    if b in "“《（":
        cost -= 1.5
    lt, rt = left.tag, right.tag
    if word_l in ADVERBIAL:
        return cost + 4.0  # 全力|保障: the adverb stays with its verb
    if word_r in ADVERBIAL:
        rt = "d"
    if rt.startswith("u") or word_r in PARTICLES:
        return cost + 8.0  # 的 / 了 … begins no line
    if lt in ("p", "c") or word_l in ("关于", "对于", "围绕", "与", "和", "及", "同", "向", "在", "对", "把", "被", "为", "从", "赴", "将"):
        return cost + 6.0  # a line does not end with a preposition or a conjunction
    if rt == "f":
        cost += 4.0  # 会议|上: a postposition stays with its noun
    if word_r in ORG_SUFFIX:
        return cost + 6.0  # 微波技术|有限公司: the name of a body stays whole
    if lt.startswith(NOUNISH) and rt.startswith(PREDICATE):
        cost -= 5.0  # subject | predicate, noun | preposition phrase
    elif lt.startswith(NOUNISH) and rt in ("m", "t") and HAN.match(a):
        cost -= 2.0  # … | 8月25日…: a time phrase
    elif lt.startswith("v") and rt.startswith(("n", "vn", "j", "m", "t")):
        cost += 0.5  # verb | object: acceptable
    elif lt.startswith(("n", "j", "b", "a", "s", "t", "nt", "ns")) and rt.startswith(("n", "j", "vn", "nt", "ns")):
        cost += 4.0  # inside a noun phrase (汛期|地质灾害, 网络|安全)
    elif rt.startswith("v") and not lt.startswith(("v", "p", "c", "u")):
        cost -= 2.0  # before a verb phrase (多措并举|做好)
    return cost


_NO_SOLUTION = float("inf")


def _line_ok(text: str, start: int, end: int) -> bool:
    """A line of a broken title: two characters at least, and not only Latin, digits or marks."""
    line = text[start:end]
    return sum(1 for ch in line if ch.isalnum()) >= 2 and HAN.search(line) is not None


def _shape(widths: list[float]) -> str:
    steps = [0 if abs(b - a) < 1.0 else (1 if b > a else -1) for a, b in zip(widths, widths[1:])]
    if not any(steps):
        return "rectangle"
    if all(s > 0 for s in steps):
        return "trapezoid"  # 正梯形: 上短下长
    if all(s < 0 for s in steps):
        return "inverted"  # 倒梯形: 上长下短
    if len(widths) == 3 and steps[0] > 0 and steps[1] < 0:
        return "diamond"  # 菱形
    return "irregular"


# extra cost of an outline (em²): the standard's shapes cost nothing, a reversed trapezoid a
# little, a rectangle or a ragged outline a lot (used only when nothing better can be had)
SHAPE_COST = {"trapezoid": 0.0, "diamond": 0.0, "inverted": 0.0, "irregular": 12.0, "rectangle": 30.0}
EXTRA_LINE_COST = 12.0


def _templates(total: float, lines: int, measure: float) -> list[list[float]]:
    """Target line lengths (em) for each outline worth trying."""
    mean = total / lines
    out = []
    for step in (2.0, 3.0, 4.0, 1.5):
        if lines == 2:
            out.append([mean - step / 2, mean + step / 2])
            out.append([mean + step / 2, mean - step / 2])
        elif lines == 3:
            out.append([mean - step / 2, mean + step, mean - step / 2])  # 菱形
            out.append([mean - step, mean, mean + step])  # 正梯形
        else:
            out.append([mean] * lines)
            break
    return [[min(t, measure) for t in targets] for targets in out]


def _best_breaks(text: str, atoms: list[_Atom], widths: list[float], measure: float,
                 targets: list[float]) -> tuple[float, list[int]] | None:
    """Cheapest atom boundaries for len(targets) lines (DP over boundaries, bounded look-back)."""
    n_atoms = len(atoms)
    cum = [0.0]
    for w in widths:
        cum.append(cum[-1] + w)
    # boundary k sits after atom k-1 (k = 0 … n_atoms); its text position and break cost
    pos = [0] + [a.end for a in atoms]
    penalty: list[float | None] = [0.0] + [
        _break_cost(text, atoms[k - 1], atoms[k]) if k < n_atoms else 0.0 for k in range(1, n_atoms + 1)]
    lines = len(targets)
    best = [[_NO_SOLUTION] * (n_atoms + 1) for _ in range(lines + 1)]
    back = [[-1] * (n_atoms + 1) for _ in range(lines + 1)]
    best[0][0] = 0.0
    for j in range(1, lines + 1):
        target = targets[j - 1]
        for k in range(1, n_atoms + 1):
            if penalty[k] is None or (j == lines) != (k == n_atoms):
                continue
            # look back while the line fits the measure
            p = k - 1
            while p >= 0:
                width = cum[pos[k]] - cum[pos[p]]
                if width > measure + 1e-6:
                    break
                if best[j - 1][p] < _NO_SOLUTION and _line_ok(text, pos[p], pos[k]):
                    cost = best[j - 1][p] + (width - target) ** 2 + penalty[k]
                    if cost < best[j][k]:
                        best[j][k], back[j][k] = cost, p
                p -= 1
    if best[lines][n_atoms] == _NO_SOLUTION:
        return None
    breaks, k = [], n_atoms
    for j in range(lines, 0, -1):
        breaks.append(pos[k])
        k = back[j][k]
    return best[lines][n_atoms], sorted(breaks)[:-1]


def _break_free(text: str, atoms: list[_Atom], widths: list[float], measure: float,
                target: float) -> list[int] | None:
    """Long texts (four lines or more): the same costs with one target for every line and no
    line index, so time stays linear however long the text is."""
    n_atoms = len(atoms)
    cum = [0.0]
    for w in widths:
        cum.append(cum[-1] + w)
    pos = [0] + [a.end for a in atoms]
    best = [_NO_SOLUTION] * (n_atoms + 1)
    back = [-1] * (n_atoms + 1)
    best[0] = 0.0
    for k in range(1, n_atoms + 1):
        penalty = _break_cost(text, atoms[k - 1], atoms[k]) if k < n_atoms else 0.0
        if penalty is None:
            continue
        p = k - 1
        while p >= 0:
            width = cum[pos[k]] - cum[pos[p]]
            if width > measure + 1e-6:
                break
            if best[p] < _NO_SOLUTION and _line_ok(text, pos[p], pos[k]):
                shortfall = 0.0 if k == n_atoms and width < target else (width - target) ** 2
                cost = best[p] + shortfall + penalty + EXTRA_LINE_COST
                if cost < best[k]:
                    best[k], back[k] = cost, p
            p -= 1
    if best[n_atoms] == _NO_SOLUTION:
        return None
    breaks, k = [], back[n_atoms]
    while k > 0:
        breaks.append(pos[k])
        k = back[k]
    return sorted(breaks)


def break_line(text: str, measure: float, lexicon: Lexicon = Lexicon(), metrics: Metrics = Metrics()) -> list[str]:
    """One title line (no manual breaks) → its lines. Text that fits, or that cannot be broken
    by these rules, comes back as one line (the browser then wraps it)."""
    widths = metrics.widths(text)
    total = sum(widths)
    if total <= measure or len(text) < 4:
        return [text]
    atoms = _atoms(text, lexicon, measure)
    least = max(2, int(-(-total // measure)))
    if least >= 4:
        breaks = _break_free(text, atoms, widths, measure, total / least)
        if breaks is None:
            return [text]
        return [text[i:j] for i, j in zip([0, *breaks], [*breaks, len(text)])]
    found: tuple[float, list[int]] | None = None
    for lines in (least, least + 1):
        for targets in _templates(total, lines, measure):
            result = _best_breaks(text, atoms, widths, measure, targets)
            if result is None:
                continue
            cost, breaks = result
            parts = [text[i:j] for i, j in zip([0, *breaks], [*breaks, len(text)])]
            cost += SHAPE_COST[_shape([sum(metrics.widths(p)) for p in parts])]
            cost += EXTRA_LINE_COST * (lines - least)
            if found is None or cost < found[0] - 1e-9:
                found = (cost, breaks)
    if found is None:
        return [text]
    breaks = found[1]
    return [text[i:j] for i, j in zip([0, *breaks], [*breaks, len(text)])]


@lru_cache(maxsize=1024)
def break_title(text: str, measure: float, lexicon: Lexicon = Lexicon(), metrics: Metrics = Metrics()) -> str:
    """A title with its line breaks as newlines. Manual breaks (“|” in issue.md, newlines here)
    are kept; a part that is still too long is broken again by the same rules. Kept per process
    (a pure function of its arguments): the checks and the composition break the same titles,
    and a warm process (daemon, editor) breaks them again for every build."""
    if measure <= 2:
        return text
    return "\n".join(line for part in text.split("\n") for line in break_line(part, measure, lexicon, metrics))


def shape_of(lines: list[str], metrics: Metrics = Metrics()) -> str:
    """'trapezoid' (正梯形), 'diamond' (菱形), 'inverted' (倒梯形), 'rectangle' or 'irregular'."""
    return _shape([sum(metrics.widths(line)) for line in lines])


def word_splits(lines: list[str]) -> list[str]:
    """Breaks between two Han characters of one word of the segmenter, as “前|后” (for checks)."""
    joined = "".join(lines)
    bounds, pos = set(), 0
    for word, _tag in segment(joined):
        pos += len(word)
        bounds.add(pos)
    out, at = [], 0
    for line in lines[:-1]:
        at += len(line)
        if at not in bounds and HAN.match(joined[at - 1]) and HAN.match(joined[at]):
            out.append(f"{joined[max(0, at - 2):at]}|{joined[at:at + 2]}")
    return out


def lexicon_for(bulletin) -> Lexicon:
    """The names a bulletin's titles keep whole: the publisher, the series' name and masthead title,
    every body of its recipient registry and 报送 lines, and the series' word list."""
    series = bulletin.series
    bodies = [r.name for r in bulletin.registry.recipients] if bulletin.registry else []
    bodies += [name for line in bulletin.distribution for name in line.recipients]
    return Lexicon.of([series.publisher, series.name, series.masthead.title], series.words, bodies)
