"""What a POST /api/runs form asks for, checked as the command line checks its options:
a wrong value is a plain 400 naming the field, never a run that fails later."""

from __future__ import annotations

import re

from .jobs import KINDS
from .runs import Request
from .uploads import refuse

PROVISION = re.compile(r"[a-z]+(,[a-z]+)*")
MAX_SAMPLES = 1000


def run_request(fields: dict[str, str], workbook_name: str, has_workbook: bool,
                scenarios: list[str] | None = None) -> Request:
    """The request in a form's fields. With the workbook's `scenarios` (once it has been
    checked), the scenarios asked for must be among them."""
    kind = fields.get("kind", "run").strip() or "run"
    if kind not in KINDS:
        raise refuse(400, f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if kind != "forecast" and not has_workbook:
        raise refuse(400, "no workbook: send the file in the form field 'workbook'")
    scenario = fields.get("scenario", "").strip() or "base"
    chosen = _scenarios(fields.get("scenarios", "all"), scenarios) if kind == "batch" else ()
    if scenarios is not None and kind in ("run", "samples", "frontier"):
        _known(scenario, scenarios)
    authority = fields.get("authority", "").strip()
    if kind == "forecast" and not authority:
        raise refuse(400, "choose the local authority whose demand to project (field "
                     "'authority': a name, a DfE code such as 358 or an ONS code)")
    provision = fields.get("provision", "resourced,special").replace(" ", "") or "any"
    if PROVISION.fullmatch(provision) is None:
        raise refuse(400, "provision: levels separated by commas, e.g. resourced,special")
    return Request(
        kind=kind, scenario=scenario, scenarios=chosen,
        samples=_whole(fields, "samples", 20, 1, MAX_SAMPLES) if kind == "samples" else 0,
        points=_whole(fields, "points", 8, 2, 100),
        authority=authority[:100], provision=provision,
        horizon=_whole(fields, "horizon", 10, 1, 40),
        workbook_name=workbook_name, has_workbook=has_workbook)


def _whole(fields: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = fields.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise refuse(400, f"{name}: a whole number from {low} to {high}; got {text!r}")
    return int(text)


def _known(name: str, scenarios: list[str]) -> None:
    if name not in scenarios:
        raise refuse(400, f"no scenario named {name!r}; the workbook has "
                     + ", ".join(scenarios), where="Scenarios")


def _scenarios(text: str, scenarios: list[str] | None) -> tuple[str, ...]:
    """'all' or names separated by commas; before the workbook is checked, as given."""
    if scenarios is None:
        return ()
    if text.strip().lower() in ("", "all"):
        return tuple(scenarios)
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    for name in names:
        _known(name, scenarios)
    return names
