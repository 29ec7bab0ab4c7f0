"""Block layout hooks for WeasyPrint 70: blocks of their own height back onto the line grid.

GB/T 9704's 版心网格 (layout option `grid: on`) puts every line of text on one baseline grid: each
line box is one line pitch high and every gap a whole number of pitches. A picture or a table has
the height it has, so the text after it would sit off the grid for the rest of the page. CSS has
no way to round a box's height up to a multiple of the line pitch; these hooks do it:

- `snap_block_level_layout` replaces `weasyprint.layout.block.block_level_layout`: after a box
  marked by the layout (class `snap`, and a custom property `--grid-snap` giving the pitch) is
  laid out, its height grows by what brings its bottom edge onto the next grid line of the page
  (never past the page's bottom).
- `record_page_top` replaces `weasyprint.layout.block.block_container_layout`: it notes the top of
  the page's content area (the grid's origin) when the root box starts a page.

`install()` checks that the pinned WeasyPrint still has these functions with the signatures they
were written against and fails loudly if not; `uninstall()` puts the originals back.
"""
from __future__ import annotations

import inspect

WEASYPRINT_SERIES = "70."
SNAP_CLASS = "snap"
GRID_PROPERTY = "__grid_snap"  # --grid-snap as WeasyPrint stores custom properties
_UNITS_PX = {"px": 1.0, "pt": 4 / 3, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
_originals: dict[str, object] = {}


class WeasyPrintChanged(RuntimeError):
    pass


def grid_pitch(style) -> float | None:
    """The line pitch in CSS px from an element's `--grid-snap` (e.g. 28.99pt), or None."""
    try:
        tokens = style[GRID_PROPERTY]
    except (KeyError, TypeError):
        return None
    if not tokens or len(tokens) != 1 or getattr(tokens[0], "type", None) != "dimension":
        return None
    token = tokens[0]
    factor = _UNITS_PX.get(token.unit.lower() if token.unit else "")
    return token.value * factor if factor and token.value > 0 else None


MIN_GAP = 0.3  # of a line pitch: the least room between a snapped box and the text after it


def snapped_height(top: float, bottom: float, pitch: float, limit: float) -> float:
    """How much to add to a box ending at `bottom` so it ends on a grid line counted from `top`,
    leaving at least MIN_GAP of a pitch before that line, without passing `limit` (the page's
    bottom: there, the nearest line or nothing)."""
    gap = (top - bottom) % pitch
    if gap > pitch - 0.01:
        gap = 0.0
    nearest = gap
    if gap < MIN_GAP * pitch:
        gap += pitch
    if bottom + gap <= limit + 0.01:
        return gap
    return nearest if bottom + nearest <= limit + 0.01 else 0.0


def _classes(box) -> list[str]:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return []
    return (element.get("class") or "").split()


def record_page_top(context, box, bottom_space, skip_stack, page_is_empty, absolute_boxes, fixed_boxes,
                    adjoining_margins, first_letter_style, first_line_style, discard, max_lines):
    """Replaces block.block_container_layout: remembers where the page's content area starts (the
    root box starts there on every page) as the origin of the line grid, then lays out as before."""
    if box.is_for_root_element:
        context.bulletin_page_top = box.content_box_y()
    return _originals["block_container_layout"](
        context, box, bottom_space, skip_stack, page_is_empty, absolute_boxes, fixed_boxes,
        adjoining_margins, first_letter_style, first_line_style, discard, max_lines)


def snap_block_level_layout(context, box, bottom_space, skip_stack, containing_block, page_is_empty=True,
                            absolute_boxes=None, fixed_boxes=None, adjoining_margins=None,
                            first_letter_style=None, first_line_style=None, discard=False, max_lines=None):
    """Replaces block.block_level_layout: lays the box out as before; a `snap` box (picture, table)
    in a grid layout then grows to end on a grid line, so the text after it is back on the grid."""
    result = _originals["block_level_layout"](
        context, box, bottom_space, skip_stack, containing_block, page_is_empty, absolute_boxes,
        fixed_boxes, adjoining_margins, first_letter_style, first_line_style, discard, max_lines)
    new_box = result[0]
    top = getattr(context, "bulletin_page_top", None)
    if new_box is None or top is None or SNAP_CLASS not in _classes(new_box) or type(new_box).__name__ == "TableBox":
        return result  # (a table is snapped through its wrapper box, which carries its margins)
    pitch = grid_pitch(new_box.style)
    if pitch is None:
        return result
    bottom = new_box.border_box_y() + new_box.border_height()
    extra = snapped_height(top, bottom, pitch, context.page_bottom - bottom_space)
    if extra:
        new_box.height += extra
    return result


PATCHES = {  # name in weasyprint.layout.block → (replacement, parameters it was written against)
    "block_level_layout": (snap_block_level_layout, [
        "context", "box", "bottom_space", "skip_stack", "containing_block", "page_is_empty", "absolute_boxes",
        "fixed_boxes", "adjoining_margins", "first_letter_style", "first_line_style", "discard", "max_lines"]),
    "block_container_layout": (record_page_top, [
        "context", "box", "bottom_space", "skip_stack", "page_is_empty", "absolute_boxes", "fixed_boxes",
        "adjoining_margins", "first_letter_style", "first_line_style", "discard", "max_lines"]),
}


def check_internals() -> list[str]:
    """What no longer matches the WeasyPrint these hooks were written for (empty: all is well)."""
    import weasyprint
    from weasyprint.layout import block

    problems = []
    if not weasyprint.__version__.startswith(WEASYPRINT_SERIES):
        problems.append(f"WeasyPrint {weasyprint.__version__} (written for {WEASYPRINT_SERIES}x)")
    for name, (replacement, params) in PATCHES.items():
        current = _originals.get(name) or getattr(block, name, None)
        if current is None or list(inspect.signature(current).parameters) != params:
            problems.append(f"layout.block.{name} changed")
    source = inspect.getsource(block._in_flow_layout)
    if "block_level_layout(\n" not in source and "block_level_layout(" not in source:
        problems.append("_in_flow_layout no longer lays children out through block_level_layout")
    if "new_child.border_box_y() + new_child.border_height()" not in source:
        problems.append("_in_flow_layout no longer places the next child below the border box")
    if "block_container_layout(" not in inspect.getsource(block.block_box_layout):
        problems.append("block_box_layout no longer calls block_container_layout")
    return problems


def install() -> None:
    """Hook the grid snapping into WeasyPrint (idempotent)."""
    if _originals:
        return
    problems = check_internals()
    if problems:
        raise WeasyPrintChanged("bulletin's grid snapping cannot hook into this WeasyPrint: " + "; ".join(problems))
    from weasyprint.layout import block

    for name, (replacement, _params) in PATCHES.items():
        _originals[name] = getattr(block, name)
        setattr(block, name, replacement)


def uninstall() -> None:
    from weasyprint.layout import block

    for name, original in list(_originals.items()):
        setattr(block, name, original)
    _originals.clear()


def installed() -> bool:
    return bool(_originals)
