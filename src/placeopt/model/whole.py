"""The whole route: the model as one HiGHS MIP (or LP), kept in HiGHS across solves.

The model reaches HiGHS the first time a solve needs it (`highs`), by the engine asked
for (model/matrix.py), and is brought up to date from the `ModelState` before every
solve (`_sync`: only what changed is changed in HiGHS), so a re-solve with one bound
moved keeps HiGHS's warm data. Each answer is checked against the model as it stands
(verify); one that fails is solved again another way: without the start solution, then
without presolve. The objective handed to HiGHS leaves out the cost no decision changes
(`Bounds.constant`), so that HiGHS's relative gap measures the decisions.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .apart import Apart, ChildEnded, ran_record, take
from .highs_lp import new_highs, pass_lp, set_start, set_time_limit
from .matrix import ENGINES, MatrixForm
from .route import Attempt, Limits, SolverSettings
from .state import ModelState
from .verify import check_solution
from .watch import Watch, interrupt_check

# In a race (model/portfolio.py) the whole model's MIP is solved without HiGHS's presolve.
# After MIP presolve, HiGHS's dual simplex can take a hundred times the iterations on the
# root LP, by the seed's chance: mid_100_options's root took 93 s (371,007 iterations)
# where the same LP alone takes 1.3 s, and 2.5 s without presolve. On the family's 31
# raced shapes, by default, without against with: geometric mean 0.90, mid_100_options
# 83.9 -> 22.3 s, issue40_hard 21.8 -> 8.8 s, none slower by more than 1.12 times (seconds;
# benchmarks/RESULTS.md, the ninth version). Alone it is not kept: whole pupils need
# presolve (tiny_integer 1.0 -> 44 s without), and two shapes solved whole lost a
# quarter without it (mid_loose, mid_over_far), where the years route, raced, is the
# faster anyway.
RACE_PRESOLVE = False


class WholeRoute:
    """One HiGHS instance holding the whole model, re-solved with changed bounds."""

    name = "whole"

    def __init__(self, state: ModelState, settings: SolverSettings, engine: str = "direct"):
        self.state, self.settings = state, settings
        self.form: MatrixForm = ENGINES[engine](state.formulation)
        self.build_seconds = self.form.build_seconds
        self.handoff_seconds = 0.0
        self._highs: Any = None
        self._seen: dict[str, np.ndarray] = {}  # the model as HiGHS holds it
        self._watch = Watch()
        self._constant = 0.0
        # In a race, the model is solved in a child process the race can pause anywhere
        # (model/apart.py); the portfolio starts it where a race is to come.
        self.apart: Apart | None = None
        self.ran_apart = False  # the last solve ran in the child process

    @property
    def n_columns(self) -> int:
        return self.form.matrix.shape[1]

    def why_not(self) -> str:
        return ""

    # -- the model in HiGHS ------------------------------------------------------------
    def as_it_stands(self) -> dict[str, Any]:
        """The model as it stands, as HiGHS is given it: the engine's matrix and the rows
        added to the model since (capital rows, cuts), with the bounds in force."""
        import scipy.sparse as sp

        form, state = self.form, self.state
        own = state.n_model_rows
        mapped = form.row_of >= 0
        row_lower, row_upper = form.row_lower.copy(), form.row_upper.copy()
        row_lower[form.row_of[mapped]] = state.row_lower[:own][mapped]
        row_upper[form.row_of[mapped]] = state.row_upper[:own][mapped]
        matrix = form.matrix
        if state.added:
            rows, columns, values = [], [], []
            for i, (flat, coefficients) in enumerate(state.added):
                where = self.highs_columns(flat)
                keep = where >= 0
                rows.append(np.full(int(keep.sum()), i))
                columns.append(where[keep])
                values.append(coefficients[keep])
            extra = sp.csc_matrix((np.concatenate(values),
                                   (np.concatenate(rows), np.concatenate(columns))),
                                  shape=(len(state.added), matrix.shape[1]))
            matrix = sp.vstack([matrix, extra], format="csc")
            row_lower = np.concatenate([row_lower, np.full(len(state.added), -np.inf)])
            row_upper = np.concatenate([row_upper, state.row_upper[own:]])
        return {"matrix": matrix, "cost": form.cost, "offset": form.offset,
                "col_lower": state.col_lower[form.column_of],
                "col_upper": state.col_upper[form.column_of], "row_lower": row_lower,
                "row_upper": row_upper, "integer": state.integer[form.column_of]}

    @property
    def highs(self) -> Any:
        """The whole model in HiGHS, passed over the first time a solve needs it, as the
        model stands then."""
        if self._highs is None:

            started = time.perf_counter()
            settings = self.settings
            highs = new_highs(settings.verbose, settings.threads, settings.highs_options)
            if self.n_columns:
                model = self.as_it_stands()
                pass_lp(highs, model["matrix"], model["cost"], model["col_lower"],
                        model["col_upper"], model["row_lower"], model["row_upper"],
                        model["integer"], model["offset"])
            self._highs = highs
            self._remember()
            highs.cbMipImprovingSolution.subscribe(
                lambda event: self._on_incumbent(event.data_out.objective_function_value,
                                                 event.data_out.mip_gap,
                                                 event.data_out.running_time))
            check = interrupt_check(lambda: self._watch)

            def check_mip(event: Any) -> None:  # posts the gap and bounds, for a race
                data = event.data_out
                self._watch.gap = float(data.mip_gap)
                self._watch.post(float(data.mip_primal_bound) + self._constant,
                                 float(data.mip_dual_bound) + self._constant)
                if np.isfinite(data.mip_dual_bound):  # its root is solved
                    self._watch.bound_known()
                check(event)

            highs.cbMipInterrupt.subscribe(check_mip)
            for event in (highs.cbSimplexInterrupt, highs.cbIpmInterrupt):
                event.subscribe(check)
            self.handoff_seconds += time.perf_counter() - started
        return self._highs

    def _remember(self) -> None:
        """What HiGHS now holds: the model as it stands."""
        state = self.state
        own = state.n_model_rows
        self._seen = {"col_lower": state.col_lower.copy(), "col_upper": state.col_upper.copy(),
                      "integer": state.integer.copy(), "row_lower": state.row_lower[:own].copy(),
                      "row_upper": state.row_upper.copy()}

    def _sync(self) -> None:
        """Bring HiGHS up to date with the model as it stands (only what changed)."""
        import highspy

        highs, state, seen, form = self.highs, self.state, self._seen, self.form
        if not self.n_columns:
            return
        cols = form.column_of
        lower, upper = state.col_lower[cols], state.col_upper[cols]
        changed = np.flatnonzero((lower != seen["col_lower"][cols])
                                 | (upper != seen["col_upper"][cols]))
        if len(changed):
            highs.changeColsBounds(len(changed), changed.astype(np.int32), lower[changed],
                                   upper[changed])
        integer = state.integer[cols]
        flipped = np.flatnonzero(integer != seen["integer"][cols])
        if len(flipped):
            highs.changeColsIntegrality(len(flipped), flipped.astype(np.int32), [
                highspy.HighsVarType.kInteger if integer[j] else highspy.HighsVarType.kContinuous
                for j in flipped])
        own, known = state.n_model_rows, len(seen["row_upper"])
        rows = np.flatnonzero((state.row_lower[:own] != seen["row_lower"])
                              | (state.row_upper[:own] != seen["row_upper"][:own]))
        rows = rows[form.row_of[rows] >= 0]
        if len(rows):
            highs.changeRowsBounds(len(rows), form.row_of[rows].astype(np.int32),
                                   state.row_lower[rows], state.row_upper[rows])
        # Rows added to the model (after the form's own in HiGHS, in the same order).
        first_added = form.matrix.shape[0]
        moved = np.flatnonzero(state.row_upper[own:known] != seen["row_upper"][own:known])
        for i in moved:
            highs.changeRowBounds(int(first_added + i), -np.inf, float(state.row_upper[own + i]))
        for i in range(known - own, len(state.added)):
            flat, values = state.added[i]
            where = self.highs_columns(flat)
            keep = where >= 0
            highs.addRow(-np.inf, float(state.row_upper[own + i]), int(keep.sum()),
                         where[keep].astype(np.int32), values[keep])
        self._remember()

    def highs_columns(self, flat: np.ndarray) -> np.ndarray:
        """HiGHS column of each formulation column; -1 where the engine dropped it."""
        lookup = np.full(self.state.n_columns, -1, dtype=np.int64)
        lookup[self.form.column_of] = np.arange(len(self.form.column_of))
        return lookup[np.asarray(flat, dtype=np.int64)]

    def write_model(self, path: str) -> None:
        self._sync()
        self.highs.writeModel(str(path))

    # -- HiGHS's callbacks (its thread) --------------------------------------------------
    def _on_incumbent(self, objective: float, gap: float, running_time: float) -> None:
        gap_words = f"{100 * gap:.2f}%" if np.isfinite(gap) else "not yet known"
        self._watch.say(f"  incumbent £{objective + self._constant:,.0f}, gap {gap_words}, "
                        f"{running_time:.1f}s")

    # -- solving -----------------------------------------------------------------------
    def solve(self, label: str, start: np.ndarray | None, limits: Limits,
              watch: Watch) -> Attempt:
        """Solve as the model stands; check the answer, and solve again another way if it
        fails: without the start solution, then with presolve the other way (off, or in
        a race on: `RACE_PRESOLVE`)."""
        self._watch = watch
        presolve = not (watch.racing and self.state.integer.any()) or RACE_PRESOLVE
        other = "with presolve on" if not presolve else "with presolve off"
        ways = ([("with the start solution", start, presolve)] if start is not None else []) \
            + [("without a start solution" if start is not None else "as given", None,
                presolve), (other, None, not presolve)]
        tried: list[str] = []
        failures: list[str] = []
        started = time.perf_counter()
        for way, given, presolving in ways:
            tried.append(way)
            attempt = self._solve_once(label, given, limits, presolve=presolving)
            attempt.ways = tuple(tried)
            if attempt.values is None:
                attempt.seconds = time.perf_counter() - started
                return attempt
            attempt.check = check_solution(self.state.bounds(), attempt.values,
                                           attempt.objective, attempt.ways)
            if attempt.check.passed or attempt.status == "interrupted":
                attempt.seconds = time.perf_counter() - started
                return attempt
            failures.append(f"{way}: {attempt.check.reason}")
            watch.say(f"  the {label} from HiGHS {way} failed the check against the model "
                      f"({attempt.check.reason}); solving again")
            if self._highs is not None:
                self._highs.clearSolver()
            if limits.remaining <= 0:
                break
        return Attempt(self.name, "failed", seconds=time.perf_counter() - started,
                       ways=tuple(tried),
                       note=f"every answer HiGHS gave for the {label} failed the "
                            "independent check against the model: " + "; ".join(failures))

    def _solve_once(self, label: str, start: np.ndarray | None, limits: Limits,
                    presolve: bool) -> Attempt:
        if not self.n_columns:  # nothing to decide (e.g. no demand at all)
            return Attempt(self.name, "optimal", 0.0, 0.0, np.zeros(self.state.n_columns))
        # The objective less what no decision can change: the same optimum, and HiGHS's
        # relative gap then measures the decisions (reported with the constant added).
        self._constant = self.state.bounds().constant
        given = None if start is None else start[self.form.column_of]
        self._watch.say(f"Solving the {label} whole...")
        started = time.perf_counter()
        self.ran_apart = self.apart is not None and self._watch.racing
        if self.ran_apart:
            try:
                ran = self._run_apart(given, limits, presolve)
            except ChildEnded as exc:
                if exc.started:  # the other route of the race may still prove it
                    return Attempt(self.name, "failed", note=str(exc),
                                   seconds=time.perf_counter() - started)
                # A child that never came up (it could not start Python or import HiGHS):
                # this and later solves in this process, paced at interrupt checks.
                self._watch.say(f"  {exc}; solving the whole model in this process")
                self.apart, self.ran_apart = None, False
                ran = self._run_here(given, limits, presolve)
        else:
            ran = self._run_here(given, limits, presolve)
        seconds = time.perf_counter() - started
        if ran is None:  # a race's loser, not waited for
            return Attempt(self.name, "interrupted", seconds=seconds,
                           note=f"stopped: the other route proved the {label}")
        return self._outcome(label, seconds, ran)

    def _run_here(self, start: np.ndarray | None, limits: Limits,
                  presolve: bool) -> dict[str, Any]:
        """Run the HiGHS instance this route keeps (warm across solves)."""

        highs = self.highs
        self._sync()
        highs.setOptionValue("mip_rel_gap", float(limits.mip_gap))
        set_time_limit(highs, limits.remaining)
        if start is not None:
            set_start(highs, start)
        if not presolve:
            highs.setOptionValue("presolve", "off")
        highs.changeObjectiveOffset(self.form.offset - self._constant)
        try:
            highs.run()
        finally:
            if not presolve:
                highs.setOptionValue("presolve", "choose")
        return ran_record(highs)

    def _run_apart(self, start: np.ndarray | None, limits: Limits,
                   presolve: bool) -> dict[str, Any] | None:
        """Run the model as it stands in the child process (model/apart.py), which a
        race can pause anywhere; None if the race was lost and the child killed."""
        model = self.as_it_stands()
        matrix = model.pop("matrix")
        settings = self.settings
        options = list(settings.highs_options) + [("mip_rel_gap", float(limits.mip_gap))]
        if not presolve:
            options.append(("presolve", "off"))
        job = {**model, "offset": model["offset"] - self._constant,
               "csc": (matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
                       np.asarray(matrix.data, dtype=float)),
               "start": start, "seconds": limits.remaining, "options": options,
               "verbose": settings.verbose, "threads": settings.threads,
               "constant": self._constant}  # for the parent: what the child leaves out
        apart = self.apart
        try:
            ran = apart.solve(job, self._watch, self._on_incumbent)
        except ChildEnded as exc:
            if exc.started:  # it worked before: a fresh one for the next solve
                self.apart = take()
            raise
        if not apart.alive:  # killed: a lost race; a fresh one for the next
            self.apart = take()
        return ran

    def _outcome(self, label: str, seconds: float, ran: dict[str, Any]) -> Attempt:
        """What a HiGHS run gave (`apart.ran_record`), as an attempt (values
        unchecked)."""
        status = ran["status"]
        has_solution = ran["feasible"]
        if status == "kOptimal":
            state = "optimal"
        elif status == "kModelEmpty":
            state, has_solution = "optimal", True
        elif status in ("kTimeLimit", "kInterrupt", "kIterationLimit", "kSolutionLimit"):
            state = "interrupted" if self._watch.stopped else "time_limit"
        elif status in ("kInfeasible", "kUnboundedOrInfeasible"):
            return Attempt(self.name, "infeasible", seconds=seconds,
                           note=f"HiGHS proved the {label} infeasible")
        else:
            return Attempt(self.name, "failed", seconds=seconds,
                           note=f"HiGHS stopped on the {label} without a plan: "
                                f"{ran['status_text']}")
        if not has_solution:
            return Attempt(self.name, "no_plan" if state != "interrupted" else state,
                           seconds=seconds, note=f"no plan for the {label} before HiGHS "
                                                 f"stopped ({state})")
        values = np.zeros(self.state.n_columns)
        if ran["values"] is not None:
            values[self.form.column_of] = ran["values"]
        objective = ran["objective"] + self._constant
        if self.state.integer.any():
            bound: float | None = ran["mip_dual_bound"] + self._constant
        else:  # a linear programme solved to optimality is its own bound
            bound = objective if state == "optimal" else None
        if bound is not None and not np.isfinite(bound):
            bound = None
        return Attempt(self.name, state, objective, bound, values, seconds)

    def row_duals(self) -> np.ndarray:
        """Row duals of the last LP solved, over the formulation's own rows (0 where the
        engine dropped a row)."""
        duals = np.zeros(self.state.n_model_rows)
        row_dual = np.asarray(self.highs.getSolution().row_dual)
        rows = self.form.row_of >= 0
        duals[rows] = row_dual[self.form.row_of[rows]]
        return duals
