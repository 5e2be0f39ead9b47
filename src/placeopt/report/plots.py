"""Axes of the matplotlib figures (report.html, batch.html, frontier.svg) that say what
they show: money ticks at round figures labelled with the decimals they need, an axis
whose values are all zero drawn as zero (not as -0.05 to 0.05), and the payback marked
where no legend can cover it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.ticker import FixedLocator, Formatter, MaxNLocator

from .formats import money_unit

ZERO = 0.005  # pounds: below this a figure is zero


class MoneyFormatter(Formatter):
    """£m, £k or £ by the largest tick, with the fewest decimals that tell every tick
    apart exactly (ticks every £2.5m read '£2.5m', every £2m '£2m')."""

    ticks: Sequence[float] = ()

    def set_locs(self, locs: Sequence[float]) -> None:
        self.ticks = [float(t) for t in locs if np.isfinite(t)]

    def __call__(self, x: float, pos: int | None = None) -> str:
        ticks = self.ticks or [x]
        unit = money_unit(max(abs(t) for t in ticks))
        return unit.text(x, unit.decimals(ticks))


def money_axis(axis: Axis, values: Sequence[float] | np.ndarray) -> None:
    """A money axis for these values: round ticks (1, 2 or 5 times a power of ten), each
    labelled as `MoneyFormatter` does; all zero: one tick, £0."""
    finite = np.asarray([v for v in np.ravel(values) if v is not None], dtype=float)
    finite = finite[np.isfinite(finite)]
    if not len(finite) or np.abs(finite).max() < ZERO:
        zero_axis(axis)
        return
    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    axis.set_major_formatter(MoneyFormatter())


def zero_axis(axis: Axis) -> None:
    """An axis whose values are all zero: from 0 to 1 with a single tick at £0, so no
    program invents a scale of -0.05 to 0.05."""
    axis.set_major_locator(FixedLocator([0.0]))
    axis.set_major_formatter(MoneyFormatter())
    if axis is axis.axes.yaxis:
        axis.axes.set_ylim(-0.05, 1.0)
    else:
        axis.axes.set_xlim(-0.05, 1.0)


def label_line(ax: Axes, x: float, text: str) -> None:
    """A vertical marker at `x` with its label above the plot, clear of any legend."""
    ax.axvline(x, color="#555555", linestyle="--", linewidth=1)
    ax.annotate(text, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 4),
                textcoords="offset points", ha="center", va="bottom", fontsize=9,
                color="#333333")


def style_years(ax: Axes, years: list[int]) -> None:
    ax.set_xlabel("Year")
    ax.set_xticks(years)
    ax.tick_params(axis="x", labelrotation=0, labelsize=8)
    ax.grid(axis="y", color="#E1E5EA")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def as_zero(values: Any, tolerance: float) -> np.ndarray:
    """Figures within `tolerance` of zero, shown as zero."""
    values = np.asarray(values, dtype=float)
    return np.where(np.abs(values) <= tolerance, 0.0, values)
