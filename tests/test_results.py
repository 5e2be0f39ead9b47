"""The results of SPEC §4: savings, NPV, payback, the tables, the result folder, the CLI.

The savings arithmetic is checked on tiny instances worked out by hand (tests/tiny.py);
the consistency of the tables with the summary on the worked example.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from tiny import built, solve, tiny_workbook

from placeopt.cli import main
from placeopt.model.results import Results, payback_year
from placeopt.run import plan, write_results
from placeopt.workbook.reader import read_workbook
from placeopt.workbook.template import write_template

REL = 1e-6
GROUP = ["zone_id", "need", "phase", "provision"]


def demand(pupils: Any) -> dict[str, Any]:
    return {"zone_id": "Z1", "need": "ASD", "phase": "secondary", "provision": "special",
            "pupils": pupils}


# SP: special, no places of its own, £20,000 + £1,000 transport (21,000 a pupil-year).
# IN: INMSS, out of area, £50,000 + £4,000 transport (54,000 a pupil-year).
# One pupil moved from IN to SP saves 33,000 a year of revenue, 54,000 of out-of-area cost.
PROVIDERS = [
    {"provider_id": "SP", "type": "special", "capacity": 0, "annual_cost_per_place": 20_000},
    {"provider_id": "IN", "type": "inmss", "in_area": "no", "annual_cost_per_place": 50_000},
]
TRAVEL = {("Z1", "SP"): {"annual_transport_cost": 1_000},
          ("Z1", "IN"): {"annual_transport_cost": 4_000}}


def _savings_case(tmp_path: Path, name: str, params: dict[str, Any],
                  **option: Any) -> Results:
    opt = {"option_id": "OPT", "provider_id": "SP", "places": 1, "capital_cost": 50_000,
           **option}
    return solve(tmp_path / name, params={"horizon_years": 3, **params},
                 providers=PROVIDERS, demand=[demand(1)], expansions=[opt], travel=TRAVEL)


def test_savings_npv_payback_undiscounted(tmp_path: Path) -> None:
    # OPT: 4 places at SP for 50,000, opening 2026 (2026: 50,000 + 3 x 21,000 = 113,000;
    # 2027: 50,000 + 54,000 + 2 x 21,000 = 146,000; never: 3 x 54,000 = 162,000).
    # revenue savings 33,000 a year; extra capital [50,000, 0, 0];
    # net = [-17,000, 33,000, 33,000]; cumulative = [-17,000, 16,000, 49,000]
    # npv = 49,000; payback 2027; savings per new place = 33,000 / 4 places = 8,250.
    r = _savings_case(tmp_path, "t.xlsx", {}, places=4)
    s = r.summary
    assert s["objective"] == pytest.approx(113_000, rel=REL)
    assert s["baseline_objective"] == pytest.approx(162_000, rel=REL)
    assert built(r) == {"OPT": 2026}
    saved = s["savings"]
    assert saved["revenue_savings"] == [33_000] * 3
    assert saved["out_of_area_savings"] == [54_000] * 3
    assert saved["capital_cost_total"] == 50_000
    assert saved["npv"] == pytest.approx(49_000, rel=REL)
    assert saved["npv_capital_when_spent"] == pytest.approx(49_000, rel=REL)
    assert saved["cumulative_net_saving"] == [-17_000, 16_000, 49_000]
    assert saved["payback_year"] == saved["discounted_payback_year"] == 2027
    assert saved["savings_per_new_place"] == pytest.approx(8_250, rel=REL)
    assert s["plan"]["new_places"] == [4, 4, 4]
    assert s["baseline"]["new_places"] == [0, 0, 0]
    assert s["plan"]["total_cost"] == [50_000 + 21_000, 21_000, 21_000]
    assert s["baseline"]["total_cost"] == [54_000] * 3
    assert s["baseline"]["out_of_area_cost"] == [54_000] * 3
    assert s["plan"]["out_of_area_cost"] == [0] * 3
    assert s["baseline"]["inmss_pupils"] == [1] * 3
    assert s["plan"]["inmss_pupils"] == [0] * 3


def test_savings_npv_payback_discounted(tmp_path: Path) -> None:
    # r = 25%: delta = 1, 0.8, 0.64. OPT (1 place, 50,000) opens 2026:
    #   2026: 50,000 + 21,000 x 2.44 = 101,240; 2027: 54,000 + 0.8 x 50,000 +
    #   21,000 x 1.44 = 124,240; never: 54,000 x 2.44 = 131,760.
    # npv = (33,000 - 50,000) + 0.8 x 33,000 + 0.64 x 33,000 = -17,000 + 26,400 +
    #   21,120 = 30,520; cumulative = [-17,000, 9,400, 30,520]: payback 2027.
    # Revenue savings are in each year's own money (undiscounted): 33,000 a year.
    r = _savings_case(tmp_path, "t.xlsx", {"discount_rate": 0.25})
    s = r.summary
    assert s["objective"] == pytest.approx(101_240, rel=REL)
    assert s["baseline_objective"] == pytest.approx(131_760, rel=REL)
    assert s["objective"] - s["baseline_objective"] == pytest.approx(-s["savings"]["npv"])
    assert built(r) == {"OPT": 2026}
    assert s["savings"]["revenue_savings"] == [33_000] * 3
    assert s["savings"]["npv"] == pytest.approx(30_520, rel=REL)
    assert s["savings"]["cumulative_discounted_net_saving"] == pytest.approx(
        [-17_000, 9_400, 30_520], rel=REL)
    assert s["savings"]["cumulative_net_saving"] == [-17_000, 16_000, 49_000]
    assert s["savings"]["payback_year"] == s["savings"]["discounted_payback_year"] == 2027
    assert s["savings"]["savings_per_new_place"] == pytest.approx(33_000, rel=REL)


def test_payback_when_spending_starts_later(tmp_path: Path) -> None:
    """SPEC §4: the first year from which the cumulative net saving *stays* >= 0: a plan
    that spends nothing in 2026 (cumulative 0) has not paid back in 2026."""
    # OPT can only open in 2027 (and does: 50,000 + 54,000 + 2 x 21,000 = 146,000 <
    # 162,000). net = [0, 33,000 - 50,000, 33,000] = [0, -17,000, 33,000];
    # cumulative = [0, -17,000, 16,000] -> payback 2028. npv 16,000.
    r = _savings_case(tmp_path, "t.xlsx", {}, earliest_year=2027)
    s = r.summary
    assert built(r) == {"OPT": 2027}
    assert s["objective"] == pytest.approx(146_000, rel=REL)
    assert s["savings"]["revenue_savings"] == [0, 33_000, 33_000]
    assert s["savings"]["cumulative_discounted_net_saving"] == [0, -17_000, 16_000]
    assert s["savings"]["npv"] == pytest.approx(16_000, rel=REL)
    assert s["savings"]["payback_year"] == s["savings"]["discounted_payback_year"] == 2028


def test_npv_under_annuity_charges_capital_as_the_objective_does(tmp_path: Path) -> None:
    """SPEC §4: npv on the objective's capital charge; residual_value the rest of the
    discounted capital; the two add up to the cash view."""
    # Annuity, r = 0, life 10: opening OPT (capital 100,000) in 2026 costs the objective
    # only 2 x 10,000 = 20,000 within the 2-year horizon, so it is built (objective
    # 20,000 + 2 x 21,000 = 62,000 < 2 x 54,000 = 108,000).
    # npv = baseline objective - plan objective = 2 x 33,000 - 20,000 = 46,000.
    # residual_value = 100,000 - 20,000 = 80,000. In cash it does not pay back within the
    # horizon: cumulative [33,000 - 100,000, -67,000 + 33,000] = [-67,000, -34,000], so
    # no payback year (on the annuity charge, 33,000 - 10,000 a year, it would be 2026:
    # never shown). npv_capital_when_spent = -34,000 + 80,000 = 46,000 = npv.
    r = _savings_case(tmp_path, "t.xlsx",
                      {"horizon_years": 2, "capital_treatment": "annuity",
                       "asset_life_years": 10}, capital_cost=100_000)
    s = r.summary
    assert built(r) == {"OPT": 2026}
    assert s["objective"] == pytest.approx(62_000, rel=REL)
    saved = s["savings"]
    assert saved["npv"] == pytest.approx(46_000, rel=REL)
    assert saved["npv"] == pytest.approx(s["baseline_objective"] - s["objective"], rel=REL)
    assert saved["capital_charge"] == [10_000, 10_000]
    assert saved["cumulative_net_saving"] == [-67_000, -34_000]
    assert saved["cumulative_discounted_net_saving"] == [-67_000, -34_000]
    assert saved["payback_year"] is None and saved["discounted_payback_year"] is None
    assert saved["npv_capital_when_spent"] == pytest.approx(46_000, rel=REL)
    assert saved["residual_value"] == pytest.approx(80_000, rel=REL)
    assert saved["npv"] - saved["residual_value"] == pytest.approx(-34_000, rel=REL)
    assert saved["capital_cost_total"] == 100_000
    assert s["plan"]["capital_cost"] == [100_000, 0]


def test_the_plan_the_model_prefers_has_the_higher_npv(tmp_path: Path) -> None:
    """Issue 11: NPV on the objective's terms ranks programmes as the model does, where
    the cash view would not. Two alternatives (one group); each programme fixed in turn."""
    # Annuity, r = 0, life 10, 3 years; demand 1. A: 1 place at SP (21,000 a year) for
    # 100,000 of capital, charged 3 x 10,000 = 30,000 within the horizon; B: 1 place at
    # SP2 (31,000 a year) for 10,000, charged 3 x 1,000 = 3,000. Baseline IN: 3 x 54,000.
    #   A: objective 30,000 + 63,000 = 93,000, npv 99,000 - 30,000 = 69,000;
    #   B: objective  3,000 + 93,000 = 96,000, npv 69,000 -  3,000 = 66,000.
    # In cash, B would look better: A 99,000 - 100,000 = -1,000; B 69,000 - 10,000 = 59,000.
    params = {"horizon_years": 3, "capital_treatment": "annuity", "asset_life_years": 10}
    providers = [*PROVIDERS, {"provider_id": "SP2", "type": "special", "capacity": 0,
                              "annual_cost_per_place": 30_000}]
    travel = {**TRAVEL, ("Z1", "SP2"): {"annual_transport_cost": 1_000}}

    def programme(name: str, enabled: dict[str, str]) -> Results:
        options = [{"option_id": o, "provider_id": s, "places": 1, "capital_cost": c,
                    "group": "G", "enabled": enabled[o]}
                   for o, s, c in (("A", "SP", 100_000), ("B", "SP2", 10_000))]
        return solve(tmp_path / name, params=params, providers=providers,
                     demand=[demand(1)], expansions=options, travel=travel)

    chosen = programme("free.xlsx", {"A": "yes", "B": "yes"})
    only_a = programme("a.xlsx", {"A": "yes", "B": "no"})
    only_b = programme("b.xlsx", {"A": "no", "B": "yes"})
    assert built(chosen) == built(only_a) == {"A": 2026}
    assert built(only_b) == {"B": 2026}
    npv = {name: r.summary["savings"]["npv"] for name, r in
           (("A", only_a), ("B", only_b), ("chosen", chosen))}
    assert npv == pytest.approx({"A": 69_000, "B": 66_000, "chosen": 69_000}, rel=REL)
    # The objective's difference is the NPV's (no unmet pupils, overspend or travel weight).
    assert only_b.summary["objective"] - only_a.summary["objective"] == pytest.approx(
        npv["A"] - npv["B"], rel=REL)
    assert only_a.summary["savings"]["residual_value"] == pytest.approx(70_000, rel=REL)
    assert only_b.summary["savings"]["residual_value"] == pytest.approx(7_000, rel=REL)


ANNUITY = {"discount_rate": 0.25, "capital_treatment": "annuity"}


def test_annuity_over_a_whole_life_costs_what_upfront_costs(tmp_path: Path) -> None:
    """SPEC §2: the annuity is paid from the opening year (an annuity-due), so an asset
    whose whole life falls in the horizon costs exactly its capex in either treatment,
    and leaves no residual value (issue 19: it cost capex x (1 + r) before)."""
    # r = 25%, life 2, 3 years: A = 50,000 x 0.25 / (1.25 x (1 - 1.25^-2))
    # = 12,500 / (1.25 x 0.36) = 27,777.78, paid in 2026 and 2027:
    # K = 27,777.78 x (1 + 0.8) = 50,000 = capex. The objective is the upfront one of
    # test_savings_npv_payback_discounted: 50,000 + 21,000 x 2.44 = 101,240.
    upfront = _savings_case(tmp_path, "u.xlsx", {"discount_rate": 0.25})
    annuity = _savings_case(tmp_path, "a.xlsx", {**ANNUITY, "asset_life_years": 2})
    assert built(upfront) == built(annuity) == {"OPT": 2026}
    assert annuity.summary["objective"] == pytest.approx(101_240, rel=REL)
    assert upfront.summary["objective"] == pytest.approx(101_240, rel=REL)
    saved = annuity.summary["savings"]
    assert saved["capital_charge"] == pytest.approx([27_777.78, 27_777.78, 0], rel=REL)
    assert saved["residual_value"] == pytest.approx(0, abs=0.01)
    assert saved["npv"] == pytest.approx(30_520, rel=REL)
    assert saved["npv_capital_when_spent"] == pytest.approx(30_520, rel=REL)
    for s in (upfront.summary["savings"], saved):
        assert s["payback_year"] == s["discounted_payback_year"] == 2027


def test_annuity_with_a_life_cut_by_the_horizon(tmp_path: Path) -> None:
    """The payments after the horizon are the residual value, never negative; NPV and
    its Green Book view (capital when spent + residual value) tie."""
    # r = 25%, life 3, 2 years: A = 12,500 / (1.25 x (1 - 1.25^-3)) = 12,500 / (1.25 x
    # 0.488) = 20,491.80; charged in 2026 and 2027: K = 20,491.80 x 1.8 = 36,885.25;
    # residual = 50,000 - 36,885.25 = 13,114.75 (= the 2028 payment, 0.64 x 20,491.80).
    # Objective 36,885.25 + 21,000 x 1.8 = 74,685.25 against 54,000 x 1.8 = 97,200:
    # npv 22,514.75. Cash: [-17,000, 33,000], cumulative [-17,000, 16,000]: payback
    # 2027; discounted [-17,000, 26,400], cumulative [-17,000, 9,400]: 2027;
    # capital when spent 9,400 + 13,114.75 = 22,514.75 = npv.
    # Upfront: 50,000 + 37,800 = 87,800, npv 9,400, residual 0.
    life = 20_491.80327868852
    annuity = _savings_case(tmp_path, "a.xlsx", {**ANNUITY, "asset_life_years": 3,
                                                 "horizon_years": 2})
    upfront = _savings_case(tmp_path, "u.xlsx", {"discount_rate": 0.25, "horizon_years": 2})
    assert built(annuity) == built(upfront) == {"OPT": 2026}
    s = annuity.summary
    assert s["objective"] == pytest.approx(1.8 * life + 37_800, rel=REL)
    assert s["objective"] == pytest.approx(74_685.25, rel=REL)
    saved = s["savings"]
    assert saved["capital_charge"] == pytest.approx([life, life], rel=REL)
    assert saved["residual_value"] == pytest.approx(0.64 * life, rel=REL)
    assert saved["residual_value"] == pytest.approx(13_114.75, rel=REL)
    assert saved["npv"] == pytest.approx(22_514.75, rel=REL)
    assert saved["npv"] == pytest.approx(s["baseline_objective"] - s["objective"], rel=REL)
    assert saved["npv_capital_when_spent"] == pytest.approx(saved["npv"], abs=0.01)
    assert saved["cumulative_net_saving"] == [-17_000, 16_000]
    assert saved["cumulative_discounted_net_saving"] == pytest.approx([-17_000, 9_400])
    assert saved["payback_year"] == saved["discounted_payback_year"] == 2027
    assert upfront.summary["objective"] == pytest.approx(87_800, rel=REL)
    assert upfront.summary["savings"]["npv"] == pytest.approx(9_400, rel=REL)
    assert upfront.summary["savings"]["residual_value"] == 0


def test_payback_on_cash_and_discounted_never_on_the_annuity_charge(tmp_path: Path) -> None:
    """Issue 19: payback counts capital in cash when it is spent, whatever the capital
    treatment; discounted payback comes later when discounting matters."""
    # Capital 60,000 opening 2026, revenue saving 33,000 a year, r = 25%, 3 years.
    # Cash: [-27,000, 33,000, 33,000], cumulative [-27,000, 6,000, 39,000]: 2027.
    # Discounted: [-27,000, 26,400, 21,120], cumulative [-27,000, -600, 20,520]: 2028.
    # Upfront: objective 60,000 + 21,000 x 2.44 = 111,240 (opening 2027 would cost
    # 54,000 + 48,000 + 30,240 = 132,240); npv 20,520.
    # Annuity, life 10: A = 15,000 / (1.25 (1 - 1.25^-10)); K = 2.44 A within the horizon
    # (33,000 - A > 0 a year: on the charge it would 'pay back' in 2026); the cash
    # paybacks are the same as upfront's; residual = 60,000 - 2.44 A;
    # npv = 80,520 - 2.44 A = 20,520 + residual.
    a = 15_000 / (1.25 * (1 - 1.25 ** -10))
    for params in ({"discount_rate": 0.25},
                   {**ANNUITY, "asset_life_years": 10}):
        r = _savings_case(tmp_path, f"{params.get('capital_treatment', 'upfront')}.xlsx",
                          params, capital_cost=60_000)
        assert built(r) == {"OPT": 2026}
        saved = r.summary["savings"]
        assert saved["cumulative_net_saving"] == [-27_000, 6_000, 39_000]
        assert saved["cumulative_discounted_net_saving"] == pytest.approx(
            [-27_000, -600, 20_520], rel=REL)
        assert saved["payback_year"] == 2027
        assert saved["discounted_payback_year"] == 2028
        assert saved["npv_capital_when_spent"] == pytest.approx(saved["npv"], abs=0.01)
    assert saved["capital_charge"] == pytest.approx([a, a, a], rel=REL)
    assert saved["residual_value"] == pytest.approx(60_000 - 2.44 * a, rel=REL)
    assert saved["npv"] == pytest.approx(80_520 - 2.44 * a, rel=REL)
    assert r.summary["objective"] == pytest.approx(2.44 * a + 21_000 * 2.44, rel=REL)


def test_payback_year_reads_the_cumulative_saving_as_spec_says() -> None:
    """payback_year: the first year from which the cumulative saving stays >= 0; None if
    it ends below zero or nothing more is spent than in the baseline."""
    years = np.array([2026, 2027, 2028, 2029])
    spent = np.array([0.0, 10.0, 0.0, 0.0])
    assert payback_year(years, np.array([5.0, -5.0, 3.0, 8.0]), spent) == 2028
    assert payback_year(years, np.array([5.0, 4.0, 3.0, 8.0]), spent) == 2026
    assert payback_year(years, np.array([-5.0, 0.0, -1.0, 0.0]), spent) == 2029
    assert payback_year(years, np.array([-5.0, 0.0, 1.0, -0.01]), spent) is None
    assert payback_year(years, np.array([-5.0, -1e-9, 1.0, 2.0]), spent) == 2027
    assert payback_year(years, np.array([5.0, 4.0, 3.0, 8.0]), np.zeros(4)) is None


def test_nothing_built_has_no_payback_and_no_per_place_saving(tmp_path: Path) -> None:
    # Capital 1,000,000 never pays back 33,000 a year: plan = baseline.
    r = _savings_case(tmp_path, "t.xlsx", {}, capital_cost=1_000_000)
    s = r.summary
    assert built(r) == {}
    assert s["objective"] == pytest.approx(162_000, rel=REL)
    assert s["savings"]["revenue_savings"] == [0, 0, 0]
    assert s["savings"]["npv"] == 0
    assert s["savings"]["payback_year"] is None
    assert s["savings"]["discounted_payback_year"] is None
    assert s["savings"]["savings_per_new_place"] is None


def test_savings_per_new_place_counts_places_over_the_baseline(tmp_path: Path) -> None:
    """savings_per_new_place: the plan's last-year revenue saving over the baseline
    divided by the new places the plan opens beyond the baseline's (a required option's
    places are in both, so they buy none of the saving)."""
    # Demand 3. Required REQ (1 place at SP, capital 0) is in both; OPT (1 place, 1,000)
    # only in the plan. Baseline: 1 x 21,000 + 2 x 54,000 = 129,000; plan: 1,000 +
    # 2 x 21,000 + 54,000 = 97,000. Saving 33,000 per 1 extra place.
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(3)], travel=TRAVEL,
              expansions=[{"option_id": "REQ", "provider_id": "SP", "places": 1,
                           "capital_cost": 0, "required": "yes"},
                          {"option_id": "OPT", "provider_id": "SP", "places": 1,
                           "capital_cost": 1_000}])
    s = r.summary
    assert s["baseline_objective"] == pytest.approx(129_000, rel=REL)
    assert s["objective"] == pytest.approx(97_000, rel=REL)
    assert built(r) == {"REQ": 2026, "OPT": 2026}
    assert s["plan"]["new_places"] == [2] and s["baseline"]["new_places"] == [1]
    assert s["savings"]["revenue_savings"] == [33_000]
    assert s["savings"]["savings_per_new_place"] == pytest.approx(33_000, rel=REL)
    assert s["savings"]["npv"] == pytest.approx(32_000, rel=REL)


def test_additional_pupils_placed_when_the_baseline_leaves_pupils_unmet(
        tmp_path: Path) -> None:
    """SPEC §4: placing a pupil the baseline cannot place costs money, so the revenue
    saving is negative while the plan is better; additional_pupils_placed says how many."""
    # SP has no places; OPT gives it 1 for 50,000. Baseline: the pupil is unmet every
    # year. Plan: OPT opens 2026, the pupil costs 21,000 a year. revenue savings
    # [-21,000] x 3; npv = -63,000 - 50,000 = -113,000; 1 more pupil placed each year.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 3}, providers=PROVIDERS[:1],
              demand=[demand(1)], travel={("Z1", "SP"): TRAVEL[("Z1", "SP")]},
              expansions=[{"option_id": "OPT", "provider_id": "SP", "places": 1,
                           "capital_cost": 50_000}])
    s = r.summary
    assert built(r) == {"OPT": 2026}
    assert s["baseline"]["unmet_pupils"] == [1, 1, 1] and s["plan"]["unmet_pupils"] == [0] * 3
    assert s["savings"]["additional_pupils_placed"] == [1, 1, 1]
    assert s["savings"]["revenue_savings"] == [-21_000] * 3
    assert s["savings"]["npv"] == pytest.approx(-113_000, rel=REL)


def test_additional_pupils_placed_when_both_leave_some_unmet(tmp_path: Path) -> None:
    """baseline unmet - plan unmet, when the plan too leaves a pupil unmet (with the plan
    placing everyone, a sum would pass as well as the difference)."""
    # Demand 2, SP without places; OPT gives it 1 (£50,000). Baseline: 2 unmet a year;
    # plan: OPT opens 2026 and 1 pupil is placed (21,000 a year), 1 still unmet.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 2}, providers=PROVIDERS[:1],
              demand=[demand(2)], travel={("Z1", "SP"): TRAVEL[("Z1", "SP")]},
              expansions=[{"option_id": "OPT", "provider_id": "SP", "places": 1,
                           "capital_cost": 50_000}])
    s = r.summary
    assert built(r) == {"OPT": 2026}
    assert s["baseline"]["unmet_pupils"] == [2, 2] and s["plan"]["unmet_pupils"] == [1, 1]
    assert s["savings"]["additional_pupils_placed"] == [1, 1]


def test_a_plan_spending_pennies_more_still_has_its_payback_year(tmp_path: Path) -> None:
    """payback_year is null only when the plan is charged no more capital than the
    baseline: 50p more is more (a threshold of £1 would call it none). And capital is
    reported in pence (funding.csv too)."""
    # OPT: 1 place at SP for £0.503: revenue saving 33,000 a year from 2026.
    r = _savings_case(tmp_path, "t.xlsx", {}, capital_cost=0.503)
    assert built(r) == {"OPT": 2026}
    assert r.summary["savings"]["capital_cost_total"] == 0.5
    assert r.summary["savings"]["payback_year"] == 2026
    assert list(r.funding["amount"]) == [0.5]
    # No Budget rows: the general pot has no limit; what it paid is still said.
    assert r.summary["funding"] == {"capital": {"limited": False, "spent": [0.5, 0, 0]}}


def test_outputs_keep_three_decimals_of_pupils_and_pence(tmp_path: Path) -> None:
    """SPEC: pupils keep three decimals in every output; money is in pence, minutes to a
    tenth, km to the metre's hundredth."""
    # 1.23456 pupils at SP (£20,000, transport £1,000.005), 12.345 minutes, 3.14159 km.
    r = solve(tmp_path / "t.xlsx", providers=[{"provider_id": "SP", "type": "special",
                                               "annual_cost_per_place": 20_000}],
              demand=[demand(1.23456)],
              travel={("Z1", "SP"): {"minutes": 12.345, "distance_km": 3.14159,
                                     "annual_transport_cost": 1_000.005}})
    row = r.placements.iloc[0]
    assert (row["pupils"], row["minutes"], row["distance_km"]) == (1.235, 12.3, 3.14)
    assert (row["placement_cost"], row["transport_cost"]) == (24_691.2, 1_234.57)
    assert r.capacity.loc[0, "pupils"] == 1.235
    assert list(r.costs["pupils"]) == [1.235, 1.235]  # plan and baseline
    assert r.summary["plan"]["pupils_placed"] == [1.235]
    assert r.summary["plan"]["placement_cost"] == [24_691.2]
    assert r.summary["plan"]["transport_cost"] == [1_234.57]  # 1,234.5661728
    assert r.summary["objective"] == 25_925.77  # 25,925.7661728, in pence


def test_costs_table_by_case(tmp_path: Path) -> None:
    # The undiscounted example above: costs.csv has one plan row (special, in area) and
    # one baseline row (inmss, out of area) per year.
    r = _savings_case(tmp_path, "t.xlsx", {})
    costs = r.costs.set_index(["year", "case"])
    for year in (2026, 2027, 2028):
        p, b = costs.loc[(year, "plan")], costs.loc[(year, "baseline")]
        assert (p["provider_type"], p["in_area"], p["pupils"]) == ("special", "yes", 1)
        assert (p["placement_cost"], p["transport_cost"]) == (20_000, 1_000)
        assert (b["provider_type"], b["in_area"], b["pupils"]) == ("inmss", "no", 1)
        assert (b["placement_cost"], b["transport_cost"]) == (50_000, 4_000)


def test_every_spec_field_has_its_hand_computed_value(tmp_path: Path) -> None:
    """Every field of SPEC §4's summary.json, each against the value worked out by hand
    (not only that it is there: a wrong bound, gap or check would pass that).

    The undiscounted case above (OPT: 4 places at SP for £50,000, opening 2026), with
    £60,000 of capital in 2026 (and 0.4p, to see that money is in pence), of which OPT
    spends £50,000 and £10,000 carries forward.
    """
    import datetime as dt
    import hashlib

    import highspy

    from placeopt.case import check_workbook
    from placeopt.version import __version__

    path = tmp_path / "t.xlsx"
    r = solve(path, params={"horizon_years": 3}, providers=PROVIDERS, demand=[demand(1)],
              travel=TRAVEL, expansions=[{"option_id": "OPT", "provider_id": "SP",
                                          "places": 4, "capital_cost": 50_000}],
              budget=[{"year": 2026, "stream": "capital", "amount": 60_000.004}])
    s = json.loads(json.dumps(r.summary))  # as summary.json holds it
    assert (s["placeopt_version"], s["workbook"], s["scenario"], s["status"]) == (
        __version__, "t.xlsx", "base", "optimal")
    assert s["years"] == [2026, 2027, 2028]
    # Solved to a gap of 0: the bound is the objective, nothing left to find.
    assert s["objective"] == pytest.approx(113_000, rel=REL)
    assert s["objective_bound"] == pytest.approx(113_000, rel=REL)
    assert s["gap_pounds"] == pytest.approx(0, abs=0.01)
    assert s["mip_gap"] == pytest.approx(0, abs=1e-9)
    assert s["explanation"] is None  # optimal: nothing to explain
    plan = {"total_cost": [71_000, 21_000, 21_000], "placement_cost": [20_000] * 3,
            "transport_cost": [1_000] * 3, "capital_cost": [50_000, 0, 0],
            "out_of_area_cost": [0] * 3, "inmss_cost": [0] * 3, "pupils_placed": [1] * 3,
            "out_of_area_pupils": [0] * 3, "inmss_pupils": [0] * 3, "unmet_pupils": [0] * 3,
            "new_places": [4] * 3, "overspend": [0] * 3, "capital_charge": [50_000, 0, 0],
            "inclusion_cost": [0] * 3}
    baseline = {"total_cost": [54_000] * 3, "placement_cost": [50_000] * 3,
                "transport_cost": [4_000] * 3, "capital_cost": [0] * 3,
                "out_of_area_cost": [54_000] * 3, "inmss_cost": [54_000] * 3,
                "pupils_placed": [1] * 3, "out_of_area_pupils": [1] * 3,
                "inmss_pupils": [1] * 3, "unmet_pupils": [0] * 3, "new_places": [0] * 3,
                "overspend": [0] * 3, "capital_charge": [0] * 3, "inclusion_cost": [0] * 3}
    assert s["plan"] == plan and s["baseline"] == baseline
    saved = s["savings"]
    assert saved == {
        "revenue_savings": [33_000] * 3, "out_of_area_savings": [54_000] * 3,
        "additional_pupils_placed": [0] * 3, "capital_cost_total": 50_000,
        "capital_charge": [50_000, 0, 0],
        "residual_value": 0,  # upfront: the charge is all of the capital
        "npv": pytest.approx(49_000, rel=REL), "payback_year": 2027,
        "savings_per_new_place": pytest.approx(8_250, rel=REL),
        # Undiscounted, with the capital paid upfront: counted when spent, it is the same
        # 50,000 in 2026, so the cash and discounted views agree with the model's.
        "npv_capital_when_spent": pytest.approx(49_000, rel=REL),
        "discounted_payback_year": 2027,
        "cumulative_net_saving": [-17_000, 16_000, 49_000],
        "cumulative_discounted_net_saving": [-17_000, 16_000, 49_000]}
    assert s["funding"] == {"capital": {"limited": True, "available": [60_000, 0, 0],
                                        "spent": [50_000, 0, 0],
                                        "unspent": [10_000, 10_000, 10_000]}}
    # What OPT is worth: dropped, the plan is the baseline (objective 162,000), so all of
    # the NPV, 162,000 - 113,000, is lost.
    assert s["project_values"]["status"] == "computed"
    dropped = s["project_values"]["solves"]["OPT"]
    assert (dropped["case"], dropped["status"]) == ("dropped", "optimal")
    assert dropped["check"]["objective_recomputed"] == pytest.approx(162_000, rel=REL)
    assert list(r.expansions["npv_if_dropped"]) == [pytest.approx(49_000, rel=REL)]
    solved = s["solve"]
    # x: 2 arcs x 3 years; u: 3; b: OPT open by each year (3 binaries); w: capital drawn
    # for each opening year (3). Rows: demand 3, SP's capacity 3, open once 1, each
    # opening paid in full 3, capital by year 3, once open stays open 2.
    assert (solved["variables"], solved["binaries"], solved["constraints"]) == (15, 3, 15)
    assert (solved["solver"], solved["solver_version"]) == (
        "HiGHS", f"{highspy.Highs().versionMajor()}.{highspy.Highs().versionMinor()}."
                 f"{highspy.Highs().versionPatch()}")
    assert solved["build_seconds"] >= 0 and solved["solve_seconds"] >= 0
    assert set(solved["timings"]) == {"baseline", "plan", "duals", "project_values"}
    check = solved["check"]
    assert check["passed"] is True and check["resolves"] == []
    assert check["objective_recomputed"] == pytest.approx(113_000, rel=REL)
    assert check["largest_violation"] == pytest.approx(0, abs=1e-9)
    assert set(check["solves"]) == {"baseline", "plan", "marginal_values"}
    for name, objective in (("baseline", 162_000), ("plan", 113_000),
                            ("marginal_values", 113_000)):
        one = check["solves"][name]
        assert one["passed"] is True, name
        assert one["objective_reported"] == pytest.approx(objective, rel=REL), name
        assert one["objective_recomputed"] == pytest.approx(objective, rel=REL), name
    provenance = s["provenance"]
    assert provenance["workbook_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    started, finished = (dt.datetime.fromisoformat(provenance[k])
                         for k in ("started_at", "finished_at"))
    assert started <= finished <= dt.datetime.now(dt.UTC)
    options = provenance["options"]
    assert (options["horizon_years"], options["discount_rate"], options["mip_gap"],
            options["capital_treatment"]) == (3, 0, 0, "upfront")
    assert provenance["warnings"] == [str(w) for w in check_workbook(path)[0]]
    # Asked: the default, both routes raced; taken: the years route, leading, proves
    # this tiny plan within its head start; the baseline, with no build to choose, and
    # the marginal-value LP at the plan's builds are each one LP a year.
    assert provenance["route"] == "auto"
    assert provenance["routes"] == {"baseline": "year by year", "plan": "years",
                                    "marginal_values": "year by year"}
    assert {n: one["route"] for n, one in check["solves"].items()} == provenance["routes"]
    # capacity.csv: SP's places are OPT's 4 from 2026, one of them used; IN is unlimited.
    capacity = r.capacity.set_index(["provider_id", "year"])
    for year in (2026, 2027, 2028):
        assert tuple(capacity.loc[("SP", year), ["capacity", "pupils", "utilisation"]]) \
            == (4, 1, 0.25)
        assert np.isnan(capacity.loc[("IN", year), "capacity"])


# --- the worked example ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Results, Path]:
    folder = tmp_path_factory.mktemp("example")
    path = write_template(folder / "example.xlsx", example=True)
    results = plan(path)
    out = write_results(results, folder / "results")
    return path, results, out


def test_example_placements_plus_unmet_equal_demand(example) -> None:
    path, r, _ = example
    demand = read_workbook(path).tables["Demand"].groupby(["year", *GROUP])["pupils"].sum()
    both = pd.concat([r.placements[["year", *GROUP, "pupils"]],
                      r.unmet[["year", *GROUP, "pupils"]]], ignore_index=True)
    met = both.astype({"pupils": float}).groupby(["year", *GROUP])["pupils"].sum()
    assert set(met.index) <= set(demand.index)
    met = met.reindex(demand.index, fill_value=0)
    # outputs keep three decimals: allow the rounding of each arc's pupils
    np.testing.assert_allclose(met.to_numpy(), demand.to_numpy(), atol=0.01)
    years = r.summary["years"]
    by_year = demand.groupby(level="year").sum().reindex(years).to_numpy()
    placed_y = np.array(r.summary["plan"]["pupils_placed"])
    unmet_y = np.array(r.summary["plan"]["unmet_pupils"])
    np.testing.assert_allclose(placed_y + unmet_y, by_year, atol=0.01)


def test_example_capacity_respected(example) -> None:
    _, r, _ = example
    cap = r.capacity
    finite = cap["capacity"].notna()
    assert finite.any()
    over = cap[finite & (cap["pupils"] > cap["capacity"] + 1e-6)]
    assert over.empty, over
    # pupils in capacity.csv are the placements, by provider and year
    by_provider = r.placements.groupby(["provider_id", "year"])["pupils"].sum()
    joined = cap.set_index(["provider_id", "year"])["pupils"]
    np.testing.assert_allclose(joined.reindex(by_provider.index).to_numpy(),
                               by_provider.to_numpy(), atol=0.01)
    # marginal values are savings: never negative
    assert (cap["marginal_value"].dropna() >= -1e-6).all()


def test_example_summary_equals_table_sums(example) -> None:
    _, r, _ = example
    s, years = r.summary, r.summary["years"]

    def by_year(table: pd.DataFrame, column: str) -> np.ndarray:
        return table.groupby("year")[column].sum().reindex(years, fill_value=0).to_numpy()

    for column in ("placement_cost", "transport_cost"):
        np.testing.assert_allclose(by_year(r.placements, column), s["plan"][column],
                                   rtol=1e-6, atol=1.0)
        for case in ("plan", "baseline"):
            rows = r.costs[r.costs["case"] == case]
            np.testing.assert_allclose(by_year(rows, column), s[case][column],
                                       rtol=1e-6, atol=1.0)
    for case in ("plan", "baseline"):
        rows = r.costs[r.costs["case"] == case]
        np.testing.assert_allclose(by_year(rows, "pupils"), s[case]["pupils_placed"],
                                   atol=0.01)
        inmss = rows[rows["provider_type"] == "inmss"]
        np.testing.assert_allclose(by_year(inmss, "pupils"), s[case]["inmss_pupils"],
                                   atol=0.01)
        out = rows[rows["in_area"] == "no"]
        np.testing.assert_allclose(by_year(out, "placement_cost") + by_year(out,
                                   "transport_cost"), s[case]["out_of_area_cost"],
                                   rtol=1e-6, atol=1.0)
        total = (np.array(s[case]["placement_cost"]) + s[case]["transport_cost"]
                 + s[case]["capital_cost"])
        np.testing.assert_allclose(total, s[case]["total_cost"], atol=0.02)
    unmet = by_year(r.unmet, "pupils") if not r.unmet.empty else np.zeros(len(years))
    np.testing.assert_allclose(unmet, s["plan"]["unmet_pupils"], atol=0.01)
    # capital in the summary = capital of the options the expansions table says are built
    opened = r.expansions[r.expansions["built"] == "yes"]
    capital = opened.groupby("open_year")["capital_cost"].sum().reindex(
        years, fill_value=0).to_numpy()
    np.testing.assert_allclose(capital, s["plan"]["capital_cost"], atol=0.02)
    # savings are baseline minus plan
    revenue = (np.array(s["baseline"]["placement_cost"]) + s["baseline"]["transport_cost"]
               - s["plan"]["placement_cost"] - s["plan"]["transport_cost"])
    np.testing.assert_allclose(revenue, s["savings"]["revenue_savings"], atol=0.05)


def test_example_result_folder(example) -> None:
    path, r, out = example
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "placements.csv", "expansions.csv", "capacity.csv", "unmet.csv",
            "costs.csv"} <= names
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(r.summary["objective"])
    assert summary["status"] in ("optimal", "time_limit")
    placements = pd.read_csv(out / "placements.csv")
    assert list(placements.columns) == [
        "year", "zone_id", "need", "phase", "provision", "provider_id", "provider_type",
        "in_area", "pupils", "minutes", "distance_km", "placement_cost", "transport_cost"]
    expansions = pd.read_csv(out / "expansions.csv")
    assert list(expansions.columns) == [
        "option_id", "name", "provider_id", "built", "open_year", "places", "capital_cost",
        "optimism_bias_included", "npv_if_dropped", "npv_if_forced", "value_gap",
        "entry_capital_cost"]
    # Issue 19: capital_cost is the workbook's capital cost with optimism bias, and the
    # file says so on every row; the rest stays plain data (one header row).
    workbook = read_workbook(path).tables["Expansions"].set_index("option_id")
    bias = r.summary["provenance"]["options"]["optimism_bias"]
    assert (expansions["optimism_bias_included"] == bias).all() and bias == 0.24
    for option, cost in zip(expansions["option_id"], expansions["capital_cost"], strict=True):
        assert cost == pytest.approx(workbook.at[option, "capital_cost"] * (1 + bias))
    assert list(pd.read_csv(out / "funding.csv").columns) == [
        "year", "stream", "option_id", "amount"]
    assert list(pd.read_csv(out / "capacity.csv").columns) == [
        "provider_id", "year", "capacity", "pupils", "utilisation", "marginal_value"]
    assert list(pd.read_csv(out / "unmet.csv").columns) == [
        "year", "zone_id", "need", "phase", "provision", "pupils", "reason"]
    assert list(pd.read_csv(out / "costs.csv").columns) == [
        "year", "case", "provider_type", "in_area", "pupils", "placement_cost",
        "transport_cost"]
    assert (placements["pupils"] > 0.0005).all()


def _with_parameter(path: Path, out: Path, name: str, value: Any) -> Path:
    """A copy of a workbook with one parameter changed."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book["Parameters"]
    row = next(r for r in sheet.iter_rows() if r[0].value == name)
    row[1].value = value
    book.save(out)
    return out


def assert_ties(summary: dict[str, Any]) -> None:
    """SPEC §4, from the summary's own arrays: npv on the objective's charge; the Green
    Book view (capital when spent, discounted, plus the residual value) equal to it; the
    paybacks read off the cash flows; and npv = baseline - plan objective, up to the
    travel-minute term (none in the example) and rounding."""
    saved = summary["savings"]
    rate = summary["provenance"]["options"]["discount_rate"]
    delta = np.array([(1 + rate) ** -k for k in range(len(summary["years"]))])
    revenue = np.array(saved["revenue_savings"])
    cash = revenue - (np.array(summary["plan"]["capital_cost"])
                      - np.array(summary["baseline"]["capital_cost"]))
    charge = np.array(saved["capital_charge"])
    assert saved["npv"] == pytest.approx(delta @ (revenue - charge), abs=0.05)
    assert saved["npv_capital_when_spent"] == pytest.approx(
        delta @ cash + saved["residual_value"], abs=0.05)
    assert saved["npv_capital_when_spent"] == pytest.approx(saved["npv"], abs=0.02)
    assert saved["residual_value"] >= 0
    assert saved["cumulative_net_saving"] == pytest.approx(np.cumsum(cash), abs=0.05)
    for key, flows in (("payback_year", cash), ("discounted_payback_year", delta * cash)):
        running = np.cumsum(flows)
        since = [y for k, y in enumerate(summary["years"]) if (running[k:] >= -0.005).all()]
        assert saved[key] == (since[0] if since else None), key


def test_npv_ties_on_the_worked_example_under_both_treatments(example, tmp_path: Path) -> None:
    """Issue 19: on real solves, annuity (the example's) and upfront."""
    path, annuity, _ = example
    upfront = plan(_with_parameter(path, tmp_path / "upfront.xlsx", "capital_treatment",
                                   "upfront"), project_values=False)
    assert annuity.summary["provenance"]["options"]["capital_treatment"] == "annuity"
    for results in (annuity, upfront):
        assert_ties(results.summary)
    assert annuity.summary["savings"]["residual_value"] > 1e6
    assert upfront.summary["savings"]["residual_value"] == 0
    # Cash paybacks do not depend on how the objective charges capital, for the same plan.
    if built(annuity) == built(upfront):
        for key in ("payback_year", "discounted_payback_year", "cumulative_net_saving"):
            assert annuity.summary["savings"][key] == upfront.summary["savings"][key]


# --- the command line ---------------------------------------------------------------------


def test_cli_run_exits_0(example, tmp_path: Path) -> None:
    path, _, _ = example
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (out / "summary.json").exists() and (out / "placements.csv").exists()


def test_cli_closing_lines_name_their_basis(example) -> None:
    """Issue 19: the NPV on both bases and the payback, each saying what it counts."""
    from placeopt.cli import summary_table

    _, r, _ = example
    saved = r.summary["savings"]
    lines = summary_table(r.summary).splitlines()[-3:]
    assert lines == [
        f"NPV of the plan over the baseline: £{saved['npv'] / 1e6:,.2f}m (capital charged "
        "as an annuity)",
        f"NPV with capital counted when spent, plus residual value "
        f"£{saved['residual_value'] / 1e6:,.2f}m: £{saved['npv_capital_when_spent'] / 1e6:,.2f}m"
        " (Green Book view)",
        "Pays back in 2032, capital counted when spent (the same year discounted)"]


def _required_beyond_capital(path: Path) -> Path:
    # A required option whose capital (100) exceeds the capital budget (50): infeasible.
    return tiny_workbook(path,
                         providers=[{"provider_id": "SP", "type": "special", "capacity": 1,
                                     "annual_cost_per_place": 20_000}],
                         demand=[demand(1)],
                         expansions=[{"option_id": "OPT", "provider_id": "SP", "places": 1,
                                      "capital_cost": 100, "required": "yes"}],
                         budget=[{"year": 2026, "stream": "capital", "amount": 50}])


def _hard_budget_below_current(path: Path) -> Path:
    # One pupil who must stay at £20,000 a year, and a hard revenue budget of £10,000.
    return tiny_workbook(path, params={"budget_limit": "hard"},
                         providers=[{"provider_id": "SP", "type": "special", "capacity": 1,
                                     "annual_cost_per_place": 20_000}],
                         demand=[demand(1)],
                         current=[{"zone_id": "Z1", "need": "ASD", "phase": "secondary",
                                   "provision": "special", "provider_id": "SP",
                                   "pupils": 1}],
                         budget=[{"year": 2026, "stream": "high_needs_block",
                                  "amount": 10_000}])


PROVEN = {
    "capital": (_required_beyond_capital,
                "required options OPT must open by 2026 and cost £100 with optimism bias, "
                "more than the capital they may draw on up to 2026 (£50): no plan can build "
                "them; add capital or widen their opening years"),
    "hard_budget": (_hard_budget_below_current,
                    "the hard revenue budget for 2026 (£10,000) is below the cost of current "
                    "placements that must stay (£20,000): no plan can keep to it; raise the "
                    "budget, set budget_limit to soft, or allow_moves"),
}


@pytest.mark.parametrize("kind", sorted(PROVEN))
def test_cli_run_infeasible_found_before_the_solve_exits_3_with_its_folder(
        tmp_path: Path, monkeypatch, kind: str) -> None:
    """A check that proves before any solve that no plan exists is an infeasible model
    (SPEC §3): exit 3 and the summary-only folder, its explanation the check's sentence,
    in the same shape as the folder of an infeasibility the solver proves. (It was an
    input error: exit 1, no folder.)"""
    write, sentence = PROVEN[kind]
    path = write(tmp_path / "t.xlsx")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert f"ERROR Budget: {sentence}" in result.output
    assert "no plan can exist" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["status"], summary["explanation"]) == ("infeasible", sentence)
    assert summary["scenario"] == "base" and summary["years"] == [2026]

    monkeypatch.setattr("placeopt.model.checks.CHECKS", ())  # the solver proves it instead
    by_solver = tmp_path / "by_solver"
    assert CliRunner().invoke(main, ["run", str(path), "-o", str(by_solver)]).exit_code == 3
    solved = json.loads((by_solver / "summary.json").read_text())
    assert solved["status"] == "infeasible"
    assert set(solved) == set(summary)
    assert set(solved["provenance"]) == set(summary["provenance"])


def test_validate_says_a_scenario_has_no_plan(tmp_path: Path) -> None:
    """`validate` runs the same checks: a proof that no plan exists is exit 3, with the
    sentence at its place."""
    path = _hard_budget_below_current(tmp_path / "t.xlsx")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 3, result.output
    assert f"ERROR Budget: {PROVEN['hard_budget'][1]}" in result.output
    assert "Traceback" not in result.output


def test_cli_run_infeasible_exits_3_and_explains_why(tmp_path: Path, monkeypatch) -> None:
    """Should a pre-solve check ever miss an infeasible model, the solver's verdict is
    explained from HiGHS's IIS and written to summary.json all the same."""
    monkeypatch.setattr("placeopt.model.checks.CHECKS", ())
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(_required_beyond_capital(
        tmp_path / "t.xlsx")), "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "infeasible" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert "the capital budget (2026)" in summary["explanation"]
    assert "OPT" in summary["explanation"]
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
