"""`bulletin check`: lint rules, semantic checks, exit codes and JSON output."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bulletin.api import check
from bulletin.check.lint import findings, fix

from .conftest import SAMPLE, write_issue


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "bulletin.cli", *args], capture_output=True, text=True)


@pytest.mark.parametrize("text, message, replacement", [
    ("中文,English", "半角标点", "，"),
    ("他说:好", "半角标点", "："),
    ("说完了.", "半角句点", "。"),
    ("价格(含税)", "半角括号", "（含税）"),
    ('他说"你好"', "直引号", "“你好”"),
    ("他说'好的'", "直单引号", "‘好的’"),
    ("等等...", "省略号", "……"),
    ("等等。。。", "省略号", "……"),
    ("这是--破折号", "破折号", "——"),
    ("汉字 汉字", "汉字之间有半角空格", "\u3000"),
    ("全角１２３", "全角", "123"),
    ("（未闭合", "不成对", None),
    ("《书名", "不成对", None),
])
def test_lint_rules(text, message, replacement):
    found = findings(f"---\n---\n{text}\n", Path("issue.md"))
    assert len(found) == 1, [f.problem.message for f in found]
    assert message in found[0].problem.message and found[0].replacement == replacement
    assert found[0].line == 3 and found[0].problem.severity == "warning"


@pytest.mark.parametrize("text", ["it's 中文", "Don't 说", "191.55公里", "8:30开始", "见 https://a.example/x?y=1", "a, b", "2021.7", "（魏程明）",
                                  "他说：“好。”", "1,234人次", "IPv6", "5G+工业互联网", "Wi-Fi", "……", "——"])
def test_lint_leaves_good_text_alone(text):
    assert findings(f"---\n---\n## 标题\n\n{text}\n", Path("issue.md")) == []


def test_fix_rewrites_all_mechanical_findings():
    text = '---\nnumber: 1\n---\n\n他说:"你好",再见...价格(含税)。全角１２\n'
    fixed, count = fix(text, Path("issue.md"))
    assert fixed == "---\nnumber: 1\n---\n\n他说：“你好”，再见……价格（含税）。全角12\n"
    assert count == 6
    assert fix(fixed, Path("issue.md")) == (fixed, 0)


def test_sample_is_clean():
    result = check(SAMPLE)
    assert result.errors == [] and result.warnings == []
    assert {p.severity for p in result.problems} <= {"info"}  # two articles without attribution, as printed


def test_duplicate_titles_and_empty_distribution(tmp_path):
    folder = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\ndistribution: {}\n",
                         "## 同一个标题\n\n正文。\n\n## 同一个标题\n\n正文。\n")
    messages = {(p.line, p.message.split("：")[0]) for p in check(folder).errors}
    assert (11, "文章标题重复") in messages
    assert (4, "报送为空") in messages


def test_issue_numbers_in_the_series(tmp_path):
    series = tmp_path / "testseries"
    folder = write_issue(tmp_path, "number: 5\ndate: 2024-03-01\n", "## 标题\n\n正文。\n")
    for name, number, date in [("no1", 1, "2024-01-10"), ("no3", 3, "2024-02-10"), ("old5", 5, "2023-12-10")]:
        (series / name).mkdir(exist_ok=True)
        (series / name / "issue.md").write_text(f"---\nnumber: {number}\ndate: {date}\n---\n\n## t\n\nx\n", encoding="utf-8")
    problems = check(folder).problems
    gap = [p for p in problems if "期号不连续" in p.message]
    assert len(gap) == 1 and gap[0].severity == "warning" and gap[0].line == 2 and "第 4 期" in gap[0].hint
    (series / "no3" / "issue.md").write_text("---\nnumber: 5\ndate: 2024-02-10\n---\n\n## t\n\nx\n", encoding="utf-8")
    duplicate = [p for p in check(folder).errors if "重复" in p.message]
    assert len(duplicate) == 1 and "no3" in duplicate[0].message


def test_cli_exit_codes_and_json(tmp_path):
    assert run_cli("check", str(SAMPLE)).returncode == 0
    warn = write_issue(tmp_path / "w", "number: 1\ndate: 2024-01-15\n", "## 标题\n\n中文,English。\n")
    proc = run_cli("check", str(warn))
    assert proc.returncode == 0 and "警告" in proc.stderr and "issue.md:8" in proc.stderr
    assert run_cli("check", str(warn), "--strict").returncode == 1
    bad = write_issue(tmp_path / "b", "number: 0\ndate: 2024-01-15\n", "## 标题\n\n正文。\n")
    proc = run_cli("check", str(bad), "--format", "json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["errors"] == 1 and data["problems"][0]["line"] == 2 and data["problems"][0]["severity"] == "error"
    assert "greater than or equal" in data["problems"][0]["message_en"]


def test_cli_fix_rewrites_with_backup_and_diff(tmp_path):
    folder = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", '## 标题\n\n他说:"你好",再见...\n')
    target = folder / "issue.md"
    original = target.read_bytes().replace(b"\n", b"\r\n")
    target.write_bytes(b"\xef\xbb\xbf" + original)  # a Windows editor's file
    proc = run_cli("check", str(folder), "--fix")
    assert proc.returncode == 0, proc.stderr
    assert "-他说:\"你好\",再见..." in proc.stdout and "+他说：“你好”，再见……" in proc.stdout
    assert (folder / "issue.md.bak").read_bytes() == b"\xef\xbb\xbf" + original
    fixed = target.read_bytes()
    assert fixed.startswith(b"\xef\xbb\xbf") and b"\r\n" in fixed and "他说：“你好”，再见……".encode() in fixed
    assert "半角" not in run_cli("check", str(folder)).stderr
    run_cli("check", str(folder), "--fix")  # nothing left to fix: no second backup
    assert not (folder / "issue.md.bak2").exists()
