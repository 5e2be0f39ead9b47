"""The model taken apart by year: with the builds fixed, one LP per year.

Every row of the model but those over the builds alone (capital, once open stays open,
option groups, each option opens once) holds the placements of one year and, perhaps,
some build columns (capacity opened by an option). With the builds fixed at a point,
the model falls apart into one transportation-like LP per year, whose optimal cost
z_t(point) is a convex piecewise-linear function of the builds. `YearLPs` keeps those
LPs in HiGHS, each holding the build columns its rows need as columns fixed at the point
("links"), so that pricing another point changes bounds only and each LP starts warm
from its last basis. The reduced costs of the link columns are a subgradient of z_t
(LP duality: the dual solution stays feasible for every point), which is what the years
route's Benders cuts are made of (model/benders.py).

The same LPs solve the model whenever its builds are fixed (`solve_fixed`): the
baseline when no committed option has a choice of year, the marginal-value LP at the
plan's builds. Solving the years apart gives the same solution and row duals as the
whole LP, in less time and memory.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .formulation import Layout
from .highs_lp import highs_lp, new_highs, set_time_limit
from .verify import Bounds
from .watch import Watch, interrupt_check

BUILDS, FUNDING = -1, -2  # blocks of `column_years` that are not a year


def column_years(layout: Layout) -> np.ndarray:
    """Year index of every column; BUILDS for the option and measure blocks (years apart
    only once they are fixed), FUNDING for the capital drawn from each stream (with the
    builds fixed it touches only the funding and capital rows)."""
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


class YearFailed(RuntimeError):
    """A year's LP did not solve, even from cold: solve the model another way."""


class Stopped(Exception):
    """A year's LP was interrupted (Ctrl-C, or the race is over)."""


@dataclass
class YearLP:
    """One year's LP: its own columns, then the master columns its rows hold (fixed)."""

    year: int
    columns: np.ndarray  # formulation columns of the year
    rows: np.ndarray  # formulation rows
    links: np.ndarray  # positions, among the master's columns, of those in its rows
    highs: Any


@dataclass
class Priced:
    """A master point priced by the years: each year's cost, solution and cut slope."""

    point: np.ndarray  # master column values
    costs: np.ndarray  # z_t, one per year
    values: list[np.ndarray]  # each year's own column values
    row_duals: list[np.ndarray]  # each year's row duals
    slopes: list[np.ndarray]  # d_t over the year's links


class YearLPs:
    """The year LPs of one model (`why_not` says why the model does not split, or "")."""

    def __init__(self, bounds: Bounds, layout: Layout, threads: int = 0, workers: int = 1,
                 verbose: bool = False):
        self.threads, self.verbose = threads, verbose
        self.watch = Watch()  # the solve's, set by whoever prices (`price`)
        self.deadline = float("inf")  # the solve's (time.perf_counter()), likewise
        self.pricing_seconds = 0.0
        self.n_cols = bounds.matrix.shape[1]
        self.year_of_column = column_years(layout)
        self.in_master = self.year_of_column < 0
        self.master_columns = np.flatnonzero(self.in_master)
        self.years: list[YearLP] = []
        self.why_not = self._split(bounds)
        self.signature = self._signature(bounds) if not self.why_not else b""
        self.pool = ThreadPoolExecutor(max(1, min(workers, len(self.years) or 1)))

    def rows_with_years(self, matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """For each row, the lowest and highest year of its year columns (-1: none)."""
        n_rows = matrix.shape[0]
        entry_year = self.year_of_column[matrix.indices]
        is_year = entry_year >= 0
        row_of_entry = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))[is_year]
        low = np.full(n_rows, np.iinfo(np.int64).max)
        high = np.full(n_rows, -1)
        np.minimum.at(low, row_of_entry, entry_year[is_year])
        np.maximum.at(high, row_of_entry, entry_year[is_year])
        return low, high

    def _split(self, bounds: Bounds) -> str:
        if bounds.integer[~self.in_master].any():
            return "whole-number placements make each year a MIP"
        if not (~self.in_master).any():
            return "the model has no placement"
        matrix = bounds.matrix.tocsr()
        low, high = self.rows_with_years(matrix)
        if np.any((high >= 0) & (low != high)):
            return "a row holds placements of more than one year"
        position = np.full(self.n_cols, -1)
        position[self.master_columns] = np.arange(len(self.master_columns))
        csc = matrix.tocsc()
        for year in np.unique(self.year_of_column[~self.in_master]):
            columns = np.flatnonzero(self.year_of_column == year)
            rows = np.flatnonzero(high == year)
            links = np.setdiff1d(np.unique(matrix[rows].indices), columns)
            block = sp.hstack([csc[:, columns][rows], csc[:, links][rows]], format="csc")
            cost = np.concatenate([bounds.cost[columns], np.zeros(len(links))])
            lower = np.concatenate([bounds.col_lower[columns], bounds.col_lower[links]])
            upper = np.concatenate([bounds.col_upper[columns], bounds.col_upper[links]])
            highs = new_highs(self.verbose, self.threads)
            highs.passModel(highs_lp(block, cost, lower, upper, bounds.row_lower[rows],
                                     bounds.row_upper[rows]))
            check = interrupt_check(lambda: self.watch)
            for event in (highs.cbSimplexInterrupt, highs.cbIpmInterrupt):
                event.subscribe(check)
            self.years.append(YearLP(int(year), columns, rows, position[links], highs))
        return ""

    def _signature(self, bounds: Bounds) -> bytes:
        """What the year LPs were built from: the years' rows, their bounds and the
        bounds and costs of the years' columns. Bounds that differ there need new LPs."""
        digest = hashlib.blake2b(digest_size=16)
        _, high = self.rows_with_years(bounds.matrix.tocsr())
        year_rows = np.flatnonzero(high >= 0)
        year_cols = np.flatnonzero(~self.in_master)
        for array in (year_rows, bounds.row_lower[year_rows], bounds.row_upper[year_rows],
                      bounds.col_lower[year_cols], bounds.col_upper[year_cols],
                      bounds.cost[year_cols]):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.digest()

    def fits(self, bounds: Bounds) -> bool:
        """Were the year LPs made for these bounds?"""
        return not self.why_not and self._signature(bounds) == self.signature

    # -- pricing -----------------------------------------------------------------------
    def price(self, point: np.ndarray) -> Priced:
        """Solve every year's LP with the master's columns at `point` (`pricing_seconds`:
        how long the last pricing took)."""
        started = time.perf_counter()
        solved = list(self.pool.map(lambda year: self._price_year(year, point), self.years))
        self.pricing_seconds = time.perf_counter() - started
        return Priced(point, np.array([s[0] for s in solved]), [s[1] for s in solved],
                      [s[2] for s in solved], [s[3] for s in solved])

    def _price_year(self, year: YearLP, point: np.ndarray):
        import highspy

        at = point[year.links]
        n_own = len(year.columns)
        if len(at):
            year.highs.changeColsBounds(len(at), np.arange(n_own, n_own + len(at),
                                                           dtype=np.int32), at, at)
        stopped = (highspy.HighsModelStatus.kInterrupt, highspy.HighsModelStatus.kTimeLimit)
        remaining = self.deadline - time.perf_counter()
        if remaining <= 0:
            raise Stopped
        set_time_limit(year.highs, min(remaining, 1e30))
        year.highs.run()
        status = year.highs.getModelStatus()
        if status not in (highspy.HighsModelStatus.kOptimal, *stopped):
            # A warm start can mislead the simplex on badly scaled costs: once from cold.
            year.highs.clearSolver()
            year.highs.run()
            status = year.highs.getModelStatus()
        if status in stopped:
            raise Stopped
        if status != highspy.HighsModelStatus.kOptimal:
            raise YearFailed(f"year {year.year}'s LP: "
                             f"{year.highs.modelStatusToString(status)}")
        solution = year.highs.getSolution()
        return (float(year.highs.getInfo().objective_function_value),
                np.asarray(solution.col_value)[:n_own], np.asarray(solution.row_dual),
                np.asarray(solution.col_dual)[n_own:])

    def full_values(self, priced: Priced) -> np.ndarray:
        values = np.zeros(self.n_cols)
        values[self.master_columns] = priced.point
        for year, own in zip(self.years, priced.values, strict=True):
            values[year.columns] = own
        return values

    def row_duals(self, priced: Priced, n_rows: int) -> np.ndarray:
        """Row duals over the model's rows (0 for the master's)."""
        duals = np.zeros(n_rows)
        for year, row_dual in zip(self.years, priced.row_duals, strict=True):
            duals[year.rows] = row_dual
        return duals

    # -- the master's rows -------------------------------------------------------------
    def master_rows(self, bounds: Bounds) -> tuple[np.ndarray, sp.csr_matrix]:
        """The rows that hold no year column, and their matrix over the master columns."""
        matrix = bounds.matrix.tocsr()
        _, high = self.rows_with_years(matrix)
        rows = np.flatnonzero(high < 0)
        return rows, matrix[rows][:, self.master_columns].tocsr()

    def solve_fixed(self, bounds: Bounds) -> tuple[np.ndarray, Priced] | str:
        """The model of `bounds` with every build fixed (`builds_fixed`), integrality
        ignored: the capital drawn from each stream by a small LP over the master's rows,
        then each year's LP. Returns (values over every column, the pricing), or why
        there is none: the fixed builds cannot be paid for."""
        import highspy

        rows, block = self.master_rows(bounds)
        cols = self.master_columns
        highs = new_highs(self.verbose, self.threads)
        highs.passModel(highs_lp(block, bounds.cost[cols], bounds.col_lower[cols],
                                 bounds.col_upper[cols], bounds.row_lower[rows],
                                 bounds.row_upper[rows]))
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return "the fixed builds cannot be paid for from the capital streams " \
                   f"({highs.modelStatusToString(highs.getModelStatus())})"
        priced = self.price(np.asarray(highs.getSolution().col_value, dtype=float))
        return self.full_values(priced), priced
