"""What a fresh `bulletin build` process saves before typesetting (issue 17): WeasyPrint's
libraries opened by soname instead of through ctypes.util.find_library, and the caches that
spare a cold process work it did before. Each cache must be invalidated by a change of its input."""
from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="soname loading is Linux only")

LIBRARIES = "sorted({line.split()[-1] for line in open('/proc/self/maps') if '.so' in line})"


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_weasyprint_loads_the_same_libraries_without_find_library():
    ours = _run(f"""
import ctypes.util
calls = []
real = ctypes.util.find_library
ctypes.util.find_library = lambda name: calls.append(name) or real(name)
counting = ctypes.util.find_library
import bulletin.typeset
assert ctypes.util.find_library is counting  # put back
assert not calls, calls
print({LIBRARIES})
""")
    plain = _run(f"import weasyprint\nprint({LIBRARIES})")
    assert "libpango-1.0.so" in ours and ours == plain


def test_a_library_the_loader_cannot_open_by_soname_falls_back_to_find_library():
    ours = _run(f"""
import ctypes.util
import cffi.api
real = cffi.api._load_backend_lib
def load(backend, name, flags):
    if ctypes.util.find_library("c") is None and "pango" in name:  # while find_library is off
        raise OSError("not found by soname")
    return real(backend, name, flags)
cffi.api._load_backend_lib = load
import bulletin.typeset
import weasyprint.text.ffi
print({LIBRARIES})
""")
    assert "libpango-1.0.so" in ours and "pango" not in ours.split("[")[0]  # nothing printed before
