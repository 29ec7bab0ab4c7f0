"""Heading levels inside an article (文中结构层次, GB/T 9704-2012 §7.3.3).

`###` … `######` in issue.md are the four levels: 第一层 “一、” in 黑体, 第二层 “（一）” in 楷体,
第三层 “1.” and 第四层 “（1）” in 仿宋 (the faces are the layout's business: class level-1 … level-4).

With the layout option `heading_numbers: on` each article numbers its headings itself: a level
counts up from one and starts again under each heading of a higher level. A heading that already
carries a number of its level keeps it (and the count goes on from there). Whatever the option,
`check` warns about a number that belongs to another level (“### （一）…”).
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import Problem
from ..model import Article, Heading, Span

CN_DIGITS = "零一二三四五六七八九"
_CN = "[一二三四五六七八九十百]+"
# the number each level is written with, and how to find one at the start of a heading
PATTERNS = {
    1: re.compile(f"^({_CN})、"),
    2: re.compile(f"^[（(]({_CN})[）)]"),
    3: re.compile(r"^([0-9]+)[.．](?![0-9])"),
    4: re.compile(r"^[（(]([0-9]+)[）)]"),
}
LEVEL_NAMES = {1: "一、", 2: "（一）", 3: "1.", 4: "（1）"}


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 99 → 九十九, 100 → 一百."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def from_chinese(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20; None for what is not a number up to 99."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return CN_DIGITS.index(text) if len(text) == 1 and text in CN_DIGITS else None
    tens, _, units = text.partition("十")
    t = CN_DIGITS.index(tens) if tens in CN_DIGITS and tens else (1 if not tens else None)
    u = CN_DIGITS.index(units) if units in CN_DIGITS and units else (0 if not units else None)
    return None if t is None or u is None else t * 10 + u


def label(level: int, n: int) -> str:
    """The number of the n-th heading of a level: 一、 / （一） / 1. / （1）."""
    return {1: f"{chinese_number(n)}、", 2: f"（{chinese_number(n)}）", 3: f"{n}.", 4: f"（{n}）"}[level]


def own_number(heading: Heading) -> tuple[int, int] | None:
    """(level, value) of a number the heading's text starts with, if any."""
    text = "".join(s.text for s in heading.content).lstrip()
    for level, pattern in PATTERNS.items():
        m = pattern.match(text)
        if m:
            value = from_chinese(m.group(1))
            if value is not None:
                return level, value
    return None


def depth(heading: Heading) -> int:
    """1 for ###, 2 for ####, 3 for #####, 4 for ######."""
    return heading.level - 2


def numbered(article: Article) -> Article:
    """The article with its headings numbered (heading_numbers: on)."""
    counters = [0, 0, 0, 0, 0]
    body = []
    for block in article.body:
        if isinstance(block, Heading):
            d = depth(block)
            mine = own_number(block)
            if mine and mine[0] == d:
                counters[d] = mine[1]
            else:
                counters[d] += 1
                first = block.content[0]
                spans = [Span(text=label(d, counters[d]), strong=first.strong, emphasis=first.emphasis), *block.content]
                block = block.model_copy(update={"content": spans})
            for deeper in range(d + 1, 5):
                counters[deeper] = 0
        body.append(block)
    return article.model_copy(update={"body": body})


def number_headings(issue):
    """Every article of the issue with numbered headings."""
    return issue.model_copy(update={
        "lead": [numbered(a) for a in issue.lead],
        "sections": [s.model_copy(update={"articles": [numbered(a) for a in s.articles]}) for s in issue.sections],
    })


def check(loaded) -> list[Problem]:
    """Warnings for a heading whose own number belongs to another level."""
    from ..source.load import article_paths

    file = loaded.folder / "issue.md"
    problems = []
    for path, article in article_paths(loaded.bulletin.issue):
        for i, block in enumerate(article.body):
            if not isinstance(block, Heading):
                continue
            mine = own_number(block)
            if mine and mine[0] != depth(block):
                where, line = loaded.sources.locate(path + ("body", i), (file, None))
                marks = "#" * (mine[0] + 2)
                problems.append(Problem(
                    Path(where), line,
                    f"小标题以“{LEVEL_NAMES[mine[0]]}”式序号开头，是第{chinese_number(mine[0])}层，却写成了 {'#' * block.level}",
                    f"the heading is numbered like level {mine[0]} ({LEVEL_NAMES[mine[0]]}) but written with "
                    f"{'#' * block.level}",
                    f"改为 {marks} 开头（### 一、  #### （一）  ##### 1.  ###### （1））",
                    f"start the line with {marks}", severity="warning"))
    return problems
