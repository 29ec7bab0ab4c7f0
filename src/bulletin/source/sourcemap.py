"""YAML with a line map: where each value of series.yaml, recipients.yaml or the front matter was
written (SourceMap), and pydantic's validation errors as located problems, in Chinese first."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import BulletinError, Problem
from .yaml_input import compose

Path_ = tuple[Any, ...]  # a location inside the loaded data, e.g. ("sections", 0, "articles", 1)


@dataclass
class SourceMap:
    """Where each piece of loaded data came from: data path → (file, line)."""

    lines: dict[Path_, tuple[Path, int]] = field(default_factory=dict)
    columns: dict[Path_, int] = field(default_factory=dict)  # 1-based, where known
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # where each value starts: (line, column)

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
    out.values[path] = (node.start_mark.line + 1 + offset, node.start_mark.column + 1)
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
        fullwidth = _fullwidth_key(data)
        if fullwidth:
            raise BulletinError(Problem(file, node.start_mark.line + 1 + offset, *fullwidth,
                                        column=node.start_mark.column + 1 + len(fullwidth[4])))
        raise BulletinError(
            Problem(file, offset + 1, "应为“名称: 值”形式的设置", "expected a mapping of key: value settings",
                    "每行写一个“名称: 值”，如 number: 7", "write one 'key: value' per line, e.g. number: 7")
        )
    _yaml_lines(node, (), file, offset, smap)
    return data


_MAPPING_OR_LIST = {"list_type", "dict_type", "model_type", "model_attributes_type"}


def _fullwidth_key(value: Any) -> tuple[str, str, str, str, str] | None:
    """A text that should have been “key: value” but has a full-width colon (报：[甲]) →
    (中文, English, 修改建议, fix, the key as written before the colon)."""
    if not isinstance(value, str):
        return None
    m = re.match(r"^([^\s:：#\[\]{}]{1,40}?)\s*：\s*(.*)$", value.split("\n")[0])
    if not m:
        return None
    key, rest = m.group(1), m.group(2)
    fixed = f"{key}: {rest[:40]}"
    return (f"YAML 格式错误：“{key}”后面用了全角冒号“：”", f"YAML syntax error: a full-width colon “：” after “{key}”",
            f"改成半角冒号加一个空格：{fixed}", f"use an ASCII colon and a space: {fixed}", key)


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
    "supplement": "增刊", "draft": "草稿", "classification": "密级和保密期限", "colophon": "版记", "issuer": "印发机关",
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
        en = err["msg"]
        if err["type"].startswith("date_"):  # 2024-02-30: say what is impossible about it
            from .dates import why_not_a_date

            why = why_not_a_date(str(err.get("input", "")))
            if why:
                zh, en = f"不是有效的日期：{why[0]}", f"{en}: {why[1]}"
                if loc in smap.values:  # point at the date itself
                    name = _FIELD_NAMES_ZH.get(key, key)
                    problems.append(Problem(file, smap.values[loc][0], f"{dotted}（{name}）：{zh}" if name != key else
                                            f"{dotted}：{zh}", f"{dotted}: {en}", *_hints(err, model, loc, key),
                                            column=smap.values[loc][1]))
                    continue
        name_zh = _FIELD_NAMES_ZH.get(key, key)
        hint, hint_en = _hints(err, model, loc, key)
        where_zh = (f"{dotted}（{name_zh}）" if name_zh != key else dotted) if dotted else "（顶层）"
        fullwidth = _fullwidth_key(err.get("input")) if err["type"] in _MAPPING_OR_LIST else None
        if fullwidth and loc in smap.values:  # 报：[甲] read as text: the mistake is in the value
            line, column = smap.values[loc]
            problems.append(Problem(file, line, *fullwidth[:4], column=column + len(fullwidth[4])))
            continue
        problems.append(
            Problem(
                file, line, f"{where_zh}：{zh}", f"{dotted or '(top level)'}: {en}",
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
