"""Page digests taken from the laid-out document before painting (pagedigest.layout_digests,
issue 17): the live preview paints and rasterises only the pages whose digest changed, so a page
whose drawing changes must get a new digest. Checked over many edits of the sample and over hard
cases against what the finished PDF shows of each page: its own drawing (the page's content
stream and boxes: every operation, glyph and colour of it) and its pixels (rasterised as the
preview does). Whenever either changed, the layout digest did.

The PDF-stream digest (pagedigest.page_digests) also has a document-wide part — every image,
transparency group and pattern of the document — that changes every page's digest at once when
any page gets or loses one (an `opacity` on page 2 changes page 1's): those changes, where page 1
looks the same, are counted apart and not required of the layout digest.
"""
from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from bulletin import api
from bulletin.serve.renderer import surroundings
from bulletin.typeset.pagedigest import DRAW_PROPERTIES, Collector, layout_digests

from .conftest import SAMPLE

# how often the layout digest changed where the PDF's page did not (harmless, a page rasterised
# for nothing), over every comparison of this module: printed at the end (pytest -s)
TALLY = {"pages": 0, "drawing changed": 0, "missed": 0, "extra": 0, "document-wide only": 0}


class Drawing(Collector):
    """The finisher of the whole PDF: page_digests (with their document-wide part), and each page's
    own drawing — its content stream and boxes — without it."""

    def __call__(self, document, pdf) -> None:
        import hashlib

        import pydyf

        super().__call__(document, pdf)
        kids = list(pdf.pages["Kids"])
        self.own = []
        for number in (int(kids[i]) for i in range(0, len(kids), 3)):
            page = pdf.objects[number]
            reference = page["Contents"]
            reference = reference.decode() if isinstance(reference, bytes) else str(reference)
            stream = pdf.objects[int(reference.split()[0])]
            h = hashlib.sha256()
            for box in ("MediaBox", "TrimBox", "BleedBox"):
                h.update(pydyf._to_bytes(page.get(box, b"")))
            h.update(b"\n".join(pydyf._to_bytes(item) for item in stream.stream))
            self.own.append(h.hexdigest())


def pixels(pdf: bytes) -> list[bytes]:
    import hashlib

    from bulletin.editor.preview import rasterise
    from bulletin.serve.renderer import PREVIEW_DPI

    count = len(__import__("pypdfium2").PdfDocument(pdf))
    return [hashlib.sha256(image.tobytes()).digest() for image in rasterise(pdf, list(range(1, count + 1)), PREVIEW_DPI)]


def digests(issue: Path):
    """(layout digests, the pages' own drawings, their pixels, PDF-stream digests)."""
    laid = api.lay_out(issue)
    extra = surroundings(str(issue), laid.layout_folder)
    layout = layout_digests(laid.document, extra)
    drawing = Drawing(extra)
    pdf = laid.painter.pdf(finisher=drawing).pdf
    assert len(layout) == len(drawing.digests) == laid.pages
    return layout, drawing.own, pixels(pdf), drawing.digests


def compare(before, after, what: str) -> tuple[list[int], list[int]]:
    """Pages (1-based) drawn differently (own drawing or pixels), and whose layout digest changed;
    fails on a page drawn differently with its layout digest the same."""
    def changed(a, b):
        return {n for n, (x, y) in enumerate(zip(a, b), 1) if x != y}

    laid = changed(before[0], after[0])
    drawn = changed(before[1], after[1]) | changed(before[2], after[2])
    stream = changed(before[3], after[3])
    TALLY["pages"] += min(len(before[0]), len(after[0]))
    TALLY["drawing changed"] += len(drawn)
    TALLY["extra"] += len(laid - drawn)
    TALLY["document-wide only"] += len(stream - drawn - laid)
    missed = sorted(drawn - laid)
    TALLY["missed"] += len(missed)
    assert not missed, f"{what}: pages {missed} are drawn differently with the same layout digest"
    return sorted(drawn), sorted(laid)


@pytest.fixture
def issue(tmp_path):
    shutil.copytree(SAMPLE.parent, tmp_path / "s")
    return tmp_path / "s" / SAMPLE.name


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    t = TALLY
    print(f"\nlayout digests over {t['pages']} page comparisons: a page drawn differently {t['drawing changed']} times, "
          f"missed {t['missed']}; changed with the page drawn the same {t['extra']} times; the PDF-stream digest "
          f"changed on a page drawn the same through its document-wide part only {t['document-wide only']} times")


def edit(issue: Path, old: str, new: str) -> None:
    file = issue / "issue.md"
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_many_edits_of_the_sample(issue):
    """Random edits of body text (a character replaced, inserted, deleted, a run emphasised) —
    each compared with the version before it."""
    file = issue / "issue.md"
    rng = random.Random(17)
    previous = digests(issue)
    same_width = "中国通信行业发展高层论坛主题亮点"
    changes = 0
    for step in range(14):
        text = file.read_text(encoding="utf-8")
        body = [m.start() for m in re.finditer(r"[\u4e00-\u9fff]", text[text.index("\n## "):])]
        at = text.index("\n## ") + rng.choice(body)
        kind = step % 4
        if kind == 0:  # one character for another: no reflow
            text = text[:at] + rng.choice(same_width) + text[at + 1:]
        elif kind == 1:
            text = text[:at] + "".join(rng.choice(same_width) for _ in range(rng.randint(1, 6))) + text[at:]
        elif kind == 2:
            text = text[:at] + text[at + 1:]
        else:
            text = text[:at] + "**" + text[at:at + 2] + "**" + text[at + 2:]
        file.write_text(text, encoding="utf-8")
        current = digests(issue)
        drawn, _ = compare(previous, current, f"edit {step}")
        changes += bool(drawn)
        previous = current
    assert changes >= 10  # the edits did change pages (the comparison is not empty)


def test_one_character_that_does_not_reflow(issue):
    before = digests(issue)
    edit(issue, "他强调，", "他强化，")
    drawn, laid = compare(before, digests(issue), "one character")
    assert drawn and laid == drawn


def test_bold_and_italic_swapped_on_chinese_text(issue):
    """Emphasis of CJK text keeps every advance (full-width characters): only the face changes."""
    edit(issue, "他强调，", "**他强调**，")
    before = digests(issue)
    edit(issue, "**他强调**，", "*他强调*，")
    drawn, _ = compare(before, digests(issue), "bold → italic")
    assert drawn
    edit(issue, "*他强调*，", "**他强调**，")
    assert digests(issue)[0] == before[0]


def test_a_link_keeps_its_text(issue):
    before = digests(issue)
    edit(issue, "他强调，", "[他强调](https://example.org/)，")
    drawn, _ = compare(before, digests(issue), "link")
    assert drawn == []  # a printed bulletin has no hyperlinks: nothing drawn differently


def test_a_table_cell_edited(issue):
    edit(issue, "本次高层论坛有六方面亮点：\n", "本次高层论坛有六方面亮点：\n\n| 项目 | 数量 |\n| --- | --- |\n| 分论坛 | 六个 |\n\n")
    before = digests(issue)
    edit(issue, "| 分论坛 | 六个 |", "| 分论坛 | 七个 |")
    drawn, _ = compare(before, digests(issue), "table cell")
    assert drawn


def test_a_red_header_option_changed_behind_the_files_back(issue):
    """The masthead's red changed in series.yaml with the file's size and time kept: the
    surroundings see nothing; the style values must."""
    series = issue.parent / "series.yaml"
    text = series.read_text(encoding="utf-8")
    series.write_text(text.replace("  show_total_number: true", "  show_total_number: true\n  red: [0, 100, 100, 0]"),
                      encoding="utf-8")
    before = digests(issue)
    stat = series.stat()
    series.write_text(series.read_text(encoding="utf-8").replace("red: [0, 100, 100, 0]", "red: [0, 100, 100, 9]"),
                      encoding="utf-8")
    os.utime(series, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert series.stat().st_size == stat.st_size
    drawn, laid = compare(before, digests(issue), "masthead red")
    assert 1 in drawn and 1 in laid


def _png_of(colour: tuple[int, int, int], path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (120, 80), colour).save(path, format="PNG", compress_level=0)


def test_a_picture_replaced_by_another_file_of_the_same_size(issue):
    (issue / "images").mkdir()
    picture = issue / "images" / "a.png"
    _png_of((200, 30, 30), picture)
    edit(issue, "本次高层论坛有六方面亮点：\n", "本次高层论坛有六方面亮点：\n\n![会场](images/a.png)\n\n")
    before = digests(issue)
    stat = picture.stat()
    _png_of((30, 30, 200), picture)  # same size, same time: only the bytes differ
    os.utime(picture, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert picture.stat().st_size == stat.st_size
    drawn, _ = compare(before, digests(issue), "picture replaced")
    assert drawn


def _document(html: str, css: str):
    from bulletin.typeset import typeset
    from bulletin.typeset.painting import Painter

    base = SAMPLE.parent.parent.parent / "layouts" / "jianbao"
    result = typeset(SimpleNamespace(html=html, css=css), SAMPLE, [], [base], paint=False)
    drawing = Drawing()
    pdf = Painter(result.document, result.pdf_options).pdf(finisher=drawing).pdf
    return layout_digests(result.document), drawing.own, pixels(pdf), drawing.digests


PAGE = """<html lang="zh"><head><style>@page {{ size: A5; margin: 2cm }} body {{ font-size: 14pt }}
.a {{ color: #c00 }} .b {{ color: #00c }} .u {{ text-decoration: underline }}</style></head>
<body><p>第一页的文字，不会改变。</p><p style="break-before: page">{}</p></body></html>"""


@pytest.mark.parametrize("first, second", [
    ('<span class="a">红色或蓝色的字</span>', '<span class="b">红色或蓝色的字</span>'),  # a colour class
    ("<b>加粗或倾斜</b>", "<i>加粗或倾斜</i>"),
    ("<span>下划线</span>", '<span class="u">下划线</span>'),
    ("<span>看不见的字</span>", '<span style="visibility: hidden">看不见的字</span>'),
    ("<span>透明</span>", '<span style="opacity: 0.5">透明</span>'),
    ('<span style="display: inline-block">转动</span>', '<span style="display: inline-block; transform: rotate(3deg)">转动</span>'),
    ('<span style="background: #ff0">底色</span>', '<span style="background: #0ff">底色</span>'),
    ('<span style="border: 1pt solid #000">边框</span>', '<span style="border: 1pt dashed #000">边框</span>'),
    ("<span>一个链接</span>", '<a href="https://example.org/">一个链接</a>'),
])
def test_drawing_changes_without_moving_anything(first, second):
    before, after = _document(PAGE.format(first), ""), _document(PAGE.format(second), "")
    drawn, laid = compare(before, after, f"{first} → {second}")
    assert 1 not in laid  # the first page is the same
    if "href" not in second:
        assert drawn == [2]


def test_every_style_property_painting_reads_is_in_the_digest():
    """DRAW_PROPERTIES lists what WeasyPrint 70 reads from styles while painting: its drawing
    code, the text layout it draws with, backgrounds and replaced boxes as drawing sizes them."""
    import weasyprint

    root = Path(weasyprint.__file__).parent
    files = [*root.glob("draw/*.py"), root / "stacking.py", *root.glob("text/*.py"), *root.glob("pdf/*.py"),
             root / "images.py", root / "layout" / "background.py", root / "layout" / "replaced.py"]
    read: set[str] = set()
    for file in files:
        source = file.read_text(encoding="utf-8")
        read |= set(re.findall(r"style\[['\"]([a-z_]+)['\"]\]", source))
        read |= set(re.findall(r"get_color\([\w.]+, *['\"]([a-z_]+)['\"]", source))
        for pattern in re.findall(r"style\[f['\"]([a-z_{}]+)['\"]\]|get_color\([\w.]+, *f['\"]([a-z_{}]+)['\"]", source):
            name = "".join(pattern)
            read |= {name.replace("{side}", side) for side in ("top", "right", "bottom", "left")}
    assert len(read) > 60  # the scan found what it looks for
    assert read - set(DRAW_PROPERTIES) == set()
