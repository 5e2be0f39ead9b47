"""What each project is worth: the list a capital board reads (issue 11).

The options of a programme work together (a new place in one school frees one in
another), so the programme's NPV cannot be split between them. What can be said soundly
is what each option changes at the margin of the chosen programme:

- `npv_if_dropped`, for each option the plan builds: the NPV lost if it alone were not
  built, the rest of the plan free to adapt (the plan solved again with that option
  shut, starting from the plan without it, which HiGHS completes by an LP);
- `npv_if_forced`, for each option the plan leaves out: the NPV change if it had to be
  built (a row Σ_t b[e,t] ≥ 1 added, the rest free to adapt; usually negative);
- `entry_capital_cost`, for an option left out: a capital cost (with optimism bias) at
  or below which it would be built. The forced plan stays feasible when the option costs
  less, and its objective falls by the saving times the charge per £ in its opening year
  (K(e,t)/capex(e)); once below the plan's objective, the optimum must build the
  option. So this is a sound lower bound on the price at which it enters (it may enter at
  a higher price, since cheaper capital also frees the budget for other options);
- `value_gap`, the most the true figure can differ from the one given: the larger of the
  two solves' gaps in pounds (each is optimal to within its MIP gap).

Required options are in the baseline and every plan, so they get no values. Each value
costs one more MIP solve of the same model, checked like every other (verify), by the
route that proved the plan (with every Benders cut kept, from the plan's solution). By
default they take at most about the plan's own solve time (`budget`, at least
`PROJECT_VALUES_SECONDS`), measured as they run, re-solve overheads and all, not
foretold: the options the plan builds are valued first, and once the budget is spent the
rest are left, with a status that says how many were valued and that `--project-values`
values them all. `project_values` True/False computes them all, or none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..problems import Abandoned, Interrupted, SolveError
from .formulation import Formulation
from .instance import Instance
from .results import Results, case_arrays, savings, view
from .solve import CaseSolution, Progress, Solver

PROJECT_VALUES_SECONDS = 10.0  # by default, values take at most max(this, the plan's time)
COLUMNS = ("npv_if_dropped", "npv_if_forced", "value_gap", "entry_capital_cost")


def default_budget(plan_seconds: float) -> float:
    """Seconds the values may take by default: about the plan's own solve time, so that
    a run takes about twice that (PROJECT_VALUES_SECONDS at least)."""
    return max(PROJECT_VALUES_SECONDS, plan_seconds)


@dataclass(frozen=True)
class Value:
    """One option's re-solve: the NPV change, and how the solve went."""

    option: int
    built: bool
    npv_change: float | None  # dropped: NPV lost (plan - without); forced: NPV change
    gap: float | None  # the most the true change can differ, £ (None: unknown)
    entry_capital_cost: float | None
    status: str  # the solve's status, or why there is no value
    check: dict[str, Any] | None = None
    programme: tuple[str, ...] = ()  # the options the re-solved plan builds
    # How the re-solved programme differs from the plan's, besides the option itself:
    # options it builds that the plan leaves out, and options of the plan it leaves out.
    # Where a dropped option is replaced, the options substitute for each other.
    builds_instead: tuple[str, ...] = ()
    drops_too: tuple[str, ...] = ()


@dataclass
class ProjectAppraisal:
    """Values each option of the plan; handed to `solve` as its `after_plan` step, so it
    runs on the plan's HiGHS model before the marginal-value LP changes it."""

    instance: Instance
    formulation: Formulation
    wanted: bool | None = None  # None: when the plan chooses among few enough options
    progress: Progress | None = None
    values: list[Value] = field(default_factory=list)
    status: str = "not run"
    seconds: float = 0.0

    noun, one = "options", "project"  # what is valued, in messages

    def candidates(self) -> np.ndarray:
        """The options the plan chooses: enabled, able to open, not required."""
        layout = self.formulation.layout
        options = np.unique(layout.b_option)
        return options[~self.instance.options["required"].to_numpy(bool)[options]]

    def _ids(self) -> np.ndarray:
        """The id of each option (each thing valued, by its index)."""
        return self.instance.options["option_id"].to_numpy()

    def __call__(self, model: Solver, baseline: CaseSolution, plan: CaseSolution,
                 spent: float = 0.0) -> None:
        """Value each candidate, by default within `default_budget` less the seconds
        `spent` on other values already."""
        options = self.candidates()
        budget = np.inf if self.wanted else default_budget(plan.seconds) - spent
        if not len(options):
            self.status = f"no {self.noun} to value"
        elif plan.status == "interrupted":
            self.status = "skipped: the plan was interrupted"
        elif self.wanted is False:
            self.status = "skipped (--no-project-values)"
        elif spent and budget <= 0:  # the options' values took the time for all values
            self.status = (f"skipped: the default time for values ({spent:.0f} s) went to "
                           "the options'; --project-values values them all")
        else:
            started = time.perf_counter()
            self._value_each(model, baseline, plan, options, budget)
            self.seconds = time.perf_counter() - started

    def _value_each(self, model: Solver, baseline: CaseSolution, plan: CaseSolution,
                    options: np.ndarray, budget: float) -> None:
        """Value the options (those the plan builds first) until done or the budget is
        spent."""
        say = self.progress or (lambda _msg: None)
        base = case_arrays(self.instance, view(self.instance, self.formulation, baseline))
        npv_plan = self._npv(plan, base)
        opened = self._opened(plan.values)
        options = sorted(options, key=lambda e: (not opened[e], e))
        say(f"Valuing each {self.one}: {len(options)} more solves"
            + ("" if np.isinf(budget) else f", for at most about {budget:.0f} s") + "...")
        started = time.perf_counter()
        for e in options:
            value = (self._dropped if opened[e] else self._forced)(model, plan, base, npv_plan,
                                                                  int(e))
            self.values.append(value)
            if value.status == "interrupted" or model.watch.stopped:
                # Ctrl-C (in this solve, or as it ended): the planner wants the run to end
                self.status = (f"stopped by the user (Ctrl-C) after {len(self.values)} of "
                               f"{len(options)} {self.noun}")
                return
            if len(self.values) < len(options) and time.perf_counter() - started > budget:
                self.status = (f"partly computed: {len(self.values)} of {len(options)} "
                               f"{self.noun} valued within the default time ({budget:.0f} s, "
                               "the plan's own solve time or more); --project-values values "
                               "them all")
                say(f"  {self.status}")
                return
        self.status = "computed"

    def _opened(self, values: np.ndarray) -> np.ndarray:
        """(E,) is each option opened in this solution?"""
        layout = self.formulation.layout
        opened = np.zeros(len(self.instance.options), dtype=bool)
        opened[layout.b_option[np.round(layout.openings(values)) > 0.5]] = True
        return opened

    def _npv(self, solution: CaseSolution, base: dict[str, np.ndarray]) -> float:
        arrays = case_arrays(self.instance, view(self.instance, self.formulation, solution))
        return float(savings(self.instance, arrays, base)["npv"])

    def _columns_of(self, e: int) -> tuple[np.ndarray, np.ndarray]:
        """The option's b columns and w columns (flat)."""
        layout = self.formulation.layout
        b = np.flatnonzero(layout.b_option == e)
        w = layout.w_start + np.flatnonzero(np.isin(layout.w_b, b))
        return layout.b_start + b, w

    def _label(self, e: int, what: str) -> str:
        return f"plan {what} {self._ids()[e]}"

    def _dropped(self, model: Solver, plan: CaseSolution, base: dict[str, np.ndarray],
                 npv_plan: float, e: int) -> Value:
        b, w = self._columns_of(e)
        columns = self.formulation.columns
        start = plan.values.copy()
        start[b], start[w] = 0.0, 0.0  # HiGHS completes it: an LP with the builds fixed
        model.set_bounds(b, np.zeros(len(b)), np.zeros(len(b)))
        try:
            return self._solve(model, plan, base, npv_plan, e, self._label(e, "without"),
                               start)
        finally:
            model.set_bounds(b, columns.lower[b], columns.upper[b])

    def _forced(self, model: Solver, plan: CaseSolution, base: dict[str, np.ndarray],
                npv_plan: float, e: int) -> Value:
        b, w = self._columns_of(e)
        row = model.add_row(b[-1:], -np.ones(1), -1.0)  # open by its last year: sum_t b >= 1
        try:
            return self._solve(model, plan, base, npv_plan, e, self._label(e, "with"),
                               self._forced_start(plan, e, b, w))
        finally:
            model.set_rows_upper([row], np.inf)

    def _forced_start(self, plan: CaseSolution, e: int, b: np.ndarray,
                      w: np.ndarray) -> np.ndarray:
        """The plan with the option opened as early as it may, and the other options of
        its group shut; HiGHS completes it by an LP if the capital allows, else drops it."""
        start = plan.values.copy()
        group = self.instance.options.at[e, "group"]
        if isinstance(group, str) and group:
            same = self.instance.options["group"].astype(str).str.lower() == group.lower()
            for other in np.flatnonzero(same.to_numpy()):
                ob, ow = self._columns_of(int(other))
                start[ob], start[ow] = 0.0, 0.0
        start[w] = 0.0
        start[b] = 1.0  # open by every year of its window: opened in the first
        return start

    def _solve(self, model: Solver, plan: CaseSolution, base: dict[str, np.ndarray],
               npv_plan: float, e: int, label: str, start: np.ndarray) -> Value:
        built = self._opened(plan.values)[e]
        try:
            solution = model.run(label, start=start)
        except SolveError as exc:
            status = ("cannot be built: no plan can include it (infeasible)"
                      if exc.status == "infeasible" else f"not computed: {exc}")
            return Value(e, built, None, None, None, status)
        except Interrupted as exc:
            if isinstance(exc, Abandoned) or not model.watch.stopped:
                raise
            # Ctrl-C before this solve had a plan (it can land between two solves, while
            # a race's loser ends): no value, and the valuing stops; the plan stands.
            return Value(e, built, None, None, None, "interrupted")
        npv = self._npv(solution, base)
        change = npv_plan - npv if built else npv - npv_plan
        gaps = [g for g in (plan.gap_pounds, solution.gap_pounds) if g is not None]
        gap = max(gaps) if len(gaps) == 2 else None
        entry = None if built else self._entry_price(plan, solution, e)
        check = solution.check_record(model.describe) if solution.check else None
        return Value(e, built, change, gap, entry, solution.status, check,
                     self._programme(solution.values), *self._differences(plan, solution, e))

    def _programme(self, values: np.ndarray) -> tuple[str, ...]:
        """The options a solution builds."""
        layout = self.formulation.layout
        built = np.unique(layout.b_option[np.round(layout.openings(values)) > 0.5])
        return tuple(str(i) for i in self.instance.options["option_id"].to_numpy()[built])

    def _differences(self, plan: CaseSolution, solution: CaseSolution,
                     e: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The things valued (options, or measures) the re-solve builds and the plan
        does not, and the reverse (the one valued aside)."""
        ids = self._ids()
        before, after = self._opened(plan.values), self._opened(solution.values)
        after[e] = before[e]
        return (tuple(str(o) for o in ids[after & ~before]),
                tuple(str(o) for o in ids[before & ~after]))

    def _entry_price(self, plan: CaseSolution, forced: CaseSolution, e: int) -> float | None:
        """capex - (forced objective - plan objective) / (K(e,t)/capex) at the forced
        plan's opening year t: at or below it the option is built (see the module)."""
        layout = self.formulation.layout
        capex = float(self.instance.options.at[e, "capex"])
        b = np.flatnonzero((layout.b_option == e)
                           & (np.round(forced.values[layout.b_start:layout.o_start]) > 0.5))
        if capex <= 0 or not len(b):
            return None
        charge = self.instance.capex_charge()[e, layout.b_year[b[0]]] / capex
        price = capex - (forced.objective - plan.objective) / charge if charge > 0 else None
        return price if price is not None and price > 0 else None

    def table(self) -> pd.DataFrame:
        """option_id and the value columns, one row per option valued."""
        ids = self._ids()
        rows = [{"option_id": ids[v.option],
                 "npv_if_dropped": _money(v.npv_change) if v.built else None,
                 "npv_if_forced": None if v.built else _money(v.npv_change),
                 "value_gap": _money(v.gap),
                 "entry_capital_cost": _money(v.entry_capital_cost)} for v in self.values]
        return pd.DataFrame(rows, columns=["option_id", *COLUMNS])

    def summary(self) -> dict[str, Any]:
        """summary.json `project_values`: whether they were computed, and each solve's
        status and check (their time is in solve.timings, with every clock time)."""
        ids = self._ids()
        return {
            "status": self.status,
            "solves": {str(ids[v.option]): {
                "case": "dropped" if v.built else "forced", "status": v.status,
                "builds_instead": list(v.builds_instead), "drops_too": list(v.drops_too),
                **({"check": v.check} if v.check else {})} for v in self.values},
        }

    def attach(self, results: Results) -> None:
        """The value columns in expansions.csv (blank where not computed) and the
        summary's `project_values`."""
        values = self.table().astype({c: float for c in COLUMNS})
        results.expansions = results.expansions.drop(columns=list(COLUMNS), errors="ignore") \
            .merge(values, on="option_id", how="left")
        results.summary["project_values"] = self.summary()
        results.summary["solve"]["timings"]["project_values"] = round(self.seconds, 3)


def _money(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)
