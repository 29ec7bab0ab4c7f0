from __future__ import annotations

import json
import os
from pathlib import Path

import pdfplumber
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "issues" / "shanxi-tongxin" / "2021-07"
FIXTURES = Path(__file__).parent / "fixtures"
# no warm build service (daemon.py) unless a test starts its own: a user's daemon stays out of the
# tests, and `serve` started by a test does not start one
os.environ.setdefault("BULLETIN_NO_DAEMON", "1")


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads((FIXTURES / "reference-expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    from bulletin.api import build

    return build(SAMPLE, tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def sample_pdf(sample_build):
    with pdfplumber.open(sample_build.output) as pdf:
        yield pdf


def write_issue(folder: Path, front: str, body: str, series: str | None = None) -> Path:
    """Create series.yaml + <issue>/issue.md under `folder`; returns the issue folder."""
    series_dir = folder / "testseries"
    issue_dir = series_dir / "2024-01"
    issue_dir.mkdir(parents=True, exist_ok=True)
    (series_dir / "series.yaml").write_text(
        series or "name: 测试简报\npublisher: 测试协会\nlayout_options: {body_size: 四号}\n", encoding="utf-8"
    )
    (issue_dir / "issue.md").write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    return issue_dir


@pytest.fixture
def make_issue(tmp_path):
    def make(body: str, front: str = "number: 1\ndate: 2024-01-15\n", series: str | None = None) -> Path:
        return write_issue(tmp_path, front, body, series)

    return make
