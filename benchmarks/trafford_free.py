"""Trafford with every option free to open in any year of the horizon (issue 10's case).

    python benchmarks/trafford_free.py benchmarks/out/trafford_free.xlsx

The worked example narrows each option's opening window; here every option may open in
any year 2026-2034 (earliest_year = first_year + 1, latest_year = the last year), so the
timing of the whole programme is the model's choice.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent


def write(out: str | Path, source: str | Path = HERE.parent / "models" / "trafford.xlsx",
          earliest: int = 2026, latest: int = 2034) -> Path:
    book = openpyxl.load_workbook(source)
    sheet = book["Expansions"]
    header = [cell.value for cell in sheet[1]]
    first, last = header.index("earliest_year") + 1, header.index("latest_year") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 1).value is None:
            continue
        sheet.cell(row, first).value = earliest
        sheet.cell(row, last).value = latest
    book.save(out)
    return Path(out)


if __name__ == "__main__":
    print(write(sys.argv[1]))
