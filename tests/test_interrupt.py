"""Ctrl-C during a solve: HiGHS stops at its next check (its interrupt callbacks), the best
plan found so far is kept with status "interrupted", no traceback. (During HiGHS's
presolve, and sparsely in the root's cut rounds, there is no interrupt check: there
Ctrl-C takes effect when HiGHS next looks; measured up to about 25 s on the 2-core CI.)

A real `placeopt run` in a subprocess on a local-authority-sized synthetic workbook
(benchmarks/synthetic.py) asked to prove optimality exactly (gap 0), so the plan's solve
is still running when SIGINT arrives.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import SIZES, generate  # noqa: E402

from placeopt.run import plan  # noqa: E402


def _ctrl_c_reaches_it() -> None:
    """In the child: SIGINT as a terminal gives it. A test run as a background job (`&`)
    has SIGINT ignored, the child inherits that, and placeopt rightly leaves an ignored
    SIGINT ignored: these tests would then send Ctrl-C to a run that cannot hear it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for(process: subprocess.Popen, log: Path, pattern: str, seconds: float) -> bool:
    """Wait until the log shows `pattern` (True) or the process ends or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if re.search(pattern, log.read_text()):
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def la_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(SIZES["la"], tmp_path_factory.mktemp("interrupt") / "la.xlsx")


# When the plan's solve is under way: on the whole route, once HiGHS's search has a
# proven bound (an incumbent reported with a gap: HiGHS checks for interrupts often in
# its branch-and-bound search, rarely in presolve and the root's cut rounds); by years,
# once the master MIP has been solved and priced once.
UNDER_WAY = {
    "whole": r"Solving the plan whole\.\.\.\n(.*\n)*?  incumbent .*, gap \d",
    "years": r"Solving the plan by years\.\.\.\n(.*\n)*?  Benders round 1:",
}


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_ctrl_c_while_projects_are_valued_keeps_the_plan(tmp_path: Path) -> None:
    """After the plan: the values stop where they stand, the marginal-value LP is left
    out, and the solved plan is written as it is (it was an internal error, exit 4)."""
    out, log = tmp_path / "out", tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "placeopt", "run", str(ROOT / "models" / "northbridge.xlsx"),
             "-o", str(out), "--project-values", "--no-reports"], stdout=subprocess.PIPE,
            stderr=stderr, text=True, preexec_fn=_ctrl_c_reaches_it)
        assert _wait_for(process, log, r"Valuing each project", 120), log.read_text()
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=120)
    err = log.read_text()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "Internal error" not in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["project_values"]["status"].startswith("stopped by the user (Ctrl-C)")
    assert summary["solve"]["marginal_values"].startswith("not computed")


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
@pytest.mark.parametrize("route", ["years", "whole"])
def test_ctrl_c_during_the_plan_keeps_the_best_plan_found(la_workbook: Path, tmp_path: Path,
                                                          route: str) -> None:
    out, log = tmp_path / "out", tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "placeopt.cli", "run", str(la_workbook), "-o", str(out),
             "--gap", "0", "--route", route], stdout=subprocess.PIPE, stderr=stderr,
            text=True, preexec_fn=_ctrl_c_reaches_it)
        assert _wait_for(process, log, UNDER_WAY[route], 240), log.read_text()
        assert process.poll() is None, log.read_text()
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        _wait_for(process, log, "plan: interrupted", 60)
        stopped = time.monotonic() - sent
        stdout, _ = process.communicate(timeout=120)
    err = log.read_text()
    assert process.returncode == 130, err
    assert "Traceback" not in err + stdout
    assert "plan: interrupted" in err
    # Root cut rounds on this model take up to ~25 s on a busy 2-core machine.
    assert stopped < 40, f"HiGHS took {stopped:.1f}s to stop:\n{err[-1500:]}"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert "Ctrl-C" in summary["explanation"]
    assert summary["solve"]["check"]["passed"] is True
    assert (out / "placements.csv").exists() and not (out / "report.xlsx").exists()


# --- HiGHS's thread never calls the caller's progress function -------------------------
# HiGHS runs in a thread of its own (so Ctrl-C is handled at once); its callbacks queue
# their lines and the solving thread passes them on. A Dask worker's `log_event` fails
# off the task's thread, which once turned every LA-sized task of a Dask batch into
# "HiGHS stopped on the plan without a plan: Solve error".

NORTHBRIDGE = ROOT / "models" / "northbridge.xlsx"


# A line written in the solving thread: HiGHS's incumbents (whole), the rounds (by years).
FROM_THE_SOLVE = {"whole": "incumbent", "years": "Benders round"}


@pytest.mark.parametrize("route", ["years", "whole"])
def test_progress_lines_come_from_the_thread_that_asked_for_the_solve(route: str) -> None:
    threads: list[tuple[str, str]] = []
    plan(NORTHBRIDGE, project_values=False, route=route, mip_gap=0.0,
         progress=lambda line: threads.append((threading.current_thread().name, line)))
    lines = [name for name, line in threads if FROM_THE_SOLVE[route] in line]
    assert lines, "the plan reported nothing from its thread: the test proves nothing"
    assert {name for name, _ in threads} == {threading.current_thread().name}


class Refused(Exception):
    pass


@pytest.mark.parametrize("route", ["years", "whole"])
def test_a_progress_function_that_fails_stops_the_solve_with_its_own_error(route: str) -> None:
    def progress(line: str) -> None:
        if FROM_THE_SOLVE[route] in line:
            raise Refused(line)

    with pytest.raises(Refused, match=FROM_THE_SOLVE[route]):
        plan(NORTHBRIDGE, project_values=False, progress=progress, route=route, mip_gap=0.0)


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_ctrl_c_between_the_plan_and_the_first_value_keeps_the_plan() -> None:
    """Ctrl-C as the valuing starts, before its first solve has a plan (it landed there
    while a race's loser ended): the values stop, the plan stands (it used to end the
    run with 'Interrupted: nothing was written')."""
    from placeopt.run import plan

    def press_ctrl_c(line: str) -> None:
        if line.startswith("Valuing each"):
            os.kill(os.getpid(), signal.SIGINT)  # the main thread: the run's guard has it

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        results = plan(ROOT / "models" / "northbridge.xlsx", project_values=True,
                       progress=press_ctrl_c)
    finally:
        signal.signal(signal.SIGINT, previous)
    summary = results.summary
    assert summary["status"] == "optimal"
    assert summary["project_values"]["status"].startswith("stopped by the user (Ctrl-C)")
