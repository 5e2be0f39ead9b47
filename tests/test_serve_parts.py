"""The page's parts, in this process: where a problem is, what a run executes, how its
end is read, what a request may ask for, and that a bug never shows a traceback."""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path

import anyio
import httpx
import pytest
from click.testing import CliRunner
from serve_server import NORTHBRIDGE

from placeopt.cli import main
from placeopt.problems import Problem
from placeopt.serve import app as page
from placeopt.serve.forms import run_request
from placeopt.serve.jobs import command, cores_wanted, outcome, plain_lines
from placeopt.serve.runs import Request, RunRecord, RunStore, workbook_name
from placeopt.serve.uploads import Refused, located, problem_json


@pytest.mark.parametrize(("where", "sheet", "cell"), [
    ("Providers!F12", "Providers", "F12"),
    ("Providers!1:1", "Providers", "1:1"),
    ("Zones!C1:D1", "Zones", "C1:D1"),
    ("'My sheet'!A1", "My sheet", "A1"),
    ("'Bob''s'!B2", "Bob's", "B2"),
    ("Demand row 7", "Demand", "row 7"),
    ("Scenarios", "Scenarios", None),
    ("workbook", None, None),
])
def test_a_problem_is_located_by_sheet_and_cell(where: str, sheet: str | None,
                                                cell: str | None) -> None:
    assert located(where) == (sheet, cell)


def test_a_problem_keeps_every_field_validation_gives_it() -> None:
    @dataclasses.dataclass(frozen=True)
    class Grouped(Problem):  # as validation may come to say: a root cause and its count
        consequences: int = 0

    shown = problem_json(Grouped("error", "Demand!A2", "no zone Z9", count=3, consequences=41))
    assert shown == {"level": "error", "where": "Demand!A2", "message": "no zone Z9",
                     "family": "", "count": 3, "consequences": 41, "sheet": "Demand",
                     "cell": "A2", "times": 3}
    tally = Problem("error", "Demand", "and 1,520 more rows", family="rows", count=1520)
    assert problem_json(tally)["times"] == 1  # the count is in its words


def test_the_log_shown_has_no_tracebacks() -> None:
    lines = ["Solving the plan by years...", "Process SpawnProcess-1:",
             "Traceback (most recent call last):", '  File "x.py", line 1, in <module>',
             "    raise KeyboardInterrupt", "KeyboardInterrupt", "Interrupted: the finished"]
    assert plain_lines(lines) == ["Solving the plan by years...", "Interrupted: the finished"]


def test_each_kind_of_run_is_the_command_lines_command() -> None:
    run_id = "20260101-000000-abcdef"
    book = f".runs/{run_id}/{run_id}.xlsx"
    assert command(Request("run", scenario="base"), run_id) == [
        "run", book, "-o", run_id, "--scenario=base"]
    assert command(Request("batch", scenarios=("base", "high")), run_id, jobs=2) == [
        "batch", book, "-o", run_id, "--scenarios=base,high", "--jobs=2"]
    assert command(Request("samples", scenario="base", samples=50), run_id, jobs=2) == [
        "batch", book, "-o", run_id, "--scenarios=base", "--samples=50", "--jobs=2"]
    assert command(Request("frontier", scenario="base", points=5), run_id) == [
        "frontier", book, "-o", run_id, "--scenario=base", "--points=5"]
    assert command(Request("forecast", authority="Trafford", has_workbook=False,
                           horizon=8), run_id) == [
        "forecast", "project", "--la=Trafford", "-o", f"{run_id}/demand.xlsx",
        "--provision=resourced,special", "--horizon=8"]
    # a value the planner typed can never pose as an option of its own
    assert "--help" not in command(Request("run", scenario="--help"), run_id)
    # the workbook is stored under the planner's name for it, made safe
    assert command(Request("run", workbook_name="Trafford 2027.xlsx"), run_id)[1] == \
        f".runs/{run_id}/Trafford 2027.xlsx"


@pytest.mark.parametrize(("given", "stored"), [
    ("Trafford 2027.xlsx", "Trafford 2027.xlsx"),
    ("../../etc/passwd", "passwd.xlsx"),
    ("..\\x\\plan.XLSX", "plan.xlsx"),
    (".hidden.xlsx", "hidden.xlsx"),
    ("--help.xlsx", "help.xlsx"),
    ("plan;rm -rf $HOME.xlsx", "plan_rm -rf _HOME.xlsx"),
    ("   .xlsx", "20260101-000000-abcdef.xlsx"),
    ("", "20260101-000000-abcdef.xlsx"),
    ("x" * 300 + ".xlsx", "x" * 120 + ".xlsx"),
])
def test_the_stored_workbook_keeps_the_planners_name_made_safe(given: str, stored: str
                                                               ) -> None:
    assert workbook_name("20260101-000000-abcdef", given) == stored


def test_a_run_holds_one_core_and_a_batch_as_many_as_it_runs_at_once() -> None:
    assert cores_wanted(Request("run"), 8) == 1
    assert cores_wanted(Request("frontier"), 8) == 1
    assert cores_wanted(Request("batch", scenarios=("a", "b", "c")), 2) == 2
    assert cores_wanted(Request("samples", samples=100), 4) == 4


@pytest.mark.parametrize(("fields", "has_workbook", "words"), [
    ({"kind": "solve"}, True, "kind must be one of"),
    ({}, False, "no workbook"),
    ({"kind": "samples", "samples": "0"}, True, "samples: a whole number from 1 to 1000"),
    ({"kind": "frontier", "points": "2.5"}, True, "points: a whole number"),
    ({"kind": "forecast"}, False, "choose the local authority"),
    ({"kind": "forecast", "authority": "Trafford", "provision": "special;x"}, False,
     "provision"),
    ({"scenario": "nope"}, True, "no scenario named 'nope'"),
    ({"kind": "batch", "scenarios": "base,nope"}, True, "no scenario named 'nope'"),
])
def test_a_request_the_command_would_refuse_is_refused_first(
        fields: dict[str, str], has_workbook: bool, words: str) -> None:
    with pytest.raises(Refused) as refused:
        run_request(fields, "plan.xlsx", has_workbook, ["base", "high"])
    assert refused.value.status == 400 and words in refused.value.problems[0].message


def test_a_batch_of_all_scenarios_names_them() -> None:
    wanted = run_request({"kind": "batch", "scenarios": "all"}, "p.xlsx", True, ["base", "b"])
    assert wanted.scenarios == ("base", "b")


def _ended(store: RunStore, kind: str, code: int | None, summary: dict | None = None,
           log: str = "") -> tuple[str, str]:
    record = store.create(RunRecord(store.new_id(), Request(kind)), None)
    if summary is not None:
        folder = store.result_folder(record.id)
        folder.mkdir()
        (folder / "summary.json").write_text(json.dumps(summary))
    (store.record_folder(record.id) / "progress.log").write_text(log)
    return outcome(record, code, store)


def test_how_a_run_ended_is_read_from_its_exit_and_its_folder(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    assert _ended(store, "run", 0, {"status": "time_limit"}) == ("time_limit", "")
    assert _ended(store, "batch", 0) == ("finished", "")
    status, message = _ended(store, "run", 130, {"status": "interrupted"})
    assert status == "interrupted" and "best plan found so far" in message
    status, message = _ended(store, "run", 130)
    assert status == "interrupted" and "nothing was written" in message
    status, message = _ended(store, "run", 3, {"status": "infeasible",
                                               "explanation": "capacity is short"})
    assert (status, message) == ("infeasible", "capacity is short")
    status, message = _ended(store, "run", 4, log="Internal error in placeopt (KeyError: 'x')")
    assert status == "error" and "bug" in message and "--debug" not in message
    status, message = _ended(store, "run", -9)
    assert status == "error" and "SIGKILL" in message
    status, message = _ended(store, "run", None)  # the server was not there to see it
    assert status == "interrupted" and "server stopped" in message
    status, message = _ended(store, "forecast", 2, log="Error: Invalid value for --la: no")
    assert (status, message) == ("error", "Error: Invalid value for --la: no")


def test_a_bug_in_the_server_is_words_not_a_traceback(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_path: Path) -> None:
        raise RuntimeError("secret detail of a bug")

    monkeypatch.setattr(page, "check", broken)
    app = page.create_app(page.Settings(tmp_path, 1))

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.post("/api/check", files={"workbook": (
                "nb.xlsx", NORTHBRIDGE.read_bytes())})

    answer = anyio.run(ask)
    assert answer.status_code == 500
    message = answer.json()["errors"][0]["message"]
    assert message.startswith("Internal error in placeopt") and "report it" in message
    assert "Traceback" not in answer.text and "secret detail" not in answer.text


def test_serve_help_ends_with_examples_and_a_taken_port_is_a_usage_error(tmp_path: Path
                                                                        ) -> None:
    shown = CliRunner().invoke(main, ["serve", "--help"]).output
    assert shown.rstrip().splitlines()[-1].strip().startswith("placeopt serve --host")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        refused = CliRunner().invoke(main, ["serve", "--port", str(port), "--data",
                                            str(tmp_path / "runs")])
    assert refused.exit_code == 2
    assert f"port {port} on 127.0.0.1 is in use" in refused.output
    assert refused.exception is None or isinstance(refused.exception, SystemExit)


def test_a_token_that_cannot_travel_in_a_cookie_is_a_usage_error(tmp_path: Path) -> None:
    refused = CliRunner().invoke(main, ["serve", "--port", "0", "--token", "a b;c",
                                        "--data", str(tmp_path / "runs")])
    assert refused.exit_code == 2 and "letters, digits" in refused.output
