"""Distribute stage: one issue → what an office sends out and keeps.

- numbered copies (份号 “No. 000001”, unique within the print run) for each receiving body, the
  body's name and the number printed in the top margin of page 1 (the layout's stamp template);
- the whole print run as one PDF in copy order (spare copies numbered, without a name), and
  optionally imposed on A3 sheets (imposition.py: saddle-stitched booklets with crop and fold
  marks, or side by side); a series printed on pre-printed paper (masthead: pre-printed, 套打)
  gets a print run without the red masthead, the copies sent out keep it;
- the distribution register (分发登记表) as PDF (the layout's register template) and as CSV, with
  the SHA-256 of every file;
- with `formats` including "ofd", each numbered copy also (or only) as OFD (GB/T 33190): the
  issue's OFD with that copy's stamp in a foreground layer of page 1 and its 份号 and body in the
  document's custom data;
- the archival copy: PDF/A-3b with the issue's sources (issue.md, images, series.yaml,
  recipients.yaml) embedded as associated files, so it can be re-rendered years later
  (`bulletin unarchive`).

Sending the copies is mail.py. Everything is written atomically; files are byte-for-byte the
same when nothing changed, so a register's hashes stay valid across re-runs.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import BulletinError, Problem
from ..model import Bulletin, Recipient
from ..output.write import write_atomic

NUMBER_DIGITS = 6  # GB/T 9704: 份号 6 位阿拉伯数字
CHANNEL_ZH = {"email": "电子邮件", "post": "邮寄", "hand": "专送"}
ARCHIVE_PREFIX = "bulletin-source/"  # embedded file names: bulletin-source/<series>/<issue>/issue.md
# Copies whose stamps are typeset as one document (its fonts are subset to those copies' numbers
# and names, so this is part of every copy's bytes: fixed, not a tuning knob). Batches are what
# an executor spreads over a cluster (executors.py).
STAMP_BATCH = 200


@dataclass
class CopyFile:
    number: int
    recipient: Recipient | None  # None: a spare copy (留存)
    file: Path | None = None  # the copy's own PDF (spares have none: they are in the print run)
    sha256: str = ""
    ofd_file: Path | None = None  # the copy as OFD, when distributed with --format ofd
    ofd_sha256: str = ""

    @property
    def delivered(self) -> list[tuple[Path, str]]:
        """(file, SHA-256) of each format this copy was written in: what a recipient receives."""
        return [(f, h) for f, h in ((self.file, self.sha256), (self.ofd_file, self.ofd_sha256)) if f is not None]

    @property
    def label(self) -> str:
        return f"{self.number:0{NUMBER_DIGITS}d}"


@dataclass
class Distribution:
    issue_dir: Path
    stem: str
    out_dir: Path
    bulletin: Bulletin
    copies: list[CopyFile]
    print_run: int
    files: dict[str, Path] = field(default_factory=dict)  # role → file (print-run, register, archive…)
    sha256: dict[Path, str] = field(default_factory=dict)

    def copies_of(self, recipient_id: str) -> list[CopyFile]:
        return [c for c in self.copies if c.recipient is not None and c.recipient.id == recipient_id]

    def recipients(self) -> list[Recipient]:
        seen: dict[str, Recipient] = {}
        for c in self.copies:
            if c.recipient is not None:
                seen.setdefault(c.recipient.id, c.recipient)
        return list(seen.values())


def recipients_of(bulletin: Bulletin) -> list[Recipient]:
    """The issue's bodies: from the registry when the series has one, else from its 报送 lines
    (then without channels, one copy each)."""
    if bulletin.recipients:
        return list(bulletin.recipients)
    out = []
    for line in bulletin.distribution:
        for name in line.recipients:
            out.append(Recipient(id=f"r{len(out) + 1:03d}", name=name, category=line.label))
    return out


def plan_copies(bulletin: Bulletin, where: Path) -> tuple[list[CopyFile], int]:
    """Copy numbers 1…N in print order (each body as many as its `copies`), then spares up to the
    print run (共印×份). Raises when the print run is smaller than the copies given out."""
    bodies = recipients_of(bulletin)
    if not bodies:
        raise BulletinError(Problem(where, None, "本期没有报送单位，无从分发", "the issue has no recipients to distribute to",
                                    "在 recipients.yaml（或 distribution）中写报送单位",
                                    "list the bodies in recipients.yaml (or distribution)"))
    from ..limits import MAX_PRINT_RUN

    given = sum(body.copies for body in bodies)
    if given > MAX_PRINT_RUN:  # before the work: each copy is a numbered page 1 (as print_run's limit)
        raise BulletinError(Problem(where.parent.parent / "recipients.yaml", None,
                                    f"各单位的份数合计 {given} 份，超过上限 {MAX_PRINT_RUN} 份",
                                    f"the bodies' copies add up to {given}, more than the limit of {MAX_PRINT_RUN}",
                                    "检查 recipients.yaml 中各单位的 copies", "check the copies of the bodies in recipients.yaml"))
    copies: list[CopyFile] = []
    for body in bodies:
        for _ in range(body.copies):
            copies.append(CopyFile(len(copies) + 1, body))
    run = bulletin.print_run or len(copies)
    if run < len(copies):
        raise BulletinError(Problem(where, None, f"印数 {run} 份少于分发份数 {len(copies)} 份",
                                    f"print run {run} is smaller than the {len(copies)} copies given out",
                                    "增加 print_run，或减少各单位的 copies", "raise print_run or lower copies"))
    copies += [CopyFile(n, None) for n in range(len(copies) + 1, run + 1)]
    return copies, run


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pdf_bytes(writer) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _file_id(writer, *parts: str) -> None:
    """A copy is a different file from the issue: keep the issue's first /ID, derive the second
    from what makes the copy (so the same copy is the same bytes on every run)."""
    from pypdf.generic import ArrayObject, ByteStringObject

    first = writer._ID[0] if getattr(writer, "_ID", None) else ByteStringObject(b"")
    writer._ID = ArrayObject([first, ByteStringObject(hashlib.md5("\0".join(parts).encode()).digest())])


def stamped_copies(issue_pdf: bytes, stamp_pdf: bytes, stem: str, copies: list[CopyFile]) -> dict[int, bytes]:
    """Each copy's own PDF: the issue with page 1 overlaid by that copy's stamp page."""
    from pypdf import PdfReader, PdfWriter

    issue = PdfReader(io.BytesIO(issue_pdf))
    stamps = PdfReader(io.BytesIO(stamp_pdf))
    out = {}
    for i, copy in enumerate(copies):
        if copy.recipient is None:
            continue
        writer = PdfWriter(clone_from=issue)  # keeps bookmarks, metadata, language
        writer.pages[0].merge_page(stamps.pages[i])
        writer.pages[0].compress_content_streams()
        _file_id(writer, stem, copy.label, copy.recipient.id)
        out[copy.number] = _pdf_bytes(writer)
    return out


@dataclass(frozen=True)
class StampSpec:
    """What typesets the stamps (份号戳记) of a batch of copies, as plain values a cluster worker
    can receive: the layout's name, the CSS of the fonts and layout options, whether page 1 keeps
    its first line for the 份号, and the series' own font files (their paths)."""
    layout: str
    css: str
    reserved: bool
    font_files: tuple[str, ...] = ()


def copy_batch(stamp: StampSpec, issue_pdf: bytes, stem: str, copies: list[CopyFile]) -> tuple[bytes, dict[int, bytes]]:
    """One batch of copies: their stamp pages typeset as one document, and each named copy's PDF.
    Depends only on its arguments, the layout and the fonts, so it gives the same bytes here or
    on a cluster worker."""
    from ..compose import compose_extra
    from ..style.layout import load_layout
    from ..resources import fonts_dir
    from ..typeset import typeset

    layout = load_layout(stamp.layout)
    composed = compose_extra(layout, "stamp", stamp.css, reserved=stamp.reserved,
                             copies=[{"number": c.label, "name": c.recipient.name if c.recipient else ""} for c in copies])
    roots = [layout.folder, fonts_dir(), *(Path(f) for f in stamp.font_files)]
    stamp_pdf = typeset(composed, layout.folder, [], roots).pdf
    return stamp_pdf, stamped_copies(issue_pdf, stamp_pdf, stem, copies)


def print_run_pdf(issue_pdf: bytes, stamp_pdf: bytes | list[bytes], stem: str, copies: list[CopyFile]) -> bytes:
    """All copies in copy order; pages after the first and the fonts are shared, not repeated.
    `stamp_pdf`: the stamp pages of all copies, as one document or as the batches' documents."""
    from pypdf import PageObject, PdfReader, PdfWriter

    issue = PdfReader(io.BytesIO(issue_pdf))
    documents = [stamp_pdf] if isinstance(stamp_pdf, bytes) else stamp_pdf
    stamps = [page for data in documents for page in PdfReader(io.BytesIO(data)).pages]
    writer = PdfWriter()
    first = issue.pages[0]
    for i, _ in enumerate(copies):
        # page 1 is built afresh for each copy (its content then the stamp); adding the same
        # source page again would share its content stream, and the stamps would pile up
        page = PageObject.create_blank_page(width=first.mediabox.width, height=first.mediabox.height)
        page.merge_page(first)
        page.merge_page(stamps[i])
        writer.add_page(page).compress_content_streams()
        for later in issue.pages[1:]:
            writer.add_page(later)
    writer.add_metadata({k: v for k, v in (issue.metadata or {}).items() if k in ("/Title", "/Author")})
    writer._ID = None
    _file_id(writer, stem, "print-run", str(len(copies)))
    return _pdf_bytes(writer)


def archive_sources(issue_dir: Path) -> list[tuple[str, Path]]:
    """(embedded name, file) for everything a re-render needs: the issue folder's files and the
    series' settings. Names are <series folder>/<issue folder>/…, under ARCHIVE_PREFIX."""
    from ..source.recipients import SEND_LOG

    issue_dir = issue_dir.resolve()
    series_dir = issue_dir.parent
    out = []
    for name in ("series.yaml", "recipients.yaml", "words.txt"):
        if (series_dir / name).is_file():
            out.append((f"{series_dir.name}/{name}", series_dir / name))
    for path in sorted(p for p in issue_dir.rglob("*") if p.is_file() and not p.is_symlink()):
        if path.name == SEND_LOG or any(part.startswith(".") for part in path.relative_to(issue_dir).parts):
            continue
        out.append((f"{series_dir.name}/{issue_dir.name}/{path.relative_to(issue_dir).as_posix()}", path))
    return [(ARCHIVE_PREFIX + name, path) for name, path in out]


def archival_pdf(issue_dir: Path, date: dt.date) -> bytes:
    """The issue as PDF/A-3b with its sources attached (AFRelationship /Source)."""
    from weasyprint import Attachment

    from ..api import render

    stamp = dt.datetime(date.year, date.month, date.day)  # fixed dates: the same sources, the same bytes
    attachments = [
        Attachment(string=path.read_bytes(), name=name, relationship="Source", created=stamp, modified=stamp,
                   description="bulletin source")
        for name, path in archive_sources(issue_dir)
    ]
    return render(issue_dir, pdf_options={"pdf_variant": "pdf/a-3b", "attachments": attachments}).pdf


def extract_archive(archive: Path, out_dir: Path, force: bool = False) -> list[Path]:
    """Write the sources embedded in an archival PDF under out_dir (series/issue folders), refusing
    names that would leave out_dir, and — unless `force` — files that exist already: every name is
    checked before the first file is written. Returns the issue folders found."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    from ..errors import os_problem

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its English notes about damaged files
    try:
        reader = PdfReader(str(archive))
        attachments = sorted(reader.attachments.items())
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise BulletinError(Problem(archive, None, "读不了这个文件：不是 PDF，或 PDF 已损坏",
                                    f"cannot read this file: not a PDF, or a damaged one ({type(exc).__name__})",
                                    "用 bulletin distribute 生成的 *-archive.pdf", "use an *-archive.pdf made by bulletin distribute")) from None
    except OSError as exc:
        raise BulletinError(os_problem(exc, archive, ("读取", "read"))) from None
    out_dir = Path(out_dir)
    planned: list[tuple[Path, bytes]] = []
    issues = set()
    for name, contents in attachments:
        if not name.startswith(ARCHIVE_PREFIX):
            continue
        rel = PurePosixPath(name[len(ARCHIVE_PREFIX):])
        if rel.is_absolute() or ".." in rel.parts or len(rel.parts) < 2 or "\\" in name or \
                any(part in ("", ".") or part.startswith(".") for part in rel.parts):
            raise BulletinError(Problem(archive, None, f"归档文件中的附件名不安全：{name}",
                                        f"unsafe attachment name in the archive: {name}"))
        planned.append((out_dir.joinpath(*rel.parts), contents[0]))
        if rel.name == "issue.md" and len(rel.parts) == 3:
            issues.add(out_dir / rel.parts[0] / rel.parts[1])
    if not planned:
        raise BulletinError(Problem(archive, None, "这个 PDF 里没有 bulletin 的源文件附件",
                                    "this PDF has no bulletin source attachments",
                                    "用 bulletin distribute 生成的 *-archive.pdf", "use an *-archive.pdf made by bulletin distribute"))
    existing = [target for target, _ in planned if target.exists() or target.is_symlink()]
    if existing and not force:
        raise BulletinError([Problem(target, None, "文件已经存在，不覆盖", "the file exists already; not overwriting",
                                     "换一个输出文件夹（-o），或确认要覆盖时加 --force",
                                     "choose another folder (-o), or add --force to overwrite")
                             for target in existing])
    try:
        for target, data in planned:
            if target.is_symlink():  # never write through a link planted in the output folder
                target.unlink()
            write_atomic(target, data)
    except OSError as exc:
        raise BulletinError(os_problem(exc, None, ("写入", "write"))) from None
    return sorted(issues)


def _register_rows(dist: Distribution) -> list[dict]:
    rows = []
    for body in dist.recipients():
        copies = dist.copies_of(body.id)
        numbers = [c.label for c in copies]
        more = "…" if len(copies) == 1 else f"… 等 {len(copies)} 个文件"
        files = copies[0].delivered
        hashes = [(f"{f.suffix[1:].upper()} " if len(files) > 1 else "") + h[:16] + more for f, h in files]
        rows.append({
            "numbers": numbers[0] if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}",
            "category": body.category, "name": body.name, "copies": len(copies),
            "channel": body.channel, "channel_zh": CHANNEL_ZH[body.channel],
            "file": files[0][0].name if files else "", "sha256_short": "；".join(hashes), "hashes": hashes,
        })
    spares = [c for c in dist.copies if c.recipient is None]
    if spares:
        rows.append({"numbers": f"{spares[0].label}–{spares[-1].label}" if len(spares) > 1 else spares[0].label,
                     "category": "—", "name": "留存", "copies": len(spares), "channel": "", "channel_zh": "—",
                     "file": "", "sha256_short": "（见印刷文件）", "hashes": ["（见印刷文件）"]})
    return rows


def register_csv(dist: Distribution) -> bytes:
    """One row per numbered copy (UTF-8 with BOM, so spreadsheet programs read the Chinese): its
    PDF (file, sha256) and its OFD (ofd_file, ofd_sha256), each empty when not made."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["copy_number", "recipient_id", "recipient", "category", "channel", "email", "file", "sha256",
                     "ofd_file", "ofd_sha256"])
    for c in dist.copies:
        body = c.recipient
        if body is None:
            writer.writerow([c.label, "", "留存", "", "", "", dist.files["print-run"].name, "", "", ""])
        else:
            writer.writerow([c.label, body.id, body.name, body.category, body.channel, body.email or "",
                             c.file.name if c.file else "", c.sha256, c.ofd_file.name if c.ofd_file else "",
                             c.ofd_sha256])
    for role, path in dist.files.items():
        writer.writerow(["", "", f"[{role}]", "", "", "", path.name, dist.sha256[path], "", ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def ofd_copies(issue_pdf: bytes, stamp_pdf: bytes, bulletin: Bulletin, copies: list[CopyFile],
               where: Path) -> dict[int, bytes]:
    """Each numbered copy as OFD: the issue read once, page 1 with that copy's stamp page laid over
    it in a foreground layer, 份号 and body in the custom data."""
    from ..output.ofd import OfdSource, Unsupported, bulletin_font_naming, copy_custom_data, issue_custom_data, problem, \
        read_stamp_pages

    try:
        source = OfdSource(issue_pdf, issue_custom_data(bulletin), bulletin_font_naming())
        stamps = read_stamp_pages(stamp_pdf)
        return {c.number: source.package({0: stamps[i]}, copy_custom_data(c.label, c.recipient))
                for i, c in enumerate(copies) if c.recipient is not None}
    except Unsupported as exc:
        raise problem(exc, where) from None


def distribute(issue_dir: Path | str, out_dir: Path | str | None = None, imposed: bool = False,
               imposition: str = "booklet", marks: bool = True, formats: tuple[str, ...] = ("pdf",),
               executor=None, progress=None) -> Distribution:
    """Render the issue and write, under out_dir (default out/<stem>-distribution/): copies/…
    (.pdf and/or .ofd, see `formats`), <stem>-print-run.pdf (and -print-run-A3.pdf when imposed:
    `imposition` booklet or side-by-side, `marks` crop and fold marks on SRA3), <stem>-archive.pdf,
    <stem>-register.pdf and .csv. Raises BulletinError on bad input before anything is written.
    The copies are made in batches of STAMP_BATCH by `executor` (executors.py; None: in this
    process), `progress(done, total)` after each batch; the bytes are the same either way."""
    from ..api import _prepare, render
    from ..compose import compose_extra, root_properties
    from ..check.preflight import issue_fontset
    from ..resources import fonts_dir
    from ..typeset import typeset

    issue_dir = Path(issue_dir)
    loaded, layout, options = _prepare(issue_dir)
    bulletin = loaded.bulletin
    stem = bulletin.output_stem
    copies, run = plan_copies(bulletin, issue_dir / "issue.md")
    for kind in ("stamp", "register"):
        if kind not in layout.templates:
            compose_extra(layout, kind, "")  # raises the missing-template problem
    out = Path(out_dir) if out_dir else Path("out") / f"{stem}-distribution"
    check_folder(out, stem)
    fontset = issue_fontset(loaded)
    roots = [layout.folder, fonts_dir(), *(font.path for font in fontset.user.values())]
    # the stamp and the register print the bodies' names: the faces their characters need
    printed = "".join([bulletin.series.name, bulletin.series.publisher, *(c.recipient.name for c in copies if c.recipient)])
    needed = fontset.needed(layout.text_fonts, ((kind, printed) for kind in layout.text_fonts))
    font_css = fontset.css(layout.text_fonts, needed)

    issue_pdf = render(issue_dir).pdf
    stamp = StampSpec(bulletin.series.layout, font_css + root_properties(options), bulletin.copy_number_line,
                      tuple(str(font.path) for font in fontset.user.values()))
    from ..run.executors import copy_batches

    batches = [copies[i:i + STAMP_BATCH] for i in range(0, len(copies), STAMP_BATCH)]
    stamp_pdfs, numbered = copy_batches(executor, stamp, issue_pdf, stem, batches, progress)
    archive = archival_pdf(issue_dir, bulletin.issue.date)

    dist = Distribution(issue_dir, stem, out, bulletin, copies, run)
    outputs: dict[Path, bytes] = {}
    if "pdf" in formats:
        for number, data in numbered.items():
            copy = copies[number - 1]
            copy.file = out / "copies" / f"{stem}-{copy.label}-{copy.recipient.id}.pdf"
            copy.sha256 = _sha256(data)
            outputs[copy.file] = data
    if "ofd" in formats:
        for batch, stamp_pdf in zip(batches, stamp_pdfs):
            for number, data in ofd_copies(issue_pdf, stamp_pdf, bulletin, batch, issue_dir / "issue.md").items():
                copy = copies[number - 1]
                copy.ofd_file = out / "copies" / f"{stem}-{copy.label}-{copy.recipient.id}.ofd"
                copy.ofd_sha256 = _sha256(data)
                outputs[copy.ofd_file] = data
    preprinted = bulletin.series.masthead.printing == "pre-printed"
    paper_pdf = render(issue_dir, preprinted=True).pdf if preprinted else issue_pdf  # 套打: no red masthead
    whole = print_run_pdf(paper_pdf, stamp_pdfs, stem, copies)
    dist.files["print-run"] = out / f"{stem}-print-run.pdf"
    outputs[dist.files["print-run"]] = whole
    if imposed:
        from pypdf import PdfReader

        from .imposition import impose

        pages = len(PdfReader(io.BytesIO(issue_pdf)).pages)
        dist.files["print-run-A3"] = out / f"{stem}-print-run-A3.pdf"
        outputs[dist.files["print-run-A3"]] = impose(
            whole, pages, imposition, marks,
            file_id=lambda writer: _file_id(writer, "imposed", imposition, str(marks), str(len(copies))))
    dist.files["archive"] = out / f"{stem}-archive.pdf"
    outputs[dist.files["archive"]] = archive
    dist.sha256 = {path: _sha256(data) for path, data in outputs.items()}

    register = compose_extra(
        layout, "register", font_css, bulletin=bulletin, series=bulletin.series, issue=bulletin.issue,
        rows=_register_rows(dist), print_run=run, total=len(copies),
        files=[{"role": {"print-run": "印刷文件", "print-run-A3": "印刷文件（A3 拼版）", "archive": "归档文件（PDF/A-3b）"}[r],
                "file": p.name, "sha256": dist.sha256[p]} for r, p in dist.files.items()],
    )
    register_pdf = typeset(register, issue_dir, [], roots).pdf
    dist.files["register"] = out / f"{stem}-register.pdf"
    outputs[dist.files["register"]] = register_pdf
    dist.sha256[dist.files["register"]] = _sha256(register_pdf)
    csv_path = out / f"{stem}-register.csv"
    outputs[csv_path] = register_csv(dist)
    publish(out, outputs)
    dist.files["register-csv"] = csv_path
    return dist


def _owned_names(stem: str) -> set[str]:
    """What a distribution of `stem` writes at the top of its folder."""
    return {"copies", *(f"{stem}-{kind}" for kind in (
        "print-run.pdf", "print-run-A3.pdf", "archive.pdf", "register.pdf", "register.csv"))}


def check_folder(out: Path, stem: str) -> None:
    """Before any work: `out` is missing, or a folder holding only an earlier distribution of the
    same issue — it is replaced whole, so anything else in it would be lost."""
    from ..errors import os_problem

    try:
        if not out.exists():
            return
        if not out.is_dir():
            raise BulletinError(Problem(out, None, "输出位置是一个文件，不是文件夹", "the output path is a file, not a folder",
                                        "用 -o 指定一个文件夹", "give a folder with -o"))
        foreign = sorted(p.name for p in out.iterdir() if p.name not in _owned_names(stem))
        if (out / "copies").is_dir():
            foreign += sorted(f"copies/{p.name}" for p in (out / "copies").iterdir()
                              if not (p.name.startswith(f"{stem}-") and p.name.endswith((".pdf", ".ofd"))
                                      and p.is_file()))
    except OSError as exc:
        raise BulletinError(os_problem(exc, out, ("使用输出文件夹", "use the output folder"))) from None
    if foreign:
        shown = "、".join(foreign[:3]) + ("等" if len(foreign) > 3 else "")
        raise BulletinError(Problem(
            out, None, f"输出文件夹里有不是本期分发的文件（{shown}）：分发会整体替换这个文件夹，不覆盖",
            f"the output folder holds files that are not this issue's distribution ({', '.join(foreign[:3])}); "
            "a distribution replaces its folder whole, so nothing was written",
            f"用一个新的或空的文件夹（默认 out/{stem}-distribution）", f"use a new or empty folder (default out/{stem}-distribution)"))


def publish(out: Path, outputs: dict[Path, bytes]) -> None:
    """Write every file into a staging folder beside `out`, then put it in the place of `out` in
    one rename (an exchange where the system has one): a reader, or a run killed at any moment,
    sees the old distribution or the new one, never a register that does not match its files.
    Staging folders of runs that died are removed here."""
    import glob
    import os
    import shutil

    from ..scratch import alive, process_tag

    out = Path(out)
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    for left in parent.glob(f".{glob.escape(out.name)}.*-*"):  # .NAME.staging-TAG / .NAME.old-TAG of dead runs
        tag = left.name.rsplit("-", 2)
        if len(tag) == 3 and left.is_dir() and not alive(f"{tag[1]}-{tag[2]}"):
            shutil.rmtree(left, ignore_errors=True)
    tag = process_tag()
    staging = parent / f".{out.name}.staging-{tag}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for path, data in outputs.items():
            target = staging / Path(path).relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        if out.exists() and _exchange(staging, out):
            shutil.rmtree(staging, ignore_errors=True)  # now holds the old distribution
            return
        old = parent / f".{out.name}.old-{tag}"
        if out.exists():
            os.rename(out, old)
        os.rename(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes
    import ctypes.util
    import os

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0
