"""Validated inputs: the workbook's tables, typed, with where each value came from."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..problems import Problem, sheet_ref
from .schema import DEFAULT_NEEDS, DEFAULT_SUITABILITY


@dataclass
class Source:
    """Where the inputs came from, so every message and result can point back to it."""

    path: Path
    sha256: str
    titles: dict[str, str] = field(default_factory=dict)  # sheet name -> title in the file
    letters: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> column -> letter

    def has_column(self, sheet: str, column: str) -> bool:
        """Was the sheet read, with this column among its headers?"""
        return column in self.letters.get(sheet, {})

    def cell(self, sheet: str, column: str | None, row: int | None) -> str:
        """'Providers!F12', or 'Providers row 12' when the column is not in the file."""
        title = sheet_ref(self.titles.get(sheet, sheet))
        letter = self.letters.get(sheet, {}).get(column or "")
        if row is None:
            return f"{title}!{letter}1" if letter else title
        return f"{title}!{letter}{row}" if letter else f"{title} row {row}"


@dataclass
class Inputs:
    """Everything the workbook says, after reading and checking.

    `tables` holds one DataFrame per sheet (Demand in long form: one row per group and
    year), with the schema's column names and a `_row` column holding the Excel row.
    """

    params: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    source: Source
    scenario: str = "base"
    warnings: list[Problem] = field(default_factory=list)
    # Demand and Budget as the workbook gives them, before they are cut to the planning
    # years: a scenario that moves the years starts again from these.
    untrimmed: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        first = int(self.params["first_year"])
        return list(range(first, first + int(self.params["horizon_years"])))

    @property
    def needs(self) -> dict[str, str]:
        table = self.tables.get("Needs")
        if table is None or table.empty:
            return dict(DEFAULT_NEEDS)
        return {code: name if isinstance(name, str) else ""
                for code, name in zip(table["need"], table["name"], strict=True)
                if isinstance(code, str)}

    @property
    def suitability(self) -> dict[str, tuple[str, ...]]:
        levels = dict(DEFAULT_SUITABILITY)
        table = self.tables.get("Suitability")
        if table is not None:
            levels.update(dict(zip(table["provision"], table["types"], strict=True)))
        return levels

    def table(self, sheet: str) -> pd.DataFrame:
        return self.tables[sheet]

    def copy(self) -> Inputs:
        return Inputs(
            params=dict(self.params),
            tables={name: df.copy() for name, df in self.tables.items()},
            source=copy.deepcopy(self.source),
            scenario=self.scenario,
            warnings=list(self.warnings),
            untrimmed=self.untrimmed,  # never changed in place: shared, not copied
        )
