"""Which capital stream paid for what, by year (SPEC §1 Budget, §2 item 7).

The model needs only that every opening can be paid from its option's streams, stream
by stream and year by year; when an opening could be paid from more than one stream it
is indifferent to the split, and HiGHS returns any split that fits. Reported as it
comes, that can read as "the general pot paid for the free school while the free-school
grant lay unspent". So the split is drawn again, for the openings the plan chose, by a
small LP that draws on ring-fenced streams before the general pot `capital`: the
reported split is one the model allows (it meets the same rows), and a finance reader
sees ring-fenced money spent first. Should that LP fail, the solver's own split is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..workbook.schema import CAPITAL
from .formulation import Formulation
from .highs_lp import new_highs, pass_lp
from .instance import Instance

COLUMNS = ["year", "stream", "option_id", "amount"]


def funding_table(instance: Instance, formulation: Formulation, values: np.ndarray,
                  opened: np.ndarray, started: np.ndarray | None = None) -> pd.DataFrame:
    """funding.csv: one row per opening (or start of an inclusion measure, `started`) and
    stream that pays for it (amount > 0); a measure's id stands in the option_id column."""
    layout = formulation.layout
    if not layout.n_w and not len(layout.q_a):
        return pd.DataFrame(columns=COLUMNS)
    n_options = len(instance.options)
    measures = instance.measures.table
    # (payer, year, stream) of each draw, payers numbered options first, then measures
    keys = np.vstack([
        np.column_stack([layout.b_option[layout.w_b], layout.b_year[layout.w_b],
                         layout.w_stream]),
        np.column_stack([n_options + layout.a_measure[layout.q_a],
                         layout.a_year[layout.q_a], layout.q_stream]),
    ]).astype(int)
    amounts = values[layout.funding_columns].copy()
    ids = np.concatenate([instance.options["option_id"].to_numpy(object),
                          measures["measure_id"].to_numpy(object)])
    capex = np.concatenate([instance.options["capex"].to_numpy(float),
                            measures["capex"].to_numpy(float)])
    made = np.vstack([opened, started if started is not None
                      else np.zeros((len(measures), instance.n_years))])
    built = made[keys[:, 0], keys[:, 1]] > 0.5
    keys, amounts = keys[built], np.where(amounts[built] > 0, amounts[built], 0.0)
    split = split_capital(instance, keys, capex)
    if split.status == "paid":
        amounts = split.amounts
    keep = amounts > 0.005
    keys, amounts = keys[keep], amounts[keep]
    table = pd.DataFrame({
        "year": instance.years[keys[:, 1]].astype(int),
        "stream": np.array(instance.capital.names, dtype=object)[keys[:, 2]],
        "option_id": ids[keys[:, 0]],
        "amount": amounts.round(2),
    })
    return table.sort_values(["year", "stream", "option_id"], ignore_index=True)


@dataclass(frozen=True)
class CapitalSplit:
    """How openings could be paid for: `status` "paid" (with the amounts), "unpaid" (no
    split fits the capital streams) or "unknown" (the LP failed: why in `reason`)."""

    status: str
    amounts: np.ndarray
    reason: str = ""


def split_capital(instance: Instance, keys: np.ndarray, capex: np.ndarray | None = None,
                  through: int | None = None) -> CapitalSplit:
    """The one cumulative-capital LP (SPEC §2 item 7): amounts on each (payer, year index,
    stream) of `keys` such that each opening (payer, year) is paid in full (`capex`, by
    payer: options first, then inclusion measures; default the options') from its rows
    and every limited stream's cumulative drawing stays within its cumulative capital in
    every year up to `through` (default: the last), drawing on the general pot
    `capital` as little as the streams allow (ring-fenced money first)."""
    import highspy

    if not len(keys):
        return CapitalSplit("paid", np.zeros(0))
    capital = instance.capital
    if capex is None:
        capex = instance.options["capex"].to_numpy(float)
    last = instance.n_years - 1 if through is None else through
    openings, which = np.unique(keys[:, :2], axis=0, return_inverse=True)
    which = which.ravel()
    equal = np.zeros((len(openings), len(keys)))
    equal[which, np.arange(len(keys))] = 1.0
    rows, limits = [], []
    for f in np.flatnonzero(capital.limited):
        available = np.cumsum(capital.money[f])
        for t in range(last + 1):
            rows.append(((keys[:, 2] == f) & (keys[:, 1] <= t)).astype(float))
            limits.append(available[t])
    general = capital.names.index(CAPITAL)
    paid = capex[openings[:, 0]]
    # HiGHS itself (as every solve here), not scipy's linprog: importing scipy.optimize
    # cost every run half a second
    highs = new_highs()
    pass_lp(
        highs, np.vstack([np.array(rows).reshape(len(rows), len(keys)), equal]),
        (keys[:, 2] == general).astype(float), np.zeros(len(keys)),
        np.full(len(keys), np.inf), np.concatenate([np.full(len(rows), -np.inf), paid]),
        np.concatenate([np.array(limits, dtype=float), paid]))
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return CapitalSplit("paid", np.maximum(
            np.asarray(highs.getSolution().col_value, dtype=float), 0.0))
    if status in (highspy.HighsModelStatus.kInfeasible,
                  # (its cost cannot fall below 0: "unbounded or infeasible" is infeasible)
                  highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return CapitalSplit("unpaid", np.zeros(len(keys)))
    return CapitalSplit("unknown", np.zeros(len(keys)), highs.modelStatusToString(status))


def funding_summary(instance: Instance, table: pd.DataFrame) -> dict[str, Any]:
    """For summary.json: per stream, whether it has a limit, the capital arriving, spent
    and left over (carried forward) each year, in the plan."""
    years = [int(y) for y in instance.years]
    capital = instance.capital
    spent = table.pivot_table(index="stream", columns="year", values="amount", aggfunc="sum")
    streams = {}
    for f, name in enumerate(capital.names):
        used = spent.loc[name].reindex(years, fill_value=0.0).fillna(0.0).to_numpy() \
            if name in spent.index else np.zeros(len(years))
        if not capital.limited[f] and not used.any():
            continue  # the general pot, with no rows and nothing drawn on it
        entry: dict[str, Any] = {"limited": bool(capital.limited[f]),
                                 "spent": [round(float(v), 2) for v in used]}
        if capital.limited[f]:
            entry["available"] = [round(float(v), 2) for v in capital.money[f]]
            entry["unspent"] = [round(float(v), 2)
                                for v in np.cumsum(capital.money[f] - used)]
        streams[name] = entry
    return streams
