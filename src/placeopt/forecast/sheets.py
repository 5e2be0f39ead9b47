"""The forecast in a planning workbook: Demand, the low / high Scenarios, a Forecast sheet.

A new workbook is written from the template (`write_workbook`). Into a planner's own
workbook the forecast goes as a copy: every other sheet is kept as it was, the Demand it
replaces is kept as the sheet "Demand before forecast", Scenarios rows of other scenarios
stay, and the file is written to a new path (the caller refuses to overwrite).
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from ..problems import InputError, Problem, sheet_ref
from ..version import __version__
from ..workbook.cells import CellError, is_blank, parse_cell
from ..workbook.schema import PARAMETER_BY_NAME, SHEET_BY_NAME, normalise_header
from ..workbook.template import build_workbook, write_table_sheet
from ..workbook.xlsx import check_file, read_sheets
from .ages import AGES, age_label
from .demand import HIGH, LOW, Forecast
from .sen2 import LEVELS

FORECAST_SHEET = "Forecast"
PREVIOUS_DEMAND = "Demand before forecast"
# Parts of an .xlsx that openpyxl does not carry over when it saves a workbook it read.
DROPPED_PARTS = {
    r"xl/drawings/drawing\d+\.xml": "charts, images or shapes",
    r"xl/charts/": "charts", r"xl/media/": "images", r"xl/pivotTables/": "pivot tables",
    r"xl/vbaProject\.bin": "macros", r"xl/slicers/": "slicers", r"xl/timelines/": "timelines",
    r"xl/threadedComments/": "threaded comments", r"xl/richData/": "pictures in cells",
    r"xl/ctrlProps/": "form controls", r"xl/activeX/": "ActiveX controls",
    r"xl/embeddings/": "embedded objects",
}
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14, color="1F4E78")


@dataclass(frozen=True)
class Frame:
    """What the forecast takes from a planner's workbook: its years and its zones."""

    first_year: int
    horizon_years: int
    zone_ids: tuple[str, ...]
    zone_names: tuple[str, ...]

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.first_year + self.horizon_years))


def _refuse(where: str, message: str) -> InputError:
    return InputError([Problem("error", where, message)])


def _sheet(sheets: dict[str, Any], name: str) -> Any | None:
    key = normalise_header(name).replace("_", "")
    return next((s for title, s in sheets.items()
                 if normalise_header(title).replace("_", "") == key), None)


def read_frame(path: Path) -> Frame:
    """The planning years (Parameters) and zones (Zones) of an existing workbook."""
    sheets = read_sheets(path).sheets
    params, zones = _sheet(sheets, "Parameters"), _sheet(sheets, "Zones")
    if params is None or zones is None:
        missing = " and ".join(n for n, s in (("Parameters", params), ("Zones", zones))
                               if s is None)
        raise _refuse(path.name, f"no {missing} sheet: the forecast needs the workbook's "
                      "planning years and zones")
    values: dict[str, Any] = {}
    headers = [normalise_header(h) for h in params.headers]
    if "parameter" in headers and "value" in headers:
        for number, row in params.rows:
            name = normalise_header(row[headers.index("parameter")])
            if name in ("first_year", "horizon_years"):
                where = f"{params.ref}!B{number}"
                try:
                    value = row[headers.index("value")]
                    values[name] = None if is_blank(value) else \
                        int(parse_cell(PARAMETER_BY_NAME[name], value))
                except (CellError, IndexError, ValueError):
                    raise _refuse(where, f"{name} is not a whole number") from None
    if values.get("first_year") is None:
        raise _refuse(params.ref, "first_year is not given: the forecast needs the first "
                      "planning year")
    horizon = values.get("horizon_years") or PARAMETER_BY_NAME["horizon_years"].default
    zone_headers = [normalise_header(h) for h in zones.headers]
    if "zone_id" not in zone_headers:
        raise _refuse(f"{zones.ref}!A1", "no zone_id column")
    at, name_at = zone_headers.index("zone_id"), \
        zone_headers.index("name") if "name" in zone_headers else None
    column = SHEET_BY_NAME["Zones"].column("zone_id")
    ids, names = [], []
    for _, row in zones.rows:
        if at < len(row) and not is_blank(row[at]):
            ids.append(parse_cell(column, row[at]))
            names.append(str(row[name_at]) if name_at is not None and name_at < len(row)
                         and not is_blank(row[name_at]) else ids[-1])
    return Frame(values["first_year"], int(horizon), tuple(ids), tuple(names))


# Excel's extensions inside a worksheet that openpyxl leaves out when it saves: the cells
# stay, these do not (a note tells the planner).
DROPPED_EXTENSIONS = {b"<x14:dataValidation": "drop-down lists that refer to other sheets",
                      b"<x14:conditionalFormatting": "some conditional formatting",
                      b"<x14:sparklineGroup": "sparklines"}


def _dropped_parts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    return sorted({what for pattern, what in DROPPED_PARTS.items()
                   for name in names if re.match(pattern, name)})


def _dropped_extensions(path: Path) -> list[str]:
    found = set()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                text = archive.read(name)
                found |= {what for tag, what in DROPPED_EXTENSIONS.items() if tag in text}
    return sorted(found)


@contextmanager
def _staged(output: Path) -> Iterator[Path]:
    """A temporary file beside `output`, moved over it only when complete."""
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(suffix=".xlsx", dir=output.parent, prefix=".forecast-")
    os.close(handle)
    try:
        yield Path(name)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(name, 0o666 & ~mask)  # as any new file, not mkstemp's owner-only
        os.replace(name, output)
    finally:
        if os.path.exists(name):
            os.remove(name)


def write_forecast(forecast: Forecast, output: Path, workbook: Path | None = None) -> list[str]:
    """Write the forecast to `output`: a new workbook, or a copy of `workbook` with the
    forecast in it. Returns notes for the planner."""
    if workbook is None:
        authority = forecast.projection.history.authority
        tables = {
            "Parameters": [{"parameter": "first_year", "value": forecast.years[0]},
                           {"parameter": "horizon_years", "value": len(forecast.years)},
                           {"parameter": "home_la", "value": str(authority)}],
            "Zones": [{"zone_id": z, "name": n}
                      for z, n in zip(forecast.zones.ids, forecast.zones.names, strict=True)],
            "Demand": forecast.demand_rows(),
            "Scenarios": forecast.scenario_rows(),
        }
        book = build_workbook(tables, notes=[guide_note(forecast)],
                              title=f"placeopt planning workbook: {authority.name} (forecast)")
        write_method_sheet(book, forecast)
        with _staged(output) as staging:
            book.save(staging)
        return ["Zones has no locations: add each zone's latitude and longitude (or easting "
                "and northing) before placeopt run"]
    return _into_existing(forecast, output, workbook)


def check_copyable(workbook: Path) -> None:
    """Refuse a workbook that openpyxl would not carry over whole."""
    check_file(workbook)
    dropped = _dropped_parts(workbook)
    if dropped:
        raise _refuse(workbook.name, f"the workbook holds {', '.join(dropped)}, which placeopt "
                      "cannot copy without losing them: write the forecast to a new workbook "
                      "(leave out --workbook) and copy its Demand and Scenarios rows into yours")


def _into_existing(forecast: Forecast, output: Path, workbook: Path) -> list[str]:
    check_copyable(workbook)
    with warnings.catch_warnings():  # openpyxl's own words for what the note below says
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        book = load_workbook(workbook)
    notes = [f"Excel's {what} are not in the copy (the workbook you gave keeps them)"
             for what in _dropped_extensions(workbook)]
    formulas = sum(1 for ws in book.worksheets for row in ws.iter_rows() for cell in row
                   if cell.data_type == "f")
    if formulas:
        book.calculation.fullCalcOnLoad = True
        notes.append(f"{formulas} formula cells keep their formulas but not their last values: "
                     "open the new workbook in Excel and save it before placeopt reads it")
    titles = {normalise_header(t).replace("_", ""): t for t in book.sheetnames}
    demand_title = titles.get("demand")
    index = None
    if PREVIOUS_DEMAND in book.sheetnames:
        del book[PREVIOUS_DEMAND]
    if demand_title is not None:
        index = book.sheetnames.index(demand_title)
        book[demand_title].title = PREVIOUS_DEMAND
        notes.append(f"the workbook's Demand is kept as the sheet '{PREVIOUS_DEMAND}'")
    write_table_sheet(book, "Demand", forecast.demand_rows(), forecast.years, index)
    scenarios_title = titles.get("scenarios")
    if scenarios_title is None:
        write_table_sheet(book, "Scenarios", forecast.scenario_rows())
    else:
        _replace_scenario_rows(book[scenarios_title], forecast.scenario_rows())
    write_method_sheet(book, forecast)
    with _staged(output) as staging:
        book.save(staging)
    return notes


def _replace_scenario_rows(ws: Worksheet, rows: list[dict[str, Any]]) -> None:
    """Drop earlier forecast rows (scenarios demand_low / demand_high), add the new ones
    under the planner's rows, in the sheet's own columns."""
    headers = {normalise_header(c.value): c.column for c in ws[1] if c.value is not None}
    missing = [c for c in ("scenario", "sheet", "column", "filter", "operation", "value")
               if c not in headers]
    if missing:
        raise _refuse(f"{sheet_ref(ws.title)}!A1", f"the Scenarios sheet has no column "
                      f"{', '.join(missing)}")
    scenario_column = headers["scenario"]
    old = [r for r in range(2, ws.max_row + 1)
           if str(ws.cell(r, scenario_column).value or "").strip().lower() in (LOW, HIGH)]
    for r in reversed(old):
        ws.delete_rows(r)
    last = max((r for r in range(1, ws.max_row + 1)
                if any(c.value is not None for c in ws[r])), default=1)
    for offset, row in enumerate(rows, start=1):
        for name, value in row.items():
            if name in headers:
                ws.cell(last + offset, headers[name], value)


def guide_note(forecast: Forecast) -> str:
    history = forecast.projection.history
    return (f"Demand projected by placeopt forecast from {history.authority}'s EHC plans "
            f"(DfE SEN2, {history.years[0]}/{(history.years[0] + 1) % 100:02d} to "
            f"{history.last_year}/{(history.last_year + 1) % 100:02d}): provision levels "
            f"{', '.join(forecast.provision)}. The Forecast sheet records the method, its "
            f"parameters and the figures; scenarios {LOW} and {HIGH} scale Demand to the ends "
            "of the forecast's interval.")


def _rows(ws: Worksheet, start: int, rows: list[list[Any]], bold_first: bool = False) -> int:
    for r, values in enumerate(rows):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(start + r, c, value)
            if bold_first and r == 0:
                cell.font = BOLD
    return start + len(rows) + 1


def write_method_sheet(book: Workbook, forecast: Forecast) -> Worksheet:
    """The Forecast sheet: method, data, parameters, assumptions, ratios and figures."""
    if FORECAST_SHEET in book.sheetnames:
        del book[FORECAST_SHEET]
    ws = book.create_sheet(FORECAST_SHEET)
    projection, history = forecast.projection, forecast.projection.history
    estimate, method = projection.estimate, projection.method
    ws["A1"] = f"Demand forecast: {history.authority}"
    ws["A1"].font = TITLE
    ws["A2"] = (f"placeopt {__version__}, cohort model (docs/forecast.md), form: "
                f"{estimate.form}")
    row = 4
    for text in method_lines(forecast):
        ws.cell(row, 1, text).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        ws.row_dimensions[row].height = 15 * (1 + len(text) // 120)
        row += 1
    row = _rows(ws, row + 1, [["parameter", "value", "default", "meaning"],
                              *[list(r) for r in method.rows()],
                              ["provision", ";".join(forecast.provision), "resourced;special",
                               "provision levels written to Demand"],
                              ["base_year", forecast.base_year, history.last_year,
                               "planning year that the latest SEN2 count stands for"]],
                bold_first=True)
    row = _rows(ws, row, ratio_rows(forecast), bold_first=True)
    summary = forecast.summary()
    row = _rows(ws, row, [["projection", "year", "low", "central", "high"],
                          *[[r.measure, r.year, round(r.low, 3), round(r.central, 3),
                             round(r.high, 3)] for r in summary.itertuples()]],
                bold_first=True)
    observed = forecast.observed().dropna()
    _rows(ws, row, [["SEN2 count", "year", "plans"],
                    *[[r.measure, r.year, r.plans] for r in observed.itertuples()]],
          bold_first=True)
    for letter, width in zip("ABCDEF", (24, 14, 14, 14, 14, 60), strict=True):
        ws.column_dimensions[letter].width = width
    return ws


def ratio_rows(forecast: Forecast) -> list[list[Any]]:
    """The ratios the projection used: the authority's, England's and the pooled value in
    the first projected year (entry ages: plans per child, or plans without a population)."""
    estimate = forecast.projection.estimate
    pairs = ", ".join(f"{y}/{(y + 1) % 100:02d}-{y + 1}/{(y + 2) % 100:02d}"
                      for y in estimate.transitions)
    header = ["ratio (from age)", "authority", "England", "used in year 1", "", pairs]
    own, national = estimate.own_ratios.mean(axis=0), estimate.england_ratios.mean(axis=0)
    if estimate.form == "all ages":
        return [header, ["all ages", round(float(own[0]), 4), round(float(national[0]), 4),
                         round(float(estimate.ratios[0, 0]), 4)]]
    entry = estimate.entry_rates.shape[1]
    rows = [header]
    unit = "per child" if estimate.per_child else "plans"
    rows += [[f"entrants ({unit}), age {age_label(AGES[j])}", None, None,
              round(float(estimate.entry_rates[0, j]), 6)] for j in range(entry)]
    rows += [[f"age {age_label(AGES[j])} to {AGES[j + 1]}",
              None if own[j] != own[j] else round(float(own[j]), 4),
              None if national[j] != national[j] else round(float(national[j]), 4),
              round(float(estimate.ratios[0, j]), 4)]
             for j in range(entry - 1, len(AGES) - 1)]
    return rows


def method_lines(forecast: Forecast) -> list[str]:
    """The method and its assumptions in words (also in the HTML report)."""
    projection, history = forecast.projection, forecast.projection.history
    estimate, method = projection.estimate, projection.method
    first, last = history.years[0], history.last_year
    lines = [
        f"Data: DfE, Education, health and care plans (SEN2), plans in force each January "
        f"{first + 1}-{last + 1} by setting (years {first}/{(first + 1) % 100:02d} to "
        f"{last}/{(last + 1) % 100:02d}), by age and setting from 2023/24, by primary need "
        f"{history.need_year or 'not used'}; Open Government Licence v3.0.",
    ]
    if estimate.form == "by age":
        lines.append(
            f"Method: each age's plans are last year's plans one year younger times a "
            f"progression ratio (new plans, ceased plans and moves carried together); ages "
            f"up to {method.entry_age} are entrants, a rate of the children of that age. "
            f"Ratios are the mean over the window ({len(estimate.transitions)} pair(s) of "
            f"years with ages: SEN2 publishes ages from 2023/24), {method.pooling:.0%} "
            f"England's and {1 - method.pooling:.0%} {history.authority.name}'s.")
    else:
        lines.append(
            "Method: the history has no two years with ages, so all plans are one band "
            "carried on by the all-plans ratio (the mean over the window, pooled with "
            "England's).")
    lines += [
        f"Provision levels: each age's shares of mainstream, resourced and special places in "
        f"{estimate.share_year}/{(estimate.share_year + 1) % 100:02d}, "
        + _share_words(forecast) + "; needs: the shares of the latest year, fitted to SEN2's "
        "need-by-age and need-by-setting tables; zones: each zone's share of the phase's "
        "children.",
        *interval_lines(forecast),
        f"Year {forecast.base_year} holds the January {last + 1} count"
        + (f" (SEN2's {last}/{(last + 1) % 100:02d}: the count is taken to stand for "
           f"{forecast.base_year}/{(forecast.base_year + 1) % 100:02d})" if forecast.shift
           else "") + "; later years are projected.",
    ]
    return lines


def _share_words(forecast: Forecast) -> str:
    method, estimate = forecast.projection.method, forecast.projection.estimate
    if method.share_trend != "pooled":
        return f"share_trend {method.share_trend}"
    ratio = estimate.share_ratios[LEVELS.index("special")]
    return (f"moving as specialist places' share of plans moved (a year-on-year ratio of "
            f"{ratio:.4f}, {method.pooling:.0%} England's), damped by {method.damping:g} a year")


def interval_lines(forecast: Forecast) -> list[str]:
    """How the interval was made, for the method sheet and the report."""
    projection = forecast.projection
    model, method = projection.error_model, projection.method
    percent = round(100 * method.interval)
    lines = [f"Interval: the {percent}% band of the errors this method made in SEN2's own "
             f"history, for an authority of this size and the years ahead (all plans by the "
             f"total's errors, each provision level by the specialist places' errors).",
             model.sentence()]
    if method.label() != model.method:
        lines.append(f"The errors are those of the method with {model.method} parameters; "
                     f"this forecast uses {method.label()}, so its band is an "
                     "approximation: `placeopt forecast backtest` with these parameters "
                     "measures their own errors.")
    return lines
