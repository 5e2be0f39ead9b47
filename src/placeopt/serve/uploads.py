"""A workbook from the page: received under a name the server makes, capped, and read
with the command line's own checks (`placeopt validate`), so the page shows exactly the
errors and warnings the terminal would, each with its sheet and cell.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from ..problems import InputError, Problem
from ..workbook.xlsx import MAX_FILE_BYTES, _size
from .runs import RunStore

FORM_OVERHEAD = 2**20  # the multipart envelope and the form's other fields


class Refused(Exception):
    """A request the server answers with `status` and these problems, not a run."""

    def __init__(self, status: int, problems: list[Problem], warnings: list[Problem] = ()):
        super().__init__(status)
        self.status, self.problems, self.warnings = status, list(problems), list(warnings)

    def body(self) -> dict[str, Any]:
        return {"errors": [problem_json(p) for p in self.problems],
                "warnings": [problem_json(p) for p in self.warnings]}


def refuse(status: int, message: str, where: str = "request") -> Refused:
    return Refused(status, [Problem("error", where, message)])


def error_body(message: str, where: str = "request") -> dict[str, Any]:
    """The API's one shape for an answer that is not what was asked for."""
    return {"errors": [problem_json(Problem("error", where, message))]}


_CELL = re.compile(r"(?P<sheet>.+)!(?P<cell>[A-Z]*\d*(?::[A-Z]*\d*)?)")
_ROW = re.compile(r"(?P<sheet>.+) row (?P<row>\d+)")


def located(where: str) -> tuple[str | None, str | None]:
    """A problem's place as (sheet, cell): 'Providers!F12' -> (Providers, F12); "'My
    sheet'!A1" -> (My sheet, A1); 'Demand row 7' -> (Demand, row 7); the workbook as a
    whole, or the request -> (None, None)."""
    if where in ("workbook", "request"):
        return None, None
    if found := _CELL.fullmatch(where):
        sheet = found["sheet"]
        if sheet.startswith("'") and sheet.endswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
        return sheet, found["cell"]
    if found := _ROW.fullmatch(where):
        return found["sheet"], f"row {found['row']}"
    return where, None


def problem_json(problem: Problem) -> dict[str, Any]:
    """A problem for the page: every field of the Problem as validation made it, plus its
    sheet and cell, and how many times the message stands for (as the command line
    says it: "(41 times)"; 1 for the line that counts the rest of a family)."""
    sheet, cell = located(problem.where)
    return {**dataclasses.asdict(problem), "sheet": sheet, "cell": cell,
            "times": 1 if problem.is_tally else problem.count}


@dataclass
class Upload:
    """The form of a request, with its workbook (if any) stored under a server-made path."""

    fields: dict[str, str]
    path: Path | None
    name: str  # the planner's file name: shown, never a path


async def receive(request: Request, store: RunStore) -> Upload:
    """Read a multipart form, its `workbook` file into the data folder's incoming files.
    Too large: 413; no length given: 411 (the cap is checked before reading)."""
    from starlette.concurrency import run_in_threadpool

    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise refuse(411, "send the workbook with its length (Content-Length)")
    if int(length) > MAX_FILE_BYTES + FORM_OVERHEAD:
        raise refuse(413, f"the file is too large ({_size(int(length))}); the limit is "
                     f"{_size(MAX_FILE_BYTES)} (is this really the planning workbook?)")
    form = await request.form(max_files=1, max_fields=20)
    try:
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        upload = form.get("workbook")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return Upload(fields, None, "")
        path = store.incoming_file()
        try:
            await run_in_threadpool(_copy, upload, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Upload(fields, path, Path(upload.filename.replace("\\", "/")).name[:200])
    finally:
        await form.close()


def _copy(upload: UploadFile, path: Path) -> None:
    upload.file.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)


@dataclass(frozen=True)
class Checked:
    """A workbook that `placeopt validate` accepts: its warnings, what it holds, and its
    scenarios."""

    warnings: list[Problem]
    notes: list[str]
    scenarios: list[str]

    def body(self) -> dict[str, Any]:
        return {"errors": [], "warnings": [problem_json(p) for p in self.warnings],
                "notes": self.notes, "scenarios": self.scenarios}


def check(path: Path) -> Checked:
    """`placeopt validate` on a stored upload; Refused (415: not a workbook at all, 422:
    a workbook with errors) when it is not accepted. Slow: call it in a thread."""
    from ..case import check_workbook
    from ..workbook.reader import read_workbook
    from ..workbook.scenarios import scenario_names

    try:
        base = read_workbook(path)
        warnings, notes = check_workbook(base)
    except InputError as exc:
        raise refused_workbook(exc, path) from None
    return Checked(_the_workbook(warnings, path), notes, scenario_names(base))


def check_for_forecast(path: Path) -> None:
    """The checks `placeopt forecast project --workbook` makes before it writes a copy."""
    from ..forecast.sheets import check_copyable, read_frame

    try:
        check_copyable(path)
        read_frame(path)
    except InputError as exc:
        raise refused_workbook(exc, path) from None


def refused_workbook(exc: InputError, path: Path) -> Refused:
    """415 when the file is no workbook at all (its problems are the file's own), else 422."""
    whole_file = all(p.where == path.name for p in exc.errors)
    problems = _the_workbook(exc.problems, path)
    return Refused(415 if whole_file else 422, [p for p in problems if p.level == "error"],
                   [p for p in problems if p.level != "error"])


def _the_workbook(problems: list[Problem], path: Path) -> list[Problem]:
    """Problems of the file itself name the server's name for it: say 'workbook'."""
    return [dataclasses.replace(p, where="workbook") if p.where == path.name else p
            for p in problems]
