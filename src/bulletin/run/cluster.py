"""Batch work on a Dask distributed cluster: `--scheduler tcp://HOST:8786` (executors.py's seam).

The client (the machine running `bulletin build`/`distribute`) decides what to build and records
the outcomes, exactly as with the local pool (batch.py). Each issue becomes one Dask task:

- What travels is the issue's files, not paths on the client's disk (workers may be other
  machines): every file of the issue folder, the series' `series.yaml` and `recipients.yaml`,
  and the front matter of the series' other issues (the 期号 check reads it). The series' part
  is one task per series that the issues' tasks depend on, so it crosses the network once per
  worker, not once per issue. A worker writes them into a scratch folder (in /dev/shm when
  there is one), builds there with the same code as the local pool (`batch.build_one`), and
  maps the scratch paths in messages back to the client's paths.
- Layouts, fonts and code are installed with the package on every worker. A worker computes a
  digest of them and of everything else the bytes depend on (library versions, Pango, HarfBuzz,
  zlib); the client refuses to run on a cluster with a worker whose digest differs from its own,
  and every task checks it again (a worker that joined later), so a PDF never depends on which
  machine made it.
- A worker plugin warms each worker once: WeasyPrint imported, our hooks installed, the fonts
  loaded and their coverage read. Renders in one worker process are serialised by a lock (our
  WeasyPrint hooks keep per-document state); start workers with `--nthreads 1`.
- Results come back as bytes and the client writes them atomically into the output folder, or,
  when the output is a URL (`file:///shared/out`, `s3://…`), the workers write there directly
  (outputs.py, fsspec) and return the SHA-256, which the client records in the manifest.
- Retries: a worker lost mid-task is Dask's business — the scheduler runs the task again on
  another worker (up to `distributed.scheduler.allowed-failures` times, then the issue fails
  with a message). The client takes each issue's result once; writes are atomic and the bytes
  are deterministic, so a repeated write on a shared output replaces a file with the same bytes.
- Timeouts: each issue (or batch of copies) may run `timeout` seconds on a worker. Past that the
  task reports the issue as failed and the client restarts that worker (through its nanny), which
  ends the stuck render.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from distributed import Client, as_completed
from distributed.diagnostics.plugin import WorkerPlugin

from .. import __version__
from . import outputs
from ..batch import Outcome, _problem_dicts, build_one, tool_digest
from ..errors import BulletinError, Problem

if TYPE_CHECKING:
    from ..distribute import StampSpec

BUNDLE_LIMIT = 256 * 1024 * 1024  # bytes of one issue's files sent to a worker
CONNECT_TIMEOUT = 20.0  # seconds to reach the scheduler
WORKER_WAIT = 60.0  # seconds to wait for a first worker
# Distributions whose code never touches a PDF: a worker may have other versions of them.
NOT_RENDERING = {"typer", "rich", "click", "shellingham", "starlette", "uvicorn", "h11", "anyio", "sniffio",
                 "python-multipart", "watchfiles", "python-docx", "lxml", "markdown-it-py-plugins", "pygments",
                 "typing-extensions", "idna", "annotated-types", "pydantic-core", "mdurl", "annotated-doc"}


class WorkerMismatch(RuntimeError):
    """A worker whose layouts, fonts, code or libraries differ from the client's."""


# ---------------------------------------------------------------- what the bytes depend on


def _distributions() -> dict[str, str]:
    """Versions of bulletin's runtime requirements and theirs, transitively (extras left out)."""
    from importlib.metadata import PackageNotFoundError, distribution

    found: dict[str, str] = {}
    todo = ["bulletin"]
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found or key in NOT_RENDERING:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        found[key] = dist.version
        for req in dist.requires or []:
            if ";" in req and "extra" in req.split(";", 1)[1]:
                continue
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
            if match:
                todo.append(match.group())
    found.pop("bulletin", None)  # in the tool digest
    return dict(sorted(found.items()))


def _native_versions() -> dict[str, str]:
    import ctypes
    import zlib

    from .. import typeset  # noqa: F401 - imports WeasyPrint's bindings as bulletin does (patches.import_weasyprint)
    from weasyprint.text.ffi import harfbuzz_subset, pango

    versions = {"pango": str(pango.pango_version()), "zlib": zlib.ZLIB_RUNTIME_VERSION,
                "harfbuzz-subset": "yes" if harfbuzz_subset is not None else "no (fontTools)"}
    for name in ("libharfbuzz.so.0", "libharfbuzz.0.dylib", "libharfbuzz-0.dll"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.hb_version_string.restype = ctypes.c_char_p
        versions["harfbuzz"] = lib.hb_version_string().decode()
        break
    return versions


def _font_files_digest() -> str:
    from ..style.fonts import fonts

    digest = hashlib.sha256()
    for role, font in sorted(fonts().items()):
        digest.update(role.encode() + b"\0" + font.path.read_bytes())
    return digest.hexdigest()


_environment: dict[str, str] | None = None


def environment() -> dict[str, str]:
    """Everything besides an issue's own files that its PDF's bytes depend on, on this machine."""
    global _environment
    if _environment is None:
        env = {"bulletin": __version__, "python": "%d.%d" % sys.version_info[:2],
               "layouts, fonts manifest, code": tool_digest()[:16], "font files": _font_files_digest()[:16]}
        env.update(_native_versions())
        env.update({f"package {k}": v for k, v in _distributions().items()})
        _environment = env
    return _environment


def environment_digest(env: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(env, sort_keys=True).encode()).hexdigest()


def describe_mismatch(mine: dict[str, str], theirs: dict[str, str]) -> str:
    keys = sorted(set(mine) | set(theirs))
    return "; ".join(f"{k}: {mine.get(k, '—')} ≠ {theirs.get(k, '—')}" for k in keys if mine.get(k) != theirs.get(k))


# ---------------------------------------------------------------- what travels


@dataclass
class SeriesFiles:
    """A series folder as a worker needs it: its settings and its issues' front matter."""
    name: str
    files: dict[str, bytes] = field(default_factory=dict)  # relative POSIX path → bytes


@dataclass
class IssueFiles:
    """An issue folder's files. Files over the image size limit travel as their size only (the
    loader refuses them by size before reading them); links leaving the folder as a mark."""
    name: str
    exists: bool = True
    files: dict[str, bytes] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.files.values())


def pack_series(series_dir: Path) -> SeriesFiles:
    from ..source.load import FRONT_MATTER, ISSUE_FILE, SERIES_FILE
    from ..source.recipients import REGISTRY_FILE

    packed = SeriesFiles(_safe_name(series_dir.name, "series"))
    for name in (SERIES_FILE, REGISTRY_FILE):
        try:
            packed.files[name] = (series_dir / name).read_bytes()
        except OSError:
            pass  # missing: the worker reports it as the local build would
    for issue_md in sorted(series_dir.glob(f"*/{ISSUE_FILE}")):
        try:  # only what load.sibling_issues reads: the front matter, within the file's first 64 KB
            with open(issue_md, "rb") as fh:
                head = fh.read(64 * 1024).decode("utf-8-sig", "ignore")
            match = FRONT_MATTER.match(head.replace("\r\n", "\n"))
        except OSError:
            continue
        if match:
            packed.files[f"{issue_md.parent.name}/{ISSUE_FILE}"] = match.group(0).encode("utf-8")
    return packed


def pack_issue(issue_dir: Path) -> IssueFiles:
    from ..limits import MAX_IMAGE_BYTES
    from ..source.load import ISSUE_FILE
    from ..source.recipients import SEND_LOG

    real = issue_dir.resolve()
    packed = IssueFiles(_safe_name(real.name, "issue"), exists=real.is_dir())
    if not packed.exists:
        return packed
    for path in sorted(real.rglob("*")):
        rel = path.relative_to(real).as_posix()
        target = path.resolve()
        if target != real and real not in target.parents:
            packed.outside.append(rel)
            continue
        if not path.is_file() or path.name == SEND_LOG or any(part.startswith(".") for part in rel.split("/")):
            continue  # dot folders (the editor's .history/) are not inputs, as in the archive
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES and rel != ISSUE_FILE:
            packed.sizes[rel] = size
            continue
        packed.files[rel] = path.read_bytes()
        if packed.size > BUNDLE_LIMIT:
            raise BulletinError(Problem(
                issue_dir, None, f"期刊文件夹里的文件超过 {BUNDLE_LIMIT >> 20} MB，不能发给集群",
                f"the issue folder holds more than {BUNDLE_LIMIT >> 20} MB: too much to send to the cluster",
                "把不印的文件（原稿、备份）移出期刊文件夹", "move files that are not printed (drafts, backups) out of the folder"))
    return packed


def _safe_name(name: str, default: str) -> str:
    return name if name and name not in (".", "..") and "/" not in name and "\\" not in name else default


def _safe_rel(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"unsafe path in an issue bundle: {rel!r}")
    return path


def unpack(root: Path, series: SeriesFiles, issue: IssueFiles) -> Path:
    """Write the series and issue under root/<series>/<issue>; returns the issue folder."""
    series_dir = root / series.name
    series_dir.mkdir(parents=True)
    for rel, data in series.files.items():
        if _safe_rel(rel).parts[0] == issue.name:
            continue  # this issue's own folder comes whole below
        target = series_dir.joinpath(*_safe_rel(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    issue_dir = series_dir / issue.name
    if not issue.exists:
        return issue_dir
    issue_dir.mkdir()
    for rel, data in issue.files.items():
        target = issue_dir.joinpath(*_safe_rel(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for rel, size in issue.sizes.items():  # sparse: the size without the bytes
        target = issue_dir.joinpath(*_safe_rel(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as fh:
            fh.truncate(size)
    for rel in issue.outside:  # a link out of the folder stays one (the loader refuses it)
        target = issue_dir.joinpath(*_safe_rel(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(root.parent / f"outside-{uuid.uuid4().hex}" / target.name)
    return issue_dir


def client_paths(outcome: Outcome, worker_issue: str, worker_series: str, issue_dir: Path) -> Outcome:
    """The outcome with the worker's scratch paths replaced by the client's (in file names and
    in message texts), so problems read as those of a local build."""
    pairs = [(worker_issue, str(issue_dir)), (worker_series, str(issue_dir.resolve().parent))]
    pairs = [(Path(w).as_uri(), Path(c).resolve().as_uri()) for w, c in pairs] + pairs

    def fix(text):
        if isinstance(text, str):
            for worker, client in pairs:
                text = text.replace(worker, client)
        return text

    outcome.problems = [{k: fix(v) for k, v in p.items()} for p in outcome.problems]
    outcome.issue_dir = str(issue_dir)
    return outcome


# ---------------------------------------------------------------- on the workers

_render_lock = threading.Lock()  # one render at a time in a process: cjk.py keeps per-document state
_warm_lock = threading.Lock()
_scratch: Path | None = None
_warmed = False
_stuck = threading.Event()  # a render outlived its timeout: this process is about to be restarted
SELF_RESTART_AFTER = 30.0  # seconds: a worker with a stuck render restarts itself if no client does
WARM_ISSUE = """---
number: 1
date: 2024-01-15
distribution: {报: [上级单位], 送: [各会员单位]}
---

# 工作动态

## 预热：WeasyPrint 与字体在第一期之前载入

正文“示例”，5G 基站 191.55 公里（作者）。
"""


def _scratch_base() -> Path:
    return Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())


def sweep_scratch() -> None:
    """Remove the scratch folders of worker processes on this machine that are gone (killed:
    they could not clean up)."""
    for old in _scratch_base().glob("bulletin-worker-*"):
        try:
            os.kill(int(old.name.split("-")[2]), 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except (ValueError, IndexError, PermissionError):
            pass  # not ours, or a live process of another user


def _scratch_root() -> Path:
    """This worker process's scratch folder (in memory when /dev/shm exists)."""
    global _scratch
    if _scratch is None:
        sweep_scratch()
        _scratch = Path(tempfile.mkdtemp(prefix=f"bulletin-worker-{os.getpid()}-", dir=_scratch_base()))
        import atexit

        atexit.register(shutil.rmtree, _scratch, True)  # also when the worker ends without the plugin's teardown
    return _scratch


def warm() -> str:
    """Pay the fixed costs once per worker process: imports, fonts, their coverage, the digest
    of its environment (returned)."""
    global _warmed
    with _warm_lock:
        if not _warmed:
            from .. import typeset
            from ..style.fonts import coverage, fonts

            typeset.font_config()
            for role in fonts():
                coverage(role)
            folder = _scratch_root() / "warm-up"
            issue = folder / "in" / "warm-up" / "2024-01"
            issue.mkdir(parents=True, exist_ok=True)
            (issue.parent / "series.yaml").write_text("name: 预热\npublisher: 预热\n", encoding="utf-8")
            (issue / "issue.md").write_text(WARM_ISSUE, encoding="utf-8")
            with _render_lock:  # a first render: hooks installed, caches filled, survivors frozen
                build_one(str(issue), str(folder / "out"))
            shutil.rmtree(folder, ignore_errors=True)
            _warmed = True
        return environment_digest(environment())


class WorkerSetup(WorkerPlugin):
    """Registered by the client on every worker (and on workers that join later)."""

    name = "bulletin"
    idempotent = True  # one warm-up per worker, whichever client comes first

    async def setup(self, worker) -> None:
        await asyncio.get_running_loop().run_in_executor(None, warm)  # off the worker's event loop

    def teardown(self, worker) -> None:
        if _scratch is not None:
            shutil.rmtree(_scratch, ignore_errors=True)


async def worker_environment() -> dict[str, str]:
    """Run by the client on every worker (client.run): warms it, off its event loop."""
    await asyncio.get_running_loop().run_in_executor(None, warm)
    return environment()


def _check_environment(expected: str) -> None:
    if warm() != expected:
        from distributed import get_worker

        raise WorkerMismatch(f"worker {get_worker().address} differs from the client: "
                             f"{json.dumps(environment(), ensure_ascii=False)}")


@dataclass
class Rendered:
    """What a task sends back: the outcome (scratch paths) and every file the build wrote, by
    name — their bytes unless the worker wrote them to the shared output, and their SHA-256."""
    outcome: Outcome
    worker: str
    worker_issue: str
    worker_series: str
    files: dict[str, bytes] | None = None
    sha256: dict[str, str] = field(default_factory=dict)
    timed_out: bool = False


def _with_timeout(work: Callable[[], object], timeout: float | None):
    """Run `work` under the render lock in a helper thread; (True, result) or (False, None)
    when it has not finished within `timeout` seconds. The render is then left running and this
    worker process is done for: the client restarts it (or it restarts itself after
    SELF_RESTART_AFTER seconds), and tasks that reach it meanwhile go elsewhere."""
    from distributed import Reschedule, get_worker

    if _stuck.is_set():
        raise Reschedule()
    box: dict = {}

    def run():
        with _render_lock:
            try:
                box["value"] = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = exc

    thread = threading.Thread(target=run, name="bulletin-render", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        _stuck.set()
        worker = get_worker()

        def restart() -> None:
            worker.loop.add_callback(worker.close_gracefully, restart=True,
                                     reason="bulletin: a render outlived its timeout")

        timer = threading.Timer(SELF_RESTART_AFTER, restart)
        timer.daemon = True
        timer.start()
        return False, None
    if "error" in box:
        raise box["error"]
    return True, box["value"]


def build_task(series: SeriesFiles, issue: IssueFiles, expected: str, timeout: float | None,
               shared: str | None, formats: tuple[str, ...] = ("pdf",)) -> Rendered:
    """One issue on a worker: unpack, build as the local pool does, hand back the PDF."""
    from distributed import get_worker

    _check_environment(expected)
    folder = _scratch_root() / uuid.uuid4().hex
    done = True
    try:
        issue_dir = unpack(folder / "in", series, issue)
        out = folder / "out"
        done, outcome = _with_timeout(lambda: build_one(str(issue_dir), str(out), formats), timeout)
        rendered = Rendered(outcome, get_worker().address, str(issue_dir), str(issue_dir.parent))
        if not done:
            rendered.outcome = Outcome(str(issue_dir), "failed", seconds=timeout, problems=_problem_dicts([Problem(
                issue_dir, None, f"排版超过 {timeout:g} 秒，已中止（--timeout 可调）",
                f"rendering took more than {timeout:g} s and was stopped (see --timeout)",
                "检查这一期是否异常地长或有异常的表格、图片", "check the issue for unusual length, tables or pictures")]))
            rendered.timed_out = True
            return rendered
        if outcome.status == "built":
            files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}
            rendered.sha256 = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
            outcome.output = Path(outcome.output).name
            if shared is None:
                rendered.files = files
            else:
                for name, data in files.items():
                    outputs.write_atomic(outputs.join(shared, name), data, tag=uuid.uuid4().hex)
        return rendered
    finally:
        if done:  # else the stuck render still reads it; the worker's restart removes it
            shutil.rmtree(folder, ignore_errors=True)


def copy_task(stamp: StampSpec, issue_pdf: bytes, stem: str, batch: list, expected: str,
              timeout: float | None) -> tuple[bytes, dict[int, bytes]] | str:
    """One batch of numbered copies on a worker (distribute.copy_batch); the worker's address
    when it did not finish in time."""
    from distributed import get_worker

    from ..distribute import copy_batch

    _check_environment(expected)
    done, result = _with_timeout(lambda: copy_batch(stamp, issue_pdf, stem, batch), timeout)
    return result if done else get_worker().address


def _identity(value):
    """A task whose result is its argument: data many tasks need, sent to the scheduler once and
    fetched by each worker once, and recomputed (unlike scattered data) if its worker is lost."""
    return value


# ---------------------------------------------------------------- on the client


def _problem(where: Path | None, zh: str, en: str, hint: str = "", hint_en: str = "") -> BulletinError:
    return BulletinError(Problem(where, None, zh, en, hint, hint_en))


class DaskExecutor:
    """Runs batch work on the Dask cluster whose scheduler is at `address` (or on a given
    distributed.Client, e.g. of a LocalCluster). Connects on first use."""

    def __init__(self, address: str | Client, timeout: float | None = None):
        self.address = address if isinstance(address, str) else address.scheduler.address
        self._client = None if isinstance(address, str) else address
        self._own_client = isinstance(address, str)
        self.timeout = timeout
        self.expected = ""
        self.refused: dict[str, str] = {}

    # -- connection and the workers' environment

    @property
    def client(self) -> Client:
        if self._client is None:
            try:
                self._client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise _problem(None, f"连不上 Dask 调度器 {self.address}：{exc}",
                               f"cannot reach the Dask scheduler at {self.address}: {exc}",
                               "在调度器所在机器上运行 dask scheduler，并检查地址、端口和防火墙",
                               "start `dask scheduler` on that machine; check the address, port and firewall") from None
        if not self.expected:
            self._prepare(self._client)
        return self._client

    def _prepare(self, client: Client) -> None:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise _problem(None, f"调度器 {self.address} 上没有工作节点（等了 {WORKER_WAIT:g} 秒）",
                           f"no workers at the scheduler {self.address} (waited {WORKER_WAIT:g} s)",
                           f"在各台机器上运行 dask worker {self.address} --nthreads 1",
                           f"start workers: dask worker {self.address} --nthreads 1") from None
        mine = environment()
        reports = client.run(worker_environment, on_error="return")
        refused = {}
        for worker, theirs in sorted(reports.items()):
            if isinstance(theirs, BaseException):
                refused[worker] = (f"bulletin 在此节点上不能运行（{type(theirs).__name__}: {theirs}）",
                                   f"bulletin cannot run there ({type(theirs).__name__}: {theirs})")
            elif theirs != mine:
                diff = describe_mismatch(mine, theirs)
                refused[worker] = (f"与本机不同（本机 ≠ 节点）：{diff}", f"differs from this machine (here ≠ there): {diff}")
        if refused:
            raise BulletinError([Problem(None, None, f"拒绝使用工作节点 {w}：{zh}", f"refusing worker {w}: {en}",
                                         "在所有工作节点上安装与本机相同版本的 bulletin（同样的版式、字体、依赖）"
                                         "，或停掉这个节点", "install the same bulletin (layouts, fonts, libraries) "
                                         "on every worker as here, or stop that worker")
                                 for w, (zh, en) in refused.items()])
        client.register_plugin(WorkerSetup())
        self.expected = environment_digest(mine)

    def close(self) -> None:
        if self._client is not None and self._own_client:
            self._client.close()
        self._client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _window(self, client: Client) -> int:
        """Tasks kept in flight: enough to keep every worker thread busy, few enough that the
        issues' files waiting on the scheduler stay bounded."""
        return max(2, 2 * sum(client.nthreads().values()))

    def _restart(self, client: Client, worker: str) -> None:
        try:
            client.restart_workers([worker], raise_for_error=False)
        except Exception:  # noqa: BLE001 - it may be gone already; the scheduler copes
            pass

    # -- bulletin build

    def build(self, todo: list[tuple[str, str | None]], out_dir: Path | str, record,
              formats: tuple[str, ...] = ("pdf",)) -> None:
        if not todo:
            return  # everything unchanged: no need for the cluster
        client = self.client
        shared = out_dir if isinstance(out_dir, str) else None
        pending = deque(todo)
        series_tasks: dict[Path, object] = {}
        running: dict[object, tuple[str, str | None]] = {}
        done = as_completed(loop=client.loop)
        window, counted = self._window(client), time.monotonic()

        def submit() -> None:
            nonlocal window, counted
            if time.monotonic() - counted > 5:  # workers come and go
                window, counted = self._window(client), time.monotonic()
            while pending and len(running) < window:
                key, digest = pending.popleft()
                folder = Path(key)
                try:
                    issue = pack_issue(folder)
                except BulletinError as exc:
                    record(Outcome(key, "failed", problems=_problem_dicts(exc.problems)), digest)
                    continue
                except OSError as exc:
                    record(Outcome(key, "failed", problems=_problem_dicts([Problem(
                        folder, None, f"读不了期刊文件夹：{exc}", f"cannot read the issue folder: {exc}")])), digest)
                    continue
                series_dir = folder.resolve().parent
                if series_dir not in series_tasks:
                    series_tasks[series_dir] = client.submit(
                        _identity, pack_series(series_dir), key=f"bulletin-series-{series_dir.name}-{uuid.uuid4().hex[:8]}")
                future = client.submit(build_task, series_tasks[series_dir], issue, self.expected, self.timeout,
                                       shared, formats, key=f"bulletin-build-{issue.name}-{uuid.uuid4().hex[:8]}", pure=False)
                running[future] = (key, digest)
                done.add(future)

        submit()
        built: list[str] = []
        for future in done:
            key, digest = running.pop(future)
            outcome, written = self._take(client, future, Path(key), out_dir)
            if shared is not None:
                built += written  # temporary files of writers that died are swept next to them
            record(outcome, digest)
            submit()
        series_tasks.clear()
        for target in built:  # temporary files of workers that died mid-write
            outputs.sweep(target)

    def _take(self, client: Client, future, issue_dir: Path, out_dir: Path | str) -> tuple[Outcome, list[str]]:
        """The issue's outcome with the client's paths, its files written (or checked) here."""
        try:
            rendered: Rendered = future.result()
        except Exception as exc:  # noqa: BLE001 - whatever the cluster did, it is this issue's outcome
            return Outcome(str(issue_dir), "failed", problems=_problem_dicts([_task_problem(issue_dir, exc)])), []
        outcome = client_paths(rendered.outcome, rendered.worker_issue, rendered.worker_series, issue_dir)
        if rendered.timed_out:  # forgotten first, or the scheduler would run it again when its worker goes
            client.cancel([future])
            self._restart(client, rendered.worker)
        else:
            future.release()
        if outcome.status != "built":
            return outcome, []
        targets = {name: str(outputs.join(out_dir, name)) for name in rendered.sha256}
        if rendered.files is None:  # written by the worker
            unseen = [t for t in targets.values() if not outputs.exists(t)]
            if unseen:
                return Outcome(str(issue_dir), "failed", problems=_problem_dicts([Problem(
                    issue_dir, None, f"工作节点写入了 {unseen[0]}，本机却看不到",
                    f"a worker wrote {unseen[0]}, but it is not visible here",
                    "共享输出须在所有机器上是同一位置（同一挂载路径或同一存储桶）",
                    "a shared output must be the same place on every machine (same mount path or bucket)")])), []
        else:
            if any(hashlib.sha256(data).hexdigest() != rendered.sha256[name] for name, data in rendered.files.items()):
                return Outcome(str(issue_dir), "failed", problems=_problem_dicts([Problem(
                    issue_dir, None, "从工作节点收到的文件已损坏（校验和不符），未写入",
                    "a file received from the worker is damaged (checksum mismatch); nothing written")])), []
            for name, data in rendered.files.items():
                outputs.write_atomic(targets[name], data)
        outcome.output = targets[outcome.output]
        outcome.outputs = list(targets.values())
        return outcome, list(targets.values())

    # -- bulletin distribute

    def copy_batches(self, stamp: StampSpec, issue_pdf: bytes, stem: str,
                     batches: list[list]) -> Iterator[tuple[int, tuple]]:
        client = self.client
        issue = client.submit(_identity, issue_pdf, key=f"bulletin-issue-pdf-{stem}-{uuid.uuid4().hex[:8]}")
        futures = {client.submit(copy_task, stamp, issue, stem, batch, self.expected, self.timeout,
                                 key=f"bulletin-copies-{stem}-{i}-{uuid.uuid4().hex[:8]}", pure=False): i
                   for i, batch in enumerate(batches)}
        try:
            for future in as_completed(futures, loop=client.loop):
                index = futures[future]
                first, last = batches[index][0].label, batches[index][-1].label
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001
                    raise BulletinError(_task_problem(None, exc, f"No. {first}–{last}")) from None
                if isinstance(result, str):
                    client.cancel([future])
                    self._restart(client, result)
                    raise _problem(None, f"副本 No. {first}–{last} 超过 {self.timeout:g} 秒未完成，已中止",
                                   f"copies No. {first}–{last} took more than {self.timeout:g} s and were stopped",
                                   "用 --timeout 放宽时限", "allow more time with --timeout")
                future.release()
                yield index, result
        finally:
            for future in futures:
                future.cancel()
            issue.cancel()


def _task_problem(issue_dir: Path | None, exc: BaseException, what: str = "") -> Problem:
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    what = f"（{what}）" if what else ""
    if isinstance(exc, KilledWorker):
        return Problem(issue_dir, None, f"排版这一期{what}的工作节点多次意外退出（内存不足或崩溃？），已放弃",
                       f"the workers running this{what and ' ' + what} died repeatedly (out of memory or a crash?); gave up",
                       "查看工作节点的日志；可单独在本机排版这一期找出原因",
                       "look at the workers' logs; build this issue alone on this machine to find the cause")
    if isinstance(exc, WorkerMismatch):
        return Problem(issue_dir, None, f"工作节点与本机的版式、字体或程序不同，已拒绝：{exc}",
                       f"a worker's layouts, fonts or code differ from this machine's, refused: {exc}",
                       "在所有工作节点上安装与本机相同版本的 bulletin", "install the same bulletin on every worker")
    if isinstance(exc, (FutureCancelledError, asyncio.CancelledError)):
        return Problem(issue_dir, None, f"集群取消了这项任务{what}（调度器重启或连接中断）",
                       f"the cluster cancelled this task{what} (scheduler restarted or connection lost)",
                       "重新运行；未改动的期会跳过", "run again; unchanged issues are skipped")
    return Problem(issue_dir, None, f"集群任务出错{what}：{type(exc).__name__}: {exc}",
                   f"cluster task failed{what}: {type(exc).__name__}: {exc}",
                   "请把期刊文件和工作节点日志发给维护者", "please report this with the issue files and the workers' logs")
