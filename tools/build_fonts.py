#!/usr/bin/env python3
"""Rebuild fonts/ from Debian's font packages (a maintainer's tool, not needed to build bulletins).

The fonts in fonts/ are committed sources; this script documents and repeats how they were made:

    mkdir /tmp/debs && cd /tmp/debs && apt-get download texlive-lang-chinese fonts-noto-cjk \
        fonts-noto-cjk-extra fonts-arphic-gkai00mp && for f in *.deb; do dpkg-deb -x "$f" x; done
    python tools/build_fonts.py /tmp/debs/x            # all faces
    python tools/build_fonts.py /tmp/debs/x sans       # only the named roles

- AR PL KaitiM GB (楷体, Arphic, TrueType) is copied unchanged.
- FandolFang (仿宋, GPL + font exception) keeps every glyph; its glyphs are renumbered (below).
- Noto Serif/Sans CJK come as .ttc collections; WeasyPrint takes the first (Japanese) face of a
  collection, so the Simplified Chinese face is extracted and subset to the GBK repertoire of
  GB 18030 plus punctuation, Latin and symbols, keeping every OpenType layout feature (halt, vert…).
- Every CFF font is renumbered (`renumber`): common characters first, CID = glyph id. This keeps the
  subsets WeasyPrint embeds small and makes every PDF viewer pick the same glyphs.
- fonts/manifest.json records role → file, family, licence, source and SHA-256.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from io import BytesIO
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from fontTools.ttLib.reorderGlyphs import reorderGlyphs

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "fonts"
FANDOL = "usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"
NOTO = "usr/share/fonts/opentype/noto"

# (role, output file, source, kind, licence file, css family, what it is used for)
FACES = [
    ("fang", "FandolFang-Regular.otf", f"{FANDOL}/FandolFang-Regular.otf", "renumber",
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
    dest.write_bytes(renumber(font))


def usage_rank(cp: int) -> tuple:
    """Sort key putting the characters a Chinese bulletin uses most at low glyph ids: ASCII,
    everyday punctuation, GB2312 level-1 hanzi (the 3,755 common ones), level 2, other GB2312
    symbols, then the rest of the repertoire by code point."""
    if 0x20 <= cp < 0x7F:
        return (0, cp)
    try:  # GBK agrees with GB2312 on GB2312's rows and maps A1AA to U+2014 (the dash of ——)
        hi, lo = chr(cp).encode("gbk")
    except (UnicodeEncodeError, ValueError):
        return (6, cp)
    gb = (hi << 8) | lo
    if lo < 0xA1 or not 0xA1 <= hi <= 0xF7:
        return (5, gb)  # GBK's additions to GB2312
    if hi in (0xA1, 0xA3):  # row 1: 、。·—“”《》…; row 3: full-width ASCII
        return (1, gb)
    if 0xB0 <= hi <= 0xD7:
        return (2, gb)
    if 0xD8 <= hi <= 0xF7:
        return (3, gb)
    return (4, gb)


DEFAULT_FEATURES = {"locl", "ccmp", "liga", "clig", "calt", "rlig"}  # what Pango applies to horizontal text


def renumber(font: TTFont) -> bytes:
    """Reorder a CID-keyed CFF font's glyphs by `usage_rank` and make every CID equal its glyph id.

    Why: WeasyPrint embeds subsets that keep glyph ids (empty slots up to the highest one used) and
    writes glyph ids as CIDs. With common characters first, a bulletin's highest glyph id is a few
    thousand instead of ~40,000, so the empty slots stop dominating the PDF; with CID = glyph id
    (an identity charset, Adobe-Identity-0) viewers that select glyphs through the CFF charset
    (Acrobat, Preview) and those that use the code as a glyph id (PDFium, poppler) draw the same
    glyph — with the original Noto/Fandol CIDs they disagree."""
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        raise SystemExit(f"{font.reader.file.name}: not a CID-keyed CFF font")
    old_order = font.getGlyphOrder()
    old_index = {name: i for i, name in enumerate(old_order)}
    rank: dict[str, tuple] = {}
    for cp, name in font.getBestCmap().items():
        key = usage_rank(cp)
        if name not in rank or key < rank[name]:
            rank[name] = key
    # glyphs the default horizontal features substitute (Noto's locl for zh-Hans turns digits and
    # some punctuation into other glyphs, liga makes ligatures) go right after their source
    if "GSUB" in font:
        gsub = font["GSUB"].table
        used = set()  # features of the default and the Simplified Chinese language systems only
        for script in gsub.ScriptList.ScriptRecord:
            systems = [script.Script.DefaultLangSys] + [r.LangSys for r in script.Script.LangSysRecord
                                                        if r.LangSysTag == "ZHS "]
            for system in systems:
                if system is not None:
                    used.update(system.FeatureIndex)
        for i, record in enumerate(gsub.FeatureList.FeatureRecord):
            if i not in used or record.FeatureTag not in DEFAULT_FEATURES:
                continue
            for index in record.Feature.LookupListIndex:
                for table in gsub.LookupList.Lookup[index].SubTable:
                    table = getattr(table, "ExtSubTable", table)
                    pairs = list(getattr(table, "mapping", {}).items())
                    for first, ligatures in getattr(table, "ligatures", {}).items():
                        pairs += [(first, lig.LigGlyph) for lig in ligatures]
                    for source, target in pairs:
                        if source in rank and target not in rank:
                            rank[target] = rank[source] + (1,)
    # glyphs no character or default feature reaches (vertical forms, alternates) go last
    new_order = [old_order[0]] + sorted(old_order[1:], key=lambda name: rank.get(name, (9, old_index[name])))
    old_fd = list(top.FDSelect.gidArray)
    reorderGlyphs(font, new_order)  # GSUB/GPOS/GDEF coverages and their parallel arrays, CFF charset
    top.FDSelect.gidArray = [old_fd[old_index[name]] for name in new_order]  # not done by fontTools
    data = BytesIO()
    font.save(data)

    # second pass: rename glyph i to cid{i}, so the compiled charset is the identity
    data.seek(0)
    renamed = TTFont(data)
    names = [".notdef"] + [f"cid{i:05d}" for i in range(1, len(new_order))]
    top = renamed["CFF "].cff.topDictIndex[0]
    charstrings = top.CharStrings
    if not charstrings.charStringsAreIndexed:
        raise SystemExit("unexpected CFF CharStrings layout")
    renamed.setGlyphOrder(names)
    for tag in renamed.keys():
        if tag not in ("GlyphOrder", "CFF "):
            renamed[tag]  # decompile with the new names
    top.charset = names
    charstrings.charStrings = {name: i for i, name in enumerate(names)}
    top.ROS = ("Adobe", "Identity", 0)
    top.CIDCount = len(names)
    out = BytesIO()
    renamed.save(out)
    return out.getvalue()


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
        elif kind == "renumber":
            dest.write_bytes(renumber(TTFont(str(base / src))))
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
