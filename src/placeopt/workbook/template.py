"""Writing the planning template (and the worked example) from the schema.

The template is what a planner fills in: a Guide sheet first, then every sheet with its
headers, a note on each header (meaning and unit), drop-down lists and number checks,
styled input cells, frozen header rows and column widths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..version import __version__
from .cells import ALL
from .schema import (
    DEFAULT_NEEDS,
    DEFAULT_SUITABILITY,
    PARAMETERS,
    PHASES,
    SHEET_BY_NAME,
    SHEETS,
    Column,
    Kind,
    Sheet,
)

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
INPUT_ROWS = 200  # rows styled beyond the data, ready to fill
LAST_ROW = 1_048_576  # Excel's last row: the checks reach every row a planner may fill


def default_first_year(today: dt.date | None = None) -> int:
    """The next academic year to plan for: from September, the one after the current."""
    today = today or dt.date.today()
    return today.year + 1 if today.month >= 9 else today.year


def write_template(path: str | Path, example: bool = False) -> Path:
    """Write the blank template, or the worked example, to `path` (.xlsx)."""
    if not example:
        return write_workbook(path, {})
    from .example import EXAMPLE_NOTE, example_tables  # only when asked for

    return write_workbook(path, example_tables(), notes=[EXAMPLE_NOTE],
                          title="placeopt planning workbook (worked example)")


def write_workbook(path: str | Path, tables: dict[str, list[dict[str, Any]]],
                   notes: Iterable[str] = (), title: str = "placeopt planning workbook") -> Path:
    """Write a planning workbook in the template's layout, filled with `tables`.

    `tables` maps sheet names to rows (dicts keyed by column name; Demand rows carry one
    key per year). Parameters rows are {"parameter", "value"} for the values that differ
    from the defaults; Needs and Suitability are pre-filled with the defaults unless
    given. `notes` are paragraphs put first on the Guide sheet.
    """
    path = Path(path)
    book = build_workbook(tables, notes, title)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def build_workbook(tables: dict[str, list[dict[str, Any]]], notes: Iterable[str] = (),
                   title: str = "placeopt planning workbook") -> Workbook:
    """The workbook that write_workbook saves, for a caller that adds sheets of its own
    before saving it."""
    params = _parameter_values(tables.get("Parameters", []))
    years = list(range(int(params["first_year"]),
                       int(params["first_year"]) + int(params["horizon_years"])))
    book = Workbook()
    guide = book.active
    guide.title = "Guide"
    _write_guide(guide, title, list(notes))
    for sheet in SHEETS:
        if sheet.name == "Parameters":
            _write_parameters(book.create_sheet(sheet.name), sheet, params)
            continue
        rows = tables.get(sheet.name)
        write_table_sheet(book, sheet.name, _prefilled_rows(sheet.name) if rows is None
                          else rows, years)
    return book


def write_table_sheet(book: Workbook, name: str, rows: list[dict[str, Any]],
                      years: Iterable[int] = (), index: int | None = None) -> Worksheet:
    """Add the table sheet `name` of the schema to `book`, in the template's layout and
    filled with `rows` (Demand: wide form, one column per year of `years`). How
    write_workbook writes each table; also for replacing one sheet of a planner's
    workbook while keeping the others as they are."""
    sheet = SHEET_BY_NAME[name]
    ws = book.create_sheet(sheet.name, index)
    extra = [str(y) for y in years] if sheet.name == "Demand" else []
    columns = [c for c in sheet.columns if c.name not in ("year", "pupils")] \
        if sheet.name == "Demand" else list(sheet.columns)
    _write_table(ws, sheet, columns, rows, extra)
    return ws


def _parameter_values(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    values = {p.name: p.default for p in PARAMETERS}
    values["first_year"] = default_first_year()
    values.update({r["parameter"]: r["value"] for r in rows})
    return values


def _prefilled_rows(sheet: str) -> list[dict[str, Any]]:
    if sheet == "Needs":
        return [{"need": code, "name": name} for code, name in DEFAULT_NEEDS.items()]
    if sheet == "Suitability":
        return [{"provision": level, "types": ALL if level == "any" else ";".join(types)}
                for level, types in DEFAULT_SUITABILITY.items()]
    return []


def _style_header(ws: Worksheet, columns: list[tuple[str, str, int]]) -> None:
    """Headers with notes, frozen, sized. `columns` = (header, note, width)."""
    for index, (header, note, width) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=header)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center")
        if note:
            comment = Comment(note, "placeopt")
            comment.width, comment.height = 300, 120
            cell.comment = comment
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 20


def _note(column: Column) -> str:
    """A header's note, in sentences: what it is, its unit, whether it may be blank and
    what blank means, and what to enter."""
    sentences = [_sentence(column.help)]
    if column.unit:
        sentences.append(UNIT_SENTENCES.get(column.unit, f"Measured in {column.unit}."))
    if column.required:
        sentences.append("Required: every row needs one.")
    elif "blank" not in column.help:
        sentences.append(f"Blank means {_show_default(column.default)}."
                         if column.default not in (None, "") else "It may be left blank.")
    if column.kind is not Kind.TEXT:
        sentences.append(f"Enter {column.describe_expected()}.")
    return " ".join(sentences)


UNIT_SENTENCES = {"year": "A year is named by the calendar year it starts in: 2026 is 2026/27.",
                  "m": "Measured in metres."}


def _sentence(text: str) -> str:
    """A schema help text as a sentence: a capital, '=' in words, a full stop."""
    text = text.strip().replace("blank = ", "blank means ")
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _show_default(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _write_table(ws: Worksheet, sheet: Sheet, columns: list[Column],
                 rows: list[dict[str, Any]], year_headers: list[str]) -> None:
    headers = [(c.name, _note(c), c.width) for c in columns]
    headers += [(y, f"Pupils needing a place in {y}/{int(y) % 100 + 1:02d}, a number >= 0.",
                 8) for y in year_headers]
    _style_header(ws, headers)
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(columns, start=1):
            ws.cell(row=r, column=c, value=_cell_value(row.get(column.name)))
        for offset, year in enumerate(year_headers, start=len(columns) + 1):
            ws.cell(row=r, column=offset, value=row.get(int(year), row.get(year)))
    last_row = len(rows) + 1 + INPUT_ROWS
    for c in range(1, len(headers) + 1):
        for r in range(2, last_row + 1):
            ws.cell(row=r, column=c).fill = INPUT_FILL
    for c, column in enumerate(columns, start=1):
        _add_validation(ws, column, get_column_letter(c), LAST_ROW)
    if year_headers:
        pupils = Column("pupils", Kind.NUMBER, "", minimum=0)
        first = get_column_letter(len(columns) + 1)
        last = get_column_letter(len(headers))
        _add_validation(ws, pupils, f"{first}2:{last}", LAST_ROW, whole_range=True)


def _cell_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ";".join(value)
    return value


def _write_parameters(ws: Worksheet, sheet: Sheet, values: dict[str, Any]) -> None:
    _style_header(ws, [(c.name, _note(c), c.width) for c in sheet.columns])
    for r, param in enumerate(PARAMETERS, start=2):
        ws.cell(row=r, column=1, value=param.name)
        value_cell = ws.cell(row=r, column=2, value=_cell_value(values[param.name]))
        value_cell.fill = INPUT_FILL
        unit = f" [{param.unit}]" if param.unit else ""
        ws.cell(row=r, column=3, value=f"{param.help}{unit}. Default: "
                f"{_show_default(param.default) if param.default is not None else 'required'}")
        _add_validation(ws, param, "B", r, first_row=r)


def _add_validation(ws: Worksheet, column: Column, letter: str, last_row: int,
                    first_row: int = 2, whole_range: bool = False) -> None:
    validation = _validation_for(column)
    if validation is None:
        return
    # Excel's limits (MS-OI29500 2.1.613): titles 32 characters, error 224, prompt 255;
    # longer, and Excel "repairs" the file by deleting every validation of the sheet.
    title = f"Invalid {column.name}"
    validation.errorTitle = title if len(title) <= 32 else "Invalid value"
    validation.error = _cut(f"Expected {column.describe_expected()}.", 224)
    validation.promptTitle = _cut(column.name, 32)
    validation.prompt = _cut(column.help, 255)
    validation.showErrorMessage = True
    validation.showInputMessage = True
    validation.allow_blank = True
    ws.add_data_validation(validation)
    cells = f"{letter}{last_row}" if whole_range else f"{letter}{first_row}:{letter}{last_row}"
    validation.add(cells)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _validation_for(column: Column) -> DataValidation | None:
    # A <formula1> is stored as Excel stores it: without the leading '='.
    lists = {
        "need": "Needs!$A$2:$A$500",
        "provision": "Suitability!$A$2:$A$100",
        "zone": "Zones!$A$2:$A$20000",
    }
    if column.kind is Kind.YESNO:
        return DataValidation(type="list", formula1='"yes,no"')
    if column.kind is Kind.CHOICE and column.choices:
        return DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"')
    if column.kind is Kind.TEXT and column.refers_to in lists:
        return DataValidation(type="list", formula1=lists[column.refers_to])
    if column.kind in (Kind.NUMBER, Kind.INTEGER):
        kind = "whole" if column.kind is Kind.INTEGER else "decimal"
        low = column.minimum if column.minimum is not None else column.above
        high = column.maximum
        if low is not None and high is not None:
            return DataValidation(type=kind, operator="between", formula1=str(low),
                                  formula2=str(high))
        if low is not None:
            operator = "greaterThan" if column.above is not None else "greaterThanOrEqual"
            return DataValidation(type=kind, operator=operator, formula1=str(low))
        return DataValidation(type=kind, operator="between", formula1="-1E+15",
                              formula2="1E+15")
    return None


GUIDE_INTRO = (
    "This workbook is a placeopt planning model: projected demand for places for children "
    "and young people with an EHC plan, the schools and units that can take them, and the "
    "capacity options you could build. placeopt finds the placements and the building "
    "programme that cost least, against a 'do minimum' baseline, and reports the savings, "
    "NPV and payback.",
    "Fill the sheets in the order below. Headers are in row 1; each header has a note "
    "(hover over it) with its meaning and unit. Blank rows are ignored; sheets with other "
    "names are ignored, so keep your own notes in sheets of your own.",
    "Money is in pounds at constant prices; distances in km; journey times in minutes (one "
    "way). Yes/no cells take yes/no, y/n, true/false or 1/0. Lists in one cell are "
    "separated by ';'; 'all' means every value.",
    "Check the workbook with:  placeopt validate THIS_FILE.xlsx    and solve it with:  "
    "placeopt run THIS_FILE.xlsx",
)

PHASE_NOTE = ("Phases: " + ", ".join(PHASES) + ". Phase lengths for the run-off of current "
              "placements: early_years 2, primary 7, secondary 5, post16 3, post19 6 years.")


def _write_guide(ws: Worksheet, title: str, notes: list[str]) -> None:
    ws["A1"] = title
    ws["A1"].font = TITLE_FONT
    ws["A2"] = f"Written by placeopt {__version__}."
    row = 4
    paragraphs = notes + list(GUIDE_INTRO) + [PHASE_NOTE]
    for text in paragraphs:
        ws.cell(row=row, column=1, value=text).alignment = Alignment(wrap_text=True,
                                                                     vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        ws.row_dimensions[row].height = 15 * (1 + len(text) // 110)
        row += 1
    row += 1
    for c, header in enumerate(("order", "sheet", "required?", "what it is for"), start=1):
        cell = ws.cell(row=row, column=c, value=header)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
    for sheet in sorted(SHEETS, key=lambda s: s.fill_order):
        row += 1
        values = (sheet.fill_order, sheet.name, "required" if sheet.required else "optional",
                  sheet.purpose)
        for c, value in enumerate(values, start=1):
            # All at the top of the row: a description on two lines keeps its sheet's
            # name beside its first line (at the bottom, the name sat by the next one).
            ws.cell(row=row, column=c, value=value).alignment = Alignment(
                wrap_text=c == 4, vertical="top")
        ws.row_dimensions[row].height = 15 * (1 + len(sheet.purpose) // 90)
    for letter, width in zip("ABCD", (8, 20, 11, 100), strict=True):
        ws.column_dimensions[letter].width = width
    # Printed: landscape, the four columns fitted across the page, as many pages as needed.
    ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    # Narrower top and bottom margins than Excel's inch keep the whole guide on one page.
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_area = f"A1:D{row}"
