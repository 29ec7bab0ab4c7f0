"""Text helpers shared by the stages: reading source files, character classes."""
from __future__ import annotations

import os
import re
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
