"""Issue 13's guarantees where they meet the later work: OFD output and copies (issue 21), the
batches of numbered copies and the manifest (20), A3 imposition, picture rows and placement (14)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image

from bulletin import distribute as distribution
from bulletin.check import postflight
from bulletin.api import render
from bulletin.batch import MANIFEST, build_many
from bulletin.compose import Composed
from bulletin.distribute import distribute
from bulletin.errors import BulletinError
from bulletin.typeset import typeset

from .conftest import write_issue
from .test_distribute import issue_with_registry
from .test_safety_outputs import six_issues

FRONT = "number: 1\ndate: 2024-01-15\ndistribution:\n  报: [上级单位]\n"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def register_rows(out: Path) -> list[dict]:
    csv_file = next(out.glob("*-register.csv"))
    return list(csv.DictReader(io.StringIO(csv_file.read_bytes().decode("utf-8-sig"))))


def register_matches_every_format(out: Path) -> bool:
    """Every PDF and OFD the register lists has the SHA-256 it gives; every file in the folder is
    listed."""
    listed = set()
    for row in register_rows(out):
        for name, digest in ((row["file"], row["sha256"]), (row["ofd_file"], row["ofd_sha256"])):
            if not name or not digest:
                continue
            file = out / "copies" / name if row["copy_number"] else out / name
            listed.add(file)
            if not file.is_file() or sha(file) != digest:
                return False
    present = {p for p in out.rglob("*") if p.is_file() and not p.name.endswith("-register.csv")}
    return present == listed


# ---------------------------------------------------------------- distribute: staging with OFD, A3, batches


def test_a_distribution_in_both_formats_with_a3_is_replaced_whole_when_run_again(tmp_path, monkeypatch):
    """The staging folder holds OFD copies and the A3 print run too: a second run into the same
    folder is not refused as holding “other files”, and the register matches every file after
    each run. The copies are made in several batches (as on a cluster)."""
    monkeypatch.setattr(distribution, "STAMP_BATCH", 2)
    issue = issue_with_registry(tmp_path)
    out = tmp_path / "out"
    first = distribute(issue, out, imposed=True, formats=("pdf", "ofd"))
    assert first.files["print-run-A3"].is_file() and list((out / "copies").glob("*.ofd"))
    assert register_matches_every_format(out)
    (issue / "issue.md").write_text((issue / "issue.md").read_text(encoding="utf-8") + "\n改过一句。\n",
                                    encoding="utf-8")
    second = distribute(issue, out, imposed=True, formats=("pdf", "ofd"))
    assert register_matches_every_format(out)
    assert second.sha256[second.files["archive"]] != first.sha256[first.files["archive"]]  # the new one
    assert not list(tmp_path.glob(".out.*"))  # no staging folder left behind
    distribute(issue, out, formats=("ofd",))  # fewer formats: the old PDFs go with the old folder
    assert not list((out / "copies").glob("*.pdf")) and register_matches_every_format(out)


# ---------------------------------------------------------------- the manifest: one format for both sides


def test_the_manifest_keeps_the_sha256_of_every_file_and_an_ofd_changed_by_hand_is_built_again(tmp_path):
    a, b = six_issues(tmp_path / "issues", ["2024-01", "2024-02"])
    out = tmp_path / "out"
    both = ("pdf", "ofd")
    outcomes = build_many([a, b], out, jobs=1, formats=both)
    assert [o.status for o in outcomes] == ["built", "built"]
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    entry = manifest[str(a.resolve())]
    assert entry["output"] == "demo-2024-1.pdf" and entry["outputs"] == ["demo-2024-1.pdf", "demo-2024-1.ofd"]
    assert entry["sha256"] == sha(out / "demo-2024-1.pdf") == outcomes[0].sha256
    assert entry["ofd_sha256"] == sha(out / "demo-2024-1.ofd")
    assert [o.status for o in build_many([a, b], out, jobs=1, formats=both)] == ["skipped", "skipped"]
    (out / "demo-2024-2.ofd").write_bytes(b"PK\x03\x04 not the OFD we wrote")
    assert [o.status for o in build_many([a, b], out, jobs=1, formats=both)] == ["skipped", "built"]
    assert sha(out / "demo-2024-2.ofd") == json.loads((out / MANIFEST).read_text(encoding="utf-8"))[
        str(b.resolve())]["ofd_sha256"]
    # a PDF-only build: the entry has the shape it always had (digest, output, pages, sha256)
    pdf_only = tmp_path / "pdf-only"
    build_many([a], pdf_only, jobs=1)
    assert set(json.loads((pdf_only / MANIFEST).read_text(encoding="utf-8"))[str(a.resolve())]) == {
        "digest", "output", "pages", "sha256"}


def test_an_ofd_only_build_is_refused_where_another_folder_wrote_the_same_ofd(tmp_path):
    [a] = six_issues(tmp_path / "one", ["2024-01"])
    [twin] = six_issues(tmp_path / "two", ["2024-01"])  # another series folder with the same id (its folder name)
    out = tmp_path / "out"
    assert [o.status for o in build_many([a], out, jobs=1, formats=("ofd",))] == ["built"]
    [outcome] = build_many([twin], out, jobs=1, formats=("ofd",))
    assert outcome.status == "failed" and "demo-2024-1.ofd" in outcome.problems[0]["message"]
    assert "不覆盖" in outcome.problems[0]["message"]


# ---------------------------------------------------------------- pictures named in Chinese, picture rows


def test_a_picture_named_in_chinese_is_sized_like_any_other(tmp_path):
    """Markdown gives the picture's URL percent-encoded (images/%E7%85%A7…): its printed size is
    read from the file it names, as for an ASCII name (it was left to the browser's default)."""
    sizes = {}
    for name in ("photo.png", "现场照片.png"):
        folder = write_issue(tmp_path / name, FRONT, f"## 标题\n\n正文。\n\n![现场](images/{name})\n\n（作者）\n")
        (folder / "images").mkdir()
        Image.new("RGB", (600, 1800), "white").save(folder / "images" / name)  # a phone photo: at most 85 mm tall
        with pdfplumber.open(io.BytesIO(render(folder).pdf)) as pdf:
            [image] = [i for p in pdf.pages for i in p.images]
            sizes[name] = (round(image["width"], 1), round(image["height"], 1))
    assert sizes["现场照片.png"] == sizes["photo.png"]


def test_a_picture_of_a_row_that_cannot_be_drawn_is_an_error_at_the_rows_line(tmp_path):
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" '
           'height="100"><g id="a"><use xlink:href="#a"/></g></svg>')
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n\n![甲](images/a.png) ![乙](images/loop.svg)\n\n（作者）\n")
    (folder / "images").mkdir()
    Image.new("RGB", (400, 300), "white").save(folder / "images" / "a.png")
    (folder / "images" / "loop.svg").write_text(svg, encoding="utf-8")
    with pytest.raises(BulletinError) as exc:
        render(folder)
    [error] = exc.value.problems
    assert (error.line, error.column) == (12, 1) and "loop.svg 无法排印" in error.message


def test_overflow_is_traced_by_the_blocks_key_where_placement_moved_blocks(tmp_path):
    """Placement draws a deferred picture after the blocks that flow up before it, a paragraph
    split in two around it (the same key on both parts): the key, not the position among the
    article's children, names the block."""
    html = ('<html lang="zh-CN"><body><article class="article"><header><h2>标题</h2></header>'
            '<p data-key="a0b0">正文。</p><p data-key="a0b2" class="continues">流上来的文字</p>'
            '<figure data-key="a0b1"><table style="width: 250mm"><tr><td>宽</td></tr></table></figure>'
            '<p data-key="a0b2" class="continued">其余的文字</p>'
            '<table data-key="a0b3" style="width: 170mm"><tr><td>略宽</td></tr></table></article></body></html>')
    css = "@page { size: A4; margin: 37mm 26mm 35mm 28mm }"
    result = typeset(Composed(html=html, css=css), tmp_path, [], [])
    places = sorted(r["place"] for r in result.overflows)
    assert places == [["block", 0, 1], ["block", 0, 3]], result.overflows


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("folder", ["features/2024-03", "county/2024-05", "county/2024-zk01", "hard/2024-05"])
def test_the_fixtures_with_pictures_tables_and_placement_have_no_overflow(folder):
    """The layout's own features never trip the postflight: rows of pictures, captions wider than
    their picture, tables at 五号, the 版记, 份号 and 密级 lines, placed pictures, the hard cases."""
    result = render(FIXTURES / folder)
    assert not [p for p in result.warnings if "版心" in p.message or "纸张边缘" in p.message or "排版引擎" in p.message]


def test_the_later_settings_are_named_in_chinese_with_a_hint(tmp_path):
    """Located messages for the 密级, 版记 and picture-width settings say in Chinese what they are
    and how to write them, like the older settings' messages."""
    from bulletin.api import check

    series = ("name: 测试简报\npublisher: 测试协会\nmasthead: {classification: 内部 1年}\n"
              "colophon: {issuer: \"甲\\n乙\"}\n")
    folder = write_issue(tmp_path, FRONT, "## 标题\n\n正文。\n", series=series)
    messages = {p.message: p.hint for p in check(folder).errors}
    assert messages["masthead.classification（密级和保密期限）：格式不对"].startswith("写成“密级★保密期限”")
    assert messages["colophon.issuer（印发机关）：不能换行，也不能含控制字符"] == "写在一行里，删去换行"
