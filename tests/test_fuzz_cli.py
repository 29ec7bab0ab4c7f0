"""The CLI over mutated issue folders: whatever the YAML, the Markdown, the pictures or a Word file
hold, every command ends with exit code 0, 1 or 2 and its own words — never “内部错误 / internal
error”, a traceback, raw English from PyYAML, pydantic or Pillow in the Chinese output, or a PDF
from a failed build (issue 13).

The default run is short. The long run (`pytest -m slow tests/test_fuzz_cli.py`) repeats the
properties with fresh random seeds for FUZZ_SECONDS (default 600) and prints how many folders it
tried.
"""
from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from bulletin.cli import app

SERIES = ("id: fuzz\nname: 测试简报\npublisher: 测试协会\nprint_run: 20\nlayout_options: {body_size: 四号}\n"
          # the settings of the later layout work: 密级, 份号 line, 版记 lines, a word list
          "masthead: {classification: 内部★1年, copy_number: true}\ncolophon: {issuer: 测试协会秘书处, editor: 张冰}\n"
          "words: [测试协会]\n")
RECIPIENTS = ("recipients:\n  - {id: a, name: 甲单位, category: 报, email: a@example.org}\n"
              "  - {id: b, name: 乙单位, category: 送, copies: 2}\n"
              "mail: {sender: 协会 <x@example.org>, subject: \"{{ title }}\"}\n")
FRONT = "number: 1\ntotal_number: 12\ndate: 2024-01-15\neditor_note: |\n  本期要点。\nprint_run: 30\n"
BODY = ("## 导语文章\n\n正文第一段，含 5G 基站与“引号”。\n\n（作者甲）\n\n# 栏目\n\n引题：某局\n## 文章标题二\n"
        "副题：——讲话\n\n**加粗**与*强调*。\n\n- 列表一\n- 列表二\n\n| 甲 | 乙 |\n|--|--|\n| 1 | 2 |\n\n"
        "![图注](images/p.png)\n\n#### （一）二级标题\n\n![甲](images/p.png){宽=40%} ![乙](images/p.png)\n\n"
        "###### （1）四级标题\n\n<!-- 注释 -->\n最后一段。\n（作者乙）\n")

# What raw library text looks like: none of it may reach the Chinese output.
ENGLISH = ("Input should", "Field required", "Extra inputs are not permitted", "String should", "Value error",
           "mapping values are not allowed", "could not find expected", "while scanning", "while parsing",
           "found character", "found unexpected", "cannot identify image", "image file is truncated",
           "DecompressionBomb", "[Errno", "Traceback", "内部错误", "internal error")

YAML_NOISE = [":", ": ", "&a ", "*a", "[", "]", "{", "}", "!!python/object:os.system ", "!!binary ", "\t", "- ", "|", ">",
              "'", '"', "%", "@", "`", "#", "? ", "\x07", "\ufeff", "\n", "\n  ", "0x", "1e9", "null", "2024-02-30",
              "[[[[[[[[[[[[[[[[[[[[[[", "{a: {b: {c: {d:", "\\u0000", "报: [", "增发: [x]", "---\n",
              "supplement: true\n", "classification: 秘密★", "colophon: {approver: ", "fonts: {仿宋: x.ttf}\n",
              "masthead: pre-printed\n", "words: [", "red: [0, 100, 100, 0]"]
MD_NOISE = ["# ", "## ", "### ", "**", "*", "![x](images/p.png)", "![x](images/nope.png)", "![x](../x.png)",
            "![x](images/my file.png)", "<!--", "-->", "引题：", "副题：", "（署名）", "\n", "\n\n", "| a | b |\n|--|--|\n",
            "    ", "```", "> ", "---", "\t", "＃", "#话题", "{{ 7*7 }}", "<script>", "\\*", "|", "\u3000", "\x00", "\r",
            "http://example.org/a--b", "--", "...", "(中文)", "😀", "\u200b",
            "{宽=60%}", "{宽=abc}", "{width=12字}", " ![y](images/p.png)", "#### ", "###### ", "##### 1. "]


def edits(noise: list[str]):
    """A list of (position fraction, kind, noise) mutations of a text; often none or one, so that
    many folders get as far as typesetting."""
    return st.one_of(st.just([]), st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace", "duplicate"]),
                  st.one_of(st.sampled_from(noise), st.text(max_size=8))), min_size=1, max_size=5))


def mutate(text: str, changes) -> str:
    for where, kind, noise in changes:
        at = int(where * len(text))
        if kind == "insert":
            text = text[:at] + noise + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + len(noise) + 1:]
        elif kind == "replace":
            text = text[:at] + noise + text[at + 1:]
        else:  # duplicate the line at that place
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            text = text[:end] + "\n" + text[start:end] + text[end:]
    return text


PICTURES = st.one_of(st.just("good"),  # half the folders have a whole picture: they get as far as typesetting
                     st.sampled_from(["truncated", "garbage", "svg-broken", "svg-loop", "empty", "missing", "huge"]))


def picture(kind: str) -> bytes | None:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "red").save(buffer, "PNG")
    good = buffer.getvalue()
    return {"good": good, "truncated": good[: len(good) // 2], "garbage": b"\x89PNG\r\n\x1a\nnot really",
            "svg-broken": b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>",
            "svg-loop": b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' width='9'"
                        b" height='9'><g id='a'><use xlink:href='#a'/></g></svg>",
            "empty": b"", "missing": None, "huge": _huge_png()}[kind]


def _huge_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (11_000, 10_000)).save(buffer, "PNG")
    return buffer.getvalue()


def folder_from(root: Path, front: str, body: str, series: str, recipients: str | None, pic: str) -> Path:
    issue = root / "fuzz" / "2024-01"
    shutil.rmtree(root / "fuzz", ignore_errors=True)
    (issue / "images").mkdir(parents=True)
    (root / "fuzz" / "series.yaml").write_text(series, encoding="utf-8", errors="surrogatepass")
    if recipients is not None:
        (root / "fuzz" / "recipients.yaml").write_text(recipients, encoding="utf-8", errors="surrogatepass")
    (issue / "issue.md").write_bytes(f"---\n{front}---\n\n{body}".encode("utf-8", "surrogatepass"))
    data = picture(pic)
    if data is not None:
        (issue / "images" / ("p.png" if not pic.startswith("svg") else "p.svg")).write_bytes(data)
        if pic.startswith("svg"):
            (issue / "issue.md").write_bytes((issue / "issue.md").read_bytes().replace(b"images/p.png", b"images/p.svg"))
    return issue


def run_clean(*args: str) -> int:
    result = CliRunner().invoke(app, list(args))
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception), output)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, output)
    chinese = "--lang" not in args and "json" not in args  # JSON carries both languages on purpose
    for phrase in ENGLISH if chinese else ENGLISH[-3:]:
        assert phrase not in output, (args, phrase, output)
    return result.exit_code


FUZZ = int(os.environ.get("FUZZ_CLI_EXAMPLES", "12"))
fuzz_settings = settings(max_examples=FUZZ, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
COUNT = {"folders": 0, "builds": 0, "word": 0}


@fuzz_settings
@given(edits(YAML_NOISE), edits(MD_NOISE), edits(YAML_NOISE), st.one_of(st.none(), edits(YAML_NOISE)), PICTURES)
def test_check_never_fails_uncleanly(front_edits, body_edits, series_edits, recipient_edits, pic):
    with tempfile.TemporaryDirectory() as tmp:
        issue = folder_from(Path(tmp), mutate(FRONT, front_edits), mutate(BODY, body_edits), mutate(SERIES, series_edits),
                            None if recipient_edits is None else mutate(RECIPIENTS, recipient_edits), pic)
        COUNT["folders"] += 1
        run_clean("check", str(issue))
        run_clean("check", str(issue), "--format", "json", "--lang", "en")


@settings(fuzz_settings, max_examples=max(2, FUZZ // 3))
@given(st.sampled_from(["front", "body", "body", "picture"]), edits(YAML_NOISE), edits(MD_NOISE), PICTURES)
def test_build_and_fix_never_fail_uncleanly(target, front_edits, body_edits, pic):
    """One part of a good folder changed at a time, so that many builds reach the typesetter."""
    front = mutate(FRONT, front_edits) if target == "front" else FRONT
    body = mutate(BODY, body_edits) if target == "body" else BODY
    with tempfile.TemporaryDirectory() as tmp:
        issue = folder_from(Path(tmp), front, body, SERIES, RECIPIENTS, pic if target == "picture" else "good")
        out = Path(tmp) / "out"
        COUNT["builds"] += 1
        code = run_clean("build", str(issue), "-o", str(out))
        pdfs = list(out.glob("*.pdf")) if out.is_dir() else []
        assert (code == 0) == bool(pdfs), (code, pdfs)  # a PDF if and only if the build succeeded
        before, checked = (issue / "issue.md").read_bytes(), run_clean("check", str(issue))
        run_clean("check", str(issue), "--fix")
        if (issue / "issue.md").read_bytes() != before:  # a fix was written: it must check no worse
            assert (issue / "issue.md.bak").read_bytes() == before
            assert run_clean("check", str(issue)) <= checked


def word_file(changes) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("某公司")
    title = document.add_paragraph()
    title.add_run("一篇文章的标题").bold = True
    document.add_paragraph("——副题")
    paragraph = document.add_paragraph("正文")
    paragraph.add_run("加粗").bold = True
    document.add_paragraph("列表", style="List Number")
    document.add_table(rows=2, cols=2).cell(0, 0).text = "表"
    image = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(image, "PNG")
    image.seek(0)
    document.add_picture(image)
    document.add_paragraph("（作者）")
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    for where, kind, noise in changes:
        names = sorted(parts)
        name = names[int(where * (len(names) - 1))]
        if kind == "delete":
            del parts[name]
        elif kind == "replace":
            parts[name] = noise.encode("utf-8", "surrogatepass")
        else:  # mutate the XML text itself
            text = parts[name].decode("utf-8", "replace")
            parts[name] = mutate(text, [(where, "insert", noise)]).encode("utf-8", "surrogatepass")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, part in parts.items():
            package.writestr(name, part)
    return out.getvalue()


@settings(fuzz_settings, max_examples=max(2, FUZZ // 2))
@given(st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"]),
                          st.one_of(st.sampled_from(["<", ">", "&", "<w:p>", "</w:body>", "<w:t>", "x", "\x00",
                                                     "<!DOCTYPE x [<!ENTITY a 'aaaa'>]>", "&a;"]),
                                    st.text(max_size=8))), max_size=3),
       st.sampled_from(["whole", "whole", "truncated", "flipped"]), st.integers(0, 2**31))
def test_word_imports_never_fail_uncleanly(changes, damage, seed):
    import random

    data = word_file(changes)
    rng = random.Random(seed)
    if damage == "truncated":
        data = data[: rng.randrange(1, len(data))]
    elif damage == "flipped":
        data = bytearray(data)
        for _ in range(rng.randrange(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
    with tempfile.TemporaryDirectory() as tmp:
        series = Path(tmp) / "fuzz"
        series.mkdir()
        (series / "series.yaml").write_text(SERIES, encoding="utf-8")
        source = Path(tmp) / "稿件 (1).docx"
        source.write_bytes(data)
        COUNT["word"] += 1
        if run_clean("import", str(source), "--into", str(series / "2024-01"), "--number", "1",
                     "--date", "2024-01-15") == 0:
            run_clean("check", str(series / "2024-01"))


@pytest.mark.slow
def test_fuzz_for_a_while(capsys):
    """The long run: every property again and again with fresh seeds for FUZZ_SECONDS."""
    budget = float(os.environ.get("FUZZ_SECONDS", "600"))
    deadline = time.monotonic() + budget
    for key in COUNT:
        COUNT[key] = 0
    rounds = 0
    while time.monotonic() < deadline:
        for prop in (test_check_never_fails_uncleanly, test_build_and_fix_never_fail_uncleanly,
                     test_word_imports_never_fail_uncleanly):
            prop()
            if time.monotonic() >= deadline:
                break
        rounds += 1
    with capsys.disabled():
        print(f"\nfuzz: {budget:.0f} s, {rounds} rounds, {COUNT['folders']} folders checked, "
              f"{COUNT['builds']} built and fixed, {COUNT['word']} Word files imported; no unclean failure")
