"""The layout rules of docs/architecture.md, held by the suite: no import cycles
between shapely_nn's modules, no private name imported across modules, no
module over 450 lines, and one registered object per property."""

from __future__ import annotations

import ast
from pathlib import Path

import shapely_nn as sn
from shapely_nn.testing._properties import PROPERTIES, REGISTRY

ROOT = Path(sn.__file__).parent
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names imported from it) for each shapely_nn import,
    including ones inside functions."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("shapely_nn"):
                out.append((mod, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.startswith("shapely_nn")]
    return out


def test_no_module_is_over_the_line_limit():
    long = {
        n: len(p.read_text().splitlines())
        for n, p in _modules().items()
        if len(p.read_text().splitlines()) > MAX_LINES
    }
    assert not long, f"split these modules (limit {MAX_LINES} lines): {long}"


def test_no_private_name_is_imported_across_modules():
    modules = _modules()
    bad = []
    for name, path in modules.items():
        for mod, names in _imports(name, path):
            for n in names:
                # a module imported from its package is fine; a _name inside one is not
                if n.startswith("_") and not n.startswith("__") and f"{mod}.{n}" not in modules:
                    bad.append(f"{name} imports {n} from {mod}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for mod, names in _imports(name, path):
            for n in names:
                if f"{mod}.{n}" in modules:  # `from . import _x` imports the module _x
                    deps.add(f"{mod}.{n}")
            if mod in modules and (not names or any(f"{mod}.{n}" not in modules for n in names)):
                deps.add(mod)
        # a package's __init__ re-exports; importing a submodule runs it, which is no cycle
        graph[name] = {d for d in deps if d != name and not name.startswith(d + ".")}
    cycles = []
    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                cycles.append(" -> ".join([*stack[stack.index(d) :], d]))
            elif d not in state:
                visit(d, [*stack, d])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    assert not cycles, "\n".join(cycles)


def test_every_property_is_one_registered_object():
    assert tuple(REGISTRY) == PROPERTIES == sn.testing.PROPERTIES
    columns = [p.column for p in REGISTRY.values()]
    assert len(set(columns)) == len(columns) and all(len(c) == 3 for c in columns)
    # each axis kind with a promise has the property that tests it
    by_kind = {p.kind: p.name for p in REGISTRY.values() if p.kind is not None}
    assert set(by_kind) == set(sn.KINDS) - {"plain"}
