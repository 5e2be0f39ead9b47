"""The business-case views of a result folder: report.xlsx and report.html.

Reports read result folders (`folder`) and know nothing of the model or the terminal.
"""

from __future__ import annotations

import os
from pathlib import Path

from .folder import (
    FRONTIER_MARKER,
    FolderRefused,
    IncompleteFolder,
    NoPlan,
    ResultFolder,
    check_replaceable,
    read_folder,
    staged,
    write_files,
)

__all__ = ["FRONTIER_MARKER", "FolderRefused", "IncompleteFolder", "NoPlan", "ResultFolder",
           "check_replaceable", "read_folder", "staged", "try_write_reports", "write_files",
           "write_reports"]


def write_reports(folder: str | Path) -> None:
    """Write report.xlsx and report.html into a result folder, from its files alone.

    Both are written under temporary names first and renamed only when both are done, so
    rebuilding the reports of an old run never leaves one new and one old, or half a file.
    """
    from .excel import write_xlsx  # the writers import matplotlib: only when writing
    from .html import write_html

    data = read_folder(folder)
    done: list[tuple[Path, Path]] = []
    try:
        for name, write in (("report.xlsx", write_xlsx), ("report.html", write_html)):
            target = data.folder / name
            partial = target.with_name(f".{name}.partial")
            done.append((partial, target))
            write(data, partial)
    except BaseException:
        for partial, _ in done:
            partial.unlink(missing_ok=True)
        raise
    for partial, target in done:
        os.replace(partial, target)


def try_write_reports(folder: str | Path) -> str | None:
    """Write the reports of a freshly written result folder; None if done, else why not.

    A solved run never loses its results to a report (SPEC §4): the caller keeps the
    folder and shows this as a warning. Only a fault of placeopt's can land here (the
    folder was just written by placeopt), so the warning says so. Ctrl-C still stops.
    """
    try:
        write_reports(folder)
    except Exception as exc:  # any fault: the results must survive it
        return (f"the reports (report.xlsx, report.html) could not be written "
                f"({type(exc).__name__}: {exc}). summary.json and the CSV tables are "
                "complete. This is a fault in placeopt: please report it; `placeopt report` "
                "on this folder writes the reports again.")
    return None
