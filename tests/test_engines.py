"""The two ways into HiGHS give the same plans; the model can be written out as MPS."""

from __future__ import annotations

from pathlib import Path

import highspy
import pytest
from click.testing import CliRunner

from placeopt.cli import main
from placeopt.run import plan
from placeopt.template import write_template


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("engines") / "example.xlsx", example=True)


@pytest.mark.parametrize("scenario", ["base", "hard_budget"])
def test_direct_and_pyomo_engines_agree(example: Path, scenario: str) -> None:
    direct = plan(example, scenario, mip_gap=0.0)
    through_pyomo = plan(example, scenario, mip_gap=0.0, engine="pyomo")
    assert through_pyomo.summary["objective"] == pytest.approx(direct.summary["objective"],
                                                               rel=1e-7)
    assert through_pyomo.summary["baseline_objective"] == pytest.approx(
        direct.summary["baseline_objective"], rel=1e-7)
    assert (through_pyomo.expansions[["option_id", "built", "open_year"]]
            .equals(direct.expansions[["option_id", "built", "open_year"]]))
    assert through_pyomo.summary["solve"]["variables"] <= direct.summary["solve"]["variables"]


def test_written_model_solves_to_the_plan_objective(example: Path, tmp_path: Path) -> None:
    mps = tmp_path / "model.mps"
    result = CliRunner().invoke(main, ["run", str(example), "-o", str(tmp_path / "out"),
                                       "--gap", "0", "--write-model", str(mps), "-q"])
    assert result.exit_code == 0, result.output
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("mip_rel_gap", 0.0)
    solver.readModel(str(mps))
    solver.run()
    summary = plan(example, mip_gap=0.0).summary
    assert solver.getInfo().objective_function_value == pytest.approx(summary["objective"],
                                                                      rel=1e-6)


def test_write_model_must_be_mps(example: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(example), "--write-model",
                                       str(tmp_path / "model.lp")])
    assert result.exit_code == 2
    assert ".mps" in result.output
