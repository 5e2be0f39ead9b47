"""A worksheet of report.xlsx (or batch_summary.xlsx) written top to bottom: title,
headings, paragraphs, tables, charts, pictures; and printed legibly.

`Sheet` owns the formats, the column widths, the row heights and the page setup. Every
text cell goes through `safe_cell_value`, so a name such as '=HYPERLINK(...)' is stored as
text, never a formula.

Printing: each sheet prints fit to the page's width, and a program's scale comes from the
columns' widths, so the text is legible only if the columns are narrow enough. Text
columns are wrapped (long names and labels take two or three lines rather than a wider
column), and when the columns still exceed the print budget (`pages.print_budget`: the
widest the columns may be for the smallest text to print at 8 pt or more in every
program), the text columns are narrowed further, widest first. Row heights follow the
lines each wrapped cell takes.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from .folder import FORMULA_STARTS
from .formats import KINDS, Table, is_blank, show
from .pages import (
    DEFAULT_ROW,
    MARGIN_ENDS,
    MARGIN_SIDES,
    Block,
    Paper,
    column_points,
    largest_scale,
    page_breaks,
    print_budget,
)

BLUE = "1F4E79"
TITLE_FONT = Font(size=16, bold=True, color=BLUE)
HEADING_FONT = Font(size=12, bold=True, color=BLUE)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=BLUE)
NOTE_SIZE = 10  # the smallest text of a report: the print budget is set by it
NOTE_FONT = Font(italic=True, size=NOTE_SIZE, color="595959")
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_WIDTH = 60  # the widest column a single cell's text may ask for
WRAP_WIDTH = 32  # text longer than this wraps in its column
NARROWEST = 12  # text columns are narrowed to fit the page no further than this
HEADER_WIDTH = 12  # a header asks for this many characters at most (or its longest word)
CHART_ROWS = 22  # rows from the top of one chart to the next
CHART_DROP = 38_100  # EMU (3 pt) a chart starts below its row's top: no frame above a break
KEEP_ROWS = 3  # a table split across pages keeps its heading, header and this many rows
GAP = 200_000  # EMU (about 5 mm) between two charts abreast
LINE = 15.0  # points a line of 11-pt text takes


def safe_cell_value(cell: Cell, value: Any) -> Cell:
    """Put `value` into `cell`. Text is always stored as text (data type 's'): openpyxl
    would otherwise store '=...' as a formula and '#N/A' as an error. Text that starts
    like a formula also gets Excel's quote prefix, so editing the cell keeps it text."""
    if is_blank(value):
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
    table: Table
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
    (`pages`); `finish` sets the widths, the row heights, the print scale, the page
    breaks and the print area.
    """

    def __init__(self, ws: Worksheet, span: int):
        self.ws, self.span, self.row = ws, span, 1
        self.widths: dict[int, float] = {}  # each column's width (wrapping long text)
        self.fixed: dict[int, float] = {}  # what its numbers and short words need
        self.wants: dict[int, float] = {}  # what its longest text would need on one line
        self.texts: list[tuple[int, int, str, bool]] = []  # row, column, text, header
        self.paragraphs: list[tuple[int, str, int]] = []  # row, text, font size
        self.blocks: list[Block] = []
        self.heading_row: int | None = None  # a heading waiting for what it heads
        self.extent = (0.0, 0)  # width (points) and last row of the pictures

    def block(self, first: int, last: int, keep: int | None = None) -> None:
        """Rows first..last print on one page, with the heading above them if any."""
        if self.heading_row is not None:
            first, self.heading_row = min(first, self.heading_row), None
        self.blocks.append(Block(first, last, keep))

    def put(self, row: int, column: int, value: Any, kind: str = "text") -> Cell:
        cell = safe_cell_value(self.ws.cell(row, column), value)
        if not isinstance(value, str) and not is_blank(value):
            cell.number_format = KINDS[kind].excel
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

    def paragraph(self, text: str, note: bool = False, alone: bool = True) -> None:
        """Text wrapped across the sheet's span, its row as tall as its lines; `alone`:
        a block of its own (else it belongs to the block being written)."""
        cell = self.put(self.row, 1, text)
        cell.alignment = WRAP
        if note:
            cell.font = NOTE_FONT
        if self.span > 1:
            self.ws.merge_cells(start_row=self.row, end_row=self.row, start_column=1,
                                end_column=self.span)
        self.paragraphs.append((self.row, text, NOTE_SIZE if note else 11))
        if alone:
            self.block(self.row, self.row)
        self.row += 1

    def pairs(self, rows: list[tuple[str, Any]]) -> None:
        """Label and value rows; the value spans the rest of the width."""
        self.block(self.row, self.row + len(rows) - 1)
        for label, value in rows:
            self.put(self.row, 1, label).font = Font(bold=True)
            self._fit(1, label)
            self.put(self.row, 2, value).alignment = Alignment(horizontal="left")
            self._fit(2, str(value), row=self.row)  # long values wrap, never cut off
            if self.span > 2:
                self.ws.merge_cells(start_row=self.row, end_row=self.row, start_column=2,
                                    end_column=self.span)
            self.row += 1

    def table(self, table: Table, first_col: int = 1, at: Mapping[Any, int] | None = None,
              source: bool = True, money: str = "money") -> Placed:
        """The table with its heading, header row and a source note below; its columns
        from `first_col` on, unless `at` places some elsewhere. `money="thousands"` shows
        its money cells in £ thousands (the cells keep the exact figures)."""
        title = table.title + (" (£ thousands)" if money == "thousands" else "")
        self.heading(title)
        columns = {c: (at or {}).get(c, first_col + i) for i, c in enumerate(table.frame.columns)}
        first = min(columns.values())
        for column, col in columns.items():
            kind = table.kind(0, column) if len(table.frame) else "text"
            cell = self.put(self.row, col, column, "year")
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center",
                                       **_horizontal(kind, col == first))
            self._fit(col, str(column), header=True)
        for col in set(range(first, max(columns.values()) + 1)) - set(columns.values()):
            self.put(self.row, col, None).fill = HEADER_FILL  # a gap `at` left: one band
        placed = Placed(self.ws, table, self.row, columns)
        for i, values in enumerate(table.frame.itertuples(index=False)):
            for column, value in zip(table.frame.columns, values, strict=True):
                kind = table.kind(i, column)
                kind = money if kind == "money" else kind
                cell = self.put(self.row + 1 + i, columns[column], value, kind)
                if isinstance(value, str) and kind in ("text", "year"):
                    cell.alignment = _alignment(kind, columns[column] == first)
                    self._fit(columns[column], value, row=self.row + 1 + i)
                else:
                    self._fit(columns[column], show(value, kind), number=True)
        self.row = placed.last_row + 1
        if source and table.source:
            self.paragraph("Source: " + table.source, note=True, alone=False)
        self.block(placed.header_row, self.row - 1,
                   keep=min(placed.header_row + KEEP_ROWS, self.row - 1))
        self.row += 1
        return placed

    def charts(self, charts: list[BarChart | LineChart]) -> None:
        """Charts two abreast, across the width of the tables above them. Each is anchored
        to cells at both corners, so it keeps to its half of the page whatever width a
        spreadsheet program gives the columns, and starts a little below its first row's
        top, so that no program draws its frame at the foot of the page before."""
        widths = [self.widths.get(c, 8.43) for c in range(1, max(self.widths) + 1)]
        middle = next(i for i in range(len(widths)) if sum(widths[:i + 1]) >= sum(widths) / 2)
        spans = ((0, middle), (middle, len(widths)))  # zero-based columns, end exclusive
        for i, chart in enumerate(charts):
            start, end = spans[i % 2]
            top = self.row - 1 + CHART_ROWS * (i // 2)  # the top row, counted from 0
            chart.anchor = TwoCellAnchor(
                _from=AnchorMarker(col=start, colOff=GAP if i % 2 else 0, row=top,
                                   rowOff=CHART_DROP),
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
        self.extent = (max(self.extent[0], width), max(self.extent[1], self.row + rows - 1))
        self.row += rows

    def _picture_columns(self) -> int:
        """The columns the widest picture covers, at the columns' final widths (the
        narrowest measure, Calibri's, so that no program cuts it off)."""
        columns, covered = 0, 0.0
        while covered < self.extent[0]:
            columns += 1
            covered += column_points(self.widths.get(columns, 8.43))
        return columns

    def _fit(self, col: int, text: str, header: bool = False, number: bool = False,
             row: int | None = None) -> None:
        """Widen column `col` for `text`: numbers and short words need their width, long
        text wraps (its cell is recorded so that its row grows to the lines it takes)."""
        if header:
            self.texts.append((self.row, col, text, True))
            # its longest word whole, in bold, after the indent a text column has
            word = max((len(w) for w in text.split()), default=0) + 2
            self.widths[col] = max(self.widths.get(col, 8),
                                   max(min(len(text), HEADER_WIDTH), word) + 2)
            self.fixed[col] = max(self.fixed.get(col, 0), word + 2)
            return
        need = min(len(text) + 2, MAX_WIDTH)
        if number or len(text) <= NARROWEST - 2:
            self.fixed[col] = max(self.fixed.get(col, 0), need)
        if row is not None and len(text) > NARROWEST - 2:
            self.texts.append((row, col, text, False))
            self.wants[col] = max(self.wants.get(col, 0), need)
            need = min(need, WRAP_WIDTH + 2)
            cell = self.ws.cell(row, col)
            cell.alignment = _wrapped(cell.alignment.horizontal, cell.alignment.indent)
        self.widths[col] = max(self.widths.get(col, 8), need)

    def fit_to(self, budget: float) -> None:
        """Widen the wrapped columns (the one furthest from its text's length first) while
        the columns fit `budget` (width units); then narrow the text columns, widest
        first, until they fit it, none below what its numbers need or `NARROWEST`."""
        while sum(self.widths.values()) + 1 <= budget:
            short = {c: w - self.widths[c] for c, w in self.wants.items() if w > self.widths[c]}
            if not short:
                break
            col = max(short, key=lambda c: short[c])
            self.widths[col] += 1
        while sum(self.widths.values()) > budget:
            floor = {c: max(self.fixed.get(c, 0), NARROWEST) for c in self.widths}
            room = [c for c, w in self.widths.items() if w > floor[c]]
            if not room:
                return
            widest = max(room, key=lambda c: self.widths[c])
            self.widths[widest] = max(floor[widest], self.widths[widest] - 1)

    def size_rows(self) -> None:
        """Column widths, and the heights of wrapped cells and paragraphs."""
        ws = self.ws
        for col, width in self.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = width
        lines: dict[int, int] = {}
        headers = {row for row, _, _, header in self.texts if header}
        for row, col, text, header in self.texts:  # bold headers are a little wider
            count = wrapped_lines(text, self.widths[col] - (1 if header else 0))
            lines[row] = max(lines.get(row, 1), count)
        for row, count in lines.items():
            height = count * LINE + (3 if count > 1 else 0)
            ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 0, height)
            if count > 1 and row not in headers:  # a row of several lines reads from its top
                for cell in ws[row]:
                    if cell.value is not None:
                        cell.alignment = _top(cell.alignment.horizontal, cell.alignment.indent,
                                              cell.alignment.wrap_text)
        spanned = sum(self.widths.get(c, 8.43) for c in range(1, self.span + 1))
        for row, text, size in self.paragraphs:
            count = sum(wrapped_lines(part, spanned * 11 / size) for part in text.split("\n"))
            ws.row_dimensions[row].height = count * size * 1.4 + 2

    def finish(self, landscape: bool = False, freeze: str | None = "A4",
               print_rows: str | None = None, print_to: int | None = None,
               one_page: bool = False, print_columns: int | None = None) -> None:
        """Column widths, row heights, panes, and the print layout (see `print_layout`).
        `print_columns` prints only that many columns (a sheet whose table is not
        printed)."""
        last_col = print_columns or max(self.span, max(self.widths, default=1))
        printed = sum(self.widths.get(c, 8.43) for c in range(1, last_col + 1))
        paper = Paper(landscape or printed > print_budget(Paper(False)))
        if not (one_page or print_columns):  # the columns without a width print at 8.43
            blank = sum(8.43 for c in range(1, last_col + 1) if c not in self.widths)
            self.fit_to(print_budget(paper) - blank)
        last_col = max(last_col, self._picture_columns())
        self.size_rows()
        self.ws.freeze_panes = freeze
        last_row = max(self.ws.max_row, self.extent[1], self.row - 1)
        for r in range(1, last_row + 1):  # every row's height fixed: pages can be counted
            self.ws.row_dimensions[r].height = self.ws.row_dimensions[r].height or DEFAULT_ROW
        self.print_layout(paper, print_rows, print_to or last_row, last_col, one_page)

    def print_layout(self, paper: Paper, print_rows: str | None, last_row: int,
                     last_col: int, one_page: bool) -> None:
        """A4 in the given orientation, fit to the page's width (or to one page), a break
        before any block that would cross a page's foot, the print area rows 1..`last_row`
        of the first `last_col` columns, and the `print_rows` (a table's header) repeated
        atop each page when that table runs on over a page or is left out of the print
        area (whoever prints it gets them)."""
        ws = self.ws
        widths = [self.widths.get(c, 8.43) for c in range(1, last_col + 1)]
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


def wrapped_lines(text: str, width: float) -> int:
    """The lines `text` takes in a column `width` characters wide: a width unit holds
    about one character of text in Calibri (Excel) and more in LibreOffice's substitute,
    less a character for the cell's padding."""
    return max(1, len(textwrap.wrap(text, width=max(int(width) - 1, 4),
                                    break_long_words=True)))


@functools.cache
def _wrapped(horizontal: str | None, indent: float) -> Alignment:
    return Alignment(horizontal=horizontal, indent=indent, wrap_text=True, vertical="top")


@functools.cache
def _top(horizontal: str | None, indent: float, wrap: bool | None) -> Alignment:
    return Alignment(horizontal=horizontal, indent=indent, wrap_text=wrap, vertical="top")


@functools.cache
def _alignment(kind: str, first: bool) -> Alignment:
    """One shared Alignment per kind: openpyxl then hashes one style, not one per cell."""
    return Alignment(**_horizontal(kind, first))


def _horizontal(kind: str, first: bool) -> dict[str, Any]:
    """Text to the left (a little in from the column before), years centred, numbers right."""
    if kind == "text":
        return {"horizontal": "left", "indent": 0 if first else 1}
    return {"horizontal": "center" if kind == "year" else "right"}
