"""Tests that run programs outside Python (LibreOffice, Chromium, poppler) skip, saying
which is missing, on a machine without them: the README's `pytest` passes with Python
alone. CI installs the programs (.ci/run) and runs those tests for real."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from conftest import OUTSIDE_TOOLS

TESTS = Path(__file__).resolve().parent


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _tools_named(node: ast.AST) -> set[str]:
    """The outside programs a piece of code names as a string of its own."""
    return {n.value for n in ast.walk(node)
            if isinstance(n, ast.Constant) and n.value in OUTSIDE_TOOLS}


def _tools_used(name: str, functions: dict[str, ast.FunctionDef],
                seen: set[str] | None = None) -> set[str]:
    """The programs a function runs, itself or through the module's functions it calls
    and the fixtures it takes."""
    seen = seen if seen is not None else set()
    if name in seen or name not in functions:
        return set()
    seen.add(name)
    function = functions[name]
    found = _tools_named(function)
    called = {n.func.id for n in ast.walk(function)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    fixtures = {a.arg for a in function.args.args}
    for other in called | fixtures:
        found |= _tools_used(other, functions, seen)
    return found


def _guarded_by(function: ast.FunctionDef, aliases: dict[str, set[str]]) -> set[str]:
    """The programs a test's needs_tools(...) decorators (or names bound to one) name."""
    guarded: set[str] = set()
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "needs_tools":
            guarded |= {a.value for a in decorator.args if isinstance(a, ast.Constant)}
        elif isinstance(decorator, ast.Name):
            guarded |= aliases.get(decorator.id, set())
    return guarded


def test_every_test_that_runs_an_outside_program_skips_without_it() -> None:
    """Read every test module: a test that runs LibreOffice, Chromium or poppler (itself or
    through a helper or fixture of its module) carries needs_tools(...) naming each one.
    (test_template's Guide test ran pdfinfo behind a LibreOffice-only guard.)"""
    checked, unguarded = 0, []
    for path in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = _functions(tree)
        aliases = {target.id: {a.value for a in node.value.args}
                   for node in tree.body if isinstance(node, ast.Assign)
                   and isinstance(node.value, ast.Call)
                   and getattr(node.value.func, "id", "") == "needs_tools"
                   for target in node.targets if isinstance(target, ast.Name)}
        for name, function in functions.items():
            if not name.startswith("test_") or path.name == Path(__file__).name:
                continue
            used = _tools_used(name, functions)
            if used:
                checked += 1
                if missing := used - _guarded_by(function, aliases):
                    unguarded.append(f"{path.name}::{name} runs {sorted(missing)} unguarded")
    assert checked >= 8  # the report's and the template's renderings
    assert not unguarded, "\n".join(unguarded)


def _path_without(tools: set[str], folder: Path) -> str:
    """A PATH of links to every program on this one except `tools`."""
    folder.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or not Path(directory).is_dir():
            continue
        for program in Path(directory).iterdir():
            link = folder / program.name
            if program.name not in tools and not link.exists() and os.access(program, os.X_OK):
                link.symlink_to(program)
    return str(folder)


def test_with_python_alone_the_rendering_tests_skip_with_their_reason(tmp_path: Path) -> None:
    """The rendering tests run with none of the programs on PATH: every one skips, none
    fails, and each says what to install."""
    env = {**os.environ, "PATH": _path_without(set(OUTSIDE_TOOLS) | {"soffice"},
                                               tmp_path / "bin")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "-m", "slow", "-k", "not trafford_map", str(TESTS / "test_template.py"),
         str(TESTS / "test_report.py")],
        capture_output=True, text=True, env=env, cwd=TESTS.parent, timeout=300)
    out = done.stdout
    assert done.returncode in (0, 5), out[-3000:]  # 5: nothing ran, all skipped
    assert " failed" not in out and " error" not in out, out[-3000:]
    skipped = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) >= 8, out[-3000:]
    for line in skipped:
        assert "not on PATH (apt-get install" in line, line
