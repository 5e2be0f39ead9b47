"""`placeopt validate`: one test per class of input error, each exit 1 with message + cell.

Every case starts from the small valid workbook in conftest (its layout is described
there), changes one thing, and checks the exit code, that no traceback is printed, and
that the error names the cell and says what is wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    YEARS,
    add_column,
    assert_cli_error,
    drop_column,
    run_cli,
    set_column,
    valid_sheets,
    write_workbook,
)

Sheets = dict[str, list[list[Any]]]


def _param(sheets: Sheets, name: str, value: Any) -> None:
    for row in sheets["Parameters"][1:]:
        if row[0] == name:
            row[1] = value
            return
    sheets["Parameters"].append([name, value, None])


def _long_demand(sheets: Sheets) -> None:
    header, *rows = sheets["Demand"]
    long = [["zone_id", "need", "phase", "provision", "year", "pupils"]]
    for row in rows:
        long += [[*row[:4], year, row[4 + k]] for k, year in enumerate(YEARS)]
    sheets["Demand"] = long


def _missing_long_row(sheets: Sheets) -> None:
    _long_demand(sheets)
    del sheets["Demand"][5]  # Z2/SEMH/secondary/any 2027 (rows 5..7 before the delete)


def _set(sheet: str, column: str, row: int, value: Any) -> Callable[[Sheets], None]:
    return lambda s: set_column(s, sheet, column, row, value)


def _dup_demand(sheets: Sheets) -> None:
    sheets["Demand"].append(list(sheets["Demand"][1]))


def _drop_year(sheets: Sheets) -> None:
    drop_column(sheets, "Demand", YEARS[-1])


def _formula(sheets: Sheets) -> None:
    sheets["Demand"][2][5] = "=1+1"  # Demand!F3


def _new_site_fields(sheets: Sheets) -> None:
    set_column(sheets, "Expansions", "type", 2, "special")  # OPT1 expands P1: H2


def _years_reversed(sheets: Sheets) -> None:
    set_column(sheets, "Expansions", "earliest_year", 3, 2028)
    set_column(sheets, "Expansions", "latest_year", 3, 2027)


def _del_sheet(sheets: Sheets) -> None:
    del sheets["Providers"]


CASES: list[tuple[str, Callable[[Sheets], None], str, str]] = [
    ("missing sheet", _del_sheet, "workbook", "missing sheet 'Providers'"),
    ("missing column", lambda s: drop_column(s, "Providers", "annual_cost_per_place"),
     "Providers!1:1", "missing column 'annual_cost_per_place'"),
    ("missing required value", _set("Providers", "type", 3, None), "Providers!C3",
     "type is missing; expected one of mainstream, resourced"),
    ("wrong type: text in a number cell", _set("Providers", "capacity", 2, "forty"),
     "Providers!I2", "'forty' in capacity is not valid; expected a number >= 0"),
    ("wrong type: date in a number cell", _set("Providers", "capacity", 2, dt.date(2026, 1, 5)),
     "Providers!I2", "2026-01-05 in capacity is not valid; expected a number >= 0, not a date "
     "or time (check the cell's format)"),
    ("wrong type: TRUE in a number cell", _set("Demand", 2027, 3, True), "Demand!F3",
     "TRUE in pupils for 2027 is not valid; expected a number >= 0, not TRUE/FALSE"),
    ("wrong type: fraction in a whole-number cell", lambda s: _param(s, "horizon_years", 2.5),
     "Parameters!B3", "2.5 for parameter horizon_years is not valid; expected a whole number"),
    ("wrong type: not yes/no", _set("Providers", "residential", 4, "sometimes"),
     "Providers!K4", "'sometimes' in residential is not valid; expected yes or no"),
    ("wrong type: unknown provider type", _set("Providers", "type", 2, "hospital"),
     "Providers!C2", "'hospital' in type is not valid; expected one of mainstream"),
    ("negative number", _set("Providers", "annual_cost_per_place", 3, -5), "Providers!J3",
     "-5 in annual_cost_per_place is not valid; expected a number >= 0"),
    ("negative pupils", _set("Demand", 2028, 2, -1), "Demand!G2",
     "-1 in pupils for 2028 is not valid; expected a number >= 0"),
    ("non-numeric pupils", _set("Demand", 2026, 4, "n/a"), "Demand!E4",
     "'n/a' in pupils for 2026 is not valid; expected a number >= 0"),
    ("blank pupils", _set("Demand", 2026, 4, None), "Demand!E4",
     "pupils for 2026 are missing"),
    ("out of range: horizon_years 50", lambda s: _param(s, "horizon_years", 50),
     "Parameters!B3",
     "50 for parameter horizon_years is not valid; expected a whole number >= 1 and <= 40"),
    ("out of range: discount_rate 2", lambda s: _param(s, "discount_rate", 2),
     "Parameters!B5", "2 for parameter discount_rate is not valid; expected a number >= 0 and "
     "<= 1"),
    ("out of range: latitude", _set("Zones", "latitude", 2, 123), "Zones!C2",
     "123 in latitude is not valid; expected a number >= -90 and <= 90"),
    ("out of range: places 0", _set("Expansions", "places", 2, 0), "Expansions!D2",
     "0 in places is not valid; expected a number > 0"),
    ("unknown choice parameter", lambda s: _param(s, "budget_limit", "strict"),
     "Parameters!B5",
     "'strict' for parameter budget_limit is not valid; expected one of soft, hard, off"),
    ("unknown zone", _set("Demand", "zone_id", 3, "Z9"), "Demand!A3", "unknown zone 'Z9'"),
    ("unknown provider", _set("Expansions", "provider_id", 2, "P9"), "Expansions!C2",
     "unknown provider 'P9'"),
    ("unknown need", _set("Demand", "need", 2, "XYZ"), "Demand!B2", "unknown need 'XYZ'"),
    ("unknown need in a list", _set("Providers", "needs", 2, "ASD; FOO"), "Providers!G2",
     "unknown need 'FOO'"),
    ("unknown phase", _set("Demand", "phase", 2, "tertiary"), "Demand!C2",
     "'tertiary' in phase is not valid; expected one of early_years, primary, secondary"),
    ("unknown phase in a list", _set("Providers", "phases", 3, "primary;college"),
     "Providers!H3", "unknown phase 'college'"),
    ("unknown provision", _set("Demand", "provision", 2, "hospital"), "Demand!D2",
     "unknown provision level 'hospital'"),
    ("duplicate zone", _set("Zones", "zone_id", 3, "Z1"), "Zones!A3", "duplicate of row 2"),
    ("duplicate zone, other case", _set("Zones", "zone_id", 3, "z1"), "Zones!A3",
     "duplicate of row 2"),
    ("duplicate provider", _set("Providers", "provider_id", 4, "P1"), "Providers!A4",
     "duplicate of row 2"),
    ("duplicate option", _set("Expansions", "option_id", 3, "OPT1"), "Expansions!A3",
     "duplicate of row 2"),
    ("option id equal to a provider id", _set("Expansions", "option_id", 3, "P3"),
     "Expansions!A3", "option_id 'P3' is also a provider_id"),
    ("duplicate demand row", _dup_demand, "Demand!A5", "duplicate of row 2"),
    ("missing planning year, wide", _drop_year, "Demand!1:1",
     f"no column for planning year {YEARS[-1]}"),
    ("missing planning year, long", _missing_long_row, "Demand!E5",
     f"Z2/SEMH/secondary/any has no demand for {YEARS[1]}"),
    ("formula without cached value", _formula, "Demand!F3",
     "a formula with no calculated value"),
    ("unknown parameter", lambda s: _param(s, "horizon_yeers", 4), "Parameters!A5",
     "unknown parameter 'horizon_yeers'"),
    ("option names a provider and fills new-site columns", _new_site_fields, "Expansions!H2",
     "option OPT1 expands provider P1 but also fills new-site columns (type)"),
    ("new site without type", _set("Expansions", "type", 3, None), "Expansions!H3",
     "new site NEW1 needs type"),
    ("new site without cost", _set("Expansions", "annual_cost_per_place", 3, None),
     "Expansions!I3", "new site NEW1 needs annual_cost_per_place"),
    ("earliest_year after latest_year", _years_reversed, "Expansions!G3",
     "latest_year 2027 is before earliest_year 2028"),
    ("half a location", _set("Zones", "longitude", 3, None), "Zones!C3",
     "give both latitude and longitude, or neither"),
    ("first_year missing", lambda s: s["Parameters"].pop(1), "Parameters",
     "parameter first_year is missing"),
]


@pytest.mark.parametrize(("mutate", "where", "fragment"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_error_class_exits_1_naming_the_cell(tmp_path: Path, mutate, where: str,
                                                  fragment: str) -> None:
    sheets = valid_sheets()
    mutate(sheets)
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    result = run_cli("validate", path)
    assert_cli_error(result, where, fragment)
    assert "the workbook was not accepted" in result.output


def test_valid_workbook_exits_0(valid_path: Path) -> None:
    result = run_cli("validate", valid_path)
    assert result.exit_code == 0, result.output
    assert "no errors, 0 warnings" in result.output
    assert "3 zones, 3 providers, 2 options, 3 demand groups over 2026-2028" in result.output


def test_every_error_is_listed_at_once(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Providers", "capacity", 2, "forty")
    set_column(sheets, "Demand", "zone_id", 3, "Z9")
    _param(sheets, "discount_rate", 2)
    result = run_cli("validate", write_workbook(tmp_path / "bad.xlsx", sheets))
    assert_cli_error(result, "Providers!I2", "'forty' in capacity is not valid")
    assert_cli_error(result, "Demand!A3", "unknown zone 'Z9'")
    assert_cli_error(result, "Parameters!B5", "for parameter discount_rate is not valid")
    assert "3 errors: the workbook was not accepted." in result.output


def test_unknown_columns_warn_but_do_not_fail(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Zones", "population", [1000, 2000, 3000])
    result = run_cli("validate", write_workbook(tmp_path / "w.xlsx", sheets))
    assert result.exit_code == 0, result.output
    assert "WARNING Zones!G1: unknown column 'population' ignored" in result.output
    assert "no errors, 1 warning." in result.output


def test_demand_years_beyond_the_horizon_warn_but_do_not_fail(tmp_path: Path,
                                                              sheets) -> None:
    add_column(sheets, "Demand", YEARS[-1] + 1, [1, 2, 3])
    result = run_cli("validate", write_workbook(tmp_path / "w.xlsx", sheets))
    assert result.exit_code == 0, result.output
    assert (f"WARNING Demand!1:1: year columns outside the planning horizon ignored: "
            f"{YEARS[-1] + 1}") in result.output


def test_long_form_years_beyond_the_horizon_warn_but_do_not_fail(tmp_path: Path,
                                                                 sheets) -> None:
    _long_demand(sheets)
    sheets["Demand"].append(["Z1", "ASD", "primary", "special", 2040, 99])
    result = run_cli("validate", write_workbook(tmp_path / "w.xlsx", sheets))
    assert result.exit_code == 0, result.output
    assert "WARNING Demand!E1: demand in years outside the planning horizon ignored: 2040" \
        in result.output


def test_unlimited_provider_with_an_option_warns(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Expansions", "provider_id", 2, "P2")  # P2 has blank capacity
    result = run_cli("validate", write_workbook(tmp_path / "w.xlsx", sheets))
    assert result.exit_code == 0, result.output
    assert "WARNING Expansions!C2: provider P2 has unlimited capacity, so option OPT1 adds " \
        "nothing" in result.output


def test_quiet_prints_no_warnings(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Zones", "population", [1000, 2000, 3000])
    result = run_cli("validate", "--quiet", write_workbook(tmp_path / "w.xlsx", sheets))
    assert result.exit_code == 0
    assert "WARNING" not in result.output


@pytest.mark.parametrize("command", ["validate", "run", "frontier"])
def test_a_missing_workbook_is_a_usage_error(tmp_path: Path, command: str) -> None:
    """A path that does not exist is a wrong argument (exit 2), not a wrong workbook."""
    result = run_cli(command, tmp_path / "nowhere.xlsx")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "'WORKBOOK'" in result.output and "nowhere.xlsx' does not exist" in result.output


def test_validate_never_modifies_the_input(tmp_path: Path, sheets) -> None:
    sheets["Demand"][2][5] = "=1+1"  # an error, so the whole reading path runs
    bad = write_workbook(tmp_path / "bad.xlsx", sheets)
    good = write_workbook(tmp_path / "good.xlsx", valid_sheets())
    for path, code in ((good, 0), (bad, 1)):
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        mtime = path.stat().st_mtime_ns
        result = run_cli("validate", path)
        assert result.exit_code == code, result.output
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before
        assert path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx", "good.xlsx"]


def test_validate_help() -> None:
    result = run_cli("validate", "--help")
    assert result.exit_code == 0 and "WORKBOOK" in result.output
