"""Problems found in the inputs: errors that stop a run, warnings that don't.

Every problem names where it is (a sheet and cell, or a sheet and row) and what was
expected, so a planner can fix the workbook without reading code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


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

    def __str__(self) -> str:
        return f"{self.level.upper()} {self.where}: {self.message}"


@dataclass
class Problems:
    """Collects every problem in one pass, so the planner sees them all at once."""

    items: list[Problem] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.items.append(Problem("error", where, message))

    def warn(self, where: str, message: str) -> None:
        self.items.append(Problem("warning", where, message))

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
    """The workbook is wrong. Carries every problem found (errors and warnings)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
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
        self.problems = list(warnings or []) + self.proofs
        explanation = "; ".join(p.message for p in self.proofs)
        super().__init__(f"no plan can exist (found before solving): {explanation}",
                         status="infeasible", explanation=explanation)


class Interrupted(KeyboardInterrupt):
    """The planner pressed Ctrl-C during a solve that had found no plan yet."""
