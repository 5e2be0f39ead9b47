"""The race's pacing: a route behind pauses at its interrupt checks, for a bounded share
of the race (model/watch.py `Watch.pace`, model/portfolio.py `_Pacer`).

Both are tested on a clock of the test's own, so that what they decide is exact and no
test depends on the machine's speed or load."""

from __future__ import annotations

import math

import pytest

from placeopt.model import portfolio, watch
from placeopt.model.portfolio import (
    EARLY_SECONDS,
    EARLY_SHARE,
    EARLY_SLOW,
    KNOWN_SHARE,
    PROGRESS_WINDOW,
    SLOW,
    _Pacer,
)
from placeopt.model.watch import LONGEST_PAUSE, Watch


class Clock:
    """perf_counter and sleep on a clock that moves only when told (or slept on)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0
        self.on_sleep = None  # called after each sleep: a test may change a share there

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        if self.on_sleep is not None:
            self.on_sleep()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    for module in (watch, portfolio):
        monkeypatch.setattr(module.time, "perf_counter", fake.perf_counter)
    monkeypatch.setattr(watch.time, "sleep", fake.sleep)
    return fake


def test_a_route_at_a_quarter_share_pauses_three_times_what_it_ran(clock: Clock) -> None:
    w = Watch()
    w.share = 0.25
    w.pace()  # the first check: nothing ran before it to pay for
    assert clock.slept == 0.0
    clock.now += 0.2  # HiGHS works for 0.2 s until its next check
    w.pace()
    assert clock.slept == pytest.approx(0.6)
    clock.now += 0.1
    w.pace()
    assert clock.slept == pytest.approx(0.9)  # 0.3 s run, 0.9 s paused: a quarter


def test_a_pause_is_at_most_the_longest_pause(clock: Clock) -> None:
    w = Watch()
    w.share = 0.1
    w.pace()
    clock.now += 10.0  # a check that came late (HiGHS has none inside presolve)
    w.pace()
    assert clock.slept == pytest.approx(LONGEST_PAUSE)


def test_a_full_share_or_a_stop_never_pauses(clock: Clock) -> None:
    w = Watch()
    w.pace()
    clock.now += 1.0
    w.pace()
    assert clock.slept == 0.0
    w.share = 0.1
    w.stop()
    clock.now += 1.0
    w.pace()
    assert clock.slept == 0.0
    child = Watch().child()
    child.share = 0.1
    child.parent.stop()  # Ctrl-C: the parent's flag stops a paced child at once
    child.pace()
    clock.now += 1.0
    child.pace()
    assert clock.slept == 0.0


def test_a_paused_route_wakes_when_its_share_comes_back(clock: Clock) -> None:
    w = Watch()
    w.share = 0.1
    w.pace()
    clock.now += 0.2  # owes 1.8 s of pause

    def give_back() -> None:
        if clock.slept >= 0.5 - 1e-9:
            w.share = 1.0

    clock.on_sleep = give_back
    w.pace()
    assert clock.slept == pytest.approx(0.5)  # not the 1.8 s it owed


def watches(whole: float, years: float) -> dict[str, Watch]:
    out = {"whole": Watch(), "years": Watch()}
    out["whole"].gap, out["years"].gap = whole, years
    return out


def shares(w: dict[str, Watch]) -> tuple[float, float]:
    return w["whole"].share, w["years"].share


def test_neither_route_is_ahead_within_a_factor_of_two(clock: Clock) -> None:
    w = watches(0.004, 0.003)
    pacer = _Pacer(w, ["whole", "years"], began=0.0)
    for _ in range(50):
        clock.now += 0.1
        pacer.look(["whole", "years"])
        assert shares(w) == (1.0, 1.0)
    w = watches(math.inf, math.inf)  # neither has a gap yet
    pacer = _Pacer(w, ["whole", "years"], began=0.0)
    clock.now += 0.1
    pacer.look(["whole", "years"])
    assert shares(w) == (1.0, 1.0)


def race(w: dict[str, Watch], ticks: int, closing: str = "", pacer: _Pacer | None = None,
         clock: Clock | None = None) -> _Pacer:
    """Look every 0.1 s for `ticks` looks; the `closing` route's gap falls 10% a look."""
    pacer = pacer or _Pacer(w, ["whole", "years"], began=clock.now)
    for _ in range(ticks):
        clock.now += 0.1
        if closing:
            w[closing].gap *= 0.9
        pacer.look(["whole", "years"])
    return pacer


def test_a_lead_over_a_route_in_its_root_lasts_a_second_and_a_quarter_of_the_race(
        clock: Clock) -> None:
    """The whole model at 100% (its root LP not solved): the years route, at 0.5% and
    closing, is ahead, for EARLY_SECONDS plus EARLY_SHARE of the race at most."""
    w = watches(1.0, 0.005)
    pacer = _Pacer(w, ["whole", "years"], began=0.0)
    led = []
    for tick in range(1, 101):
        clock.now = tick * 0.1
        w["years"].gap *= 0.9
        pacer.look(["whole", "years"])
        assert shares(w) in ((EARLY_SLOW, 1.0), (1.0, 1.0))  # half speed in its root
        if shares(w) == (EARLY_SLOW, 1.0):
            led.append(tick)
    # One lead, from the first look at which its gap had closed by a quarter (0.4 s:
    # 0.9 ** 3 of its gap at the first look) until its priority reached a second plus a
    # quarter of the race: t - 0.4 = 1 + 0.25 t, t = 1.87 s.
    # Later, as the race goes on, the lead comes back a look at a time, so that its
    # priority stays at a second plus a quarter of the race.
    first = [tick for i, tick in enumerate(led) if tick == led[0] + i]
    assert first[0] == 4
    end = (EARLY_SECONDS + 0.4) / (1 - EARLY_SHARE)
    assert (first[-1] + 1) * 0.1 == pytest.approx(end, abs=0.11)
    assert pacer.summary()["years"] == pytest.approx(
        EARLY_SECONDS + EARLY_SHARE * clock.now, abs=0.11)
    assert pacer.summary()["whole"] == 0.0


def test_a_lead_over_a_known_gap_holds_three_quarters_of_the_race(clock: Clock) -> None:
    w = watches(0.03, 0.002)  # years ahead of a whole model past its root, and closing
    pacer = race(w, 200, "years", clock=clock)
    assert pacer.summary()["years"] == pytest.approx(KNOWN_SHARE * clock.now, abs=0.21)
    # Only the looks within the progress window are kept (20 s: a fifth of the race is
    # 4 s, 40 looks), not one per look since the start.
    assert all(len(looks) <= 42 for looks in pacer.history.values())
    # The whole model ahead and closing: the years route is the one paused.
    w = watches(0.001, 0.004)
    pacer = race(w, 4, "whole", clock=clock)
    assert shares(w) == (1.0, SLOW)
    # A route that has ended leaves no race to pace; release gives every share back.
    clock.now += 0.1
    pacer.look(["years"])
    assert shares(w) == (1.0, 1.0)
    w["years"].share = SLOW
    pacer.release()
    assert shares(w) == (1.0, 1.0)


def test_a_lead_ends_when_the_route_ahead_stops_closing(clock: Clock) -> None:
    """The years route at 0.12%, ten times closer than the whole model, but stuck there
    round after round (mid_off_no_capital, where the whole model proved first): its lead
    lasts one progress window past its last real step, then both run at full speed."""
    w = watches(0.07, 0.0012)
    pacer = race(w, 5, "years", clock=clock)
    assert shares(w) == (SLOW, 1.0)
    pacer = race(w, int(PROGRESS_WINDOW / 0.1) + 1, pacer=pacer, clock=clock)
    assert shares(w) == (1.0, 1.0)
    # A real step again (by a third): the lead comes back.
    w["years"].gap *= 0.6
    pacer = race(w, 1, pacer=pacer, clock=clock)
    assert shares(w) == (SLOW, 1.0)


def test_the_leader_is_never_slowed_within_its_window(clock: Clock) -> None:
    """Before CANON the whole model (the first solve's leader) keeps its speed, however
    far ahead the years route is: a model it solves within a second is solved the same
    way every time."""
    w = watches(1.0, 0.001)
    pacer = _Pacer(w, ["whole", "years"], began=0.0, protected=("whole", 1.0))
    for tick in range(1, 10):
        clock.now = tick * 0.1
        w["years"].gap *= 0.9
        pacer.look(["whole", "years"])
        assert shares(w) == (1.0, 1.0)
    clock.now = 1.05
    w["years"].gap *= 0.9
    pacer.look(["whole", "years"])
    assert shares(w) == (EARLY_SLOW, 1.0)


class Timed:
    """A route that proves its model after `seconds` (real time) at `objective`, or
    stops when its watch says so; from `posts[0]` seconds on, it posts a plan costing
    `posts[1]` (the plan it gives back if stopped) and a bound of `posts[2]`. From
    `bound_at` seconds on it has the LP bound, and from `gap[0]` on a gap of `gap[1]`
    (the milestones the years route posts). `started` is when it began, by the clock."""

    def __init__(self, name: str, seconds: float, objective: float,
                 posts: tuple[float, float, float] | None = None,
                 bound_at: float | None = None, gap: tuple[float, float] | None = None):
        self.name, self.seconds, self.objective = name, seconds, objective
        self.posts, self.bound_at, self.gap = posts, bound_at, gap
        self.started: float | None = None

    def why_not(self) -> str:
        return ""

    def solve(self, label, start, limits, watch):  # noqa: ANN001, ANN201
        import time

        import numpy as np

        from placeopt.model.route import Attempt
        from placeopt.model.verify import SolutionCheck

        started = self.started = time.perf_counter()
        while time.perf_counter() - started < self.seconds:
            ran = time.perf_counter() - started
            if self.bound_at is not None and ran >= self.bound_at:
                watch.bound_known()
            if self.gap is not None and ran >= self.gap[0]:
                watch.gap = self.gap[1]
            posted = self.posts is not None and time.perf_counter() - started >= self.posts[0]
            if posted:
                watch.post(self.posts[1], self.posts[2])
            if watch.stopped:
                if not posted:
                    return Attempt(self.name, "interrupted",
                                   seconds=time.perf_counter() - started)
                cost, bound = self.posts[1], self.posts[2]
                check = SolutionCheck(True, cost, cost, 0.0, 0.0)
                return Attempt(self.name, "interrupted", cost, bound, np.zeros(1),
                               time.perf_counter() - started, check=check)
            time.sleep(0.01)
        check = SolutionCheck(True, self.objective, self.objective, 0.0, 0.0)
        return Attempt(self.name, "optimal", self.objective, self.objective, np.zeros(1),
                       time.perf_counter() - started, check=check)


def raced(whole: Timed, years: Timed, leader: str = "whole",
          patience: float = portfolio.HEAD_START, first_gap: bool = False):  # noqa: ANN201
    """The first solve of a model raced between two timed routes: the decision."""
    from types import SimpleNamespace

    from placeopt.model.route import Limits

    race = portfolio.Portfolio.__new__(portfolio.Portfolio)
    race.leader, race.patience, race.first_gap = leader, patience, first_gap
    race.record, race._running = {}, {}
    race.state = SimpleNamespace(bounds=lambda: SimpleNamespace(constant=0.0))
    race.routes = lambda: {"whole": whole, "years": years}
    decision = race._race("plan", None, Limits.within(1e-3, 60.0), Watch())
    race.settle()
    decision.record = race.record
    return decision


def test_a_whole_model_that_proves_within_its_window_gives_the_answer() -> None:
    """The years route proves first (0.05 s), the whole model within its window (0.7 s;
    the head start and a second): the whole model's plan, as if it had run alone, even
    where the years route's is a penny cheaper (both within the gap): which of the two
    had proved by then is the clock's doing, and the answer must not be."""
    for years_cost in (100.0, 99.99):
        decision = raced(Timed("whole", 0.7, 100.0), Timed("years", 0.05, years_cost))
        assert decision.route == "whole"
        assert decision.record["whole"]["status"] == "optimal"
        assert decision.record["years"]["status"] == "optimal"
    # A whole model that takes longer than its window: the years route's early proof
    # ends the race at the window's end, and the whole model is stopped.
    decision = raced(Timed("whole", 30.0, 100.0), Timed("years", 0.05, 100.0))
    assert decision.route == "years"
    assert decision.record["whole"]["status"] == "stopped"
    assert decision.record["whole"]["seconds"] < 5.0


def test_one_routes_plan_and_the_others_bound_end_the_race_together() -> None:
    """Neither route proves the model alone within 30 s; the years route has a plan at
    100.0 (its bound only 90) and the whole model a bound of 99.95 (no plan): together
    they prove the years route's plan within the gap of 0.1%. The race ends at the
    leader's window (the head start and a second), the plan given back by the years
    route and the bound by the whole model; the whole model is stopped."""
    decision = raced(Timed("whole", 30.0, 100.0, posts=(0.1, math.inf, 99.95)),
                     Timed("years", 30.0, 100.0, posts=(0.2, 100.0, 90.0)))
    assert decision.route == "years"
    assert decision.attempt.status == "optimal"
    assert decision.attempt.objective == 100.0
    assert decision.attempt.bound == 99.95
    assert "whole's bound" in decision.why
    # The whole model is abandoned: "stopped" in the record, or "interrupted" if its
    # thread answered the stop before the record was written.
    assert decision.record["whole"]["status"] in ("stopped", "interrupted")
    assert decision.record["whole"]["seconds"] < 5.0
    assert decision.record["years"]["status"] == "interrupted"
    assert decision.record["years"]["seconds"] < 5.0
    # A bound too weak to meet the plan (99.8: 0.2% below) proves nothing: the race
    # goes on until the years route proves it alone.
    decision = raced(Timed("whole", 30.0, 100.0, posts=(0.1, math.inf, 99.8)),
                     Timed("years", 2.0, 100.0, posts=(0.2, 100.0, 90.0)))
    assert decision.route == "years"
    assert decision.record["years"]["status"] == "optimal"
    assert decision.record["years"]["seconds"] >= 2.0


def test_the_years_route_leads_its_first_race_until_it_has_a_gap() -> None:
    """Leading a model's first race, the years route runs alone past its patience (0.2 s
    here) until its first gap is known: its LP phase ends at 0.3 s and its first master
    round gives a gap of 0.5% at 0.8 s; the whole model starts then (and proves 0.5 s
    later, within its window: its answer)."""
    years = Timed("years", 30.0, 100.0, bound_at=0.3, gap=(0.8, 0.005))
    whole = Timed("whole", 0.5, 100.0)
    decision = raced(whole, years, leader="years", patience=0.2, first_gap=True)
    assert decision.route == "whole"
    assert 0.8 <= whole.started - years.started < 1.3
    # No first gap: the whole model starts at FIRST_ROUND (3) times the LP phase.
    years = Timed("years", 30.0, 100.0, bound_at=0.3)
    whole = Timed("whole", 0.5, 100.0)
    raced(whole, years, leader="years", patience=0.2, first_gap=True)
    assert 0.9 <= whole.started - years.started < 1.4
    # A first gap already within the gap asked (0.1%): the years route is giving its
    # answer, and the whole model never starts.
    years = Timed("years", 1.0, 100.0, bound_at=0.3, gap=(0.6, 0.0005))
    whole = Timed("whole", 0.5, 100.0)
    decision = raced(whole, years, leader="years", patience=0.2, first_gap=True)
    assert decision.route == "years"
    assert whole.started is None
    assert "whole" not in decision.record
    # Later solves (first_gap off) keep the plain patience: the whole model at 0.2 s.
    years = Timed("years", 30.0, 100.0, bound_at=0.3, gap=(0.8, 0.005))
    whole = Timed("whole", 0.5, 100.0)
    raced(whole, years, leader="years", patience=0.2)
    # (The patience runs from the race's start, a moment before the leader's thread
    # records its own: 0.1998 s was seen between the two starts.)
    assert 0.19 <= whole.started - years.started < 0.6
