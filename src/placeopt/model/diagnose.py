"""Saying in the planner's words what a row or column of the model is, and why a model
is infeasible.

Infeasibility is explained with HiGHS's irreducible infeasible subset (IIS): a smallest
set of rows and bounds that cannot hold together. Each is named by its constraint family
and what it is about (provider, option, year), so the planner sees which inputs clash.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..workbook.schema import CAPITAL
from .formulation import Formulation
from .highs_lp import new_highs, pass_lp
from .instance import GROUP_KEY, Instance
from .verify import Bounds, Violation

FAMILIES = {
    "demand": "demand (each pupil placed or counted unmet)",
    "capacity": "provider capacity",
    "limit": "CapacityLimits rows",
    "open_once": "each option opens at most once (a required option exactly once)",
    "option_group": "at most one option of a group",
    "revenue_budget": "the hard revenue budget",
    "funding": "each opening paid in full from the option's funding streams",
    "capital": "the capital budget",
    "new_site_link": "new sites used only once open",
    "stays_open": "an option once open stays open",
    "diversion": "an inclusion measure diverts at most its share of new demand",
    "new_demand": "measures together divert at most the new demand",
    "start_once": "each measure starts at most once (a required measure exactly once)",
    "measure_funding": "each measure's capital paid in full from its funding streams",
    "keeps_running": "a measure once started runs on",
    "extra": "a limit added by the command (e.g. the frontier's capital budget)",
}
BOUNDS = {
    "x_lower": "current placements that must stay",
    "x_upper": "placements kept only for their current pupils",
    "u": "unmet pupils",
    "b_lower": "required options",
    "b_upper": "options shut (baseline, or outside their opening years)",
    "o": "overspend",
    "w": "capital drawn from a funding stream",
    "a_lower": "required inclusion measures",
    "a_upper": "inclusion measures shut (baseline, or outside their start years)",
    "q": "capital drawn for a measure from a funding stream",
    "v": "pupils diverted by an inclusion measure",
}


def _year(instance: Instance, k: int) -> int:
    return int(instance.years[int(k)])


def describe_row(instance: Instance, formulation: Formulation, row: int) -> tuple[str, str]:
    """(family, what it is about) of a row of the stacked formulation."""
    offsets = formulation.row_offsets
    if row >= offsets[-1]:
        return "extra", f"row {row - offsets[-1] + 1} added by the command"
    block = int(np.searchsorted(offsets, row, side="right") - 1)
    rows = formulation.rows[block]
    label = rows.labels.iloc[row - offsets[block]]
    name = rows.name
    if name == "demand":
        group = instance.groups.iloc[int(label["group"])]
        what = "/".join(str(group[c]) for c in GROUP_KEY) + f" in {_year(instance, label['year'])}"
    elif name == "capacity":
        what = (f"{instance.providers.at[int(label['provider']), 'provider_id']} in "
                f"{_year(instance, label['year'])}")
    elif name == "limit":
        limit = instance.limits.iloc[int(label["limit"])]
        scope = "/".join(str(v) for v in (limit["need"], limit["phase"]) if v) or "all"
        what = (f"{instance.providers.at[int(limit['provider']), 'provider_id']} ({scope}) in "
                f"{_year(instance, label['year'])}")
    elif name == "open_once":
        what = str(instance.options.at[int(label["option"]), "option_id"])
    elif name == "option_group":
        what = f"group {label['group']}"
    elif name == "revenue_budget":
        what = str(_year(instance, label["year"]))
    elif name == "capital":  # the general pot by year, as before there were streams
        stream = instance.capital.names[int(label["stream"])]
        what = (("" if stream == CAPITAL else f"{stream}, ")
                + str(_year(instance, label["year"])))
    elif name == "funding":
        what = (f"{instance.options.at[int(label['option']), 'option_id']} opening in "
                f"{_year(instance, label['year'])}")
    elif "measure" in label.index:
        what = _measure(instance, label["measure"])
        if "group" in label.index:
            what += f", {_group(instance, label['group'])}"
        if "year" in label.index:
            what += f" in {_year(instance, label['year'])}"
    elif name == "new_demand":
        what = f"{_group(instance, label['group'])} in {_year(instance, label['year'])}"
    else:
        what = f"row {row - offsets[block] + 1}"
    return name, what


def describe_column(instance: Instance, formulation: Formulation, column: int) -> tuple[str, str]:
    """(kind, what it is about) of a column: x, u, b, o, w, or a measure's a, q, v."""
    layout = formulation.layout
    if column < layout.u_start:
        arc = instance.arcs.iloc[int(layout.x_arc[column])]
        group = instance.groups.iloc[int(arc["group"])]
        return "x", ("/".join(str(group[c]) for c in GROUP_KEY) + " at "
                     f"{instance.providers.at[int(arc['provider']), 'provider_id']} in "
                     f"{_year(instance, layout.x_year[column])}")
    if column < layout.b_start:
        i = column - layout.u_start
        group = instance.groups.iloc[int(layout.u_group[i])]
        return "u", ("/".join(str(group[c]) for c in GROUP_KEY)
                     + f" in {_year(instance, layout.u_year[i])}")
    if column < layout.o_start:
        i = column - layout.b_start
        return "b", (f"{instance.options.at[int(layout.b_option[i]), 'option_id']} open by "
                     f"{_year(instance, layout.b_year[i])}")
    if column < layout.w_start:
        return "o", str(_year(instance, layout.o_year[column - layout.o_start]))
    if column < layout.a_start:
        i = column - layout.w_start
        b = int(layout.w_b[i])
        return "w", _paid(instance, str(instance.options.at[int(layout.b_option[b]),
                                                            "option_id"]),
                          f"opening in {_year(instance, layout.b_year[b])}",
                          layout.w_stream[i])
    return _describe_measure_column(instance, layout, column)


def _paid(instance: Instance, who: str, when: str, stream: int) -> str:
    return f"{who} {when}, paid from {instance.capital.names[int(stream)]}"


def _measure(instance: Instance, m: int) -> str:
    return f"measure {instance.measures.table.at[int(m), 'measure_id']}"


def _group(instance: Instance, g: int) -> str:
    return "/".join(str(v) for v in instance.groups.loc[int(g), GROUP_KEY])


def _describe_measure_column(instance: Instance, layout, column: int) -> tuple[str, str]:
    """(kind, what) of a column of the measure blocks: a, q or v."""
    if column < layout.q_start:
        i = column - layout.a_start
        return "a", (f"{_measure(instance, layout.a_measure[i])} running by "
                     f"{_year(instance, layout.a_year[i])}")
    if column < layout.v_start:
        i = column - layout.q_start
        a = int(layout.q_a[i])
        return "q", _paid(instance, _measure(instance, layout.a_measure[a]),
                          f"starting in {_year(instance, layout.a_year[a])}",
                          layout.q_stream[i])
    i = column - layout.v_start
    return "v", (f"{_measure(instance, layout.v_measure[i])} from "
                 f"{_group(instance, layout.v_group[i])} in {_year(instance, layout.v_year[i])}")


def describe_violation(instance: Instance, formulation: Formulation,
                       violation: Violation) -> str:
    if violation.kind == "row":
        family, what = describe_row(instance, formulation, violation.index)
        return f"{FAMILIES.get(family, family)}: {what} (off by {violation.amount:.6g})"
    kind, what = describe_column(instance, formulation, violation.index)
    noun = "not a whole number" if violation.kind == "integrality" else "outside its bounds"
    return f"{kind} {what}: {noun} (by {violation.amount:.6g})"


IIS_SECONDS = 60.0  # for the linear relaxation and its IIS


def explain_infeasible(instance: Instance, formulation: Formulation, bounds: Bounds) -> str:
    """Which constraint families conflict, from HiGHS's IIS of the model as solved."""
    import highspy

    highs = new_highs()
    highs.setOptionValue("time_limit", IIS_SECONDS)
    # From the LP's own infeasibility, then reduced to an irreducible set (the default
    # "light" strategy finds only rows whose own bounds clash).
    highs.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyFromLp)
                         | int(highspy.IisStrategy.kIisStrategyIrreducible))
    pass_lp(highs, bounds.matrix, bounds.cost, bounds.col_lower, bounds.col_upper,
            bounds.row_lower, bounds.row_upper)
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return ("the linear relaxation is feasible, so the conflict is among whole-number "
                "decisions: required options, option groups and the capital budget")
    if status != highspy.HighsModelStatus.kInfeasible:  # e.g. its time limit: nothing proven
        return ("HiGHS could not tell which constraints conflict: solving the linear "
                f"relaxation for its explanation ended with '{highs.modelStatusToString(status)}'"
                f" (within {IIS_SECONDS:g} s)")
    status, iis = highs.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return "HiGHS could not isolate the conflicting constraints"
    found: dict[str, list[str]] = defaultdict(list)
    for row in iis.row_index_:
        family, what = describe_row(instance, formulation, int(row))
        found[FAMILIES.get(family, family)].append(what)
    for column, bound in zip(iis.col_index_, iis.col_bound_, strict=True):
        kind, what = describe_column(instance, formulation, int(column))
        if kind in ("x", "b", "a"):
            side = "lower" if bound == int(highspy.IisBoundStatus.kIisBoundStatusLower) else \
                "upper"
            key = f"{kind}_{side}"
        else:
            key = kind
        found[BOUNDS.get(key, key)].append(what)
    parts = []
    for family, items in found.items():
        shown = ", ".join(items[:4]) + (f" and {len(items) - 4} more" if len(items) > 4 else "")
        parts.append(f"{family} ({shown})")
    return "these cannot all hold: " + "; ".join(parts)
