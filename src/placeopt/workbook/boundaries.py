"""Zone boundaries: the optional Boundaries sheet, one GeoJSON outline per zone.

They are only drawn (the reports' map shades each zone by its demand); the model never
reads them. A boundary is a GeoJSON geometry, Polygon or MultiPolygon, in WGS84
longitude/latitude (RFC 7946), kept in one cell so that the workbook stays one file and
its SHA-256 covers everything a run used. A GeoJSON Feature holding such a geometry is
accepted too (its properties are ignored).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .inputs import Inputs

SHAPES = ("Polygon", "MultiPolygon")
COLUMNS = ["zone_id", "geometry", "source"]


class BadBoundary(ValueError):
    """A cell that is not a usable boundary; the message says what is wrong."""


def parse_boundary(text: Any) -> dict[str, Any]:
    """The geometry in a Boundaries cell, checked; BadBoundary says what is wrong."""
    try:
        shape = json.loads(str(text))
    except ValueError as exc:
        raise BadBoundary(f"not GeoJSON ({exc.args[0]})") from exc
    if isinstance(shape, dict) and shape.get("type") == "Feature":
        shape = shape.get("geometry")
    if not isinstance(shape, dict) or shape.get("type") not in SHAPES:
        found = shape.get("type") if isinstance(shape, dict) else type(shape).__name__
        raise BadBoundary(f"a GeoJSON {found!s}; expected a Polygon or MultiPolygon")
    polygons = shape.get("coordinates")
    if shape["type"] == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list) or not polygons:
        raise BadBoundary("its coordinates are missing")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise BadBoundary("a polygon without rings")
        for ring in polygon:
            _check_ring(ring)
    return {"type": shape["type"], "coordinates": shape["coordinates"]}


def _check_ring(ring: Any) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise BadBoundary("a ring needs at least 4 positions (the first repeated last)")
    for position in ring:
        if (not isinstance(position, list) or len(position) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool)
                           for v in position[:2])):
            raise BadBoundary(f"position {position!r} is not [longitude, latitude]")
        lon, lat = position[:2]
        if abs(lon) > 180 or abs(lat) > 90:
            hint = (" (these look like British National Grid metres: convert them to "
                    "longitude/latitude, EPSG:4326)" if lon > 1000 or lat > 1000 else "")
            raise BadBoundary(f"position [{lon}, {lat}] is not a longitude and latitude"
                              + hint)


def boundary_table(inputs: Inputs) -> pd.DataFrame:
    """zone_id, geometry (compact GeoJSON), source: the outlines for the result folder."""
    table = inputs.tables.get("Boundaries")
    if table is None or table.empty:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame({
        "zone_id": table["zone_id"].to_numpy(),
        "geometry": [json.dumps(parse_boundary(g), separators=(",", ":"))
                     for g in table["geometry"]],
        "source": table["source"].fillna("").to_numpy() if "source" in table else "",
    })[COLUMNS]
