"""The workbook reference page (docs/workbook.md), written from the schema.

Regenerate with:  python -m placeopt.workbook.docs > docs/workbook.md
A test checks the page in the repository is what this writes.
"""

from __future__ import annotations

from .schema import PARAMETERS, SHEETS, Column


def _default(column: Column) -> str:
    if column.required:
        return "required"
    value = column.default
    if value is None or value == "":
        return "blank"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _row(column: Column) -> str:
    cells = (f"`{column.name}`", column.describe_expected(), column.unit or "",
             _default(column), column.help.replace("|", "\\|"))
    return "| " + " | ".join(cells) + " |"


def workbook_markdown() -> str:
    lines = [
        "# The planning workbook, sheet by sheet",
        "",
        "Written by `python -m placeopt.workbook.docs` from the schema that the template",
        "writer and the reader also use (`src/placeopt/workbook/schema.py`); do not edit",
        "by hand.",
        "Headers are matched ignoring case and surrounding spaces, with spaces and",
        "underscores alike. Money is in pounds at constant prices, distances in km, times",
        "in one-way minutes. Yes/no cells take yes/no, y/n, true/false, 1/0. Lists are",
        "separated by `;` (or `,`); `all` means every value.",
        "",
        "The file is opened read-only and never changed. placeopt refuses, with a message",
        "saying why: anything that is not an .xlsx (.xls, .csv, .ods, password-protected",
        "files), a damaged or truncated file, a file over 100 MiB, one that unpacks to",
        "more than 1 GiB, or any part of it compressed 500-fold or more (a zip bomb).",
        "Formulas are never evaluated: the values Excel last calculated are used, and a",
        "formula with no calculated value is an error naming its cell.",
        "",
        "A number typed as text is read when it cannot be misread: `£12,000` in a money",
        "column, `3.5%` in a fraction column, `45 mins` in a minutes column, thousands",
        "grouped by commas; each such cell is named in a warning. Anything else (`1,5`,",
        "`£5` for places, a date where a number belongs, `TBC`) is an error naming the",
        "cell. Hidden rows and columns are read like any other (with a warning), values in",
        "a column without a header are not (with a warning), and merged header cells or",
        "headers below row 1 are an error.",
        "",
    ]
    header = ["| column | expected | unit | default | meaning |", "|---|---|---|---|---|"]
    for sheet in sorted(SHEETS, key=lambda s: s.fill_order):
        lines += [f"## {sheet.name} ({'required' if sheet.required else 'optional'})", "",
                  sheet.purpose, ""]
        if sheet.name == "Parameters":
            lines += ["Columns `parameter`, `value` (and an unread `description`). The "
                      "parameters:", ""]
            lines += header + [_row(p) for p in PARAMETERS] + [""]
            lines.append("An unknown parameter name is an error.")
            lines.append("")
            continue
        lines += header + [_row(c) for c in sheet.columns] + [""]
        lines += list(sheet.notes) + ([""] if sheet.notes else [])
        if sheet.required:
            lines += [f"The sheet needs at least one {sheet.record}.", ""]
        lines += [f"Without a `{c.name}` column, {c.if_absent}; a warning says so." + "\n"
                  for c in sheet.columns if c.if_absent]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(workbook_markdown(), end="")
