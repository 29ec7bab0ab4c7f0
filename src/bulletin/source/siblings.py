"""The other issues of a series folder, read cheaply from their front matter (numbering checks,
`bulletin new`)."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from .load import FRONT_MATTER, ISSUE_FILE
from .yaml_input import safe_load as _safe_yaml


@dataclass(frozen=True)
class SiblingIssue:
    folder: Path
    number: int
    date: dt.date
    total_number: int | None
    front_matter: str  # the YAML text, as written
    supplement: bool = False  # 增刊: numbered apart from the regular issues


# issue.md → (what its stat said when read, what it gave): one index of the series per process,
# re-read only where a file changed, so a batch of n issues does not read n × n front matters
_SIBLINGS: dict[Path, tuple[tuple, SiblingIssue | None]] = {}


def _stat_key(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)


def sibling_issues(series_dir: Path) -> list[SiblingIssue]:
    """The issues of a series folder, from their front matter only (cheap), oldest first. Issues
    whose front matter cannot be read are left out: they are their own check's business. Each
    file is read again only when its modification time, change time, size or inode changed."""
    found = []
    try:
        entries = list(os.scandir(series_dir))
    except OSError:
        entries = []
    for entry in entries:  # what series_dir.glob("*/issue.md") finds, with one stat per issue
        try:
            if not entry.is_dir():
                continue
        except OSError:
            continue
        issue_md = Path(entry.path) / ISSUE_FILE
        key = _stat_key(issue_md)
        if key is None:
            continue  # no issue.md: not an issue folder
        kept = _SIBLINGS.get(issue_md)
        if kept is not None and kept[0] == key:
            if kept[1] is not None:
                found.append(kept[1])
            continue
        sibling = _read_sibling(issue_md)
        _SIBLINGS[issue_md] = (key, sibling)
        if sibling is not None:
            found.append(sibling)
    return sorted(found, key=lambda s: (s.date, s.number))


def _read_sibling(issue_md: Path) -> SiblingIssue | None:
    try:
        with open(issue_md, "rb") as fh:  # the front matter is at the start: never read a whole big file
            head = fh.read(64 * 1024).decode("utf-8-sig", "ignore")
        match = FRONT_MATTER.match(head.replace("\r\n", "\n"))
        front = match.group(1) or ""
        data = _safe_yaml(front)
        date = data["date"] if isinstance(data["date"], dt.date) else dt.date.fromisoformat(str(data["date"]))
        total = data.get("total_number")
        return SiblingIssue(issue_md.parent, int(data["number"]), date,
                            int(total) if total is not None else None, front,
                            data.get("supplement") is True)
    except Exception:  # noqa: BLE001 - unreadable, not UTF-8, no front matter, bad fields
        return None
