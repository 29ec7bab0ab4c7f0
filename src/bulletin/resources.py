"""Where the project's own layouts and fonts live.

They sit next to `src/` in the project (`layouts/`, `fonts/`); an installed wheel carries copies
of both inside the package (`bulletin/_home/`, put there by setup.py's build hook and found
through importlib.resources); `BULLETIN_HOME` points elsewhere. Rendering reads files only from
these folders, a series' own layout (layout.py) and the issue folder.
"""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from .errors import BulletinError, Problem


def cache_dir() -> Path:
    """The user's cache folder for bulletin ($XDG_CACHE_HOME/bulletin, else ~/.cache/bulletin): every
    cache kept between processes lives there (coverage maps, segmentations, font subsets, the
    prebuilt FFI, the patch check's marker, the editor's status)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bulletin"


@cache
def home() -> Path:
    candidates = []
    if os.environ.get("BULLETIN_HOME"):
        candidates.append(Path(os.environ["BULLETIN_HOME"]))
    candidates.append(_packaged())
    candidates.append(Path(__file__).resolve().parents[2])  # a checkout (pip install -e .)
    for root in candidates:
        if (root / "layouts").is_dir() and (root / "fonts" / "manifest.json").is_file():
            return root.resolve()
    raise BulletinError(
        Problem(
            None, None,
            "找不到版式和字体文件夹（layouts/、fonts/）",
            "cannot find the layouts/ and fonts/ folders",
            "重新安装 bulletin（pip install bulletin-*.whl，或在项目目录里 pip install -e .），"
            "或设置环境变量 BULLETIN_HOME 指向项目目录",
            "reinstall bulletin (pip install bulletin-*.whl, or 'pip install -e .' in a checkout), "
            "or set BULLETIN_HOME to the project folder",
        )
    )


def _packaged() -> Path:
    """The copies of layouts/ and fonts/ inside an installed wheel (a folder on disk: WeasyPrint
    and fontconfig read the font files by path)."""
    from importlib.resources import files

    root = files("bulletin") / "_home"
    return root if isinstance(root, Path) else Path(str(root))


def layouts_dir() -> Path:
    return home() / "layouts"


def fonts_dir() -> Path:
    return home() / "fonts"


def harfbuzz_subsetting() -> bool:
    """False when libharfbuzz-subset is missing: WeasyPrint then subsets with fontTools, ~28× slower.
    Checked the way WeasyPrint loads it, without importing WeasyPrint: the CLI asks in the process
    that forked the prewarm child, which must not import it too (not from bulletin.typeset, whose
    package imports WeasyPrint)."""
    import ctypes

    for name in ("libharfbuzz-subset.so.0", "libharfbuzz-subset.so", "libharfbuzz-subset-0.dll",
                 "libharfbuzz-subset.0.dylib"):
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False
