"""OFD output (GB/T 33190-2016, 电子文件存储与交换格式 版式文档) beside the PDF.

The OFD is made from the PDF bulletin renders: `pdfscan` reads the PDF's drawing operators back
into text runs (glyph ids, Unicode text, exact origins), paths, colours and images; `package`
writes them as OFD text, path and image objects with the PDF's own font subsets embedded, plus
the document metadata, the outline and custom data. `check` verifies a package against the
standard's structure (see its docstring).

    source = OfdSource(pdf_bytes, custom=[("期号", "7")])
    ofd_bytes = source.package()                        # the issue
    ofd_bytes = source.package({0: stamp_page}, extra)  # a numbered copy: its stamp over page 1
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterable

from .package import DocInfo, FontNaming, OfdWriter, OutlineItem
from .pdfscan import MM_PER_PT, Page, Unsupported, read_pages

__all__ = ["OfdSource", "Unsupported", "pdf_to_ofd", "read_stamp_pages", "bulletin_font_naming"]

# 字体族名 a reader substitutes when it cannot use an embedded program, by font role
GENERIC_FAMILY = {"fang": "仿宋", "kai": "楷体", "serif": "宋体", "serif-bold": "宋体", "serif-black": "宋体",
                  "sans": "黑体"}


def bulletin_font_naming() -> Callable[[str], FontNaming]:
    """FontName = the face's name in the PDF (e.g. Bulletin-Fang); FamilyName = the Chinese family
    it stands for (仿宋, 楷体, 宋体, 黑体), from fonts/manifest.json."""
    from ...style.fonts import fonts

    families = sorted(((f.family.replace(" ", "-"), GENERIC_FAMILY.get(f.half_of or role, f.family))
                       for role, f in fonts().items()), key=lambda kv: -len(kv[0]))  # a half face: its base's

    def naming(name: str) -> FontNaming:
        for prefix, generic in families:
            if name == prefix or name.startswith(prefix + "-"):
                return FontNaming(name, generic)
        return FontNaming(name, name)

    return naming


def _pdf_date(value) -> dt.date | None:
    match = re.match(r"D:(\d{4})(\d{2})?(\d{2})?", str(value or ""))
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2] or 1), int(match[3] or 1))
    except ValueError:
        return None


def _doc_info(reader, pdf: bytes, custom: Iterable[tuple[str, str]]) -> DocInfo:
    from ... import __version__

    meta = reader.metadata or {}
    ids = reader.trailer.get("/ID")
    first = b""
    if ids:
        first = bytes(getattr(ids[0], "original_bytes", None) or (ids[0] if isinstance(ids[0], bytes) else b""))
    if re.fullmatch(rb"[0-9a-fA-F]{32}", first):
        doc_id = first.decode().lower()  # bulletin's PDF identifier: hex digits already
    elif len(first) >= 16:
        doc_id = first[:16].hex()
    else:
        doc_id = hashlib.sha256(pdf).hexdigest()[:32]
    keywords = [k.strip() for k in str(meta.get("/Keywords", "")).split(",") if k.strip()]
    return DocInfo(
        doc_id=doc_id, title=str(meta.get("/Title", "")), author=str(meta.get("/Author", "")),
        subject=str(meta.get("/Subject", "")), creation_date=_pdf_date(meta.get("/CreationDate")),
        mod_date=_pdf_date(meta.get("/ModDate")), keywords=keywords, creator="bulletin",
        creator_version=__version__, custom=list(custom))


def _outline(reader, pages: list[Page]) -> list[OutlineItem]:
    boxes = [[float(v) for v in page.mediabox] for page in reader.pages]

    def convert(entries) -> list[OutlineItem]:
        out: list[OutlineItem] = []
        for entry in entries:
            if isinstance(entry, list):
                if out:
                    out[-1].children.extend(convert(entry))
                continue
            index = reader.get_destination_page_number(entry)
            if index is None or index < 0:
                continue
            box = boxes[index]
            left = float(entry.left) if getattr(entry, "left", None) is not None else box[0]
            top = float(entry.top) if getattr(entry, "top", None) is not None else box[3]
            out.append(OutlineItem(str(entry.title), index, (left - box[0]) * MM_PER_PT, (box[3] - top) * MM_PER_PT))
        return out

    return convert(reader.outline)


class OfdSource:
    """A PDF read once, packaged as OFD as often as needed (the issue, then each numbered copy)."""

    def __init__(self, pdf: bytes, custom: Iterable[tuple[str, str]] = (),
                 naming: Callable[[str], FontNaming] | None = None):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf))
        self.pages = read_pages(reader)
        self.info = _doc_info(reader, pdf, custom)
        self.outline = _outline(reader, self.pages)
        self.naming = naming

    def package(self, overlays: dict[int, Page] | None = None, custom: Iterable[tuple[str, str]] = ()) -> bytes:
        """The OFD package; `overlays` put a page's items in a foreground layer over page N (index)."""
        from dataclasses import replace

        info = replace(self.info, custom=[*self.info.custom, *custom])
        writer = OfdWriter(info, self.naming)
        for n, page in enumerate(self.pages):
            extra = (overlays or {}).get(n)
            writer.add_page(page, *([extra] if extra is not None else []))
        writer.outline = self.outline
        return writer.package()


def read_stamp_pages(pdf: bytes) -> list[Page]:
    """The pages of an overlay PDF (one stamp per copy) as drawing items."""
    from pypdf import PdfReader

    return read_pages(PdfReader(io.BytesIO(pdf)))


def pdf_to_ofd(pdf: bytes, custom: Iterable[tuple[str, str]] = (),
               naming: Callable[[str], FontNaming] | None = None) -> bytes:
    return OfdSource(pdf, custom, naming).package()


# ---------------------------------------------------------------- bulletin's documents


def issue_custom_data(bulletin) -> list[tuple[str, str]]:
    """CustomData of an issue's OFD: what identifies it in an archive or a 公文 system."""
    issue, series = bulletin.issue, bulletin.series
    out = [("刊名", series.name), ("编发单位", series.publisher), ("年份", str(issue.year)), ("期号", str(issue.number))]
    if issue.total_number:
        out.append(("总期号", str(issue.total_number)))
    out.append(("出刊日期", issue.date.isoformat()))
    if bulletin.print_run:
        out.append(("印数", str(bulletin.print_run)))
    for line in bulletin.distribution:
        out.append((line.label, "、".join(line.recipients)))
    return out


def copy_custom_data(label: str, recipient) -> list[tuple[str, str]]:
    """CustomData a numbered copy adds: its 份号 and the body it goes to."""
    out = [("份号", label)]
    if recipient is not None:
        out += [("发送单位", recipient.name), ("发送类别", recipient.category)]
    return out


def problem(exc: Unsupported, where):
    """A BulletinError for a PDF construct the OFD cannot hold (a layout using gradients, say)."""
    from ...errors import BulletinError, Problem

    page = f"第 {exc.page} 页：" if exc.page else ""
    page_en = f"page {exc.page}: " if exc.page else ""
    return BulletinError(Problem(where, None, f"无法生成 OFD：{page}版式用到了 OFD 输出不支持的内容（{exc.what}）",
                                 f"cannot write the OFD: {page_en}the layout uses something the OFD export does "
                                 f"not support ({exc.what})",
                                 "改用不含渐变、蒙版、混合模式的版式，或只输出 PDF（--format pdf）",
                                 "use a layout without gradients, masks or blend modes, or write PDF only (--format pdf)"))


def issue_ofd(pdf: bytes, bulletin, where) -> bytes:
    """The OFD of a rendered issue; raises BulletinError (with `where`) for what it cannot hold."""
    try:
        return OfdSource(pdf, issue_custom_data(bulletin), bulletin_font_naming()).package()
    except Unsupported as exc:
        raise problem(exc, where) from None
