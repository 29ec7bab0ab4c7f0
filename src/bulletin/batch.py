"""Building many issues: a pool of worker processes, failure isolation, skipping unchanged work.

Each worker imports WeasyPrint, loads the fonts and compiles the layout once, then renders issue
after issue (collecting garbage after each, recycled after MAX_TASKS renders). One broken issue never
stops the others: it comes back as a result with its problems.

An issue whose inputs have not changed since its PDF was written is skipped: a content hash of the
issue folder, its series file, the layout, the fonts' manifest and the tool itself is kept in
OUT_DIR/.bulletin-manifest.json, with the SHA-256 of every file written: a file changed or
replaced since (by hand, by another build) is written again, never trusted.

Manifest entries, one per issue folder (its resolved path):
    {"digest": inputs, "output": first file's name, "pages": n, "sha256": of the PDF,
     "ofd_sha256": of the OFD, "formats": [...], "outputs": [names]}
(formats and outputs only when the build wrote more or other than the PDF; file names only, so
the manifest holds for the folder or URL it sits in).
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .run import outputs
from .errors import BulletinError, Problem

if TYPE_CHECKING:
    from .run.executors import Executor

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
    hashes: dict[str, str] = field(default_factory=dict)  # file name → SHA-256 of every file written

    def problem_objects(self) -> list[Problem]:
        return [Problem(**{**p, "file": Path(p["file"]) if p["file"] else None}) for p in self.problems]


def _problem_dicts(problems: Iterable[Problem]) -> list[dict]:
    return [{**asdict(p), "file": str(p.file) if p.file else None} for p in problems]


# ---------------------------------------------------------------- what a build depends on


def _tree_files(root: Path, skip: tuple[str, ...] = ()) -> list[Path]:
    from .source.recipients import SEND_LOG  # a record of deliveries, not an input

    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != SEND_LOG
                  and "__pycache__" not in p.relative_to(root).parts  # compiled: differs per machine
                  and p.relative_to(root).parts[0] not in skip)


def _hash_tree(digest: "hashlib._Hash", root: Path, skip: tuple[str, ...] = ()) -> None:
    for path in _tree_files(root, skip):
        digest.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
        with open(path, "rb") as fh:  # in pieces: an issue folder may hold big files
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")


_tool_digest: tuple[tuple, str] | None = None  # (the files' names, sizes and times, their digest)


def tool_digest() -> str:
    """Hash of what every issue's build shares: versions, layouts, the fonts' manifest, our code.
    Kept for the process while none of those files changed name, size or time (a daemon's child
    gets it made: reading and hashing ~1 MB of code and layouts took ~10 ms of every build)."""
    global _tool_digest
    from .resources import fonts_dir, layouts_dir

    layouts, manifest, code = layouts_dir(), fonts_dir() / "manifest.json", Path(__file__).parent
    files = [*_tree_files(layouts), manifest, *_tree_files(code, CODE_SKIP)]
    stats = []
    for path in files:
        st = path.stat()
        stats.append((str(path), st.st_size, st.st_mtime_ns))
    key = tuple(stats)
    if _tool_digest is not None and _tool_digest[0] == key:
        return _tool_digest[1]
    result = _compute_tool_digest(layouts, manifest, code)
    _tool_digest = (key, result)
    return result


CODE_SKIP = ("_home",)  # an installed wheel's layouts and fonts: hashed as the layouts and the fonts' manifest


def _compute_tool_digest(layouts: Path, manifest: Path, code: Path) -> str:
    from importlib.metadata import version

    digest = hashlib.sha256(f"bulletin {__version__} weasyprint {version('weasyprint')}\n".encode())
    _hash_tree(digest, layouts)
    digest.update(manifest.read_bytes())  # font files are named by sha256 there
    _hash_tree(digest, code, skip=CODE_SKIP)  # the code that typesets
    return digest.hexdigest()


def input_digest(issue_dir: Path, shared: str | None = None) -> str:
    """Content hash of everything a build of `issue_dir` reads; `shared` is tool_digest(), computed
    once for a whole batch."""
    digest = hashlib.sha256((shared or tool_digest()).encode())
    _hash_tree(digest, issue_dir)
    for name in ("series.yaml", "recipients.yaml", "words.txt"):  # the registry prints the 报送 lines; words: titles
        path = issue_dir.resolve().parent / name
        digest.update(path.read_bytes() if path.is_file() else b"-")
    from .source.load import series_font_files
    from .style.fonts import file_digest

    try:  # a series' own layout (layouts/ next to it, layout.locate_layout)
        from .style.layout import locate_layout
        from .source.load import load_series

        own = locate_layout(load_series(issue_dir.resolve().parent).layout, issue_dir.resolve().parent)
    except BulletinError:
        own = ""
    if Path(own).is_absolute():
        _hash_tree(digest, Path(own))
    for path in series_font_files(issue_dir.resolve().parent):  # the office's own fonts
        digest.update(file_digest(path).encode())
    return digest.hexdigest()


def _read_manifest(out_dir: Path | str) -> dict:
    try:
        data = json.loads(outputs.read(outputs.join(out_dir, MANIFEST)) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(out_dir: Path | str, manifest: dict) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    outputs.write_atomic(outputs.join(out_dir, MANIFEST), data)


def _key(folder: Path | str) -> str:
    """The manifest's name for an issue folder: the same from any working directory."""
    try:
        return str(Path(folder).resolve())
    except (OSError, RuntimeError):
        return str(Path(folder).absolute())


def _name(written: str) -> str:
    """A written file's name (older manifests kept the whole path or URL)."""
    return written.rstrip("/").rsplit("/", 1)[-1]


def _hash_key(name: str) -> str:
    """The manifest's field for a file's SHA-256: "sha256" for the PDF (as the register names it),
    "ofd_sha256" for the OFD."""
    suffix = name.rsplit(".", 1)[-1].lower()
    return "sha256" if suffix == "pdf" else f"{suffix}_sha256"


def _entry_names(entry: dict) -> list[str]:
    """The names of the files a manifest entry says were written."""
    return [_name(str(p)) for p in entry.get("outputs", [entry.get("output", "")]) if p]


def _file_sha256(target: Path | str) -> str | None:
    try:
        data = outputs.read(target)
    except OSError:
        return None
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _still_written(out_dir: Path | str, entry: dict) -> bool:
    """Every file of the entry is there and, where it can be read here, has the bytes written:
    a PDF changed behind the manifest's back is built again. (On a remote store only that the
    files exist is checked: reading them back would download the whole batch.)"""
    names = _entry_names(entry)
    if not names:
        return False
    for name in names:
        target = outputs.join(out_dir, name)
        if not outputs.exists(target):
            return False
        if outputs.local_path(target) is not None and entry.get(_hash_key(name)) != _file_sha256(target):
            return False
    return True


def planned_stem(issue_dir: Path) -> str | None:
    """The output name an issue will get (<series>-<year>-<number>), from its series file and
    front matter only; None when they cannot be read (the build itself then says why)."""
    import datetime as dt

    from .source.load import ISSUE_FILE, load_series, split_front_matter
    from .model import Bulletin
    from .text import read_source
    from .source.yaml_input import compose

    try:
        series = load_series(Path(issue_dir).resolve().parent)
        file = Path(issue_dir) / ISSUE_FILE
        front, _, _ = split_front_matter(read_source(file), file)
        data, _ = compose(front, file, 1)
        return Bulletin.stem_for(series.id, dt.date.fromisoformat(str(data["date"])).year, int(data["number"]),
                                 data.get("supplement") is True)
    except (BulletinError, OSError, RuntimeError, KeyError, TypeError, ValueError):
        return None


def _check_out_dir(out_dir: Path | str) -> None:
    """Before any work, without making anything: the output folder is (or can become) a folder
    we may write to, and its manifest is a file. (A URL is the cluster workers' business.)"""
    import errno

    from .errors import os_problem

    if isinstance(out_dir, str):
        return
    doing = ("使用输出文件夹", "use the output folder")
    try:
        existing = out_dir
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        if existing == out_dir and not out_dir.is_dir():
            raise BulletinError(Problem(out_dir, None, "输出位置是一个文件，不是文件夹", "the output path is a file, not a folder",
                                        "用 -o 指定一个文件夹（不存在会新建）", "give a folder with -o (it is created if missing)"))
        if not existing.is_dir():
            raise OSError(errno.ENOTDIR, "not a directory", str(out_dir))
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OSError(errno.EACCES, "permission denied", str(existing))
        if len(out_dir.name.encode()) > 255:
            raise OSError(errno.ENAMETOOLONG, "name too long", str(out_dir))
    except OSError as exc:
        raise BulletinError(os_problem(exc, out_dir, doing)) from None
    manifest = out_dir / MANIFEST
    if manifest.exists() and not manifest.is_file():
        raise BulletinError(Problem(manifest, None, "这个位置应是 bulletin 的记录文件，却是一个文件夹",
                                    "this should be bulletin's record file but is a folder",
                                    "删去或改名这个文件夹后重试", "remove or rename that folder and try again"))


def _collisions(stems: dict[str, str | None], out_dir: Path | str, manifest: dict, force: bool,
                formats: tuple[str, ...] = ("pdf",)) -> dict[str, Problem]:
    """Issues (given folder → stem) that would write a file another issue writes in this build, or
    one the manifest says another (still existing) issue folder wrote; each problem names both."""
    from .source.load import ISSUE_FILE

    problems: dict[str, Problem] = {}
    by_stem: dict[str, list[str]] = {}
    for given, stem in stems.items():
        if stem:
            by_stem.setdefault(stem, []).append(given)
    owners = {name: k for k, e in manifest.items() if isinstance(e, dict) for name in _entry_names(e)}
    for stem, givens in by_stem.items():
        names = [f"{stem}.{suffix}" for suffix in formats]
        name = names[0]
        if len(givens) > 1:
            for given in givens:
                others = "、".join(g for g in givens if g != given)
                problems[given] = Problem(
                    Path(given) / ISSUE_FILE, None,
                    f"与 {others} 要写同一个文件 {name}：刊物编号（series.yaml 的 id）、年份和期号都相同，两期都不排",
                    f"{others} would write the same file {name} (same series id, year and number): neither is built",
                    "给两个刊物设不同的 id（series.yaml），或改正期号", "give the series different ids (series.yaml) or fix the number")
            continue
        given = givens[0]
        owned = [(n, owners[n]) for n in names if n in owners and owners[n] != _key(given) and Path(owners[n]).is_dir()]
        if owned and not force:
            name, owner = owned[0]
            target = outputs.join(out_dir, name)
            problems[given] = Problem(
                Path(given) / ISSUE_FILE, None,
                f"{target} 是 {owner} 排出的，不覆盖：两期的刊物编号、年份和期号相同",
                f"{target} was written for {owner}; not overwriting it (same series id, year and number)",
                "给两个刊物设不同的 id（series.yaml）；确要覆盖时加 --force",
                "give the series different ids (series.yaml); --force overwrites")
    return problems


# ---------------------------------------------------------------- one issue (in a worker)


# The process (by pid) that ends right after its one build: a daemon's forked child, a one-issue
# `bulletin build`. Its render's garbage goes with it; collecting it first (~20 ms) is wasted.
ENDS_AFTER_BUILD: int | None = None


def build_one(issue_dir: str, out_dir: str, formats: tuple[str, ...] = ("pdf",)) -> Outcome:
    """Build one issue; never raises for the issue's own problems."""
    from .api import build

    start = time.perf_counter()
    try:
        result = build(Path(issue_dir), Path(out_dir), formats)
    except BulletinError as exc:
        return Outcome(issue_dir, "failed", seconds=time.perf_counter() - start, problems=_problem_dicts(exc.problems))
    except OSError as exc:  # writing the PDF: a full disk, no permission…
        from .errors import os_problem

        return Outcome(issue_dir, "failed", seconds=time.perf_counter() - start,
                       problems=_problem_dicts([os_problem(exc, None, ("写入 PDF", "write the PDF"))]))
    except Exception as exc:  # noqa: BLE001 - one issue's crash must not stop the batch
        problem = Problem(Path(issue_dir), None, f"内部错误：{type(exc).__name__}: {exc}",
                          f"internal error: {type(exc).__name__}: {exc}", "请把期刊文件发给维护者",
                          "please report this with the issue files")
        return Outcome(issue_dir, "failed", seconds=time.perf_counter() - start, problems=_problem_dicts([problem]))
    finally:
        if "bulletin.typeset" in sys.modules and ENDS_AFTER_BUILD != os.getpid():  # this process typeset and lives on:
            gc.collect()  # each render leaves ~50 MB of cyclic garbage behind
            from .typeset.speedups import settle

            settle()  # after the worker's first render: later collections are cheap
    hashes = {Path(p).name: h for p, h in result.hashes.items()}
    return Outcome(issue_dir, "built", str(result.output), result.pages, time.perf_counter() - start,
                   _problem_dicts(result.warnings), outputs=[str(p) for p in result.outputs], fonts=result.fonts,
                   sha256=next((h for n, h in hashes.items() if n.endswith(".pdf")), None), hashes=hashes)


def _warm_worker() -> None:
    """Pay the fixed costs once per worker: imports, fonts, layout CSS."""
    from . import typeset

    typeset.font_config()


# ---------------------------------------------------------------- many issues


def build_many(
    issue_dirs: list[Path],
    out_dir: Path | str,
    jobs: int | None = None,
    force: bool = False,
    progress: Callable[[Outcome], None] | None = None,
    formats: tuple[str, ...] = ("pdf",),
    executor: "Executor | None" = None,
    task: Callable[..., Outcome] = build_one,
) -> list[Outcome]:
    """Build every issue, in parallel when there are several; results in the order given. An
    issue is skipped only when every file of `formats` was written from the same inputs and is
    still the file written.

    Before any work: the output folder is checked, and issues that would write the same file as
    another one fail with a problem naming both. `executor` runs the builds elsewhere
    (executors.py: a Dask cluster); None is the local pool (pool.py), where a worker process that
    dies costs only its own issue, which is tried once more. `out_dir` is a folder, or with an
    executor that supports it a URL its workers write to. `task(issue_dir, out_dir, formats)` is
    what a local worker runs (tests)."""
    out_dir = outputs.location(out_dir)
    if isinstance(out_dir, str) and executor is None:
        raise outputs.needs_cluster(out_dir)
    jobs = max(1, jobs or os.cpu_count() or 1)
    _check_out_dir(out_dir)
    stored = _read_manifest(out_dir)
    manifest = {_key(k): v for k, v in stored.items() if isinstance(v, dict)}
    outcomes: dict[str, Outcome] = {}
    keys = {str(folder): _key(folder) for folder in issue_dirs}
    first = {}  # one issue named twice (as a folder and inside its series) is built once
    for given, key in keys.items():
        first.setdefault(key, given)
    unique = list(first.values())
    collisions = _collisions({given: planned_stem(Path(given)) for given in unique}, out_dir, manifest, force,
                             formats)
    todo: list[tuple[str, str | None]] = []
    shared = tool_digest()

    def report(outcome: Outcome) -> None:
        outcomes[outcome.issue_dir] = outcome
        if progress:
            progress(outcome)

    for given in unique:
        if given in collisions:
            manifest.pop(keys[given], None)
            report(Outcome(given, "failed", problems=_problem_dicts([collisions[given]])))
            continue
        try:
            digest = input_digest(Path(given), shared)
        except (OSError, RuntimeError):
            digest = None
        entry = manifest.get(keys[given])
        if (not force and digest and entry and entry.get("digest") == digest
                and entry.get("formats", ["pdf"]) == list(formats) and _still_written(out_dir, entry)):
            names = _entry_names(entry)
            report(Outcome(given, "skipped", str(outputs.join(out_dir, names[0])), entry.get("pages", 0),
                           digest=digest, outputs=[str(outputs.join(out_dir, n)) for n in names],
                           sha256=entry.get("sha256")))
        else:
            todo.append((given, digest))

    def record(outcome: Outcome, digest: str | None) -> None:
        outcome.digest = digest
        key = keys[outcome.issue_dir]
        if outcome.status == "built" and digest:
            names = [_name(p) for p in (outcome.outputs or [outcome.output])]
            for other, entry in list(manifest.items()):  # --force took over another folder's file
                if other != key and set(_entry_names(entry)) & set(names):
                    del manifest[other]
            entry = {"digest": digest, "output": names[0], "pages": outcome.pages}
            for name in names:
                written = outcome.hashes.get(name) or _file_sha256(outputs.join(out_dir, name))
                entry[_hash_key(name)] = written
            if list(formats) != ["pdf"]:  # entries of PDF-only builds keep the shape they always had
                entry.update(formats=list(formats), outputs=names)
            manifest[key] = entry
        else:
            manifest.pop(key, None)
        report(outcome)

    if executor is not None:
        executor.build(todo, out_dir, record, formats)
    elif len(todo) <= 1 or jobs == 1:
        for given, digest in todo:
            record(task(given, str(out_dir), formats), digest)
    else:
        from .run import pool

        digests = dict(todo)

        def finished(given: str, result) -> None:
            status, value = result
            if status == "ok":
                record(value, digests[given])
                return
            if status == "died":
                how, how_en = value.describe()
                problem = Problem(Path(given), None, f"排版进程{how}，重试一次后仍未完成",
                                  f"the worker process {how_en}, also when tried again",
                                  "这一期可能太大或有问题：单独排这一期看看（bulletin build 这个文件夹）",
                                  "the issue may be too large or broken: build it on its own to see")
            else:
                problem = Problem(Path(given), None, f"排版进程出错：{value}", f"the worker failed: {value}")
            record(Outcome(given, "failed", problems=_problem_dicts([problem])), digests[given])

        pool.run([(given, (given, str(out_dir), formats)) for given, _ in todo], task, min(jobs, len(todo)),
                 finished, initializer=_warm_worker, max_tasks=MAX_TASKS)
    if manifest != stored:  # a failed build alone leaves nothing behind
        _write_manifest(out_dir, manifest)
    return [outcomes[first[keys[str(folder)]]] for folder in issue_dirs]
