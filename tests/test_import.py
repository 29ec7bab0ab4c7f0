"""Importing plain text: the reference bulletin's extracted text becomes the sample issue again."""
from __future__ import annotations

import io

import pdfplumber
from typer.testing import CliRunner

from bulletin.api import render
from bulletin.cli import app
from bulletin.source.load import load_issue

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
    assert [(d.label, d.recipients) for d in load_issue(folder).distribution] == \
           [(d.label, d.recipients) for d in load_issue(SAMPLE).distribution]  # the sample's come from its registry
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


def make_docx(path, image_path):
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = docx.Document()
    kicker = document.add_paragraph("山西某某通信有限公司")
    kicker.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("扎实推进安全生产标准化建设")
    run.bold, run.font.size = True, Pt(22)
    document.add_paragraph("——在公司安全生产工作会议上的讲话").alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph("")  # empty paragraphs are dropped
    p = document.add_paragraph("\u3000\u3000今年以来，公司")  # full-width spaces as an indent
    p.add_run("坚持安全第一").bold = True
    p.add_run("，全面落实*责任*制度[1]。")
    p.add_run().add_break()  # a manual line break inside the paragraph
    p.add_run("各部门要认真执行。")
    document.add_paragraph("加强隐患排查", style="List Number")
    document.add_paragraph("完善应急预案", style="List Number")
    table = document.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "项目", (0, 1): "完成率", (1, 0): "隐患整改", (1, 1): "100%"}.items():
        table.cell(r, c).text = text
    document.add_picture(str(image_path))
    document.add_paragraph("（安全生产部）")
    document.save(str(path))


def test_word_article_imports_with_nothing_lost(tmp_path):
    from PIL import Image

    from bulletin.model import Figure, ListBlock, Paragraph, Table

    series = series_folder(tmp_path)
    CliRunner().invoke(app, ["new", str(series), "--date", "2021-08-30"])
    folder = series / "2021-08"
    image = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), "green").save(image)
    source = tmp_path / "article.docx"
    make_docx(source, image)
    result = CliRunner().invoke(app, ["import", str(source), "--into", str(folder), "--section", "会员消息"])
    assert result.exit_code == 0, result.output
    article = load_issue(folder).issue.sections[-1].articles[-1]
    assert (article.kicker, article.title, article.subtitle) == (
        "山西某某通信有限公司", "扎实推进安全生产标准化建设", "——在公司安全生产工作会议上的讲话")
    assert article.byline == "安全生产部"
    paragraph = article.body[0]
    assert isinstance(paragraph, Paragraph)
    assert "".join(s.text for s in paragraph.content) == "今年以来，公司坚持安全第一，全面落实*责任*制度[1]。各部门要认真执行。"
    assert [s.text for s in paragraph.content if s.strong] == ["坚持安全第一"]
    lists = [b for b in article.body if isinstance(b, ListBlock)]
    assert lists and lists[0].ordered and ["".join(s.text for s in i) for i in lists[0].items] == ["加强隐患排查", "完善应急预案"]
    table = next(b for b in article.body if isinstance(b, Table))
    assert [c[0].text for c in table.header] == ["项目", "完成率"] and table.rows[0][1][0].text == "100%"
    figure = next(b for b in article.body if isinstance(b, Figure))
    assert (folder / figure.src).read_bytes() == image.read_bytes()
    assert b"%PDF" in render(folder).pdf[:8]
