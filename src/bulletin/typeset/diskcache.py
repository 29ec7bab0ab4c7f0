"""Bytes kept in the user's cache folder for later processes: the font subsets
(speedups.cached_subset) and the deflated font streams (engine.CompressOnce) a cold build would
otherwise make again (~0.1 s of a cold build of the sample).

Keys name everything the bytes depend on (the font file's identity, the glyph set, the flags —
see the callers — and `library_versions()`: WeasyPrint, HarfBuzz, zlib); every entry carries a
SHA-256 of its bytes, checked when read (a damaged entry is dropped and made again); writes are
atomic; the folder is bounded; a cache folder that cannot be read or written only costs time.
"""
from __future__ import annotations

import hashlib


class DiskStore:
    """Bytes by key in a folder of the user's cache (`kind`-<digest of the key> files), for later
    processes. Each file is MAGIC, the SHA-256 of the bytes, the bytes: read back only if they
    match. At most `max_files` files / `max_bytes` bytes (the oldest go when a write passes either)."""

    MAGIC = b"bulletin-cache-1\n"

    def __init__(self, name: str, max_files: int = 400, max_bytes: int = 200 << 20):
        self.name, self.max_files, self.max_bytes = name, max_files, max_bytes
        self.enabled = True

    def folder(self):
        from ..resources import cache_dir

        return cache_dir() / self.name

    def _path(self, kind: str, key: bytes):
        return self.folder() / f"{kind}-{hashlib.sha256(key).hexdigest()[:40]}"

    def get(self, kind: str, key: bytes) -> bytes | None:
        if not self.enabled:
            return None
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        head = len(self.MAGIC)
        payload = data[head + 32:]
        if data[:head] == self.MAGIC and hashlib.sha256(payload).digest() == data[head:head + 32]:
            return payload
        try:
            path.unlink()  # damaged: made again and written anew
        except OSError:
            pass
        return None

    def put(self, kind: str, key: bytes, payload: bytes) -> None:
        import os

        if not self.enabled:
            return
        path = self._path(kind, key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(self.MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
            self._prune()
        except OSError:  # a read-only or full cache folder only costs time
            try:
                tmp.unlink()
            except OSError:
                pass

    def _prune(self) -> None:
        entries = []
        for entry in self.folder().iterdir():
            if entry.name.startswith("."):
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            entries.append((st.st_mtime_ns, st.st_size, entry))
        total = sum(size for _t, size, _e in entries)
        entries.sort(key=lambda e: e[0])
        while entries and (len(entries) > self.max_files or total > self.max_bytes):
            _t, size, entry = entries.pop(0)
            total -= size
            try:
                entry.unlink()
            except OSError:
                pass

    def paused(self):
        """`with disk.paused():` nothing read or written meanwhile (one-off work, like the preview's
        PDFs of single pages, whose glyph sets no later process asks for)."""
        import contextlib

        @contextlib.contextmanager
        def pause():
            was, self.enabled = self.enabled, False
            try:
                yield
            finally:
                self.enabled = was
        return pause()

    def clear(self) -> None:
        import shutil

        shutil.rmtree(self.folder(), ignore_errors=True)


disk = DiskStore("pdf-fonts")  # font subsets ("subset-…") and deflated font streams ("deflate-…")


def library_versions() -> bytes:
    """What the cached bytes also depend on besides their key: the subsetter and the compressor."""
    global _versions
    if _versions is None:
        import zlib

        from weasyprint import __version__
        from weasyprint.text.ffi import harfbuzz

        def highest(at_least, top: int) -> int:  # the largest n ≤ top with at_least(n)
            low, high = 0, top
            while low < high:
                middle = (low + high + 1) // 2
                low, high = (middle, high) if at_least(middle) else (low, middle - 1)
            return low

        # WeasyPrint declares hb_version_atleast, not hb_version_string: the version found by asking
        major = highest(lambda n: harfbuzz.hb_version_atleast(n, 0, 0), 1000)
        minor = highest(lambda n: harfbuzz.hb_version_atleast(major, n, 0), 1000)
        micro = highest(lambda n: harfbuzz.hb_version_atleast(major, minor, n), 1000)
        _versions = (f"weasyprint {__version__}; harfbuzz {major}.{minor}.{micro}; "
                     f"zlib {zlib.ZLIB_RUNTIME_VERSION}").encode()
    return _versions


_versions: bytes | None = None
