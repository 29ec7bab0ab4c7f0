"""`bulletin preview`: PNG pages, contact sheet, page ranges, watch mode."""
from __future__ import annotations

import shutil
import threading
import time

import pytest
from PIL import Image
from typer.testing import CliRunner

from bulletin.cli import app
from bulletin.errors import BulletinError
from bulletin.editor.preview import parse_pages, watch

from .conftest import SAMPLE


def test_parse_pages():
    assert parse_pages(None, 3) == [1, 2, 3]
    assert parse_pages("1,3-4", 12) == [1, 3, 4]
    assert parse_pages("11-20", 12) == [11, 12]
    with pytest.raises(BulletinError):
        parse_pages("a-b", 3)


def test_preview_writes_pages_and_a_contact_sheet(tmp_path):
    result = CliRunner().invoke(app, ["preview", str(SAMPLE), "-o", str(tmp_path), "--pages", "1,12", "--dpi", "30"])
    assert result.exit_code == 0, result.output
    first = Image.open(tmp_path / "shanxi-tongxin-2021-7-p01.png")
    assert abs(first.size[0] - 595.28 * 30 / 72) <= 1 and abs(first.size[1] - 841.89 * 30 / 72) <= 1
    raw = first.convert("RGB").tobytes()
    red = sum(1 for i in range(0, len(raw), 3) if raw[i] > 180 and raw[i + 1] < 90 and raw[i + 2] < 90)
    assert red > 100  # the masthead
    assert (tmp_path / "shanxi-tongxin-2021-7-p12.png").is_file()
    assert (tmp_path / "shanxi-tongxin-2021-7-pages.png").is_file()


def test_watch_re_renders_on_save_and_keeps_the_last_good_preview(tmp_path):
    series = tmp_path / "demo"
    series.mkdir()
    (series / "series.yaml").write_text("name: 演示\npublisher: 协会\n", encoding="utf-8")
    folder = series / "2024-01"
    folder.mkdir()
    issue = folder / "issue.md"
    issue.write_text("---\nnumber: 1\ndate: 2024-01-15\n---\n\n## 标题\n\n正文。\n", encoding="utf-8")
    out = tmp_path / "preview"
    reports: list = []
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(folder, out, reports.append), kwargs={"dpi": 20, "stop_event": stop},
                              daemon=True)
    thread.start()

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 30
        while len(reports) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(reports) >= count, reports

    try:
        wait_for(1)
        png = out / "demo-2024-1-p01.png"
        assert not isinstance(reports[0], BulletinError) and png.is_file()
        good = png.read_bytes()
        time.sleep(0.5)
        issue.write_text(issue.read_text(encoding="utf-8").replace("正文。", "改过的正文，长一些。" * 20), encoding="utf-8")
        wait_for(2)
        assert not isinstance(reports[1], BulletinError) and png.read_bytes() != good
        changed = png.read_bytes()
        time.sleep(0.5)
        issue.write_text("---\nnumber: 0\ndate: 2024-01-15\n---\n\n## 标题\n\n正文。\n", encoding="utf-8")
        wait_for(3)
        assert isinstance(reports[2], BulletinError) and reports[2].problems[0].line == 2
        assert png.read_bytes() == changed  # the last good preview stays
        time.sleep(0.5)
        issue.write_text("---\nnumber: 1\ndate: 2024-01-15\n---\n\n## 标题\n\n又改好了。\n", encoding="utf-8")
        wait_for(4)
        assert not isinstance(reports[3], BulletinError)
        assert all(r.seconds < 10 for r in reports if not isinstance(r, BulletinError))
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
