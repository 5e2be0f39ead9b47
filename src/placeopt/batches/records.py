"""What a batch is made of: its spec (the workbook and settings every task shares), its
tasks, each task's outcome (one row of the batch summary) and the batch's result; the
statuses that count as solved, the exit codes and the batch's errors."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from ..case import Overrides
from ..model.portfolio import cores
from ..workbook.inputs import Inputs
from .programme import Programme
from .uncertainty import DemandSample, ShareSample

SOLVED = ("optimal", "time_limit")  # a plan exists
FINAL = (*SOLVED, "infeasible")  # a folder with these is not solved again unless forced
EXIT_OK, EXIT_FAILED, EXIT_BUG = 0, 3, 4
Notify = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class BatchSpec:
    """What every task of a batch shares: the workbook (by path and content), the
    command's solver settings and, where the command gave no --threads, the share of the
    cores each of the tasks running side by side may use (`cores_per_task`; 0: ask the
    Dask worker). The share is not part of a task's identity: it changes how fast a task
    solves, not its answer."""

    workbook: Path
    sha256: str
    overrides: Overrides = field(default_factory=Overrides)
    cores_per_task: int = 0
    slots_by_host: tuple[tuple[str, int], ...] = ()  # Dask: tasks at once, by worker host

    def solver_overrides(self) -> Overrides:
        """The overrides a task solves with: --threads, else its share of the cores."""
        if self.overrides.threads is not None:
            return self.overrides
        share = self.cores_per_task or self._dask_share()
        return dataclasses.replace(self.overrides, threads=share) if share else \
            self.overrides

    def _dask_share(self) -> int:
        """On a Dask worker: its machine's cores over the tasks that every worker on that
        machine runs at once (0 where this is no Dask worker)."""
        try:
            from distributed import get_worker

            worker = get_worker()
        except (ImportError, ValueError):
            return 0
        host = urlsplit(worker.address).hostname
        slots = dict(self.slots_by_host).get(host, worker.state.nthreads)
        return max(1, cores() // max(1, slots))


@dataclass(frozen=True)
class Task:
    """One case of a batch, and the folder its results go to."""

    scenario: str
    folder: Path
    sample: DemandSample | None = None
    programme: Programme | None = None
    reports: bool = True

    @property
    def label(self) -> str:
        return self.folder.name

    def identity(self, spec: BatchSpec) -> dict[str, Any]:
        """What the task's results depend on besides the workbook; kept in summary.json so
        a resumed batch knows whether a folder answers this task."""
        identity = {"scenario": self.scenario,
                    "sample": self.sample.describe() if self.sample else None,
                    "programme": self.programme.digest if self.programme else None,
                    "overrides": dataclasses.asdict(spec.overrides)}
        return json.loads(json.dumps(identity))

    def adjust(self, with_programme: bool) -> Callable[[Inputs], None] | None:
        shares = ShareSample(self.sample.seed, self.sample.index) if self.sample else None
        steps = [s for s in (self.sample, shares, self.programme if with_programme else None)
                 if s]
        if not steps:
            return None

        def apply(inputs: Inputs) -> None:
            for step in steps:
                step(inputs)
        return apply


@dataclass(frozen=True)
class Outcome:
    """One task's row of the batch summary, and its build decisions (for the samples'
    option table). `bug` marks a failure that is placeopt's fault (exit code 4)."""

    index: int
    row: dict[str, Any]
    builds: dict[str, int | None] = field(default_factory=dict)
    bug: bool = False
    detail: str = ""  # the traceback of a bug, for --debug
    summary: dict[str, Any] | None = None  # a failed run's own summary, for its folder

    @property
    def solved(self) -> bool:
        return bool(self.row["solved"])


@dataclass(frozen=True)
class BatchResult:
    folder: Path
    table: pd.DataFrame  # one row per task (batch_summary.csv)
    percentiles: pd.DataFrame  # P10/P50/P90 by scenario and measure (samples only)
    options: pd.DataFrame  # how often each option is built (samples only)
    outcomes: list[Outcome]
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        if any(o.bug for o in self.outcomes):
            return EXIT_BUG
        return EXIT_OK if all(o.solved for o in self.outcomes) else EXIT_FAILED


class SchedulerError(Exception):
    """The Dask scheduler cannot be used (not installed, or not reachable)."""


class FolderError(Exception):
    """A folder the batch would write is not a result folder: it is never replaced."""
