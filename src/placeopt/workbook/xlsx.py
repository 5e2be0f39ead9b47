"""Opening a planner's workbook safely and reading its sheets as raw rows.

The file is opened read-only and never written. Before openpyxl parses anything we check
that it is a real .xlsx (not .xls, .csv or a password-protected file), not oversized,
and not a zip bomb; openpyxl itself parses XML through defusedxml when it is installed.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..problems import InputError, Problem, sheet_ref

MAX_FILE_BYTES = 100 * 2**20  # 100 MiB on disk
MAX_UNPACKED_BYTES = 1 * 2**30  # 1 GiB once unzipped
MAX_RATIO = 500  # unpacked / packed, for any one member of the zip

_OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass(frozen=True)
class RawSheet:
    """One sheet's cells as the workbook holds them: cached values, not formulas."""

    title: str
    headers: tuple[Any, ...]
    rows: tuple[tuple[int, tuple[Any, ...]], ...]  # (Excel row number, values)
    formula_cells: frozenset[tuple[int, int]]  # (row, column) formulas with no cached value

    @property
    def ref(self) -> str:
        """The title as it stands before '!' in a cell reference."""
        return sheet_ref(self.title)


def _refuse(path: Path, message: str) -> InputError:
    return InputError([Problem("error", path.name, message)])


def _size(n: float) -> str:
    """A size in bytes as a person would write it: '812 bytes', '3.2 MB', '1.5 GB'."""
    if n < 1000:
        return f"{n:.0f} bytes"
    for unit in ("KB", "MB", "GB"):
        n /= 1000
        if n < 1000 or unit == "GB":
            return f"{n:.1f} {unit}"
    raise AssertionError("unreachable")


def check_file(path: Path) -> None:
    """Refuse anything that is not a sane .xlsx, with a message that says why."""
    if not path.exists():
        raise _refuse(path, "file not found")
    if path.is_dir():
        raise _refuse(path, "is a folder, not a workbook")
    size = path.stat().st_size
    if size == 0:
        raise _refuse(path, "the file is empty (0 bytes): expected an Excel workbook (.xlsx)")
    if size > MAX_FILE_BYTES:
        raise _refuse(path, f"the file is {_size(size)}; the limit is {_size(MAX_FILE_BYTES)} "
                      "(is this really the planning workbook?)")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == _OLE_SIGNATURE:
        raise _refuse(path, "this is an old-style .xls file or a password-protected workbook; "
                      "open it in Excel and save it as an unprotected .xlsx")
    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK"):
            raise _refuse(path, "the workbook is damaged or truncated (an incomplete zip "
                          "archive); save it again from Excel, or copy it again")
        kind = ("a CSV or text file" if path.suffix.lower() in {".csv", ".txt", ".tsv"}
                else "not an Excel workbook")
        raise _refuse(path, f"{kind}: expected an Excel workbook (.xlsx); open it in Excel and "
                      "save it as .xlsx")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(path, f"the workbook is damaged or truncated ({exc})") from None
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            kind = "an Excel binary workbook (.xlsb)"
        elif "mimetype" in names and "content.xml" in names:
            kind = "an OpenDocument spreadsheet (.ods)"
        else:
            kind = "a zip file"
        raise _refuse(path, f"{kind}, not an Excel workbook (.xlsx); open it in Excel or "
                      "LibreOffice and save it as .xlsx")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refuse(path, f"the workbook unpacks to {_size(unpacked)}; the limit is "
                      f"{_size(MAX_UNPACKED_BYTES)}")
    for member in members:
        if member.file_size > 2**20 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise _refuse(path, f"part {member.filename} is compressed {MAX_RATIO}-fold or more; "
                          "refused as a possible zip bomb")


# A formula element in a worksheet part: <f>, <f t="shared" .../>, or with a prefix (<x:f>).
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _parts_with_formulas(path: Path) -> set[str]:
    """The worksheet parts that hold a formula; only those need a second reading."""
    found = set()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(info) as member:
                tail = b""
                while block := member.read(1 << 20):
                    if _FORMULA_TAG.search(tail + block):
                        found.add(name)
                        break
                    tail = block[-16:]
    return found


def read_sheets(path: Path) -> dict[str, RawSheet]:
    """Every sheet of the workbook, keyed by its title, with cached values."""
    import openpyxl  # deferred: a slow import that --help does not need

    check_file(path)
    books = []
    try:
        with_formulas = _parts_with_formulas(path)
        # cached values, then (only if there are formulas) the formulas behind them
        for data_only in (True, False)[: 2 if with_formulas else 1]:
            books.append(openpyxl.load_workbook(path, read_only=True, data_only=data_only))
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        for book in books:
            book.close()
        raise _refuse(path, f"could not be read as an .xlsx workbook ({type(exc).__name__}: "
                      f"{exc}); it may be damaged, truncated or protected") from None
    values_book = books[0]
    formula_book = books[1] if len(books) > 1 else None
    try:
        sheets = {}
        for title in values_book.sheetnames:
            values_ws = values_book[title]
            if not hasattr(values_ws, "iter_rows"):  # a chartsheet holds no table
                continue
            part = str(getattr(values_ws, "_worksheet_path", "")).lstrip("/")
            formula_ws = None
            if formula_book is not None and (part in with_formulas or not part):
                formula_ws = formula_book[title]
            sheets[title] = _read_sheet(title, values_ws, formula_ws)
        return sheets
    except InputError:
        raise
    except Exception as exc:
        raise _refuse(path, f"could not be read ({type(exc).__name__}: {exc}); the workbook may "
                      "be damaged") from None
    finally:
        for book in books:
            book.close()


def _is_formula(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("=")
    return value is not None and type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def _read_sheet(title: str, values_ws: Any, formula_ws: Any | None) -> RawSheet:
    headers: tuple[Any, ...] = ()
    rows: list[tuple[int, tuple[Any, ...]]] = []
    formulas: set[tuple[int, int]] = set()
    for ws in (values_ws, formula_ws):
        # The <dimension> a file declares may be wrong (some programs write "A1"), and
        # read-only openpyxl would then see one cell: read every cell the sheet holds.
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
    value_rows = values_ws.iter_rows(values_only=True)
    formula_rows = (formula_ws.iter_rows(values_only=True) if formula_ws is not None
                    else itertools.repeat(()))
    for number, (values, raw) in enumerate(zip(value_rows, formula_rows, strict=False), start=1):
        pending = False  # a formula with no cached value in this row
        for col, (value, formula) in enumerate(zip(values, raw, strict=False), start=1):
            if value is None and _is_formula(formula):
                formulas.add((number, col))
                pending = True
        if number == 1:
            headers = tuple(values)
        elif pending or any(v is not None and not (isinstance(v, str) and not v.strip())
                            for v in values):
            rows.append((number, tuple(values)))
    return RawSheet(title, headers, tuple(rows), frozenset(formulas))
