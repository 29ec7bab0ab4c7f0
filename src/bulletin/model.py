"""The data model: the single source of truth for a bulletin (简报).

Loaders produce these objects, templates consume them; nothing else carries issue data.
`bulletin schema` exports their JSON Schema.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator,
                      model_validator)
from pydantic_core import PydanticCustomError

from .limits import (MAX_LINE_FIELD_CHARS, MAX_PARAGRAPH_CHARS, MAX_PRINT_RUN, MAX_SERIES_WORDS,
                     MAX_TABLE_COLUMNS, MAX_TITLE_CHARS)

DistributionLabel = Literal["报", "送", "抄送", "发"]


def _date_as_written(value):
    """A date is written YYYY-MM-DD: a bare number (`date: 0`) is not a date, although pydantic
    would read it as seconds since 1970."""
    if isinstance(value, (str, dt.date)) and not isinstance(value, dt.datetime):
        return value
    raise PydanticCustomError("date_type", "Input should be a date written YYYY-MM-DD")


def _one_line(value: str) -> str:
    """Names and addresses are one line: a line break or control character in them would split
    a printed line, a file name or an e-mail header."""
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" for c in value):
        raise PydanticCustomError("single_line", "must be one line without control characters")
    return value


Date = Annotated[dt.date, BeforeValidator(_date_as_written)]
LineText = Annotated[str, Field(max_length=MAX_LINE_FIELD_CHARS)]
OneLine = Annotated[str, Field(max_length=MAX_LINE_FIELD_CHARS), AfterValidator(_one_line)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Span(Model):
    """A run of inline text with its emphasis. Text is plain text, never markup."""

    text: str
    strong: bool = False
    emphasis: bool = False


def _bounded(spans: list[Span]) -> list[Span]:
    """One paragraph, list item or table cell: at most MAX_PARAGRAPH_CHARS characters."""
    length = sum(len(s.text) for s in spans)
    if length > MAX_PARAGRAPH_CHARS:
        raise PydanticCustomError("paragraph_too_long", "{length} characters; at most {limit} in one paragraph",
                                  {"length": length, "limit": MAX_PARAGRAPH_CHARS})
    return spans


Spans = Annotated[list[Span], AfterValidator(_bounded)]


class Paragraph(Model):
    kind: Literal["paragraph"] = "paragraph"
    content: Spans = Field(min_length=1)


class Heading(Model):
    """A subheading (小标题) inside an article: level 3 (###, 一、) to 6 (######, （1）)."""

    kind: Literal["heading"] = "heading"
    level: int = Field(default=3, ge=3, le=6, description="3: 一、 黑体; 4: （一） 楷体; 5: 1. 仿宋; 6: （1） 仿宋")
    content: Spans = Field(min_length=1)


class ListBlock(Model):
    kind: Literal["list"] = "list"
    ordered: bool = False
    start: int = Field(default=1, ge=0, le=10**6)
    items: list[Spans] = Field(min_length=1)


class Figure(Model):
    """An image on its own line with an optional caption (图注)."""

    kind: Literal["figure"] = "figure"
    src: str = Field(description="URL of the image relative to the issue folder, as written in Markdown "
                                 "(non-ASCII characters percent-encoded)")
    caption: str = Field(default="", max_length=MAX_PARAGRAPH_CHARS)
    width: str | None = Field(
        default=None, pattern=r"^[0-9]+(\.[0-9]+)?(%|字|mm)$",
        description="Printed width: 60% of the block, 12字 (characters of the grid) or 80mm; "
                    "default: as wide as the block allows within the height limit")

    @property
    def path(self) -> str:
        """The image's file, relative to the issue folder (images/照片.jpg)."""
        from urllib.parse import unquote

        return unquote(self.src)


class FigureRow(Model):
    """Two or three pictures side by side (one paragraph of images), each with its caption."""

    kind: Literal["figures"] = "figures"
    figures: list[Figure] = Field(min_length=2, max_length=3)


class Table(Model):
    kind: Literal["table"] = "table"
    header: list[Spans] = Field(max_length=MAX_TABLE_COLUMNS)
    rows: list[Annotated[list[Spans], Field(max_length=MAX_TABLE_COLUMNS)]]
    align: list[Literal["left", "center", "right"] | None] = []


Block = Annotated[Union[Paragraph, Heading, ListBlock, Figure, FigureRow, Table], Field(discriminator="kind")]


class Article(Model):
    kicker: LineText | None = Field(default=None, description="引题: the line above the title, e.g. the issuing body")
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS,
                       description="标题; a newline marks where a long title should break")
    subtitle: LineText | None = Field(default=None, description="副题, e.g. “——在…会议上的讲话”")
    body: list[Block] = Field(min_length=1)
    byline: LineText | None = Field(
        default=None, description="署名/来源 shown as （…） at the end, without the parentheses"
    )

    @field_validator("byline")
    @classmethod
    def _strip_parentheses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if value[:1] in "(（" and value[-1:] in ")）":
            value = value[1:-1].strip()
        return value or None


class Section(Model):
    """栏目, printed as 【name】."""

    name: str = Field(min_length=1, max_length=MAX_LINE_FIELD_CHARS)
    articles: list[Article] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _strip_brackets(cls, value: str) -> str:
        return value.strip().removeprefix("【").removesuffix("】").strip()


class DistributionLine(Model):
    """One line of the 报送 block: 报：A、B."""

    label: DistributionLabel
    recipients: list[Annotated[OneLine, Field(min_length=1)]] = Field(min_length=1)


class Recipient(Model):
    """A body in the series' recipient registry (报送单位名册, recipients.yaml)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=40, description="Short name, used in file names")
    name: OneLine = Field(min_length=1, description="Full name as printed in the 报送 lines")
    category: DistributionLabel = Field(description="报 / 送 / 抄送 / 发")
    copies: int = Field(default=1, ge=1, le=999, description="Printed copies this body receives")
    email: str | None = Field(default=None, pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
    address: OneLine | None = Field(default=None, description="Postal address")
    contact: OneLine | None = Field(default=None, description="Contact person")
    regular: bool = Field(default=True, description="In every issue; false: only when an issue adds it (增发)")

    @property
    def channel(self) -> str:
        return "email" if self.email else ("post" if self.address else "hand")


class MailSettings(Model):
    """How `bulletin distribute --send` mails copies. The password is never stored here: it comes
    from the environment (BULLETIN_SMTP_PASSWORD)."""

    host: OneLine | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    user: OneLine | None = None
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    sender: OneLine | None = Field(default=None, description="From: address, e.g. 某协会 <bulletin@example.org>")
    subject: str = "{{ title }}"
    body: str = ("{{ recipient }}：\n\n附件为《{{ series }}》{{ year }}年第{{ number }}期（份号 {{ copy }}），请查收。\n\n"
                 "{{ publisher }}\n")


class Registry(Model):
    """recipients.yaml: every body a series is distributed to, and optional mail settings."""

    recipients: list[Recipient] = Field(min_length=1)
    mail: MailSettings = MailSettings()


CLASSIFICATION = r"^[^\s★]{1,8}(★[^\s★]{1,12})?$"


class Masthead(Model):
    """报头 options."""

    title: OneLine | None = Field(default=None, description="Large red title; defaults to the series name")
    notice: OneLine | None = Field(default=None, description="Line above the title, e.g. 内部资料　注意保存")
    show_total_number: bool = Field(default=True, description="Print （总第×期） when the issue has one")
    copy_number: bool | None = Field(
        default=None, description="Keep the first line of page 1 for the 份号 of distributed copies "
                                  "(GB/T 9704 §7.2.1); default: when the series has recipients.yaml")
    classification: str | None = Field(
        default=None, pattern=CLASSIFICATION,
        description="密级和保密期限 printed on every issue (GB/T 9704 §7.2.2), e.g. 内部★1年; an issue may set its own")
    printing: Literal["full", "pre-printed"] = Field(
        default="full", description="pre-printed (套打): the print run leaves out the red title and rule, "
                                    "for paper with the masthead printed on it")
    red: list[Annotated[float, Field(ge=0, le=100)]] = Field(
        default=[0, 80, 80, 0], min_length=4, max_length=4,
        description="The masthead's red in CMYK per cent, e.g. [0, 100, 100, 0]")
    red_spot: str | None = Field(
        default=None, min_length=1, max_length=60,
        description="A spot colour name for the red (e.g. PANTONE 485 C); `red` is its CMYK alternate")


class Colophon(Model):
    """版记 lines besides 报/送/抄送 (GB/T 9704 §7.4): 印发机关和印发日期, and the 编辑 / 审核 / 签发 line
    many 简报 carry. Set in series.yaml as defaults; an issue's own values replace them one by one."""

    issuer: OneLine | None = Field(default=None, description="印发机关, e.g. 县委办公室秘书科")
    issued: Date | None = Field(default=None, description="印发日期 (default: the issue's date)")
    editor: OneLine | None = Field(default=None, description="编辑")
    reviewer: OneLine | None = Field(default=None, description="审核")
    approver: OneLine | None = Field(default=None, description="签发")


LayoutOption = Union[str, int, float, bool]


class Series(Model):
    """A bulletin title that appears issue after issue (e.g. 山西通信行业)."""

    @model_validator(mode="before")
    @classmethod
    def _masthead_shorthand(cls, data):
        """`masthead: pre-printed` (套打) stands for `masthead: {printing: pre-printed}`."""
        if isinstance(data, dict) and data.get("masthead") in ("pre-printed", "套打"):
            data = {**data, "masthead": {"printing": "pre-printed"}}
        return data

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64,
                    description="Short name used in output file names")
    name: OneLine = Field(min_length=1, description="刊名, e.g. 山西通信行业")
    publisher: OneLine = Field(min_length=1, description="编发单位, e.g. 山西省通信行业协会")
    layout: str = Field(default="jianbao", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", max_length=200,
                        description="版式：内置版式名，或刊物自带的版式（layouts/ 下的文件夹名，或相对刊物文件夹的路径）")
    layout_options: dict[str, LayoutOption] = {}
    masthead: Masthead = Masthead()
    distribution: list[DistributionLine] = []
    print_run: int | None = Field(default=None, ge=1, le=MAX_PRINT_RUN, description="共印×份 default")
    keywords: list[OneLine] = []
    colophon: Colophon = Field(default=Colophon(), description="版记 defaults: 印发机关, 编辑/审核/签发")
    words: list[Annotated[OneLine, Field(min_length=2, max_length=40)]] = Field(
        default=[], max_length=MAX_SERIES_WORDS,
        description="专名词表: names that titles never break (besides the publisher and the "
                    "recipients); more in words.txt beside series.yaml, one a line")
    number_restarts_yearly: bool = Field(default=True, description="期号 starts again at 1 each year")
    fonts: dict[str, str] = Field(
        default={},
        description="The office's own font files per role (仿宋, 楷体, 黑体, 宋体, 标题, 报头): a path inside "
                    "the series folder or an absolute path; the bundled fonts draw what they lack")


class Issue(Model):
    number: int = Field(ge=1, le=9999, description="期号 within the year (of the supplements, for a 增刊)")
    supplement: bool = Field(default=False, description="增刊: numbered apart from the regular issues (增刊第1期)")
    total_number: int | None = Field(default=None, ge=1, le=999_999, description="总第×期")
    classification: str | None = Field(default=None, pattern=CLASSIFICATION,
                                       description="密级和保密期限, e.g. 内部★1年 (replaces the series')")
    date: Date
    editor_note: str | None = Field(default=None, max_length=MAX_PARAGRAPH_CHARS, description="编者按")
    lead: list[Article] = Field(default=[], description="Articles before the first section")
    sections: list[Section] = []
    distribution: list[DistributionLine] | None = Field(
        default=None, description="报送 lines; when absent, the series' default"
    )
    print_run: int | None = Field(default=None, ge=1, le=MAX_PRINT_RUN, description="共印×份")
    colophon: Colophon | None = Field(default=None, description="版记 values for this issue (replace the series')")
    layout_options: dict[str, LayoutOption] = Field(default={}, description="Overrides the series' options")
    assumed: list[str] = Field(
        default=[], description="Fields whose values are assumed, not taken from the source document"
    )
    draft: bool = Field(default=False, description="草稿：build 一个文件夹时跳过（--drafts 才排），排出的 PDF 每页印“草稿”")

    @property
    def year(self) -> int:
        return self.date.year

    def articles(self) -> list[Article]:
        return [*self.lead, *(a for s in self.sections for a in s.articles)]


class Bulletin(Model):
    """An issue together with its series: everything a layout needs."""

    series: Series
    issue: Issue
    recipients: list[Recipient] = Field(
        default=[], description="This issue's bodies from the series registry, in print order"
    )
    registry: Registry | None = None

    @property
    def distribution(self) -> list[DistributionLine]:
        if self.recipients:  # from the registry: one line per category, in the order first met
            lines: dict[str, list[str]] = {}
            for body in self.recipients:
                lines.setdefault(body.category, []).append(body.name)
            return [DistributionLine(label=label, recipients=names) for label, names in lines.items()]
        return self.issue.distribution if self.issue.distribution is not None else self.series.distribution

    @property
    def print_run(self) -> int | None:
        return self.issue.print_run if self.issue.print_run is not None else self.series.print_run

    @property
    def colophon(self) -> Colophon:
        """The series' 版记 values with the issue's own over them; 印发日期 defaults to the issue date."""
        own = self.issue.colophon.model_dump(exclude_unset=True) if self.issue.colophon else {}
        merged = self.series.colophon.model_copy(update=own)
        if merged.issuer and merged.issued is None:
            merged = merged.model_copy(update={"issued": self.issue.date})
        return merged

    @property
    def number_label(self) -> str:
        """第7期, or 增刊第1期 for a supplement."""
        return f"{'增刊' if self.issue.supplement else ''}第{self.issue.number}期"

    @property
    def title(self) -> str:
        return f"{self.series.name} {self.issue.year}年{self.number_label}"

    @property
    def output_stem(self) -> str:
        return self.stem_for(self.series.id, self.issue.year, self.issue.number, self.issue.supplement)

    @staticmethod
    def stem_for(series_id: str, year: int, number: int, supplement: bool = False) -> str:
        """<series>-<year>-<number>: the name of an issue's output files; a supplement's number is
        zk<number> (增刊)."""
        return f"{series_id}-{year}-{'zk' if supplement else ''}{number}"

    @property
    def classification(self) -> str | None:
        return self.issue.classification or self.series.masthead.classification

    @property
    def copy_number_line(self) -> bool:
        """Whether page 1 keeps its first line for the 份号 of distributed copies."""
        own = self.series.masthead.copy_number
        return own if own is not None else self.registry is not None


def json_schema() -> dict:
    """JSON Schema of the series file and of an issue's front matter + body, as one document."""
    from pydantic.json_schema import models_json_schema

    _, schema = models_json_schema(
        [(Series, "validation"), (Issue, "validation"), (Registry, "validation")],
        title="bulletin series, issue and recipients files"
    )
    return schema
