"""issue.md as the editor sees it, and back — keeping what the editor did not touch byte for byte.

The browser edits fields (metadata; per article: kicker, title, subtitle, body, byline) and the
order of sections and articles. Parsing splits the file into the YAML front matter (kept as text;
single keys are rewritten in place, comments and key order stay), the text before the first
heading, and chunks: one per section heading and one per article (from its 引题 line or ## title to
the next heading). Saving writes untouched chunks as they were, so a save is a small diff.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

import yaml

from ..source.load import BYLINE, FRONT_MATTER
from ..source.yaml_input import compose_node, safe_load

SECTION = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$")
ARTICLE = re.compile(r"^##[ \t]+(.+?)[ \t]*$")
KICKER = re.compile(r"^引题[：:][ \t]*(.*)$")
SUBTITLE = re.compile(r"^副题[：:][ \t]*(.*)$")
SIGNED = re.compile(r"^署名[：:][ \t]*(.*)$")
FRONT_FIELDS = ("number", "date", "total_number", "print_run", "editor_note")


@dataclass
class ArticleDoc:
    key: str  # stable within one parse: where the chunk came from (for “unchanged” checks)
    title: str = ""
    kicker: str = ""
    subtitle: str = ""
    body: str = ""
    byline: str = ""
    raw: str = field(default="", repr=False)  # the chunk as read; "" for a new article

    def fields(self) -> tuple:
        return (self.title, self.kicker, self.subtitle, self.body, self.byline)


@dataclass
class SectionDoc:
    key: str
    name: str
    articles: list[ArticleDoc] = field(default_factory=list)
    intro: str = ""  # text between the heading and the first article (comments, usually)
    raw: str = field(default="", repr=False)  # the heading line as read


@dataclass
class IssueDoc:
    front_text: str  # the YAML between the --- lines
    preamble: str  # body text before the first heading
    lead: list[ArticleDoc]
    sections: list[SectionDoc]
    front: dict = field(default_factory=dict)  # FRONT_FIELDS values as strings ("" = absent)
    distribution: dict = field(default_factory=dict)  # {"增发": [...], "停发": [...]} (registry form)

    def to_json(self) -> dict:
        data = asdict(self)
        for part in [*data["lead"], *(a for s in data["sections"] for a in s["articles"])]:
            part.pop("raw")
        for section in data["sections"]:
            section.pop("raw")
        return data


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _comment_mask(lines: list[str]) -> list[bool]:
    """True for lines inside (or opening/closing) an HTML comment: headings there are not headings."""
    mask, inside = [], False
    for line in lines:
        starts_inside = inside
        pos = 0
        while True:
            if inside:
                end = line.find("-->", pos)
                if end < 0:
                    break
                inside, pos = False, end + 3
            else:
                start = line.find("<!--", pos)
                if start < 0:
                    break
                inside, pos = True, start + 4
        mask.append(starts_inside or "<!--" in line)
    return mask


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _strip_blank(lines: list[str]) -> str:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return "\n".join(lines)


def parse_article(key: str, chunk: str) -> ArticleDoc:
    lines = chunk.split("\n")
    doc = ArticleDoc(key=key, raw=chunk)
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and (m := KICKER.match(lines[i])):
        doc.kicker = m.group(1).strip()
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and (m := ARTICLE.match(lines[i])):
        doc.title = m.group(1).replace("|", "\n").replace("｜", "\n")
        i += 1
    rest = lines[i:]
    j = 0
    while j < len(rest) and not rest[j].strip():
        j += 1
    if j < len(rest) and (m := SUBTITLE.match(rest[j])):
        doc.subtitle = m.group(1).strip()
        rest = rest[j + 1:]
    body = _strip_blank(rest).split("\n") if _strip_blank(rest) else []
    if body and (m := BYLINE.match(body[-1].strip()) or SIGNED.match(body[-1].strip())):
        doc.byline = m.group(1).strip()
        body = body[:-1]
    doc.body = _strip_blank(body)
    return doc


def article_text(doc: ArticleDoc) -> str:
    """An article chunk from its fields (the raw chunk when nothing changed)."""
    if doc.raw and parse_article(doc.key, doc.raw).fields() == doc.fields():
        return doc.raw
    out = []
    if doc.kicker.strip():
        out.append(f"引题：{_one_line(doc.kicker)}")
    title = "|".join(part.strip() for part in doc.title.strip().split("\n") if part.strip())
    out.append(f"## {title}")
    if doc.subtitle.strip():
        out.append(f"副题：{_one_line(doc.subtitle)}")
    out.append("")
    body = _safe_body(doc.body.strip("\n"))
    if body:
        out += [body, ""]
    if doc.byline.strip():
        out += [f"（{_one_line(doc.byline).strip('（）()')}）", ""]
    return "\n".join(out) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _safe_body(body: str) -> str:
    """Body lines that would start a section or an article become text: “# x” → “＃ x”."""
    return "\n".join(re.sub(r"^(#{1,2})(?=[ \t])", lambda m: "＃" * len(m.group(1)), line) for line in body.split("\n"))


def parse(text: str) -> IssueDoc:
    text = text.replace("\r\n", "\n")
    match = FRONT_MATTER.match(text if text.endswith("\n") else text + "\n")
    if not match:
        raise ValueError("no front matter")
    front_text = match.group(1) or ""
    body = text[match.end():]
    lines = (body[:-1] if body.endswith("\n") else body).split("\n") if body else []
    comment = _comment_mask(lines)
    # chunk boundaries: section headings; article titles (with a 引题 line right above)
    starts: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if comment[i]:
            continue
        if ARTICLE.match(line):
            k = i
            j = i - 1
            while j >= 0 and not lines[j].strip() and not comment[j]:
                j -= 1
            if j >= 0 and not comment[j] and KICKER.match(lines[j]):
                k = j
            starts.append((k, "article"))
        elif SECTION.match(line) and not line.startswith("##"):
            starts.append((i, "section"))
    doc = IssueDoc(front_text=front_text, preamble="", lead=[], sections=[])
    first = starts[0][0] if starts else len(lines)
    doc.preamble = _join(lines[:first])
    for n, (start, kind) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        chunk = _join(lines[start:end])
        if kind == "section":
            heading = lines[start]
            name = SECTION.match(heading).group(1).strip().strip("【】[]")
            doc.sections.append(SectionDoc(key=f"s{start}", name=name, raw=heading,
                                           intro=_join(lines[start + 1:end])))
        else:
            article = parse_article(f"a{start}", chunk)
            (doc.sections[-1].articles if doc.sections else doc.lead).append(article)
    try:  # dates stay text (as in the loader): a wrong one is the loader's to report, with its line
        data = safe_load(front_text) or {}
    except (yaml.YAMLError, ValueError):
        data = {}
    if isinstance(data, dict):
        for key in FRONT_FIELDS:
            value = data.get(key)
            doc.front[key] = "" if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))
        dist = data.get("distribution")
        if isinstance(dist, dict) and all(str(k) in ("增发", "停发", "add", "drop") for k in dist):
            doc.distribution = {"增发": list(dist.get("增发", dist.get("add", [])) or []),
                                "停发": list(dist.get("停发", dist.get("drop", [])) or [])}
    return doc


def _yaml_scalar(key: str, value: str) -> str:
    """A field's value as YAML text. Numbers and dates are written bare only when they are one;
    anything else becomes a quoted string (the loader then says what is wrong, at its line) —
    never raw text that could add keys (“8\nprint_run: 5”) or change the YAML."""
    if key in ("number", "total_number", "print_run") and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        return value.strip()
    if key == "date" and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        return value.strip()
    if key in ("number", "total_number", "print_run", "date"):
        return json.dumps(value.strip(), ensure_ascii=False)
    if "\n" in value:
        return "|-\n" + "\n".join("  " + line if line else "" for line in value.rstrip("\n").split("\n"))
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string: no injection


def set_front(front_text: str, key: str, value) -> str:
    """Rewrite one top-level key of the front matter in place (comment on its line kept); add it
    at the end when absent; remove it when value is empty or None."""
    try:
        node = compose_node(front_text) if front_text.strip() else None
    except yaml.YAMLError:
        node = None  # unreadable: the key is added at the end and the loader says what is wrong
    lines = front_text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    span = None
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                end = v.end_mark.line + (1 if v.end_mark.column > 0 else 0)
                if isinstance(v, yaml.ScalarNode) and v.style in ("|", ">"):
                    end = v.end_mark.line
                span = (k.start_mark.line, max(end, k.start_mark.line + 1))
                break
    if value is None or (isinstance(value, str) and not value.strip()):
        new: list[str] = []
    elif isinstance(value, (dict, list)):
        new = [f"{key}: {json.dumps(value, ensure_ascii=False)}"]
    else:
        new = (f"{key}: " + _yaml_scalar(key, str(value))).split("\n")
    if span is None:
        lines += new
    else:
        first = lines[span[0]]
        comment = re.search(r"[ \t]+#.*$", first) if span[1] - span[0] == 1 and len(new) == 1 else None
        if comment and "\"" not in first[: comment.start()].split(":", 1)[-1]:
            new = [new[0] + comment.group(0)]
        lines[span[0]:span[1]] = new
    return "\n".join(lines) + "\n"


def serialize(doc: IssueDoc, original: IssueDoc | None = None) -> str:
    front = doc.front_text
    if original is not None:
        for key in FRONT_FIELDS:
            if doc.front.get(key, "") != original.front.get(key, ""):
                front = set_front(front, key, doc.front.get(key))
        if doc.distribution != original.distribution:
            value = {k: v for k, v in doc.distribution.items() if v}
            front = set_front(front, "distribution", value or None)
    parts = [article_text(a) for a in doc.lead]
    for section in doc.sections:
        same = section.raw and SECTION.match(section.raw).group(1).strip().strip("【】[]") == section.name
        heading = section.raw if same else f"# 【{_one_line(section.name).strip('【】')}】"
        parts.append(heading + "\n" + (section.intro if section.intro.strip() else "\n"))
        parts += [article_text(a) for a in section.articles]
    body = doc.preamble
    for part in parts:
        if body and body != "\n" and not body.endswith("\n\n"):
            body += "\n" if body.endswith("\n") else "\n\n"  # a blank line between chunks
        body += part
    return "---\n" + front + "---\n" + body


def from_json(data: dict, original: IssueDoc) -> IssueDoc:
    """The browser's document → IssueDoc, reattaching the raw chunks by key."""
    raw_articles = {a.key: a.raw for a in [*original.lead, *(a for s in original.sections for a in s.articles)]}
    raw_sections = {s.key: (s.raw, s.intro) for s in original.sections}

    def article(a: dict) -> ArticleDoc:
        key = str(a.get("key") or "")
        return ArticleDoc(key=key, title=str(a.get("title", "")), kicker=str(a.get("kicker", "")),
                          subtitle=str(a.get("subtitle", "")), body=str(a.get("body", "")),
                          byline=str(a.get("byline", "")), raw=raw_articles.get(key, ""))

    sections = []
    for s in data.get("sections", []):
        key = str(s.get("key") or "")
        raw, intro = raw_sections.get(key, ("", ""))
        sections.append(SectionDoc(key=key, name=str(s.get("name", "")), raw=raw, intro=intro,
                                   articles=[article(a) for a in s.get("articles", [])]))
    front = {k: str(data.get("front", {}).get(k, "") or "") for k in FRONT_FIELDS}
    dist = data.get("distribution") or {}
    distribution = {k: [str(x) for x in dist.get(k, [])] for k in ("增发", "停发")} if dist else {}
    return IssueDoc(front_text=original.front_text, preamble=original.preamble,
                    lead=[article(a) for a in data.get("lead", [])], sections=sections, front=front,
                    distribution=distribution if any(distribution.values()) else ({} if not original.distribution else distribution))
