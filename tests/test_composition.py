"""Chinese line composition (bulletin.typeset): the paragraph breaker, line adjustment, each
WeasyPrint patch, and the targets of issue 12 checked on rendered PDFs with the project's own
checks (typocheck.py: looseness per line, line-end marks, runts, line starts, pitch).
"""
from __future__ import annotations

import inspect
import io
import re
import shutil

import pdfplumber
import pytest

from bulletin.api import render
from bulletin.source.load import load_issue
from bulletin.model import Paragraph
from bulletin.typeset import breaking, justification, paragraph, patches, plan
from bulletin.typeset import punctuation as P

from . import pdfcheck as pc
from . import typocheck
from .conftest import FIXTURES, SAMPLE

HARD = FIXTURES / "hard" / "2024-05"
HARD_BREAKS = FIXTURES / "hard-breaks" / "2024-06"
FEATURES = FIXTURES / "features" / "2024-03"
EM = 16.0


def lines_of(text: str, width_em: float, first_em: float | None = None, **settings) -> list[str]:
    atoms = paragraph.from_text(text, em=EM)
    result = breaking.plan(atoms, (first_em or width_em) * EM, width_em * EM, breaking.Settings(**settings))
    return [text[line.start:line.end + 1] for line in result.lines]


def greedy_lines(text: str, width_em: float) -> list[str]:
    """First fit with the same break rules and no compression: what a line-by-line breaker does."""
    atoms = paragraph.from_text(text, em=EM)
    breaks, _segments = breaking.break_points(atoms, "zh")
    out, start = [], 0
    while start < len(text):
        fits = [e for e in breaks if e >= start and sum(atoms.advance[start:e + 1]) - atoms.trim_right[e] <= width_em * EM]
        end = max(fits) if fits and sum(atoms.advance[start:]) > width_em * EM else len(text) - 1
        out.append(text[start:end + 1])
        start = end + 1
    return out


# ---------------------------------------------------------------------------------------- breaker


def test_total_fit_leaves_no_runt_where_first_fit_does():
    text = "本次会议由协会秘书处组织，全省各会员单位共计一百二十余人参加会议并开展了交流。要求。"
    assert re.fullmatch(r"[\u4e00-\u9fff]。", greedy_lines(text, 20)[-1])  # first fit: a 孤字
    composed = lines_of(text, 20)
    assert len(re.sub(r"[，。]", "", composed[-1])) >= 2
    assert "".join(composed) == text


RUNTY = ("全省通信行业持续推进网络建设与服务提升，行业发展态势良好，各项工作稳步推进，为全省数字经济发展"
         "提供了有力支撑，取得显著成效。")


def test_runt_minimum_is_a_setting():
    assert len(greedy_lines(RUNTY, 30)[-1]) == 2  # first fit: 孤字 “效。”
    for minimum in (2, 3, 4):
        lines = lines_of(RUNTY, 30, runt_min=minimum)
        assert len(re.sub(r"[，。、]", "", lines[-1])) >= minimum, (minimum, lines)
        assert all(len(line) >= 29 for line in lines[:-1])  # by moving a character or two, not by stretching


def test_total_fit_keeps_every_line_near_the_measure():
    """Where first fit pushes a character down and stretches the line a whole em, the paragraph
    breaker moves the break earlier in the paragraph instead (lines stay within 0.05 em)."""
    text = ("协会将继续发挥桥梁纽带作用，为会员单位提供优质服务“建言献策”，推动全省信息通信行业高质量发展，"
            "为数字经济发展贡献力量。")
    atoms = paragraph.from_text(text, em=EM)
    result = breaking.plan(atoms, 16 * EM, 16 * EM, breaking.Settings())
    for line in result.lines[:-1]:
        natural, shrink, as_stretch, opportunities = breaking.totals(atoms, line.start, line.end, breaking.Settings())
        slack = 16 * EM - natural
        assert slack >= -sum(shrink) - 1e-6
        if slack > 0:
            assert slack / opportunities / EM <= 0.05, text[line.start:line.end + 1]


@pytest.mark.parametrize("width", [9, 11, 13, 17])
def test_breaks_follow_kinsoku_and_the_strict_rules(width):
    text = ("他说：“我们要做到‘三个确保’（确保安全、确保畅通）。”会议指出——这是关键……"
            "国际电信联盟秘书长多琳·伯格丹-马丁出席。《通知》（以下简称《通知》）要求，“十四五”期间完成。")
    lines = lines_of(text, width)
    assert "".join(lines) == text
    for a, b in zip(lines, lines[1:]):
        assert b[0] not in breaking.NO_START and b[0] not in "—…·", (a, b)
        assert a[-1] not in breaking.NO_END, (a, b)
        assert a[-1] != "·"  # a foreign name stays on one line


def test_hanging_is_an_option_and_never_on_two_lines_in_a_row():
    text = "、".join(["通信行业协会"] * 30) + "。"
    default = breaking.plan(paragraph.from_text(text, em=EM), 12 * EM, 12 * EM, breaking.Settings())
    assert not any(line.hanging for line in default.lines)
    hung = breaking.plan(paragraph.from_text(text, em=EM), 12 * EM, 12 * EM, breaking.Settings(hanging=True))
    flags = [line.hanging for line in hung.lines]
    assert any(flags)
    assert not any(a and b for a, b in zip(flags, flags[1:]))


def test_an_unbreakable_run_wider_than_the_measure_is_broken_not_overfull():
    text = "账号" + "1234567890" * 6 + "。"
    lines = lines_of(text, 12)
    assert "".join(lines) == text
    for line in lines:
        atoms = paragraph.from_text(line, em=EM)
        assert sum(atoms.advance) - atoms.trim_right[-1] <= 12 * EM + 1e-6, line


def test_long_urls_break_after_a_slash_never_at_a_hyphen():
    assert breaking.url_break("/", "a") and not breaking.url_break("/", "/")
    assert breaking.url_break("g", ".") and not breaking.url_break("-", "t") and not breaking.url_break("t", "-")
    url = "https://www.example.org/reports/annual-report/2024/part-one/chapter-two/index.html"
    lines = lines_of("详见" + url + "。", 14)
    for line in lines[:-1]:
        assert not line.endswith("-"), lines


def test_numbers_keep_their_units_when_they_can():
    text = "全省新建5G基站10.5万个，新增光缆线路4.6万皮长公里，投资3.6亿元，比上年增长17.8%。"
    for width in range(10, 20):
        for a, b in zip(*[iter(lines_of(text, width))] * 2):
            assert not (a[-1].isdigit() and b[0] in "万亿个年"), (width, a, b)


# ---------------------------------------------------------------------------------------- one line


def test_adjacent_marks_share_one_blank_and_the_middle_dot_is_half_width():
    atoms = paragraph.from_text("好。”（注）多琳·伯格丹", em=EM)
    assert atoms.pair[2] == -0.5 * EM  # 。” : the stop gives up its blank
    assert atoms.pair[3] == -0.5 * EM  # ”（
    assert atoms.blank_left[3] == 0  # （ keeps the one blank half left between ” and （
    dot = "好。”（注）多琳·伯格丹".index("·")
    assert atoms.pair[dot] + atoms.pair[dot + 1] + atoms.advance[dot] == pytest.approx(0.5 * EM)


def test_compression_goes_in_order_and_every_place_of_a_kind_alike():
    natural, target = 100.0, 85.0
    shrink = [3.0, 8.0, 16.0, 2.0, 8.0]  # spaces, brackets, 、，；：, Han–Latin, 。？！
    adjustment = justification.solve(natural, target, shrink, 0.0, 10, last=False)
    assert adjustment.shrink[:2] == [1.0, 1.0] and adjustment.shrink[2] == pytest.approx(4 / 16)
    assert adjustment.shrink[3:] == [0.0, 0.0] and adjustment.overfull == 0
    assert justification.line_cost(natural, target, 16, shrink, 0.0, 10, last=False) < justification.INFEASIBLE
    assert justification.line_cost(natural, 60.0, 16, shrink, 0.0, 10, last=False) == justification.INFEASIBLE


def test_stretch_goes_to_han_latin_spaces_first():
    adjustment = justification.solve(90.0, 100.0, [0.0] * 5, 8.0, 20, last=False)
    assert adjustment.autospace_stretch == 1.0 and adjustment.per_opportunity == pytest.approx(0.1)
    assert justification.solve(90.0, 100.0, [0.0] * 5, 8.0, 20, last=True).per_opportunity == 0



def test_latin_letters_are_spaced_only_as_a_last_resort():
    """Up to 0.05 em per opportunity nothing inside a Latin run moves; beyond, the letter gaps
    share what is left, never more than 0.03 em each."""
    em = 16.0
    quiet = justification.solve(90.0, 90.0 + 10 * 0.04 * em, [0.0] * 5, 0.0, 10, last=False, latin_gaps=30, em=em)
    assert quiet.per_latin == 0 and quiet.per_opportunity == pytest.approx(0.04 * em)
    shared = justification.solve(90.0, 90.0 + 10 * 0.06 * em, [0.0] * 5, 0.0, 10, last=False, latin_gaps=30, em=em)
    assert shared.per_opportunity == pytest.approx(0.05 * em + shared.per_latin)
    assert 0 < shared.per_latin <= justification.LATIN_STRETCH_MAX * em
    wide = justification.solve(90.0, 90.0 + 10 * 0.3 * em, [0.0] * 5, 0.0, 10, last=False, latin_gaps=30, em=em)
    assert wide.per_latin == pytest.approx(justification.LATIN_STRETCH_MAX * em)
    assert 10 * wide.per_opportunity + 30 * wide.per_latin == pytest.approx(10 * 0.3 * em)
    cost = [justification.line_cost(90.0, 90.0 + 10 * 0.09 * em, em, [0.0] * 5, 0.0, 10, False, latin_gaps=n)
            for n in (0, 30)]
    assert cost[1] < cost[0]


def test_half_faces_stand_for_their_base_face_marks_only():
    from bulletin.style.fonts import FontSet, fonts, half_face_for

    bundled = fonts()
    body = tuple(font.family for font in FontSet().chain(["fang", "serif-ext", "serif"]))
    assert half_face_for(body, "，") == "Bulletin Fang Half" and half_face_for(body, "“") == "Bulletin Fang Half"
    assert half_face_for(body, "？") is None  # FandolFang's ？ is centred: no blank to give
    assert half_face_for(body, "字") is None
    assert half_face_for(("Bulletin Kai",), "》") == "Bulletin Kai Half"
    assert half_face_for(("Bulletin Serif",), "·") is None  # Noto Serif's · is already narrow
    assert half_face_for(("Some Office Font", "Bulletin Fang"), "，") is None  # not ours: set back instead
    halves = {font.half_of: font for font in bundled.values() if font.half_of}
    assert set(halves) == {"fang", "kai", "serif", "serif-bold", "serif-black", "sans"}
    assert all(not font.lazy for font in halves.values())


# ---------------------------------------------------------------------------------------- patches


def test_every_patch_is_named_documented_and_fingerprinted():
    names = set()
    for patch in patches.PATCHES:
        owner, name = patches.resolve(patch.target)
        replacement = patch.replacement
        names.add(name)
        if inspect.isfunction(replacement):
            assert replacement.__module__ == patches.__name__ and "." not in replacement.__qualname__
            assert replacement.__doc__.startswith(f"Replaces {patch.target.replace(':', '.')} ("), patch.target
            assert "Why:" in replacement.__doc__
        elif replacement is not patches.glyphs.ExactAdjustment:  # a property or a module stand-in
            assert name in replacement.__doc__ or patch.target.replace(":", ".") in replacement.__doc__, patch.target
            assert "Why" in replacement.__doc__, patch.target
        for target, expected in patch.relies_on:
            assert patches.fingerprint(target) == expected, target
    assert {"split_inline_box", "split_text_box", "text_align", "line_box_verticality", "set_text",
            "get_first_line", "int", "block_level_layout", "block_container_layout", "_harfbuzz_subset",
            "original_get_image_from_uri", "get_hb_object_data", "file_content", "pydyf", "find_library",
            "FFI", "subset"} <= names
    assert {patch.group for patch in patches.PATCHES} == {*patches.GROUPS, "import"}


@pytest.fixture
def laid_out():
    """Lay out HTML with the project's fonts and the patches, and give back the pages' line boxes
    of the paragraph with id="p" (and the document)."""
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure import boxes

    from bulletin.style.layout import font_face_css
    from bulletin.typeset import font_config

    def lay(body: str, css: str = ""):
        patches.install()
        patches.new_document()
        config = font_config()
        style = ("@page { size: 200mm 280mm; margin: 20mm } html { font-family: 'Bulletin Fang'; font-size: 16px;"
                 " line-height: 28px; letter-spacing: -0.25px } body { margin: 0 }"
                 " p { text-align: justify; text-indent: 2em; margin: 0 }" + css)
        html = HTML(string=f'<html lang="zh-CN"><body>{body}</body></html>')
        document = html.render(stylesheets=[CSS(string=font_face_css() + style, font_config=config)], font_config=config)

        def walk(box):
            yield box
            for child in getattr(box, "children", ()):
                yield from walk(child)

        found = [b for page in document.pages for b in walk(page._page_box)
                 if isinstance(b, boxes.LineBox) and b.element is not None and b.element.get("id") == "p"]
        return found, document

    return lay


def _text(box) -> str:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        return box.text
    return "".join(_text(child) for child in getattr(box, "children", ()))


SPANNED = "".join(f"<span>{chunk}</span>" if i % 2 else chunk for i, chunk in enumerate(
    re.findall(".{1,3}", "全省通信行业持续推进网络建设与服务提升，行业发展态势良好，各项工作稳步推进，为数字经济发展提供有力支撑，"
               "取得了显著成效。会议要求各单位认真贯彻落实，确保各项任务按期完成。")))


def test_split_inline_box_ends_each_line_where_the_plan_says(laid_out):
    lines, _document = laid_out(f'<p id="p">{SPANNED}</p>')
    assert len(lines) >= 3 and plan.stats["missed"] == 0
    paragraph_, first = lines[0].bulletin_plan
    starts = [line.bulletin_plan[1].start for line in lines]
    atoms = paragraph_.atoms
    measure = 160 * 96 / 25.4
    assert starts == [line.start for line in breaking.plan(
        atoms, measure - 32, measure, breaking.Settings()).lines][:len(starts)]
    assert "".join(_text(line) for line in lines) == "".join(atoms.ch)


def test_split_text_box_cuts_at_the_plan_and_remembers_the_source(laid_out):
    from weasyprint.formatting_structure import boxes

    lines, _document = laid_out(f'<p id="p">{SPANNED}</p>')

    def leaves(box):
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.TextBox):
                yield child
            else:
                yield from leaves(child)

    for line in lines:
        for box in leaves(line):
            source, start = box.bulletin_origin
            assert source.text[start:start + len(box.text)] == box.text


def test_text_align_sets_full_lines_to_the_measure_exactly(laid_out):
    lines, _document = laid_out(f'<p id="p">{SPANNED}</p>')
    measure = 160 * 96 / 25.4
    for line in lines[:-1]:
        assert line.width == pytest.approx(measure, abs=1e-6)
    assert lines[-1].width < measure - 16


def test_line_box_verticality_keeps_the_pitch_with_anchors_and_other_fonts(laid_out):
    body = ('<p id="p">全省通信行业持续推进网络建设与服务提升，行业发展态势良好，'
            '<span style="font-size: 12px; line-height: 1.5; vertical-align: 2px">注</span>各项工作稳步推进，'
            '为数字经济发展提供有力支撑，取得了显著成效。会议要求各单位认真贯彻落实，确保各项任务按期完成，'
            '同比增长±5℃，丰富多彩。</p>')
    lines, _document = laid_out(body)
    tops = [line.position_y for line in lines]
    assert len(set(round(b - a, 6) for a, b in zip(tops, tops[1:]))) == 1
    assert all(line.height == pytest.approx(28) for line in lines)


def _pdf_of(body: str, css: str = "") -> pdfplumber.PDF:
    from bulletin.compose import Composed
    from bulletin.style.layout import font_face_css
    from bulletin.resources import fonts_dir
    from bulletin.typeset import typeset

    style = ("@page { size: 200mm 280mm; margin: 20mm } html { font-family: 'Bulletin Fang'; font-size: 16px;"
             " line-height: 28px; letter-spacing: -0.25px } body { margin: 0 }"
             " p { text-align: justify; text-indent: 2em; margin: 0 }" + css)
    composed = Composed(html=f'<html lang="zh-CN"><body>{body}</body></html>', css=font_face_css() + style)
    return pdfplumber.open(io.BytesIO(typeset(composed, SAMPLE, [], [fonts_dir()]).pdf))


def test_set_text_and_get_first_line_draw_the_computed_advances():
    """A composed line's glyphs land where the composition put them: every full line ends exactly
    at the block edge, each glyph advance (text layer unchanged) as computed, no letter-spacing left."""
    text = "全省通信行业持续推进网络建设与服务提升，行业发展态势良好，各项工作稳步推进，为数字经济发展提供有力支撑，取得了显著成效。"
    pdf = _pdf_of(f"<p>{text}</p>")
    lines = pc.lines(pdf)
    right = (200 - 20) * pc.MM
    assert "".join(ln.text for ln in lines) == text
    for ln in lines[:-1]:
        last = ln.chars[-1]
        end = last["x0"] + (0.5 * last["size"] if last["text"] in P.BLANK_RIGHT_MARKS else last["size"])
        assert end == pytest.approx(right, abs=0.02), ln.text
        steps = [b["x0"] - a["x0"] for a, b in zip(ln.chars, ln.chars[1:]) if a["text"] not in P.BLANK_RIGHT_MARKS]
        assert max(steps) - min(steps) < 0.01  # one spacing for the whole line


def test_set_text_halts_adjacent_marks_in_text_set_by_weasyprint():
    """In text WeasyPrint sets (a title), of two adjacent marks one is drawn half width from its
    face's half-width face — 楷体 too, which has no `halt` of its own."""
    for family in ("Bulletin Fang", "Bulletin Kai"):
        pdf = _pdf_of(f'<h1 style="text-align: center; font-size: 20px; font-family: \'{family}\'">他说：“好。”（注）</h1>')
        chars = pdf.pages[0].chars
        pairs = {a["text"] + b["text"]: (b["x0"] - a["x0"]) / a["size"] for a, b in zip(chars, chars[1:])}
        assert pairs["。”"] == pytest.approx(0.5, abs=0.03) and pairs["”（"] == pytest.approx(0.5, abs=0.03)
        halves = {c["text"]: c["fontname"].split("+")[-1] for c in chars if c["x1"] - c["x0"] < 0.6 * c["size"]}
        assert set(halves) == set("：。”"), halves  # “：“” “。”” “”（”: the first of each pair
        assert all(name.startswith(family.replace(" ", "-") + "-Half") for name in halves.values()), halves


def test_draw_int_is_exact_while_installed():
    from weasyprint.draw import text as draw_text

    patches.install()
    assert draw_text.int is patches.glyphs.ExactAdjustment
    assert f"{draw_text.int(-12.3456)}" == "-12.346"


# ---------------------------------------------------------------------------------------- rendered issues


def _variant(tmp_path_factory, folder, options: str):
    root = tmp_path_factory.mktemp("variant")
    shutil.copytree(folder.parent, root / folder.parent.name)
    issue = root / folder.parent.name / folder.name / "issue.md"
    text = issue.read_text(encoding="utf-8")
    head, sep, rest = text[4:].partition("\n---\n")
    head = "\n".join(line for line in head.splitlines() if not line.startswith("layout_options"))
    issue.write_text(f"---\n{head}\nlayout_options: {options}{sep}{rest}", encoding="utf-8")
    return issue.parent


@pytest.fixture(scope="module")
def documents(sample_build, tmp_path_factory):
    """The sample (四号 and 三号 on the grid), the hard fixtures and the features issue."""
    sources = {"sample": SAMPLE, "grid": _variant(tmp_path_factory, SAMPLE, "{body_size: 三号, grid: on}"),
               "hard": HARD, "hard-breaks": HARD_BREAKS, "features": FEATURES}
    out = {}
    for name, folder in sources.items():
        data = sample_build.pdf if name == "sample" else render(folder).pdf
        out[name] = (folder, data, pdfplumber.open(io.BytesIO(data)))
    yield out
    for _folder, _data, pdf in out.values():
        pdf.close()


@pytest.mark.parametrize("name, limit", [("sample", 0.05), ("grid", 0.05), ("features", 0.05),
                                          ("hard", 0.075), ("hard-breaks", 0.075)])
def test_looseness(documents, name, limit):
    """Full lines are at most 0.05 em loose on the sample, 0.075 em on the hard cases — the
    paragraphs with URLs, e-mail addresses and phone numbers included: an address breaks where
    style guides allow it, or its letters take a little of the slack, rather than a line opening up."""
    _folder, _data, pdf = documents[name]
    figures = typocheck.figures(pdf)
    assert len(figures.looseness) >= (1 if name == "features" else 8)
    assert [(round(v, 3), ln.text) for v, ln in figures.looseness if v > limit] == []
    assert figures.max_loose <= limit


@pytest.mark.parametrize("name", ["sample", "grid", "features", "hard", "hard-breaks"])
def test_line_ends_runts_starts_and_pitch(documents, name):
    _folder, _data, pdf = documents[name]
    figures = typocheck.figures(pdf)
    assert figures.end_marks["full_width_inside"] == 0  # a mark ending a line takes half a character
    assert figures.end_marks["hanging"] == 0  # hanging punctuation is off by default
    assert [ln.text for ln in figures.runts] == []
    assert [ln.text for ln in figures.strict_starts] == []
    assert [(round(d, 2), ln.text) for d, ln in figures.off_pitch] == []
    assert figures.kinsoku == []
    assert figures.pairs_compressed == figures.pairs
    assert [ln.text for ln in figures.mixed_widths] == []  # push-in: every mark of a kind alike
    assert all(abs(w - 0.5) < 0.06 for w in figures.interpunct), figures.interpunct


@pytest.mark.parametrize("name", ["sample", "grid", "features", "hard", "hard-breaks"])
def test_half_width_marks_are_half_width_in_the_pdf(documents, name):
    """Every full line's last glyph box ends at the block edge: a mark ending it is drawn with the
    half-width glyph of its face, whose width in the PDF is the half character it is printed
    with; a mark set half width inside a line does not reach into the next glyph either."""
    _folder, _data, pdf = documents[name]
    figures = typocheck.figures(pdf)
    assert figures.edges and figures.off_edge() == []
    # no further than any glyph does: the layout's negative tracking (−0.18 pt at 四号, −0.21 at 三号)
    assert all(reach < 0.25 for reach, _pair in figures.half_marks), figures.half_marks
    if name != "features":  # (no line of the features issue ends in a mark)
        assert figures.end_marks["trimmed"] > 0
        half_fonts = {c["fontname"].split("+")[-1] for page in pdf.pages for c in page.chars
                      if c["text"] in P.MARKS_WITH_HALF and abs(c["x1"] - c["x0"] - c["size"] / 2) < 0.01}
        assert half_fonts and all(font.endswith("-Half") for font in half_fonts), half_fonts


def test_half_width_glyphs_change_neither_text_nor_ink(sample_build, monkeypatch):
    """The sample drawn with full-width glyphs moved back by their advances (as before the
    half-width faces) and as it is: the same text for pypdf and pdfplumber (no word space read
    into a compressed mark), every glyph's ink at the same place, and only the marks set half
    width changed in the PDF (half a character wide, from a half face)."""
    from pypdf import PdfReader

    from bulletin.typeset import glyphs, lines

    monkeypatch.setattr(glyphs, "half_face_for", lambda families, ch: None)
    monkeypatch.setattr(lines, "half_face_for", lambda families, ch: None)
    before = render(SAMPLE).pdf
    after = sample_build.pdf
    assert before != after
    assert [p.extract_text() for p in PdfReader(io.BytesIO(before)).pages] == \
        [p.extract_text() for p in PdfReader(io.BytesIO(after)).pages]
    changed = 0
    with pdfplumber.open(io.BytesIO(before)) as old, pdfplumber.open(io.BytesIO(after)) as new:
        assert [p.extract_text() for p in old.pages] == [p.extract_text() for p in new.pages]
        for page_old, page_new in zip(old.pages, new.pages):
            assert len(page_old.chars) == len(page_new.chars)
            for a, b in zip(page_old.chars, page_new.chars):
                assert a["text"] == b["text"] and abs(a["top"] - b["top"]) < 0.001
                cut = (a["x1"] - a["x0"]) - (b["x1"] - b["x0"])
                if abs(cut) < 0.001:
                    assert abs(a["x0"] - b["x0"]) < 0.001, a["text"]
                    continue
                changed += 1
                assert b["text"] in P.MARKS_WITH_HALF and abs(cut - a["size"] / 2) < 0.01
                assert b["fontname"].endswith("-Half") and not a["fontname"].endswith("-Half")
                # the outline of an opening mark (and the 间隔号) starts further left in its glyph
                shift = cut if b["text"] in P.OPENING_MARKS else cut / 2 if b["text"] in P.MIDDLE_DOTS else 0.0
                assert abs(b["x0"] - shift - a["x0"]) < 0.001, b["text"]
    assert changed >= 20


@pytest.mark.parametrize("name", ["sample", "grid", "features", "hard", "hard-breaks"])
def test_nothing_leaves_the_block_and_the_text_is_the_source(documents, name):
    folder, _data, pdf = documents[name]
    assert typocheck.overfull(pdf) == []
    starts = [ln.chars[0]["x0"] for ln in pc.lines(pdf) if pc.BLOCK_TOP < ln.top < pc.BLOCK_BOTTOM]
    assert min(starts) >= pc.BLOCK_LEFT - 0.01
    paragraphs = ["".join(s.text for s in block.content) for article in load_issue(folder).issue.articles()
                  for block in article.body if isinstance(block, Paragraph)]
    assert pc.find_in_order(pc.flow_text(pdf), paragraphs) == []


def test_urls_and_mail_addresses_break_only_where_style_guides_allow(documents):
    """An address is kept whole unless that costs a loose line; then it breaks after a slash,
    before a period or an @ (Chicago), never at a hyphen and without adding one — a URL longer than
    the 50 characters kept whole anywhere may, as a last resort, break between two letters."""
    _folder, _data, pdf = documents["hard"]
    assert typocheck.kept_whole(pdf, ["https://www.example.org/5g/report-2024.html"]) == []
    assert typocheck.address_breaks(pdf, ["ops-team@example.org"]) == [("ops-team@example.org", "ops-team",
                                                                        "@example.org")]
    _folder, _data, pdf = documents["hard-breaks"]
    assert typocheck.kept_whole(pdf, ["service@sxca.org.cn", "05021234567890123456789", "0351-1234567"]) == []
    url = "https://www.sxca.org.cn/tzgg/2024/0618/a1b2c3d4e5.html"
    (_run, before, after), = typocheck.address_breaks(pdf, [url])
    assert before and after and "-" not in (before[-1], after[0])
    assert breaking.url_break(before[-1], after[0]) or (before[-1].isalnum() and after[0].isalnum())


def _max_stretch(text: str, width_em: float) -> float:
    """The largest stretch per justification opportunity (em) of the paragraph's full lines."""
    atoms = paragraph.from_text(text, em=EM)
    worst = 0.0
    for line in breaking.plan(atoms, width_em * EM, width_em * EM, breaking.Settings()).lines[:-1]:
        natural, shrink, as_stretch, opportunities = breaking.totals(atoms, line.start, line.end, breaking.Settings())
        slack = width_em * EM - natural - as_stretch
        if slack > 0 and opportunities:
            worst = max(worst, slack / opportunities / EM)
    return worst


def test_url_breaks_are_chosen_only_against_a_loose_line(monkeypatch):
    """An address breaks only where keeping it whole would leave a line looser than ~0.06 em, and
    then only where style guides allow it, four characters of it on each side at least."""
    assert breaking.url_break("/", "w") and breaking.url_break("m", "@") and breaking.url_break("e", ".")
    assert not breaking.url_break("s", "-") and not breaking.url_break("-", "t") and not breaking.url_break("/", "/")
    assert not breaking.url_break(":", "/")  # never between “https:” and “//”
    address = "ops-team@example.org"
    text = "项目联系人的邮箱为" + address + "，服务热线另行通知，请各单位相互转告并及时反馈。"
    broken_at = {}
    for width in range(12, 30):
        lines = lines_of(text, width)
        assert "".join(lines) == text
        if not any(address in line for line in lines):
            broken_at[width] = next(line for line in lines if address.startswith(line[-4:]) or "ops" in line)
    assert broken_at, "some measure needs the break"
    for width in range(12, 30):
        with monkeypatch.context() as m:
            m.setattr(breaking, "url_break", lambda left, right: False)
            breaking.clear()
            whole = _max_stretch(text, width)
        breaking.clear()
        if width in broken_at:
            assert whole > 0.05, (width, whole)  # kept whole, a line would be loose
    atoms = paragraph.from_text("地址" + "https://www.example.org/5g/report-2024.html" + "。", em=EM)
    breaks, _segments = breaking.break_points(atoms, "zh")
    inside = {e: p for e, p in breaks.items() if 2 <= e < 2 + 41}
    chars = "".join(atoms.ch)
    assert inside and all(penalty == breaking.URL_BREAK_PENALTY for _next, penalty in inside.values())
    assert all(breaking.url_break(chars[e], chars[e + 1]) for e in inside)
    assert all(e + 1 - 2 >= breaking.URL_MIN_PART and 2 + 42 - (e + 1) >= breaking.URL_MIN_PART for e in inside)
    assert {chars[2:e + 1] for e in inside} >= {"https://", "https://www", "https://www.example.org/"}


def test_same_input_same_bytes(documents):
    """Warm (measurements and plans kept from the first render) or cold, the same bytes."""
    from bulletin.typeset import measure

    folder, data, _pdf = documents["hard-breaks"]
    assert render(folder).pdf == data
    measure.clear()
    breaking.clear()
    assert render(folder).pdf == data


@pytest.mark.parametrize("options, check", [
    ("{body_size: 四号, hanging: on}", "hanging"),
    ("{body_size: 四号, last_line_min: 4}", "runts"),
    ("{body_size: 四号, line_start_opening: half}", "opening"),
])
def test_layout_options(tmp_path_factory, options, check):
    folder = _variant(tmp_path_factory, SAMPLE, options)
    with pdfplumber.open(io.BytesIO(render(folder).pdf)) as pdf:
        figures = typocheck.figures(pdf)
        if check == "hanging":
            assert figures.end_marks["hanging"] > 0 and figures.consecutive_hanging == 0
        elif check == "runts":
            lasts = [ln for ln in figures.lines if ln.prev and not ln.next]
            assert lasts and all(len(re.findall(r"[\u4e00-\u9fff0-9A-Za-z]", ln.text)) >= 4 or
                                 re.search(r"（[^（）]+）$", ln.text) for ln in lasts)
        else:
            # the opening mark's blank half is gone: drawn with the half-width glyph of its face, its
            # box (and ink) starts at the block edge
            starts = [ln for ln in figures.lines if ln.prev and ln.text[0] in "（“《"]
            assert starts and all(abs(ln.x0 - pc.BLOCK_LEFT) < 0.05 for ln in starts)
            assert all(abs(ln.chars[0]["x1"] - ln.chars[0]["x0"] - 0.5 * ln.size) < 0.01 for ln in starts)


def test_mixed_paragraphs_compose_whole(make_issue):
    """A hard line break, a paragraph in English, emphasis running across lines, a long one: all
    set, the text complete and every full line flush with the block."""
    english = ("The association held its annual meeting in Taiyuan, where members discussed network "
               "security, 5G applications and the digital economy for the coming year. ") * 3
    long = "全省通信行业持续推进网络建设与服务提升，行业发展态势良好，各项工作稳步推进。" * 40
    body = ("## 测试\n\n第一行文字，后面是硬换行。\\\n第二行文字紧接着出现，并且继续写满这一行还要再写一些。\n\n"
            f"{english}\n\n前面的文字**加重的文字跨过行末继续延伸到下一行里面去的一段话**，*楷体强调也一样跨行"
            "出现在段落之中的若干文字*，然后结束。\n\n" + long + "\n")
    folder = make_issue(body)
    result = render(folder)
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        flow = pc.flow_text(pdf)
        for text in ("第一行文字，后面是硬换行。", "第二行文字紧接着出现", "加重的文字跨过行末", long[:200]):
            assert re.sub(r"\s", "", text) in flow
        assert re.sub(r"\s", "", english) in flow
        assert any(ln.text.endswith("硬换行。") for ln in pc.lines(pdf))  # the line ends at the break
        assert typocheck.overfull(pdf) == []
        figures = typocheck.figures(pdf)
        assert figures.max_loose <= 0.05 and figures.runts == []
