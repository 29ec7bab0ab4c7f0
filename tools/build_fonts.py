#!/usr/bin/env python3
"""Rebuild fonts/ from Debian's font packages (a maintainer's tool, not needed to build bulletins).

The fonts in fonts/ are committed sources; this script documents and repeats how they were made:

    mkdir /tmp/debs && cd /tmp/debs && apt-get download texlive-lang-chinese fonts-noto-cjk \
        fonts-noto-cjk-extra fonts-arphic-gkai00mp fonts-lxgw-wenkai fonts-hanazono \
        && for f in *.deb; do dpkg-deb -x "$f" x; done
    python tools/build_fonts.py /tmp/debs/x            # all faces
    python tools/build_fonts.py /tmp/debs/x sans       # only the named roles

(Debian bookworm's versions, as recorded in fonts/manifest.json; PACKAGES below pins each package's
version and the SHA-256 of its .deb — `sha256sum` the downloads against it — and the tool refuses
an extracted package of another version. Each face takes seconds to a few minutes; the repository
keeps every file at its final form, so rebuild only what changes.)

- AR PL KaitiM GB (楷体, Arphic, TrueType) is copied unchanged.
- FandolFang (仿宋, GPL + font exception) keeps every glyph; its glyphs are renumbered (below).
- Noto Serif/Sans CJK come as .ttc collections; WeasyPrint takes the first (Japanese) face of a
  collection, so the Simplified Chinese face is extracted and subset to the GBK repertoire of
  GB 18030 plus punctuation, Latin and symbols, keeping every OpenType layout feature (halt, vert…).
- Every CFF font is renumbered (`renumber`): common characters first, CID = glyph id. This keeps the
  subsets WeasyPrint embeds small and makes every PDF viewer pick the same glyphs.
- Extension faces (issue 15) complete the repertoire without touching the faces above: every
  Chinese character of GB 18030-2022 (URO and Extensions A–F) and of the 通用规范汉字表 that the
  base face lacks, in the same design where a free one has it. Noto Serif/Sans CJK SC (Regular,
  Bold, Black, Sans): the characters beyond the GBK subset; LXGW WenKai (楷体): every Chinese
  character AR PL KaitiM GB lacks; HanaMinB (GlyphWiki's Mincho, Japanese-oriented): the
  Extension B–F characters no Chinese face (Noto SC, LXGW WenKai) has. The layouts name them after the Chinese faces,
  and bulletin loads one only for an issue that uses it. Their glyphs are ordered by the
  通用规范汉字表 (level 1 first), so PDF subsets stay small.
- Extension faces keep a mixed line on its grid. Pango 1.50 sets the runs of a line that come from
  different fonts on the script's baseline from each font's BASE table — for Han the bottom of the
  ideographic character face (icfb) — so a run of another font moves up or down by the difference,
  and WeasyPrint's line box (for a fixed line-height) grows to hold it. So: serif-ext and rare
  declare FandolFang's icfb (the 仿宋 body text they mostly follow: no shift there; their em boxes
  are the same, so the glyphs stay centred), kai-ext AR PL KaitiM's (its synthesised one), the
  others keep Noto's; and each extension face's ascent and descent are made small enough that,
  moved by the difference to any base face it may follow, its run stays inside that face's line
  (`guest_metrics`), with ascent − descent that of the face it mostly follows, since WeasyPrint
  centres a line's text on it. serif-ext also repeats the 通用规范 characters and symbols FandolFang and
  KaitiM lack, so those keep a 仿宋 paragraph on its grid too.
- The subsets of LXGW WenKai and HanaMinB are renamed ("Bulletin Kai Ext", "Bulletin Rare"): their OFL
  licences reserve the original names for unmodified fonts.
- Half-width punctuation faces (`make_half`): for each base face, its full-width marks as glyphs
  half an em narrower — the outlines unchanged, an opening mark's moved left, the 间隔号 centred —
  what the face's `halt` feature does (FandolFang, Noto: GPOS only), made into glyphs. The
  composition draws a mark it sets half width (a line end, adjacent marks) from them, so the
  PDF's glyph width is the printed one. Made from the files in fonts/, no package needed.
- fonts/manifest.json records role → file, family, licence, source and SHA-256.
- The same packages give the same bytes: each output keeps its source font's head.modified. (The
  base faces were first built with the build time there; a rebuild differs from them in that
  field only.)
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
sys.path.insert(0, str(ROOT / "src"))
from bulletin.style.repertoire import gb18030_hanzi, in_gb2312, tgh  # noqa: E402

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
    # extension faces: loaded only for an issue that needs them
    ("serif-ext", "NotoSerifCJKsc-Regular-Ext.otf", f"{NOTO}/NotoSerifCJK-Regular.ttc", "extend",
     "OFL-1.1-Noto-CJK.txt", "Bulletin Serif Ext",
     "宋体: characters beyond GBK; 通用规范 characters and symbols the 仿宋 and 楷体 faces lack"),
    ("serif-bold-ext", "NotoSerifCJKsc-Bold-Ext.otf", f"{NOTO}/NotoSerifCJK-Bold.ttc", "extend",
     "OFL-1.1-Noto-CJK.txt", "Bulletin Title Ext", "小标宋-style: titles, characters beyond GBK"),
    ("serif-black-ext", "NotoSerifCJKsc-Black-Ext.otf", f"{NOTO}/NotoSerifCJK-Black.ttc", "extend",
     "OFL-1.1-Noto-CJK.txt", "Bulletin Masthead Ext", "小标宋-style: masthead, characters beyond GBK"),
    ("sans-ext", "NotoSansCJKsc-Regular-Ext.otf", f"{NOTO}/NotoSansCJK-Regular.ttc", "extend",
     "OFL-1.1-Noto-CJK.txt", "Bulletin Hei Ext", "黑体: characters beyond GBK"),
    ("kai-ext", "BulletinKaiExt.ttf", "usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf",
     "guest", "OFL-1.1-LXGW-WenKai.txt", "Bulletin Kai Ext", "楷体: characters beyond GB2312 (LXGW WenKai)"),
    ("rare", "BulletinRare.ttf", "usr/share/fonts/truetype/hanazono/HanaMinB.ttf", "guest",
     "OFL-1.1-Hanazono.txt", "Bulletin Rare", "Extension B–F characters no Chinese face has (HanaMinB)"),
    # radicals, strokes, compatibility ideographs and other CJK symbols GB 18030 encodes that the
    # faces above lack: from Noto Serif CJK SC, the rest from HanaMinA
    ("serif-misc", "NotoSerifCJKsc-Regular-Misc.otf", f"{NOTO}/NotoSerifCJK-Regular.ttc", "extend",
     "OFL-1.1-Noto-CJK.txt", "Bulletin Serif Misc", "宋体: radicals, strokes, compatibility ideographs the others lack"),
    ("rare-compat", "BulletinRareCompat.ttf", "usr/share/fonts/truetype/hanazono/HanaMinA.ttf", "guest",
     "OFL-1.1-Hanazono.txt", "Bulletin Rare Compat", "compatibility ideographs no Chinese face has (HanaMinA)"),
    # half-width punctuation of each base face (made from the file above it in fonts/, no package)
    ("fang-half", "BulletinHalf-Fang.otf", "fang", "half", "Fandol-GPL-3.0-with-font-exception.txt",
     "Bulletin Fang Half", "仿宋: punctuation set half width (line ends, compressed)"),
    ("kai-half", "BulletinHalf-Kai.ttf", "kai", "half", "Arphic-Public-License.txt",
     "Bulletin Kai Half", "楷体: punctuation set half width (line ends, compressed)"),
    ("serif-half", "BulletinHalf-Serif.otf", "serif", "half", "OFL-1.1-Noto-CJK.txt",
     "Bulletin Serif Half", "宋体: punctuation set half width (line ends, compressed)"),
    ("serif-bold-half", "BulletinHalf-SerifBold.otf", "serif-bold", "half", "OFL-1.1-Noto-CJK.txt",
     "Bulletin Title Half", "小标宋-style titles: punctuation set half width (compressed)"),
    ("serif-black-half", "BulletinHalf-SerifBlack.otf", "serif-black", "half", "OFL-1.1-Noto-CJK.txt",
     "Bulletin Masthead Half", "小标宋-style masthead: punctuation set half width (compressed)"),
    ("sans-half", "BulletinHalf-Sans.otf", "sans", "half", "OFL-1.1-Noto-CJK.txt",
     "Bulletin Hei Half", "黑体: punctuation set half width (line ends, compressed)"),
]
HALF_OF = {role: src for role, _out, src, kind, *_ in FACES if kind == "half"}
HALF_MADE = "2026-11-30"  # when the half faces were first made (the Arphic licence asks the date in the file)
# CJK blocks besides the unified ideographs: radicals, description characters, symbols and
# punctuation, bopomofo, kanbun, strokes, enclosed and compatibility letters, compatibility
# ideographs (and their supplement), vertical forms
CJK_MISC = [(0x2E80, 0x2FDF), (0x2FF0, 0x2FFF), (0x3000, 0x303F), (0x3100, 0x312F), (0x3190, 0x31FF),
            (0x3200, 0x33FF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0x2F800, 0x2FA1F)]
# the faces an extension face completes: its base in fonts/, and the packages' full faces it must
# not repeat (rare: whatever a Chinese face — Noto SC, LXGW WenKai — has comes from there)
EXTENDS = {
    "serif-ext": "serif", "serif-bold-ext": "serif-bold", "serif-black-ext": "serif-black",
    "sans-ext": "sans", "kai-ext": "kai",
}
RARE_AFTER = [f"{NOTO}/NotoSerifCJK-Regular.ttc", f"{NOTO}/NotoSansCJK-Regular.ttc",
              "usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf"]

# Debian package → (version, SHA-256 of its .deb) the fonts were built from, and who needs which
PACKAGES = {
    "texlive-lang-chinese": ("2022.20230122-1", "9cfa07bd44e7b9098e26f0ecac1b5ad210d2249d474c8074d53de92d650b0ec0"),
    "fonts-arphic-gkai00mp": ("2.11-16", "7c5452a4f5ce4eb351ceb25ee9ae359c8b094c2fd68955b9c93bd34c315bebf1"),
    "fonts-noto-cjk": ("1:20220127+repack1-1", "4a2515eb6db3978b897fef9709ed0d2b1f4c6c4df4d83d6c4ef65f71f1b1f502"),
    "fonts-noto-cjk-extra": ("1:20220127+repack1-1", "5f6536c99f9b3d77a3c383c3f1544f6d49350e7f20832c4c979af0e33f603cb5"),
    "fonts-lxgw-wenkai": ("1.250+repack-1", "6d1e4c4aac78ad32062aefa2c836ee4d6e58f9dcf8b3f4407c9eefe304615318"),
    "fonts-hanazono": ("20170904-2.1", "a6943366b4f5a6cec34221f8b4eb22555a628f0ee6ef4e3d3401cabe9363aeae"),
}
ROLE_PACKAGES = {
    "fang": ["texlive-lang-chinese"], "kai": ["fonts-arphic-gkai00mp"],
    "serif": ["fonts-noto-cjk"], "serif-bold": ["fonts-noto-cjk"], "serif-black": ["fonts-noto-cjk-extra"],
    "sans": ["fonts-noto-cjk"], "serif-ext": ["fonts-noto-cjk"], "serif-bold-ext": ["fonts-noto-cjk"],
    "serif-black-ext": ["fonts-noto-cjk-extra"], "sans-ext": ["fonts-noto-cjk"],
    "kai-ext": ["fonts-lxgw-wenkai"], "rare": ["fonts-hanazono", "fonts-noto-cjk", "fonts-lxgw-wenkai"],
    "serif-misc": ["fonts-noto-cjk"], "rare-compat": ["fonts-hanazono", "fonts-noto-cjk", "fonts-lxgw-wenkai"],
    **{role: [] for role in HALF_OF},  # made from the base face in fonts/
}


def check_packages(debroot: Path, roles: list[str]) -> None:
    """Refuse extracted packages of other versions than PACKAGES (they give other fonts)."""
    import gzip
    import re

    for package in sorted({p for role in roles for p in ROLE_PACKAGES[role]}):
        changelog = debroot / "usr/share/doc" / package / "changelog.Debian.gz"
        try:
            with gzip.open(changelog, "rt", encoding="utf-8") as fh:
                found = re.search(r"\(([^)]+)\)", fh.readline()).group(1)
        except (OSError, AttributeError):
            raise SystemExit(f"{package}: not found under {debroot} (extract its .deb there)") from None
        if found != PACKAGES[package][0]:
            raise SystemExit(f"{package}: version {found}, but the fonts were built from {PACKAGES[package][0]}")


SOURCES = {
    "fang": "Debian texlive-lang-chinese 2022.20230122-1 (Fandol fonts v0.3, CTAN fandol)",
    "kai": "Debian fonts-arphic-gkai00mp 2.11-16",
    "serif": "Debian fonts-noto-cjk 1:20220127 (Noto Serif CJK 2.001), SC face, subset",
    "serif-bold": "Debian fonts-noto-cjk 1:20220127 (Noto Serif CJK 2.001), SC face, subset",
    "serif-black": "Debian fonts-noto-cjk-extra 1:20220127 (Noto Serif CJK 2.001), SC face, subset",
    "sans": "Debian fonts-noto-cjk 1:20220127 (Noto Sans CJK 2.004), SC face, subset",
    "serif-ext": "Debian fonts-noto-cjk 1:20220127 (Noto Serif CJK 2.001), SC face, extension subset",
    "serif-bold-ext": "Debian fonts-noto-cjk 1:20220127 (Noto Serif CJK 2.001), SC face, extension subset",
    "serif-black-ext": "Debian fonts-noto-cjk-extra 1:20220127 (Noto Serif CJK 2.001), SC face, extension subset",
    "sans-ext": "Debian fonts-noto-cjk 1:20220127 (Noto Sans CJK 2.004), SC face, extension subset",
    "kai-ext": "Debian fonts-lxgw-wenkai 1.250+repack-1 (LXGW WenKai 1.250), subset, renamed",
    "rare": "Debian fonts-hanazono 20170904-2.1 (HanaMinB, GlyphWiki 2017-09-04), subset, renamed",
    "serif-misc": "Debian fonts-noto-cjk 1:20220127 (Noto Serif CJK 2.001), SC face, CJK symbols subset",
    "rare-compat": "Debian fonts-hanazono 20170904-2.1 (HanaMinA, GlyphWiki 2017-09-04), subset, renamed",
    **{role: f"fonts/{next(out for r, out, *_ in FACES if r == base)}: its punctuation, half width, renamed"
       for role, base in HALF_OF.items()},
}
LICENCES = {
    "Fandol-GPL-3.0-with-font-exception.txt": "GPL-3.0 with font exception",
    "Arphic-Public-License.txt": "Arphic Public License",
    "OFL-1.1-Noto-CJK.txt": "SIL Open Font License 1.1",
    "OFL-1.1-LXGW-WenKai.txt": "SIL Open Font License 1.1",
    "OFL-1.1-Hanazono.txt": "SIL Open Font License 1.1",
}
# the typeface a face shows (preflight names it when a character falls back to it) and its style
TYPEFACES = {
    "fang": ("FandolFang", "仿宋"), "kai": ("AR PL KaitiM GB", "楷体"),
    "serif": ("Noto Serif CJK SC", "宋体"), "serif-ext": ("Noto Serif CJK SC", "宋体"),
    "serif-bold": ("Noto Serif CJK SC Bold", "小标宋"), "serif-bold-ext": ("Noto Serif CJK SC Bold", "小标宋"),
    "serif-black": ("Noto Serif CJK SC Black", "小标宋"), "serif-black-ext": ("Noto Serif CJK SC Black", "小标宋"),
    "sans": ("Noto Sans CJK SC", "黑体"), "sans-ext": ("Noto Sans CJK SC", "黑体"),
    "kai-ext": ("LXGW WenKai", "楷体"), "rare": ("HanaMinB", "明朝"),
    "serif-misc": ("Noto Serif CJK SC", "宋体"), "rare-compat": ("HanaMinA", "明朝"),
}
TYPEFACES.update({role: TYPEFACES[base] for role, base in HALF_OF.items()})
# The base face an extension face mostly follows (its "home": a line of only its characters sits
# like a line of the home face's), and the icfb (ideographic face bottom) it declares — that of
# its home where it differs from its own design's (Noto's -78 vs FandolFang's -5).
HOME = {"serif-ext": "fang", "rare": "fang", "kai-ext": "kai", "sans-ext": "sans",
        "serif-bold-ext": "serif-bold", "serif-black-ext": "serif-black", "serif-misc": "fang", "rare-compat": "fang"}
EXTENSION_BASELINE = {"serif-ext": "fang", "rare": "fang", "serif-misc": "fang", "rare-compat": "fang"}


def extension_repertoire() -> set[int]:
    """What the extension faces complete: the Chinese characters of GB 18030-2022 and of the
    通用规范汉字表."""
    return set(gb18030_hanzi()) | set(tgh())


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


def subset_options() -> subset.Options:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False  # CFF hints are irrelevant for PDF output and cost space
    return options


def make_subset(src: Path, dest: Path, unicodes: set[int]) -> None:
    font = sc_face(src)
    sub = subset.Subsetter(subset_options())
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    dest.write_bytes(renumber(font))


def cmap_of(path: Path) -> set[int]:
    if path.suffix == ".ttc":
        return set(sc_face(path).getBestCmap())
    with TTFont(str(path), lazy=True) as font:
        return set(font.getBestCmap())


def is_hanzi(cp: int) -> bool:
    return cp in gb18030_hanzi() or cp in tgh() or 0xF900 <= cp <= 0xFAFF


def extension_unicodes(role: str, have: set[int], base: set[int], debroot: Path) -> set[int]:
    """The characters of an extension face: those of the repertoire its base face lacks; for
    serif-ext (the fallback of 仿宋 and 楷体 text) also the 通用规范 characters beyond GB2312 and
    the symbols that FandolFang or AR PL KaitiM GB lack, with line metrics that keep the grid."""
    wanted = (extension_repertoire() & have) - base
    if role == "serif-ext":
        fang = cmap_of(FONTS / "FandolFang-Regular.otf")
        kai = cmap_of(FONTS / "gkai00mp.ttf")
        wanted |= {cp for cp in base & set(tgh()) if not in_gb2312(cp)}
        wanted |= {cp for cp in base - fang if not is_hanzi(cp)}
        wanted |= {cp for cp in base - kai if not is_hanzi(cp)}
    if role == "rare":
        wanted = extension_repertoire() & have
        for other in RARE_AFTER:
            wanted -= cmap_of(debroot / other)
    if role in ("serif-misc", "rare-compat"):
        # every chain must print them: leave out only what a face in every chain has (serif-misc is
        # made first); a base face earlier in a chain still draws what it has
        wanted = {cp for lo, hi in CJK_MISC for cp in range(lo, hi + 1) if cp in have}
        for r, out, *_ in FACES:
            if r != role and r in roles_in_every_chain() and (FONTS / out).is_file():
                wanted -= cmap_of(FONTS / out)
    return wanted


def layout_chains() -> list[list[str]]:
    """Every chain of every layout (layouts/*/layout.yaml `fonts:`)."""
    import yaml

    chains = []
    for manifest in sorted((ROOT / "layouts").glob("*/layout.yaml")):
        chains += list((yaml.safe_load(manifest.read_text(encoding="utf-8")).get("fonts") or {}).values())
    return chains


def roles_in_every_chain() -> set[str]:
    return set.intersection(*(set(chain) for chain in layout_chains()))


def extension_rank(cp: int) -> tuple:
    """Glyph order of an extension face: symbols (in usage_rank order), then the 通用规范汉字表 by
    its numbers (level 1 first), then the rest by code point."""
    if not is_hanzi(cp):
        return (0,) + usage_rank(cp)
    if cp in tgh():
        return (1, tgh()[cp])
    return (2, cp)


def han_baseline(font: TTFont) -> float:
    """The baseline HarfBuzz (hb_ot_layout_get_baseline_with_fallback) gives Pango for Han text
    in zh-Hans, in em: BASE's icfb for script hani (or its default), else synthesised from the
    em box — its bottom (BASE ideo, else the hhea descender) plus a tenth of its height."""
    upem = font["head"].unitsPerEm
    values = {}
    if "BASE" in font and font["BASE"].table.HorizAxis:
        axis = font["BASE"].table.HorizAxis
        tags = axis.BaseTagList.BaselineTag
        records = {r.BaseScriptTag: r.BaseScript for r in axis.BaseScriptList.BaseScriptRecord}
        script = records.get("hani") or records.get("DFLT")
        if script is not None and script.BaseValues:
            values = dict(zip(tags, (c.Coordinate for c in script.BaseValues.BaseCoord)))
    if "icfb" in values:
        return values["icfb"] / upem
    if "ideo" in values:
        bottom, top = values["ideo"], values.get("idtp", values["ideo"] + upem)
    else:
        bottom, top = font["hhea"].descent, values["idtp"] if "idtp" in values else font["hhea"].ascent
    return (bottom + (top - bottom) / 10) / upem


def line_metrics(font: TTFont) -> tuple[float, float]:
    """(ascent, descent) in em, as Pango takes them (hhea)."""
    upem = font["head"].unitsPerEm
    return font["hhea"].ascent / upem, -font["hhea"].descent / upem


def set_han_baseline(font: TTFont, icfb: float) -> None:
    """Declare `icfb` (in em) as the ideographic face bottom of every script of the BASE table."""
    upem = font["head"].unitsPerEm
    axis = font["BASE"].table.HorizAxis
    tags = axis.BaseTagList.BaselineTag
    if "icfb" not in tags:
        raise SystemExit("BASE without icfb: not handled")
    for record in axis.BaseScriptList.BaseScriptRecord:
        if record.BaseScript.BaseValues:
            record.BaseScript.BaseValues.BaseCoord[tags.index("icfb")].Coordinate = round(icfb * upem)


def chain_primaries(role: str) -> set[str]:
    """The base faces `role` may follow in a line: the first faces of the layouts' chains that
    name it (layouts/*/layout.yaml `fonts:`)."""
    return {chain[0] for chain in layout_chains() if role in chain}


def guest_metrics(font: TTFont, role: str) -> None:
    """Line metrics for an extension face. WeasyPrint centres a text box of a fixed line-height on
    its ascent − descent, and a line's extents are those of its runs once Pango has moved them
    onto the Han baseline. So: ascent and descent no larger than keep the moved run inside every
    base face it may follow (no mixed line grows), and ascent − descent that of its home face
    where that fits (a line of only its characters sits where the home face's lines sit)."""
    own = han_baseline(font)

    def metrics(base_role: str) -> tuple[float, float, float]:
        with TTFont(str(FONTS / next(out for r, out, *_ in FACES if r == base_role)), lazy=True) as base:
            return (*line_metrics(base), han_baseline(base) - own)  # shift > 0: this face's run moves up

    ascent = descent = 10.0
    for primary in chain_primaries(role) | {HOME[role]}:
        base_ascent, base_descent, shift = metrics(primary)
        ascent = min(ascent, base_ascent - max(shift, 0.0))
        descent = min(descent, base_descent - max(-shift, 0.0))
    home_ascent, home_descent, _ = metrics(HOME[role])
    ascent = min(ascent, descent + home_ascent - home_descent)
    descent = min(descent, max(0.0, ascent - (home_ascent - home_descent)))
    upem = font["head"].unitsPerEm
    up, down = int(ascent * upem), int(descent * upem)  # rounded down: never larger
    hhea, os2 = font["hhea"], font["OS/2"]
    hhea.ascent, hhea.descent, hhea.lineGap = up, -down, 0
    os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap = up, -down, 0
    os2.usWinAscent, os2.usWinDescent = up, down


def rename(font: TTFont, family: str, note: str) -> None:
    """Give a derived font its own names (the OFL reserves the original ones for unmodified
    fonts) and say what it is; copyright and licence records stay."""
    name = font["name"]
    keep = {0, 7, 8, 9, 11, 12, 13, 14}
    name.names = [record for record in name.names if record.nameID in keep]
    postscript = family.replace(" ", "")
    for platform in ((3, 1, 0x409), (1, 0, 0)):
        for name_id, value in ((1, family), (2, "Regular"), (3, f"{postscript}-Regular;bulletin"),
                               (4, family), (5, "Version 1.000"), (6, postscript), (10, note)):
            name.setName(value, name_id, *platform)
    font["head"].fontRevision = 1.0
    font["head"].macStyle = 0
    os2 = font["OS/2"]
    os2.usWeightClass = 400  # "Regular", as named (HanaMinB says 500: Pango would call it Medium)
    os2.fsSelection = (os2.fsSelection & ~0b1100001) | 0b1000000  # REGULAR, not italic/bold


def make_extension(role: str, src: Path, dest: Path, family: str, debroot: Path) -> None:
    """An extension face (see the module's docstring)."""
    truetype = src.suffix != ".ttc"
    font = TTFont(str(src)) if truetype else sc_face(src)
    base = cmap_of(FONTS / next(out for r, out, *_ in FACES if r == EXTENDS[role])) if role in EXTENDS else set()
    unicodes = extension_unicodes(role, set(font.getBestCmap()), base, debroot)
    options = subset_options()
    sub = subset.Subsetter(options)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    if role in EXTENSION_BASELINE:
        with TTFont(str(FONTS / next(out for r, out, *_ in FACES if r == EXTENSION_BASELINE[role])),
                    lazy=True) as followed:
            set_han_baseline(font, han_baseline(followed))
    guest_metrics(font, role)
    if truetype:
        rename(font, family, f"Subset of {SOURCES[role].split('(')[1].split(')')[0]} made by bulletin's "
                             "tools/build_fonts.py: the characters bulletin's other faces lack. Not the original font.")
        dest.write_bytes(reorder(font, extension_rank))
    else:
        dest.write_bytes(renumber(font, extension_rank))


def make_half(role: str, dest: Path, family: str) -> None:
    """The half-width punctuation of a base face: for each full-width mark the face sets in an em
    box with a blank half beside its ink (、，。；：！ closing and opening brackets and quotes, the
    间隔号), the same outline in a glyph half an em narrower — an opening mark's outline moved left
    with it, the 间隔号 centred — under the mark's own code point (typeset/punctuation.py
    `half_geometry`, the rule the composition compresses by). This is what the face's `halt`
    feature does where it has one (FandolFang and Noto CJK: GPOS, −½ em advance, −½ em placement
    for openings), made into glyphs: a mark set half width at a line end or compressed is drawn
    with a glyph whose width in the PDF is what is printed, not a full-width glyph moved back.
    Noto's own half-width forms (`hwid`: ，（） only) are other designs, and AR PL KaitiM GB has no
    feature at all. Line metrics, the BASE table and the em are the base face's, so a line mixing
    the two keeps its baseline and height."""
    import math

    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.pens.t2CharStringPen import T2CharStringPen
    from fontTools.pens.transformPen import TransformPen

    from bulletin.typeset.punctuation import MARKS_WITH_HALF, half_geometry

    base = FONTS / next(out for r, out, *_ in FACES if r == HALF_OF[role])
    font = TTFont(str(base))
    upem = font["head"].unitsPerEm
    cmap, glyphs, hmtx = font.getBestCmap(), font.getGlyphSet(), font["hmtx"]
    geometry: dict[int, tuple[int, int]] = {}  # code point → (cut, shift) in font units
    for ch in MARKS_WITH_HALF:
        name = cmap.get(ord(ch))
        if name is None:
            continue
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        if pen.bounds is None:
            continue
        cut, shift = half_geometry(ch, hmtx[name][0], pen.bounds[0], pen.bounds[2], upem)
        if cut:
            geometry[ord(ch)] = (round(cut), round(shift))
    options = subset_options()
    options.layout_features = []  # the glyphs are the half forms: no halt, kern or locl on top
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "vhea", "vmtx", "VORG"]
    options.desubroutinize = True
    sub = subset.Subsetter(options)
    sub.populate(unicodes=geometry)
    sub.subset(font)
    cmap = font.getBestCmap()
    truetype = "glyf" in font
    done: set[str] = set()
    for cp, (cut, shift) in sorted(geometry.items()):
        name = cmap[cp]
        if name in done:  # one glyph for two code points (FandolFang's · and ・)
            continue
        done.add(name)
        advance, lsb = font["hmtx"][name]
        if truetype:
            glyph = font["glyf"][name]
            if glyph.isComposite():
                raise SystemExit(f"{base.name}: composite glyph {name} for U+{cp:04X}: not handled")
            glyph.coordinates.translate((-shift, 0))
            glyph.recalcBounds(font["glyf"])
            font["hmtx"][name] = (advance - cut, glyph.xMin)
        else:
            charstrings = font["CFF "].cff.topDictIndex[0].CharStrings
            old = charstrings[name]
            old.decompile()
            private = old.private
            nominal = getattr(private, "nominalWidthX", 0)
            pen = T2CharStringPen(advance - cut - nominal, None)
            old.draw(TransformPen(pen, (1, 0, 0, 1, -shift, 0)))
            new = pen.getCharString(private=private, globalSubrs=old.globalSubrs)
            charstrings[name] = new
            bounds = BoundsPen(None)
            new.draw(bounds)
            font["hmtx"][name] = (advance - cut, math.floor(bounds.bounds[0]) if bounds.bounds else 0)
    if not truetype:  # the CFF's own names too (WeasyPrint names the PDF font after them)
        cff = font["CFF "].cff
        postscript = family.replace(" ", "") + "-Regular"
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = family, family
        for fd in getattr(top, "FDArray", []):
            fd.FontName = postscript
    rename(font, family, f"The punctuation of {TYPEFACES[role][0]} set half width: the face's own outlines in "
                         "glyphs half an em narrower, opening marks moved left by half an em, the middle dot by a "
                         f"quarter; other glyphs removed. Made from {base.name} by bulletin's tools/build_fonts.py "
                         f"({HALF_MADE}). Not the original font.")
    if truetype:
        out = BytesIO()
        font.recalcTimestamp = False
        font.save(out)
        dest.write_bytes(out.getvalue())
    else:
        dest.write_bytes(renumber(font))


def glyph_ranks(font: TTFont, rank_of) -> dict[str, tuple]:
    """Glyph name → rank of the best-ranked character it draws; glyphs that the default horizontal
    features substitute for a ranked glyph follow it."""
    rank: dict[str, tuple] = {}
    for cp, name in font.getBestCmap().items():
        key = rank_of(cp)
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
    return rank


def reorder(font: TTFont, rank_of) -> bytes:
    """A TrueType font's glyphs in `rank_of` order (WeasyPrint's subsets keep glyph ids, so common
    characters first keep them small); no CID question arises for TrueType."""
    old_order = font.getGlyphOrder()
    old_index = {name: i for i, name in enumerate(old_order)}
    rank = glyph_ranks(font, rank_of)
    new_order = [old_order[0]] + sorted(old_order[1:], key=lambda name: rank.get(name, (9, old_index[name])))
    reorderGlyphs(font, new_order)
    out = BytesIO()
    font.recalcTimestamp = False  # keep the source's head.modified: the same input gives the same bytes
    font.save(out)
    return out.getvalue()


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


def renumber(font: TTFont, rank_of=None) -> bytes:
    """Reorder a CID-keyed CFF font's glyphs by `usage_rank` (or `rank_of`) and make every CID
    equal its glyph id.

    Why: WeasyPrint embeds subsets that keep glyph ids (empty slots up to the highest one used) and
    writes glyph ids as CIDs. With common characters first, a bulletin's highest glyph id is a few
    thousand instead of ~40,000, so the empty slots stop dominating the PDF; with CID = glyph id
    (an identity charset, Adobe-Identity-0) viewers that select glyphs through the CFF charset
    (Acrobat, Preview) and those that use the code as a glyph id (PDFium, poppler) draw the same
    glyph — with the original Noto/Fandol CIDs they disagree."""
    rank_of = rank_of or usage_rank
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        raise SystemExit(f"{font.reader.file.name}: not a CID-keyed CFF font")
    old_order = font.getGlyphOrder()
    old_index = {name: i for i, name in enumerate(old_order)}
    rank = glyph_ranks(font, rank_of)
    # glyphs no character or default feature reaches (vertical forms, alternates) go last
    new_order = [old_order[0]] + sorted(old_order[1:], key=lambda name: rank.get(name, (9, old_index[name])))
    old_fd = list(top.FDSelect.gidArray)
    reorderGlyphs(font, new_order)  # GSUB/GPOS/GDEF coverages and their parallel arrays, CFF charset
    top.FDSelect.gidArray = [old_fd[old_index[name]] for name in new_order]  # not done by fontTools
    data = BytesIO()
    font.recalcTimestamp = False  # keep the source's head.modified: the same input gives the same bytes
    font.save(data)

    # second pass: rename glyph i to cid{i}, so the compiled charset is the identity
    data.seek(0)
    renamed = TTFont(data, recalcTimestamp=False)
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
    check_packages(base, only or [role for role, *_ in FACES])
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
        elif kind in ("extend", "guest"):
            make_extension(role, base / src, dest, family, base)
        elif kind == "half":
            make_half(role, dest, family)
        else:
            make_subset(base / src, dest, unicodes)
        print(f"{role:12} {dest.name:34} {dest.stat().st_size / 1e6:6.1f} MB")
        typeface, style = TYPEFACES[role]
        entry = {
            "role": role, "file": out, "family": family, "use": use, "typeface": typeface, "style": style,
            "licence": LICENCES[lic], "licence_file": f"licenses/{lic}", "source": SOURCES[role],
            "sha256": sha256(dest),
        }
        if kind in ("extend", "guest"):
            entry["lazy"] = True  # given to WeasyPrint only for an issue that uses it
        if kind == "half":
            entry["half_of"] = src  # drawn only where the composition sets a mark half width
        entries.append(entry)
    (FONTS / "manifest.json").write_text(
        json.dumps({"fonts": entries}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])  # optional role names: rebuild only those
