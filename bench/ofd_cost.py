#!/usr/bin/env python3
"""What the OFD output costs beside the PDF: the render of an issue against reading its PDF and
writing the OFD package (and one numbered copy's package), warm, interleaved, medians.

Usage: python bench/ofd_cost.py [ISSUE_DIR] [-n RUNS]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bulletin.api import render
from bulletin.output.ofd import OfdSource, bulletin_font_naming, issue_custom_data

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("issue", nargs="?", default=ROOT / "issues" / "shanxi-tongxin" / "2021-07", type=Path)
    parser.add_argument("-n", "--runs", type=int, default=9)
    args = parser.parse_args()

    result = render(args.issue)  # warm: fonts loaded, templates compiled
    naming = bulletin_font_naming()
    times: dict[str, list[float]] = {"render": [], "read PDF": [], "write OFD": []}
    size = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        result = render(args.issue)
        times["render"].append(time.perf_counter() - start)
        start = time.perf_counter()
        source = OfdSource(result.pdf, issue_custom_data(result.bulletin), naming)
        times["read PDF"].append(time.perf_counter() - start)
        start = time.perf_counter()
        size = len(source.package())
        times["write OFD"].append(time.perf_counter() - start)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(f"issue: {args.issue}  pages: {result.pages}  runs: {args.runs}, interleaved, warm")
    for stage, value in medians.items():
        print(f"{stage:12}{value:8.3f} s")
    ofd = medians["read PDF"] + medians["write OFD"]
    print(f"OFD beside the PDF: {ofd:.3f} s, {100 * ofd / medians['render']:.0f} % of the render; "
          f"each further copy {medians['write OFD']:.3f} s; PDF {len(result.pdf) / 1024:.0f} KB, OFD {size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
