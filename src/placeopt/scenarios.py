"""Scenarios: named changes to a copy of the inputs (SPEC §1, Scenarios sheet).

A row says: in `sheet`, for the rows that `filter` selects, `operation` the `column` by
`value`. Rows apply in sheet order. `base` is the inputs unchanged and always exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .cells import ALL, CellError, is_blank, parse_cell, show, to_number, year_header
from .inputs import Inputs
from .problems import Problems
from .schema import PARAMETER_BY_NAME, SHEET_BY_NAME, Column, Kind, normalise_header

BASE = "base"


@dataclass(frozen=True)
class Change:
    """One Scenarios row, understood."""

    row: int
    scenario: str
    sheet: str
    column: str  # schema column, parameter name, or for Demand "pupils"
    demand_year: int | None  # Demand: the year column named, None for '*'
    filter: tuple[tuple[str, tuple[str, ...]], ...]
    operation: str
    value: Any


def scenario_names(inputs: Inputs) -> list[str]:
    """'base', then each scenario in the order it first appears (names ignore case)."""
    table = inputs.tables.get("Scenarios")
    names = [BASE]
    if table is not None:
        for name in table["scenario"].dropna():
            if str(name).lower() not in {n.lower() for n in names}:
                names.append(str(name))
    return names


def check_scenario_rows(inputs: Inputs, problems: Problems) -> list[Change]:
    """Understand every Scenarios row, reporting those that can't be applied."""
    table = inputs.tables.get("Scenarios")
    if table is None or table.empty:
        return []
    changes = []
    for record in table.to_dict("records"):
        change = _understand(inputs, record, problems)
        if change is not None:
            changes.append(change)
    return changes


def _understand(inputs: Inputs, record: dict[str, Any], problems: Problems) -> Change | None:
    row = record["_row"]

    def fail(column: str, message: str) -> None:
        problems.error(inputs.source.cell("Scenarios", column, row), message)

    if any(is_blank(record[c]) for c in ("scenario", "sheet", "column", "operation", "value")):
        return None  # the reader already reported the blank (or wrong) required cell
    if record["scenario"].lower() == BASE:
        fail("scenario", "'base' is the inputs unchanged; give the scenario another name")
        return None
    sheet_key = normalise_header(record["sheet"]).replace("_", "")
    sheet = next((s for s in SHEET_BY_NAME.values()
                  if s.name.lower() == sheet_key and s.name != "Scenarios"), None)
    if sheet is None:
        fail("sheet", f"unknown sheet {record['sheet']!r}; expected one of "
             + ", ".join(s for s in SHEET_BY_NAME if s != "Scenarios"))
        return None
    column_name = normalise_header(record["column"])
    demand_year = None
    if sheet.name == "Parameters":
        column = PARAMETER_BY_NAME.get(column_name)
        if column is None:
            fail("column", f"unknown parameter {record['column']!r}")
            return None
    elif sheet.name == "Demand" and (column_name in ("*", "pupils")
                                     or year_header(record["column"]) is not None):
        column = sheet.column("pupils")
        demand_year = year_header(record["column"])
        column_name = "pupils"
    elif column_name in sheet.column_names:
        column = sheet.column(column_name)
    else:
        fail("column", f"sheet {sheet.name} has no column {record['column']!r}; expected one "
             f"of {', '.join(sheet.column_names)}")
        return None
    operation = record["operation"]
    try:
        if operation == "set":
            value = parse_cell(column, record["value"])
        elif column.kind not in (Kind.NUMBER, Kind.INTEGER):
            fail("operation", f"{operation} needs a numeric column; {column.name} is "
                 f"{column.kind.value}")
            return None
        else:
            value = to_number(record["value"])
    except CellError as exc:
        fail("value", f"{record['value']!r} does not fit {column.name}; expected {exc}")
        return None
    filters = _parse_filter(record["filter"], sheet.name, fail)
    if filters is None:
        return None
    return Change(row, record["scenario"], sheet.name, column_name, demand_year, filters,
                  operation, value)


def _parse_filter(text: Any, sheet: str, fail) -> tuple | None:
    if is_blank(text):
        return ()
    if sheet == "Parameters":
        fail("filter", "Parameters rows take no filter: the column names the parameter")
        return None
    known = set(SHEET_BY_NAME[sheet].column_names)
    parts = []
    for part in str(text).split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            fail("filter", f"filter part {part.strip()!r} is not column=value[,value]")
            return None
        column, values = part.split("=", 1)
        column = normalise_header(column)
        if column not in known:
            fail("filter", f"filter column {column!r} is not a column of {sheet}")
            return None
        parts.append((column, tuple(v.strip() for v in values.split(",") if v.strip())))
    return tuple(parts)


def apply_scenario(inputs: Inputs, name: str) -> Inputs:
    """A copy of the inputs with the scenario's changes applied and checked again."""
    from .validation import validate

    names = scenario_names(inputs)
    matched = next((n for n in names if n.lower() == name.lower()), None)
    if matched is None:
        problems = Problems()
        problems.error("Scenarios", f"no scenario named {name!r}; the workbook has "
                       + ", ".join(names))
        problems.raise_if_errors()
    result = inputs.copy()
    result.scenario = matched
    if matched == BASE:
        return result
    problems = Problems()
    changes = [c for c in check_scenario_rows(inputs, problems)
               if c.scenario.lower() == matched.lower()]
    untrimmed = inputs.untrimmed
    if untrimmed and _moves_years(inputs, changes):
        # Demand and Budget were cut to the base planning years; start from every year
        # the workbook gives, and let validation cut them to this scenario's years.
        for sheet, table in untrimmed.items():
            result.tables[sheet] = table.copy()
    for change in changes:
        _apply(result, change, problems)
    validate(result, problems)
    problems.raise_if_errors()
    seen = {(p.where, p.message) for p in result.warnings}
    result.warnings += [p for p in problems.warnings if (p.where, p.message) not in seen]
    return result


def _moves_years(inputs: Inputs, changes: list[Change]) -> bool:
    """Do the scenario's Parameters rows change first_year or horizon_years?"""
    params = dict(inputs.params)
    for change in changes:
        if change.sheet == "Parameters" and change.column in ("first_year", "horizon_years"):
            params[change.column] = _operate(change, params[change.column],
                                             PARAMETER_BY_NAME[change.column])
    return any(params[k] != inputs.params[k] for k in ("first_year", "horizon_years"))


def _apply(inputs: Inputs, change: Change, problems: Problems) -> None:
    where = inputs.source.cell("Scenarios", "value", change.row)
    if change.sheet == "Parameters":
        column = PARAMETER_BY_NAME[change.column]
        new = _operate(change, inputs.params[change.column], column)
        if _fits(column, new, change, where, f"parameter {change.column}", problems):
            inputs.params[change.column] = new
        return
    table = inputs.tables.get(change.sheet)
    if table is None or table.empty:
        return
    mask = pd.Series(True, index=table.index)
    for column_name, values in change.filter:
        mask &= table[column_name].map(lambda cell, values=values: _matches(cell, values))
    if change.filter and not mask.any():  # a typo in a filter must not pass unseen
        problems.warn(inputs.source.cell("Scenarios", "filter", change.row),
                      f"scenario {change.scenario}: the filter matches no row of "
                      f"{change.sheet}, so this row changes nothing")
    if change.demand_year is not None:
        if not (table["year"] == change.demand_year).any():
            problems.warn(inputs.source.cell("Scenarios", "column", change.row),
                          f"scenario {change.scenario}: {change.demand_year} is not a "
                          "planning year, so this row changes nothing")
        mask &= table["year"] == change.demand_year
    column = SHEET_BY_NAME[change.sheet].column(change.column)
    rows = table.loc[mask, "_row"] if "_row" in table.columns else table.index[mask]
    new = [_operate(change, old, column) for old in table.loc[mask, change.column]]
    wrong = [(row, value) for row, value in zip(rows, new, strict=True)
             if not _fits(column, value, change, where, "", None)]
    if wrong:
        row, value = wrong[0]
        title = inputs.source.titles.get(change.sheet, change.sheet)
        more = f" (and {len(wrong) - 1} more rows)" if len(wrong) > 1 else ""
        _fits(column, value, change, where, f"{change.column} in {title} row {row}{more}",
              problems)
        return
    values = table[change.column].astype(object)
    values.loc[mask] = pd.Series(new, index=table.index[mask], dtype=object)
    if column.kind is Kind.NUMBER:
        values = pd.to_numeric(values, errors="coerce").astype(float)
    elif column.kind is Kind.INTEGER:
        values = pd.to_numeric(values, errors="coerce")
    elif column.kind is Kind.YESNO:
        values = values.astype(bool)  # keep yes/no columns boolean: '~' must mean 'not'
    table[change.column] = values
    if "_given" in table.columns:  # a value set by a scenario counts as given
        table["_given"] = [g | {change.column} if m else g
                           for g, m in zip(table["_given"], mask, strict=True)]


def _fits(column: Column, value: Any, change: Change, where: str, what: str,
          problems: Problems | None) -> bool:
    """Is a changed value still valid for its column? Records an error if not."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    if column.kind not in (Kind.NUMBER, Kind.INTEGER):
        return True
    try:
        parse_cell(column, value)
    except CellError as exc:
        if problems is not None:
            problems.error(where, f"scenario {change.scenario}: {change.operation} "
                           f"{show(change.value)} makes {what} {show(value)}; expected {exc}")
        return False
    return True


def _matches(cell: Any, values: tuple[str, ...]) -> bool:
    wanted = {v.lower() for v in values}
    if cell == ALL:
        return True
    if isinstance(cell, tuple):
        return any(str(item).lower() in wanted for item in cell)
    if isinstance(cell, bool):
        return ("yes" if cell else "no") in wanted or str(cell).lower() in wanted
    if isinstance(cell, int | float) and not (isinstance(cell, float) and np.isnan(cell)):
        numbers = []
        for v in values:
            try:
                numbers.append(float(v))
            except ValueError:
                continue
        return float(cell) in numbers
    return cell is not None and str(cell).lower() in wanted


def _operate(change: Change, old: Any, column: Column) -> Any:
    if change.operation == "set":
        return change.value
    if old is None or (isinstance(old, float) and np.isnan(old)):
        return old  # blank (e.g. unlimited capacity) stays blank
    new = old * change.value if change.operation == "scale" else old + change.value
    return int(round(new)) if column.kind is Kind.INTEGER else new
