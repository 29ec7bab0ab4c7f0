"""The Python API under the CLI: build(issue_dir) runs load → preflight → compose → typeset → write."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .compose import compose
from .errors import BulletinError, Problem
from .fonts import font_face_css
from .layout import load_layout
from .load import load
from .lint import lint
from .preflight import check_semantics, preflight
from .resources import fonts_dir
from .write import write_atomic


# Set by the CLI for one build: a typeset() that runs in a forked, already warm child (prewarm.py).
TYPESETTER = None


def _typeset(*args, **kwargs):
    global TYPESETTER
    if TYPESETTER is not None:
        fn, TYPESETTER = TYPESETTER, None
        return fn(*args, **kwargs)
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


@dataclass
class CheckResult:
    issue_dir: Path
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _prepare(issue_dir: Path, text: str | None = None):
    """Load an issue and its layout; raises BulletinError on what cannot be loaded. `text` stands
    in for issue.md (an unsaved version)."""
    loaded = load(issue_dir, text)
    bulletin = loaded.bulletin
    layout = load_layout(bulletin.series.layout)
    series_file = issue_dir.resolve().parent / "series.yaml"
    layout.resolve_options(bulletin.series.layout_options, series_file)  # errors name the file that has them
    options = layout.resolve_options(
        {**bulletin.series.layout_options, **bulletin.issue.layout_options}, issue_dir / "issue.md"
    )
    return loaded, layout, options


def _problems(loaded, layout, options) -> list[Problem]:
    """Everything check and build look at beyond loading: glyphs, semantics, typography."""
    return preflight(loaded, layout) + check_semantics(loaded) + lint(loaded, layout, options)


def check(issue_dir: Path | str, text: str | None = None) -> CheckResult:
    """Every problem of an issue (errors, warnings, notices), without typesetting it; `text`
    stands in for issue.md."""
    issue_dir = Path(issue_dir)
    try:
        loaded, layout, options = _prepare(issue_dir, text)
    except BulletinError as exc:
        return CheckResult(issue_dir, exc.problems)
    problems = _problems(loaded, layout, options)
    order = {"error": 0, "warning": 1, "info": 2}
    problems.sort(key=lambda p: (order.get(p.severity, 3), str(p.file), p.line or 0, p.column or 0))
    return CheckResult(issue_dir, problems)


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
    from .lint import fix_text
    from .text import read_source
    from .write import locked

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


def render(issue_dir: Path | str, adjust: bool = True, pdf_options: dict | None = None) -> BuildResult:
    """Render an issue folder to PDF bytes without writing anything.

    adjust=False renders without bulletin's Chinese line adjustment (cjk.py), to compare with the
    bare engine."""
    issue_dir = Path(issue_dir)
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[stage] = now - t
        t = now

    loaded, layout, options = _prepare(issue_dir)
    bulletin = loaded.bulletin
    lap("load")
    problems = _problems(loaded, layout, options)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise BulletinError(errors)
    lap("preflight")
    composed = compose(bulletin, layout, options, font_face_css())
    lap("compose")
    result = _typeset(composed, issue_dir, list(layout.stylesheets), [layout.folder, fonts_dir()], adjust,
                      pdf_options)
    timings.update(result.timings)  # WeasyPrint's layout and PDF writing
    if result.denied:
        raise BulletinError([
            Problem(issue_dir / "issue.md", None, f"拒绝读取期刊文件夹以外的资源：{url}",
                    f"refused to read a resource outside the issue folder: {url}")
            for url in result.denied
        ])
    from .postflight import problems as postflight_problems

    # what the pages show: a picture left out, a table past the page edge… (never in silence)
    found = postflight_problems(getattr(result, "overflows", []), result.warnings, loaded)
    if any(p.severity == "error" for p in found):
        raise BulletinError([p for p in found if p.severity == "error"])
    return BuildResult(issue_dir, bulletin.output_stem, None, result.pages, result.pdf,
                       [p for p in problems if p.severity != "error"] + found, result.warnings, timings)


def build(issue_dir: Path | str, out_dir: Path | str | None = None) -> BuildResult:
    """Render an issue folder and write OUT_DIR/<series>-<year>-<number>.pdf atomically.

    Raises BulletinError (with file/line problems) on bad input; nothing is written then.
    """
    result = render(issue_dir)
    target = Path(out_dir or "out") / f"{result.stem}.pdf"
    t = time.perf_counter()
    write_atomic(target, result.pdf)
    result.timings["write"] = time.perf_counter() - t
    result.output = target
    return result


def export_html(issue_dir: Path | str, out_dir: Path | str) -> Path:
    """Write the composed issue as OUT_DIR/index.html with its stylesheets, fonts and images, so the
    plain `weasyprint OUT_DIR/index.html out.pdf` renders the same input (without bulletin's
    Chinese line adjustment). Returns the HTML file."""
    import shutil

    from .model import Figure
    from .write import write_atomic

    issue_dir, out_dir = Path(issue_dir), Path(out_dir)
    loaded, layout, options = _prepare(issue_dir)
    errors = [p for p in _problems(loaded, layout, options) if p.severity == "error"]
    if errors:
        raise BulletinError(errors)
    composed = compose(loaded.bulletin, layout, options, font_face_css(prefix="fonts/"))
    sheets = ["bulletin.css", *(p.name for p in layout.stylesheets)]
    links = "".join(f'<link rel="stylesheet" href="{name}">\n' for name in sheets)
    html = composed.html.replace("<head>", "<head>\n" + links, 1)
    (out_dir / "fonts").mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "bulletin.css", composed.css.encode("utf-8"))
    for sheet in layout.stylesheets:
        shutil.copyfile(sheet, out_dir / sheet.name)
    for font in fonts_dir().glob("*.[ot]tf"):
        target = out_dir / "fonts" / font.name
        if not target.exists() or target.stat().st_size != font.stat().st_size:
            shutil.copyfile(font, target)
    for article in loaded.bulletin.issue.articles():
        for block in article.body:
            if isinstance(block, Figure):
                source = (issue_dir / block.path).resolve()  # inside the issue folder (the loader checked)
                target = out_dir / source.relative_to(issue_dir.resolve())
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    write_atomic(out_dir / "index.html", html.encode("utf-8"))
    return out_dir / "index.html"
