"""How good a start is the plan's LP relaxation, rounded and priced year by year?

    python benchmarks/rounding_start.py WORKBOOK [THREADS]

Solves the plan's LP relaxation (every column continuous), rounds each "open by year t"
column at several thresholds, and prices each rounded programme with the year-by-year
LPs (`Solver.run_fixed_builds`, which also says when a rounding breaks the capital
or funding rows). Issue 10 asked whether such a start would spare HiGHS its search for
an incumbent; the figures are in RESULTS.md.
"""

from __future__ import annotations

import dataclasses
import sys
import time

import numpy as np

from placeopt.case import build_case
from placeopt.model.formulation import formulate
from placeopt.model.solve import Solver


def main() -> None:
    case = build_case(sys.argv[1])
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    settings = dataclasses.replace(case.settings, threads=threads)
    formulation = formulate(case.instance)
    layout = formulation.layout
    model = Solver(formulation, settings, print, "direct", instance=case.instance)
    builds = np.arange(layout.b_start, layout.o_start)

    started = time.perf_counter()
    model.relax_integrality()
    model._fold_constant()
    model.highs.run()
    bound = model.highs.getInfo().objective_function_value + model._constant
    values = np.zeros(layout.n_columns)
    values[model.column_of] = np.asarray(model.highs.getSolution().col_value)
    y = values[builds]
    fractional = int(((y > 1e-6) & (y < 1 - 1e-6)).sum())
    print(f"LP relaxation £{bound:,.0f} in {time.perf_counter() - started:.1f}s; "
          f"{fractional} of {len(y)} open-by-year columns fractional")
    model.highs.clearSolver()
    for threshold in (0.1, 0.3, 0.5, 0.7, 0.9):
        rounded = (y >= threshold - 1e-9).astype(float)
        model.set_bounds(builds, rounded, rounded)
        started = time.perf_counter()
        priced = model.run_fixed_builds(f"programme rounded at {threshold}")
        seconds = time.perf_counter() - started
        if priced is None:
            print(f"  rounded at {threshold}: breaks a row of the builds ({seconds:.1f}s)")
            continue
        decisions = priced.objective - model._constant
        print(f"  rounded at {threshold}: £{priced.objective:,.0f}, "
              f"{(priced.objective - bound) / decisions:.2%} above the LP bound (of the "
              f"decisions' cost), {int(rounded[layout.b_last].sum())} options built, "
              f"{seconds:.1f}s")


if __name__ == "__main__":
    main()
