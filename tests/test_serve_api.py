"""`bulletin serve`: the issue.md round trip and the HTTP API (security, conflicts, validation)."""
from __future__ import annotations

import datetime as dt
import difflib
import os
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bulletin.serve.app import create_app
from bulletin.serve.document import digest, from_json, parse, serialize, set_front

from .conftest import FIXTURES, SAMPLE

SAMPLES = [SAMPLE / "issue.md", *sorted(FIXTURES.glob("*/*/issue.md"))]


# ---------------------------------------------------------------- issue.md round trip


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.parent.name)
def test_unchanged_document_writes_the_same_bytes(path):
    text = path.read_text(encoding="utf-8")
    doc = parse(text)
    assert serialize(doc, doc) == text
    assert serialize(from_json(doc.to_json(), doc), doc) == text  # through the browser's JSON too


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_editing_one_paragraph_changes_one_line():
    text = (SAMPLE / "issue.md").read_text(encoding="utf-8")
    doc = parse(text)
    data = doc.to_json()
    article = data["sections"][0]["articles"][0]
    article["body"] = article["body"].replace("迄今已是第十八届。", "迄今已是第十八届，规模空前。")
    after = serialize(from_json(data, doc), doc)
    assert changed_lines(text, after) == [
        "-“2021中国信息通信业发展高层论坛”将于8月25日—27日在北京举行，迄今已是第十八届。",
        "+“2021中国信息通信业发展高层论坛”将于8月25日—27日在北京举行，迄今已是第十八届，规模空前。"]


def test_reordering_moves_whole_chunks_and_keeps_their_text():
    text = (SAMPLE / "issue.md").read_text(encoding="utf-8")
    doc = parse(text)
    data = doc.to_json()
    members = data["sections"][4]["articles"]
    members[0], members[1] = members[1], members[0]
    moved = data["sections"][2]["articles"].pop()
    data["lead"].append(moved)
    after = parse(serialize(from_json(data, doc), doc))
    assert [a.title for a in after.sections[4].articles[:2]] == [a.title for a in doc.sections[4].articles[1::-1]]
    assert after.lead[-1].title == doc.sections[2].articles[-1].title
    assert after.lead[-1].body == doc.sections[2].articles[-1].body
    assert len(after.sections[2].articles) == len(doc.sections[2].articles) - 1


def test_new_article_fields_become_markdown_and_body_headings_stay_text():
    doc = parse("---\nnumber: 1\ndate: 2024-01-02\n---\n\n## 旧文章\n\n正文。\n")
    data = doc.to_json()
    data["sections"].append({"key": "", "name": "新栏目", "articles": [{
        "key": "", "kicker": "某某单位", "title": "上半句\n下半句", "subtitle": "——副题",
        "body": "第一段。\n# 不是栏目\n\n## 不是文章", "byline": "（张三）"}]})
    text = serialize(from_json(data, doc), doc)
    assert "# 【新栏目】\n\n引题：某某单位\n## 上半句|下半句\n副题：——副题\n\n第一段。\n＃ 不是栏目\n\n＃＃ 不是文章\n\n（张三）\n" in text
    again = parse(text)
    assert again.sections[0].articles[0].byline == "张三" and again.sections[0].name == "新栏目"


def test_front_matter_keys_are_rewritten_in_place_with_their_comments():
    front = "number: 7                     # 期号（假定）\ndate: 2021-07-30   # 日期\nassumed: [number]\n"
    out = set_front(front, "number", "8")
    assert out.splitlines()[0] == "number: 8                     # 期号（假定）"
    out = set_front(out, "print_run", "300")
    assert out.splitlines()[-1] == "print_run: 300"
    out = set_front(out, "editor_note", "第一行\n第二行: 含冒号 # 和井号")
    import yaml

    assert yaml.safe_load(out)["editor_note"] == "第一行\n第二行: 含冒号 # 和井号"
    out = set_front(out, "editor_note", "")
    assert "editor_note" not in out and yaml.safe_load(out)["print_run"] == 300


# ---------------------------------------------------------------- HTTP API


class StubRenderer:
    """Records preview requests; no rendering (the end-to-end tests use the real one)."""

    def __init__(self):
        self.requests = []

    def request(self, issue_dir, visible=None, text=None):
        self.requests.append(issue_dir)
        return len(self.requests)

    def cancel(self, issue_dir, version):
        self.cancelled = [*getattr(self, "cancelled", []), version]

    def wait(self, issue_dir, after, timeout):
        return None

    async def wait_async(self, issue_dir, after, timeout):
        return None

    def current(self, issue_dir):
        return None

    def close(self):
        pass


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(SAMPLE.parent, tmp_path / "issues" / "shanxi-tongxin")
    return tmp_path / "issues"


@pytest.fixture
def client(workspace):
    app = create_app(workspace, port=8000, renderer=StubRenderer(), status_cache=workspace.parent / "status.json")
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        c.csrf = app.state.csrf
        c.app_state = app.state
        yield c


ISSUE = "/api/issues/shanxi-tongxin/2021-07"


def put(client, payload, csrf=True, **headers):
    if csrf:
        headers["X-CSRF-Token"] = client.csrf
    return client.put(ISSUE, json=payload, headers=headers)


def test_get_issue_and_save_an_edit(client, workspace):
    data = client.get(ISSUE).json()
    doc = data["doc"]
    doc["lead"][0]["body"] += "\n新增一句。"
    response = put(client, {"base": data["base"], "doc": doc})
    assert response.status_code == 200 and response.json()["saved"]
    text = (workspace / "shanxi-tongxin" / "2021-07" / "issue.md").read_text(encoding="utf-8")
    assert "新增一句。" in text and response.json()["base"] == digest(text)
    assert [r["id"] for r in data["registry"]][:2] == ["cace", "mca-sx"]


def test_a_file_changed_on_disk_is_never_overwritten(client, workspace):
    data = client.get(ISSUE).json()
    file = workspace / "shanxi-tongxin" / "2021-07" / "issue.md"
    file.write_text(file.read_text(encoding="utf-8") + "\n外部编辑器加的一段。\n", encoding="utf-8")
    on_disk = file.read_bytes()
    data["doc"]["lead"][0]["body"] += "\n浏览器里的修改。"
    response = put(client, {"base": data["base"], "doc": data["doc"]})
    assert response.status_code == 409 and response.json()["conflict"]
    assert file.read_bytes() == on_disk


def test_invalid_metadata_is_not_saved_and_points_at_the_field(client, workspace):
    data = client.get(ISSUE).json()
    file = workspace / "shanxi-tongxin" / "2021-07" / "issue.md"
    before = file.read_bytes()
    data["doc"]["front"]["date"] = "2021-02-30"
    response = put(client, {"base": data["base"], "doc": data["doc"]})
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert problem["where"] == {"kind": "front", "field": "date"} and "日期" in problem["message"]
    assert file.read_bytes() == before
    data["doc"]["front"]["date"] = "2021-07-30"
    data["doc"]["sections"][1]["articles"][0]["body"] = ""
    response = put(client, {"base": data["base"], "doc": data["doc"]})
    assert response.status_code == 422
    assert response.json()["problems"][0]["where"]["kind"] == "article"
    assert response.json()["problems"][0]["where"]["section"] == 1


def test_state_changing_requests_need_the_csrf_token_and_our_origin(client):
    data = client.get(ISSUE).json()
    assert put(client, {"base": data["base"], "doc": data["doc"]}, csrf=False).status_code == 403
    assert client.put(ISSUE, json={}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    evil = put(client, {"base": data["base"], "doc": data["doc"]}, Origin="http://evil.example")
    assert evil.status_code == 403
    assert client.post("/new/shanxi-tongxin", data={"date": "2021-08-30"}).status_code == 403


def test_foreign_host_header_is_refused(client):
    assert client.get("/", headers={"Host": "attacker.example:8000"}).status_code == 400


@pytest.mark.parametrize("path", [
    "/api/issues/shanxi-tongxin/..", "/api/issues/../shanxi-tongxin", "/api/issues/shanxi-tongxin/%2e%2e",
    "/api/issues/shanxi-tongxin/..%2f..%2fetc", "/api/issues/%2fetc/passwd", "/api/issues/shanxi-tongxin/.git",
    "/edit/shanxi-tongxin/%2e%2e%2f%2e%2e", "/pdf/..%2f..%2f/x",
])
def test_no_path_outside_the_issues_folder(client, path):
    assert client.get(path).status_code == 404


def test_symlinks_out_of_the_workspace_are_refused(client, workspace, tmp_path):
    outside = tmp_path / "outside"
    shutil.copytree(SAMPLE, outside / "2099-01")
    (workspace / "shanxi-tongxin" / "2099-01").symlink_to(outside / "2099-01")
    assert client.get("/api/issues/shanxi-tongxin/2099-01").status_code == 404
    assert "2099-01" not in client.get("/").text
    (workspace / "shanxi-tongxin" / "2021-07" / "images").mkdir(exist_ok=True)
    os.rename(workspace / "shanxi-tongxin" / "2021-07" / "images", tmp_path / "x")
    (workspace / "shanxi-tongxin" / "2021-07" / "images").symlink_to(outside)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    response = client.post(ISSUE + "/images", files={"file": ("a.png", png, "image/png")},
                           headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 404 and not list(outside.glob("a*.png"))


def test_uploads_are_checked_by_type_and_size(client, workspace):
    headers = {"X-CSRF-Token": client.csrf}
    fake = client.post(ISSUE + "/images", files={"file": ("x.png", b"<script>alert(1)</script>", "image/png")},
                       headers=headers)
    assert fake.status_code == 400
    big = client.post(ISSUE + "/images", files={"file": ("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 21_000_000)},
                      headers=headers)
    assert big.status_code == 413
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    ok = client.post(ISSUE + "/images", files={"file": ("../../evil name.png", png)}, data={"caption": "图](x"},
                     headers=headers)
    assert ok.status_code == 200 and ok.json()["path"] == "images/evil-name.png"
    assert ok.json()["markdown"] == "![图］(x](images/evil-name.png)"
    assert (workspace / "shanxi-tongxin" / "2021-07" / "images" / "evil-name.png").read_bytes() == png
    wrong = client.post(ISSUE + "/import", files={"file": ("a.docx", b"not a zip")}, headers=headers)
    assert wrong.status_code == 400


def test_pages_escape_names_and_content(client, workspace):
    shutil.copytree(SAMPLE, workspace / "shanxi-tongxin" / "<b>x")  # not a folder name we serve
    series = workspace / "shanxi-tongxin" / "series.yaml"
    series.write_text(series.read_text(encoding="utf-8").replace("name: 山西通信行业", "name: <script>alert(1)</script>刊"),
                      encoding="utf-8")
    page = client.get("/").text
    assert "<b>x" not in page and "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;刊" in page
    editor = client.get("/edit/shanxi-tongxin/2021-07")
    assert editor.status_code == 200 and "script-src 'self'" in editor.headers["content-security-policy"]


def test_new_issue_from_the_list(client, workspace):
    response = client.post("/new/shanxi-tongxin", data={"date": "2021-08-30", "csrf": client.csrf},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/edit/shanxi-tongxin/2021-08"
    assert (workspace / "shanxi-tongxin" / "2021-08" / "issue.md").is_file()


def test_beyond_loopback_a_token_is_required(workspace):
    app = create_app(workspace, host="192.0.2.10", port=8000, token="s3cret", renderer=StubRenderer())
    with TestClient(app, base_url="http://192.0.2.10:8000") as c:
        assert c.get("/").status_code == 401
        assert c.get("/?token=wrong").status_code == 401
        entered = c.get("/?token=s3cret", follow_redirects=False)
        assert entered.status_code == 303 and "bulletin_token" in entered.headers["set-cookie"]
        assert c.get("/", cookies={"bulletin_token": "s3cret"}).status_code == 200


def test_cli_refuses_a_public_bind_without_a_token(workspace):
    from typer.testing import CliRunner

    from bulletin.cli import app

    result = CliRunner().invoke(app, ["serve", str(workspace), "--host", "0.0.0.0"], env={"BULLETIN_SERVE_TOKEN": ""})
    assert result.exit_code == 2 and "口令" in result.output


# ---------------------------------------------------------------- issue 18: the editor as editors expect it


def test_paragraph_indents_typed_or_pasted_are_not_code_blocks():
    doc = parse("---\nnumber: 1\ndate: 2024-01-02\n---\n\n## 旧文章\n\n正文。\n")
    data = doc.to_json()
    data["lead"][0]["body"] = "\t第一段。\n\n\u3000\u3000第二段。\n\n    第三段。\n\n- 列表\n  - 子项"
    text = serialize(from_json(data, doc), doc)
    assert "第一段。\n\n第二段。\n\n第三段。\n\n- 列表\n  - 子项\n" in text


def test_problems_point_at_the_field_and_the_line_within_the_body(workspace):
    from bulletin.serve.app import locate

    text = (workspace / "shanxi-tongxin" / "2021-07" / "issue.md").read_text(encoding="utf-8")
    doc = parse(text)
    body = doc.sections[0].articles[0].body.split("\n")
    lines = text.split("\n")
    title_line = lines.index("## 2021中国信息通信业高层论坛8月25日在京举行") + 1
    fourth = next(n for n, line in enumerate(lines, 1) if n > title_line and line == body[3])
    problems = locate(text, [{"file": "issue.md", "line": title_line}, {"file": "issue.md", "line": fourth},
                             {"file": "issue.md", "line": next(n for n, ln in enumerate(lines, 1) if ln.startswith("date:"))}])
    assert problems[0]["where"] == {"kind": "article", "section": 0, "article": 0, "field": "title"}
    assert problems[1]["where"] == {"kind": "article", "section": 0, "article": 0, "field": "body", "line": 4}
    assert problems[2]["where"] == {"kind": "front", "field": "date"}


def test_one_click_fix_corrects_that_finding_only(client, workspace):
    file = workspace / "shanxi-tongxin" / "2021-07" / "issue.md"
    text = file.read_text(encoding="utf-8").replace("迄今已是第十八届。", "迄今,已是第十八届,规模空前。")
    file.write_text(text, encoding="utf-8")
    line = next(n for n, ln in enumerate(text.split("\n"), 1) if "迄今," in ln)
    column = text.split("\n")[line - 1].index("迄今,") + 3
    base = client.get(ISSUE).json()["base"]
    r = client.post(ISSUE + "/fix", json={"base": base, "line": line, "column": column},
                    headers={"X-CSRF-Token": client.csrf})
    assert r.status_code == 200 and r.json()["fixed"] == 1
    assert "迄今，已是第十八届,规模空前。" in file.read_text(encoding="utf-8")
    r = client.post(ISSUE + "/fix", json={"base": r.json()["base"]}, headers={"X-CSRF-Token": client.csrf})
    assert "迄今，已是第十八届，规模空前。" in file.read_text(encoding="utf-8")


def test_saves_keep_the_previous_versions_and_one_can_be_restored(client, workspace):
    file = workspace / "shanxi-tongxin" / "2021-07" / "issue.md"
    original = file.read_text(encoding="utf-8")
    data = client.get(ISSUE).json()
    base = data["base"]
    texts = []
    for n in range(3):
        data["doc"]["lead"][0]["body"] += f"新加第{n}句。"
        r = put(client, {"base": base, "doc": data["doc"], "checkpoint": True})
        assert r.status_code == 200
        base = r.json()["base"]
        texts.append(file.read_text(encoding="utf-8"))
    versions = client.get(ISSUE + "/history").json()["versions"]
    assert len(versions) == 3  # the file before each of the three saves, newest first
    oldest = versions[-1]["name"]
    r = client.post(f"{ISSUE}/history/{oldest}/restore", json={"base": base}, headers={"X-CSRF-Token": client.csrf})
    assert r.status_code == 200 and file.read_text(encoding="utf-8") == original
    assert parse(original).to_json()["lead"] == r.json()["doc"]["lead"]
    assert len(client.get(ISSUE + "/history").json()["versions"]) == 4  # what the restore replaced is kept
    # a stale base is refused; a name that is not a kept version is not found
    r = client.post(f"{ISSUE}/history/{oldest}/restore", json={"base": base}, headers={"X-CSRF-Token": client.csrf})
    assert r.status_code == 409
    assert client.post(f"{ISSUE}/history/..%2Fissue.md/restore", json={"base": r.json()["current"]},
                       headers={"X-CSRF-Token": client.csrf}).status_code == 404
    assert not (workspace / "shanxi-tongxin" / "2021-07" / ".history" / "x").exists()


def test_a_new_issue_opens_without_warnings(workspace):
    from bulletin.api import check
    from bulletin.editor.new import new_issue

    folder = new_issue(workspace / "shanxi-tongxin", dt.date(2024, 3, 29))
    assert check(folder).warnings == []
    text = (folder / "issue.md").read_text(encoding="utf-8").replace("# 栏目名", "# 工作动态").replace("## 文章标题", "## 县里召开会议")
    assert check(folder, text).problems == [] or all(p.severity == "info" for p in check(folder, text).problems)


def make_series(root: Path, count: int) -> Path:
    series = root / "county"
    series.mkdir(parents=True)
    shutil.copy(SAMPLE.parent / "series.yaml", series / "series.yaml")
    for n in range(1, count + 1):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=n)
        folder = series / f"{day.year}-{n:03d}"
        folder.mkdir()
        (folder / "issue.md").write_text(f"---\nnumber: {n}\ndate: {day.isoformat()}\n---\n\n## 第{n}期的文章\n\n"
                                         "这是正文。\n\n（编辑部）\n", encoding="utf-8")
    return series


def test_the_list_of_200_issues_comes_from_cached_results(tmp_path):
    import time

    make_series(tmp_path / "issues", 200)
    cache = tmp_path / "status.json"
    app = create_app(tmp_path / "issues", port=8000, renderer=StubRenderer(), status_cache=cache)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        page = c.get("/").text
        assert page.count('class="pending"') == 200  # shown at once, figures to come
        assert app.state.status.checks == 0
        import re

        keys = re.findall(r'data-key="(county/[^"]+)"', page)
        assert len(keys) == 200
        for i in range(0, 200, 20):
            data = c.get("/api/status", params=[("issue", k) for k in keys[i:i + 20]]).json()
            assert all(data[k]["number"] for k in keys[i:i + 20])
        assert app.state.status.checks == 200
        start = time.perf_counter()
        page = c.get("/").text
        seconds = time.perf_counter() - start
        assert 'class="pending"' not in page and app.state.status.checks == 200  # no check ran
        assert seconds < 1.0, seconds
        print(f"\nlist of 200 issues from the cache: {seconds:.3f} s")
    # a restarted editor reads the cache file; an edited issue is checked again, alone
    (tmp_path / "issues" / "county" / keys[0].split("/")[1] / "issue.md").write_text(
        "---\nnumber: 200\ndate: 2020-07-19\n---\n\n## 改过的文章\n\n正文。\n", encoding="utf-8")
    app = create_app(tmp_path / "issues", port=8000, renderer=StubRenderer(), status_cache=cache)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/").text.count('class="pending"') == 1


def test_a_series_folder_is_a_workspace_of_that_series(workspace):
    series = workspace / "shanxi-tongxin"
    shutil.copytree(series, workspace / "other")
    app = create_app(series, port=8000, renderer=StubRenderer(), status_cache=workspace.parent / "s.json")
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        page = c.get("/").text
        assert 'data-key="shanxi-tongxin/2021-07"' in page and "other/" not in page
        assert c.get("/edit/shanxi-tongxin/2021-07").status_code == 200
        assert c.get("/api/issues/other/2021-07").status_code == 404
    empty = workspace.parent / "empty"
    empty.mkdir()
    app = create_app(empty, port=8000, renderer=StubRenderer(), status_cache=workspace.parent / "s.json")
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert "这个文件夹里没有刊物" in c.get("/").text


def test_cli_port_in_use_is_one_clear_line(workspace):
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "bulletin.cli", "serve", str(workspace), "--port", str(port)],
                             capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"错误 端口 {port} 已被占用（可能已有编辑器在运行）：换一个端口，如 --port {port + 1}"]
    assert "Traceback" not in run.stderr + run.stdout


def test_the_draft_flag_is_shown_and_toggled(client, workspace):
    file = workspace / "shanxi-tongxin" / "2021-07" / "issue.md"
    data = client.get(ISSUE).json()
    assert data["doc"]["front"]["draft"] == ""
    data["doc"]["front"]["draft"] = "true"
    response = put(client, {"base": data["base"], "doc": data["doc"]})
    assert response.status_code == 200, response.text
    text = file.read_text(encoding="utf-8")
    assert "\ndraft: true\n" in text
    status = client.get("/api/status", params={"issue": "shanxi-tongxin/2021-07"}).json()
    assert status["shanxi-tongxin/2021-07"]["draft"] is True  # index.js marks the row with it
    assert 'class="draft">草稿</span>' in client.get("/").text  # the list shows it, from the cache
    data = client.get(ISSUE).json()
    assert data["doc"]["front"]["draft"] == "true"
    data["doc"]["front"]["draft"] = ""
    response = put(client, {"base": data["base"], "doc": data["doc"]})
    assert response.status_code == 200 and "draft:" not in file.read_text(encoding="utf-8")
