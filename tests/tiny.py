"""Tiny planning workbooks whose optimum can be worked out by hand.

`tiny_workbook(path, ...)` writes a real .xlsx with the sheets of SPEC §1 (headers in
row 1). Every table is given as a list of dicts (column -> value; a missing key is a
blank cell). Defaults keep the arithmetic hand-checkable:

- Parameters: first_year 2026, horizon_years 1, discount_rate 0, capital_treatment
  upfront, mip_gap 0, unmet_penalty 1e6 (override any with `params`).
- Zones: one zone Z1. Zones, providers and new sites all get a location (the same
  point), so nothing is ever "missing".
- TravelMatrix: one row for EVERY zone x provider pair (new sites included) with
  minutes 10 and annual_transport_cost 0, unless `travel[(zone, provider)]` says
  otherwise (a value of None there leaves the cell blank, so it is computed).
- Demand rows take `pupils` as a list (one value per planning year) or one number for
  every year; provision defaults to blank (= any).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from conftest import write_workbook

from placeopt.model.results import Results
from placeopt.run import plan

FIRST_YEAR = 2026
LAT, LON = 52.0, -1.0
DEFAULT_MINUTES = 10.0

DEFAULT_PARAMS: dict[str, Any] = {
    "first_year": FIRST_YEAR,
    "horizon_years": 1,
    "discount_rate": 0,
    "capital_treatment": "upfront",
    "mip_gap": 0,
    "unmet_penalty": 1_000_000,
    "time_limit_seconds": 60,
}

Row = Mapping[str, Any]


def years_of(params: Mapping[str, Any]) -> list[int]:
    first, horizon = int(params["first_year"]), int(params["horizon_years"])
    return list(range(first, first + horizon))


def _table(rows: Iterable[Row], leading: Iterable[str] = ()) -> list[list[Any]]:
    """[header, *rows] from dict rows: the union of keys, `leading` first."""
    rows = [dict(r) for r in rows]
    header: list[str] = [c for c in leading]
    for row in rows:
        for key in row:
            if key not in header:
                header.append(key)
    return [header, *[[row.get(c) for c in header] for row in rows]]


def _located(row: Row) -> dict[str, Any]:
    row = dict(row)
    if not any(k in row for k in ("latitude", "easting")):
        row["latitude"], row["longitude"] = LAT, LON
    return row


def tiny_workbook(path: Path, *, params: Mapping[str, Any] | None = None,
                  zones: Iterable[Row] | None = None,
                  providers: Iterable[Row] = (),
                  demand: Iterable[Row] = (),
                  expansions: Iterable[Row] = (),
                  travel: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
                  current: Iterable[Row] = (),
                  budget: Iterable[Row] = (),
                  limits: Iterable[Row] = (),
                  suitability: Iterable[Row] = (),
                  needs: Iterable[Row] = (),
                  inclusion: Iterable[Row] = ()) -> Path:
    """Write a tiny planning workbook; returns its path."""
    p = {**DEFAULT_PARAMS, **(params or {})}
    years = years_of(p)
    zones = [_located(z) for z in (zones if zones is not None else [{"zone_id": "Z1"}])]
    providers = [_located(s) for s in providers]
    expansions = [dict(e) if e.get("provider_id") else _located(e) for e in expansions]

    sheets: dict[str, list[list[Any]]] = {
        "Parameters": [["parameter", "value"], *[[k, v] for k, v in p.items()]],
    }
    if needs:
        sheets["Needs"] = _table(needs, ["need", "name"])
    sheets["Zones"] = _table(zones, ["zone_id"])
    demand_rows = []
    for row in demand:
        row = dict(row)
        pupils = row.pop("pupils")
        values = list(pupils) if isinstance(pupils, list | tuple) else [pupils] * len(years)
        assert len(values) == len(years), f"{row}: {len(values)} values for {len(years)} years"
        demand_rows.append({**row, **dict(zip(years, values, strict=True))})
    sheets["Demand"] = _table(demand_rows, ["zone_id", "need", "phase", "provision"])
    if suitability:
        sheets["Suitability"] = _table(suitability, ["provision", "types"])
    sheets["Providers"] = _table(providers, ["provider_id", "type"])
    if limits:
        sheets["CapacityLimits"] = _table(limits, ["provider_id", "need", "phase", "places"])
    if expansions:
        sheets["Expansions"] = _table(expansions, ["option_id", "provider_id", "places",
                                                   "capital_cost"])
    if current:
        sheets["CurrentPlacements"] = _table(current, ["zone_id", "need", "phase",
                                                       "provision", "provider_id", "pupils"])
    sites = [s["provider_id"] for s in providers] + [
        e["option_id"] for e in expansions if not e.get("provider_id")]
    travel = dict(travel or {})
    matrix = []
    for z in zones:
        for s in sites:
            row = {"zone_id": z["zone_id"], "provider_id": s, "minutes": DEFAULT_MINUTES,
                   "distance_km": None, "annual_transport_cost": 0}
            row.update(travel.pop((z["zone_id"], s), {}))
            matrix.append(row)
    assert not travel, f"travel pairs that are not zone x provider pairs: {list(travel)}"
    sheets["TravelMatrix"] = _table(matrix)
    if budget:
        sheets["Budget"] = _table(budget, ["year", "stream", "amount"])
    if inclusion:
        sheets["Inclusion"] = _table(inclusion, ["measure_id", "share"])

    return write_workbook(path, sheets)


def solve(path: Path, **workbook: Any) -> Results:
    """Write a tiny workbook at `path` and solve its base scenario."""
    return plan(tiny_workbook(path, **workbook))


# --- reading results --------------------------------------------------------------------


def pupils_at(results: Results, provider_id: str, year: int | None = None,
              **group: str) -> float:
    """Plan pupils placed at a provider (optionally one year, one group's columns)."""
    table = results.placements
    mask = table["provider_id"] == provider_id
    if year is not None:
        mask &= table["year"] == year
    for column, value in group.items():
        mask &= table[column] == value
    return float(table.loc[mask, "pupils"].sum())


def placed(results: Results) -> dict[tuple[int, str], float]:
    """{(year, provider_id): pupils} over the plan's placements."""
    table = results.placements.groupby(["year", "provider_id"])["pupils"].sum()
    return {(int(y), str(p)): float(v) for (y, p), v in table.items()}


def built(results: Results) -> dict[str, int]:
    """{option_id: open_year} of the options the plan builds."""
    table = results.expansions
    table = table[table["built"] == "yes"]
    return {str(o): int(y) for o, y in zip(table["option_id"], table["open_year"], strict=True)}


def capacity_of(results: Results, provider_id: str) -> pd.DataFrame:
    """capacity.csv rows of one provider, indexed by year."""
    table = results.capacity
    return table[table["provider_id"] == provider_id].set_index("year")


def unmet(results: Results) -> list[tuple[int, str, float, str]]:
    """[(year, zone_id, pupils, reason)] of the plan's unmet pupils."""
    table = results.unmet
    return [(int(y), str(z), float(p), str(r)) for y, z, p, r in
            zip(table["year"], table["zone_id"], table["pupils"], table["reason"], strict=True)]
