#!/usr/bin/env python3
"""What the extension faces cost (issue 15). Not a test.

    python bench/fonts_cost.py [--runs N]      # about 2 minutes with the default 7 runs

Three copies of the sample issue, interleaved, medians:
  plain    the sample as it is: no character needs an extension face (none is loaded);
  standard the sample with a few 通用规范 characters beyond GBK in the body (loads serif-ext, 4 MB);
  rare     the sample with Extension B characters no Chinese face has (loads HanaMinB's 29 MB subset).
For each: whole-process `bulletin build` (cold: wall time, and the CPU time of all its processes,
steadier on a busy machine) and a warm re-render in one process, as ratios to plain, and the PDF's
size.
"""
from __future__ import annotations

import argparse
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
VARIANTS = {"plain": "", "standard": "𬭚𫖮𬘡𬌗", "rare": "𡔳𤘗𣝦𪟅"}


def make_issues(work: Path) -> dict[str, Path]:
    out = {}
    front, body = (SAMPLE / "issue.md").read_text(encoding="utf-8").split("\n---\n", 1)
    for name, chars in VARIANTS.items():
        series = work / name / SAMPLE.parent.name
        series.mkdir(parents=True)
        for file in ("series.yaml", "recipients.yaml"):
            if (SAMPLE.parent / file).is_file():
                shutil.copyfile(SAMPLE.parent / file, series / file)
        shutil.copytree(SAMPLE, series / SAMPLE.name)
        if chars:  # a name with them in the first sentence of the body
            (series / SAMPLE.name / "issue.md").write_text(
                front + "\n---\n" + body.replace("。", f"，记者张{chars}报道。", 1), encoding="utf-8")
        out[name] = series / SAMPLE.name
    return out


def cold(issues: dict[str, Path], runs: int, work: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU seconds (all processes of the build) of whole-process builds; each
    round runs the variants in a rotated order."""
    import resource

    names = list(issues)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(runs):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([str(BIN / "bulletin"), "build", str(issues[name]), "-o", str(work / f"out-{name}"), "--force"],
                           check=True, capture_output=True)
            wall[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return ({name: statistics.median(t) for name, t in wall.items()},
            {name: statistics.median(t) for name, t in cpu.items()})


def warm(issues: dict[str, Path], runs: int) -> dict[str, float]:
    code = f"""
import json, statistics, time
from bulletin.api import render
issues = {{k: v for k, v in {dict((k, str(v)) for k, v in issues.items())!r}.items()}}
for issue in issues.values():
    render(issue)  # every face the issues need is loaded once
times = {{name: [] for name in issues}}
for _ in range({runs}):
    for name, issue in issues.items():
        start = time.perf_counter(); render(issue); times[name].append(time.perf_counter() - start)
print(json.dumps({{name: statistics.median(t) for name, t in times.items()}}))
"""
    import json

    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        issues = make_issues(work)
        cold_wall, cold_cpu = cold(issues, args.runs, work)
        warm_times = warm(issues, args.runs)
        print(f"{'issue':10} {'cold wall':>10} {'ratio':>6} {'cold CPU':>9} {'ratio':>6} {'warm render':>12} {'ratio':>6} {'PDF KB':>7}")
        for name in issues:
            pdf = next((work / f"out-{name}").glob("*.pdf"))
            print(f"{name:10} {cold_wall[name]:9.2f}s {cold_wall[name] / cold_wall['plain']:6.2f} "
                  f"{cold_cpu[name]:8.2f}s {cold_cpu[name] / cold_cpu['plain']:6.2f} "
                  f"{warm_times[name]:11.3f}s {warm_times[name] / warm_times['plain']:6.2f} {pdf.stat().st_size / 1000:7.0f}")
        print(f"(medians of {args.runs} interleaved runs)")


if __name__ == "__main__":
    main()
