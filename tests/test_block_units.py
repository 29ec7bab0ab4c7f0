"""Unit tests of the block layout pieces: the WeasyPrint grid hooks, picture placement's plan,
paragraph splitting, spot colour rewriting, imposition, the series word list."""
from __future__ import annotations

import io

import pytest

from bulletin.typeset import blocklayout
from bulletin.compose.blocks import split_spans
from bulletin.model import Span
from bulletin.compose.placement import Outline, Plan, Rules, revise


# ---------------------------------------------------------------- blocklayout (WeasyPrint hooks)


def test_grid_hooks_match_the_pinned_weasyprint():
    assert blocklayout.check_internals() == []


def test_grid_hooks_install_once_and_uninstall():
    from weasyprint.layout import block

    was = blocklayout.installed()
    blocklayout.uninstall()
    original = block.block_level_layout
    blocklayout.install()
    blocklayout.install()  # idempotent
    assert block.block_level_layout is blocklayout.snap_block_level_layout
    assert block.block_container_layout is blocklayout.record_page_top
    blocklayout.uninstall()
    assert block.block_level_layout is original
    if was:
        blocklayout.install()


def test_snapped_height_rounds_up_to_the_next_grid_line():
    pitch = 30.0
    assert blocklayout.snapped_height(100, 100 + 95, pitch, 1000) == pytest.approx(25)  # 95 → 120
    assert blocklayout.snapped_height(100, 100 + 118, pitch, 1000) == pytest.approx(32)  # gap < 0.3 pitch: a line more
    assert blocklayout.snapped_height(100, 100 + 120, pitch, 1000) == pytest.approx(30)  # on a line: keep a gap
    assert blocklayout.snapped_height(100, 190, pitch, 205) == pytest.approx(0)  # the next line is past the page


def test_grid_pitch_reads_the_custom_property():
    import tinycss2

    token = tinycss2.parse_component_value_list("28.99pt")[0]
    assert blocklayout.grid_pitch({"__grid_snap": (token,)}) == pytest.approx(28.99 * 4 / 3)
    none = tinycss2.parse_component_value_list("none")[0]
    assert blocklayout.grid_pitch({"__grid_snap": (none,)}) is None
    assert blocklayout.grid_pitch({}) is None


def test_a_table_after_a_picture_returns_to_the_grid(make_issue):
    """A picture and a table of odd heights in a grid layout: the text after each is on the grid."""
    import pdfplumber
    from PIL import Image

    from bulletin.api import render

    from .gridcheck import body_offset, off_grid, rows

    folder = make_issue("## 标题\n\n第一段正文。\n\n![图](images/p.png)\n\n第二段正文。\n\n| 甲 | 乙 |\n|--|--|\n| 1 | 2 |\n\n第三段正文。\n",
                        series="name: 测试简报\npublisher: 测试协会\nlayout_options: {grid: on}\n")
    (folder / "images").mkdir()
    Image.new("RGB", (333, 217), (100, 120, 140)).save(folder / "images" / "p.png")
    with pdfplumber.open(io.BytesIO(render(folder).pdf)) as pdf:
        body = [r for r in rows(pdf) if r.text.endswith("段正文。")]
        pitch = 225 * 72 / 25.4 / 22
        assert len(body) == 3 and off_grid(body, pitch, body_offset(rows(pdf), pitch, 16)) == []


# ---------------------------------------------------------------- placement


def test_split_spans_counts_non_blank_characters():
    spans = [Span(text="甲乙 丙"), Span(text="丁戊", strong=True), Span(text="己")]
    head, tail = split_spans(spans, 4)
    assert [s.text for s in head] == ["甲乙 丙", "丁"] and head[1].strong
    assert [s.text for s in tail] == ["戊", "己"] and tail[0].strong
    assert split_spans(spans, 0)[0] == []


def _measured(room_lines: float, picture_height: float, paragraph_lines: int, pitch: float = 20.0) -> dict:
    """Page 0 ends `room_lines` early; page 1 starts with the picture a0b1, then paragraph a0b2."""
    used = 600 - room_lines * pitch
    lines = [[100 + picture_height + i * pitch, 100 + picture_height + (i + 1) * pitch, 30]
             for i in range(paragraph_lines)]
    return {
        "pitch": pitch,
        "pages": [{"top": 100, "bottom": 600, "used": used, "first": 100},
                  {"top": 100, "bottom": 600, "used": 600, "first": 100}],
        "blocks": {
            "a0b0": [{"page": 0, "top": 100, "bottom": used, "margin_top": 0, "gap_before": 0, "lines": []}],
            "a0b1": [{"page": 1, "top": 100, "bottom": 100 + picture_height, "margin_top": 0, "gap_before": 10,
                      "lines": []}],
            "a0b2": [{"page": 1, "top": 100 + picture_height, "bottom": 100 + picture_height + paragraph_lines * pitch,
                      "margin_top": 0, "gap_before": 0, "lines": lines}],
        },
    }


OUTLINE = Outline([[("a0b0", "paragraph", None), ("a0b1", "figure", 200.0), ("a0b2", "paragraph", None)]])


def test_a_picture_a_little_too_tall_is_scaled_to_the_page_foot():
    plan = revise(Plan(), _measured(room_lines=10, picture_height=220, paragraph_lines=8), OUTLINE, Rules(min_height=50))
    factor = plan.factor("a0b1")
    assert 0.7 <= factor < 1 and 200 * factor + 20 + 10 <= 200 + 1  # picture + caption + gap fit 10 lines


def test_a_picture_far_too_tall_lets_the_text_after_it_flow_up():
    plan = revise(Plan(), _measured(room_lines=4, picture_height=220, paragraph_lines=8), OUTLINE, Rules(min_height=50))
    assert plan.deferral("a0b1") == (0, 4 * 30)  # four lines of the paragraph go before it
    # already placed: nothing more to do for it
    assert revise(plan, _measured(room_lines=4, picture_height=220, paragraph_lines=8), OUTLINE, Rules()) == plan


def test_two_empty_lines_are_left_alone():
    plan = revise(Plan(), _measured(room_lines=2, picture_height=220, paragraph_lines=8), OUTLINE, Rules())
    assert plan == Plan()


def test_a_split_keeps_two_lines_on_each_side():
    # room for 3 lines, the paragraph has 4: 3 + 1 would leave a widow, 2 + 2 is the split
    plan = revise(Plan(), _measured(room_lines=3, picture_height=300, paragraph_lines=4), OUTLINE, Rules(min_height=50))
    assert plan.deferral("a0b1") == (0, 2 * 30)


# ---------------------------------------------------------------- spot colour


def test_recolour_turns_the_masthead_cmyk_into_the_spot_colour():
    from pypdf.generic import FloatObject, NameObject

    from bulletin.output.inks import recolour

    ops = [([NameObject("/DeviceCMYK")], b"cs"), ([FloatObject(0), FloatObject(1), FloatObject(1), FloatObject(0)], b"scn"),
           ([NameObject("/DeviceCMYK")], b"cs"), ([FloatObject(0), FloatObject(0), FloatObject(0), FloatObject(1)], b"scn"),
           ([FloatObject(0), FloatObject(1), FloatObject(1), FloatObject(0)], b"K")]
    out, changed = recolour(ops, (0, 1, 1, 0))
    assert changed == 2
    assert [op for _, op in out] == [b"cs", b"scn", b"cs", b"scn", b"CS", b"SCN"]
    assert out[0][0] == ["/BulletinSpot"] and out[2][0] == ["/DeviceCMYK"]  # black stays black


# ---------------------------------------------------------------- imposition


def test_booklet_sheets_have_marks_outside_the_trim(tmp_path):
    from pypdf import PdfReader, PdfWriter

    from bulletin.distribute.imposition import impose

    writer = PdfWriter()
    for _ in range(5):
        writer.add_blank_page(595.28, 841.89)
    data = io.BytesIO()
    writer.write(data)
    out = PdfReader(io.BytesIO(impose(data.getvalue(), 5, "booklet", marks=True)))
    assert len(out.pages) == 4  # five pages padded to eight: two sheets, two sides each
    page = out.pages[0]
    trim = [float(v) for v in page.trimbox]
    assert trim[2] - trim[0] == pytest.approx(2 * 595.28, abs=0.1)
    marks = page.get_contents().get_data()
    assert marks.count(b" m ") >= 10 and b"1 1 1 1 K" in marks
    plain = PdfReader(io.BytesIO(impose(data.getvalue(), 5, "side-by-side", marks=False)))
    assert len(plain.pages) == 3 and float(plain.pages[0].mediabox.width) == pytest.approx(2 * 595.28, abs=0.1)


# ---------------------------------------------------------------- the series' word list


def test_words_txt_is_read_and_bad_lines_are_reported(tmp_path):
    from bulletin.errors import BulletinError
    from bulletin.source.load import load_series

    series = tmp_path / "s"
    series.mkdir()
    (series / "series.yaml").write_text("name: 简报\npublisher: 协会\nwords: [甲乙丙]\n", encoding="utf-8")
    (series / "words.txt").write_text("# 机构名称\n青山县应急管理局 10 nt\n\n柳河乡\n", encoding="utf-8")
    assert load_series(series).words == ["甲乙丙", "青山县应急管理局", "柳河乡"]
    (series / "words.txt").write_text("好\n", encoding="utf-8")
    with pytest.raises(BulletinError) as err:
        load_series(series)
    assert err.value.problems[0].line == 1 and "2–40" in err.value.problems[0].message
