"""Sending numbered copies by e-mail (`bulletin distribute --send`), exactly once per body.

Settings: `mail:` in recipients.yaml (host, port, user, tls, sender, subject, body), each
overridable by the environment: BULLETIN_SMTP_HOST, _PORT, _USER, _TLS (starttls | ssl | none),
_FROM. The password is read only from BULLETIN_SMTP_PASSWORD and never written anywhere.

Every delivery is recorded in the issue folder's send log (sent-log.jsonl, one JSON object per
line, flushed to disk): “sending” before the message is handed to the server, then “sent” or
“failed”. A re-run sends only to bodies without a “sent” record. A “sending” record with no
outcome (the process died while the server had the message) is reported as uncertain and not
sent again unless asked (`--resend ID`): a copy is never sent twice by accident.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path

from ..errors import BulletinError, Problem

from ..source.recipients import SEND_LOG  # noqa: F401  (the issue folder's send log)
ENV = "BULLETIN_SMTP_"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    tls: str
    sender: str

    def __repr__(self) -> str:  # never print the password
        return f"SmtpSettings(host={self.host!r}, port={self.port}, user={self.user!r}, tls={self.tls!r})"


@dataclass
class Delivery:
    recipient_id: str
    name: str
    email: str
    copy: str  # copy number label
    file: Path
    status: str  # sent | already-sent | uncertain | failed | would-send
    detail: str = ""


def smtp_settings(mail, where: Path, env: dict | None = None) -> SmtpSettings:
    env = os.environ if env is None else env
    host = env.get(ENV + "HOST") or (mail.host if mail else None)
    sender = env.get(ENV + "FROM") or (mail.sender if mail else None)
    tls = (env.get(ENV + "TLS") or (mail.tls if mail else "starttls")).lower()
    missing = [k for k, v in (("host", host), ("sender", sender)) if not v]
    if missing:
        raise BulletinError(Problem(where, None, f"发送设置缺少 {'、'.join(missing)}", f"mail settings lack {', '.join(missing)}",
                                    "在 recipients.yaml 的 mail: 下写 host、sender，或设环境变量 BULLETIN_SMTP_HOST / BULLETIN_SMTP_FROM",
                                    "set host and sender under mail: in recipients.yaml, or BULLETIN_SMTP_HOST / _FROM"))
    if tls not in ("starttls", "ssl", "none"):
        raise BulletinError(Problem(where, None, f"tls 只能是 starttls、ssl 或 none，不能是 {tls}",
                                    f"tls must be starttls, ssl or none, not {tls}"))
    try:
        port = int(env.get(ENV + "PORT") or (mail.port if mail and mail.port else 0)) or \
            {"ssl": 465, "starttls": 587, "none": 25}[tls]
    except ValueError:
        raise BulletinError(Problem(where, None, "BULLETIN_SMTP_PORT 应为整数", "BULLETIN_SMTP_PORT must be a number")) from None
    password = env.get(ENV + "PASSWORD") or None
    if password and tls == "none" and host not in LOOPBACK:
        raise BulletinError(Problem(where, None, "不加密时不向其他主机发送密码", "refusing to send a password unencrypted",
                                    "把 tls 设为 starttls 或 ssl", "set tls to starttls or ssl"))
    return SmtpSettings(host, port, env.get(ENV + "USER") or (mail.user if mail else None), password, tls, sender)


class SendLog:
    """The issue's send log: last record per body wins."""

    def __init__(self, path: Path):
        from ..errors import os_problem
        from ..limits import MAX_SEND_LOG_BYTES
        from ..text import too_large

        self.path = path
        self.last: dict[str, dict] = {}
        if not path.exists():
            return
        try:
            if path.stat().st_size > MAX_SEND_LOG_BYTES:
                raise BulletinError(too_large(path, path.stat().st_size, MAX_SEND_LOG_BYTES))
            data = path.read_bytes()
        except OSError as exc:
            raise BulletinError(os_problem(exc, path, ("读取发送记录", "read the send log"))) from None
        for n, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
                self.last[str(record["recipient"])] = record
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
                raise BulletinError(Problem(path, n, "发送记录有一行损坏（不是 bulletin 写的内容，或不是 UTF-8）",
                                            "a send-log line is damaged (not written by bulletin, or not UTF-8)",
                                            "核对后修正或删去这一行（删去则该单位可能被再次发送）",
                                            "check and fix or delete the line (deleting may send that body again)")) from None

    def append(self, record: dict) -> None:
        record = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), **record}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.last[record["recipient"]] = record


def _bounded_sandbox():
    from jinja2.sandbox import SandboxedEnvironment

    class BoundedSandbox(SandboxedEnvironment):
        """The sandbox, with * and ** bounded: {{ 'x' * 10**9 }} would otherwise take a gigabyte."""

        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context, operator, left, right):
            from jinja2.exceptions import SecurityError

            if operator == "**" and isinstance(right, (int, float)) and abs(right) > 100:
                raise SecurityError("exponent too large")
            if operator == "*" and any(isinstance(v, int) and abs(v) > 10_000 for v in (left, right)) and \
                    any(isinstance(v, (str, list, tuple)) for v in (left, right)):
                raise SecurityError("repetition too large")
            return super().call_binop(context, operator, left, right)

    return BoundedSandbox


TEMPLATE_NAMES = ("title", "series", "publisher", "year", "number", "date", "recipient", "copy", "file")


def _template_line(where: Path, key: str) -> int | None:
    """The line of `subject:` or `body:` under `mail:` in recipients.yaml."""
    import re

    try:
        lines = where.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    in_mail = False
    for n, line in enumerate(lines, 1):
        if re.match(r"^mail\s*:", line):
            in_mail = True
            if re.search(rf"[{{,]\s*{key}\s*:", line):
                return n
        elif in_mail and re.match(rf"^\s+{key}\s*:", line):
            return n
        elif line[:1].strip() and not line.startswith("#"):
            in_mail = False
    return None


def _templates(mail, where: Path, sample: dict | None = None):
    """The subject and body templates, compiled — and tried with `sample` values, so a typo such
    as {{ titel }} is an error before anything is sent (also with --dry-run)."""
    from jinja2 import StrictUndefined, TemplateError, UndefinedError

    _BoundedSandbox = _bounded_sandbox()

    env = _BoundedSandbox(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
    compiled = []
    for key in ("subject", "body"):
        try:
            template = env.from_string(getattr(mail, key))
            if sample is not None:
                template.render(sample)
            compiled.append(template)
        except UndefinedError as exc:
            import re

            name = re.search(r"'([^']*)' is undefined", str(exc))
            known = "、".join("{{ %s }}" % n for n in TEMPLATE_NAMES)
            raise BulletinError(Problem(
                where, _template_line(where, key),
                f"邮件{'标题' if key == 'subject' else '正文'}模板里的 {{{{ {name.group(1) if name else '?'} }}}} 不认识",
                f"the mail {key} template uses an unknown name: {exc}",
                f"可用的有：{known}", "known names: " + ", ".join(TEMPLATE_NAMES))) from None
        except TemplateError as exc:
            raise BulletinError(Problem(
                where, _template_line(where, key), f"邮件{'标题' if key == 'subject' else '正文'}模板写法不对",
                f"mail {key} template error: {exc}", "检查 {{ }} 和 {% %} 是否成对",
                "check that {{ }} and {% %} are paired")) from None
    return compiled[0], compiled[1]


def _values(dist, body, copy) -> dict:
    """What a mail template may use (TEMPLATE_NAMES)."""
    b = dist.bulletin
    return {"title": b.title, "series": b.series.name, "publisher": b.series.publisher, "year": b.issue.year,
            "number": b.issue.number, "date": f"{b.issue.date.year}年{b.issue.date.month}月{b.issue.date.day}日",
            "recipient": body.name, "copy": copy.label, "file": copy.delivered[0][0].name}


def message_for(dist, body, copy, settings: SmtpSettings, subject_t, body_t) -> EmailMessage:
    values = _values(dist, body, copy)
    msg = EmailMessage()
    msg["Subject"] = " ".join(subject_t.render(values).split())  # one line, no header injection
    msg["From"] = settings.sender
    msg["To"] = formataddr((body.name, body.email))
    msg["Date"] = formatdate(localtime=True)
    domain = settings.sender.rsplit("@", 1)[-1].strip(" >") or "bulletin.invalid"
    msg["Message-ID"] = f"<{dist.stem}.{copy.label}.{copy.delivered[0][1][:16]}@{domain}>"
    msg.set_content(body_t.render(values))
    for file, _ in copy.delivered:  # the PDF and/or the OFD (application/ofd, as 电子公文 systems send it)
        msg.add_attachment(file.read_bytes(), maintype="application", subtype=file.suffix[1:].lower(), filename=file.name)
    return msg


def _connect(settings: SmtpSettings, timeout: float = 30):
    if settings.tls == "ssl":
        server = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        if settings.tls == "starttls":
            server.starttls(context=ssl.create_default_context())
    if settings.user and settings.password:
        server.login(settings.user, settings.password)
    return server


def send(dist, dry_run: bool = False, resend: frozenset[str] = frozenset(), env: dict | None = None) -> list[Delivery]:
    """Mail each body with an address its first numbered copy, at most once (see module doc)."""
    registry_file = dist.issue_dir.resolve().parent / "recipients.yaml"
    mail = dist.bulletin.registry.mail if dist.bulletin.registry else None
    log = SendLog(dist.issue_dir / SEND_LOG)
    todo, report = [], []
    for body in dist.recipients():
        if not body.email:
            continue
        copy = dist.copies_of(body.id)[0]
        file, sha256 = copy.delivered[0]
        delivery = Delivery(body.id, body.name, body.email, copy.label, file, "would-send")
        last = log.last.get(body.id)
        if last and body.id not in resend:
            if last.get("event") == "sent":
                delivery.status = "already-sent"
                delivery.detail = last.get("at", "")
                if last.get("sha256") != sha256:
                    delivery.detail += "（发送的是此前的版本 / an earlier version was sent）"
                report.append(delivery)
                continue
            if last.get("event") in ("sending", "uncertain"):
                delivery.status = "uncertain"
                delivery.detail = last.get("at", "")
                report.append(delivery)
                continue
        todo.append((body, copy, delivery))
    subject_t, body_t = _templates(mail or _default_mail(), registry_file, _values(dist, *todo[0][:2]) if todo else None)
    if dry_run or not todo:
        return report + [d for _, _, d in todo]
    settings = smtp_settings(mail, registry_file, env)
    messages = [(body, copy, d, message_for(dist, body, copy, settings, subject_t, body_t)) for body, copy, d in todo]
    try:
        server = _connect(settings)
    except Exception as exc:  # noqa: BLE001 - refused, unreachable, TLS or login failure: nothing was sent
        for _, _, d, _ in messages:
            d.status, d.detail = "failed", f"{type(exc).__name__}: {exc}"
        return report + [d for _, _, d, _ in messages]
    try:
        for body, copy, d, msg in messages:
            file, sha256 = copy.delivered[0]
            record = {"recipient": body.id, "email": body.email, "copy": copy.label, "file": file.name,
                      "sha256": sha256, "message_id": msg["Message-ID"]}
            log.append({**record, "event": "sending"})
            try:
                server.send_message(msg, from_addr=_address(settings.sender), to_addrs=[body.email])
            except smtplib.SMTPResponseException as exc:  # the server answered “no”: not delivered
                error = f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
                log.append({**record, "event": "failed", "error": error})
                d.status, d.detail = "failed", error
                continue
            except (OSError, smtplib.SMTPException) as exc:  # no answer: the server may have it
                log.append({**record, "event": "uncertain", "error": f"{type(exc).__name__}: {exc}"})
                d.status, d.detail = "uncertain", f"{type(exc).__name__}: {exc}"
                for _, _, rest, _ in messages[messages.index((body, copy, d, msg)) + 1:]:
                    rest.status, rest.detail = "failed", "未发送：连接中断 / not sent: connection lost"
                break
            log.append({**record, "event": "sent"})
            d.status = "sent"
    finally:
        try:
            server.quit()
        except Exception:
            pass
    return report + [d for _, _, d, _ in messages]


def _address(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1] or sender


def _default_mail():
    from ..model import MailSettings

    return MailSettings()
