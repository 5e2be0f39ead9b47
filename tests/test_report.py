"""The business-case reports (report.xlsx, report.html), built from a result folder alone.

One solve of the worked example serves every test; each test copies its result folder,
changes what it needs (a name, a missing file, the solver status) and rebuilds the
reports from the files. LibreOffice and Chromium render the reports for real (slow).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import needs_tools
from openpyxl.chart import BarChart, LineChart
from openpyxl.utils import get_column_letter
from tiny import tiny_workbook

from placeopt.model.results import Results
from placeopt.report import (
    FolderRefused,
    IncompleteFolder,
    ResultFolder,
    read_folder,
    write_reports,
)
from placeopt.report.appraisal import CUMULATIVE_DISCOUNTED, NET_SAVING
from placeopt.report.content import cost_by_type
from placeopt.report.folder import neutralise_formula, neutralise_table
from placeopt.report.formats import money_unit, money_words
from placeopt.report.html import page as html_page
from placeopt.report.sheet import safe_cell_value
from placeopt.run import plan, write_results
from placeopt.workbook.template import write_template

SHEETS = ["Summary", "Costs by year", "Capital programme", "Project values", "Funding",
          "Capacity", "Capacity by year", "Unmet need", "Map", "Map key", "Placements",
          "Parameters", "Method"]
PORTRAIT = {"Map key", "Parameters", "Method"}  # narrow, as printed
HYPERLINK = '=HYPERLINK("http://x","y")'
SUM = "@SUM(A1)"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="session")
def example_results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    workbook = write_template(tmp_path_factory.mktemp("example") / "example.xlsx", example=True)
    return plan(workbook)


@pytest.fixture(scope="session")
def example_folder(example_results: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worked example's result folder, written by run.py with its reports."""
    return write_results(example_results, tmp_path_factory.mktemp("results") / "base",
                         reports=True)


@pytest.fixture
def folder(example_folder: Path, tmp_path: Path) -> Path:
    """A copy of the result folder without its reports, for a test to change."""
    copy = Path(shutil.copytree(example_folder, tmp_path / "base"))
    for name in ("report.xlsx", "report.html"):
        (copy / name).unlink()
    return copy


def edit_csv(folder: Path, name: str, change) -> None:
    """Rewrite one CSV of the folder as `change(table)`, every cell read as text."""
    path = folder / f"{name}.csv"
    change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)


def replace(column: str, old: str, new: str):
    return lambda t: t.assign(**{column: t[column].replace(old, new)})


def edit_summary(folder: Path, **changes: Any) -> None:
    path = folder / "summary.json"
    summary = json.loads(path.read_text())
    summary.update(changes)
    path.write_text(json.dumps(summary))


def rows_of(ws) -> dict[str, tuple]:
    """Each row's values keyed by its first cell (the label)."""
    return {row[0]: row for row in ws.iter_rows(values_only=True) if isinstance(row[0], str)}


def title_text(title) -> str:
    return "".join(run.t for p in title.tx.rich.p for run in (p.r or []))


# --- report.xlsx ------------------------------------------------------------------------


def test_run_writes_both_reports(example_folder: Path) -> None:
    assert (example_folder / "report.xlsx").stat().st_size > 10_000
    assert (example_folder / "report.html").read_text(encoding="utf-8").startswith(
        "<!DOCTYPE html>")


def test_workbook_sheets_and_summary_trace_to_summary_json(example_folder: Path) -> None:
    summary = json.loads((example_folder / "summary.json").read_text())
    book = openpyxl.load_workbook(example_folder / "report.xlsx")
    assert book.sheetnames == SHEETS
    rows = rows_of(book["Summary"])
    plan_, base = summary["plan"], summary["baseline"]
    label, baseline, planned, difference, source = rows["Out-of-area cost, all years"]
    assert baseline == pytest.approx(sum(base["out_of_area_cost"]))
    assert planned == pytest.approx(sum(plan_["out_of_area_cost"]))
    assert difference == pytest.approx(planned - baseline)
    assert "out_of_area_cost" in source
    assert rows["Out-of-area pupils in 2035"][1:3] == (
        base["out_of_area_pupils"][-1], plan_["out_of_area_pupils"][-1])
    npv = next(v for k, v in rows.items() if k.startswith("Net present value"))
    assert npv[1] == pytest.approx(summary["savings"]["npv"])
    # The example charges capital as an annuity: on cash it pays back in 2032 (on the
    # annuity charge it would seem to in 2027, which the reports never say).
    saved = summary["savings"]
    payback = rows["Payback year, capital counted when spent (cash, undiscounted)"]
    assert payback[1] == saved["payback_year"] == 2032
    assert rows["Discounted payback year, capital counted when spent"][1] == (
        saved["discounted_payback_year"]) == 2032
    green_book = next(v for k, v in rows.items()
                      if k.startswith("Net present value, capital counted when spent"))
    assert green_book[1] == pytest.approx(saved["npv_capital_when_spent"])
    assert green_book[1] == pytest.approx(npv[1], abs=0.02)
    residual = next(v for k, v in rows.items() if k.startswith("Residual value"))
    assert residual[1] == pytest.approx(summary["savings"]["residual_value"])
    assert rows["Workbook SHA-256"][1] == summary["provenance"]["workbook_sha256"]
    assert rows["Solver"][1].startswith("HiGHS")


def test_costs_sheet_years_as_columns_and_four_charts(example_folder: Path) -> None:
    summary = json.loads((example_folder / "summary.json").read_text())
    ws = openpyxl.load_workbook(example_folder / "report.xlsx")["Costs by year"]
    rows = rows_of(ws)
    assert list(rows["Measure"][1:12]) == [*summary["years"], "All years"]
    saved = summary["savings"]
    assert list(rows[CUMULATIVE_DISCOUNTED][1:11]) == pytest.approx(
        saved["cumulative_discounted_net_saving"], abs=0.05)
    assert list(rows["Cumulative net saving (cash): the payback year's basis"][1:11]) == (
        pytest.approx(saved["cumulative_net_saving"], abs=0.05))
    # Under annuity the NPV is the discounted saving on the model's charge; with capital
    # counted when spent, plus the residual value, it is the same figure.
    assert rows["Discounted net saving on the model's capital charge"][11] == pytest.approx(
        saved["npv"], abs=1)
    assert rows["Discounted net saving"][11] + saved["residual_value"] == pytest.approx(
        saved["npv_capital_when_spent"], abs=1)
    charts = ws._charts
    assert [type(c) for c in charts] == [LineChart, LineChart, BarChart, BarChart]
    titles = [title_text(c.title) for c in charts]
    assert titles[0] == "Out-of-area cost, plan against baseline"
    assert titles[1] == ("Cumulative net saving: pays back in 2032, capital counted when "
                         "spent (the same year discounted)")
    assert [c.grouping for c in charts[2:]] == ["stacked", "stacked"]
    for chart in charts:
        assert title_text(chart.x_axis.title) == "Year"
        assert "£" in title_text(chart.y_axis.title)
    assert len(charts[0].series) == 2


def test_cost_by_type_adds_up_to_the_summary(example_folder: Path) -> None:
    data = read_folder(example_folder)
    for case in ("plan", "baseline"):
        table = cost_by_type(data, case).frame
        expected = [p + t for p, t in zip(data.summary[case]["placement_cost"],
                                          data.summary[case]["transport_cost"], strict=True)]
        assert list(table[data.years].sum()) == pytest.approx(expected, abs=0.01 * len(table))


def test_formats_widths_panes_filters_and_page_setup(example_folder: Path) -> None:
    book = openpyxl.load_workbook(example_folder / "report.xlsx")
    summary = book["Summary"]
    money = next(row for row in summary.iter_rows() if row[0].value == "Capital, all years")
    assert money[1].number_format == '"£"#,##0;-"£"#,##0'
    costs = book["Costs by year"]
    assert costs.freeze_panes == "B3"
    placements = book["Placements"]
    header = next(row for row in placements.iter_rows() if row[0].value == "year")
    assert placements.auto_filter.ref.startswith(f"A{header[0].row}:")
    assert placements.freeze_panes == f"A{header[0].row + 1}"
    assert placements.cell(header[0].row + 1, 1).number_format == "0"
    capacity = book["Capacity"]
    assert capacity.auto_filter.ref
    assert len(capacity.conditional_formatting) >= 1  # data bars
    by_year = book["Capacity by year"]
    utilisation = [c for row in by_year.iter_rows() for c in row
                   if c.number_format == "0.0%" and c.value is not None]
    assert utilisation and all(0 <= c.value <= 1 for c in utilisation)
    assert len(by_year.conditional_formatting) >= 2  # two colour scales
    for ws in book.worksheets:
        expected = "portrait" if ws.title in PORTRAIT else "landscape"
        assert ws.page_setup.orientation == expected, ws.title
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToHeight == (1 if ws.title == "Map" else 0), ws.title
        assert ws.print_area, ws.title
        assert max(d.width for d in ws.column_dimensions.values()) > 10, ws.title
    method = rows_of(book["Method"])
    assert "Discounting and net present value" in method
    parameters = rows_of(book["Parameters"])
    assert parameters["discount_rate"][1] == "0.035"


def test_capital_programme_per_place_and_no_invented_split(example_folder: Path) -> None:
    ws = openpyxl.load_workbook(example_folder / "report.xlsx")["Capital programme"]
    rows = rows_of(ws)
    name, _, built, opens, places, capital, per_place, paid, _ = rows["NEW-SCH"][:9]
    assert paid == "capital"
    assert (built, opens, places) == ("yes", 2030, 140)
    assert per_place == pytest.approx(capital / places)
    expansions = pd.read_csv(example_folder / "expansions.csv")
    total = rows["Total built"]
    assert total[5] == pytest.approx(expansions.loc[expansions["built"] == "yes",
                                                    "capital_cost"].sum())
    note = next(v for v in rows if "The revenue saving is not split" in v)
    assert "arbitrary" in note
    # Issue 19: the capital figures say they include optimism bias.
    assert "Capital cost (with 24% optimism bias)" in rows["Option"]
    assert note.startswith("Capital costs are with 24% optimism bias")


# --- formula injection ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("North", "North"), ("", ""), ("a=b", "a=b"),
])
def test_neutralise_formula(text: str, expected: str) -> None:
    assert neutralise_formula(text) == expected


def test_neutralise_table_leaves_numbers_alone() -> None:
    table = pd.DataFrame({"name": ["=1+1", "ok"], "pupils": [-2.0, 3.0]})
    out = neutralise_table(table)
    assert list(out["name"]) == ["'=1+1", "ok"]
    assert list(out["pupils"]) == [-2.0, 3.0]
    assert table.at[0, "name"] == "=1+1"  # a copy


@pytest.mark.parametrize("value", [HYPERLINK, SUM, "+1", "-1", "#N/A", "=A1"])
def test_safe_cell_value_stores_text_as_text(value: str) -> None:
    cell = openpyxl.Workbook().active["A1"]
    safe_cell_value(cell, value)
    assert (cell.value, cell.data_type) == (value, "s")
    assert cell.quotePrefix == value.startswith(("=", "+", "-", "@"))


def test_safe_cell_value_numbers_blanks_and_control_characters() -> None:
    cell = openpyxl.Workbook().active["A1"]
    assert safe_cell_value(cell, 12.5).data_type == "n"
    assert safe_cell_value(cell, float("nan")).value is None
    assert safe_cell_value(cell, "a\x00b\x07c").value == "abc"


def test_workbook_text_is_never_a_formula_in_the_reports(folder: Path) -> None:
    """A zone, a provider and an option named like formulas stay text in report.xlsx; the
    same names and a script tag are escaped in report.html."""
    for name in ("placements", "baseline_placements"):
        edit_csv(folder, name, replace("zone_id", "NB01", HYPERLINK))

    def rename(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[t["id"] == "NB01", ["id", "name"]] = [HYPERLINK, HYPERLINK]
        t.loc[t["id"] == "SP-BRK", "name"] = SUM
        t.loc[t["id"] == "IN-FER", "name"] = SCRIPT
        return t

    edit_csv(folder, "locations", rename)
    edit_csv(folder, "expansions", replace("name", "Northbridge Vale special free school",
                                           "=1+1"))
    write_reports(folder)
    book = openpyxl.load_workbook(folder / "report.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    for value, sheet in ((HYPERLINK, "Placements"), (SUM, "Capacity"),
                         ("=1+1", "Capital programme")):
        found = [c for c in book[sheet]._cells.values() if c.value == value]
        assert found, (value, sheet)
        assert all(c.data_type == "s" for c in found)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert SCRIPT not in page and "<script" not in page
    assert html.escape(SUM) in page and html.escape(SCRIPT) in page
    assert "HYPERLINK" in page  # the zone's name on the map, as text
    assert not external_references(page)


# --- report.html ------------------------------------------------------------------------


def external_references(page: str) -> list[str]:
    """Anything a browser would fetch: src/href to a URL, script or link tags, CSS imports."""
    patterns = [r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", r"<script\b", r"<link\b",
                r"@import", r"url\(\s*['\"]?\s*(?:https?:)?//", r"<iframe\b", r"<img\b"]
    return [p for p in patterns if re.search(p, page, flags=re.I)]


def test_page_is_self_contained(example_folder: Path) -> None:
    page = (example_folder / "report.html").read_text(encoding="utf-8")
    assert external_references(page) == []
    assert "http" not in page  # not even a namespace or a metadata link
    assert page.count("<svg") == 5  # four plots and the map
    assert "Where pupils travel out of area" in page and "No map" not in page
    for heading in ("In short", "Costs by year", "Capital programme", "Capacity",
                    "Unmet need", "Method and assumptions"):
        assert f"<h2>{heading}</h2>" in page
    # The NPV in words: £37.7m with the annuity paid in arrears from the opening year and
    # the ASD limit at SP-KLP (phase blank) in force; ignoring that limit made it £37.4m.
    assert "£37.7m" in page


def test_page_says_why_the_map_is_missing(folder: Path) -> None:
    (folder / "baseline_placements.csv").unlink()
    without_baseline = html_page(read_folder(folder))
    assert without_baseline.count("<svg") == 5
    assert "no baseline_placements.csv" in without_baseline
    (folder / "locations.csv").unlink()
    without_locations = html_page(read_folder(folder))
    assert without_locations.count("<svg") == 4
    assert "No map: this result folder has no locations.csv" in without_locations


# --- edge cases of the result folder ----------------------------------------------------


def test_a_folder_without_summary_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FolderRefused, match=r"is not a placeopt result folder: it has no "
                                            r"summary.json"):
        write_reports(tmp_path)


def test_a_folder_without_a_table_is_refused(folder: Path) -> None:
    (folder / "capacity.csv").unlink()
    with pytest.raises(IncompleteFolder, match=r"incomplete: capacity.csv is missing"):
        write_reports(folder)


def test_a_failed_rebuild_leaves_the_old_reports(folder: Path, monkeypatch) -> None:
    write_reports(folder)
    before = {n: (folder / n).read_bytes() for n in ("report.xlsx", "report.html")}

    def broken(*_args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("placeopt.report.html.write_html", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_reports(folder)
    assert {n: (folder / n).read_bytes() for n in before} == before
    assert not list(folder.glob(".*partial"))


def test_time_limit_status_is_a_caution(folder: Path) -> None:
    edit_summary(folder, status="time_limit", mip_gap=0.05)
    write_reports(folder)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert '<p class="caution">Caution: the solver stopped' in page
    rows = rows_of(openpyxl.load_workbook(folder / "report.xlsx")["Summary"])
    assert any(k.startswith("Caution") and "5.0%" in k for k in rows)


def test_unmet_need_and_no_options(folder: Path) -> None:
    unmet = pd.DataFrame([[2030, "NB01", "ASD", "primary", "special", 2.5, "capacity"]],
                         columns=["year", "zone_id", "need", "phase", "provision", "pupils",
                                  "reason"])
    unmet.to_csv(folder / "unmet.csv", index=False)
    edit_csv(folder, "expansions", lambda t: t.iloc[:0])
    write_reports(folder)
    book = openpyxl.load_workbook(folder / "report.xlsx")
    ws = book["Unmet need"]
    assert ws.auto_filter.ref
    assert any(row[:2] == (2030, "NB01") and row[5] == 2.5
               for row in ws.iter_rows(values_only=True))
    assert "The workbook proposes no expansion or new-site options." in rows_of(
        book["Capital programme"])
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Unmet need in the plan, by group and year" in page


def test_reports_when_the_baseline_leaves_pupils_unmet(tmp_path: Path) -> None:
    """SPEC §4: revenue 'savings' are negative because the plan places pupils the baseline
    cannot; both reports say so, and call no negative figure a saving."""
    # SP has 1 place (20,000 a year), OPT adds 2 for 50,000; 3 pupils for 3 years. The
    # baseline leaves 2 unmet a year (6 pupil-years); the plan places them for 40,000 a year.
    workbook = tiny_workbook(
        tmp_path / "t.xlsx", params={"horizon_years": 3},
        providers=[{"provider_id": "SP", "type": "special", "capacity": 1,
                    "annual_cost_per_place": 20_000}],
        demand=[{"zone_id": "Z1", "need": "ASD", "phase": "secondary", "pupils": 3}],
        expansions=[{"option_id": "OPT", "provider_id": "SP", "places": 2,
                     "capital_cost": 50_000}])
    folder = write_results(plan(workbook), tmp_path / "out")
    assert read_folder(folder).summary["savings"]["additional_pupils_placed"] == [2, 2, 2]
    page = html.unescape(re.sub(r"<[^>]+>", " ", (folder / "report.html").read_text()))
    book = openpyxl.load_workbook(folder / "report.xlsx")
    cells = " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                     for c in row if isinstance(c, str))
    for text in (page, cells):
        assert "the baseline leaves 6.0 pupil-years of need unmet" in text
        assert "because it places 2 more pupils in 2028 than the baseline can" in text
        assert "the price of placing 6 pupil-years of need that the baseline leaves unmet" in text
        assert "costs £40,000 more in placement and transport" in text
        assert not re.search(r"(saves?|saving of|saving:)\s+-£", text)
        assert "fall from £0 to £0" not in text
    figures = rows_of(book["Summary"])
    assert figures["Extra revenue cost in 2028 (the plan costs more)"][1] == 40_000
    assert figures["Extra revenue cost, all years (undiscounted)"][1] == 120_000
    assert figures["Pupils placed beyond the baseline, all years (pupil-years)"][1] == 6
    assert not [k for k in figures if k.startswith("Revenue saving in")]
    by_year = rows_of(book["Costs by year"])
    assert NET_SAVING in by_year
    assert "Revenue saving (baseline - plan; below zero: an extra cost)" in by_year
    assert "+6" in page  # the card


def test_objective_bound_and_gap_in_pounds_where_the_folder_has_them(folder: Path) -> None:
    edit_summary(folder, objective_bound=1_234_000.4, gap_pounds=567.8)
    write_reports(folder)
    rows = rows_of(openpyxl.load_workbook(folder / "report.xlsx")["Summary"])
    assert rows["Best bound the solver proved (discounted £)"][1] == "£1,234,000"
    assert rows["Gap in pounds: the most a better plan could save"][1] == "£568"
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "£568 in discounted cost" in page


def test_an_older_folder_without_the_new_fields(folder: Path) -> None:
    """Folders of older runs have no objective_bound, gap_pounds or
    additional_pupils_placed: the reports are written without them."""
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("objective_bound", "gap_pounds"):
        summary.pop(key, None)
    del summary["savings"]["additional_pupils_placed"]
    (folder / "summary.json").write_text(json.dumps(summary))
    write_reports(folder)
    rows = rows_of(openpyxl.load_workbook(folder / "report.xlsx")["Summary"])
    assert "Gap in pounds: the most a better plan could save" not in rows
    assert rows["Pupils placed beyond the baseline, all years (pupil-years)"][1] == 0


def test_ids_that_look_like_numbers_stay_text(folder: Path) -> None:
    for name in ("placements", "baseline_placements"):
        edit_csv(folder, name, replace("zone_id", "NB01", "007"))
    data: ResultFolder = read_folder(folder)
    assert "007" in set(data.placements["zone_id"])


def test_money_words() -> None:
    assert money_words(24_925_836.75) == "£24.9m"
    assert money_words(52_684.52) == "£52,685"
    assert money_words(-65_883.19) == "-£65,883"
    assert money_words(999_600) == "£1.0m"


@pytest.mark.parametrize(("largest", "value", "text", "excel"), [
    (25e6, 12.34e6, "£12m", '"£"#,##0.0,,"m"'), (54_000, 54_000, "£54k", '"£"#,##0,"k"'),
    (500, -250, "-£250", '"£"#,##0'), (0.0, -1e-12, "£0", '"£"#,##0'),
])
def test_money_axis_units(largest: float, value: float, text: str, excel: str) -> None:
    unit = money_unit(largest)
    assert (unit.text(value), unit.excel) == (text, excel)


def test_money_ticks_are_round_and_labelled_with_the_decimals_they_need() -> None:
    """Issue 19: ticks every £2.5m read '£2.5m', not '£2m'; ticks every £2m read '£2m';
    an axis of zeros gets £0, not -0.05 to 0.05."""
    from matplotlib.figure import Figure
    from openpyxl.chart import LineChart

    from placeopt.report.charts import money_axis as excel_axis
    from placeopt.report.formats import nice_step
    from placeopt.report.plots import money_axis

    unit = money_unit(10e6)
    assert unit.decimals([0, 2.5e6, 5e6, 7.5e6]) == 1
    assert unit.decimals([0, 2e6, 4e6]) == 0
    assert [nice_step(s) for s in (7.3e6, 61e6, 0.9, 45_000)] == [2e6, 20e6, 0.2, 10_000]
    for values, ticks in (([0, 9.6e6], ["£0m", "£2m", "£4m", "£6m", "£8m", "£10m"]),
                          ([0, 0.9e6], ["£0.0m", "£0.2m", "£0.4m", "£0.6m", "£0.8m"]),
                          ([0, 0, 0], ["£0"])):
        figure = Figure()
        ax = figure.subplots()
        ax.plot(range(len(values)), values)
        money_axis(ax.yaxis, values)
        figure.canvas.draw()
        shown = [t.get_text() for t in ax.get_yticklabels()
                 if ax.get_ylim()[0] <= t.get_position()[1] <= ax.get_ylim()[1]]
        assert shown == ticks, shown
    chart = LineChart()
    excel_axis(chart.y_axis, [-1.7e6, -6.0e6, 27e6])
    assert (chart.y_axis.scaling.min, chart.y_axis.scaling.max, chart.y_axis.majorUnit) == (
        -10e6, 30e6, 10e6)
    assert chart.y_axis.number_format.formatCode == '"£"#,##0,,"m";-"£"#,##0,,"m"'
    excel_axis(chart.y_axis, [0.0, 0.0])
    assert (chart.y_axis.scaling.min, chart.y_axis.scaling.max) == (0.0, 1.0)


# --- rendered for real ------------------------------------------------------------------


def _run(command: list[str], cwd: Path) -> None:
    subprocess.run(command, check=True, timeout=180, capture_output=True, cwd=cwd)


# --- printing report.xlsx ---------------------------------------------------------------


def anchored_rows(ws) -> list[tuple[int, int]]:
    """First and last sheet rows (1-based) of every chart and picture of a sheet."""
    spans = []
    for drawing in [*ws._charts, *ws._images]:
        anchor = drawing.anchor
        first = anchor._from.row + 1
        if hasattr(anchor, "to") and anchor.to is not None:
            last = anchor.to.row + 1
        else:  # a picture: its height in EMU over the rows below its top
            height, last = anchor.ext.height / 12_700, first
            while height > 0:
                height -= ws.row_dimensions[last].height or 15
                last += 1
            last -= 1
        spans.append((first, last))
    return spans


def printed_pages(ws) -> list[tuple[int, int]]:
    """The sheet's pages as row ranges, from its manual breaks and print area."""
    last = int(re.search(r"\$(\d+)$", ws.print_area).group(1))
    starts = [1] + [b.id + 1 for b in ws.row_breaks.brk]
    ends = [b.id for b in ws.row_breaks.brk] + [last]
    return list(zip(starts, ends, strict=True))


def test_no_chart_or_picture_crosses_a_page(example_folder: Path) -> None:
    """Every chart and the map lie within one page, by their row anchors against the
    breaks the sheet sets; and each such page fits on paper at the largest scale a
    program may print it at (fit to width, Calibri's measure), so no program adds a
    break of its own inside it."""
    from placeopt.report.pages import Paper, largest_scale

    book = openpyxl.load_workbook(example_folder / "report.xlsx")
    checked = 0
    for ws in book.worksheets:
        pages = printed_pages(ws)
        widths = [ws.column_dimensions[get_column_letter(c)].width or 8.43
                  for c in range(1, ws.max_column + 1)]
        paper = Paper(ws.page_setup.orientation == "landscape")
        room = paper.printable_height / largest_scale(widths, paper)
        for first, last in anchored_rows(ws):
            page = next(p for p in pages if p[0] <= first <= p[1])
            assert last <= page[1], (ws.title, first, last, page)
            height = sum(ws.row_dimensions[r].height for r in range(page[0], last + 1))
            assert height <= room or ws.page_setup.fitToHeight == 1, (ws.title, page)
            checked += 1
    assert checked == 6  # four charts, what each project is worth, and the map


def test_headings_stay_with_what_they_head(example_folder: Path) -> None:
    """No page ends with a heading (bold blue, 12 pt) or a table's header row."""
    book = openpyxl.load_workbook(example_folder / "report.xlsx")
    for ws in book.worksheets:
        for _, last in printed_pages(ws)[:-1]:
            cell = ws.cell(last, 1)
            assert not (cell.font.sz == 12 and cell.font.b), (ws.title, last, cell.value)
            assert cell.fill.fgColor.rgb != "001F4E79", (ws.title, last, cell.value)


def test_placements_do_not_print_but_say_how(example_folder: Path) -> None:
    ws = openpyxl.load_workbook(example_folder / "report.xlsx")["Placements"]
    header = next(row for row in ws.iter_rows() if row[0].value == "year")[0].row
    assert ws.print_area == "'Placements'!$A$1:$M$4" or ws.print_area.endswith("$4")
    assert ws.print_title_rows == f"${header}:${header}"
    assert "is not printed" in ws["A4"].value and "Clear Print Area" in ws["A4"].value


def test_page_breaks_keep_blocks_whole() -> None:
    from placeopt.report.pages import Block, page_breaks

    rows = {r: 10.0 for r in range(1, 11)}
    # a block of rows 3-5 does not fit under rows 1-2 on a 35-point page: it starts page 2
    assert page_breaks([Block(3, 5)], rows, 10, 35) == [2, 5, 8]
    # a table taller than a page keeps its heading, header and first rows together
    assert page_breaks([Block(2, 9, keep=4)], rows, 10, 35) == [1, 4, 7]
    # rows repeated atop later pages leave less room on them
    assert page_breaks([], rows, 10, 35, repeated=10) == [3, 5, 7, 9]


def _pdf_pages(pdf: Path, dpi: int) -> tuple[list[list[tuple[str, float, float, float, float]]],
                                             list[Any]]:
    """Each page's words with their boxes (points), and each page rendered at `dpi`."""
    from PIL import Image

    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    pages = []
    for page in re.split(r"<page ", xml)[1:]:
        pages.append([(html.unescape(w), float(a), float(b), float(c), float(d))
                      for a, b, c, d, w in re.findall(
                          r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                          r"([^<]*)</word>", page)])
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(pdf.with_suffix(""))],
                   check=True, capture_output=True)
    images = [Image.open(p).convert("L") for p in sorted(pdf.parent.glob(pdf.stem + "-*.png"))]
    return pages, images


def _visible(image: Any, box: tuple[float, float, float, float], dpi: int) -> bool:
    """Whether anything is drawn in the box: words of charts beyond a page's cells are
    in the PDF's text but clipped away, so the page's pixels decide."""
    x0, y0, x1, y1 = (v * dpi / 72 for v in box)
    return image.crop((int(x0), int(y0), int(x1) + 1, int(y1) + 1)).getextrema()[0] < 160


def assert_prints_well(report: Path, tmp_path: Path, most_pages: int) -> dict[str, int]:
    """Printed by LibreOffice: at most `most_pages` pages, in the sheets' order, the
    Placements, Map and Capital programme sheets one page each, the map drawn across
    its page, and every chart's title and its axis title visible on one page and the
    same page (a chart cut by a page break shows its title on one page, its axis on the
    next). Returns the pages of each sheet."""
    _run(["libreoffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
          "--convert-to", "pdf", "--outdir", str(tmp_path), str(report)], tmp_path)
    pdf = tmp_path / "report.pdf"
    dpi = 50
    pages, images = _pdf_pages(pdf, dpi)
    text = [" ".join(w for w, *_ in words) for words in pages]
    book = openpyxl.load_workbook(report)
    # every sheet of SHEETS, and the inclusion measures' beside the capital programme when
    # the run has them
    expected = [s for s in book.sheetnames if s in SHEETS or s == "Inclusion measures"]
    assert [s for s in expected if s in SHEETS] == SHEETS
    names = "|".join(re.escape(n) for n in sorted(expected, key=len, reverse=True))
    sheet_of = [re.search(rf"({names}), page \d+ of \d+", t).group(1) for t in text]
    counts = {s: sheet_of.count(s) for s in dict.fromkeys(sheet_of)}
    assert list(counts) == expected
    assert counts["Placements"] == counts["Map"] == 1
    assert counts["Capital programme"] <= 2  # the programme, what each project is worth, funding
    # the measures' sentences, two tables, the places they stand in for and the year grid:
    # at 8 pt or more they take more than the one page they once did at 6 pt
    assert counts.get("Inclusion measures", 1) <= 4
    assert len(pages) <= most_pages, counts
    titles = [title_text(c.title) for c in book["Costs by year"]._charts]
    for title in titles:
        start = title.split()[:5]  # enough to tell it from table rows and headings
        found = [(p, words[i]) for p, words in enumerate(pages)
                 for i in range(len(words) - len(start) + 1)
                 if [w[0] for w in words[i:i + len(start)]] == start
                 and _visible(images[p], words[i][1:], dpi)]
        assert len(found) == 1, (title, [p for p, _ in found])
        page, (_, x0, y0, x1, _) = found[0]
        axis = [w for w in pages[page] if w[0] == "Year" and w[2] > y0
                and abs((w[1] + w[3]) / 2 - (x0 + x1) / 2) < 200
                and _visible(images[page], w[1:], dpi)]
        assert axis, f"{title!r}: its axis is not on page {page + 1}"
    map_page = sheet_of.index("Map")
    assert "Where pupils travel out of area" in text[map_page]
    drawn = images[map_page].point(lambda v: 255 if v < 200 else 0).getbbox()
    width, height = images[map_page].size
    assert drawn and (drawn[2] - drawn[0]) > 0.5 * width and (drawn[3] - drawn[1]) > 0.6 * height
    return counts


needs_office = needs_tools("libreoffice", "pdftoppm", "pdftotext")


@pytest.mark.slow
@needs_office
def test_printed_report_pages_and_charts(example_folder: Path, tmp_path: Path) -> None:
    assert_prints_well(example_folder / "report.xlsx", tmp_path, most_pages=32)


@pytest.mark.slow
@needs_office
def test_trafford_report_prints(trafford_folder: Path, tmp_path: Path) -> None:
    """378 pages before, 370 of them placements, with charts cut in half; 16 at 3-7 pt
    before issue 19; now every text at 8 pt or more (tests/test_printing.py) takes more.
    Its inclusion measures get a sheet of their own (four pages)."""
    assert_prints_well(trafford_folder / "report.xlsx", tmp_path, most_pages=36)


@pytest.mark.slow
def test_trafford_map_labels_never_overlap(trafford_folder: Path) -> None:
    from test_map import assert_no_overlap

    from placeopt.report.map import draw_map

    data = read_folder(trafford_folder)
    assert data.boundaries is not None and len(data.boundaries) == 28
    assert_no_overlap(draw_map(data))


@pytest.mark.slow
@needs_tools("libreoffice", "pdftotext", "pdfinfo")
def test_workbook_converts_to_pdf(example_folder: Path, tmp_path: Path) -> None:
    _run(["libreoffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
          "--convert-to", "pdf", "--outdir", str(tmp_path), str(example_folder / "report.xlsx")],
         tmp_path)
    pdf = tmp_path / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for phrase in ("SEND place planning: the business case", "Cumulative discounted net",
                   "Where would the next place save most?", "What the model does"):
        assert phrase in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height  # the first page, Summary, is landscape


@pytest.mark.slow
@needs_tools("chromium")
def test_page_renders_in_headless_chromium(example_folder: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "report.png"
    _run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
          "--window-size=1280,2000", (example_folder / "report.html").as_uri()], tmp_path)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    colours = image.resize((320, 500)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # text and plots, not a blank page


def test_placements_sheet_is_capped_and_says_so(monkeypatch, example_folder: Path) -> None:
    """Beyond the cap, the sheet keeps the largest placements of the first and last years
    and its source line says the CSV holds them all."""
    from placeopt.report import content as rp

    data = read_folder(example_folder)
    monkeypatch.setattr(rp, "MAX_PLACEMENT_ROWS", 10)
    table = rp.placements(data)
    assert len(table.frame) == 10
    years = set(table.frame["year"])
    assert years <= {data.placements["year"].min(), data.placements["year"].max()}
    ends = data.placements[data.placements["year"].isin(years)]
    assert table.frame["pupils"].min() >= ends["pupils"].nlargest(10).min()
    assert "the CSV holds them all" in table.source


def test_reports_say_when_the_gap_is_unknown(example_folder: Path, tmp_path: Path) -> None:
    """A run stopped by its time limit before HiGHS had a bound has mip_gap null."""
    import json
    import shutil


    folder = tmp_path / "stopped"
    shutil.copytree(example_folder, folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary.update(status="time_limit", mip_gap=None)
    (folder / "summary.json").write_text(json.dumps(summary))
    write_reports(folder)
    page = (folder / "report.html").read_text()
    assert "status &#x27;time_limit&#x27;" in page or "status 'time_limit'" in page
    assert "unknown (the solver had no bound yet)" in page


def test_report_reads_every_table_a_run_writes() -> None:
    """The reader's table lists and the writer's cannot drift apart."""
    from placeopt.model.results import Results
    from placeopt.report import folder as folder_module

    written = set(folder_module.REQUIRED_TABLES) | set(folder_module.OPTIONAL_TABLES)
    assert written == set(Results.TABLES)
