"""`bulletin schema`: one root schema for series.yaml, recipients.yaml and the issue front matter
that accepts the README's examples, the sample and the fixtures, and rejects the bad-input
corpus's schema errors; checked with jsonschema, as editors' tooling would."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from bulletin.cli import app
from bulletin.source.load import split_front_matter
from bulletin.source.yaml_input import safe_load

from .test_bad_inputs import CASES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def schema() -> dict:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def _kind(schema: dict, kind: str) -> dict:
    """The root's definition of one kind of file, as a schema of its own."""
    return {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{kind}"}


def _errors(schema: dict, data, kind: str | None = None) -> list[str]:
    target = _kind(schema, kind) if kind else schema
    return [e.message for e in jsonschema.Draft202012Validator(target).iter_errors(data)]


def _readme_yaml() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```(?:yaml|markdown)\n(.*?)```", text, re.S)


def _front(text: str) -> dict:
    yaml_text, _, _ = split_front_matter(text, Path("issue.md"))
    return safe_load(yaml_text)


def test_every_readme_example_is_accepted(schema):
    blocks = _readme_yaml()
    assert len(blocks) >= 4
    for block in blocks:
        data = _front(block) if block.startswith("---") else safe_load(block)
        if isinstance(data, dict) and set(data) == {"distribution"}:  # an issue's distribution shown alone
            data = {"number": 1, "date": "2024-01-15", **data}
        assert _errors(schema, data) == [], block
    inline = "distribution: {报: [cace, 山西省民政厅社会组织管理局]}"  # the README's inline example
    assert inline in (ROOT / "README.md").read_text(encoding="utf-8")
    assert _errors(schema, {"number": 1, "date": "2024-01-15", **safe_load(inline)}) == []
    assert _errors(schema, {"name": "甲", "publisher": "乙", "masthead": "pre-printed"}) == []


def test_the_sample_and_the_fixtures_are_accepted(schema):
    files = [*ROOT.glob("issues/*/series.yaml"), *ROOT.glob("tests/fixtures/*/series.yaml"),
             *ROOT.glob("tests/fixtures/*/*/series.yaml")]
    assert len(files) >= 3
    for file in files:
        assert _errors(schema, safe_load(file.read_text(encoding="utf-8")), "Series") == [], file
    for file in [*ROOT.glob("issues/*/recipients.yaml"), *ROOT.glob("tests/fixtures/**/recipients.yaml")]:
        assert _errors(schema, safe_load(file.read_text(encoding="utf-8")), "Registry") == [], file
    issues = [*ROOT.glob("issues/*/*/issue.md"), *ROOT.glob("tests/fixtures/**/issue.md")]
    assert len(issues) >= 4
    for file in issues:
        assert _errors(schema, _front(file.read_text(encoding="utf-8-sig")), "IssueFrontMatter") == [], file


# The corpus's cases that are schema errors (the others are YAML syntax, Markdown, pictures, glyphs…)
SCHEMA_CASES = {"unknown-key", "missing-number", "number-zero", "number-text", "date-slashes", "date-number",
                "total-negative", "print-run-zero", "distribution-label", "distribution-no-names",
                "distribution-empty", "sections-in-front", "number-huge", "print-run-huge",
                "series-unknown-key", "series-bad-id", "series-print-run-huge"}


def test_the_bad_input_corpus_schema_errors_are_rejected(schema):
    cases = {case[0]: case for case in CASES}
    assert SCHEMA_CASES <= set(cases)
    for name in sorted(SCHEMA_CASES):
        _, issue_text, series_text, file, _, _ = cases[name]
        if file == "series.yaml":
            data, kind = safe_load(series_text), "Series"
        else:
            data, kind = _front(issue_text), "IssueFrontMatter"
        assert _errors(schema, data, kind), name
        assert _errors(schema, data), name  # the root (oneOf) rejects it too


def test_one_kind_and_written_to_a_file(tmp_path):
    result = CliRunner().invoke(app, ["schema", "--kind", "recipients"])
    assert result.exit_code == 0
    recipients = json.loads(result.stdout)
    assert recipients["$ref"] == "#/$defs/Registry"
    validator = jsonschema.Draft202012Validator(recipients)
    assert list(validator.iter_errors({"recipients": [{"id": "a", "name": "甲", "category": "报"}]})) == []
    assert list(validator.iter_errors({"recipients": [{"id": "a", "name": "甲", "category": "转"}]}))
    target = tmp_path / "bulletin.schema.json"
    assert CliRunner().invoke(app, ["schema", "-o", str(target)]).exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["oneOf"]
