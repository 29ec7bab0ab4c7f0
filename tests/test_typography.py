"""Chinese typesetting: justification, 禁则, punctuation compression, Han/Latin spacing.

Unit and property tests on the line-adjustment code (bulletin.typeset, bulletin.compose.markup.autospace),
then end-to-end checks that read character positions back from rendered PDFs.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pdfplumber
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.typeset import breaking, glyphs, paragraph, patches, punctuation
from bulletin.api import render
from bulletin.compose.markup import autospace
from bulletin.source.load import load_issue
from bulletin.model import Paragraph
from bulletin.typeset import typeset

from . import pdfcheck as pc
from .conftest import FIXTURES, SAMPLE

HARD = FIXTURES / "hard" / "2024-05"
FEATURES = FIXTURES / "features" / "2024-03"
# what a printed line must not start or end with (clreq 禁则; the set the audit tool checks)
NO_START = set("，。、；：？！）》」』】〕〉”’%‰·．")
NO_END = set("（《「『【〔〈“‘")
HAN = re.compile("[\u4e00-\u9fff]")


# ---------------------------------------------------------------- units


@pytest.mark.parametrize("left, right, expected", [
    ("中", "文", True), ("中", "5", True), ("G", "网", True), ("，", "中", True), ("中", "，", True),
    ("5", "G", False), ("1", ".", False), ("a", "b", False),
    ("—", "—", False), ("…", "…", False),  # one mark drawn as two characters
    (" ", "a", True), ("a", " ", False), ("中", " ", False),  # a space stretches itself, once
])
def test_opportunities(left, right, expected):
    assert paragraph.from_text(left + right).opportunity_at(1) is expected


def test_line_opportunities_skip_numbers_and_words():
    text = "光缆191.55公里IP网络"
    atoms = paragraph.from_text(text)
    # 缆|1, 5|公, 公|里, 里|I, P|网, 网|络 — nothing inside “191.55” or “IP”
    assert [text[k - 1] + text[k] for k in range(1, len(text)) if atoms.opportunity_at(k)] == \
        ["光缆", "缆1", "5公", "公里", "里I", "P网", "网络"]


@pytest.mark.parametrize("left, right, allowed", [
    ("弃", "“", True),    # Pango refuses this one (UAX #14 class QU); Chinese rules allow it
    ("”", "“", True), ("中", "文", True), ("。", "中", True),
    ("中", "，", False), ("“", "中", False), ("（", "中", False),  # 禁则
    ("—", "—", False), ("…", "…", False), ("5", "G", False), ("a", " ", False),
])
def test_chinese_break_rules(left, right, allowed):
    assert breaking.break_allowed(left, right) is allowed


@pytest.mark.parametrize("text, halves", [
    ("好。”（注）", [1, 2]),          # 。” then ”（: the closing marks lose their right half
    ("他说：“好”", [2]),              # ：“
    ("（“甲”）", [1, 3]),             # （“ and ”）
    ("《甲》、“乙”，", [2, 3, 6]),      # 》、 、“ ”，
    ("中文，中文", []),
])
def test_punctuation_compression_positions(text, halves):
    assert punctuation.compressed(text) == halves


@pytest.mark.parametrize("value, text", [(13.571428, "13.571"), (-0.0004, "0"), (1e-9, "0"), (-244.0263, "-244.026"), (7, "7")])
def test_exact_adjustment_formats_pdf_numbers(value, text):
    number = glyphs.ExactAdjustment(value)
    assert f"{number}" == text and "e" not in f"{number}"
    assert int(number) == int(value) and isinstance(number, int)


def test_autospace_markup():
    html = str(autospace("建成5G基站10.5万个，IPv6与<b>"))
    assert html == ('建成<span class="as-l as-r">5G</span>基站<span class="as-l as-r">10.5</span>万个，'
                    '<span class="as-r">IPv6</span>与&lt;b&gt;')
    assert str(autospace("邮箱ops-team@example.org")) == '邮箱<span class="as-l nobr url">ops-team@example.org</span>'
    assert str(autospace("见www.example.org/a")) == '见<span class="as-l nobr url">www.example.org/a</span>'
    assert str(autospace("至service@sxca.org.cn索取")) == '至<span class="as-l as-r url">service@sxca.org.cn</span>索取'
    assert str(autospace("Wi-Fi7与")) == '<span class="as-r nobr">Wi-Fi7</span>与'  # no url: not an address
    assert str(autospace("2024年")) == '<span class="as-r">2024</span>年'  # no space at the start


def test_install_is_reversible_and_idempotent():
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    patches.install()
    patched = inline.text_align
    patches.install()
    assert inline.text_align is patched
    patches.uninstall()
    assert inline.text_align is not patched and not patches.installed()
    assert not line_break.Layout.set_text.__module__.startswith("bulletin")
    patches.install()
    assert patches.installed()


def test_changed_weasyprint_internals_fail_loudly(monkeypatch, tmp_path):
    """A WeasyPrint whose replaced code differs from 70.0's is refused, naming the function."""
    from weasyprint.layout import inline

    patches.uninstall()
    try:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no marker of an earlier passed check
        monkeypatch.setattr(inline, "text_align", lambda context, line, available_width, last: 0)
        monkeypatch.setattr(patches, "_checked", False)
        with pytest.raises(patches.WeasyPrintChanged, match="inline:text_align changed"):
            patches.install()
        assert not patches.installed()
    finally:
        monkeypatch.undo()
        patches.install()


# ---------------------------------------------------------------- rendered PDFs


def _pdf(path: Path) -> pdfplumber.PDF:
    return pdfplumber.open(io.BytesIO(render(path).pdf))


@pytest.fixture(scope="module")
def rendered(sample_build):
    pdfs = {"sample": pdfplumber.open(sample_build.output), "hard": _pdf(HARD), "features": _pdf(FEATURES)}
    yield pdfs
    for pdf in pdfs.values():
        pdf.close()


def body_lines(pdf: pdfplumber.PDF) -> list[pc.Line]:
    """Lines of running text (body size, inside the block, not the 报送 block)."""
    size = max(((round(c["size"], 1), 1) for p in pdf.pages for c in p.chars), key=lambda s: s)[0]
    sizes = {}
    for p in pdf.pages:
        for c in p.chars:
            sizes[round(c["size"], 1)] = sizes.get(round(c["size"], 1), 0) + 1
    size = max(sizes, key=sizes.get)
    return [ln for ln in pc.lines(pdf) if ln.top < pc.BLOCK_BOTTOM and abs(ln.size - size) < 0.1
            and not re.match(r"^(报|送|抄送|发)：", ln.text)]


def body_font(pdf: pdfplumber.PDF) -> str:
    """The face most body-size characters are set in."""
    counts: dict[str, int] = {}
    size = body_lines(pdf)[0].size
    for p in pdf.pages:
        for c in p.chars:
            if abs(c["size"] - size) < 0.1:
                counts[c["fontname"]] = counts.get(c["fontname"], 0) + 1
    return max(counts, key=counts.get)


def full_lines(pdf: pdfplumber.PDF) -> list[pc.Line]:
    """Lines followed by another line of the same paragraph (same page, adjacent, not indented)."""
    lines = body_lines(pdf)
    out = []
    for a, b in zip(lines, lines[1:]):
        same_block = a.page == b.page and b.top - a.bottom < a.size
        if same_block and abs(b.x0 - pc.BLOCK_LEFT) < 1 and a.x0 - pc.BLOCK_LEFT < 3 * a.size:
            out.append(a)
    return out


def inside_edge(line: pc.Line) -> float:
    """Where a line's text ends: the end of its last character, or for a closing mark set at half
    width (GB/T 15834 §5.1.10: its ink inside, its blank half past the edge) the middle of it."""
    last = line.chars[-1]
    if last["text"] in punctuation.BLANK_RIGHT_MARKS and last["x1"] > pc.BLOCK_RIGHT + 1:
        return last["x0"] + 0.5 * last["size"]
    return last["x1"]


@pytest.mark.parametrize("name", ["sample", "hard", "features"])
def test_full_lines_are_flush_with_the_block(rendered, name):
    lines = full_lines(rendered[name])
    assert len(lines) >= {"sample": 150, "hard": 8, "features": 3}[name]
    off = [(round(pc.BLOCK_RIGHT - inside_edge(ln), 2), ln.text) for ln in lines
           if abs(pc.BLOCK_RIGHT - inside_edge(ln)) > 0.05]
    assert off == []


def test_no_mark_hangs_past_the_block_by_default(rendered):
    """Hanging punctuation is a layout option, off by default: nothing passes the edge but the blank
    half of a closing mark ending a line."""
    for name in ("sample", "hard", "features"):
        for ln in pc.lines(rendered[name]):
            if ln.top < pc.BLOCK_BOTTOM and ln.chars[-1]["x1"] > pc.BLOCK_RIGHT + 0.05:
                mark = ln.chars[-1]
                assert mark["text"] in punctuation.BLANK_RIGHT_MARKS, ln.text
                assert abs(mark["x0"] + 0.5 * mark["size"] - pc.BLOCK_RIGHT) < 0.05, ln.text


@pytest.mark.parametrize("name", ["sample", "hard", "features"])
def test_no_line_breaks_against_kinsoku(rendered, name):
    bad = [ln.text for ln in pc.lines(rendered[name]) if ln.text[0] in NO_START or ln.text[-1] in NO_END]
    assert bad == []


@pytest.mark.parametrize("name", ["sample", "hard", "features"])
def test_text_layer_has_no_injected_characters(rendered, name):
    """Every paragraph of the source is in the PDF, and the PDF has no space the source lacks."""
    folder = {"sample": SAMPLE, "hard": HARD, "features": FEATURES}[name]
    paragraphs = ["".join(s.text for s in block.content)
                  for article in load_issue(folder).issue.articles()
                  for block in article.body if isinstance(block, Paragraph)]
    pdf = rendered[name]
    flow = pc.flow_text(pdf)
    assert pc.find_in_order(flow, paragraphs) == []
    chars = [c for p in pdf.pages for c in sorted(p.chars, key=lambda c: (round(c["bottom"]), c["x0"]))]
    between_cjk = sum(1 for a, b, c in zip(chars, chars[1:], chars[2:])
                      if b["text"] == " " and HAN.match(a["text"]) and HAN.match(c["text"]))
    source_between = sum(len(re.findall(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", p)) for p in paragraphs)
    assert between_cjk <= source_between


def test_han_latin_spacing_is_a_quarter_em_inside_lines(rendered):
    gaps = []
    for ln in body_lines(rendered["hard"]):
        if "https://" in ln.text or ln.text.startswith("排版测试组"):
            continue  # a line stretched around a URL kept whole; the masthead's publisher/date line
        for a, b in zip(ln.chars, ln.chars[1:]):
            pair = (bool(HAN.match(a["text"])), b["text"].isascii() and b["text"].isalnum()), \
                   (a["text"].isascii() and a["text"].isalnum(), bool(HAN.match(b["text"])))
            if pair[0] == (True, True) or pair[1] == (True, True):
                gaps.append((b["x0"] - a["x1"]) / a["size"])
    assert len(gaps) > 20
    # a quarter em; an eighth at the least where a line is compressed, half at most where it is
    # stretched (a line's slack goes to its Han–Latin spaces first)
    assert all(0.12 <= g <= 0.51 for g in gaps), sorted(gaps)
    tracking = 0.19 / 14  # the grid's tracking narrows every advance, the quarter em's too
    assert sum(abs(g - (0.25 - tracking)) < 0.005 for g in gaps) >= 5, sorted(gaps)


def test_latin_runs_at_line_edges_sit_flush(rendered):
    lines = body_lines(rendered["sample"]) + body_lines(rendered["hard"])
    starts = [ln for ln in lines if ln.text[0].isascii() and ln.text[0].isalnum()]
    for ln in starts:  # either a paragraph's first line (indented 2 characters) or flush left
        indent = ln.x0 - pc.BLOCK_LEFT
        assert indent < 0.05 or abs(indent - 2 * (ln.size - 0.19)) < 0.5, (ln.text, indent)
    assert any(ln.x0 - pc.BLOCK_LEFT < 0.05 for ln in starts)


def test_keep_together_urls_and_dashes(rendered):
    text = [ln.text for ln in pc.lines(rendered["hard"]) if ln.top < pc.BLOCK_BOTTOM]
    assert any("https://www.example.org/5g/report-2024.html" in t for t in text)
    assert any(t.endswith("ops-team") for t in text) and any(t.startswith("@example.org") for t in text)
    assert not any(t.startswith(("—", "…")) for t in text)  # a split pair would start a line


def test_compressed_punctuation_advances(rendered):
    """In “确保高效）。”” the closing marks give up their blank halves (plus what justification adds)."""
    seen = 0
    for ln in pc.lines(rendered["hard"]):
        cs = ln.chars
        for a, b in zip(cs, cs[1:]):
            if a["text"] + b["text"] in ("）。", "。”", "》（", "》《"):
                assert 0.45 < (b["x0"] - a["x0"]) / a["size"] < 0.65, a["text"] + b["text"]
                seen += 1
    assert seen >= 4


def test_plain_weasyprint_is_ragged_and_ours_is_not():
    """The same sample through the bare engine (hooks removed) and through ours."""
    plain = pdfplumber.open(io.BytesIO(render(SAMPLE, adjust=False).pdf))
    ours = pdfplumber.open(io.BytesIO(render(SAMPLE).pdf))
    ragged = [sum(1 for ln in full_lines(pdf) if pc.BLOCK_RIGHT - ln.x1 > 1.0) / len(full_lines(pdf))
              for pdf in (plain, ours)]
    assert ragged[0] > 0.15 and ragged[1] == 0


def test_weasyprint_warnings_are_collected(tmp_path):
    """An unknown CSS property in a layout is reported, not lost (tests fail on them)."""
    from bulletin.compose import Composed

    composed = Composed(html='<html lang="zh-CN"><p style="text-justify: inter-character">中文</p></html>',
                        css="p { colour: red; }")
    result = typeset(composed, tmp_path, [], [])
    assert any("colour" in w for w in result.warnings)
    assert any("text-justify" in w for w in result.warnings)


# ---------------------------------------------------------------- grid mode (GB/T 9704: 28 × 22)


@pytest.fixture(scope="module")
def grid_pdf(tmp_path_factory):
    """The sample set in 三号 on the grid (the issue's own front matter chooses the options)."""
    import shutil

    root = tmp_path_factory.mktemp("grid")
    shutil.copytree(SAMPLE.parent, root / "shanxi-tongxin")
    issue = root / "shanxi-tongxin" / SAMPLE.name / "issue.md"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("\nassumed:", "\nlayout_options: {body_size: 三号, grid: on}\nassumed:", 1),
                     encoding="utf-8")
    with pdfplumber.open(io.BytesIO(render(issue.parent).pdf)) as pdf:
        yield pdf


def baseline(pdf, line: pc.Line) -> float:
    return float(pdf.pages[line.page - 1].height) - line.chars[0]["matrix"][5]


def test_grid_keeps_every_sentence(grid_pdf, expected):
    flow = pc.flow_text(grid_pdf)
    assert pc.find_in_order(flow, expected["paragraphs"]) == []
    assert pc.find_in_order(flow, expected["titles"][:15]) == []


def test_grid_lines_share_one_baseline_grid(grid_pdf):
    pitch = 225 * pc.MM / 22
    lines = [ln for ln in pc.lines(grid_pdf) if pc.BLOCK_TOP < ln.top < pc.BLOCK_BOTTOM
             and not ln.text.startswith(("报：", "送："))]
    page_one_masthead = {"山西通信行业", "第 7 期", "第7期"}
    phases = {}
    for ln in lines:
        if ln.page == 1 and (ln.text in page_one_masthead or ln.text.endswith("日") and "协会" in ln.text):
            continue  # the masthead is a block of whole pitches with its own inner spacing
        steps = (baseline(grid_pdf, ln) - pc.BLOCK_TOP) / pitch
        phases[ln.text] = (steps - int(steps)) * pitch
    values = sorted(phases.values())
    assert len(values) > 300
    assert values[-1] - values[0] < 0.2, [(t, round(p, 2)) for t, p in phases.items() if abs(p - values[0]) > 0.2][:5]


def test_grid_holds_28_characters_and_22_lines(grid_pdf):
    """The grid's character pitch is 156 mm / 28: a full line of Han characters holds 28 at that
    pitch (29 with compressed marks, 27 and a little wider spacing where a break needs it) and no
    page holds more than 22 lines."""
    pitch = 156 * pc.MM / 28
    lines = [ln for ln in pc.lines(grid_pdf) if pc.BLOCK_TOP < ln.top < pc.BLOCK_BOTTOM]
    counts = []
    for a, b in zip(lines, lines[1:]):
        full = (a.page == b.page and abs(a.x0 - pc.BLOCK_LEFT) < 1 and abs(b.x0 - pc.BLOCK_LEFT) < 1
                and b.chars[0]["fontname"] == a.chars[0]["fontname"])  # the next line continues the text
        if not (full and re.fullmatch("[\u4e00-\u9fff，。、；：“”（）《》！？]+", a.text)):
            continue
        counts.append(len(a.text))
        han = [(q["x0"] - p["x0"]) for p, q in zip(a.chars, a.chars[1:])
               if HAN.match(p["text"]) and HAN.match(q["text"]) and q["x0"] - p["x0"] < 1.5 * pitch]
        assert max(han) - pitch < 0.05 * a.size, (a.text, max(han) - pitch)  # never more than 0.05 em loose
        assert 27 <= len(a.text) <= 30, a.text
    assert len(counts) > 100
    assert counts.count(28) > 0.6 * len(counts)
    per_page: dict[int, int] = {}
    for ln in lines:
        per_page[ln.page] = per_page.get(ln.page, 0) + 1
    assert max(per_page.values()) <= 22 and 22 in per_page.values()


# ---------------------------------------------------------------- paragraph and page rules


def _page_rule_documents(rendered, grid_pdf):
    return {"sample": rendered["sample"], "grid": grid_pdf, "hard": rendered["hard"], "features": rendered["features"]}


SOURCES = {"sample": SAMPLE, "grid": SAMPLE, "hard": HARD, "features": FEATURES}


@pytest.mark.parametrize("name", ["sample", "grid", "hard", "features"])
def test_bylines_are_flush_right_and_never_alone_at_a_page_top(rendered, grid_pdf, name):
    pdf = _page_rule_documents(rendered, grid_pdf)[name]
    lines = [ln for ln in pc.lines(pdf) if pc.BLOCK_TOP - 5 < ln.top < pc.BLOCK_BOTTOM]
    names = {f"（{a.byline}）" for a in load_issue(SOURCES[name]).issue.articles() if a.byline}
    bylines = [ln for ln in lines if any(ln.text.endswith(n) for n in names)]
    assert len(bylines) == len(names)
    for ln in bylines:
        assert abs(pc.BLOCK_RIGHT - ln.x1) < 0.5, ln.text
    first_on_page = {}
    for ln in lines:
        first_on_page.setdefault(ln.page, ln)
    for ln in first_on_page.values():
        assert not re.fullmatch(r"（[^（）]{1,20}）", ln.text), f"page {ln.page} starts with a lone byline"


@pytest.mark.parametrize("name", ["sample", "grid"])
def test_split_paragraphs_keep_two_lines_each_side(grid_pdf, rendered, name):
    """orphans: 2, widows: 2 — a paragraph broken across pages leaves at least two lines on each."""
    pdf = _page_rule_documents(rendered, grid_pdf)[name]
    face = body_font(pdf)
    lines = [ln for ln in body_lines(pdf) if ln.chars[0]["fontname"] == face]
    indent = lambda ln: ln.x0 - pc.BLOCK_LEFT > ln.size  # noqa: E731 - the first line of a paragraph
    for page in range(1, len(pdf.pages)):
        bottom = [ln for ln in lines if ln.page == page]
        top = [ln for ln in lines if ln.page == page + 1]
        if not bottom or not top or indent(top[0]):
            continue  # the page break falls between paragraphs
        tail = 0  # lines of the split paragraph at the foot of `page`
        for ln in reversed(bottom):
            tail += 1
            if indent(ln):
                break
        head = 0  # lines of it at the top of the next page
        for ln in top:
            if indent(ln):
                break
            head += 1
        assert tail >= 2 and head >= 2, (page, tail, head, top[0].text)


@pytest.mark.parametrize("name", ["sample", "grid", "features"])
def test_headings_keep_with_their_text(rendered, grid_pdf, name):
    """A section header, kicker or title is never the last thing on a page."""
    pdf = _page_rule_documents(rendered, grid_pdf)[name]
    lines = [ln for ln in pc.lines(pdf) if pc.BLOCK_TOP - 5 < ln.top < pc.BLOCK_BOTTOM
             and not re.match(r"^(报|送|抄送|发)：|^（共印", ln.text)]
    face = body_font(pdf)
    titles = {a.title.replace("\n", "") for a in load_issue(SOURCES[name]).issue.articles()}
    for page in range(1, len(pdf.pages) + 1):
        on_page = [ln for ln in lines if ln.page == page]
        if not on_page:
            continue
        last = on_page[-1]
        assert last.chars[0]["fontname"] == face or last.text.endswith("）"), (page, last.text)
        assert not any(last.text in t for t in titles), (page, last.text)


@pytest.mark.parametrize("folder, options", [
    (HARD, None), (FEATURES, None), (SAMPLE, "{body_size: 四号, grid: on}"), (FEATURES, "{body_size: 四号}"),
])
def test_our_layouts_render_without_weasyprint_warnings(folder, options, tmp_path):
    """An unknown CSS property, a failed resource or a .notdef glyph in our layouts fails here."""
    import shutil

    if options:
        copy = tmp_path / folder.parent.name
        shutil.copytree(folder.parent, copy)
        issue = copy / folder.name / "issue.md"
        text = issue.read_text(encoding="utf-8")
        head, sep, rest = text[4:].partition("\n---\n")
        issue.write_text(f"---\n{head}\nlayout_options: {options}{sep}{rest}", encoding="utf-8")
        folder = issue.parent
    result = render(folder)
    assert result.render_warnings == []
    assert [w for w in result.warnings if w.severity == "error"] == []
