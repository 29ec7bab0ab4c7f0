"""A distribution folder always matches its register; archives and send logs never clobber or crash
(issue 13, items 3, 5 and 14)."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bulletin import distribute as distribution
from bulletin.cli import app
from bulletin.distribute import distribute, extract_archive
from bulletin.errors import BulletinError
from bulletin.distribute.mail import send

from .test_distribute import REGISTRY, issue_with_registry

BIN = Path(sys.executable).with_name("bulletin")


def register_matches(out: Path) -> bool:
    """Every file the register lists has the SHA-256 the register gives, and nothing is missing."""
    csv_file = next(out.glob("*-register.csv"))
    rows = list(csv.DictReader(io.StringIO(csv_file.read_bytes().decode("utf-8-sig"))))
    for row in rows:
        if not row["sha256"]:
            continue
        file = out / "copies" / row["file"] if row["copy_number"] else out / row["file"]
        if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != row["sha256"]:
            return False
    return True


# ---------------------------------------------------------------- item 5: staging, then one rename


def test_a_distribution_interrupted_while_writing_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    issue = issue_with_registry(tmp_path)
    out = tmp_path / "out"
    distribute(issue, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (issue / "issue.md").write_text((issue / "issue.md").read_text(encoding="utf-8") + "\n改过一句。\n", encoding="utf-8")
    synced = []
    real_fsync = os.fsync

    def dying_fsync(fd):  # the run “dies” after three files are safely on disk
        synced.append(fd)
        if len(synced) > 3:
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", dying_fsync)
    with pytest.raises(KeyboardInterrupt):
        distribute(issue, out)
    monkeypatch.undo()
    assert register_matches(out)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not list(tmp_path.glob(".out.*"))  # no staging folder left behind


@pytest.mark.slow
def test_killed_distributions_never_leave_a_register_that_does_not_match(tmp_path):
    issue = issue_with_registry(tmp_path, "number: 3\ndate: 2024-03-15\nprint_run: 30\n")
    out = tmp_path / "out"
    started = time.perf_counter()
    subprocess.run([str(BIN), "distribute", str(issue), "-o", str(out)], check=True, capture_output=True)
    whole = time.perf_counter() - started
    text = (issue / "issue.md").read_text(encoding="utf-8")
    for n, fraction in enumerate((0.8, 0.9, 0.95, 0.98, 1.0)):
        (issue / "issue.md").write_text(text + f"\n第{n}次改动。\n", encoding="utf-8")  # every run writes new bytes
        proc = subprocess.Popen([str(BIN), "distribute", str(issue), "-o", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(whole * fraction)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert register_matches(out), f"kill at {fraction:.0%}"
    result = subprocess.run([str(BIN), "distribute", str(issue), "-o", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert register_matches(out) and "第4次改动" in (issue / "issue.md").read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".out.*"))  # the dead runs' staging folders were swept


def test_a_folder_with_other_files_is_not_replaced(tmp_path):
    issue = issue_with_registry(tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "报告.docx").write_bytes(b"someone's work")
    with pytest.raises(BulletinError) as exc:
        distribute(issue, out)
    assert "不是本期分发的文件（报告.docx）" in exc.value.problems[0].message
    assert (out / "报告.docx").read_bytes() == b"someone's work"
    (out / "报告.docx").unlink()
    (out / "copies").mkdir()
    (out / "copies" / "签收单.xlsx").write_bytes(b"also someone's")
    with pytest.raises(BulletinError) as exc:
        distribute(issue, out)
    assert "copies/签收单.xlsx" in exc.value.problems[0].message


def test_publish_swaps_the_whole_folder(tmp_path):
    out = tmp_path / "out"
    distribution.publish(out, {out / "a.txt": b"1", out / "copies" / "b.txt": b"2"})
    distribution.publish(out, {out / "a.txt": b"3"})
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["a.txt"]
    assert (out / "a.txt").read_bytes() == b"3" and not list(tmp_path.glob(".out.*"))


# ---------------------------------------------------------------- item 3: unarchive never clobbers


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    return distribute(issue_with_registry(root), root / "out").files["archive"]


def test_unarchive_refuses_existing_files_unless_forced(archive, tmp_path):
    out = tmp_path / "restored"
    assert CliRunner().invoke(app, ["unarchive", str(archive), "-o", str(out)]).exit_code == 0
    issue_md = next(out.glob("*/*/issue.md"))
    issue_md.write_text("我的修改，不能丢。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["unarchive", str(archive), "-o", str(out)])
    assert result.exit_code == 2 and "文件已经存在，不覆盖" in result.output and "--force" in result.output
    assert issue_md.read_text(encoding="utf-8") == "我的修改，不能丢。\n"
    result = CliRunner().invoke(app, ["unarchive", str(archive), "-o", str(out), "--force"])
    assert result.exit_code == 0 and "我的修改" not in issue_md.read_text(encoding="utf-8")


def test_unarchive_of_something_that_is_not_a_pdf_says_so_in_chinese(tmp_path):
    fake = tmp_path / "x-archive.pdf"
    fake.write_bytes(b"import os\n" * 10)
    result = CliRunner().invoke(app, ["unarchive", str(fake), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "不是 PDF，或 PDF 已损坏" in result.output
    assert "EOF marker" not in result.output and "Stream has ended" not in result.output


def test_unarchive_does_not_write_through_a_planted_link(archive, tmp_path):
    out = tmp_path / "restored"
    extract_archive(archive, out)
    issue_md = next(out.glob("*/*/issue.md"))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    issue_md.unlink()
    issue_md.symlink_to(victim)
    extract_archive(archive, out, force=True)
    assert victim.read_text(encoding="utf-8") == "keep" and not issue_md.is_symlink()


# ---------------------------------------------------------------- item 14: mail settings and the send log


@pytest.fixture
def fresh(tmp_path):
    return issue_with_registry(tmp_path), tmp_path


def test_a_mail_template_typo_is_caught_by_a_dry_run(fresh):
    issue, root = fresh
    (issue.parent / "recipients.yaml").write_text(REGISTRY.replace("{{ title }}（份号", "{{ titel }}（份号"),
                                                  encoding="utf-8")
    dist = distribute(issue, root / "out")
    with pytest.raises(BulletinError) as exc:
        send(dist, dry_run=True)
    problem = exc.value.problems[0]
    assert problem.file.name == "recipients.yaml" and problem.line == 11
    assert "{{ titel }} 不认识" in problem.message and "{{ title }}" in problem.hint


def test_a_line_break_in_a_recipient_name_is_refused_at_its_line(fresh):
    issue, _ = fresh
    (issue.parent / "recipients.yaml").write_text(
        REGISTRY.replace("name: 丙单位", 'name: "丙单位\\r\\nBcc: evil@example.org"'), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(issue)])
    assert result.exit_code == 2 and "recipients.yaml:4:13" in result.output and "不能换行" in result.output


def test_a_send_log_that_is_not_utf8_is_a_located_error(fresh):
    issue, root = fresh
    dist = distribute(issue, root / "out")
    (issue / "sent-log.jsonl").write_bytes('{"recipient": "a", "event": "sent"}\n'.encode() + "乱码".encode("gbk") + b"\n")
    result = CliRunner().invoke(app, ["distribute", str(issue), "-o", str(root / "out"), "--send", "--dry-run"])
    assert result.exit_code == 2 and "sent-log.jsonl:2" in result.output and "损坏" in result.output
    assert "内部错误" not in result.output and dist.copies
