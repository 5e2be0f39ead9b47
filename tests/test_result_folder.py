"""Result folders (SPEC §4): what may be replaced, what is refused, and that a solved run
never loses its results to a report.

Tiny workbooks (tests/tiny.py) solve in well under a second; the folder rules are checked
through the command line, as a planner meets them, and through the Python API.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tiny import tiny_workbook

from placeopt.cli import main
from placeopt.report import FolderRefused, read_folder, staged, try_write_reports
from placeopt.run import plan, write_results

UNLOCATED = {"latitude": None, "longitude": None}
SCHOOL = {"provider_id": "P1", "type": "special", "capacity": 5, "annual_cost_per_place": 1000}
ASD = {"zone_id": "Z1", "need": "ASD", "phase": "primary", "pupils": 3}


def run_cli(*args: Any) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return tiny_workbook(tmp_path / "tiny.xlsx", providers=[SCHOOL], demand=[ASD])


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


# --- which folders may be replaced ------------------------------------------------------


def test_run_refuses_a_folder_that_is_not_a_result_folder(workbook: Path,
                                                          tmp_path: Path) -> None:
    mine = tmp_path / "my documents"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    before = set(tmp_path.iterdir())
    result = run_cli("run", workbook, "-o", mine)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "is not a placeopt result folder" in result.output
    assert "Nothing was written" in result.output
    assert listing(mine) == {"notes.txt": b"keep me"}
    assert set(tmp_path.iterdir()) == before  # no staging or retired folder left behind


def test_write_results_refuses_the_same_folder(workbook: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(FolderRefused, match="not a placeopt result folder"):
        write_results(plan(workbook), mine)
    assert listing(mine) == {"notes.txt": b"keep me"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "tiny.xlsx"]


def test_run_into_the_current_folder_is_refused(workbook: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    (here / "notes.txt").write_text("keep me")
    monkeypatch.chdir(here)
    result = run_cli("run", workbook, "-o", ".")
    assert result.exit_code == 2, result.output
    assert "current folder" in result.output
    assert listing(here) == {"notes.txt": b"keep me"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "tiny.xlsx"]


def test_a_result_folder_is_replaced_whole(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("run", workbook, "-o", out, "-q").exit_code == 0
    (out / "stale.csv").write_text("from an older run")
    result = run_cli("run", workbook, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    assert not (out / "stale.csv").exists()
    assert (out / "summary.json").exists() and (out / "report.xlsx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.xlsx"]


def test_an_empty_folder_is_used(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert run_cli("run", workbook, "-o", out, "-q").exit_code == 0
    assert (out / "summary.json").exists()


def test_a_frontier_folder_replaces_only_a_frontier_folder(tmp_path: Path) -> None:
    """Each command replaces only its own kind: a result folder is not a frontier folder."""
    result_folder = tmp_path / "result"
    result_folder.mkdir()
    (result_folder / "summary.json").write_text("{}")
    with pytest.raises(FolderRefused, match="not a placeopt frontier folder"), \
            staged(result_folder, marker="frontier.csv"):
        pass
    assert listing(result_folder) == {"summary.json": b"{}"}
    frontier_folder = tmp_path / "frontier"
    frontier_folder.mkdir()
    (frontier_folder / "frontier.csv").write_text("old")
    with staged(frontier_folder, marker="frontier.csv") as staging:
        (staging / "frontier.csv").write_text("new")
    assert listing(frontier_folder) == {"frontier.csv": b"new"}


def test_frontier_command_refuses_a_folder_of_other_files(workbook: Path,
                                                          tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "budget.xlsx").write_text("keep me")
    result = run_cli("frontier", workbook, "-o", mine, "--points", "2")
    assert result.exit_code == 2, result.output
    assert "is not a placeopt frontier folder" in result.output
    assert listing(mine) == {"budget.xlsx": b"keep me"}


def test_result_folders_follow_the_umask(workbook: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = write_results(plan(workbook), tmp_path / "out")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "summary.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "report.xlsx").stat().st_mode) == 0o644


# --- a solved run never loses its results to a report -----------------------------------


def test_a_workbook_without_locations_gets_reports_without_a_map(tmp_path: Path) -> None:
    """Journeys from TravelMatrix alone (SPEC §1): no map, and the reports say why."""
    workbook = tiny_workbook(tmp_path / "unlocated.xlsx", zones=[{"zone_id": "Z1", **UNLOCATED}],
                             providers=[{**SCHOOL, **UNLOCATED}], demand=[ASD])
    result = run_cli("run", workbook, "-o", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "No map: the workbook gives no locations" in page
    assert (tmp_path / "out" / "report.xlsx").stat().st_size > 0


def test_a_plan_that_places_nobody_gets_its_reports(tmp_path: Path) -> None:
    workbook = tiny_workbook(tmp_path / "nobody.xlsx",
                             providers=[{**SCHOOL, "needs": "SEMH"}], demand=[ASD])
    result = run_cli("run", workbook, "-o", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nobody.xlsx", "out"]
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "no suitable provider in reach" in page
    assert (tmp_path / "out" / "report.xlsx").stat().st_size > 0


def test_a_report_that_fails_is_a_warning(workbook: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("a bug in the report")

    monkeypatch.setattr("placeopt.report.html.write_html", broken)
    result = run_cli("run", workbook, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "WARNING" in result.output and "a bug in the report" in result.output
    assert "placeopt report" in result.output  # how to try again
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"summary.json", "placements.csv", "costs.csv"} <= names
    assert not names & {"report.xlsx", "report.html"}
    assert not [n for n in names if n.startswith(".")]
    assert read_folder(tmp_path / "out").summary["status"] == "optimal"


def test_try_write_reports_returns_the_failure(workbook: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = write_results(plan(workbook), tmp_path / "out", reports=False)
    assert try_write_reports(out) is None
    monkeypatch.setattr("placeopt.report.excel.write_xlsx", lambda *_: 1 / 0)
    message = try_write_reports(out)
    assert message is not None and "ZeroDivisionError" in message


# --- placeopt report on folders that are not result folders ----------------------------


def test_report_on_a_folder_that_is_not_a_result_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = run_cli("report", tmp_path)
    assert result.exit_code == 2, result.output
    assert "not a placeopt result folder" in result.output
    assert "workbook" not in result.output
    assert listing(tmp_path) == {"notes.txt": b"hello"}


def test_report_on_a_result_folder_with_a_table_missing(workbook: Path,
                                                        tmp_path: Path) -> None:
    out = write_results(plan(workbook), tmp_path / "out", reports=False)
    (out / "capacity.csv").unlink()
    result = run_cli("report", out)
    assert result.exit_code == 1, result.output
    assert "capacity.csv is missing" in result.output
    assert "workbook was not accepted" not in result.output
    assert "result folder is incomplete" in result.output


def test_report_on_a_folder_whose_summary_is_not_json(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text("{not json")
    result = run_cli("report", tmp_path)
    assert result.exit_code == 1, result.output
    assert "summary.json is not valid JSON" in result.output


@pytest.mark.parametrize("status", ["infeasible", "error", "interrupted"])
def test_report_on_a_run_without_a_plan(tmp_path: Path, status: str) -> None:
    """A failed solve leaves summary.json with its status and explanation, and no CSVs."""
    summary = {"placeopt_version": "x", "workbook": "w.xlsx", "scenario": "base",
               "status": status, "explanation": "demand and capacity conflict in 2027",
               "years": [2026, 2027]}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    result = run_cli("report", tmp_path)
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert f"no plan to report: the run ended with status '{status}'" in result.output
    assert "demand and capacity conflict in 2027" in result.output
    assert listing(tmp_path) == {"summary.json": json.dumps(summary).encode()}
