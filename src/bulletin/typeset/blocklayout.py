"""Block layout for WeasyPrint 70: blocks of their own height back onto the line grid.

GB/T 9704's 版心网格 (layout option `grid: on`) puts every line of text on one baseline grid: each
line box is one line pitch high and every gap a whole number of pitches. A picture or a table has
the height it has, so the text after it would sit off the grid for the rest of the page. CSS has
no way to round a box's height up to a multiple of the line pitch; two patches (patches.py) do it:

- `block_container_layout` calls `note_page_top`: the top of the page's content area (the grid's
  origin), noted when the root box starts a page;
- `block_level_layout` calls `snap` after a box is laid out: a box marked by the layout (class
  `snap`, and a custom property `--grid-snap` giving the pitch) grows by what brings its bottom
  edge onto the next grid line of the page (never past the page's bottom).
"""
from __future__ import annotations

SNAP_CLASS = "snap"
GRID_PROPERTY = "__grid_snap"  # --grid-snap as WeasyPrint stores custom properties
_UNITS_PX = {"px": 1.0, "pt": 4 / 3, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


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


def note_page_top(context, box) -> None:
    """Remember where the page's content area starts (the root box starts there on every page) as
    the origin of the line grid."""
    if box.is_for_root_element:
        context.bulletin_page_top = box.content_box_y()


def snap(context, new_box, bottom_space) -> None:
    """A `snap` box (picture, table) just laid out in a grid layout grows to end on a grid line, so
    the text after it is back on the grid."""
    top = getattr(context, "bulletin_page_top", None)
    if new_box is None or top is None or SNAP_CLASS not in _classes(new_box) or type(new_box).__name__ == "TableBox":
        return  # (a table is snapped through its wrapper box, which carries its margins)
    pitch = grid_pitch(new_box.style)
    if pitch is None:
        return
    bottom = new_box.border_box_y() + new_box.border_height()
    extra = snapped_height(top, bottom, pitch, context.page_bottom - bottom_space)
    if extra:
        new_box.height += extra
