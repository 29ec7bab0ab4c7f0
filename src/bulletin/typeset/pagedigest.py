"""A digest of what each page of a render shows, so a preview re-rasterises only the pages an edit
changed (issue 17).

WeasyPrint calls a `finisher(document, pdf)` with the finished pydyf PDF just before writing it
(its documented write_pdf parameter; it changes nothing here). A page's digest covers:
- its content stream (every drawing operation of the page; glyph ids are the fonts' own, kept
  through subsetting, so a glyph used on another page changes nothing here);
- its boxes (MediaBox, TrimBox, BleedBox);
- a document-wide part: every other stream that pages draw with — images, transparency groups,
  patterns — by content. Font files and their maps are left out (they change whenever a character
  is first used anywhere, and a page's drawing names its glyphs exactly).
Anything else that could change a page without changing its drawing (a picture file, series.yaml,
the layout) is also in the document-wide part through the streams it produces; callers may add
their own key (`extra`) for what lies outside the PDF.
"""
from __future__ import annotations

import hashlib


def _raw(stream) -> bytes:
    import pydyf

    return b"\n".join(pydyf._to_bytes(item) for item in stream.stream)


def _is_font_stream(stream) -> bool:
    """Streams made by weasyprint/pdf/fonts.py: font files, ToUnicode maps."""
    from . import engine

    if isinstance(stream, engine.CompressOnce):
        return True
    extra = stream.extra or {}
    if "Length1" in extra or extra.get("Subtype") == "/OpenType":
        return True
    return bool(stream.stream) and stream.stream[0] == b"/CIDInit /ProcSet findresource begin"


def page_digests(pdf, extra: bytes = b"") -> list[str]:
    """One hex digest per page of a pydyf PDF, in page order."""
    import pydyf

    kids = list(pdf.pages["Kids"])
    numbers = [int(kids[i]) for i in range(0, len(kids), 3)]
    pages = [pdf.objects[n] for n in numbers]
    contents = {}
    for page in pages:
        reference = page["Contents"]
        number = int(reference.split()[0]) if isinstance(reference, bytes) else int(str(reference).split()[0])
        contents[id(page)] = pdf.objects[number]
    page_streams = {id(s) for s in contents.values()}
    shared = hashlib.sha256(extra)
    others = sorted(hashlib.sha256(_raw(obj) + b"\0" + pydyf._to_bytes(obj.extra)).digest()
                    for obj in pdf.objects
                    if isinstance(obj, pydyf.Stream) and id(obj) not in page_streams and not _is_font_stream(obj))
    for digest in others:
        shared.update(digest)
    shared = shared.digest()
    result = []
    for page in pages:
        h = hashlib.sha256(shared)
        for box in ("MediaBox", "TrimBox", "BleedBox"):
            h.update(pydyf._to_bytes(page.get(box, b"")))
        h.update(_raw(contents[id(page)]))
        result.append(h.hexdigest()[:32])
    return result


class Collector:
    """A write_pdf finisher that keeps the page digests of the last PDF written with it."""

    def __init__(self, extra: bytes = b""):
        self.extra = extra
        self.digests: list[str] = []

    def __call__(self, document, pdf) -> None:
        self.digests = page_digests(pdf, self.extra)
