#!/usr/bin/env python3
"""Batch builds on the local pool vs on a Dask cluster (issue 20), printed as a table. Not a test.

    python bench/cluster.py                 # 200 copies of the sample, once each way (~4 min on 2 cores)
    python bench/cluster.py --issues 50 --repeat 3

Measures, on this machine:
- N issues (copies of the sample, --force) built by the local pool (2 processes, started for the
  batch as `bulletin build` does) and by a 2-worker distributed.LocalCluster (1 thread each,
  already warm: a cluster lives longer than a batch), interleaved when repeated; medians; ratio
  (expected within ~15 %: the cluster is for scaling out, not for one box);
- that both wrote the same bytes;
- the distributed path's cost per issue: the extra worker-seconds per issue from the two wall
  times, and its parts measured directly — packing an issue's files on the client, a Dask round
  trip carrying them, unpacking on the worker, writing the PDF on the client;
- the render time per issue on a worker, and from it and the overheads a paper estimate of the
  throughput of N workers.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
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
sys.path.insert(0, str(ROOT / "src"))


def make_issues(count: int, work: Path, series_files: tuple[str, ...] = ("series.yaml", "recipients.yaml"),
                series: Path | None = None) -> list[Path]:
    """`count` copies of the sample, numbered 1…count, in one series folder (by default
    work/issues/shanxi-tongxin) with the sample's `series_files`."""
    series = series or work / "issues" / "shanxi-tongxin"
    series.mkdir(parents=True)
    for name in series_files:
        shutil.copyfile(SAMPLE.parent / name, series / name)
    text = (SAMPLE / "issue.md").read_text(encoding="utf-8")
    folders = []
    for n in range(1, count + 1):
        folder = series / f"issue-{n:03d}"
        folder.mkdir()
        (folder / "issue.md").write_text(text.replace("number: 7 ", f"number: {n} ", 1), encoding="utf-8")
        folders.append(folder)
    return folders


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def parts(client, folder: Path, work: Path, rounds: int = 20) -> dict[str, float]:
    """Medians (seconds) of the distributed path's own steps for one issue."""
    from bulletin.run import cluster, outputs

    pack, series_pack, trip, unpack, write = [], [], [], [], []
    for i in range(rounds):
        t, issue = timed(lambda: cluster.pack_issue(folder))
        pack.append(t)
        t, series = timed(lambda: cluster.pack_series(folder.parent))
        series_pack.append(t)
        t, _ = timed(lambda: client.submit(cluster._identity, (series, issue), pure=False).result())
        trip.append(t)
        scratch = cluster._scratch_root() / f"bench-{i}"  # where workers unpack (/dev/shm when there is one)
        t, _ = timed(lambda: cluster.unpack(scratch, series, issue))
        unpack.append(t)
        shutil.rmtree(scratch)
        pdf = os.urandom(570_000)  # the sample's PDF is ~570 KB
        t, _ = timed(lambda: outputs.write_atomic(work / "write" / f"{i}.pdf", pdf))
        write.append(t)
    return {"pack": statistics.median(pack), "series": statistics.median(series_pack), "round trip": statistics.median(trip),
            "unpack": statistics.median(unpack), "client write": statistics.median(write)}


def cli(args: list[str]) -> tuple[float, float, str]:
    """A whole `bulletin` process, as an operator runs it: (wall s, CPU s of it and its children, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "bulletin"), *args], capture_output=True, text=True,
                          env={**os.environ, "BULLETIN_SCHEDULER": ""})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"bulletin {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), proc.stdout


def worker_cpu(client) -> float:
    return sum(client.run(lambda: sum(__import__("psutil").Process().cpu_times()[:2])).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="interleaved runs of each, ABBA order (medians)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import distributed

    from bulletin.run import cluster

    n, w = args.issues, args.workers
    print(f"before: {load()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folders = make_issues(n, work)
        series = str(folders[0].parent)
        cluster_ = distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                            dashboard_address=None, host="127.0.0.1", silence_logs=40)
        client = distributed.Client(cluster_, set_as_default=False)
        address = cluster_.scheduler_address
        try:
            warm = work / "warm-series"
            shutil.copytree(folders[0].parent, warm, ignore=lambda d, names: [x for x in names if x.startswith("issue-")
                                                                              and x > f"issue-{2 * w:03d}"])
            cli(["build", str(warm), "-o", str(work / "warm"), "--force", "--scheduler", address])  # a cluster outlives a batch
            pool, remote = {"wall": [], "cpu": []}, {"wall": [], "client": [], "scheduler": [], "workers": [], "render": []}

            def run_pool(r: int) -> None:
                wall, cpu, _ = cli(["build", series, "-o", str(work / "pool"), "--force", "-j", str(w)])
                pool["wall"].append(wall)
                pool["cpu"].append(cpu)
                print(f"run {r + 1}: local pool {wall:6.1f} s  ({load()})", flush=True)

            def run_cluster(r: int) -> None:
                scheduler, workers = time.process_time(), worker_cpu(client)
                wall, cpu, text = cli(["build", series, "-o", str(work / "dask"), "--force", "--scheduler", address])
                remote["scheduler"].append(time.process_time() - scheduler)  # the LocalCluster's scheduler and nannies live here
                remote["workers"].append(worker_cpu(client) - workers)
                remote["wall"].append(wall)
                remote["client"].append(cpu)
                remote["render"] += [float(x) for x in re.findall(r"页，([0-9.]+) 秒", text)]
                print(f"run {r + 1}: cluster    {wall:6.1f} s  ({load()})", flush=True)

            for r in range(args.repeat):  # ABBA: pool, cluster, cluster, pool, … against drifts in the load
                for step in ((run_pool, run_cluster) if r % 2 == 0 else (run_cluster, run_pool)):
                    step(r)
            names = sorted(p.name for p in (work / "pool").glob("*.pdf"))
            same = len(names) == n and all((work / "pool" / x).read_bytes() == (work / "dask" / x).read_bytes() for x in names)
            steps = parts(client, folders[0], work)
            rss = client.run(lambda: __import__("psutil").Process().memory_info().rss)
        finally:
            import logging

            logging.getLogger("distributed").setLevel(logging.CRITICAL)  # shutdown chatter
            client.close()
            cluster_.close()
            shutil.rmtree(cluster._scratch_root(), ignore_errors=True)
            cluster.sweep_scratch()

    med = statistics.median
    pool_cpu = med(pool["cpu"]) / n
    cluster_cpu = (med(remote["client"]) + med(remote["scheduler"]) + med(remote["workers"])) / n
    client_cpu = med(remote["client"]) / n
    rows = [
        (f"{n} issues, `bulletin build`, local pool of {w} (median of {args.repeat}, s)", f"{med(pool['wall']):.1f}"),
        (f"{n} issues, `bulletin build --scheduler`, warm LocalCluster of {w} (s)", f"{med(remote['wall']):.1f}"),
        ("  ratio cluster / pool", f"{med(remote['wall']) / med(pool['wall']):.2f}"),
        ("  same PDF bytes, none failed", "yes" if same else "NO"),
        ("CPU per issue, local pool: all processes (ms)", f"{pool_cpu * 1000:.0f}"),
        ("CPU per issue, cluster: workers + client + scheduler (ms)", f"{cluster_cpu * 1000:.0f}"),
        ("  of which workers (ms)", f"{med(remote['workers']) / n * 1000:.0f}"),
        ("  of which client (ms)", f"{med(remote['client']) / n * 1000:.1f}"),
        ("  of which scheduler and nannies (ms)", f"{med(remote['scheduler']) / n * 1000:.1f}"),
        ("    i.e. share of one core, mostly periodic (heartbeats, memory watch)",
         f"{med(remote['scheduler']) / med(remote['wall']) * 100:.1f} %"),
        ("  overhead of the distributed path per issue (ms CPU)", f"{(cluster_cpu - pool_cpu) * 1000:+.0f}"),
        ("render time per issue on a worker (median, s)", f"{med(remote['render']):.2f}"),
        ("  client: pack an issue's files (ms)", f"{steps['pack'] * 1000:.1f}"),
        (f"  client: pack the series once per batch ({n} issues' front matter) (ms)", f"{steps['series'] * 1000:.1f}"),
        ("  Dask round trip carrying an issue's files (ms)", f"{steps['round trip'] * 1000:.1f}"),
        ("  worker: unpack into scratch (ms)", f"{steps['unpack'] * 1000:.1f}"),
        ("  client: write a 570 KB PDF atomically (ms)", f"{steps['client write'] * 1000:.1f}"),
        ("worker memory after the batches (RSS, MB)", " / ".join(f"{v / 2**20:.0f}" for v in rss.values())),
    ]
    per_worker = med(remote["workers"]) / n  # CPU seconds a worker spends per issue
    cap = 1 / client_cpu
    for workers in (2, 8, 32, 128):
        rows.append((f"paper estimate, {workers} single-core workers (issues/min)", f"{min(workers / per_worker, cap) * 60:.0f}"))
    rows.append(("  limit of one client core at its CPU per issue (issues/min)", f"{cap * 60:.0f}"))
    width = max(len(r[0]) for r in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value:>9}")
    print(f"\nafter: {load()}")


if __name__ == "__main__":
    main()
