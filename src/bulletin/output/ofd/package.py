"""Writes drawing items (pdfscan.Page) as an OFD package (GB/T 33190-2016): a zip with

    OFD.xml                          entry: document metadata (DocInfo), where the document is
    Doc_0/Document.xml               pages, page area, outline, resource files
    Doc_0/PublicRes.xml              colour spaces and fonts
    Doc_0/DocumentRes.xml            images (MultiMedia)
    Doc_0/Res/font_N.otf|ttf         the embedded font programs, byte for byte the PDF's subsets
    Doc_0/Res/image_N.png|jpg        the images
    Doc_0/Pages/Page_N/Content.xml   one layer of text, path and image objects per page

Units are millimetres, y points down. Every object carries its Boundary (which the standard
makes its clipping rectangle); positions inside an object are relative to its Boundary. Text
objects hold one TextCode per PDF text-showing operator: the characters and DeltaX, the distance
from each character to the next, so justification, compression and hanging punctuation land where
the PDF has them; a CGTransform names the glyph wherever the font's cmap would pick another one.

Bytes are a pure function of the input: IDs are given in order of first use, numbers are written
with a fixed precision, zip entries carry a fixed date and order.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from .pdfscan import Clip, Color, Page, Picture, Shape, TextRun, rect_of

NS = "http://www.ofdspec.org/2016"
ET.register_namespace("ofd", NS)
DOC = "Doc_0"
PRECISION = 3  # decimals of a millimetre: 1 µm, well below a device pixel at 2400 dpi (10.6 µm)


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def fmt(value: float) -> str:
    text = f"{value:.{PRECISION}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def fmt_all(values) -> str:
    return " ".join(fmt(v) for v in values)


def delta_list(positions: list[float]) -> list[float]:
    """Distances between successive positions, each rounded to PRECISION so that their running
    sum stays within half a unit of the true position (no drift along a line)."""
    out, current = [], round(positions[0], PRECISION)
    for p in positions[1:]:
        d = round(p - current, PRECISION)
        out.append(d)
        current = round(current + d, PRECISION)
    return out


def compress_deltas(deltas: list[float]) -> str:
    """DeltaX/DeltaY text with the standard's abbreviation “g N v” for N equal values."""
    parts: list[str] = []
    i = 0
    while i < len(deltas):
        j = i
        while j + 1 < len(deltas) and deltas[j + 1] == deltas[i]:
            j += 1
        count = j - i + 1
        if count >= 3:
            parts.append(f"g {count} {fmt(deltas[i])}")
        else:
            parts.extend(fmt(deltas[i]) for _ in range(count))
        i = j + 1
    return " ".join(parts)


def expand_deltas(text: str) -> list[float]:
    """The inverse of compress_deltas (as a reader applies it)."""
    tokens = text.split()
    out: list[float] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "g":
            out.extend([float(tokens[i + 2])] * int(tokens[i + 1]))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out


@dataclass
class DocInfo:
    doc_id: str  # 32 hexadecimal characters
    title: str = ""
    author: str = ""
    subject: str = ""
    abstract: str = ""
    creation_date: dt.date | None = None
    mod_date: dt.date | None = None
    keywords: list[str] = field(default_factory=list)
    creator: str = ""
    creator_version: str = ""
    custom: list[tuple[str, str]] = field(default_factory=list)  # CustomData Name → value


@dataclass
class OutlineItem:
    title: str
    page: int  # index
    left: float  # mm
    top: float
    children: list["OutlineItem"] = field(default_factory=list)


@dataclass
class FontNaming:
    """How a font resource is named: FontName (unique in the document) and the FamilyName a
    reader without the embedded program substitutes from (e.g. 仿宋)."""
    font_name: str
    family_name: str


COLOR_SPACES = {"rgb": "RGB", "cmyk": "CMYK", "gray": "GRAY"}
CAPS = {0: "Butt", 1: "Round", 2: "Square"}
JOINS = {0: "Miter", 1: "Round", 2: "Bevel"}


class _Ids:
    def __init__(self):
        self.last = 0

    def next(self) -> int:
        self.last += 1
        return self.last


def _bbox(points) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _intersect(a, b):
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] < box[2] and box[1] < box[3] else None


def _inside(inner, outer, tol: float = 1e-6) -> bool:
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol and inner[2] <= outer[2] + tol
            and inner[3] <= outer[3] + tol)


def _round_box(box) -> tuple[float, float, float, float]:
    """Boundary on the PRECISION grid, never smaller than the box (it clips)."""
    step = 10 ** -PRECISION
    x0 = math.floor(box[0] / step + 1e-6) * step
    y0 = math.floor(box[1] / step + 1e-6) * step
    x1 = math.ceil(box[2] / step - 1e-6) * step
    y1 = math.ceil(box[3] / step - 1e-6) * step
    return round(x0, PRECISION), round(y0, PRECISION), round(max(x1, x0 + step), PRECISION), \
        round(max(y1, y0 + step), PRECISION)


def _boundary_attr(box) -> str:
    return fmt_all((box[0], box[1], box[2] - box[0], box[3] - box[1]))


def rect_region(rects: list[tuple[float, float, float, float]], even_odd: bool,
                clip: tuple[float, float, float, float] | None) -> list[tuple[float, float, float, float]]:
    """The area painted by filling axis-aligned rectangles (non-zero or even-odd), cut to `clip`,
    as disjoint rectangles: exact, so a clipped border strip becomes the strip itself."""
    xs = sorted({r[0] for r in rects} | {r[2] for r in rects} | ({clip[0], clip[2]} if clip else set()))
    ys = sorted({r[1] for r in rects} | {r[3] for r in rects} | ({clip[1], clip[3]} if clip else set()))
    rows: list[list[tuple[float, float]]] = []
    for y0, y1 in zip(ys, ys[1:]):
        spans: list[tuple[float, float]] = []
        for x0, x1 in zip(xs, xs[1:]):
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            if clip and not (clip[0] <= cx <= clip[2] and clip[1] <= cy <= clip[3]):
                continue
            count = sum(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in rects)
            if (count % 2 == 1) if even_odd else count > 0:
                if spans and spans[-1][1] == x0:
                    spans[-1] = (spans[-1][0], x1)
                else:
                    spans.append((x0, x1))
        rows.append(spans)
    out: list[tuple[float, float, float, float]] = []
    open_rects: dict[tuple[float, float], list[float]] = {}
    for (y0, y1), spans in zip(zip(ys, ys[1:]), rows):
        current = {}
        for span in spans:
            if span in open_rects and open_rects[span][1] == y0:
                current[span] = [open_rects[span][0], y1]
            else:
                current[span] = [y0, y1]
        for span, (top, bottom) in open_rects.items():
            if span not in current or current[span][0] != top:
                out.append((span[0], top, span[1], bottom))
        open_rects = current
    for span, (top, bottom) in open_rects.items():
        out.append((span[0], top, span[1], bottom))
    return sorted(out, key=lambda r: (r[1], r[0]))


class OfdWriter:
    """Collects the pages of one document and writes the package."""

    def __init__(self, info: DocInfo, naming=None):
        self.info = info
        self.naming = naming or (lambda name: FontNaming(name, name))  # PDF face name → FontNaming
        self.ids = _Ids()
        self.color_spaces: dict[str, int] = {}
        self.fonts: dict[str, tuple[int, object]] = {}  # font key → (ID, PdfFont)
        self.font_names: set[str] = set()
        self.images: dict[str, tuple[int, object]] = {}
        self.pages: list[tuple[int, Page, list[list]]] = []  # (page ID, page, layers of items)
        self.outline: list[OutlineItem] = []
        self.resource_files: dict[str, bytes] = {}
        self.page_area: tuple[float, float] = (210.0, 297.0)  # the first page's, set by package()

    # ------------------------------------------------------------ resources

    def _color_space(self, kind: str) -> int:
        if kind not in self.color_spaces:
            self.color_spaces[kind] = self.ids.next()
        return self.color_spaces[kind]

    def _font(self, font) -> int:
        if font.key not in self.fonts:
            self.fonts[font.key] = (self.ids.next(), font)
        return self.fonts[font.key][0]

    def _image(self, image) -> int:
        if image.key not in self.images:
            self.images[image.key] = (self.ids.next(), image)
        return self.images[image.key][0]

    def add_page(self, page: Page, *overlays: Page) -> None:
        """A page, with the items of `overlays` in a foreground layer (a copy's stamp)."""
        page_id = self.ids.next()
        self.pages.append((page_id, page, [page.items, *[o.items for o in overlays]]))
        # resources get their IDs in order of use, before the page's own objects
        for layer in self.pages[-1][2]:
            for item in layer:
                self._register(item)

    def _register(self, item) -> None:
        if isinstance(item, TextRun):
            self._font(item.font)
            for color in (item.fill, item.stroke):
                if color:
                    self._color_space(color.space)
        elif isinstance(item, Shape):
            for color in (item.fill, item.stroke):
                if color:
                    self._color_space(color.space)
        elif isinstance(item, Picture):
            self._image(item.image)

    # ------------------------------------------------------------ XML of the parts

    def _color(self, parent, tag: str, color: Color, alpha: float) -> None:
        scale = 255
        attrs = {"Value": " ".join(str(round(v * scale)) for v in color.values),
                 "ColorSpace": str(self.color_spaces[color.space])}
        if alpha < 1:
            attrs["Alpha"] = str(round(alpha * 255))
        ET.SubElement(parent, q(tag), attrs)

    def _clip_element(self, obj, clip: Clip, origin: tuple[float, float]) -> None:
        """Clips for a clipping path that is not one rectangle: each path has its Boundary in the
        object's coordinates and its points relative to that Boundary, like a PathObject."""
        clips = ET.SubElement(obj, q("Clips"))
        for subpaths, even_odd in clip.paths:
            points = [p for sub in subpaths for op, pts in sub for p in zip(pts[0::2], pts[1::2])]
            box = _round_box(_bbox(points))
            relative = (box[0] - origin[0], box[1] - origin[1], box[2] - origin[0], box[3] - origin[1])
            area = ET.SubElement(ET.SubElement(clips, q("Clip")), q("Area"))
            attrs = {"Boundary": _boundary_attr(relative), "Stroke": "false", "Fill": "true"}
            if even_odd:
                attrs["Rule"] = "Even-Odd"
            path = ET.SubElement(area, q("Path"), attrs)
            ET.SubElement(path, q("AbbreviatedData")).text = _abbreviated(subpaths, (box[0], box[1]))

    def _apply_clip(self, box, clip: Clip | None):
        """(Boundary, Clip needing a Clips element) for an object whose content spans `box`: a
        rectangular clip becomes the Boundary (which the standard makes the clipping rectangle)."""
        if clip is None:
            return box, None
        if clip.rect is not None:
            if _inside(box, clip.rect):
                return box, None
            return _intersect(box, clip.rect), None
        return box, clip

    def _text(self, layer, run: TextRun) -> None:
        font_id = self.fonts[run.font.key][0]
        size = run.size
        # the Boundary clips: it spans every outline of the face (head bbox), 0.1 em to spare
        x_min, y_min, x_max, y_max = run.font.bbox
        left = min(x_min / 1000, 0) - 0.1
        top = max(y_max, run.font.ascent) / 1000 + 0.1
        bottom = max(-y_min, -run.font.descent) / 1000 + 0.1
        if run.linear is None:
            xs = [g.x + left * size for g in run.glyphs] + \
                 [g.x + max(g.advance, x_max / 1000 * size) + 0.1 * size for g in run.glyphs]
            ys = [g.y for g in run.glyphs]
            box = (min(xs), min(ys) - top * size, max(xs), max(ys) + bottom * size)
            inverse = None
        else:
            a, b, c, d = run.linear  # em (u, v up) → page mm (y down)
            corners = []
            for g in run.glyphs:
                w = max(g.advance / size if size else 1, x_max / 1000) + 0.1
                for u, v in ((left, -bottom), (w, -bottom), (left, top), (w, top)):
                    corners.append((g.x + u * a + v * c, g.y + u * b + v * d))
            box = _bbox(corners)
            # CTM C with C · diag(s, -s) = linear: C = linear · diag(1/s, -1/s)
            ca, cb, cc, cd = a / size, b / size, -c / size, -d / size
            det = ca * cd - cb * cc
            inverse = (cd / det, -cb / det, -cc / det, ca / det)
        box, clip = self._apply_clip(box, run.clip)
        if box is None:
            return  # clipped away entirely
        box = _round_box(box)
        attrs = {"ID": str(self.ids.next()), "Boundary": _boundary_attr(box), "Font": str(font_id), "Size": fmt(size)}
        if inverse is not None:
            a, b, c, d = run.linear
            attrs["CTM"] = fmt_all((a / size, b / size, -c / size, -d / size, 0, 0))
        if run.stroke is not None:
            attrs["Stroke"] = "true"
            attrs["LineWidth"] = fmt(run.line_width)
        if run.fill is None:
            attrs["Fill"] = "false"
        if abs(run.hscale - 1) > 1e-6:
            attrs["HScale"] = fmt(run.hscale)
        obj = ET.SubElement(layer, q("TextObject"), attrs)
        if clip is not None:
            self._clip_element(obj, clip, (box[0], box[1]))
        if run.fill is not None:
            self._color(obj, "FillColor", run.fill, run.fill_alpha)
        if run.stroke is not None:
            self._color(obj, "StrokeColor", run.stroke, run.stroke_alpha)
        # characters and their positions (object coordinates). Where a glyph is not the one the
        # font's cmap gives for its character, CGTransforms name the glyphs: one for the whole
        # TextCode when every glyph stands for one character (readers cope best with a single
        # CGTransform), else one per differing glyph (a cluster of characters drawn as one glyph)
        cmap = run.font.cmap()
        chars: list[str] = []
        xs: list[float] = []
        ys: list[float] = []
        transforms: list[tuple[int, int, list[int]]] = []  # (code position, code count, glyphs)
        if run.linear is None:
            baseline = (1.0, 0.0)
        else:
            norm = math.hypot(run.linear[0], run.linear[1]) or 1.0
            baseline = (run.linear[0] / norm, run.linear[1] / norm)
        for g in run.glyphs:
            text = g.text if g.text else "\u200b"  # a glyph without text (part of a cluster)
            if len(text) != 1 or cmap.get(ord(text)) != g.gid:
                transforms.append((len(chars), len(text), [g.gid]))
            # the characters of a cluster share its advance, so a reader that ignores the
            # CGTransform and draws each character from the cmap still draws them side by side
            step = g.advance / len(text)
            for k, ch in enumerate(text):
                x = g.x + k * step * baseline[0] - box[0]
                y = g.y + k * step * baseline[1] - box[1]
                if inverse is not None:
                    x, y = inverse[0] * x + inverse[2] * y, inverse[1] * x + inverse[3] * y
                chars.append(ch)
                xs.append(x)
                ys.append(y)
        if transforms and all(count == 1 for _, count, _ in transforms) and len(chars) == len(run.glyphs):
            transforms = [(0, len(chars), [g.gid for g in run.glyphs])]
        for position, count, glyphs in transforms:
            cg = ET.SubElement(obj, q("CGTransform"), {"CodePosition": str(position), "CodeCount": str(count),
                                                       "GlyphCount": str(len(glyphs))})
            ET.SubElement(cg, q("Glyphs")).text = " ".join(map(str, glyphs))
        code = ET.SubElement(obj, q("TextCode"), {"X": fmt(xs[0]), "Y": fmt(ys[0])})
        if len(chars) > 1:
            dx = delta_list(xs)
            if any(dx):
                code.set("DeltaX", compress_deltas(dx))
            dy = delta_list(ys)
            if any(dy):
                code.set("DeltaY", compress_deltas(dy))
        code.text = "".join(chars)

    def _path(self, layer, shape: Shape) -> None:
        subpaths = shape.subpaths
        clip = shape.clip
        if shape.stroke is None and shape.fill is not None:
            rects = [rect_of([s]) for s in subpaths]
            if all(rects) and (clip is None or clip.rect is not None):
                region = rect_region(rects, shape.even_odd, clip.rect if clip else None)
                if not region:
                    return
                subpaths = [[("M", (r[0], r[1])), ("L", (r[2], r[1])), ("L", (r[2], r[3])), ("L", (r[0], r[3])),
                             ("C", ())] for r in region]
                clip = None
        points = [p for sub in subpaths for op, pts in sub for p in zip(pts[0::2], pts[1::2])]
        if not points:
            return
        box = _bbox(points)
        if shape.stroke is not None:
            pad = shape.line_width / 2 * (shape.miter_limit if shape.join == 0 else 1.5)
            pad = min(pad, shape.line_width * 5) + 0.001
            box = (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
        box, clip = self._apply_clip(box, clip)
        if box is None:
            return
        box = _round_box(box)
        attrs = {"ID": str(self.ids.next()), "Boundary": _boundary_attr(box)}
        if shape.stroke is not None:
            attrs["LineWidth"] = fmt(shape.line_width)
            if shape.cap:
                attrs["Cap"] = CAPS[shape.cap]
            if shape.join:
                attrs["Join"] = JOINS[shape.join]
            if shape.join == 0:
                attrs["MiterLimit"] = fmt(shape.miter_limit)
            if shape.dash:
                attrs["DashPattern"] = fmt_all(shape.dash[0])
                if shape.dash[1]:
                    attrs["DashOffset"] = fmt(shape.dash[1])
        else:
            attrs["Stroke"] = "false"
        if shape.fill is not None:
            attrs["Fill"] = "true"
            if shape.even_odd and subpaths is shape.subpaths:
                attrs["Rule"] = "Even-Odd"
        obj = ET.SubElement(layer, q("PathObject"), attrs)
        if clip is not None:
            self._clip_element(obj, clip, (box[0], box[1]))
        if shape.stroke is not None:
            self._color(obj, "StrokeColor", shape.stroke, shape.stroke_alpha)
        if shape.fill is not None:
            self._color(obj, "FillColor", shape.fill, shape.fill_alpha)
        ET.SubElement(obj, q("AbbreviatedData")).text = _abbreviated(subpaths, (box[0], box[1]))

    def _picture(self, layer, picture: Picture) -> None:
        a, b, c, d, e, f = picture.matrix
        corners = [(e, f), (a + e, b + f), (c + e, d + f), (a + c + e, b + d + f)]
        box, clip = self._apply_clip(_bbox(corners), picture.clip)
        if box is None:
            return
        box = _round_box(box)
        attrs = {"ID": str(self.ids.next()), "Boundary": _boundary_attr(box),
                 "CTM": fmt_all((a, b, c, d, e - box[0], f - box[1])),
                 "ResourceID": str(self.images[picture.image.key][0])}
        if picture.alpha < 1:
            attrs["Alpha"] = str(round(picture.alpha * 255))
        obj = ET.SubElement(layer, q("ImageObject"), attrs)
        if clip is not None:
            self._clip_element(obj, clip, (box[0], box[1]))

    def _page_xml(self, page_id: int, page: Page, layers: list[list]) -> bytes:
        root = ET.Element(q("Page"))
        if (round(page.width, PRECISION), round(page.height, PRECISION)) != self.page_area:
            area = ET.SubElement(root, q("Area"))
            ET.SubElement(area, q("PhysicalBox")).text = fmt_all((0, 0, page.width, page.height))
        content = ET.SubElement(root, q("Content"))
        for n, items in enumerate(layers):
            layer = ET.SubElement(content, q("Layer"), {"ID": str(self.ids.next()),
                                                        **({"Type": "Foreground"} if n else {})})
            for item in items:
                if isinstance(item, TextRun):
                    self._text(layer, item)
                elif isinstance(item, Shape):
                    self._path(layer, item)
                else:
                    self._picture(layer, item)
        return _xml(root)

    def _res_xml(self, kind: str) -> bytes:
        root = ET.Element(q("Res"), {"BaseLoc": "Res"})
        if kind == "public":
            if self.color_spaces:
                spaces = ET.SubElement(root, q("ColorSpaces"))
                for space, ident in sorted(self.color_spaces.items(), key=lambda kv: kv[1]):
                    ET.SubElement(spaces, q("ColorSpace"), {"ID": str(ident), "Type": COLOR_SPACES[space],
                                                            "BitsPerComponent": "8"})
            if self.fonts:
                fonts = ET.SubElement(root, q("Fonts"))
                used_names: set[str] = set()
                for ident, font in sorted(self.fonts.values(), key=lambda v: v[0]):
                    naming = self.naming(font.name)
                    name = naming.font_name
                    n = 2
                    while name in used_names:  # two subsets of one face (a copy's stamp): distinct names
                        name = f"{naming.font_name}-{n}"
                        n += 1
                    used_names.add(name)
                    attrs = {"ID": str(ident), "FontName": name, "FamilyName": naming.family_name}
                    if font.bold:
                        attrs["Bold"] = "true"
                    if font.italic:
                        attrs["Italic"] = "true"
                    if font.serif:
                        attrs["Serif"] = "true"
                    if font.fixed:
                        attrs["FixedWidth"] = "true"
                    element = ET.SubElement(fonts, q("Font"), attrs)
                    file = f"font_{ident}.{font.kind}"
                    ET.SubElement(element, q("FontFile")).text = file
                    self.resource_files[f"{DOC}/Res/{file}"] = font.program
        else:
            if self.images:
                media = ET.SubElement(root, q("MultiMedias"))
                for ident, image in sorted(self.images.values(), key=lambda v: v[0]):
                    element = ET.SubElement(media, q("MultiMedia"), {"ID": str(ident), "Type": "Image",
                                                                     "Format": image.format})
                    file = f"image_{ident}.{'jpg' if image.format == 'JPEG' else 'png'}"
                    ET.SubElement(element, q("MediaFile")).text = file
                    self.resource_files[f"{DOC}/Res/{file}"] = image.data
        return _xml(root)

    def _outline_xml(self, parent, items: list[OutlineItem], page_ids: list[int]) -> None:
        for item in items:
            element = ET.SubElement(parent, q("OutlineElem"), {"Title": item.title})
            if item.children:
                element.set("Count", str(len(item.children)))
            action = ET.SubElement(ET.SubElement(element, q("Actions")), q("Action"), {"Event": "CLICK"})
            ET.SubElement(ET.SubElement(action, q("Goto")), q("Dest"), {
                "Type": "XYZ", "PageID": str(page_ids[item.page]), "Left": fmt(item.left), "Top": fmt(item.top)})
            self._outline_xml(element, item.children, page_ids)

    def _document_xml(self, page_locs: list[tuple[int, str]]) -> bytes:
        root = ET.Element(q("Document"))
        common = ET.SubElement(root, q("CommonData"))
        ET.SubElement(common, q("MaxUnitID")).text = str(self.ids.last)
        area = ET.SubElement(common, q("PageArea"))
        ET.SubElement(area, q("PhysicalBox")).text = fmt_all((0, 0, *self.page_area))
        ET.SubElement(common, q("PublicRes")).text = "PublicRes.xml"
        ET.SubElement(common, q("DocumentRes")).text = "DocumentRes.xml"
        if "rgb" in self.color_spaces:
            ET.SubElement(common, q("DefaultCS")).text = str(self.color_spaces["rgb"])
        pages = ET.SubElement(root, q("Pages"))
        for page_id, loc in page_locs:
            ET.SubElement(pages, q("Page"), {"ID": str(page_id), "BaseLoc": loc})
        if self.outline:
            self._outline_xml(ET.SubElement(root, q("Outlines")), self.outline, [p for p, _ in page_locs])
        return _xml(root)

    def _ofd_xml(self) -> bytes:
        info = self.info
        root = ET.Element(q("OFD"), {"Version": "1.0", "DocType": "OFD"})
        body = ET.SubElement(root, q("DocBody"))
        doc_info = ET.SubElement(body, q("DocInfo"))
        ET.SubElement(doc_info, q("DocID")).text = info.doc_id
        for tag, value in (("Title", info.title), ("Author", info.author), ("Subject", info.subject),
                           ("Abstract", info.abstract)):
            if value:
                ET.SubElement(doc_info, q(tag)).text = value
        if info.creation_date:
            ET.SubElement(doc_info, q("CreationDate")).text = info.creation_date.isoformat()
        if info.mod_date:
            ET.SubElement(doc_info, q("ModDate")).text = info.mod_date.isoformat()
        ET.SubElement(doc_info, q("DocUsage")).text = "Normal"
        if info.keywords:
            keywords = ET.SubElement(doc_info, q("Keywords"))
            for word in info.keywords:
                ET.SubElement(keywords, q("Keyword")).text = word
        if info.creator:
            ET.SubElement(doc_info, q("Creator")).text = info.creator
        if info.creator_version:
            ET.SubElement(doc_info, q("CreatorVersion")).text = info.creator_version
        if info.custom:
            datas = ET.SubElement(doc_info, q("CustomDatas"))
            for name, value in info.custom:
                ET.SubElement(datas, q("CustomData"), {"Name": name}).text = value
        ET.SubElement(body, q("DocRoot")).text = f"{DOC}/Document.xml"
        return _xml(root)

    # ------------------------------------------------------------ the package

    def package(self) -> bytes:
        first = self.pages[0][1] if self.pages else Page(210, 297)
        self.page_area = (round(first.width, PRECISION), round(first.height, PRECISION))
        parts: dict[str, bytes] = {}
        page_locs = []
        for n, (page_id, page, layers) in enumerate(self.pages):
            loc = f"Pages/Page_{n}/Content.xml"
            parts[f"{DOC}/{loc}"] = self._page_xml(page_id, page, layers)
            page_locs.append((page_id, loc))
        parts[f"{DOC}/PublicRes.xml"] = self._res_xml("public")
        parts[f"{DOC}/DocumentRes.xml"] = self._res_xml("document")
        parts[f"{DOC}/Document.xml"] = self._document_xml(page_locs)
        parts["OFD.xml"] = self._ofd_xml()
        order = ["OFD.xml", f"{DOC}/Document.xml", f"{DOC}/PublicRes.xml", f"{DOC}/DocumentRes.xml",
                 *sorted(self.resource_files), *[f"{DOC}/{loc}" for _, loc in page_locs]]
        files = {**parts, **self.resource_files}
        stamp = self.info.creation_date or dt.date(1980, 1, 1)
        date_time = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name in order:
                entry = zipfile.ZipInfo(name, date_time=date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.create_system = 3  # fixed (the default depends on the platform)
                entry.external_attr = 0o100644 << 16
                archive.writestr(entry, files[name], compresslevel=6)
        return out.getvalue()


def _abbreviated(subpaths, origin: tuple[float, float]) -> str:
    ox, oy = origin
    parts: list[str] = []
    for sub in subpaths:
        for op, pts in sub:
            if op == "C":
                parts.append("C")
                continue
            coords = []
            for x, y in zip(pts[0::2], pts[1::2]):
                coords += [x - ox, y - oy]
            parts.append(f"{op} {fmt_all(coords)}")
    return " ".join(parts)


def _xml(root) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
