"""How far one local authority's EHC plan growth strays from the national growth (SEN2).

The default spread of `placeopt batch --samples` (src/placeopt/uncertainty.py, described
in docs/batch.md) comes from here. Run from the repository root:

    python inputs/sen2_growth_spread.py

It reads only inputs/data/sen2_caseload_growth.csv (DfE SEN2 2025, cut by
inputs/extract_inputs.py: every LA's and England's plan counts, in all and by age) and
prints three figures:

- spread: the standard deviation, over LAs and years, of an LA's annual growth in EHC
  plans (log of this January's count over last January's) minus England's growth in the
  same year. 2018/19 to 2024/25 gives six annual growths per LA; LAs with fewer than
  200 plans the year before are left out (their growth is mostly counting noise), and a
  year pair counts only where the LA has the same code in both years (reorganised
  authorities drop out for the year of the change).
- persistence: the correlation between an LA's deviation in one year and in the next
  (do fast-growing LAs stay fast?).
- phase spread, by phase: the standard deviation of a phase's annual growth in an LA
  minus the LA's own growth, net of the same difference for England (a shift in the
  national mix is the projection's business, not uncertainty), over LAs with at least
  100 plans in that phase the year before. SEN2 gives ages for one pair of years only
  (January 2024 and 2025). Ages map to phases as early_years: under 3 to 4, primary:
  5-10, secondary: 11-15, post16: 16-18, post19: 19-25.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data" / "sen2_caseload_growth.csv"
MIN_PLANS = 200  # an LA's plans the year before, for the spread and the persistence
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


def la_deviations(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(LA growth minus England's growth, by LA and year; the LA's plans the year before)."""
    totals = table[table["breakdown_topic"] == "All EHC plans"]
    england = totals[totals["geographic_level"] == "National"].set_index("year")["plans"]
    las = totals[totals["geographic_level"] == "Local authority"].pivot_table(
        index="old_la_code", columns="year", values="plans")
    deviation = _growth(las) - _growth(england.to_frame().T).to_numpy()
    before = las.iloc[:, :-1].set_axis(deviation.columns, axis=1)
    return deviation, before


def spread_and_persistence(table: pd.DataFrame) -> tuple[float, float, int]:
    deviation, before = la_deviations(table)
    kept = deviation.where(before >= MIN_PLANS)
    values = kept.to_numpy()
    spread = float(np.nanstd(values, ddof=1))
    now, last = values[:, 1:].ravel(), values[:, :-1].ravel()
    both = ~np.isnan(now) & ~np.isnan(last)
    persistence = float(np.corrcoef(now[both], last[both])[0, 1])
    return spread, persistence, int(np.count_nonzero(~np.isnan(values)))


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
    spread, persistence, n = spread_and_persistence(table)
    print(f"spread {spread:.4f} (sd of LA minus England annual log growth, {n} LA-years)")
    print(f"persistence {persistence:.3f} (year-to-year correlation of that deviation)")
    for phase, (value, count) in phase_spreads(table).items():
        print(f"phase spread {phase} {value:.4f} ({count} LAs)")


if __name__ == "__main__":
    main()
