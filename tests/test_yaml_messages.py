"""YAML mistakes editors make, each in Chinese (English with --lang en) at its own line and
column, with a hint: a full-width colon, a tab, a key given twice, an unquoted “: ” in a value;
an impossible date says why."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bulletin.cli import app

SERIES = "id: demo\nname: 测试简报\npublisher: 测试协会\n"


def _issue(tmp_path: Path, front: str) -> Path:
    folder = tmp_path / "demo" / "2024-01"
    folder.mkdir(parents=True)
    (folder.parent / "series.yaml").write_text(SERIES, encoding="utf-8")
    (folder / "issue.md").write_text(f"---\n{front}---\n\n## 标题\n\n正文。\n", encoding="utf-8")
    return folder


# (front matter, file:line:column, Chinese words, hint words, English words, English hint words)
CASES = [
    ("number： 1\ndate: 2024-01-15\n", "issue.md:2:7", "“number”后面用了全角冒号“：”", "number: 1",
     "a full-width colon “：” after “number”", "use an ASCII colon and a space: number: 1"),
    ("date: 2024-01-15\nnumber：7\nprint_run: 5\n", "issue.md:3:7", "全角冒号", "number: 7", "full-width colon", "number: 7"),
    ("number: 1\ndate: 2024-01-15\ndistribution:\n  报：[甲单位]\n", "issue.md:5:4", "“报”后面用了全角冒号", "报: [甲单位]",
     "full-width colon", "报: [甲单位]"),
    ("number: 1\n\tdate: 2024-01-15\n", "issue.md:3:1", "用了 Tab 字符缩进", "把行首的 Tab 换成空格",
     "a tab is used for indentation", "replace the tab"),
    ("number: 1\ndate: 2024-01-15\nnumber: 2\n", "issue.md:4:1", "设置项 number 写了两次（第 2 行已有）", "删去重复的一行",
     "the key number is given twice (first on line 2)", "delete one of the two lines"),
    ("number: 1\ndate: 2024-01-15\neditor_note: 注意: 保存\n", "issue.md:4:16", "editor_note 的值里有“: ”",
     'editor_note: "注意: 保存"', "has “: ” (a colon and a space) in it", 'quote the whole value: editor_note: "注意: 保存"'),
    ("number: 1\ndate: 2024-02-30\n", "issue.md:3:7", "不是有效的日期：2月没有30日（2月只有29天）", "2024-01-15",
     "month 2 has no day 30", "2024-01-15"),
    ("number: 1\ndate: 2023-02-29\n", "issue.md:3:7", "2023年不是闰年，2月没有29日", "2024-01-15",
     "2023 is not a leap year", "2024-01-15"),
    ("number: 1\ndate: 2024-13-01\n", "issue.md:3:7", "没有13月", "2024-01-15", "there is no month 13", "2024-01-15"),
]


@pytest.mark.parametrize("front, where, zh, hint, en, hint_en", CASES, ids=[c[2][:12] for c in CASES])
def test_yaml_mistakes_are_located_and_explained(tmp_path, front, where, zh, hint, en, hint_en):
    folder = _issue(tmp_path, front)
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 2, result.output
    assert f"{folder / where.split(':')[0]}:{where.split(':', 1)[1]}: " in result.output, result.output
    assert zh in result.output and hint in result.output and "Traceback" not in result.output
    english = CliRunner().invoke(app, ["check", str(folder), "--lang", "en"])
    assert english.exit_code == 2
    assert en in english.output and hint_en in english.output, english.output
    assert "错误" not in english.output and "修改建议" not in english.output and "格式错误" not in english.output
