"""The planning template: made from the schema, ready to fill, valid when blank, and a
file that Excel and LibreOffice open without repairing it."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import openpyxl
import pytest
from conftest import needs_tools, problems_of, run_cli, valid_sheets, write_workbook

from placeopt.workbook.cells import ALL
from placeopt.workbook.reader import read_workbook
from placeopt.workbook.schema import (
    DEFAULT_NEEDS,
    DEFAULT_SUITABILITY,
    PARAMETERS,
    SHEETS,
    Kind,
)
from placeopt.workbook.template import default_first_year, write_template


@pytest.fixture(scope="module")
def template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "template.xlsx")


@pytest.fixture(scope="module")
def book(template_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(template_path)


def _headers(ws) -> list[str]:
    return [c.value for c in ws[1] if c.value is not None]


def _expected_headers(sheet) -> list[str]:
    names = [c.name for c in sheet.columns]
    if sheet.name == "Demand":
        first = default_first_year()
        names = [n for n in names if n not in ("year", "pupils")]
        names += [str(first + k) for k in range(10)]
    return names


def test_guide_first_then_every_sheet(book) -> None:
    assert book.sheetnames[0] == "Guide"
    assert book.sheetnames[1:] == [s.name for s in SHEETS]
    guide = book["Guide"]
    text = " ".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    for sheet in SHEETS:
        assert sheet.name in text
    assert "placeopt validate" in text


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.name for s in SHEETS])
def test_headers_match_the_schema(book, sheet) -> None:
    ws = book[sheet.name]
    assert _headers(ws) == _expected_headers(sheet)
    assert ws.freeze_panes == "A2"
    for cell in ws[1]:
        if cell.value is None:
            continue
        assert cell.comment is not None and cell.comment.text.strip(), cell.coordinate
        assert cell.font.bold
    for column in sheet.columns:
        if column.name in _headers(ws) and sheet.name != "Parameters":
            cell = ws.cell(row=1, column=_headers(ws).index(column.name) + 1)
            assert column.help[1:].replace("blank = ", "blank means ") in cell.comment.text
            if column.unit and column.unit != "year":
                assert column.unit.replace("m", "metres", column.unit == "m") in \
                    cell.comment.text


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.name for s in SHEETS])
def test_header_notes_read_as_sentences(book, sheet) -> None:
    """Each note is sentences, each with its capital and full stop, and no shorthand: not
    "Its value; blank = the default Optional. Expected: text." as it was."""
    for cell in book[sheet.name][1]:
        if cell.value is None:
            continue
        note = cell.comment.text
        assert note.endswith(".") and " = " not in note, (cell.coordinate, note)
        for sentence in re.split(r"(?<=[.)])\s+(?=[A-Z])", note):
            assert sentence[0].isupper() and sentence.endswith("."), (cell.coordinate, note)
            assert sentence not in ("Optional.", "Required."), (cell.coordinate, note)
            assert not sentence.startswith("Expected:"), (cell.coordinate, note)


def test_checks_reach_every_row_a_planner_may_fill(tmp_path: Path, template_path: Path) -> None:
    """Drop-downs and number checks cover every row of a sheet, however long: Trafford's
    Demand has 1,344 rows and CurrentPlacements 1,523; a planner's may have more. They
    stopped 200 rows below the rows written (row 201 in the blank template)."""
    from placeopt.workbook.template import write_workbook as write_tables

    rows = [{"zone_id": "Z1", "need": "ASD", "phase": "primary", 2026: 1.0}] * 1544
    filled = write_tables(tmp_path / "long.xlsx", {
        "Parameters": [{"parameter": "first_year", "value": 2026}], "Demand": rows})
    for path in (template_path, filled):
        book = openpyxl.load_workbook(path)
        for ws in book.worksheets[2:]:  # the table sheets
            for dv in ws.data_validations.dataValidation:
                for cells in dv.sqref.ranges:
                    assert (cells.min_row, cells.max_row) == (2, 1_048_576), (
                        path.name, ws.title, str(cells))


def test_the_guide_keeps_each_sheet_beside_its_description(book) -> None:
    """In the Guide's table every cell sits at the top of its row, as the wrapped
    description does: a sheet's name stays level with its description's first line (it
    sat at the bottom, level with the next sheet's when the description took two)."""
    guide = book["Guide"]
    names = {sheet.name for sheet in SHEETS}
    rows = [row for row in guide.iter_rows(max_col=4) if row[1].value in names]
    assert len(rows) == len(SHEETS)
    for row in rows:
        assert [c.alignment.vertical for c in row] == ["top"] * 4, row[1].value


def _validations(ws) -> list[tuple[object, set[str]]]:
    result = []
    for dv in ws.data_validations.dataValidation:
        cells = set()
        for rng in dv.sqref.ranges:
            cells |= {f"{openpyxl.utils.get_column_letter(c)}{r}"
                      for r in range(rng.min_row, min(rng.max_row, 3) + 1)
                      for c in range(rng.min_col, rng.max_col + 1)}
        result.append((dv, cells))
    return result


def _validation_at(ws, cell: str):
    found = [dv for dv, cells in _validations(ws) if cell in cells]
    assert len(found) == 1, f"{ws.title}!{cell}: {len(found)} validations"
    return found[0]


@pytest.mark.parametrize(("sheet", "column", "listed"), [
    ("Providers", "type", ["mainstream", "resourced", "special", "inmss", "college", "ap"]),
    ("Providers", "in_area", ["yes", "no"]),
    ("Providers", "residential", ["yes", "no"]),
    ("Demand", "phase", ["early_years", "primary", "secondary", "post16", "post19"]),
    ("Expansions", "type", ["mainstream", "resourced", "special", "inmss", "college", "ap"]),
    ("Expansions", "required", ["yes", "no"]),
    ("Expansions", "enabled", ["yes", "no"]),
    ("CapacityLimits", "phase", ["early_years", "primary", "secondary", "post16", "post19"]),
    ("Scenarios", "operation", ["set", "scale", "add"]),
])
def test_drop_downs(book, sheet: str, column: str, listed: list[str]) -> None:
    ws = book[sheet]
    letter = openpyxl.utils.get_column_letter(_headers(ws).index(column) + 1)
    dv = _validation_at(ws, f"{letter}2")
    assert dv.type == "list"
    assert dv.formula1 == '"' + ",".join(listed) + '"'
    assert dv.allow_blank


@pytest.mark.parametrize(("sheet", "column", "ref"), [
    ("Demand", "need", "Needs!$A$2"),
    ("Demand", "zone_id", "Zones!$A$2"),
    ("Demand", "provision", "Suitability!$A$2"),
])
def test_drop_downs_from_other_sheets(book, sheet: str, column: str, ref: str) -> None:
    ws = book[sheet]
    letter = openpyxl.utils.get_column_letter(_headers(ws).index(column) + 1)
    dv = _validation_at(ws, f"{letter}2")
    assert dv.type == "list" and dv.formula1.startswith(ref)  # as Excel writes it: no '='



def test_number_checks(book) -> None:
    providers = book["Providers"]
    letter = openpyxl.utils.get_column_letter(
        _headers(providers).index("annual_cost_per_place") + 1)
    dv = _validation_at(providers, f"{letter}2")
    assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    demand = book["Demand"]
    dv = _validation_at(demand, "E2")  # the first year column
    assert dv.type == "decimal" and dv.formula1 == "0"
    assert _validation_at(demand, f"{openpyxl.utils.get_column_letter(14)}3") is dv


def test_validation_texts_fit_excels_limits(book) -> None:
    """Longer, and Excel repairs the file by dropping the sheet's validations
    (MS-OI29500 2.1.613: titles 32, error 224, prompt 255; list literals 255)."""
    for ws in book.worksheets:
        for dv in ws.data_validations.dataValidation:
            assert len(dv.errorTitle or "") <= 32, (ws.title, dv.errorTitle)
            assert len(dv.promptTitle or "") <= 32, (ws.title, dv.promptTitle)
            assert len(dv.error or "") <= 224, (ws.title, dv.error)
            assert len(dv.prompt or "") <= 255, (ws.title, dv.prompt)
            assert len(dv.formula1 or "") <= 255, (ws.title, dv.formula1)


def test_parameters_prefilled_with_defaults(book) -> None:
    ws = book["Parameters"]
    rows = {row[0]: row[1] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]}
    assert list(rows) == [p.name for p in PARAMETERS]
    for param in PARAMETERS:
        value = rows[param.name]
        if param.name == "first_year":
            assert value == default_first_year()
        elif param.kind is Kind.YESNO:
            assert value == ("yes" if param.default else "no")
        elif param.default == "":
            assert value in (None, "")
        else:
            assert value == param.default, param.name
    descriptions = [row[2] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]]
    assert all(d and "Default:" in d for d in descriptions)
    # each value has its own check
    assert _validation_at(ws, "B3").formula1 == "1"  # horizon_years: whole 1..40
    assert _validation_at(ws, "B3").formula2 == "40"


def test_needs_and_suitability_prefilled(book) -> None:
    needs = [tuple(r) for r in book["Needs"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert needs == list(DEFAULT_NEEDS.items())
    levels = {r[0]: r[1] for r in book["Suitability"].iter_rows(min_row=2, values_only=True)
              if r[0]}
    assert set(levels) == set(DEFAULT_SUITABILITY)
    assert levels["any"] == ALL
    assert levels["special"] == "special;inmss"


def test_the_blank_template_is_not_a_plan(template_path: Path) -> None:
    """Unfilled, the template reads cleanly but has no zones, demand or providers: each
    required table without rows is one error naming its sheet, and nothing else."""
    result = run_cli("validate", template_path)
    assert result.exit_code == 1, result.output
    assert [line for line in result.output.splitlines() if line.startswith("ERROR")] == [
        "ERROR Zones: no rows under the headers; expected at least one zone, one per row "
        "from row 2",
        "ERROR Demand: no rows under the headers; expected at least one row of demand, one "
        "per row from row 2",
        "ERROR Providers: no rows under the headers; expected at least one provider, one per "
        "row from row 2",
    ]
    assert "WARNING" not in result.output


def test_the_template_filled_with_one_of_each_validates(tmp_path: Path,
                                                        template_path: Path) -> None:
    book = openpyxl.load_workbook(template_path)
    year = default_first_year()
    book["Zones"].append(["Z1", "North", 53.4, -2.3])
    book["Providers"].append(["P1", "Oak", "special", "yes", 53.41, -2.31, None, None,
                              "all", "all", 24000, "no", None, 40])
    demand = book["Demand"]
    headers = [c.value for c in demand[1]]
    row = ["Z1", "ASD", "primary", "special"] + [None] * (len(headers) - 4)
    for index, header in enumerate(headers):
        if str(header).isdigit():
            row[index] = 5
    demand.append(row)
    path = tmp_path / "filled.xlsx"
    book.save(path)
    result = run_cli("validate", path)
    assert result.exit_code == 0, result.output
    inputs = read_workbook(path)
    assert inputs.params["first_year"] == year and inputs.params["horizon_years"] == 10


def test_template_command(tmp_path: Path) -> None:
    path = tmp_path / "new.xlsx"
    result = run_cli("template", path)
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(path).sheetnames[0] == "Guide"
    again = run_cli("template", path)
    assert again.exit_code == 2 and "--force" in again.output
    assert run_cli("template", path, "--force").exit_code == 0
    wrong = run_cli("template", tmp_path / "new.xls")
    assert wrong.exit_code == 2 and ".xlsx" in wrong.output


def test_default_first_year() -> None:
    import datetime as dt

    assert default_first_year(dt.date(2026, 8, 31)) == 2026
    assert default_first_year(dt.date(2026, 9, 1)) == 2027


def test_worked_example_validates_cleanly(tmp_path: Path) -> None:
    pytest.importorskip("placeopt.workbook.example")
    path = tmp_path / "example.xlsx"
    result = run_cli("template", path, "--example")
    if result.exit_code != 0 and "Internal error" in result.output:
        pytest.fail(f"the worked example cannot be written: {result.output}")
    assert result.exit_code == 0, result.output
    result = run_cli("validate", path)
    assert result.exit_code == 0, result.output
    assert "no errors, 0 warnings" in result.output
    assert problems_of(path) == []


# --- LibreOffice ------------------------------------------------------------------------


def _soffice(tmp_path: Path, fmt: str, source: Path, outdir: Path) -> Path:
    profile = tmp_path / f"lo_profile_{uuid.uuid4().hex}"
    subprocess.run(
        ["libreoffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), str(source)],
        check=True, timeout=120, capture_output=True)
    return outdir / (source.stem + "." + fmt.split(":")[0])


needs_libreoffice = needs_tools("libreoffice")


@pytest.mark.slow
@needs_libreoffice
def test_template_opens_in_libreoffice(tmp_path: Path, template_path: Path) -> None:
    pdf = _soffice(tmp_path, "pdf", template_path, tmp_path / "pdf")
    assert pdf.exists() and pdf.stat().st_size > 1000
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.slow
@needs_libreoffice
def test_libreoffice_keeps_every_header_note_and_check(tmp_path: Path, template_path: Path,
                                                      book) -> None:
    """Saved again by LibreOffice, nothing of the template was dropped as unreadable."""
    saved = openpyxl.load_workbook(_soffice(tmp_path, "xlsx", template_path, tmp_path / "lo"))
    assert saved.sheetnames == book.sheetnames
    for ws in book.worksheets[1:]:
        again = saved[ws.title]
        assert _headers(again) == _headers(ws)
        assert [c.comment is not None for c in again[1] if c.value is not None] == [
            c.comment is not None for c in ws[1] if c.value is not None]
        ours = sorted((dv.type, _formula(dv.formula1))
                      for dv in ws.data_validations.dataValidation)
        theirs = sorted((dv.type, _formula(dv.formula1))
                        for dv in again.data_validations.dataValidation)
        assert theirs == ours, ws.title


def _formula(text: str | None) -> str:
    text = (text or "").lstrip("=")
    try:
        return f"{float(text):g}"  # LibreOffice writes -1E+15 as -1000000000000000
    except ValueError:
        return text


@pytest.mark.slow
@needs_libreoffice
def test_libreoffice_calculated_formulas_are_read(tmp_path: Path) -> None:
    """A workbook saved by a spreadsheet program carries the values of its formulas."""
    sheets = valid_sheets()
    sheets["Demand"][1][4] = "=5+5"  # Demand!E2
    sheets["Providers"][1][8] = "=SUM(20,20)"  # Providers!I2
    source = write_workbook(tmp_path / "formulas.xlsx", sheets)
    assert any(p.level == "error" for p in problems_of(source))  # no values yet
    saved = _soffice(tmp_path, "xlsx", source, tmp_path / "saved")
    inputs = read_workbook(saved)
    demand = inputs.tables["Demand"]
    assert demand.loc[(demand["zone_id"] == "Z1") & (demand["year"] == 2026),
                      "pupils"].item() == 10
    assert inputs.tables["Providers"].set_index("provider_id").loc["P1", "capacity"] == 40


def test_guide_prints_landscape_fitted_to_width(book) -> None:
    guide = book["Guide"]
    assert guide.page_setup.orientation == "landscape"
    assert guide.sheet_properties.pageSetUpPr.fitToPage
    assert (guide.page_setup.fitToWidth, guide.page_setup.fitToHeight) == (1, 0)
    assert guide.print_area == f"'Guide'!$A$1:$D${guide.max_row}"


@pytest.mark.slow
@needs_tools("libreoffice", "pdftotext")
def test_the_printed_guide_keeps_each_sheet_beside_its_description(tmp_path: Path,
                                                                   template_path: Path) -> None:
    """Printed by LibreOffice, each sheet's name is on the line of its description's
    first word."""
    import html

    pdf = _soffice(tmp_path, "pdf", template_path, tmp_path / "pdf")
    xml = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    words = [(html.unescape(w), float(x), float(y)) for x, y, w in re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', xml)]
    for sheet in SHEETS:
        at = [i for i in range(1, len(words)) if words[i][0] == sheet.name
              and words[i - 1][0] == str(sheet.fill_order)]
        assert len(at) == 1, sheet.name
        _, x, y = words[at[0]]
        first = sheet.purpose.split()[0]
        assert any(w == first and wx > x and abs(wy - y) < 2 for w, wx, wy in words), (
            sheet.name, y, [(w, wy) for w, _, wy in words if w == first])


@pytest.mark.slow
@needs_tools("libreoffice", "pdfinfo", "pdftotext")
def test_guide_prints_whole_on_a_landscape_page(tmp_path: Path, template_path: Path) -> None:
    """Printed, the Guide's paragraphs are not cut at the right edge (they were) and its
    first page is landscape."""
    pdf = _soffice(tmp_path, "pdf", template_path, tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1", str(pdf)], capture_output=True,
                          text=True, check=True).stdout
    width, height = (float(v) for v in re.search(r"Page\s+1 size:\s+([\d.]+) x ([\d.]+)",
                                                 info).groups())
    assert width > height
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    printed = " ".join(text.split())
    guide = openpyxl.load_workbook(template_path)["Guide"]
    for row in guide.iter_rows(min_row=4, max_col=4):
        for cell in row:
            if isinstance(cell.value, str) and len(cell.value) > 40:
                assert " ".join(cell.value.split()) in printed, cell.coordinate
