"""Which route solves each MIP: the one that proves it first (docs/decisions/0012).

Neither route is the faster on every plan shape. By years (Benders) wins by an order of
magnitude where years are many and options few; one HiGHS MIP wins by two where many
options make the master MIP hard to re-solve round after round (benchmarks/RESULTS.md,
the shape family). No rule read off the model's size foretold which on shapes it had not
seen, so the default ("auto") does not guess: it races them.

A race has a leader and a challenger. The leader runs alone for its patience; if it has
not proved the solve by then, the challenger starts beside it, each in a thread of its
own. The first proof (the gap reached, or no plan exists) ends the race; if both have
proved it by then, the cheaper plan is kept (the whole model's at the same cost). So does
a proof the two make together: one route's best plan within the gap of the other's bound
(both bound the same model); the route with the plan is stopped to give it back. The
loser is stopped at its next interrupt check. (A grace period, in which the other route
could prove it too, cost a fifth of every raced solve and bought nothing measurable: it
was removed.) So the answer depends on the clock only when the two routes finish close
together, and a model that the leader solves within its patience and `CANON` (a second)
more is solved the same way every time: the leader is not slowed before then, and a
challenger's earlier proof waits for it. If neither proves by the time limit, the better plan is
kept with the better of the two bounds (both bound the same model).

While both run they share the cores, and on two cores sharing halves each: so the race
gives the cores to the route clearly ahead on its gap, for a bounded share of the race
(`_Pacer`), and the other pauses at its interrupt checks (`Watch.pace`).

The first solve of a model is led by the years route wherever it races (by the whole
model, `HEAD_START`, otherwise): alone for `YEARS_HEAD_START`, and longer until it has a
gap (its LP phase and first master round; `FIRST_ROUND`).
The winner then leads the model's later solves (project values, frontier points: the
same model a bound or a row apart), with a patience of `PATIENCE` times its winning time,
so they are raced only if it is far slower than it was. A route that cannot solve the
model (whole-number placements, one year, no build decision) or fails (a year LP that
will not solve) leaves it to the other; a model too large to hold twice in memory goes
by years alone, the route that scales, and whole only if that fails.

Every decision is recorded: which route's answer is kept and why (`Decision`), and how
each route of the race ended (`Portfolio.record`).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from . import apart
from .benders import BendersRoute
from .route import PROOFS, Attempt, Limits, Route, SolverSettings, relative_gap
from .state import ModelState
from .watch import Watch
from .whole import WholeRoute

HEAD_START = 0.25  # seconds the whole model, leading a model's first solve, runs alone
# ... and the years route, which leads wherever it applies: since each master round is
# solved finer than the gap asked (benders.MASTER_FINE), it is the faster route on all
# but one shape of the family where it applies (mid_100_options: whole 10.2 s, years
# 28.8 s). Led by the whole model, 12 of 37 shapes took over 1.25 times the faster
# route plus a second, as the two shared two cores from a quarter of a second on; led by
# the years route for 2 s, 16 of those 17 re-run met it, and mid_100_options took 14.4 s
# where it took 12.6 (benchmarks/RESULTS.md, the fifth version; those figures are of
# workbooks an older generator wrote). Re-tried at 1 s on the family as committed (the
# seventh version): 25 of 37 shapes slower, 3 faster.
YEARS_HEAD_START = 2.0
# ... and past that, until its first gap is known (its LP phase and first master round),
# but no longer than FIRST_ROUND times its LP phase (a first master MIP that is slow to
# solve). The whole model's root LP took longer than the years route's LP phase on every
# shape of the family where both were timed, so while the years route has no gap yet the
# whole model could not have proved the solve: started at 2 s on the largest shapes, it
# ran in a thread (it cannot be paused before its root) and only slowed the years route
# (la250_ringfenced: years alone 21.9 s, raced 32.4 s). The first master round ended
# within 1.3-2.0 times the LP phase on the shapes timed.
FIRST_ROUND = 3.0
# A leader that proves the solve within this many seconds after its patience gives the
# answer, as if it had run alone, even if the challenger proved first; and it is not
# slowed before then: so a model its leader solves within its head start and a
# second, or a project value its leader solves within a second of its usual time, is
# solved the same way every time, however the race went (the worked example: its
# project values came out by either route from one run to the next).
CANON = 1.0
TICK = 0.1  # seconds between the race's looks at the two gaps
LEAD = 2.0  # a route is ahead when its gap is at most 1/LEAD of the other's
SLOW = 0.1  # the share of the clock the route behind runs while the other has priority
# ... and while the route behind has no real gap yet (the whole model in presolve or its
# root LP, where only a process of its own can be paused: model/apart.py). Such a lead is
# the weakest sign: on mid_few_needs the years route led the whole model's root at 0.2%,
# and the whole model proved a tenth of a second after its root; paused to a tenth there,
# it lost a second (3.4 -> 4.5 s), where half its speed costs it half that.
EARLY_SLOW = 0.5
# How long a route ahead may have priority. While the other's gap is above ROOT_GAP (the
# whole model before its root LP is solved, the years route before its first plan), its
# lead says little: EARLY_SECONDS plus EARLY_SHARE of the race. Once both are known:
# KNOWN_SHARE of the race.
EARLY_SECONDS, EARLY_SHARE, KNOWN_SHARE = 1.0, 0.25, 0.75
ROOT_GAP = 0.5
# A lead is kept only while the route ahead is closing its gap: by a quarter at least
# over the last PROGRESS_WINDOW seconds (or PROGRESS_SHARE of the race, if longer). A
# route that sits near the gap asked for (the years route's last rounds can each close
# it by 1%) leaves the cores to both.
PROGRESS, PROGRESS_WINDOW, PROGRESS_SHARE = 4 / 3, 1.0, 0.2
PATIENCE = 3.0  # later solves: the leader alone for this many times its winning time
# Above this many nonzeros the whole model and the year LPs together may not fit in 16 GiB:
# the ten-authority region (about 16 million) peaked at 11.4 GiB whole and 4.6 GiB by years
# (benchmarks/RESULTS.md); a local authority (1.5 million) races in under 4 GiB.
RACE_NONZEROS = 10_000_000
# Up to this many nonzeros a race solves the whole model in a child process it can pause
# anywhere (model/apart.py); above, in a thread, paused at HiGHS's interrupt checks. On
# the family's five largest shapes (1.2-1.7 million nonzeros, all won by the years route
# before it led) the child slowed the years route: la150 17.9 s in a thread against
# 21.9 s, even with the child at the lowest CPU priority (nice 19: 23.6 s), which points
# at memory traffic, not CPU. Below 0.71 million (every other shape), pausing the root
# gained more than it cost (benchmarks/RESULTS.md).
APART_NONZEROS = 1_000_000


@dataclass
class Decision:
    """How one solve went: the answer kept, the route it came from, and why."""

    attempt: Attempt
    route: str  # the route whose answer is kept
    why: str  # in words, for the summary
    tried: tuple[str, ...]  # every route that ran, with how it ended
    fallback: str = ""  # a route that failed and the one that took over, in words
    record: dict[str, dict[str, object]] = field(default_factory=dict)  # status, seconds


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Portfolio:
    """The routes of one model and the choice between them."""

    def __init__(self, state: ModelState, settings: SolverSettings, engine: str = "direct"):
        self.state, self.settings = state, settings
        self.whole = WholeRoute(state, settings, engine)
        workers = settings.threads or cores()
        # The years route builds from the formulation's own rows: with the Pyomo engine,
        # whose point is to solve the model as Pyomo writes it, the whole model it is.
        self.years = BendersRoute(state, settings, workers) if engine == "direct" else None
        self.leader, self.patience = "whole", HEAD_START
        self.first_gap = False  # the leader runs alone until its first gap (`_led`)
        self.record: dict[str, dict[str, object]] = {}  # the last race: each route's end
        self._running: dict[str, threading.Thread] = {}  # a stopped loser, still ending
        if self._races():  # the whole model's child process starts while the model builds
            self.leader, self.patience = "years", YEARS_HEAD_START
            self.first_gap = FIRST_ROUND > 0  # (0: the head start alone)
            self._apart()
        if self.whole.apart is None:  # not raced, or not apart: no race will take it
            apart.release()

    def _races(self) -> bool:
        """Will this model's solves be raced (as it stands now)?"""
        return (self.settings.route == "auto" and self.years is not None
                and not self.years.why_not()
                and self.state.bounds().matrix.nnz <= RACE_NONZEROS)

    def _apart(self) -> None:
        """Give the whole route its child process (model/apart.py), where there can be
        one; without, a race paces the whole model at its interrupt checks only."""
        whole = self.routes()["whole"]
        if isinstance(whole, WholeRoute) and whole.apart is None \
                and self.state.bounds().matrix.nnz <= APART_NONZEROS \
                and hasattr(os, "fork"):  # a POSIX system
            try:
                whole.apart = apart.take()
            except OSError:
                whole.apart = None

    def close(self) -> None:
        """End the whole route's child process (a later race starts another). A loser
        in a thread of this process is left to reach its next interrupt check (in
        presolve that can take seconds) while the results are summarised; the next solve
        waits for it (`solve`), and so does the interpreter at exit."""
        if self.whole.apart is not None:
            self.settle(timeout=5.0)
            self.whole.apart.close()
            self.whole.apart = None

    def routes(self) -> dict[str, Route]:
        out: dict[str, Route] = {"whole": self.whole}
        if self.years is not None:
            out["years"] = self.years
        return out

    def settle(self, timeout: float | None = None) -> None:
        """Wait for a stopped route still on its way to its next interrupt check."""
        for name, thread in list(self._running.items()):
            thread.join(timeout)
            if not thread.is_alive():
                del self._running[name]

    def solve(self, label: str, start: np.ndarray | None, limits: Limits,
              watch: Watch) -> Decision:
        """Solve the model as it stands by the route asked for, or race them ("auto")."""
        self.settle()
        self.record = {}
        decision = self._choose(label, start, limits, watch)
        decision.record = self.record
        return decision

    def _choose(self, label: str, start: np.ndarray | None, limits: Limits,
                watch: Watch) -> Decision:
        asked = self.settings.route
        if asked == "whole":
            return self._alone(self.whole, label, start, limits, watch,
                               "asked for (--route whole)")
        years_why = "the Pyomo engine solves the model as Pyomo writes it, whole" \
            if self.years is None else self.years.why_not()
        if years_why:
            return self._alone(self.whole, label, start, limits, watch,
                               f"the years route does not apply: {years_why}")
        if asked == "years":
            decision = self._alone(self.years, label, start, limits, watch,
                                   "asked for (--route years)")
            return self._or_whole(decision, label, start, limits, watch)
        if self.state.bounds().matrix.nnz > RACE_NONZEROS:
            decision = self._alone(self.years, label, start, limits, watch,
                                   f"the model is too large to hold twice for a race "
                                   f"({self.state.bounds().matrix.nnz:,} nonzeros): by "
                                   "years, the route that scales")
            return self._or_whole(decision, label, start, limits, watch)
        return self._race(label, start, limits, watch)

    def _alone(self, route: Route, label: str, start: np.ndarray | None, limits: Limits,
               watch: Watch, why: str) -> Decision:
        began, watch = time.perf_counter(), watch.child()  # its own milestones
        attempt = route.solve(label, start, limits, watch)
        self.record = {route.name: {"status": attempt.status,
                                    "seconds": round(attempt.seconds, 3),
                                    "bound_seconds": _since(watch.bound_at, began)}}
        return Decision(attempt, route.name, why, (f"{route.name}: {attempt.status}",))

    def _or_whole(self, decision: Decision, label: str, start: np.ndarray | None,
                  limits: Limits, watch: Watch) -> Decision:
        """The years route's answer, or the whole model's where it failed or found no
        plan while time is left (the time limit covers both)."""
        attempt = decision.attempt
        if attempt.status in PROOFS or attempt.has_plan or watch.stopped \
                or limits.remaining <= 0:
            return decision
        watch.say(f"  {attempt.note or 'the years route gave no plan'}; solving it whole")
        whole = self.whole.solve(label, start, limits, watch)
        self.record["whole"] = {"status": whole.status, "seconds": round(whole.seconds, 3)}
        why = f"left the years route ({attempt.note or attempt.status}); solved whole"
        return Decision(whole, "whole", why, decision.tried + (f"whole: {whole.status}",),
                        fallback=why)

    def _race(self, label: str, start: np.ndarray | None, limits: Limits,
              watch: Watch) -> Decision:
        """The leader alone for its patience, then both; the first proof ends the race."""
        self._apart()
        routes = self.routes()
        order = [self.leader] + [name for name in routes if name != self.leader]
        answers: dict[str, Attempt] = {}
        watches = {name: watch.child(racing=True) for name in order}
        began = time.perf_counter()
        finished = threading.Condition()

        def run(name: str) -> None:
            clock = time.perf_counter()
            try:
                attempt = routes[name].solve(label, start, limits, watches[name])
            except Exception as exc:  # noqa: BLE001 - a route's bug must not end the race
                attempt = Attempt(name, "failed", note=f"{type(exc).__name__}: {exc}",
                                  seconds=time.perf_counter() - clock, error=exc)
            with finished:
                answers[name] = attempt
                finished.notify_all()

        # Not daemons: a loser stopped while HiGHS does work with no interrupt check
        # (presolve, a root cut round) may still be running when the program ends, and
        # the interpreter must wait for it. Killed inside HiGHS at exit, it took the
        # process down with "terminate called without an active exception" (exit 134)
        # after the results were written.
        threads = {name: threading.Thread(target=run, args=(name,), name=f"route-{name}")
                   for name in order}
        threads[order[0]].start()
        with finished:
            while order[0] not in answers \
                    and not self._led(watches[order[0]], began, limits.mip_gap):
                left = began + self.patience - time.perf_counter()  # of the head start
                finished.wait(timeout=min(TICK, left) if left > 0 else TICK)
        if (order[0] not in answers or not _settles(answers[order[0]])) \
                and not watch.stopped:
            threads[order[1]].start()
        running = [n for n in order if threads[n].ident is not None]
        canon = time.perf_counter() + CANON
        pacer = _Pacer(watches, running, began, protected=(order[0], canon))

        constant, met = self.state.bounds().constant, None

        def settled() -> bool:
            nonlocal met
            if all(n in answers for n in running):
                return True
            if not any(_proves(a) for a in answers.values()):
                met = _met({n: watches[n] for n in running}, limits.mip_gap, constant)
                if met is None:
                    return False
            # A challenger's early proof waits out the leader's window.
            return order[0] in answers or time.perf_counter() >= canon

        with finished:
            while not finished.wait_for(settled, timeout=TICK):
                pacer.look([n for n in running if n not in answers])
        pacer.release()
        proofs = [n for n in running if n in answers and _proves(answers[n])]
        leader = order[0]
        within = leader in proofs and answers[leader].seconds <= canon - began
        if within:
            proofs = [leader]  # within its window: its answer, as if it had run alone
        planner = met[0] if met is not None and not proofs else ""
        for name in running:
            if name not in answers:
                if name == planner:  # stopped, to give back the plan it posted
                    watches[name].stop()
                else:
                    watches[name].abandon()
                self._running[name] = threads[name]
        if planner:  # (at its next interrupt check: it is past its root, or has no plan)
            with finished:
                finished.wait_for(lambda: planner in answers)
        seconds = {n: round(time.perf_counter() - began if n not in answers
                            else answers[n].seconds, 3) for n in running}
        ahead = pacer.summary()
        self.record = {n: {"status": answers[n].status if n in answers else "stopped",
                           "seconds": seconds[n], "ahead_seconds": ahead[n],
                           "bound_seconds": _since(watches[n].bound_at, began)}
                       for n in running}
        for name in running:  # solved in a process of its own (paused anywhere), or not
            if hasattr(routes[name], "ran_apart"):
                self.record[name]["own_process"] = bool(routes[name].ran_apart)
        if planner:
            joint = self._joint(planner, met[1], running, answers, watches, limits,
                                constant, time.perf_counter() - began)
            if joint is not None:
                return joint
        return self._decide(proofs, running, answers, leader)

    def _led(self, leader: Watch, began: float, mip_gap: float) -> bool:
        """Has the leader had its patience? Leading a model's first race, the years
        route has until its first gap is known (its LP phase and first master round),
        at least `patience` and at most FIRST_ROUND times as long as its LP phase took."""
        elapsed = time.perf_counter() - began
        if elapsed < self.patience or not self.first_gap:
            return elapsed >= self.patience
        if np.isfinite(leader.gap):  # (one within the gap asked is giving its answer)
            return leader.gap > mip_gap
        return leader.bound_at is not None \
            and elapsed >= FIRST_ROUND * (leader.bound_at - began)

    def _joint(self, planner: str, bounder: str, running: list[str],
               answers: dict[str, Attempt], watches: dict[str, Watch], limits: Limits,
               constant: float, seconds: float) -> Decision | None:
        """One route's plan and the other's bound met within the gap: both bound the
        same model, so the plan is proved, by the two together. The plan as the route
        gave it back (its own check passed) with the better bound; None if, as given
        back, they no longer meet (then the race is decided as if neither proved)."""
        attempt = answers[planner]
        bound = max([watches[n].bound for n in running]
                    + [a.bound for a in answers.values() if a.bound is not None])
        if not attempt.has_plan or not _within(attempt.objective, bound, limits.mip_gap,
                                               constant):
            return None
        attempt.status, attempt.bound = "optimal", min(bound, attempt.objective)
        attempt.note = f"{planner}'s plan, proved by {bounder}'s bound"
        self._lead(planner, seconds)
        tried = tuple(f"{n}: {answers[n].status if n in answers else 'stopped'}"
                      for n in running)
        return Decision(attempt, planner, f"{planner}'s plan and {bounder}'s bound met "
                        "within the gap (the two routes bound the same model)", tried)

    def _decide(self, proofs: list[str], running: list[str],
                answers: dict[str, Attempt], leader: str = "") -> Decision:
        failed = [f"{n} failed ({answers[n].note})" for n in running
                  if n in answers and answers[n].status == "failed"]
        fallback = "; ".join(failed)
        tried = tuple(f"{n}: {answers[n].status if n in answers else 'stopped'}"
                      for n in running)
        if proofs:
            # Both proved by the time the race was looked at: a rule, not the clock.
            winner = min(proofs, key=lambda n: (answers[n].status != "infeasible",
                                                answers[n].objective, n != "whole"))
            self._lead(winner, answers[winner].seconds)
            # The same words for the same winner, however the clock went (two runs of one
            # model are compared summary against summary): the timings are in the race.
            why = f"{winner} proved it (the route that leads this model's solves)" \
                if winner == leader else f"{winner} proved it before the leading route"
            return Decision(answers[winner], winner, why, tried, fallback)
        planned = [answers[n] for n in running if n in answers and answers[n].has_plan]
        if planned:
            best = min(planned, key=lambda a: (a.objective, a.route != "whole"))
            bounds = [a.bound for a in answers.values() if a.bound is not None]
            if bounds:
                best.bound = min(max(bounds), best.objective)
            return Decision(best, best.route, "neither route proved it; the better plan is "
                            "kept with the better of the two bounds", tried, fallback)
        ended = [answers[n] for n in running if n in answers]
        first = ended[0] if ended else Attempt(running[0], "no_plan")
        return Decision(first, first.route, "neither route found a plan", tried, fallback)

    def _lead(self, winner: str, seconds: float) -> None:
        """The winner leads the model's later solves (project values, frontier points:
        the same model a bound apart), alone unless it takes far longer than it did."""
        self.leader, self.first_gap = winner, False
        self.patience = max(HEAD_START, PATIENCE * seconds)


class _Pacer:
    """Who has the cores while both routes run: the one clearly ahead.

    On two cores the race halves each route (a years route prices two years at a time,
    and the whole MIP takes most of a core): where one route wins by an order of
    magnitude, the default took 1.5-2.3x its time alone. So at each look, a route whose
    gap is at most 1/LEAD of the other's is ahead, and the other runs for SLOW of the
    clock (it pauses at its interrupt checks, `Watch.pace`), but only for a bounded share
    of the race: a gap says how far a route is from proof, not how fast it is closing
    (the whole model may sit at 100% in its root LP and prove within a second after). A
    route ahead of a rival whose gap is not known yet may have the cores for at most
    EARLY_SHARE of the race, and KNOWN_SHARE once both gaps are known; so the route behind
    never runs slower than about half its speed alone, and the race is never worse than
    one route's time by more than that, whichever wins."""

    def __init__(self, watches: dict[str, Watch], running: list[str], began: float,
                 protected: tuple[str, float] = ("", 0.0)):
        self.watches, self.running, self.began = watches, running, began
        self.protected, self.protected_until = protected  # never slowed before then
        self.priority = {name: 0.0 for name in running}  # seconds with the cores
        self.history: dict[str, list[tuple[float, float]]] = {n: [] for n in running}
        self.last = time.perf_counter()
        self.ahead = ""
        self.said = ""  # the last leader announced

    def look(self, alive: list[str]) -> None:
        now = time.perf_counter()
        if self.ahead:
            self.priority[self.ahead] += now - self.last
        self.last = now
        ahead = ""
        gap = {name: self.watches[name].gap for name in alive}
        for name in alive:
            self.history[name].append((now, gap[name]))
            self._window(name, now)
        if len(alive) == 2:
            for name, other in (alive, alive[::-1]):
                if other == self.protected and now < self.protected_until:
                    continue
                if np.isfinite(gap[name]) and LEAD * gap[name] <= gap[other] \
                        and self.closing(name, now):
                    elapsed = now - self.began
                    budget = KNOWN_SHARE * elapsed if gap[other] < ROOT_GAP \
                        else EARLY_SECONDS + EARLY_SHARE * elapsed
                    if self.priority[name] < budget:
                        ahead = name
        if ahead and ahead != self.said:  # a new leader (not each turn of the budget)
            self.said = ahead
            other = next(n for n in self.running if n != ahead)
            self.watches[ahead].say(f"  {ahead} ahead (gap {_percent(gap[ahead])} against "
                                    f"{_percent(gap[other])}): {other} slowed")
        self.ahead = ahead
        for name in self.running:
            behind = bool(ahead) and name != ahead
            early = behind and not self.watches[name].gap < ROOT_GAP
            self.watches[name].share = (EARLY_SLOW if early else SLOW) if behind else 1.0

    def closing(self, name: str, now: float) -> bool:
        """Has this route closed its gap by PROGRESS lately (a first gap counts)?"""
        history = self._window(name, now)
        return history[0][1] >= PROGRESS * history[-1][1]

    def _window(self, name: str, now: float) -> list[tuple[float, float]]:
        """The route's looks within the progress window, after the last look at or
        before its start (or the first look). The window's start only moves on, so the
        looks before that one are dropped for good: the history stays as long as the
        window, not one entry per look since the start (36,000 an hour)."""
        history = self.history[name]
        window = max(PROGRESS_WINDOW, PROGRESS_SHARE * (now - self.began))
        before = 0
        for i, (at, _gap) in enumerate(history):
            if at > now - window:
                break
            before = i
        del history[:before]
        return history

    def release(self) -> None:
        self.look([])

    def summary(self) -> dict[str, float]:
        return {name: round(seconds, 3) for name, seconds in self.priority.items()}


def _within(objective: float, bound: float, mip_gap: float, constant: float) -> bool:
    """Is a plan costing `objective` proved by `bound`, as HiGHS measures its relative
    gap (on the objective less what no decision changes)?"""
    return bool(np.isfinite(objective) and np.isfinite(bound)
                and relative_gap(objective, bound, constant) <= mip_gap)


def _met(watches: dict[str, Watch], mip_gap: float,
         constant: float) -> tuple[str, str] | None:
    """The routes whose best plan and bound, as posted, meet within the gap (the
    plan's route first), where they are two different routes; None if they do not."""
    planner = min(watches, key=lambda n: watches[n].best)
    bounder = max(watches, key=lambda n: watches[n].bound)
    if planner == bounder or not _within(watches[planner].best, watches[bounder].bound,
                                         mip_gap, constant):
        return None  # (one route's own plan and bound: its own proof, soon)
    return planner, bounder


def _since(at: float | None, began: float) -> float | None:
    """Seconds from `began` to a milestone (None: not reached)."""
    return None if at is None else round(at - began, 3)


def _percent(gap: float) -> str:
    return f"{100 * gap:.2f}%" if np.isfinite(gap) else "not yet known"


def _proves(attempt: Attempt) -> bool:
    return attempt.status == "infeasible" or (attempt.status == "optimal" and attempt.has_plan)


def _settles(attempt: Attempt) -> bool:
    """Does this answer end the solve on its own (a proof, or the planner's Ctrl-C)?"""
    return _proves(attempt) or attempt.status == "interrupted"
