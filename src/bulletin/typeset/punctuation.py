"""Full-width punctuation of Chinese text (zh-Hans, GB style): which side of each mark is blank,
and which pairs of adjacent marks share one blank (标点挤压, clreq §3.1.6)."""
from __future__ import annotations

import re

# Full-width marks whose blank half is on the right (zh-Hans: sitting left, or closing) and on the left.
CLOSING = set("，。、；：！？）》」』】〕〉”’")
HANGING = set("，。、；：！？")  # marks whose ink sits in their left half: they may hang at a line end
OPENING = set("（《「『【〔〈“‘")
PUSH_IN = CLOSING | OPENING  # marks that can give up half their width to pull a character in
KEEP_TOGETHER = {"—", "…", "⸺"}  # “——” and “……” are one mark drawn as two characters

_C, _O = re.escape("".join(sorted(CLOSING))), re.escape("".join(sorted(OPENING)))
# zero-width, so that overlapping pairs (“。”（”) are all found; group 1: closing first, 2: opening pair
PAIRS = re.compile(f"(?=([{_C}][{_C}{_O}])|([{_O}][{_O}]))")


def compressed(text: str) -> list[int]:
    """Indices of marks set half-width because a neighbouring mark already gives the blank:
    of “。”” “，“” the first mark loses its right blank; of “（“” the second its left blank."""
    return [m.start() if m.group(1) else m.start() + 1 for m in PAIRS.finditer(text)]
