"""Time each stage of `placeopt run` on one workbook, and the direct-matrix reference.

    python benchmarks/stages.py WORKBOOK [--engine direct|pyomo] [--time-limit S] [--gap G]

Stages: read, compile (arcs and data), formulate (sparse rows with numpy), Pyomo build,
hand-off (standard-form compile + passModel), baseline solve, plan solve, LP duals,
results, write. `--engine pyomo` loads the model through Pyomo's standard-form compiler
instead of stacking the formulation's rows directly (`direct`, the default).
Prints one JSON line; peak RSS is the process maximum so far (run one size per process).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from placeopt.model.formulation import formulate
from placeopt.model.instance import compile_instance
from placeopt.model.results import summarise
from placeopt.model.solve import SolverSettings, solve
from placeopt.run import write_results
from placeopt.workbook.reader import read_workbook
from placeopt.workbook.scenarios import apply_scenario


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _option(text: str) -> tuple[str, object]:
    name, value = text.split("=", 1)
    if value.lower() in ("true", "false"):
        return name, value.lower() == "true"
    for kind in (int, float):
        try:
            return name, kind(value)
        except ValueError:
            continue
    return name, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workbook")
    parser.add_argument("--time-limit", type=float, default=600)
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--strong-linking", action="store_true")
    parser.add_argument("--engine", choices=("direct", "pyomo"), default="direct")
    parser.add_argument("--residential-k", type=int, default=None)
    parser.add_argument("--highs", action="append", default=[], metavar="OPTION=VALUE",
                        help="a HiGHS option, e.g. mip_heuristic_run_rins=false")
    args = parser.parse_args()
    seconds: dict[str, float] = {}
    peak_after: dict[str, int] = {}

    def timed(name, fn, *a, **k):
        started = time.perf_counter()
        out = fn(*a, **k)
        seconds[name] = round(time.perf_counter() - started, 3)
        peak_after[name] = round(peak_mib())
        print(f"{name}: {seconds[name]} s, peak {peak_after[name]} MiB", file=sys.stderr,
              flush=True)
        return out

    inputs = timed("read", lambda: apply_scenario(read_workbook(args.workbook), "base"))
    instance = timed("compile", compile_instance, inputs, residential_k=args.residential_k)
    formulation = timed("formulate", formulate, instance, strong_linking=args.strong_linking)
    settings = SolverSettings(mip_gap=args.gap, time_limit=args.time_limit,
                              highs_options=tuple(_option(o) for o in args.highs))
    solved = timed("solve", solve, instance, formulation, settings, engine=args.engine,
                   progress=lambda line: print(line, file=sys.stderr, flush=True))
    del seconds["solve"]
    seconds["matrix_build"] = round(solved.build_seconds, 3)
    seconds["handoff"] = round(solved.handoff_seconds, 3)
    seconds.update({k: round(v, 3) for k, v in solved.timings.items()})
    provenance = {"placeopt_version": "bench", "workbook": args.workbook, "scenario": "base"}
    results = timed("results", summarise, instance, formulation, solved, provenance)
    with tempfile.TemporaryDirectory() as tmp:
        timed("write", write_results, results, Path(tmp) / "out")
    solver = seconds["baseline"] + seconds["plan"] + seconds["duals"]
    other = sum(v for k, v in seconds.items() if k not in ("baseline", "plan", "duals",
                                                             "direct_handoff"))
    print(json.dumps({
        "workbook": args.workbook,
        "engine": args.engine,
        "arcs": len(instance.arcs),
        "dominated_arcs_left_out": instance.dominated_arcs,
        "residential_k": args.residential_k,
        "highs_options": args.highs,
        "arc_years": formulation.layout.n_x,
        "columns": formulation.layout.n_columns,
        "rows": sum(len(r) for r in formulation.rows),
        "binaries": solved.binaries,
        "seconds": seconds,
        "solver_seconds": round(solver, 3),
        "other_seconds": round(other, 3),
        "other_share_of_solver": round(other / solver, 3) if solver else None,
        "status": [solved.baseline.status, solved.plan.status],
        "gap": solved.plan.mip_gap,
        "gap_pounds": solved.plan.gap_pounds,
        "objective": solved.plan.objective,
        "objective_bound": solved.plan.bound,
        "checks_passed": all(c["passed"] for c in solved.checks.values()),
        "peak_rss_mib": round(peak_mib()),
        "peak_rss_mib_after_stage": peak_after,
    }))


if __name__ == "__main__":
    main()
