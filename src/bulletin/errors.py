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


# errno → (中文, English) for what the system said; the rest of an OSError's text is English only.
_OS_REASONS = {
    "ENOENT": ("不存在", "does not exist"),
    "EACCES": ("没有权限", "permission denied"),
    "EPERM": ("没有权限", "operation not permitted"),
    "EROFS": ("所在的磁盘是只读的", "the file system is read-only"),
    "EISDIR": ("这是一个文件夹，不是文件", "it is a folder, not a file"),
    "ENOTDIR": ("路径中有一项是文件而不是文件夹", "a part of the path is a file, not a folder"),
    "EEXIST": ("已经存在同名的文件或文件夹", "a file or folder of that name exists"),
    "ENAMETOOLONG": ("名称太长", "the name is too long"),
    "ELOOP": ("符号链接循环（链接指向自己）", "a symbolic link loop"),
    "ENOSPC": ("磁盘已满", "no space left on the device"),
    "EDQUOT": ("超出磁盘配额", "disk quota exceeded"),
    "ENOTEMPTY": ("文件夹不是空的", "the folder is not empty"),
    "EXDEV": ("不能跨磁盘移动", "cannot move across file systems"),
    "EMFILE": ("打开的文件太多", "too many open files"),
    "EBUSY": ("文件正被占用", "the file is busy"),
    "EIO": ("磁盘读写出错", "input/output error"),
    "EINVAL": ("名称或路径无效", "invalid name or path"),
}
_OS_HINTS = {
    "ENOENT": ("检查路径是否写对", "check the path"),
    "EACCES": ("换一个有写权限的文件夹，或请管理员开放权限", "use a folder you may write to"),
    "EPERM": ("换一个有写权限的文件夹，或请管理员开放权限", "use a folder you may write to"),
    "EROFS": ("换一个可写的文件夹", "use a writable folder"),
    "EISDIR": ("给出文件的路径", "give the path of a file"),
    "ENOTDIR": ("检查路径：其中某一级是普通文件", "check the path: one of its parts is a plain file"),
    "EEXIST": ("换一个名称，或先移走已有的文件", "choose another name or move the existing file away"),
    "ENAMETOOLONG": ("用短一些的文件夹或文件名", "use a shorter name"),
    "ELOOP": ("修正或删除这个符号链接", "fix or remove the link"),
    "ENOSPC": ("清理磁盘空间后重试", "free some space and try again"),
    "EDQUOT": ("清理磁盘空间后重试", "free some space and try again"),
}


def os_problem(exc: OSError, path: Path | str | None = None, doing: tuple[str, str] = ("读写", "access")) -> Problem:
    """An operating-system error (cannot read, write, create…) as a problem in both languages:
    `doing` is what was being done (中文, English), e.g. ("写入", "write")."""
    import errno as errno_

    name = errno_.errorcode.get(exc.errno or 0, "")
    zh, en = _OS_REASONS.get(name, ("系统报错", exc.strerror or type(exc).__name__))
    hint, hint_en = _OS_HINTS.get(name, ("", ""))
    target = path if path is not None else exc.filename
    if name == "ENOENT" and exc.filename and path is not None and str(exc.filename) != str(path):
        target = exc.filename
    code = f"（{name}）" if name and name not in _OS_REASONS else ""
    return Problem(Path(target) if target not in (None, "") else None, None,
                   f"无法{doing[0]}：{zh}{code}", f"cannot {doing[1]}: {en}", hint, hint_en)
