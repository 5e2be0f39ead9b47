"""The result folder (SPEC §4): written atomically, read back for the reports.

A run's summary and tables become files here, and only here: `write_files` writes them
into a folder that `staged` moves into place when complete (replacing only an earlier
folder of the same kind, never other files), and `read_folder` reads them back with ids
kept as text. Text from the planner's workbook (names, ids) may start with `=`,
`+`, `-` or `@`: CSV files get `neutralise_formula`, the xlsx stores such text as text
(`excel.safe_cell_value`) and the HTML escapes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = frozenset({"zone_id", "need", "phase", "provision", "provider_id",
                          "provider_type", "in_area", "option_id", "name", "built", "reason",
                          "case", "kind", "id", "type", "geometry", "source",
                          "stream", "measure_id", "running"})
REQUIRED_TABLES = ("placements", "expansions", "capacity", "unmet", "costs")
OPTIONAL_TABLES = ("baseline_placements", "locations", "boundaries", "funding", "inclusion")
RESULT_MARKER = "summary.json"  # every result folder has one (SPEC §4)
FRONTIER_MARKER = "frontier.csv"  # every frontier folder has one
KINDS = {RESULT_MARKER: "result folder", FRONTIER_MARKER: "frontier folder"}
PLAN_STATUSES = ("optimal", "time_limit")  # a plan, proved optimal or the best found
NO_PLAN_STATUSES = ("infeasible", "error")  # never a plan, whatever files are there


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
    boundaries: pd.DataFrame | None = None  # optional: boundaries.csv (zone outlines)
    funding: pd.DataFrame | None = None  # optional: funding.csv (which stream paid)
    inclusion: pd.DataFrame | None = None  # optional: inclusion.csv (inclusion measures)

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


class FolderRefused(Exception):
    """A folder placeopt will not write into or read as results: a usage error (exit 2)."""


class IncompleteFolder(Exception):
    """A result folder with a file missing or unreadable (exit 1)."""


class NoPlan(Exception):
    """The folder records a run that ended without a plan: infeasible, failed or
    interrupted before one was found (summary.json holds the status and explanation)."""

    def __init__(self, folder: Path, status: str, explanation: str):
        self.folder, self.status, self.explanation = folder, status, explanation
        super().__init__(f"{folder}: no plan to report: the run ended with status "
                         f"'{status}'" + (f": {explanation}" if explanation else "."))


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


def read_summary(folder: Path) -> dict[str, Any]:
    """summary.json of a result folder. FolderRefused when there is none (this is not a
    result folder), IncompleteFolder when it cannot be read."""
    path = folder / RESULT_MARKER
    if not path.is_file():
        raise FolderRefused(f"{folder} is not a placeopt result folder: it has no "
                            f"{RESULT_MARKER} (placeopt run writes one)")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IncompleteFolder(f"{path}: summary.json is not valid JSON ({exc})") from exc
    if not isinstance(summary, dict):
        raise IncompleteFolder(f"{path}: summary.json does not hold a summary object")
    return summary


def read_folder(folder: str | Path) -> ResultFolder:
    """Read summary.json and the CSVs of a result folder.

    FolderRefused if it is no result folder, NoPlan if its run ended without a plan (SPEC
    §4: an infeasible or failed solve writes summary.json alone), IncompleteFolder if a
    file of a plan is missing.
    """
    folder = Path(folder)
    summary = read_summary(folder)
    status = str(summary.get("status", ""))
    tables: dict[str, pd.DataFrame | None] = {
        name: read_table(folder, name) for name in REQUIRED_TABLES + OPTIONAL_TABLES}
    missing = [f"{name}.csv" for name in REQUIRED_TABLES if tables[name] is None]
    if "plan" not in summary:
        missing.insert(0, "the plan in summary.json")
    if status in NO_PLAN_STATUSES or (missing and status not in PLAN_STATUSES):
        raise NoPlan(folder, status or "unknown", str(summary.get("explanation") or ""))
    if missing:
        raise IncompleteFolder(f"{folder}: the result folder is incomplete: "
                               f"{', '.join(missing)} "
                               f"{'is' if len(missing) == 1 else 'are'} missing (run the "
                               "scenario again to rewrite it)")
    return ResultFolder(folder, summary, **tables)


# --- Writing: a folder replaces only an earlier folder of its kind ----------------------


def check_replaceable(folder: str | Path, marker: str = RESULT_MARKER) -> Path:
    """The absolute path of `folder` if placeopt may write it, else FolderRefused.

    A folder may be written when it does not exist, is empty, or holds `marker` (the file
    every folder of its kind has: summary.json for a result folder, frontier.csv for a
    frontier). Anything else holds files placeopt did not write, which a run must never
    delete; nor may it replace the folder the user is working in.
    """
    folder = Path(os.path.abspath(folder))
    kind = KINDS.get(marker, "placeopt output")
    here = Path.cwd()
    if folder == here or folder in here.parents:
        raise FolderRefused(f"{folder} is the current folder (or holds it): placeopt "
                            f"writes a {kind} as a folder of its own, replacing it whole; "
                            "give a new folder name")
    if not folder.exists() and not folder.is_symlink():
        return folder
    if not folder.is_dir():
        raise FolderRefused(f"{folder} exists and is not a folder")
    if any(folder.iterdir()) and not (folder / marker).is_file():
        raise FolderRefused(
            f"{folder} is not a placeopt {kind} (it has no {marker}) and is not empty: "
            f"placeopt replaces only an earlier {kind}, never other files; give a new "
            "folder name")
    return folder


@contextlib.contextmanager
def staged(folder: str | Path, marker: str = RESULT_MARKER) -> Iterator[Path]:
    """A temporary folder beside `folder`, moved into its place only if the block ends
    without an error: a failed run never leaves half a result folder.

    `folder` must be replaceable (`check_replaceable`), checked before the block and again
    before the move. An earlier folder is moved aside, then deleted once the new one is in
    place. Folders are made with the user's umask (not tempfile's 0700).
    """
    folder = check_replaceable(folder, marker)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = _new_folder(folder.parent, f".{folder.name}.partial")
    try:
        yield staging
        check_replaceable(folder, marker)
        if folder.exists():
            retired = _new_folder(folder.parent, f".{folder.name}.old")
            os.replace(folder, retired / folder.name)
            os.replace(staging, folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _new_folder(parent: Path, prefix: str) -> Path:
    """A new, uniquely named folder in `parent`, made with the user's umask."""
    while True:
        path = parent / f"{prefix}.{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


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
