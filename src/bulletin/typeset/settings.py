"""The composition's settings, read from CSS custom properties so a layout sets them like any
other option (layout.yaml → `--name: value` on :root, or on any element):

    --line-end-hanging: off | on        行末悬挂: 、，。；：！？ may hang past the block edge
    --last-line-min-chars: 2            a paragraph's last line holds at least this many characters
                                         besides punctuation (no 孤字); 1 turns the rule off
    --line-start-opening: full | half   an opening bracket or quote starting a line keeps its
                                         blank half, or loses it (clreq allows both)
    --line-compression: on | off        lines may be brought to the measure by compressing marks
                                         and spaces (off: only by stretching — e.g. 版记 lines whose
                                         label “报：” must keep its width for the hanging indent)
"""
from __future__ import annotations

from .breaking import Settings

_cache: dict[tuple, Settings] = {}


def _token(style, name: str):
    value = style[name]
    tokens = [t for t in (value or ()) if getattr(t, "type", None) not in ("whitespace", "comment")]
    return tokens[0] if len(tokens) == 1 else None


def _ident(style, name: str, default: str) -> str:
    token = _token(style, name)
    return token.value.lower() if token is not None and token.type in ("ident", "string") else default


def _integer(style, name: str, default: int) -> int:
    token = _token(style, name)
    if token is not None and token.type == "number" and token.is_integer and 1 <= token.int_value <= 10:
        return token.int_value
    return default


_by_style: dict[int, tuple[object, Settings]] = {}  # for one document (styles are its own)


def new_document() -> None:
    _by_style.clear()


def settings_for(style) -> Settings:
    found = _by_style.get(id(style))
    if found is not None and found[0] is style:
        return found[1]
    if len(_by_style) > 10000:
        _by_style.clear()
    settings = _settings(style)
    _by_style[id(style)] = (style, settings)
    return settings


def _settings(style) -> Settings:
    key = (style["__line_end_hanging"], style["__last_line_min_chars"], style["__line_start_opening"],
           style["__line_compression"])
    key = tuple(tuple(getattr(t, "serialize", lambda: str(t))() for t in (v or ())) for v in key)
    found = _cache.get(key)
    if found is None:
        found = _cache[key] = Settings(
            hanging=_ident(style, "__line_end_hanging", "off") == "on",
            runt_min=_integer(style, "__last_line_min_chars", 2),
            trim_line_start=_ident(style, "__line_start_opening", "full") == "half",
            compress=_ident(style, "__line_compression", "on") != "off",
        )
    return found
