"""The `placeopt` command line (SPEC §3).

Exit codes: 0 success; 1 input errors; 2 usage errors (click's own, a workbook path that
does not exist, an unknown --scenario); 3 infeasible model or solver failure; 4 an
internal error (a bug). No traceback for input, usage or solver problems unless --debug.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .cli_common import (
    EXIT_INTERRUPTED,
    GAP_HELP,
    TIME_LIMIT_HELP,
    WORKBOOK,
    Console,
    examples,
    folder_rules,
    guarded,
    print_problems,
    print_warning,
    quiet_option,
)
from .cli_forecast import forecast
from .problems import SolveError
from .version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]},
             epilog=examples("placeopt template my_plan.xlsx",
                             "placeopt run models/trafford.xlsx"))
@click.version_option(__version__, prog_name="placeopt")
@click.option("--debug", is_flag=True, help="Show Python tracebacks.")
def main(debug: bool) -> None:
    """placeopt: plan SEND school places - placements, capacity and savings."""


@main.command(epilog=examples("placeopt template my_plan.xlsx",
                              "placeopt template northbridge.xlsx --example"))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--example", is_flag=True, help="Write the worked example instead of a blank "
              "template.")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@quiet_option
@guarded
def template(path: Path, example: bool, force: bool, quiet: bool) -> None:
    """Write the blank planning template (or the worked example) to PATH."""
    from .workbook.template import write_template

    if path.suffix.lower() != ".xlsx":
        raise click.BadParameter("the template is an Excel workbook: give a path ending .xlsx",
                                 param_hint="PATH")
    if path.exists() and not force:
        raise click.BadParameter(f"{path} exists; use --force to overwrite it",
                                 param_hint="PATH")
    write_template(path, example=example)
    Console(quiet).out(f"Wrote {'worked example' if example else 'template'} {path}")


@main.command(epilog=examples("placeopt validate models/trafford.xlsx"))
@click.argument("workbook", type=WORKBOOK)
@quiet_option
@guarded
def validate(workbook: Path, quiet: bool) -> None:
    """Read and check WORKBOOK; print every error and warning. Writes nothing."""
    from .case import check_workbook

    warnings, notes = check_workbook(workbook)
    if not quiet:
        print_problems(warnings)
        for line in notes:
            click.echo(line)
    n = len(warnings)
    if not quiet:
        click.secho(f"{workbook}: no errors, {n} warning{'s' if n != 1 else ''}.", fg="green")


@main.command(epilog=examples(
    "placeopt run models/trafford.xlsx",
    "placeopt run models/trafford.xlsx --scenario demand_high -o results/demand_high"))
@click.argument("workbook", type=WORKBOOK)
@click.option("-o", "--output", "output", type=click.Path(file_okay=False, path_type=Path),
              help="Result folder.", show_default="results/<workbook name>/<scenario>")
@click.option("--scenario", default="base", show_default=True, help="Scenario to solve.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help=TIME_LIMIT_HELP)
@click.option("--gap", type=click.FloatRange(0, 1), help=GAP_HELP)
@click.option("--threads", type=click.IntRange(min=0), help="Solver threads, 0 for HiGHS's "
              "own choice (overrides threads).")
@click.option("--write-model", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the model as FILE.mps.")
@click.option("--engine", type=click.Choice(["direct", "pyomo"]), default="direct",
              show_default=True, help="How the model reaches HiGHS: stacked sparse rows, or "
              "through a Pyomo model and Pyomo's standard-form compiler (slower).")
@click.option("--route", type=click.Choice(["auto", "years", "whole"]), default="auto",
              show_default=True, help="How each MIP is solved: auto (the two routes raced, "
              "the first proof kept: docs/model.md), years (a master over the builds and "
              "one LP per year, joined by Benders cuts; the whole model where it does not "
              "split) or whole (one HiGHS MIP).")
@click.option("--residential-k", type=click.IntRange(min=1), default=None,
              help="Keep only the K cheapest residential schools beyond each group's journey "
              "limit: an approximation for national runs (without it, exact).")
@click.option("--project-values/--no-project-values", default=None,
              help="What each option (and inclusion measure) is worth: the plan solved again "
              "without each it builds and with each it leaves out (one more solve each).",
              show_default="as many as fit in about the plan's own solve time (at least "
              "10 s), those it builds first")
@click.option("--no-reports", is_flag=True, help="Write summary.json and the CSVs only "
              "(placeopt report DIR writes report.xlsx and report.html later).")
@quiet_option
@click.option("--verbose", "-v", is_flag=True, help="Add the solver log.")
@guarded
def run(workbook: Path, output: Path | None, scenario: str, time_limit: float | None,
        gap: float | None, threads: int | None, write_model: Path | None, engine: str,
        route: str, residential_k: int | None, project_values: bool | None, no_reports: bool,
        quiet: bool, verbose: bool) -> None:
    """Solve one scenario of WORKBOOK (plan and baseline) and write the results."""
    from .report import check_replaceable
    from .run import default_output, plan, write_results, write_summary_only

    console = Console(quiet, verbose)
    if write_model is not None and write_model.suffix.lower() != ".mps":
        raise click.BadParameter("the model file must end .mps", param_hint="--write-model")
    with folder_rules():
        check_replaceable(output or default_output(workbook, scenario))  # before the solve
    try:
        results = plan(workbook, scenario, time_limit=time_limit, mip_gap=gap, threads=threads,
                       verbose=verbose and not quiet, progress=console.step,
                       write_model=write_model, engine=engine, residential_k=residential_k,
                       project_values=project_values, route=route)
    except SolveError as exc:
        if exc.summary is not None:  # no plan, but the planner gets the why in a folder
            folder = output or default_output(workbook, exc.summary["scenario"])
            with folder_rules():
                write_summary_only(exc.summary, folder)
            console.step(f"Wrote {folder / 'summary.json'} (status {exc.status})")
        raise
    folder = output or default_output(workbook, results.summary["scenario"])
    interrupted = results.summary["status"] == "interrupted"
    console.step(f"Writing results to {folder}...")
    # After Ctrl-C the planner wants out: the tables now, the reports on request.
    with folder_rules():
        write_results(results, folder, reports=not (no_reports or interrupted),
                      warn=print_warning)
    console.out(summary_table(results.summary))
    if interrupted:
        click.secho(f"Interrupted: the best plan found so far is in {folder} (status "
                    f"interrupted); `placeopt report {folder}` writes its reports.",
                    fg="yellow", err=True)
        sys.exit(EXIT_INTERRUPTED)
    console.out(f"Results: {folder}" + ("" if no_reports else
                                          " (business case: report.xlsx, report.html)"))


@main.command(epilog=examples("placeopt frontier models/trafford.xlsx --points 5",
                              "placeopt frontier models/trafford.xlsx --max-capital 40e6"))
@click.argument("workbook", type=WORKBOOK)
@click.option("-o", "--output", "output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for frontier.csv and its charts.",
              show_default="results/<workbook name>/frontier-<scenario>")
@click.option("--scenario", default="base", show_default=True, help="Scenario to solve.")
@click.option("--points", type=click.IntRange(min=2, max=100), default=8, show_default=True,
              help="Capital budgets from the committed options' capital to --max-capital "
              "(today's budget is added as a point of its own).")
@click.option("--max-capital", type=click.FloatRange(min=0), default=None,
              help="Top of the curve, in £ of capital; beyond today's budget the extra "
              "arrives in the first year.", show_default="enough to build every option that "
              "has value: the plan with no limit on the general capital pot")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help=TIME_LIMIT_HELP)
@click.option("--gap", type=click.FloatRange(0, 1), help=GAP_HELP)
@quiet_option
@guarded
def frontier(workbook: Path, output: Path | None, scenario: str, points: int,
             max_capital: float | None, time_limit: float | None, gap: float | None,
             quiet: bool) -> None:
    """The capital programme curve: the plan under a rising capital budget, past today's."""
    from .frontier import MaxCapitalTooLow, write_frontier
    from .frontier import frontier as solve_frontier
    from .report import FRONTIER_MARKER, check_replaceable, staged

    console = Console(quiet)
    folder = output or Path("results") / workbook.stem / f"frontier-{scenario}"
    with folder_rules():
        check_replaceable(folder, FRONTIER_MARKER)  # before the solves
    try:
        table = solve_frontier(workbook, scenario, points, progress=console.step,
                               time_limit=time_limit, mip_gap=gap, max_capital=max_capital)
    except MaxCapitalTooLow as exc:
        raise click.BadParameter(str(exc), param_hint="--max-capital") from None
    with folder_rules(), staged(folder, FRONTIER_MARKER) as staging:
        write_frontier(table, staging)
    shown = table[["capital_budget", "capital_spent", "n_options", "new_places", "npv",
                   "out_of_area_saving", "today"]]
    console.out(shown.to_string(index=False, float_format=lambda x: f"{x:,.0f}"))
    console.out(f"Frontier: {folder}")


@main.command(epilog=examples("placeopt report results/trafford/base"))
@click.argument("result_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@quiet_option
@guarded
def report(result_dir: Path, quiet: bool) -> None:
    """(Re)write report.xlsx and report.html from a result folder's files."""
    from .report import write_reports

    with folder_rules():
        write_reports(result_dir)
    Console(quiet).out(f"Wrote {result_dir / 'report.xlsx'} and {result_dir / 'report.html'}")


@main.command(epilog=examples(
    "placeopt batch models/trafford.xlsx --scenarios base,demand_high --jobs 2",
    "placeopt batch models/trafford.xlsx --scenarios base --samples 100"))
@click.argument("workbook", type=WORKBOOK)
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Batch folder.", show_default="results/<workbook name>/batch")
@click.option("--scenarios", default="all", show_default=True,
              help="Scenarios to solve: names separated by commas, or all.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes.",
              show_default="the cores")
@click.option("--scheduler", metavar="ADDRESS", help="Run on this Dask scheduler "
              "(e.g. tcp://host:8786) instead of local processes; needs placeopt[dask].")
@click.option("--samples", type=click.IntRange(min=0), default=0,
              help="Demand futures to draw around each scenario (docs/batch.md).")
@click.option("--seed", type=int, help="Seed of the demand futures.", show_default="0")
@click.option("--spread", type=click.FloatRange(min=0),
              help="Spread of a year's demand error (log, whole authority), in place of "
              "placeopt forecast's calibrated error model for the workbook's size.",
              show_default="calibrated, docs/batch.md")
@click.option("--fix-programme", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Evaluate the build decisions of this result folder under each scenario, "
              "with its regret against the scenario's own optimum.")
@click.option("--force", is_flag=True, help="Solve again even where a folder is complete.")
@click.option("--no-reports", is_flag=True, help="Leave out report.xlsx and report.html "
              "(demand samples never have them).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help=TIME_LIMIT_HELP)
@click.option("--gap", type=click.FloatRange(0, 1), help=GAP_HELP)
@click.option("--threads", type=click.IntRange(min=0), help="Solver threads per solve, 0 for "
              "HiGHS's own choice (overrides threads).")
@quiet_option
@guarded
def batch(workbook: Path, output: Path | None, scenarios: str, jobs: int | None,
          scheduler: str | None, samples: int, seed: int | None, spread: float | None,
          fix_programme: Path | None, force: bool, no_reports: bool, time_limit: float | None,
          gap: float | None, threads: int | None, quiet: bool) -> None:
    """Solve several scenarios of WORKBOOK (or demand futures around them), one result
    folder each, plus batch_summary.csv/.xlsx and batch.html. Exit 3 if any failed (4 if
    one failed on a bug)."""
    from .batches.records import FolderError, SchedulerError
    from .batches.run import run_batch
    from .case import Overrides

    if jobs is not None and scheduler is not None:
        raise click.UsageError("--jobs is for local runs: on a Dask cluster its workers set "
                               "how many scenarios run at once")
    if not samples and (seed is not None or spread is not None):
        raise click.UsageError("--seed and --spread shape the demand samples: give --samples")
    progress = BatchProgress(quiet)
    try:
        result = run_batch(workbook, output, scenarios, jobs=jobs, scheduler=scheduler,
                           samples=samples, seed=seed or 0, spread=spread,
                           fix_programme=fix_programme, force=force, reports=not no_reports,
                           overrides=Overrides(time_limit=time_limit, mip_gap=gap,
                                               threads=threads), listener=progress)
    except FolderError as exc:
        raise click.UsageError(str(exc)) from exc
    except SchedulerError as exc:
        raise click.BadParameter(str(exc), param_hint="--scheduler") from exc
    except KeyboardInterrupt:
        progress.clear()
        click.secho("Interrupted: the finished scenarios' folders are written and "
                    "batch_summary.csv lists the rest as interrupted; run the same command "
                    "again to resume.", fg="yellow", err=True)
        sys.exit(130)
    progress.clear()
    if click.get_current_context().find_root().params.get("debug"):
        for found in result.outcomes:
            if found.detail:
                click.echo(found.detail, err=True)
    if not quiet:
        click.echo(batch_table(result))
        named = ", ".join(p.name for p in sorted(result.folder.glob("batch*.*")))
        click.echo(f"Batch: {result.folder} ({named})")
    if result.exit_code:
        failed = int((~result.table["solved"]).sum())
        click.secho(f"{failed} of {len(result.table)} not solved (see batch_summary.csv)."
                    + (" Some failed on an internal error: run again with --debug and report "
                       "it." if result.exit_code == 4 else ""), fg="red", err=True)
        sys.exit(result.exit_code)


class BatchProgress:
    """The batch on the terminal (stderr): one line per finished task and, on a terminal,
    a live line with the counts and each running task's stage and gap."""

    def __init__(self, quiet: bool):
        import shutil
        import time

        self.quiet, self.live = quiet, sys.stderr.isatty()
        self.clock, self.started = time.monotonic, time.monotonic()
        self.width = shutil.get_terminal_size().columns - 1
        self.total = self.done = self.failed = 0
        self.running: dict[str, str] = {}

    def __call__(self, kind: str, payload: Any) -> None:
        if self.quiet:
            return
        if kind == "note":
            self.clear()
            click.echo(payload, err=True)
        elif kind == "start":
            self.total = len(payload)
        elif kind == "progress":
            gap = "" if payload["gap"] is None else f" gap {payload['gap']:.2f}%"
            self.running[payload["label"]] = payload["stage"] + gap
        elif kind == "done":
            row = payload.row
            self.running.pop(row["label"], None)
            self.done += 1
            self.failed += not row["solved"]
            self.clear()
            if row["solved"]:
                click.echo(self.finished(row), err=True)
            else:
                click.secho(self.finished(row), err=True, fg="red")
        self.draw()

    @staticmethod
    def finished(row: dict[str, Any]) -> str:
        head = "reused" if row["reused"] else ("done  " if row["solved"] else "FAILED")
        if not row["solved"]:
            return f"{head} {row['label']}: {row['status']}: {row['reason']}"
        money = ", ".join(f"{name} {'-' if row[key] < 0 else ''}£{abs(row[key]) / 1e6:,.2f}m"
                          for name, key in (("NPV", "npv"), ("capital", "capital"))
                          if row.get(key) is not None)
        timing = "" if row["seconds"] is None else f" ({row['seconds']:.1f} s)"
        return f"{head} {row['label']}: {row['status']}, {money}{timing}"

    def draw(self) -> None:
        if not self.live or self.quiet or not self.total:
            return
        filled = int(20 * self.done / self.total)
        minutes, seconds = divmod(int(self.clock() - self.started), 60)
        line = (f"[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total} done, "
                f"{self.failed} failed, {len(self.running)} running {minutes}:{seconds:02d}")
        line += "".join(f" | {label}: {state}" for label, state in self.running.items())
        click.echo("\r\x1b[2K" + line[: self.width], nl=False, err=True)

    def clear(self) -> None:
        if self.live and not self.quiet:
            click.echo("\r\x1b[2K", nl=False, err=True)


def batch_table(result: Any) -> str:
    """The batch for the terminal: the percentiles with samples, else a row per scenario."""
    if not result.percentiles.empty:
        shown = result.percentiles.drop(columns=["mean"])
        return shown.to_string(index=False, float_format=lambda x: f"{x:,.1f}")
    columns = {"label": "scenario", "status": "status", "npv": "NPV £m", "capital": "capital £m",
               "out_of_area_pupils_final_year": "out of area (final year)",
               "unmet_pupil_years": "unmet pupil-years", "regret": "regret £m",
               "options_built": "options built"}
    table = result.table[[c for c in columns if c in result.table.columns]].copy()
    for column in ("npv", "capital", "regret"):
        if column in table:
            table[column] = table[column] / 1e6
    return table.rename(columns=columns).to_string(
        index=False, na_rep="-", float_format=lambda x: f"{x:,.2f}")


@main.command(epilog=examples(
    "placeopt serve --open",
    "placeopt serve --host 0.0.0.0 --port 8080 --data /srv/placeopt-runs"))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback (127.0.0.1, localhost) "
              "serves other machines, and then every request needs the token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path),
              default=Path("placeopt-runs"), show_default=True,
              help="Folder for the runs: one result folder each, kept across restarts.")
@click.option("--open", "open_page", is_flag=True, help="Open the page in the browser.")
@click.option("--token", envvar="PLACEOPT_SERVE_TOKEN", help="The token every request "
              "must show (also from PLACEOPT_SERVE_TOKEN).",
              show_default="none on loopback, else a new one, printed at start")
@click.option("--jobs", type=click.IntRange(min=1), help="Cores the runs may use at once, "
              "one solve each.", show_default="every core")
@quiet_option
@guarded
def serve(host: str, port: int, data: Path, open_page: bool, token: str | None,
          jobs: int | None, quiet: bool) -> None:
    """The planner's page: drop a workbook, run it, read the business case, in a browser
    (docs/serve.md)."""
    from .serve.server import ServeError
    from .serve.server import serve as serve_page

    try:
        serve_page(host, port, data, open_page=open_page, token=token or None, jobs=jobs,
                   say=click.echo, quiet=quiet)
    except ServeError as exc:
        raise click.UsageError(str(exc)) from None
    except KeyboardInterrupt:
        pass  # Ctrl-C is how the page stops; the server has already shut down cleanly
    if not quiet:
        click.echo("placeopt serve stopped.")


def summary_table(summary: dict[str, Any]) -> str:
    """Plan against baseline, in the planner's words, for the terminal; the NPV on both
    bases and the payback, each naming its basis."""
    from .report.appraisal import payback_phrase

    plan, base, saved = summary["plan"], summary["baseline"], summary["savings"]
    years = summary["years"]
    last = len(years) - 1

    def money(x: float) -> str:
        return f"£{x / 1e6:,.2f}m"

    rows = [
        ("Total cost, all years", money(sum(base["total_cost"])), money(sum(plan["total_cost"]))),
        ("Out-of-area cost, all years", money(sum(base["out_of_area_cost"])),
         money(sum(plan["out_of_area_cost"]))),
        (f"INMSS pupils in {years[-1]}", f"{base['inmss_pupils'][last]:,.1f}",
         f"{plan['inmss_pupils'][last]:,.1f}"),
        (f"Out-of-area pupils in {years[-1]}", f"{base['out_of_area_pupils'][last]:,.1f}",
         f"{plan['out_of_area_pupils'][last]:,.1f}"),
        (f"New places open by {years[-1]}", f"{base['new_places'][last]:,.1f}",
         f"{plan['new_places'][last]:,.1f}"),
        ("Capital, all years", money(sum(base["capital_cost"])), money(sum(plan["capital_cost"]))),
        ("Unmet pupil-years", f"{sum(base['unmet_pupils']):,.1f}",
         f"{sum(plan['unmet_pupils']):,.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"Scenario {summary['scenario']}: {summary['status']} "
             + ("(gap unknown)" if summary["mip_gap"] is None
                else f"(gap {100 * summary['mip_gap']:.2f}%)"),
             f"{'':{width}}  {'baseline':>14}  {'plan':>14}"]
    lines += [f"{label:{width}}  {b:>14}  {p:>14}" for label, b, p in rows]
    options = summary.get("provenance", {}).get("options", {})
    charged = ("capital charged as an annuity"
               if options.get("capital_treatment") == "annuity" else "capital charged upfront")
    lines.append(f"NPV of the plan over the baseline: {money(saved['npv'])} ({charged})")
    if "npv_capital_when_spent" in saved:
        lines.append(f"NPV with capital counted when spent, plus residual value "
                     f"{money(saved['residual_value'])}: "
                     f"{money(saved['npv_capital_when_spent'])} (Green Book view)")
    phrase = payback_phrase(saved)
    lines.append(phrase[0].upper() + phrase[1:])
    extra = sum(saved.get("additional_pupils_placed", []))
    if extra >= 0.0005:
        lines.append(f"The plan places {extra:,.1f} pupil-years of need that the baseline "
                     "leaves unmet.")
    return "\n".join(lines)


main.add_command(forecast)


if __name__ == "__main__":  # pragma: no cover
    main()
