"""Font files handed to Fontconfig without copying them (two patches of the "engine" group).

WeasyPrint 70's `FontConfiguration.add_font_face` fetches every @font-face file whole and writes
it into a temporary folder, where Fontconfig loads it from: with the project's fonts every new
process read and wrote 56 MB (~0.16 s of a cold `bulletin build`, in its critical path). Our
font files are on this machine already (the fetcher allows only the issue, layout and font
folders), so the "copy" is made as a hard link to the same file — the same inode, so the very
bytes the checks read — or, for the bundled fonts only (files of the installed package, which
nothing changes), a symbolic link when no hard link can be made (another file system); where
neither can be made, the bytes are copied as before. WOFF files (which WeasyPrint decodes first),
other URLs and other fetchers go WeasyPrint's way unchanged. Same PDF bytes either way (tested).

How: `add_linked` runs WeasyPrint's add_font_face with its folder as a `FontPath` and linking
allowed (`_linking`); `fetch_linkable`, WeasyPrint's `fetch` as seen by text/fonts.py,
then answers for an allowed local font file with a `LocalFontFile` — the file's first bytes (all
add_font_face looks at before writing) and its path — and `FontPath.write_bytes` links that file
instead of writing bytes. A `LocalFontFile` is only ever made while `add_linked` runs, so it only
ever reaches a `FontPath`.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path, PosixPath

# add_linked calls running (any thread): text/fonts.py fetches only inside add_font_face, which the
# patch routes through add_linked, so a LocalFontFile cannot reach an unpatched add_font_face
_linking = [0]
HEAD = 4  # what add_font_face reads of a font before writing it: font[:3] == b'wOF' (WOFF or not)


class LocalFontFile(bytes):
    """The first bytes of a local font file, standing for the whole file (`source`)."""

    source: Path


class FontPath(PosixPath):
    """A path in WeasyPrint's font folder (the folder itself and, through `/`, each file in it)."""

    def write_bytes(self, data):
        if isinstance(data, LocalFontFile):
            place(data.source, self)
            return os.stat(self).st_size
        return super().write_bytes(data)


def _bundled(source: Path) -> bool:
    from ..resources import fonts_dir

    try:
        return source.resolve().is_relative_to(fonts_dir().resolve())
    except OSError:
        return False


def place(source: Path, target: Path) -> str:
    """Make `target` show the file `source`: "link", "symlink" or "copy" (what was done)."""
    try:
        os.link(source, target)
        return "link"
    except OSError:
        pass
    if _bundled(source):
        try:
            os.symlink(source.resolve(), target)
            return "symlink"
        except OSError:
            pass
    shutil.copyfile(source, target)
    return "copy"


def add_linked(original, config, rule_descriptors, url_fetcher):
    """WeasyPrint's add_font_face (`original`) with font files linked instead of copied."""
    folder = config._folder
    if folder is None:
        import tempfile

        from .. import scratch

        folder = tempfile.mkdtemp(prefix="weasyprint-", dir=scratch.process_dir())
    if not isinstance(folder, FontPath):
        config._folder = FontPath(folder)
    _linking[0] += 1
    try:
        return original(config, rule_descriptors, url_fetcher)
    finally:
        _linking[0] -= 1


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *args, **kwargs) -> bytes:
        return self.data

    def close(self) -> None:
        pass


def fetch_linkable(original, url_fetcher, url):
    """WeasyPrint's `fetch(url_fetcher, url)` (`original`, a context manager giving the response)
    as add_font_face uses it: for a local font file our fetcher allows, while add_linked runs, a
    response whose body is a LocalFontFile; anything else goes to `original`."""
    source = url_fetcher.local_file(url) if _linking[0] and hasattr(url_fetcher, "local_file") else None
    if source is None:
        return original(url_fetcher, url)
    try:
        with open(source, "rb") as file:
            head = file.read(HEAD)
    except OSError:
        return original(url_fetcher, url)
    if head[:3] == b"wOF":  # WOFF: WeasyPrint decodes the bytes
        return original(url_fetcher, url)
    from weasyprint.urls import URLFetcherResponse

    data = LocalFontFile(head)
    data.source = source
    return contextlib.nullcontext(URLFetcherResponse(source.as_uri(), _Body(data)))
