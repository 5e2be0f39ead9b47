"""From solutions to results: the tables and the summary of SPEC §4.

Everything here is data: pandas tables and one JSON-able summary. Reports are views of
these (see `report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .formulation import Formulation, budget_coefficients
from .funding import funding_summary, funding_table
from .inclusion_results import MeasureView, inclusion_summary, inclusion_table, measure_view
from .instance import GROUP_KEY, NO_ARC, Instance, revenue_budget_binds
from .solve import CaseSolution, Solved

TINY = 0.0005  # pupils below this are rounding noise (outputs keep three decimals)
CASE_FIELDS = ("total_cost", "placement_cost", "transport_cost", "capital_cost",
               "out_of_area_cost", "inmss_cost", "pupils_placed", "out_of_area_pupils",
               "inmss_pupils", "unmet_pupils", "new_places", "overspend",
               "capital_charge",  # capital as the objective charges it, by year
               "inclusion_cost")  # inclusion measures: running and support (revenue)
UNMET_REASONS = {
    "no_arc": NO_ARC,
    "capacity": "capacity",
    "budget": "budget",
    "penalty": "unmet_penalty below the cost of any place",
}


@dataclass
class Results:
    summary: dict[str, Any]
    placements: pd.DataFrame
    expansions: pd.DataFrame
    capacity: pd.DataFrame
    unmet: pd.DataFrame
    costs: pd.DataFrame

    baseline_placements: pd.DataFrame
    locations: pd.DataFrame
    funding: pd.DataFrame
    boundaries: pd.DataFrame = field(  # zone outlines for the map (workbook.boundaries)
        default_factory=lambda: pd.DataFrame(columns=["zone_id", "geometry", "source"]))
    inclusion: pd.DataFrame | None = None  # inclusion.csv, with an Inclusion sheet only

    TABLES = ("placements", "expansions", "capacity", "unmet", "costs", "baseline_placements",
              "locations", "funding", "boundaries", "inclusion")


@dataclass(frozen=True)
class CaseView:
    """One solution laid out on the instance: pupils per arc-year, builds per option."""

    flows: pd.DataFrame  # arc, year, pupils (only x > TINY)
    unmet: np.ndarray  # (G, T)
    opened: np.ndarray  # (E, T) 1 where option e opens in year k
    open_places: np.ndarray  # (E, T) places of e open in year k
    measures: MeasureView  # the inclusion measures: started, diverted, their costs


def view(instance: Instance, formulation: Formulation, solution: CaseSolution) -> CaseView:
    layout = formulation.layout
    values = solution.values
    x = values[: layout.n_x]
    keep = x > TINY
    flows = pd.DataFrame({"arc": layout.x_arc[keep], "year": layout.x_year[keep],
                          "pupils": x[keep]})
    unmet = np.zeros_like(instance.demand)
    unmet[layout.u_group, layout.u_year] = values[layout.u_start:layout.b_start]
    n_options, n_years = len(instance.options), instance.n_years
    opened = np.zeros((n_options, n_years))
    opened[layout.b_option, layout.b_year] = np.round(layout.openings(values))
    ramp = instance.options["ramp"].to_numpy(int) if n_options else np.ones(0)
    places = instance.options["places"].to_numpy(float) if n_options else np.zeros(0)
    share = np.zeros((n_options, n_years))
    for k in range(n_years):
        for tau in range(k + 1):
            share[:, k] += opened[:, tau] * np.minimum(1.0, (k - tau + 1) / ramp)
    return CaseView(flows, unmet, opened, places[:, None] * share,
                    measure_view(instance, layout, values))


def case_arrays(instance: Instance, case: CaseView) -> dict[str, np.ndarray]:
    """The per-year arrays of one case (SPEC §4, plan and baseline objects)."""
    arcs, providers = instance.arcs, instance.providers
    n_years = instance.n_years
    flows = case.flows
    arc = flows["arc"].to_numpy()
    year = flows["year"].to_numpy()
    pupils = flows["pupils"].to_numpy()
    provider = arcs["provider"].to_numpy()[arc]
    placement = pupils * arcs["placement_cost"].to_numpy()[arc]
    transport = pupils * arcs["transport_cost"].to_numpy()[arc]
    out = ~providers["in_area"].to_numpy(bool)[provider]
    inmss = providers["type"].to_numpy()[provider] == "inmss"

    def per_year(weights: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        w = weights if mask is None else weights * mask
        return np.bincount(year, weights=w, minlength=n_years)[:n_years]

    capex = instance.options["capex"].to_numpy(float) if len(instance.options) else np.zeros(0)
    capital = capex @ case.opened if len(capex) else np.zeros(n_years)
    measures = case.measures
    capital = capital + measures.capital.sum(axis=0)
    inclusion = measures.revenue_cost
    covered = per_year(pupils * budget_coefficients(instance)[arc]) + inclusion
    budget = instance.revenue_budget
    overspend = np.where(np.isnan(budget), 0.0, np.maximum(0.0, covered - np.nan_to_num(budget)))
    placement_y, transport_y = per_year(placement), per_year(transport)
    charge = instance.capital_payments(case.opened) + instance.capital_payments(
        measures.started, instance.measures.table["capex"].to_numpy(float))
    return {
        "total_cost": placement_y + transport_y + inclusion + capital,
        "placement_cost": placement_y,
        "transport_cost": transport_y,
        "capital_cost": capital,
        "out_of_area_cost": per_year(placement + transport, out),
        "inmss_cost": per_year(placement + transport, inmss),
        "pupils_placed": per_year(pupils),
        "out_of_area_pupils": per_year(pupils, out),
        "inmss_pupils": per_year(pupils, inmss),
        "unmet_pupils": case.unmet.sum(axis=0),
        "new_places": case.open_places.sum(axis=0),
        "overspend": overspend,
        "capital_charge": charge,
        "inclusion_cost": inclusion,
    }


def savings(instance: Instance, plan: dict[str, np.ndarray],
            baseline: dict[str, np.ndarray]) -> dict[str, Any]:
    """Savings, NPV and payback of the plan against the baseline (SPEC §4).

    `npv` charges capital as the objective charges it (`Instance.capital_payments`:
    upfront, or the annuity-due within the asset's life and the horizon), so the plan the
    model prefers has the higher NPV, up to unmet, overspend and travel-minute terms. The
    part of the assets' cost the horizon does not charge is the residual value, and
    `npv_capital_when_spent` is the Green Book's view of the same plan: capital counted in
    cash when it is spent, plus that residual value; the two are equal. Paybacks are on
    cash (capital when spent), undiscounted and discounted, never on the annuity charge.
    """
    revenue = revenue_cost(baseline) - revenue_cost(plan)
    extra_capital = plan["capital_cost"] - baseline["capital_cost"]
    extra_charge = plan["capital_charge"] - baseline["capital_charge"]
    delta = instance.discount
    # The paybacks are read off the figures as summary.json states them (pence), so
    # anyone recomputing them from the file finds the same years.
    cash = np.round(revenue, 2) - np.round(extra_capital, 2)
    cumulative_cash = np.cumsum(cash)
    cumulative_discounted = np.cumsum(delta * cash)
    residual = float(delta @ (extra_capital - extra_charge))
    extra_places = plan["new_places"][-1] - baseline["new_places"][-1]
    return {
        "revenue_savings": revenue,
        "out_of_area_savings": baseline["out_of_area_cost"] - plan["out_of_area_cost"],
        "additional_pupils_placed": baseline["unmet_pupils"] - plan["unmet_pupils"],
        "capital_cost_total": float(extra_capital.sum()),
        "capital_charge": extra_charge,
        "residual_value": residual,
        "npv": float(delta @ (revenue - extra_charge)),
        "npv_capital_when_spent": float(delta @ (revenue - extra_capital)) + residual,
        "payback_year": payback_year(instance.years, cumulative_cash, extra_capital),
        "discounted_payback_year": payback_year(instance.years, cumulative_discounted,
                                                extra_capital),
        "savings_per_new_place": float(revenue[-1] / extra_places) if extra_places > TINY
        else None,
        "cumulative_net_saving": cumulative_cash,
        "cumulative_discounted_net_saving": cumulative_discounted,
    }


def revenue_cost(case: dict[str, np.ndarray]) -> np.ndarray:
    """(T,) a case's revenue cost: placements, transport and inclusion measures (arrays
    from an older summary have no inclusion_cost: none then)."""
    return case["placement_cost"] + case["transport_cost"] + case.get("inclusion_cost", 0.0)


PENNY = 0.005  # a cumulative saving above -half a penny is not below zero (float sums)


def payback_year(years: np.ndarray, cumulative: np.ndarray,
                 extra_capital: np.ndarray) -> int | None:
    """The first year from which the cumulative net saving (capital counted when spent)
    stays >= 0 to the end of the horizon (SPEC §4); None when it is below zero in the
    last year, or when the plan spends no more capital than the baseline in any year
    (there is nothing to pay back)."""
    if not len(years) or extra_capital.max() <= PENNY:
        return None
    below = np.flatnonzero(cumulative < -PENNY)
    if not len(below):
        return int(years[0])
    after = below[-1] + 1
    return int(years[after]) if after < len(years) else None


def savings_json(saved: dict[str, Any]) -> dict[str, Any]:
    """The savings as summary.json holds them: pounds to the penny, pupils to 3 decimals."""
    def rounded(key: str, value: Any) -> Any:
        digits = 3 if key == "additional_pupils_placed" else 2
        if isinstance(value, np.ndarray):
            return [round(float(v), digits) for v in value]
        if isinstance(value, float | np.floating):
            return round(float(value), digits)
        if isinstance(value, np.integer):
            return int(value)
        return value
    return {key: rounded(key, value) for key, value in saved.items()}


def placements_table(instance: Instance, case: CaseView) -> pd.DataFrame:
    arcs, providers, groups = instance.arcs, instance.providers, instance.groups
    flows = case.flows
    arc = flows["arc"].to_numpy()
    group = arcs["group"].to_numpy()[arc]
    provider = arcs["provider"].to_numpy()[arc]
    pupils = flows["pupils"].to_numpy()
    table = groups.iloc[group].reset_index(drop=True)
    table.insert(0, "year", instance.years[flows["year"].to_numpy()])
    table["provider_id"] = providers["provider_id"].to_numpy()[provider]
    table["provider_type"] = providers["type"].to_numpy()[provider]
    table["in_area"] = np.where(providers["in_area"].to_numpy(bool)[provider], "yes", "no")
    table["pupils"] = pupils.round(3)
    table["minutes"] = arcs["minutes"].to_numpy()[arc].round(1)
    table["distance_km"] = arcs["distance_km"].to_numpy()[arc].round(2)
    table["placement_cost"] = (pupils * arcs["placement_cost"].to_numpy()[arc]).round(2)
    table["transport_cost"] = (pupils * arcs["transport_cost"].to_numpy()[arc]).round(2)
    return table.sort_values(["year", *GROUP_KEY, "provider_id"], ignore_index=True)


def expansions_table(instance: Instance, case: CaseView) -> pd.DataFrame:
    """The options and the plan's builds. capital_cost is with optimism bias, as every
    capital output (the workbook's column of that name is without it); the column beside
    it, optimism_bias_included, gives the rate on every row, so the file says so itself
    and stays one header row of data."""
    options = instance.options
    columns = ["option_id", "name", "provider_id", "built", "open_year", "places",
               "capital_cost", "optimism_bias_included"]
    if options.empty:
        return pd.DataFrame(columns=columns)
    built = case.opened.sum(axis=1) > 0.5
    open_year = [int(instance.years[np.argmax(row)]) if b else None
                 for row, b in zip(case.opened, built, strict=True)]
    provider_ids = instance.providers["provider_id"].to_numpy()
    return pd.DataFrame({
        "option_id": options["option_id"],
        "name": options["name"],
        "provider_id": [provider_ids[s] if s >= 0 else o
                        for s, o in zip(options["provider"], options["option_id"], strict=True)],
        "built": np.where(built, "yes", "no"),
        "open_year": pd.array(open_year, dtype="Int64"),
        "places": options["places"],
        "capital_cost": options["capex"].round(2),
        "optimism_bias_included": float(instance.params["optimism_bias"]),
    })


def capacity_table(instance: Instance, formulation: Formulation, case: CaseView,
                   duals: np.ndarray) -> pd.DataFrame:
    """Capacity, pupils, utilisation and marginal value per provider and year (plan)."""
    providers = instance.providers
    n_s, n_years = len(providers), instance.n_years
    pupils = np.zeros((n_s, n_years))
    provider_of_flow = instance.arcs["provider"].to_numpy()[case.flows["arc"].to_numpy()]
    np.add.at(pupils, (provider_of_flow, case.flows["year"].to_numpy()),
              case.flows["pupils"].to_numpy())
    capacity = np.repeat(providers["capacity"].to_numpy(float)[:, None], n_years, axis=1)
    if len(instance.options):
        target = instance.options["provider"].to_numpy(int)
        ok = target >= 0
        np.add.at(capacity, target[ok], case.open_places[ok])
    marginal = np.zeros((n_s, n_years))
    labels = formulation.block("capacity").labels if any(
        r.name == "capacity" for r in formulation.rows) else pd.DataFrame(
        {"provider": [], "year": []})
    if len(labels):
        s, k = labels["provider"].to_numpy(int), labels["year"].to_numpy(int)
        # A HiGHS dual is d(objective)/d(rhs) in discounted pounds: one more place lowers
        # the cost, so the saving in the year's own money is -dual / delta_k.
        marginal[s, k] = -duals / instance.discount[k]
    finite = np.isfinite(capacity)
    utilisation = np.divide(pupils, capacity, out=np.full_like(pupils, np.nan),
                            where=finite & (capacity > 0))
    table = pd.DataFrame({
        "provider_id": np.repeat(providers["provider_id"].to_numpy(), n_years),
        "year": np.tile(instance.years, n_s),
        "capacity": np.where(finite, capacity, np.nan).ravel().round(3),
        "pupils": pupils.ravel().round(3),
        "utilisation": utilisation.ravel().round(4),
        "marginal_value": np.where(finite, marginal, np.nan).ravel().round(2),
    })
    return table


def unmet_table(instance: Instance, formulation: Formulation, case: CaseView,
                case_arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """Unmet pupils with a reason (docs/model.md, 'Why pupils are unmet')."""
    columns = ["year", *GROUP_KEY, "pupils", "reason"]
    g, k = np.nonzero(case.unmet > TINY)
    if not len(g):
        return pd.DataFrame(columns=columns)
    arcs = instance.arcs
    n_groups = len(instance.groups)
    has_arc = np.zeros(n_groups, dtype=bool)
    has_arc[arcs["group"].to_numpy()] = True
    cheapest = np.full(n_groups, np.inf)
    np.minimum.at(cheapest, arcs["group"].to_numpy(), formulation.arc_cost)
    budget = instance.revenue_budget
    # The budget can leave pupils unmet when it is hard, or soft with a weight on overspend
    # (a pupil beyond the budget then costs c + W c, which may exceed the penalty).
    budget_limits = revenue_budget_binds(instance.params)
    covered = case_arrays["placement_cost"] + case_arrays["inclusion_cost"] + (
        case_arrays["transport_cost"]
        if instance.params["budget_covers"] == "placements_and_transport" else 0.0)
    budget_binds = budget_limits & ~np.isnan(budget) & (
        covered >= np.nan_to_num(budget) * (1 - 1e-6))
    penalty = float(instance.params["unmet_penalty"])
    reasons = np.where(~has_arc[g], UNMET_REASONS["no_arc"],
                       np.where(penalty < cheapest[g], UNMET_REASONS["penalty"],
                                np.where(budget_binds[k], UNMET_REASONS["budget"],
                                         UNMET_REASONS["capacity"])))
    table = instance.groups.iloc[g].reset_index(drop=True)
    table.insert(0, "year", instance.years[k])
    table["pupils"] = case.unmet[g, k].round(3)
    table["reason"] = reasons
    return table[columns]


def costs_table(instance: Instance, cases: dict[str, CaseView]) -> pd.DataFrame:
    frames = []
    arcs, providers = instance.arcs, instance.providers
    for name, case in cases.items():
        flows = case.flows
        arc = flows["arc"].to_numpy()
        provider = arcs["provider"].to_numpy()[arc]
        pupils = flows["pupils"].to_numpy()
        frames.append(pd.DataFrame({
            "year": instance.years[flows["year"].to_numpy()],
            "case": name,
            "provider_type": providers["type"].to_numpy()[provider],
            "in_area": np.where(providers["in_area"].to_numpy(bool)[provider], "yes", "no"),
            "pupils": pupils,
            "placement_cost": pupils * arcs["placement_cost"].to_numpy()[arc],
            "transport_cost": pupils * arcs["transport_cost"].to_numpy()[arc],
        }))
    table = pd.concat(frames, ignore_index=True)
    table = table.groupby(["year", "case", "provider_type", "in_area"], as_index=False).sum()
    return table.round({"pupils": 3, "placement_cost": 2, "transport_cost": 2})


def _round(values: np.ndarray, digits: int = 2) -> list[float]:
    return [round(float(v), digits) for v in values]


def summarise(instance: Instance, formulation: Formulation, solved: Solved,
              provenance: dict[str, Any]) -> Results:
    plan_view = view(instance, formulation, solved.plan)
    base_view = view(instance, formulation, solved.baseline)
    funding = funding_table(instance, formulation, solved.plan.values, plan_view.opened,
                            plan_view.measures.started)
    plan = case_arrays(instance, plan_view)
    baseline = case_arrays(instance, base_view)
    saved = savings(instance, plan, baseline)

    def case_json(arrays: dict[str, np.ndarray]) -> dict[str, list[float]]:
        return {name: _round(arrays[name], 3 if "pupils" in name or "places" in name else 2)
                for name in CASE_FIELDS}

    summary = {
        "placeopt_version": provenance["placeopt_version"],
        "workbook": provenance["workbook"],
        "scenario": provenance["scenario"],
        "status": overall_status(solved),
        "mip_gap": solved.plan.mip_gap,
        "objective": round(solved.plan.objective, 2),
        "objective_bound": _rounded(solved.plan.bound),
        "gap_pounds": _rounded(solved.plan.gap_pounds),
        "explanation": explanation(solved),
        "baseline_objective": round(solved.baseline.objective, 2),
        "baseline_mip_gap": solved.baseline.mip_gap,
        "baseline_gap_pounds": _rounded(solved.baseline.gap_pounds),
        "years": [int(y) for y in instance.years],
        "plan": case_json(plan),
        "baseline": case_json(baseline),
        "savings": savings_json(saved),
        "funding": funding_summary(instance, funding),
        "solve": {
            "build_seconds": round(solved.build_seconds + provenance.get("compile_seconds", 0),
                                   3),
            "handoff_seconds": round(solved.handoff_seconds, 3),
            "solve_seconds": round(solved.solve_seconds, 3),
            "variables": solved.variables,
            "constraints": solved.constraints,
            "binaries": solved.binaries,
            "solver": solved.solver,
            "solver_version": solved.solver_version,
            "timings": {k: round(v, 3) for k, v in solved.timings.items()},
            "races": solved.races,
            "marginal_values": solved.duals_status,
            "check": check_summary(solved.checks),
        },
        "provenance": {**{k: v for k, v in provenance.items()
                          if k not in ("placeopt_version", "workbook", "scenario",
                                       "compile_seconds")},
                       "routes": solved.routes},
    }
    if len(instance.measures):
        summary["inclusion"] = inclusion_summary(instance, plan_view.measures,
                                                 base_view.measures)
    return Results(
        summary=summary,
        placements=placements_table(instance, plan_view),
        expansions=expansions_table(instance, plan_view),
        capacity=capacity_table(instance, formulation, plan_view, solved.capacity_duals),
        unmet=unmet_table(instance, formulation, plan_view, plan),
        costs=costs_table(instance, {"plan": plan_view, "baseline": base_view}),
        baseline_placements=placements_table(instance, base_view),
        locations=locations_table(instance),
        funding=funding,
        inclusion=inclusion_table(instance, {"plan": plan_view.measures,
                                             "baseline": base_view.measures})
        if len(instance.measures) else None,
    )


STATUS_ORDER = ("optimal", "time_limit", "interrupted")  # a run is as good as its worst


def overall_status(solved: Solved) -> str:
    return max((solved.baseline.status, solved.plan.status), key=STATUS_ORDER.index)


def explanation(solved: Solved) -> str | None:
    """Why the status is not "optimal", in words (SPEC §4); None when it is."""
    status = overall_status(solved)
    if status == "optimal":
        return None
    gap = solved.plan.gap_pounds
    gap_words = "the gap is unknown" if gap is None else (
        f"a better plan could save at most £{gap:,.0f} (discounted)")
    if status == "interrupted":
        return f"stopped by the user (Ctrl-C) before the solver proved the plan best; {gap_words}"
    return f"stopped at the time limit before the solver proved the plan best; {gap_words}"


def check_summary(checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The independent checks of every solve (verify), summed up for summary.json."""
    plan = checks.get("plan", {})
    resolves = [f"{name}: solved {' then '.join(c['attempts'][1:])}"
                for name, c in checks.items() if len(c.get("attempts", [])) > 1]
    resolves += [f"{name}: {c['fallback']}" for name, c in checks.items() if c.get("fallback")]
    return {
        "passed": all(c["passed"] for c in checks.values()),
        "objective_recomputed": plan.get("objective_recomputed"),
        "largest_violation": max((c["largest_violation"] for c in checks.values()),
                                 default=0.0),
        "resolves": resolves,
        "solves": checks,
    }


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def locations_table(instance: Instance) -> pd.DataFrame:
    """Where zones and providers are, for maps: kind, id, name, type, in_area, lat, lon."""
    zones = instance.zones
    providers = instance.providers
    return pd.concat([
        pd.DataFrame({"kind": "zone", "id": zones["zone_id"], "name": zones["name"],
                      "type": "", "in_area": "yes", "latitude": zones["latitude"],
                      "longitude": zones["longitude"]}),
        pd.DataFrame({"kind": "provider", "id": providers["provider_id"],
                      "name": providers["name"], "type": providers["type"],
                      "in_area": np.where(providers["in_area"].to_numpy(bool), "yes", "no"),
                      "latitude": providers["latitude"], "longitude": providers["longitude"]}),
    ], ignore_index=True)
