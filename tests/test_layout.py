"""The layout of the code: imports point down the rooms (tools -> agent -> memory, eval -> ui), no import
circle between modules, and no file over 700 lines."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The rooms from the ground up; a module imports only from its own room or from rooms on a lower floor.
FLOORS = {"tools": 1, "agent": 2, "memory": 3, "eval": 3, "ui": 4}
MAX_LINES = 700


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for room in FLOORS:
        for path in sorted((REPO / room).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules ``path`` imports (anywhere in the file, type-only imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])]
                )
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, set(modules)) for name, path in modules.items()}


def test_imports_point_down_the_rooms() -> None:
    upward = [
        f"{src} -> {dst}"
        for src, targets in _graph().items()
        for dst in targets
        if (a := src.split(".")[0]) != (b := dst.split(".")[0]) and FLOORS[b] >= FLOORS[a]
    ]
    assert upward == []


def test_no_import_circle() -> None:
    graph = _graph()
    # a package's __init__ re-exporting its own modules is not a circle of the design: only edges between
    # modules that are not each other's package
    edges = {
        s: {d for d in t if not s.startswith(d + ".") and not d.startswith(s + ".")} for s, t in graph.items()
    }
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert circles == []


def test_no_file_over_700_lines() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in _modules().values()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_suites_lists_name_existing_tests() -> None:
    from tests.conftest import EMBEDDED_ONLY, STORAGE_MODULES

    for entry in STORAGE_MODULES:
        path, _, name = entry.partition("::")
        assert (REPO / path).exists(), entry
        assert not name or f"def {name}(" in (REPO / path).read_text(encoding="utf-8"), entry
    for node_id in EMBEDDED_ONLY:
        path, _, name = node_id.partition("::")
        assert f"def {name}(" in (REPO / path).read_text(encoding="utf-8"), node_id
