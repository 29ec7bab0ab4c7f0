#!/usr/bin/env python3
"""bulletin's Chinese line composition beside Typst and XeLaTeX + ctex, on the same text.

    python bench/peers.py [ISSUE_DIR ...] [-o OUT] [--audit PATH] [--no-latex]

For each issue (default: the sample, tests/fixtures/hard and hard-breaks) this typesets the issue's text three
ways — bulletin itself; Typst (the `typst` package from PyPI: pip install 'bulletin[bench]'); and,
when `xelatex` and the ctex classes are installed (Debian: texlive-xetex texlive-lang-chinese),
XeLaTeX + ctex — with the same fonts (the project's fonts/), page, margins (37/35/28/26 mm), body
size (the issue's body_size: 四号 14 pt or 三号 16 pt), tracking, line pitch, 2-character first-line
indent and justification. Then it measures every PDF and prints one table: with the audit tool when
one is given (--audit, or the team's shared tool when it is present), else with the project's own
checks (tests/typocheck.py). The PDFs are kept in OUT (default: a new temporary folder) to look at.
It is a tool, not a test: it takes half a minute to a few minutes.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bulletin.api import render  # noqa: E402
from bulletin.style.layout import length_pt, load_layout  # noqa: E402
from bulletin.source.load import load  # noqa: E402
from bulletin.model import Figure, Heading, ListBlock, Paragraph, Table  # noqa: E402

FONTS = ROOT / "fonts"
SHARED_AUDIT = ROOT.parent.parent / "shared" / "tools" / "audit_pdf.py"  # /work/shared when it exists
URL_OR_MAIL = re.compile(r"(?:https?://|www\.)[\x21-\x7e]+?(?=[^\x21-\x7e]|$)|[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@dataclass
class Text:
    """What the peers set: the issue's running text in reading order."""
    title: str
    blocks: list[tuple[str, str]]  # ("section" | "title" | "paragraph" | "byline" | "heading", text)
    distribution: list[str]
    size_pt: float
    tracking_pt: float
    pitch_pt: float


def issue_text(issue_dir: Path) -> Text:
    loaded = load(issue_dir)
    bulletin = loaded.bulletin
    layout = load_layout(bulletin.series.layout)
    options = layout.resolve_options({**bulletin.series.layout_options, **bulletin.issue.layout_options})
    blocks: list[tuple[str, str]] = []

    def spans(content) -> str:
        return "".join(span.text for span in content).replace("\n", "")

    def article(a) -> None:
        blocks.append(("title", a.title.replace("\n", "")))
        body = list(a.body)
        for i, block in enumerate(body):
            if isinstance(block, Paragraph):
                text = spans(block.content)
                blocks.append(("paragraph", text))
            elif isinstance(block, Heading):
                blocks.append(("heading", spans(block.content)))
            elif isinstance(block, ListBlock):
                blocks.extend(("paragraph", spans(item)) for item in block.items)
            elif isinstance(block, (Figure, Table)):
                continue
        if a.byline:
            blocks.append(("byline", f"（{a.byline}）"))

    for a in bulletin.issue.lead:
        article(a)
    for section in bulletin.issue.sections:
        blocks.append(("section", f"【{section.name}】"))
        for a in section.articles:
            article(a)
    lines = [f"{line.label}：{'、'.join(line.recipients)}" for line in bulletin.distribution]
    if bulletin.print_run:
        lines.append(f"（共印{bulletin.print_run}份）")
    return Text(bulletin.title, blocks, lines, length_pt(options["--body-size"]),
                length_pt(options["--letter-spacing"]), _length(options["--line-height"]))


def _length(value: str) -> float:
    """A layout length in points: '14pt', or a quotient the grid uses ('calc(225mm / 28)')."""
    m = re.fullmatch(r"\s*calc\(\s*([^/()]+?)\s*/\s*([0-9.]+)\s*\)\s*", value)
    return length_pt(m.group(1)) / float(m.group(2)) if m else length_pt(value)


# ------------------------------------------------------------------------------------------ Typst


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def typst_source(t: Text) -> str:
    out = [
        '#set page(paper: "a4", margin: (top: 37mm, bottom: 35mm, left: 28mm, right: 26mm),',
        '  footer: context align(center, text(font: "Noto Serif CJK SC", size: 14pt)[— #counter(page).display() —]))',
        f'#set text(font: ("FandolFang R", "Noto Serif CJK SC"), size: {t.size_pt}pt, lang: "zh", region: "cn",',
        f'  tracking: {t.tracking_pt}pt, top-edge: "baseline", bottom-edge: "baseline")',
        f"#set par(justify: true, first-line-indent: (amount: {2 * (t.size_pt + t.tracking_pt):.3f}pt, all: true),",
        f"  leading: {t.pitch_pt}pt,",
        f"  spacing: {t.pitch_pt}pt)",
        f"#show heading: set text(font: \"Noto Sans CJK SC\", size: {t.size_pt}pt, weight: \"regular\")",
        "#show heading: set block(above: 0.5em, below: 0pt)",
        "",
    ]
    for kind, text in t.blocks:
        if kind == "section":
            out.append(f"#block(above: {t.pitch_pt}pt, below: {t.pitch_pt}pt, text(font: \"Noto Sans CJK SC\")[#{_typst_string(text)}])")
        elif kind == "title":
            out.append(f"#align(center, block(above: {t.pitch_pt}pt, below: {t.pitch_pt}pt, "
                       f"text(font: \"Noto Serif CJK SC\", weight: \"bold\", size: {t.size_pt * 1.3}pt, "
                       f"top-edge: \"baseline\")[#{_typst_string(text)}]))")
        elif kind == "heading":
            out.append(f"#par(text(font: \"Noto Sans CJK SC\")[#{_typst_string(text)}])")
        elif kind == "byline":
            out.append(f"#align(right)[#{_typst_string(text)}]")
        else:
            out.append(f"#par[#{_typst_string(text)}]")
    out.append("#place(bottom, float: true, clearance: 6mm, block(width: 100%, stroke: (top: 0.35mm, bottom: 0.35mm), "
               "inset: (x: 1em, y: 1mm), par(justify: false, first-line-indent: 0pt)[" +
               " \\ ".join(f"#{_typst_string(line)}" for line in t.distribution) + "]))")
    return "\n".join(out) + "\n"


def run_typst(t: Text, out: Path) -> Path | None:
    try:
        import typst
    except ImportError:
        print("Typst: the typst package is not installed (pip install 'bulletin[bench]')", file=sys.stderr)
        return None
    source = out.with_suffix(".typ")
    source.write_text(typst_source(t), encoding="utf-8")
    noto = [p for p in (Path("/usr/share/fonts/opentype/noto"),) if p.is_dir()]
    out.write_bytes(typst.compile(str(source), font_paths=[str(FONTS), *map(str, noto)]))
    return out


# ------------------------------------------------------------------------------------------ XeLaTeX


_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
        "%": r"\%", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(text: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in text)


def latex_source(t: Text) -> str:
    out = [
        "\\documentclass[zihao=false,fontset=none,a4paper]{ctexart}",
        "\\usepackage[top=37mm,bottom=35mm,left=28mm,right=26mm,footskip=10mm]{geometry}",
        f"\\setCJKmainfont{{FandolFang-Regular.otf}}[Path={FONTS}/]",
        f"\\setCJKsansfont{{NotoSansCJKsc-Regular-GBK.otf}}[Path={FONTS}/]",
        f"\\setCJKfamilyfont{{title}}{{NotoSerifCJKsc-Bold-GBK.otf}}[Path={FONTS}/]",
        f"\\setmainfont{{FandolFang-Regular.otf}}[Path={FONTS}/]",
        "\\xeCJKsetup{AutoFallBack=true}",
        f"\\setCJKfallbackfamilyfont{{\\CJKrmdefault}}{{NotoSerifCJKsc-Regular-GBK.otf}}[Path={FONTS}/]",
        "\\setlength{\\parskip}{0pt}",
        "\\pagestyle{plain}",
        "\\begin{document}",
        # PDF points (bp), as the other two use: TeX's pt is 1/72.27 in
        f"\\fontsize{{{t.size_pt}bp}}{{{t.pitch_pt}bp}}\\selectfont",
        f"\\xeCJKsetup{{CJKglue={{\\hskip {t.tracking_pt}bp plus 0.08\\baselineskip}}}}",
        f"\\setlength{{\\parindent}}{{{2 * (t.size_pt + t.tracking_pt)}bp}}",
    ]
    for kind, text in t.blocks:
        if kind == "section":
            out.append(f"\\par\\vspace{{0.5\\baselineskip}}\\noindent{{\\sffamily {_tex(text)}}}\\par")
        elif kind == "title":
            out.append(f"\\par\\vspace{{0.5\\baselineskip}}{{\\centering\\CJKfamily{{title}}\\large {_tex(text)}\\par}}")
        elif kind == "heading":
            out.append(f"\\par{{\\sffamily {_tex(text)}}}\\par")
        elif kind == "byline":
            out.append(f"\\par\\hfill {_tex(text)}\\par")
        else:
            out.append(f"\\par {_tex(text)}\\par")
    out.append("\\vfill\\noindent\\rule{\\linewidth}{0.35mm}\\par")
    out.extend(f"\\noindent\\hspace{{1em}}{_tex(line)}\\par" for line in t.distribution)
    out.append("\\noindent\\rule{\\linewidth}{0.35mm}\\par")
    out.append("\\end{document}")
    return "\n".join(out) + "\n"


def run_latex(t: Text, out: Path) -> Path | None:
    if shutil.which("xelatex") is None:
        print("XeLaTeX: not installed (Debian: apt-get install texlive-xetex texlive-lang-chinese)", file=sys.stderr)
        return None
    source = out.with_suffix(".tex")
    source.write_text(latex_source(t), encoding="utf-8")
    proc = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
                          cwd=out.parent, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not out.exists():
        print(f"XeLaTeX failed on {source}:\n{proc.stdout[-2000:]}", file=sys.stderr)
        return None
    return out


# ------------------------------------------------------------------------------------------ measuring


ROWS = [
    ("max extra Han–Han spacing (em)", "max_loose"),
    ("full lines > 10 % em loose", "over10"),
    ("full lines ending in a full-width mark inside the block", "full_width_inside"),
    ("lines with hanging punctuation", "hanging"),
    ("孤字 (runts)", "runts"),
    ("strict line starts (· —— …… starting a line)", "strict"),
    ("lines off the line pitch", "off_pitch"),
    ("adjacent marks set with one blank half", "pairs"),
    ("lines with one mark at two widths (push-in)", "mixed"),
    ("URLs and e-mail addresses kept whole", "whole"),
    ("… whole or broken where style guides allow (after /, before . or @, not at a hyphen)", "sound"),
    ("禁则 violations", "kinsoku"),
    ("lines running past the block edge", "overfull"),
    ("full lines whose last glyph box ends > 1 pt off the block edge", "edge"),
]


def _sound_break(before: str, after: str) -> bool:
    """A URL or e-mail address broken where style guides allow it (typeset/breaking.url_break)."""
    from bulletin.typeset.breaking import url_break

    return bool(before and after) and url_break(before[-1], after[0])


def measure(pdf_path: Path, runs: list[str], audit: Path | None) -> dict:
    import pdfplumber

    from tests import typocheck

    with pdfplumber.open(str(pdf_path)) as pdf:
        own = typocheck.figures(pdf)
        missing = typocheck.kept_whole(pdf, runs)
        broken = typocheck.address_breaks(pdf, runs)
        overfull = typocheck.overfull(pdf, typocheck.ink_finder(pdf_path))
    row = {
        "max_loose": f"{own.max_loose:.3f}", "over10": len(own.loose_over(0.10)),
        "full_width_inside": own.end_marks["full_width_inside"], "hanging": own.end_marks["hanging"],
        "runts": len(own.runts), "strict": len(own.strict_starts), "off_pitch": len(own.off_pitch),
        "pairs": f"{own.pairs_compressed}/{own.pairs}", "whole": f"{len(runs) - len(missing)}/{len(runs)}",
        "sound": f"{len(runs) - sum(1 for _run, a, b in broken if not _sound_break(a, b))}/{len(runs)}",
        "edge": len(own.off_edge(1.0)),
        "kinsoku": len(own.kinsoku), "overfull": len(overfull), "mixed": len(own.mixed_widths),
        "source": "own checks",
    }
    if audit is not None:
        proc = subprocess.run([sys.executable, str(audit), str(pdf_path), "--json"], capture_output=True, text=True)
        try:
            rep = json.loads(proc.stdout)
        except ValueError:
            return row
        loose, marks = rep.get("looseness") or {}, rep.get("line_end_marks") or {}
        row.update({
            "max_loose": f"{loose.get('max_em') or 0:.3f}", "over10": loose.get("lines_over_10pct", 0),
            "full_width_inside": marks.get("full_width_inside", 0), "hanging": marks.get("hanging", 0),
            "runts": (rep.get("runts") or {}).get("count", 0),
            "strict": (rep.get("strict_line_start") or {}).get("count", 0),
            "off_pitch": len((rep.get("pitch") or {}).get("off_pitch_lines", [])),
            "kinsoku": len(rep.get("kinsoku_violations", [])), "source": "audit tool",
            "problems": rep.get("problems", []),
        })
        if marks.get("consecutive_hanging_pairs"):
            row["hanging"] = f"{row['hanging']} ({marks['consecutive_hanging_pairs']} in a row)"
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("issues", nargs="*", type=Path,
                        default=[ROOT / "issues" / "shanxi-tongxin" / "2021-07", ROOT / "tests" / "fixtures" / "hard" / "2024-05",
                                 ROOT / "tests" / "fixtures" / "hard-breaks" / "2024-06"])
    parser.add_argument("-o", "--out", type=Path, help="folder for the PDFs (default: a new temporary folder)")
    parser.add_argument("--audit", type=Path, help="the audit tool (audit_pdf.py); default: the shared one if present")
    parser.add_argument("--no-latex", action="store_true", help="skip XeLaTeX")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bulletin-peers-"))
    out.mkdir(parents=True, exist_ok=True)
    audit = args.audit or (SHARED_AUDIT if SHARED_AUDIT.is_file() else None)
    engines = ["bulletin", "Typst", "XeLaTeX + ctex"]
    results: dict[str, dict[str, dict]] = {}
    for issue in args.issues:
        t = issue_text(issue)
        name = f"{issue.parent.name}-{issue.name}-{t.size_pt:g}pt"  # the sample at 四号 and at 三号
        runs = sorted({m.group() for _k, text in t.blocks for m in URL_OR_MAIL.finditer(text)})
        pdfs = {"bulletin": out / f"{name}-bulletin.pdf"}
        pdfs["bulletin"].write_bytes(render(issue).pdf)
        pdfs["Typst"] = run_typst(t, out / f"{name}-typst.pdf")
        pdfs["XeLaTeX + ctex"] = None if args.no_latex else run_latex(t, out / f"{name}-xelatex.pdf")
        results[name] = {e: measure(p, runs, audit) for e, p in pdfs.items() if p is not None}
    present = [e for e in engines if any(e in r for r in results.values())]
    source = next(iter(next(iter(results.values())).values()))["source"]
    print(f"measured with the {source}; PDFs in {out}\n")
    print("| same text | " + " | ".join(present) + " |")
    print("|---|" + "---|" * len(present))
    for name, by_engine in results.items():
        for label, key in ROWS:
            cells = [str(by_engine[e][key]) if e in by_engine else "–" for e in present]
            print(f"| {name}: {label} | " + " | ".join(cells) + " |")
    for name, by_engine in results.items():
        for engine, row in by_engine.items():
            for problem in row.get("problems", []):
                print(f"  {name} / {engine}: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
