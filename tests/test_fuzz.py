"""Fuzzing what a planner can type (Hypothesis): any value in any cell, any header, any
sheet name, any Scenarios row. `placeopt validate` (read, apply every scenario, compile,
plain-language checks) must end in success or in an InputError whose every problem
names where it is - never any other exception.

Each test runs a few dozen examples in the default run (a few seconds). For a deeper run:

    PLACEOPT_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
from conftest import valid_sheets, write_workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from placeopt.case import check_workbook
from placeopt.problems import InputError, Problem
from placeopt.workbook.schema import PARAMETER_BY_NAME, SHEET_BY_NAME

EXAMPLES = int(os.environ.get("PLACEOPT_FUZZ_EXAMPLES", "0"))


def _settings(default: int) -> settings:
    return settings(max_examples=EXAMPLES or default, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


_text = st.text(max_size=40).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s))
# What planners type where a value belongs, and what programs leave behind.
_words = st.sampled_from([
    "yes", "no", "Y", "all", "ASD;SEMH", "asd, semh", "Z1", "z2", "P1", "OPT1", "NEW1",
    "primary", "Post-16", "special", "any", "2026", "2026/27", "-1", "0", "1e308", "1e309",
    "nan", "inf", "#N/A", "#DIV/0!", "  ", "£", "%", "£12,000", "£9,000.00", "£1.2m", "45 mins",
    "1 hour", "12 places", "3.5%", "50%", "1,5", "12,000", "12 000", "(1,000)", "−5", "TBC",
    "n/a", "-", "?", "ASD;;", ";", "all;ASD", '=HYPERLINK("http://example.com","x")', "=1/0",
    "=A1", "=SUM(", "'=1", "base", "Demand", "*", "scale", "set", "zone_id=Z1", "need=", "=",
    "year", "pupils", "capacity", "capital", "capital:s106", "hnb",
])
_cell_values = st.one_of(
    st.none(),
    _text,
    _words,
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**20, max_value=10**20),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.times(),
    st.text(alphabet="abcXYZ;, =", min_size=300, max_size=3000),
)

# A sheet title as Excel would quote it, then a cell, a range, a row span or "row N".
_SHEET = r"(?:[A-Za-z_][A-Za-z0-9_.]*|'(?:[^']|'')+')"
_WHERE = re.compile(rf"workbook|[^!]+\.xlsx|{_SHEET}(?:!(?:[A-Z]{{1,3}}\d+(?::[A-Z]{{1,3}}\d+)?"
                    rf"|\d+:\d+)| row \d+)?")


def _workbook() -> dict[str, list[list[Any]]]:
    """The small valid workbook with every optional sheet, so that every column is there."""
    sheets = valid_sheets()
    sheets["Scenarios"] = [
        ["scenario", "sheet", "column", "filter", "operation", "value", "note"],
        ["growth", "Demand", "*", None, "scale", 1.1, None],
        ["growth", "Expansions", "enabled", "option_id=OPT1", "set", "no", None],
        ["cap", "Providers", "capacity", "type=special", "add", 5, None],
        ["cap", "Parameters", "discount_rate", None, "set", 0.05, None],
    ]
    sheets["CurrentPlacements"] = [
        ["zone_id", "need", "phase", "provision", "provider_id", "pupils", "years_remaining"],
        ["Z1", "ASD", "primary", "special", "P1", 4, 2],
    ]
    sheets["Budget"] = [["year", "stream", "amount"], [2026, "hnb", 1e6], [2026, "capital", 1]]
    sheets["Needs"] = [["need", "name"], *[[code, code] for code in ("ASD", "SEMH", "SLD")]]
    sheets["Suitability"] = [["provision", "types"], ["special", "special;inmss"]]
    sheets["TravelMatrix"] = [["zone_id", "provider_id", "minutes"], ["Z1", "NEW1", 10]]
    sheets["CapacityLimits"] = [["provider_id", "need", "phase", "places"], ["P1", "ASD", None, 9]]
    return sheets


_SHEETS = _workbook()


def _assert_validated_or_located(path: Path) -> None:
    """What `placeopt validate` runs ends well, or in problems that each say where."""
    try:
        warnings, _ = check_workbook(path)
    except InputError as exc:
        assert exc.errors, "an InputError lists at least one error"
        _assert_located(exc.problems)
    else:
        _assert_located(warnings)


def _assert_located(problems: list[Problem]) -> None:
    for problem in problems:
        assert _WHERE.fullmatch(problem.where), f"not a location: {problem}"
        assert problem.message.strip(), f"no message: {problem}"


# --- any value in any cell, and broken headers and sheets -----------------------------------


def _cell_edit(sheet: str) -> st.SearchStrategy:
    rows = len(_SHEETS[sheet])
    width = len(_SHEETS[sheet][0])
    return st.tuples(st.just("cell"), st.just(sheet), st.integers(2, rows + 1),
                     st.integers(1, width + 1), _cell_values)


_HEADERS = sorted({c.name for s in SHEET_BY_NAME.values() for c in s.columns} | {"2026", "2027"})
_edit = st.one_of(
    st.sampled_from(sorted(_SHEETS)).flatmap(_cell_edit),
    st.tuples(st.just("header"), st.sampled_from(sorted(_SHEETS)), st.integers(1, 13),
              st.one_of(st.none(), st.sampled_from(_HEADERS), _text)),
    st.tuples(st.just("title"), st.sampled_from(sorted(_SHEETS)),
              st.sampled_from(["Zone", "Provider", "Expansion", "demand ", "PARAMETERS",
                               "Budgets", "Notes", "Current Placements"])),
    st.tuples(st.just("delete"), st.sampled_from(sorted(_SHEETS))),
    st.tuples(st.just("merge"), st.sampled_from(sorted(_SHEETS)), st.integers(1, 5)),
    st.tuples(st.just("hide"), st.sampled_from(sorted(_SHEETS)), st.integers(1, 5)),
)


def _apply(book: openpyxl.Workbook, edit: tuple) -> None:
    kind, title = edit[0], edit[1]
    if title not in book.sheetnames:
        return  # renamed or deleted by an earlier edit
    sheet = book[title]
    if kind == "cell":
        sheet.cell(row=edit[2], column=edit[3], value=edit[4])
    elif kind == "header":
        sheet.cell(row=1, column=edit[2], value=edit[3])
    elif kind == "title" and edit[2] not in book.sheetnames:
        sheet.title = edit[2]
    elif kind == "delete":
        book.remove(sheet)
    elif kind == "merge":
        sheet.merge_cells(start_row=1, start_column=edit[2], end_row=1, end_column=edit[2] + 1)
    elif kind == "hide":
        sheet.row_dimensions[edit[2]].hidden = True


@_settings(default=12)
@given(edits=st.lists(_edit, min_size=1, max_size=5))
def test_anything_typed_anywhere_gives_success_or_located_problems(edits) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(Path(folder) / "fuzz.xlsx", _SHEETS)
        book = openpyxl.load_workbook(path)
        for edit in edits:
            _apply(book, edit)
        if not book.sheetnames:
            book.create_sheet("Empty")
        book.save(path)
        _assert_validated_or_located(path)


@_settings(default=12)
@given(sheet=st.sampled_from(["Zones", "Demand", "Providers", "Expansions", "Parameters"]),
       row=st.integers(2, 4), value=_cell_values)
def test_every_column_of_a_record_takes_any_value(sheet: str, row: int, value: Any) -> None:
    """One record, every column of it given the same odd value at once."""
    sheets = _workbook()
    for cells in sheets[sheet][row - 1:row]:
        cells[:] = [value] * len(cells)
    with tempfile.TemporaryDirectory() as folder:
        _assert_validated_or_located(write_workbook(Path(folder) / "fuzz.xlsx", sheets))


# --- Scenarios rows ---------------------------------------------------------------------------


_SHEET_NAMES = [*SHEET_BY_NAME, "Schools", "zones", "Current Placements", "budget"]
_COLUMNS = sorted({c.name for s in SHEET_BY_NAME.values() for c in s.columns}
                  | set(PARAMETER_BY_NAME) | {"*", "2026", "2027/28", "2040", "Capacity",
                                              "Zone ID"})
_filter_part = st.builds(
    lambda column, values: f"{column}={','.join(values)}",
    st.sampled_from(_COLUMNS + ["kind"]),
    st.lists(st.one_of(_words, _text.filter(lambda s: ";" not in s)), max_size=3))
_filters = st.one_of(st.none(), st.lists(_filter_part, min_size=1, max_size=3).map("; ".join),
                     _text, _words)
_scenario_row = st.tuples(
    st.sampled_from(["s1", "s2", "S1", "base", None, " s2 "]),
    st.one_of(st.sampled_from(_SHEET_NAMES), _text, st.none()),
    st.one_of(st.sampled_from(_COLUMNS), _text, st.none()),
    _filters,
    st.one_of(st.sampled_from(["set", "scale", "add", "Set", " add ", "multiply"]), _text,
              st.none()),
    _cell_values,
)


@_settings(default=15)
@given(rows=st.lists(_scenario_row, min_size=1, max_size=4))
def test_any_scenario_rows_give_success_or_located_problems(rows) -> None:
    sheets = valid_sheets()
    sheets["Scenarios"] = [["scenario", "sheet", "column", "filter", "operation", "value"],
                           *[list(row) for row in rows]]
    with tempfile.TemporaryDirectory() as folder:
        _assert_validated_or_located(write_workbook(Path(folder) / "fuzz.xlsx", sheets))


@_settings(default=15)
@given(rows=st.lists(st.tuples(
    st.sampled_from(["s1", "s2"]),
    st.sampled_from(["Demand", "Providers", "Expansions", "Parameters", "Budget", "Zones"]),
    st.sampled_from(["*", "2026", "2028", "capacity", "annual_cost_per_place", "places",
                     "capital_cost", "enabled", "required", "type", "needs", "first_year",
                     "horizon_years", "discount_rate", "budget_limit", "latitude"]),
    st.sampled_from([None, "zone_id=Z1", "type=special,inmss", "provider_id=P1",
                     "need=ASD; phase=primary", "option_id=OPT1,NEW1"]),
    st.sampled_from(["set", "scale", "add"]),
    st.one_of(st.integers(-50, 50), st.floats(-3, 3), st.sampled_from(
        ["yes", "no", "special", "0", "110%", "2030", "hard", "ASD", "£5,000"])),
), min_size=1, max_size=4))
def test_plausible_scenario_rows_give_success_or_located_problems(rows) -> None:
    """Rows that name real sheets, columns and filters: they reach apply and compile."""
    sheets = valid_sheets()
    sheets["Scenarios"] = [["scenario", "sheet", "column", "filter", "operation", "value"],
                           *[list(row) for row in rows]]
    with tempfile.TemporaryDirectory() as folder:
        _assert_validated_or_located(write_workbook(Path(folder) / "fuzz.xlsx", sheets))
