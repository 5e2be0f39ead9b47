"""Reading the planning workbook (SPEC §1): typed tables from what a planner types."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import (
    YEARS,
    add_cached_values,
    add_column,
    assert_error,
    assert_warning,
    errors,
    problems_of,
    set_column,
    write_workbook,
)

from placeopt.workbook import cells
from placeopt.workbook.cells import ALL, CellError
from placeopt.workbook.reader import read_workbook
from placeopt.workbook.schema import PARAMETERS, PHASES, SHEET_BY_NAME, Column, Kind
from placeopt.workbook.template import write_template

# An Ordnance Survey test point (OSTN15 developer pack, "LOND"): ETRS89 ~ WGS84 within 1 m.
LOND_EN = (530624.963, 178388.461)
LOND_LATLON = (51.48936564611111, -0.1199255641666667)


def _fill(ws: Any, rows: list[dict[Any, Any]]) -> None:
    """Write dict rows under the template's headers (matched by header text)."""
    headers = {str(c.value): c.column for c in ws[1] if c.value is not None}
    for r, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=r, column=headers[str(key)], value=value)


def _set_parameter(ws: Any, name: str, value: Any) -> None:
    for row in ws.iter_rows(min_row=2):
        if row[0].value == name:
            row[1].value = value
            return
    raise KeyError(name)


@pytest.fixture
def filled_template(tmp_path: Path) -> tuple[Path, list[int]]:
    """The blank template, filled in by hand as a planner would (with a planner's spelling)."""
    path = write_template(tmp_path / "filled.xlsx")
    book = openpyxl.load_workbook(path)
    params = book["Parameters"]
    _set_parameter(params, "first_year", 2026)
    _set_parameter(params, "horizon_years", 10)
    _set_parameter(params, "home_la", "Testshire")
    _set_parameter(params, "discount_rate", "3.5%")
    _set_parameter(params, "allow_moves", "Y")
    _set_parameter(params, "integer_placements", True)
    _set_parameter(params, "budget_limit", "Hard")
    demand_ws = book["Demand"]
    # the template heads Demand with the next academic year; re-head it for 2026-2035
    year_cells = [c for c in demand_ws[1] if c.value is not None and str(c.value).isdigit()]
    years = [2026 + k for k in range(len(year_cells))]
    for cell, year in zip(year_cells, years, strict=True):
        cell.value = str(year)
    _fill(book["Zones"], [
        {"zone_id": "Z1", "name": "North", "latitude": 52.90, "longitude": -2.33},
        {"zone_id": "Z2", "name": "South", "latitude": 52.85, "longitude": -2.38},
        {"zone_id": "ZB", "name": "Lambeth", "easting": LOND_EN[0], "northing": LOND_EN[1]},
    ])
    _fill(demand_ws, [
        {"zone_id": "Z1", "need": "asd", "phase": "Primary", "provision": "Special",
         **{str(y): 10 + k for k, y in enumerate(years)}},
        {"zone_id": "z2", "need": "SEMH", "phase": "secondary",
         **{str(y): 4.5 for y in years}},
        {"zone_id": "ZB", "need": "slcn", "phase": "post16", "provision": "mainstream",
         **{str(y): 0 for y in years}},
    ])
    _fill(book["Providers"], [
        {"provider_id": "P1", "name": "Oak Special", "type": "Special", "in_area": "yes",
         "latitude": 52.91, "longitude": -2.34, "needs": "asd; SEMH", "phases": "all",
         "capacity": 40, "annual_cost_per_place": 24000, "residential": "no", "urn": 999001},
        {"provider_id": "P2", "name": "Elm Academy", "type": "mainstream", "in_area": "Y",
         "latitude": 52.86, "longitude": -2.37, "needs": "ALL",
         "phases": "primary, secondary", "annual_cost_per_place": "£9,000"},
        {"provider_id": "P3", "name": "Far Manor", "type": "INMSS", "in_area": "No",
         "latitude": 53.2, "longitude": -2.1, "needs": "ASD", "phases": "secondary;post16",
         "capacity": 20, "annual_cost_per_place": 60000, "residential": "TRUE",
         "max_travel_minutes": 120, "la": "Elsewhere"},
        {"provider_id": "P4", "name": "Unit", "type": "resourced",
         "easting": LOND_EN[0], "northing": LOND_EN[1], "capacity": 0,
         "annual_cost_per_place": 15000},
    ])
    _fill(book["Expansions"], [
        {"option_id": "OPT1", "name": "Oak extension", "provider_id": "p1", "places": 10,
         "capital_cost": 1_200_000, "earliest_year": 2027, "ramp_years": 2, "group": "oak",
         "required": "no", "enabled": "yes"},
        {"option_id": "NEW1", "name": "New special", "places": 50, "capital_cost": 9_000_000,
         "latest_year": 2030, "type": "special", "latitude": 52.88, "longitude": -2.30,
         "needs": "ASD;SLCN", "phases": "primary;secondary", "annual_cost_per_place": 25000,
         "required": "y"},
    ])
    _fill(book["CapacityLimits"], [{"provider_id": "P1", "need": "semh", "places": 8}])
    _fill(book["CurrentPlacements"], [
        {"zone_id": "Z1", "need": "ASD", "phase": "primary", "provision": "special",
         "provider_id": "P1", "pupils": 6, "years_remaining": 3},
    ])
    _fill(book["TravelMatrix"], [{"zone_id": "Z1", "provider_id": "NEW1", "minutes": 12.5}])
    _fill(book["Budget"], [
        {"year": 2026, "stream": "High_Needs_Block", "amount": 1_000_000},
        {"year": 2026, "stream": "capital", "amount": 5_000_000},
        {"year": 2050, "stream": "health", "amount": 1},
    ])
    book.save(path)
    return path, years


def test_template_fill_read_round_trip(filled_template: tuple[Path, list[int]]) -> None:
    path, years = filled_template
    inputs = read_workbook(path)
    # numbers typed as words are read, and said so; a budget year beyond the plan is named
    assert [str(w) for w in inputs.warnings] == [
        "WARNING Parameters!B5: text '3.5%' read as the number 0.035; check it, and type "
        "plain numbers to be sure",
        "WARNING Providers!K3: text '£9,000' read as the number 9000; check it, and type "
        "plain numbers to be sure",
        "WARNING Budget!A4: Budget row 4 is for 2050, outside the planning years 2026-2035: "
        "ignored",
    ]

    p = inputs.params
    assert p["first_year"] == 2026 and p["horizon_years"] == 10
    assert inputs.years == years
    assert p["home_la"] == "Testshire"
    assert p["discount_rate"] == pytest.approx(0.035)
    assert p["allow_moves"] is True and p["integer_placements"] is True
    assert p["budget_limit"] == "hard"
    assert p["road_circuity"] == pytest.approx(1.3)  # template default read back
    assert p["threads"] == 0

    zones = inputs.tables["Zones"].set_index("zone_id")
    assert list(zones.index) == ["Z1", "Z2", "ZB"]
    assert zones.loc["Z1", "latitude"] == pytest.approx(52.90)
    # British National Grid converted to WGS84
    assert zones.loc["ZB", "latitude"] == pytest.approx(LOND_LATLON[0], abs=1e-4)
    assert zones.loc["ZB", "longitude"] == pytest.approx(LOND_LATLON[1], abs=1e-4)

    demand = inputs.tables["Demand"]
    assert len(demand) == 3 * len(years)
    z1 = demand[demand["zone_id"] == "Z1"].sort_values("year")
    assert list(z1["year"]) == years
    assert list(z1["pupils"]) == [10 + k for k in range(len(years))]
    assert set(z1["need"]) == {"ASD"}  # canonical code from the Needs sheet
    assert set(z1["phase"]) == {"primary"}
    assert set(z1["provision"]) == {"special"}
    z2 = demand[demand["zone_id"] == "Z2"]  # zone typed 'z2' -> its canonical id
    assert len(z2) == len(years) and set(z2["provision"]) == {"any"}  # blank = any
    assert set(z2["pupils"]) == {4.5}
    assert set(demand.loc[demand["zone_id"] == "ZB", "need"]) == {"SLCN"}

    prov = inputs.tables["Providers"].set_index("provider_id")
    assert prov.loc["P1", "type"] == "special"
    assert prov.loc["P1", "needs"] == ("ASD", "SEMH")
    assert prov.loc["P1", "phases"] == ALL
    assert prov.loc["P1", "capacity"] == 40
    assert prov.loc["P1", "urn"] == "999001"
    assert bool(prov.loc["P1", "in_area"]) is True
    assert bool(prov.loc["P1", "residential"]) is False
    assert prov.loc["P2", "needs"] == ALL
    assert prov.loc["P2", "phases"] == ("primary", "secondary")
    assert math.isnan(prov.loc["P2", "capacity"])  # blank = unlimited
    assert prov.loc["P2", "annual_cost_per_place"] == 9000
    assert bool(prov.loc["P2", "residential"]) is False  # blank = default no
    assert prov.loc["P3", "type"] == "inmss"
    assert bool(prov.loc["P3", "in_area"]) is False
    assert bool(prov.loc["P3", "residential"]) is True
    assert prov.loc["P3", "max_travel_minutes"] == 120
    assert prov.loc["P3", "phases"] == ("secondary", "post16")
    assert prov.loc["P4", "capacity"] == 0
    assert prov.loc["P4", "latitude"] == pytest.approx(LOND_LATLON[0], abs=1e-4)
    assert bool(prov.loc["P4", "in_area"]) is True  # blank = default yes

    options = inputs.tables["Expansions"].set_index("option_id")
    assert options.loc["OPT1", "provider_id"] == "P1"  # 'p1' -> canonical
    assert options.loc["OPT1", "ramp_years"] == 2
    assert options.loc["OPT1", "earliest_year"] == 2027
    assert bool(options.loc["OPT1", "enabled"]) is True
    assert bool(options.loc["OPT1", "required"]) is False
    assert options.loc["NEW1", "provider_id"] is None or pd.isna(options.loc["NEW1",
                                                                             "provider_id"])
    assert options.loc["NEW1", "type"] == "special"
    assert options.loc["NEW1", "needs"] == ("ASD", "SLCN")
    assert bool(options.loc["NEW1", "required"]) is True
    assert options.loc["NEW1", "latest_year"] == 2030
    assert options.loc["NEW1", "ramp_years"] == 1  # default

    limits = inputs.tables["CapacityLimits"]
    assert limits.iloc[0]["need"] == "SEMH" and limits.iloc[0]["places"] == 8
    current = inputs.tables["CurrentPlacements"].iloc[0]
    assert (current["provider_id"], current["pupils"], current["years_remaining"]) == (
        "P1", 6, 3)
    assert inputs.tables["TravelMatrix"].iloc[0]["minutes"] == 12.5

    budget = inputs.tables["Budget"]
    assert sorted(budget["stream"]) == ["capital", "high_needs_block"]  # 2050 is outside
    assert inputs.needs["ASD"] == "Autistic spectrum disorder"  # pre-filled Needs sheet
    assert inputs.suitability["special"] == ("special", "inmss")
    assert set(inputs.suitability["any"]) == {"mainstream", "resourced", "special", "inmss",
                                              "college", "ap"}


def _long_form(sheets: dict[str, list[list[Any]]]) -> None:
    header, *rows = sheets["Demand"]
    long = [["zone_id", "need", "phase", "provision", "year", "pupils"]]
    for row in rows:
        for k, year in enumerate(YEARS):
            long.append([*row[:4], year, row[4 + k]])
    sheets["Demand"] = long


def test_long_form_demand_reads_the_same_as_wide(tmp_path: Path, sheets) -> None:
    wide = read_workbook(write_workbook(tmp_path / "wide.xlsx", sheets))
    _long_form(sheets)
    long = read_workbook(write_workbook(tmp_path / "long.xlsx", sheets))
    cols = ["zone_id", "need", "phase", "provision", "year", "pupils"]

    def key(df: pd.DataFrame) -> list[tuple]:
        return sorted(df[cols].astype(object).itertuples(index=False, name=None))

    assert key(wide.tables["Demand"]) == key(long.tables["Demand"])
    assert len(long.tables["Demand"]) == 9


def test_long_form_rows_may_come_in_any_order(tmp_path: Path, sheets) -> None:
    _long_form(sheets)
    header, *rows = sheets["Demand"]
    sheets["Demand"] = [header, *reversed(rows)]
    inputs = read_workbook(write_workbook(tmp_path / "long.xlsx", sheets))
    assert len(inputs.tables["Demand"]) == 9


@pytest.mark.parametrize("header", ["Zone ID", " zone_id ", "ZONE_ID", "zone id", "Zone_Id"])
def test_header_variants_match(tmp_path: Path, sheets, header: str) -> None:
    sheets["Zones"][0][0] = header
    sheets["Demand"][0][0] = header
    sheets["Providers"][0][9] = "Annual Cost Per Place"
    inputs = read_workbook(write_workbook(tmp_path / "h.xlsx", sheets))
    assert inputs.warnings == []
    assert list(inputs.tables["Zones"]["zone_id"]) == ["Z1", "Z2", "Z3"]
    assert list(inputs.tables["Providers"]["annual_cost_per_place"]) == [24000, 9000, 60000]


@pytest.mark.parametrize("titles", [
    {"Providers": "providers", "Demand": "DEMAND", "Expansions": " Expansions "},
    {"Zones": "zones", "Parameters": "PARAMETERS", "Providers": "Providers "},
])
def test_sheet_name_variants_match(tmp_path: Path, sheets, titles: dict[str, str]) -> None:
    renamed = {titles.get(name, name): rows for name, rows in sheets.items()}
    inputs = read_workbook(write_workbook(tmp_path / "s.xlsx", renamed))
    assert len(inputs.tables["Providers"]) == 3
    assert len(inputs.tables["Expansions"]) == 2


def test_sheet_name_with_space_for_underscore(tmp_path: Path, sheets) -> None:
    sheets["Current Placements"] = [
        ["zone_id", "need", "phase", "provision", "provider_id", "pupils"],
        ["Z1", "ASD", "primary", "special", "P1", 4],
    ]
    sheets["capacity_limits"] = [["provider_id", "need", "places"], ["P1", "ASD", 20]]
    inputs = read_workbook(write_workbook(tmp_path / "s.xlsx", sheets))
    assert inputs.tables["CurrentPlacements"].iloc[0]["pupils"] == 4
    assert inputs.tables["CapacityLimits"].iloc[0]["places"] == 20


def test_error_locations_use_the_sheet_title_in_the_file(tmp_path: Path, sheets) -> None:
    sheets["providers"] = sheets.pop("Providers")
    set_column(sheets, "providers", "capacity", 3, "lots")
    problems = problems_of(write_workbook(tmp_path / "t.xlsx", sheets))
    assert_error(problems, "providers!I3", "'lots' in capacity is not valid")


def test_unknown_column_is_a_warning_naming_the_cell(tmp_path: Path, sheets) -> None:
    add_column(sheets, "Providers", "Ofsted rating", ["Good", "Outstanding"])
    inputs = read_workbook(write_workbook(tmp_path / "u.xlsx", sheets))
    assert len(inputs.warnings) == 1
    assert_warning(inputs.warnings, "Providers!L1", "unknown column 'Ofsted rating' ignored")


def test_unknown_sheet_is_ignored_silently(tmp_path: Path, sheets) -> None:
    sheets["My notes"] = [["anything", "at all"], ["=1+1", None], ["zone_id", "Z99"]]
    sheets["Chart data"] = [[None, 2026], ["x", "not a number"]]
    inputs = read_workbook(write_workbook(tmp_path / "n.xlsx", sheets))
    assert inputs.warnings == []


def test_description_column_of_parameters_is_not_read(tmp_path: Path, sheets) -> None:
    sheets["Parameters"][1][2] = "=A1&B1"  # a formula there is not even looked at
    inputs = read_workbook(write_workbook(tmp_path / "d.xlsx", sheets))
    assert inputs.params["first_year"] == 2026


def test_parameter_names_match_like_headers(tmp_path: Path, sheets) -> None:
    sheets["Parameters"][1][0] = "First Year"
    sheets["Parameters"][2][0] = " HORIZON_YEARS"
    sheets["Parameters"].append(["Discount Rate", None, "blank = default"])
    inputs = read_workbook(write_workbook(tmp_path / "p.xlsx", sheets))
    assert inputs.params["first_year"] == 2026 and inputs.params["horizon_years"] == 3
    assert inputs.params["discount_rate"] == pytest.approx(0.035)


def test_every_parameter_has_its_default(tmp_path: Path, sheets) -> None:
    sheets["Parameters"] = [["parameter", "value"], ["first_year", 2026], ["horizon_years", 3]]
    inputs = read_workbook(write_workbook(tmp_path / "p.xlsx", sheets))
    for param in PARAMETERS:
        if param.name not in ("first_year", "horizon_years"):
            assert inputs.params[param.name] == param.default, param.name


def test_blank_rows_are_ignored_and_rows_keep_their_numbers(tmp_path: Path, sheets) -> None:
    header, *rows = sheets["Providers"]
    blank = [None] * len(header)
    spaces = ["  ", None, ""] + [None] * (len(header) - 3)
    sheets["Providers"] = [header, rows[0], blank, spaces, rows[1], rows[2]]
    set_column(sheets, "Providers", "capacity", 6, -1)
    problems = problems_of(write_workbook(tmp_path / "b.xlsx", sheets))
    assert len(errors(problems)) == 1
    assert_error(problems, "Providers!I6", "-1 in capacity is not valid; expected a number >= 0")


@pytest.mark.parametrize(("typed", "expected"), [
    ("yes", True), ("no", False), ("Yes", True), ("NO", False), ("y", True), ("N", False),
    ("true", True), ("FALSE", False), ("True", True), ("1", True), ("0", False),
    (1, True), (0, False), (True, True), (False, False), (" yes ", True),
])
def test_yes_no_spellings(tmp_path: Path, sheets, typed: Any, expected: bool) -> None:
    set_column(sheets, "Providers", "in_area", 2, typed)
    set_column(sheets, "Providers", "residential", 2, typed)
    inputs = read_workbook(write_workbook(tmp_path / "y.xlsx", sheets))
    row = inputs.tables["Providers"].iloc[0]
    assert bool(row["in_area"]) is expected and bool(row["residential"]) is expected


@pytest.mark.parametrize("typed", ["maybe", "2", "ja", 0.5])
def test_yes_no_rejects_other_values(tmp_path: Path, sheets, typed: Any) -> None:
    set_column(sheets, "Providers", "in_area", 3, typed)
    problems = problems_of(write_workbook(tmp_path / "y.xlsx", sheets))
    assert_error(problems, "Providers!D3", "expected yes or no (y/n, true/false, 1/0)")


@pytest.mark.parametrize(("typed", "expected"), [
    ("ASD;SEMH", ("ASD", "SEMH")),
    ("ASD, SEMH", ("ASD", "SEMH")),
    ("asd ; semh,", ("ASD", "SEMH")),
    ("ASD,SEMH;SLD", ("ASD", "SEMH", "SLD")),
    ("all", ALL),
    ("ALL", ALL),
    (" All ", ALL),
    (None, ALL),
])
def test_lists_with_semicolons_commas_and_all(tmp_path: Path, sheets, typed: Any,
                                              expected: Any) -> None:
    set_column(sheets, "Providers", "needs", 2, typed)
    inputs = read_workbook(write_workbook(tmp_path / "l.xlsx", sheets))
    assert inputs.tables["Providers"].iloc[0]["needs"] == expected


def test_phases_list_is_canonical(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Providers", "phases", 2, "Primary; POST16")
    inputs = read_workbook(write_workbook(tmp_path / "l.xlsx", sheets))
    assert inputs.tables["Providers"].iloc[0]["phases"] == ("primary", "post16")


def test_numbers_typed_as_text_are_read(tmp_path: Path, sheets) -> None:
    set_column(sheets, "Providers", "annual_cost_per_place", 2, "£24,000")
    set_column(sheets, "Providers", "capacity", 2, " 40 ")
    sheets["Parameters"].append(["discount_rate", "3.5%"])
    inputs = read_workbook(write_workbook(tmp_path / "n.xlsx", sheets))
    row = inputs.tables["Providers"].iloc[0]
    assert row["annual_cost_per_place"] == 24000 and row["capacity"] == 40
    assert inputs.params["discount_rate"] == pytest.approx(0.035)
    # ' 40 ' is a plain number; the others were written with symbols, and are named
    assert [w.where for w in inputs.warnings] == ["Parameters!B5", "Providers!J2"]
    assert_warning(inputs.warnings, "Providers!J2", "text '£24,000' read as the number 24000")


def test_ids_typed_as_numbers_are_text(tmp_path: Path, sheets) -> None:
    for r, zone in ((2, 101), (3, 102.0), (4, "103")):
        set_column(sheets, "Zones", "zone_id", r, zone)
        set_column(sheets, "Demand", "zone_id", r, zone)
    inputs = read_workbook(write_workbook(tmp_path / "i.xlsx", sheets))
    assert list(inputs.tables["Zones"]["zone_id"]) == ["101", "102", "103"]
    assert set(inputs.tables["Demand"]["zone_id"]) == {"101", "102", "103"}


def test_numeric_columns_are_floats(tmp_path: Path, sheets) -> None:
    """Number columns come out as float columns (NaN for blank), whatever was typed."""
    inputs = read_workbook(write_workbook(tmp_path / "f.xlsx", sheets))
    providers = inputs.tables["Providers"]
    for name in ("capacity", "annual_cost_per_place", "max_travel_minutes", "latitude"):
        assert pd.api.types.is_float_dtype(providers[name]), name
    demand = inputs.tables["Demand"]
    assert pd.api.types.is_float_dtype(demand["pupils"])
    assert pd.api.types.is_integer_dtype(demand["year"])


# --- formulas ---------------------------------------------------------------------------


def test_cached_formula_values_are_used(tmp_path: Path, sheets) -> None:
    sheets["Demand"][1][4] = "=5+5"  # Demand!E2, cached 10
    sheets["Demand"][2][5] = "=SUM(1,2)"  # Demand!F3, cached 3.5 (Excel's word is final)
    set_column(sheets, "Providers", "name", 2, '="Oak"&" Special"')  # Providers!B2
    set_column(sheets, "Providers", "capacity", 3, "=10*4")  # Providers!I3
    sheets["Parameters"][2][1] = "=1+2"  # horizon_years, Parameters!B3
    path = write_workbook(tmp_path / "cached.xlsx", sheets)
    add_cached_values(path, {
        ("Demand", "E2"): 10, ("Demand", "F3"): 3.5, ("Providers", "B2"): "Oak Special",
        ("Providers", "I3"): 40, ("Parameters", "B3"): 3,
    })
    inputs = read_workbook(path)
    demand = inputs.tables["Demand"].set_index(["zone_id", "year"])
    assert demand.loc[("Z1", 2026), "pupils"] == 10
    assert demand.loc[("Z2", 2027), "pupils"] == 3.5
    providers = inputs.tables["Providers"].set_index("provider_id")
    assert providers.loc["P1", "name"] == "Oak Special"
    assert providers.loc["P2", "capacity"] == 40
    assert inputs.params["horizon_years"] == 3


def test_formula_without_cached_value_is_an_error_naming_the_cell(tmp_path: Path,
                                                                  sheets) -> None:
    sheets["Demand"][1][4] = "=1+1"
    set_column(sheets, "Providers", "capacity", 3, "=20*2")
    sheets["Parameters"][2][1] = "=1+2"
    problems = problems_of(write_workbook(tmp_path / "nocache.xlsx", sheets))
    for where in ("Demand!E2", "Providers!I3", "Parameters!B3"):
        assert_error(problems, where, "a formula with no calculated value")
    assert len(errors(problems)) == 3  # never a silent zero, never reported twice


def test_formula_in_an_otherwise_empty_row_is_still_reported(tmp_path: Path, sheets) -> None:
    width = len(sheets["Providers"][0])
    sheets["Providers"].append(["=A2"] + [None] * (width - 1))
    problems = problems_of(write_workbook(tmp_path / "f.xlsx", sheets))
    assert_error(problems, "Providers!A5", "a formula with no calculated value")


# --- cells ------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "unit", "expected", "written"), [
    (12, "", 12.0, False), (12.5, "", 12.5, False), (" 12 ", "", 12.0, False),
    ("-2", "", -2.0, False), ("1e3", "", 1000.0, False), ("1,000", "", 1000.0, True),
    ("£24,000", "£/pupil/year", 24000.0, True), ("£ 1,200,000.50", "£", 1200000.5, True),
    ("3.5%", "fraction", 0.035, True), ("45 mins", "minutes", 45.0, True),
    ("45min", "minutes", 45.0, True), ("12 places", "places", 12.0, True),
    ("3.2 km", "km", 3.2, True),
])
def test_to_number(value: Any, unit: str, expected: float, written: bool) -> None:
    assert cells.to_number(value, unit) == pytest.approx(expected)
    assert cells.read_number(value, unit)[1] is written


@pytest.mark.parametrize(("value", "unit"), [
    (True, ""), ("twelve", ""), ("", ""), (float("inf"), ""), (float("nan"), ""), ("nan", ""),
    (dt.date(2026, 1, 1), ""), (dt.datetime(2026, 1, 1), ""), (dt.time(0, 45), "minutes"),
    ([1], ""), ("1,5", ""), ("12,00", ""), ("£5", "places"), ("50%", "places"),
    ("45 mins", "km"), ("1 hour", "minutes"), ("£1.2m", "£"), ("(1,000)", "£"), ("−5", ""),
    ("12 000", ""), ("45 m", "minutes"), ("TBC", "places"), ("£", "£"), ("%", "fraction"),
])
def test_to_number_rejects_what_could_be_misread(value: Any, unit: str) -> None:
    with pytest.raises(CellError):
        cells.to_number(value, unit)


def test_is_blank() -> None:
    assert cells.is_blank(None) and cells.is_blank("  ") and cells.is_blank(float("nan"))
    assert not cells.is_blank(0) and not cells.is_blank(False) and not cells.is_blank("x")


def test_parse_cell_bounds_and_kinds() -> None:
    years = Column("h", Kind.INTEGER, "", minimum=1, maximum=40)
    assert cells.parse_cell(years, 40.0) == 40 and isinstance(cells.parse_cell(years, 40.0), int)
    for bad in (0, 41, 2.5):
        with pytest.raises(CellError, match="a whole number >= 1 and <= 40"):
            cells.parse_cell(years, bad)
    above = Column("s", Kind.NUMBER, "", above=0)
    with pytest.raises(CellError, match="a number > 0"):
        cells.parse_cell(above, 0)
    phase = SHEET_BY_NAME["Demand"].column("phase")
    assert cells.parse_cell(phase, "Post-16") == "post16"
    assert cells.parse_cell(phase, "EARLY YEARS") == "early_years"
    with pytest.raises(CellError, match="one of " + ", ".join(PHASES)):
        cells.parse_cell(phase, "tertiary")
    text = Column("t", Kind.TEXT, "")
    assert cells.parse_cell(text, 100023.0) == "100023"
    with pytest.raises(CellError, match="not a date"):
        cells.parse_cell(text, dt.datetime(2026, 9, 1))


@pytest.mark.parametrize("style", ["{y}/{n:02d}", "{y}-{n:02d}", "{y}/{y1}", " {y} "])
def test_academic_year_headers(tmp_path: Path, sheets, style: str) -> None:
    """The spec names 2026/27 by 2026; a planner may head the column either way."""
    for k, year in enumerate(YEARS):
        sheets["Demand"][0][4 + k] = style.format(y=year, n=(year + 1) % 100, y1=year + 1)
    inputs = read_workbook(write_workbook(tmp_path / "a.xlsx", sheets))
    assert sorted(set(inputs.tables["Demand"]["year"])) == YEARS


def test_a_header_that_is_not_an_academic_year_is_an_unknown_column(tmp_path: Path,
                                                                    sheets) -> None:
    add_column(sheets, "Demand", "2026/28", [1, 1, 1])
    inputs = read_workbook(write_workbook(tmp_path / "a.xlsx", sheets))
    assert_warning(inputs.warnings, "Demand!H1", "unknown column '2026/28' ignored")


def test_sheet_titles_with_spaces_are_quoted_in_cell_references(tmp_path) -> None:
    """`Current Placements` matches CurrentPlacements; its cells are named as Excel does."""
    from placeopt.problems import sheet_ref

    assert sheet_ref("Demand") == "Demand"
    assert sheet_ref("Current Placements") == "'Current Placements'"
    assert sheet_ref("Mike's notes") == "'Mike''s notes'"
