"""Work WeasyPrint 70 repeats on every render that a warm process can keep.

Font subsets: `Font._harfbuzz_subset` turns a font and the set of glyphs a document uses into the
bytes embedded in the PDF — a pure function of the font file, the glyph set, hinting and the
missing-glyph map. Re-rendering an issue after a small edit (preview --watch, batch workers) uses
the same glyph sets, so the results are kept (bounded, least recently used): `cached_subset`.
Output bytes are identical with and without the cache (tested).

Image names: `relative_image_ids` makes the name an image gets in the PDF independent of where the
issue folder is on disk, so the same issue gives the same bytes in another checkout or in a
cluster worker's scratch folder (cluster.py).

Subsets and their deflated bytes also outlive the process (diskcache.disk, in the user's cache
folder): a fresh `bulletin build` of an issue whose glyphs an earlier process already
subset takes the subset (and engine.CompressOnce the deflated stream) from there instead of
making it again — ~0.1 s of a cold build of the sample. See diskcache.py.

Both are reached through patches.py (group "speed": `Font._harfbuzz_subset` and
`document.original_get_image_from_uri`), installed once per process by typeset.font_config().
"""
from __future__ import annotations

import hashlib
import inspect
from collections import OrderedDict

MAX_ENTRIES = 64
_cache: OrderedDict[tuple, bytes] = OrderedDict()


def cached_subset(original, font, to_unicode, hinting) -> None:
    """`original` (WeasyPrint's Font._harfbuzz_subset) for `font`, or its result kept from an
    earlier call — in this process or, through `disk`, an earlier one — with the same font
    bytes, glyph set, hinting and missing-glyph map. The font's bytes are known by their length
    and the SHA-256 of their first 64 KB, which hold the table directory with every table's
    checksum: another version of the file differs there."""
    from . import engine
    from .diskcache import disk, library_versions

    length, head = engine.face_identity(font)  # without copying the whole font file
    key = (font.hash, font.index, length, head,
           tuple(sorted(to_unicode)), bool(hinting), tuple(sorted(font.missing.items())))
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        font.file_content = hit
        return
    disk_key = repr((key[1:], library_versions())).encode()  # font.hash names the Pango description only
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
    and fewer automatic collections during layout (collector.fewer_collections). Once per process."""
    global _settled
    if _settled:
        return
    import gc

    from ..collector import fewer_collections

    gc.collect()
    gc.freeze()
    fewer_collections()
    _settled = True
