"""WeasyPrint's C declarations, prebuilt once (issue 17: cold start).

weasyprint/text/ffi.py hands ~450 lines of C declarations to `cffi.FFI().cdef()`, which parses them
with pycparser in every process (~28 ms), and every C type string WeasyPrint or bulletin later
passes to `ffi.new()` / `ffi.cast()` is parsed by pycparser again on its first use (~65 ms for
the 23 of a render), after importing pycparser itself (~12 ms): ~0.1 s of every cold build,
batch worker, preview renderer and daemon start.

cffi's out-of-line ABI mode does that work once: from the same declarations its recompiler writes
a pure-Python module (`set_source(name, None)`, `emit_python_code`; no C compiler) whose `ffi`,
a `_cffi_backend.FFI`, has the type tables precomputed and parses type strings in C. That module
is kept in the user's cache folder (`weasyprint-ffi-<key>.py`), keyed by this file's FORMAT, the
bytes of WeasyPrint's ffi.py, the declarations bulletin adds (glyphs.PANGO_DECLARATIONS), cffi's
and Python's versions. The first process records WeasyPrint's `cdef` calls while it imports
WeasyPrint the usual way, then writes the module (atomically); later ones read it, check its
key and its digest, and build their `ffi` from the literal arguments of its one constructor
call (the file is parsed, never run: a cache folder holds data, not code bulletin executes).
A missing, stale, corrupt or unwritable file only costs time: WeasyPrint's own import is used,
with the same libraries and the same output.
The patches that route WeasyPrint's import through this are in patches.py ("import" group).
"""
from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path

import _cffi_backend

FORMAT = 2  # bump when what this module writes or expects changes
MODULE = "_bulletin_weasyprint_ffi"
HEADER = "# bulletin: weasyprint.text.ffi prebuilt by cffi's recompiler; key {key} sha256 {digest}\n"
_BACKEND_FFI = "_cffi_backend.FFI"  # what the recompiler's module calls to make its `ffi`


class PrebuiltFFI(_cffi_backend.FFI):
    """An out-of-line `_cffi_backend.FFI` standing in for WeasyPrint's `cffi.FFI()`.

    `cdef` accepts again what the module was built from (WeasyPrint's calls, bulletin's own
    declarations) and nothing else: new declarations cannot be added to a prebuilt FFI, so they
    fail loudly rather than later, at the first use of a name. `dlopen` finds a library exactly
    as cffi's in-line FFI does (cffi.api._load_backend_lib: the name as given, then
    ctypes.util.find_library), where `_cffi_backend.FFI.dlopen` alone would only try the name."""

    declared: frozenset[str] = frozenset()  # the lines of every declaration the module holds

    def cdef(self, csource, override=False, packed=False, pack=None):
        new = [line for line in _lines(csource) if line not in self.declared]
        if new:
            raise TypeError(f"bulletin's prebuilt FFI cannot declare more C: {new[0]!r}")

    def dlopen(self, name, flags=0):
        import cffi.api

        return cffi.api._load_backend_lib(_Loader(self), name, flags)


class _Loader:
    """The `backend` cffi.api._load_backend_lib opens a library through."""

    def __init__(self, ffi: PrebuiltFFI):
        self.ffi = ffi

    def load_library(self, name, flags):
        lib = _cffi_backend.FFI.dlopen(self.ffi, name, flags)
        keep_loaded(name, flags)
        return lib


def keep_loaded(name, flags) -> None:
    """Mark a library just opened never to be unloaded (RTLD_NOLOAD | RTLD_NODELETE: the one
    already loaded, nothing else opened). A Lib of cffi's out-of-line mode closes its library when
    it is freed, and at the end of a process it is freed with WeasyPrint's modules, before the
    garbage collector's last pass runs the `ffi.gc` destructors of the objects still alive — which
    then call g_object_unref into an unloaded libpangoft2: a crash at exit. WeasyPrint's own
    in-line FFI closes its libraries when freed too; the order things are freed in a test session
    met that only with the prebuilt FFI."""
    if not isinstance(name, str) or not hasattr(os, "RTLD_NODELETE"):
        return
    try:
        import _ctypes

        _ctypes.dlopen(name, flags | os.RTLD_NOLOAD | os.RTLD_NODELETE)
    except (ImportError, OSError):
        pass


def recording_ffi():
    """A real in-line `cffi.FFI` (WeasyPrint's own, same bytes) that notes each `cdef` call in
    its `recorded` list: what WeasyPrint gets when no prebuilt module is there yet."""
    import cffi.api  # cffi.FFI is patches.cffi_ffi meanwhile

    class RecordingFFI(cffi.api.FFI):
        def cdef(self, csource, override=False, packed=False, pack=None):
            super().cdef(csource, override=override, packed=packed, pack=pack)
            self.recorded.append((csource, override, packed, pack))

    ffi = RecordingFFI()
    ffi.recorded = []
    return ffi


def _lines(csource: str) -> list[str]:
    return [line.strip() for line in csource.splitlines() if line.strip()]


def weasyprint_ffi_source() -> bytes | None:
    """The bytes of weasyprint/text/ffi.py, found without importing WeasyPrint (or None)."""
    try:
        spec = importlib.util.find_spec("weasyprint")
        folders = list(spec.submodule_search_locations or ()) if spec else []
        return (Path(folders[0]) / "text" / "ffi.py").read_bytes() if folders else None
    except (ImportError, OSError, ValueError, IndexError):
        return None


def cache_key(source: bytes) -> str:
    """What the module depends on: WeasyPrint's declarations and the code that reads them."""
    from .glyphs import PANGO_DECLARATIONS

    versions = (FORMAT, _cffi_backend.__version__, sys.version, sys.implementation.cache_tag)
    h = hashlib.sha256(repr(versions).encode())
    h.update(source)
    h.update(repr(PANGO_DECLARATIONS).encode())
    return h.hexdigest()[:32]


def cache_file(key: str) -> Path:
    """In the user's cache folder (resources.cache_dir)."""
    from ..resources import cache_dir

    return cache_dir() / f"weasyprint-ffi-{key}.py"


def expected_key() -> str | None:
    source = weasyprint_ffi_source()
    return None if source is None else cache_key(source)


def load(key: str | None = None) -> PrebuiltFFI | None:
    """The prebuilt FFI from the cache folder, or None when there is none, or it is stale, corrupt
    or does not build (it is then written again by the next `store`). The file is read, not run:
    its constructor call's arguments are Python literals (`literal_arguments`). Never raises."""
    key = key or expected_key()
    if key is None:
        return None
    try:
        text = cache_file(key).read_text(encoding="utf-8")
        header, _, body = text.partition("\n")
        if header + "\n" != HEADER.format(key=key, digest=hashlib.sha256(body.encode()).hexdigest()):
            return None
        args, kwargs, declarations = literal_arguments(body)
        ffi = PrebuiltFFI(*args, **kwargs)
        ffi.declared = frozenset(line for csource in declarations for line in _lines(csource))
        return ffi
    except Exception:  # noqa: BLE001 - any unreadable file is only a cache miss
        return None


def literal_arguments(body: str) -> tuple[tuple, dict, tuple[str, ...]]:
    """From the module text: the arguments of its `ffi = _cffi_backend.FFI(…)` and its
    `declarations`, all literals. Anything else in the text is refused (ValueError)."""
    import ast

    call, declarations = None, None
    for node in ast.parse(body).body:
        if isinstance(node, ast.Import) and [alias.name for alias in node.names] == ["_cffi_backend"]:
            continue
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ValueError(f"not a prebuilt FFI module: {ast.dump(node)[:80]}")
        name, value = node.targets[0].id, node.value
        if name == "ffi" and call is None and isinstance(value, ast.Call) and ast.unparse(value.func) == _BACKEND_FFI:
            call = value
        elif name == "declarations" and declarations is None:
            declarations = ast.literal_eval(value)
        else:
            raise ValueError(f"not a prebuilt FFI module: {name}")
    if call is None or not isinstance(declarations, tuple) or not all(isinstance(d, str) for d in declarations):
        raise ValueError("not a prebuilt FFI module")
    args = tuple(ast.literal_eval(arg) for arg in call.args)
    kwargs = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
    return args, kwargs, declarations


def module_text(recorded: list[tuple]) -> str:
    """The module cffi's recompiler writes for WeasyPrint's recorded `cdef` calls and bulletin's
    declarations (glyphs.PANGO_DECLARATIONS, those WeasyPrint lacks), followed by the
    declarations it holds (for PrebuiltFFI.cdef)."""
    import cffi

    from .glyphs import PANGO_DECLARATIONS

    builder = cffi.FFI()
    declarations = []
    for csource, override, packed, pack in recorded:
        builder.cdef(csource, override=override, packed=packed, pack=pack)
        declarations.append(csource)
    for _name, declaration in PANGO_DECLARATIONS:
        try:
            builder.cdef(declaration)
        except cffi.CDefError:  # declared by WeasyPrint differently: WeasyPrint's stays
            continue
        declarations.append(declaration)
    builder.set_source(MODULE, None)
    out = io.StringIO()
    with redirect_stdout(io.StringIO()):  # the recompiler prints "generating …"
        builder.emit_python_code(out)
    text = out.getvalue() + f"\ndeclarations = {tuple(declarations)!r}\n"
    literal_arguments(text)  # a module of another form would never be read
    return text


def store(recorded: list[tuple], key: str | None = None) -> Path | None:
    """Write the module for `recorded` into the cache folder (atomically: a temporary file renamed
    into place); None when it cannot be written (read-only home) or built. Never raises."""
    key = key or expected_key()
    if key is None or not recorded:
        return None
    try:
        path = cache_file(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            return None  # a read-only cache folder: not worth building the module
        body = module_text(recorded)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_text(HEADER.format(key=key, digest=hashlib.sha256(body.encode()).hexdigest()) + body,
                           encoding="utf-8")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path
    except Exception:  # noqa: BLE001 - a cache that cannot be written only costs time
        return None
