"""OFD output (GB/T 33190-2016): the package's structure, the same glyphs at the same places as
the PDF, metadata, outline, numbered copies, and two independent readers from PyPI — ofdkit
reads the text back, easyofd renders the pages."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from bulletin.api import build
from bulletin.errors import BulletinError
from bulletin.output.ofd import OfdSource, Unsupported, pdf_to_ofd
from bulletin.output.ofd.check import check_package
from bulletin.output.ofd.package import compress_deltas, delta_list, expand_deltas, rect_region

from . import ofdtools as ot
from . import pdfcheck as pc
from .conftest import FIXTURES, SAMPLE

FEATURES = FIXTURES / "features" / "2024-03"
BULLETIN = str(Path(sys.executable).parent / "bulletin")  # the installed command (launch.py, prewarm)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("ofd-sample")
    result = build(SAMPLE, out, ("pdf", "ofd"))
    return out / f"{result.stem}.pdf", out / f"{result.stem}.ofd"


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    out = tmp_path_factory.mktemp("ofd-features")
    result = build(FEATURES, out, ("pdf", "ofd"))
    return out / f"{result.stem}.pdf", out / f"{result.stem}.ofd"


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    """The typesetting hard cases: hanging punctuation, long Latin and number runs, dense quotes."""
    out = tmp_path_factory.mktemp("ofd-hard")
    result = build(FIXTURES / "hard" / "2024-05", out, ("pdf", "ofd"))
    return out / f"{result.stem}.pdf", out / f"{result.stem}.ofd"


@pytest.fixture(scope="module", params=["sample", "features", "hard"])
def issue(request):
    return request.getfixturevalue(request.param)


# ---------------------------------------------------------------- building


def test_format_option_writes_the_formats_asked_for(tmp_path):
    run = [BULLETIN, "build", str(FEATURES), "-o", str(tmp_path)]
    done = subprocess.run(run + ["--format", "ofd"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["features-2024-3.ofd"]
    done = subprocess.run(run + ["--format", "pdf,ofd"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "features-2024-3.ofd", "features-2024-3.pdf"]
    assert "features-2024-3.pdf" in done.stdout and "features-2024-3.ofd" in done.stdout
    done = subprocess.run(run + ["--format", "docx"], capture_output=True, text=True)
    assert done.returncode == 2 and "不认识的输出格式：docx" in done.stderr and "Traceback" not in done.stderr


def test_an_issue_is_skipped_only_when_every_format_asked_for_is_there(tmp_path):
    from bulletin.batch import build_many

    both = ("pdf", "ofd")
    assert [o.status for o in build_many([FEATURES], tmp_path, formats=both)] == ["built"]
    assert [o.status for o in build_many([FEATURES], tmp_path, formats=both)] == ["skipped"]
    (tmp_path / "features-2024-3.ofd").unlink()
    again = build_many([FEATURES], tmp_path, formats=both)
    assert [o.status for o in again] == ["built"] and (tmp_path / "features-2024-3.ofd").is_file()
    assert [o.status for o in build_many([FEATURES], tmp_path, formats=("ofd",))] == ["built"]  # other formats


def test_same_input_same_bytes_in_fresh_processes(features, tmp_path):
    """Two separate processes with different hash seeds write byte-identical OFDs."""
    _, ofd = features
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed, "BULLETIN_NO_PREWARM": seed == "1" and "1" or ""}
        done = subprocess.run([BULLETIN, "build", str(FEATURES), "-o", str(out), "--format", "ofd"],
                              capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        assert (out / ofd.name).read_bytes() == ofd.read_bytes()


def test_unsupported_drawing_is_a_clear_error_and_nothing_is_written(tmp_path, monkeypatch):
    """A layout that draws something OFD export cannot hold (here a gradient) fails the build with
    a message naming it and the page; neither the PDF nor the OFD is written."""
    from weasyprint import HTML

    from bulletin import api

    pdf = HTML(string='<div style="height: 20mm; background: linear-gradient(red, blue)">x</div>').write_pdf()
    with pytest.raises(Unsupported, match="gradients"):
        pdf_to_ofd(pdf)
    from bulletin.typeset import Typeset

    monkeypatch.setattr(api, "TYPESETTER", lambda *a, **k: Typeset(pdf=pdf, pages=1))
    with pytest.raises(BulletinError) as caught:
        build(FEATURES, tmp_path, ("pdf", "ofd"))
    problem = caught.value.problems[0]
    assert "第 1 页" in problem.message and "gradients" in problem.message_en and "--format pdf" in problem.hint
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the standard's structure


def test_every_part_conforms_to_the_standard(issue):
    _, ofd = issue
    data = ofd.read_bytes()
    assert check_package(data) == []
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names[0] == "OFD.xml" and "Doc_0/Document.xml" in names
    assert any(n.startswith("Doc_0/Res/font_") for n in names)


@pytest.mark.skipif(not os.environ.get("BULLETIN_OFD_XSD"),
                    reason="set BULLETIN_OFD_XSD to a folder with the standard's XSD files (OFD.xsd, Document.xsd, "
                           "Res.xsd, Page.xsd, Definitions.xsd) to validate against them too")
def test_every_part_validates_against_the_standards_xsd(issue):
    from lxml import etree

    folder = Path(os.environ["BULLETIN_OFD_XSD"])
    schemas = {root: etree.XMLSchema(etree.parse(str(folder / f"{root}.xsd")))
               for root in ("OFD", "Document", "Res", "Page")}
    archive = zipfile.ZipFile(issue[1])
    for name in archive.namelist():
        if name.endswith(".xml"):
            doc = etree.fromstring(archive.read(name))
            schema = schemas[etree.QName(doc).localname]
            assert schema.validate(doc), (name, schema.error_log.filter_from_errors()[:3])


def _mutate(data: bytes, part: str, old: str, new: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            body = source.read(name)
            if name == part:
                text, count = re.subn(old, new, body.decode(), count=1)
                assert count == 1, old
                body = text.encode()
            if part == "-" + name:
                continue
            target.writestr(name, body)
    return out.getvalue()


@pytest.mark.parametrize("part, old, new, finding", [
    ("OFD.xml", 'DocType="OFD"', 'DocType="PDF"', "DocType"),
    ("Doc_0/Document.xml", r"<ofd:MaxUnitID>\d+", "<ofd:MaxUnitID>2", "above MaxUnitID"),
    ("Doc_0/Pages/Page_0/Content.xml", r' Font="\d+"', ' Font="999"', "which no element has"),
    ("Doc_0/Pages/Page_0/Content.xml", r' Font="\d+"', ' Font="1"', "expected Font"),
    ("Doc_0/Pages/Page_0/Content.xml", 'DeltaX="', 'DeltaX="1 ', "DeltaX has"),
    ("Doc_0/Pages/Page_0/Content.xml", 'ColorSpace="', 'Value="1 2" ColorSpace="', "attribute"),
    ("Doc_0/Pages/Page_0/Content.xml", "<ofd:AbbreviatedData>M ", "<ofd:AbbreviatedData>X ", "path command"),
    ("Doc_0/Pages/Page_0/Content.xml", "<ofd:TextCode ", "<ofd:Bogus /><ofd:TextCode ", "<Bogus> is not allowed here"),
    ("Doc_0/PublicRes.xml", 'FontName="', 'Name="', "FontName"),
    ("-Doc_0/PublicRes.xml", "^", "", "missing from the package"),
])
def test_checker_finds_what_breaks_the_standard(features, part, old, new, finding):
    data = _mutate(features[1].read_bytes(), part, old, new)
    problems = check_package(data)
    assert problems and any(finding in str(p) for p in problems), problems


# ---------------------------------------------------------------- same glyphs, same places


def test_fonts_are_the_pdfs_own_subsets(issue):
    pdf, ofd = issue
    reader = PdfReader(pdf)
    programs = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
            programs.add(hashlib.sha256(stream.get_object().get_data()).hexdigest())
    package = ot.Package(ofd.read_bytes())
    assert {hashlib.sha256(p).hexdigest() for p in package.fonts.values()} == programs


def _pdf_glyphs(pdf: Path) -> list[list[int]]:
    """Glyph ids each page's text operators show, in order (Identity-H: two bytes a glyph)."""
    out = []
    for page in PdfReader(pdf).pages:
        stream = page.get_contents().get_data().decode("latin-1")
        glyphs = []
        for array in re.findall(r"\[(.*?)\]\s*TJ", stream):
            for hexstr in re.findall(r"<([0-9a-fA-F]*)>", array):
                glyphs += [int(hexstr[i:i + 4], 16) for i in range(0, len(hexstr), 4)]
        out.append(glyphs)
    return out


def test_every_glyph_is_the_pdfs_glyph(issue):
    """What a reader draws for each character (its CGTransform glyph or the font's cmap glyph) is
    the glyph the PDF shows, in the same order."""
    pdf, ofd = issue
    chars = ot.Package(ofd.read_bytes()).chars()
    for n, glyphs in enumerate(_pdf_glyphs(pdf)):
        assert [c.glyph for c in chars if c.page == n and c.glyph is not None] == glyphs, f"page {n + 1}"


def _reading_order(chars: list[tuple]) -> list[tuple]:
    """(text, x, y, size) by lines (baselines within 0.05 mm are one line), left to right; a
    rounding of y would split a line whose baseline sits at a rounding boundary (226.85 mm) when
    its characters' y differ in the last bits (runs of different fonts)."""
    out, line, line_y = [], [], None
    for c in sorted(chars, key=lambda c: c[2]):
        if line_y is not None and c[2] - line_y > 0.05:
            out += sorted(line, key=lambda c: c[1])
            line = []
        if not line:
            line_y = c[2]
        line.append(c)
    return out + sorted(line, key=lambda c: c[1])


def test_every_character_is_where_the_pdf_puts_it(issue):
    """Origins from DeltaX/DeltaY and sizes against pdfplumber's reading of our PDF: within 1 µm."""
    pdf, ofd = issue
    ours = ot.pdf_chars(pdf)
    chars = []  # a cluster (several characters, one glyph: Noto's “——”) is one character for pdfplumber
    for c in ot.Package(ofd.read_bytes()).chars():
        if c.glyph is None and chars:
            chars[-1] = dataclasses.replace(chars[-1], text=chars[-1].text + c.text)
        else:
            chars.append(c)
    for n, expected in enumerate(ours):
        got = _reading_order([(c.text, c.x, c.y, c.size) for c in chars if c.page == n and c.text.strip()])
        want = _reading_order([(c["text"], c["x"], c["y"], c["size"]) for c in expected])
        assert [g[0] for g in got] == [w[0] for w in want], f"page {n + 1}"
        worst = max(max(abs(g[1] - w[1]), abs(g[2] - w[2]), abs(g[3] - w[3])) for g, w in zip(got, want))
        assert worst < 0.001, f"page {n + 1}: off by {worst:.4f} mm"


def test_colours_rules_and_images_are_the_pdfs(features):
    pdf, ofd = features
    package = ot.Package(ofd.read_bytes())
    page = package.pages[0]
    cmyk = [cs for cs, kind in package.color_spaces.items() if kind == "CMYK"]
    red = [o for o in page.iter() if o.tag in (f"{ot.NS}TextObject", f"{ot.NS}PathObject")
           and any(c.get("Value") == "0 204 204 0" and int(c.get("ColorSpace")) in cmyk
                   for c in o.iter(f"{ot.NS}FillColor"))]
    kinds = sorted({o.tag.split("}")[1] for o in red})
    assert kinds == ["PathObject", "TextObject"]  # the masthead title and the red rule, CMYK 0/80/80/0
    rule = [o for o in red if o.tag.endswith("PathObject")][0]
    x, y, w, h = (float(v) for v in rule.get("Boundary").split())
    assert (x, w) == (pytest.approx(28, abs=0.01), pytest.approx(156, abs=0.01)) and h == pytest.approx(0.75, abs=0.01)
    last = package.pages[-1]  # 版记: rules between the 报送 lines, 0.35 mm first and last, 0.25 mm between
    heights = sorted(round(float(o.get("Boundary").split()[3]), 2) for o in last.iter(f"{ot.NS}PathObject")
                     if float(o.get("Boundary").split()[2]) > 150)
    assert heights[:2] == [0.25, 0.25] and heights[-2:] == [0.35, 0.35]
    images = [o for p in package.pages for o in p.iter(f"{ot.NS}ImageObject")]
    assert len(images) == 1
    assert [float(v) for v in images[0].get("Boundary").split()] == pytest.approx([28, 37, 156, 93.6], abs=0.01)


# ---------------------------------------------------------------- metadata and outline


def test_metadata_custom_data_and_outline(sample):
    pdf, ofd = sample
    package = ot.Package(ofd.read_bytes())
    info = package.ofd.find(f"{ot.NS}DocBody/{ot.NS}DocInfo")
    assert info.findtext(f"{ot.NS}Title") == "山西通信行业 2021年第7期"
    assert info.findtext(f"{ot.NS}Author") == "山西省通信行业协会"
    assert info.findtext(f"{ot.NS}CreationDate") == "2021-07-30"
    assert re.fullmatch(r"[0-9a-f]{32}", info.findtext(f"{ot.NS}DocID"))
    assert "简报" in [k.text for k in info.iter(f"{ot.NS}Keyword")]
    assert info.findtext(f"{ot.NS}Creator") == "bulletin"
    custom = package.custom_data()
    assert custom["刊名"] == "山西通信行业" and custom["期号"] == "7" and custom["出刊日期"] == "2021-07-30"
    assert custom["报"].startswith("中国通信企业协会")
    reader = PdfReader(pdf)

    def flatten(items, depth=0):
        for item in items:
            if isinstance(item, list):
                yield from flatten(item, depth + 1)
            else:
                yield depth, item

    want = [(d, item.title, reader.get_destination_page_number(item), float(item.top)) for d, item in flatten(reader.outline)]
    got = []

    def walk(element, depth):
        for elem in element.findall(f"{ot.NS}OutlineElem"):
            dest = elem.find(f".//{ot.NS}Dest")
            got.append((depth, elem.get("Title"), package.page_ids.index(int(dest.get("PageID"))), float(dest.get("Top"))))
            walk(elem, depth + 1)

    walk(package.doc.find(f"{ot.NS}Outlines"), 0)
    assert [g[:3] for g in got] == [w[:3] for w in want] and len(got) == 20  # 5 sections, 15 articles
    for g, w in zip(got, want):
        assert g[3] == pytest.approx((841.889764 - w[3]) * ot.MM, abs=0.002)


# ---------------------------------------------------------------- independent readers


def _flow(text: str) -> str:
    """The reader's text without the page numbers between pages (－ 7 －) and without whitespace."""
    return re.sub(r"\s+", "", re.sub(r"[—－]\s*\d+\s*[—－]", "", text))


def test_ofdkit_reads_every_sentence_in_order(sample, expected):
    import ofdkit

    with ofdkit.open(str(sample[1])) as document:
        assert document.info.title == "山西通信行业 2021年第7期"
        assert len(document.pages) == 12
        text = _flow(document.text())
    assert pc.find_in_order(text, expected["paragraphs"]) == []
    assert pc.find_in_order(text, expected["titles"][:15]) == []
    for item in expected["titles"][15:] + expected["distribution"]:
        assert item in text


def test_ofdkit_reads_the_features_fixture(features):
    import ofdkit

    from bulletin.source.load import load_issue
    from bulletin.model import Paragraph

    paragraphs = ["".join(s.text for s in block.content) for article in load_issue(FEATURES).issue.articles()
                  for block in article.body if isinstance(block, Paragraph)]
    with ofdkit.open(str(features[1])) as document:
        text = _flow(document.text())
    assert paragraphs and pc.find_in_order(text, paragraphs) == []
    for item in ("行业简报", "第3期（总第58期）", "编者按", "抄送", "（共印200份）"):
        assert re.sub(r"\s+", "", item) in text


@pytest.fixture(scope="module")
def rendered(issue, tmp_path_factory):
    pdf, ofd = issue
    work = tmp_path_factory.mktemp("render")
    reader_pdf, images = ot.easyofd_pages(ofd, work)
    return pdf, ofd, reader_pdf, images, ot.our_pages(pdf, work)


def test_reader_places_every_character_where_our_pdf_does(rendered, tmp_path):
    """easyofd turns the OFD into a PDF of its own: every character it draws sits where ours does,
    within 0.01 mm, at our size (its font may lack a character, like •, and draw another)."""
    pdf, _, reader_pdf, _, _ = rendered
    path = tmp_path / "reader.pdf"
    path.write_bytes(reader_pdf)
    theirs, ours = ot.reader_pdf_chars(path), ot.pdf_chars(pdf)
    assert len(theirs) == len(ours)
    font_chars = ot.easyofd_font_chars()
    for n, (got, want) in enumerate(zip(theirs, ours)):
        assert ot.misplaced(got, want, font_chars=font_chars) == [], f"page {n + 1}"


STRAY_MAX = 4  # px of 576 in a 4 mm tile; every page of the sample and the fixture measures 0


def test_reader_renders_every_page_like_our_pdf(rendered):
    """Page images from the reader against pdftoppm -r 150 of our PDF (see compare_page for the
    tolerance): no reader ink where we have none, every rule and picture there, every character
    cell inked (except characters the reader's substitute font lacks, like •)."""
    pdf, _, _, images, ours = rendered
    assert len(images) == len(ours)
    lacking = ot.easyofd_font_chars()
    for n, (mine, theirs, chars) in enumerate(zip(ours, images, ot.pdf_chars(pdf))):
        result = ot.compare_page(mine, theirs, chars)
        assert result.stray <= STRAY_MAX, f"page {n + 1}: {result.stray} px of reader ink where ours has none"
        assert result.missing_graphics <= STRAY_MAX, f"page {n + 1}: {result.missing_graphics} px of rules/images missing"
        assert [t for t in result.blank_cells if ord(t) in lacking] == [], f"page {n + 1}"


def test_page_comparison_sees_a_misplaced_line_or_a_missing_rule(features, tmp_path):
    """The tolerance is tight enough to see errors: the longest text ending a line of page 3 moved 3 mm right or
    3 mm down (measured: 65 and 49 stray px in a tile), or a 版记 rule dropped (48 px missing)."""
    pdf, ofd = features
    data = ofd.read_bytes()
    page = "Doc_0/Pages/Page_2/Content.xml"
    content = zipfile.ZipFile(io.BytesIO(data)).read(page).decode()
    chars = ot.pdf_chars(pdf)[2]

    def ends_a_line(obj: str) -> bool:
        x, y, _w, h = (float(v) for v in re.search(r'Boundary="([^"]+)"', obj)[1].split())
        code = re.search(r'<ofd:TextCode X="([\d.]+)"([^>]*)>([^<]*)<', obj)
        deltas = re.search(r'DeltaX="([^"]*)"', code[2])
        end = x + float(code[1]) + sum(ot.expand(deltas and deltas[1], len(code[3]))) \
            + float(re.search(r'Size="([\d.]+)"', obj)[1])
        return not any(y < c["y"] < y + h and c["x0"] > end - 0.5 for c in chars)

    # the longest run of text that ends its line, so moving it right puts ink where the page has none
    longest = max(filter(ends_a_line, re.findall(r"<ofd:TextObject .*?</ofd:TextObject>", content)), key=len)

    def moved(dx: float, dy: float) -> str:
        start = re.match(r'(<ofd:TextObject ID="\d+" Boundary=")([\d.]+) ([\d.]+)', longest)
        return content.replace(longest, longest.replace(
            start[0], f"{start[1]}{float(start[2]) + dx:.3f} {float(start[3]) + dy:.3f}", 1))

    mine = ot.our_pages(pdf, tmp_path)[2]
    variants = [(moved(3, 0), "stray"), (moved(0, 3), "stray"),
                (re.sub(r"<ofd:PathObject .*?</ofd:PathObject>", "", content, count=1), "missing_graphics")]
    for variant, finding in variants:
        path = tmp_path / "variant.ofd"
        path.write_bytes(_mutate(data, page, re.escape(content), variant.replace("\\", "\\\\")))
        _, images = ot.easyofd_pages(path, tmp_path)
        assert getattr(ot.compare_page(mine, images[2], chars), finding) > STRAY_MAX, finding


# ---------------------------------------------------------------- numbered copies


@pytest.fixture(scope="module")
def distributed(tmp_path_factory):
    from bulletin.distribute import distribute

    out = tmp_path_factory.mktemp("dist")
    return distribute(SAMPLE, out / "d", formats=("pdf", "ofd"))


def test_each_copy_is_an_ofd_with_its_number_on_page_one(distributed):
    named = [c for c in distributed.copies if c.recipient is not None]
    assert named and all(c.ofd_file.suffix == ".ofd" and c.file.suffix == ".pdf" for c in named)
    for copy in named:
        data = copy.ofd_file.read_bytes()
        assert hashlib.sha256(data).hexdigest() == copy.ofd_sha256
        assert check_package(data) == []
        package = ot.Package(data)
        assert package.custom_data()["份号"] == copy.label
        assert package.custom_data()["发送单位"] == copy.recipient.name
        # the body in the top margin (天头), 份号 on the first line of the type area (37 mm + one line)
        stamp = [c for c in package.chars() if c.page == 0 and c.y < 46]
        assert copy.label in "".join(c.text for c in stamp).replace(" ", "")
        assert copy.recipient.name in "".join(c.text for c in stamp)
        layers = package.pages[0].findall(f"{ot.NS}Content/{ot.NS}Layer")
        assert [layer.get("Type") for layer in layers] == [None, "Foreground"]
        # the stamp's digits are glyphs the font's cmap does not name: a CGTransform names them
        assert all(c.glyph for c in stamp)


def test_reader_renders_a_numbered_copy_with_its_stamp(distributed, tmp_path):
    """easyofd reads a copy (a second layer, a CGTransform for the 份号 digits) and draws page 1
    like the copy's PDF: the stamp's characters where ours are, no stray ink, no empty cell."""
    copy = next(c for c in distributed.copies if c.recipient is not None)
    reader_pdf, images = ot.easyofd_pages(copy.ofd_file, tmp_path)
    path = tmp_path / "reader.pdf"
    path.write_bytes(reader_pdf)
    ours = ot.pdf_chars(copy.file)[0]
    assert ot.misplaced(ot.reader_pdf_chars(path)[0], ours) == []
    stamp = "".join(c["text"] for c in sorted(ours, key=lambda c: (round(c["y"], 1), c["x"])) if c["y"] < 46)
    assert copy.label in stamp and copy.recipient.name in stamp
    result = ot.compare_page(ot.our_pages(copy.file, tmp_path)[0], images[0], ours)
    assert result.stray <= STRAY_MAX and result.missing_graphics <= STRAY_MAX and result.blank_cells == []


def test_register_lists_every_ofd_with_its_sha256(distributed):
    rows = list(csv.DictReader(io.StringIO(distributed.files["register-csv"].read_text(encoding="utf-8-sig"))))
    named = [r for r in rows if r["recipient_id"]]
    assert named and all(r["ofd_file"].endswith(".ofd") for r in named)
    for row in named:
        path = distributed.out_dir / "copies" / row["ofd_file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["ofd_sha256"]
    import pdfplumber

    with pdfplumber.open(distributed.files["register"]) as pdf:
        register = re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in pdf.pages))
    for copy in distributed.copies:
        if copy.recipient is not None:
            assert "OFD" + copy.ofd_sha256[:16] in register


@pytest.fixture(scope="module")
def ofd_only(tmp_path_factory):
    from bulletin.distribute import distribute

    return distribute(SAMPLE, tmp_path_factory.mktemp("dist-ofd") / "d", formats=("ofd",))


def test_ofd_copies_are_the_same_bytes_on_every_run(distributed, ofd_only):
    again = ofd_only
    for first, second in zip(distributed.copies, again.copies):
        assert first.ofd_sha256 == second.ofd_sha256
        assert second.file is None  # --format ofd: no PDF copies
    rows = list(csv.DictReader(io.StringIO(again.files["register-csv"].read_text(encoding="utf-8-sig"))))
    assert all(r["file"] == "" and r["ofd_file"] for r in rows if r["recipient_id"])


def test_mail_attaches_the_ofd_when_copies_are_ofd(ofd_only):
    from bulletin.distribute.mail import SmtpSettings, message_for
    from bulletin.model import MailSettings

    dist = ofd_only
    copy = next(c for c in dist.copies if c.recipient is not None)
    settings = SmtpSettings("localhost", 25, None, None, "none", "a@example.org")
    mail = MailSettings()
    from jinja2 import Template

    body = copy.recipient.model_copy(update={"email": "office@example.org"})
    msg = message_for(dist, body, copy, settings, Template(mail.subject), Template(mail.body))
    parts = [p for p in msg.iter_attachments()]
    assert [p.get_content_type() for p in parts] == ["application/ofd"]
    assert hashlib.sha256(parts[0].get_payload(decode=True)).hexdigest() == copy.ofd_sha256


# ---------------------------------------------------------------- pieces


def test_deltas_never_drift_and_compress_losslessly():
    positions = [10 + i * 5.575 + (0.0004 if i % 3 == 0 else 0) for i in range(40)]
    deltas = delta_list(positions)
    running = positions[0]
    for want, d in zip(positions[1:], deltas):
        running += d
        assert abs(running - want) <= 0.0005 + 1e-9
    text = compress_deltas(deltas)
    assert "g " in text and expand_deltas(text) == deltas


def test_a_clipped_border_strip_becomes_the_strip():
    # WeasyPrint draws a 0.75 mm top border as: clip to the strip, fill outer minus inner box
    strip = (28.0, 99.35, 184.0, 100.1)
    region = rect_region([(28.0, 100.1, 184.0, 100.1), (28.0, 99.35, 184.0, 100.1)], True, strip)
    assert region == [strip]
    assert rect_region([(0, 0, 10, 10), (2, 2, 8, 8)], True, None) == [
        (0, 0, 10, 2), (0, 2, 2, 8), (8, 2, 10, 8), (0, 8, 10, 10)]
    assert rect_region([(0, 0, 10, 10)], False, (20, 20, 30, 30)) == []


def test_to_unicode_ranges_and_chars():
    from bulletin.output.ofd.pdfscan import parse_to_unicode

    cmap = (b"2 beginbfchar\n<0003> <0020>\n<0a7c> <5c71>\nendbfchar\n"
            b"1 beginbfrange\n<0010> <0012> <0030>\nendbfrange\n"
            b"1 beginbfrange\n<0020> <0021> [<0066006C> <4E2D>]\nendbfrange\n")
    assert parse_to_unicode(cmap) == {3: " ", 0x0A7C: "山", 0x10: "0", 0x11: "1", 0x12: "2", 0x20: "fl", 0x21: "中"}


def test_package_of_the_same_source_twice_is_identical(features):
    pdf, _ = features
    source = OfdSource(pdf.read_bytes())
    assert source.package() == source.package()


def test_content_stream_tokens():
    from bulletin.output.ofd.pdfscan import Name, operations

    data = (b"q 1 0 0 -1 0 841.89 cm %comment\n/F#31 12 Tf [<0a7c>-60.5<> (a\\(b\\)\\101\\\nc) 3] TJ "
            b"/P <</MCID 0 /Alt (x)>> BDC [] 0 d true false null MP .5 -.25 re W* n BI /W 1 ID \x00 EI")
    ops = list(operations(data))
    assert ops[0] == ([], b"q")
    assert ops[1] == ([1, 0, 0, -1, 0, 841.89], b"cm")
    assert ops[2] == ([Name("/F1"), 12], b"Tf") and isinstance(ops[2][0][0], Name)
    assert ops[3] == ([[b"\x0a\x7c", -60.5, b"", b"a(b)Ac", 3]], b"TJ")
    assert ops[4] == ([Name("/P"), {Name("/MCID"): 0, Name("/Alt"): b"x"}], b"BDC")
    assert ops[5] == ([[], 0], b"d")
    assert ops[6] == ([True, False, None], b"MP")
    assert ops[7] == ([0.5, -0.25], b"re") and ops[8] == ([], b"W*") and ops[9] == ([], b"n")
    assert ops[10] == ([], b"INLINE IMAGE") and len(ops) == 11


def test_every_glyph_is_inside_its_objects_boundary(issue):
    """The standard clips an object to its Boundary: every glyph's outline (its bounds in the
    embedded font) must lie inside its own object's, or a conforming reader would cut it."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    package = ot.Package(issue[1].read_bytes())
    fonts = {i: TTFont(io.BytesIO(data)) for i, data in package.fonts.items()}
    bounds: dict[tuple[int, int], tuple | None] = {}
    outside = []
    for n, page in enumerate(package.pages):
        for obj in page.iter(f"{ot.NS}TextObject"):
            assert obj.get("CTM") is None  # upright text throughout
            bx, by, bw, bh = (float(v) for v in obj.get("Boundary").split())
            font_id, size = int(obj.get("Font")), float(obj.get("Size"))
            font = fonts[font_id]
            glyphs, order, upem = font.getGlyphSet(), font.getGlyphOrder(), font["head"].unitsPerEm
            code = obj.find(f"{ot.NS}TextCode")
            x, y = float(code.get("X")), float(code.get("Y"))
            steps = ot.expand(code.get("DeltaX"), len(code.text))
            transforms = {int(cg.get("CodePosition")) + k: int(g) for cg in obj.iter(f"{ot.NS}CGTransform")
                          for k, g in enumerate(cg.findtext(f"{ot.NS}Glyphs").split())}
            for k, ch in enumerate(code.text):
                x += steps[k - 1] if k else 0
                gid = transforms.get(k, package.cmap(font_id).get(ord(ch), 0))
                if (font_id, gid) not in bounds:
                    pen = BoundsPen(glyphs)
                    glyphs[order[gid]].draw(pen)
                    bounds[font_id, gid] = tuple(v / upem for v in pen.bounds) if pen.bounds else None
                if bounds[font_id, gid] is None:
                    continue  # a space
                x0, y0, x1, y1 = bounds[font_id, gid]
                if not (x + x0 * size >= -1e-3 and y - y1 * size >= -1e-3 and x + x1 * size <= bw + 1e-3
                        and y - y0 * size <= bh + 1e-3):
                    outside.append((n + 1, ch))
    assert outside == []


def test_checker_accepts_the_rest_of_the_document_structure(features):
    """Elements bulletin does not write but the standard allows are not reported (view preferences,
    permissions, bookmarks, a URI action)."""
    extra = ('<ofd:Permissions><ofd:Print Printable="true" /></ofd:Permissions>'
             '<ofd:VPreferences><ofd:PageMode>UseOutlines</ofd:PageMode><ofd:Zoom>1.5</ofd:Zoom></ofd:VPreferences>'
             '<ofd:Bookmarks><ofd:Bookmark Name="a"><ofd:Dest Type="Fit" PageID="1" /></ofd:Bookmark></ofd:Bookmarks>')
    data = _mutate(features[1].read_bytes(), "Doc_0/Document.xml", "</ofd:Outlines>", "</ofd:Outlines>" + extra)
    data = _mutate(data, "Doc_0/Document.xml", r'<ofd:Goto><ofd:Dest [^>]*/></ofd:Goto>',
                   '<ofd:URI URI="https://example.org/" />')
    assert check_package(data) == []
