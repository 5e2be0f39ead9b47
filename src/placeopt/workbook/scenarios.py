"""Scenarios: named changes applied to a copy of the inputs (SPEC §1, Scenarios sheet).

The rows are understood in `scenario_rows`; here they are applied, in sheet order, and
the changed inputs checked again. `base` is the inputs unchanged and always exists.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..problems import Problems, UnknownScenario
from .cells import ALL, CellError, parse_cell, show
from .inputs import Inputs
from .scenario_rows import BASE, Change, check_scenario_rows, scenario_names
from .schema import PARAMETER_BY_NAME, SHEET_BY_NAME, Column, Kind
from .validation import validate


def apply_scenario(inputs: Inputs, name: str) -> Inputs:
    """A copy of the inputs with the scenario's changes applied and checked again."""
    names = scenario_names(inputs)
    matched = next((n for n in names if n.lower() == name.lower()), None)
    if matched is None:
        raise UnknownScenario(name, names)
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
