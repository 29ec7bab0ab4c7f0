"""A test issue that uses every feature (tests/fixtures/features): 三号 grid, masthead notice and
总第×期, 编者按, kicker/subtitle, subheadings, lists, figure, table, 抄送 and 共印×份; and
independence from the host's fonts."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pytest

from bulletin.api import build

from . import pdfcheck as pc
from .conftest import FIXTURES, SAMPLE

FEATURES = FIXTURES / "features" / "2024-03"
CENTRE = (pc.BLOCK_LEFT + pc.BLOCK_RIGHT) / 2


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    result = build(FEATURES, tmp_path_factory.mktemp("features"))
    with pdfplumber.open(result.output) as pdf:
        yield result, pdf, pc.lines(pdf)


def line_with(lines, text):
    found = [ln for ln in lines if text in ln.text]
    assert found, f"no line with {text!r}"
    return found[0]


def test_masthead_notice_and_total_number(features):
    result, pdf, lines = features
    assert result.output.name == "features-2024-3.pdf"
    assert line_with(lines, "内部资料").page == 1
    assert line_with(lines, "第3期（总第58期）").page == 1
    assert line_with(lines, "2024年3月8日").page == 1


def test_editor_note_kicker_title_subtitle(features):
    _, _, lines = features
    note = line_with(lines, "编者按：")
    kicker = line_with(lines, "省通信行业协会")
    title = line_with(lines, "关于做好2024年行业工作的几点意见")
    subtitle = line_with(lines, "——在全省通信行业工作会议上的讲话")
    assert note.top < kicker.top < title.top < subtitle.top
    for ln in (kicker, title, subtitle):  # centred on the text block
        assert abs((ln.x0 + ln.x1) / 2 - CENTRE) < 2, ln.text
    assert title.size == pytest.approx(22, abs=0.1)  # 二号 with the 三号 body


def test_three_hao_grid_holds_28_characters(features):
    _, pdf, lines = features
    body = [ln for ln in lines if ln.text.startswith("坚持稳中求进")]
    assert body and body[0].size == pytest.approx(16, abs=0.1)
    # “坚持稳中求进…做到三个” is a full first line: 2 characters indent + 26 characters
    assert len(body[0].text) == 26
    assert body[0].x1 <= pc.BLOCK_RIGHT + 0.5


def test_lists_figure_table_and_bylines(features):
    _, pdf, lines = features
    flow = pc.flow_text(pdf)
    for text in ["1.坚持服务会员；", "2.坚持规范自律；", "3.坚持创新发展。", "完成5G基站建设任务；",
                 "2024年行业工作会议现场", "指标2023年2024年目标", "5G基站（万个）8.210.5", "（协会秘书处）", "（张冰）"]:
        assert text in flow, text
    images = [im for page in pdf.pages for im in page.images]
    assert len(images) == 1
    caption = line_with(lines, "2024年行业工作会议现场")
    assert images[0]["page_number"] == caption.page and images[0]["bottom"] <= caption.top + 1
    cell = line_with(lines, "2024年目标")
    assert "2024年目标" in cell.text and "指标" in cell.text  # header cells did not wrap


def test_distribution_lines_hang_after_their_labels(features):
    _, pdf, lines = features
    last = len(pdf.pages)
    report = line_with(lines, "报：中国通信企业协会")
    # the line wraps between names, never inside one, and the next line hangs after “报：”
    assert report.text.endswith("省民政厅社会组织管理局、")
    continuation = [ln for ln in lines if ln.page == last and ln.top > report.top and ln.text.startswith("省通信管理局办公室")]
    assert continuation, "the 报 line should wrap"
    name_start = report.chars[2]["x0"]  # after “报：”
    assert abs(continuation[0].x0 - name_start) < 1
    cc = line_with(lines, "抄送：各市通信行业分会")
    assert cc.page == last and abs(cc.x0 - (pc.BLOCK_LEFT + 14)) < 1
    assert cc.text.endswith("各会员单位。")  # GB/T 9704 §7.4.2: 句号 after the last 抄送 name
    # the 编辑/审核/签发 line (series defaults, 签发 from the issue) ends with 共印×份, flush right
    staff = line_with(lines, "编辑：张冰")
    assert staff.text.startswith("编辑：张冰审核：李明签发：王强") and staff.text.endswith("（共印200份）")
    assert abs(staff.x1 - (pc.BLOCK_RIGHT - 14)) < 0.5
    # the last line: 印发机关 one character in from the left, 印发日期 one from the right (§7.4.3)
    imprint = line_with(lines, "测试行业协会秘书处")
    assert imprint.text == "测试行业协会秘书处2024年3月8日印发"
    assert abs(imprint.x0 - (pc.BLOCK_LEFT + 14)) < 1 and abs(imprint.x1 - (pc.BLOCK_RIGHT - 14)) < 0.5
    assert report.top < cc.top < staff.top < imprint.top
    assert not [ln for ln in lines if ln.page == last and imprint.bottom < ln.top < pc.BLOCK_BOTTOM]


def test_output_does_not_depend_on_host_fonts(sample_build, tmp_path):
    """With a fontconfig that knows no font at all, the sample renders to the same bytes."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n")
    out = tmp_path / "nofonts.pdf"
    code = ("import sys; from bulletin.api import render; "
            f"r = render({str(SAMPLE)!r}); open({str(out)!r}, 'wb').write(r.pdf); "
            "sys.exit(1 if r.render_warnings else 0)")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Expect ugly output" not in proc.stderr
    check = subprocess.run(["fc-list"], env=env, capture_output=True, text=True)
    assert check.stdout.strip() == ""  # the host really offered no font
    assert out.read_bytes() == sample_build.pdf
