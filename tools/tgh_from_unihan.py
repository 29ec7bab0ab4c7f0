#!/usr/bin/env python3
"""Write fonts/repertoires/tgh-2013.txt — the 通用规范汉字表 (Table of General Standard Chinese
Characters, 2013) — from the Unicode Unihan database's kTGH field.

    apt-get download unicode-data && dpkg-deb -x unicode-data_*.deb x
    python tools/tgh_from_unihan.py x/usr/share/unicode/Unihan_OtherMappings.txt.bz2 "unicode-data 15.0.0-1"

kTGH gives, for each of the table's 8,105 characters, "2013:<number>": numbers 1–3500 are level 1
(一级字表, common), 3501–6500 level 2, 6501–8105 level 3 (names, places, science, classics).
"""
from __future__ import annotations

import bz2
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "fonts" / "repertoires" / "tgh-2013.txt"


def main(source: str, package: str) -> None:
    opener = bz2.open if source.endswith(".bz2") else open
    header = {}
    entries: dict[int, int] = {}
    with opener(source, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                m = re.match(r"#\s*(Date|Unicode version):\s*(.*)", line)
                if m:
                    header[m.group(1)] = m.group(2).strip()
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 3 and fields[1] == "kTGH":
                for value in fields[2].split():
                    year, number = value.split(":")
                    if year == "2013":
                        entries[int(number)] = int(fields[0][2:], 16)
    if sorted(entries) != list(range(1, 8106)):
        raise SystemExit(f"expected numbers 1–8105, found {len(entries)} entries")
    lines = [
        "# 通用规范汉字表 (Table of General Standard Chinese Characters, 2013): 8,105 characters.",
        "# Numbers 1-3500 level 1 (一级), 3501-6500 level 2 (二级), 6501-8105 level 3 (三级).",
        f"# Source: Unicode Unihan database {header.get('Unicode version', '?')} ({header.get('Date', '?')}),",
        f"# field kTGH of Unihan_OtherMappings.txt, as shipped by Debian's {package}",
        "# (/usr/share/unicode/Unihan_OtherMappings.txt.bz2). Made by tools/tgh_from_unihan.py.",
        "# number<TAB>code point<TAB>character",
    ]
    lines += [f"{n}\tU+{cp:04X}\t{chr(cp)}" for n, cp in sorted(entries.items())]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(entries)} characters")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "unicode-data package")
