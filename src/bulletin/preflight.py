"""Preflight stage: checks beyond the schema before anything is typeset.

Glyph coverage: every character must be drawable by the font chain of the kind of text it is in
(layout.yaml `fonts:`); a missing one is an error naming the character, its code point, the
article and the line. A character that only a later font of the chain has is a warning: it prints
in another typeface mid-text (e.g. a rare name in 宋体 inside 仿宋 body text).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import Problem
from .fonts import coverage
from .layout import Layout
from .load import Loaded, Path_, article_paths, sibling_issues
from .model import Article, Bulletin, Figure, Heading, ListBlock, Paragraph, Span, Table


def _spans(spans: list[Span], kind: str, path: Path_) -> Iterator[tuple[Path_, str, str]]:
    for span in spans:
        yield path, ("heading" if span.strong else "kai" if span.emphasis else kind), span.text


def _article(article: Article, path: Path_) -> Iterator[tuple[Path_, str, str]]:
    if article.kicker:
        yield path + ("kicker",), "body", article.kicker
    yield path + ("title",), "title", article.title
    if article.subtitle:
        yield path + ("subtitle",), "kai", article.subtitle
    for i, block in enumerate(article.body):
        where = path + ("body", i)
        if isinstance(block, Paragraph):
            yield from _spans(block.content, "body", where)
        elif isinstance(block, Heading):
            yield from _spans(block.content, "heading", where)
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from _spans(item, "body", where)
        elif isinstance(block, Figure):
            yield where, "kai", block.caption
        elif isinstance(block, Table):
            for cell in block.header:
                yield from _spans(cell, "heading", where)
            for row in block.rows:
                for cell in row:
                    yield from _spans(cell, "body", where)
    if article.byline:
        yield path + ("byline",), "body", f"（{article.byline}）"


def texts(bulletin: Bulletin) -> Iterator[tuple[Path_, str, str]]:
    """Every printed text of the issue: (data path, kind of text, text)."""
    series, issue = bulletin.series, bulletin.issue
    yield ("masthead",), "masthead", series.masthead.title or series.name
    yield ("masthead",), "body", f"{series.publisher}第{issue.number}期（总第期）年月日0123456789"
    if series.masthead.notice:
        yield ("masthead",), "heading", series.masthead.notice
    if issue.editor_note:
        yield ("editor_note",), "kai", issue.editor_note
    for i, article in enumerate(issue.lead):
        yield from _article(article, ("lead", i))
    for s, section in enumerate(issue.sections):
        yield ("sections", s), "heading", f"【{section.name}】"
        for a, article in enumerate(section.articles):
            yield from _article(article, ("sections", s, "articles", a))
    for i, line in enumerate(bulletin.distribution):
        yield ("distribution", i), "body", f"{line.label}：" + "、".join(line.recipients)
    yield ("print_run",), "body", "（共印份）"


def _column_of(text: str, line: int | None, ch: str) -> int | None:
    """Where `ch` first stands on that line of issue.md (1-based), if it does."""
    lines = text.split("\n")
    if line is None or not 0 < line <= len(lines):
        return None
    at = lines[line - 1].find(ch)
    return at + 1 if at >= 0 else None


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"“{ch}”（U+{ord(ch):04X}{' ' + name if name else ''}）"


def check_glyphs(loaded: Loaded, layout: Layout) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    issue_md = loaded.folder / "issue.md"
    default = (issue_md, None)
    owners = dict(article_paths(loaded.bulletin.issue))  # data path → article, for “文章《…》中”
    for path, kind, text in texts(loaded.bulletin):
        chain = layout.text_fonts.get(kind) or layout.text_fonts.get("body", ())
        for ch in text:
            if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") or (kind, ch) in seen:
                continue
            seen.add((kind, ch))
            has = [role for role in chain if ord(ch) in coverage(role)]
            file, line = loaded.sources.locate(path, default)
            file = Path(file)
            owner = owners.get(path[:2]) or owners.get(path[:4])
            title = owner.title.replace("\n", "") if owner else ""
            where_zh, where_en = (f"文章《{title}》中：", f"in '{title}': ") if owner else ("", "")
            if not has:
                problems.append(Problem(
                    file, line,
                    f"{where_zh}字符 {_describe(ch)} 没有字体能印出来（会印成方框）",
                    f"{where_en}no font of the layout has {_describe(ch)}: it would print as a box",
                    "换用常用字或同义写法；生僻字可请排版人员补充字体",
                    "replace it with a common character or spelling",
                    column=_column_of(loaded.text, line, ch) if file == issue_md else None,
                ))
            elif has[0] != chain[0]:
                problems.append(Problem(
                    file, line,
                    f"字符 {_describe(ch)} 在主字体中没有，将用后备字体印出，字形会略有不同",
                    f"{_describe(ch)} is not in the main font; it prints in the fallback font ({has[0]})",
                    severity="warning",
                ))
    return problems


def preflight(loaded: Loaded, layout: Layout) -> list[Problem]:
    return check_glyphs(loaded, layout)


def check_semantics(loaded: Loaded) -> list[Problem]:
    """Checks that need the whole issue (and its neighbours in the series)."""
    problems: list[Problem] = []
    bulletin = loaded.bulletin
    issue = bulletin.issue
    file = loaded.folder / "issue.md"
    seen: dict[str, Path_] = {}
    for path, article in article_paths(issue):
        title = article.title.replace("\n", "")
        if title in seen:
            first = loaded.sources.locate(seen[title], (file, None))[1]
            f, line = loaded.sources.locate(path, (file, None))
            problems.append(Problem(Path(f), line, f"文章标题重复：《{title}》（第 {first} 行已有）",
                                    f"duplicate article title '{title}' (also on line {first})",
                                    "同一期里每篇文章的标题应不同；是否重复粘贴了同一篇？",
                                    "each article of an issue needs its own title; pasted twice?"))
        seen.setdefault(title, path)
    if issue.distribution is not None and not issue.distribution:
        f, line = loaded.sources.locate(("distribution",), (file, None))
        problems.append(Problem(Path(f), line, "报送为空", "the distribution is empty",
                                "写出报、送单位，或删去 distribution 一项以沿用刊物设置",
                                "list the recipients, or remove distribution to use the series' lines"))
    elif not bulletin.distribution:
        problems.append(Problem(file, None, "本期没有报送单位（版记中不印报、送）", "no distribution lines: no 报/送 block",
                                "在本期或 series.yaml 中写 distribution", "add distribution to the issue or the series",
                                severity="warning"))
    problems.extend(_check_numbering(loaded))
    problems.extend(_check_placeholders(loaded))
    return problems


def _check_placeholders(loaded: Loaded) -> list[Problem]:
    """The example article of `bulletin new`'s template, still there: it would be printed."""
    from .new import PLACEHOLDER_SECTION, PLACEHOLDER_TITLE

    issue = loaded.bulletin.issue
    file = loaded.folder / "issue.md"
    problems = []
    hint = "换成本期的内容，或删去这一部分"
    hint_en = "replace it with this issue's content, or delete it"
    for s, section in enumerate(issue.sections):
        if section.name == PLACEHOLDER_SECTION:
            f, line = loaded.sources.locate(("sections", s), (file, None))
            problems.append(Problem(Path(f), line, f"模板里的示例栏目“{section.name}”还没有替换，会印出来",
                                    f"the template's example section '{section.name}' would be printed", hint, hint_en))
    for path, article in article_paths(issue):
        if article.title == PLACEHOLDER_TITLE:
            f, line = loaded.sources.locate(path, (file, None))
            problems.append(Problem(Path(f), line, f"模板里的示例文章《{article.title}》还没有替换，会印出来",
                                    f"the template's example article '{article.title}' would be printed", hint, hint_en))
    return problems


def _check_numbering(loaded: Loaded) -> list[Problem]:
    """期号 against the other issues of the series in the same year: no duplicates, no gaps."""
    issue = loaded.bulletin.issue
    file = loaded.folder / "issue.md"
    here = loaded.folder.resolve()
    line = loaded.sources.locate(("number",), (file, None))[1]
    others = [s for s in sibling_issues(here.parent) if s.folder.resolve() != here and s.date.year == issue.year]
    problems = [
        Problem(file, line, f"期号与 {s.folder.name} 重复：都是 {issue.year} 年第 {s.number} 期",
                f"issue number {s.number} is also used by {s.folder.name}", "改正期号", "correct the number")
        for s in others if s.number == issue.number
    ]
    earlier = [s for s in others if s.date < issue.date]
    if earlier and not problems:
        previous = earlier[-1]
        if previous.number + 1 != issue.number:
            problems.append(Problem(
                file, line, f"期号不连续：上一期 {previous.folder.name} 是第 {previous.number} 期，本期是第 {issue.number} 期",
                f"issue number does not follow {previous.folder.name} (number {previous.number})",
                f"本期应为第 {previous.number + 1} 期？", f"should this be number {previous.number + 1}?",
                severity="warning"))
    return problems
