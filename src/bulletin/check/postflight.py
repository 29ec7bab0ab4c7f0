"""Postflight: what the typeset pages show that the source did not, as located problems.

Nothing printed wrong in silence:

- every message WeasyPrint logs while rendering (a picture it could not load or draw, a glyph
  it had to draw as a box…) becomes a problem; a picture is an error at its figure's line;
- every box that runs past the text block (版心) — a table too wide for the page, an
  unbreakable line, a picture — is found on the laid-out pages and reported at the source line
  of its block: a warning past the block edge, an error past the page edge (text lost).

`measure()` runs inside typeset() on the laid-out document and returns plain data (it crosses
the prewarm child's pipe); `problems()` turns that data into Problems with the issue's source map.
A box is traced back to its source by the template's structure: the n-th `article.article`
element is the n-th article of the issue; a child of it with a `data-key` (blocks.py:
"a<article>b<block>", the issue's article and block index) is that block — also where placement
moved a picture after the text that flows up before it, or split a paragraph in two around it;
other children after the header are its blocks in order (a `p.byline-line` is the 署名, not a
block).
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..errors import Problem

BLOCK_KEY = re.compile(r"a(\d+)b(\d+)")  # placement.block_key
PX_PER_CM = 96 / 2.54  # WeasyPrint lays out in CSS pixels
EDGE_TOLERANCE = 0.5  # px: rounding of positions
HANG_TOLERANCE_EM = 1.05  # a mark hanging at a line end (行末悬挂) may pass the edge by its own width


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split())


def _places(root) -> dict[int, tuple]:
    """id(element) → where it comes from: ("block", article, block), ("part", article, name) or
    ("other", name), for the elements whose boxes may overflow."""
    places: dict[int, tuple] = {}
    articles = [e for e in root.iter() if e.tag == "article" and "article" in _classes(e)]
    for a, article in enumerate(articles):
        block = 0
        for child in article:
            if child.tag == "header":
                for part in child.iter():
                    places[id(part)] = ("part", a, "title")
                continue
            if "byline-line" in _classes(child):
                places[id(child)] = ("part", a, "byline")
                continue
            key = BLOCK_KEY.fullmatch(child.get("data-key") or "")
            where = ("block", int(key.group(1)), int(key.group(2))) if key else ("block", a, block)
            for inner in child.iter():
                places[id(inner)] = where
            block += 1
    for element in root.iter():
        if id(element) not in places:
            classes = _classes(element)
            for name in ("masthead", "editor-note", "section-name", "distribution", "distribution-anchor"):
                if name in classes:
                    for inner in element.iter():
                        places.setdefault(id(inner), ("other", name))
    return places


def measure(root, document) -> list[dict]:
    """Boxes of the laid-out document that pass the text block, one record per source place and
    page: {"place": list, "page": n, "past_block": px, "past_page": px, "below": px, "what": kind}
    (CSS pixels, as WeasyPrint lays out)."""
    from weasyprint.formatting_structure import boxes

    places = _places(root)
    found: dict[tuple, dict] = {}
    for number, page in enumerate(document.pages, 1):
        page_box = page._page_box
        left, top = page_box.content_box_x(), page_box.content_box_y()
        right, bottom = left + page_box.width, top + page_box.height
        page_right, page_bottom = page_box.margin_width(), page_box.margin_height()
        stack = [(child, None) for child in page_box.children if not isinstance(child, boxes.MarginBox)]
        while stack:
            box, place = stack.pop()
            place = places.get(id(getattr(box, "element", None)), place)
            if isinstance(box, (boxes.TextBox, boxes.ReplacedBox, boxes.TableBox)):
                tolerance = EDGE_TOLERANCE
                if isinstance(box, boxes.TextBox):
                    tolerance += HANG_TOLERANCE_EM * float(box.style["font_size"])
                x0, y0 = box.position_x, box.position_y
                x1, y1 = x0 + box.margin_width(), y0 + box.margin_height()
                past_block = max(x1 - right, left - x0, 0.0)
                below = y1 - bottom if isinstance(box, (boxes.ReplacedBox, boxes.TableBox)) else 0.0
                if past_block > tolerance or below > EDGE_TOLERANCE:
                    kind = ("image" if isinstance(box, boxes.ReplacedBox) else
                            "table" if isinstance(box, boxes.TableBox) else "text")
                    key = (place or ("other", "page"), number)
                    record = found.setdefault(key, {"place": list(key[0]), "page": number, "past_block": 0.0,
                                                    "past_page": 0.0, "below": 0.0, "what": kind})
                    if kind == "table" or record["what"] == "text":
                        record["what"] = kind
                    record["past_block"] = round(max(record["past_block"], past_block), 1)
                    record["past_page"] = round(max(record["past_page"], x1 - page_right, -x0, 0.0), 1)
                    record["below"] = round(max(record["below"], below, y1 - page_bottom if below > 0 else 0.0), 1)
            if isinstance(box, boxes.ParentBox):
                stack.extend((child, place) for child in box.children)
    return list(found.values())


_WHAT = {"table": ("表格", "table"), "image": ("图片", "picture"), "text": ("文字", "text")}


def problems(records: list[dict], messages: list[str], loaded) -> list[Problem]:
    """Located problems from measure()'s records and WeasyPrint's log messages."""
    from ..source.load import article_paths

    file = loaded.folder / "issue.md"
    paths = [path for path, _ in article_paths(loaded.bulletin.issue)]
    out: list[Problem] = []
    for record in records:
        place = tuple(record["place"])
        where: tuple = ()
        if place[0] == "block" and place[1] < len(paths):
            where = paths[place[1]] + ("body", place[2])
        elif place[0] == "part" and place[1] < len(paths):
            where = paths[place[1]] + (place[2],)
        elif place[0] == "other" and place[1] in ("distribution", "distribution-anchor"):
            where = ("distribution",)
        elif place[0] == "other" and place[1] == "editor-note":
            where = ("editor_note",)
        f, line = loaded.sources.locate(where, (file, None)) if where else (file, None)
        column = loaded.sources.column(where) if where else None
        zh, en = _WHAT[record["what"]]
        page = record["page"]
        if record["past_page"] > EDGE_TOLERANCE or record["below"] > EDGE_TOLERANCE:
            amount = max(record["past_page"], record["below"])
            out.append(Problem(
                Path(f), line, f"第 {page} 页：{zh}超出纸张边缘约 {amount / PX_PER_CM:.1f} 厘米，超出的部分印不出来",
                f"page {page}: the {en} runs about {amount / PX_PER_CM:.1f} cm past the edge of the paper and is cut off",
                _hint(record["what"]), _hint_en(record["what"]), column=column))
        else:
            out.append(Problem(
                Path(f), line, f"第 {page} 页：{zh}伸出版心约 {record['past_block'] / PX_PER_CM:.1f} 厘米，印到了页边空白里",
                f"page {page}: the {en} runs about {record['past_block'] / PX_PER_CM:.1f} cm into the margin",
                _hint(record["what"]), _hint_en(record["what"]), column=column, severity="warning"))
    out.extend(_from_messages(messages, loaded))
    return out


def _hint(what: str) -> str:
    return {"table": "减少列数，或把表格拆成两个；长的数字、英文或网址之间加空格以便换行",
            "image": "缩小图片，或检查图片尺寸",
            "text": "长的英文、数字或网址中间加空格或断开，以便换行"}[what]


def _hint_en(what: str) -> str:
    return {"table": "use fewer columns or split the table; put spaces in long numbers, words or addresses",
            "image": "make the picture smaller", "text": "break long words, numbers or addresses"}[what]


def _figure_lines(loaded) -> dict[str, tuple[Path, int | None, int | None]]:
    """Resolved file of each figure → its source place."""
    from ..source.load import article_paths
    from ..model import Figure, FigureRow

    file = loaded.folder / "issue.md"
    found = {}
    for path, article in article_paths(loaded.bulletin.issue):
        for i, block in enumerate(article.body):
            for figure in block.figures if isinstance(block, FigureRow) else [block]:  # side by side: the row's line
                if isinstance(figure, Figure):
                    target = str((loaded.folder / figure.path).resolve())
                    found.setdefault(target, (*loaded.sources.locate(path + ("body", i), (file, None)),
                                              loaded.sources.column(path + ("body", i))))
    return found


def _from_messages(messages: list[str], loaded) -> list[Problem]:
    """WeasyPrint's log: a picture it could not load or draw is an error at its figure; anything
    else it says about the document is a warning, its text kept."""
    import re

    file = loaded.folder / "issue.md"
    figures = _figure_lines(loaded)
    out = []
    for message in messages:
        m = re.match(r"Failed to (?:load|render SVG) image(?: at)? '?([^' ]+)'?", message)
        if m:
            url = m.group(1)
            parts = urlsplit(url)
            target = str(Path(url2pathname(unquote(parts.path))).resolve()) if parts.scheme == "file" else url
            f, line, column = figures.get(target, (file, None, None))
            name = Path(unquote(parts.path)).name
            out.append(Problem(Path(f), line, f"图片 {name} 无法排印（格式不支持或文件已损坏），会被漏掉",
                               f"the picture {name} cannot be printed (unsupported or damaged): it would be left out",
                               "换用 PNG 或 JPEG 格式，或在看图软件里打开后重新导出",
                               "use PNG or JPEG, or open and export it again", column=column))
            continue
        if ".notdef glyph" in message:
            ch = re.search(r'"(.?)" \(U\+([0-9A-F]+)\)', message)
            shown = (f"“{ch.group(1)}”（U+{ch.group(2)}）" if ch and ch.group(1) else f"U+{ch.group(2)}") if ch else "一个字符"
            out.append(Problem(file, None, f"字符 {shown} 没有字体能印出来，印成了方框", f"a character printed as a box: {message}",
                               "换用常用字或同义写法", "replace it with a common character", severity="warning"))
            continue
        out.append(Problem(file, None, "排版引擎报告了一个问题", f"the typesetting engine reported: {message}",
                           f"原文（英文）：{message}", "", severity="warning"))
    return out
