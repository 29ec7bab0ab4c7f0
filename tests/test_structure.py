"""The package's shape, read from the source with ast (nothing is imported): no import cycle among
bulletin's modules, and the pipeline's stages import only downwards —
base < style < source < compose < check < typeset < output < api < distribute.
Imports inside functions count (they still tie the modules together); imports under
`if TYPE_CHECKING:` do not (they never run). The entry points (cli, launch, batch, the package's own
__init__), editor/, serve/ and run/ sit above every stage: they may import any stage, no stage
imports them."""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "bulletin"

# Shared vocabulary every stage may import: these import only each other.
BASE = {"errors", "limits", "model", "text", "resources", "scratch", "collector"}
# The order of the stages: a stage imports only the base and the stages before it (and itself).
STAGES = ["style", "source", "compose", "check", "typeset", "output", "api", "distribute"]
# Above every stage: entry points and what drives the stages.
TOP = {"__init__", "__main__", "cli", "launch", "batch", "editor", "serve", "run"}


def module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def modules() -> dict[str, tuple[Path, bool]]:
    return {module_name(p)[0]: (p, module_name(p)[1]) for p in sorted(PACKAGE.rglob("*.py"))}


def _runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports(name: str, path: Path, is_package: bool, known: set[str]) -> dict[str, list[tuple[int, str]]]:
    """The bulletin modules `name` imports → [(line, imported names)]."""
    package = name.split(".") if is_package else name.split(".")[:-1]
    found: dict[str, list[tuple[int, str]]] = {}
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target != "bulletin" and not target.startswith("bulletin."):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.setdefault(sub if sub in known else target, []).append((node.lineno, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bulletin."):
                    found.setdefault(alias.name, []).append((node.lineno, alias.name))
    return found


def graph() -> dict[str, dict[str, list[tuple[int, str]]]]:
    mods = modules()
    known = set(mods)
    return {name: imports(name, path, is_package, known) for name, (path, is_package) in mods.items()}


def layer(module: str) -> str:
    """The layer a module belongs to: its first name below bulletin (a folder or a top module)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def rank(module: str) -> int:
    name = layer(module)
    if name in BASE:
        return 0
    if name in STAGES:
        return 1 + STAGES.index(name)
    assert name in TOP, f"{module}: not placed in a layer (add it to BASE, STAGES or TOP in this test)"
    return len(STAGES) + 1


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle found by depth-first search (one per back edge)."""
    found, state, path = [], {}, []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_every_module_is_placed_in_a_layer():
    for name in modules():
        rank(name)


def test_the_package_root_is_imported_only_for_its_version():
    """bulletin/__init__.py is the public facade (lazy: its names load on first use); modules below
    it take only __version__ from it, so it is no node of an import cycle."""
    for name, targets in graph().items():
        for line, imported in targets.get("bulletin", []):
            assert imported == "__version__", f"{name}:{line} imports {imported} from the package root"


def test_no_import_cycle():
    edges = {name: {t for t in targets if t != "bulletin"} for name, targets in graph().items()}
    assert cycles(edges) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_stages_import_only_downwards():
    wrong = []
    for name, targets in graph().items():
        for target, where in targets.items():
            if target == "bulletin":
                continue
            if rank(target) > rank(name) or (rank(name) == 0 and rank(target) == 0 and layer(target) not in BASE):
                wrong.append(f"{name}:{where[0][0]} imports {target} ({layer(name)} → {layer(target)})")
    assert wrong == []


def test_the_graph_sees_relative_and_lazy_imports():
    g = graph()
    assert "bulletin.source.load" in g["bulletin.api"]  # module level, relative
    assert "bulletin.typeset" in g["bulletin.api"]  # inside a function
    assert "bulletin.compose" not in g["bulletin.typeset"]  # under TYPE_CHECKING only
