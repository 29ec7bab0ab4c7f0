"""The Markdown body of issue.md → sections, articles and blocks (the model's dicts), each marked in
the SourceMap with its line; HTML comments (<!-- … -->) are dropped first."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..errors import BulletinError, Problem, ProblemList
from ..text import join_lines
from .images import check_local_path
from .sourcemap import Path_, SourceMap

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
# Escaped characters (\*) stay “text_special” tokens: a “**” left in a text token is then one
# markdown-it could not pair, and prints as typed (see _Body.literal_markup).
_md.disable("text_join")
_TEXT = ("text", "text_special", "code_inline")
UNPAIRED_STRONG = re.compile(r"\*\*")
UNPARSED_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,500}\)")  # bounded: linear on any line

KEYWORD = re.compile(r"^(引题|副题|署名)[：:]\s*(.*)$", re.S)
BYLINE = re.compile(r"^[（(]([^（）()]{1,40})[）)]$")
TRAILING_BYLINE = re.compile(r"(?<=[。！？”’…])[ \t\u3000]+[（(]([^（）()，。,]{1,20})[）)]$")
TITLE_BREAK = re.compile(r"\s*[|｜]\s*")
# a picture's size after it: {width=60%} / {宽=12字} / {宽度=80mm}
PICTURE_ATTRS = re.compile(r"\{\s*(width|宽|宽度)\s*[=＝:：]\s*([0-9]+(?:\.[0-9]+)?(?:%|％|字|mm))\s*\}")


class _Body:
    """Builds lead articles and sections from markdown-it tokens."""

    def __init__(self, file: Path, offset: int, issue_dir: Path, smap: SourceMap, text: str = ""):
        self.file, self.offset, self.issue_dir, self.smap = file, offset, issue_dir, smap
        self.source_lines = text.split("\n")
        self.problems = ProblemList()
        self.lead: list[dict] = []
        self.sections: list[dict] = []
        self.article: dict | None = None
        self.pending_kicker: tuple[str, int] | None = None
        self.cells = self.figures = self.image_bytes = 0  # running totals, for the issue's limits

    # -- locations
    def line(self, token: Token) -> int:
        return (token.map[0] if token.map else 0) + 1 + self.offset

    def article_path(self) -> Path_:
        if self.sections:
            return ("sections", len(self.sections) - 1, "articles", len(self.sections[-1]["articles"]) - 1)
        return ("lead", len(self.lead) - 1)

    def column_of(self, line: int) -> int | None:
        """Column of the first character of a file line in the body (1-based)."""
        index = line - self.offset - 1
        if 0 <= index < len(self.source_lines):
            text = self.source_lines[index]
            return len(text) - len(text.lstrip()) + 1
        return None

    def mark(self, path: Path_, line: int) -> None:
        self.smap.lines[path] = (self.file, line)
        column = self.column_of(line)
        if column:
            self.smap.columns[path] = column

    def problem(self, line: int, zh: str, en: str, hint: str = "", hint_en: str = "") -> None:
        self.problems.add(self.file, line, zh, en, hint, hint_en, self.column_of(line))

    # -- structure
    def start_section(self, name: str, line: int) -> None:
        self.dangling_kicker()
        self.finish_article()
        self.sections.append({"name": name, "articles": []})
        self.mark(("sections", len(self.sections) - 1), line)

    def start_article(self, title: str, line: int) -> None:
        self.finish_article()
        self.article = {"title": TITLE_BREAK.sub("\n", title), "body": [], "_line": line}
        (self.sections[-1]["articles"] if self.sections else self.lead).append(self.article)
        path = self.article_path()
        self.mark(path, line)
        self.mark(path + ("title",), line)
        self.mark(path + ("body",), line)
        if self.pending_kicker:
            self.article["kicker"] = self.pending_kicker[0]
            self.mark(path + ("kicker",), self.pending_kicker[1])
            self.pending_kicker = None

    def dangling_kicker(self) -> None:
        """A kicker line must be followed by the title it belongs to."""
        if self.pending_kicker:
            self.problem(self.pending_kicker[1], "引题后面没有文章标题", "kicker not followed by a title",
                         "引题下一行应是 ## 文章标题", "put the '## title' line right after the kicker")
            self.pending_kicker = None

    def finish_article(self) -> None:
        article = self.article
        if article is None:
            return
        line = article.pop("_line")
        body = article["body"]
        sources = [block.pop("_source", None) for block in body]
        own_line = BYLINE.match(sources[-1].rsplit("\n", 1)[-1].strip()) if sources and sources[-1] and \
            "\n" in sources[-1].strip() else None
        if own_line and "byline" not in article:  # “……发言。⏎（魏程明）”: the 署名 on a line of its own
            last = body[-1]["content"][-1]
            cut = re.search(r"\s*" + re.escape(own_line.group(0)) + r"\s*$", last["text"])
            if cut:
                article["byline"] = own_line.group(1).strip()
                last["text"] = last["text"][: cut.start()].rstrip()
                if not last["text"]:
                    body[-1]["content"].pop()
                if not body[-1]["content"]:
                    body.pop()
        # trailing （署名） paragraph → byline
        if body and body[-1]["kind"] == "paragraph" and "byline" not in article:
            text = "".join(s["text"] for s in body[-1]["content"]).strip()
            m = BYLINE.match(text)
            tail = TRAILING_BYLINE.search(body[-1]["content"][-1]["text"])
            if m:
                article["byline"] = m.group(1).strip()
                body.pop()
            elif tail:  # “……作了发言。 （魏程明）”: the byline typed at the end of the last paragraph
                article["byline"] = tail.group(1).strip()
                last = body[-1]["content"][-1]
                last["text"] = last["text"][: tail.start()].rstrip()
        if not body:
            self.problem(line, f"文章《{article['title']}》没有正文", f"article '{article['title']}' has no body text",
                         "在标题下面写正文段落", "write paragraphs below the title")
        self.article = None

    def add_block(self, block: dict, line: int) -> None:
        if self.article is None:
            self.problem(line, "正文出现在第一篇文章标题之前", "text before the first article title",
                         "先写 ## 文章标题，再写正文", "start an article with a '## title' line first")
            return
        self.article["body"].append(block)
        self.mark(self.article_path() + ("body", len(self.article["body"]) - 1), line)

    # -- token walk
    def run(self, tokens: list[Token]) -> None:
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            line = self.line(tok)
            if tok.type == "heading_open":
                text = self.plain(tokens[i + 1])
                if tok.tag in ("h1", "h2"):
                    self.literal_markup(tokens[i + 1])
                level = int(tok.tag[1])
                if level == 1:
                    self.start_section(text, line)
                elif level == 2:
                    self.start_article(text, line)
                else:
                    self.add_block({"kind": "heading", "level": level, "content": self.spans(tokens[i + 1])}, line)
                i += 3
            elif tok.type == "paragraph_open":
                self.paragraph(tokens[i + 1], line, tokens[i + 3] if i + 3 < len(tokens) else None)
                i += 3
            elif tok.type in ("bullet_list_open", "ordered_list_open"):
                i = self.list_block(tokens, i)
            elif tok.type == "table_open":
                i = self.table(tokens, i)
            else:
                kind = {"fence": "代码块", "code_block": "缩进代码块（行首四个空格）", "blockquote_open": "引用块（>）",
                        "hr": "分隔线（---）"}.get(tok.type, tok.type)
                self.problem(line, f"不支持的 Markdown 结构：{kind}", f"unsupported Markdown construct: {tok.type}",
                             "正文段落不要以四个空格或 Tab 开头；不要使用 >、```、---",
                             "do not indent paragraphs by four spaces; do not use >, ``` or ---")
                i = self.skip(tokens, i)
        self.dangling_kicker()
        self.finish_article()

    @staticmethod
    def skip(tokens: list[Token], i: int) -> int:
        depth = 0
        while i < len(tokens):
            depth += tokens[i].nesting
            i += 1
            if depth <= 0:
                return i
        return i

    def paragraph(self, inline: Token, line: int, next_token: Token | None) -> None:
        children = [c for c in inline.children or []
                    if not (c.type == "text" and not c.content.strip()) and c.type not in ("softbreak", "hardbreak")]
        images = [c for c in children if c.type == "image"]
        if images:
            self.pictures(children, line)
            return
        text = self.plain(inline)
        m = KEYWORD.match(text)
        if m:
            self.keyword_lines(text, line, next_token)
            return
        self.add_block({"kind": "paragraph", "content": self.spans(inline), "_source": inline.content}, line)

    def keyword_lines(self, text: str, line: int, next_token: Token | None) -> None:
        for offset, raw in enumerate(text.split("\n")):
            m = KEYWORD.match(raw.strip())
            if not m:
                self.problem(line + offset, "引题/副题/署名行之间不能夹正文", "body text among kicker/subtitle lines",
                             "正文与引题、副题之间空一行", "leave a blank line before the body text")
                continue
            key, value = m.group(1), m.group(2).strip()
            if not value:
                self.problem(line + offset, f"{key}是空的", f"empty {key}")
                continue
            before_title = next_token is not None and next_token.type == "heading_open" and next_token.tag == "h2"
            if key == "引题" and (self.article is None or self.article["body"] or before_title):
                self.pending_kicker = (value, line + offset)
                continue
            if self.article is None:
                self.problem(line + offset, f"{key}出现在文章标题之前", f"{key} before any article title",
                             "写在 ## 标题 下一行", "put it right below the '## title' line")
                continue
            field_name = {"引题": "kicker", "副题": "subtitle", "署名": "byline"}[key]
            if key != "署名" and self.article["body"]:
                self.problem(line + offset, f"{key}应紧跟在标题下面，不能写在正文中间",
                             f"{key} must follow the title, not the body", "把这一行移到 ## 标题 的下一行",
                             "move this line right below the title")
                continue
            self.article[field_name] = value
            self.mark(self.article_path() + (field_name,), line + offset)

    def pictures(self, children: list[Token], line: int) -> None:
        """A paragraph of images: one picture, or two or three side by side; each image may be
        followed by its size, ``{width=60%}`` (``宽``: 60%, 12字, 80mm)."""
        figures: list[dict] = []
        for child in children:
            if child.type == "image":
                figure = self.figure(child, line)
                if figure is None:
                    return
                figures.append(figure)
                continue
            attrs = PICTURE_ATTRS.fullmatch(child.content.strip()) if child.type == "text" and figures else None
            if attrs is None or "width" in figures[-1]:
                self.problem(line, "图片必须单独成段（一行可以并排放两三张图片，不能夹文字）",
                             "an image must be a paragraph of its own (two or three side by side, no text)",
                             "把 ![图注](images/图片.jpg) 单独放一行，前后空一行；宽度写在图片后面，如 {宽=60%}",
                             "put the image on its own line; a size follows it as {width=60%}")
                return
            figures[-1]["width"] = attrs.group(2).replace("％", "%")
        if len(figures) > 3:
            self.problem(line, f"一行放了 {len(figures)} 张图片，最多并排三张", f"{len(figures)} images in a row; at most three",
                         "分成两段（中间空一行），每段两三张", "split them into paragraphs of two or three")
            return
        if len(figures) == 1:
            self.add_block(figures[0], line)
        else:
            self.add_block({"kind": "figures", "figures": figures}, line)

    def figure(self, image: Token, line: int) -> dict | None:
        from ..limits import MAX_FIGURES, MAX_IMAGES_TOTAL_BYTES

        src = str(image.attrs.get("src", ""))
        caption = "".join(c.content for c in image.children or []) or str(image.attrs.get("title") or "")
        self.figures += 1
        if self.figures > MAX_FIGURES:
            if self.figures == MAX_FIGURES + 1:
                self.problem(line, f"图片太多：一期最多 {MAX_FIGURES} 张", f"too many pictures: at most {MAX_FIGURES} in an issue",
                             "把图片分到几期，或删去一些", "spread them over several issues")
            return
        problem = check_local_path(unquote(src), self.issue_dir)
        if problem:
            self.problem(line, *problem)
            return None
        self.image_bytes += (self.issue_dir / unquote(src)).stat().st_size
        if self.image_bytes > MAX_IMAGES_TOTAL_BYTES:
            self.problem(line, f"本期图片合计超过 {MAX_IMAGES_TOTAL_BYTES // 10**6} MB（都要嵌进 PDF）",
                         f"the pictures of the issue add up to more than {MAX_IMAGES_TOTAL_BYTES // 10**6} MB",
                         "压缩图片（印刷用 JPEG 每张 2–5 MB 足够）", "compress the pictures (2-5 MB each is plenty)")
            return None
        return {"kind": "figure", "src": src, "caption": caption.strip()}

    def list_block(self, tokens: list[Token], i: int) -> int:
        open_tok = tokens[i]
        line = self.line(open_tok)
        end = self.skip(tokens, i)
        items: list[list[dict]] = []
        depth = 0
        for tok in tokens[i + 1:end - 1]:
            if tok.type in ("bullet_list_open", "ordered_list_open"):
                self.problem(self.line(tok), "不支持嵌套列表", "nested lists are not supported",
                             "把子项合并到上一层列表里", "flatten the list")
                return end
            depth += tok.nesting
            if tok.type == "list_item_open":
                items.append([])
            elif tok.type == "inline" and items:
                if items[-1]:
                    items[-1].append({"text": "\n"})
                items[-1].extend(self.spans(tok))
        block = {"kind": "list", "ordered": open_tok.type == "ordered_list_open", "items": [i for i in items if i]}
        if block["ordered"]:
            block["start"] = int(open_tok.attrs.get("start", 1) or 1)
        self.add_block(block, line)
        return end

    def table(self, tokens: list[Token], i: int) -> int:
        from ..limits import MAX_TABLE_CELLS

        line = self.line(tokens[i])
        end = self.skip(tokens, i)
        cells = sum(1 for tok in tokens[i + 1:end - 1] if tok.type in ("th_open", "td_open"))
        self.cells += cells
        if self.cells > MAX_TABLE_CELLS:
            self.problem(line, f"表格太大：本期表格合计 {self.cells} 个单元格，最多 {MAX_TABLE_CELLS} 个",
                         f"too much table: {self.cells} cells in the issue's tables, at most {MAX_TABLE_CELLS}",
                         "长的数据表格不适合印在简报里：只留要点，或作为附件另发", "keep the key figures; send long data separately")
            return end
        header: list = []
        rows: list = []
        align: list = []
        current: list | None = None
        in_head = False
        for tok in tokens[i + 1:end - 1]:
            if tok.type == "thead_open":
                in_head = True
            elif tok.type == "thead_close":
                in_head = False
            elif tok.type == "tr_open":
                current = []
            elif tok.type == "tr_close":
                if in_head:
                    header = current or []
                else:
                    rows.append(current or [])
            elif tok.type in ("th_open", "td_open") and in_head:
                style = str(tok.attrs.get("style", ""))
                m = re.search(r"text-align:(left|center|right)", style)
                align.append(m.group(1) if m else None)
            elif tok.type == "inline" and current is not None:
                current.append(self.spans(tok))
        self.add_block({"kind": "table", "header": header, "rows": rows, "align": align}, line)
        return end

    # -- inline content
    def literal_markup(self, inline: Token) -> None:
        """Markup markdown-it left as text prints as typed: an unpaired ** or an image it could
        not read (a space in the path) is an error at its place."""
        for c in inline.children or []:
            if c.type != "text":
                continue
            for pattern, zh, en, hint, hint_en in (
                (UNPARSED_IMAGE, "图片写法没有被识别，会原样印出（路径里有空格或括号？）",
                 "image markup not recognised: it would print as typed (a space or bracket in the path?)",
                 "图片文件名不要有空格和括号（改名为如 photo-1.jpg）；或把路径写在尖括号里：![图注](<images/my photo.jpg>)",
                 "rename the file without spaces, or write the path in angle brackets: ![caption](<images/my photo.jpg>)"),
                (UNPAIRED_STRONG, "加粗标记 ** 没有配对，会原样印出", "unpaired ** would print as typed",
                 "在要加粗的文字两边各写 **；确要印出星号时写 \\*",
                 "put ** on both sides of the bold text; write \\* for a printed asterisk"),
            ):
                m = pattern.search(c.content)
                if m:
                    line, column = self.find(inline, m.group())
                    target = m.group()[m.group().find("](") + 2:-1].strip()
                    if pattern is UNPARSED_IMAGE and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                        zh, en, hint, hint_en = check_local_path(target, self.issue_dir)  # file:, data:, javascript:…
                    self.problems.add(self.file, line, zh, en, hint, hint_en, column)
                    return

    def find(self, inline: Token, needle: str) -> tuple[int, int | None]:
        """File line and column where `needle` first stands in the source of an inline token."""
        start = self.line(inline)
        end = start + max(1, (inline.map[1] - inline.map[0]) if inline.map else 1)
        for line in range(start, end):
            index = line - self.offset - 1
            if 0 <= index < len(self.source_lines):
                at = self.source_lines[index].find(needle)
                if at >= 0:
                    return line, at + 1
        return start, self.column_of(start)

    @staticmethod
    def plain(inline: Token) -> str:
        parts: list[str] = []
        for c in inline.children or []:
            if c.type in ("softbreak", "hardbreak"):
                parts.append("\n")
            elif c.type in _TEXT:
                parts.append(c.content)
            elif c.type == "image":
                parts.append("".join(x.content for x in c.children or []))
        text = "".join(parts)
        return re.sub(r"\s*\n\s*", "\n", text).strip()

    def spans(self, inline: Token) -> list[dict]:
        """Inline tokens → spans; soft line breaks join without a space around CJK text."""
        self.literal_markup(inline)
        spans: list[dict] = []
        strong = emphasis = 0
        pending_break = False

        def add(text: str) -> None:
            nonlocal pending_break
            style = {"strong": strong > 0, "emphasis": emphasis > 0}
            if pending_break and spans:
                left, right = spans[-1]["text"].rstrip(), text.lstrip()
                spans[-1]["text"] = left
                text = (" " if join_lines(left, right) != left + right else "") + right
            pending_break = False
            if spans and {k: spans[-1][k] for k in style} == style:
                spans[-1]["text"] += text
            else:
                spans.append({"text": text, **style})

        for c in inline.children or []:
            if c.type in _TEXT:
                add(c.content)
            elif c.type == "softbreak":
                pending_break = True
            elif c.type == "hardbreak":
                add("\n")
            elif c.type == "strong_open":
                strong += 1
            elif c.type == "strong_close":
                strong -= 1
            elif c.type == "em_open":
                emphasis += 1
            elif c.type == "em_close":
                emphasis -= 1
            # links keep their text only: a printed bulletin has no hyperlinks
        if spans:
            spans[0]["text"] = spans[0]["text"].lstrip()
            spans[-1]["text"] = spans[-1]["text"].rstrip()
        return [s for s in spans if s["text"]]


def comment_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every closed <!-- … --> comment, in one pass (a regex would go back over
    the rest of the text from every unclosed “<!--”: minutes for a few hundred KB of them)."""
    spans, at = [], 0
    while True:
        start = text.find("<!--", at)
        if start < 0:
            return spans
        end = text.find("-->", start + 4)
        if end < 0:
            return spans  # unclosed: the loader reports it
        spans.append((start, end + 3))
        at = end + 3


def strip_comments(text: str) -> str:
    """Remove <!-- comments --> (editors' notes, template guidance), keeping line numbers."""
    out, at = [], 0
    for start, end in comment_spans(text):
        out += [text[at:start], "\n" * text.count("\n", start, end)]
        at = end
    out.append(text[at:])
    return "".join(out)


def _comment_ends(text: str, file: Path, offset: int) -> None:
    """A comment left open (or a stray -->) would print the editor's private note."""
    stripped = strip_comments(text)
    for mark, zh, en, hint, hint_en in (
        ("<!--", "注释没有结束（缺少 -->），注释里的文字会印出来", "a comment is not closed (no -->): its text would print",
         "在注释末尾写 -->", "end the comment with -->"),
        ("-->", "多出一个注释结束标记 -->（前面没有 <!--），会原样印出", "a --> without <!--: it would print as typed",
         "补上注释开头 <!--，或删去 -->", "add the <!-- that opens the comment, or delete the -->"),
    ):
        at = stripped.find(mark)
        if at >= 0:
            line = stripped.count("\n", 0, at)
            column = at - (stripped.rfind("\n", 0, at) + 1) + 1
            raise BulletinError(Problem(file, line + 1 + offset, zh, en, hint, hint_en, column=column))


def parse_body(text: str, file: Path, offset: int, issue_dir: Path, smap: SourceMap) -> tuple[list, list]:
    _comment_ends(text, file, offset)
    text = strip_comments(text)
    builder = _Body(file, offset, issue_dir, smap, text)
    builder.run(_md.parse(text))
    builder.problems.raise_if_any()
    return builder.lead, builder.sections


def article_paths(issue) -> list[tuple[Path_, object]]:
    """(data path, article) for every article, in order: ("lead", i) or ("sections", s, "articles", i)."""
    return [(("lead", i), a) for i, a in enumerate(issue.lead)] + [
        (("sections", s, "articles", i), a) for s, section in enumerate(issue.sections)
        for i, a in enumerate(section.articles)]
