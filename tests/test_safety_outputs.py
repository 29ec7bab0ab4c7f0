"""No output overwritten without intent, and a batch that survives its workers dying (issue 13)."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path

import pdfplumber
import pytest
from typer.testing import CliRunner

from bulletin.batch import MANIFEST, build_many, build_one
from bulletin.cli import app


def series_with_issue(root: Path, folder: str, series_id: str, name: str, number: int = 1) -> Path:
    series = root / folder
    issue = series / f"2024-{number:02d}"
    issue.mkdir(parents=True)
    (series / "series.yaml").write_text(f"id: {series_id}\nname: {name}\npublisher: 协会\n", encoding="utf-8")
    (issue / "issue.md").write_text(f"---\nnumber: {number}\ndate: 2024-01-15\n---\n\n## {name}的文章\n\n{name}的正文。\n",
                                    encoding="utf-8")
    return issue


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "".join(page.extract_text() or "" for page in pdf.pages)


def cli(*args: str):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


# ---------------------------------------------------------------- item 1: one output name, one source


def test_two_series_with_the_same_id_are_both_refused_naming_each_other(tmp_path):
    a = series_with_issue(tmp_path / "issues", "jia", "same", "甲刊")
    b = series_with_issue(tmp_path / "issues", "yi", "same", "乙刊")
    out = tmp_path / "out"
    code, output = cli("build", str(a), str(b), "-o", str(out))
    assert code == 2, output
    assert not (out / "same-2024-1.pdf").exists()
    assert f"{a}/issue.md" in output and f"{b}/issue.md" in output
    assert output.count("要写同一个文件 same-2024-1.pdf") == 2 and "series.yaml 的 id" in output
    assert "Traceback" not in output and "内部错误" not in output
    # the whole issues/ folder: the same refusal (no first-come winner)
    code, output = cli("build", str(tmp_path / "issues"), "-o", str(out), "--lang", "en")
    assert code == 2 and "would write the same file same-2024-1.pdf" in output


def test_a_later_build_does_not_overwrite_another_folders_pdf_without_force(tmp_path):
    a = series_with_issue(tmp_path / "issues", "jia", "same", "甲刊")
    b = series_with_issue(tmp_path / "issues", "yi", "same", "乙刊")
    out = tmp_path / "out"
    assert cli("build", str(a), "-o", str(out))[0] == 0
    code, output = cli("build", str(b), "-o", str(out))
    assert code == 2 and f"是 {a.resolve()} 排出的，不覆盖" in output, output
    assert "甲刊的正文" in pdf_text(out / "same-2024-1.pdf")
    assert cli("build", str(b), "-o", str(out), "--force")[0] == 0  # intent: overwrite
    assert "乙刊的正文" in pdf_text(out / "same-2024-1.pdf")
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert list(manifest) == [str(b.resolve())]  # one owner per file
    code, output = cli("build", str(a), "-o", str(out))  # and now 甲 is the one refused
    assert code == 2 and "不覆盖" in output


def test_a_pdf_changed_behind_the_manifests_back_is_rebuilt_not_skipped(tmp_path):
    a = series_with_issue(tmp_path / "issues", "jia", "jia", "甲刊")
    out = tmp_path / "out"
    assert [o.status for o in build_many([a], out)] == ["built"]
    assert [o.status for o in build_many([a], out)] == ["skipped"]
    (out / "jia-2024-1.pdf").write_bytes(b"%PDF-1.7 something else")
    assert [o.status for o in build_many([a], out)] == ["built"]
    assert "甲刊的正文" in pdf_text(out / "jia-2024-1.pdf")


def test_the_manifest_works_from_any_working_directory(tmp_path, monkeypatch):
    a = series_with_issue(tmp_path / "issues", "jia", "jia", "甲刊")
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    assert [o.status for o in build_many([Path("issues/jia/2024-01")], Path("out"))] == ["built"]
    monkeypatch.chdir(tmp_path / "issues")
    assert [o.status for o in build_many([Path("jia/2024-01")], out)] == ["skipped"]
    assert [o.status for o in build_many([a, Path("jia/2024-01")], out)] == ["skipped", "skipped"]


@pytest.mark.parametrize("setup, words", [
    (lambda out: out.write_text("x"), "输出位置是一个文件，不是文件夹"),
    (lambda out: (out.parent / "f").write_text("x"), "路径中有一项是文件而不是文件夹"),
    (lambda out: (out / MANIFEST).mkdir(parents=True), "却是一个文件夹"),
], ids=["out-is-a-file", "out-below-a-file", "manifest-is-a-folder"])
def test_an_unusable_output_folder_is_a_located_error_before_any_work(tmp_path, setup, words):
    a = series_with_issue(tmp_path / "issues", "jia", "jia", "甲刊")
    out = tmp_path / "out"
    setup(out)
    target = out if words != "路径中有一项是文件而不是文件夹" else tmp_path / "f" / "sub"
    code, output = cli("build", str(a), "-o", str(target))
    assert code == 2 and words in output and "内部错误" not in output, output


# ---------------------------------------------------------------- item 13: a dead worker costs only its issue


def dying_task(issue_dir: str, out_dir: str, *rest):
    """Runs in a worker: dies (as if killed for memory) on issues named *-crash, and once on
    issues named *-flaky; builds the rest."""
    name = Path(issue_dir).name
    if name.endswith("-crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    if name.endswith("-flaky"):
        marker = Path(out_dir).parent / f"{name}.died"
        if not marker.exists():
            marker.write_text("once")
            os.kill(os.getpid(), signal.SIGKILL)
    return build_one(issue_dir, out_dir, *rest)


def six_issues(root: Path, names: list[str]) -> list[Path]:
    series = root / "demo"
    series.mkdir(parents=True)
    (series / "series.yaml").write_text("name: 演示\npublisher: 协会\n", encoding="utf-8")
    folders = []
    for n, name in enumerate(names, 1):
        folder = series / name
        folder.mkdir()
        (folder / "issue.md").write_text(f"---\nnumber: {n}\ndate: 2024-{n:02d}-15\n---\n\n## 第{n}期\n\n正文。\n",
                                         encoding="utf-8")
        folders.append(folder)
    return folders


def test_a_worker_that_dies_costs_only_its_own_issue_which_is_retried_once(tmp_path):
    folders = six_issues(tmp_path / "issues", ["a", "b-crash", "c", "d-flaky", "e", "f"])
    outcomes = build_many(folders, tmp_path / "out", jobs=2, task=dying_task)
    assert [o.status for o in outcomes] == ["built", "failed", "built", "built", "built", "built"]
    problem = outcomes[1].problem_objects()[0]
    assert "SIGKILL" in problem.message and "重试一次后仍未完成" in problem.message and "单独排这一期" in problem.hint
    assert (tmp_path / "d-flaky.died").exists()  # it did die once, and was built on the retry
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 5


def test_killing_a_worker_mid_batch_loses_nothing(tmp_path):
    """The real thing: SIGKILL one of the pool's processes while the batch runs."""
    folders = six_issues(tmp_path / "issues", [f"2024-{n:02d}" for n in range(1, 7)])
    killed = []

    def progress(outcome):
        if not killed:
            children = multiprocessing.active_children()
            if children:
                os.kill(children[0].pid, signal.SIGKILL)
                killed.append(children[0].pid)

    outcomes = build_many(folders, tmp_path / "out", jobs=2, progress=progress)
    assert killed and [o.status for o in outcomes] == ["built"] * 6
