"""The optional Boundaries sheet: one GeoJSON outline per zone, for the reports' map.

Checked like every other sheet (each bad cell named, with what was expected) and carried
into the result folder as boundaries.csv, from which the map is drawn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_error, assert_warning, errors, problems_of, write_workbook
from tiny import tiny_workbook

from placeopt.run import plan, write_results
from placeopt.workbook.boundaries import BadBoundary, parse_boundary

SQUARE = {"type": "Polygon", "coordinates": [[[-2.40, 52.85], [-2.30, 52.85], [-2.30, 52.95],
                                              [-2.40, 52.95], [-2.40, 52.85]]]}
SOURCE = "invented test outline"


def square(dx: float = 0.0) -> str:
    ring = [[lon + dx, lat] for lon, lat in SQUARE["coordinates"][0]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def with_boundaries(sheets: dict[str, list[list[Any]]], rows: list[list[Any]]) -> None:
    sheets["Boundaries"] = [["zone_id", "geometry", "source"], *rows]


def _problems(tmp_path: Path, sheets: dict[str, list[list[Any]]]):
    return problems_of(write_workbook(tmp_path / "w.xlsx", sheets))


def test_boundaries_for_every_zone_read_cleanly(tmp_path: Path, sheets) -> None:
    with_boundaries(sheets, [["Z1", square(), SOURCE], ["Z2", square(0.1), SOURCE],
                             ["Z3", square(0.2), SOURCE]])
    assert _problems(tmp_path, sheets) == []


def test_zones_without_a_boundary_are_a_warning(tmp_path: Path, sheets) -> None:
    with_boundaries(sheets, [["Z1", square(), SOURCE]])
    problems = _problems(tmp_path, sheets)
    assert not errors(problems)
    assert_warning(problems, "Boundaries", "2 zone(s) have no boundary (Z2, Z3): the map "
                   "draws them as circles")


@pytest.mark.parametrize(("geometry", "message"), [
    ("{not json", "not a zone boundary: not GeoJSON"),
    (json.dumps({"type": "Point", "coordinates": [-2.3, 52.9]}),
     "not a zone boundary: a GeoJSON Point; expected a Polygon or MultiPolygon"),
    (json.dumps({"type": "Polygon", "coordinates": [[[-2.4, 52.8], [-2.3, 52.8]]]}),
     "a ring needs at least 4 positions"),
    (json.dumps({"type": "Polygon", "coordinates": [[[381000, 329000], [382000, 329000],
                                                     [382000, 330000], [381000, 329000]]]}),
     "is not a longitude and latitude (these look like British National Grid metres"),
    (json.dumps({"type": "Polygon", "coordinates": [[["a", 1], [1, 1], [1, 2], ["a", 1]]]}),
     "position ['a', 1] is not [longitude, latitude]"),
])
def test_a_bad_boundary_names_its_cell(tmp_path: Path, sheets, geometry: str,
                                       message: str) -> None:
    with_boundaries(sheets, [["Z1", square(), SOURCE], ["Z2", geometry, SOURCE],
                             ["Z3", square(0.2), SOURCE]])
    problems = _problems(tmp_path, sheets)
    assert len(errors(problems)) == 1
    assert_error(problems, "Boundaries!B3", message)


def test_a_boundary_of_an_unknown_zone(tmp_path: Path, sheets) -> None:
    with_boundaries(sheets, [["Z1", square(), SOURCE], ["Z2", square(0.1), SOURCE],
                             ["Z3", square(0.2), SOURCE], ["Z9", square(0.3), SOURCE]])
    assert_error(_problems(tmp_path, sheets), "Boundaries!A5", "unknown zone 'Z9'")


def test_a_feature_is_taken_for_its_geometry() -> None:
    feature = {"type": "Feature", "properties": {"code": "x"}, "geometry": SQUARE}
    assert parse_boundary(json.dumps(feature)) == SQUARE
    with pytest.raises(BadBoundary, match="expected a Polygon or MultiPolygon"):
        parse_boundary(json.dumps({"type": "FeatureCollection", "features": [feature]}))


def test_boundaries_reach_the_result_folder_and_the_map(tmp_path: Path) -> None:
    workbook = tiny_workbook(
        tmp_path / "t.xlsx",
        zones=[{"zone_id": "Z1", "latitude": 52.9, "longitude": -2.35}],
        providers=[{"provider_id": "P1", "type": "special", "capacity": 5,
                    "annual_cost_per_place": 1000, "latitude": 52.9, "longitude": -2.3}],
        demand=[{"zone_id": "Z1", "need": "ASD", "phase": "primary", "pupils": 3}])
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    ws = book.create_sheet("Boundaries")
    for row in (["zone_id", "geometry", "source"], ["Z1", square(), SOURCE]):
        ws.append(row)
    book.save(workbook)
    folder = write_results(plan(workbook), tmp_path / "out")
    table = (folder / "boundaries.csv").read_text(encoding="utf-8")
    assert table.splitlines()[0] == "zone_id,geometry,source"
    assert "Z1" in table and SOURCE in table
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Zone boundaries: " + SOURCE in page
    assert "Home zones are shaded by their pupils" in page
