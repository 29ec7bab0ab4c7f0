#!/usr/bin/env python3
"""bulletin's performance figures (issue 6 targets), printed as a table. Not a test.

    python bench/bench.py            # full run (about 6 minutes on 2 cores)
    python bench/bench.py --quick    # fewer repetitions (about 1 minute)

Measures, on this machine:
- whole-process `bulletin build` of the sample vs the plain `weasyprint` command on the output of
  `bulletin html` (interleaved runs, medians, ratio; target ≤ 1.25);
- a batch of N issues with the worker pool vs a shell loop of single builds (ratio; target ≥ 4);
- warm re-render of the sample in one process (median; target ≤ 0.6 s);
- time per stage of a warm render;
- RSS growth over R renders in one process (target < 10 %) and peak RSS;
- the sample PDF's size (target ≤ 600 KB).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "issues" / "shanxi-tongxin" / "2021-07"
BIN = Path(sys.executable).parent


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def whole_process(runs: int, work: Path) -> tuple[float, float]:
    html = work / "html"
    subprocess.run([str(BIN / "bulletin"), "html", str(SAMPLE), "-o", str(html)], check=True, capture_output=True)
    ours, bare = [], []
    for i in range(runs):  # interleaved, each a fresh process; --force: no skipping
        ours.append(run([str(BIN / "bulletin"), "build", str(SAMPLE), "-o", str(work / "o"), "--force"]))
        bare.append(run([str(BIN / "weasyprint"), str(html / "index.html"), str(work / f"bare{i}.pdf")]))
    return statistics.median(ours), statistics.median(bare)


def batch(count: int, work: Path) -> tuple[float, float]:
    series = work / "batch" / "shanxi-tongxin"
    series.mkdir(parents=True)
    shutil.copyfile(SAMPLE.parent / "series.yaml", series / "series.yaml")
    text = (SAMPLE / "issue.md").read_text(encoding="utf-8")
    folders = []
    for n in range(1, count + 1):
        folder = series / f"issue-{n:03d}"
        folder.mkdir()
        (folder / "issue.md").write_text(text.replace("number: 7 ", f"number: {n} ", 1), encoding="utf-8")
        folders.append(folder)
    pool = run([str(BIN / "bulletin"), "build", str(series), "-o", str(work / "pool"), "--force"])
    start = time.perf_counter()
    for folder in folders:  # what an operator's shell loop does
        subprocess.run([str(BIN / "bulletin"), "build", str(folder), "-o", str(work / "loop"), "--force"],
                       check=True, capture_output=True)
    return pool, time.perf_counter() - start


def in_process(renders: int) -> dict:
    code = f"""
import gc, json, resource, statistics, time
from bulletin.api import render
def rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
times, stages, sizes = [], {{}}, []
render({str(SAMPLE)!r})
from bulletin.typeset.speedups import settle
settle()  # what preview --watch, the editor's renderer and batch workers do after their first render
base = None
for i in range({renders}):
    start = time.perf_counter()
    r = render({str(SAMPLE)!r})
    times.append(time.perf_counter() - start)
    for k, v in r.timings.items():
        stages.setdefault(k, []).append(v)
    sizes.append(len(r.pdf))
    del r
    gc.collect()
    if i == 9:
        base = rss()
print(json.dumps({{"warm": statistics.median(times), "stages": {{k: statistics.median(v) for k, v in stages.items()}},
    "rss_start": base, "rss_end": rss(), "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "pdf": sizes[-1]}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    runs, count, renders = (3, 10, 30) if args.quick else (15, 50, 300)  # this machine varies ±20 %
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ours, bare = whole_process(runs, work)
        pool, loop = batch(count, work)
    stats = in_process(renders)
    growth = (stats["rss_end"] - stats["rss_start"]) / stats["rss_start"]
    rows = [
        ("whole `bulletin build`, sample (median s)", f"{ours:.2f}", ""),
        ("plain `weasyprint` on `bulletin html` (median s)", f"{bare:.2f}", ""),
        ("  ratio build / weasyprint", f"{ours / bare:.2f}", "≤ 1.25"),
        (f"batch of {count}: worker pool (s)", f"{pool:.1f}", ""),
        (f"batch of {count}: shell loop of builds (s)", f"{loop:.1f}", ""),
        ("  speed-up of the pool", f"{loop / pool:.1f}×", "≥ 4"),
        ("warm re-render of the sample (median s)", f"{stats['warm']:.3f}", "≤ 0.6"),
        *[(f"  stage: {k}", f"{v * 1000:.0f} ms", "") for k, v in stats["stages"].items()],
        (f"RSS growth over {renders} renders (after 10)", f"{growth * 100:+.1f} %", "< 10 %"),
        ("peak RSS (MB)", f"{stats['peak']:.0f}", ""),
        ("sample PDF (KB)", f"{stats['pdf'] / 1024:.0f}", "≤ 600"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':{width}}  {'value':>9}  target")
    for name, value, target in rows:
        print(f"{name:{width}}  {value:>9}  {target}")


if __name__ == "__main__":
    main()
