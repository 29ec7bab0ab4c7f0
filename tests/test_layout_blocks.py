"""Block layout end to end (issue 14): titles broken by words into trapezoids or diamonds, heading
levels, the line grid for every block kind, the folio, pictures that leave no empty page foot,
tables whose rows never split, the 版记 lines, 份号, 增刊, 套打, the masthead red, black ink."""
from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image
from pypdf import PdfReader

from bulletin.api import build, check, render
from bulletin.compose.titles import shape_of, word_splits

from . import pdfcheck as pc
from .conftest import FIXTURES, SAMPLE
from .gridcheck import BLOCK_TOP, body_offset, ink_top, off_grid, rows

COUNTY = FIXTURES / "county"
MM = 72 / 25.4


def title_groups(pdf) -> list[list[str]]:
    """The lines of each title (the title face), grouped by title: consecutive lines of one size
    at most two sizes apart."""
    groups: list[list[tuple[int, float, float, str]]] = []
    for row in rows(pdf, top=0, bottom=10_000):
        if "Title" not in row.font:
            continue
        last = groups[-1][-1] if groups else None
        if last and last[0] == row.page and row.baseline - last[1] <= 2 * row.size and last[2] == row.size:
            groups[-1].append((row.page, row.baseline, row.size, row.text))
        else:
            groups.append([(row.page, row.baseline, row.size, row.text)])
    return [[text for *_rest, text in group] for group in groups]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("county")
    result = build(COUNTY / "2024-05", out)
    with pdfplumber.open(result.output) as pdf:
        yield result, pdf


@pytest.fixture(scope="module")
def hard_and_features(tmp_path_factory):
    out = tmp_path_factory.mktemp("fixtures")
    return [build(FIXTURES / name, out).output for name in ("hard/2024-05", "features/2024-03")]


# ---------------------------------------------------------------- titles


def test_titles_keep_words_whole_and_are_not_rectangles(sample_build, county, hard_and_features, tmp_path):
    supplement = build(COUNTY / "2024-zk01", tmp_path).output
    checked = 0
    for path in [sample_build.output, county[0].output, supplement, *hard_and_features]:
        with pdfplumber.open(path) as pdf:
            for lines in title_groups(pdf):
                if len(lines) < 2:
                    continue
                checked += 1
                assert not word_splits(lines), (path.name, lines)
                assert shape_of(lines) in ("trapezoid", "inverted", "diamond"), (path.name, lines)
                assert all(len(line) >= 2 for line in lines)
    assert checked >= 7  # the sample's three, the hard fixture's, the county issue's three and its supplement's


def test_sample_titles_break_between_phrases(sample_pdf):
    groups = [g for g in title_groups(sample_pdf) if len(g) > 1]
    assert ["山西省通信管理局领导", "赴山西省通信行协调研指导工作"] in groups
    assert ["山西通信通达微波技术有限公司", "开展安全生产主题活动"] in groups


# ---------------------------------------------------------------- heading levels


def test_heading_levels_have_their_faces_and_numbers(county):
    _, pdf = county
    found = {}
    for row in rows(pdf):
        for level, pattern in ((1, r"^[一二三四五六七八九十]+、"), (2, r"^（[一二三四五六七八九十]+）"),
                               (3, r"^\d+\.[^\d]"), (4, r"^（\d+）")):
            if re.match(pattern, row.text) and row.size == 16 and len(row.text) < 16:
                found.setdefault(level, []).append(row)
    faces = {level: {r.font.split("+")[-1] for r in found[level]} for level in found}
    assert faces[1] == {"Bulletin-Hei"} and faces[2] == {"Bulletin-Kai"}
    assert faces[3] == {"Bulletin-Fang"} and faces[4] == {"Bulletin-Fang"}
    # heading_numbers: on numbered them per article, each level restarting under its parent
    assert [r.text for r in found[1]] == ["一、压实防汛责任", "二、排查整治隐患"]
    assert [r.text for r in found[2]] == ["（一）落实行政首长负责制", "（二）强化部门协同联动"]
    assert [r.text for r in found[4]] == ["（1）乡镇层面", "（2）村组层面"]


def test_a_number_of_another_level_is_reported(make_issue):
    folder = make_issue("## 标题\n\n### （一）写成了第一层\n\n正文。\n")
    problems = [p for p in check(folder).problems if "第二层" in p.message]
    assert problems and problems[0].line is not None and "####" in problems[0].hint


# ---------------------------------------------------------------- the grid


def test_every_block_kind_sits_on_the_grid(county):
    """三号 grid: 22 lines of 28.99 pt. Every line outside the masthead's title block, pictures and
    tables — 份号 line, 密级, 编者按, kicker, title, subtitle, headings of four levels, lists, body
    text after pictures and tables, bylines and the 版记 lines — sits on it."""
    _, pdf = county
    pitch = 225 * MM / 22
    all_rows = rows(pdf)
    offset = body_offset(all_rows, pitch, 16)
    in_masthead = (BLOCK_TOP + 2 * pitch, BLOCK_TOP + 9 * pitch)  # after the 份号 and 密级 lines: 7 lines
    colophon = ("报：", "送：", "抄送：", "发：", "编辑：", "青山县人民政府办公室秘书科")
    inside = [r for r in all_rows
              if (r.size in (16.0, 22.0) and not (r.page == 1 and in_masthead[0] < r.baseline < in_masthead[1]))
              or r.text.startswith(colophon)]
    kinds = {"密级": "内部★1年", "kicker": "全县防汛工作部署会召开", "subtitle": "——县长在全县防汛抗旱",
             "heading": "一、压实防汛责任", "byline": "（县应急管理局）", "dist": "报：市人民政府办公室",
             "imprint": "青山县人民政府办公室秘书科", "editor": "编辑：周晓燕", "note": "编者按："}
    for kind, start in kinds.items():
        assert any(r.text.startswith(start) for r in inside), kind
    assert off_grid(inside, pitch, offset) == []


def test_features_fixture_is_in_grid_mode():
    text = (FIXTURES / "features" / "series.yaml").read_text(encoding="utf-8")
    assert re.search(r"layout_options: \{grid: on", text)


def test_folio_dash_is_7_mm_below_the_block(county):
    result, pdf = county
    for number, page in enumerate(pdf.pages):
        dash = next(c for c in page.chars if c["text"] == "－" and c["top"] > pc.BLOCK_BOTTOM)
        ink = ink_top(result.output, number, (dash["x0"], dash["top"], dash["x1"], dash["bottom"]))
        assert ink - pc.BLOCK_BOTTOM == pytest.approx(7 * MM, abs=0.1 * MM)
        # one character (4 号, 14 pt) in from the block's outer edge
        folio = sorted((c for c in page.chars if c["top"] > pc.BLOCK_BOTTOM), key=lambda c: c["x0"])
        if (number + 1) % 2:
            assert folio[-1]["x1"] == pytest.approx(pc.BLOCK_RIGHT - 14, abs=0.5)
        else:
            assert folio[0]["x0"] == pytest.approx(pc.BLOCK_LEFT + 14, abs=0.5)


# ---------------------------------------------------------------- pictures


PARAGRAPH = ("全省通信行业深入贯彻落实安全生产工作要求，组织开展隐患排查治理，强化重点时段网络运行保障，"
             "确保通信网络安全畅通。各单位结合实际，细化工作措施，压实各级责任，形成了一级抓一级、层层抓落实的工作格局。")


def picture_issue(root: Path, layout: list[str], images: dict[str, tuple[int, int]]) -> Path:
    series = root / "pics"
    issue = series / "2024-01"
    (issue / "images").mkdir(parents=True)
    # no 报送 block: where the last page breaks is then the text's business alone
    (series / "series.yaml").write_text("name: 测试简报\npublisher: 测试协会\nlayout_options: {body_size: 四号}\n",
                                        encoding="utf-8")
    for name, size in images.items():
        image = Image.new("RGB", size, (180, 200, 220))
        image.paste((90, 110, 140), (size[0] // 8, size[1] // 2, size[0] * 7 // 8, size[1] * 7 // 8))
        image.save(issue / "images" / name)
    (issue / "issue.md").write_text("---\nnumber: 1\ndate: 2024-01-15\n---\n\n" + "\n\n".join(layout) + "\n",
                                    encoding="utf-8")
    return issue


def empty_lines_at_page_feet(path: Path, pitch: float) -> list[float]:
    """Empty lines (in line pitches) between the lowest text or picture and the block's foot, for
    every page but the last. Measured from the glyphs' bottom, so a full page reads about 0.2 (the
    leading under the last line's glyphs)."""
    out = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages[:-1]:
            lowest = max([c["bottom"] for c in page.chars if c["top"] < pc.BLOCK_BOTTOM]
                         + [i["bottom"] for i in page.images])
            out.append((pc.BLOCK_BOTTOM - lowest) / pitch)
    return out


@pytest.mark.parametrize("case", ["landscape", "portrait", "tall"])
def test_pictures_leave_at_most_two_empty_lines_at_a_page_foot(tmp_path, case):
    """A landscape photo that does not fit is scaled to the page foot; a portrait phone photo
    (3024 × 4032) is limited in height; a picture too tall to shrink goes to the top of the next
    page and the text after it flows up (a paragraph split around it)."""
    pictures = {"landscape": ("photo.png", (1600, 1200), 9), "portrait": ("phone.png", (3024, 4032), 3),
                "tall": ("tall.png", (1200, 1500), 12)}
    name, size, before = pictures[case]
    body = ["## 全省通信行业开展安全生产专项检查"] + [PARAGRAPH] * before + [f"![现场照片]({'images/' + name})"]
    body += [PARAGRAPH * 3] * 3 + ["（张冰）"]
    issue = picture_issue(tmp_path, body, {name: size})
    result = build(issue, tmp_path / "out")
    empty = empty_lines_at_page_feet(result.output, 22.78)
    assert max(empty) <= 2.3, empty  # two empty lines at most
    with pdfplumber.open(result.output) as pdf:
        image = next(i for p in pdf.pages for i in p.images)
        height_mm = (image["bottom"] - image["top"]) / MM
        text = pc.flow_text(pdf)
    assert text.count("全省通信行业深入贯彻落实") == before + 9  # nothing lost or repeated
    if case == "portrait":
        assert height_mm <= 85.5  # portrait photos: at most 85 mm (layout.yaml pictures:)
    if case == "tall":  # moved: the picture heads a page, the paragraph after it split around it
        with pdfplumber.open(result.output) as pdf:
            page = next(p for p in pdf.pages if p.images)
            assert page.images[0]["top"] == pytest.approx(pc.BLOCK_TOP, abs=1)


def test_pictures_side_by_side_with_sizes_and_captions(county):
    _, pdf = county
    rows_of_pictures = {}
    for number, page in enumerate(pdf.pages, 1):
        for image in page.images:
            # a row's pictures stand on one line (their captions level)
            rows_of_pictures.setdefault((number, round(image["bottom"])), []).append(image)
    sizes = sorted(len(v) for v in rows_of_pictures.values())
    assert sizes[-2:] == [2, 3]  # a row of two, a row of three
    three = next(v for v in rows_of_pictures.values() if len(v) == 3)
    widths = sorted(round((i["x1"] - i["x0"]) / (156 * MM) * 100) for i in three)
    assert widths == [20, 30, 40]  # {宽=40%} {宽=30%} {宽=20%}
    two = next(v for v in rows_of_pictures.values() if len(v) == 2)
    assert {round(i["bottom"] - i["top"], 1) for i in two} == {round(two[0]["bottom"] - two[0]["top"], 1)}  # one height
    text = pc.flow_text(pdf)
    for caption in ("网格员入户宣传防汛知识", "应急物资储备点", "隐患点监测", "转移演练", "避险安置点"):
        assert caption in text


def test_picture_size_attribute_and_rows_in_the_issue_format(make_issue, tmp_path):
    from bulletin.source.load import load_issue

    issue = make_issue("## 标题\n\n![甲](images/a.png){宽=60%} ![乙](images/b.png)\n\n![丙](images/a.png){width=12字}\n")
    (issue / "images").mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (40, 30)).save(issue / "images" / name)
    body = load_issue(issue).issue.lead[0].body
    assert body[0].kind == "figures" and [f.width for f in body[0].figures] == ["60%", None]
    assert body[1].kind == "figure" and body[1].width == "12字"
    four = make_issue("## 标题\n\n" + " ".join(["![x](images/a.png)"] * 4) + "\n")
    problems = check(four).problems
    assert any("最多并排三张" in p.message for p in problems)


# ---------------------------------------------------------------- tables


def test_table_rows_never_split_and_cells_keep_words(tmp_path):
    rows_md = ["| 序号 | 工作项目 | 2023年完成 | 说明 |", "|--:|:--|--:|:--|"]
    for i in range(1, 16):
        note = f"甲{i}起" + "新建基站主要分布在县城和重点乡镇，农村地区覆盖率进一步提高。" * (1 + i % 3) + f"乙{i}止"
        rows_md.append(f"| {i} | 基站建设 | {1000 * i} | {note} |")
    body = ["## 2023年重点工作完成情况", *[PARAGRAPH] * 6, "\n".join(rows_md), "（张冰）"]
    issue = picture_issue(tmp_path, body, {})
    result = build(issue, tmp_path / "out")
    with pdfplumber.open(result.output) as pdf:
        pages = [re.sub(r"\s+", "", p.extract_text()) for p in pdf.pages]
        assert len(pdf.pages) >= 2
        for i in range(1, 16):
            start = next(n for n, t in enumerate(pages) if f"甲{i}起" in t)
            assert f"乙{i}止" in pages[start], f"row {i} split across pages"
        # the header cell “2023年完成” wraps, if at all, between words (never 2023年完|成)
        page = next(p for p in pdf.pages if "序号" in p.extract_text())
        hei = [c for c in page.chars if "Hei" in c["fontname"]]
        start = min(c["x0"] for c in hei if c["text"] == "2")
        end = min(c["x0"] for c in hei if c["text"] == "说")
        cell = [c for c in hei if start - 1 <= c["x0"] < end - 1]
        lines = {}
        for c in sorted(cell, key=lambda c: c["x0"]):
            lines.setdefault(round(c["top"]), []).append(c["text"])
        texts = ["".join(v) for _k, v in sorted(lines.items())]
        assert "".join(texts) == "2023年完成" and not word_splits(texts), texts


def test_a_table_wider_than_the_block_is_reported(make_issue):
    months = "一月 二月 三月 四月 五月 六月 七月 八月 九月 十月 十一月 十二月".split()
    header = "| 指标 | " + " | ".join(months) + " | 合计 |"
    folder = make_issue("## 标题\n\n正文。\n\n" + header + "\n|" + "--|" * 14 + "\n| 新增用户 | "
                        + " | ".join(str(100 + i) for i in range(13)) + " |\n")
    wide = [p for p in check(folder).problems if "表格太宽" in p.message]
    assert wide and wide[0].line == 10 and "转置" in wide[0].hint and "14 列" in wide[0].message


# ---------------------------------------------------------------- 版记, 份号, 增刊, 套打, colours


def test_colophon_lines(county):
    _, pdf = county
    lines = [ln for ln in pc.lines(pdf) if ln.page == len(pdf.pages)]
    texts = [ln.text for ln in lines]
    assert "抄送：县纪委监委。" in texts  # 句号 after the last 抄送 name
    assert any(t.startswith("编辑：周晓燕审核：陈志刚签发：李建国") and t.endswith("（共印60份）") for t in texts)
    assert texts[-2] == "青山县人民政府办公室秘书科2024年5月20日印发"


def test_copy_number_sits_top_left_on_the_first_line(tmp_path):
    from bulletin.distribute import distribute

    issue = tmp_path / "qingshan" / "2024-05"
    shutil.copytree(COUNTY, tmp_path / "qingshan")
    dist = distribute(issue, tmp_path / "dist")
    pitch = 225 * MM / 22
    with pdfplumber.open(dist.copies[0].file) as pdf:
        all_rows = rows(pdf)
        digits = [r for r in all_rows if r.page == 1 and re.fullmatch(r"\d{6}", r.text)]
        assert [r.text for r in digits] == ["000001"] and digits[0].size == 16  # six digits, 3 号
        offset = body_offset(all_rows, pitch, 16)
        assert digits[0].baseline == pytest.approx(BLOCK_TOP + offset, abs=0.3)  # the block's first line
        chars = [c for c in pdf.pages[0].chars if c["text"].isdigit() and abs(c["size"] - 16) < 0.1
                 and c["top"] < BLOCK_TOP + pitch]
        assert min(c["x0"] for c in chars) == pytest.approx(28 * MM, abs=0.3)  # 顶格: the block's left edge
        classification = next(r for r in all_rows if r.text == "内部★1年")
        assert classification.baseline == pytest.approx(digits[0].baseline + pitch, abs=0.3)  # the second line


def test_supplements_are_numbered_apart(tmp_path):
    from bulletin.editor.new import new_issue, next_issue

    series = tmp_path / "qingshan"
    shutil.copytree(COUNTY, series)
    import datetime as dt

    assert next_issue(series, dt.date(2024, 7, 1), supplement=True) == (2, None)
    assert next_issue(series, dt.date(2024, 7, 1))[0] == 6  # the regular count ignores supplements
    folder = new_issue(series, dt.date(2024, 7, 1), supplement=True)
    assert folder.name == "2024-zk02" and "supplement: true" in (folder / "issue.md").read_text(encoding="utf-8")
    result = build(series / "2024-zk01", tmp_path / "out")
    assert result.output.name == "qingshan-2024-zk1.pdf"
    with pdfplumber.open(result.output) as pdf:
        assert "增刊第1期" in pc.flow_text(pdf)
        assert "总第" not in pc.flow_text(pdf)
        assert PdfReader(result.output).metadata["/Title"] == "青山县人民政府办公室 2024年增刊第1期"
    # a second 增刊第1期 is a duplicate; a regular issue with the same number is not
    dup = series / "2024-zk09"
    shutil.copytree(series / "2024-zk01", dup)
    assert any("增刊第 1 期" in p.message for p in check(dup).problems)
    assert not any("重复" in p.message for p in check(series / "2024-05").problems)


def test_preprinted_output_is_the_normal_one_without_the_red_masthead():
    normal = pdfplumber.open(io.BytesIO(render(SAMPLE).pdf))
    paper = pdfplumber.open(io.BytesIO(render(SAMPLE, preprinted=True).pdf))
    assert len(normal.pages) == len(paper.pages)

    def objects(page):
        chars = [(c["text"], round(c["x0"], 2), round(c["top"], 2), c["fontname"].split("+")[-1]) for c in page.chars]
        rules = [(round(r["x0"], 2), round(r["top"], 2), round(r["x1"], 2), round(r["bottom"], 2))
                 for r in page.rects + page.lines]
        return chars, rules

    for number, (a, b) in enumerate(zip(normal.pages, paper.pages)):
        chars_a, rules_a = objects(a)
        chars_b, rules_b = objects(b)
        if number:
            assert (chars_a, rules_a) == (chars_b, rules_b)
            continue
        masthead = [c for c in chars_a if c[3] == "Bulletin-Masthead-Heavy"]
        assert "".join(c[0] for c in masthead) == "山西通信行业"
        assert [c for c in chars_a if c not in masthead] == chars_b  # everything else, at the same place
        red = [r for r in a.rects + a.lines if r.get("non_stroking_color") == (0, 0.8, 0.8, 0)
               or r.get("stroking_color") == (0, 0.8, 0.8, 0)]
        assert red and not [r for r in b.rects + b.lines if r.get("non_stroking_color") == (0, 0.8, 0.8, 0)]
        assert len(rules_b) == len(rules_a) - len(red)


def test_masthead_red_from_the_series_and_black_is_k_only(county):
    _, pdf = county
    title = [c for c in pdf.pages[0].chars if "Masthead" in c["fontname"]]
    assert {c["non_stroking_color"] for c in title} == {(0, 1, 1, 0)}  # series: red [0, 100, 100, 0]
    for page in pdf.pages:
        for c in page.chars:
            if "Masthead" not in c["fontname"]:
                assert c["non_stroking_color"] == (0, 0, 0, 1), (c["text"], c["non_stroking_color"])
        for rule in page.rects + page.lines:
            colour = rule.get("non_stroking_color") if rule.get("fill") else rule.get("stroking_color")
            assert colour in ((0, 0, 0, 1), (0, 1, 1, 0)), colour


def test_spot_colour_masthead(tmp_path):
    series = tmp_path / "features"
    shutil.copytree(FIXTURES / "features", series)
    text = (series / "series.yaml").read_text(encoding="utf-8")
    (series / "series.yaml").write_text(text.replace("masthead:\n", "masthead:\n  red: [0, 100, 100, 0]\n"
                                                     "  red_spot: PANTONE 485 C\n"), encoding="utf-8")
    pdf = PdfReader(io.BytesIO(render(series / "2024-03").pdf))
    spaces = pdf.pages[0]["/Resources"]["/ColorSpace"]
    spot = spaces["/BulletinSpot"].get_object()
    assert spot[0] == "/Separation" and spot[1] == "/PANTONE#20485#20C" and spot[2] == "/DeviceCMYK"
    function = spot[3].get_object()
    assert [float(v) for v in function["/C1"]] == [0, 1, 1, 0]
    content = pdf.pages[0].get_contents().get_data()
    assert b"/BulletinSpot cs" in content and b"0 1 1 0 scn" not in content


# ---------------------------------------------------------------- printing: imposition, duplex


def test_booklet_order():
    from bulletin.distribute.imposition import booklet_sheets, side_by_side

    assert booklet_sheets(8) == [(7, 0), (1, 6), (5, 2), (3, 4)]
    assert booklet_sheets(6) == [(None, 0), (1, None), (5, 2), (3, 4)]  # padded to eight
    assert side_by_side(5) == [(0, 1), (2, 3), (4, None)]


def test_duplex_puts_the_colophon_on_an_even_page(tmp_path):
    """features ends on page 3 with its 版记; duplex moves the 版记 to an even page: the text then
    ends on page 2, page 3 stays blank, page 4 carries the 版记, and neither is numbered."""
    series = tmp_path / "features"
    shutil.copytree(FIXTURES / "features", series)
    text = (series / "series.yaml").read_text(encoding="utf-8")
    (series / "series.yaml").write_text(text.replace("{grid: on}", "{grid: on, duplex: on}"), encoding="utf-8")
    with pdfplumber.open(io.BytesIO(render(series / "2024-03").pdf)) as pdf:
        texts = [p.extract_text() or "" for p in pdf.pages]
    assert len(texts) % 2 == 0 and "报：" in texts[-1]
    assert texts[-2].strip() == ""  # the blank page before it
    assert "－" not in texts[-1] and "－" not in texts[-2]
    assert "－ 2 －" in texts[1] or "－2－" in texts[1].replace(" ", "")


def test_booklet_sheets_read_in_order_when_folded(sample_build):
    """Sheet 1 of the sample's booklet: page 12 on the left, page 1 on the right; its back: page 2
    and page 11."""
    from bulletin.distribute.imposition import impose

    sheets = impose(sample_build.pdf, sample_build.pages, "booklet", marks=True)
    with pdfplumber.open(io.BytesIO(sheets)) as pdf:
        assert len(pdf.pages) == 6  # 12 pages: three sheets, two sides each
        trim = [float(v) for v in PdfReader(io.BytesIO(sheets)).pages[0].trimbox]
        middle = (trim[0] + trim[2]) / 2

        def folios(page):
            found = {}
            for side, (x0, x1) in (("left", (trim[0], middle)), ("right", (middle, trim[2]))):
                below_block = float(page.height) - trim[3] + pc.BLOCK_BOTTOM  # the A4 page's folio area
                text = "".join(c["text"] for c in page.chars if x0 <= c["x0"] < x1 and c["top"] > below_block)
                found[side] = int(re.sub(r"\D", "", text[-8:]) or 0)
            return found["left"], found["right"]

        assert [folios(p) for p in pdf.pages] == [(12, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)]


def test_masthead_pre_printed_shorthand_and_print_run(tmp_path):
    """`masthead: pre-printed` (套打): the print run leaves the red title out, the copies keep it."""
    from bulletin.distribute import distribute
    from bulletin.source.load import load_series

    series = tmp_path / "features"
    shutil.copytree(FIXTURES / "features", series)
    text = (series / "series.yaml").read_text(encoding="utf-8")
    text = re.sub(r"masthead:\n  notice: .*\n", "masthead: pre-printed\n", text)
    (series / "series.yaml").write_text(text, encoding="utf-8")
    assert load_series(series).masthead.printing == "pre-printed"
    dist = distribute(series / "2024-03", tmp_path / "dist")
    with pdfplumber.open(dist.files["print-run"]) as run, pdfplumber.open(dist.copies[0].file) as copy:
        masthead = lambda page: "".join(c["text"] for c in page.chars if "Masthead" in c["fontname"])  # noqa: E731
        assert masthead(copy.pages[0]) == "行业简报"
        assert masthead(run.pages[0]) == ""
        # everything else where it was
        body = lambda page: [(c["text"], round(c["x0"], 1), round(c["top"], 1)) for c in page.chars  # noqa: E731
                             if "Masthead" not in c["fontname"]]
        assert body(run.pages[0]) == body(copy.pages[0])
