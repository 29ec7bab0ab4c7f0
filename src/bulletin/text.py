"""Text helpers shared by the stages: reading source files, character classes."""
from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from pathlib import Path

from .errors import BulletinError, Problem

# Han ideographs, CJK symbols and punctuation, full-width forms, kana: characters between which
# Chinese text has no spaces.
CJK_CHAR = re.compile(
    "[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f\u201c\u201d\u2018\u2019\u2014\u2026\u00b7]"
)


def is_cjk(ch: str) -> bool:
    return bool(ch) and CJK_CHAR.match(ch) is not None


def join_lines(left: str, right: str) -> str:
    """Join two source lines of one paragraph: no space between CJK text, one space between Latin words."""
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    if is_cjk(left[-1]) or is_cjk(right[0]):
        return left + right
    return f"{left} {right}"


def read_source(path: Path, limit: int | None = None) -> str:
    """Read an editor's text file: UTF-8 (with or without BOM), any line endings, at most `limit`
    bytes (default: the limit of issue.md) — the size is checked before the file is read."""
    from .errors import os_problem
    from .limits import MAX_ISSUE_BYTES

    limit = MAX_ISSUE_BYTES if limit is None else limit
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise BulletinError(too_large(path, size, limit))
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise BulletinError(Problem(path, None, "找不到文件", "file not found")) from None
    except OSError as exc:
        raise BulletinError(os_problem(exc, path, ("读取", "read"))) from None
    if len(data) > limit:  # a file that grew while being read, or a device
        raise BulletinError(too_large(path, len(data), limit))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        encoding_guess = ""
        try:
            data.decode("gb18030")
            encoding_guess = "（看起来是 GBK/GB18030 编码）"
        except UnicodeDecodeError:
            pass
        raise BulletinError(
            Problem(
                path, line,
                f"文件不是 UTF-8 编码{encoding_guess}",
                "file is not UTF-8 encoded",
                "请用编辑器“另存为”UTF-8 编码后重试（记事本：另存为 → 编码选 UTF-8）",
                "save the file as UTF-8 and try again",
            )
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def too_large(path: Path | None, size: int, limit: int, line: int | None = None) -> Problem:
    """A file over its size limit, said the same way for every kind of file."""
    return Problem(path, line, f"文件太大（{_size(size)}），上限是 {_size(limit)}",
                   f"the file is too large ({_size(size)}; the limit is {_size(limit)})",
                   "一期简报用不了这么多文字：检查是否粘贴了多余的内容，或把内容分到几期",
                   "a bulletin needs far less: check for pasted material, or split it over several issues")


def _size(n: int) -> str:
    return f"{n / 10**6:.1f} MB" if n >= 10**6 else f"{n / 1000:.0f} KB" if n >= 1000 else f"{n} B"


# 禁则 (clreq §3.1.7): characters that must not begin a line, and that must not end one.
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’%‰·．,.;:?!)]}…—")
NO_LINE_END = set("（《「『【〔〈“‘([{")
_BREAK_AFTER = set("、，：；”）》")  # a phrase ends here: a good place for a heading to break
_BREAK_BEFORE = set("“《（")


def _advance(ch: str) -> float:
    """Approximate advance in em: CJK and full-width characters 1, the rest (Latin, digits) ~0.55."""
    return 1.0 if is_cjk(ch) else 0.55


def balance_lines(text: str, measure_em: float) -> str:
    """Break a heading that does not fit on one line into lines of similar length.

    Breaks respect 禁则, never fall inside a Latin word or number, and prefer the position after
    a comma or enumeration mark; the result never leaves a single character alone on a line.
    Text that fits, or already has manual breaks (newlines), is returned as it is.
    """
    if "\n" in text or measure_em <= 1:
        return text
    widths = [_advance(c) for c in text]
    total = sum(widths)
    if total <= measure_em:
        return text
    lines = int(-(-total // measure_em))  # ceil
    cum = [0.0]
    for w in widths:
        cum.append(cum[-1] + w)

    def allowed(i: int) -> bool:  # break between text[i-1] and text[i]
        a, b = text[i - 1], text[i]
        if b in NO_LINE_START or a in NO_LINE_END:
            return False
        if a.isascii() and b.isascii() and (a.isalnum() or a in "+-./:%") and (b.isalnum() or b in "+-./:%"):
            return False
        return 2 <= i <= len(text) - 2  # no single character alone on a line

    # Dynamic programme over break positions: minimise the squared deviation of each line from
    # an equal share, with a bonus for breaking at a phrase end that is worth about a 20 %
    # deviation of two lines (“强化新建住宅区、|商务楼宇通信配套设施建设” beats an even split).
    ideal = total / lines
    after_bonus, before_bonus = 0.09 * ideal**2, 0.07 * ideal**2
    n = len(text)
    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(lines + 1)]
    back = [[0] * (n + 1) for _ in range(lines + 1)]
    best[0][0] = 0.0
    # Only feasible states: after k lines, the text so far fits k lines and the rest fits the
    # remaining ones; a line is at most measure_em wide. This bounds the work by
    # lines × (characters per line)², linear in the length (titles are limited anyway).
    slack = 1e-9
    for k in range(1, lines + 1):
        first = max(2 * k, bisect_left(cum, total - (lines - k) * measure_em - slack))
        last = min(n, bisect_right(cum, k * measure_em + slack) - 1)
        for i in range(first, last + 1):
            if i < n and not allowed(i):
                continue
            bonus = (0.0 if i == n else after_bonus if text[i - 1] in _BREAK_AFTER
                     else before_bonus if text[i] in _BREAK_BEFORE else 0.0)
            for j in range(max(2 * (k - 1), bisect_left(cum, cum[i] - measure_em - slack)), i - 1):
                width = cum[i] - cum[j]
                if best[k - 1][j] == inf or width > measure_em:
                    continue
                cost = best[k - 1][j] + (width - ideal) ** 2 - bonus
                if cost < best[k][i]:
                    best[k][i], back[k][i] = cost, j
    if best[lines][n] == inf:
        return text  # cannot do better than the browser's own wrapping
    breaks = []
    i = n
    for k in range(lines, 1, -1):
        i = back[k][i]
        breaks.insert(0, i)
    parts = [text[i:j] for i, j in zip([0, *breaks], [*breaks, len(text)])]
    return "\n".join(parts)
