"""OR-Library capacitated warehouse location instances written as planning workbooks.

Each instance becomes a one-year plan: a zone per customer with its demand, a provider
per warehouse with no places of its own and one expansion option (its capacity, at its
fixed cost as capital), and the cost of serving a customer from a warehouse as the
TravelMatrix annual transport cost per pupil (the cost of all its demand ÷ the demand).
With upfront capital, no discounting and no placement cost, the plan's objective is the
published one: fixed costs of the warehouses opened plus allocation costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import write_workbook

DATA = Path(__file__).resolve().parent / "data" / "orlib_cap"


@dataclass(frozen=True)
class Instance:
    name: str
    capacity: list[float]
    fixed_cost: list[float]
    demand: list[float]
    cost: list[list[float]]  # cost[customer][warehouse] of serving all its demand


def read_instance(name: str) -> Instance:
    numbers = (DATA / f"{name}.txt").read_text().split()
    # Some files write a warehouse's capacity as the word "capacity" (capa/b/c); not here.
    values = iter(numbers)
    m, n = int(next(values)), int(next(values))
    capacity, fixed = [], []
    for _ in range(m):
        capacity.append(float(next(values)))
        fixed.append(float(next(values)))
    demand, cost = [], []
    for _ in range(n):
        demand.append(float(next(values)))
        cost.append([float(next(values)) for _ in range(m)])
    return Instance(name, capacity, fixed, demand, cost)


def published_optima() -> dict[str, float]:
    optima = {}
    for line in (DATA / "capopt.txt").read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("cap"):
            optima[parts[0]] = float(parts[1])
    return optima


def write_instance(instance: Instance, path: Path, **params: Any) -> Path:
    years = [2026]
    parameters = {"first_year": 2026, "horizon_years": 1, "discount_rate": 0,
                  "capital_treatment": "upfront", "unmet_penalty": 1e9, "mip_gap": 0,
                  "time_limit_seconds": 120, **params}
    warehouses = [f"W{i + 1}" for i in range(len(instance.capacity))]
    customers = [f"C{j + 1}" for j in range(len(instance.demand))]
    sheets = {
        "Parameters": [["parameter", "value"], *parameters.items()],
        "Zones": [["zone_id", "name"], *[[c, c] for c in customers]],
        "Demand": [["zone_id", "need", "phase", *years],
                   *[[c, "ASD", "primary", d] for c, d in zip(customers, instance.demand,
                                                             strict=True)]],
        "Providers": [["provider_id", "type", "capacity", "annual_cost_per_place"],
                      *[[w, "special", 0, 0] for w in warehouses]],
        "Expansions": [["option_id", "provider_id", "places", "capital_cost"],
                       *[[f"open_{w}", w, cap, fixed] for w, cap, fixed in
                         zip(warehouses, instance.capacity, instance.fixed_cost, strict=True)]],
        "TravelMatrix": [["zone_id", "provider_id", "minutes", "annual_transport_cost"],
                         *[[c, w, 0, instance.cost[j][i] / instance.demand[j]]
                           for j, c in enumerate(customers)
                           for i, w in enumerate(warehouses)]],
    }
    return write_workbook(path, sheets)
