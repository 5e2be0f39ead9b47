"""Uncertain demand: futures drawn around a scenario, and what the samples say together.

`placeopt batch --samples N --seed S` solves each chosen scenario N more times, each
with its demand multiplied by a random growth path (docs/batch.md, "Uncertain demand"):

    demand'[row, k] = demand[row, k] · exp(s[k] + x[n, p, k] − c[k])
    s[k] = Σ_{j=1..k} σ · a[j]            x[n, p, k] = Σ_{j=1..k} τ_p · b[n, p, j]

for need n, phase p and planning year index k (k = 0, the first year, is taken as known).
`a` is one path for the whole authority: its yearly errors have the spread σ and the
persistence ρ of placeopt forecast's error model, calibrated on SEN2's history for an
authority of the workbook's size (`forecast.calibration`), so the samples' demand spreads
exactly as the forecast's band. `b` is a path of its own for each need and phase: the
mix shifts (τ_p from SEN2, January 2024 to 2025). c[k] takes the mix's shifts out of the
year's total, so each sample's total demand is the scenario's times exp(s[k]): the mix
moves pupils between needs and phases, the whole-authority path moves the total.
`a` and `b` are standard normal AR(1) series, each value correlated ρ with the one
before. The median multiplier of the total is 1.

`--spread` replaces σ (the persistence and the mix stay as calibrated).

Each sample also draws the share of every inclusion measure from its evidence range
(`ShareSample`), so the samples show how often each measure is funded across the range.

Reproducible: sample i of seed S draws the same numbers whatever the number of samples,
the scenario, the other scenarios of the batch or the machine that solves it. Every
scenario gets the same draws for sample i (common random numbers), so two scenarios'
samples differ by the scenarios, not by luck.
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..forecast.calibration import ErrorModel, horizon_variance, shipped_model, z_score
from ..problems import InputError
from ..workbook.inputs import Inputs
from ..workbook.scenarios import apply_scenario
from ..workbook.schema import PHASES

# Standard deviation of a phase's annual growth in an LA minus the LA's own growth, net of
# England's phase mix, January 2024 to 2025 (the one pair of years SEN2 gives ages for;
# inputs/sen2_growth_spread.py).
SEN2_PHASE_SPREAD: dict[str, float] = {"early_years": 0.21, "primary": 0.046,
                                       "secondary": 0.039, "post16": 0.080, "post19": 0.20}
SPECIALIST = ("resourced", "special")  # a Demand of these levels only is specialist places
PERCENTILES = (10, 50, 90)


@dataclass(frozen=True)
class DemandModel:
    """The spread of the whole authority's yearly demand error (log), how persistent it
    is, the mix's spread by phase, and where the first two came from."""

    spread: float
    persistence: float
    phase_spread: dict[str, float] = field(default_factory=lambda: dict(SEN2_PHASE_SPREAD))
    basis: str = "given"
    calibrated_spread: float | None = None  # what --spread replaced, if it did

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

    @classmethod
    def calibrated(cls, inputs: Inputs, errors: ErrorModel | None = None) -> DemandModel:
        """The forecast's error model for this workbook: specialist places if its Demand
        is resourced and special places only, else all plans; sized by its demand in the
        first planning year."""
        errors = errors or shipped_model()
        demand = inputs.tables["Demand"]
        levels = set(demand["provision"].astype(str).str.lower())
        measure = "specialist" if levels and levels <= set(SPECIALIST) else "total"
        size = float(demand.loc[demand["year"] == inputs.years[0], "pupils"].sum())
        fit = errors.of(measure)
        origins = f"January {min(errors.origins) + 1}-{max(errors.origins) + 1}"
        basis = (f"placeopt forecast's error model for "
                 f"{'specialist places' if measure == 'specialist' else 'all plans'}, "
                 f"{size:,.0f} pupils in {inputs.years[0]}: its SEN2 backtest from {origins}")
        return cls(float(fit.yearly(size)), fit.persistence, basis=basis)

    def overridden(self, spread: float) -> DemandModel:
        """The model with σ replaced by `spread` (--spread)."""
        return dataclasses.replace(self, spread=spread, calibrated_spread=self.spread,
                                   basis=f"--spread {spread:g}, in place of {self.spread:.4f} "
                                         f"from {self.basis}")

    def band(self, central: np.ndarray, coverage: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of the total demand `central` (by planning year, the first known)
        that `coverage` of the samples fall inside."""
        k = np.arange(len(central))
        width = z_score(coverage) * self.spread * np.sqrt(horizon_variance(k, self.persistence))
        return central * np.exp(-width), central * np.exp(width)

    def describe(self) -> dict[str, Any]:
        return {"spread": self.spread, "persistence": self.persistence,
                "phase_spread": {p: self.phase_spread[p] for p in PHASES},
                "basis": self.basis}


def _ar1(rng: np.random.Generator, steps: int, persistence: float) -> np.ndarray:
    """A standard normal AR(1) path: each value has variance 1, correlation `persistence`
    with the one before. Drawn one step at a time, so a longer path extends a shorter."""
    shocks = rng.standard_normal(steps)
    path = np.empty(steps)
    carry = np.sqrt(1 - persistence**2)
    for j in range(steps):
        path[j] = shocks[j] if j == 0 else persistence * path[j - 1] + carry * shocks[j]
    return path


def _cumulative(steps: np.ndarray) -> np.ndarray:
    """0 in the first year, then the running sum of the yearly steps."""
    return np.concatenate([[0.0], np.cumsum(steps)])


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

    def shared(self, n_years: int) -> np.ndarray:
        """s[k], k = 0 .. n_years − 1: the whole authority's log multiplier (s[0] = 0)."""
        steps = _ar1(self._rng(0), max(n_years - 1, 0), self.model.persistence)
        return _cumulative(self.model.spread * steps)

    def mix(self, need: str, phase: str, n_years: int) -> np.ndarray:
        """x[n, p, k]: the need and phase's own log shift, before c[k] is taken out."""
        steps = _ar1(self._rng(1, zlib.crc32(need.encode()), PHASES.index(phase)),
                     max(n_years - 1, 0), self.model.persistence)
        return _cumulative(self.model.phase_spread[phase] * steps)

    def __call__(self, inputs: Inputs) -> None:
        demand = inputs.tables["Demand"]
        k = np.maximum(demand["year"].to_numpy(int) - inputs.years[0], 0)
        n_years = max(len(inputs.years), int(k.max(initial=0)) + 1)
        pupils = demand["pupils"].to_numpy(float)
        shift = np.zeros(len(demand))
        for (need, phase), rows in demand.groupby(["need", "phase"], sort=False).indices.items():
            shift[rows] = self.mix(need, phase, n_years)[k[rows]]
        # c[k] = log of the year's demand-weighted mean of exp(x): the total stays put
        weighted = np.bincount(k, pupils * np.exp(shift), minlength=n_years)
        total = np.bincount(k, pupils, minlength=n_years)
        centre = np.log(np.divide(weighted, total, out=np.ones(n_years), where=total > 0))
        factor = np.exp(self.shared(n_years)[k] + shift - centre[k])
        demand["pupils"] = (pupils * factor).round(3)

    def describe(self) -> dict[str, Any]:
        return {"seed": self.seed, "sample": self.index, **self.model.describe()}


def sampled_demand(inputs: Inputs, scenarios: list[str], model: DemandModel, seed: int,
                   samples: int) -> pd.DataFrame:
    """batch_demand.csv: each scenario's total demand by planning year as the workbook
    gives it (central), the P10, P50 and P90 of its samples 1..`samples`, and the model's
    80% band (band_low, band_high). A sample's total is the central times exp(s[k]), so
    these need no solve."""
    frames = []
    for scenario in scenarios:
        try:
            chosen = apply_scenario(inputs, scenario)
        except InputError:  # its rows say why it was not solved
            continue
        years = chosen.years
        central = chosen.tables["Demand"].groupby("year")["pupils"].sum() \
            .reindex(years, fill_value=0.0).to_numpy(float)
        paths = np.array([np.exp(DemandSample(model, seed, i).shared(len(years)))
                          for i in range(1, samples + 1)]) * central
        p10, p50, p90 = np.percentile(paths, PERCENTILES, axis=0)
        low, high = model.band(central)
        frames.append(pd.DataFrame({"scenario": scenario, "year": years, "central": central,
                                    "P10": p10, "P50": p50, "P90": p90, "band_low": low,
                                    "band_high": high}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["scenario", "year", "central", "P10", "P50", "P90", "band_low", "band_high"])


# --- Uncertain effect of inclusion measures -----------------------------------------------


@dataclass(frozen=True)
class ShareSample:
    """Sample `index` (from 1) of seed `seed` of each inclusion measure's share: applied to
    a scenario's inputs beside its demand sample (`build_case(adjust=...)`), it draws each
    measure's share from its evidence range [share_low, share_high] by a beta-PERT
    distribution whose mode is the workbook's share (the three-point estimate of project
    appraisal: low, most likely, high; weight 4 on the mode). A measure whose range is a
    single value keeps it. Each measure's draw depends on the seed, the sample and the
    measure's id only: the same in every scenario (common random numbers) and whatever
    other measures or demand draws there are."""

    seed: int
    index: int

    def __call__(self, inputs: Inputs) -> None:
        table = inputs.tables.get("Inclusion")
        if table is None or table.empty:
            return
        table["share"] = [self.draw(str(m), s, lo, hi) for m, s, lo, hi in zip(
            table["measure_id"], table["share"], table["share_low"], table["share_high"],
            strict=True)]

    def draw(self, measure_id: str, share: float, low: float, high: float) -> float:
        """One share from [low, high] (blank: share) with mode `share`."""
        low = share if np.isnan(low) else low
        high = share if np.isnan(high) else high
        if not high > low:
            return share
        rng = np.random.default_rng(np.random.SeedSequence(
            self.seed, spawn_key=(self.index, 2, zlib.crc32(measure_id.encode()))))
        alpha = 1 + 4 * (share - low) / (high - low)
        beta = 1 + 4 * (high - share) / (high - low)
        return round(float(low + (high - low) * rng.beta(alpha, beta)), 6)


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
