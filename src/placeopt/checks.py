"""`placeopt validate`: read the workbook, apply every scenario, check what a model needs."""

from __future__ import annotations

from pathlib import Path

from .problems import Problem
from .reader import read_workbook
from .scenarios import apply_scenario, scenario_names


def validate_all(path: str | Path) -> tuple[list[Problem], list[str]]:
    """Every warning (errors raise InputError) and a few lines describing the workbook."""
    inputs = read_workbook(path)
    warnings = list(inputs.warnings)
    seen = {(p.where, p.message) for p in warnings}
    for name in scenario_names(inputs)[1:]:
        for problem in apply_scenario(inputs, name).warnings:
            if (problem.where, problem.message) not in seen:
                seen.add((problem.where, problem.message))
                warnings.append(problem)
    tables = inputs.tables
    notes = [
        f"{len(tables['Zones'])} zones, {len(tables['Providers'])} providers, "
        f"{len(tables.get('Expansions', []))} options, "
        f"{tables['Demand'].groupby(['zone_id', 'need', 'phase', 'provision']).ngroups} "
        f"demand groups over {inputs.years[0]}-{inputs.years[-1]}; scenarios: "
        + ", ".join(scenario_names(inputs)),
    ]
    return warnings, notes
