"""Font files handed to Fontconfig as links to the same file, not copies (typeset/fontfiles.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SAMPLE

RENDER = ("import sys\n"
          "from bulletin.api import render\n"
          "sys.stdout.buffer.write(render(sys.argv[1]).pdf)\n")
WITHOUT_LINKS = ("from bulletin.typeset import fontfiles\n"  # WeasyPrint's own copying, as before
                 "fontfiles.add_linked = lambda original, *args: original(*args)\n")


def test_the_same_bytes_with_linked_and_copied_font_files():
    outputs = []
    for prefix in ("", WITHOUT_LINKS):
        done = subprocess.run([sys.executable, "-c", prefix + RENDER, str(SAMPLE)], capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        outputs.append(done.stdout)
    assert outputs[0][:5] == b"%PDF-" and outputs[0] == outputs[1]


def _font_face_css(path: Path, family: str) -> str:
    return f"@font-face {{ font-family: {family}; src: url({path.as_uri()}) }}"


def test_a_font_face_is_a_link_to_its_file(tmp_path):
    """Registering an @font-face file makes a hard link (same inode) in the font folder, reads no
    more than its first bytes, and the font is usable; a URL outside the allowed folders is still
    refused; a WOFF file is left to WeasyPrint (it decodes it)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from bulletin.resources import fonts_dir
    from bulletin.typeset import SafeFetcher, font_config

    font_config()  # installs the patches
    source = tmp_path / "fonts" / "Own.otf"
    source.parent.mkdir()
    source.write_bytes((fonts_dir() / "BulletinHalf-Sans.otf").read_bytes())
    config = FontConfiguration()
    fetcher = SafeFetcher([source.parent])
    CSS(string=_font_face_css(source, "OwnTest"), font_config=config, url_fetcher=fetcher)
    made = [p for p in Path(config._folder).iterdir() if not p.name.endswith(".conf")]
    assert made and all(os.stat(p).st_ino == os.stat(source).st_ino for p in made)
    outside = tmp_path / "elsewhere.otf"
    outside.write_bytes(source.read_bytes())
    CSS(string=_font_face_css(outside, "Outside"), font_config=config, url_fetcher=fetcher)
    assert fetcher.denied == [outside.as_uri()]
    assert len([p for p in Path(config._folder).iterdir()]) == len(made)  # nothing added for it


def test_place_links_else_copies(tmp_path, monkeypatch):
    from bulletin.typeset import fontfiles

    source = tmp_path / "a.otf"
    source.write_bytes(b"OTTO" + b"x" * 100)
    assert fontfiles.place(source, tmp_path / "linked") == "link"
    assert os.stat(tmp_path / "linked").st_ino == os.stat(source).st_ino

    def no_link(*args):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    assert fontfiles.place(source, tmp_path / "copied") == "copy"  # not a bundled font: no symlink
    assert (tmp_path / "copied").read_bytes() == source.read_bytes()
    assert not (tmp_path / "copied").is_symlink()
    monkeypatch.setattr(fontfiles, "_bundled", lambda path: True)
    assert fontfiles.place(source, tmp_path / "symlinked") == "symlink"
    assert (tmp_path / "symlinked").resolve() == source.resolve()


def test_local_font_file_reaches_only_a_font_path(tmp_path):
    """What stands for a whole file (its first bytes) is written as a link by a FontPath, and
    fetch_linkable makes one only while add_linked runs, for a non-WOFF file the fetcher allows."""
    from bulletin.typeset import SafeFetcher, fontfiles

    source = tmp_path / "f.otf"
    source.write_bytes(b"OTTO" + os.urandom(5000))
    woff = tmp_path / "f.woff"
    woff.write_bytes(b"wOFF" + os.urandom(100))
    fetcher = SafeFetcher([tmp_path])
    calls = []

    def original(url_fetcher, url):
        calls.append(url)
        return "original"

    assert fontfiles.fetch_linkable(original, fetcher, source.as_uri()) == "original"  # not while linking
    fontfiles._linking[0] += 1
    try:
        with fontfiles.fetch_linkable(original, fetcher, source.as_uri()) as response:
            data = response.read()
        assert fontfiles.fetch_linkable(original, fetcher, woff.as_uri()) == "original"
    finally:
        fontfiles._linking[0] -= 1
    assert isinstance(data, fontfiles.LocalFontFile) and data == b"OTTO" and data.source == source.resolve()
    target = fontfiles.FontPath(tmp_path / "folder") / "face"
    target.parent.mkdir()
    target.write_bytes(data)
    assert target.read_bytes() == source.read_bytes()
    target.with_name("plain").write_bytes(b"bytes as given")
    assert (tmp_path / "folder" / "plain").read_bytes() == b"bytes as given"
    assert calls == [source.as_uri(), woff.as_uri()]


@pytest.mark.parametrize("target", ["weasyprint.text.fonts:FontConfiguration.add_font_face",
                                    "weasyprint.text.fonts:fetch"])
def test_font_file_patches_are_installed(target):
    from bulletin.typeset import font_config, patches

    font_config()
    owner, name = patches.resolve(target)
    assert getattr(owner, name) is next(p.replacement for p in patches.PATCHES if p.target == target)
