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

from .errors import BulletinError, Problem
from .load import BYLINE  # the loader decides what counts as an attribution

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


class _Reader:
    def __init__(self, path: Path, images_dir: Path):
        import docx

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
        ext = Path(part.partname).suffix.lower() or ".png"
        name = f"{self.path.stem}-{hashlib.sha256(blob).hexdigest()[:8]}{ext}"
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
    from docx.table import Table

    try:
        reader = _Reader(Path(path), Path(issue_dir) / "images")
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a damaged file
        raise BulletinError(Problem(Path(path), None, f"无法读取 Word 文件：{exc}", f"cannot read the Word file: {exc}",
                                    "在 Word/WPS 中打开并另存为 .docx 后重试", "open it in Word and save as .docx again")) from None
    items: list[tuple[str, object]] = []  # ("p", paragraph) | ("t", markdown table)
    for block in reader.blocks():
        if isinstance(block, Table):
            items.append(("t", reader.table(block)))
        else:
            items.append(("p", block))
    texts = [(kind, obj, *(reader.runs(obj) if kind == "p" else (obj, []))) for kind, obj in items]
    texts = [t for t in texts if t[2] or t[3]]  # drop empty paragraphs
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
