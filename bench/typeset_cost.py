#!/usr/bin/env python3
"""What bulletin's Chinese line composition (bulletin.typeset) costs in render time.

Renders an issue warm in one process, alternating plain WeasyPrint line adjustment, ours, and ours
with its measurements and paragraph breaks forgotten (what a first render pays), and prints
medians of the wall-clock and the CPU time (the CPU time is steadier on a busy machine). Usage: python bench/typeset_cost.py [ISSUE_DIR] [-n RUNS]
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

    from bulletin.typeset import breaking, measure

    render(args.issue)  # warm: fonts loaded, cmaps cached, templates compiled
    render(args.issue, adjust=False)
    kinds = {"plain": "plain WeasyPrint adjustment", "ours": "bulletin CJK composition",
             "cold": "  … composing every text anew"}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}  # CPU time: steadier on a busy machine
    stages: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(args.runs):
        for kind in kinds:
            if kind == "cold":
                measure.clear()  # what a first render pays: no text measured, no paragraph broken before
                breaking.clear()
            start, start_cpu = time.perf_counter(), time.process_time()
            result = render(args.issue, adjust=kind != "plain")
            times[kind].append(time.perf_counter() - start)
            cpu[kind].append(time.process_time() - start_cpu)
            stages[kind].append(result.timings["layout"] + result.timings["pdf"])
    median = {k: statistics.median(v) for k, v in times.items()}
    median_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"issue: {args.issue}  runs: {args.runs} each, interleaved, warm")
    print(f"{'':32}{'median s':>10}{'typeset s':>11}{'CPU s':>9}")
    for kind, label in kinds.items():
        print(f"{label:32}{median[kind]:10.3f}{statistics.median(stages[kind]):11.3f}{median_cpu[kind]:9.3f}")
    for name, values in (("render time", median), ("CPU time", median_cpu)):
        plain = values["plain"]
        print(f"cost of the composition: {100 * (values['ours'] - plain) / plain:+.1f} % of the {name} "
              f"({100 * (values['cold'] - plain) / plain:+.1f} % composing every text anew)")


if __name__ == "__main__":
    main()
