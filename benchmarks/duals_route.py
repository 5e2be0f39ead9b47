"""The marginal-value LP two ways, after the plan: year by year against the whole LP.

    python benchmarks/duals_route.py WORKBOOK GAP

Solves the baseline and the plan (to GAP), fixes the plan's builds, then times the LP
solved year by year (`Solver.run_fixed_builds`) and solved whole on the plan's HiGHS
model (integrality relaxed), and prints both objectives (they must agree).
"""

from __future__ import annotations

import dataclasses
import sys
import time

import numpy as np

from placeopt.case import build_case
from placeopt.model.formulation import formulate
from placeopt.model.solve import Solver, solve_cases


def main() -> None:
    case = build_case(sys.argv[1])
    settings = dataclasses.replace(case.settings, mip_gap=float(sys.argv[2]))
    formulation = formulate(case.instance)
    model = Solver(formulation, settings, None, "direct", instance=case.instance)
    _, plan = solve_cases(model, case.instance)
    layout = formulation.layout
    builds = np.arange(layout.b_start, layout.o_start)
    built = np.round(plan.values[builds])
    model.set_bounds(builds, built, built)
    started = time.perf_counter()
    yearly = model.run_fixed_builds("marginal-value LP")
    yearly_seconds = time.perf_counter() - started
    model.relax_integrality()
    started = time.perf_counter()
    whole = model.run("marginal-value LP")
    whole_seconds = time.perf_counter() - started
    print(f"{sys.argv[1]}: plan {plan.seconds:.1f} s; year by year {yearly_seconds:.2f} s "
          f"(£{yearly.objective:,.2f}); whole {whole_seconds:.2f} s (£{whole.objective:,.2f})")


if __name__ == "__main__":
    main()
