"""Distribution: recipient registry, numbered copies, print run, register, archive, sending.

Sending is tested against a real SMTP server on localhost (aiosmtpd)."""
from __future__ import annotations

import csv
import email
import hashlib
import io
import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter

from bulletin.distribute import distribute, extract_archive
from bulletin.errors import BulletinError
from bulletin.source.load import load
from bulletin.distribute.mail import SEND_LOG, send, smtp_settings

from .conftest import SAMPLE, write_issue

MM = 72 / 25.4

REGISTRY = """\
recipients:
  - {id: a, name: 甲单位, category: 报, email: a@example.org}
  - {id: b, name: 乙单位, category: 送, copies: 2, email: b@example.org}
  - {id: c, name: 丙单位, category: 送}
  - {id: d, name: 丁单位, category: 抄送, email: d@example.org, address: 太原市某路1号}
  - {id: e, name: 戊单位, category: 发, email: e@example.org}
  - {id: x, name: 临时单位, category: 送, regular: false, email: x@example.org}
mail:
  sender: 测试协会 <bulletin@example.org>
  tls: none
  subject: "{{ title }}（份号 {{ copy }}）"
"""

BODY = "## 第一篇文章\n\n第一段正文，测试分发。\n\n（作者）\n\n## 第二篇文章\n\n第二段正文。\n"


def issue_with_registry(tmp_path: Path, front: str = "number: 3\ndate: 2024-03-15\n", registry: str = REGISTRY,
                        body: str = BODY) -> Path:
    issue = write_issue(tmp_path, front, body)
    (issue.parent / "recipients.yaml").write_text(registry, encoding="utf-8")
    return issue


def problems_of(exc: pytest.ExceptionInfo) -> str:
    return "\n".join(p.format("zh") for p in exc.value.problems)


# ---------------------------------------------------------------- the registry


def test_registry_gives_the_printed_lines_in_category_order(tmp_path):
    bulletin = load(issue_with_registry(tmp_path)).bulletin
    assert [(line.label, line.recipients) for line in bulletin.distribution] == [
        ("报", ["甲单位"]), ("送", ["乙单位", "丙单位"]), ("抄送", ["丁单位"]), ("发", ["戊单位"])]
    assert "临时单位" not in str(bulletin.distribution)  # regular: false


def test_issue_adds_and_drops_bodies(tmp_path):
    front = ("number: 3\ndate: 2024-03-15\ndistribution:\n"
             "  增发: [x, {name: 某大学, category: 抄送, email: u@example.edu}]\n  停发: [丙单位]\n")
    bulletin = load(issue_with_registry(tmp_path, front)).bulletin
    lines = {line.label: line.recipients for line in bulletin.distribution}
    assert lines["送"] == ["乙单位", "临时单位"] and lines["抄送"] == ["丁单位", "某大学"]
    added = [r for r in bulletin.recipients if r.name == "某大学"][0]
    assert added.email == "u@example.edu" and added.id == "added-1"


def test_explicit_lines_take_ids_or_names_from_the_registry(tmp_path):
    front = "number: 3\ndate: 2024-03-15\ndistribution:\n  报: [a, 乙单位]\n  送: 丙单位、x\n"
    bulletin = load(issue_with_registry(tmp_path, front)).bulletin
    assert [(line.label, line.recipients) for line in bulletin.distribution] == [
        ("报", ["甲单位", "乙单位"]), ("送", ["丙单位", "临时单位"])]


@pytest.mark.parametrize("front, line, text", [
    ("distribution:\n  报: [甲单位, 乙单 位]\n", 5, "没有“乙单 位”"),
    ("distribution:\n  停发: [不存在]\n", 5, "没有“不存在”"),
    ("distribution:\n  增发: [{name: 某单位}]\n", 5, "category"),
    ("distribution:\n  增发: [a]\n", 5, "每期都发"),
    ("distribution:\n  报: [a]\n  增发: [x]\n", 4, "不能同时"),
    ("distribution:\n  报: [a, a]\n", 4, "出现两次"),
])
def test_unknown_or_wrong_bodies_are_errors_with_file_and_line(tmp_path, front, line, text):
    issue = issue_with_registry(tmp_path, "number: 3\ndate: 2024-03-15\n" + front)
    with pytest.raises(BulletinError) as exc:
        load(issue)
    problem = exc.value.problems[0]
    assert problem.file.name == "issue.md" and problem.line == line, problem
    assert text in problems_of(exc)


def test_registry_errors_name_the_registry_file(tmp_path):
    issue = issue_with_registry(tmp_path, registry=REGISTRY.replace("id: c,", "id: a,"))
    with pytest.raises(BulletinError) as exc:
        load(issue)
    assert exc.value.problems[0].file.name == "recipients.yaml" and exc.value.problems[0].line == 4
    (issue.parent / "recipients.yaml").write_text(REGISTRY + "  password: hunter2\n", encoding="utf-8")
    with pytest.raises(BulletinError) as exc:
        load(issue)
    assert "BULLETIN_SMTP_PASSWORD" in problems_of(exc)
    (issue.parent / "recipients.yaml").write_text(REGISTRY.replace("category: 抄送", "category: 抄报"), encoding="utf-8")
    with pytest.raises(BulletinError) as exc:
        load(issue)
    assert exc.value.problems[0].line == 5


def test_series_distribution_and_registry_together_is_an_error(tmp_path):
    issue = issue_with_registry(tmp_path)
    series = issue.parent / "series.yaml"
    series.write_text(series.read_text(encoding="utf-8") + "distribution: {报: [甲单位]}\n", encoding="utf-8")
    with pytest.raises(BulletinError) as exc:
        load(issue)
    assert "recipients.yaml" in problems_of(exc)


def test_print_run_smaller_than_the_copies_is_an_error(tmp_path):
    issue = issue_with_registry(tmp_path, "number: 3\ndate: 2024-03-15\nprint_run: 3\n")
    with pytest.raises(BulletinError) as exc:
        distribute(issue, tmp_path / "out")
    assert "印数 3 份少于分发份数 6 份" in problems_of(exc)
    assert not (tmp_path / "out").exists()


def test_sample_series_registry_prints_the_reference_lines():
    bulletin = load(SAMPLE).bulletin
    assert [(line.label, line.recipients) for line in bulletin.distribution] == [
        ("报", ["中国通信企业协会", "山西省民政厅社会组织管理局"]),
        ("送", ["山西省通信管理局领导", "各中心", "各处室"])]


# ---------------------------------------------------------------- copies, print run, register, archive


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("dist")
    body = BODY + "\n![图一　测试图](images/fig1.png)\n"
    issue = issue_with_registry(root, "number: 3\ndate: 2024-03-15\nprint_run: 8\n", body=body)
    (issue / "images").mkdir()
    Image.new("RGB", (120, 80), (200, 30, 30)).save(issue / "images" / "fig1.png")
    return distribute(issue, root / "out", imposed=True)


def page_words(path: Path, index: int = 0):
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[index]
        return page.extract_words(keep_blank_chars=True), page.extract_text()


def test_copy_numbers_are_unique_in_print_order_with_spares(dist):
    numbers = [c.number for c in dist.copies]
    assert numbers == list(range(1, 9))  # 5 bodies, 乙单位 twice, 2 spares up to print_run 8
    assert [c.recipient.id if c.recipient else None for c in dist.copies] == ["a", "b", "b", "c", "d", "e", None, None]
    files = [c.file for c in dist.copies if c.recipient]
    assert len(set(files)) == 6 and all(f.is_file() for f in files)


def copy_number_chars(page) -> list[dict]:
    """The 份号: 3 号 (16 pt) digits on the first line of the block, from its left edge."""
    return sorted((c for c in page.chars if c["text"].isdigit() and abs(c["size"] - 16) < 0.1
                   and 37 * MM <= c["top"] < 37 * MM + 23), key=lambda c: c["x0"])


def test_each_copy_has_its_number_and_body_on_page_one(dist):
    for copy in dist.copies:
        if copy.recipient is None:
            continue
        words, text = page_words(copy.file)
        with pdfplumber.open(copy.file) as pdf:
            digits = copy_number_chars(pdf.pages[0])
        # GB/T 9704 §7.2.1: six Arabic digits, 3 号, top left of the block's first line
        assert "".join(c["text"] for c in digits) == copy.label
        assert digits[0]["x0"] == pytest.approx(28 * MM, abs=0.5)
        stamp = [w for w in words if w["bottom"] < 37 * MM]  # the receiving body: in the top margin
        assert copy.recipient.name in " ".join(w["text"] for w in stamp)
        assert "No." not in text
        assert hashlib.sha256(copy.file.read_bytes()).hexdigest() == copy.sha256
    # later pages are the issue's own
    issue_pdf = PdfReader(dist.copies[0].file)
    assert len(issue_pdf.pages) >= 1 and issue_pdf.outline  # bookmarks kept


def test_print_run_holds_every_copy_in_order_with_one_stamp_each(dist):
    path = dist.files["print-run"]
    pages_per_copy = len(PdfReader(dist.copies[0].file).pages)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 8 * pages_per_copy
        for copy in dist.copies:
            page = pdf.pages[(copy.number - 1) * pages_per_copy]
            text = page.extract_text()
            assert "".join(c["text"] for c in copy_number_chars(page)) == copy.label, text[:80]
            if copy.recipient:
                assert copy.recipient.name in text
    # pages and fonts shared: far smaller than 8 separate copies
    assert path.stat().st_size < 3 * dist.copies[0].file.stat().st_size


def test_imposed_print_run_is_a_booklet_of_a3_spreads_per_copy(dist):
    reader = PdfReader(dist.files["print-run-A3"])
    pages_per_copy = len(PdfReader(dist.copies[0].file).pages)
    padded = -(-pages_per_copy // 4) * 4  # saddle stitching: a multiple of four pages
    assert len(reader.pages) == 8 * padded // 2  # two sides per sheet of four pages
    trim = reader.pages[0].trimbox  # the A3 spread, marks outside it on SRA3
    assert (float(trim.width), float(trim.height)) == pytest.approx((2 * 595.28, 841.89), abs=0.5)
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((450 * MM, 320 * MM), abs=0.5)


def test_register_csv_lists_every_copy_with_the_sha256_of_its_file(dist):
    path = dist.files["register-csv"]
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheet programs read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    copies = [r for r in rows if r["copy_number"]]
    assert [r["copy_number"] for r in copies] == [f"{n:06d}" for n in range(1, 9)]
    for row in copies:
        if row["recipient_id"]:
            file = dist.out_dir / "copies" / row["file"]
            assert hashlib.sha256(file.read_bytes()).hexdigest() == row["sha256"]
    assert {r["channel"] for r in copies if r["recipient_id"]} == {"email", "hand"}
    extra = {r["recipient"]: r for r in rows if not r["copy_number"]}
    for role in ("print-run", "archive", "register"):
        row = extra[f"[{role}]"]
        assert hashlib.sha256((dist.out_dir / row["file"]).read_bytes()).hexdigest() == row["sha256"]


def test_register_pdf_lists_every_recipient_and_copy_number(dist):
    with pdfplumber.open(dist.files["register"]) as pdf:
        text = "".join(page.extract_text() for page in pdf.pages)
        fonts = {c["fontname"].split("+")[-1] for page in pdf.pages for c in page.chars}
    compact = text.replace(" ", "").replace("\n", "")
    assert "分发登记表" in compact
    for name in ("甲单位", "乙单位", "丙单位", "丁单位", "戊单位", "留存"):
        assert name in compact
    for number in ("000001", "000002–000003", "000007–000008"):
        assert number in compact
    assert fonts <= {"Bulletin-Fang", "Bulletin-Fang-Half", "Bulletin-Hei", "Bulletin-Title-Bold", "Bulletin-Serif"}, fonts


def test_archive_is_pdfa3b_with_the_sources_attached_byte_identical(dist):
    path = dist.files["archive"]
    reader = PdfReader(path)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part[^0-9]{1,3}3", xmp) and re.search(r"pdfaid:conformance[^A-Z]{1,3}B", xmp), xmp[:400]
    assert reader.trailer["/Root"]["/OutputIntents"]
    af = reader.trailer["/Root"]["/AF"]
    assert {str(spec.get_object()["/AFRelationship"]) for spec in af} == {"/Source"}
    series_dir = dist.issue_dir.parent
    expected = {
        f"bulletin-source/{series_dir.name}/series.yaml": series_dir / "series.yaml",
        f"bulletin-source/{series_dir.name}/recipients.yaml": series_dir / "recipients.yaml",
        f"bulletin-source/{series_dir.name}/{dist.issue_dir.name}/issue.md": dist.issue_dir / "issue.md",
        f"bulletin-source/{series_dir.name}/{dist.issue_dir.name}/images/fig1.png": dist.issue_dir / "images" / "fig1.png",
    }
    attachments = reader.attachments
    assert set(attachments) == set(expected)
    for name, source in expected.items():
        assert attachments[name][0] == source.read_bytes()


def test_unarchive_restores_a_folder_that_renders_the_same_text(dist, tmp_path):
    from bulletin.api import render

    issues = extract_archive(dist.files["archive"], tmp_path)
    assert issues == [tmp_path / dist.issue_dir.parent.name / dist.issue_dir.name]
    again = render(issues[0]).pdf
    with pdfplumber.open(io.BytesIO(again)) as a, pdfplumber.open(dist.files["archive"]) as b:
        assert [p.extract_text() for p in a.pages] == [p.extract_text() for p in b.pages]


def test_unarchive_refuses_names_that_leave_the_folder(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.add_attachment("bulletin-source/../../evil.txt", b"x")
    bad = tmp_path / "bad.pdf"
    with open(bad, "wb") as f:
        writer.write(f)
    with pytest.raises(BulletinError):
        extract_archive(bad, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not list(tmp_path.rglob("evil.txt"))


def test_distribution_is_the_same_bytes_every_run(dist, tmp_path):
    again = distribute(dist.issue_dir, tmp_path / "again")
    for first, second in zip(dist.copies, again.copies):
        assert first.sha256 == second.sha256
    assert dist.files["archive"].read_bytes() == again.files["archive"].read_bytes()


def test_sample_distributes_from_its_registry(tmp_path):
    issue = tmp_path / "shanxi-tongxin" / "2021-07"
    shutil.copytree(SAMPLE.parent, tmp_path / "shanxi-tongxin")
    result = subprocess.run([sys.executable, "-m", "bulletin.cli", "distribute", str(issue), "-o", str(tmp_path / "d")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "5 个单位，编号副本 5 份（No. 000001–000005）" in result.stdout
    words, _ = page_words(tmp_path / "d" / "copies" / "shanxi-tongxin-2021-7-000002-mca-sx.pdf")
    assert "山西省民政厅社会组织管理局" in "".join(w["text"] for w in words if w["bottom"] < 37 * MM)


# ---------------------------------------------------------------- sending


class Inbox:
    """aiosmtpd handler: keeps every message; can refuse the n-th DATA (a temporary failure)."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.refuse_data_number: int | None = None
        self.data_seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.data_seen += 1
        if self.refuse_data_number == self.data_seen:
            return "451 4.3.0 temporary failure, try again later"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.env = {"BULLETIN_SMTP_HOST": "127.0.0.1", "BULLETIN_SMTP_PORT": str(port), "BULLETIN_SMTP_TLS": "none"}
    yield inbox
    controller.stop()


@pytest.fixture
def fresh_dist(tmp_path):
    issue = issue_with_registry(tmp_path)
    return distribute(issue, tmp_path / "out")


def attachment_sha(message) -> str:
    parts = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    return hashlib.sha256(parts[0].get_payload(decode=True)).hexdigest()


def test_send_delivers_one_message_per_addressed_body_with_its_copy(fresh_dist, smtp):
    deliveries = send(fresh_dist, env=smtp.env)
    assert sorted(d.status for d in deliveries) == ["sent"] * 4  # a, b, d, e (c has no address)
    by_to = {email.utils.parseaddr(m["To"])[1]: m for m in smtp.messages}
    assert sorted(by_to) == ["a@example.org", "b@example.org", "d@example.org", "e@example.org"]
    assert len(smtp.messages) == 4
    for body in fresh_dist.recipients():
        if body.email:
            copy = fresh_dist.copies_of(body.id)[0]
            message = by_to[body.email]
            assert attachment_sha(message) == copy.sha256
            subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
            assert subject == f"测试简报 2024年第3期（份号 {copy.label}）"
    # a second run sends nothing
    again = send(fresh_dist, env=smtp.env)
    assert {d.status for d in again} == {"already-sent"} and len(smtp.messages) == 4


def test_failure_halfway_then_rerun_sends_only_the_rest(fresh_dist, smtp):
    smtp.refuse_data_number = 2  # 乙单位's message is refused with a 451
    first = {d.recipient_id: d.status for d in send(fresh_dist, env=smtp.env)}
    assert first == {"a": "sent", "b": "failed", "d": "sent", "e": "sent"}
    smtp.refuse_data_number = None
    second = {d.recipient_id: d.status for d in send(fresh_dist, env=smtp.env)}
    assert second == {"a": "already-sent", "b": "sent", "d": "already-sent", "e": "already-sent"}
    received = sorted(email.utils.parseaddr(m["To"])[1] for m in smtp.messages)
    assert received == ["a@example.org", "b@example.org", "d@example.org", "e@example.org"]  # each exactly once
    log = [json.loads(line) for line in (fresh_dist.issue_dir / SEND_LOG).read_text(encoding="utf-8").splitlines()]
    assert [(r["recipient"], r["event"]) for r in log if r["recipient"] == "b"] == [
        ("b", "sending"), ("b", "failed"), ("b", "sending"), ("b", "sent")]


def test_interrupted_delivery_is_not_sent_again_unless_asked(fresh_dist, smtp):
    copy = fresh_dist.copies_of("a")[0]
    (fresh_dist.issue_dir / SEND_LOG).write_text(json.dumps(
        {"recipient": "a", "event": "sending", "sha256": copy.sha256, "at": "2024-03-15T08:00:00+00:00"}) + "\n",
        encoding="utf-8")  # the process died after handing the message to the server
    statuses = {d.recipient_id: d.status for d in send(fresh_dist, env=smtp.env)}
    assert statuses["a"] == "uncertain" and len(smtp.messages) == 3
    statuses = {d.recipient_id: d.status for d in send(fresh_dist, env=smtp.env, resend=frozenset({"a"}))}
    assert statuses["a"] == "sent" and len(smtp.messages) == 4


def test_dry_run_sends_nothing_and_writes_no_log(fresh_dist, smtp):
    deliveries = send(fresh_dist, dry_run=True, env=smtp.env)
    assert {d.status for d in deliveries} == {"would-send"} and len(deliveries) == 4
    assert not smtp.messages and not (fresh_dist.issue_dir / SEND_LOG).exists()


def test_password_is_used_for_login_and_never_written(tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret-pass")

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        issue = issue_with_registry(tmp_path)
        dist = distribute(issue, tmp_path / "out")
        env = {"BULLETIN_SMTP_HOST": "127.0.0.1", "BULLETIN_SMTP_PORT": str(port), "BULLETIN_SMTP_TLS": "none",
               "BULLETIN_SMTP_USER": "bulletin", "BULLETIN_SMTP_PASSWORD": "s3cret-pass"}
        assert {d.status for d in send(dist, env=env)} == {"sent"}
    finally:
        controller.stop()
    assert seen and seen[0] == (b"bulletin", b"s3cret-pass") and len(inbox.messages) == 4
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"s3cret-pass" not in path.read_bytes(), path
    assert "s3cret" not in repr(smtp_settings(None, issue, {**env, "BULLETIN_SMTP_FROM": "a@example.org"}))


def test_unencrypted_password_to_another_host_is_refused(tmp_path):
    env = {"BULLETIN_SMTP_HOST": "smtp.example.org", "BULLETIN_SMTP_FROM": "a@example.org",
           "BULLETIN_SMTP_TLS": "none", "BULLETIN_SMTP_PASSWORD": "x"}
    with pytest.raises(BulletinError) as exc:
        smtp_settings(None, tmp_path, env)
    assert "不加密" in problems_of(exc)


def test_cli_send_reports_and_fails_when_a_delivery_fails(tmp_path, smtp):
    issue = issue_with_registry(tmp_path)
    smtp.refuse_data_number = 1
    env = {**__import__("os").environ, **smtp.env}
    cmd = [sys.executable, "-m", "bulletin.cli", "distribute", str(issue), "-o", str(tmp_path / "o"), "--send"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert first.returncode == 1 and "发送失败" in first.stdout and "Traceback" not in first.stderr
    second = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("此前已发送") == 3 and second.stdout.count("已发送") == 4
    assert len(smtp.messages) == 4


def test_unreachable_server_fails_every_delivery_and_logs_nothing_sent(fresh_dist):
    env = {"BULLETIN_SMTP_HOST": "127.0.0.1", "BULLETIN_SMTP_PORT": str(free_port()), "BULLETIN_SMTP_TLS": "none"}
    deliveries = send(fresh_dist, env=env)
    assert {d.status for d in deliveries} == {"failed"} and len(deliveries) == 4
    assert "ConnectionRefusedError" in deliveries[0].detail
    assert not (fresh_dist.issue_dir / SEND_LOG).exists()  # nothing was handed over: a re-run sends all
