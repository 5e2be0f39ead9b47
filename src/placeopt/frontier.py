"""The capital programme curve: the plan under a rising total capital budget.

Which projects come first, and where do returns fall off? The plan is solved once as
given; its capital spend S is the top of the curve, the baseline's (required options
only) the bottom. Then a row "total capital <= B" is
added to the same HiGHS model and the plan is solved again for B = 0 .. S. Each solve
starts from the previous point's programme, which is feasible under the larger budget,
so the objective can only fall as B grows. NPV is in the cash view of SPEC §4, which the
objective (an annuity by default) need not rank the same way; so at each budget the
point reports the programme with the best NPV among those found that fit the budget,
and says when that was an earlier point's (column `from_budget`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .case import Overrides, build_case
from .model.formulation import Formulation, formulate
from .model.instance import Instance
from .model.results import case_arrays, savings, view
from .model.solve import CaseSolution, HighsModel, Progress, solve_cases


@dataclass(frozen=True)
class Point:
    budget: float
    solution: CaseSolution


def frontier(workbook: str | Path, scenario: str = "base", points: int = 8,
             progress: Progress | None = None, time_limit: float | None = None,
             mip_gap: float | None = None) -> pd.DataFrame:
    """One row per capital budget: capital spent, options built, places, NPV, savings."""
    say = progress or (lambda _msg: None)
    case = build_case(workbook, scenario, progress=say,
                      overrides=Overrides(time_limit=time_limit, mip_gap=mip_gap))
    instance, settings = case.instance, case.settings
    formulation = formulate(instance)
    model = HighsModel(formulation, settings, instance=instance)
    baseline, plan = solve_cases(model, instance)
    layout = formulation.layout
    capex = instance.options["capex"].to_numpy(float)[layout.b_option] if layout.n_b \
        else np.zeros(0)
    top = float(capex @ np.round(layout.openings(plan.values)))
    # Required options are built in every programme: the curve starts at their cost.
    bottom = float(capex @ np.round(layout.openings(baseline.values)))
    # Capital spent = capex of every option open by the end of its window.
    built = layout.b_start + np.flatnonzero(layout.b_last)
    row = model.add_row(built, capex[layout.b_last], top)
    found: list[Point] = []
    previous = baseline
    for budget in np.linspace(bottom, top, max(points, 2)):
        say(f"Capital budget £{budget:,.0f}...")
        model.set_row_upper(row, budget)
        previous = model.run(f"plan within £{budget:,.0f}", start=previous.values)
        found.append(Point(budget, previous))
    return _table(instance, formulation, baseline, found, capex)


def _table(instance: Instance, formulation: Formulation, baseline: CaseSolution,
           found: list[Point], capex: np.ndarray) -> pd.DataFrame:
    base = case_arrays(instance, view(instance, formulation, baseline))
    option_ids = instance.options["option_id"].to_numpy()
    layout = formulation.layout
    evaluated = []
    for point in found:
        arrays = case_arrays(instance, view(instance, formulation, point.solution))
        saved = savings(instance, arrays, base)
        opened = np.round(layout.openings(point.solution.values)) > 0.5
        evaluated.append({
            "spent": float(capex @ opened),
            "options": sorted(set(option_ids[layout.b_option[opened]])),
            "new_places": float(arrays["new_places"][-1]),
            "npv": saved["npv"],
            "out_of_area_saving": float(saved["out_of_area_savings"].sum()),
            "revenue_saving": float(saved["revenue_savings"].sum()),
            "objective": point.solution.objective,
            "status": point.solution.status,
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
        })
    return pd.DataFrame(rows)


def write_frontier(table: pd.DataFrame, folder: str | Path) -> Path:
    """frontier.csv, frontier.xlsx (with a native chart) and frontier.svg in `folder`."""
    from openpyxl import Workbook
    from openpyxl.chart import Reference, ScatterChart, Series

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "frontier.csv", index=False)
    book = Workbook()
    ws = book.active
    ws.title = "Frontier"
    ws.append(list(table.columns))
    for record in table.itertuples(index=False):
        ws.append(list(record))
    for letter in "ABEFGH":
        for cell in ws[letter][1:]:
            cell.number_format = "£#,##0"
        ws.column_dimensions[letter].width = 16
    ws.column_dimensions["C"].width = 60
    ws.freeze_panes = "A2"
    chart = ScatterChart()
    chart.title = "Capital programme: NPV against capital spent"
    chart.x_axis.title = "Capital spent (£)"
    chart.y_axis.title = "NPV of the plan over the baseline (£)"
    chart.style = 13
    x = Reference(ws, min_col=2, min_row=2, max_row=len(table) + 1)
    y = Reference(ws, min_col=6, min_row=1, max_row=len(table) + 1)
    series = Series(y, x, title_from_data=True)
    series.marker.symbol = "circle"
    chart.series.append(series)
    chart.width, chart.height = 22, 12
    ws.add_chart(chart, "A" + str(len(table) + 4))
    book.save(folder / "frontier.xlsx")
    _svg(table, folder / "frontier.svg")
    return folder


def _svg(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(table["capital_spent"] / 1e6, table["npv"] / 1e6, marker="o")
    for spent, npv, n in zip(table["capital_spent"], table["npv"], table["n_options"],
                             strict=True):
        ax.annotate(str(n), (spent / 1e6, npv / 1e6), textcoords="offset points",
                    xytext=(4, 4), fontsize=8)
    ax.set_xlabel("Capital spent (£m)")
    ax.set_ylabel("NPV over the baseline (£m)")
    ax.set_title("Capital programme curve (labels: options built)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="svg")
    plt.close(fig)
