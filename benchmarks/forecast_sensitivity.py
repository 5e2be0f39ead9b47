"""The forecast's parameters against the rolling-origin backtest: which values the
earlier origins favour, and how they did on the years held out.

Run from the repository root (a minute or two on 2 cores):

    python benchmarks/forecast_sensitivity.py > benchmarks/forecast_backtest/sensitivity.md

Each line projects every authority from every origin with three years of history
(January 2021 to January 2024) with one set of parameters and scores it two ways:
**earlier origins**, the errors known in January 2023 (SEN2 counts up to 2022/23: the
projections from January 2021 one and two years ahead, and from January 2022 one year
ahead), on which a choice may be made; and **held out**, the projections from January
2023 of January 2024 and 2025, the years `placeopt forecast backtest --hold-out 2` judges,
with the variant's interval calibrated on its own earlier errors. Scores: median and mean
absolute percentage error of the cohort model (and naive's), bias (mean signed error, %
of the count: negative is under-projection), and the 80% interval's coverage.
docs/forecast.md quotes the table.
"""

from __future__ import annotations

import pandas as pd

from placeopt.forecast.backtest import MEASURES, read_histories, rolling_errors, with_band
from placeopt.forecast.calibration import fit_error_model, scored
from placeopt.forecast.method import Method
from placeopt.forecast.sen2 import Sen2

ORIGIN = 2022  # --hold-out 2
VARIANTS = [
    ("defaults (share_trend pooled, damping 0.8)", Method()),
    ("share_trend constant (the default before)", Method(share_trend="constant")),
    ("share_trend damped", Method(share_trend="damped")),
    ("share_trend pooled, damping 0.9", Method(damping=0.9)),
    ("share_trend pooled, damping 1 (no damping)", Method(damping=1.0)),
    ("pooling 0 (the authority's own ratios)", Method(pooling=0)),
    ("pooling 1 (England's ratios)", Method(pooling=1)),
    ("window 2", Method(window=2)),
    ("window 4", Method(window=4)),
    ("trend damped", Method(trend="damped")),
]


def scores(rows: pd.DataFrame) -> str:
    error = 100 * (rows["projected"] - rows["actual"]) / rows["actual"]
    naive = 100 * (rows["naive"] - rows["actual"]) / rows["actual"]
    return (f"{error.abs().median():.2f} / {naive.abs().median():.2f} | "
            f"{error.abs().mean():.2f} / {naive.abs().mean():.2f} | {error.mean():+.2f}")


def main() -> None:
    sen2 = Sen2.read(Sen2.PACKAGED)
    histories = read_histories(sen2)
    print("| variant | measure | earlier: median APE cohort / naive | MAPE cohort / naive "
          "| bias | held out: median APE cohort / naive | MAPE cohort / naive | bias "
          "| inside the 80% interval |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, method in VARIANTS:
        errors = rolling_errors(histories, sen2.england(), method)
        model = fit_error_model(errors[errors["year"] <= ORIGIN], method.label())
        held = scored(with_band(errors[errors["origin"] == ORIGIN], model, 0.8))
        earlier = scored(errors[errors["year"] <= ORIGIN])
        for measure in MEASURES:
            mine = held[held["measure"] == measure]
            inside = ((mine["low"] <= mine["actual"]) & (mine["actual"] <= mine["high"])).mean()
            print(f"| {name} | {measure} | {scores(earlier[earlier['measure'] == measure])} | "
                  f"{scores(mine)} | {inside:.0%} |")


if __name__ == "__main__":
    main()
