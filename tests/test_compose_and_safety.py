"""Untrusted content: escaping in templates, and the fetcher that serves only our folders."""
from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from bulletin.api import render
from bulletin.compose import compose
from bulletin.compose.markup import inline
from bulletin.style.layout import font_face_css
from bulletin.style.layout import load_layout
from bulletin.source.load import load_issue
from bulletin.model import Span
from bulletin.typeset import FetchDenied, SafeFetcher


def test_inline_escapes_and_marks_emphasis():
    html = inline([Span(text="<b>x</b> & {{ 7*7 }}"), Span(text="重", strong=True), Span(text="a\nb", emphasis=True)])
    assert str(html) == "&lt;b&gt;x&lt;/b&gt; &amp; {{ 7*7 }}<strong>重</strong><em>a<br>b</em>"


def test_hostile_text_prints_literally(make_issue):
    folder = make_issue(
        "## {{ 7*7 }} <img src=x onerror=alert(1)>\n\n"
        '<link rel="attachment" href="file:///etc/passwd"> <script>alert(1)</script> {% raw %}\n\n'
        "![x](/etc/passwd)\n" .replace("![x](/etc/passwd)\n", "正文。\n")
    )
    bulletin = load_issue(folder)
    layout = load_layout("jianbao")
    html = compose(bulletin, layout, layout.resolve_options({"body_size": "四号"}), font_face_css()).html
    assert "<script>" not in html and "<link rel=\"attachment\"" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "{{ 7*7 }}" in html
    result = render(folder)
    assert result.pages == 1
    assert b"/EmbeddedFile" not in result.pdf and b"/FileAttachment" not in result.pdf
    import io

    import pdfplumber

    text = pdfplumber.open(io.BytesIO(result.pdf)).pages[0].extract_text().replace("\n", "")
    assert "{{ 7*7 }}" in text and "<script>alert(1)</script>" in text


@pytest.fixture
def roots(tmp_path):
    inside = tmp_path / "issue"
    (inside / "images").mkdir(parents=True)
    (inside / "images" / "a.png").write_bytes(b"png")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, inside / "images" / "link.png")
    return inside, outside


def test_fetcher_serves_files_inside_the_roots(roots):
    inside, _ = roots
    response = SafeFetcher([inside]).fetch((inside / "images" / "a.png").as_uri())
    assert response.read() == b"png"
    assert response.content_type == "image/png"


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "{inside}/images/../../secret.txt",
    "{inside}/images/link.png",  # a symlink out of the folder
    "http://127.0.0.1:{port}/x.png",
    "https://example.com/x.png",
    "ftp://example.com/x",
    "data:text/plain,abc",
])
def test_fetcher_refuses_everything_else(roots, url):
    inside, _ = roots
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        target = url.format(inside=inside.as_uri(), port=server.server_port)
        fetcher = SafeFetcher([inside])
        with pytest.raises(FetchDenied):
            fetcher.fetch(target)
        assert fetcher.denied == [target]
        assert hits == []
    finally:
        server.server_close()
