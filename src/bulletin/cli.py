"""Command line: a thin shell over bulletin.api. Messages are Chinese first; --lang en for English."""
from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from . import __version__
from .errors import BulletinError, Problem

app = typer.Typer(
    help="简报排版：把 issues/ 里的期刊排成可付印的 A4 PDF。\n\nTypesets bulletins (简报) into print-ready A4 PDF.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    context_settings={"help_option_names": ["-h", "--help"]},
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)
findings = Console(highlight=False, soft_wrap=True)  # check's findings: stdout, also under -q

# Exit codes (README "Exit codes"): 0 ok; 1 warnings under --strict, or a delivery that failed;
# 2 errors in the content (the issue files); 64 a wrong command line (EX_USAGE of sysexits.h),
# which click would otherwise also report as 2.
EXIT_OK, EXIT_WARNINGS, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2, 64
for _module in ("typer._click.exceptions", "click.exceptions"):  # typer ≥ 0.26 carries its own click
    try:
        __import__(_module, fromlist=["UsageError"]).UsageError.exit_code = EXIT_USAGE
    except ImportError:
        pass


def _option_metavar(self, ctx) -> str | None:
    """Help shows an option's value as users know it from other tools (DIR, FILE, N, zh|en: every
    valued option names its metavar) and nothing after a flag — typer ≥ 0.26 would print <bool>."""
    return self.metavar


def _argument_type(self, ctx) -> None:
    return None  # the name says it (DIR, FILE); typer ≥ 0.26 would add <list[Path]>


def _argument_usage(self) -> str:
    name = self.metavar or self.name.upper()
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


try:  # typer ≥ 0.26's help; older versions print click's plain metavars already
    from typer.core import TyperArgument as _TyperArgument, TyperOption as _TyperOption

    if hasattr(_TyperOption, "display_type_rich"):
        _TyperOption.display_type_rich = _option_metavar
    if hasattr(_TyperArgument, "display_type_rich") and hasattr(_TyperArgument, "_usage_display_name"):
        _TyperArgument.display_type_rich = _argument_type
        _TyperArgument._usage_display_name = _argument_usage
except ImportError:
    pass
VERBOSITY = 0  # -q: -1 (only errors and warnings), -v: 1 (also where layouts and fonts are read from)


def _version_callback(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version as installed

        try:
            weasyprint = installed("weasyprint")
        except PackageNotFoundError:
            weasyprint = "?"
        sys.stdout.write(f"bulletin {__version__} (WeasyPrint {weasyprint})\n")
        raise typer.Exit()


@app.callback()
def _common(
    show_version: Annotated[bool, typer.Option("--version", "-V", callback=_version_callback, is_eager=True,
                                               help="显示版本后退出 / show the version and exit")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="只显示错误和警告 / only errors and warnings")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="另显示所用的版式、字体文件夹 / "
                                                                 "also show the layout and font folders used")] = False,
) -> None:
    """简报排版：把 issues/ 里的期刊排成可付印的 A4 PDF。\n\nTypesets bulletins (简报) into print-ready A4 PDF."""
    global VERBOSITY
    VERBOSITY = -1 if quiet else 1 if verbose else 0
    out.quiet = quiet
    err.quiet = False  # (a --format json run before, in the same process, turned it off)
    if verbose:
        try:
            from .resources import fonts_dir, layouts_dir

            err.print(f"[dim]layouts: {layouts_dir()}  fonts: {fonts_dir()}[/dim]")
        except BulletinError:
            pass


class Format(str, Enum):
    text = "text"
    json = "json"


class Lang(str, Enum):
    zh = "zh"
    en = "en"


LangOption = Annotated[Lang, typer.Option("--lang", help="提示信息的语言 / language of messages", metavar="zh|en")]
SchedulerOption = Annotated[Optional[str], typer.Option(
    "--scheduler", metavar="ADDRESS", envvar="BULLETIN_SCHEDULER", show_envvar=False,
    help="在 Dask 集群上排版：调度器地址，如 tcp://主机:8786（也可设 BULLETIN_SCHEDULER）/ "
         "run on a Dask cluster: the scheduler's address (or BULLETIN_SCHEDULER)")]
TimeoutOption = Annotated[float, typer.Option(
    "--timeout", metavar="SECONDS", min=1, help="集群上每期（每批副本）最多排版多少秒 / seconds one issue (batch of copies) may take on the cluster")]


def _say(lang: Lang, zh: str, en: str) -> str:
    return zh if lang == Lang.zh else en


_LABELS = {"error": ("错误", "error", "bold red"), "warning": ("警告", "warning", "yellow"), "info": ("提示", "note", "cyan")}


def _print_problems(problems: list[Problem], lang: Lang, to: Console | None = None) -> None:
    """Problems on stderr; `check` gives its findings on stdout (`to`), as linters do."""
    to = to or err
    for p in problems:
        if p.severity == "info" and VERBOSITY < 0:  # -q: notes left out
            continue
        zh, en, style = _LABELS.get(p.severity, _LABELS["error"])
        label = _say(lang, zh, en)
        to.print(f"[{style}]{label}[/{style}] ", end="")
        to.print(p.format(lang.value), markup=False)


def _problem_rows(problems: list[Problem], issue: str | None = None) -> list[dict]:
    """Problems as the JSON reports give them (`--format json`)."""
    return [{**({"issue": issue} if issue is not None else {}), "file": str(p.file) if p.file else None,
             "line": p.line, "column": p.column, "severity": p.severity, "message": p.message,
             "message_en": p.message_en, "hint": p.hint, "hint_en": p.hint_en} for p in problems]


def _emit_json(data: dict) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def _json_mode() -> None:
    """--format json: the report is the JSON on stdout; the human lines are left out."""
    out.quiet = True
    err.quiet = True


def _split_json(text: str) -> tuple[str, bool]:
    """`--format` of build and distribute: file formats, plus `json` for a JSON report on stdout."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    wanted = any(part.lower() == "json" for part in parts)
    return ",".join(part for part in parts if part.lower() != "json") or "pdf", wanted


def issue_folders(paths: list[Path]) -> list[Path]:
    """Issue folders named directly, or found below a series folder or an issues/ folder."""
    found: list[Path] = []
    for path in paths:
        try:
            plain = (path / "issue.md").is_file() or not path.is_dir()
        except OSError:  # a name too long, a folder we may not read: loading it says what is wrong
            plain = True
        if plain:
            found.append(path)
            continue
        below = sorted({p.parent for p in [*path.glob("*/issue.md"), *path.glob("*/*/issue.md")]})
        found.extend(below or [path])
    unique: dict[str, Path] = {}  # an issue named twice (itself and inside its series) counts once
    for folder in found:
        try:
            key = str(folder.resolve())
        except (OSError, RuntimeError):
            key = str(folder)
        unique.setdefault(key, folder)
    return list(unique.values())


@app.command(help="排版并写出 PDF：OUTDIR/<刊物>-<年>-<期号>.pdf（--format ofd 写 OFD 版式文档，pdf,ofd 两种都写）。\n\n"
                  "Render issue folders to OUTDIR/<series>-<year>-<number>.pdf (written atomically; --format ofd "
                  "writes OFD, GB/T 33190, and pdf,ofd both).\n\n"
                  "ISSUE_DIR 可以是期刊文件夹、刊物文件夹或 issues/ 文件夹；多期并行排版，未改动的跳过。\n\n"
                  "Several issues render in parallel; unchanged ones are skipped (--force renders anyway).\n\n"
                  "--scheduler：在 Dask 集群上排版；-o 为 URL（file:///共享/目录、s3://…）时由工作节点直接写入。\n\n"
                  "--scheduler runs the builds on a Dask cluster; with a URL as -o (file:///shared/dir, s3://…) "
                  "the workers write there directly.")
def build(
    issue_dirs: Annotated[list[Path], typer.Argument(help="期刊文件夹（含 issue.md）/ issue folders", show_default=False, metavar="DIR")],
    out_dir: Annotated[str, typer.Option("-o", "--out", help="输出文件夹或 URL / output folder or URL", metavar="DIR|URL")] = "out",
    jobs: Annotated[Optional[int], typer.Option("-j", "--jobs", metavar="N", help="并行进程数（默认为 CPU 核数）/ worker processes")] = None,
    force: Annotated[bool, typer.Option("--force", help="未改动的也重新排版 / render unchanged issues too")] = False,
    output_formats: Annotated[str, typer.Option("--format", metavar="pdf|ofd|pdf,ofd[,json]", help="输出格式：pdf、ofd（GB/T 33190 版式文档）或 pdf,ofd；"
                                                                 "加 json 时在标准输出给出 JSON 报告"
                                                                 " / pdf, ofd (GB/T 33190) or both; with json a JSON report on stdout")] = "pdf",
    scheduler: SchedulerOption = None,
    timeout: TimeoutOption = 600.0,
    drafts: Annotated[bool, typer.Option("--drafts", help="也排版草稿（draft: true）/ also build drafts")] = False,
    lang: LangOption = Lang.zh,
) -> None:
    output_formats, as_json = _split_json(output_formats)
    if as_json:
        _json_mode()
    formats = _formats(output_formats, lang, as_json)
    folders = issue_folders(issue_dirs)
    from .source.drafts import is_draft

    named = {str(path) for path in issue_dirs}
    skipped_drafts = [f for f in folders if not drafts and str(f) not in named and is_draft(f)]
    folders = [f for f in folders if f not in skipped_drafts]
    for folder in skipped_drafts:
        out.print(_say(lang, f"[dim]- {folder}（草稿，未排版；加 --drafts 一并排版）[/dim]",
                       f"[dim]- {folder} (a draft, not built; --drafts builds it too)[/dim]"))
    warm = None
    if len(folders) == 1 and not scheduler:  # one issue: load WeasyPrint and the fonts in a forked child meanwhile
        from .run import prewarm

        warm = prewarm.WARM or prewarm.start()  # before importing the rest: the two run side by side
        prewarm.WARM = None
        if warm is not None:
            from . import api

            api.TYPESETTER = warm.typeset
    from .batch import Outcome, build_many
    from .run.executors import from_options
    from .resources import harfbuzz_subsetting

    if not harfbuzz_subsetting():
        err.print(_say(lang, "[yellow]警告[/yellow] 未找到 libharfbuzz-subset，字体子集化将很慢（约慢 28 倍）。"
                             "请安装：apt-get install libharfbuzz-subset0",
                       "[yellow]warning[/yellow] libharfbuzz-subset not found: font subsetting will be ~28× slower. "
                       "Install it: apt-get install libharfbuzz-subset0"))

    def line(outcome: Outcome) -> str:
        files = ", ".join(outcome.outputs or [str(outcome.output)])
        if outcome.status == "built":
            return _say(lang, f"[green]✓[/green] {files}（{outcome.pages} 页，{outcome.seconds:.1f} 秒）",
                        f"[green]✓[/green] {files} ({outcome.pages} pages, {outcome.seconds:.1f} s)")
        if outcome.status == "skipped":
            return _say(lang, f"[dim]= {files}（未改动，跳过）[/dim]",
                        f"[dim]= {files} (unchanged, skipped)[/dim]")
        return _say(lang, f"[red]✗[/red] {outcome.issue_dir}：未生成 {kinds}", f"[red]✗[/red] {outcome.issue_dir}: no {kinds} written")

    kinds = "/".join(f.upper() for f in formats)

    started = time.perf_counter()
    executor = from_options(scheduler, timeout)

    def run_batch(progress) -> list[Outcome]:
        try:
            return build_many(folders, out_dir, jobs, force, progress, formats, executor)
        except BulletinError as exc:  # the cluster or the output folder cannot be used: nothing was built
            if as_json:
                _emit_json({"built": 0, "skipped": 0, "failed": len(folders), "drafts": [str(f) for f in skipped_drafts],
                            "issues": [], "problems": _problem_rows(exc.problems)})
            _print_problems(exc.problems, lang)
            raise typer.Exit(2) from None
        finally:
            if executor is not None:
                executor.close()
            if warm is not None:  # done with it (or skipped, or the issue failed before typesetting)
                from . import api

                api.TYPESETTER = None
                warm.close()

    if out.is_terminal and len(folders) > 1:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        pages = 0
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[pages]} 页"), TimeElapsedColumn(), TimeRemainingColumn(),
                      console=out) as bar:
            task = bar.add_task(_say(lang, "排版", "rendering"), total=len(folders), pages=0)

            def progress(outcome: Outcome) -> None:
                nonlocal pages
                pages += outcome.pages
                bar.console.print(line(outcome))
                bar.update(task, advance=1, pages=pages)

            outcomes = run_batch(progress)
    else:
        outcomes = run_batch(lambda o: out.print(line(o)))
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in outcomes:
        if outcome.status == "built":
            for font in outcome.fonts:  # the office's own fonts: which files printed it
                from .style.fonts import ROLE_NAMES

                out.print(_say(lang, f"  字体 {ROLE_NAMES.get(font['role'], font['role'])}：{font['file']}（SHA-256 {font['sha256']}）",
                               f"  font {font['role']}: {font['file']} (SHA-256 {font['sha256']})"), highlight=False)
            from .check.postflight import is_page_foot_note

            # warnings, and the notes on page feet (where an editor may cut or add a few lines)
            _print_problems([p for p in outcome.problem_objects()
                             if p.severity == "warning" or is_page_foot_note(p)], lang)
    for outcome in failed:
        _print_problems(outcome.problem_objects(), lang)
        err.print(line(outcome))
    if len(outcomes) > 1:
        built = sum(o.status == "built" for o in outcomes)
        skipped = sum(o.status == "skipped" for o in outcomes)
        out.print(_say(lang, f"共 {len(outcomes)} 期：排版 {built}，跳过 {skipped}，失败 {len(failed)}（{time.perf_counter() - started:.1f} 秒）",
                       f"{len(outcomes)} issues: {built} rendered, {skipped} skipped, {len(failed)} failed "
                       f"({time.perf_counter() - started:.1f} s)"))
    if as_json:
        _emit_json({
            "built": sum(o.status == "built" for o in outcomes), "skipped": sum(o.status == "skipped" for o in outcomes),
            "failed": len(failed), "drafts": [str(f) for f in skipped_drafts],
            "issues": [{"issue": o.issue_dir, "status": o.status, "outputs": o.outputs or ([o.output] if o.output else []),
                        "pages": o.pages, "seconds": round(o.seconds, 3), "sha256": o.hashes,
                        "problems": _problem_rows(o.problem_objects())} for o in outcomes]})
    if failed:
        raise typer.Exit(2)


def _formats(text: str, lang: Lang, as_json: bool = False) -> tuple[str, ...]:
    from .output.formats import parse_formats

    try:
        return parse_formats(text)
    except BulletinError as exc:
        if as_json:
            _emit_json({"problems": _problem_rows(exc.problems)})
        _print_problems(exc.problems, lang)
        raise typer.Exit(EXIT_USAGE) from None


@app.command(help="写出排好版式的 HTML（含样式、字体、图片），可直接用 weasyprint 命令排版，便于对比。\n\n"
                  "Write the composed HTML with its CSS, fonts and images, for the plain weasyprint command.")
def html(
    issue_dir: Annotated[Path, typer.Argument(help="期刊文件夹 / issue folder", show_default=False, metavar="DIR")],
    out_dir: Annotated[Path, typer.Option("-o", "--out", help="输出文件夹 / output folder", metavar="DIR")] = Path("out/html"),
    lang: LangOption = Lang.zh,
) -> None:
    from .api import export_html

    try:
        index = export_html(issue_dir, out_dir)
    except BulletinError as exc:
        _print_problems(exc.problems, lang)
        raise typer.Exit(2) from None
    out.print(_say(lang, f"[green]✓[/green] {index}（用 weasyprint {index} out.pdf 排版）",
                   f"[green]✓[/green] {index} (render with: weasyprint {index} out.pdf)"))


@app.command(help="新建下一期：期号、日期、报送沿用刊物设置，附文章模板；不覆盖已有文件。\n\n"
                  "Create the next issue folder of a series (number, date, template article); never overwrites.")
def new(
    series_dir: Annotated[Path, typer.Argument(help="刊物文件夹（含 series.yaml）/ series folder", show_default=False, metavar="DIR")],
    date: Annotated[Optional[str], typer.Option("--date", help="出刊日期 YYYY-MM-DD（默认今天）/ issue date", metavar="YYYY-MM-DD")] = None,
    supplement: Annotated[bool, typer.Option("--supplement", help="增刊：与正刊分开编号（增刊第1期）/ a supplement, numbered apart")] = False,
    force: Annotated[bool, typer.Option("--force", help="已有同一日期或同一期号的一期时也新建 / "
                                                       "create it even if an issue has that date or number")] = False,
    output_format: Annotated[Format, typer.Option("--format", metavar="text|json", help="输出格式 / output format")] = Format.text,
    lang: LangOption = Lang.zh,
) -> None:
    from .source.dates import parse_date_option
    from .editor.new import new_issue, schema_comment_for

    as_json = output_format == Format.json
    if as_json:
        _json_mode()
    when, bad = parse_date_option(date) if date else (None, None)
    if bad:
        if as_json:
            _emit_json({"problems": [{"file": None, "line": None, "column": None, "severity": "error",
                                      "message": bad[0], "message_en": bad[1], "hint": "", "hint_en": ""}]})
        err.print(f"[red]{_say(lang, '错误', 'error')}[/red] {_say(lang, *bad)}")
        raise typer.Exit(EXIT_USAGE)
    try:
        folder = new_issue(series_dir, when, supplement, force=force, schema_comment=schema_comment_for(series_dir, issue=True))
    except BulletinError as exc:
        if as_json:
            _emit_json({"problems": _problem_rows(exc.problems)})
        _print_problems(exc.problems, lang)
        raise typer.Exit(2) from None
    if as_json:
        from .source.siblings import sibling_issues

        made = next((s for s in sibling_issues(series_dir) if s.folder == folder), None)
        _emit_json({"issue": str(folder), "file": str(folder / "issue.md"),
                    "number": made.number if made else None, "date": made.date.isoformat() if made else None,
                    "supplement": supplement})
    out.print(_say(lang, f"[green]✓[/green] 新建 {folder / 'issue.md'}", f"[green]✓[/green] created {folder / 'issue.md'}"))


@app.command(help="预览：每页一张 PNG 和一张全部页面的缩略图；--watch 保存即重排。\n\n"
                  "Preview pages as PNG plus a contact sheet; --watch re-renders whenever a file is saved.")
def preview(
    issue_dir: Annotated[Path, typer.Argument(help="期刊文件夹 / issue folder", show_default=False, metavar="DIR")],
    out_dir: Annotated[Path, typer.Option("-o", "--out", help="输出文件夹 / output folder", metavar="DIR")] = Path("out/preview"),
    pages: Annotated[Optional[str], typer.Option("--pages", metavar="PAGES", help="页码，如 1,3-4 / pages, e.g. 1,3-4")] = None,
    dpi: Annotated[int, typer.Option("--dpi", metavar="N", min=20, max=600, help="分辨率 / resolution")] = 60,
    watch: Annotated[bool, typer.Option("--watch", help="文件一改就重排（Ctrl+C 结束）/ re-render on every save")] = False,
    lang: LangOption = Lang.zh,
) -> None:
    from .editor import preview as previews

    def report(result) -> None:
        stamp = time.strftime("%H:%M:%S")
        if isinstance(result, BulletinError):
            _print_problems(result.problems, lang)
            err.print(_say(lang, f"[red]✗[/red] {stamp} 有错误，保留上一次的预览", f"[red]✗[/red] {stamp} errors: the last good preview stays"))
            return
        _print_problems([p for p in result.problems if p.severity == "warning"], lang)
        sheet = f"，缩略图 {result.contact_sheet}" if result.contact_sheet else ""
        out.print(_say(lang, f"[green]✓[/green] {stamp} {len(result.pages)} 页 → {out_dir}{sheet}（{result.seconds:.2f} 秒）",
                       f"[green]✓[/green] {stamp} {len(result.pages)} pages → {out_dir} ({result.seconds:.2f} s)"))

    if watch:
        out.print(_say(lang, f"监视 {issue_dir} 及其刊物设置、版式、字体；Ctrl+C 结束", f"watching {issue_dir}; Ctrl+C to stop"))
        from .run.daemon import companion

        try:
            with companion():  # `bulletin build` meanwhile goes through a warm daemon (daemon.py)
                previews.watch(issue_dir, out_dir, report, pages, dpi)
        except KeyboardInterrupt:
            return
        return
    try:
        result = previews.preview(issue_dir, out_dir, pages, dpi)
    except BulletinError as exc:
        report(exc)
        raise typer.Exit(2) from None
    report(result)


@app.command("import", help="导入纯文本、Markdown 或 Word 文档（.docx，含从 PDF 提取的文字）为期刊：识别栏目、标题、引题、署名、报送。\n\n"
                            "Import plain text, Markdown or Word documents (.docx; also text extracted from a PDF) into an issue folder.")
def import_(
    files: Annotated[list[Path], typer.Argument(help="文本文件（.txt、.md、.docx）/ text files (.txt, .md, .docx)", show_default=False, metavar="FILE")],
    into: Annotated[Path, typer.Option("--into", help="期刊文件夹（没有就新建）/ issue folder", metavar="DIR")],
    section: Annotated[Optional[str], typer.Option("--section", metavar="TEXT", help="全部放进这个栏目 / put everything in this section")] = None,
    number: Annotated[Optional[int], typer.Option("--number", metavar="N", help="期号（新建时）/ issue number")] = None,
    date: Annotated[Optional[str], typer.Option("--date", help="出刊日期 YYYY-MM-DD（新建时）/ issue date", metavar="YYYY-MM-DD")] = None,
    lang: LangOption = Lang.zh,
) -> None:
    from .editor.importer import import_text

    started = time.perf_counter()
    from .source.dates import parse_date_option

    bad = parse_date_option(date)[1] if date else None
    if bad:
        err.print(f"[red]{_say(lang, '错误', 'error')}[/red] {_say(lang, *bad)}")
        raise typer.Exit(EXIT_USAGE)
    if number is not None and not 1 <= number <= 9999:
        err.print(_say(lang, f"[red]错误[/red] 期号 {number} 不对，应为 1–9999", f"[red]error[/red] bad number {number}: 1-9999"))
        raise typer.Exit(EXIT_USAGE)
    try:
        warnings = import_text(files, into, section, number, date)
    except BulletinError as exc:
        _print_problems(exc.problems, lang)
        raise typer.Exit(2) from None
    _print_problems(warnings, lang)
    out.print(_say(lang, f"[green]✓[/green] 已导入到 {into / 'issue.md'}（{time.perf_counter() - started:.2f} 秒）；请用 bulletin check 检查",
                   f"[green]✓[/green] imported into {into / 'issue.md'} ({time.perf_counter() - started:.2f} s); run bulletin check"))


@app.command(help="检查期刊：格式、字形、排版用字；不生成 PDF。\n\n"
                  "Check issues (schema, glyphs, typographic lint) without rendering.\n\n"
                  "退出码 / exit: 0 无错误 no errors; 1 仅有警告且用了 --strict; 2 有错误 errors.")
def check(
    issue_dirs: Annotated[list[Path], typer.Argument(help="期刊文件夹（含 issue.md）/ issue folders", show_default=False, metavar="DIR")],
    strict: Annotated[bool, typer.Option("--strict", help="有警告也算不通过 / fail on warnings")] = False,
    output_format: Annotated[Format, typer.Option("--format", metavar="text|json", help="输出格式 / output format")] = Format.text,
    fix: Annotated[bool, typer.Option("--fix", help="自动改正能改的排版问题（先备份为 issue.md.bak）并显示改动 / "
                                                   "fix what can be fixed (backup issue.md.bak first), show the diff")] = False,
    lang: LangOption = Lang.zh,
) -> None:
    from .api import check as check_issue

    folders = issue_folders(issue_dirs)
    if fix:
        from .api import fix as fix_issue

        for folder in folders:
            if not (folder / "issue.md").is_file():
                continue
            try:
                done = fix_issue(folder)
            except BulletinError as exc:
                _print_problems(exc.problems, lang)
                continue
            except OSError as exc:
                from .errors import os_problem

                _print_problems([os_problem(exc, folder / "issue.md", ("修改", "fix"))], lang)
                continue
            if done.refused:
                _print_problems(done.refused, lang)
                err.print(_say(lang, f"[red]未改动[/red] {done.file}：自动改正后会多出上面这些问题，一处也没有改",
                               f"[red]not changed[/red] {done.file}: fixing would add the problems above; nothing written"))
            elif done.count:
                out.print(done.diff, markup=False, highlight=False, end="")
                out.print(_say(lang, f"已改正 {done.count} 处，原文件备份为 {done.backup}",
                               f"fixed {done.count} place(s); the original is saved as {done.backup}"))
    results = [check_issue(folder) for folder in folders]
    errors = sum(len(r.errors) for r in results)
    warnings = sum(len(r.warnings) for r in results)
    if output_format == Format.json:
        rows = [row for r in results for row in _problem_rows(r.problems, str(r.issue_dir))]
        _emit_json({"errors": errors, "warnings": warnings, "problems": rows})
    else:
        for r in results:
            _print_problems(r.problems, lang, findings)
            mark = "[red]✗[/red]" if r.errors else "[yellow]![/yellow]" if r.warnings else "[green]✓[/green]"
            out.print(_say(lang, f"{mark} {r.issue_dir}：{len(r.errors)} 个错误，{len(r.warnings)} 个警告",
                           f"{mark} {r.issue_dir}: {len(r.errors)} errors, {len(r.warnings)} warnings"))
    if errors:
        raise typer.Exit(2)
    if strict and warnings:
        raise typer.Exit(1)


@app.command(help="分发：各单位编号副本（份号印在首页天头；--format ofd 另出或只出 OFD）、整批印刷文件、分发登记表（PDF 与 CSV）、"
                  "PDF/A-3b 归档文件（内含源文件）；--send 按名册邮件发送，每个单位只发一次。\n\n"
                  "Distribute an issue: numbered copies per recipient (PDF and/or OFD with --format), the print run, "
                  "the register (PDF, CSV), "
                  "a PDF/A-3b archive with the sources; --send mails each recipient once (SMTP settings in "
                  "recipients.yaml or BULLETIN_SMTP_*; password only in BULLETIN_SMTP_PASSWORD).")
def distribute(
    issue_dir: Annotated[Path, typer.Argument(help="期刊文件夹 / issue folder", show_default=False, metavar="DIR")],
    out_dir: Annotated[Optional[Path], typer.Option("-o", "--out", help="输出文件夹（默认 out/<期>-distribution）/ output folder", metavar="DIR")] = None,
    send: Annotated[bool, typer.Option("--send", help="邮件发送给有邮箱的单位 / e-mail the copies")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只显示将写出哪些文件、发送给谁，什么也不写、不发送 / "
                                                           "show what would be written and sent; write and send nothing")] = False,
    resend: Annotated[Optional[list[str]], typer.Option("--resend", help="核实后重发给此单位（编号）/ send again to this id", metavar="ID")] = None,
    imposed: Annotated[bool, typer.Option("--a3", help="另出 A3 拼版的印刷文件（默认骑马订拼版，带裁切线和折线）/ "
                                                       "also impose on A3 (saddle-stitch booklet with crop and fold marks)")] = False,
    side_by_side: Annotated[bool, typer.Option("--side-by-side", help="A3 按页序两版并排，不按骑马订 / pages in order, 2-up")] = False,
    marks: Annotated[bool, typer.Option("--marks/--no-marks", help="裁切线和折线（SRA3 纸）；--no-marks 正好 A3 / "
                                                                   "crop and fold marks on SRA3, or plain A3")] = True,
    output_formats: Annotated[str, typer.Option("--format", metavar="pdf|ofd|pdf,ofd[,json]", help="编号副本的格式：pdf、ofd 或 pdf,ofd；"
                                                                 "加 json 时在标准输出给出 JSON 报告"
                                                                 " / format of the numbered copies: pdf, ofd or both; with json a JSON report on stdout")] = "pdf",
    scheduler: SchedulerOption = None,
    timeout: TimeoutOption = 600.0,
    lang: LangOption = Lang.zh,
) -> None:
    output_formats, as_json = _split_json(output_formats)
    if as_json:
        _json_mode()
    formats = _formats(output_formats, lang, as_json)
    from .distribute import distribute as run
    from .run.executors import from_options
    from .distribute.mail import send as send_copies

    def report(dist=None, deliveries=(), problems=()) -> None:
        if not as_json:
            return
        named = [c for c in dist.copies if c.recipient is not None] if dist else []
        _emit_json({
            "dry_run": dry_run, "out_dir": str(dist.out_dir) if dist else None, "print_run": dist.print_run if dist else None,
            "files": {role: str(path) for role, path in dist.files.items()} if dist else {},
            "copies": [{"copy": c.label, "recipient": c.recipient.id, "name": c.recipient.name,
                        "files": [str(f) for f, _ in c.delivered], "sha256": [h for _, h in c.delivered]} for c in named],
            "deliveries": [{"copy": d.copy, "recipient": d.recipient_id, "name": d.name,
                            "email": d.email, "file": str(d.file), "status": d.status, "detail": d.detail}
                           for d in deliveries],
            "problems": _problem_rows(list(problems))})

    executor = None
    try:
        executor = from_options(scheduler, timeout)
        with _copies_progress(lang) as progress:
            dist = run(issue_dir, out_dir, imposed=imposed, imposition="side-by-side" if side_by_side else "booklet",
                       marks=marks, formats=formats, executor=executor, progress=progress, write=not dry_run)
    except BulletinError as exc:
        report(problems=exc.problems)
        _print_problems(exc.problems, lang)
        raise typer.Exit(2) from None
    finally:
        if executor is not None:
            executor.close()
    named = [c for c in dist.copies if c.recipient is not None]
    if dry_run:
        out.print(_say(lang, f"[yellow]--dry-run[/yellow] 将写入 {dist.out_dir}（什么也没有写）：{len(dist.recipients())} 个单位，"
                             f"编号副本 {len(named)} 份（No. {named[0].label}–{named[-1].label}），共印 {dist.print_run} 份",
                       f"[yellow]--dry-run[/yellow] would write {dist.out_dir} (nothing written): {len(dist.recipients())} "
                       f"recipients, {len(named)} numbered copies (No. {named[0].label}–{named[-1].label}), "
                       f"print run {dist.print_run}"))
    else:
        out.print(_say(lang, f"[green]✓[/green] {dist.out_dir}：{len(dist.recipients())} 个单位，编号副本 {len(named)} 份"
                             f"（No. {named[0].label}–{named[-1].label}），共印 {dist.print_run} 份",
                       f"[green]✓[/green] {dist.out_dir}: {len(dist.recipients())} recipients, {len(named)} numbered copies "
                       f"(No. {named[0].label}–{named[-1].label}), print run {dist.print_run}"))
    for role, path in dist.files.items():
        out.print(f"  {role:13} {path}")
    if not (send or dry_run):
        report(dist)
        return
    try:
        deliveries = send_copies(dist, dry_run=dry_run, resend=frozenset(resend or ()))
    except BulletinError as exc:
        report(dist, problems=exc.problems)
        _print_problems(exc.problems, lang)
        raise typer.Exit(2) from None
    report(dist, deliveries)
    words = {"sent": ("已发送", "sent"), "already-sent": ("此前已发送，跳过", "already sent, skipped"),
             "uncertain": ("状态不明（上次发送中断），未重发：核实后用 --resend 重发", "uncertain (interrupted), not resent: check, then --resend"),
             "failed": ("发送失败，重新运行将再试", "failed; a re-run retries"), "would-send": ("将发送", "would send")}
    if not deliveries:
        out.print(_say(lang, "名册中没有单位填写邮箱，不发送。", "no recipient has an e-mail address: nothing to send."))
    for d in deliveries:
        zh, en = words[d.status]
        style = {"sent": "green", "failed": "red", "uncertain": "yellow"}.get(d.status, "dim")
        detail = f"  {d.detail}" if d.detail else ""
        out.print(f"[{style}]{_say(lang, zh, en)}[/{style}] No. {d.copy} {d.name} <{d.email}> {d.file.name}{detail}",
                  markup=True, highlight=False)
    if any(d.status in ("failed", "uncertain") for d in deliveries):
        raise typer.Exit(1)


@contextmanager
def _copies_progress(lang: Lang):
    """A progress bar for numbered copies made in several batches (on a terminal)."""
    if not out.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=out, transient=True) as bar:
        task = None

        def progress(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(_say(lang, "编号副本", "numbered copies"), total=total)
            bar.update(task, completed=done)

        yield progress


@app.command(help="从归档 PDF（*-archive.pdf）取出源文件，可重新排版。\n\n"
                  "Extract the sources embedded in an archival PDF (*-archive.pdf), ready to render again.")
def unarchive(
    archive: Annotated[Path, typer.Argument(help="归档 PDF / archival PDF", show_default=False, metavar="FILE")],
    out_dir: Annotated[Path, typer.Option("-o", "--out", help="输出文件夹 / output folder", metavar="DIR")] = Path("unarchived"),
    force: Annotated[bool, typer.Option("--force", help="覆盖已有的文件 / overwrite existing files")] = False,
    lang: LangOption = Lang.zh,
) -> None:
    from .distribute import extract_archive

    if not archive.is_file():
        err.print(_say(lang, f"[red]错误[/red] 找不到文件 {archive}", f"[red]error[/red] no such file: {archive}"))
        raise typer.Exit(2)
    try:
        issues = extract_archive(archive, out_dir, force=force)
    except BulletinError as exc:
        _print_problems(exc.problems, lang)
        raise typer.Exit(2) from None
    for folder in issues:
        out.print(_say(lang, f"[green]✓[/green] {folder}（用 bulletin build {folder} 重新排版）",
                       f"[green]✓[/green] {folder} (render again with: bulletin build {folder})"))


@app.command(help="在浏览器里编辑期刊，边改边看排好的页面（只在本机 127.0.0.1 上服务）。\n\n"
                  "A browser editor with live page preview, served on 127.0.0.1 (files in ISSUES_DIR stay the truth).")
def serve(
    issues_dir: Annotated[Path, typer.Argument(help="期刊总文件夹 / issues folder", metavar="DIR")] = Path("issues"),
    port: Annotated[int, typer.Option("--port", metavar="N", help="端口 / port")] = 8000,
    host: Annotated[str, typer.Option("--host", metavar="ADDRESS", help="监听地址（默认仅本机）/ address to bind")] = "127.0.0.1",
    token: Annotated[Optional[str], typer.Option("--token", metavar="TEXT", help="访问口令（非本机地址时必需；也可用 BULLETIN_SERVE_TOKEN）"
                                                 " / access token, required beyond loopback")] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="打开浏览器 / open a browser")] = False,
    lang: LangOption = Lang.zh,
) -> None:
    import uvicorn

    from .serve.app import create_app

    token = token or os.environ.get("BULLETIN_SERVE_TOKEN") or None
    loopback = host in ("127.0.0.1", "localhost", "::1")
    if not loopback and not token:
        err.print(_say(lang, f"[red]错误[/red] 在 {host} 上服务需要口令：加 --token 或设 BULLETIN_SERVE_TOKEN",
                       f"[red]error[/red] serving on {host} needs a token: --token or BULLETIN_SERVE_TOKEN"))
        raise typer.Exit(2)
    if not issues_dir.is_dir():
        err.print(_say(lang, f"[red]错误[/red] 文件夹不存在：{issues_dir}", f"[red]error[/red] no such folder: {issues_dir}"))
        raise typer.Exit(2)
    import errno
    import socket

    try:  # a port in use (another editor running?) is one clear line, not a server traceback
        probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        with probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            zh, en = "已被占用（可能已有编辑器在运行）", "is in use (perhaps an editor is already running)"
        else:
            zh = en = exc.strerror or str(exc)
        err.print(_say(lang, f"[red]错误[/red] 端口 {port} {zh}：换一个端口，如 --port {port + 1}",
                       f"[red]error[/red] port {port} {en}: use another, e.g. --port {port + 1}"))
        raise typer.Exit(2) from None
    app_ = create_app(issues_dir, host=host, port=port, token=token)
    url = f"http://{'127.0.0.1' if loopback else host}:{port}/" + (f"?token={token}" if token else "")
    out.print(_say(lang, f"编辑器：{url}（Ctrl+C 停止）", f"editor: {url} (Ctrl+C stops)"))
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    from .run.daemon import companion

    with companion():  # `bulletin build` meanwhile goes through a warm daemon (daemon.py)
        uvicorn.run(app_, host=host, port=port, log_level="warning")


daemon_app = typer.Typer(
    help="常驻排版服务：保持 WeasyPrint、字体、版式已加载，`bulletin build` 有它时经它排版（结果逐字节相同），"
         "没有时照常排版。只有本用户可用（Unix 套接字，0600）。\n\n"
         "A warm build service: `bulletin build` goes through it when it runs (same bytes), as before when not. "
         "Only this user can use it (a Unix socket, 0600).",
    no_args_is_help=True)
app.add_typer(daemon_app, name="daemon")


def _daemon_line(status: dict, lang: Lang) -> str:
    up = time.time() - status.get("since", time.time())
    return _say(lang, f"常驻服务运行中：进程 {status['pid']}，已运行 {up:.0f} 秒，排版 {status['builds']} 次，"
                      f"内存 {status['rss_mb']} MB，套接字 {status['socket']}",
                f"daemon running: pid {status['pid']}, up {up:.0f} s, {status['builds']} builds, "
                f"{status['rss_mb']} MB, socket {status['socket']}")


@daemon_app.command("start", help="启动常驻排版服务（已在运行则不动）。\n\nStart the daemon (if not running).")
def daemon_start(lang: LangOption = Lang.zh) -> None:
    from .run import daemon

    try:
        status = daemon.start()
    except daemon.Unsafe as exc:
        err.print(_say(lang, f"[red]错误[/red] 常驻服务的文件夹不安全：{exc}", f"[red]error[/red] the daemon's folder is unsafe: {exc}"))
        raise typer.Exit(2) from None
    if status is None:
        err.print(_say(lang, "[red]错误[/red] 常驻服务没有启动起来", "[red]error[/red] the daemon did not start"))
        raise typer.Exit(2)
    out.print(_daemon_line(status, lang), highlight=False)


@daemon_app.command("stop", help="停止常驻排版服务。\n\nStop the daemon.")
def daemon_stop(lang: LangOption = Lang.zh) -> None:
    from .run import daemon

    if daemon.stop():
        out.print(_say(lang, "常驻服务已停止", "daemon stopped"))
    else:
        out.print(_say(lang, "常驻服务没有在运行", "no daemon running"))


@daemon_app.command("status", help="常驻排版服务是否在运行。\n\nWhether the daemon runs (exit code 1 if not).")
def daemon_status(lang: LangOption = Lang.zh) -> None:
    from .run import daemon

    status = daemon.ask("status")
    if status is None:
        out.print(_say(lang, "常驻服务没有在运行", "no daemon running"))
        raise typer.Exit(1)
    out.print(_daemon_line(status, lang), highlight=False)


class SchemaKind(str, Enum):
    all = "all"
    series = "series"
    recipients = "recipients"
    issue = "issue"


@app.command(help="输出 JSON Schema：series.yaml、recipients.yaml 与 issue.md 开头的期刊信息（一个文件，$defs + oneOf），"
                  "供编辑器检查和补全（文件第一行写 # yaml-language-server: $schema=文件名）。\n\n"
                  "Print the JSON Schema of series.yaml, recipients.yaml and an issue's front matter (one document: "
                  "$defs and a root oneOf), for editors' YAML tooling; --kind gives one file's schema.")
def schema(
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="写入文件 / write to a file", metavar="FILE")] = None,
    kind: Annotated[SchemaKind, typer.Option("--kind", metavar="all|series|recipients|issue",
                                             help="只输出一种文件的 / only one kind of file")] = SchemaKind.all,
    lang: LangOption = Lang.zh,
) -> None:
    from .source.schema import file_schema, root_schema
    from .output.write import write_atomic

    data = root_schema() if kind == SchemaKind.all else file_schema(kind.value)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output:
        write_atomic(output, text.encode("utf-8"))
        out.print(_say(lang, f"[green]✓[/green] {output}", f"[green]✓[/green] {output}"))
    else:
        sys.stdout.write(text)


@app.command(help="新建一个刊物文件夹：series.yaml（每项设置都有中文注释）、recipients.yaml（报送单位名册）、"
                  "bulletin.schema.json 和第一期；不覆盖已有的文件夹。\n\n"
                  "Start a new series folder: series.yaml (every setting, commented), recipients.yaml, "
                  "bulletin.schema.json and a first issue; refuses a folder that is not empty.")
def init(
    folder: Annotated[Path, typer.Argument(help="新的刊物文件夹 / the new series folder", show_default=False, metavar="DIR")],
    name: Annotated[str, typer.Option("--name", metavar="TEXT", help="刊名 / the bulletin's name")] = "工作简报",
    publisher: Annotated[str, typer.Option("--publisher", metavar="TEXT", help="编发单位 / publisher")] = "编发单位名称",
    series_id: Annotated[Optional[str], typer.Option("--id", metavar="ID", help="英文短名，用于文件名（默认为文件夹名）"
                                                                          " / short name for file names")] = None,
    date: Annotated[Optional[str], typer.Option("--date", metavar="YYYY-MM-DD", help="第一期的出刊日期（默认今天）"
                                                                                   " / the first issue's date")] = None,
    lang: LangOption = Lang.zh,
) -> None:
    from .source.dates import parse_date_option
    from .editor.init import init_series

    when, bad = parse_date_option(date) if date else (None, None)
    if bad:
        err.print(f"[red]{_say(lang, '错误', 'error')}[/red] {_say(lang, *bad)}")
        raise typer.Exit(EXIT_USAGE)
    try:
        first = init_series(folder, name.strip() or "工作简报", publisher.strip() or "编发单位名称", when, series_id)
    except BulletinError as exc:
        _print_problems(exc.problems, lang)
        raise typer.Exit(2) from None
    out.print(_say(lang, f"[green]✓[/green] 新建刊物 {folder}：series.yaml、recipients.yaml、第一期 {first / 'issue.md'}\n"
                         f"  下一步：编辑 {first / 'issue.md'}，然后 bulletin check {first}、bulletin build {first}",
                   f"[green]✓[/green] created the series {folder}: series.yaml, recipients.yaml, first issue {first / 'issue.md'}\n"
                   f"  next: edit {first / 'issue.md'}, then bulletin check {first} and bulletin build {first}"))


@app.command(help="显示版本。\n\nShow the version.")
def version() -> None:
    import weasyprint

    out.print(f"bulletin {__version__} (WeasyPrint {weasyprint.__version__})")


def _lang_of(argv: list[str]) -> Lang:
    """The --lang the command line asked for (for messages outside a command's own handling)."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] == "en" or arg == "--lang=en":
            return Lang.en
    return Lang.zh


def _terminate(signum, frame) -> None:
    """SIGTERM ends the command like Ctrl+C would: atexit handlers run (the temporary folder is
    removed, scratch.py) and nothing half-written is left (files are written atomically)."""
    raise SystemExit(128 + signum)


_command = None


def command():
    """The click command typer makes of `app`, made once per process: typer makes it anew on every
    call (~25 ms); the daemon makes it before it forks (daemon_process.py)."""
    global _command
    if _command is None:
        from typer.main import get_command

        _command = get_command(app)
    return _command


def main() -> None:
    """Entry point: no traceback for the user; BULLETIN_DEBUG=1 shows it."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        command()(prog_name="bulletin")  # also under `python -m bulletin`: help and completion name the command
    except BulletinError as exc:  # raised outside a command's own handling (e.g. missing layouts)
        _print_problems(exc.problems, _lang_of(sys.argv))
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("已中断 / interrupted")
        sys.exit(130)
    except OSError as exc:  # a file or folder the command could not read or write
        from .errors import os_problem

        _print_problems([os_problem(exc)], _lang_of(sys.argv))
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - last line of defence, see docstring
        if os.environ.get("BULLETIN_DEBUG"):
            raise
        err.print(f"[bold red]内部错误 / internal error[/bold red]: {type(exc).__name__}: {exc}", markup=True)
        err.print("请把这条信息和期刊文件发给维护者；设置 BULLETIN_DEBUG=1 可看详细信息。"
                  " / Please report this with the issue files; set BULLETIN_DEBUG=1 for details.")
        sys.exit(3)


if __name__ == "__main__":
    main()
