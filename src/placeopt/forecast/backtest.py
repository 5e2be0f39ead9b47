"""Backtests: project each authority from an earlier SEN2 year (an origin) and compare
with what SEN2 counted later, and with a naive projection.

`rolling_errors`: every origin with at least `MIN_HISTORY` years of history up to it,
every authority, every year ahead up to the latest count, both measures. These are the
errors the forecast's interval is calibrated on (`calibration`).

`backtest`: holds out the last K years. Every authority is projected from the origin K
years before the latest count, and the interval comes from an error model fitted only on
the errors known at that origin (years up to it): the held-out years judge it.

naive = the last count kept × (1 + the growth of the years the model used) ^ years ahead.
Measures: `total` (all plans) and `specialist` (state special and independent or
non-maintained special schools, resourced provision and SEN units).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .calibration import (
    ErrorModel,
    coverage_records,
    fit_error_model,
    judged_at_every_origin,
    scored,
)
from .cohort import NotEnoughHistory, project
from .method import DEFAULT_METHOD, Method
from .sen2 import LEVELS, Authority, History, Sen2

MEASURES = ("total", "specialist")
MIN_HISTORY = 3  # years of history up to an origin of the rolling backtest
ERROR_COLUMNS = ["la_code", "la_name", "origin", "year", "years_ahead", "measure", "size",
                 "actual", "projected", "naive", "note"]
COLUMNS = ["la_code", "la_name", "year", "measure", "actual", "projected", "naive",
           "years_ahead", "low", "high", "origin", "size", "note"]
SIZE_BANDS = (0, 500, 1000, 2000, 4000, np.inf)  # plans of the measure at the origin
# A year whose placement SEN2 does not record for more than this share of plans cannot be
# compared on the specialist measure.
MAX_NOT_RECORDED = 0.05


def observed(history: History, measure: str) -> dict[int, float]:
    """The measure by year as SEN2 counted it (NaN: not published)."""
    if measure == "total":
        values = history.plans
    else:
        values = history.by_level[:, [LEVELS.index("resourced"), LEVELS.index("special")]] \
            .sum(axis=1)
    return dict(zip(history.years, values.astype(float), strict=True))


def naive(series: dict[int, float], first: int, last: int, ahead: np.ndarray) -> np.ndarray:
    """series[last] × (1 + g) ^ ahead, g the compound growth from `first` to `last`."""
    start, end = series.get(first, np.nan), series.get(last, np.nan)
    if not (start > 0 and end >= 0):
        return np.full(len(ahead), np.nan)
    growth = (end / start) ** (1 / (last - first))
    return end * growth ** ahead


def _comparable(history: History, year: int, measure: str) -> str:
    """Why the year's count cannot be scored on the measure ('' if it can)."""
    i = history.years.index(year)
    if measure == "total":
        return ""
    if np.isnan(history.by_level[i]).any():
        return "placements not published"
    share = history.not_recorded[i] / history.plans[i]
    if share > MAX_NOT_RECORDED:
        return f"placement not recorded for {share:.0%} of plans"
    return ""


def project_from(history: History, england: History, origin: int,
                 method: Method = DEFAULT_METHOD) -> list[dict[str, object]]:
    """Rows of errors.csv: `history` projected from `origin` to its latest year."""
    held = [y for y in history.years if y > origin]
    base = {"la_code": history.authority.new_code, "la_name": history.authority.name,
            "origin": origin}
    try:
        projection = project(history.until(origin), england.until(origin),
                             history.last_year - origin, method)
    except NotEnoughHistory as exc:
        return [{**base, "year": y, "years_ahead": y - origin, "measure": m,
                 "actual": observed(history, m)[y], "note": f"not projected: {exc}"}
                for y in held for m in MEASURES]
    first_used = projection.estimate.growth_years[0]
    ahead = np.arange(1, history.last_year - origin + 1)
    rows = []
    for measure in MEASURES:
        central = projection.measure(measure)
        series = observed(history, measure)
        simple = naive({y: v for y, v in series.items() if y <= origin}, first_used, origin,
                       ahead)
        start = _comparable(history, origin, measure)  # an incomplete count at the origin
        for year in held:
            k = year - origin
            note = _comparable(history, year, measure) or (start and f"at the origin: {start}")
            if not note and not series[year] > 0:
                note = "actual is 0"
            if not note and np.isnan(simple[k - 1]):
                note = f"no naive projection (no count in {first_used} or {origin})"
            rows.append({**base, "year": year, "years_ahead": k, "measure": measure,
                         "size": central[0], "actual": series[year], "projected": central[k],
                         "naive": simple[k - 1], "note": note})
    return rows


def rolling_errors(histories: dict[Authority, History], england: History,
                   method: Method = DEFAULT_METHOD) -> pd.DataFrame:
    """errors.csv: every authority projected from every origin with at least
    `MIN_HISTORY` years of history up to it, to the latest count."""
    rows = []
    for history in histories.values():
        for origin in history.years[MIN_HISTORY - 1:-1]:
            rows += project_from(history, england, origin, method)
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


def with_band(rows: pd.DataFrame, model: ErrorModel, coverage: float) -> pd.DataFrame:
    """`rows` with low and high: the model's band around each projection."""
    rows = rows.copy()
    rows["low"], rows["high"] = np.nan, np.nan
    for measure, part in rows.groupby("measure"):
        low, high = model.ends(part["projected"].to_numpy(float), part["size"].to_numpy(float),
                               part["years_ahead"].to_numpy(int), measure, coverage)
        rows.loc[part.index, "low"], rows.loc[part.index, "high"] = low, high
    return rows


@dataclass(frozen=True)
class Backtest:
    """A hold-out backtest and the rolling-origin errors behind its interval."""

    table: pd.DataFrame  # backtest.csv: the held-out years of the chosen authorities
    errors: pd.DataFrame  # errors.csv: every authority, every origin
    model: ErrorModel  # fitted on the errors known at the hold-out's origin
    origin: int


def read_histories(sen2: Sen2, progress: Callable[[int, Authority], None] | None = None
                   ) -> dict[Authority, History]:
    histories = {}
    for i, authority in enumerate(sen2.authorities()):
        if progress is not None:
            progress(i, authority)
        histories[authority] = sen2.history(authority, needs=False)
    return histories


def backtest(sen2: Sen2, authorities: list[Authority], hold_out: int,
             method: Method = DEFAULT_METHOD,
             progress: Callable[[int, Authority], None] | None = None) -> Backtest:
    """Hold out the last `hold_out` years: backtest.csv for `authorities`, the interval
    fitted on every authority's errors known at the origin (NothingToCalibrate if none)."""
    england = sen2.england()
    histories = read_histories(sen2, progress)
    errors = rolling_errors(histories, england, method)
    origin = england.last_year - hold_out
    model = fit_error_model(errors[errors["year"] <= origin], method.label())
    rows = []
    for authority in authorities:
        history = histories[authority]
        rows += project_from(history, england, history.last_year - hold_out, method)
    table = with_band(pd.DataFrame(rows, columns=ERROR_COLUMNS), model, method.interval)
    return Backtest(table[COLUMNS], errors, model, origin)


def _scores(part: pd.DataFrame) -> dict[str, float]:
    """MAPE, median APE and bias (mean signed error, % of actual) of the cohort model and
    the naive projection, and how often the cohort model is the closer."""
    error = 100 * (part["projected"] - part["actual"]) / part["actual"]
    naive_error = 100 * (part["naive"] - part["actual"]) / part["actual"]
    return {"mape_cohort": error.abs().mean(), "mape_naive": naive_error.abs().mean(),
            "median_ape_cohort": error.abs().median(),
            "median_ape_naive": naive_error.abs().median(),
            "bias_cohort": error.mean(), "bias_naive": naive_error.mean(),
            "cohort_closer": (error.abs() < naive_error.abs()).mean()}


def _ordered(records: list[dict], by: str) -> pd.DataFrame:
    order = {m: i for i, m in enumerate(MEASURES)}
    frame = pd.DataFrame(records)
    keys = frame[by].map(lambda a: 99 if a == "all" else a)
    return frame.assign(_m=frame["measure"].map(order), _k=keys.astype(float)) \
        .sort_values(["_m", "_k"]).drop(columns=["_m", "_k"]).reset_index(drop=True)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """backtest_summary.csv: the scores, the interval's coverage and its median width
    (high − low, % of the projection), by measure and years ahead (and all together)."""
    rows = table[table["note"].fillna("") == ""]
    records = []
    for (measure, ahead), part in pd.concat(
            [rows.astype({"years_ahead": object}), rows.assign(years_ahead="all")]).groupby(
            ["measure", "years_ahead"], sort=False):
        inside = (part["low"] <= part["actual"]) & (part["actual"] <= part["high"])
        records.append({"measure": measure, "years_ahead": ahead,
                        "authorities": part["la_code"].nunique(), "rows": len(part),
                        **_scores(part), "coverage": inside.mean(),
                        "median_width": 100 * ((part["high"] - part["low"])
                                               / part["projected"]).median()})
    return _ordered(records, "years_ahead")


def summarise_errors(errors: pd.DataFrame) -> pd.DataFrame:
    """errors_summary.csv: the rolling-origin scores by measure and years ahead, and by
    measure and authority size (the measure's count at the origin)."""
    rows = scored(errors)
    band = pd.cut(rows["size"], SIZE_BANDS, right=False)
    rows["size_band"] = [f"{b.left:.0f}+" if b.right == np.inf
                         else f"{b.left:.0f}-{b.right - 1:.0f}" for b in band]
    records = []
    for by in ("years_ahead", "size_band"):
        for (measure, key), part in pd.concat([rows.astype({by: object}),
                                               rows.assign(**{by: "all"})]).groupby(
                ["measure", by], sort=False):
            if by == "size_band" and key == "all":
                continue
            records.append({"measure": measure, "by": by.replace("_", " "), "group": key,
                            "origins": part["origin"].nunique(),
                            "authorities": part["la_code"].nunique(), "rows": len(part),
                            **_scores(part), "sd_log_error": part["e"].std()})
    frame = pd.DataFrame(records)
    frame["_by"] = frame["by"].map({"years ahead": 0, "size band": 1})
    frame["_m"] = frame["measure"].map({m: i for i, m in enumerate(MEASURES)})
    frame["_g"] = [99.0 if g == "all" else (float(g) if b == 0 else
                   float(str(g).split("-")[0].rstrip("+")))
                   for g, b in zip(frame["group"], frame["_by"], strict=True)]
    return frame.sort_values(["_by", "_m", "_g"]).drop(columns=["_by", "_m", "_g"]) \
        .reset_index(drop=True)


def coverage_table(result: Backtest) -> pd.DataFrame:
    """coverage.csv: the 80% band's coverage by measure and years ahead, at every origin
    judged on the errors known there, and in the hold-out of the chosen authorities."""
    judged = judged_at_every_origin(result.errors, result.model.method)
    held = coverage_records(result.model, scored(result.table), "hold-out")
    return pd.concat([judged, pd.DataFrame(held)], ignore_index=True)


def write_backtest(result: Backtest, summary: pd.DataFrame, folder: Path) -> list[Path]:
    """The backtest's files in `folder`; returns them."""
    from .report import coverage_chart  # matplotlib: only when writing

    folder.mkdir(parents=True, exist_ok=True)
    coverage = coverage_table(result)
    files = {"backtest.csv": result.table, "backtest_summary.csv": summary,
             "errors.csv": result.errors, "errors_summary.csv": summarise_errors(result.errors),
             "coverage.csv": coverage}
    written = []
    for name, frame in files.items():
        frame.to_csv(folder / name, index=False, float_format="%.6g")
        written.append(folder / name)
    (folder / "calibration.json").write_text(result.model.to_json(), encoding="utf-8")
    (folder / "coverage.svg").write_text(coverage_chart(coverage), encoding="utf-8")
    return [*written, folder / "calibration.json", folder / "coverage.svg"]
