"""Temporary files that never outlive their process for long.

Each process that typesets gets one folder, `$TMPDIR/bulletin-<pid>-<start time>/`: WeasyPrint's
font folder (links to the font files — typeset/fontfiles.py — or, where no link can be made,
copies: up to ~60 MB) and our own temporary files go there. It is removed when the process
ends (atexit, or `cleanup()` before a fast `os._exit`), and a process killed before that — SIGKILL,
power loss — leaves a folder whose name says whose it was: the next process that makes its own
folder removes every `bulletin-*` folder whose owner is no longer running.

Files written atomically (write.py) are first written beside their target as
`.<name>.<pid>-<start time>.<random>.tmp`; `stale_temporaries()` removes those of dead writers the
next time the same file is written.

A process is identified by its pid and its start time (from /proc), so a recycled pid is not
mistaken for the owner.
"""
from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "bulletin-"
_TAG = re.compile(r"^(\d+)-(\d+)$")
_dir: Path | None = None
_dir_pid: int | None = None


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), None if it is not running (a
    zombie — killed, not yet reaped — is not running)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().decode("ascii", "replace").rsplit(")", 1)[1].split()
        return None if fields[0] in ("Z", "X") else fields[19]
    except (OSError, IndexError):
        return None


def process_tag(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{pid}-{_start_time(pid) or 0}"


def alive(tag: str) -> bool:
    """Whether the process a tag names is still running (the same process, not a recycled pid)."""
    m = _TAG.match(tag)
    if not m:
        return True  # not ours to judge
    pid, started = int(m.group(1)), m.group(2)
    if os.path.isdir("/proc/self"):
        return _start_time(pid) == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def sweep(root: Path | None = None) -> list[Path]:
    """Remove the folders of bulletin processes that are gone; returns what was removed."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    try:
        entries = list(root.glob(PREFIX + "*"))
    except OSError:
        return removed
    for folder in entries:
        tag = folder.name[len(PREFIX):]
        if _TAG.match(tag) and not alive(tag) and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def process_dir() -> Path:
    """This process's temporary folder (made on first use, after sweeping dead processes' ones)."""
    global _dir, _dir_pid
    if _dir is None or _dir_pid != os.getpid():  # a forked child makes its own
        sweep()
        folder = Path(tempfile.gettempdir()) / f"{PREFIX}{process_tag()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        _dir, _dir_pid = folder, os.getpid()
        atexit.register(cleanup)
    return _dir


def cleanup() -> None:
    """Remove this process's temporary folder (also before os._exit, which skips atexit)."""
    global _dir
    if _dir is not None and _dir_pid == os.getpid():
        shutil.rmtree(_dir, ignore_errors=True)
        _dir = None


def temporary_prefix(target: Path) -> str:
    """Name prefix of the temporary file that becomes `target` (write.py)."""
    return f".{target.name}.{process_tag()}."


_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<tag>\d+-\d+)\.[^.]+\.tmp$")


def stale_temporaries(target: Path, older_than: float = 3600.0) -> list[Path]:
    """Remove temporary files left beside `target` by writers that died: those whose process is
    gone, and untagged ones (older versions) not touched for `older_than` seconds."""
    removed = []
    try:
        candidates = [p for p in target.parent.iterdir()
                      if p.name.startswith(f".{target.name}.") and p.name.endswith(".tmp")]
    except OSError:
        return removed
    now = time.time()
    for path in candidates:
        m = _TEMPORARY.match(path.name)
        try:
            if m and m.group("name") == target.name:
                dead = not alive(m.group("tag"))
            else:
                dead = now - path.stat().st_mtime > older_than
            if dead:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def adopt_font_folder(config) -> None:
    """Make WeasyPrint's FontConfiguration keep its font copies in this process's folder instead
    of a folder of its own in $TMPDIR (it makes one lazily, named weasyprint-*, and removes it only
    if the object is collected). Fails loudly if the pinned WeasyPrint changes how it does that."""
    if not hasattr(config, "_folder"):
        raise RuntimeError("WeasyPrint's FontConfiguration no longer has _folder: check scratch.adopt_font_folder")
    if config._folder is None:
        config._folder = Path(tempfile.mkdtemp(prefix="weasyprint-", dir=process_dir()))
