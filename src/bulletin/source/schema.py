"""`bulletin schema`: one JSON Schema (draft 2020-12) for the three files an editor writes —
series.yaml, recipients.yaml and an issue's front matter — as `$defs` with a root `oneOf`, so
editors' YAML tooling (VS Code's YAML extension, through `# yaml-language-server: $schema=…`)
can check and complete them. It is made from the pydantic models (model.py) and then says what
the loader accepts besides the models' own form: the 报送 mapping `{报: [A, B], 送: "C、D"}`, an
issue's 增发/停发 against the registry, `masthead: 套打`, a series without `id:` (the folder's
name is used). The loader stays the judge: it also checks what no schema can (the glyphs, the
registry's names, a date like 2024-02-30)."""
from __future__ import annotations

import copy
from typing import Any

from pydantic import create_model
from pydantic.json_schema import models_json_schema

from ..model import Issue, Registry, Series

_LABEL = "^(报|送|抄送|发)[：:]?$"
_CHANGE = "^(增发|停发|add|drop)[：:]?$"


def _front_matter_model():
    """The issue's front matter: the Issue model without what the Markdown body gives (lead, sections)."""
    fields = {name: (info.annotation, info) for name, info in Issue.model_fields.items()
              if name not in ("lead", "sections")}
    model = create_model("IssueFrontMatter", __config__=Issue.model_config, **fields)
    model.__doc__ = "An issue's front matter (the YAML between the --- lines at the top of issue.md)."
    return model


def _names() -> dict:
    one = {"type": "string", "minLength": 1}
    return {"anyOf": [one, {"type": "array", "minItems": 1, "items": one}]}


def root_schema() -> dict[str, Any]:
    front = _front_matter_model()
    _, doc = models_json_schema([(Series, "validation"), (Registry, "validation"), (front, "validation")],
                                ref_template="#/$defs/{model}")
    defs = doc["$defs"]
    series, issue = defs["Series"], defs["IssueFrontMatter"]

    defs["DistributionLines"] = {
        "title": "报送", "description": "报送各行：报/送/抄送/发 → 单位（列表或用顿号分开）",
        "type": "object", "minProperties": 1, "propertyNames": {"pattern": _LABEL},
        "additionalProperties": _names()}
    added = copy.deepcopy(defs["Recipient"])
    added["required"] = [r for r in added.get("required", []) if r != "id"]
    added["title"] = "增发单位"
    defs["AddedRecipient"] = added
    defs["DistributionChange"] = {
        "title": "报送增减", "description": "有报送单位名册（recipients.yaml）时，本期增发/停发的单位（编号或全称；增发也可写新单位）",
        "type": "object", "minProperties": 1, "propertyNames": {"pattern": _CHANGE},
        "additionalProperties": {"anyOf": [{"type": "string", "minLength": 1},
                                           {"type": "array", "minItems": 1,
                                            "items": {"anyOf": [{"type": "string", "minLength": 1},
                                                                {"$ref": "#/$defs/AddedRecipient"}]}}]}}
    lines = {"type": "array", "items": {"$ref": "#/$defs/DistributionLine"}}
    series["properties"]["distribution"] = {"title": "报送", "anyOf": [lines, {"$ref": "#/$defs/DistributionLines"}]}
    issue["properties"]["distribution"] = {
        "title": "报送", "anyOf": [lines, {"$ref": "#/$defs/DistributionLines"}, {"$ref": "#/$defs/DistributionChange"},
                                   {"type": "null"}]}
    series["required"] = [r for r in series.get("required", []) if r != "id"]  # default: the folder's name
    series["properties"]["masthead"] = {"title": "报头", "anyOf": [{"$ref": "#/$defs/Masthead"},
                                                                  {"enum": ["pre-printed", "套打"]}]}
    for model in defs.values():  # a date is written YYYY-MM-DD (unquoted in YAML: still text to the loader)
        for prop in model.get("properties", {}).values():
            for option in [prop, *prop.get("anyOf", [])]:
                if option.get("format") == "date":
                    option["pattern"] = r"^\d{4}-\d{2}-\d{2}$"
    titles = {"Series": "series.yaml（刊物设置）", "Registry": "recipients.yaml（报送单位名册）",
              "IssueFrontMatter": "issue.md 开头的期刊信息（YAML 前言）"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "bulletin：series.yaml、recipients.yaml 与 issue.md 的期刊信息",
        "description": "One of the three files bulletin reads; `bulletin schema --kind series|recipients|issue` "
                       "gives the schema of one of them.",
        "oneOf": [{"$ref": f"#/$defs/{name}", "title": title} for name, title in titles.items()],
        "$defs": defs,
    }


KINDS = {"series": "Series", "recipients": "Registry", "issue": "IssueFrontMatter"}


def file_schema(kind: str) -> dict[str, Any]:
    """The schema of one kind of file (series, recipients, issue), standalone: the root's $defs
    with that file's model at the top."""
    root = root_schema()
    return {"$schema": root["$schema"], "$ref": f"#/$defs/{KINDS[kind]}", "$defs": root["$defs"]}
