"""The daemon's own process: `python -m bulletin.run.daemon_process [--parent PID]`, started by
`bulletin daemon start` or as a companion of `serve` / `preview --watch` (daemon.py). It imports the
CLI and hands daemon.serve the function that runs a command line in a forked child, so daemon.py,
which the CLI imports, never imports the CLI back."""
from __future__ import annotations

import sys


def run_command(argv: list[str]) -> int:  # pragma: no cover - runs in the daemon's forked child
    """Run `bulletin ARGV` as the client's own process would; its exit code."""
    from rich.console import Console

    import os

    from .. import batch, cli
    from .daemon import one_issue

    if one_issue(argv, os.getcwd()) is not None:
        batch.ENDS_AFTER_BUILD = os.getpid()  # this child ends after it: no collection first
    # the consoles were made for the daemon's /dev/null: make them for the user's terminal
    cli.err = Console(stderr=True, highlight=False, soft_wrap=True)
    cli.out = Console(highlight=False, soft_wrap=True)
    sys.argv = ["bulletin", *argv]
    try:
        cli.main()
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


def main() -> None:  # pragma: no cover - the daemon process (tested through the client)
    from .. import cli  # loaded before the first fork, so children start warm
    from .daemon import serve

    cli.command()  # typer's click command, made once for every child

    serve(run_command, int(sys.argv[2]) if sys.argv[1:2] == ["--parent"] else None)


if __name__ == "__main__":  # pragma: no cover
    main()
