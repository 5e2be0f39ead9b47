"""The plain model: SPEC §2 as written, handed to HiGHS as one MIP.

Every allowed arc (no dominated arc left out), the options' variables b[e,t] ("opens in
year t"), the whole objective: none of the exact reductions `placeopt run` makes
(`instance._prune_dominated`, y[e,t] in docs/decisions/0009, the baseline year by year,
the years route of docs/decisions/0011). It is the reference both for correctness
(`tests/test_routes.py`, `tests/test_shapes.py`: every route must reach its optimum) and
for speed (`benchmarks/shapes.py`: the default route against one plain HiGHS MIP).

With `fold` (the default), HiGHS is given the objective less the cost of every column at
its lower bound (pupils who must stay), as `placeopt run` does, so that a relative
`mip_gap` means the same on both sides; the objective and bound are reported with it
added back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np

from placeopt.case import build_case
from placeopt.model.formulation import Formulation, formulate
from placeopt.model.highs_lp import new_highs, pass_lp
from placeopt.model.instance import Instance, compile_instance
from placeopt.model.solve import optional_columns


@dataclass(frozen=True)
class PlainSolution:
    status: str  # optimal | time_limit | HiGHS's own word for anything else
    objective: float | None  # None: no solution
    bound: float | None  # HiGHS's proven lower bound (None: none yet)
    gap: float | None  # relative, on the folded objective as HiGHS measures it
    seconds: float  # HiGHS's run alone
    build_seconds: float  # formulate and hand the model to HiGHS


def plain_instance(workbook: str | Path, scenario: str = "base") -> Instance:
    """The workbook's scenario compiled with every arc kept."""
    return compile_instance(build_case(workbook, scenario).inputs, prune_dominated=False)


def solve_plain(instance: Instance, *, baseline: bool = False, mip_gap: float = 0.0,
                time_limit: float | None = None, threads: int = 0, fold: bool = True,
                formulation: Formulation | None = None,
                options: tuple = ()) -> PlainSolution:
    """The plain model as one HiGHS MIP; with `baseline`, the options that are not
    required held shut. `formulation`: the instance's plain formulation, if made
    already (`formulate(instance, open_by=False)`); `options`: any other HiGHS
    option by name (a random seed)."""
    started = time.perf_counter()
    formulation = formulation or formulate(instance, open_by=False)
    columns = formulation.columns
    matrix, row_lower, row_upper = formulation.stacked()
    upper = columns.upper.copy()
    if baseline:
        upper[optional_columns(instance, formulation.layout)] = 0.0
    lower = np.where(np.isfinite(columns.lower), columns.lower, 0.0)
    constant = float(columns.cost @ lower) if fold else 0.0
    highs = new_highs(threads=threads, options=options)
    highs.setOptionValue("mip_rel_gap", float(mip_gap))
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(time_limit))
    if formulation.layout.n_columns:
        pass_lp(highs, matrix, columns.cost, columns.lower, upper, row_lower, row_upper,
                integer=columns.integer, offset=-constant)
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - started
    return _solution(highs, constant, seconds, build_seconds,
                     integer=bool(columns.integer.any()))


def _solution(highs: highspy.Highs, constant: float, seconds: float, build_seconds: float,
              integer: bool) -> PlainSolution:
    status = highs.getModelStatus()
    info = highs.getInfo()
    if status == highspy.HighsModelStatus.kModelEmpty:
        return PlainSolution("optimal", constant, constant, 0.0, seconds, build_seconds)
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    word = {highspy.HighsModelStatus.kOptimal: "optimal",
            highspy.HighsModelStatus.kTimeLimit: "time_limit"}.get(
        status, highs.modelStatusToString(status))
    objective = float(info.objective_function_value) + constant if has_solution else None
    if not integer:  # an LP solved to optimality is its own bound
        bound = objective if word == "optimal" else None
        gap = 0.0 if word == "optimal" else None
    else:
        bound = float(info.mip_dual_bound) + constant
        bound = bound if np.isfinite(bound) else None
        gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
    return PlainSolution(word, objective, bound, gap, seconds, build_seconds)
