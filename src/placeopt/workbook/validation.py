"""Checks across tables, run after reading and again after a scenario changes the inputs.

Each check is a small function that records located problems; together they also put
values into canonical form (need codes in the Needs sheet's case, `all` expanded,
British National Grid locations converted to latitude/longitude), so everything
downstream can compare values directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..problems import Problems
from .boundaries import BadBoundary, parse_boundary
from .cells import ALL, match_choice
from .coordinates import bng_to_wgs84
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


def _where(inputs: Inputs, sheet: str, column: str | None, row: Any) -> str:
    return inputs.source.cell(sheet, column, None if row is None else int(row))


def _tables(inputs: Inputs, *sheets: str) -> Iterable[tuple[str, pd.DataFrame]]:
    for sheet in sheets:
        table = inputs.tables.get(sheet)
        if table is not None and not table.empty:
            yield sheet, table


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
            problems.error(_where(inputs, sheet, key[0], row),
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
                problems.error(_where(inputs, "Suitability", "types", row),
                               f"unknown provider type {item!r}; expected "
                               + ", ".join(PROVIDER_TYPES))
            else:
                found.append(match)
        canonical.append(tuple(found))
    table["types"] = canonical
    table["provision"] = table["provision"].str.lower()


# Known codes by their lower case, or None when the sheet that defines them (or its key
# column) is missing: the missing sheet is the error then, not every code that names it.
Known = dict[str, str] | None


def _defined_by(inputs: Inputs, sheet: str, column: str) -> bool:
    """Can the codes of an optional defining sheet be known? Not if the sheet is in the
    file but could not be read, or lacks its key column."""
    return sheet not in inputs.source.titles or inputs.source.has_column(sheet, column)


def _canonical_needs(inputs: Inputs) -> Known:
    if not _defined_by(inputs, "Needs", "need"):
        return None
    return {code.lower(): code for code in inputs.needs if isinstance(code, str)}


def _check_codes(inputs: Inputs, problems: Problems, sheet: str, column: str,
                 known: Known, what: str, blank_ok: bool = False) -> None:
    """Replace each code by its canonical spelling; report the unknown ones."""
    table = inputs.tables.get(sheet)
    if table is None or table.empty or known is None:
        return
    values = table[column].astype(object)
    blank = values.map(_blank).astype(bool)
    # a blank required cell was reported when it was read (blank_ok: blank = all)
    canonical = {}
    for value in pd.unique(values[~blank]):  # each distinct code once: Demand is long
        canonical[value] = known.get(str(value).lower())
    unknown = [v for v, match in canonical.items() if match is None]
    if unknown:
        bad = values.isin(unknown) & ~blank
        reported = set()
        for row, value in zip(table.loc[bad, "_row"], values[bad], strict=True):
            if row not in reported:
                reported.add(row)
                problems.error(_where(inputs, sheet, column, row), f"unknown {what} "
                               f"{value!r}; expected one of {_listing(known.values())}")
    result = [None if b else canonical.get(v) or v for v, b in zip(values, blank, strict=True)]
    table[column] = pd.Series(result, index=table.index, dtype=object)


def _check_lists(inputs: Inputs, problems: Problems, sheet: str, column: str,
                 known: Known, what: str) -> None:
    table = inputs.tables.get(sheet)
    if table is None or table.empty or known is None:
        return
    result = []
    for row, items in zip(table["_row"], table[column], strict=True):
        if items == ALL or items is None:
            result.append(ALL)
            continue
        found = []
        for item in items:
            match = known.get(str(item).lower())
            if match is None:
                problems.error(_where(inputs, sheet, column, row), f"unknown {what} {item!r}; "
                               f"expected {_listing(known.values())} or all")
            else:
                found.append(match)
        result.append(tuple(found))
    table[column] = pd.Series(result, index=table.index, dtype=object)


def _listing(values: Iterable[str], limit: int = 15) -> str:
    values = list(values)
    shown = ", ".join(values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def check_references(inputs: Inputs, problems: Problems) -> None:
    """Zones, needs, provision levels and providers named anywhere must exist."""
    needs = _canonical_needs(inputs)
    phases = {p.lower(): p for p in PHASES}
    levels = None
    if _defined_by(inputs, "Suitability", "provision"):
        levels = {level.lower(): level for level in inputs.suitability
                  if isinstance(level, str)}
    zones = _ids(inputs, "Zones", "zone_id")
    providers = _ids(inputs, "Providers", "provider_id")
    sites = providers
    options = inputs.tables.get("Expansions")
    if options is not None and not options.empty and providers is not None:
        if _defined_by(inputs, "Expansions", "option_id"):
            is_new = options["provider_id"].isna()
            sites = providers | {str(i).lower(): i
                                 for i in options.loc[is_new, "option_id"].dropna()}
        else:
            sites = None
    for sheet in ("Demand", "CurrentPlacements"):
        _check_codes(inputs, problems, sheet, "zone_id", zones, "zone")
        _check_codes(inputs, problems, sheet, "need", needs, "need")
        _check_codes(inputs, problems, sheet, "provision", levels, "provision level")
    _check_codes(inputs, problems, "CurrentPlacements", "provider_id", providers, "provider")
    _check_codes(inputs, problems, "CapacityLimits", "provider_id", providers, "provider")
    _check_codes(inputs, problems, "CapacityLimits", "need", needs, "need", blank_ok=True)
    _check_codes(inputs, problems, "Expansions", "provider_id", providers, "provider",
                 blank_ok=True)
    _check_codes(inputs, problems, "TravelMatrix", "zone_id", zones, "zone")
    _check_codes(inputs, problems, "TravelMatrix", "provider_id", sites,
                 "provider or new-site option")
    for sheet in ("Providers", "Expansions"):
        _check_lists(inputs, problems, sheet, "needs", needs, "need")
        _check_lists(inputs, problems, sheet, "phases", phases, "phase")


def _ids(inputs: Inputs, sheet: str, column: str) -> Known:
    """The ids a required sheet defines; None if the sheet or its id column is missing."""
    table = inputs.tables.get(sheet)
    if table is None or not inputs.source.has_column(sheet, column):
        return None
    return {str(i).lower(): i for i in table[column].dropna()}


def check_locations(inputs: Inputs, problems: Problems) -> None:
    """A location is latitude+longitude or easting+northing; BNG becomes lat/lon here."""
    for sheet, table in _tables(inputs, "Zones", "Providers", "Expansions"):
        lat, lon = table["latitude"].astype(float), table["longitude"].astype(float)
        east, north = table["easting"].astype(float), table["northing"].astype(float)
        for a, b, col_a, col_b in ((lat, lon, "latitude", "longitude"),
                                   (east, north, "easting", "northing")):
            for row in table.loc[a.isna() != b.isna(), "_row"]:
                problems.error(_where(inputs, sheet, col_a, row),
                               f"give both {col_a} and {col_b}, or neither")
        both = lat.notna() & lon.notna() & east.notna() & north.notna()
        if both.any():
            converted = bng_to_wgs84(east[both].to_numpy(), north[both].to_numpy())
            far = np.abs(converted[0] - lat[both].to_numpy()) + np.abs(
                converted[1] - lon[both].to_numpy()) > 0.01
            for row in table.loc[both, "_row"][far]:
                problems.warn(_where(inputs, sheet, "latitude", row),
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
    options = inputs.tables.get("Expansions")
    providers = _ids(inputs, "Providers", "provider_id")
    if options is None or options.empty or providers is None:
        return
    for row, option_id in zip(options["_row"], options["option_id"], strict=True):
        if not _blank(option_id) and str(option_id).lower() in providers:
            problems.error(_where(inputs, "Expansions", "option_id", row),
                           f"option_id {option_id!r} is also a provider_id; option ids must be "
                           "distinct from every provider_id")


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
            if _blank(capacity) and "capacity" not in given:
                unlimited.add(pid)
    for option in options.to_dict("records"):
        row = option["_row"]
        given = [c for c in NEW_SITE_COLUMNS if c in option.get("_given", ())]
        if not _blank(option["provider_id"]):
            if given:
                problems.error(_where(inputs, "Expansions", given[0], row),
                               f"option {option['option_id']} expands provider "
                               f"{option['provider_id']} but also fills new-site columns "
                               f"({', '.join(given)}); leave provider_id blank for a new site, "
                               "or clear those columns")
            elif option["provider_id"] in unlimited:
                problems.warn(_where(inputs, "Expansions", "provider_id", row),
                              f"provider {option['provider_id']} has unlimited capacity, "
                              f"so option {option['option_id']} adds nothing")
        else:
            for column in NEW_SITE_REQUIRED:
                if _blank(option[column]) and column not in option.get("_given", ()):
                    problems.error(_where(inputs, "Expansions", column, row),
                                   f"new site {option['option_id']} needs {column} (no "
                                   "provider_id, so this option is a new site)")
        _check_option_years(inputs, problems, option, first, last)
        if option["required"] and not option["enabled"]:
            problems.warn(_where(inputs, "Expansions", "enabled", row),
                          f"option {option['option_id']} is required but not enabled: it is "
                          "not built (set required to no, or enabled to yes)")
    _check_required_groups(inputs, problems, options)


def _check_required_groups(inputs: Inputs, problems: Problems, options: pd.DataFrame) -> None:
    """At most one option of a group is built, so two required ones cannot both be."""
    first_required: dict[str, Any] = {}
    for row, option_id, group, required, enabled in zip(
            options["_row"], options["option_id"], options["group"], options["required"],
            options["enabled"], strict=True):
        if _blank(group) or not str(group).strip() or not (required and enabled):
            continue
        key = str(group).strip().lower()
        if key in first_required:
            problems.error(_where(inputs, "Expansions", "required", row),
                           f"options {first_required[key]} and {option_id} are both required "
                           f"but in the same group {group!r}, of which at most one is built")
        else:
            first_required[key] = option_id


def _check_option_years(inputs: Inputs, problems: Problems, option: dict[str, Any],
                        first: int, last: int) -> None:
    row = option["_row"]
    earliest = None if _blank(option["earliest_year"]) else int(option["earliest_year"])
    latest = None if _blank(option["latest_year"]) else int(option["latest_year"])
    if earliest is not None and latest is not None and earliest > latest:
        problems.error(_where(inputs, "Expansions", "latest_year", row),
                       f"latest_year {latest} is before earliest_year {earliest}")
        return
    if earliest is not None and earliest > last:
        column, span = "earliest_year", f"{earliest}" + (
            f"-{latest}" if latest is not None else " or later")
    elif latest is not None and latest < first:
        column, span = "latest_year", (f"{earliest}-{latest}" if earliest is not None
                                       else f"{latest} or earlier")
    else:
        return
    message = (f"option {option['option_id']} can only open in {span}, outside the planning "
               f"years {first}-{last}")
    if option["required"]:
        problems.error(_where(inputs, "Expansions", column, row),
                       message + "; a required option must be able to open")
    else:
        problems.warn(_where(inputs, "Expansions", column, row), message + "; it is never built")


def _blank(value: Any) -> bool:
    """None or NaN (pandas stores a blank text cell as either)."""
    return value is None or (isinstance(value, float) and np.isnan(value))


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
            problems.error(_where(inputs, "Demand", "year", rows[0]),
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
    zone_ids, need_codes = _ids(inputs, "Zones", "zone_id"), _canonical_needs(inputs)
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
            problems.error(_where(inputs, "CurrentPlacements", "zone_id", record["_row"]),
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
        problems.warn(_where(inputs, "Budget", "year", rows[0]),
                      f"Budget {_plural(len(rows), 'row')} {_listing(map(str, rows), 10)} "
                      f"{'is' if len(rows) == 1 else 'are'} for "
                      f"{_listing(map(str, shown), 10)}, outside the planning years "
                      f"{years[0]}-{years[-1]}: ignored")
    inputs.tables["Budget"] = budget.loc[budget["year"].isin(years)].reset_index(drop=True)
    _check_capital_streams(inputs, problems, budget)


def canonical_stream(stream: Any) -> Any:
    """A Budget stream or funding item as compared: lower case, no spaces around ':'."""
    if not isinstance(stream, str):
        return stream
    return re.sub(r"\s*:\s*", ":", stream.strip().lower())


def _check_capital_streams(inputs: Inputs, problems: Problems, budget: pd.DataFrame) -> None:
    """A ring-fenced stream needs a name; a stream that looks like capital but is not
    written as capital or capital:NAME is revenue, which the planner is told."""
    for row, stream in zip(budget["_row"], budget["stream"], strict=True):
        if not isinstance(stream, str) or not stream.startswith(CAPITAL) or stream == CAPITAL:
            continue
        if stream == RING_FENCED:
            problems.error(_where(inputs, "Budget", "stream", row),
                           "a ring-fenced capital stream needs a name after 'capital:', "
                           "e.g. capital:s106")
        elif not stream.startswith(RING_FENCED):
            problems.warn(_where(inputs, "Budget", "stream", row),
                          f"stream {stream!r} is counted as revenue: capital is the stream "
                          "capital, and ring-fenced capital is written capital:NAME (e.g. "
                          f"capital:{stream.removeprefix(CAPITAL).strip(' _-')})")


def check_funding(inputs: Inputs, problems: Problems) -> None:
    """Each option's funding names capital streams: capital, or a capital:NAME with rows in
    the Budget sheet (SPEC §1). Items are put in canonical form; `all` means every one."""
    options = inputs.tables.get("Expansions")
    if options is None or options.empty or "funding" not in options.columns:
        return
    budget = inputs.tables.get("Budget")
    streams = set() if budget is None or budget.empty else set(budget["stream"].dropna())
    ring_fenced = {s for s in streams if isinstance(s, str) and s.startswith(RING_FENCED)
                   and s != RING_FENCED}
    canonical: list[Any] = []
    for row, funding in zip(options["_row"], options["funding"], strict=True):
        if funding == ALL or funding is None:
            canonical.append(ALL)
            continue
        found = []
        for item in funding:
            name = canonical_stream(item)
            if name == CAPITAL or name in ring_fenced:
                found.append(name)
            elif name.startswith(RING_FENCED) and name != RING_FENCED:
                problems.error(_where(inputs, "Expansions", "funding", row),
                               f"funding stream {name!r} has no rows in the Budget sheet "
                               f"within the planning years: add its capital there (year, "
                               f"stream {name}, amount), or take it out of funding")
            else:
                problems.error(_where(inputs, "Expansions", "funding", row),
                               f"unknown funding stream {item!r}; expected capital or a "
                               "ring-fenced stream of the Budget sheet"
                               + (f" ({_listing(sorted(ring_fenced))})" if ring_fenced
                                  else " written capital:NAME"))
        canonical.append(tuple(dict.fromkeys(found)))
    options["funding"] = pd.Series(canonical, index=options.index, dtype=object)
    _warn_unused_streams(inputs, problems, options, streams, ring_fenced)


def _warn_unused_streams(inputs: Inputs, problems: Problems, options: pd.DataFrame,
                         streams: set[str], ring_fenced: set[str]) -> None:
    """Ring-fenced money no option may spend, and a general pot with no limit beside
    ring-fenced streams, are said (both are legal, neither is likely meant)."""
    enabled = options[options["enabled"].astype(bool)]
    named: set[str] = set()
    for funding in enabled["funding"]:
        named |= ring_fenced | {CAPITAL} if funding == ALL else set(funding)
    for stream in sorted(ring_fenced - named):
        budget = inputs.tables["Budget"]
        rows = budget.loc[budget["stream"] == stream]
        problems.warn(_where(inputs, "Budget", "stream", rows["_row"].iloc[0]),
                      f"ring-fenced capital {stream} (£{rows['amount'].sum():,.0f}) is in "
                      "no enabled option's funding: nothing can spend it")
    if ring_fenced and CAPITAL in named and CAPITAL not in streams:
        problems.warn(inputs.source.cell("Budget", "stream", None),
                      "the Budget sheet has ring-fenced capital but no rows for the stream "
                      "capital: options funded from capital (the default) have no capital "
                      "limit")


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def check_boundaries(inputs: Inputs, problems: Problems) -> None:
    """Each boundary is a GeoJSON Polygon or MultiPolygon of a known zone; zones left
    without one (when others have one) are drawn as circles, which is said."""
    table = inputs.tables.get("Boundaries")
    if table is None or table.empty:
        return
    _check_codes(inputs, problems, "Boundaries", "zone_id", _ids(inputs, "Zones", "zone_id"),
                 "zone")
    for row, geometry in zip(table["_row"], table["geometry"], strict=True):
        if not _blank(geometry):
            try:
                parse_boundary(geometry)
            except BadBoundary as exc:
                problems.error(_where(inputs, "Boundaries", "geometry", row),
                               f"not a zone boundary: {exc}")
    zones = inputs.tables.get("Zones")
    outlined = set(table["zone_id"].dropna())
    missing = [] if zones is None else [z for z in zones["zone_id"] if z not in outlined]
    if missing:
        problems.warn(_where(inputs, "Boundaries", None, None),
                      f"{len(missing)} zone(s) have no boundary ({_listing(missing, 8)}): the "
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
    check_funding,
    check_scenarios,
)
