"""Inline markup: text and spans → escaped HTML, with the clreq quarter em between Han and Latin
(autospace), addresses and hyphenated runs marked for the line composition, and “——”/“……” wrapped
for the layout to choose their font. Used by the templates (compose) and by table cells (tables.py)."""
from __future__ import annotations

import re

from markupsafe import Markup, escape

from ..model import Span

# A run of Latin letters and digits as one unit: “5G”, “191.55”, “8:30”, “1,234”, “2021-2023”,
# “ops-team@example.org”, “https://example.org/a-b.html”.
LATIN_RUN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.,:/+\-%&_'@?=#~]*[A-Za-z0-9%/])?")
# Runs up to this length are never broken at their hyphens or slashes (a 32-character line holds
# about 55 Latin characters); longer ones may break where the line needs it.
KEEP_WHOLE = 50
# A URL or an e-mail address: in composed paragraphs it may break where style guides allow it
# (typeset/breaking.py url_break), when the alternative is a loose line; elsewhere (titles, table
# cells, set by WeasyPrint) it stays whole up to KEEP_WHOLE characters like any other run.
ADDRESS = re.compile(r"(?:(?:https?|ftp)://|www\.)[\x21-\x7e]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
                     re.ASCII)
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# 破折号 “——” and 省略号 “……”: some faces draw them badly (仿宋's “……” has uneven dots, 楷体's
# “——” a gap between its halves); the layout draws them from another font through this class.
DOUBLE_MARK = re.compile("\u2014{2,}|\u2026{2,}")


def _text(text: str) -> Markup:
    """Escape `text`, with each “——” or “……” in a span of class `mk` (the characters unchanged)."""
    out: list[Markup] = []
    pos = 0
    for m in DOUBLE_MARK.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup('<span class="mk">%s</span>') % m.group())
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def autospace(text: str, before: str = "", after: str = "") -> Markup:
    """Escape `text`; wrap each Latin/digit run that touches a Han character in a span whose margin
    on that side is the clreq quarter em (as-l / as-r). No character is added: the space is a
    margin, so the text layer stays the source text; typeset/spacing.py drops it at line starts and ends.
    Runs with hyphens or slashes (URLs, e-mail addresses, “Wi-Fi”) are kept whole (nobr); URLs and
    e-mail addresses are marked (url) for the line composition, which may break them where style
    guides allow it; “——” and “……” are wrapped for the layout to choose their font (class mk). `before` and `after` are the
    characters around `text` when it is a piece of a longer text."""
    out: list[Markup] = []
    pos = 0
    for m in LATIN_RUN.finditer(text):
        left = text[m.start() - 1] if m.start() else before
        right = text[m.end()] if m.end() < len(text) else after
        classes = [c for c, ch in (("as-l", left), ("as-r", right)) if HAN.match(ch or " ")]
        if any(c in m.group() for c in "-/") and len(m.group()) <= KEEP_WHOLE:
            classes.append("nobr")
        if ADDRESS.fullmatch(m.group()):
            classes.append("url")
        if not classes:
            continue
        out.append(_text(text[pos:m.start()]))
        out.append(Markup('<span class="%s">%s</span>') % (" ".join(classes), m.group()))
        pos = m.end()
    out.append(_text(text[pos:]))
    return Markup("").join(out)


def inline(spans: list[Span]) -> Markup:
    """Spans → HTML: escaped text, <strong>/<em> for emphasis, <br> for hard line breaks."""
    out = []
    for span in spans:
        text = Markup("<br>").join(autospace(part) for part in span.text.split("\n"))
        if span.emphasis:
            text = Markup("<em>%s</em>") % text
        if span.strong:
            text = Markup("<strong>%s</strong>") % text
        out.append(text)
    return Markup("").join(out)


def lines(text: str) -> Markup:
    """Plain text with line breaks (titles, editor's note) → escaped HTML with <br>."""
    return Markup("<br>").join(autospace(part) for part in text.split("\n"))
