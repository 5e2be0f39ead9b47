"""What each inclusion measure is worth, as `project_values` values options (issue 21).

For each measure the plan chooses among (enabled, able to start in the horizon, not
required), the plan is solved again on the same HiGHS model: without the measure if the
plan funds it (`npv_if_dropped`: the NPV it adds), with it forced to start if the plan
leaves it out (`npv_if_forced`: usually negative, what funding it anyway would cost).
The solves, their checks, their defaults (only when quick) and `value_gap` are those of
the options' values; only what a measure's columns are differs. The values go to
summary.json `inclusion` (per measure), the status and each solve's check to
`inclusion_values`.
"""

from __future__ import annotations

import numpy as np

from .project_values import COLUMNS, ProjectAppraisal
from .results import Results
from .solve import CaseSolution


class MeasureAppraisal(ProjectAppraisal):
    """Each measure's re-solve: the plan without it, or with it forced."""

    noun, one = "measures", "measure"

    def candidates(self) -> np.ndarray:
        layout = self.formulation.layout
        measures = np.unique(layout.a_measure)
        return measures[~self.instance.measures.table["required"].to_numpy(bool)[measures]]

    def _ids(self) -> np.ndarray:
        return self.instance.measures.table["measure_id"].to_numpy()

    def _opened(self, values: np.ndarray) -> np.ndarray:
        """(M,) does the solution start each measure?"""
        layout = self.formulation.layout
        started = np.zeros(len(self.instance.measures), dtype=bool)
        started[layout.a_measure[np.round(layout.starts(values)) > 0.5]] = True
        return started

    def _columns_of(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """The measure's start columns and the capital they draw (flat)."""
        layout = self.formulation.layout
        a = np.flatnonzero(layout.a_measure == m)
        q = layout.q_start + np.flatnonzero(np.isin(layout.q_a, a))
        return layout.a_start + a, q

    def _forced_start(self, plan: CaseSolution, m: int, a: np.ndarray,
                      q: np.ndarray) -> np.ndarray:
        """The plan with the measure started as early as it may (running by every year
        of its window); HiGHS completes it by an LP if the capital allows, else drops it."""
        start = plan.values.copy()
        start[q] = 0.0
        start[a] = 1.0
        return start

    def _entry_price(self, plan: CaseSolution, forced: CaseSolution, e: int) -> None:
        return None  # a measure's price is mostly running cost: no capital entry price

    def attach(self, results: Results) -> None:
        """Each measure's values in summary.json `inclusion` (blank where not computed),
        with the status and checks of the solves."""
        inclusion = results.summary.get("inclusion")
        if inclusion is None:
            return
        table = self.table().set_index("option_id")
        ids = self._ids()
        programmes = {str(ids[v.option]): list(v.programme) for v in self.values
                      if v.npv_change is not None}
        for measure_id, entry in inclusion.items():
            for column in COLUMNS[:3]:
                value = table.at[measure_id, column] if measure_id in table.index else None
                entry[column] = None if value is None or value != value else float(value)
            # the options the plan would build without the measure (or with it forced)
            entry["options_built_otherwise"] = programmes.get(measure_id)
        results.summary["inclusion_values"] = self.summary()
        results.summary["solve"]["timings"]["measure_values"] = round(self.seconds, 3)

