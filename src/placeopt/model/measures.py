"""The Inclusion sheet compiled: measures, the groups each can divert, and where to.

A measure m diverts new demand of the groups that match it (its needs, phases and zones,
provision level `from_provision`) to their partner groups g' = (zone, need, phase,
`to_provision`), whose arcs the diverted pupils then travel (SPEC §2 item 8). A partner
group that has no demand of its own is added here with zero demand, so that it has
arcs. New demand is a group's demand less its current placements still in place: a
measure reaches no one already placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..workbook.cells import ALL
from ..workbook.inputs import Inputs

GROUP_KEY = ["zone_id", "need", "phase", "provision"]
TINY = 1e-9  # new demand below this diverts nobody
COLUMNS = ["measure_id", "name", "needs", "phases", "zones", "from_provision", "to_provision",
           "share", "share_low", "share_high", "annual_cost", "cost_per_pupil",
           "capital_cost", "capex", "earliest", "latest", "ramp", "required", "enabled",
           "funding", "_row"]


@dataclass(frozen=True)
class Measures:
    """The measures as arrays. Index conventions: m measure (a row of `table`), g group,
    k year index. `cells` holds every (measure, group, year) where pupils may be
    diverted: the group has new demand, the partner has an arc, and the measure could be
    running (its window has begun)."""

    table: pd.DataFrame  # COLUMNS; capex with optimism bias, funding as stream indices
    window: np.ndarray  # (M, T) may start in year k (enabled, earliest <= year <= latest)
    new_demand: np.ndarray  # (G, T) N[g, k]: demand less current placements still there
    cells: pd.DataFrame  # measure, group, partner, year

    def __len__(self) -> int:
        return len(self.table)

    def receives(self, shape: tuple[int, int]) -> np.ndarray:
        """(G, T): may the group be sent diverted pupils in that year?"""
        result = np.zeros(shape, dtype=bool)
        result[self.cells["partner"].to_numpy(int), self.cells["year"].to_numpy(int)] = True
        return result


def measure_table(inputs: Inputs, years: np.ndarray, funding_index: Any) -> pd.DataFrame:
    """The Inclusion sheet's measures with their defaults resolved; `funding_index` turns
    a funding list into stream indices (`CapitalStreams.index`)."""
    table = inputs.tables.get("Inclusion")
    if table is None or table.empty:
        return pd.DataFrame(columns=COLUMNS)
    bias = 1 + float(inputs.params["optimism_bias"])
    share = table["share"].astype(float)
    measures = table.assign(
        share=share,
        share_low=table["share_low"].astype(float).fillna(share),
        share_high=table["share_high"].astype(float).fillna(share),
        annual_cost=table["annual_cost"].astype(float).fillna(0.0),
        cost_per_pupil=table["cost_per_pupil"].astype(float).fillna(0.0),
        capital_cost=table["capital_cost"].astype(float).fillna(0.0),
        earliest=table["earliest_year"].fillna(years[0]).astype(int),
        latest=table["latest_year"].fillna(years[-1]).astype(int),
        ramp=table["ramp_years"].fillna(1).astype(int),
        required=table["required"].astype(bool),
        enabled=table["enabled"].astype(bool),
        funding=[funding_index(f) for f in table["funding"]],
    )
    measures["capex"] = measures["capital_cost"] * bias
    return measures[COLUMNS].reset_index(drop=True)


def start_window(table: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """(M, T): the years each enabled measure may start in."""
    if table.empty:
        return np.zeros((0, len(years)), dtype=bool)
    earliest = table["earliest"].to_numpy(int)[:, None]
    latest = table["latest"].to_numpy(int)[:, None]
    return table["enabled"].to_numpy(bool)[:, None] & (years[None, :] >= earliest) & (
        years[None, :] <= latest)


def with_partner_groups(table: pd.DataFrame, window: np.ndarray, groups: pd.DataFrame,
                        demand: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Groups and demand with every partner group a measure may send pupils to (zero
    demand where the workbook has none), and the pairs: measure, group, partner."""
    columns = ["measure", "group", "partner"]
    if table.empty:
        return groups, demand, pd.DataFrame(columns=columns, dtype=int)
    index = {tuple(key): g for g, key in enumerate(groups[GROUP_KEY].itertuples(
        index=False, name=None))}
    added: list[tuple[str, str, str, str]] = []
    pairs = []
    for m, measure in table.iterrows():
        if not window[m].any():
            continue  # disabled, or its window misses the horizon: no columns at all
        for g in np.flatnonzero(_matches(measure, groups)):
            zone, need, phase, _ = groups.loc[g, GROUP_KEY]
            key = (zone, need, phase, measure["to_provision"])
            if key not in index:
                index[key] = len(groups) + len(added)
                added.append(key)
            pairs.append((m, g, index[key]))
    if added:
        groups = pd.concat([groups, pd.DataFrame(added, columns=GROUP_KEY)],
                           ignore_index=True)
        demand = np.vstack([demand, np.zeros((len(added), demand.shape[1]))])
    return groups, demand, pd.DataFrame(pairs, columns=columns, dtype=int)


def _matches(measure: pd.Series, groups: pd.DataFrame) -> np.ndarray:
    """(G,) the groups whose demand the measure can divert."""
    match = (groups["provision"] == measure["from_provision"]).to_numpy(copy=True)
    for column, listed in (("need", "needs"), ("phase", "phases"), ("zone_id", "zones")):
        items = measure[listed]
        if items != ALL and items is not None:
            match &= groups[column].isin(list(items)).to_numpy()
    return match


def compile_measures(table: pd.DataFrame, window: np.ndarray, pairs: pd.DataFrame,
                     demand: np.ndarray, held: np.ndarray, group_of_arc: np.ndarray
                     ) -> Measures:
    """The measures of an instance: new demand N = D - current placements that must stay
    (`held`, (A, T) per arc), and the cells where pupils may be diverted."""
    placed = np.zeros_like(demand)
    np.add.at(placed, group_of_arc, held)
    new_demand = np.maximum(0.0, demand - placed)
    has_arc = np.zeros(len(demand), dtype=bool)
    has_arc[group_of_arc] = True
    started = np.cumsum(window, axis=1) > 0  # the measure may be running by year k
    cells = []
    for m, g, partner in pairs.itertuples(index=False, name=None):
        if not has_arc[partner]:
            continue  # diverted pupils would have nowhere to go
        for k in np.flatnonzero(started[m] & (new_demand[g] > TINY)):
            cells.append((m, g, partner, k))
    frame = pd.DataFrame(cells, columns=["measure", "group", "partner", "year"], dtype=int)
    return Measures(table, window, new_demand, frame.sort_values(
        ["measure", "group", "year"], ignore_index=True))


def no_measures(n_groups: int = 0, n_years: int = 0) -> Measures:
    return Measures(pd.DataFrame(columns=COLUMNS), np.zeros((0, n_years), dtype=bool),
                    np.zeros((n_groups, n_years)),
                    pd.DataFrame(columns=["measure", "group", "partner", "year"], dtype=int))
