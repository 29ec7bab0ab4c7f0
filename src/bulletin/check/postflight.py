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

import math
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
    return list(found.values()) + page_feet(root, document)


HEADING_CLASSES = ("section-name", "article-head", "subheading")  # a heading group never ends a page
EMPTY_LINES = 2  # more empty lines than this at a page foot is worth a note


def page_feet(root, document) -> list[dict]:
    """Pages (but the last) whose foot stays more than two lines empty because the heading group
    that heads the next page — 【栏目】, 引题/标题/副题, 小标题 — does not fit there with the two
    lines of text it keeps (标题不落页脚, 段首不少于两行). Nothing can fill such a foot but text: an
    editor cuts or adds a few lines. One record per page: {"what": "hole", "page": n, "place":
    the article after the group, "empty": lines, "short": lines the group lacks} (in lines)."""
    from weasyprint.formatting_structure import boxes

    places = _places(root)
    pitch, feet, heads, filled, colophon = None, [], [], [], []
    for page in document.pages:
        page_box = page._page_box
        top, bottom = page_box.content_box_y(), page_box.content_box_y() + page_box.height
        used, items = top, []  # items: (role, box bottom, gap above, place) in reading order
        stack = []
        for child in reversed(page_box.children):
            if isinstance(child, boxes.FootnoteAreaBox):
                if child.children:
                    bottom = min(bottom, child.position_y)
            elif not isinstance(child, boxes.MarginBox):
                stack.append((child, "other", 0.0, None))
        while stack:
            box, role, gap, place = stack.pop()
            element = getattr(box, "element", None)
            if getattr(box, "element_tag", None) is not None and element is not None:
                classes = _classes(element)
                place = places.get(id(element), place)
                if role in ("other", "article") and (classes & set(HEADING_CLASSES)):
                    role = next(c for c in HEADING_CLASSES if c in classes)
                elif role == "other" and "article" in classes:
                    role = "article"
                elif role == "article" and element.tag == "p":  # a paragraph of an article's body
                    role = "body"
                    if pitch is None and box.style["line_height"] != "normal":  # the body's line pitch
                        pitch = box.style["line_height"].value
                if "section-name" in classes or "article" in classes:
                    value = box.style["margin_top"]
                    if getattr(value, "unit", None) == "px":
                        gap = max(gap, value.value)
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox, boxes.TableBox)):
                end = box.position_y + box.margin_height() if not isinstance(box, boxes.LineBox) \
                    else box.position_y + box.height
                used = max(used, end)
                kind = role if isinstance(box, boxes.LineBox) and role in (*HEADING_CLASSES, "body") else "other"
                items.append((kind, end - top, gap, place))
                continue
            if isinstance(box, boxes.ParentBox):
                stack.extend((child, role, gap, place) for child in reversed(box.children))
        feet.append(bottom - used)
        heads.append(items)
        filled.append((used - top) + (top + page_box.height - bottom))  # text, and the 版记 under it
        colophon.append(bottom < top + page_box.height - 0.5)
    if not pitch:
        return []
    found = []
    for number in range(1, len(feet)):  # page `number` (1-based) and the one after it
        room, items = feet[number - 1], heads[number]
        if room <= (EMPTY_LINES + 0.3) * pitch or not items:
            continue
        if number == len(feet) - 1 and colophon[number] and not colophon[number - 1]:
            # the last page: the 版记 stays with the last lines of text (two at least), and they
            # with their paragraph and its heading; all of it did not fit here
            short = filled[number] + items[0][2] - room
            if short > 0 and (items[0][0] in HEADING_CLASSES or short < 2 * pitch):
                place = next((item[3] for item in items if item[3] and item[3][0] in ("block", "part")), None)
                found.append({"what": "hole", "page": number, "opens": "colophon",
                              "place": list(place) if place else ["other", "distribution"],
                              "empty": round(room / pitch, 1), "short": round(short / pitch, 1)})
                continue
        if items[0][0] not in HEADING_CLASSES:
            continue
        group = 0
        while group < len(items) and items[group][0] in HEADING_CLASSES:
            group += 1
        body = [item for item in items[group:group + 2]]
        if len(body) < 2 or any(role != "body" for role, *_rest in body):
            continue
        need = body[1][1] + items[0][2]
        short = need - room
        if short <= 0:
            continue
        opens = items[0][0]  # what opens the next page: a 栏目, an article or a 小标题
        place = (items[0][3] if opens == "subheading" else None) or body[0][3] or items[0][3]
        found.append({"what": "hole", "page": number, "place": list(place) if place else ["other", "page"],
                      "opens": opens,
                      "empty": round(room / pitch, 1), "short": round(short / pitch, 1)})
    return found


_WHAT = {"table": ("表格", "table"), "image": ("图片", "picture"), "text": ("文字", "text")}


def problems(records: list[dict], messages: list[str], loaded) -> list[Problem]:
    """Located problems from measure()'s records and WeasyPrint's log messages."""
    from ..source.body import article_paths

    file = loaded.folder / "issue.md"
    paths = [path for path, _ in article_paths(loaded.bulletin.issue)]
    out: list[Problem] = []
    for record in records:
        if record["what"] == "hole":
            out.append(_hole(record, loaded, paths, file))
            continue
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


def _hole(record: dict, loaded, paths, file: Path) -> Problem:
    """A note: a page foot left empty because the next heading group, with its two lines of text,
    does not fit there; the editor's remedy is the text's length (located at that article's title)."""
    place, opens = tuple(record["place"]), record.get("opens")
    where: tuple = ()
    if place[0] in ("block", "part") and place[1] < len(paths):
        where = paths[place[1]] + (("body", place[2]) if opens == "subheading" and place[0] == "block" else ("title",))
        if opens == "section-name" and where[0] == "sections":
            where = where[:2] + ("name",)
    f, line = loaded.sources.locate(where, (file, None)) if where else (file, None)
    zh, en = {"section-name": ("栏目名和", "the section heading and the title that open"),
              "subheading": ("小标题", "the subheading that opens")}.get(opens, ("", "the title that opens"))
    page, empty, short = record["page"], record["empty"], record["short"]
    cut, fill = max(1, math.ceil(short - 0.05)), max(1, math.floor(empty + 0.05))
    if opens == "colophon":
        return Problem(
            Path(f), line,
            f"第 {page} 页页脚空约 {empty:g} 行：版记要和末段的最后两行同在末页，末页的文字连同版记在这里还差约 {short:g} 行，"
            "只好都排到下一页",
            f"page {page} ends about {empty:g} lines short: the 版记 stays with the last lines of text, and the "
            f"last page's text with it needs about {short:g} lines more there",
            f"把末页以前的文字删减约 {cut} 行，末页的内容就能提到本页；或在本页增补约 {fill} 行",
            f"cut about {cut} lines before the last page to bring it up, or add about {fill} lines on page {page}",
            severity="info")
    return Problem(
        Path(f), line,
        f"第 {page} 页页脚空约 {empty:g} 行：下一页开头的{zh}标题连同两行正文在这里还差约 {short:g} 行，"
        "标题不能单独落在页脚，只好另起一页",
        f"page {page} ends about {empty:g} lines short: {en} the next page, with two lines of text, "
        f"need about {short:g} lines more there, and a heading never ends a page",
        f"把第 {page} 页及以前的文字删减约 {cut} 行，标题就能提到本页；或在本页增补约 {fill} 行",
        f"cut about {cut} lines on page {page} or before to bring the heading up, or add about {fill} lines",
        severity="info")


def is_page_foot_note(problem: Problem) -> bool:
    """Whether a problem is _hole's note (build prints it with the warnings)."""
    return problem.severity == "info" and problem.message_en.startswith("page ") and " lines short: " in problem.message_en


def _hint(what: str) -> str:
    return {"table": "减少列数，或把表格拆成两个；长的数字、英文或网址之间加空格以便换行",
            "image": "缩小图片，或检查图片尺寸",
            "text": "长的英文、数字或网址中间加空格或断开，以便换行"}[what]


def _hint_en(what: str) -> str:
    return {"table": "use fewer columns or split the table; put spaces in long numbers, words or addresses",
            "image": "make the picture smaller", "text": "break long words, numbers or addresses"}[what]


def _figure_lines(loaded) -> dict[str, tuple[Path, int | None, int | None]]:
    """Resolved file of each figure → its source place."""
    from ..source.body import article_paths
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
