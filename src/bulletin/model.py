"""The data model: the single source of truth for a bulletin (简报).

Loaders produce these objects, templates consume them; nothing else carries issue data.
`bulletin schema` exports their JSON Schema.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

DistributionLabel = Literal["报", "送", "抄送", "发"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Span(Model):
    """A run of inline text with its emphasis. Text is plain text, never markup."""

    text: str
    strong: bool = False
    emphasis: bool = False


class Paragraph(Model):
    kind: Literal["paragraph"] = "paragraph"
    content: list[Span] = Field(min_length=1)


class Heading(Model):
    """A subheading (小标题) inside an article."""

    kind: Literal["heading"] = "heading"
    content: list[Span] = Field(min_length=1)


class ListBlock(Model):
    kind: Literal["list"] = "list"
    ordered: bool = False
    start: int = Field(default=1, ge=0)
    items: list[list[Span]] = Field(min_length=1)


class Figure(Model):
    """An image on its own line with an optional caption (图注)."""

    kind: Literal["figure"] = "figure"
    src: str = Field(description="Path of the image, relative to the issue folder")
    caption: str = ""


class Table(Model):
    kind: Literal["table"] = "table"
    header: list[list[Span]]
    rows: list[list[list[Span]]]
    align: list[Literal["left", "center", "right"] | None] = []


Block = Annotated[Union[Paragraph, Heading, ListBlock, Figure, Table], Field(discriminator="kind")]


class Article(Model):
    kicker: str | None = Field(default=None, description="引题: the line above the title, e.g. the issuing body")
    title: str = Field(min_length=1, description="标题; a newline marks where a long title should break")
    subtitle: str | None = Field(default=None, description="副题, e.g. “——在…会议上的讲话”")
    body: list[Block] = Field(min_length=1)
    byline: str | None = Field(
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

    name: str = Field(min_length=1)
    articles: list[Article] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _strip_brackets(cls, value: str) -> str:
        return value.strip().removeprefix("【").removesuffix("】").strip()


class DistributionLine(Model):
    """One line of the 报送 block: 报：A、B."""

    label: DistributionLabel
    recipients: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class Recipient(Model):
    """A body in the series' recipient registry (报送单位名册, recipients.yaml)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Short name, used in file names")
    name: str = Field(min_length=1, description="Full name as printed in the 报送 lines")
    category: DistributionLabel = Field(description="报 / 送 / 抄送 / 发")
    copies: int = Field(default=1, ge=1, le=999, description="Printed copies this body receives")
    email: str | None = Field(default=None, pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
    address: str | None = Field(default=None, description="Postal address")
    contact: str | None = Field(default=None, description="Contact person")
    regular: bool = Field(default=True, description="In every issue; false: only when an issue adds it (增发)")

    @property
    def channel(self) -> str:
        return "email" if self.email else ("post" if self.address else "hand")


class MailSettings(Model):
    """How `bulletin distribute --send` mails copies. The password is never stored here: it comes
    from the environment (BULLETIN_SMTP_PASSWORD)."""

    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    user: str | None = None
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str | None = Field(default=None, description="From: address, e.g. 某协会 <bulletin@example.org>")
    subject: str = "{{ title }}"
    body: str = ("{{ recipient }}：\n\n附件为《{{ series }}》{{ year }}年第{{ number }}期（份号 {{ copy }}），请查收。\n\n"
                 "{{ publisher }}\n")


class Registry(Model):
    """recipients.yaml: every body a series is distributed to, and optional mail settings."""

    recipients: list[Recipient] = Field(min_length=1)
    mail: MailSettings = MailSettings()


class Masthead(Model):
    """报头 options."""

    title: str | None = Field(default=None, description="Large red title; defaults to the series name")
    notice: str | None = Field(default=None, description="Line above the title, e.g. 内部资料　注意保存")
    show_total_number: bool = Field(default=True, description="Print （总第×期） when the issue has one")


LayoutOption = Union[str, int, float, bool]


class Series(Model):
    """A bulletin title that appears issue after issue (e.g. 山西通信行业)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Short name used in output file names")
    name: str = Field(min_length=1, description="刊名, e.g. 山西通信行业")
    publisher: str = Field(min_length=1, description="编发单位, e.g. 山西省通信行业协会")
    layout: str = Field(default="jianbao", pattern=r"^[A-Za-z0-9_-]+$")
    layout_options: dict[str, LayoutOption] = {}
    masthead: Masthead = Masthead()
    distribution: list[DistributionLine] = []
    print_run: int | None = Field(default=None, ge=1, description="共印×份 default")
    keywords: list[str] = []
    number_restarts_yearly: bool = Field(default=True, description="期号 starts again at 1 each year")
    fonts: dict[str, str] = Field(
        default={},
        description="The office's own font files per role (仿宋, 楷体, 黑体, 宋体, 标题, 报头): a path inside "
                    "the series folder or an absolute path; the bundled fonts draw what they lack")


class Issue(Model):
    number: int = Field(ge=1, description="期号 within the year")
    total_number: int | None = Field(default=None, ge=1, description="总第×期")
    date: dt.date
    editor_note: str | None = Field(default=None, description="编者按")
    lead: list[Article] = Field(default=[], description="Articles before the first section")
    sections: list[Section] = []
    distribution: list[DistributionLine] | None = Field(
        default=None, description="报送 lines; when absent, the series' default"
    )
    print_run: int | None = Field(default=None, ge=1, description="共印×份")
    layout_options: dict[str, LayoutOption] = Field(default={}, description="Overrides the series' options")
    assumed: list[str] = Field(
        default=[], description="Fields whose values are assumed, not taken from the source document"
    )

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
    def title(self) -> str:
        return f"{self.series.name} {self.issue.year}年第{self.issue.number}期"

    @property
    def output_stem(self) -> str:
        return f"{self.series.id}-{self.issue.year}-{self.issue.number}"


def json_schema() -> dict:
    """JSON Schema of the series file and of an issue's front matter + body, as one document."""
    from pydantic.json_schema import models_json_schema

    _, schema = models_json_schema(
        [(Series, "validation"), (Issue, "validation"), (Registry, "validation")],
        title="bulletin series, issue and recipients files"
    )
    return schema
