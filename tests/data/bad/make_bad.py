"""Write the corpus of broken workbooks: one file per mistake a planner (or a program, or
someone hostile) makes. `tests/test_bad_corpus.py` holds what `placeopt validate` must say
about each.

    python tests/data/bad/make_bad.py            # rewrite every file here
    python tests/data/bad/make_bad.py NAME ...   # rewrite some

Each workbook starts from the small valid workbook of tests/conftest.py and makes one
mistake. Files made with openpyxl are written byte for byte the same on every run (fixed
zip and document dates), so a test can check that this script and the files agree. Three
need outside tools and differ run to run: the .xls and .ods files (LibreOffice,
`soffice`) and the password-protected one (msoffcrypto-tool, a dev dependency).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/, for conftest's builders
sys.path.insert(0, str(HERE.parents[2] / "src"))

from conftest import (  # noqa: E402
    YEARS,
    add_column,
    drop_column,
    set_column,
    valid_sheets,
    write_workbook,
)

Sheets = dict[str, list[list[Any]]]
FIXED_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_STAMP = "2026-01-01T00:00:00Z"


@dataclass(frozen=True)
class Mistake:
    name: str  # the file is NAME.xlsx
    what: str  # the mistake, in a planner's words
    write: Callable[[Path], None]
    deterministic: bool = True  # written the same, byte for byte, on every run


MISTAKES: list[Mistake] = []


def mistake(what: str, deterministic: bool = True):
    """Register a writer function under its own name."""
    def register(write: Callable[[Path], None]) -> Callable[[Path], None]:
        MISTAKES.append(Mistake(write.__name__, what, write, deterministic))
        return write
    return register


def save(path: Path, sheets: Sheets) -> None:
    write_workbook(path, sheets)
    fix_dates(path)


def edited(change: Callable[[Sheets], None]) -> Callable[[Path], None]:
    """A writer: the valid workbook with one change."""
    def write(path: Path) -> None:
        sheets = valid_sheets()
        change(sheets)
        save(path, sheets)
    return write


def rezip(path: Path, parts: dict[str, bytes], level: int = 6) -> None:
    """Write zip parts in order, with fixed dates, so the bytes never change."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=level)


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def fix_dates(path: Path) -> None:
    """openpyxl stamps the time of saving in docProps/core.xml and the zip: fix both."""
    parts = parts_of(path)
    core = parts["docProps/core.xml"].decode()
    core = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{FIXED_STAMP}\3",
                  core)
    parts["docProps/core.xml"] = core.encode()
    rezip(path, parts)


def edit_openpyxl(path: Path, change: Callable[[openpyxl.Workbook], None],
                  sheets: Sheets | None = None) -> None:
    """The valid workbook (or `sheets`) changed through openpyxl's full object model."""
    save(path, sheets or valid_sheets())
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)
    fix_dates(path)


def param(sheets: Sheets, name: str, value: Any) -> None:
    for row in sheets["Parameters"][1:]:
        if row[0] == name:
            row[1] = value
            return
    sheets["Parameters"].append([name, value, None])


# --- the sheets and columns --------------------------------------------------------------


@mistake("the Providers sheet deleted")
def missing_sheet(path: Path) -> None:
    edited(lambda s: s.pop("Providers"))(path)


@mistake("the Zones sheet renamed 'Zone'")
def renamed_sheet(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        sheets["Zone"] = sheets.pop("Zones")
    edited(change)(path)


@mistake("the Expansions sheet renamed 'Expansion' (an optional sheet: every option lost)")
def renamed_optional_sheet(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        sheets["Expansion"] = sheets.pop("Expansions")
    edited(change)(path)


@mistake("a required column (annual_cost_per_place) deleted from Providers")
def missing_required_column(path: Path) -> None:
    edited(lambda s: drop_column(s, "Providers", "annual_cost_per_place"))(path)


@mistake("the capacity column deleted from Providers (blank capacity means unlimited)")
def deleted_capacity_column(path: Path) -> None:
    edited(lambda s: drop_column(s, "Providers", "capacity"))(path)


@mistake("the key column of Zones headed 'zone' instead of 'zone_id'")
def misspelt_key_column(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        sheets["Zones"][0][0] = "zone"
    edited(change)(path)


@mistake("a title row typed above the headers of Providers")
def title_row_above_headers(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        sheets["Providers"].insert(0, ["Providers we place with, 2026"])
    edited(change)(path)


@mistake("header cells merged: a 'Location' header across latitude and longitude of Zones")
def merged_header_cells(path: Path) -> None:
    def change(book: openpyxl.Workbook) -> None:
        zones = book["Zones"]
        zones["C1"] = "Location"
        zones.merge_cells("C1:D1")
    edit_openpyxl(path, change)


@mistake("rows and columns hidden in Providers, expecting them to be left out")
def hidden_rows_and_columns(path: Path) -> None:
    def change(book: openpyxl.Workbook) -> None:
        providers = book["Providers"]
        providers.row_dimensions[4].hidden = True  # P3
        providers.column_dimensions["B"].hidden = True  # name
    edit_openpyxl(path, change)


@mistake("the header row of Demand hidden")
def hidden_header_row(path: Path) -> None:
    def change(book: openpyxl.Workbook) -> None:
        book["Demand"].row_dimensions[1].hidden = True
    edit_openpyxl(path, change)


@mistake("notes typed in a column of Providers with no header")
def values_without_header(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        add_column(sheets, "Providers", None, [None, "closing 2027?", None])
    edited(change)(path)


@mistake("the blank template, not filled in (`placeopt template`)")
def blank_template(path: Path) -> None:
    from placeopt.workbook.template import write_template

    write_template(path)
    book = openpyxl.load_workbook(path)  # the template heads Demand from next year
    for cell in book["Demand"][1]:
        if str(cell.value).isdigit():
            cell.value = str(int(cell.value) - int(book["Demand"]["E1"].value) + 2027)
    for row in book["Parameters"].iter_rows(min_row=2):
        if row[0].value == "first_year":
            row[1].value = 2027
    book.save(path)
    fix_dates(path)


# --- ids and codes -----------------------------------------------------------------------


@mistake("two providers with the same provider_id")
def duplicate_ids(path: Path) -> None:
    edited(lambda s: set_column(s, "Providers", "provider_id", 4, "P2"))(path)


@mistake("a demand row for a zone that is not in Zones")
def unknown_zone(path: Path) -> None:
    edited(lambda s: set_column(s, "Demand", "zone_id", 3, "Z22"))(path)


@mistake("a need written in words ('Autism') instead of its code")
def unknown_need(path: Path) -> None:
    edited(lambda s: set_column(s, "Demand", "need", 2, "Autism"))(path)


@mistake("a phase written as a key stage ('KS3')")
def unknown_phase(path: Path) -> None:
    edited(lambda s: set_column(s, "Demand", "phase", 3, "KS3"))(path)


@mistake("an expansion of a provider that is not in Providers")
def unknown_provider(path: Path) -> None:
    edited(lambda s: set_column(s, "Expansions", "provider_id", 2, "P10"))(path)


@mistake("a parameter name mistyped")
def unknown_parameter(path: Path) -> None:
    edited(lambda s: param(s, "discount rate %", 0.035))(path)


@mistake("the first_year row deleted from Parameters")
def first_year_missing(path: Path) -> None:
    edited(lambda s: s["Parameters"].pop(1))(path)


# --- years -------------------------------------------------------------------------------


@mistake("the column of the last planning year deleted from Demand")
def demand_year_missing(path: Path) -> None:
    edited(lambda s: drop_column(s, "Demand", YEARS[-1]))(path)


@mistake("budget rows for years outside the plan")
def budget_outside_horizon(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        sheets["Budget"] = [["year", "stream", "amount"], [2026, "high_needs_block", 2e6],
                            [2030, "high_needs_block", 2e6], [2031, "capital", 5e5]]
    edited(change)(path)


@mistake("an option's latest year before its earliest year")
def option_years_reversed(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        set_column(sheets, "Expansions", "earliest_year", 3, 2028)
        set_column(sheets, "Expansions", "latest_year", 3, 2027)
    edited(change)(path)


# --- cells -------------------------------------------------------------------------------


@mistake("text where a number belongs ('TBC', 'n/a')")
def text_in_number_cells(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        set_column(sheets, "Providers", "capacity", 2, "TBC")
        set_column(sheets, "Demand", YEARS[1], 3, "n/a")
    edited(change)(path)


@mistake("negative numbers")
def negative_numbers(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        set_column(sheets, "Demand", YEARS[2], 2, -3)
        set_column(sheets, "Providers", "annual_cost_per_place", 3, -9000)
    edited(change)(path)


@mistake("dates where numbers belong (Excel turned '3-4' into a date)")
def dates_in_number_cells(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        set_column(sheets, "Demand", YEARS[0], 4, dt.datetime(2026, 4, 3))
        set_column(sheets, "Expansions", "earliest_year", 2, dt.datetime(2027, 9, 1))
    edited(change)(path)


@mistake("TRUE/FALSE where numbers belong")
def booleans_in_number_cells(path: Path) -> None:
    edited(lambda s: set_column(s, "Providers", "capacity", 3, True))(path)


@mistake("money and minutes typed as words: '£12,000', '45 mins', '12,000' (accepted)")
def numbers_as_words(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        set_column(sheets, "Providers", "annual_cost_per_place", 2, "£24,000")
        set_column(sheets, "Providers", "annual_cost_per_place", 3, "£9,000.00")
        add_column(sheets, "Providers", "max_travel_minutes", [None, "45 mins", None])
        set_column(sheets, "Expansions", "capital_cost", 2, "1,200,000")
        set_column(sheets, "Expansions", "earliest_year", 2, "2027/28")
    edited(change)(path)


@mistake("numbers as words that could be misread: '1,5', '£5' places, '1 hour', '£1.2m'")
def ambiguous_number_words(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        set_column(sheets, "Demand", YEARS[0], 2, "1,5")
        set_column(sheets, "Providers", "capacity", 2, "£5")
        add_column(sheets, "Providers", "max_travel_minutes", [None, "1 hour", None])
        set_column(sheets, "Expansions", "capital_cost", 3, "£9m")
    edited(change)(path)


@mistake("percentages: '3.5%' discount rate (accepted), '50%' capacity (rejected)")
def percentages(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        param(sheets, "discount_rate", "3.5%")
        param(sheets, "optimism_bias", 0.24)  # a number formatted as % arrives as this
        set_column(sheets, "Providers", "capacity", 4, "50%")
    edited(change)(path)


@mistake("numbers stored as text, as a CSV import leaves them (accepted silently)")
def numbers_stored_as_text(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        for row in sheets["Demand"][1:]:
            row[4:] = [str(v) for v in row[4:]]
        set_column(sheets, "Providers", "capacity", 2, " 40 ")
    edited(change)(path)


@mistake("formulas never calculated (a workbook written by a program, never opened in Excel)")
def formulas_without_values(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        set_column(sheets, "Demand", YEARS[1], 2, "=E2*1.1")
        set_column(sheets, "Providers", "capacity", 2, "=SUM(30,10)")
    edited(change)(path)


# --- files that are not a good workbook ----------------------------------------------------


@mistake("an empty file (0 bytes) named .xlsx")
def empty_file(path: Path) -> None:
    path.write_bytes(b"")


@mistake("a download cut short: the first half of a workbook")
def truncated(path: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        whole = Path(folder) / "whole.xlsx"
        save(whole, valid_sheets())
        data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@mistake("a damaged workbook: the bytes of a sheet scrambled inside the zip")
def corrupt_zip(path: Path) -> None:
    save(path, valid_sheets())
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 5, start + min(info.compress_size, 200) - 5):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))


@mistake("a CSV file renamed .xlsx")
def csv_renamed(path: Path) -> None:
    rows = valid_sheets()["Providers"]
    path.write_text("\n".join(",".join("" if v is None else str(v) for v in row)
                              for row in rows) + "\n")


@mistake("a web page saved with an .xlsx name")
def html_renamed(path: Path) -> None:
    path.write_text("<html><body><table><tr><td>provider_id</td></tr></table></body></html>")


@mistake("an old Excel 97-2003 workbook (.xls) renamed .xlsx", deterministic=False)
def xls_renamed(path: Path) -> None:
    libreoffice_copy(path, "xls")


@mistake("an OpenDocument spreadsheet (.ods) renamed .xlsx", deterministic=False)
def ods_renamed(path: Path) -> None:
    libreoffice_copy(path, "ods")


@mistake("a workbook protected with a password (encrypted)", deterministic=False)
def password_protected(path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "plain.xlsx"
        save(plain, valid_sheets())
        with plain.open("rb") as source:
            encrypted = io.BytesIO()
            OOXMLFile(source).encrypt("planner", encrypted)
    path.write_bytes(encrypted.getvalue())


@mistake("a zip bomb: a sheet of 50 MB of zeros packed into a small file")
def zip_bomb(path: Path) -> None:
    save(path, valid_sheets())
    parts = parts_of(path)
    parts["xl/worksheets/sheet1.xml"] = b"\x00" * (50 * 2**20)
    rezip(path, parts, level=9)


@mistake("an XML bomb ('billion laughs'): entities that expand a billion-fold")
def xml_bomb(path: Path) -> None:
    save(path, valid_sheets())
    parts = parts_of(path)
    entities = "".join(f'<!ENTITY lol{k} "{f"&lol{k - 1};" * 10}">' for k in range(1, 10))
    parts["xl/workbook.xml"] = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">' + entities + ']>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "&lol9;</workbook>").encode()
    rezip(path, parts)


@mistake("a huge sheet: a stray cell at XFD1048576, the last cell Excel has")
def huge_sheet_stray_cell(path: Path) -> None:
    def change(book: openpyxl.Workbook) -> None:
        book["Providers"]["XFD1048576"] = "x"
    edit_openpyxl(path, change)


@mistake("a huge notes sheet (300,000 rows) beside the planning sheets")
def huge_notes_sheet(path: Path) -> None:
    save(path, valid_sheets())
    parts = parts_of(path)
    # rows and cells may leave out their references (r="A1"): Excel numbers them in order
    rows = "".join(f'<row><c t="inlineStr"><is><t>note {r % 10}</t></is></c></row>'
                   for r in range(1, 300_001))
    parts["xl/worksheets/sheet99.xml"] = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:A300000"/><sheetData>{rows}</sheetData></worksheet>').encode()
    book = parts["xl/workbook.xml"].decode()
    parts["xl/workbook.xml"] = book.replace(
        "</sheets>", '<sheet name="Notes" sheetId="99" r:id="rId99"/></sheets>').encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="/xl/worksheets/sheet99.xml"/></Relationships>')
    ).encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace("</Types>", (
        '<Override PartName="/xl/worksheets/sheet99.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')).encode()
    rezip(path, parts, level=9)


@mistake("a scenario row naming a sheet that does not exist")
def scenario_unknown_sheet(path: Path) -> None:
    def change(sheets: Sheets) -> None:
        sheets["Scenarios"] = [["scenario", "sheet", "column", "filter", "operation", "value"],
                               ["growth", "Demand", "*", None, "scale", "110%"],
                               ["growth", "Schools", "capacity", None, "add", 5]]
    edited(change)(path)


def libreoffice_copy(path: Path, kind: str) -> None:
    """The valid workbook converted by LibreOffice to `kind`, saved under `path`."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed to write " + path.name)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "plan.xlsx"
        save(source, valid_sheets())
        subprocess.run([soffice, f"-env:UserInstallation=file://{folder}/profile", "--headless",
                        "--convert-to", kind, "--outdir", folder, str(source)],
                       check=True, capture_output=True, timeout=180)
        shutil.copyfile(Path(folder) / f"plan.{kind}", path)


def write(names: list[str], folder: Path = HERE) -> None:
    chosen = [m for m in MISTAKES if not names or m.name in names]
    unknown = set(names) - {m.name for m in MISTAKES}
    if unknown:
        raise SystemExit(f"no such mistake: {', '.join(sorted(unknown))}")
    for item in chosen:
        item.write(folder / f"{item.name}.xlsx")
        print(f"{item.name}.xlsx: {item.what}")


if __name__ == "__main__":
    write(sys.argv[1:])
