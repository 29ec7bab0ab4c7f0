"""Import a Word (.docx) article as Markdown for issue.md.

What member companies send: a title (the first centred, bold or large paragraph, or one in a
Title/Heading style), perhaps a kicker line above it and a subtitle (——…) below, paragraphs with
bold and italic runs, lists, tables, pictures, and an attribution （…） at the end. Word's manual
line breaks are joined, full-width spaces used as indents and empty paragraphs are dropped;
pictures are saved into the issue's images/ folder.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..errors import BulletinError, Problem
from ..limits import MAX_IMAGE_BYTES
from ..source.load import BYLINE  # the loader decides what counts as an attribution

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _escape(text: str) -> str:
    """Text that Markdown must show as typed."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _clean(text: str) -> str:
    text = text.replace("\u000b", "").replace("\t", " ")
    return text.strip(" \u3000\u00a0")


def safe_stem(name: str, default: str = "word") -> str:
    """A file-name stem that Markdown takes as part of a link target: no spaces, brackets or
    other marks (a Word file named “my article.docx” must not give images/my article-….png)."""
    return re.sub(r"[^\w-]+", "-", name).strip("-")[:40] or default


def check_package(path: Path) -> None:
    """Before python-docx opens it: a .docx is a zip package; its size, the unpacked size of its
    parts and how much they are compressed are bounded (a small file can unpack to gigabytes)."""
    import zipfile

    from ..limits import MAX_DOCX_RATIO, MAX_DOCX_UNCOMPRESSED, MAX_DOCX_XML, MAX_IMPORT_BYTES
    from ..text import too_large

    hint, hint_en = "在 Word/WPS 中打开并另存为 .docx 后重试", "open it in Word and save it as .docx again"
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise BulletinError(too_large(path, size, MAX_IMPORT_BYTES))
        with zipfile.ZipFile(path) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise BulletinError(Problem(path, None, "不是 Word 文件（.docx），或文件已损坏", "not a Word (.docx) file, or a damaged one",
                                    hint, hint_en)) from None
    except OSError as exc:
        from ..errors import os_problem

        raise BulletinError(os_problem(exc, path, ("读取", "read"))) from None
    total = sum(p.file_size for p in parts)
    worst = max((p for p in parts if p.filename.endswith((".xml", ".rels"))), key=lambda p: p.file_size, default=None)
    ratio = max((p.file_size / max(p.compress_size, 1) for p in parts if p.file_size > 10**6), default=1)
    if len(parts) > 10_000 or total > MAX_DOCX_UNCOMPRESSED or (worst and worst.file_size > MAX_DOCX_XML) \
            or ratio > MAX_DOCX_RATIO:
        raise BulletinError(Problem(
            path, None, f"Word 文件解压后太大（{total / 10**6:.0f} MB，压缩比 {ratio:.0f}），不导入",
            f"the Word file unpacks to too much ({total / 10**6:.0f} MB, compressed {ratio:.0f}:1); not imported",
            f"一篇文章解压后通常不到 {MAX_DOCX_UNCOMPRESSED // 10**6} MB：检查文件是否正常，或把内容复制到新文档再导入",
            f"an article unpacks to less than {MAX_DOCX_UNCOMPRESSED // 10**6} MB: check the file, or copy its text "
            "into a new document"))


class _Reader:
    def __init__(self, path: Path, images_dir: Path):
        import docx

        check_package(path)
        self.path = path
        self.images_dir = images_dir
        self.document = docx.Document(str(path))
        self.warnings: list[Problem] = []
        self.saved: list[Path] = []

    # -- runs → Markdown
    def runs(self, paragraph) -> tuple[str, list[str]]:
        """(Markdown text of the paragraph, image references found in it)."""
        parts: list[str] = []
        images: list[str] = []
        for run in paragraph.runs:
            for blip in run._r.iter(f"{A}blip"):
                images.append(self.save_image(blip.get(f"{R}embed"), run))
            text = "".join(
                "" if node.tag in (f"{W}br", f"{W}cr") else node.text or ""
                for node in run._r.iter(f"{W}t", f"{W}br", f"{W}cr")
            )
            if not text:
                continue
            piece = _escape(text)
            stripped = piece.strip()
            if stripped and run.bold:
                piece = piece.replace(stripped, f"**{stripped}**", 1)
            elif stripped and run.italic:
                piece = piece.replace(stripped, f"*{stripped}*", 1)
            parts.append(piece)
        text = re.sub(r"\*\*(\s*)\*\*", r"\1", "".join(parts))  # adjacent bold runs join
        return _clean(text), images

    def save_image(self, rel_id: str | None, run) -> str:
        part = self.document.part.related_parts.get(rel_id) if rel_id else None
        if part is None:
            self.warnings.append(Problem(self.path, None, "一张图片无法读取，已跳过", "a picture could not be read",
                                         severity="warning"))
            return ""
        blob = part.blob
        if len(blob) > MAX_IMAGE_BYTES:
            self.warnings.append(Problem(self.path, None, f"一张图片超过 {MAX_IMAGE_BYTES // 10**6} MB，已跳过",
                                         f"a picture over {MAX_IMAGE_BYTES // 10**6} MB was left out", severity="warning"))
            return ""
        ext = re.sub(r"[^a-z0-9.]", "", Path(part.partname).suffix.lower()) or ".png"
        name = f"{safe_stem(self.path.stem)}-{hashlib.sha256(blob).hexdigest()[:8]}{ext}"
        self.images_dir.mkdir(parents=True, exist_ok=True)
        target = self.images_dir / name
        target.write_bytes(blob)
        self.saved.append(target)
        descr = ""
        for prop in run._r.iter(f"{WP}docPr"):
            descr = prop.get("descr") or ""
        return f"![{_escape(descr)}](images/{name})"

    # -- paragraph properties
    @staticmethod
    def centred(paragraph) -> bool:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        return paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER

    @staticmethod
    def emphatic(paragraph) -> bool:
        runs = [r for r in paragraph.runs if r.text.strip()]
        bold = bool(runs) and all(r.bold for r in runs)
        large = any(r.font.size and r.font.size.pt >= 16 for r in runs)
        style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        return bold or large or style.startswith(("title", "heading")) or "标题" in style

    @staticmethod
    def list_kind(paragraph) -> str | None:
        style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        if "list number" in style:
            return "1."
        if "list bullet" in style or paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None:
            return "-"
        return None

    def blocks(self):
        """Body paragraphs and tables in document order."""
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        for child in self.document.element.body.iterchildren():
            if child.tag == f"{W}p":
                yield Paragraph(child, self.document)
            elif child.tag == f"{W}tbl":
                yield Table(child, self.document)

    def table(self, table) -> str:
        rows = []
        for row in table.rows:
            cells = [_escape(_clean(" ".join(p.text for p in cell.paragraphs))) or " " for cell in row.cells]
            rows.append("| " + " | ".join(cells) + " |")
        if not rows:
            return ""
        width = rows[0].count("|") - 1
        return "\n".join([rows[0], "|" + "--|" * width, *rows[1:]])


def import_docx(path: Path, issue_dir: Path) -> tuple[str, list[Problem]]:
    """Markdown for one article (## title …) and warnings; pictures go to issue_dir/images."""
    try:
        reader = _Reader(Path(path), Path(issue_dir) / "images")
    except BulletinError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a damaged file
        raise BulletinError(Problem(Path(path), None, "无法读取这个 Word 文件（内容不完整或格式不对）",
                                    f"cannot read the Word file: {type(exc).__name__}: {exc}",
                                    "在 Word/WPS 中打开并另存为 .docx 后重试", "open it in Word and save as .docx again")) from None
    try:
        return _article(reader, Path(path))
    except BulletinError:
        raise
    except Exception as exc:  # noqa: BLE001 - a part python-docx cannot follow (a broken relation…)
        raise BulletinError(Problem(Path(path), None, "无法读取这个 Word 文件（内容不完整或格式不对）",
                                    f"cannot read the Word file: {type(exc).__name__}: {exc}",
                                    "在 Word/WPS 中打开并另存为 .docx 后重试", "open it in Word and save as .docx again")) from None


def _article(reader: _Reader, path: Path) -> tuple[str, list[Problem]]:
    from docx.table import Table

    items: list[tuple[str, object]] = []  # ("p", paragraph) | ("t", markdown table)
    for block in reader.blocks():
        if isinstance(block, Table):
            items.append(("t", reader.table(block)))
        else:
            items.append(("p", block))
    texts = [(kind, obj, *(reader.runs(obj) if kind == "p" else (obj, []))) for kind, obj in items]
    texts = [t for t in texts if t[2] or t[3]]  # drop empty paragraphs
    if not any(t[2] for t in texts):
        raise BulletinError(Problem(path, None, "Word 文件里没有文字", "the Word file has no text",
                                    "检查是否选错了文件", "check that this is the right file"))
    # the title: the first centred, bold, large or heading-styled paragraph among the first few
    head = [(i, obj, text) for i, (kind, obj, text, _) in enumerate(texts[:4]) if kind == "p" and len(text) <= 60]
    title_at = next((i for i, obj, _ in head if reader.emphatic(obj)), None)  # bold, large or a heading style
    if title_at is None:
        title_at = next((i for i, obj, _ in head if reader.centred(obj)), None)
    if title_at is None:
        title_at = 0
        reader.warnings.append(Problem(Path(path), None, "没有找到居中或加粗的标题，已把第一段当作标题，请核对",
                                       "no centred or bold title found: the first paragraph was taken", severity="warning"))
    out: list[str] = []
    kicker = texts[title_at - 1][2] if title_at >= 1 else None
    if title_at >= 2:
        reader.warnings.append(Problem(Path(path), None, "标题前有多段文字，已放在正文开头，请核对",
                                       "several paragraphs before the title were put at the start of the body",
                                       severity="warning"))
    title = re.sub(r"\*\*|\\\*", "", texts[title_at][2]).replace("*", "")
    if kicker:
        out.append(f"引题：{kicker.replace('**', '')}")
    out.append(f"## {title}")
    rest = texts[title_at + 1:]
    if rest and rest[0][0] == "p" and rest[0][2].startswith(("——", "—")):
        out.append(f"副题：{rest[0][2].replace('**', '')}")
        rest = rest[1:]
    out.append("")
    for kind, obj, text, images in [*texts[: max(title_at - 1, 0)], *rest]:
        if kind == "t":
            out.append(text + "\n")
            continue
        if text:
            marker = reader.list_kind(obj)
            out.append(f"{marker} {text}" if marker else text)
            out.append("")
        for image in images:
            if image:
                out.append(image + "\n")
    markdown = "\n".join(out).rstrip() + "\n"
    last = [line for line in markdown.splitlines() if line.strip()][-1]
    if not BYLINE.match(last.replace("\\", "")):
        reader.warnings.append(Problem(Path(path), None, "文末没有（作者）署名", "no （author） at the end",
                                       severity="info"))
    return markdown, reader.warnings
