"""The key to the map (report/map.py): what its zone numbers and provider letters stand
for, as tables printed in the reports' own text beside the picture: the zones (number,
name, pupils), then the providers (letter, name, how far, the pupils in the flows drawn,
a star where the plan builds), each a table of its own so that a zone's pupils are never
read as a provider's."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from . import content as rp
from .formats import Table
from .map import MapLayout, map_layout


@dataclass(frozen=True)
class KeyLine:
    """One line of the key: a heading, or an entry (its mark, its name, a figure)."""

    mark: str
    name: str
    figure: str = ""
    heading: bool = False


def key_lines(layout: MapLayout) -> list[KeyLine]:
    """What the numbers and letters on the maps stand for: a heading and the zones, a
    heading and the providers."""
    lines: list[KeyLine] = []
    numbered = layout.zones[layout.zones["number"] > 0].sort_values("number")
    if len(numbered):
        note = "" if len(numbered) == len(layout.zones) else (
            f" ({len(numbered)} of {len(layout.zones)}: most sent out of area)")
        lines.append(KeyLine("", f"Zones{note}", f"pupils {layout.year}", heading=True))
        lines += [KeyLine(str(n), str(name), f"{pupils:,.0f}")
                  for n, name, pupils in numbered[["number", "name", "pupils"]].itertuples(
                      index=False)]
    lettered = layout.providers[layout.providers["letter"] != ""].sort_values("letter")
    if len(lettered):
        flows = " → ".join(c.lower() for c in layout.flows)
        lines.append(KeyLine("", "Providers", f"pupils in flows drawn, {flows}", heading=True))
        for pid, letter, name in lettered[["id", "letter", "name"]].itertuples(index=False):
            lines.append(KeyLine(letter, str(name), _provider_note(layout, pid)))
    return lines


def key_tables(data: rp.ResultFolder) -> list[Table]:
    """The key as tables, one per heading of `key_lines`: the zones (number, name,
    pupils) and the providers (letter, name, what the map shows of them)."""
    tables, rows, heading = [], [], None
    for line in [*key_lines(map_layout(data)), KeyLine("", "", heading=True)]:
        if line.heading:
            if heading is not None:
                mark = "Zone" if heading.name.startswith("Zones") else "Letter"
                frame = pd.DataFrame(rows, columns=[mark, "Name", heading.figure.capitalize()])
                tables.append(Table(f"Key: {heading.name}", frame,
                                    {c: "text" for c in frame.columns}))
            heading, rows = line, []
        else:
            rows.append((line.mark, line.name, line.figure))
    return tables


def _provider_note(layout: MapLayout, provider: str) -> str:
    """How far (for a provider beyond the frame), the pupils it receives in the flows
    drawn (baseline → plan), and a star where the plan builds."""
    row = layout.providers.loc[layout.providers["id"] == provider].iloc[0]
    parts = []
    if provider in layout.built:
        parts.append("★ built")
    if not layout.inside(row["x"], row["y"]):
        cx, cy = layout.centre
        distance = math.hypot(row["x"] - cx, row["y"] - cy)
        parts.append(f"{distance:,.0f} km {_compass(row['x'] - cx, row['y'] - cy)}")
    received = [float(f.loc[f["provider_id"] == provider, "pupils"].sum())
                for f in layout.flows.values()]
    if any(received):
        parts.append(" → ".join(f"{r:,.0f}" for r in received))
    return ", ".join(parts)


def _compass(dx: float, dy: float) -> str:
    points = ("E", "NE", "N", "NW", "W", "SW", "S", "SE")
    return points[round(math.degrees(math.atan2(dy, dx)) / 45) % 8]
