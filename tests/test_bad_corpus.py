"""The corpus of broken workbooks (tests/data/bad, written by make_bad.py there): each
file is one mistake a planner makes, and `placeopt validate` must say exactly what is
wrong, where, and exit 1 (or accept it with warnings, exit 0, where nothing can be
misread) - never a traceback, never an internal error (exit 4).

The table gives, for every file, the exit code and every ERROR and WARNING line, in the
order printed. A new file in the folder without a row here fails the test.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli

BAD = Path(__file__).resolve().parent / "data" / "bad"
sys.path.insert(0, str(BAD))
import make_bad  # noqa: E402

CORPUS: list[tuple[str, int, list[str]]] = [
    ('missing_sheet', 1, [
        "ERROR workbook: missing sheet 'Providers': Every school, unit or college where pupils "
        'can be placed, in and out of area.',
    ]),
    ('renamed_sheet', 1, [
        "ERROR workbook: missing sheet 'Zones': sheet 'Zone' looks like it; rename it 'Zones'",
    ]),
    ('renamed_optional_sheet', 0, [
        "WARNING Expansion: sheet 'Expansion' is not read: it looks like 'Expansions'; rename "
        "it 'Expansions' if it holds that table",
    ]),
    ('missing_required_column', 1, [
        "ERROR Providers!1:1: missing column 'annual_cost_per_place' (Cost of one pupil for one "
        "year: place funding plus top-up, or the independent school's fee)",
    ]),
    ('deleted_capacity_column', 0, [
        "WARNING Providers!1:1: no column 'capacity', so every provider has unlimited places (a "
        'blank capacity means unlimited); add the column if that is not what you mean',
    ]),
    ('misspelt_key_column', 1, [
        "WARNING Zones!A1: unknown column 'zone' ignored (is it 'zone_id'?); known columns: "
        'easting, latitude, longitude, name, northing, zone_id',
        "ERROR Zones!1:1: missing column 'zone_id' (Unique zone code)",
    ]),
    ('title_row_above_headers', 1, [
        'ERROR Providers!1:1: the headers are in row 2, not row 1: delete the row above them so '
        'that the headers are in row 1, with records from row 2',
    ]),
    ('merged_header_cells', 1, [
        'ERROR Zones!C1:D1: merged header cells (C1:D1): each column needs its own header in '
        'row 1, with records from row 2; unmerge them',
    ]),
    ('hidden_rows_and_columns', 0, [
        'WARNING Providers!4:4: row 4 is hidden in Excel but read all the same; delete a row to '
        'leave it out',
        'WARNING Providers!B1: column B is hidden in Excel but read all the same',
    ]),
    ('hidden_header_row', 0, [
        'WARNING Demand!1:1: the header row is hidden in Excel (it is read all the same)',
    ]),
    ('values_without_header', 0, [
        'WARNING Providers!L1: column L has values (from L3) but no header in row 1, so it is '
        'not read; give it a header, or clear it',
    ]),
    ('blank_template', 1, [
        'ERROR Zones: no rows under the headers; expected at least one zone, one per row from '
        'row 2',
        'ERROR Demand: no rows under the headers; expected at least one row of demand, one per '
        'row from row 2',
        'ERROR Providers: no rows under the headers; expected at least one provider, one per '
        'row from row 2',
    ]),
    ('duplicate_ids', 1, [
        'ERROR Providers!A4: duplicate of row 3 (provider_id=P2); each must be unique',
    ]),
    ('unknown_zone', 1, [
        "ERROR Demand!A3: unknown zone 'Z22'; expected one of Z1, Z2, Z3",
    ]),
    ('unknown_need', 1, [
        "ERROR Demand!B2: unknown need 'Autism'; expected one of ASD, SEMH, SLCN, MLD, SLD, "
        'PMLD, SpLD, HI, VI, MSI, PD, OTH, NSA',
    ]),
    ('unknown_phase', 1, [
        "ERROR Demand!C3: 'KS3' in phase is not valid; expected one of early_years, primary, "
        'secondary, post16, post19',
    ]),
    ('unknown_provider', 1, [
        "ERROR Expansions!C2: unknown provider 'P10'; expected one of P1, P2, P3",
    ]),
    ('unknown_parameter', 1, [
        "ERROR Parameters!A5: unknown parameter 'discount rate %'; expected one of first_year, "
        'horizon_years, home_la, discount_rate, capital_treatment, asset_life_years, '
        'optimism_bias, max_travel_minutes_early_years, max_travel_minutes_primary, '
        'max_travel_minutes_secondary, max_travel_minutes_post16, max_travel_minutes_post19, '
        'road_circuity, road_speed_kmh, transport_base_cost, transport_cost_per_km, '
        'school_days, residential_trips_per_year, value_of_travel_minute, unmet_penalty, '
        'budget_limit, overspend_weight, budget_covers, allow_moves, integer_placements, '
        'mip_gap, time_limit_seconds, threads',
    ]),
    ('first_year_missing', 1, [
        "ERROR Parameters: parameter first_year is missing; expected a row 'first_year' with "
        'the first planning year, e.g. 2026',
    ]),
    ('demand_year_missing', 1, [
        'ERROR Demand!1:1: no column for planning year 2028; every year 2026-2028 needs a column',
    ]),
    ('budget_outside_horizon', 0, [
        'WARNING Budget!A3: Budget rows 3, 4 are for 2030, 2031, outside the planning years '
        '2026-2028: ignored',
    ]),
    ('option_years_reversed', 1, [
        'ERROR Expansions!G3: latest_year 2027 is before earliest_year 2028',
    ]),
    ('text_in_number_cells', 1, [
        "ERROR Providers!I2: 'TBC' in capacity is not valid; expected a number >= 0",
        "ERROR Demand!F3: 'n/a' in pupils for 2027 is not valid; expected a number >= 0",
    ]),
    ('negative_numbers', 1, [
        'ERROR Providers!J3: -9000 in annual_cost_per_place is not valid; expected a number >= 0',
        'ERROR Demand!G2: -3 in pupils for 2028 is not valid; expected a number >= 0',
    ]),
    ('dates_in_number_cells', 1, [
        'ERROR Expansions!F2: 2027-09-01 in earliest_year is not valid; expected a whole '
        "number, not a date or time (check the cell's format)",
        'ERROR Demand!E4: 2026-04-03 in pupils for 2026 is not valid; expected a number >= 0, '
        "not a date or time (check the cell's format)",
    ]),
    ('booleans_in_number_cells', 1, [
        'ERROR Providers!I3: TRUE in capacity is not valid; expected a number >= 0, not '
        'TRUE/FALSE',
    ]),
    ('numbers_as_words', 0, [
        "WARNING Providers!J2: text '£24,000' read as the number 24000; and 1 more cell of this "
        'column written with words or symbols (J3); check it, and type plain numbers to be sure',
        "WARNING Providers!L3: text '45 mins' read as the number 45; check it, and type plain "
        'numbers to be sure',
        "WARNING Expansions!E2: text '1,200,000' read as the number 1200000; check it, and type "
        'plain numbers to be sure',
        "WARNING Expansions!F2: '2027/28' read as the year 2027; check it, and type plain "
        'numbers to be sure',
    ]),
    ('ambiguous_number_words', 1, [
        "ERROR Providers!I2: '£5' in capacity is not valid; expected a number >= 0, in places, "
        'not pounds',
        "ERROR Providers!L3: '1 hour' in max_travel_minutes is not valid; expected a number > "
        '0, in minutes',
        "ERROR Expansions!E3: '£9m' in capital_cost is not valid; expected a number >= 0, in "
        'whole pounds, e.g. 1200000 for £1.2m',
        "ERROR Demand!E2: '1,5' in pupils for 2026 is not valid; expected a number >= 0, with "
        'commas only between thousands, as in 12,000',
    ]),
    ('percentages', 1, [
        "ERROR Providers!I4: '50%' in capacity is not valid; expected a number >= 0, not a "
        'percentage',
        "WARNING Parameters!B5: text '3.5%' read as the number 0.035; check it, and type plain "
        'numbers to be sure',
    ]),
    ('numbers_stored_as_text', 0, [
    ]),
    ('formulas_without_values', 1, [
        'ERROR Providers!I2: a formula with no calculated value (the workbook was written by a '
        'program and never opened in Excel): open it in Excel or LibreOffice and save it, or '
        'type the value',
        'ERROR Demand!F2: a formula with no calculated value (the workbook was written by a '
        'program and never opened in Excel): open it in Excel or LibreOffice and save it, or '
        'type the value',
    ]),
    ('empty_file', 1, [
        'ERROR empty_file.xlsx: the file is empty (0 bytes): expected an Excel workbook (.xlsx)',
    ]),
    ('truncated', 1, [
        'ERROR truncated.xlsx: the workbook is damaged or truncated (an incomplete zip '
        'archive); save it again from Excel, or copy it again',
    ]),
    ('corrupt_zip', 1, [
        'ERROR corrupt_zip.xlsx: the workbook is damaged: part xl/worksheets/sheet1.xml cannot '
        'be unpacked (Error -3 while decompressing data: invalid code lengths set); save it '
        'again from Excel, or copy it again',
    ]),
    ('csv_renamed', 1, [
        'ERROR csv_renamed.xlsx: a CSV or text file, not an Excel workbook: expected an Excel '
        'workbook (.xlsx); open it in Excel and save it as .xlsx',
    ]),
    ('html_renamed', 1, [
        "ERROR html_renamed.xlsx: an HTML or XML file (a web page, or an 'XML Spreadsheet "
        "2003'), not an Excel workbook: expected an Excel workbook (.xlsx); open it in Excel "
        'and save it as .xlsx',
    ]),
    ('xls_renamed', 1, [
        'ERROR xls_renamed.xlsx: this is an old-style Excel 97-2003 file (.xls); open it in '
        'Excel and save it as an unprotected .xlsx (Excel Workbook)',
    ]),
    ('ods_renamed', 1, [
        'ERROR ods_renamed.xlsx: an OpenDocument spreadsheet (.ods), not an Excel workbook '
        '(.xlsx); open it in Excel or LibreOffice and save it as .xlsx',
    ]),
    ('password_protected', 1, [
        'ERROR password_protected.xlsx: the workbook is password-protected (encrypted), so it '
        'cannot be read; open it in Excel, remove the password, and save it as an unprotected '
        '.xlsx',
    ]),
    ('zip_bomb', 1, [
        'ERROR zip_bomb.xlsx: part xl/worksheets/sheet1.xml is compressed 500-fold or more; '
        'refused as a possible zip bomb',
    ]),
    ('xml_bomb', 1, [
        'ERROR xml_bomb.xlsx: part xl/workbook.xml declares XML entities (<!DOCTYPE>), which '
        'Excel never writes; refused as a possible XML bomb',
    ]),
    ('huge_sheet_stray_cell', 0, [
        'WARNING Providers!XFD1: column XFD has values (from XFD1048576) but no header in row '
        '1, so it is not read; give it a header, or clear it',
    ]),
    ('huge_notes_sheet', 0, [
    ]),
    ('scenario_unknown_sheet', 1, [
        "ERROR Scenarios!B3: unknown sheet 'Schools'; expected one of Parameters, Needs, Zones, "
        'Demand, Suitability, Providers, CapacityLimits, Expansions, Inclusion, CurrentPlacements, '
        'TravelMatrix, Budget, Boundaries',
    ]),
]


def test_every_file_has_its_row_and_every_mistake_its_file() -> None:
    files = {p.stem for p in BAD.glob("*.xlsx")}
    assert files == {name for name, _, _ in CORPUS} == {m.name for m in make_bad.MISTAKES}
    assert len(files) >= 30


@pytest.mark.parametrize(("name", "code", "lines"), CORPUS, ids=[c[0] for c in CORPUS])
def test_validate_says_exactly_what_is_wrong(name: str, code: int, lines: list[str]) -> None:
    started = time.perf_counter()
    result = run_cli("validate", BAD / f"{name}.xlsx")
    seconds = time.perf_counter() - started
    output = result.output
    assert "Traceback" not in output and "Internal error" not in output, output
    assert result.exit_code == code, output
    assert [line for line in output.splitlines()
            if line.startswith(("ERROR", "WARNING"))] == lines
    if code == 1:
        n = sum(line.startswith("ERROR") for line in lines)
        assert f"{n} error{'s' if n > 1 else ''}: the workbook was not accepted." in output
    assert seconds < 20, f"{name} took {seconds:.1f} s"  # hostile files are refused fast


def test_the_files_are_what_make_bad_writes(tmp_path: Path) -> None:
    """The script and the committed files agree (those written without outside tools)."""
    same = [m.name for m in make_bad.MISTAKES if m.deterministic]
    make_bad.write(same, tmp_path)
    for name in same:
        written = (tmp_path / f"{name}.xlsx").read_bytes()
        assert written == (BAD / f"{name}.xlsx").read_bytes(), f"{name}.xlsx differs"
