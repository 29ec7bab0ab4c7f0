"""The wheel is what users install: it must carry the layouts and fonts and render the sample
from anywhere, with no checkout and no BULLETIN_HOME.

Built without network (--no-build-isolation, setuptools from the test extras) and installed
with --no-deps into a fresh venv outside the checkout whose dependencies come from this venv's
site-packages (a .pth path entry, after the new venv's own site-packages: the installed wheel,
not the checkout's src/, is what gets imported — the test checks that)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pdfplumber
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "issues" / "shanxi-tongxin"


def _link_tree(source: Path, target: Path) -> None:
    """A copy made of hard links where the file system allows (the fonts are 110 MB)."""
    def link(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".*"))


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("BULLETIN_HOME", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the project's files (nothing is written into the checkout)."""
    src = tmp_path_factory.mktemp("project")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("src", "layouts", "fonts"):
        _link_tree(ROOT / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(dist), str(src)], check=True, env=_clean_env(), cwd=src, timeout=600)
    (built,) = dist.glob("bulletin-*.whl")
    return built


def test_wheel_carries_layouts_fonts_and_licences(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = zf.read(metadata).decode()
    manifest = json.loads((ROOT / "fonts" / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["fonts"]:
        assert f"bulletin/_home/fonts/{entry['file']}" in names, entry["file"]
    for path in (ROOT / "layouts").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert f"bulletin/_home/layouts/{path.relative_to(ROOT / 'layouts').as_posix()}" in names
    assert "bulletin/_home/fonts/repertoires/tgh-2013.txt" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(n.endswith("licenses/fonts/licenses/OFL-1.1-Noto-CJK.txt") for n in names)
    assert "License-Expression: MIT AND OFL-1.1" in meta
    assert "Classifier: Natural Language :: Chinese (Simplified)" in meta
    assert not any(n.startswith(("tests/", "issues/")) for n in names)


def test_installed_wheel_renders_the_sample_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, env=_clean_env(), timeout=600)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "zz_bulletin_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "elsewhere"
    shutil.copytree(SAMPLE, work / "shanxi-tongxin")
    env = _clean_env()
    where = subprocess.run([str(python), "-c", "import bulletin, bulletin.resources as r; "
                                               "print(bulletin.__file__); print(r.home())"],
                           check=True, capture_output=True, text=True, env=env, cwd=work).stdout.split()
    assert Path(where[0]).is_relative_to(venv), where  # the wheel, not the checkout's src/
    assert Path(where[1]) == site / "bulletin" / "_home"

    version = subprocess.run([str(venv / "bin" / "bulletin"), "--version"], capture_output=True, text=True,
                             env=env, cwd=work, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("bulletin "), version.stderr

    run = subprocess.run([str(venv / "bin" / "bulletin"), "build", "shanxi-tongxin/2021-07", "-o", "out"],
                         capture_output=True, text=True, env=env, cwd=work, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    (pdf,) = (work / "out").glob("*.pdf")
    with pdfplumber.open(pdf) as doc:
        text = "".join(page.extract_text() or "" for page in doc.pages)
        assert len(doc.pages) >= 2
    assert "山西通信行业" in text and "山西省通信行业协会" in text
