"""Building many issues: pool, failure isolation, skipping unchanged work."""
from __future__ import annotations

import shutil
from pathlib import Path

import pdfplumber
import pytest
from typer.testing import CliRunner

from bulletin.batch import MANIFEST, build_many
from bulletin.cli import app

from .conftest import SAMPLE


def small_issue(series: Path, name: str, number: int, body: str = "## 标题\n\n正文。\n") -> Path:
    folder = series / name
    folder.mkdir(parents=True)
    (folder / "issue.md").write_text(f"---\nnumber: {number}\ndate: 2024-{number:02d}-15\n---\n\n{body}", encoding="utf-8")
    return folder


@pytest.fixture
def series(tmp_path) -> Path:
    root = tmp_path / "issues" / "demo"
    root.mkdir(parents=True)
    (root / "series.yaml").write_text("name: 演示简报\npublisher: 演示协会\nlayout_options: {body_size: 四号}\n",
                                      encoding="utf-8")
    return root


def test_one_broken_issue_does_not_stop_the_others(series, tmp_path):
    folders = [small_issue(series, f"2024-{n:02d}", n) for n in range(1, 6)]
    broken = small_issue(series, "2024-06", 6, "开头没有标题。\n")
    out = tmp_path / "out"
    outcomes = build_many([*folders, broken], out, jobs=2)
    assert [o.status for o in outcomes] == ["built"] * 5 + ["failed"]
    assert outcomes[-1].problems[0]["line"] == 6 and "标题之前" in outcomes[-1].problems[0]["message"]
    names = sorted(p.name for p in out.glob("*.pdf"))
    assert names == [f"demo-2024-{n}.pdf" for n in range(1, 6)]
    for name in names:
        with pdfplumber.open(out / name) as pdf:
            assert "正文。" in pdf.pages[0].extract_text()


def test_unchanged_issues_are_skipped_and_changes_rebuild(series, tmp_path):
    a, b = small_issue(series, "2024-01", 1), small_issue(series, "2024-02", 2)
    out = tmp_path / "out"
    assert [o.status for o in build_many([a, b], out, jobs=1)] == ["built", "built"]
    assert (out / MANIFEST).is_file()
    first = (out / "demo-2024-1.pdf").stat().st_mtime_ns
    assert [o.status for o in build_many([a, b], out, jobs=1)] == ["skipped", "skipped"]
    (b / "issue.md").write_text((b / "issue.md").read_text(encoding="utf-8").replace("正文。", "改过的正文。"),
                                encoding="utf-8")
    assert [o.status for o in build_many([a, b], out, jobs=1)] == ["skipped", "built"]
    (series / "series.yaml").write_text("name: 演示简报\npublisher: 另一个协会\n", encoding="utf-8")
    assert [o.status for o in build_many([a, b], out, jobs=1)] == ["built", "built"]  # the series changed
    assert [o.status for o in build_many([a], out, jobs=1, force=True)] == ["built"]
    (out / "demo-2024-1.pdf").unlink()
    assert [o.status for o in build_many([a], out, jobs=1)] == ["built"]  # the PDF is gone
    assert (out / "demo-2024-1.pdf").stat().st_mtime_ns >= first


def test_cli_builds_a_whole_series_folder_and_names_the_failure(series, tmp_path):
    for n in range(1, 4):
        small_issue(series, f"2024-{n:02d}", n)
    small_issue(series, "2024-09", 9, "## 标题\n\n正文。\n\n![图](images/none.png)\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(series.parent), "-o", str(out), "-j", "2"])
    assert result.exit_code == 2
    assert "2024-09" in result.output and "找不到图片" in result.output
    assert "共 4 期：排版 3，跳过 0，失败 1" in result.output
    assert len(list(out.glob("*.pdf"))) == 3


def test_the_sample_through_the_batch_path_is_the_same_pdf(tmp_path, sample_build):
    copy = tmp_path / "shanxi-tongxin"
    shutil.copytree(SAMPLE.parent, copy)
    (outcome,) = build_many([copy / SAMPLE.name], tmp_path / "out", jobs=2)
    assert Path(outcome.output).read_bytes() == sample_build.pdf


def test_html_export_renders_with_the_plain_weasyprint_command(tmp_path, expected):
    import subprocess
    import sys

    from tests import pdfcheck as pc

    folder = tmp_path / "html"
    result = CliRunner().invoke(app, ["html", str(SAMPLE), "-o", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "index.html").is_file() and (folder / "fonts" / "FandolFang-Regular.otf").is_file()
    weasyprint = Path(sys.executable).with_name("weasyprint")
    proc = subprocess.run([str(weasyprint), str(folder / "index.html"), str(tmp_path / "bare.pdf")],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "WARNING" not in proc.stderr.upper(), proc.stderr
    with pdfplumber.open(tmp_path / "bare.pdf") as pdf:
        assert len(pdf.pages) >= 10
        assert pc.find_in_order(pc.flow_text(pdf), expected["paragraphs"]) == []
        fonts = {c["fontname"].split("+")[-1] for p in pdf.pages for c in p.chars}
        assert fonts <= {"Bulletin-Fang", "Bulletin-Serif", "Bulletin-Title-Bold", "Bulletin-Masthead-Heavy", "Bulletin-Hei"}


def test_the_tool_digest_is_kept_until_a_shared_file_changes(tmp_path, monkeypatch):
    """tool_digest() is read from the files once per process and made again when one of them
    changes size or time (here: a copy of the layouts folder, edited)."""
    import shutil

    from bulletin import batch, resources

    layouts = tmp_path / "layouts"
    shutil.copytree(resources.layouts_dir(), layouts)
    monkeypatch.setattr(resources, "layouts_dir", lambda: layouts)
    monkeypatch.setattr(batch, "_tool_digest", None)
    computed = []
    original = batch._compute_tool_digest
    monkeypatch.setattr(batch, "_compute_tool_digest", lambda *roots: computed.append(1) or original(*roots))
    first = batch.tool_digest()
    assert batch.tool_digest() == first and len(computed) == 1
    css = next(layouts.rglob("*.css"))
    css.write_text(css.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
    second = batch.tool_digest()
    assert second != first and len(computed) == 2
