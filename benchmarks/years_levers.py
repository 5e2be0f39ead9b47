"""What each lever of the years route buys, shape by shape (issue 17, deliverable 3).

    python benchmarks/years_levers.py WORKBOOK [WORKBOOK ...] [--time-limit S]

Solves each workbook's baseline and plan by years (`--route years`) under each variant of
the route's module constants (model/benders.py), each in a fresh process, and prints one
line per workbook and variant: the plan's status, gap, master rounds, wall and CPU
seconds of the plan. CPU seconds are the fairer figure on a shared machine. Variants:

- `one_lp_round`: the LP phase cut to one round, as it ran before its convergence test was
  mended (it read inf <= inf as converged whenever its first point was fractional);
- `converged_lp`: the LP phase to convergence, each master round to `mip_gap`;
- `default`: the shipped settings (also each master round to a quarter of the gap still
  open, `COARSE_FIRST`).
Results go to benchmarks/years_levers.jsonl.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

VARIANTS = {
    "one_lp_round": {"LP_ROUNDS": 1, "COARSE_FIRST": 0.0},
    "converged_lp": {"COARSE_FIRST": 0.0},
    "default": {},
}


def solve_one(workbook: str, variant: str, time_limit: float) -> dict:
    """In this process: the plan by years under `variant`."""
    from placeopt.case import build_case
    from placeopt.model import benders
    from placeopt.model.formulation import formulate
    from placeopt.model.solve import Solver, solve_cases

    for name, value in VARIANTS[variant].items():
        setattr(benders, name, value)
    case = build_case(workbook)
    settings = dataclasses.replace(case.settings, route="years", time_limit=time_limit)
    lines: list[str] = []
    model = Solver(formulate(case.instance), settings, lines.append, instance=case.instance)
    cpu = time.process_time()
    _, plan = solve_cases(model, case.instance)
    return {"workbook": Path(workbook).name, "variant": variant, "status": plan.status,
            "gap": plan.mip_gap, "objective": round(plan.objective, 2),
            "rounds": sum("Benders round" in line for line in lines),
            "plan_seconds": round(plan.seconds, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workbooks", nargs="+")
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--one", nargs=2, metavar=("WORKBOOK", "VARIANT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(solve_one(*args.one, args.time_limit)))
        return
    out = Path(__file__).with_name("years_levers.jsonl")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    for workbook in args.workbooks:
        for variant in VARIANTS:
            done = subprocess.run([sys.executable, __file__, "x", "--one", workbook, variant,
                                   "--time-limit", str(args.time_limit)],
                                  capture_output=True, text=True, check=True)
            record = json.loads(done.stdout.strip().splitlines()[-1])
            record.update(commit=commit, date=time.strftime("%Y-%m-%d"))
            with out.open("a") as file:
                file.write(json.dumps(record) + "\n")
            gap = "-" if record["gap"] is None else f"{100 * record['gap']:.3f}%"
            print(f"{record['workbook']:28s} {variant:14s} {record['status']:10s} gap {gap:>7s}"
                  f" rounds {record['rounds']:3d} plan {record['plan_seconds']:7.1f} s"
                  f" cpu {record['cpu_seconds']:7.1f} s", flush=True)


if __name__ == "__main__":
    main()
