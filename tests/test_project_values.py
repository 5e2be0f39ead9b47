"""What each project is worth (model/project_values.py), on tiny instances solved by hand.

Unless a test says otherwise (tests/tiny.py): one zone, first year 2026, discount 0,
capital upfront, mip_gap 0, journeys 10 minutes and transport £0. SP is a special school
with no places of its own (£20,000 a pupil-year), IN an INMSS (£50,000, unlimited).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tiny import built, solve

from placeopt.report import capital, read_folder, write_reports
from placeopt.report.capital import WITHIN, Worth, ranks
from placeopt.run import write_results

REL = 1e-6
PROVIDERS = [{"provider_id": "SP", "type": "special", "capacity": 0,
              "annual_cost_per_place": 20_000},
             {"provider_id": "IN", "type": "inmss", "in_area": "no",
              "annual_cost_per_place": 50_000}]


def demand(pupils: Any) -> dict[str, Any]:
    return {"zone_id": "Z1", "need": "ASD", "phase": "secondary", "provision": "special",
            "pupils": pupils}


def option(oid: str, places: float, capital: float, **more: Any) -> dict[str, Any]:
    return {"option_id": oid, "provider_id": "SP", "places": places, "capital_cost": capital,
            **more}


def values(results) -> dict[str, dict[str, Any]]:
    table = results.expansions.set_index("option_id")
    return {o: {c: (None if table.at[o, c] != table.at[o, c] else float(table.at[o, c]))
                for c in ("npv_if_dropped", "npv_if_forced", "value_gap",
                          "entry_capital_cost")} for o in table.index}


def test_each_built_option_is_worth_what_dropping_it_alone_loses(tmp_path: Path) -> None:
    # Demand 2, one year. A (1 place, £1,000) and B (1 place, £10,000) each move a pupil
    # from IN to SP: a saving of 30,000 each. Plan: both; objective 11,000 + 40,000 =
    # 51,000; baseline 100,000: npv 49,000.
    # Without A: B only, objective 10,000 + 20,000 + 50,000 = 80,000, npv 20,000: A is
    # worth 29,000 (= 30,000 - 1,000). Without B: A only, objective 1,000 + 70,000 =
    # 71,000, npv 29,000: B is worth 20,000 (= 30,000 - 10,000).
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(2)],
              expansions=[option("A", 1, 1_000), option("B", 1, 10_000)])
    assert built(r) == {"A": 2026, "B": 2026}
    assert r.summary["savings"]["npv"] == pytest.approx(49_000, rel=REL)
    got = values(r)
    assert got["A"] == {"npv_if_dropped": pytest.approx(29_000, rel=REL),
                        "npv_if_forced": None, "value_gap": 0.0, "entry_capital_cost": None}
    assert got["B"]["npv_if_dropped"] == pytest.approx(20_000, rel=REL)
    project = r.summary["project_values"]
    assert project["status"] == "computed"
    assert set(project["solves"]) == {"A", "B"}
    assert all(s["check"]["passed"] for s in project["solves"].values())
    assert project["solves"]["A"]["case"] == "dropped"
    assert r.summary["solve"]["timings"]["project_values"] >= 0


def test_an_option_left_out_shows_its_cost_if_forced_and_its_entry_price(
        tmp_path: Path) -> None:
    # Demand 1, 2 years. C (1 place, £70,000) would save 30,000 a year: 60,000 < 70,000,
    # so it is left out. Forced in (opening 2026): npv 60,000 - 70,000 = -10,000.
    # It would be built at a capital cost of at most 70,000 - 10,000 / 1 = 60,000.
    r = solve(tmp_path / "t.xlsx", params={"horizon_years": 2}, providers=PROVIDERS,
              demand=[demand(1)], expansions=[option("C", 1, 70_000)])
    assert built(r) == {}
    got = values(r)["C"]
    assert got["npv_if_dropped"] is None
    assert got["npv_if_forced"] == pytest.approx(-10_000, rel=REL)
    assert got["entry_capital_cost"] == pytest.approx(60_000, rel=REL)
    # ... and at 59,000 it is built.
    cheaper = solve(tmp_path / "u.xlsx", params={"horizon_years": 2}, providers=PROVIDERS,
                    demand=[demand(1)], expansions=[option("C", 1, 59_000)])
    assert built(cheaper) == {"C": 2026}


def test_forcing_an_option_of_a_group_shuts_the_other(tmp_path: Path) -> None:
    # Alternatives (group G): SMALL (1 place, £1,000) and BIG (2 places, £45,000); demand 2.
    # Plan: SMALL, objective 1,000 + 20,000 + 50,000 = 71,000 (BIG: 45,000 + 40,000 =
    # 85,000; baseline 100,000). npv 29,000. BIG forced in (SMALL shut): npv 15,000: -14,000.
    # Entry price: 45,000 - 14,000 = 31,000 (below it BIG beats SMALL).
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(2)],
              expansions=[option("SMALL", 1, 1_000, group="G"),
                          option("BIG", 2, 45_000, group="G")])
    assert built(r) == {"SMALL": 2026}
    got = values(r)
    assert got["SMALL"]["npv_if_dropped"] == pytest.approx(29_000 - 15_000, rel=REL)
    assert got["BIG"]["npv_if_forced"] == pytest.approx(-14_000, rel=REL)
    assert got["BIG"]["entry_capital_cost"] == pytest.approx(31_000, rel=REL)


def test_an_option_that_cannot_be_paid_for_is_said_not_valued(tmp_path: Path) -> None:
    # D (£100) may only use capital:grant (£50): forcing it in is infeasible.
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(1)],
              expansions=[option("D", 1, 100, funding="capital:grant")],
              budget=[{"year": 2026, "stream": "capital:grant", "amount": 50}])
    assert built(r) == {}
    assert values(r)["D"]["npv_if_forced"] is None
    assert r.summary["project_values"]["solves"]["D"]["status"] == \
        "cannot be built: no plan can include it (infeasible)"
    # The run goes on: the marginal values come from the plan's LP as ever.
    assert r.summary["solve"]["marginal_values"] == "optimal"


def test_required_options_and_skipping(tmp_path: Path) -> None:
    common: dict[str, Any] = {"providers": PROVIDERS, "demand": [demand(2)],
                              "expansions": [option("R", 1, 100, required="yes"),
                                             option("A", 1, 1_000)]}
    r = solve(tmp_path / "t.xlsx", **common)
    assert set(r.summary["project_values"]["solves"]) == {"A"}  # R is in the baseline too
    assert values(r)["R"] == dict.fromkeys(("npv_if_dropped", "npv_if_forced", "value_gap",
                                            "entry_capital_cost"))
    from tiny import tiny_workbook

    from placeopt.run import plan

    skipped = plan(tiny_workbook(tmp_path / "s.xlsx", **common), project_values=False)
    assert skipped.summary["project_values"]["status"] == "skipped (--no-project-values)"
    assert skipped.expansions["npv_if_dropped"].isna().all()
    assert skipped.summary["objective"] == r.summary["objective"]


def test_long_valuations_are_done_only_on_request(tmp_path: Path, monkeypatch) -> None:
    """By default values take at most about the plan's own solve time, measured as they
    run: past it the rest are left, and the status says how many were valued and how to
    ask for all; `project_values=True` (--project-values) computes them all."""
    monkeypatch.setattr("placeopt.model.project_values.default_budget", lambda _s: 0.0)
    n = 3
    common: dict[str, Any] = {"providers": PROVIDERS, "demand": [demand(n)],
                              "expansions": [option(f"O{i}", 1, 1_000 + i) for i in range(n)]}
    r = solve(tmp_path / "t.xlsx", **common)
    status = r.summary["project_values"]["status"]
    # With no time to spare, one value is computed (the first option the plan builds),
    # the rest are left.
    assert status.startswith(f"partly computed: 1 of {n} options valued"), status
    assert "--project-values values them all" in status
    valued = r.expansions["npv_if_dropped"].notna() | r.expansions["npv_if_forced"].notna()
    assert valued.sum() == 1
    from tiny import tiny_workbook

    from placeopt.run import plan

    said: list[str] = []
    forced = plan(tiny_workbook(tmp_path / "f.xlsx", **common), project_values=True,
                  progress=said.append)
    assert forced.summary["project_values"]["status"] == "computed"
    assert forced.expansions["npv_if_dropped"].notna().all()
    assert f"Valuing each project: {n} more solves..." in said  # the progress says so


def test_reports_show_the_project_list_and_read_old_folders(tmp_path: Path) -> None:
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(2)],
              expansions=[option("A", 1, 1_000), option("B", 1, 10_000),
                          option("C", 1, 90_000), option("D", 1, 100, funding="capital:g")],
              budget=[{"year": 2026, "stream": "capital:g", "amount": 50}])
    folder = write_results(r, tmp_path / "out", reports=True)
    data = read_folder(folder)
    table = capital.project_values(data)
    assert list(table.frame["Option"]) == ["A", "B", "C", "D"]  # built by value, then out
    # C forced in takes B's place (it saves the same for far more capital).
    assert list(table.frame["Note"]) == ["", "", "substitutes: see A", "cannot be built"]
    assert "D: cannot be built: no plan can include it (infeasible)." in (
        capital.project_values_notes(data))
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "What each project is worth" in page
    import openpyxl

    ws = openpyxl.load_workbook(folder / "report.xlsx")["Project values"]
    assert "What each project is worth (NPV, £)" in [
        "".join(run.t for p in c.title.tx.rich.p for run in (p.r or [])) for c in ws._charts]
    # A folder from before project values and funding streams: the reports still write.
    expansions = data.expansions.drop(columns=list(capital.PROJECT_VALUE_COLUMNS))
    expansions.to_csv(folder / "expansions.csv", index=False)
    (folder / "funding.csv").unlink()
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("project_values", "funding"):
        summary.pop(key)
    for key in ("capital_charge", "residual_value"):
        summary["savings"].pop(key)
    (folder / "summary.json").write_text(json.dumps(summary))
    write_reports(folder)
    old = (folder / "report.html").read_text(encoding="utf-8")
    assert "not computed for this run (a result folder from an older placeopt)" in old


def test_options_that_substitute_for_each_other_are_said_to(tmp_path: Path) -> None:
    """Issue 19: when dropping one option brings in another instead, the figure is the
    worth of the swap, and the report says so; equal figures share a rank."""
    # Demand 2, one year. U1, U2: 1 place each for £1,000; SCH: 2 places for £5,000.
    # Plan: U1 and U2, objective 2,000 + 40,000 = 42,000 (baseline 100,000: npv 58,000).
    # Without U1: SCH (5,000 + 40,000 = 45,000) beats U2 alone (1,000 + 20,000 + 50,000 =
    # 71,000), so U2 goes too: U1 is worth 58,000 - 55,000 = 3,000, as is U2; SCH forced
    # in replaces both: -3,000.
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(2)],
              expansions=[option("U1", 1, 1_000), option("U2", 1, 1_000),
                          option("SCH", 2, 5_000)])
    assert built(r) == {"U1": 2026, "U2": 2026}
    got = values(r)
    assert got["U1"]["npv_if_dropped"] == pytest.approx(3_000, rel=REL)
    assert got["U2"]["npv_if_dropped"] == pytest.approx(3_000, rel=REL)
    assert got["SCH"]["npv_if_forced"] == pytest.approx(-3_000, rel=REL)
    solves = r.summary["project_values"]["solves"]
    assert (solves["U1"]["builds_instead"], solves["U1"]["drops_too"]) == (["SCH"], ["U2"])
    assert (solves["SCH"]["builds_instead"], solves["SCH"]["drops_too"]) == ([], ["U1", "U2"])
    data = read_folder(write_results(r, tmp_path / "out", reports=False))
    table = capital.project_values(data).frame.set_index("Option")
    assert list(table["Rank"]) == ["=1", "=1", ""]
    assert set(table["Note"]) == {"substitutes: see A"}
    notes = capital.project_values_notes(data)
    assert ("A. Without any one of U1 and U2, the plan builds SCH instead of all 2; built, "
            "SCH takes the place of all 2. Each of these figures is the worth of that whole "
            "swap, not of one option alone, so they do not add up.") in notes


def test_ranks_only_where_figures_differ_by_more_than_their_tolerance() -> None:
    def worth(option: str, value: float, gap: float | None) -> Worth:
        return Worth(option, True, value, gap, "optimal")

    found = [worth("A", 2_500_000, 330_000), worth("B", 2_400_000, 360_000),
             worth("C", 1_000_000, 330_000), worth("D", 600_000, 380_000),
             worth("E", 300_000, 300_000), worth("F", 250_000, None)]
    # A and B are within each other's tolerance: both first. C is surely below both;
    # D overlaps C. E is its own tolerance (not a value) and F's tolerance is unknown:
    # neither is ranked.
    assert ranks(found) == {"A": "=1", "B": "=1", "C": "=3", "D": "=3"}
    assert not found[4].distinct and found[3].distinct


def test_a_figure_no_larger_than_its_tolerance_is_not_shown_as_a_value(
        tmp_path: Path) -> None:
    r = solve(tmp_path / "t.xlsx", providers=PROVIDERS, demand=[demand(2)],
              expansions=[option("A", 1, 1_000), option("B", 1, 10_000)])
    folder = write_results(r, tmp_path / "out", reports=False)
    expansions = read_folder(folder).expansions
    expansions.loc[expansions["option_id"] == "B", "value_gap"] = 20_000  # = its value
    expansions.to_csv(folder / "expansions.csv", index=False)
    table = capital.project_values(read_folder(folder)).frame.set_index("Option")
    assert table.at["B", "NPV lost if dropped"] == WITHIN and table.at["B", "Rank"] == ""
    assert table.at["A", "NPV lost if dropped"] == pytest.approx(29_000, rel=REL)
    assert table.at["A", "Rank"] == "1"
