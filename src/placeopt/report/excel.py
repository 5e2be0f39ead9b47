"""report.xlsx: the business case as a workbook a planner forwards to finance.

One function per sheet; each lays out tables from `content`, `appraisal` and `capital` top
to bottom with a `Sheet` (`sheet`), which owns the formats, widths and page setup, and
charts from `charts`. Every sheet prints with its smallest text at 8 pt or more (`pages`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, DataBarRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from . import appraisal, capital
from . import content as rp
from . import inclusion as ri
from .charts import (
    case_lines,
    colour_scale,
    cumulative_chart,
    nice_ceiling,
    project_value_chart,
    stacked_chart,
)
from .pages import DEFAULT_ROW, Paper, page_wide_column
from .sheet import Sheet

MAP_DPI = 150


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
    sheet.table(appraisal.key_figures(data), at={"Source": 5})
    sheet.heading("Status and provenance")
    sheet.pairs(list(rp.provenance(data).frame.itertuples(index=False)))
    sheet.finish(freeze="A3")


def costs_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("Costs by year: plan against baseline", _subtitle(data))
    by_year = sheet.table(appraisal.cost_by_year(data), money="thousands")
    header = f"{by_year.header_row}:{by_year.header_row}"  # every table here has its years
    sheet.table(rp.pupils_by_year(data))
    by_type = [sheet.table(rp.cost_by_type(data, case), money="thousands")
               for case in ("baseline", "plan")]
    sheet.heading("Charts")
    top = nice_ceiling(max(p.table.frame[data.years].sum().max() for p in by_type))
    sheet.charts([
        case_lines(by_year, ["Baseline: out-of-area cost", "Plan: out-of-area cost"],
                   "Out-of-area cost, plan against baseline", "£ a year"),
        cumulative_chart(by_year, data),
        *[stacked_chart(placed, top) for placed in by_type],
    ])
    sheet.finish(freeze="B3", print_rows=header)


def capital_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("Capital programme", _subtitle(data))
    if data.expansions.empty:
        sheet.paragraph("The workbook proposes no expansion or new-site options.")
    else:
        placed = sheet.table(capital.capital_programme(data))
        built = get_column_letter(placed.columns["Built"])
        sheet.ws.conditional_formatting.add(
            f"{built}{placed.first_row}:{built}{placed.last_row}",
            CellIsRule(operator="equal", formula=['"yes"'], fill=PatternFill(
                "solid", fgColor="C6EFCE"), font=Font(color="006100")))
        sheet.heading("Revenue saving by option")
        sheet.paragraph(capital.capital_note(data))
    sheet.finish()


def inclusion_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    """The inclusion measures, beside the capital programme: what the plan funds and
    why, each measure's cost per pupil diverted and worth, pupils diverted by year."""
    sheet.title("Inclusion measures", _subtitle(data))
    for line in ri.measure_sentences(data):
        sheet.paragraph(line)
    sheet.row += 1
    for table in (ri.measures_table(data), ri.worth_table(data), ri.place_costs(data),
                  ri.diverted_by_year(data)):
        if table is not None:
            sheet.table(table)
    sheet.paragraph(ri.inclusion_note(data), note=True)
    sheet.finish()


def project_values_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    """The project list a capital board reads: its table, how to read it, a bar chart."""
    sheet.title("What each project is worth", _subtitle(data))
    table = capital.project_values(data) if not data.expansions.empty else None
    notes = capital.project_values_notes(data)
    if table is None:
        sheet.paragraph(notes[0] if not data.expansions.empty
                        else "The workbook proposes no expansion or new-site options.")
        sheet.finish()
        return
    placed = sheet.table(table)
    for line in notes:
        sheet.paragraph(line, note=True)
    sheet.row += 1
    sheet.charts([project_value_chart(placed)])
    sheet.finish(print_rows=f"{placed.header_row}:{placed.header_row}")


def funding_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    sheet.title("Capital by funding stream", _subtitle(data))
    streams, by_year = capital.funding_streams(data), capital.funding_by_year(data)
    if streams is not None:
        sheet.table(streams)
    if by_year is not None:
        sheet.table(by_year, money="thousands")
    if streams is None:
        sheet.paragraph("The plan draws on no capital stream.")
    sheet.finish()


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
            ("marginal_value", "pounds", "Saving from one more place, by year (£ a year)",
             "63BE7B")):
        placed = sheet.table(rp.capacity_grid(data, column, kind, title))
        header = header or placed.header_row
        colour_scale(sheet.ws, placed, end_colour, 1 if kind == "percent" else None)
    sheet.finish(print_rows=f"{header}:{header}")


def map_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    """The map of the HTML report as a picture, fitted to one landscape page at no more
    than its own size (its labels are drawn to print at 8 pt or more)."""
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
    fit = min(1.0, paper.printable_width / width,
              (paper.printable_height - taken - 2 * DEFAULT_ROW) / height)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=MAP_DPI)
    sheet.picture(png, width * fit, height * fit)
    sheet.finish(landscape=True, freeze=None, one_page=True)


def map_key_sheet(sheet: Sheet, data: rp.ResultFolder) -> None:
    """What the map's numbers (zones) and letters (providers) stand for, one table each."""
    from .map import why_no_map
    from .map_key import key_tables

    sheet.title("Key to the map", _subtitle(data))
    if why_no_map(data) is not None:
        sheet.paragraph("There is no map: the sheet Map says why.")
    else:
        for table in key_tables(data):
            sheet.table(table)
    sheet.finish(landscape=False, freeze=None)


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
    table = rp.placements(data)
    sheet.row = 3
    sheet.paragraph("Source: " + table.source, note=True)
    sheet.paragraph(f"The table below ({len(table.frame):,} rows) is not printed: to print "
                    "it, clear the print area (Page Layout > Print Area > Clear Print Area); "
                    "its header row repeats on every page.", note=True)
    sheet.row += 1
    placed = sheet.table(table, source=False)
    sheet.ws.auto_filter.ref = placed.ref()
    sheet.finish(landscape=True, freeze=f"A{placed.first_row}",
                 print_rows=f"{placed.header_row}:{placed.header_row}", print_to=4,
                 print_columns=sheet.span)


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
    ("Project values", 9, project_values_sheet),
    ("Funding", 6, funding_sheet),
    ("Capacity", 9, capacity_sheet),
    ("Capacity by year", 9, capacity_by_year_sheet),
    ("Unmet need", 8, unmet_sheet),
    ("Map", 1, map_sheet),
    ("Map key", 3, map_key_sheet),
    ("Placements", 8, placements_sheet),
    ("Parameters", 2, parameters_sheet),
    ("Method", 1, method_sheet),
)


def write_xlsx(data: rp.ResultFolder, path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    sheets = list(SHEETS)
    if ri.measures(data):  # with an Inclusion sheet: its own, beside the capital programme
        sheets.insert(3, ("Inclusion measures", 8, inclusion_sheet))
    for title, span, build in sheets:
        build(Sheet(book.create_sheet(title), span), data)
    book.save(path)


