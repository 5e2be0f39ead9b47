"""Backtests: project the last K years of each authority's history from the years before,
and compare with what SEN2 counted and with a naive projection.

naive = the last count kept × (1 + the growth of the years the model used) ^ years ahead.
Measures: `total` (all plans) and `specialist` (state special and independent or
non-maintained special schools, resourced provision and SEN units).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .cohort import NotEnoughHistory, project
from .method import DEFAULT_METHOD, Method
from .sen2 import LEVELS, Authority, History, Sen2

MEASURES = ("total", "specialist")
COLUMNS = ["la_code", "la_name", "year", "measure", "actual", "projected", "naive",
           "years_ahead", "low", "high", "note"]
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
    growth = (end / start) ** (1 / (last - first)) - 1
    return end * (1 + growth) ** ahead


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


def backtest_authority(history: History, england: History, hold_out: int,
                       method: Method = DEFAULT_METHOD) -> list[dict[str, object]]:
    """Rows of backtest.csv for one authority."""
    last = history.last_year - hold_out
    held = [y for y in history.years if y > last]
    base = {"la_code": history.authority.new_code, "la_name": history.authority.name}
    try:
        projection = project(history.until(last), england.until(last), hold_out, method)
    except NotEnoughHistory as exc:
        return [{**base, "year": y, "measure": m, "actual": observed(history, m)[y],
                 "years_ahead": y - last, "note": f"not projected: {exc}"}
                for y in held for m in MEASURES]
    first_used = projection.estimate.growth_years[0]
    rows = []
    for measure in MEASURES:
        central, low, high = projection.interval(projection.measure(measure))
        series = observed(history, measure)
        ahead = np.arange(1, hold_out + 1)
        simple = naive({y: v for y, v in series.items() if y <= last}, first_used, last, ahead)
        for k, year in enumerate(range(last + 1, last + hold_out + 1)):
            if year not in history.years:
                continue
            note = _comparable(history, year, measure)
            if not note and not series[year] > 0:
                note = "actual is 0"
            if not note and np.isnan(simple[k]):
                note = f"no naive projection (no count in {first_used} or {last})"
            rows.append({**base, "year": year, "measure": measure, "actual": series[year],
                         "projected": central[k + 1], "naive": simple[k],
                         "years_ahead": k + 1, "low": low[k + 1], "high": high[k + 1],
                         "note": note})
    return rows


def backtest(sen2: Sen2, authorities: list[Authority], hold_out: int,
             method: Method = DEFAULT_METHOD,
             progress: Callable[[int, Authority], None] | None = None) -> pd.DataFrame:
    """backtest.csv for `authorities`: one row per authority, held-out year and measure."""
    england = sen2.england()
    rows = []
    for i, authority in enumerate(authorities):
        if progress is not None:
            progress(i, authority)
        rows += backtest_authority(sen2.history(authority), england, hold_out, method)
    return pd.DataFrame(rows, columns=COLUMNS)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """MAPE, median APE and bias (mean signed error, % of actual) of the cohort model and
    the naive projection, the interval's coverage, and how often the cohort model is
    closer, by measure and years ahead (and all years ahead together)."""
    scored = table[table["note"].fillna("") == ""].copy()
    scored["error"] = 100 * (scored["projected"] - scored["actual"]) / scored["actual"]
    scored["naive_error"] = 100 * (scored["naive"] - scored["actual"]) / scored["actual"]
    scored["inside"] = (scored["low"] <= scored["actual"]) & (scored["actual"] <= scored["high"])
    scored["closer"] = scored["error"].abs() < scored["naive_error"].abs()
    together = scored.assign(years_ahead="all")
    records = []
    for (measure, ahead), part in pd.concat([scored.astype({"years_ahead": object}),
                                             together]).groupby(["measure", "years_ahead"],
                                                                sort=False):
        records.append({
            "measure": measure, "years_ahead": ahead, "authorities": part["la_code"].nunique(),
            "rows": len(part),
            "mape_cohort": part["error"].abs().mean(), "mape_naive": part["naive_error"].abs()
            .mean(), "median_ape_cohort": part["error"].abs().median(),
            "median_ape_naive": part["naive_error"].abs().median(),
            "bias_cohort": part["error"].mean(), "bias_naive": part["naive_error"].mean(),
            "coverage": part["inside"].mean(), "cohort_closer": part["closer"].mean()})
    order = {m: i for i, m in enumerate(MEASURES)}
    summary = pd.DataFrame(records)
    summary["_order"] = summary["measure"].map(order)
    summary["_ahead"] = summary["years_ahead"].map(lambda a: 99 if a == "all" else int(a))
    return summary.sort_values(["_order", "_ahead"]).drop(columns=["_order", "_ahead"]) \
        .reset_index(drop=True)


def write_backtest(table: pd.DataFrame, summary: pd.DataFrame, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "backtest.csv", index=False, float_format="%.3f")
    summary.to_csv(folder / "backtest_summary.csv", index=False, float_format="%.3f")
