"""`bulletin init DIR`: a new series folder to start from, like `hugo new site` or `mkdocs new`.

Writes DIR/series.yaml (every setting, commented in Chinese; the ones not needed yet commented
out), DIR/recipients.yaml (the 报送单位名册), DIR/bulletin.schema.json (for editors' YAML tooling,
named in each file's `# yaml-language-server: $schema=…` line) and a first issue from the same
template as `bulletin new`. Refuses a DIR that exists and is not empty: nothing is overwritten."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

from ..errors import BulletinError, Problem, os_problem
from ..check.preflight import PLACEHOLDER_PUBLISHER
from .new import SCHEMA_FILE, new_issue, schema_comment_for
from ..output.write import write_atomic

SERIES = """{schema}# 刊物设置（bulletin init 生成）。每个刊物一个文件夹：本文件放在文件夹里，各期放在子文件夹中
# （用 bulletin new {folder} 新建下一期）。以 # 开头的是注释；去掉行首的 # 即启用该设置。

id: {id}                        # 英文短名，用于输出文件名：{id}-{year}-1.pdf（字母、数字、- _ .）
name: {name}                    # 刊名（报头红色大字）
publisher: {publisher}          # 编发单位（报头下方左侧）
layout: jianbao                 # 版式：内置的 jianbao（GB/T 9704 版心）；也可用自带版式：layouts/ 下的文件夹名
layout_options:                 # 版式选项（每期可在 issue.md 里另设）
  body_size: 三号               # 正文字号：三号（每行 28 字、每页 22 行）或 四号（32 字 × 28 行）
  # heading_numbers: "on"       # 文中结构层次序数：自动编“一、（一）1.（1）”
  # grid: "on"                  # 版心网格：所有行落在同一网格上
  # duplex: "on"                # 双面印刷：页码单页居右、双页居左
  # hanging: "on"               # 行末标点悬挂
  # last_line_min: "2"          # 段落末行至少几个字（1–4）
  # line_start_opening: full    # 行首开括号：full 保留空白，half 去掉半个字的空白
masthead:                       # 报头
  show_total_number: true       # 有“总期号”时印（总第×期）
  # title: 工作简报             # 报头大字（默认为刊名）
  # notice: 内部资料　注意保存  # 报头上方一行小字
  # classification: 内部★1年   # 密级和保密期限（每期可另设）
  # copy_number: true           # 首页留出份号一行（有 recipients.yaml 时默认留出）
  # printing: pre-printed       # 套打：纸上已印报头，印刷文件不再印红色报头
  # red: [0, 100, 100, 0]       # 报头红色（CMYK 百分比）
  # red_spot: PANTONE 485 C     # 报头专色名称（red 为其 CMYK 替代色）
# 报送：有 recipients.yaml（报送单位名册）时，报、送各行由名册生成，这里不用写。
# distribution:                # 没有名册时的默认报送各行（每期可另设）
#   报: [上级单位]
#   送: [有关部门]
# print_run: 100                # 共印份数（每期可另设）
keywords: [{name}, 简报]        # PDF 文件信息中的关键词
# colophon:                     # 版记：印发机关、印发日期，编辑/审核/签发一行（每期可另设）
#   issuer: {publisher}         # 印发机关
#   editor: 张三                # 编辑
#   reviewer: 李四              # 审核
#   approver: 王五              # 签发
# words: [专有名词]             # 专名词表：标题换行时不拆开的名称（也可写在同一文件夹的 words.txt 里，每行一个）
# number_restarts_yearly: true  # 期号每年从 1 开始（false：连续编号）
# fonts:                        # 本单位的字体文件（有授权的方正小标宋、仿宋_GB2312 等），缺字由内置字体补足
#   仿宋: fonts/仿宋_GB2312.ttf
#   标题: fonts/方正小标宋简体.ttf
"""

RECIPIENTS = """{schema}# 报送单位名册（bulletin init 生成）：版记中的报、送各行由此生成；bulletin distribute 按此编号、登记、发送。
# id：英文短名（用于文件名）；name：印在版记里的全称；category：报 / 送 / 抄送 / 发；
# copies：印发份数（默认 1）；email、address、contact：可选的邮箱、地址、联系人；
# regular: false 的单位只在某期“增发”时才有。
recipients:
  - id: superior
    name: 上级主管单位
    category: 报
  - id: leaders
    name: 本单位领导
    category: 送
    copies: 2
  # - id: archive
  #   name: 档案室
  #   category: 发
  #   regular: false

# 邮件发送设置（bulletin distribute --send）。密码只从环境变量 BULLETIN_SMTP_PASSWORD 读取，不写在文件里。
# mail:
#   host: smtp.example.org
#   port: 587
#   user: bulletin@example.org
#   tls: starttls
#   sender: {publisher} <bulletin@example.org>
"""


def _yaml_text(value: str) -> str:
    """A name as a plain YAML scalar, quoted when YAML would read it otherwise."""
    if re.fullmatch(r"[^\s:#\[\]{},&*!|>'\"%@`-][^:#\[\]{},]*", value) and value.strip() == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _series_id(folder: Path) -> str:
    ident = re.sub(r"[^A-Za-z0-9_.-]+", "-", folder.resolve().name).strip("-._")
    return ident[:64] if ident and ident[0].isalnum() else "bulletin"


# PLACEHOLDER_PUBLISHER (`init` without --publisher): defined with the check that refuses it, in check/preflight.py.


def init_series(folder: Path, name: str = "工作简报", publisher: str = PLACEHOLDER_PUBLISHER, date: dt.date | None = None,
                series_id: str | None = None) -> Path:
    """Create the series folder; returns the first issue's folder. BulletinError when `folder`
    exists and is not empty, or cannot be written (then nothing is left behind)."""
    from ..source.schema import root_schema

    folder = Path(folder)
    try:
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise BulletinError(Problem(
                folder, None, f"{folder} 已经存在且不是空文件夹，不覆盖", f"{folder} exists and is not empty; not overwriting",
                "换一个新文件夹名；下一期用 bulletin new 新建", "choose a new folder; make the next issue with bulletin new"))
    except OSError as exc:
        raise BulletinError(os_problem(exc, folder, ("读取", "read"))) from None
    date = date or dt.date.today()
    ident = series_id or _series_id(folder)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", ident):
        raise BulletinError(Problem(None, None, f"刊物短名 {ident} 不对：只能用字母、数字和 - _ .，以字母或数字开头",
                                    f"bad series id {ident}: letters, digits, - _ . only, starting with a letter or digit"))
    created = not folder.exists()
    values = {"folder": folder, "id": ident, "name": _yaml_text(name), "publisher": _yaml_text(publisher),
              "year": date.year, "schema": f"# yaml-language-server: $schema={SCHEMA_FILE}\n"}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / SCHEMA_FILE, (json.dumps(root_schema(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        write_atomic(folder / "series.yaml", SERIES.format(**values).encode("utf-8"))
        write_atomic(folder / "recipients.yaml", RECIPIENTS.format(**values).encode("utf-8"))
        return new_issue(folder, date, schema_comment=schema_comment_for(folder, issue=True))
    except (OSError, BulletinError) as exc:
        if created:
            shutil.rmtree(folder, ignore_errors=True)  # nothing half-made left behind
        else:
            for name_ in (SCHEMA_FILE, "series.yaml", "recipients.yaml"):
                (folder / name_).unlink(missing_ok=True)
        if isinstance(exc, BulletinError):
            raise
        raise BulletinError(os_problem(exc, folder, ("新建刊物文件夹", "create the series folder"))) from None
