"""Page feet end to end (issue 14): no page but the last ends more than two lines short unless
what heads the next page could not start there (a heading group keeps two lines of its text; a
picture or table taller than the room); no heading ends a page; no paragraph leaves a single line
at a page foot or top; the 版记 sits at the foot of the last page; and each forced hole is named in
a note that tells the editor how many lines to cut or add."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bulletin.api import build

from .conftest import FIXTURES, SAMPLE
from .pagefeet import pages, foot_problems

CASES = {  # issue folder, line pitch (pt), body size (pt)
    "sample": (SAMPLE, 225 * 72 / 25.4 / 28, 14.0),
    "county": (FIXTURES / "county" / "2024-05", 225 * 72 / 25.4 / 22, 16.0),
    "features": (FIXTURES / "features" / "2024-03", 225 * 72 / 25.4 / 22, 16.0),
    "hard": (FIXTURES / "hard" / "2024-05", 225 * 72 / 25.4 / 28, 14.0),
}


@pytest.fixture(scope="module")
def built(sample_build, tmp_path_factory):
    out = tmp_path_factory.mktemp("feet")
    results = {"sample": sample_build}
    for name in ("county", "features", "hard"):
        results[name] = build(CASES[name][0], out / name)
    return results


@pytest.mark.parametrize("name", list(CASES))
def test_page_feet_are_full_unless_forced(built, name):
    issue, pitch, body = CASES[name]
    found = pages(built[name].output, issue, pitch)
    assert len(found) >= 2
    assert foot_problems(found, pitch, body) == []
    # the 版记 at the foot of the last page, and only there
    assert found[-1].colophon_top is not None
    assert all(p.colophon_top is None for p in found[:-1])


def test_the_sample_pages_are_full_but_before_a_heading_group(built):
    """Where the sample's pages end short (3 to 6), the next page opens with a heading group."""
    issue, pitch, _body = CASES["sample"]
    found = pages(built["sample"].output, issue, pitch)
    short = [p.number for p in found[:-1] if p.room > 2.3]
    assert short  # the sample has such pages: the checks above are not vacuous
    for number in short:
        assert found[number].rows[0].kind == "heading", number
    assert len(short) < len(found) // 2


@pytest.mark.parametrize("name", list(CASES))
def test_each_forced_hole_before_a_heading_has_a_note(built, name):
    issue, pitch, _body = CASES[name]
    found = pages(built[name].output, issue, pitch)
    notes = {}
    for problem in built[name].warnings:
        m = re.match(r"第 (\d+) 页页脚空约 ([\d.]+) 行：.*还差约 ([\d.]+) 行", problem.message)
        if m:
            assert problem.severity == "info" and problem.line is not None
            assert re.search(r"删减约 \d+ 行.*增补约 \d+ 行", problem.hint)
            notes[int(m.group(1))] = (float(m.group(2)), float(m.group(3)), problem)
    for page in found[:-1]:
        nxt = found[page.number]
        heading_next = bool(nxt.rows) and nxt.rows[0].kind == "heading"
        if page.room > 2.3 and heading_next and not nxt.last:
            assert page.number in notes, (page.number, page.room)
            empty, short, problem = notes[page.number]
            assert empty == pytest.approx(page.room, abs=0.4)
            assert 0 < short <= 3
            # located at the title of the article that opens the next page
            source = Path(problem.file).read_text(encoding="utf-8").splitlines()[problem.line - 1]
            assert source.startswith(("#", "引题")), source
        elif page.room <= 2.3 or not heading_next:
            assert page.number not in notes, (page.number, page.room)


def test_a_page_foot_left_for_the_colophon_has_its_note(built):
    """The features fixture: its last article (3 lines) goes to the last page with the 版记 — which
    keeps the last lines of text with it — leaving 6 lines at the foot of page 2; the note says so."""
    issue, pitch, _body = CASES["features"]
    found = pages(built["features"].output, issue, pitch)
    assert len(found) == 3 and found[1].room > 5
    notes = [w for w in built["features"].warnings if w.message.startswith("第 2 页页脚空约")]
    assert len(notes) == 1 and "版记" in notes[0].message and notes[0].severity == "info"
    assert notes[0].message.startswith(f"第 2 页页脚空约 {found[1].room:.0f} 行")
    source = Path(notes[0].file).read_text(encoding="utf-8").splitlines()[notes[0].line - 1]
    assert source == "## 会员单位开展安全生产月活动"
    assert "page 2 ends about" in notes[0].message_en and "版记" in notes[0].message_en


PARAGRAPH = ("全省通信行业深入贯彻落实安全生产工作要求，组织开展隐患排查治理，强化重点时段网络运行保障，"
             "确保通信网络安全畅通。各单位结合实际，细化工作措施，压实各级责任，形成了一级抓一级、层层抓落实的工作格局。")
TITLES = ["全省通信行业开展安全生产专项检查", "省通信管理局部署汛期网络保障工作", "通信企业推进基站共建共享",
          "行业协会组织会员单位开展技能竞赛", "全省千兆光网建设取得新进展", "通信行业开展防范电信网络诈骗宣传",
          "省通信管理局召开行业安全工作会议", "全省5G基站建设进度通报", "通信行业开展志愿服务活动"]


def test_headings_never_end_a_page_and_take_two_lines_along(make_issue):
    """Articles of many lengths, so that titles fall at page feet: each goes to the next page with
    its text when the title and two lines do not fit (the page then ends short, named in a note),
    and stays otherwise."""
    articles = []
    for j, title in enumerate(TITLES):
        lengths = [40 + (j * 37 + k * 23) % 180 for k in range(2 + j % 3)]
        body = ["## " + title] + [(PARAGRAPH * 2)[:n] + "。" for n in lengths]
        if j % 3 == 1:
            body.insert(2, "### 强化责任落实")
        articles.append("\n\n".join(body))
    issue = make_issue("\n\n".join(articles) + "\n")
    result = build(issue, issue.parent / "out")
    pitch, body_size = 225 * 72 / 25.4 / 28, 14.0
    found = pages(result.output, issue, pitch)
    assert len(found) >= 3
    assert foot_problems(found, pitch, body_size) == []
    # a heading group moved although there was room for the heading alone: the rule was needed
    moved = [p for p in found[:-1] if found[p.number].rows[0].kind == "heading" and p.room >= 1.2]
    assert moved, [(p.number, round(p.room, 1)) for p in found]
    notes = [w for w in result.warnings if "页页脚空约" in w.message]
    assert {int(re.match(r"第 (\d+) 页", w.message).group(1)) for w in notes} == \
        {p.number for p in moved if p.room > 2.3}


def _note_issue(make_issue, tail: int) -> Path:
    """A lead article whose last paragraph has `tail` characters (32 to a line at 四号), then a
    section whose two-line title lands near the foot of page 2."""
    body = ("## 全省通信行业开展安全生产专项检查\n\n" + "\n\n".join([PARAGRAPH] * 10 + [(PARAGRAPH * 2)[:tail] + "。"])
            + "\n\n# 行业动态\n\n## 省通信管理局召开全省信息通信行业|网络安全和应急通信保障工作会议\n\n"
            + "\n\n".join([PARAGRAPH] * 3) + "\n")
    return make_issue(body)


def _foot_note(result, page: int):
    return next((w for w in result.warnings if w.message.startswith(f"第 {page} 页页脚空约")), None)


def test_the_lines_a_note_asks_to_cut_or_add_close_the_hole(make_issue):
    """Following the note — cutting the lines it names, or adding the lines it names — leaves no
    page foot more than two lines empty and no note."""
    pitch, body_size = 225 * 72 / 25.4 / 28, 14.0
    issue = _note_issue(make_issue, 110)
    result = build(issue, issue.parent / "out")
    note = _foot_note(result, 2)
    assert note is not None, [w.message for w in result.warnings]
    assert note.message.startswith("第 2 页页脚空约 4 行")
    assert Path(note.file).read_text(encoding="utf-8").splitlines()[note.line - 1] == "# 行业动态"
    cut, add = (int(n) for n in re.search(r"删减约 (\d+) 行.*增补约 (\d+) 行", note.hint).groups())
    assert (cut, add) == (3, 4)
    for tail in (110 - 32 * cut, 110 + 32 * add):
        issue = _note_issue(make_issue, tail)
        result = build(issue, issue.parent / f"out{tail}")
        assert _foot_note(result, 2) is None, tail
        found = pages(result.output, issue, pitch)
        assert foot_problems(found, pitch, body_size) == []
        assert found[1].room <= 2.3, (tail, found[1].room)
