"""Text helpers: line joining and heading balancing (property tests)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.text import NO_LINE_END, NO_LINE_START, _advance, balance_lines, join_lines

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PIECES = st.one_of(
    st.text(HAN, min_size=1, max_size=6),
    st.sampled_from(["、", "，", "“", "”", "《", "》", "（", "）", "5G", "2021", "1+3+N", "OA", "191.55"]),
)


def test_join_lines():
    assert join_lines("中文", "中文") == "中文中文"
    assert join_lines("中文，", "Latin") == "中文，Latin"
    assert join_lines("Latin", "words") == "Latin words"
    assert join_lines("5G", "网络") == "5G网络"


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=20), st.floats(min_value=6, max_value=30))
def test_balance_lines_properties(pieces, measure):
    text = "".join(pieces)
    out = balance_lines(text, measure)
    assert out.replace("\n", "") == text  # never changes the text
    lines = out.split("\n")
    if len(lines) > 1:
        for line in lines:
            assert len(line) >= 2  # no lonely character
            assert sum(_advance(c) for c in line) <= measure + 1e-9
        for before, after in zip(lines, lines[1:]):  # the breaks it made obey 禁则
            assert after[0] not in NO_LINE_START
            assert before[-1] not in NO_LINE_END
        widths = [sum(_advance(c) for c in line) for line in lines]
        # balanced (on pure Han text, where every position may break): lines differ by little more
        # than the phrase-end preference allows (~20 % each way)
        if all("\u4e00" <= c <= "\u9fff" for c in text):
            assert max(widths) - min(widths) <= max(3, 0.6 * min(widths))


def test_balance_examples():
    assert balance_lines("山西省通信管理局领导赴山西省通信行协调研指导工作", 22.9) == "山西省通信管理局领导赴山\n西省通信行协调研指导工作"
    assert balance_lines("短标题", 22.9) == "短标题"
    assert balance_lines("手动\n换行", 2) == "手动\n换行"
    # prefers a break right after the enumeration comma when it is near the middle
    assert balance_lines("强化新建住宅区、商务楼宇通信配套设施建设", 14) == "强化新建住宅区、\n商务楼宇通信配套设施建设"
    # never splits a number or a Latin word, never puts 、 first
    for line in balance_lines("山西电信成立“5G+工业互联网”联合创新实验室和191.55公里光缆", 12).split("\n")[1:]:
        assert line[0] not in "、，”" and not line.startswith(("1.55", "G+", "55"))
