"""Solving one task of a batch, in whichever process runs it (here, a local worker, a
Dask worker): the workbook read once per process, journeys shared between the tasks a
process solves, the task's result folder written, and a small `Outcome` sent back. A
task that fails becomes an outcome with its status and reason, and a folder saying so."""

from __future__ import annotations

import dataclasses
import os
import re
import time
import traceback
from typing import Any

import pandas as pd

from ..case import build_case
from ..model.journeys import JourneyCache, reusing
from ..problems import InputError, Problem, SolveError
from ..run import no_plan_summary, solve_case, write_results, write_summary_only
from ..version import __version__
from ..workbook.inputs import Inputs
from ..workbook.reader import read_workbook
from .programme import rebase, regret
from .records import SOLVED, BatchSpec, Notify, Outcome, Task

_WORKBOOKS: dict[str, Inputs] = {}  # sha256 -> the workbook read by this process
_JOURNEYS = JourneyCache()


def _workbook(spec: BatchSpec) -> Inputs:
    """The workbook, read once per process; an error if it changed since the batch began."""
    if spec.sha256 not in _WORKBOOKS:
        inputs = read_workbook(spec.workbook)
        if inputs.source.sha256 != spec.sha256:
            raise InputError([Problem("error", str(spec.workbook), "the workbook changed "
                                      "while the batch ran; run the batch again")])
        _remember(inputs)
    return _WORKBOOKS[spec.sha256]


def _remember(inputs: Inputs) -> None:
    """Keep one workbook per process: a long-lived worker may serve several batches."""
    _WORKBOOKS.clear()
    _WORKBOOKS[inputs.source.sha256] = inputs


class _Reporter:
    """Turns a solve's progress lines into a few events: the stage, and the gap as it
    falls. At most about two events a second reach the batch's process."""

    GAP = re.compile(r"gap (\d+(?:\.\d+)?)%")
    STAGES = (("Solving the baseline", "baseline"), ("Solving the plan", "plan"),
              ("Summarising", "summarising"), ("Compiling", "compiling"))

    def __init__(self, label: str, notify: Notify | None):
        self.label, self.notify = label, notify
        self.prefix, self.stage, self.gap = "", "starting", None
        self.sent = 0.0

    def part(self, prefix: str) -> None:
        self.prefix = prefix
        self.send(self.stage, force=True)

    def __call__(self, message: str) -> None:
        stage = next((name for start, name in self.STAGES if message.startswith(start)), None)
        if stage:
            self.gap = None
            self.send(stage, force=True)
        elif found := self.GAP.search(message):
            self.gap = float(found.group(1))
            self.send(self.stage)

    def send(self, stage: str, force: bool = False) -> None:
        self.stage = stage
        now = time.monotonic()
        if self.notify is None or (not force and now - self.sent < 0.5):
            return
        self.sent = now
        self.notify({"label": self.label, "stage": self.prefix + stage, "gap": self.gap,
                     "pid": os.getpid()})


def solve_task(spec: BatchSpec, task: Task, index: int, notify: Notify | None = None
               ) -> Outcome:
    """Solve one task and write its folder; never raises for a failure of the task, whose
    folder then holds summary.json with its status and explanation (SPEC §3)."""
    started = time.perf_counter()
    say = _Reporter(task.label, notify)
    say.send("starting", force=True)
    try:
        inputs = _workbook(spec)
        with reusing(_JOURNEYS):
            results = _solve(spec, task, inputs, say)
        results.summary["batch"] = {"task": task.identity(spec),
                                    "seconds": round(time.perf_counter() - started, 3)}
        say.send("writing", force=True)
        write_results(results, task.folder, reports=task.reports)
        return outcome(index, task, results.summary, results.expansions,
                       time.perf_counter() - started)
    except InputError as exc:
        reason = "; ".join(str(p) for p in exc.errors) or str(exc)
        found = failure(index, task, "error", say.prefix + reason,
                        time.perf_counter() - started)
    except SolveError as exc:
        found = failure(index, task, exc.status, say.prefix + str(exc),
                        time.perf_counter() - started, summary=exc.summary)
    except Exception as exc:  # a bug: record it, let the other tasks go on
        found = failure(index, task, "error", f"internal error in placeopt {__version__} "
                        f"({type(exc).__name__}: {exc}): a bug, not a problem with the "
                        "workbook; run the batch again with --debug and report it",
                        time.perf_counter() - started, bug=True,
                        detail=traceback.format_exc())
    return record_failure(spec, task, found)


def record_failure(spec: BatchSpec, task: Task, found: Outcome) -> Outcome:
    """Write a failed task's folder: summary.json with its status and explanation (the
    run's own summary when it has one, as `placeopt run` writes it; else the reason). A
    folder that cannot be written is said in the task's reason, and costs the batch
    nothing else."""
    row = found.row
    summary = found.summary or no_plan_summary(
        row["status"], row["reason"], [], {
            "placeopt_version": __version__, "workbook": spec.workbook.name,
            "scenario": task.scenario, "workbook_path": str(spec.workbook),
            "workbook_sha256": spec.sha256})
    summary = {**summary, "batch": {"task": task.identity(spec), "seconds": row["seconds"],
                                    "bug": found.bug}}
    row = {**row, "final_year": summary["years"][-1] if summary["years"] else None}
    try:
        write_summary_only(summary, task.folder)
    except Exception as exc:  # the row still says why the task failed
        row = {**row, "reason": f"{row['reason']} (its folder could not be written: "
                                f"{type(exc).__name__}: {exc})"}
    return dataclasses.replace(found, row=row, summary=None)


def _solve(spec: BatchSpec, task: Task, inputs: Inputs, say: _Reporter):
    """The task's results: the scenario (with its sample) solved, or, with a fixed
    programme, the scenario solved free and then with the programme, set against the
    free solve's do-minimum."""
    def solve(with_programme: bool):
        case = build_case(inputs, task.scenario, overrides=spec.solver_overrides(),
                          progress=say, adjust=task.adjust(with_programme))
        return case, solve_case(case, progress=say)

    if task.programme is None:
        return solve(False)[1]
    say.part("own optimum: ")
    _, optimum = solve(False)
    if optimum.summary.get("status") not in SOLVED:
        return optimum  # no do-minimum to set the programme against: report why
    say.part("programme: ")
    case, evaluated = solve(True)
    if evaluated.summary.get("status") not in SOLVED:
        return evaluated
    results = rebase(evaluated, optimum, case.instance)
    results.summary["fixed_programme"] = {
        **task.programme.describe(), **regret(results.summary, optimum.summary),
        "optimum_built": built_options(optimum.expansions)}
    return results


def built_options(expansions: pd.DataFrame | None) -> dict[str, int | None]:
    """option_id -> opening year (None: not built), from an expansions table."""
    if expansions is None or expansions.empty:
        return {}
    return {str(option): (int(year) if built == "yes" and not pd.isna(year) else None)
            for option, built, year in zip(expansions["option_id"], expansions["built"],
                                           expansions["open_year"], strict=True)}


def started_measures(summary: dict[str, Any]) -> dict[str, int | None]:
    """measure_id -> start year (None: not funded), from summary.json `inclusion`."""
    found = summary.get("inclusion") or {}
    return {str(m): entry.get("start_year") for m, entry in found.items()}


def _listing(builds: dict[str, int | None]) -> str:
    return "; ".join(f"{option} {year}" for option, year in
                     sorted(builds.items(), key=lambda item: (item[1] or 0, item[0]))
                     if year is not None)


def outcome(index: int, task: Task, summary: dict[str, Any], expansions: pd.DataFrame | None,
            seconds: float, reused: bool = False) -> Outcome:
    """The batch summary's row for a task with a result folder (SPEC §4 summary)."""
    plan = summary.get("plan") or {}
    savings = summary.get("savings") or {}
    years = summary.get("years") or []
    status = summary.get("status")

    def total(values: list[float] | float | None) -> float | None:
        if values is None or isinstance(values, int | float):
            return values
        return round(float(sum(values)), 2) if values else None

    def final(values: list[float] | None) -> float | None:
        return values[-1] if values else None

    builds = {**built_options(expansions), **started_measures(summary)}
    row = _row(index, task, status, summary.get("explanation") or "", seconds, reused)
    row.update({
        "mip_gap": summary.get("mip_gap"),
        "gap_pounds": summary.get("gap_pounds"),
        "objective": summary.get("objective"),
        "total_cost": total(plan.get("total_cost")),
        "out_of_area_cost": total(plan.get("out_of_area_cost")),
        "out_of_area_pupils_final_year": final(plan.get("out_of_area_pupils")),
        "capital": total(plan.get("capital_cost")),
        "capital_beyond_baseline": savings.get("capital_cost_total"),
        "npv": savings.get("npv"),
        "npv_capital_when_spent": savings.get("npv_capital_when_spent"),
        "payback_year": savings.get("payback_year"),
        "discounted_payback_year": savings.get("discounted_payback_year"),
        "unmet_pupil_years": total(plan.get("unmet_pupils")),
        "additional_pupils_placed": total(savings.get("additional_pupils_placed")),
        "new_places_final_year": final(plan.get("new_places")),
        "final_year": years[-1] if years else None,
        "options_built": _listing(builds),
    })
    if task.programme is not None:
        fixed = summary.get("fixed_programme") or {}
        row.update({key: fixed.get(key) for key in ("regret", "objective_regret",
                                                    "optimum_npv")})
        row["optimum_options_built"] = _listing(fixed.get("optimum_built") or {})
    if reused:
        row["seconds"] = (summary.get("batch") or {}).get("seconds")
    return Outcome(index, row, builds)


def failure(index: int, task: Task, status: str, reason: str, seconds: float,
            bug: bool = False, detail: str = "", summary: dict[str, Any] | None = None
            ) -> Outcome:
    return Outcome(index, _row(index, task, status, reason, seconds, False), bug=bug,
                   detail=detail, summary=summary)


def _row(index: int, task: Task, status: str | None, reason: str, seconds: float | None,
         reused: bool) -> dict[str, Any]:
    return {"label": task.label, "scenario": task.scenario,
            "sample": task.sample.index if task.sample else None,
            "status": status, "solved": status in SOLVED, "reason": reason,
            "seconds": None if seconds is None else round(seconds, 2),
            "reused": reused, "folder": str(task.folder)}
