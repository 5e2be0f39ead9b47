"""Inclusion measures (SPEC §1 Inclusion, §2 item 8), on tiny instances solved by hand.

Unless a test says otherwise (tests/tiny.py): one zone Z1, first year 2026, discount 0,
capital upfront, mip_gap 0, every journey 10 minutes and transport £0. Demand is ASD
secondary at the `special` provision level; IN is an independent school (£50,000 a
year, unlimited), MS mainstream schools (£5,000 a year, unlimited). A measure diverts
special demand to mainstream by default.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from tiny import solve, tiny_workbook

from placeopt.problems import InputError
from placeopt.run import plan

REL = 1e-9


def demand(pupils: Any, zone: str = "Z1", need: str = "ASD") -> dict[str, Any]:
    return {"zone_id": zone, "need": need, "phase": "secondary", "provision": "special",
            "pupils": pupils}


PROVIDERS = [
    {"provider_id": "IN", "type": "inmss", "annual_cost_per_place": 50_000, "in_area": "no"},
    {"provider_id": "MS", "type": "mainstream", "annual_cost_per_place": 5_000},
]


def measure(mid: str = "M1", share: float = 0.4, **more: Any) -> dict[str, Any]:
    return {"measure_id": mid, "share": share, **more}


def diverted(results, mid: str = "M1", case: str = "plan") -> list[float]:
    table = results.inclusion
    rows = table[(table["measure_id"] == mid) & (table["case"] == case)]
    return [float(v) for v in rows.sort_values("year")["pupils_diverted"]]


def started(results, mid: str = "M1") -> int | None:
    return results.summary["inclusion"][mid]["start_year"]


def test_a_measure_cheaper_than_inmss_is_funded(tmp_path: Path) -> None:
    # Without it: 10 pupils at IN = 500,000. With it: 4 (share 0.4 of 10 new pupils) go to
    # mainstream at 5,000 + 2,000 support, the team costs 20,000, 6 stay at IN:
    # 4 x 7,000 + 20,000 + 6 x 50,000 = 348,000.
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
              inclusion=[measure(annual_cost=20_000, cost_per_pupil=2_000)])
    assert r.summary["objective"] == pytest.approx(348_000, rel=REL)
    assert r.summary["baseline_objective"] == pytest.approx(500_000, rel=REL)
    assert diverted(r) == [4.0] and diverted(r, case="baseline") == [0.0]
    assert started(r) == 2026
    row = r.inclusion[r.inclusion["case"] == "plan"].iloc[0]
    assert (row["running"], row["effect"], row["annual_cost"], row["support_cost"]) == (
        "yes", 1.0, 20_000, 8_000)
    summary = r.summary["inclusion"]["M1"]
    assert summary["cost_per_pupil_year"] == pytest.approx(7_000)  # (20,000 + 8,000) / 4
    # the measure's cost is revenue: in the plan's costs, its savings and its NPV
    assert r.summary["plan"]["inclusion_cost"] == [28_000]
    assert r.summary["plan"]["total_cost"] == [348_000]
    assert r.summary["savings"]["npv"] == pytest.approx(152_000)
    assert r.placements.set_index("provider_id")["pupils"].to_dict() == {"IN": 6.0, "MS": 4.0}
    # its worth: the plan without it is the baseline, 152,000 of NPV lost
    assert summary["npv_if_dropped"] == pytest.approx(152_000)
    assert summary["npv_if_forced"] is None
    assert r.summary["inclusion_values"]["solves"]["M1"]["case"] == "dropped"
    assert summary["pupils_diverted"] == [4.0] and summary["cost"] == [28_000]
    assert summary["started"] is True


def test_a_measure_dearer_than_the_places_it_saves_is_left_out(tmp_path: Path) -> None:
    # 4 pupils diverted save 4 x (50,000 - 5,000) = 180,000 < 200,000 a year to run it.
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
              inclusion=[measure(annual_cost=200_000)])
    assert r.summary["objective"] == pytest.approx(500_000, rel=REL)
    assert diverted(r) == [0.0] and started(r) is None
    assert r.summary["inclusion"]["M1"]["cost_per_pupil_year"] is None
    # forced, it would cost 6 x 50,000 + 4 x 5,000 + 200,000 = 520,000: 20,000 of NPV
    assert r.summary["inclusion"]["M1"]["npv_if_forced"] == pytest.approx(-20_000)


@pytest.mark.parametrize(("budget", "funded", "objective"),
                         [(370_000, False, 600_000), (400_000, True, 530_000)])
def test_a_measure_must_fit_a_hard_revenue_budget(tmp_path: Path, budget: float,
                                                  funded: bool, objective: float) -> None:
    # IN costs 30,000 a place plus 30,000 transport (outside the budget, which covers
    # placements); the measure diverts 5 (share 0.5), costs 200,000 to run and 1,000 a
    # pupil. Objective without it: 10 x 60,000 = 600,000; with it: 5 x 60,000 +
    # 5 x (5,000 + 1,000) + 200,000 = 530,000, but the budget then pays 5 x 30,000 +
    # 5 x 6,000 + 200,000 = 380,000 (against 300,000 without), and diverting fewer only
    # raises that: it runs only where the hard budget allows 380,000.
    r = solve(tmp_path / "t.xlsx", params={"budget_limit": "hard"},
              providers=[{**PROVIDERS[0], "annual_cost_per_place": 30_000}, PROVIDERS[1]],
              demand=[demand(10)], travel={("Z1", "IN"): {"annual_transport_cost": 30_000}},
              budget=[{"year": 2026, "stream": "high_needs_block", "amount": budget}],
              inclusion=[measure(share=0.5, annual_cost=200_000, cost_per_pupil=1_000)])
    assert r.summary["objective"] == pytest.approx(objective, rel=REL)
    assert diverted(r) == ([5.0] if funded else [0.0])
    assert r.summary["plan"]["overspend"] == [0.0]


def test_the_effect_ramps_up_over_two_years(tmp_path: Path) -> None:
    # Three years, 10 pupils each; share 0.5 reached over 2 years: 2.5 diverted in 2026,
    # 5 in 2027 and 2028. Each year costs 10,000 to run. 2026: 7.5 x 50,000 + 2.5 x
    # 5,000 + 10,000 = 397,500; 2027 and 2028: 5 x 50,000 + 5 x 5,000 + 10,000 = 285,000.
    params = {"horizon_years": 3}
    wanted = 397_500 + 2 * 285_000
    for route in ("years", "whole"):
        r = plan(tiny_workbook(tmp_path / f"{route}.xlsx", params=params,
                               providers=PROVIDERS, demand=[demand(10)],
                               inclusion=[measure(share=0.5, annual_cost=10_000,
                                                  ramp_years=2)]), route=route)
        assert r.summary["objective"] == pytest.approx(wanted, rel=REL), route
        assert diverted(r) == [2.5, 5.0, 5.0]
        effect = r.inclusion[r.inclusion["case"] == "plan"]["effect"].tolist()
        assert effect == [0.5, 1.0, 1.0]
        assert r.summary["solve"]["check"]["passed"]
        attempts = r.summary["solve"]["check"]["solves"]["plan"]["attempts"]
        assert (attempts == ["by years"]) == (route == "years")
    assert r.summary["baseline_objective"] == pytest.approx(1_500_000, rel=REL)


def test_overlapping_measures_divert_at_most_the_new_demand(tmp_path: Path) -> None:
    # Two measures on the same pupils, each up to 70% of them: together at most 10.
    # Both run (each pupil diverted saves 45,000 for 1,000 a measure): 10 x 5,000 + 2,000.
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
              inclusion=[measure("M1", 0.7, annual_cost=1_000),
                         measure("M2", 0.7, annual_cost=1_000)])
    assert r.summary["objective"] == pytest.approx(52_000, rel=REL)
    first, second = diverted(r, "M1")[0], diverted(r, "M2")[0]
    assert first + second == pytest.approx(10.0)
    assert first <= 7 + 1e-6 and second <= 7 + 1e-6


def test_measures_that_substitute_are_named_by_their_re_solves(tmp_path: Path) -> None:
    # Two measures on the same pupils, each able to divert all 10: one is enough. M1 runs
    # for 1,000 a year, M2 for 2,000. The plan funds M1 (10 x 5,000 + 1,000 = 51,000);
    # without it the plan funds M2 instead (52,000: 1,000 of NPV lost); M2 forced in
    # takes M1's place (-1,000). The re-solves name the measures, not options (there are
    # none here).
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
              inclusion=[measure("M1", 1.0, annual_cost=1_000),
                         measure("M2", 1.0, annual_cost=2_000)])
    assert r.summary["objective"] == pytest.approx(51_000, rel=REL)
    found = r.summary["inclusion"]
    assert found["M1"]["npv_if_dropped"] == pytest.approx(1_000)
    assert found["M2"]["npv_if_forced"] == pytest.approx(-1_000)
    solves = r.summary["inclusion_values"]["solves"]
    assert (solves["M1"]["builds_instead"], solves["M1"]["drops_too"]) == (["M2"], [])
    assert (solves["M2"]["builds_instead"], solves["M2"]["drops_too"]) == ([], ["M1"])


@pytest.mark.parametrize(("moves", "objective", "pupils"),
                         [("no", 6 * 50_000 + 4 * 5_000 + 1_000, 4.0),
                          ("yes", 10 * 5_000 + 1_000, 10.0)])
def test_current_placements_are_never_diverted(tmp_path: Path, moves: str,
                                               objective: float, pupils: float) -> None:
    # 6 of the 10 pupils are already at IN and stay (years_remaining 3): the measure, of
    # share 1, reaches only the 4 new pupils. With allow_moves every pupil is new demand.
    r = solve(tmp_path / "t.xlsx", params={"allow_moves": moves}, providers=PROVIDERS,
              demand=[demand(10)], inclusion=[measure(share=1.0, annual_cost=1_000)],
              current=[{"zone_id": "Z1", "need": "ASD", "phase": "secondary",
                        "provision": "special", "provider_id": "IN", "pupils": 6,
                        "years_remaining": 3}])
    assert r.summary["objective"] == pytest.approx(objective, rel=REL)
    assert diverted(r) == [pupils]


def test_a_measure_reaches_only_its_needs_and_zones(tmp_path: Path) -> None:
    # Z1 ASD and SEMH, Z2 ASD: the measure (ASD, zone Z1) diverts half of Z1's ASD only.
    r = solve(tmp_path / "t.xlsx", zones=[{"zone_id": "Z1"}, {"zone_id": "Z2"}],
              providers=PROVIDERS,
              demand=[demand(10), demand(10, need="SEMH"), demand(10, zone="Z2")],
              inclusion=[measure(share=0.5, needs="ASD", zones="Z1")])
    assert diverted(r) == [5.0]
    mainstream = r.placements[r.placements["provider_id"] == "MS"]
    assert mainstream[["zone_id", "need", "provision", "pupils"]].values.tolist() == [
        ["Z1", "ASD", "mainstream", 5.0]]
    assert r.summary["objective"] == pytest.approx(25 * 50_000 + 5 * 5_000, rel=REL)


def test_capital_is_paid_from_the_measures_streams_and_charged(tmp_path: Path) -> None:
    # An inclusion base: 60,000 capital (+24% optimism bias = 74,400), no running cost,
    # diverting 4 pupils a year over 2 years (saving 180,000 a year). Ring-fenced
    # capital:base money (40,000) and the general pot (50,000) arrive in 2026: it is paid
    # from both, ring-fenced first.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 2, "optimism_bias": 0.24},
              providers=PROVIDERS, demand=[demand(10)],
              budget=[{"year": 2026, "stream": "capital", "amount": 50_000},
                      {"year": 2026, "stream": "capital:base", "amount": 40_000}],
              inclusion=[measure(capital_cost=60_000, funding="capital; capital:base")])
    assert r.summary["objective"] == pytest.approx(2 * (6 * 50_000 + 4 * 5_000) + 74_400,
                                                   rel=REL)
    assert r.summary["plan"]["capital_cost"] == [74_400, 0]
    paid = r.funding.set_index("stream")["amount"].to_dict()
    assert paid == {"capital:base": 40_000, "capital": 34_400}
    assert set(r.funding["option_id"]) == {"M1"}


def test_capital_beyond_the_streams_keeps_the_measure_out(tmp_path: Path) -> None:
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
              budget=[{"year": 2026, "stream": "capital", "amount": 50_000}],
              inclusion=[measure(capital_cost=60_000)])
    assert r.summary["objective"] == pytest.approx(500_000, rel=REL)
    assert diverted(r) == [0.0]


def test_a_required_measure_runs_in_the_baseline_too(tmp_path: Path) -> None:
    # Dearer than it saves, but committed: both cases run it (SPEC §2 baseline).
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
              inclusion=[measure(annual_cost=200_000, required="yes")])
    objective = 6 * 50_000 + 4 * 5_000 + 200_000
    assert r.summary["objective"] == pytest.approx(objective, rel=REL)
    assert r.summary["baseline_objective"] == pytest.approx(objective, rel=REL)
    assert diverted(r, case="baseline") == [4.0]


def test_a_disabled_measure_or_one_outside_the_horizon_gets_no_columns(tmp_path: Path
                                                                       ) -> None:
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
              inclusion=[measure("OFF", enabled="no"),
                         measure("LATE", earliest_year=2030)])
    assert r.summary["objective"] == pytest.approx(500_000, rel=REL)
    assert r.summary["solve"]["variables"] == 2  # x at IN, u: no measure, no mainstream
    assert any("LATE can only start in 2030" in w for w in
               r.summary["provenance"]["warnings"])


@pytest.mark.parametrize(("row", "cell", "message"), [
    ({"share": 1.5}, "Inclusion!B2", "1.5 in share is not valid; expected a number >= 0 "
     "and <= 1"),
    ({"share_low": 0.6}, "Inclusion!C2", "share_low 0.6 of measure M1 is above its share"),
    ({"share_high": 0.2}, "Inclusion!C2", "share_high 0.2 of measure M1 is below its share"),
    ({"to_provision": "bespoke"}, "Inclusion!C2", "unknown provision level 'bespoke'"),
    ({"from_provision": "mainstream", "to_provision": "mainstream"}, "Inclusion!D2",
     "the same provision level"),
    ({"zones": "Z1; Z9"}, "Inclusion!C2", "unknown zone 'Z9'"),
    ({"needs": "ASD; XYZ"}, "Inclusion!C2", "unknown need 'XYZ'"),
    ({"phases": "year7"}, "Inclusion!C2", "unknown phase 'year7'"),
    ({"measure_id": "IN"}, "Inclusion!A2", "measure_id 'IN' is also a provider_id"),
    ({"funding": "capital:grant"}, "Inclusion!C2", "funding stream 'capital:grant' has no "
     "rows in the Budget sheet"),
    ({"earliest_year": 2027, "latest_year": 2026}, "Inclusion!D2", "latest_year 2026 is "
     "before earliest_year 2027"),
])
def test_wrong_measures_are_located_errors(tmp_path: Path, row: dict[str, Any], cell: str,
                                           message: str) -> None:
    path = tiny_workbook(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
                         inclusion=[{**measure(), **row}])
    assert _errors(path) and any(p.where == cell and message in p.message
                                 for p in _errors(path)), _errors(path)


def test_a_level_no_provider_can_meet_is_a_located_error(tmp_path: Path) -> None:
    # Mainstream demand may go only to resourced provision here, and there is none.
    path = tiny_workbook(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
                         suitability=[{"provision": "mainstream", "types": "resourced"}],
                         inclusion=[measure(to_provision="mainstream")])
    assert [(p.where, p.message[:46]) for p in _errors(path)] == [
        ("Inclusion!C2", "no provider can take the pupils measure M1 div")]


def _errors(path: Path) -> list:
    with pytest.raises(InputError) as caught:
        plan(path)
    return caught.value.errors


# --- Uncertain effect: `batch --samples` draws each share from its evidence range -------


def test_share_samples_are_beta_pert_within_the_range_and_reproducible() -> None:
    from placeopt.batches.uncertainty import ShareSample

    draws = np.array([ShareSample(7, i).draw("M1", 0.2, 0.1, 0.5) for i in range(1, 2001)])
    assert draws.min() >= 0.1 and draws.max() <= 0.5
    # beta-PERT: mean (low + 4 mode + high) / 6 = 0.2333
    assert draws.mean() == pytest.approx(0.2333, abs=0.005)
    assert ShareSample(7, 3).draw("M1", 0.2, 0.1, 0.5) == draws[2]
    assert ShareSample(7, 3).draw("M2", 0.2, 0.1, 0.5) != draws[2]  # its own draw
    assert ShareSample(7, 3).draw("M1", 0.2, 0.2, 0.2) == 0.2  # no range: as given


def test_a_batch_of_samples_shows_how_often_each_measure_is_funded(tmp_path: Path) -> None:
    # Share 0.3 in [0.05, 0.6]: the team (90,000 a year) pays for itself once it diverts
    # 2 pupils (45,000 saved each), so it is funded when the draw reaches 0.2.
    from placeopt.batches.run import run_batch

    path = tiny_workbook(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
                         inclusion=[measure(share=0.3, share_low=0.05, share_high=0.6,
                                            annual_cost=90_000)])
    result = run_batch(path, tmp_path / "batch", samples=8, seed=1, jobs=1, reports=False)
    assert result.table["status"].eq("optimal").all()
    samples = result.table[result.table["sample"].notna()]  # not the central case
    assert len(samples) == 8
    shares = [json.loads((Path(f) / "summary.json").read_text())["inclusion"]["M1"]["share"]
              for f in samples["folder"]]
    funded = result.options.set_index("option_id").at["M1", "built_share"]
    assert funded == pytest.approx(np.mean(np.array(shares) >= 0.2))
    assert 0 < funded < 1  # the range straddles the break-even share


# --- Results and reports ----------------------------------------------------------------


def test_the_reports_give_the_measures_a_section_beside_the_capital_programme(
        tmp_path: Path) -> None:
    from placeopt.report.folder import read_folder
    from placeopt.run import write_results

    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
              inclusion=[measure("TEAM", annual_cost=20_000, name="Outreach"),
                         measure("DEAR", annual_cost=200_000)])
    folder = write_results(r, tmp_path / "out")
    data = read_folder(folder)
    assert set(data.inclusion["measure_id"]) == {"TEAM", "DEAR"}
    assert list(data.inclusion.columns) == ["year", "measure_id", "name", "running",
                                            "start_year", "effect", "pupils_diverted",
                                            "annual_cost", "support_cost", "capital_cost",
                                            "case"]
    book = openpyxl.load_workbook(folder / "report.xlsx")
    assert book.sheetnames[2:4] == ["Capital programme", "Inclusion measures"]
    text = " ".join(str(c) for row in book["Inclusion measures"].iter_rows(values_only=True)
                    for c in row if c is not None)
    assert "TEAM (Outreach) is funded from 2026" in text
    assert "£5,000 per pupil-year on top of the mainstream place" in text  # 20,000 / 4
    assert "DEAR is not funded: funded from its first possible year, the plan's NPV " \
           "would fall by £20,000" in text
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<h2>Inclusion measures</h2>" in page
    assert page.index("<h2>Capital programme</h2>") < page.index("<h2>Inclusion measures</h2>")


def test_a_measures_worth_within_its_tolerance_is_not_shown_as_a_value(
        tmp_path: Path) -> None:
    # Each measure diverts 4 of the 10 new pupils (share 0.4), saving 45,000 each; TEAM
    # costs 20,000 to run: without it the plan loses 4 x 45,000 - 20,000 = 160,000. With
    # a give-or-take of 200,000 (as a run at a looser gap might report) that cannot be
    # told from zero, as a project's value would not be; BIG's (gap 0) is shown.
    from placeopt.report import inclusion as ri
    from placeopt.report import write_reports
    from placeopt.report.capital import WITHIN
    from placeopt.report.folder import read_folder
    from placeopt.run import write_results

    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
              inclusion=[measure("TEAM", annual_cost=20_000), measure("BIG")])
    folder = write_results(r, tmp_path / "out", reports=False)
    summary = json.loads((folder / "summary.json").read_text())
    summary["inclusion"]["TEAM"]["value_gap"] = 200_000.0
    (folder / "summary.json").write_text(json.dumps(summary))
    write_reports(folder)
    data = read_folder(folder)
    worth = ri.worth_table(data).frame.set_index("Measure")
    team = summary["inclusion"]["TEAM"]["npv_if_dropped"]
    assert team == pytest.approx(160_000)
    assert worth.at["TEAM", "NPV lost if dropped"] == WITHIN
    assert worth.at["BIG", "NPV lost if dropped"] == pytest.approx(
        summary["inclusion"]["BIG"]["npv_if_dropped"])
    text = " ".join(ri.measure_sentences(data))
    assert "NPV would change by no more than the solver's tolerance (£200,000)" in text
    sheet = openpyxl.load_workbook(folder / "report.xlsx")["Inclusion measures"]
    assert WITHIN in {c for row in sheet.iter_rows(values_only=True) for c in row}


def test_without_an_inclusion_sheet_there_is_no_inclusion_csv(tmp_path: Path) -> None:
    from placeopt.run import write_results

    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)])
    assert r.inclusion is None and "inclusion" not in r.summary
    folder = write_results(r, tmp_path / "out", reports=False)
    assert not (folder / "inclusion.csv").exists()
    assert r.summary["plan"]["inclusion_cost"] == [0.0]


def test_a_scenario_may_change_a_share_whose_range_is_blank(tmp_path: Path) -> None:
    # share 0.4, no range given; scenario more_effect scales it to 0.6: 6 diverted.
    path = tiny_workbook(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(10)],
                         inclusion=[measure(annual_cost=20_000)])
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("Scenarios")
    sheet.append(["scenario", "sheet", "column", "filter", "operation", "value"])
    sheet.append(["more_effect", "Inclusion", "share", None, "scale", 1.5])
    book.save(path)
    r = plan(path, "more_effect")
    assert diverted(r) == [6.0]
    assert r.summary["inclusion"]["M1"]["share_range"] == pytest.approx([0.6, 0.6])


def test_options_and_measures_share_the_default_time_for_values(tmp_path: Path,
                                                                 monkeypatch) -> None:
    """By default the options' values and the measures' share one time, about the plan's
    own: once the options' have used it, the measures' are left, and the status says why
    and how to ask for them."""
    monkeypatch.setattr("placeopt.model.project_values.default_budget", lambda _s: 0.0)
    expansion = {"option_id": "E1", "provider_id": "SP", "places": 5, "capital_cost": 1_000}
    providers = PROVIDERS + [{"provider_id": "SP", "type": "special", "capacity": 0,
                              "annual_cost_per_place": 20_000}]
    r = solve(tmp_path / "t.xlsx", providers=providers, demand=[demand(10)],
              expansions=[expansion], inclusion=[measure(annual_cost=20_000)])
    assert r.summary["project_values"]["status"] == "computed"  # one option: one value
    status = r.summary["inclusion_values"]["status"]
    assert status.startswith("skipped: the default time for values"), status
    assert "--project-values values them all" in status
    assert r.summary["inclusion"]["M1"]["npv_if_dropped"] is None
