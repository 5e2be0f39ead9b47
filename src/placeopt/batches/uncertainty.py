"""Uncertain demand: futures drawn around a scenario, and what the samples say together.

`placeopt batch --samples N --seed S` solves each chosen scenario N more times, each
with its demand multiplied by a random growth path (docs/batch.md, "Uncertain demand"):

    log M[n, p, k] = sum over j = 1..k of ( spread * a[j] + phase_spread[p] * b[n, p, j] )

for need n, phase p and planning year index k (M = 1 in the first year, whose demand is
taken as known). `a` is one path shared by every need and phase (the whole authority
grows faster or slower than projected); `b` is a path of its own for each need and
phase (the mix shifts). Both are standard normal AR(1) series with correlation
`persistence` between one year and the next, so a fast year tends to be followed by
another. The median multiplier is 1: half the futures lie above the scenario's
projection and half below.

The defaults come from the DfE SEN2 2025 release, derived in inputs/sen2_growth_spread.py.

Reproducible: sample i of seed S draws the same numbers whatever the number of samples,
the scenario, the other scenarios of the batch or the machine that solves it. Every
scenario gets the same draws for sample i (common random numbers), so two scenarios'
samples differ by the scenarios, not by luck.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..workbook.inputs import Inputs
from ..workbook.schema import PHASES

# Standard deviation of one LA's annual log growth in EHC plans minus England's growth in
# the same year, over 893 LA-years 2019/20-2024/25 (SEN2 2025; inputs/sen2_growth_spread.py).
SEN2_SPREAD = 0.060
# Correlation of that deviation between consecutive years (same data).
SEN2_PERSISTENCE = 0.22
# Standard deviation of a phase's annual growth in an LA minus the LA's own growth, net of
# England's phase mix, January 2024 to 2025 (the one pair of years SEN2 gives ages for).
SEN2_PHASE_SPREAD: dict[str, float] = {"early_years": 0.21, "primary": 0.046,
                                       "secondary": 0.039, "post16": 0.080, "post19": 0.20}
PERCENTILES = (10, 50, 90)


@dataclass(frozen=True)
class DemandModel:
    """The spread of the demand futures (log growth per year) and how persistent it is."""

    spread: float = SEN2_SPREAD
    persistence: float = SEN2_PERSISTENCE
    phase_spread: dict[str, float] = field(default_factory=lambda: dict(SEN2_PHASE_SPREAD))

    def __post_init__(self) -> None:
        if not self.spread >= 0:
            raise ValueError(f"the spread must be >= 0, got {self.spread}")
        if not -1 < self.persistence < 1:
            raise ValueError(f"the persistence must be between -1 and 1, got "
                             f"{self.persistence}")
        missing = set(PHASES) - set(self.phase_spread)
        if missing or any(not v >= 0 for v in self.phase_spread.values()):
            raise ValueError("phase_spread needs a value >= 0 for every phase; missing: "
                             + ", ".join(sorted(missing)))

    def describe(self) -> dict[str, Any]:
        return {"spread": self.spread, "persistence": self.persistence,
                "phase_spread": {p: self.phase_spread[p] for p in PHASES}}


def _ar1(rng: np.random.Generator, steps: int, persistence: float) -> np.ndarray:
    """A standard normal AR(1) path: each value has variance 1, correlation `persistence`
    with the one before. Drawn one step at a time, so a longer path extends a shorter."""
    shocks = rng.standard_normal(steps)
    path = np.empty(steps)
    carry = np.sqrt(1 - persistence**2)
    for j in range(steps):
        path[j] = shocks[j] if j == 0 else persistence * path[j - 1] + carry * shocks[j]
    return path


@dataclass(frozen=True)
class DemandSample:
    """Sample `index` (from 1) of seed `seed`: applied to a scenario's inputs, it multiplies
    each Demand row by its need and phase's growth path. Used as `build_case(adjust=...)`."""

    model: DemandModel
    seed: int
    index: int

    def _rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(self.seed,
                                                            spawn_key=(self.index, *key)))

    def multipliers(self, need: str, phase: str, n_years: int) -> np.ndarray:
        """M[k] for k = 0 .. n_years - 1 (M[0] = 1)."""
        steps = max(n_years - 1, 0)
        shared = _ar1(self._rng(0), steps, self.model.persistence)
        own = _ar1(self._rng(1, zlib.crc32(need.encode()), PHASES.index(phase)), steps,
                   self.model.persistence)
        growth = self.model.spread * shared + self.model.phase_spread[phase] * own
        return np.exp(np.concatenate([[0.0], np.cumsum(growth)]))

    def __call__(self, inputs: Inputs) -> None:
        demand = inputs.tables["Demand"]
        k = np.maximum(demand["year"].to_numpy(int) - inputs.years[0], 0)
        n_years = max(len(inputs.years), int(k.max(initial=0)) + 1)
        factor = np.ones(len(demand))
        for (need, phase), rows in demand.groupby(["need", "phase"], sort=False).indices.items():
            factor[rows] = self.multipliers(need, phase, n_years)[k[rows]]
        demand["pupils"] = (demand["pupils"].to_numpy(float) * factor).round(3)

    def describe(self) -> dict[str, Any]:
        return {"seed": self.seed, "sample": self.index, **self.model.describe()}


# --- What the samples say together ------------------------------------------------------

MEASURES = {  # summary column -> what the percentile table calls it
    "npv": "NPV (£)",
    "capital": "capital (£)",
    "out_of_area_pupils_final_year": "out-of-area pupils, final year",
    "unmet_pupil_years": "unmet pupil-years",
    "regret": "regret (£ of NPV)",
}


def percentiles(table: pd.DataFrame) -> pd.DataFrame:
    """P10, P50 and P90 of each measure over each scenario's solved samples, and where
    the scenario itself (the central case, solved without a sample) falls among them:
    its value and the share of the samples below it (ties count half)."""
    samples = table[table["sample"].notna() & table["solved"]]
    central = table[table["sample"].isna() & table["solved"]].drop_duplicates("scenario")
    central = central.set_index("scenario")
    rows = []
    for scenario, group in samples.groupby("scenario", sort=False):
        failed = int(((table["scenario"] == scenario) & table["sample"].notna()
                      & ~table["solved"]).sum())
        for column, label in MEASURES.items():
            if column not in group or group[column].isna().all():
                continue
            values = group[column].astype(float).dropna().to_numpy()
            p10, p50, p90 = np.percentile(values, PERCENTILES)
            centre = (float(central.at[scenario, column])
                      if scenario in central.index and pd.notna(central.at[scenario, column])
                      else None)
            rows.append({"scenario": scenario, "measure": label, "P10": p10, "P50": p50,
                         "P90": p90, "mean": values.mean(), "samples": len(values),
                         "failed": failed, "central": centre,
                         "central_percentile": None if centre is None
                         else share_below(values, centre)})
    return pd.DataFrame(rows, columns=["scenario", "measure", "P10", "P50", "P90", "mean",
                                       "samples", "failed", "central", "central_percentile"])


def share_below(values: np.ndarray, value: float) -> float:
    """The share of `values` below `value`, ties counting half: where it falls among them
    (0.5 is the middle)."""
    return float(((values < value).sum() + 0.5 * (values == value).sum()) / len(values))


def option_frequencies(table: pd.DataFrame, builds: dict[str, dict[str, int | None]]
                       ) -> pd.DataFrame:
    """How often each option is built over a scenario's solved samples, and in which year.

    `builds` maps a row's label to {option_id: open year, or None if not built}."""
    samples = table[table["sample"].notna() & table["solved"]]
    rows = []
    for scenario, group in samples.groupby("scenario", sort=False):
        years: dict[str, list[int | None]] = {}
        for label in group["label"]:
            for option, year in builds.get(label, {}).items():
                years.setdefault(option, []).append(year)
        n = len(group)
        central = next((builds.get(label, {}) for label in table.loc[
            (table["scenario"] == scenario) & table["sample"].isna() & table["solved"],
            "label"]), {})
        for option, opened in years.items():
            built = [y for y in opened if y is not None]
            row = {"scenario": scenario, "option_id": option, "samples": n,
                   "built_share": len(built) / n,
                   "median_open_year": int(np.median(built)) if built else None,
                   "central_open_year": central.get(option)}
            for year in sorted(set(built)):
                row[f"opens_{year}"] = built.count(year) / n
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    year_columns = sorted(c for c in frame.columns if c.startswith("opens_"))
    frame[year_columns] = frame[year_columns].fillna(0.0)
    for column in ("median_open_year", "central_open_year"):
        frame[column] = frame[column].astype("Int64")
    order = {name: i for i, name in enumerate(dict.fromkeys(frame["scenario"]))}
    frame = frame.assign(_order=frame["scenario"].map(order)).sort_values(
        ["_order", "built_share", "option_id"], ascending=[True, False, True],
        ignore_index=True)
    return frame[["scenario", "option_id", "samples", "built_share", "median_open_year",
                  "central_open_year", *year_columns]]
