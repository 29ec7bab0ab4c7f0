"""Layouts: folders of Jinja2 templates + CSS + a manifest (layout.yaml), editable without Python.

layout.yaml names the template, the stylesheets, which font roles each kind of text uses (for the
glyph preflight), and the layout's options. Each option value is a set of CSS custom properties
(`--body-size: 14pt`) that the stylesheets use through var().
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from ..errors import BulletinError, Problem
from ..model import LayoutOption
from ..resources import layouts_dir

MANIFEST = "layout.yaml"


@dataclass(frozen=True)
class Layout:
    name: str
    folder: Path
    template: str
    stylesheets: tuple[Path, ...]
    text_fonts: dict[str, tuple[str, ...]]  # kind of text → font roles, first preferred
    options: dict[str, dict]  # option → {"default": value, "values": {value: {css var: css value}}}
    measure_pt: float | None = None  # width of the text block (版心), for heading balancing
    templates: dict[str, str] = field(default_factory=dict)  # other page sets: stamp, register
    pictures: dict = field(default_factory=dict)  # picture sizes and placement limits (pictures.py)

    def resolve_options(self, chosen: dict[str, LayoutOption], where: Path | None = None) -> dict[str, str]:
        """Chosen options (series, then issue overrides) → the CSS custom properties they set."""
        unknown = sorted(set(chosen) - set(self.options))
        if unknown:
            raise BulletinError(
                Problem(where, None, f"版式 {self.name} 没有选项 {'、'.join(unknown)}",
                        f"layout {self.name} has no option {', '.join(unknown)}",
                        "可用选项：" + "、".join(self.options), "options: " + ", ".join(self.options))
            )
        props: dict[str, str] = {}
        for name, spec in self.options.items():
            value = chosen.get(name, spec["default"])
            if isinstance(value, bool):  # YAML reads on/off as booleans
                value = "on" if value else "off"
            value = str(value)
            if value not in spec["values"]:
                raise BulletinError(
                    Problem(where, None, f"版式选项 {name} 不能取 {value}", f"layout option {name} cannot be {value}",
                            "可选：" + "、".join(spec["values"]), "choose one of: " + ", ".join(spec["values"]))
                )
            props.update({k: str(v) for k, v in spec["values"][value].items()})
        return props


_UNITS_PT = {"pt": 1.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "px": 0.75}


def length_pt(value: str) -> float:
    """'14pt', '156mm' → points."""
    m = re.fullmatch(r"\s*(-?[0-9.]+)\s*(pt|mm|cm|in|px)\s*", value)
    if not m:
        raise ValueError(f"not a length: {value!r}")
    return float(m.group(1)) * _UNITS_PT[m.group(2)]


@cache
def load_layout(name: str) -> Layout:
    folder = layouts_dir() / name
    manifest = folder / MANIFEST
    if not manifest.is_file():
        known = sorted(p.name for p in layouts_dir().iterdir() if (p / MANIFEST).is_file())
        raise BulletinError(
            Problem(None, None, f"没有名为 {name} 的版式", f"no layout named {name}",
                    "可用版式：" + "、".join(known), "known layouts: " + ", ".join(known))
        )
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        layout = Layout(
            name=name,
            folder=folder,
            template=data["template"],
            stylesheets=tuple(folder / css for css in data.get("stylesheets", [])),
            text_fonts={k: tuple(v) for k, v in data.get("fonts", {}).items()},
            measure_pt=length_pt(str(data["measure"])) if data.get("measure") else None,
            templates={str(k): str(v) for k, v in (data.get("templates") or {}).items()},
            pictures=dict(data.get("pictures") or {}),
            options={
                k: {"default": str(v["default"]), "values": {str(a): b for a, b in v["values"].items()}}
                for k, v in (data.get("options") or {}).items()
            },
        )
    except (KeyError, TypeError, AttributeError, ValueError, yaml.YAMLError) as exc:
        raise BulletinError(Problem(manifest, None, f"版式清单格式错误：{exc}", f"malformed layout manifest: {exc}")) from None
    for path in (folder / layout.template, *layout.stylesheets, *(folder / t for t in layout.templates.values())):
        if not path.is_file():
            raise BulletinError(Problem(manifest, None, f"版式缺少文件 {path.name}", f"layout file missing: {path.name}"))
    from .fonts import fonts

    known = fonts()
    for kind, roles in layout.text_fonts.items():
        unknown = [role for role in roles if role not in known]
        if unknown or not roles:
            raise BulletinError(Problem(manifest, None, f"版式字体 {kind} 中有不认识的字体：{'、'.join(unknown) or '（空）'}",
                                        f"layout fonts {kind}: unknown font role {', '.join(unknown) or '(none)'}",
                                        "可用：" + "、".join(known), "known roles: " + ", ".join(known)))
    return layout
