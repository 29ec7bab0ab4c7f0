"""Typographic lint: what an experienced Chinese editor would mark in an issue's source.

Works on the source lines of issue.md (so every finding has its exact line and column) and returns
warnings; notices (severity "info") are shown but never fail a check. Each rule says what to type
instead. Rules that can be applied mechanically also carry a replacement (see `fix`).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..text import NO_LINE_END

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "，。、；：？！“”‘’（）《》【】…—"
CN = f"[{HAN}{CJK_PUNCT}]"  # Chinese context


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern
    message: str  # 中文, with {found}
    message_en: str
    hint: str
    replace: object = None  # str template or callable(match) → str; None: not fixable


_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_FULLWIDTH_ALNUM = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"

def _straight_quotes(name: str, label: str, mark: str, left: str, right: str) -> Rule:
    """Straight quotes around text with Han characters → curly quotes (not an English apostrophe)."""
    q = re.escape(mark)
    return Rule(name, re.compile(f"(?<![A-Za-z]){q}(?=[^{q}\\n]*[{HAN}])([^{q}\\n]*){q}(?![A-Za-z])"),
                f"中文里用了{label} {mark}", f"straight quotes {mark} in Chinese text", f"改为弯引号{left}{right}",
                lambda m: f"{left}{m.group(1)}{right}")


RULES = [
    Rule("half-width-punctuation",
         re.compile(f"(?<={CN})[,;:?!](?!//)|[,;:?!](?={CN})"),
         "中文里用了半角标点“{found}”", "half-width punctuation '{found}' in Chinese text",
         "改为全角：，；：？！", lambda m: _HALF_TO_FULL[m.group()]),
    Rule("half-width-period",
         re.compile(f"(?<=[{HAN}])\\.(?![0-9A-Za-z.])"),
         "中文句末用了半角句点“.”", "half-width full stop after Chinese text", "改为“。”", "。"),
    Rule("half-width-parentheses",
         re.compile(f"\\(([^()\\n]*[{HAN}][^()\\n]*)\\)"),
         "中文括注用了半角括号", "half-width parentheses around Chinese text", "改为全角括号（）",
         lambda m: f"（{m.group(1)}）"),
    *(_straight_quotes(name, label, mark, left, right) for name, label, mark, left, right in (
        ("straight-quotes", "直引号", '"', "“", "”"), ("straight-single-quotes", "直单引号", "'", "‘", "’"))),
    Rule("ellipsis",
         re.compile(r"\.{3,}|。{2,}|…(?!…)(?<!…)"),
         "省略号写法不规范：“{found}”", "non-standard ellipsis '{found}'", "省略号是两个“…”：……", "……"),
    Rule("dash",
         re.compile(r"(?<!-)--(?!-)|—(?!—)(?<!—)"),
         "破折号写法不规范：“{found}”", "non-standard dash '{found}'", "破折号是两个“—”：——", "——"),
    Rule("space-between-han",
         re.compile(f"(?<=[{HAN}]) +(?=[{HAN}])"),
         "汉字之间有半角空格", "a space between Chinese characters",
         "删去空格；确需分隔（如口号两半）用全角空格“　”", "　"),
    Rule("fullwidth-alnum",
         re.compile(f"[{_FULLWIDTH_ALNUM}]+"),
         "数字或字母用了全角：“{found}”", "full-width digits or letters '{found}'", "改为半角",
         lambda m: m.group().translate({ord(c): ord(c) - 0xFEE0 for c in _FULLWIDTH_ALNUM})),
]

_PAIRS = [("“", "”"), ("‘", "’"), ("（", "）"), ("《", "》"), ("【", "】")]
_SKIP_LINE = re.compile(r"^\s*(\|[\s:|-]*$|```|-+\s*$|=+\s*$)")  # table rules, code fences, heading underlines
MAX_LISTED = 300  # typography findings listed for one file
MASK = "\0"  # stands in for a protected character: no rule matches it or next to it

# Text no rule may look at or rewrite: it is not printed (comments, link targets) or not prose
# (code, addresses). Comments and fenced code are found by a scan (they may span lines); the rest
# by patterns whose repetitions are bounded, so that no input makes them go back over long text.
_PROTECTED = re.compile(
    r"(?<!`)(`{1,8})(?!`)[^\n]{0,1000}?(?<!`)\1(?!`)"        # inline code
    r"|\]\([^)\n]{0,300}\)"                                    # link and image targets: ](images/a--b.png)
    r"|<[A-Za-z][A-Za-z0-9+.-]{0,30}:[^>\s]{0,300}>"             # autolinks <https://…>
    r"|(?:https?|ftp)://[^\s，。、；：？！“”‘’（）《》【】<>]+"      # bare URLs
    r"|www\.[A-Za-z0-9-]+\.[^\s，。、；：？！“”‘’（）《》【】<>]+"
    r"|(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}")  # e-mail addresses
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")


def _mask(text: str, start: int, end: int, chars: list[str]) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = MASK


# Markup that looks like a heading but is printed as text.
_FULLWIDTH_HASH = re.compile(r"^[ \t]*＃+[ \t　]*\S")
_HASH_WITHOUT_SPACE = re.compile(r"^[ \t]{0,3}#{1,6}(?=[^#\s])")


@dataclass(frozen=True)
class Finding:
    problem: Problem
    line: int  # 1-based line in the file
    start: int  # 0-based column range of the text to replace
    end: int
    replacement: str | None


def _body_start(lines: list[str]) -> int:
    """Index of the first line after the front matter."""
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return i + 1
    return 0


def masked(text: str) -> str:
    """The text with every protected character (comments, fenced code, _PROTECTED) replaced by
    MASK, line breaks kept: positions and line numbers stay those of the file. Linear in the text."""
    from ..source.load import comment_spans

    chars = list(text)
    for start, end in comment_spans(text):
        _mask(text, start, end, chars)
    offset, fence = 0, None
    for line in text.split("\n"):  # fenced code: from a ``` line to the next
        m = _FENCE.match(line)
        if fence is not None or m:
            _mask(text, offset, offset + len(line), chars)
        if m:
            fence = None if fence == m.group(1) else (fence or m.group(1))
        offset += len(line) + 1
    for m in _PROTECTED.finditer(text):
        _mask(text, m.start(), m.end(), chars)
    return "".join(chars)


def _body_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line with protected text masked) of the Markdown body, after the front matter."""
    lines = text.split("\n")
    start = _body_start(lines)
    body = masked("\n".join(lines[start:])).split("\n")
    for i, line in enumerate(body):
        yield start + i + 1, line


def findings(text: str, file: Path) -> list[Finding]:
    out: list[Finding] = []
    from ..source.load import BYLINE, TRAILING_BYLINE

    for number, line in _body_lines(text):
        if _SKIP_LINE.match(line) or not line.replace(MASK, "").strip():
            continue
        if _FULLWIDTH_HASH.match(line):
            out.append(Finding(Problem(
                file, number, "行首的“＃”是全角字符，这一行不会成为栏目或标题，“＃”会原样印出",
                "a full-width ＃ at the line start: not a heading, it prints as typed",
                "栏目写“# 栏目名”，文章标题写“## 标题”（半角 #，后面空一格）",
                "write '# section' or '## title' with an ASCII # and a space", column=line.index("＃") + 1,
                severity="warning"), number, 0, 0, None))
        elif _HASH_WITHOUT_SPACE.match(line):
            out.append(Finding(Problem(
                file, number, "“#”后面没有空格，这一行不会成为栏目或标题，“#”会原样印出",
                "no space after #: not a heading, the # prints as typed",
                "在 # 后面空一格：“# 栏目名”“## 标题”；话题标签 #…# 可以不改",
                "put a space after the #; a #hashtag# may stay", column=line.index("#") + 1,
                severity="warning"), number, 0, 0, None))
        byline = BYLINE.match(line.strip()) or TRAILING_BYLINE.search(line.rstrip())
        byline_from = len(line) - len(line.lstrip()) if BYLINE.match(line.strip()) else (byline.start() if byline else None)
        for rule in RULES:
            for m in rule.pattern.finditer(line):
                if rule.name == "ellipsis" and m.group() == "……":
                    continue
                if MASK in m.group():
                    continue  # would rewrite protected text
                if byline_from is not None and m.start() >= byline_from and rule.name == "half-width-parentheses":
                    continue  # a （署名） in half-width parentheses is normalised by the loader
                replacement = None
                if rule.replace is not None:
                    replacement = rule.replace(m) if callable(rule.replace) else rule.replace
                out.append(Finding(
                    Problem(file, number, rule.message.format(found=m.group()), rule.message_en.format(found=m.group()),
                            rule.hint, f"fix: {rule.name}", column=m.start() + 1, severity="warning"),
                    number, m.start(), m.end(), replacement))
        for left, right in _PAIRS:
            opened, closed = line.count(left), line.count(right)
            if opened != closed:
                out.append(Finding(
                    Problem(file, number, f"“{left}{right}”不成对（{opened} 个“{left}”，{closed} 个“{right}”）",
                            f"unbalanced {left}{right}: {opened} vs {closed}",
                            "检查是否漏打或多打", "check for a missing or extra mark", severity="warning"),
                    number, 0, 0, None))
    return out


def lint(loaded, layout, option_css: dict[str, str]) -> list[Problem]:
    """Warnings (and notices) for an issue, with file, line and column."""
    from ..source.load import article_paths

    file = loaded.folder / "issue.md"
    problems = [f.problem for f in findings(loaded.text, file)]
    if len(problems) > MAX_LISTED:  # a pasted file with thousands of half-width commas: the first ones say it
        problems = problems[:MAX_LISTED] + [Problem(
            file, None, f"还有 {len(problems) - MAX_LISTED} 处排版问题没有列出", f"{len(problems) - MAX_LISTED} more "
            "typography findings not listed", "先改正上面这些，或用 bulletin check --fix 自动改正",
            "fix these first, or run bulletin check --fix", severity="info")]
    issue = loaded.bulletin.issue
    from ..compose import HeadMeasures
    from ..compose.titles import break_title, lexicon_for

    measures = HeadMeasures.of(layout, option_css)
    lexicon = lexicon_for(loaded.bulletin) if measures else None
    for path, article in article_paths(issue):
        file_, line = loaded.sources.locate(path, (file, None))
        if not article.byline:
            problems.append(Problem(
                Path(file_), line, f"文章《{article.title}》没有署名", f"article '{article.title}' has no attribution",
                "如有作者或来源，在文末另起一行写（作者）", "add （author） on a line after the last paragraph",
                severity="info"))
        if measures and "\n" not in article.title and \
                break_title(article.title, measures.title[0], lexicon, measures.title[1]).count("\n") >= 2:
            problems.append(Problem(
                Path(file_), line, f"标题《{article.title}》太长，要排三行以上", f"title '{article.title}' needs three lines or more",
                "精简标题，或用 | 指定断行并考虑加副题", "shorten it, or move part into a subtitle", severity="warning"))
    return problems


def fix(text: str, file: Path) -> tuple[str, int]:
    """Apply every mechanical replacement; returns the new text and how many were made."""
    lines = text.split("\n")
    count = 0
    by_line: dict[int, list[Finding]] = {}
    for f in findings(text, file):
        if f.replacement is not None:
            by_line.setdefault(f.line, []).append(f)
    for number, items in by_line.items():  # one pass per line: linear in its length
        line = lines[number - 1]
        parts: list[str] = []
        at = 0
        for f in sorted(items, key=lambda f: (f.start, -(f.end - f.start))):
            if f.start < at:
                continue  # overlapping findings: the first (longest) wins; run again for the rest
            parts += [line[at:f.start], f.replacement]
            at = f.end
            count += 1
        lines[number - 1] = "".join(parts) + line[at:]
    return "\n".join(lines), count


def fix_text(raw: bytes, file: Path) -> tuple[bytes, int, str, str, str]:
    """The fixed file: (bytes to write, replacements, unified diff, text before, text after).
    Keeps a byte-order mark and CRLF line endings if the file had them."""
    import difflib

    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    fixed, count = fix(text, file)
    diff = "".join(difflib.unified_diff(text.splitlines(True), fixed.splitlines(True),
                                        f"{file} (before)", f"{file} (fixed)"))
    out = fixed.replace("\n", "\r\n") if crlf else fixed
    return (b"\xef\xbb\xbf" if bom else b"") + out.encode("utf-8"), count, diff, text, fixed


__all__ = ["lint", "fix", "fix_text", "findings", "masked", "RULES", "NO_LINE_END"]
