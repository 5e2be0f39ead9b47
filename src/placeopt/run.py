"""One run: a case (read, scenario, compile) -> formulate -> solve -> summarise -> write.

`plan()` is the Python API; `placeopt run` is a thin wrapper around it.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .case import Case, Overrides, Progress, build_case
from .model import apart
from .model.formulation import formulate
from .model.instance import Instance
from .model.measure_values import MeasureAppraisal
from .model.project_values import ProjectAppraisal
from .model.results import Results, summarise
from .model.solve import CaseSolution, Solver, solve
from .problems import ProvenInfeasible, SolveError
from .report import staged, try_write_reports, write_files
from .version import __version__
from .workbook.boundaries import boundary_table


def plan(workbook: str | Path, scenario: str = "base", *, time_limit: float | None = None,
         mip_gap: float | None = None, threads: int | None = None, verbose: bool = False,
         progress: Progress | None = None, write_model: str | Path | None = None,
         strong_linking: bool = False, engine: str = "direct",
         residential_k: int | None = None, project_values: bool | None = None,
         route: str = "auto", highs_options: Sequence[tuple[str, Any]] = ()) -> Results:
    """Solve one scenario of a planning workbook: the plan, the baseline, the savings.

    Solver settings given here override the workbook's Parameters. `project_values`:
    what each option is worth (one more solve each; None: only when that is quick,
    `PROJECT_VALUES_SECONDS`). Raises InputError for a wrong
    workbook and SolveError for an infeasible model or a solver failure.
    `highs_options`: any other HiGHS option by name (the whole model's and the years
    route's master MIP; a benchmark's random seed), kept in the provenance.
    """
    say = progress or (lambda _msg: None)
    started_at = dt.datetime.now(dt.UTC)
    if route == "auto" and engine == "direct":  # a race's child, ready when the race starts
        apart.prestart()
    case = build_case(workbook, scenario, verbose=verbose, progress=say, overrides=Overrides(
        time_limit=time_limit, mip_gap=mip_gap, threads=threads, residential_k=residential_k,
        route=route, highs_options=tuple(highs_options)))
    return solve_case(case, started_at=started_at, progress=say, write_model=write_model,
                      strong_linking=strong_linking, engine=engine,
                      project_values=project_values)


def solve_case(case: Case, *, started_at: dt.datetime | None = None,
               progress: Progress | None = None, write_model: str | Path | None = None,
               strong_linking: bool = False, engine: str = "direct",
               project_values: bool | None = None) -> Results:
    """Formulate and solve a case; its results with their provenance, and what each
    project and each inclusion measure is worth (`ProjectAppraisal`, `MeasureAppraisal`,
    after the plan). Raises SolveError (with the summary.json of a run without a plan) for
    an infeasible model, whether the case's checks proved it or the solver, and for a
    solver failure."""
    say = progress or (lambda _msg: None)
    started_at = started_at or dt.datetime.now(dt.UTC)
    instance, inputs = case.instance, case.inputs
    for warning in case.warnings:
        say(str(warning))
    clock = time.perf_counter()
    formulation = formulate(instance, strong_linking=strong_linking)
    compile_seconds = case.compile_seconds + time.perf_counter() - clock
    say(f"  {len(instance.groups):,} demand groups, {len(instance.providers):,} providers, "
        f"{len(instance.arcs):,} arcs, {len(instance.options):,} options, "
        f"{instance.n_years} years")
    provenance = {
        "placeopt_version": __version__,
        "workbook": str(case.workbook.name),
        "scenario": inputs.scenario,
        "workbook_path": str(case.workbook.resolve()),
        "workbook_sha256": inputs.source.sha256,
        "started_at": started_at.isoformat(timespec="seconds"),
        "options": _jsonable(inputs.params),
        "strong_linking": strong_linking,
        "engine": engine,
        "route": case.settings.route if engine == "direct" else "whole",  # as asked
        "residential_k": case.overrides.residential_k,
        "dominated_arcs_left_out": instance.dominated_arcs,
        "read_seconds": round(case.read_seconds, 3),
        "compile_seconds": round(compile_seconds, 3),
        "warnings": [str(p) for p in case.warnings],
    }
    if case.settings.highs_options:  # (none by default: HiGHS's own defaults)
        provenance["highs_options"] = dict(case.settings.highs_options)
    if case.no_plan:  # proven before any solve: the same story as the solver's proof
        proven = ProvenInfeasible(case.no_plan)
        proven.summary = failure_summary(proven, instance, provenance)
        raise proven
    appraisals = [ProjectAppraisal(instance, formulation, project_values, say),
                  MeasureAppraisal(instance, formulation, project_values, say)]

    def after_plan(model: Solver, baseline: CaseSolution, plan: CaseSolution) -> None:
        spent = 0.0  # the options' values and the measures' share one default time
        for appraisal in appraisals:
            appraisal(model, baseline, plan, spent)
            spent += appraisal.seconds

    try:
        solved = solve(instance, formulation, case.settings, progress=say,
                       write_model=str(write_model) if write_model else None, engine=engine,
                       after_plan=after_plan)
    except SolveError as exc:
        exc.summary = failure_summary(exc, instance, provenance)
        raise
    say("Summarising...")
    results = summarise(instance, formulation, solved, provenance)
    results.boundaries = boundary_table(inputs)
    for appraisal in appraisals:
        appraisal.attach(results)
    results.summary["provenance"]["finished_at"] = _now()
    return results


def failure_summary(error: SolveError, instance: Instance,
                    provenance: dict[str, Any]) -> dict[str, Any]:
    """summary.json of a run whose model is infeasible or whose solve failed (SPEC §4)."""
    return no_plan_summary(error.status, error.explanation,
                           [int(y) for y in instance.years], provenance)


def no_plan_summary(status: str, explanation: str, years: list[int],
                    provenance: dict[str, Any]) -> dict[str, Any]:
    """summary.json of a run that ended without a plan, for whatever reason: status,
    explanation, years and what is known of its provenance (which holds, besides its
    own keys, placeopt_version, workbook and scenario)."""
    return {
        "placeopt_version": provenance["placeopt_version"],
        "workbook": provenance["workbook"],
        "scenario": provenance["scenario"],
        "status": status,
        "explanation": explanation,
        "years": years,
        "provenance": {**{k: v for k, v in provenance.items()
                          if k not in ("placeopt_version", "workbook", "scenario")},
                       "finished_at": _now()},
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


def default_output(workbook: str | Path, scenario: str) -> Path:
    return Path("results") / Path(workbook).stem / scenario


def write_summary_only(summary: dict[str, Any], folder: str | Path) -> Path:
    """A result folder holding only summary.json: a run with no plan to report."""
    with staged(folder) as staging:
        write_files(staging, summary, {})
    return Path(folder)


def write_results(results: Results, folder: str | Path, reports: bool = True,
                  warn: Callable[[str], None] | None = None) -> Path:
    """Write every result file into `folder`, atomically (see `staged`: only an earlier
    result folder is replaced, FolderRefused otherwise). A report that cannot be written
    costs the run nothing but the report: `warn` is told why (default: a Python warning)."""
    with staged(folder) as staging:
        write_files(staging, results.summary,
                    {name: getattr(results, name) for name in Results.TABLES
                     if getattr(results, name) is not None})
        failure = try_write_reports(staging) if reports else None
    if failure is not None:
        (warn or _warn)(f"{folder}: {failure}")
    return Path(folder)


def _warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)
