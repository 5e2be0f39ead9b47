"""The map of both reports, drawn from coordinates alone (no tile server, no network).

Two panels, baseline and plan, on one frame. The home authority fills the frame: its
zones (and their outlines, where the workbook gives them) and its providers. Out-of-area
providers close to it are drawn where they are; distant ones that receive pupils sit on
the frame's edge in their direction, with their distance, so that a school 40 km away
does not shrink the authority to a dot. Zones are shaded by demand where their
boundaries are known (a choropleth), else drawn as circles sized by demand. Lines are the
largest flows of pupils to out-of-area providers. Every label is short (a zone's number,
a provider's letter), placed only where it overlaps no other label and dropped when there
is no room; the key (`key_tables`: zones, then providers, each a table of its own, so that
a zone's pupils are never read as a provider's) says what each stands for. The key is
text in the reports, not part of the picture: it prints at the reports' text size however
the picture is scaled to its page.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path as GeoPath
from matplotlib.transforms import Bbox

from . import content as rp
from .labels import HALO, SMALLEST, Label, around, place_labels

TOP_FLOWS = 15  # flows drawn per case
MIN_FLOW = 0.5  # pupils; smaller flows are noise on a map
MAX_ZONE_NUMBERS = 30  # beyond this, only the zones that matter most are numbered
MAX_LETTERS = 20  # providers lettered on the map
NEAR = 0.2  # out-of-area providers within this share of the frame's size are drawn in it
FLOW_COLOUR = "#B03A2E"
ZONE_COLOUR = "#9ECAE1"
ZONE_EDGE = "#3182BD"
STAR_COLOUR = "#FFD92F"
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


def map_caption(data: rp.ResultFolder) -> str:
    """What the map shows, in words, for both reports."""
    year = data.last_year
    zones = (f"Home zones are shaded by their pupils with an EHC plan in {year} (circles "
             "sized by them where the workbook gives no boundary)"
             if data.boundaries is not None and len(data.boundaries) else
             f"Home zones are circles sized by their pupils with an EHC plan in {year} (the "
             "workbook gives no zone boundaries)")
    missing = ("" if data.baseline_placements is not None else
               " The baseline is not shown: this result folder has no "
               "baseline_placements.csv.")
    return (f"{zones}. Lines: up to {TOP_FLOWS} of the largest flows of pupils from a zone "
            f"to an out-of-area provider in {year} (width: pupils). The frame holds the home "
            "authority; a provider beyond it is a triangle on the edge, in its direction. "
            "Numbers (zones) and letters (providers) are in the key. Drawn from "
            "coordinates, north up, without a background map." + missing)


# --- Where things are, in km east and north of the zones' centre ------------------------


@dataclass(frozen=True)
class Projection:
    """Equirectangular about a centre: kilometres, fine at the scale of an authority."""

    lat0: float
    lon0: float

    def __call__(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = (np.asarray(lon, float) - self.lon0) * KM_PER_DEGREE * math.cos(
            math.radians(self.lat0))
        return x, (np.asarray(lat, float) - self.lat0) * KM_PER_DEGREE


def outline_rings(geometry: str) -> list[list[np.ndarray]]:
    """The polygons of a GeoJSON Polygon or MultiPolygon, each a list of rings of
    (longitude, latitude) rows; [] for anything else (the workbook check names it)."""
    try:
        shape = json.loads(geometry)
        kind, coordinates = shape["type"], shape["coordinates"]
        polygons = [coordinates] if kind == "Polygon" else (
            coordinates if kind == "MultiPolygon" else [])
        return [[np.asarray(ring, float)[:, :2] for ring in polygon] for polygon in polygons]
    except (ValueError, TypeError, KeyError, IndexError):
        return []


@dataclass(frozen=True)
class MapLayout:
    """Everything the map draws, projected, and the frame that holds the authority."""

    zones: pd.DataFrame  # id, name, x, y, pupils, number (0 = not numbered)
    outlines: dict[str, GeoPath]  # zone id -> its outline, in km
    providers: pd.DataFrame  # id, name, type, in_area, x, y, new_site, letter
    flows: dict[str, pd.DataFrame]  # case -> zone_id, provider_id, pupils
    built: frozenset[str]  # providers where the plan builds an option
    frame: tuple[float, float, float, float]  # x0, x1, y0, y1
    year: int
    sources: tuple[str, ...]  # where the boundaries come from

    @property
    def centre(self) -> tuple[float, float]:
        x0, x1, y0, y1 = self.frame
        return (x0 + x1) / 2, (y0 + y1) / 2

    def inside(self, x: float, y: float, frame: Sequence[float] | None = None) -> bool:
        x0, x1, y0, y1 = frame or self.frame
        return x0 <= x <= x1 and y0 <= y <= y1


def map_layout(data: rp.ResultFolder) -> MapLayout:
    """Project the folder's locations, number the zones, letter the providers that
    matter, and frame the home authority."""
    places = located(data)
    zones = places[places["kind"] == "zone"].drop_duplicates("id")
    centre = zones if len(zones) else places
    project = Projection(float(centre["latitude"].mean()), float(centre["longitude"].mean()))
    year = data.last_year
    cases = {"Plan": data.placements}
    if data.baseline_placements is not None:
        cases = {"Baseline": data.baseline_placements, **cases}
    flows = {name: out_of_area_flows(table, year) for name, table in cases.items()}

    zones = zones.assign(pupils=zones["id"].map(zone_demand(data, year)).fillna(0.0))
    zones["x"], zones["y"] = project(zones["latitude"], zones["longitude"])
    zones = _number_zones(zones.reset_index(drop=True), flows)
    outlines, sources = _outlines(data, project, set(zones["id"]))

    providers = places[places["kind"] == "provider"].drop_duplicates("id").copy()
    providers["x"], providers["y"] = project(providers["latitude"], providers["longitude"])
    new_sites = set(data.expansions.loc[data.expansions["provider_id"]
                                        == data.expansions["option_id"], "option_id"])
    providers["new_site"] = providers["id"].isin(new_sites)
    built = frozenset(data.expansions.loc[data.expansions["built"] == "yes", "provider_id"])
    receiving = pd.concat([f["provider_id"] for f in flows.values()]).unique()
    frame = _frame(zones, outlines, providers, set(receiving))
    providers = _letter_providers(providers.reset_index(drop=True), flows, built)
    return MapLayout(zones, outlines, providers, flows, built, frame, year, sources)


def _number_zones(zones: pd.DataFrame, flows: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Numbers 1.. in the order of the zones' names; with more than MAX_ZONE_NUMBERS
    zones, only those sending most pupils out of area (then with most pupils) get one."""
    sent = pd.concat(flows.values()).groupby("zone_id")["pupils"].sum()
    order = zones.assign(sent=zones["id"].map(sent).fillna(0.0)).sort_values(
        ["sent", "pupils", "id"], ascending=[False, False, True], kind="stable")
    chosen = order.head(MAX_ZONE_NUMBERS).sort_values(["name", "id"], key=lambda s: s.str.lower())
    numbers = dict(zip(chosen["id"], range(1, len(chosen) + 1), strict=True))
    return zones.assign(number=zones["id"].map(numbers).fillna(0).astype(int))


def _outlines(data: rp.ResultFolder, project: Projection,
              zone_ids: set[str]) -> tuple[dict[str, GeoPath], tuple[str, ...]]:
    """Each zone's outline as one path (holes included), and the sources named for them."""
    table = data.boundaries
    if table is None or table.empty:
        return {}, ()
    table = table[table["zone_id"].isin(zone_ids)]
    outlines = {}
    for zone, geometry in zip(table["zone_id"], table["geometry"], strict=True):
        rings = [ring for polygon in outline_rings(geometry) for ring in polygon
                 if len(ring) >= 3]
        if rings:
            projected = [np.column_stack(project(ring[:, 1], ring[:, 0])) for ring in rings]
            outlines[zone] = GeoPath.make_compound_path(
                *[GeoPath(ring, closed=True) for ring in projected])
    sources = tuple(dict.fromkeys(s for s in table.get("source", pd.Series(dtype=str))
                                  if isinstance(s, str) and s.strip()))
    return outlines, sources


def _frame(zones: pd.DataFrame, outlines: dict[str, GeoPath], providers: pd.DataFrame,
           receiving: set[str]) -> tuple[float, float, float, float]:
    """The box of the home authority (zones, their outlines, in-area providers), grown to
    take in out-of-area providers that receive pupils and lie close to it."""
    home = providers[providers["in_area"] == "yes"]
    xs = [zones["x"].to_numpy(), home["x"].to_numpy()]
    ys = [zones["y"].to_numpy(), home["y"].to_numpy()]
    for path in outlines.values():
        xs.append(path.vertices[:, 0])
        ys.append(path.vertices[:, 1])
    x, y = np.concatenate(xs), np.concatenate(ys)
    if not len(x):  # no zone and no in-area provider located: frame what there is
        x, y = providers["x"].to_numpy(), providers["y"].to_numpy()
    x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
    reach = NEAR * max(x1 - x0, y1 - y0, 1.0)
    near = providers[providers["id"].isin(receiving)
                     & providers["x"].between(x0 - reach, x1 + reach)
                     & providers["y"].between(y0 - reach, y1 + reach)]
    nx, ny = near["x"].to_numpy(float), near["y"].to_numpy(float)
    x0, x1 = np.min(nx, initial=x0), np.max(nx, initial=x1)
    y0, y1 = np.min(ny, initial=y0), np.max(ny, initial=y1)
    pad = 0.06 * max(x1 - x0, y1 - y0, 1.0)
    return x0 - pad, x1 + pad, y0 - 1.5 * pad, y1 + pad  # room for the scale bar below


def _letter_providers(providers: pd.DataFrame, flows: dict[str, pd.DataFrame],
                      built: frozenset[str]) -> pd.DataFrame:
    """Letters A.. for what matters: out-of-area providers that receive the largest flows
    (by pupils, baseline and plan together), then sites where the plan builds."""
    received = pd.concat(flows.values()).groupby("provider_id")["pupils"].sum()
    receivers = list(received.sort_values(ascending=False, kind="stable").index)
    sites = sorted(built - set(receivers))
    chosen = [p for p in receivers + sites if p in set(providers["id"])][:MAX_LETTERS]
    letters = {p: chr(ord("A") + i) for i, p in enumerate(chosen)}
    return providers.assign(letter=[letters.get(p, "") for p in providers["id"]])


# --- Drawing ----------------------------------------------------------------------------


# inches: narrower than an A4 landscape page, so that the picture prints at full size in
# every program (LibreOffice's columns are wider than Excel's, and its print scale smaller)
FIGURE_WIDTH = 8.5
MAP_HEIGHT = 3.9
SOURCE_HEIGHT = 0.16  # inches a line of the boundaries' source takes at the foot
SOURCE_CHARS = 115  # characters a line of it holds
LEGEND_COLUMNS = 3
BAR_HEIGHT = 0.4  # inches for the colour bar of the choropleth


def draw_map(data: rp.ResultFolder) -> Figure:
    """Baseline and plan side by side (the plan alone without baseline_placements.csv),
    the colour bar of the shading and the legend below them. Call only when
    `why_no_map` is None; `key_tables` says what the numbers and letters stand for."""
    layout = map_layout(data)
    cases = list(layout.flows)
    bar = BAR_HEIGHT if layout.outlines else 0.0
    handles = _legend(layout, widest_flow(layout))
    source = textwrap.wrap("Zone boundaries: " + "; ".join(layout.sources), SOURCE_CHARS)
    foot = SOURCE_HEIGHT * len(source)
    legend_height = 0.2 * math.ceil(len(handles) / LEGEND_COLUMNS) + 0.15 + foot
    title_height = 0.3
    height = MAP_HEIGHT + bar + legend_height + title_height
    figure = Figure(figsize=(FIGURE_WIDTH, height))
    FigureCanvasAgg(figure)  # labels are measured on its renderer while they are placed
    grid = figure.add_gridspec(1, len(cases), left=0.01, right=0.99,
                               top=1 - title_height / height,
                               bottom=(legend_height + bar) / height, wspace=0.03)
    axes = [figure.add_subplot(grid[0, i]) for i in range(len(cases))]
    shown = _fill(layout.frame, axes[0])
    for ax in axes:
        ax.set_xlim(*shown[:2])
        ax.set_ylim(*shown[2:])
        ax.set_aspect("equal", adjustable="box")
        ax.apply_aspect()  # the panel's final box, on which labels are measured
    widest = widest_flow(layout)
    norm = Normalize(0.0, max(float(np.max(layout.zones["pupils"].to_numpy(float),
                                           initial=0.0)), 1.0))
    for ax, case in zip(axes, cases, strict=True):
        _draw_case(ax, layout, case, shown, widest, norm, data)
    if layout.outlines:
        _colour_bar(figure, layout, norm, (legend_height + 0.12) / height, 0.1 / height)
    figure.legend(handles=handles, loc="lower center", ncol=LEGEND_COLUMNS,
                  fontsize=SMALLEST, frameon=False, bbox_to_anchor=(0.5, foot / height))
    if layout.sources:
        figure.text(0.01, 0.004, rp.plot_text("\n".join(source)), fontsize=SMALLEST,
                    color="#555555", va="bottom", ha="left", linespacing=1.2)
    return figure


def widest_flow(layout: MapLayout) -> float:
    """The most pupils in one flow drawn: the width of the thickest line."""
    return max([f["pupils"].max() for f in layout.flows.values() if len(f)], default=1.0)


def _colour_bar(figure: Figure, layout: MapLayout, norm: Normalize, bottom: float,
                height: float) -> None:
    """The shading's scale: pupils with an EHC plan by home zone."""
    bar = figure.add_axes((0.01, bottom, 0.2, height))
    bar.imshow(np.linspace(0.08, 0.68, 256)[None, :], aspect="auto", cmap="Blues",
               vmin=0, vmax=1, extent=(0, norm.vmax, 0, 1))
    bar.set_yticks([])
    bar.tick_params(labelsize=SMALLEST, length=2, pad=1)
    figure.text(0.22, bottom, f"Shading: pupils with an EHC plan by home zone, {layout.year}",
                fontsize=SMALLEST, va="bottom")


def _fill(frame: tuple[float, float, float, float], ax: Axes) -> tuple[float, ...]:
    """The frame widened (or heightened) about its centre to the shape of the axes, so
    that north-up kilometres fill the panel."""
    x0, x1, y0, y1 = frame
    box = ax.get_position()
    shape = (box.width * ax.figure.get_figwidth()) / (box.height * ax.figure.get_figheight())
    width, height = x1 - x0, y1 - y0
    if width / height < shape:
        grow = (height * shape - width) / 2
        return x0 - grow, x1 + grow, y0, y1
    grow = (width / shape - height) / 2
    return x0, x1, y0 - grow, y1 + grow


def _draw_case(ax: Axes, layout: MapLayout, case: str, shown: tuple[float, ...],
               widest: float, norm: Normalize, data: rp.ResultFolder) -> None:
    table = data.placements if case == "Plan" else data.baseline_placements
    assert table is not None
    out = table[(table["in_area"] == "no") & (table["year"] == layout.year)]["pupils"].sum()
    ax.set_title(f"{case}, {layout.year}: {out:,.0f} pupils out of area", fontsize=10.5)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#BBBBBB")
    _draw_zones(ax, layout, norm)
    drawn = _drawn_providers(layout, case, set(table["provider_id"]))
    inset = _inset(shown)
    ends = _flow_ends(layout, drawn, inset)
    _draw_flows(ax, layout, layout.flows[case], ends, widest)
    within = [layout.inside(x, y, shown) for x, y in zip(drawn["x"], drawn["y"], strict=True)]
    _draw_providers(ax, drawn[within])
    edge = drawn[drawn["id"].isin(layout.flows[case]["provider_id"]) & ~pd.Series(
        within, index=drawn.index)]
    obstacles = _draw_edge_markers(ax, layout, edge, ends)
    stars = drawn[drawn["id"].isin(layout.built)] if case == "Plan" else drawn.iloc[:0]
    ax.scatter(stars["x"], stars["y"], s=130, marker="*", color=STAR_COLOUR,
               edgecolor="black", linewidth=0.6, zorder=6)
    obstacles.append(_scale_bar(ax, _drawn_points(layout, drawn, layout.flows[case], ends)))
    place_labels(ax, _labels(layout, drawn, edge, ends), obstacles
                 + [_marker_box(ax, x, y, 6) for x, y in zip(stars["x"], stars["y"],
                                                             strict=True)])


def _drawn_providers(layout: MapLayout, case: str, placed: set[str]) -> pd.DataFrame:
    """Existing providers, and new sites only where this case uses or builds them."""
    providers = layout.providers
    keep = ~providers["new_site"] | providers["id"].isin(placed)
    if case == "Plan":
        keep |= providers["id"].isin(layout.built)
    return providers[keep]


def _inset(shown: tuple[float, ...]) -> tuple[float, float, float, float]:
    x0, x1, y0, y1 = shown
    margin = 0.035 * max(x1 - x0, y1 - y0)
    return x0 + margin, x1 - margin, y0 + margin, y1 - margin


def _flow_ends(layout: MapLayout, providers: pd.DataFrame,
               inset: tuple[float, float, float, float]) -> dict[str, tuple[float, float]]:
    """Where a line to each provider ends: the provider, or for one beyond the frame the
    point on the frame's edge in its direction from the centre."""
    cx, cy = layout.centre
    x0, x1, y0, y1 = inset
    ends = {}
    for pid, x, y in zip(providers["id"], providers["x"], providers["y"], strict=True):
        if x0 <= x <= x1 and y0 <= y <= y1:
            ends[pid] = (float(x), float(y))
            continue
        dx, dy = x - cx, y - cy
        t = min((x1 - cx) / dx if dx > 0 else (x0 - cx) / dx if dx < 0 else math.inf,
                (y1 - cy) / dy if dy > 0 else (y0 - cy) / dy if dy < 0 else math.inf)
        ends[pid] = (cx + t * dx, cy + t * dy)
    return ends


def _draw_zones(ax: Axes, layout: MapLayout, norm: Normalize) -> None:
    """Outlined zones shaded by demand; zones without an outline as circles by demand."""
    zones = layout.zones
    cmap = colormaps["Blues"]
    for zone, pupils in zip(zones["id"], zones["pupils"], strict=True):
        if zone in layout.outlines:
            ax.add_patch(PathPatch(layout.outlines[zone], facecolor=cmap(0.08 + 0.6 * norm(
                pupils)), edgecolor="white", linewidth=0.7, zorder=1))
    circles = zones[~zones["id"].isin(layout.outlines.keys())]
    ax.scatter(circles["x"], circles["y"], s=_zone_size(circles["pupils"], norm.vmax),
               color=ZONE_COLOUR, edgecolor=ZONE_EDGE, linewidth=0.7, alpha=0.55, zorder=2)


def _zone_size(pupils: pd.Series, largest: float) -> np.ndarray:
    return 20 + 420 * pupils.to_numpy(float) / max(largest, 1e-9)


def _draw_flows(ax: Axes, layout: MapLayout, flows: pd.DataFrame,
                ends: dict[str, tuple[float, float]], widest: float) -> None:
    zones = layout.zones.set_index("id")
    for zone, provider, pupils in flows[["zone_id", "provider_id", "pupils"]].itertuples(
            index=False):
        if zone in zones.index and provider in ends:
            (x, y) = ends[provider]
            ax.plot([zones.at[zone, "x"], x], [zones.at[zone, "y"], y], color=FLOW_COLOUR,
                    alpha=0.5, solid_capstyle="round", linewidth=0.7 + 6 * pupils / widest,
                    zorder=3)


def _draw_providers(ax: Axes, providers: pd.DataFrame) -> None:
    for (kind, in_area), group in providers.groupby(["type", "in_area"]):
        ax.scatter(group["x"], group["y"], s=22 if in_area == "yes" else 30,
                   marker="o" if in_area == "yes" else "s",
                   color="#" + rp.type_colour(kind, in_area), edgecolor="white",
                   linewidth=0.5, zorder=4)


def _draw_edge_markers(ax: Axes, layout: MapLayout, edge: pd.DataFrame,
                       ends: dict[str, tuple[float, float]]) -> list[Bbox]:
    """A triangle on the frame's edge pointing towards each distant provider."""
    cx, cy = layout.centre
    boxes = []
    for pid, kind, x, y in zip(edge["id"], edge["type"], edge["x"], edge["y"], strict=True):
        ex, ey = ends[pid]
        angle = math.degrees(math.atan2(y - cy, x - cx)) - 90
        ax.scatter([ex], [ey], s=95, marker=(3, 0, angle),
                   color="#" + rp.type_colour(kind, "no"), edgecolor="white", linewidth=0.6,
                   zorder=5)
        boxes.append(_marker_box(ax, ex, ey, 6))
    return boxes


def _marker_box(ax: Axes, x: float, y: float, half_points: float) -> Bbox:
    px, py = ax.transData.transform((x, y))
    half = half_points * ax.figure.dpi / 72
    return Bbox.from_extents(px - half, py - half, px + half, py + half)


def _scale_bar(ax: Axes, avoid: np.ndarray) -> Bbox:
    """A bar of a round number of km, about a fifth of the map's width, in the corner
    with the fewest of the `avoid` points (what is drawn: places, flows, edge markers);
    returns the box it takes, which labels must keep clear of."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    length = min((m * 10 ** e for e in range(-1, 4) for m in (1, 2, 5)),
                 key=lambda v: abs(math.log(v / target)))
    left, right = x0 + 0.04 * (x1 - x0), x1 - 0.04 * (x1 - x0) - length
    bottom, top = y0 + 0.035 * (y1 - y0), y1 - 0.08 * (y1 - y0)
    tall = 0.07 * (y1 - y0)

    def crowding(corner: tuple[float, float]) -> int:
        x, y = corner
        inside = ((avoid[:, 0] >= x - 0.02 * (x1 - x0)) & (avoid[:, 0] <= x + length * 1.1)
                  & (avoid[:, 1] >= y - tall / 2) & (avoid[:, 1] <= y + tall))
        return int(inside.sum())

    x, y = min(((left, bottom), (right, bottom), (left, top), (right, top)), key=crowding)
    ax.plot([x, x + length], [y, y], color="black", linewidth=2.5, zorder=7)
    text = ax.annotate(f"{length:g} km", (x + length / 2, y), xytext=(0, 3),
                       textcoords="offset points", ha="center", va="bottom", fontsize=SMALLEST,
                       zorder=7, path_effects=HALO)
    renderer = ax.figure.canvas.get_renderer()
    bar = Bbox.from_extents(*ax.transData.transform((x, y)),
                            *ax.transData.transform((x + length, y)))
    return Bbox.union([text.get_window_extent(renderer), bar]).padded(3)


def _drawn_points(layout: MapLayout, drawn: pd.DataFrame, flows: pd.DataFrame,
                  ends: dict[str, tuple[float, float]]) -> np.ndarray:
    """Points along everything drawn on a panel: zones, providers, and the flows."""
    zones = layout.zones.set_index("id")
    points = [layout.zones[["x", "y"]].to_numpy(), np.array(list(ends.values())).reshape(-1, 2)]
    steps = np.linspace(0, 1, 25)[:, None]
    for zone, provider in zip(flows["zone_id"], flows["provider_id"], strict=True):
        if zone in zones.index and provider in ends:
            start = zones.loc[zone, ["x", "y"]].to_numpy(float)
            points.append(start + steps * (np.asarray(ends[provider]) - start))
    points.append(drawn[["x", "y"]].to_numpy(float))
    return np.vstack(points)


def _labels(layout: MapLayout, drawn: pd.DataFrame, edge: pd.DataFrame,
            ends: dict[str, tuple[float, float]]) -> list[Label]:
    """Provider letters first (fewer, and what the map is about), then zone numbers."""
    labels = []
    cx, cy = layout.centre
    lettered = drawn[drawn["letter"] != ""]
    for pid, letter in zip(lettered["id"], lettered["letter"], strict=True):
        x, y = ends[pid]
        if pid in set(edge["id"]):  # on the edge: the label looks back into the map
            inward = (cx - x, cy - y)
            offsets = tuple(sorted(around(), key=lambda o: -(o[0] * inward[0]
                                                             + o[1] * inward[1])
                                   / math.hypot(*o)))
            labels.append(Label(letter, x, y, offsets, 9.0, bold=True))
        elif layout.inside(x, y):
            labels.append(Label(letter, x, y, around(), 9.0, bold=True))
    for number, x, y in layout.zones.loc[layout.zones["number"] > 0,
                                         ["number", "x", "y"]].itertuples(index=False):
        labels.append(Label(str(number), x, y, around([(0.0, 0.0)]), SMALLEST))
    return labels


# --- The legend -------------------------------------------------------------------


def _legend(layout: MapLayout, widest: float) -> list[Line2D]:
    providers = layout.providers
    groups = sorted({(t, a) for t, a in zip(providers["type"], providers["in_area"],
                                            strict=True)}, key=lambda g: rp.type_order(*g))
    handles = [Line2D([], [], linestyle="", marker="o" if a == "yes" else "s", markersize=5.5,
                      color="#" + rp.type_colour(t, a), label=rp.type_label(t, a))
               for t, a in groups]
    if len(layout.outlines) < len(layout.zones):
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=10,
                              color=ZONE_COLOUR, markeredgecolor=ZONE_EDGE,
                              label="home zone (area: pupils)"))
    handles += [
        Line2D([], [], linestyle="", marker=(3, 0, 0), markersize=8, color="#777777",
               label="provider beyond the map, in this direction"),
        Line2D([], [], linestyle="", marker="*", markersize=11, color=STAR_COLOUR,
               markeredgecolor="black", label="option built in the plan"),
        Line2D([], [], color=FLOW_COLOUR, alpha=0.5, linewidth=0.7 + 6,
               label=f"{widest:,.0f} pupils to an out-of-area provider"),
    ]
    return handles
