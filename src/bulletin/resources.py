"""Where the project's own layouts and fonts live.

They sit next to `src/` in the project (`layouts/`, `fonts/`); `BULLETIN_HOME` points elsewhere.
Rendering reads files only from these folders and from the issue folder.
"""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from .errors import BulletinError, Problem


@cache
def home() -> Path:
    candidates = []
    if os.environ.get("BULLETIN_HOME"):
        candidates.append(Path(os.environ["BULLETIN_HOME"]))
    candidates.append(Path(__file__).resolve().parents[2])
    for root in candidates:
        if (root / "layouts").is_dir() and (root / "fonts" / "manifest.json").is_file():
            return root.resolve()
    raise BulletinError(
        Problem(
            None, None,
            "找不到版式和字体文件夹（layouts/、fonts/）",
            "cannot find the layouts/ and fonts/ folders",
            "在项目目录里用 pip install -e . 安装，或设置环境变量 BULLETIN_HOME 指向项目目录",
            "install from a checkout with 'pip install -e .', or set BULLETIN_HOME to the project folder",
        )
    )


def layouts_dir() -> Path:
    return home() / "layouts"


def fonts_dir() -> Path:
    return home() / "fonts"
