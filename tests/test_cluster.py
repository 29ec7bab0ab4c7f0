"""Batch builds and numbered copies on a real Dask cluster on this machine.

Most tests share one distributed.LocalCluster with two worker processes (each a nanny-managed
process, as `dask worker` starts them); one test starts `dask scheduler` and `dask worker` as
separate commands on 127.0.0.1 and drives them through the `bulletin` command. The reference for
every PDF is the same issue built by the local pool (or in this process): the bytes must match."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

distributed = pytest.importorskip("distributed")

from bulletin.run import cluster, outputs  # noqa: E402
from bulletin.batch import MANIFEST, build_many  # noqa: E402
from bulletin.cli import app  # noqa: E402
from bulletin.errors import BulletinError  # noqa: E402

from .conftest import FIXTURES, SAMPLE  # noqa: E402
from .test_batch import small_issue  # noqa: E402
from .test_distribute import issue_with_registry  # noqa: E402


def sha(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def series(tmp_path) -> Path:
    root = tmp_path / "issues" / "demo"
    root.mkdir(parents=True)
    (root / "series.yaml").write_text("name: 演示简报\npublisher: 演示协会\nlayout_options: {body_size: 四号}\n",
                                      encoding="utf-8")
    return root


# ---------------------------------------------------------------- without a cluster


def test_issue_files_travel_and_unpack_to_the_same_folder(tmp_path, series, monkeypatch):
    from bulletin import limits

    monkeypatch.setattr(limits, "MAX_IMAGE_BYTES", 1000)  # read by cluster.py when it packs the files
    issue = small_issue(series, "2024-02", 2)
    small_issue(series, "2024-01", 1, "## 甲\n\n很长的正文。\n" * 50)
    (issue / "images").mkdir()
    (issue / "images" / "small.png").write_bytes(b"\x89PNG small")
    (issue / "images" / "big.png").write_bytes(b"x" * 5000)
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    (issue / "images" / "link.png").symlink_to(tmp_path / "secret.txt")
    (issue / "sent-log.jsonl").write_text("{}\n", encoding="utf-8")

    packed, series_files = cluster.pack_issue(issue), cluster.pack_series(series)
    assert set(packed.files) == {"issue.md", "images/small.png"}  # no delivery log, nothing from outside
    assert packed.sizes == {"images/big.png": 5000} and packed.outside == ["images/link.png"]
    assert set(series_files.files) == {"series.yaml", "2024-01/issue.md", "2024-02/issue.md"}
    assert series_files.files["2024-01/issue.md"] == b"---\nnumber: 1\ndate: 2024-01-15\n---\n"  # front matter only

    worker_issue = cluster.unpack(tmp_path / "scratch", series_files, packed)
    assert worker_issue == tmp_path / "scratch" / "demo" / "2024-02"
    assert (worker_issue / "issue.md").read_bytes() == (issue / "issue.md").read_bytes()
    assert (worker_issue / "images" / "big.png").stat().st_size == 5000  # sparse: size, not bytes
    assert not (worker_issue / "images" / "link.png").exists()  # a link out stays one, to nowhere
    assert (worker_issue / "images" / "link.png").is_symlink()
    assert (worker_issue.parent / "2024-01" / "issue.md").read_text(encoding="utf-8").startswith("---\nnumber: 1")


def test_unpack_refuses_paths_that_leave_the_scratch_folder(tmp_path):
    evil = cluster.IssueFiles("2024-01", files={"../../escape.txt": b"x"})
    with pytest.raises(ValueError):
        cluster.unpack(tmp_path / "scratch", cluster.SeriesFiles("demo"), evil)
    assert not (tmp_path / "escape.txt").exists()


def test_a_too_large_issue_folder_is_refused_before_sending(series, monkeypatch):
    monkeypatch.setattr(cluster, "BUNDLE_LIMIT", 100)
    issue = small_issue(series, "2024-01", 1, "## 标题\n\n" + "正文。" * 100 + "\n")
    with pytest.raises(BulletinError) as exc:
        cluster.pack_issue(issue)
    assert "不能发给集群" in exc.value.problems[0].message


def test_worker_paths_in_problems_become_the_clients():
    from bulletin.batch import Outcome

    outcome = Outcome("/dev/shm/w/in/demo/2024-01", "failed", problems=[
        {"file": "/dev/shm/w/in/demo/2024-01/issue.md", "line": 6, "message": "见 file:///dev/shm/w/in/demo/2024-01/a.png",
         "message_en": "", "hint": "", "hint_en": "", "column": None, "severity": "error"},
        {"file": "/dev/shm/w/in/demo/series.yaml", "line": 1, "message": "", "message_en": "", "hint": "",
         "hint_en": "", "column": None, "severity": "error"}])
    issue_dir = Path("issues/demo/2024-01")
    cluster.client_paths(outcome, "/dev/shm/w/in/demo/2024-01", "/dev/shm/w/in/demo", issue_dir)
    assert outcome.issue_dir == "issues/demo/2024-01"
    assert outcome.problems[0]["file"] == "issues/demo/2024-01/issue.md"
    assert outcome.problems[0]["message"] == f"见 {(issue_dir.resolve() / 'a.png').as_uri()}"
    assert outcome.problems[1]["file"] == str(Path("issues/demo").resolve() / "series.yaml")


def test_environment_names_what_the_bytes_depend_on():
    env = cluster.environment()
    for key in ("bulletin", "layouts, fonts manifest, code", "font files", "pango", "harfbuzz", "zlib",
                "package weasyprint", "package pydyf", "package pillow", "package pypdf"):
        assert env.get(key), key
    assert not any(k.startswith("package ") and k[8:] in cluster.NOT_RENDERING for k in env)
    other = {**env, "font files": "0" * 16}
    assert cluster.describe_mismatch(env, other) == f"font files: {env['font files']} ≠ {'0' * 16}"
    assert cluster.environment_digest(env) != cluster.environment_digest(other)


def test_images_are_named_by_their_place_in_the_issue_not_on_disk(tmp_path):
    """speedups.relative_image_ids: the same issue in two folders gives the same bytes."""
    from bulletin.typeset import patches, speedups
    from bulletin.api import render

    for name in ("a", "b"):
        shutil.copytree(FIXTURES / "features", tmp_path / name / "features")
    first = render(tmp_path / "a" / "features" / "2024-03").pdf
    assert render(tmp_path / "b" / "features" / "2024-03").pdf == first

    from weasyprint import document

    assert document.original_get_image_from_uri is patches.original_get_image_from_uri  # installed by the renders

    class Fetcher:
        roots = [tmp_path / "a", tmp_path / "b"]

    def original(cache, url_fetcher, options, url, forced_mime_type=None, context=None, orientation="from-image"):
        from weasyprint.images import RasterImage

        image = RasterImage.__new__(RasterImage)
        image.id = "absolute"
        return image

    ids = [speedups.relative_image_ids(original, cache={}, url_fetcher=Fetcher(), options={},
                                       url=(tmp_path / root / "x.png").as_uri()).id
           for root in ("a", "b")]
    assert ids[0] != ids[1] and "absolute" not in ids  # root index and relative path
    assert speedups.relative_image_ids(original, cache={}, url_fetcher=Fetcher(), options={},
                                       url="data:image/png;base64,").id == "absolute"


def test_the_image_naming_patch_fails_loudly_on_another_weasyprint(monkeypatch, tmp_path):
    from weasyprint import document, images

    from bulletin.typeset import patches

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no marker of an earlier passed check
    def moved(cache, url_fetcher, options, url, forced_mime_type=None, context=None, orientation="from-image"):
        return None  # a WeasyPrint whose images are named some other way

    monkeypatch.setattr(images, "get_image_from_uri", moved)
    monkeypatch.setattr(document, "original_get_image_from_uri", moved)
    monkeypatch.setattr(patches, "_checked", False)
    monkeypatch.setattr(patches, "ORIGINAL", {})  # as in a fresh process: nothing installed yet
    with pytest.raises(patches.WeasyPrintChanged, match="images:get_image_from_uri changed"):
        patches.install("speed")
    assert document.original_get_image_from_uri is moved


def test_outputs_write_atomically_to_fsspec_stores(tmp_path, monkeypatch):
    pytest.importorskip("fsspec")
    url = f"file://{tmp_path}/shared"
    outputs.write_atomic(outputs.join(url, "a.pdf"), b"%PDF-1")
    assert (tmp_path / "shared" / "a.pdf").read_bytes() == b"%PDF-1" and outputs.exists(f"{url}/a.pdf")
    assert outputs.read(f"{url}/none.pdf") is None
    (tmp_path / "shared" / ".a.pdf.dead.tmp").write_bytes(b"half")  # a writer killed half-way
    (tmp_path / "shared" / ".b.pdf.dead.tmp").write_bytes(b"other")
    assert outputs.sweep(f"{url}/a.pdf") == 1 and (tmp_path / "shared" / ".b.pdf.dead.tmp").exists()

    outputs.write_atomic("memory://bucket/out/a.pdf", b"%PDF-2")  # an object store: one PUT
    assert outputs.read("memory://bucket/out/a.pdf") == b"%PDF-2"
    monkeypatch.setattr(outputs, "OBJECT_STORES", set())  # a remote filesystem: temporary name, then move
    outputs.write_atomic("memory://bucket/out/b.pdf", b"%PDF-3", tag="t1")
    import fsspec

    assert outputs.read("memory://bucket/out/b.pdf") == b"%PDF-3"
    assert not fsspec.filesystem("memory").glob("/bucket/out/.b.pdf.*")


def test_a_url_output_without_a_cluster_is_refused(series, tmp_path):
    issue = small_issue(series, "2024-01", 1)
    result = CliRunner().invoke(app, ["build", str(issue), "-o", f"file://{tmp_path}/shared"])
    assert result.exit_code == 2 and "--scheduler" in result.output
    assert not (tmp_path / "shared").exists()


def test_an_unreachable_scheduler_is_a_clear_error(series, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    issue = small_issue(series, "2024-01", 1)
    result = CliRunner().invoke(app, ["build", str(issue), "--scheduler", f"tcp://127.0.0.1:{port}", "--lang", "en"])
    assert result.exit_code == 2
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- a LocalCluster with two worker processes


@pytest.fixture(scope="module")
def client():
    cluster_ = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                        host="127.0.0.1")
    client_ = distributed.Client(cluster_, set_as_default=False)
    yield client_
    client_.close()
    cluster_.close()
    cluster.sweep_scratch()  # of the workers the tests killed


@pytest.fixture
def executor(client):
    return cluster.DaskExecutor(client, timeout=120)


def test_the_cluster_gives_the_same_bytes_as_the_local_pool(tmp_path, series, executor, sample_build):
    shutil.copytree(SAMPLE.parent, tmp_path / "issues" / "shanxi-tongxin")
    shutil.copytree(FIXTURES / "features", tmp_path / "issues" / "features")  # a picture, a table, 三号 grid
    folders = [tmp_path / "issues" / "shanxi-tongxin" / SAMPLE.name, tmp_path / "issues" / "features" / "2024-03",
               *(small_issue(series, f"2024-{n:02d}", n) for n in range(1, 4))]
    remote = build_many(folders, tmp_path / "dask", executor=executor)
    local = build_many(folders, tmp_path / "local", jobs=2)
    assert [o.status for o in remote] == ["built"] * 5
    for r, l in zip(remote, local):
        assert Path(r.output).name == Path(l.output).name and r.pages == l.pages
        assert Path(r.output).read_bytes() == Path(l.output).read_bytes(), r.output
        assert r.problems == l.problems  # the same warnings and notes, with the client's paths
    assert Path(remote[0].output).read_bytes() == sample_build.pdf
    manifest = json.loads((tmp_path / "dask" / MANIFEST).read_text(encoding="utf-8"))
    assert {e["sha256"] for e in manifest.values()} == {sha(o.output) for o in remote}
    assert not list((tmp_path / "dask").glob(".*.tmp"))


def test_a_broken_issue_is_isolated_with_its_file_and_line(tmp_path, series, executor):
    good = [small_issue(series, f"2024-{n:02d}", n) for n in range(1, 4)]
    broken = small_issue(series, "2024-04", 4, "开头没有标题。\n")
    no_picture = small_issue(series, "2024-05", 5, "## 标题\n\n正文。\n\n![图](images/none.png)\n")
    outcomes = build_many([*good, broken, no_picture], tmp_path / "out", executor=executor)
    assert [o.status for o in outcomes] == ["built"] * 3 + ["failed"] * 2
    problem = outcomes[3].problems[0]
    assert problem["file"] == str(broken / "issue.md") and problem["line"] == 6 and "标题之前" in problem["message"]
    assert outcomes[3].issue_dir == str(broken)
    assert outcomes[4].problems[0]["file"] == str(no_picture / "issue.md") and "找不到图片" in outcomes[4].problems[0]["message"]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == [f"demo-2024-{n}.pdf" for n in range(1, 4)]


def test_the_series_is_seen_whole_on_the_worker(tmp_path, series, executor):
    """The 期号 check reads the other issues of the series: a duplicate number fails there too."""
    first = small_issue(series, "2024-01", 1)
    twin = series / "2024-01b"
    shutil.copytree(first, twin)
    gap = small_issue(series, "2024-05", 5)
    outcomes = build_many([twin, gap], tmp_path / "out", executor=executor)
    assert outcomes[0].status == "failed" and "重复" in outcomes[0].problems[0]["message"]
    assert outcomes[1].status == "built" and any("不连续" in p["message"] for p in outcomes[1].problems)


def test_unchanged_issues_are_skipped_across_runs(tmp_path, series, executor):
    a, b = small_issue(series, "2024-01", 1), small_issue(series, "2024-02", 2)
    out = tmp_path / "out"
    assert [o.status for o in build_many([a, b], out, executor=executor)] == ["built", "built"]
    assert [o.status for o in build_many([a, b], out, executor=executor)] == ["skipped", "skipped"]
    assert [o.status for o in build_many([a, b], out, jobs=1)] == ["skipped", "skipped"]  # whichever executor
    nowhere = cluster.DaskExecutor("tcp://127.0.0.1:9")  # nothing to build: the cluster is not even asked
    assert [o.status for o in build_many([a, b], out, executor=nowhere)] == ["skipped", "skipped"]
    (b / "issue.md").write_text((b / "issue.md").read_text(encoding="utf-8").replace("正文。", "改过的正文。"),
                                encoding="utf-8")
    assert [o.status for o in build_many([a, b], out, executor=executor)] == ["skipped", "built"]


def test_workers_write_a_shared_output_url_and_the_manifest_keeps_the_hash(tmp_path, series, executor):
    issues = [small_issue(series, f"2024-{n:02d}", n) for n in range(1, 4)]
    url = f"file://{tmp_path}/shared"
    outcomes = build_many(issues, url, executor=executor)
    assert [o.output for o in outcomes] == [f"{url}/demo-2024-{n}.pdf" for n in range(1, 4)]
    local = build_many(issues, tmp_path / "local", jobs=1)
    manifest = json.loads((tmp_path / "shared" / MANIFEST).read_text(encoding="utf-8"))
    for o, l in zip(outcomes, local):
        written = tmp_path / "shared" / Path(l.output).name
        assert written.read_bytes() == Path(l.output).read_bytes()
        assert manifest[o.issue_dir]["sha256"] == sha(written) == o.sha256
    assert [o.status for o in build_many(issues, url, executor=executor)] == ["skipped"] * 3


def test_a_worker_killed_mid_batch_does_not_stop_the_batch(tmp_path, series, client, executor):
    issues = [small_issue(series, f"2024-{n:02d}", n, "## 标题\n\n" + "正文很长。" * 400 + "\n") for n in range(1, 9)]
    reference = build_many(issues, tmp_path / "local", jobs=1)
    before = client.run(os.getpid)
    killed = []

    def progress(outcome):
        if not killed:  # both workers are busy with the next issues now
            victim = sorted(before.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    outcomes = build_many(issues, tmp_path / "out", executor=executor, progress=progress)
    assert killed and [o.status for o in outcomes] == ["built"] * 8
    for o, r in zip(outcomes, reference):
        assert Path(o.output).read_bytes() == Path(r.output).read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [MANIFEST, *(Path(r.output).name for r in reference)])  # no duplicate, no temporary file left
    client.wait_for_workers(2, timeout=60)  # the nanny started a fresh worker
    assert killed[0] not in client.run(os.getpid).values()


def test_a_worker_that_dies_mid_task_has_its_issue_run_again_elsewhere(tmp_path, series, client, executor):
    """The workers are armed to die (SIGKILL) in the middle of one issue's task: Dask runs it again
    on another worker each time, until a fresh worker (started by its nanny) builds it."""
    issues = [small_issue(series, f"2024-{n:02d}", n) for n in range(1, 6)]
    reference = build_many(issues, tmp_path / "local", jobs=1)

    def arm():
        import os as os_
        import signal as signal_

        from bulletin.run import cluster as cluster_

        original = cluster_.build_one

        def dying(issue_dir, out_dir, *args):
            if issue_dir.endswith("2024-03"):
                os_.kill(os_.getpid(), signal_.SIGKILL)
            return original(issue_dir, out_dir, *args)

        dying.original = original
        cluster_.build_one = dying
        return os_.getpid()

    def disarm():
        from bulletin.run import cluster as cluster_

        cluster_.build_one = getattr(cluster_.build_one, "original", cluster_.build_one)

    armed = set(client.run(arm).values())
    try:
        outcomes = build_many(issues, tmp_path / "out", executor=executor)
    finally:
        client.run(disarm)
    assert [o.status for o in outcomes] == ["built"] * 5
    for o, r in zip(outcomes, reference):
        assert Path(o.output).read_bytes() == Path(r.output).read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([MANIFEST, *(Path(r.output).name for r in reference)])
    client.wait_for_workers(2, timeout=60)
    assert armed - set(client.run(os.getpid).values())  # it did die (and was replaced)


def test_an_issue_over_its_timeout_fails_and_its_worker_is_restarted(tmp_path, series, client):
    slow = small_issue(series, "2024-01", 1, "".join(f"## 标题{n}\n\n" + "很长的正文，排版需要好几秒。" * 200 + "\n\n"
                                                    for n in range(80)))  # 270 pages: more than 5 s (and under the 1 MB limit)
    quick = [small_issue(series, f"2024-{n:02d}", n) for n in range(2, 5)]
    before = set(client.run(os.getpid).values())
    outcomes = build_many([slow, *quick], tmp_path / "out", executor=cluster.DaskExecutor(client, timeout=2))
    assert [o.status for o in outcomes] == ["failed", "built", "built", "built"]
    assert "超过 2 秒" in outcomes[0].problems[0]["message"] and outcomes[0].problems[0]["file"] == str(slow)
    assert not (tmp_path / "out" / "demo-2024-1.pdf").exists()
    client.wait_for_workers(2, timeout=60)
    for _ in range(100):  # the restart is asynchronous to the batch's end
        if len(before - set(client.run(os.getpid).values())) == 1:
            break
        time.sleep(0.2)
    assert len(before - set(client.run(os.getpid).values())) == 1  # the stuck one was replaced


def test_numbered_copies_on_the_cluster_are_the_same_bytes(tmp_path, monkeypatch, executor):
    from bulletin import distribute as distribution

    monkeypatch.setattr(distribution, "STAMP_BATCH", 3)  # 8 copies in 3 batches
    issue = issue_with_registry(tmp_path, "number: 3\ndate: 2024-03-15\nprint_run: 8\n")
    local = distribution.distribute(issue, tmp_path / "local", imposed=True)
    seen = []
    remote = distribution.distribute(issue, tmp_path / "remote", imposed=True, executor=executor,
                                     progress=lambda done, total: seen.append((done, total)))
    assert len(seen) == 3 and seen[-1] == (8, 8)
    files = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*") if p.is_file())
    assert len(files) == 6 + 5 and files == sorted(p.relative_to(tmp_path / "remote")
                                                   for p in (tmp_path / "remote").rglob("*") if p.is_file())
    for rel in files:
        assert (tmp_path / "local" / rel).read_bytes() == (tmp_path / "remote" / rel).read_bytes(), rel
    assert [c.sha256 for c in local.copies] == [c.sha256 for c in remote.copies]


# ---------------------------------------------------------------- `dask scheduler` + `dask worker` commands


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    dask = Path(sys.executable).with_name("dask")
    return subprocess.Popen([str(dask), *args], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})}, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_separate_scheduler_and_worker_commands_build_the_sample_series(tmp_path, sample_build):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], tmp_path / "scheduler.log")]
    try:
        procs.append(_start(["worker", address, "--nworkers", "2", "--nthreads", "1", "--host", "127.0.0.1",
                             "--no-dashboard"], tmp_path / "workers.log"))
        shutil.copytree(SAMPLE.parent, tmp_path / "issues" / "shanxi-tongxin")
        run = CliRunner().invoke(app, ["build", str(tmp_path / "issues" / "shanxi-tongxin"), "-o", str(tmp_path / "out"),
                                       "--scheduler", address])
        assert run.exit_code == 0, run.output + (tmp_path / "workers.log").read_text(errors="replace")
        assert (tmp_path / "out" / f"{sample_build.stem}.pdf").read_bytes() == sample_build.pdf

        # a worker with other layouts (a designer's edit not installed everywhere) is refused
        home = tmp_path / "other-home"
        shutil.copytree(SAMPLE.parents[2] / "layouts", home / "layouts")
        shutil.copytree(SAMPLE.parents[2] / "fonts", home / "fonts")
        css = home / "layouts" / "jianbao" / "jianbao.css"
        css.write_text(css.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
        procs.append(_start(["worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
                             "--name", "stale"], tmp_path / "stale.log", {"BULLETIN_HOME": str(home)}))
        client = distributed.Client(address, set_as_default=False)
        try:
            client.wait_for_workers(3, timeout=60)
        finally:
            client.close()
        run = CliRunner().invoke(app, ["build", str(tmp_path / "issues" / "shanxi-tongxin"), "-o", str(tmp_path / "out"),
                                       "--scheduler", address, "--force", "--lang", "en"])
        assert run.exit_code == 2
        assert "refusing worker" in run.output and "layouts, fonts manifest, code" in run.output
        assert run.output.count("refusing worker") == 1  # only the stale one
    finally:
        for proc in reversed(procs):
            _stop(proc)
        cluster.sweep_scratch()
