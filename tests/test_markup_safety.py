"""What the editor wrote is what prints: markup that would print literally is caught, and what an
editor plainly meant is understood (issue 13, items 6, 9 and 10)."""
from __future__ import annotations

import io

import pypdf
import pytest
from PIL import Image
from typer.testing import CliRunner

from bulletin.api import check, render
from bulletin.cli import app
from bulletin.source.load import load

from .conftest import write_issue

FRONT = "number: 1\ndate: 2024-01-15\ndistribution:\n  报: [上级单位]\n"


@pytest.mark.parametrize("line, words", [
    ("#标题没有空格", "“#”后面没有空格"),
    ("## 正文\n\n##二级也没有", "“#”后面没有空格"),
    ("＃ 全角的井号", "行首的“＃”是全角字符"),
    ("＃＃全角两个", "行首的“＃”是全角字符"),
])
def test_headings_that_print_as_text_are_warned_at_their_line(tmp_path, line, words):
    folder = write_issue(tmp_path, FRONT, f"## 标题\n\n正文。\n\n{line}\n\n（作者）\n")
    found = [p for p in check(folder).warnings if words in p.message]
    assert found and found[0].line == 12 + line.count("\n") and found[0].column == 1


def test_a_hashtag_in_running_text_is_not_a_heading_problem(tmp_path):
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n参加了 #建党百年# 话题讨论。\n\n（作者）\n")
    assert not [p for p in check(folder).problems if "#" in p.message]


def test_an_attribution_on_the_line_below_the_last_paragraph_is_the_attribution(tmp_path):
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n会议要求各单位认真落实，\n确保取得实效。\n（魏程明）\n")
    article = load(folder).bulletin.issue.lead[0]
    assert article.byline == "魏程明"
    assert [s.text for s in article.body[-1].content] == ["会议要求各单位认真落实，确保取得实效。"]


def test_escaped_asterisks_print_and_are_not_unpaired_markup(tmp_path):
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n星号\\*\\*照印，**加粗**也行。\n")
    article = load(folder).bulletin.issue.lead[0]
    assert [(s.text, s.strong) for s in article.body[0].content] == [("星号**照印，", False), ("加粗", True),
                                                                    ("也行。", False)]


def test_a_picture_with_a_chinese_file_name_prints(tmp_path):
    """The README's own example, images/照片.jpg."""
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n\n![现场照片](images/照片.jpg)\n")
    (folder / "images").mkdir()
    Image.new("RGB", (300, 200), "red").save(folder / "images" / "照片.jpg")
    assert check(folder).errors == []
    pdf = pypdf.PdfReader(io.BytesIO(render(folder).pdf))
    assert [image.name for image in pdf.pages[0].images]  # the picture is on page 1
    result = CliRunner().invoke(app, ["html", str(folder), "-o", str(tmp_path / "html")])
    assert result.exit_code == 0 and (tmp_path / "html" / "images" / "照片.jpg").is_file()
