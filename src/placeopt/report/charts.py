"""The native charts of report.xlsx and batch_summary.xlsx (openpyxl).

Every chart states its fonts (titles 12 pt, labels 10 pt), so that a program's defaults
cannot shrink them below what the print budget allows (`pages`), and every money axis is
scaled here: ticks at round figures (1, 2 or 5 times a power of ten) labelled with the
decimals they need, and an axis whose values are all zero runs from £0 to £1, not from
-£0.05 to £0.05.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import _BaseAxis
from openpyxl.chart.text import RichText
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import content as rp
from .appraisal import CUMULATIVE_CASH, CUMULATIVE_DISCOUNTED, payback_phrase
from .formats import money_unit, nice_step
from .sheet import Placed

TITLE_SIZE, LABEL_SIZE = 12, 10  # points


def _properties(size: float, bold: bool = False) -> CharacterProperties:
    return CharacterProperties(sz=int(size * 100), b=bold)


def titled(text: str, size: float = TITLE_SIZE, bold: bool = True) -> Title:
    """A chart or axis title in a stated font size."""
    title = Title()
    font = _properties(size, bold)
    title.tx.rich.paragraphs = [
        Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(t=line, rPr=font)])
        for line in text.split("\n")]
    title.overlay = False
    return title


def labels(size: float = LABEL_SIZE) -> RichText:
    """Tick labels or a legend in a stated font size."""
    font = _properties(size)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=font), endParaRPr=font)])


def styled(chart: BarChart | LineChart, title: str, x_title: str | None = None,
           y_title: str | None = None) -> BarChart | LineChart:
    """Title, axis titles and every label of the chart in the report's sizes; both axes
    shown; the legend, if any, below the plot."""
    chart.title = titled(title)
    for axis, text in ((chart.x_axis, x_title), (chart.y_axis, y_title)):
        axis.delete = False
        axis.txPr = labels()
        if text:
            axis.title = titled(text, LABEL_SIZE)
    if chart.legend is not None:
        chart.legend.position = "b"
        chart.legend.txPr = labels()
    return chart


def money_axis(axis: _BaseAxis, values: Sequence[float], floor_zero: bool = True) -> None:
    """Scale a value axis to `values` (and zero): round ticks, labelled in £m, £k or £ with
    the decimals they need; all zero: £0 to £1."""
    finite = [float(v) for v in values if v is not None and np.isfinite(v)]
    low = min([0.0, *finite]) if floor_zero else min(finite, default=0.0)
    high = max([0.0, *finite]) if floor_zero else max(finite, default=0.0)
    if high - low < 0.005:
        low, high, step = 0.0, 1.0, 1.0
    else:
        step = nice_step(high - low)
        low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    axis.scaling.min, axis.scaling.max, axis.majorUnit = low, high, step
    unit = money_unit(max(abs(low), abs(high)))
    axis.number_format = unit.excel_format(unit.decimals([low, low + step]))


def nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(value))
    return math.ceil(value / step) * step


def year_chart(chart: BarChart | LineChart, placed: Placed, rows: list[int], title: str,
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
    frame = placed.table.frame
    values = [float(v) for row in rows for v in frame.iloc[row - placed.first_row][years]]
    money_axis(chart.y_axis, values)
    chart.x_axis.tickLblPos = "low"  # year labels below the plot, negative values or not
    return styled(chart, title, "Year", y_title)


def line_chart(placed: Placed, labels_: list[str], title: str, y_title: str,
               colours: list[str]) -> LineChart:
    """Table rows as lines with markers."""
    chart = year_chart(LineChart(), placed, [placed.row_of(label) for label in labels_],
                       title, y_title, colours)
    for series, colour in zip(chart.series, colours, strict=True):
        series.smooth = False
        series.marker.symbol = "circle"
        series.marker.graphicalProperties.solidFill = colour
        series.marker.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = 28575  # 2.25 pt
    return chart


def case_lines(placed: Placed, labels_: list[str], title: str, y_title: str) -> LineChart:
    """Baseline and plan rows as lines, in the case colours."""
    colours = [rp.CASE_COLOURS[label.split(":")[0].lower()] for label in labels_]
    return line_chart(placed, labels_, title, y_title, colours)


def stacked_chart(placed: Placed, top: float) -> BarChart:
    """A case's cost by provider type, stacked, on a scale shared with the other case."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    rows = list(range(placed.first_row, placed.last_row + 1))
    year_chart(chart, placed, rows, placed.table.title.replace(
        "placement and transport cost", "cost"), "£ a year", [
        _label_colour(label) for label in placed.table.frame.iloc[:, 0]])
    money_axis(chart.y_axis, [0.0, top])
    chart.gapWidth = 60
    return chart


def _label_colour(label: str) -> str:
    """The colour of a row of `content.cost_by_type` (labelled by `content.type_label`)."""
    in_area = "no" if label.endswith(rp.OUT_OF_AREA) else "yes"
    name = label.removesuffix(rp.OUT_OF_AREA)
    types = {v: k for k, v in rp.TYPE_NAMES.items()}
    return rp.type_colour(types.get(name, name), in_area)


def cumulative_chart(placed: Placed, data: rp.ResultFolder) -> LineChart:
    """The running totals the paybacks are read from, cash and discounted; the payback
    (with its basis) in the title, clear of the legend."""
    title = f"Cumulative net saving: {payback_phrase(data.summary['savings'])}"
    return line_chart(placed, [CUMULATIVE_CASH, CUMULATIVE_DISCOUNTED], title, "£",
                      [rp.CASE_COLOURS["plan"], "2CA02C"])


def project_value_chart(placed: Placed) -> BarChart:
    """Horizontal bars by option: the NPV lost if dropped (built), the NPV change if
    built (left out); a figure within its tolerance is text in the table, so no bar."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "clustered", 100
    names = placed.columns["Option"]
    rows = dict(min_row=placed.header_row, max_row=placed.last_row)
    columns = ("NPV lost if dropped", "NPV change if built")
    for column, colour in zip(columns, (rp.CASE_COLOURS["plan"], rp.CASE_COLOURS["baseline"]),
                              strict=True):
        chart.add_data(Reference(placed.ws, min_col=placed.columns[column], **rows),
                       titles_from_data=True)
        chart.series[-1].graphicalProperties.solidFill = colour
        chart.series[-1].graphicalProperties.line.solidFill = colour
    chart.set_categories(Reference(placed.ws, min_col=names, min_row=placed.first_row,
                                   max_row=placed.last_row))
    frame = placed.table.frame
    values = [v for column in columns for v in frame[column]
              if isinstance(v, int | float) and np.isfinite(v)]
    # In a bar chart the category axis (x_axis) runs down the page, the values across.
    money_axis(chart.y_axis, values)
    chart.x_axis.scaling.orientation = "maxMin"  # the first option at the top
    chart.y_axis.crosses = "max"  # ... and the value axis at the bottom (the last option)
    chart.x_axis.tickLblPos = "low"  # option names at the left, whatever the sign
    return styled(chart, "What each project is worth (NPV, £)")


def colour_scale(ws: Worksheet, placed: Placed, end_colour: str, end: float | None) -> None:
    years = placed.table.year_columns
    if not years or placed.last_row < placed.first_row:
        return
    cells = (f"{get_column_letter(placed.columns[years[0]])}{placed.first_row}:"
             f"{get_column_letter(placed.columns[years[-1]])}{placed.last_row}")
    end_type, end_value = ("num", end) if end is not None else ("max", None)
    ws.conditional_formatting.add(cells, ColorScaleRule(
        start_type="num", start_value=0, start_color="FFFFFF",
        end_type=end_type, end_value=end_value, end_color=end_colour))
