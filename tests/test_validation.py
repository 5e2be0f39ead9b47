"""Checks across tables (SPEC §1): references, uniqueness, years, options, locations.

Each problem is reported once, where it is, and a wrong cell does not bury the report
under consequences of itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import (
    YEARS,
    add_column,
    assert_error,
    assert_warning,
    drop_column,
    errors,
    problems_of,
    set_column,
    write_workbook,
)

from placeopt.workbook.reader import read_workbook


def _problems(tmp_path: Path, sheets: dict[str, list[list[Any]]]):
    return problems_of(write_workbook(tmp_path / "w.xlsx", sheets))


def _param(sheets, name: str, value: Any) -> None:
    for row in sheets["Parameters"][1:]:
        if row[0] == name:
            row[1] = value
            return
    sheets["Parameters"].append([name, value, None])


def test_the_valid_workbook_has_no_problems(valid_path: Path) -> None:
    assert problems_of(valid_path) == []


def test_an_unknown_zone_in_wide_demand_is_reported_once(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Demand", "zone_id", 3, "Z9")
    problems = _problems(tmp_path, sheets)
    assert len(problems) == 1
    assert_error(problems, "Demand!A3", "unknown zone 'Z9'; expected one of Z1, Z2, Z3")


def test_a_duplicate_demand_row_is_reported_once(tmp_path: Path, sheets) -> None:
    sheets["Demand"].append(list(sheets["Demand"][1]))
    problems = _problems(tmp_path, sheets)
    assert len(problems) == 1
    assert_error(problems, "Demand!A5", "duplicate of row 2 (zone_id=Z1, need=ASD, "
                 "phase=primary, provision=special)")


def test_duplicate_demand_rows_match_ignoring_case(tmp_path: Path, sheets) -> None:
    sheets["Demand"].append(["z1", "asd", "Primary", "SPECIAL", 1, 1, 1])
    assert_error(_problems(tmp_path, sheets), "Demand!A5", "duplicate of row 2")


def test_duplicate_long_form_demand_rows_are_errors(tmp_path: Path, sheets) -> None:
    sheets["Demand"] = [["zone_id", "need", "phase", "year", "pupils"],
                        *[["Z1", "ASD", "primary", y, 1] for y in YEARS],
                        ["Z1", "ASD", "primary", YEARS[0], 2]]
    problems = _problems(tmp_path, sheets)
    assert len(errors(problems)) == 1
    assert_error(problems, "Demand!A5", "duplicate of row 2")


def test_a_duplicate_provider_named_by_an_option_is_reported_not_a_crash(tmp_path: Path,
                                                                         sheets) -> None:
    set_column(sheets, "Providers", "provider_id", 3, "P1")  # OPT1 expands P1
    problems = _problems(tmp_path, sheets)
    assert_error(problems, "Providers!A3", "duplicate of row 2")


def test_a_wrong_capacity_does_not_also_warn_unlimited(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Providers", "capacity", 2, "forty")  # P1, expanded by OPT1
    problems = _problems(tmp_path, sheets)
    assert [str(p) for p in problems] == [
        "ERROR Providers!I2: 'forty' in capacity is not valid; expected a number >= 0"]


def test_a_wrong_horizon_does_not_report_every_year_missing(tmp_path: Path, sheets) -> None:
    _param(sheets, "horizon_years", 50)
    problems = _problems(tmp_path, sheets)
    assert len(problems) == 1
    assert_error(problems, "Parameters!B3", "50 for parameter horizon_years is not valid")


def test_a_missing_year_column_is_reported_once(tmp_path: Path, sheets) -> None:
    _param(sheets, "horizon_years", 5)
    problems = _problems(tmp_path, sheets)
    assert [p.where for p in problems] == ["Demand!1:1", "Demand!1:1"]
    assert_error(problems, "Demand!1:1", "no column for planning year 2029; every year "
                 "2026-2030 needs a column")
    assert_error(problems, "Demand!1:1", "no column for planning year 2030")


def test_a_year_missing_from_every_long_form_row_is_reported_once(tmp_path: Path,
                                                                  sheets) -> None:
    sheets["Demand"] = [["zone_id", "need", "phase", "year", "pupils"],
                        *[[z, "ASD", "primary", y, 1] for z in ("Z1", "Z2", "Z3")
                          for y in YEARS[:2]]]
    problems = _problems(tmp_path, sheets)
    assert len(problems) == 1
    assert_error(problems, "Demand!D1", f"no demand for {YEARS[2]} in any row")


def test_a_blank_year_cell_is_reported_once(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Demand", YEARS[1], 3, None)
    problems = _problems(tmp_path, sheets)
    assert [str(p) for p in problems] == [
        f"ERROR Demand!F3: pupils for {YEARS[1]} are missing; expected a number >= 0 "
        "(0 if none)"]


def test_long_form_needs_year_and_pupils(tmp_path: Path, sheets) -> None:
    sheets["Demand"] = [["zone_id", "need", "phase", "year"], ["Z1", "ASD", "primary", 2026]]
    assert_error(_problems(tmp_path, sheets), "Demand!1:1",
                 "long-form Demand needs a 'pupils' column")


def test_long_form_blank_pupils_is_an_error(tmp_path: Path, sheets) -> None:
    sheets["Demand"] = [["zone_id", "need", "phase", "year", "pupils"],
                        *[["Z1", "ASD", "primary", y, 1] for y in YEARS]]
    sheets["Demand"][2][4] = None
    problems = _problems(tmp_path, sheets)
    assert [str(p) for p in problems] == ["ERROR Demand!E3: pupils is missing"]


def test_both_demand_forms_at_once_is_an_error(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Demand", "year", [2026, 2026, 2026])
    add_column(sheets, "Demand", "pupils", [1, 1, 1])
    assert_error(_problems(tmp_path, sheets), "Demand!1:1", "use one form")


def test_demand_without_year_columns(tmp_path: Path, sheets) -> None:
    sheets["Demand"] = [["zone_id", "need", "phase"], ["Z1", "ASD", "primary"]]
    assert_error(_problems(tmp_path, sheets), "Demand!1:1", "no year columns")


def test_a_repeated_column_is_an_error(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Zones", "Zone ID", ["a", "b", "c"])
    assert_error(_problems(tmp_path, sheets), "Zones!G1", "column zone_id appears twice")


def test_two_sheets_for_one_table(tmp_path: Path, sheets) -> None:
    sheets["Current Placements"] = [["zone_id", "need", "phase", "provider_id", "pupils"]]
    sheets["CurrentPlacements"] = [["zone_id", "need", "phase", "provider_id", "pupils"]]
    assert_error(_problems(tmp_path, sheets), "CurrentPlacements",
                 "a second sheet for CurrentPlacements (the first is 'Current Placements')")


def test_parameters_without_a_value_column(tmp_path: Path, sheets) -> None:
    sheets["Parameters"] = [["parameter", "amount"], ["first_year", 2026]]
    problems = _problems(tmp_path, sheets)
    assert_error(problems, "Parameters!1:1", "missing column 'value'")


def test_a_parameter_given_twice(tmp_path: Path, sheets) -> None:
    sheets["Parameters"].append(["First Year", 2027])
    assert_error(_problems(tmp_path, sheets), "Parameters!A5",
                 "parameter first_year is given twice (also row 2)")


# --- needs and provision levels ---------------------------------------------------------


def test_a_needs_sheet_defines_the_codes(tmp_path: Path, sheets) -> None:
    sheets["Needs"] = [["need", "name"], ["Autism", "Autism"], ["semh", "SEMH"]]
    set_column(sheets, "Demand", "need", 2, "AUTISM")
    set_column(sheets, "Demand", "need", 4, "autism")
    set_column(sheets, "Providers", "needs", 2, "autism;SEMH")
    inputs = read_workbook(write_workbook(tmp_path / "n.xlsx", sheets))
    assert set(inputs.tables["Demand"]["need"]) == {"Autism", "semh"}
    assert inputs.tables["Providers"].iloc[0]["needs"] == ("Autism", "semh")
    assert inputs.needs == {"Autism": "Autism", "semh": "SEMH"}


def test_with_a_needs_sheet_the_census_codes_are_not_known(tmp_path: Path, sheets) -> None:
    sheets["Needs"] = [["need", "name"], ["SEMH", "SEMH"]]
    assert_error(_problems(tmp_path, sheets), "Demand!B2",
                 "unknown need 'ASD'; expected one of SEMH")


def test_a_needs_row_without_a_code_is_an_error_not_a_crash(tmp_path: Path, sheets) -> None:
    sheets["Needs"] = [["need", "name"], ["ASD", "Autism"], ["SEMH", "SEMH"], [None, "Other"]]
    problems = _problems(tmp_path, sheets)
    assert_error(problems, "Needs!A4", "need is missing")


def test_suitability_adds_and_overrides_levels(tmp_path: Path, sheets) -> None:
    sheets["Suitability"] = [["provision", "types"], ["Specialist", "special; INMSS"],
                             ["mainstream", "mainstream"]]
    set_column(sheets, "Demand", "provision", 2, "specialist")
    inputs = read_workbook(write_workbook(tmp_path / "s.xlsx", sheets))
    assert inputs.suitability["specialist"] == ("special", "inmss")
    assert inputs.suitability["mainstream"] == ("mainstream",)
    assert inputs.suitability["resourced"] == ("resourced", "special", "inmss")  # default
    assert set(inputs.tables["Demand"]["provision"]) == {"specialist", "any", "mainstream"}


def test_suitability_unknown_type(tmp_path: Path, sheets) -> None:
    sheets["Suitability"] = [["provision", "types"], ["specialist", "special;hospital"]]
    assert_error(_problems(tmp_path, sheets), "Suitability!B2",
                 "unknown provider type 'hospital'")


def test_suitability_row_without_a_level_is_an_error_not_a_crash(tmp_path: Path,
                                                                 sheets) -> None:
    sheets["Suitability"] = [["provision", "types"], [None, "special"]]
    assert_error(_problems(tmp_path, sheets), "Suitability!A2", "provision is missing")


# --- references between tables ---------------------------------------------------------


def test_current_placements_refer_to_zones_providers_and_demand(tmp_path: Path,
                                                               sheets) -> None:
    sheets["CurrentPlacements"] = [
        ["zone_id", "need", "phase", "provision", "provider_id", "pupils"],
        ["Z1", "ASD", "primary", "special", "p1", 4],  # fine; provider by another case
        ["Z1", "ASD", "primary", "special", "P7", 4],
        ["Z9", "ASD", "primary", "special", "P1", 4],
        ["Z2", "ASD", "primary", "any", "P1", 4],  # no such Demand row
    ]
    problems = _problems(tmp_path, sheets)
    assert_error(problems, "CurrentPlacements!E3", "unknown provider 'P7'")
    assert_error(problems, "CurrentPlacements!A4", "unknown zone 'Z9'")
    assert_error(problems, "CurrentPlacements!A5", "no Demand row for Z2/ASD/primary/any")
    assert len(errors(problems)) == 3


def test_capacity_limits_and_travel_matrix_references(tmp_path: Path, sheets) -> None:
    sheets["CapacityLimits"] = [["provider_id", "need", "phase", "places"],
                                ["P1", None, None, 10], ["P1", "ASD", "primary", 5],
                                ["P8", "ASD", None, 5], ["P1", "XX", None, 5]]
    sheets["TravelMatrix"] = [["zone_id", "provider_id", "minutes"],
                              ["Z1", "NEW1", 10],  # a new site's option_id is fine
                              ["Z1", "OPT1", 10],  # an expansion is not a provider
                              ["Z7", "P1", 10]]
    problems = _problems(tmp_path, sheets)
    assert_error(problems, "CapacityLimits!A4", "unknown provider 'P8'")
    assert_error(problems, "CapacityLimits!B5", "unknown need 'XX'")
    assert_error(problems, "TravelMatrix!B3", "unknown provider or new-site option 'OPT1'")
    assert_error(problems, "TravelMatrix!A4", "unknown zone 'Z7'")
    assert len(errors(problems)) == 4


def test_duplicate_travel_matrix_pair(tmp_path: Path, sheets) -> None:
    sheets["TravelMatrix"] = [["zone_id", "provider_id", "minutes"],
                              ["Z1", "P1", 10], ["z1", "p1", 12]]
    assert_error(_problems(tmp_path, sheets), "TravelMatrix!A3", "duplicate of row 2")


# --- options ----------------------------------------------------------------------------


def test_option_years_outside_the_horizon_warn_or_fail_if_required(tmp_path: Path,
                                                                   sheets) -> None:
    set_column(sheets, "Expansions", "earliest_year", 2, 2040)
    problems = _problems(tmp_path, sheets)
    assert_warning(problems, "Expansions!F2", "option OPT1 can only open in 2040 or later, "
                   "outside the planning years 2026-2028; it is never built")
    add_column(sheets, "Expansions", "required", ["yes", "no"])
    set_column(sheets, "Expansions", "latest_year", 2, 2041)
    problems = _problems(tmp_path, sheets)
    assert_error(problems, "Expansions!F2", "option OPT1 can only open in 2040-2041, outside "
                 "the planning years 2026-2028")


def test_an_expansion_may_fill_options_own_columns(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Expansions", "group", ["oak", "oak"])
    add_column(sheets, "Expansions", "ramp_years", [2, 3])
    add_column(sheets, "Expansions", "enabled", ["no", None])
    inputs = read_workbook(write_workbook(tmp_path / "o.xlsx", sheets))
    options = inputs.tables["Expansions"]
    assert list(options["group"]) == ["oak", "oak"]
    assert list(options["ramp_years"]) == [2, 3]
    assert [bool(v) for v in options["enabled"]] == [False, True]


@pytest.mark.parametrize("column", ["in_area", "needs", "residential", "latitude"])
def test_any_new_site_column_on_an_expansion_is_an_error(tmp_path: Path, sheets,
                                                         column: str) -> None:
    value = {"in_area": "yes", "needs": "ASD", "residential": "no", "latitude": 52.9}[column]
    if column not in sheets["Expansions"][0]:
        add_column(sheets, "Expansions", column)
    set_column(sheets, "Expansions", column, 2, value)
    if column == "latitude":
        set_column(sheets, "Expansions", "longitude", 2, -2.3)
    letter = "ABCDEFGHIJKLMN"[sheets["Expansions"][0].index(column)]
    assert_error(_problems(tmp_path, sheets), f"Expansions!{letter}2",
                 f"also fills new-site columns ({column}")


# --- locations --------------------------------------------------------------------------


def test_lat_lon_and_bng_that_disagree_warn(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Zones", "easting", 2, 530624.963)  # London, not Z1's 52.9 N
    set_column(sheets, "Zones", "northing", 2, 178388.461)
    inputs = read_workbook(write_workbook(tmp_path / "l.xlsx", sheets))
    assert_warning(inputs.warnings, "Zones!C2", "latitude/longitude and easting/northing "
                   "disagree")
    assert inputs.tables["Zones"].iloc[0]["latitude"] == pytest.approx(52.90)


def test_half_a_grid_reference_is_an_error(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Zones", "northing", 4, None)
    assert_error(_problems(tmp_path, sheets), "Zones!E4",
                 "give both easting and northing, or neither")


def test_providers_and_new_sites_in_bng_are_converted(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Providers", "easting")
    add_column(sheets, "Providers", "northing")
    set_column(sheets, "Providers", "latitude", 3, None)
    set_column(sheets, "Providers", "longitude", 3, None)
    set_column(sheets, "Providers", "easting", 3, 381540)
    set_column(sheets, "Providers", "northing", 3, 329210)
    inputs = read_workbook(write_workbook(tmp_path / "b.xlsx", sheets))
    zones = inputs.tables["Zones"]
    providers = inputs.tables["Providers"]
    assert providers.iloc[1]["latitude"] == pytest.approx(zones.iloc[2]["latitude"])
    assert providers.iloc[1]["longitude"] == pytest.approx(zones.iloc[2]["longitude"])
    assert 52.8 < zones.iloc[2]["latitude"] < 52.95 and -2.35 < zones.iloc[2]["longitude"] < -2.2


# --- budget -----------------------------------------------------------------------------


def test_budget_streams_and_years(tmp_path: Path, sheets) -> None:
    sheets["Budget"] = [["year", "stream", "amount"],
                        [2026, "High Needs Block ", 1e6], [2026, "Capital", 5e6],
                        [2027, "health", 2e5], [2040, "health", 1]]
    inputs = read_workbook(write_workbook(tmp_path / "b.xlsx", sheets))
    budget = inputs.tables["Budget"]
    assert sorted(budget["stream"]) == ["capital", "health", "high needs block"]
    assert set(budget["year"]) == {2026, 2027}
    assert [str(w) for w in inputs.warnings] == [
        "WARNING Budget!A5: Budget row 5 is for 2040, outside the planning years 2026-2028: "
        "ignored"]


def test_duplicate_budget_rows(tmp_path: Path, sheets) -> None:
    sheets["Budget"] = [["year", "stream", "amount"], [2026, "health", 1], [2026, "Health", 2]]
    assert_error(_problems(tmp_path, sheets), "Budget!A3", "duplicate of row 2")


def test_a_required_option_that_is_not_enabled_warns(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Expansions", "required", ["yes", None])
    add_column(sheets, "Expansions", "enabled", ["no", None])
    inputs = read_workbook(write_workbook(tmp_path / "r.xlsx", sheets))
    assert_warning(inputs.warnings, "Expansions!M2", "option OPT1 is required but not enabled")


def test_two_required_options_of_one_group_are_an_error(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Expansions", "group", ["Oak", "oak "])
    add_column(sheets, "Expansions", "required", ["yes", "y"])
    assert_error(_problems(tmp_path, sheets), "Expansions!M3",
                 "options OPT1 and NEW1 are both required but in the same group 'oak'")


def test_options_of_one_group_may_be_alternatives(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Expansions", "group", ["oak", "oak"])
    add_column(sheets, "Expansions", "required", ["yes", "no"])
    assert _problems(tmp_path, sheets) == []


def test_latest_year_before_the_plan_warns(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Expansions", "earliest_year", 2, None)
    set_column(sheets, "Expansions", "latest_year", 2, 2020)
    assert_warning(_problems(tmp_path, sheets), "Expansions!G2",
                   "option OPT1 can only open in 2020 or earlier, outside the planning years")


def test_headers_not_in_row_1(tmp_path: Path, sheets) -> None:
    width = len(sheets["Providers"][0])
    sheets["Providers"].insert(0, [None] * width)  # a title row left blank, headers in row 2
    problems = _problems(tmp_path, sheets)
    assert [str(p) for p in problems] == [
        "ERROR Providers!1:1: row 1 is empty and the headers are in row 2, not row 1: delete "
        "the row above them so that the headers are in row 1, with records from row 2"]


# --- a missing sheet or column, and what follows from it --------------------------------


def test_a_renamed_sheet_is_one_error_with_a_suggestion(tmp_path: Path, sheets) -> None:
    """Zones -> Zone: the planner sees the real error, not every Demand row's zone."""
    sheets["Zone"] = sheets.pop("Zones")
    sheets["CurrentPlacements"] = [
        ["zone_id", "need", "phase", "provision", "provider_id", "pupils"],
        ["Z1", "ASD", "primary", "special", "P1", 4]]
    sheets["TravelMatrix"] = [["zone_id", "provider_id", "minutes"], ["Z1", "P1", 10]]
    assert [str(p) for p in _problems(tmp_path, sheets)] == [
        "ERROR workbook: missing sheet 'Zones': sheet 'Zone' looks like it; rename it 'Zones'"]


def test_a_missing_providers_sheet_hides_the_provider_references(tmp_path: Path,
                                                                 sheets) -> None:
    sheets["Schools"] = sheets.pop("Providers")  # not like 'Providers': no suggestion
    sheets["CapacityLimits"] = [["provider_id", "places"], ["P1", 5]]
    assert [str(p) for p in _problems(tmp_path, sheets)] == [
        "ERROR workbook: missing sheet 'Providers': Every school, unit or college where pupils "
        "can be placed, in and out of area."]


def test_a_near_miss_for_an_optional_sheet_warns(tmp_path: Path, sheets) -> None:
    """An 'Expansion' sheet is not read: said, because every option would be lost."""
    sheets["Expansion"] = sheets.pop("Expansions")
    sheets["My notes"] = [["anything"]]
    problems = _problems(tmp_path, sheets)
    assert [str(p) for p in problems] == [
        "WARNING Expansion: sheet 'Expansion' is not read: it looks like 'Expansions'; rename "
        "it 'Expansions' if it holds that table"]


def test_a_missing_key_column_is_one_error(tmp_path: Path, sheets) -> None:
    sheets["Zones"][0][0] = "zone"  # the header of zone_id mistyped
    problems = _problems(tmp_path, sheets)
    assert [str(p) for p in errors(problems)] == [
        "ERROR Zones!1:1: missing column 'zone_id' (Unique zone code)"]


def test_a_needs_sheet_without_its_code_column_is_one_error(tmp_path: Path, sheets) -> None:
    sheets["Needs"] = [["code", "name"], ["ASD", "Autism"], ["SEMH", "SEMH"]]
    problems = _problems(tmp_path, sheets)
    assert [str(p) for p in errors(problems)] == [
        "ERROR Needs!1:1: missing column 'need' (Need code, e.g. ASD)"]


@pytest.mark.parametrize(("column", "meaning"), [
    ("capacity", "every provider has unlimited places (a blank capacity means unlimited)"),
    ("needs", "every provider is taken to meet every need"),
    ("phases", "every provider is taken to take every phase"),
])
def test_a_deleted_column_that_loosens_the_plan_warns(tmp_path: Path, sheets, column: str,
                                                      meaning: str) -> None:
    drop_column(sheets, "Providers", column)
    problems = _problems(tmp_path, sheets)
    assert [str(p) for p in problems] == [
        f"WARNING Providers!1:1: no column '{column}', so {meaning}; add the column if that "
        "is not what you mean"]


def test_deleted_columns_with_a_harmless_default_do_not_warn(tmp_path: Path, sheets) -> None:
    for column in ("in_area", "residential", "name"):
        drop_column(sheets, "Providers", column)
    drop_column(sheets, "Demand", "provision")
    drop_column(sheets, "Expansions", "earliest_year")
    assert _problems(tmp_path, sheets) == []


def test_budget_rows_outside_the_plan_are_named(tmp_path: Path, sheets) -> None:
    sheets["Budget"] = [["year", "stream", "amount"], [2020, "health", 1],
                        [2026, "health", 1], [2041, "capital", 1], [2041, "health", 2]]
    problems = _problems(tmp_path, sheets)
    assert [str(p) for p in problems] == [
        "WARNING Budget!A2: Budget rows 2, 4, 5 are for 2020, 2041, outside the planning years "
        "2026-2028: ignored"]
