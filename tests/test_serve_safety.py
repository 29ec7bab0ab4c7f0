"""The editor under load and across processes: no lost save, nothing injected, no frozen server,
no orphaned renderer (issue 13, items 2, 10, 12 and 13)."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from bulletin.serve import app as serve_app
from bulletin.serve.app import create_app
from bulletin.serve.document import parse, serialize, from_json
from bulletin.serve.jobs import BodyLimit, HeavyWork, Stopped, run_isolated
from bulletin.serve.workspace import Conflict, Workspace

from .conftest import SAMPLE
from .test_serve_api import ISSUE, StubRenderer, put

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(SAMPLE.parent, tmp_path / "issues" / "shanxi-tongxin")
    return tmp_path / "issues"


@pytest.fixture
def client(workspace):
    app = create_app(workspace, port=8000, renderer=StubRenderer(), status_cache=workspace.parent / "status.json")
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        c.csrf = app.state.csrf
        c.app_ = app
        yield c


# ---------------------------------------------------------------- item 2: saves from many processes


def save_from_another_process(root: str, text: str, base: str, start, results) -> None:
    """A second editor process: saves `text` over version `base` (its writes are slowed down, so
    that without a lock every process would read the same version before any of them writes)."""
    from bulletin.serve import workspace as ws

    original = ws.write_atomic

    def slow_write(path, data):
        time.sleep(0.3)
        original(path, data)

    ws.write_atomic = slow_write
    space = ws.Workspace(Path(root))
    ref = space.issue("shanxi-tongxin", "2021-07")
    start.wait()
    try:
        space.save(ref, text, base)
        results.put(("saved", text))
    except ws.Conflict:
        results.put(("conflict", text))


def test_saves_of_one_version_from_eight_processes_keep_exactly_one(workspace):
    space = Workspace(workspace)
    ref = space.issue("shanxi-tongxin", "2021-07")
    text, base = space.read(ref)
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    texts = [text + f"\n第{i}个编辑进程加的一段。\n" for i in range(8)]
    processes = [ctx.Process(target=save_from_another_process, args=(str(workspace), t, base, start, results))
                 for t in texts]
    for p in processes:
        p.start()
    time.sleep(1.5)  # all of them ready
    start.set()
    outcomes = [results.get(timeout=60) for _ in processes]
    for p in processes:
        p.join(timeout=30)
    saved = [t for status, t in outcomes if status == "saved"]
    assert len(saved) == 1, [s for s, _ in outcomes]
    assert space.read(ref)[0] == saved[0]  # the one answered “saved” is the one on disk


def hold_the_lock_then_edit(folder: str, ready, seconds: float) -> None:
    from bulletin.output.write import locked, write_atomic

    with locked(Path(folder)):
        ready.set()
        time.sleep(seconds)
        file = Path(folder) / "issue.md"
        write_atomic(file, file.read_bytes() + "\n编辑器保存的一段。\n".encode())


def test_check_fix_waits_for_an_editors_save_and_keeps_it(workspace):
    from bulletin.api import fix

    folder = workspace / "shanxi-tongxin" / "2021-07"
    file = folder / "issue.md"
    file.write_text(file.read_text(encoding="utf-8") + "\n结尾的破折号--要改。\n", encoding="utf-8")
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    editor = ctx.Process(target=hold_the_lock_then_edit, args=(str(folder), ready, 1.0))
    editor.start()
    assert ready.wait(30)
    result = fix(folder)  # waits for the editor's save, then fixes what is on disk then
    editor.join(30)
    text = file.read_text(encoding="utf-8")
    assert result.count >= 1 and "编辑器保存的一段。" in text and "结尾的破折号——要改。" in text


# ---------------------------------------------------------------- item 10: numbers are numbers


@pytest.mark.parametrize("field, value", [("number", "8\nprint_run: 5"), ("print_run", "100\ntotal_number: 9"),
                                          ("date", "2021-07-30\nnumber: 99"), ("total_number", "1 # x")])
def test_a_line_break_in_a_number_field_cannot_add_front_matter_keys(client, workspace, field, value):
    file = workspace / "shanxi-tongxin" / "2021-07" / "issue.md"
    before = file.read_bytes()
    data = client.get(ISSUE).json()
    data["doc"]["front"][field] = value
    response = put(client, {"base": data["base"], "doc": data["doc"]})
    assert response.status_code == 422 and file.read_bytes() == before
    problem = response.json()["problems"][0]
    assert problem["where"] == {"kind": "front", "field": field}
    # and what would have been written keeps the value inside its own key
    doc = parse(before.decode("utf-8"))
    changed = from_json({**data["doc"]}, doc)
    front = yaml.safe_load(serialize(changed, doc).split("---\n")[1])
    assert front[field] == value.strip() and set(front) == set(yaml.safe_load(doc.front_text)) | {field}


# ---------------------------------------------------------------- item 12: the event loop stays free


def test_an_upload_over_the_limit_is_refused_while_it_streams(tmp_path):
    """The body is counted as it arrives: a 1 GB upload is refused after ~the limit, not read whole."""
    received = []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read it all"})

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"x" * 1_000_000, "more_body": len(received) < 1000}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/issues/s/i/images", "headers": []}
    asyncio.run(BodyLimit(app, serve_app.body_limit)(scope, receive, send))
    assert sent[0]["status"] == 413 and len(received) <= 22  # MAX_UPLOAD_BYTES is 20.1 MB
    received.clear()
    sent.clear()
    declared = {**scope, "headers": [(b"content-length", b"1000000000")]}
    asyncio.run(BodyLimit(app, serve_app.body_limit)(declared, receive, send))
    assert sent[0]["status"] == 413 and received == []  # refused before reading a byte


def test_a_slow_check_does_not_freeze_other_requests(client, monkeypatch):
    import bulletin.api

    original = bulletin.api.check

    def slow_check(*args, **kwargs):
        time.sleep(2.0)
        return original(*args, **kwargs)

    monkeypatch.setattr(bulletin.api, "check", slow_check)
    # the list page's figures for an issue not in the cache: loaded and checked off the event loop
    listing = threading.Thread(target=lambda: client.get("/api/status?issue=shanxi-tongxin/2021-07"))
    listing.start()
    time.sleep(0.3)
    started = time.perf_counter()
    assert client.get("/favicon.ico").status_code == 204
    assert client.get(ISSUE).status_code == 200
    assert time.perf_counter() - started < 1.5  # not the 2 s the listing takes
    listing.join()


def test_heavy_requests_beyond_the_queue_are_answered_busy(client, monkeypatch):
    client.app_.state.heavy.__init__(workers=1, queued=1)
    import bulletin.source.load

    original = bulletin.source.load.load

    def slow_load(*args, **kwargs):
        time.sleep(1.0)
        return original(*args, **kwargs)

    monkeypatch.setattr(bulletin.source.load, "load", slow_load)
    import bulletin.api

    monkeypatch.setattr(bulletin.api, "load", slow_load)  # the list page loads each issue through check()
    statuses = []

    def listing():  # the figures of an issue not yet in the list page's cache
        statuses.append(client.get("/api/status?issue=shanxi-tongxin/2021-07").status_code)

    threads = [threading.Thread(target=listing) for _ in range(4)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 503, 503]


def test_pending_previews_hold_no_thread(client, workspace, monkeypatch):
    """40 previews waiting for a render must not make other requests wait."""
    from bulletin.serve.renderer import Renderer

    renderer = client.app_.state.renderer
    renderer.latest, renderer.cond, renderer.waiters = {}, threading.Condition(), []
    renderer.wait_async = Renderer.wait_async.__get__(renderer)
    monkeypatch.setattr(serve_app, "PREVIEW_WAIT", 5.0)
    waiting = [threading.Thread(target=lambda: client.get(ISSUE + "/preview?after=5")) for _ in range(40)]
    for t in waiting:
        t.start()
    time.sleep(0.5)
    started = time.perf_counter()
    assert client.get("/").status_code == 200  # needs a worker thread
    assert time.perf_counter() - started < 3.5  # not the 5 s the previews wait
    for t in waiting:
        t.join()


def sleep_forever():
    time.sleep(60)


def eat_memory():
    blocks = []
    while True:
        blocks.append(bytearray(50 * 10**6))


def test_isolated_work_is_bounded_in_time_and_memory():
    started = time.perf_counter()
    with pytest.raises(Stopped) as exc:
        run_isolated(sleep_forever, (), seconds=1.0, memory=10**9)
    assert "超过 1 秒" in exc.value.reason and time.perf_counter() - started < 10
    with pytest.raises(Stopped) as exc:
        run_isolated(eat_memory, (), seconds=30, memory=400 * 10**6)
    assert "内存超过 400 MB" in exc.value.reason
    assert asyncio.run(HeavyWork().isolated(len, "abc")) == 3


# ---------------------------------------------------------------- item 13: the renderer dies with the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_a_killed_server_takes_its_renderer_with_it(workspace):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bulletin.cli", "serve", str(workspace), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        renderers: list[int] = []
        while time.monotonic() < deadline and not renderers:
            time.sleep(0.2)
            renderers = [pid for pid in children_of(server.pid)
                         if "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
        assert renderers, "no renderer process started"
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(running(pid) for pid in renderers):
            time.sleep(0.1)
        assert not any(running(pid) for pid in renderers)
    finally:
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_a_chunked_upload_to_a_real_server_is_cut_off_at_the_limit(workspace):
    """The auditor's 1 GB chunked upload cost the server ~0.9 GB before it was refused."""
    import re
    import urllib.request

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bulletin.cli", "serve", str(workspace), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        page = ""
        while time.monotonic() < deadline and not page:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/edit/shanxi-tongxin/2021-07", timeout=5).read().decode()
            except OSError:
                time.sleep(0.2)
        csrf = re.search(r'<meta name="csrf" content="([^"]+)"', page).group(1)
        before = rss_mb(server.pid)
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall((f"POST /api/issues/shanxi-tongxin/2021-07/images HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"X-CSRF-Token: {csrf}\r\nContent-Type: multipart/form-data; boundary=XX\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n").encode())
        head = (b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
                b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n")
        sock.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        chunk = b"0" * (1 << 20)
        sent = 0
        try:
            for _ in range(1000):  # up to 1 GB
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except OSError:  # the server closed the connection
            pass
        sock.settimeout(10)
        try:
            answer = sock.recv(200).decode(errors="replace")
        except OSError:
            answer = ""
        sock.close()
        assert sent < 200 * 10**6, sent  # cut off long before the gigabyte
        assert answer.startswith("HTTP/1.1 413") or answer == "", answer
        assert rss_mb(server.pid) - before < 100
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
