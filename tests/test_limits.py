"""Small inputs that used to take minutes and gigabytes (issue 13, item 11) are refused before the
work, within a few seconds and under a memory ceiling, with a located message."""
from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_import_safety import docx_bomb

BIN = Path(sys.executable).with_name("bulletin")
SERIES = "name: 测试简报\npublisher: 测试协会\n"
ALIAS_BOMB = ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
              "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
              "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
              "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n")
MEMORY = 2 * 10**9  # address space; WeasyPrint and Pango alone reserve several hundred MB


def issue_folder(root: Path, front: str = "number: 1\ndate: 2024-01-15\n", body: str = "## 标题\n\n正文。\n") -> Path:
    folder = root / "s" / "2024-01"
    folder.mkdir(parents=True)
    (root / "s" / "series.yaml").write_text(SERIES, encoding="utf-8")
    with open(folder / "issue.md", "w", encoding="utf-8") as fh:
        fh.write(f"---\n{front}---\n\n")
        fh.write(body)
    return folder


def bounded(*args: str) -> tuple[int, str, float]:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    started = time.perf_counter()
    result = subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120, preexec_fn=limit)
    return result.returncode, result.stdout + result.stderr, time.perf_counter() - started


def big_issue(root: Path) -> Path:
    folder = issue_folder(root)
    with open(folder / "issue.md", "a", encoding="utf-8") as fh:
        paragraph = "这是一段用来把文件撑大的正文，" * 30 + "\n\n"
        for _ in range(50 * 10**6 // len(paragraph.encode())):
            fh.write(paragraph)
    return folder


CASES = {
    "alias-bomb": (lambda root: issue_folder(root, "number: 1\ndate: 2024-01-15\n" + ALIAS_BOMB), "check",
                   "不支持 YAML 别名（*a）"),
    "title-5000": (lambda root: issue_folder(root, body="## " + "很长的标题" * 1000 + "\n\n正文。\n"), "check",
                   "最多 200 个字"),
    "print-run-million": (lambda root: issue_folder(root, "number: 1\ndate: 2024-01-15\nprint_run: 1000000\n"
                                                          "distribution:\n  报: [甲单位]\n"), "distribute",
                          "应不大于 10000"),
    "issue-md-50-mb": (big_issue, "check", "文件太大（50.0 MB），上限是 1.0 MB"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_resource_bombs_are_refused_quickly_and_in_bounded_memory(tmp_path, case):
    make, command, words = CASES[case]
    folder = make(tmp_path)
    code, output, seconds = bounded(command, str(folder), *(["-o", str(tmp_path / "out")] if command != "check" else []))
    assert code == 2 and words in output, output
    assert "内部错误" not in output and "Traceback" not in output and "MemoryError" not in output
    assert seconds < 30, seconds


def test_a_word_bomb_is_refused_quickly_and_in_bounded_memory(tmp_path):
    bomb = tmp_path / "稿件.docx"
    docx_bomb(bomb, 150 * 10**6)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "series.yaml").write_text(SERIES, encoding="utf-8")
    code, output, seconds = bounded("import", str(bomb), "--into", str(tmp_path / "s" / "2024-01"))
    assert code == 2 and "Word 文件解压后太大" in output and seconds < 30, output


ADVERSARIAL = {  # ~300 KB bodies that made a pattern go back over the rest of the text from every start
    "unclosed-comments": "<!--x" * 60000,
    "link-targets-never-closed": "](a" * 100000,
    "image-markup-never-closed": "![" * 150000,
    "dashes-everywhere": "汉--" * 60000,
    "commas-everywhere": "汉," * 100000,
}


@pytest.mark.parametrize("case", list(ADVERSARIAL))
def test_adversarial_text_is_checked_and_fixed_in_linear_time(tmp_path, case):
    from bulletin.api import check, fix

    folder = issue_folder(tmp_path, body="## 标题\n\n" + ADVERSARIAL[case] + "\n")
    started = time.perf_counter()
    result = check(folder)
    fix(folder)
    assert time.perf_counter() - started < 15
    assert len(result.problems) <= 302  # the first 300 typography findings and a summary, not thousands


def test_an_alias_bomb_in_series_yaml_is_refused_before_a_batch_hashes_its_inputs(tmp_path):
    """A batch reads series.yaml for the font files it names (change detection) before it loads
    any issue: that read too goes through the bounded YAML reader (it expanded the bomb: 1.9 GB)."""
    folder = issue_folder(tmp_path)
    (tmp_path / "s" / "series.yaml").write_text(SERIES + ALIAS_BOMB + "fonts: {仿宋: *h}\n", encoding="utf-8")
    code, output, seconds = bounded("build", str(tmp_path / "s"), "-o", str(tmp_path / "out"))
    assert code == 2 and "不支持 YAML 别名" in output, output
    assert "内部错误" not in output and "Traceback" not in output and "MemoryError" not in output
    assert seconds < 30 and folder.is_dir(), seconds
    peak = subprocess.run([sys.executable, "-c", (  # VmHWM: this process's peak (ru_maxrss would include ours)
        "import re, sys; from pathlib import Path; from bulletin.style.fonts import series_font_files; "
        "assert series_font_files(Path(sys.argv[1])) == []; "
        "print(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1))"),
        str(tmp_path / "s")], capture_output=True, text=True, timeout=120)
    assert peak.returncode == 0 and int(peak.stdout) < 400_000, peak  # KB: the imports take ~20 MB


def test_copies_of_the_registry_over_the_print_run_limit_are_refused_before_the_work(tmp_path):
    """Without print_run the copies the bodies receive make the run: the same limit holds."""
    folder = issue_folder(tmp_path)
    bodies = "".join(f"  - {{id: b{n}, name: 单位{n}, category: 送, copies: 999}}\n" for n in range(12))
    (tmp_path / "s" / "recipients.yaml").write_text("recipients:\n" + bodies, encoding="utf-8")
    code, output, seconds = bounded("distribute", str(folder), "-o", str(tmp_path / "out"))
    assert code == 2 and "合计 11988 份，超过上限 10000 份" in output and "recipients.yaml" in output, output
    assert seconds < 30 and not (tmp_path / "out").exists(), seconds
