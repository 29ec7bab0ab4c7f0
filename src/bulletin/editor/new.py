"""`bulletin new`: the next issue folder of a series, ready to fill in."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ..errors import BulletinError, Problem, os_problem
from ..source.load import ISSUE_FILE, load_series, sibling_issues
from ..source.recipients import load_registry
from ..output.write import write_atomic

TEMPLATE = """---
# {series} {year}年{label} — 期刊信息（YAML）。以 # 开头的行是注释，可删去。
number: {number}                     # {number_comment}{supplement_line}{total_line}
date: {date}                 # 出刊日期
# editor_note: |                    # 编者按（可选）
#   ……
{distribution}{print_run}---

<!--
  写法（这段注释不会印出来）：
  # 栏目名                     栏目，印成【栏目名】；第一个栏目之前的文章是导语文章
  ## 文章标题                  文章；太长的标题可用 | 指定断行
  引题：某某单位               可选，写在标题的上一行或下一行
  副题：——在……会议上的讲话     可选，写在标题的下一行
  段落之间空一行；一段可以分几行写。**加粗**、*楷体*、列表（1. / -）、表格、
  单独一行的图片 ![图注](images/照片.jpg)（图片放在本期的 images 文件夹里）。
  文末另起一行写（作者或来源）作为署名。
-->

# {placeholder_section}

## {placeholder_title}

{placeholder_paragraphs[0]}

{placeholder_paragraphs[1]}

（{placeholder_byline}）
"""

# The example article of the template: `check` refuses an issue that still prints it.
PLACEHOLDER_SECTION = "栏目名"
PLACEHOLDER_TITLE = "文章标题"
PLACEHOLDER_PARAGRAPHS = ("第一段正文。", "第二段正文。")
PLACEHOLDER_BYLINE = "作者"


def _previous_distribution(series_dir: Path, date: dt.date) -> str:
    """The distribution block of the latest earlier issue's front matter, as written there."""
    for sibling in reversed(sibling_issues(series_dir)):
        block = re.search(r"^distribution:.*\n(?:[ \t]+.*\n)*", sibling.front_matter, re.M)
        if sibling.date <= date and block:
            return block.group()
    return ""


def next_issue(series_dir: Path, date: dt.date, supplement: bool = False) -> tuple[int, int | None]:
    """(期号, 总期号) for an issue of `series_dir` dated `date`. 增刊 (supplement=True) are counted
    apart from the regular issues and have no 总期号."""
    series = load_series(series_dir)
    earlier = [s for s in sibling_issues(series_dir) if s.date <= date and s.supplement == supplement]
    if not earlier:
        return 1, None
    last = earlier[-1]
    number = 1 if series.number_restarts_yearly and last.date.year != date.year else last.number + 1
    if supplement:
        return number, None
    return number, (last.total_number + 1 if last.total_number is not None else None)


def new_issue(series_dir: Path, date: dt.date | None = None, supplement: bool = False) -> Path:
    """Create SERIES_DIR/<year>-<number>/issue.md (a 增刊: <year>-zk<number>) and images/;
    refuses to overwrite anything."""
    series_dir = Path(series_dir)
    date = date or dt.date.today()
    series = load_series(series_dir)
    number, total = next_issue(series_dir, date, supplement)
    folder = series_dir / f"{date.year}-{'zk' if supplement else ''}{number:02d}"
    if folder.exists():
        raise BulletinError(Problem(
            folder, None, f"{folder.name} 已经存在，不覆盖", f"{folder.name} already exists; not overwriting",
            "换一个日期，或先处理已有的文件夹", "choose another date or deal with the existing folder"))
    distribution = ""
    registry = load_registry(series_dir)
    previous = _previous_distribution(series_dir, date)
    if registry is not None:  # the lines come from recipients.yaml; an issue only adds or drops
        regular = [b for b in registry.recipients if b.regular]
        lines = "".join(f"#   {b.category}：{b.name}（{b.id}）\n" for b in regular)
        distribution = ("# 报送来自 recipients.yaml（报送单位名册），本期为：\n" + lines +
                        "# 本期增发或停发时去掉下面的 # 并修改：\n# distribution:\n#   增发: [单位编号或全称]\n#   停发: []\n")
    elif previous:
        distribution = "# 报送（沿用上一期，请核对）\n" + previous
    elif series.distribution:
        lines = "".join(f"#   {d.label}: [{', '.join(d.recipients)}]\n" for d in series.distribution)
        distribution = "# 报送默认沿用刊物设置；本期要改时去掉下面的 # 并修改：\n# distribution:\n" + lines
    else:
        distribution = "distribution:                 # 报送：报 / 送 / 抄送 / 发\n  报: [上级单位]\n"
    print_run = (f"# print_run: {series.print_run}              # 共印份数（默认沿用刊物设置）\n"
                 if series.print_run else "# print_run: 100               # 共印份数（可选）\n")
    text = TEMPLATE.format(
        series=series.name, year=date.year, number=number, date=date.isoformat(),
        label=f"{'增刊' if supplement else ''}第{number}期", number_comment="增刊期号（与正刊分开编号）" if supplement else "期号",
        supplement_line="\nsupplement: true                # 增刊" if supplement else "",
        total_line=f"\ntotal_number: {total}               # 总期号" if total else "",
        distribution=distribution, print_run=print_run, placeholder_section=PLACEHOLDER_SECTION,
        placeholder_title=PLACEHOLDER_TITLE, placeholder_paragraphs=PLACEHOLDER_PARAGRAPHS,
        placeholder_byline=PLACEHOLDER_BYLINE)
    try:
        folder.mkdir(parents=True)
    except OSError as exc:  # a read-only series folder, a full disk…
        raise BulletinError(os_problem(exc, folder, ("新建期刊文件夹", "create the issue folder"))) from None
    try:
        (folder / "images").mkdir()
        write_atomic(folder / ISSUE_FILE, re.sub(r"[ \t]+\n", "\n", text).encode("utf-8"))
    except OSError as exc:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)  # no half-made issue left behind
        raise BulletinError(os_problem(exc, folder / ISSUE_FILE, ("写入", "write"))) from None
    return folder
