"""How far one phase's EHC plan growth strays from its local authority's (SEN2).

The mix spread of `placeopt batch --samples` (src/placeopt/batches/uncertainty.py,
described in docs/batch.md) comes from here; the whole authority's spread and persistence
come from placeopt forecast's calibrated error model instead (docs/forecast.md). Run
from the repository root:

    python inputs/sen2_growth_spread.py

It reads only inputs/data/sen2_caseload_growth.csv (DfE SEN2 2025, cut by
inputs/extract_inputs.py: every LA's and England's plan counts, in all and by age) and
prints, by phase, the standard deviation of a phase's annual growth in an LA minus the
LA's own growth, net of the same difference for England (a shift in the national mix is
the projection's business, not uncertainty), over LAs with at least 100 plans in that
phase the year before. SEN2 gives ages for one pair of years only (January 2024 and
2025). Ages map to phases as early_years: under 3 to 4, primary: 5-10, secondary: 11-15,
post16: 16-18, post19: 19-25.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data" / "sen2_caseload_growth.csv"
MIN_PHASE_PLANS = 100  # an LA's plans in a phase the year before, for the phase spread
PHASE_OF_AGE = {"under 3": "early_years", "age 3": "early_years", "age 4": "early_years",
                **{f"age {a}": "primary" for a in range(5, 11)},
                **{f"age {a}": "secondary" for a in range(11, 16)},
                **{f"age {a}": "post16" for a in range(16, 19)},
                **{f"age {a}": "post19" for a in range(19, 26)}}


def read(path: Path = DATA) -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table["year"] = table["time_period"].str[:4].astype(int)
    table["plans"] = pd.to_numeric(table["ehcplans"], errors="coerce")  # 'x': suppressed
    return table


def _growth(counts: pd.DataFrame) -> pd.DataFrame:
    """Annual log growth, columns = the later year; NaN where either count is missing."""
    return np.log(counts).diff(axis=1).iloc[:, 1:]


def phase_spreads(table: pd.DataFrame) -> dict[str, tuple[float, int]]:
    ages = table[table["breakdown_topic"] == "Child or young persons age"].assign(
        phase=lambda t: t["breakdown"].map(PHASE_OF_AGE))
    # A phase's count is missing where any of its ages is suppressed.
    grouped = ages.groupby(["geographic_level", "old_la_code", "phase", "year"])["plans"]
    counts = grouped.sum(min_count=1).where(grouped.count() == grouped.size())
    counts = counts.unstack("year")
    national = _growth(counts.loc["National"].droplevel(0))
    national = national - _growth(counts.loc["National"].sum(min_count=1).to_frame().T
                                  ).to_numpy()
    local = counts.loc["Local authority"]
    by_la = local.groupby(level=0)
    la_total = _growth(by_la.sum().where(~local.isna().groupby(level=0).any()))
    relative = _growth(local) - la_total.reindex(local.index, level=0).to_numpy()
    before = local.iloc[:, :-1].set_axis(relative.columns, axis=1)
    out = {}
    for phase in ("early_years", "primary", "secondary", "post16", "post19"):
        rows = relative.xs(phase, level="phase") - national.loc[phase].to_numpy()
        kept = rows.where(before.xs(phase, level="phase") >= MIN_PHASE_PLANS).to_numpy()
        out[phase] = (float(np.nanstd(kept, ddof=1)), int(np.count_nonzero(~np.isnan(kept))))
    return out


def main() -> None:
    table = read()
    for phase, (value, count) in phase_spreads(table).items():
        print(f"phase spread {phase} {value:.4f} ({count} LAs)")


if __name__ == "__main__":
    main()
