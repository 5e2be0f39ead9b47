"""report.xlsx: the business case as a workbook a planner forwards to finance.

One function per sheet; each lays out tables from `report` top to bottom with a `Sheet`,
which owns the formats, widths and page setup. Every text cell goes through
`safe_cell_value`, so a name such as '=HYPERLINK(...)' is stored as text, never a formula.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, DataBarRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from . import content as rp
from . import inclusion as ri
from .folder import FORMULA_STARTS
from .pages import (
    DEFAULT_ROW,
    MARGIN_ENDS,
    MARGIN_SIDES,
    Block,
    Paper,
    column_points,
    largest_scale,
    page_breaks,
    page_wide_column,
)

BLUE = "1F4E79"
TITLE_FONT = Font(size=16, bold=True, color=BLUE)
HEADING_FONT = Font(size=12, bold=True, color=BLUE)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=BLUE)
NOTE_FONT = Font(italic=True, size=9, color="595959")
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_WIDTH = 60
CHART_ROWS = 22  # rows from the top of one chart to the next
MAP_DPI = 150
KEEP_ROWS = 3  # a table split across pages keeps its heading, header and this many rows
GAP = 200_000  # EMU (about 5 mm) between two charts abreast


def safe_cell_value(cell: Cell, value: Any) -> Cell:
    """Put `value` into `cell`. Text is always stored as text (data type 's'): openpyxl
    would otherwise store '=...' as a formula and '#N/A' as an error. Text that starts
    like a formula also gets Excel's quote prefix, so editing the cell keeps it text."""
    if rp.is_blank(value):
        cell.value = None
        return cell
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


@dataclass(frozen=True)
class Placed:
    """Where a table landed on its sheet."""

    ws: Worksheet
    table: rp.Table
    header_row: int
    columns: dict[Any, int]  # frame column -> sheet column

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def last_row(self) -> int:
        return self.header_row + len(self.table.frame)

    def row_of(self, label: str) -> int:
        labels = list(self.table.frame.iloc[:, 0])
        return self.first_row + labels.index(label)

    def ref(self) -> str:
        cols = self.columns.values()
        return (f"{get_column_letter(min(cols))}{self.header_row}:"
                f"{get_column_letter(max(cols))}{self.last_row}")


class Sheet:
    """A worksheet written top to bottom: title, headings, paragraphs, tables, charts.

    Each heading and what follows it is recorded as a block that prints on one page
    (`pages`); `finish` sets the print scale, the page breaks and the print area.
    """

    def __init__(self, ws: Worksheet, span: int):
        self.ws, self.span, self.row = ws, span, 1
        self.widths: dict[int, float] = {}
        self.paragraphs: list[tuple[int, str, int]] = []  # row, text, font size
        self.blocks: list[Block] = []
        self.heading_row: int | None = None  # a heading waiting for what it heads
        self.extent = (0, 0)  # columns and rows taken by pictures beyond the cells

    def block(self, first: int, last: int, keep: int | None = None) -> None:
        """Rows first..last print on one page, with the heading above them if any."""
        if self.heading_row is not None:
            first, self.heading_row = min(first, self.heading_row), None
        self.blocks.append(Block(first, last, keep))

    def put(self, row: int, column: int, value: Any, kind: str = "text") -> Cell:
        cell = safe_cell_value(self.ws.cell(row, column), value)
        if not isinstance(value, str) and not rp.is_blank(value):
            cell.number_format = rp.KINDS[kind].excel
        return cell

    def title(self, text: str, subtitle: str) -> None:
        self.put(1, 1, text).font = TITLE_FONT
        self.ws.row_dimensions[1].height = 22
        self.put(2, 1, subtitle).font = NOTE_FONT
        self.block(1, 2)
        self.row = 4

    def heading(self, text: str) -> None:
        self.put(self.row, 1, text).font = HEADING_FONT
        self.ws.row_dimensions[self.row].height = 18
        if self.heading_row is None:
            self.heading_row = self.row
        self.row += 1

    def paragraph(self, text: str, note: bool = False) -> None:
        cell = self.put(self.row, 1, text)
        cell.alignment = WRAP
        if note:
            cell.font = NOTE_FONT
        if self.span > 1:
            self.ws.merge_cells(start_row=self.row, end_row=self.row, start_column=1,
                                end_column=self.span)
        self.paragraphs.append((self.row, text, 9 if note else 11))
        self.block(self.row, self.row)
        self.row += 1

    def pairs(self, rows: list[tuple[str, Any]]) -> None:
        """Label and value rows; the value spans the rest of the width."""
        self.block(self.row, self.row + len(rows) - 1)
        for label, value in rows:
            self.put(self.row, 1, label).font = Font(bold=True)
            self._fit(1, label)
            self.put(self.row, 2, value).alignment = Alignment(horizontal="left")
            if self.span > 2:
                self.ws.merge_cells(start_row=self.row, end_row=self.row, start_column=2,
                                    end_column=self.span)
            self.row += 1

    def table(self, table: rp.Table, first_col: int = 1, at: Mapping[Any, int] | None = None,
              source: bool = True) -> Placed:
        """The table with its heading, header row and a source note below; its columns
        from `first_col` on, unless `at` places some elsewhere."""
        self.heading(table.title)
        columns = {c: (at or {}).get(c, first_col + i) for i, c in enumerate(table.frame.columns)}
        first = min(columns.values())
        for column, col in columns.items():
            kind = table.kind(0, column) if len(table.frame) else "text"
            cell = self.put(self.row, col, column, "year")
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center",
                                       **_horizontal(kind, col == first))
            self._fit(col, str(column), header=True)
        placed = Placed(self.ws, table, self.row, columns)
        for i, values in enumerate(table.frame.itertuples(index=False)):
            for column, value in zip(table.frame.columns, values, strict=True):
                kind = table.kind(i, column)
                cell = self.put(self.row + 1 + i, columns[column], value, kind)
                if kind in ("text", "year"):
                    cell.alignment = _alignment(kind, columns[column] == first)
                self._fit(columns[column], rp.show(value, kind))
        self.ws.row_dimensions[self.row].height = 15 * self._header_lines(placed)
        self.row = placed.last_row + 1
        if source and table.source:
            self.put(self.row, 1, "Source: " + table.source).font = NOTE_FONT
            self.row += 1
        self.block(placed.header_row, self.row - 1,
                   keep=min(placed.header_row + KEEP_ROWS, self.row - 1))
        self.row += 1
        return placed

    def charts(self, charts: list[BarChart | LineChart]) -> None:
        """Charts two abreast, across the width of the tables above them. Each is anchored
        to cells at both corners, so it keeps to its half of the page whatever width a
        spreadsheet program gives the columns."""
        widths = [self.widths.get(c, 8.43) for c in range(1, max(self.widths) + 1)]
        middle = next(i for i in range(len(widths)) if sum(widths[:i + 1]) >= sum(widths) / 2)
        spans = ((0, middle), (middle, len(widths)))  # zero-based columns, end exclusive
        for i, chart in enumerate(charts):
            start, end = spans[i % 2]
            top = self.row - 1 + CHART_ROWS * (i // 2)  # the top row, counted from 0
            chart.anchor = TwoCellAnchor(
                _from=AnchorMarker(col=start, colOff=GAP if i % 2 else 0, row=top),
                to=AnchorMarker(col=end, row=top + CHART_ROWS - 2))
            self.ws.add_chart(chart)
            if i % 2 == 0:  # a row of two charts prints on one page
                self.block(top + 1, top + CHART_ROWS - 1)
        self.row += CHART_ROWS * math.ceil(len(charts) / 2)

    def picture(self, png: io.BytesIO, width: float, height: float) -> None:
        """A PNG image `width` x `height` points at column A of the current row, kept on
        one page."""
        from openpyxl.drawing.image import Image

        image = Image(png)
        image.width, image.height = width * 96 / 72, height * 96 / 72  # pixels at 96 an inch
        self.ws.add_image(image, f"A{self.row}")
        rows = math.ceil(height / DEFAULT_ROW) + 1
        self.block(self.row, self.row + rows - 1)
        columns, covered = 0, 0.0
        while covered < width:
            columns += 1
            covered += column_points(self.widths.get(columns, 8.43))
        self.extent = (max(self.extent[0], columns), max(self.extent[1], self.row + rows - 1))
        self.row += rows

    def _fit(self, col: int, text: str, header: bool = False) -> None:
        width = min(len(text), 18) if header else len(text)
        self.widths[col] = max(self.widths.get(col, 8), min(width + 2, MAX_WIDTH))

    def _header_lines(self, placed: Placed) -> int:
        return max(math.ceil(len(str(c)) / max(self.widths[col] - 2, 1))
                   for c, col in placed.columns.items())

    def size_rows(self) -> None:
        """Column widths, and the heights of wrapped paragraphs."""
        ws = self.ws
        for col, width in self.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = width
        spanned = sum(self.widths.get(c, 8.43) for c in range(1, self.span + 1))
        for row, text, size in self.paragraphs:
            # an average character is narrower than the digit a column width counts in
            lines = sum(math.ceil(len(part) * size / 11 / (spanned * 1.15)) or 1
                        for part in text.split("\n"))
            ws.row_dimensions[row].height = lines * size * 1.4 + 2

    def finish(self, landscape: bool = False, freeze: str | None = "A4",
               print_rows: str | None = None, print_to: int | None = None,
               one_page: bool = False) -> None:
        """Column widths, row heights, panes, and the print layout (see `print_layout`)."""
        self.size_rows()
        self.ws.freeze_panes = freeze
        last_row = max(self.ws.max_row, self.extent[1], self.row - 1)
        for r in range(1, last_row + 1):  # every row's height fixed: pages can be counted
            self.ws.row_dimensions[r].height = self.ws.row_dimensions[r].height or DEFAULT_ROW
        self.print_layout(landscape, print_rows, print_to or last_row, one_page)

    def print_layout(self, landscape: bool, print_rows: str | None, last_row: int,
                     one_page: bool) -> None:
        """A4, landscape when asked or when the columns are wider than a portrait page,
        fit to the page's width (or to one page), a break before any block that would
        cross a page's foot, the print area rows 1..`last_row`, and the `print_rows`
        (a table's header) repeated atop each page when that table runs on over a page
        or is left out of the print area (whoever prints it gets them)."""
        ws = self.ws
        last_col = max(self.span, max(self.widths, default=1), self.extent[0])
        widths = [self.widths.get(c, 8.43) for c in range(1, last_col + 1)]
        portrait = Paper(landscape=False).printable_width
        paper = Paper(landscape or sum(map(column_points, widths)) > 1.1 * portrait)
        page_height = paper.printable_height / largest_scale(widths, paper)
        heights = {r: ws.row_dimensions[r].height for r in range(1, last_row + 1)}
        breaks = page_breaks(self.blocks, heights, last_row, page_height)
        starts = {block.first for block in self.blocks}
        runs_on = any(row + 1 not in starts for row in breaks)
        if print_rows and (runs_on or last_row < ws.max_row):
            ws.print_title_rows = print_rows
            first, last = (int(r) for r in print_rows.split(":"))
            repeated = sum(ws.row_dimensions[r].height for r in range(first, last + 1))
            breaks = page_breaks(self.blocks, heights, last_row, page_height, repeated)
        for row in breaks:
            ws.row_breaks.append(Break(id=row))
        ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
        setup = ws.page_setup
        setup.orientation = "landscape" if paper.landscape else "portrait"
        setup.paperSize = ws.PAPERSIZE_A4
        setup.fitToWidth, setup.fitToHeight = 1, (1 if one_page else 0)
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins = PageMargins(left=MARGIN_SIDES, right=MARGIN_SIDES, top=MARGIN_ENDS,
                                      bottom=MARGIN_ENDS)
        ws.oddFooter.center.text = "&A, page &P of &N"


@functools.cache
def _alignment(kind: str, first: bool) -> Alignment:
    """One shared Alignment per kind: openpyxl then hashes one style, not one per cell."""
    return Alignment(**_horizontal(kind, first))


def _horizontal(kind: str, first: bool) -> dict[str, Any]:
    """Text to the left (a little in from the column before), years centred, numbers right."""
    if kind == "text":
        return {"horizontal": "left", "indent": 0 if first else 1}
    return {"horizontal": "center" if kind == "year" else "right"}


def _subtitle(data: rp.ResultFolder) -> str:
    s = data.summary
    parts = [data.home_la, f"scenario {s.get('scenario', '')}", f"workbook {s.get('workbook', '')}",
             f"{data.years[0]} to {data.last_year}"]
    return " | ".join(p for p in parts if p)


# --- The sheets -------------------------------------------------------------------------


def summary_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("SEND place planning: the business case", _subtitle(data))
    sheet.heading("In short")
    for line in rp.story(data):
        sheet.paragraph(line)
    sheet.paragraph(rp.status_sentence(data))
    if data.summary.get("status") != "optimal":
        sheet.ws.cell(sheet.row - 1, 1).font = Font(bold=True, color="9C5700")
    sheet.row += 1
    sheet.table(rp.headline(data))
    sheet.table(rp.key_figures(data), at={"Source": 5})
    sheet.heading("Status and provenance")
    sheet.pairs(list(rp.provenance(data).frame.itertuples(index=False)))
    sheet.finish(freeze="A3")


def costs_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("Costs by year: plan against baseline", _subtitle(data))
    by_year = sheet.table(rp.cost_by_year(data))
    sheet.table(rp.pupils_by_year(data))
    by_type = [sheet.table(rp.cost_by_type(data, case)) for case in ("baseline", "plan")]
    sheet.heading("Charts")
    top = _nice_ceiling(max(p.table.frame[data.years].sum().max() for p in by_type))
    sheet.charts([
        _line_chart(by_year, ["Baseline: out-of-area cost", "Plan: out-of-area cost"],
                    "Out-of-area cost, plan against baseline", "£ a year"),
        _cumulative_chart(by_year, data),
        *[_stacked_chart(placed, top) for placed in by_type],
    ])
    sheet.finish(freeze="B3")


def capital_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("Capital programme", _subtitle(data))
    if data.expansions.empty:
        sheet.paragraph("The workbook proposes no expansion or new-site options.")
    else:
        placed = sheet.table(rp.capital_programme(data))
        ws = sheet.ws
        built = get_column_letter(placed.columns["Built"])
        ws.conditional_formatting.add(
            f"{built}{placed.first_row}:{built}{placed.last_row}",
            CellIsRule(operator="equal", formula=['"yes"'], fill=PatternFill(
                "solid", fgColor="C6EFCE"), font=Font(color="006100")))
        sheet.heading("Revenue saving by option")
        sheet.paragraph(rp.capital_note(data))
        project_values_part(sheet, data)
        for table in (rp.funding_streams(data), rp.funding_by_year(data)):
            if table is not None:
                sheet.table(table)
    sheet.finish()


def inclusion_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    """The inclusion measures, beside the capital programme: what the plan funds and
    why, each measure's cost per pupil diverted and worth, pupils diverted by year."""
    sheet.title("Inclusion measures", _subtitle(data))
    for line in ri.measure_sentences(data):
        sheet.paragraph(line)
    sheet.row += 1
    for table in (ri.measures_table(data), ri.diverted_by_year(data)):
        if table is not None:
            sheet.table(table)
    sheet.paragraph(ri.inclusion_note(data), note=True)
    sheet.finish()


def project_values_part(sheet: Sheet, data: rp.ResultFolder) -> None:
    """The project list a capital board reads: its table, how to read it, a bar chart."""
    table = rp.project_values(data)
    if table is None:
        sheet.heading("What each project is worth")
        sheet.paragraph(rp.project_values_note(data))
        return
    placed = sheet.table(table)
    sheet.paragraph(rp.project_values_note(data), note=True)
    sheet.row += 1
    sheet.charts([_project_value_chart(placed)])


def _project_value_chart(placed: Placed) -> BarChart:
    """Horizontal bars by option: the NPV lost if dropped (built), the NPV change if
    forced in (left out)."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "clustered", 100
    names = placed.columns["Option"]
    rows = dict(min_row=placed.header_row, max_row=placed.last_row)
    for column, colour in (("NPV lost if dropped", rp.CASE_COLOURS["plan"]),
                           ("NPV change if forced in", rp.CASE_COLOURS["baseline"])):
        chart.add_data(Reference(placed.ws, min_col=placed.columns[column], **rows),
                       titles_from_data=True)
        chart.series[-1].graphicalProperties.solidFill = colour
        chart.series[-1].graphicalProperties.line.solidFill = colour
    chart.set_categories(Reference(placed.ws, min_col=names, min_row=placed.first_row,
                                   max_row=placed.last_row))
    chart.title = "What each project is worth (NPV, £)"
    frame = placed.table.frame
    values = frame[["NPV lost if dropped", "NPV change if forced in"]].to_numpy(float)
    largest = float(np.abs(values[np.isfinite(values)]).max(initial=0.0))
    # In a bar chart the category axis (x_axis) runs down the page, the values across.
    chart.y_axis.number_format = rp.money_unit(largest).excel
    chart.x_axis.scaling.orientation = "maxMin"  # the first option at the top
    chart.y_axis.crosses = "max"  # ... and the value axis at the bottom (the last option)
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.x_axis.tickLblPos = "low"  # option names at the left, whatever the sign
    chart.legend.position = "b"
    return chart


def capacity_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("Capacity: where one more place would save most", _subtitle(data))
    ranking = sheet.table(rp.next_place(data))
    if len(ranking.table.frame):
        ws = sheet.ws
        ws.auto_filter.ref = ranking.ref()
        col = get_column_letter(ranking.columns[ranking.table.frame.columns[4]])
        ws.conditional_formatting.add(
            f"{col}{ranking.first_row}:{col}{ranking.last_row}",
            DataBarRule(start_type="num", start_value=0, end_type="max", color="5B9BD5"))
    sheet.finish(print_rows=f"{ranking.header_row}:{ranking.header_row}")


def capacity_by_year_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    """Utilisation and marginal values, providers by years: the two grids have the same
    columns, so the first one's header row can head every page when they run on."""
    sheet.title("Capacity by year: how full each provider is, and what a place is worth",
                _subtitle(data))
    header = None
    for column, kind, title, end_colour in (
            ("utilisation", "percent", "Utilisation (pupils / places) by year", "F8696B"),
            ("marginal_value", "money", "Saving from one more place, by year (£ a year)",
             "63BE7B")):
        placed = sheet.table(rp.capacity_grid(data, column, kind, title))
        header = header or placed.header_row
        _colour_scale(sheet.ws, placed, end_colour, 1 if kind == "percent" else None)
    sheet.finish(print_rows=f"{header}:{header}")


def map_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    """The map of the HTML report as a picture, fitted to one landscape page."""
    from .map import draw_map, map_caption, why_no_map

    sheet.title("Where pupils travel out of area", _subtitle(data))
    reason = why_no_map(data)
    if reason is not None:
        sheet.paragraph(reason)
        sheet.finish(freeze=None)
        return
    figure = draw_map(data)
    width, height = figure.get_size_inches() * 72
    paper = Paper(landscape=True)
    sheet.widths[1] = page_wide_column(paper)
    sheet.paragraph(map_caption(data), note=True)
    sheet.size_rows()
    taken = sum(sheet.ws.row_dimensions[r].height or DEFAULT_ROW for r in range(1, sheet.row))
    fit = min(paper.printable_width / width,
              (paper.printable_height - taken - 2 * DEFAULT_ROW) / height)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=MAP_DPI)
    sheet.picture(png, width * fit, height * fit)
    sheet.finish(landscape=True, freeze=None, one_page=True)


def unmet_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("Unmet need", _subtitle(data))
    sheet.table(rp.unmet_by_year(data))
    if data.unmet.empty:
        sheet.paragraph("No pupil is left without a place in any year of the plan.")
    else:
        sheet.ws.auto_filter.ref = sheet.table(rp.unmet_detail(data)).ref()
        sheet.paragraph("Reasons: 'capacity' - every suitable place in reach is taken; "
                        "'budget' - the revenue budget is spent in full that year; 'no "
                        "suitable provider in reach' - no setting meets the rules for the "
                        "group; 'unmet_penalty below the cost of any place' - leaving the "
                        "pupil unplaced was cheaper than any place, so the parameter is set "
                        "too low.")
    sheet.finish()


def placements_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    """Every placement, to filter on screen; only its title prints (the table runs to
    thousands of pages), and the note says how to print it."""
    sheet.title("Placements in the plan", _subtitle(data))
    sheet.row = 6
    placed = sheet.table(rp.placements(data), source=False)
    sheet.ws.auto_filter.ref = placed.ref()
    sheet.put(3, 1, "Source: " + placed.table.source).font = NOTE_FONT
    sheet.put(4, 1, f"The table below ({len(placed.table.frame):,} rows) is not printed: "
              "to print it, clear the print area (Page Layout > Print Area > Clear Print "
              "Area); its header row repeats on every page.").font = NOTE_FONT
    sheet.finish(freeze=f"A{placed.first_row}",
                 print_rows=f"{placed.header_row}:{placed.header_row}", print_to=4)


def parameters_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("Parameters in force", _subtitle(data))
    sheet.table(rp.parameters(data))
    warnings = data.summary.get("provenance", {}).get("warnings", [])
    sheet.heading("Warnings from the workbook checks")
    for warning in warnings or ["None."]:
        sheet.paragraph(warning)
    sheet.finish()


def method_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("Method: how these figures were made", _subtitle(data))
    sheet.widths[1] = page_wide_column(Paper(landscape=False))
    for heading, text in rp.method(data):
        sheet.heading(heading)
        sheet.paragraph(text)
        sheet.row += 1
    sheet.finish(freeze=None)


SHEETS: tuple[tuple[str, int, Callable[[Sheet, rp.ResultFolder], None]], ...] = (
    ("Summary", 5, summary_sheet),
    ("Costs by year", 6, costs_sheet),
    ("Capital programme", 9, capital_sheet),
    ("Capacity", 9, capacity_sheet),
    ("Capacity by year", 9, capacity_by_year_sheet),
    ("Unmet need", 8, unmet_sheet),
    ("Map", 1, map_sheet),
    ("Placements", 8, placements_sheet),
    ("Parameters", 2, parameters_sheet),
    ("Method", 1, method_sheet),
)


def write_xlsx(data: rp.ResultFolder, path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    sheets = list(SHEETS)
    if ri.measures(data):  # with an Inclusion sheet: its own, beside the capital programme
        sheets.insert(3, ("Inclusion measures", 9, inclusion_sheet))
    for title, span, build in sheets:
        build(Sheet(book.create_sheet(title), span), data)
    book.save(path)


# --- Charts and colour scales -----------------------------------------------------------


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(value))
    return math.ceil(value / step) * step


def _year_chart(chart: BarChart | LineChart, placed: Placed, rows: list[int], title: str,
                y_title: str, colours: list[str]) -> BarChart | LineChart:
    """Series from table rows: the title in the first column, the values in the year
    columns, which follow it (a from-rows reference runs from the title to the last year)."""
    years = placed.table.year_columns
    label = placed.columns[placed.table.frame.columns[0]]
    first, last = placed.columns[years[0]], placed.columns[years[-1]]
    sheet = placed.ws
    for row, colour in zip(rows, colours, strict=True):
        chart.add_data(Reference(sheet, min_col=label, max_col=last, min_row=row),
                       from_rows=True, titles_from_data=True)
        properties = chart.series[-1].graphicalProperties
        properties.line.solidFill = colour
        if isinstance(chart, BarChart):
            properties.solidFill = colour
    chart.set_categories(Reference(sheet, min_col=first, max_col=last,
                                   min_row=placed.header_row))
    chart.title = title
    chart.x_axis.title, chart.y_axis.title = "Year", y_title
    frame = placed.table.frame
    largest = max((abs(frame.iloc[row - placed.first_row][years]).max() for row in rows),
                  default=0.0)
    chart.y_axis.number_format = rp.money_unit(largest).excel
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend.position = "b"
    return chart


def _line_chart(placed: Placed, labels: list[str], title: str, y_title: str) -> LineChart:
    """Baseline and plan rows as lines, in the case colours."""
    colours = [rp.CASE_COLOURS[label.split(":")[0].lower()] for label in labels]
    chart = _year_chart(LineChart(), placed, [placed.row_of(label) for label in labels], title,
                        y_title, colours)
    for series, colour in zip(chart.series, colours, strict=True):
        series.smooth = False
        series.marker.symbol = "circle"
        series.marker.graphicalProperties.solidFill = colour
        series.marker.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = 28575  # 2.25 pt
    return chart


def _stacked_chart(placed: Placed, top: float) -> BarChart:
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    rows = list(range(placed.first_row, placed.last_row + 1))
    _year_chart(chart, placed, rows, placed.table.title.replace(
        "placement and transport cost", "cost"), "£ a year", [
        _label_colour(label) for label in placed.table.frame.iloc[:, 0]])
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, top
    chart.gapWidth = 60
    return chart


def _label_colour(label: str) -> str:
    """The colour of a row of `report.cost_by_type` (labelled by `report.type_label`)."""
    in_area = "no" if label.endswith(rp.OUT_OF_AREA) else "yes"
    name = label.removesuffix(rp.OUT_OF_AREA)
    types = {v: k for k, v in rp.TYPE_NAMES.items()}
    return rp.type_colour(types.get(name, name), in_area)


def _cumulative_chart(placed: Placed, data: rp.ResultFolder) -> BarChart:
    payback = data.summary["savings"]["payback_year"]
    title = "Cumulative discounted net saving of the plan" + (
        f": pays back in {payback}" if payback is not None else ": no payback in the plan")
    chart = _year_chart(BarChart(), placed, [placed.row_of("Cumulative discounted net saving")],
                        title, "£, discounted", [rp.CASE_COLOURS["plan"]])
    chart.x_axis.tickLblPos = "low"  # year labels below the bars, negative or not
    chart.legend = None
    return chart


def _colour_scale(ws: Worksheet, placed: Placed, end_colour: str, end: float | None) -> None:
    years = placed.table.year_columns
    if not years or placed.last_row < placed.first_row:
        return
    cells = (f"{get_column_letter(placed.columns[years[0]])}{placed.first_row}:"
             f"{get_column_letter(placed.columns[years[-1]])}{placed.last_row}")
    end_type, end_value = ("num", end) if end is not None else ("max", None)
    ws.conditional_formatting.add(cells, ColorScaleRule(
        start_type="num", start_value=0, start_color="FFFFFF",
        end_type=end_type, end_value=end_value, end_color=end_colour))
