"""Where every variable sits, and how a block of rows is held: the vocabulary the
constraint families (`formulation`, `inclusion`) and the solvers share.

The columns of the model are one flat vector, in blocks:

    [x | u | y | o | w | s | q | v]

x pupils on each arc and year with demand; u unmet pupils per group and year; y the
option block (one column per option and year of its opening window); o overspend per
budget year; w the capital each opening draws from each of its streams; then the
inclusion measures (SPEC §2 item 8): s the measure block (one column per measure and
year of its start window), q the capital each start draws from each of its streams,
v pupils diverted by each measure from each group in each year. The measures' blocks
come last so that a model without them is laid out exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .instance import Instance, revenue_budget_binds

INF = float("inf")


@dataclass(frozen=True)
class Layout:
    """Where each variable sits in the flat column vector [x | u | y | o | w | s | q | v].

    The option block has one column per option e and year t of its opening window. The
    constraint families are written, as in SPEC §2, in b[e,t] (e opens in year t); the
    solver is given y[e,t] = sum_{tau<=t} b[e,tau] (e is open by year t) instead, with
    b[e,t] = y[e,t] - y[e,t-1] and y non-decreasing (`stays_open_rows`). The two are
    the same polytope, so the same optimum, but branching on "open by t" splits the
    timing decisions evenly where "opens exactly in t" does not: the plan's search needs
    far fewer nodes (docs/model.md). `b_prev` links each column to its option's
    previous window year (-1 for the first). The w block holds, for each option-block
    column and each capital stream its option may draw on, the money drawn (SPEC §2 (7)).

    The measure block is written in a[m,t] (m starts in t) and given to the solver the
    same way, as "running by t" (`a_prev` as `b_prev`); q is to it what w is to the
    option block; v[m,g,t] are the pupils measure m diverts from group g in year t to
    its partner group `v_partner`.
    """

    x_arc: np.ndarray
    x_year: np.ndarray
    u_group: np.ndarray
    u_year: np.ndarray
    b_option: np.ndarray
    b_year: np.ndarray
    o_year: np.ndarray
    b_prev: np.ndarray
    w_b: np.ndarray  # the b column (0-based within the b block) each w pays for
    w_stream: np.ndarray  # the capital stream it draws on
    a_measure: np.ndarray
    a_year: np.ndarray
    a_prev: np.ndarray
    q_a: np.ndarray  # the a column (0-based within the measure block) each q pays for
    q_stream: np.ndarray
    v_measure: np.ndarray
    v_group: np.ndarray
    v_partner: np.ndarray
    v_year: np.ndarray

    def openings(self, values: np.ndarray) -> np.ndarray:
        """b[e,t] of each option-block column, from a solution (or any column vector)."""
        return _firsts(values[self.b_start:self.o_start], self.b_prev)

    def starts(self, values: np.ndarray) -> np.ndarray:
        """a[m,t] of each measure-block column, from a solution."""
        return _firsts(values[self.a_start:self.q_start], self.a_prev)

    @property
    def b_last(self) -> np.ndarray:
        """Columns of the option block that are their option's last window year: y there
        says whether the option is built at all."""
        return _lasts(self.b_prev)

    @property
    def a_last(self) -> np.ndarray:
        """Columns of the measure block that are their measure's last window year."""
        return _lasts(self.a_prev)

    def opening_transform(self) -> sp.csc_matrix:
        """T with b = T y over all columns: the identity, and -1 at (column, previous
        window year's column) in the option block and in the measure block."""
        n = self.n_columns
        rows, cols = [np.arange(n)], [np.arange(n)]
        for start, prev in ((self.b_start, self.b_prev), (self.a_start, self.a_prev)):
            has = np.flatnonzero(prev >= 0)
            rows.append(start + has)
            cols.append(start + prev[has])
        rows_all, cols_all = np.concatenate(rows), np.concatenate(cols)
        values = np.concatenate([np.ones(n), -np.ones(len(rows_all) - n)])
        return sp.csc_matrix((values, (rows_all, cols_all)), shape=(n, n))

    @property
    def build_columns(self) -> np.ndarray:
        """The whole-number decisions the years route's master takes: the option block and
        the measure block (flat indices)."""
        return np.concatenate([np.arange(self.b_start, self.o_start),
                               np.arange(self.a_start, self.q_start)])

    @property
    def funding_columns(self) -> np.ndarray:
        """The capital drawn from each stream: the w and q blocks (flat indices)."""
        return np.concatenate([np.arange(self.w_start, self.a_start),
                               np.arange(self.q_start, self.v_start)])

    @property
    def n_x(self) -> int:
        return len(self.x_arc)

    @property
    def n_u(self) -> int:
        return len(self.u_group)

    @property
    def n_b(self) -> int:
        return len(self.b_option)

    @property
    def u_start(self) -> int:
        return self.n_x

    @property
    def b_start(self) -> int:
        return self.n_x + self.n_u

    @property
    def o_start(self) -> int:
        return self.b_start + self.n_b

    @property
    def w_start(self) -> int:
        return self.o_start + len(self.o_year)

    @property
    def n_w(self) -> int:
        return len(self.w_b)

    @property
    def a_start(self) -> int:
        return self.w_start + self.n_w

    @property
    def n_a(self) -> int:
        return len(self.a_measure)

    @property
    def q_start(self) -> int:
        return self.a_start + self.n_a

    @property
    def v_start(self) -> int:
        return self.q_start + len(self.q_a)

    @property
    def n_v(self) -> int:
        return len(self.v_measure)

    @property
    def n_columns(self) -> int:
        return self.v_start + self.n_v


def _firsts(by: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """'Happens in t' from 'has happened by t' (y[t] - y[t-1] within each window)."""
    before = np.where(prev >= 0, by[np.maximum(prev, 0)], 0.0)
    return by - before


def _lasts(prev: np.ndarray) -> np.ndarray:
    last = np.ones(len(prev), dtype=bool)
    last[prev[prev >= 0]] = False
    return last


def _windows(owner: np.ndarray) -> np.ndarray:
    """For columns grouped by owner (sorted), the previous column of the same owner."""
    same = np.concatenate([[False], owner[1:] == owner[:-1]]) if len(owner) else \
        np.zeros(0, dtype=bool)
    return np.where(same, np.arange(len(owner)) - 1, -1)


def _draws(owner: np.ndarray, funding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each decision column (owner index), one draw per stream of its funding:
    (the column each draw pays for, the stream)."""
    paid = [i for i, e in enumerate(owner) for _ in funding[e]]
    streams = [f for e in owner for f in funding[e]]
    return np.array(paid, dtype=int), np.array(streams, dtype=int)


def build_layout(instance: Instance) -> Layout:
    arcs = instance.arcs
    group_of_arc = arcs["group"].to_numpy()
    placeable = instance.placeable
    # An arc-year gets a variable only when its group may need places that year (locks
    # are scaled to demand, so a locked arc-year always has demand).
    x_arc, x_year = np.nonzero(placeable[group_of_arc])
    u_group, u_year = np.nonzero(placeable)
    b_option, b_year = [], []
    years = instance.years
    for e, option in instance.options.iterrows():
        if not option["enabled"] or option["provider"] < 0:
            continue
        for k in np.flatnonzero((years >= option["earliest"]) & (years <= option["latest"])):
            b_option.append(e)
            b_year.append(k)
    soft = revenue_budget_binds(instance.params) and instance.params["budget_limit"] == "soft"
    o_year = np.flatnonzero(~np.isnan(instance.revenue_budget)) if soft else np.array([], int)
    b_option = np.array(b_option, dtype=int)
    funding = instance.options["funding"].to_numpy(object) if len(b_option) else []
    w_b, w_stream = _draws(b_option, funding)
    measures = instance.measures
    a_measure, a_year = np.nonzero(measures.window)
    m_funding = measures.table["funding"].to_numpy(object) if len(a_measure) else []
    q_a, q_stream = _draws(a_measure, m_funding)
    cells = measures.cells
    return Layout(x_arc, x_year, u_group, u_year, b_option, np.array(b_year, dtype=int),
                  o_year.astype(int), _windows(b_option), w_b, w_stream,
                  a_measure, a_year, _windows(a_measure), q_a, q_stream,
                  cells["measure"].to_numpy(int), cells["group"].to_numpy(int),
                  cells["partner"].to_numpy(int), cells["year"].to_numpy(int))


def ramped(columns: np.ndarray, years: np.ndarray, ramp: np.ndarray, n_years: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triplets (column, year, share) of something begun in `years` by each column that
    reaches full effect evenly over `ramp` years: min(1, (t - tau + 1) / ramp) in each
    year t >= tau."""
    out_columns, out_years, shares = [], [], []
    for offset in range(n_years):
        t = years + offset
        ok = t < n_years
        out_columns.append(columns[ok])
        out_years.append(t[ok])
        shares.append(np.minimum(1.0, (offset + 1) / ramp[ok]))
    return np.concatenate(out_columns), np.concatenate(out_years), np.concatenate(shares)


@dataclass(frozen=True)
class Rows:
    """A block of linear rows lower <= A x <= upper (CSR), one constraint family."""

    name: str
    doc: str
    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    labels: pd.DataFrame  # one row per constraint: what it is about (provider, year, ...)

    def __len__(self) -> int:
        return len(self.lower)


def rows_of(name: str, doc: str, row: np.ndarray, col: np.ndarray, val: np.ndarray,
            lower: np.ndarray, upper: np.ndarray, labels: pd.DataFrame) -> Rows:
    """Assemble CSR rows from (row, column, value) triplets."""
    n = len(lower)
    order = np.lexsort((col, row))
    row, col, val = row[order], col[order], val[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, row + 1, 1)
    return Rows(name, doc, np.cumsum(indptr), col.astype(np.int64), val.astype(float),
                lower.astype(float), upper.astype(float), labels.reset_index(drop=True))


def cells_of(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row number of each key among the distinct keys, and the distinct keys."""
    distinct, inverse = np.unique(keys, return_inverse=True)
    return inverse, distinct


def non_decreasing(name: str, doc: str | None, start: int, prev: np.ndarray,
                   owner: np.ndarray, year: np.ndarray, owner_name: str) -> Rows | None:
    """Rows y[prev] - y[column] <= 0 for each column of a block (from `start`) that has a
    previous window year: "done by t" never goes back."""
    has = np.flatnonzero(prev >= 0)
    if not len(has):
        return None
    rows = np.repeat(np.arange(len(has)), 2)
    cols = start + np.column_stack([prev[has], has]).ravel()
    labels = pd.DataFrame({owner_name: owner[has], "year": year[has]})
    return rows_of(name, doc or "", rows, cols, np.tile([1.0, -1.0], len(has)),
                   np.full(len(has), -INF), np.zeros(len(has)), labels)
