"""The Scenarios sheet understood: each row as a `Change` (SPEC §1).

A row says: in `sheet`, for the rows that `filter` selects, `operation` the `column` by
`value`. Rows that can't be applied are reported with their cell; `scenarios` applies
the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..problems import Problems
from .cells import CellError, is_blank, parse_cell, show, to_number, year_header
from .inputs import Inputs
from .schema import PARAMETER_BY_NAME, SHEET_BY_NAME, Kind, normalise_header

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
        else:  # a factor may be written as a percentage; an addition is in the column's unit
            value = to_number(record["value"], "fraction" if operation == "scale" else column.unit)
    except CellError as exc:
        detail = str(exc)
        expected = detail if operation == "set" else "a number" + (f", {detail}" if detail
                                                                   else "")
        fail("value", f"{show(record['value'])} in value is not valid for {operation} "
             f"{column.name}; expected {expected}")
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
