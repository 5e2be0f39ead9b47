"""The whole model in a child process (model/apart.py): it solves what it is sent, is
paused anywhere while its share is below 1, stops at the watch's word keeping its best
plan, is killed when its race is lost, and a child that dies is reported, not hung on.

Real processes, a real HiGHS: the "hard" job is a multi-dimensional knapsack that HiGHS
does not prove within its time limit, so it runs for a known wall time.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from placeopt.model.apart import Apart, ChildEnded
from placeopt.model.watch import Watch

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="a POSIX system's processes")


def job(matrix: np.ndarray, cost: np.ndarray, row_upper: np.ndarray, seconds: float,
        options: list | None = None) -> dict:
    """min cost.x, matrix x <= row_upper, x binary."""
    csc = sp.csc_matrix(matrix)
    n = matrix.shape[1]
    return {"cost": cost, "offset": 0.0, "col_lower": np.zeros(n), "col_upper": np.ones(n),
            "row_lower": np.full(matrix.shape[0], -np.inf), "row_upper": row_upper,
            "integer": np.ones(n, dtype=bool),
            "csc": (csc.indptr.astype(np.int32), csc.indices.astype(np.int32), csc.data),
            "start": None, "seconds": seconds,
            "options": [("mip_rel_gap", 0.0)] + (options or []), "verbose": False,
            "threads": 1}


def tiny() -> dict:
    """max 3a + 2b + 2c with a + b + c <= 2 and a + b <= 1: a and c, objective -5."""
    return job(np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]]), np.array([-3.0, -2.0, -2.0]),
               np.array([2.0, 1.0]), seconds=30.0)


def hard(seconds: float) -> dict:
    """A 5 x 120 multi-dimensional knapsack with correlated weights: HiGHS finds plans
    at once and proves none within seconds."""
    rng = np.random.default_rng(17)
    weights = rng.integers(20, 100, size=(5, 120)).astype(float)
    values = weights.mean(axis=0) + rng.integers(0, 10, size=120)
    return job(weights, -values, weights.sum(axis=1) / 2, seconds=seconds)


def cpu_seconds(pid: int) -> float:
    """User and system time of a live process so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def apart():
    child = Apart()
    yield child
    child.close()


def test_the_child_solves_what_it_is_sent(apart: Apart) -> None:
    ran = apart.solve(tiny(), Watch())
    assert ran["status"] == "kOptimal"
    assert ran["objective"] == pytest.approx(-5.0)
    assert np.allclose(ran["values"], [1.0, 0.0, 1.0])
    # The same child serves the next job, and the start solution is taken.
    again = tiny() | {"start": np.array([1.0, 0.0, 1.0])}
    assert apart.solve(again, Watch())["objective"] == pytest.approx(-5.0)
    assert apart.alive


def test_an_option_highs_refuses_is_named(apart: Apart) -> None:
    with pytest.raises(ValueError, match="HiGHS refused option no_such_option"):
        apart.solve(job(np.ones((1, 1)), np.array([-1.0]), np.array([1.0]), 5.0,
                        options=[("no_such_option", 1)]), Watch())


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux's /proc")
def test_a_child_whose_share_is_a_tenth_runs_for_about_a_tenth(apart: Apart) -> None:
    apart.solve(tiny(), Watch())  # ready, HiGHS imported
    watch = Watch()
    watch.share = 0.1
    before, started = cpu_seconds(apart.process.pid), time.perf_counter()
    ran = apart.solve(hard(2.0), watch)
    wall = time.perf_counter() - started
    used = cpu_seconds(apart.process.pid) - before
    assert ran["status"] == "kTimeLimit" and ran["feasible"]
    assert wall == pytest.approx(2.0, abs=0.6)
    # Alone (share 1), the same job for the same time: the rate it uses its core at.
    before, started = cpu_seconds(apart.process.pid), time.perf_counter()
    apart.solve(hard(2.0), Watch())
    alone = (cpu_seconds(apart.process.pid) - before) / (time.perf_counter() - started)
    assert alone > 0.3
    # Paused for nine tenths of the clock: a tenth of a core at most (with the slices'
    # rounding), however busy the machine; alone it has what the machine leaves it.
    assert used / wall < 0.2
    assert used / wall < 0.5 * alone


def test_a_stop_ends_the_solve_with_its_best_plan(apart: Apart) -> None:
    watch = Watch()
    watch.share = 0.1  # paused when the stop comes: it must be resumed to stop
    threading.Timer(1.0, watch.stop).start()
    started = time.perf_counter()
    ran = apart.solve(hard(60.0), watch)
    assert time.perf_counter() - started < 5.0
    assert ran["status"] == "kInterrupt" and ran["feasible"]
    assert ran["values"] is not None and np.isfinite(watch.gap)  # gaps were posted
    assert apart.alive  # ready for the next job


def test_an_abandoned_solve_is_not_waited_for(apart: Apart) -> None:
    watch = Watch()
    threading.Timer(0.8, watch.abandon).start()
    started = time.perf_counter()
    assert apart.solve(hard(60.0), watch) is None
    assert time.perf_counter() - started < 2.0
    apart.process.wait(timeout=5.0)
    assert not apart.alive


def test_a_child_that_dies_is_reported(apart: Apart) -> None:
    apart.solve(tiny(), Watch())
    threading.Timer(0.5, os.kill, (apart.process.pid, signal.SIGKILL)).start()
    with pytest.raises(ChildEnded, match="ended without an answer .signal 9"):
        apart.solve(hard(60.0), Watch())


def test_a_child_started_ahead_is_the_one_the_race_takes() -> None:
    from placeopt.model import apart as module

    module.prestart()
    spare = module._spare
    assert spare is not None and spare.alive
    module.prestart()  # one spare at a time
    assert module._spare is spare
    taken = module.take()
    assert taken is spare and module._spare is None
    fresh = module.take()  # none left: a new one
    assert fresh is not spare and fresh.alive
    assert fresh.solve(tiny(), Watch())["objective"] == pytest.approx(-5.0)
    for child in (taken, fresh):
        child.close()
        assert not child.alive


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux's /proc")
def test_a_child_whose_parent_is_killed_ends(tmp_path: Path) -> None:
    """A parent killed outright (no Python left to close its child) while the child is
    deep in a solve: the child ends within a second, not at its time limit."""
    import subprocess
    import sys

    script = tmp_path / "parent.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_apart import hard\n"
        "from placeopt.model.apart import Apart\n"
        "from placeopt.model.watch import Watch\n"
        "child = Apart()\n"
        "print(child.process.pid, flush=True)\n"
        "child.solve(hard(120.0), Watch())\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                              text=True)
    pid = int(parent.stdout.readline())
    time.sleep(1.5)  # the child is solving
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.perf_counter() + 5.0
    while time.perf_counter() < deadline and Path(f"/proc/{pid}").exists() \
            and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.1)
    assert time.perf_counter() < deadline, "the orphaned child was still running after 5 s"


def test_a_child_that_never_comes_up_says_so() -> None:
    import sys

    broken = Apart(command=(sys.executable, "-c", "import sys; sys.exit(3)"))
    with pytest.raises(ChildEnded, match="exit code 3") as ended:
        broken.solve(tiny(), Watch())
    assert not ended.value.started  # so the whole route solves in its own process


def test_a_child_started_ahead_ends_when_no_race_will_take_it() -> None:
    """`placeopt run` starts a child as it reads the workbook; a model solved by one
    route (asked for, or one the years route does not apply to) lets it go at once
    rather than leave it idle to the end of the run."""
    from placeopt.case import build_case
    from placeopt.model import apart as module
    from placeopt.model.formulation import formulate
    from placeopt.model.solve import Solver

    case = build_case(Path(__file__).resolve().parents[1] / "models" / "northbridge.xlsx")
    formulation = formulate(case.instance)
    for route, kept in (("whole", False), ("auto", True)):
        module.prestart()
        spare = module._spare
        assert spare is not None and spare.alive
        settings = dataclasses.replace(case.settings, route=route)
        model = Solver(formulation, settings, instance=case.instance)
        assert module._spare is None  # taken by the race, or let go
        assert (model.portfolio.whole.apart is spare) == kept
        assert spare.alive == kept
        model.portfolio.close()
        assert not spare.alive
