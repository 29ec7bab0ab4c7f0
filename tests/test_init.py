"""`bulletin init DIR` → `new` → `check` → `build`: a fresh series works with no warnings."""
from __future__ import annotations

import io
import json
import re

import jsonschema
import pdfplumber
from typer.testing import CliRunner

from bulletin.cli import app
from bulletin.source.load import split_front_matter
from bulletin.editor.new import PLACEHOLDER_BYLINE, PLACEHOLDER_PARAGRAPHS, PLACEHOLDER_SECTION, PLACEHOLDER_TITLE
from bulletin.source.yaml_input import safe_load


def _fill_in(issue_md, title: str) -> None:
    """What an editor does with the template: the example article replaced by a real one."""
    text = issue_md.read_text(encoding="utf-8")
    for old, new in ((f"# {PLACEHOLDER_SECTION}\n", "# 工作动态\n"), (f"## {PLACEHOLDER_TITLE}\n", f"## {title}\n"),
                     (PLACEHOLDER_PARAGRAPHS[0], "全县各乡镇认真落实防汛工作部署，逐村排查隐患。"),
                     (PLACEHOLDER_PARAGRAPHS[1], "县应急管理局组织专项督查，确保责任落实到人。"),
                     (f"（{PLACEHOLDER_BYLINE}）", "（县应急管理局）")):
        assert old in text
        text = text.replace(old, new, 1)
    issue_md.write_text(text, encoding="utf-8")


def test_init_new_check_build(tmp_path):
    series = tmp_path / "county-bulletin"
    run = CliRunner().invoke
    made = run(app, ["init", str(series), "--name", "县委工作简报", "--publisher", "县委办公室", "--date", "2026-01-05"])
    assert made.exit_code == 0, made.output
    assert {p.name for p in series.iterdir()} == {"series.yaml", "recipients.yaml", "bulletin.schema.json", "2026-01"}

    # every file names the schema for editors' tooling, and validates against it
    schema = json.loads((series / "bulletin.schema.json").read_text(encoding="utf-8"))
    for name, kind in (("series.yaml", "Series"), ("recipients.yaml", "Registry")):
        text = (series / name).read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=bulletin.schema.json\n")
        validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{kind}"})
        assert list(validator.iter_errors(safe_load(text))) == [], name
    series_text = (series / "series.yaml").read_text(encoding="utf-8")
    settings = [line for line in series_text.splitlines() if re.match(r"^\s*#?\s*[a-z_]+:", line)]
    # every setting, on or commented out, with a Chinese comment (example values below a key aside)
    assert len(settings) >= 30
    assert [line for line in settings if not line.startswith("#   ") and not re.search(r"#.*[\u4e00-\u9fff]", line)] == []

    _fill_in(series / "2026-01" / "issue.md", "全县防汛工作部署会召开")
    made = run(app, ["new", str(series), "--date", "2026-01-19"])
    assert made.exit_code == 0, made.output
    second = series / "2026-02" / "issue.md"
    text = second.read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=../bulletin.schema.json" in text
    yaml_text, _, _ = split_front_matter(text, second)
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/IssueFrontMatter"})
    assert list(validator.iter_errors(safe_load(yaml_text))) == []
    _fill_in(second, "县委召开一季度经济形势分析会")

    checked = run(app, ["check", str(series), "--strict", "--format", "json"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert (report["errors"], report["warnings"]) == (0, 0), report["problems"]

    built = run(app, ["build", str(series), "-o", str(tmp_path / "out"), "--format", "json"])
    assert built.exit_code == 0, built.output
    result = json.loads(built.stdout)
    assert result["built"] == 2 and all(not i["problems"] for i in result["issues"])
    pdf = tmp_path / "out" / "county-bulletin-2026-2.pdf"
    with pdfplumber.open(io.BytesIO(pdf.read_bytes())) as doc:
        text = "".join("".join((p.extract_text() or "").split()) for p in doc.pages)
    assert "县委工作简报" in text and "县委召开一季度经济形势分析会" in text and "报：上级主管单位" in text


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(app, ["init", str(folder)])
    assert result.exit_code == 2 and "不覆盖" in result.output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert CliRunner().invoke(app, ["init", str(tmp_path / "fresh"), "--date", "2026-03-02"]).exit_code == 0
    _fill_in(tmp_path / "fresh" / "2026-01" / "issue.md", "一篇文章")
    checked = CliRunner().invoke(app, ["check", str(tmp_path / "fresh" / "2026-01")])  # no --publisher given
    assert checked.exit_code == 2 and "编发单位还是 bulletin init 的示例“编发单位名称”" in checked.output
    assert f"{tmp_path / 'fresh' / 'series.yaml'}:7: " in checked.output
    again = CliRunner().invoke(app, ["init", str(tmp_path / "fresh"), "--lang", "en"])
    assert again.exit_code == 2 and "not overwriting" in again.output
