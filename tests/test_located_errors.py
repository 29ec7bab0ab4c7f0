"""Inputs that used to end in “内部错误 / internal error” (issue 13, item 14): each now gives a
located message in Chinese (English with --lang en) and exit code 2, through the real CLI.

More of them live where their subject is tested: YAML keys, nesting and aliases in
test_bad_inputs.py; the output folder and the manifest in test_safety_outputs.py; the send log,
mail templates and recipient names in test_distribute_safety.py; imports and `new` in
test_import_safety.py."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bulletin.cli import app

SERIES = "name: 测试简报\npublisher: 测试协会\n"
ISSUE = "---\nnumber: 1\ndate: 2024-01-15\n---\n\n## 标题\n\n正文。\n"


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    output = result.output
    assert "内部错误" not in output and "internal error" not in output and "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, output


@pytest.fixture
def issue(tmp_path) -> Path:
    folder = tmp_path / "s" / "2024-01"
    folder.mkdir(parents=True)
    (tmp_path / "s" / "series.yaml").write_text(SERIES, encoding="utf-8")
    (folder / "issue.md").write_text(ISSUE, encoding="utf-8")
    return folder


def test_an_issue_folder_that_is_a_symlink_loop(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "series.yaml").write_text(SERIES, encoding="utf-8")
    loop = tmp_path / "s" / "2024-01"
    loop.symlink_to(loop)
    code, output = run("check", str(loop))
    assert code == 2 and "符号链接循环" in output and str(loop) in output
    code, output = run("build", str(loop), "-o", str(tmp_path / "out"), "--lang", "en")
    assert code == 2 and "symbolic link loop" in output


def test_a_picture_that_is_a_symlink_loop(issue):
    (issue / "images").mkdir()
    (issue / "images" / "a.png").symlink_to(issue / "images" / "a.png")
    (issue / "issue.md").write_text(ISSUE + "\n![图](images/a.png)\n", encoding="utf-8")
    code, output = run("check", str(issue))
    assert code == 2 and "issue.md:10:1" in output and "打不开" in output


def test_names_too_long_for_the_file_system(issue, tmp_path):
    long_name = "期" * 200  # 600 bytes: over the 255-byte limit of a file name
    code, output = run("check", str(tmp_path / "s" / long_name))
    assert code == 2 and "名称太长" in output
    code, output = run("build", str(issue), "-o", str(tmp_path / long_name))
    assert code == 2 and "名称太长" in output and not list(tmp_path.glob("期*"))


def test_issue_md_that_cannot_be_read(issue):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    (issue / "issue.md").chmod(0)
    code, output = run("check", str(issue))
    assert code == 2 and "没有权限" in output


def test_a_series_file_that_is_a_folder(tmp_path):
    folder = tmp_path / "s" / "2024-01"
    folder.mkdir(parents=True)
    (tmp_path / "s" / "series.yaml").mkdir()
    (folder / "issue.md").write_text(ISSUE, encoding="utf-8")
    code, output = run("check", str(folder))
    assert code == 2 and "series.yaml" in output


def test_english_messages_stay_english_and_chinese_stay_chinese(issue):
    (issue / "issue.md").write_text(ISSUE.replace("number: 1", "number: 1: 2"), encoding="utf-8")
    code, zh = run("check", str(issue))
    assert code == 2 and "YAML 格式错误：number 的值里有“: ”" in zh and "mapping values" not in zh
    code, en = run("check", str(issue), "--lang", "en")
    assert code == 2 and "the value of number has “: ” (a colon and a space) in it" in en
