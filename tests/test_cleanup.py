"""Clean up after faults: temporary folders and files of killed processes do not pile up
(issue 13, item 13)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bulletin import scratch
from bulletin.output.write import write_atomic

from .conftest import SAMPLE

BIN = Path(sys.executable).parent / "bulletin"


def leftovers(temp: Path) -> list[str]:
    return sorted(p.name for p in temp.iterdir())


def wait_for_font_copies(temp: Path, timeout: float = 60) -> None:
    """Until the process has copied a font (a file over 1 MB) somewhere below `temp`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if any(p.is_file() and p.stat().st_size > 10**6 for p in temp.rglob("*")):
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("no font copies appeared")


def test_killed_builds_leave_folders_that_the_next_build_removes(tmp_path):
    """WeasyPrint copies the fonts (~58 MB) into a temporary folder; SIGKILL skips every clean-up."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    for _ in range(2):
        proc = subprocess.Popen([str(BIN), "build", str(SAMPLE), "-o", str(tmp_path / "out"), "--force"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_font_copies(temp)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert leftovers(temp)  # what the killed processes left
    result = subprocess.run([str(BIN), "build", str(SAMPLE), "-o", str(tmp_path / "out"), "--force"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert leftovers(temp) == []


def test_a_terminated_build_removes_its_own_folder(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "BULLETIN_NO_PREWARM": "1"}
    proc = subprocess.Popen([str(BIN), "build", str(SAMPLE), "-o", str(tmp_path / "out"), "--force"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_font_copies(temp)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) in (0, 143)
    assert leftovers(temp) == []


def test_sweep_removes_only_folders_of_processes_that_are_gone(tmp_path):
    dead = tmp_path / "bulletin-999999-12345"
    alive = tmp_path / f"bulletin-{scratch.process_tag()}"
    foreign = tmp_path / "bulletin-notes"
    for folder in (dead, alive, foreign):
        (folder / "weasyprint-x").mkdir(parents=True)
    assert scratch.sweep(tmp_path) == [dead]
    assert alive.is_dir() and foreign.is_dir()


def test_a_write_killed_midway_leaves_a_temporary_file_that_the_next_write_removes(tmp_path):
    target = tmp_path / "out.pdf"
    dead = tmp_path / ".out.pdf.999999-12345.k3j4.tmp"  # a writer killed before its rename
    old = tmp_path / ".out.pdf.x8y9z0.tmp"  # an older version's, untagged
    mine = tmp_path / f".out.pdf.{scratch.process_tag()}.q1w2.tmp"  # a live writer's
    other = tmp_path / ".other.pdf.999999-12345.a1.tmp"  # another file's: not this write's business
    for path in (dead, old, mine, other):
        path.write_bytes(b"half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    write_atomic(target, b"whole")
    assert target.read_bytes() == b"whole"
    assert not dead.exists() and not old.exists() and mine.exists() and other.exists()
