"""The two ways into HiGHS give the same plans; the model can be written out as MPS."""

from __future__ import annotations

from pathlib import Path

import highspy
import pytest
from click.testing import CliRunner

from placeopt.cli import main
from placeopt.run import plan
from placeopt.workbook.template import write_template


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


@pytest.mark.parametrize("route", ["whole", "years"])
def test_time_limit_returns_the_best_plan_found_with_its_gap(example: Path, route: str) -> None:
    """A plan stopped by the time limit keeps its incumbent (here the baseline's plan, the
    warm start), reports status time_limit and the gap achieved, by either route."""
    from placeopt.model.formulation import formulate
    from placeopt.model.instance import compile_instance
    from placeopt.model.solve import Solver, SolverSettings, optional_columns
    from placeopt.workbook.reader import read_workbook

    instance = compile_instance(read_workbook(example))
    formulation = formulate(instance)
    model = Solver(formulation, SolverSettings(mip_gap=0.0, time_limit=600, route=route))
    shut = optional_columns(instance, formulation.layout)
    model.set_bounds(shut, 0 * shut, 0 * shut)
    baseline = model.run("baseline")
    model.set_bounds(shut, 0 * shut, 0 * shut + 1)
    model.set_time_limit(1e-6)
    stopped = model.run("plan", start=baseline.values)
    assert stopped.status == "time_limit"
    assert stopped.objective <= baseline.objective + 1e-6
    assert stopped.mip_gap is None or stopped.mip_gap > 0  # unknown, never a false 0
    model.set_time_limit(600.0)
    finished = model.run("plan", start=stopped.values)
    assert finished.status == "optimal"
    assert finished.objective < stopped.objective
