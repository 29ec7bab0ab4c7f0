"""The other issues of a series folder, read cheaply from their front matter (numbering checks,
`bulletin new`)."""
from __future__ import annotations

import datetime as dt
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


def sibling_issues(series_dir: Path) -> list[SiblingIssue]:
    """The issues of a series folder, from their front matter only (cheap), oldest first. Issues
    whose front matter cannot be read are left out: they are their own check's business."""
    found = []
    for issue_md in series_dir.glob(f"*/{ISSUE_FILE}"):
        try:
            with open(issue_md, "rb") as fh:  # the front matter is at the start: never read a whole big file
                head = fh.read(64 * 1024).decode("utf-8-sig", "ignore")
            match = FRONT_MATTER.match(head.replace("\r\n", "\n"))
            front = match.group(1) or ""
            data = _safe_yaml(front)
            date = data["date"] if isinstance(data["date"], dt.date) else dt.date.fromisoformat(str(data["date"]))
            total = data.get("total_number")
            found.append(SiblingIssue(issue_md.parent, int(data["number"]), date,
                                      int(total) if total is not None else None, front,
                                      data.get("supplement") is True))
        except Exception:  # noqa: BLE001 - unreadable, not UTF-8, no front matter, bad fields
            continue
    return sorted(found, key=lambda s: (s.date, s.number))
