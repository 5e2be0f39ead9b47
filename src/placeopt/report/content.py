"""What both business-case reports say: their tables, sentences and number formats.

Everything here is computed from a result folder as read back from disk (`folder`), so
`placeopt report DIR` can rebuild the reports of an old run and every figure in them can
be traced to a file. `excel` and `html` (with `map`) lay these out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .appraisal import WHEN_SPENT, capital_basis, on_cash_basis, payback_phrase
from .folder import TEXT_COLUMNS, ResultFolder
from .formats import (
    Table,
    additional_pupils,
    has_measures,
    money_words,
    pupils_words,
    revenue,
    saves_words,
    total,
    year_table,
)

FULL = 0.999  # utilisation at or above this counts as full
TYPE_NAMES = {"mainstream": "mainstream", "resourced": "resourced provision",
              "special": "state special", "inmss": "INMSS",
              "college": "college", "ap": "alternative provision"}
TYPE_COLOURS = {"mainstream": "4E79A7", "resourced": "59A14F", "special": "F28E2B",
                "inmss": "E15759", "college": "76B7B2", "ap": "B07AA1"}
CASE_COLOURS = {"baseline": "8C8C8C", "plan": "1F77B4"}
OUT_OF_AREA = " (out of area)"


# --- The tables both reports show -------------------------------------------------------


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
        ("Out-of-area cost, all years", "money", total(base["out_of_area_cost"]),
         total(plan["out_of_area_cost"]), "out_of_area_cost, sum"),
        ("INMSS cost, all years", "money", total(base["inmss_cost"]),
         total(plan["inmss_cost"]), "inmss_cost, sum"),
        ("Placement and transport cost, all years", "money", total(revenue(base)),
         total(revenue(plan)), "placement_cost + transport_cost, sum"),
        *([("Inclusion measures (running and support), all years", "money",
            total(base["inclusion_cost"]), total(plan["inclusion_cost"]),
            "inclusion_cost, sum")] if has_measures(data) else []),
        ("Capital, all years", "money", total(base["capital_cost"]),
         total(plan["capital_cost"]), "capital_cost, sum"),
        ("Total cost, all years (cash, undiscounted)", "money", total(base["total_cost"]),
         total(plan["total_cost"]), "total_cost, sum"),
        (f"New places open by {last}", "pupils", base["new_places"][i],
         plan["new_places"][i], f"new_places, {last}"),
        ("Unmet need, pupil-years", "pupils", total(base["unmet_pupils"]),
         total(plan["unmet_pupils"]), "unmet_pupils, sum"),
    ]
    frame = pd.DataFrame(
        [(label, b, p, p - b, src)
         for label, _, b, p, src in rows],
        columns=["Measure", "Baseline", "Plan", "Plan - baseline", "Source"])
    return Table("Plan against baseline", frame, {"Measure": "text", "Source": "text"},
                 tuple(kind for _, kind, *_ in rows),
                 source="summary.json: each Source is a field of its baseline and plan")


def pupils_by_year(data: ResultFolder) -> Table:
    plan, base = data.summary["plan"], data.summary["baseline"]
    rows: list[tuple[str, str, list[float], float | None]] = []
    for label, key in (("pupils placed", "pupils_placed"),
                       ("out-of-area pupils", "out_of_area_pupils"),
                       ("INMSS pupils", "inmss_pupils"), ("new places open", "new_places"),
                       ("unmet pupils", "unmet_pupils")):
        for case_name, case in (("Baseline", base), ("Plan", plan)):
            rows.append((f"{case_name}: {label}", "pupils", case[key], None))
    return year_table("Pupils and places by year", data, rows, "summary.json (plan, baseline)")


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
    return year_table("Unmet need by year (pupils)", data, [
        ("Baseline", "pupils", base["unmet_pupils"], total(base["unmet_pupils"])),
        ("Plan", "pupils", plan["unmet_pupils"], total(plan["unmet_pupils"])),
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
        f"{money_words(total(plan['capital_cost']))} of capital: "
        f"{money_words(saved['capital_cost_total'])} more than the baseline.",
        f"Out-of-area costs over the {n_years} years {_change_words(base, plan)}; in {last} "
        f"alone the plan {saves_words(saved['revenue_savings'][-1], _revenue_words(data))}"
        + _extra_pupils_clause(saved["revenue_savings"][-1], extra[-1], last) + ".",
    ]
    if has_measures(data):
        lines.append(_measures_words(data))
    npv = saved["npv"]
    lines.append(f"Discounted at {rate:.1%} a year (HM Treasury Green Book), over {n_years} "
                 f"years {_npv_words(npv, total(extra))}, with {capital_basis(data)}. "
                 f"It {payback_phrase(saved)}.")
    lines += _residual_words(saved)
    lines.append(_unmet_words(total(plan["unmet_pupils"]), total(base["unmet_pupils"])))
    return lines


def _revenue_words(data: ResultFolder) -> str:
    return ("placement, transport and inclusion support" if has_measures(data)
            else "placement and transport")


def _measures_words(data: ResultFolder) -> str:
    """The inclusion measures in one sentence: how many the plan funds, what they do."""
    found = data.summary["inclusion"].values()
    funded = [m for m in found if m["started"]]
    pupil_years = sum(m["pupil_years_diverted"] for m in funded)
    cost = total(data.summary["plan"]["inclusion_cost"])
    if not funded:
        return (f"It funds none of the {len(found)} inclusion measures: see Inclusion "
                "measures for why.")
    return (f"It funds {len(funded)} of the {len(found)} inclusion measures, keeping "
            f"{pupils_words(pupil_years)} pupil-years of specialist demand in mainstream "
            f"schools for {money_words(cost)} of running and support cost over the "
            f"{len(data.years)} years (in the revenue figures): see Inclusion measures.")


def _residual_words(saved: dict[str, Any]) -> list[str]:
    """The residual value, and how the NPV ties to the Green Book view of the plan."""
    npv, residual = saved["npv"], saved.get("residual_value", 0.0)
    if not on_cash_basis(saved):
        return [f"Of the new buildings' discounted capital cost, {money_words(residual)} falls "
                "beyond the plan period and is not charged to it (residual value)."] \
            if abs(residual) >= 0.5 else []
    if abs(residual) < 0.5:
        return []
    return [f"Of the new buildings' discounted capital cost, {money_words(residual)} falls "
            "beyond the plan period and is not charged to it (residual value). Counting "
            f"capital in full when it is spent and adding that residual value back (the Green "
            f"Book view), the plan is worth the same: "
            f"{money_words(saved['npv_capital_when_spent'])} against "
            f"{money_words(npv)}."]


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
    before, after = total(base["out_of_area_cost"]), total(plan["out_of_area_cost"])
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
            "at the start of its year (an annuity due), so a whole life of payments, "
            "discounted to the opening year, is exactly the capital cost: an asset whose life "
            "ends within the plan period costs the same as if it were charged upfront.")


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
        ("Residual value and the Green Book view",
         "The residual value is the part of the new buildings' capital cost that the NPV "
         "does not charge to the plan period: the discounted capital cost minus the charge "
         "within the period, summed over the options beyond the baseline (what the assets "
         "are still worth at the end). With capital charged upfront, or an asset's whole "
         "life within the period, it is zero. The Green Book view of the same plan counts "
         "capital in full in the year it is spent and adds the residual value at the end; "
         "it equals the NPV, and both are shown so that they can be tied. The capital "
         "tables show capital when it is spent (in the year each option opens)."),
        ("Payback years",
         f"Payback is on cash, {WHEN_SPENT}: the first year from which the cumulative net "
         "saving (revenue saving minus the extra capital spent that year, undiscounted) "
         "stays at or above zero for the rest of the plan. The discounted payback year is "
         "the same with each year's net saving discounted. There is none if the cumulative "
         "saving is still negative in the last year, or if the plan spends no more capital "
         "than the baseline (nothing to pay back). A payback on the model's annuity charge "
         "is never given: the charge is a small yearly payment, so the plan would seem to "
         "pay back at once whatever it spends."),
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
