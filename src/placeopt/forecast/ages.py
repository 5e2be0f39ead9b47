"""SEN2's ages and the workbook's phases: which age is in which phase.

SEN2 gives single years of age at 31 August before the January count (the data show it:
SEN units stop at 10 and FE starts at 16), except "under 3", which is age band 2 here.
"""

from __future__ import annotations

AGES: tuple[int, ...] = tuple(range(2, 26))
PHASE_AGES: dict[str, tuple[int, int]] = {
    "early_years": (0, 3), "primary": (4, 10), "secondary": (11, 15), "post16": (16, 18),
    "post19": (19, 25),
}


def phase_of_age(age: int) -> str:
    return next(p for p, (low, high) in PHASE_AGES.items() if low <= age <= high)


def age_label(age: int) -> str:
    return "under 3" if age == AGES[0] else str(age)
