"""Issue 15: the office's own fonts. A series names font files per role in series.yaml; they print
what they have, the bundled faces the rest; the preflight reports what falls back; the PDF and the
build summary record which files (name + SHA-256) printed it; a file that is not a usable font is
refused at its line. The test font is made here with fontTools (boxes, not a real typeface)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from bulletin.api import build, export_html, render
from bulletin.batch import input_digest
from bulletin.cli import app
from bulletin.errors import BulletinError

from . import pdfcheck as pc
from .conftest import SAMPLE, write_issue

OWN = "测试简报正文第期协会"  # the characters the test font has


def make_font(path: Path, chars: str, family: str = "Office Test Fang") -> Path:
    """A TrueType font whose glyphs are boxes, for `chars` (and the space)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = {ord(c): f"uni{ord(c):04X}" for c in chars}
    order = [".notdef", "space", *names.values()]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({32: "space", **names})
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        if name != "space":  # a frame: an outer square clockwise, an inner one counter-clockwise
            for contour in (((80, -60), (80, 780), (920, 780), (920, -60)),
                            ((200, 60), (800, 60), (800, 660), (200, 660))):
                pen.moveTo(contour[0])
                for point in contour[1:]:
                    pen.lineTo(point)
                pen.closePath()
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (1000, 0) for name in order})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    path.parent.mkdir(parents=True, exist_ok=True)
    builder.save(str(path))
    return path


SERIES = "name: 测试简报\npublisher: 测试协会\nlayout_options: {body_size: 三号}\n"
BODY = "## 标题\n\n测试正文，𠮷祥与堃。\n"


@pytest.fixture
def office(tmp_path):
    """A series whose 仿宋 is the office's own file (inside the series folder)."""
    issue = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", BODY,
                        SERIES + "fonts:\n  仿宋: fonts/office-fang.ttf\n")
    font = make_font(issue.parent / "fonts" / "office-fang.ttf", OWN)
    return issue, font


def test_the_office_font_prints_what_it_has_and_the_bundled_faces_the_rest(office, tmp_path):
    issue, font = office
    sha = hashlib.sha256(font.read_bytes()).hexdigest()
    result = build(issue, tmp_path / "out")
    with pdfplumber.open(result.output) as pdf:
        faces = {}
        for c in pdf.pages[0].chars:
            faces.setdefault(c["text"], set()).add(c["fontname"].split("+")[1])
    own = f"Bulletin-User-{sha[:12]}"
    for ch in "正文":  # body text only
        assert faces[ch] == {own}, ch
    assert own in faces["测"] and "Bulletin-Masthead-Heavy" in faces["测"]  # the masthead keeps its face
    assert faces["，"] == {"Bulletin-Fang"}          # the bundled 仿宋 behind it
    assert faces["𠮷"] == {"Bulletin-Serif-Ext"} and faces["堃"] == {"Bulletin-Serif-Ext"}
    assert pc.count_notdef(result.output)[0] == 0
    # which file printed it: in the PDF's metadata and in the result
    info = PdfReader(result.output).metadata
    assert info["/bulletinfonts"] == f"fang=office-fang.ttf sha256:{sha}"
    assert result.fonts == [{"role": "fang", "file": str(font.resolve()), "name": "office-fang.ttf", "sha256": sha}]
    # the preflight says which characters the office's font lacks
    lacking = [p for p in result.warnings if "office-fang" in p.message_en]
    assert any("“，”（U+FF0C" in p.message and "FandolFang" in p.message for p in lacking)
    assert all("GBK" in p.hint for p in lacking)  # a fuller version of the font, not “name a font”


def test_the_build_summary_names_the_files(office, tmp_path):
    issue, font = office
    sha = hashlib.sha256(font.read_bytes()).hexdigest()
    result = CliRunner().invoke(app, ["build", str(issue), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"字体 仿宋：{font.resolve()}（SHA-256 {sha}）" in result.output


def test_an_absolute_path_anywhere(tmp_path):
    font = make_font(tmp_path / "elsewhere" / "kai.ttf", "标题正文")
    issue = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", "## 标题\n\n*正文*。\n",
                        SERIES + f"fonts:\n  楷体: {font}\n")
    result = render(issue)
    assert result.fonts[0]["role"] == "kai" and result.fonts[0]["file"] == str(font)


def test_bundled_fonts_stay_the_default_and_the_sample_is_unchanged(office):
    """A warm process that printed with an office's font prints the sample as before."""
    before = render(SAMPLE).pdf
    render(office[0])
    assert render(SAMPLE).pdf == before
    assert render(SAMPLE).fonts == []


NOT_A_FONT = [
    ("text", b"this is not a font\n", "不是字体文件"),
    ("png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "PNG"),
    ("woff2", b"wOF2" + b"\0" * 64, "WOFF"),
    ("truncated", b"\x00\x01\x00\x00\x00\x10", "无法读取"),
]


@pytest.mark.parametrize("case, content, words", NOT_A_FONT, ids=[c[0] for c in NOT_A_FONT])
def test_a_file_that_is_not_a_font_is_refused_at_its_line(tmp_path, case, content, words):
    issue = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", BODY,
                        SERIES + "fonts:\n  黑体: fonts/hei.ttf\n")
    (issue.parent / "fonts").mkdir()
    (issue.parent / "fonts" / "hei.ttf").write_bytes(content)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(issue), "-o", str(out)])
    assert result.exit_code == 2
    assert "series.yaml:5" in result.output and words in result.output and "Traceback" not in result.output
    assert not out.exists() or not list(out.glob("*.pdf"))


@pytest.mark.parametrize("entry, words", [
    ("仿宋: fonts/missing.ttf", "找不到字体文件"),
    ("仿宋: ../outside.ttf", "指向刊物文件夹以外"),
    ("仿宋: fonts", "找不到字体文件"),
    ("草书: fonts/x.ttf", "不认识的字体用途"),
])
def test_bad_entries_are_refused_at_their_line(tmp_path, entry, words):
    issue = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", BODY, SERIES + f"fonts:\n  {entry}\n")
    (issue.parent / "fonts").mkdir()
    make_font(tmp_path / "outside.ttf", OWN)
    with pytest.raises(BulletinError) as info:
        render(issue)
    problem = info.value.problems[0]
    assert problem.file.name == "series.yaml" and problem.line == 5 and words in problem.message


def test_a_changed_font_file_means_the_issue_is_built_again(office):
    issue, font = office
    before = input_digest(issue)
    make_font(font, OWN + "新")
    assert input_digest(issue) != before


def test_exported_html_carries_the_office_font(office, tmp_path):
    issue, font = office
    index = export_html(issue, tmp_path / "html")
    sha = hashlib.sha256(font.read_bytes()).hexdigest()
    copied = tmp_path / "html" / "fonts" / f"user-{sha[:12]}.ttf"
    assert copied.read_bytes() == font.read_bytes()
    assert f'url("fonts/user-{sha[:12]}.ttf")' in (index.parent / "bulletin.css").read_text(encoding="utf-8")
