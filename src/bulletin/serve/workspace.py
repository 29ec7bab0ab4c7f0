"""The issues folder the editor serves: the only files it reads or writes.

Series and issues are addressed by folder names, never by paths from the browser; every path is
resolved and must stay inside ISSUES_DIR (symlinks pointing out are refused). Saves are atomic
and refused when the file changed on disk since the editor loaded it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BulletinError, Problem
from ..limits import MAX_IMAGE_BYTES, MAX_IMPORT_BYTES
from ..source.load import ISSUE_FILE, SERIES_FILE
from ..text import read_source
from ..output.write import locked, write_atomic
from .document import digest

NAME = re.compile(r"^(?!\.)[\w\-. ]{1,80}$")  # a folder name: no separators, no leading dot
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"GIF87a": ".gif", b"GIF89a": ".gif"}
MAX_IMAGE = MAX_IMAGE_BYTES
MAX_IMPORT = MAX_IMPORT_BYTES


class Refused(Exception):
    """A request for something outside the workspace or not allowed: answered 404/400."""


class Conflict(Exception):
    """The file changed on disk since the editor read it."""

    def __init__(self, current: str):
        super().__init__("changed on disk")
        self.current = current  # digest of what is on disk now


@dataclass
class IssueRef:
    series: str
    issue: str
    folder: Path

    @property
    def file(self) -> Path:
        return self.folder / ISSUE_FILE


class Workspace:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise Refused(f"outside the workspace: {path}")
        return resolved

    def series_dir(self, series: str) -> Path:
        if not NAME.match(series or ""):
            raise Refused(f"bad series name {series!r}")
        folder = self._inside(self.root / series)
        if not (folder / SERIES_FILE).is_file():
            raise Refused(f"no series {series!r}")
        return folder

    def issue(self, series: str, issue: str) -> IssueRef:
        folder = self.series_dir(series)
        if not NAME.match(issue or ""):
            raise Refused(f"bad issue name {issue!r}")
        path = self._inside(folder / issue)
        if path.parent != folder or not (path / ISSUE_FILE).is_file():
            raise Refused(f"no issue {series}/{issue}")
        self._inside(path / ISSUE_FILE)
        return IssueRef(series, issue, path)

    def list(self) -> list[tuple[str, list[str]]]:
        out = []
        for series in sorted(p for p in self.root.iterdir() if p.is_dir() and (p / SERIES_FILE).is_file()):
            try:
                self._inside(series)
            except Refused:
                continue
            issues = sorted((p.name for p in series.iterdir() if p.is_dir() and (p / ISSUE_FILE).is_file()
                             and NAME.match(p.name) and self._safe(p)), reverse=True)
            out.append((series.name, issues))
        return out

    def _safe(self, path: Path) -> bool:
        try:
            self._inside(path)
            return True
        except Refused:
            return False

    def read(self, ref: IssueRef) -> tuple[str, str]:
        """(text, digest of the bytes on disk)."""
        text = read_source(ref.file)
        return text, digest(text)

    def save(self, ref: IssueRef, text: str, base: str) -> str:
        """Write issue.md atomically unless it changed since `base`; returns the new digest.
        The comparison and the write hold the issue folder's lock (write.locked), which every
        editor process and `check --fix` take: of two saves of the same version, from any
        processes, one is written and the other is a Conflict."""
        with locked(ref.folder):
            _, current = self.read(ref)
            if current != base:
                raise Conflict(current)
            write_atomic(ref.file, text.encode("utf-8"))
        return digest(text)

    def save_image(self, ref: IssueRef, filename: str, data: bytes) -> str:
        """Store an uploaded picture in the issue's images/; returns its path relative to the issue."""
        if len(data) > MAX_IMAGE:
            raise BulletinError(Problem(None, None, "图片超过 20 MB", "picture larger than 20 MB",
                                        "压缩后再上传", "compress it first"))
        suffix = next((s for magic, s in IMAGE_TYPES.items() if data.startswith(magic)), None)
        if suffix is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            suffix = ".webp"
        if suffix is None:
            raise BulletinError(Problem(None, None, "不是 PNG、JPEG、GIF 或 WebP 图片", "not a PNG, JPEG, GIF or WebP picture"))
        stem = re.sub(r"[^\w\-]+", "-", Path(filename or "image").stem).strip("-")[:40] or "image"
        folder = self._inside(ref.folder / "images")
        name, n = f"{stem}{suffix}", 1
        while (folder / name).exists():
            n += 1
            name = f"{stem}-{n}{suffix}"
        write_atomic(self._inside(folder / name), data)
        return f"images/{name}"
