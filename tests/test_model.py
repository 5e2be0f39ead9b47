"""The model of SPEC §2, feature by feature, on tiny instances solved by hand.

Every test builds a real workbook (tests/tiny.py) whose optimum is worked out in the
comments, then checks the exact objective and the exact decisions. Unless a test says
otherwise: one zone Z1, first year 2026, discount 0, capital upfront, mip_gap 0, unmet
penalty £1m, every journey 10 minutes and transport £0 (TravelMatrix).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tiny import built, capacity_of, placed, pupils_at, solve, tiny_workbook, unmet

from placeopt.problems import InputError, SolveError
from placeopt.run import plan

REL = 1e-6
NO_ARC = "no suitable provider in reach"


def demand(pupils: Any, zone: str = "Z1", need: str = "ASD", phase: str = "secondary",
           provision: str | None = "special") -> dict[str, Any]:
    return {"zone_id": zone, "need": need, "phase": phase, "provision": provision,
            "pupils": pupils}


def provider(pid: str, kind: str, cost: float, capacity: float | None = None,
             **more: Any) -> dict[str, Any]:
    return {"provider_id": pid, "type": kind, "annual_cost_per_place": cost,
            "capacity": capacity, **more}


def special(pid: str = "SP", cost: float = 20_000, capacity: float | None = None,
            **more: Any) -> dict[str, Any]:
    return provider(pid, "special", cost, capacity, **more)


def inmss(pid: str = "IN", cost: float = 50_000, **more: Any) -> dict[str, Any]:
    return provider(pid, "inmss", cost, None, in_area="no", **more)


def option(oid: str, places: float, capital: float, provider_id: str | None = "SP",
           **more: Any) -> dict[str, Any]:
    return {"option_id": oid, "provider_id": provider_id, "places": places,
            "capital_cost": capital, **more}


def objective(results) -> float:
    return results.summary["objective"]


# --- capacity ---------------------------------------------------------------------------


def test_capacity_binds_and_spills_to_inmss(tmp_path: Path) -> None:
    # SP: capacity 2, £20,000 + £1,000 transport; IN (INMSS, out of area): unlimited,
    # £50,000 + £3,000 transport. Demand 3.
    # Optimum: 2 at SP, 1 at IN = 2 x 21,000 + 1 x 53,000 = 95,000.
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=2), inmss()],
              demand=[demand(3)],
              travel={("Z1", "SP"): {"annual_transport_cost": 1_000},
                      ("Z1", "IN"): {"annual_transport_cost": 3_000}})
    assert objective(r) == pytest.approx(95_000, rel=REL)
    assert placed(r) == {(2026, "SP"): 2.0, (2026, "IN"): 1.0}
    assert r.unmet.empty
    plan_ = r.summary["plan"]
    assert plan_["placement_cost"] == [2 * 20_000 + 50_000]
    assert plan_["transport_cost"] == [2 * 1_000 + 3_000]
    assert plan_["inmss_pupils"] == [1.0] and plan_["inmss_cost"] == [53_000]
    assert plan_["out_of_area_pupils"] == [1.0] and plan_["out_of_area_cost"] == [53_000]
    sp = capacity_of(r, "SP").loc[2026]
    assert (sp["capacity"], sp["pupils"], sp["utilisation"]) == (2.0, 2.0, 1.0)


def test_capacity_limits_row_binds(tmp_path: Path) -> None:
    # SP is unlimited in total but CapacityLimits says: ASD (any phase) <= 2 places, and
    # secondary (any need) <= 4 places. Demand: ASD secondary 3, SEMH secondary 3.
    # SP gets 4 pupils with at most 2 ASD; 2 more go to IN.
    # Objective = 4 x 20,000 + 2 x 50,000 = 180,000.
    r = solve(tmp_path / "t.xlsx", providers=[special(), inmss()],
              demand=[demand(3, need="ASD"), demand(3, need="SEMH")],
              limits=[{"provider_id": "SP", "need": "ASD", "phase": None, "places": 2},
                      {"provider_id": "SP", "need": None, "phase": "secondary", "places": 4}])
    assert objective(r) == pytest.approx(180_000, rel=REL)
    assert pupils_at(r, "SP") == pytest.approx(4)
    assert pupils_at(r, "SP", need="ASD") <= 2 + 1e-6
    assert pupils_at(r, "IN") == pytest.approx(2)
    assert r.unmet.empty


def test_capacity_limits_single_row(tmp_path: Path) -> None:
    # Only ASD secondary is limited to 2 at SP: ASD 2 at SP + 1 at IN; SEMH 3 at SP.
    # Objective = 2 x 20,000 + 50,000 + 3 x 20,000 = 150,000.
    r = solve(tmp_path / "t.xlsx", providers=[special(), inmss()],
              demand=[demand(3, need="ASD"), demand(3, need="SEMH")],
              limits=[{"provider_id": "SP", "need": "ASD", "phase": "secondary",
                       "places": 2}])
    assert objective(r) == pytest.approx(150_000, rel=REL)
    assert pupils_at(r, "SP", need="ASD") == pytest.approx(2)
    assert pupils_at(r, "IN", need="ASD") == pytest.approx(1)
    assert pupils_at(r, "SP", need="SEMH") == pytest.approx(3)


def test_capacity_limits_by_phase_alone_and_by_need_alone(tmp_path: Path) -> None:
    # SP takes every phase: primary (any need) <= 1 place, SEMH (any phase) <= 0. Demand
    # ASD primary 3, ASD secondary 3, SEMH secondary 2. SP: 1 ASD primary + 3 ASD
    # secondary; IN: 2 ASD primary + 2 SEMH. Objective = 4 x 20,000 + 4 x 50,000.
    r = solve(tmp_path / "t.xlsx", providers=[special(), inmss()],
              demand=[demand(3, phase="primary"), demand(3), demand(2, need="SEMH")],
              limits=[{"provider_id": "SP", "need": None, "phase": "primary", "places": 1},
                      {"provider_id": "SP", "need": "SEMH", "phase": None, "places": 0}])
    assert objective(r) == pytest.approx(280_000, rel=REL)
    assert pupils_at(r, "SP", phase="primary") == pytest.approx(1)
    assert pupils_at(r, "SP", phase="secondary") == pytest.approx(3)
    assert pupils_at(r, "IN", need="SEMH") == pytest.approx(2)


# --- arcs: journeys, suitability, needs and phases ------------------------------------------


def _journey_case(tmp_path: Path, name: str, params: dict | None = None,
                  near: dict | None = None):
    # Primary phase (limit 45 minutes by default). CHEAP £20,000 is 50 minutes away;
    # DEAR £30,000 is 40 minutes away. Demand 1, provision any.
    return solve(tmp_path / name, params=params,
                 providers=[provider("CHEAP", "mainstream", 20_000, **(near or {})),
                            provider("DEAR", "mainstream", 30_000)],
                 demand=[demand(1, phase="primary", provision=None)],
                 travel={("Z1", "CHEAP"): {"minutes": 50}, ("Z1", "DEAR"): {"minutes": 40}})


def test_journey_limit_removes_arc(tmp_path: Path) -> None:
    # CHEAP is beyond 45 minutes: no arc; the pupil goes to DEAR. Objective = 30,000.
    r = _journey_case(tmp_path, "a.xlsx")
    assert objective(r) == pytest.approx(30_000, rel=REL)
    assert placed(r) == {(2026, "DEAR"): 1.0}
    # The phase limit raised to 55 minutes: CHEAP is in reach. Objective = 20,000.
    r = _journey_case(tmp_path, "b.xlsx", params={"max_travel_minutes_primary": 55})
    assert objective(r) == pytest.approx(20_000, rel=REL)
    assert placed(r) == {(2026, "CHEAP"): 1.0}
    # The provider's own max_travel_minutes (60) overrides the phase limit (45).
    r = _journey_case(tmp_path, "c.xlsx", near={"max_travel_minutes": 60})
    assert objective(r) == pytest.approx(20_000, rel=REL)
    assert placed(r) == {(2026, "CHEAP"): 1.0}
    # ... and a tighter own limit (30) removes an arc within the phase limit (DEAR, 40).
    r = solve(tmp_path / "d.xlsx", providers=[provider("DEAR", "mainstream", 30_000,
                                                       max_travel_minutes=30)],
              demand=[demand(1, phase="primary", provision=None)],
              travel={("Z1", "DEAR"): {"minutes": 40}})
    assert placed(r) == {}
    assert unmet(r) == [(2026, "Z1", 1.0, NO_ARC)]


def test_no_arc_is_unmet_with_reason(tmp_path: Path) -> None:
    # The only provider is 50 minutes away, beyond the 45-minute primary limit: no arc.
    # Objective = unmet penalty 1,000,000 x 1 pupil.
    r = solve(tmp_path / "t.xlsx", providers=[provider("FAR", "mainstream", 20_000)],
              demand=[demand(1, phase="primary", provision=None)],
              travel={("Z1", "FAR"): {"minutes": 50}})
    assert objective(r) == pytest.approx(1_000_000, rel=REL)
    assert r.placements.empty
    assert unmet(r) == [(2026, "Z1", 1.0, NO_ARC)]
    assert r.summary["plan"]["unmet_pupils"] == [1.0]


def test_residential_exemption_and_transport_formula(tmp_path: Path) -> None:
    # Z1 (special, secondary: limit 75 min): the only special/INMSS provider is RES,
    # residential, 200 minutes and 100 km away: exempt from the journey limit.
    #   tau = base 1,500 + 1.5/km x 100 km x 2 x 38 trips = 1,500 + 11,400 = 12,900.
    # Z2 (mainstream, secondary): DAY (mainstream, day), 10 km, 20 minutes:
    #   tau = 1,500 + 1.5 x 10 x 2 x 190 days = 1,500 + 5,700 = 7,200.
    # A day special school FARDAY 200 minutes away is beyond the limit (no arc, though
    # cheaper than RES). Objective = (60,000 + 12,900) + (10,000 + 7,200) = 90,100.
    r = solve(tmp_path / "t.xlsx", zones=[{"zone_id": "Z1"}, {"zone_id": "Z2"}],
              providers=[inmss("RES", 60_000, residential="yes"),
                         provider("DAY", "mainstream", 10_000),
                         special("FARDAY", 30_000)],
              demand=[demand(1, zone="Z1"), demand(1, zone="Z2", provision="mainstream")],
              travel={("Z1", "RES"): {"minutes": 200, "distance_km": 100,
                                      "annual_transport_cost": None},
                      ("Z1", "FARDAY"): {"minutes": 200},
                      ("Z2", "DAY"): {"minutes": 20, "distance_km": 10,
                                      "annual_transport_cost": None}})
    assert objective(r) == pytest.approx(90_100, rel=REL)
    assert placed(r) == {(2026, "RES"): 1.0, (2026, "DAY"): 1.0}
    rows = r.placements.set_index("provider_id")
    assert rows.loc["RES", "transport_cost"] == pytest.approx(12_900)
    assert rows.loc["RES", "distance_km"] == pytest.approx(100)
    assert rows.loc["DAY", "transport_cost"] == pytest.approx(7_200)
    assert r.summary["plan"]["transport_cost"] == [12_900 + 7_200]


def test_distance_drives_minutes_when_minutes_not_given(tmp_path: Path) -> None:
    # A TravelMatrix distance without minutes: m = d / speed x 60 = 30 km / 30 km/h x 60 =
    # 60 minutes > 45 (primary): no arc. At 20 km: 40 minutes, in reach, and
    # tau = 1,500 + 1.5 x 20 x 2 x 190 = 12,900. Objective = 20,000 + 12,900 = 32,900.
    far = solve(tmp_path / "a.xlsx", providers=[provider("P", "mainstream", 20_000)],
                demand=[demand(1, phase="primary", provision=None)],
                travel={("Z1", "P"): {"minutes": None, "distance_km": 30,
                                      "annual_transport_cost": None}})
    assert unmet(far) == [(2026, "Z1", 1.0, NO_ARC)]
    near = solve(tmp_path / "b.xlsx", providers=[provider("P", "mainstream", 20_000)],
                 demand=[demand(1, phase="primary", provision=None)],
                 travel={("Z1", "P"): {"minutes": None, "distance_km": 20,
                                       "annual_transport_cost": None}})
    assert objective(near) == pytest.approx(32_900, rel=REL)
    assert near.placements.loc[0, "minutes"] == pytest.approx(40)


def _suitability_case(tmp_path: Path, name: str, suitability=()):
    # Unlimited providers: MS mainstream £5,000, RS resourced £8,000, SP special £30,000,
    # IN INMSS £60,000. One pupil in each of Z1 special, Z2 mainstream, Z3 resourced.
    return solve(tmp_path / name,
                 zones=[{"zone_id": "Z1"}, {"zone_id": "Z2"}, {"zone_id": "Z3"}],
                 providers=[provider("MS", "mainstream", 5_000),
                            provider("RS", "resourced", 8_000),
                            special("SP", 30_000), inmss("IN", 60_000)],
                 demand=[demand(1, zone="Z1", provision="special"),
                         demand(1, zone="Z2", provision="mainstream"),
                         demand(1, zone="Z3", provision="resourced")],
                 suitability=suitability)


def test_suitability_defaults(tmp_path: Path) -> None:
    # special -> {special, inmss}: SP 30,000 (not the cheaper MS or RS);
    # mainstream -> {mainstream, resourced}: MS 5,000;
    # resourced -> {resourced, special, inmss}: RS 8,000 (not MS).
    # Objective = 30,000 + 5,000 + 8,000 = 43,000.
    r = _suitability_case(tmp_path, "a.xlsx")
    assert objective(r) == pytest.approx(43_000, rel=REL)
    where = {z: p for z, p in zip(r.placements["zone_id"], r.placements["provider_id"],
                                   strict=True)}
    assert where == {"Z1": "SP", "Z2": "MS", "Z3": "RS"}


def test_suitability_sheet_overrides_default(tmp_path: Path) -> None:
    # Suitability says special -> resourced; special: Z1 now goes to RS 8,000; the other
    # levels keep their defaults. Objective = 8,000 + 5,000 + 8,000 = 21,000.
    r = _suitability_case(tmp_path, "a.xlsx",
                          suitability=[{"provision": "special", "types": "resourced; special"}])
    assert objective(r) == pytest.approx(21_000, rel=REL)
    where = {z: p for z, p in zip(r.placements["zone_id"], r.placements["provider_id"],
                                   strict=True)}
    assert where == {"Z1": "RS", "Z2": "MS", "Z3": "RS"}


def test_provider_needs_and_phases_exclude_groups(tmp_path: Path) -> None:
    # CHEAP (£10,000) takes ASD primary only; DEAR (£40,000) takes all.
    # ASD primary -> CHEAP; SEMH primary -> DEAR (need); ASD secondary -> DEAR (phase).
    # Objective = 10,000 + 40,000 + 40,000 = 90,000.
    r = solve(tmp_path / "t.xlsx",
              providers=[special("CHEAP", 10_000, needs="ASD", phases="primary"),
                         special("DEAR", 40_000)],
              demand=[demand(1, need="ASD", phase="primary"),
                      demand(1, need="SEMH", phase="primary"),
                      demand(1, need="ASD", phase="secondary")])
    assert objective(r) == pytest.approx(90_000, rel=REL)
    where = {(n, p): s for n, p, s in zip(r.placements["need"], r.placements["phase"],
                                          r.placements["provider_id"], strict=True)}
    assert where == {("ASD", "primary"): "CHEAP", ("SEMH", "primary"): "DEAR",
                     ("ASD", "secondary"): "DEAR"}


# --- options ------------------------------------------------------------------------------


@pytest.mark.parametrize(("capital", "opens"), [(59_000, True), (61_000, False)])
def test_option_built_only_when_it_pays(tmp_path: Path, capital: float, opens: bool) -> None:
    # Two years, demand 2. SP has 1 place (£20,000), IN £50,000. OPT adds 1 place at SP.
    # Without it: 2 years x (20,000 + 50,000) = 140,000.
    # With it (opening 2026): capital + 2 x 2 x 20,000 = capital + 80,000.
    # Break-even: capital = 60,000 (= 2 years x the 30,000 a year it saves).
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 2},
              providers=[special(capacity=1), inmss()], demand=[demand(2)],
              expansions=[option("OPT", 1, capital)])
    assert r.summary["baseline_objective"] == pytest.approx(140_000, rel=REL)
    if opens:
        assert objective(r) == pytest.approx(capital + 80_000, rel=REL)
        assert built(r) == {"OPT": 2026}
        assert placed(r) == {(2026, "SP"): 2.0, (2027, "SP"): 2.0}
        assert r.summary["plan"]["capital_cost"] == [capital, 0.0]
    else:
        assert objective(r) == pytest.approx(140_000, rel=REL)
        assert built(r) == {}
        assert r.expansions.loc[0, "built"] == "no"
        assert r.summary["plan"]["capital_cost"] == [0.0, 0.0]


def test_earliest_year_and_ramp(tmp_path: Path) -> None:
    # Three years, demand 4 a year; SP has no places (£20,000), IN £50,000. OPT adds 4
    # places at SP for £1,000, earliest 2027, ramp 2 years: open in 2027 (the earliest:
    # it pays at once) with 4 x 1/2 = 2 places in 2027 and 4 in 2028.
    # 2026: 4 x 50,000 = 200,000; 2027: 2 x 20,000 + 2 x 50,000 = 140,000;
    # 2028: 4 x 20,000 = 80,000. Objective = 1,000 + 420,000 = 421,000.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 3},
              providers=[special(capacity=0), inmss()], demand=[demand(4)],
              expansions=[option("OPT", 4, 1_000, earliest_year=2027, ramp_years=2)])
    assert objective(r) == pytest.approx(421_000, rel=REL)
    assert built(r) == {"OPT": 2027}
    sp = capacity_of(r, "SP")
    assert list(sp["capacity"]) == [0.0, 2.0, 4.0]
    assert list(sp["pupils"]) == [0.0, 2.0, 4.0]
    assert r.summary["plan"]["new_places"] == [0.0, 2.0, 4.0]
    assert placed(r) == {(2026, "IN"): 4.0, (2027, "SP"): 2.0, (2027, "IN"): 2.0,
                         (2028, "SP"): 4.0}


def test_ramp_three_years_thirds(tmp_path: Path) -> None:
    # 3 places, ramp 3, opening 2026: 1, 2, 3 places over 2026-2028 (demand 3 a year).
    # Costs: 2026: 1 x 20,000 + 2 x 50,000 = 120,000; 2027: 2 x 20,000 + 50,000 = 90,000;
    # 2028: 3 x 20,000 = 60,000. Capital 1,000. Objective = 271,000.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 3},
              providers=[special(capacity=0), inmss()], demand=[demand(3)],
              expansions=[option("OPT", 3, 1_000, ramp_years=3)])
    assert objective(r) == pytest.approx(271_000, rel=REL)
    assert built(r) == {"OPT": 2026}
    assert list(capacity_of(r, "SP")["capacity"]) == [1.0, 2.0, 3.0]


def test_latest_year_binds(tmp_path: Path) -> None:
    # Discount 25%: delta = 1, 0.8, 0.64. Demand only in 2028 (1 pupil). OPT (1 place at
    # SP, capital 10,000) would best open in 2028 (capital 0.64 x 10,000 = 6,400) but
    # latest_year 2027 forces 2027: 0.8 x 10,000 = 8,000. Placement 0.64 x 20,000 =
    # 12,800 (IN would cost 0.64 x 50,000 = 32,000). Objective = 8,000 + 12,800 = 20,800.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 3, "discount_rate": 0.25},
              providers=[special(capacity=0), inmss()], demand=[demand([0, 0, 1])],
              expansions=[option("OPT", 1, 10_000, latest_year=2027)])
    assert objective(r) == pytest.approx(20_800, rel=REL)
    assert built(r) == {"OPT": 2027}
    assert placed(r) == {(2028, "SP"): 1.0}


@pytest.mark.parametrize("grouped", [True, False])
def test_exclusive_group(tmp_path: Path, grouped: bool) -> None:
    # Demand 5; SP has no places (£20,000), IN £50,000. SMALL: 2 places, £10,000;
    # LARGE: 3 places, £25,000.
    #   none: 5 x 50,000 = 250,000
    #   SMALL: 10,000 + 2 x 20,000 + 3 x 50,000 = 200,000
    #   LARGE: 25,000 + 3 x 20,000 + 2 x 50,000 = 185,000
    #   both:  35,000 + 5 x 20,000 = 135,000 (only without the group)
    group = "size" if grouped else None
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=0), inmss()],
              demand=[demand(5)],
              expansions=[option("SMALL", 2, 10_000, group=group),
                          option("LARGE", 3, 25_000, group=group)])
    if grouped:
        assert objective(r) == pytest.approx(185_000, rel=REL)
        assert built(r) == {"LARGE": 2026}
    else:
        assert objective(r) == pytest.approx(135_000, rel=REL)
        assert built(r) == {"SMALL": 2026, "LARGE": 2026}


def test_required_option_built_even_when_it_does_not_pay(tmp_path: Path) -> None:
    # SP already has room for the 1 pupil (£20,000). OPT (1 more place, £100,000) saves
    # nothing but is required: built in the plan AND the baseline.
    # Objective = 100,000 + 20,000 = 120,000 in both.
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=1)], demand=[demand(1)],
              expansions=[option("OPT", 1, 100_000, required="yes")])
    assert objective(r) == pytest.approx(120_000, rel=REL)
    assert r.summary["baseline_objective"] == pytest.approx(120_000, rel=REL)
    assert built(r) == {"OPT": 2026}
    assert r.summary["baseline"]["capital_cost"] == [100_000]
    assert r.summary["plan"]["capital_cost"] == [100_000]
    assert r.summary["savings"]["capital_cost_total"] == 0
    assert r.summary["savings"]["npv"] == 0
    assert r.summary["savings"]["payback_year"] is None
    assert list(capacity_of(r, "SP")["capacity"]) == [2.0]


def test_disabled_option_never_built(tmp_path: Path) -> None:
    # OPT would save 50,000 - 20,000 - 1 = 29,999 but enabled = no; a disabled new site
    # NEW (even cheaper) is not a provider at all. Objective = 50,000 (the pupil at IN).
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=0), inmss()],
              demand=[demand(1)],
              expansions=[option("OPT", 1, 1, enabled="no"),
                          option("NEW", 1, 1, provider_id=None, type="special",
                                 annual_cost_per_place=1_000, enabled="no")])
    assert objective(r) == pytest.approx(50_000, rel=REL)
    assert built(r) == {}
    assert set(r.expansions["built"]) == {"no"}
    assert placed(r) == {(2026, "IN"): 1.0}
    assert "NEW" not in set(r.capacity["provider_id"])


def test_new_site_used_only_once_open(tmp_path: Path) -> None:
    # Three years, demand 2 a year; IN £50,000. NEW is a new special school with 2
    # places at £15,000, capital £10,000, earliest 2027.
    # 2026: 2 x 50,000 = 100,000; 2027 and 2028: 2 x 15,000 = 30,000 each.
    # Objective = 10,000 + 100,000 + 60,000 = 170,000.
    workbook = {
        "params": {"horizon_years": 3},
        "providers": [inmss()],
        "demand": [demand(2)],
        "expansions": [option("NEW", 2, 10_000, provider_id=None, type="special",
                              annual_cost_per_place=15_000, earliest_year=2027)],
        "travel": {("Z1", "NEW"): {"annual_transport_cost": 0}},
    }
    r = solve(tmp_path / "t.xlsx", **workbook)
    assert objective(r) == pytest.approx(170_000, rel=REL)
    assert built(r) == {"NEW": 2027}
    assert placed(r) == {(2026, "IN"): 2.0, (2027, "NEW"): 2.0, (2028, "NEW"): 2.0}
    assert list(capacity_of(r, "NEW")["capacity"]) == [0.0, 2.0, 2.0]
    assert r.expansions.set_index("option_id").loc["NEW", "provider_id"] == "NEW"
    # The optional strong linking rows change nothing in the optimum.
    strong = plan(tiny_workbook(tmp_path / "s.xlsx", **workbook), strong_linking=True)
    assert strong.summary["objective"] == pytest.approx(170_000, rel=REL)
    assert built(strong) == {"NEW": 2027}


# --- capital ------------------------------------------------------------------------------


def test_capital_budget_carries_forward(tmp_path: Path) -> None:
    # Capital £50 in 2026 and £50 in 2027; OPT costs £100: only affordable from 2027.
    # SP has no places (£20,000), IN £50,000; demand 1 a year for 3 years.
    # 2026: 50,000 (IN); 2027, 2028: 20,000 at SP. Objective = 100 + 50,000 + 40,000.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 3},
              providers=[special(capacity=0), inmss()], demand=[demand(1)],
              expansions=[option("OPT", 1, 100)],
              budget=[{"year": 2026, "stream": "capital", "amount": 50},
                      {"year": 2027, "stream": "capital", "amount": 50}])
    assert objective(r) == pytest.approx(90_100, rel=REL)
    assert built(r) == {"OPT": 2027}
    assert placed(r) == {(2026, "IN"): 1.0, (2027, "SP"): 1.0, (2028, "SP"): 1.0}
    # Capital rows are not revenue: no revenue limit, no overspend.
    assert r.summary["plan"]["overspend"] == [0.0, 0.0, 0.0]


def test_capital_limit_holds_in_every_year_of_the_horizon(tmp_path: Path) -> None:
    """SPEC §2 (7): the capital limit holds in every year, not only up to the last year
    with capital rows (a year without rows adds nothing to the pot)."""
    # Capital £50 in 2026 only; OPT costs £100: never affordable. IN both years:
    # objective = 2 x 50,000 = 100,000.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 2},
              providers=[special(capacity=0), inmss()], demand=[demand(1)],
              expansions=[option("OPT", 1, 100)],
              budget=[{"year": 2026, "stream": "capital", "amount": 50}])
    assert objective(r) == pytest.approx(100_000, rel=REL)
    assert built(r) == {}
    # £50 more in 2027 carries the 2026 money forward: OPT opens in 2027.
    # Objective = 50,000 (IN, 2026) + 100 + 20,000 (SP, 2027) = 70,100.
    r = solve(tmp_path / "t2.xlsx", params={"horizon_years": 2},
              providers=[special(capacity=0), inmss()], demand=[demand(1)],
              expansions=[option("OPT", 1, 100)],
              budget=[{"year": 2026, "stream": "capital", "amount": 50},
                      {"year": 2027, "stream": "capital", "amount": 50}])
    assert objective(r) == pytest.approx(70_100, rel=REL)
    assert built(r) == {"OPT": 2027}


def test_annuity_against_upfront(tmp_path: Path) -> None:
    # r = 25%: delta = 1, 0.8, 0.64 (sum 2.44). Required OPT (1 place at SP, capital
    # 36,000) opens in 2026 (earliest = latest). Placements: 20,000 x 2.44 = 48,800.
    # upfront: K = 36,000                              -> objective 84,800
    # annuity, L = 2, paid from the opening year (an annuity-due, SPEC §2):
    #   A = 36,000 x 0.25 / (1.25 x (1 - 1.25^-2)) = 9,000 / 0.45 = 20,000, paid in 2026
    #   and 2027 (the asset's whole life): K = 20,000 x (1 + 0.8) = 36,000: the same as
    #   upfront (before issue 19: 25,000 a year, K = 45,000, r = 25% more).
    def run(name: str, treatment: str):
        return solve(tmp_path / name,
                     params={"horizon_years": 3, "discount_rate": 0.25,
                             "capital_treatment": treatment, "asset_life_years": 2},
                     providers=[special(capacity=0)], demand=[demand(1)],
                     expansions=[option("OPT", 1, 36_000, required="yes",
                                        earliest_year=2026, latest_year=2026)])

    upfront, annuity = run("u.xlsx", "upfront"), run("a.xlsx", "annuity")
    assert objective(upfront) == pytest.approx(84_800, rel=REL)
    assert objective(annuity) == pytest.approx(84_800, rel=REL)
    assert annuity.summary["baseline"]["capital_charge"] == pytest.approx([20_000, 20_000, 0])
    # The summary is a cash view whatever the treatment: capital in the opening year.
    assert annuity.summary["plan"]["capital_cost"] == [36_000, 0, 0]
    assert annuity.summary["plan"]["total_cost"] == [56_000, 20_000, 20_000]


def test_annuity_opening_later_counts_only_years_in_horizon(tmp_path: Path) -> None:
    # r = 0: A = capex / L = 40,000 / 4 = 10,000. OPT required, opening 2027 (of
    # 2026-2028): K = 2 x 10,000 = 20,000. Placements: 2026 at IN 50,000, then 2 x 20,000.
    # Objective = 20,000 + 50,000 + 40,000 = 110,000.
    r = solve(tmp_path / "t.xlsx",
              params={"horizon_years": 3, "capital_treatment": "annuity",
                      "asset_life_years": 4},
              providers=[special(capacity=0), inmss()], demand=[demand(1)],
              expansions=[option("OPT", 1, 40_000, required="yes", earliest_year=2027,
                                 latest_year=2027)])
    assert objective(r) == pytest.approx(110_000, rel=REL)
    assert built(r) == {"OPT": 2027}


def test_optimism_bias_uplifts_capital(tmp_path: Path) -> None:
    # Bias 24%: capex = 100,000 x 1.24 = 124,000 in the objective, the results and the
    # capital budget. OPT saves 30,000 a year x 5 years = 150,000 > 124,000: built.
    # Objective = 124,000 + 5 x 20,000 = 224,000.
    common: dict[str, Any] = {
        "providers": [special(capacity=0), inmss()], "demand": [demand(1)],
        "expansions": [option("OPT", 1, 100_000)]}
    r = solve(tmp_path / "a.xlsx", params={"horizon_years": 5, "optimism_bias": 0.24},
              **common)
    assert objective(r) == pytest.approx(224_000, rel=REL)
    assert built(r) == {"OPT": 2026}
    assert r.expansions.loc[0, "capital_cost"] == pytest.approx(124_000)
    assert r.summary["plan"]["capital_cost"][0] == pytest.approx(124_000)
    assert r.summary["savings"]["capital_cost_total"] == pytest.approx(124_000)
    # Capital budget 110,000 in 2026: enough for 100,000, not for the uplifted 124,000.
    budget = [{"year": 2026, "stream": "capital", "amount": 110_000}]
    without = solve(tmp_path / "b.xlsx", params={"horizon_years": 5}, budget=budget,
                    **common)
    assert built(without) == {"OPT": 2026}
    with_bias = solve(tmp_path / "c.xlsx", params={"horizon_years": 5, "optimism_bias": 0.24},
                      budget=budget, **common)
    assert built(with_bias) == {}
    assert objective(with_bias) == pytest.approx(5 * 50_000, rel=REL)


# --- capital funding streams (SPEC §1 Budget, Expansions funding; §2 item 7) -------------------


def _funding(r) -> list[tuple[int, str, str, float]]:
    """funding.csv as (year, stream, option_id, amount) rows."""
    return [(int(y), str(f), str(o), float(a)) for y, f, o, a in
            r.funding[["year", "stream", "option_id", "amount"]].itertuples(index=False)]


def test_a_ring_fenced_stream_pays_only_for_its_option(tmp_path: Path) -> None:
    # SP has no places (£20,000), IN £50,000; demand 2. A and B each add 1 place at SP
    # for £100. capital:s106 holds £200 and only A may draw on it; the general pot holds
    # £0, so B (funded from capital) cannot be built though £100 of s106 is left.
    # Objective = 100 + 20,000 + 50,000 = 70,100 (one pot of £200 would build both:
    # 200 + 40,000 = 40,200).
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=0), inmss()],
              demand=[demand(2)],
              expansions=[option("A", 1, 100, funding="capital:s106"), option("B", 1, 100)],
              budget=[{"year": 2026, "stream": "capital:s106", "amount": 200},
                      {"year": 2026, "stream": "capital", "amount": 0}])
    assert objective(r) == pytest.approx(70_100, rel=REL)
    assert built(r) == {"A": 2026}
    assert _funding(r) == [(2026, "capital:s106", "A", 100.0)]
    streams = r.summary["funding"]
    assert streams["capital:s106"] == {"limited": True, "available": [200.0],
                                       "spent": [100.0], "unspent": [100.0]}
    assert streams["capital"] == {"limited": True, "available": [0.0], "spent": [0.0],
                                  "unspent": [0.0]}
    # B can never be paid for: said before the solve, with the numbers.
    assert any("option B costs £100" in str(w) and "capital £0" in str(w)
               for w in r.summary["provenance"]["warnings"])
    # Writing the same stream as one pot: both are built.
    both = solve(tmp_path / "u.xlsx", providers=[special(capacity=0), inmss()],
                 demand=[demand(2)], expansions=[option("A", 1, 100), option("B", 1, 100)],
                 budget=[{"year": 2026, "stream": "capital", "amount": 200}])
    assert objective(both) == pytest.approx(40_200, rel=REL)


def test_an_option_paid_from_two_streams(tmp_path: Path) -> None:
    # Demand 3; SP has no places (£20,000), IN £50,000. OPT (1 place, £150) may be paid
    # from capital:s106 (£100) and capital; B (1 place, £50) from capital only (£100).
    # Both fit only if OPT takes all £100 of s106 and £50 of capital, B the other £50.
    # Objective = 150 + 50 + 2 x 20,000 + 50,000 = 90,200.
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=0), inmss()],
              demand=[demand(3)],
              expansions=[option("OPT", 1, 150, funding="capital:s106; capital"),
                          option("B", 1, 50)],
              budget=[{"year": 2026, "stream": "capital:s106", "amount": 100},
                      {"year": 2026, "stream": "capital", "amount": 100}])
    assert objective(r) == pytest.approx(90_200, rel=REL)
    assert built(r) == {"OPT": 2026, "B": 2026}
    assert _funding(r) == [(2026, "capital", "B", 50.0), (2026, "capital", "OPT", 50.0),
                           (2026, "capital:s106", "OPT", 100.0)]
    assert r.summary["funding"]["capital"]["unspent"] == [0.0]


def test_ring_fenced_money_is_drawn_before_the_general_pot(tmp_path: Path) -> None:
    # OPT (£100) may use capital:grant (£100) or capital (£500): the model is
    # indifferent; the results draw on the grant first. Objective 100 + 20,000.
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=0), inmss()],
              demand=[demand(1)],
              expansions=[option("OPT", 1, 100, funding="capital; capital:grant")],
              budget=[{"year": 2026, "stream": "capital:grant", "amount": 100},
                      {"year": 2026, "stream": "capital", "amount": 500}])
    assert objective(r) == pytest.approx(20_100, rel=REL)
    assert _funding(r) == [(2026, "capital:grant", "OPT", 100.0)]


def test_ring_fenced_first_when_one_stream_cannot_pay_it_all(tmp_path: Path) -> None:
    # OPT (£150) may use capital:grant (£100) or capital (£500): the results draw all of
    # the grant and only the rest, £50, from the general pot. Objective 150 + 20,000.
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=0), inmss()],
              demand=[demand(1)],
              expansions=[option("OPT", 1, 150, funding="capital; capital:grant")],
              budget=[{"year": 2026, "stream": "capital:grant", "amount": 100},
                      {"year": 2026, "stream": "capital", "amount": 500}])
    assert objective(r) == pytest.approx(20_150, rel=REL)
    assert _funding(r) == [(2026, "capital", "OPT", 50.0),
                           (2026, "capital:grant", "OPT", 100.0)]


def test_capital_carries_forward_stream_by_stream(tmp_path: Path) -> None:
    # OPT (£100) may use capital:s106 only: £50 in 2026 and £50 in 2027, so it can open
    # in 2027 at the earliest, though the general pot holds £100 from 2026.
    # Demand 1 a year: 2026 at IN (50,000), then SP (20,000): 100 + 50,000 + 20,000.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 2},
              providers=[special(capacity=0), inmss()], demand=[demand(1)],
              expansions=[option("OPT", 1, 100, funding="capital:s106")],
              budget=[{"year": 2026, "stream": "capital:s106", "amount": 50},
                      {"year": 2027, "stream": "capital:s106", "amount": 50},
                      {"year": 2026, "stream": "capital", "amount": 100}])
    assert objective(r) == pytest.approx(70_100, rel=REL)
    assert built(r) == {"OPT": 2027}
    assert _funding(r) == [(2027, "capital:s106", "OPT", 100.0)]
    s106 = r.summary["funding"]["capital:s106"]
    assert (s106["spent"], s106["unspent"]) == ([0.0, 100.0], [50.0, 0.0])
    assert r.summary["funding"]["capital"]["unspent"] == [100.0, 100.0]


def test_an_option_whose_stream_is_empty_is_never_built(tmp_path: Path) -> None:
    # capital:grant has a row of £0: OPT (£100) cannot be paid for. IN: 50,000.
    common: dict[str, Any] = {
        "providers": [special(capacity=0), inmss()], "demand": [demand(1)],
        "budget": [{"year": 2026, "stream": "capital:grant", "amount": 0},
                   {"year": 2026, "stream": "capital", "amount": 1_000}]}
    r = solve(tmp_path / "t.xlsx", expansions=[option("OPT", 1, 100, funding="capital:grant")],
              **common)
    assert objective(r) == pytest.approx(50_000, rel=REL)
    assert built(r) == {}
    assert r.funding.empty
    # Required, it cannot be built at all: infeasible, proven before any solve, naming the
    # stream.
    path = tiny_workbook(tmp_path / "r.xlsx", expansions=[
        option("OPT", 1, 100, funding="capital:grant", required="yes")], **common)
    with pytest.raises(SolveError, match=r"required options OPT must open by 2026 and cost "
                       r"£100 .* up to 2026 \(£0: capital:grant £0\)"):
        plan(path)


def test_required_options_a_stream_cannot_pay_for_together(tmp_path: Path) -> None:
    # R1 and R2 (£60 each, required) may use capital:s106 (£100) only: together they
    # cost more than it holds, though the general pot (£1,000) could pay: infeasible.
    path = tiny_workbook(tmp_path / "t.xlsx", providers=[special(capacity=0), inmss()],
                         demand=[demand(2)],
                         expansions=[option(o, 1, 60, funding="capital:s106", required="yes")
                                     for o in ("R1", "R2")],
                         budget=[{"year": 2026, "stream": "capital:s106", "amount": 100},
                                 {"year": 2026, "stream": "capital", "amount": 1_000}])
    with pytest.raises(SolveError, match=r"required options R1, R2 must open by 2026 "
                       r"and cost £120 .* \(£100: capital:s106 £100\)"):
        plan(path)


@pytest.mark.parametrize(("funding", "message"), [
    ("capital:nowhere", r"Expansions!\w+2: funding stream 'capital:nowhere' has no rows in "
                        r"the Budget sheet"),
    ("s106", r"Expansions!\w+2: unknown funding stream 's106'; expected capital or a "
             r"ring-fenced stream of the Budget sheet \(capital:s106\)"),
])
def test_funding_names_a_stream_with_budget_rows(tmp_path: Path, funding: str,
                                                 message: str) -> None:
    path = tiny_workbook(tmp_path / "t.xlsx", providers=[special(capacity=0)],
                         demand=[demand(1)], expansions=[option("OPT", 1, 100, funding=funding)],
                         budget=[{"year": 2026, "stream": "capital:s106", "amount": 100}])
    with pytest.raises(InputError) as caught:
        plan(path)
    found = [f"{p.where}: {p.message}" for p in caught.value.errors]
    assert any(re.fullmatch(message + ".*", p) for p in found), found


def test_capital_streams_in_the_budget_sheet(tmp_path: Path) -> None:
    """'Capital : S106' is the stream capital:s106; 'capital s106' is revenue (said)."""
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=0), inmss()],
              demand=[demand(1)],
              expansions=[option("OPT", 1, 100, funding="CAPITAL:S106")],
              budget=[{"year": 2026, "stream": "Capital : S106", "amount": 100},
                      {"year": 2026, "stream": "capital s106", "amount": 1_000_000}])
    assert built(r) == {"OPT": 2026}
    assert _funding(r) == [(2026, "capital:s106", "OPT", 100.0)]
    warnings = r.summary["provenance"]["warnings"]
    assert any("stream 'capital s106' is counted as revenue" in w for w in warnings), warnings
    path = tiny_workbook(tmp_path / "e.xlsx", providers=[special(capacity=0)],
                         demand=[demand(1)], expansions=[option("OPT", 1, 100)],
                         budget=[{"year": 2026, "stream": "capital:", "amount": 100}])
    with pytest.raises(InputError, match="needs a name after 'capital:'"):
        plan(path)


# --- objective terms -------------------------------------------------------------------------


def test_discounting(tmp_path: Path) -> None:
    # r = 25%: delta = 1, 0.8, 0.64. Z1: 1 pupil a year at SP (£20,000 + £1,000 transport);
    # Z2: 1 pupil a year with no provider in reach, penalty 100,000.
    # Objective = (21,000 + 100,000) x (1 + 0.8 + 0.64) = 121,000 x 2.44 = 295,240.
    r = solve(tmp_path / "t.xlsx",
              params={"horizon_years": 3, "discount_rate": 0.25, "unmet_penalty": 100_000},
              zones=[{"zone_id": "Z1"}, {"zone_id": "Z2"}],
              providers=[special()], demand=[demand(1, zone="Z1"), demand(1, zone="Z2")],
              travel={("Z1", "SP"): {"annual_transport_cost": 1_000},
                      ("Z2", "SP"): {"minutes": 500}})
    assert objective(r) == pytest.approx(295_240, rel=REL)
    # Costs in the summary are undiscounted, each year in its own money.
    assert r.summary["plan"]["placement_cost"] == [20_000] * 3
    assert r.summary["plan"]["transport_cost"] == [1_000] * 3
    assert unmet(r) == [(y, "Z2", 1.0, NO_ARC) for y in (2026, 2027, 2028)]


def test_value_of_travel_minute(tmp_path: Path) -> None:
    # A (£20,000) is 40 minutes away, B (£21,000) 20 minutes.
    # w = 0: A, objective 20,000.
    # w = 100 per minute per pupil-year: A 20,000 + 4,000 = 24,000; B 21,000 + 2,000 =
    # 23,000: B, objective 23,000 (the weight is not a cost in the results).
    def run(name: str, w: float):
        return solve(tmp_path / name, params={"value_of_travel_minute": w},
                     providers=[special("A", 20_000), special("B", 21_000)],
                     demand=[demand(1)],
                     travel={("Z1", "A"): {"minutes": 40}, ("Z1", "B"): {"minutes": 20}})

    r0, r100 = run("a.xlsx", 0), run("b.xlsx", 100)
    assert objective(r0) == pytest.approx(20_000, rel=REL)
    assert placed(r0) == {(2026, "A"): 1.0}
    assert objective(r100) == pytest.approx(23_000, rel=REL)
    assert placed(r100) == {(2026, "B"): 1.0}
    assert r100.summary["plan"]["placement_cost"] == [21_000]
    assert r100.summary["plan"]["transport_cost"] == [0]


def test_integer_placements_split(tmp_path: Path) -> None:
    # SP has 1.5 places (£20,000), IN £50,000, demand 2.
    # Continuous: 1.5 at SP + 0.5 at IN = 30,000 + 25,000 = 55,000.
    # Whole pupils: 1 at SP + 1 at IN = 70,000.
    common: dict[str, Any] = {"providers": [special(capacity=1.5), inmss()],
                              "demand": [demand(2)]}
    frac = solve(tmp_path / "a.xlsx", **common)
    assert objective(frac) == pytest.approx(55_000, rel=REL)
    assert placed(frac) == {(2026, "SP"): 1.5, (2026, "IN"): 0.5}
    whole = solve(tmp_path / "b.xlsx", params={"integer_placements": "yes"}, **common)
    assert objective(whole) == pytest.approx(70_000, rel=REL)
    assert placed(whole) == {(2026, "SP"): 1.0, (2026, "IN"): 1.0}


def test_integer_placements_fractional_demand(tmp_path: Path) -> None:
    # Demand 2.5 with whole pupils only: x + u = 2.5 with integer x, so x = 2 and 0.5
    # pupil is unmet (the model as SPEC §2 states it). Objective = 2 x 20,000 + 0.5 x 1e6.
    r = solve(tmp_path / "t.xlsx", params={"integer_placements": "yes"},
              providers=[special()], demand=[demand(2.5)])
    assert objective(r) == pytest.approx(540_000, rel=REL)
    assert placed(r) == {(2026, "SP"): 2.0}
    assert [u[:3] for u in unmet(r)] == [(2026, "Z1", 0.5)]


def test_penalty_below_cost_leaves_pupils_unmet(tmp_path: Path) -> None:
    # unmet_penalty 10,000 < SP's 20,000: leaving the pupil unmet is cheaper.
    # Objective = 10,000; reason names the penalty.
    r = solve(tmp_path / "t.xlsx", params={"unmet_penalty": 10_000},
              providers=[special()], demand=[demand(1)])
    assert objective(r) == pytest.approx(10_000, rel=REL)
    assert unmet(r) == [(2026, "Z1", 1.0, "unmet_penalty below the cost of any place")]


# --- current placements ---------------------------------------------------------------------


def _current_case(tmp_path: Path, name: str, demand_pupils: Any = 10, params=None,
                  **current: Any):
    row = {"zone_id": "Z1", "need": "ASD", "phase": "secondary", "provision": "special",
           "provider_id": "IN", "pupils": 5, **current}
    return solve(tmp_path / name, params={"horizon_years": 3, **(params or {})},
                 providers=[special(), inmss()], demand=[demand(demand_pupils)],
                 current=[row])


def test_current_placements_run_off_by_phase(tmp_path: Path) -> None:
    # 5 pupils at IN (£50,000), secondary phase length 5: locked 5 x (1 - k/5) = 5, 4, 3.
    # The rest of the 10 go to SP (£20,000): 5, 6, 7.
    # 2026: 250,000 + 100,000; 2027: 200,000 + 120,000; 2028: 150,000 + 140,000 = 960,000.
    r = _current_case(tmp_path, "t.xlsx")
    assert objective(r) == pytest.approx(960_000, rel=REL)
    assert placed(r) == {(2026, "IN"): 5.0, (2027, "IN"): 4.0, (2028, "IN"): 3.0,
                         (2026, "SP"): 5.0, (2027, "SP"): 6.0, (2028, "SP"): 7.0}


def test_current_placements_years_remaining(tmp_path: Path) -> None:
    # years_remaining 2: 5 stay in 2026 and 2027, none in 2028.
    # 2026, 2027: 250,000 + 100,000 each; 2028: 10 x 20,000. Objective = 900,000.
    r = _current_case(tmp_path, "t.xlsx", years_remaining=2)
    assert objective(r) == pytest.approx(900_000, rel=REL)
    assert placed(r) == {(2026, "IN"): 5.0, (2027, "IN"): 5.0,
                         (2026, "SP"): 5.0, (2027, "SP"): 5.0, (2028, "SP"): 10.0}


def test_allow_moves_releases_current_placements(tmp_path: Path) -> None:
    # Everyone moves to SP: 3 years x 10 x 20,000 = 600,000.
    r = _current_case(tmp_path, "t.xlsx", params={"allow_moves": "yes"})
    assert objective(r) == pytest.approx(600_000, rel=REL)
    assert pupils_at(r, "IN") == 0
    assert pupils_at(r, "SP") == pytest.approx(30)


def test_current_placements_scaled_down_to_demand(tmp_path: Path) -> None:
    # Demand 4 a year, current 5 at IN: locks 5, 4, 3 -> 2026 scaled to 4 (warned).
    # 2026: 4 x 50,000; 2027: 4 x 50,000; 2028: 3 x 50,000 + 1 x 20,000.
    # Objective = 200,000 + 200,000 + 170,000 = 570,000.
    r = _current_case(tmp_path, "t.xlsx", demand_pupils=4)
    assert objective(r) == pytest.approx(570_000, rel=REL)
    assert placed(r) == {(2026, "IN"): 4.0, (2027, "IN"): 4.0, (2028, "IN"): 3.0,
                         (2028, "SP"): 1.0}
    warnings = r.summary["provenance"]["warnings"]
    scaled = [w for w in warnings if "exceed demand" in w]
    assert len(scaled) == 1 and "2026" in scaled[0]


def test_current_placement_beyond_journey_limit_stays(tmp_path: Path) -> None:
    # IN is 100 minutes away (> 75, not residential): no arc for new placements, but the
    # 2 pupils already there stay (locked 2, 1.6 over two years), with a warning.
    # 2026: 2 x 50,000 + 1 x 20,000; 2027: 1.6 x 50,000 + 1.4 x 20,000.
    # Objective = 120,000 + 108,000 = 228,000.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 2},
              providers=[special(), inmss()], demand=[demand(3)],
              current=[{"zone_id": "Z1", "need": "ASD", "phase": "secondary",
                        "provision": "special", "provider_id": "IN", "pupils": 2}],
              travel={("Z1", "IN"): {"minutes": 100}})
    assert objective(r) == pytest.approx(228_000, rel=REL)
    assert placed(r) == {(2026, "IN"): 2.0, (2027, "IN"): 1.6,
                         (2026, "SP"): 1.0, (2027, "SP"): 1.4}
    assert any("not one the model would choose now" in w
               for w in r.summary["provenance"]["warnings"])


def test_integer_placements_lock_whole_pupils(tmp_path: Path) -> None:
    """With whole pupils only, the run-off of current placements is rounded down.

    SPEC §1 gives pupils x (1 - k / phase_length), a fraction; an integer x at least
    that would keep the next whole pupil in place (and make the model infeasible when the
    demand is below it). The planner's reading: that many whole pupils stay, floor().
    """
    # 3 at IN, secondary: run-off 3, 2.4 -> 3, 2 locked. Demand 3 a year.
    # 2026: 3 x 50,000 = 150,000; 2027: 2 x 50,000 + 1 x 20,000 = 120,000. Total 270,000.
    r = _current_case(tmp_path, "a.xlsx", demand_pupils=3, pupils=3,
                      params={"horizon_years": 2, "integer_placements": "yes"})
    assert objective(r) == pytest.approx(270_000, rel=REL)
    assert placed(r) == {(2026, "IN"): 3.0, (2027, "IN"): 2.0, (2027, "SP"): 1.0}
    # Demand 3 then 2.5: 2 locked, the half pupil cannot be placed whole: unmet.
    # 150,000 + 2 x 50,000 + 0.5 x 1,000,000 = 750,000 (was infeasible).
    r = _current_case(tmp_path, "b.xlsx", demand_pupils=[3, 2.5], pupils=3,
                      params={"horizon_years": 2, "integer_placements": "yes"})
    assert objective(r) == pytest.approx(750_000, rel=REL)
    assert placed(r) == {(2026, "IN"): 3.0, (2027, "IN"): 2.0}
    assert [u[:3] for u in unmet(r)] == [(2027, "Z1", 0.5)]


# --- revenue budget -------------------------------------------------------------------------


def _budget_case(tmp_path: Path, name: str, params: dict, transport: float = 0,
                 horizon: int = 1):
    # Demand 3 a year at SP (£20,000, unlimited). Revenue budget 2026: high needs 30,000 +
    # health 20,000 = 50,000 (capital money, general or ring-fenced, is not revenue); no
    # revenue rows for 2027.
    return solve(tmp_path / name, params={"horizon_years": horizon, **params},
                 providers=[special()], demand=[demand(3)],
                 travel={("Z1", "SP"): {"annual_transport_cost": transport}},
                 budget=[{"year": 2026, "stream": "high_needs_block", "amount": 30_000},
                         {"year": 2026, "stream": "health", "amount": 20_000},
                         {"year": 2026, "stream": "capital", "amount": 999_999},
                         {"year": 2026, "stream": "capital:s106", "amount": 888_888}])


def test_hard_budget_leaves_pupils_unmet(tmp_path: Path) -> None:
    # Hard: 50,000 / 20,000 = 2.5 pupils placed in 2026, 0.5 unmet (reason budget);
    # 2027 has no revenue limit: all 3 placed.
    # Objective = 50,000 + 0.5 x 1,000,000 + 60,000 = 610,000.
    r = _budget_case(tmp_path, "t.xlsx", {"budget_limit": "hard"}, horizon=2)
    assert objective(r) == pytest.approx(610_000, rel=REL)
    assert placed(r) == {(2026, "SP"): 2.5, (2027, "SP"): 3.0}
    assert unmet(r) == [(2026, "Z1", 0.5, "budget")]
    assert r.summary["plan"]["overspend"] == [0.0, 0.0]


def test_hard_budget_covering_transport(tmp_path: Path) -> None:
    # SP costs 20,000 + 5,000 transport. Budget 50,000, hard.
    # placements only:           50,000 / 20,000 = 2.5 placed:
    #     2.5 x 25,000 + 0.5 x 1e6 = 562,500
    # placements_and_transport:  50,000 / 25,000 = 2 placed:
    #     2 x 25,000 + 1 x 1e6 = 1,050,000
    r = _budget_case(tmp_path, "a.xlsx", {"budget_limit": "hard"}, transport=5_000)
    assert objective(r) == pytest.approx(562_500, rel=REL)
    assert placed(r) == {(2026, "SP"): 2.5}
    r = _budget_case(tmp_path, "b.xlsx", {"budget_limit": "hard",
                                          "budget_covers": "placements_and_transport"},
                     transport=5_000)
    assert objective(r) == pytest.approx(1_050_000, rel=REL)
    assert placed(r) == {(2026, "SP"): 2.0}
    assert unmet(r) == [(2026, "Z1", 1.0, "budget")]


def test_soft_budget_reports_overspend(tmp_path: Path) -> None:
    # Soft, weight 0: all 3 placed, objective 60,000; overspend = 60,000 - 50,000.
    r = _budget_case(tmp_path, "a.xlsx", {"budget_limit": "soft"})
    assert objective(r) == pytest.approx(60_000, rel=REL)
    assert placed(r) == {(2026, "SP"): 3.0}
    assert r.summary["plan"]["overspend"] == [10_000]
    # Weight 2: each £ over costs £3: objective = 60,000 + 2 x 10,000 = 80,000.
    r = _budget_case(tmp_path, "b.xlsx", {"budget_limit": "soft", "overspend_weight": 2})
    assert objective(r) == pytest.approx(80_000, rel=REL)
    assert placed(r) == {(2026, "SP"): 3.0}
    assert r.summary["plan"]["overspend"] == [10_000]
    # Budget off: no limit and no weight (objective 60,000), but the summary still reports
    # the overspend against the budget rows as SPEC §4 defines it (covered cost - budget).
    r = _budget_case(tmp_path, "c.xlsx", {"budget_limit": "off", "overspend_weight": 2})
    assert objective(r) == pytest.approx(60_000, rel=REL)
    assert r.summary["plan"]["overspend"] == [10_000]


def test_soft_budget_overspend_year_by_year(tmp_path: Path) -> None:
    # Two years with their own revenue budgets (50,000 and 30,000), demand 3 a year at
    # SP (60,000): overspends 10,000 and 30,000, each on its own year; weight 1:
    # objective = 120,000 + 40,000.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 2, "budget_limit": "soft",
                                           "overspend_weight": 1},
              providers=[special()], demand=[demand(3)],
              travel={("Z1", "SP"): {"annual_transport_cost": 0}},
              budget=[{"year": 2026, "stream": "high_needs_block", "amount": 50_000},
                      {"year": 2027, "stream": "high_needs_block", "amount": 30_000}])
    assert objective(r) == pytest.approx(160_000, rel=REL)
    assert r.summary["plan"]["overspend"] == [10_000, 30_000]


def test_overspend_weight_can_leave_pupils_unmet(tmp_path: Path) -> None:
    # Soft budget, weight 2, penalty 50,000: a pupil beyond the budget costs 20,000 +
    # 2 x 20,000 = 60,000 > 50,000, so only 2.5 are placed and 0.5 is unmet because of
    # the budget. Objective = 50,000 + 0.5 x 50,000 = 75,000.
    r = _budget_case(tmp_path, "t.xlsx", {"budget_limit": "soft", "overspend_weight": 2,
                                          "unmet_penalty": 50_000})
    assert objective(r) == pytest.approx(75_000, rel=REL)
    assert placed(r) == {(2026, "SP"): 2.5}
    assert unmet(r) == [(2026, "Z1", 0.5, "budget")]
    assert r.summary["plan"]["overspend"] == [0.0]


# --- marginal values --------------------------------------------------------------------------


def test_marginal_value_of_a_place(tmp_path: Path) -> None:
    # SP full (2 places, 21,000 a pupil with transport), the third pupil at IN (53,000):
    # one more place at SP saves 53,000 - 21,000 = 32,000 a year, in each year's money
    # even with a 25% discount rate. OTHER (special, SEMH only, 30 places, £25,000) takes
    # the one SEMH pupil (cheaper than displacing an ASD pupil from SP to IN) and has
    # slack: marginal value 0.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 2, "discount_rate": 0.25},
              providers=[special(capacity=2), inmss(),
                         special("OTHER", 25_000, capacity=30, needs="SEMH")],
              demand=[demand(3), demand(1, need="SEMH")],
              travel={("Z1", "SP"): {"annual_transport_cost": 1_000},
                      ("Z1", "IN"): {"annual_transport_cost": 3_000}})
    # Objective: (2 x 21,000 + 53,000 + 25,000) x (1 + 0.8) = 120,000 x 1.8 = 216,000
    assert objective(r) == pytest.approx(216_000, rel=REL)
    sp = capacity_of(r, "SP")
    assert list(sp["marginal_value"]) == [pytest.approx(32_000), pytest.approx(32_000)]
    assert list(capacity_of(r, "OTHER")["marginal_value"]) == [0.0, 0.0]


def test_marginal_value_with_a_built_option(tmp_path: Path) -> None:
    # SP's expansion is built in the plan (fixed in the LP): still full after it, the
    # next place saves 50,000 - 20,000 = 30,000. Demand 3, SP 1 place + OPT 1 place.
    # OPT pays: 1,000 < 30,000. Objective = 1,000 + 2 x 20,000 + 50,000 = 91,000.
    r = solve(tmp_path / "t.xlsx", providers=[special(capacity=1), inmss()],
              demand=[demand(3)], expansions=[option("OPT", 1, 1_000)])
    assert objective(r) == pytest.approx(91_000, rel=REL)
    assert built(r) == {"OPT": 2026}
    sp = capacity_of(r, "SP").loc[2026]
    assert (sp["capacity"], sp["pupils"]) == (2.0, 2.0)
    assert sp["marginal_value"] == pytest.approx(30_000)


# --- infeasible -----------------------------------------------------------------------------


def test_required_option_beyond_capital_budget_is_infeasible(tmp_path: Path) -> None:
    path = tiny_workbook(tmp_path / "t.xlsx", providers=[special(capacity=1)],
                         demand=[demand(1)],
                         expansions=[option("OPT", 1, 100, required="yes")],
                         budget=[{"year": 2026, "stream": "capital", "amount": 50}])
    # Found before any model is built: a pre-solve check, with the numbers; an infeasible
    # model all the same (SPEC §3).
    with pytest.raises(SolveError, match=r"required options OPT must open by 2026 and cost "
                       r"£100 .* up to 2026 \(£50\)"):
        plan(path)


def test_dominated_arcs_are_left_out_and_the_optimum_is_unchanged(tmp_path: Path) -> None:
    # IN (unlimited, £50,000 + £3,000) dominates IN2 (unlimited, £60,000 + £3,000) and
    # IN3 (capacity 5, £55,000 + £0): neither is ever needed. SP (£20,000, cap 2) is
    # cheaper, so it stays. Demand 3: 2 at SP + 1 at IN = 40,000 + 53,000 = 93,000.
    from placeopt.model.instance import compile_instance
    from placeopt.workbook.reader import read_workbook

    providers = [special(capacity=2), inmss(),
                 {**inmss(), "provider_id": "IN2", "annual_cost_per_place": 60_000},
                 {**inmss(), "provider_id": "IN3", "annual_cost_per_place": 55_000,
                  "capacity": 5}]
    travel = {("Z1", "IN"): {"annual_transport_cost": 3_000},
              ("Z1", "IN2"): {"annual_transport_cost": 3_000}}
    r = solve(tmp_path / "t.xlsx", providers=providers, demand=[demand(3)], travel=travel)
    assert objective(r) == pytest.approx(93_000, rel=REL)
    assert placed(r) == {(2026, "SP"): 2.0, (2026, "IN"): 1.0}
    instance = compile_instance(read_workbook(tmp_path / "t.xlsx"))
    assert instance.dominated_arcs == 2
    assert set(instance.providers["provider_id"].to_numpy()[instance.arcs["provider"]]) == {
        "SP", "IN"}


def test_a_dearer_arc_that_spends_less_budget_is_kept(tmp_path: Path) -> None:
    # Hard budget £100,000 on placements. IN costs £50,000 a place plus £3,000 transport;
    # IN2 costs £45,000 plus £20,000 transport: dearer in all (65,000 > 53,000) but
    # cheaper for the budget, so it is not dominated. Demand 2: 2 x 50,000 fits exactly;
    # the optimum is 2 at IN = 106,000.
    from placeopt.model.instance import compile_instance
    from placeopt.workbook.reader import read_workbook

    providers = [inmss(), {**inmss(), "provider_id": "IN2", "annual_cost_per_place": 45_000}]
    travel = {("Z1", "IN"): {"annual_transport_cost": 3_000},
              ("Z1", "IN2"): {"annual_transport_cost": 20_000}}
    r = solve(tmp_path / "t.xlsx", providers=providers, demand=[demand(2)], travel=travel,
              params={"budget_limit": "hard"},
              budget=[{"year": 2026, "stream": "high_needs_block", "amount": 100_000}])
    assert objective(r) == pytest.approx(106_000, rel=REL)
    assert compile_instance(read_workbook(tmp_path / "t.xlsx")).dominated_arcs == 0


def test_residential_k_keeps_the_cheapest_far_residential_schools(tmp_path: Path) -> None:
    # Three residential schools beyond the 75-minute secondary limit (90 minutes each,
    # capacity 5 so none dominates another): R1 £100,000, R2 £90,000, R3 £120,000
    # (transport 0). With k = 1 only R2 is kept; the
    # local special school SP (within reach, capacity 1) is never pruned. Demand 2:
    # 1 at SP (£20,000) + 1 at R2 (£90,000) = 110,000, the same as with every arc.
    from placeopt.model.instance import compile_instance
    from placeopt.workbook.reader import read_workbook

    far = {"minutes": 90}
    providers = [special(capacity=1)] + [
        {**inmss(pid, cost), "residential": "yes", "capacity": 5}
        for pid, cost in (("R1", 100_000), ("R2", 90_000), ("R3", 120_000))]
    path = tiny_workbook(tmp_path / "t.xlsx", providers=providers, demand=[demand(2)],
                         travel={("Z1", p): far for p in ("R1", "R2", "R3")})
    inputs = read_workbook(path)
    kept = compile_instance(inputs, residential_k=1)
    ids = kept.providers["provider_id"].to_numpy()[kept.arcs["provider"]]
    assert sorted(ids) == ["R2", "SP"]
    assert len(compile_instance(inputs).arcs) == 4
    assert objective(plan(path, residential_k=1)) == pytest.approx(110_000, rel=REL)
    assert objective(plan(path)) == pytest.approx(110_000, rel=REL)
