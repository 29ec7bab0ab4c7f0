"""Problems found in input, with where they are and how to fix them.

Messages are Chinese first (editors read them); every problem also carries English text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: Path | None
    line: int | None
    message: str  # 中文
    message_en: str
    hint: str = ""  # 中文: how to fix it
    hint_en: str = ""
    column: int | None = None
    severity: str = "error"  # "error" | "warning"

    def where(self) -> str:
        if self.file is None:
            return ""
        loc = str(self.file)
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def format(self, lang: str = "zh") -> str:
        msg, hint = (self.message, self.hint) if lang == "zh" else (self.message_en, self.hint_en)
        text = f"{self.where()}: {msg}" if self.file else msg
        if hint:
            text += f"\n    {'修改建议' if lang == 'zh' else 'fix'}: {hint}"
        return text


class BulletinError(Exception):
    """Raised when input cannot be turned into a bulletin; carries one or more problems."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(p.format("en") for p in self.problems))

    def format(self, lang: str = "zh") -> str:
        return "\n".join(p.format(lang) for p in self.problems)


@dataclass
class ProblemList:
    """Collects problems so a loader can report all of them at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, *args, **kwargs) -> None:
        self.items.append(Problem(*args, **kwargs))

    def raise_if_any(self) -> None:
        errors = [p for p in self.items if p.severity == "error"]
        if errors:
            raise BulletinError(errors)
