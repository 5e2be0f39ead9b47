"""The capital programme curve: the plan under a rising total capital budget.

Which projects come first, where do returns fall off, and what would more capital buy?
The plan is solved once as given; the baseline's capital (required options only) is the
bottom of the curve. A row "total capital <= B" is added to the same HiGHS model and the
plan solved again for budgets B from the bottom to the top, each solve starting from the
previous point's programme (feasible under the larger budget), so the objective can only
fall as B grows.

Today's budget is the capital in the workbook's Budget sheet (every capital stream, all
years). Below it the workbook's capital rows hold as given, so the point at today's budget
is the plan itself. Above it the extra B - today arrives in the general pot `capital` in
the first year (the earliest it could help), so the curve shows what a bigger allocation
would buy. The top is `max_capital`, by default enough capital to build every option
that has value: the programme of the plan with no limit on the general pot becomes
affordable there (today's budget plus the most its draws on the pot run ahead of the
pot's capital, arriving in the first year). A workbook with no `capital` rows has no
limit on the general pot: there the top is the plan's spend, and there is no "today's
budget" to mark.

NPV is on the objective's terms (SPEC §4), so it ranks programmes as the model does, up
to unmet, overspend and travel-minute terms and each solve's gap; at each budget the point
reports the programme with the best NPV among those found that fit the budget, and says
when that was an earlier point's (column `from_budget`). A figure within the solvers'
tolerance of zero (column `tolerance`: the two solves' gaps in pounds, and at least a
millionth of the baseline's objective, the solver's feasibility tolerance) is reported
as zero: the baseline's own programme is worth nothing over itself, whatever the last
pounds of two solves say. The curve is drawn as steps: a programme holds its NPV from the
budget where it was found to the next, and there is no trade-off in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .case import Overrides, build_case
from .model.formulation import Formulation, formulate
from .model.funding import funding_table
from .model.instance import Instance
from .model.results import case_arrays, savings, view
from .model.solve import CaseSolution, Progress, Solver, solve_cases
from .problems import ProvenInfeasible
from .workbook.schema import CAPITAL


class MaxCapitalTooLow(ValueError):
    """`max_capital` below the capital of the committed options (a usage error)."""


@dataclass(frozen=True)
class Point:
    budget: float
    extra: float  # capital beyond today's budget, in the general pot's first year
    solution: CaseSolution


@dataclass(frozen=True)
class GeneralPot:
    """The capital rows of the general pot `capital`, and how much capital is there today
    (every stream); None when the pot has no limit."""

    rows: np.ndarray  # stacked formulation rows of the pot, one per year (cumulative)
    upper: np.ndarray  # their bounds as the workbook gives them
    today: float  # all the capital of the Budget sheet, every stream, every year


def frontier(workbook: str | Path, scenario: str = "base", points: int = 8,
             progress: Progress | None = None, time_limit: float | None = None,
             mip_gap: float | None = None, max_capital: float | None = None) -> pd.DataFrame:
    """One row per capital budget: capital spent, options built, places, NPV, savings,
    and whether it is today's budget. Raises MaxCapitalTooLow for a `max_capital` below
    the capital of the committed options."""
    say = progress or (lambda _msg: None)
    case = build_case(workbook, scenario, progress=say,
                      overrides=Overrides(time_limit=time_limit, mip_gap=mip_gap))
    if case.no_plan:
        raise ProvenInfeasible(case.no_plan)
    instance, settings = case.instance, case.settings
    formulation = formulate(instance)
    model = Solver(formulation, settings, instance=instance)
    baseline, plan = solve_cases(model, instance)
    columns, capex = capital_columns(instance, formulation)

    def spent(solution: CaseSolution) -> float:
        return float(capex @ np.round(solution.values[columns]))

    bottom = spent(baseline)  # required options are built in every programme
    pot = general_pot(instance, formulation)
    top = max_capital if max_capital is not None else _enough(model, instance, formulation,
                                                              pot, plan, spent, say)
    if top < bottom - 1e-6:
        raise MaxCapitalTooLow(f"the capital budget must reach the committed options' capital "
                         f"(£{bottom:,.0f}), not stop at £{top:,.0f}")
    budgets = {round(x, 2) for x in np.linspace(bottom, top, max(points, 2))}
    if pot is not None and bottom <= pot.today <= top:
        budgets.add(round(pot.today, 2))
    row = model.add_row(columns, capex, top)
    found: list[Point] = []
    previous = baseline
    for budget in sorted(budgets):
        extra = max(0.0, budget - pot.today) if pot is not None else 0.0
        if pot is not None:
            model.set_rows_upper(pot.rows, pot.upper + extra)
        say(f"Capital budget £{budget:,.0f}...")
        model.set_rows_upper([row], budget)
        previous = model.run(f"plan within £{budget:,.0f}", start=previous.values)
        found.append(Point(budget, extra, previous))
    return _table(instance, formulation, baseline, found, spent, pot)


def capital_columns(instance: Instance, formulation: Formulation
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Capital spent = sum of these columns times these coefficients: the capex of every
    option open by the end of its window (y there), and of every inclusion measure
    running by the end of its window."""
    layout = formulation.layout
    options = instance.options["capex"].to_numpy(float)[layout.b_option] if layout.n_b \
        else np.zeros(0)
    measures = instance.measures.table["capex"].to_numpy(float)[layout.a_measure] \
        if layout.n_a else np.zeros(0)
    return (np.concatenate([layout.b_start + np.flatnonzero(layout.b_last),
                            layout.a_start + np.flatnonzero(layout.a_last)]),
            np.concatenate([options[layout.b_last], measures[layout.a_last]]))


def general_pot(instance: Instance, formulation: Formulation) -> GeneralPot | None:
    """The general pot's capital rows, if the workbook limits it."""
    capital = instance.capital
    general = capital.names.index(CAPITAL)
    if not capital.limited[general] or not any(r.name == "capital" for r in formulation.rows):
        return None
    block = formulation.block("capital")
    start = formulation.row_offsets[[r.name for r in formulation.rows].index("capital")]
    rows = start + np.flatnonzero(block.labels["stream"].to_numpy() == general)
    return GeneralPot(rows, block.upper[rows - start].copy(),
                      float(capital.money[capital.limited].sum()))


def _enough(model: Solver, instance: Instance, formulation: Formulation,
            pot: GeneralPot | None, plan: CaseSolution,
            spent: Callable[[CaseSolution], float], say: Progress) -> float:
    """The default top of the curve: enough capital to build every option that has
    value. That is the programme of the plan with no limit on the general pot; its
    draws on the pot (ring-fenced money first) exceed the pot's capital, cumulatively,
    by at most some X, so with today's budget plus X arriving in the first year it is
    affordable, and the curve's last point is that programme."""
    if pot is None:
        return spent(plan)
    say("The plan with no limit on the general capital pot...")
    model.set_rows_upper(pot.rows, np.full(len(pot.rows), np.inf))
    unlimited = model.run("plan with unlimited capital", start=plan.values)
    model.set_rows_upper(pot.rows, pot.upper)
    made = view(instance, formulation, unlimited)
    drawn = funding_table(instance, formulation, unlimited.values, made.opened,
                          made.measures.started)
    general = drawn.loc[drawn["stream"] == CAPITAL].groupby("year")["amount"].sum()
    draws = general.reindex(instance.years, fill_value=0.0).to_numpy(float)
    money = instance.capital.money[instance.capital.names.index(CAPITAL)]
    short = max(0.0, float(np.max(np.cumsum(draws) - np.cumsum(money))))
    return float(np.ceil(pot.today + short))  # whole pounds: never a penny short


def _table(instance: Instance, formulation: Formulation, baseline: CaseSolution,
           found: list[Point], spent: Callable[[CaseSolution], float],
           pot: GeneralPot | None) -> pd.DataFrame:
    base = case_arrays(instance, view(instance, formulation, baseline))
    option_ids = instance.options["option_id"].to_numpy()
    measure_ids = instance.measures.table["measure_id"].to_numpy()
    evaluated = []
    for point in found:
        made = view(instance, formulation, point.solution)
        arrays = case_arrays(instance, made)
        saved = savings(instance, arrays, base)
        tolerance = _tolerance(point.solution, baseline)
        evaluated.append({
            "spent": spent(point.solution),
            "options": sorted({*option_ids[made.opened.sum(axis=1) > 0.5],
                               *measure_ids[made.measures.started.sum(axis=1) > 0.5]}),
            "new_places": float(arrays["new_places"][-1]),
            "npv": _zero(saved["npv"], tolerance),
            "out_of_area_saving": _zero(saved["out_of_area_savings"].sum(), tolerance),
            "revenue_saving": _zero(saved["revenue_savings"].sum(), tolerance),
            "objective": point.solution.objective,
            "status": point.solution.status,
            "tolerance": tolerance,
        })
    rows = []
    for i, point in enumerate(found):
        fits = [j for j in range(i + 1) if evaluated[j]["spent"] <= point.budget + 1e-6]
        best = max(fits, key=lambda j: (evaluated[j]["npv"], -j))
        chosen = evaluated[best]
        rows.append({
            "capital_budget": round(point.budget, 2),
            "capital_spent": round(chosen["spent"], 2),
            "options_built": ";".join(chosen["options"]),
            "n_options": len(chosen["options"]),
            "new_places": round(chosen["new_places"], 3),
            "npv": round(chosen["npv"], 2),
            "out_of_area_saving": round(chosen["out_of_area_saving"], 2),
            "revenue_saving": round(chosen["revenue_saving"], 2),
            "objective": round(chosen["objective"], 2),
            "status": chosen["status"],
            "from_budget": round(found[best].budget, 2),
            "extra_capital": round(point.extra, 2),
            "today": "yes" if pot is not None and abs(point.budget - pot.today) < 0.005
            else "no",
            "tolerance": round(chosen["tolerance"], 2),
        })
    return pd.DataFrame(rows)


FEASIBILITY = 1e-6  # of the baseline's objective: below this, pounds are solver noise


def _tolerance(solution: CaseSolution, baseline: CaseSolution) -> float:
    """How far from zero a figure of this point may be and still be zero: the two
    solves' gaps in pounds, and at least the solver's feasibility noise."""
    gaps = sum(g for g in (solution.gap_pounds, baseline.gap_pounds) if g is not None)
    return max(gaps, FEASIBILITY * abs(baseline.objective))


def _zero(value: float, tolerance: float) -> float:
    return 0.0 if abs(value) <= tolerance else float(value)


MONEY_COLUMNS = ("capital_budget", "capital_spent", "npv", "out_of_area_saving",
                 "revenue_saving", "objective", "from_budget", "extra_capital", "tolerance")


def write_frontier(table: pd.DataFrame, folder: str | Path) -> Path:
    """frontier.csv, frontier.xlsx (with a native chart) and frontier.svg in `folder`."""
    from openpyxl import Workbook
    from openpyxl.chart import Reference, ScatterChart, Series
    from openpyxl.utils import get_column_letter

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "frontier.csv", index=False)
    book = Workbook()
    ws = book.active
    ws.title = "Frontier"
    ws.append(list(table.columns))
    for record in table.itertuples(index=False):
        ws.append(list(record))
    column = {name: i + 1 for i, name in enumerate(table.columns)}
    for name in MONEY_COLUMNS:
        letter = get_column_letter(column[name])
        for cell in ws[letter][1:]:
            cell.number_format = "£#,##0"
        ws.column_dimensions[letter].width = 16
    ws.column_dimensions[get_column_letter(column["options_built"])].width = 60
    ws.freeze_panes = "A2"
    chart = ScatterChart()
    chart.title = "Capital programme: NPV against the capital budget (steps)"
    chart.x_axis.title = "Capital budget (£)"
    chart.y_axis.title = "NPV of the plan over the baseline (£)"
    chart.style = 13
    last = len(table) + 1
    # The steps: each programme's NPV holds from its budget to the next (helper columns).
    steps = _steps(table["capital_budget"].to_numpy(float), table["npv"].to_numpy(float))
    right = len(table.columns) + 2
    ws.cell(1, right, "steps: capital budget")
    ws.cell(1, right + 1, "NPV found (steps)")
    for i, (budget, npv) in enumerate(steps, start=2):
        ws.cell(i, right, budget).number_format = "£#,##0"
        ws.cell(i, right + 1, npv).number_format = "£#,##0"
    step = Series(Reference(ws, min_col=right + 1, min_row=1, max_row=len(steps) + 1),
                  Reference(ws, min_col=right, min_row=2, max_row=len(steps) + 1),
                  title_from_data=True)
    step.marker.symbol = "none"
    chart.series.append(step)
    x = Reference(ws, min_col=column["capital_budget"], min_row=2, max_row=last)
    y = Reference(ws, min_col=column["npv"], min_row=1, max_row=last)
    series = Series(y, x, title_from_data=True)
    series.marker.symbol = "circle"
    series.graphicalProperties.line.noFill = True
    chart.series.append(series)
    today = np.flatnonzero(table["today"].to_numpy() == "yes")
    if len(today):  # today's budget: one point, marked
        row = int(today[0]) + 2
        mark = Series(Reference(ws, min_col=column["npv"], min_row=row, max_row=row),
                      Reference(ws, min_col=column["capital_budget"], min_row=row,
                                max_row=row), title="Today's capital budget")
        mark.marker.symbol, mark.marker.size = "diamond", 11
        mark.graphicalProperties.line.noFill = True
        chart.series.append(mark)
    chart.width, chart.height = 22, 12
    ws.add_chart(chart, "A" + str(len(table) + 4))
    book.save(folder / "frontier.xlsx")
    _svg(table, folder / "frontier.svg")
    return folder


def _steps(budgets: np.ndarray, npv: np.ndarray) -> list[tuple[float, float]]:
    """The corners of the step curve: each NPV from its budget to the next budget."""
    corners = []
    for i, (budget, value) in enumerate(zip(budgets, npv, strict=True)):
        corners.append((float(budget), float(value)))
        if i + 1 < len(budgets):
            corners.append((float(budgets[i + 1]), float(value)))
    return corners


def _svg(table: pd.DataFrame, path: Path) -> None:
    from matplotlib.figure import Figure

    from .report.plots import money_axis

    figure = Figure(figsize=(8, 4.5))
    ax = figure.subplots()
    budgets, npv = table["capital_budget"].to_numpy(float), table["npv"].to_numpy(float)
    ax.step(budgets, npv, where="post", color="#1F77B4", linewidth=1.8)
    ax.plot(budgets, npv, linestyle="", marker="o", color="#1F77B4")
    for budget, value, n in zip(budgets, npv, table["n_options"], strict=True):
        ax.annotate(str(n), (budget, value), textcoords="offset points",
                    xytext=(4, 4), fontsize=8)
    today = table[table["today"] == "yes"]
    if len(today):
        budget = float(today["capital_budget"].iloc[0])
        ax.axvline(budget, color="#555555", linestyle="--", linewidth=1)
        ax.annotate(f"today's capital £{budget / 1e6:,.1f}m", (budget, 0.02),
                    xycoords=("data", "axes fraction"), xytext=(4, 0),
                    textcoords="offset points", fontsize=8, color="#333333")
    money_axis(ax.xaxis, budgets)
    money_axis(ax.yaxis, npv)
    ax.set_xlabel("Capital budget; beyond today's, the extra arrives in the first year")
    ax.set_ylabel("NPV over the baseline")
    ax.set_title("Capital programme curve: each programme found holds its NPV until the "
                 "next (labels: options built)", fontsize=10)
    ax.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="svg")
