"""The plan by each route: by years (Benders, the default) against the whole model.

    python benchmarks/benders_route.py WORKBOOK GAP [--whole] [--time-limit S]

Solves the baseline and the plan by years (`model/benders.py`) and, with `--whole`, the
same two as one HiGHS MIP each; prints each plan's objective, proven bound, the gap in
pounds and the seconds, and the peak memory of the process so far.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource

from placeopt.case import build_case
from placeopt.model.formulation import formulate
from placeopt.model.solve import Solver, solve_cases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workbook")
    parser.add_argument("gap", type=float)
    parser.add_argument("--whole", action="store_true")
    parser.add_argument("--time-limit", type=float, default=600)
    args = parser.parse_args()
    case = build_case(args.workbook)
    formulation = formulate(case.instance)
    for route in ("years", "whole") if args.whole else ("years",):
        settings = dataclasses.replace(case.settings, mip_gap=args.gap,
                                       time_limit=args.time_limit, route=route)
        model = Solver(formulation, settings, print, instance=case.instance)
        baseline, plan = solve_cases(model, case.instance)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{route}: baseline {baseline.seconds:.1f} s; plan {plan.status}, "
              f"£{plan.objective:,.2f}, bound £{plan.bound:,.2f}, gap £{plan.gap_pounds:,.0f}"
              f", {plan.seconds:.1f} s; peak memory so far {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
