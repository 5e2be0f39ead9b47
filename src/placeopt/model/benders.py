"""The plan by Benders decomposition over years: the builds in a small master MIP, the
placements in one LP per year.

Given the builds (the option block, and the capital drawn from each funding stream),
every row left lives in one year (`yearly`): the model is a master problem over the
builds plus, for each year t, a transportation-like LP whose optimal cost z_t(y) is a
convex piecewise-linear function of the builds. The master carries one variable eta_t
per year for it and the cuts

    eta_t >= z_t(y*) + d_t . (y - y*)

where y* is a point the year's LP was solved at and d_t the reduced costs of the build
columns in that LP (they sit in it as columns fixed at y*, so their reduced costs are a
subgradient of z_t: by LP duality the dual solution stays feasible for every y). A cut
depends only on the year's own LP, not on the master's rows or bounds, so it stays
valid while the master changes (the baseline's options shut, an option forced in or
out, a capital limit moved) and every solve of the model reuses the cuts of the solves
before. The master is a relaxation of the plan: its proven bound is a lower bound on
the plan's optimum. Every point the master proposes is priced exactly by the year LPs,
so the best of them is a plan with a known cost. The loop stops when the two are within
the gap asked for: an exact method, not a heuristic (Benders 1962; one cut per year,
"multi-cut", as Birge & Louveaux 1988; the stabilised first phase after Ben-Ameur &
Neto 2007, "in-out").

Two phases. First the master's LP relaxation is tightened with cuts at points between
the LP's answer and a point inside the builds' region (stabilisation: plain Kelley
cutting planes zig-zag); this reaches the LP bound of the whole model with a hundred
cuts instead of the whole model's columns. Then the master MIP is solved, each of its
improving solutions priced, cuts added, until the bound and the best plan meet.

The split is found from the matrix (`split_by_year`): it applies whenever no row holds
placements of two years and placements are continuous (whole pupils make the years
MIPs, whose duals give no valid cut); otherwise the caller solves the model whole.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .formulation import Layout
from .highs_lp import highs_lp, new_highs
from .verify import FEASIBILITY, INTEGRALITY, Bounds
from .yearly import column_years

Progress = Callable[[str], None]
LP_TOLERANCE = 1e-4  # the LP phase stops when its bound is this close (relative) to its best
LP_ROUNDS = 100


@dataclass
class YearLP:
    """One year's LP: its own columns, then the master columns its rows hold (fixed)."""

    year: int
    columns: np.ndarray  # formulation columns of the year
    rows: np.ndarray  # formulation rows
    links: np.ndarray  # positions, among the master's columns, of those in its rows
    highs: object


@dataclass
class Priced:
    """A master point priced by the years: each year's cost, solution and cut slope."""

    point: np.ndarray  # master column values
    costs: np.ndarray  # z_t, one per year
    values: list[np.ndarray]  # each year's own column values
    row_duals: list[np.ndarray]  # each year's row duals
    slopes: list[np.ndarray]  # d_t over the year's links


@dataclass
class BendersResult:
    status: str  # optimal | time_limit | interrupted | no_plan
    objective: float
    bound: float
    values: np.ndarray
    rounds: int
    seconds: float


class Benders:
    """The year LPs of one model, its cuts, and the master built afresh for each solve
    from the bounds in force. `split` tells whether the model splits (`None` and why)."""

    def __init__(self, bounds: Bounds, layout: Layout, threads: int = 0,
                 workers: int = 1, on_highs: Callable[[object], None] | None = None):
        self.threads, self.on_highs = threads, on_highs or (lambda _h: None)
        self.n_cols = bounds.matrix.shape[1]
        self.year_of_column = column_years(layout)
        self.in_master = self.year_of_column < 0
        self.master_columns = np.flatnonzero(self.in_master)
        self.years: list[YearLP] = []
        self.why_not = self._split(bounds)
        self.signature = self._signature(bounds) if not self.why_not else b""
        self.pool = ThreadPoolExecutor(max(1, min(workers, len(self.years) or 1)))
        self.cuts: list[tuple[np.ndarray, np.ndarray, float]] = []  # positions, coefs, rhs
        self.stop: Callable[[], bool] = lambda: False

    # -- the split ---------------------------------------------------------------------
    def _rows_with_years(self, matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
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
        if not bounds.integer.any():
            return "the model has no build decision"
        if len(np.unique(self.year_of_column[~self.in_master])) < 2:
            # One year's LP is the whole LP: nothing to take apart, and HiGHS's own
            # branch-and-cut beats cuts at whole points (OR-Library: 0.1 s against
            # hundreds of rounds).
            return "one year: nothing to take apart"
        matrix = bounds.matrix.tocsr()
        low, high = self._rows_with_years(matrix)
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
            highs = new_highs(threads=self.threads)
            highs.passModel(highs_lp(block, cost, lower, upper, bounds.row_lower[rows],
                                     bounds.row_upper[rows]))
            self.on_highs(highs)
            self.years.append(YearLP(int(year), columns, rows, position[links], highs))
        return ""

    def _signature(self, bounds: Bounds) -> bytes:
        """What the year LPs were built from: the years' rows, their bounds and the
        bounds of the years' columns. A solve whose bounds differ there needs new LPs."""
        digest = hashlib.blake2b(digest_size=16)
        _, high = self._rows_with_years(bounds.matrix.tocsr())
        year_rows = np.flatnonzero(high >= 0)
        year_cols = np.flatnonzero(~self.in_master)
        for array in (year_rows, bounds.row_lower[year_rows], bounds.row_upper[year_rows],
                      bounds.col_lower[year_cols], bounds.col_upper[year_cols],
                      bounds.cost[year_cols]):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.digest()

    def fits(self, bounds: Bounds) -> bool:
        """Were the year LPs (and so the cuts) made for these bounds?"""
        return not self.why_not and self._signature(bounds) == self.signature

    # -- pricing -----------------------------------------------------------------------
    def price(self, point: np.ndarray) -> Priced:
        """Solve every year's LP with the master's columns at `point`."""
        solved = list(self.pool.map(lambda year: self._price_year(year, point), self.years))
        return Priced(point, np.array([s[0] for s in solved]), [s[1] for s in solved],
                      [s[2] for s in solved], [s[3] for s in solved])

    def _price_year(self, year: YearLP, point: np.ndarray):
        import highspy

        at = point[year.links]
        n_own = len(year.columns)
        if len(at):
            year.highs.changeColsBounds(len(at), np.arange(n_own, n_own + len(at),
                                                           dtype=np.int32), at, at)
        year.highs.run()
        status = year.highs.getModelStatus()
        if status not in (highspy.HighsModelStatus.kOptimal,
                          highspy.HighsModelStatus.kInterrupt):
            # A warm start can mislead the simplex on badly scaled costs: once from cold.
            year.highs.clearSolver()
            year.highs.run()
            status = year.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInterrupt:
            raise Stopped
        if status != highspy.HighsModelStatus.kOptimal:
            raise BendersFailed(f"year {year.year}'s LP: "
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
        """Row duals over the formulation's rows (0 for the master's)."""
        duals = np.zeros(n_rows)
        for year, row_dual in zip(self.years, priced.row_duals, strict=True):
            duals[year.rows] = row_dual
        return duals

    # -- one solve ---------------------------------------------------------------------
    def solve(self, bounds: Bounds, start: np.ndarray | None, mip_gap: float,
              time_limit: float, say: Progress) -> BendersResult:
        """The MIP of `bounds` (which `fits`), from `start` if it is feasible."""
        started = time.perf_counter()
        solve = _Solve(self, bounds, say)
        deadline = started + time_limit
        status, rounds = "interrupted", 0
        try:
            if start is not None:
                solve.consider(self.price(start[self.master_columns]))
            core = solve.best.point if solve.best is not None else None
            solve.lp_phase(core, deadline)
            status, rounds = solve.mip_phase(mip_gap, deadline)
        except Stopped:
            pass
        if solve.best is None:
            return BendersResult("no_plan", np.nan, solve.lower, np.zeros(self.n_cols),
                                 rounds, time.perf_counter() - started)
        return BendersResult(status, solve.best_cost, min(solve.lower, solve.best_cost),
                             self.full_values(solve.best), rounds,
                             time.perf_counter() - started)


class BendersFailed(RuntimeError):
    """A year LP or the master did not solve: the caller solves the model whole."""


class MasterInfeasible(BendersFailed):
    """The master's rows and bounds (the model's own, over the builds) cannot all hold:
    no plan exists. (Cuts only bound each year's cost from below: never the cause.)"""


class Stopped(Exception):
    """A year LP was interrupted (Ctrl-C): the solve ends with the best plan so far."""


class _Solve:
    """The master of one solve (from the bounds in force and every cut so far), the best
    plan priced and the bound proven."""

    def __init__(self, benders: Benders, bounds: Bounds, say: Progress):

        self.benders, self.bounds, self.say = benders, bounds, say
        cols = benders.master_columns
        self.n = len(cols)
        n_years = len(benders.years)
        matrix = bounds.matrix.tocsr()
        _, high = benders._rows_with_years(matrix)
        rows = np.flatnonzero(high < 0)
        self.rows = rows
        self.block = matrix[rows][:, cols].tocsr()
        self.constant = bounds.constant
        self.master_cost = bounds.cost[cols]
        matrix = sp.hstack([self.block, sp.csr_matrix((len(rows), n_years))], format="csc")
        cost = np.concatenate([self.master_cost, np.ones(n_years)])
        lower = np.concatenate([bounds.col_lower[cols], np.full(n_years, -np.inf)])
        upper = np.concatenate([bounds.col_upper[cols], np.full(n_years, np.inf)])
        self.integer = np.concatenate([bounds.integer[cols], np.zeros(n_years, dtype=bool)])
        self.master = new_highs(threads=benders.threads)
        # The objective less the constant (as `HighsModel._fold_constant`), so that the
        # master's relative gap means what `mip_gap` means.
        self.master.passModel(highs_lp(matrix, cost, lower, upper, bounds.row_lower[rows],
                                       bounds.row_upper[rows], self.integer,
                                       bounds.offset - self.constant))
        benders.on_highs(self.master)
        for positions, coefficients, rhs in benders.cuts:
            self._add_row(positions, coefficients, rhs)
        self.found: list[np.ndarray] = []
        self.master.cbMipImprovingSolution.subscribe(
            lambda event: self.found.append(np.array(event.data_out.mip_solution)))
        self.best: Priced | None = None
        self.best_cost = np.inf
        self.lower = -np.inf

    def _add_row(self, positions: np.ndarray, coefficients: np.ndarray, rhs: float) -> None:
        self.master.addRow(rhs, np.inf, len(positions), positions.astype(np.int32),
                           coefficients)

    def cost_of(self, priced: Priced) -> float:
        return float(self.master_cost @ priced.point + priced.costs.sum()
                     + self.bounds.offset)

    def feasible(self, point: np.ndarray) -> bool:
        """Does the master point satisfy the master's rows, bounds and integrality? (Only
        then is its price a plan's cost.)"""
        cols = self.benders.master_columns
        lower, upper = self.bounds.col_lower[cols], self.bounds.col_upper[cols]
        scale = np.maximum(1.0, np.abs(point))
        if np.any((lower - point > FEASIBILITY * scale) | (point - upper > FEASIBILITY * scale)):
            return False
        whole = self.integer[:self.n]
        if np.any(np.abs(point[whole] - np.round(point[whole])) > INTEGRALITY):
            return False
        activity = self.block @ point
        scale = np.maximum(1.0, abs(self.block) @ np.abs(point))
        return not np.any((self.bounds.row_lower[self.rows] - activity > FEASIBILITY * scale)
                          | (activity - self.bounds.row_upper[self.rows] > FEASIBILITY * scale))

    def consider(self, priced: Priced, master_point: np.ndarray | None = None) -> int:
        """Keep the priced point if it is the best plan so far, and add its cuts (those
        the master point given, etas appended, violates; all if none given)."""
        if self.feasible(priced.point):
            cost = self.cost_of(priced)
            if cost < self.best_cost:
                self.best, self.best_cost = priced, cost
        added = 0
        for t, year in enumerate(self.benders.years):
            slope, at = priced.slopes[t], priced.point[year.links]
            rhs = priced.costs[t] - float(slope @ at)
            if master_point is not None:
                promised = master_point[self.n + t]
                owed = rhs + float(slope @ master_point[year.links])
                if promised >= owed - 1e-9 * max(1.0, abs(owed)):
                    continue
            keep = slope != 0
            positions = np.concatenate([year.links[keep], [self.n + t]])
            coefficients = np.concatenate([-slope[keep], [1.0]])
            self.benders.cuts.append((positions, coefficients, rhs))
            self._add_row(positions, coefficients, rhs)
            added += 1
        return added

    def gap(self) -> float:
        """Relative gap as HiGHS measures it, on the objective less the constant."""
        return max(0.0, self.best_cost - self.lower) / max(1.0, abs(self.best_cost
                                                                    - self.constant))

    def _set_integrality(self, integer: bool) -> None:
        import highspy

        cols = np.flatnonzero(self.integer).astype(np.int32)
        if len(cols):
            kind = highspy.HighsVarType.kInteger if integer else \
                highspy.HighsVarType.kContinuous
            self.master.changeColsIntegrality(len(cols), cols, [kind] * len(cols))

    def _run_master(self) -> tuple[np.ndarray, float]:
        import highspy

        self.master.run()
        status = self.master.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise MasterInfeasible("the master is infeasible")
        solution = np.asarray(self.master.getSolution().col_value, dtype=float)
        return solution, float(self.master.getInfo().objective_function_value) + self.constant

    def lp_phase(self, core: np.ndarray | None, deadline: float) -> None:
        """Tighten the master's LP relaxation with stabilised cuts (in-out): separate at
        a point between the LP's answer and a core point inside the region, move the
        core towards the answers; price the answer itself when that gives no cut."""
        import highspy

        self._set_integrality(False)
        lp_lower, lp_upper, rounds = -np.inf, np.inf, 0
        try:
            while rounds < LP_ROUNDS and time.perf_counter() < deadline \
                    and not self.benders.stop():
                rounds += 1
                if self.benders.cuts or rounds > 1:
                    point, lp_lower = self._run_master()
                    if self.master.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                        break
                else:  # no cut yet: the master is unbounded below; price its lower bounds
                    point = np.concatenate([np.nan_to_num(
                        self.bounds.col_lower[self.benders.master_columns], neginf=0.0),
                        np.full(len(self.benders.years), -np.inf)])
                y = point[:self.n]
                core = y if core is None else core
                priced = self.benders.price(0.5 * y + 0.5 * core)
                if self.feasible(priced.point):
                    lp_upper = min(lp_upper, self.cost_of(priced))
                if not self.consider(priced, point):
                    priced = self.benders.price(y)
                    lp_upper = min(lp_upper, self.cost_of(priced))
                    if not self.consider(priced, point):
                        break  # the LP's answer priced as it promised: the LP bound
                core = 0.5 * core + 0.5 * y
                if max(0.0, lp_upper - lp_lower) <= LP_TOLERANCE * max(
                        1.0, abs(lp_upper - self.constant)):
                    break
        finally:
            self._set_integrality(True)
        self.lower = max(self.lower, lp_lower)
        self.say(f"  Benders LP: bound £{lp_lower:,.0f} after {rounds} rounds, "
                 f"{len(self.benders.cuts)} cuts")

    def mip_phase(self, mip_gap: float, deadline: float) -> tuple[str, int]:
        """Solve the master MIP, price its solutions, add their cuts, until the bound and
        the best plan priced are within `mip_gap`."""
        import highspy

        master_gap = float(mip_gap)
        self.master.setOptionValue("mip_rel_gap", master_gap)
        rounds, status = 0, "optimal"
        while self.best is None or self.gap() > mip_gap:
            remaining = deadline - time.perf_counter()
            if self.benders.stop() or remaining <= 0:
                status = "interrupted" if self.benders.stop() else "time_limit"
                break
            rounds += 1
            self.master.setOptionValue("time_limit", float(remaining))
            if self.best is not None:
                start = highspy.HighsSolution()
                start.col_value = list(np.concatenate([self.best.point, self.best.costs]))
                start.value_valid = True
                self.master.setSolution(start)
            self.found = []
            final, _ = self._run_master()
            state = self.master.getModelStatus()
            info = self.master.getInfo()
            if np.isfinite(info.mip_dual_bound):
                self.lower = max(self.lower, float(info.mip_dual_bound) + self.constant)
            if info.primal_solution_status == 2:
                self.found.append(final)
            added, seen = 0, set()
            for point in self.found:
                key = np.round(point[:self.n], 6).tobytes()
                if key not in seen:
                    seen.add(key)
                    added += self.consider(self.benders.price(point[:self.n]), point)
            shown = "-" if self.best is None else f"£{self.best_cost:,.0f}"
            self.say(f"  Benders round {rounds}: plan {shown}, bound £{self.lower:,.0f}, "
                     f"gap {100 * self.gap():.3f}%, {len(self.benders.cuts)} cuts")
            if state != highspy.HighsModelStatus.kOptimal:
                status = "interrupted" if self.benders.stop() else "time_limit"
                break
            if not added:  # the master's answer priced as it promised: nothing to cut,
                # so the gap is the master's own; it can exceed `mip_gap` only by how the
                # two measure it: ask the master for less.
                master_gap *= 0.25
                if self.gap() <= mip_gap or master_gap < 1e-9:
                    break
                self.master.setOptionValue("mip_rel_gap", master_gap)
        return status, rounds
