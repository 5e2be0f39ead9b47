"""The result folder (SPEC §4): written atomically, read back for the reports.

A run's summary and tables become files here, and only here: `write_folder` stages them
in a temporary folder moved into place when complete, and `read_folder` reads them back
with ids kept as text. Text from the planner's workbook (names, ids) may start with `=`,
`+`, `-` or `@`: CSV files get `neutralise_formula`, the xlsx stores such text as text
(`excel.safe_cell_value`) and the HTML escapes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..problems import InputError, Problem

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = frozenset({"zone_id", "need", "phase", "provision", "provider_id",
                          "provider_type", "in_area", "option_id", "name", "built", "reason",
                          "case", "kind", "id", "type", "stream"})
REQUIRED_TABLES = ("placements", "expansions", "capacity", "unmet", "costs")
OPTIONAL_TABLES = ("baseline_placements", "locations", "funding")
def neutralise_formula(text: str) -> str:
    """Text that a spreadsheet would run as a formula, made inert for a CSV file.

    OWASP's advice for CSV injection: a cell starting with = + - @ (or a tab or carriage
    return, which some programs skip before looking) gets a leading single quote, which
    spreadsheet programs show as text. Anything else is returned unchanged. Apply it to
    text cells only: a number such as -5 is not text and must stay a number.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def neutralise_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of `table` with `neutralise_formula` applied to every text cell."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(
                lambda v: neutralise_formula(v) if isinstance(v, str) else v)
    return out


@dataclass(frozen=True)
class ResultFolder:
    """The files of one result folder (SPEC §4), as read back from disk."""

    folder: Path
    summary: dict[str, Any]
    placements: pd.DataFrame
    expansions: pd.DataFrame
    capacity: pd.DataFrame
    unmet: pd.DataFrame
    costs: pd.DataFrame
    baseline_placements: pd.DataFrame | None = None  # optional: baseline_placements.csv
    locations: pd.DataFrame | None = None  # optional: locations.csv
    funding: pd.DataFrame | None = None  # optional: funding.csv (which stream paid)

    @property
    def years(self) -> list[int]:
        return [int(y) for y in self.summary["years"]]

    @property
    def last_year(self) -> int:
        return self.years[-1]

    @property
    def options(self) -> dict[str, Any]:
        return self.summary.get("provenance", {}).get("options", {})

    @property
    def discount_rate(self) -> float:
        return float(self.options.get("discount_rate", 0.0))

    @property
    def home_la(self) -> str:
        return str(self.options.get("home_la") or "")

    def provider_names(self) -> dict[str, str]:
        """provider_id -> name, from locations.csv, else expansions.csv (new sites)."""
        names = dict(zip(self.expansions["option_id"], self.expansions["name"], strict=True))
        if self.locations is not None:
            providers = self.locations[self.locations["kind"] == "provider"]
            names.update(zip(providers["id"], providers["name"], strict=True))
        return names


def _missing(folder: Path, name: str) -> InputError:
    return InputError([Problem("error", str(folder), f"{name} is missing: is this a placeopt "
                               "result folder? (run placeopt run first)")])


def read_table(folder: Path, name: str) -> pd.DataFrame | None:
    """One CSV of the folder, ids kept as text ('007' stays '007'), None if absent."""
    path = folder / f"{name}.csv"
    if not path.exists():
        return None
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in table.columns:
        if column not in TEXT_COLUMNS:
            table[column] = pd.to_numeric(table[column].replace("", np.nan))
    return table


def read_folder(folder: str | Path) -> ResultFolder:
    """Read summary.json and the CSVs of a result folder; InputError if any is missing."""
    folder = Path(folder)
    if not (folder / "summary.json").exists():
        raise _missing(folder, "summary.json")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    tables: dict[str, pd.DataFrame | None] = {}
    for name in REQUIRED_TABLES:
        tables[name] = read_table(folder, name)
        if tables[name] is None:
            raise _missing(folder, f"{name}.csv")
    for name in OPTIONAL_TABLES:
        tables[name] = read_table(folder, name)
    return ResultFolder(folder, summary, **tables)


@contextlib.contextmanager
def staged(folder: str | Path) -> Iterator[Path]:
    """A temporary folder beside `folder`, moved into its place only if the block ends
    without an error: a failed run never leaves half a result folder."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield staging
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.replace(folder, retired / folder.name)
            os.replace(staging, folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_files(folder: Path, summary: dict[str, Any],
                tables: Mapping[str, pd.DataFrame]) -> None:
    """summary.json and one CSV per table, into an existing folder."""
    with (folder / "summary.json").open("w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2, default=_json_default)
    for name, table in tables.items():
        neutralise_table(table).to_csv(folder / f"{name}.csv", index=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
