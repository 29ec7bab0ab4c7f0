"""A corpus of bad inputs: each ends with its intended message, file and line, exit code 2, no
traceback and no PDF written (through the real CLI, run in-process)."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bulletin.cli import app

GOOD_SERIES = "name: 测试简报\npublisher: 测试协会\n"
FRONT = "number: 1\ndate: 2024-01-15\n"
BODY = "## 标题\n\n正文。\n"


def issue(front: str = FRONT, body: str = BODY) -> str:
    return f"---\n{front}---\n\n{body}"


# (case, issue.md text or bytes, series.yaml text or None for none, file with the error, line, words)
CASES = [
    ("no-front-matter", "## 标题\n\n正文。\n", GOOD_SERIES, "issue.md", 1, "YAML 前言"),
    ("unclosed-front-matter", "---\nnumber: 1\n\n## 标题\n", GOOD_SERIES, "issue.md", 1, "YAML 前言"),
    ("yaml-syntax", issue("number: [1\ndate: 2024-01-15\n"), GOOD_SERIES, "issue.md", 3, "YAML 格式错误"),
    ("yaml-tab", issue("number: 1\n\tdate: 2024-01-15\n"), GOOD_SERIES, "issue.md", 3, "YAML 格式错误"),
    ("duplicate-key", issue("number: 1\nnumber: 2\ndate: 2024-01-15\n"), GOOD_SERIES, "issue.md", 3, "YAML"),
    ("unknown-key", issue(FRONT + "print_rn: 100\n"), GOOD_SERIES, "issue.md", 4, "不认识的设置项"),
    ("missing-number", issue("date: 2024-01-15\n"), GOOD_SERIES, "issue.md", 2, "缺少必填项"),
    ("number-zero", issue("number: 0\ndate: 2024-01-15\n"), GOOD_SERIES, "issue.md", 2, "数值太小"),
    ("number-text", issue("number: 第七\ndate: 2024-01-15\n"), GOOD_SERIES, "issue.md", 2, "应为整数"),
    ("date-feb-30", issue("number: 1\ndate: 2024-02-30\n"), GOOD_SERIES, "issue.md", 3, "不是有效的日期"),
    ("date-slashes", issue("number: 1\ndate: 2024/01/15\n"), GOOD_SERIES, "issue.md", 3, "不是有效的日期"),
    ("total-negative", issue(FRONT + "total_number: -5\n"), GOOD_SERIES, "issue.md", 4, "数值太小"),
    ("print-run-zero", issue(FRONT + "print_run: 0\n"), GOOD_SERIES, "issue.md", 4, "数值太小"),
    ("distribution-label", issue(FRONT + "distribution:\n  转: [甲]\n"), GOOD_SERIES, "issue.md", 5, "取值不在允许范围内"),
    ("distribution-no-names", issue(FRONT + "distribution:\n  报: []\n"), GOOD_SERIES, "issue.md", 5, "不能为空"),
    ("distribution-empty", issue(FRONT + "distribution: {}\n"), GOOD_SERIES, "issue.md", 4, "报送为空"),
    ("sections-in-front", issue(FRONT + "sections: []\n"), GOOD_SERIES, "issue.md", 4, "不能写在前言里"),
    ("text-before-title", issue(body="开头的一段。\n\n## 标题\n\n正文。\n"), GOOD_SERIES, "issue.md", 6, "第一篇文章标题之前"),
    ("empty-article", issue(body="## 标题\n\n正文。\n\n## 空的\n"), GOOD_SERIES, "issue.md", 10, "没有正文"),
    ("empty-section", issue(body="# 栏目甲\n\n# 栏目乙\n\n## 标题\n\n正文。\n"), GOOD_SERIES, "issue.md", 6, "不能为空"),
    ("no-articles", issue(body="\n"), GOOD_SERIES, "issue.md", 5, "没有文章"),
    ("missing-title", issue(body="## \n\n正文。\n"), GOOD_SERIES, "issue.md", 6, "title（标题）：不能为空"),
    ("kicker-without-title", issue(body="## 标题\n\n正文。\n\n引题：某局\n\n# 栏目\n"), GOOD_SERIES, "issue.md", 10, "引题后面没有文章标题"),
    ("empty-kicker", issue(body="## 标题\n\n引题：\n\n正文。\n"), GOOD_SERIES, "issue.md", 8, "引题是空的"),
    ("subtitle-in-body", issue(body="## 标题\n\n正文。\n\n副题：——讲话\n"), GOOD_SERIES, "issue.md", 10, "副题应紧跟在标题下面"),
    ("indented-code", issue(body="## 标题\n\n正文。\n\n    缩进四格\n"), GOOD_SERIES, "issue.md", 10, "不支持的 Markdown 结构"),
    ("fenced-code", issue(body="## 标题\n\n```\n代码\n```\n"), GOOD_SERIES, "issue.md", 8, "不支持的 Markdown 结构"),
    ("blockquote", issue(body="## 标题\n\n> 引用\n"), GOOD_SERIES, "issue.md", 8, "不支持的 Markdown 结构"),
    ("nested-list", issue(body="## 标题\n\n- 甲\n  - 乙\n"), GOOD_SERIES, "issue.md", 9, "不支持嵌套列表"),
    ("image-missing", issue(body="## 标题\n\n![图](images/none.png)\n"), GOOD_SERIES, "issue.md", 8, "找不到图片"),
    ("image-outside", issue(body="## 标题\n\n![图](../../x.png)\n"), GOOD_SERIES, "issue.md", 8, "期刊文件夹以外"),
    ("image-absolute", issue(body="## 标题\n\n![图](/etc/passwd)\n"), GOOD_SERIES, "issue.md", 8, "不是期刊文件夹里的文件"),
    ("image-remote", issue(body="## 标题\n\n![图](https://example.org/a.png)\n"), GOOD_SERIES, "issue.md", 8, "不是期刊文件夹里的文件"),
    ("image-not-image", issue(body="## 标题\n\n![图](images/fake.png)\n"), GOOD_SERIES, "issue.md", 8, "不是能用的图片"),
    ("image-inline", issue(body="## 标题\n\n文字 ![图](images/fake.png) 文字\n"), GOOD_SERIES, "issue.md", 8, "单独成段"),
    ("duplicate-titles", issue(body="## 同名\n\n正文。\n\n## 同名\n\n正文。\n"), GOOD_SERIES, "issue.md", 10, "文章标题重复"),
    ("glyph-missing", issue(body="## 标题\n\n表情😀不能印。\n"), GOOD_SERIES, "issue.md", 8, "文章《标题》中：字符 “😀”（U+1F600"),
    ("gbk-file", issue(body="## 标题\n\n正文。\n").encode("gbk"), GOOD_SERIES, "issue.md", 6, "不是 UTF-8 编码"),
    ("series-missing", issue(), None, "series.yaml", None, "找不到刊物设置文件"),
    ("series-unknown-key", issue(), GOOD_SERIES + "publsher: 甲\n", "series.yaml", 3, "是不是要写 publisher"),
    ("series-bad-id", issue(), GOOD_SERIES + "id: 中文名\n", "series.yaml", 3, "格式不对"),
    ("unknown-layout", issue(), GOOD_SERIES + "layout: nosuch\n", None, None, "没有名为 nosuch 的版式"),
    ("layout-option", issue(), GOOD_SERIES + "layout_options: {body_size: 五号}\n", "series.yaml", None, "不能取 五号"),
]


@pytest.mark.parametrize("case, text, series, file, line, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, case, text, series, file, line, words):
    folder = tmp_path / "s" / "2024-01"
    folder.mkdir(parents=True)
    if series is not None:
        (folder.parent / "series.yaml").write_text(series, encoding="utf-8")
    (folder / "issue.md").write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    (folder / "images").mkdir()
    (folder / "images" / "fake.png").write_bytes(b"not a picture")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(folder), "-o", str(out)])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 2, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert words in output, output
    if file:
        where = f"{file}:{line}" if line else file
        assert where in output, output
    assert not out.exists() or not any(out.iterdir())


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("text, where", [
    (issue(FRONT + "print_rn: 100\n"), "issue.md:4:1:"),                       # the key
    (issue(FRONT + "distribution:\n  转: [甲]\n"), "issue.md:5:3:"),           # the nested key
    (issue("number: [1\ndate: 2024-01-15\n"), "issue.md:3:5:"),                # where YAML stopped
    (issue(body="## 标题\n\n正文。\n\n    缩进四格\n"), "issue.md:10:5:"),      # the block's first character
    (issue(body="## 标题\n\n表情是😀。\n"), "issue.md:8:4:"),                  # the character itself
])
def test_errors_name_the_column(tmp_path, text, where):
    folder = tmp_path / "s" / "2024-01"
    folder.mkdir(parents=True)
    (folder.parent / "series.yaml").write_text(GOOD_SERIES, encoding="utf-8")
    (folder / "issue.md").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 2 and where in result.output, result.output
