"""Han–Latin spacing at line edges, and items set flush right on a block's last line.

The quarter em between Han and Latin (text-autospace) is not letter-spacing: compose.py wraps such
Latin runs in spans with a quarter-em margin on the Han side (`as-l`, `as-r`), which line breaking
measures like any margin. Where such a margin falls at the start or end of a line, clreq wants no
space: it is removed here. Items a layout marks `.line-end` (署名, 共印×份) are moved to the right
edge of the last line of their block.
"""
from __future__ import annotations


def _in_flow_children(box):
    return [c for c in getattr(box, "children", ()) if c.is_in_normal_flow()]


def _classes(box) -> list[str]:
    return (box.element.get("class") or "").split() if box.element is not None else []


def edge_spacing_box(line, at_start: bool):
    """The autospace span whose margin sits at the start (end) of the line, with its ancestors."""
    from weasyprint.formatting_structure import boxes

    path, box = [], line
    while True:
        children = _in_flow_children(box)
        if not children or not isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            return None, path
        box = children[0] if at_start else children[-1]
        if isinstance(box, boxes.InlineBox):
            wanted = "as-l" if at_start else "as-r"
            margin = box.margin_left if at_start else box.margin_right
            if wanted in _classes(box) and margin:
                return box, path
            path.append(box)
        else:
            return None, path


def last_box_with_class(line, name: str):
    """The inline box with class `name` that ends the line (at any depth), or None."""
    from weasyprint.formatting_structure import boxes

    box = line
    while True:
        children = _in_flow_children(box)
        if not children or not isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            return None
        box = children[-1]
        if isinstance(box, boxes.InlineBox):
            if name in _classes(box):
                return box
        else:
            return None


def text_before_byline(element) -> str | None:
    """The block's text up to its .line-end item (署名, 共印×份), or None when it has none."""
    parts: list[str] = [element.text or ""]
    for child in element:
        classes = (child.get("class") or "").split()
        if "line-end" in classes:
            return "".join(parts)
        if "distribution" not in classes:  # the 报送 footnote is not part of the text
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return None


def ends_before_line_end_item(line) -> bool:
    """Whether `line` holds the end of its block's text while the block's .line-end item went to a
    line of its own (that line is the text's last: not stretched)."""
    import re

    from weasyprint.formatting_structure import boxes

    element = getattr(line, "element", None)
    if element is None:
        return False
    before = text_before_byline(element)
    if before is None:
        return False
    texts = []

    def walk(box):
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.TextBox):
                texts.append(child.text)
            elif isinstance(child, boxes.InlineBox):
                walk(child)

    walk(line)
    line_text = re.sub(r"\s+", "", "".join(texts))
    return bool(line_text) and re.sub(r"\s+", "", before).endswith(line_text)


def flush_line_end_item(line, available_width: float, last: bool) -> None:
    """署名, 共印×份: flush right on the last line of their block (layouts mark them .line-end)."""
    end_item = last_box_with_class(line, "line-end") if last else None
    if end_item is not None and available_width > line.width:
        end_item.translate(available_width - line.width, 0)
        line.width = available_width


def drop_edge_spacing(line) -> None:
    """Remove the Han–Latin margin of an autospace span at the start or the end of the line."""
    for at_start in (True, False):
        span, ancestors = edge_spacing_box(line, at_start)
        if span is None:
            continue
        if at_start:
            margin = span.margin_left
            for child in line.children:
                child.translate(-margin, 0)
            span.position_x += margin  # its margin edge stays at the line start
            span.margin_left = 0
        else:
            margin = span.margin_right
            span.margin_right = 0
        for box in ancestors:
            box.width -= margin
        line.width -= margin
