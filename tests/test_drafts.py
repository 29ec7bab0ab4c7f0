"""Drafts: `draft: true` marks every page “草稿”; a folder's build leaves drafts out unless --drafts."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pdfplumber
from typer.testing import CliRunner

from bulletin.api import render
from bulletin.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _series(tmp_path: Path, draft: bool) -> Path:
    series = tmp_path / "shanxi-tongxin"
    shutil.copytree(ROOT / "issues" / "shanxi-tongxin", series)
    if draft:
        issue = series / "2021-07" / "issue.md"
        text = issue.read_text(encoding="utf-8")
        issue.write_text(text.replace("---\n", "---\ndraft: true\n", 1), encoding="utf-8")
    return series


def _pages(pdf: bytes) -> list[str]:
    """Per page, the characters set larger than any text of the issue (the masthead is 50-odd pt)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return ["".join(c["text"] for c in page.chars if c["size"] > 90) for page in doc.pages]


def test_a_draft_carries_the_mark_on_every_page(tmp_path):
    pages = _pages(render(_series(tmp_path, draft=True) / "2021-07").pdf)
    assert len(pages) >= 2 and all(page == "草稿" for page in pages)


def test_an_issue_that_is_no_draft_has_no_mark(tmp_path):
    pages = _pages(render(_series(tmp_path, draft=False) / "2021-07").pdf)
    assert not any("草稿" in page for page in pages)


def test_building_a_folder_skips_drafts_unless_asked(tmp_path):
    series = _series(tmp_path, draft=True)
    out = tmp_path / "out"
    skipped = CliRunner().invoke(app, ["build", str(series), "-o", str(out), "--format", "json"])
    assert skipped.exit_code == 0, skipped.output
    report = json.loads(skipped.stdout)
    assert report["drafts"] == [str(series / "2021-07")] and report["issues"] == []
    assert not out.exists() or not list(out.glob("*.pdf"))

    built = CliRunner().invoke(app, ["build", str(series), "-o", str(out), "--drafts"])
    assert built.exit_code == 0, built.output
    (pdf,) = out.glob("*.pdf")
    assert all(page == "草稿" for page in _pages(pdf.read_bytes()))


def test_a_draft_named_directly_is_built(tmp_path):
    series = _series(tmp_path, draft=True)
    result = CliRunner().invoke(app, ["build", str(series / "2021-07"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "out").glob("*.pdf"))
