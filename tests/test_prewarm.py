"""prewarm.py: `bulletin build ISSUE` typesets in a forked child that loaded WeasyPrint and the fonts
while the parent loaded the issue. The bytes must not depend on it, and a failing child must not
fail the build."""
from __future__ import annotations

import os
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
import bulletin.prewarm as prewarm
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
