"""Work WeasyPrint 70 repeats on every render that a warm process can keep.

Font subsets: `Font._harfbuzz_subset` turns a font and the set of glyphs a document uses into the
bytes embedded in the PDF — a pure function of the font file, the glyph set, hinting and the
missing-glyph map. Re-rendering an issue after a small edit (preview --watch, batch workers) uses
the same glyph sets, so the results are kept (bounded, least recently used): `cached_subset`.
Output bytes are identical with and without the cache (tested).

Image names: `relative_image_ids` makes the name an image gets in the PDF independent of where the
issue folder is on disk, so the same issue gives the same bytes in another checkout or in a
cluster worker's scratch folder (cluster.py).

Subsets and their deflated bytes also outlive the process (`disk`, a `DiskStore` in the user's
cache folder): a fresh `bulletin build` of an issue whose glyphs an earlier process already
subset takes the subset (and engine.CompressOnce the deflated stream) from there instead of
making it again — ~0.1 s of a cold build of the sample. Keys name everything the bytes depend
on (the font file's identity, the glyph set, the flags, the HarfBuzz and zlib versions); every
entry carries a SHA-256 of its bytes, checked when read (a damaged entry is dropped and made
again); writes are atomic; the folder is bounded; a cache that cannot be read or written only
costs time.

Both are reached through patches.py (group "speed": `Font._harfbuzz_subset` and
`document.original_get_image_from_uri`), installed once per process by typeset.font_config().
"""
from __future__ import annotations

import hashlib
import inspect
from collections import OrderedDict

MAX_ENTRIES = 64
_cache: OrderedDict[tuple, bytes] = OrderedDict()


class DiskStore:
    """Bytes by key in a folder of the user's cache (`kind`-<digest of the key> files), for later
    processes. Each file is MAGIC, the SHA-256 of the bytes, the bytes: read back only if they
    match. At most `max_files` files / `max_bytes` bytes (the oldest go when a write passes either)."""

    MAGIC = b"bulletin-cache-1\n"

    def __init__(self, name: str, max_files: int = 400, max_bytes: int = 200 << 20):
        self.name, self.max_files, self.max_bytes = name, max_files, max_bytes
        self.enabled = True

    def folder(self):
        from ..style.fonts import _cache_dir

        return _cache_dir() / self.name

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

    def clear(self) -> None:
        import shutil

        shutil.rmtree(self.folder(), ignore_errors=True)


disk = DiskStore("pdf-fonts")  # font subsets ("subset-…") and deflated font streams ("deflate-…")


def _library_versions() -> bytes:
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


def cached_subset(original, font, to_unicode, hinting) -> None:
    """`original` (WeasyPrint's Font._harfbuzz_subset) for `font`, or its result kept from an
    earlier call — in this process or, through `disk`, an earlier one — with the same font
    bytes, glyph set, hinting and missing-glyph map. The font's bytes are known by their length
    and the SHA-256 of their first 64 KB, which hold the table directory with every table's
    checksum: another version of the file differs there."""
    from . import engine

    length, head = engine.face_identity(font)  # without copying the whole font file
    key = (font.hash, font.index, length, head,
           tuple(sorted(to_unicode)), bool(hinting), tuple(sorted(font.missing.items())))
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        font.file_content = hit
        return
    disk_key = repr((key[1:], _library_versions())).encode()  # font.hash names the Pango description only
    hit = disk.get("subset", disk_key)
    if hit is None:
        before = font.__dict__.get("file_content")
        original(font, to_unicode, hinting)
        if font.__dict__.get("file_content") is not before:  # subset (a failure keeps the whole font, and warns)
            hit = font.file_content  # the subset's bytes (engine.font_file_content copies them now)
            if isinstance(hit, bytes) and hit:
                disk.put("subset", disk_key, hit)
    else:
        font.file_content = hit
    _cache[key] = font.file_content
    while len(_cache) > MAX_ENTRIES:
        _cache.popitem(last=False)


def relative_image_ids(original, *args, **kwargs):
    """`original` (WeasyPrint 70's `images.get_image_from_uri`, which the document calls for every
    <img>, background and SVG image), with the raster image renamed. WeasyPrint names a raster
    image in the PDF `i<md5 of its absolute URL>`, so an issue with pictures gave other bytes when
    its folder was elsewhere (another checkout, a cluster worker's scratch folder). This names it
    after its URL relative to the fetcher's allowed folders (typeset.SafeFetcher.roots: the issue
    folder, the layout, the fonts), which is the same wherever those folders are."""
    image = original(*args, **kwargs)
    given = inspect.signature(original).bind(*args, **kwargs).arguments
    roots = getattr(given.get("url_fetcher"), "roots", None)
    url = given.get("url")
    from weasyprint.images import RasterImage

    if not isinstance(image, RasterImage) or not roots or not isinstance(url, str) or not url.startswith("file:"):
        return image
    from pathlib import Path
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    path = Path(url2pathname(unquote(urlsplit(url).path))).resolve()
    for index, root in enumerate(roots):
        if path == root or root in path.parents:
            relative = f"{index}/{path.relative_to(root).as_posix()}"
            image.id = hashlib.md5(relative.encode(), usedforsecurity=False).hexdigest()
            break
    return image


def clear() -> None:
    _cache.clear()
    import sys

    engine = sys.modules.get(f"{__package__}.engine")  # its compressed streams, where it was loaded
    if engine is not None:
        engine.clear()


_settled = False


def settle() -> None:
    """In a long-lived process, after its first render: collect the garbage, then freeze what is
    left (modules, fonts, caches — it lives as long as the process) out of the collector's reach.
    Each later collection then scans only a render's own objects: ~55 → ~7 ms per gc.collect(),
    and fewer automatic collections during layout. Once per process."""
    global _settled
    if _settled:
        return
    import gc

    gc.collect()
    gc.freeze()
    _settled = True
