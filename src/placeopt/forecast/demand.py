"""From projected plans to the workbook's Demand rows and the low / high Scenarios rows.

Plans of each provision level and phase are split by primary need in the shares of the
latest year (SEN2 publishes need by age and need by setting, not the two together: the
cells are fitted to both margins by iterative proportional fitting), then spread over
zones by each zone's share of the children of the phase's ages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .ages import AGES, PHASE_AGES
from .cohort import Projection
from .population import Population
from .sen2 import LEVELS, NEEDS, History

PHASES = tuple(PHASE_AGES)
PROVISION = (*LEVELS, "any")  # "any": every plan, whatever its setting
MEASURE_NAMES = {
    "mainstream": "mainstream schools without a unit",
    "resourced": "resourced provision and SEN units",
    "special": "special schools: state, independent and non-maintained",
    "all plans": "all EHC plans",
}
DEFAULT_PROVISION = ("resourced", "special")
LOW, HIGH = "demand_low", "demand_high"


def error_measure(level: str) -> str:
    """Which calibrated error model a provision level takes: all plans ('any') the
    total's; a level of places the specialist places' (sized by its own count)."""
    return "total" if level == "any" else "specialist"


def ipf(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, tol: float = 1e-10,
        max_iter: int = 100_000) -> np.ndarray:
    """Scale `seed` until its row and column sums are `rows` and `cols`."""
    m = seed.astype(float).copy()
    for _ in range(max_iter):
        r = m.sum(axis=1)
        m *= np.divide(rows, r, out=np.zeros_like(rows, dtype=float), where=r > 0)[:, None]
        c = m.sum(axis=0)
        m *= np.divide(cols, c, out=np.zeros_like(cols, dtype=float), where=c > 0)[None, :]
        if (np.abs(m.sum(axis=1) - rows).max() < tol and np.abs(m.sum(axis=0) - cols).max()
                < tol):
            return m
    raise ValueError("IPF did not converge (a margin has no cell to go to)")


def _by_phase(values: np.ndarray) -> np.ndarray:
    """(..., AGES) -> (..., PHASES)."""
    return np.stack([values[..., [j for j, a in enumerate(AGES) if lo <= a <= hi]].sum(axis=-1)
                     for lo, hi in PHASE_AGES.values()], axis=-1)


def need_shares(history: History, england: History, level: str,
                phase_totals: np.ndarray) -> np.ndarray:
    """(PHASES, NEEDS): each need's share of a level's plans in each phase.

    The seed is the authority's plans by need and phase (all settings) + 0.5 a cell; it
    is fitted to the level's plans by need (scaled to `phase_totals`, the level's plans
    by phase) and by phase. Where SEN2 gives the authority no needs by age, or none for
    the level's settings, England's take their place."""

    def known(values: np.ndarray | None) -> bool:
        return values is not None and np.nansum(values) > 0

    def margin(source: History) -> np.ndarray | None:
        if source.need_by_level is None:
            return None
        return source.need_all if level == "any" else \
            source.need_by_level[LEVELS.index(level)]

    by_age = history.need_by_age if known(history.need_by_age) else england.need_by_age
    seed = _by_phase(by_age) + 0.5  # (NEEDS, PHASES)
    by_need = margin(history) if known(margin(history)) else margin(england)
    total = phase_totals.sum()
    if total <= 0:
        return (seed / seed.sum(axis=0)).T
    rows = np.nan_to_num(by_need) / np.nansum(by_need) * total
    fitted = seed.copy()
    fitted[rows == 0, :] = 0
    fitted[:, phase_totals == 0] = 0
    cells = ipf(fitted, rows, phase_totals)
    # a phase the level has no plans in keeps the seed's shares (they multiply zero)
    shares = np.where(phase_totals > 0, cells / np.maximum(cells.sum(axis=0), 1e-12),
                      seed / seed.sum(axis=0))
    return shares.T


@dataclass(frozen=True)
class Zones:
    """Where demand is put: zone ids, names and each zone's share of a phase's children."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    shares: dict[str, np.ndarray]  # phase -> (zones,)

    @classmethod
    def whole(cls, zone_id: str, name: str) -> Zones:
        return cls((zone_id,), (name,), {p: np.ones(1) for p in PHASES})

    @classmethod
    def from_population(cls, population: Population, year: int) -> Zones:
        """Zones in proportion to the population's children of each phase in `year` (the
        nearest year the file has)."""
        return cls(population.zone_ids, population.zone_names, population.phase_shares(year))


@dataclass(frozen=True)
class Forecast:
    """A projection, and how it becomes the workbook's Demand: which provision levels, the
    planning years, the zones. `base_year` is the planning year that the latest SEN2
    count stands for (by default its own year: January 2025 = 2024/25 = 2024)."""

    projection: Projection
    england: History
    provision: tuple[str, ...]
    base_year: int
    years: tuple[int, ...]
    zones: Zones

    @property
    def shift(self) -> int:
        """Planning year minus SEN2 year."""
        return self.base_year - self.projection.history.last_year

    def steps(self) -> list[int]:
        """Index into the projection's years of each planning year."""
        return [year - self.base_year for year in self.years]

    def level_phase(self) -> np.ndarray:
        """(planning years, PROVISION, PHASES) plans."""
        return self.projection.level_phase()[self.steps()]

    def bands(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(central, low, high), each (projection years, PROVISION): plans of each level
        with the calibrated band (all plans: the total's; a level: the specialist
        places', sized by the level's count)."""
        plans = self.projection.level_phase().sum(axis=2)
        ends = [self.projection.interval(plans[:, i], error_measure(level))
                for i, level in enumerate(PROVISION)]
        return tuple(np.stack([e[j] for e in ends], axis=1) for j in range(3))

    def demand_rows(self) -> list[dict[str, object]]:
        """Demand rows (wide form): zone_id, need, phase, provision, then one key per year.
        Rows that are zero in every year are left out."""
        central = self.level_phase()
        at_launch = self.projection.level_phase()[0]
        rows: list[dict[str, object]] = []
        for level in self.provision:
            index = PROVISION.index(level)
            shares = need_shares(self.projection.history, self.england, level,
                                 at_launch[index])
            for n, need in enumerate(NEEDS):
                for p, phase in enumerate(PHASES):
                    for z, zone in enumerate(self.zones.ids):
                        values = central[:, index, p] * shares[p, n] * self.zones.shares[phase][z]
                        rounded = [round(float(v), 3) for v in values]
                        if any(rounded):
                            rows.append({"zone_id": zone, "need": need, "phase": phase,
                                         "provision": level,
                                         **dict(zip(self.years, rounded, strict=True))})
        return rows

    def scenario_rows(self) -> list[dict[str, object]]:
        """Scenarios rows: demand_low and demand_high scale each year's Demand of each
        provision level to the interval's ends."""
        central, low, high = (values[self.steps()] for values in self.bands())
        percent = round(100 * self.projection.method.interval)
        rows = []
        for name, bound, word in ((LOW, low, "low"), (HIGH, high, "high")):
            for level in self.provision:
                i = PROVISION.index(level)
                for k, year in enumerate(self.years):
                    if central[k, i] <= 0 or self.steps()[k] == 0:
                        continue
                    rows.append({"scenario": name, "sheet": "Demand", "column": str(year),
                                 "filter": f"provision={level}", "operation": "scale",
                                 "value": round(float(bound[k, i] / central[k, i]), 6),
                                 "note": f"{word} end of the forecast's {percent}% interval "
                                         f"for {level} demand in {year}"})
        return rows

    def summary(self, from_base: bool = False) -> pd.DataFrame:
        """Central, low and high plans by measure and planning year (the fan chart; with
        `from_base`, from the base year on)."""
        records = []
        years = list(self.years)
        if from_base and years[0] > self.base_year:
            years.insert(0, self.base_year)
        steps = [y - self.base_year for y in years]
        central, low, high = (values[steps] for values in self.bands())
        for i, level in enumerate(PROVISION):
            for k, year in enumerate(years):
                records.append({"measure": "all plans" if level == "any" else level,
                                "year": year, "low": low[k, i], "central": central[k, i],
                                "high": high[k, i]})
        return pd.DataFrame(records)

    def observed(self) -> pd.DataFrame:
        """SEN2's counts by measure, labelled with planning years."""
        history = self.projection.history
        records = []
        for k, year in enumerate(history.years):
            for i, level in enumerate(LEVELS):
                records.append({"measure": level, "year": year + self.shift,
                                "plans": history.by_level[k, i]})
            records.append({"measure": "all plans", "year": year + self.shift,
                            "plans": history.plans[k]})
        return pd.DataFrame(records)
