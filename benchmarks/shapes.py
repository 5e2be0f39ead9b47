"""A family of plan shapes, each solved four ways (issue 17).

    python benchmarks/shapes.py generate OUT_DIR
    python benchmarks/shapes.py run OUT_DIR [--ways plain,whole,years,default]
                                            [--only NAME,...] [--time-limit 300]
                                            [--seed N] [--results FILE]
    python benchmarks/shapes.py table [JSONL]

`generate` writes one workbook per shape of `shape_family.SHAPES` (seeded: the same
code writes the same workbooks), shapes.json (each shape's parameters) and made_by.json
(what made each workbook: the generator's code and the shape's parameters). `run`
refuses a workbook that this code and these parameters did not write. `run` solves
each shape each way in a fresh Python process (so each way has the memory and the
timing of a run of its own), at the shape's mip_gap and the same time limit:

- plain: the plain SPEC model (`plain_model.py`: every arc, b variables) as one HiGHS
  MIP, the baseline (options that are not required shut) and then the plan;
- whole, years: `placeopt.run.plan(..., route=...)`;
- default: `placeopt.run.plan` with no route, so whatever the default is, is measured.

The three `plan` ways run with project_values=False and write no reports. `--seed N`
runs every way with HiGHS's random_seed N (the plain model's MIP, the whole model, the
years route's master): a MIP's time can change several-fold with the seed alone, so a
shape far from the rest is re-run under other seeds before its time is read as the
route's. Give such runs a results file of their own: the table reads the latest record
of each shape and way. One JSON line per shape and way is appended to
benchmarks/shapes_results.jsonl (commit, date, machine and its load average when the
solve started: the machine may be shared). `table` prints the per-shape table and the
summary lines of issue 17 from the latest line of each shape and way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from shape_family import SHAPES, write_shape  # noqa: E402
from shape_table import print_table  # noqa: E402

WAYS = ("plain", "whole", "years", "default")
RESULTS = HERE / "shapes_results.jsonl"
MARK = "SHAPE-RESULT "  # the line of a solve's output that holds its record


MADE_BY = "made_by.json"  # in OUT: each workbook's `made_by` key when it was written


@functools.cache
def _generator() -> bytes:
    """The generator's code (read once)."""
    return (HERE / "shape_family.py").read_bytes()


def made_by(name: str) -> str:
    """What a shape's workbook is made from: the generator's code and the shape's
    parameters. A workbook written by other code or parameters is another case (an
    xlsx file's own bytes differ from one writing to the next: they hold the time)."""
    digest = hashlib.sha256(_generator())
    digest.update(json.dumps(SHAPES[name].parameters(), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _made(out: Path) -> dict[str, str]:
    """The `made_by` keys noted in `out` (none yet: empty)."""
    book = out / MADE_BY
    return json.loads(book.read_text()) if book.exists() else {}


def _write(out: Path, names: list[str]) -> list[Path]:
    """Write the shapes' workbooks, and note what made each (`MADE_BY`)."""
    out.mkdir(parents=True, exist_ok=True)
    made = _made(out)
    paths = [write_shape(SHAPES[name], out / f"{name}.xlsx") for name in names]
    made.update({name: made_by(name) for name in names})
    (out / MADE_BY).write_text(json.dumps(made, indent=1, sort_keys=True) + "\n")
    return paths


def generate(out: Path) -> list[Path]:
    paths = _write(out, list(SHAPES))
    (out / "shapes.json").write_text(json.dumps(
        {name: shape.parameters() for name, shape in SHAPES.items()}, indent=1) + "\n")
    return paths


def stale(out: Path, names: list[str]) -> list[str]:
    """The shapes whose workbook in `out` was not written by this code from these
    parameters (or whose maker is not known): measured, they would be another case
    under this shape's name."""
    made = _made(out)
    return [name for name in names if (out / f"{name}.xlsx").exists()
            and made.get(name) != made_by(name)]


def seeded(seed: int) -> tuple:
    """The HiGHS options of a run with this random seed (0: HiGHS's default, none)."""
    return (("random_seed", seed),) if seed else ()


def solve_plain_way(workbook: Path, time_limit: float, seed: int = 0) -> dict:
    from plain_model import solve_plain

    from placeopt.case import build_case
    from placeopt.model.formulation import formulate
    from placeopt.model.instance import compile_instance

    case = build_case(workbook)
    instance = compile_instance(case.inputs, prune_dominated=False)
    given = {"mip_gap": case.settings.mip_gap, "time_limit": time_limit,
             "threads": case.settings.threads,
             "formulation": formulate(instance, open_by=False), "options": seeded(seed)}
    baseline = solve_plain(instance, baseline=True, **given)
    plan = solve_plain(instance, **given)
    gap = case.settings.mip_gap
    return {"status": plan.status, "baseline_status": baseline.status,
            "objective": plan.objective, "bound": plan.bound, "gap": plan.gap,
            "baseline_objective": baseline.objective,
            "baseline_seconds": baseline.seconds, "plan_seconds": plan.seconds,
            "solve_seconds": baseline.seconds + plan.seconds,
            "build_seconds": baseline.build_seconds + plan.build_seconds,
            "route": "plain", "mip_gap": gap}


def solve_placeopt_way(workbook: Path, way: str, time_limit: float, seed: int = 0) -> dict:
    from placeopt.run import plan

    given = {"highs_options": seeded(seed)} | ({} if way == "default" else {"route": way})
    summary = plan(workbook, time_limit=time_limit, project_values=False, **given).summary
    solve = summary["solve"]
    timings = solve["timings"]
    return {"status": summary["status"], "objective": summary["objective"],
            "bound": summary["objective_bound"], "gap": summary["mip_gap"],
            "baseline_objective": summary["baseline_objective"],
            "baseline_seconds": timings.get("baseline"), "plan_seconds": timings.get("plan"),
            "duals_seconds": timings.get("duals"),
            "solve_seconds": timings.get("baseline", 0) + timings.get("plan", 0),
            "build_seconds": solve["build_seconds"], "route": summary["provenance"]["route"],
            "attempts": {name: check["attempts"]
                         for name, check in solve["check"]["solves"].items()},
            "resolves": solve["check"]["resolves"],
            "races": solve.get("races", {}),
            "mip_gap": summary["provenance"]["options"]["mip_gap"]}


def solve_here(workbook: Path, way: str, time_limit: float, seed: int = 0) -> None:
    """One way on one workbook in this process: print its record on a MARK line."""
    started = time.perf_counter()
    try:
        record = (solve_plain_way(workbook, time_limit, seed) if way == "plain"
                  else solve_placeopt_way(workbook, way, time_limit, seed))
    except Exception as exc:  # noqa: BLE001 - recorded: a way that fails is a result
        record = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
    record["inside_seconds"] = time.perf_counter() - started
    record["peak_rss_mib"] = max(resource.getrusage(who).ru_maxrss
                                 for who in (resource.RUSAGE_SELF,
                                             resource.RUSAGE_CHILDREN)) / 1024
    print(MARK + json.dumps(record), flush=True)


def solve_apart(workbook: Path, way: str, time_limit: float, seed: int = 0) -> dict:
    """One way in a fresh process, with its end-to-end wall time; stopped (status
    "killed") if it runs far past the time limit."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, __file__, "solve", str(workbook), way,
                               "--time-limit", str(time_limit), "--seed", str(seed)],
                              capture_output=True, text=True, timeout=4 * time_limit + 120)
    except subprocess.TimeoutExpired:
        return {"status": "killed", "wall_seconds": time.perf_counter() - started,
                "load_before": load}
    wall = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    loads = {"load_before": load, "load_after": os.getloadavg()[0]}
    if not lines:
        return {"status": "failed", "error": done.stderr[-500:], "wall_seconds": wall,
                **loads}
    return {**json.loads(lines[-1][len(MARK):]), "wall_seconds": wall, **loads}


def agrees(record: dict, plain: dict | None) -> bool | None:
    """Whether a way's [bound, objective] meets the plain model's: both proven within
    their gaps, the true optimum lies in both (a penny and 1e-9 of slack)."""
    if plain is None or record.get("objective") is None or plain.get("objective") is None:
        return None
    slack = 0.01 + 1e-9 * abs(plain["objective"])
    low = record["bound"] if record.get("bound") is not None else -math.inf
    plain_low = plain["bound"] if plain.get("bound") is not None else -math.inf
    return record["objective"] >= plain_low - slack and plain["objective"] >= low - slack


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"node": platform.node(), "cpus": os.cpu_count(), "memory_gib": round(memory, 1),
            "python": platform.python_version(), "system": platform.platform()}


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=HERE, text=True, capture_output=True
                              ).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    # The results file itself is not the code: a run appends to it as it goes.
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ":/",
                  ":(top,exclude)benchmarks/*.jsonl")
    return head + ("+dirty" if changed else "")


def latest(path: Path) -> dict[tuple[str, str], dict]:
    """The last record of each (shape, way) in a results file."""
    records: dict[tuple[str, str], dict] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                records[(record["shape"], record["way"])] = record
    return records


def run(out: Path, ways: list[str], names: list[str], time_limit: float,
        results: Path, seed: int = 0) -> None:
    known = latest(results)
    stamp = {"commit": commit(), "machine": machine(),
             "run_id": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    old = stale(out, names)
    if old:
        raise SystemExit(f"{out}: {', '.join(old)}: not written by this shape_family.py "
                         f"from the shapes' parameters as they are now (run `shapes.py "
                         f"generate {out}` again)")
    _write(out, [name for name in names if not (out / f"{name}.xlsx").exists()])
    for name in names:
        shape = SHAPES[name]
        workbook = out / f"{name}.xlsx"
        sha = hashlib.sha256(workbook.read_bytes()).hexdigest()
        plain = known.get((name, "plain"))
        plain = plain if plain and plain.get("workbook_sha256") == sha \
            and plain.get("seed", 0) == seed else None
        for way in ways:
            record = solve_apart(workbook, way, time_limit, seed)
            if way == "plain":
                plain = record
            record = {"shape": name, "way": way, "workbook_sha256": sha,
                      "made_by": made_by(name), **record,
                      "agrees_with_plain": agrees(record, plain), "time_limit": time_limit,
                      "seed": seed,
                      "parameters": shape.parameters(),
                      "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                      **stamp}
            with results.open("a") as file:
                file.write(json.dumps(record) + "\n")
            print(f"{name:24} {way:8} {record['status']:11} solve "
                  f"{record.get('solve_seconds') or 0:7.1f} s, wall "
                  f"{record['wall_seconds']:7.1f} s, route {record.get('route')}, "
                  f"agrees {record['agrees_with_plain']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("generate", help="write every shape's workbook")
    command.add_argument("out", type=Path)
    command = commands.add_parser("run", help="solve every shape every way")
    command.add_argument("out", type=Path)
    command.add_argument("--ways", default=",".join(WAYS))
    command.add_argument("--only", default="", help="shape names, separated by commas")
    command.add_argument("--time-limit", type=float, default=300.0)
    command.add_argument("--results", type=Path, default=RESULTS)
    command.add_argument("--seed", type=int, default=0,
                         help="HiGHS's random_seed for every way (0: its default)")
    command = commands.add_parser("table", help="the table of the latest results")
    command.add_argument("jsonl", type=Path, nargs="?", default=RESULTS)
    command = commands.add_parser("solve", help="(internal) one way in this process")
    command.add_argument("workbook", type=Path)
    command.add_argument("way", choices=WAYS)
    command.add_argument("--time-limit", type=float, default=300.0)
    command.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.command == "generate":
        print("\n".join(str(p) for p in generate(args.out)))
    elif args.command == "run":
        ways = [w for w in args.ways.split(",") if w]
        unknown = [w for w in ways if w not in WAYS] + [
            n for n in args.only.split(",") if n and n not in SHAPES]
        if unknown:
            parser.error(f"unknown way or shape: {', '.join(unknown)}")
        names = [n for n in args.only.split(",") if n] or list(SHAPES)
        run(args.out, ways, names, args.time_limit, args.results, args.seed)
    elif args.command == "table":
        print_table(latest(args.jsonl), SHAPES)
    else:
        solve_here(args.workbook, args.way, args.time_limit, args.seed)


if __name__ == "__main__":
    main()
