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
    """One row per measure: funded or not and from when, pupils diverted, its cost per
    pupil-year diverted beside the places it stands in for, and its worth."""
    found = measures(data)
    if not found:
        return None
    unit = unit_costs(data)
    rows = []
    for measure_id, m in found.items():
        rows.append({
            "Measure": measure_id, "Name": m.get("name", ""),
            "Funded": "yes" if m["started"] else "no", "Starts": m["start_year"],
            "Share (evidence range)": _share_words(m),
            "Pupil-years diverted": m["pupil_years_diverted"],
            "Running and support cost": float(np.sum(m["revenue_cost"])),
            "Capital cost": m["capital_cost"],
            "Its cost per pupil-year diverted": m["cost_per_pupil_year"],
            "Mainstream place per pupil-year": unit["mainstream"],
            "Special school place per pupil-year": unit["special"],
            "INMSS place per pupil-year": unit["inmss"],
            "NPV lost if dropped": m.get("npv_if_dropped"),
            "NPV change if forced in": m.get("npv_if_forced"),
        })
    frame = pd.DataFrame(rows)
    return Table("Inclusion measures", frame,
                 {"Measure": "text", "Name": "text", "Funded": "text", "Starts": "year",
                  "Share (evidence range)": "text", "Pupil-years diverted": "pupils"},
                 source="summary.json inclusion (capital with optimism bias; worth: the "
                        "plan solved again without the measure, or with it forced); place "
                        "costs: costs.csv, plan, placement + transport per pupil-year")


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
    frame["All years"] = wide.sum(axis=1).to_numpy()
    return Table("Pupils diverted to mainstream by year", frame, {"Measure": "text"},
                 default="pupils", source="inclusion.csv, case plan: pupils_diverted")


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
        value = m.get("npv_if_dropped")
        if value is not None:
            text += f" Without it the plan's NPV would fall by {money_words(value)}"
            text += _programme_change(m, built) + "."
        return text
    value = m.get("npv_if_forced")
    text = f"{name} is not funded"
    if value is not None:
        verb = "fall" if value < 0 else "rise"
        text += (f": funded from its first possible year, the plan's NPV would {verb} by "
                 f"{money_words(abs(value))}" + _programme_change(m, built))
    else:
        text += (": it costs more than the places it would save, or the money to run it "
                 "is not there")
    return text + "."


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
             "out shows the NPV change if it had to be funded from its first possible year.")
    if status not in (None, "computed"):
        worth += f" Not computed for this run: {status}."
    return ("A measure diverts part of the new demand for specialist places (never a pupil "
            "already placed) to mainstream schools, with support, for as long as it runs. "
            "Its cost per pupil-year diverted counts its running, support and capital cost; "
            "the diverted pupil also takes a mainstream place, shown beside it at this "
            "plan's average cost. " + worth)
