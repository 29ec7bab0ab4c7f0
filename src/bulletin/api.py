"""The Python API under the CLI: build(issue_dir) runs load → preflight → compose → typeset → write."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from .compose import compose
from .errors import BulletinError, Problem
from .style.layout import load_layout, locate_layout
from .source.load import load
from .check.lint import lint
from .check.preflight import check_semantics, faces_needed, issue_fontset, preflight
from .resources import fonts_dir
from .output.write import write_atomic


# Set by the CLI for one build: a typeset() that runs in a forked, already warm child (prewarm.py),
# for every rendering of that issue (picture placement may render it more than once).
TYPESETTER = None


def _typeset(*args, **kwargs):
    if TYPESETTER is not None:
        return TYPESETTER(*args, **kwargs)
    from .typeset import typeset

    return typeset(*args, **kwargs)


@dataclass
class BuildResult:
    issue_dir: Path
    stem: str  # <series>-<year>-<number>
    output: Path | None
    pages: int
    pdf: bytes = field(repr=False)
    warnings: list[Problem] = field(default_factory=list)
    render_warnings: list[str] = field(default_factory=list)  # WeasyPrint's own
    timings: dict[str, float] = field(default_factory=dict)
    bulletin: object = field(default=None, repr=False)  # the loaded model (for the OFD's custom data)
    outputs: list[Path] = field(default_factory=list)  # every file written (the PDF and/or the OFD)
    fonts: list[dict] = field(default_factory=list)  # the series' own font files used: role, file, sha256
    hashes: dict[Path, str] = field(default_factory=dict)  # SHA-256 of every file written (batch manifest)


@dataclass
class CheckResult:
    issue_dir: Path
    problems: list[Problem]
    loaded: object = field(default=None, repr=False)  # the issue as loaded (None: it could not be)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _prepare(issue_dir: Path, text: str | None = None, loaded=None):
    """Load an issue and its layout; raises BulletinError on what cannot be loaded. `text` stands
    in for issue.md (an unsaved version); `loaded`, when given, is the issue already loaded."""
    loaded = loaded or load(issue_dir, text)
    bulletin = loaded.bulletin
    layout = load_layout(locate_layout(bulletin.series.layout, issue_dir.resolve().parent))
    series_file = issue_dir.resolve().parent / "series.yaml"
    layout.resolve_options(bulletin.series.layout_options, series_file)  # errors name the file that has them
    options = layout.resolve_options(
        {**bulletin.series.layout_options, **bulletin.issue.layout_options}, issue_dir / "issue.md"
    )
    return loaded, layout, options


def _problems(loaded, layout, options) -> list[Problem]:
    """Everything check and build look at beyond loading: glyphs, semantics, typography."""
    from .compose import headings, tables, titles

    problems = (preflight(loaded, layout) + check_semantics(loaded) + lint(loaded, layout, options)
                + headings.check(loaded) + tables.check(loaded, layout, options))
    titles.keep_segments()  # the titles and cells the checks segmented, for the next process
    return problems


def check(issue_dir: Path | str, text: str | None = None) -> CheckResult:
    """Every problem of an issue (errors, warnings, notices), without typesetting it; `text`
    stands in for issue.md."""
    issue_dir = Path(issue_dir)
    try:
        loaded = load(issue_dir, text)
    except BulletinError as exc:
        return CheckResult(issue_dir, exc.problems)
    try:
        loaded, layout, options = _prepare(issue_dir, text, loaded)
    except BulletinError as exc:
        return CheckResult(issue_dir, exc.problems, loaded)
    problems = _problems(loaded, layout, options)
    order = {"error": 0, "warning": 1, "info": 2}
    problems.sort(key=lambda p: (order.get(p.severity, 3), str(p.file), p.line or 0, p.column or 0))
    return CheckResult(issue_dir, problems, loaded)


@dataclass
class FixResult:
    file: Path
    count: int  # replacements made (or that would have been made)
    diff: str
    backup: Path | None
    refused: list[Problem] = field(default_factory=list)  # what the fix would have made worse


def fix(issue_dir: Path | str) -> FixResult:
    """`check --fix`: apply the mechanical typography fixes to issue.md — only outside comments,
    code, URLs and link targets (lint.masked) — and write the result only if it loads and checks
    no worse than before (no more errors, no more warnings); else nothing is written and
    `refused` says what would have got worse. The read, the check and the write hold the issue
    folder's lock (write.locked), so an editor saving the same file meanwhile waits its turn."""
    from .check.lint import fix_text
    from .text import read_source
    from .output.write import locked

    issue_dir = Path(issue_dir)
    file = issue_dir / "issue.md"
    with locked(issue_dir):
        read_source(file)  # the limits and the encoding, said the usual way
        raw = file.read_bytes()
        fixed_bytes, count, diff, text, fixed = fix_text(raw, file)
        if not count:
            return FixResult(file, 0, diff, None)
        before, after = check(issue_dir, text), check(issue_dir, fixed)
        if len(after.errors) > len(before.errors) or len(after.warnings) > len(before.warnings):
            known = {(p.line, p.message) for p in before.problems}
            worse = [p for p in after.problems if p.severity in ("error", "warning")
                     and (p.line, p.message) not in known]
            return FixResult(file, count, diff, None, worse)
        if not before.errors and _outline(issue_dir, text) != _outline(issue_dir, fixed):
            return FixResult(file, count, diff, None, [Problem(
                file, None, "自动改正会改变文章的划分（栏目、文章、段落或小标题），未写入",
                "fixing would change how the issue divides into sections, articles or blocks; nothing written",
                "请逐条手工改正上面列出的排版问题", "fix the typography findings by hand")])
        backup = file.with_name(file.name + ".bak")
        n = 1
        while backup.exists():
            n += 1
            backup = file.with_name(f"{file.name}.bak{n}")
        write_atomic(backup, raw)
        write_atomic(file, fixed_bytes)
    return FixResult(file, count, diff, backup)


def _outline(issue_dir: Path, text: str) -> list:
    """How an issue divides: sections, articles, their parts and the kinds of their blocks."""
    issue = load(issue_dir, text).bulletin.issue
    def article(a) -> tuple:
        return bool(a.kicker), bool(a.subtitle), bool(a.byline), [b.kind for b in a.body]
    return [[article(a) for a in issue.lead]] + [[article(a) for a in s.articles] for s in issue.sections]


def render(issue_dir: Path | str, adjust: bool = True, pdf_options: dict | None = None,
           preprinted: bool = False) -> BuildResult:
    """Render an issue folder to PDF bytes without writing anything.

    adjust=False renders without bulletin's Chinese line composition (typeset/patches.py), to compare with the
    bare engine; preprinted=True leaves out the red masthead title and rule (套打), everything else
    at the same place."""
    return _render(Path(issue_dir), adjust, pdf_options, preprinted, paint=True)


@dataclass
class LaidOut:
    """An issue laid out and checked but not painted yet (lay_out): the live preview paints the
    pages it needs first and the whole PDF after (typeset/painting.py). `result()` gives what
    render() gives, byte for byte."""
    issue_dir: Path
    stem: str
    pages: int
    painter: object = field(repr=False)  # typeset.painting.Painter
    problems: list[Problem] = field(default_factory=list)  # the checks' warnings and notes (no errors)
    layout_warnings: list[str] = field(default_factory=list)  # WeasyPrint's own, while laying out
    overflows: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    loaded: object = field(default=None, repr=False)
    fonts: list[dict] = field(default_factory=list)
    layout_folder: Path | None = None

    @property
    def document(self):
        return self.painter.document

    def found(self, paint_messages: list[str] = ()) -> list[Problem]:
        """The problems of the pages as they are (postflight: past the text block, pictures left
        out, WeasyPrint's messages from laying out and from `paint_messages`); raises BulletinError
        when one is an error."""
        from .check.postflight import problems as postflight_problems

        found = postflight_problems(self.overflows, [*self.layout_warnings, *paint_messages], self.loaded)
        if any(p.severity == "error" for p in found):
            raise BulletinError([p for p in found if p.severity == "error"])
        return found

    def warnings(self, paint_messages: list[str] = ()) -> list[Problem]:
        """Everything render() would report for this issue, given what painting logged."""
        return self.problems + self.found(paint_messages)

    def result(self, pdf: bytes, paint_messages: list[str] = ()) -> BuildResult:
        """render()'s result, given the whole PDF painted (painter.pdf()) and what it logged."""
        warnings = self.warnings(paint_messages)
        return BuildResult(self.issue_dir, self.stem, None, self.pages, pdf, warnings,
                           [*self.layout_warnings, *paint_messages], dict(self.timings),
                           bulletin=self.loaded.bulletin, fonts=self.fonts)


def lay_out(issue_dir: Path | str, pdf_options: dict | None = None, text: str | None = None) -> LaidOut:
    """render() up to the painting: load, check, compose and lay out (the same layout, always);
    raises BulletinError on whatever render() would refuse before painting. `text` stands in for
    issue.md (the editor's version being saved)."""
    return _render(Path(issue_dir), True, pdf_options, False, paint=False, text=text)


def _render(issue_dir: Path, adjust: bool, pdf_options: dict | None, preprinted: bool, paint: bool,
            text: str | None = None):
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[stage] = now - t
        t = now

    loaded, layout, options = _prepare(issue_dir, text)
    bulletin = loaded.bulletin
    lap("load")
    problems = _problems(loaded, layout, options)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise BulletinError(errors)
    fontset = issue_fontset(loaded)
    font_css = fontset.css(layout.text_fonts, faces_needed(loaded, layout, fontset))
    lap("preflight")
    own_fonts = fontset.record()
    if own_fonts:  # which files printed it, so a copy can be reproduced (PDF Info “bulletinfonts”)
        pdf_options = {**(pdf_options or {}), "custom_metadata": True}
    roots = [layout.folder, fonts_dir(), *(font.path for font in fontset.user.values())]
    result = _place_and_typeset(bulletin, layout, options, issue_dir, adjust, pdf_options, lap, preprinted,
                                font_css, roots, own_fonts, paint)
    timings.update(result.timings)  # WeasyPrint's layout and PDF writing
    post = None
    if bulletin.series.masthead.red_spot:  # the masthead red as a spot colour (inks.py)
        from functools import partial

        from .output.inks import spot_colour

        post = partial(spot_colour, cmyk_percent=bulletin.series.masthead.red, name=bulletin.series.masthead.red_spot)
    if result.denied:
        raise BulletinError([
            Problem(issue_dir / "issue.md", None, f"拒绝读取期刊文件夹以外的资源：{url}",
                    f"refused to read a resource outside the issue folder: {url}")
            for url in result.denied
        ])
    if paint:
        pdf = post(result.pdf) if post else result.pdf
        painter = None
    else:
        from .typeset.painting import Painter

        pdf, painter = b"", Painter(result.document, result.pdf_options, post)
    laid = LaidOut(issue_dir, bulletin.output_stem, result.pages, painter, [p for p in problems if p.severity != "error"],
                   list(result.warnings), getattr(result, "overflows", []), timings, loaded, own_fonts, layout.folder)
    if not paint:
        laid.found()  # what the layout alone shows (pages past the paper, pictures left out): refused now
        return laid
    # what the pages show: a picture left out, a table past the page edge… (never in silence)
    return laid.result(pdf)


def with_font_record(composed, record: list[dict]):
    """The composed issue with a <meta name="bulletinfonts"> naming the series' own font files
    and their SHA-256; WeasyPrint writes it into the PDF's Info dictionary."""
    from dataclasses import replace

    from markupsafe import escape

    text = "; ".join(f"{f['role']}={f['name']} sha256:{f['sha256']}" for f in record)
    meta = f'<meta name="bulletinfonts" content="{escape(text)}">'
    return replace(composed, html=composed.html.replace("<head>", "<head>\n" + meta, 1))


def _place_and_typeset(bulletin, layout, options, issue_dir: Path, adjust: bool, pdf_options, lap,
                       preprinted: bool, font_css: str, roots: list[Path], own_fonts: list[dict], paint: bool = True):
    """Compose and typeset; when a picture left a page foot empty, again with the pictures placed
    (placement.py) — at most once more per picture. `own_fonts`: the series' font files, recorded
    in the PDF's metadata. `paint=False`: laid out only (typeset's paint), in this process."""
    from .compose.pictures import PictureRules
    from .compose.placement import Plan, Rules, blank_before_colophon, colophon_placement, measure, revise

    pictures = PictureRules.of(layout.pictures)
    rules = Rules(min_scale=pictures.min_scale, min_height=pictures.min_height)
    duplex = options.get("--duplex") == "on"
    plan = Plan()
    passes = 0

    def run(colophon: str = "anchored"):
        composed = compose(bulletin, layout, options, font_css, issue_dir, plan, preprinted, colophon)
        if own_fonts:
            composed = with_font_record(composed, own_fonts)
        has_pictures = any(kind in ("figure", "figures") for a in composed.outline.articles for _k, kind, _h in a)
        lap("compose")
        if paint:
            result = _typeset(composed, issue_dir, list(layout.stylesheets), roots, adjust,
                              pdf_options, inspect=measure if has_pictures or duplex else None)
        else:
            from .typeset import typeset

            result = typeset(composed, issue_dir, list(layout.stylesheets), roots, adjust,
                             pdf_options, inspect=measure if has_pictures or duplex else None, paint=False)
        return composed, has_pictures, result

    while True:
        composed, has_pictures, result = run()
        passes += 1
        if not has_pictures or result.inspected is None or passes > 8:
            break
        revised = revise(plan, result.inspected, composed.outline, rules)
        if revised == plan:
            break
        plan = revised
    if duplex and colophon_placement(result.inspected) == "own-page":  # 版记 on an even page
        _composed, _pictures, result = run("own-page")
        if blank_before_colophon(result.inspected):  # GB/T 9704: then neither page is numbered
            _composed, _pictures, result = run("own-page-unnumbered")
    return result


def build(issue_dir: Path | str, out_dir: Path | str | None = None, formats: tuple[str, ...] = ("pdf",)) -> BuildResult:
    """Render an issue folder and write OUT_DIR/<series>-<year>-<number>.pdf (and/or .ofd, see
    `formats`) atomically.

    Raises BulletinError (with file/line problems) on bad input; nothing is written then.
    """
    result = render(issue_dir)
    out = Path(out_dir or "out")
    files: dict[Path, bytes] = {}
    if "pdf" in formats:
        files[out / f"{result.stem}.pdf"] = result.pdf
    if "ofd" in formats:
        from .output.ofd import issue_ofd

        t = time.perf_counter()
        files[out / f"{result.stem}.ofd"] = issue_ofd(result.pdf, result.bulletin, Path(issue_dir) / "issue.md")
        result.timings["ofd"] = time.perf_counter() - t
    t = time.perf_counter()
    for target, data in files.items():  # everything is made before anything is written
        write_atomic(target, data)
        result.hashes[target] = hashlib.sha256(data).hexdigest()
    result.timings["write"] = time.perf_counter() - t
    result.outputs = list(files)
    result.output = result.outputs[0]
    return result


def export_html(issue_dir: Path | str, out_dir: Path | str) -> Path:
    """Write the composed issue as OUT_DIR/index.html with its stylesheets, fonts and images, so the
    plain `weasyprint OUT_DIR/index.html out.pdf` renders the same input (without bulletin's
    Chinese line adjustment). Returns the HTML file."""
    import shutil

    from .model import Figure, FigureRow
    from .output.write import write_atomic

    issue_dir, out_dir = Path(issue_dir), Path(out_dir)
    loaded, layout, options = _prepare(issue_dir)
    errors = [p for p in _problems(loaded, layout, options) if p.severity == "error"]
    if errors:
        raise BulletinError(errors)
    fontset = issue_fontset(loaded)
    needed = faces_needed(loaded, layout, fontset)
    composed = compose(loaded.bulletin, layout, options, fontset.css(layout.text_fonts, needed, prefix="fonts/"), issue_dir)
    sheets = ["bulletin.css", *(p.name for p in layout.stylesheets)]
    links = "".join(f'<link rel="stylesheet" href="{name}">\n' for name in sheets)
    html = composed.html.replace("<head>", "<head>\n" + links, 1)
    (out_dir / "fonts").mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "bulletin.css", composed.css.encode("utf-8"))
    for sheet in layout.stylesheets:
        shutil.copyfile(sheet, out_dir / sheet.name)
    for font in fontset.loaded(layout.text_fonts, needed):
        target = out_dir / "fonts" / font.export_name
        if not target.exists() or target.stat().st_size != font.path.stat().st_size:
            shutil.copyfile(font.path, target)
    for article in loaded.bulletin.issue.articles():
        for block in article.body:
            for figure in block.figures if isinstance(block, FigureRow) else [block]:
                if isinstance(figure, Figure):
                    source = (issue_dir / figure.path).resolve()  # inside the issue folder (the loader checked)
                    target = out_dir / source.relative_to(issue_dir.resolve())
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
    write_atomic(out_dir / "index.html", html.encode("utf-8"))
    return out_dir / "index.html"
