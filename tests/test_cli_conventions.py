"""The command line as users know it from other tools: --version, python -m, completion, exit codes
(0 ok, 1 warnings under --strict or failed delivery, 2 content errors, 64 usage), --dry-run
writes nothing, new refuses a second issue, --format json, plain metavars, -q/-v."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bulletin import __version__
from bulletin.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SERIES = ROOT / "issues" / "shanxi-tongxin"


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "bulletin", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_version_and_python_m():
    for flag in ("--version", "-V"):
        proc = run(flag)
        assert proc.returncode == 0 and proc.stdout.startswith(f"bulletin {__version__} (WeasyPrint 70."), proc.stderr


def test_usage_errors_exit_64_content_errors_2(tmp_path):
    assert run("build", "--no-such-option").returncode == 64
    assert run("frobnicate").returncode == 64
    assert run("build", str(tmp_path), "--format", "docx").returncode == 64
    assert run("new", str(SAMPLE_SERIES), "--date", "2021-02-30").returncode == 64
    broken = tmp_path / "s" / "2024-01"
    broken.mkdir(parents=True)
    (broken.parent / "series.yaml").write_text("id: s\nname: 演示\npublisher: 协会\n", encoding="utf-8")
    (broken / "issue.md").write_text("---\nnumber: 0\ndate: 2024-01-15\n---\n\n## 标题\n\n正文。\n", encoding="utf-8")
    assert run("check", str(broken)).returncode == 2
    assert run("build", str(broken), "-o", str(tmp_path / "o")).returncode == 2


def test_help_shows_plain_metavars():
    for command in ("build", "check", "new", "distribute", "import", "preview", "serve", "schema"):
        text = run(command, "--help", env={"COLUMNS": "200"}).stdout
        assert "<bool>" not in text and "<list" not in text and "<Path>" not in text and "{" not in text, (command, text)
    build = run("build", "--help", env={"COLUMNS": "200"}).stdout
    assert "Usage: bulletin build [OPTIONS] DIR..." in build and "-j, --jobs N" in build.replace("  ", " ") or " N " in build
    assert ".docx" in run("import", "--help", env={"COLUMNS": "200"}).stdout


def test_completion_scripts_for_bash_zsh_fish():
    for shell, marker in (("bash", "complete -o default -F _bulletin_completion bulletin"), ("zsh", "compdef _bulletin_completion bulletin"),
                          ("fish", "complete --command bulletin")):
        # typer's own switch to name the shell instead of detecting the one it runs in
        proc = run("--show-completion", shell, env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
        assert proc.returncode == 0 and marker in proc.stdout, (shell, proc.stdout, proc.stderr)
    # what the bash script asks the program: the commands that start with “bu”
    proc = subprocess.run([sys.executable, "-m", "bulletin"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "_BULLETIN_COMPLETE": "complete_bash", "COMP_WORDS": "bulletin bu",
                               "COMP_CWORD": "1"})
    assert "build" in proc.stdout.split(), proc.stdout + proc.stderr
    # … what the zsh and fish scripts ask: options of build that start with “--dr”
    for shell, extra in (("zsh", {}), ("fish", {"_TYPER_COMPLETE_FISH_ACTION": "get-args"})):
        proc = subprocess.run([sys.executable, "-m", "bulletin"], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "_BULLETIN_COMPLETE": f"complete_{shell}",
                                   "_TYPER_COMPLETE_ARGS": "bulletin build --dr", **extra})
        assert "--drafts" in proc.stdout and "--force" not in proc.stdout, (shell, proc.stdout, proc.stderr)


def test_distribute_dry_run_writes_nothing(tmp_path):
    series = tmp_path / "shanxi-tongxin"
    shutil.copytree(SAMPLE_SERIES, series)
    before = sorted((p.relative_to(tmp_path), p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(app, ["distribute", str(series / "2021-07"), "-o", str(tmp_path / "dist"),
                                      "--send", "--dry-run", "--format", "pdf,json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dry_run"] is True and report["copies"] and report["files"]["print-run"].endswith("-print-run.pdf")
    after = sorted((p.relative_to(tmp_path), p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*"))
    assert after == before  # no distribution folder, no send log, nothing touched


def test_new_json_and_refusing_a_second_issue(tmp_path):
    series = tmp_path / "shanxi-tongxin"
    shutil.copytree(SAMPLE_SERIES, series)
    made = CliRunner().invoke(app, ["new", str(series), "--date", "2021-08-30", "--format", "json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout) == {"issue": str(series / "2021-08"), "file": str(series / "2021-08" / "issue.md"),
                                       "number": 8, "date": "2021-08-30", "supplement": False}
    twice = CliRunner().invoke(app, ["new", str(series), "--date", "2021-08-30", "--format", "json"])
    assert twice.exit_code == 2 and "已经有 2021-08-30" in json.loads(twice.stdout)["problems"][0]["message"]
    assert not (series / "2021-09").exists()


def test_build_json_and_quiet(tmp_path):
    issue = SAMPLE_SERIES / "2021-07"
    proc = run("build", str(issue), "-o", str(tmp_path / "o"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["built"] == 1 and report["issues"][0]["status"] == "built" and report["issues"][0]["pages"] > 1
    quiet = run("-q", "build", str(issue), "-o", str(tmp_path / "o"))
    assert quiet.returncode == 0 and quiet.stdout == ""  # skipped (unchanged), and nothing said
    loud = run("-v", "build", str(issue), "-o", str(tmp_path / "o"))
    assert loud.returncode == 0 and "layouts:" in loud.stderr and "跳过" in loud.stdout


def test_the_click_command_is_made_once_per_process():
    from bulletin import cli

    assert cli.command() is cli.command()
    assert "build" in cli.command().commands
