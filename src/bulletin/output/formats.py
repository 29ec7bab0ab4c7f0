"""Output formats of `bulletin build` and `bulletin distribute`: PDF, OFD (GB/T 33190), or both.
Kept apart from api.py so the command line can check the option before it loads anything else."""
from __future__ import annotations

from ..errors import BulletinError, Problem

FORMATS = ("pdf", "ofd")


def parse_formats(text: str) -> tuple[str, ...]:
    """“pdf”, “ofd” or “pdf,ofd” → the formats in FORMATS order; BulletinError for anything else."""
    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in FORMATS]
    if unknown or not wanted:
        raise BulletinError(Problem(None, None, f"不认识的输出格式：{text}", f"unknown output format: {text}",
                                    "写 pdf、ofd 或 pdf,ofd", "use pdf, ofd or pdf,ofd"))
    return tuple(f for f in FORMATS if f in wanted)
