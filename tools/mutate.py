"""Mutation testing, small and our own: can the tests fail when the code is wrong?

Each mutant changes one thing in one module of placeopt (an operator, a comparison, a
boolean, a number) and runs the tests that should notice. A mutant the tests let pass
("survived") is either a gap in the tests or a change that cannot matter; docs/testing.md
records the survivors judged harmless, and why.

    python tools/mutate.py                         # a sample of each module's mutants
    python tools/mutate.py --modules results funding --per-module 40 --seed 3
    python tools/mutate.py --list results          # the mutants of a module, numbered
    python tools/mutate.py --modules results --only 12 57   # those mutants again
    python tools/mutate.py --modules formulation --only 173 --tests tests/test_engines.py

The mutated module is written into a copy of src/ (PYTHONPATH puts it first), never into
the repository. Runs are niced; each line of --out (JSON) is one mutant's outcome.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "placeopt"

# The module, and the fast tests that should notice a change in it.
TESTS: dict[str, list[str]] = {
    "results": ["tests/test_results.py", "tests/test_trust.py"],
    "funding": ["tests/test_model.py", "tests/test_results.py"],
    "checks": ["tests/test_trust.py", "tests/test_problems.py", "tests/test_model.py"],
    "formulation": ["tests/test_model.py", "tests/test_trust.py"],
    "instance": ["tests/test_model.py", "tests/test_trust.py", "tests/test_problems.py"],
    "verify": ["tests/test_trust.py", "tests/test_model.py"],
    "diagnose": ["tests/test_results.py", "tests/test_trust.py"],
    "journeys": ["tests/test_geography.py", "tests/test_model.py"],
    "yearly": ["tests/test_model.py", "tests/test_benders.py"],
    "project_values": ["tests/test_project_values.py"],
    "benders": ["tests/test_benders.py", "tests/test_model.py"],
    "solve": ["tests/test_model.py", "tests/test_trust.py", "tests/test_benders.py"],
}

SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
         ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
         ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
         ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.And: ast.Or, ast.Or: ast.And,
         ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd, ast.In: ast.NotIn,
         ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
          ast.Mod: "%", ast.Pow: "**", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
          ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.And: "and", ast.Or: "or",
          ast.BitAnd: "&", ast.BitOr: "|", ast.In: "in", ast.NotIn: "not in",
          ast.Is: "is", ast.IsNot: "is not"}


@dataclass(frozen=True)
class Mutant:
    module: str
    number: int
    line: int
    change: str
    path: tuple  # where in the tree: (node index in ast.walk order, what, detail)


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the Constant nodes that are docstrings (never mutated)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value,
                                                                     ast.Constant):
                found.add(id(body[0].value))
    return found


def _in_annotation_or_string(tree: ast.Module) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        for child in [getattr(node, "annotation", None), getattr(node, "returns", None)]:
            if child is not None:
                skip |= {id(n) for n in ast.walk(child)}
        if isinstance(node, ast.JoinedStr):  # messages: wording, not logic
            skip |= {id(n) for n in ast.walk(node)}
    return skip


def mutants(module: str) -> list[Mutant]:
    """Every mutant of a module, numbered in source order."""
    tree = ast.parse((PACKAGE / "model" / f"{module}.py").read_text(encoding="utf-8"))
    skip = _docstrings(tree) | _in_annotation_or_string(tree)
    found = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.BinOp | ast.BoolOp) and type(node.op) in SWAPS:
            new = SWAPS[type(node.op)]
            found.append((line, f"{SYMBOL[type(node.op)]} -> {SYMBOL[new]}",
                          (index, "op", None)))
        elif isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in SWAPS:
                    new = SWAPS[type(op)]
                    found.append((line, f"{SYMBOL[type(op)]} -> {SYMBOL[new]}",
                                  (index, "compare", k)))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
            found.append((line, f"drop {'not' if isinstance(node.op, ast.Not) else '-'}",
                          (index, "unary", None)))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
            value = node.value
            new = (not value) if isinstance(value, bool) else (
                value + 1 if isinstance(value, int) else (value * 2 if value else 1.0))
            found.append((line, f"{value!r} -> {new!r}", (index, "constant", new)))
    found.sort(key=lambda item: item[0])
    return [Mutant(module, n, line, change, where)
            for n, (line, change, where) in enumerate(found, start=1)]


def mutated_source(mutant: Mutant) -> str:
    tree = ast.parse((PACKAGE / "model" / f"{mutant.module}.py").read_text(encoding="utf-8"))
    tree = copy.deepcopy(tree)
    index, what, detail = mutant.path
    node = list(ast.walk(tree))[index]
    if what == "op":
        node.op = SWAPS[type(node.op)]()
    elif what == "compare":
        node.ops[detail] = SWAPS[type(node.ops[detail])]()
    elif what == "constant":
        node.value = detail
    elif what == "unary":
        parent = next(p for p in ast.walk(tree) for field, value in ast.iter_fields(p)
                      if value is node or (isinstance(value, list) and node in value))
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, node.operand)
            elif isinstance(value, list) and node in value:
                value[value.index(node)] = node.operand
    return ast.unparse(ast.fix_missing_locations(tree))


def run_tests(src: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            ["nice", "-n", "10", sys.executable, "-m", "pytest", *tests, "-x", "-q",
             "-p", "no:cacheprovider", "-m", "not slow", "-o", "addopts="],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - started
    status = "survived" if done.returncode == 0 else "killed"
    return status, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="*", default=list(TESTS))
    parser.add_argument("--per-module", type=int, default=12)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--only", type=int, nargs="*", help="mutant numbers (one module)")
    parser.add_argument("--list", metavar="MODULE")
    parser.add_argument("--tests", nargs="*", help="run these tests instead of the module's")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "mutants.jsonl")
    args = parser.parse_args()
    if args.list:
        for mutant in mutants(args.list):
            print(f"{mutant.number:4d}  line {mutant.line:4d}  {mutant.change}")
        return
    workdir = Path(tempfile.mkdtemp(prefix="placeopt-mutants-"))
    src = workdir / "src"
    shutil.copytree(ROOT / "src", src)
    try:
        tests = {m: args.tests or TESTS[m] for m in args.modules}
        base, seconds = run_tests(src, sorted({t for m in args.modules for t in tests[m]}),
                                  args.timeout)
        assert base == "survived", "the tests fail without any mutant"
        print(f"unmutated: the tests pass ({seconds:.0f} s)", flush=True)
        rng = random.Random(args.seed)
        for module in args.modules:
            every = mutants(module)
            chosen = ([m for m in every if m.number in set(args.only)] if args.only
                      else sorted(rng.sample(every, min(args.per_module, len(every))),
                                  key=lambda m: m.number))
            target = src / "placeopt" / "model" / f"{module}.py"
            original = target.read_text(encoding="utf-8")
            for mutant in chosen:
                target.write_text(mutated_source(mutant), encoding="utf-8")
                try:
                    status, seconds = run_tests(src, tests[module], args.timeout)
                finally:
                    target.write_text(original, encoding="utf-8")
                code = original.splitlines()[mutant.line - 1].strip()
                record = {"module": module, "number": mutant.number, "line": mutant.line,
                          "change": mutant.change, "code": code, "status": status,
                          "seconds": round(seconds, 1)}
                with args.out.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record) + "\n")
                print(f"{status:8s} {module}.py:{mutant.line} #{mutant.number} "
                      f"{mutant.change}: {code}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
