"""`bulletin daemon`: builds through the warm service give what builds without it give."""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from .conftest import SAMPLE

BIN = Path(sys.executable).parent / "bulletin"


@pytest.fixture
def env(tmp_path):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    environment = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "BULLETIN_NO_PREWARM": "1"}
    environment.pop("BULLETIN_NO_DAEMON", None)
    yield environment
    subprocess.run([str(BIN), "daemon", "stop"], env=environment, capture_output=True, timeout=60)


def cli(env, *args, cwd=None):
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=300, cwd=cwd)


def test_build_through_the_daemon_is_the_same(env, tmp_path):
    issues = tmp_path / "issues"
    shutil.copytree(SAMPLE.parent, issues / SAMPLE.parent.name)
    issue = issues / SAMPLE.parent.name / SAMPLE.name
    without = cli({**env, "BULLETIN_NO_DAEMON": "1"}, "build", str(issue), "-o", str(tmp_path / "plain"))
    assert without.returncode == 0, without.stderr
    assert cli(env, "daemon", "status").returncode == 1  # none runs yet
    started = cli(env, "daemon", "start")
    assert started.returncode == 0 and "常驻服务运行中" in started.stdout, started.stderr
    folder = Path(env["XDG_RUNTIME_DIR"]) / "bulletin"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "daemon.sock").stat().st_mode) == 0o600
    # relative paths: the build runs in the caller's folder
    through = cli(env, "build", f"{SAMPLE.parent.name}/{SAMPLE.name}", "-o", str(tmp_path / "warm"), cwd=issues)
    assert through.returncode == 0, through.stderr
    name = "shanxi-tongxin-2021-7.pdf"
    assert through.stdout.replace(str(tmp_path / "warm"), "X").split("（")[0] == \
        without.stdout.replace(str(tmp_path / "plain"), "X").split("（")[0]
    plain, warm = (tmp_path / "plain" / name).read_bytes(), (tmp_path / "warm" / name).read_bytes()
    assert hashlib.sha256(plain).digest() == hashlib.sha256(warm).digest()
    assert len(pypdf.PdfReader(tmp_path / "warm" / name).pages) == 12
    again = cli(env, "build", str(issue), "-o", str(tmp_path / "warm2"), "--force")  # after it absorbed the issue
    assert again.returncode == 0 and (tmp_path / "warm2" / name).read_bytes() == plain
    # the client side imports only what the interpreter has built in (it runs before every build)
    code = ("import sys\nfrom bulletin.run import client\n"
            f"code = client.run_build(['build', {str(issue)!r}, '-o', {str(tmp_path / 'warm3')!r}, '--force'])\n"
            "heavy = [m for m in ('json', 'socket', 'hashlib', 'tempfile', 'pathlib', 'signal') if m in sys.modules]\n"
            "print(code, heavy, file=sys.stderr)\n")
    light = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert light.stderr.strip().splitlines()[-1] == "0 []", light.stderr
    assert (tmp_path / "warm3" / name).read_bytes() == plain
    status = cli(env, "daemon", "status")
    assert status.returncode == 0 and "排版 3 次" in status.stdout


def test_a_failing_build_fails_the_same_way(env, tmp_path, make_issue):
    broken = make_issue("正文。\n", front="number: 1\ndate: 2024-13-45\n")
    without = cli({**env, "BULLETIN_NO_DAEMON": "1"}, "build", str(broken), "-o", str(tmp_path / "a"), "--lang", "en")
    assert cli(env, "daemon", "start").returncode == 0
    through = cli(env, "build", str(broken), "-o", str(tmp_path / "a"), "--lang", "en")
    assert without.returncode == through.returncode == 2
    assert through.stderr == without.stderr and "Traceback" not in through.stderr
    assert "no PDF written" in through.stderr and "issue.md:" in through.stderr
    assert not (tmp_path / "a").exists() or not list((tmp_path / "a").glob("*.pdf"))


def test_without_a_daemon_or_with_an_unsafe_folder_builds_as_before(env, tmp_path):
    from bulletin.run import daemon

    folder = Path(env["XDG_RUNTIME_DIR"]) / "bulletin"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)  # others may enter: refused, never used
    started = cli(env, "daemon", "start")
    assert started.returncode == 2 and "不安全" in started.stderr
    built = cli(env, "build", str(SAMPLE), "-o", str(tmp_path / "o"))
    assert built.returncode == 0 and (tmp_path / "o" / "shanxi-tongxin-2021-7.pdf").is_file()
    old = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = env["XDG_RUNTIME_DIR"]
    try:
        with pytest.raises(daemon.Unsafe):
            daemon._own_dir(create=False)
        assert daemon.run_build(["build", str(SAMPLE)]) is None  # the client falls back
    finally:
        if old is None:
            del os.environ["XDG_RUNTIME_DIR"]
        else:
            os.environ["XDG_RUNTIME_DIR"] = old


def test_one_issue_is_found_on_the_command_line(tmp_path):
    from bulletin.run.daemon import one_issue

    cwd = str(SAMPLE.parents[1])
    assert one_issue(["build", "shanxi-tongxin/2021-07", "-o", "out"], cwd) == SAMPLE
    assert one_issue(["build", "-o", "shanxi-tongxin/2021-07", "shanxi-tongxin"], cwd) is None  # a series
    assert one_issue(["build", "a", "b"], cwd) is None


def test_a_companion_daemon_ends_with_the_command_that_started_it(env, tmp_path):
    """`serve` / `preview --watch` start a daemon for their time; killed outright, it still ends."""
    import signal
    import time

    code = ("import os, sys, time; from bulletin.run.daemon import companion\n"
            "with companion():\n    print('in', flush=True); time.sleep(600)\n")
    starter = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert starter.stdout.readline().strip() == "in"
        deadline = time.monotonic() + 120
        while cli(env, "daemon", "status").returncode != 0:
            assert time.monotonic() < deadline, "the companion daemon did not start"
            time.sleep(0.5)
        built = cli(env, "build", str(SAMPLE), "-o", str(tmp_path / "o"))
        assert built.returncode == 0
        assert "排版 1 次" in cli(env, "daemon", "status").stdout
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait()
    deadline = time.monotonic() + 30
    while cli(env, "daemon", "status").returncode == 0:
        assert time.monotonic() < deadline, "the daemon outlived its starter"
        time.sleep(0.5)
    assert not (Path(env["XDG_RUNTIME_DIR"]) / "bulletin" / "daemon.sock").exists()


def test_an_issue_is_absorbed_again_only_when_its_files_changed(tmp_path, monkeypatch, make_issue):
    """After a build the daemon renders the issue itself (its loop forks nothing meanwhile): once
    per state of the issue's files, not after every build, which kept the next build waiting."""
    from bulletin import api
    from bulletin.run import daemon

    issue = make_issue("正文。\n")
    rendered = []
    monkeypatch.setattr(api, "render", lambda folder: rendered.append(Path(folder)))
    monkeypatch.setattr(daemon, "_absorbed", {})
    argv = ["build", str(issue), "-o", str(tmp_path / "out"), "--force"]
    daemon._absorb(argv, str(tmp_path))
    daemon._absorb(argv, str(tmp_path))
    assert len(rendered) == 1
    text = (issue / "issue.md").read_text(encoding="utf-8")
    (issue / "issue.md").write_text(text + "\n又一段。\n", encoding="utf-8")
    daemon._absorb(argv, str(tmp_path))
    assert len(rendered) == 2
    (issue.parent / "series.yaml").write_text((issue.parent / "series.yaml").read_text(encoding="utf-8") + "\n",
                                                encoding="utf-8")
    daemon._absorb(argv, str(tmp_path))
    daemon._absorb(["build", str(tmp_path / "nothing-here")], str(tmp_path))  # not an issue: nothing
    assert len(rendered) == 3


def _status(env) -> dict:
    code = "import json; from bulletin.run import daemon; print(json.dumps(daemon.ask('status')))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    import json

    return json.loads(done.stdout)


def _wait_for_spare(env, timeout: float = 60) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while True:
        status = _status(env)
        if status and status.get("spare") == "ready":
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def test_the_next_build_runs_in_a_child_prepared_ahead(env, tmp_path):
    """After a build the daemon forks the next build's child and lets it render the last issue
    (nothing written) before anyone waits: that child then runs the next build — same bytes —
    and another is prepared; stopping the daemon ends the spare too."""
    assert cli(env, "daemon", "start").returncode == 0
    first = cli(env, "build", str(SAMPLE), "-o", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    spare = _wait_for_spare(env)["spare_pid"]
    os.kill(spare, 0)  # it runs
    second = cli(env, "build", str(SAMPLE), "-o", str(tmp_path / "b"), "--force")
    assert second.returncode == 0, second.stderr
    name = "shanxi-tongxin-2021-7.pdf"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert second.stdout.replace(str(tmp_path / "b"), "X").split("（")[0] == \
        first.stdout.replace(str(tmp_path / "a"), "X").split("（")[0]
    _wait_for_end(spare, "the spare did not end after its build")  # it ran the build; the daemon reaped it
    status = _wait_for_spare(env)
    assert status["builds"] == 2 and status["spare_pid"] != spare
    newer = status["spare_pid"]
    assert cli(env, "daemon", "stop").returncode == 0
    _wait_for_end(newer, "the spare outlived the daemon")


def _wait_for_end(pid: int, why: str, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, why
        time.sleep(0.1)


def test_a_spare_that_died_is_replaced_and_the_build_still_runs(env, tmp_path):
    import signal
    import time

    assert cli(env, "daemon", "start").returncode == 0
    assert cli(env, "build", str(SAMPLE), "-o", str(tmp_path / "a")).returncode == 0
    spare = _wait_for_spare(env)["spare_pid"]
    os.kill(spare, signal.SIGKILL)
    time.sleep(0.5)
    built = cli(env, "build", str(SAMPLE), "-o", str(tmp_path / "b"), "--force")
    assert built.returncode == 0, built.stderr
    name = "shanxi-tongxin-2021-7.pdf"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert _wait_for_spare(env)["spare_pid"] not in (None, spare)
