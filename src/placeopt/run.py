"""One run: read -> scenario -> compile -> formulate -> solve -> summarise -> write.

`plan()` is the Python API; `placeopt run` is a thin wrapper around it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .checks import plain_checks
from .compile import compile_instance
from .model import formulate
from .reader import read_workbook
from .report import neutralise_table, write_reports
from .results import Results, summarise
from .scenarios import apply_scenario
from .solve import SolverSettings, solve

Progress = Callable[[str], None]


def plan(workbook: str | Path, scenario: str = "base", *, time_limit: float | None = None,
         mip_gap: float | None = None, threads: int | None = None, verbose: bool = False,
         progress: Progress | None = None, write_model: str | Path | None = None,
         strong_linking: bool = False, engine: str = "direct",
         residential_k: int | None = None) -> Results:
    """Solve one scenario of a planning workbook: the plan, the baseline, the savings.

    Solver settings given here override the workbook's Parameters. Raises InputError
    for a wrong workbook and SolveError for an infeasible model or a solver failure.
    """
    say = progress or (lambda _msg: None)
    started_at = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    say(f"Reading {workbook}...")
    inputs = apply_scenario(read_workbook(workbook), scenario)
    read_seconds = time.perf_counter() - clock
    overrides = {"time_limit_seconds": time_limit, "mip_gap": mip_gap, "threads": threads}
    for name, value in overrides.items():
        if value is not None:
            inputs.params[name] = value
    say(f"Compiling scenario '{inputs.scenario}'...")
    clock = time.perf_counter()
    instance = compile_instance(inputs, residential_k=residential_k)
    inputs.warnings.extend(plain_checks(inputs, instance))
    for warning in inputs.warnings:
        say(str(warning))
    formulation = formulate(instance, strong_linking=strong_linking)
    compile_seconds = time.perf_counter() - clock
    say(f"  {len(instance.groups):,} demand groups, {len(instance.providers):,} providers, "
        f"{len(instance.arcs):,} arcs, {len(instance.options):,} options, "
        f"{instance.n_years} years")
    settings = SolverSettings(mip_gap=float(inputs.params["mip_gap"]),
                              time_limit=float(inputs.params["time_limit_seconds"]),
                              threads=int(inputs.params["threads"]), verbose=verbose)
    solved = solve(instance, formulation, settings, progress=say,
                   write_model=str(write_model) if write_model else None, engine=engine)
    provenance = {
        "placeopt_version": __version__,
        "workbook": str(Path(workbook).name),
        "scenario": inputs.scenario,
        "workbook_path": str(Path(workbook).resolve()),
        "workbook_sha256": inputs.source.sha256,
        "started_at": started_at.isoformat(timespec="seconds"),
        "options": _jsonable(inputs.params),
        "strong_linking": strong_linking,
        "engine": engine,
        "residential_k": residential_k,
        "dominated_arcs_left_out": instance.dominated_arcs,
        "read_seconds": round(read_seconds, 3),
        "compile_seconds": round(compile_seconds, 3),
        "warnings": [str(p) for p in inputs.warnings],
    }
    say("Summarising...")
    results = summarise(instance, formulation, solved, provenance)
    results.summary["provenance"]["finished_at"] = dt.datetime.now(dt.UTC).isoformat(
        timespec="seconds")
    return results


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


def default_output(workbook: str | Path, scenario: str) -> Path:
    return Path("results") / Path(workbook).stem / scenario


@contextlib.contextmanager
def staged(folder: str | Path) -> Iterator[Path]:
    """A temporary folder beside `folder`, moved into its place only if the block ends
    without an error: a failed run never leaves half a result folder."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield staging
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.replace(folder, retired / folder.name)
            os.replace(staging, folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_results(results: Results, folder: str | Path, reports: bool = True) -> Path:
    """Write every result file into `folder`, atomically (see `staged`)."""
    with staged(folder) as staging:
        with (staging / "summary.json").open("w", encoding="utf-8") as handle:
            json.dump(results.summary, handle, indent=2, default=_json_default)
        for name in Results.TABLES:
            table: pd.DataFrame = getattr(results, name)
            neutralise_table(table).to_csv(staging / f"{name}.csv", index=False)
        if reports:
            write_reports(staging)
    return Path(folder)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
