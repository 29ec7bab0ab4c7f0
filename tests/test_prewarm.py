"""prewarm.py: `bulletin build ISSUE` typesets in a forked child that loaded WeasyPrint and the fonts
while the parent loaded the issue. The bytes must not depend on it, and a failing child must not
fail the build."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import SAMPLE

BIN = Path(sys.executable).parent / "bulletin"


def build(out: Path, **env) -> bytes:
    result = subprocess.run([str(BIN), "build", str(SAMPLE), "-o", str(out), "--force"], capture_output=True,
                            text=True, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    return (out / "shanxi-tongxin-2021-7.pdf").read_bytes()


def test_same_bytes_with_and_without_the_forked_child(tmp_path):
    assert build(tmp_path / "a") == build(tmp_path / "b", BULLETIN_NO_PREWARM="1")


def test_a_child_that_dies_falls_back_to_typesetting_in_the_parent(tmp_path):
    script = f"""
import os, sys
import bulletin.run.prewarm as prewarm
prewarm._child = lambda jobs, results: os._exit(1)  # dies before doing anything
sys.argv = ["bulletin", "build", {str(SAMPLE)!r}, "-o", {str(tmp_path / "c")!r}, "--force"]
from bulletin.launch import main
main()
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "c" / "shanxi-tongxin-2021-7.pdf").read_bytes() == build(tmp_path / "d", BULLETIN_NO_PREWARM="1")


def test_the_child_is_reaped_when_the_issue_fails_before_typesetting(tmp_path):
    issue = tmp_path / "s" / "2024-01"
    issue.mkdir(parents=True)
    (tmp_path / "s" / "series.yaml").write_text("name: 测试\npublisher: 协会\n", encoding="utf-8")
    (issue / "issue.md").write_text("---\nnumber: x\ndate: 2024-01-01\n---\n\n## 题\n\n正文。\n", encoding="utf-8")
    result = subprocess.run([str(BIN), "build", str(issue), "-o", str(tmp_path / "o")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "期号" in result.stderr
    assert not (tmp_path / "o").exists()


def test_no_font_copies_are_left_in_the_temporary_folder(tmp_path):
    """WeasyPrint copies the fonts (~60 MB) into a temporary folder; processes that end with
    os._exit (the child, the fast exit) must still remove it."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    build(tmp_path / "a", TMPDIR=str(temp))
    build(tmp_path / "b", TMPDIR=str(temp), BULLETIN_NO_PREWARM="1")
    series = tmp_path / "series"
    shutil.copytree(SAMPLE.parent, series)
    shutil.copytree(SAMPLE, series / "2021-08")
    second = series / "2021-08" / "issue.md"
    second.write_text(second.read_text(encoding="utf-8").replace("number: 7 ", "number: 8 ", 1), encoding="utf-8")
    result = subprocess.run([str(BIN), "build", str(series), "-o", str(tmp_path / "c"), "-j", "2", "--force"],
                            capture_output=True, text=True, env={**os.environ, "TMPDIR": str(temp)})
    assert result.returncode == 0, result.stderr
    assert not list(temp.glob("weasyprint-*")) and not list(temp.glob("bulletin-*"))


def test_the_parent_leaves_weasyprint_to_the_child(tmp_path):
    """With the child typesetting, the parent never imports WeasyPrint (nor bulletin.typeset, whose
    package imports it): that import is the child's half of the work, done twice it cost ~0.45 s of
    CPU and the parent's wall time after the PDF was written."""
    seen = tmp_path / "modules.txt"
    script = f"""
import os, sys
parent = os.getpid()
real_exit = os._exit
def exit_(code):
    if os.getpid() == parent:
        with open({str(seen)!r}, "w") as f:
            f.write("\\n".join(sorted(sys.modules)))
    real_exit(code)
os._exit = exit_
os.environ["BULLETIN_NO_DAEMON"] = "1"
sys.argv = ["bulletin", "build", {str(SAMPLE)!r}, "-o", {str(tmp_path / "o")!r}, "--force"]
from bulletin.launch import main
main()
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    modules = set(seen.read_text().split())
    assert "bulletin.api" in modules  # the parent loaded and composed the issue
    assert "weasyprint" not in modules and "bulletin.typeset" not in modules
    assert (tmp_path / "o" / "shanxi-tongxin-2021-7.pdf").read_bytes() == build(tmp_path / "d", BULLETIN_NO_PREWARM="1")
