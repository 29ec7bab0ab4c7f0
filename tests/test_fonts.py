"""The fonts of fonts/: manifest, coverage per kind of text, Chinese faces first, line metrics of
the extension faces, and the CSS a FontSet gives WeasyPrint. Coverage is read here with fontTools
directly, not through bulletin.style.fonts, so the two are checked against each other."""
from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from bulletin.style.fonts import FontSet, fonts
from bulletin.style.layout import load_layout
from bulletin.style.repertoire import gb18030_hanzi, in_gb2312, tgh

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "fonts"
MANIFEST = json.loads((FONTS / "manifest.json").read_text(encoding="utf-8"))["fonts"]
BY_ROLE = {entry["role"]: entry for entry in MANIFEST}
LAYOUT = load_layout("jianbao")


@cache
def cmap(role: str) -> frozenset[int]:
    with TTFont(str(FONTS / BY_ROLE[role]["file"]), lazy=True) as font:
        return frozenset(font.getBestCmap())


def test_manifest_names_each_file_with_its_sha256_and_licence():
    for entry in MANIFEST:
        path = FONTS / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], entry["file"]
        assert (FONTS / entry["licence_file"]).is_file(), entry["licence_file"]
    files = {p.name for p in FONTS.glob("*.[ot]tf")}
    assert files == {entry["file"] for entry in MANIFEST}  # no stray font that nothing names


def test_the_table_of_general_standard_characters_is_complete():
    table = tgh()
    assert len(table) == 8105 and sorted(table.values()) == list(range(1, 8106))
    assert table[0x4E00] == 1 and table[0x77D7] == 3500  # 一 first, 矗 last of level 1
    assert sum(1 for cp in table if not in_gb2312(cp)) == 1467
    assert len(gb18030_hanzi()) == 87887


@pytest.mark.parametrize("kind", ["body", "kai", "heading", "title", "masthead", "folio"])
def test_every_chain_prints_every_standard_and_gb18030_character(kind):
    covered = frozenset().union(*(cmap(role) for role in LAYOUT.text_fonts[kind]))
    assert set(tgh()) <= covered
    assert gb18030_hanzi() <= covered, len(gb18030_hanzi() - covered)


@pytest.mark.parametrize("kind, faces, count", [
    ("heading", ("sans", "sans-ext"), 8105),              # 黑体
    ("kai", ("kai", "kai-ext"), 8105),                    # 楷体
    ("title", ("serif-bold", "serif-bold-ext"), 8105),    # 小标宋-style titles
    ("masthead", ("serif-black", "serif-black-ext"), 8105),
    ("body", ("fang",), 6638),                            # 仿宋: GB2312 only — no free 仿宋 has more
])
def test_standard_characters_in_the_style_of_the_text(kind, faces, count):
    assert LAYOUT.text_fonts[kind][:len(faces)] == faces
    style = frozenset().union(*(cmap(role) for role in faces))
    assert len(set(tgh()) & style) == count


JAPANESE = ("rare", "rare-compat")  # the HanaMin subsets


def test_chinese_faces_come_before_the_japanese_oriented_ones():
    """The HanaMin subsets close every chain and have no character a Chinese face of the project
    has, so nothing that exists in a Chinese design prints in Japanese forms."""
    chinese = frozenset().union(*(cmap(role) for role in BY_ROLE if role not in JAPANESE))
    for role in JAPANESE:
        assert not (cmap(role) & chinese), role
    for kind, roles in LAYOUT.text_fonts.items():
        assert roles[-len(JAPANESE):] == JAPANESE, kind


def test_radicals_strokes_and_compatibility_ideographs_print():
    """GB 18030's other CJK characters — radicals, strokes, compatibility ideographs, CJK symbols
    and letters — print in every chain too (but for four Bopomofo letters of Unicode 13)."""
    import unicodedata

    blocks = [(0x2E80, 0x2FDF), (0x2FF0, 0x2FFF), (0x3000, 0x303F), (0x3100, 0x312F), (0x3190, 0x31FF),
              (0x3200, 0x33FF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0x2F800, 0x2FA1F)]
    named = {cp for lo, hi in blocks for cp in range(lo, hi + 1) if unicodedata.name(chr(cp), None)}
    for kind, roles in LAYOUT.text_fonts.items():
        missing = named - frozenset().union(*(cmap(role) for role in roles))
        assert missing <= set(range(0x31BC, 0x31C0)), (kind, sorted(missing)[:10])


def han_baseline(font: TTFont) -> float:
    """What HarfBuzz gives Pango as the Han baseline (BASE icfb, or synthesised), in em."""
    upem = font["head"].unitsPerEm
    if "BASE" in font:
        axis = font["BASE"].table.HorizAxis
        tags = axis.BaseTagList.BaselineTag
        records = {r.BaseScriptTag: r.BaseScript for r in axis.BaseScriptList.BaseScriptRecord}
        values = dict(zip(tags, (c.Coordinate for c in (records.get("hani") or records["DFLT"]).BaseValues.BaseCoord)))
        if "icfb" in values:
            return values["icfb"] / upem
        bottom, top = values["ideo"], values["ideo"] + upem
    else:
        bottom, top = font["hhea"].descent, font["hhea"].ascent
    return (bottom + (top - bottom) / 10) / upem


def metrics(role: str) -> tuple[float, float, float]:
    """(ascent, descent, Han baseline) in em."""
    with TTFont(str(FONTS / BY_ROLE[role]["file"]), lazy=True) as font:
        upem = font["head"].unitsPerEm
        return font["hhea"].ascent / upem, -font["hhea"].descent / upem, han_baseline(font)


HOME = {"serif-ext": "fang", "rare": "fang", "kai-ext": "kai", "sans-ext": "sans",
        "serif-bold-ext": "serif-bold", "serif-black-ext": "serif-black", "serif-misc": "fang", "rare-compat": "fang"}


@pytest.mark.parametrize("role", [r for r, e in BY_ROLE.items() if e.get("lazy")])
def test_an_extension_face_never_makes_a_line_taller(role):
    """Pango moves a run of another font onto the line's Han baseline; moved so, the extension
    face's ascent and descent stay within those of every base face it follows in a chain."""
    ascent, descent, own = metrics(role)
    primaries = {roles[0] for roles in LAYOUT.text_fonts.values() if role in roles}
    assert primaries
    for base in primaries:
        base_ascent, base_descent, baseline = metrics(base)
        shift = baseline - own
        assert ascent + max(shift, 0) <= base_ascent + 1e-9, (role, base)
        assert descent + max(-shift, 0) <= base_descent + 1e-9, (role, base)


@pytest.mark.parametrize("role, tolerance", [("serif-ext", 0.0005), ("rare", 0.0005), ("kai-ext", 0.0005),
                                             ("serif-misc", 0.0005), ("rare-compat", 0.0005),
                                             ("serif-bold-ext", 0.0005), ("serif-black-ext", 0.0005),
                                             ("sans-ext", 0.07)])
def test_a_line_of_extension_characters_sits_like_its_home_face(role, tolerance):
    """WeasyPrint centres a line's text box on ascent − descent: an extension face has that of the
    face it mostly follows (sans-ext cannot quite: it must also fit under 仿宋 in body text)."""
    ascent, descent, _ = metrics(role)
    home_ascent, home_descent, _ = metrics(HOME[role])
    assert abs((ascent - descent) - (home_ascent - home_descent)) <= tolerance


def test_extension_faces_follow_fandolfang_on_its_baseline():
    """The faces that most often follow 仿宋 body text declare its Han baseline: no shift there."""
    with TTFont(str(FONTS / BY_ROLE["fang"]["file"]), lazy=True) as fang:
        target = han_baseline(fang)
    for role in ("serif-ext", "rare", "serif-misc", "rare-compat"):
        with TTFont(str(FONTS / BY_ROLE[role]["file"]), lazy=True) as font:
            assert abs(han_baseline(font) - target) < 0.001, role


def test_derived_subsets_do_not_use_reserved_font_names():
    """LXGW WenKai and HanaMinB are OFL with reserved names: their subsets carry names of their own."""
    for role, reserved in (("kai-ext", ("LXGW", "霞鹜")), ("rare", ("HanaMin", "Hanazono", "花園")),
                           ("rare-compat", ("HanaMin", "Hanazono", "花園"))):
        with TTFont(str(FONTS / BY_ROLE[role]["file"]), lazy=True) as font:
            names = [font["name"].getDebugName(i) or "" for i in (1, 3, 4, 6, 16, 17)]
            assert not any(word in name for name in names for word in reserved), (role, names)


def test_glyphs_in_order_of_use():
    """Extension faces put the 通用规范汉字表 in its order first (after symbols): a bulletin's rare
    names pull only a small prefix of the glyph ids into the PDF."""
    table = tgh()
    with TTFont(str(FONTS / BY_ROLE["kai-ext"]["file"]), lazy=True) as font:
        order = {name: i for i, name in enumerate(font.getGlyphOrder())}
        best = font.getBestCmap()
        ids = [order[best[cp]] for cp in sorted((cp for cp in best if cp in table), key=table.get)]
    assert ids == sorted(ids) and ids[0] < 10


def test_css_names_only_base_faces_unless_a_lazy_face_is_needed():
    css = FontSet().css(LAYOUT.text_fonts)
    assert "--font-body: \"Bulletin Fang\", \"Bulletin Serif\";" in css
    assert "--font-title: \"Bulletin Title\";" in css
    assert not any(f.family in css for f in fonts().values() if f.lazy)
    css = FontSet().css(LAYOUT.text_fonts, {"rare", "serif-ext"})
    assert '--font-body: "Bulletin Fang", "Bulletin Serif Ext", "Bulletin Serif", "Bulletin Rare";' in css
    assert '--font-title: "Bulletin Title", "Bulletin Rare";' in css
    assert css.count("@font-face") == len([f for f in fonts().values() if not f.lazy]) + 2


@pytest.mark.parametrize("text, kind, needed", [
    ("山西通信行业协会 2021 年", "body", set()),
    ("堃喆", "body", {"serif-ext"}),        # GBK, 通用规范, not GB2312: 仿宋 lacks them
    ("𠮷祥", "title", {"serif-bold-ext"}),  # Extension B, in Noto Serif CJK SC
    ("𡔳", "body", {"rare"}),               # Extension B, no Chinese face has it
    ("鿫", "heading", {"sans-ext"}),         # U+9FEB (Unicode 11): only Noto Sans CJK SC
    ("𬭚", "kai", {"kai-ext"}),
    ("⺮", "body", {"serif-misc"}),          # a radical (CJK Radicals Supplement)
    ("\U0002F800", "body", {"rare-compat"}),  # a compatibility ideograph only HanaMinA has
])
def test_faces_needed(text, kind, needed):
    assert FontSet().needed(LAYOUT.text_fonts, [(kind, text)]) == needed


def test_a_layout_naming_an_unknown_font_role_is_refused(tmp_path, monkeypatch):
    import shutil

    import bulletin.style.layout as layout_module
    from bulletin.errors import BulletinError

    folder = tmp_path / "layouts" / "mine"
    shutil.copytree(ROOT / "layouts" / "jianbao", folder)
    manifest = folder / "layout.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("body: [fang,", "body: [fnag,"), encoding="utf-8")
    monkeypatch.setattr(layout_module, "layouts_dir", lambda: tmp_path / "layouts")
    layout_module.load_layout.cache_clear()
    try:
        with pytest.raises(BulletinError) as info:
            layout_module.load_layout("mine")
    finally:
        layout_module.load_layout.cache_clear()
    problem = info.value.problems[0]
    assert problem.file == manifest and "fnag" in problem.message and "fang" in problem.hint
