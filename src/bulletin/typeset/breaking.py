"""Where Chinese lines break (clreq 禁则), and the three corrections to Pango's first-fit breaking:

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
"""
from __future__ import annotations

from ..text import NO_LINE_END, NO_LINE_START, is_cjk
from .punctuation import HANGING, KEEP_TOGETHER, PUSH_IN, compressed

# line text → marks set half-width to fit it on its line (push-in); kept for one document
pushed_in: dict[str, frozenset[int]] = {}


def new_document() -> None:
    """Forget the previous document's push-in lines (call before each render)."""
    pushed_in.clear()


def break_allowed(left: str, right: str) -> bool:
    """Whether Chinese rules (clreq 禁则) allow a line break between `left` and `right`."""
    if right in NO_LINE_START or left in NO_LINE_END:
        return False
    if left == right and left in KEEP_TOGETHER:
        return False
    if left.isascii() and right.isascii():
        return False  # Latin words, numbers, URLs: Pango's business
    return is_cjk(left) or is_cjk(right)


def first_line(split, text, style, context, max_width, justification_spacing, is_line_start=True,
               minimum=False):
    """WeasyPrint's split_first_line (`split`), then hanging punctuation or a later break."""
    result = split(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    resume = result[2]
    if resume is None or minimum or max_width is None or not str(style["lang"] or "").startswith("zh"):
        return result
    rest = text.encode()[resume:].decode()
    if len(rest) < 2 or rest[1] not in HANGING or rest[0] in HANGING:
        return later_break(split, text, style, context, max_width, justification_spacing,
                           is_line_start, minimum, result) or result
    return hang(split, text, style, context, max_width, justification_spacing, is_line_start, minimum,
                result)


def hang(split, text, style, context, max_width, justification_spacing, is_line_start, minimum, result):
    """The line with one more character and its mark hanging past the edge, if that fits."""
    from weasyprint.text import line_break

    wider = split(text, style, context, max_width + style["font_size"], justification_spacing,
                  is_line_start, minimum)
    line_text = text.encode()[: wider[1]].decode()
    if len(line_text) < 2 or line_text[-1] not in HANGING or wider[1] <= result[1]:
        return result
    inner = line_break.create_layout(line_text[:-1], style, context, None, justification_spacing)
    inner_width, _ = line_break.line_size(inner.get_first_line()[0], style)
    inner.deactivate()
    if inner_width > max_width + 0.01:
        return result
    layout, length, resume_index, _width, height, baseline = wider
    layout.bulletin_hanging = True  # see justification: no stretch before the hanging mark
    return layout, length, resume_index, inner_width, height, baseline  # the mark hangs outside


def later_break(split, text, style, context, max_width, justification_spacing, is_line_start, minimum,
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
        trial = split(candidate, style, context, max_width, justification_spacing, is_line_start, minimum)
        if trial[2] is not None or trial[3] > max_width + 0.01:
            trial = push_in(split, candidate, style, context, max_width, justification_spacing,
                            is_line_start, minimum, trial)
            if trial is None:
                break  # it no longer fits on one line: a longer one will not either
        best = trial[:2] + (len(candidate.encode()),) + trial[3:]
        if trial[0].text in pushed_in:
            break  # compressed to fit: take it rather than look further
    return best


def push_in(split, candidate, style, context, max_width, justification_spacing, is_line_start, minimum,
            trial):
    """`candidate` on one line with up to two more marks set half-width, or None."""
    overflow = trial[3] - max_width if trial[2] is None else style["font_size"]
    needed = int(-(-overflow // (0.5 * style["font_size"])))  # marks to compress
    already = set(compressed(candidate))
    marks = [i for i in range(len(candidate) - 1) if candidate[i] in PUSH_IN and i not in already]
    if not 1 <= needed <= 2 or len(marks) < needed:
        return None
    pushed_in[candidate] = frozenset(marks[-needed:])
    trial = split(candidate, style, context, max_width, justification_spacing, is_line_start, minimum)
    if trial[2] is not None or trial[3] > max_width + 0.01:
        del pushed_in[candidate]
        return None
    return trial
