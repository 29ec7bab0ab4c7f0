"""README.md (Chinese, for users) and README.en.md (English) say the same things.

The Chinese README is a translation of the English one: the commands users copy, the YAML they
write, the sections, tables, pictures and in-page links must stay the same in both. Prose is not
compared (it is translated); everything a user types is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_ZH = ROOT / "README.md"
README_EN = ROOT / "README.en.md"

# A line in a shell code block that a user types (every line of a ```python block counts too).
COMMAND_PREFIXES = ("bulletin ", ".venv/bin/", "bash ", "python", "pip ", "dask ")
FENCE = re.compile(r"^(```+|~~~+)(.*)$")
TRAILING_COMMENT = re.compile(r"\s+#\s.*$|\s+#$")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)")
LINK_TARGET = re.compile(r"\]\((#[^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass
class Block:
    info: str
    lines: list[str]


@dataclass
class Readme:
    """The parts of a README that must not differ between the languages."""

    blocks: list[Block] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[list[int]] = field(default_factory=list)  # per table: cells per row
    images: list[str] = field(default_factory=list)  # image targets, in order (alt text is translated)
    anchors: list[str] = field(default_factory=list)  # in-page link targets (#…)
    prose_lines: list[str] = field(default_factory=list)


def parse(text: str) -> Readme:
    readme = Readme()
    block: Block | None = None
    fence = ""
    table: list[int] | None = None
    for line in text.splitlines():
        m = FENCE.match(line)
        if block is not None:
            if m and m.group(1).startswith(fence) and not m.group(2).strip():
                readme.blocks.append(block)
                block = None
            else:
                block.lines.append(line)
            continue
        if m:
            block = Block(info=m.group(2).strip(), lines=[])
            fence = m.group(1)
            table = None
            continue
        if line.startswith("|"):
            cells = _table_cells(line)
            if table is None:
                table = []
                readme.tables.append(table)
            table.append(len(cells))
        else:
            table = None
        h = HEADING.match(line)
        if h:
            readme.headings.append((len(h.group(1)), h.group(2)))
        readme.prose_lines.append(line)
    if block is not None:
        raise ValueError("unclosed code block")
    prose = "\n".join(readme.prose_lines)
    readme.images = [m.group(1) for m in IMAGE.finditer(prose)]
    for b in readme.blocks:
        readme.images += [m.group(1) for m in IMAGE.finditer("\n".join(b.lines))]
    readme.anchors = [m.group(1) for m in LINK_TARGET.finditer(prose)]
    return readme


def _table_cells(line: str) -> list[str]:
    # a `|` inside backticks or escaped is not a cell border
    line = re.sub(r"`[^`]*`", "``", line.replace("\\|", ""))
    return line.strip().strip("|").split("|")


def commands(readme: Readme) -> list[str]:
    """The lines a user types, in order, without trailing comments or alignment spaces."""
    out = []
    for b in readme.blocks:
        for line in b.lines:
            stripped = line.strip()
            if stripped.startswith(COMMAND_PREFIXES) or (b.info == "python" and stripped):
                out.append(TRAILING_COMMENT.sub("", stripped).rstrip())
    return out


def yaml_code(readme: Readme) -> list[list[str]]:
    """Each ```yaml block without its comments (which are prose, translated)."""
    out = []
    for b in readme.blocks:
        if b.info != "yaml":
            continue
        lines = []
        for line in b.lines:
            if line.lstrip().startswith("#"):
                continue
            code = TRAILING_COMMENT.sub("", line).rstrip()
            if code:
                lines.append(code)
        out.append(lines)
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading).strip().lower()
    kept = "".join(
        c for c in text if c in " -" or unicodedata.category(c)[0] in "LMN" or unicodedata.category(c) == "Pc"
    )
    return kept.replace(" ", "-")


def differences(zh: Readme, en: Readme) -> list[str]:
    """What differs between the two READMEs, in words; empty when they agree."""
    problems = []
    zc, ec = commands(zh), commands(en)
    if zc != ec:
        for i, (a, b) in enumerate(zip(zc, ec)):
            if a != b:
                problems.append(f"command {i + 1} differs: README.md {a!r} vs README.en.md {b!r}")
                break
        else:
            problems.append(f"README.md has {len(zc)} commands, README.en.md {len(ec)}")
    z2 = [t for lvl, t in zh.headings if lvl == 2]
    e2 = [t for lvl, t in en.headings if lvl == 2]
    if len(z2) != len(e2):
        problems.append(f"README.md has {len(z2)} ## sections, README.en.md {len(e2)}")
    if [b.info for b in zh.blocks] != [b.info for b in en.blocks]:
        problems.append(
            f"code blocks differ: README.md {[b.info for b in zh.blocks]} vs README.en.md {[b.info for b in en.blocks]}"
        )
    if zh.tables != en.tables:
        problems.append(f"tables differ (cells per row): README.md {zh.tables} vs README.en.md {en.tables}")
    if sorted(zh.images) != sorted(en.images):
        only_zh = sorted(set(zh.images) - set(en.images))
        only_en = sorted(set(en.images) - set(zh.images))
        problems.append(f"images differ: only in README.md {only_zh}, only in README.en.md {only_en}")
    zy, ey = yaml_code(zh), yaml_code(en)
    if zy != ey:
        problems.append("YAML examples differ (comments aside)")
    return problems


def broken_anchors(readme: Readme) -> list[str]:
    slugs = {slug(t) for _, t in readme.headings}
    return [a for a in readme.anchors if a[1:] not in slugs]


# --- the comparison itself -------------------------------------------------------------------

EN_SAMPLE = """\
## Use

```sh
bulletin build ISSUE -o out   # → out/x.pdf
.venv/bin/python -m pytest
```

```yaml
id: demo            # used in file names
#   (a note)
print_run: 200
```

| a | b |
|---|---|
| 1 | 2 |

![Page 1](docs/page1.png)

## More
"""

ZH_SAMPLE = """\
## 使用

```sh
bulletin build ISSUE -o out          # → out/x.pdf，输出文件
.venv/bin/python -m pytest
```

```yaml
id: demo            # 用于输出文件名
#   （说明）
print_run: 200
```

| 甲 | 乙 |
|---|---|
| 1 | 2 |

![第1页](docs/page1.png)

## 更多
"""


def test_comparison_accepts_a_faithful_translation():
    assert differences(parse(ZH_SAMPLE), parse(EN_SAMPLE)) == []
    assert commands(parse(ZH_SAMPLE)) == ["bulletin build ISSUE -o out", ".venv/bin/python -m pytest"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("bulletin build ISSUE -o out", "bulletin build ISSUE -o output", "command 1 differs"),
        (".venv/bin/python -m pytest\n", "", "1 commands"),
        ("bulletin build ISSUE -o out", "bulletin check ISSUE\nbulletin build ISSUE -o out", "command 1 differs"),
        ("## 更多\n", "", "## sections"),
        ("print_run: 200", "print_run: 300", "YAML"),
        ("| 1 | 2 |", "| 1 | 2 | 3 |", "tables differ"),
        ("docs/page1.png", "docs/page2.png", "images differ"),
        ("```yaml", "```yml", "code blocks differ"),
    ],
)
def test_comparison_fails_on_a_mismatch(old, new, expected):
    changed = ZH_SAMPLE.replace(old, new, 1)
    assert changed != ZH_SAMPLE
    problems = differences(parse(changed), parse(EN_SAMPLE))
    assert any(expected in p for p in problems), problems


def test_slug_matches_github():
    assert slug("OFD (GB/T 33190-2016)") == "ofd-gbt-33190-2016"
    assert slug("Distribution (分发)") == "distribution-分发"
    assert slug("浏览器编辑器（`bulletin serve`）") == "浏览器编辑器bulletin-serve"
    assert broken_anchors(parse("## 分发\n\n见[分发](#分发)、[OFD](#ofd)。\n")) == ["#ofd"]


# --- the two READMEs ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def readmes() -> tuple[Readme, Readme]:
    return parse(README_ZH.read_text(encoding="utf-8")), parse(README_EN.read_text(encoding="utf-8"))


def test_readmes_say_the_same(readmes):
    zh, en = readmes
    assert commands(en), "no commands found in README.en.md: the extraction is broken"
    assert differences(zh, en) == []


def test_readmes_link_each_other():
    zh = README_ZH.read_text(encoding="utf-8").splitlines()
    en = README_EN.read_text(encoding="utf-8").splitlines()
    assert "README.en.md" in zh[0]
    assert "README.md" in en[0] and "中文" in en[0]


def test_readme_is_chinese_first(readmes):
    zh, _ = readmes
    prose = "\n".join(zh.prose_lines)
    han = sum(1 for c in prose if "\u4e00" <= c <= "\u9fff")
    latin = sum(1 for c in prose if c.isascii() and c.isalpha())
    # identifiers, file names and commands stay Latin; the prose around them is Chinese
    assert han > latin, (han, latin)


def test_in_page_links_resolve(readmes):
    zh, en = readmes
    assert broken_anchors(zh) == []
    assert broken_anchors(en) == []


def test_every_image_exists(readmes):
    zh, _ = readmes
    for target in zh.images:
        if target.startswith("docs/"):
            assert (ROOT / target).is_file(), target
