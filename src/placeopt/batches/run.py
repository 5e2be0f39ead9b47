"""Scenario batches (SPEC §3, `placeopt batch`): many cases of one workbook, solved in
local worker processes or on a Dask cluster, one result folder each.

A batch is a list of tasks: a scenario, maybe a demand sample (`uncertainty`), maybe a
fixed programme (`programme`). Each task is solved by `solving.solve_task`, in whichever
process runs it (`workers`): the workbook is read once per process, journeys are
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
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..case import Overrides
from ..model.portfolio import cores
from ..problems import InputError, Problem, UnknownScenario
from ..report.folder import read_table
from ..version import __version__
from ..workbook.inputs import Inputs
from ..workbook.reader import read_workbook
from ..workbook.scenario_rows import scenario_names
from .programme import Programme, read_programme
from .records import (
    FINAL,
    SOLVED,
    BatchResult,
    BatchSpec,
    FolderError,
    Outcome,
    Task,
)
from .solving import _remember, failure, outcome
from .uncertainty import (
    DemandModel,
    DemandSample,
    option_frequencies,
    percentiles,
    sampled_demand,
)
from .views import BatchTables, write_batch_files
from .workers import dask_tasks, in_process, local_processes

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
