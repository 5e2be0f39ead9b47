"""The forecast's error model, calibrated on the errors the method made at earlier origins.

For a measure m ('total': all plans; 'specialist': places of one or more provision
levels), an authority whose count at the origin is N, and h years ahead:

    log(actual / projected) ~ Normal(0, s²),   s² = σ² · (1 + N₀ / N) · V(h; ρ),
    V(h; ρ) = Σ_{i,j = 1..h} ρ^|i−j|

the log error is the sum of h yearly errors, each of spread σ·√(1 + N₀/N), one year's
correlated with the next's by ρ (an AR(1) series). That is the path `placeopt batch
--samples` draws, so the batch and the forecast's interval describe one future.

Fitted per measure on the rolling-origin backtest's errors (`backtest.rolling_errors`),
in three steps, each robust to a few wild errors (data breaks):

1. ρ: how the spread of the errors grows with the horizon at one origin (the same
   authorities), the spread of h years ahead over that of one year ahead against √V(h; ρ);
   ρ = 0 where no origin has two horizons.
2. N₀: the spread of the errors, over √V, in five groups of authorities by size, against
   a + b / N (weighted least squares): N₀ = b / a.
3. σ: split-conformal: the 80% quantile of |log error| / √((1 + N₀/N) · V(h; ρ)) over all
   the errors, divided by the normal's 1.2816; so 80% of the errors fitted lie inside
   the 80% band. Other coverages follow the normal.

The model shipped with placeopt (`error_model.json` beside this module) is fitted on
every error of the default method; `placeopt forecast calibrate` rewrites it, and
`placeopt forecast backtest` fits its own on the origins before the years it holds out.
docs/forecast.md gives the figures and what they assume.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

SHIPPED = Path(__file__).with_name("error_model.json")
MEASURES = ("total", "specialist")
COVERAGE = 0.8  # the band the conformal step calibrates
SIZE_GROUPS = 5
MIN_SPREAD_ROWS = 20  # errors at one origin and horizon to measure a spread from
PERSISTENCE_GRID = np.round(np.arange(0, 0.951, 0.01), 2)
MAX_SIZE_SCALE = 100_000.0


def z_score(coverage: float) -> float:
    """The standard normal quantile of a central band holding `coverage`."""
    return NormalDist().inv_cdf((1 + coverage) / 2)


def horizon_variance(horizon: np.ndarray | int, persistence: float) -> np.ndarray:
    """V(h; ρ) = Σ_{i,j=1..h} ρ^|i−j|: the variance of a sum of h standard AR(1) steps
    (0 at h = 0)."""
    h = np.asarray(horizon, dtype=float)
    rho = persistence
    if rho == 0:
        return h
    # closed form of h + 2 Σ_{k=1}^{h-1} (h - k) ρ^k
    return h + 2 * rho * (h * (1 - rho) - (1 - rho ** h)) / (1 - rho) ** 2


@dataclass(frozen=True)
class MeasureErrors:
    """The calibrated errors of one measure."""

    measure: str
    sigma: float  # spread of one year's log error for a large authority
    size_scale: float  # N₀: the size at which counting noise doubles that variance
    persistence: float  # ρ: correlation of one year's error with the next's
    errors: int  # how many errors it was fitted on

    def yearly(self, size: np.ndarray | float) -> np.ndarray:
        """Spread of one year's log error for an authority of `size` (its count)."""
        return self.sigma * np.sqrt(1 + self.size_scale / np.maximum(size, 1.0))

    def spread(self, size: np.ndarray | float, horizon: np.ndarray | int) -> np.ndarray:
        """s: the standard deviation of the log error `horizon` years ahead."""
        return self.yearly(size) * np.sqrt(horizon_variance(horizon, self.persistence))


@dataclass(frozen=True)
class ErrorModel:
    """One error model per measure, and where it came from."""

    measures: tuple[MeasureErrors, ...]
    origins: tuple[int, ...]  # the forecast origins whose errors it was fitted on
    through: int  # the latest SEN2 year among those errors
    method: str  # the method whose errors they are ('default', or its parameters)

    def of(self, measure: str) -> MeasureErrors:
        return next(m for m in self.measures if m.measure == measure)

    def ends(self, central: np.ndarray, size: np.ndarray, ahead: np.ndarray, measure: str,
             coverage: float) -> tuple[np.ndarray, np.ndarray]:
        """(low, high): the band holding `coverage` around `central`, for authorities (or
        levels) of `size` at the origin, `ahead` years ahead."""
        width = z_score(coverage) * self.of(measure).spread(size, ahead)
        return central * np.exp(-width), central * np.exp(width)

    def band(self, values: np.ndarray, measure: str, coverage: float
             ) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) around central `values` (years, ...): the first year is the origin
        (no error), year k is k years ahead; each series is sized by its first value."""
        values = np.asarray(values, dtype=float)
        ahead = np.arange(len(values)).reshape((-1,) + (1,) * (values.ndim - 1))
        return self.ends(values, values[:1], ahead, measure, coverage)

    def sentence(self) -> str:
        """How the interval was calibrated, in one sentence for reports."""
        first, last = min(self.origins), max(self.origins)
        parts = "; ".join(
            f"{'all plans' if m.measure == 'total' else 'specialist places'}: σ {m.sigma:.3f} "
            f"a year, N₀ {m.size_scale:,.0f}, ρ {m.persistence:.2f} ({m.errors:,} errors)"
            for m in self.measures)
        return (f"Calibrated on the errors the method made projecting every authority from "
                f"the SEN2 counts of January {first + 1} to January {last + 1} and judged "
                f"against the counts up to January {self.through + 1} (rolling origins; "
                f"docs/forecast.md): {parts}. The band is the normal spread of those errors "
                f"for the authority's size and the years ahead.")

    def to_json(self) -> str:
        data = {"about": "placeopt forecast's error model (src/placeopt/forecast/"
                         "calibration.py); written by `placeopt forecast calibrate`",
                "origins": list(self.origins), "through": self.through,
                "method": self.method,
                "measures": [asdict(m) for m in self.measures]}
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ErrorModel:
        data = json.loads(text)
        return cls(tuple(MeasureErrors(**m) for m in data["measures"]),
                   tuple(data["origins"]), data["through"], data["method"])


@lru_cache(maxsize=1)
def shipped_model() -> ErrorModel:
    """The error model placeopt ships, fitted on every error of the default method."""
    return ErrorModel.from_json(SHIPPED.read_text(encoding="utf-8"))


# --- Fitting --------------------------------------------------------------------------

class NothingToCalibrate(ValueError):
    """No error of a measure is known before the years judged."""


def scored(errors: pd.DataFrame) -> pd.DataFrame:
    """The errors that can be scored, with e = log(actual / projected)."""
    rows = errors[(errors["note"].fillna("") == "") & (errors["actual"] > 0)
                  & (errors["projected"] > 0)].copy()
    rows["e"] = np.log(rows["actual"] / rows["projected"])
    return rows


def _spread(values: pd.Series | np.ndarray) -> float:
    """A normal standard deviation from the 10th and 90th percentiles."""
    low, high = np.quantile(np.asarray(values, dtype=float), [0.1, 0.9])
    return float((high - low) / (2 * z_score(0.8)))


def fit_persistence(rows: pd.DataFrame) -> float:
    """ρ from the growth of the errors' spread with the horizon, origin by origin."""
    points = []  # (horizon, log of spread ratio to one year ahead, weight)
    for _, at_origin in rows.groupby("origin"):
        by_horizon = {h: part["e"] for h, part in at_origin.groupby("years_ahead")
                      if len(part) >= MIN_SPREAD_ROWS}
        if 1 not in by_horizon:
            continue
        first = _spread(by_horizon[1])
        points += [(h, math.log(_spread(e) / first), len(e))
                   for h, e in by_horizon.items() if h > 1 and first > 0 and _spread(e) > 0]
    if not points:
        return 0.0
    h, ratio, weight = (np.array(x, dtype=float) for x in zip(*points, strict=True))
    losses = [float(np.sum(weight * (ratio - 0.5 * np.log(horizon_variance(h, rho))) ** 2))
              for rho in PERSISTENCE_GRID]
    return float(PERSISTENCE_GRID[int(np.argmin(losses))])


def fit_size_scale(rows: pd.DataFrame, persistence: float) -> float:
    """N₀ from the spread of the errors (over √V) in groups of authorities by size."""
    standard = rows["e"] / np.sqrt(horizon_variance(rows["years_ahead"], persistence))
    groups = pd.qcut(rows["size"], SIZE_GROUPS, labels=False, duplicates="drop")
    table = pd.DataFrame({"s": standard, "size": rows["size"], "group": groups})
    stats = table.groupby("group").agg(size=("size", "median"), n=("s", "size"))
    stats["variance"] = table.groupby("group")["s"].apply(_spread) ** 2
    if len(stats) < 2:
        return 0.0
    weight = np.sqrt(stats["n"].to_numpy(float))
    design = np.column_stack([np.ones(len(stats)), 1 / stats["size"].to_numpy(float)])
    (a, b), *_ = np.linalg.lstsq(design * weight[:, None],
                                 stats["variance"].to_numpy(float) * weight, rcond=None)
    if b <= 0:
        return 0.0
    return float(min(b / a, MAX_SIZE_SCALE)) if a > 0 else MAX_SIZE_SCALE


def conformal_sigma(scores: np.ndarray) -> float:
    """σ whose normal 80% band holds 80% of the scores (split conformal: the
    ⌈(n + 1) · 0.8⌉-th smallest score, over 1.2816)."""
    ordered = np.sort(np.asarray(scores, dtype=float))
    rank = min(math.ceil((len(ordered) + 1) * COVERAGE), len(ordered))
    return float(ordered[rank - 1] / z_score(COVERAGE))


def fit_measure(rows: pd.DataFrame, measure: str) -> MeasureErrors:
    """The three steps of the module's docstring, on one measure's scored errors."""
    rho = fit_persistence(rows)
    size_scale = fit_size_scale(rows, rho)
    scores = np.abs(rows["e"]) / np.sqrt((1 + size_scale / np.maximum(rows["size"], 1.0))
                                         * horizon_variance(rows["years_ahead"], rho))
    # the hardest origin seen: its errors share the years that followed it, and the
    # years differ more than the few origins can show (docs/forecast.md)
    sigma = max(conformal_sigma(part) for _, part in scores.groupby(rows["origin"]))
    return MeasureErrors(measure, round(sigma, 5), round(size_scale, 1), rho, len(scores))


def fit_error_model(errors: pd.DataFrame, method: str = "default") -> ErrorModel:
    """The error model of a rolling-origin backtest's errors (all of them: select the
    years before those judged first)."""
    rows = scored(errors)
    fits = []
    for measure in MEASURES:
        part = rows[rows["measure"] == measure]
        if part.empty:
            raise NothingToCalibrate(f"no error of the {measure} measure to calibrate on")
        fits.append(fit_measure(part, measure))
    return ErrorModel(tuple(fits), tuple(int(o) for o in sorted(rows["origin"].unique())),
                      int(rows["year"].max()), method)


def judged_at_every_origin(errors: pd.DataFrame, method: str = "default") -> pd.DataFrame:
    """Coverage of the 80% band at each origin that has earlier errors, the model fitted
    on the errors known at that origin only (their years up to it): see
    `coverage_records`."""
    rows = scored(errors)
    records = []
    for origin in sorted(rows["origin"].unique()):
        known = errors[errors["year"] <= origin]
        try:
            model = fit_error_model(known, method)
        except NothingToCalibrate:
            continue
        records += coverage_records(model, rows[rows["origin"] == origin], "every origin")
    return pd.DataFrame(records)


def coverage_records(model: ErrorModel, rows: pd.DataFrame, judged: str) -> list[dict]:
    """Coverage and median width (high − low over the projection) of `model`'s 80% band
    over scored rows, by measure, origin and horizon; `judged` names the set of rows."""
    records = []
    for (measure, origin, ahead), part in rows.groupby(["measure", "origin", "years_ahead"]):
        half = z_score(COVERAGE) * model.of(measure).spread(part["size"], ahead)
        records.append({"measure": measure, "judged": judged, "origin": int(origin),
                        "calibrated_on": len(model.origins), "years_ahead": int(ahead),
                        "rows": len(part),
                        "coverage": float((np.abs(part["e"]) <= half).mean()),
                        "median_width": float(np.median(np.exp(half) - np.exp(-half)))})
    return records
