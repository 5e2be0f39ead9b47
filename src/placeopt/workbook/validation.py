"""Checks across tables, run after reading and again after a scenario changes the inputs.

Each check is a small function that records located problems; together they also put
values into canonical form (need codes in the Needs sheet's case, `all` expanded,
British National Grid locations converted to latitude/longitude), so everything
downstream can compare values directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..problems import Problems
from .boundaries import BadBoundary, parse_boundary
from .cells import ALL, match_choice
from .checking import (
    OPTION,
    blank,
    budget_streams,
    canonical_needs,
    canonical_stream,
    check_codes,
    check_distinct_ids,
    check_funding_lists,
    check_lists,
    check_window,
    defined_by,
    ids,
    listing,
    plural,
    provision_levels,
    tables,
    where,
)
from .coordinates import bng_to_wgs84
from .inclusion_checks import check_inclusion
from .inputs import Inputs
from .scenario_rows import check_scenario_rows
from .schema import (
    CAPITAL,
    NEW_SITE_COLUMNS,
    NEW_SITE_REQUIRED,
    PHASES,
    PROVIDER_TYPES,
    RING_FENCED,
    SHEET_BY_NAME,
)

Check = Callable[[Inputs, Problems], None]


def validate(inputs: Inputs, problems: Problems) -> None:
    """Run every check; problems are recorded, never raised here."""
    for check in CHECKS:
        check(inputs, problems)


def check_unique_keys(inputs: Inputs, problems: Problems) -> None:
    for sheet in SHEET_BY_NAME.values():
        table = inputs.tables.get(sheet.name)
        if table is None or table.empty or not sheet.key or sheet.name == "Demand":
            continue
        _report_duplicates(inputs, problems, sheet.name, table, list(sheet.key))
    demand = inputs.tables.get("Demand")
    if demand is not None and not demand.empty:
        _report_duplicates(inputs, problems, "Demand", demand,
                           ["zone_id", "need", "phase", "provision", "year"])


def _report_duplicates(inputs: Inputs, problems: Problems, sheet: str, table: pd.DataFrame,
                       key: list[str]) -> None:
    folded = table[key].map(lambda v: v.lower() if isinstance(v, str) else v)
    repeated = folded.duplicated(keep=False) & table[key].notna().all(axis=1)
    if not repeated.any():
        return
    first_rows: dict[tuple, int] = {}
    reported: set[tuple[int, int]] = set()
    shown_key = [k for k in key if k != "year"] if sheet == "Demand" else key
    for row, values, original in zip(
            table.loc[repeated, "_row"],
            folded.loc[repeated].itertuples(index=False, name=None),
            table.loc[repeated, shown_key].itertuples(index=False, name=None), strict=True):
        first = first_rows.setdefault(values, row)
        if first != row and (first, row) not in reported:
            reported.add((first, row))  # a wide Demand row repeats in every year: say it once
            shown = ", ".join(f"{k}={v}" for k, v in zip(shown_key, original, strict=True))
            problems.error(where(inputs, sheet, key[0], row),
                           f"duplicate of row {first} ({shown}); each must be unique")


def check_needs_and_levels(inputs: Inputs, problems: Problems) -> None:
    """Suitability types are provider types; `all` means every type."""
    table = inputs.tables.get("Suitability")
    if table is None:
        return
    canonical = []
    for row, types in zip(table["_row"], table["types"], strict=True):
        if types == ALL or types is None:
            canonical.append(PROVIDER_TYPES)
            continue
        found = []
        for item in types:
            match = match_choice(item, PROVIDER_TYPES)
            if match is None:
                problems.error(where(inputs, "Suitability", "types", row),
                               f"unknown provider type {item!r}; expected "
                               + ", ".join(PROVIDER_TYPES))
            else:
                found.append(match)
        canonical.append(tuple(found))
    table["types"] = canonical
    table["provision"] = table["provision"].str.lower()


def check_references(inputs: Inputs, problems: Problems) -> None:
    """Zones, needs, provision levels and providers named anywhere must exist."""
    needs = canonical_needs(inputs)
    phases = {p.lower(): p for p in PHASES}
    levels = provision_levels(inputs)
    zones = ids(inputs, "Zones", "zone_id")
    providers = ids(inputs, "Providers", "provider_id")
    sites = providers
    options = inputs.tables.get("Expansions")
    if options is not None and not options.empty and providers is not None:
        if defined_by(inputs, "Expansions", "option_id"):
            is_new = options["provider_id"].isna()
            sites = providers | {str(i).lower(): i
                                 for i in options.loc[is_new, "option_id"].dropna()}
        else:
            sites = None
    for sheet in ("Demand", "CurrentPlacements"):
        check_codes(inputs, problems, sheet, "zone_id", zones, "zone")
        check_codes(inputs, problems, sheet, "need", needs, "need")
        check_codes(inputs, problems, sheet, "provision", levels, "provision level")
    check_codes(inputs, problems, "CurrentPlacements", "provider_id", providers, "provider")
    check_codes(inputs, problems, "CapacityLimits", "provider_id", providers, "provider")
    check_codes(inputs, problems, "CapacityLimits", "need", needs, "need", blank_ok=True)
    check_codes(inputs, problems, "Expansions", "provider_id", providers, "provider",
                 blank_ok=True)
    check_codes(inputs, problems, "TravelMatrix", "zone_id", zones, "zone")
    check_codes(inputs, problems, "TravelMatrix", "provider_id", sites,
                 "provider or new-site option")
    for sheet in ("Providers", "Expansions"):
        check_lists(inputs, problems, sheet, "needs", needs, "need")
        check_lists(inputs, problems, sheet, "phases", phases, "phase")


def check_locations(inputs: Inputs, problems: Problems) -> None:
    """A location is latitude+longitude or easting+northing; BNG becomes lat/lon here."""
    for sheet, table in tables(inputs, "Zones", "Providers", "Expansions"):
        lat, lon = table["latitude"].astype(float), table["longitude"].astype(float)
        east, north = table["easting"].astype(float), table["northing"].astype(float)
        for a, b, col_a, col_b in ((lat, lon, "latitude", "longitude"),
                                   (east, north, "easting", "northing")):
            for row in table.loc[a.isna() != b.isna(), "_row"]:
                problems.error(where(inputs, sheet, col_a, row),
                               f"give both {col_a} and {col_b}, or neither")
        both = lat.notna() & lon.notna() & east.notna() & north.notna()
        if both.any():
            converted = bng_to_wgs84(east[both].to_numpy(), north[both].to_numpy())
            far = np.abs(converted[0] - lat[both].to_numpy()) + np.abs(
                converted[1] - lon[both].to_numpy()) > 0.01
            for row in table.loc[both, "_row"][far]:
                problems.warn(where(inputs, sheet, "latitude", row),
                              "latitude/longitude and easting/northing disagree by more than "
                              "about 1 km; latitude/longitude used")
        use_bng = lat.isna() & east.notna() & north.notna()
        if use_bng.any():
            new_lat, new_lon = bng_to_wgs84(east[use_bng].to_numpy(), north[use_bng].to_numpy())
            lat, lon = lat.copy(), lon.copy()
            lat[use_bng], lon[use_bng] = new_lat, new_lon
        table["latitude"], table["longitude"] = lat, lon


def check_ids(inputs: Inputs, problems: Problems) -> None:
    """Option ids must not clash with provider ids (a new site becomes a provider)."""
    check_distinct_ids(inputs, problems, "Expansions", "option_id",
                       {"provider_id": ids(inputs, "Providers", "provider_id")})


def check_options(inputs: Inputs, problems: Problems) -> None:
    """An option expands a provider or describes a new site, not both; years make sense."""
    options = inputs.tables.get("Expansions")
    if options is None or options.empty or "first_year" not in inputs.params:
        return
    first = inputs.params["first_year"]
    if not isinstance(first, int):
        return
    last = first + int(inputs.params["horizon_years"]) - 1
    unlimited: set[str] = set()  # providers whose capacity is blank, not wrongly typed
    table = inputs.tables.get("Providers")
    # without a capacity column every provider is unlimited, and one warning said so
    if table is not None and not table.empty and inputs.source.has_column("Providers",
                                                                            "capacity"):
        for pid, capacity, given in zip(table["provider_id"], table["capacity"],
                                        table["_given"] if "_given" in table.columns
                                        else [frozenset()] * len(table), strict=True):
            if blank(capacity) and "capacity" not in given:
                unlimited.add(pid)
    for option in options.to_dict("records"):
        row = option["_row"]
        given = [c for c in NEW_SITE_COLUMNS if c in option.get("_given", ())]
        if not blank(option["provider_id"]):
            if given:
                problems.error(where(inputs, "Expansions", given[0], row),
                               f"option {option['option_id']} expands provider "
                               f"{option['provider_id']} but also fills new-site columns "
                               f"({', '.join(given)}); leave provider_id blank for a new site, "
                               "or clear those columns")
            elif option["provider_id"] in unlimited:
                problems.warn(where(inputs, "Expansions", "provider_id", row),
                              f"provider {option['provider_id']} has unlimited capacity, "
                              f"so option {option['option_id']} adds nothing")
        else:
            for column in NEW_SITE_REQUIRED:
                if blank(option[column]) and column not in option.get("_given", ()):
                    problems.error(where(inputs, "Expansions", column, row),
                                   f"new site {option['option_id']} needs {column} (no "
                                   "provider_id, so this option is a new site)")
        check_window(inputs, problems, option, first, last, OPTION)
        if option["required"] and not option["enabled"]:
            problems.warn(where(inputs, "Expansions", "enabled", row),
                          f"option {option['option_id']} is required but not enabled: it is "
                          "not built (set required to no, or enabled to yes)")
    _check_required_groups(inputs, problems, options)


def _check_required_groups(inputs: Inputs, problems: Problems, options: pd.DataFrame) -> None:
    """At most one option of a group is built, so two required ones cannot both be."""
    first_required: dict[str, Any] = {}
    for row, option_id, group, required, enabled in zip(
            options["_row"], options["option_id"], options["group"], options["required"],
            options["enabled"], strict=True):
        if blank(group) or not str(group).strip() or not (required and enabled):
            continue
        key = str(group).strip().lower()
        if key in first_required:
            problems.error(where(inputs, "Expansions", "required", row),
                           f"options {first_required[key]} and {option_id} are both required "
                           f"but in the same group {group!r}, of which at most one is built")
        else:
            first_required[key] = option_id


def check_demand_years(inputs: Inputs, problems: Problems) -> None:
    """Every group has every planning year; other years are dropped with a warning."""
    demand = inputs.tables.get("Demand")
    first = inputs.params.get("first_year")
    if demand is None or demand.empty or not isinstance(first, int):
        return
    years = set(inputs.years)
    outside = ~demand["year"].isin(years)
    if outside.any():
        ignored = sorted(demand.loc[outside, "year"].unique())
        problems.warn(inputs.source.cell("Demand", "year", None),
                      "demand in years outside the planning horizon ignored: "
                      + ", ".join(str(int(y)) for y in ignored))
        demand = demand.loc[~outside].reset_index(drop=True)
        inputs.tables["Demand"] = demand
    nowhere = years - set(demand["year"])
    if nowhere:  # say it once, not once for every row
        problems.error(inputs.source.cell("Demand", "year", None),
                       f"no demand for {', '.join(map(str, sorted(nowhere)))} in any row; "
                       "every planning year is needed")
    key = ["zone_id", "need", "phase", "provision"]
    present = demand[[*key, "year"]].drop_duplicates()
    counts = present.groupby(key, sort=False, dropna=False).size()
    if (counts >= len(years) - len(nowhere)).all():
        return  # the usual case, found without visiting every group
    for values, group in demand.groupby(key, sort=False, dropna=False):
        missing = years - nowhere - set(group["year"])
        if missing:
            rows = sorted(group["_row"].unique())
            problems.error(where(inputs, "Demand", "year", rows[0]),
                           f"{'/'.join(map(str, values))} has no demand for "
                           f"{', '.join(map(str, sorted(missing)))}; every planning year "
                           "is needed")


def check_current_placements(inputs: Inputs, problems: Problems) -> None:
    """Current placements belong to a demand group (they are part of Demand)."""
    current = inputs.tables.get("CurrentPlacements")
    demand = inputs.tables.get("Demand")
    if current is None or current.empty or demand is None:
        return
    key = ["zone_id", "need", "phase", "provision"]
    zone_ids, need_codes = ids(inputs, "Zones", "zone_id"), canonical_needs(inputs)
    if zone_ids is None or need_codes is None or not inputs.source.has_column("Demand", "need"):
        return  # a missing sheet or column was reported; every group would be "missing"
    groups = set(demand[key].itertuples(index=False, name=None))
    zones, needs, levels = set(zone_ids.values()), set(need_codes.values()), set(
        inputs.suitability)
    # With no demand at all (its own error), every row follows from that one cause.
    family = NO_DEMAND if demand.empty else ""
    for record in current.to_dict("records"):
        group = tuple(record[k] for k in key)
        known = (group[0] in zones and group[1] in needs and group[3] in levels)
        if known and group not in groups:  # an unknown code was reported already
            problems.error(where(inputs, "CurrentPlacements", "zone_id", record["_row"]),
                           f"no Demand row for {'/'.join(map(str, group))}: current placements "
                           "are part of demand, so the group needs a Demand row", family)


NO_DEMAND = "rows of CurrentPlacements that name demand that is not there"


def check_budget(inputs: Inputs, problems: Problems) -> None:
    """Budget years outside the horizon are ignored (SPEC §1), and the planner told which."""
    budget = inputs.tables.get("Budget")
    if budget is None or budget.empty or not isinstance(inputs.params.get("first_year"), int):
        return
    budget["stream"] = budget["stream"].map(canonical_stream)
    years = inputs.years
    outside = budget["year"].notna() & ~budget["year"].isin(years)
    if outside.any():
        rows = budget.loc[outside, "_row"].astype(int).tolist()
        shown = sorted({int(y) for y in budget.loc[outside, "year"]})
        problems.warn(where(inputs, "Budget", "year", rows[0]),
                      f"Budget {plural(len(rows), 'row')} {listing(map(str, rows), 10)} "
                      f"{'is' if len(rows) == 1 else 'are'} for "
                      f"{listing(map(str, shown), 10)}, outside the planning years "
                      f"{years[0]}-{years[-1]}: ignored")
    inputs.tables["Budget"] = budget.loc[budget["year"].isin(years)].reset_index(drop=True)
    _check_capital_streams(inputs, problems, budget)


def _check_capital_streams(inputs: Inputs, problems: Problems, budget: pd.DataFrame) -> None:
    """A ring-fenced stream needs a name; a stream that looks like capital but is not
    written as capital or capital:NAME is revenue, which the planner is told."""
    for row, stream in zip(budget["_row"], budget["stream"], strict=True):
        if not isinstance(stream, str) or not stream.startswith(CAPITAL) or stream == CAPITAL:
            continue
        if stream == RING_FENCED:
            problems.error(where(inputs, "Budget", "stream", row),
                           "a ring-fenced capital stream needs a name after 'capital:', "
                           "e.g. capital:s106")
        elif not stream.startswith(RING_FENCED):
            problems.warn(where(inputs, "Budget", "stream", row),
                          f"stream {stream!r} is counted as revenue: capital is the stream "
                          "capital, and ring-fenced capital is written capital:NAME (e.g. "
                          f"capital:{stream.removeprefix(CAPITAL).strip(' _-')})")


def check_funding(inputs: Inputs, problems: Problems) -> None:
    """Each option's funding names capital streams: capital, or a capital:NAME with rows in
    the Budget sheet (SPEC §1). Items are put in canonical form; `all` means every one.
    (The Inclusion sheet's funding is checked by `check_inclusion`, which runs first.)"""
    streams, ring_fenced = budget_streams(inputs)
    options = inputs.tables.get("Expansions")
    if options is not None and not options.empty and "funding" in options.columns:
        check_funding_lists(inputs, problems, "Expansions", ring_fenced)
    payers = [table for _, table in tables(inputs, "Expansions", "Inclusion")
              if "funding" in table.columns]
    if payers:
        _warn_unused_streams(inputs, problems, payers, streams, ring_fenced)


def _warn_unused_streams(inputs: Inputs, problems: Problems, payers: list[pd.DataFrame],
                         streams: set[str], ring_fenced: set[str]) -> None:
    """Ring-fenced money no option or measure may spend, and a general pot with no limit
    beside ring-fenced streams, are said (both are legal, neither is likely meant)."""
    named: set[str] = set()
    for table in payers:
        for funding in table.loc[table["enabled"].astype(bool), "funding"]:
            named |= ring_fenced | {CAPITAL} if funding == ALL else set(funding)
    for stream in sorted(ring_fenced - named):
        budget = inputs.tables["Budget"]
        rows = budget.loc[budget["stream"] == stream]
        problems.warn(where(inputs, "Budget", "stream", rows["_row"].iloc[0]),
                      f"ring-fenced capital {stream} (£{rows['amount'].sum():,.0f}) is in "
                      "no enabled option's or measure's funding: nothing can spend it")
    if ring_fenced and CAPITAL in named and CAPITAL not in streams:
        problems.warn(inputs.source.cell("Budget", "stream", None),
                      "the Budget sheet has ring-fenced capital but no rows for the stream "
                      "capital: options funded from capital (the default) have no capital "
                      "limit")


def check_boundaries(inputs: Inputs, problems: Problems) -> None:
    """Each boundary is a GeoJSON Polygon or MultiPolygon of a known zone; zones left
    without one (when others have one) are drawn as circles, which is said."""
    table = inputs.tables.get("Boundaries")
    if table is None or table.empty:
        return
    check_codes(inputs, problems, "Boundaries", "zone_id", ids(inputs, "Zones", "zone_id"),
                 "zone")
    for row, geometry in zip(table["_row"], table["geometry"], strict=True):
        if not blank(geometry):
            try:
                parse_boundary(geometry)
            except BadBoundary as exc:
                problems.error(where(inputs, "Boundaries", "geometry", row),
                               f"not a zone boundary: {exc}")
    zones = inputs.tables.get("Zones")
    outlined = set(table["zone_id"].dropna())
    missing = [] if zones is None else [z for z in zones["zone_id"] if z not in outlined]
    if missing:
        problems.warn(where(inputs, "Boundaries", None, None),
                      f"{len(missing)} zone(s) have no boundary ({listing(missing, 8)}): the "
                      "map draws them as circles")


def check_scenarios(inputs: Inputs, problems: Problems) -> None:
    """Each scenario row names a sheet and a column that exist; filters parse."""
    check_scenario_rows(inputs, problems)


CHECKS: tuple[Check, ...] = (
    check_unique_keys,
    check_needs_and_levels,
    check_references,
    check_ids,
    check_locations,
    check_options,
    check_demand_years,
    check_current_placements,
    check_budget,
    check_boundaries,
    check_inclusion,
    check_funding,
    check_scenarios,
)
