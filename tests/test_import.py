"""Importing plain text: the reference bulletin's extracted text becomes the sample issue again."""
from __future__ import annotations

import io

import pdfplumber
from typer.testing import CliRunner

from bulletin.api import render
from bulletin.cli import app
from bulletin.load import load_issue

from . import pdfcheck as pc
from .conftest import FIXTURES, SAMPLE


def series_folder(tmp_path):
    series = tmp_path / "shanxi-tongxin"
    series.mkdir()
    (series / "series.yaml").write_bytes((SAMPLE.parent / "series.yaml").read_bytes())
    return series


def test_reference_text_imports_as_the_sample(tmp_path, expected):
    folder = series_folder(tmp_path) / "2021-07"
    result = CliRunner().invoke(app, ["import", str(FIXTURES / "reference.txt"), "--into", str(folder),
                                      "--number", "7", "--date", "2021-07-30"])
    assert result.exit_code == 0, result.output
    assert "按“送”处理" in result.output  # the unlabeled 报送 line is reported with its line
    imported, sample = load_issue(folder).issue, load_issue(SAMPLE).issue
    assert [s.name for s in imported.sections] == [s.name for s in sample.sections]
    assert [(a.kicker, a.title, a.byline) for a in imported.articles()] == \
           [(a.kicker, a.title, a.byline) for a in sample.articles()]
    assert [(d.label, d.recipients) for d in imported.distribution] == [(d.label, d.recipients) for d in sample.distribution]
    with pdfplumber.open(io.BytesIO(render(folder).pdf)) as pdf:
        flow = pc.flow_text(pdf)
        assert pc.find_in_order(flow, expected["paragraphs"]) == []
        assert pc.find_in_order(flow, expected["titles"][:15]) == []
        lines = [ln.text for ln in pc.lines(pdf)]
        assert "报：中国通信企业协会、山西省民政厅社会组织管理局" in lines


def test_gb18030_text_into_an_existing_issue_and_section(tmp_path):
    series = series_folder(tmp_path)
    folder = series / "2021-08"
    CliRunner().invoke(app, ["new", str(series), "--date", "2021-08-30"])
    text = "某公司开展安全检查\n\n近日，某公司组织开展安全生产大检查，对检查发现的问题\n\n立即整改。 （张三）\n"
    source = tmp_path / "article.txt"
    source.write_bytes(text.encode("gb18030"))
    result = CliRunner().invoke(app, ["import", str(source), "--into", str(folder), "--section", "会员消息"])
    assert result.exit_code == 0, result.output
    assert "GBK/GB18030" in result.output
    issue = load_issue(folder).issue
    last = issue.sections[-1]
    assert last.name == "会员消息" and last.articles[-1].title == "某公司开展安全检查"
    assert last.articles[-1].byline == "张三"
    assert "近日，某公司组织开展安全生产大检查，对检查发现的问题立即整改。" == \
        "".join(s.text for s in last.articles[-1].body[0].content)


def test_word_files_get_a_clear_message(tmp_path):
    source = tmp_path / "a.docx"
    source.write_bytes(b"PK")
    result = CliRunner().invoke(app, ["import", str(source), "--into", str(tmp_path / "x")])
    assert result.exit_code == 2 and "另存为" in result.output and "Traceback" not in result.output
