"""The all-authority backtest of placeopt forecast under other parameter values.

Run from the repository root (about a minute per line on 2 cores):

    python benchmarks/forecast_sensitivity.py > benchmarks/forecast_backtest/sensitivity.md

Each line holds out the last K years of every authority's SEN2 history and reports, over
both years ahead together, the mean absolute percentage error (MAPE) and the bias (mean
signed error) of the cohort model and of the naive projection, and how often the SEN2
count fell inside the cohort model's interval. docs/forecast.md quotes the table.
"""

from __future__ import annotations

from placeopt.forecast.backtest import backtest, summarise
from placeopt.forecast.method import Method
from placeopt.forecast.sen2 import Sen2

VARIANTS = [
    ("defaults", 2, Method()),
    ("pooling 0 (the authority's own ratios)", 2, Method(pooling=0)),
    ("pooling 1 (England's ratios)", 2, Method(pooling=1)),
    ("window 2", 2, Method(window=2)),
    ("window 4 (every pair of years before the hold-out)", 2, Method(window=4)),
    ("trend damped", 2, Method(trend="damped")),
    ("share_trend damped", 2, Method(share_trend="damped")),
    ("defaults, K = 1", 1, Method()),
]


def main() -> None:
    sen2 = Sen2.read(Sen2.REPOSITORY_DATA)
    print("| variant | K | measure | LAs | MAPE cohort | MAPE naive | bias cohort | bias naive "
          "| coverage |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, hold_out, method in VARIANTS:
        summary = summarise(backtest(sen2, sen2.authorities(), hold_out, method))
        for row in summary[summary["years_ahead"] == "all"].itertuples():
            print(f"| {name} | {hold_out} | {row.measure} | {row.authorities} | "
                  f"{row.mape_cohort:.2f} | {row.mape_naive:.2f} | {row.bias_cohort:+.2f} | "
                  f"{row.bias_naive:+.2f} | {row.coverage:.0%} |")


if __name__ == "__main__":
    main()
