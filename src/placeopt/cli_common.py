"""What every `placeopt` command shares: exit codes, option help in one style, the
examples at the end of each --help, the terminal's console, and `guarded`, which turns
the failures of a command into its exit code and a message in words (SPEC §3)."""

from __future__ import annotations

import contextlib
import functools
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from .problems import InputError, Problem, ProvenInfeasible, SolveError, UnknownScenario
from .version import __version__

EXIT_INPUT, EXIT_SOLVE, EXIT_INTERNAL = 1, 3, 4
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C

# A workbook argument: a path that does not exist (or is a folder) is a usage error,
# exit 2; a file that exists but is not a good workbook is an input error, exit 1.
WORKBOOK = click.Path(exists=True, dir_okay=False, path_type=Path)

# Option help in one style: a sentence (capital, full stop); a default that is not the
# option's value goes in show_default, so every help shows it as "[default: ...]".
QUIET_HELP = "Print only what went wrong: no progress, warnings or summary."
TIME_LIMIT_HELP = "Solver time limit per solve, in seconds (overrides time_limit_seconds)."
GAP_HELP = "Relative MIP gap at which each solve stops (overrides mip_gap)."


def quiet_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """-q, --quiet: the same in every command."""
    return click.option("--quiet", "-q", is_flag=True, help=QUIET_HELP)(command)


def examples(*commands: str) -> str:
    """The end of a command's --help: one or two commands to copy (SPEC §3)."""
    return "\b\nExamples:\n" + "\n".join(f"  {command}" for command in commands)


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


def print_problems(problems: list[Problem], quiet: bool = False) -> None:
    for problem in problems:
        if quiet and problem.level != "error":
            continue
        colour = "red" if problem.level == "error" else "yellow"
        click.secho(str(problem), fg=colour, err=True)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn input and solver failures into messages and exit codes, not tracebacks."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = ctx.find_root().params.get("debug", False)
        quiet = bool(ctx.params.get("quiet"))
        try:
            return command(*args, **kwargs)
        except UnknownScenario as exc:
            raise click.BadParameter(exc.sentence, param_hint=exc.option) from None
        except InputError as exc:
            if debug:
                traceback.print_exc()
            print_problems(exc.problems, quiet)
            click.secho(f"{error_count(exc.errors)}: the workbook was not accepted.",
                        fg="red", err=True)
            sys.exit(EXIT_INPUT)
        except ProvenInfeasible as exc:
            if debug:
                traceback.print_exc()
            print_problems(exc.problems, quiet)
            click.secho("The model is infeasible: no plan can exist, as the checks above "
                        "prove before any solve.", fg="red", err=True)
            sys.exit(EXIT_SOLVE)
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


def error_count(errors: list[Problem]) -> str:
    """'2 errors (and 1,520 more that follow from them)': the causes to fix, and how
    many problems go with them."""
    causes = sum(1 for p in errors if not p.family)
    following = sum(p.count for p in errors if p.family)
    text = f"{causes} error{'s' if causes != 1 else ''}"
    if following:
        text += (f" (and {following:,} more that follow from "
                 f"{'it' if causes == 1 else 'them'})")
    return text


def internal_error_message(exc: Exception) -> str:
    """What a planner sees when placeopt itself fails: whose fault, and how to report it."""
    return (f"Internal error in placeopt {__version__} ({type(exc).__name__}: {exc}).\n"
            "This is a bug in placeopt, not a problem with your workbook. Please report it "
            "to the placeopt maintainers with the command you ran, the output of the same "
            "command run with --debug (placeopt --debug ...; it shows the traceback) and, "
            "if you can share it, the workbook.")


def print_warning(message: str) -> None:
    click.secho(f"WARNING {message}", fg="yellow", err=True)


@contextlib.contextmanager
def folder_rules() -> Iterator[None]:
    """The result-folder rules of SPEC §4 as exit codes: a folder placeopt will not replace
    or read as results is a usage error (2); a result folder with a file missing is an
    input error (1); one whose run ended without a plan says so with its status (3)."""
    from .report import FolderRefused, IncompleteFolder, NoPlan

    try:
        yield
    except FolderRefused as exc:
        raise click.UsageError(f"{exc}. Nothing was written.") from exc
    except IncompleteFolder as exc:
        click.secho(f"ERROR {exc}", fg="red", err=True)
        sys.exit(EXIT_INPUT)
    except NoPlan as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(EXIT_SOLVE)
