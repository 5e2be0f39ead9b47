"""Reading the planning workbook into typed tables (SPEC §1).

Every problem is collected in one pass and reported together, each with its cell.
Cross-table checks (unknown zones, missing years, ...) live in `validation`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from ..problems import Problems, sheet_ref
from .cells import CellError, default_of, is_blank, parse_cell, show, year_header
from .inputs import Inputs, Source
from .schema import (
    PARAMETER_BY_NAME,
    PARAMETERS,
    SHEET_BY_NAME,
    SHEETS,
    Column,
    Kind,
    Sheet,
    normalise_header,
)
from .validation import validate
from .xlsx import RawSheet, read_sheets

FORMULA_HELP = ("a formula with no calculated value (the workbook was written by a program and "
                "never opened in Excel): open it in Excel or LibreOffice and save it, or type "
                "the value")


def read_workbook(path: str | Path) -> Inputs:
    """Read and check a planning workbook; raise InputError listing every problem."""
    path = Path(path)
    raw = read_sheets(path)
    problems = Problems()
    source = Source(path=path, sha256=_sha256(path))
    found = _match_sheets(raw, problems)
    source.titles = {name: sheet.title for name, sheet in found.items()}

    params, bad = _read_parameters(found.get("Parameters"), problems)
    if bad & {"first_year", "horizon_years"}:
        # The planning years are unknown: checking Demand and options against a default
        # horizon would only bury the real error under consequences of it.
        params["first_year"] = None
    tables: dict[str, pd.DataFrame] = {}
    for sheet in SHEETS:
        if sheet.name == "Parameters" or sheet.name not in found:
            continue
        tables[sheet.name] = _read_table(found[sheet.name], sheet, source, problems)
    tables["Demand"], all_years = _demand_to_long(tables.get("Demand"), params, source,
                                                  problems)
    untrimmed = {"Demand": all_years}
    if "Budget" in tables:
        untrimmed["Budget"] = tables["Budget"].copy()
    inputs = Inputs(params=params, tables=tables, source=source, untrimmed=untrimmed)
    validate(inputs, problems)
    _drop_repeats(problems)
    problems.raise_if_errors()
    inputs.warnings = problems.warnings
    return inputs


def _drop_repeats(problems: Problems) -> None:
    """The same problem at the same place is listed once."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for problem in problems.items:
        key = (problem.level, problem.where, problem.message)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    problems.items[:] = kept


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _match_sheets(raw: dict[str, RawSheet], problems: Problems) -> dict[str, RawSheet]:
    by_key = {normalise_header(s.name).replace("_", ""): s.name for s in SHEETS}
    found: dict[str, RawSheet] = {}
    for title, sheet in raw.items():
        name = by_key.get(normalise_header(title).replace("_", ""))
        if name is None:
            continue  # planners keep notes in their own sheets
        if name in found:
            problems.error(title, f"a second sheet for {name} (the first is "
                           f"'{found[name].title}'); keep one")
            continue
        found[name] = sheet
    for sheet in SHEETS:
        if sheet.required and sheet.name not in found:
            problems.error("workbook", f"missing sheet '{sheet.name}': {sheet.purpose}")
    return found


def _read_value(column: Column, value: Any, where: str, formula: bool,
                problems: Problems) -> Any:
    """The cell's typed value, or its default; records a problem when it can't."""
    if formula:
        problems.error(where, FORMULA_HELP)
        return default_of(column)
    if is_blank(value):
        if column.required:
            problems.error(where, f"{column.name} is missing; expected "
                           f"{column.describe_expected()}")
        return default_of(column)
    try:
        return parse_cell(column, value)
    except CellError as exc:
        problems.error(where, f"{show(value)} is not a valid {column.name}; expected {exc}")
        return default_of(column)


def _read_parameters(raw: RawSheet | None,
                     problems: Problems) -> tuple[dict[str, Any], set[str]]:
    """The parameters (defaults for those not given) and the names whose value is wrong."""
    params = {p.name: default_of(p) for p in PARAMETERS}
    bad: set[str] = set()
    if raw is None:
        return params, bad
    sheet = SHEET_BY_NAME["Parameters"]
    positions = _map_headers(raw, sheet, problems)
    if "value" not in positions and "parameter" in positions:
        problems.error(f"{raw.ref}!1:1", "missing column 'value' (the value of each "
                       "parameter, next to its name)")
    if "parameter" not in positions or "value" not in positions:
        return params, {"first_year"}
    seen: dict[str, int] = {}
    name_col, value_col = positions["parameter"], positions["value"]
    name_letter = get_column_letter(name_col + 1)
    value_letter = get_column_letter(value_col + 1)
    for row, values in raw.rows:
        name_cell = _at(values, name_col)
        if is_blank(name_cell):
            continue
        name = normalise_header(name_cell)
        where = f"{raw.ref}!{name_letter}{row}"
        column = PARAMETER_BY_NAME.get(name)
        if column is None:
            problems.error(where, f"unknown parameter {show(name_cell)}; expected one of "
                           + ", ".join(PARAMETER_BY_NAME))
            continue
        if name in seen:
            problems.error(where, f"parameter {name} is given twice (also row {seen[name]})")
            continue
        seen[name] = row
        before = len(problems.errors)
        params[name] = _read_value(column, _at(values, value_col),
                                   f"{raw.ref}!{value_letter}{row}",
                                   (row, value_col + 1) in raw.formula_cells, problems)
        if len(problems.errors) > before:
            bad.add(name)
    if params["first_year"] is None and "first_year" not in seen:
        problems.error(raw.title, "parameter first_year is missing; expected a row "
                       "'first_year' with the first planning year, e.g. 2026")
        bad.add("first_year")
    return params, bad


def _at(values: tuple[Any, ...], index: int | None) -> Any:
    if index is None or index >= len(values):
        return None
    return values[index]


def _map_headers(raw: RawSheet, sheet: Sheet, problems: Problems,
                 years: dict[int, int] | None = None) -> dict[str, int]:
    """Schema column name -> 0-based position; unknown headers warned about."""
    known = {c.name for c in sheet.columns}
    positions: dict[str, int] = {}
    if all(is_blank(h) for h in raw.headers) and raw.rows:
        problems.error(f"{raw.ref}!1:1", "row 1 is empty: the headers ("
                       + ", ".join(c.name for c in sheet.columns if c.required)
                       + ", ...) go in row 1, and one record per row from row 2")
        return positions
    for index, header in enumerate(raw.headers):
        if is_blank(header):
            continue
        where = f"{raw.ref}!{get_column_letter(index + 1)}1"
        year = year_header(header) if years is not None else None
        if year is not None:
            if year in years:
                problems.error(where, f"year {year} has two columns")
            years[year] = index
            continue
        name = normalise_header(header)
        if name not in known:
            problems.warn(where, f"unknown column {show(header)} ignored; known columns: "
                          + ", ".join(sorted(known)))
        elif name in positions:
            problems.error(where, f"column {name} appears twice")
        else:
            positions[name] = index
    for column in sheet.columns:
        if column.required and column.name not in positions:
            problems.error(f"{raw.ref}!1:1", f"missing column '{column.name}' "
                           f"({column.help})")
    return positions


def _read_table(raw: RawSheet, sheet: Sheet, source: Source, problems: Problems) -> pd.DataFrame:
    years: dict[int, int] | None = {} if sheet.name == "Demand" else None
    positions = _map_headers(raw, sheet, problems, years)
    source.letters[sheet.name] = {name: get_column_letter(i + 1) for name, i in positions.items()}
    records = []
    for row, values in raw.rows:
        record: dict[Any, Any] = {"_row": row}
        for column in sheet.columns:
            index = positions.get(column.name)
            if index is None:
                record[column.name] = default_of(column)
                continue
            where = f"{raw.ref}!{get_column_letter(index + 1)}{row}"
            record[column.name] = _read_value(column, _at(values, index), where,
                                              (row, index + 1) in raw.formula_cells, problems)
        record["_given"] = frozenset(  # typed in, even if wrongly or as a formula
            name for name, i in positions.items()
            if not is_blank(_at(values, i)) or (row, i + 1) in raw.formula_cells)
        for year, index in (years or {}).items():
            record[year] = (_at(values, index), (row, index + 1) in raw.formula_cells)
        records.append(record)
    columns = ["_row", "_given", *sheet.column_names, *sorted(years or {})]
    table = pd.DataFrame.from_records(records, columns=columns)
    for column in sheet.columns:
        table[column.name] = _numeric(table[column.name], column)
    if years is not None:
        table.attrs["year_letters"] = {y: get_column_letter(i + 1) for y, i in years.items()}
        table.attrs["long_form"] = "year" in positions or "pupils" in positions
    return table


def _numeric(series: pd.Series, column: Column) -> pd.Series:
    """Number columns as floats (NaN = blank); whole-number columns as integers if full."""
    if column.kind not in (Kind.NUMBER, Kind.INTEGER):
        return series
    numbers = pd.to_numeric(series.astype(object), errors="coerce").astype(float)
    if column.kind is Kind.INTEGER and len(numbers) and numbers.notna().all() and (
            numbers.abs() < 2**53).all():
        return numbers.astype("int64")
    return numbers


def _demand_to_long(table: pd.DataFrame | None, params: dict[str, Any], source: Source,
                    problems: Problems) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide or long Demand -> one row per (zone, need, phase, provision, year).

    Returns the rows of the planning years, and the rows of every year the sheet gives
    (for a scenario that moves the planning years). Where a planning year's value is
    missing or wrong the error is recorded here and the row kept with NaN pupils, so
    that the year does not count as missing again.
    """
    keys = ["_row", "zone_id", "need", "phase", "provision"]
    empty = pd.DataFrame({"_row": pd.Series(dtype="int64"),
                          **{k: pd.Series(dtype=object) for k in keys[1:]},
                          "year": pd.Series(dtype="int64"), "pupils": pd.Series(dtype=float)})
    if table is None:
        return empty, empty.copy()
    year_letters: dict[int, str] = table.attrs.get("year_letters", {})
    title = sheet_ref(source.titles.get("Demand", "Demand"))
    if table.attrs.get("long_form"):
        if year_letters:
            problems.error(f"{title}!1:1", "Demand has both year columns and year/pupils "
                           "columns; use one form")
        for name in ("year", "pupils"):
            if name not in source.letters["Demand"]:
                problems.error(f"{title}!1:1", f"long-form Demand needs a '{name}' column")
                continue
            for row, given in zip(table["_row"], table["_given"], strict=True):
                if name not in given:  # a wrong value was reported when it was read
                    problems.error(source.cell("Demand", name, row), f"{name} is missing")
        if not {"year", "pupils"} <= set(source.letters["Demand"]):
            return empty, empty.copy()
        long = table[[*keys, "year", "pupils"]].dropna(subset=["year"]).reset_index(drop=True)
        long["year"] = long["year"].astype("int64")
        return long, long.copy()
    if not year_letters:
        problems.error(f"{title}!1:1", "no year columns: expected one column per planning "
                       "year headed by the year (2026, 2027, ...), or columns year and pupils")
        return empty, empty.copy()
    first = params.get("first_year")
    horizon = params.get("horizon_years") or 0
    wanted = set(range(first, first + horizon)) if isinstance(first, int) else set(year_letters)
    for year in sorted(wanted - set(year_letters)):
        problems.error(f"{title}!1:1", f"no column for planning year {year}; every year "
                       f"{min(wanted)}-{max(wanted)} needs a column")
    extra = sorted(set(year_letters) - wanted)
    if extra:
        problems.warn(f"{title}!1:1", "year columns outside the planning horizon ignored: "
                      + ", ".join(map(str, extra)))
    pupils_column = SHEET_BY_NAME["Demand"].column("pupils")
    records = []
    for year in sorted(wanted | set(year_letters)):
        if year not in year_letters:  # reported above, once
            records += [(row, year, None) for row in table["_row"]]
            continue
        for row, cell in zip(table["_row"], table[year], strict=True):
            value, formula = cell
            where = f"{title}!{year_letters[year]}{row}"
            if year not in wanted:  # ignored, unless a scenario moves the years
                try:
                    pupils = None if formula or is_blank(value) else parse_cell(pupils_column,
                                                                               value)
                except CellError:
                    pupils = None
                if pupils is not None:
                    records.append((row, year, pupils))
                continue
            if is_blank(value) and not formula:
                problems.error(where, f"pupils for {year} are missing; expected a number >= 0 "
                               "(0 if none)")
                records.append((row, year, None))
                continue
            records.append((row, year, _read_value(pupils_column, value, where, formula,
                                                   problems)))
    values = pd.DataFrame.from_records(records, columns=["_row", "year", "pupils"])
    values["pupils"] = values["pupils"].astype(float)
    every = table[keys].merge(values, on="_row", how="inner").reset_index(drop=True)
    every["year"] = every["year"].astype("int64")
    every.attrs["wide"] = True
    long = every.loc[every["year"].isin(wanted)].reset_index(drop=True)
    every = every.dropna(subset=["pupils"]).reset_index(drop=True)
    return long, every
