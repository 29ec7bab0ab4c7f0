"""Building many issues: a pool of worker processes, failure isolation, skipping unchanged work.

Each worker imports WeasyPrint, loads the fonts and compiles the layout once, then renders issue
after issue (collecting garbage after each, recycled after MAX_TASKS renders). One broken issue never
stops the others: it comes back as a result with its problems.

An issue whose inputs have not changed since its PDF was written is skipped: a content hash of the
issue folder, its series file, the layout, the fonts' manifest and the tool itself is kept in
OUT_DIR/.bulletin-manifest.json.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, outputs
from .errors import BulletinError, Problem

if TYPE_CHECKING:
    from .executors import Executor

MANIFEST = ".bulletin-manifest.json"
MAX_TASKS = 200  # renders per worker before it is replaced (bounds memory of long batches)


@dataclass
class Outcome:
    issue_dir: str
    status: str  # "built" | "skipped" | "failed"
    output: str | None = None
    pages: int = 0
    seconds: float = 0.0
    problems: list[dict] = field(default_factory=list)  # Problem fields, for failures and warnings
    digest: str | None = None
    outputs: list[str] = field(default_factory=list)  # every file written (PDF and/or OFD)
    fonts: list[dict] = field(default_factory=list)  # the series' own font files used (role, file, sha256)
    sha256: str | None = None  # of the PDF written

    def problem_objects(self) -> list[Problem]:
        return [Problem(**{**p, "file": Path(p["file"]) if p["file"] else None}) for p in self.problems]


def _problem_dicts(problems: Iterable[Problem]) -> list[dict]:
    return [{**asdict(p), "file": str(p.file) if p.file else None} for p in problems]


# ---------------------------------------------------------------- what a build depends on


def _hash_tree(digest: "hashlib._Hash", root: Path) -> None:
    from .recipients import SEND_LOG  # a record of deliveries, not an input

    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != SEND_LOG
                       and "__pycache__" not in p.relative_to(root).parts):  # compiled: differs per machine
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")


def tool_digest() -> str:
    """Hash of what every issue's build shares: versions, layouts, the fonts' manifest, our code."""
    from importlib.metadata import version

    from .resources import fonts_dir, layouts_dir

    digest = hashlib.sha256(f"bulletin {__version__} weasyprint {version('weasyprint')}\n".encode())
    _hash_tree(digest, layouts_dir())
    digest.update((fonts_dir() / "manifest.json").read_bytes())  # font files are named by sha256 there
    _hash_tree(digest, Path(__file__).parent)  # the code that typesets
    return digest.hexdigest()


def input_digest(issue_dir: Path, shared: str | None = None) -> str:
    """Content hash of everything a build of `issue_dir` reads; `shared` is tool_digest(), computed
    once for a whole batch."""
    digest = hashlib.sha256((shared or tool_digest()).encode())
    _hash_tree(digest, issue_dir)
    for name in ("series.yaml", "recipients.yaml", "words.txt"):  # the registry prints the 报送 lines; words: titles
        path = issue_dir.resolve().parent / name
        digest.update(path.read_bytes() if path.is_file() else b"-")
    from .fonts import file_digest, series_font_files

    for path in series_font_files(issue_dir.resolve().parent):  # the office's own fonts
        digest.update(file_digest(path).encode())
    return digest.hexdigest()


def _read_manifest(out_dir: Path | str) -> dict:
    try:
        return json.loads(outputs.read(outputs.join(out_dir, MANIFEST)) or b"{}")
    except ValueError:
        return {}


def _write_manifest(out_dir: Path | str, manifest: dict) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    outputs.write_atomic(outputs.join(out_dir, MANIFEST), data)


# ---------------------------------------------------------------- one issue (in a worker)


def build_one(issue_dir: str, out_dir: str, formats: tuple[str, ...] = ("pdf",)) -> Outcome:
    """Build one issue; never raises for the issue's own problems."""
    from .api import build

    start = time.perf_counter()
    try:
        result = build(Path(issue_dir), Path(out_dir), formats)
    except BulletinError as exc:
        return Outcome(issue_dir, "failed", seconds=time.perf_counter() - start, problems=_problem_dicts(exc.problems))
    except Exception as exc:  # noqa: BLE001 - one issue's crash must not stop the batch
        problem = Problem(Path(issue_dir), None, f"内部错误：{type(exc).__name__}: {exc}",
                          f"internal error: {type(exc).__name__}: {exc}", "请把期刊文件发给维护者",
                          "please report this with the issue files")
        return Outcome(issue_dir, "failed", seconds=time.perf_counter() - start, problems=_problem_dicts([problem]))
    finally:
        gc.collect()  # each render leaves ~50 MB of cyclic garbage behind
        from .speedups import settle

        settle()  # after the worker's first render: later collections are cheap
    return Outcome(issue_dir, "built", str(result.output), result.pages, time.perf_counter() - start,
                   _problem_dicts(result.warnings), outputs=[str(p) for p in result.outputs], fonts=result.fonts,
                   sha256=hashlib.sha256(result.pdf).hexdigest() if "pdf" in formats else None)


def _warm_worker() -> None:
    """Pay the fixed costs once per worker: imports, fonts, layout CSS."""
    from . import typeset

    typeset.font_config()


# ---------------------------------------------------------------- many issues


def build_many(
    issue_dirs: list[Path],
    out_dir: Path,
    jobs: int | None = None,
    force: bool = False,
    progress: Callable[[Outcome], None] | None = None,
    formats: tuple[str, ...] = ("pdf",),
    executor: "Executor | None" = None,
) -> list[Outcome]:
    """Build every issue, in parallel when there are several; results in the order given. An
    issue is skipped only when every file of `formats` was written from the same inputs.
    `executor` runs the builds elsewhere (executors.py: a Dask cluster); None is the local pool.
    `out_dir` is a folder, or with an executor that supports it a URL its workers write to."""
    out_dir = outputs.location(out_dir)
    if isinstance(out_dir, str) and executor is None:
        raise outputs.needs_cluster(out_dir)
    jobs = max(1, jobs or os.cpu_count() or 1)
    manifest = _read_manifest(out_dir)
    outcomes: dict[str, Outcome] = {}
    todo: list[tuple[str, str]] = []
    shared = tool_digest()
    for folder in issue_dirs:
        key = str(folder)
        try:
            digest = input_digest(Path(folder), shared)
        except OSError:
            digest = None
        entry = manifest.get(key)
        written = entry.get("outputs", [entry.get("output", "")]) if entry else []
        if (not force and digest and entry and entry.get("digest") == digest
                and entry.get("formats", ["pdf"]) == list(formats) and all(outputs.exists(p) for p in written)):
            outcome = Outcome(key, "skipped", entry["output"], entry.get("pages", 0), digest=digest, outputs=written)
            outcomes[key] = outcome
            if progress:
                progress(outcome)
        else:
            todo.append((key, digest))

    def record(outcome: Outcome, digest: str | None) -> None:
        outcome.digest = digest
        outcomes[outcome.issue_dir] = outcome
        if outcome.status == "built" and digest:
            manifest[outcome.issue_dir] = {"digest": digest, "output": outcome.output, "pages": outcome.pages,
                                           "sha256": outcome.sha256}
            if list(formats) != ["pdf"]:  # entries of PDF-only builds stay as they were
                manifest[outcome.issue_dir].update(formats=list(formats), outputs=outcome.outputs)
        else:
            manifest.pop(outcome.issue_dir, None)
        if progress:
            progress(outcome)

    if executor is not None:
        executor.build(todo, out_dir, record, formats)
    elif len(todo) <= 1 or jobs == 1:
        for key, digest in todo:
            record(build_one(key, str(out_dir), formats), digest)
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), initializer=_warm_worker,
                                 max_tasks_per_child=MAX_TASKS) as pool:
            futures = {pool.submit(build_one, key, str(out_dir), formats): (key, digest) for key, digest in todo}
            for future in as_completed(futures):
                key, digest = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died (e.g. killed for memory)
                    outcome = Outcome(key, "failed", problems=_problem_dicts([Problem(
                        Path(key), None, f"排版进程异常退出：{exc}", f"the worker process died: {exc}")]))
                record(outcome, digest)
    if manifest != _read_manifest(out_dir):  # a failed build alone leaves nothing behind
        _write_manifest(out_dir, manifest)
    return [outcomes[str(folder)] for folder in issue_dirs]
