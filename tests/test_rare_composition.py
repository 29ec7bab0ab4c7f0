"""Rare characters in composed lines: characters outside the BMP (4 UTF-8 bytes, one Python
character) and characters of the extension faces (fonts.py: loaded lazily, named in the
var(--font-…) chains) are measured in the face Pango draws them with and drawn at the advances
computed; a space after one is set in the text's own face, never as a .notdef box of an extension
face, which has no space (glyphs.space_runs)."""
from __future__ import annotations

import io
import re

import pdfplumber
import pytest

from bulletin.style.fonts import FontSet, coverage, fonts, lacks_space
from bulletin.style.layout import load_layout
from bulletin.resources import fonts_dir
from bulletin.text import is_cjk
from bulletin.typeset import glyphs, measure, patches
from bulletin.typeset import punctuation as P

from . import pdfcheck as pc
from .conftest import SAMPLE

TEXT_FONTS = load_layout("jianbao").text_fonts
PX = 0.75  # pt per CSS px
EM = 16  # px

# each from a different face of the body chain: Noto Serif CJK SC Ext (𫖮 𬘡 𠮷 堃 喆), HanaMinB
# (𠀁 𠀂), Noto Sans CJK SC Ext (鿫 𠀤), LXGW WenKai (𠀎 𭑵); spaces after each kind
PARAGRAPH = ("李𫖮 Li Yi 与 Wang 𬘡 先生出席会议，𠮷祥同志讲话。𠀁𠀂两字只有明朝体，鿫 𠀤 两字只有黑体，"
             "𠀎 𭑵 两字只有楷体；堃喆与 Zhang 𬭚 都在扩展字体里。全省通信行业持续推进网络建设与服务提升，"
             "𠮷𫖮𬘡𬭚𠀁𠀤𠀎𭑵堃喆，行业发展态势良好，各项工作稳步推进，𠀁与𠀤与𠀎\u3000𭑵并列。")


class Style(dict):
    """What space_runs reads of a computed style."""


def _css(text: str, kind: str = "body") -> str:
    """@font-face rules and var(--font-…) chains with the extension faces `text` needs."""
    fontset = FontSet()
    needed = fontset.needed(TEXT_FONTS, [(kind, text)])
    return fontset.css(TEXT_FONTS, needed)


def _render(body: str, text: str, width_mm: float = 160, kind: str = "body") -> tuple[pdfplumber.PDF, list[str]]:
    from bulletin.compose import Composed
    from bulletin.typeset import typeset

    margin = (200 - width_mm) / 2
    style = (f"@page {{ size: 200mm 280mm; margin: 20mm {margin}mm }} html {{ font-family: var(--font-body);"
             f" font-size: {EM}px; line-height: 28px; letter-spacing: -0.25px }} body {{ margin: 0 }}"
             " p { text-align: justify; text-indent: 2em; margin: 0 } .kai { font-family: var(--font-kai) }")
    composed = Composed(html=f'<html lang="zh-CN"><body>{body}</body></html>', css=_css(text, kind) + style)
    result = typeset(composed, SAMPLE, [], [fonts_dir()])
    return pdfplumber.open(io.BytesIO(result.pdf)), result.warnings


def _family(char: dict) -> str:
    return char["fontname"].split("+", 1)[1]


def _expected_family(ch: str, kind: str = "body") -> str:
    fontset = FontSet()
    return fontset.face_for(fontset.chain(TEXT_FONTS[kind]), ch).family.replace(" ", "-")


def _rows(pdf: pdfplumber.PDF) -> list[list[dict]]:
    """Every drawn character (spaces included) by baseline, top to bottom, left to right."""
    rows: list[list[dict]] = []
    for page in pdf.pages:
        for c in sorted(page.chars, key=lambda c: (-c["matrix"][5], c["x0"])):
            if rows and abs(rows[-1][0]["matrix"][5] - c["matrix"][5]) < 1:
                rows[-1].append(c)
            else:
                rows.append([c])
    return rows


def _han(ch: str) -> bool:
    return is_cjk(ch) and P.kind_of(ch, True) == P.HAN


# ------------------------------------------------------------------------------ units


def test_only_the_extension_faces_lack_a_space():
    """…and the half-width punctuation faces, which draw only the marks the composition sets half
    width (no chain names them)."""
    for font in fonts().values():
        assert lacks_space(font.family) == (font.lazy or bool(font.half_of)), font.family
        assert (0x20 in coverage(font.role)) != (font.lazy or bool(font.half_of))
    assert not lacks_space("Host Font Nobody Has") and not lacks_space("serif")


def test_space_runs_are_byte_ranges_of_whole_characters():
    chain = Style(font_family=("Bulletin Fang", "Bulletin Serif Ext", "Bulletin Serif"))
    text = "李𫖮 Li  Yi\u3000与𬘡\u00a0先生"
    runs = glyphs.space_runs(text, chain)
    encoded = text.encode()
    assert [encoded[s:e].decode() for s, e in runs] == [" ", "  ", "\u3000", "\u00a0"]
    assert runs[0] == (7, 8)  # 李 3 bytes, 𫖮 4 bytes
    # chains whose faces all have a space are left as they were (same bytes as before); a text
    # of spaces only is one run anyway
    assert glyphs.space_runs(text, Style(font_family=("Bulletin Fang", "Bulletin Serif"))) == []
    assert glyphs.space_runs("  ", chain) == []
    assert glyphs.space_runs("𠮷祥", chain) == []


@pytest.fixture(scope="module")
def body_style():
    """The computed style of body text whose chain holds every extension face of the body."""
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure import boxes

    from bulletin.typeset import font_config

    patches.install()
    config = font_config()
    css = CSS(string=_css(PARAGRAPH) + "p { font-family: var(--font-body); font-size: 16px }", font_config=config)
    document = HTML(string='<html lang="zh-CN"><p>字</p></html>').render(stylesheets=[css], font_config=config)

    def walk(box):
        if isinstance(box, boxes.TextBox):
            return box
        for child in getattr(box, "children", ()):
            found = walk(child)
            if found is not None:
                return found
        return None

    style = walk(document.pages[0]._page_box).style
    assert {"Bulletin Serif Ext", "Bulletin Rare", "Bulletin Hei Ext", "Bulletin Kai Ext"} <= set(style["font_family"])
    return style


def _runs(layout) -> list[tuple[str, str, list[int]]]:
    """(text, face, glyph ids) of each Pango run of a layout's first line."""
    from weasyprint.text.ffi import ffi, pango

    encoded = layout.text.encode()
    line, _ = layout.get_first_line()
    out, run = [], line.runs
    while run != ffi.NULL:
        item, glyph_string = run.data.item, run.data.glyphs
        face = ffi.string(pango.pango_font_description_get_family(
            pango.pango_font_describe(item.analysis.font))).decode()
        out.append((encoded[item.offset:item.offset + item.length].decode(), face,
                    [glyph_string.glyphs[k].glyph for k in range(glyph_string.num_glyphs)]))
        run = run.next
    return out


def _declare_describe():
    """pango_font_describe is in bulletin's list of Pango declarations (a prebuilt FFI takes no more)."""
    glyphs._declare_pango()


def test_a_space_after_a_rare_character_is_set_in_the_texts_own_face(body_style):
    """Pango puts a space in the face of the character before it; an extension face has none (a
    .notdef box). With the space in a run of its own it takes the chain's first face with a space."""
    from weasyprint.text.ffi import pango
    from weasyprint.text.line_break import Layout

    _declare_describe()
    layout = Layout(body_style)
    layout.set_text("李𫖮 Li 𠀁 𠀤\u3000𠀎 堃")
    runs = _runs(layout)
    assert "".join(text for text, _, _ in runs) == layout.text
    for text, face, ids in runs:
        assert not any(g & pango.PANGO_GLYPH_UNKNOWN_FLAG for g in ids), (text, face)
        if not text.strip():
            assert face == "Bulletin Fang", repr(text)
    assert {face for _, face, _ in runs} >= {"Bulletin Serif Ext", "Bulletin Rare", "Bulletin Hei Ext", "Bulletin Kai Ext"}


def test_the_measure_gives_a_space_after_a_rare_character_the_width_it_is_drawn_with(body_style):
    fang_space = EM * 333 / 1000  # FandolFang's space: 333 units of 1000
    for text in ("李 Li", "𫖮 Li", "𠀁 Li", "𠀤 Li", "𠀎 Li", "堃 Li"):
        measured = measure.measure(text, body_style)
        assert measured.natural[1] == pytest.approx(fang_space, abs=1e-3), text
        assert measured.natural[0] == pytest.approx(EM, abs=1e-3), text  # one em, astral or not


def test_a_layout_given_another_text_keeps_nothing_of_the_previous_one(body_style):
    """WeasyPrint sets several texts on one layout (a line, then its first part): the runs of
    spaces of the first text must not cut the second one inside its characters."""
    from weasyprint.text.ffi import pango
    from weasyprint.text.line_break import Layout

    _declare_describe()
    layout = Layout(body_style)
    layout.set_text("𫖮 ab 𬭚 cd")
    _runs(layout)
    layout.set_text("𬭚𫖮文字测试")  # the old spaces were at bytes 4, 7 and 12: inside 𫖮 and 字
    runs = _runs(layout)
    assert "".join(text for text, _, _ in runs) == "𬭚𫖮文字测试"
    assert all(not g & pango.PANGO_GLYPH_UNKNOWN_FLAG for _, _, ids in runs for g in ids)
    assert [len(ids) for _, _, ids in runs] == [len(text) for text, _, _ in runs]
    layout.set_text("𬭚 字")  # and a text of its own gets its runs again
    assert [(text, face) for text, face, _ in _runs(layout)] == [
        ("𬭚", "Bulletin Serif Ext"), (" ", "Bulletin Fang"), ("字", "Bulletin Fang")]


# ------------------------------------------------------------------------------ composed lines


@pytest.mark.parametrize("width_mm", [126, 129, 135, 156, 159])
def test_composed_lines_with_astral_and_extension_characters(width_mm):
    """The paragraph at widths where lines start or end with characters outside the BMP: no tofu
    and no warning, the text layer is the source, each character in the face its chain gives it
    and every space in 仿宋, one advance for every pair of Han characters of a line, astral or not
    (nothing drawn over its neighbour, no gap), full lines ending exactly at the block edge, every
    line on the pitch."""
    pdf, warnings = _render(f"<p>{PARAGRAPH}</p>", PARAGRAPH, width_mm)
    assert warnings == []
    rows = _rows(pdf)
    assert len(rows) >= 4
    assert re.sub(r"\s", "", "".join(c["text"] for row in rows for c in row)) == re.sub(r"\s", "", PARAGRAPH)
    for row in rows:
        for c in row:
            if not c["text"].strip():
                assert _family(c) == "Bulletin-Fang", (row[0]["text"], c)
            elif not c["text"].isascii():
                face = _expected_family(c["text"])
                if abs(c["x1"] - c["x0"] - c["size"] / 2) < 0.01 and c["text"] in P.MARKS_WITH_HALF:
                    face += "-Half"  # a mark set half width: its face's half-width glyph
                assert _family(c) == face, c["text"]
    baselines = [row[0]["matrix"][5] for row in rows]
    for above, below in zip(baselines, baselines[1:]):
        assert above - below == pytest.approx(28 * PX, abs=0.01)
    right = (100 + width_mm / 2) * pc.MM
    at_edges = 0
    for number, row in enumerate(rows):
        assert max(c["matrix"][5] for c in row) - min(c["matrix"][5] for c in row) < 0.01
        steps = [b["x0"] - a["x0"] for a, b in zip(row, row[1:]) if _han(a["text"]) and _han(b["text"])]
        assert steps and max(steps) - min(steps) < 0.01, (number, steps)
        assert abs(steps[0] - EM * PX) < 0.1 * EM * PX, steps[0]  # about an em: no overlap, no gap
        for a, b in zip(row, row[1:]):
            assert b["x0"] > a["x0"] + 0.2 * a["size"], (a["text"], b["text"])
        set_ = [c for c in row if c["text"] not in (" ", "\u00a0")]  # word spaces go at line ends
        at_edges += (number > 0 and ord(set_[0]["text"][0]) > 0xFFFF) + (
            number < len(rows) - 1 and ord(set_[-1]["text"][0]) > 0xFFFF)
        if number < len(rows) - 1:
            last = set_[-1]
            if _han(last["text"]):
                assert last["x0"] + last["size"] == pytest.approx(right, abs=0.02), number
            elif last["text"] in P.BLANK_RIGHT_MARKS:  # half a character, its ink inside the edge
                assert last["x0"] + 0.5 * last["size"] == pytest.approx(right, abs=0.02), number
            else:  # a Latin letter: its own advance (no tracking after the last character)
                assert last["text"].isascii() and last["x1"] == pytest.approx(right, abs=0.03), number
    assert at_edges >= 1


def test_rare_characters_in_kai_text_take_the_kai_chain():
    """楷体 text: a rare character is drawn by LXGW WenKai (Kai Ext) when it has it, spaces in 楷体."""
    text = "楷体文字中的 𠮷 与 Zhang 𬭚 一样印出，赟犇调研。"
    pdf, warnings = _render(f'<p class="kai">{text}</p>', text, kind="kai")
    assert warnings == []
    chars = [c for row in _rows(pdf) for c in row]
    for c in chars:
        if not c["text"].strip():
            assert _family(c) == "Bulletin-Kai"
        elif c["text"] in "𠮷𬭚赟犇":
            assert _family(c) == _expected_family(c["text"], "kai") == "Bulletin-Kai-Ext"
