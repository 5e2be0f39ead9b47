"""A case: the workbook read, a scenario applied, the command's overrides applied, and
the result compiled into an instance with its solver settings and warnings.

Every command starts from one (`run`, `frontier`, `validate`, and later `batch`), so the
sequence read -> scenario -> overrides -> compile -> checks is written once, here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model.checks import plain_checks
from .model.instance import GROUP_KEY, Instance, compile_instance
from .model.solve import SolverSettings
from .problems import InputError, Problem, ProvenInfeasible
from .workbook.inputs import Inputs
from .workbook.reader import read_workbook
from .workbook.scenarios import apply_scenario, scenario_names

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Overrides:
    """What a command's options change in the workbook's Parameters, and how it compiles."""

    time_limit: float | None = None  # time_limit_seconds
    mip_gap: float | None = None  # mip_gap
    threads: int | None = None  # threads
    residential_k: int | None = None  # keep the k cheapest far residential arcs (off: exact)
    route: str = "auto"  # how MIPs are solved: "auto" (the portfolio), "years" or "whole"
    highs_options: tuple[tuple[str, Any], ...] = ()  # any other HiGHS option, by name

    def parameters(self) -> dict[str, Any]:
        given = {"time_limit_seconds": self.time_limit, "mip_gap": self.mip_gap,
                 "threads": self.threads}
        return {name: value for name, value in given.items() if value is not None}


@dataclass
class Case:
    """One scenario of one workbook, ready to formulate and solve."""

    workbook: Path
    inputs: Inputs  # the scenario applied, overrides in `inputs.params`
    instance: Instance
    settings: SolverSettings
    overrides: Overrides = field(default_factory=Overrides)
    read_seconds: float = 0.0
    compile_seconds: float = 0.0
    # What the plain-language checks proved before any solve: no plan can exist. Solving
    # the case raises ProvenInfeasible with them (SPEC §3: an infeasible model, exit 3).
    no_plan: list[Problem] = field(default_factory=list)

    @property
    def scenario(self) -> str:
        return self.inputs.scenario

    @property
    def warnings(self) -> list[Problem]:
        """Every warning: the workbook's, the scenario's and the plain-language checks'."""
        return self.inputs.warnings


def build_case(workbook: str | Path | Inputs, scenario: str = "base", *,
               overrides: Overrides | None = None, verbose: bool = False,
               progress: Progress | None = None,
               adjust: Callable[[Inputs], None] | None = None) -> Case:
    """Read (unless given inputs already read), apply the scenario, `adjust` (what a batch
    changes on top of a scenario: a sampled demand, a fixed programme) and the overrides,
    compile, and run the plain-language checks. Raises InputError for a wrong workbook;
    a check's proof that no plan can exist is kept in `Case.no_plan`, for the solve (or
    the command) to report as an infeasible model."""
    say = progress or (lambda _msg: None)
    overrides = overrides or Overrides()
    clock = time.perf_counter()
    if isinstance(workbook, Inputs):
        base, path = workbook, workbook.source.path
    else:
        say(f"Reading {workbook}...")
        base, path = read_workbook(workbook), Path(workbook)
    inputs = apply_scenario(base, scenario)
    if adjust is not None:
        adjust(inputs)
    inputs.params.update(overrides.parameters())
    read_seconds = time.perf_counter() - clock
    say(f"Compiling scenario '{inputs.scenario}'...")
    clock = time.perf_counter()
    try:
        instance = compile_instance(inputs, residential_k=overrides.residential_k)
    except InputError as exc:  # with the warnings of reading, which may say why
        raise InputError(inputs.warnings + exc.problems) from None
    found = plain_checks(inputs, instance)
    inputs.warnings.extend(p for p in found if p.level != "error")
    settings = SolverSettings(mip_gap=float(inputs.params["mip_gap"]),
                              time_limit=float(inputs.params["time_limit_seconds"]),
                              threads=int(inputs.params["threads"]), verbose=verbose,
                              route=overrides.route,
                              highs_options=tuple(overrides.highs_options))
    return Case(workbook=path, inputs=inputs, instance=instance, settings=settings,
                overrides=overrides, read_seconds=read_seconds,
                compile_seconds=time.perf_counter() - clock,
                no_plan=[p for p in found if p.level == "error"])


def check_workbook(path: str | Path | Inputs) -> tuple[list[Problem], list[str]]:
    """`placeopt validate`: every warning of every scenario (errors raise InputError),
    and a line describing the workbook (given as a path, or as inputs already read). A
    scenario that the checks prove has no plan raises ProvenInfeasible, once every scenario
    has been checked."""
    base = path if isinstance(path, Inputs) else read_workbook(path)
    warnings: list[Problem] = []
    proofs: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for name in scenario_names(base):
        case = build_case(base, name)
        label = "" if name == "base" else f"[scenario {name}] "
        for problem in case.warnings:
            key = (problem.where, problem.message)
            if key not in seen:
                seen.add(key)
                warnings.append(Problem(problem.level, problem.where,
                                        label + problem.message
                                        if problem not in base.warnings else problem.message))
        proofs += [Problem(p.level, p.where, label + p.message) for p in case.no_plan]
    if proofs:
        raise ProvenInfeasible(proofs, warnings)
    tables = base.tables
    options = tables.get("Expansions")
    notes = [
        f"{len(tables['Zones'])} zones, {len(tables['Providers'])} providers, "
        f"{0 if options is None else len(options)} options, "
        f"{tables['Demand'].groupby(GROUP_KEY).ngroups} demand groups over "
        f"{base.years[0]}-{base.years[-1]}; scenarios: " + ", ".join(scenario_names(base)),
    ]
    return warnings, notes
