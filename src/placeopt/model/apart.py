"""The whole model solved in a process of its own, so that a race can pause it anywhere.

A race (model/portfolio.py) slows the route behind at its interrupt checks
(model/watch.py). HiGHS has none in presolve or in a MIP's root LP, which on some plan
shapes last seconds: there the whole MIP kept its core while the years route, ahead,
shared what was left, and the default took up to 1.9 times the years route's time alone
(benchmarks/RESULTS.md, issue 17). A process can be stopped anywhere (SIGSTOP) and
resumed (SIGCONT). So in a race the whole model is solved here: in a child process,
started when the model is built (it imports HiGHS while the parent goes on) and kept
for the model's raced solves.

The parent sends a job (the model as arrays, HiGHS's options, the start solution); the
child answers with its gap as it changes, each incumbent, and what HiGHS's run gave
(`ran`: the same record an in-process run gives, so both are read by one function,
`WholeRoute._outcome`). The child is in a session of its own: Ctrl-C at the terminal
reaches only the parent, which passes it on as a "stop" that HiGHS reads at its next
interrupt check (keeping its best plan). A route that lost its race is not waited for:
its child is killed, and a fresh one started for the model's next race.

This module imports only numpy and HiGHS (and the standard library): the child starts
in a third of a second.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from .highs_lp import new_highs, pass_csc, set_start, set_time_limit
from .watch import pause_seconds

SLICE = 0.05  # seconds a paced child runs between two pauses
STEP = 0.02  # seconds between the parent's looks at the child and at its watch
GAP_EVERY = 0.05  # seconds: the child posts its gap at most this often
ORPHAN_CHECK = 0.5  # seconds between the child's looks whether its parent is alive


def ran_record(highs: Any, *, values: bool = True) -> dict[str, Any]:
    """What HiGHS's last run gave, as plain values (sent from a child as they are)."""
    import highspy

    status = highs.getModelStatus()
    info = highs.getInfo()
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    record = {"status": status.name, "status_text": highs.modelStatusToString(status),
              "feasible": bool(feasible),
              "objective": float(info.objective_function_value),
              "mip_dual_bound": float(info.mip_dual_bound), "values": None}
    if values and feasible and status != highspy.HighsModelStatus.kModelEmpty:
        record["values"] = np.asarray(highs.getSolution().col_value, dtype=float)
    return record


# -- the child ---------------------------------------------------------------------------
def _solve_job(job: dict[str, Any], jobs: Connection, replies: Connection,
               parent: int) -> dict[str, Any]:
    try:
        highs = new_highs(job["verbose"], job["threads"], job["options"])
    except ValueError as exc:  # an option HiGHS refuses, named in the parent
        return {"error": str(exc)}
    pass_csc(highs, job["csc"], job["cost"], job["col_lower"], job["col_upper"],
             job["row_lower"], job["row_upper"], job["integer"], job["offset"])
    if job["start"] is not None:
        set_start(highs, job["start"])
    set_time_limit(highs, job["seconds"])

    lock = threading.Lock()  # HiGHS may call back from more than one of its threads
    said = {"stop": False, "posted": (math.inf, math.inf, -math.inf), "at": 0.0}

    def stop_asked() -> bool:
        with lock:
            while not said["stop"] and jobs.poll():
                said["stop"] = jobs.recv() == "stop"
        return said["stop"] or os.getppid() != parent

    def post(kind: str, *data: float) -> None:
        with lock:
            replies.send((kind, *data))

    def check(event: Any) -> None:
        event.interrupt(stop_asked())

    def check_mip(event: Any) -> None:
        data, now = event.data_out, time.perf_counter()
        posted = (float(data.mip_gap), float(data.mip_primal_bound),
                  float(data.mip_dual_bound))
        if posted != said["posted"] and (now - said["at"] >= GAP_EVERY
                                         or not math.isfinite(said["posted"][2])):
            said["posted"], said["at"] = posted, now
            post("gap", *posted)
        check(event)

    def incumbent(event: Any) -> None:
        data = event.data_out
        post("incumbent", float(data.objective_function_value), float(data.mip_gap),
             float(data.running_time))

    highs.cbMipInterrupt.subscribe(check_mip)
    for event in (highs.cbSimplexInterrupt, highs.cbIpmInterrupt):
        event.subscribe(check)
    highs.cbMipImprovingSolution.subscribe(incumbent)
    highs.run()
    return ran_record(highs)


def serve(read_fd: int, write_fd: int) -> None:
    """The child: solve each job sent, until the parent closes its end."""
    jobs = Connection(read_fd, writable=False)
    replies = Connection(write_fd, readable=False)
    parent = os.getppid()

    def orphaned() -> None:  # a parent killed outright leaves no one to stop this child
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK)
        os._exit(0)

    threading.Thread(target=orphaned, name="orphaned", daemon=True).start()
    import highspy  # noqa: F401 - imported before the parent is told the child is ready

    replies.send(("ready",))
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        if job == "stop":  # a stop that came after its job ended
            continue
        try:
            replies.send(("done", _solve_job(job, jobs, replies, parent)))
        except (BrokenPipeError, EOFError, OSError):
            return


# -- the parent --------------------------------------------------------------------------
class ChildEnded(RuntimeError):
    """The child process ended without an answer (killed, out of memory, a crash);
    `started`: whether it had been ready and taken the job (if not, it never worked:
    solve in this process instead)."""

    def __init__(self, message: str, started: bool):
        super().__init__(message)
        self.started = started


def _end(process: subprocess.Popen[bytes], *connections: Connection) -> None:
    for connection in connections:
        connection.close()
    if process.poll() is None:
        process.kill()
        process.wait()


class Apart:
    """A child process that solves HiGHS models for this one, paced and stopped by a
    watch. Started at once; `solve` waits for it to be ready."""

    def __init__(self, command: tuple[str, ...] = (sys.executable, "-m",
                                                  "placeopt.model.apart")) -> None:
        job_read, job_write = os.pipe()
        reply_read, reply_write = os.pipe()
        self.process = subprocess.Popen(
            [*command, str(job_read), str(reply_write)],
            pass_fds=(job_read, reply_write), start_new_session=True)
        os.close(job_read)
        os.close(reply_write)
        self.jobs = Connection(job_write, readable=False)
        self.replies = Connection(reply_read, writable=False)
        self.ready = False
        self._finalize = weakref.finalize(self, _end, self.process, self.jobs, self.replies)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self._finalize()

    def solve(self, job: dict[str, Any], watch: Any,
              on_incumbent: Any = None) -> dict[str, Any] | None:
        """Run `job` in the child: paced to `watch.share`, stopped when the watch is
        (at HiGHS's next check, keeping its best plan), or killed when the watch is
        abandoned (a lost race: None). What HiGHS's run gave (`ran_record`)."""
        try:
            self._wait_ready(watch)
            if watch.abandoned:
                self.close()
                return None
            self.jobs.send(job)
        except (BrokenPipeError, EOFError, OSError) as exc:
            raise ChildEnded(self._ended(), started=self.ready) from exc
        since, paused_until, stop_sent = time.perf_counter(), 0.0, False
        constant = float(job.get("constant", 0.0))
        try:
            while True:
                if watch.abandoned:
                    self.close()
                    return None
                if watch.stopped and not stop_sent:
                    self._signal(signal.SIGCONT)
                    paused_until, stop_sent = 0.0, True
                    self.jobs.send("stop")
                now = time.perf_counter()
                if paused_until:
                    if now >= paused_until or watch.share >= 1.0 or watch.stopped:
                        self._signal(signal.SIGCONT)
                        paused_until, since = 0.0, now
                elif watch.share < 1.0 and not watch.stopped and now - since >= SLICE:
                    paused_until = now + pause_seconds(now - since, watch.share)
                    self._signal(signal.SIGSTOP)
                elif watch.share >= 1.0:
                    since = now
                if not self.replies.poll(STEP):
                    continue
                if paused_until:  # a long message may be half written: let it finish
                    self._signal(signal.SIGCONT)
                    paused_until, since = 0.0, time.perf_counter()
                message = self.replies.recv()
                if message[0] == "gap":  # the gap, the best plan and the bound
                    _kind, watch.gap, best, bound = message
                    watch.post(best + constant, bound + constant)
                    if math.isfinite(bound):  # its root is solved
                        watch.bound_known()
                elif message[0] == "incumbent" and on_incumbent is not None:
                    on_incumbent(*message[1:])
                elif message[0] == "done":
                    if "error" in message[1]:
                        raise ValueError(message[1]["error"])
                    return message[1]
        except (BrokenPipeError, EOFError, OSError) as exc:
            raise ChildEnded(self._ended(), started=True) from exc
        finally:
            if self.alive:
                self._signal(signal.SIGCONT)

    def _wait_ready(self, watch: Any) -> None:
        while not self.ready:
            if watch.abandoned:
                return
            if self.replies.poll(STEP):
                self.ready = self.replies.recv()[0] == "ready"
            elif not self.alive:
                raise EOFError

    def _signal(self, which: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, which)

    def _ended(self) -> str:
        self.close()
        code = self.process.returncode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return f"the whole model's solver process ended without an answer ({how})"


_spare: Apart | None = None  # started ahead of the race that will take it
_spare_lock = threading.Lock()


def prestart() -> None:
    """Start a child now (as a run begins to read its workbook), for the first race to
    take: on a small model the race starts a fraction of a second after the model is
    built, sooner than a child started then would be ready."""
    global _spare
    if not hasattr(os, "fork"):  # a POSIX system's processes only
        return
    with _spare_lock:
        if _spare is None or not _spare.alive:
            try:
                _spare = Apart()
            except OSError:
                _spare = None


def release() -> None:
    """End the child started beforehand if no race took it: a model that is not raced,
    or whose whole model runs in a thread, leaves it idle (about 60 MB) to the end."""
    global _spare
    with _spare_lock:
        child, _spare = _spare, None
    if child is not None:
        child.close()


def take() -> Apart:
    """A child process: the one started beforehand if there is one, else a new one."""
    global _spare
    with _spare_lock:
        child, _spare = _spare, None
    return child if child is not None and child.alive else Apart()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent passes Ctrl-C on
    serve(int(sys.argv[1]), int(sys.argv[2]))
