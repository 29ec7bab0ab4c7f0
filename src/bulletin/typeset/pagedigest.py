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
import io
import marshal
import pickle


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


# ------------------------------------------------------------------ digests of the laid-out pages

# Every style property WeasyPrint 70 reads while painting (weasyprint/draw, stacking.py, text/ —
# the Pango layout a text box is drawn with —, pdf/, images.py, layout/background.py and
# layout/replaced.py, which drawing calls): tests/test_layout_digests.py reads those files and fails
# on a property missing here. The others act through the geometry, which is in the digest too.
DRAW_PROPERTIES = tuple(sorted({
    "background_attachment", "background_clip", "background_color", "background_image", "background_origin",
    "background_position", "background_repeat", "background_size", "border_collapse",
    "border_image_outset", "border_image_repeat", "border_image_slice", "border_image_source", "border_image_width",
    *(f"border_{side}_{what}" for side in ("top", "right", "bottom", "left") for what in ("color", "style", "width")),
    *(f"border_{corner}_radius" for corner in ("top_left", "top_right", "bottom_right", "bottom_left")),
    "box_shadow", "clip", "color", "column_count", "column_gap", "column_rule_color", "column_rule_style",
    "column_rule_width", "column_span", "column_width", "direction", "display", "empty_cells",
    "font_family", "font_feature_settings", "font_kerning", "font_language_override", "font_size", "font_stretch",
    "font_style", "font_variant_alternates", "font_variant_caps", "font_variant_east_asian",
    "font_variant_ligatures", "font_variant_numeric", "font_variant_position", "font_variation_settings",
    "font_weight", "height", "hyphenate_character", "hyphenate_limit_chars", "hyphenate_limit_zone", "hyphens",
    "image_orientation", "image_rendering", "image_resolution", "lang", "letter_spacing", "line_height",
    "list_style_type", "marks", "mask_border_mode", "mask_border_outset", "mask_border_repeat",
    "mask_border_slice", "mask_border_source", "mask_border_width", "object_fit", "object_position", "opacity",
    "outline_color", "outline_offset", "outline_style", "outline_width", "overflow", "overflow_wrap",
    "position", "tab_size", "text_decoration_color", "text_decoration_line", "text_decoration_style",
    "text_decoration_thickness", "text_transform", "text_underline_offset", "transform", "transform_origin",
    "visibility", "white_space", "width", "word_break", "word_spacing", "z_index",
}))

# Box attributes left out of a box's digest: its children (each in its own place), its style and
# element (below), its text layout (below); and what only laying out or other pages use (where a
# split box resumes, counters, string-set, bookmarks, the composition's planning notes).
_NOT_DRAWN = frozenset({
    "children", "style", "element", "pango_layout", "page", "footnote", "bulletin_origin", "bulletin_plan",
    "cached_counter_values", "resume_at", "string_set", "bookmark_label", "fixed_boxes", "page_type",
    "first_letter_style", "first_line_style",
})
# What of a text box's Pango layout decides its drawing: WeasyPrint draws the first line of
# `text` shaped in `max_width`; the composition's advances (lines._place: one per character, in
# px), its half-width marks and whether they are applied (glyphs.py)
_LAYOUT_ATTRIBUTES = ("text", "max_width", "justification_spacing", "bulletin_advances", "bulletin_half",
                      "bulletin_draw")

_file_hashes: dict[tuple, str] = {}  # (path, size, times, inode) → SHA-256 of a picture file's bytes


def _file_digest(path: str) -> str:
    import os

    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    key = (path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)  # (a file put back with its old time: ctime)
    digest = _file_hashes.get(key)
    if digest is None:
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if len(_file_hashes) > 512:
            _file_hashes.clear()
        _file_hashes[key] = digest
    return digest


_SHORTCUTS = None


def _shortcuts():
    """For each of DRAW_PROPERTIES: (inherited?, initial value or None when it needs computing,
    the logical properties that stand for it, or None when it needs WeasyPrint's own path)."""
    global _SHORTCUTS
    if _SHORTCUTS is None:
        from weasyprint.css.computed_values import PHYSICAL_FUNCTIONS
        from weasyprint.css.properties import INHERITED, INITIAL_NOT_COMPUTED, INITIAL_VALUES

        table = []
        for name in DRAW_PROPERTIES:
            if name in ("position", "float", "display", "page") or name.startswith("text_decoration_"):
                table.append(None)  # specified values kept, or propagated: WeasyPrint's path
                continue
            logical = PHYSICAL_FUNCTIONS.get(name)
            aliases = frozenset(logical(block="ttb", inline=direction) for direction in ("ltr", "rtl")) \
                if logical else frozenset()
            initial = None if name in INITIAL_NOT_COMPUTED else INITIAL_VALUES[name]
            table.append((name in INHERITED, name not in INITIAL_NOT_COMPUTED, initial, aliases))
        _SHORTCUTS = table
    return _SHORTCUTS


def _draw_values(style) -> list:
    """style[name] for every name of DRAW_PROPERTIES, without making WeasyPrint compute what is
    plain: a property not declared for the element (nor through a logical alias) is its parent's
    value when inherited, its initial value when that needs no computing — exactly what
    ComputedStyle.__missing__ and AnonymousStyle.__missing__ (weasyprint/css/__init__.py) give
    for it. Everything else is read from the style (computed there if it is not yet)."""
    kind = type(style).__name__
    if kind not in ("ComputedStyle", "AnonymousStyle"):
        return [style[name] for name in DRAW_PROPERTIES]
    anonymous = kind == "AnonymousStyle"
    cascaded = {} if anonymous else style.cascaded
    parent = style.parent_style
    out = []
    get = dict.get
    missing = _MISSING
    for name, shortcut in zip(DRAW_PROPERTIES, _shortcuts()):
        value = get(style, name, missing)
        if value is missing:
            if shortcut is None or name in cascaded or (shortcut[3] and not shortcut[3].isdisjoint(cascaded)):
                value = style[name]
            elif shortcut[0] and parent is not None:
                value = parent[name]
            elif shortcut[1] and (not shortcut[0] or not anonymous):
                value = shortcut[2]
            else:
                value = style[name]
        out.append(value)
    return out


_MISSING = object()


class _NotPlain(Exception):
    pass


class _Plain(pickle.Pickler):
    """A pickler for the digest: plain values only, structurally (`fast`: no memo, so the bytes
    depend on the values, not on which objects are shared)."""

    def __init__(self, file, encoder: _Encoder):
        super().__init__(file, protocol=5)
        self.fast = True
        self.encoder = encoder

    def reducer_override(self, obj):
        encoder = self.encoder
        if isinstance(obj, encoder.Style):  # a style (a background's): by its key
            return str, (encoder.style(obj),)
        if isinstance(obj, (encoder.RasterImage, encoder.SVGImage)):
            return str, (encoder.image(obj),)
        if isinstance(obj, encoder.refused):
            raise _NotPlain
        return NotImplemented


class _Encoder:
    """Plain text for the values a page is drawn from; objects by their attributes, images by
    content. A value it cannot spell out gets its object's identity: never equal from one render
    to the next (a page shown anew, never an old image for a new page)."""

    def __init__(self):
        from weasyprint.formatting_structure.boxes import Box
        from weasyprint.images import LazyImage, LazyLocalImage, RasterImage, SVGImage
        from weasyprint.layout.absolute import AbsolutePlaceholder

        self.Placeholder = AbsolutePlaceholder
        from weasyprint.css import Style

        self.Style = Style
        self.refused = (Box, LazyImage, LazyLocalImage, AbsolutePlaceholder)

        self.Box, self.RasterImage, self.SVGImage = Box, RasterImage, SVGImage
        self.LazyImage, self.LazyLocalImage = LazyImage, LazyLocalImage
        self.styles: dict[int, str] = {}
        self.images: dict[int, str] = {}
        self.shapes: dict[tuple, tuple[list[str], str]] = {}
        self.memo: dict[int, tuple[object, bytes]] = {}  # id of a style value → (the value, its encoding)

    def value(self, v, depth: int = 0) -> str:
        t = type(v)
        if v is None or t is bool or t is int or t is float or t is str:
            return repr(v)
        if t is tuple or t is list:
            return "(" + ",".join([self.value(x, depth) for x in v]) + ")"
        if isinstance(v, tuple):  # named tuples: Dimension, Background, BackgroundLayer…
            return t.__name__ + "(" + ",".join([self.value(x, depth) for x in v]) + ")"
        if isinstance(v, dict):
            return "{" + ",".join(sorted(f"{self.value(k, depth)}:{self.value(x, depth)}" for k, x in v.items())) + "}"
        if isinstance(v, (set, frozenset)):
            return "{" + ",".join(sorted(self.value(x, depth) for x in v)) + "}"
        if isinstance(v, (bytes, bytearray)):
            return "b" + hashlib.sha256(v).hexdigest()
        if isinstance(v, self.Box):
            return "<box>"  # drawn in its own place of the tree
        if isinstance(v, (self.RasterImage, self.SVGImage)):
            return self.image(v)
        if isinstance(v, self.Style):
            return self.style(v)
        if hasattr(v, "__dict__") and depth < 4:
            return t.__name__ + self.value(vars(v), depth + 1)
        slots = getattr(t, "__slots__", None)
        if slots and depth < 4:
            return t.__name__ + "(" + ",".join(self.value(getattr(v, s, None), depth + 1) for s in slots) + ")"
        return f"{t.__name__}@{id(v)}"

    def values(self, values: list) -> bytes:
        """value() of each, in one go where that is exact and quick: marshal (version 2: no
        references, equal values give equal bytes) for plain values and containers of them; else a
        pickle without memo (named tuples, objects by their class and every attribute, styles and
        images by their keys); else value() one by one (boxes, C data)."""
        try:  # (each encoding ends where a reader of it would stop: they can be put one after another)
            return b"m" + marshal.dumps(values, 2)
        except ValueError:
            pass
        buffer = io.BytesIO()
        try:
            _Plain(buffer, self).dump(values)
            return b"p" + buffer.getvalue()
        except (_NotPlain, TypeError, AttributeError, ValueError, RecursionError, pickle.PicklingError):
            text = "\x1f".join([self.value(v) for v in values]).encode("utf-8", "surrogatepass")
            return b"g" + len(text).to_bytes(8, "little") + text

    def image(self, image) -> str:
        key = self.images.get(id(image))
        if key is None:
            if isinstance(image, self.RasterImage):
                data = image.image_data
                if isinstance(data, self.LazyLocalImage):
                    content = _file_digest(data._filename)
                elif isinstance(data, self.LazyImage):
                    content = hashlib.sha256(data.data).hexdigest()
                else:
                    content = f"@{id(data)}"
                key = f"raster({image.id},{image.mode},{image.width},{image.height},{image.format}," \
                      f"{getattr(image, 'invert_colors', None)},{content})"
            else:  # an SVG: by its file where it has one (the and layout's files are in `extra`)
                from urllib.parse import unquote, urlsplit
                from urllib.request import url2pathname

                url = str(getattr(image, "_base_url", "") or "")
                if url.startswith("file:"):
                    key = f"svg({url},{_file_digest(url2pathname(unquote(urlsplit(url).path)))})"
                else:
                    key = f"svg@{id(image)}"
            self.images[id(image)] = key
        return key

    def style(self, style) -> str:
        """A style's key: the values of every DRAW_PROPERTIES property (computed now where
        WeasyPrint had not computed them yet: painting would, and then finds them done). All of
        them, not only those computed so far: which those are depends on what earlier renders
        left in caches, and would change digests for nothing."""
        key = self.styles.get(id(style))
        if key is None:
            memo = self.memo
            parts = []
            for value in _draw_values(style):
                # styles share most of their values (inherited, initial): each object encoded once
                known = memo.get(id(value))
                if known is None:
                    known = memo[id(value)] = (value, self.values([value]))  # (kept alive: ids stay unique)
                parts.append(known[1])
            key = self.styles[id(style)] = hashlib.sha256(b"".join(parts)).hexdigest()
        return key

    def box(self, box, out: list[bytes]) -> None:
        if isinstance(box, self.Placeholder):  # where a positioned box left the flow: the box itself
            box = object.__getattribute__(box, "_box")
        attributes = vars(box)
        shape = (type(box), *attributes)
        known = self.shapes.get(shape)
        if known is None:  # the box's kind and the names of its attributes, once per set of names
            names = [name for name in attributes if name not in _NOT_DRAWN]
            known = self.shapes[shape] = (names, hashlib.sha256(repr((type(box).__name__, names)).encode()).digest())
        names, key = known
        out.append(key)
        out.append(self.values([attributes[name] for name in names]))
        out.append(self.style(box.style).encode())
        element = getattr(box, "element", None)
        if element is not None:
            out.append(self.value((getattr(element, "tag", None), element.get("class") if hasattr(element, "get")
                                   else None)).encode("utf-8", "surrogatepass"))
        layout = attributes.get("pango_layout")
        if layout is not None:
            out.append(self.values([getattr(layout, name, None) for name in _LAYOUT_ATTRIBUTES]))
            # (painting sets the layout up again with the box's own style: layout.reactivate)
        children = attributes.get("children")
        if children:
            out.append(b"[")
            for child in children:
                self.box(child, out)
            out.append(b"]")


def layout_digests(document, extra: bytes = b"") -> list[str]:
    """One hex digest per page of a laid-out WeasyPrint document (typeset(paint=False)), before
    anything is painted: a page whose digest is unchanged paints to the same pixels.

    A page's digest covers its size and bleed and every box on it, in painting order: the kind of
    box, its geometry (position, size, margins, paddings, borders, baseline) and its other plain
    attributes, the style properties painting reads (DRAW_PROPERTIES), the element's tag and
    class, a text box's text and what its glyphs are drawn with (the composition's advances and
    half-width marks), images by content. `extra`: what lies outside the document (the picture
    files, the series folder, the layout's files: serve/renderer.py's surroundings)."""
    encoder = _Encoder()
    pages = []
    for page in document.pages:
        out = [encoder.values([page.width, page.height, page.bleed])]
        encoder.box(page._page_box, out)
        pages.append(out)
    # every picture of the document in every page's digest, as page_digests has every image stream:
    # a picture changed is rare, and its surroundings (the file's time) make every page anew anyway
    shared = hashlib.sha256(b"layout\0" + extra + "\0".join(sorted(encoder.images.values())).encode()).digest()
    digests = []
    for out in pages:
        h = hashlib.sha256(shared)
        for part in out:  # each part prefixed by its length: no two lists of parts run together alike
            h.update(len(part).to_bytes(4, "little"))
            h.update(part)
        digests.append(h.hexdigest()[:32])
    return digests
