"""The house plan holds: three wings, entry points on top, no import circles.

Every `import` in src/placeopt (at module level or inside a function: both are
dependencies) becomes an edge between modules; the graph must have no cycle, and each
wing may import only what docs/architecture.md says it may.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "placeopt"
# Shared by every wing: the vocabulary of failure and the version.
SHARED = {"placeopt.problems", "placeopt.version"}
# What each wing may import besides itself and SHARED.
ALLOWED = {
    "placeopt.workbook": set(),
    "placeopt.model": {"placeopt.workbook"},
    "placeopt.report": set(),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    """The placeopt modules an ImportFrom reaches (a submodule, or the module itself)."""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = package[: len(package) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("placeopt"):
        return []
    known = _modules()
    reached = [f"{target}.{alias.name}" for alias in node.names
               if f"{target}.{alias.name}" in known]
    return reached or [target]


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in _modules().items():
        edges = graph.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                edges.update(_resolve(module, path, node))
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name.startswith("placeopt"))
        edges.discard(module)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == 1:
                return stack[stack.index(child):] + [child]
            if child not in state and (found := visit(child)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _wing(module: str) -> str | None:
    return next((w for w in ALLOWED if module == w or module.startswith(w + ".")), None)


def test_no_import_circles() -> None:
    cycle = _cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("wing", sorted(ALLOWED))
def test_each_wing_imports_only_what_it_may(wing: str) -> None:
    may = ALLOWED[wing] | {wing}
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items() if _wing(module) == wing
        for target in targets
        if target not in SHARED and _wing(target) not in may
    )
    assert not wrong, "\n".join(wrong)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_report_and_model_know_nothing_of_the_terminal() -> None:
    for module, path in _modules().items():
        if _wing(module) in ("placeopt.model", "placeopt.report"):
            text = path.read_text(encoding="utf-8")
            assert "import click" not in text and "from click" not in text, module
