"""What the inclusion measures did in a solution: inclusion.csv and summary.json
`inclusion` (SPEC §4).

Per measure and year: whether it runs, its effect (0..1 of its share, as ramped), the
pupils it diverted, its running cost, the support for the pupils diverted, and its
capital in the start year. The summary adds, per measure, its cost per pupil-year
diverted, which the reports set against what a special school and an INMSS place cost
per pupil-year in the plan; what the plan would lose without the measure (or gain with
it forced) is its worth (`project_values`), carried beside them when computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .instance import Instance
from .layout import Layout

TINY = 0.0005  # pupils below this are rounding noise (outputs keep three decimals)
COLUMNS = ["year", "measure_id", "name", "running", "start_year", "effect",
           "pupils_diverted", "annual_cost", "support_cost", "capital_cost", "case"]


@dataclass(frozen=True)
class MeasureView:
    """One solution's measures, each (M, T): started in year k (0/1), running, effect
    (0..1 of share), pupils diverted, running cost, support cost, capital (start year)."""

    started: np.ndarray
    running: np.ndarray
    effect: np.ndarray
    diverted: np.ndarray
    running_cost: np.ndarray
    support_cost: np.ndarray
    capital: np.ndarray

    @property
    def revenue_cost(self) -> np.ndarray:
        """(T,) what the measures cost the revenue budget each year."""
        return (self.running_cost + self.support_cost).sum(axis=0)


def measure_view(instance: Instance, layout: Layout, values: np.ndarray) -> MeasureView:
    table = instance.measures.table
    n_measures, n_years = len(table), instance.n_years
    started = np.zeros((n_measures, n_years))
    if layout.n_a:
        started[layout.a_measure, layout.a_year] = np.round(layout.starts(values))
    running = np.cumsum(started, axis=1)
    ramp = table["ramp"].to_numpy(int) if n_measures else np.ones(0, dtype=int)
    effect = np.zeros_like(started)
    for k in range(n_years):
        for tau in range(k + 1):
            effect[:, k] += started[:, tau] * np.minimum(1.0, (k - tau + 1) / ramp)
    diverted = np.zeros_like(started)
    np.add.at(diverted, (layout.v_measure, layout.v_year), values[layout.v_start:])
    annual = table["annual_cost"].to_numpy(float) if n_measures else np.zeros(0)
    support = table["cost_per_pupil"].to_numpy(float) if n_measures else np.zeros(0)
    capex = table["capex"].to_numpy(float) if n_measures else np.zeros(0)
    return MeasureView(started, running, effect, diverted, annual[:, None] * running,
                       support[:, None] * diverted, capex[:, None] * started)


def inclusion_table(instance: Instance, cases: dict[str, MeasureView]) -> pd.DataFrame:
    """inclusion.csv: one row per case (plan, baseline), measure and year."""
    table = instance.measures.table
    frames = []
    n_years = instance.n_years
    for case, view in cases.items():
        first = np.where(view.started.any(axis=1), view.started.argmax(axis=1), -1)
        start_year = [int(instance.years[k]) if k >= 0 else None for k in first]
        frames.append(pd.DataFrame({
            "case": case,
            "year": np.tile(instance.years, len(table)),
            "measure_id": np.repeat(table["measure_id"].to_numpy(), n_years),
            "name": np.repeat(table["name"].to_numpy(), n_years),
            "running": np.where(view.running.ravel() > 0.5, "yes", "no"),
            "start_year": pd.array(np.repeat(start_year, n_years), dtype="Int64"),
            "effect": view.effect.ravel().round(4),
            "pupils_diverted": np.where(view.diverted > TINY, view.diverted, 0.0).ravel().round(3),
            "annual_cost": view.running_cost.ravel().round(2),
            "support_cost": view.support_cost.ravel().round(2),
            "capital_cost": view.capital.ravel().round(2),
        }))
    return pd.concat(frames, ignore_index=True)[COLUMNS] if frames else pd.DataFrame(
        columns=COLUMNS)


def inclusion_summary(instance: Instance, plan: MeasureView, baseline: MeasureView
                      ) -> dict[str, Any]:
    """summary.json `inclusion`, keyed by measure_id: whether and when the plan starts the
    measure, the pupils it diverts and its cost (running, support, and capital in the
    start year: cash) by year, and that cost per pupil-year diverted, the place the pupil
    then takes aside."""
    table = instance.measures.table
    found = {}
    for m, measure in table.iterrows():
        started = bool(plan.started[m].sum() > 0.5)
        pupil_years = float(plan.diverted[m].sum())
        cost = plan.running_cost[m] + plan.support_cost[m]
        capital = float(plan.capital[m].sum())
        found[str(measure["measure_id"])] = {
            "name": measure["name"] if isinstance(measure["name"], str) else "",
            "started": started,
            "start_year": int(instance.years[plan.started[m].argmax()]) if started else None,
            "required": bool(measure["required"]),
            "in_baseline": bool(baseline.started[m].sum() > 0.5),
            "share": float(measure["share"]),
            "share_range": [float(measure["share_low"]), float(measure["share_high"])],
            "pupils_diverted": _round(plan.diverted[m], 3),
            "cost": _round(cost + plan.capital[m]),
            "revenue_cost": _round(cost),
            "capital_cost": round(capital, 2),
            "pupil_years_diverted": round(pupil_years, 3),
            "cost_per_pupil_year": round((float(cost.sum()) + capital) / pupil_years, 2)
            if pupil_years > TINY else None,
        }
    return found


def _round(values: np.ndarray, digits: int = 2) -> list[float]:
    return [round(float(v), digits) for v in values]
