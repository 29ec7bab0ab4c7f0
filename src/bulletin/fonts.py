"""The project's fonts (fonts/manifest.json): roles, CSS @font-face rules, glyph coverage."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import BulletinError, Problem
from .resources import fonts_dir


@dataclass(frozen=True)
class Font:
    role: str
    path: Path
    family: str  # the CSS family name layouts use, e.g. "Bulletin Fang"
    licence: str
    sha256: str


@cache
def fonts() -> dict[str, Font]:
    """Role → Font, from fonts/manifest.json."""
    root = fonts_dir()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    out = {}
    for entry in manifest["fonts"]:
        path = root / entry["file"]
        if not path.is_file():
            raise BulletinError(Problem(path, None, "字体文件缺失", "font file missing",
                                        "从项目仓库重新取出 fonts/ 文件夹", "restore fonts/ from the repository"))
        out[entry["role"]] = Font(entry["role"], path, entry["family"], entry["licence"], entry["sha256"])
    return out


def font_face_css(prefix: str | None = None) -> str:
    """@font-face rules for every font of the project, under its own family name; `prefix` makes
    the URLs relative (e.g. "fonts/") instead of absolute file URIs."""
    rules = []
    for font in fonts().values():
        url = f"{prefix}{font.path.name}" if prefix is not None else font.path.as_uri()
        rules.append(f'@font-face {{ font-family: "{font.family}"; src: url("{url}"); }}')
    return "\n".join(rules) + "\n"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bulletin"


@cache
def coverage(role: str) -> frozenset[int]:
    """Code points the font of `role` can draw. Parsing a 13 MB CJK font costs ~0.5 s, so the
    result is cached on disk, keyed by the font's SHA-256 from the manifest."""
    font = fonts()[role]
    cache_file = _cache_dir() / f"cmap-{font.sha256[:32]}.json"
    try:
        ranges = json.loads(cache_file.read_text())
        return frozenset(cp for lo, hi in ranges for cp in range(lo, hi + 1))
    except (OSError, ValueError):
        pass
    from fontTools.ttLib import TTFont

    with TTFont(str(font.path), lazy=True) as tt:
        cps = sorted(tt.getBestCmap())
    ranges: list[list[int]] = []
    for cp in cps:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(ranges))
        os.replace(tmp, cache_file)
    except OSError:
        pass  # a read-only home only costs time
    return frozenset(cps)
