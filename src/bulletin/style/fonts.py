"""Fonts: the project's own (fonts/manifest.json), a series' own files, chains, CSS and coverage.

Roles. Each face of fonts/ has a role (fang, kai, serif, serif-bold, serif-black, sans — the base
faces — and the extension faces serif-ext, serif-bold-ext, serif-black-ext, sans-ext, kai-ext,
rare, which complete the repertoire to GB 18030-2022 and the 通用规范汉字表). A layout names, for
each kind of text (body, title, heading, kai, masthead, folio), the roles that draw it, first
preferred (layout.yaml `fonts:`); its CSS uses `var(--font-<kind>)`, which `FontSet.css` defines.

Lazy faces. Extension faces are given to WeasyPrint only for an issue that has a character only
they draw (`FontSet.needed`): the others' CSS names exactly the base faces, as before, so their
renders cost and look the same. Which face draws a character is decided here the way Pango does
it — the first face of the chain whose cmap has it — so the preflight's report, the CSS and the
PDF agree.

The office's own fonts. series.yaml may name font files per role (`fonts: {仿宋: fonts/仿宋_GB2312.ttf}`,
a path inside the series folder or an absolute one). Such a file is checked (a TrueType/OpenType
font, not too large, readable) and goes in front of the bundled face of its role in every chain,
so the bundled one still draws what it lacks. It gets a family name of its own ("Bulletin User
<sha256 prefix>"), so several series with different files share one warm FontConfiguration.
"""
from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import BulletinError, Problem
from ..resources import cache_dir, fonts_dir


@dataclass(frozen=True)
class Font:
    role: str
    path: Path
    family: str  # the CSS family name, e.g. "Bulletin Fang"
    licence: str
    sha256: str
    typeface: str = ""  # what a reader would call it, e.g. "Noto Serif CJK SC"
    style: str = ""  # 仿宋, 宋体, 黑体, 楷体, 小标宋, 明朝
    lazy: bool = False  # an extension face: loaded only for an issue that needs it
    user: bool = False  # the office's own file, named in series.yaml
    half_of: str = ""  # a half-width punctuation face: the role of the base face it completes

    @property
    def export_name(self) -> str:
        """File name of the font next to exported HTML (`bulletin html`)."""
        return f"user-{self.sha256[:12]}{self.path.suffix.lower()}" if self.user else self.path.name


@cache
def fonts() -> dict[str, Font]:
    """Role → bundled Font, from fonts/manifest.json."""
    root = fonts_dir()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    out = {}
    for entry in manifest["fonts"]:
        path = root / entry["file"]
        if not path.is_file():
            raise BulletinError(Problem(path, None, "字体文件缺失", "font file missing",
                                        "从项目仓库重新取出 fonts/ 文件夹", "restore fonts/ from the repository"))
        out[entry["role"]] = Font(entry["role"], path, entry["family"], entry["licence"], entry["sha256"],
                                  entry.get("typeface", entry["family"]), entry.get("style", ""),
                                  bool(entry.get("lazy")), half_of=entry.get("half_of", ""))
    return out


# ---------------------------------------------------------------- coverage


def _ranges(cps: Iterable[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for cp in sorted(cps):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return ranges


@cache
def coverage_of(font: Font) -> frozenset[int]:
    """Code points the font maps to a glyph (its cmap; of a collection, the first font — the one
    WeasyPrint uses). Parsing a 13 MB CJK font costs ~0.5 s, so the result is cached on disk,
    keyed by the file's SHA-256."""
    return frozenset(cp for lo, hi in _cmap_ranges(font) for cp in range(lo, hi + 1))


def _cmap_ranges(font: Font) -> list[list[int]]:
    """The font's cmap as ranges [first, last] of code points, from the disk cache when it is there."""
    cache_file = cache_dir() / f"cmap-{font.sha256[:32]}.json"
    try:
        return json.loads(cache_file.read_text())
    except (OSError, ValueError):
        pass
    from fontTools.ttLib import TTFont

    with TTFont(str(font.path), lazy=True, fontNumber=0) as tt:
        ranges = _ranges(tt.getBestCmap() or {})
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(ranges))
        os.replace(tmp, cache_file)
    except OSError:
        pass  # a read-only home only costs time
    return ranges


def coverage(role: str) -> frozenset[int]:
    """Code points the bundled font of `role` can draw."""
    return coverage_of(fonts()[role])


@cache
def _bundled_by_family() -> dict[str, Font]:
    return {font.family: font for font in fonts().values()}


_user_by_family: dict[str, Font] = {}  # the offices' own files met in this process (user_fonts)


def lacks_space(family: str) -> bool:
    """Whether the face of a CSS family bulletin gives WeasyPrint (bundled, or an office's own file)
    has no U+0020. The extension faces have none: they only complete the repertoire. Pango puts a
    space in the face of the character before it, as if every face had one (see
    typeset/glyphs.space_runs). An unknown family (not one of the project's) counts as having one."""
    font = _bundled_by_family().get(family) or _user_by_family.get(family)
    return font is not None and not _has_space(font)


@cache
@cache
def _half_by_family() -> dict[str, Font]:
    bundled = fonts()
    return {bundled[font.half_of].family: font for font in bundled.values() if font.half_of}


_half_for: dict[tuple[tuple[str, ...], str], str | None] = {}


def half_face_for(families: tuple[str, ...], ch: str) -> str | None:
    """The family of the half-width punctuation face for mark `ch` in text of the font chain
    `families`: the half face of the face Pango draws `ch` with (the first of the chain whose cmap
    has it) when that is a bundled base face and its half face has `ch`; else None (an office's own
    font, a mark that gives no blank, a family bulletin does not know)."""
    key = (families, ch)
    if key in _half_for:
        return _half_for[key]
    found = None
    cp = ord(ch)
    for family in families:
        font = _bundled_by_family().get(family) or _user_by_family.get(family)
        if font is None:
            break
        if cp in coverage_of(font):
            half = None if font.user else _half_by_family().get(family)
            found = half.family if half is not None and cp in coverage_of(half) else None
            break
    if len(_half_for) > 4096:
        _half_for.clear()
    _half_for[key] = found
    return found


def _has_space(font: Font) -> bool:
    return any(lo <= 0x20 <= hi for lo, hi in _cmap_ranges(font))  # without keeping its coverage


def drawn(ch: str) -> bool:
    """Whether a character needs a glyph: not white space, a control or format character, or a
    variation selector (those select a form of the character before them, or are ignored)."""
    if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
        return False
    cp = ord(ch)
    return not (0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF)


# ---------------------------------------------------------------- the office's own fonts

# series.yaml `fonts:` keys → role; Chinese names first, as editors write them
USER_ROLES = {
    "仿宋": "fang", "fang": "fang",
    "楷体": "kai", "kai": "kai",
    "黑体": "sans", "sans": "sans",
    "宋体": "serif", "serif": "serif",
    "标题": "serif-bold", "title": "serif-bold", "serif-bold": "serif-bold",
    "报头": "serif-black", "masthead": "serif-black", "serif-black": "serif-black",
}
ROLE_NAMES = {"fang": "仿宋", "kai": "楷体", "sans": "黑体", "serif": "宋体", "serif-bold": "标题", "serif-black": "报头"}
ROLE_HELP = "仿宋（正文）、楷体、黑体（栏目、小标题、加粗）、宋体（页码）、标题（小标宋）、报头"
ROLE_HELP_EN = ("仿宋/fang (body), 楷体/kai, 黑体/sans (sections, subheadings, bold), 宋体/serif (page numbers), "
                "标题/title, 报头/masthead")
MAX_FONT_BYTES = 200 * 10**6  # the largest CJK fonts (full Ext B coverage) are ~60 MB
_SFNT = {b"\x00\x01\x00\x00": "TrueType", b"true": "TrueType", b"OTTO": "OpenType (CFF)", b"ttcf": "collection"}
_NOT_FONTS = {b"%PDF": "PDF 文件 / a PDF file", b"PK\x03\x04": "ZIP 压缩包或 Office 文档 / a ZIP archive",
              b"\x89PNG": "PNG 图片 / a PNG image", b"\xff\xd8\xff": "JPEG 图片 / a JPEG image",
              b"Rar!": "RAR 压缩包 / a RAR archive", b"\xd0\xcf\x11\xe0": "Office 文档 / an Office document"}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_checked: dict[tuple[str, int, int], tuple[str, str]] = {}  # (path, size, mtime) → (sha256, kind)
_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """SHA-256 of a file, remembered while its size and time stay the same; "-" if unreadable."""
    try:
        stat = path.stat()
    except OSError:
        return "-"
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        try:
            _digests[key] = _sha256_file(path)
        except OSError:
            return "-"
    return _digests[key]


def _check_font_file(path: Path) -> tuple[str, str] | tuple[None, tuple[str, str, str, str]]:
    """(sha256, kind) of a usable font file, or (None, (problem zh, en, hint zh, en))."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _checked:
        return _checked[key]
    if stat.st_size > MAX_FONT_BYTES:
        return None, (f"字体文件太大（{stat.st_size / 1e6:.0f} MB）", f"font file too large ({stat.st_size / 1e6:.0f} MB)",
                      f"字体文件应小于 {MAX_FONT_BYTES // 10**6} MB", f"fonts must be under {MAX_FONT_BYTES // 10**6} MB")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head in (b"wOFF", b"wOF2"):
        return None, ("这是网页字体（WOFF/WOFF2），不能直接用于排版", "a web font (WOFF/WOFF2) is not accepted",
                      "请使用原始的 TTF/OTF/TTC 字体文件", "use the original TTF/OTF/TTC file")
    if head not in _SFNT:
        what = next((v for k, v in _NOT_FONTS.items() if head.startswith(k)), None)
        zh, en = what.split(" / ") if what else ("未知格式", "unknown format")
        return None, (f"不是字体文件（{zh}）", f"not a font file ({en})",
                      "请写 TrueType/OpenType 字体文件（.ttf、.otf、.ttc）的路径",
                      "name a TrueType/OpenType font file (.ttf, .otf, .ttc)")
    from fontTools.ttLib import TTFont

    try:
        with TTFont(str(path), lazy=True, fontNumber=0) as tt:
            cmap = tt.getBestCmap()
            outlines = "glyf" in tt or "CFF " in tt or "CFF2" in tt
            tt["maxp"].numGlyphs  # noqa: B018 - reading it is the check
    except Exception as exc:  # noqa: BLE001 - any failure to parse means “not a usable font”
        return None, (f"字体文件已损坏，无法读取（{type(exc).__name__}）", f"the font file cannot be read ({exc})",
                      "请重新复制字体文件", "copy the font file again")
    if not cmap or not outlines:
        return None, ("字体文件里没有可用的字符（没有字符映射表或字形轮廓）",
                      "the font has no usable characters (no cmap or no outlines)",
                      "请换用正常的 TrueType/OpenType 字体", "use a regular TrueType/OpenType font")
    result = (file_digest(path), _SFNT[head])
    _checked[key] = result
    return result


def user_fonts(entries: dict[str, str], series_dir: Path,
               locate: Callable[[str], tuple[Path, int | None]]) -> dict[str, Font]:
    """The series' own fonts (series.yaml `fonts:`) as role → Font; raises BulletinError with
    every bad entry located at its line. `locate(key)` gives (file, line) of an entry."""
    problems: list[Problem] = []
    out: dict[str, Font] = {}
    root = Path(series_dir).resolve()
    for key, value in entries.items():
        file, line = locate(key)
        role = USER_ROLES.get(str(key).strip())
        if role is None:
            problems.append(Problem(file, line, f"fonts 下不认识的字体用途：{key}", f"unknown font role under fonts: {key}",
                                    f"可用：{ROLE_HELP}", f"known: {ROLE_HELP_EN}"))
            continue
        if role in out:
            problems.append(Problem(file, line, f"字体用途 {key} 重复", f"font role {key} given twice",
                                    "每种用途只写一个字体文件", "name one file per role"))
            continue
        given = Path(os.path.expanduser(str(value).strip()))
        path = (given if given.is_absolute() else root / given).resolve()
        if not given.is_absolute() and root not in path.parents:
            problems.append(Problem(file, line, f"字体文件路径 {value} 指向刊物文件夹以外",
                                    f"font path {value} points outside the series folder",
                                    "把字体放进刊物文件夹（如 fonts/仿宋_GB2312.ttf），或写完整的绝对路径",
                                    "put the font inside the series folder, or give an absolute path"))
            continue
        if not path.is_file():
            problems.append(Problem(file, line, f"找不到字体文件 {value}", f"font file {value} not found",
                                    "检查路径和文件名；相对路径从 series.yaml 所在的文件夹算起",
                                    "check the path; a relative path starts at the folder of series.yaml"))
            continue
        sha, detail = _check_font_file(path)
        if sha is None:
            zh, en, hint, hint_en = detail
            problems.append(Problem(file, line, f"{value}：{zh}", f"{value}: {en}", hint, hint_en))
            continue
        base = fonts()[role]
        out[role] = Font(role, path, f"Bulletin User {sha[:12]}", "the office's own licence", sha,
                         path.stem, base.style, lazy=False, user=True)
        _user_by_family[out[role].family] = out[role]
    if problems:
        raise BulletinError(problems)
    return out


# ---------------------------------------------------------------- the faces of one issue


class FontSet:
    """The faces an issue may use: the bundled ones, with the series' own files in front of the
    roles they replace."""

    def __init__(self, user: dict[str, Font] | None = None):
        self.user = dict(user or {})

    def chain(self, roles: Iterable[str]) -> tuple[Font, ...]:
        """The faces of a chain of roles, first preferred."""
        bundled = fonts()
        out: list[Font] = []
        for role in roles:
            for font in ([self.user[role]] if role in self.user else []) + [bundled[role]]:
                if font not in out:
                    out.append(font)
        return tuple(out)

    def face_for(self, chain: tuple[Font, ...], ch: str) -> Font | None:
        """The face Pango draws `ch` with: the first of the chain whose cmap has it."""
        cp = ord(ch)
        return next((font for font in chain if cp in coverage_of(font)), None)

    def needed(self, text_fonts: dict[str, tuple[str, ...]], texts: Iterable[tuple[str, str]]) -> frozenset[str]:
        """Roles of the lazy faces that draw some character of `texts` ((kind of text, text) pairs)."""
        seen: set[tuple[str, str]] = set()
        needed: set[str] = set()
        chains: dict[str, tuple[Font, ...]] = {}
        for kind, text in texts:
            if kind not in chains:
                chains[kind] = self.chain(text_fonts.get(kind) or text_fonts.get("body", ()))
            chain = chains[kind]
            for ch in set(text):
                if (kind, ch) in seen or not drawn(ch):
                    continue
                seen.add((kind, ch))
                face = self.face_for(chain, ch)
                if face is not None and face.lazy:
                    needed.add(face.role)
        return frozenset(needed)

    def loaded(self, text_fonts: dict[str, tuple[str, ...]], needed: Iterable[str] = ()) -> list[Font]:
        """The faces given to WeasyPrint: every bundled base face (in manifest order), the lazy
        ones needed, and the series' own files."""
        needed = set(needed)
        used = [font for font in fonts().values() if not font.lazy or font.role in needed]
        used += [font for font in self.user.values() if font not in used]
        return used

    def css(self, text_fonts: dict[str, tuple[str, ...]], needed: Iterable[str] = (),
            prefix: str | None = None) -> str:
        """@font-face rules for the faces loaded, and `--font-<kind>` for each kind of text of the
        layout: its chain, without the faces not loaded. `prefix` makes the URLs relative (e.g.
        "fonts/", for exported HTML) instead of absolute file URIs."""
        faces = self.loaded(text_fonts, needed)
        rules = [_face_rule(font, prefix) for font in faces]
        props = []
        for kind, roles in text_fonts.items():
            families = [f'"{font.family}"' for font in self.chain(roles) if font in faces]
            props.append(f"  --font-{kind}: {', '.join(families)};")
        return "\n".join(rules) + "\n:root {\n" + "\n".join(props) + "\n}\n"

    def record(self) -> list[dict]:
        """The series' own files, for the PDF's metadata and the build summary."""
        return [{"role": font.role, "file": str(font.path), "name": font.path.name, "sha256": font.sha256}
                for font in self.user.values()]


def fontset_for(series, series_dir: Path) -> FontSet:
    """The FontSet of a series (series.yaml was checked when it was loaded)."""
    if not series.fonts:
        return FontSet()
    file = Path(series_dir) / "series.yaml"
    return FontSet(user_fonts(series.fonts, series_dir, lambda key: (file, None)))


def _face_rule(font: Font, prefix: str | None = None) -> str:
    url = f"{prefix}{font.export_name}" if prefix is not None else font.path.as_uri()
    return f'@font-face {{ font-family: "{font.family}"; src: url("{url}"); }}'


def base_faces_css() -> str:
    """@font-face rules for the bundled base faces only: what a warm process loads ahead (cheap to
    make: no layout, no model)."""
    return "\n".join(_face_rule(font) for font in fonts().values() if not font.lazy) + "\n"
