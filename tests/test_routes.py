"""Every faster route `placeopt run` takes gives the optimum of the plain model.

The plain model is SPEC §2 as written: every allowed arc (no dominated arc left out),
the options' variables b[e,t] ("opens in year t"), the whole objective in one HiGHS MIP
solved to a zero gap. Both routes of `placeopt run` differ from it in three exact ways:
dominated arcs are left out (`instance._prune_dominated`), the solver decides y[e,t]
("open by year t", docs/decisions/0009), and the cost of locked pupils is folded out of
the objective the gap is measured on. The `years` route (the default) then solves every
MIP by Benders over years (`model/benders.py`, docs/decisions/0011) and the
marginal-value LP as the years' LPs; the `whole` route solves one HiGHS MIP, with the
baseline's years apart when its builds are fixed (`model/yearly.py`). Here all three
are solved on the worked example's every scenario (the Northbridge model) and on random
synthetic local authorities (some with inclusion measures), and must agree on the plan's
and the baseline's optimum.
(The hand-solved instances of `test_model.py` check the default route, and the
OR-Library sets of `test_orlib.py` the whole route, which one-year models take, against
optima known in advance.)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from placeopt.case import build_case
from placeopt.model.instance import Instance, compile_instance
from placeopt.run import plan
from placeopt.workbook.template import write_template

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from plain_model import solve_plain  # noqa: E402
from synthetic import Size, generate  # noqa: E402

EXAMPLE_SCENARIOS = ["base", "high_growth", "no_new_school", "hard_budget",
                     "with_satellite", "inmss_fees_rise"]


def plain_optimum(instance: Instance, baseline: bool = False) -> float:
    """The optimum of the plain model (`benchmarks/plain_model.py`: SPEC §2 in b, one MIP, gap
    0); with `baseline`, the options that are not required shut."""
    solved = solve_plain(instance, baseline=baseline, mip_gap=0.0)
    assert solved.status == "optimal"
    return solved.objective


def assert_routes_agree(workbook: Path, scenario: str = "base") -> Instance:
    case = build_case(workbook, scenario)
    plain = compile_instance(case.inputs, prune_dominated=False)
    optimum, baseline = plain_optimum(plain), plain_optimum(plain, baseline=True)
    for route in ("auto", "years", "whole"):
        summary = plan(workbook, scenario, mip_gap=0.0, project_values=False,
                       route=route).summary
        assert summary["status"] == "optimal"
        assert summary["solve"]["check"]["passed"]
        # Solvers stop at an absolute gap of 1e-6 of the objective's units (£): a penny.
        assert summary["objective"] == pytest.approx(optimum, rel=1e-9, abs=0.01), route
        # The proven bound is a bound: never above the optimum.
        assert summary["objective_bound"] <= optimum + 0.01, route
        assert summary["baseline_objective"] == pytest.approx(baseline, rel=1e-9,
                                                              abs=0.01), route
        # The marginal-value LP (the plan's builds fixed) has the plan's own optimum.
        lp = summary["solve"]["check"]["solves"]["marginal_values"]
        assert lp["objective_reported"] == pytest.approx(summary["objective"], rel=1e-9,
                                                         abs=0.01), route
    return case.instance


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("routes") / "example.xlsx", example=True)


@pytest.mark.parametrize("scenario", EXAMPLE_SCENARIOS)
def test_worked_example_every_scenario(example: Path, scenario: str) -> None:
    assert_routes_agree(example, scenario)


# Random local authorities (benchmarks/synthetic.py): 12 zones, 2 special schools, 3
# resourced units, 2 mainstream, 3 independent schools, 6 options over 6 years.
SMALL = Size(1, 12, 2, 3, 2, 3, 6, years=6)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_synthetic_authority(tmp_path: Path, seed: int) -> None:
    assert_routes_agree(generate(SMALL, tmp_path / f"la{seed}.xlsx", seed=seed))


# The same, with inclusion measures (SPEC §2 item 8): two outreach teams and two
# inclusion bases that may divert specialist demand to the mainstream schools.
WITH_MEASURES = Size(1, 12, 2, 3, 2, 3, 6, years=6, measures_per_la=4)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_synthetic_authority_with_inclusion_measures(tmp_path: Path, seed: int
                                                            ) -> None:
    instance = assert_routes_agree(generate(WITH_MEASURES, tmp_path / f"m{seed}.xlsx",
                                            seed=seed))
    assert len(instance.measures) == 4 and len(instance.measures.cells) > 0


def test_the_instances_exercise_every_reduction(example: Path, tmp_path: Path) -> None:
    """Arcs left out and locked pupils folded out (the example); the baseline (required
    options with no choice of year) one LP per year on every route, the plan by the route
    asked for."""
    instance = build_case(example).instance
    assert instance.dominated_arcs > 0 and instance.lock.sum() > 0
    random = generate(SMALL, tmp_path / "la.xlsx", seed=1)
    assert build_case(random).instance.dominated_arcs > 0
    for route in ("years", "whole"):
        summary = plan(random, mip_gap=0.0, project_values=False, route=route).summary
        solves = summary["solve"]["check"]["solves"]
        assert solves["baseline"]["attempts"] == ["year by year"]
        assert solves["plan"]["route"] == route
        assert summary["provenance"]["routes"]["plan"] == route


@pytest.mark.parametrize("route", ["auto", "years", "whole"])
@pytest.mark.parametrize("seed", [5, 6])
def test_the_bound_is_a_bound_at_a_loose_gap(tmp_path: Path, route: str, seed: int) -> None:
    """Stopped at a 2% gap, each route's proven bound lies below the plain model's
    optimum and its plan above it, and the two are as far apart as the gap says: a bound
    moved up by any amount beyond a penny fails here."""
    workbook = generate(SMALL, tmp_path / f"la{seed}.xlsx", seed=seed)
    optimum = plain_optimum(compile_instance(build_case(workbook).inputs,
                                             prune_dominated=False))
    summary = plan(workbook, mip_gap=0.02, project_values=False, route=route).summary
    bound, objective = summary["objective_bound"], summary["objective"]
    assert bound <= optimum + 0.01 <= objective + 0.02
    assert summary["gap_pounds"] == pytest.approx(objective - bound, abs=0.02)


def test_a_race_whose_child_process_never_comes_up_solves_the_whole_model_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole model's child process cannot start (here: it exits at once): the race
    goes on with the whole model in this process, to the plain model's optimum."""
    import sys

    from placeopt.model import apart, portfolio

    monkeypatch.setattr(portfolio, "YEARS_HEAD_START", 0.0)  # a race from the start
    monkeypatch.setattr(portfolio, "FIRST_ROUND", 0.0)
    monkeypatch.setattr(apart, "prestart", lambda: None)
    monkeypatch.setattr(apart, "take", lambda: apart.Apart(
        command=(sys.executable, "-c", "import sys; sys.exit(3)")))
    workbook = generate(SMALL, tmp_path / "la.xlsx", seed=3)
    optimum = plain_optimum(compile_instance(build_case(workbook).inputs,
                                             prune_dominated=False))
    lines: list[str] = []
    summary = plan(workbook, mip_gap=0.0, project_values=False, route="auto",
                   progress=lines.append).summary
    assert summary["objective"] == pytest.approx(optimum, rel=1e-9, abs=0.01)
    assert summary["solve"]["races"]["plan"]["whole"]["own_process"] is False
    assert any("ended without an answer (exit code 3); solving the whole model in this "
               "process" in line for line in lines)


def test_a_paced_race_still_gives_the_optimum(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Both routes from the start, each paused to a tenth of the clock in turn at HiGHS's
    interrupt checks (model/portfolio.py `_Pacer`, model/watch.py `Watch.pace`): the
    plan is still the plain model's optimum, and the race says how long each led."""
    from placeopt.model import portfolio

    monkeypatch.setattr(portfolio, "HEAD_START", 0.0)
    monkeypatch.setattr(portfolio, "YEARS_HEAD_START", 0.0)
    monkeypatch.setattr(portfolio, "FIRST_ROUND", 0.0)
    monkeypatch.setattr(portfolio, "TICK", 0.02)

    def alternate(self: portfolio._Pacer, alive: list[str]) -> None:
        now = portfolio.time.perf_counter()
        if self.ahead:
            self.priority[self.ahead] += now - self.last
        self.last = now
        self.ahead = "" if len(alive) < 2 else alive[len(self.history[alive[0]]) % 2]
        self.history[alive[0] if alive else self.running[0]].append((now, 0.0))
        for name in self.running:
            self.watches[name].share = portfolio.SLOW if self.ahead and \
                name != self.ahead else 1.0

    monkeypatch.setattr(portfolio._Pacer, "look", alternate)
    workbook = generate(SMALL, tmp_path / "la.xlsx", seed=3)
    optimum = plain_optimum(compile_instance(build_case(workbook).inputs,
                                             prune_dominated=False))
    summary = plan(workbook, mip_gap=0.0, project_values=False, route="auto").summary
    assert summary["objective"] == pytest.approx(optimum, rel=1e-9, abs=0.01)
    assert summary["objective_bound"] <= optimum + 0.01
    race = summary["solve"]["races"]["plan"]
    assert set(race) == {"whole", "years"}
    assert race["whole"]["own_process"]  # paused anywhere (model/apart.py)
    assert all(one["ahead_seconds"] >= 0 for one in race.values())
    assert sum(one["ahead_seconds"] for one in race.values()) > 0


def test_a_plan_won_whole_in_the_child_process_has_its_marginal_values_by_years(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's copy of the whole model is cold when the race's child solved it:
    the marginal-value LP goes year by year (warm from the baseline), and its values are
    the whole LP's (the whole route's own, solved in this process)."""
    from placeopt.model import portfolio
    from placeopt.model.benders import BendersRoute
    from placeopt.model.route import Attempt

    def never(self, label, start, limits, watch):  # noqa: ANN001, ANN202
        while not watch.stopped:  # a years route that never proves: the whole model wins
            time.sleep(0.01)
        return Attempt("years", "interrupted")

    monkeypatch.setattr(portfolio, "YEARS_HEAD_START", 0.0)
    monkeypatch.setattr(portfolio, "FIRST_ROUND", 0.0)
    workbook = generate(SMALL, tmp_path / "la.xlsx", seed=3)
    whole = plan(workbook, mip_gap=0.0, project_values=False, route="whole")
    with monkeypatch.context() as patch:
        patch.setattr(BendersRoute, "solve", never)
        raced = plan(workbook, mip_gap=0.0, project_values=False, route="auto")
    summary = raced.summary
    assert summary["solve"]["races"]["plan"]["whole"]["own_process"] is True
    assert summary["provenance"]["routes"] == {
        "baseline": "year by year", "plan": "whole", "marginal_values": "year by year"}
    assert whole.summary["provenance"]["routes"]["marginal_values"] == "whole"
    assert summary["objective"] == pytest.approx(whole.summary["objective"], abs=0.01)
    mine, theirs = (results.capacity.set_index(["provider_id", "year"])["marginal_value"]
                    for results in (raced, whole))
    assert np.allclose(mine.to_numpy(float), theirs.loc[mine.index].to_numpy(float),
                       atol=0.01, equal_nan=True)


def test_the_whole_model_raced_is_solved_without_presolve_and_alone_with_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a race the whole model's MIP goes to HiGHS with presolve off (model/whole.py
    `RACE_PRESOLVE`: after presolve its root LP can take a hundred times as long, by
    chance); asked for alone, with HiGHS's presolve. The same optimum either way."""
    from placeopt.model import apart, portfolio, whole
    from placeopt.model.benders import BendersRoute
    from placeopt.model.route import Attempt

    def never(self, label, start, limits, watch):  # noqa: ANN001, ANN202
        while not watch.stopped:  # a years route that never proves: the whole model wins
            time.sleep(0.01)
        return Attempt("years", "interrupted")

    asked: list[tuple[bool, bool]] = []  # (racing, presolve) of each whole-model run
    sent: list[list] = []  # the options each run in the child process was sent
    once, child = whole.WholeRoute._solve_once, apart.Apart.solve

    def solve_once(self, label, start, limits, presolve):  # noqa: ANN001, ANN202
        asked.append((self._watch.racing, presolve))
        return once(self, label, start, limits, presolve)

    def child_solve(self, job, *args):  # noqa: ANN001, ANN202
        sent.append(list(job["options"]))
        return child(self, job, *args)

    monkeypatch.setattr(whole.WholeRoute, "_solve_once", solve_once)
    monkeypatch.setattr(apart.Apart, "solve", child_solve)
    monkeypatch.setattr(portfolio, "YEARS_HEAD_START", 0.0)
    monkeypatch.setattr(portfolio, "FIRST_ROUND", 0.0)
    workbook = generate(SMALL, tmp_path / "la.xlsx", seed=3)
    alone = plan(workbook, mip_gap=0.0, project_values=False, route="whole").summary
    assert asked and all(presolve for racing, presolve in asked if not racing)
    assert not sent  # alone: in this process
    asked.clear()
    with monkeypatch.context() as patch:
        patch.setattr(BendersRoute, "solve", never)
        raced = plan(workbook, mip_gap=0.0, project_values=False, route="auto").summary
    assert raced["solve"]["races"]["plan"]["whole"]["own_process"] is True
    assert (True, False) in asked and not any(presolve for racing, presolve in asked
                                              if racing)
    assert sent and all(("presolve", "off") in options for options in sent)
    assert raced["objective"] == pytest.approx(alone["objective"], abs=0.01)
    optimum = plain_optimum(compile_instance(build_case(workbook).inputs,
                                             prune_dominated=False))
    assert raced["objective"] == pytest.approx(optimum, rel=1e-9, abs=0.01)
