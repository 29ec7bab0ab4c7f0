"""How bulletin's processes use Python's garbage collector.

Typesetting allocates millions of short-lived objects (boxes, styles, glyph runs), which reference
counting frees; the collector is only needed for cycles. With Python's default threshold (a
collection of the youngest generation every 700 net allocations) a warm render of the sample made
~300 collections (28 ms of ~0.43 s), and a cold `bulletin build` spent ~90 ms collecting, much of it
rescanning the modules it had just imported. So:

- `fewer_collections()`: the youngest generation every 10,000 allocations (the older ones keep
  Python's ratios) — set at the start of a command (launch.py) and by settle();
- `typeset.speedups.settle()` / `freeze_imports()`: what is loaded for good (modules, fonts,
  caches) is frozen out of the collector's reach, so later collections scan only new objects.

What a render leaves in cycles is freed a little later; nothing else changes.
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def fewer_collections() -> None:
    """Collect the youngest generation every YOUNG_THRESHOLD net allocations instead of 700."""
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


def freeze_imports() -> None:
    """Move every object alive now (a process's modules and what it loaded for good) to the
    permanent generation, which collections never scan; no collection first (it would scan them
    all once more — what was garbage stays allocated, a few hundred KB at most)."""
    gc.freeze()
