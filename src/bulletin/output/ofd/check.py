"""Checks an OFD package against GB/T 33190-2016, as far as its element and attribute tables go
for what a document can hold (sections 7 document structure, 8 common data types, 9 resources,
10 graphics, 11 text, 13 images), plus the rules between parts that a schema cannot express.

The standard's own XML schemas are not published under a licence that lets this project ship
them, so the structure is written down here from the standard's tables: for each element its
attributes (type, required or not, allowed values) and its children (order and number). It covers
the entry, document, resource and page parts with their text, path and image objects, outline,
actions, permissions and view preferences; shadings and patterns, composite graphic units and the
annotation, attachment, custom-tag and signature parts are not covered (bulletin writes none of
them) and are reported when met. Beyond the
structure: IDs are unique and below MaxUnitID, references point at the right kind of resource,
every file a part names is in the package, every font is an OpenType/TrueType program, every
image decodes, DeltaX/DeltaY have one value per character gap, CGTransforms fit their TextCode and
name glyphs the font has, colours have as many components as their colour space, path data is
well formed, and text origins lie inside their object's Boundary.

`check_package(data)` returns a list of problems (empty: the package conforms).
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

NS = "http://www.ofdspec.org/2016"

# ---------------------------------------------------------------- simple types (section 8)

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _numbers(value: str) -> list[float] | None:
    parts = value.split()
    if not all(re.fullmatch(_NUMBER, p) for p in parts):
        return None
    return [float(p) for p in parts]


def t_id(value: str) -> str | None:
    return None if re.fullmatch(r"\d+", value) and int(value) > 0 else "not an ID (a positive integer)"


def t_int(value: str) -> str | None:
    return None if re.fullmatch(r"[-+]?\d+", value) else "not an integer"


def t_double(value: str) -> str | None:
    return None if re.fullmatch(_NUMBER, value.strip()) else "not a number"


def t_bool(value: str) -> str | None:
    return None if value in ("true", "false", "1", "0") else "not true/false"


def t_date(value: str) -> str | None:
    return None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else "not a date (YYYY-MM-DD)"


def t_string(value: str) -> str | None:
    return None


def t_loc(value: str) -> str | None:
    return None if value and "\\" not in value and not value.startswith("..") else "not a package location"


def t_box(value: str) -> str | None:
    n = _numbers(value)
    if n is None or len(n) != 4:
        return "not a box (x y width height)"
    return None if n[2] >= 0 and n[3] >= 0 else "box with a negative size"


def t_pos(value: str) -> str | None:
    n = _numbers(value)
    return None if n is not None and len(n) == 2 else "not a position (x y)"


def t_array(value: str) -> str | None:
    return None if _numbers(value) is not None else "not an array of numbers"


def t_delta(value: str) -> str | None:
    """ST_Array with the “g N v” abbreviation of DeltaX/DeltaY."""
    tokens = value.split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g":
            if i + 2 >= len(tokens) or not re.fullmatch(r"\d+", tokens[i + 1]) or not re.fullmatch(_NUMBER, tokens[i + 2]):
                return "“g” not followed by a count and a value"
            i += 3
        elif re.fullmatch(_NUMBER, tokens[i]):
            i += 1
        else:
            return f"not a number: {tokens[i]}"
    return None


def t_ctm(value: str) -> str | None:
    n = _numbers(value)
    return None if n is not None and len(n) == 6 else "not a matrix (six numbers)"


def enum(*values: str):
    def check(value: str) -> str | None:
        return None if value in values else f"not one of {', '.join(values)}"
    return check


def t_weight(value: str) -> str | None:
    return None if value in {str(w) for w in range(0, 1001, 100)} else "not a weight (0, 100 … 1000)"


# ---------------------------------------------------------------- element tables


@dataclass
class El:
    attrs: dict = field(default_factory=dict)  # name → (type check, required)
    children: list = field(default_factory=list)  # [(name | tuple of names (choice), min, max)]
    text: object = None  # type check of simple content, or None for element-only content


R, O = True, False
UNBOUNDED = None

_GRAPHIC_UNIT = {
    "ID": (t_id, R), "Boundary": (t_box, R), "Name": (t_string, O), "Visible": (t_bool, O), "CTM": (t_ctm, O),
    "DrawParam": (t_id, O), "LineWidth": (t_double, O), "Cap": (enum("Butt", "Round", "Square"), O),
    "Join": (enum("Miter", "Round", "Bevel"), O), "MiterLimit": (t_double, O), "DashOffset": (t_double, O),
    "DashPattern": (t_array, O), "Alpha": (t_int, O),
}
_COLOR = El({"Value": (t_array, O), "Index": (t_int, O), "ColorSpace": (t_id, O), "Alpha": (t_int, O)})
_PAGE_OBJECTS = ("TextObject", "PathObject", "ImageObject", "CompositeObject", "PageBlock")
_ACTION_CHILDREN = [("Region", 0, 1), (("Goto", "URI", "GotoA", "Sound", "Movie"), 1, 1)]

SCHEMA: dict[str, El] = {
    # OFD.xml: the entry (section 7.4)
    "OFD": El({"Version": (enum("1.0"), R), "DocType": (enum("OFD"), R)}, [("DocBody", 1, UNBOUNDED)]),
    "DocBody": El(children=[("DocInfo", 1, 1), ("DocRoot", 1, 1), ("Versions", 0, 1), ("Signatures", 0, 1)]),
    "DocInfo": El(children=[("DocID", 1, 1), ("Title", 0, 1), ("Author", 0, 1), ("Subject", 0, 1), ("Abstract", 0, 1),
                            ("CreationDate", 0, 1), ("ModDate", 0, 1), ("DocUsage", 0, 1), ("Cover", 0, 1),
                            ("Keywords", 0, 1), ("Creator", 0, 1), ("CreatorVersion", 0, 1), ("CustomDatas", 0, 1)]),
    "DocID": El(text=t_string), "Title": El(text=t_string), "Author": El(text=t_string),
    "Subject": El(text=t_string), "Abstract": El(text=t_string), "CreationDate": El(text=t_date),
    "ModDate": El(text=t_date), "DocUsage": El(text=t_string), "Cover": El(text=t_loc),
    "Keywords": El(children=[("Keyword", 1, UNBOUNDED)]), "Keyword": El(text=t_string),
    "Creator": El(text=t_string), "CreatorVersion": El(text=t_string),
    "CustomDatas": El(children=[("CustomData", 1, UNBOUNDED)]),
    "CustomData": El({"Name": (t_string, R)}, text=t_string),
    "DocRoot": El(text=t_loc), "Signatures": El(text=t_loc),
    # Document.xml (section 7.5)
    "Document": El(children=[("CommonData", 1, 1), ("Pages", 1, 1), ("Outlines", 0, 1), ("Permissions", 0, 1),
                             ("Actions", 0, 1), ("VPreferences", 0, 1), ("Bookmarks", 0, 1), ("Annotations", 0, 1),
                             ("CustomTags", 0, 1), ("Attachments", 0, 1), ("Extensions", 0, 1)]),
    "CommonData": El(children=[("MaxUnitID", 1, 1), ("PageArea", 1, 1), ("PublicRes", 0, UNBOUNDED),
                               ("DocumentRes", 0, UNBOUNDED), ("TemplatePage", 0, UNBOUNDED), ("DefaultCS", 0, 1)]),
    "MaxUnitID": El(text=t_id), "PublicRes": El(text=t_loc), "DocumentRes": El(text=t_loc), "DefaultCS": El(text=t_id),
    "PageArea": El(children=[("PhysicalBox", 1, 1), ("ApplicationBox", 0, 1), ("ContentBox", 0, 1), ("BleedBox", 0, 1)]),
    "PhysicalBox": El(text=t_box), "ApplicationBox": El(text=t_box), "ContentBox": El(text=t_box),
    "BleedBox": El(text=t_box),
    "Pages": El(children=[("Page", 1, UNBOUNDED)]),
    "Outlines": El(children=[("OutlineElem", 1, UNBOUNDED)]),
    "OutlineElem": El({"Title": (t_string, R), "Count": (t_int, O), "Expanded": (t_bool, O)},
                      [("Actions", 0, 1), ("OutlineElem", 0, UNBOUNDED)]),
    "Actions": El(children=[("Action", 1, UNBOUNDED)]),
    "Action": El({"Event": (enum("DO", "PO", "CLICK"), R)}, _ACTION_CHILDREN),
    "Goto": El(children=[(("Dest", "Bookmark"), 1, 1)]),
    "Dest": El({"Type": (enum("XYZ", "Fit", "FitH", "FitV", "FitR"), R), "PageID": (t_id, R), "Left": (t_double, O),
                "Top": (t_double, O), "Right": (t_double, O), "Bottom": (t_double, O), "Zoom": (t_double, O)}),
    # resources (section 9)
    "Res": El({"BaseLoc": (t_loc, R)}, [(("ColorSpaces", "DrawParams", "Fonts", "MultiMedias", "CompositeGraphicUnits"),
                                        0, UNBOUNDED)]),
    "ColorSpaces": El(children=[("ColorSpace", 1, UNBOUNDED)]),
    "ColorSpace": El({"ID": (t_id, R), "Type": (enum("GRAY", "RGB", "CMYK"), R), "BitsPerComponent": (t_int, O),
                      "Profile": (t_loc, O)}, [("Palette", 0, 1)]),
    "Fonts": El(children=[("Font", 1, UNBOUNDED)]),
    "Font": El({"ID": (t_id, R), "FontName": (t_string, R), "FamilyName": (t_string, O),
                "Charset": (enum("symbol", "prc", "big5", "shift-jis", "wansung", "johab", "unicode"), O),
                "Italic": (t_bool, O), "Bold": (t_bool, O), "Serif": (t_bool, O), "FixedWidth": (t_bool, O)},
               [("FontFile", 0, 1)]),
    "FontFile": El(text=t_loc),
    "MultiMedias": El(children=[("MultiMedia", 1, UNBOUNDED)]),
    "MultiMedia": El({"ID": (t_id, R), "Type": (enum("Image", "Audio", "Video"), R), "Format": (t_string, O)},
                     [("MediaFile", 1, 1)]),
    "MediaFile": El(text=t_loc),
    # pages (sections 7.7, 10, 11, 13)
    "Page": El(children=[("Template", 0, UNBOUNDED), ("PageRes", 0, UNBOUNDED), ("Area", 0, 1), ("Content", 0, 1),
                         ("Actions", 0, 1)]),
    "Area": El(children=[("PhysicalBox", 1, 1), ("ApplicationBox", 0, 1), ("ContentBox", 0, 1), ("BleedBox", 0, 1)]),
    "Content": El(children=[("Layer", 1, UNBOUNDED)]),
    "Layer": El({"ID": (t_id, R), "Type": (enum("Body", "Background", "Foreground", "Custom"), O),
                 "DrawParam": (t_id, O)}, [(_PAGE_OBJECTS, 0, UNBOUNDED)]),
    "TextObject": El({**_GRAPHIC_UNIT, "Font": (t_id, R), "Size": (t_double, R), "Stroke": (t_bool, O),
                      "Fill": (t_bool, O), "HScale": (t_double, O), "ReadDirection": (t_int, O),
                      "CharDirection": (t_int, O), "Weight": (t_weight, O), "Italic": (t_bool, O)},
                     [("Actions", 0, 1), ("Clips", 0, 1), ("FillColor", 0, 1), ("StrokeColor", 0, 1),
                      (("CGTransform", "TextCode"), 1, UNBOUNDED)]),
    "CGTransform": El({"CodePosition": (t_int, R), "CodeCount": (t_int, O), "GlyphCount": (t_int, O)},
                      [("Glyphs", 0, 1)]),
    "Glyphs": El(text=t_array),
    "TextCode": El({"X": (t_double, O), "Y": (t_double, O), "DeltaX": (t_delta, O), "DeltaY": (t_delta, O)},
                   text=t_string),
    "PathObject": El({**_GRAPHIC_UNIT, "Stroke": (t_bool, O), "Fill": (t_bool, O),
                      "Rule": (enum("NonZero", "Even-Odd"), O)},
                     [("Actions", 0, 1), ("Clips", 0, 1), ("StrokeColor", 0, 1), ("FillColor", 0, 1),
                      ("AbbreviatedData", 1, 1)]),
    "AbbreviatedData": El(text=t_string),
    "ImageObject": El({**_GRAPHIC_UNIT, "ResourceID": (t_id, R), "Substitution": (t_id, O), "ImageMask": (t_id, O)},
                      [("Actions", 0, 1), ("Clips", 0, 1), ("Border", 0, 1)]),
    "FillColor": _COLOR, "StrokeColor": _COLOR,
    "Clips": El(children=[("Clip", 1, UNBOUNDED)]),
    "Clip": El(children=[("Area", 1, UNBOUNDED)]),
    "ClipArea": El({"DrawParam": (t_id, O), "CTM": (t_ctm, O)}, [(("Path", "Text"), 1, 1)]),
    "Path": El({k: v for k, v in _GRAPHIC_UNIT.items() if k != "ID"} | {
        "Stroke": (t_bool, O), "Fill": (t_bool, O), "Rule": (enum("NonZero", "Even-Odd"), O)},
        [("StrokeColor", 0, 1), ("FillColor", 0, 1), ("AbbreviatedData", 1, 1)]),
    # the rest of sections 7–13 that a document may hold (bulletin writes none of them)
    "Versions": El(children=[("Version", 1, UNBOUNDED)]),
    "Version": El({"ID": (t_string, R), "Index": (t_int, R), "Current": (t_bool, O), "BaseLoc": (t_loc, R)}),
    "TemplatePage": El({"ID": (t_id, R), "Name": (t_string, O), "ZOrder": (enum("Background", "Foreground"), O),
                        "BaseLoc": (t_loc, R)}),
    "Template": El({"TemplateID": (t_id, R), "ZOrder": (enum("Background", "Foreground"), O)}),
    "PageRes": El(text=t_loc), "Annotations": El(text=t_loc), "CustomTags": El(text=t_loc),
    "Attachments": El(text=t_loc), "Extensions": El(text=t_loc),
    "Permissions": El(children=[("Edit", 0, 1), ("Annot", 0, 1), ("Export", 0, 1), ("Signature", 0, 1),
                                ("Watermark", 0, 1), ("PrintScreen", 0, 1), ("Print", 0, 1), ("ValidPeriod", 0, 1)]),
    "Edit": El(text=t_bool), "Annot": El(text=t_bool), "Export": El(text=t_bool), "Signature": El(text=t_bool),
    "Watermark": El(text=t_bool), "PrintScreen": El(text=t_bool),
    "Print": El({"Printable": (t_bool, R), "Copies": (t_int, O)}),
    "ValidPeriod": El({"StartDate": (t_string, O), "EndDate": (t_string, O)}),
    "VPreferences": El(children=[("PageMode", 0, 1), ("PageLayout", 0, 1), ("TabDisplay", 0, 1), ("HideToolbar", 0, 1),
                                 ("HideMenubar", 0, 1), ("HideWindowUI", 0, 1), (("ZoomMode", "Zoom"), 0, 1)]),
    "PageMode": El(text=enum("None", "FullScreen", "UseOutlines", "UseThumbs", "UseCustomTags", "UseLayers",
                             "UseAttatchs", "UseBookmarks")),
    "PageLayout": El(text=enum("OnePage", "OneColumn", "TwoPageL", "TwoColumnL", "TwoPageR", "TwoColumnR")),
    "TabDisplay": El(text=enum("DocTitle", "FileName")), "HideToolbar": El(text=t_bool),
    "HideMenubar": El(text=t_bool), "HideWindowUI": El(text=t_bool),
    "ZoomMode": El(text=enum("Default", "FitHeight", "FitWidth", "FitRect")), "Zoom": El(text=t_double),
    "Bookmarks": El(children=[("Bookmark", 1, UNBOUNDED)]),
    "Bookmark": El({"Name": (t_string, R)}, [("Dest", 1, 1)]),
    "BookmarkRef": El({"Name": (t_string, R)}),
    "URI": El({"URI": (t_string, R), "Base": (t_string, O), "Target": (t_string, O)}),
    "GotoA": El({"AttachID": (t_string, R), "NewWindow": (t_bool, O)}),
    "Sound": El({"ResourceID": (t_id, R), "Volume": (t_int, O), "Repeat": (t_bool, O), "Synchronous": (t_bool, O)}),
    "Movie": El({"ResourceID": (t_id, R), "Operator": (enum("Play", "Stop", "Pause", "Resume"), O)}),
    "Region": El(children=[("RegionArea", 1, UNBOUNDED)]),
    "RegionArea": El({"Start": (t_pos, R)}, [(("Move", "Line", "QuadraticBezier", "CubicBezier", "Arc", "Close"),
                                              1, UNBOUNDED)]),
    "Move": El({"Point1": (t_pos, R)}), "Line": El({"Point1": (t_pos, R)}),
    "QuadraticBezier": El({"Point1": (t_pos, R), "Point2": (t_pos, R)}),
    "CubicBezier": El({"Point1": (t_pos, O), "Point2": (t_pos, O), "Point3": (t_pos, R)}),
    "Arc": El({"SweepDirection": (t_bool, R), "LargeArc": (t_bool, R), "RotationAngle": (t_double, R),
               "EllipseSize": (t_array, R), "EndPoint": (t_pos, R)}),
    "Close": El(),
    "Palette": El(children=[("CV", 1, UNBOUNDED)]), "CV": El(text=t_array),
    "DrawParams": El(children=[("DrawParam", 1, UNBOUNDED)]),
    "DrawParam": El({"ID": (t_id, R), "Relative": (t_id, O), "LineWidth": (t_double, O), "Join": (t_string, O),
                     "Cap": (t_string, O), "DashOffset": (t_double, O), "DashPattern": (t_array, O),
                     "MiterLimit": (t_double, O)}, [("FillColor", 0, 1), ("StrokeColor", 0, 1)]),
    "CompositeObject": El({**_GRAPHIC_UNIT, "ResourceID": (t_id, R)}, [("Actions", 0, 1), ("Clips", 0, 1)]),
    "PageBlock": El({"ID": (t_id, R)}, [(_PAGE_OBJECTS, 0, UNBOUNDED)]),
    "Border": El({"LineWidth": (t_double, O), "HorizonalCornerRadius": (t_double, O),
                  "VerticalCornerRadius": (t_double, O), "DashOffset": (t_double, O), "DashPattern": (t_array, O)},
                 [("BorderColor", 0, 1)]),
    "BorderColor": _COLOR,
}
# elements of the same name that mean different things, told apart by their parent
_BY_PARENT = {("Clip", "Area"): "ClipArea", ("Document", "Actions"): "Actions", ("Region", "Area"): "RegionArea",
              ("Goto", "Bookmark"): "BookmarkRef"}
_PAGE_REF = El({"ID": (t_id, R), "BaseLoc": (t_loc, R)})
_ROOTS = {"OFD", "Document", "Res", "Page"}

_PATH_OPERANDS = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}


@dataclass
class Problem:
    part: str
    message: str

    def __str__(self) -> str:
        return f"{self.part}: {self.message}"


class _Checker:
    def __init__(self, data: bytes):
        self.problems: list[Problem] = []
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = set(self.zip.namelist())
        self.ids: dict[int, tuple[str, str]] = {}  # ID → (kind, part)
        self.refs: list[tuple[str, int, set[str], str]] = []  # (part, ID, allowed kinds, what)
        self.fonts: dict[int, object] = {}  # font ID → fontTools font
        self.color_spaces: dict[int, int] = {}  # ID → components
        self.default_cs = 3

    def fail(self, part: str, message: str) -> None:
        self.problems.append(Problem(part, message))

    def parse(self, part: str):
        if part not in self.names:
            self.fail(part, "named by another part but missing from the package")
            return None
        try:
            return ET.fromstring(self.zip.read(part))
        except ET.ParseError as exc:
            self.fail(part, f"not well-formed XML: {exc}")
            return None

    # structure -------------------------------------------------
    def structure(self, part: str, element, parent: str | None = None) -> None:
        tag = element.tag
        if not tag.startswith("{" + NS + "}"):
            self.fail(part, f"element {tag} outside the OFD namespace")
            return
        name = tag[len(NS) + 2:]
        key = _BY_PARENT.get((parent, name), name)
        if parent == "Pages" and name == "Page":
            rule = _PAGE_REF
        else:
            rule = SCHEMA.get(key)
        if rule is None:
            self.fail(part, f"<{name}> is not allowed here (or is a part of the standard this checker leaves out: "
                            "shadings, patterns, composite graphic units, annotation, signature and tag parts)")
            return
        for attr, value in element.attrib.items():
            if attr not in rule.attrs:
                self.fail(part, f"<{name}> has no attribute {attr}")
                continue
            error = rule.attrs[attr][0](value)
            if error:
                self.fail(part, f"<{name} {attr}=\"{value}\">: {error}")
        for attr, (_, required) in rule.attrs.items():
            if required and attr not in element.attrib:
                self.fail(part, f"<{name}> lacks the required attribute {attr}")
        children = list(element)
        if rule.text is not None:
            if children:
                self.fail(part, f"<{name}> holds text only")
            error = rule.text(element.text or "")
            if error:
                self.fail(part, f"<{name}>{element.text}</{name}>: {error}")
            return
        if (element.text or "").strip():
            self.fail(part, f"<{name}> holds elements only, not text")
        self._content_model(part, name, rule.children, [c.tag[len(NS) + 2:] if c.tag.startswith("{" + NS) else c.tag
                                                        for c in children])
        for child in children:
            self.structure(part, child, key)

    def _content_model(self, part: str, name: str, model, tags: list[str]) -> None:
        i = 0
        for names, low, high in model:
            names = (names,) if isinstance(names, str) else names
            count = 0
            while i < len(tags) and tags[i] in names and (high is None or count < high):
                i += 1
                count += 1
            if count < low:
                self.fail(part, f"<{name}> needs {low} × <{'|'.join(names)}> here, has {count}")
        if i < len(tags):
            self.fail(part, f"<{name}>: <{tags[i]}> is not allowed at position {i + 1}")

    # rules between parts ---------------------------------------
    def declare(self, part: str, element, kind: str) -> None:
        ident = element.get("ID")
        if ident and t_id(ident) is None:
            number = int(ident)
            if number in self.ids:
                self.fail(part, f"ID {number} is used twice ({self.ids[number][0]} and {kind})")
            self.ids[number] = (kind, part)

    def refer(self, part: str, value: str | None, kinds: set[str], what: str) -> None:
        if value is not None and t_id(value) is None:
            self.refs.append((part, int(value), kinds, what))

    def run(self) -> list[Problem]:
        if "OFD.xml" not in self.names:
            self.fail("OFD.xml", "missing: the package entry")
            return self.problems
        bad = [n for n in self.names if n.startswith("/") or ".." in n.split("/") or "\\" in n]
        for name in bad:
            self.fail(name, "unsafe name in the package")
        root = self.parse("OFD.xml")
        if root is None:
            return self.problems
        self.structure("OFD.xml", root)
        for body in root.findall(f"{{{NS}}}DocBody"):
            loc = (body.findtext(f"{{{NS}}}DocRoot") or "").strip().lstrip("/")
            self.document(loc)
        return self.problems

    def document(self, part: str) -> None:
        doc = self.parse(part)
        if doc is None:
            return
        self.structure(part, doc)
        folder = posixpath.dirname(part)
        common = doc.find(f"{{{NS}}}CommonData")
        max_id = int(common.findtext(f"{{{NS}}}MaxUnitID") or 0) if common is not None else 0
        for tag in ("PublicRes", "DocumentRes"):
            for loc in doc.iter(f"{{{NS}}}{tag}"):
                self.resources(posixpath.join(folder, (loc.text or "").strip()))
        default = doc.findtext(f"{{{NS}}}CommonData/{{{NS}}}DefaultCS")
        if default:
            self.refer(part, default.strip(), {"ColorSpace"}, "DefaultCS")
            self.default_cs = self.color_spaces.get(int(default), 3)
        for page in doc.iter(f"{{{NS}}}Page"):
            self.declare(part, page, "Page")
            self.page(posixpath.join(folder, page.get("BaseLoc", "")))
        for dest in doc.iter(f"{{{NS}}}Dest"):
            self.refer(part, dest.get("PageID"), {"Page"}, "outline destination")
        for number, (kind, where) in self.ids.items():
            if number > max_id:
                self.fail(where, f"ID {number} ({kind}) above MaxUnitID {max_id}")
        for where, number, kinds, what in self.refs:
            found = self.ids.get(number)
            if found is None:
                self.fail(where, f"{what} refers to ID {number}, which no element has")
            elif found[0] not in kinds:
                self.fail(where, f"{what} refers to ID {number}, a {found[0]} (expected {' or '.join(sorted(kinds))})")

    def resources(self, part: str) -> None:
        res = self.parse(part)
        if res is None:
            return
        self.structure(part, res)
        base = posixpath.join(posixpath.dirname(part), res.get("BaseLoc", ""))
        for space in res.iter(f"{{{NS}}}ColorSpace"):
            self.declare(part, space, "ColorSpace")
            if space.get("ID", "").isdigit():
                self.color_spaces[int(space.get("ID"))] = {"GRAY": 1, "RGB": 3, "CMYK": 4}.get(space.get("Type"), 3)
        for font in res.iter(f"{{{NS}}}Font"):
            self.declare(part, font, "Font")
            file = font.findtext(f"{{{NS}}}FontFile")
            if file:
                self.font_file(part, font.get("ID", "0"), posixpath.join(base, file.strip()))
        for media in res.iter(f"{{{NS}}}MultiMedia"):
            self.declare(part, media, "MultiMedia")
            file = media.findtext(f"{{{NS}}}MediaFile")
            if file:
                self.image_file(part, posixpath.join(base, file.strip()), media.get("Format", ""))

    def font_file(self, part: str, ident: str, path: str) -> None:
        from fontTools.ttLib import TTFont, TTLibError

        if path not in self.names:
            self.fail(part, f"font file {path} missing from the package")
            return
        data = self.zip.read(path)
        if data[:4] not in (b"OTTO", b"\x00\x01\x00\x00", b"true"):
            self.fail(path, "not an OpenType or TrueType font program")
            return
        try:
            font = TTFont(io.BytesIO(data), lazy=True)
            font.getGlyphOrder()
            font.getBestCmap()
        except (TTLibError, Exception) as exc:  # noqa: BLE001 - any parse failure is the finding
            self.fail(path, f"font program does not parse: {exc}")
            return
        if ident.isdigit():
            self.fonts[int(ident)] = font

    def image_file(self, part: str, path: str, fmt: str) -> None:
        from PIL import Image

        if path not in self.names:
            self.fail(part, f"image file {path} missing from the package")
            return
        try:
            with Image.open(io.BytesIO(self.zip.read(path))) as picture:
                picture.load()
                if fmt and picture.format != fmt.upper().replace("JPG", "JPEG"):
                    self.fail(part, f"{path} is {picture.format}, declared {fmt}")
        except Exception as exc:  # noqa: BLE001
            self.fail(path, f"image does not decode: {exc}")

    def page(self, part: str) -> None:
        page = self.parse(part)
        if page is None:
            return
        self.structure(part, page)
        for layer in page.iter(f"{{{NS}}}Layer"):
            self.declare(part, layer, "Layer")
        for kind in ("TextObject", "PathObject", "ImageObject", "CompositeObject", "PageBlock"):
            for obj in page.iter(f"{{{NS}}}{kind}"):
                self.declare(part, obj, kind)
        for text in page.iter(f"{{{NS}}}TextObject"):
            self.refer(part, text.get("Font"), {"Font"}, "TextObject Font")
            self.text_object(part, text)
        for image in page.iter(f"{{{NS}}}ImageObject"):
            self.refer(part, image.get("ResourceID"), {"MultiMedia"}, "ImageObject ResourceID")
        for path in page.iter(f"{{{NS}}}AbbreviatedData"):
            self.path_data(part, path.text or "")
        for tag in ("FillColor", "StrokeColor"):
            for color in page.iter(f"{{{NS}}}{tag}"):
                self.color(part, color)

    def color(self, part: str, color) -> None:
        space = color.get("ColorSpace")
        self.refer(part, space, {"ColorSpace"}, "colour space")
        value = color.get("Value")
        if value is None:
            return
        components = self.color_spaces.get(int(space), 3) if space and space.isdigit() else self.default_cs
        numbers = _numbers(value) or []
        if len(numbers) != components:
            self.fail(part, f"colour {value!r} has {len(numbers)} components, its colour space {components}")
        if any(v < 0 or v > 255 for v in numbers):
            self.fail(part, f"colour {value!r} outside 0–255 (8 bits per component)")

    def path_data(self, part: str, data: str) -> None:
        tokens = data.split()
        i = 0
        while i < len(tokens):
            op = tokens[i]
            if op not in _PATH_OPERANDS:
                self.fail(part, f"path data: {op!r} is not a path command")
                return
            n = _PATH_OPERANDS[op]
            operands = tokens[i + 1:i + 1 + n]
            if len(operands) != n or _numbers(" ".join(operands)) is None:
                self.fail(part, f"path data: {op} needs {n} numbers")
                return
            i += 1 + n

    def text_object(self, part: str, obj) -> None:
        font = self.fonts.get(int(obj.get("Font", "0"))) if obj.get("Font", "").isdigit() else None
        cmap, glyph_count = {}, 0
        if font is not None:
            cmap = font.getBestCmap() or {}
            order = font.getGlyphOrder()
            glyph_count = len(order)
            index = {name: i for i, name in enumerate(order)}
            cmap = {cp: index.get(name, 0) for cp, name in cmap.items()}
        box = _numbers(obj.get("Boundary", "")) or [0, 0, 0, 0]
        pending: list = []
        for child in obj:
            name = child.tag[len(NS) + 2:]
            if name == "CGTransform":
                pending.append(child)
                continue
            if name != "TextCode":
                continue
            text = child.text or ""
            if not text:
                self.fail(part, "empty TextCode")
            covered = set()
            for cg in pending:
                position = int(cg.get("CodePosition", "0"))
                count = int(cg.get("CodeCount", "1"))
                glyphs = _numbers(cg.findtext(f"{{{NS}}}Glyphs") or "") or []
                if position < 0 or position + count > len(text):
                    self.fail(part, f"CGTransform {position}+{count} beyond its TextCode “{text}”")
                if len(glyphs) != int(cg.get("GlyphCount", "1")):
                    self.fail(part, f"CGTransform has {len(glyphs)} glyphs, GlyphCount {cg.get('GlyphCount', '1')}")
                if font is not None and any(g < 0 or g >= glyph_count or g != int(g) for g in glyphs):
                    self.fail(part, f"CGTransform names a glyph the font does not have: {glyphs}")
                covered.update(range(position, position + count))
            pending = []
            if font is not None:
                for k, ch in enumerate(text):
                    if k not in covered and cmap.get(ord(ch), 0) == 0 and not ch.isspace():
                        self.fail(part, f"“{ch}” (U+{ord(ch):04X}) has no glyph in font {obj.get('Font')}")
            for axis in ("DeltaX", "DeltaY"):
                value = child.get(axis)
                if value is None or t_delta(value):
                    continue
                from .package import expand_deltas

                if len(expand_deltas(value)) != len(text) - 1:
                    self.fail(part, f"{axis} has {len(expand_deltas(value))} values for {len(text)} characters")
            x, y = float(child.get("X", "0")), float(child.get("Y", "0"))
            if obj.get("CTM") is None and not (-1e-6 <= x <= box[2] + 1e-6 and -1e-6 <= y <= box[3] + 1e-6):
                self.fail(part, f"TextCode origin ({x}, {y}) outside its Boundary")
        if pending:
            self.fail(part, "CGTransform not followed by a TextCode")


def check_package(data: bytes) -> list[Problem]:
    """Problems of an OFD package (an empty list when it conforms)."""
    try:
        return _Checker(data).run()
    except zipfile.BadZipFile as exc:
        return [Problem("(package)", f"not a zip file: {exc}")]
