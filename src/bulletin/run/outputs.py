"""Where a batch's PDFs and manifest go: a folder on this machine, or a URL that cluster workers
write to directly (`file:///mnt/shared/out`, `s3://bucket/bulletins`, any fsspec filesystem).

A plain path stays a `Path` everywhere (today's behaviour); a URL is kept as a string and goes
through fsspec (https://filesystem-spec.readthedocs.io), so every filesystem fsspec knows works
without code of ours. Writes are atomic on every kind of store:

- on a local or mounted filesystem (`file://`): a temporary file in the same folder, synced, then
  renamed over the target (write.py);
- on an object store (s3, gcs, azure…): one PUT, which is all-or-nothing by the store's design;
- on other remote filesystems (sftp, smb…): a temporary name, then a move.

Temporary names are `.<name>.<tag>.tmp`, so a writer that died half-way (a cluster worker killed
mid-task) leaves a hidden file that `sweep` removes, never a damaged PDF under the real name.
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from ..errors import BulletinError, Problem

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss", "r2", "memory"}


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and bool(_URL.match(target))


def location(target: str | Path) -> Path | str:
    """A plain path as Path (as before), a URL as the URL string without a trailing slash."""
    if is_url(target):
        return str(target).rstrip("/")
    return Path(target)


def join(base: Path | str, name: str) -> Path | str:
    return f"{base}/{name}" if isinstance(base, str) else Path(base) / name


def _fs(url: str):
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec comes with bulletin[cluster]
        raise BulletinError(Problem(None, None, f"输出到 {url} 需要 fsspec", f"writing to {url} needs fsspec",
                                    "安装集群组件：pip install 'bulletin[cluster]'",
                                    "install the cluster extra: pip install 'bulletin[cluster]'")) from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # unknown protocol, or its package (s3fs…) missing
        raise BulletinError(Problem(None, None, f"无法使用输出地址 {url}：{exc}", f"cannot use the output URL {url}: {exc}",
                                    "检查地址；s3:// 需要 pip install s3fs，gs:// 需要 gcsfs",
                                    "check the URL; s3:// needs pip install s3fs, gs:// needs gcsfs")) from None


def _resolve(target: Path | str):
    """(local path, None, "") for a path or a file:// URL; (None, filesystem, path) for a remote store."""
    if isinstance(target, Path) or not is_url(target):
        return Path(target), None, ""
    from fsspec.implementations.local import LocalFileSystem

    fs, path = _fs(target)
    if isinstance(fs, LocalFileSystem):
        return Path(path), None, ""
    return None, fs, path


def local_path(target: Path | str) -> Path | None:
    """The path on this machine that `target` names; None for a remote store."""
    return _resolve(target)[0]


def exists(target: Path | str) -> bool:
    local, fs, path = _resolve(target)
    if local is not None:
        return local.is_file()
    try:
        return fs.isfile(path)
    except OSError:
        return False


def read(target: Path | str) -> bytes | None:
    """The file's bytes, or None when it is not there."""
    local, fs, path = _resolve(target)
    try:
        return local.read_bytes() if local is not None else fs.cat_file(path)
    except (OSError, KeyError):  # KeyError: memory:// on some fsspec versions
        return None


def _protocols(fs) -> set[str]:
    return {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)


def write_atomic(target: Path | str, data: bytes, tag: str | None = None) -> None:
    """Write `data` so that `target` appears whole or not at all (see the module's docstring)."""
    from ..output import write

    local, fs, path = _resolve(target)
    if local is not None:
        write.write_atomic(local, data)
        return
    if _protocols(fs) & OBJECT_STORES:
        fs.pipe_file(path, data)
        return
    parent, _, name = path.rpartition("/")
    tmp = f"{parent}/.{name}.{tag or uuid.uuid4().hex}.tmp"
    fs.makedirs(parent, exist_ok=True)
    try:
        fs.pipe_file(tmp, data)
        fs.mv(tmp, path)
    except BaseException:
        try:
            fs.rm_file(tmp)
        except (OSError, KeyError):
            pass
        raise


def sweep(target: Path | str) -> int:
    """Remove temporary files left next to `target` by writers that died half-way; returns how
    many. Only hidden `.<name>.*.tmp` files of this one output are touched."""
    local, fs, path = _resolve(target)
    if local is None and _protocols(fs) & OBJECT_STORES:
        return 0  # written in one PUT: never a temporary file
    name = local.name if local is not None else path.rpartition("/")[2]
    pattern = f".{name}.*.tmp"
    found = list(local.parent.glob(pattern)) if local is not None else fs.glob(f"{path.rpartition('/')[0]}/{pattern}")
    removed = 0
    for tmp in found:
        try:
            tmp.unlink() if local is not None else fs.rm_file(tmp)
            removed += 1
        except (OSError, KeyError):
            pass
    return removed


def needs_cluster(url: str) -> BulletinError:
    """The problem of a URL output without a cluster: the local pool writes to a folder."""
    return BulletinError(Problem(
        None, None, f"输出地址 {url} 是 URL：只有集群的工作节点能直接写入（加 --scheduler）",
        f"the output {url} is a URL: only cluster workers write to one (add --scheduler)",
        "本机排版时 -o 写文件夹路径；用集群时加 --scheduler tcp://主机:8786",
        "on this machine give -o a folder; with a cluster add --scheduler tcp://HOST:8786"))
