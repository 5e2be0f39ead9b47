"""Children by single year of age, for the authority or by zone, in one or more years.

A population file is a CSV with one row per zone (or one row for the whole authority) and
year, and one column per single year of age headed 0, 1, ..., 25 (more ages are ignored),
as ONS publishes mid-year estimates and projections. Columns that may be there too:
`zone_id` (or `area_code`), `name` (or `area_name`), `sex` (only the rows for persons are
used), `period` or `year` (the mid-year, e.g. 2024-06-30; required when the file has
several years).

One year (an estimate) spreads demand over zones; its children per plan stay as they are.
Several years (a projection) also move the entrants: the entry ages' plans follow the
children of those ages year by year. placeopt does not age a single year on: without
migration that would say nothing true of an area where families move in or out
(Trafford's 0-year-olds in mid-2024 are 23% fewer than its 4-year-olds).
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
    """Mid-year population aged 0..MAX_AGE by year and zone. Mid-year y stands for SEN2's
    year y (ages at 30 June and at 31 August are two months apart)."""

    years: tuple[int, ...]
    zone_ids: tuple[str, ...]
    zone_names: tuple[str, ...]
    counts: np.ndarray  # (years, zones, MAX_AGE + 1)

    def _nearest(self, year: int) -> int:
        return int(np.argmin([abs(y - year) for y in self.years]))

    def by_band(self, year: int) -> np.ndarray:
        """The authority's children in SEN2's age bands (AGES) in `year`; before the
        first year and after the last, the nearest year's."""
        single = self.counts[self._nearest(year)].sum(axis=0)
        return np.array([single[: AGES[0] + 1].sum(), *single[AGES[0] + 1:]])

    def phase_shares(self, year: int) -> dict[str, np.ndarray]:
        """Each zone's share of the authority's children of each phase's ages."""
        counts = self.counts[self._nearest(year)]
        shares = {}
        for phase, (low, high) in PHASE_AGES.items():
            children = counts[:, low: high + 1].sum(axis=1)
            total = children.sum()
            shares[phase] = children / total if total > 0 else \
                np.full(len(self.zone_ids), 1 / len(self.zone_ids))
        return shares


def _header(row: list[str], names: tuple[str, ...]) -> int | None:
    normal = [re.sub(r"[\s_]+", "_", h.strip().lower()) for h in row]
    return next((normal.index(n) for n in names if n in normal), None)


def _ages(path: Path, number: int, row: list[str], columns: dict[int, int]) -> list[float]:
    values = []
    for age in range(MAX_AGE + 1):
        text = row[columns[age]].strip() if columns[age] < len(row) else ""
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            value = -1.0
        if value < 0:
            raise PopulationError(f"{path} row {number}, column {age}: {text!r} is not a "
                                  "number of people >= 0")
        values.append(value)
    return values


def read_population(path: str | Path, year: int | None = None) -> Population:
    """Read a population file (see the module's docstring); `year` is the year of a file
    with one year and no period column."""
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
    found: dict[tuple[int | None, str], list[float]] = {}
    names: dict[str, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if sex_at is not None and row[sex_at].strip().lower() not in PERSONS:
            continue
        zone = row[zone_at].strip() if zone_at is not None else ""
        if zone_at is not None and not zone:
            raise PopulationError(f"{path} row {number}: the zone code is blank")
        period = row[year_at].strip() if year_at is not None else ""
        if year_at is not None and not re.match(r"\d{4}", period):
            raise PopulationError(f"{path} row {number}: {period!r} is not a year")
        key = (int(period[:4]) if period else year, zone)
        if key in found:
            raise PopulationError(f"{path} row {number}: zone {zone!r} appears twice"
                                  + (f" for {key[0]}" if key[0] else ""))
        found[key] = _ages(path, number, row, age_columns)
        names.setdefault(zone, row[name_at].strip() if name_at is not None else zone)
    if not found:
        raise PopulationError(f"{path}: no rows" + (" for persons (column sex)" if sex_at
                                                    is not None else ""))
    years = sorted({y for y, _ in found if y is not None})
    if not years:
        raise PopulationError(f"{path}: give the population's year (a period or year "
                              "column, or --population-year)")
    zones = list(dict.fromkeys(z for _, z in found))
    if zone_at is None and len(found) > len(years):
        raise PopulationError(f"{path}: several rows for a year but no zone_id column: give "
                              "one row for the authority, or a zone_id for each row")
    lacking = [(y, z) for y in years for z in zones if (y, z) not in found]
    if lacking:
        raise PopulationError(f"{path}: zone {lacking[0][1]!r} has no row for {lacking[0][0]}: "
                              "every zone needs every year")
    counts = np.array([[found[(y, z)] for z in zones] for y in years], dtype=float)
    return Population(tuple(years), tuple(zones), tuple(names[z] for z in zones), counts)
