"""The capital programme curve on the worked example."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from placeopt.cli import main
from placeopt.frontier import frontier
from placeopt.run import plan
from placeopt.workbook.template import write_template


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("frontier") / "example.xlsx", example=True)


def test_frontier_runs_from_required_spend_to_the_plan(example: Path) -> None:
    table = frontier(example, points=5, mip_gap=0.0)
    summary = plan(example, mip_gap=0.0).summary
    required_spend = sum(summary["baseline"]["capital_cost"])
    assert len(table) == 5
    assert table["capital_budget"].iloc[0] == pytest.approx(required_spend)
    assert table["capital_spent"].iloc[0] == pytest.approx(required_spend)
    assert table["npv"].iloc[0] == pytest.approx(0.0, abs=1.0)
    assert table["capital_budget"].iloc[-1] == pytest.approx(sum(summary["plan"]["capital_cost"]))
    assert table["npv"].iloc[-1] == pytest.approx(summary["savings"]["npv"], rel=1e-6)
    assert (table["capital_spent"] <= table["capital_budget"] + 1e-6).all()
    assert table["npv"].is_monotonic_increasing
    assert table["n_options"].iloc[-1] > table["n_options"].iloc[0]


def test_frontier_command_writes_csv_xlsx_and_svg(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "front"
    result = CliRunner().invoke(main, ["frontier", str(example), "-o", str(out),
                                       "--points", "3"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "frontier.csv")
    assert list(table.columns[:3]) == ["capital_budget", "capital_spent", "options_built"]
    assert (out / "frontier.xlsx").stat().st_size > 0
    assert (out / "frontier.svg").read_text().lstrip().startswith("<?xml")
    import openpyxl

    sheet = openpyxl.load_workbook(out / "frontier.xlsx")["Frontier"]
    assert len(sheet._charts) == 1
