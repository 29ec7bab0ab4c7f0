#!/usr/bin/env python3
"""Rebuild fonts/ from Debian's font packages (a maintainer's tool, not needed to build bulletins).

The fonts in fonts/ are committed sources; this script documents and repeats how they were made:

    mkdir /tmp/debs && cd /tmp/debs && apt-get download texlive-lang-chinese fonts-noto-cjk \
        fonts-noto-cjk-extra fonts-arphic-gkai00mp && for f in *.deb; do dpkg-deb -x "$f" x; done
    python tools/build_fonts.py /tmp/debs/x            # all faces
    python tools/build_fonts.py /tmp/debs/x sans       # only the named roles

- FandolFang (仿宋, GPL + font exception) and AR PL KaitiM GB (楷体, Arphic) are copied unchanged.
- Noto Serif/Sans CJK come as .ttc collections; WeasyPrint takes the first (Japanese) face of a
  collection, so the Simplified Chinese face is extracted and subset to the GBK repertoire of
  GB 18030 plus punctuation, Latin and symbols, keeping every OpenType layout feature (halt, vert…).
- fonts/manifest.json records role → file, family, licence, source and SHA-256.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "fonts"
FANDOL = "usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"
NOTO = "usr/share/fonts/opentype/noto"

# (role, output file, source, kind, licence file, css family, what it is used for)
FACES = [
    ("fang", "FandolFang-Regular.otf", f"{FANDOL}/FandolFang-Regular.otf", "copy",
     "Fandol-GPL-3.0-with-font-exception.txt", "Bulletin Fang", "仿宋: body text (GB2312 repertoire)"),
    ("kai", "gkai00mp.ttf", "usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf", "copy",
     "Arphic-Public-License.txt", "Bulletin Kai", "楷体: editor's note, captions, attributions"),
    ("serif", "NotoSerifCJKsc-Regular-GBK.otf", f"{NOTO}/NotoSerifCJK-Regular.ttc", "subset",
     "OFL-1.1-Noto-CJK.txt", "Bulletin Serif", "宋体: fallback for characters outside GB2312"),
    ("serif-bold", "NotoSerifCJKsc-Bold-GBK.otf", f"{NOTO}/NotoSerifCJK-Bold.ttc", "subset",
     "OFL-1.1-Noto-CJK.txt", "Bulletin Title", "小标宋-style: article titles"),
    ("serif-black", "NotoSerifCJKsc-Black-GBK.otf", f"{NOTO}/NotoSerifCJK-Black.ttc", "subset",
     "OFL-1.1-Noto-CJK.txt", "Bulletin Masthead", "小标宋-style: masthead (报头)"),
    ("sans", "NotoSansCJKsc-Regular-GBK.otf", f"{NOTO}/NotoSansCJK-Regular.ttc", "subset",
     "OFL-1.1-Noto-CJK.txt", "Bulletin Hei", "黑体: section headers, labels"),
]

SOURCES = {
    "fang": "Debian texlive-lang-chinese 2022.20230122-1 (Fandol fonts v0.3, CTAN fandol)",
    "kai": "Debian fonts-arphic-gkai00mp 2.11-16",
    "serif": "Debian fonts-noto-cjk 1:20220127 (Noto Serif CJK 2.001), SC face, subset",
    "serif-bold": "Debian fonts-noto-cjk 1:20220127 (Noto Serif CJK 2.001), SC face, subset",
    "serif-black": "Debian fonts-noto-cjk-extra 1:20220127 (Noto Serif CJK 2.001), SC face, subset",
    "sans": "Debian fonts-noto-cjk 1:20220127 (Noto Sans CJK 2.004), SC face, subset",
}
LICENCES = {
    "Fandol-GPL-3.0-with-font-exception.txt": "GPL-3.0 with font exception",
    "Arphic-Public-License.txt": "Arphic Public License",
    "OFL-1.1-Noto-CJK.txt": "SIL Open Font License 1.1",
}


def gbk_repertoire() -> set[int]:
    """Every code point GBK (the two-byte part of GB 18030) encodes, plus ASCII and common symbols."""
    cps = set(range(0x20, 0x7F))
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        try:
            chr(cp).encode("gbk")
        except UnicodeEncodeError:
            continue
        cps.add(cp)
    extra_ranges = [(0xA0, 0x24F), (0x2000, 0x206F), (0x2100, 0x218F), (0x2190, 0x21FF),
                    (0x2460, 0x24FF), (0x2500, 0x257F), (0x25A0, 0x25FF), (0x2600, 0x26FF),
                    (0x3000, 0x303F), (0xFE10, 0xFE1F), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF)]
    for lo, hi in extra_ranges:
        cps.update(range(lo, hi + 1))
    return cps


def sc_face(ttc: Path):
    for font in TTCollection(str(ttc)).fonts:
        family = font["name"].getDebugName(16) or font["name"].getDebugName(1)
        if family.endswith(" SC") or " SC " in family:
            return font
    raise SystemExit(f"no SC face in {ttc}")


def make_subset(src: Path, dest: Path, unicodes: set[int]) -> None:
    font = sc_face(src)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False  # CFF hints are irrelevant for PDF output and cost space
    sub = subset.Subsetter(options)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    font.save(str(dest))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(debroot: str, only: list[str]) -> None:
    base = Path(debroot)
    lic_dir = FONTS / "licenses"
    lic_dir.mkdir(parents=True, exist_ok=True)
    unicodes = gbk_repertoire()
    entries = []
    for role, out, src, kind, lic, family, use in FACES:
        dest = FONTS / out
        if only and role not in only:
            pass  # keep the file already in fonts/
        elif kind == "copy":
            shutil.copyfile(base / src, dest)
        else:
            make_subset(base / src, dest, unicodes)
        print(f"{role:12} {dest.name:34} {dest.stat().st_size / 1e6:6.1f} MB")
        entries.append({
            "role": role, "file": out, "family": family, "use": use, "licence": LICENCES[lic],
            "licence_file": f"licenses/{lic}", "source": SOURCES[role], "sha256": sha256(dest),
        })
    (FONTS / "manifest.json").write_text(
        json.dumps({"fonts": entries}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])  # optional role names: rebuild only those
