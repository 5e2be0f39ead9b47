"""Issue 9's model defects, each on a tiny instance whose optimum is worked out by hand,
and the pre-solve checks that say, with numbers, what the data implies.

Unless said otherwise: one year (2026), no discounting, no transport cost, minutes 10.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tiny import built, capacity_of, pupils_at, solve, tiny_workbook

from placeopt.case import build_case
from placeopt.model.checks import plain_checks
from placeopt.problems import SolveError
from placeopt.run import plan

REL = 1e-6


def demand(pupils: Any, zone: str = "Z1", need: str = "ASD",
           phase: str = "secondary") -> dict[str, Any]:
    return {"zone_id": zone, "need": need, "phase": phase, "pupils": pupils}


def provider(pid: str, kind: str, cost: float, capacity: float | None = None,
             **more: Any) -> dict[str, Any]:
    return {"provider_id": pid, "type": kind, "annual_cost_per_place": cost,
            "capacity": capacity, **more}


def current(pid: str, pupils: float, **more: Any) -> dict[str, Any]:
    return {"zone_id": "Z1", "need": "ASD", "phase": "secondary", "provider_id": pid,
            "pupils": pupils, **more}


# --- a current placement the rules would not make now --------------------------------


@pytest.mark.parametrize("moves", ["no", "yes"])
def test_a_far_current_placement_opens_no_route_for_new_pupils(tmp_path: Path,
                                                               moves: str) -> None:
    # FAR is cheap (£10,000) but 100 minutes away (limit 75): only its 1 current pupil
    # may be there. Demand 3: 1 at FAR + 2 at SP (£20,000) = 10,000 + 40,000 = 50,000.
    # Before the fix the forced arc had no upper bound: all 3 went to FAR (30,000).
    r = solve(tmp_path / f"t{moves}.xlsx", params={"allow_moves": moves},
              providers=[provider("SP", "special", 20_000), provider("FAR", "special", 10_000)],
              demand=[demand(3)], travel={("Z1", "FAR"): {"minutes": 100}},
              current=[current("FAR", 1)])
    assert r.summary["objective"] == pytest.approx(50_000, rel=REL)
    assert pupils_at(r, "FAR") == pytest.approx(1)
    assert pupils_at(r, "SP") == pytest.approx(2)


def test_allow_moves_lets_a_far_current_pupil_leave(tmp_path: Path) -> None:
    # FAR dearer (£30,000) than SP: with moves allowed, the pupil moves; 3 x 20,000.
    r = solve(tmp_path / "t.xlsx", params={"allow_moves": "yes"},
              providers=[provider("SP", "special", 20_000), provider("FAR", "special", 30_000)],
              demand=[demand(3)], travel={("Z1", "FAR"): {"minutes": 100}},
              current=[current("FAR", 1)])
    assert r.summary["objective"] == pytest.approx(60_000, rel=REL)
    assert pupils_at(r, "FAR") == 0


# --- current pupils above a school's places --------------------------------------------


def test_current_pupils_above_capacity_hold_their_places_until_they_leave(
        tmp_path: Path) -> None:
    # SP has 4 places but 6 current secondary pupils (run-off over 5 years: 6, 4.8, 3.6).
    # Demand 7 a year; IN (£50,000) takes the rest. Before the fix: infeasible.
    # 2026: SP full at its roll of 6 (not 4), IN 1.        cost 6 x 20k + 1 x 50k = 170k
    # 2027: roll 4.8 > 4: SP holds 4.8, IN 2.2.            cost 96k + 110k      = 206k
    # 2028: roll 3.6 < 4: SP takes 4 (0.4 new), IN 3.      cost 80k + 150k      = 230k
    # Objective = 606,000.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 3},
              providers=[provider("SP", "special", 20_000, capacity=4),
                         provider("IN", "inmss", 50_000)],
              demand=[demand(7)], current=[current("SP", 6)])
    assert r.summary["status"] == "optimal"
    assert r.summary["objective"] == pytest.approx(606_000, rel=REL)
    assert [pupils_at(r, "SP", year) for year in (2026, 2027, 2028)] == pytest.approx(
        [6, 4.8, 4])
    warnings = r.summary["provenance"]["warnings"]
    assert any("SP has 6.0 current pupils who must stay against 4 places in 2026: treated "
               "as full at its current roll (2026-2027, until they leave)" in w
               for w in warnings), warnings


def test_new_places_add_to_the_published_capacity_of_a_school_over_its_number(
        tmp_path: Path) -> None:
    # SP: 4 places, 6 current pupils who stay (years_remaining 1); OPT adds 2 places for
    # £1,000 (cheaper than one INMSS pupil). Demand 8, one year. Over-roll 2 + 4 + 2 = 8:
    # all 8 at SP = 160,000 + 1,000 = 161,000 (without OPT: 6 at SP, 2 at IN = 220,000).
    r = solve(tmp_path / "t.xlsx",
              providers=[provider("SP", "special", 20_000, capacity=4),
                         provider("IN", "inmss", 50_000)],
              demand=[demand(8)], current=[current("SP", 6, years_remaining=1)],
              expansions=[{"option_id": "OPT", "provider_id": "SP", "places": 2,
                           "capital_cost": 1_000}])
    assert r.summary["objective"] == pytest.approx(161_000, rel=REL)
    assert built(r) == {"OPT": 2026}
    assert capacity_of(r, "SP").loc[2026, "pupils"] == pytest.approx(8)


def test_current_pupils_above_a_capacity_limit_hold_their_places(tmp_path: Path) -> None:
    # A CapacityLimits row: at most 2 ASD secondary pupils at SP (capacity 10), but 3
    # current ones stay (years_remaining 1). Demand 4: 3 at SP, 1 at IN. Before: infeasible.
    # Objective = 3 x 20,000 + 50,000 = 110,000.
    r = solve(tmp_path / "t.xlsx",
              providers=[provider("SP", "special", 20_000, capacity=10),
                         provider("IN", "inmss", 50_000)],
              demand=[demand(4)], current=[current("SP", 3, years_remaining=1)],
              limits=[{"provider_id": "SP", "need": "ASD", "phase": "secondary", "places": 2}])
    assert r.summary["objective"] == pytest.approx(110_000, rel=REL)
    assert pupils_at(r, "SP") == pytest.approx(3)
    assert any("SP (ASD/secondary) has 3.0 current pupils who must stay against a limit of 2"
               in w for w in r.summary["provenance"]["warnings"])


# --- no demand at all --------------------------------------------------------------------


def test_all_zero_demand_solves_to_zero(tmp_path: Path) -> None:
    # A scenario scaling demand to 0 once crashed on HiGHS's "Empty" model status.
    r = solve(tmp_path / "t.xlsx", providers=[provider("SP", "special", 20_000, capacity=5)],
              demand=[demand(0)],
              expansions=[{"option_id": "OPT", "provider_id": "SP", "places": 2,
                           "capital_cost": 1_000}])
    assert r.summary["status"] == "optimal"
    assert r.summary["objective"] == 0
    assert built(r) == {}
    assert r.summary["solve"]["check"]["passed"] is True


def test_all_zero_demand_with_nothing_to_decide(tmp_path: Path) -> None:
    r = solve(tmp_path / "t.xlsx", providers=[provider("SP", "special", 20_000, capacity=5)],
              demand=[demand(0)])
    assert r.summary["status"] == "optimal" and r.summary["objective"] == 0
    assert r.placements.empty


# --- the answer and its proof --------------------------------------------------------------


def test_summary_reports_bound_gap_in_pounds_and_the_check(tmp_path: Path) -> None:
    # SP full at 4; IN takes 1: 4 x 20,000 + 50,000 = 130,000, proven optimal.
    r = solve(tmp_path / "t.xlsx",
              providers=[provider("SP", "special", 20_000, capacity=4),
                         provider("IN", "inmss", 50_000)], demand=[demand(5)])
    s = r.summary
    assert s["objective"] == pytest.approx(130_000, rel=REL)
    assert s["objective_bound"] == pytest.approx(130_000, rel=REL)
    assert s["gap_pounds"] == pytest.approx(0, abs=1e-6)
    assert s["explanation"] is None
    check = s["solve"]["check"]
    assert check["passed"] is True
    assert check["objective_recomputed"] == pytest.approx(130_000, rel=REL)
    assert set(check["solves"]) == {"baseline", "plan", "marginal_values"}
    assert s["solve"]["marginal_values"] == "optimal"


# --- the pre-solve checks ------------------------------------------------------------------


def _problems(path: Path) -> list:
    case = build_case(path)
    return [str(p) for p in plain_checks(case.inputs, case.instance)]


def test_check_a_provider_nobody_can_reach(tmp_path: Path) -> None:
    path = tiny_workbook(tmp_path / "t.xlsx",
                         providers=[provider("SP", "special", 20_000),
                                    provider("PRI", "special", 20_000, phases="primary")],
                         demand=[demand(1)])
    found = _problems(path)
    assert any("Providers!A3: provider PRI is in reach of no demand it can serve" in p
               for p in found), found


def test_many_providers_nobody_can_reach_are_named_in_one_line(tmp_path: Path) -> None:
    """Seven primary-only special schools and secondary demand alone: the first three one
    by one with their cells, the other four named in one line (the national workbook gave
    150 lines, one per authority)."""
    unused = [f"PRI{i}" for i in range(7)]
    path = tiny_workbook(tmp_path / "t.xlsx",
                         providers=[provider("SP", "special", 20_000)]
                         + [provider(pid, "special", 20_000, phases="primary")
                            for pid in unused],
                         demand=[demand(1)])
    found = [p for p in _problems(path) if "in reach of no demand" in p]
    assert found[:3] == [f"WARNING Providers!A{3 + i}: provider PRI{i} is in reach of no "
                         "demand it can serve (its type, needs, phases and the journey "
                         "limits leave no zone that can use it): its places will be empty "
                         "in every plan" for i in range(3)]
    assert found[3:] == ["WARNING Providers: and 4 more providers in reach of no demand "
                         "they can serve, likewise: PRI3, PRI4, PRI5, PRI6"]


def test_check_an_option_nobody_could_use(tmp_path: Path) -> None:
    path = tiny_workbook(tmp_path / "t.xlsx",
                         providers=[provider("SP", "special", 20_000),
                                    provider("PRI", "special", 20_000, capacity=1,
                                             phases="primary")],
                         demand=[demand(1)],
                         expansions=[{"option_id": "OPT", "provider_id": "PRI", "places": 2,
                                      "capital_cost": 1_000}])
    assert any("option OPT expands PRI, which no demand can reach" in p
               for p in _problems(path))


def test_check_hard_budget_below_current_placements_is_infeasible(tmp_path: Path) -> None:
    # 2 current pupils at £20,000 must stay; a hard budget of £30,000 cannot hold.
    path = tiny_workbook(tmp_path / "t.xlsx", params={"budget_limit": "hard"},
                         providers=[provider("SP", "special", 20_000)], demand=[demand(2)],
                         current=[current("SP", 2)],
                         budget=[{"year": 2026, "stream": "high_needs_block",
                                  "amount": 30_000}])
    with pytest.raises(SolveError, match=r"hard revenue budget for 2026 \(£30,000\) is below "
                       r"the cost of current placements that must stay \(£40,000\)"):
        plan(path)


def test_check_a_hard_budget_that_just_covers_current_placements(tmp_path: Path) -> None:
    # 2 current pupils at £20,000 must stay; a hard budget of exactly £40,000 holds them.
    path = tiny_workbook(tmp_path / "t.xlsx", params={"budget_limit": "hard"},
                         providers=[provider("SP", "special", 20_000)], demand=[demand(2)],
                         current=[current("SP", 2)],
                         budget=[{"year": 2026, "stream": "high_needs_block",
                                  "amount": 40_000}])
    assert build_case(path).no_plan == []
    assert plan(path).summary["objective"] == pytest.approx(40_000, rel=REL)


@pytest.mark.parametrize(("places", "short"), [(5, False), (1, True)])
def test_check_demand_beyond_every_place_counts_the_options(tmp_path: Path, places: int,
                                                             short: bool) -> None:
    # Demand 3; SP (the first provider) has 1 place and OPT would add `places` to it:
    # 6 places are enough, 2 are not.
    path = tiny_workbook(tmp_path / "t.xlsx",
                         providers=[provider("SP", "special", 20_000, capacity=1)],
                         demand=[demand(3)],
                         expansions=[{"option_id": "OPT", "provider_id": "SP",
                                      "places": places, "capital_cost": 1_000}])
    found = [p for p in _problems(path) if "exceeds all capacity" in p]
    assert found == ([f"WARNING Demand: ASD secondary demand in 2026 (3 pupils) exceeds all "
                      f"capacity within 75 minutes of its zones ({1 + places} places, shared "
                      "with other needs and phases) even with every option built"]
                     if short else [])


def test_check_required_options_on_streams_of_their_own(tmp_path: Path) -> None:
    # R1 (£60, capital:s106 holding £100) and R2 (£60, capital holding £100), both due
    # in 2026: each stream pays for its own, so a plan exists.
    path = tiny_workbook(
        tmp_path / "t.xlsx", providers=[provider("SP", "special", 20_000, capacity=0)],
        demand=[demand(2)],
        expansions=[{"option_id": o, "provider_id": "SP", "places": 1, "capital_cost": 60,
                     "required": "yes", "latest_year": 2026, "funding": f}
                    for o, f in (("R1", "capital:s106"), ("R2", "capital"))],
        budget=[{"year": 2026, "stream": "capital:s106", "amount": 100},
                {"year": 2026, "stream": "capital", "amount": 100}])
    assert build_case(path).no_plan == []
    assert built(plan(path)) == {"R1": 2026, "R2": 2026}


def test_checks_run_for_the_frontier_too(tmp_path: Path) -> None:
    from placeopt.frontier import frontier

    path = tiny_workbook(tmp_path / "t.xlsx", params={"budget_limit": "hard"},
                         providers=[provider("SP", "special", 20_000)], demand=[demand(2)],
                         current=[current("SP", 2)],
                         budget=[{"year": 2026, "stream": "high_needs_block",
                                  "amount": 30_000}])
    with pytest.raises(SolveError, match="hard revenue budget"):
        frontier(path, points=2)


def test_the_registry_runs_every_check_in_order(tmp_path: Path, monkeypatch) -> None:
    """plain_checks runs each check of the registry once, in order, and returns all they
    find (it used to assert np.all over a list of callables, which could not fail)."""
    from placeopt.model import checks
    from placeopt.problems import Problem

    names = [c.__name__ for c in checks.CHECKS]
    assert names == ["unreachable_groups", "capacity_in_reach", "unreachable_providers",
                     "options_never_open", "current_pupils_above_capacity",
                     "hard_budget_below_current", "capital_below_required"]
    case = build_case(tiny_workbook(tmp_path / "t.xlsx",
                                    providers=[provider("SP", "special", 20_000)],
                                    demand=[demand(1)]))
    ran: list[str] = []

    def recorded(check):
        def run(inputs, instance):
            assert (inputs, instance) == (case.inputs, case.instance)
            ran.append(check.__name__)
            return [Problem("warning", check.__name__, "found"),
                    Problem("warning", check.__name__, "and more")]
        return run

    monkeypatch.setattr(checks, "CHECKS", tuple(recorded(c) for c in checks.CHECKS))
    found = checks.plain_checks(case.inputs, case.instance)
    assert ran == names
    assert [(p.where, p.message) for p in found] == [
        (name, message) for name in names for message in ("found", "and more")]


# --- the same answer every time --------------------------------------------------------


def test_runs_are_deterministic(tmp_path: Path) -> None:
    """Same workbook, same settings: byte-identical CSVs, and the same summary but for
    clock times. It holds because the model is built in a fixed row and column order and
    HiGHS's search is deterministic for a given model and thread count; it need not hold
    for a run stopped by its time limit (where it stops depends on the clock)."""
    from conftest import run_cli

    root = Path(__file__).resolve().parents[1]
    folders = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = run_cli("run", root / "models" / "northbridge.xlsx", "-o", out, "--quiet",
                         "--no-reports")
        assert result.exit_code == 0, result.output
        folders.append(out)
    csvs = sorted(p.name for p in folders[0].glob("*.csv"))
    assert csvs and csvs == sorted(p.name for p in folders[1].glob("*.csv"))
    for name in csvs:
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes(), name

    def stable(folder: Path) -> dict:
        import json

        summary = json.loads((folder / "summary.json").read_text())
        for key in ("started_at", "finished_at", "read_seconds"):
            summary["provenance"].pop(key)
        for key in ("build_seconds", "handoff_seconds", "solve_seconds", "timings", "races"):
            summary["solve"].pop(key)
        return summary

    assert stable(folders[0]) == stable(folders[1])


def test_marginal_values_lp_failing_is_said_not_zeroed(tmp_path: Path) -> None:
    """If the LP for marginal values fails, they are unknown (blank), with the reason,
    never a column of zeros that reads as "no value"."""
    from placeopt.model.formulation import formulate
    from placeopt.model.solve import Solver, solve_cases

    case = build_case(tiny_workbook(
        tmp_path / "t.xlsx", providers=[provider("SP", "special", 20_000, capacity=4),
                                        provider("IN", "inmss", 50_000)],
        demand=[demand(5)]))
    model = Solver(formulate(case.instance), case.settings, instance=case.instance)
    _, plan_solution = solve_cases(model, case.instance)
    # Break the LP: nobody may be placed or counted unmet (the builds are fixed anyway).
    everything = np.arange(model.n_cols)
    model.set_bounds(everything, np.zeros(model.n_cols), np.zeros(model.n_cols))
    duals, status, _ = model.capacity_duals(plan_solution)
    assert status.startswith("not computed"), status
    assert np.isnan(duals).all()


# --- a failure proves nothing -------------------------------------------------------------


def _required_beyond_capital(path: Path) -> Path:
    """OPT (£100, required, by 2026) against £50 of capital: no plan can exist."""
    return tiny_workbook(path, providers=[provider("SP", "special", 20_000, capacity=1)],
                         demand=[demand(1)],
                         expansions=[{"option_id": "OPT", "provider_id": "SP", "places": 1,
                                      "capital_cost": 100, "required": "yes"}],
                         budget=[{"year": 2026, "stream": "capital", "amount": 50}])


def test_a_capital_check_that_hiGHS_could_not_finish_is_not_fundable(tmp_path: Path,
                                                                     monkeypatch) -> None:
    """The required options' capital check is a small LP. Stopped by an iteration limit
    (the real HiGHS, allowed no iterations, nor presolve, which would settle it) it proves
    nothing: a solver failure, not
    "fundable" (it was taken for fundable, and the check stayed silent)."""
    from placeopt.model import funding
    from placeopt.model.checks import capital_below_required

    case = build_case(_required_beyond_capital(tmp_path / "t.xlsx"))
    assert "no plan can build them" in capital_below_required(case.inputs,
                                                              case.instance)[0].message
    real = funding.new_highs

    def no_iterations(*args: Any, **kwargs: Any) -> Any:
        highs = real(*args, **kwargs)
        highs.setOptionValue("presolve", "off")
        highs.setOptionValue("simplex_iteration_limit", 0)
        return highs

    monkeypatch.setattr(funding, "new_highs", no_iterations)
    with pytest.raises(SolveError, match="could not be solved"):
        capital_below_required(case.inputs, case.instance)


def test_an_explanation_cut_short_by_its_time_limit_claims_nothing(tmp_path: Path,
                                                                   monkeypatch) -> None:
    """The explanation of an infeasible model solves its linear relaxation for an IIS.
    Stopped by its time limit, that proves nothing: it must not say "the linear
    relaxation is feasible" (it did, for any status but infeasible)."""
    import highspy

    from placeopt.model import checks, diagnose

    monkeypatch.setattr(checks, "CHECKS", ())  # the solver finds it infeasible
    real = diagnose.new_highs

    def out_of_time() -> highspy.Highs:
        highs = real()
        setter = highs.setOptionValue
        setter("presolve", "off")  # which would settle this tiny model at once
        # the real HiGHS, whatever time limit the explanation asks for: none left
        highs.setOptionValue = lambda name, value: setter(
            name, 0.0 if name == "time_limit" else value)
        return highs

    path = _required_beyond_capital(tmp_path / "t.xlsx")
    with pytest.raises(SolveError) as caught:
        plan(path)
    assert "the capital budget (2026)" in caught.value.explanation  # the IIS, in time
    monkeypatch.setattr(diagnose, "new_highs", out_of_time)
    with pytest.raises(SolveError) as caught:
        plan(path)
    assert caught.value.status == "infeasible"
    assert "feasible" not in caught.value.explanation.replace("infeasible", "")
    assert "could not tell" in caught.value.explanation
    assert "Time limit reached" in caught.value.explanation
