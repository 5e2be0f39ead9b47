"""Scenario batches (SPEC §3, `placeopt batch`): many cases of one workbook, solved in
local worker processes or on a Dask cluster, one result folder each.

A batch is a list of tasks: a scenario, maybe a demand sample (`uncertainty`), maybe a
fixed programme (`programme`). Each task is solved by `solve_task`, in whichever
process runs it: the workbook is read once per process (`_workbook`), journeys are
shared between the tasks a process solves (`model.journeys.JourneyCache`), the result
folder is written by the process that solved it, and a small `Outcome` (one row of the
batch summary) travels back. A task that fails becomes a row with its status and reason;
the others go on. A task whose folder is already complete is not solved again unless
forced (`_reused`).

Workers share the file system with the process that starts the batch (one machine, or a
cluster with a shared disk): they read the workbook and write the folders by path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..case import Overrides, build_case
from ..model.journeys import JourneyCache, reusing
from ..model.portfolio import cores
from ..problems import InputError, Problem, SolveError, UnknownScenario
from ..report.folder import read_table
from ..run import no_plan_summary, solve_case, write_results, write_summary_only
from ..version import __version__
from ..workbook.inputs import Inputs
from ..workbook.reader import read_workbook
from ..workbook.scenario_rows import scenario_names
from .programme import Programme, read_programme, rebase, regret
from .tasks import (
    FINAL,
    SOLVED,
    BatchResult,
    BatchSpec,
    FolderError,
    Notify,
    Outcome,
    Task,
)
from .uncertainty import (
    DemandModel,
    DemandSample,
    option_frequencies,
    percentiles,
    sampled_demand,
)
from .views import BatchTables, write_batch_files

# --- Planning the batch -----------------------------------------------------------------


def folder_name(text: str) -> str:
    """A scenario name as a folder name: anything but letters, digits, '.', '-', '_' -> '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text).strip(".") or "_"


def choose_scenarios(inputs: Inputs, wanted: str | list[str] | None) -> list[str]:
    """'all' (or None), or names from the workbook (any case, in the order given)."""
    names = scenario_names(inputs)
    if wanted is None or wanted == "all":
        return names
    if isinstance(wanted, str):
        wanted = [w.strip() for w in wanted.split(",") if w.strip()]
    by_lower = {n.lower(): n for n in names}
    unknown = [w for w in wanted if w.lower() not in by_lower]
    if unknown:
        raise UnknownScenario(unknown, names, option="--scenarios")
    return list(dict.fromkeys(by_lower[w.lower()] for w in wanted))


def plan_tasks(folder: Path, scenarios: list[str], samples: int = 0, seed: int = 0,
               model: DemandModel | None = None, programme: Programme | None = None,
               reports: bool = True) -> list[Task]:
    """The tasks in the order they are solved: each scenario, and with samples its
    samples 1..N after it (the scenario itself is the centre the samples spread round)."""
    names = {}
    for scenario in scenarios:
        name = folder_name(scenario)
        if name.lower() in names:
            raise InputError([Problem("error", "Scenarios", f"scenarios {names[name.lower()]!r} "
                                      f"and {scenario!r} would share the folder {name}; "
                                      "rename one")])
        names[name.lower()] = scenario
    suffix = ".programme" if programme else ""
    width = max(4, len(str(samples)))
    tasks = []
    for scenario in scenarios:
        stem = folder_name(scenario) + suffix
        tasks.append(Task(scenario, folder / stem, None, programme, reports))
        if samples:
            if model is None:
                raise ValueError("demand samples need a DemandModel")
            tasks += [Task(scenario, folder / f"{stem}.sample-{i:0{width}d}",
                           DemandSample(model, seed, i), programme, reports=False)
                      for i in range(1, samples + 1)]
    return tasks


# --- Solving one task (in a worker) -----------------------------------------------------

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


# --- Resuming ---------------------------------------------------------------------------


def _reused(spec: BatchSpec, task: Task, index: int) -> Outcome | None:
    """The task's row from its folder, if the folder is a complete answer to this task:
    summary.json for this workbook (by content), scenario, sample, programme and solver
    settings, with a final status, and (with a plan) its expansions.csv."""
    try:
        summary = json.loads((task.folder / "summary.json").read_text(encoding="utf-8"))
        status = summary.get("status")
        expansions = read_table(task.folder, "expansions") if status in SOLVED else None
    except (OSError, ValueError, AttributeError):
        return None
    if (status not in FINAL or (status in SOLVED and expansions is None)
            or summary.get("provenance", {}).get("workbook_sha256") != spec.sha256
            or summary.get("scenario") != task.scenario
            or (summary.get("batch") or {}).get("task") != task.identity(spec)):
        return None
    return outcome(index, task, summary, expansions, 0.0, reused=True)


def check_folders(tasks: list[Task]) -> None:
    """A task's folder may replace only an earlier result folder (SPEC §4)."""
    others = [t.folder for t in tasks
              if t.folder.exists() and not (t.folder / "summary.json").is_file()]
    if others:
        shown = ", ".join(str(f) for f in others[:5]) + (" ..." if len(others) > 5 else "")
        raise FolderError(f"{len(others)} folder(s) the batch would write exist and are not "
                          f"result folders (no summary.json): {shown}. Move them or choose "
                          "another output folder.")


# --- The batch --------------------------------------------------------------------------

# ("start", tasks), ("progress", event), ("done", Outcome), ("tick", None)
Listener = Callable[[str, Any], None]


def run_batch(workbook: str | Path, output: str | Path | None = None,
              scenarios: str | list[str] | None = "all", *, jobs: int | None = None,
              scheduler: str | None = None, samples: int = 0, seed: int = 0,
              spread: float | None = None, model: DemandModel | None = None,
              fix_programme: str | Path | None = None, force: bool = False,
              reports: bool = True, overrides: Overrides | None = None,
              listener: Listener | None = None) -> BatchResult:
    """Solve scenarios (or demand samples of them) of one workbook and write a folder for
    each, then batch_summary.csv/.xlsx and batch.html in `output`.

    Raises InputError if the workbook (or the programme folder) is wrong, FolderError if
    a folder to write is not a result folder, SchedulerError if Dask cannot be used. A
    task that fails does not raise: its row says why (see BatchResult.exit_code).
    """
    tell = listener or (lambda _kind, _payload: None)
    workbook = Path(workbook)
    inputs = read_workbook(workbook)
    # Absolute: a Dask worker may not share this process's working directory.
    folder = (Path(output) if output is not None
              else Path("results") / workbook.stem / "batch").resolve()
    if samples or spread is not None:  # the forecast's calibrated errors, or --spread's
        model = model or DemandModel.calibrated(inputs)
        model = model.overridden(spread) if spread is not None else model
        tell("note", f"Demand samples: yearly spread {model.spread:.4f}, persistence "
                     f"{model.persistence:.2f} ({model.basis})")
    programme = read_programme(fix_programme) if fix_programme is not None else None
    tasks = plan_tasks(folder, choose_scenarios(inputs, scenarios), samples, seed, model,
                       programme, reports)
    jobs = jobs or cores()
    parallel = scheduler is None and jobs > 1 and len(tasks) > 1
    spec = BatchSpec(workbook.resolve(), inputs.source.sha256, overrides or Overrides(),
                     cores_per_task=max(1, cores() // min(jobs, len(tasks))) if parallel
                     else (cores() if scheduler is None else 0))
    outcomes: dict[int, Outcome] = {}
    if not force:
        for index, task in enumerate(tasks):
            if (found := _reused(spec, task, index)) is not None:
                outcomes[index] = found
    work = [(i, t) for i, t in enumerate(tasks) if i not in outcomes]
    check_folders([t for _, t in work])
    tell("start", tasks)
    for found in outcomes.values():
        tell("done", found)
    from .workers import dask_tasks, in_process, local_processes

    if scheduler is not None:
        stream = dask_tasks(spec, work, scheduler)
    elif jobs == 1 or len(work) <= 1:
        _remember(inputs)  # this process has read it already
        stream = in_process(spec, work, lambda event: tell("progress", event))
    else:
        stream = local_processes(spec, work, jobs)
    interrupted = False
    try:
        for kind, payload in stream:
            if kind == "done":
                outcomes[payload.index] = payload
            tell(kind, payload)
    except KeyboardInterrupt:
        interrupted = True
        for index, task in work:
            if index not in outcomes:
                outcomes[index] = failure(index, task, "interrupted",
                                          "the batch was interrupted", 0.0)
    finally:
        stream.close()
    ordered = [outcomes[i] for i in range(len(tasks))]
    result = summarise_batch(folder, ordered, interrupted)
    about = describe_batch(result, workbook, spec, samples, seed, model, programme)
    demand = sampled_demand(inputs, list(dict.fromkeys(t.scenario for t in tasks)), model,
                            seed, samples) if samples else None
    write_batch_files(folder, BatchTables(result.table, result.percentiles, result.options,
                                          about, interrupted, demand))
    if interrupted:
        raise KeyboardInterrupt
    return result


COLUMNS = ["label", "scenario", "sample", "status", "solved", "reason", "mip_gap",
           "gap_pounds", "objective", "total_cost", "out_of_area_cost",
           "out_of_area_pupils_final_year", "capital", "capital_beyond_baseline", "npv",
           "npv_capital_when_spent", "payback_year", "discounted_payback_year",
           "unmet_pupil_years", "additional_pupils_placed",
           "new_places_final_year", "final_year", "options_built", "regret",
           "objective_regret", "optimum_npv", "optimum_options_built", "seconds", "reused",
           "folder"]


def summarise_batch(folder: Path, outcomes: list[Outcome], interrupted: bool = False
                    ) -> BatchResult:
    table = pd.DataFrame([o.row for o in outcomes])
    columns = [c for c in COLUMNS if c in table.columns]
    table = table.reindex(columns=columns)
    for column in ("sample", "payback_year", "discounted_payback_year", "final_year"):
        if column in table:
            table[column] = table[column].astype("Int64")
    builds = {o.row["label"]: o.builds for o in outcomes}
    return BatchResult(folder, table, percentiles(table), option_frequencies(table, builds),
                       outcomes, interrupted)


def describe_batch(result: BatchResult, workbook: Path, spec: BatchSpec, samples: int,
                   seed: int, model: DemandModel | None, programme: Programme | None
                   ) -> list[tuple[str, str]]:
    """The facts of a batch, as (label, value) rows for the About parts of its files."""
    table = result.table
    failed = table.loc[~table["solved"].astype(bool), "label"].tolist()
    rows = [("Workbook", str(workbook)), ("Workbook SHA-256", spec.sha256),
            ("Scenarios", ", ".join(dict.fromkeys(table["scenario"]))),
            ("Solved", f"{int(table['solved'].sum())} of {len(table)}"
             + (f"; not solved: {', '.join(failed)}" if failed else "")),
            ("Reused from an earlier run", str(int(table["reused"].sum())))]
    given = {k: v for k, v in dataclasses.asdict(spec.overrides).items() if v is not None}
    if given:
        rows.append(("Solver settings given", ", ".join(f"{k} {v}" for k, v in given.items())))
    if samples and model is not None:
        rows += [("Demand samples", f"{samples} per scenario, seed {seed}"),
                 ("Spread of a year's demand error (whole authority, log)",
                  f"{model.spread:.4f}"),
                 ("Persistence (year to year)", f"{model.persistence:g}"),
                 ("Spread and persistence from", model.basis),
                 ("Spread by phase", ", ".join(f"{p} {v:g}" for p, v in
                                               model.phase_spread.items()))]
    if programme is not None:
        built = sorted(programme.built.items(), key=lambda item: (item[1], item[0]))
        rows.append(("Fixed programme", f"{programme.source} (scenario {programme.scenario}): "
                     + (", ".join(f"{o} {y}" for o, y in built) or "builds nothing")))
    rows += [("placeopt", __version__),
             ("Written", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))]
    return rows
