"""Numbers as the reports show them: in words, in cells, on axes; and the `Table` both
reports lay out. Shared by every part of the report wing (`content`, `appraisal`,
`capital`, `excel`, `html`) and the batch views.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .folder import ResultFolder

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

    def excel_format(self, decimals: int) -> str:
        """An Excel number format in this unit with `decimals` decimals (negatives '-£')."""
        scale = {"m": ',,"m"', "k": ',"k"', "": ""}[self.suffix]
        one = '"£"#,##0' + ("." + "0" * decimals if decimals else "") + scale
        return f"{one};-{one}"

    def decimals(self, ticks: Any) -> int:
        """The fewest decimals (at most 3) that show every tick exactly in this unit:
        ticks every £2.5m need one ('£2.5m'), every £2m none ('£2m')."""
        values = [float(t) / self.divisor for t in ticks]
        return next((d for d in range(3) if all(abs(v - round(v, d)) < 1e-6 for v in values)),
                    3)


def nice_step(span: float, ticks: int = 6) -> float:
    """A tick step of 1, 2 or 5 times a power of ten giving at most about `ticks` steps
    over `span`: ticks that read as round figures."""
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


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


def _pounds(divisor: float) -> Callable[[Any], str]:
    """Whole pounds (or thousands) without the £ sign, for tables whose title gives the
    unit: a year grid of full figures is too wide to print legibly."""
    return lambda v: f"{round(v / divisor) + 0:,.0f}"


@dataclass(frozen=True)
class Kind:
    """How a number is shown: an Excel number format and the same format for HTML."""

    excel: str
    text: Callable[[Any], str]


KINDS: dict[str, Kind] = {
    "money": Kind('"£"#,##0;-"£"#,##0', _money_cell),
    "pounds": Kind("#,##0;-#,##0", _pounds(1.0)),
    "thousands": Kind("#,##0,;-#,##0,", _pounds(1e3)),  # the cell keeps the exact value
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


# --- Figures of a result folder ----------------------------------------------------------


def total(values: list[float]) -> float:
    return float(np.sum(values))


def revenue(case: dict[str, list[float]]) -> list[float]:
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


def year_table(title: str, data: ResultFolder,
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
