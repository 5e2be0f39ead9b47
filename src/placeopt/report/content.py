"""What both business-case reports say: their tables, sentences and number formats.

Everything here is computed from a result folder as read back from disk (`folder`), so
`placeopt report DIR` can rebuild the reports of an old run and every figure in them can
be traced to a file. `excel` and `html` (with `map`) lay these out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .folder import TEXT_COLUMNS, ResultFolder

FULL = 0.999  # utilisation at or above this counts as full
TYPE_NAMES = {"mainstream": "mainstream", "resourced": "resourced provision",
              "special": "state special", "inmss": "INMSS",
              "college": "college", "ap": "alternative provision"}
TYPE_COLOURS = {"mainstream": "4E79A7", "resourced": "59A14F", "special": "F28E2B",
                "inmss": "E15759", "college": "76B7B2", "ap": "B07AA1"}
CASE_COLOURS = {"baseline": "8C8C8C", "plan": "1F77B4"}
OUT_OF_AREA = " (out of area)"


# --- Numbers in words and cells ---------------------------------------------------------


def money_words(value: float) -> str:
    """£ for prose: £1.2m, £52,685, -£65,883."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 999_500:
        return f"{sign}£{value / 1e6:,.1f}m"
    return f"{sign}£{value:,.0f}"


def pupils_words(value: float) -> str:
    """Pupils for prose: whole numbers as such, small fractions to one decimal."""
    value = abs(value)
    return f"{value:,.0f}" if value >= 10 or float(value).is_integer() else f"{value:,.1f}"


def saving_label(value: float, saving: str, cost: str) -> tuple[str, float]:
    """A label and a value that is never a negative saving: ('Revenue saving', 5) for a
    saving of 5, ('Extra revenue cost', 5) for a saving of -5."""
    return (saving, value) if value >= 0 else (cost, -value)


def saves_words(value: float, what: str) -> str:
    """'saves £5,000 of <what>' or 'costs £5,000 more in <what>', by the sign."""
    if abs(value) < 0.5:
        return f"costs the same in {what}"
    if value > 0:
        return f"saves {money_words(value)} of {what}"
    return f"costs {money_words(-value)} more in {what}"


@dataclass(frozen=True)
class MoneyUnit:
    """The unit of a money axis: £m, £k or £, chosen by the largest value on it."""

    from_value: float  # the unit serves axes whose largest value is at least this
    divisor: float
    suffix: str
    excel: str

    def text(self, value: float, decimals: int = 0) -> str:
        value = round(value / self.divisor, decimals) + 0.0  # + 0.0: no '-0'
        return ("-" if value < 0 else "") + f"£{abs(value):,.{decimals}f}{self.suffix}"


MONEY_UNITS = (MoneyUnit(1e6, 1e6, "m", '"£"#,##0.0,,"m"'),
               MoneyUnit(1e4, 1e3, "k", '"£"#,##0,"k"'),
               MoneyUnit(0.0, 1.0, "", '"£"#,##0'))


def money_unit(largest: float) -> MoneyUnit:
    """£m from £1m, £k from £10,000, else pounds."""
    return next(u for u in MONEY_UNITS if abs(largest) >= u.from_value)


def _number(fmt: str) -> Callable[[Any], str]:
    return lambda v: fmt.format(v)


def _money_cell(value: float) -> str:
    return ("-" if value < 0 else "") + f"£{abs(value):,.0f}"


@dataclass(frozen=True)
class Kind:
    """How a number is shown: an Excel number format and the same format for HTML."""

    excel: str
    text: Callable[[Any], str]


KINDS: dict[str, Kind] = {
    "money": Kind('"£"#,##0;-"£"#,##0', _money_cell),
    "pupils": Kind("#,##0.0", _number("{:,.1f}")),
    "places": Kind("#,##0", _number("{:,.0f}")),
    "percent": Kind("0.0%", _number("{:.1%}")),
    "year": Kind("0", lambda v: str(int(v))),
    "factor": Kind("0.0000", _number("{:.4f}")),
    "minutes": Kind("#,##0.0", _number("{:,.1f}")),
    "text": Kind("@", str),
}


def is_blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def show(value: Any, kind: str) -> str:
    """A value as the HTML report shows it; blank for a missing one."""
    if is_blank(value):
        return ""
    if isinstance(value, str):
        return value
    return KINDS[kind].text(value)


@dataclass(frozen=True)
class Table:
    """A table of the reports: a frame, the kind of its numbers, and where they come from.

    A cell's kind is `kinds[column]` if given, else `row_kinds[row]` if given (tables with
    years as columns mix money and pupils row by row), else `default`.
    """

    title: str
    frame: pd.DataFrame
    kinds: Mapping[str, str] = field(default_factory=dict)
    row_kinds: tuple[str, ...] = ()
    default: str = "money"
    source: str = ""

    def kind(self, row: int, column: Any) -> str:
        if column in self.kinds:
            return self.kinds[column]
        return self.row_kinds[row] if self.row_kinds else self.default

    @property
    def year_columns(self) -> list[int]:
        return [c for c in self.frame.columns if isinstance(c, int)]


# --- The tables both reports show -------------------------------------------------------


def _total(values: list[float]) -> float:
    return float(np.sum(values))


def _revenue(case: dict[str, list[float]]) -> list[float]:
    return list(np.add(case["placement_cost"], case["transport_cost"]))


def has_measures(data: ResultFolder) -> bool:
    """Does the run have inclusion measures (their costs then join the revenue figures)?"""
    return bool(data.summary.get("inclusion")) and "inclusion_cost" in data.summary["plan"]


def additional_pupils(data: ResultFolder) -> list[float]:
    """Pupils the plan places beyond the baseline, by year (savings.additional_pupils_placed;
    a folder written before that field existed gets it from its definition, baseline unmet
    minus plan unmet)."""
    saved = data.summary["savings"]
    if "additional_pupils_placed" in saved:
        return [float(v) for v in saved["additional_pupils_placed"]]
    return list(np.subtract(data.summary["baseline"]["unmet_pupils"],
                            data.summary["plan"]["unmet_pupils"]))


def headline(data: ResultFolder) -> Table:
    """Plan against baseline: the figures a business case leads with."""
    plan, base = data.summary["plan"], data.summary["baseline"]
    last, i = data.last_year, -1
    rows = [
        (f"Out-of-area pupils in {last}", "pupils", base["out_of_area_pupils"][i],
         plan["out_of_area_pupils"][i], f"out_of_area_pupils, {last}"),
        (f"INMSS pupils in {last}", "pupils", base["inmss_pupils"][i],
         plan["inmss_pupils"][i], f"inmss_pupils, {last}"),
        (f"Out-of-area cost in {last}", "money", base["out_of_area_cost"][i],
         plan["out_of_area_cost"][i], f"out_of_area_cost, {last}"),
        ("Out-of-area cost, all years", "money", _total(base["out_of_area_cost"]),
         _total(plan["out_of_area_cost"]), "out_of_area_cost, sum"),
        ("INMSS cost, all years", "money", _total(base["inmss_cost"]),
         _total(plan["inmss_cost"]), "inmss_cost, sum"),
        ("Placement and transport cost, all years", "money", _total(_revenue(base)),
         _total(_revenue(plan)), "placement_cost + transport_cost, sum"),
        *([("Inclusion measures (running and support), all years", "money",
             _total(base["inclusion_cost"]), _total(plan["inclusion_cost"]),
             "inclusion_cost, sum")] if has_measures(data) else []),
        ("Capital, all years", "money", _total(base["capital_cost"]),
         _total(plan["capital_cost"]), "capital_cost, sum"),
        ("Total cost, all years (cash, undiscounted)", "money", _total(base["total_cost"]),
         _total(plan["total_cost"]), "total_cost, sum"),
        (f"New places open by {last}", "pupils", base["new_places"][i],
         plan["new_places"][i], f"new_places, {last}"),
        ("Unmet need, pupil-years", "pupils", _total(base["unmet_pupils"]),
         _total(plan["unmet_pupils"]), "unmet_pupils, sum"),
    ]
    frame = pd.DataFrame(
        [(label, b, p, p - b, "summary.json baseline/plan: " + src)
         for label, _, b, p, src in rows],
        columns=["Measure", "Baseline", "Plan", "Plan - baseline", "Source"])
    return Table("Plan against baseline", frame, {"Measure": "text", "Source": "text"},
                 tuple(kind for _, kind, *_ in rows))


def key_figures(data: ResultFolder) -> Table:
    """The value of the plan over the baseline: NPV, payback, capital, savings per place.

    A saving below zero is shown as the extra cost it is (SPEC §4: never describe a
    negative saving as a saving), beside the pupils the plan places beyond the baseline.
    """
    saved, last = data.summary["savings"], data.last_year
    rate = data.discount_rate
    payback = saved["payback_year"]
    per_place = saved["savings_per_new_place"]
    in_last = saving_label(saved["revenue_savings"][-1], f"Revenue saving in {last}",
                           f"Extra revenue cost in {last} (the plan costs more)")
    all_years = saving_label(_total(saved["revenue_savings"]),
                             "Revenue saving, all years (undiscounted)",
                             "Extra revenue cost, all years (undiscounted)")
    per_new_place = (f"Revenue saving in {last} per new place beyond the baseline", "no new "
                     "places") if per_place is None else saving_label(
        per_place, f"Revenue saving in {last} per new place beyond the baseline",
        f"Extra revenue cost in {last} per new place beyond the baseline")
    negated = ", sign reversed (a saving below zero is an extra cost)"
    rows = [
        (f"Net present value over the baseline (discounted at {rate:.1%} a year)",
         saved["npv"], "money", "savings.npv"),
        ("Payback year", payback if payback is not None else "not within the plan", "year",
         "savings.payback_year"),
        ("Capital spent beyond the baseline (cash)", saved["capital_cost_total"], "money",
         "savings.capital_cost_total"),
        *([("Residual value: the new assets' cost beyond the plan period (discounted)",
            saved["residual_value"], "money", "savings.residual_value")]
          if "residual_value" in saved else []),
        (*in_last, "money", f"savings.revenue_savings, {last}"
         + (negated if in_last[1] != saved["revenue_savings"][-1] else "")),
        (*per_new_place, "money", "savings.savings_per_new_place"
         + (negated if per_place is not None and per_place < 0 else "")),
        (*all_years, "money", "savings.revenue_savings, sum"
         + (negated if all_years[1] != _total(saved["revenue_savings"]) else "")),
        ("Pupils placed beyond the baseline, all years (pupil-years)",
         _total(additional_pupils(data)), "pupils", "savings.additional_pupils_placed, sum"),
    ]
    frame = pd.DataFrame([(label, value, "summary.json " + src)
                          for label, value, _, src in rows],
                         columns=["Measure", "Value", "Source"])
    return Table("The value of the plan", frame, {"Measure": "text", "Source": "text"},
                 tuple(kind for _, _, kind, _ in rows))


def _year_table(title: str, data: ResultFolder,
                rows: list[tuple[str, str, list[float], float | None]], source: str) -> Table:
    """Rows of (label, kind, values by year, all-years figure) with years as columns."""
    frame = pd.DataFrame([[label, *values, total] for label, _, values, total in rows],
                         columns=["Measure", *data.years, "All years"])
    return Table(title, frame, {"Measure": "text"}, tuple(kind for _, kind, *_ in rows),
                 source=source)


def discount_factors(data: ResultFolder) -> list[float]:
    """Green Book: delta_k = (1 + r)^-k, k = 0 in the first year."""
    rate = data.discount_rate
    return [(1 + rate) ** -k for k in range(len(data.years))]


def cost_by_year(data: ResultFolder) -> Table:
    """Costs, savings and the discounted net saving by year, plan against baseline."""
    plan, base, saved = data.summary["plan"], data.summary["baseline"], data.summary["savings"]
    extra = list(np.subtract(plan["capital_cost"], base["capital_cost"]))
    charge = capital_charge(data)
    net = list(np.subtract(saved["revenue_savings"], charge))
    delta = discount_factors(data)
    discounted = list(np.multiply(delta, net))
    rows: list[tuple[str, str, list[float], float | None]] = []
    for label, key in (("total cost", "total_cost"),
                       ("placement and transport cost", None),
                       *([("inclusion measures", "inclusion_cost")] if has_measures(data)
                         else []),
                       ("capital", "capital_cost"),
                       ("out-of-area cost", "out_of_area_cost"),
                       ("INMSS cost", "inmss_cost")):
        for case_name, case in (("Baseline", base), ("Plan", plan)):
            values = case[key] if key else _revenue(case)
            rows.append((f"{case_name}: {label}", "money", list(values), _total(values)))
    rows += [
        ("Revenue saving (baseline - plan; below zero: an extra cost)", "money",
         saved["revenue_savings"],
         _total(saved["revenue_savings"])),
        ("Out-of-area saving (below zero: an extra cost)", "money",
         saved["out_of_area_savings"],
         _total(saved["out_of_area_savings"])),
        ("Extra capital (plan - baseline, cash)", "money", extra, _total(extra)),
        ("Extra capital charge (as the model charges it)", "money", charge, _total(charge)),
        ("Net saving (revenue saving - capital charge; below zero: a net cost)", "money", net,
         _total(net)),
        ("Discount factor", "factor", delta, None),
        ("Discounted net saving", "money", discounted, _total(discounted)),
        ("Cumulative discounted net saving", "money",
         saved["cumulative_discounted_net_saving"], None),
    ]
    return _year_table("Cost and saving by year", data, rows,
                       "summary.json (plan, baseline, savings); the discount factor is "
                       "(1 + discount_rate) ^ -(year - first year); all-years discounted "
                       "net saving = savings.npv")


def capital_charge(data: ResultFolder) -> list[float]:
    """The plan's extra capital charge by year (savings.capital_charge); a folder written
    before it was reported charged cash capital in the opening year."""
    saved, plan, base = data.summary["savings"], data.summary["plan"], data.summary["baseline"]
    if "capital_charge" in saved:
        return list(saved["capital_charge"])
    return list(np.subtract(plan["capital_cost"], base["capital_cost"]))


def pupils_by_year(data: ResultFolder) -> Table:
    plan, base = data.summary["plan"], data.summary["baseline"]
    rows: list[tuple[str, str, list[float], float | None]] = []
    for label, key in (("pupils placed", "pupils_placed"),
                       ("out-of-area pupils", "out_of_area_pupils"),
                       ("INMSS pupils", "inmss_pupils"), ("new places open", "new_places"),
                       ("unmet pupils", "unmet_pupils")):
        for case_name, case in (("Baseline", base), ("Plan", plan)):
            rows.append((f"{case_name}: {label}", "pupils", case[key], None))
    return _year_table("Pupils and places by year", data, rows, "summary.json (plan, baseline)")


def type_label(provider_type: str, in_area: str) -> str:
    name = TYPE_NAMES.get(provider_type, provider_type)
    return name if in_area == "yes" else name + OUT_OF_AREA


def type_colour(provider_type: str, in_area: str = "yes") -> str:
    """The colour of a provider type in every chart and map; darker when out of area."""
    colour = TYPE_COLOURS.get(provider_type, "9C9C9C")
    if in_area == "yes":
        return colour
    return "".join(f"{int(int(colour[i:i + 2], 16) * 0.6):02X}" for i in (0, 2, 4))


def type_order(provider_type: str, in_area: str) -> tuple[int, bool, str]:
    order = list(TYPE_NAMES)
    rank = order.index(provider_type) if provider_type in order else len(order)
    return rank, in_area == "no", provider_type


def cost_by_type(data: ResultFolder, case: str) -> Table:
    """Placement plus transport cost of one case, by provider type and area, years as columns.

    The rows are the types of both cases, so that the two tables (and charts) match; a
    plan that places nobody has none.
    """
    costs = data.costs.assign(cost=data.costs["placement_cost"] + data.costs["transport_cost"])
    groups = sorted({(t, a) for t, a in zip(costs["provider_type"], costs["in_area"],
                                            strict=True)}, key=lambda g: type_order(*g))
    mine = costs[costs["case"] == case].groupby(["provider_type", "in_area", "year"])["cost"]
    totals = mine.sum().to_dict()
    frame = pd.DataFrame({"Provider type": [type_label(*g) for g in groups]})
    for year in data.years:
        frame[int(year)] = [float(totals.get((*g, year), 0.0)) for g in groups]
    frame["All years"] = frame[data.years].sum(axis=1)
    return Table(f"{case.capitalize()}: placement and transport cost by provider type", frame,
                 {"Provider type": "text"},
                 source=f"costs.csv, case {case}: placement_cost + transport_cost")


def capital_programme(data: ResultFolder) -> Table:
    """The options, built first in opening order, with capital per place and the marginal
    value of one more place at the option's provider in the last year."""
    options = data.expansions.copy()
    last = data.capacity[data.capacity["year"] == data.last_year]
    marginal = dict(zip(last["provider_id"], last["marginal_value"], strict=True))
    options["per_place"] = options["capital_cost"] / options["places"].where(options["places"] > 0)
    options["marginal"] = options["provider_id"].map(marginal)
    options = options.sort_values(["built", "open_year", "option_id"],
                                  ascending=[False, True, True], na_position="last")
    value_column = f"Value of one more place here in {data.last_year} (£ a year)"
    frame = pd.DataFrame({
        "Option": options["option_id"], "Name": options["name"],
        "Provider": options["provider_id"], "Built": options["built"],
        "Opens": options["open_year"], "Places": options["places"],
        "Capital cost": options["capital_cost"], "Capital per place": options["per_place"],
        value_column: options["marginal"],
    })
    built = options[options["built"] == "yes"]
    if len(built):
        places, capital = built["places"].sum(), built["capital_cost"].sum()
        total = {"Option": "Total built", "Places": places, "Capital cost": capital,
                 "Capital per place": capital / places if places else None}
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    kinds = {"Option": "text", "Name": "text", "Provider": "text", "Built": "text",
             "Opens": "year", "Places": "places"}
    return Table("Capital programme", frame, kinds,
                 source="expansions.csv (capital_cost includes optimism bias); the value of "
                        f"one more place: capacity.csv marginal_value, {data.last_year}")


def capital_note(data: ResultFolder) -> str:
    saved = data.summary["savings"]
    per_place = saved["savings_per_new_place"]
    whole = (f"Taken as a whole, the programme "
             f"{saves_words(saved['revenue_savings'][-1], 'revenue')} in {data.last_year}")
    if per_place is not None and abs(per_place) >= 0.5:
        whole += (f", {money_words(abs(per_place))} "
                  f"{'saved' if per_place > 0 else 'more'} for each new place beyond the "
                  "baseline")
    extra = additional_pupils(data)[-1]
    if extra >= 0.0005:
        whole += (f", while placing {pupils_words(extra)} more pupils that year than the "
                  "baseline can")
    return (
        "The revenue saving is not split between options. The options work together: a "
        "new place in one school frees a place in another, which takes a pupil who would "
        "otherwise travel out of area, so the saving of one option depends on which others "
        "are built, and any split would be arbitrary. " + whole + ". The last column is "
        "sound but narrower: what one more place at that provider would save a year, with "
        "the programme as it is, valid for a small change only.")


PROJECT_VALUE_COLUMNS = ("npv_if_dropped", "npv_if_forced", "value_gap", "entry_capital_cost")


def project_values(data: ResultFolder) -> Table | None:
    """What each option is worth at the margin of the plan (expansions.csv): the NPV
    lost if a built one alone were dropped, the NPV change if a left-out one were forced
    in; built ones first, each list by value."""
    options = data.expansions
    if not set(PROJECT_VALUE_COLUMNS) <= set(options.columns):
        return None
    solves = data.summary.get("project_values", {}).get("solves", {})
    notes = {o: s["status"] for o, s in solves.items() if s.get("status") != "optimal"}
    options = options[options["npv_if_dropped"].notna() | options["npv_if_forced"].notna()
                      | options["option_id"].isin(list(notes))]
    if options.empty:
        return None
    options = options.assign(value=options["npv_if_dropped"].fillna(options["npv_if_forced"]))
    options = options.sort_values(["built", "value"], ascending=[False, False],
                                  na_position="last")
    frame = pd.DataFrame({
        "Rank": range(1, len(options) + 1),
        "Option": options["option_id"], "Name": options["name"], "Built": options["built"],
        "Opens": options["open_year"], "Capital cost": options["capital_cost"],
        "NPV lost if dropped": options["npv_if_dropped"],
        "NPV change if forced in": options["npv_if_forced"],
        "Give or take": options["value_gap"],
        "Would be built at a capital cost of at most": options["entry_capital_cost"],
        "Note": [notes.get(o, "") for o in options["option_id"]],
    })
    return Table("What each project is worth", frame.reset_index(drop=True),
                 {"Rank": "places", "Option": "text", "Name": "text", "Built": "text",
                  "Opens": "year", "Note": "text"},
                 source="expansions.csv: npv_if_dropped, npv_if_forced, value_gap, "
                        "entry_capital_cost (capital costs include optimism bias)")


def project_values_note(data: ResultFolder) -> str:
    """How to read the project values, or why there are none."""
    status = data.summary.get("project_values", {}).get("status")
    if project_values(data) is None:
        why = f" ({status})" if status else " (a result folder from an older placeopt)"
        return ("Each project's own worth was not computed for this run" + why + ". "
                "placeopt run --project-values computes it.")
    return (
        "Each built option's worth is the NPV the plan would lose if that option alone were "
        "dropped, the rest of the programme free to adapt (the plan solved again without "
        "it); each option left out shows the NPV change if it had to be built (usually a "
        "loss). These are values at the margin of this programme: they do not add up to "
        "the programme's NPV, because the options work together. 'Give or take' is the most "
        "a figure can be off, from the solver's tolerance. For an option left out, the last "
        "column is a capital cost (with optimism bias) at or below which the plan would "
        "build it; it may enter at a higher price too, since cheaper capital also frees "
        "money for other options. Blank: no such price was found."
        + ("" if status in (None, "computed") else f" Note: {status}."))


def funding_streams(data: ResultFolder) -> Table | None:
    """Each capital stream: its limit, what the plan spends from it, what is left."""
    streams = data.summary.get("funding")
    if not streams:
        return None
    rows = []
    for name, entry in streams.items():
        spent = _total(entry["spent"])
        if entry["limited"]:
            available = _total(entry["available"])
            rows.append((name, available, spent, entry["unspent"][-1]))
        else:
            rows.append((name, "no limit", spent, None))
    frame = pd.DataFrame(rows, columns=["Stream", "Capital available, all years",
                                        "Spent by the plan", f"Unspent at the end of "
                                        f"{data.last_year}"])
    return Table("Capital by funding stream", frame, {"Stream": "text"},
                 source="summary.json funding (capital: the general pot; capital:NAME: "
                        "ring-fenced for the options whose funding names it)")


def funding_by_year(data: ResultFolder) -> Table | None:
    """Which stream paid for which option, by year (the plan)."""
    funding = data.funding
    if funding is None or funding.empty:
        return None
    names = data.provider_names()
    grid = funding.pivot_table(index=["stream", "option_id"], columns="year", values="amount",
                               aggfunc="sum", fill_value=0.0)
    grid = grid.reindex(columns=data.years, fill_value=0.0)
    frame = pd.DataFrame({"Stream": grid.index.get_level_values(0),
                          "Option": grid.index.get_level_values(1)})
    frame["Name"] = [names.get(o, "") for o in frame["Option"]]
    for year in data.years:
        frame[int(year)] = grid[year].to_numpy()
    frame["All years"] = frame[data.years].sum(axis=1)
    return Table("Which stream paid for what, by year", frame,
                 {"Stream": "text", "Option": "text", "Name": "text"},
                 source="funding.csv (ring-fenced streams are drawn on before the general "
                        "pot where an opening could use either)")


def next_place(data: ResultFolder) -> Table:
    """Providers ranked by what one more place would save in the last year."""
    capacity = data.capacity[data.capacity["capacity"].notna()]
    grouped = capacity.groupby("provider_id", sort=False)
    last = capacity[capacity["year"] == data.last_year].set_index("provider_id")
    frame = _named(data, list(dict.fromkeys(capacity["provider_id"])))
    frame[f"Saving from one more place in {data.last_year} (£ a year)"] = (
        frame["Provider"].map(last["marginal_value"]))
    frame["Saving from one more place every year, all years (£)"] = (
        frame["Provider"].map(grouped["marginal_value"].sum()))
    frame["Years full"] = frame["Provider"].map(
        grouped["utilisation"].apply(lambda u: int((u >= FULL).sum())))
    frame[f"Utilisation in {data.last_year}"] = frame["Provider"].map(last["utilisation"])
    frame = frame.sort_values(list(frame.columns[3:5]), ascending=False, kind="stable")
    frame.insert(0, "Rank", range(1, len(frame) + 1))
    return Table("Where would the next place save most?", frame.reset_index(drop=True),
                 {"Rank": "places", "Provider": "text", "Name": "text", "Type": "text",
                  "Years full": "places", f"Utilisation in {data.last_year}": "percent"},
                 source="capacity.csv: marginal_value (the saving in that year's money from "
                        "one more place that year), utilisation")


def _provider_types(data: ResultFolder) -> dict[str, str]:
    types = {}
    for table in (data.baseline_placements, data.placements):
        if table is not None:
            types.update(zip(table["provider_id"], table["provider_type"], strict=True))
    if data.locations is not None:
        providers = data.locations[data.locations["kind"] == "provider"]
        types.update(zip(providers["id"], providers["type"], strict=True))
    return types


def capacity_grid(data: ResultFolder, column: str, kind: str, title: str) -> Table:
    """One capacity.csv column as providers by years (providers with a capacity limit)."""
    capacity = data.capacity[data.capacity["capacity"].notna()]
    providers = list(dict.fromkeys(capacity["provider_id"]))
    grid = capacity.pivot(index="provider_id", columns="year", values=column)
    grid = grid.reindex(index=providers, columns=data.years)
    frame = _named(data, providers)
    for year in data.years:
        frame[int(year)] = grid[year].to_numpy()
    return Table(title, frame, {"Provider": "text", "Name": "text", "Type": "text"},
                 default=kind, source=f"capacity.csv: {column}")


def _named(data: ResultFolder, providers: list[str]) -> pd.DataFrame:
    """Provider, Name, Type columns for a list of provider ids."""
    names, types = data.provider_names(), _provider_types(data)
    return pd.DataFrame({"Provider": providers,
                         "Name": [names.get(p, "") for p in providers],
                         "Type": [types.get(p, "") for p in providers]})


def unmet_by_year(data: ResultFolder) -> Table:
    plan, base = data.summary["plan"], data.summary["baseline"]
    return _year_table("Unmet need by year (pupils)", data, [
        ("Baseline", "pupils", base["unmet_pupils"], _total(base["unmet_pupils"])),
        ("Plan", "pupils", plan["unmet_pupils"], _total(plan["unmet_pupils"])),
    ], "summary.json unmet_pupils")


def unmet_detail(data: ResultFolder) -> Table:
    return Table("Unmet need in the plan, by group and year", data.unmet,
                 {c: "text" for c in data.unmet.columns if c in TEXT_COLUMNS} | {"year": "year"},
                 default="pupils", source="unmet.csv")


PLACEMENT_KINDS = {"year": "year", "pupils": "pupils", "minutes": "minutes",
                   "distance_km": "pupils", "placement_cost": "money", "transport_cost": "money"}


MAX_PLACEMENT_ROWS = 20_000  # a spreadsheet table to filter; placements.csv has them all


def placements(data: ResultFolder) -> Table:
    """The plan's placements; beyond MAX_PLACEMENT_ROWS, the largest (by pupils) in the
    first and last planning years, since writing every cell costs ~40 µs in openpyxl."""
    frame = data.placements
    kinds = {c: PLACEMENT_KINDS.get(c, "text") for c in frame.columns}
    source = "placements.csv (the plan; one row per zone group, provider and year)"
    if len(frame) > MAX_PLACEMENT_ROWS:
        ends = frame[frame["year"].isin([frame["year"].min(), frame["year"].max()])]
        frame = ends.nlargest(MAX_PLACEMENT_ROWS, "pupils").sort_values(
            ["year", "zone_id", "provider_id"], ignore_index=True)
        source = (f"placements.csv: the {len(frame):,} largest placements in the first and "
                  f"last years of {len(data.placements):,} rows; the CSV holds them all")
    return Table("Placements in the plan", frame, kinds, source=source)


def parameters(data: ResultFolder) -> Table:
    frame = pd.DataFrame([(name, _plain(value)) for name, value in data.options.items()],
                         columns=["Parameter", "Value"])
    return Table("Parameters in force", frame, {"Parameter": "text", "Value": "text"},
                 source="summary.json provenance.options (after the scenario was applied)")


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    return str(value)


def provenance(data: ResultFolder) -> Table:
    """Where the figures came from and how sure the solver is of them. objective_bound and
    gap_pounds are shown where the folder has them (folders of older runs do not)."""
    s = data.summary
    prov, solve = s.get("provenance", {}), s.get("solve", {})
    gap = s.get("mip_gap")
    rows = [
        ("Workbook", s.get("workbook", "")),
        ("Workbook SHA-256", prov.get("workbook_sha256", "")),
        ("Scenario", s.get("scenario", "")),
        ("Solver status", s.get("status", "")),
        ("Optimality gap of the plan", "" if gap is None else f"{gap:.2%}"),
    ]
    for label, key in (("Objective of the plan (discounted £)", "objective"),
                       ("Best bound the solver proved (discounted £)", "objective_bound"),
                       ("Gap in pounds: the most a better plan could save", "gap_pounds")):
        if s.get(key) is not None:
            rows.append((label, f"£{s[key]:,.0f}"))
    check = solve.get("check")
    if isinstance(check, dict) and "passed" in check:
        rows.append(("Independent check of the plan against the model",
                     "passed" if check["passed"] else "FAILED"))
    rows += [
        ("placeopt version", s.get("placeopt_version", "")),
        ("Solver", f"{solve.get('solver', '')} {solve.get('solver_version', '')}".strip()),
        ("Run started", prov.get("started_at", "")),
        ("Run finished", prov.get("finished_at", "")),
    ]
    return Table("Provenance", pd.DataFrame(rows, columns=["Item", "Value"]),
                 {"Item": "text", "Value": "text"}, source="summary.json")


# --- The story in words -----------------------------------------------------------------


def status_sentence(data: ResultFolder) -> str:
    s = data.summary
    gap, pounds = s.get("mip_gap"), s.get("gap_pounds")
    in_pounds = "" if pounds is None else f", {money_words(pounds)} in discounted cost"
    if s.get("status") == "optimal":
        return (f"The solver proved this plan optimal: no plan is cheaper by more than "
                f"{gap or 0.0:.2%}{in_pounds} (the tolerance set).")
    bound = ("how much better one could be is unknown (the solver had no bound yet)"
             if gap is None else f"one may be better by up to {gap:.1%} of its cost{in_pounds}")
    return (f"Caution: the solver stopped with status '{s.get('status')}'. This is the best "
            f"plan it found; {bound}.")


def story(data: ResultFolder) -> list[str]:
    """The business case in a few plain sentences (the solver's status apart)."""
    plan, base, saved = data.summary["plan"], data.summary["baseline"], data.summary["savings"]
    last, n_years = data.last_year, len(data.years)
    built = data.expansions[data.expansions["built"] == "yes"]
    rate = data.discount_rate
    extra = additional_pupils(data)
    lines = [
        f"By {last} the plan places {plan['out_of_area_pupils'][-1]:,.0f} pupils out of area, "
        f"against {base['out_of_area_pupils'][-1]:,.0f} in the baseline (only the committed "
        f"options built), and {plan['inmss_pupils'][-1]:,.0f} in independent or non-maintained "
        f"special schools against {base['inmss_pupils'][-1]:,.0f}.",
        f"It builds {len(built)} of {len(data.expansions)} options, "
        f"{plan['new_places'][-1]:,.0f} new places in all "
        f"({base['new_places'][-1]:,.0f} of them committed and in the baseline too), for "
        f"{money_words(_total(plan['capital_cost']))} of capital: "
        f"{money_words(saved['capital_cost_total'])} more than the baseline.",
        f"Out-of-area costs over the {n_years} years {_change_words(base, plan)}; in {last} "
        f"alone the plan {saves_words(saved['revenue_savings'][-1], _revenue_words(data))}"
        + _extra_pupils_clause(saved["revenue_savings"][-1], extra[-1], last) + ".",
    ]
    if has_measures(data):
        lines.append(_measures_words(data))
    npv, payback = saved["npv"], saved["payback_year"]
    lines.append(f"Discounted at {rate:.1%} a year (HM Treasury Green Book), over {n_years} "
                 f"years {_npv_words(npv, _total(extra))}, with capital charged as the model "
                 "charges it. "
                 + (f"It pays back in {payback}." if payback is not None
                    else "It does not pay back within the plan period."))
    residual = saved.get("residual_value", 0.0)
    cash = (f"counting all capital in full when it is spent, the net present value would be "
            f"{money_words(npv - residual)}.")
    if residual >= 0.5:
        lines.append(f"Of the new buildings' discounted capital cost, "
                     f"{money_words(residual)} falls beyond the plan period and is not "
                     f"charged to it (residual value); " + cash)
    elif residual <= -0.5:
        lines.append(f"The capital charged within the plan period exceeds the new buildings' "
                     f"discounted capital cost by {money_words(-residual)} (the annuity's "
                     f"financing cost, where an asset's life ends within the period); " + cash)
    lines.append(_unmet_words(_total(plan["unmet_pupils"]), _total(base["unmet_pupils"])))
    return lines


def _revenue_words(data: ResultFolder) -> str:
    return ("placement, transport and inclusion support" if has_measures(data)
            else "placement and transport")


def _measures_words(data: ResultFolder) -> str:
    """The inclusion measures in one sentence: how many the plan funds, what they do."""
    found = data.summary["inclusion"].values()
    funded = [m for m in found if m["started"]]
    pupil_years = sum(m["pupil_years_diverted"] for m in funded)
    cost = _total(data.summary["plan"]["inclusion_cost"])
    if not funded:
        return (f"It funds none of the {len(found)} inclusion measures: see Inclusion "
                "measures for why.")
    return (f"It funds {len(funded)} of the {len(found)} inclusion measures, keeping "
            f"{pupils_words(pupil_years)} pupil-years of specialist demand in mainstream "
            f"schools for {money_words(cost)} of running and support cost over the "
            f"{len(data.years)} years (in the revenue figures): see Inclusion measures.")


def _npv_words(npv: float, extra_pupil_years: float) -> str:
    """The net present value in words; a negative one is a cost, and when the plan places
    pupils the baseline cannot, that is what the cost buys."""
    if npv >= 0:
        return f"the plan is worth {money_words(npv)} more than the baseline (net present value)"
    if extra_pupil_years >= 0.0005:
        return (f"the plan costs {money_words(-npv)} more than the baseline (net present "
                f"value): the price of placing {pupils_words(extra_pupil_years)} pupil-years "
                "of need that the baseline leaves unmet, a good the net present value does "
                "not count")
    return f"the plan costs {money_words(-npv)} more than it saves (net present value)"


def _change_words(base: dict[str, list[float]], plan: dict[str, list[float]]) -> str:
    before, after = _total(base["out_of_area_cost"]), _total(plan["out_of_area_cost"])
    if abs(after - before) < 0.5:
        return f"stay at {money_words(after)}"
    return (f"{'fall' if after < before else 'rise'} from {money_words(before)} to "
            f"{money_words(after)}")


def _extra_pupils_clause(saving: float, extra: float, year: int) -> str:
    """Why the plan's revenue differs, when it places pupils the baseline cannot."""
    if extra < 0.0005:
        return ""
    placed = f"{pupils_words(extra)} more pupils in {year} than the baseline can"
    return f", because it places {placed}" if saving < 0 else f", while placing {placed}"


def _unmet_words(plan_unmet: float, base_unmet: float) -> str:
    """Unmet need in the plan and the baseline, in pupil-years, each said as it is."""
    if plan_unmet < 0.0005 and base_unmet < 0.0005:
        return "Every pupil has a place in every year, in the plan and in the baseline."
    if plan_unmet < 0.0005:
        return (f"In the plan every pupil has a place in every year; the baseline leaves "
                f"{base_unmet:,.1f} pupil-years of need unmet: see Unmet need.")
    return (f"{plan_unmet:,.1f} pupil-years of need are unmet in the plan "
            f"({base_unmet:,.1f} in the baseline): see Unmet need.")


def _capital_treatment(o: Mapping[str, Any]) -> str:
    """How the plan was charged for capital, in words."""
    if o.get("capital_treatment", "upfront") == "upfront":
        return "Capital is charged in full, discounted, in the year the option opens."
    life = o.get("asset_life_years", "")
    return (f"Capital is charged as an equal annual payment over the asset's life of {life} "
            "years (an annuity at the discount rate), from the year the option opens; only "
            "the payments that fall within the plan period are charged. Each payment is made "
            "at the start of its year, so a whole life of payments, discounted to the opening "
            "year, is the capital cost times (1 + the discount rate).")


def method(data: ResultFolder) -> list[tuple[str, str]]:
    """How the figures were made, in plain words: (heading, paragraph)."""
    o = data.options
    rate = data.discount_rate
    bias = float(o.get("optimism_bias", 0.0))
    limits = ", ".join(f"{phase.replace('_', ' ')} {o[f'max_travel_minutes_{phase}']:g}"
                       for phase in ("early_years", "primary", "secondary", "post16", "post19")
                       if f"max_travel_minutes_{phase}" in o)
    return [
        ("What the model does",
         "For every year of the plan, the model decides where each group of children and "
         "young people with an EHC plan (by home area, need, phase and the level of "
         "provision they need) is placed, and which of the proposed new places to build "
         "and when. It chooses the combination with the lowest total cost over the plan: "
         "placement fees, home-to-school transport and the capital of what it builds, with a "
         "very large charge for any pupil left without a place, so that nobody goes unplaced "
         "while a place exists. It is a mixed-integer programme solved with the HiGHS solver."),
        ("Which placements are allowed",
         "A pupil may only be placed where the type of setting suits the provision they "
         "need, the setting takes their need and phase, and the one-way journey is within "
         f"the limit for their phase (minutes: {limits}) unless the setting is residential. "
         "Pupils already in a placement stay there until they finish their phase"
         + (", unless the plan moves them (allow_moves)." if o.get("allow_moves") else ".")),
        ("The baseline",
         "The baseline is the 'do minimum' case: the same pupils and the same rules, with "
         "only the options marked as required (committed) built. Every saving in these "
         "reports is the baseline's cost minus the plan's, so it shows what the proposed "
         "programme adds over what would happen anyway."),
        ("Costs",
         "Placement costs are the annual cost per place given in the workbook. Transport "
         f"costs £{o.get('transport_base_cost', 0):,.0f} a pupil a year plus "
         f"£{o.get('transport_cost_per_km', 0):,.2f} per km of the journey each way, on "
         f"{o.get('school_days', '')} school days a year (fewer trips for residential "
         f"places); road distance is the straight-line distance times "
         f"{o.get('road_circuity', '')}. Capital costs include an optimism bias of {bias:.0%} "
         "(the Green Book's allowance for the tendency of projects to cost more than first "
         "estimated). Costs are in the workbook's prices, without inflation."),
        ("Discounting and net present value",
         f"Following the HM Treasury Green Book, a pound in a later year counts for less: "
         f"year k after the first is weighted by 1 / (1 + {rate:.3g})^k, a real discount rate "
         f"of {rate:.1%}. The net present value (NPV) is the sum over the years of the "
         "discounted revenue saving minus the discounted capital charge of the options the "
         "plan builds beyond the baseline, with capital charged exactly as the model "
         "charges it when it chooses the plan, so a plan the model prefers always has the "
         "higher NPV (leaving aside the charges for pupils without a place and for "
         "overspend). " + _capital_treatment(o)),
        ("Residual value",
         "The part of the new buildings' capital cost that the NPV does not charge to the "
         "plan period: the discounted capital cost minus the charge within the period, "
         "summed over the options beyond the baseline. With capital charged upfront it is "
         "zero. The NPV minus the residual value is the cash view, in which every pound of "
         "capital counts in full in the year it is spent. The capital tables show capital in "
         "that cash view (in the year each option opens)."),
        ("Payback year",
         "The first year from which the cumulative discounted net saving (on the same "
         "capital charge as the NPV) stays at or above zero for the rest of the plan. There "
         "is none if it is still negative in the last year, or if the plan is charged no "
         "more capital than the baseline."),
        ("Funding streams",
         "Capital comes in streams (the Budget sheet): the general pot 'capital', open to "
         "any option, and ring-fenced streams such as capital:free_school or capital:s106, "
         "which only the options that name them in their funding may use. Each stream's "
         "money carries forward from year to year if unspent, and in every year the "
         "capital drawn from a stream so far is at most what it has received so far. An "
         "option may be paid from several of its streams. Where an opening could be paid "
         "from more than one stream, these reports draw on the ring-fenced money before the "
         "general pot: the model is indifferent to the split."),
        ("What each project is worth",
         "For each option the plan builds, the model solves the plan again without that "
         "option alone, the rest of the programme free to change: the NPV it loses is what "
         "the option is worth to this programme. For each option the plan leaves out, it "
         "solves the plan again with that option built: the NPV change (usually a loss) says "
         "how far it is from being worth building, and a capital cost at or below which it "
         "would be built is given where one can be proved from that solve. Committed "
         "options are in the baseline too and get no value. These figures do not add up to "
         "the NPV of the whole programme: options work together, so each is valued with "
         "the others in place."),
        ("The value of one more place",
         "With the chosen programme fixed, the model also reports what one more place at a "
         "setting would save in a year, in that year's money (the 'marginal value'). It is "
         "zero where there is room to spare, and highest where a full setting forces pupils "
         "into dearer or more distant places. It holds for one extra place, not for a large "
         "expansion, which changes the picture it is measured on."),
        ("What the figures leave out",
         "Demand is the forecast in the workbook, taken as certain; the results are only as "
         "good as the forecast and the unit costs. The model places pupils where it is "
         "cheapest within the rules: it does not weigh parental preference, tribunal "
         "decisions or the quality of provision, against which the plan must still be "
         "checked. Pupil numbers are averages and need not be whole numbers."),
    ]


# --- Figures (matplotlib, for the HTML page) --------------------------------------------


def plot_text(text: str) -> str:
    """Workbook text for a matplotlib label: '$' would start mathtext, so it is escaped."""
    return str(text).replace("$", r"\$")


def figure_svg(figure: Any, name: str) -> str:
    """A matplotlib figure as an inline <svg> element for an HTML page: text kept as text,
    ids salted with `name` so that figures on one page cannot clash, and without the XML
    prologue, the RDF metadata and the namespace declarations (an HTML parser supplies the
    namespaces), so the page holds no address of any kind."""
    import io

    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text[text.index("<svg"):], flags=re.S)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text, count=2)
