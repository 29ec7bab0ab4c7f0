"""Load stage: series.yaml + issue.md (YAML front matter + Markdown body) → model, with line numbers.

Layout of the issues folder::

    issues/<series-id>/series.yaml
    issues/<series-id>/<issue folder>/issue.md
    issues/<series-id>/<issue folder>/images/...

Every problem is reported with its file and line; several problems are reported at once.
"""
from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BulletinError, Problem, ProblemList, os_problem
from ..model import Bulletin, Issue, Series
from .recipients import load_registry
from .recipients import resolve as resolve_recipients
from ..limits import MAX_FRONT_MATTER_BYTES, MAX_ISSUE_BYTES, MAX_SERIES_WORDS, MAX_YAML_BYTES
from ..text import read_source, too_large
from .yaml_input import safe_load as _safe_yaml
from .body import parse_body
from .sourcemap import Path_, SourceMap, _validate, parse_yaml

SERIES_FILE = "series.yaml"
WORDS_FILE = "words.txt"  # the series' word list for title breaking, one name a line
ISSUE_FILE = "issue.md"

# ---------------------------------------------------------------- distribution lines


def normalise_distribution(value: Any, path: Path_, smap: SourceMap) -> Any:
    """Accept the editor's form ``{报: [A, B], 送: "C、D"}`` as well as the model's list form."""
    if not isinstance(value, dict):
        return value
    lines = []
    for i, (label, recipients) in enumerate(value.items()):
        if isinstance(recipients, str):
            recipients = [r.strip() for r in re.split(r"[、，,;；]", recipients) if r.strip()]
        lines.append({"label": str(label).rstrip("：:"), "recipients": recipients})
        where = smap.lines.get(path + (label,))
        column = smap.columns.get(path + (label,))
        for sub in ((i,), (i, "label"), (i, "recipients")):
            if where:
                smap.lines[path + sub] = where
            if column:
                smap.columns[path + sub] = column
    return lines


# ---------------------------------------------------------------- series


def load_series(series_dir: Path) -> Series:
    file = series_dir / SERIES_FILE
    if not file.is_file():
        raise BulletinError(
            Problem(
                file, None, "找不到刊物设置文件 series.yaml", "series file series.yaml not found",
                "每个刊物文件夹里需要一个 series.yaml，期刊文件夹放在它下面：issues/<刊物>/<期>/issue.md",
                "each series folder needs a series.yaml; issue folders go inside it",
            )
        )
    smap = SourceMap()
    data = parse_yaml(read_source(file, MAX_YAML_BYTES), file, 0, smap)
    data.setdefault("id", series_dir.name)
    if "distribution" in data:
        data["distribution"] = normalise_distribution(data["distribution"], ("distribution",), smap)
    words_file = series_dir / WORDS_FILE
    if words_file.is_file():
        words = data.get("words") if isinstance(data.get("words"), list) else []
        data["words"] = [*words, *read_words(words_file)]
        smap.lines.setdefault(("words",), (words_file, 1))
    series = _validate(Series, data, smap, (file, 1))
    if series.fonts:  # the office's own fonts: refused here, at their line, if unusable
        from ..style.fonts import user_fonts

        user_fonts(series.fonts, series_dir, lambda key: smap.locate(("fonts", key), (file, None)))
    return series


def read_words(file: Path) -> list[str]:
    """words.txt: one name a line (jieba's user-dictionary form “词 [频率] [词性]” is accepted;
    only the first field counts), `#` starts a comment."""
    problems = ProblemList()
    words = []
    for number, line in enumerate(read_source(file).split("\n"), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if not 2 <= len(fields[0]) <= 40:
            problems.add(file, number, f"词“{fields[0]}”的长度应为 2–40 个字", f"word '{fields[0]}' must be 2–40 characters",
                         "每行写一个机构名称或专有名词", "one name a line")
        words.append(fields[0])
    if len(words) > MAX_SERIES_WORDS:
        problems.add(file, None, f"词表超过 {MAX_SERIES_WORDS} 个词", f"more than {MAX_SERIES_WORDS} words",
                     "只列标题里会出现的机构名称和专有名词", "list only names that occur in titles")
    problems.raise_if_any()
    return words


# ---------------------------------------------------------------- issue.md


FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*\n", re.S)


def split_front_matter(text: str, file: Path) -> tuple[str, str, int]:
    """Return (yaml text, markdown body, number of lines before the body)."""
    match = FRONT_MATTER.match(text if text.endswith("\n") else text + "\n")
    if not match:
        raise BulletinError(
            Problem(
                file, 1, "issue.md 开头缺少 --- 包围的期刊信息（YAML 前言）",
                "issue.md must start with YAML front matter between --- lines",
                "第一行写 ---，接着写 number: 7、date: 2021-07-30 等，再写一行 --- 结束",
                "start with a --- line, then number:, date: …, then a closing --- line",
            )
        )
    yaml_text = match.group(1) or ""
    body = text[match.end():] if text.endswith("\n") else (text + "\n")[match.end():]
    return yaml_text, body, match.group(0).count("\n")


@dataclass
class Loaded:
    bulletin: Bulletin
    folder: Path
    sources: SourceMap  # where each part of the issue came from, for later stages' messages
    text: str = ""  # issue.md as read (UTF-8, "\n" line ends): later stages need not read it again


def load_issue(issue_dir: Path) -> Bulletin:
    """Load an issue folder (and its series) into a validated Bulletin."""
    return load(issue_dir).bulletin


def load(issue_dir: Path, text: str | None = None) -> Loaded:
    """Load an issue folder (and its series), keeping the source locations. `text` stands in for
    the issue.md on disk (an editor's unsaved version)."""
    issue_dir = Path(issue_dir)
    file = issue_dir / ISSUE_FILE
    try:
        issue_dir.resolve(strict=True)
    except FileNotFoundError:
        pass
    except (OSError, RuntimeError) as exc:  # a symbolic link loop, a name too long…
        error = exc if isinstance(exc, OSError) else OSError(errno.ELOOP, "loop")
        raise BulletinError(os_problem(error, issue_dir, ("打开期刊文件夹", "open the issue folder"))) from None
    if not issue_dir.is_dir():
        raise BulletinError(Problem(issue_dir, None, "期刊文件夹不存在", "issue folder does not exist",
                                    "检查路径；期刊文件夹里有 issue.md", "check the path; an issue folder holds issue.md"))
    if text is None and not file.is_file():
        raise BulletinError(
            Problem(
                file, None, "期刊文件夹里没有 issue.md", "no issue.md in the issue folder",
                "每期一个文件夹，里面放 issue.md 和 images/ 图片", "each issue folder holds an issue.md",
            )
        )
    series_dir = issue_dir.resolve().parent
    series = load_series(series_dir)
    registry = load_registry(series_dir)
    if registry is not None and series.distribution:
        series_file = series_dir / SERIES_FILE
        raise BulletinError(Problem(
            series_file, None, "有了报送名册 recipients.yaml，series.yaml 里就不要再写 distribution",
            "series.yaml has distribution lines and the series has recipients.yaml",
            "删去 series.yaml 的 distribution，报送单位只在 recipients.yaml 中登记",
            "remove distribution from series.yaml: recipients.yaml is the one list"))
    if text is None:
        text = read_source(file, MAX_ISSUE_BYTES)
    elif len(text.encode("utf-8", "surrogatepass")) > MAX_ISSUE_BYTES:
        raise BulletinError(too_large(file, len(text.encode("utf-8", "surrogatepass")), MAX_ISSUE_BYTES))
    yaml_text, body, body_offset = split_front_matter(text, file)
    if len(yaml_text.encode("utf-8", "surrogatepass")) > MAX_FRONT_MATTER_BYTES:
        raise BulletinError(Problem(
            file, 2, f"开头的期刊信息（--- 之间的 YAML）太长，上限是 {MAX_FRONT_MATTER_BYTES // 1000} KB",
            f"the front matter (the YAML between the --- lines) is longer than {MAX_FRONT_MATTER_BYTES // 1000} KB",
            "期刊信息只写期号、日期、报送等几项；正文写在第二个 --- 之后",
            "keep number, date, distribution… there; the articles go after the second ---"))
    smap = SourceMap()
    data = parse_yaml(yaml_text, file, 1, smap)
    for reserved in ("lead", "sections"):
        if reserved in data:
            raise BulletinError(
                Problem(
                    file, smap.lines[(reserved,)][1], f"{reserved} 不能写在前言里", f"{reserved} cannot be set in front matter",
                    "栏目和文章写在第二个 --- 之后的正文里：# 栏目名、## 文章标题",
                    "write sections and articles in the Markdown body: '# section', '## title'",
                )
            )
    recipients = []
    if registry is not None:  # the 报送 lines come from the registry (recipients.py)
        recipients = resolve_recipients(data.pop("distribution", None), registry, file, smap)
    elif "distribution" in data:
        data["distribution"] = normalise_distribution(data["distribution"], ("distribution",), smap)
    lead, sections = parse_body(body, file, body_offset, issue_dir, smap)
    data["lead"], data["sections"] = lead, sections
    issue = _validate(Issue, data, smap, (file, 1))
    if not issue.articles():
        raise BulletinError(
            Problem(file, body_offset + 1, "这一期没有文章", "the issue has no articles",
                    "用 ## 标题 开始一篇文章", "start an article with a '## title' line")
        )
    bulletin = Bulletin(series=series, issue=issue, recipients=recipients, registry=registry)
    return Loaded(bulletin, issue_dir, smap, text)


def series_font_files(series_dir: Path) -> list[Path]:
    """The font files a series names (for change detection); [] when series.yaml cannot be read.
    Read as the loader reads it (size limit, the bounded YAML reader: no aliases), as it runs on
    every series of a batch before any issue is loaded."""
    try:
        data = _safe_yaml(read_source(Path(series_dir) / "series.yaml", MAX_YAML_BYTES))
        entries = data.get("fonts") or {}
        root = Path(series_dir).resolve()
        paths = [Path(os.path.expanduser(str(v).strip())) for v in entries.values()]
        return [(p if p.is_absolute() else root / p).resolve() for p in paths]
    except Exception:  # noqa: BLE001 - a broken series file is reported by the loader
        return []
