"""Hostile and absurd issues: content is printed, never executed; nothing is fetched; limits hold."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pdfplumber
import pytest

from bulletin.api import render
from bulletin.errors import BulletinError
from bulletin.source.load import load

from . import pdfcheck as pc
from .conftest import write_issue


@pytest.fixture
def http_server():
    """A local HTTP server that records every request; the tests assert it sees none."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_hostile_markup_prints_literally_and_fetches_nothing(tmp_path, http_server):
    url, hits = http_server
    lines = [
        f'<img src="{url}/img.png">',
        '<link rel="attachment" href="file:///etc/passwd">',
        f'<iframe src="{url}/frame"></iframe><object data="{url}/obj"></object>',
        f"<style>@import url({url}/x.css); body {{ background: url({url}/bg.png) }}</style>",
        "<script>alert(1)</script>",
        "{% include 'issue.md' %} {{ config }} {{ 7*7 }} {# comment #}",
        f"[链接]({url}/link) 与 <{url}/autolink>",
    ]
    folder = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", "## 标题\n\n" + "\n\n".join(lines) + "\n")
    result = render(folder)
    assert hits == []
    assert b"/EmbeddedFile" not in result.pdf and b"/Filespec" not in result.pdf and b"/URI" not in result.pdf
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        text = pc.flow_text(pdf)
    for line in lines[1:3] + lines[4:6]:
        assert line.replace(" ", "") in text, line


def test_the_fetcher_serves_only_our_fonts_layout_and_the_issue(tmp_path, http_server, monkeypatch):
    """Every URL WeasyPrint asks for while rendering a hostile issue with a picture."""
    from PIL import Image

    from bulletin import typeset
    from bulletin.resources import fonts_dir, layouts_dir

    url, hits = http_server
    folder = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n",
                         f'## 标题\n\n<img src="{url}/a.png"> <link rel="stylesheet" href="{url}/s.css">\n\n'
                         "![现场](images/p.png)\n")
    (folder / "images").mkdir()
    Image.new("RGB", (8, 8), "blue").save(folder / "images" / "p.png")
    asked: list[str] = []
    original = typeset.SafeFetcher.fetch

    def recording(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(typeset.SafeFetcher, "fetch", recording)
    result = render(folder)
    roots = [p.resolve().as_uri() for p in (fonts_dir(), layouts_dir(), folder)]
    assert asked and all(any(u.startswith(r + "/") for r in roots) for u in asked), asked
    assert any(u.endswith("/images/p.png") for u in asked)
    assert hits == [] and b"/EmbeddedFile" not in result.pdf


def test_remote_and_outside_images_are_refused_without_a_request(tmp_path, http_server):
    url, hits = http_server
    for src in (f"{url}/x.png", "/etc/passwd", "../../../../etc/hostname"):
        folder = write_issue(tmp_path / str(abs(hash(src))), "number: 1\ndate: 2024-01-15\n",
                             f"## 标题\n\n正文。\n\n![图]({src})\n")
        with pytest.raises(BulletinError) as exc:
            load(folder)
        assert exc.value.problems[0].line == 10
    # markdown-it does not even make a file: URL an image; it would print as text: refused too
    folder = write_issue(tmp_path / "file", "number: 1\ndate: 2024-01-15\n", "## 标题\n\n![图](file:///etc/passwd)\n")
    with pytest.raises(BulletinError) as exc:
        load(folder)
    assert exc.value.problems[0].line == 8 and "不是期刊文件夹里的文件" in exc.value.problems[0].message
    assert hits == []


def test_symlinked_image_out_of_the_folder_is_refused(tmp_path):
    folder = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", "## 标题\n\n正文。\n\n![图](images/x.png)\n")
    secret = tmp_path / "secret.png"
    from PIL import Image

    Image.new("RGB", (2, 2)).save(secret)
    (folder / "images").mkdir()
    (folder / "images" / "x.png").symlink_to(secret)
    with pytest.raises(BulletinError) as exc:
        load(folder)
    assert "以外" in exc.value.problems[0].message


def test_a_50_mb_image_is_refused_with_advice(tmp_path):
    folder = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", "## 标题\n\n正文。\n\n![图](images/big.png)\n")
    (folder / "images").mkdir()
    with open(folder / "images" / "big.png", "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(50 * 10**6)
    with pytest.raises(BulletinError) as exc:
        load(folder)
    problem = exc.value.problems[0]
    assert "太大" in problem.message and "MB" in problem.hint and problem.line == 10


def test_deeply_nested_lists_are_refused_with_a_line(tmp_path):
    nested = "\n".join("  " * depth + "- 项" for depth in range(60))
    folder = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", f"## 标题\n\n正文。\n\n{nested}\n")
    with pytest.raises(BulletinError) as exc:
        load(folder)
    assert "嵌套列表" in exc.value.problems[0].message and exc.value.problems[0].line == 11


def test_an_absurdly_long_unbreakable_string_stays_on_the_page(tmp_path):
    folder = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n",
                         "## 标题\n\n开头" + "x" * 3000 + "结尾，" + "https://example.org/" + "a" * 500 + "\n")
    result = render(folder)
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        chars = [c for p in pdf.pages for c in p.chars]
        assert max(c["x1"] for c in chars) <= pc.A4[0]
        assert "开头" + "x" * 3000 + "结尾" in pc.flow_text(pdf)


def test_a_5000_paragraph_issue_finishes_within_a_memory_bound(tmp_path):
    body = "## 长文\n\n" + "\n\n".join(f"第{i}段：这是一个用于压力测试的段落，检验长文档的排版时间与内存占用。" for i in range(5000))
    folder = write_issue(tmp_path, "number: 1\ndate: 2024-01-15\n", body + "\n")
    code = ("import json, resource, sys; from bulletin.api import render; "
            f"r = render({str(folder)!r}); "
            "print(json.dumps({'pages': r.pages, 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads(proc.stdout)
    assert stats["pages"] > 300 and stats["rss_mb"] < 1500
