"""Build hook: the layouts and fonts travel inside the wheel.

`layouts/` and `fonts/` stay at the top of the repository (the sources everyone edits); building
a wheel copies them into the package as `bulletin/_home/layouts` and `bulletin/_home/fonts`, where
`bulletin.resources` finds them through importlib.resources. An editable install (`pip install
-e .`) copies nothing: it reads the checkout's folders directly. MANIFEST.in puts both folders in
the sdist, so a wheel built from the sdist has them too. All other settings are in pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHARED = ("layouts", "fonts")


class build_py_with_home(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        home = Path(self.build_lib) / "bulletin" / "_home"
        for name in SHARED:
            source, target = ROOT / name, home / name
            if not source.is_dir():
                raise SystemExit(f"{source} is missing: build from a checkout or from the sdist")
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": build_py_with_home})
