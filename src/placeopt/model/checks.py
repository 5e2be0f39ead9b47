"""The plain-language checks every command runs before a model is built (SPEC §3).

A registry of small checks on the compiled instance, each returning problems that carry
the numbers a planner needs: which demand cannot be met by any capacity in reach even
with every option built, which groups or providers are out of everyone's reach, which
options can never be used, where current pupils already exceed the places, and what a
hard budget or a committed project cannot pay for. A check that proves the model
infeasible returns an error-level problem: the case keeps it and the run reports an
infeasible model, as if the solver had proved it (SPEC §3); the rest are warnings.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from ..problems import SAMPLE, Problem, SolveError
from ..workbook.inputs import Inputs
from ..workbook.schema import CAPITAL
from .formulation import budget_coefficients
from .funding import split_capital
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
    """A provider (or new site) that no demand group can use: its places go unused.
    The first few of each kind one by one, with their cells; the rest named in one line
    (the national workbook had 150 such providers, one per authority)."""
    providers = instance.providers
    unreached = np.flatnonzero(~instance.reached)
    problems = []
    for new_site, sheet, key, what, consequence in (
            (False, "Providers", "provider_id", "provider",
             "its places will be empty in every plan"),
            (True, "Expansions", "option_id", "new site",
             "it would never be used, so it is never built")):
        ids = [str(providers.at[s, "provider_id"]) for s in unreached
               if bool(providers.at[s, "new_site"]) == new_site]
        shown = ids if len(ids) <= SAMPLE + 1 else ids[:SAMPLE]
        for pid in shown:
            problems.append(Problem(
                "warning", _cell(inputs, sheet, key, key, pid),
                f"{what} {pid} is in reach of no demand it can serve (its type, needs, "
                f"phases and the journey limits leave no zone that can use it): "
                f"{consequence}"))
        if len(ids) > len(shown):
            rest = ids[len(shown):]
            problems.append(Problem(
                "warning", sheet,
                f"and {len(rest):,} more {what}s in reach of no demand they can serve, "
                f"likewise: {', '.join(rest)}"))
    return problems


def options_never_open(inputs: Inputs, instance: Instance) -> list[Problem]:
    """An enabled option whose opening window misses the horizon, that expands a
    provider nobody can reach, or (not required) that costs more than all the capital of
    its funding streams."""
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
        elif not option["required"]:
            problems += _beyond_funding(instance, e, where)
    return problems


def _beyond_funding(instance: Instance, e: int, where: str) -> list[Problem]:
    """An option that costs more than all the capital its streams will ever hold."""
    capital, option = instance.capital, instance.options.iloc[e]
    streams = list(option["funding"])
    held = capital.money.sum(axis=1)
    if not capital.limited[streams].all() or option["capex"] <= held[streams].sum() * (
            1 + 1e-9) + 1e-6:
        return []
    names = ", ".join(f"{capital.names[f]} £{held[f]:,.0f}" for f in streams)
    return [Problem(
        "warning", where,
        f"option {option['option_id']} costs £{option['capex']:,.0f} with optimism bias, more "
        f"than all the capital of its funding streams ({names}): it is never built")]


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
    """Committed (required) options that their funding streams cannot pay for by the
    last year they may open (SPEC §2 item 7: cumulative per stream, every year).

    Opening as late as allowed asks least of every stream, so the options can be paid
    for iff the split of each option's capex over its streams, with every option opening
    in its latest year, fits each stream's capital cumulatively: a small LP, solved for
    the options due by each year in turn, so the first year that fails is the one named.
    """
    options = instance.options
    capital = instance.capital
    if options.empty or not capital.limited.any():
        return []
    required = np.flatnonzero(options["required"].to_numpy(bool)
                              & options["enabled"].to_numpy(bool))
    if not len(required):
        return []
    years = instance.years
    due = np.clip(np.searchsorted(years, options["latest"].to_numpy(int), side="right") - 1,
                  0, len(years) - 1)
    for k in sorted(set(due[required])):
        members = required[due[required] <= k]
        if not _fundable(instance, members, due, k):
            return [_unfunded(instance, members, k)]
    return []


def _fundable(instance: Instance, members: np.ndarray, due: np.ndarray, k: int) -> bool:
    """Can the options `members`, each opening in its year `due`, be paid from their
    streams with every limited stream's cumulative capital held up to year k?"""
    keys = np.array([(e, due[e], f) for e in members for f in instance.options.at[e, "funding"]],
                    dtype=int).reshape(-1, 3)
    split = split_capital(instance, keys, through=k)
    if split.status == "unknown":  # the LP failed: that proves nothing either way
        raise SolveError("the check of the required options' capital could not be solved "
                         f"(HiGHS via scipy: {split.reason})")
    return split.status == "paid"


def _unfunded(instance: Instance, members: np.ndarray, k: int) -> Problem:
    """The message for required options due by year k that cannot all be paid for: the
    smallest set of streams whose options cost more than those streams hold, if any."""
    options, capital = instance.options, instance.capital
    capex = options["capex"].to_numpy(float)
    held = np.cumsum(capital.money, axis=1)[:, k]
    used = sorted({f for e in members for f in options.at[e, "funding"]})
    limited = [f for f in used if capital.limited[f]]
    year = instance.years[k]
    for size in range(1, len(limited) + 1 if len(limited) <= 10 else 1):
        for streams in itertools.combinations(limited, size):
            paid_by = [e for e in members if set(options.at[e, "funding"]) <= set(streams)]
            cost, money = capex[paid_by].sum(), held[list(streams)].sum()
            if paid_by and cost > money * (1 + 1e-9) + 1e-6:
                names = [capital.names[f] for f in streams]
                detail = "" if names == [CAPITAL] else ": " + ", ".join(
                    f"{n} £{held[f]:,.0f}" for n, f in zip(names, streams, strict=True))
                return Problem(
                    "error", "Budget",
                    f"required options {', '.join(options.loc[paid_by, 'option_id'])} must "
                    f"open by {year} and cost £{cost:,.0f} with optimism bias, more than the "
                    f"capital they may draw on up to {year} (£{money:,.0f}{detail}): no plan "
                    "can build them; add capital or widen their opening years")
    streams = ", ".join(f"{capital.names[f]} £{held[f]:,.0f}" for f in limited)
    return Problem(
        "error", "Budget",
        f"required options {', '.join(options.loc[members, 'option_id'])} must open by "
        f"{year} and cost £{capex[members].sum():,.0f} with optimism bias; their funding "
        f"streams cannot pay for all of them by then ({streams} up to {year}): no plan can "
        "build them; add capital, widen their funding or their opening years")


CHECKS: tuple[Check, ...] = (
    unreachable_groups,
    capacity_in_reach,
    unreachable_providers,
    options_never_open,
    current_pupils_above_capacity,
    hard_budget_below_current,
    capital_below_required,
)
