"""The `placeopt` command line (SPEC §3).

Exit codes: 0 success; 1 input errors; 2 usage errors (click's own, a workbook path that
does not exist, an unknown --scenario); 3 infeasible model or solver failure; 4 an
internal error (a bug). No traceback for input, usage or solver problems unless --debug.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .problems import InputError, Problem, SolveError, UnknownScenario
from .version import __version__

EXIT_INPUT, EXIT_SOLVE, EXIT_INTERNAL = 1, 3, 4
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C

# A workbook argument: a path that does not exist (or is a folder) is a usage error,
# exit 2; a file that exists but is not a good workbook is an input error, exit 1.
WORKBOOK = click.Path(exists=True, dir_okay=False, path_type=Path)


class Console:
    """Progress and summaries on the terminal; --quiet silences, --verbose adds detail."""

    def __init__(self, quiet: bool = False, verbose: bool = False):
        self.quiet, self.verbose = quiet, verbose

    def step(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)

    def out(self, message: str = "") -> None:
        if not self.quiet:
            click.echo(message)


def print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        colour = "red" if problem.level == "error" else "yellow"
        click.secho(str(problem), fg=colour, err=True)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn input and solver failures into messages and exit codes, not tracebacks."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = ctx.find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except UnknownScenario as exc:
            raise click.BadParameter(f"no scenario named {exc.name!r}; the workbook has "
                                     + ", ".join(exc.known), param_hint="--scenario") from None
        except InputError as exc:
            if debug:
                traceback.print_exc()
            print_problems(exc.problems)
            n = len(exc.errors)
            click.secho(f"{n} error{'s' if n != 1 else ''}: the workbook was not accepted.",
                        fg="red", err=True)
            sys.exit(EXIT_INPUT)
        except SolveError as exc:
            if debug:
                traceback.print_exc()
            click.secho(f"Solver: {exc}", fg="red", err=True)
            sys.exit(EXIT_SOLVE)
        except KeyboardInterrupt:
            # Result folders are staged, so an interrupted run leaves none half-written.
            click.secho("Interrupted: nothing was written.", fg="yellow", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug of ours: say so plainly, keep the detail for --debug
            if debug:
                raise
            click.secho(internal_error_message(exc), fg="red", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper


def internal_error_message(exc: Exception) -> str:
    """What a planner sees when placeopt itself fails: whose fault, and how to report it."""
    return (f"Internal error in placeopt {__version__} ({type(exc).__name__}: {exc}).\n"
            "This is a bug in placeopt, not a problem with your workbook. Please report it "
            "to the placeopt maintainers with the command you ran, the output of the same "
            "command run with --debug (placeopt --debug ...; it shows the traceback) and, "
            "if you can share it, the workbook.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="placeopt")
@click.option("--debug", is_flag=True, help="Show Python tracebacks.")
def main(debug: bool) -> None:
    """placeopt: plan SEND school places - placements, capacity and savings."""


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--example", is_flag=True, help="Write the worked example instead of a blank "
              "template.")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@guarded
def template(path: Path, example: bool, force: bool) -> None:
    """Write the blank planning template (or the worked example) to PATH."""
    from .workbook.template import write_template

    if path.suffix.lower() != ".xlsx":
        raise click.BadParameter("the template is an Excel workbook: give a path ending .xlsx",
                                 param_hint="PATH")
    if path.exists() and not force:
        raise click.BadParameter(f"{path} exists; use --force to overwrite it",
                                 param_hint="PATH")
    write_template(path, example=example)
    click.echo(f"Wrote {'worked example' if example else 'template'} {path}")


@main.command()
@click.argument("workbook", type=WORKBOOK)
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
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
    click.secho(f"{workbook}: no errors, {n} warning{'s' if n != 1 else ''}.", fg="green")


@main.command()
@click.argument("workbook", type=WORKBOOK)
@click.option("-o", "--output", "output", type=click.Path(file_okay=False, path_type=Path),
              help="Result folder (default results/<workbook name>/<scenario>).")
@click.option("--scenario", default="base", show_default=True, help="Scenario to solve.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Solver time limit per solve, seconds (overrides time_limit_seconds).")
@click.option("--gap", type=click.FloatRange(0, 1), help="Relative MIP gap (overrides mip_gap).")
@click.option("--threads", type=click.IntRange(min=0), help="Solver threads (0 = default).")
@click.option("--write-model", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the model as FILE.mps.")
@click.option("--engine", type=click.Choice(["direct", "pyomo"]), default="direct",
              show_default=True, help="How the model reaches HiGHS: stacked sparse rows, or "
              "through a Pyomo model and Pyomo's standard-form compiler (slower).")
@click.option("--residential-k", type=click.IntRange(min=1), default=None,
              help="Keep only the K cheapest residential schools beyond each group's journey "
              "limit (for national runs; off = exact).")
@click.option("--project-values/--no-project-values", default=None,
              help="What each option is worth: the plan solved again without each option "
              "it builds and with each it leaves out (one more solve each). Default: only "
              "when the plan chooses among at most 15 options (docs/model.md).")
@click.option("--no-reports", is_flag=True, help="Write summary.json and the CSVs only "
              "(placeopt report DIR writes report.xlsx and report.html later).")
@click.option("--quiet", "-q", is_flag=True, help="No progress, no summary.")
@click.option("--verbose", "-v", is_flag=True, help="Add the solver log.")
@guarded
def run(workbook: Path, output: Path | None, scenario: str, time_limit: float | None,
        gap: float | None, threads: int | None, write_model: Path | None, engine: str,
        residential_k: int | None, project_values: bool | None, no_reports: bool,
        quiet: bool, verbose: bool) -> None:
    """Solve one scenario of WORKBOOK (plan and baseline) and write the results."""
    from .run import default_output, plan, write_results, write_summary_only

    console = Console(quiet, verbose)
    if write_model is not None and write_model.suffix.lower() != ".mps":
        raise click.BadParameter("the model file must end .mps", param_hint="--write-model")
    try:
        results = plan(workbook, scenario, time_limit=time_limit, mip_gap=gap, threads=threads,
                       verbose=verbose and not quiet, progress=console.step,
                       write_model=write_model, engine=engine, residential_k=residential_k,
                       project_values=project_values)
    except SolveError as exc:
        if exc.summary is not None:  # no plan, but the planner gets the why in a folder
            folder = output or default_output(workbook, exc.summary["scenario"])
            write_summary_only(exc.summary, folder)
            console.step(f"Wrote {folder / 'summary.json'} (status {exc.status})")
        raise
    folder = output or default_output(workbook, results.summary["scenario"])
    interrupted = results.summary["status"] == "interrupted"
    console.step(f"Writing results to {folder}...")
    # After Ctrl-C the planner wants out: the tables now, the reports on request.
    write_results(results, folder, reports=not (no_reports or interrupted))
    console.out(summary_table(results.summary))
    if interrupted:
        click.secho(f"Interrupted: the best plan found so far is in {folder} (status "
                    f"interrupted); `placeopt report {folder}` writes its reports.",
                    fg="yellow", err=True)
        sys.exit(EXIT_INTERRUPTED)
    console.out(f"Results: {folder}" + ("" if no_reports else
                                          " (business case: report.xlsx, report.html)"))


@main.command()
@click.argument("workbook", type=WORKBOOK)
@click.option("-o", "--output", "output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder (default results/<workbook name>/frontier-<scenario>).")
@click.option("--scenario", default="base", show_default=True, help="Scenario to solve.")
@click.option("--points", type=click.IntRange(min=2, max=100), default=8, show_default=True,
              help="Capital budgets from the committed options' capital to --max-capital "
              "(today's budget is added as a point of its own).")
@click.option("--max-capital", type=click.FloatRange(min=0), default=None,
              help="Top of the curve, £ of capital (default: enough to build every option "
              "that has value, i.e. the plan with no limit on the general capital pot). "
              "Beyond today's budget the extra arrives in the first year.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Solver time limit per solve, seconds.")
@click.option("--gap", type=click.FloatRange(0, 1), help="Relative MIP gap.")
@click.option("--quiet", "-q", is_flag=True, help="No progress.")
@guarded
def frontier(workbook: Path, output: Path | None, scenario: str, points: int,
             max_capital: float | None, time_limit: float | None, gap: float | None,
             quiet: bool) -> None:
    """The capital programme curve: the plan under a rising capital budget, past today's."""
    from .frontier import MaxCapitalTooLow, write_frontier
    from .frontier import frontier as solve_frontier
    from .report import staged

    console = Console(quiet)
    try:
        table = solve_frontier(workbook, scenario, points, progress=console.step,
                               time_limit=time_limit, mip_gap=gap, max_capital=max_capital)
    except MaxCapitalTooLow as exc:
        raise click.BadParameter(str(exc), param_hint="--max-capital") from None
    folder = output or Path("results") / workbook.stem / f"frontier-{scenario}"
    with staged(folder) as staging:
        write_frontier(table, staging)
    shown = table[["capital_budget", "capital_spent", "n_options", "new_places", "npv",
                   "out_of_area_saving", "today"]]
    console.out(shown.to_string(index=False, float_format=lambda x: f"{x:,.0f}"))
    console.out(f"Frontier: {folder}")


@main.command()
@click.argument("result_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@guarded
def report(result_dir: Path) -> None:
    """(Re)write report.xlsx and report.html from a result folder's files."""
    from .report import write_reports

    write_reports(result_dir)
    click.echo(f"Wrote {result_dir / 'report.xlsx'} and {result_dir / 'report.html'}")


def summary_table(summary: dict[str, Any]) -> str:
    """Plan against baseline, in the planner's words, for the terminal."""
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
    payback = saved["payback_year"] if saved["payback_year"] is not None else "none"
    lines.append(f"NPV of the plan over the baseline: {money(saved['npv'])}; "
                 f"payback year: {payback}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    main()
