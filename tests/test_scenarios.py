"""Scenarios (SPEC §1): named changes to a copy of the inputs; base is unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import (
    YEARS,
    add_column,
    assert_cli_error,
    assert_error,
    errors,
    problems_of,
    run_cli,
    write_workbook,
)

from placeopt.problems import InputError
from placeopt.workbook.reader import read_workbook
from placeopt.workbook.scenarios import apply_scenario, scenario_names

HEADER = ["scenario", "sheet", "column", "filter", "operation", "value", "note"]


def _with_scenarios(tmp_path: Path, sheets, rows: list[list[Any]]) -> Path:
    sheets["Scenarios"] = [HEADER, *rows]
    return write_workbook(tmp_path / "scen.xlsx", sheets)


def _pupils(inputs, zone: str, year: int) -> float:
    demand = inputs.tables["Demand"]
    match = demand[(demand["zone_id"] == zone) & (demand["year"] == year)]
    assert len(match) == 1
    return float(match["pupils"].iloc[0])


@pytest.fixture
def scenario_inputs(tmp_path: Path, sheets):
    path = _with_scenarios(tmp_path, sheets, [
        ["growth", "Demand", "*", None, "scale", 1.1, "10% more demand"],
        ["growth", "Parameters", "discount_rate", None, "set", 0.05, None],
        ["growth", "Expansions", "enabled", "option_id=OPT1", "set", "no", "not available"],
        ["Squeeze", "providers", "Capacity", "type=special,inmss", "scale", 0.5, None],
        ["Squeeze", "Demand", str(YEARS[1]), "need=asd; zone_id=Z1,Z3", "add", 2, None],
        ["squeeze", "Parameters", "Horizon Years", None, "set", 2, "same scenario, any case"],
    ])
    return read_workbook(path)


def test_scenario_names(scenario_inputs) -> None:
    assert scenario_names(scenario_inputs) == ["base", "growth", "Squeeze"]


def test_growth_scenario_changes_a_copy(scenario_inputs) -> None:
    base = scenario_inputs
    base_demand = base.tables["Demand"].copy()
    growth = apply_scenario(base, "growth")
    assert growth.scenario == "growth"
    for zone, year in (("Z1", YEARS[0]), ("Z2", YEARS[1]), ("Z3", YEARS[2])):
        assert _pupils(growth, zone, year) == pytest.approx(1.1 * _pupils(base, zone, year))
    assert growth.params["discount_rate"] == 0.05
    options = growth.tables["Expansions"].set_index("option_id")
    assert bool(options.loc["OPT1", "enabled"]) is False
    assert bool(options.loc["NEW1", "enabled"]) is True
    # still a boolean column: code may write ~enabled
    assert list(~growth.tables["Expansions"]["enabled"]) == [True, False]
    assert pd.api.types.is_float_dtype(growth.tables["Demand"]["pupils"])
    # base unchanged
    pd.testing.assert_frame_equal(base.tables["Demand"], base_demand)
    assert base.params["discount_rate"] == 0.035
    assert bool(base.tables["Expansions"].set_index("option_id").loc["OPT1", "enabled"])
    assert base.scenario == "base"


def test_filters_and_names_ignore_case(scenario_inputs) -> None:
    base = scenario_inputs
    squeeze = apply_scenario(base, "SQUEEZE")
    assert squeeze.scenario == "Squeeze"
    capacity = squeeze.tables["Providers"].set_index("provider_id")["capacity"]
    assert capacity["P1"] == 20 and capacity["P3"] == 10  # special, inmss halved
    assert pd.isna(capacity["P2"])  # blank (unlimited) stays blank
    assert squeeze.params["horizon_years"] == 2
    assert squeeze.years == YEARS[:2]
    # need=ASD AND zone in (Z1, Z3), only in the year named
    assert _pupils(squeeze, "Z1", YEARS[1]) == _pupils(base, "Z1", YEARS[1]) + 2
    assert _pupils(squeeze, "Z3", YEARS[1]) == _pupils(base, "Z3", YEARS[1]) + 2
    assert _pupils(squeeze, "Z2", YEARS[1]) == _pupils(base, "Z2", YEARS[1])
    assert _pupils(squeeze, "Z1", YEARS[0]) == _pupils(base, "Z1", YEARS[0])
    assert set(squeeze.tables["Demand"]["year"]) == set(YEARS[:2])


def test_base_is_the_inputs_unchanged(scenario_inputs) -> None:
    base = apply_scenario(scenario_inputs, "base")
    assert base is not scenario_inputs
    assert base.params == scenario_inputs.params
    for name, table in scenario_inputs.tables.items():
        pd.testing.assert_frame_equal(base.tables[name], table)


def test_base_exists_without_a_scenarios_sheet(valid_path: Path) -> None:
    inputs = read_workbook(valid_path)
    assert scenario_names(inputs) == ["base"]
    assert apply_scenario(inputs, "base").scenario == "base"


def test_unknown_scenario_name_is_a_located_error(scenario_inputs) -> None:
    with pytest.raises(InputError) as caught:
        apply_scenario(scenario_inputs, "optimistic")
    assert_error(caught.value.problems, "Scenarios",
                 "no scenario named 'optimistic'; the workbook has base, growth, Squeeze")


def test_a_scenario_that_lengthens_the_horizon_uses_the_extra_years(tmp_path: Path,
                                                                    sheets) -> None:
    add_column(sheets, "Demand", YEARS[-1] + 1, [20, 7, 4])
    sheets["Budget"] = [["year", "stream", "amount"], [YEARS[-1] + 1, "health", 5]]
    path = _with_scenarios(tmp_path, sheets, [
        ["long", "Parameters", "horizon_years", None, "add", 1, None],
        ["long", "Demand", "*", "zone_id=Z1", "scale", 2, None],
    ])
    base = read_workbook(path)
    assert base.years == YEARS and set(base.tables["Demand"]["year"]) == set(YEARS)
    assert base.tables["Budget"].empty
    longer = apply_scenario(base, "long")
    assert longer.years == [*YEARS, YEARS[-1] + 1]
    assert _pupils(longer, "Z1", YEARS[-1] + 1) == 40
    assert _pupils(longer, "Z2", YEARS[-1] + 1) == 7
    assert _pupils(longer, "Z1", YEARS[0]) == 2 * _pupils(base, "Z1", YEARS[0])
    assert list(longer.tables["Budget"]["amount"]) == [5]


def test_a_scenario_that_lengthens_the_horizon_without_data_is_an_error(tmp_path: Path,
                                                                        sheets) -> None:
    path = _with_scenarios(tmp_path, sheets, [
        ["long", "Parameters", "horizon_years", None, "set", 4, None]])
    with pytest.raises(InputError) as caught:
        apply_scenario(read_workbook(path), "long")
    assert_error(caught.value.problems, "Demand", f"no demand for {YEARS[-1] + 1} in any row")


def test_a_scenario_that_makes_a_value_invalid_is_a_located_error(tmp_path: Path,
                                                                  sheets) -> None:
    path = _with_scenarios(tmp_path, sheets, [
        ["cut", "Demand", "*", "zone_id=Z2", "add", -100, None],
        ["cut", "Parameters", "horizon_years", None, "scale", 20, None],
    ])
    with pytest.raises(InputError) as caught:
        apply_scenario(read_workbook(path), "cut")
    problems = caught.value.problems
    assert_error(problems, "Scenarios!F2", "scenario cut: add -100 makes pupils in Demand row "
                 "3 (and 2 more rows) -95; expected a number >= 0")
    assert_error(problems, "Scenarios!F3", "makes parameter horizon_years 60; expected a "
                 "whole number >= 1 and <= 40")


def test_a_year_outside_the_plan_warns(tmp_path: Path, sheets) -> None:
    path = _with_scenarios(tmp_path, sheets, [["x", "Demand", "2040", None, "add", 1, None]])
    inputs = apply_scenario(read_workbook(path), "x")
    assert [str(p) for p in inputs.warnings] == [
        "WARNING Scenarios!C2: scenario x: 2040 is not a planning year, so this row changes "
        "nothing"]


BAD_ROWS = [
    ("unknown sheet", ["s", "Schools", "capacity", None, "set", 1], "Scenarios!B2",
     "unknown sheet 'Schools'; expected one of Parameters, Needs, Zones, Demand"),
    ("unknown column", ["s", "Providers", "size", None, "set", 1], "Scenarios!C2",
     "sheet Providers has no column 'size'"),
    ("unknown parameter", ["s", "Parameters", "discount", None, "set", 1], "Scenarios!C2",
     "unknown parameter 'discount'"),
    ("filter without =", ["s", "Providers", "capacity", "special", "scale", 2],
     "Scenarios!D2", "filter part 'special' is not column=value[,value]"),
    ("filter on an unknown column", ["s", "Providers", "capacity", "kind=special", "scale", 2],
     "Scenarios!D2", "filter column 'kind' is not a column of Providers"),
    ("filter on Parameters", ["s", "Parameters", "discount_rate", "x=1", "set", 0.1],
     "Scenarios!D2", "Parameters rows take no filter"),
    ("value that does not fit", ["s", "Providers", "capacity", None, "set", "lots"],
     "Scenarios!F2", "'lots' in value is not valid for set capacity; expected a number >= 0"),
    ("value out of range", ["s", "Parameters", "discount_rate", None, "set", 3],
     "Scenarios!F2", "'3' in value is not valid for set discount_rate; expected a number >= 0 "
     "and <= 1"),
    ("scale of a text column", ["s", "Providers", "name", None, "scale", 2], "Scenarios!E2",
     "scale needs a numeric column; name is text"),
    ("unknown operation", ["s", "Providers", "capacity", None, "multiply", 2], "Scenarios!E2",
     "'multiply' in operation is not valid; expected one of set, scale, add"),
    ("a scenario named base", ["Base", "Providers", "capacity", None, "scale", 2],
     "Scenarios!A2", "'base' is the inputs unchanged"),
    ("scale by a word", ["s", "Providers", "capacity", None, "scale", "double"],
     "Scenarios!F2", "'double' in value is not valid for scale capacity; expected a number"),
    ("missing value", ["s", "Providers", "capacity", None, "scale", None], "Scenarios!F2",
     "value is missing"),
    ("missing sheet name", ["s", None, "capacity", None, "scale", 2], "Scenarios!B2",
     "sheet is missing"),
]


@pytest.mark.parametrize(("row", "where", "fragment"), [c[1:] for c in BAD_ROWS],
                         ids=[c[0] for c in BAD_ROWS])
def test_bad_scenario_rows_are_located_errors(tmp_path: Path, sheets, row, where: str,
                                              fragment: str) -> None:
    path = _with_scenarios(tmp_path, sheets, [row + [None]])
    problems = problems_of(path)
    assert len(errors(problems)) == 1, problems
    assert_error(problems, where, fragment)
    assert_cli_error(run_cli("validate", path), where, fragment)


def test_validate_applies_every_scenario(tmp_path: Path, sheets) -> None:
    path = _with_scenarios(tmp_path, sheets, [
        ["growth", "Demand", "*", None, "scale", 1.1, None],
        ["bad", "Demand", "*", None, "add", -50, None],
    ])
    result = run_cli("validate", path)
    assert_cli_error(result, "Scenarios!F3", "scenario bad: add -50 makes pupils")


def test_a_filter_that_matches_nothing_warns(tmp_path: Path, sheets) -> None:
    path = _with_scenarios(tmp_path, sheets, [
        ["x", "Providers", "capacity", "provider_id=P99", "set", 5, None]])
    inputs = apply_scenario(read_workbook(path), "x")
    assert [str(p) for p in inputs.warnings] == [
        "WARNING Scenarios!D2: scenario x: the filter matches no row of Providers, so this "
        "row changes nothing"]
    result = run_cli("validate", path)
    assert result.exit_code == 0
    assert "the filter matches no row of Providers" in result.output


def test_academic_year_column_in_a_scenario(tmp_path: Path, sheets) -> None:
    path = _with_scenarios(tmp_path, sheets, [
        ["x", "Demand", f"{YEARS[0]}/{(YEARS[0] + 1) % 100:02d}", None, "set", 0, None]])
    base = read_workbook(path)
    changed = apply_scenario(base, "x")
    assert _pupils(changed, "Z1", YEARS[0]) == 0
    assert _pupils(changed, "Z1", YEARS[1]) == _pupils(base, "Z1", YEARS[1])


def test_a_factor_written_as_a_percentage(tmp_path: Path, sheets) -> None:
    """'110%' scales by 1.1: written with a symbol, but it cannot be misread."""
    path = _with_scenarios(tmp_path, sheets, [["up", "Demand", "*", None, "scale", "110%",
                                               None]])
    base = read_workbook(path)
    up = apply_scenario(base, "up")
    assert _pupils(up, "Z1", YEARS[0]) == pytest.approx(1.1 * _pupils(base, "Z1", YEARS[0]))
