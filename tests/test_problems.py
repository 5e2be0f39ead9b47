"""One cause, one message: the problems a planner sees put root causes first, count
their consequences (with a few shown) and say identical things once, with a count. The
condensing happens in the data (InputError's problems), so the command line and the web
page show the same list."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import drop_column, run_cli, valid_sheets, write_workbook
from tiny import tiny_workbook

from placeopt.case import build_case
from placeopt.problems import InputError, Problem
from placeopt.workbook.reader import read_workbook

SCREENFUL = 20  # lines: what a planner reads without scrolling


def test_identical_problems_are_said_once_with_their_count() -> None:
    from placeopt.problems import condense

    same = Problem("error", "TravelMatrix", "no transport cost for zone Z1 to provider P1")
    other = Problem("warning", "Zones!C2", "far away")
    shown = condense([same, other, same, same])
    assert shown == [Problem(same.level, same.where, same.message, count=3), other]
    assert str(shown[0]).endswith("to provider P1 (3 times)")
    assert condense(shown) == shown


def test_consequences_come_after_the_causes_sampled_and_counted() -> None:
    from placeopt.problems import condense

    family = "rows of CurrentPlacements that name demand that is not there"
    following = [Problem("error", f"CurrentPlacements!A{r}", f"no Demand row {r}", family)
                 for r in range(2, 12)]
    cause = Problem("error", "Demand", "no rows under the headers")
    shown = condense([*following[:2], cause, *following[2:]])
    assert shown[0] == cause
    assert shown[1:4] == following[:3]
    assert str(shown[4]) == ("ERROR CurrentPlacements: and 7 more rows of CurrentPlacements "
                             "that name demand that is not there")
    assert len(shown) == 5
    assert condense(shown) == shown  # InputError may wrap another's problems
    # One more than the sample is shown whole: its tally would say less than it does.
    assert condense([cause, *following[:4]]) == [cause, *following[:4]]


def _current_rows(n: int) -> list[list]:
    """n CurrentPlacements rows of demand groups that exist in valid_sheets()."""
    groups = [("Z1", "ASD", "primary", "special", "P1"), ("Z2", "SEMH", "secondary", "any", "P2"),
              ("Z3", "ASD", "secondary", "mainstream", "P2")]
    return [list(groups[i % 3]) + [0.001] for i in range(n)]


def test_an_empty_demand_sheet_is_one_cause_not_fifteen_hundred(tmp_path: Path) -> None:
    """1,500 current placements and no demand: one error, three of its consequences and
    their count; it was 1,501 errors, one per row."""
    sheets = valid_sheets()
    sheets["Demand"] = sheets["Demand"][:1]
    sheets["CurrentPlacements"] = [["zone_id", "need", "phase", "provision", "provider_id",
                                    "pupils"], *_current_rows(1500)]
    path = write_workbook(tmp_path / "no_demand.xlsx", sheets)
    with pytest.raises(InputError) as caught:
        read_workbook(path)
    assert [str(p) for p in caught.value.errors] == [
        "ERROR Demand: no rows under the headers; expected at least one row of demand, one "
        "per row from row 2",
        "ERROR CurrentPlacements!A2: no Demand row for Z1/ASD/primary/special: current "
        "placements are part of demand, so the group needs a Demand row",
        "ERROR CurrentPlacements!A3: no Demand row for Z2/SEMH/secondary/any: current "
        "placements are part of demand, so the group needs a Demand row",
        "ERROR CurrentPlacements!A4: no Demand row for Z3/ASD/secondary/mainstream: current "
        "placements are part of demand, so the group needs a Demand row",
        "ERROR CurrentPlacements: and 1,497 more rows of CurrentPlacements that name demand "
        "that is not there"]
    result = run_cli("validate", path)
    assert result.exit_code == 1
    assert len(result.output.splitlines()) <= SCREENFUL, result.output
    assert result.output.splitlines()[-1] == (
        "1 error (and 1,500 more that follow from it): the workbook was not accepted.")


def test_demand_that_is_there_keeps_every_row_its_own_error(tmp_path: Path) -> None:
    """With demand present, a row naming a group Demand lacks is a cause of its own."""
    sheets = valid_sheets()
    sheets["CurrentPlacements"] = [["zone_id", "need", "phase", "provision", "provider_id",
                                    "pupils"]] + [["Z2", "ASD", "primary", "any", "P1", 1]] * 5
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    with pytest.raises(InputError) as caught:
        read_workbook(path)
    assert [p.where for p in caught.value.errors] == [f"CurrentPlacements!A{r}"
                                                      for r in range(2, 7)]
    assert not any(p.family for p in caught.value.errors)


def _no_zone_location(tmp_path: Path) -> Path:
    """Zone Z1 without a location; SP (special) in reach by minutes; RES (residential,
    no TravelMatrix row); five current placements at FAR, which the rules would not use
    (a day school 100 minutes away). Z2 is located and matched by TravelMatrix."""
    located = {"latitude": 52.0, "longitude": -1.0}
    providers = [{"provider_id": "SP", "type": "special", "annual_cost_per_place": 20_000},
                 {"provider_id": "RES", "type": "inmss", "residential": "yes",
                  "annual_cost_per_place": 90_000},
                 {"provider_id": "FAR", "type": "special", "annual_cost_per_place": 30_000}]
    needs = ["ASD", "SEMH", "MLD", "SLD", "PMLD"]
    path = tiny_workbook(
        tmp_path / "t.xlsx", zones=[{"zone_id": "Z1", "latitude": None, "longitude": None},
                                    {"zone_id": "Z2", **located}],
        providers=providers,
        demand=[{"zone_id": z, "need": n, "phase": "secondary", "pupils": 3}
                for z in ("Z1", "Z2") for n in needs],
        current=[{"zone_id": "Z1", "need": n, "phase": "secondary", "provider_id": "FAR",
                  "pupils": 1} for n in needs],
        travel={("Z1", p["provider_id"]): {"minutes": None, "annual_transport_cost": None}
                for p in providers} | {("Z2", "FAR"): {"minutes": 100}})
    return path


def test_a_zone_without_a_location_is_one_cause(tmp_path: Path) -> None:
    """Its missing location is said once, with the journeys it leaves unknown; the current
    placements whose journey it hides follow as its consequences. It was an error per
    residential pair (the same line for every need), one per current placement, and a
    warning beside each of those."""
    with pytest.raises(InputError) as caught:
        build_case(_no_zone_location(tmp_path))
    shown = [str(p) for p in caught.value.errors]
    assert shown == [
        "ERROR Zones!B2: zone Z1 has no location, so the journey minutes of 2 zone-provider "
        "pair(s) and the transport costs of 1 more pair(s) (residential or current "
        "placements) are unknown; give its location, or TravelMatrix rows for those pairs "
        "(minutes, and distance_km or annual_transport_cost)",
        "ERROR CurrentPlacements!E2: current placement of Z1 at FAR: the journey is unknown",
        "ERROR CurrentPlacements!E3: current placement of Z1 at FAR: the journey is unknown",
        "ERROR CurrentPlacements!E4: current placement of Z1 at FAR: the journey is unknown",
        "ERROR CurrentPlacements: and 2 more rows of CurrentPlacements whose journey is "
        "unknown"], "\n".join(shown)
    assert not any("would choose now" in p.message for p in caught.value.problems)


def test_a_postcode_column_gets_its_own_answer(tmp_path: Path) -> None:
    sheets = valid_sheets()
    drop_column(sheets, "Zones", "longitude")
    header = sheets["Zones"][0]
    header[header.index("latitude")] = "Postcode"
    for row in sheets["Zones"][1:]:
        row[header.index("Postcode")] = "M32 0TA"
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    warnings = read_workbook(path).warnings
    answer = next(str(p) for p in warnings if p.where == "Zones!C1")
    assert answer.startswith("WARNING Zones!C1: column 'Postcode' ignored: placeopt places "
                             "each row by latitude and longitude")
    assert "easting and northing" in answer and "Get Information About Schools" in answer
    assert "unknown column" not in answer
    result = run_cli("validate", path)  # shown with the errors it explains
    assert "column 'Postcode' ignored: placeopt places each row" in result.output
