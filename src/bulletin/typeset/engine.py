"""Work WeasyPrint 70's PDF writer repeats on every render, removed (the "engine" group of patches.PATCHES).

- Font files: `Font.__init__` copied each font file whole out of HarfBuzz (`get_hb_object_data`)
  for every font of every render — 56.5 MB with the project's fonts, 13–27 ms — although a font
  that gets subset (all of ours) never needs the copy: the subset is made from the HarfBuzz face.
  `deferred_face_data` hands `Font` a `FaceBlob` instead, and `font_file_content` makes the copy
  only when something reads `font.file_content` (a font embedded whole, a variable or colour font).
- Compression: the font subsets, their ToUnicode maps and widths are the same from one render to
  the next, and were deflated again each time (~28 ms on the sample). `CompressOnce` keeps the
  deflated bytes by a hash of the raw bytes (bounded, least recently used).

Output bytes are the same with and without these (tests/test_speed.py).
"""
from __future__ import annotations

import hashlib
import types
import zlib
from collections import OrderedDict

import pydyf
from weasyprint.text.ffi import ffi, harfbuzz
from weasyprint.text.fonts import get_hb_object_data

HEAD = 65536  # what the subset cache hashes of a font file (speedups.cached_subset)


class FaceBlob:
    """A HarfBuzz face's file data, not copied yet (keeps the face alive until it is)."""

    __slots__ = ("face",)

    def __init__(self, face):
        self.face = face

    def _read(self, limit: int | None) -> bytes | None:
        blob = harfbuzz.hb_face_reference_blob(self.face)
        try:
            with ffi.new("unsigned int *") as length:
                data = harfbuzz.hb_blob_get_data(blob, length)
                if data == ffi.NULL:
                    return None
                size = int(length[0]) if limit is None else min(limit, int(length[0]))
                return ffi.unpack(data, size)
        finally:
            harfbuzz.hb_blob_destroy(blob)

    def __len__(self) -> int:
        blob = harfbuzz.hb_face_reference_blob(self.face)
        try:
            return int(harfbuzz.hb_blob_get_length(blob))
        finally:
            harfbuzz.hb_blob_destroy(blob)

    def __bool__(self) -> bool:
        return len(self) > 0

    def head(self, size: int) -> bytes:
        return self._read(size) or b""

    def materialize(self) -> bytes | None:
        """What WeasyPrint's get_hb_object_data(face) returns: the whole file, copied."""
        return self._read(None)


def deferred_face_data(hb_object, ot_color=None, glyph=None):
    """Replaces `get_hb_object_data` as seen by weasyprint/pdf/fonts.py (the whole file of a
    HarfBuzz face, copied into Python bytes; or a colour glyph's image).

    Why: `Font.__init__` and `Font._harfbuzz_subset` ask for the whole file of a face; the copy is
    put off until `font.file_content` is read (see `font_file_content`), which for a subset font
    is only its small subset. Colour glyph requests go to WeasyPrint unchanged."""
    if ot_color is not None or glyph is not None:
        return get_hb_object_data(hb_object, ot_color, glyph)
    return FaceBlob(hb_object)


def _get_file_content(font):
    value = font.__dict__.get("file_content")
    if isinstance(value, FaceBlob):
        value = value.materialize()
        font.__dict__["file_content"] = value
    return value


def _set_file_content(font, value) -> None:
    font.__dict__["file_content"] = value


font_file_content = property(_get_file_content, _set_file_content, doc=(
    "Added to weasyprint.pdf.fonts.Font (which has no such class attribute: `file_content` is a "
    "plain instance attribute there). Why: reading it turns a `FaceBlob` into the bytes WeasyPrint "
    "would have copied at once; writing it stores what WeasyPrint assigns, unchanged."))


def face_identity(font) -> tuple[int, bytes]:
    """Length and SHA-256 of the first 64 KB of a font's current file data, without copying the
    whole file (the subset cache's key)."""
    value = font.__dict__.get("file_content")
    if isinstance(value, FaceBlob):
        return len(value), hashlib.sha256(value.head(HEAD)).digest()
    value = font.file_content or b""
    return len(value), hashlib.sha256(value[:HEAD]).digest()


MAX_COMPRESSED = 256
DISK_MIN = 16384  # raw bytes from which a deflated stream is also kept on disk (diskcache.disk)
_compressed: OrderedDict[bytes, bytes] = OrderedDict()


class CompressOnce(pydyf.Stream):
    """pydyf.Stream whose deflated data is kept by the hash of its raw data: what
    `pydyf.Stream.data` writes, byte for byte (zlib level 9 gives the same output for the same
    input), without deflating again what an earlier render already did."""

    @property
    def data(self):
        if not self.compress:
            return super().data
        raw = b"\n".join(pydyf._to_bytes(item) for item in self.stream)
        key = hashlib.sha256(raw).digest()
        packed = _compressed.get(key)
        if packed is None:
            from .diskcache import disk, library_versions

            big = len(raw) >= DISK_MIN  # small ones (widths, most maps) are deflated in no time
            packed = disk.get("deflate", key + library_versions()) if big else None
            if packed is None:
                compressor = zlib.compressobj(level=9)
                packed = compressor.compress(raw) + compressor.flush()
                if big:
                    disk.put("deflate", key + library_versions(), packed)
            _compressed[key] = packed
            while len(_compressed) > MAX_COMPRESSED:
                _compressed.popitem(last=False)
        else:
            _compressed.move_to_end(key)
        extra = pydyf.Dictionary(self.extra.copy())
        extra["Filter"] = "/FlateDecode"
        extra["Length"] = len(packed)
        return b"\n".join((extra.data, b"stream", packed, b"endstream"))


# weasyprint/pdf/fonts.py uses pydyf.Array, Dictionary, Stream and String: the same, but a Stream
# there (font files, ToUnicode maps, widths) is a CompressOnce.
fonts_pydyf = types.ModuleType("bulletin_fonts_pydyf", doc=(
    "Replaces weasyprint.pdf.fonts.pydyf (the pydyf module as seen by WeasyPrint's font writer). "
    "Why: the same pydyf, but its Stream is CompressOnce, so font subsets, ToUnicode maps and widths "
    "an earlier render deflated are not deflated again; same bytes."))
fonts_pydyf.__dict__.update({name: getattr(pydyf, name) for name in dir(pydyf) if not name.startswith("__")})
fonts_pydyf.Stream = CompressOnce


def clear() -> None:
    _compressed.clear()
