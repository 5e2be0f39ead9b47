"""The business-case views of a result folder: report.xlsx and report.html.

Reports read result folders (`folder`) and know nothing of the model or the terminal.
"""

from __future__ import annotations

import os
from pathlib import Path

from .excel import write_xlsx
from .folder import ResultFolder, read_folder, staged, write_files
from .html import write_html

__all__ = ["ResultFolder", "read_folder", "staged", "write_files", "write_reports"]


def write_reports(folder: str | Path) -> None:
    """Write report.xlsx and report.html into a result folder, from its files alone.

    Both are written under temporary names first and renamed only when both are done, so
    rebuilding the reports of an old run never leaves one new and one old, or half a file.
    """
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
