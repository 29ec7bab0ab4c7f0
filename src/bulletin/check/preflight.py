"""Preflight stage: checks beyond the schema before anything is typeset.

Glyph coverage: every character must be drawable by the font chain of the kind of text it is in
(layout.yaml `fonts:`, with the series' own fonts in front of their roles); a missing one is an
error naming the character, its code point, the article and the line. A character that a face of
another typeface than the chain's first draws (a rare name in 宋体 inside 仿宋 body text, an
Extension B character in HanaMinB) is a warning naming the characters, their code points and the
face; the extension faces of the same typeface (Noto Serif Bold beyond GBK for titles) are not.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

from ..errors import Problem
from ..style.fonts import FontSet, drawn, fontset_for
from ..style.layout import Layout
from ..source.body import article_paths
from ..source.load import Loaded
from ..source.siblings import sibling_issues
from ..source.sourcemap import Path_
from ..model import Article, Bulletin, Figure, FigureRow, Heading, ListBlock, Paragraph, Span, Table


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
        elif isinstance(block, Heading):  # 黑体, 楷体, then 仿宋 (headings.py)
            yield from _spans(block.content, {3: "heading", 4: "kai"}.get(block.level, "body"), where)
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from _spans(item, "body", where)
        elif isinstance(block, Figure):
            yield where, "kai", block.caption
        elif isinstance(block, FigureRow):
            for figure in block.figures:
                yield where, "kai", figure.caption
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
    colophon = bulletin.colophon
    for name, label in (("issuer", "印发"), ("editor", "编辑："), ("reviewer", "审核："), ("approver", "签发：")):
        value = getattr(colophon, name)
        if value:
            yield ("colophon", name), "body", f"{label}{value}年月日0123456789"


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


def issue_fontset(loaded: Loaded) -> FontSet:
    return fontset_for(loaded.bulletin.series, loaded.folder.resolve().parent)


def faces_needed(loaded: Loaded, layout: Layout, fontset: FontSet | None = None) -> frozenset[str]:
    """Roles of the extension faces the issue's characters need (see fonts.FontSet.needed)."""
    fontset = fontset or issue_fontset(loaded)
    return fontset.needed(layout.text_fonts, ((kind, text) for _, kind, text in texts(loaded.bulletin)))


def check_glyphs(loaded: Loaded, layout: Layout, fontset: FontSet | None = None) -> list[Problem]:
    fontset = fontset or issue_fontset(loaded)
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    issue_md = loaded.folder / "issue.md"
    default = (issue_md, None)
    owners = dict(article_paths(loaded.bulletin.issue))  # data path → article, for “文章《…》中”
    chains = {}
    # fallbacks, grouped per place and face: (file, line, face) → characters, in order met
    fallbacks: dict[tuple[Path, int | None, object], list[str]] = {}
    for path, kind, text in texts(loaded.bulletin):
        if kind not in chains:
            chains[kind] = fontset.chain(layout.text_fonts.get(kind) or layout.text_fonts.get("body", ()))
        chain = chains[kind]
        for ch in text:
            if (kind, ch) in seen or not drawn(ch):
                continue
            seen.add((kind, ch))
            face = fontset.face_for(chain, ch)
            if face is chain[0] or (face is not None and face.typeface == chain[0].typeface):
                continue
            file, line = loaded.sources.locate(path, default)
            file = Path(file)
            if face is None:
                owner = owners.get(path[:2]) or owners.get(path[:4])
                title = owner.title.replace("\n", "") if owner else ""
                where_zh, where_en = (f"文章《{title}》中：", f"in '{title}': ") if owner else ("", "")
                problems.append(Problem(
                    file, line,
                    f"{where_zh}字符 {_describe(ch)} 没有字体能印出来（会印成方框）",
                    f"{where_en}no font of the layout has {_describe(ch)}: it would print as a box",
                    "换用常用字或同义写法；生僻字可请排版人员补充字体",
                    "replace it with a common character or spelling",
                    column=_column_of(loaded.text, line, ch) if file == issue_md else None,
                ))
            else:
                fallbacks.setdefault((file, line, face, chain[0]), []).append(ch)
    for (file, line, face, first), chars in fallbacks.items():
        shown = "、".join(_describe(ch) for ch in chars)
        problems.append(Problem(
            file, line,
            f"字符 {shown} 在{first.style or '主'}字体（{first.typeface}）中没有，"
            f"将用 {face.typeface}（{face.style}）印出，字形会略有不同",
            f"{shown} {'is' if len(chars) == 1 else 'are'} not in the main font ({first.typeface}); "
            f"{'it prints' if len(chars) == 1 else 'they print'} in {face.typeface} ({face.style})",
            *(("内置字体补印了这些字；要统一字形，请换用收字更全的版本（如 GBK 版）",
                "the bundled fonts print them; for one typeface, use a fuller version of the font (e.g. a GBK one)")
              if first.user else
              ("如需统一字体，可在 series.yaml 的 fonts 中指定本单位有授权的字体文件",
               "to print them in the main typeface, name a font file you hold a licence for under fonts: in series.yaml")),
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


# The example article of `bulletin new`'s template (editor/new.py writes it).
PLACEHOLDER_SECTION = "栏目名"
PLACEHOLDER_TITLE = "文章标题"
PLACEHOLDER_PUBLISHER = "编发单位名称"  # `bulletin init` without --publisher: refused until it is replaced


def _check_placeholders(loaded: Loaded) -> list[Problem]:
    """The example article of `bulletin new`'s template, still there: it would be printed."""
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

    if loaded.bulletin.series.publisher == PLACEHOLDER_PUBLISHER:  # bulletin init without --publisher
        series_file = loaded.folder.resolve().parent / "series.yaml"
        try:
            text = series_file.read_text(encoding="utf-8-sig")
            line = next((n for n, row in enumerate(text.splitlines(), 1) if row.startswith("publisher:")), None)
        except OSError:
            line = None
        problems.append(Problem(series_file, line, f"编发单位还是 bulletin init 的示例“{PLACEHOLDER_PUBLISHER}”，会印在报头",
                                f"the publisher is still bulletin init's example '{PLACEHOLDER_PUBLISHER}'",
                                "在 series.yaml 里写上本单位的名称", "write your office's name in series.yaml"))
    return problems


def _check_numbering(loaded: Loaded) -> list[Problem]:
    """期号 against the other issues of the series in the same year: no duplicates, no gaps. 增刊
    (supplements) are numbered apart: they are checked against the other supplements only."""
    issue = loaded.bulletin.issue
    file = loaded.folder / "issue.md"
    here = loaded.folder.resolve()
    line = loaded.sources.locate(("number",), (file, None))[1]
    # the cheap tests first: resolving a path costs a system call per folder on the way
    others = [s for s in sibling_issues(here.parent) if s.date.year == issue.year and s.supplement == issue.supplement
              and s.folder != here and s.folder.resolve() != here]
    kind = "增刊" if issue.supplement else ""
    problems = [
        Problem(file, line, f"期号与 {s.folder.name} 重复：都是 {issue.year} 年{kind}第 {s.number} 期",
                f"issue number {s.number} is also used by {s.folder.name}", "改正期号", "correct the number")
        for s in others if s.number == issue.number
    ]
    earlier = [s for s in others if s.date < issue.date]
    if earlier and not problems:
        previous = earlier[-1]
        if previous.number + 1 != issue.number:
            problems.append(Problem(
                file, line, f"期号不连续：上一期 {previous.folder.name} 是{kind}第 {previous.number} 期，本期是{kind}第 {issue.number} 期",
                f"issue number does not follow {previous.folder.name} (number {previous.number})",
                f"本期应为第 {previous.number + 1} 期？", f"should this be number {previous.number + 1}?",
                severity="warning"))
    return problems
