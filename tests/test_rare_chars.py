"""Issue 15: every Chinese character prints. tests/fixtures/rare is an issue with every character of
the 通用规范汉字表 outside GB2312 and a sample of Extensions B–F (made by its generate.py), in every
kind of text; it must build with no tofu and no refusal, keep every character in the text layer,
print each in the face the layout's chain gives it, and keep the body text on its grid."""
from __future__ import annotations

import importlib.util
import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pdfplumber
import pytest
from fontTools.ttLib import TTFont

from bulletin.api import build, render
from bulletin.style.fonts import drawn
from bulletin.style.layout import load_layout
from bulletin.source.load import load
from bulletin.check.preflight import texts
from bulletin.style.repertoire import in_gb2312

from . import pdfcheck as pc
from .conftest import SAMPLE

ROOT = Path(__file__).resolve().parents[1]
RARE = ROOT / "tests" / "fixtures" / "rare" / "2024-06"
MANIFEST = {e["role"]: e for e in json.loads((ROOT / "fonts" / "manifest.json").read_text(encoding="utf-8"))["fonts"]}
LAYOUT = load_layout("jianbao")


def _generator():
    spec = importlib.util.spec_from_file_location("rare_generate", RARE.parent / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def cmap(role: str) -> frozenset[int]:
    with TTFont(str(ROOT / "fonts" / MANIFEST[role]["file"]), lazy=True) as font:
        return frozenset(font.getBestCmap())


def expected_family(kind: str, ch: str) -> str:
    """The face the layout's chain gives `ch` in text of `kind`: the first whose cmap has it."""
    role = next(r for r in LAYOUT.text_fonts[kind] if ord(ch) in cmap(r))
    return MANIFEST[role]["family"].replace(" ", "-")


def family_of(fontname: str) -> str:
    """“ABCDEF+Bulletin-Title-Ext-Bold” → “Bulletin-Title-Ext” (WeasyPrint adds the style)."""
    return re.sub(r"-(Bold|Heavy|Black|Medium|Light)$", "", fontname.split("+", 1)[1])


@pytest.fixture(scope="module")
def rare_build(tmp_path_factory):
    return build(RARE, tmp_path_factory.mktemp("rare"))


@pytest.fixture(scope="module")
def rare_chars(rare_build):
    with pdfplumber.open(rare_build.output) as pdf:
        return [dict(c, page=n) for n, page in enumerate(pdf.pages, 1) for c in page.chars]


def test_the_fixture_holds_the_whole_repertoire():
    gen = _generator()
    text = (RARE / "issue.md").read_text(encoding="utf-8")
    assert text == gen.issue_text(), "tests/fixtures/rare/2024-06/issue.md differs from generate.py's output"
    outside = gen.outside_gb2312()
    assert len(outside) == 1467 and all(chr(cp) in text for cp in outside)
    sample = gen.extension_sample()
    assert len(sample) >= 200 and 0x20BB7 in sample and all(chr(cp) in text for cp in sample)
    assert all(0x20000 <= cp <= 0x2EBE0 or 0x9FEB <= cp <= 0x9FEF for cp in sample)


def test_builds_without_tofu_or_refusal(rare_build):
    assert rare_build.render_warnings == []
    assert not [p for p in rare_build.warnings if p.severity == "error"]
    notdef, glyphs = pc.count_notdef(rare_build.output)
    assert glyphs > 2000 and notdef == 0


def test_fallbacks_are_reported_by_character_and_code_point(rare_build):
    fallback = [p for p in rare_build.warnings if "U+20BB7" in p.message_en]
    assert fallback and all("CJK UNIFIED IDEOGRAPH-20BB7" in p.message_en for p in fallback)
    assert any("Noto Serif CJK SC" in p.message_en for p in fallback)
    assert any("HanaMinB" in p.message_en for p in rare_build.warnings)


def test_every_character_is_in_the_text_layer(rare_chars):
    loaded = load(RARE)
    checks_only = {(("masthead",), "body"), (("print_run",), "body")}  # the preflight's stand-ins for template text
    source = {ch for path, kind, text in texts(loaded.bulletin) if (path, kind) not in checks_only
              for ch in text if drawn(ch)}
    printed = {ch for c in rare_chars for ch in c["text"]}  # a glyph may carry several (Noto's one-glyph “——”)
    assert not source - printed, sorted(source - printed)[:20]


def test_each_character_prints_in_the_face_its_chain_gives_it(rare_chars):
    """Characters beyond GB2312 that occur in one kind of text only: every printed instance is in
    the first face of that kind's chain that has it (Chinese faces before HanaMinB, the style's own
    face first); GB2312 characters of the body keep 仿宋."""
    kinds = defaultdict(set)
    for _, kind, text in texts(load(RARE).bulletin):
        for ch in text:
            if drawn(ch):
                kinds[ch].add(kind)
    wrong, seen_families = [], defaultdict(set)
    for c in rare_chars:
        ch = c["text"]
        if len(kinds.get(ch, ())) != 1 or ord(ch) < 0x3000 or in_gb2312(ord(ch)):
            continue
        kind = next(iter(kinds[ch]))
        expected = expected_family(kind, ch)
        seen_families[kind].add(expected)
        if family_of(c["fontname"]) != expected:
            wrong.append((ch, f"U+{ord(ch):04X}", kind, c["fontname"], expected))
    assert not wrong, wrong[:10]
    # the classes the issue names all occur: GB2312 in 仿宋, 通用规范 beyond in Noto Serif, the
    # Extension sample in Noto Serif, Noto Sans, LXGW WenKai and HanaMinB
    assert {"Bulletin-Serif-Ext", "Bulletin-Hei-Ext", "Bulletin-Kai-Ext", "Bulletin-Rare"} <= seen_families["body"]


def test_gb2312_characters_keep_their_face(rare_build):
    """Already covered characters keep 仿宋 next to the rare ones."""
    with pdfplumber.open(rare_build.output) as pdf:
        line = next(ln for ln in pc.lines(pdf) if ln.text.startswith("以下是《通用规范汉字表》"))
    assert {family_of(c["fontname"]) for c in line.chars} == {"Bulletin-Fang"}


@pytest.mark.parametrize("ch, kind, family", [
    ("𠮷", "title", "Bulletin-Title-Ext"), ("𬭚", "heading", "Bulletin-Hei-Ext"),
    ("𠮷", "masthead", "Bulletin-Masthead-Ext"), ("𬭚", "kai", "Bulletin-Kai-Ext"),
    ("堃", "body", "Bulletin-Serif-Ext"), ("𬭚", "body", "Bulletin-Serif-Ext"),
])
def test_names_print_in_the_face_of_their_text(rare_chars, ch, kind, family):
    """𠮷 and 𬭚 occur in several kinds of text; each instance's face matches one of them."""
    assert expected_family(kind, ch) == family
    assert family in {family_of(c["fontname"]) for c in rare_chars if c["text"] == ch}


def test_names_mixed_with_latin_keep_their_order(rare_build):
    with pdfplumber.open(rare_build.output) as pdf:
        flow = pc.flow_text(pdf)
    for needle in ("𠮷祥（JiXiang）、张𬭚（ZhangTang）、李𫖮LiYi与Wang𬘡先生", "𬌗𠮷加粗", "𬭚𫖮强调"):
        assert needle in flow


def test_body_lines_stay_on_the_grid(rare_chars):
    """三号 grid: every line of 16 pt text in the blocks sits a whole number of line pitches (28.99
    pt) below the first of its page, all its faces on one baseline — rare characters of any face,
    at the start of a line or in lines made of them only, and bold text do not move a line: the
    extension faces are built for it and the line composition keeps a line to its paragraph's
    pitch (typeset/lines.verticality)."""
    pitch = 225 * 72 / 25.4 / 22
    masthead = pc.BLOCK_TOP + 7 * pitch  # grid: the masthead takes seven line pitches of page 1
    glyphs = defaultdict(list)  # page → (baseline as PDF y, face)
    for c in rare_chars:
        if abs(c["size"] - 16) < 0.1 and c["top"] < pc.BLOCK_BOTTOM and not (c["page"] == 1 and c["top"] < masthead):
            glyphs[c["page"]].append((c["matrix"][5], family_of(c["fontname"])))
    checked, faces_seen = 0, set()
    for page, items in glyphs.items():
        rows: list[list] = []  # glyphs within 1 pt of each other share a line
        for y, face in sorted(items, reverse=True):
            if rows and rows[-1][0][0] - y < 1:
                rows[-1].append((y, face))
            else:
                rows.append([(y, face)])
        top = rows[0][0][0]
        for row in rows:
            ys = [y for y, _ in row]
            faces = {face for _, face in row}
            assert max(ys) - min(ys) < 0.01, (page, ys)  # the faces of a line share its baseline
            steps = (top - ys[0]) / pitch
            assert abs(steps - round(steps)) * pitch < 0.05, (page, top - ys[0], faces)
            faces_seen |= faces
            checked += 1
    assert checked >= 100, checked
    assert {"Bulletin-Fang", "Bulletin-Hei", "Bulletin-Serif-Ext", "Bulletin-Hei-Ext", "Bulletin-Kai-Ext",
            "Bulletin-Rare"} <= faces_seen


def test_embedded_extension_subsets_keep_cid_equal_to_glyph_id(rare_build):
    from .test_build import embedded_cff_fonts

    fonts = embedded_cff_fonts(rare_build.output)
    assert any("Ext" in name for name in fonts)
    for name, (font, _) in fonts.items():
        order = font.getGlyphOrder()
        assert all(glyph == f"cid{gid:05d}" for gid, glyph in enumerate(order) if gid), name


def test_a_warm_process_renders_the_sample_the_same_after_a_rare_issue(rare_build):
    """The extension faces a rare issue loaded stay in the process's fonts; the sample, which
    needs none, renders to the same bytes before and after."""
    before = render(SAMPLE).pdf
    render(RARE)
    assert render(SAMPLE).pdf == before


def test_variation_selectors_and_the_text_as_typed(make_issue, tmp_path):
    """An ideographic variation sequence (葛 + VS17) and a standardized one print without tofu or
    refusal; the text layer keeps the characters as typed."""
    issue = make_issue("## 标题\n\n葛\U000E0100洪与𠮷\uFE00祥到会。\n")
    result = build(issue, tmp_path / "out")
    assert not [p for p in result.warnings if "U+E0100" in p.message or "U+FE00" in p.message]
    assert pc.count_notdef(result.output)[0] == 0
    with pdfplumber.open(result.output) as pdf:
        text = "".join(c["text"] for p in pdf.pages for c in p.chars)
    assert "葛" in text and "洪与𠮷" in text.replace("\uFE00", "")


def test_numbered_copies_and_the_register_print_rare_names(tmp_path):
    """The copy stamp and the distribution register print the bodies' names: a rare character
    there loads its face too."""
    from bulletin.distribute import distribute

    from .conftest import write_issue

    issue = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", "## 标题\n\n正文。\n")
    (issue.parent / "recipients.yaml").write_text(
        "recipients:\n  - {id: a, name: 𬭚𫖮市通信管理局, category: 报}\n  - {id: b, name: 𡔳县政府, category: 送}\n",
        encoding="utf-8")
    dist = distribute(issue, tmp_path / "dist")
    for path in [*(c.file for c in dist.copies if c.file), dist.files["register"]]:
        assert pc.count_notdef(path)[0] == 0, path.name
    with pdfplumber.open(dist.files["register"]) as pdf:
        text = "".join(c["text"] for p in pdf.pages for c in p.chars)
    assert "𬭚𫖮市通信管理局" in text and "𡔳县政府" in text
