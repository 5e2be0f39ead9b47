"""The capital programme curve: on the worked example, and past today's budget on a tiny
instance solved by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from tiny import tiny_workbook

from placeopt.cli import main
from placeopt.frontier import MaxCapitalTooLow, frontier
from placeopt.run import plan
from placeopt.workbook.template import write_template


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("frontier") / "example.xlsx", example=True)


def test_frontier_runs_from_required_spend_past_todays_budget(example: Path) -> None:
    table = frontier(example, points=5, mip_gap=0.0)
    summary = plan(example, mip_gap=0.0, project_values=False).summary
    required_spend = sum(summary["baseline"]["capital_cost"])
    assert table["capital_budget"].iloc[0] == pytest.approx(required_spend)
    assert table["capital_spent"].iloc[0] == pytest.approx(required_spend)
    # The baseline's own programme is worth nothing over itself: within the solvers'
    # tolerance of zero, every figure of it is zero (issue 19: not "NPV £8.78").
    first = table.iloc[0]
    assert (first["npv"], first["revenue_saving"], first["out_of_area_saving"]) == (0, 0, 0)
    assert first["tolerance"] >= 1e-6 * summary["baseline_objective"] - 0.005  # in pence
    # Today's budget (the Budget sheet's capital, £24m) is a point of its own: the plan.
    today = table[table["today"] == "yes"]
    assert len(today) == 1 and len(table) == 6
    assert today["capital_budget"].iloc[0] == pytest.approx(24_000_000)
    assert today["capital_spent"].iloc[0] == pytest.approx(sum(summary["plan"]["capital_cost"]))
    assert today["npv"].iloc[0] == pytest.approx(summary["savings"]["npv"], rel=1e-6)
    assert today["extra_capital"].iloc[0] == 0
    # Past it, more capital (arriving in the first year) buys more NPV.
    beyond = table[table["capital_budget"] > 24_000_000]
    assert len(beyond) and (beyond["npv"] > today["npv"].iloc[0]).all()
    assert (beyond["extra_capital"] == beyond["capital_budget"] - 24_000_000).all()
    assert (table["capital_spent"] <= table["capital_budget"] + 1e-6).all()
    assert table["npv"].is_monotonic_increasing
    assert table["n_options"].iloc[-1] > table["n_options"].iloc[0]


def _two_options(path: Path, capital: float | None = 100, years: int = 1,
                 **option: Any) -> Path:
    # Demand 2, one year. A (1 place, £100) saves 30,000; B (1 place, £100) saves
    # 20,000 (its school costs £30,000). Capital today: £100 (general pot) a year.
    return tiny_workbook(
        path, params={"horizon_years": years},
        providers=[{"provider_id": "SP", "type": "special", "capacity": 0,
                          "annual_cost_per_place": 20_000},
                         {"provider_id": "SP2", "type": "special", "capacity": 0,
                          "annual_cost_per_place": 30_000},
                         {"provider_id": "IN", "type": "inmss", "in_area": "no",
                          "annual_cost_per_place": 50_000}],
        demand=[{"zone_id": "Z1", "need": "ASD", "phase": "secondary",
                 "provision": "special", "pupils": 2}],
        expansions=[{"option_id": "A", "provider_id": "SP", "places": 1,
                     "capital_cost": 100, **option},
                    {"option_id": "B", "provider_id": "SP2", "places": 1,
                     "capital_cost": 100, **option}],
        budget=[] if capital is None else [{"year": 2026 + k, "stream": "capital",
                                            "amount": capital} for k in range(years)])


def _rows(table: pd.DataFrame) -> list[tuple[Any, ...]]:
    return list(table[["capital_budget", "capital_spent", "options_built", "npv", "today",
                       "extra_capital"]].itertuples(index=False, name=None))


def test_the_curve_shows_what_more_capital_would_buy(tmp_path: Path) -> None:
    # Today (£100): A only, npv 30,000 - 100 = 29,900. With no limit on the pot, both
    # (£200): the default top. npv 50,000 - 200 = 49,800.
    table = frontier(_two_options(tmp_path / "t.xlsx"), points=3)
    assert _rows(table) == [(0.0, 0.0, "", 0.0, "no", 0.0),
                            (100.0, 100.0, "A", 29_900.0, "yes", 0.0),
                            (200.0, 200.0, "A;B", 49_800.0, "no", 100.0)]
    # A chosen top: £150 buys nothing more than today's £100.
    table = frontier(_two_options(tmp_path / "u.xlsx"), points=2, max_capital=150)
    assert _rows(table) == [(0.0, 0.0, "", 0.0, "no", 0.0),
                            (100.0, 100.0, "A", 29_900.0, "yes", 0.0),
                            (150.0, 100.0, "A", 29_900.0, "no", 50.0)]
    with pytest.raises(MaxCapitalTooLow, match="must reach"):
        frontier(_required(tmp_path / "r.xlsx"), max_capital=50)


def test_the_default_top_affords_the_unlimited_programme_in_time(tmp_path: Path) -> None:
    # Two years; A and B may open in 2026 only; £100 of capital in each year (today:
    # £200). With no limit both open in 2026, £100 more than 2026 holds: so the top is
    # £200 + £100 = £300, where both are built (not £200, where only A is).
    # npv: A 2 x 30,000 - 100 = 59,900; both 2 x 50,000 - 200 = 99,800.
    table = frontier(_two_options(tmp_path / "t.xlsx", years=2, latest_year=2026), points=2)
    assert _rows(table) == [(0.0, 0.0, "", 0.0, "no", 0.0),
                            (200.0, 100.0, "A", 59_900.0, "yes", 0.0),
                            (300.0, 200.0, "A;B", 99_800.0, "no", 100.0)]


def _required(path: Path) -> Path:
    """Two options as above, both committed: the curve cannot start below their £200."""
    return _two_options(path, capital=None, required="yes")


def test_without_capital_rows_the_curve_ends_at_the_plan(tmp_path: Path) -> None:
    # No capital rows: no limit on the general pot, no today's budget to mark.
    table = frontier(_two_options(tmp_path / "t.xlsx", capital=None), points=3)
    assert _rows(table) == [(0.0, 0.0, "", 0.0, "no", 0.0),
                            (100.0, 100.0, "A", 29_900.0, "no", 0.0),
                            (200.0, 200.0, "A;B", 49_800.0, "no", 0.0)]


def test_frontier_command_writes_csv_xlsx_and_svg(tmp_path: Path) -> None:
    out = tmp_path / "front"
    result = CliRunner().invoke(main, ["frontier", str(_two_options(tmp_path / "t.xlsx")),
                                       "-o", str(out), "--points", "3", "--max-capital",
                                       "300"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "frontier.csv")
    assert list(table.columns[:3]) == ["capital_budget", "capital_spent", "options_built"]
    assert list(table["capital_budget"]) == [0, 100, 150, 300]
    assert (out / "frontier.xlsx").stat().st_size > 0
    svg = (out / "frontier.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "today's capital £0.0m" in svg
    import openpyxl

    sheet = openpyxl.load_workbook(out / "frontier.xlsx")["Frontier"]
    assert len(sheet._charts) == 1
    # The curve as steps, the programmes found as points, and today's budget marked.
    assert len(sheet._charts[0].series) == 3
    right = [c.value for c in sheet[1]].index("steps: capital budget") + 1
    steps = [(sheet.cell(r, right).value, sheet.cell(r, right + 1).value) for r in range(2, 9)]
    npv = list(table["npv"])
    assert steps == [(0, npv[0]), (100, npv[0]), (100, npv[1]), (150, npv[1]), (150, npv[2]),
                     (300, npv[2]), (300, npv[3])]

    assert sheet["B2"].number_format == "£#,##0" and sheet["E2"].number_format == "General"


def test_frontier_max_capital_below_the_committed_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["frontier", str(_required(tmp_path / "t.xlsx")),
                                       "-o", str(tmp_path / "out"), "--max-capital", "50"])
    assert result.exit_code == 2, result.output
    assert "committed options' capital (£200)" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("engine", ["direct", "pyomo"])
def test_capital_rows_are_raised_through_either_engine(tmp_path: Path, engine: str) -> None:
    """The curve past today's budget raises the general pot's capital rows in HiGHS and
    in what each solution is checked against, whichever way the model reached HiGHS."""
    from placeopt.frontier import general_pot
    from placeopt.model.formulation import formulate
    from placeopt.model.instance import compile_instance
    from placeopt.model.solve import Solver, SolverSettings
    from placeopt.workbook.reader import read_workbook

    instance = compile_instance(read_workbook(_two_options(tmp_path / "t.xlsx")))
    formulation = formulate(instance)
    model = Solver(formulation, SolverSettings(mip_gap=0.0), engine=engine)
    pot = general_pot(instance, formulation)
    assert pot is not None and pot.today == 100
    # £100: A only, 100 + 20,000 + 50,000. £100 more: both, 200 + 20,000 + 30,000.
    assert model.run("plan").objective == pytest.approx(70_100)
    model.set_rows_upper(pot.rows, pot.upper + 100)
    both = model.run("plan")
    assert both.objective == pytest.approx(50_200)
    assert both.check is not None and both.check.passed
    assert model.bounds().row_upper[pot.rows] == pytest.approx(pot.upper + 100)
