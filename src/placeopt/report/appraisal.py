"""The appraisal a finance team signs: the NPV on the model's capital charge and on capital
counted when it is spent (the Green Book view, which ties to it), the paybacks on cash,
undiscounted and discounted, and the year-by-year table from which all of them can be
recomputed (SPEC §4).

A payback is never read off the model's annuity charge: under `annuity` that charge is a
small yearly payment, so the plan would seem to pay back in its first year whatever it
spends. Every payback this module words names its basis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .folder import ResultFolder
from .formats import (
    Table,
    additional_pupils,
    discount_factors,
    has_measures,
    revenue,
    saving_label,
    total,
    year_table,
)

WHEN_SPENT = "capital counted when spent"


def capital_basis(data: ResultFolder) -> str:
    """How the model charged capital, in a few words for a label."""
    options = data.options
    if options.get("capital_treatment", "upfront") == "upfront":
        return "capital charged in full in the opening year"
    return (f"capital charged as an annuity over {options.get('asset_life_years', '')} years,"
            " within the plan period")


def on_cash_basis(saved: dict[str, Any]) -> bool:
    """Whether the folder's paybacks count capital when spent (placeopt from issue 19 on);
    an older folder's payback_year was read off the model's capital charge."""
    return "discounted_payback_year" in saved


def payback_phrase(saved: dict[str, Any]) -> str:
    """The payback in words, naming its basis: 'pays back in 2030, capital counted when
    spent (2031 discounted)'."""
    year, discounted = saved.get("payback_year"), saved.get("discounted_payback_year")
    if not on_cash_basis(saved):
        return ("no payback year" if year is None else f"pays back in {year}") + (
            " on the model's capital charge (a result folder of an older placeopt)")
    if year is None and saved.get("capital_cost_total", 0.0) <= 0.005:
        return "spends no more capital than the baseline, so there is nothing to pay back"
    if year is None:
        return f"does not pay back within the plan period, {WHEN_SPENT}"
    then = ("the same year discounted" if discounted == year
            else "not within the plan period discounted" if discounted is None
            else f"{discounted} discounted")
    return f"pays back in {year}, {WHEN_SPENT} ({then})"


def _year_or_words(year: int | None, saved: dict[str, Any]) -> int | str:
    if year is not None:
        return year
    if saved.get("capital_cost_total", 0.0) <= 0.005:
        return "nothing to pay back"
    return "not within the plan"


def key_figures(data: ResultFolder) -> Table:
    """The value of the plan over the baseline: the NPV on both bases, the paybacks,
    capital, savings per place.

    A saving below zero is shown as the extra cost it is (SPEC §4: never describe a
    negative saving as a saving), beside the pupils the plan places beyond the baseline.
    """
    saved, last = data.summary["savings"], data.last_year
    rate = data.discount_rate
    per_place = saved["savings_per_new_place"]
    in_last = saving_label(saved["revenue_savings"][-1], f"Revenue saving in {last}",
                           f"Extra revenue cost in {last} (the plan costs more)")
    all_years = saving_label(total(saved["revenue_savings"]),
                             "Revenue saving, all years (undiscounted)",
                             "Extra revenue cost, all years (undiscounted)")
    per_new_place = (f"Revenue saving in {last} per new place beyond the baseline", "no new "
                     "places") if per_place is None else saving_label(
        per_place, f"Revenue saving in {last} per new place beyond the baseline",
        f"Extra revenue cost in {last} per new place beyond the baseline")
    negated = ", sign reversed (a saving below zero is an extra cost)"
    rows = [
        (f"Net present value over the baseline, {capital_basis(data)}, discounted at "
         f"{rate:.1%} a year", saved["npv"], "money", "savings.npv"),
        *_cash_rows(saved),
        ("Capital spent beyond the baseline (cash, with optimism bias)",
         saved["capital_cost_total"], "money", "savings.capital_cost_total"),
        *([("Residual value: the new assets' cost beyond the plan period (discounted)",
            saved["residual_value"], "money", "savings.residual_value")]
          if "residual_value" in saved else []),
        (*in_last, "money", f"savings.revenue_savings, {last}"
         + (negated if in_last[1] != saved["revenue_savings"][-1] else "")),
        (*per_new_place, "money", "savings.savings_per_new_place"
         + (negated if per_place is not None and per_place < 0 else "")),
        (*all_years, "money", "savings.revenue_savings, sum"
         + (negated if all_years[1] != total(saved["revenue_savings"]) else "")),
        ("Pupils placed beyond the baseline, all years (pupil-years)",
         total(additional_pupils(data)), "pupils", "savings.additional_pupils_placed, sum"),
    ]
    frame = pd.DataFrame([(label, value, src)
                          for label, value, _, src in rows],
                         columns=["Measure", "Value", "Source"])
    return Table("The value of the plan", frame, {"Measure": "text", "Source": "text"},
                 tuple(kind for _, _, kind, _ in rows),
                 source="summary.json: each Source is a field of it")


def _cash_rows(saved: dict[str, Any]) -> list[tuple[str, Any, str, str]]:
    """The Green Book NPV and the two paybacks, or an older folder's one payback."""
    if not on_cash_basis(saved):
        year = saved["payback_year"]
        return [("Payback year, on the model's capital charge (an older placeopt's folder)",
                 year if year is not None else "not within the plan", "year",
                 "savings.payback_year")]
    return [
        (f"Net present value, {WHEN_SPENT}, plus the residual value (the Green Book view: "
         "equal to the NPV above)", saved["npv_capital_when_spent"], "money",
         "savings.npv_capital_when_spent"),
        (f"Payback year, {WHEN_SPENT} (cash, undiscounted)",
         _year_or_words(saved["payback_year"], saved), "year", "savings.payback_year"),
        (f"Discounted payback year, {WHEN_SPENT}",
         _year_or_words(saved["discounted_payback_year"], saved), "year",
         "savings.discounted_payback_year"),
    ]


NET_SAVING = "Net saving: revenue saving - extra capital (below zero: a net cost)"
CUMULATIVE_CASH = "Cumulative net saving (cash): the payback year's basis"
CUMULATIVE_DISCOUNTED = "Cumulative discounted net saving: the discounted payback's basis"


def cost_by_year(data: ResultFolder) -> Table:
    """Costs, savings and net savings by year, plan against baseline: capital counted when
    spent (the paybacks' basis), and under `annuity` the model's capital charge too (the
    NPV's basis). Every all-years figure ties to summary.json."""
    plan, base, saved = data.summary["plan"], data.summary["baseline"], data.summary["savings"]
    extra = list(np.subtract(plan["capital_cost"], base["capital_cost"]))
    net = list(np.subtract(saved["revenue_savings"], extra))
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
            values = case[key] if key else revenue(case)
            rows.append((f"{case_name}: {label}", "money", list(values), total(values)))
    rows += [
        ("Revenue saving (baseline - plan; below zero: an extra cost)", "money",
         saved["revenue_savings"], total(saved["revenue_savings"])),
        ("Out-of-area saving (below zero: an extra cost)", "money",
         saved["out_of_area_savings"], total(saved["out_of_area_savings"])),
        ("Extra capital, counted when spent (plan - baseline, cash)", "money", extra,
         total(extra)),
        (NET_SAVING, "money", net, total(net)),
        (CUMULATIVE_CASH, "money", list(np.cumsum(net)), None),
        ("Discount factor", "factor", delta, None),
        ("Discounted net saving", "money", discounted, total(discounted)),
        (CUMULATIVE_DISCOUNTED, "money", list(np.cumsum(discounted)), None),
    ]
    charge = capital_charge(data)
    residual = float(saved.get("residual_value", 0.0))
    if not np.allclose(charge, extra, atol=0.005):  # annuity: the NPV is on the charge
        on_charge = list(np.multiply(delta, np.subtract(saved["revenue_savings"], charge)))
        rows += [("Extra capital charge, as the model charges it", "money", charge,
                  total(charge)),
                 ("Discounted net saving on the model's capital charge", "money", on_charge,
                  total(on_charge))]
        ties = ("the discounted net saving on the model's charge, all years, is savings.npv; "
                "the discounted net saving, all years, plus the residual value "
                f"(£{residual:,.0f}) is savings.npv_capital_when_spent")
    else:
        ties = ("the discounted net saving, all years, is savings.npv (and "
                "savings.npv_capital_when_spent: capital is charged when spent)")
    return year_table("Cost and saving by year", data, rows,
                      "summary.json (plan, baseline, savings); the discount factor is "
                      "(1 + discount_rate) ^ -(year - first year); " + ties)


def capital_charge(data: ResultFolder) -> list[float]:
    """The plan's extra capital charge by year (savings.capital_charge); a folder written
    before it was reported charged cash capital in the opening year."""
    saved, plan, base = data.summary["savings"], data.summary["plan"], data.summary["baseline"]
    if "capital_charge" in saved:
        return list(saved["capital_charge"])
    return list(np.subtract(plan["capital_cost"], base["capital_cost"]))
