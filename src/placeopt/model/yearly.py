"""Linear programmes with every build decision fixed, solved year by year.

(The capital drawn from each funding stream is one more small block of its own.)

Once the options' opening years are fixed (here: the baseline when no committed option
has a choice of year, `HighsModel.run_fixed_builds`), the model falls apart into one
transportation-like LP per year: every row left (demand, capacity, limits, revenue
budget) lives in one year, and the rows that tie years together (capital, once open
stays open, option groups) hold only the fixed build columns. Solving the years apart
gives the same solution and row duals as the whole LP, in less time and memory, and the
years can go to separate processes.

The marginal-value LP after the plan is not solved here: on the years route it is priced
by the Benders subproblems the plan already holds (`HighsModel.capacity_duals`), warm
from the plan's last round; on the whole route, or when that fails, it is solved whole on
the plan's own HiGHS model, which right after the plan is faster than starting the years
afresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .formulation import Layout
from .highs_lp import highs_lp, new_highs
from .verify import Bounds


@dataclass(frozen=True)
class YearlySolution:
    """The LP's solution over all columns, its row duals, and how each year went."""

    status: str  # "optimal", or what went wrong (the first year that did not solve)
    objective: float
    values: np.ndarray
    row_duals: np.ndarray  # one per row of `bounds.matrix`; 0 for rows of fixed columns
    seconds: float


BUILDS, FUNDING = -1, -2  # blocks of `column_years` that are not a year


def column_years(layout: Layout) -> np.ndarray:
    """Year index of every column; BUILDS for the option and measure blocks (years apart
    only once they are fixed), FUNDING for the capital drawn from each stream (one block of
    its own: with the builds fixed it touches only the funding and capital rows)."""
    years = np.full(layout.n_columns, BUILDS, dtype=np.int64)
    years[:layout.n_x] = layout.x_year
    years[layout.u_start:layout.b_start] = layout.u_year
    years[layout.o_start:layout.w_start] = layout.o_year
    years[layout.funding_columns] = FUNDING
    years[layout.v_start:] = layout.v_year
    return years


def builds_fixed(bounds: Bounds, layout: Layout) -> bool:
    """Is every build (option-block and measure-block) column fixed by its bounds?"""
    block = layout.build_columns
    return bool(np.all(bounds.col_lower[block] == bounds.col_upper[block]))


def solve_by_year(bounds: Bounds, layout: Layout, threads: int = 0) -> YearlySolution:
    """Solve the LP of `bounds` (builds fixed, integrality ignored) one year at a time."""
    import highspy

    started = time.perf_counter()
    n_rows, n_cols = bounds.matrix.shape
    fixed = bounds.col_lower == bounds.col_upper
    values = np.where(fixed, bounds.col_lower, 0.0)
    matrix = bounds.matrix.tocsr()
    # Move the fixed columns to the right-hand side.
    shift = matrix[:, np.flatnonzero(fixed)] @ values[fixed]
    lower, upper = bounds.row_lower - shift, bounds.row_upper - shift
    free = np.flatnonzero(~fixed)
    rest = matrix[:, free].tocsr()
    year_of_column = column_years(layout)[free]
    if np.any(year_of_column == BUILDS):
        raise ValueError("solve_by_year needs every build column fixed")
    row_duals = np.zeros(n_rows)
    has_entries = np.diff(rest.indptr) > 0
    # Rows of fixed columns only must already hold (nothing can move them).
    empty = np.flatnonzero(~has_entries)
    slack = 1e-6 * np.maximum(1.0, np.abs(shift[empty]))
    if np.any((lower[empty] > slack) | (upper[empty] < -slack)):
        return YearlySolution("infeasible: the fixed builds break a row of their own",
                              float("nan"), values, row_duals,
                              time.perf_counter() - started)
    first_column = rest.indices[rest.indptr[:-1][has_entries]]
    year_of_row = np.full(n_rows, -1, dtype=np.int64)
    year_of_row[has_entries] = year_of_column[first_column]
    objective = float(bounds.cost[fixed] @ values[fixed] + bounds.offset)
    for year in np.unique(year_of_column):
        cols = np.flatnonzero(year_of_column == year)
        rows = np.flatnonzero(year_of_row == year)
        block = rest[rows][:, cols].tocsc()
        highs = new_highs(threads=threads)
        lp = highs_lp(block, bounds.cost[free[cols]], bounds.col_lower[free[cols]],
                      bounds.col_upper[free[cols]], lower[rows], upper[rows])
        highs.passModel(lp)
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            where = "the capital streams" if year == FUNDING else f"year {int(year)}"
            return YearlySolution(f"{where}: {highs.modelStatusToString(status)}",
                                  float("nan"), values, row_duals,
                                  time.perf_counter() - started)
        solution = highs.getSolution()
        values[free[cols]] = np.asarray(solution.col_value)
        row_duals[rows] = np.asarray(solution.row_dual)
        objective += float(highs.getInfo().objective_function_value)
    return YearlySolution("optimal", objective, values, row_duals,
                          time.perf_counter() - started)
