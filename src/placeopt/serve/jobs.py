"""Runs as worker processes: the page's runs are the command line's own commands.

Each run is `python -m placeopt run|batch|frontier|forecast ...` on the stored workbook,
in a process group of its own, so it writes exactly the folder the command writes, a
crash of it never reaches the server, and cancelling is Ctrl-C (SIGINT to the group: the
command writes the best plan found so far with status `interrupted`, as at a terminal).
Runs wait in a queue and hold at most one core each (a batch holds as many as it runs
at once) within the server's `slots`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from .runs import LOG, Request, RunRecord, RunStore, now, workbook_name

KINDS = ("run", "batch", "samples", "frontier", "forecast")
INTERRUPTED = (130, -signal.SIGINT)
STOP_WAIT_SECONDS = 20.0  # how long a stopping server waits for its runs to write their plans


def command(request: Request, run_id: str, jobs: int = 1) -> list[str]:
    """The placeopt command a run executes, with the data folder as working directory.
    Values the planner typed go in as `--option=value`, so none can pose as an option."""
    workbook = f".runs/{run_id}/{workbook_name(run_id, request.workbook_name)}"
    if request.kind == "run":
        return ["run", workbook, "-o", run_id, f"--scenario={request.scenario}"]
    if request.kind == "batch":
        return ["batch", workbook, "-o", run_id, f"--scenarios={','.join(request.scenarios)}",
                f"--jobs={jobs}"]
    if request.kind == "samples":
        return ["batch", workbook, "-o", run_id, f"--scenarios={request.scenario}",
                f"--samples={request.samples}", f"--jobs={jobs}"]
    if request.kind == "frontier":
        return ["frontier", workbook, "-o", run_id, f"--scenario={request.scenario}",
                f"--points={request.points}"]
    if request.kind == "forecast":
        line = ["forecast", "project", f"--la={request.authority}", "-o",
                f"{run_id}/demand.xlsx", f"--provision={request.provision}"]
        if request.has_workbook:
            return [*line, "--workbook", workbook]
        return [*line, f"--horizon={request.horizon}"]
    raise ValueError(f"unknown kind of run {request.kind!r}")


def cores_wanted(request: Request, slots: int) -> int:
    """How many cores a run holds: one solve at a time, or a batch's tasks at once."""
    if request.kind == "batch":
        return max(1, min(slots, len(request.scenarios)))
    if request.kind == "samples":
        return max(1, min(slots, request.samples))
    return 1


def plain_lines(lines: list[str]) -> list[str]:
    """The log without Python tracebacks (a worker that died outside the command's own
    handling, or a batch's worker processes stopped by Ctrl-C): a planner reads words."""
    shown: list[str] = []
    in_traceback = False
    for line in lines:
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
            continue
        if in_traceback:
            if line.startswith((" ", "\t")) or not line.strip():
                continue
            in_traceback = False  # the exception's own line closes the traceback
            continue
        if line.startswith("Process ") and line.rstrip().endswith(":"):
            continue  # multiprocessing's header before a child's traceback
        shown.append(line)
    return shown


SERVER_STOPPED = "The server stopped during this run"


def outcome(record: RunRecord, code: int | None, store: RunStore,
            cause: str = "Cancelled") -> tuple[str, str]:
    """The status and message of a run whose worker ended with `code` (None: unknown, the
    server was not there to see it end). `cause` says who interrupted it."""
    summary = store.summary(record.id) if record.request.kind == "run" else None
    last = next((line for line in reversed(plain_lines(store.log_lines(record.id)))
                 if line.strip()), "")
    if code in INTERRUPTED or (code is None and summary is None):
        cause = SERVER_STOPPED if code is None else cause
        if summary is not None:
            return "interrupted", (f"{cause}: the best plan found so far is in the folder "
                                   "(status interrupted); its reports are not written.")
        return "interrupted", f"{cause} before a plan was found: nothing was written."
    if code == 0 or code is None:
        if record.request.kind == "run":
            return (summary or {}).get("status", "error"), ""
        return "finished", ""
    if code == 1:
        return "error", "The workbook was not accepted: the errors are listed above."
    if code == 3:
        if summary is not None:
            return summary.get("status", "error"), summary.get("explanation") or last
        return "failed", last
    if code == 4:
        return "error", internal_error(record.id)
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return "error", (f"The worker process stopped unexpectedly ({name}), without writing "
                         "results. " + internal_error(record.id))
    return "error", last


def internal_error(run_id: str) -> str:
    """The page's words for a bug in placeopt (the terminal's say to rerun with --debug)."""
    return ("Internal error in placeopt: this is a bug, not a problem with your workbook. "
            f"Please report it to the placeopt maintainers with the file .runs/{run_id}/"
            f"{LOG} from the server's data folder and, if you can share it, the workbook.")


class Runner:
    """The queue and the worker processes. Lives in the server's event loop."""

    def __init__(self, store: RunStore, slots: int):
        self.store, self.slots = store, max(1, slots)
        self.queue: list[str] = []  # ids, oldest first
        self.running: dict[str, tuple[asyncio.subprocess.Process | None, int]] = {}
        self.lock = asyncio.Lock()
        self.watchers: dict[str, asyncio.Task] = {}
        self.stopping = False

    @property
    def busy(self) -> int:
        return sum(cores for _, cores in self.running.values())

    async def start(self) -> None:
        """Pick up after a restart: queued runs queue again; a run that was running is
        finished from its folder (or watched, if its worker outlived the server)."""
        for record in sorted(self.store.all(), key=lambda r: (r.created_at, r.id)):
            if record.status == "queued":
                self.queue.append(record.id)
            elif record.status == "running":
                if record.pid is not None and self._still_ours(record):
                    self.running[record.id] = (None, record.slots)
                    self._watch(record.id, self._outlived(record))
                else:
                    self._finish(record, None)
        await self.dispatch()

    async def submit(self, record: RunRecord) -> None:
        self.queue.append(record.id)
        await self.dispatch()

    async def dispatch(self) -> None:
        """Start queued runs, oldest first, while their cores are free."""
        async with self.lock:
            while self.queue and not self.stopping:
                try:
                    record = self.store.load(self.queue[0])
                except (KeyError, OSError, ValueError, TypeError):  # deleted or damaged by hand
                    self.queue.pop(0)
                    continue
                cores = cores_wanted(record.request, self.slots)
                if self.running and self.busy + cores > self.slots:
                    return
                self.queue.pop(0)
                try:
                    await self._launch(record, cores)
                except OSError as exc:  # no process could be started: say so on the run
                    self.store.save(dataclasses.replace(
                        record, status="error", finished_at=now(),
                        message=f"The run could not be started ({exc.strerror or exc}). "
                        + internal_error(record.id)))

    async def _launch(self, record: RunRecord, cores: int) -> None:
        argv = [sys.executable, "-m", "placeopt",
                *command(record.request, record.id, jobs=cores)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLACEOPT_SERVE")}
        env["PYTHONUNBUFFERED"] = "1"  # progress reaches the log line by line
        with (self.store.record_folder(record.id) / LOG).open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                *argv, cwd=self.store.root, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.running[record.id] = (process, cores)
        self.store.save(dataclasses.replace(record, status="running", started_at=now(),
                                            pid=process.pid, slots=cores))
        self._watch(record.id, self._wait(record.id, process))

    def _watch(self, run_id: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.watchers[run_id] = task
        task.add_done_callback(lambda _: self.watchers.pop(run_id, None))

    async def _wait(self, run_id: str, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        self._finish(self.store.load(run_id), code)
        self.running.pop(run_id, None)
        await self.dispatch()

    def _finish(self, record: RunRecord, code: int | None) -> None:
        cause = SERVER_STOPPED if self.stopping and not record.cancelling else "Cancelled"
        status, message = outcome(record, code, self.store, cause)
        if record.cancelling and code == 0:  # Ctrl-C came after the plan was solved
            message = ("Cancelled after the plan was solved: its results are written; what "
                       "was still being worked out (e.g. the project values) is left out, "
                       "as the progress says.")
        self.store.save(dataclasses.replace(record, status=status, message=message,
                                            exit_code=code, finished_at=now(), pid=None,
                                            cancelling=False))

    def _still_ours(self, record: RunRecord) -> bool:
        """Is the worker of a run from before the restart still running? (Its working
        folder says whether the process id still names it.)"""
        try:
            return Path(f"/proc/{record.pid}/cwd").resolve() == self.store.root
        except OSError:
            return False

    async def _outlived(self, record: RunRecord) -> None:
        while self._still_ours(record):
            await asyncio.sleep(1.0)
        self._finish(self.store.load(record.id), None)
        self.running.pop(record.id, None)
        await self.dispatch()

    async def cancel(self, run_id: str) -> RunRecord:
        """Ctrl-C for a run: a queued one never starts; a running one is interrupted."""
        record = self.store.load(run_id)
        async with self.lock:
            if run_id in self.queue:
                self.queue.remove(run_id)
                record = dataclasses.replace(
                    record, status="interrupted", finished_at=now(),
                    message="Cancelled before it started: nothing was written.")
                self.store.save(record)
            elif run_id in self.running and record.pid is not None:
                self._interrupt(record.pid)
                record = dataclasses.replace(record, cancelling=True)
                self.store.save(record)
        return record

    @staticmethod
    def _interrupt(pid: int, sign: int = signal.SIGINT) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # ended meanwhile
            os.killpg(pid, sign)  # the worker's group: a batch's processes too

    async def stop(self) -> None:
        """The server is stopping: interrupt the running runs and give them time to write
        their best plans (queued runs stay queued for the next start; a worker that
        outlived an earlier server is left to finish)."""
        self.stopping = True
        ours = {}
        for run_id, (process, _) in list(self.running.items()):
            task = self.watchers.get(run_id)
            if process is None:
                if task is not None:
                    task.cancel()
            elif task is not None:
                self._interrupt(process.pid)
                ours[process] = task
        if not ours:
            return
        _, late = await asyncio.wait(ours.values(), timeout=STOP_WAIT_SECONDS)
        for process in ours:
            if process.returncode is None:
                self._interrupt(process.pid, signal.SIGKILL)
        if late:
            await asyncio.wait(late, timeout=5.0)
