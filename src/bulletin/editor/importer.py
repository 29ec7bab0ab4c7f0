"""Import plain text — including text extracted from a printed bulletin's PDF — into issue.md.

Extracted text is hard-wrapped: one printed line per text line (often with blank lines between
them), spaces where a page broke, and no paragraph indents. The importer rebuilds the structure:

- a printed line narrower than a full line ends its paragraph (a paragraph's first line is
  narrower by its two-character indent);
- 【栏目】 lines are sections; short lines that do not end a sentence are titles, and a short
  organisation name right above a title is its kicker (引题);
- （作者） at the end of a paragraph, or on a line of its own, is the attribution;
- 报：/送：/抄送：/发： lines are the distribution; a line of recipients right after them without
  a label is taken as “送” (with a warning).

Everything the importer is unsure about is reported as a warning with its line; no text is dropped.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BulletinError, Problem
from ..source.load import BYLINE  # a line that is only （…）: the loader's own rule

SECTION = re.compile(r"^【(.+?)】$")
DISTRIBUTION = re.compile(r"^(报|送|抄送|发)[：:]\s*(.+)$")
BYLINE_END = re.compile(r"\s+[（(]([^（）()]{1,20})[）)]$")
SENTENCE_END = tuple("。！？；：…”’）)")
ORGANISATION = re.compile(r"(局|公司|协会|委员会|研究院|设计院|院|厅|部|中心|处|集团|办公室|分会|学会)$")


FULL_WIDTH_PUNCT = set("“”‘’—…·")


def width(text: str) -> float:
    """Printed width in em: CJK and Chinese punctuation 1, Latin and digits about ½, spaces 0
    (extraction artefacts)."""
    return sum(0 if c.isspace() else 1 if c in FULL_WIDTH_PUNCT or ord(c) >= 0x2E80 else 0.5 for c in text)


_HAN = "\u3400-\u4dbf\u4e00-\u9fff"


def clean(text: str) -> str:
    """Drop the spaces extraction leaves between Han and Latin/digits (the typesetter's mixed-script
    spacing, added again at render time); a space between two Han characters becomes a full-width
    space (a deliberate gap, e.g. between a slogan's halves)."""
    text = re.sub(f"(?<=[{_HAN}（）“”，、])[ \t]+(?=[0-9A-Za-z])|(?<=[0-9A-Za-z%])[ \t]+(?=[{_HAN}（）“”，、])", "", text)
    text = re.sub(r"(?<=[0-9])[ \t]+(?=[0-9])", "", text)
    return re.sub(f"(?<=[{_HAN}])[ \t]+(?=[{_HAN}])", "\u3000", text)


def decode(data: bytes, file: Path) -> tuple[str, list[Problem]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise BulletinError(Problem(file, None, "无法识别文件编码（不是 UTF-8 也不是 GB18030/GBK）",
                                    "cannot decode the file (neither UTF-8 nor GB18030/GBK)",
                                    "用记事本等打开后另存为 UTF-8", "save it as UTF-8")) from None
    return text, [Problem(file, None, "文件是 GBK/GB18030 编码，已按此读取", "the file is GBK/GB18030; read as such",
                          severity="warning")]


@dataclass
class Imported:
    lead: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    distribution: list[tuple[str, list[str]]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def parse_text(text: str, file: Path) -> Imported:
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [(i + 1, line.strip().replace("\u3000", " ").strip()) for i, line in enumerate(raw)]
    lines = [(n, t) for n, t in lines if t]
    body_widths = [width(t) for _, t in lines if width(t) >= 10]
    if len(body_widths) >= 10:
        full = statistics.quantiles(body_widths, n=10)[-1]  # the width of a full printed line
    else:
        full = max(body_widths, default=32)  # a short text: its widest line is a full line
    full = max(full, 10)
    result = Imported()
    article: dict | None = None
    paragraph: list[str] = []
    paragraph_line = 0
    pending_kicker: tuple[int, str] | None = None

    def flush_paragraph() -> None:
        nonlocal paragraph
        if paragraph and article is not None:
            article["body"].append((paragraph_line, clean("".join(paragraph))))
        elif paragraph:
            result.warnings.append(Problem(file, paragraph_line, "标题之前的文字，已放进第一篇文章之前的“导语”",
                                           "text before the first title, kept as a lead article", severity="warning"))
            start_article("导语", paragraph_line)
            article["body"].append((paragraph_line, clean("".join(paragraph))))
        paragraph = []

    def start_article(title: str, line: int, kicker: str | None = None) -> None:
        nonlocal article
        article = {"title": title, "kicker": kicker, "body": [], "byline": None, "line": line}
        (result.sections[-1]["articles"] if result.sections else result.lead).append(article)

    def is_title(index: int) -> bool:
        number, line = lines[index]
        if width(line) > full - 4 or line.endswith(SENTENCE_END) or SECTION.match(line) or DISTRIBUTION.match(line):
            return False
        if BYLINE.match(line):
            return False
        following = lines[index + 1][1] if index + 1 < len(lines) else ""
        just_titled = article is not None and not article["body"] and pending_kicker is None
        return bool(following) and not paragraph and not just_titled  # a title stands between paragraphs

    index = 0
    distribution_started = False
    while index < len(lines):
        number, line = lines[index]
        dist = DISTRIBUTION.match(line)
        if dist or (distribution_started and not SECTION.match(line)):
            flush_paragraph()
            if dist:
                label, names = dist.group(1), dist.group(2)
            else:
                label, names = "送", line
                result.warnings.append(Problem(file, number, "报送行没有“报：/送：”，按“送”处理，请核对",
                                               "a distribution line without a label: taken as 送, please check",
                                               severity="warning"))
            result.distribution.append((label, [n.strip() for n in re.split(r"[、，,]", names) if n.strip()]))
            distribution_started = True
            index += 1
            continue
        section = SECTION.match(line)
        if section:
            flush_paragraph()
            result.sections.append({"name": section.group(1), "articles": [], "line": number})
            article = None
            index += 1
            continue
        if is_title(index):
            flush_paragraph()
            nxt = lines[index + 1][1] if index + 1 < len(lines) else ""
            if ORGANISATION.search(line) and index + 1 < len(lines) and width(nxt) <= full - 4 \
                    and not nxt.endswith(SENTENCE_END) and not SECTION.match(nxt):
                pending_kicker = (number, line)
                index += 1
                continue
            kicker = pending_kicker[1] if pending_kicker else None
            pending_kicker = None
            start_article(line, number, kicker)
            index += 1
            continue
        byline_only = BYLINE.match(line)
        if byline_only and article is not None:
            flush_paragraph()
            article["byline"] = clean(byline_only.group(1))
            index += 1
            continue
        if not paragraph:
            paragraph_line = number
        tail = BYLINE_END.search(line)
        if tail:
            paragraph.append(line[: tail.start()].strip())
            flush_paragraph()
            if article is not None:
                article["byline"] = clean(tail.group(1))
            index += 1
            continue
        paragraph.append(line)
        limit = full - (3.5 if len(paragraph) == 1 else 1.5)
        if width(line) < limit:
            flush_paragraph()
        index += 1
    flush_paragraph()
    return result


def to_markdown(imported: Imported) -> str:
    """The body of issue.md for an import (sentences one per source line, as editors like)."""
    out: list[str] = []

    def article(a: dict) -> None:
        if a["kicker"]:
            out.append(f"引题：{a['kicker']}")
        out.append(f"## {a['title']}\n")
        for _, text in a["body"]:
            sentences = re.findall(r"[^。！？]*(?:[。！？]+[”’）]*|$)", text)
            out.append("\n".join(s for s in sentences if s) + "\n")
        if a["byline"]:
            out.append(f"（{a['byline']}）\n")

    for a in imported.lead:
        article(a)
    for s in imported.sections:
        out.append(f"# 【{s['name']}】\n")
        for a in s["articles"]:
            article(a)
    return "\n".join(out).rstrip() + "\n"


def front_matter(imported: Imported, number: int, date: str) -> str:
    lines = ["---", f"number: {number}", f"date: {date}"]
    if imported.distribution:
        lines.append("distribution:")
        for label, names in imported.distribution:
            lines.append(f"  {label}: [{', '.join(names)}]")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def import_text(files: list[Path], issue_dir: Path, section: str | None = None,
                number: int | None = None, date: str | None = None) -> list[Problem]:
    """Import text files into ISSUE_DIR/issue.md: a new issue is created (with the distribution
    found in the text), an existing one gets the articles appended. Returns the warnings."""
    import datetime as dt

    from .new import next_issue
    from ..output.write import write_atomic

    from ..errors import os_problem
    from ..limits import MAX_ISSUE_BYTES
    from ..text import too_large

    issue_dir = Path(issue_dir)
    target = issue_dir / "issue.md"
    if issue_dir.exists() and not issue_dir.is_dir():
        raise BulletinError(Problem(issue_dir, None, "--into 应是期刊文件夹，这里却是一个文件",
                                    "--into must be an issue folder, and this is a file",
                                    "写期刊文件夹的路径（没有就新建），如 issues/刊物/2024-08",
                                    "give the issue folder (created if missing), e.g. issues/series/2024-08"))
    if (issue_dir / "issue.md").exists() and not target.is_file():
        raise BulletinError(Problem(target, None, "这里应是 issue.md 文件，却是一个文件夹",
                                    "this should be the issue.md file but is a folder", "改名或删去这个文件夹",
                                    "rename or remove that folder"))
    warnings: list[Problem] = []
    parts: list[Imported] = []
    word_articles: list[str] = []
    for file in files:
        file = Path(file)
        if file.suffix.lower() == ".docx":
            from .docx_import import import_docx

            markdown, notes = import_docx(file, issue_dir)
            word_articles.append(markdown)
            warnings += notes
            continue
        if file.suffix.lower() in (".doc", ".wps"):
            raise BulletinError(Problem(file, None, "旧版 Word/WPS 文件（.doc/.wps）不能直接导入",
                                        "old Word/WPS files (.doc/.wps) cannot be imported",
                                        "在 Word/WPS 里另存为 .docx 再导入", "save it as .docx and import that"))
        try:
            if file.stat().st_size > MAX_ISSUE_BYTES:  # more than one issue.md can hold
                raise BulletinError(too_large(file, file.stat().st_size, MAX_ISSUE_BYTES))
            data = file.read_bytes()
        except OSError as exc:
            raise BulletinError(os_problem(exc, file, ("读取", "read"))) from None
        text, notes = decode(data, file)
        warnings += notes
        imported = parse_text(text, file)
        warnings += imported.warnings
        parts.append(imported)
    merged = Imported()
    for part in parts:
        merged.lead += part.lead
        merged.sections += part.sections
        merged.distribution += part.distribution
    if section:  # everything goes into the named section
        articles = merged.lead + [a for s in merged.sections for a in s["articles"]]
        merged.lead, merged.sections = [], [{"name": section, "articles": articles}]
    body = to_markdown(merged) if (merged.lead or merged.sections) else ""
    if word_articles:
        if section and not body:
            body = f"# 【{section}】\n\n"
        body = (body.rstrip("\n") + "\n\n" if body else "") + "\n".join(word_articles)
    if target.is_file():
        from ..text import read_source

        existing = read_source(target)
        merged_text = (existing.rstrip("\n") + "\n\n" + body).encode("utf-8")
        if len(merged_text) > MAX_ISSUE_BYTES:
            raise BulletinError(too_large(target, len(merged_text), MAX_ISSUE_BYTES))
        try:
            write_atomic(target, merged_text)
        except OSError as exc:
            raise BulletinError(os_problem(exc, target, ("写入", "write"))) from None
        if merged.distribution:
            warnings.append(Problem(target, None, "导入文本中的报送行未写入（本期已有期刊信息），请手工核对",
                                    "distribution lines in the text were not written (the issue exists)",
                                    severity="warning"))
        return warnings
    series_dir = issue_dir.resolve().parent
    when = dt.date.fromisoformat(date) if date else dt.date.today()
    if number is None:
        number = next_issue(series_dir, when)[0]
        warnings.append(Problem(target, 2, f"期号按刊物已有各期推算为第 {number} 期，请核对",
                                f"issue number {number} inferred from the series; please check", severity="warning"))
    if date is None:
        warnings.append(Problem(target, 3, "出刊日期暂定为今天，请核对", "issue date set to today; please check",
                                severity="warning"))
    text = (front_matter(merged, number, when.isoformat()) + body).encode("utf-8")
    if len(text) > MAX_ISSUE_BYTES:
        raise BulletinError(too_large(target, len(text), MAX_ISSUE_BYTES))
    try:
        issue_dir.mkdir(parents=True, exist_ok=True)
        (issue_dir / "images").mkdir(exist_ok=True)
        write_atomic(target, text)
    except OSError as exc:
        raise BulletinError(os_problem(exc, issue_dir, ("写入期刊文件夹", "write the issue folder"))) from None
    return warnings
