"""Solving the model with HiGHS: the baseline, the plan, and the LP for marginal values.

Two engines load the formulation into HiGHS (docs/decisions/0002-solver-handoff.md):
`direct` stacks its sparse row blocks into one matrix and passes it with
`highspy.Highs.passModel` (the default: well under a second at LA scale); `pyomo` writes
it as a Pyomo model and compiles that with Pyomo's standard-form compiler (about 15 s at
LA scale; the tests check both give the same plans). One model then serves three solves
by changing column bounds only:
1. the baseline: every option that is not required is held shut;
2. the plan: options free, starting from the baseline's solution (always feasible);
3. the plan's LP: builds fixed, integrality dropped, for the capacity duals.

Two routes solve it (`SolverSettings.route`, docs/decisions/0011): `years` (the
default) takes the model apart into a master MIP over the builds and one LP per year,
joined by Benders cuts (`benders`), and falls back to the whole model where it does not
split (whole-number placements, no option) or a year's LP or the master fails; `whole`
hands the whole model to HiGHS as one MIP. The whole HiGHS model is only passed to
HiGHS when a solve needs it.

Every solution is checked against the model as built before it is used (`verify`); one
that fails is solved again another way (without the start solution, then without
presolve), and reported as an error if it still fails. An infeasible model is explained
(`diagnose`). Ctrl-C during a solve stops HiGHS at its next interrupt check (seconds in
the search, longer at the root: docs/model.md): the best plan found so far is kept, with
status "interrupted".
"""

from __future__ import annotations

import dataclasses
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..problems import Interrupted, SolveError
from .benders import Benders, BendersFailed, MasterInfeasible, Stopped
from .diagnose import describe_violation, explain_infeasible
from .formulation import Formulation, baseline_shut, to_pyomo
from .highs_lp import highs_lp, new_highs
from .instance import Instance
from .verify import Bounds, SolutionCheck, check_solution
from .yearly import builds_fixed, solve_by_year

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SolverSettings:
    mip_gap: float = 1e-3
    time_limit: float = 600.0
    threads: int = 0
    verbose: bool = False  # the solver's own log on the terminal
    highs_options: tuple[tuple[str, Any], ...] = ()  # any other HiGHS option, by name
    route: str = "years"  # "years": Benders over years where the model splits; "whole"


@dataclass
class CaseSolution:
    """One solve: the values of every column, and how the solve went."""

    status: str  # optimal | time_limit | interrupted
    objective: float
    mip_gap: float | None  # None: stopped before the solver had a bound
    values: np.ndarray
    seconds: float
    bound: float | None = None  # the solver's proven lower bound on the objective
    check: SolutionCheck | None = None  # the independent check (verify)

    @property
    def gap_pounds(self) -> float | None:
        """Objective minus bound: the most a better plan could still save."""
        return None if self.bound is None else max(0.0, self.objective - self.bound)


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


@dataclass(frozen=True)
class MatrixForm:
    """The model as HiGHS takes it, with the way back to the formulation's columns."""

    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    column_of: np.ndarray  # formulation column of each HiGHS column
    capacity_rows: np.ndarray  # HiGHS row of each capacity row of the formulation (-1: none)
    build_seconds: float
    row_of: np.ndarray  # HiGHS row of each (stacked) formulation row (-1: none)


def direct_matrix(formulation: Formulation) -> MatrixForm:
    """Stack the formulation's row blocks straight into one CSC matrix."""
    started = time.perf_counter()
    columns = formulation.columns
    matrix, row_lower, row_upper = formulation.stacked()
    offsets = formulation.row_offsets
    capacity = next((np.arange(offsets[i], offsets[i + 1])
                     for i, b in enumerate(formulation.rows) if b.name == "capacity"),
                    np.zeros(0, dtype=np.int64))
    return MatrixForm(
        cost=columns.cost, offset=0.0, col_lower=columns.lower, col_upper=columns.upper,
        integer=columns.integer, matrix=matrix.tocsc(), row_lower=row_lower,
        row_upper=row_upper, column_of=np.arange(formulation.layout.n_columns),
        capacity_rows=capacity, build_seconds=time.perf_counter() - started,
        row_of=np.arange(len(row_lower)))


def pyomo_matrix(formulation: Formulation) -> MatrixForm:
    """Write the formulation as a Pyomo model, then compile that with Pyomo's
    standard-form compiler: slower, but checks the model as Pyomo sees it."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    started = time.perf_counter()
    model = to_pyomo(formulation)
    info = LinearStandardFormCompiler().write(model, mixed_form=True,
                                              column_order=model._flat_columns)
    position = {id(v): j for j, v in enumerate(model._flat_columns)}
    column_of = np.fromiter((position[id(v)] for v in info.columns), dtype=np.int64,
                            count=len(info.columns))
    where = {id(entry.constraint): r for r, entry in enumerate(info.rows)}
    component = getattr(model, "capacity", None)
    capacity = np.array([where.get(id(component[i]), -1) for i in range(len(component))]
                        if component is not None else [], dtype=np.int64)
    bound_type = np.array([r.bound_type for r in info.rows], dtype=int)
    rhs = np.asarray(info.rhs, dtype=float)
    return MatrixForm(
        cost=np.asarray(info.c.toarray()).ravel() if len(column_of) else np.zeros(0),
        offset=float(np.sum(info.c_offset)) if len(info.c_offset) else 0.0,
        col_lower=np.array([v.lb if v.lb is not None else -np.inf for v in info.columns]),
        col_upper=np.array([v.ub if v.ub is not None else np.inf for v in info.columns]),
        integer=np.array([v.is_integer() for v in info.columns], dtype=bool),
        matrix=info.A.tocsc(),
        # Pyomo's mixed form: bound_type 0 is '=', 1 is '<=', -1 is '>=' (rhs either way).
        row_lower=np.where(bound_type <= 0, rhs, -np.inf),
        row_upper=np.where(bound_type >= 0, rhs, np.inf),
        column_of=column_of, capacity_rows=capacity,
        build_seconds=time.perf_counter() - started,
        row_of=np.array([where.get(id(getattr(model, block.name)[i]), -1)
                         for block in formulation.rows for i in range(len(block))],
                        dtype=np.int64))


ENGINES = {"direct": direct_matrix, "pyomo": pyomo_matrix}


class HighsModel:
    """One HiGHS model of a formulation, re-solved with changed bounds.

    It keeps, in the formulation's own columns, the bounds and rows in force, so that
    every solution can be checked against the model as it was solved.
    """

    def __init__(self, formulation: Formulation, settings: SolverSettings,
                 progress: Progress | None = None, engine: str = "direct",
                 instance: Instance | None = None):
        self.formulation = formulation
        self.settings = settings
        self.instance = instance  # to name rows and columns in checks and explanations
        self.progress = progress or (lambda _msg: None)
        self._form = ENGINES[engine](formulation)
        self.build_seconds = self._form.build_seconds
        self.column_of, self.capacity_rows = self._form.column_of, self._form.capacity_rows
        self.row_of = self._form.row_of
        self.n_cols, self.n_rows = self._form.matrix.shape[1], self._form.matrix.shape[0]
        columns = formulation.columns
        self._matrix, self._row_lower, self._row_upper = formulation.stacked()
        self._col_lower, self._col_upper = columns.lower.copy(), columns.upper.copy()
        self._integer = columns.integer.copy()
        self._extra: list[tuple[np.ndarray, np.ndarray, float]] = []  # cols, values, upper
        # The years route builds from the formulation's own rows: with the Pyomo engine,
        # whose point is to solve the model as Pyomo writes it, the whole model it is.
        self.route = settings.route if engine == "direct" else "whole"
        self._benders: Benders | None = None
        self._highs: Any = None
        self.handoff_seconds = 0.0
        # HiGHS calls back from its own thread (`_run_interruptibly`): the callbacks only
        # set or queue; `progress` is called from the thread that asked for the solve.
        self._queued: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stop = False
        self._offset, self._constant = self._form.offset, 0.0
        probe = new_highs()
        self.version = f"{probe.versionMajor()}.{probe.versionMinor()}." \
                       f"{probe.versionPatch()}"
        if self.route == "whole":
            self.highs  # noqa: B018 - hand the model over now, as the route says

    @property
    def highs(self) -> Any:
        """The whole model in HiGHS, passed over the first time a solve needs it, with the
        bounds, rows and integrality in force then."""
        if self._highs is None:
            import highspy

            started = time.perf_counter()
            settings, form = self.settings, self._form
            rows = self.row_of >= 0
            row_lower, row_upper = form.row_lower.copy(), form.row_upper.copy()
            row_lower[self.row_of[rows]] = self._row_lower[rows]
            row_upper[self.row_of[rows]] = self._row_upper[rows]
            lp = highs_lp(form.matrix, form.cost, self._col_lower[self.column_of],
                          self._col_upper[self.column_of], row_lower, row_upper,
                          self._integer[self.column_of], form.offset)
            highs = new_highs(settings.verbose, settings.threads)
            highs.setOptionValue("mip_rel_gap", float(settings.mip_gap))
            highs.setOptionValue("time_limit", float(settings.time_limit))
            for name, value in settings.highs_options:
                if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
                    raise ValueError(f"HiGHS refused option {name}={value!r}")
            if self.n_cols:
                highs.passModel(lp)
            self._highs = highs
            for flat, values, upper in self._extra:
                self._add_to_highs(flat, values, upper)
            highs.cbMipImprovingSolution.subscribe(self._on_incumbent)
            self._watch(highs)
            self.handoff_seconds += time.perf_counter() - started
        return self._highs

    def set_time_limit(self, seconds: float) -> None:
        """The time limit of every later solve, by either route."""
        self.settings = dataclasses.replace(self.settings, time_limit=float(seconds))
        if self._highs is not None:
            self._highs.setOptionValue("time_limit", float(seconds))

    def _watch(self, highs: Any) -> None:
        """Let Ctrl-C stop this HiGHS instance at its next interrupt check."""
        for event in (highs.cbMipInterrupt, highs.cbSimplexInterrupt, highs.cbIpmInterrupt):
            event.subscribe(self._on_interrupt_check)

    def _on_incumbent(self, event) -> None:
        """HiGHS's thread: queue the line for the solving thread (`_say_queued`)."""
        data = event.data_out
        gap = f"{100 * data.mip_gap:.2f}%" if np.isfinite(data.mip_gap) else "not yet known"
        self._queued.put(f"  incumbent £{data.objective_function_value + self._constant:,.0f}, "
                         f"gap {gap}, {data.running_time:.1f}s")

    def _say_queued(self) -> None:
        while not self._queued.empty():
            self.progress(self._queued.get())

    def _fold_constant(self) -> None:
        """Hand HiGHS the objective less what no decision can change: the cost of every
        column at its lower bound (pupils who must stay, committed options). The optimum
        is the same; HiGHS's relative gap, and so `mip_gap`, then measures the decisions
        rather than the whole cost. Objectives and bounds are reported with it added back.
        """
        self._constant = self.bounds().constant
        self.highs.changeObjectiveOffset(self._offset - self._constant)

    @property
    def stopped(self) -> bool:
        """Was the last solve stopped by Ctrl-C?"""
        return self._stop

    def _on_interrupt_check(self, event) -> None:
        if self._stop:
            event.interrupt()

    def _run_interruptibly(self, work: Callable[[], Any] | None = None) -> Any:
        """Run HiGHS (or `work`, whose HiGHS instances are `_watch`ed) so that Ctrl-C
        stops it at HiGHS's next interrupt check; returns what `work` returns.

        HiGHS runs in a worker thread while this thread waits in short steps, so Python
        handles SIGINT at once; the flag it sets is read by HiGHS's interrupt callbacks,
        which stop the solve where it stands and keep the best plan found. (HiGHS has no
        interrupt check inside presolve, and none inside a root cut round: there Ctrl-C
        waits for the step to end.) A second Ctrl-C abandons the solve. Where SIGINT is
        ignored (a background job) it stays so.

        HiGHS's callbacks run in its thread; the progress lines they queue are passed on
        here, in the caller's thread, so a progress function need not be thread-safe
        (a Dask worker's `log_event` must be called from the task's own thread). If it
        raises, the solve is stopped and the error passed on.
        """
        self._stop = False
        failure: list[BaseException] = []
        result: list[Any] = []
        work = work or self.highs.run

        def solve() -> None:
            try:
                result.append(work())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                failure.append(exc)

        def stop(_signum: int = 0, _frame: object = None) -> None:
            if self._stop:  # the second Ctrl-C: abandon the solve (the thread dies with us)
                raise Interrupted("abandoned during the solve")
            self._stop = True
            self.progress("Stopping at the solver's next check (Ctrl-C again to abandon)...")

        previous = None
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN):
            previous = signal.signal(signal.SIGINT, stop)
        worker = threading.Thread(target=solve, name="highs", daemon=True)
        try:
            worker.start()
            while worker.is_alive():
                try:
                    worker.join(timeout=0.1)
                    self._say_queued()
                except Interrupted:
                    raise
                except KeyboardInterrupt:  # a handler other than ours raised it
                    stop()
                except BaseException:  # the progress function failed: stop, then say so
                    self._stop = True
                    worker.join()
                    raise
            self._say_queued()
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if failure:
            raise failure[0]
        return result[0] if result else None

    def columns(self, flat: np.ndarray) -> np.ndarray:
        """Highs column indices of the given flat (model) columns; -1 where dropped."""
        lookup = np.full(self.formulation.layout.n_columns, -1, dtype=np.int64)
        lookup[self.column_of] = np.arange(len(self.column_of))
        return lookup[flat]

    def set_bounds(self, flat: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        flat = np.asarray(flat, dtype=np.int64)
        self._col_lower[flat] = lower
        self._col_upper[flat] = upper
        cols = self.columns(flat)
        keep = cols >= 0
        if keep.any() and self._highs is not None:
            self.highs.changeColsBounds(int(keep.sum()), cols[keep].astype(np.int32),
                                        np.asarray(lower, float)[keep],
                                        np.asarray(upper, float)[keep])

    def set_rows_upper(self, rows: np.ndarray, upper: np.ndarray) -> None:
        """Change the upper bounds of formulation rows (stacked indices) that have no
        lower bound (e.g. capital rows), in HiGHS and in what solutions are checked
        against."""
        rows = np.asarray(rows, dtype=np.int64)
        upper = np.broadcast_to(np.asarray(upper, dtype=float), rows.shape)
        self._row_upper[rows] = upper
        highs_rows = self.row_of[rows]
        keep = highs_rows >= 0
        if keep.any() and self._highs is not None:
            self.highs.changeRowsBounds(int(keep.sum()), highs_rows[keep].astype(np.int32),
                                        np.full(int(keep.sum()), -np.inf), upper[keep])

    def bounds(self) -> Bounds:
        """The model as it stands: what the next solution is checked against."""
        matrix, lower, upper = self._matrix, self._row_lower, self._row_upper
        if self._extra:
            n = self.formulation.layout.n_columns
            extra = sp.csr_matrix((np.concatenate([v for _, v, _ in self._extra]),
                                   (np.repeat(np.arange(len(self._extra)),
                                              [len(c) for c, _, _ in self._extra]),
                                    np.concatenate([c for c, _, _ in self._extra]))),
                                  shape=(len(self._extra), n))
            matrix = sp.vstack([matrix, extra], format="csr")
            lower = np.concatenate([lower, np.full(len(self._extra), -np.inf)])
            upper = np.concatenate([upper, [u for _, _, u in self._extra]])
        return Bounds(matrix, lower, upper, self._col_lower, self._col_upper, self._integer,
                      self.formulation.columns.cost)

    def run(self, label: str, start: np.ndarray | None = None) -> CaseSolution:
        """Solve by the route asked for (`by_years`) where the model splits, else whole;
        check the answer against the model, and solve again another way if it fails:
        whole, without the start solution, then without presolve."""
        if (solution := self.by_years(label, start)) is not None:
            return solution
        ways = ([("with the start solution", start)] if start is not None else []) + [
            ("without a start solution" if start is not None else "as given", None),
            ("with presolve off", None)]
        attempts: list[str] = []
        failures: list[str] = []
        for way, given in ways:
            attempts.append(way)
            solution = self._solve_once(label, given, presolve=way != "with presolve off")
            check = check_solution(self.bounds(), solution.values, solution.objective,
                                   tuple(attempts))
            solution.check = check
            if check.passed:
                return solution
            if solution.status == "interrupted":  # the planner asked to stop: don't go on
                raise Interrupted(f"interrupted during the {label}; the plan found so far "
                                  f"failed the check ({check.reason})")
            failures.append(f"{way}: {check.reason}")
            self.progress(f"  the {label} from HiGHS {way} failed the check against the "
                          f"model ({check.reason}); solving again")
            self.highs.clearSolver()
        raise SolveError(f"the {label} from HiGHS failed the check against the model every "
                         "way it was solved", status="error",
                         explanation=f"every answer HiGHS gave for the {label} failed the "
                         "independent check against the model: " + "; ".join(failures))

    def benders(self, bounds: Bounds) -> Benders | None:
        """The years route's Benders engine for `bounds`, the bounds in force (made again
        if the years' own bounds changed), or None where the route is whole or the model
        does not split."""
        if self.route != "years" or not self._integer.any():
            return None
        if self._benders is None or not self._benders.fits(bounds):
            if self._benders is not None and self._benders.why_not:
                return None
            workers = self.settings.threads or os.cpu_count() or 1
            self._benders = Benders(bounds, self.formulation.layout, self.settings.threads,
                                    workers, on_highs=self._watch)
            if self._benders.why_not:
                self.progress(f"  (solving the model whole: {self._benders.why_not})")
                return None
        return self._benders

    def by_years(self, label: str, start: np.ndarray | None = None) -> CaseSolution | None:
        """The MIP by Benders over years (`benders`), checked against the model; None if
        the model does not split, or the route fails (the caller solves it whole)."""
        bounds = self.bounds()
        benders = self.benders(bounds)
        if benders is None:
            return None
        benders.stop = lambda: self._stop
        self.progress(f"Solving the {label} by years...")
        try:
            result = self._run_interruptibly(lambda: benders.solve(
                bounds, start, self.settings.mip_gap, self.settings.time_limit,
                self._queued.put))
        except MasterInfeasible:  # the master's rows are the model's: no plan exists
            self._infeasible(label)
        except BendersFailed as exc:
            return self._whole_from_now(f"{label} by years: {exc}")
        if result.status == "no_plan":
            if self._stop:
                raise Interrupted(f"interrupted during the {label}, before any plan was found")
            return self._whole_from_now(f"{label} by years: no plan within the time limit")
        check = check_solution(bounds, result.values, result.objective, ("by years",))
        if not check.passed:
            return self._whole_from_now(f"the {label} by years failed the check against "
                                        f"the model ({check.reason})")
        state = "interrupted" if result.status == "interrupted" and self._stop \
            else result.status
        folded = max(1.0, abs(result.objective - bounds.constant))
        bound = result.bound if np.isfinite(result.bound) else None
        # No bound yet (stopped before the LP phase ended): the gap is unknown, never 0.
        gap = None if bound is None else max(0.0, result.objective - bound) / folded
        shown = "unknown" if gap is None else f"{100 * gap:.2f}%"
        self.progress(f"  {label}: {state}, objective £{result.objective:,.0f}, gap "
                      f"{shown}, {result.seconds:.1f}s ({result.rounds} rounds, "
                      f"{len(benders.cuts)} cuts)")
        return CaseSolution(state, result.objective, gap, result.values, result.seconds,
                            bound=bound, check=check)

    def _infeasible(self, label: str) -> None:
        """Raise the SolveError that says why no plan exists."""
        explanation = (explain_infeasible(self.instance, self.formulation, self.bounds())
                       if self.instance is not None else "")
        raise SolveError(f"the {label} is infeasible" + (f": {explanation}"
                                                         if explanation else ""),
                         status="infeasible", explanation=explanation)

    def _whole_from_now(self, why: str) -> None:
        """The years route failed: say so, and solve this and every later solve whole."""
        self.progress(f"  {why}; solving it whole")
        self.route = "whole"

    def _solve_once(self, label: str, start: np.ndarray | None, presolve: bool
                    ) -> CaseSolution:
        import highspy

        if not self.n_cols:  # nothing to decide (e.g. no demand at all)
            return CaseSolution("optimal", 0.0, 0.0, np.zeros(0), 0.0, bound=0.0)
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = list(start[self.column_of])
            solution.value_valid = True
            self.highs.setSolution(solution)
        if not presolve:
            self.highs.setOptionValue("presolve", "off")
        started = time.perf_counter()
        self._fold_constant()
        self.progress(f"Solving the {label}...")
        try:
            self._run_interruptibly()
        finally:
            if not presolve:
                self.highs.setOptionValue("presolve", "choose")
        seconds = time.perf_counter() - started
        status = self.highs.getModelStatus()
        info = self.highs.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        stopped = (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt,
                   highspy.HighsModelStatus.kIterationLimit,
                   highspy.HighsModelStatus.kSolutionLimit)
        if status == highspy.HighsModelStatus.kOptimal:
            state = "optimal"
        elif status == highspy.HighsModelStatus.kModelEmpty:
            state, has_solution = "optimal", True
        elif status in stopped and has_solution:
            state = "interrupted" if self._stop else "time_limit"
        elif self._stop:
            raise Interrupted(f"interrupted during the {label}, before any plan was found")
        elif status in (highspy.HighsModelStatus.kInfeasible,
                        highspy.HighsModelStatus.kUnboundedOrInfeasible):
            self._infeasible(label)
        else:
            raise SolveError(f"HiGHS stopped on the {label} without a plan: "
                             f"{self.highs.modelStatusToString(status)}", status="error")
        values = np.zeros(self.formulation.layout.n_columns)
        if status != highspy.HighsModelStatus.kModelEmpty:
            values[self.column_of] = np.asarray(self.highs.getSolution().col_value)
        objective = float(info.objective_function_value) + self._constant
        if self._integer.any():
            bound = float(info.mip_dual_bound) + self._constant
            gap: float | None = float(info.mip_gap)
        else:  # a linear programme solved to optimality is its own bound
            bound, gap = (objective, 0.0) if state == "optimal" else (-np.inf, np.inf)
        if not np.isfinite(bound):
            bound = None
        if gap is None or not np.isfinite(gap):
            # No bound yet (stopped early): the gap is unknown, never reported as 0.
            gap = 0.0 if state == "optimal" else None
        shown = "unknown" if gap is None else f"{100 * gap:.2f}%"
        self.progress(f"  {label}: {state}, objective £{objective:,.0f}, gap {shown}, "
                      f"{seconds:.1f}s")
        return CaseSolution(state, objective, gap, values, seconds, bound=bound)

    def relax_integrality(self) -> None:
        """Make every column continuous, in HiGHS and in what solutions are checked
        against: the model's LP relaxation (with builds fixed, the marginal-value LP)."""
        import highspy

        if self._integer.any() and self._highs is not None:
            self.highs.changeColsIntegrality(
                self.n_cols, np.arange(self.n_cols, dtype=np.int32),
                [highspy.HighsVarType.kContinuous] * self.n_cols)
        self._integer[:] = False

    def add_row(self, flat: np.ndarray, coefficients: np.ndarray, upper: float) -> int:
        """Add the row sum(coefficients * x[flat]) <= upper; returns its index."""
        flat, coefficients = np.asarray(flat, dtype=np.int64), np.asarray(coefficients, float)
        if self._highs is not None:
            self._add_to_highs(flat, coefficients, float(upper))
        self._extra.append((flat, coefficients, float(upper)))
        self.n_rows += 1
        return self.n_rows - 1

    def _add_to_highs(self, flat: np.ndarray, coefficients: np.ndarray, upper: float) -> None:
        cols = self.columns(flat)
        keep = cols >= 0
        self._highs.addRow(-np.inf, upper, int(keep.sum()), cols[keep].astype(np.int32),
                           coefficients[keep])

    def set_row_upper(self, row: int, upper: float) -> None:
        if self._highs is not None:
            self.highs.changeRowBounds(int(row), -np.inf, float(upper))
        extra = row - (self.n_rows - len(self._extra))
        cols, values, _ = self._extra[extra]
        self._extra[extra] = (cols, values, float(upper))

    def describe(self, violation) -> str:
        if self.instance is None:
            return f"{violation.kind} {violation.index}"
        return describe_violation(self.instance, self.formulation, violation)

    def run_fixed_builds(self, label: str) -> CaseSolution | None:
        """The model with every build fixed, solved as one LP per year (`yearly`) and
        checked like any solve; None if the builds are not all fixed, or with whole
        pupils (a MIP), or if the years do not solve cleanly (the caller then solves the
        whole model)."""
        bounds = self.bounds()
        if not builds_fixed(bounds, self.formulation.layout) or bounds.integer[
                :self.formulation.layout.n_x].any():
            return None
        self.progress(f"Solving the {label}, year by year...")
        yearly = solve_by_year(bounds, self.formulation.layout)
        if yearly.status != "optimal":
            self.progress(f"  {label}: {yearly.status}; solving it whole")
            return None
        relaxed = dataclasses.replace(bounds, integer=np.zeros_like(bounds.integer))
        check = check_solution(relaxed, yearly.values, yearly.objective, ("year by year",))
        if not check.passed:
            self.progress(f"  {label} year by year failed the check ({check.reason}); "
                          "solving it whole")
            return None
        self.progress(f"  {label}: optimal, objective £{yearly.objective:,.0f}, "
                      f"{yearly.seconds:.1f}s")
        return CaseSolution("optimal", yearly.objective, 0.0, yearly.values, yearly.seconds,
                            bound=yearly.objective, check=check)

    def capacity_duals(self, plan: CaseSolution) -> tuple[np.ndarray, str, CaseSolution | None]:
        """Row duals of the capacity rows of the LP with the plan's builds fixed, the status
        of that LP in words ("optimal" or why the duals are unknown), and its solution."""
        layout = self.formulation.layout
        b = layout.build_columns
        built = np.round(plan.values[b])
        self.set_bounds(b, built, built)
        rows = self.formulation.block_rows("capacity")
        unknown = np.full(len(rows), np.nan)
        benders = self.benders(self.bounds())
        self.relax_integrality()
        if benders is not None:
            # The years' LPs, warm from the plan's last pricing, at the plan's builds.
            try:
                lp, row_duals = self._priced_by_years(benders, plan, b, built)
            except Stopped:  # Ctrl-C while the years' LPs were priced
                return unknown, "not computed: stopped by the user (Ctrl-C)", None
            if lp is not None:
                return row_duals[rows], "optimal", lp
        # The whole LP on the plan's own HiGHS model, not the years apart
        # (`run_fixed_builds`): right after the plan HiGHS solves it several times faster
        # (Trafford 0.25 s against 1.2 s, LA 0.9 s against 8.0 s; benchmarks/RESULTS.md).
        try:
            lp = self.run("marginal-value LP")
        except SolveError as exc:
            return unknown, f"not computed: {exc}", None
        if lp.status != "optimal":
            return unknown, f"not computed: the LP stopped ({lp.status})", lp
        duals = np.zeros(len(rows))
        if len(rows):
            row_dual = np.asarray(self.highs.getSolution().row_dual)
            ok = self.capacity_rows >= 0
            duals[ok] = row_dual[self.capacity_rows[ok]]
        return duals, "optimal", lp


    def _priced_by_years(self, benders: Benders, plan: CaseSolution, b: np.ndarray,
                         built: np.ndarray) -> tuple[CaseSolution | None, np.ndarray]:
        """The LP with the plan's builds fixed, as the years' LPs at those builds (the
        capital drawn from each stream costs nothing, so the plan's own stays optimal),
        checked like every solve; (None, _) if it cannot be so."""
        layout = self.formulation.layout
        if np.any(self.formulation.columns.cost[layout.funding_columns] != 0):
            return None, np.zeros(0)
        point = plan.values.copy()
        point[b] = built
        started = time.perf_counter()
        try:
            priced = self._run_interruptibly(
                lambda: benders.price(point[benders.master_columns]))
        except BendersFailed as exc:
            return self._whole_from_now(f"marginal-value LP by years: {exc}"), np.zeros(0)
        values = benders.full_values(priced)
        bounds = self.bounds()
        objective = float(bounds.cost @ values + bounds.offset)
        check = check_solution(bounds, values, objective, ("by years",))
        if not check.passed:
            return self._whole_from_now(f"the marginal-value LP by years failed the check "
                                        f"({check.reason})"), np.zeros(0)
        seconds = time.perf_counter() - started
        self.progress(f"  marginal-value LP: optimal, objective £{objective:,.0f}, "
                      f"{seconds:.1f}s")
        lp = CaseSolution("optimal", objective, 0.0, values, seconds, bound=objective,
                          check=check)
        return lp, benders.row_duals(priced, len(self._row_lower))


def optional_columns(instance: Instance, layout) -> np.ndarray:
    """The columns the baseline shuts (`formulation.baseline_shut`)."""
    return baseline_shut(instance, layout)


def solve_cases(model: HighsModel, instance: Instance) -> tuple[CaseSolution, CaseSolution]:
    """The baseline (optional options shut), then the plan starting from it."""
    shut = optional_columns(instance, model.formulation.layout)
    model.set_bounds(shut, np.zeros(len(shut)), np.zeros(len(shut)))
    label = "baseline (do minimum)"
    # By years, the baseline warms the years' LPs the plan starts from.
    baseline = model.by_years(label) or model.run_fixed_builds(label) or model.run(label)
    model.set_bounds(shut, np.zeros(len(shut)), np.ones(len(shut)))
    plan = model.run("plan", start=baseline.values)
    return baseline, plan


AfterPlan = Callable[["HighsModel", CaseSolution, CaseSolution], None]


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
    model = HighsModel(formulation, settings, progress, engine, instance=instance)
    if write_model:
        model.highs.writeModel(str(write_model))
        say(f"Wrote the model to {write_model}")
    baseline, plan = solve_cases(model, instance)
    constraints = model.n_rows  # the model's own rows, not those a later step adds
    if after_plan is not None:
        after_plan(model, baseline, plan)
    b = formulation.layout.build_columns
    started = time.perf_counter()
    if plan.status == "interrupted" or model.stopped:
        # After Ctrl-C (in the plan, or in `after_plan`'s solves) the planner wants out.
        duals = np.full(len(model.capacity_rows), np.nan)
        duals_status, lp = "not computed: the plan was interrupted", None
        if plan.status != "interrupted":
            duals_status = "not computed: stopped by the user (Ctrl-C)"
    else:
        duals, duals_status, lp = model.capacity_duals(plan)
    dual_seconds = time.perf_counter() - started
    checks = {"baseline": baseline.check, "plan": plan.check}
    if lp is not None:
        checks["marginal_values"] = lp.check
    return Solved(
        baseline=baseline, plan=plan, capacity_duals=duals, duals_status=duals_status,
        build_seconds=model.build_seconds, handoff_seconds=model.handoff_seconds,
        solve_seconds=baseline.seconds + plan.seconds + dual_seconds,
        variables=model.n_cols, constraints=constraints,
        binaries=int((model.columns(b) >= 0).sum()),
        solver_version=model.version, engine=engine,
        timings={"baseline": baseline.seconds, "plan": plan.seconds, "duals": dual_seconds},
        checks={name: check.as_dict(model.describe) for name, check in checks.items()
                if check is not None},
    )
