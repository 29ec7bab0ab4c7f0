"""Justification between characters (W3C clreq §3.8).

WeasyPrint justifies only at spaces (layout/inline.py `justify_line` → `count_expandable_spaces`
→ `add_word_spacing`, drawn through Pango letter-spacing on the spaces in text/line_break.py
`Layout.set_text`). Chinese has no spaces, so a full line that ended short stays ragged.

The justification opportunities here are every boundary where either side is a CJK character (Han,
kana, full-width punctuation), besides the spaces; never inside a Latin word or a number, never
between the two halves of “——” or “……”, never after the last character of a line. The slack of the
line is spread evenly over all opportunities, so a mixed line such as “推进5G技术在工业行业深度应用”
does not pile it on its few spaces.

No character is inserted: the extra space is Pango letter-spacing, so the PDF text layer stays
exactly the source text. Pango gives a character with letter-spacing x half of x before and half
after it, and drops the halves at the start and end of a line. Each WeasyPrint text box has its own
one-line Pango layout, so inside a box the gap after character i is (x[i] + x[i+1]) / 2; the wanted
gaps g[i] determine the x[i] as a chain: x[0] = g[0], x[i+1] = 2·g[i] − x[i]. A gap at the end of a
box (before the next inline box on the line) is made by the box's width, which positions the next
box — as WeasyPrint itself does for spaces.
"""
from __future__ import annotations

import re

from ..text import is_cjk
from . import spacing
from .punctuation import KEEP_TOGETHER

SPACES = (" ", "\u00a0")


def opportunity_after(left: str, right: str) -> bool:
    """Whether the line may be stretched between `left` and `right` (adjacent characters)."""
    if left in SPACES:
        return True  # the space itself stretches, as in WeasyPrint
    if right in SPACES:
        return False  # the following space takes it
    if left == right and left in KEEP_TOGETHER:
        return False
    return is_cjk(left) or is_cjk(right)


def line_opportunities(text: str) -> list[int]:
    """Indices i of `text` (one line) with an opportunity between text[i] and text[i+1]."""
    return [i for i in range(len(text) - 1) if opportunity_after(text[i], text[i + 1])]


def chain_spacing(gaps: list[float]) -> list[float]:
    """Per-character letter-spacing values that give exactly `gaps[i]` between characters i and
    i+1 of a one-line Pango layout (see the module docstring). len(result) == len(gaps) + 1."""
    if not gaps:
        return [0.0]
    values = [gaps[0]]
    for gap in gaps:
        values.append(2 * gap - values[-1])
    return values


def leaf_text_boxes(box):
    """The text boxes of a line in order; None for an atomic inline (no opportunity across it)."""
    from weasyprint.formatting_structure import boxes

    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.TextBox):
            yield child
        elif isinstance(child, boxes.InlineBox):
            yield from leaf_text_boxes(child)
        elif child.is_in_normal_flow():
            yield None


def _ends_before_byline(line, leaves) -> bool:
    """Whether this is the block's last line of text, its .line-end item gone to a line of its own."""
    element = getattr(line, "element", None)
    if element is None or not leaves or leaves[-1] is None:
        return False
    before = spacing.text_before_byline(element)
    line_text = "".join(leaf.text for leaf in leaves if leaf is not None)
    return before is not None and re.sub(r"\s+", "", before).endswith(re.sub(r"\s+", "", line_text))


def mark_opportunities(line) -> int:
    """Give each text box of `line` its opportunities (`bulletin_gaps`: indices inside the box,
    `bulletin_trailing`: one at its end); return their number (0: do not justify)."""
    leaves = list(leaf_text_boxes(line))
    if _ends_before_byline(line, leaves):
        return 0
    chars: list[tuple[object, int]] = []  # (box, index in box) for every character of the line
    text = []
    for leaf in leaves:
        if leaf is None:
            chars.append((None, 0))
            text.append("\ufffc")
            continue
        leaf.bulletin_gaps, leaf.bulletin_trailing = [], False
        for i, ch in enumerate(leaf.text):
            chars.append((leaf, i))
            text.append(ch)
    opportunities = line_opportunities("".join(text))
    last_leaf = leaves[-1] if leaves else None
    if opportunities and last_leaf is not None and getattr(last_leaf.pango_layout, "bulletin_hanging", False):
        if opportunities[-1] == len(text) - 2:
            opportunities.pop()  # the hanging mark follows its character directly
    total = 0
    for i in opportunities:
        box, index = chars[i]
        if box is None:
            continue
        if index == len(box.text) - 1:
            box.bulletin_trailing = True  # the gap is made by the box's width
        else:
            box.bulletin_gaps.append(index)
        total += 1
    return total


def letter_spacing_values(style, chars: str, gaps: frozenset[int], extra: float) -> list[float]:
    """Per-character letter-spacing for a justified text box: the layout's tracking, `extra` at
    each of its gaps, word spacing at spaces (through the chain, see the module docstring)."""
    letter = style["letter_spacing"]
    letter = 0 if letter == "normal" else letter
    wanted = [
        letter + (extra if i in gaps else 0) + (style["word_spacing"] if chars[i] in SPACES else 0)
        for i in range(len(chars) - 1)
    ]
    return chain_spacing(wanted)
