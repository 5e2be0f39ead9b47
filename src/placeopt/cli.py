"""The `placeopt` command line (SPEC §3).

Exit codes: 0 success; 1 input errors; 2 usage errors (click's own); 3 infeasible model or
solver failure. No traceback for input, usage or solver problems unless --debug.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .problems import InputError, Problem, SolveError

EXIT_INPUT, EXIT_SOLVE = 1, 3


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
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug of ours: say so plainly, keep the detail for --debug
            if debug:
                raise
            click.secho(f"Internal error ({type(exc).__name__}: {exc}). Run again with --debug "
                        "for the traceback and report it.", fg="red", err=True)
            sys.exit(EXIT_SOLVE)

    return wrapper


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
    from .template import write_template

    if path.suffix.lower() != ".xlsx":
        raise click.BadParameter("the template is an Excel workbook: give a path ending .xlsx",
                                 param_hint="PATH")
    if path.exists() and not force:
        raise click.BadParameter(f"{path} exists; use --force to overwrite it",
                                 param_hint="PATH")
    write_template(path, example=example)
    click.echo(f"Wrote {'worked example' if example else 'template'} {path}")


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
@guarded
def validate(workbook: Path, quiet: bool) -> None:
    """Read and check WORKBOOK; print every error and warning. Writes nothing."""
    from .checks import validate_all

    warnings, notes = validate_all(workbook)
    if not quiet:
        print_problems(warnings)
        for line in notes:
            click.echo(line)
    n = len(warnings)
    click.secho(f"{workbook}: no errors, {n} warning{'s' if n != 1 else ''}.", fg="green")


if __name__ == "__main__":  # pragma: no cover
    main()
