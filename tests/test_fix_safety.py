"""`check --fix` rewrites only prose, and only when the result is no worse (issue 13, item 4)."""
from __future__ import annotations

import re
import shutil

from typer.testing import CliRunner

from bulletin.check import lint
from bulletin.api import check
from bulletin.cli import app

from .conftest import write_issue

FRONT = "number: 1\ndate: 2024-01-15\ndistribution:\n  报: [上级单位]\n"

# Protected text that the rules would otherwise rewrite, and one typo outside it.
PROTECTED_BODY = """## 标题

<!-- 编辑备注：这里的“--”和 a--b 不改，图片 ![图注](images/旧 照片.jpg) 也不改 -->
<!--
  多行注释：中文,逗号 和 (括号) 都不改
-->
地址见 https://example.org/a--b/c,d?x=1 与 <https://example.org/x--y>，邮件 ops--team@example.org 。
代码 `a--b, c:d` 照原样，链接 [说明](https://example.org/p--q) 的地址也是。

正文里的破折号--要改。

（作者甲）
"""


def test_fix_touches_nothing_in_comments_code_urls_and_link_targets(tmp_path):
    folder = write_issue(tmp_path, FRONT, PROTECTED_BODY)
    before = (folder / "issue.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(folder), "--fix"])
    after = (folder / "issue.md").read_text(encoding="utf-8")
    assert "已改正 1 处" in result.output and (folder / "issue.md.bak").is_file(), result.output
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [("正文里的破折号--要改。", "正文里的破折号——要改。")]
    # and `check` does not even warn about the protected text
    assert [p.line for p in check(folder).warnings] == []


def test_fix_on_the_template_of_bulletin_new_changes_nothing(tmp_path):
    series = tmp_path / "demo"
    series.mkdir()
    (series / "series.yaml").write_text("name: 演示\npublisher: 协会\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["new", str(series), "--date", "2024-03-01"]).exit_code == 0
    folder = series / "2024-01"
    text = (folder / "issue.md").read_bytes()
    errors = len(check(folder).errors)
    result = CliRunner().invoke(app, ["check", str(folder), "--fix"])
    assert "已改正" not in result.output
    assert (folder / "issue.md").read_bytes() == text and not list(folder.glob("*.bak*"))
    assert len(check(folder).errors) == errors


def test_a_fix_that_would_add_an_error_writes_nothing(tmp_path, monkeypatch):
    """Whatever a rule does, a result that checks worse is not written (the guard, not the rules)."""
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n第一段,逗号。\n\n（作者甲）\n")
    broken = lint.Rule("test-breaks", re.compile("第一段"), "测试", "test", "", "**第一段")
    monkeypatch.setattr(lint, "RULES", [*lint.RULES, broken])
    text = (folder / "issue.md").read_bytes()
    result = CliRunner().invoke(app, ["check", str(folder), "--fix"])
    assert (folder / "issue.md").read_bytes() == text and not list(folder.glob("*.bak*"))
    assert "加粗标记 ** 没有配对" in result.output and "一处也没有改" in result.output, result.output


def test_a_fix_that_would_change_the_outline_writes_nothing(tmp_path, monkeypatch):
    """“--” under a line makes it a title (a Setext heading): turning it into “——” would merge the
    article into the one before. The underline is not linted, and the outline guard holds even if
    a rule rewrote it."""
    from bulletin.api import fix

    body = "## 甲\n\n甲的正文。\n\n乙篇标题\n--\n\n乙的正文。\n"
    folder = write_issue(tmp_path, FRONT, body)
    assert fix(folder).count == 0
    dash = lint.Rule("test-dash", re.compile(r"^--$"), "测试", "test", "", "——")
    monkeypatch.setattr(lint, "RULES", [*lint.RULES, dash])
    monkeypatch.setattr(lint, "_SKIP_LINE", re.compile(r"^\s*```"))
    result = fix(folder)
    assert result.count >= 1 and result.backup is None
    assert "改变文章的划分" in result.refused[0].message
    assert (folder / "issue.md").read_text(encoding="utf-8").endswith(body)


def test_fix_keeps_bom_and_crlf_and_backs_up(tmp_path):
    from bulletin.api import fix

    folder = write_issue(tmp_path, FRONT, "## 标题\n\n他说:“好”。\n")
    target = folder / "issue.md"
    target.write_bytes(b"\xef\xbb\xbf" + target.read_bytes().replace(b"\n", b"\r\n"))
    original = target.read_bytes()
    result = fix(folder)
    assert result.count == 1 and result.backup.read_bytes() == original
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and "他说：“好”。".encode() in data
    shutil.rmtree(folder)
