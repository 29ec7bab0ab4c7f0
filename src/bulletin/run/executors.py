"""Where batch work runs: the seam between what a batch does and the machines that do it.

Two kinds of batch work go through it:

- `bulletin build DIR...`: `batch.build_many` decides what to build (content hashes, the
  manifest) and records outcomes; an executor builds each issue and reports it back;
- `bulletin distribute`: `distribute.distribute` plans the numbered copies and assembles the
  print run and register; an executor makes the copies, in batches of `distribute.STAMP_BATCH`.

Executors:

- none (the default): this machine. Builds run in batch.py's pool of warm worker processes
  (one per core); copies are made in this process.
- `cluster.DaskExecutor`: a Dask distributed cluster, chosen with `--scheduler tcp://HOST:8786`
  or the environment variable BULLETIN_SCHEDULER (needs `pip install 'bulletin[cluster]'`).

Whatever runs the work, the PDFs are the same bytes: the work is a pure function of the issue's
files, the layouts, the fonts and the code, and a cluster refuses workers whose layouts, fonts,
code or rendering libraries differ from this machine's.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..batch import Outcome
    from ..distribute import CopyFile, StampSpec

SCHEDULER_ENV = "BULLETIN_SCHEDULER"
DEFAULT_TIMEOUT = 600.0  # seconds one issue (or one batch of copies) may take on a worker

Record = Callable[["Outcome", "str | None"], None]
CopyResult = tuple[bytes, dict[int, bytes]]  # (stamp pages of a batch, copy number → copy PDF)


class Executor(Protocol):
    def build(self, todo: list[tuple[str, str | None]], out_dir: Path | str, record: Record,
              formats: tuple[str, ...] = ("pdf",)) -> None:
        """Build each (issue folder, input digest) of `todo` into `out_dir`; call
        `record(outcome, digest)` in this thread as each one ends, whatever happened to it."""

    def copy_batches(self, stamp: StampSpec, issue_pdf: bytes, stem: str,
                     batches: list[list[CopyFile]]) -> Iterator[tuple[int, CopyResult]]:
        """`distribute.copy_batch` for each batch: (batch index, result) as each one ends."""

    def close(self) -> None: ...


def from_options(scheduler: str | None, timeout: float | None = None) -> Executor | None:
    """The executor the command line asks for: a Dask cluster when a scheduler address is given
    (or BULLETIN_SCHEDULER is set), else None (this machine)."""
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if not address:
        return None
    from .cluster import DaskExecutor

    return DaskExecutor(address, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)


def copy_batches(executor: Executor | None, stamp: StampSpec, issue_pdf: bytes, stem: str,
                 batches: list[list[CopyFile]],
                 progress: Callable[[int, int], None] | None = None) -> tuple[list[bytes], dict[int, bytes]]:
    """Every batch's stamp document (in batch order) and every named copy's PDF, made here
    (executor None) or by the executor."""
    from ..distribute import copy_batch

    done = ((i, copy_batch(stamp, issue_pdf, stem, batch)) for i, batch in enumerate(batches)) \
        if executor is None else executor.copy_batches(stamp, issue_pdf, stem, batches)
    stamps: list[bytes | None] = [None] * len(batches)
    numbered: dict[int, bytes] = {}
    total = sum(len(b) for b in batches)
    count = 0
    for index, (stamp_pdf, copies) in done:
        stamps[index] = stamp_pdf
        numbered.update(copies)
        count += len(batches[index])
        if progress:
            progress(count, total)
    return stamps, numbered
