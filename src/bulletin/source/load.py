"""Load stage: series.yaml + issue.md (YAML front matter + Markdown body) → model, with line numbers.

Layout of the issues folder::

    issues/<series-id>/series.yaml
    issues/<series-id>/<issue folder>/issue.md
    issues/<series-id>/<issue folder>/images/...

Every problem is reported with its file and line; several problems are reported at once.
"""
from __future__ import annotations

import datetime as dt
import difflib
import errno
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import BaseModel, ValidationError

from ..errors import BulletinError, Problem, ProblemList, os_problem
from ..model import Bulletin, Issue, Series
from .recipients import load_registry
from .recipients import resolve as resolve_recipients
from ..limits import MAX_FRONT_MATTER_BYTES, MAX_IMAGE_BYTES, MAX_ISSUE_BYTES, MAX_SERIES_WORDS, MAX_YAML_BYTES
from ..text import join_lines, read_source, too_large
from .yaml_input import compose
from .yaml_input import safe_load as _safe_yaml

SERIES_FILE = "series.yaml"
WORDS_FILE = "words.txt"  # the series' word list for title breaking, one name a line
ISSUE_FILE = "issue.md"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}

Path_ = tuple[Any, ...]  # a location inside the loaded data, e.g. ("sections", 0, "articles", 1)


@dataclass
class SourceMap:
    """Where each piece of loaded data came from: data path → (file, line)."""

    lines: dict[Path_, tuple[Path, int]] = field(default_factory=dict)
    columns: dict[Path_, int] = field(default_factory=dict)  # 1-based, where known

    def locate(self, path: Path_, default: tuple[Path, int | None]) -> tuple[Path, int | None]:
        for end in range(len(path), -1, -1):
            hit = self.lines.get(tuple(path[:end]))
            if hit:
                return hit
        return default

    def column(self, path: Path_) -> int | None:
        for end in range(len(path), -1, -1):
            if tuple(path[:end]) in self.lines:
                return self.columns.get(tuple(path[:end]))
        return None


# ---------------------------------------------------------------- YAML with line numbers


def _yaml_lines(node: yaml.Node, path: Path_, file: Path, offset: int, out: SourceMap) -> None:
    out.lines.setdefault(path, (file, node.start_mark.line + 1 + offset))
    out.columns.setdefault(path, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value
            out.lines[path + (name,)] = (file, key.start_mark.line + 1 + offset)
            out.columns[path + (name,)] = key.start_mark.column + 1
            _yaml_lines(value, path + (name,), file, offset, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _yaml_lines(item, path + (i,), file, offset, out)


def parse_yaml(text: str, file: Path, offset: int, smap: SourceMap) -> dict:
    """Parse a YAML mapping, recording line numbers; `offset` = lines before the text in the file."""
    data, node = compose(text, file, offset)
    if data is None or node is None:
        return {}
    if not isinstance(data, dict):
        raise BulletinError(
            Problem(file, offset + 1, "应为“名称: 值”形式的设置", "expected a mapping of key: value settings",
                    "每行写一个“名称: 值”，如 number: 7", "write one 'key: value' per line, e.g. number: 7")
        )
    _yaml_lines(node, (), file, offset, smap)
    return data


# ---------------------------------------------------------------- validation errors → problems

_MESSAGES_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的设置项",
    "int_parsing": "应为整数",
    "int_parsing_size": "数字太大",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "greater_than_equal": "数值太小",
    "greater_than": "数值太小",
    "less_than_equal": "数值太大",
    "less_than": "数值太大",
    "date_from_datetime_parsing": "不是有效的日期（格式 YYYY-MM-DD）",
    "date_from_datetime_inexact": "只写日期，不写时间（格式 YYYY-MM-DD）",
    "date_parsing": "不是有效的日期（格式 YYYY-MM-DD）",
    "date_type": "不是有效的日期（格式 YYYY-MM-DD）",
    "string_type": "应为文字",
    "string_unicode": "应为文字",
    "bytes_type": "应为文字",
    "list_type": "应为列表",
    "dict_type": "应为“名称: 值”形式",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "literal_error": "取值不在允许范围内",
    "too_short": "不能为空",
    "too_long": "项数太多",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不对",
    "model_type": "应为“名称: 值”形式",
    "model_attributes_type": "应为“名称: 值”形式",
    "union_tag_invalid": "类型不对",
    "union_tag_not_found": "类型不对",
    "paragraph_too_long": "一段太长",
    "single_line": "不能换行，也不能含控制字符",
    "value_error": "取值不符合要求",
}
_UNION_MEMBERS = {"paragraph", "heading", "list", "figure", "figures", "table", "str", "int", "float", "bool"}

_FIELD_NAMES_ZH = {
    "number": "期号", "total_number": "总期号", "date": "日期", "editor_note": "编者按",
    "distribution": "报送", "print_run": "印数", "name": "名称", "publisher": "编发单位",
    "title": "标题", "body": "正文", "articles": "文章", "label": "报送类别", "recipients": "报送单位",
    "id": "编号", "layout": "版式", "kicker": "引题", "subtitle": "副题", "byline": "署名",
    "content": "段落", "caption": "图注", "header": "表头", "rows": "表格行", "items": "列表项",
    "copies": "份数", "email": "邮箱", "address": "地址", "contact": "联系人", "category": "类别",
    "sender": "发件人", "host": "邮件服务器", "port": "端口", "notice": "报头上方文字",
    # the 版记, 增刊, 密级, 份号, 套打 and font settings (issues 14 and 15)
    "supplement": "增刊", "classification": "密级和保密期限", "colophon": "版记", "issuer": "印发机关",
    "issued": "印发日期", "editor": "编辑", "reviewer": "审核", "approver": "签发", "masthead": "报头",
    "copy_number": "份号", "printing": "印刷方式", "red": "报头红色", "red_spot": "报头专色",
    "words": "专名词表", "fonts": "字体", "level": "标题级别", "width": "宽度", "figures": "并排图片",
}


def _hints(err: dict, model: type[BaseModel], loc: Path_, key: str) -> tuple[str, str]:
    """How to fix a validation error, in Chinese and English."""
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        close = difflib.get_close_matches(key, allowed, n=1)
        if close:
            return f"是不是要写 {close[0]}？", f"did you mean {close[0]}?"
        if allowed:
            return "可用的设置项：" + "、".join(allowed), "known keys: " + ", ".join(allowed)
    elif kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        return "可选：" + expected.replace(" or ", "、").replace(", ", "、"), "one of: " + expected
    elif kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"应不小于 {bound}", f"must be at least {bound}"
    elif kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return f"应不大于 {bound}", f"must be at most {bound}"
    elif kind == "string_too_long":
        limit = ctx.get("max_length")
        return f"最多 {limit} 个字，请精简", f"at most {limit} characters"
    elif kind == "too_long":
        limit = ctx.get("max_length")
        return f"最多 {limit} 项", f"at most {limit} items"
    elif kind == "paragraph_too_long":
        return (f"这一段 {ctx.get('length')} 个字，一段最多 {ctx.get('limit')} 个字：请分成几段",
                f"{ctx.get('length')} characters: split it into paragraphs of at most {ctx.get('limit')}")
    elif kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return "写成 2024-01-15 这样的日期", "write a date such as 2024-01-15"
    elif kind == "single_line":
        return "写在一行里，删去换行", "write it on one line"
    elif kind == "string_pattern_mismatch" and key == "id":
        return "只用英文字母、数字、-、_ 和 .，以字母或数字开头", "letters, digits, - _ and . only, starting with a letter or digit"
    elif kind == "string_pattern_mismatch" and "classification" in loc:
        return "写成“密级★保密期限”，如 内部★1年、秘密★6个月，中间不加空格", "e.g. 内部★1年 (level★period, no spaces)"
    elif kind == "string_pattern_mismatch" and key == "width":
        return "写成 60%、12字 或 80mm", "write 60%, 12字 or 80mm"
    elif kind == "string_pattern_mismatch" and key == "email":
        return "写成 name@example.org 这样的邮箱地址", "write an address such as name@example.org"
    return "", ""


def _problems_from_validation(
    exc: ValidationError, model: type[BaseModel], smap: SourceMap, default: tuple[Path, int | None]
) -> list[Problem]:
    problems = []
    seen: set[tuple] = set()
    for err in exc.errors(include_url=False):
        # tagged and plain unions put the member in the location: drop it
        loc = tuple(p for p in err["loc"] if p not in _UNION_MEMBERS)
        if loc in seen:  # a value no member of a union accepts: one problem, not one per member
            continue
        seen.add(loc)
        file, line = smap.locate(loc, default)
        dotted = ".".join(str(p) for p in loc)
        key = str(loc[-1]) if loc else ""
        zh = _MESSAGES_ZH.get(err["type"], "取值不符合要求")
        name_zh = _FIELD_NAMES_ZH.get(key, key)
        hint, hint_en = _hints(err, model, loc, key)
        where_zh = (f"{dotted}（{name_zh}）" if name_zh != key else dotted) if dotted else "（顶层）"
        problems.append(
            Problem(
                file, line, f"{where_zh}：{zh}", f"{dotted or '(top level)'}: {err['msg']}",
                hint, hint_en, column=smap.column(loc),
            )
        )
    return problems


def _model_at(model: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    """The model class found at a data path (for “did you mean” hints)."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = info.annotation
        # unwrap Optional[...] / list[...]
        for _ in range(3):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            if isinstance(current, type) and issubclass(current, BaseModel):
                break
            if not args:
                break
            current = args[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _validate(model: type[BaseModel], data: dict, smap: SourceMap, default: tuple[Path, int | None]):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BulletinError(_problems_from_validation(exc, model, smap, default)) from None


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


# ---------------------------------------------------------------- Markdown body

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
# Escaped characters (\*) stay “text_special” tokens: a “**” left in a text token is then one
# markdown-it could not pair, and prints as typed (see _Body.literal_markup).
_md.disable("text_join")
_TEXT = ("text", "text_special", "code_inline")
UNPAIRED_STRONG = re.compile(r"\*\*")
UNPARSED_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,500}\)")  # bounded: linear on any line

KEYWORD = re.compile(r"^(引题|副题|署名)[：:]\s*(.*)$", re.S)
BYLINE = re.compile(r"^[（(]([^（）()]{1,40})[）)]$")
TRAILING_BYLINE = re.compile(r"(?<=[。！？”’…])[ \t\u3000]+[（(]([^（）()，。,]{1,20})[）)]$")
TITLE_BREAK = re.compile(r"\s*[|｜]\s*")
# a picture's size after it: {width=60%} / {宽=12字} / {宽度=80mm}
PICTURE_ATTRS = re.compile(r"\{\s*(width|宽|宽度)\s*[=＝:：]\s*([0-9]+(?:\.[0-9]+)?(?:%|％|字|mm))\s*\}")


class _Body:
    """Builds lead articles and sections from markdown-it tokens."""

    def __init__(self, file: Path, offset: int, issue_dir: Path, smap: SourceMap, text: str = ""):
        self.file, self.offset, self.issue_dir, self.smap = file, offset, issue_dir, smap
        self.source_lines = text.split("\n")
        self.problems = ProblemList()
        self.lead: list[dict] = []
        self.sections: list[dict] = []
        self.article: dict | None = None
        self.pending_kicker: tuple[str, int] | None = None
        self.cells = self.figures = self.image_bytes = 0  # running totals, for the issue's limits

    # -- locations
    def line(self, token: Token) -> int:
        return (token.map[0] if token.map else 0) + 1 + self.offset

    def article_path(self) -> Path_:
        if self.sections:
            return ("sections", len(self.sections) - 1, "articles", len(self.sections[-1]["articles"]) - 1)
        return ("lead", len(self.lead) - 1)

    def column_of(self, line: int) -> int | None:
        """Column of the first character of a file line in the body (1-based)."""
        index = line - self.offset - 1
        if 0 <= index < len(self.source_lines):
            text = self.source_lines[index]
            return len(text) - len(text.lstrip()) + 1
        return None

    def mark(self, path: Path_, line: int) -> None:
        self.smap.lines[path] = (self.file, line)
        column = self.column_of(line)
        if column:
            self.smap.columns[path] = column

    def problem(self, line: int, zh: str, en: str, hint: str = "", hint_en: str = "") -> None:
        self.problems.add(self.file, line, zh, en, hint, hint_en, self.column_of(line))

    # -- structure
    def start_section(self, name: str, line: int) -> None:
        self.dangling_kicker()
        self.finish_article()
        self.sections.append({"name": name, "articles": []})
        self.mark(("sections", len(self.sections) - 1), line)

    def start_article(self, title: str, line: int) -> None:
        self.finish_article()
        self.article = {"title": TITLE_BREAK.sub("\n", title), "body": [], "_line": line}
        (self.sections[-1]["articles"] if self.sections else self.lead).append(self.article)
        path = self.article_path()
        self.mark(path, line)
        self.mark(path + ("title",), line)
        self.mark(path + ("body",), line)
        if self.pending_kicker:
            self.article["kicker"] = self.pending_kicker[0]
            self.mark(path + ("kicker",), self.pending_kicker[1])
            self.pending_kicker = None

    def dangling_kicker(self) -> None:
        """A kicker line must be followed by the title it belongs to."""
        if self.pending_kicker:
            self.problem(self.pending_kicker[1], "引题后面没有文章标题", "kicker not followed by a title",
                         "引题下一行应是 ## 文章标题", "put the '## title' line right after the kicker")
            self.pending_kicker = None

    def finish_article(self) -> None:
        article = self.article
        if article is None:
            return
        line = article.pop("_line")
        body = article["body"]
        sources = [block.pop("_source", None) for block in body]
        own_line = BYLINE.match(sources[-1].rsplit("\n", 1)[-1].strip()) if sources and sources[-1] and \
            "\n" in sources[-1].strip() else None
        if own_line and "byline" not in article:  # “……发言。⏎（魏程明）”: the 署名 on a line of its own
            last = body[-1]["content"][-1]
            cut = re.search(r"\s*" + re.escape(own_line.group(0)) + r"\s*$", last["text"])
            if cut:
                article["byline"] = own_line.group(1).strip()
                last["text"] = last["text"][: cut.start()].rstrip()
                if not last["text"]:
                    body[-1]["content"].pop()
                if not body[-1]["content"]:
                    body.pop()
        # trailing （署名） paragraph → byline
        if body and body[-1]["kind"] == "paragraph" and "byline" not in article:
            text = "".join(s["text"] for s in body[-1]["content"]).strip()
            m = BYLINE.match(text)
            tail = TRAILING_BYLINE.search(body[-1]["content"][-1]["text"])
            if m:
                article["byline"] = m.group(1).strip()
                body.pop()
            elif tail:  # “……作了发言。 （魏程明）”: the byline typed at the end of the last paragraph
                article["byline"] = tail.group(1).strip()
                last = body[-1]["content"][-1]
                last["text"] = last["text"][: tail.start()].rstrip()
        if not body:
            self.problem(line, f"文章《{article['title']}》没有正文", f"article '{article['title']}' has no body text",
                         "在标题下面写正文段落", "write paragraphs below the title")
        self.article = None

    def add_block(self, block: dict, line: int) -> None:
        if self.article is None:
            self.problem(line, "正文出现在第一篇文章标题之前", "text before the first article title",
                         "先写 ## 文章标题，再写正文", "start an article with a '## title' line first")
            return
        self.article["body"].append(block)
        self.mark(self.article_path() + ("body", len(self.article["body"]) - 1), line)

    # -- token walk
    def run(self, tokens: list[Token]) -> None:
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            line = self.line(tok)
            if tok.type == "heading_open":
                text = self.plain(tokens[i + 1])
                if tok.tag in ("h1", "h2"):
                    self.literal_markup(tokens[i + 1])
                level = int(tok.tag[1])
                if level == 1:
                    self.start_section(text, line)
                elif level == 2:
                    self.start_article(text, line)
                else:
                    self.add_block({"kind": "heading", "level": level, "content": self.spans(tokens[i + 1])}, line)
                i += 3
            elif tok.type == "paragraph_open":
                self.paragraph(tokens[i + 1], line, tokens[i + 3] if i + 3 < len(tokens) else None)
                i += 3
            elif tok.type in ("bullet_list_open", "ordered_list_open"):
                i = self.list_block(tokens, i)
            elif tok.type == "table_open":
                i = self.table(tokens, i)
            else:
                kind = {"fence": "代码块", "code_block": "缩进代码块（行首四个空格）", "blockquote_open": "引用块（>）",
                        "hr": "分隔线（---）"}.get(tok.type, tok.type)
                self.problem(line, f"不支持的 Markdown 结构：{kind}", f"unsupported Markdown construct: {tok.type}",
                             "正文段落不要以四个空格或 Tab 开头；不要使用 >、```、---",
                             "do not indent paragraphs by four spaces; do not use >, ``` or ---")
                i = self.skip(tokens, i)
        self.dangling_kicker()
        self.finish_article()

    @staticmethod
    def skip(tokens: list[Token], i: int) -> int:
        depth = 0
        while i < len(tokens):
            depth += tokens[i].nesting
            i += 1
            if depth <= 0:
                return i
        return i

    def paragraph(self, inline: Token, line: int, next_token: Token | None) -> None:
        children = [c for c in inline.children or []
                    if not (c.type == "text" and not c.content.strip()) and c.type not in ("softbreak", "hardbreak")]
        images = [c for c in children if c.type == "image"]
        if images:
            self.pictures(children, line)
            return
        text = self.plain(inline)
        m = KEYWORD.match(text)
        if m:
            self.keyword_lines(text, line, next_token)
            return
        self.add_block({"kind": "paragraph", "content": self.spans(inline), "_source": inline.content}, line)

    def keyword_lines(self, text: str, line: int, next_token: Token | None) -> None:
        for offset, raw in enumerate(text.split("\n")):
            m = KEYWORD.match(raw.strip())
            if not m:
                self.problem(line + offset, "引题/副题/署名行之间不能夹正文", "body text among kicker/subtitle lines",
                             "正文与引题、副题之间空一行", "leave a blank line before the body text")
                continue
            key, value = m.group(1), m.group(2).strip()
            if not value:
                self.problem(line + offset, f"{key}是空的", f"empty {key}")
                continue
            before_title = next_token is not None and next_token.type == "heading_open" and next_token.tag == "h2"
            if key == "引题" and (self.article is None or self.article["body"] or before_title):
                self.pending_kicker = (value, line + offset)
                continue
            if self.article is None:
                self.problem(line + offset, f"{key}出现在文章标题之前", f"{key} before any article title",
                             "写在 ## 标题 下一行", "put it right below the '## title' line")
                continue
            field_name = {"引题": "kicker", "副题": "subtitle", "署名": "byline"}[key]
            if key != "署名" and self.article["body"]:
                self.problem(line + offset, f"{key}应紧跟在标题下面，不能写在正文中间",
                             f"{key} must follow the title, not the body", "把这一行移到 ## 标题 的下一行",
                             "move this line right below the title")
                continue
            self.article[field_name] = value
            self.mark(self.article_path() + (field_name,), line + offset)

    def pictures(self, children: list[Token], line: int) -> None:
        """A paragraph of images: one picture, or two or three side by side; each image may be
        followed by its size, ``{width=60%}`` (``宽``: 60%, 12字, 80mm)."""
        figures: list[dict] = []
        for child in children:
            if child.type == "image":
                figure = self.figure(child, line)
                if figure is None:
                    return
                figures.append(figure)
                continue
            attrs = PICTURE_ATTRS.fullmatch(child.content.strip()) if child.type == "text" and figures else None
            if attrs is None or "width" in figures[-1]:
                self.problem(line, "图片必须单独成段（一行可以并排放两三张图片，不能夹文字）",
                             "an image must be a paragraph of its own (two or three side by side, no text)",
                             "把 ![图注](images/图片.jpg) 单独放一行，前后空一行；宽度写在图片后面，如 {宽=60%}",
                             "put the image on its own line; a size follows it as {width=60%}")
                return
            figures[-1]["width"] = attrs.group(2).replace("％", "%")
        if len(figures) > 3:
            self.problem(line, f"一行放了 {len(figures)} 张图片，最多并排三张", f"{len(figures)} images in a row; at most three",
                         "分成两段（中间空一行），每段两三张", "split them into paragraphs of two or three")
            return
        if len(figures) == 1:
            self.add_block(figures[0], line)
        else:
            self.add_block({"kind": "figures", "figures": figures}, line)

    def figure(self, image: Token, line: int) -> dict | None:
        from ..limits import MAX_FIGURES, MAX_IMAGES_TOTAL_BYTES

        src = str(image.attrs.get("src", ""))
        caption = "".join(c.content for c in image.children or []) or str(image.attrs.get("title") or "")
        self.figures += 1
        if self.figures > MAX_FIGURES:
            if self.figures == MAX_FIGURES + 1:
                self.problem(line, f"图片太多：一期最多 {MAX_FIGURES} 张", f"too many pictures: at most {MAX_FIGURES} in an issue",
                             "把图片分到几期，或删去一些", "spread them over several issues")
            return
        problem = check_local_path(unquote(src), self.issue_dir)
        if problem:
            self.problem(line, *problem)
            return None
        self.image_bytes += (self.issue_dir / unquote(src)).stat().st_size
        if self.image_bytes > MAX_IMAGES_TOTAL_BYTES:
            self.problem(line, f"本期图片合计超过 {MAX_IMAGES_TOTAL_BYTES // 10**6} MB（都要嵌进 PDF）",
                         f"the pictures of the issue add up to more than {MAX_IMAGES_TOTAL_BYTES // 10**6} MB",
                         "压缩图片（印刷用 JPEG 每张 2–5 MB 足够）", "compress the pictures (2-5 MB each is plenty)")
            return None
        return {"kind": "figure", "src": src, "caption": caption.strip()}

    def list_block(self, tokens: list[Token], i: int) -> int:
        open_tok = tokens[i]
        line = self.line(open_tok)
        end = self.skip(tokens, i)
        items: list[list[dict]] = []
        depth = 0
        for tok in tokens[i + 1:end - 1]:
            if tok.type in ("bullet_list_open", "ordered_list_open"):
                self.problem(self.line(tok), "不支持嵌套列表", "nested lists are not supported",
                             "把子项合并到上一层列表里", "flatten the list")
                return end
            depth += tok.nesting
            if tok.type == "list_item_open":
                items.append([])
            elif tok.type == "inline" and items:
                if items[-1]:
                    items[-1].append({"text": "\n"})
                items[-1].extend(self.spans(tok))
        block = {"kind": "list", "ordered": open_tok.type == "ordered_list_open", "items": [i for i in items if i]}
        if block["ordered"]:
            block["start"] = int(open_tok.attrs.get("start", 1) or 1)
        self.add_block(block, line)
        return end

    def table(self, tokens: list[Token], i: int) -> int:
        from ..limits import MAX_TABLE_CELLS

        line = self.line(tokens[i])
        end = self.skip(tokens, i)
        cells = sum(1 for tok in tokens[i + 1:end - 1] if tok.type in ("th_open", "td_open"))
        self.cells += cells
        if self.cells > MAX_TABLE_CELLS:
            self.problem(line, f"表格太大：本期表格合计 {self.cells} 个单元格，最多 {MAX_TABLE_CELLS} 个",
                         f"too much table: {self.cells} cells in the issue's tables, at most {MAX_TABLE_CELLS}",
                         "长的数据表格不适合印在简报里：只留要点，或作为附件另发", "keep the key figures; send long data separately")
            return end
        header: list = []
        rows: list = []
        align: list = []
        current: list | None = None
        in_head = False
        for tok in tokens[i + 1:end - 1]:
            if tok.type == "thead_open":
                in_head = True
            elif tok.type == "thead_close":
                in_head = False
            elif tok.type == "tr_open":
                current = []
            elif tok.type == "tr_close":
                if in_head:
                    header = current or []
                else:
                    rows.append(current or [])
            elif tok.type in ("th_open", "td_open") and in_head:
                style = str(tok.attrs.get("style", ""))
                m = re.search(r"text-align:(left|center|right)", style)
                align.append(m.group(1) if m else None)
            elif tok.type == "inline" and current is not None:
                current.append(self.spans(tok))
        self.add_block({"kind": "table", "header": header, "rows": rows, "align": align}, line)
        return end

    # -- inline content
    def literal_markup(self, inline: Token) -> None:
        """Markup markdown-it left as text prints as typed: an unpaired ** or an image it could
        not read (a space in the path) is an error at its place."""
        for c in inline.children or []:
            if c.type != "text":
                continue
            for pattern, zh, en, hint, hint_en in (
                (UNPARSED_IMAGE, "图片写法没有被识别，会原样印出（路径里有空格或括号？）",
                 "image markup not recognised: it would print as typed (a space or bracket in the path?)",
                 "图片文件名不要有空格和括号（改名为如 photo-1.jpg）；或把路径写在尖括号里：![图注](<images/my photo.jpg>)",
                 "rename the file without spaces, or write the path in angle brackets: ![caption](<images/my photo.jpg>)"),
                (UNPAIRED_STRONG, "加粗标记 ** 没有配对，会原样印出", "unpaired ** would print as typed",
                 "在要加粗的文字两边各写 **；确要印出星号时写 \\*",
                 "put ** on both sides of the bold text; write \\* for a printed asterisk"),
            ):
                m = pattern.search(c.content)
                if m:
                    line, column = self.find(inline, m.group())
                    target = m.group()[m.group().find("](") + 2:-1].strip()
                    if pattern is UNPARSED_IMAGE and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                        zh, en, hint, hint_en = check_local_path(target, self.issue_dir)  # file:, data:, javascript:…
                    self.problems.add(self.file, line, zh, en, hint, hint_en, column)
                    return

    def find(self, inline: Token, needle: str) -> tuple[int, int | None]:
        """File line and column where `needle` first stands in the source of an inline token."""
        start = self.line(inline)
        end = start + max(1, (inline.map[1] - inline.map[0]) if inline.map else 1)
        for line in range(start, end):
            index = line - self.offset - 1
            if 0 <= index < len(self.source_lines):
                at = self.source_lines[index].find(needle)
                if at >= 0:
                    return line, at + 1
        return start, self.column_of(start)

    @staticmethod
    def plain(inline: Token) -> str:
        parts: list[str] = []
        for c in inline.children or []:
            if c.type in ("softbreak", "hardbreak"):
                parts.append("\n")
            elif c.type in _TEXT:
                parts.append(c.content)
            elif c.type == "image":
                parts.append("".join(x.content for x in c.children or []))
        text = "".join(parts)
        return re.sub(r"\s*\n\s*", "\n", text).strip()

    def spans(self, inline: Token) -> list[dict]:
        """Inline tokens → spans; soft line breaks join without a space around CJK text."""
        self.literal_markup(inline)
        spans: list[dict] = []
        strong = emphasis = 0
        pending_break = False

        def add(text: str) -> None:
            nonlocal pending_break
            style = {"strong": strong > 0, "emphasis": emphasis > 0}
            if pending_break and spans:
                left, right = spans[-1]["text"].rstrip(), text.lstrip()
                spans[-1]["text"] = left
                text = (" " if join_lines(left, right) != left + right else "") + right
            pending_break = False
            if spans and {k: spans[-1][k] for k in style} == style:
                spans[-1]["text"] += text
            else:
                spans.append({"text": text, **style})

        for c in inline.children or []:
            if c.type in _TEXT:
                add(c.content)
            elif c.type == "softbreak":
                pending_break = True
            elif c.type == "hardbreak":
                add("\n")
            elif c.type == "strong_open":
                strong += 1
            elif c.type == "strong_close":
                strong -= 1
            elif c.type == "em_open":
                emphasis += 1
            elif c.type == "em_close":
                emphasis -= 1
            # links keep their text only: a printed bulletin has no hyperlinks
        if spans:
            spans[0]["text"] = spans[0]["text"].lstrip()
            spans[-1]["text"] = spans[-1]["text"].rstrip()
        return [s for s in spans if s["text"]]


def check_local_path(src: str, base: Path) -> tuple[str, str, str, str] | None:
    """Problem (zh, en, hint, hint_en) if `src` is not an existing, whole image file inside `base`."""
    where = "images go in the issue folder, e.g. images/photo.jpg"
    if not src or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith(("/", "\\")):
        return (f"图片路径 {src!r} 不是期刊文件夹里的文件", f"image path {src!r} is not a file in the issue folder",
                "图片放在本期文件夹的 images/ 里，写相对路径，如 images/photo.jpg", where)
    try:
        target = (base / src).resolve()
        root = base.resolve()
        if root not in target.parents:
            return (f"图片路径 {src!r} 指向期刊文件夹以外", f"image path {src!r} points outside the issue folder",
                    "图片放在本期文件夹的 images/ 里", where)
        if not target.is_file():
            return (f"找不到图片 {src}", f"image {src} not found", "检查文件名和大小写，图片应放在本期文件夹里",
                    "check the name and its case; " + where)
        size = target.stat().st_size
    except (OSError, RuntimeError):  # a link loop, a name too long
        return (f"图片路径 {src!r} 打不开（名称太长或链接循环）", f"image path {src!r} cannot be opened",
                "图片放在本期文件夹的 images/ 里，用短一些的文件名", where)
    if size > MAX_IMAGE_BYTES:
        return (f"图片 {src} 太大（{size / 1e6:.0f} MB）", f"image {src} is too large ({size / 1e6:.0f} MB)",
                f"印刷用图片压缩到 {MAX_IMAGE_BYTES // 10**6} MB 以下即可（300 dpi 的 A4 整页 JPEG 约 2–5 MB）",
                f"compress it below {MAX_IMAGE_BYTES // 10**6} MB (a full A4 page at 300 dpi is 2-5 MB as JPEG)")
    if target.suffix.lower() not in IMAGE_SUFFIXES:
        return (f"{src} 不是能用的图片（格式不支持）", f"{src} is not a usable image (unsupported type)",
                "使用 PNG、JPEG、GIF、SVG 或 WebP 图片", "use PNG, JPEG, GIF, SVG or WebP")
    found = image_problem(target)
    if found:
        zh, en, hint, hint_en = found
        return (f"图片 {src} {zh}", f"image {src}: {en}", hint, hint_en)
    return None


_image_checks: dict[tuple, tuple[str, str, str, str] | None] = {}  # (file, size, mtime) → result
_pillow_flags = threading.Lock()  # LOAD_TRUNCATED_IMAGES is a module global: one check at a time


def image_problem(path: Path) -> tuple[str, str, str, str] | None:
    """What is wrong with a picture's content, judged by decoding it (not by its name): not an
    image, cut short (a truncated JPEG prints as a grey block), too many pixels to decode, an SVG
    that is not well-formed XML or declares entities. None when it is a whole picture. Each
    version of a file is decoded once per process."""
    try:
        stat = path.stat()
    except OSError:
        return ("打不开", "cannot be opened", "检查文件", "check the file")
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _image_checks:
        if len(_image_checks) > 256:
            _image_checks.clear()
        _image_checks[key] = _decode_problem(path)
    return _image_checks[key]


def _decode_problem(path: Path) -> tuple[str, str, str, str] | None:
    damaged = ("不是能用的图片（格式不支持或文件已损坏）", "not a usable image (unsupported or damaged)",
               "使用 PNG、JPEG、GIF、SVG 或 WebP 图片，并确认它能在看图软件里打开",
               "use PNG, JPEG, GIF, SVG or WebP and check that it opens in a picture viewer")
    if path.suffix.lower() == ".svg":
        import xml.etree.ElementTree as ElementTree

        data = path.read_bytes()
        head = data[:2048].lstrip().lower()
        if not (head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype")) and b"<svg" in data[:65536].lower()):
            return damaged
        if b"<!entity" in data.lower():
            return ("里定义了 XML 实体（<!ENTITY），不能使用", "declares XML entities, which are not allowed",
                    "在绘图软件里重新导出为普通 SVG，或改用 PNG", "export it again as plain SVG, or use PNG")
        try:
            ElementTree.fromstring(data)
        except ElementTree.ParseError as exc:
            return (f"不是完整的 SVG（第 {exc.position[0]} 行 XML 写法有误）", f"is not well-formed SVG ({exc})",
                    "在绘图软件里重新导出，或改用 PNG", "export it again, or use PNG")
        return None
    import warnings

    from PIL import Image, ImageFile  # Pillow comes with WeasyPrint

    from ..limits import MAX_IMAGE_PIXELS

    # WeasyPrint sets LOAD_TRUNCATED_IMAGES at import, which would pad a cut-short picture with grey
    with _pillow_flags:
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Pillow's own (English) warnings: judged below instead
                with Image.open(path) as image:
                    if image.format not in ("PNG", "JPEG", "GIF", "WEBP"):
                        return damaged
                    width, height = image.size
                    if width * height > MAX_IMAGE_PIXELS:
                        return (f"像素太多（{width}×{height}）", f"has too many pixels ({width}×{height})",
                                f"缩小到 {MAX_IMAGE_PIXELS // 10**6} 兆像素以下（300 dpi 的 A4 整页约 2480×3508）",
                                f"scale it below {MAX_IMAGE_PIXELS // 10**6} megapixels")
                    if image.format == "JPEG":
                        image.draft("RGB", (max(1, width // 8), max(1, height // 8)))  # reads every byte, fast
                    image.load()
        except OSError as exc:
            if "truncated" in str(exc) or "broken data stream" in str(exc):
                return ("文件不完整（可能没有下载完或已损坏），会印成灰块或印不出来", "is cut short (truncated or damaged)",
                        "重新导出或重新下载这张图片", "export or download it again")
            return damaged
        except Exception:  # noqa: BLE001 - Pillow raises many kinds for a damaged file
            return damaged
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    return None


def comment_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every closed <!-- … --> comment, in one pass (a regex would go back over
    the rest of the text from every unclosed “<!--”: minutes for a few hundred KB of them)."""
    spans, at = [], 0
    while True:
        start = text.find("<!--", at)
        if start < 0:
            return spans
        end = text.find("-->", start + 4)
        if end < 0:
            return spans  # unclosed: the loader reports it
        spans.append((start, end + 3))
        at = end + 3


def strip_comments(text: str) -> str:
    """Remove <!-- comments --> (editors' notes, template guidance), keeping line numbers."""
    out, at = [], 0
    for start, end in comment_spans(text):
        out += [text[at:start], "\n" * text.count("\n", start, end)]
        at = end
    out.append(text[at:])
    return "".join(out)


def _comment_ends(text: str, file: Path, offset: int) -> None:
    """A comment left open (or a stray -->) would print the editor's private note."""
    stripped = strip_comments(text)
    for mark, zh, en, hint, hint_en in (
        ("<!--", "注释没有结束（缺少 -->），注释里的文字会印出来", "a comment is not closed (no -->): its text would print",
         "在注释末尾写 -->", "end the comment with -->"),
        ("-->", "多出一个注释结束标记 -->（前面没有 <!--），会原样印出", "a --> without <!--: it would print as typed",
         "补上注释开头 <!--，或删去 -->", "add the <!-- that opens the comment, or delete the -->"),
    ):
        at = stripped.find(mark)
        if at >= 0:
            line = stripped.count("\n", 0, at)
            column = at - (stripped.rfind("\n", 0, at) + 1) + 1
            raise BulletinError(Problem(file, line + 1 + offset, zh, en, hint, hint_en, column=column))


def parse_body(text: str, file: Path, offset: int, issue_dir: Path, smap: SourceMap) -> tuple[list, list]:
    _comment_ends(text, file, offset)
    text = strip_comments(text)
    builder = _Body(file, offset, issue_dir, smap, text)
    builder.run(_md.parse(text))
    builder.problems.raise_if_any()
    return builder.lead, builder.sections


def article_paths(issue) -> list[tuple[Path_, object]]:
    """(data path, article) for every article, in order: ("lead", i) or ("sections", s, "articles", i)."""
    return [(("lead", i), a) for i, a in enumerate(issue.lead)] + [
        (("sections", s, "articles", i), a) for s, section in enumerate(issue.sections)
        for i, a in enumerate(section.articles)]


@dataclass(frozen=True)
class SiblingIssue:
    folder: Path
    number: int
    date: dt.date
    total_number: int | None
    front_matter: str  # the YAML text, as written
    supplement: bool = False  # 增刊: numbered apart from the regular issues


# issue.md → (what its stat said when read, what it gave): one index of the series per process,
# re-read only where a file changed, so a batch of n issues does not read n × n front matters
_SIBLINGS: dict[Path, tuple[tuple, SiblingIssue | None]] = {}


def _stat_key(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)


def sibling_issues(series_dir: Path) -> list[SiblingIssue]:
    """The issues of a series folder, from their front matter only (cheap), oldest first. Issues
    whose front matter cannot be read are left out: they are their own check's business. Each
    file is read again only when its modification time, change time, size or inode changed."""
    found = []
    try:
        entries = list(os.scandir(series_dir))
    except OSError:
        entries = []
    for entry in entries:  # what series_dir.glob("*/issue.md") finds, with one stat per issue
        try:
            if not entry.is_dir():
                continue
        except OSError:
            continue
        issue_md = Path(entry.path) / ISSUE_FILE
        key = _stat_key(issue_md)
        if key is None:
            continue  # no issue.md: not an issue folder
        kept = _SIBLINGS.get(issue_md)
        if kept is not None and kept[0] == key:
            if kept[1] is not None:
                found.append(kept[1])
            continue
        sibling = _read_sibling(issue_md)
        _SIBLINGS[issue_md] = (key, sibling)
        if sibling is not None:
            found.append(sibling)
    return sorted(found, key=lambda s: (s.date, s.number))


def _read_sibling(issue_md: Path) -> SiblingIssue | None:
    try:
        with open(issue_md, "rb") as fh:  # the front matter is at the start: never read a whole big file
            head = fh.read(64 * 1024).decode("utf-8-sig", "ignore")
        match = FRONT_MATTER.match(head.replace("\r\n", "\n"))
        front = match.group(1) or ""
        data = _safe_yaml(front)
        date = data["date"] if isinstance(data["date"], dt.date) else dt.date.fromisoformat(str(data["date"]))
        total = data.get("total_number")
        return SiblingIssue(issue_md.parent, int(data["number"]), date,
                            int(total) if total is not None else None, front,
                            data.get("supplement") is True)
    except Exception:  # noqa: BLE001 - unreadable, not UTF-8, no front matter, bad fields
        return None
