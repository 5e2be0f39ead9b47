"""The inclusion measures' part of both reports (SPEC §4): beside the capital programme,
what each measure does and costs per pupil kept in mainstream, against the special
school and independent (INMSS) places it stands in for, and what it is worth to the
plan, in a planner's words.

Built from the result folder only: inclusion.csv, costs.csv and summary.json
`inclusion` (with each measure's worth when it was computed, `inclusion_values`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .capital import WITHIN
from .folder import ResultFolder
from .formats import Table, money_words, pupils_words

TYPES = ("mainstream", "special", "inmss")  # the unit costs a diverted pupil is set against


def measures(data: ResultFolder) -> dict[str, dict[str, Any]]:
    """summary.json `inclusion` measures, by id ({} for a folder without them)."""
    return data.summary.get("inclusion") or {}


def unit_costs(data: ResultFolder) -> dict[str, float | None]:
    """The plan's placement and transport cost per pupil-year at mainstream schools,
    special schools and INMSS, over every year (costs.csv); None where none is placed."""
    costs = data.costs[data.costs["case"] == "plan"]
    found: dict[str, float | None] = {}
    for kind in TYPES:
        rows = costs[costs["provider_type"] == kind]
        pupils = float(rows["pupils"].sum())
        found[kind] = (float((rows["placement_cost"] + rows["transport_cost"]).sum()) / pupils
                       if pupils > 0.0005 else None)
    return found


def measures_table(data: ResultFolder) -> Table | None:
    """One row per measure: funded or not and from when, its share of demand, pupils
    diverted and what it costs."""
    found = measures(data)
    if not found:
        return None
    frame = pd.DataFrame([{
        "Measure": measure_id, "Name": m.get("name", ""),
        "Funded from": m["start_year"] if m["started"] else "not funded",
        "Share (evidence range)": _share_words(m),
        "Pupil-years diverted": m["pupil_years_diverted"],
        "Running and support cost": float(np.sum(m["revenue_cost"])),
        "Capital cost": m["capital_cost"],
    } for measure_id, m in found.items()])
    return Table("Inclusion measures", frame,
                 {"Measure": "text", "Name": "text", "Funded from": "year",
                  "Share (evidence range)": "text", "Pupil-years diverted": "pupils"},
                 source="summary.json inclusion (capital with optimism bias)")


def worth_table(data: ResultFolder) -> Table | None:
    """One row per measure: its cost per pupil-year diverted and its worth to the plan,
    judged against its tolerance as the projects' are (a figure no larger than it cannot
    be told from zero)."""
    found = measures(data)
    if not found:
        return None
    frame = pd.DataFrame([{
        "Measure": measure_id,
        "Its cost per pupil-year diverted": m["cost_per_pupil_year"],
        "NPV lost if dropped": _judged(m, "npv_if_dropped"),
        "NPV change if forced in": _judged(m, "npv_if_forced"),
        "Give or take": m.get("value_gap"),
    } for measure_id, m in found.items()])
    return Table("What each measure costs and is worth", frame, {"Measure": "text"},
                 source="summary.json inclusion: cost_per_pupil_year (running, support and "
                        "capital over the pupil-years diverted); npv_if_dropped, "
                        "npv_if_forced (the plan solved again without the measure, or with "
                        "it forced), value_gap (the most a figure may be off)")


def place_costs(data: ResultFolder) -> Table | None:
    """What a place costs a year in this plan: the mainstream place a diverted pupil takes
    besides the measure's own cost, and the special school and independent places the
    measure stands in for."""
    if not measures(data):
        return None
    unit = unit_costs(data)
    frame = pd.DataFrame({"Place": ["mainstream school (with the measure)",
                                    "state special school", "independent (INMSS)"],
                          "Per pupil-year": [unit[kind] for kind in TYPES]})
    return Table("The places a diverted pupil takes or would otherwise need", frame,
                 {"Place": "text"},
                 source="costs.csv, plan: placement + transport per pupil-year, all years")


def _judged(measure: dict[str, Any], key: str) -> float | str | None:
    """The measure's worth as shown: `WITHIN` when no larger than its tolerance."""
    value, gap = measure.get(key), measure.get("value_gap")
    if value is None or gap is None or abs(value) > gap:
        return value
    return WITHIN


def diverted_by_year(data: ResultFolder) -> Table | None:
    """Pupils each measure keeps in mainstream, by year (inclusion.csv, plan)."""
    table = data.inclusion
    if table is None or table.empty:
        return None
    plan = table[table["case"] == "plan"]
    wide = plan.pivot_table(index="measure_id", columns="year", values="pupils_diverted",
                            aggfunc="sum", sort=False).reindex(columns=data.years).fillna(0.0)
    wide.columns = [int(c) for c in wide.columns]
    frame = wide.reset_index().rename(columns={"measure_id": "Measure"})
    # no all-years column: the measures' table has the pupil-years, and the grid beside
    # the tables' wider columns must still print at 8 pt or more
    return Table("Pupils diverted to mainstream by year", frame, {"Measure": "text"},
                 default="pupils", source="inclusion.csv, case plan: pupils_diverted; "
                                          "all years: the measures' pupil-years diverted")


def _share_words(measure: dict[str, Any]) -> str:
    low, high = measure.get("share_range") or [measure["share"], measure["share"]]
    share = f"{measure['share']:.0%}"
    return share if low == high else f"{share} ({low:.0%}-{high:.0%})"


def measure_sentences(data: ResultFolder) -> list[str]:
    """For each measure, whether the plan funds it, and why, in a planner's words."""
    unit = unit_costs(data)
    built = set(data.expansions.loc[data.expansions["built"] == "yes", "option_id"])
    return [_sentence(measure_id, m, unit, built) for measure_id, m in measures(data).items()]


def _sentence(measure_id: str, m: dict[str, Any], unit: dict[str, float | None],
              built: set[str]) -> str:
    name = f"{measure_id} ({m['name']})" if m.get("name") else measure_id
    if m["started"]:
        diverted = [v for v in m["pupils_diverted"] if v > 0.0005]
        per = m["cost_per_pupil_year"]
        text = (f"{name} is funded from {m['start_year']}"
                + (" (a committed measure)" if m.get("required") else "")
                + f": it keeps {pupils_words(m['pupil_years_diverted'])} pupil-years of "
                "specialist demand in mainstream"
                + (f", {pupils_words(diverted[0])} pupils in its first year rising to "
                   f"{pupils_words(max(diverted))}" if len(diverted) > 1 else "")
                + (f", at {money_words(per)} per pupil-year on top of the mainstream place"
                   if per is not None else "")
                + _against(unit) + ".")
        value = _judged(m, "npv_if_dropped")
        if value is not None:
            text += (" Without it the plan's NPV would "
                     + _change_words(value, m, "fall") + _programme_change(m, built) + ".")
        return text
    value = _judged(m, "npv_if_forced")
    text = f"{name} is not funded"
    if value is not None:
        text += (": funded from its first possible year, the plan's NPV would "
                 + _change_words(value, m, "rise") + _programme_change(m, built))
    else:
        text += (": it costs more than the places it would save, or the money to run it "
                 "is not there")
    return text + "."


def _change_words(value: float | str, m: dict[str, Any], up: str) -> str:
    """'fall by £2.6m' (the value's sign read as `up`), or, within the tolerance, that
    the change cannot be told from zero."""
    if value == WITHIN:
        return (f"change by no more than the solver's tolerance "
                f"({money_words(m['value_gap'])}): it cannot be told from zero")
    if up == "fall":  # an NPV lost: positive is a fall
        return f"{'fall' if value >= 0 else 'rise'} by {money_words(abs(value))}"
    return f"{'rise' if value >= 0 else 'fall'} by {money_words(abs(value))}"


def _against(unit: dict[str, float | None]) -> str:
    parts = [f"{money_words(unit[kind])} for {label} place" for kind, label in
             (("mainstream", "a mainstream"), ("special", "a special school"),
              ("inmss", "an independent (INMSS)")) if unit[kind] is not None]
    return (", against " + ", ".join(parts) + " a year in this plan") if parts else ""


def _programme_change(m: dict[str, Any], built: set[str]) -> str:
    """What the capital programme does instead when the measure is dropped (or forced
    in): the options it would also build, and those it would no longer build."""
    otherwise = m.get("options_built_otherwise")
    if otherwise is None:
        return ""
    more, fewer = sorted(set(otherwise) - built), sorted(built - set(otherwise))
    parts = []
    if more:
        parts.append("also build " + ", ".join(more))
    if fewer:
        parts.append("no longer build " + ", ".join(fewer))
    if not parts:
        return ", the capital programme unchanged"
    return "; the plan would then " + " and ".join(parts)


def inclusion_note(data: ResultFolder) -> str:
    """How to read the measures' figures."""
    status = (data.summary.get("inclusion_values") or {}).get("status")
    worth = ("Each funded measure's worth is the NPV the plan would lose without it, the "
             "rest of the plan (the capital programme too) free to adapt; each measure left "
             "out shows the NPV change if it had to be funded from its first possible year. "
             "'Give or take' is the most a figure can be off, from the solver's tolerance: "
             f"a figure no larger than that is shown as '{WITHIN}' (it cannot be told from "
             "zero).")
    if status not in (None, "computed"):
        worth += f" Not computed for this run: {status}."
    return ("A measure diverts part of the new demand for specialist places (never a pupil "
            "already placed) to mainstream schools, with support, for as long as it runs. "
            "Its cost per pupil-year diverted counts its running, support and capital cost; "
            "the diverted pupil also takes a mainstream place, at this plan's average cost "
            "(the table of places). " + worth)
