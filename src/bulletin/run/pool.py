"""Worker processes for batches, where a worker that dies costs only the task it was running.

concurrent.futures' process pool marks itself broken when one worker dies (killed for memory, a
crash in a C library) and fails every task still queued; here each worker runs one task at a time
over its own pipe, so the pool knows which task a dead worker had. That task is run again once in
a fresh worker (a kill by the system may have had nothing to do with it); if that worker dies too,
the task fails with what happened, and the other tasks go on.

Workers end when the parent does: a worker waiting for its next task sees the pipe close. They are
recycled after `max_tasks` tasks (bounds the memory a long batch accumulates).
"""
from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any


@dataclass
class Died:
    """A task whose worker died twice (or could not start)."""

    exitcode: int | None

    def describe(self) -> tuple[str, str]:
        code = self.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            how = f"被信号 {name} 终止" + ("（多半是内存不足，被系统终止）" if name == "SIGKILL" else "")
            how_en = f"killed by {name}" + (" (most likely out of memory)" if name == "SIGKILL" else "")
        else:
            how, how_en = f"异常退出（退出码 {code}）", f"exited with code {code}"
        return how, how_en


def _serve(conn: Connection, initializer: Callable[[], None] | None, func: Callable) -> None:  # pragma: no cover - child
    if initializer is not None:
        initializer()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return  # the parent is gone (or asked us to stop)
        if message is None:
            return
        key, args = message
        try:
            outcome = ("ok", func(*args))
        except Exception as exc:  # noqa: BLE001 - reported with the task, the worker goes on
            outcome = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send((key, outcome))
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, ctx, initializer, func):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_serve, args=(child, initializer, func), daemon=True)
        self.process.start()
        child.close()
        self.task: Any = None  # key of the task it runs
        self.done = 0

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.conn.close()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def run(tasks: list[tuple[Any, tuple]], func: Callable, jobs: int, on_result: Callable[[Any, Any], None],
        initializer: Callable[[], None] | None = None, max_tasks: int = 200, retries: int = 1) -> None:
    """Run func(*args) for every (key, args) in `jobs` processes; on_result(key, outcome) is called
    in the parent as each finishes, with ("ok", value), ("error", text) or ("died", Died)."""
    ctx = multiprocessing.get_context("spawn")
    pending = deque(key for key, _ in tasks)
    args_of = dict(tasks)
    attempts: dict[Any, int] = {}
    workers: list[_Worker] = []
    try:
        while pending or any(w.task is not None for w in workers):
            while pending and (len(workers) < jobs or any(w.task is None for w in workers)):
                worker = next((w for w in workers if w.task is None), None)
                if worker is None:
                    worker = _Worker(ctx, initializer, func)
                    workers.append(worker)
                key = pending.popleft()
                worker.task = key
                try:
                    worker.conn.send((key, args_of[key]))
                except (OSError, ValueError):
                    pass  # it died before taking the task: noticed below
            busy = [w for w in workers if w.task is not None]
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                if worker.conn in ready:
                    try:
                        key, outcome = worker.conn.recv()
                    except (EOFError, OSError):
                        _bury(worker, workers, pending, attempts, retries, on_result)
                        continue
                    worker.task = None
                    worker.done += 1
                    on_result(key, outcome)
                    if worker.done >= max_tasks:
                        worker.stop()
                        workers.remove(worker)
                elif worker.process.sentinel in ready:
                    _bury(worker, workers, pending, attempts, retries, on_result)
    finally:
        for worker in workers:
            worker.stop()


def _bury(worker: _Worker, workers: list[_Worker], pending: deque, attempts: dict, retries: int,
          on_result: Callable) -> None:
    """A worker died while running a task: retry the task once, else report it."""
    worker.process.join(timeout=10)
    worker.conn.close()
    workers.remove(worker)
    key = worker.task
    attempts[key] = attempts.get(key, 0) + 1
    if attempts[key] <= retries:
        pending.appendleft(key)
    else:
        on_result(key, ("died", Died(worker.process.exitcode)))
