"""Solving the model: the baseline, the plan, and the LP for marginal values.

One model (`ModelState`: the formulation with the bounds and rows in force) serves every
solve by changing bounds: the baseline holds every option that is not required shut;
the plan frees them and starts from the baseline's solution (always feasible); the
marginal-value LP fixes the plan's builds and drops integrality, for the capacity duals.
Project values and the capital frontier change a bound or add a row in between.

Each MIP is solved by a route (model/route.py): one HiGHS MIP (`whole`) or Benders over
years (`years`); by default the portfolio races them and keeps the first proof
(model/portfolio.py, docs/decisions/0012). A model whose builds are fixed is solved as
one LP per year (model/years.py). Every answer is checked against the model as built
before it is used (verify), and an infeasible model is explained (diagnose). Ctrl-C
during a solve stops HiGHS at its next interrupt check (model/watch.py): the best plan
found so far is kept, with status "interrupted".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..problems import Interrupted, SolveError
from .diagnose import describe_violation, explain_infeasible
from .formulation import Formulation, baseline_shut
from .highs_lp import new_highs
from .instance import Instance
from .portfolio import Decision, Portfolio
from .route import Limits, SolverSettings
from .state import ModelState
from .verify import Bounds, SolutionCheck, check_solution
from .watch import Progress, Watch
from .years import Stopped, YearFailed, builds_fixed

__all__ = ["CaseSolution", "Progress", "Solved", "Solver", "SolverSettings", "solve",
           "solve_cases"]


@dataclass
class CaseSolution:
    """One solve: the values of every column, how the solve went, which route gave it."""

    status: str  # optimal | time_limit | interrupted
    objective: float
    mip_gap: float | None  # None: stopped before the solver had a bound
    values: np.ndarray
    seconds: float
    bound: float | None = None  # the proven lower bound on the objective
    check: SolutionCheck | None = None  # the independent check (verify)
    route: str = ""  # the route whose answer this is: whole | years | year by year
    decided: str = ""  # why that route, in words
    fallback: str = ""  # a route that failed and the one that took over, in words
    race: dict[str, dict[str, Any]] = field(default_factory=dict)  # each route: its end

    @property
    def gap_pounds(self) -> float | None:
        """Objective minus bound: the most a better plan could still save."""
        return None if self.bound is None else max(0.0, self.objective - self.bound)

    def check_record(self, describe: Callable[[Any], str] | None = None) -> dict[str, Any]:
        """summary.json `solve.check.solves[...]`: the check, and the route that made it."""
        record = self.check.as_dict(describe) if self.check is not None else {}
        record.update(route=self.route, decided=self.decided)
        if self.fallback:
            record["fallback"] = self.fallback
        return record


@dataclass
class Solved:
    baseline: CaseSolution
    plan: CaseSolution
    capacity_duals: np.ndarray  # row duals of the plan's LP, one per capacity row (NaN: none)
    duals_status: str  # "optimal", or why the marginal values are unknown
    build_seconds: float
    handoff_seconds: float
    solve_seconds: float
    variables: int
    constraints: int
    binaries: int
    solver: str = "HiGHS"
    engine: str = "direct"
    solver_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # per solve, as_dict
    routes: dict[str, str] = field(default_factory=dict)  # per solve, the route taken
    races: dict[str, dict[str, Any]] = field(default_factory=dict)  # per solve, each route


class Solver:
    """One model, solved again and again with changed bounds: the model as it stands, the
    routes that solve it and how each solve went."""

    def __init__(self, formulation: Formulation, settings: SolverSettings,
                 progress: Progress | None = None, engine: str = "direct",
                 instance: Instance | None = None):
        self.formulation, self.settings, self.engine = formulation, settings, engine
        self.instance = instance  # to name rows and columns in checks and explanations
        self.progress = progress or (lambda _msg: None)
        self.state = ModelState(formulation)
        self.portfolio = Portfolio(self.state, settings, engine)
        self.watch = Watch()
        probe = new_highs()
        self.version = f"{probe.versionMajor()}.{probe.versionMinor()}.{probe.versionPatch()}"

    @property
    def build_seconds(self) -> float:
        return self.portfolio.whole.build_seconds

    @property
    def handoff_seconds(self) -> float:
        return self.portfolio.whole.handoff_seconds

    @property
    def n_cols(self) -> int:
        return self.portfolio.whole.n_columns

    @property
    def n_rows(self) -> int:
        return self.state.n_rows

    # -- the model as it stands ----------------------------------------------------------
    def bounds(self) -> Bounds:
        return self.state.bounds()

    def set_bounds(self, flat: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        self.state.set_bounds(flat, lower, upper)

    def set_rows_upper(self, rows: np.ndarray, upper: np.ndarray | float) -> None:
        self.state.set_rows_upper(rows, upper)

    def add_row(self, flat: np.ndarray, coefficients: np.ndarray, upper: float) -> int:
        return self.state.add_row(flat, coefficients, upper)

    def set_time_limit(self, seconds: float) -> None:
        """The time limit of every later solve, whatever its route."""
        import dataclasses

        self.settings = dataclasses.replace(self.settings, time_limit=float(seconds))
        self.portfolio.settings = self.settings

    def binaries(self) -> int:
        """Build columns HiGHS holds (the Pyomo engine may drop some)."""
        builds = self.formulation.layout.build_columns
        return int((self.portfolio.whole.highs_columns(builds) >= 0).sum())

    def describe(self, violation) -> str:
        if self.instance is None:
            return f"{violation.kind} {violation.index}"
        return describe_violation(self.instance, self.formulation, violation)

    def write_model(self, path: str) -> None:
        self.portfolio.whole.write_model(path)

    # -- solves ------------------------------------------------------------------------
    def run(self, label: str, start: np.ndarray | None = None) -> CaseSolution:
        """Solve the model as it stands (a MIP, or an LP once integrality is dropped) by
        the route the settings ask for, within the time limit (fallbacks included)."""
        started = time.perf_counter()
        limits = Limits.within(self.settings.mip_gap, self.settings.time_limit)
        decision = self.watch.run(
            lambda: self.portfolio.solve(label, start, limits, self.watch), self.progress)
        return self._solution(label, decision, time.perf_counter() - started)

    def _solution(self, label: str, decision: Decision, seconds: float) -> CaseSolution:
        """The decision as a solution (taking `seconds`, every route and the race
        included), or the error that says why there is none."""
        attempt = decision.attempt
        if attempt.status == "infeasible":
            self._infeasible(label)
        if not attempt.has_plan:
            if attempt.error is not None:
                raise attempt.error
            if self.watch.stopped:
                raise Interrupted(f"interrupted during the {label}, before any plan was "
                                  "found" if attempt.check is None else
                                  f"interrupted during the {label}; the plan found so far "
                                  f"failed the check ({attempt.check.reason})")
            if attempt.check is not None:  # every answer failed the check
                raise SolveError(f"the {label} from HiGHS failed the check against the "
                                 "model every way it was solved", status="error",
                                 explanation=attempt.note)
            raise SolveError(f"no plan for the {label}: {attempt.note or attempt.status}",
                             status="error", explanation=attempt.note)
        status = attempt.status
        if status == "interrupted" and not self.watch.stopped:
            status = "time_limit"
        bound = attempt.bound
        if bound is not None:
            bound = min(bound, attempt.objective)
        # No bound yet (stopped early): the gap is unknown, never reported as 0.
        folded = max(1.0, abs(attempt.objective - self.state.bounds().constant))
        gap = None if bound is None else max(0.0, attempt.objective - bound) / folded
        shown = "unknown" if gap is None else f"{100 * gap:.2f}%"
        self.progress(f"  {label}: {status}, objective £{attempt.objective:,.0f}, gap "
                      f"{shown}, {seconds:.1f}s ({decision.route}: {decision.why})")
        return CaseSolution(status, attempt.objective, gap, attempt.values, seconds,
                            bound=bound, check=attempt.check, route=decision.route,
                            decided=decision.why, fallback=decision.fallback,
                            race=decision.record)

    def _infeasible(self, label: str) -> None:
        """Raise the SolveError that says why no plan exists."""
        explanation = (explain_infeasible(self.instance, self.formulation, self.bounds())
                       if self.instance is not None else "")
        raise SolveError(f"the {label} is infeasible" + (f": {explanation}"
                                                         if explanation else ""),
                         status="infeasible", explanation=explanation)

    def run_fixed_builds(self, label: str) -> CaseSolution | None:
        """The model with every build fixed, as one LP per year (model/years.py), checked
        like any solve; None if the builds are not all fixed, with whole pupils (a MIP),
        or if the years do not solve cleanly (the caller then solves the whole model)."""
        solved = self._by_year(label)
        return None if solved is None else solved[0]

    def _by_year(self, label: str) -> tuple[CaseSolution, np.ndarray] | None:
        """`run_fixed_builds`, with the row duals of the years' LPs (0 for the rows over
        the builds alone)."""
        bounds = self.bounds()
        layout = self.formulation.layout
        years = self.portfolio.years
        if years is None or not builds_fixed(bounds, layout) \
                or bounds.integer[:layout.n_x].any():
            return None
        lps = years.year_lps(bounds)
        if lps.why_not:
            return None
        self.progress(f"Solving the {label}, year by year...")
        started = time.perf_counter()
        lps.watch = self.watch
        lps.deadline = Limits.within(0.0, self.settings.time_limit).deadline
        try:
            fixed = self.watch.run(lambda: lps.solve_fixed(bounds), self.progress)
        except YearFailed as exc:
            fixed = str(exc)
        except Stopped:
            if self.watch.stopped:
                raise Interrupted(f"interrupted during the {label}") from None
            fixed = "stopped by the time limit"
        if isinstance(fixed, str):
            self.progress(f"  {label}: {fixed}; solving it whole")
            return None
        values, priced = fixed
        objective = float(bounds.cost @ values + bounds.offset)
        relaxed = Bounds(bounds.matrix, bounds.row_lower, bounds.row_upper, bounds.col_lower,
                         bounds.col_upper, np.zeros_like(bounds.integer), bounds.cost,
                         bounds.offset)
        check = check_solution(relaxed, values, objective, ("year by year",))
        seconds = time.perf_counter() - started
        if not check.passed:
            self.progress(f"  {label} year by year failed the check ({check.reason}); "
                          "solving it whole")
            return None
        self.progress(f"  {label}: optimal, objective £{objective:,.0f}, {seconds:.1f}s")
        solution = CaseSolution("optimal", objective, 0.0, values, seconds, bound=objective,
                                check=check, route="year by year",
                                decided="every build fixed: one LP per year")
        return solution, lps.row_duals(priced, self.state.n_rows)

    def capacity_duals(self, plan: CaseSolution) -> tuple[np.ndarray, str, CaseSolution | None]:
        """Row duals of the capacity rows of the LP with the plan's builds fixed, the status
        of that LP in words ("optimal" or why the duals are unknown), and its solution.

        The whole LP on the plan's own HiGHS model where the plan was solved whole in
        this process: right after the plan HiGHS solves it several times faster than
        the years apart (Trafford 0.25 s against 1.2 s, LA 0.9 s against 8.0 s;
        benchmarks/RESULTS.md). Else by years (their LPs are warm from the baseline and
        the plan's pricing): a whole model solved in a race's child process left this
        process's copy cold (mid_100_options: 0.4-0.8 s whole, against 0.1 s)."""
        layout = self.formulation.layout
        b = layout.build_columns
        built = np.round(plan.values[b])
        self.set_bounds(b, built, built)
        self.state.relax_integrality()
        rows = self.formulation.block_rows("capacity")
        unknown = np.full(len(rows), np.nan)
        warm = plan.route == "whole" and not self.portfolio.whole.ran_apart
        if not warm and (solved := self._by_year("marginal-value LP")):
            lp, duals = solved
            return duals[rows], "optimal", lp
        try:
            lp = self.run("marginal-value LP")
        except SolveError as exc:
            return unknown, f"not computed: {exc}", None
        if lp.status != "optimal":
            return unknown, f"not computed: the LP stopped ({lp.status})", lp
        return self.portfolio.whole.row_duals()[rows], "optimal", lp


def optional_columns(instance: Instance, layout) -> np.ndarray:
    """The columns the baseline shuts (`formulation.baseline_shut`)."""
    return baseline_shut(instance, layout)


def solve_cases(model: Solver, instance: Instance) -> tuple[CaseSolution, CaseSolution]:
    """The baseline (optional options shut), then the plan starting from it."""
    shut = optional_columns(instance, model.formulation.layout)
    model.set_bounds(shut, np.zeros(len(shut)), np.zeros(len(shut)))
    label = "baseline (do minimum)"
    # With its builds fixed (no committed option with a choice of year) the baseline is
    # one LP per year, which also warms the years' LPs the plan's years route starts from.
    baseline = model.run_fixed_builds(label) or model.run(label)
    model.set_bounds(shut, np.zeros(len(shut)), np.ones(len(shut)))
    plan = model.run("plan", start=baseline.values)
    return baseline, plan


AfterPlan = Callable[["Solver", CaseSolution, CaseSolution], None]


def solve(instance: Instance, formulation: Formulation, settings: SolverSettings,
          progress: Progress | None = None, write_model: str | None = None,
          engine: str = "direct", after_plan: AfterPlan | None = None) -> Solved:
    """Baseline, plan and marginal values, on one HiGHS model, each answer checked.

    `after_plan(model, baseline, plan)` runs between the plan and the marginal-value LP,
    while the model is still the MIP (e.g. `project_values`); it must leave the model's
    bounds as it found them."""
    say = progress or (lambda _msg: None)
    say(f"Building the model: {formulation.layout.n_columns:,} variables, "
        f"{sum(len(r) for r in formulation.rows):,} constraints...")
    model = Solver(formulation, settings, progress, engine, instance=instance)
    if write_model:
        model.write_model(str(write_model))
        say(f"Wrote the model to {write_model}")
    # Ctrl-C from here to the end sets the solves' stop flag, between solves too.
    with model.watch.guard(say):
        baseline, plan = solve_cases(model, instance)
        constraints = model.n_rows  # the model's own rows, not those a later step adds
        if after_plan is not None:
            after_plan(model, baseline, plan)
        started = time.perf_counter()
        if plan.status == "interrupted" or model.watch.stopped:
            # After Ctrl-C (in the plan, or in `after_plan`'s solves) the planner wants out.
            duals = np.full(len(formulation.block_rows("capacity")), np.nan)
            duals_status, lp = "not computed: the plan was interrupted", None
            if plan.status != "interrupted":
                duals_status = "not computed: stopped by the user (Ctrl-C)"
        else:
            duals, duals_status, lp = model.capacity_duals(plan)
    dual_seconds = time.perf_counter() - started
    model.portfolio.close()  # a race's loser on its way to stop; the whole model's child
    solutions = {"baseline": baseline, "plan": plan}
    if lp is not None:
        solutions["marginal_values"] = lp
    return Solved(
        baseline=baseline, plan=plan, capacity_duals=duals, duals_status=duals_status,
        build_seconds=model.build_seconds, handoff_seconds=model.handoff_seconds,
        solve_seconds=baseline.seconds + plan.seconds + dual_seconds,
        variables=model.n_cols, constraints=constraints,
        binaries=model.binaries(),
        solver_version=model.version, engine=engine,
        timings={"baseline": baseline.seconds, "plan": plan.seconds, "duals": dual_seconds},
        checks={name: s.check_record(model.describe) for name, s in solutions.items()
                if s.check is not None},
        routes={name: s.route for name, s in solutions.items()},
        races={name: s.race for name, s in solutions.items() if s.race},
    )
