"""The plain-language checks every command runs before a model is built (SPEC §3).

A registry of small checks on the compiled instance, each returning problems that carry
the numbers a planner needs: which demand cannot be met by any capacity in reach even
with every option built, which groups or providers are out of everyone's reach, which
options can never be used, where current pupils already exceed the places, and what a
hard budget or a committed project cannot pay for. A check that proves the model
infeasible is an error (the workbook must change); the rest are warnings.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..problems import Problem
from ..workbook.inputs import Inputs
from .formulation import budget_coefficients
from .instance import GROUP_KEY, Instance

Check = Callable[[Inputs, Instance], list[Problem]]


def plain_checks(inputs: Inputs, instance: Instance) -> list[Problem]:
    """Every check of the registry, in order."""
    return [problem for check in CHECKS for problem in check(inputs, instance)]


def _cell(inputs: Inputs, sheet: str, column: str, key: str, value: str) -> str:
    """The cell of `column` in the first row of `sheet` whose `key` is `value`."""
    table = inputs.tables.get(sheet)
    if table is None or "_row" not in table.columns:
        return sheet
    rows = table.loc[table[key] == value, "_row"]
    return inputs.source.cell(sheet, column, int(rows.iloc[0])) if len(rows) else sheet


def _demand_cell(inputs: Inputs, group: tuple[str, str, str, str]) -> str:
    table = inputs.tables["Demand"]
    match = np.ones(len(table), dtype=bool)
    for column, value in zip(GROUP_KEY, group, strict=True):
        match &= (table[column] == value).to_numpy()
    rows = table.loc[match, "_row"]
    return inputs.source.cell("Demand", "zone_id", int(rows.iloc[0])) if len(rows) else "Demand"


def _journey_limit(instance: Instance, phase: str) -> float:
    return float(instance.params[f"max_travel_minutes_{phase}"])


def unreachable_groups(inputs: Inputs, instance: Instance) -> list[Problem]:
    """A group with demand and no suitable provider in reach: it will be unmet."""
    has_arc = np.zeros(len(instance.groups), dtype=bool)
    has_arc[instance.arcs["group"].to_numpy()] = True
    problems = []
    for g in np.flatnonzero(~has_arc & (instance.demand.sum(axis=1) > 0)):
        group = tuple(instance.groups.loc[g, GROUP_KEY])
        zone, need, phase, provision = group
        problems.append(Problem(
            "warning", _demand_cell(inputs, group),
            f"{need} {phase} ({provision}) demand from zone {zone} "
            f"({instance.demand[g].max():.1f} pupils at most) has no suitable provider within "
            f"{_journey_limit(instance, phase):g} minutes, nor a residential one: it will "
            "be unmet"))
    return problems


def capacity_in_reach(inputs: Inputs, instance: Instance) -> list[Problem]:
    """Demand of a need and phase above every place it can reach, all options built."""
    arcs, groups, providers = instance.arcs, instance.groups, instance.providers
    options = instance.options
    extra = np.zeros(len(providers))
    if len(options):
        usable = options["enabled"].to_numpy(bool) & (options["provider"].to_numpy(int) >= 0)
        np.add.at(extra, options["provider"].to_numpy(int)[usable],
                  options["places"].to_numpy(float)[usable])
    most = providers["capacity"].to_numpy(float) + extra
    problems = []
    keyed = groups.assign(g=np.arange(len(groups)))
    for (need, phase), members in keyed.groupby(["need", "phase"], sort=False):
        g = members["g"].to_numpy()
        reach = np.unique(arcs.loc[arcs["group"].isin(g), "provider"].to_numpy())
        if not len(reach) or np.isinf(most[reach]).any():
            continue
        places = most[reach].sum()
        demand = instance.demand[g].sum(axis=0)
        short = np.flatnonzero(demand > places + 1e-9)
        if len(short):
            k = short[0]
            problems.append(Problem(
                "warning", "Demand",
                f"{need} {phase} demand in {instance.years[k]} ({demand[k]:.0f} pupils) exceeds "
                f"all capacity within {_journey_limit(instance, phase):g} minutes of its zones "
                f"({places:.0f} places, shared with other needs and phases) even with every "
                "option built"))
    return problems


def unreachable_providers(inputs: Inputs, instance: Instance) -> list[Problem]:
    """A provider (or new site) that no demand group can use: its places go unused."""
    providers = instance.providers
    problems = []
    for s in np.flatnonzero(~instance.reached):
        pid = providers.at[s, "provider_id"]
        if providers.at[s, "new_site"]:
            where = _cell(inputs, "Expansions", "option_id", "option_id", pid)
            what = f"new site {pid} is in reach of no demand it can serve"
            consequence = "it would never be used, so it is never built"
        else:
            where = _cell(inputs, "Providers", "provider_id", "provider_id", pid)
            what = f"provider {pid} is in reach of no demand it can serve"
            consequence = "its places will be empty in every plan"
        problems.append(Problem(
            "warning", where, f"{what} (its type, needs, phases and the journey limits "
            f"leave no zone that can use it): {consequence}"))
    return problems


def options_never_open(inputs: Inputs, instance: Instance) -> list[Problem]:
    """An enabled option whose opening window misses the horizon, or that expands a
    provider nobody can reach."""
    options = instance.options
    if options.empty:
        return []
    first, last = int(instance.years[0]), int(instance.years[-1])
    reached = instance.reached
    problems = []
    for e in np.flatnonzero(options["enabled"].to_numpy(bool)):
        option = options.iloc[e]
        where = _cell(inputs, "Expansions", "option_id", "option_id", option["option_id"])
        if option["earliest"] > last or option["latest"] < first:
            continue  # reported when the workbook was read, with its cell
        s = int(option["provider"])
        if s >= 0 and not option["new_site"] and not reached[s]:
            problems.append(Problem(
                "warning", where,
                f"option {option['option_id']} expands {instance.providers.at[s, 'provider_id']}"
                ", which no demand can reach: it would never be used, so it is never built"))
    return problems


def current_pupils_above_capacity(inputs: Inputs, instance: Instance) -> list[Problem]:
    """Current pupils who must stay beyond a provider's places (or a CapacityLimits row):
    the school is full at that roll until they leave (see instance `_over_roll`)."""
    problems = []
    years = instance.years
    for s in np.flatnonzero(instance.over_roll.max(axis=1) > 1e-9):
        pid = instance.providers.at[s, "provider_id"]
        capacity = instance.providers.at[s, "capacity"]
        over = instance.over_roll[s]
        until = np.flatnonzero(over > 1e-9)
        span = (f"{years[until[0]]}" if len(until) == 1
                else f"{years[until[0]]}-{years[until[-1]]}")
        problems.append(Problem(
            "warning", _cell(inputs, "Providers", "capacity", "provider_id", pid),
            f"{pid} has {capacity + over[until[0]]:.1f} current pupils who must stay against "
            f"{capacity:g} places in {years[until[0]]}: treated as full at its current roll "
            f"({span}, until they leave); no new pupils go there until the roll is below "
            "its places or new places open"))
    for _, limit in instance.limits.iterrows():
        over = limit["over_roll"]
        if over.max() <= 1e-9:
            continue
        k = int(np.flatnonzero(over > 1e-9)[0])
        scope = "/".join(str(v) for v in (limit["need"], limit["phase"]) if v) or "all"
        problems.append(Problem(
            "warning", inputs.source.cell("CapacityLimits", "places", int(limit["_row"])),
            f"{instance.providers.at[int(limit['provider']), 'provider_id']} ({scope}) has "
            f"{limit['places'] + over[k]:.1f} current pupils who must stay against a limit "
            f"of {limit['places']:g} in {years[k]}: treated as full at that roll until they "
            "leave"))
    return problems


def hard_budget_below_current(inputs: Inputs, instance: Instance) -> list[Problem]:
    """A hard revenue budget below what the pupils who must stay already cost."""
    if instance.params["budget_limit"] != "hard":
        return []
    locked = budget_coefficients(instance) @ instance.lock
    problems = []
    for k in np.flatnonzero(~np.isnan(instance.revenue_budget)):
        if locked[k] > instance.revenue_budget[k] * (1 + 1e-9) + 1e-6:
            problems.append(Problem(
                "error", "Budget",
                f"the hard revenue budget for {instance.years[k]} "
                f"(£{instance.revenue_budget[k]:,.0f}) is below the cost of current placements "
                f"that must stay (£{locked[k]:,.0f}): no plan can keep to it; raise the "
                "budget, set budget_limit to soft, or allow_moves"))
    return problems


def capital_below_required(inputs: Inputs, instance: Instance) -> list[Problem]:
    """Committed (required) options that the capital in the Budget sheet cannot pay for
    by the last year they may open."""
    options = instance.options
    if options.empty or instance.last_capital_year < 0:
        return []
    required = options["required"].to_numpy(bool) & options["enabled"].to_numpy(bool)
    if not required.any():
        return []
    years = instance.years
    latest = np.clip(np.searchsorted(years, options["latest"].to_numpy(int), side="right") - 1,
                     0, len(years) - 1)
    capex = options["capex"].to_numpy(float)
    available = np.cumsum(instance.capital_budget)
    for k in range(min(instance.last_capital_year, len(years) - 1) + 1):
        due = required & (latest <= k)
        if capex[due].sum() > available[k] * (1 + 1e-9) + 1e-6:
            names = ", ".join(options.loc[due, "option_id"])
            return [Problem(
                "error", "Budget",
                f"required options {names} must open by {years[k]} and cost "
                f"£{capex[due].sum():,.0f} with optimism bias, more than the capital in the "
                f"Budget sheet up to {years[k]} (£{available[k]:,.0f}): no plan can build "
                "them; add capital or widen their opening years")]
    if capex[required].sum() > available[-1] * (1 + 1e-9) + 1e-6:
        return [Problem(
            "error", "Budget",
            f"required options cost £{capex[required].sum():,.0f} with optimism bias, more "
            f"than all the capital in the Budget sheet (£{available[-1]:,.0f}): no plan can "
            "build them")]
    return []


CHECKS: tuple[Check, ...] = (
    unreachable_groups,
    capacity_in_reach,
    unreachable_providers,
    options_never_open,
    current_pupils_above_capacity,
    hard_budget_below_current,
    capital_below_required,
)
