"""Chinese line adjustment for WeasyPrint 70 (W3C clreq §3.8): inter-character justification.

WeasyPrint justifies only at spaces (layout/inline.py `justify_line` → `count_expandable_spaces`
→ `add_word_spacing`, drawn through Pango letter-spacing on the spaces in text/line_break.py
`Layout.set_text`). Chinese has no spaces, so a full line that Pango's line breaking ended short
(a character pushed down by 禁则, a Latin word that did not fit) stays ragged.

This module widens the set of *justification opportunities* to every boundary where either side is
a CJK character (Han, kana, full-width punctuation), besides the spaces; never inside a Latin word
or a number, never between the two halves of “——” or “……”, never after the last character of a
line. The slack of the line is spread evenly over all opportunities, so a mixed line such as
“推进5G技术在工业行业深度应用” does not pile it on its few spaces.

No character is inserted: the extra space is Pango letter-spacing, so the PDF text layer stays
exactly the source text.

How the spacing is placed. Pango gives a character with letter-spacing x half of x before and half
after it, and drops the halves at the start and end of a line. Each WeasyPrint text box has its own
one-line Pango layout, so inside a box the gap after character i is (x[i] + x[i+1]) / 2; the wanted
gaps g[i] determine the x[i] as a chain: x[0] = g[0], x[i+1] = 2·g[i] − x[i]. A gap at the end of a
box (before the next inline box on the line) is made by the box's width, which positions the next
box — as WeasyPrint itself does for spaces.

The same hook, applied whenever Pango lays out Chinese text (so line breaking accounts for it):
punctuation compression (标点挤压, clreq §3.1.6): of two adjacent full-width marks the blank half
between them goes, using the font's `halt` feature (“。”” “，“” “）（” “（“”).

Hanging punctuation at line ends (行末点号悬挂, Word's “允许标点溢出边界”): where Pango would end a
line one character early because the next line would begin with 、，。；：！？ (禁则 push-out),
the line keeps that character and the mark hangs past the block edge, so full lines keep their
full count of characters (GB/T 9704 grid: 28) instead of being stretched.

Push-in (推入, clreq §3.1.7) before push-out: when the only allowed break that keeps the right
characters on a line makes it overflow by up to one em, up to two marks inside the line (the ones
nearest its end) are set half-width to make room.

Where Pango's UAX #14 refuses a break that Chinese rules allow — before an opening quote “‘ (class
QU), between ”“ — and so ends a line a character or more short, the break is moved to the latest
position clreq allows that still fits, by laying out exactly that much text.

The quarter em between Han and Latin (text-autospace) is not letter-spacing: a gap at one boundary
would need values that alternate along the rest of the text (half-before/half-after rule), which
Pango clamps and trims at line ends. compose.py wraps such Latin runs in spans with a quarter-em
margin on the Han side (`as-l`, `as-r`), which line breaking measures like any margin; the
`text_align` hook here removes the margin where it falls at the start or end of a line, where
clreq wants no space.

`install()` patches three functions of the pinned WeasyPrint and checks first that they are the
ones this was written against; a WeasyPrint that moved them makes it fail loudly (tests call it).
"""
from __future__ import annotations

import inspect
import re

from ..text import CJK_CHAR, NO_LINE_END, NO_LINE_START, is_cjk

WEASYPRINT_SERIES = "70."
_restore: list[tuple[object, str, object]] = []  # (owner, name, original) while installed

SPACES = (" ", "\u00a0")
_KEEP_TOGETHER = {"—", "…", "⸺"}  # “——” and “……” are one mark drawn as two characters


def opportunity_after(left: str, right: str) -> bool:
    """Whether the line may be stretched between `left` and `right` (adjacent characters)."""
    if left in SPACES:
        return True  # the space itself stretches, as in WeasyPrint
    if right in SPACES:
        return False  # the following space takes it
    if left == right and left in _KEEP_TOGETHER:
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


# Full-width marks whose blank half is on the right (zh-Hans: sitting left, or closing) and on the left.
CLOSING = set("，。、；：！？）》」』】〕〉”’")
HANGING = set("，。、；：！？")  # marks whose ink sits in their left half: they may hang at a line end
OPENING = set("（《「『【〔〈“‘")
PUSH_IN = CLOSING | OPENING  # marks that can give up half their width to pull a character in
_C, _O = re.escape("".join(sorted(CLOSING))), re.escape("".join(sorted(OPENING)))
# zero-width, so that overlapping pairs (“。”（”) are all found; group 1: closing first, 2: opening pair
_PAIRS = re.compile(f"(?=([{_C}][{_C}{_O}])|([{_O}][{_O}]))")


def break_allowed(left: str, right: str) -> bool:
    """Whether Chinese rules (clreq 禁则) allow a line break between `left` and `right`."""
    if right in NO_LINE_START or left in NO_LINE_END:
        return False
    if left == right and left in _KEEP_TOGETHER:
        return False
    if left.isascii() and right.isascii():
        return False  # Latin words, numbers, URLs: Pango's business
    return is_cjk(left) or is_cjk(right)


def compressed(text: str) -> list[int]:
    """Indices of marks set half-width because a neighbouring mark already gives the blank:
    of “。”” “，“” the first mark loses its right blank; of “（“” the second its left blank."""
    return [m.start() if m.group(1) else m.start() + 1 for m in _PAIRS.finditer(text)]


class WeasyPrintChanged(RuntimeError):
    pass


class ExactAdjustment(int):
    """Stands in for `int` in weasyprint/draw/text.py, where a glyph's position adjustment is written
    into the PDF as `int(kerning)` in 1/1000 em: truncation moves every glyph of a letter-spaced or
    justified line up to 0.014 pt (at 14 pt), 0.25–0.45 pt over a line. This keeps the exact value
    for the PDF text (3 decimals, no exponent: a valid PDF number) and is an ordinary int elsewhere
    (the module's other use passes it to C)."""

    def __new__(cls, value=0, *args):
        obj = super().__new__(cls, value, *args)
        obj.exact = value if isinstance(value, float) else float(obj)
        return obj

    def __format__(self, spec: str) -> str:
        if spec:
            return format(int(self), spec)
        text = f"{self.exact:.3f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text


_checked = False


def _check_internals(inline, line_break) -> None:
    """Fail loudly if the functions this module patches are not the ones it was written against."""
    global _checked
    if _checked:
        return
    import weasyprint

    problems = []
    if not weasyprint.__version__.startswith(WEASYPRINT_SERIES):
        problems.append(f"WeasyPrint {weasyprint.__version__} (written for {WEASYPRINT_SERIES}x)")
    expected = {
        (inline, "justify_line"): ["context", "line", "extra_width"],
        (inline, "text_align"): ["context", "line", "available_width", "last"],
        (inline, "split_first_line"): ["text", "style", "context", "max_width", "justification_spacing",
                                       "is_line_start", "minimum"],
        (inline, "count_expandable_spaces"): ["box"],
        (inline, "add_word_spacing"): ["context", "box", "justification_spacing", "x_advance"],
        (line_break.Layout, "set_text"): ["self", "text", "justify"],
        (line_break.Layout, "get_first_line"): ["self"],
    }
    for (owner, name), params in expected.items():
        func = getattr(owner, name, None)
        if func is None or list(inspect.signature(func).parameters) != params:
            problems.append(f"{getattr(owner, '__name__', owner)}.{name} changed")
    from weasyprint.draw import text as draw_text

    draw_source = inspect.getsource(draw_text)
    if "f'>{int(kerning)}<'" not in draw_source or draw_source.count("int(") != 2:
        problems.append("draw/text.py no longer writes glyph adjustments as int(kerning)")
    source = inspect.getsource(inline.add_word_spacing)
    if "count_expandable_spaces(box)" not in source or "create_layout(" not in source:
        problems.append("add_word_spacing no longer sizes boxes through count_expandable_spaces")
    if "first_line, index = textbox.pango_layout.get_first_line()" not in draw_source:
        problems.append("draw/text.py no longer draws from Layout.get_first_line")
    if "offset_x = text_align(" not in inspect.getsource(inline.get_next_linebox):
        problems.append("get_next_linebox no longer aligns lines through text_align")
    if "justify_line(context, line, offset)" not in inspect.getsource(inline.text_align):
        problems.append("text_align no longer calls justify_line")
    if problems:
        raise WeasyPrintChanged("bulletin's CJK justification cannot hook into this WeasyPrint: " + "; ".join(problems))
    _checked = True


# line text → marks set half-width to fit it on its line (push-in); kept for one document
_pushed_in: dict[str, frozenset[int]] = {}


def new_document() -> None:
    """Forget the previous document's push-in lines (call before each render)."""
    _pushed_in.clear()


def installed() -> bool:
    return bool(_restore)


def uninstall() -> None:
    """Put WeasyPrint back as it was (for comparisons with the plain engine)."""
    while _restore:
        owner, name, original = _restore.pop()
        if original is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, original)


_MISSING = object()


def install() -> None:
    """Hook Chinese line adjustment into WeasyPrint (idempotent)."""
    if _restore:
        return
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import inline
    from weasyprint.text import line_break
    from weasyprint.text.ffi import ffi, pango
    from weasyprint.text.line_break import TO_UNITS

    _check_internals(inline, line_break)
    pushed_in = _pushed_in
    original_text_align = inline.text_align
    original_split_first_line = inline.split_first_line
    create_layout = line_break.create_layout
    original_count = inline.count_expandable_spaces
    original_add = inline.add_word_spacing
    original_set_text = line_break.Layout.set_text
    original_get_first_line = line_break.Layout.get_first_line

    def leaf_text_boxes(box):
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.TextBox):
                yield child
            elif isinstance(child, boxes.InlineBox):
                yield from leaf_text_boxes(child)
            elif child.is_in_normal_flow():
                yield None  # an atomic inline (image, inline-block): no opportunity across it

    def edge_spacing_box(line, at_start):
        """The autospace span whose margin sits at the start (end) of the line, with its ancestors."""
        path, box = [], line
        while True:
            children = [c for c in getattr(box, "children", ()) if c.is_in_normal_flow()]
            if not children or not isinstance(box, (boxes.LineBox, boxes.InlineBox)):
                return None, path
            box = children[0] if at_start else children[-1]
            if isinstance(box, boxes.InlineBox):
                classes = (box.element.get("class") or "").split() if box.element is not None else []
                wanted = "as-l" if at_start else "as-r"
                margin = box.margin_left if at_start else box.margin_right
                if wanted in classes and margin:
                    return box, path
                path.append(box)
            else:
                return None, path

    def last_box_with_class(line, name):
        box = line
        while True:
            children = [c for c in getattr(box, "children", ()) if c.is_in_normal_flow()]
            if not children or not isinstance(box, (boxes.LineBox, boxes.InlineBox)):
                return None
            box = children[-1]
            if isinstance(box, boxes.InlineBox):
                classes = (box.element.get("class") or "").split() if box.element is not None else []
                if name in classes:
                    return box
            elif not isinstance(box, boxes.InlineBox):
                return None

    def split_first_line(text, style, context, max_width, justification_spacing,
                         is_line_start=True, minimum=False):
        result = original_split_first_line(
            text, style, context, max_width, justification_spacing, is_line_start, minimum)
        resume = result[2]
        if resume is None or minimum or max_width is None or not str(style["lang"] or "").startswith("zh"):
            return result
        rest = text.encode()[resume:].decode()
        if len(rest) < 2 or rest[1] not in HANGING or rest[0] in HANGING:
            return later_break(text, style, context, max_width, justification_spacing,
                               is_line_start, minimum, result) or result
        wider = original_split_first_line(
            text, style, context, max_width + style["font_size"], justification_spacing, is_line_start, minimum)
        line_text = text.encode()[: wider[1]].decode()
        if len(line_text) < 2 or line_text[-1] not in HANGING or wider[1] <= result[1]:
            return result
        inner = create_layout(line_text[:-1], style, context, None, justification_spacing)
        inner_width, _ = line_break.line_size(inner.get_first_line()[0], style)
        inner.deactivate()
        if inner_width > max_width + 0.01:
            return result
        layout, length, resume_index, _width, height, baseline = wider
        layout.bulletin_hanging = True  # see justify_line: no stretch before the hanging mark
        return layout, length, resume_index, inner_width, height, baseline  # the mark hangs outside

    def later_break(text, style, context, max_width, justification_spacing, is_line_start, minimum,
                    result):
        """A later break that Chinese rules allow and Pango refused, if the longer line fits."""
        _layout, length, resume, width, _height, _baseline = result
        if max_width - width < 0.9 * style["font_size"]:
            return None  # the line is (nearly) full: nothing more would fit
        encoded = text.encode()
        line, rest = encoded[:resume].decode(), encoded[resume:].decode()
        if not line or length != resume:
            return None  # trailing spaces or a preserved line break: leave it to WeasyPrint
        best = None
        for extra in range(1, min(4, len(rest))):
            candidate = line + rest[:extra]
            if not break_allowed(candidate[-1], rest[extra]):
                continue
            trial = original_split_first_line(
                candidate, style, context, max_width, justification_spacing, is_line_start, minimum)
            if trial[2] is not None or trial[3] > max_width + 0.01:
                trial = push_in(candidate, style, context, max_width, justification_spacing,
                                is_line_start, minimum, trial)
                if trial is None:
                    break  # it no longer fits on one line: a longer one will not either
            best = trial[:2] + (len(candidate.encode()),) + trial[3:]
            if trial[0].text in pushed_in:
                break  # compressed to fit: take it rather than look further
        return best

    def push_in(candidate, style, context, max_width, justification_spacing, is_line_start, minimum,
                trial):
        """`candidate` on one line with up to two more marks set half-width, or None."""
        overflow = trial[3] - max_width if trial[2] is None else style["font_size"]
        needed = int(-(-overflow // (0.5 * style["font_size"])))  # marks to compress
        already = set(compressed(candidate))
        marks = [i for i in range(len(candidate) - 1) if candidate[i] in PUSH_IN and i not in already]
        if not 1 <= needed <= 2 or len(marks) < needed:
            return None
        pushed_in[candidate] = frozenset(marks[-needed:])
        trial = original_split_first_line(
            candidate, style, context, max_width, justification_spacing, is_line_start, minimum)
        if trial[2] is not None or trial[3] > max_width + 0.01:
            del pushed_in[candidate]
            return None
        return trial

    def text_align(context, line, available_width, last):
        end_item = last_box_with_class(line, "line-end") if last else None
        if end_item is not None and available_width > line.width:
            # 署名, 共印×份: flush right on the last line of their block (layouts mark them .line-end)
            end_item.translate(available_width - line.width, 0)
            line.width = available_width
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
        return original_text_align(context, line, available_width, last)

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

    def justify_line(context, line, extra_width):
        """Mark each text box with its opportunities, then let WeasyPrint spread the slack."""
        leaves = list(leaf_text_boxes(line))
        element = getattr(line, "element", None)
        if element is not None and leaves and leaves[-1] is not None:
            before = text_before_byline(element)
            line_text = "".join(leaf.text for leaf in leaves if leaf is not None)
            if before is not None and re.sub(r"\s+", "", before).endswith(re.sub(r"\s+", "", line_text)):
                return  # the block's last line of text; its .line-end item went to a line of its own
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
        if total:
            inline.add_word_spacing(context, line, extra_width / total, 0)

    def count_expandable_spaces(box):
        if isinstance(box, boxes.TextBox) and hasattr(box, "bulletin_gaps"):
            return len(box.bulletin_gaps) + box.bulletin_trailing
        return original_count(box)

    def add_word_spacing(context, box, justification_spacing, x_advance):
        result = original_add(context, box, justification_spacing, x_advance)
        if isinstance(box, boxes.TextBox) and hasattr(box, "bulletin_gaps") and box.bulletin_gaps:
            # the layout made for drawing: tell it where its gaps are (it is set up again at draw time)
            box.pango_layout.bulletin_gaps = frozenset(box.bulletin_gaps)
        return result

    def set_text(self, text, justify=False):
        original_set_text(self, text, justify)
        chars = self.text
        gaps = getattr(self, "bulletin_gaps", None) if justify and self.justification_spacing else None
        extra_halves = pushed_in.get(chars) if pushed_in else None
        if not (gaps or extra_halves or _PAIRS.search(chars)):
            return  # most calls: measuring text with nothing to adjust (cheapest checks first)
        style = self.style
        if not str(style["lang"] or "").startswith("zh") or not CJK_CHAR.search(chars):
            return
        halves = compressed(chars)
        if extra_halves:  # a line set by push_in: its extra half-width marks
            halves = sorted(set(halves) | extra_halves)
        attr_list = pango.pango_layout_get_attributes(self.layout)
        if attr_list == ffi.NULL:
            attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
        offsets = [0]
        for ch in chars:
            offsets.append(offsets[-1] + len(ch.encode("utf-8")))
        if gaps:
            letter = style["letter_spacing"]
            letter = 0 if letter == "normal" else letter
            extra = self.justification_spacing
            wanted = [
                letter + (extra if i in gaps else 0) + (style["word_spacing"] if chars[i] in SPACES else 0)
                for i in range(len(chars) - 1)
            ]
            for i, value in enumerate(chain_spacing(wanted)):
                attr = pango.pango_attr_letter_spacing_new(int(round(value * TO_UNITS)))
                attr.start_index, attr.end_index = offsets[i], offsets[i + 1]
                pango.pango_attr_list_change(attr_list, attr)
        for i in halves:
            attr = pango.pango_attr_font_features_new(b"halt 1")
            attr.start_index, attr.end_index = offsets[i], offsets[i + 1]
            pango.pango_attr_list_insert(attr_list, attr)
        pango.pango_layout_set_attributes(self.layout, attr_list)
        self.bulletin_draw = justify  # set up for drawing: see get_first_line

    def get_first_line(self):
        first_line, index = original_get_first_line(self)
        if getattr(self, "bulletin_draw", False):
            _offsets_into_advances(first_line)
        return first_line, index

    def _offsets_into_advances(line):
        """Move each glyph's x_offset into the previous glyph's advance: same positions, no offsets.

        Pango places half of a character's letter-spacing in its glyph's x_offset; WeasyPrint 70
        writes x_offset / font_size into the PDF as if it were in 1/1000 em (it is in 1/1024 of a
        unit), misplacing the glyph by 2.4 % of its offset — negligible for mark positioning, a
        visible jitter for the alternating values of the spacing chain.
        """
        previous = None
        run = line.runs
        while run != ffi.NULL:
            glyphs = run.data.glyphs
            for k in range(glyphs.num_glyphs):
                glyph = glyphs.glyphs[k]
                offset = glyph.geometry.x_offset
                if offset and previous is not None:
                    previous.geometry.width += offset
                    glyph.geometry.width -= offset
                    glyph.geometry.x_offset = 0
                previous = glyph
            run = run.next

    from weasyprint.draw import text as draw_text

    patches = [
        (draw_text, "int", ExactAdjustment),  # shadows the builtin inside draw/text.py only
        (inline, "text_align", text_align),
        (inline, "split_first_line", split_first_line),
        (inline, "justify_line", justify_line),
        (inline, "count_expandable_spaces", count_expandable_spaces),
        (inline, "add_word_spacing", add_word_spacing),
        (line_break.Layout, "set_text", set_text),
        (line_break.Layout, "get_first_line", get_first_line),
    ]
    for owner, name, replacement in patches:
        _restore.append((owner, name, owner.__dict__.get(name, _MISSING)))
        setattr(owner, name, replacement)
