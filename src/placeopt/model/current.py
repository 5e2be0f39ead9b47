"""Pupils already placed (SPEC §1, CurrentPlacements): their run-off year by year, the
arcs that exist only for them (a placement the rules would not make now), and the
journeys that cannot be known because a location is missing, reported once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..problems import Problems
from ..workbook.inputs import Inputs
from ..workbook.schema import PHASE_LENGTH
from .journeys import Journeys
from .measures import GROUP_KEY


@dataclass
class UnknownJourneys:
    """Zone-provider pairs (rows of Zones, rows of providers) whose journey cannot be
    found: minutes for the journey limit, or the transport cost of an arc or of a
    current placement. Almost always one missing location lies behind many of them, so
    they are reported by that location, once (`report`)."""

    minutes: set[tuple[int, int]] = field(default_factory=set)
    cost: set[tuple[int, int]] = field(default_factory=set)

    def report(self, inputs: Inputs, providers: pd.DataFrame, problems: Problems) -> None:
        """One error per zone or provider whose missing location leaves journeys unknown,
        counting the pairs; for a pair whose ends both have a location (its TravelMatrix
        row lacks what cannot be computed), one error for the pair."""
        zones = inputs.tables["Zones"].reset_index(drop=True)
        no_zone = zones["latitude"].isna().to_numpy()
        no_site = providers["latitude"].isna().to_numpy()
        counts: dict[tuple[str, int], list[int]] = {}
        for kind, pairs in enumerate((self.minutes, self.cost - self.minutes)):
            for z, s in sorted(pairs):
                key = ("zone", z) if no_zone[z] else ("provider", s) if no_site[s] else (
                    "pair", z * len(providers) + s)
                counts.setdefault(key, [0, 0])[kind] += 1
        for (kind, index), (minutes, cost) in counts.items():
            if kind == "pair":
                z, s = divmod(index, len(providers))
                problems.error("TravelMatrix", f"no transport cost for zone "
                               f"{zones.at[z, 'zone_id']} to provider "
                               f"{providers.at[s, 'provider_id']}: give distance_km or "
                               "annual_transport_cost in its TravelMatrix row")
                continue
            if kind == "zone":
                where = inputs.source.cell("Zones", "latitude", zones.at[index, "_row"])
                what = f"zone {zones.at[index, 'zone_id']} has no location"
            else:
                sheet = "Expansions" if providers.at[index, "new_site"] else "Providers"
                where = (f"{inputs.source.titles.get(sheet, sheet)}: "
                         f"{providers.at[index, 'provider_id']}")
                what = f"provider {providers.at[index, 'provider_id']} has no location"
            parts = [f"the journey minutes of {minutes} zone-provider pair(s)"] if minutes \
                else []
            if cost:
                parts.append(f"the transport costs of {cost} {'more ' if minutes else ''}"
                             "pair(s) (residential or current placements)")
            problems.error(where, f"{what}, so {' and '.join(parts)} are unknown; give its "
                           "location, or TravelMatrix rows for those pairs (minutes, and "
                           "distance_km or annual_transport_cost)")


def current_placements(inputs: Inputs, groups: pd.DataFrame, providers: pd.DataFrame,
                        arcs: pd.DataFrame, demand: np.ndarray, matrix: Journeys,
                        problems: Problems, unknown: UnknownJourneys
                        ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Current pupils per arc and year, with their run-off (SPEC §1, CurrentPlacements),
    and which arcs exist only for them (a placement the rules would not make now)."""
    n_years = demand.shape[1]
    table = inputs.tables.get("CurrentPlacements")
    if table is None or table.empty:
        return arcs, np.zeros((len(arcs), n_years)), np.zeros(len(arcs), dtype=bool)
    group_index = {tuple(k): i for i, k in enumerate(groups[GROUP_KEY].itertuples(
        index=False, name=None))}
    provider_index = {p: i for i, p in enumerate(providers["provider_id"])}
    arc_index = {(g, s): a for a, (g, s) in enumerate(zip(arcs["group"], arcs["provider"],
                                                           strict=True))}
    k = np.arange(n_years, dtype=float)
    extra_arcs: list[dict[str, Any]] = []
    entries: list[tuple[int, np.ndarray]] = []
    for record in table.to_dict("records"):
        g = group_index[tuple(record[c] for c in GROUP_KEY)]
        s = provider_index[record["provider_id"]]
        if record["years_remaining"] is not None and not pd.isna(record["years_remaining"]):
            stay = np.where(k < int(record["years_remaining"]), 1.0, 0.0)
        else:
            stay = np.maximum(0.0, 1 - k / PHASE_LENGTH[record["phase"]])
        a = arc_index.get((g, s))
        if a is None:
            a = len(arcs) + len(extra_arcs)
            arc_index[(g, s)] = a
            extra_arcs.append(_forced_arc(inputs, g, s, groups, providers, matrix, record,
                                          problems, unknown))
        entries.append((a, float(record["pupils"]) * stay))
    forced = np.zeros(len(arcs) + len(extra_arcs), dtype=bool)
    forced[len(arcs):] = True
    if extra_arcs:
        arcs = pd.concat([arcs, pd.DataFrame(extra_arcs)], ignore_index=True)
    lock = np.zeros((len(arcs), n_years))
    for a, amounts in entries:
        lock[a] += amounts
    _scale_locks_to_demand(inputs, arcs, lock, demand, groups, problems)
    if inputs.params["integer_placements"]:
        # Whole pupils only: a run-off of 3 x (1 - 1/5) = 2.4 keeps 2 pupils in place. An
        # integer x >= 2.4 would force 3 to stay, and make the model infeasible when the
        # group's demand is below 3.
        np.floor(lock + 1e-9, out=lock)
    return arcs, lock, forced


UNKNOWN_JOURNEY = "rows of CurrentPlacements whose journey is unknown"


def _forced_arc(inputs: Inputs, g: int, s: int, groups: pd.DataFrame, providers: pd.DataFrame,
                matrix: Journeys, record: dict[str, Any], problems: Problems,
                unknown: UnknownJourneys) -> dict[str, Any]:
    """A pupil already placed where the rules would not place them now stays there.

    The journey is the pair's entry of the journey matrix, so TravelMatrix overrides apply
    here as everywhere (SPEC §1: a value given there replaces the computed one). A
    journey that cannot be found follows from a missing location, reported once by
    `UnknownJourneys`: each such row is a consequence of it."""
    zones = inputs.tables["Zones"].reset_index(drop=True)
    z = int(np.flatnonzero(zones["zone_id"].to_numpy() == groups.at[g, "zone_id"])[0])
    where = inputs.source.cell("CurrentPlacements", "provider_id", record["_row"])
    if np.isnan(matrix.transport_cost[z, s]):
        unknown.cost.add((z, s))
        problems.error(where, f"current placement of {record['zone_id']} at "
                       f"{providers.at[s, 'provider_id']}: the journey is unknown",
                       family=UNKNOWN_JOURNEY)
    else:
        problems.warn(where, f"current placement of {record['pupils']:g} pupil(s) from "
                      f"{record['zone_id']} at {providers.at[s, 'provider_id']} is not one "
                      "the model would choose now (unsuitable or beyond the journey limit); "
                      "they may stay there while their placement lasts, and nobody else is "
                      "placed there from that zone")
    return {"group": g, "provider": s, "minutes": matrix.minutes[z, s],
            "distance_km": matrix.distance_km[z, s],
            "transport_cost": matrix.transport_cost[z, s],
            "placement_cost": providers.at[s, "cost"]}


def _scale_locks_to_demand(inputs: Inputs, arcs: pd.DataFrame, lock: np.ndarray,
                           demand: np.ndarray, groups: pd.DataFrame, problems: Problems) -> None:
    group_of_arc = arcs["group"].to_numpy()
    placed = np.zeros_like(demand)
    np.add.at(placed, group_of_arc, lock)
    over = placed > demand + 1e-9
    if not over.any():
        return
    factor = np.where(over, demand / np.where(placed > 0, placed, 1), 1.0)
    lock *= factor[group_of_arc]
    for g, k in zip(*np.nonzero(over), strict=True):
        key = "/".join(map(str, groups.loc[g, GROUP_KEY]))
        problems.warn("CurrentPlacements", f"{key}: current placements ({placed[g, k]:.3f}) "
                      f"exceed demand ({demand[g, k]:.3f}) in {inputs.years[k]}; scaled down "
                      "to the demand")
