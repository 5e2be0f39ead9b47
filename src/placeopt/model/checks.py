"""The plain-language checks every command runs before a model is built.

The checks carry the numbers a planner needs to see the problem: which demand cannot be
met by any capacity in reach even with every option built, which groups have no
suitable provider at all, what a hard budget or required project cannot pay for.
"""

from __future__ import annotations

import numpy as np

from ..problems import Problem
from ..workbook.inputs import Inputs
from .instance import GROUP_KEY, Instance


def plain_checks(inputs: Inputs, instance: Instance) -> list[Problem]:
    return [*_unreachable_groups(instance), *_capacity_in_reach(inputs, instance),
            *_hard_budget(instance), *_required_capital(instance)]


def _unreachable_groups(instance: Instance) -> list[Problem]:
    has_arc = np.zeros(len(instance.groups), dtype=bool)
    has_arc[instance.arcs["group"].to_numpy()] = True
    problems = []
    for g in np.flatnonzero(~has_arc & (instance.demand.sum(axis=1) > 0)):
        zone, need, phase, provision = instance.groups.loc[g, GROUP_KEY]
        limit = instance.params[f"max_travel_minutes_{phase}"]
        problems.append(Problem(
            "warning", "Demand",
            f"{need} {phase} ({provision}) demand from zone {zone} "
            f"({instance.demand[g].max():.1f} pupils at most) has no suitable provider within "
            f"{limit:g} minutes, nor a residential one: it will be unmet"))
    return problems


def _capacity_in_reach(inputs: Inputs, instance: Instance) -> list[Problem]:
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
            limit = instance.params[f"max_travel_minutes_{phase}"]
            problems.append(Problem(
                "warning", "Demand",
                f"{need} {phase} demand in {instance.years[k]} ({demand[k]:.0f} pupils) exceeds "
                f"all capacity within {limit:g} minutes of its zones ({places:.0f} places, "
                "shared with other needs and phases) even with every option built"))
    return problems


def _hard_budget(instance: Instance) -> list[Problem]:
    if instance.params["budget_limit"] != "hard":
        return []
    from .formulation import budget_coefficients

    locked = budget_coefficients(instance) @ instance.lock
    problems = []
    for k in np.flatnonzero(~np.isnan(instance.revenue_budget)):
        if locked[k] > instance.revenue_budget[k] + 1e-6:
            problems.append(Problem(
                "warning", "Budget",
                f"the hard revenue budget for {instance.years[k]} "
                f"(£{instance.revenue_budget[k]:,.0f}) is below the cost of current placements "
                f"that must stay (£{locked[k]:,.0f}): the model will be infeasible"))
    return problems


def _required_capital(instance: Instance) -> list[Problem]:
    options = instance.options
    if options.empty or instance.last_capital_year < 0:
        return []
    required = options["required"].to_numpy(bool) & options["enabled"].to_numpy(bool)
    need = options["capex"].to_numpy(float)[required].sum()
    have = instance.capital_budget.sum()
    if need > have + 1e-6:
        return [Problem("warning", "Budget",
                        f"required options cost £{need:,.0f} with optimism bias, more than all "
                        f"the capital in the Budget sheet (£{have:,.0f}): the model will be "
                        "infeasible")]
    return []
