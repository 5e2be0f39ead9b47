"""Problems found in the inputs: errors that stop a run, warnings that don't.

Every problem names where it is (a sheet and cell, or a sheet and row) and what was
expected, so a planner can fix the workbook without reading code.

One cause, one message: a problem that only follows from another one (every
CurrentPlacements row of an empty Demand sheet, every journey of a zone with no location)
carries a `family`, the plural words for problems like it. `condense` puts the root
causes first, shows a few of each family and counts the rest ("and 1,520 more rows of
CurrentPlacements that name demand that is not there"), and folds identical problems
into one with a count. Every list of problems a planner sees (the command line, the web
page, a batch's reasons) is condensed where it is made: in InputError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace


def sheet_ref(title: str) -> str:
    """A sheet title as Excel writes it in a cell reference: quoted unless plain."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class Problem:
    level: str  # "error" | "warning"
    where: str  # "Providers!F12", "Demand row 7", "workbook"
    message: str
    # A consequence of a root cause listed before it: what problems like it are, in the
    # plural ("rows of CurrentPlacements that name demand that is not there"); "" for a
    # root cause.
    family: str = ""
    count: int = 1  # how many problems this one stands for (identical ones, or a tally)

    @property
    def is_tally(self) -> bool:
        """The line that counts the rest of a family: "and 1,520 more ..."."""
        return bool(self.family) and self.message == _more(self.count, self.family)

    def __str__(self) -> str:
        times = f" ({self.count:,} times)" if self.count > 1 and not self.is_tally else ""
        return f"{self.level.upper()} {self.where}: {self.message}{times}"


SAMPLE = 3  # consequences shown of each family; the rest are counted


def _more(count: int, family: str) -> str:
    return f"and {count:,} more {family}"


def _sheet(where: str) -> str:
    """The sheet part of a place: 'CurrentPlacements!E7' -> 'CurrentPlacements'."""
    return where.split("!")[0]


def condense(problems: Iterable[Problem], sample: int = SAMPLE) -> list[Problem]:
    """Root causes first, in their order; then each family of consequences: its first
    `sample` members and a tally of the rest. Identical problems (level, place and
    message) become one, with their count. Condensing twice changes nothing."""
    merged: dict[tuple[str, str, str], Problem] = {}
    for problem in problems:
        key = (problem.level, problem.where, problem.message)
        seen = merged.get(key)
        merged[key] = problem if seen is None else replace(seen,
                                                           count=seen.count + problem.count)
    shown = [p for p in merged.values() if not p.family]
    families: dict[tuple[str, str], list[Problem]] = {}
    for problem in merged.values():
        if problem.family:
            families.setdefault((problem.level, problem.family), []).append(problem)
    for (level, family), members in families.items():
        listed = [p for p in members if not p.is_tally]
        rest = listed[sample:]
        hidden = sum(p.count for p in rest) + sum(p.count for p in members if p.is_tally)
        if hidden == 1 and rest:  # a tally of one would say less than the problem itself
            shown += listed
            continue
        shown += listed[:sample]
        if hidden:
            where = _sheet((rest or members)[0].where)
            shown.append(Problem(level, where, _more(hidden, family), family, hidden))
    return shown


@dataclass
class Problems:
    """Collects every problem in one pass, so the planner sees them all at once."""

    items: list[Problem] = field(default_factory=list)

    def error(self, where: str, message: str, family: str = "") -> None:
        """An error; `family` (plural words) marks one that follows from another."""
        self.items.append(Problem("error", where, message, family))

    def warn(self, where: str, message: str, family: str = "") -> None:
        self.items.append(Problem("warning", where, message, family))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.level == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputError(self.items)


class InputError(Exception):
    """The workbook is wrong. Carries every problem found (errors and warnings),
    condensed: root causes first, consequences counted."""

    def __init__(self, problems: list[Problem]):
        self.problems = condense(problems)
        errors = [p for p in self.problems if p.level == "error"]
        super().__init__(f"{len(errors)} error(s) in the inputs:\n" + "\n".join(map(str, errors)))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


class UnknownScenario(InputError):
    """`--scenario` (or `--scenarios`: `option`) names no scenario of the workbook: a wrong
    argument, not a wrong workbook, so the command line says so as a usage error (exit
    2). It is an InputError for the Python API, whose callers already handle those."""

    def __init__(self, name: str | list[str], known: list[str], option: str = "--scenario"):
        self.names = [name] if isinstance(name, str) else list(name)
        self.name, self.known, self.option = self.names[0], list(known), option
        super().__init__([Problem("error", "Scenarios", self.sentence)])

    @property
    def sentence(self) -> str:
        named = " or ".join(repr(n) for n in self.names)
        return f"no scenario named {named}; the workbook has " + ", ".join(self.known)


class SolveError(Exception):
    """The model is infeasible or the solver failed (exit code 3).

    `status` is "infeasible" or "error" (SPEC §4); `explanation` says why in words.
    `summary` is filled in by the run with what is known (status, explanation,
    provenance), so the command line can still write a result folder holding it.
    """

    def __init__(self, message: str, status: str = "error", explanation: str = ""):
        super().__init__(message)
        self.status = status
        self.explanation = explanation or message
        self.summary: dict | None = None


class ProvenInfeasible(SolveError):
    """A check before any solve proved that no plan can exist (a hard budget below the
    pupils already placed, required options the capital cannot pay for): an infeasible
    model, as if the solver had proved it (SPEC §3, exit 3), whose explanation is the
    checks' sentences. `problems` are those findings with their places, and any
    warnings to show beside them (`placeopt validate`)."""

    def __init__(self, proofs: list[Problem], warnings: list[Problem] | None = None):
        self.proofs = list(proofs)
        self.problems = condense(list(warnings or []) + self.proofs)
        explanation = "; ".join(p.message for p in self.proofs)
        super().__init__(f"no plan can exist (found before solving): {explanation}",
                         status="infeasible", explanation=explanation)


class Interrupted(KeyboardInterrupt):
    """The planner pressed Ctrl-C during a solve that had found no plan yet."""


class Abandoned(Interrupted):
    """The planner pressed Ctrl-C a second time: leave now, whatever is under way."""
