"""The batch's own files: batch_summary.csv and .xlsx, batch.html, and with samples
batch_samples.csv (P10/P50/P90) and batch_options.csv (how often each option is built).

They are views of the batch's tables (`BatchTables`), in the house style of the reports
(the `report` wing's tables, sheets and page styles). Each file is written under a
temporary name and renamed when complete.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference, ScatterChart, Series

from ..report import content as rp
from ..report.charts import money_axis as money_scale
from ..report.charts import styled
from ..report.folder import neutralise_table
from ..report.html import CSS, html_table
from ..report.plots import money_axis
from ..report.sheet import Placed, Sheet
from .uncertainty import PERCENTILES

MAX_BARS = 30  # more rows than this are plotted as points, not bars
HEADINGS = {  # batch_summary.csv column -> heading in the xlsx and HTML views, kind
    "label": ("Folder", "text"),
    "scenario": ("Scenario", "text"),
    "sample": ("Sample", "year"),
    "status": ("Status", "text"),
    "reason": ("Reason", "text"),
    "mip_gap": ("MIP gap", "percent"),
    "gap_pounds": ("Gap (£, discounted)", "money"),
    "objective": ("Objective (£, discounted)", "money"),
    "total_cost": ("Total cost, all years", "money"),
    "out_of_area_cost": ("Out-of-area cost, all years", "money"),
    "out_of_area_pupils_final_year": ("Out-of-area pupils, final year", "pupils"),
    "capital": ("Capital, all years", "money"),
    "capital_beyond_baseline": ("Capital beyond the baseline", "money"),
    "npv": ("NPV over the baseline", "money"),
    "npv_capital_when_spent": ("NPV, capital when spent plus residual value", "money"),
    "payback_year": ("Payback year (cash, capital when spent)", "year"),
    "discounted_payback_year": ("Discounted payback year (capital when spent)", "year"),
    "unmet_pupil_years": ("Unmet pupil-years", "pupils"),
    "additional_pupils_placed": ("Additional pupils placed (pupil-years)", "pupils"),
    "new_places_final_year": ("New places open, final year", "places"),
    "final_year": ("Final year", "year"),
    "options_built": ("Options built (opening year)", "text"),
    "regret": ("Regret (£ of NPV)", "money"),
    "objective_regret": ("Regret (£ of objective)", "money"),
    "optimum_npv": ("NPV of the scenario's own optimum", "money"),
    "optimum_options_built": ("The optimum builds (opening year)", "text"),
    "seconds": ("Seconds", "minutes"),
    "reused": ("Reused", "text"),
}


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """Write to a temporary name beside `path`; rename only when the block succeeds."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@dataclass(frozen=True)
class BatchTables:
    """What the batch's files show: a row per task, with samples the percentiles and
    option frequencies, and the facts of the batch (label, value) for its About part."""

    table: pd.DataFrame
    percentiles: pd.DataFrame
    options: pd.DataFrame
    about: list[tuple[str, str]]
    interrupted: bool = False
    demand: pd.DataFrame | None = None  # with samples: total demand, sampled and banded


def write_batch_files(folder: Path, tables: BatchTables) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    csvs = {"batch_summary.csv": tables.table}
    if not tables.percentiles.empty or tables.table["sample"].notna().any():
        csvs |= {"batch_samples.csv": tables.percentiles, "batch_options.csv": tables.options}
    if tables.demand is not None:
        csvs["batch_demand.csv"] = tables.demand
    for name, table in csvs.items():
        with _replacing(folder / name) as partial:
            neutralise_table(table).to_csv(partial, index=False)
    with _replacing(folder / "batch_summary.xlsx") as partial:
        write_xlsx(tables, partial)
    with _replacing(folder / "batch.html") as partial:
        partial.write_text(page(tables), encoding="utf-8")


# The page shows these; batch_summary.csv and .xlsx's sheet Every column have every column.
PAGE_COLUMNS = ("label", "status", "npv", "capital", "out_of_area_pupils_final_year",
                "unmet_pupil_years", "payback_year", "regret", "optimum_npv", "options_built")
# The printed sheet Scenarios: what a reader signs off, narrow enough to print legibly.
PRINT_COLUMNS = (*PAGE_COLUMNS, "reason")


def summary_table(tables: BatchTables, only: tuple[str, ...] | None = None) -> rp.Table:
    columns = [c for c in HEADINGS if c in tables.table.columns
               and (only is None or c in only)
               and (c not in ("gap_pounds", "additional_pupils_placed")
                    or tables.table[c].notna().any())]
    frame = tables.table[columns].copy()
    if "reused" in frame:
        frame["reused"] = np.where(frame["reused"].astype(bool), "yes", "no")
    frame = frame.rename(columns={c: HEADINGS[c][0] for c in columns})
    return rp.Table("Scenarios", frame, kinds={HEADINGS[c][0]: HEADINGS[c][1]
                                               for c in columns},
                    source="batch_summary.csv; each row's folder holds its full results")


def percentile_table(tables: BatchTables) -> rp.Table:
    frame = tables.percentiles.rename(columns={
        "scenario": "Scenario", "measure": "Measure", "mean": "Mean",
        "samples": "Samples solved", "failed": "Samples failed",
        "central": "The scenario itself", "central_percentile": "Samples below it"})
    kinds = {"Scenario": "text", "Measure": "text", "Samples solved": "places",
             "Samples failed": "places", "Samples below it": "percent"}
    row_kinds = tuple("money" if "£" in m else "pupils" for m in frame["Measure"])
    return rp.Table(f"Over the samples: P{PERCENTILES[0]}, P{PERCENTILES[1]} and "
                    f"P{PERCENTILES[2]}, and where the scenario itself falls", frame,
                    kinds=kinds, row_kinds=row_kinds,
                    source="batch_samples.csv; the scenario itself is solved with its own "
                           "demand, the samples around it")


DEMAND_HEADINGS = {"scenario": "Scenario", "year": "Year", "central": "Demand (scenario)",
                   "P10": "P10 of the samples", "P50": "P50", "P90": "P90",
                   "band_low": "80% band: low", "band_high": "80% band: high"}


def demand_table(tables: BatchTables) -> rp.Table:
    frame = tables.demand.rename(columns=DEMAND_HEADINGS)
    kinds = {"Scenario": "text", "Year": "year"}
    return rp.Table("Total demand in the samples, and the calibrated band", frame, kinds=kinds,
                    default="pupils", source="batch_demand.csv")


def demand_note(tables: BatchTables) -> str:
    """Where the samples' spread comes from, in words."""
    basis = dict(tables.about).get("Spread and persistence from", "")
    return ("Each sample multiplies the scenario's demand by a path of yearly errors whose "
            f"spread and persistence come from {basis}: the same model as placeopt "
            "forecast's band. The shaded 80% band is where 80% of such paths fall; with few "
            "samples their P10-P90 strays from it by chance (docs/batch.md).")


def options_table(tables: BatchTables) -> rp.Table:
    frame = tables.options.rename(columns={
        "scenario": "Scenario", "option_id": "Option", "samples": "Samples solved",
        "built_share": "Built in", "median_open_year": "Median opening year",
        "central_open_year": "The scenario itself opens it in"})
    frame = frame.rename(columns={c: f"Opens in {c.removeprefix('opens_')}"
                                  for c in frame.columns if str(c).startswith("opens_")})
    kinds = {"Scenario": "text", "Option": "text", "Samples solved": "places",
             "Median opening year": "year", "The scenario itself opens it in": "year"}
    return rp.Table("How often each option is built, and when", frame, kinds=kinds,
                    default="percent", source="batch_options.csv")


# --- batch_summary.xlsx -----------------------------------------------------------------


def write_xlsx(tables: BatchTables, path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    sheet = Sheet(book.create_sheet("Scenarios"), 8)
    sheet.title("Scenario batch", tables.about[0][1])
    placed = sheet.table(summary_table(tables, PRINT_COLUMNS))
    sheet.paragraph("The sheet Every column has all the columns of batch_summary.csv "
                    "(costs, gaps, timings, folders): too many to print legibly on one page, "
                    "so only this sheet prints.", note=True)
    sheet.row += 1
    sheet.charts(_summary_charts(placed, tables))
    sheet.finish(freeze=f"B{placed.first_row}",
                 print_rows=f"{placed.header_row}:{placed.header_row}")
    every_column_sheet(Sheet(book.create_sheet("Every column"), 8), tables)
    if not tables.percentiles.empty:
        sheet = Sheet(book.create_sheet("Samples"), 8)
        sheet.title("Demand samples", "What the futures drawn around each scenario say")
        sheet.table(percentile_table(tables))
        if tables.demand is not None and not tables.demand.empty:
            sheet.table(demand_table(tables))
        placed = sheet.table(options_table(tables))
        sheet.charts([_options_chart(placed, tables)])
        sheet.finish(freeze=None)
    sheet = Sheet(book.create_sheet("About"), 4)
    sheet.title("About this batch", "docs/batch.md explains every column")
    sheet.pairs(tables.about)
    sheet.finish(landscape=False, freeze=None)
    book.save(path)


def every_column_sheet(sheet: Sheet, tables: BatchTables) -> None:
    """Every column of batch_summary.csv, to read and filter on screen; only its title
    prints (like report.xlsx's Placements), and the note says how to print it."""
    sheet.title("Scenario batch: every column", tables.about[0][1])
    sheet.row = 3
    sheet.paragraph("Not printed: the sheet Scenarios prints the main columns. To print "
                    "these, clear the print area (Page Layout > Print Area > Clear Print "
                    "Area) and print on A3 or fit to several pages.", note=True)
    sheet.row += 1
    placed = sheet.table(summary_table(tables))
    sheet.ws.auto_filter.ref = placed.ref()
    sheet.finish(freeze=f"B{placed.first_row}", print_to=3, print_columns=sheet.span,
                 print_rows=f"{placed.header_row}:{placed.header_row}")


def _column(placed: Placed, name: str) -> int:
    return placed.columns[HEADINGS[name][0]]


def _summary_charts(placed: Placed, tables: BatchTables) -> list:
    ws, first, last = placed.ws, placed.first_row, placed.last_row
    if not {"npv", "capital", "out_of_area_pupils_final_year"} <= set(tables.table.columns):
        return []  # nothing was solved
    if len(tables.table) <= MAX_BARS:
        money = BarChart()
        money.type = "bar"
        for name in ("npv", "capital"):
            money.add_data(Reference(ws, min_col=_column(placed, name), min_row=first - 1,
                                     max_row=last), titles_from_data=True)
        money.set_categories(Reference(ws, min_col=_column(placed, "label"), min_row=first,
                                       max_row=last))
        money_scale(money.y_axis, tables.table[["npv", "capital"]].to_numpy(float).ravel())
        styled(money, "NPV over the baseline and capital, by scenario")
        pupils = BarChart()
        pupils.type = "bar"
        pupils.add_data(Reference(ws, min_col=_column(placed, "out_of_area_pupils_final_year"),
                                  min_row=first - 1, max_row=last), titles_from_data=True)
        pupils.set_categories(Reference(ws, min_col=_column(placed, "label"), min_row=first,
                                        max_row=last))
        pupils.legend = None
        styled(pupils, "Out-of-area pupils in the final year")
        charts = [money, pupils]
    else:
        scatter = ScatterChart()
        series = Series(Reference(ws, min_col=_column(placed, "npv"), min_row=first - 1,
                                  max_row=last),
                        Reference(ws, min_col=_column(placed, "capital"), min_row=first,
                                  max_row=last), title_from_data=True)
        series.marker.symbol, series.graphicalProperties.line.noFill = "circle", True
        scatter.series.append(series)
        money_scale(scatter.x_axis, tables.table["capital"].to_numpy(float))
        money_scale(scatter.y_axis, tables.table["npv"].to_numpy(float))
        scatter.legend = None
        styled(scatter, "Each row: NPV over the baseline against capital",
               "Capital, all years", "NPV")
        charts = [scatter]
    for chart in charts:
        if isinstance(chart, BarChart):  # rows top to bottom as in the table, labels clear
            chart.x_axis.scaling.orientation, chart.x_axis.tickLblPos = "maxMin", "low"
    return charts


def _options_chart(placed: Placed, tables: BatchTables) -> BarChart:
    """Share of samples building each option (the rows of the first scenario shown)."""
    ws = placed.ws
    first_scenario = tables.options["scenario"].iloc[0]
    rows = int((tables.options["scenario"] == first_scenario).sum())
    chart = BarChart()
    chart.type = "bar"
    chart.add_data(Reference(ws, min_col=placed.columns["Built in"], min_row=placed.header_row,
                             max_row=placed.header_row + rows), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=placed.columns["Option"],
                                   min_row=placed.first_row,
                                   max_row=placed.header_row + rows))
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.x_axis.scaling.orientation = "maxMin"
    chart.legend = None
    return styled(chart, f"Share of samples that build each option ({first_scenario})")


# --- batch.html -------------------------------------------------------------------------


def page(tables: BatchTables) -> str:
    table = tables.table
    failed = table[~table["solved"].astype(bool)]
    parts = [f"<h1>Scenario batch</h1>\n<p class=\"subtitle\">{escape(tables.about[0][1])}</p>"]
    solved = int(table["solved"].sum())
    lines = [f"{solved} of {len(table)} solved."]
    if tables.interrupted:
        lines.append("The batch was interrupted: rows marked interrupted were not solved; run "
                     "it again to finish them.")
    parts.append("".join(f"<p>{escape(line)}</p>" for line in lines))
    if not failed.empty:
        items = "".join(f"<li>{escape(str(r.label))}: {escape(str(r.status))}"
                        f"{': ' + escape(str(r.reason)) if r.reason else ''}</li>"
                        for r in failed.itertuples())
        parts.append(f'<div class="caution"><p>Not solved:</p><ul>{items}</ul></div>')
    solved_rows = table[table["solved"].astype(bool)]
    if not solved_rows.empty:
        if table["sample"].notna().any():
            parts.append("<h2>Across the demand samples</h2>")
            parts.append(_figure(_sample_plot(tables), "samples",
                                 "Each band spans P10 to P90 of the samples, the tick is the "
                                 "median (P50), each dot is one sample, and the diamond is "
                                 "the scenario itself (its own demand, not a sample)."))
            parts.append(html_table(percentile_table(tables)))
            if tables.demand is not None and not tables.demand.empty:
                parts.append(_figure(_demand_plot(tables.demand), "demand",
                                     demand_note(tables)))
                parts.append(html_table(demand_table(tables)))
            if not tables.options.empty:
                parts.append(_figure(_options_plot(tables), "options",
                                     "Share of the solved samples in which each option is "
                                     "built."))
                parts.append(html_table(options_table(tables)))
        else:
            parts.append("<h2>The scenarios side by side</h2>")
            parts.append(_figure(_bars_plot(solved_rows), "scenarios",
                                 "NPV of each scenario's plan over its own baseline, the "
                                 "capital it spends, and the pupils placed out of area in the "
                                 "final year."))
    parts.append("<h2>Every row</h2>")
    parts.append(html_table(summary_table(tables, PAGE_COLUMNS)))
    parts.append('<p class="note">batch_summary.xlsx and batch_summary.csv have every column: '
                 "costs, gaps, additional pupils placed, timings.</p>")
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>"
                   for k, v in tables.about)
    parts.append(f"<h2>About this batch</h2><table><tbody>{rows}</tbody></table>")
    return ('<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Scenario batch: {escape(Path(tables.about[0][1]).name)}</title>\n"
            f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n" + "\n".join(parts)
            + "\n</main>\n</body>\n</html>\n")


def _figure(figure: Figure, name: str, caption: str) -> str:
    return (f"<figure>{rp.figure_svg(figure, name)}<figcaption>{escape(caption)}"
            "</figcaption></figure>")


PANELS = (("npv", "NPV over the baseline", True), ("capital", "Capital, all years", True),
          ("out_of_area_pupils_final_year", "Out-of-area pupils, final year", False))


def _bars_plot(rows: pd.DataFrame) -> Figure:
    figure = Figure(figsize=(11, 0.9 + 0.32 * len(rows)))
    axes = figure.subplots(1, len(PANELS), sharey=True)
    labels = [rp.plot_text(label) for label in rows["label"]]
    positions = np.arange(len(rows))[::-1]
    for ax, (column, title, money) in zip(axes, PANELS, strict=True):
        values = rows[column].astype(float).to_numpy()
        ax.barh(positions, values, color=np.where(values < 0, "#D62728", "#1F77B4"))
        ax.set_title(title, fontsize=10)
        ax.axvline(0, color="black", linewidth=0.8)
        if money:
            money_axis(ax.xaxis, values)
        ax.grid(axis="x", color="#E1E5EA")
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].set_yticks(positions, labels, fontsize=8)
    figure.tight_layout()
    return figure


def _sample_plot(tables: BatchTables) -> Figure:
    solved = tables.table[tables.table["solved"].astype(bool)]
    table = solved[solved["sample"].notna()]
    central = solved[solved["sample"].isna()].drop_duplicates("scenario").set_index("scenario")
    scenarios = list(dict.fromkeys(table["scenario"]))
    measures = [*PANELS, ("unmet_pupil_years", "Unmet pupil-years", False)]
    if "regret" in table and table["regret"].notna().any():
        measures.append(("regret", "Regret (£ of NPV)", True))
    figure = Figure(figsize=(2.9 * len(measures), 1.2 + 0.45 * len(scenarios)))
    axes = figure.subplots(1, len(measures), sharey=True)
    positions = np.arange(len(scenarios))[::-1]
    for ax, (column, title, money) in zip(axes, measures, strict=True):
        groups = [table.loc[table["scenario"] == s, column].astype(float).dropna().to_numpy()
                  for s in scenarios]
        for y, values in zip(positions, groups, strict=True):
            if not len(values):
                continue
            low, middle, high = np.percentile(values, PERCENTILES)
            ax.hlines(y, low, high, color="#1F4E79", linewidth=7, alpha=0.35)
            ax.plot([middle], [y], marker="|", markersize=16, color="#1F4E79")
            jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(values))
            ax.scatter(values, y + jitter, s=6, color="#1F77B4", alpha=0.6)
        for y, scenario in zip(positions, scenarios, strict=True):
            if scenario in central.index and pd.notna(central.at[scenario, column]):
                ax.plot([float(central.at[scenario, column])], [y], marker="D", markersize=7,
                        color="#D62728", markeredgecolor="white", zorder=5)
        ax.set_title(title, fontsize=10)
        if money:
            money_axis(ax.xaxis, np.concatenate(groups) if groups else np.zeros(0))
        ax.grid(axis="x", color="#E1E5EA")
    axes[0].set_yticks(positions, [rp.plot_text(s) for s in scenarios], fontsize=9)
    figure.tight_layout()
    return figure


def _demand_plot(demand: pd.DataFrame) -> Figure:
    """Each scenario's total demand: the calibrated 80% band, the samples' P10-P90, the
    scenario's own line."""
    scenarios = list(dict.fromkeys(demand["scenario"]))
    figure = Figure(figsize=(max(6.5, min(11, 3.8 * len(scenarios)) + 0.6), 3.4))
    axes = np.atleast_1d(figure.subplots(1, len(scenarios), sharey=True))
    for ax, scenario in zip(axes, scenarios, strict=True):
        part = demand[demand["scenario"] == scenario]
        ax.fill_between(part["year"], part["band_low"], part["band_high"], color="#9ECAE1",
                        alpha=0.6, label="calibrated 80% band")
        ax.plot(part["year"], part["P10"], "--", color="#1F4E79", lw=1, label="samples P10, P90")
        ax.plot(part["year"], part["P90"], "--", color="#1F4E79", lw=1)
        ax.plot(part["year"], part["central"], color="#1F4E79", lw=2, label="scenario")
        ax.set_title(rp.plot_text(scenario), fontsize=10)
        ax.grid(color="#E1E5EA")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].set_ylabel("pupils (total demand)")
    axes[0].legend(frameon=False, fontsize=8, loc="upper left")
    figure.tight_layout()
    return figure


def _options_plot(tables: BatchTables) -> Figure:
    options = tables.options
    shares = options.pivot_table(index="option_id", columns="scenario", values="built_share",
                                 sort=False).fillna(0.0)
    figure = Figure(figsize=(9, 1.0 + 0.3 * len(shares) * max(1, len(shares.columns)) ** 0.5))
    ax = figure.subplots()
    height = 0.8 / len(shares.columns)
    positions = np.arange(len(shares))[::-1]
    for i, scenario in enumerate(shares.columns):
        ax.barh(positions - i * height, shares[scenario], height=height,
                label=rp.plot_text(scenario))
    ax.set_yticks(positions - height * (len(shares.columns) - 1) / 2,
                  [rp.plot_text(o) for o in shares.index], fontsize=8)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("Share of samples that build it")
    if len(shares.columns) > 1:
        ax.legend(frameon=False, fontsize=8)
    figure.tight_layout()
    return figure
