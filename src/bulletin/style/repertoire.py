"""Character repertoires the fonts are measured against.

- 通用规范汉字表 (2013): the 8,105 characters of the state's table of standard characters, by
  their number in the table (1–3500 level 1, 3501–6500 level 2, 6501–8105 level 3), read from
  fonts/repertoires/tgh-2013.txt (made from the Unihan database's kTGH field; see that file).
- GB 18030-2022 Chinese characters: every CJK Unified Ideograph the standard encodes — the URO
  U+4E00–9FEF, Extension A U+3400–4DB5, Extensions B–F, and the twelve unified ideographs of the
  compatibility block (U+FA0E …) — 87,887 characters. Extension B–F are its implementation
  level 3.
"""
from __future__ import annotations

from functools import cache

from ..resources import fonts_dir

# (name, first, last) of each block of CJK Unified Ideographs in GB 18030-2022
GB18030_2022_BLOCKS = (
    ("URO", 0x4E00, 0x9FEF),
    ("A", 0x3400, 0x4DB5),
    ("B", 0x20000, 0x2A6D6),
    ("C", 0x2A700, 0x2B734),
    ("D", 0x2B740, 0x2B81D),
    ("E", 0x2B820, 0x2CEA1),
    ("F", 0x2CEB0, 0x2EBE0),
)
# the unified ideographs among the CJK Compatibility Ideographs (not compatibility characters)
COMPATIBILITY_BLOCK_UNIFIED = (0xFA0E, 0xFA0F, 0xFA11, 0xFA13, 0xFA14, 0xFA1F, 0xFA21, 0xFA23,
                               0xFA24, 0xFA27, 0xFA28, 0xFA29)


@cache
def gb18030_hanzi() -> frozenset[int]:
    """The 87,887 Chinese characters of GB 18030-2022."""
    cps = set(COMPATIBILITY_BLOCK_UNIFIED)
    for _, first, last in GB18030_2022_BLOCKS:
        cps.update(range(first, last + 1))
    return frozenset(cps)


def block_of(cp: int) -> str | None:
    """"URO", "A" … "F" for a GB 18030-2022 CJK Unified Ideograph, "compat" for the twelve of the
    compatibility block, else None."""
    for name, first, last in GB18030_2022_BLOCKS:
        if first <= cp <= last:
            return name
    return "compat" if cp in COMPATIBILITY_BLOCK_UNIFIED else None


@cache
def tgh() -> dict[int, int]:
    """通用规范汉字表: code point → number in the table (1–8105)."""
    out = {}
    for line in (fonts_dir() / "repertoires" / "tgh-2013.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            number, code, _ = line.split("\t")
            out[int(code[2:], 16)] = int(number)
    return out


def in_gb2312(cp: int) -> bool:
    try:
        chr(cp).encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def in_gbk(cp: int) -> bool:
    try:
        chr(cp).encode("gbk")
        return True
    except UnicodeEncodeError:
        return False
