"""Nothing printed wrong in silence: what the typeset pages show becomes a located problem
(issue 13, items 7 and 8)."""
from __future__ import annotations

import io

import pdfplumber
import pytest
from PIL import Image
from typer.testing import CliRunner

from bulletin.check import postflight
from bulletin.api import check, render
from bulletin.cli import app
from bulletin.compose import Composed
from bulletin.errors import BulletinError
from bulletin.source.load import load
from bulletin.typeset import typeset

from .conftest import write_issue

FRONT = "number: 1\ndate: 2024-01-15\ndistribution:\n  报: [上级单位]\n"
A4_WIDTH_PT = 595.28


def table(columns: int, cell: str) -> str:
    return ("| " + " | ".join(f"列{i}" for i in range(columns)) + " |\n|" + "--|" * columns + "\n"
            + "| " + " | ".join(cell for _ in range(columns)) + " |\n")


# ---------------------------------------------------------------- item 8: past the page, at its line


def test_a_twelve_column_table_is_never_printed_off_the_page(tmp_path):
    """The auditor's table: either it fits (every character on the paper) or the build fails with
    the table's line — never a PDF with text off the page and exit 0."""
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n\n" + table(12, "1234567.89") + "\n（作者）\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(folder), "-o", str(out)])
    if result.exit_code == 0:
        with pdfplumber.open(next(out.glob("*.pdf"))) as pdf:
            assert max(c["x1"] for p in pdf.pages for c in p.chars) <= A4_WIDTH_PT
    else:
        assert result.exit_code == 2 and "issue.md:12:1" in result.output, result.output
        assert "表格超出纸张边缘约" in result.output and "减少列数" in result.output
        assert not list(out.glob("*.pdf"))


def test_overflow_is_measured_on_the_laid_out_pages(tmp_path):
    """The detection itself, independent of how the layout sizes tables: a table forced wider
    than the page, one just wider than the text block, and text that fits."""
    html = ('<html lang="zh-CN"><body><article class="article"><header><h2>标题</h2></header>'
            '<p>正文。</p><table style="width: 250mm"><tr><td>宽</td></tr></table>'
            '<table style="width: 170mm"><tr><td>略宽</td></tr></table></article></body></html>')
    css = "@page { size: A4; margin: 37mm 26mm 35mm 28mm }"
    result = typeset(Composed(html=html, css=css), tmp_path, [], [])
    records = sorted(result.overflows, key=lambda r: r["place"])
    assert [r["place"] for r in records] == [["block", 0, 1], ["block", 0, 2]]
    assert records[0]["past_page"] > 0 and records[0]["what"] == "table"
    assert records[1]["past_page"] == 0 and 0 < records[1]["past_block"] < 26 / 25.4 * 96


def test_a_table_into_the_margin_is_a_warning_at_its_line(tmp_path, monkeypatch):
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n\n" + table(3, "甲") + "\n（作者）\n")
    loaded = load(folder)
    record = {"place": ["block", 0, 1], "page": 2, "past_block": 40.0, "past_page": 0.0, "below": 0.0, "what": "table"}
    [problem] = postflight.problems([record], [], loaded)
    assert (problem.severity, problem.line, problem.column) == ("warning", 12, 1)
    assert problem.message == "第 2 页：表格伸出版心约 1.1 厘米，印到了页边空白里"


def test_the_sample_and_the_fixtures_have_no_overflow(sample_build):
    assert not [p for p in sample_build.warnings if "版心" in p.message or "纸张边缘" in p.message]


# ---------------------------------------------------------------- item 7: pictures never dropped


def test_a_truncated_jpeg_is_an_error_before_typesetting(tmp_path):
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n\n![现场](images/cut.jpg)\n")
    (folder / "images").mkdir()
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 50).convert("RGB").save(buffer, "JPEG")
    (folder / "images" / "cut.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    [error] = check(folder).errors
    assert (error.line, error.column) == (12, 1) and "文件不完整" in error.message and "灰块" in error.message


def test_a_picture_with_too_many_pixels_is_refused_without_decoding_it(tmp_path):
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n\n![大](images/huge.png)\n")
    (folder / "images").mkdir()
    Image.new("1", (12_000, 9_000)).save(folder / "images" / "huge.png")  # a few KB on disk
    [error] = check(folder).errors
    assert "像素太多（12000×9000）" in error.message and error.line == 12


@pytest.mark.parametrize("svg, words", [
    ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect></svg>', "不是完整的 SVG"),
    ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
     "XML 实体"),
])
def test_broken_svgs_are_errors_before_typesetting(tmp_path, svg, words):
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n\n![图](images/x.svg)\n")
    (folder / "images").mkdir()
    (folder / "images" / "x.svg").write_text(svg, encoding="utf-8")
    [error] = check(folder).errors
    assert words in error.message and error.line == 12


def test_a_picture_weasyprint_cannot_draw_is_an_error_at_its_line_not_left_out(tmp_path):
    """Well-formed SVG that WeasyPrint fails to draw (a <use> that refers to itself): it used to
    be left out of the PDF with its error collected and never shown."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" '
           'height="100"><g id="a"><use xlink:href="#a"/></g></svg>')
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n\n![图一](images/loop.svg)\n\n（作者）\n")
    (folder / "images").mkdir()
    (folder / "images" / "loop.svg").write_text(svg, encoding="utf-8")
    assert check(folder).errors == []  # only the typesetting shows it
    with pytest.raises(BulletinError) as exc:
        render(folder)
    [error] = exc.value.problems
    assert (error.line, error.column) == (12, 1) and "loop.svg 无法排印" in error.message and "漏掉" in error.message
    result = CliRunner().invoke(app, ["build", str(folder), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and not (tmp_path / "out").exists()


def test_other_engine_messages_become_warnings_not_silence(tmp_path):
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n")
    found = postflight.problems([], ["Ignored `foo: bar` at 1:1, unknown property.",
                                     '.notdef glyph rendered for Unicode string unsupported by fonts: "" (U+E000)'],
                                load(folder))
    assert [p.severity for p in found] == ["warning", "warning"]
    assert found[0].message == "排版引擎报告了一个问题" and "unknown property" in found[0].message_en
    assert "U+E000" in found[1].message and "方框" in found[1].message
