"""`bulletin new`: the next issue of a series."""
from __future__ import annotations

import shutil

from typer.testing import CliRunner

from bulletin.api import check
from bulletin.cli import app
from bulletin.source.load import load_issue

from .conftest import SAMPLE


def test_next_issue_of_the_sample_series(tmp_path):
    series = tmp_path / "shanxi-tongxin"
    shutil.copytree(SAMPLE.parent, series)
    result = CliRunner().invoke(app, ["new", str(series), "--date", "2021-08-30"])
    assert result.exit_code == 0, result.output
    folder = series / "2021-08"
    bulletin = load_issue(folder)
    issue = bulletin.issue
    assert (issue.number, issue.date.isoformat()) == (8, "2021-08-30")
    # the series' registry gives the 报送 lines; the template shows them and how to add or drop
    assert issue.distribution is None
    assert [(d.label, d.recipients[0]) for d in bulletin.distribution] == [("报", "中国通信企业协会"), ("送", "山西省通信管理局领导")]
    text = (folder / "issue.md").read_text(encoding="utf-8")
    assert "#   报：中国通信企业协会（cace）" in text and "#   增发:" in text
    assert "<!--" in text and "写法" not in "".join(s.text for a in issue.articles() for b in a.body for s in b.content)
    assert (folder / "images").is_dir()
    # the only errors of the fresh template are its example article, which must not be printed
    result = check(folder)
    assert [p.message for p in result.errors] == ["模板里的示例栏目“栏目名”还没有替换，会印出来",
                                                  "模板里的示例文章《文章标题》还没有替换，会印出来"]
    assert result.warnings == []
    # never overwrites: the same folder again is refused
    (folder / "issue.md").write_text(text + "\n编辑过的内容。\n", encoding="utf-8")
    again = CliRunner().invoke(app, ["new", str(series), "--date", "2021-08-30"])
    assert again.exit_code == 0 and (series / "2021-09").is_dir()  # the next number, a new folder
    assert "编辑过的内容" in (folder / "issue.md").read_text(encoding="utf-8")


def test_year_end_restarts_the_number_and_advances_the_total(tmp_path):
    series = tmp_path / "demo"
    series.mkdir()
    (series / "series.yaml").write_text("name: 演示\npublisher: 协会\ndistribution:\n  报: [上级]\n", encoding="utf-8")
    for name, number, total, date in [("2023-23", 23, 120, "2023-12-10"), ("2023-24", 24, 121, "2023-12-28")]:
        (series / name).mkdir()
        (series / name / "issue.md").write_text(
            f"---\nnumber: {number}\ntotal_number: {total}\ndate: {date}\n---\n\n## t\n\nx\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["new", str(series), "--date", "2024-01-08"])
    assert result.exit_code == 0, result.output
    issue = load_issue(series / "2024-01").issue
    assert (issue.number, issue.total_number) == (1, 122)
    assert issue.distribution is None  # the series' default applies
    (series / "series.yaml").write_text("name: 演示\npublisher: 协会\nnumber_restarts_yearly: false\n", encoding="utf-8")
    shutil.rmtree(series / "2024-01")
    CliRunner().invoke(app, ["new", str(series), "--date", "2024-01-08"])
    assert load_issue(series / "2024-25").issue.number == 25


def test_existing_folder_and_bad_date_are_refused(tmp_path):
    series = tmp_path / "demo"
    (series / "2024-01").mkdir(parents=True)
    (series / "series.yaml").write_text("name: 演示\npublisher: 协会\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["new", str(series), "--date", "2024-01-08"])
    assert result.exit_code == 2 and "已经存在" in result.output
    assert CliRunner().invoke(app, ["new", str(series), "--date", "2024-13-01"]).exit_code == 2
