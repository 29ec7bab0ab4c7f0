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
    # issue 13: bounded, located, in Chinese
    ("yaml-alias-bomb", issue(FRONT + "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                              "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"), GOOD_SERIES, "issue.md", 5, "不支持 YAML 别名（*a）"),
    ("yaml-deep-nesting", issue(FRONT + "x: " + "[" * 5000 + "]" * 5000 + "\n"), GOOD_SERIES, "issue.md", 4, "层次太深"),
    ("yaml-list-key", issue(FRONT + "[a, b]: 1\n"), GOOD_SERIES, "issue.md", 4, "名称必须是文字"),
    ("yaml-map-key", issue(FRONT + "? {a: 1}\n: 1\n"), GOOD_SERIES, "issue.md", 4, "名称必须是文字"),
    ("yaml-control-character", issue(FRONT + "editor_note: 响\x07铃\n"), GOOD_SERIES, "issue.md", 4, "不能出现的控制字符（U+0007）"),
    ("yaml-colon-in-value", issue("number: 1\ndate: 2024-01-15\neditor_note: 注意: 保存\n"), GOOD_SERIES, "issue.md", 4,
     "editor_note 的值里有“: ”"),
    ("yaml-python-tag", issue(FRONT + "x: !!python/object:os.system ls\n"), GOOD_SERIES, "issue.md", 4, "不支持 YAML 标记"),
    ("series-alias", issue(), GOOD_SERIES + "keywords: &k [甲]\nmasthead: {notice: *k}\n", "series.yaml", 4, "不支持 YAML 别名"),
    ("date-number", issue("number: 1\ndate: 0\n"), GOOD_SERIES, "issue.md", 3, "不是有效的日期"),
    ("number-huge", issue("number: 100000\ndate: 2024-01-15\n"), GOOD_SERIES, "issue.md", 2, "数值太大"),
    ("print-run-huge", issue(FRONT + "print_run: 1000000\n"), GOOD_SERIES, "issue.md", 4, "应不大于 10000"),
    ("series-print-run-huge", issue(), GOOD_SERIES + "print_run: 20000\n", "series.yaml", 3, "数值太大"),
    ("title-5000", issue(body="## " + "标题" * 2500 + "\n\n正文。\n"), GOOD_SERIES, "issue.md", 6, "最多 200 个字"),
    ("kicker-long", issue(body="引题：" + "某" * 300 + "\n## 标题\n\n正文。\n"), GOOD_SERIES, "issue.md", 6, "引题）：太长"),
    ("paragraph-huge", issue(body="## 标题\n\n" + "长" * 10001 + "\n"), GOOD_SERIES, "issue.md", 8, "一段太长"),
    ("table-too-wide", issue(body="## 标题\n\n|" + " a |" * 31 + "\n|" + "--|" * 31 + "\n|" + " 1 |" * 31 + "\n"),
     GOOD_SERIES, "issue.md", 8, "最多 30 项"),
    ("issue-too-big", issue(body="## 标题\n\n" + ("正文。" * 30 + "\n\n") * 4000), GOOD_SERIES, "issue.md", None,
     "文件太大（1.1 MB），上限是 1.0 MB"),
    ("unpaired-strong", issue(body="## 标题\n\n正文**没有配对。\n"), GOOD_SERIES, "issue.md", 8, "加粗标记 ** 没有配对"),
    ("unpaired-strong-title", issue(body="## 标**题\n\n正文。\n"), GOOD_SERIES, "issue.md", 6, "加粗标记 ** 没有配对"),
    ("image-with-space", issue(body="## 标题\n\n![现场照片](images/my article-1.png)\n"), GOOD_SERIES, "issue.md", 8,
     "图片写法没有被识别"),
    ("image-chinese-missing", issue(body="## 标题\n\n![图](images/不存在.jpg)\n"), GOOD_SERIES, "issue.md", 8,
     "找不到图片 images/不存在.jpg"),
    ("comment-unclosed", issue(body="## 标题\n\n正文。\n\n<!-- 编辑的私人备注\n"), GOOD_SERIES, "issue.md", 10, "注释没有结束"),
    ("comment-stray-end", issue(body="## 标题\n\n正文。——>\n\n-->\n"), GOOD_SERIES, "issue.md", 10, "多出一个注释结束标记"),
    ("template-placeholder", issue(body="# 栏目名\n\n## 文章标题\n\n第一段正文。\n\n（作者）\n"), GOOD_SERIES, "issue.md", 6,
     "模板里的示例栏目“栏目名”还没有替换"),
    ("recipient-newline", issue(FRONT + "distribution:\n  报: [\"甲单位\\n乙单位\"]\n"), GOOD_SERIES, "issue.md", 5, "不能换行"),
    ("series-name-newline", issue(), "name: \"测试\\n简报\"\npublisher: 测试协会\n", "series.yaml", 1, "不能换行"),
    ("issue-md-is-a-folder", None, GOOD_SERIES, "issue.md", None, "没有 issue.md"),
    ("table-cells", issue(body="## 标题\n\n|" + " a |" * 10 + "\n|" + "--|" * 10 + "\n" + ("|" + " 1 |" * 10 + "\n") * 1001),
     GOOD_SERIES, "issue.md", 8, "表格太大：本期表格合计 10020 个单元格"),
]


@pytest.mark.parametrize("case, text, series, file, line, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, case, text, series, file, line, words):
    folder = tmp_path / "s" / "2024-01"
    folder.mkdir(parents=True)
    if series is not None:
        (folder.parent / "series.yaml").write_text(series, encoding="utf-8")
    if text is None:
        (folder / "issue.md").mkdir()
    else:
        (folder / "issue.md").write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    (folder / "images").mkdir()
    (folder / "images" / "fake.png").write_bytes(b"not a picture")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(folder), "-o", str(out)])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 2, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output and "内部错误" not in output and "internal error" not in output
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
