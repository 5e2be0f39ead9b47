"""Reading the planning workbook into typed tables (SPEC §1).

Every problem is collected in one pass and reported together, each with its cell.
Cross-table checks (unknown zones, missing years, ...) live in `validation`.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from ..problems import Problems, sheet_ref
from .cells import CellError, default_of, is_blank, parse_cell, read_cell, show, year_header
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
from .xlsx import Book, RawSheet, read_sheets

FORMULA_HELP = ("a formula with no calculated value (the workbook was written by a program and "
                "never opened in Excel): open it in Excel or LibreOffice and save it, or type "
                "the value")


def read_workbook(path: str | Path) -> Inputs:
    """Read and check a planning workbook; raise InputError listing every problem."""
    path = Path(path)
    book = read_sheets(path, wanted=lambda title: _sheet_named(title) is not None)
    problems = Problems()
    notes: Notes = []
    source = Source(path=path, sha256=_sha256(path))
    found = _match_sheets(book, problems)
    source.titles = {name: sheet.title for name, sheet in found.items()}

    params, bad = _read_parameters(found.get("Parameters"), problems, notes)
    if bad & {"first_year", "horizon_years"}:
        # The planning years are unknown: checking Demand and options against a default
        # horizon would only bury the real error under consequences of it.
        params["first_year"] = None
    tables: dict[str, pd.DataFrame] = {}
    for sheet in SHEETS:
        if sheet.name == "Parameters" or sheet.name not in found:
            continue
        table = _read_table(found[sheet.name], sheet, source, problems, notes)
        if table is not None:
            tables[sheet.name] = table
    tables["Demand"], all_years = _demand_to_long(tables.get("Demand"), params, source,
                                                  problems, notes)
    _warn_read_from_words(notes, problems)
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


def _sheet_key(title: str) -> str:
    return normalise_header(title).replace("_", "")


_SHEET_BY_KEY = {_sheet_key(s.name): s.name for s in SHEETS}


def _sheet_named(title: str) -> str | None:
    """The schema sheet a title names (ignoring case, spaces and '_'), or None."""
    return _SHEET_BY_KEY.get(_sheet_key(title))


def _match_sheets(book: Book, problems: Problems) -> dict[str, RawSheet]:
    found: dict[str, RawSheet] = {}
    for title, sheet in book.sheets.items():
        name = _sheet_named(title)
        if name is None:
            continue
        if name in found:
            problems.error(sheet_ref(title), f"a second sheet for {name} (the first is "
                           f"'{found[name].title}'); keep one")
            continue
        found[name] = sheet
    others = [t for t in book.titles if _sheet_named(t) is None]
    for sheet in SHEETS:
        if sheet.name in found:
            continue
        near = _near_miss(sheet.name, others)
        if sheet.required:
            problems.error("workbook", f"missing sheet '{sheet.name}': " + (
                f"sheet '{near}' looks like it; rename it '{sheet.name}'" if near
                else sheet.purpose))
        elif near:  # planners keep notes in sheets of their own, but not under a near-miss
            problems.warn(sheet_ref(near), f"sheet '{near}' is not read: it looks like "
                          f"'{sheet.name}'; rename it '{sheet.name}' if it holds that table")
    return found


def _near_miss(name: str, titles: list[str]) -> str | None:
    """The title most like a sheet name (a typo, a plural), if one is close."""
    keys = {_sheet_key(t): t for t in titles}
    close = difflib.get_close_matches(_sheet_key(name), list(keys), n=1, cutoff=0.8)
    return keys[close[0]] if close else None


# Cells whose number was read from words ('£12,000', '45 mins'): (where, note).
Notes = list[tuple[str, str]]


def _read_value(column: Column, value: Any, where: str, formula: bool, problems: Problems,
                notes: Notes, label: str | None = None) -> Any:
    """The cell's typed value, or its default; records a problem when it can't.

    `label` places the value in messages: 'in capacity' (the default), 'for parameter
    horizon_years', 'in pupils for 2027'."""
    if formula:
        problems.error(where, FORMULA_HELP)
        return default_of(column)
    if is_blank(value):
        if column.required:
            problems.error(where, f"{column.name} is missing; expected "
                           f"{column.describe_expected()}")
        return default_of(column)
    try:
        reading = read_cell(column, value)
    except CellError as exc:
        problems.error(where, f"{show(value)} {label or 'in ' + column.name} is not valid; "
                       f"expected {exc}")
        return default_of(column)
    if reading.note:
        notes.append((where, reading.note))
    return reading.value


def _warn_read_from_words(notes: Notes, problems: Problems) -> None:
    """Numbers read from words are accepted, and said so: one warning per column."""
    by_column: dict[str, list[tuple[str, str]]] = {}
    for where, note in notes:
        by_column.setdefault(re.sub(r"\d+$", "", where), []).append((where, note))
    for cells in by_column.values():
        where, note = cells[0]
        more = ""
        if len(cells) > 1:
            others = [w.rsplit("!", 1)[-1] for w, _ in cells[1:]]
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            more = (f"; and {len(others)} more {'cell' if len(others) == 1 else 'cells'} "
                    f"of this column written with words or symbols ({shown})")
        problems.warn(where, f"{note}{more}; check it, and type plain numbers to be sure")


def _read_parameters(raw: RawSheet | None, problems: Problems,
                     notes: Notes) -> tuple[dict[str, Any], set[str]]:
    """The parameters (defaults for those not given) and the names whose value is wrong."""
    params = {p.name: default_of(p) for p in PARAMETERS}
    bad: set[str] = set()
    if raw is None:
        return params, bad
    sheet = SHEET_BY_NAME["Parameters"]
    positions = _map_headers(raw, sheet, problems)
    if positions is None:
        return params, {"first_year"}
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
                                   (row, value_col + 1) in raw.formula_cells, problems, notes,
                                   label=f"for parameter {name}")
        if len(problems.errors) > before:
            bad.add(name)
    if params["first_year"] is None and "first_year" not in seen:
        problems.error(raw.ref, "parameter first_year is missing; expected a row "
                       "'first_year' with the first planning year, e.g. 2026")
        bad.add("first_year")
    return params, bad


def _at(values: tuple[Any, ...], index: int | None) -> Any:
    if index is None or index >= len(values):
        return None
    return values[index]


POSTCODES = {"postcode", "post_code", "postal_code", "zip", "zip_code"}
POSTCODE_ANSWER = (
    "placeopt places each row by latitude and longitude (WGS84 degrees) or easting and "
    "northing (British National Grid metres), not by postcode; Get Information About "
    "Schools lists easting and northing for every school, and ONS's postcode directory "
    "gives them for a postcode")


def _map_headers(raw: RawSheet, sheet: Sheet, problems: Problems,
                 years: dict[int, int] | None = None) -> dict[str, int] | None:
    """Schema column name -> 0-based position; unknown headers warned about.

    None when the header row cannot be used at all (merged, empty, or below a title
    row): one error says so, and the sheet is not read further."""
    if not _header_row_usable(raw, sheet, problems):
        return None
    known = {c.name for c in sheet.columns}
    positions: dict[str, int] = {}
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
        if name in POSTCODES and "latitude" in known:
            problems.warn(where, f"column {show(header)} ignored: {POSTCODE_ANSWER}")
        elif name not in known:
            near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            problems.warn(where, f"unknown column {show(header)} ignored"
                          + (f" (is it '{near[0]}'?)" if near else "")
                          + "; known columns: " + ", ".join(sorted(known)))
        elif name in positions:
            problems.error(where, f"column {name} appears twice")
        else:
            positions[name] = index
    for column in sheet.columns:
        if column.name in positions or not raw.rows:
            continue
        if column.required:
            problems.error(f"{raw.ref}!1:1", f"missing column '{column.name}' "
                           f"({column.help})")
        elif column.if_absent:
            problems.warn(f"{raw.ref}!1:1", f"no column '{column.name}', so "
                          f"{column.if_absent}; add the column if that is not what you mean")
    _warn_headerless_values(raw, problems)
    _warn_hidden(raw, problems)
    return positions


def _header_row_usable(raw: RawSheet, sheet: Sheet, problems: Problems) -> bool:
    """Row 1 holds one header per column; say why not when it doesn't."""
    if raw.header_merges:
        problems.error(f"{raw.ref}!{raw.header_merges[0]}", "merged header cells ("
                       + ", ".join(raw.header_merges) + "): each column needs its own "
                       "header in row 1, with records from row 2; unmerge them")
        return False
    if not raw.rows or _known_headers(raw.headers, sheet):
        return True
    below = next((row for row, values in raw.rows[:5]
                  if len(_known_headers(values, sheet)) >= 2), None)
    empty = all(is_blank(h) for h in raw.headers)
    if below is not None:
        problems.error(f"{raw.ref}!1:1", f"{'row 1 is empty and ' if empty else ''}the headers "
                       f"are in row {below}, not row 1: delete the "
                       f"{'row' if below == 2 else 'rows'} above them so that the headers are "
                       "in row 1, with records from row 2")
        return False
    if empty:
        problems.error(f"{raw.ref}!1:1", "row 1 is empty: the headers ("
                       + ", ".join(c.name for c in sheet.columns if c.required)
                       + ", ...) go in row 1, and one record per row from row 2")
        return False
    return True


def _known_headers(values: tuple[Any, ...], sheet: Sheet) -> set[str]:
    known = set(sheet.column_names)
    found = {normalise_header(v) for v in values if not is_blank(v)} & known
    if sheet.name == "Demand":
        found |= {str(v) for v in values if not is_blank(v) and year_header(v) is not None}
    return found


def _warn_headerless_values(raw: RawSheet, problems: Problems) -> None:
    """Values in a column with no header are not read: say so, never drop them unseen."""
    first_row: dict[int, int] = {}
    for row, values in raw.rows:
        for index, value in enumerate(values):
            if index not in first_row and not is_blank(value) and is_blank(
                    _at(raw.headers, index)):
                first_row[index] = row
    for index, row in sorted(first_row.items()):
        letter = get_column_letter(index + 1)
        problems.warn(f"{raw.ref}!{letter}1", f"column {letter} has values (from "
                      f"{letter}{row}) but no header in row 1, so it is not read; give it a "
                      "header, or clear it")


def _warn_hidden(raw: RawSheet, problems: Problems) -> None:
    """Hidden rows and columns are read all the same: a planner may expect otherwise."""
    if 1 in raw.hidden_rows:
        problems.warn(f"{raw.ref}!1:1", "the header row is hidden in Excel (it is read all "
                      "the same)")
    rows = sorted(row for row, _ in raw.rows if row in raw.hidden_rows)
    if rows:
        shown = ", ".join(map(str, rows[:10])) + (f", ... ({len(rows)} in all)"
                                                   if len(rows) > 10 else "")
        problems.warn(f"{raw.ref}!{rows[0]}:{rows[0]}", f"{'row' if len(rows) == 1 else 'rows'} "
                      f"{shown} {'is' if len(rows) == 1 else 'are'} hidden in Excel but read "
                      "all the same; delete a row to leave it out")
    width = max([len(raw.headers), *(len(values) for _, values in raw.rows)], default=0)
    used = [index + 1 for index in range(width)
            if index + 1 in raw.hidden_columns and (
                not is_blank(_at(raw.headers, index))
                or any(not is_blank(_at(values, index)) for _, values in raw.rows))]
    if used:
        letters = [get_column_letter(c) for c in used]
        problems.warn(f"{raw.ref}!{letters[0]}1", f"{'column' if len(used) == 1 else 'columns'} "
                      f"{', '.join(letters)} {'is' if len(used) == 1 else 'are'} hidden in "
                      "Excel but read all the same")


def _read_table(raw: RawSheet, sheet: Sheet, source: Source, problems: Problems,
                notes: Notes) -> pd.DataFrame | None:
    """The sheet as a typed table, or None if its header row cannot be used."""
    years: dict[int, int] | None = {} if sheet.name == "Demand" else None
    positions = _map_headers(raw, sheet, problems, years)
    if positions is None:
        return None
    source.letters[sheet.name] = {name: get_column_letter(i + 1) for name, i in positions.items()}
    if sheet.required and not raw.rows:
        problems.error(raw.ref, f"no rows under the headers; expected at least one "
                       f"{sheet.record}, one per row from row 2")
    read = sorted({*positions.values(), *(years or {}).values()})
    records = []
    for row, values in raw.rows:
        if not any(not is_blank(_at(values, i)) or (row, i + 1) in raw.formula_cells
                   for i in read):
            continue  # values only under unknown or missing headers, warned about above
        record: dict[Any, Any] = {"_row": row}
        for column in sheet.columns:
            index = positions.get(column.name)
            if index is None:
                record[column.name] = default_of(column)
                continue
            where = f"{raw.ref}!{get_column_letter(index + 1)}{row}"
            record[column.name] = _read_value(column, _at(values, index), where,
                                              (row, index + 1) in raw.formula_cells, problems,
                                              notes)
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
                    problems: Problems, notes: Notes) -> tuple[pd.DataFrame, pd.DataFrame]:
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
                                                   problems, notes, f"in pupils for {year}")))
    values = pd.DataFrame.from_records(records, columns=["_row", "year", "pupils"])
    values["pupils"] = values["pupils"].astype(float)
    every = table[keys].merge(values, on="_row", how="inner").reset_index(drop=True)
    every["year"] = every["year"].astype("int64")
    every.attrs["wide"] = True
    long = every.loc[every["year"].isin(wanted)].reset_index(drop=True)
    every = every.dropna(subset=["pupils"]).reset_index(drop=True)
    return long, every
