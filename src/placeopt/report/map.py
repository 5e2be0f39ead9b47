"""The map of the HTML report, drawn from coordinates alone (no tile server, no network).

Home zones are circles sized by their demand in the last year; providers are dots in the
colour of their type (squares when out of area); options the plan builds are stars; and
lines are the largest flows of pupils from a zone to an out-of-area provider, in the
baseline and in the plan, side by side on the same scale. The map frames the zones and
the ends of those flows: a distant provider that receives no large flow falls outside.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import content as rp

TOP_FLOWS = 15  # flows drawn per case
MIN_FLOW = 0.5  # pupils; smaller flows are noise on a map
FLOW_COLOUR = "#B03A2E"
ZONE_COLOUR = "#9ECAE1"
KM_PER_DEGREE = 111.2


def out_of_area_flows(placements: pd.DataFrame, year: int) -> pd.DataFrame:
    """Pupils from each zone to each out-of-area provider in `year`, largest first."""
    rows = placements[(placements["in_area"] == "no") & (placements["year"] == year)]
    flows = rows.groupby(["zone_id", "provider_id"], as_index=False)["pupils"].sum()
    flows = flows[flows["pupils"] >= MIN_FLOW]
    return flows.sort_values("pupils", ascending=False, kind="stable").head(TOP_FLOWS)


def zone_demand(data: rp.ResultFolder, year: int) -> pd.Series:
    """Pupils of each zone in `year`: placed in the plan, plus unmet."""
    placed = data.placements[data.placements["year"] == year].groupby("zone_id")["pupils"].sum()
    unmet = data.unmet[data.unmet["year"] == year].groupby("zone_id")["pupils"].sum()
    return placed.add(unmet, fill_value=0.0)


def _project(locations: pd.DataFrame) -> pd.DataFrame:
    """Kilometres east and north of the zones' centre (equirectangular: fine at LA scale)."""
    zones = locations[locations["kind"] == "zone"]
    centre = zones if len(zones) else locations
    lat0, lon0 = centre["latitude"].mean(), centre["longitude"].mean()
    out = locations.copy()
    out["x"] = (out["longitude"] - lon0) * KM_PER_DEGREE * math.cos(math.radians(lat0))
    out["y"] = (out["latitude"] - lat0) * KM_PER_DEGREE
    return out


def located(data: rp.ResultFolder) -> pd.DataFrame:
    """The zones and providers of locations.csv that have coordinates."""
    if data.locations is None:
        return pd.DataFrame(columns=["kind", "id", "name", "type", "in_area", "latitude",
                                     "longitude"])
    return data.locations.dropna(subset=["latitude", "longitude"])


def why_no_map(data: rp.ResultFolder) -> str | None:
    """Why the reports have no map, in words; None when there is one to draw."""
    if data.locations is None:
        return ("No map: this result folder has no locations.csv (the coordinates of zones "
                "and providers). Run the scenario again with a newer placeopt to get one.")
    if located(data).empty:
        return ("No map: the workbook gives no locations for its zones and providers "
                "(journeys come from its TravelMatrix alone), so there is nothing to place "
                "on a map.")
    return None


def draw_map(data: rp.ResultFolder) -> Figure:
    """Baseline and plan side by side (the plan alone without baseline_placements.csv)."""
    places = _project(located(data))
    year = data.last_year
    cases = [("Plan", data.placements)]
    if data.baseline_placements is not None:
        cases.insert(0, ("Baseline", data.baseline_placements))
    flows = {name: out_of_area_flows(table, year) for name, table in cases}
    widest = max([f["pupils"].max() for f in flows.values() if len(f)], default=1.0)
    figure = Figure(figsize=(6.2 * len(cases), 6.6))
    axes = figure.subplots(1, len(cases), sharex=True, sharey=True, squeeze=False)[0]
    shown = set(pd.concat([f["provider_id"] for f in flows.values()]))
    framed = places[(places["kind"] == "zone") | places["id"].isin(shown)]
    _frame(axes[0], framed if len(framed) else places)  # no zone located: the providers
    for ax, (name, table) in zip(axes, cases, strict=True):
        out = table[(table["in_area"] == "no") & (table["year"] == year)]["pupils"].sum()
        _draw_flows(ax, places, flows[name], widest)
        _draw_zones(ax, places, zone_demand(data, year))
        _draw_providers(ax, places, set(flows[name]["provider_id"]))
        if name == "Plan":
            _draw_built(ax, places, data.expansions)
        ax.set_title(f"{name}, {year}: {out:,.0f} pupils out of area", fontsize=11)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#BBBBBB")
    _scale_bar(axes[0])
    figure.legend(handles=_legend(places, widest), loc="lower center", ncol=4, fontsize=8,
                  frameon=False, bbox_to_anchor=(0.5, -0.02))
    figure.subplots_adjust(left=0.01, right=0.99, top=0.94, bottom=0.14, wspace=0.03)
    return figure


def _xy(places: pd.DataFrame, kind: str) -> pd.DataFrame:
    return places[places["kind"] == kind].drop_duplicates("id").set_index("id")


def _draw_flows(ax: Axes, places: pd.DataFrame, flows: pd.DataFrame, widest: float) -> None:
    zones, providers = _xy(places, "zone"), _xy(places, "provider")
    for zone, provider, pupils in flows[["zone_id", "provider_id", "pupils"]].itertuples(
            index=False):
        if zone in zones.index and provider in providers.index:
            ax.plot([zones.at[zone, "x"], providers.at[provider, "x"]],
                    [zones.at[zone, "y"], providers.at[provider, "y"]],
                    color=FLOW_COLOUR, alpha=0.55, solid_capstyle="round",
                    linewidth=0.8 + 7 * pupils / widest, zorder=2)


def _zone_size(pupils: float | np.ndarray, largest: float) -> float | np.ndarray:
    return 30 + 900 * np.asarray(pupils) / max(largest, 1e-9)


def _draw_zones(ax: Axes, places: pd.DataFrame, demand: pd.Series) -> None:
    zones = _xy(places, "zone")
    pupils = demand.reindex(zones.index).fillna(0.0).to_numpy()
    ax.scatter(zones["x"], zones["y"], s=_zone_size(pupils, demand.max()), color=ZONE_COLOUR,
               edgecolor="#3182BD", linewidth=0.8, alpha=0.6, zorder=3)
    for (x, y, name) in zones[["x", "y", "name"]].itertuples(index=False):
        ax.annotate(rp.plot_text(name), (x, y), fontsize=7, ha="center", va="center",
                    color="#08306B", zorder=6)


def _draw_providers(ax: Axes, places: pd.DataFrame, labelled: set[str]) -> None:
    providers = _xy(places, "provider")
    for (kind, in_area), group in providers.groupby(["type", "in_area"]):
        ax.scatter(group["x"], group["y"], s=28, marker="o" if in_area == "yes" else "s",
                   color="#" + rp.type_colour(kind, in_area), edgecolor="white",
                   linewidth=0.6, zorder=4)
    middle = sum(ax.get_xlim()) / 2
    for pid, (x, y, name) in providers[["x", "y", "name"]].iterrows():
        if pid in labelled:  # labels point inwards, so that they stay on the map
            left = x <= middle
            ax.annotate(rp.plot_text(name), (x, y), xytext=(5 if left else -5, -3),
                        textcoords="offset points", ha="left" if left else "right",
                        fontsize=7, color="#4D4D4D", zorder=6)


def _draw_built(ax: Axes, places: pd.DataFrame, expansions: pd.DataFrame) -> None:
    providers = _xy(places, "provider")
    built = expansions[(expansions["built"] == "yes")
                       & expansions["provider_id"].isin(providers.index)]
    where = providers.loc[built["provider_id"]]
    ax.scatter(where["x"], where["y"], s=150, marker="*", color="#FFD92F", edgecolor="black",
               linewidth=0.7, zorder=5)


def _frame(ax: Axes, places: pd.DataFrame) -> None:
    """Limits that take in `places` (zones and the ends of flows), with a margin."""
    x0, x1 = places["x"].min(), places["x"].max()
    y0, y1 = places["y"].min(), places["y"].max()
    pad = 0.08 * max(x1 - x0, y1 - y0, 1.0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - 2 * pad, y1 + pad)  # room for the scale bar at the bottom


def _scale_bar(ax: Axes) -> None:
    """A bar of a round number of km, about a fifth of the map's width, bottom left."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    length = min((m * 10 ** e for e in range(-1, 4) for m in (1, 2, 5)),
                 key=lambda v: abs(math.log(v / target)))
    x, y = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([x, x + length], [y, y], color="black", linewidth=2.5, zorder=7)
    ax.annotate(f"{length:g} km", (x + length / 2, y), xytext=(0, 4),
                textcoords="offset points", ha="center", fontsize=8, zorder=7)


def _legend(places: pd.DataFrame, widest: float) -> list[Line2D]:
    providers = _xy(places, "provider")
    groups = sorted({(t, a) for t, a in zip(providers["type"], providers["in_area"],
                                            strict=True)}, key=lambda g: rp.type_order(*g))
    handles = [Line2D([], [], linestyle="", marker="o" if a == "yes" else "s", markersize=6,
                      color="#" + rp.type_colour(t, a), label=rp.type_label(t, a))
               for t, a in groups]
    handles += [
        Line2D([], [], linestyle="", marker="o", markersize=12, color=ZONE_COLOUR,
               markeredgecolor="#3182BD", label="home zone (area: pupils)"),
        Line2D([], [], linestyle="", marker="*", markersize=12, color="#FFD92F",
               markeredgecolor="black", label="option built in the plan"),
        Line2D([], [], color=FLOW_COLOUR, alpha=0.55, linewidth=0.8 + 7,
               label=f"{widest:,.0f} pupils to an out-of-area provider"),
    ]
    return handles
