"""The `bulletin` command's entry point: starts prewarm.py's child for `bulletin build ISSUE`
before even the command-line framework is imported, then runs the CLI."""
from __future__ import annotations

import os
import sys

_VALUED = {"-o", "--out", "-j", "--jobs", "--lang"}


def _single_issue(args: list[str]) -> bool:
    positional, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            positional.append(arg)
    return len(positional) == 1 and os.path.isfile(os.path.join(positional[0], "issue.md"))


def main() -> None:
    if sys.argv[1:2] == ["build"] and _single_issue(sys.argv[2:]):
        from . import prewarm

        prewarm.WARM = prewarm.start()
    from .cli import main as cli_main

    cli_main()
