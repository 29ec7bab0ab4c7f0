#!/usr/bin/env python3
"""Print how much of the 通用规范汉字表 and of GB 18030-2022's Chinese characters each face of
fonts/ and each kind of text of a layout covers (the numbers in the README's font tables).

    python tools/font_coverage.py [LAYOUT]        # default: jianbao
    python tools/font_coverage.py --series issues/some-series   # with the series' own fonts
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from bulletin.style.repertoire import GB18030_2022_BLOCKS, block_of, gb18030_hanzi, in_gb2312, in_gbk, tgh  # noqa: E402


def cmap(path: Path) -> set[int]:
    with TTFont(str(path), lazy=True, fontNumber=0) as font:
        return set(font.getBestCmap())


def main(args: list[str]) -> None:
    from bulletin.style.layout import load_layout

    layout = load_layout(args[0] if args and not args[0].startswith("-") else "jianbao")
    manifest = json.loads((ROOT / "fonts" / "manifest.json").read_text(encoding="utf-8"))["fonts"]
    maps = {e["role"]: cmap(ROOT / "fonts" / e["file"]) for e in manifest}
    faces = {e["role"]: e for e in manifest}
    if "--series" in args:
        from bulletin.style.fonts import fontset_for
        from bulletin.source.load import load_series

        folder = Path(args[args.index("--series") + 1])
        for role, font in fontset_for(load_series(folder), folder).user.items():
            maps[f"{role} (own)"] = cmap(font.path)
            faces[f"{role} (own)"] = {"typeface": font.path.name, "style": faces[role]["style"], "file": font.path.name}
    table, gb = set(tgh()), gb18030_hanzi()
    blocks = [name for name, *_ in GB18030_2022_BLOCKS]
    print("| role | file | typeface | glyphs' characters | 通用规范 (8,105) | beyond GB2312 (1,467) | "
          + " | ".join(f"GB 18030 {b}" for b in blocks) + " |")
    print("|---" * (6 + len(blocks)) + "|")
    outside = {cp for cp in table if not in_gb2312(cp)}
    for role, cps in maps.items():
        counts = [sum(1 for cp in cps & gb if block_of(cp) == b) for b in blocks]
        print(f"| {role} | {faces[role]['file']} | {faces[role]['typeface']} | {len(cps):,} | "
              f"{len(cps & table):,} | {len(cps & outside):,} | " + " | ".join(f"{n:,}" for n in counts) + " |")
    print()
    print("| kind of text | chain | 通用规范 in the style's own faces | 通用规范 printed | GB 18030 hanzi printed (87,887) |")
    print("|---|---|---|---|---|")
    for kind, roles in layout.text_fonts.items():
        style = faces[roles[0]]["style"]
        own = set().union(*(maps[r] for r in roles if faces[r]["style"] == style))
        every = set().union(*(maps[r] for r in roles))
        print(f"| {kind} | {' → '.join(roles)} | {len(own & table):,} ({style}) | {len(every & table):,} | {len(every & gb):,} |")
    gbk_extra = {cp for cp in table if in_gbk(cp) and not in_gb2312(cp)}
    print(f"\n通用规范 characters in GBK but not GB2312: {len(gbk_extra)}; beyond GBK: {len(outside - gbk_extra)}")


if __name__ == "__main__":
    main(sys.argv[1:])
