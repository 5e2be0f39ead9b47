"""What `placeopt forecast project` does, as one function the Python API can call."""

from __future__ import annotations

from pathlib import Path

from ..problems import InputError, Problem
from .cohort import project
from .demand import DEFAULT_PROVISION, PROVISION, Forecast, Zones
from .method import DEFAULT_METHOD, Method
from .population import Population
from .sen2 import Authority, Sen2
from .sheets import Frame, check_copyable, read_frame, write_forecast


class BadRequest(ValueError):
    """An argument that cannot work (years, provision levels); `about` names which."""

    def __init__(self, about: str, message: str):
        super().__init__(message)
        self.about = about


def _zones(authority: Authority, population: Population | None, frame: Frame | None,
           year: int) -> Zones:
    """Zones from the population file (or the authority as one zone), checked against
    the workbook's zones when there is one."""
    if population is not None and population.zone_ids != ("",):
        zones = Zones.from_population(population, year)
        if frame is not None:
            unknown = [z for z in zones.ids if z not in frame.zone_ids]
            if unknown:
                raise InputError([Problem("error", "Zones", f"{len(unknown)} zone(s) of the "
                                          f"population file are not in the workbook's Zones "
                                          f"sheet: {', '.join(unknown[:5])}")])
        return zones
    if frame is None:
        return Zones.whole(authority.new_code, authority.name)
    if len(frame.zone_ids) != 1:
        raise InputError([Problem("error", "Zones", f"the workbook has {len(frame.zone_ids)} "
                                  "zones: give a population file by zone (--population) to "
                                  "spread demand over them")])
    return Zones.whole(frame.zone_ids[0], frame.zone_names[0])


def make_forecast(sen2: Sen2, authority: Authority, *, years: tuple[int, ...] | None = None,
                  first_year: int | None = None, horizon_years: int = 10,
                  base_year: int | None = None, provision: tuple[str, ...] = DEFAULT_PROVISION,
                  method: Method = DEFAULT_METHOD, population: Population | None = None,
                  frame: Frame | None = None) -> Forecast:
    """The forecast for `authority` over `years`: given, or the workbook's (`frame`), or
    `horizon_years` from `first_year` (default: the year after the base year)."""
    unknown = [p for p in provision if p not in PROVISION]
    if unknown or not provision:
        raise BadRequest("provision", f"provision levels must be among {', '.join(PROVISION)}; "
                         f"got {', '.join(unknown) or 'none'}")
    if "any" in provision and len(provision) > 1:
        raise BadRequest("provision", "'any' (every plan) would count the pupils of the other "
                         "levels twice: give it alone")
    history, england = sen2.history(authority), sen2.england()
    base = history.last_year if base_year is None else base_year
    if years is None and frame is not None:
        years = frame.years
    if years is None:
        first = base + 1 if first_year is None else first_year
        years = tuple(range(first, first + horizon_years))
    if years[0] < base:
        raise BadRequest("years", f"the first planning year {years[0]} is before "
                         f"{base}, the year the latest SEN2 count stands for: the forecast "
                         "does not go back")
    projection = project(history, england, years[-1] - base, method,
                         population.by_band if population is not None else None)
    return Forecast(projection, england, tuple(provision), base, tuple(years),
                    _zones(authority, population, frame, history.last_year))


def forecast_workbook(sen2: Sen2, authority: Authority, output: Path, *,
                      workbook: Path | None = None, first_year: int | None = None,
                      horizon_years: int = 10, **options: object) -> tuple[Forecast, list[str]]:
    """Project `authority`'s demand and write it to `output` (a new workbook, or a copy of
    `workbook` with the forecast in it). Returns the forecast and notes for the planner."""
    frame = None
    if workbook is not None:
        check_copyable(workbook)
        frame = read_frame(workbook)
    forecast = make_forecast(sen2, authority, first_year=first_year,
                             horizon_years=horizon_years, frame=frame, **options)
    return forecast, write_forecast(forecast, output, workbook)
