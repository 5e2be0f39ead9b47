"""The plan two ways: Benders over years against one HiGHS MIP of the whole model.

    python benchmarks/benders_route.py WORKBOOK GAP [--whole] [--time-limit S]

Solves the baseline, then the plan by Benders (`model/benders.py`) from the baseline, and
with `--whole` the plan as one MIP on the same model; prints each objective, bound, gap
in pounds and seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from placeopt.case import build_case
from placeopt.model.benders import solve_by_benders
from placeopt.model.formulation import formulate
from placeopt.model.solve import HighsModel, optional_columns
from placeopt.model.verify import check_solution


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workbook")
    parser.add_argument("gap", type=float)
    parser.add_argument("--whole", action="store_true")
    parser.add_argument("--time-limit", type=float, default=600)
    args = parser.parse_args()
    case = build_case(args.workbook)
    settings = dataclasses.replace(case.settings, mip_gap=args.gap, time_limit=args.time_limit)
    formulation = formulate(case.instance)
    model = HighsModel(formulation, settings, print, "direct", instance=case.instance)
    shut = optional_columns(case.instance, formulation.layout)
    model.set_bounds(shut, np.zeros(len(shut)), np.zeros(len(shut)))
    baseline = model.run_fixed_builds("baseline") or model.run("baseline")
    model.set_bounds(shut, np.zeros(len(shut)), np.ones(len(shut)))
    started = time.perf_counter()
    result = solve_by_benders(model.bounds(), formulation.layout, baseline.values,
                              args.gap, args.time_limit, print)
    seconds = time.perf_counter() - started
    check = check_solution(model.bounds(), result.values, result.objective)
    print(f"benders: {result.status}, £{result.objective:,.2f}, bound £{result.bound:,.2f}, "
          f"gap £{result.objective - result.bound:,.0f}, {result.rounds} rounds, "
          f"{result.cuts} cuts, {seconds:.1f} s, check {check.passed} {check.reason}")
    if args.whole:
        plan = model.run("plan", start=baseline.values)
        print(f"whole: {plan.status}, £{plan.objective:,.2f}, bound £{plan.bound:,.2f}, "
              f"gap £{plan.gap_pounds:,.0f}, {plan.seconds:.1f} s")


if __name__ == "__main__":
    main()
