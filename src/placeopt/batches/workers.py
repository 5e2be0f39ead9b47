"""Where a batch's tasks run: here, one after another; in local worker processes, one
task each at a time; or on a Dask cluster. Each yields the same events (`Event`): a
task's progress, its outcome, and a tick while nothing happens."""

from __future__ import annotations

import dataclasses
import multiprocessing
import multiprocessing.connection
import queue
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .records import BatchSpec, Notify, SchedulerError, Task
from .solving import failure, record_failure, solve_task

# ("progress", event dict), ("done", Outcome), or ("tick", None) while nothing happens
Event = tuple[str, Any]


def in_process(spec: BatchSpec, work: list[tuple[int, Task]], notify: Notify
                ) -> Iterator[Event]:
    """One task after another in this process; progress goes straight to `notify`."""
    for index, task in work:
        yield "done", solve_task(spec, task, index, notify)


def _worker_loop(spec: BatchSpec, pipe) -> None:
    """A local worker process: solve the tasks it is given until told to stop, sending
    progress and outcomes back on its own pipe. Ctrl-C is the batch's to handle: it stops
    the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while (item := pipe.recv()) is not None:
        index, task = item
        pipe.send(("done", solve_task(spec, task, index,
                                      lambda event: pipe.send(("progress", event)))))


class _Slot:
    """One local worker process, the task it holds, and the pipe it takes tasks from and
    answers on. Each worker has a pipe of its own: a worker killed while it writes (out of
    memory, say) breaks its own pipe only. A queue shared by all of them has one write
    lock, and a worker killed holding it leaves every other worker waiting for ever."""

    def __init__(self, context, spec: BatchSpec):
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=_worker_loop, args=(spec, child), daemon=True)
        self.process.start()
        child.close()
        self.holding: tuple[int, Task] | None = None

    def give(self, item: tuple[int, Task]) -> None:
        self.holding = item
        self.pipe.send(item)

    def messages(self) -> Iterator[Event]:
        """What the worker has sent and this process not yet read."""
        try:
            while self.pipe.poll():
                yield self.pipe.recv()
        except (EOFError, OSError):  # the worker died mid-message: the rest is lost
            return


def _process_context():
    """Fresh worker processes, never forks of this one (which may hold solver threads).
    Where it exists, a fork server that has imported placeopt once starts them quickly
    (importing placeopt takes seconds); elsewhere each worker is spawned and imports it."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])  # this module imports .run
        return context
    return multiprocessing.get_context("spawn")


def local_processes(spec: BatchSpec, work: list[tuple[int, Task]], jobs: int
                     ) -> Iterator[Event]:
    """`jobs` worker processes, each given one task at a time: when one dies (e.g. out of
    memory) its task is known, recorded as failed, and the process replaced."""
    context = _process_context()
    waiting = list(reversed(work))
    slots = [_Slot(context, spec) for _ in range(min(jobs, len(work)))]
    remaining = len(work)
    try:
        for slot in slots:
            if waiting:
                slot.give(waiting.pop())
        while remaining:
            ready = multiprocessing.connection.wait(
                [s.pipe for s in slots] + [s.process.sentinel for s in slots], timeout=0.5)
            if not ready:
                yield "tick", None
            for slot in list(slots):
                for kind, payload in slot.messages():
                    if kind == "done":
                        remaining -= 1
                        slot.holding = None
                        if waiting:
                            slot.give(waiting.pop())
                    yield kind, payload
                if slot.process.is_alive():
                    continue
                slot.process.join()
                slot.pipe.close()
                slots.remove(slot)
                if slot.holding:
                    index, task = slot.holding
                    remaining -= 1
                    yield "done", record_failure(spec, task, failure(
                        index, task, "error", "the worker process stopped (exit code "
                        f"{slot.process.exitcode}; out of memory?)", 0.0))
                if waiting:
                    slots.append(_Slot(context, spec))
                    slots[-1].give(waiting.pop())
    finally:
        for slot in slots:
            if slot.process.is_alive():
                if slot.holding:
                    slot.process.terminate()
                else:
                    try:
                        slot.pipe.send(None)
                    except OSError:
                        slot.process.terminate()
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()


@dataclass(frozen=True)
class _DaskNotify:
    """Progress from a task on a Dask worker: an event on the scheduler, under a topic the
    batch's client listens to."""

    topic: str

    def __call__(self, event: dict[str, Any]) -> None:
        from distributed import get_worker

        get_worker().log_event(self.topic, event)


def dask_tasks(spec: BatchSpec, work: list[tuple[int, Task]], address: str) -> Iterator[Event]:
    try:
        from distributed import Client
    except ImportError as exc:
        raise SchedulerError("Dask is not installed: pip install 'placeopt[dask]'") from exc
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"could not reach the Dask scheduler at {address}: {exc}") from exc
    slots: dict[str, int] = {}
    for address_, worker in client.scheduler_info().get("workers", {}).items():
        host = urlsplit(address_).hostname or ""
        slots[host] = slots.get(host, 0) + int(worker.get("nthreads", 1))
    spec = dataclasses.replace(spec, slots_by_host=tuple(sorted(slots.items())))
    topic = f"placeopt-batch-{uuid.uuid4().hex}"
    events: queue.SimpleQueue = queue.SimpleQueue()
    client.subscribe_topic(topic, lambda event: events.put(event[1]))
    futures = {}
    try:
        for index, task in work:
            futures[client.submit(solve_task, spec, task, index, _DaskNotify(topic),
                                  key=f"{topic}-{index}", pure=False)] = (index, task)
        pending = dict(futures)
        while pending:
            time.sleep(0.25)
            yield "tick", None
            while not events.empty():
                yield "progress", events.get()
            for future in [f for f in pending if f.done()]:
                index, task = pending.pop(future)
                if future.status == "finished":
                    yield "done", future.result()
                else:
                    yield "done", record_failure(spec, task, failure(
                        index, task, "error", f"the Dask worker failed: {future.exception()!r}",
                        0.0))
        while not events.empty():
            yield "progress", events.get()
    finally:
        client.unsubscribe_topic(topic)
        for future in futures:
            future.release()
        client.close()
