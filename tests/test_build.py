"""End to end: render issues and read the PDFs back (pdfplumber/pdfminer/pypdf)."""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

import pdfplumber
import pytest
from pypdf import PdfReader

from bulletin.api import build, render

from . import pdfcheck as pc
from .gridcheck import ink_top
from .conftest import SAMPLE


# ---------------------------------------------------------------- the sample


def test_all_pages_are_a4(sample_pdf):
    assert len(sample_pdf.pages) >= 10
    for page in sample_pdf.pages:
        assert abs(float(page.width) - pc.A4[0]) < 0.5 and abs(float(page.height) - pc.A4[1]) < 0.5


def test_every_title_and_sentence_in_order(sample_pdf, expected):
    flow = pc.flow_text(sample_pdf)
    assert pc.find_in_order(flow, expected["paragraphs"]) == []
    assert pc.find_in_order(flow, expected["titles"][:15]) == []  # the 15 article titles, in order
    for item in expected["titles"][15:] + expected["distribution"]:  # section names, recipients
        assert item in flow


def test_every_source_paragraph_in_order(sample_pdf):
    """Each paragraph of issue.md, whole, in source order (not only the reference's sentences)."""
    from bulletin.source.load import load_issue
    from bulletin.model import Paragraph

    paragraphs = [
        "".join(s.text for s in block.content)
        for article in load_issue(SAMPLE).issue.articles()
        for block in article.body if isinstance(block, Paragraph)
    ]
    assert len(paragraphs) > 60
    assert pc.find_in_order(pc.flow_text(sample_pdf), paragraphs) == []


def test_masthead_on_page_one_only_red_and_largest(sample_pdf):
    lines = pc.lines(sample_pdf)
    biggest = max(c["size"] for ln in lines for c in ln.chars)
    top = [ln for ln in lines if ln.size == biggest]
    assert [(ln.page, ln.text) for ln in top] == [(1, "山西通信行业")]
    assert all(pc.is_red(c["non_stroking_color"]) for c in top[0].chars)
    page1 = [ln.text for ln in lines if ln.page == 1]
    assert "第7期" in page1 and any("山西省通信行业协会" in t and "2021年7月30日" in t for t in page1)
    for ln in lines:
        if ln.page > 1:
            assert "山西通信行业" != ln.text and "第7期" != ln.text
    # the red rule across the text block under the masthead
    rules = [r for r in sample_pdf.pages[0].rects + sample_pdf.pages[0].lines
             if pc.is_red(r.get("non_stroking_color") or r.get("stroking_color"))]
    assert any(r["x1"] - r["x0"] > 150 * pc.MM for r in rules)


def test_page_numbers_in_dash_form_on_the_outer_side(sample_pdf):
    lines = pc.lines(sample_pdf)
    for number, page in enumerate(sample_pdf.pages, 1):
        folio = [ln for ln in lines if ln.page == number and ln.top > pc.BLOCK_BOTTOM]
        assert [ln.text for ln in folio] == [f"－{number}－"]
        ln = folio[0]
        assert abs(ln.size - 14) < 0.1
        # GB/T 9704: the dash's ink 7 mm below the text block
        dash = ln.chars[0]
        ink = ink_top(sample_pdf.stream.name, number - 1, (dash["x0"], dash["top"], dash["x1"], dash["bottom"]))
        assert abs(ink - pc.BLOCK_BOTTOM - 7 * pc.MM) < 0.1 * pc.MM
        if number % 2:  # odd: right, one character in
            assert abs(pc.BLOCK_RIGHT - 14 - ln.x1) < 2
        else:  # even: left, one character in
            assert abs(ln.x0 - (pc.BLOCK_LEFT + 14)) < 2


def test_distribution_block_at_the_foot_of_the_last_page(sample_pdf, sample_build):
    lines = [ln for ln in pc.lines(sample_pdf) if ln.top < pc.BLOCK_BOTTOM]  # without page numbers
    last_page = len(sample_pdf.pages)
    dist = [ln for ln in lines if re.match(r"^(报|送|抄送|发)：", ln.text)]
    assert [ln.text for ln in dist] == ["报：中国通信企业协会、山西省民政厅社会组织管理局",
                                        "送：山西省通信管理局领导、各中心、各处室"]
    assert {ln.page for ln in dist} == {last_page}
    others = [ln for ln in lines if ln.page == last_page and ln not in dist]
    assert others, "the last page has text above the block"
    assert max(ln.bottom for ln in others) < min(ln.top for ln in dist)
    # within one body line of the bottom of the text block
    assert pc.BLOCK_BOTTOM - max(ln.bottom for ln in dist) < 22.78
    # between rules: a thick rule above and below, a thin one between the lines
    # the rules, measured on the rendered page in the empty one-character insets at both ends
    rules = pc.horizontal_rules(sample_build.output, last_page - 1, [pc.BLOCK_LEFT + 3, pc.BLOCK_RIGHT - 3])
    rules = [(top, mm) for top, mm in rules if max(ln.bottom for ln in others) < top < pc.BLOCK_BOTTOM + 1]
    assert [mm for _, mm in rules] == pytest.approx([0.35, 0.25, 0.35], abs=0.05)
    assert rules[0][0] < dist[0].top < rules[1][0] < dist[1].top < rules[2][0]


def test_fonts_embedded_subset_and_only_ours(sample_build):
    reader = PdfReader(sample_build.output)
    fonts = {}
    for page in reader.pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values())
    for name in fonts:
        assert re.match(r"^/[A-Z]{6}\+Bulletin-", name), name  # a subset of one of fonts/


def embedded_cff_fonts(path):
    """{base font name: (fontTools TTFont of the embedded program, compressed stream size)}."""
    from io import BytesIO

    from fontTools.ttLib import TTFont

    out = {}
    for page in PdfReader(path).pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            if "/FontFile3" in desc and str(font["/BaseFont"]) not in out:
                stream = desc["/FontFile3"].get_object()
                out[str(font["/BaseFont"])] = (TTFont(BytesIO(stream.get_data())), len(stream._data))
    return out


def test_embedded_cff_fonts_select_glyphs_the_same_in_every_viewer(sample_build):
    """The content stream writes glyph ids as CIDs. Acrobat and Preview select a CID-keyed CFF
    glyph through the font's charset, PDFium and poppler use the code as the glyph id: they agree
    only if every CID equals its glyph id (fonts/ are renumbered so, see tools/build_fonts.py)."""
    fonts = embedded_cff_fonts(sample_build.output)
    assert len(fonts) >= 4
    for name, (font, _) in fonts.items():
        order = font.getGlyphOrder()
        assert hasattr(font["CFF "].cff.topDictIndex[0], "ROS"), name
        assert all(glyph == f"cid{gid:05d}" for gid, glyph in enumerate(order) if gid), name


def test_embedded_subsets_have_no_long_tail_of_empty_glyphs(sample_build):
    """WeasyPrint keeps glyph ids, so a subset holds every id up to the highest one used; with
    common characters first the sample's subsets end below GB2312 level 1 + symbols (~4,100)
    unless a rarer character is used (the sample has a few, e.g. 莅 晔 睿), and the PDF stays small."""
    fonts = embedded_cff_fonts(sample_build.output)
    for name, (font, size) in fonts.items():
        if "Fang" not in name:  # masthead, titles, headers: few glyphs, all common
            assert len(font.getGlyphOrder()) < 4100 and size < 60_000, (name, size)
    assert sample_build.output.stat().st_size < 600_000


def test_no_notdef_glyphs(sample_build):
    notdef, glyphs = pc.count_notdef(sample_build.output)
    assert glyphs > 5000 and notdef == 0


def test_body_text_uses_fangsong_at_the_grid_size(sample_pdf):
    chars = [c for p in sample_pdf.pages for c in p.chars if c["text"].strip()]
    size, _ = Counter(round(c["size"], 1) for c in chars).most_common(1)[0]
    font, _ = Counter(c["fontname"] for c in chars if round(c["size"], 1) == size).most_common(1)[0]
    assert size == 14.0 and font.endswith("Bulletin-Fang")


def test_metadata_bookmarks_and_language(sample_build):
    reader = PdfReader(sample_build.output)
    meta = reader.metadata
    assert meta.title == "山西通信行业 2021年第7期"
    assert meta.author == "山西省通信行业协会"
    assert "高层信息" in meta.subject and "简报" in meta["/Keywords"]
    assert str(reader.trailer["/Root"]["/Lang"]) == "zh-CN"
    assert "/ModDate" not in meta

    def flatten(items):
        for item in items:
            yield from (flatten(item) if isinstance(item, list) else [item])

    titles = [o.title for o in flatten(reader.outline)]
    assert len(titles) == 20
    assert "高层信息" in titles and "组织检验检测业务培训" in titles


def test_no_weasyprint_warnings_and_no_preflight_warnings(sample_build):
    assert sample_build.render_warnings == []
    assert [w for w in sample_build.warnings if w.severity != "info"] == []  # notices: no attribution


def test_same_input_same_bytes(sample_build):
    assert render(SAMPLE).pdf == sample_build.pdf


# ---------------------------------------------------------------- the 报送 block on a full last page


def _dist_and_text(pdf):
    lines = [ln for ln in pc.lines(pdf) if ln.top < pc.BLOCK_BOTTOM]
    dist = [ln for ln in lines if ln.text.startswith(("报：", "送："))]
    return lines, dist


@pytest.mark.parametrize("byline, options", [
    (False, "{body_size: 四号}"),
    (True, "{body_size: 四号}"),  # the last line also holds a floated byline: WeasyPrint once lost it
    (True, "{body_size: 三号, grid: on}"),
])
def test_distribution_moves_to_a_new_page_rather_than_overlap(make_issue, byline, options):
    """Fill the last page line by line: the block stays at the foot, never overlaps text, and
    takes the last lines of text with it when it must move; no line of text is lost."""
    front = ("number: 1\ndate: 2024-01-15\ndistribution:\n  报: [甲单位, 乙单位]\n  送: [丙单位]\n"
             f"layout_options: {options}\n")
    per_line = 28 if "三号" in options else 32
    line = ("这是正好占满一整行的测试文字" * 3)[: per_line - 2]  # with the 2-character indent: one full line
    pages_seen = set()
    first, last_count = (9, 17) if "三号" in options else (16, 26)
    for count in range(first, last_count):
        # with a byline, the last paragraph ends in a short line that the floated byline shares
        ending = line + "财产损失。 （张冰）\n" if byline else line + "\n"
        body = "## 标题\n\n" + "\n\n".join([line] * (count - 1) + [ending])
        result = render(make_issue(body, front))
        with pdfplumber.open(__import__("io").BytesIO(result.pdf)) as pdf:
            lines, dist = _dist_and_text(pdf)
            last = len(pdf.pages)
            assert len(dist) == 2 and {d.page for d in dist} == {last}
            above = [ln for ln in lines if ln.page == last and ln not in dist]
            assert above, f"{count} paragraphs: the block is alone on the last page"
            assert max(ln.bottom for ln in above) < min(d.top for d in dist)
            assert pc.BLOCK_BOTTOM - max(d.bottom for d in dist) < 30
            body_lines = sum(1 for ln in lines if ln.text.startswith(line[:4]))
            assert body_lines == count, f"{count} paragraphs: {body_lines} lines printed"
            if byline:
                assert any(ln.text == "财产损失。（张冰）" for ln in above), f"{count}: the last line is lost"
        pages_seen.add(last)
    assert pages_seen == {1, 2}, "the range must cross the point where the block no longer fits on page 1"


# ---------------------------------------------------------------- writing and the command line


def test_bad_input_never_clobbers_an_existing_pdf(make_issue, tmp_path):
    folder = make_issue("## 标题\n\n正文。\n")
    out = tmp_path / "out"
    first = build(folder, out)
    before = first.output.read_bytes()
    (folder / "issue.md").write_text("---\nnumber: 1\ndate: 2024-13-01\n---\n\n## 标题\n\n正文。\n", encoding="utf-8")
    with pytest.raises(Exception):
        build(folder, out)
    assert first.output.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [first.output.name]  # no temporary files left


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "bulletin.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_builds_and_names_the_file(make_issue, tmp_path):
    folder = make_issue("## 标题\n\n正文。\n")
    proc = run_cli("build", str(folder), "-o", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o" / "testseries-2024-1.pdf").is_file()
    assert "1 页" in proc.stdout


def test_cli_reports_errors_in_chinese_without_traceback(make_issue, tmp_path):
    folder = make_issue("## 标题\n\n正文。\n", front="number: 1\ndate: 2024-01-15\nnumbr: 2\n")
    proc = run_cli("build", str(folder), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "issue.md:4" in proc.stderr and "不认识的设置项" in proc.stderr and "number" in proc.stderr
    assert not (tmp_path / "o").exists()
    proc = run_cli("build", str(folder), "-o", str(tmp_path / "o"), "--lang", "en")
    assert "Extra inputs are not permitted" in proc.stderr and "did you mean number?" in proc.stderr


def test_cli_missing_folder_and_schema(tmp_path):
    proc = run_cli("build", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "不存在" in proc.stderr
    proc = run_cli("schema")
    assert proc.returncode == 0
    import json

    schema = json.loads(proc.stdout)
    assert {"Series", "Issue", "Article", "DistributionLine"} <= set(schema["$defs"])


def test_cli_help_is_bilingual():
    proc = run_cli("build", "--help")
    assert proc.returncode == 0 and "排版" in proc.stdout and "Render" in proc.stdout


def test_font_subset_cache_gives_the_same_bytes(sample_build):
    """A warm re-render (subsets from the cache) equals a render with an empty cache."""
    from bulletin.typeset import speedups

    speedups.clear()
    cold = render(SAMPLE).pdf
    warm = render(SAMPLE).pdf
    assert cold == warm == sample_build.pdf
    assert speedups._cache  # the second render used it
