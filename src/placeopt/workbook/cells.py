"""Reading one cell value into its declared kind.

A planner types "Yes", "y" or TRUE; a number arrives as 12, 12.0 or " 12 "; a list as
"ASD; SEMH". These functions accept what a planner would reasonably type and say what was
expected when they can't.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from .schema import NO_WORDS, YES_WORDS, Column, Kind

ALL = "all"


class CellError(ValueError):
    """A value that does not fit its column; the message says what was expected."""


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def show(value: Any) -> str:
    """The value as the planner would recognise it in a message."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows it
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(
            sep=" ", timespec="minutes")
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _simplify(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text.lower())


# A number as Python writes it: what a cell formatted as text holds when typed plainly.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# A number as a planner writes it in words: '£12,000', '45 mins', '3.5%', '12 places'.
_WRITTEN_NUMBER = re.compile(
    r"(?P<sign>[+-]?)\s*(?P<pound>£?)\s*"
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"\s*(?P<suffix>%|[A-Za-z][A-Za-z/ ]*)?")
# The words a unit may be written with after a number (a column's unit -> its words).
UNIT_WORDS: dict[str, frozenset[str]] = {
    "minutes": frozenset({"minutes", "minute", "mins", "min"}),
    "km": frozenset({"km", "kms", "kilometres", "kilometers"}),
    "places": frozenset({"places", "place"}),
    "pupils": frozenset({"pupils", "pupil"}),
    "years": frozenset({"years", "year", "yrs"}),
    "days": frozenset({"days", "day"}),
    "trips": frozenset({"trips", "trip"}),
    "km/h": frozenset({"km/h", "kmh", "kph"}),
}


def _is_money(unit: str) -> bool:
    return unit.startswith("£")


def to_number(value: Any, unit: str = "") -> float:
    """The number in a cell; text is read as a planner writes it in the column's unit."""
    return read_number(value, unit)[0]


def read_number(value: Any, unit: str = "") -> tuple[float, bool]:
    """(the number, whether it was written as text with a £, commas, % or a unit word).

    Only what cannot be misread is accepted: '£' in a money column, '%' in a fraction
    column, thousands grouped by commas ('12,000', never '1,5'), and the words of the
    column's own unit ('45 mins' for minutes). Anything else raises CellError.
    """
    if isinstance(value, bool):
        raise CellError("not TRUE/FALSE")
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        raise CellError("not a date or time (check the cell's format)")
    if isinstance(value, int | float):
        number, written = float(value), False
    elif isinstance(value, str):
        number, written = _read_written(value.strip(), unit)
    else:
        raise CellError("")
    if not math.isfinite(number):
        raise CellError("not infinity")
    return number, written


def _read_written(text: str, unit: str) -> tuple[float, bool]:
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text), False
    match = _WRITTEN_NUMBER.fullmatch(text)
    if match is None:
        raise CellError("with commas only between thousands, as in 12,000" if "," in text
                        else "")
    number = float(match["digits"].replace(",", ""))
    if match["sign"] == "-":
        number = -number
    suffix = (match["suffix"] or "").strip().lower()
    if match["pound"] and not _is_money(unit):
        raise CellError(f"in {unit}, not pounds" if unit else "not an amount in pounds")
    if suffix == "%":
        if unit != "fraction":
            raise CellError("not a percentage")
        return number / 100, True
    if suffix and suffix not in UNIT_WORDS.get(unit, ()):
        if _is_money(unit):
            raise CellError("in whole pounds, e.g. 1200000 for £1.2m")
        raise CellError(f"in {unit}" if unit else "without a unit")
    return number, True


def to_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # ids typed as numbers: 100023.0 -> "100023"
    if isinstance(value, dt.datetime | dt.date):
        raise CellError("text, not a date")
    return str(value).strip()


def to_yesno(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
    raise CellError("yes or no (y/n, true/false, 1/0)")


def to_list(value: Any) -> tuple[str, ...] | str:
    """'a; b, c' -> ('a', 'b', 'c'); 'all' -> ALL."""
    text = to_text(value)
    items = [item.strip() for item in re.split(r"[;,]", text) if item.strip()]
    if not items:
        raise CellError("a list of values separated by ';', or 'all'")
    if any(item.lower() == ALL for item in items):
        return ALL
    return tuple(items)


def match_choice(text: str, choices: tuple[str, ...]) -> str | None:
    """The choice that `text` names, ignoring case, spaces, '-' and '_'; None if none."""
    wanted = _simplify(text)
    for choice in choices:
        if _simplify(choice) == wanted:
            return choice
    return None


@dataclass(frozen=True)
class Reading:
    """A cell's typed value, and how it was understood when it was not typed plainly."""

    value: Any
    note: str | None = None  # e.g. "text '£12,000' read as the number 12000"


def parse_cell(column: Column, value: Any) -> Any:
    """The typed value of a non-blank cell, or CellError saying what was expected."""
    return read_cell(column, value).value


def read_cell(column: Column, value: Any) -> Reading:
    """The typed value of a non-blank cell with a note if it was read from words, or
    CellError saying what was expected."""
    kind = column.kind
    if kind is Kind.TEXT:
        return Reading(to_text(value))
    if kind is Kind.YESNO:
        return Reading(to_yesno(value))
    if kind is Kind.LIST:
        return Reading(to_list(value))
    if kind is Kind.CHOICE:
        found = match_choice(to_text(value), column.choices or ())
        if found is None:
            raise CellError(column.describe_expected())
        return Reading(found)
    year = _academic_year(column, value)
    if year is not None:
        return Reading(year, f"{show(value)} read as the year {year}")
    try:
        number, written = read_number(value, column.unit)
    except CellError as exc:
        hint = str(exc)
        raise CellError(column.describe_expected() + (f", {hint}" if hint else "")) from None
    if kind is Kind.INTEGER:
        if not number.is_integer():
            raise CellError(column.describe_expected())
        number = int(number)
    if (
        (column.minimum is not None and number < column.minimum)
        or (column.maximum is not None and number > column.maximum)
        or (column.above is not None and number <= column.above)
    ):
        raise CellError(column.describe_expected())
    note = f"text {show(value)} read as the number {show(float(number))}" if written else None
    return Reading(number, note)


def _academic_year(column: Column, value: Any) -> int | None:
    """'2026/27' in a year column is 2026 (SPEC: a year is named by its start)."""
    if column.unit != "year" or not isinstance(value, str) or _PLAIN_NUMBER.fullmatch(
            value.strip()):
        return None
    return year_header(value)


def default_of(column: Column) -> Any:
    """The value a blank cell takes (a list column's default is one item, or ALL)."""
    if column.kind is Kind.LIST and isinstance(column.default, str):
        return ALL if column.default == ALL else (column.default,)
    return column.default


_ACADEMIC_YEAR = re.compile(r"(\d{4})\s*[/-]\s*(\d{2}|\d{4})")


def year_header(value: Any) -> int | None:
    """A Demand header that names a year: 2026, 2026.0, '2026', or '2026/27' (= 2026)."""
    if isinstance(value, bool):
        return None
    text = str(value).strip()
    academic = _ACADEMIC_YEAR.fullmatch(text)
    if academic:
        start, end = int(academic.group(1)), int(academic.group(2))
        if end % 100 == (start + 1) % 100 and (end < 100 or end == start + 1):
            return start if 1900 <= start <= 2300 else None
        return None
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() and 1900 <= number <= 2300 else None
