"""Printing report.xlsx: page breaks that keep each block (a heading with its table,
paragraph or chart) on one page.

Spreadsheet programs break pages wherever the rows run out, cutting a chart in two or
leaving a heading alone at the foot of a page. Sheets print fit to the page's width, at
a scale each program works out from its own font, so the breaks are placed here for the
largest scale any of them may use (the fewest rows a page), with every row's height set
by the writer: a manual break before any block that would cross a page's foot. A block
taller than a page (a long table) starts on a new page and runs on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

A4_POINTS = (595.3, 841.9)  # portrait width, height
MARGIN_SIDES, MARGIN_ENDS = 0.5, 0.6  # inches: left and right, top and bottom
DEFAULT_ROW = 15.0  # points: Calibri 11, the workbook's font
# LibreOffice without Calibri or Carlito (DejaVu Sans in its place) draws a column of
# width w about 7.16 w points wide (measured, tests/test_printing.py): the widest of the
# programs, so the one that prints at the smallest scale.
WIDEST_POINTS = 7.2
SMALLEST_PRINT = 8.0  # points: the smallest text a printed report may have
SMALLEST_FONT = 10.0  # points: the reports' smallest text (notes, chart labels)


@dataclass(frozen=True)
class Paper:
    """An A4 page in one orientation, less its margins, in points."""

    landscape: bool

    @property
    def width(self) -> float:
        return max(A4_POINTS) if self.landscape else min(A4_POINTS)

    @property
    def height(self) -> float:
        return min(A4_POINTS) if self.landscape else max(A4_POINTS)

    @property
    def printable_width(self) -> float:
        return self.width - 2 * 72 * MARGIN_SIDES

    @property
    def printable_height(self) -> float:
        return self.height - 2 * 72 * MARGIN_ENDS


def column_points(width: float) -> float:
    """A column `width` (Excel's unit: characters of the default font's digits, as stored
    in the file) in points, in Calibri 11 as Excel draws it: 7 pixels a character and 5
    of padding, at 96 pixels an inch. The narrowest any program draws it: LibreOffice
    without Calibri or Carlito substitutes a wider font (DejaVu Sans: a third wider)."""
    return (7 * width + 5) * 0.75


def page_wide_column(paper: Paper) -> float:
    """The width of a column of wrapped text as wide as the page can hold in every
    program: LibreOffice does not shrink a single column that is wider than the page (it
    cuts it), and draws a character of width up to 7 points wide (DejaVu Sans)."""
    return math.floor(paper.printable_width / 7.0)


def print_budget(paper: Paper, smallest_font: float = SMALLEST_FONT) -> float:
    """The widest (in width units, summed over the printed columns) a sheet may be for its
    smallest text, fit to the page's width, to print at `SMALLEST_PRINT` points or more in
    every program."""
    return paper.printable_width / (WIDEST_POINTS * SMALLEST_PRINT / smallest_font)


def smallest_scale(widths: Sequence[float], paper: Paper) -> float:
    """The smallest print scale a program fitting these columns to the page's width may
    use (LibreOffice with DejaVu Sans for Calibri)."""
    content = WIDEST_POINTS * sum(widths)
    return min(1.0, paper.printable_width / content) if content else 1.0


def largest_scale(widths: Sequence[float], paper: Paper) -> float:
    """The largest print scale (a fraction) at which a program fitting these columns to
    the page's width may print them: the sheets are printed fit to width, each program
    by its own font's measure, and a page holds the fewest rows at this scale, so breaks
    placed for it never leave a block to cross a page foot."""
    content = sum(column_points(w) for w in widths)
    return min(1.0, paper.printable_width / content) if content else 1.0


@dataclass(frozen=True)
class Block:
    """Rows that belong together on a page; a table's may break after `keep` rows (its
    heading, header row and first few rows) when the whole table is taller than a page."""

    first: int
    last: int
    keep: int | None = None  # None: never split (a chart, a paragraph)


def page_breaks(blocks: Sequence[Block], heights: Mapping[int, float], last_row: int,
                page_height: float, repeated: float = 0.0) -> list[int]:
    """The rows after which a new page starts, so that no block crosses a page foot.

    `page_height` is in the sheet's own points (the printable height over the scale);
    `repeated` is the height of the header rows printed again atop every later page.
    Rows outside every block are blocks of one row.
    """
    def size(first: int, last: int) -> float:
        return sum(heights.get(r, DEFAULT_ROW) for r in range(first, last + 1))

    starts = {b.first: b for b in blocks}
    units, row = [], 1
    while row <= last_row:
        unit = starts.get(row, Block(row, row))
        units.append(unit)
        row = unit.last + 1
    later_page = page_height - repeated
    breaks: list[int] = []
    room, empty = page_height, True
    for unit in units:
        whole = size(unit.first, unit.last)
        if whole <= room:
            room, empty = room - whole, False
            continue
        if whole <= later_page or unit.keep is None:  # fits a page of its own: start one
            if not empty:
                breaks.append(unit.first - 1)
                room = later_page
            room, empty = room - whole, False
            continue
        # a table taller than a page: its first rows stay with its heading, then it runs on
        if not empty and size(unit.first, unit.keep) > room:
            breaks.append(unit.first - 1)
            room = later_page
        for r in range(unit.first, unit.last + 1):
            height = heights.get(r, DEFAULT_ROW)
            if height > room and r > unit.keep:
                breaks.append(r - 1)
                room = later_page
            room -= height
        empty = False
    return breaks
