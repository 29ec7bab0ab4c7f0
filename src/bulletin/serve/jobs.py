"""Heavy work of the editor, kept off its event loop.

The server answers every request on one event loop: loading and checking an issue, importing a
Word file or waiting for a preview must not run on it, or one slow request freezes every other.

- Checks (load, check) run in threads, at most WORKERS at a time; at most HEAVY_JOBS_QUEUED
  more wait for a turn, and a request beyond that is answered “busy” (503) at once instead of
  queueing without end.
- Imports run in a separate process with a time limit and a memory limit, so a hostile or
  broken Word file costs at most IMPORT_SECONDS and IMPORT_MEMORY_BYTES and never the server.
- Request bodies are counted while they arrive (`BodyLimit`): an upload over its limit is
  refused as soon as it passes it, not after it has been read whole.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from typing import Any

import anyio

from ..limits import HEAVY_JOBS_QUEUED, IMPORT_MEMORY_BYTES, IMPORT_SECONDS

WORKERS = 2


class Busy(Exception):
    """More heavy requests are waiting than the queue holds."""


class HeavyWork:
    def __init__(self, workers: int = WORKERS, queued: int = HEAVY_JOBS_QUEUED):
        self.limiter = anyio.CapacityLimiter(workers)
        self.bound = workers + queued
        self.active = 0  # running or waiting

    async def run(self, func: Callable, *args) -> Any:
        """func(*args) in a worker thread; raises Busy when the queue is full."""
        if self.active >= self.bound:
            raise Busy()
        self.active += 1
        try:
            return await anyio.to_thread.run_sync(func, *args, limiter=self.limiter)
        finally:
            self.active -= 1

    async def isolated(self, func: Callable, *args, seconds: float = IMPORT_SECONDS,
                       memory: int = IMPORT_MEMORY_BYTES) -> Any:
        """func(*args) in a fresh process (time and memory bounded), waited for in a thread."""
        return await self.run(run_isolated, func, args, seconds, memory)


class Stopped(Exception):
    """The isolated process took too long, ran out of memory or died."""

    def __init__(self, reason: str, reason_en: str):
        super().__init__(reason_en)
        self.reason, self.reason_en = reason, reason_en


def _isolated_main(conn, func, args, memory: int, parent: int) -> None:  # pragma: no cover - child process
    watch_parent(parent)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass
    try:
        result = ("ok", func(*args))
    except MemoryError:
        result = ("memory", None)
    except BaseException as exc:  # noqa: BLE001 - sent back to the parent, which decides
        result = ("raised", exc)
    try:
        conn.send(result)
    except Exception:  # noqa: BLE001 - an exception that cannot be pickled
        conn.send(("raised", RuntimeError(str(result[1]))))
    conn.close()


def run_isolated(func: Callable, args: tuple, seconds: float, memory: int) -> Any:
    """Run func(*args) in a spawned process with an address-space limit; its exceptions are
    raised here; Stopped when it overruns `seconds`, runs out of memory or dies."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_isolated_main, args=(child, func, args, memory, os.getpid()), daemon=True)
    process.start()
    child.close()
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Stopped(f"处理时间超过 {seconds:.0f} 秒，已停止", f"took longer than {seconds:.0f} s and was stopped")
            if parent.poll(min(left, 0.2)):
                try:
                    status, value = parent.recv()
                except EOFError:
                    break
                if status == "ok":
                    return value
                if status == "memory":
                    raise Stopped(f"需要的内存超过 {memory // 10**6} MB，已停止",
                                  f"needed more than {memory // 10**6} MB of memory and was stopped")
                raise value
            if not process.is_alive():
                break
        raise Stopped("处理进程意外退出", f"the worker process died (exit code {process.exitcode})")
    finally:
        parent.close()
        if process.is_alive():
            process.kill()
        process.join(timeout=5)


class TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse a request body over its limit while it streams in (413). The
    limit is `limit_for(scope)`; a declared Content-Length over it is refused before reading."""

    def __init__(self, app, limit_for: Callable[[dict], int]):
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope)
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return await _too_large(send)
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge()
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except TooLarge:
            if not started:
                await _too_large(send)
        except Exception as exc:  # starlette wraps errors raised while parsing a form
            if isinstance(exc.__cause__ or exc.__context__, TooLarge) and not started:
                await _too_large(send)
            else:
                raise


async def _too_large(send) -> None:
    body = "文件太大 / file too large".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def watch_parent(parent: int | None = None, interval: float = 0.5) -> None:
    """In a child process: end it as soon as its parent (pid `parent`, given by the parent itself:
    it may die before the child gets here) is gone — a SIGKILLed server would otherwise leave its
    renderer running —, removing its temporary folder first."""
    import threading

    parent = os.getppid() if parent is None else parent

    def leave() -> None:
        from .. import scratch

        scratch.cleanup()
        os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                leave()

    if os.getppid() != parent:
        leave()
    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
