"""Opening a planner's workbook safely and reading its sheets as raw rows.

The file is opened read-only and never written. Before openpyxl parses anything we check
that it is a real .xlsx (not .xls, .csv or a password-protected file), not oversized,
and not a zip bomb; openpyxl itself parses XML through defusedxml when it is installed.
"""

from __future__ import annotations

import itertools
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    header_merges: tuple[str, ...] = ()  # merged ranges that take in a header cell
    hidden_rows: frozenset[int] = frozenset()  # rows Excel hides (they are read all the same)
    hidden_columns: frozenset[int] = frozenset()  # 1-based

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
        if _is_encrypted(path):
            raise _refuse(path, "the workbook is password-protected (encrypted), so it cannot "
                          "be read; open it in Excel, remove the password, and save it as an "
                          "unprotected .xlsx")
        raise _refuse(path, "this is an old-style Excel 97-2003 file (.xls); open it in Excel "
                      "and save it as an unprotected .xlsx (Excel Workbook)")
    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK"):
            raise _refuse(path, "the workbook is damaged or truncated (an incomplete zip "
                          "archive); save it again from Excel, or copy it again")
        raise _refuse(path, f"{_text_kind(path)}: expected an Excel workbook (.xlsx); open it "
                      "in Excel and save it as .xlsx")
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


# The name of the stream that holds an encrypted workbook, as the OLE directory spells it.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def _is_encrypted(path: Path) -> bool:
    """An OLE file holding an encrypted .xlsx (rather than an .xls workbook)."""
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            if _ENCRYPTED_STREAM in tail + block:
                return True
            tail = block[-len(_ENCRYPTED_STREAM):]
    return False


def _text_kind(path: Path) -> str:
    """What a file that is not a zip seems to be, for the message that refuses it."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    try:
        text = head.decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        return "not an Excel workbook"
    if "\x00" in text:
        return "not an Excel workbook"
    if text.startswith("<"):
        return ("an HTML or XML file (a web page, or an 'XML Spreadsheet 2003'), not an Excel "
                "workbook")
    return "a CSV or text file, not an Excel workbook"


_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
# A formula element in a worksheet part: <f>, <f t="shared" .../>, or with a prefix (<x:f>).
_FORMULA_TAG = re.compile(rb"<" + _PREFIX + rb"f[\s>/]")
_MERGE_TAG = re.compile(rb"<" + _PREFIX
                        + rb'mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_HIDDEN_ROW = re.compile(rb"<" + _PREFIX + rb'row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_HIDDEN_COL = re.compile(rb"<" + _PREFIX + rb'col\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ATTRIBUTE = {name: re.compile(rb"\b" + name.encode() + rb'="(\d+)"')
              for name in ("r", "min", "max")}


@dataclass(frozen=True)
class PartFacts:
    """What a worksheet part holds beyond its values, found by scanning its XML once."""

    formulas: bool = False
    header_merges: tuple[str, ...] = ()  # merged ranges that take in a cell of row 1
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()  # 1-based


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + char - 64
    return number


def _facts(chunks: Any) -> PartFacts:
    formulas = False
    merges: list[str] = []
    rows: set[int] = set()
    columns: set[int] = set()
    for chunk in chunks:
        formulas = formulas or _FORMULA_TAG.search(chunk) is not None
        for match in _MERGE_TAG.finditer(chunk):
            left, top, right, bottom = (g.decode() if g else None for g in match.groups())
            if top == "1":
                merges.append(f"{left}{top}:{right or left}{bottom or top}")
        for match in _HIDDEN_ROW.finditer(chunk):
            number = _ATTRIBUTE["r"].search(match.group(0))
            if number:
                rows.add(int(number.group(1)))
        for match in _HIDDEN_COL.finditer(chunk):
            low, high = _ATTRIBUTE["min"].search(match.group(0)), _ATTRIBUTE["max"].search(
                match.group(0))
            if low and high:  # Excel declares hidden columns one run at a time
                columns.update(range(int(low.group(1)),
                                     min(int(high.group(1)), _MAX_COLUMN) + 1))
    return PartFacts(formulas, tuple(merges), frozenset(rows), frozenset(columns))


_MAX_COLUMN = 16384  # XFD, Excel's last column


def _xml_chunks(member: Any) -> Any:
    """A part's XML in blocks that each end before a '<', so that no tag is split."""
    rest = b""
    while block := member.read(1 << 20):
        data = rest + block
        cut = data.rfind(b"<")
        if cut <= 0 and len(data) < 1 << 24:
            rest = data
            continue
        if cut <= 0:  # one long text with no tag in it: nothing to split
            yield data
            rest = b""
            continue
        yield data[:cut]
        rest = data[cut:]
    if rest:
        yield rest


# Excel never declares a document type or entities; an XML bomb ("billion laughs") must.
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)\b")


def _damaged(path: Path, name: str, exc: Exception) -> InputError:
    return _refuse(path, f"the workbook is damaged: part {name} cannot be unpacked ({exc}); "
                   "save it again from Excel, or copy it again")


def _check_parts(path: Path) -> None:
    """Refuse a part that declares XML entities, before any XML parser sees it."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith((".xml", ".rels")):
                continue
            try:
                with archive.open(info) as member:
                    head = member.read(1 << 16)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise _damaged(path, info.filename, exc) from None
            if _DOCTYPE.search(head):
                raise _refuse(path, f"part {info.filename} declares XML entities (<!DOCTYPE>), "
                              "which Excel never writes; refused as a possible XML bomb")


def _scan_part(path: Path, name: str) -> PartFacts:
    """Facts about one worksheet part, in one pass over its XML."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(name) as member:
            return _facts(_xml_chunks(member))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _damaged(path, name, exc) from None


@dataclass(frozen=True)
class Book:
    """The titles of every sheet in the workbook, and the sheets that were read."""

    titles: tuple[str, ...]
    sheets: dict[str, RawSheet]


def read_sheets(path: Path, wanted: Callable[[str], bool] = lambda _title: True) -> Book:
    """The sheets whose title is `wanted`, keyed by title, with cached values.

    Other sheets are not read at all: a planner's notes sheet may be as large as it likes.
    """
    import openpyxl  # deferred: a slow import that --help does not need

    check_file(path)
    _check_parts(path)
    books = []

    def load(data_only: bool) -> Any:
        try:
            with _unmeasured():
                books.append(openpyxl.load_workbook(path, read_only=True,
                                                    data_only=data_only))
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise _unreadable(path, exc) from None
        return books[-1]

    # Only what openpyxl does with the file may call it damaged (`load`, `_parsed`): a
    # failure in placeopt's own code here is a bug, and propagates as one.
    try:
        values_book = load(data_only=True)
        chosen = {}  # title -> (worksheet, its part in the zip)
        for title in values_book.sheetnames:
            worksheet = values_book[title]
            if hasattr(worksheet, "iter_rows") and wanted(title):  # not a chartsheet
                chosen[title] = (worksheet, str(getattr(worksheet, "_worksheet_path",
                                                        "")).lstrip("/"))
        facts = {part: _scan_part(path, part) if part else PartFacts(formulas=True)
                 for _, part in chosen.values()}
        # the formulas behind the cached values, only if a sheet we read has any
        formula_book = load(data_only=False) if any(f.formulas for f in facts.values()) else None
        sheets = {}
        for title, (worksheet, part) in chosen.items():
            formula_ws = formula_book[title] if formula_book and facts[part].formulas else None
            sheets[title] = _read_sheet(path, title, worksheet, formula_ws, facts[part])
        return Book(tuple(values_book.sheetnames), sheets)
    finally:
        for book in books:
            book.close()


_LOADING = threading.Lock()


@contextmanager
def _unmeasured() -> Iterator[None]:
    """Load a workbook without openpyxl measuring its sheets.

    A read-only openpyxl workbook measures every sheet as it loads, wanted or not, from
    the sheet's <dimension>; a sheet without one (openpyxl's own write-only mode writes
    none) is parsed to its end for it, before a cell is read: a third of reading a
    national workbook (benchmarks/RESULTS.md). `_read_sheet` forgets the measure and reads
    every cell anyway, so it is skipped while our workbooks load: each sheet is then as a
    sheet without a <dimension> is. Another version of openpyxl, without this hook, is
    left to measure."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    with _LOADING:
        measure = ReadOnlyWorksheet.__dict__.get("_get_size")
        if measure is None:
            yield
            return
        ReadOnlyWorksheet._get_size = lambda _self: None
        try:
            yield
        finally:
            ReadOnlyWorksheet._get_size = measure


def _unreadable(path: Path, exc: Exception) -> InputError:
    return _refuse(path, f"could not be read as an .xlsx workbook ({type(exc).__name__}: "
                   f"{_first_line(exc)}); it may be damaged, truncated or protected")


def _parsed(path: Path, rows: Iterator[Any]) -> Iterator[Any]:
    """openpyxl's rows of a sheet, parsed from the file as they are asked for: a failure
    to parse them is a damaged file."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # openpyxl raises many kinds for a damaged part
            raise _unreadable(path, exc) from None
        yield row


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0]


def _is_formula(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("=")
    return value is not None and type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def _read_sheet(path: Path, title: str, values_ws: Any, formula_ws: Any | None,
                facts: PartFacts) -> RawSheet:
    headers: tuple[Any, ...] = ()
    rows: list[tuple[int, tuple[Any, ...]]] = []
    formulas: set[tuple[int, int]] = set()
    for ws in (values_ws, formula_ws):
        # The <dimension> a file declares may be wrong (some programs write "A1"), and
        # read-only openpyxl would then see one cell: read every cell the sheet holds.
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
    value_rows = _parsed(path, values_ws.iter_rows(values_only=True))
    formula_rows = (_parsed(path, formula_ws.iter_rows(values_only=True))
                    if formula_ws is not None else itertools.repeat(()))
    for number, (values, raw) in enumerate(zip(value_rows, formula_rows, strict=False), start=1):
        if not values and not raw:
            continue  # an empty row between rows that hold something (fast: there may be 1M)
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
    return RawSheet(title, headers, tuple(rows), frozenset(formulas), facts.header_merges,
                    facts.hidden_rows, facts.hidden_columns)
