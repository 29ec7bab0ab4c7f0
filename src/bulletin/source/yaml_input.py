"""YAML as editors write it: one safe reader for every YAML file and front matter the project reads.

- Bounded: aliases (`*name`) are refused — a few hundred bytes of nested aliases expand to
  gigabytes ("billion laughs") — and so is nesting deeper than MAX_YAML_DEPTH (a deeply nested
  document would exhaust the stack). Both are checked while the document is composed, before
  anything is built from it.
- Strict: a key given twice is an error (a copy-paste slip), and so is a key that is a list or
  a mapping; dates stay text (the model validates them and says where a wrong one is).
- Located and in Chinese: every error carries the file, line and column, a Chinese description
  of what PyYAML found, and a hint; the English text is kept for `--lang en`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from ..errors import BulletinError, Problem
from ..limits import MAX_YAML_DEPTH


class SafeLoader(yaml.SafeLoader):
    """SafeLoader without aliases, with bounded nesting, unique scalar keys and dates as text."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ComposerError(None, None, f"alias *{event.anchor} is not supported", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise ComposerError(None, None, f"nesting deeper than {MAX_YAML_DEPTH} levels",
                                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ConstructorError(None, None, "a key must be plain text, not a list or a mapping", key_node.start_mark)
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConstructorError(None, None, f"duplicate key {key!r} (first on line {seen[key]})", key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# What PyYAML says → what an editor reads. First match wins; {0} is the quoted character or name.
_PROBLEMS: list[tuple[re.Pattern, str, str]] = [(re.compile(p), zh, hint) for p, zh, hint in [
    (r"^alias \*(.*) is not supported", "不支持 YAML 别名（*{0}）",
     "把要重复的内容直接写出来，不用 & 和 *"),
    (r"^nesting deeper than", f"层次太深（列表和设置项嵌套超过 {MAX_YAML_DEPTH} 层）",
     "期刊信息最多嵌套几层，检查是否多写了 [ 或 {"),
    (r"^a key must be plain text", "设置项的名称必须是文字，不能是列表或“键: 值”",
     "写成“名称: 值”，名称前不要加 [、{ 或 ?"),
    (r"^duplicate key '?(.*?)'? \(first on line (\d+)\)", "设置项 {0} 写了两次（第 {1} 行已有）",
     "删去重复的一行，或改成另一个设置项"),
    (r"^found undefined alias", "不支持 YAML 别名（*）", "把要重复的内容直接写出来，不用 & 和 *"),
    (r"^mapping values are not allowed here", "这里不能出现“名称: 值”（冒号位置不对或缩进不对）",
     "一行只写一个“名称: 值”；值里有冒号时给整个值加引号；子项缩进要对齐"),
    (r"^could not find expected ':'", "缺少冒号“:”", "写成“名称: 值”，冒号后面空一格"),
    (r"^found character '\\t'", "用了 Tab 字符缩进", "缩进只用空格，不用 Tab"),
    (r"found a tab character", "用了 Tab 字符缩进", "缩进只用空格，不用 Tab"),
    (r"^found character '(.)' that cannot start any token", "值不能以“{0}”开头",
     "给整个值加上引号，例如 \"{0}……\""),
    (r"^found unexpected end of stream", "文件意外结束：引号没有配对", "检查引号是否成对"),
    (r"^found unknown escape character '?(.*?)'?$", "双引号里的反斜杠写法“\\{0}”不对",
     "改用单引号，或写成两个反斜杠 \\\\"),
    (r"^expected ',' or '\]'", "方括号 [ ] 没有配对，或列表项之间缺少逗号", "检查 [ ] 是否成对、各项之间用英文逗号分隔"),
    (r"^expected ',' or '\}'", "花括号 { } 没有配对，或项之间缺少逗号", "检查 { } 是否成对、各项之间用英文逗号分隔"),
    (r"^expected <block end>", "缩进不一致，或多出了内容", "同一层的设置项左端对齐；列表项以“- ”开头并对齐"),
    (r"^expected <document start>", "多出了内容", "检查这一行是否该缩进或删去"),
    (r"^expected chomping or indentation indicators", "多行文字的 | 或 > 后面写法不对", "在 | 或 > 后面直接换行"),
    (r"^expected alphabetic or numeric character", "& 或 * 后面缺少名称", "不需要时删去 & 或 *；文字里有它们时给值加引号"),
    (r"^but found another document", "只能有一段 YAML（中间多出了一行 ---）", "删去多出的 --- 行"),
    (r"^could not determine a constructor for the tag '?(.*?)'?$", "不支持 YAML 标记 {0}",
     "删去以 ! 开头的标记；要写这样的文字时给值加引号"),
    (r"^found unhashable key", "设置项的名称必须是文字，不能是列表或“键: 值”", "写成“名称: 值”"),
    (r"unacceptable character|special characters are not allowed", "文件里有不能出现的控制字符",
     "删去这个字符（常见于从别处复制来的文字）"),
]]


def _fill(template: str, groups: tuple) -> str:
    for i, group in enumerate(groups):
        template = template.replace(f"{{{i}}}", group or "")
    return template


def _describe(problem: str) -> tuple[str, str]:
    for pattern, zh, hint in _PROBLEMS:
        m = pattern.search(problem)
        if m:
            return _fill(zh, m.groups()), _fill(hint, m.groups())
    return "YAML 写法不对", "检查缩进（用空格，不用 Tab）、冒号后的空格和引号是否成对"


def yaml_problem(exc: Exception, file: Path | None, offset: int = 0, text: str = "") -> Problem:
    """A YAML error as a located problem; `offset` = lines before the YAML text in the file."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = column = None
    if mark is not None:
        line, column = mark.line + 1 + offset, mark.column + 1
    elif isinstance(exc, yaml.reader.ReaderError) and text:
        before = text[: exc.position]
        line, column = before.count("\n") + 1 + offset, len(before) - (before.rfind("\n") + 1) + 1
    problem = str(getattr(exc, "problem", None) or exc)
    if isinstance(exc, yaml.reader.ReaderError):
        problem = "special characters are not allowed"
    elif getattr(exc, "context", None) and str(exc.context).startswith("expected a single document"):
        problem = "but found another document"
    zh, hint = _describe(problem)
    if isinstance(exc, yaml.reader.ReaderError):
        zh += f"（U+{exc.character:04X}）" if isinstance(exc.character, int) else ""
    english = (f"control character {exc.character!r} is not allowed" if isinstance(exc, yaml.reader.ReaderError)
               else " ".join(str(exc).split()))
    return Problem(file, line, f"YAML 格式错误：{zh}", f"YAML syntax error: {english}", hint,
                   "check indentation (spaces, not tabs), the space after each colon, and paired quotes",
                   column=column)


def compose(text: str, file: Path | None, offset: int = 0) -> tuple[Any, yaml.Node | None]:
    """(data, node) of a YAML text; raises BulletinError with a located, Chinese problem."""
    try:
        loader = SafeLoader(text)  # checks the characters first (a ReaderError)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        raise BulletinError(yaml_problem(exc, file, offset, text)) from None
    return data, node


def safe_load(text: str) -> Any:
    """The data of a YAML text (for quick reads that have their own fallback); raises yaml.YAMLError."""
    loader = SafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def compose_node(text: str) -> yaml.Node | None:
    """The node tree of a YAML text (for rewriting it in place); raises yaml.YAMLError."""
    loader = SafeLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()
