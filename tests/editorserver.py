"""The browser tests' editor: `bulletin serve` on copies of the sample series, run in a thread."""
from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .conftest import SAMPLE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_editor(root: Path, series: list[str], **options) -> Iterator[dict]:
    """Copy the sample series under `root` once per name in `series`, serve `root` on a free port
    and give {"url", "root", "status"} (the app's status cache); stopped on leaving."""
    import uvicorn

    from bulletin.serve.app import create_app

    for name in series:
        shutil.copytree(SAMPLE.parent, root / name)
    port = free_port()
    app = create_app(root, port=port, **options)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "root": root, "status": app.state.status}
    finally:
        server.should_exit = True
        thread.join(timeout=10)


CHROMIUM = Path("/usr/bin/chromium")  # Debian's (scripts/install.sh --browser)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()
