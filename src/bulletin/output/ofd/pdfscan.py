"""Reads the pages of a PDF that WeasyPrint wrote (and pypdf's merges of such pages) into drawing
items in OFD page space: millimetres, origin at the top left of the page, y pointing down.

The PDF is where every position is final — after WeasyPrint's layout, bulletin's Chinese line
composition (typeset/), the exact glyph adjustments, and the stamp of a numbered copy — so reading
its drawing operators back gives the OFD the same glyphs at the same places as the PDF, from the
same embedded font programs. The interpreter follows the PDF 1.7 imaging model for the operators
such a PDF uses (graphics state, paths, clipping, text showing, colour, images, form XObjects);
anything else (shadings, patterns, soft masks, blend modes, Type 3 fonts, inline images) raises
`Unsupported` naming it, so an OFD is never silently different from its PDF.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass, field

MM_PER_PT = 25.4 / 72

Matrix = tuple[float, float, float, float, float, float]  # PDF convention: [x y 1] × M
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class Unsupported(ValueError):
    """A PDF construct the OFD export cannot reproduce faithfully."""

    def __init__(self, what: str, page: int | None = None):
        self.what, self.page = what, page
        super().__init__(what if page is None else f"page {page}: {what}")


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (apply m first)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]


# ---------------------------------------------------------------- what a page is made of


@dataclass(frozen=True)
class Color:
    space: str  # "gray" | "rgb" | "cmyk"
    values: tuple[float, ...]  # components in 0…1


BLACK = Color("gray", (0.0,))


@dataclass(frozen=True)
class Clip:
    """Intersection of clipping paths (page mm); `rect` when it is one axis-aligned rectangle."""
    paths: tuple[tuple[tuple, bool], ...]  # (subpaths, even_odd)
    rect: tuple[float, float, float, float] | None


@dataclass
class PdfFont:
    key: str  # sha256 of the font program: one OFD font per program
    name: str  # BaseFont without the subset tag, e.g. "Bulletin-Fang"
    program: bytes
    kind: str  # "otf" (CFF in OpenType) or "ttf"
    widths: dict[int, float]  # code → width in 1/1000 em (the PDF's /W)
    default_width: float
    to_unicode: dict[int, str]
    code_to_gid: dict[int, int] | None  # None: glyph id = code (Identity)
    ascent: float  # 1/1000 em, from the font descriptor
    descent: float
    bbox: tuple[float, float, float, float]  # 1/1000 em: the outlines' extent (the program's head table)
    bold: bool
    italic: bool
    serif: bool
    fixed: bool
    _cmap: dict[int, int] | None = field(default=None, repr=False)

    def gid(self, code: int) -> int:
        return code if self.code_to_gid is None else self.code_to_gid.get(code, 0)

    def cmap(self) -> dict[int, int]:
        """Unicode → glyph id of the embedded program, as a reader that maps text through the
        font's cmap will find it."""
        if self._cmap is None:
            from fontTools.ttLib import TTFont

            font = TTFont(io.BytesIO(self.program), lazy=True)
            order = {name: i for i, name in enumerate(font.getGlyphOrder())}
            self._cmap = {cp: order[name] for cp, name in (font.getBestCmap() or {}).items() if name in order}
        return self._cmap


@dataclass
class Glyph:
    gid: int
    text: str
    x: float  # origin on the baseline, page mm
    y: float
    advance: float  # its own width along the baseline (without spacing), mm


@dataclass
class TextRun:
    """The glyphs of one text-showing operator, in one font, size and colour."""
    font: PdfFont
    size: float  # em, mm
    hscale: float  # horizontal scaling (PDF Tz), 1 = none
    linear: tuple[float, float, float, float] | None  # em vector → page mm when not upright (else None)
    glyphs: list[Glyph]
    fill: Color | None
    stroke: Color | None
    fill_alpha: float
    stroke_alpha: float
    line_width: float
    clip: Clip | None


@dataclass
class Shape:
    subpaths: list[list[tuple[str, tuple[float, ...]]]]  # ("M"|"L"|"B"|"C", points) in page mm
    fill: Color | None
    stroke: Color | None
    even_odd: bool
    line_width: float
    cap: int
    join: int
    miter_limit: float
    dash: tuple[tuple[float, ...], float] | None
    fill_alpha: float
    stroke_alpha: float
    clip: Clip | None


@dataclass
class PdfImage:
    key: str  # sha256 of the file bytes
    data: bytes
    format: str  # "PNG" | "JPEG"
    width: int
    height: int


@dataclass
class Picture:
    image: PdfImage
    matrix: Matrix  # OFD convention: unit square (row 0 at the top) → page mm
    alpha: float
    clip: Clip | None


@dataclass
class Page:
    width: float  # mm
    height: float
    items: list = field(default_factory=list)  # TextRun | Shape | Picture, in painting order


# ---------------------------------------------------------------- resources


def _num(x) -> float:
    return float(x)


def _bytes(item) -> bytes:
    """The bytes of a PDF string operand as pypdf parsed it (ByteStringObject or TextStringObject)."""
    original = getattr(item, "original_bytes", None)
    if original is not None:
        return bytes(original)
    return bytes(item) if isinstance(item, bytes) else str(item).encode("latin-1")


_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f]*)>|\[([^\]]*)\]")


def parse_to_unicode(data: bytes) -> dict[int, str]:
    """The bfchar and bfrange entries of a ToUnicode CMap."""
    out: dict[int, str] = {}

    def text(hexstr: bytes) -> str:
        raw = bytes.fromhex(hexstr.decode())
        return raw.decode("utf-16-be", "replace")

    for block in _BFCHAR.findall(data):
        values = re.findall(rb"<([0-9A-Fa-f]*)>", block)
        for src, dst in zip(values[::2], values[1::2]):
            out[int(src, 16)] = text(dst)
    for block in _BFRANGE.findall(data):
        tokens = _HEX.findall(block)  # (hex, "") or ("", array body)
        for i in range(0, len(tokens) - 2, 3):
            lo, hi, (dst, array) = int(tokens[i][0], 16), int(tokens[i + 1][0], 16), tokens[i + 2]
            if array:
                for k, item in enumerate(re.findall(rb"<([0-9A-Fa-f]*)>", array)):
                    out[lo + k] = text(item)
                continue
            base = bytes.fromhex(dst.decode())
            for k in range(hi - lo + 1):
                last = int.from_bytes(base[-2:], "big") + k
                out[lo + k] = (base[:-2] + last.to_bytes(2, "big")).decode("utf-16-be", "replace")
    return out


def _cid_widths(w) -> dict[int, float]:
    out: dict[int, float] = {}
    items = list(w or [])
    i = 0
    while i < len(items):
        first = int(items[i])
        nxt = items[i + 1].get_object() if hasattr(items[i + 1], "get_object") else items[i + 1]
        if isinstance(nxt, list):
            for k, width in enumerate(nxt):
                out[first + k] = float(width)
            i += 2
        else:
            last, width = int(nxt), float(items[i + 2])
            for cid in range(first, last + 1):
                out[cid] = width
            i += 3
    return out


_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")


def load_font(font_dict, page_no: int) -> PdfFont:
    """A Type 0 font with an embedded CIDFontType0 (OpenType CFF) or CIDFontType2 (TrueType)."""
    font_dict = font_dict.get_object()
    subtype = str(font_dict.get("/Subtype"))
    base = str(font_dict.get("/BaseFont", "/Font")).lstrip("/")
    if subtype != "/Type0":
        raise Unsupported(f"font {base}: {subtype} fonts (only Type 0 fonts with embedded programs)", page_no)
    encoding = str(font_dict.get("/Encoding"))
    if encoding != "/Identity-H":
        raise Unsupported(f"font {base}: encoding {encoding} (only Identity-H)", page_no)
    descendant = font_dict["/DescendantFonts"][0].get_object()
    descriptor = descendant["/FontDescriptor"].get_object()
    if "/FontFile3" in descriptor:
        stream = descriptor["/FontFile3"].get_object()
        if str(stream.get("/Subtype")) != "/OpenType":
            raise Unsupported(f"font {base}: bare CFF program {stream.get('/Subtype')} (only OpenType)", page_no)
    elif "/FontFile2" in descriptor:
        stream = descriptor["/FontFile2"].get_object()
    else:
        raise Unsupported(f"font {base}: not embedded", page_no)
    program = stream.get_data()
    kind = "otf" if program[:4] == b"OTTO" else "ttf"
    code_to_gid = None
    c2g = descendant.get("/CIDToGIDMap")
    if c2g is not None and str(c2g) != "/Identity":
        raw = c2g.get_object().get_data()
        code_to_gid = {i: int.from_bytes(raw[2 * i:2 * i + 2], "big") for i in range(len(raw) // 2)}
    elif kind == "otf":
        code_to_gid = _cff_cid_map(program)
    to_unicode = {}
    if "/ToUnicode" in font_dict:
        to_unicode = parse_to_unicode(font_dict["/ToUnicode"].get_object().get_data())
    flags = int(descriptor.get("/Flags", 0))
    name = _SUBSET_TAG.sub("", base)
    bbox = _outline_bbox(program)
    weight = float(descriptor.get("/FontWeight", 400))
    bold = weight >= 600 or any(w in name for w in ("Bold", "Black", "Heavy"))
    return PdfFont(
        key=hashlib.sha256(program).hexdigest(), name=name, program=program, kind=kind,
        widths=_cid_widths(descendant.get("/W")), default_width=float(descendant.get("/DW", 1000)),
        to_unicode=to_unicode, code_to_gid=code_to_gid,
        ascent=float(descriptor.get("/Ascent", 880)), descent=float(descriptor.get("/Descent", -120)), bbox=bbox,
        bold=bold, italic=bool(flags & 64), serif=bool(flags & 2), fixed=bool(flags & 1),
    )


def _outline_bbox(program: bytes) -> tuple[float, float, float, float]:
    """The extent of every outline of a font program, in 1/1000 em (head table)."""
    from fontTools.ttLib import TTFont

    head = TTFont(io.BytesIO(program), lazy=True)["head"]
    scale = 1000 / head.unitsPerEm
    return head.xMin * scale, head.yMin * scale, head.xMax * scale, head.yMax * scale


def _cff_cid_map(program: bytes) -> dict[int, int] | None:
    """CID → glyph id of a CID-keyed CFF font (None when every CID is its glyph id)."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(program), lazy=True)
    order = font.getGlyphOrder()
    mapping, identity = {}, True
    for gid, name in enumerate(order):
        if name.startswith("cid") and name[3:].isdigit():
            cid = int(name[3:])
        elif name == ".notdef":
            cid = 0
        else:
            return None  # name-keyed CFF: codes are glyph ids
        mapping[cid] = gid
        identity = identity and cid == gid
    return None if identity else mapping


def load_image(xobject, page_no: int) -> PdfImage:
    """The image as a PNG or JPEG file: JPEG streams as they are, 8-bit PNG-predicted Flate streams
    as a PNG around the same compressed data, anything else decoded and encoded as PNG."""
    import struct
    import zlib

    filters = xobject.get("/Filter")
    filters = [str(f) for f in filters] if isinstance(filters, list) else ([str(filters)] if filters else [])
    width, height = int(xobject["/Width"]), int(xobject["/Height"])
    space = xobject.get("/ColorSpace")
    space = str(space) if space is not None and not isinstance(space, list) else space
    smask = xobject.get("/SMask")
    if xobject.get("/ImageMask") or "/Mask" in xobject:
        raise Unsupported("image masks", page_no)
    raw = xobject._data if hasattr(xobject, "_data") else None
    if filters == ["/DCTDecode"] and smask is None and space in ("/DeviceRGB", "/DeviceGray"):
        data = bytes(raw)
        return PdfImage(hashlib.sha256(data).hexdigest(), data, "JPEG", width, height)
    params = xobject.get("/DecodeParms") or {}
    colors = {"/DeviceRGB": 3, "/DeviceGray": 1}.get(space) if isinstance(space, str) else None
    if (filters == ["/FlateDecode"] and smask is None and colors and int(xobject.get("/BitsPerComponent", 8)) == 8
            and int(params.get("/Predictor", 1)) >= 10 and int(params.get("/Colors", 1)) == colors
            and int(params.get("/Columns", width)) == width and "/Decode" not in xobject):

        def chunk(tag: bytes, body: bytes) -> bytes:
            return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2 if colors == 3 else 0, 0, 0, 0)
        data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", bytes(raw)) + chunk(b"IEND", b"")
        return PdfImage(hashlib.sha256(data).hexdigest(), data, "PNG", width, height)
    try:
        picture = xobject.decode_as_image()
        if smask is not None:
            alpha = smask.get_object().decode_as_image().convert("L")
            picture = picture.convert("RGB")
            picture.putalpha(alpha.resize(picture.size))
        elif picture.mode not in ("RGB", "L", "RGBA", "LA"):
            picture = picture.convert("RGB")
    except Exception as exc:  # noqa: BLE001 - a filter or colour space pypdf cannot decode
        raise Unsupported(f"image ({', '.join(filters) or 'no filter'}, {space}): {exc}", page_no) from None
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=False, compress_level=6)
    data = out.getvalue()
    return PdfImage(hashlib.sha256(data).hexdigest(), data, "PNG", picture.width, picture.height)


# ---------------------------------------------------------------- colours


def lab_to_rgb(lightness: float, a: float, b: float, white: tuple[float, float, float]) -> tuple[float, ...]:
    """CIE L*a*b* (with the colour space's white point) → sRGB in 0…1 (Bradford-free, as PDF
    viewers do for display)."""
    fy = (lightness + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200

    def inv(t: float) -> float:
        return t ** 3 if t ** 3 > 216 / 24389 else (116 * t - 16) / (24389 / 27)

    x, y, z = white[0] * inv(fx), white[1] * inv(fy), white[2] * inv(fz)
    r = 3.2406 * x - 1.5372 * y - 0.4986 * z
    g = -0.9689 * x + 1.8758 * y + 0.0415 * z
    bl = 0.0557 * x - 0.2040 * y + 1.0570 * z

    def gamma(c: float) -> float:
        c = min(1.0, max(0.0, c))
        return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055

    return gamma(r), gamma(g), gamma(bl)


class ColorSpace:
    def __init__(self, kind: str, components: int, white=None):
        self.kind, self.components, self.white = kind, components, white

    def color(self, values: list[float], page_no: int) -> Color:
        if self.kind == "lab":
            return Color("rgb", lab_to_rgb(*values[:3], self.white))
        if self.kind == "pattern":
            raise Unsupported("gradients and pattern fills", page_no)
        return Color(self.kind, tuple(float(v) for v in values[: self.components]))


DEVICE = {"/DeviceGray": ColorSpace("gray", 1), "/DeviceRGB": ColorSpace("rgb", 3),
          "/DeviceCMYK": ColorSpace("cmyk", 4), "/Pattern": ColorSpace("pattern", 0)}


def _color_space(name, resources, page_no: int) -> ColorSpace:
    key = str(name)
    if key in DEVICE:
        return DEVICE[key]
    spaces = resources.get("/ColorSpace") if resources else None
    entry = spaces.get(key) if spaces else None
    if entry is None:
        raise Unsupported(f"colour space {key}", page_no)
    entry = entry.get_object()
    if isinstance(entry, list):
        family = str(entry[0])
        if family == "/Lab":
            white = tuple(float(v) for v in entry[1].get_object()["/WhitePoint"])
            return ColorSpace("lab", 3, white)
        if family == "/ICCBased":
            n = int(entry[1].get_object()["/N"])
            return ColorSpace({1: "gray", 3: "rgb", 4: "cmyk"}[n], n)
        if family in DEVICE:
            return DEVICE[family]
        raise Unsupported(f"colour space {family}", page_no)
    if str(entry) in DEVICE:
        return DEVICE[str(entry)]
    raise Unsupported(f"colour space {entry}", page_no)


# ---------------------------------------------------------------- content streams


class Name(str):
    """A PDF name operand, kept with its slash (“/F1”) as resource dictionaries key them."""


_TOKEN = re.compile(rb"""
    (?P<space>[\x00\t\n\x0c\r ]+|%[^\r\n]*)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+))(?![A-Za-z])
  | (?P<name>/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*)
  | (?P<dict><<)|(?P<dictend>>>)
  | (?P<hex><[0-9A-Fa-f\x00\t\n\x0c\r ]*>)
  | (?P<lit>\()
  | (?P<array>\[)|(?P<arrayend>\])
  | (?P<op>[A-Za-z'"][A-Za-z0-9*'"]*)
""", re.X)
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f",
            ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}


def _literal(data: bytes, pos: int) -> tuple[bytes, int]:
    """A (literal string) starting after its “(”: its bytes and the position after “)”."""
    out, depth = bytearray(), 1
    while pos < len(data):
        c = data[pos]
        if c == 0x5C:  # backslash
            nxt = data[pos + 1] if pos + 1 < len(data) else 0
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                pos += 2
            elif 0x30 <= nxt <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", data[pos + 1:pos + 4])[0]
                out.append(int(digits, 8) & 0xFF)
                pos += 1 + len(digits)
            elif nxt in (0x0A, 0x0D):  # line continuation
                pos += 3 if data[pos + 1:pos + 3] == b"\r\n" else 2
            else:
                pos += 1
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), pos + 1
        out.append(c)
        pos += 1
    raise Unsupported("unterminated string in a content stream")


def operations(data: bytes):
    """(operands, operator) pairs of a content stream, operator as bytes (b"TJ"); operands as
    float/int, Name, bytes (strings), list (arrays) and dict (inline dictionaries)."""
    operands: list = []
    stack: list[list] = []  # open arrays and dictionaries
    pos, end = 0, len(data)
    keywords = {b"true": True, b"false": False, b"null": None}
    while pos < end:
        match = _TOKEN.match(data, pos)
        if match is None:
            raise Unsupported(f"content stream not understood at byte {pos}")
        pos = match.end()
        kind = match.lastgroup
        if kind == "space":
            continue
        if kind == "number":
            text = match.group()
            value = float(text) if b"." in text else int(text)
        elif kind == "name":
            value = Name(re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), match.group())
                         .decode("latin-1"))
        elif kind == "hex":
            digits = re.sub(rb"[^0-9A-Fa-f]", b"", match.group()[1:-1])
            value = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
        elif kind == "lit":
            value, pos = _literal(data, pos)
        elif kind in ("array", "dict"):
            stack.append([kind])
            continue
        elif kind in ("arrayend", "dictend"):
            if not stack:
                raise Unsupported("unbalanced ] or >> in a content stream")
            items = stack.pop()
            value = items[1:] if items[0] == "array" else dict(zip(items[1::2], items[2::2]))
        else:  # an operator or a keyword
            word = match.group()
            if word in keywords:
                value = keywords[word]
            elif stack:
                raise Unsupported(f"operator {word.decode('latin-1')} inside an array")
            else:
                if word == b"BI":
                    yield [], b"INLINE IMAGE"  # refused by the interpreter
                    return
                yield operands, word
                operands = []
                continue
        (stack[-1] if stack else operands).append(value)


# ---------------------------------------------------------------- the interpreter


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    fill: Color = BLACK
    stroke: Color = BLACK
    fill_space: ColorSpace = DEVICE["/DeviceGray"]
    stroke_space: ColorSpace = DEVICE["/DeviceGray"]
    line_width: float = 1.0
    cap: int = 0
    join: int = 0
    miter_limit: float = 10.0
    dash: tuple[tuple[float, ...], float] | None = None
    fill_alpha: float = 1.0
    stroke_alpha: float = 1.0
    clips: tuple = ()
    font: PdfFont | None = None
    font_size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    hscale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0
    render_mode: int = 0

    def copy(self) -> "_State":
        return _State(**vars(self))


def rect_of(subpaths) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) when the path is one axis-aligned rectangle."""
    if len(subpaths) != 1:
        return None
    points = [pts for op, pts in subpaths[0] if op in ("M", "L")]
    if any(op == "B" for op, _ in subpaths[0]):
        return None
    if len(points) == 5 and math.isclose(points[0][0], points[4][0], abs_tol=1e-6) and \
            math.isclose(points[0][1], points[4][1], abs_tol=1e-6):
        points = points[:4]
    if len(points) != 4:
        return None
    xs = sorted({round(p[0], 6) for p in points})
    ys = sorted({round(p[1], 6) for p in points})
    if len(xs) > 2 or len(ys) > 2:
        return None
    for i in range(4):
        (x1, y1), (x2, y2) = points[i], points[(i + 1) % 4]
        if not (math.isclose(x1, x2, abs_tol=1e-6) or math.isclose(y1, y2, abs_tol=1e-6)):
            return None
    return (xs[0], ys[0], xs[-1], ys[-1])


def _make_clip(clips) -> Clip | None:
    if not clips:
        return None
    rect = None
    for subpaths, _ in clips:
        r = rect_of(subpaths)
        if r is None:
            return Clip(tuple(clips), None)
        rect = r if rect is None else (max(rect[0], r[0]), max(rect[1], r[1]), min(rect[2], r[2]), min(rect[3], r[3]))
    return Clip(tuple(clips), rect)


class PageReader:
    """Interprets one page's content stream (and the form XObjects it draws) into a Page."""

    def __init__(self, reader, page, page_no: int, fonts: dict, images: dict):
        self.reader, self.page, self.page_no = reader, page, page_no
        self.fonts, self.images = fonts, images  # shared across pages: id of the PDF object → loaded
        box = [float(v) for v in page.mediabox]
        self.x0, self.y1 = box[0], box[3]
        self.out = Page((box[2] - box[0]) * MM_PER_PT, (box[3] - box[1]) * MM_PER_PT)

    # page space (PDF user space after the CTM, points, y up) → OFD (mm, y down)
    def to_mm(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * MM_PER_PT, (self.y1 - y) * MM_PER_PT

    def read(self) -> Page:
        contents = self.page.get_contents()
        if contents is not None:
            self._run(operations(contents.get_data()), self.page.get("/Resources") or {}, _State(), depth=0)
        return self.out

    def _fail(self, what: str):
        raise Unsupported(what, self.page_no)

    def _run(self, operations, resources, state: _State, depth: int) -> None:
        if depth > 8:
            self._fail("form XObjects nested more than 8 deep")
        resources = resources.get_object() if hasattr(resources, "get_object") else resources
        stack: list[_State] = []
        path: list[list] = []
        pending_clip: bool | None = None  # even_odd of a W / W* waiting for the painting operator
        text_matrix = line_matrix = IDENTITY
        for operands, op in operations:
            if op == b"q":
                stack.append(state.copy())
            elif op == b"Q":
                if stack:
                    state = stack.pop()
            elif op == b"cm":
                state.ctm = multiply(tuple(_num(v) for v in operands), state.ctm)
            elif op == b"w":
                state.line_width = _num(operands[0])
            elif op == b"J":
                state.cap = int(operands[0])
            elif op == b"j":
                state.join = int(operands[0])
            elif op == b"M":
                state.miter_limit = _num(operands[0])
            elif op == b"d":
                pattern = tuple(_num(v) for v in operands[0])
                state.dash = (pattern, _num(operands[1])) if pattern else None
            elif op in (b"ri", b"i", b"BMC", b"BDC", b"EMC", b"MP", b"DP", b"BX", b"EX"):
                pass
            elif op == b"gs":
                self._ext_gstate(resources, operands[0], state)
            # path construction (points go to page mm at once: the CTM cannot change inside a path)
            elif op == b"m":
                path.append([("M", self._point(state, operands[0], operands[1]))])
            elif op == b"l":
                if not path:
                    path.append([("M", self._point(state, operands[0], operands[1]))])
                path[-1].append(("L", self._point(state, operands[0], operands[1])))
            elif op in (b"c", b"v", b"y"):
                if not path:
                    self._fail("curve without a current point")
                last = path[-1][-1][1][-2:]
                values = [_num(v) for v in operands]
                if op == b"c":
                    p1, p2, p3 = values[0:2], values[2:4], values[4:6]
                    pts = self._point(state, *p1) + self._point(state, *p2) + self._point(state, *p3)
                elif op == b"v":
                    pts = tuple(last) + self._point(state, *values[0:2]) + self._point(state, *values[2:4])
                else:
                    p3 = self._point(state, *values[2:4])
                    pts = self._point(state, *values[0:2]) + p3 + p3
                path[-1].append(("B", pts))
            elif op == b"h":
                if path:
                    path[-1].append(("C", ()))
            elif op == b"re":
                x, y, w, h = (_num(v) for v in operands)
                path.append([("M", self._point(state, x, y)), ("L", self._point(state, x + w, y)),
                             ("L", self._point(state, x + w, y + h)), ("L", self._point(state, x, y + h)),
                             ("C", ())])
            elif op in (b"W", b"W*"):
                pending_clip = op == b"W*"
            elif op in (b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"n"):
                if op in (b"s", b"b", b"b*"):
                    for sub in path:
                        sub.append(("C", ()))
                fill = op in (b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*")
                stroke = op in (b"S", b"s", b"B", b"B*", b"b", b"b*")
                if path and (fill or stroke):
                    self._paint(path, state, fill, stroke, op in (b"f*", b"B*", b"b*"))
                if pending_clip is not None and path:
                    state.clips = state.clips + ((tuple(tuple(s) for s in path), pending_clip),)
                pending_clip = None
                path = []
            # text
            elif op == b"BT":
                text_matrix = line_matrix = IDENTITY
            elif op == b"ET":
                pass
            elif op == b"Tc":
                state.char_spacing = _num(operands[0])
            elif op == b"Tw":
                state.word_spacing = _num(operands[0])
            elif op == b"Tz":
                state.hscale = _num(operands[0]) / 100
            elif op == b"TL":
                state.leading = _num(operands[0])
            elif op == b"Tf":
                state.font = self._font(resources, operands[0])
                state.font_size = _num(operands[1])
            elif op == b"Tr":
                state.render_mode = int(operands[0])
            elif op == b"Ts":
                state.rise = _num(operands[0])
            elif op in (b"Td", b"TD"):
                tx, ty = _num(operands[0]), _num(operands[1])
                if op == b"TD":
                    state.leading = -ty
                line_matrix = multiply((1, 0, 0, 1, tx, ty), line_matrix)
                text_matrix = line_matrix
            elif op == b"Tm":
                text_matrix = line_matrix = tuple(_num(v) for v in operands)
            elif op == b"T*":
                line_matrix = multiply((1, 0, 0, 1, 0, -state.leading), line_matrix)
                text_matrix = line_matrix
            elif op in (b"Tj", b"TJ", b"'", b'"'):
                if op in (b"'", b'"'):
                    if op == b'"':
                        state.word_spacing, state.char_spacing = _num(operands[0]), _num(operands[1])
                    line_matrix = multiply((1, 0, 0, 1, 0, -state.leading), line_matrix)
                    text_matrix = line_matrix
                items = operands[0] if op == b"TJ" else [operands[-1]]
                text_matrix = self._show(items, state, text_matrix)
            # colour
            elif op in (b"g", b"G", b"rg", b"RG", b"k", b"K"):
                space = DEVICE[{b"g": "/DeviceGray", b"G": "/DeviceGray", b"rg": "/DeviceRGB", b"RG": "/DeviceRGB",
                                b"k": "/DeviceCMYK", b"K": "/DeviceCMYK"}[op]]
                color = space.color([_num(v) for v in operands], self.page_no)
                if op.islower():
                    state.fill, state.fill_space = color, space
                else:
                    state.stroke, state.stroke_space = color, space
            elif op in (b"cs", b"CS"):
                space = _color_space(operands[0], resources, self.page_no)
                initial = [0.0] * space.components
                if space.kind == "cmyk":
                    initial[3] = 1.0
                if op == b"cs":
                    state.fill_space = space
                    state.fill = space.color(initial, self.page_no) if space.kind != "pattern" else state.fill
                else:
                    state.stroke_space = space
                    state.stroke = space.color(initial, self.page_no) if space.kind != "pattern" else state.stroke
            elif op in (b"sc", b"scn", b"SC", b"SCN"):
                space = state.fill_space if op in (b"sc", b"scn") else state.stroke_space
                if not all(isinstance(v, (int, float)) for v in operands):
                    self._fail("gradients and pattern fills")
                color = space.color([_num(v) for v in operands], self.page_no)
                if op in (b"sc", b"scn"):
                    state.fill = color
                else:
                    state.stroke = color
            elif op == b"Do":
                self._do(resources, operands[0], state, depth)
            elif op == b"sh":
                self._fail("shadings (gradients)")
            elif op == b"INLINE IMAGE":
                self._fail("inline images")
            elif op in (b"d0", b"d1"):
                self._fail("Type 3 fonts")
            else:
                self._fail(f"operator {op.decode('latin-1')}")

    def _point(self, state: _State, x, y) -> tuple[float, float]:
        return self.to_mm(*apply(state.ctm, _num(x), _num(y)))

    def _scale(self, state: _State) -> float:
        """Length factor of the CTM (for line widths), points → mm."""
        a, b, c, d = state.ctm[:4]
        return math.sqrt(abs(a * d - b * c)) * MM_PER_PT

    def _ext_gstate(self, resources, name, state: _State) -> None:
        table = resources.get("/ExtGState") if resources else None
        entry = table.get(str(name)) if table else None
        if entry is None:
            self._fail(f"graphics state {name} missing")
        entry = entry.get_object()
        for key, value in entry.items():
            if key == "/ca":
                state.fill_alpha = float(value)
            elif key == "/CA":
                state.stroke_alpha = float(value)
            elif key == "/LW":
                state.line_width = float(value)
            elif key == "/LC":
                state.cap = int(value)
            elif key == "/LJ":
                state.join = int(value)
            elif key == "/ML":
                state.miter_limit = float(value)
            elif key == "/SMask":
                if str(value) != "/None":
                    self._fail("soft masks")
            elif key == "/BM":
                if str(value) not in ("/Normal", "/Compatible"):
                    self._fail(f"blend mode {value}")
            elif key in ("/Type", "/AIS", "/SA", "/OP", "/op", "/OPM", "/RI", "/FL", "/SM"):
                pass
            else:
                self._fail(f"graphics state entry {key}")

    def _font(self, resources, name) -> PdfFont:
        table = resources.get("/Font") if resources else None
        ref = table.get(str(name)) if table else None
        if ref is None:
            self._fail(f"font {name} missing")
        ident = getattr(ref, "idnum", None) or id(ref.get_object())
        if ident not in self.fonts:
            self.fonts[ident] = load_font(ref, self.page_no)
        return self.fonts[ident]

    def _paint(self, path, state: _State, fill: bool, stroke: bool, even_odd: bool) -> None:
        scale = self._scale(state)
        dash = None
        if state.dash:
            dash = (tuple(v * scale for v in state.dash[0]), state.dash[1] * scale)
        self.out.items.append(Shape(
            subpaths=[list(s) for s in path], fill=state.fill if fill else None,
            stroke=state.stroke if stroke else None, even_odd=even_odd, line_width=state.line_width * scale,
            cap=state.cap, join=state.join, miter_limit=state.miter_limit, dash=dash,
            fill_alpha=state.fill_alpha, stroke_alpha=state.stroke_alpha, clip=_make_clip(state.clips)))

    def _show(self, items, state: _State, text_matrix: Matrix) -> Matrix:
        font = state.font
        if font is None:
            self._fail("text shown without a font")
        if state.render_mode not in (0, 1, 2, 3):
            self._fail(f"text render mode {state.render_mode} (clipping text)")
        size, th = state.font_size, state.hscale
        glyphs: list[Glyph] = []
        first_trm = None
        for item in items:
            if not isinstance(item, (int, float)):
                raw = _bytes(item)
                for i in range(0, len(raw) - 1, 2):
                    code = (raw[i] << 8) | raw[i + 1]
                    trm = multiply((size * th, 0, 0, size, 0, state.rise), multiply(text_matrix, state.ctm))
                    if first_trm is None:
                        first_trm = trm
                    x, y = self.to_mm(trm[4], trm[5])
                    width = font.widths.get(code, font.default_width) / 1000 * size  # text space
                    along = math.hypot(trm[0], trm[1]) / (size or 1)  # page length of a text-space unit, × Tz
                    glyphs.append(Glyph(font.gid(code), font.to_unicode.get(code, ""), x, y, width * along * MM_PER_PT))
                    advance = (width + state.char_spacing) * th
                    text_matrix = multiply((1, 0, 0, 1, advance, 0), text_matrix)
            else:
                shift = -_num(item) / 1000 * size * th
                text_matrix = multiply((1, 0, 0, 1, shift, 0), text_matrix)
        if not glyphs:
            return text_matrix
        a, b, c, d = first_trm[:4]
        # em vector (u, v) with v up → page mm with y down
        linear = (a * MM_PER_PT, -b * MM_PER_PT, c * MM_PER_PT, -d * MM_PER_PT)
        em = d * MM_PER_PT
        hscale = a / d if d else 1.0
        upright = abs(b) < 1e-9 and abs(c) < 1e-9 and d > 0 and a > 0
        self.out.items.append(TextRun(
            font=font, size=em if upright else math.sqrt(abs(a * d - b * c)) * MM_PER_PT,
            hscale=hscale if upright else 1.0, linear=None if upright else linear, glyphs=glyphs,
            fill=state.fill if state.render_mode in (0, 2) else None,
            stroke=state.stroke if state.render_mode in (1, 2) else None,
            fill_alpha=state.fill_alpha, stroke_alpha=state.stroke_alpha,
            line_width=state.line_width * self._scale(state), clip=_make_clip(state.clips)))
        return text_matrix

    def _do(self, resources, name, state: _State, depth: int) -> None:
        table = resources.get("/XObject") if resources else None
        ref = table.get(str(name)) if table else None
        if ref is None:
            self._fail(f"XObject {name} missing")
        xobject = ref.get_object()
        subtype = str(xobject.get("/Subtype"))
        if subtype == "/Image":
            ident = getattr(ref, "idnum", None) or id(xobject)
            if ident not in self.images:
                self.images[ident] = load_image(xobject, self.page_no)
            a, b, c, d, e, f = state.ctm
            k = MM_PER_PT
            # OFD unit square (v down, row 0 on top) → PDF unit square (v up) → page → mm
            matrix = (k * a, -k * b, -k * c, k * d, k * (c + e - self.x0), k * (self.y1 - d - f))
            self.out.items.append(Picture(self.images[ident], matrix, state.fill_alpha, _make_clip(state.clips)))
        elif subtype == "/Form":
            group = xobject.get("/Group")
            inner = state.copy()
            if "/Matrix" in xobject:
                inner.ctm = multiply(tuple(_num(v) for v in xobject["/Matrix"]), state.ctm)
            if group is not None and str(group.get_object().get("/S")) == "/Transparency" and \
                    (state.fill_alpha < 1 or state.stroke_alpha < 1):
                self._fail("transparency groups with opacity")
            bbox = [_num(v) for v in xobject.get("/BBox", [])]
            if len(bbox) == 4:
                x0, y0, x1, y1 = bbox
                sub = [("M", self._point(inner, x0, y0)), ("L", self._point(inner, x1, y0)),
                       ("L", self._point(inner, x1, y1)), ("L", self._point(inner, x0, y1)), ("C", ())]
                inner.clips = inner.clips + (((tuple(sub),), False),)
            self._run(operations(xobject.get_data()), xobject.get("/Resources") or resources, inner, depth + 1)
        else:
            self._fail(f"XObject type {subtype}")


def read_pages(reader) -> list[Page]:
    """Every page of a pypdf PdfReader as OFD-space drawing items."""
    fonts: dict = {}
    images: dict = {}
    return [PageReader(reader, page, n, fonts, images).read() for n, page in enumerate(reader.pages, 1)]
