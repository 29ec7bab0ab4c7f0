"""The `bulletin` command's entry point: starts prewarm.py's child for `bulletin build ISSUE`
before even the command-line framework is imported, then runs the CLI."""
from __future__ import annotations

import os
import sys

def main() -> None:
    from .collector import fewer_collections

    fewer_collections()  # a command allocates a lot and frees nearly all of it by reference counting
    if sys.argv[1:2] == ["build"] and not {"-h", "--help"} & set(sys.argv):  # a warm daemon runs it, if one runs (daemon.py)
        from .run import client

        code = client.run_build(sys.argv[1:])
        if code is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    from .run.commandline import single_issue

    if not (sys.argv[1:2] == ["build"] and single_issue(sys.argv[2:])):
        from .cli import main as cli_main

        return cli_main()
    from .run import prewarm

    prewarm.WARM = prewarm.start()
    from . import batch

    batch.ENDS_AFTER_BUILD = os.getpid()  # one issue: the process ends after it (os._exit below)
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
