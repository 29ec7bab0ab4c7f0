"""A series may bring its own layout: a folder under `layouts/` in the series folder or next to
it, or a path relative to the series folder; nothing outside the folder holding the series."""
from __future__ import annotations

import shutil
from pathlib import Path

import pdfplumber
import pytest

from bulletin.api import render
from bulletin.errors import BulletinError

ROOT = Path(__file__).resolve().parents[1]


def _series(tmp_path: Path, layout_line: str, where: Path) -> Path:
    series = tmp_path / "collection" / "shanxi-tongxin"
    shutil.copytree(ROOT / "issues" / "shanxi-tongxin", series)
    text = (series / "series.yaml").read_text(encoding="utf-8")
    (series / "series.yaml").write_text(text.replace("layout: jianbao", layout_line, 1), encoding="utf-8")
    own = where / "mine"
    shutil.copytree(ROOT / "layouts" / "jianbao", own)
    template = (own / "issue.html.j2").read_text(encoding="utf-8")
    (own / "issue.html.j2").write_text(template.replace(
        '{{ masthead.title or series.name }}', '{{ masthead.title or series.name }}（自带版式）', 1), encoding="utf-8")
    return series


def _text(issue: Path) -> str:
    import io

    with pdfplumber.open(io.BytesIO(render(issue).pdf)) as pdf:
        return "".join((pdf.pages[0].extract_text() or "").split())


@pytest.mark.parametrize("place", ["beside", "inside", "path"])
def test_a_series_own_layout_is_used(tmp_path, place):
    collection = tmp_path / "collection"
    where = {"beside": collection / "layouts", "inside": collection / "shanxi-tongxin" / "layouts",
             "path": collection / "shared"}[place]
    line = "layout: ../shared/mine" if place == "path" else "layout: mine"
    series = _series(tmp_path, line, where)
    assert "自带版式" in _text(series / "2021-07")


def test_the_bundled_layout_without_one(tmp_path):
    series = _series(tmp_path, "layout: jianbao", tmp_path / "elsewhere")
    assert "自带版式" not in _text(series / "2021-07")


def test_a_layout_outside_the_collection_is_refused(tmp_path):
    series = _series(tmp_path, "layout: ../../outside/mine", tmp_path / "outside")
    with pytest.raises(BulletinError) as caught:
        render(series / "2021-07")
    assert "找不到版式文件夹 ../../outside/mine" in caught.value.problems[0].message
