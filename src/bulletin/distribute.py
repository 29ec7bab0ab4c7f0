"""Distribute stage: one issue → what an office sends out and keeps.

- numbered copies (份号 “No. 000001”, unique within the print run) for each receiving body, the
  body's name and the number printed in the top margin of page 1 (the layout's stamp template);
- the whole print run as one PDF in copy order (spare copies numbered, without a name), and
  optionally imposed two A4 pages to an A3 sheet;
- the distribution register (分发登记表) as PDF (the layout's register template) and as CSV, with
  the SHA-256 of every file;
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

from .errors import BulletinError, Problem
from .model import Bulletin, Recipient
from .write import write_atomic

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


def copy_batch(layout_name: str, issue_pdf: bytes, stem: str, copies: list[CopyFile]) -> tuple[bytes, dict[int, bytes]]:
    """One batch of copies: their stamp pages typeset as one document, and each named copy's PDF.
    Depends only on its arguments, the layout and the fonts, so it gives the same bytes here or
    on a cluster worker."""
    from .compose import compose_extra
    from .fonts import font_face_css
    from .layout import load_layout
    from .resources import fonts_dir
    from .typeset import typeset

    layout = load_layout(layout_name)
    stamp = compose_extra(layout, "stamp", font_face_css(),
                          copies=[{"number": c.label, "name": c.recipient.name if c.recipient else ""} for c in copies])
    stamp_pdf = typeset(stamp, layout.folder, [], [layout.folder, fonts_dir()]).pdf
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


def impose_2up(pdf: bytes, pages_per_copy: int) -> bytes:
    """Two A4 pages side by side on A3 landscape sheets, each copy starting on a new sheet (a
    copy with an odd number of pages ends with a blank half)."""
    from pypdf import PageObject, PdfReader, PdfWriter, Transformation

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    pages = reader.pages
    for start in range(0, len(pages), pages_per_copy):
        copy = [pages[k] for k in range(start, start + pages_per_copy)]
        for left in range(0, len(copy), 2):
            w, h = float(copy[left].mediabox.width), float(copy[left].mediabox.height)
            sheet = PageObject.create_blank_page(width=2 * w, height=h)
            sheet.merge_transformed_page(copy[left], Transformation())
            if left + 1 < len(copy):
                sheet.merge_transformed_page(copy[left + 1], Transformation().translate(tx=w))
            writer.add_page(sheet).compress_content_streams()
    _file_id(writer, "imposed", str(len(pages)))
    return _pdf_bytes(writer)


def archive_sources(issue_dir: Path) -> list[tuple[str, Path]]:
    """(embedded name, file) for everything a re-render needs: the issue folder's files and the
    series' settings. Names are <series folder>/<issue folder>/…, under ARCHIVE_PREFIX."""
    from .recipients import SEND_LOG

    issue_dir = issue_dir.resolve()
    series_dir = issue_dir.parent
    out = []
    for name in ("series.yaml", "recipients.yaml"):
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

    from .api import render

    stamp = dt.datetime(date.year, date.month, date.day)  # fixed dates: the same sources, the same bytes
    attachments = [
        Attachment(string=path.read_bytes(), name=name, relationship="Source", created=stamp, modified=stamp,
                   description="bulletin source")
        for name, path in archive_sources(issue_dir)
    ]
    return render(issue_dir, pdf_options={"pdf_variant": "pdf/a-3b", "attachments": attachments}).pdf


def extract_archive(archive: Path, out_dir: Path) -> list[Path]:
    """Write the sources embedded in an archival PDF under out_dir (series/issue folders), refusing
    names that would leave out_dir. Returns the issue folders found."""
    from pypdf import PdfReader

    reader = PdfReader(str(archive))
    out_dir = Path(out_dir)
    written, issues = [], set()
    for name, contents in sorted(reader.attachments.items()):
        if not name.startswith(ARCHIVE_PREFIX):
            continue
        rel = PurePosixPath(name[len(ARCHIVE_PREFIX):])
        if rel.is_absolute() or ".." in rel.parts or len(rel.parts) < 2 or "\\" in name:
            raise BulletinError(Problem(archive, None, f"归档文件中的附件名不安全：{name}",
                                        f"unsafe attachment name in the archive: {name}"))
        target = out_dir.joinpath(*rel.parts)
        write_atomic(target, contents[0])
        written.append(target)
        if rel.name == "issue.md" and len(rel.parts) == 3:
            issues.add(out_dir / rel.parts[0] / rel.parts[1])
    if not written:
        raise BulletinError(Problem(archive, None, "这个 PDF 里没有 bulletin 的源文件附件",
                                    "this PDF has no bulletin source attachments",
                                    "用 bulletin distribute 生成的 *-archive.pdf", "use an *-archive.pdf made by bulletin distribute"))
    return sorted(issues)


def _register_rows(dist: Distribution) -> list[dict]:
    rows = []
    for body in dist.recipients():
        copies = dist.copies_of(body.id)
        numbers = [c.label for c in copies]
        rows.append({
            "numbers": numbers[0] if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}",
            "category": body.category, "name": body.name, "copies": len(copies),
            "channel": body.channel, "channel_zh": CHANNEL_ZH[body.channel],
            "file": copies[0].file.name if copies[0].file else "", "sha256_short": copies[0].sha256[:16]
            + ("…" if len(copies) == 1 else f"… 等 {len(copies)} 个文件"),
        })
    spares = [c for c in dist.copies if c.recipient is None]
    if spares:
        rows.append({"numbers": f"{spares[0].label}–{spares[-1].label}" if len(spares) > 1 else spares[0].label,
                     "category": "—", "name": "留存", "copies": len(spares), "channel": "", "channel_zh": "—",
                     "file": "", "sha256_short": "（见印刷文件）"})
    return rows


def register_csv(dist: Distribution) -> bytes:
    """One row per numbered copy (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["copy_number", "recipient_id", "recipient", "category", "channel", "email", "file", "sha256"])
    for c in dist.copies:
        body = c.recipient
        if body is None:
            writer.writerow([c.label, "", "留存", "", "", "", dist.files["print-run"].name, ""])
        else:
            writer.writerow([c.label, body.id, body.name, body.category, body.channel, body.email or "",
                             c.file.name if c.file else "", c.sha256])
    for role, path in dist.files.items():
        writer.writerow(["", "", f"[{role}]", "", "", "", path.name, dist.sha256[path]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def distribute(issue_dir: Path | str, out_dir: Path | str | None = None, imposed: bool = False,
               executor=None, progress=None) -> Distribution:
    """Render the issue and write, under out_dir (default out/<stem>-distribution/): copies/…,
    <stem>-print-run.pdf (and -print-run-A3.pdf when imposed), <stem>-archive.pdf,
    <stem>-register.pdf and .csv. Raises BulletinError on bad input before anything is written.
    The copies are made in batches of STAMP_BATCH by `executor` (executors.py; None: in this
    process), `progress(done, total)` after each batch; the bytes are the same either way."""
    from .api import _prepare, render
    from .compose import compose_extra
    from .fonts import font_face_css
    from .resources import fonts_dir
    from .typeset import typeset

    issue_dir = Path(issue_dir)
    loaded, layout, _ = _prepare(issue_dir)
    bulletin = loaded.bulletin
    stem = bulletin.output_stem
    copies, run = plan_copies(bulletin, issue_dir / "issue.md")
    for kind in ("stamp", "register"):
        if kind not in layout.templates:
            compose_extra(layout, kind, "")  # raises the missing-template problem
    out = Path(out_dir) if out_dir else Path("out") / f"{stem}-distribution"
    roots = [layout.folder, fonts_dir()]

    issue_pdf = render(issue_dir).pdf
    from .executors import copy_batches

    batches = [copies[i:i + STAMP_BATCH] for i in range(0, len(copies), STAMP_BATCH)]
    stamp_pdfs, numbered = copy_batches(executor, bulletin.series.layout, issue_pdf, stem, batches, progress)
    archive = archival_pdf(issue_dir, bulletin.issue.date)

    dist = Distribution(issue_dir, stem, out, bulletin, copies, run)
    outputs: dict[Path, bytes] = {}
    for number, data in numbered.items():
        copy = copies[number - 1]
        copy.file = out / "copies" / f"{stem}-{copy.label}-{copy.recipient.id}.pdf"
        copy.sha256 = _sha256(data)
        outputs[copy.file] = data
    whole = print_run_pdf(issue_pdf, stamp_pdfs, stem, copies)
    dist.files["print-run"] = out / f"{stem}-print-run.pdf"
    outputs[dist.files["print-run"]] = whole
    if imposed:
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(issue_pdf)).pages)
        dist.files["print-run-A3"] = out / f"{stem}-print-run-A3.pdf"
        outputs[dist.files["print-run-A3"]] = impose_2up(whole, pages)
    dist.files["archive"] = out / f"{stem}-archive.pdf"
    outputs[dist.files["archive"]] = archive
    dist.sha256 = {path: _sha256(data) for path, data in outputs.items()}

    register = compose_extra(
        layout, "register", font_face_css(), bulletin=bulletin, series=bulletin.series, issue=bulletin.issue,
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
    for path, data in outputs.items():
        write_atomic(path, data)
    dist.files["register-csv"] = csv_path
    return dist
