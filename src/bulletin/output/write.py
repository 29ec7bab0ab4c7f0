"""Write stage: files appear whole or not at all (temporary file + rename in the same folder), and
writers of the same folder from different processes take turns (`locked`)."""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import BulletinError, Problem

LOCK_WAIT = 15.0  # seconds to wait for another process's save to finish


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    from ..scratch import stale_temporaries, temporary_prefix

    stale_temporaries(path)  # left by a process killed while writing this file
    fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def locked(folder: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """An exclusive lock on a folder, shared by every process that saves into it (the editor's
    servers, `check --fix`): flock on the folder itself, so no lock file is left behind and the
    lock goes with the process if it dies. Raises BulletinError after `wait` seconds."""
    import fcntl

    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BulletinError(Problem(
                        Path(folder), None, "另一个程序正在保存这个文件夹里的文件，等了太久",
                        "another program is saving into this folder and did not finish",
                        "稍后再试；如果一直这样，检查是否有卡住的 bulletin 进程",
                        "try again later; look for a bulletin process that hangs")) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # releases the lock
