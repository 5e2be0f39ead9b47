"""The placement and capacity model of SPEC §2, as a Pyomo model indexed by arcs.

Building happens in two steps. First each constraint family is computed as a block of
sparse rows with numpy (`Rows`), over a flat layout of the variables (`layout.Layout`):
one x per arc and year with demand, one u per group and year with demand, one b per
option and possible opening year, one o per budget year, one w per b and stream of the
option's funding, then the inclusion measures' blocks (`inclusion`). Then `to_pyomo`
turns the blocks into one Pyomo constraint component per family, each row a
`LinearExpression`. Nothing loops over zones x providers x years: the work is
proportional to the number of arc-years.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import inclusion
from .instance import Instance, arc_unit_cost, budget_unit_cost, revenue_budget_binds
from .layout import (
    INF,
    Layout,
    Rows,
    build_layout,
    cells_of,
    non_decreasing,
    ramped,
    rows_of,
)

if TYPE_CHECKING:  # Pyomo is imported only when a Pyomo model is made (`to_pyomo`): the
    # default hand-off never makes one, and importing Pyomo (which then imports
    # scipy.stats whenever scipy is imported) costs a run about a second of start-up
    import pyomo.environ as pyo


@dataclass(frozen=True)
class Columns:
    """Bounds, integrality and objective coefficient of every column."""

    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    cost: np.ndarray


@dataclass(frozen=True)
class Formulation:
    """Everything the solver needs, before it is written as a Pyomo model."""

    layout: Layout
    columns: Columns
    rows: tuple[Rows, ...]
    arc_cost: np.ndarray  # undiscounted objective cost per pupil-year on each arc

    def block(self, name: str) -> Rows:
        return next(r for r in self.rows if r.name == name)

    def block_rows(self, name: str) -> np.ndarray:
        """Stacked row indices of one family (empty if the model has none)."""
        offsets = self.row_offsets
        return next((np.arange(offsets[i], offsets[i + 1]) for i, r in enumerate(self.rows)
                     if r.name == name), np.zeros(0, dtype=np.int64))

    @property
    def row_offsets(self) -> np.ndarray:
        """Where each block starts when the blocks are stacked (and one past the end)."""
        return np.cumsum([0] + [len(r) for r in self.rows])

    def stacked(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """Every row as one CSR matrix over the columns, with its lower and upper bounds."""
        n = self.layout.n_columns
        if not self.rows:
            return sp.csr_matrix((0, n)), np.zeros(0), np.zeros(0)
        matrix = sp.vstack([sp.csr_matrix((r.values, r.indices, r.indptr), shape=(len(r), n))
                            for r in self.rows], format="csr")
        return (matrix, np.concatenate([r.lower for r in self.rows]),
                np.concatenate([r.upper for r in self.rows]))


def formulate(instance: Instance, strong_linking: bool = False,
              open_by: bool = True) -> Formulation:
    """Compute the variables and every constraint family of SPEC §2 as sparse rows.

    The families are written in b (an option opens in year t), then given to the solver
    in y (open by year t): each block's matrix is multiplied by T (b = T y) and the cost
    by T' (see `Layout`). `open_by=False` keeps SPEC §2's own variables b: the plain
    model the tests compare every faster route with (its option block is b, not y, so
    `Layout.openings` does not apply to its solutions)."""
    layout = build_layout(instance)
    columns, arc_cost = _columns(instance, layout)
    families: list[Callable[[Instance, Layout], Rows | None]] = [
        demand_rows, capacity_rows, limit_rows, open_once_rows, option_group_rows,
        revenue_budget_rows, funding_rows, capital_rows, *inclusion.FAMILIES,
    ]
    if strong_linking:
        families.append(new_site_linking_rows)
    rows = [r for family in families
            if (r := family(instance, layout)) is not None and len(r)]
    if not open_by:
        return Formulation(layout, columns, tuple(rows), arc_cost)
    transform = layout.opening_transform()
    rows = [_in_open_by(r, transform) for r in rows]
    for stays in (stays_open_rows(instance, layout), inclusion.keeps_running_rows(layout)):
        if stays is not None:
            rows.append(stays)
    columns = Columns(columns.lower, columns.upper, columns.integer,
                      transform.T @ columns.cost)
    return Formulation(layout, columns, tuple(rows), arc_cost)


def _in_open_by(rows: Rows, transform: sp.csc_matrix) -> Rows:
    """A block written in b, rewritten in y (A b = A T y)."""
    matrix = sp.csr_matrix((rows.values, rows.indices, rows.indptr),
                           shape=(len(rows), transform.shape[0])) @ transform
    matrix = matrix.tocsr()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return Rows(rows.name, rows.doc, matrix.indptr.astype(np.int64),
                matrix.indices.astype(np.int64), matrix.data, rows.lower, rows.upper,
                rows.labels)


def stays_open_rows(instance: Instance, layout: Layout) -> Rows | None:
    """stays_open[e,t]: y[e,t-1] - y[e,t] <= 0, i.e. b[e,t] >= 0: once open, an option
    stays open (the solver's variables are y; see `Layout`)."""
    return non_decreasing("stays_open", stays_open_rows.__doc__, layout.b_start,
                          layout.b_prev, layout.b_option, layout.b_year, "option")


def baseline_shut(instance: Instance, layout: Layout) -> np.ndarray:
    """The columns the baseline ("do minimum") holds at 0: every option-block column of
    an option that is not required, and every measure-block column of a measure that is
    not required (SPEC §2)."""
    options = instance.options["required"].to_numpy(bool)[layout.b_option] \
        if layout.n_b else np.zeros(0, dtype=bool)
    measures = instance.measures.table["required"].to_numpy(bool)[layout.a_measure] \
        if layout.n_a else np.zeros(0, dtype=bool)
    return np.concatenate([layout.b_start + np.flatnonzero(~options),
                           layout.a_start + np.flatnonzero(~measures)])


def _columns(instance: Instance, layout: Layout) -> tuple[Columns, np.ndarray]:
    params = instance.params
    arc_cost = arc_unit_cost(params, instance.arcs)
    delta = instance.discount
    n = layout.n_columns
    lower, upper = np.zeros(n), np.full(n, INF)
    integer = np.zeros(n, dtype=bool)
    cost = np.zeros(n)
    x = slice(0, layout.n_x)
    cost[x] = delta[layout.x_year] * arc_cost[layout.x_arc]
    lower[x] = instance.lock[layout.x_arc, layout.x_year]
    # A placement the rules would not make now keeps its arc for its own pupils only.
    forced = np.flatnonzero(instance.forced[layout.x_arc])  # x columns come first
    upper[forced] = instance.current[layout.x_arc[forced], layout.x_year[forced]]
    integer[x] = bool(params["integer_placements"])
    u = slice(layout.u_start, layout.b_start)
    cost[u] = delta[layout.u_year] * float(params["unmet_penalty"])
    b = slice(layout.b_start, layout.o_start)
    upper[b], integer[b] = 1.0, True
    # A committed option with one possible year opens then: fixed (in b and in y alike),
    # so a baseline with no other choice has its builds fixed (one LP per year).
    window = np.bincount(layout.b_option, minlength=len(instance.options))[layout.b_option] \
        if layout.n_b else np.zeros(0, dtype=int)
    pinned = (window == 1) & instance.options["required"].to_numpy(bool)[layout.b_option] \
        if layout.n_b else np.zeros(0, dtype=bool)
    lower[layout.b_start + np.flatnonzero(pinned)] = 1.0
    cost[b] = instance.capex_charge()[layout.b_option, layout.b_year]
    o = slice(layout.o_start, layout.w_start)
    cost[o] = delta[layout.o_year] * float(params["overspend_weight"])
    a, v = slice(layout.a_start, layout.q_start), slice(layout.v_start, layout.n_columns)
    upper[a], integer[a] = 1.0, True
    cost[a], cost[v] = inclusion.measure_costs(instance, layout)
    integer[v] = bool(params["integer_placements"])
    return Columns(lower, upper, integer, cost), arc_cost


def demand_rows(instance: Instance, layout: Layout) -> Rows:
    """demand[g,t]: sum_s x[g,s,t] + u[g,t] + sum_m v[m,g,t] - sum_m v[m,g~,t] = D[g,t],
    for every group and year that may need places: a measure's diverted pupils leave the
    demand of their group g and join that of its partner (g~: groups whose partner is g)."""
    n_years = instance.n_years
    row_of_u = layout.u_group * n_years + layout.u_year
    x_key = instance.arcs["group"].to_numpy()[layout.x_arc] * n_years + layout.x_year
    x_rows = np.searchsorted(row_of_u, x_key)  # row_of_u is sorted: it comes from nonzero()
    row_of_cell = np.full(len(instance.groups) * n_years, -1)
    row_of_cell[row_of_u] = np.arange(layout.n_u)
    v_rows, v_cols, v_vals = inclusion.diverted_demand_terms(layout, row_of_cell, n_years)
    rows = np.concatenate([x_rows, np.arange(layout.n_u), v_rows])
    cols = np.concatenate([np.arange(layout.n_x), layout.u_start + np.arange(layout.n_u),
                           v_cols])
    vals = np.concatenate([np.ones(layout.n_x + layout.n_u), v_vals])
    rhs = instance.demand[layout.u_group, layout.u_year]
    labels = pd.DataFrame({"group": layout.u_group, "year": layout.u_year})
    return rows_of("demand", demand_rows.__doc__, rows, cols, vals, rhs, rhs, labels)


def _opened_share(instance: Instance, layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triplets (b column, year, share): option opened in tau gives min(1,(t-tau+1)/ramp)
    of its places in year t >= tau."""
    ramp = instance.options["ramp"].to_numpy(int)[layout.b_option]
    return ramped(layout.b_start + np.arange(layout.n_b), layout.b_year, ramp,
                  instance.n_years)


def capacity_rows(instance: Instance, layout: Layout) -> Rows:
    """capacity[s,t]: sum_g x[g,s,t] - sum_{e at s} places(e) sum_{tau<=t} ramp(e,t,tau)
    b[e,tau] <= cap(s) + over_roll(s,t), for providers with finite capacity (new sites
    have cap 0); over_roll = current pupils who must stay beyond cap (see instance)."""
    n_years = instance.n_years
    capacity = instance.providers["capacity"].to_numpy(float)
    provider_of_arc = instance.arcs["provider"].to_numpy()
    x_provider = provider_of_arc[layout.x_arc]
    finite = np.isfinite(capacity)
    keep_x = finite[x_provider]
    b_cols, b_years, shares = _opened_share(instance, layout)
    b_option = layout.b_option[b_cols - layout.b_start]
    b_provider = instance.options["provider"].to_numpy(int)[b_option]
    keep_b = finite[b_provider]
    key_x = x_provider[keep_x] * n_years + layout.x_year[keep_x]
    key_b = b_provider[keep_b] * n_years + b_years[keep_b]
    inverse, distinct = cells_of(np.concatenate([key_x, key_b]))
    places = instance.options["places"].to_numpy(float)[b_option[keep_b]]
    cols = np.concatenate([np.flatnonzero(keep_x), b_cols[keep_b]])
    vals = np.concatenate([np.ones(keep_x.sum()), -places * shares[keep_b]])
    provider, year = distinct // n_years, distinct % n_years
    labels = pd.DataFrame({"provider": provider, "year": year})
    upper = capacity[provider] + instance.over_roll[provider, year]
    return rows_of("capacity", capacity_rows.__doc__, inverse, cols, vals,
                   np.full(len(distinct), -INF), upper, labels)


def limit_rows(instance: Instance, layout: Layout) -> Rows | None:
    """limit[l,t]: sum over the limit's arcs of x[a,t] <= places(l) + over_roll(l,t)
    (CapacityLimits; over_roll as for capacity)."""
    if instance.limits.empty:
        return None
    n_years = instance.n_years
    limit_of_arc = [np.full(len(a), i) for i, a in enumerate(instance.limits["arcs"])]
    arcs_in = np.concatenate(list(instance.limits["arcs"]))
    limit_ids = np.concatenate(limit_of_arc)
    # x columns of each (arc, year): sort x by arc to find them without a dense lookup
    order = np.argsort(layout.x_arc, kind="stable")
    starts = np.searchsorted(layout.x_arc[order], arcs_in, side="left")
    stops = np.searchsorted(layout.x_arc[order], arcs_in, side="right")
    cols, keys = [], []
    for lid, start, stop in zip(limit_ids, starts, stops, strict=True):
        members = order[start:stop]
        cols.append(members)
        keys.append(lid * n_years + layout.x_year[members])
    if not cols or not sum(len(c) for c in cols):
        return None
    cols_all, keys_all = np.concatenate(cols), np.concatenate(keys)
    inverse, distinct = cells_of(keys_all)
    limit, year = distinct // n_years, distinct % n_years
    places = instance.limits["places"].to_numpy(float)[limit] + np.array(
        [instance.limits["over_roll"].iat[i][k] for i, k in zip(limit, year, strict=True)])
    labels = pd.DataFrame({"limit": limit, "year": year})
    return rows_of("limit", limit_rows.__doc__, inverse, cols_all, np.ones(len(cols_all)),
                   np.full(len(distinct), -INF), places, labels)


def open_once_rows(instance: Instance, layout: Layout) -> Rows | None:
    """open_once[e]: sum_t b[e,t] <= 1, and = 1 for a required option."""
    if not layout.n_b:
        return None
    inverse, options = cells_of(layout.b_option)
    required = instance.options["required"].to_numpy(bool)[options]
    return rows_of("open_once", open_once_rows.__doc__, inverse,
                   layout.b_start + np.arange(layout.n_b), np.ones(layout.n_b),
                   required.astype(float), np.ones(len(options)),
                   pd.DataFrame({"option": options}))


def option_group_rows(instance: Instance, layout: Layout) -> Rows | None:
    """option_group[G]: sum_{e in G} sum_t b[e,t] <= 1 (alternative sizes or sites)."""
    group = instance.options["group"].to_numpy(object)[layout.b_option] if layout.n_b else []
    has = np.array([isinstance(g, str) and g != "" for g in group], dtype=bool)
    if not has.any():
        return None
    names = np.array([str(g).lower() for g in group[has]])
    inverse, distinct = cells_of(names)
    return rows_of("option_group", option_group_rows.__doc__, inverse,
                   layout.b_start + np.flatnonzero(has), np.ones(has.sum()),
                   np.full(len(distinct), -INF), np.ones(len(distinct)),
                   pd.DataFrame({"group": distinct}))


def budget_coefficients(instance: Instance) -> np.ndarray:
    """What the revenue budget pays per pupil-year on each arc."""
    return budget_unit_cost(instance.params, instance.arcs)


def revenue_budget_rows(instance: Instance, layout: Layout) -> Rows | None:
    """revenue_budget[t]: sum c(s) [+ tau(z,s)] x[g,s,t] - o[t] <= B[t]; o absent (= 0)
    when the limit is hard; no rows when the budget cannot bind (`revenue_budget_binds`)
    or the year has no budget."""
    if not revenue_budget_binds(instance.params):
        return None
    budget_years = np.flatnonzero(~np.isnan(instance.revenue_budget))
    if not len(budget_years):
        return None
    row_of_year = np.full(instance.n_years, -1)
    row_of_year[budget_years] = np.arange(len(budget_years))
    x_rows = row_of_year[layout.x_year]
    keep = x_rows >= 0
    rows = [x_rows[keep]]
    cols = [np.flatnonzero(keep)]
    vals = [budget_coefficients(instance)[layout.x_arc[keep]]]
    if len(layout.o_year):
        rows.append(row_of_year[layout.o_year])
        cols.append(layout.o_start + np.arange(len(layout.o_year)))
        vals.append(-np.ones(len(layout.o_year)))
    for terms, part in zip((rows, cols, vals),
                           inclusion.budget_terms(instance, layout, row_of_year), strict=True):
        terms.append(part)
    return rows_of("revenue_budget", revenue_budget_rows.__doc__, np.concatenate(rows),
                   np.concatenate(cols), np.concatenate(vals), np.full(len(budget_years), -INF),
                   instance.revenue_budget[budget_years], pd.DataFrame({"year": budget_years}))


def funding_rows(instance: Instance, layout: Layout) -> Rows | None:
    """funding[e,t]: sum_f w[e,f,t] - capex(e) b[e,t] = 0, for every b: an opening is paid
    in full from the option's funding streams f."""
    if not layout.n_b:
        return None
    capex = instance.options["capex"].to_numpy(float)[layout.b_option]
    rows = np.concatenate([layout.w_b, np.arange(layout.n_b)])
    cols = np.concatenate([layout.w_start + np.arange(layout.n_w),
                           layout.b_start + np.arange(layout.n_b)])
    vals = np.concatenate([np.ones(layout.n_w), -capex])
    keep = vals != 0  # a free option: its w are 0, b is unconstrained here
    zero = np.zeros(layout.n_b)
    return rows_of("funding", funding_rows.__doc__, rows[keep], cols[keep], vals[keep], zero,
                   zero, pd.DataFrame({"option": layout.b_option, "year": layout.b_year}))


def capital_rows(instance: Instance, layout: Layout) -> Rows | None:
    """capital[f,t]: sum_{tau<=t} (sum_e w[e,f,tau] + sum_m q[m,f,tau]) <= sum_{tau<=t}
    C_f[tau], for every stream f with Budget rows and every year of the horizon (unspent
    capital carries forward, stream by stream; a year without rows adds nothing; a stream
    without rows, e.g. `capital` in a workbook with no capital rows, has no limit). q is
    what inclusion measures draw, as options draw w."""
    capital = instance.capital
    limited = np.flatnonzero(capital.limited)
    q_cols, q_stream, q_paid = inclusion.capital_draws(layout)
    draws = np.concatenate([layout.w_start + np.arange(layout.n_w), q_cols])
    if not len(limited) or not len(draws):
        return None
    n_years = instance.n_years
    row_of_stream = np.full(len(capital.names), -1)
    row_of_stream[limited] = np.arange(len(limited)) * n_years
    start = row_of_stream[np.concatenate([layout.w_stream, q_stream])]
    paid_in = np.concatenate([layout.b_year[layout.w_b], q_paid])
    keep = np.flatnonzero(start >= 0)
    # a draw paid in tau enters the rows of its stream for every year t >= tau.
    repeats = n_years - paid_in[keep]
    rows = np.concatenate([np.arange(s + k, s + n_years)
                           for s, k in zip(start[keep], paid_in[keep], strict=True)]) \
        if len(keep) else np.zeros(0, int)
    cols = np.repeat(draws[keep], repeats)
    available = np.cumsum(capital.money[limited], axis=1).ravel()
    labels = pd.DataFrame({"stream": np.repeat(limited, n_years),
                           "year": np.tile(np.arange(n_years), len(limited))})
    return rows_of("capital", capital_rows.__doc__, rows, cols, np.ones(len(cols)),
                   np.full(len(available), -INF), available, labels)


def new_site_linking_rows(instance: Instance, layout: Layout) -> Rows | None:
    """new_site_link[a,t]: x[g,s,t] - D[g,t] sum_{tau<=t} b[e(s),tau] <= 0 for arcs to a
    new site: a pupil can go there only once it is open (tightens the LP bound)."""
    providers = instance.providers
    site_option = {int(s): e for e, s in enumerate(instance.options["provider"])
                   if s >= 0 and instance.options.at[e, "new_site"]}
    provider_of_x = instance.arcs["provider"].to_numpy()[layout.x_arc]
    is_site = providers["new_site"].to_numpy(bool)[provider_of_x]
    xs = np.flatnonzero(is_site)
    if not len(xs):
        return None
    b_index = {(int(e), int(k)): layout.b_start + i
               for i, (e, k) in enumerate(zip(layout.b_option, layout.b_year, strict=True))}
    group_of_x = instance.arcs["group"].to_numpy()[layout.x_arc]
    rows, cols, vals = [], [], []
    for r, j in enumerate(xs):
        e, t = site_option[int(provider_of_x[j])], int(layout.x_year[j])
        rows.append(r)
        cols.append(j)
        vals.append(1.0)
        for tau in range(t + 1):
            col = b_index.get((e, tau))
            if col is not None:
                rows.append(r)
                cols.append(col)
                vals.append(-instance.demand[group_of_x[j], t])
    return rows_of("new_site_link", new_site_linking_rows.__doc__, np.array(rows),
                   np.array(cols), np.array(vals), np.full(len(xs), -INF), np.zeros(len(xs)),
                   pd.DataFrame({"x": xs}))


def to_pyomo(formulation: Formulation) -> pyo.ConcreteModel:
    """The formulation as a Pyomo model: variables x, u, b, o, w, a, q, v; one constraint
    per family."""
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    layout, columns = formulation.layout, formulation.columns
    m = pyo.ConcreteModel(name="placeopt")
    spans = {"x": (0, layout.n_x), "u": (layout.u_start, layout.b_start),
             "b": (layout.b_start, layout.o_start), "o": (layout.o_start, layout.w_start),
             "w": (layout.w_start, layout.a_start), "a": (layout.a_start, layout.q_start),
             "q": (layout.q_start, layout.v_start), "v": (layout.v_start, layout.n_columns)}
    flat: list[pyo.Var] = []
    for name, (start, stop) in spans.items():
        lower, upper = columns.lower[start:stop], columns.upper[start:stop]
        integer = columns.integer[start:stop]

        def bounds(_m, i, lower=lower, upper=upper):
            return (lower[i], None if upper[i] == INF else upper[i])

        def domain(_m, i, integer=integer):
            return pyo.Integers if integer[i] else pyo.Reals

        var = pyo.Var(range(stop - start), domain=domain, bounds=bounds)
        m.add_component(name, var)
        flat.extend(var.values())
    for block in formulation.rows:
        m.add_component(block.name, _constraint(block, flat))
    nonzero = np.flatnonzero(columns.cost)
    m.cost = pyo.Objective(expr=LinearExpression(
        constant=0.0, linear_coefs=columns.cost[nonzero].tolist(),
        linear_vars=[flat[j] for j in nonzero]), sense=pyo.minimize)
    m._flat_columns = flat  # the column order the solver hand-off keeps
    return m


def _constraint(block: Rows, flat: list[pyo.Var]) -> pyo.Constraint:
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    indptr, indices, values = block.indptr, block.indices, block.values
    lower, upper = block.lower, block.upper

    def rule(_m, i):
        lo, hi = indptr[i], indptr[i + 1]
        body = LinearExpression(constant=0.0, linear_coefs=values[lo:hi].tolist(),
                                linear_vars=[flat[j] for j in indices[lo:hi]])
        return (None if lower[i] == -INF else lower[i], body,
                None if upper[i] == INF else upper[i])

    return pyo.Constraint(range(len(block)), rule=rule, doc=block.doc)
