"""Loader and model: the sample, the Markdown conventions, and located errors for bad input."""
from __future__ import annotations

import pytest

from bulletin.errors import BulletinError
from bulletin.source.load import load, load_issue
from bulletin.model import Figure, Heading, ListBlock, Paragraph, Table

from .conftest import SAMPLE


def problems(exc: pytest.ExceptionInfo) -> list[str]:
    return [p.format("zh") for p in exc.value.problems]


# ---------------------------------------------------------------- the sample issue


def test_sample_structure_matches_the_reference(expected):
    bulletin = load_issue(SAMPLE)
    issue = bulletin.issue
    assert bulletin.series.name == "山西通信行业"
    assert bulletin.series.publisher == "山西省通信行业协会"
    assert (issue.number, issue.date.isoformat(), issue.year) == (7, "2021-07-30", 2021)
    assert [a.title for a in issue.lead] == ["山西省通信管理局领导赴山西省通信行协调研指导工作"]
    assert [s.name for s in issue.sections] == ["高层信息", "行业动态", "行业综合", "行协动态", "会员消息"]
    titles = [a.title for a in issue.articles()]
    assert titles == expected["titles"][:15]
    assert len(titles) == 15


def test_sample_kickers_bylines_and_distribution():
    issue = load_issue(SAMPLE).issue
    by_title = {a.title: a for a in issue.articles()}
    assert by_title["强化新建住宅区、商务楼宇通信配套设施建设"].kicker == "山西省通信管理局"
    assert by_title["组织检验检测业务培训"].kicker == "山西信息规划设计院有限公司"
    bylines = [a.byline for a in issue.articles()]
    assert bylines == ["魏程明", None, None, "通信建设管理处", "管局OA", "行协", "张俊清", "王婧", "俊玲",
                       "李太平", "袁成伟", "元道信息", "李晔宇", "车彦丽", "张冰"]
    # the issue lists its lines; the series' registry knows every body
    assert [(d.label, d.recipients) for d in load_issue(SAMPLE).distribution] == [
        ("报", ["中国通信企业协会", "山西省民政厅社会组织管理局"]),
        ("送", ["山西省通信管理局领导", "各中心", "各处室"]),
    ]
    assert "number" in issue.assumed and "date" in issue.assumed


def test_sample_paragraph_text_has_no_line_joining_spaces():
    issue = load_issue(SAMPLE).issue
    text = "".join(s.text for a in issue.articles() for b in a.body if isinstance(b, Paragraph) for s in b.content)
    assert "\n" not in text
    # sentences written one per source line are joined without a space between Chinese characters
    assert "设想。希望通过此次交流" in text
    # the separating space of a slogan's two halves is a full-width space
    assert "聚力数字新基建\u3000赋智赋能开新局" in text


# ---------------------------------------------------------------- Markdown conventions


def test_soft_breaks_join_cjk_without_space_and_latin_with_space(make_issue):
    issue = load_issue(make_issue("## 标题\n\n第一行中文\n第二行中文，with Latin\nwords here\n")).issue
    assert issue.lead[0].body[0].content[0].text == "第一行中文第二行中文，with Latin words here"


def test_kicker_subtitle_and_title_break(make_issue):
    body = ("引题：某某局\n## 上半句|下半句\n副题：——在全省会议上的讲话\n\n正文。\n\n"
            "## 第二篇\n引题：写在标题下面也可以\n\n正文。\n")
    first, second = load_issue(make_issue(body)).issue.lead
    assert (first.kicker, first.title, first.subtitle) == ("某某局", "上半句\n下半句", "——在全省会议上的讲话")
    assert second.kicker == "写在标题下面也可以"


@pytest.mark.parametrize("ending, byline, last_text", [
    ("最后一段。\n\n（魏程明）\n", "魏程明", "最后一段。"),
    ("最后一段。 （魏程明）\n", "魏程明", "最后一段。"),
    ("最后一段。 (车彦丽)\n", "车彦丽", "最后一段。"),
    ("这是（括号里的话）。\n", None, "这是（括号里的话）。"),
    ("行动计划（2021-2023年）\n", None, "行动计划（2021-2023年）"),
])
def test_byline_forms(make_issue, ending, byline, last_text):
    article = load_issue(make_issue("## 标题\n\n第一段。\n\n" + ending)).issue.lead[0]
    assert article.byline == byline
    assert "".join(s.text for s in article.body[-1].content) == last_text


def test_sections_lists_tables_emphasis_and_subheadings(make_issue, tmp_path):
    body = (
        "## 导语\n\n开头。\n\n"
        "# 【行业动态】\n\n## 文章\n\n### 一、小标题\n\n有**重点**和*强调*。\n\n"
        "1. 第一项\n2. 第二项\n\n- 甲\n- 乙\n\n"
        "| 项目 | 数量 |\n|:--|--:|\n| 光缆 | 191.55 |\n"
    )
    issue = load_issue(make_issue(body)).issue
    assert [a.title for a in issue.lead] == ["导语"]
    assert issue.sections[0].name == "行业动态"
    blocks = issue.sections[0].articles[0].body
    assert isinstance(blocks[0], Heading)
    para = blocks[1]
    assert [(s.text, s.strong, s.emphasis) for s in para.content] == [
        ("有", False, False), ("重点", True, False), ("和", False, False), ("强调", False, True), ("。", False, False)]
    assert isinstance(blocks[2], ListBlock) and blocks[2].ordered and len(blocks[2].items) == 2
    assert isinstance(blocks[3], ListBlock) and not blocks[3].ordered
    table = blocks[4]
    assert isinstance(table, Table)
    assert [c[0].text for c in table.header] == ["项目", "数量"]
    assert table.align == ["left", "right"]
    assert table.rows[0][1][0].text == "191.55"


def _png(path):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 3), "red").save(path)


def test_figure_with_caption(make_issue):
    folder = make_issue("## 标题\n\n正文。\n\n![现场照片](images/photo.png)\n")
    _png(folder / "images" / "photo.png")
    figure = load_issue(folder).issue.lead[0].body[1]
    assert isinstance(figure, Figure)
    assert (figure.src, figure.caption) == ("images/photo.png", "现场照片")


@pytest.mark.parametrize("name, content", [
    ("images/fake.png", b"not an image at all"),
    ("images/cut.png", b"\x89PNG\r\n\x1a\n\x00\x00"),
    ("images/notes.txt", b"text"),
])
def test_files_that_are_not_images_are_refused(make_issue, name, content):
    folder = make_issue(f"## 标题\n\n正文。\n\n![图]({name})\n")
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    with pytest.raises(BulletinError) as exc:
        load(folder)
    (problem,) = exc.value.problems
    assert problem.line == 10 and "不是能用的图片" in problem.message


def test_api_at_package_level():
    import bulletin

    assert bulletin.load_issue(SAMPLE).issue.number == 7
    assert callable(bulletin.build) and callable(bulletin.render)


def test_raw_html_and_template_syntax_stay_text(make_issue):
    issue = load_issue(make_issue("## 标题 {{ 7*7 }}\n\n<script>alert(1)</script> 与 {% if x %}文字\n")).issue
    assert issue.lead[0].title == "标题 {{ 7*7 }}"
    assert issue.lead[0].body[0].content[0].text == "<script>alert(1)</script> 与 {% if x %}文字"


def test_distribution_as_text_and_issue_override(make_issue):
    front = "number: 1\ndate: 2024-01-15\ndistribution:\n  报: 甲单位、乙单位\n  抄送: [丙单位]\nprint_run: 120\n"
    series = "name: 测试\npublisher: 协会\ndistribution:\n  发: [各会员单位]\nprint_run: 50\n"
    bulletin = load_issue(make_issue("## 标题\n\n正文。\n", front, series))
    assert [(d.label, d.recipients) for d in bulletin.distribution] == [("报", ["甲单位", "乙单位"]), ("抄送", ["丙单位"])]
    assert bulletin.print_run == 120
    plain = load_issue(make_issue("## 标题\n\n正文。\n", "number: 1\ndate: 2024-01-15\n", series))
    assert [(d.label, d.recipients) for d in plain.distribution] == [("发", ["各会员单位"])]
    assert plain.print_run == 50


def test_bom_and_crlf_are_accepted(tmp_path, make_issue):
    folder = make_issue("## 标题\n\n正文。\n")
    text = (folder / "issue.md").read_text(encoding="utf-8").replace("\n", "\r\n")
    (folder / "issue.md").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_issue(folder).issue.lead[0].title == "标题"


def test_output_name():
    assert load_issue(SAMPLE).output_stem == "shanxi-tongxin-2021-7"


# ---------------------------------------------------------------- errors: file, line, what, how


def test_unknown_key_has_line_and_suggestion(make_issue):
    with pytest.raises(BulletinError) as exc:
        load(make_issue("## 标题\n\n正文。\n", front="number: 1\ndate: 2024-01-15\nprint_rn: 3\n"))
    (problem,) = exc.value.problems
    assert problem.line == 4 and problem.file.name == "issue.md"
    assert "不认识的设置项" in problem.message and "print_run" in problem.hint


@pytest.mark.parametrize("front, line, words", [
    ("number: 1\ndate: 2021-02-30\n", 3, "不是有效的日期"),
    ("number: 0\ndate: 2024-01-15\n", 2, "数值太小"),
    ("number: 七\ndate: 2024-01-15\n", 2, "应为整数"),
    ("number: 1\ndate: 2024-01-15\ndistribution:\n  转: [甲]\n", 5, "取值不在允许范围内"),
    ("number: 1\ndate: 2024-01-15\nnumber: 2\n", 4, "YAML"),
    ("number: [1\ndate: 2024-01-15\n", 3, "YAML"),
])
def test_front_matter_errors_are_located(make_issue, front, line, words):
    with pytest.raises(BulletinError) as exc:
        load(make_issue("## 标题\n\n正文。\n", front=front))
    assert any(p.line == line and words in p.message for p in exc.value.problems), problems(exc)


@pytest.mark.parametrize("body, line, words", [
    ("开头没有标题。\n", 6, "第一篇文章标题之前"),
    ("## 标题\n\n正文。\n\n## 空文章\n", 10, "没有正文"),
    ("## 标题\n\n正文。\n\n    缩进的代码\n", 10, "不支持的 Markdown 结构"),
    ("## 标题\n\n![图](/etc/passwd)\n", 8, "不是期刊文件夹里的文件"),
    ("## 标题\n\n![图](http://127.0.0.1:8000/x.png)\n", 8, "不是期刊文件夹里的文件"),
    ("## 标题\n\n![图](../../../etc/passwd)\n", 8, "期刊文件夹以外"),
    ("## 标题\n\n![图](images/none.png)\n", 8, "找不到图片"),
    ("## 标题\n\n正文 ![图](images/none.png) 正文\n", 8, "单独成段"),
    ("# 栏目\n\n# 另一个栏目\n\n## 标题\n\n正文。\n", 6, "不能为空"),
    ("## 标题\n\n引题：\n\n正文。\n", 8, "引题是空的"),
])
def test_body_errors_are_located(make_issue, body, line, words):
    with pytest.raises(BulletinError) as exc:
        load(make_issue(body))
    assert any(p.line == line and words in p.message for p in exc.value.problems), problems(exc)


def test_missing_front_matter(make_issue):
    folder = make_issue("x")
    (folder / "issue.md").write_text("## 标题\n\n正文。\n", encoding="utf-8")
    with pytest.raises(BulletinError) as exc:
        load(folder)
    assert exc.value.problems[0].line == 1 and "---" in exc.value.problems[0].message


def test_gbk_file_is_rejected_with_a_clear_message(make_issue):
    folder = make_issue("x")
    (folder / "issue.md").write_bytes("---\nnumber: 1\ndate: 2024-01-15\n---\n\n## 标题\n\n正文。\n".encode("gbk"))
    with pytest.raises(BulletinError) as exc:
        load(folder)
    (problem,) = exc.value.problems
    assert "UTF-8" in problem.message and "GBK" in problem.message and problem.line == 6


def test_missing_series_file(tmp_path):
    folder = tmp_path / "s" / "i"
    folder.mkdir(parents=True)
    (folder / "issue.md").write_text("---\nnumber: 1\ndate: 2024-01-15\n---\n\n## 标题\n\n正文。\n", encoding="utf-8")
    with pytest.raises(BulletinError) as exc:
        load(folder)
    assert "series.yaml" in exc.value.problems[0].message


def test_series_errors_are_located(make_issue):
    with pytest.raises(BulletinError) as exc:
        load(make_issue("## 标题\n\n正文。\n", series="name: 测试\npublisher: 协会\nmasthed: {}\n"))
    (problem,) = exc.value.problems
    assert problem.file.name == "series.yaml" and problem.line == 3 and "masthead" in problem.hint


def test_unknown_layout_and_option_values(make_issue):
    from bulletin.api import render

    with pytest.raises(BulletinError) as exc:
        render(make_issue("## 标题\n\n正文。\n", series="name: 测试\npublisher: 协会\nlayout: nosuch\n"))
    assert "没有名为 nosuch 的版式" in exc.value.problems[0].message and "jianbao" in exc.value.problems[0].hint
    with pytest.raises(BulletinError) as exc:
        render(make_issue("## 标题\n\n正文。\n", series="name: 测试\npublisher: 协会\nlayout_options: {body_size: 五号}\n"))
    problem = exc.value.problems[0]
    assert problem.file.name == "series.yaml" and "五号" in problem.message and "四号" in problem.hint


def test_html_comments_are_editors_notes_and_keep_line_numbers(make_issue):
    body = "<!-- 编辑备注：\n下期再登 -->\n## 标题\n\n正文<!-- 行内备注 -->继续。\n\n![图](images/none.png)\n"
    with pytest.raises(BulletinError) as exc:
        load(make_issue(body))
    assert exc.value.problems[0].line == 12  # the image line, counted with the comment's lines
    ok = load_issue(make_issue("<!-- 备注 -->\n## 标题\n\n正文<!-- 行内 -->继续。\n"))
    assert ok.issue.lead[0].body[0].content[0].text == "正文继续。"
