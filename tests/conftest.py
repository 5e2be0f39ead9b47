"""Shared builders for workbook tests.

`write_workbook(path, sheets)` writes a workbook from {sheet title: [header row, *rows]}.
`valid_sheets()` is a small, complete and valid planning workbook as such a dict; tests
copy it, change one thing and check the one problem that follows. Its layout (so tests
can name cells literally):

    Parameters  A parameter, B value                 rows 2.. first_year 2026, horizon 3
    Zones       A zone_id B name C latitude D longitude E easting F northing
                row 2 Z1 (lat/lon), row 3 Z2 (lat/lon), row 4 Z3 (British National Grid)
    Demand      A zone_id B need C phase D provision E 2026 F 2027 G 2028   rows 2..4
    Providers   A provider_id B name C type D in_area E latitude F longitude G needs
                H phases I capacity J annual_cost_per_place K residential   rows 2..4
    Expansions  A option_id B name C provider_id D places E capital_cost F earliest_year
                G latest_year H type I annual_cost_per_place J latitude K longitude
                row 2 OPT1 expands P1, row 3 NEW1 a new site
"""

from __future__ import annotations

import copy
import re
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from placeopt.problems import InputError, Problem

FIRST_YEAR = 2026
HORIZON = 3
YEARS = [FIRST_YEAR + k for k in range(HORIZON)]

_VALID: dict[str, list[list[Any]]] = {
    "Parameters": [
        ["parameter", "value", "description"],
        ["first_year", FIRST_YEAR, "first planning year"],
        ["horizon_years", HORIZON, None],
        ["home_la", "Testshire", None],
    ],
    "Zones": [
        ["zone_id", "name", "latitude", "longitude", "easting", "northing"],
        ["Z1", "North", 52.90, -2.33, None, None],
        ["Z2", "South", 52.85, -2.38, None, None],
        ["Z3", "East", None, None, 381540, 329210],
    ],
    "Demand": [
        ["zone_id", "need", "phase", "provision", *YEARS],
        ["Z1", "ASD", "primary", "special", 10, 11, 12],
        ["Z2", "SEMH", "secondary", "any", 5, 5.5, 6],
        ["Z3", "ASD", "secondary", "mainstream", 3, 3, 3],
    ],
    "Providers": [
        ["provider_id", "name", "type", "in_area", "latitude", "longitude", "needs",
         "phases", "capacity", "annual_cost_per_place", "residential"],
        ["P1", "Oak Special", "special", "yes", 52.91, -2.34, "ASD; SEMH", "all", 40,
         24000, "no"],
        ["P2", "Elm Academy", "mainstream", "yes", 52.86, -2.37, "all", "primary;secondary",
         None, 9000, None],
        ["P3", "Far Manor", "inmss", "no", 53.20, -2.10, "all", "all", 20, 60000, "yes"],
    ],
    "Expansions": [
        ["option_id", "name", "provider_id", "places", "capital_cost", "earliest_year",
         "latest_year", "type", "annual_cost_per_place", "latitude", "longitude"],
        ["OPT1", "Oak extension", "P1", 10, 1_200_000, 2027, None, None, None, None, None],
        ["NEW1", "New special", None, 50, 9_000_000, None, 2028, "special", 25000, 52.88,
         -2.30],
    ],
}


def valid_sheets() -> dict[str, list[list[Any]]]:
    """A fresh deep copy of the small valid workbook."""
    return copy.deepcopy(_VALID)


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write {title: [header, *rows]} as an .xlsx (first sheet first)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    path = Path(path)
    book.save(path)
    return path


def set_column(sheets: dict[str, list[list[Any]]], sheet: str, column: str, row: int,
               value: Any) -> None:
    """Set the cell of `column` (by header) in Excel row `row` (2 = first data row)."""
    header = sheets[sheet][0]
    sheets[sheet][row - 1][header.index(column)] = value


def add_column(sheets: dict[str, list[list[Any]]], sheet: str, header: Any,
               values: Iterable[Any] = ()) -> None:
    """Append a column at the right of `sheet`."""
    values = list(values)
    sheets[sheet][0].append(header)
    for i, row in enumerate(sheets[sheet][1:]):
        row.append(values[i] if i < len(values) else None)


def drop_column(sheets: dict[str, list[list[Any]]], sheet: str, column: str) -> None:
    index = sheets[sheet][0].index(column)
    for row in sheets[sheet]:
        del row[index]


def add_cached_values(path: Path, values: dict[tuple[str, str], Any]) -> Path:
    """Give openpyxl-written formula cells a cached value, as Excel would after saving.

    `values` maps (sheet title, cell) -> the value Excel calculated. openpyxl writes a
    formula as <c r="E2"><f>..</f><v /></c>; we fill the <v>.
    """
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    book = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    for (title, cell), value in values.items():
        rid = re.search(rf'<sheet[^>]*name="{re.escape(title)}"[^>]*r:id="(rId\d+)"',
                        book).group(1)
        target = re.search(rf'<Relationship[^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels)
        if target is None:
            target = re.search(rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
        name = target.group(1).lstrip("/")
        name = name if name.startswith("xl/") else "xl/" + name
        xml = parts[name].decode()
        pattern = rf'(<c r="{cell}"[^>]*)>(<f>.*?</f>)<v\s*/>'
        if isinstance(value, str):
            replacement = rf'\1 t="str">\2<v>{value}</v>'
        else:
            replacement = rf"\1>\2<v>{value}</v>"
        xml, count = re.subn(pattern, replacement, xml)
        assert count == 1, f"no formula cell {title}!{cell} to patch"
        parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


# --- programs outside Python -----------------------------------------------------------

# The programs some tests run, and the package that brings each (Debian names; .ci/run
# installs them). The README's `pytest` passes on a machine with only Python: a test that
# needs one of them skips, saying which is missing.
OUTSIDE_TOOLS = {
    "libreoffice": "libreoffice-calc",
    "chromium": "chromium",
    "pdfinfo": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
}


def needs_tools(*tools: str) -> pytest.MarkDecorator:
    """Skip the test unless every program in `tools` is on PATH; the reason names the
    missing ones and the packages that bring them."""
    unknown = [t for t in tools if t not in OUTSIDE_TOOLS]
    assert not unknown, f"add {unknown} to OUTSIDE_TOOLS"
    missing = [t for t in tools if shutil.which(t) is None]
    packages = sorted({OUTSIDE_TOOLS[t] for t in missing})
    return pytest.mark.skipif(bool(missing), reason=(
        f"needs {', '.join(missing)}, not on PATH (apt-get install {' '.join(packages)})"))


# --- problems ---------------------------------------------------------------------------


def problems_of(path: Path) -> list[Problem]:
    """Every problem (errors and warnings) reading `path` raises; [] if it reads cleanly."""
    from placeopt.workbook.reader import read_workbook

    try:
        inputs = read_workbook(path)
    except InputError as exc:
        return exc.problems
    return list(inputs.warnings)


def find(problems: list[Problem], level: str, where: str, fragment: str) -> Problem:
    """The problem at `where` whose message contains `fragment` (fails if none)."""
    for problem in problems:
        if problem.level == level and problem.where == where and fragment in problem.message:
            return problem
    shown = "\n".join(map(str, problems)) or "(none)"
    raise AssertionError(f"no {level} at {where} containing {fragment!r}; problems:\n{shown}")


def assert_error(problems: list[Problem], where: str, fragment: str) -> Problem:
    return find(problems, "error", where, fragment)


def assert_warning(problems: list[Problem], where: str, fragment: str) -> Problem:
    return find(problems, "warning", where, fragment)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == "error"]


# --- command line -----------------------------------------------------------------------


def run_cli(*args: str) -> Result:
    from placeopt.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def assert_cli_error(result: Result, where: str, fragment: str) -> None:
    """Exit 1, no traceback, and an ERROR line naming `where` with `fragment`."""
    output = result.output
    assert result.exit_code == 1, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.startswith(f"ERROR {where}: ")]
    assert any(fragment in line for line in lines), (
        f"no ERROR {where}: ...{fragment}... in output:\n{output}")


@pytest.fixture
def sheets() -> dict[str, list[list[Any]]]:
    return valid_sheets()


@pytest.fixture
def valid_path(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "valid.xlsx", valid_sheets())


@pytest.fixture(scope="session")
def trafford_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Trafford example solved at its own gap (by years, a couple of seconds): its map
    has real MSOA boundaries. The reports' layout is under test, not the projects' worth
    (left out: twelve more solves)."""
    from placeopt.run import plan, write_results

    model = Path(__file__).resolve().parents[1] / "models" / "trafford.xlsx"
    return write_results(plan(model, project_values=False),
                         tmp_path_factory.mktemp("trafford") / "base")
