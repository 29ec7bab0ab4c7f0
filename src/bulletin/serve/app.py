"""`bulletin serve`: a local web editor over ISSUES_DIR with live page preview (Starlette).

The files stay the truth: the browser edits fields, the server writes the same issue.md the CLI
reads (document.py keeps untouched parts byte for byte) and renders the saved file in a warm
background process (renderer.py).

Security: binds to 127.0.0.1 unless told otherwise, and then only with a token; every
state-changing request carries the page's CSRF token (a header, or a form field) and must come
from our own origin; the Host header must be ours (no DNS rebinding); series and issues are
addressed by folder name and resolved inside ISSUES_DIR only (workspace.py); uploads are limited
in size and checked by content; the pages escape everything (autoescaping Jinja, textContent in JS).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import re
import secrets
import tempfile
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import BulletinError
from ..limits import MAX_IMAGE_BYTES, MAX_REQUEST_BYTES, MAX_UPLOAD_BYTES
from .document import FRONT_FIELDS, from_json, serialize
from .document import parse as parse_text
from .jobs import BodyLimit, Busy, HeavyWork, Stopped
from .renderer import problem_json
from .workspace import MAX_IMPORT, NAME, Conflict, Refused, Workspace

HERE = Path(__file__).parent
PREVIEW_WAIT = 15.0  # seconds a preview request waits for a newer render before answering “pending”
UI = {
    "zh": {"title": "简报编辑", "series": "刊物", "issues": "期刊", "new": "新建下一期", "date": "日期", "number": "期号",
           "pages": "页数", "status": "检查", "open": "编辑", "errors": "错误", "warnings": "警告", "ok": "无问题",
           "create": "新建", "lang": "English", "token": "请输入口令", "login": "进入", "undo": "↶ 撤销",
           "redo": "↷ 重做", "save": "保存", "save_tip": "立即保存（Ctrl+S）", "undo_tip": "撤销（Ctrl+Z）",
           "redo_tip": "重做（Ctrl+Y）", "history": "历史版本", "zoom_in": "放大", "zoom_out": "缩小",
           "build": "排版", "distribute": "分发", "working": "处理中…", "checking": "检查中…", "draft": "草稿",
           "empty": "这个文件夹里没有刊物：刊物文件夹里要有 series.yaml。可以把 bulletin serve 指向总文件夹或某一个刊物文件夹。"},
    "en": {"title": "Bulletin editor", "series": "Series", "issues": "Issues", "new": "New issue", "date": "Date",
           "number": "No.", "pages": "Pages", "status": "Check", "open": "Edit", "errors": "errors",
           "warnings": "warnings", "ok": "no problems", "create": "Create", "lang": "中文", "token": "Token required",
           "login": "Enter", "undo": "↶ Undo", "redo": "↷ Redo", "save": "Save", "save_tip": "Save now (Ctrl+S)",
           "undo_tip": "Undo (Ctrl+Z)", "redo_tip": "Redo (Ctrl+Y)", "history": "History", "zoom_in": "Zoom in",
           "zoom_out": "Zoom out", "build": "Build", "distribute": "Distribute", "working": "Working…",
           "checking": "Checking…", "draft": "draft",
           "empty": "No series in this folder: a series folder holds a series.yaml. Point bulletin serve at the issues "
                    "folder or at one series folder."},
}


_PARSED: list[tuple[str, object]] = []  # the last texts parsed and their documents (read only)


def parse(text: str):
    """document.parse, kept for the last few texts: a save, the preview answer after it and the
    next save all parse the same text (~5 ms each on the sample). Nobody changes an IssueDoc once
    made (from_json makes new ones), so the same one may be handed out again."""
    for known, doc in _PARSED:
        if known == text:
            return doc
    doc = parse_text(text)
    _PARSED.insert(0, (text, doc))
    del _PARSED[4:]
    return doc


def locate(text: str, problems: list[dict], doc=None) -> list[dict]:
    """Attach to each problem in issue.md the field it concerns: a front-matter key, or an article
    (section index, article index, field) — so the editor can point at it. `doc`: parse(text), if
    the caller has it."""
    import yaml

    from ..source.yaml_input import compose_node

    doc = doc or parse(text)
    front_lines = 2 + doc.front_text.count("\n")  # "---", the YAML, "---"
    keys: dict[int, str] = {}
    try:
        node = compose_node(doc.front_text)
        for k, _ in getattr(node, "value", []):
            keys[k.start_mark.line + 2] = k.value
    except yaml.YAMLError:
        pass
    chunks = []  # (first file line, section index or -1, article index, doc)
    for j, a in enumerate(doc.lead):
        chunks.append((front_lines + int(a.key[1:]) + 1, -1, j, a))
    for i, s in enumerate(doc.sections):
        for j, a in enumerate(s.articles):
            chunks.append((front_lines + int(a.key[1:]) + 1, i, j, a))
    chunks.sort(key=lambda c: c[0])
    for p in problems:
        line = p.get("line")
        if p.get("file") != "issue.md" or not line:
            continue
        if line <= front_lines:
            best = max((n for n in keys if n <= line), default=None)
            if best is not None and keys[best] in (*FRONT_FIELDS, "distribution"):
                p["where"] = {"kind": "front", "field": keys[best]}
            continue
        inside = [c for c in chunks if c[0] <= line]
        if inside:
            first, i, j, a = inside[-1]
            offset = line - first
            where = {"kind": "article", "section": i, "article": j, "field": "body"}
            title_at, body_at, byline_at = _article_lines(a)
            if a.kicker and offset < title_at:
                where["field"] = "kicker"
            elif offset == title_at:
                where["field"] = "title"
            elif a.subtitle and title_at < offset < body_at:
                where["field"] = "subtitle"
            elif byline_at is not None and offset == byline_at:
                where["field"] = "byline"
            elif offset >= body_at:
                where["line"] = offset - body_at + 1  # the line within the body field
            p["where"] = where
    return problems


def _article_lines(a) -> tuple[int, int, int | None]:
    """Line offsets within an article chunk: (its ## title, the body's first line, the byline)."""
    lines = a.raw.split("\n")
    title_at = next((n for n, ln in enumerate(lines) if ln.startswith("## ")), 0)
    n = title_at + 1
    while n < len(lines) and not lines[n].strip():
        n += 1
    if a.subtitle and n < len(lines) and lines[n].startswith("副题"):
        n += 1
        while n < len(lines) and not lines[n].strip():
            n += 1
    byline_at = None
    if a.byline:
        byline_at = max((k for k, ln in enumerate(lines) if ln.strip()), default=None)
    return title_at, n, byline_at


def mark_fixable(text: str, file: Path, problems: list[dict]) -> list[dict]:
    """Mark the problems `check --fix` can correct (one click in the editor)."""
    from ..check.lint import findings

    fixable = {(f.line, f.start + 1) for f in findings(text, file) if f.replacement is not None}
    for p in problems:
        if p.get("file") == "issue.md" and (p.get("line"), p.get("column")) in fixable:
            p["fixable"] = True
    return problems


def page_map(marks: list[tuple[int, float]], doc) -> list[dict]:
    """Where each article starts: [{page, top (0 = page top, 1 = bottom), section, article}], from
    the outline of the laid-out pages (renderer.page_marks: one entry per section and article, in
    order) — the renderer sends it with the pages, no PDF is read for it."""
    if not marks:
        return []
    order: list[tuple[str, int, int]] = [("article", -1, j) for j in range(len(doc.lead))]
    for i, s in enumerate(doc.sections):
        order.append(("section", i, -1))
        order += [("article", i, j) for j in range(len(s.articles))]
    if len(order) != len(marks):
        return []
    return [{"page": page, "top": top, "section": i, "article": j}
            for (kind, i, j), (page, top) in zip(order, marks) if kind == "article"]


class Guard:
    """ASGI middleware: Host check, token (when bound beyond loopback), CSRF and origin checks."""

    def __init__(self, app, settings):
        self.app, self.settings = app, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        s = self.settings
        host = request.headers.get("host", "")
        if host not in s["hosts"]:
            return await PlainTextResponse("bad host", status_code=400)(scope, receive, send)
        if s["token"]:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given, s["token"]):
                response = RedirectResponse(request.url.path, status_code=303)
                response.set_cookie("bulletin_token", s["token"], httponly=True, samesite="strict")
                return await response(scope, receive, send)
            if not hmac.compare_digest(request.cookies.get("bulletin_token", ""), s["token"]):
                page = "<!doctype html><meta charset=utf-8><title>bulletin</title><form><p>请输入口令 / token: " \
                       "<input name=token type=password autofocus> <button>进入 / enter</button></form>"
                return await HTMLResponse(page, status_code=401)(scope, receive, send)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            if origin is not None and origin not in s["origins"]:
                return await PlainTextResponse("cross-origin request refused", status_code=403)(scope, receive, send)
            token = request.headers.get("x-csrf-token", "")
            if not token and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                form = await request.form()
                token = str(form.get("csrf", ""))
                scope["bulletin.form"] = form
            if not hmac.compare_digest(token, s["csrf"]):
                return await PlainTextResponse("missing or wrong CSRF token", status_code=403)(scope, receive, send)
        return await self.app(scope, receive, send)


def save_pause(seconds: float) -> int:
    """Milliseconds the editor waits after the last key before saving: the 350 ms it always waited
    when a render takes long (typing goes on meanwhile), down to 120 ms when it is quick — the
    renderer drops superseded requests, so saving sooner only brings the new page sooner."""
    return int(min(350, max(120, seconds * 400)))


def create_app(issues_dir: Path, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
               renderer=None, status_cache: Path | None = None) -> Starlette:
    from .renderer import Renderer
    from .status import StatusCache

    workspace = Workspace(issues_dir)
    status = StatusCache(status_cache)
    jobs: dict[str, dict] = {}
    renderer = renderer or Renderer()
    heavy = HeavyWork()
    csrf = secrets.token_urlsafe(24)
    names = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost", "::1") else {host}
    hosts = {f"{n}:{port}" for n in names} | ({n for n in names} if port == 80 else set())
    settings = {"hosts": hosts, "origins": {f"http://{h}" for h in hosts}, "token": token, "csrf": csrf}
    page_maps: dict = {}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)

    def lang_of(request: Request) -> str:
        lang = request.query_params.get("lang") or request.cookies.get("bulletin_lang") or "zh"
        return lang if lang in UI else "zh"

    def page(request: Request, name: str, **context) -> HTMLResponse:
        lang = lang_of(request)
        html = env.get_template(name).render(t=UI[lang], lang=lang, csrf=csrf, **context)
        response = HTMLResponse(html)
        if request.query_params.get("lang") in UI:
            response.set_cookie("bulletin_lang", lang, samesite="strict")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def ref_of(request: Request):
        return workspace.issue(request.path_params["series"], request.path_params["issue"])

    def issue_rows() -> list[dict]:
        """Every series and issue with the figures the cache has; those it has not are “pending”
        (the page asks for them with /api/status, a few at a time)."""
        from ..source.load import load_series
        from .status import series_stamp

        rows = []
        for series, issues in workspace.list():
            items = []
            stamp = series_stamp(workspace.series_dir(series))
            for name in issues:
                ref = workspace.issue(series, name)
                item = status.cached(ref.folder, stamp)
                if item is None:
                    item = {"number": "", "date": "", "errors": 0, "warnings": 0, "broken": False, "pages": "",
                            "pending": True}
                current = renderer.current(ref.folder)
                if not item["pages"] and current is not None and current.ok:
                    item["pages"] = len(current.pages)
                item["name"] = name
                items.append(item)
            try:
                title = load_series(workspace.series_dir(series)).name
            except BulletinError:
                title = series
            rows.append({"name": series, "title": title, "issues": items})
        return rows

    async def index(request: Request):
        rows = await heavy.run(issue_rows)  # reads files: never on the event loop
        return page(request, "index.html", rows=rows, today=dt.date.today().isoformat(), only=workspace.only)

    async def issue_status(request: Request):
        """Figures for the issues named in ?issue=series/issue (repeated): checked if not cached."""
        def compute(names):
            out = {}
            for name in names[:20]:
                series, _, issue = name.partition("/")
                ref = workspace.issue(series, issue)
                out[name] = status.compute(ref.folder)
            status.save()
            return out
        return JSONResponse(await heavy.run(compute, request.query_params.getlist("issue")))

    async def start_job(request: Request):
        """排版 / 分发 from the list page: runs in a thread; the page polls /api/jobs/{id}."""
        import itertools
        import time

        ref = ref_of(request)
        kind = request.url.path.rsplit("/", 1)[-1]  # build or distribute (the routes)
        busy = [j for j in jobs.values() if j["state"] == "running"]
        if len(busy) >= 2:
            return JSONResponse({"error": "已有两项任务在进行，请稍候 / two jobs are running, wait a moment"}, status_code=503)
        job_id = f"{len(jobs) + 1}-{secrets.token_hex(4)}"
        job = jobs[job_id] = {"id": job_id, "kind": kind, "issue": f"{ref.series}/{ref.issue}", "state": "running",
                              "started": time.time(), "done": 0, "total": 0, "message": "", "message_en": "", "files": []}
        counter = itertools.count()
        out_root = workspace.out_dir()

        def run():
            from ..api import build
            from ..distribute import distribute

            try:
                if kind == "build":
                    result = build(ref.folder, out_root)
                    job["files"] = [str(p) for p in result.outputs]
                    job["pages"] = result.pages
                    status.set_pages(ref.folder, result.pages)
                    status.save()
                    job["message"] = f"已排版：{result.pages} 页 → {result.output}"
                    job["message_en"] = f"built: {result.pages} pages → {result.output}"
                else:
                    def progress(done, total):
                        job["done"], job["total"] = done, total
                        next(counter)
                    dist = distribute(ref.folder, None if out_root is None else out_root / f"{ref.series}-{ref.issue}-distribution",
                                      progress=progress)
                    job["files"] = [str(p) for p in dist.files.values()]
                    named = [c for c in dist.copies if c.recipient is not None]
                    job["message"] = f"已分发：{len(dist.recipients())} 个单位，编号副本 {len(named)} 份 → {dist.out_dir}"
                    job["message_en"] = f"distributed: {len(dist.recipients())} recipients, {len(named)} numbered copies → {dist.out_dir}"
                job["state"] = "done"
            except BulletinError as exc:
                job["state"] = "failed"
                job["message"], job["message_en"] = exc.format("zh"), exc.format("en")
            except Exception as exc:  # noqa: BLE001 - shown on the page; the server goes on
                job["state"] = "failed"
                job["message"] = job["message_en"] = f"{type(exc).__name__}: {exc}"
            job["seconds"] = round(time.time() - job["started"], 1)

        import threading

        threading.Thread(target=run, daemon=True).start()
        return JSONResponse(job)

    async def get_job(request: Request):
        import time

        job = jobs.get(request.path_params["job"])
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        return JSONResponse(dict(job, elapsed=round(time.time() - job["started"], 1)))

    async def new_issue(request: Request):
        from ..editor.new import new_issue as make

        form = request.scope.get("bulletin.form") or await request.form()
        try:
            folder = make(workspace.series_dir(request.path_params["series"]),
                          dt.date.fromisoformat(str(form.get("date") or dt.date.today().isoformat())))
        except ValueError:
            return PlainTextResponse("日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD", status_code=400)
        except BulletinError as exc:
            return PlainTextResponse(exc.format(lang_of(request)), status_code=400)
        return RedirectResponse(f"/edit/{folder.parent.name}/{folder.name}", status_code=303)

    async def editor(request: Request):
        ref = ref_of(request)
        return page(request, "editor.html", series=ref.series, issue=ref.issue)

    def registry_json(ref) -> list | None:
        from ..source.recipients import load_registry

        try:
            registry = load_registry(ref.folder.parent)
        except BulletinError:
            return None
        if registry is None:
            return None
        return [{"id": b.id, "name": b.name, "category": b.category, "regular": b.regular} for b in registry.recipients]

    async def get_issue(request: Request):
        ref = ref_of(request)
        text, base = workspace.read(ref)
        try:
            doc = parse(text)
        except ValueError:
            return JSONResponse({"error": "issue.md 缺少 --- 前言，无法在编辑器中打开"}, status_code=422)
        version = renderer.request(ref.folder)
        return JSONResponse({"base": base, "doc": doc.to_json(), "registry": registry_json(ref), "version": version - 1,
                             "stem": f"{ref.series}/{ref.issue}"})

    async def put_issue(request: Request):
        from ..source.load import load

        ref = ref_of(request)
        data = await request.json()
        text_now, current = workspace.read(ref)
        if data.get("base") != current:
            return JSONResponse({"conflict": True, "current": current}, status_code=409)
        checkpoint = bool(data.get("checkpoint"))  # Ctrl+S: the version replaced goes to the history
        original = parse(text_now)
        try:
            doc = from_json(data.get("doc") or {}, original)
            text = serialize(doc, original)
        except (AttributeError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad document: {exc}"}, status_code=400)

        visible = data.get("visible")  # the page on screen: rasterised first
        visible = {"visible": visible} if isinstance(visible, int) else {}
        # the render starts from this text at once, while it is checked and saved; if it is not
        # saved after all, that render is cancelled (never shown) and the file rendered again
        version = renderer.request(ref.folder, text=text, **visible) if text != text_now else None

        def checked_save():
            """Load the new text (an edit that does not load is not saved) and save it, in one trip
            to a worker thread."""
            try:
                load(ref.folder, text)
            except BulletinError as exc:
                return "refused", exc
            if text == text_now:
                return "unchanged", None
            return "saved", workspace.save(ref, text, current, checkpoint)  # may wait for another process's save

        try:
            try:
                outcome, value = await heavy.run(checked_save)
            except BaseException:
                outcome = "failed"
                raise
            finally:
                if version is not None and outcome != "saved":
                    renderer.cancel(ref.folder, version)
        except Conflict as exc:
            return JSONResponse({"conflict": True, "current": exc.current}, status_code=409)
        except BulletinError as exc:
            return JSONResponse({"error": exc.format(lang_of(request))}, status_code=503)
        if outcome == "refused":
            problems = [p for p in value.problems if p.severity == "error"]
            return JSONResponse({"saved": False, "problems": locate(text, [problem_json(p) for p in problems])}, status_code=422)
        if outcome == "unchanged":
            return JSONResponse({"saved": False, "unchanged": True, "base": current})
        return JSONResponse({"saved": True, "base": value, "version": version, "doc": parse(text).to_json()})

    async def get_preview(request: Request):
        ref = ref_of(request)
        try:
            after = int(request.query_params.get("after", "-1"))
        except ValueError:
            after = -1
        result = await renderer.wait_async(ref.folder, after, PREVIEW_WAIT)
        if result is None:
            return JSONResponse({"pending": True})
        text, _ = workspace.read(ref)
        try:
            doc = parse(text)
        except ValueError:
            doc = None
        problems = [dict(p) for p in result.problems]
        if problems and doc is not None:
            problems = mark_fixable(text, ref.file, locate(text, problems, doc))
        if result.ok and result is renderer.current(ref.folder):
            status.set_pages(ref.folder, len(result.pages))  # the list page shows it
        return JSONResponse({"version": result.version, "ok": result.ok, "pages": len(result.pages),
                             "seconds": round(result.seconds, 2), "problems": problems,
                             "map": page_map_of(ref.folder, result, doc),
                             # what each page shows: an image whose digest is unchanged need not be fetched again
                             "digests": list(getattr(result, "digests", [])),
                             "changed": list(getattr(result, "rasterised", [])),
                             "pause": save_pause(result.seconds)})

    def page_map_of(folder: Path, result, doc) -> list[dict]:
        if doc is None:
            return []
        key = (str(folder), result.version)
        if key not in page_maps:
            page_maps.clear()  # one issue at a time is plenty: it is cheap to make again
            page_maps[key] = page_map(getattr(result, "marks", []), doc)
        return page_maps[key]

    async def get_history(request: Request):
        import datetime as _dt

        ref = ref_of(request)
        versions = await heavy.run(workspace.history, ref)
        return JSONResponse({"versions": [
            {"name": name, "at": _dt.datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S"), "chars": chars}
            for name, at, chars in versions]})

    async def restore_version(request: Request):
        ref = ref_of(request)
        data = await request.json()
        try:
            base = await heavy.run(workspace.restore, ref, request.path_params["name"], str(data.get("base", "")))
        except Conflict as exc:
            return JSONResponse({"conflict": True, "current": exc.current}, status_code=409)
        text, _ = workspace.read(ref)
        version = renderer.request(ref.folder)
        return JSONResponse({"saved": True, "base": base, "version": version, "doc": parse(text).to_json()})

    async def fix_problem(request: Request):
        """`check --fix` for one finding (line and column in issue.md) or for all of them."""
        from ..check.lint import findings

        ref = ref_of(request)
        data = await request.json()
        text, current = workspace.read(ref)
        if data.get("base") != current:
            return JSONResponse({"conflict": True, "current": current}, status_code=409)
        line, column = data.get("line"), data.get("column")
        lines = text.split("\n")
        chosen = [f for f in findings(text, ref.file) if f.replacement is not None
                  and (line is None or (f.line == line and f.start + 1 == column))]
        for f in sorted(chosen, key=lambda f: (f.line, -f.start)):  # right to left: columns stay valid
            lines[f.line - 1] = lines[f.line - 1][:f.start] + f.replacement + lines[f.line - 1][f.end:]
        fixed = "\n".join(lines)
        if not chosen or fixed == text:
            return JSONResponse({"saved": False, "base": current, "doc": parse(text).to_json()})
        try:
            base = await heavy.run(workspace.save, ref, fixed, current, True)
        except Conflict as exc:
            return JSONResponse({"conflict": True, "current": exc.current}, status_code=409)
        version = renderer.request(ref.folder)
        return JSONResponse({"saved": True, "base": base, "version": version, "doc": parse(fixed).to_json(),
                             "fixed": len(chosen)})

    async def issue_file(request: Request):
        """A picture of the issue (images/…), for the thumbnails in the editor."""
        from starlette.responses import FileResponse

        ref = ref_of(request)
        name = request.path_params["name"]
        types = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}
        if not NAME.match(name) or Path(name).suffix.lower() not in types:
            raise Refused(name)
        path = workspace._inside(ref.folder / "images" / name)
        if path.parent != (ref.folder / "images").resolve() or not path.is_file():
            raise Refused(name)
        return FileResponse(path, media_type=types[Path(name).suffix.lower()], headers={"Cache-Control": "no-cache"})

    async def page_png(request: Request):
        ref = ref_of(request)
        result = renderer.current(ref.folder)
        n = request.path_params["page"]
        if result is None or not 1 <= n <= len(result.pages):
            return PlainTextResponse("no such page", status_code=404)
        digest = request.query_params.get("d")
        digests = getattr(result, "digests", [])
        if digest and n <= len(digests) and digest == digests[n - 1]:
            # the URL names what the page shows: the browser may keep it (an edit elsewhere changes nothing here)
            return Response(result.pages[n - 1], media_type="image/png",
                            headers={"Cache-Control": "private, max-age=86400, immutable"})
        return Response(result.pages[n - 1], media_type="image/png", headers={"Cache-Control": "no-store"})

    async def pdf(request: Request):
        ref = ref_of(request)
        result = renderer.current(ref.folder)
        if result is None:
            version = renderer.request(ref.folder)
            result = await renderer.wait_async(ref.folder, version - 1, 2 * PREVIEW_WAIT)
        if result is not None and not result.pdf and result.pages:
            # the pages on screen, whose whole PDF is painted after their images: made now if not yet,
            # never an older version's
            result = await renderer.pdf_async(ref.folder, 2 * PREVIEW_WAIT)
        if result is None or not result.pdf:
            return PlainTextResponse("这一期还不能排版，请先改正错误 / the issue cannot be rendered yet", status_code=409)
        return Response(result.pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{ref.series}-{ref.issue}.pdf"'})

    async def read_upload(request: Request, limit: int):
        # BodyLimit has already refused a body over MAX_UPLOAD_BYTES while it streamed in
        form = await request.form(max_files=1, max_fields=5, max_part_size=limit)
        upload = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            return None, JSONResponse({"error": "没有文件 / no file"}, status_code=400)
        data = await upload.read(limit + 1)
        if len(data) > limit:
            return None, JSONResponse({"error": "文件太大 / file too large"}, status_code=413)
        return (upload.filename or "", data, form), None

    async def import_file(request: Request):
        ref = ref_of(request)
        got, error = await read_upload(request, MAX_IMPORT)
        if error:
            return error
        filename, data, _ = got
        suffix = Path(filename).suffix.lower()
        if suffix == ".docx" and not data.startswith(b"PK"):
            return JSONResponse({"error": "不是 .docx 文件 / not a .docx file"}, status_code=400)
        if suffix not in (".docx", ".txt", ".md", ""):
            return JSONResponse({"error": "只能导入 .docx 或 .txt / only .docx or .txt"}, status_code=400)
        try:
            markdown, notes = await heavy.isolated(import_upload, filename, data, ref.folder)
        except BulletinError as exc:
            return JSONResponse({"error": exc.format(lang_of(request))}, status_code=400)
        except Stopped as exc:
            return JSONResponse({"error": f"导入失败：{exc.reason} / import failed: {exc.reason_en}"}, status_code=400)
        articles = parse("---\n---\n" + markdown).to_json()["lead"]
        for a in articles:
            a["key"] = ""
        return JSONResponse({"articles": articles, "warnings": [p.message for p in notes]})

    async def upload_image(request: Request):
        ref = ref_of(request)
        got, error = await read_upload(request, MAX_IMAGE_BYTES)
        if error:
            return error
        filename, data, form = got
        try:
            path = workspace.save_image(ref, filename, data)
        except BulletinError as exc:
            return JSONResponse({"error": exc.format("zh")}, status_code=400)
        caption = str(form.get("caption") or "").replace("]", "］").replace("\n", " ")
        return JSONResponse({"path": path, "markdown": f"![{caption}]({path})"})

    async def ui_font(request: Request):
        from starlette.responses import FileResponse

        from ..style.fonts import fonts

        return FileResponse(fonts()["sans"].path, media_type="font/otf", headers={"Cache-Control": "max-age=86400"})

    async def no_icon(request: Request):
        return Response(status_code=204)

    async def refused(request: Request, exc: Exception):
        return PlainTextResponse("not found", status_code=404)

    async def busy(request: Request, exc: Exception):
        return JSONResponse({"error": "服务器正忙，请稍后再试 / busy, try again shortly"}, status_code=503,
                            headers={"Retry-After": "2"})

    routes = [
        Route("/", index),
        Route("/new/{series}", new_issue, methods=["POST"]),
        Route("/api/status", issue_status),
        Route("/api/issues/{series}/{issue}/build", start_job, methods=["POST"]),
        Route("/api/issues/{series}/{issue}/distribute", start_job, methods=["POST"]),
        Route("/api/jobs/{job}", get_job),
        Route("/edit/{series}/{issue}", editor),
        Route("/api/issues/{series}/{issue}", get_issue, methods=["GET"]),
        Route("/api/issues/{series}/{issue}", put_issue, methods=["PUT"]),
        Route("/api/issues/{series}/{issue}/preview", get_preview),
        Route("/api/issues/{series}/{issue}/import", import_file, methods=["POST"]),
        Route("/api/issues/{series}/{issue}/images", upload_image, methods=["POST"]),
        Route("/api/issues/{series}/{issue}/history", get_history),
        Route("/api/issues/{series}/{issue}/history/{name}/restore", restore_version, methods=["POST"]),
        Route("/api/issues/{series}/{issue}/fix", fix_problem, methods=["POST"]),
        Route("/files/{series}/{issue}/images/{name}", issue_file),
        Route("/pages/{series}/{issue}/{version:int}/{page:int}.png", page_png),
        Route("/pdf/{series}/{issue}", pdf),
        Route("/ui-font.otf", ui_font),
        Route("/favicon.ico", no_icon),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        renderer.close()

    app = Starlette(routes=routes,
                    middleware=[Middleware(BodyLimit, limit_for=body_limit), Middleware(Guard, settings=settings)],
                    exception_handlers={Refused: refused, Busy: busy}, lifespan=lifespan)
    app.state.csrf = csrf
    app.state.renderer = renderer
    app.state.workspace = workspace
    app.state.heavy = heavy
    app.state.status = status
    return app


def body_limit(scope: dict) -> int:
    """The largest request body a route takes: uploads, or an issue as JSON."""
    if scope.get("method") == "POST" and scope.get("path", "").endswith(("/import", "/images")):
        return MAX_UPLOAD_BYTES
    return MAX_REQUEST_BYTES


def import_upload(filename: str, data: bytes, issue_dir: Path):  # runs in a separate process (jobs.py)
    """An uploaded Word or text file → (Markdown of its articles, notes); pictures go to images/."""
    from ..editor.docx_import import import_docx
    from ..editor.importer import decode, parse_text, to_markdown

    if Path(filename).suffix.lower() == ".docx":
        with tempfile.TemporaryDirectory() as tmp:
            stem = re.sub(r"[^\w-]+", "-", Path(filename).stem).strip("-")[:40] or "upload"
            path = Path(tmp) / f"{stem}.docx"  # its name also names the pictures saved from it
            path.write_bytes(data)
            return import_docx(path, issue_dir)
    text, notes = decode(data, Path(filename or "upload.txt"))
    imported = parse_text(text, Path(filename or "upload.txt"))
    notes += imported.warnings
    imported.lead += [a for s in imported.sections for a in s["articles"]]
    imported.sections = []
    return to_markdown(imported), notes
