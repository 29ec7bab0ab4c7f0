"""The recipient registry (报送单位名册): recipients.yaml next to series.yaml.

    recipients:
      - id: cace                      # short name, used in file names
        name: 中国通信企业协会          # as printed in the 报送 lines
        category: 报                   # 报 / 送 / 抄送 / 发
        copies: 2                      # printed copies (default 1)
        email: office@example.org      # optional channels
        address: 北京市……
        contact: 张三
      - id: expo
        name: 某某展会组委会
        category: 送
        regular: false                 # only when an issue adds it
    mail: {host: smtp.example.org, port: 587, user: bulletin@example.org, tls: starttls,
           sender: "山西省通信行业协会 <bulletin@example.org>"}

An issue's `distribution:` then either lists the lines itself (names or ids, all from the
registry), or changes the registry's regular bodies for this issue:

    distribution:
      增发: [expo, {name: 某某大学, category: 送}]   # 本期增发: a registry id/name or a new body
      停发: [各处室]                                  # not this time

The 报送 lines printed in the PDF come from the resolved list; unknown ids or names are errors
with file and line.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import BulletinError, Problem, ProblemList
from ..model import Recipient, Registry

REGISTRY_FILE = "recipients.yaml"
SEND_LOG = "sent-log.jsonl"  # in the issue folder: what `distribute --send` delivered (mail.py)
CATEGORY_ORDER = ("报", "送", "抄送", "发")
ADD_KEYS = ("增发", "add")
DROP_KEYS = ("停发", "drop")


def load_registry(series_dir: Path) -> Registry | None:
    """recipients.yaml of a series, validated; None when the series has none."""
    from .load import SourceMap, _validate, parse_yaml
    from ..limits import MAX_YAML_BYTES
    from ..text import read_source

    file = series_dir / REGISTRY_FILE
    if not file.is_file():
        return None
    smap = SourceMap()
    data = parse_yaml(read_source(file, MAX_YAML_BYTES), file, 0, smap)
    mail = data.get("mail")
    if isinstance(mail, dict) and "password" in mail:
        raise BulletinError(Problem(
            file, smap.lines[("mail", "password")][1], "密码不能写在文件里", "the password must not be in a file",
            "删去 password 一行；发送时用环境变量 BULLETIN_SMTP_PASSWORD 提供密码",
            "delete the password line; give it in the environment as BULLETIN_SMTP_PASSWORD"))
    registry = _validate(Registry, data, smap, (file, 1))
    problems = ProblemList()
    for key in ("id", "name"):
        seen: dict[str, int] = {}
        for i, body in enumerate(registry.recipients):
            value = getattr(body, key)
            line = smap.locate(("recipients", i, key), (file, None))[1]
            if value in seen:
                problems.add(file, line, f"名册中{'编号' if key == 'id' else '单位'}“{value}”重复（第 {seen[value]} 行已有）",
                             f"{key} {value!r} appears twice (first on line {seen[value]})",
                             "每个单位只登记一次", "list each body once")
            else:
                seen[value] = line or 0
    problems.raise_if_any()
    return registry


def _ordered(bodies: list[Recipient], registry: Registry) -> list[Recipient]:
    rank = {body.id: i for i, body in enumerate(registry.recipients)}
    return sorted(bodies, key=lambda b: (CATEGORY_ORDER.index(b.category), rank.get(b.id, len(rank))))


def _new_id(taken: set[str]) -> str:
    n = 1
    while f"added-{n}" in taken:
        n += 1
    return f"added-{n}"


class _Resolver:
    def __init__(self, registry: Registry, file: Path, smap):
        self.registry, self.file, self.smap = registry, file, smap
        self.by_key: dict[str, Recipient] = {}
        for body in registry.recipients:
            self.by_key[body.id] = body
            self.by_key[body.name] = body
        self.problems = ProblemList()

    def line(self, path: tuple) -> int | None:
        return self.smap.locate(path, (self.file, None))[1]

    def find(self, key: Any, path: tuple) -> Recipient | None:
        body = self.by_key.get(str(key).strip()) if isinstance(key, (str, int)) else None
        if body is None:
            names = [b.name for b in self.registry.recipients] + [b.id for b in self.registry.recipients]
            close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.5)
            hint = f"是不是“{close[0]}”？" if close else "先在 recipients.yaml 中登记这个单位"
            hint_en = f"did you mean {close[0]!r}?" if close else "add the body to recipients.yaml first"
            self.problems.add(
                self.file, self.line(path), f"报送名册（recipients.yaml）里没有“{key}”",
                f"{key!r} is not in the recipient registry (recipients.yaml)",
                hint + "；本期临时增发的单位写成 {name: 单位全称, category: 送}",
                hint_en + "; a one-off body is written {name: full name, category: 送}",
                column=self.smap.column(path))
        return body

    def items(self, value: Any, path: tuple) -> list[tuple[Any, tuple]]:
        if isinstance(value, str):
            return [(v.strip(), path) for v in re.split(r"[、，,;；]", value) if v.strip()]
        if isinstance(value, list):
            return [(v, path + (i,)) for i, v in enumerate(value)]
        self.problems.add(self.file, self.line(path), "应为单位列表", "expected a list of bodies",
                          "写成 [单位甲, 单位乙] 或 单位甲、单位乙", "write [A, B] or A、B")
        return []


def resolve(raw: Any, registry: Registry, file: Path, smap) -> list[Recipient]:
    """An issue's raw `distribution:` value (None when absent) → its bodies, in print order."""
    r = _Resolver(registry, file, smap)
    regular = [b for b in registry.recipients if b.regular]
    if raw is None:
        return _ordered(regular, registry)
    path = ("distribution",)
    if not isinstance(raw, dict) or not raw:
        raise BulletinError(Problem(file, r.line(path), "报送应写成“类别: 单位列表”", "distribution must be a mapping",
                                    "例如 报: [单位甲]，或 增发: [...] / 停发: [...]",
                                    "e.g. 报: [A], or add: [...] / drop: [...]"))
    keys = [str(k).rstrip("：:") for k in raw]
    delta = [k for k in keys if k in ADD_KEYS + DROP_KEYS]
    if delta and len(delta) != len(keys):
        raise BulletinError(Problem(file, r.line(path), "报送不能同时写类别行和增发/停发",
                                    "distribution mixes lines with add/drop",
                                    "要么列出全部报送行（报/送/抄送/发），要么只写 增发/停发 改动名册",
                                    "either list every line, or only add/drop against the registry"))
    if not delta:  # explicit lines: every body from the registry, printed under the line's label
        bodies: list[Recipient] = []
        for key, value in raw.items():
            label = str(key).rstrip("：:")
            if label not in CATEGORY_ORDER:
                r.problems.add(file, r.line(path + (key,)), f"报送类别“{label}”不认识", f"unknown line label {label!r}",
                               "可用：报、送、抄送、发", "use 报, 送, 抄送 or 发")
                continue
            for item, where in r.items(value, path + (key,)):
                body = r.find(item, where)
                if body is not None:
                    bodies.append(body.model_copy(update={"category": label}))
        r.problems.raise_if_any()
        return _dedupe(bodies, r, path)
    chosen = {b.id: b for b in regular}
    added: list[Recipient] = []
    for key, value in raw.items():
        label = str(key).rstrip("：:")
        for item, where in r.items(value, path + (key,)):
            if label in DROP_KEYS:
                body = r.find(item, where)
                if body is not None and chosen.pop(body.id, None) is None:
                    r.problems.add(file, r.line(where), f"“{body.name}”本来就不在本期报送中",
                                   f"{body.name!r} is not distributed anyway", "删去这一项", "remove this entry")
            elif isinstance(item, dict):
                taken = {b.id for b in registry.recipients} | {b.id for b in added}
                data = {"id": _new_id(taken), **item}
                try:
                    added.append(Recipient.model_validate(data))
                except ValidationError as exc:  # say which field, in the editor's words
                    from .load import _problems_from_validation

                    for problem in _problems_from_validation(exc, Recipient, _Within(smap, where),
                                                             (file, r.line(where))):
                        r.problems.items.append(replace(
                            problem, message=f"增发单位写法不对：{problem.message}",
                            message_en=f"bad added body: {problem.message_en}",
                            hint=problem.hint or "写成 {name: 单位全称, category: 送}（可加 copies、email）",
                            hint_en=problem.hint_en or "write {name: full name, category: 送} (copies, email optional)"))
            else:
                body = r.find(item, where)
                if body is not None:
                    if body.id in chosen:
                        r.problems.add(file, r.line(where), f"“{body.name}”每期都发，不必增发",
                                       f"{body.name!r} is a regular recipient already", "删去这一项", "remove this entry")
                    chosen[body.id] = body
    r.problems.raise_if_any()
    return _dedupe(_ordered([*chosen.values(), *added], registry), r, path)


class _Within:
    """The source map seen from inside one value (for validating a part on its own)."""

    def __init__(self, smap, where: tuple):
        self.smap, self.where = smap, where

    def locate(self, path: tuple, default):
        return self.smap.locate(self.where + tuple(path), default)

    def column(self, path: tuple):
        return self.smap.column(self.where + tuple(path))


def _dedupe(bodies: list[Recipient], r: _Resolver, path: tuple) -> list[Recipient]:
    seen: set[str] = set()
    for body in bodies:
        if body.name in seen:
            r.problems.add(r.file, r.line(path), f"“{body.name}”在报送中出现两次", f"{body.name!r} is listed twice",
                           "每个单位只写一次", "list each body once")
        seen.add(body.name)
    r.problems.raise_if_any()
    return bodies

