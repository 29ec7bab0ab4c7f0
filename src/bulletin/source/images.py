"""Pictures named in issue.md: the path stays inside the issue folder, the file is a whole image of
a kind the PDF can embed, within the size and pixel limits."""
from __future__ import annotations

import re
import threading
from pathlib import Path

from ..limits import MAX_IMAGE_BYTES

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


def check_local_path(src: str, base: Path) -> tuple[str, str, str, str] | None:
    """Problem (zh, en, hint, hint_en) if `src` is not an existing, whole image file inside `base`."""
    where = "images go in the issue folder, e.g. images/photo.jpg"
    if not src or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith(("/", "\\")):
        return (f"图片路径 {src!r} 不是期刊文件夹里的文件", f"image path {src!r} is not a file in the issue folder",
                "图片放在本期文件夹的 images/ 里，写相对路径，如 images/photo.jpg", where)
    try:
        target = (base / src).resolve()
        root = base.resolve()
        if root not in target.parents:
            return (f"图片路径 {src!r} 指向期刊文件夹以外", f"image path {src!r} points outside the issue folder",
                    "图片放在本期文件夹的 images/ 里", where)
        if not target.is_file():
            return (f"找不到图片 {src}", f"image {src} not found", "检查文件名和大小写，图片应放在本期文件夹里",
                    "check the name and its case; " + where)
        size = target.stat().st_size
    except (OSError, RuntimeError):  # a link loop, a name too long
        return (f"图片路径 {src!r} 打不开（名称太长或链接循环）", f"image path {src!r} cannot be opened",
                "图片放在本期文件夹的 images/ 里，用短一些的文件名", where)
    if size > MAX_IMAGE_BYTES:
        return (f"图片 {src} 太大（{size / 1e6:.0f} MB）", f"image {src} is too large ({size / 1e6:.0f} MB)",
                f"印刷用图片压缩到 {MAX_IMAGE_BYTES // 10**6} MB 以下即可（300 dpi 的 A4 整页 JPEG 约 2–5 MB）",
                f"compress it below {MAX_IMAGE_BYTES // 10**6} MB (a full A4 page at 300 dpi is 2-5 MB as JPEG)")
    if target.suffix.lower() not in IMAGE_SUFFIXES:
        return (f"{src} 不是能用的图片（格式不支持）", f"{src} is not a usable image (unsupported type)",
                "使用 PNG、JPEG、GIF、SVG 或 WebP 图片", "use PNG, JPEG, GIF, SVG or WebP")
    found = image_problem(target)
    if found:
        zh, en, hint, hint_en = found
        return (f"图片 {src} {zh}", f"image {src}: {en}", hint, hint_en)
    return None


_image_checks: dict[tuple, tuple[str, str, str, str] | None] = {}  # (file, size, mtime) → result
_pillow_flags = threading.Lock()  # LOAD_TRUNCATED_IMAGES is a module global: one check at a time


def image_problem(path: Path) -> tuple[str, str, str, str] | None:
    """What is wrong with a picture's content, judged by decoding it (not by its name): not an
    image, cut short (a truncated JPEG prints as a grey block), too many pixels to decode, an SVG
    that is not well-formed XML or declares entities. None when it is a whole picture. Each
    version of a file is decoded once per process."""
    try:
        stat = path.stat()
    except OSError:
        return ("打不开", "cannot be opened", "检查文件", "check the file")
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _image_checks:
        if len(_image_checks) > 256:
            _image_checks.clear()
        _image_checks[key] = _decode_problem(path)
    return _image_checks[key]


def _decode_problem(path: Path) -> tuple[str, str, str, str] | None:
    damaged = ("不是能用的图片（格式不支持或文件已损坏）", "not a usable image (unsupported or damaged)",
               "使用 PNG、JPEG、GIF、SVG 或 WebP 图片，并确认它能在看图软件里打开",
               "use PNG, JPEG, GIF, SVG or WebP and check that it opens in a picture viewer")
    if path.suffix.lower() == ".svg":
        import xml.etree.ElementTree as ElementTree

        data = path.read_bytes()
        head = data[:2048].lstrip().lower()
        if not (head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype")) and b"<svg" in data[:65536].lower()):
            return damaged
        if b"<!entity" in data.lower():
            return ("里定义了 XML 实体（<!ENTITY），不能使用", "declares XML entities, which are not allowed",
                    "在绘图软件里重新导出为普通 SVG，或改用 PNG", "export it again as plain SVG, or use PNG")
        try:
            ElementTree.fromstring(data)
        except ElementTree.ParseError as exc:
            return (f"不是完整的 SVG（第 {exc.position[0]} 行 XML 写法有误）", f"is not well-formed SVG ({exc})",
                    "在绘图软件里重新导出，或改用 PNG", "export it again, or use PNG")
        return None
    import warnings

    from PIL import Image, ImageFile  # Pillow comes with WeasyPrint

    from ..limits import MAX_IMAGE_PIXELS

    # WeasyPrint sets LOAD_TRUNCATED_IMAGES at import, which would pad a cut-short picture with grey
    with _pillow_flags:
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Pillow's own (English) warnings: judged below instead
                with Image.open(path) as image:
                    if image.format not in ("PNG", "JPEG", "GIF", "WEBP"):
                        return damaged
                    width, height = image.size
                    if width * height > MAX_IMAGE_PIXELS:
                        return (f"像素太多（{width}×{height}）", f"has too many pixels ({width}×{height})",
                                f"缩小到 {MAX_IMAGE_PIXELS // 10**6} 兆像素以下（300 dpi 的 A4 整页约 2480×3508）",
                                f"scale it below {MAX_IMAGE_PIXELS // 10**6} megapixels")
                    if image.format == "JPEG":
                        image.draft("RGB", (max(1, width // 8), max(1, height // 8)))  # reads every byte, fast
                    image.load()
        except OSError as exc:
            if "truncated" in str(exc) or "broken data stream" in str(exc):
                return ("文件不完整（可能没有下载完或已损坏），会印成灰块或印不出来", "is cut short (truncated or damaged)",
                        "重新导出或重新下载这张图片", "export or download it again")
            return damaged
        except Exception:  # noqa: BLE001 - Pillow raises many kinds for a damaged file
            return damaged
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    return None
