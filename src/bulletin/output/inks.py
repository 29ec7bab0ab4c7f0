"""The masthead red as a spot colour (专色).

WeasyPrint writes CSS colours as DeviceRGB or DeviceCMYK; a print shop that prints the masthead
with a spot ink (e.g. PANTONE 485 C) needs it as a Separation colour space. `spot_colour` rewrites
the fill and stroke colour operators that set exactly the masthead's CMYK value into that spot
colour at full tint, with the CMYK value as its alternate (what screens and proofs show).
"""
from __future__ import annotations

import io

SPOT = "/BulletinSpot"


def _matches(operands, cmyk: tuple[float, ...]) -> bool:
    try:
        values = [float(v) for v in operands]
    except (TypeError, ValueError):
        return False
    return len(values) == 4 and all(abs(a - b) < 1e-4 for a, b in zip(values, cmyk))


def recolour(operations: list, cmyk: tuple[float, ...]) -> tuple[list, int]:
    """Content-stream operations with `/DeviceCMYK cs c m y k scn` (and CS/SCN) for this colour
    turned into the spot colour; returns the operations and how many were changed."""
    from pypdf.generic import FloatObject, NameObject

    out, changed = [], 0
    i = 0
    while i < len(operations):
        operands, operator = operations[i]
        if operator in (b"cs", b"CS") and operands and operands[0] == "/DeviceCMYK" and i + 1 < len(operations):
            next_operands, next_operator = operations[i + 1]
            if next_operator == (b"scn" if operator == b"cs" else b"SCN") and _matches(next_operands, cmyk):
                out.append(([NameObject(SPOT)], operator))
                out.append(([FloatObject(1)], next_operator))
                changed += 1
                i += 2
                continue
        if operator in (b"k", b"K") and _matches(operands, cmyk):
            out.append(([NameObject(SPOT)], b"cs" if operator == b"k" else b"CS"))
            out.append(([FloatObject(1)], b"scn" if operator == b"k" else b"SCN"))
            changed += 1
            i += 1
            continue
        out.append((operands, operator))
        i += 1
    return out, changed


def separation(writer, name: str, cmyk: tuple[float, ...]):
    """[/Separation /name /DeviceCMYK tint-transform], the tint running from no ink to `cmyk`."""
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject

    function = DictionaryObject({
        NameObject("/FunctionType"): NumberObject(2),
        NameObject("/Domain"): ArrayObject([NumberObject(0), NumberObject(1)]),
        NameObject("/C0"): ArrayObject([FloatObject(0)] * 4),
        NameObject("/C1"): ArrayObject([FloatObject(v) for v in cmyk]),
        NameObject("/N"): NumberObject(1),
    })
    return writer._add_object(ArrayObject([
        NameObject("/Separation"), NameObject("/" + _name_token(name)), NameObject("/DeviceCMYK"),
        writer._add_object(function)]))


def _name_token(name: str) -> str:
    """A PDF name for a colour name: characters outside ! … ~ and the delimiters as #xx."""
    out = []
    for byte in name.encode("utf-8"):
        ch = chr(byte)
        out.append(ch if 0x21 <= byte <= 0x7E and ch not in "#/()<>[]{}%" else f"#{byte:02X}")
    return "".join(out)


def spot_colour(pdf: bytes, cmyk_percent: list[float], name: str) -> bytes:
    """The PDF with the masthead's CMYK colour printed as the spot colour `name`."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    cmyk = tuple(v / 100 for v in cmyk_percent)
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    colour_space = None
    for page in writer.pages:
        contents = page.get_contents()
        if contents is None:
            continue
        stream = ContentStream(contents, writer)
        operations, changed = recolour(stream.operations, cmyk)
        if not changed:
            continue
        stream.operations = operations
        page.replace_contents(stream)
        if colour_space is None:
            colour_space = separation(writer, name, cmyk)
        resources = page["/Resources"]
        spaces = resources.get("/ColorSpace")
        spaces = spaces.get_object() if spaces is not None else DictionaryObject()
        spaces[NameObject(SPOT)] = colour_space
        resources[NameObject("/ColorSpace")] = spaces
        page.compress_content_streams()
    if colour_space is None:
        return pdf
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
