"""Children by single year of age, for the authority or by zone: read once, aged on.

A population file is a CSV with one row per zone (or one row for the whole authority)
and one column per single year of age headed 0, 1, ..., 25 (more ages are ignored), as
ONS mid-year estimates are published (e.g. by MSOA from ONS or a council's data lab).
Optional columns: `zone_id` (or `area_code`), `name` (or `area_name`), `sex` (only the
rows for persons are used), `period` or `year` (the mid-year; e.g. 2024-06-30).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .ages import AGES, PHASE_AGES

MAX_AGE = AGES[-1]
ZONE_HEADERS = ("zone_id", "area_code")
NAME_HEADERS = ("name", "area_name", "zone_name")
YEAR_HEADERS = ("period", "year")
PERSONS = ("persons", "all", "total")


class PopulationError(ValueError):
    """The population file is not as described above; the message says where."""


@dataclass(frozen=True)
class Population:
    """Mid-year population aged 0..MAX_AGE by zone. Its `year` is the SEN2 year it stands
    for: mid-2024 ages are the ages at 31 August 2024, SEN2's 2024/25 (two months apart)."""

    year: int
    zone_ids: tuple[str, ...]
    zone_names: tuple[str, ...]
    counts: np.ndarray  # (zones, MAX_AGE + 1)

    def by_band(self, year: int) -> np.ndarray:
        """The authority's children in SEN2's age bands (AGES) in `year`, by ageing the
        known year on or back: no migration or deaths; cohorts born after the known year
        are as large as its youngest."""
        total = self.counts.sum(axis=0)
        shift = year - self.year
        single = np.array([total[a - shift] if 0 <= a - shift <= MAX_AGE else
                           total[0] if a - shift < 0 else 0.0 for a in range(MAX_AGE + 1)])
        return np.array([single[: AGES[0] + 1].sum(), *single[AGES[0] + 1:]])

    def phase_shares(self) -> dict[str, np.ndarray]:
        """Each zone's share of the authority's children of each phase's ages."""
        shares = {}
        for phase, (low, high) in PHASE_AGES.items():
            children = self.counts[:, low: high + 1].sum(axis=1)
            total = children.sum()
            shares[phase] = children / total if total > 0 else \
                np.full(len(self.zone_ids), 1 / len(self.zone_ids))
        return shares


def _header(row: list[str], names: tuple[str, ...]) -> int | None:
    normal = [re.sub(r"[\s_]+", "_", h.strip().lower()) for h in row]
    return next((normal.index(n) for n in names if n in normal), None)


def read_population(path: str | Path, year: int | None = None) -> Population:
    """Read a population file (see the module's docstring); `year` overrides its period."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise PopulationError(f"{path}: cannot be read ({exc})") from None
    if not rows:
        raise PopulationError(f"{path}: the file is empty")
    header = [h.strip() for h in rows[0]]
    age_columns = {int(h): i for i, h in enumerate(header) if h.isdigit()}
    missing = [a for a in range(MAX_AGE + 1) if a not in age_columns]
    if missing:
        raise PopulationError(f"{path}: no column for age{'s' if len(missing) > 1 else ''} "
                              f"{', '.join(map(str, missing))}: expected one column per "
                              f"single year of age headed 0, 1, ..., {MAX_AGE}")
    zone_at, name_at = _header(header, ZONE_HEADERS), _header(header, NAME_HEADERS)
    sex_at, year_at = _header(header, ("sex",)), _header(header, YEAR_HEADERS)
    ids, names, counts, years = [], [], [], set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if sex_at is not None and row[sex_at].strip().lower() not in PERSONS:
            continue
        values = []
        for age in range(MAX_AGE + 1):
            text = row[age_columns[age]].strip() if age_columns[age] < len(row) else ""
            try:
                value = float(text.replace(",", ""))
            except ValueError:
                value = -1.0
            if value < 0:
                raise PopulationError(f"{path} row {number}, column {age}: {text!r} is not a "
                                      "number of people >= 0")
            values.append(value)
        zone = row[zone_at].strip() if zone_at is not None else ""
        if zone_at is not None and not zone:
            raise PopulationError(f"{path} row {number}: the zone code is blank")
        if zone in ids:
            raise PopulationError(f"{path} row {number}: zone {zone!r} appears twice")
        ids.append(zone)
        names.append(row[name_at].strip() if name_at is not None else zone)
        counts.append(values)
        if year_at is not None and re.match(r"\d{4}", row[year_at].strip()):
            years.add(int(row[year_at].strip()[:4]))
    if not counts:
        raise PopulationError(f"{path}: no rows" + (" for persons (column sex)" if sex_at
                                                    is not None else ""))
    if zone_at is None and len(counts) > 1:
        raise PopulationError(f"{path}: {len(counts)} rows but no zone_id column: give one row "
                              "for the authority, or a zone_id for each row")
    if year is None:
        if len(years) != 1:
            raise PopulationError(f"{path}: give the population's year (a period or year column "
                                  "with one year, or --population-year)")
        year = years.pop()
    return Population(year, tuple(ids), tuple(names), np.array(counts, dtype=float))
