"""The years route (`model/benders.py` over `model/years.py`): its cuts are valid, they
stay valid while the master changes, and where the model does not split the route steps
aside.

(That the route gives the plain model's optimum is `test_routes.py`; the hand-solved
instances of `test_model.py` go through it too, as it is the default.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from placeopt.case import build_case
from placeopt.model.formulation import formulate
from placeopt.model.solve import Solver, SolverSettings
from placeopt.model.years import YearLPs
from placeopt.problems import SolveError
from placeopt.run import plan, solve_case

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import Size, generate  # noqa: E402

NORTHBRIDGE = ROOT / "models" / "northbridge.xlsx"
SMALL = Size(1, 12, 2, 3, 2, 3, 6, years=6)


def test_every_cut_is_a_subgradient_of_the_years_cost(tmp_path: Path) -> None:
    """z_t(y2) >= z_t(y1) + d_t(y1) . (y2 - y1) for random build points y1, y2 (whole or
    fractional): the reduced costs of the fixed build columns bound each year's cost from
    below everywhere, so no cut ever cuts off a plan."""
    case = build_case(generate(SMALL, tmp_path / "la.xlsx", seed=7))
    formulation = formulate(case.instance)
    bounds = Solver(formulation, SolverSettings()).bounds()
    benders = YearLPs(bounds, formulation.layout)
    assert not benders.why_not
    cols = benders.master_columns
    lower, upper = bounds.col_lower[cols], bounds.col_upper[cols]
    upper = np.where(np.isfinite(upper), upper, lower + 1e6)
    rng = np.random.default_rng(0)
    points = [lower + (upper - lower) * rng.random(len(cols)) for _ in range(4)]
    points += [lower + (upper - lower) * rng.integers(0, 2, len(cols)) for _ in range(4)]
    priced = [benders.price(p) for p in points]
    moved = 0
    for first in priced:
        for second in priced:
            for t, year in enumerate(benders.years):
                step = second.point[year.links] - first.point[year.links]
                promised = first.costs[t] + first.slopes[t] @ step
                assert second.costs[t] >= promised - 1e-6 * max(1.0, abs(second.costs[t]))
                moved += abs(first.slopes[t] @ step) > 1.0
    assert moved, "every slope was zero: the test proves nothing"


def test_project_values_by_years_match_the_whole_model() -> None:
    """Each option forced out of or into the plan is one more solve on the same years'
    LPs with every cut kept (the master's bounds and rows change, the cuts stay valid):
    at a zero gap the worth of each project is the whole model's."""
    worth, statuses = {}, {}
    for route in ("years", "whole"):
        results = plan(NORTHBRIDGE, mip_gap=0.0, project_values=True, route=route)
        assert results.summary["solve"]["check"]["passed"]
        statuses[route] = {option: solve["status"] for option, solve
                           in results.summary["project_values"]["solves"].items()}
        worth[route] = results.expansions.set_index("option_id")[
            ["npv_if_dropped", "npv_if_forced"]]
    assert statuses["years"] == statuses["whole"] and statuses["years"]
    assert worth["years"].notna().sum().sum() >= 2, "too few values: the test proves little"
    assert np.allclose(worth["years"].to_numpy(float), worth["whole"].to_numpy(float),
                       atol=1.0, equal_nan=True)


def test_the_route_solves_by_years_where_the_model_splits() -> None:
    summary = plan(NORTHBRIDGE, project_values=False, route="years").summary
    solves = summary["solve"]["check"]["solves"]
    # The baseline's builds are fixed: one LP per year; the plan by Benders; the
    # marginal-value LP at the plan's builds, one LP per year again.
    assert solves["baseline"]["attempts"] == ["year by year"]
    assert solves["plan"]["attempts"] == ["by years"]
    assert solves["marginal_values"]["attempts"] == ["year by year"]
    assert summary["provenance"]["routes"] == {
        "baseline": "year by year", "plan": "years", "marginal_values": "year by year"}
    assert summary["provenance"]["route"] == "years"
    # The record says when the route first had the model's LP bound (its LP phase
    # ended): within its solve.
    race = summary["solve"]["races"]["plan"]["years"]
    assert 0.0 < race["bound_seconds"] <= race["seconds"]


def test_whole_pupils_are_solved_whole() -> None:
    """Whole-number placements make each year a MIP, whose duals give no valid cut."""
    case = build_case(NORTHBRIDGE, adjust=lambda inputs: inputs.params.update(
        integer_placements=True))
    lines: list[str] = []
    summary = solve_case(case, project_values=False, progress=lines.append).summary
    assert summary["status"] == "optimal"
    assert summary["solve"]["check"]["solves"]["plan"]["attempts"] != ["by years"]
    assert any("whole-number placements" in line for line in lines)


def test_a_plan_that_cannot_exist_is_explained_by_either_route() -> None:
    """The master's rows are the model's own over the builds: when they cannot hold, the
    plan is infeasible (not a failure of the route), and said why as for the whole."""
    case = build_case(NORTHBRIDGE)
    formulation = formulate(case.instance)
    layout = formulation.layout
    capex = case.instance.options["capex"].to_numpy(float)[layout.b_option]
    last = np.flatnonzero(layout.b_last)
    for route in ("years", "whole"):
        model = Solver(formulation, SolverSettings(route=route), instance=case.instance)
        # Build more capital than every option together costs.
        model.add_row(layout.b_start + last, -capex[last], -(capex[last].sum() + 1.0))
        with pytest.raises(SolveError) as raised:
            model.run("plan")
        assert raised.value.status == "infeasible"


def test_a_years_solve_that_falls_back_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A year LP that will not solve (made to fail here) sends each solve whole: the
    summary says so in solve.check (`resolves`, each solve's route and why) and in
    provenance (the route each solve took, and the route asked for)."""
    from placeopt.model import years

    def failing(self, year, point):
        raise years.YearFailed(f"year {year.year}'s LP: Unknown")

    monkeypatch.setattr(years.YearLPs, "_price_year", failing)
    summary = plan(NORTHBRIDGE, project_values=False, route="years").summary
    assert summary["status"] == "optimal"
    check = summary["solve"]["check"]
    assert check["solves"]["plan"]["route"] == "whole"
    assert "left the years route (plan by years: year 0's LP: Unknown)" in \
        check["solves"]["plan"]["fallback"]
    assert any(line.startswith("plan: left the years route") for line in check["resolves"])
    assert summary["provenance"]["route"] == "years"
    assert summary["provenance"]["routes"]["plan"] == "whole"
    assert summary["provenance"]["routes"]["baseline"] == "whole"


def test_verbose_shows_the_solver_log_by_years(tmp_path: Path) -> None:
    """--verbose adds HiGHS's own log on the years route too: the master's and the year
    LPs' (the same words HiGHS prints for the whole model)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "placeopt.cli", "run", str(NORTHBRIDGE), "--route", "years",
         "--verbose", "--no-reports", "--no-project-values", "-o", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Solving the plan by years" in done.stderr
    log = done.stdout
    assert "Coefficient ranges:" in log and "Model status        : Optimal" in log
    assert "dual simplex" in log  # the year LPs'
    assert "subMIP time" in log  # the master MIP's


def test_a_reused_highs_instance_gets_its_whole_time_limit() -> None:
    """HiGHS measures `time_limit` on a clock that keeps every earlier run of the
    instance, and placeopt reuses instances (the year LPs from the baseline to the plan,
    the whole model through the project values). On England the plan stopped at 1,179 s
    of its 1,800 s: the baseline had used the rest of the year LPs' clock.
    `set_time_limit` sets the limit on that clock."""
    import highspy
    import numpy as np

    from placeopt.model.highs_lp import new_highs, set_time_limit

    highs = new_highs()
    n = 300
    rng = np.random.default_rng(0)
    highs.addVars(n, np.zeros(n), np.full(n, 1e6))
    highs.changeColsCost(n, np.arange(n, dtype=np.int32), rng.random(n))
    for _ in range(n):
        columns = rng.choice(n, 30, replace=False).astype(np.int32)
        highs.addRow(1.0, np.inf, 30, columns, rng.random(30))
    for _ in range(3):
        highs.clearSolver()
        highs.run()
    used = highs.getRunTime()
    assert used > 0
    # HiGHS as it is: a limit below the time its earlier runs took stops the run at once.
    highs.clearSolver()
    highs.setOptionValue("time_limit", 0.5 * used)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
    # The same limit, set on the instance's clock: the run has it all, and solves.
    highs.clearSolver()
    set_time_limit(highs, 0.5 * used + 10.0)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal


def test_a_year_starts_from_its_neighbours_basis(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The years' first LPs, each started from the nearest year already solved (its
    basis mapped by what each column and row is about, `identities`), give every year
    the same cost as from cold, with a solution that holds its rows, in fewer simplex
    iterations; only the first year of each worker's run starts cold."""
    from placeopt.model import years
    from placeopt.model.years import identities

    monkeypatch.setattr(years, "NEIGHBOUR_COLUMNS", 0)  # (an LA's years: 50,000 and up)
    # (Large enough that HiGHS's presolve does not solve a year's LP on its own.)
    size = Size(1, 30, 4, 8, 3, 6, 8, years=6)
    case = build_case(generate(size, tmp_path / "la.xlsx", seed=7))
    formulation = formulate(case.instance)
    bounds = Solver(formulation, SolverSettings()).bounds()
    point = np.nan_to_num(bounds.col_lower, neginf=0.0)
    runs = {}
    for warm in (False, True):
        identity = (lambda: identities(formulation, len(bounds.row_lower))) if warm \
            else None
        lps = YearLPs(bounds, formulation.layout, workers=1, identity=identity)
        priced = lps.price(point[lps.master_columns])
        iterations = sum(year.highs.getInfo().simplex_iteration_count for year in lps.years)
        runs[warm] = priced, iterations, lps
    (cold, cold_iterations, _), (warm, warm_iterations, lps) = runs[False], runs[True]
    assert lps.warm_started == len(lps.years) - 1 == 5
    assert np.allclose(warm.costs, cold.costs, rtol=1e-9, atol=1e-6)
    # (An optimum, perhaps another of the same cost: each year's rows hold.)
    values = lps.full_values(warm)
    activity = bounds.matrix @ values
    for year in lps.years:
        assert np.all(activity[year.rows] >= bounds.row_lower[year.rows] - 1e-6)
        assert np.all(activity[year.rows] <= bounds.row_upper[year.rows] + 1e-6)
    # From cold each year took 850-1,050 iterations; from its neighbour's basis 35-60.
    assert warm_iterations < 0.4 * cold_iterations, (warm_iterations, cold_iterations)
    # Once every year has a basis of its own, the neighbours' are let go.
    assert all(year.basis is None and year.col_keys is None for year in lps.years)
    # Two workers: two runs of three years, each year from the one before in its run
    # (fixed in advance, not by which thread ends first); the same costs again.
    lps = YearLPs(bounds, formulation.layout, workers=2,
                  identity=lambda: identities(formulation, len(bounds.row_lower)))
    again = lps.price(point[lps.master_columns])
    assert lps.warm_started == 4
    assert np.allclose(again.costs, cold.costs, rtol=1e-9, atol=1e-6)
    once_more = YearLPs(bounds, formulation.layout, workers=2,
                        identity=lambda: identities(formulation, len(bounds.row_lower)))
    repeat = once_more.price(point[once_more.master_columns])
    assert all(np.array_equal(a, b) for a, b in zip(again.values, repeat.values,
                                                    strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(again.slopes, repeat.slopes,
                                                    strict=True))


def test_other_highs_options_reach_the_years_master(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS options given by name (SolverSettings.highs_options: a benchmark's random
    seed, a heuristic turned off) are the master MIP's on the years route, as they are
    the whole model's: the years route is not measured with HiGHS's defaults alone."""

    from placeopt.model import benders

    made = []
    real = benders.new_highs

    def kept(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(benders, "new_highs", kept)
    options = (("random_seed", 7), ("mip_heuristic_effort", 0.2))
    summary = plan(NORTHBRIDGE, project_values=False, route="years",
                   highs_options=options).summary
    assert summary["status"] == "optimal" and summary["provenance"]["routes"]["plan"] == "years"
    assert summary["provenance"]["highs_options"] == {"random_seed": 7,
                                                      "mip_heuristic_effort": 0.2}
    assert made, "the years route made no master"
    for master in made:
        assert master.getOptionValue("random_seed")[1] == 7
        assert master.getOptionValue("mip_heuristic_effort")[1] == pytest.approx(0.2)
    # One HiGHS refuses is named, not passed over.
    with pytest.raises((ValueError, SolveError), match="no_such_option"):
        plan(NORTHBRIDGE, project_values=False, route="years",
             highs_options=(("no_such_option", 1),))
    # None given: none in the provenance, HiGHS's defaults.
    assert "highs_options" not in plan(NORTHBRIDGE, project_values=False,
                                       route="years").summary["provenance"]


def test_the_lp_phase_stops_within_a_tenth_of_the_gap_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The LP phase only gives the master its first cuts and bound: it converges to a
    tenth of the gap asked (never finer than LP_TOLERANCE), and the MIP phase still
    proves the plan within the gap itself."""
    from placeopt.model import benders

    asked = []
    real = benders._Master.lp_phase

    def kept(self, core, deadline, tolerance=benders.LP_TOLERANCE, **rest):
        asked.append(tolerance)
        return real(self, core, deadline, tolerance, **rest)

    monkeypatch.setattr(benders._Master, "lp_phase", kept)
    for gap, tolerance in ((0.01, 0.001), (0.0005, benders.LP_TOLERANCE)):
        asked.clear()
        summary = plan(NORTHBRIDGE, project_values=False, route="years", mip_gap=gap).summary
        assert asked and all(t == pytest.approx(tolerance) for t in asked)
        assert summary["status"] == "optimal" and summary["mip_gap"] <= gap + 1e-12
        assert summary["provenance"]["routes"]["plan"] == "years"


def test_a_time_limit_in_the_lp_phase_keeps_the_bound_proven(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The time limit may stop a pricing of the LP phase (England, on a slow machine:
    the limit ran out in its fourth round). Each round's master LP bound is proven when
    it is solved, so the plan reports it: it used to be lost, and the plan's gap said
    "unknown" after three rounds had proved a bound."""
    from placeopt.model import years as years_module

    optimum = plan(NORTHBRIDGE, project_values=False, route="years", mip_gap=0.0).summary
    calls = [0]
    real = years_module.YearLPs.price

    def stops_at_the_third(self, point):
        calls[0] += 1
        if calls[0] == 3:  # the start, round 1's point, then the clock
            raise years_module.Stopped
        return real(self, point)

    monkeypatch.setattr(years_module.YearLPs, "price", stops_at_the_third)
    stopped = plan(NORTHBRIDGE, project_values=False, route="years").summary
    assert calls[0] >= 3
    assert stopped["status"] == "time_limit"
    bound = stopped["objective_bound"]
    assert bound is not None and np.isfinite(bound)
    assert bound <= optimum["objective"] + 1e-6 * abs(optimum["objective"])
    assert stopped["mip_gap"] is not None and stopped["mip_gap"] > 0  # a gap, known


def test_the_lp_phase_leaves_the_mip_phase_its_share_of_the_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The LP phase starts no round that would end past LP_TIME_SHARE of the time it was
    given: the rest is the MIP phase's, to find a plan (at England size the LP phase
    used to run out the limit, and the plan reported was the baseline's). With no share
    at all, one LP round runs and the MIP phase alone, still exact, proves the optimum;
    with the share as set and a limit far above the solve, the LP phase runs on to its
    tolerance, as before."""
    from placeopt.model import benders

    def solved(share: float) -> tuple[dict, list[str]]:
        lines: list[str] = []
        monkeypatch.setattr(benders, "LP_TIME_SHARE", share)
        summary = plan(NORTHBRIDGE, project_values=False, route="years", mip_gap=0.0,
                       time_limit=600, progress=lines.append).summary
        return summary, [line for line in lines if "Benders LP:" in line]

    full, full_lines = solved(benders.LP_TIME_SHARE)
    short, short_lines = solved(0.0)

    def rounds(lines: list[str]) -> int:  # of the plan's LP phase (its last)
        return int(lines[-1].split(" after ")[1].split(" rounds")[0])

    assert not any("stopped after" in line for line in full_lines)
    assert rounds(full_lines) > 1, "one LP round anyway: the test proves nothing"
    assert any("stopped after 1 round (" in line for line in short_lines)
    assert rounds(short_lines) == 1
    for summary in (full, short):
        assert summary["status"] == "optimal"
        assert summary["provenance"]["routes"]["plan"] == "years"
    assert short["objective"] == pytest.approx(full["objective"], rel=1e-9)
