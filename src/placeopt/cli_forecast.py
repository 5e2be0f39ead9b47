"""`placeopt forecast`: demand from EHC plan history (the work is in placeopt/forecast/);
its commands' options and errors as the rest of the command line has them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .cli_common import Console, examples, guarded, quiet_option


# -- placeopt forecast: demand from EHC plan history (the work is in placeopt/forecast/) ----
def _method_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The cohort model's parameters as options, with Method's defaults and help."""
    from dataclasses import fields

    from .forecast.method import SHARE_TRENDS, TRENDS, Method

    choices = {"trend": TRENDS, "share_trend": SHARE_TRENDS}
    for f in reversed(fields(Method)):
        kind = click.Choice(choices[f.name]) if f.name in choices else type(f.default)
        command = click.option(f"--{f.name.replace('_', '-')}", f.name, type=kind,
                               default=f.default, show_default=True,
                               help=_sentence(f.metadata["help"]))(command)
    return command


def _sentence(text: str) -> str:
    """An option's help as the others have it: a capital, a full stop."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@contextmanager
def _forecast_arguments() -> Iterator[None]:
    """The forecast's complaints about its arguments, as usage errors naming the option."""
    from .forecast.calibration import NothingToCalibrate
    from .forecast.cohort import NotEnoughHistory
    from .forecast.command import BadRequest
    from .forecast.population import PopulationError
    from .forecast.sen2 import Sen2Missing, UnknownAuthority

    try:
        yield
    except (Sen2Missing, UnknownAuthority, NotEnoughHistory, PopulationError, BadRequest,
            NothingToCalibrate) as exc:
        hint = {Sen2Missing: "--sen2", UnknownAuthority: "--la", NotEnoughHistory: "--la",
                PopulationError: "--population", NothingToCalibrate: "--hold-out"}.get(type(exc))
        if isinstance(exc, BadRequest):
            hint = "--provision" if exc.about == "provision" else "--first-year/--base-year"
        raise click.BadParameter(str(exc), param_hint=hint) from None
    except ValueError as exc:  # the method's parameters
        raise click.BadParameter(str(exc), param_hint="the method's options") from None


def _authority(sen2: Any, text: str, console: Console) -> Any:
    """The authority --la names; says which one a part of a name chose."""
    authority = sen2.find(text)
    if not sen2.exactly(text, authority):
        console.step(f"--la {text!r}: {authority}")
    return authority


def _fresh(path: Path, force: bool, option: str) -> None:
    if path.exists() and not force:
        raise click.BadParameter(f"{path} exists; use --force to overwrite it", param_hint=option)


@click.group(epilog=examples("placeopt forecast project --la Trafford -o trafford-demand.xlsx",
                            "placeopt forecast backtest --la Trafford -o results/backtest"))
def forecast() -> None:
    """Project demand from EHC plan history (DfE SEN2) into a workbook's Demand sheet."""


SEN2_HELP = ("Folder with SEN2's caseload.csv and sen_needs_all_plans.csv (the DfE download) "
             "or placeopt's cut of them.")
SEN2_DEFAULT = "placeopt's own cut of SEN2 2025, installed with it"


def sen2_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--sen2: where SEN2 is read from, the same in every forecast command."""
    return click.option("--sen2", "sen2_dir", type=click.Path(path_type=Path), help=SEN2_HELP,
                        show_default=SEN2_DEFAULT)(command)


@forecast.command("project", epilog=examples(
    "placeopt forecast project --la Trafford -o trafford-demand.xlsx",
    "placeopt forecast project --la 358 --workbook my_plan.xlsx -o my_plan-forecast.xlsx"))
@click.option("--la", required=True, help="Local authority: name, DfE code (358) or ONS code "
              "(E08000009).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write (.xlsx).")
@click.option("--workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Start from this planning workbook: its years and zones, its other sheets "
              "kept as they are.", show_default="a new workbook from the template")
@click.option("--population", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Children by single year of age (CSV, columns 0..25, optional zone_id and "
              "period): demand is spread over its zones; with several years (a projection) "
              "the entrants follow it.")
@click.option("--population-year", type=int, help="The population's mid-year, if the file has "
              "no period column.")
@click.option("--provision", default="resourced,special", show_default=True,
              help="Provision levels to write: mainstream, resourced, special; or any (every "
              "plan) alone.")
@click.option("--first-year", type=int, help="First planning year of a new workbook.",
              show_default="the year after the latest SEN2 count")
@click.option("--horizon", type=click.IntRange(1, 40), default=10, show_default=True,
              help="Planning years of a new workbook.")
@click.option("--base-year", type=int, help="Planning year that the latest SEN2 count stands "
              "for.", show_default="its own year: January 2025 is in 2024/25, year 2024")
@sen2_option
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML report with fan charts.",
              show_default="OUTPUT with .forecast.html")
@click.option("--force", is_flag=True, help="Overwrite the workbook and report if they exist.")
@quiet_option
@_method_options
@guarded
def forecast_project(la: str, output: Path, workbook: Path | None, population: Path | None,
                     population_year: int | None, provision: str, first_year: int | None,
                     horizon: int, base_year: int | None, sen2_dir: Path | None,
                     report: Path | None, force: bool, quiet: bool, **method: Any) -> None:
    """Project LA's demand from SEN2 and write it into a workbook's Demand sheet."""
    from .forecast.command import forecast_workbook
    from .forecast.method import Method
    from .forecast.population import read_population
    from .forecast.report import write_report
    from .forecast.sen2 import Sen2

    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("give a workbook path ending .xlsx", param_hint="--output")
    report = report or output.with_suffix(".forecast.html")
    _fresh(output, force, "--output")
    _fresh(report, force, "--report")
    console = Console(quiet)
    with _forecast_arguments():
        sen2 = Sen2.read(sen2_dir or Sen2.PACKAGED)
        authority = _authority(sen2, la, console)
        people = read_population(population, population_year) if population else None
        result, notes = forecast_workbook(
            sen2, authority, output, workbook=workbook, first_year=first_year,
            horizon_years=horizon, base_year=base_year, method=Method(**method),
            provision=tuple(p.strip() for p in provision.split(",") if p.strip()),
            population=people)
    write_report(result, report)
    for note in notes:
        console.out(f"Note: {note}")
    summary = result.summary()
    measures = ["all plans" if p == "any" else p for p in result.provision] + ["all plans"]
    shown = summary[summary["year"].isin([result.years[0], result.years[-1]])
                    & summary["measure"].isin(measures)]
    console.out(f"{authority}: cohort model {result.projection.estimate.form}")
    console.out(shown.to_string(index=False, float_format=lambda x: f"{x:,.1f}"))
    console.out(f"Wrote {output} and {report}")


@forecast.command("backtest", epilog=examples(
    "placeopt forecast backtest --la Trafford -o results/backtest",
    "placeopt forecast backtest --la all --hold-out 2 -o results/backtest"))
@click.option("--la", required=True, help="Local authority (name or code), or all.")
@click.option("--hold-out", "hold_out", type=click.IntRange(min=1), default=2,
              show_default=True, help="Years held out at the end of the history; the "
              "interval is calibrated on the errors known before them.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for backtest.csv, errors.csv, their summaries, coverage.csv and "
              ".svg and calibration.json.")
@sen2_option
@click.option("--force", is_flag=True, help="Overwrite an earlier backtest in the folder.")
@quiet_option
@_method_options
@guarded
def forecast_backtest(la: str, hold_out: int, output: Path, sen2_dir: Path | None,
                      force: bool, quiet: bool, **method: Any) -> None:
    """Project the last K years of each LA's history from the rest; compare with SEN2."""
    from .forecast.backtest import backtest, summarise, write_backtest
    from .forecast.method import Method
    from .forecast.sen2 import Sen2

    _fresh(output / "backtest.csv", force, "--output")
    console = Console(quiet)
    with _forecast_arguments():
        sen2 = Sen2.read(sen2_dir or Sen2.PACKAGED)
        chosen = sen2.authorities() if la.strip().lower() == "all" else [_authority(sen2, la,
                                                                                    console)]
        result = backtest(sen2, chosen, hold_out, Method(**method), progress=_reading(console))
    summary = summarise(result.table)
    written = write_backtest(result, summary, output)
    console.out(f"Interval: {result.model.sentence()}")
    console.out(summary.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    console.out(f"Wrote {', '.join(p.name for p in written)} in {output}")


@forecast.command("calibrate", epilog=examples(
    "placeopt forecast calibrate -o results/error_model.json"))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The error model to write (JSON); placeopt's own is "
              "src/placeopt/forecast/error_model.json.")
@sen2_option
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@quiet_option
@_method_options
@guarded
def forecast_calibrate(output: Path, sen2_dir: Path | None, force: bool, quiet: bool,
                       **method: Any) -> None:
    """Fit the forecast's error model on every error of the rolling-origin backtest."""
    from .forecast.backtest import read_histories, rolling_errors
    from .forecast.calibration import fit_error_model
    from .forecast.method import Method
    from .forecast.sen2 import Sen2

    _fresh(output, force, "--output")
    console = Console(quiet)
    chosen = Method(**method)
    with _forecast_arguments():
        sen2 = Sen2.read(sen2_dir or Sen2.PACKAGED)
        errors = rolling_errors(read_histories(sen2, _reading(console)), sen2.england(), chosen)
        model = fit_error_model(errors, chosen.label())
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(model.to_json(), encoding="utf-8")
    console.out(model.sentence())
    console.out(f"Wrote {output}")


def _reading(console: Console) -> Callable[[int, Any], None]:
    return lambda i, authority: console.step(f"[{i + 1}] reading {authority}")
