"""The independent check of every solution before it is reported (SPEC §4, "No unverified
answer").

A solver's word is not enough: HiGHS has returned "optimal" for a start solution it
accepted in its presolved space while the solution, put back into the model as built,
left every pupil unmet at a cost 8x the objective it reported (OR-Library cap71). So each
solution is put back into the formulation as built, with the bounds in force for that
solve: every row and bound must hold within tolerance, integer columns must be whole,
and the objective recomputed from the solution must equal the solver's.

Tolerances are relative to the size of the numbers involved: a revenue budget row sums
pupil counts times tens of thousands of pounds, a demand row counts pupils.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

FEASIBILITY = 1e-6  # relative violation of a row or bound tolerated
INTEGRALITY = 1e-5  # distance from a whole number tolerated for an integer column
OBJECTIVE = 1e-6  # relative difference between recomputed and reported objective


@dataclass(frozen=True)
class Bounds:
    """The model a solve was asked to solve: rows and column bounds in force."""

    matrix: sp.csr_matrix  # rows x formulation columns
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # bool per column (all False for an LP)
    cost: np.ndarray
    offset: float = 0.0

    @property
    def constant(self) -> float:
        """The cost of every column at its lower bound (pupils who must stay, committed
        options): what no decision changes, which the gap is measured without."""
        lower = np.where(np.isfinite(self.col_lower), self.col_lower, 0.0)
        return float(self.cost @ lower)


@dataclass(frozen=True)
class Violation:
    kind: str  # "row" | "bound" | "integrality"
    index: int  # row or column
    amount: float  # how far outside, in the row's or column's own units
    relative: float  # amount / the scale it is judged against


@dataclass(frozen=True)
class SolutionCheck:
    """What the check found for one solve."""

    passed: bool
    objective_reported: float
    objective_recomputed: float
    largest_violation: float  # relative, over every row and bound
    largest_fraction: float  # distance of an integer column from a whole number
    worst: Violation | None = None  # the largest violation or fraction, where it is
    reason: str = ""  # why it failed, in words
    attempts: tuple[str, ...] = field(default_factory=tuple)  # how it was solved, in order

    def as_dict(self, describe: Any = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "passed": self.passed,
            "objective_reported": round(self.objective_reported, 2),
            "objective_recomputed": round(self.objective_recomputed, 2),
            "largest_violation": float(f"{self.largest_violation:.3g}"),
            "largest_fraction": float(f"{self.largest_fraction:.3g}"),
            "attempts": list(self.attempts),
        }
        if self.reason:
            out["reason"] = self.reason
        if self.worst is not None and describe is not None:
            out["worst"] = describe(self.worst)
        return out


def _largest(kind: str, amount: np.ndarray, scale: np.ndarray,
             index: np.ndarray | None = None) -> Violation | None:
    if not len(amount):
        return None
    relative = np.maximum(amount, 0.0) / scale
    i = int(np.argmax(relative))
    if relative[i] <= 0:
        return None
    where = int(i if index is None else index[i])
    return Violation(kind, where, float(amount[i]), float(relative[i]))


def _scale(*arrays: np.ndarray) -> np.ndarray:
    """Elementwise max of 1 and the finite magnitudes given."""
    return np.maximum.reduce([np.ones_like(arrays[0])]
                             + [np.abs(np.where(np.isfinite(a), a, 0.0)) for a in arrays])


def check_solution(bounds: Bounds, values: np.ndarray, objective: float,
                   attempts: tuple[str, ...] = ()) -> SolutionCheck:
    """Put `values` back into the model as built and judge it."""
    x = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(x)):
        bad = int(np.flatnonzero(~np.isfinite(x))[0])
        return SolutionCheck(False, objective, float("nan"), float("inf"), 0.0,
                             Violation("bound", bad, float("inf"), float("inf")),
                             "the solution holds a value that is not a number", attempts)
    activity = bounds.matrix @ x
    # A row is judged against the size of its terms (|a| . |x|) and of its bounds.
    row = _largest("row", np.maximum(bounds.row_lower - activity, activity - bounds.row_upper),
                   _scale(abs(bounds.matrix) @ np.abs(x), bounds.row_lower, bounds.row_upper))
    bound = _largest("bound", np.maximum(bounds.col_lower - x, x - bounds.col_upper),
                     _scale(x, bounds.col_lower, bounds.col_upper))
    whole = np.flatnonzero(bounds.integer)
    fraction = _largest("integrality", np.abs(x[whole] - np.round(x[whole])),
                        np.ones(len(whole)), whole)
    violations = [v for v in (row, bound) if v is not None]
    worst_violation = max(violations, key=lambda v: v.relative, default=None)
    largest = 0.0 if worst_violation is None else worst_violation.relative
    largest_fraction = 0.0 if fraction is None else fraction.amount
    recomputed = float(bounds.cost @ x + bounds.offset)
    reasons = []
    if largest > FEASIBILITY:
        reasons.append(f"a {worst_violation.kind} is violated by {worst_violation.amount:.6g}")
    if largest_fraction > INTEGRALITY:
        reasons.append(f"a whole-number variable is {largest_fraction:.3g} from whole")
    if abs(recomputed - objective) > OBJECTIVE * max(1.0, abs(recomputed), abs(objective)):
        reasons.append(f"the objective recomputed from the solution (£{recomputed:,.2f}) is "
                       f"not the solver's (£{objective:,.2f})")
    worst = fraction if largest_fraction > INTEGRALITY and largest <= FEASIBILITY \
        else worst_violation
    return SolutionCheck(not reasons, objective, recomputed, largest, largest_fraction, worst,
                         "; ".join(reasons), attempts)
