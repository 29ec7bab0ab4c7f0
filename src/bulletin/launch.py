"""The `bulletin` command's entry point: starts prewarm.py's child for `bulletin build ISSUE`
before even the command-line framework is imported, then runs the CLI."""
from __future__ import annotations

import os
import sys

_VALUED = {"-o", "--out", "-j", "--jobs", "--lang", "--format", "--scheduler", "--timeout"}


def _single_issue(args: list[str]) -> bool:
    if "--scheduler" in args or any(a.startswith("--scheduler=") for a in args) or os.environ.get("BULLETIN_SCHEDULER"):
        return False  # built on a cluster: nothing to warm here
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
    if sys.argv[1:2] == ["build"] and not {"-h", "--help"} & set(sys.argv):  # a warm daemon runs it, if one runs (daemon.py)
        from .run import daemon

        code = daemon.run_build(sys.argv[1:])
        if code is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    if not (sys.argv[1:2] == ["build"] and _single_issue(sys.argv[2:])):
        from .cli import main as cli_main

        return cli_main()
    from .run import prewarm

    prewarm.WARM = prewarm.start()
    from .cli import main as cli_main

    code = 0
    try:
        cli_main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    # Everything is written (atomically, synced) and reported: skip tearing down the interpreter's
    # modules, which only costs time at the end of a one-issue build.
    if "bulletin.typeset" in sys.modules:  # the parent typeset itself (no child): remove its font copies
        sys.modules["bulletin.typeset"].release_fonts()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
