"""Drafts (草稿): `draft: true` in an issue's front matter.

A draft is an issue still being written. `bulletin build` of a series or an issues/ folder leaves
drafts out unless `--drafts` is given (an issue folder named on the command line is built all the
same); every page of a draft's PDF carries a large “草稿” mark (the layout's template prints it
from `issue.draft`), so a draft printed by mistake is never taken for the issue."""
from __future__ import annotations

from pathlib import Path

from .load import ISSUE_FILE, split_front_matter
from .yaml_input import safe_load


def is_draft(issue_dir: Path) -> bool:
    """Whether the issue's front matter says `draft: true`. An issue that cannot be read is not a
    draft here: its build reports what is wrong with it."""
    try:
        text = (Path(issue_dir) / ISSUE_FILE).read_text(encoding="utf-8-sig")
        yaml_text, _, _ = split_front_matter(text, Path(issue_dir) / ISSUE_FILE)
        data = safe_load(yaml_text)
    except Exception:  # noqa: BLE001 - unreadable, not UTF-8, bad YAML: the build says so
        return False
    return isinstance(data, dict) and data.get("draft") is True
