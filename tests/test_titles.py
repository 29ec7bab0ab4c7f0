"""Title breaking by words (titles.py): examples from the sample and fixtures, names kept whole,
and properties over generated titles."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.text import NO_LINE_END, NO_LINE_START
from bulletin.compose.titles import LATIN_RUN, Lexicon, Metrics, break_title, font_metrics, segment, shape_of, word_splits

TITLE = font_metrics("serif-bold")
SMALL_ER = 23.03  # 小二 title in the 四号 layout: (156 mm − 2 characters) / 18 pt
ER = 18.66  # 二号 title in the 三号 layout


def lines_of(text: str, measure: float, lexicon: Lexicon = Lexicon(), metrics: Metrics = TITLE) -> list[str]:
    return break_title(text, measure, lexicon, metrics).split("\n")


def test_sample_titles_break_between_phrases_into_trapezoids():
    assert lines_of("山西省通信管理局领导赴山西省通信行协调研指导工作", SMALL_ER) == [
        "山西省通信管理局领导", "赴山西省通信行协调研指导工作"]
    assert lines_of("太原国家级互联网骨干直联点提前完成一阶段目标任务", SMALL_ER) == [
        "太原国家级互联网骨干直联点", "提前完成一阶段目标任务"]
    assert lines_of("山西通信通达微波技术有限公司开展安全生产主题活动", SMALL_ER) == [
        "山西通信通达微波技术有限公司", "开展安全生产主题活动"]


def test_three_lines_make_a_diamond_or_trapezoid_without_word_splits():
    out = lines_of("关于进一步加强全省信息通信行业新型基础设施建设和网络安全保障工作推动数字经济高质量发展的实施意见", SMALL_ER)
    assert len(out) == 3 and not word_splits(out)
    assert shape_of(out, TITLE) in ("diamond", "trapezoid", "inverted")


def test_adverbs_stay_with_their_verb():
    # jieba tags 全力 a noun; 全力保障 still belongs together
    assert lines_of("我县迅速应对6月23日强降雨过程全力保障人民群众生命财产安全", ER) == [
        "我县迅速应对6月23日强降雨过程", "全力保障人民群众生命财产安全"]


def test_numbers_dates_and_latin_stay_whole():
    out = lines_of("2021中国信息通信业高层论坛8月25日在京举行", ER)
    assert out == ["2021中国信息通信业高层论坛", "8月25日在京举行"]
    for line in lines_of("县委办公室关于认真做好2024年春节期间安全稳定工作的通知", ER):
        assert not line.startswith("年")
    for title in ("中通协5G应用创新大赛山西赛区启动仪式在太原举行", "推进“1+3+N”一体化大数据中心体系建设工作取得新进展",
                  "全省新建5G基站1.2万个8月25日前完成191.55公里光缆线路改造"):
        for measure in (8, 10, 12):
            out = lines_of(title, measure)
            assert len(out) > 1
            breaks = [sum(len(x) for x in out[:k]) for k in range(1, len(out))]
            for m in [*LATIN_RUN.finditer(title), *re.finditer(r"\d+月\d+日|\d+年|1\.2万个", title)]:
                assert not any(m.start() < b < m.end() for b in breaks), (m.group(), out)


def test_no_line_is_one_character_or_only_latin():
    for title in ("关于2024", "5G基站建设全面提速中国移动山西公司5G", "好", "通信行业协会召开会议强调安全生产"):
        for measure in (3, 5, 8, 12):
            out = lines_of(title, measure)
            if len(out) > 1:
                for line in out:
                    assert sum(ch.isalnum() for ch in line) >= 2 and re.search("[\u4e00-\u9fff]", line), out


def test_series_names_are_never_broken():
    title = "通达微波开展安全生产月主题活动取得实效"
    lexicon = Lexicon.of(["通达微波开展安全"])  # an odd name jieba would never keep together
    for measure in (10, 12, 14):  # (a name longer than a line less two characters may break)
        for line in lines_of(title, measure, lexicon):
            assert ("通达微波开展安全" in line) or not (set(line) & set("达微波开展安"))


def test_manual_breaks_are_kept_and_long_parts_broken_again():
    assert break_title("手动\n换行", 2.5) == "手动\n换行"
    out = lines_of("省通信行业协会\n关于进一步加强全省信息通信行业新型基础设施建设的实施意见", 16)
    assert out[0] == "省通信行业协会" and len(out) == 3


def test_kicker_and_subtitle_lines_keep_words():
    out = lines_of("——在全省通信行业工作会议上的讲话", 12, metrics=font_metrics("kai"))
    assert out == ["——在全省通信行业", "工作会议上的讲话"]


def test_text_that_fits_is_not_broken():
    assert break_title("短标题", SMALL_ER) == "短标题"
    assert break_title("关于做好2024年行业工作的几点意见", ER) == "关于做好2024年行业工作的几点意见"


def test_time_is_linear_in_the_title_length():
    """The work (break positions looked at) grows linearly: count segmenter words as the unit."""
    import bulletin.compose.titles as titles

    calls = 0
    original = titles._break_cost

    def counting(*args):
        nonlocal calls
        calls += 1
        return original(*args)

    titles._break_cost = counting
    try:
        base = "关于进一步加强全省信息通信行业新型基础设施建设和网络安全保障工作推动数字经济高质量发展的实施意见，"
        counts = []
        for n in (10, 100):
            calls = 0
            break_title(base * n, SMALL_ER)
            counts.append(calls)
    finally:
        titles._break_cost = original
    assert counts[1] <= 12 * counts[0]


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PIECES = st.one_of(
    st.text(HAN, min_size=1, max_size=6),
    st.sampled_from(["、", "，", "“", "”", "《", "》", "（", "）", "5G", "2021", "1+3+N", "OA", "191.55",
                     "山西省通信行业协会", "的", "了", "与", "关于", "有限公司", "8月25日", "2024年"]),
)


@settings(max_examples=250, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=24), st.floats(min_value=6, max_value=30))
def test_breaking_properties(pieces, measure):
    text = "".join(pieces)
    lexicon = Lexicon.of(["山西省通信行业协会"])
    out = break_title(text, measure, lexicon, TITLE)
    assert out.replace("\n", "") == text  # never changes the text
    lines = out.split("\n")
    if len(lines) == 1:
        return
    at = 0
    for before, after in zip(lines, lines[1:]):
        at += len(before)
        assert after[0] not in NO_LINE_START and before[-1] not in NO_LINE_END  # 禁则
        for m in LATIN_RUN.finditer(text):  # Latin runs and numbers whole
            assert not m.start() < at < m.end()
        for m in re.finditer("山西省通信行业协会", text):  # names whole (when a line can hold them)
            assert measure < 11 or not m.start() < at < m.end()
    for line in lines:
        assert sum(TITLE.widths(line)) <= measure + 1e-6
        assert sum(ch.isalnum() for ch in line) >= 2


def test_segmenter_is_jiebas_dictionary():
    assert [w for w, _ in segment("山西省通信管理局领导赴山西省通信行协调研指导工作")] == [
        "山西省", "通信", "管理局", "领导", "赴", "山西省", "通信", "行", "协调", "研", "指导", "工作"]


def test_time_is_linear_in_runs_of_digits_and_numerals():
    """Captions and table cells (up to 10 000 characters) are broken by the same code: a long run
    of digits or Chinese numerals must not make the search for numbers with their units quadratic
    (every start inside the run read on to its end: 50 000 digits took 19 s)."""
    import time

    def seconds(text: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            break_title(text, SMALL_ER)
            times.append(time.perf_counter() - started)
        return sorted(times)[1]

    for unit in ("1234567890", "一二三四五六七八九十"):
        short, long = seconds(unit * 500), seconds(unit * 5000)
        assert long < 30 * short + 0.05, (unit, short, long)
