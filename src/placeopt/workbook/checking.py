"""What the cross-table checks share: where a value is, whether a cell is blank, codes
and lists put in canonical form, capital streams and opening years checked.

`validation` holds the checks of the sheets it has always checked; `inclusion_checks` the
Inclusion sheet's. Both use these helpers, so a code, a list, a funding stream or a
window of years is judged and reported the same way on every sheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..problems import Problems
from .cells import ALL
from .inputs import Inputs
from .schema import CAPITAL, RING_FENCED


def where(inputs: Inputs, sheet: str, column: str | None, row: Any) -> str:
    return inputs.source.cell(sheet, column, None if row is None else int(row))


def tables(inputs: Inputs, *sheets: str) -> Iterable[tuple[str, pd.DataFrame]]:
    for sheet in sheets:
        table = inputs.tables.get(sheet)
        if table is not None and not table.empty:
            yield sheet, table


def blank(value: Any) -> bool:
    """None or NaN (pandas stores a blank text cell as either)."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def listing(values: Iterable[str], limit: int = 15) -> str:
    values = list(values)
    shown = ", ".join(values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


# Known codes by their lower case, or None when the sheet that defines them (or its key
# column) is missing: the missing sheet is the error then, not every code that names it.
Known = dict[str, str] | None


def defined_by(inputs: Inputs, sheet: str, column: str) -> bool:
    """Can the codes of an optional defining sheet be known? Not if the sheet is in the
    file but could not be read, or lacks its key column."""
    return sheet not in inputs.source.titles or inputs.source.has_column(sheet, column)


def canonical_needs(inputs: Inputs) -> Known:
    if not defined_by(inputs, "Needs", "need"):
        return None
    return {code.lower(): code for code in inputs.needs if isinstance(code, str)}


def provision_levels(inputs: Inputs) -> Known:
    """The provision levels (Suitability's and the defaults), or None if Suitability is in
    the file but cannot be read."""
    if not defined_by(inputs, "Suitability", "provision"):
        return None
    return {level.lower(): level for level in inputs.suitability if isinstance(level, str)}


def ids(inputs: Inputs, sheet: str, column: str) -> Known:
    """The ids a required sheet defines; None if the sheet or its id column is missing."""
    table = inputs.tables.get(sheet)
    if table is None or not inputs.source.has_column(sheet, column):
        return None
    return {str(i).lower(): i for i in table[column].dropna()}


def check_codes(inputs: Inputs, problems: Problems, sheet: str, column: str,
                known: Known, what: str, blank_ok: bool = False) -> None:
    """Replace each code by its canonical spelling; report the unknown ones."""
    table = inputs.tables.get(sheet)
    if table is None or table.empty or known is None:
        return
    values = table[column].astype(object)
    empty = values.map(blank).astype(bool)
    # a blank required cell was reported when it was read (blank_ok: blank = all)
    canonical = {}
    for value in pd.unique(values[~empty]):  # each distinct code once: Demand is long
        canonical[value] = known.get(str(value).lower())
    unknown = [v for v, match in canonical.items() if match is None]
    if unknown:
        bad = values.isin(unknown) & ~empty
        reported = set()
        for row, value in zip(table.loc[bad, "_row"], values[bad], strict=True):
            if row not in reported:
                reported.add(row)
                problems.error(where(inputs, sheet, column, row), f"unknown {what} "
                               f"{value!r}; expected one of {listing(known.values())}")
    result = [None if b else canonical.get(v) or v for v, b in zip(values, empty, strict=True)]
    table[column] = pd.Series(result, index=table.index, dtype=object)


def check_lists(inputs: Inputs, problems: Problems, sheet: str, column: str,
                known: Known, what: str) -> None:
    """Each list's items in canonical spelling (ALL kept); unknown items reported."""
    table = inputs.tables.get(sheet)
    if table is None or table.empty or known is None:
        return
    result = []
    for row, items in zip(table["_row"], table[column], strict=True):
        if items == ALL or items is None:
            result.append(ALL)
            continue
        found = []
        for item in items:
            match = known.get(str(item).lower())
            if match is None:
                problems.error(where(inputs, sheet, column, row), f"unknown {what} {item!r}; "
                               f"expected {listing(known.values())} or all")
            else:
                found.append(match)
        result.append(tuple(found))
    table[column] = pd.Series(result, index=table.index, dtype=object)


def check_distinct_ids(inputs: Inputs, problems: Problems, sheet: str, column: str,
                       taken: dict[str, Known]) -> None:
    """The ids of `sheet` must differ from those of every sheet in `taken` (what -> ids)."""
    table = inputs.tables.get(sheet)
    if table is None or table.empty:
        return
    for row, value in zip(table["_row"], table[column], strict=True):
        if blank(value):
            continue
        for what, known in taken.items():
            if known is not None and str(value).lower() in known:
                problems.error(where(inputs, sheet, column, row),
                               f"{column} {value!r} is also a {what}; {column}s must be "
                               f"distinct from every {what}")


def canonical_stream(stream: Any) -> Any:
    """A Budget stream or funding item as compared: lower case, no spaces around ':'."""
    if not isinstance(stream, str):
        return stream
    return re.sub(r"\s*:\s*", ":", stream.strip().lower())


def budget_streams(inputs: Inputs) -> tuple[set[str], set[str]]:
    """Every stream of the Budget sheet, and the ring-fenced capital ones among them."""
    budget = inputs.tables.get("Budget")
    streams = set() if budget is None or budget.empty else set(budget["stream"].dropna())
    ring_fenced = {s for s in streams if isinstance(s, str) and s.startswith(RING_FENCED)
                   and s != RING_FENCED}
    return streams, ring_fenced


def check_funding_lists(inputs: Inputs, problems: Problems, sheet: str,
                        ring_fenced: set[str]) -> None:
    """Each row's `funding` names capital streams: capital, or a capital:NAME with rows in
    the Budget sheet (SPEC §1). Items are put in canonical form; `all` means every one."""
    table = inputs.tables[sheet]
    canonical: list[Any] = []
    for row, funding in zip(table["_row"], table["funding"], strict=True):
        if funding == ALL or funding is None:
            canonical.append(ALL)
            continue
        found = []
        for item in funding:
            name = canonical_stream(item)
            if name == CAPITAL or name in ring_fenced:
                found.append(name)
            elif name.startswith(RING_FENCED) and name != RING_FENCED:
                problems.error(where(inputs, sheet, "funding", row),
                               f"funding stream {name!r} has no rows in the Budget sheet "
                               f"within the planning years: add its capital there (year, "
                               f"stream {name}, amount), or take it out of funding")
            else:
                problems.error(where(inputs, sheet, "funding", row),
                               f"unknown funding stream {item!r}; expected capital or a "
                               "ring-fenced stream of the Budget sheet"
                               + (f" ({listing(sorted(ring_fenced))})" if ring_fenced
                                  else " written capital:NAME"))
        canonical.append(tuple(dict.fromkeys(found)))
    table["funding"] = pd.Series(canonical, index=table.index, dtype=object)


@dataclass(frozen=True)
class Decision:
    """How a sheet of decisions with a window of years is spoken of in messages."""

    sheet: str  # "Expansions"
    key: str  # "option_id"
    noun: str  # "option"
    verb: str  # "open"
    never: str  # "it is never built"


OPTION = Decision("Expansions", "option_id", "option", "open", "it is never built")
MEASURE = Decision("Inclusion", "measure_id", "measure", "start", "it is never funded")


def check_window(inputs: Inputs, problems: Problems, record: dict[str, Any], first: int,
                 last: int, decision: Decision) -> None:
    """earliest_year <= latest_year, and a window that meets the planning years (a
    required option or measure must be able to open; any other is warned about)."""
    row = record["_row"]
    earliest = None if blank(record["earliest_year"]) else int(record["earliest_year"])
    latest = None if blank(record["latest_year"]) else int(record["latest_year"])
    if earliest is not None and latest is not None and earliest > latest:
        problems.error(where(inputs, decision.sheet, "latest_year", row),
                       f"latest_year {latest} is before earliest_year {earliest}")
        return
    if earliest is not None and earliest > last:
        column, span = "earliest_year", f"{earliest}" + (
            f"-{latest}" if latest is not None else " or later")
    elif latest is not None and latest < first:
        column, span = "latest_year", (f"{earliest}-{latest}" if earliest is not None
                                       else f"{latest} or earlier")
    else:
        return
    message = (f"{decision.noun} {record[decision.key]} can only {decision.verb} in {span}, "
               f"outside the planning years {first}-{last}")
    if record["required"]:
        problems.error(where(inputs, decision.sheet, column, row), message + f"; a required "
                       f"{decision.noun} must be able to {decision.verb}")
    else:
        problems.warn(where(inputs, decision.sheet, column, row), message + "; "
                      + decision.never)
