"""The plan by Benders decomposition over years: the builds in a small master MIP, the
placements in one LP per year.

Given the builds (the option block, and the capital drawn from each funding stream),
every row left lives in one year (model/years.py): the model is a master problem over the
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

The split is found from the matrix (model/years.py): it applies whenever no row holds
placements of two years and placements are continuous (whole pupils make the years
MIPs, whose duals give no valid cut); otherwise the route says why not, and the
portfolio solves the model whole. A one-year model is left to the whole route too: its
one LP is the whole LP, and HiGHS's own branch-and-cut beats cuts at whole points
(OR-Library: 0.1 s against hundreds of rounds).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .formulation import Layout
from .highs_lp import new_highs, pass_lp, set_start, set_time_limit
from .route import Attempt, Limits, SolverSettings, relative_gap
from .state import ModelState
from .verify import FEASIBILITY, INTEGRALITY, Bounds, check_solution
from .watch import Watch
from .years import Priced, Stopped, YearFailed, YearLPs, identities

LP_TOLERANCE = 1e-4  # the LP phase stops when its bound is this close (relative) to its best
# ... or within this share of the gap asked, if that is looser: the LP phase gives the
# master its first cuts and bound, and the MIP phase closes the rest (the family's shapes
# at 0.25-1%: every one faster, la250 20.4 -> 13.4 s; England's five LP rounds end by
# pricing as promised before either tolerance: unchanged; benchmarks/RESULTS.md)
LP_GAP_SHARE = 0.1
LP_ROUNDS = 100
# The LP phase starts no round that would end past this share of the time left when it
# began (the last round's length foretells the next's): the rest is the MIP phase's, to
# find a plan. At national size an LP round takes minutes and the bound's climb slows
# (England, 1,500 s: rounds of 586, 486 and 323 s), so the LP phase used to run to the
# limit and the plan reported was the baseline's. On the family, at 120 s, no LP phase
# took a tenth of the limit, and nothing there changes.
LP_TIME_SHARE = 0.5
SLOW_PRICING = 10.0  # seconds: above this, a master round prices only its last solution
# A gap this small (relative) is rounding, not a plan left to find: asked for a gap of 0,
# the years route stops here (HiGHS's whole MIP stops at its own absolute gap, 1e-6).
# Without it, a master whose answer prices as promised was re-solved, finer each round,
# for 15 rounds that changed nothing.
GAP_FLOOR = 1e-9
# Each round's master gap is never coarser than this share of the gap asked for. Asked
# for the gap itself, the master's bound sat up to that gap below its own plan, so the
# route's gap stalled just above the target for round after round (mid_moves: ten rounds
# from 0.115% to 0.099%, 4.9 s in all; at a quarter, 5 rounds and 1.9 s). On the family
# the years route went from 150 s to 13.5 s (mid_loose), and nowhere lost more than a
# second (benchmarks/RESULTS.md, "the master's own gap").
MASTER_FINE = 0.25
COARSE_FIRST = 0.25  # each round's master gap: this share of the gap still open, at least
# the gap asked (benchmarks/RESULTS.md: what each lever of the years route bought)


class MasterInfeasible(RuntimeError):
    """The master's rows and bounds (the model's own, over the builds) cannot all hold:
    no plan exists. (Cuts only bound each year's cost from below: never the cause.)"""


@dataclass
class Cut:
    """eta_t >= rhs + slope . (links): stored as positions and coefficients of the row
    coefficients . master >= rhs."""

    positions: np.ndarray
    coefficients: np.ndarray
    rhs: float


class BendersRoute:
    """The years route: the model's year LPs (`YearLPs`, made again when the years' own
    bounds change), the cuts found so far (kept while the LPs stand), and one master per
    solve."""

    name = "years"

    def __init__(self, state: ModelState, settings: SolverSettings, workers: int = 1):
        self.state, self.settings, self.workers = state, settings, workers
        self.lps: YearLPs | None = None
        self.cuts: list[Cut] = []
        self.watch = Watch()

    @property
    def layout(self) -> Layout:
        return self.state.formulation.layout

    def year_lps(self, bounds: Bounds | None = None) -> YearLPs:
        """The year LPs for the model as it stands (made again, and the cuts dropped, if
        the years' own bounds changed)."""
        bounds = bounds if bounds is not None else self.state.bounds()
        if self.lps is None or (not self.lps.why_not and not self.lps.fits(bounds)):
            self.lps = YearLPs(bounds, self.layout, self.settings.threads, self.workers,
                               self.settings.verbose,
                               lambda: identities(self.state.formulation,
                                                  len(bounds.row_lower)))
            self.cuts = []
        return self.lps

    def why_not(self) -> str:
        bounds = self.state.bounds()
        if not bounds.integer.any():
            return "the model has no build decision"
        lps = self.year_lps(bounds)
        if lps.why_not:
            return lps.why_not
        if len(lps.years) < 2:
            return "one year: nothing to take apart"
        return ""

    def solve(self, label: str, start: np.ndarray | None, limits: Limits,
              watch: Watch) -> Attempt:
        """The MIP as the model stands, from `start` if it is feasible, by Benders."""
        started = time.perf_counter()
        bounds = self.state.bounds()
        lps = self.year_lps(bounds)
        lps.watch = self.watch = watch
        watch.say(f"Solving the {label} by years...")
        lps.deadline = limits.deadline
        try:
            solve = _Master(self, bounds)
        except MasterInfeasible:
            return Attempt(self.name, "infeasible", seconds=time.perf_counter() - started,
                           note=f"the {label}'s rows over the builds cannot all hold")
        status = "interrupted"
        try:
            if start is not None:  # a plan to report whatever the clock says
                lps.deadline = np.inf
                solve.consider(lps.price(start[lps.master_columns]))
                lps.deadline = limits.deadline
            core = solve.best.point if solve.best is not None else None
            now = time.perf_counter()
            solve.lp_phase(core, limits.deadline,
                           max(LP_TOLERANCE, LP_GAP_SHARE * limits.mip_gap),
                           until=now + LP_TIME_SHARE * (limits.deadline - now))
            status = solve.mip_phase(limits.mip_gap, limits.deadline)
        except Stopped:
            pass
        except MasterInfeasible:
            return Attempt(self.name, "infeasible", seconds=time.perf_counter() - started,
                           note=f"the {label}'s rows over the builds cannot all hold")
        except YearFailed as exc:
            return Attempt(self.name, "failed", seconds=time.perf_counter() - started,
                           note=f"{label} by years: {exc}")
        seconds = time.perf_counter() - started
        if status == "interrupted" and not watch.stopped:
            status = "time_limit"
        if solve.best is None:
            return Attempt(self.name, "no_plan" if status != "interrupted" else status,
                           bound=_finite(solve.lower), seconds=seconds,
                           note=f"no plan for the {label} by years before it stopped")
        values = lps.full_values(solve.best)
        check = check_solution(bounds, values, solve.best_cost, ("by years",))
        bound = _finite(min(solve.lower, solve.best_cost))
        watch.say(f"  {label} by years: {status}, £{solve.best_cost:,.0f}, {seconds:.1f}s "
                  f"({solve.rounds} rounds, {len(self.cuts)} cuts)")
        return Attempt(self.name, status, solve.best_cost, bound, values, seconds,
                       note=f"{solve.rounds} master rounds, {len(self.cuts)} cuts", check=check,
                       ways=("by years",))


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


class _Master:
    """The master of one solve (from the bounds in force and every cut so far), the best
    plan priced and the bound proven."""

    def __init__(self, route: BendersRoute, bounds: Bounds):
        self.route, self.bounds, self.lps = route, bounds, route.year_lps(bounds)
        self.say = route.watch.say
        cols = self.lps.master_columns
        self.n = len(cols)
        n_years = len(self.lps.years)
        self.rows, self.block = self.lps.master_rows(bounds)
        self.constant = bounds.constant
        self.master_cost = bounds.cost[cols]
        matrix = sp.hstack([self.block, sp.csr_matrix((len(self.rows), n_years))],
                           format="csc")
        cost = np.concatenate([self.master_cost, np.ones(n_years)])
        lower = np.concatenate([bounds.col_lower[cols], np.full(n_years, -np.inf)])
        upper = np.concatenate([bounds.col_upper[cols], np.full(n_years, np.inf)])
        self.integer = np.concatenate([bounds.integer[cols], np.zeros(n_years, dtype=bool)])
        # (any other HiGHS option asked for is the master's: it is the route's MIP)
        self.master = route.watch.attach(new_highs(route.settings.verbose,
                                                   route.settings.threads,
                                                   route.settings.highs_options))
        # The objective less the constant (as the whole route does), so that the
        # master's relative gap means what `mip_gap` means.
        pass_lp(self.master, matrix, cost, lower, upper, bounds.row_lower[self.rows],
                bounds.row_upper[self.rows], self.integer, bounds.offset - self.constant)
        for cut in route.cuts:
            self._add_row(cut)
        self.found: list[np.ndarray] = []  # the master's incumbents in this round
        self.master.cbMipImprovingSolution.subscribe(self._on_incumbent)
        self.best: Priced | None = None
        self.rounds = 0  # of the MIP phase
        self.best_cost = np.inf
        self.lower = -np.inf

    def stopped(self) -> bool:
        return self.route.watch.stopped

    def _on_incumbent(self, event: Any) -> None:
        """HiGHS's thread: keep the master's new incumbent, to price after the round."""
        self.found.append(np.array(event.data_out.mip_solution))

    def _add_row(self, cut: Cut) -> None:
        self.master.addRow(cut.rhs, np.inf, len(cut.positions),
                           cut.positions.astype(np.int32), cut.coefficients)

    def cost_of(self, priced: Priced) -> float:
        return float(self.master_cost @ priced.point + priced.costs.sum()
                     + self.bounds.offset)

    def feasible(self, point: np.ndarray, whole: bool = True) -> bool:
        """Does the master point satisfy the master's rows, bounds and (with `whole`)
        integrality? Only then is its price a plan's cost; without integrality, the cost
        of a point of the LP relaxation (a bound on the LP's optimum from above)."""
        cols = self.lps.master_columns
        lower, upper = self.bounds.col_lower[cols], self.bounds.col_upper[cols]
        scale = np.maximum(1.0, np.abs(point))
        if np.any((lower - point > FEASIBILITY * scale) | (point - upper > FEASIBILITY * scale)):
            return False
        integer = self.integer[:self.n]
        if whole and np.any(np.abs(point[integer] - np.round(point[integer])) > INTEGRALITY):
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
        for t, year in enumerate(self.lps.years):
            slope, at = priced.slopes[t], priced.point[year.links]
            rhs = priced.costs[t] - float(slope @ at)
            if master_point is not None:
                promised = master_point[self.n + t]
                owed = rhs + float(slope @ master_point[year.links])
                if promised >= owed - 1e-9 * max(1.0, abs(owed)):
                    continue
            keep = slope != 0
            cut = Cut(np.concatenate([year.links[keep], [self.n + t]]),
                      np.concatenate([-slope[keep], [1.0]]), rhs)
            self.route.cuts.append(cut)
            self._add_row(cut)
            added += 1
        return added

    def gap(self) -> float:
        """The best plan priced against the bound proven, relative as HiGHS measures."""
        return relative_gap(self.best_cost, self.lower, self.constant)

    def _set_integrality(self, integer: bool) -> None:
        import highspy

        cols = np.flatnonzero(self.integer).astype(np.int32)
        if len(cols):
            kind = highspy.HighsVarType.kInteger if integer else \
                highspy.HighsVarType.kContinuous
            self.master.changeColsIntegrality(len(cols), cols, [kind] * len(cols))

    def _run_master(self, deadline: float) -> tuple[np.ndarray, float]:
        import highspy

        set_time_limit(self.master, deadline - time.perf_counter())
        self.master.run()
        status = self.master.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise MasterInfeasible("the master is infeasible")
        solution = np.asarray(self.master.getSolution().col_value, dtype=float)
        return solution, float(self.master.getInfo().objective_function_value) + self.constant

    def lp_phase(self, core: np.ndarray | None, deadline: float,
                 tolerance: float = LP_TOLERANCE, until: float = np.inf) -> None:
        """Tighten the master's LP relaxation with stabilised cuts (in-out): separate at
        a point between the LP's answer and a core point inside the region, move the
        core towards the answers; price the answer itself when that gives no cut. Until
        the LP's bound and the cost of a point of its region are within `tolerance`, or
        the next round would end past `until` (the time left to the MIP phase)."""
        import highspy

        self._set_integrality(False)
        lp_lower, lp_upper, rounds, last = -np.inf, np.inf, 0, 0.0
        try:
            while rounds < LP_ROUNDS and time.perf_counter() < deadline \
                    and not self.stopped():
                began = time.perf_counter()
                if rounds and began + last > until:
                    self.say(f"  Benders LP: stopped after {rounds} "
                             f"round{'s' * (rounds > 1)} (the last took {last:,.1f} s): "
                             f"another would end past {LP_TIME_SHARE:.0%} of its time; "
                             "the rest is the MIP phase's, to find a plan")
                    break
                rounds += 1
                if self.route.cuts or rounds > 1:
                    point, value = self._run_master(deadline)
                    if self.master.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                        break  # stopped: its objective bounds nothing
                    lp_lower = value
                    # proven now: kept even if the clock stops a pricing below
                    self.lower = max(self.lower, lp_lower)
                else:  # no cut yet: the master is unbounded below; price its lower bounds
                    point = np.concatenate([np.nan_to_num(
                        self.bounds.col_lower[self.lps.master_columns], neginf=0.0),
                        np.full(len(self.lps.years), -np.inf)])
                y = point[:self.n]
                core = y if core is None else core
                priced = self.lps.price(0.5 * y + 0.5 * core)
                if self.feasible(priced.point, whole=False):
                    lp_upper = min(lp_upper, self.cost_of(priced))
                if not self.consider(priced, point):
                    priced = self.lps.price(y)
                    lp_upper = min(lp_upper, self.cost_of(priced))
                    if not self.consider(priced, point):
                        break  # the LP's answer priced as it promised: the LP bound
                core = 0.5 * core + 0.5 * y
                last = time.perf_counter() - began
                if self.lps.pricing_seconds > SLOW_PRICING:  # minutes a round: show each
                    self.say(f"  Benders LP round {rounds}: bound £{lp_lower:,.0f}, "
                             f"best point £{lp_upper:,.0f}, {len(self.route.cuts)} cuts")
                # Converged: the LP's bound and the cost of a point of the LP's region
                # (not a plan: it may be fractional) within the tolerance. (Before both
                # are known, inf - -inf is no convergence.)
                if np.isfinite(lp_upper - lp_lower) and lp_upper - lp_lower <= \
                        tolerance * max(1.0, abs(lp_upper - self.constant)):
                    break
        finally:
            self._set_integrality(True)
        self.lower = max(self.lower, lp_lower)
        self.route.watch.post(self.best_cost, self.lower)
        if np.isfinite(lp_lower):
            self.route.watch.bound_known()
        self.say(f"  Benders LP: bound £{lp_lower:,.0f} after {rounds} rounds, "
                 f"{len(self.route.cuts)} cuts")

    def mip_phase(self, mip_gap: float, deadline: float) -> str:
        """Solve the master MIP, price its solutions, add their cuts, until the bound and
        the best plan priced are within `mip_gap`.

        Early rounds need cuts, not proofs: each round asks the master for a gap of
        `COARSE_FIRST` times the gap still open, but never coarser than `MASTER_FINE`
        times `mip_gap`, so that the master's own gap leaves room to prove the plan. A round
        that adds no cut (the master's answer priced as it promised) leaves only the
        master's own gap, which can exceed `mip_gap` only by how the two measure it: the
        master is then asked for a quarter as much, each time."""
        import highspy

        finer, status = 1.0, "optimal"
        mip_gap = max(float(mip_gap), GAP_FLOOR)
        while self.best is None or self.gap() > mip_gap:
            remaining = deadline - time.perf_counter()
            if self.stopped() or remaining <= 0:
                status = "interrupted" if self.stopped() else "time_limit"
                break
            self.rounds += 1
            if self.best is not None:
                set_start(self.master, np.concatenate([self.best.point, self.best.costs]))
            coarse = COARSE_FIRST * self.gap() if self.best is not None else 0.0
            self.master.setOptionValue("mip_rel_gap",
                                       max(MASTER_FINE * mip_gap, coarse) * finer)
            self.found = []
            final, _ = self._run_master(deadline)
            state = self.master.getModelStatus()
            info = self.master.getInfo()
            if np.isfinite(info.mip_dual_bound):
                self.lower = max(self.lower, float(info.mip_dual_bound) + self.constant)
            if info.primal_solution_status == 2:
                self.found.append(final)
            if self.lps.pricing_seconds > SLOW_PRICING:
                # Each pricing takes a while (national size): the round's last solution
                # only, which the master ended on and whose cuts it needs most.
                self.found = self.found[-1:]
            added, seen = 0, set()
            for point in self.found:
                key = np.round(point[:self.n], 6).tobytes()
                if key not in seen:
                    seen.add(key)
                    added += self.consider(self.lps.price(point[:self.n]), point)
            self.route.watch.gap = self.gap()  # for a race to read
            self.route.watch.post(self.best_cost, self.lower)
            shown = "-" if self.best is None else f"£{self.best_cost:,.0f}"
            self.say(f"  Benders round {self.rounds}: plan {shown}, bound £{self.lower:,.0f},"
                     f" gap {100 * self.gap():.3f}%, {len(self.route.cuts)} cuts")
            if state != highspy.HighsModelStatus.kOptimal:
                status = "interrupted" if self.stopped() else "time_limit"
                break
            if not added:
                finer *= 0.25
                if self.gap() <= mip_gap or finer < 1e-9:
                    break
        return status
