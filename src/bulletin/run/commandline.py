"""What the start of a `bulletin build` command line says before the CLI is imported: which options
take a value, and whether it names exactly one issue folder. Read by launch.py (start the prewarm
child) and by the daemon (render that issue once more after the build); nothing else is imported."""
from __future__ import annotations

import os

# options of `bulletin build` that take a value (the word after them is not an issue folder)
VALUED_OPTIONS = frozenset({"-o", "--out", "-j", "--jobs", "--lang", "--format", "--scheduler", "--timeout"})


def positional(args: list[str]) -> list[str]:
    """The words of a command line's arguments that are neither options nor option values."""
    found, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in VALUED_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            found.append(arg)
    return found


def single_issue(args: list[str], cwd: str = "") -> str | None:
    """The one issue folder `bulletin build ARGS` names (a folder with an issue.md), else None;
    None too for a build on a Dask cluster (nothing to warm on this machine)."""
    if "--scheduler" in args or any(a.startswith("--scheduler=") for a in args) or os.environ.get("BULLETIN_SCHEDULER"):
        return None
    words = positional(args)
    if len(words) != 1:
        return None
    folder = os.path.join(cwd, words[0]) if cwd else words[0]
    return folder if os.path.isfile(os.path.join(folder, "issue.md")) else None
