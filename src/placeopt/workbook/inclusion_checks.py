"""The Inclusion sheet checked against the other tables (SPEC §1, Inclusion).

A measure names needs, phases and zones that must exist, two provision levels that must
differ, a level its diverted pupils need that some provider can meet, an evidence range
around its share, a window of years and capital streams: each is checked here, and put
in canonical form for the model (lists in the workbook's spelling).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..problems import Problems
from .cells import ALL
from .checking import (
    MEASURE,
    blank,
    budget_streams,
    canonical_needs,
    check_codes,
    check_distinct_ids,
    check_funding_lists,
    check_lists,
    check_window,
    ids,
    provision_levels,
    where,
)
from .inputs import Inputs
from .schema import PHASES

SHEET = "Inclusion"


def check_inclusion(inputs: Inputs, problems: Problems) -> None:
    """Every check of the Inclusion sheet, in the order a planner would fix them."""
    table = inputs.tables.get(SHEET)
    if table is None or table.empty:
        return
    _check_references(inputs, problems)
    check_distinct_ids(inputs, problems, SHEET, "measure_id",
                       {"provider_id": ids(inputs, "Providers", "provider_id"),
                        "option_id": ids(inputs, "Expansions", "option_id")})
    _check_shares(inputs, problems, table)
    _check_provisions(inputs, problems, table)
    first = inputs.params.get("first_year")
    if isinstance(first, int):
        last = first + int(inputs.params["horizon_years"]) - 1
        for record in table.to_dict("records"):
            check_window(inputs, problems, record, first, last, MEASURE)
    for row, measure, required, enabled in zip(table["_row"], table["measure_id"],
                                               table["required"], table["enabled"],
                                               strict=True):
        if required and not enabled:
            problems.warn(where(inputs, SHEET, "enabled", row), f"measure {measure} is "
                          "required but not enabled: it is not funded (set required to no, "
                          "or enabled to yes)")
    if "funding" in table.columns:
        check_funding_lists(inputs, problems, SHEET, budget_streams(inputs)[1])


def _check_references(inputs: Inputs, problems: Problems) -> None:
    check_lists(inputs, problems, SHEET, "needs", canonical_needs(inputs), "need")
    check_lists(inputs, problems, SHEET, "phases", {p.lower(): p for p in PHASES}, "phase")
    check_lists(inputs, problems, SHEET, "zones", ids(inputs, "Zones", "zone_id"), "zone")
    levels = provision_levels(inputs)
    check_codes(inputs, problems, SHEET, "from_provision", levels, "provision level")
    check_codes(inputs, problems, SHEET, "to_provision", levels, "provision level")


def _check_shares(inputs: Inputs, problems: Problems, table: pd.DataFrame) -> None:
    """share_low <= share <= share_high, a blank end taking share (each is 0..1, checked
    as the cell was read). Blanks stay blank: a scenario that changes share moves them."""
    share = table["share"].astype(float)
    low = table["share_low"].astype(float).fillna(share)
    high = table["share_high"].astype(float).fillna(share)
    for row, s, lo, hi, measure in zip(table["_row"], share, low, high, table["measure_id"],
                                       strict=True):
        if np.isnan(s):
            continue  # a missing or wrong share was reported when it was read
        if lo > s:
            problems.error(where(inputs, SHEET, "share_low", row),
                           f"share_low {lo:g} of measure {measure} is above its share {s:g}; "
                           "expected share_low <= share <= share_high")
        if hi < s:
            problems.error(where(inputs, SHEET, "share_high", row),
                           f"share_high {hi:g} of measure {measure} is below its share {s:g}; "
                           "expected share_low <= share <= share_high")


def _check_provisions(inputs: Inputs, problems: Problems, table: pd.DataFrame) -> None:
    """The two levels differ, and some provider can meet the level the diverted pupils
    need for at least one of the measure's needs and phases."""
    levels = inputs.suitability
    providers = _provider_offers(inputs)
    for record in table.to_dict("records"):
        source, target = record["from_provision"], record["to_provision"]
        if blank(source) or blank(target) or target not in levels or source not in levels:
            continue  # blank or unknown: reported by the reader or `_check_references`
        row = record["_row"]
        if source == target:
            problems.error(where(inputs, SHEET, "to_provision", row),
                           f"measure {record['measure_id']} diverts {source} demand to "
                           f"{target}, the same provision level; to_provision must differ "
                           "from from_provision")
        elif providers is not None and not _served(providers, levels[target], record):
            problems.error(where(inputs, SHEET, "to_provision", row),
                           f"no provider can take the pupils measure {record['measure_id']} "
                           f"diverts: none of type {', '.join(levels[target])} (what "
                           f"{target} allows) serves its needs and phases; add such a "
                           "provider or choose another to_provision")


def _provider_offers(inputs: Inputs) -> list[tuple[Any, Any, Any]] | None:
    """(type, needs, phases) of every provider and enabled new site; None if Providers
    could not be read."""
    offers = []
    for sheet, enabled_only in (("Providers", False), ("Expansions", True)):
        table = inputs.tables.get(sheet)
        if table is None:
            if sheet == "Providers":
                return None
            continue
        for record in table.to_dict("records"):
            if enabled_only and not (record["enabled"] and blank(record["provider_id"])):
                continue
            offers.append((record["type"], record["needs"], record["phases"]))
    return offers


def _served(offers: list[tuple[Any, Any, Any]], types: tuple[str, ...],
            measure: dict[str, Any]) -> bool:
    def meets(offered: Any, wanted: Any) -> bool:
        return offered in (ALL, None) or wanted in (ALL, None) or bool(
            set(offered) & set(wanted))

    return any(kind in types and meets(needs, measure["needs"])
               and meets(phases, measure["phases"]) for kind, needs, phases in offers)
