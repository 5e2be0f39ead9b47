"""What every route solving the model promises: solve the model as it stands within these
limits; give back the plan, its proven bound, the status and what was tried.

Two routes keep the promise (docs/decisions/0011, 0012): `whole` (one HiGHS MIP,
model/whole.py) and `years` (Benders over years: a master over the builds, one LP per
year, model/benders.py). The portfolio (model/portfolio.py) decides which to run, or
races them. Each route reads the model from the `ModelState` and checks every answer
against it (model/verify.py) before it gives the answer back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .verify import SolutionCheck
from .watch import Watch

# The statuses an attempt ends with. A proof: "optimal" (within the gap asked for) or
# "infeasible" (no plan exists). Without one: "time_limit", "interrupted" (Ctrl-C, or
# stopped because the other route of a race proved first), "no_plan" (stopped before any
# plan), "failed" (the route cannot solve this model: `note` says why; another may).
PROOFS = ("optimal", "infeasible")


ROUTES = ("auto", "years", "whole")


@dataclass(frozen=True)
class SolverSettings:
    mip_gap: float = 1e-3
    time_limit: float = 600.0  # seconds per solve, whatever route it takes
    threads: int = 0  # 0: every core
    verbose: bool = False  # the solver's own log on the terminal
    highs_options: tuple[tuple[str, Any], ...] = ()  # any other HiGHS option, by name
    route: str = "auto"  # "auto": the portfolio chooses (model/portfolio.py); or one route


def relative_gap(objective: float, bound: float, constant: float) -> float:
    """The gap between a plan's objective and a lower bound, relative as HiGHS measures
    it: on the objective less what no decision changes (`Bounds.constant`)."""
    return max(0.0, objective - bound) / max(1.0, abs(objective - constant))


@dataclass(frozen=True)
class Limits:
    """How far a solve may go: the gap that proves it, the clock time by which it ends."""

    mip_gap: float
    deadline: float  # time.perf_counter() value

    @staticmethod
    def within(mip_gap: float, seconds: float) -> Limits:
        return Limits(float(mip_gap), time.perf_counter() + float(seconds))

    @property
    def remaining(self) -> float:
        return max(0.0, self.deadline - time.perf_counter())


@dataclass
class Attempt:
    """One route's answer to one solve."""

    route: str
    status: str
    objective: float = float("nan")
    bound: float | None = None  # proven lower bound on the objective (None: none yet)
    values: np.ndarray | None = None
    seconds: float = 0.0
    note: str = ""  # what happened, in words, for the record
    check: SolutionCheck | None = None  # the independent check of `values`
    ways: tuple[str, ...] = field(default_factory=tuple)  # how it was solved, in order
    error: Exception | None = None  # a bug in the route (a failure, not a finding)

    @property
    def has_plan(self) -> bool:
        return self.values is not None and self.check is not None and self.check.passed


class Route(Protocol):
    """A way to solve the model as it stands."""

    name: str

    def why_not(self) -> str:
        """Why this route cannot solve the model as it stands ("" if it can)."""

    def solve(self, label: str, start: np.ndarray | None, limits: Limits,
              watch: Watch) -> Attempt:
        """Solve the model as it stands, from `start` if given, within `limits`; stop
        at the next interrupt check once `watch` is stopped."""
