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
from .document import FRONT_FIELDS, from_json, parse, serialize
from .jobs import BodyLimit, Busy, HeavyWork, Stopped
from .renderer import problem_json
from .workspace import MAX_IMPORT, Conflict, Refused, Workspace

HERE = Path(__file__).parent
PREVIEW_WAIT = 15.0  # seconds a preview request waits for a newer render before answering “pending”
UI = {
    "zh": {"title": "简报编辑", "series": "刊物", "issues": "期刊", "new": "新建下一期", "date": "日期", "number": "期号",
           "pages": "页数", "status": "检查", "open": "编辑", "errors": "错误", "warnings": "警告", "ok": "无问题",
           "create": "新建", "lang": "English", "token": "请输入口令", "login": "进入"},
    "en": {"title": "Bulletin editor", "series": "Series", "issues": "Issues", "new": "New issue", "date": "Date",
           "number": "No.", "pages": "Pages", "status": "Check", "open": "Edit", "errors": "errors",
           "warnings": "warnings", "ok": "no problems", "create": "Create", "lang": "中文", "token": "Token required",
           "login": "Enter"},
}


def locate(text: str, problems: list[dict]) -> list[dict]:
    """Attach to each problem in issue.md the field it concerns: a front-matter key, or an article
    (section index, article index, field) — so the editor can point at it."""
    import yaml

    from ..source.yaml_input import compose_node

    doc = parse(text)
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
            field = "body"
            if a.kicker and offset == 0:
                field = "kicker"
            elif offset == (1 if a.kicker else 0):
                field = "title"
            p["where"] = {"kind": "article", "section": i, "article": j, "field": field}
    return problems


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
               renderer=None) -> Starlette:
    from .renderer import Renderer

    workspace = Workspace(issues_dir)
    renderer = renderer or Renderer()
    heavy = HeavyWork()
    csrf = secrets.token_urlsafe(24)
    names = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost", "::1") else {host}
    hosts = {f"{n}:{port}" for n in names} | ({n for n in names} if port == 80 else set())
    settings = {"hosts": hosts, "origins": {f"http://{h}" for h in hosts}, "token": token, "csrf": csrf}
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
        from ..api import check
        from ..source.load import load_series

        rows = []
        for series, issues in workspace.list():
            items = []
            for name in issues:
                ref = workspace.issue(series, name)
                item = {"name": name, "number": "", "date": "", "pages": "", "errors": 0, "warnings": 0, "broken": False}
                result = check(ref.folder)  # loads the issue once (it used to be loaded, then checked)
                if result.loaded is None:
                    item["broken"], item["errors"] = True, len(result.problems)
                else:
                    bulletin = result.loaded.bulletin
                    item["number"], item["date"] = bulletin.issue.number, bulletin.issue.date.isoformat()
                    item["errors"], item["warnings"] = len(result.errors), len(result.warnings)
                current = renderer.current(ref.folder)
                if current is not None and current.ok:
                    item["pages"] = len(current.pages)
                items.append(item)
            try:
                title = load_series(workspace.series_dir(series)).name
            except BulletinError:
                title = series
            rows.append({"name": series, "title": title, "issues": items})
        return rows

    async def index(request: Request):
        rows = await heavy.run(issue_rows)  # loads and checks every issue: never on the event loop
        return page(request, "index.html", rows=rows, today=dt.date.today().isoformat())

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
        original = parse(text_now)
        try:
            doc = from_json(data.get("doc") or {}, original)
            text = serialize(doc, original)
        except (AttributeError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad document: {exc}"}, status_code=400)
        try:
            await heavy.run(load, ref.folder, text)
        except BulletinError as exc:
            problems = [p for p in exc.problems if p.severity == "error"]
            return JSONResponse({"saved": False, "problems": locate(text, [problem_json(p) for p in problems])}, status_code=422)
        if text == text_now:
            return JSONResponse({"saved": False, "unchanged": True, "base": current})
        try:
            base = await heavy.run(workspace.save, ref, text, current)  # may wait for another process's save
        except Conflict as exc:
            return JSONResponse({"conflict": True, "current": exc.current}, status_code=409)
        except BulletinError as exc:
            return JSONResponse({"error": exc.format(lang_of(request))}, status_code=503)
        visible = data.get("visible")  # the page on screen: rasterised first
        version = renderer.request(ref.folder, **({"visible": visible} if isinstance(visible, int) else {}))
        return JSONResponse({"saved": True, "base": base, "version": version, "doc": parse(text).to_json()})

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
        return JSONResponse({"version": result.version, "ok": result.ok, "pages": len(result.pages),
                             "seconds": round(result.seconds, 2), "problems": locate(text, [dict(p) for p in result.problems]),
                             # what each page shows: an image whose digest is unchanged need not be fetched again
                             "digests": list(getattr(result, "digests", [])),
                             "changed": list(getattr(result, "rasterised", [])),
                             "pause": save_pause(result.seconds)})

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
        if result is None or not result.pdf:
            version = renderer.request(ref.folder)
            result = await renderer.wait_async(ref.folder, version - 1, 2 * PREVIEW_WAIT)
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
        Route("/edit/{series}/{issue}", editor),
        Route("/api/issues/{series}/{issue}", get_issue, methods=["GET"]),
        Route("/api/issues/{series}/{issue}", put_issue, methods=["PUT"]),
        Route("/api/issues/{series}/{issue}/preview", get_preview),
        Route("/api/issues/{series}/{issue}/import", import_file, methods=["POST"]),
        Route("/api/issues/{series}/{issue}/images", upload_image, methods=["POST"]),
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
