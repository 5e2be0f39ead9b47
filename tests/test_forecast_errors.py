"""The forecast's error model: the rolling-origin backtest it is fitted on, the fit itself
on errors whose model is known, and the constants placeopt ships (recomputed here from
the committed backtest, whose rows are checked against the code).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_forecast import assert_same_model

from placeopt.forecast.backtest import ERROR_COLUMNS, project_from, rolling_errors
from placeopt.forecast.calibration import (
    ErrorModel,
    MeasureErrors,
    coverage_records,
    fit_error_model,
    horizon_variance,
    scored,
    shipped_model,
    z_score,
)
from placeopt.forecast.sen2 import Sen2

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = ROOT / "benchmarks" / "forecast_backtest"


@pytest.fixture(scope="module")
def sen2() -> Sen2:
    return Sen2.read(Sen2.PACKAGED)


def test_horizon_variance_is_the_sum_over_ar1_steps() -> None:
    for rho in (0.0, 0.3, 0.7):
        for h in range(13):
            steps = np.arange(h)
            brute = (rho ** np.abs(steps[:, None] - steps[None, :])).sum() if h else 0.0
            assert horizon_variance(h, rho) == pytest.approx(brute), (rho, h)


def test_band_by_hand() -> None:
    """low, high = central · exp(∓1.2816 · σ · √((1 + N₀/N) · V(h; ρ)))."""
    model = ErrorModel((MeasureErrors("total", 0.05, 300.0, 0.5, 1),
                        MeasureErrors("specialist", 0.04, 1000.0, 0.0, 1)), (2020,), 2021, "x")
    low, high = model.band(np.array([1000.0, 1100.0, 1200.0]), "specialist", 0.8)
    yearly = 0.04 * np.sqrt(1 + 1000 / 1000)  # sized by the first year's 1,000
    width = 1.2816 * yearly * np.sqrt([0, 1, 2])
    assert low == pytest.approx([1000, 1100 * np.exp(-width[1]), 1200 * np.exp(-width[2])],
                                rel=1e-4)
    assert high[2] == pytest.approx(1200 * np.exp(width[2]), rel=1e-4)
    # all plans: ρ 0.5 makes two years ahead √(2 + 2 · 0.5) = √3 one year's spread
    _, high = model.band(np.array([300.0, 300.0, 300.0]), "total", 0.8)
    assert np.log(high[2] / 300) == pytest.approx(
        z_score(0.8) * 0.05 * np.sqrt(2) * np.sqrt(3))


def _simulated(sigma: float, size_scale: float, rho: float, seed: int) -> pd.DataFrame:
    """Errors drawn from the model: 1,000 authorities from 200 to 20,000 plans, origins
    2020-2022, every year ahead to 2024."""
    rng = np.random.default_rng(seed)
    sizes = np.exp(rng.uniform(np.log(200), np.log(20_000), 1000))
    rows = []
    for origin in (2020, 2021, 2022):
        steps = 2024 - origin
        shocks = rng.standard_normal((len(sizes), steps))
        path = np.empty_like(shocks)
        for j in range(steps):
            path[:, j] = shocks[:, j] if j == 0 else (rho * path[:, j - 1]
                                                      + np.sqrt(1 - rho**2) * shocks[:, j])
        errors = np.cumsum(path, axis=1) * (sigma * np.sqrt(1 + size_scale / sizes))[:, None]
        for i, size in enumerate(sizes):
            for k in range(steps):
                for measure in ("total", "specialist"):
                    rows.append({"la_code": f"E{i}", "la_name": f"LA {i}", "origin": origin,
                                 "year": origin + k + 1, "years_ahead": k + 1,
                                 "measure": measure, "size": size,
                                 "actual": 1000 * np.exp(errors[i, k]), "projected": 1000.0,
                                 "naive": 1000.0, "note": ""})
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


def test_the_fit_finds_the_model_that_made_the_errors() -> None:
    errors = _simulated(sigma=0.04, size_scale=1000, rho=0.6, seed=3)
    model = fit_error_model(errors)
    fit = model.of("total")
    assert fit.persistence == pytest.approx(0.6, abs=0.15)
    assert 500 < fit.size_scale < 2000
    assert fit.sigma == pytest.approx(0.04, rel=0.15)
    # split conformal at the hardest origin: 80% or more inside at every origin
    rows = scored(errors)
    for origin in (2020, 2021, 2022):
        at = rows[rows["origin"] == origin]
        inside = sum(r["coverage"] * r["rows"] for r in coverage_records(model, at, origin))
        assert inside / len(at) >= 0.79, origin
    # fresh errors of the same model: about 80% inside
    fresh = scored(_simulated(sigma=0.04, size_scale=1000, rho=0.6, seed=4))
    records = coverage_records(model, fresh, "fresh")
    share = sum(r["coverage"] * r["rows"] for r in records) / len(fresh)
    assert 0.76 < share < 0.88


def test_rolling_origins_need_three_years_of_history(sen2: Sen2) -> None:
    histories = {a: sen2.history(a, needs=False) for a in
                 (sen2.find("Trafford"), sen2.find("Dorset"), sen2.find("Cumberland"))}
    errors = rolling_errors(histories, sen2.england())
    origins = errors.groupby("la_name")["origin"].unique().map(sorted).to_dict()
    assert origins == {"Trafford": [2020, 2021, 2022, 2023], "Dorset": [2021, 2022, 2023]}
    trafford = errors[(errors["la_name"] == "Trafford") & (errors["measure"] == "total")]
    assert trafford.groupby("origin")["years_ahead"].max().to_dict() == {
        2020: 4, 2021: 3, 2022: 2, 2023: 1}
    # from January 2021, all plans one band: the mean of two pooled ratios, compounded
    own = [2030 / 1788, 2256 / 2030]
    england = [390_109 / 353_995, 430_697 / 390_109]
    ratio = np.mean([(a + b) / 2 for a, b in zip(own, england, strict=True)])
    four = trafford[(trafford["origin"] == 2020) & (trafford["years_ahead"] == 4)].iloc[0]
    assert four["projected"] == pytest.approx(2256 * ratio ** 4)
    assert (four["actual"], four["size"]) == (3143, 2256)


def test_an_incomplete_count_at_the_origin_is_not_scored(sen2: Sen2) -> None:
    """Bristol's specialist places start from January 2023, when SEN2 recorded no
    placement for 45% of its plans: they are not scored (all plans are)."""
    rows = project_from(sen2.history(sen2.find("Bristol")), sen2.england(), 2022)
    notes = {(r["measure"], r["year"]): r["note"] for r in rows}
    assert notes[("specialist", 2023)] == notes[("specialist", 2024)] == \
        "at the origin: placement not recorded for 45% of plans"
    assert notes[("total", 2023)] == notes[("total", 2024)] == ""


def test_the_shipped_error_model_is_the_fit_of_the_committed_backtest(sen2: Sen2) -> None:
    """error_model.json is `placeopt forecast calibrate` on SEN2 (default method); the
    committed errors.csv (`placeopt forecast backtest --la all`) recomputes it, and its rows
    are what the code gives now (two authorities recomputed)."""
    committed = pd.read_csv(BENCHMARK / "errors.csv", dtype={"note": str})
    shipped = shipped_model()
    assert (shipped.origins, shipped.through, shipped.method) == ((2020, 2021, 2022, 2023),
                                                                  2024, "default")
    assert_same_model(fit_error_model(committed), shipped)
    for name in ("Trafford", "Hackney"):
        history = sen2.history(sen2.find(name), needs=False)
        fresh = pd.concat([pd.DataFrame(project_from(history, sen2.england(), origin),
                                        columns=ERROR_COLUMNS)
                           for origin in history.years[2:-1]], ignore_index=True)
        old = committed[committed["la_name"] == fresh["la_name"].iloc[0]].reset_index(drop=True)
        assert len(old) == len(fresh)
        for column in ("actual", "projected", "naive", "size"):
            assert old[column].to_numpy(float) == pytest.approx(
                fresh[column].to_numpy(float), rel=1e-5, nan_ok=True), (name, column)
        assert old["note"].fillna("").tolist() == fresh["note"].fillna("").tolist()
