"""Exit codes of SPEC §3 for what goes wrong around a workbook, through the real CLI:
a wrong argument is a usage error (2), a bug of ours is an internal error (4) that says
how to report it, and neither prints a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, valid_sheets, write_workbook

from placeopt import case


def _with_a_scenario(tmp_path: Path) -> Path:
    sheets = valid_sheets()
    sheets["Scenarios"] = [["scenario", "sheet", "column", "filter", "operation", "value"],
                           ["growth", "Demand", "*", None, "scale", 1.1]]
    return write_workbook(tmp_path / "s.xlsx", sheets)


@pytest.mark.parametrize("command", ["run", "frontier"])
def test_an_unknown_scenario_is_a_usage_error_listing_the_scenarios(tmp_path: Path,
                                                                   command: str) -> None:
    out = tmp_path / "out"
    result = run_cli(command, _with_a_scenario(tmp_path), "--scenario", "growht", "-o", out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert ("Invalid value for --scenario: no scenario named 'growht'; the workbook has "
            "base, growth") in result.output
    assert not out.exists()


def test_a_scenario_name_matches_ignoring_case(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("run", _with_a_scenario(tmp_path), "--scenario", "GROWTH", "-o", out,
                     "--quiet")
    assert result.exit_code == 0, result.output


def test_a_workbook_with_errors_is_still_an_input_error_whatever_the_scenario(
        tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["Providers"][1][8] = "forty"  # Providers!I2, capacity
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    result = run_cli("run", path, "--scenario", "nope")
    assert result.exit_code == 1, result.output
    assert "ERROR Providers!I2: 'forty' in capacity is not valid" in result.output


@pytest.mark.parametrize("command", ["validate", "run", "frontier"])
def test_a_path_that_is_a_folder_is_a_usage_error(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "plan.xlsx"
    folder.mkdir()
    result = run_cli(command, folder)
    assert result.exit_code == 2, result.output
    assert "is a directory" in result.output


def test_a_file_that_exists_but_is_not_a_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("zone_id,name\n")
    result = run_cli("validate", path)
    assert result.exit_code == 1, result.output
    assert "ERROR plan.txt: a CSV or text file, not an Excel workbook" in result.output


def _a_bug(*_args, **_kwargs):
    raise RuntimeError("something placeopt did not expect")


def test_an_internal_error_exits_4_saying_how_to_report_it(
        valid_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case, "check_workbook", _a_bug)
    result = run_cli("validate", valid_path)
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output
    assert "Internal error in placeopt" in result.output
    assert "(RuntimeError: something placeopt did not expect)" in result.output
    assert "This is a bug in placeopt, not a problem with your workbook" in result.output
    assert "--debug" in result.output and "report it" in result.output


def test_debug_shows_the_traceback_of_an_internal_error(
        valid_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case, "check_workbook", _a_bug)
    with pytest.raises(RuntimeError, match="something placeopt did not expect"):
        run_cli("--debug", "validate", valid_path)
