#!/usr/bin/env python3
"""What bulletin's Chinese line composition (bulletin.typeset) costs in render time.

Renders an issue warm in one process, alternating plain WeasyPrint line adjustment and ours,
and prints medians. Usage: python bench/typeset_cost.py [ISSUE_DIR] [-n RUNS]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bulletin.api import render

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("issue", nargs="?", default=ROOT / "issues" / "shanxi-tongxin" / "2021-07", type=Path)
    parser.add_argument("-n", "--runs", type=int, default=9)
    args = parser.parse_args()

    render(args.issue)  # warm: fonts loaded, cmaps cached, templates compiled
    render(args.issue, adjust=False)
    times: dict[bool, list[float]] = {True: [], False: []}
    stages: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.runs):
        for adjust in (False, True):
            start = time.perf_counter()
            result = render(args.issue, adjust=adjust)
            times[adjust].append(time.perf_counter() - start)
            stages[adjust].append(result.timings["layout"] + result.timings["pdf"])
    plain, ours = statistics.median(times[False]), statistics.median(times[True])
    print(f"issue: {args.issue}  runs: {args.runs} each, interleaved, warm")
    print(f"{'':28}{'median s':>10}{'typeset s':>11}")
    print(f"{'plain WeasyPrint adjustment':28}{plain:10.3f}{statistics.median(stages[False]):11.3f}")
    print(f"{'bulletin CJK adjustment':28}{ours:10.3f}{statistics.median(stages[True]):11.3f}")
    print(f"cost of the adjustment: {100 * (ours - plain) / plain:+.1f} % of the render time")


if __name__ == "__main__":
    main()
