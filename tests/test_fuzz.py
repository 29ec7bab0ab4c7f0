"""Robustness: any input to the loader ends in a model or a clean BulletinError, never anything else."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulletin.errors import BulletinError
from bulletin.source.load import load

SERIES = "name: 测试\npublisher: 协会\n"
FRONT_KEYS = ["number", "date", "total_number", "editor_note", "distribution", "print_run", "assumed",
              "layout_options", "lead", "sections", "numbr", "报", "", "- x", "{", "[", "*a", "&a", "!!python/object"]
VALUES = ["1", "0", "-3", "七", "2024-02-30", "2024-01-15", "[甲, 乙]", "{报: 甲}", "{转: [甲]}", "null", "''",
          "|\n  多行", "[[1]]", "{a: {b: c}}", "true", "1e9", "\"\\u0000\"", "!!binary aGVsbG8=", "*x"]
MD_LINES = ["# 栏目", "## 标题", "### 小标题", "引题：某局", "副题：——讲话", "署名：甲", "正文。", "（作者）",
            "- 项", "1. 项", "  - 嵌套", "| a | b |", "|--|--|", "| 1 | 2 |", "![图](images/x.png)", "![](/etc/passwd)",
            "<script>x</script>", "{{ 7*7 }}", "{% include 'x' %}", "    代码", "```", "> 引用", "---", "", "**粗", "*斜*",
            "[链接](http://x)", "\t制表", "\u3000全角空格", "\ufeff", "\x00", "\r"]


def write(folder: Path, data: bytes, series: bytes = SERIES.encode()) -> Path:
    issue = folder / "s" / "i"
    issue.mkdir(parents=True, exist_ok=True)
    (folder / "s" / "series.yaml").write_bytes(series)
    (issue / "issue.md").write_bytes(data)
    return issue


def must_load_or_fail_cleanly(folder: Path) -> None:
    try:
        load(folder)
    except BulletinError as exc:
        assert exc.problems and all(p.message and p.message_en for p in exc.problems)


front_matter = st.lists(st.tuples(st.sampled_from(FRONT_KEYS), st.sampled_from(VALUES)), max_size=6)
body = st.lists(st.one_of(st.sampled_from(MD_LINES), st.text(max_size=20)), max_size=25)
settings_ = settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(front_matter, body)
def test_structured_garbage(tmp_path, front, lines):
    text = "---\n" + "".join(f"{k}: {v}\n" for k, v in front) + "---\n\n" + "\n".join(lines) + "\n"
    must_load_or_fail_cleanly(write(tmp_path, text.encode("utf-8", "surrogatepass")))


@settings_
@given(st.binary(max_size=400))
def test_random_bytes(tmp_path, data):
    must_load_or_fail_cleanly(write(tmp_path, data))


@settings_
@given(st.binary(max_size=200), st.binary(max_size=200))
def test_random_series_file(tmp_path, series, data):
    must_load_or_fail_cleanly(write(tmp_path, b"---\nnumber: 1\ndate: 2024-01-15\n---\n\n## t\n\nx\n", series))
    must_load_or_fail_cleanly(write(tmp_path, data, series))


@settings_
@given(st.text(max_size=300))
def test_random_text_after_front_matter(tmp_path, text):
    data = ("---\nnumber: 1\ndate: 2024-01-15\n---\n" + text).encode("utf-8", "surrogatepass")
    must_load_or_fail_cleanly(write(tmp_path, data))


@settings(max_examples=int(__import__("os").environ.get("FUZZ_RENDERS", "20")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(MD_LINES), st.text(max_size=30)), min_size=1, max_size=15))
def test_whatever_loads_also_renders(tmp_path, lines):
    """Content that passes the loader renders to a PDF or fails with a BulletinError (e.g. a glyph
    no font has), never with another exception."""
    from bulletin.api import render

    text = "---\nnumber: 1\ndate: 2024-01-15\n---\n\n## 标题\n\n" + "\n".join(lines) + "\n\n正文。\n"
    folder = write(tmp_path, text.encode("utf-8", "surrogatepass"))
    try:
        load(folder)
    except BulletinError:
        return
    try:
        result = render(folder)
    except BulletinError as exc:
        assert exc.problems
        return
    assert result.pdf.startswith(b"%PDF") and result.pages >= 1
