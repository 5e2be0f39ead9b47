"""Docs that run: every command shown in README.md and docs/*.md, and every example at
the end of a command's --help, works.

Each command is parsed by click with its real options (so an option that is gone, a
workbook that does not exist or a scenario the workbook lacks fails here), in the order
the pages show them, in one working folder where the repository's `models/`, `inputs/`
and `benchmarks/` are at hand and each page's earlier commands have run. Then it runs, as
shown, unless HOW says otherwise: a cheaper form of the same command (and why), parsed
only (and why), or run by another test (named, and checked to exist). Commands that are
not placeopt's (installing, the test suite, Dask's servers) say how they are checked.
Placeholders a planner would have (my_plan.xlsx, plan.xlsx, msoa_population.csv) are
made from the worked example.

The whole costs well under a minute on two cores: one Trafford plan, the rest on the
small worked example, every placeopt command in this process.
"""

from __future__ import annotations

import csv
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from placeopt.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PLACEHOLDERS = re.compile(r"^(\.\.\.|[A-Z][A-Z_]*|[A-Z]+(/[A-Z]+)*)$")  # K, DIR, NAME
ELSEWHERE_ROOT = ROOT / "tests"


@dataclass(frozen=True)
class Shown:
    """A command as a page shows it."""

    page: str
    kind: str  # "bash", "python", "inline"
    text: str


def _bash_commands(block: str) -> list[str]:
    """A bash block's commands: continuation lines joined, comments off, split at &&."""
    joined = re.sub(r"\\\n\s*", "", block)
    commands = []
    for line in joined.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        commands += [part.strip() for part in line.split(" && ") if part.strip()]
    return commands


def shown_commands() -> list[Shown]:
    """Every command of the pages, in their order: fenced bash and python blocks, and
    the prose's inline code that is a placeopt or python command."""
    found = []
    for path in DOCS:
        page, text = str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
        items = []
        for match in re.finditer(r"```(\w*)\n(.*?)```", text, re.S):
            if match.group(1) == "bash":
                items += [(match.start(), Shown(page, "bash", c))
                          for c in _bash_commands(match.group(2))]
            elif match.group(1) == "python":
                items.append((match.start(), Shown(page, "python", match.group(2))))
        prose = re.sub(r"```.*?```", lambda m: " " * len(m.group(0)), text, flags=re.S)
        for match in re.finditer(r"`([^`\n]+)`", prose):
            if re.match(r"placeopt( |$)|(python|pip) \S", match.group(1)):
                items.append((match.start(), Shown(page, "inline", match.group(1))))
        found += [shown for _, shown in sorted(items, key=lambda item: item[0])]
    return found


# --- how each command is exercised -------------------------------------------------------


@dataclass(frozen=True)
class How:
    """How a command is exercised when it is not run as shown, and why: a cheaper form
    of the same command (run, and parsed too), another test that runs it (path::name), or
    for a command that is not placeopt's, a check of what it relies on. None of these:
    parsed only."""

    why: str
    cheap: str = ""
    test: str = ""
    check: Callable[[Path], None] | None = None


def _ci_runs(pattern: str) -> Callable[[Path], None]:
    """CI's script runs the command (pip there with -q)."""
    def check(_: Path) -> None:
        script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
        assert re.search(pattern, script, re.M), pattern
    return check


def _dask_extra(_: Path) -> None:
    assert re.search(r'dask = \[\s*"dask\[distributed\]', (ROOT / "pyproject.toml").read_text())


def _exists(name: str) -> Callable[[Path], None]:
    def check(_: Path) -> None:
        assert (ROOT / name).is_file(), name
    return check


INSTALL = (r'^python3 -m venv \.venv && \.venv/bin/pip install (-q )?-e "\.\[dev\]" && '
           r"\.venv/bin/placeopt run models/trafford\.xlsx$")
SMALL_BATCH = "placeopt batch my_plan.xlsx --jobs 1 --scenarios base,high_growth --no-reports"
SAMPLES = "placeopt batch my_plan.xlsx --scenarios base --samples 1 --seed 1 --jobs 1"
FIXED = ("placeopt batch my_plan.xlsx --fix-programme results/my_plan/base --jobs 1 "
         "--scenarios high_growth --no-reports")
WHY_BATCH = ("one or two scenarios of the worked example, in this process, no reports: "
             "Trafford's six take minutes, and the worker processes and Dask cluster are "
             "run by test_batch.py")
SUITE = "this is the test suite; CI runs it from a fresh clone (.ci/run)"
BATCH_FROM_PYTHON = (
    'import placeopt\ntable = placeopt.batch("models/trafford.xlsx", "results/trafford/batch", '
    '"all", jobs=2)\ntable[["label", "status", "npv", "capital", "options_built"]]\n')


def _lists_mutants(_: Path) -> None:
    listed = subprocess.run([sys.executable, "tools/mutate.py", "--list", "results"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout.splitlines()
    assert len(listed) > 100 and listed[0].split()[0] == "1", listed[:3]


def _ruff(_: Path) -> None:
    subprocess.run([str(Path(sys.executable).parent / "ruff"), "check", "src", "tests"],
                   cwd=ROOT, check=True, capture_output=True)

def _module_runs(_: Path) -> None:
    shown = subprocess.run([sys.executable, "-m", "placeopt", "--help"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout
    assert shown.startswith("Usage: placeopt [OPTIONS] COMMAND"), shown[:80]


HOW: dict[str, How] = {
    # README: quick start
    "python3 -m venv .venv": How("CI installs from a clean checkout with this very line "
                                 "(.ci/run)", check=_ci_runs(INSTALL)),
    '.venv/bin/pip install -e ".[dev]"': How("as above", check=_ci_runs(INSTALL)),
    "placeopt run models/trafford.xlsx": How(
        "the plan is solved; its reports (most of the half minute) are written from a "
        "Trafford plan by test_report.py, and project values are tested on small cases",
        cheap="placeopt run models/trafford.xlsx --no-reports --no-project-values"),
    ".venv/bin/pytest": How(SUITE, check=_ci_runs(r"^\.venv/bin/pytest$")),
    '.venv/bin/pytest -m "not slow"': How(SUITE, check=_ci_runs(r"^\.venv/bin/pytest$")),
    # README: your own plan (my_plan.xlsx: the blank template, then the worked example)
    "placeopt run my_plan.xlsx": How(
        "the reports are written by `placeopt report` two lines below",
        cheap="placeopt run my_plan.xlsx --no-reports --no-project-values"),
    "placeopt run my_plan.xlsx --scenario high_growth -o results/high_growth": How(
        "as above", cheap="placeopt run my_plan.xlsx --scenario high_growth "
        "-o results/high_growth --no-reports --no-project-values"),
    "placeopt frontier my_plan.xlsx --points 8": How(
        "each point is a solve", cheap="placeopt frontier my_plan.xlsx --points 3"),
    "placeopt frontier my_plan.xlsx --max-capital 40e6": How(
        "each point is a solve",
        cheap="placeopt frontier my_plan.xlsx --max-capital 40e6 --points 2"),
    "placeopt batch my_plan.xlsx --jobs 2": How(WHY_BATCH, cheap=SMALL_BATCH),
    "placeopt batch my_plan.xlsx --scenarios base --samples 100": How(
        "one demand sample, in this process, exercises what a hundred do", cheap=SAMPLES),
    "placeopt batch my_plan.xlsx --fix-programme results/my_plan/base": How(
        WHY_BATCH, cheap=FIXED),
    "placeopt batch --scheduler ADDRESS": How("a placeholder: see docs/batch.md"),
    "pip install 'placeopt[dask]'": How(
        "installs from the network; the extra is checked to exist", check=_dask_extra),
    "python inputs/build_trafford.py": How(
        "it rewrites the repository's models/trafford.xlsx",
        test="test_trafford.py::test_rebuilding_gives_identical_tables"),
    ".venv/bin/ruff check src tests": How("run here, from the repository", check=_ruff),
    # docs/architecture.md, docs/workbook.md
    "python -m placeopt.workbook.docs > docs/workbook.md": How(
        "it rewrites the page", test="test_docs.py::test_docs_workbook_page_is_current"),
    "python -m placeopt.workbook.docs": How(
        "it rewrites the page", test="test_docs.py::test_docs_workbook_page_is_current"),
    # docs/batch.md
    "placeopt batch models/trafford.xlsx": How(WHY_BATCH, cheap=SMALL_BATCH),
    "placeopt batch models/trafford.xlsx --scenarios base,demand_high --jobs 2": How(
        WHY_BATCH, cheap=SMALL_BATCH),
    "placeopt batch models/trafford.xlsx --scenarios base --samples 100 --seed 1": How(
        "Trafford's samples take minutes: one of the worked example's", cheap=SAMPLES),
    "placeopt batch models/trafford.xlsx --fix-programme results/trafford/base": How(
        WHY_BATCH, cheap=FIXED),
    "placeopt batch models/trafford.xlsx --scheduler tcp://10.0.0.5:8786": How(
        "no Dask scheduler is there; test_batch.py runs a batch on a local Dask cluster"),
    "dask scheduler": How("starts a server; the dask extra brings it", check=_dask_extra),
    "dask worker tcp://HOST:8786 --nthreads 1 --nworkers 2": How("as above",
                                                                  check=_dask_extra),
    "placeopt batch plan.xlsx --scheduler tcp://HOST:8786 -o /shared/results/batch": How(
        "needs a Dask cluster (as above)"),
    BATCH_FROM_PYTHON: How(WHY_BATCH, cheap=BATCH_FROM_PYTHON.replace(
        '"models/trafford.xlsx", "results/trafford/batch", "all", jobs=2',
        '"my_plan.xlsx", "results/my_plan/batch", "base", jobs=1, reports=False')),
    "python inputs/sen2_growth_spread.py": How(
        "the same figures, computed by the script's own functions",
        test="test_batch.py::test_the_phase_spreads_are_derived_from_the_sen2_extract"),
    # docs/forecast.md
    "placeopt forecast backtest --la all --hold-out 2 -o results/backtest": How(
        "every authority takes minutes (benchmarks/RESULTS.md has that run)",
        cheap="placeopt forecast backtest --la Trafford --hold-out 2 -o results/backtest"),
    "python benchmarks/forecast_sensitivity.py": How(
        "a benchmark of several minutes", check=_exists("benchmarks/forecast_sensitivity.py")),
    # docs/trafford.md
    "placeopt validate models/trafford.xlsx": How(
        "the same check of every scenario, through check_workbook",
        test="test_trafford.py::test_workbook_validates_cleanly"),
    "placeopt run models/trafford.xlsx -o /tmp/res/trafford": How(
        "the README's Trafford plan above, run, written to another folder"),
    "placeopt run models/trafford.xlsx --project-values": How(
        "twelve more Trafford solves; project values are tested on tiny cases "
        "(test_project_values.py) and on the worked example (test_benders.py)"),
    "placeopt run models/trafford.xlsx --scenario free_school_funded": How(
        "a Trafford plan as above with a scenario applied; scenarios are tested in "
        "test_scenarios.py"),
    # docs/testing.md
    "python tools/mutate.py --list results": How(
        "run here: listing a module's mutants is instant", check=_lists_mutants),
    "python tools/mutate.py --modules results funding --per-module 25": How(
        "hours of test runs; docs/testing.md records one", check=_exists("tools/mutate.py")),
    "python tools/mutate.py --modules results --only 44 51": How(
        "minutes of test runs", check=_exists("tools/mutate.py")),
    "placeopt run models/trafford.xlsx --scenario no_inclusion": How(
        "a Trafford plan as above with a scenario applied; scenarios are tested in "
        "test_scenarios.py, the measures in test_inclusion.py"),
    "placeopt run models/trafford.xlsx --scenario no_inclusion --project-values": How(
        "twelve more Trafford solves, as above"),
    "placeopt batch models/trafford.xlsx --scenarios base --samples 4 --seed 1 --jobs 2": How(
        "Trafford's samples take minutes: one of the worked example's", cheap=SAMPLES),
    # docs/forecast.md
    "placeopt forecast calibrate -o results/error_model.json": How(
        "the backtest of every authority takes minutes; the shipped model is its fit",
        test="test_forecast_errors.py::"
             "test_the_shipped_error_model_is_the_fit_of_the_committed_backtest"),
    # README, docs/serve.md: the planner's page serves until Ctrl-C
    "placeopt serve --open": How(
        "it serves until stopped; the page is served by this command's code and used in "
        "Chromium", test="test_serve_browser.py::"
                         "test_the_planner_runs_the_worked_example_and_downloads_the_case"),
    "placeopt serve --host 0.0.0.0 --port 8080 --data /srv/placeopt-runs": How(
        "it serves until stopped, beyond loopback with a token",
        test="test_serve_api.py::test_beyond_loopback_every_request_needs_the_token"),
    # docs/architecture.md
    "python -m placeopt": How("run here: the same command line as placeopt",
                              check=_module_runs),
    "placeopt frontier models/trafford.xlsx --points 5": How(
        "Trafford's curve is six solves of a minute each: the worked example's",
        cheap="placeopt frontier my_plan.xlsx --points 3"),
}

# Files a planner would have, made when the command before them has run.
REWRITE = {"/tmp/res/": "res/", "/shared/": "shared/"}  # absolute paths, into the folder


def _my_plan(folder: Path) -> None:
    """The planner fills in the template: the worked example stands in for it."""
    from placeopt.workbook.reader import read_workbook
    from placeopt.workbook.template import write_template

    write_template(folder / "my_plan.xlsx", example=True)
    shutil.copy(folder / "my_plan.xlsx", folder / "plan.xlsx")
    zones = read_workbook(folder / "my_plan.xlsx").tables["Zones"]["zone_id"]
    with (folder / "msoa_population.csv").open("w", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(["zone_id", "period", *range(26)])
        rows.writerows([zone, 2024, *[300] * 26] for zone in zones)


AFTER = {"placeopt template my_plan.xlsx": _my_plan}


# --- parsing and running -----------------------------------------------------------------


def _words(command: str) -> list[str]:
    words = shlex.split(command)
    if words and words[0].endswith("placeopt"):  # .venv/bin/placeopt
        words[0] = "placeopt"
    for old, new in REWRITE.items():
        words = [new + w[len(old):] if w.startswith(old) else w for w in words]
    return words


def normal(command: str) -> str:
    return command.replace(".venv/bin/placeopt", "placeopt") if command.startswith(
        ".venv/bin/placeopt") else command


def _resolve(words: list[str]) -> tuple[click.Command, list[str], click.Context]:
    """The command the words name, its arguments and its parent context."""
    command: click.Command = main
    parent = click.Context(main, info_name="placeopt")
    words = words[1:]
    while isinstance(command, click.Group) and words and words[0] in command.commands:
        command = command.commands[words[0]]
        parent = click.Context(command, info_name=words[0], parent=parent)
        words = words[1:]
    return command, words, parent.parent or parent


_SCENARIOS: dict[Path, list[str]] = {}


def _scenarios_exist(params: dict, folder: Path) -> None:
    from placeopt.workbook.reader import read_workbook
    from placeopt.workbook.scenario_rows import scenario_names

    workbook = params.get("workbook")
    wanted = [params.get("scenario")] + str(params.get("scenarios") or "").split(",")
    wanted = [w for w in wanted if w and w != "all"]
    if workbook is None or not wanted:
        return
    path = (folder / workbook).resolve()
    if path not in _SCENARIOS:
        _SCENARIOS[path] = scenario_names(read_workbook(path))
    missing = [w for w in wanted if w not in _SCENARIOS[path]]
    assert not missing, f"no scenario {missing} in {workbook}: it has {_SCENARIOS[path]}"


def parse(command: str, folder: Path) -> list[str]:
    """Parse a placeopt command as click would run it, here: options, types, files that
    must exist; and the scenarios it names must be the workbook's. Its arguments."""
    words = _words(command)
    assert words[0] == "placeopt", command
    found, args, parent = _resolve(words)
    assert not isinstance(found, click.Group), f"{command}: names no command"
    context = found.make_context(words[-len(args) - 1] if args else found.name, list(args),
                                 parent=parent)
    _scenarios_exist(context.params, folder)
    return words[1:]


def check_fragment(command: str) -> None:
    """A command in prose with placeholders: its command exists, and its options."""
    words = _words(command)
    found, args, _ = _resolve(words)
    names = {opt for p in found.params for opt in (*p.opts, *p.secondary_opts)}
    for word in args:
        if word.startswith("-"):
            assert word.split("=")[0] in names, f"{command}: no option {word}"


def is_fragment(shown: Shown) -> bool:
    words = _words(shown.text)
    if not words or words[0] != "placeopt":
        return False
    found, args, _ = _resolve(words)
    return (isinstance(found, click.Group) or not args
            or any(PLACEHOLDERS.match(w) for w in args))


def execute(command: str, folder: Path) -> None:
    args = parse(command, folder)
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, f"{command}: exit {result.exit_code}\n{result.output}"


def run_python(code: str) -> None:
    exec(compile(code, "<documented>", "exec"), {"__name__": "documented"})


def _elsewhere(test: str) -> None:
    path, name = test.split("::")
    assert f"def {name}(" in (ELSEWHERE_ROOT / path).read_text(encoding="utf-8"), test


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("models", "inputs", "benchmarks"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_documented_command_works(folder: Path) -> None:
    shown = shown_commands()
    assert len(shown) > 40, "the pages' commands were not found"
    done: set[str] = set()
    timings: list[tuple[float, float, str]] = []
    for item in shown:
        text = normal(item.text)
        how = HOW.get(text) or How("")
        where = f"{item.page}: {text}"
        started, cpu = time.perf_counter(), time.process_time()
        if how.check is not None:
            how.check(folder)
        elif how.test:
            _elsewhere(how.test)
        elif item.kind == "python":
            compile(text, "<documented>", "exec")
            code = how.cheap or text
            if code not in done:
                run_python(code)
                done.add(code)
        elif not text.startswith("placeopt"):
            pytest.fail(f"{where}: say in HOW how this command is checked")
        elif is_fragment(item):
            check_fragment(text)
        elif how.why and not how.cheap:
            parse(text, folder)
        else:
            parse(text, folder)
            command = how.cheap or text
            if command not in done:
                execute(command, folder)
                done.add(command)
            if text in AFTER:
                AFTER[text](folder)
        timings.append((time.process_time() - cpu, time.perf_counter() - started, where))
    unused = set(HOW) - {normal(s.text) for s in shown}
    assert not unused, f"HOW names commands no page shows any more: {sorted(unused)}"
    print("\n".join(f"{cpu:6.2f} s CPU {wall:6.2f} s  {where}"
                    for cpu, wall, where in sorted(timings)[-14:]))

    # The examples at the end of each --help, once the pages' commands have made their
    # files: parsed with their real options, files and scenarios.
    from test_cli_help import ALL, examples_of

    for path, _ in ALL:
        for example in examples_of(path):
            if not is_fragment(Shown("--help", "inline", example)):
                parse(example, folder)
