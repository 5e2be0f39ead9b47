"""Solves that can be stopped: Ctrl-C, a route that lost a race, progress from HiGHS.

HiGHS runs in threads of its own (a solve in a worker thread, the years' LPs in a pool,
two routes side by side in a race). It can be stopped only from inside, at its interrupt
checks, which call back into Python: a `Watch` is a stop flag those callbacks read. A
watch may have a parent (the solve's), so that Ctrl-C stops every route of a race while
the race stops only its loser.

HiGHS's callbacks run in its threads, so progress lines are queued (`say`) and passed on
in the thread that asked for the solve (`run`): a progress function need not be
thread-safe (a Dask worker's `log_event` must be called from the task's own thread).

The same checks let a race slow one route down (`share`): at each check, a route whose
share is below 1 sleeps for as long as keeps its running time to that share of the
clock, so the route ahead has the cores (model/portfolio.py). Each route also posts its
gap as it stands (`gap`), which is how the race sees which is ahead.
"""

from __future__ import annotations

import contextlib
import math
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ..problems import Abandoned, Interrupted

Progress = Callable[[str], None]
T = TypeVar("T")


PAUSE_STEP = 0.02  # seconds: a paused route looks this often whether it may go on
LONGEST_PAUSE = 5.0  # seconds: one check's pause at most (a check may come a while after)


def pause_seconds(ran: float, share: float) -> float:
    """How long a solve that ran `ran` seconds since its last pause pauses now, so that
    it runs for `share` of the clock (at most LONGEST_PAUSE)."""
    return min(LONGEST_PAUSE, ran * (1.0 - share) / max(share, 1e-3))


def interrupt_check(watch_of: Callable[[], Watch],
                    also: Callable[[], bool] | None = None) -> Callable[[Any], None]:
    """A HiGHS interrupt callback: it paces the solve to its watch's share, then sets the
    interrupt flag to whether the watch (or `also`) says stop, true or false.

    `watch_of` gives the watch of the solve under way (an instance serves many solves).
    HiGHS keeps the flag between checks and between runs (1.16): once set, a later run of
    the same instance stops at its first check. Setting it to the truth at every check,
    from one callback per instance, lets an instance stopped once (Ctrl-C, a lost race,
    a master round ended early) run again."""

    def check(event: Any) -> None:
        watch = watch_of()
        watch.pace()
        event.interrupt(bool(watch.stopped or (also is not None and also())))

    return check


class Watch:
    """A stop flag read at HiGHS's interrupt checks, and the queue of progress lines."""

    def __init__(self, parent: Watch | None = None, racing: bool = False):
        self.parent = parent
        self.racing = racing  # a route's watch in a race (the whole model then runs apart)
        self._stop = False
        self.abandoned = False  # stopped, and its answer not wanted (a race's loser)
        self._guarded = False
        self._lines: queue.SimpleQueue[str] = parent._lines if parent else queue.SimpleQueue()
        self.share = 1.0  # of the clock this solve may run for (a race sets it)
        self.gap = math.inf  # the solve's relative gap as it stands (its route posts it)
        # The best plan's objective and the best lower bound as they stand (the route
        # posts them): a race ends once one route's plan and the other's bound meet.
        self.best, self.bound = math.inf, -math.inf
        # When the solve first had the model's LP bound (its route posts it: the whole
        # model's root solved, the years route's LP phase ended), by the clock.
        self.bound_at: float | None = None
        self._since = threading.local()  # per HiGHS thread: when it last paused

    @property
    def stopped(self) -> bool:
        return self._stop or (self.parent is not None and self.parent.stopped)

    def stop(self) -> None:
        self._stop = True

    def abandon(self) -> None:
        """Stop, and say that the answer is not wanted: a solve that can end at once
        (a child process, model/apart.py) need not wait for its next interrupt check."""
        self.abandoned = True
        self.stop()

    def post(self, best: float = math.inf, bound: float = -math.inf) -> None:
        """The solve's best plan (objective) and lower bound as they stand, from any
        thread: each is kept only where it improves on the last."""
        if best < self.best:
            self.best = best
        if bound > self.bound:
            self.bound = bound

    def bound_known(self) -> None:
        """The route has the model's LP bound (from any thread; the first time counts)."""
        if self.bound_at is None:
            self.bound_at = time.perf_counter()

    def child(self, racing: bool = False) -> Watch:
        """A watch stopped with this one, or on its own."""
        return Watch(self, racing)

    def pace(self) -> None:
        """At an interrupt check (HiGHS's thread): with a share below 1, sleep so that
        this thread runs for that share of the clock since it last paused. Waking at
        once when the share goes back to 1 or the solve is stopped."""
        now = time.perf_counter()
        since = getattr(self._since, "at", None)
        self._since.at = now
        share = self.share
        if since is None or share >= 1.0 or self.stopped:
            return
        end = now + pause_seconds(now - since, share)
        while now < end and self.share < 1.0 and not self.stopped:
            time.sleep(min(PAUSE_STEP, end - now))
            now = time.perf_counter()
        self._since.at = now

    def attach(self, highs: Any, also: Callable[[], bool] | None = None) -> Any:
        """Let this watch (or `also`, when it says so) stop `highs` at its next interrupt
        check, and pace it; returns `highs`. One callback per HiGHS instance: see
        `interrupt_check`."""
        check = interrupt_check(lambda: self, also)
        for event in (highs.cbMipInterrupt, highs.cbSimplexInterrupt, highs.cbIpmInterrupt):
            event.subscribe(check)
        return highs

    def say(self, line: str) -> None:
        """Queue a progress line (from any thread)."""
        self._lines.put(line)

    def flush(self, progress: Progress) -> None:
        while not self._lines.empty():
            progress(self._lines.get())

    @contextlib.contextmanager
    def guard(self, progress: Progress) -> Iterator[None]:
        """While inside, Ctrl-C sets this watch's flag (and says so) instead of raising
        KeyboardInterrupt; a second Ctrl-C abandons (Interrupted). Nested guards are the
        outermost's. Only the main thread can catch signals; where SIGINT is ignored (a
        background job) it stays so.

        The flag, once set by Ctrl-C, stays: the planner wants the run to end, and the
        solves still to come (project values, the marginal-value LP) stop at once. A
        Ctrl-C between two solves, or as a solve ends, is kept for the next (it was lost
        when each solve cleared the flag as it started)."""
        if (self._guarded or threading.current_thread() is not threading.main_thread()
                or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
            yield
            return

        def stop(_signum: int = 0, _frame: object = None) -> None:
            if self._stop:  # the second Ctrl-C: abandon the solve (the thread dies with us)
                raise Abandoned("abandoned during the solve")
            self.stop()
            progress("Stopping at the solver's next check (Ctrl-C again to abandon)...")

        previous = signal.signal(signal.SIGINT, stop)
        self._guarded = True
        try:
            yield
        finally:
            self._guarded = False
            signal.signal(signal.SIGINT, previous)

    def run(self, work: Callable[[], T], progress: Progress) -> T:
        """Run `work` (whose HiGHS instances this watch is attached to) in a worker thread
        so that Ctrl-C stops it at HiGHS's next interrupt check; returns what it returns.

        This thread waits in short steps, so Python handles SIGINT at once: the flag it
        sets (`guard`) is read by HiGHS's interrupt callbacks, which stop the solve where
        it stands and keep the best plan found. (HiGHS has no interrupt check inside
        presolve, and none inside a root cut round: there Ctrl-C waits for the step to
        end.) If `progress` raises, the solve is stopped and the error passed on.
        """
        failure: list[BaseException] = []
        result: list[Any] = []

        def solve() -> None:
            try:
                result.append(work())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                failure.append(exc)

        with self.guard(progress):
            worker = threading.Thread(target=solve, name="highs", daemon=True)
            worker.start()
            while worker.is_alive():
                try:
                    worker.join(timeout=0.1)
                    self.flush(progress)
                except Interrupted:
                    raise
                except KeyboardInterrupt:  # a handler other than ours raised it
                    if self._stop:
                        raise Abandoned("abandoned during the solve") from None
                    self.stop()
                except BaseException:  # the progress function failed: stop, then say so
                    self.stop()
                    worker.join()
                    raise
            self.flush(progress)
        if failure:
            raise failure[0]
        return result[0] if result else None  # type: ignore[return-value]
