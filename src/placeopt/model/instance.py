"""Compile validated inputs into an instance: arrays over groups, providers, arcs, years.

This is where the tables become the sets and data of SPEC §2. Arcs are the allowed
(group, provider) pairs: the provider's type suits the group's provision level, it serves
the group's need and phase, and it is residential or within the journey limit. The model
is then built over arcs only, never over zones x providers x years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..problems import Problems
from ..workbook.cells import ALL
from ..workbook.inputs import Inputs
from ..workbook.schema import CAPITAL, PHASES, is_capital_stream
from .current import UnknownJourneys, current_placements
from .journeys import Journeys, TravelParameters, journeys
from .measures import (
    GROUP_KEY,
    Measures,
    compile_measures,
    measure_table,
    no_measures,
    start_window,
    with_partner_groups,
)

NO_ARC = "no suitable provider in reach"


@dataclass(frozen=True)
class CapitalStreams:
    """The capital streams of the Budget sheet (SPEC §1): the general pot `capital` first,
    then each ring-fenced `capital:NAME`; an option's `funding` lists which it may use."""

    names: tuple[str, ...]
    money: np.ndarray  # (F, T) capital arriving in each stream each year
    limited: np.ndarray  # (F,) has Budget rows; a stream without rows has no limit

    def index(self, funding: Any) -> tuple[int, ...]:
        """Stream indices of an option's funding list (ALL: every stream)."""
        if funding == ALL:
            return tuple(range(len(self.names)))
        return tuple(self.names.index(name) for name in funding)


@dataclass(frozen=True)
class Instance:
    """The data of one model, as arrays. Index conventions: g group, s provider, a arc,
    e option, k year index (0 = first planning year)."""

    params: dict[str, Any]
    years: np.ndarray  # (T,) calendar years
    discount: np.ndarray  # (T,) delta_k = (1 + r)^-k
    zones: pd.DataFrame  # zone_id, name, latitude, longitude (for maps)
    groups: pd.DataFrame  # zone_id, need, phase, provision
    demand: np.ndarray  # (G, T) pupils
    providers: pd.DataFrame  # provider_id, name, type, in_area, residential, cost, capacity,
    #                          new_site, la, urn, latitude, longitude
    arcs: pd.DataFrame  # group, provider, minutes, distance_km, placement_cost, transport_cost
    current: np.ndarray  # (A, T) current placements still in place on each arc (run-off)
    forced: np.ndarray  # (A,) arcs kept only for current pupils the rules would not place now
    options: pd.DataFrame  # option_id, name, provider, places, capex, earliest, latest, ramp,
    #                        group, required, enabled, new_site, funding (stream indices)
    limits: pd.DataFrame  # provider, need, phase, places, arcs (array of arc indices),
    #                       over_roll ((T,) places held by current pupils above `places`)
    over_roll: np.ndarray  # (S, T) places held by current pupils above a provider's capacity
    reached: np.ndarray  # (S,) does any group have an allowed arc to it (before pruning)?
    revenue_budget: np.ndarray  # (T,) pounds, NaN where the year has no revenue limit
    capital: CapitalStreams  # capital money by stream and year
    dominated_arcs: int = 0  # allowed arcs left out because another is never worse
    measures: Measures = field(default_factory=no_measures)  # the Inclusion sheet's

    @property
    def placeable(self) -> np.ndarray:
        """(G, T): may pupils of the group need a place that year? When it has demand, or
        when a measure may send it diverted pupils."""
        return (self.demand > 0) | self.measures.receives(self.demand.shape)

    @property
    def n_years(self) -> int:
        return len(self.years)

    @property
    def lock(self) -> np.ndarray:
        """(A, T) pupils who must stay on each arc: the current placements, unless
        `allow_moves` (then nobody must stay, and the array is zero)."""
        return np.zeros_like(self.current) if self.params["allow_moves"] else self.current

    def capex_charge(self, capex: np.ndarray | None = None) -> np.ndarray:
        """K(e, k): the objective's capital charge of opening option e in year k (SPEC §2);
        of anything else with capital costs `capex` (an inclusion measure's, K(m, k))."""
        capex = self.options["capex"].to_numpy(float) if capex is None else capex
        if self.params["capital_treatment"] == "upfront":
            return capex[:, None] * self.discount[None, :]
        # Opening in year k pays the annuity in years k..k+L-1 that fall in the horizon:
        # tail[k] - tail[k+L] sums delta over them (tail[j] = sum of delta from j on).
        life = int(self.params["asset_life_years"])
        tail = np.concatenate([np.cumsum(self.discount[::-1])[::-1], [0.0]])
        k = np.arange(self.n_years)
        paid = tail[k] - tail[np.minimum(k + life, self.n_years)]
        return self._annuity(capex)[:, None] * paid[None, :]

    def capital_payments(self, opened: np.ndarray, capex: np.ndarray | None = None
                         ) -> np.ndarray:
        """(T,) the capital charge of the options opened ((E, T) 0/1), year by year in
        that year's money, as the objective counts it: the whole capex in the opening year
        (`upfront`), or the annuity in each year of the asset's life inside the horizon.
        Discounted and summed, it is sum K(e, t_e) over the options opened. (`capex`: of
        other capital, e.g. inclusion measures started, (M, T).)"""
        capex = self.options["capex"].to_numpy(float) if capex is None else capex
        if not len(capex):
            return np.zeros(self.n_years)
        if self.params["capital_treatment"] == "upfront":
            return capex @ opened
        life = int(self.params["asset_life_years"])
        # An opening in year tau pays in years tau..tau+L-1: a running sum of openings.
        started = np.cumsum(opened, axis=1)
        ended = np.zeros_like(started)
        ended[:, life:] = started[:, :-life] if life < self.n_years else 0.0
        return self._annuity(capex) @ (started - ended)

    def _annuity(self, capex: np.ndarray) -> np.ndarray:
        """A(e) = capex r / ((1 + r)(1 - (1 + r)^-L)), or capex / L when r = 0: an
        annuity-due (paid from the opening year), so the L payments discounted to the
        opening year are worth exactly capex, as under `upfront`."""
        rate, life = float(self.params["discount_rate"]), int(self.params["asset_life_years"])
        if rate == 0:
            return capex / life
        return capex * rate / ((1 + rate) * (1 - (1 + rate) ** -life))


def compile_instance(inputs: Inputs, residential_k: int | None = None,
                     prune_dominated: bool = True) -> Instance:
    """Validated inputs -> Instance; raises InputError for what only shows up here.

    `residential_k` (off by default, so the model is exact) keeps, for each group, only
    the k cheapest residential providers that are beyond its journey limit: at national
    scale every group can otherwise reach every residential school in the country.
    """
    problems = Problems()
    params = inputs.params
    years = np.array(inputs.years)
    discount = (1 + float(params["discount_rate"])) ** -np.arange(len(years), dtype=float)
    groups, demand = _groups_and_demand(inputs, years)
    providers = _providers(inputs)
    revenue, capital = _budgets(inputs, years)
    options = _options(inputs, providers, years, capital)
    measures = measure_table(inputs, years, capital.index)
    window = start_window(measures, years)
    groups, demand, diverted = with_partner_groups(measures, window, groups, demand)
    matrix = _journey_matrix(inputs, providers)
    unknown = UnknownJourneys()
    arcs = _arcs(inputs, groups, providers, matrix, unknown)
    if residential_k is not None:
        arcs = _cheapest_residential(inputs.params, groups, providers, arcs, residential_k)
    arcs, current, forced = current_placements(inputs, groups, providers, arcs, demand,
                                                matrix, problems, unknown)
    unknown.report(inputs, providers, problems)
    problems.raise_if_errors()
    reached = np.zeros(len(providers), dtype=bool)
    reached[arcs["provider"].to_numpy(int)] = True
    pruned = 0
    if prune_dominated:  # exact (see `_prune_dominated`); off only for the tests' reference
        arcs, current, forced, pruned = _prune_dominated(inputs, providers, arcs, current,
                                                         forced, revenue)
    held = np.zeros_like(current) if params["allow_moves"] else current
    limits = _limits(inputs, groups, providers, arcs, held)
    over_roll = _over_roll(providers, arcs, held)
    inclusion = compile_measures(measures, window, diverted, demand, held,
                                 arcs["group"].to_numpy(int))
    inputs.warnings.extend(p for p in problems.warnings if p not in inputs.warnings)
    zones = inputs.tables["Zones"][["zone_id", "name", "latitude", "longitude"]]
    return Instance(params=dict(params), years=years, discount=discount, zones=zones,
                    groups=groups, demand=demand, providers=providers, arcs=arcs,
                    current=current, forced=forced, options=options, limits=limits,
                    over_roll=over_roll, reached=reached, revenue_budget=revenue,
                    capital=capital, dominated_arcs=pruned, measures=inclusion)


def _groups_and_demand(inputs: Inputs, years: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    table = inputs.tables["Demand"]
    wide = table.pivot_table(index=GROUP_KEY, columns="year", values="pupils", aggfunc="sum",
                             sort=False).reindex(columns=years)
    groups = wide.index.to_frame(index=False)
    return groups, wide.fillna(0.0).to_numpy(float)


def _travel_parameters(params: dict[str, Any]) -> TravelParameters:
    return TravelParameters(
        road_circuity=float(params["road_circuity"]),
        road_speed_kmh=float(params["road_speed_kmh"]),
        transport_base_cost=float(params["transport_base_cost"]),
        transport_cost_per_km=float(params["transport_cost_per_km"]),
        school_days=int(params["school_days"]),
        residential_trips_per_year=int(params["residential_trips_per_year"]),
    )


def _providers(inputs: Inputs) -> pd.DataFrame:
    """Existing providers, then one new provider per enabled new-site option."""
    columns = ["provider_id", "name", "type", "in_area", "residential", "needs", "phases",
               "max_travel_minutes", "latitude", "longitude", "la", "urn"]
    existing = inputs.tables["Providers"][columns + ["capacity", "annual_cost_per_place"]]
    existing = existing.assign(new_site=False)
    options = inputs.tables.get("Expansions")
    frames = [existing]
    if options is not None and not options.empty:
        sites = options[options["provider_id"].isna() & options["enabled"].astype(bool)]
        if not sites.empty:
            sites = sites.assign(provider_id=sites["option_id"], capacity=0.0, la=None,
                                 urn=None, new_site=True)
            frames.append(sites[columns + ["capacity", "annual_cost_per_place", "new_site"]])
    providers = pd.concat(frames, ignore_index=True)
    providers = providers.rename(columns={"annual_cost_per_place": "cost"})
    providers["capacity"] = providers["capacity"].astype(float).fillna(np.inf)
    providers["cost"] = providers["cost"].astype(float)
    return providers


def _options(inputs: Inputs, providers: pd.DataFrame, years: np.ndarray,
             capital: CapitalStreams) -> pd.DataFrame:
    table = inputs.tables.get("Expansions")
    columns = ["option_id", "name", "provider", "places", "capex", "earliest", "latest", "ramp",
               "group", "required", "enabled", "new_site", "capital_cost", "funding"]
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    index = {pid: i for i, pid in enumerate(providers["provider_id"])}
    options = table.assign(
        new_site=table["provider_id"].isna(),
        provider=[index.get(p if isinstance(p, str) else o, -1)
                  for p, o in zip(table["provider_id"], table["option_id"], strict=True)],
        capex=table["capital_cost"].astype(float) * (1 + float(inputs.params["optimism_bias"])),
        earliest=table["earliest_year"].fillna(years[0]).astype(int),
        latest=table["latest_year"].fillna(years[-1]).astype(int),
        ramp=table["ramp_years"].fillna(1).astype(int),
        required=table["required"].astype(bool),
        enabled=table["enabled"].astype(bool),
        places=table["places"].astype(float),
        funding=[capital.index(f) for f in table["funding"]],
    )
    return options[columns].reset_index(drop=True)


def _served(values: pd.Series, universe: list[str]) -> np.ndarray:
    """Boolean (len(universe), n): does each row's list (or ALL) include each value?"""
    result = np.zeros((len(universe), len(values)), dtype=bool)
    position = {v: i for i, v in enumerate(universe)}
    for j, items in enumerate(values):
        if items == ALL or items is None:
            result[:, j] = True
        else:
            for item in items:
                if item in position:
                    result[position[item], j] = True
    return result


def _journey_matrix(inputs: Inputs, providers: pd.DataFrame) -> Journeys:
    """Zone x provider journeys (rows in Zones order), TravelMatrix overrides applied."""
    zones = inputs.tables["Zones"].reset_index(drop=True)
    zone_index = {z: i for i, z in enumerate(zones["zone_id"])}
    return journeys(zones["latitude"].to_numpy(float), zones["longitude"].to_numpy(float),
                    providers["latitude"].to_numpy(float),
                    providers["longitude"].to_numpy(float),
                    providers["residential"].to_numpy(bool), _travel_parameters(inputs.params),
                    _override_rows(inputs, zone_index, providers))


def _arcs(inputs: Inputs, groups: pd.DataFrame, providers: pd.DataFrame, matrix: Journeys,
          unknown: UnknownJourneys) -> pd.DataFrame:
    params = inputs.params
    zones = inputs.tables["Zones"].reset_index(drop=True)
    zone_index = {z: i for i, z in enumerate(zones["zone_id"])}
    needs = list(inputs.needs)
    need_ok = _served(providers["needs"], needs)
    phase_ok = _served(providers["phases"], list(PHASES))
    levels = inputs.suitability
    types = providers["type"].to_numpy()
    residential = providers["residential"].to_numpy(bool)
    own_limit = providers["max_travel_minutes"].astype(float).to_numpy()
    frames = []
    keyed = groups.assign(z=groups["zone_id"].map(zone_index))
    for (need, phase, provision), members in keyed.groupby(["need", "phase", "provision"],
                                                           sort=False):
        eligible = (need_ok[needs.index(need)] & phase_ok[PHASES.index(phase)]
                    & np.isin(types, levels[provision]))
        columns = np.flatnonzero(eligible)
        if columns.size == 0:
            continue
        limit = np.where(np.isnan(own_limit[columns]),
                         float(params[f"max_travel_minutes_{phase}"]), own_limit[columns])
        z = members["z"].to_numpy()
        minutes = matrix.minutes[np.ix_(z, columns)]
        no_minutes = np.isnan(minutes) & ~residential[columns][None, :]
        for i, j in zip(*np.nonzero(no_minutes), strict=True):
            unknown.minutes.add((int(z[i]), int(columns[j])))
        allowed = (minutes <= limit[None, :]) | residential[columns][None, :]
        rows, cols = np.nonzero(allowed)
        zz, ss = z[rows], columns[cols]
        frames.append(pd.DataFrame({
            "group": members.index.to_numpy()[rows],
            "provider": ss,
            "minutes": matrix.minutes[zz, ss],
            "distance_km": matrix.distance_km[zz, ss],
            "transport_cost": matrix.transport_cost[zz, ss],
        }))
    arcs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["group", "provider", "minutes", "distance_km", "transport_cost"])
    arcs = arcs.astype({"group": int, "provider": int})
    arcs["placement_cost"] = providers["cost"].to_numpy()[arcs["provider"].to_numpy()]
    nan_cost = arcs["transport_cost"].isna()  # residential, no location, no TravelMatrix cost
    zone_of_group = groups["zone_id"].map(zone_index).to_numpy()
    for g, s in arcs.loc[nan_cost, ["group", "provider"]].itertuples(index=False):
        unknown.cost.add((int(zone_of_group[g]), int(s)))
    return arcs.sort_values(["group", "provider"], ignore_index=True)


def _override_rows(inputs: Inputs, zone_index: dict[str, int],
                   providers: pd.DataFrame) -> pd.DataFrame | None:
    table = inputs.tables.get("TravelMatrix")
    if table is None or table.empty:
        return None
    provider_index = {p: i for i, p in enumerate(providers["provider_id"])}
    rows = table.assign(zone_row=table["zone_id"].map(zone_index),
                        provider_row=table["provider_id"].map(provider_index))
    rows = rows.dropna(subset=["zone_row", "provider_row"])  # e.g. a disabled new site
    return rows.astype({"zone_row": int, "provider_row": int})[
        ["zone_row", "provider_row", "minutes", "distance_km", "annual_transport_cost"]
    ].astype({"minutes": float, "distance_km": float, "annual_transport_cost": float})


def _cheapest_residential(params: dict[str, Any], groups: pd.DataFrame,
                          providers: pd.DataFrame, arcs: pd.DataFrame, k: int) -> pd.DataFrame:
    """Keep the k cheapest far residential arcs of each group, and every other arc."""
    phase = groups["phase"].to_numpy()[arcs["group"].to_numpy()]
    own = providers["max_travel_minutes"].astype(float).to_numpy()[arcs["provider"].to_numpy()]
    limit = np.where(np.isnan(own), [float(params[f"max_travel_minutes_{p}"]) for p in phase],
                     own)
    far = (providers["residential"].to_numpy(bool)[arcs["provider"].to_numpy()]
           & ~(arcs["minutes"].to_numpy(float) <= limit))
    rank = pd.Series(arc_unit_cost(params, arcs)).where(far).groupby(
        arcs["group"].to_numpy()).rank(method="first")
    keep = ~far | (rank.to_numpy() <= k)
    return arcs[keep].reset_index(drop=True)


def arc_unit_cost(params: dict[str, Any], arcs: pd.DataFrame) -> np.ndarray:
    """Objective cost of one pupil-year on each arc: c(s) + tau(z,s) + w m(z,s)."""
    minutes = np.nan_to_num(arcs["minutes"].to_numpy(float))
    return (arcs["placement_cost"].to_numpy(float) + arcs["transport_cost"].to_numpy(float)
            + float(params["value_of_travel_minute"]) * minutes)


def revenue_budget_binds(params: dict[str, Any]) -> bool:
    """Can the revenue budget change a plan? Not when it is off, nor when it is soft with
    no weight on overspend: overspending then costs nothing, so its rows could never bind
    (the formulation leaves them out; the overspend is still reported)."""
    limit = params["budget_limit"]
    return limit == "hard" or (limit == "soft" and float(params["overspend_weight"]) > 0)


def budget_unit_cost(params: dict[str, Any], arcs: pd.DataFrame) -> np.ndarray:
    """What the revenue budget pays per pupil-year on each arc."""
    cost = arcs["placement_cost"].to_numpy(float)
    if params["budget_covers"] == "placements_and_transport":
        cost = cost + arcs["transport_cost"].to_numpy(float)
    return cost


def _prune_dominated(inputs: Inputs, providers: pd.DataFrame, arcs: pd.DataFrame,
                     current: np.ndarray, forced: np.ndarray, revenue: np.ndarray
                     ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int]:
    """Leave out arcs that an optimal plan never needs.

    If a group can go to a provider with no capacity limit at all (blank capacity, no
    CapacityLimits row) at unit cost c* and budget cost b*, then any other arc of the
    group that costs >= c* and draws >= b* from the budget is dominated: moving its
    pupils to that provider never costs more, never spends more budget, and only frees
    capacity. Arcs holding current pupils are kept. The optimum, and so every result,
    is unchanged; the model shrinks (mostly arcs to dearer independent schools).
    """
    limited = set(inputs.tables["CapacityLimits"]["provider_id"]) \
        if "CapacityLimits" in inputs.tables else set()
    open_ended = (np.isinf(providers["capacity"].to_numpy(float))
                  & ~providers["provider_id"].isin(limited).to_numpy())
    provider = arcs["provider"].to_numpy()
    # An arc kept only for current pupils (x <= L) is bounded, so it dominates nothing.
    candidate = open_ended[provider] & ~forced
    if not candidate.any():
        return arcs, current, forced, 0
    cost = arc_unit_cost(inputs.params, arcs)
    budget_binds = revenue_budget_binds(inputs.params) and not np.isnan(revenue).all()
    budget = budget_unit_cost(inputs.params, arcs) if budget_binds else np.zeros(len(arcs))
    frame = pd.DataFrame({"group": arcs["group"].to_numpy(), "cost": cost, "budget": budget})
    best = frame[candidate].sort_values(["group", "cost", "budget"]).drop_duplicates("group")
    best_cost = np.full(int(frame["group"].max()) + 1, np.inf)
    best_budget = np.full_like(best_cost, np.inf)
    best_cost[best["group"].to_numpy()] = best["cost"].to_numpy()
    best_budget[best["group"].to_numpy()] = best["budget"].to_numpy()
    group = frame["group"].to_numpy()
    dominated = (cost >= best_cost[group]) & (budget >= best_budget[group])
    dominated[best.index.to_numpy()] = False
    dominated &= current.sum(axis=1) == 0
    keep = ~dominated
    return (arcs[keep].reset_index(drop=True), current[keep], forced[keep],
            int(dominated.sum()))


def _limits(inputs: Inputs, groups: pd.DataFrame, providers: pd.DataFrame,
            arcs: pd.DataFrame, held: np.ndarray) -> pd.DataFrame:
    """CapacityLimits rows over arcs; current pupils above a limit hold their places
    (`over_roll`, as for a provider's capacity: see `_over_roll`)."""
    table = inputs.tables.get("CapacityLimits")
    columns = ["provider", "need", "phase", "places", "arcs", "over_roll", "_row"]
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    provider_index = {p: i for i, p in enumerate(providers["provider_id"])}
    arc_need = groups["need"].to_numpy()[arcs["group"].to_numpy()]
    arc_phase = groups["phase"].to_numpy()[arcs["group"].to_numpy()]
    rows = []
    for record in table.to_dict("records"):
        s = provider_index[record["provider_id"]]
        mask = arcs["provider"].to_numpy() == s
        # Blank is all; pandas may hold a blank cell as None or NaN (a NaN matched no
        # arc, and the row limited nothing).
        need, phase = (v if isinstance(v, str) else None
                       for v in (record["need"], record["phase"]))
        if need is not None:
            mask &= arc_need == need
        if phase is not None:
            mask &= arc_phase == phase
        members = np.flatnonzero(mask)
        places = float(record["places"])
        rows.append({"provider": s, "need": need, "phase": phase,
                     "places": places, "arcs": members,
                     "over_roll": np.maximum(0.0, held[members].sum(axis=0) - places),
                     "_row": record["_row"]})
    return pd.DataFrame(rows, columns=columns)


def _over_roll(providers: pd.DataFrame, arcs: pd.DataFrame, held: np.ndarray) -> np.ndarray:
    """(S, T) places held by current pupils above a provider's capacity.

    Many special schools run over their number. Pupils who must stay cannot be moved, so
    a school whose current roll exceeds its places is full at that roll until they leave:
    in year t its capacity is cap + max(0, L_t - cap), L_t its current pupils still there.
    New places from an option add to the published capacity. Without this the model
    would be infeasible on data the planner cannot change.
    """
    n_providers, n_years = len(providers), held.shape[1]
    current = np.zeros((n_providers, n_years))
    np.add.at(current, arcs["provider"].to_numpy(int), held)
    capacity = providers["capacity"].to_numpy(float)[:, None]
    return np.where(np.isfinite(capacity), np.maximum(0.0, current - capacity), 0.0)


def _budgets(inputs: Inputs, years: np.ndarray) -> tuple[np.ndarray, CapitalStreams]:
    """The revenue budget of each year (the sum of its non-capital streams; NaN: no
    limit), and the capital streams: `capital`, then each ring-fenced one in sheet order."""
    table = inputs.tables.get("Budget")
    revenue = np.full(len(years), np.nan)
    if table is None or table.empty:
        return revenue, CapitalStreams((CAPITAL,), np.zeros((1, len(years))), np.zeros(1, bool))
    position = {int(y): k for k, y in enumerate(years)}
    is_capital = table["stream"].map(is_capital_stream).astype(bool)
    for year, amount in table.loc[~is_capital].groupby("year")["amount"].sum().items():
        revenue[position[int(year)]] = amount
    names = tuple(dict.fromkeys([CAPITAL, *table.loc[is_capital, "stream"]]))
    money = np.zeros((len(names), len(years)))
    limited = np.zeros(len(names), dtype=bool)
    rows = table.loc[is_capital]
    for (stream, year), amount in rows.groupby(["stream", "year"])["amount"].sum().items():
        money[names.index(stream), position[int(year)]] = amount
        limited[names.index(stream)] = True
    return revenue, CapitalStreams(names, money, limited)
