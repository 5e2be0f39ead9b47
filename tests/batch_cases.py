"""The tiny workbook the batch tests share, with its optimum worked out by hand.

One zone, three years (2026-2028), discount 0, capital upfront, transport £0. Demand:
ASD secondary (special) 6, 8, 10 pupils. SP: special school, 5 places at £20,000.
IN: independent special school out of area, unlimited, £60,000. Options at SP: OPT_A
+5 places from 2026, OPT_B +5 places from 2027, each £30,000 of capital; £100,000 of
capital in 2026.

- base: the baseline places 5 a year at SP and 1, 3, 5 at IN (£300,000 + £540,000).
  The plan opens OPT_A in 2026 (every pupil at SP: £480,000 + £30,000); OPT_B adds
  nothing. NPV £330,000.
- grow (demand x 1.5: 9, 12, 15): baseline £300,000 + 21 x £60,000 = £1,560,000. The
  plan opens OPT_A 2026 and OPT_B 2027 (36 pupil-years at SP, £720,000 + £60,000):
  NPV £780,000. With only OPT_A 2026 fixed: 29 at SP and 7 at IN, £580,000 + £420,000
  + £30,000: NPV £530,000, regret £250,000.
- no_option: OPT_A and OPT_B switched off: the plan is the baseline, NPV 0.
- broke: OPT_A required in 2026, but no capital: infeasible, which the pre-solve checks
  prove (the check's sentence names the option and the capital).
- bad: SP's capacity scaled by -1: an input error when the scenario is applied.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from tiny import tiny_workbook

SCENARIOS = [
    ["scenario", "sheet", "column", "filter", "operation", "value"],
    ["grow", "Demand", "*", None, "scale", 1.5],
    ["no_option", "Expansions", "enabled", None, "set", "no"],
    ["broke", "Expansions", "required", "option_id=OPT_A", "set", "yes"],
    ["broke", "Expansions", "latest_year", "option_id=OPT_A", "set", 2026],
    ["broke", "Budget", "amount", "stream=capital", "scale", 0],
    ["bad", "Providers", "capacity", "provider_id=SP", "scale", -1],
]


def batch_workbook(path: Path, scenarios: list[list] | None = None) -> Path:
    tiny_workbook(
        path, params={"horizon_years": 3},
        providers=[{"provider_id": "SP", "type": "special", "capacity": 5,
                    "annual_cost_per_place": 20_000},
                   {"provider_id": "IN", "type": "inmss", "in_area": "no",
                    "annual_cost_per_place": 60_000}],
        demand=[{"zone_id": "Z1", "need": "ASD", "phase": "secondary",
                 "provision": "special", "pupils": [6, 8, 10]}],
        expansions=[{"option_id": "OPT_A", "provider_id": "SP", "places": 5,
                     "capital_cost": 30_000},
                    {"option_id": "OPT_B", "provider_id": "SP", "places": 5,
                     "capital_cost": 30_000, "earliest_year": 2027}],
        budget=[{"year": 2026, "stream": "capital", "amount": 100_000}])
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("Scenarios")
    for row in scenarios or SCENARIOS:
        sheet.append(row)
    book.save(path)
    return path
