"""Opening a planner's file safely: anything that is not a sane .xlsx is refused with a
clear message (exit 1), never a traceback; and what openpyxl reads is what Excel shows."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from conftest import assert_cli_error, assert_error, problems_of, run_cli, write_workbook

from placeopt.problems import InputError
from placeopt.workbook import xlsx
from placeopt.workbook.reader import read_workbook


def _refused(path: Path, fragment: str) -> None:
    result = run_cli("validate", path)
    assert_cli_error(result, path.name, fragment)
    assert "Traceback" not in result.output
    with pytest.raises(InputError) as caught:  # and the same through the library
        read_workbook(path)
    assert fragment in str(caught.value)


def test_csv_given_by_mistake(tmp_path: Path) -> None:
    path = tmp_path / "zones.csv"
    path.write_text("zone_id,name\nZ1,North\n")
    _refused(path, "a CSV or text file, not an Excel workbook: expected an Excel workbook "
             "(.xlsx)")


def test_csv_renamed_to_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "zones.xlsx"
    path.write_text("zone_id,name\nZ1,North\n")
    _refused(path, "a CSV or text file, not an Excel workbook: expected an Excel workbook "
             "(.xlsx)")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    _refused(path, "not an Excel workbook")


def test_old_xls_file(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00junk" * 200)
    _refused(path, "this is an old-style Excel 97-2003 file (.xls); open it in Excel and "
             "save it as an unprotected .xlsx")


def test_password_protected_workbook(tmp_path: Path) -> None:
    # Excel encrypts a protected .xlsx inside an OLE compound file: same signature.
    path = tmp_path / "protected.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 500
                     + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 4000)
    _refused(path, "the workbook is password-protected (encrypted), so it cannot be read; "
             "open it in Excel, remove the password, and save it as an unprotected .xlsx")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    _refused(path, "the file is empty")


def test_truncated_xlsx(tmp_path: Path, valid_path: Path) -> None:
    data = valid_path.read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    _refused(path, "the workbook is damaged or truncated")


def test_corrupted_part_inside_the_zip(tmp_path: Path, valid_path: Path) -> None:
    with zipfile.ZipFile(valid_path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    path = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    raw = bytearray(path.read_bytes())
    # scramble the compressed bytes of the first worksheet, leaving the zip directory intact
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 5, start + min(info.compress_size, 200) - 5):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))
    _refused(path, "the workbook is damaged: part xl/worksheets/sheet1.xml cannot be unpacked")


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    _refused(path, "a zip file, not an Excel workbook (.xlsx)")


def test_an_ods_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    _refused(path, "an OpenDocument spreadsheet (.ods), not an Excel workbook")


def test_file_over_the_size_limit(tmp_path: Path, valid_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_FILE_BYTES", 1000)
    _refused(valid_path, "the limit is 1.0 KB")


def test_unpacked_size_limit(valid_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 2000)
    _refused(valid_path, "the workbook unpacks to")


def test_zip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b"\x00" * 2**20
            for _ in range(50):
                member.write(block)
    assert path.stat().st_size < 1_000_000  # 50 MB of zeros packs small
    _refused(path, "refused as a possible zip bomb")


def test_xml_entity_bomb_is_refused(tmp_path: Path, valid_path: Path) -> None:
    """A 'billion laughs' in a part: defusedxml stops it; the planner gets a message."""
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "&lol3;</workbook>")
    with zipfile.ZipFile(valid_path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/workbook.xml"] = bomb.encode()
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    _refused(path, "part xl/workbook.xml declares XML entities (<!DOCTYPE>), which Excel never "
             "writes; refused as a possible XML bomb")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    """A folder given for a workbook is a wrong argument: a usage error on the command
    line (exit 2); the Python API says the same as an InputError."""
    folder = tmp_path / "book.xlsx"
    folder.mkdir()
    result = run_cli("validate", folder)
    assert result.exit_code == 2, result.output
    assert "is a directory" in result.output and "Traceback" not in result.output
    with pytest.raises(InputError, match="is a folder, not a workbook"):
        read_workbook(folder)


# --- what is read -----------------------------------------------------------------------


def _rewrite_part(path: Path, name: str, change) -> None:
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    parts[name] = change(parts[name].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, data in parts.items():
            archive.writestr(n, data)


def test_a_wrong_dimension_does_not_hide_cells(tmp_path: Path, sheets) -> None:
    """Some programs write <dimension ref="A1"/>; read-only openpyxl trusts it unless told."""
    path = write_workbook(tmp_path / "dim.xlsx", sheets)
    for n in range(1, len(sheets) + 1):
        _rewrite_part(path, f"xl/worksheets/sheet{n}.xml",
                      lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1"/>',
                                         xml))
    inputs = read_workbook(path)
    assert len(inputs.tables["Providers"]) == 3
    assert len(inputs.tables["Demand"]) == 9


def test_a_sheet_without_dimension_is_read_without_being_measured(tmp_path: Path, sheets,
                                                                   monkeypatch) -> None:
    """openpyxl's write-only mode writes no <dimension>; read-only openpyxl then parses each
    sheet to its end as the workbook loads, to measure it: a third of reading a national
    workbook. placeopt reads every cell anyway, so the measure is skipped while it loads
    (`xlsx._unmeasured`), and openpyxl is left as it was."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import WorkSheetParser

    path = write_workbook(tmp_path / "nodim.xlsx", sheets)
    for n in range(1, len(sheets) + 1):
        _rewrite_part(path, f"xl/worksheets/sheet{n}.xml",
                      lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', "", xml))
    with zipfile.ZipFile(path) as archive:
        assert not any(b"<dimension" in archive.read(n) for n in archive.namelist()
                       if n.startswith("xl/worksheets/"))
    measure = ReadOnlyWorksheet._get_size

    def measured(*_args):
        raise AssertionError("a sheet was measured as the workbook loaded")

    monkeypatch.setattr(WorkSheetParser, "parse_dimensions", measured)
    inputs = read_workbook(path)
    assert len(inputs.tables["Providers"]) == 3
    assert len(inputs.tables["Demand"]) == 9
    assert ReadOnlyWorksheet._get_size is measure  # openpyxl as it was


def test_array_formula_without_cached_value_is_an_error(tmp_path: Path, sheets) -> None:
    from openpyxl import load_workbook
    from openpyxl.worksheet.formula import ArrayFormula

    path = write_workbook(tmp_path / "array.xlsx", sheets)
    book = load_workbook(path)
    book["Providers"]["I2"] = ArrayFormula("I2:I2", "=SUM(10,30)")
    book.save(path)
    assert_error(problems_of(path), "Providers!I2", "a formula with no calculated value")


def test_reading_opens_the_file_read_only(valid_path: Path, monkeypatch) -> None:
    """Nothing in reading may open the workbook for writing."""
    import builtins

    real_open = builtins.open
    modes: list[str] = []

    def spy(file, mode="r", *args, **kwargs):
        if str(file) == str(valid_path):
            modes.append(mode)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    read_workbook(valid_path)
    assert modes and all(set(mode) <= {"r", "b"} for mode in modes), modes


# --- a damaged file, or a bug of ours ---------------------------------------------------


def test_a_sheet_whose_xml_is_broken_is_a_damaged_workbook(tmp_path: Path, sheets) -> None:
    """openpyxl parses a sheet's rows only as they are read: a part that does not parse
    then is a damaged file (exit 1), as one that does not unzip is."""
    path = write_workbook(tmp_path / "broken.xlsx", sheets)
    _rewrite_part(path, "xl/worksheets/sheet3.xml",
                  lambda xml: xml.replace("</row>", "</rowx>", 1))
    _refused(path, "it may be damaged, truncated or protected")


def test_a_bug_while_reading_is_a_bug_not_a_damaged_workbook(valid_path: Path,
                                                              monkeypatch) -> None:
    """A failure in placeopt's own reading code is not blamed on the planner's file: the
    Python API raises it as it is, and the command line says it is a bug (exit 4). It
    used to say "the workbook may be damaged" (exit 1)."""
    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug in placeopt")

    monkeypatch.setattr(xlsx, "_read_sheet", broken)
    with pytest.raises(ZeroDivisionError):
        read_workbook(valid_path)
    result = run_cli("validate", valid_path)
    assert result.exit_code == 4, result.output
    assert "Internal error in placeopt" in result.output
    assert "damaged" not in result.output and "Traceback" not in result.output
