"""The list page's figures per issue (期号, date, errors, warnings, pages), cached by the files they
come from, so the list shows at once however many issues there are.

An issue's key hashes its issue.md (content), the size and time of every file in its series folder
and images/ folder, and the program's version: any edit that could change a check result changes
the key. Results are kept in memory and in the user's cache folder (one small JSON file), so a
restarted editor does not check again what has not changed.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from .. import __version__

__all__ = ["StatusCache", "issue_key", "series_stamp"]
from ..source.load import ISSUE_FILE

MAX_ENTRIES = 5000


def cache_file() -> Path:
    from ..resources import cache_dir

    return cache_dir() / "serve-status.json"


def _stamp(directory: Path) -> str:
    """Name, size and time of the files directly in a folder."""
    if not directory.is_dir():
        return ""
    parts = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.is_file():
            st = entry.stat()
            parts.append(f"{entry.name}\0{st.st_size}\0{st.st_mtime_ns}")
    return "\0".join(parts)


def series_stamp(series_dir: Path) -> str:
    """Computed once per list: every issue of the series shares it."""
    return _stamp(series_dir)


def issue_key(folder: Path, series_stamp: str | None = None) -> str:
    h = hashlib.sha256(__version__.encode())
    h.update((folder / ISSUE_FILE).read_bytes())
    h.update(b"\1" + (_stamp(folder.parent) if series_stamp is None else series_stamp).encode())
    h.update(b"\1" + _stamp(folder / "images").encode())
    return h.hexdigest()


class StatusCache:
    def __init__(self, path: Path | None = None):
        self.path = path or cache_file()
        self.lock = threading.Lock()
        self.checks = 0  # check runs made (the list page's test counts them)
        try:
            self.entries: dict[str, dict] = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(self.entries, dict):
                self.entries = {}
        except (OSError, ValueError):
            self.entries = {}

    def cached(self, folder: Path, series_stamp: str | None = None) -> dict | None:
        try:
            key = issue_key(folder, series_stamp)
        except OSError:
            return None
        with self.lock:
            entry = self.entries.get(key)
        return dict(entry) if entry else None

    def compute(self, folder: Path) -> dict:
        """The figures for one issue: from the cache, or by loading and checking it (slow: ~0.1 s)."""
        from ..api import check
        from ..errors import BulletinError

        entry = self.cached(folder)
        if entry is not None:
            return entry
        key = issue_key(folder)
        item = {"number": "", "date": "", "errors": 0, "warnings": 0, "broken": False, "pages": ""}
        with self.lock:
            self.checks += 1
        try:
            result = check(folder)  # loads the issue once (and says what it loaded)
        except BulletinError as exc:
            result = None
            item["broken"], item["errors"] = True, len(exc.problems)
        if result is not None and result.loaded is None:
            item["broken"], item["errors"] = True, len(result.problems)
        elif result is not None:
            bulletin = result.loaded.bulletin
            item["number"], item["date"] = bulletin.issue.number, bulletin.issue.date.isoformat()
            item["draft"] = bulletin.issue.draft
            item["errors"], item["warnings"] = len(result.errors), len(result.warnings)
        with self.lock:
            self.entries[key] = item
        return dict(item)

    def set_pages(self, folder: Path, pages: int) -> None:
        try:
            key = issue_key(folder)
        except OSError:
            return
        with self.lock:
            if key in self.entries:
                self.entries[key]["pages"] = pages

    def save(self) -> None:
        from ..output.write import write_atomic

        with self.lock:
            entries = dict(list(self.entries.items())[-MAX_ENTRIES:])
            data = json.dumps(entries, ensure_ascii=False, sort_keys=False).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, data)
        except OSError:
            pass  # a cache that cannot be written is only slower next time
