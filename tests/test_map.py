"""The map (report/map.py): labels that never overlap, the home authority framed with
distant providers on its edge, zone boundaries as a choropleth, what is left unlabelled.

Maps are drawn from real result folders of tiny solved workbooks; every label's box is
measured on the figure's own renderer.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.text import Text
from tiny import tiny_workbook

from placeopt.report import read_folder
from placeopt.report.map import MAX_ZONE_NUMBERS, SMALLEST, draw_map, map_layout
from placeopt.report.map_key import key_lines, key_tables
from placeopt.run import plan, write_results

LAT, LON = 53.42, -2.33
KM = 1 / 111.2  # degrees of latitude in a km


def _zone(i: int, spread_km: float, columns: int) -> dict[str, Any]:
    row, column = divmod(i, columns)
    return {"zone_id": f"Z{i:02d}", "name": f"Zone number {i:02d} of the test borough",
            "latitude": LAT + row * spread_km * KM,
            "longitude": LON + column * spread_km * KM / math.cos(math.radians(LAT))}


def solved_folder(tmp_path: Path, n_zones: int, spread_km: float,
                  boundaries: bool = False) -> Path:
    """Zones on a grid `spread_km` apart, an in-area special school with room for half of
    them, an INMSS 40 km south taking the rest, and an unbuilt new-site option."""
    columns = math.ceil(math.sqrt(n_zones))
    zones = [_zone(i, spread_km, columns) for i in range(n_zones)]
    far = LAT - 40 * KM
    workbook = tiny_workbook(
        tmp_path / "map.xlsx", zones=zones,
        providers=[{"provider_id": "HOME", "name": "Home special school", "type": "special",
                    "capacity": n_zones // 2, "annual_cost_per_place": 20_000,
                    "latitude": LAT, "longitude": LON},
                   {"provider_id": "FAR", "name": "Far independent school", "type": "inmss",
                    "in_area": "no", "annual_cost_per_place": 60_000, "latitude": far,
                    "longitude": LON}],
        expansions=[{"option_id": "NEWSITE", "name": "Dear new site", "places": 5,
                     "capital_cost": 1e9, "type": "special", "annual_cost_per_place": 1,
                     "latitude": LAT + 0.01, "longitude": LON + 0.01}],
        demand=[{"zone_id": z["zone_id"], "need": "ASD", "phase": "primary", "pupils": 1}
                for z in zones])
    if boundaries:
        from openpyxl import load_workbook

        book = load_workbook(workbook)
        ws = book.create_sheet("Boundaries")
        ws.append(["zone_id", "geometry", "source"])
        half = spread_km / 2
        for z in zones:
            dx = half * KM / math.cos(math.radians(LAT))
            dy = half * KM
            x, y = z["longitude"], z["latitude"]
            ring = [[x - dx, y - dy], [x + dx, y - dy], [x + dx, y + dy], [x - dx, y + dy],
                    [x - dx, y - dy]]
            ws.append([z["zone_id"], json.dumps({"type": "Polygon", "coordinates": [ring]}),
                       "test squares"])
        book.save(workbook)
    return write_results(plan(workbook), tmp_path / "out", reports=False)


def map_axes(figure: Figure) -> list:
    return [ax for ax in figure.axes if ax.get_title()]


def label_boxes(figure: Figure) -> list[tuple[str, Any]]:
    renderer = figure.canvas.get_renderer()
    boxes = []
    for ax in map_axes(figure):
        for text in ax.texts:
            if hasattr(text, "update_positions"):
                text.update_positions(renderer)
            boxes.append((text.get_text(), Text.get_window_extent(text, renderer), ax))
    return boxes


def assert_no_overlap(figure: Figure) -> None:
    boxes = label_boxes(figure)
    assert boxes
    for (a, box_a, ax_a), (b, box_b, ax_b) in itertools.combinations(boxes, 2):
        assert ax_a is not ax_b or not box_a.overlaps(box_b), (a, b)
    for text, box, ax in boxes:
        limits = ax.get_window_extent(figure.canvas.get_renderer())
        assert limits.x0 <= box.x0 and box.x1 <= limits.x1, text
        assert limits.y0 <= box.y0 and box.y1 <= limits.y1, text


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 zones 400 m apart: far more labels than fit."""
    return solved_folder(tmp_path_factory.mktemp("crowded"), 60, 0.4)


def test_labels_never_overlap_even_when_crowded(crowded: Path) -> None:
    figure = draw_map(read_folder(crowded))
    assert_no_overlap(figure)
    numbers = [t for t, _, _ in label_boxes(figure) if t.isdigit()]
    assert 0 < len(set(numbers)) <= MAX_ZONE_NUMBERS


def test_only_the_zones_that_matter_are_numbered_and_the_key_says_so(crowded: Path) -> None:
    layout = map_layout(read_folder(crowded))
    numbered = layout.zones[layout.zones["number"] > 0]
    assert len(numbered) == MAX_ZONE_NUMBERS
    # numbers follow the names, so a planner finds a zone in the key alphabetically
    assert list(numbered.sort_values("number")["name"]) == sorted(numbered["name"])
    heading = key_lines(layout)[0]
    assert heading.heading and f"{MAX_ZONE_NUMBERS} of 60" in heading.name


def test_the_key_reads_one_way_and_the_map_prints_legibly(tmp_path: Path) -> None:
    """Issue 19: the key is two tables of text, zones then providers, so a zone's pupils
    never sit beside a provider's letter ('71 A ...' read as 71 pupils at A); and every
    text the map draws is large enough to print at 8 pt at the size report.xlsx places it."""
    data = read_folder(solved_folder(tmp_path, 9, 1.0))
    zones, providers = key_tables(data)
    assert list(zones.frame.columns) == ["Zone", "Name", f"Pupils {data.last_year}"]
    assert list(providers.frame.columns)[:2] == ["Letter", "Name"]
    assert zones.frame["Zone"].str.isdigit().all()
    assert providers.frame["Letter"].str.isalpha().all()
    assert "FAR" not in " ".join(zones.frame["Name"])
    figure = draw_map(data)
    sizes = [t.get_fontsize() for t in figure.findobj(Text) if t.get_text().strip()]
    assert min(sizes) >= SMALLEST >= 8.0
    assert figure.get_size_inches()[0] * 72 <= 770  # no wider than the page: printed 1:1


def test_a_distant_provider_sits_on_the_frame_edge(tmp_path: Path) -> None:
    folder = solved_folder(tmp_path, 9, 1.0)
    data = read_folder(folder)
    layout = map_layout(data)
    x0, x1, y0, y1 = layout.frame
    far = layout.providers.set_index("id").loc["FAR"]
    assert not layout.inside(far["x"], far["y"])  # 40 km away: outside the frame
    assert y1 - y0 < 10 and x1 - x0 < 10  # the frame holds the 2 km borough, not 40 km
    figure = draw_map(data)
    assert_no_overlap(figure)
    key = {line.mark: line for line in key_lines(layout)}
    letter = far["letter"]
    assert letter and "km S" in key[letter].figure
    assert abs(float(key[letter].figure.split(" km")[0].split(", ")[-1]) - 40) <= 2
    for ax in map_axes(figure):
        # the edge marker: a triangle inside the panel, near its bottom edge
        markers = [c for c in ax.collections if len(c.get_offsets()) == 1
                   and c.get_paths()[0].vertices.shape[0] == 4]
        assert markers, "no edge marker"
        (mx, my), = markers[0].get_offsets()
        bottom, top = ax.get_ylim()
        assert bottom < my < bottom + 0.06 * (top - bottom)


def test_an_unbuilt_new_site_is_not_drawn(tmp_path: Path) -> None:
    data = read_folder(solved_folder(tmp_path, 4, 1.0))
    assert data.expansions.set_index("option_id").at["NEWSITE", "built"] == "no"
    layout = map_layout(data)
    assert "NEWSITE" not in set(layout.providers.loc[layout.providers["letter"] != "", "id"])
    figure = draw_map(data)
    for ax in map_axes(figure):
        points = pd.DataFrame([tuple(p) for c in ax.collections for p in c.get_offsets()],
                              columns=["x", "y"])
        site = layout.providers.set_index("id").loc["NEWSITE"]
        assert not ((points["x"] - site["x"]).abs().lt(1e-9)
                    & (points["y"] - site["y"]).abs().lt(1e-9)).any()


def test_boundaries_are_a_choropleth_of_demand(tmp_path: Path) -> None:
    data = read_folder(solved_folder(tmp_path, 9, 1.0, boundaries=True))
    figure = draw_map(data)
    assert_no_overlap(figure)
    for ax in map_axes(figure):
        patches = [p for p in ax.patches if isinstance(p, PathPatch)]
        assert len(patches) == 9
        assert len({p.get_facecolor() for p in patches}) >= 1
    texts = [t.get_text() for t in figure.texts]
    assert "Zone boundaries: test squares" in texts
