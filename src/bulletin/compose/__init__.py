"""Compose stage: Bulletin model → HTML, through a layout's Jinja2 template.

Issue content is data, never template source: it reaches the template only as values, and
autoescaping is on, so `{{ 7*7 }}` or `<script>` in an article prints as typed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from .blocks import Measures, with_views
from .headings import number_headings
from ..style.layout import Layout, length_pt
from .pictures import PictureRules
from .placement import Outline, Plan
from .tables import cell_markup, cell_mode, small_size
from ..model import Article, Bulletin
from .titles import Lexicon, break_title, font_metrics, keep_segments, lexicon_for


@dataclass(frozen=True)
class Composed:
    html: str
    css: str  # generated stylesheet: fonts and the layout options' custom properties
    outline: Outline | None = None  # the keyed blocks of each article, for picture placement


from .markup import autospace, inline, lines


def cn_date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _environment(layout: Layout) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(layout.folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    # `plain`: a plain text field (kicker, subtitle, byline, recipients) → escaped, spaced HTML
    env.filters.update(inline=inline, lines=lines, plain=autospace, cn_date=cn_date)
    env.globals.update(cell=lambda spans, header, fit_mode: cell_markup(spans, cell_mode(spans, header, fit_mode)))
    return env


_environments: dict[str, jinja2.Environment] = {}


def _grid_pt(option_css: dict[str, str]) -> float:
    """One character of the body grid (the titles' side padding)."""
    return length_pt(option_css.get("--body-size", "0pt")) + length_pt(option_css.get("--letter-spacing", "0pt"))


@dataclass(frozen=True)
class HeadMeasures:
    """Where the lines of an article's head (标题, 引题, 副题) break: the measure of each in em of
    its own size (the block less one grid character each side) and the metrics of its font."""

    title: tuple[float, object]
    kicker: tuple[float, object] | None
    subtitle: tuple[float, object] | None

    @classmethod
    def of(cls, layout: Layout, option_css: dict[str, str]) -> "HeadMeasures | None":
        if "--title-size" not in option_css or not layout.measure_pt:
            return None
        inner = layout.measure_pt - 2 * _grid_pt(option_css)

        def measure(size_var: str, kind: str):
            size = option_css.get(size_var)
            if not size:
                return None
            chain = layout.text_fonts.get(kind) or ()
            return inner / length_pt(size), font_metrics(chain[0] if chain else None)

        return cls(measure("--title-size", "title"), measure("--kicker-size", "body"),
                   measure("--body-size", "kai"))


def break_heads(article: Article, measures: HeadMeasures, lexicon: Lexicon) -> Article:
    """The article with its title, kicker and subtitle broken into lines by words (titles.py)."""
    update = {"title": break_title(article.title, measures.title[0], lexicon, measures.title[1])}
    for name in ("kicker", "subtitle"):
        value, spec = getattr(article, name), getattr(measures, name)
        if value and spec:
            update[name] = break_title(value, spec[0], lexicon, spec[1])
    return article.model_copy(update=update)


def _with_broken_heads(issue, measures: HeadMeasures, lexicon: Lexicon):
    def fix(article: Article) -> Article:
        return break_heads(article, measures, lexicon)

    return issue.model_copy(update={
        "lead": [fix(a) for a in issue.lead],
        "sections": [s.model_copy(update={"articles": [fix(a) for a in s.articles]}) for s in issue.sections],
    })


def _env(layout: Layout) -> jinja2.Environment:
    env = _environments.get(layout.name)
    if env is None:
        env = _environments[layout.name] = _environment(layout)
    return env


def compose_extra(layout: Layout, kind: str, font_css: str, **context) -> Composed:
    """Another page set of the layout (`templates:` in layout.yaml, e.g. the copy-number stamp or
    the distribution register) with the same fonts and escaping rules as the issue."""
    name = layout.templates.get(kind)
    if name is None:
        from ..errors import BulletinError, Problem

        raise BulletinError(Problem(layout.folder / "layout.yaml", None, f"版式 {layout.name} 没有 {kind} 模板",
                                    f"layout {layout.name} has no {kind} template",
                                    f"在 layout.yaml 的 templates 下写 {kind}: 文件名",
                                    f"add {kind}: FILE under templates: in layout.yaml"))
    return Composed(html=_env(layout).get_template(name).render(**context), css=font_css)


def root_properties(props: dict[str, str]) -> str:
    """Custom properties (layout options, series colours) as a :root rule."""
    return ":root {\n" + "".join(f"  {name}: {value};\n" for name, value in props.items()) + "}\n"


def compose(bulletin: Bulletin, layout: Layout, option_css: dict[str, str], font_css: str,
            folder: Path | None = None, plan: Plan = Plan(), preprinted: bool = False,
            colophon_placement: str = "anchored") -> Composed:
    """The issue as HTML + CSS. `folder` is the issue folder (pictures are sized from their files);
    `plan` is what picture placement decided after an earlier rendering (placement.py);
    `preprinted`: for paper with the masthead printed on it (套打), the red title and rule are left out;
    `colophon_placement`: where the 版记 goes (placement.colophon_placement; duplex printing)."""
    template = _env(layout).get_template(layout.template)
    series, issue = bulletin.series, bulletin.issue
    if option_css.get("--heading-numbers") == "auto":
        issue = number_headings(issue)
        bulletin = bulletin.model_copy(update={"issue": issue})
    measures = HeadMeasures.of(layout, option_css)
    if measures is not None:
        issue = _with_broken_heads(issue, measures, lexicon_for(bulletin))
        bulletin = bulletin.model_copy(update={"issue": issue})
    subject = "、".join(
        [a.title.replace("\n", "") for a in issue.lead] + [s.name for s in issue.sections]
    )
    measures = Measures(layout.measure_pt or 442.0, _grid_pt(option_css) or 14.0, small_size(option_css),
                        layout.text_fonts, PictureRules.of(layout.pictures))
    issue, outline = with_views(issue, folder, measures, plan)
    html = template.render(
        bulletin=bulletin,
        series=series,
        issue=issue,
        masthead=series.masthead,
        copy_number_line=bulletin.copy_number_line,
        classification=bulletin.classification,
        preprinted=preprinted,
        colophon_placement=colophon_placement,
        distribution=bulletin.distribution,
        print_run=bulletin.print_run,
        colophon=bulletin.colophon,
        subject=subject,
        keywords=[series.name, series.publisher, *series.keywords, *(s.name for s in issue.sections)],
    )
    c, m, y, k = (v / 100 for v in series.masthead.red)
    css = font_css + root_properties({**option_css, "--masthead-red": f"device-cmyk({c:g} {m:g} {y:g} {k:g})"})
    keep_segments()  # what composing segmented anew (cells, titles the checks did not see)
    return Composed(html=html, css=css, outline=outline)
