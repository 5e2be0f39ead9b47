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
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .formulation import Formulation, Layout
from .highs_lp import new_highs, pass_lp, set_time_limit
from .verify import Bounds
from .watch import Watch, interrupt_check

BUILDS, FUNDING = -1, -2  # blocks of `column_years` that are not a year
LOWER, BASIC = 0, 1  # HiGHS's basis statuses (HighsBasisStatus kLower, kBasic)
# A year's LP with more columns than this starts from the year before's basis
# (`YearLPs._neighbour_basis`). Cold, such an LP takes seconds (la300, 110,000 arcs: 1.5 s
# a year; a region year, 456,000 columns: 13 s; an England year: minutes), and from its
# neighbour's basis a few per cent of the iterations. Smaller ones solve cold in a
# fraction of a second, and there the saving did not pay for its side effect: the LPs'
# duals are far from unique, the basis a year starts from decides which optimal duals it
# returns, and so the years route's cuts. On the family that sped some shapes and slowed
# others (mid_loose's years route 8.9 s -> 18-21 s).
NEIGHBOUR_COLUMNS = 50_000


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


def identities(formulation: Formulation, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """What each column and each row is about, the year left out (a uint64 each): a
    placement on one arc, a group's unmet pupils, an option open, a provider's places,
    a group's demand... The same in every year, so a year's LP can start from its
    neighbour's basis (`YearLPs._neighbour_basis`). Rows added after the formulation's
    own (`ModelState.add_row`) are each their own."""
    layout = formulation.layout
    blocks = [(layout.x_arc,), (layout.u_group,), (layout.b_option,),
              (np.zeros(len(layout.o_year), dtype=np.int64),), (layout.w_b, layout.w_stream),
              (layout.a_measure,), (layout.q_a, layout.q_stream),
              (layout.v_measure, layout.v_group)]
    columns = np.concatenate([_identity(kind, pd.DataFrame(
        {str(i): np.asarray(part) for i, part in enumerate(parts)}))
        for kind, parts in enumerate(blocks)])
    rows = [_identity(100 + kind, block.labels.drop(columns="year", errors="ignore"))
            for kind, block in enumerate(formulation.rows)]
    extra = np.arange(n_rows - formulation.row_offsets[-1], dtype=np.uint64)
    return columns, np.concatenate(rows + [extra | np.uint64(1 << 63)])


def _identity(kind: int, labels: pd.DataFrame) -> np.ndarray:
    salt = np.uint64((kind + 1) * 0x9E3779B97F4A7C15 % (1 << 64))
    if labels.shape[1] == 0:
        return np.full(len(labels), salt, dtype=np.uint64)
    hashed = pd.util.hash_pandas_object(labels, index=False).to_numpy(np.uint64)
    return hashed ^ salt


def _occurrences(ids: np.ndarray) -> np.ndarray:
    """Keys unique within one year's LP: an identity, and which of its occurrences
    (the option open in this window year and the one before, in a ramp's rows)."""
    n = len(ids)
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    first = np.ones(n, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    run_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    occurrence = np.empty(n, dtype=np.uint64)
    occurrence[order] = (np.arange(n) - run_start).astype(np.uint64)
    with np.errstate(over="ignore"):
        return ids * np.uint64(1_000_003) + occurrence


def _mapped(keys: np.ndarray, donor_keys: np.ndarray, donor_status: np.ndarray,
            default: int) -> np.ndarray:
    """The donor's status of the entry with the same key, for each key (else
    `default`)."""
    out = np.full(len(keys), default, dtype=np.int8)
    if not len(donor_keys) or not len(keys):
        return out
    order = np.argsort(donor_keys)
    at = np.minimum(np.searchsorted(donor_keys[order], keys), len(order) - 1)
    hit = donor_keys[order[at]] == keys
    out[hit] = donor_status[order[at[hit]]]
    return out


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
    # What each of its columns (own, then links) and rows is about, the year left out
    # (`identities`), kept until every year has a basis of its own: its neighbours'
    # bases are mapped onto it by these keys (`_neighbour_basis`).
    col_keys: np.ndarray | None = None
    row_keys: np.ndarray | None = None
    basis: tuple[np.ndarray, np.ndarray] | None = None  # its first optimal basis
    solved: bool = False  # has it a basis of its own (solved once)?


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
                 verbose: bool = False,
                 identity: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None):
        self.threads, self.verbose = threads, verbose
        # What every column and row is about (`identities`), made only if some year's
        # LP is large enough to start from its neighbour's basis; None: never.
        self.identity = identity
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
        self.workers = max(1, min(workers, len(self.years) or 1))
        self.pool = ThreadPoolExecutor(self.workers)
        self._bases = threading.Lock()  # the years' first bases, shared between threads
        self.warm_started = 0  # year LPs first solved from a neighbouring year's basis

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
        made: tuple[np.ndarray, np.ndarray] | None = None  # (`identity`, once made)
        for year in np.unique(self.year_of_column[~self.in_master]):
            columns = np.flatnonzero(self.year_of_column == year)
            rows = np.flatnonzero(high == year)
            links = np.setdiff1d(np.unique(matrix[rows].indices), columns)
            block = sp.hstack([csc[:, columns][rows], csc[:, links][rows]], format="csc")
            cost = np.concatenate([bounds.cost[columns], np.zeros(len(links))])
            lower = np.concatenate([bounds.col_lower[columns], bounds.col_lower[links]])
            upper = np.concatenate([bounds.col_upper[columns], bounds.col_upper[links]])
            highs = new_highs(self.verbose, self.threads)
            pass_lp(highs, block, cost, lower, upper, bounds.row_lower[rows],
                    bounds.row_upper[rows])
            check = interrupt_check(lambda: self.watch)
            for event in (highs.cbSimplexInterrupt, highs.cbIpmInterrupt):
                event.subscribe(check)
            year_lp = YearLP(int(year), columns, rows, position[links], highs)
            if self.identity is not None and block.shape[1] > NEIGHBOUR_COLUMNS:
                made = made or self.identity()
                col_id, row_id = made
                year_lp.col_keys = _occurrences(np.concatenate([col_id[columns],
                                                                col_id[links]]))
                year_lp.row_keys = _occurrences(row_id[rows])
            self.years.append(year_lp)
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
        if all(year.solved or year.col_keys is None for year in self.years):
            solved = list(self.pool.map(lambda year: self._price_year(year, point),
                                        self.years))
        else:
            solved = self._first_pricing(point)
        self.pricing_seconds = time.perf_counter() - started
        return Priced(point, np.array([s[0] for s in solved]), [s[1] for s in solved],
                      [s[2] for s in solved], [s[3] for s in solved])

    def _first_pricing(self, point: np.ndarray) -> list:
        """A pricing in which some year has not been solved yet: the years in as many
        runs of consecutive years as there are workers, each run in order, so that each
        year's first LP starts from the year before it in its run (`_neighbour_basis`).
        Which year gives its basis to which is so fixed in advance, not by which thread
        ends first: the same model gives the same solutions, and cuts, every time."""
        runs = np.array_split(np.arange(len(self.years)), self.workers)

        def run(indices: np.ndarray) -> list:
            return [self._price_year(self.years[i], point,
                                     self.years[i - 1] if i != indices[0] else None)
                    for i in indices]

        return [one for part in self.pool.map(run, [r for r in runs if len(r)])
                for one in part]

    def _price_year(self, year: YearLP, point: np.ndarray, before: YearLP | None = None):
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
        first = not year.solved
        if first and before is not None and before.basis is not None:
            self._neighbour_basis(year, before)
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
        if first:
            self._keep_basis(year)
        solution = year.highs.getSolution()
        return (float(year.highs.getInfo().objective_function_value),
                np.asarray(solution.col_value)[:n_own], np.asarray(solution.row_dual),
                np.asarray(solution.col_dual)[n_own:])

    def _neighbour_basis(self, year: YearLP, before: YearLP) -> None:
        """Start a year's first solve from the optimal basis of the year before it (in
        its run: `_first_pricing`), mapped column by column and row by row onto the same
        placements, groups, providers and limits (`identities`). A year's LP is its
        neighbour's a year on: much the same pupils and places, costs much the same
        discounted, so that basis is close to optimal, and the dual simplex solves from
        it what it would otherwise solve from cold (an England year LP: minutes). What
        has no counterpart starts nonbasic (a column) or basic (a row's slack); HiGHS
        makes the basis whole where the counts do not match (an "alien" basis)."""
        import highspy

        if year.col_keys is None:  # (a small year after a large one)
            return
        col_status, row_status = before.basis
        columns = _mapped(year.col_keys, before.col_keys, col_status, LOWER)
        rows = _mapped(year.row_keys, before.row_keys, row_status, BASIC)
        by_value = {int(status): status
                    for status in highspy.HighsBasisStatus.__members__.values()}
        basis = highspy.HighsBasis()
        basis.col_status = [by_value[v] for v in columns.tolist()]
        basis.row_status = [by_value[v] for v in rows.tolist()]
        basis.valid = True
        basis.alien = int((columns == BASIC).sum() + (rows == BASIC).sum()) != len(rows)
        if year.highs.setBasis(basis) == highspy.HighsStatus.kOk:
            with self._bases:
                self.warm_started += 1

    def _keep_basis(self, year: YearLP) -> None:
        """Keep a year's first optimal basis for its neighbours, until each year has
        one of its own (then neither they nor the keys are needed)."""
        if year.col_keys is None:
            year.solved = True
            return
        basis = year.highs.getBasis()
        kept = (np.fromiter((int(v) for v in basis.col_status), np.int8),
                np.fromiter((int(v) for v in basis.row_status), np.int8))
        with self._bases:
            year.basis, year.solved = kept, True
            if all(other.solved for other in self.years):
                for other in self.years:
                    other.basis = other.col_keys = other.row_keys = None

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
        pass_lp(highs, block, bounds.cost[cols], bounds.col_lower[cols],
                bounds.col_upper[cols], bounds.row_lower[rows], bounds.row_upper[rows])
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return "the fixed builds cannot be paid for from the capital streams " \
                   f"({highs.modelStatusToString(highs.getModelStatus())})"
        priced = self.price(np.asarray(highs.getSolution().col_value, dtype=float))
        return self.full_values(priced), priced
