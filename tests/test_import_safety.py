"""Imports are bounded and their results load (issue 13, items 6, 11 and 14)."""
from __future__ import annotations

import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from bulletin.cli import app
from bulletin.source.load import load_issue
from bulletin.model import Figure

from .test_import import make_docx, series_folder

BIN = Path(sys.executable).with_name("bulletin")


def docx_bomb(path: Path, unpacked: int) -> None:
    """A Word package whose document.xml is `unpacked` bytes of repetition: a few hundred KB on
    disk (the auditor's 611 KB .docx took 5.8 GB)."""
    import docx

    document = docx.Document()
    document.add_paragraph("标题")
    document.save(str(path))
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    paragraph = "<w:p><w:r><w:t>" + "炸" * 200 + "</w:t></w:r></w:p>"
    body = paragraph * (unpacked // len(paragraph.encode()))
    xml = parts["word/document.xml"].decode()
    parts["word/document.xml"] = xml.replace("<w:body>", "<w:body>" + body, 1).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_a_word_file_that_unpacks_to_gigabytes_is_refused_before_it_is_read(tmp_path):
    bomb = tmp_path / "bomb.docx"
    docx_bomb(bomb, 150 * 10**6)
    assert bomb.stat().st_size < 2 * 10**6
    series = series_folder(tmp_path)

    def limit_memory():  # the refusal must not need the memory the file would take
        resource.setrlimit(resource.RLIMIT_AS, (1_000 * 10**6, 1_000 * 10**6))

    result = subprocess.run([str(BIN), "import", str(bomb), "--into", str(series / "2021-08")], capture_output=True,
                            text=True, timeout=120, preexec_fn=limit_memory)
    assert result.returncode == 2, result.stderr
    assert "Word 文件解压后太大" in result.stderr and "bomb.docx" in result.stderr
    assert "内部错误" not in result.stderr and "Traceback" not in result.stderr
    assert not (series / "2021-08").exists()


def test_a_word_file_with_a_space_in_its_name_gives_pictures_that_load(tmp_path):
    series = series_folder(tmp_path)
    CliRunner().invoke(app, ["new", str(series), "--date", "2021-08-30"])
    folder = series / "2021-08"
    image = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), "green").save(image)
    source = tmp_path / "my article (终稿).docx"
    make_docx(source, image)
    result = CliRunner().invoke(app, ["import", str(source), "--into", str(folder), "--section", "会员消息"])
    assert result.exit_code == 0, result.output
    [figure] = [b for b in load_issue(folder).issue.sections[-1].articles[-1].body if isinstance(b, Figure)]
    assert " " not in figure.path and figure.path.startswith("images/my-article-")
    assert (folder / figure.path).read_bytes() == image.read_bytes()


@pytest.mark.parametrize("make, words", [
    (lambda p: __import__("docx").Document().save(str(p)), "Word 文件里没有文字"),
    (lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 100), "不是 Word 文件"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("x.txt", "x"), "无法读取这个 Word 文件"),
], ids=["empty", "broken-zip", "zip-without-word"])
def test_broken_word_files_get_a_located_message(tmp_path, make, words):
    source = tmp_path / "a.docx"
    make(source)
    result = CliRunner().invoke(app, ["import", str(source), "--into", str(series_folder(tmp_path) / "2021-08")])
    assert result.exit_code == 2 and words in result.output and "a.docx" in result.output, result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output


def test_import_into_a_file_is_a_located_error(tmp_path):
    series = series_folder(tmp_path)
    target = series / "2021-08"
    target.write_text("不是文件夹", encoding="utf-8")
    text = tmp_path / "a.txt"
    text.write_text("标题\n\n正文。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(text), "--into", str(target)])
    assert result.exit_code == 2 and "--into 应是期刊文件夹" in result.output and "内部错误" not in result.output


def test_import_of_a_text_larger_than_an_issue_is_refused(tmp_path):
    text = tmp_path / "big.txt"
    text.write_text(("一段很长的文字。" * 100 + "\n\n") * 500, encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(text), "--into", str(series_folder(tmp_path) / "2021-08")])
    assert result.exit_code == 2 and "文件太大" in result.output


def test_a_bad_date_for_import_is_said_in_chinese(tmp_path):
    text = tmp_path / "a.txt"
    text.write_text("标题\n\n正文。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(text), "--into", str(tmp_path / "x"), "--date", "2021-13-01"])
    assert result.exit_code == 2 and "日期 2021-13-01 不对" in result.output and "isoformat" not in result.output


def test_new_in_a_folder_that_cannot_be_written_is_a_located_error(tmp_path, monkeypatch):
    series = series_folder(tmp_path)
    original = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.parent == series:
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = CliRunner().invoke(app, ["new", str(series), "--date", "2021-08-30"])
    assert result.exit_code == 2 and "无法新建期刊文件夹：没有权限" in result.output
    assert "内部错误" not in result.output and "Traceback" not in result.output
