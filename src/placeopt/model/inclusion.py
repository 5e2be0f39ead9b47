"""The inclusion measures' part of the model (SPEC §2 item 8 and the objective).

A measure m starts in a year of the model's choice, a[m,t] in {0, 1}; its effect
f[m,t] = sum_{tau<=t} a[m,tau] min(1, (t-tau+1)/ramp(m)) ramps up, and it runs (and is
paid for) in every year from its start, rho[m,t] = sum_{tau<=t} a[m,tau]. While it runs
it may divert v[m,g,t] pupils of new demand from each group g it matches to the group's
partner g' (the same zone, need and phase at `to_provision`). The families here are
written in a; `formulation` gives the solver "running by t" instead, as for options.

Every row lies in one year plus the measure and capital blocks, so the years route
splits a model with measures as it splits one without: the starts and their capital
join the builds in the master, the diverted pupils each year's LP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .instance import Instance
from .layout import INF, Layout, Rows, cells_of, non_decreasing, ramped, rows_of


def measure_costs(instance: Instance, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Objective coefficients of the measure block and of v: starting m in year tau
    costs K(m,tau) + annual_cost(m) sum_{t>=tau} delta_t (it runs from then on); each
    diverted pupil costs delta_t cost_per_pupil(m), besides the place it then takes."""
    table = instance.measures.table
    delta = instance.discount
    if not layout.n_a:
        return np.zeros(0), np.zeros(layout.n_v)
    capex = table["capex"].to_numpy(float)
    charge = instance.capex_charge(capex)[layout.a_measure, layout.a_year]
    running = np.cumsum(delta[::-1])[::-1]  # sum of delta from year k to the end
    start_cost = charge + table["annual_cost"].to_numpy(float)[layout.a_measure] * running[
        layout.a_year]
    support = delta[layout.v_year] * table["cost_per_pupil"].to_numpy(float)[layout.v_measure]
    return start_cost, support


def diverted_demand_terms(layout: Layout, row_of_cell: np.ndarray, n_years: int
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The v terms of the demand rows: group g needs D - sum_m v places, its partner
    D' + sum_m v. `row_of_cell` maps g * n_years + t to the demand row (-1: none)."""
    cols = layout.v_start + np.arange(layout.n_v)
    source = row_of_cell[layout.v_group * n_years + layout.v_year]
    partner = row_of_cell[layout.v_partner * n_years + layout.v_year]
    return (np.concatenate([source, partner]), np.concatenate([cols, cols]),
            np.concatenate([np.ones(layout.n_v), -np.ones(layout.n_v)]))


def budget_terms(instance: Instance, layout: Layout, row_of_year: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The measures' terms of the revenue budget rows (row_of_year: -1 for a year with
    none): annual_cost rho[m,t] + cost_per_pupil sum_g v[m,g,t]."""
    table = instance.measures.table
    if not layout.n_a:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    annual = table["annual_cost"].to_numpy(float)[layout.a_measure]
    # a[m,tau] runs in every year t >= tau: a ramp of one year, always at full share.
    cols, years, _ = ramped(layout.a_start + np.arange(layout.n_a), layout.a_year,
                            np.ones(layout.n_a, dtype=int), instance.n_years)
    cost = annual[cols - layout.a_start]
    v_rows = row_of_year[layout.v_year]
    support = table["cost_per_pupil"].to_numpy(float)[layout.v_measure]
    rows = np.concatenate([row_of_year[years], v_rows])
    cols = np.concatenate([cols, layout.v_start + np.arange(layout.n_v)])
    vals = np.concatenate([cost, support])
    keep = (rows >= 0) & (vals != 0)
    return rows[keep], cols[keep], vals[keep]


def capital_draws(layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(column, stream, year paid) of every draw of the q block, for the capital rows."""
    return (layout.q_start + np.arange(len(layout.q_a)), layout.q_stream,
            layout.a_year[layout.q_a])


def diversion_rows(instance: Instance, layout: Layout) -> Rows | None:
    """diversion[m,g,t]: v[m,g,t] - share(m) N[g,t] sum_{tau<=t} min(1, (t-tau+1)/ramp(m))
    a[m,tau] <= 0: a measure diverts at most its share of the new demand, as far as its
    effect has ramped up."""
    if not layout.n_v:
        return None
    table, n_years = instance.measures.table, instance.n_years
    cols, years, shares = ramped(layout.a_start + np.arange(layout.n_a), layout.a_year,
                                 table["ramp"].to_numpy(int)[layout.a_measure], n_years)
    measure = layout.a_measure[cols - layout.a_start]
    # row of each v, keyed by (measure, year); a start's terms go to every row of its
    # measure and year (one per matching group)
    v_key = layout.v_measure * n_years + layout.v_year
    a_key = measure * n_years + years
    order = np.argsort(v_key, kind="stable")
    lo = np.searchsorted(v_key[order], a_key, side="left")
    hi = np.searchsorted(v_key[order], a_key, side="right")
    count = hi - lo
    rows_a = np.concatenate([order[a:b] for a, b in zip(lo, hi, strict=True)]) if len(
        lo) else np.zeros(0, int)
    share = table["share"].to_numpy(float)[layout.v_measure[rows_a]]
    new = instance.measures.new_demand[layout.v_group[rows_a], layout.v_year[rows_a]]
    vals_a = -share * new * np.repeat(shares, count)
    rows = np.concatenate([np.arange(layout.n_v), rows_a])
    cols_all = np.concatenate([layout.v_start + np.arange(layout.n_v), np.repeat(cols, count)])
    vals = np.concatenate([np.ones(layout.n_v), vals_a])
    labels = pd.DataFrame({"measure": layout.v_measure, "group": layout.v_group,
                           "year": layout.v_year})
    return rows_of("diversion", diversion_rows.__doc__, rows, cols_all, vals,
                   np.full(layout.n_v, -INF), np.zeros(layout.n_v), labels)


def new_demand_rows(instance: Instance, layout: Layout) -> Rows | None:
    """new_demand[g,t]: sum_m v[m,g,t] <= N[g,t], where two or more measures can divert
    the same group's pupils (one alone diverts at most its share)."""
    if not layout.n_v:
        return None
    n_years = instance.n_years
    key = layout.v_group * n_years + layout.v_year
    inverse, distinct = cells_of(key)
    shared = np.bincount(inverse) >= 2
    keep = shared[inverse]
    if not keep.any():
        return None
    inverse, distinct = cells_of(key[keep])
    group, year = distinct // n_years, distinct % n_years
    return rows_of("new_demand", new_demand_rows.__doc__, inverse,
                   layout.v_start + np.flatnonzero(keep), np.ones(int(keep.sum())),
                   np.full(len(distinct), -INF), instance.measures.new_demand[group, year],
                   pd.DataFrame({"group": group, "year": year}))


def start_once_rows(instance: Instance, layout: Layout) -> Rows | None:
    """start_once[m]: sum_t a[m,t] <= 1, and = 1 for a required measure."""
    if not layout.n_a:
        return None
    inverse, measures = cells_of(layout.a_measure)
    required = instance.measures.table["required"].to_numpy(bool)[measures]
    return rows_of("start_once", start_once_rows.__doc__, inverse,
                   layout.a_start + np.arange(layout.n_a), np.ones(layout.n_a),
                   required.astype(float), np.ones(len(measures)),
                   pd.DataFrame({"measure": measures}))


def measure_funding_rows(instance: Instance, layout: Layout) -> Rows | None:
    """measure_funding[m,t]: sum_f q[m,f,t] - capex(m) a[m,t] = 0: a start's capital is
    paid in full from the measure's funding streams (as an option's opening is)."""
    if not layout.n_a:
        return None
    capex = instance.measures.table["capex"].to_numpy(float)[layout.a_measure]
    n_q = len(layout.q_a)
    rows = np.concatenate([layout.q_a, np.arange(layout.n_a)])
    cols = np.concatenate([layout.q_start + np.arange(n_q),
                           layout.a_start + np.arange(layout.n_a)])
    vals = np.concatenate([np.ones(n_q), -capex])
    keep = vals != 0  # no capital: its q are 0, a is free here
    zero = np.zeros(layout.n_a)
    return rows_of("measure_funding", measure_funding_rows.__doc__, rows[keep], cols[keep],
                   vals[keep], zero, zero,
                   pd.DataFrame({"measure": layout.a_measure, "year": layout.a_year}))


def keeps_running_rows(layout: Layout) -> Rows | None:
    """keeps_running[m,t]: s[m,t-1] - s[m,t] <= 0 in the solver's variables s (running
    by t), i.e. a[m,t] >= 0: once started, a measure runs on."""
    return non_decreasing("keeps_running", keeps_running_rows.__doc__, layout.a_start,
                          layout.a_prev, layout.a_measure, layout.a_year, "measure")


FAMILIES = (diversion_rows, new_demand_rows, start_once_rows, measure_funding_rows)
