"""Reading one cell value into its declared kind.

A planner types "Yes", "y" or TRUE; a number arrives as 12, 12.0 or " 12 "; a list as
"ASD; SEMH". These functions accept what a planner would reasonably type and say what was
expected when they can't.
"""

from __future__ import annotations

import datetime as dt
import math
import re
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
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _simplify(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text.lower())


def to_number(value: Any) -> float:
    if isinstance(value, bool):
        raise CellError("a number, not TRUE/FALSE")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("£", "")
        percent = text.endswith("%")
        try:
            number = float(text.rstrip("%").strip())
        except ValueError:
            raise CellError("a number") from None
        if percent:
            number /= 100
    elif isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        raise CellError("a number, not a date or time (check the cell's format)")
    else:
        raise CellError("a number")
    if not math.isfinite(number):
        raise CellError("a finite number")
    return number


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


def parse_cell(column: Column, value: Any) -> Any:
    """The typed value of a non-blank cell, or CellError saying what was expected."""
    kind = column.kind
    if kind is Kind.TEXT:
        return to_text(value)
    if kind is Kind.YESNO:
        return to_yesno(value)
    if kind is Kind.LIST:
        return to_list(value)
    if kind is Kind.CHOICE:
        found = match_choice(to_text(value), column.choices or ())
        if found is None:
            raise CellError(column.describe_expected())
        return found
    number = to_number(value)
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
    return number


def default_of(column: Column) -> Any:
    """The value a blank cell takes."""
    if column.kind is Kind.LIST and column.default == ALL:
        return ALL
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
