"""The table of `benchmarks/shapes.py run`: per shape, the solve seconds of each way and
the ratios issue 17 sets targets on, then the summary lines.

Solve seconds are the baseline's and the plan's solves (HiGHS's runs for the plain
model; summary["solve"]["timings"] for placeopt's routes), without reading, compiling,
the marginal-value LP or writing. A cell is marked `*` when the plan stopped at the time
limit (its seconds are then a floor), `x` when the way failed or was killed, `!` when
its [bound, objective] misses the plain model's (a wrong bound or a wrong plan).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

TARGET_GEOMEAN = 0.5  # default / plain, geometric mean over the family
TARGET_FACTOR, TARGET_SLACK = 1.25, 1.0  # default <= 1.25 * min(whole, years) + 1 s
FAR_APART = 3.0  # one route this many times the other (and 5 s more) is "much slower"


def seconds(record: Mapping | None) -> float | None:
    if record is None or record.get("status") in ("failed", "killed"):
        return None
    return record.get("solve_seconds")


def cell(record: Mapping | None) -> str:
    if record is None:
        return "—"
    if record.get("status") in ("failed", "killed"):
        return f"x ({record['status']})"
    mark = "" if record.get("status") == "optimal" else "*"
    mark += "!" if record.get("agrees_with_plain") is False else ""
    return f"{record['solve_seconds']:.1f}{mark}"


def key_parameters(shape) -> str:
    """What sets the shape apart, briefly."""
    parts = [f"{shape.needs}×{shape.phases} needs×phases"]
    if shape.mix != "standard":
        parts.append(shape.mix)
    if shape.groups:
        parts.append(f"groups {shape.groups:.0%}")
    if shape.required:
        parts.append(f"{shape.required} required")
    if shape.ramps:
        parts.append(f"ramps {shape.ramps:.0%}")
    if shape.current != "none":
        parts.append(f"current {shape.current}" + (" (moves)" if shape.allow_moves else ""))
    if shape.window != "free":
        parts.append(f"{shape.window} windows")
    if shape.integer:
        parts.append("integer")
    if shape.mip_gap != 0.001:
        parts.append(f"gap {shape.mip_gap:.1%}")
    capital = shape.capital
    if shape.capital_per_year:
        capital += f" £{shape.capital_per_year / 1e6:g}m/yr"
    budget = shape.budget + (" w=0" if shape.budget == "soft" and not shape.overspend_weight
                             else "")
    return " | ".join([str(shape.zones), str(shape.options), str(shape.years), capital,
                       shape.treatment, budget, ", ".join(parts)])


def ratio(top: float | None, bottom: float | None) -> float | None:
    if top is None or bottom is None:
        return None
    return top / max(bottom, 1e-3)


def shown(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def geomean(values: list[float]) -> float | None:
    return math.exp(sum(math.log(max(v, 1e-6)) for v in values) / len(values)) \
        if values else None


def print_table(records: Mapping[tuple[str, str], Mapping], shapes: Mapping) -> None:
    print("| shape | zones | options | years | capital | treatment | budget | other "
          "| plain | whole | years | default | default route | default/plain "
          "| default/min(whole,years) |")
    print("|" + "---|" * 15)
    to_plain, worst_plain, misses, apart = [], None, [], []
    wall_ratios = []
    for name, shape in shapes.items():
        got = {way: records.get((name, way)) for way in ("plain", "whole", "years",
                                                          "default")}
        if not any(got.values()):
            continue
        s = {way: seconds(record) for way, record in got.items()}
        best = min((v for v in (s["whole"], s["years"]) if v is not None), default=None)
        over_plain, over_best = ratio(s["default"], s["plain"]), ratio(s["default"], best)
        route = (got["default"] or {}).get("route")
        print(f"| {name} | {key_parameters(shape)} | "
              + " | ".join(cell(got[w]) for w in ("plain", "whole", "years", "default"))
              + f" | {route or '—'} | {shown(over_plain)} | {shown(over_best)} |")
        if over_plain is not None:
            to_plain.append(over_plain)
            if worst_plain is None or over_plain > worst_plain[0]:
                worst_plain = (over_plain, name)
        if s["default"] is not None and best is not None \
                and s["default"] > TARGET_FACTOR * best + TARGET_SLACK:
            misses.append(f"{name} ({s['default']:.1f} s against {best:.1f} s)")
        if s["whole"] is not None and s["years"] is not None:
            apart.append((name, s["whole"], s["years"]))
        if got["default"] and got["plain"] and "wall_seconds" in got["default"]:
            wall_ratios.append(got["default"]["wall_seconds"] / got["plain"]["wall_seconds"])
    print()
    _summary(to_plain, worst_plain, misses, apart, wall_ratios)


def _summary(to_plain: list[float], worst_plain: tuple[float, str] | None,
             misses: list[str], apart: list[tuple[str, float, float]],
             wall_ratios: list[float]) -> None:
    mean = geomean(to_plain)
    if worst_plain is not None:
        print(f"- default / plain (solve seconds): worst {worst_plain[0]:.2f} "
              f"({worst_plain[1]}), geometric mean {mean:.2f} over {len(to_plain)} shapes "
              f"(target ≤ {TARGET_GEOMEAN}: {'met' if mean <= TARGET_GEOMEAN else 'missed'})")
    if wall_ratios:
        print(f"- default / plain end to end (wall, own process): geometric mean "
              f"{geomean(wall_ratios):.2f}, worst {max(wall_ratios):.2f}")
    print(f"- default ≤ {TARGET_FACTOR} × min(whole, years) + {TARGET_SLACK:g} s on every "
          f"shape: {'yes' if not misses else 'no, on ' + '; '.join(misses)}")
    slow_years = [f"{n} ({y:.1f} s against {w:.1f} s)" for n, w, y in apart
                  if y > FAR_APART * w and y > w + 5]
    slow_whole = [f"{n} ({w:.1f} s against {y:.1f} s)" for n, w, y in apart
                  if w > FAR_APART * y and w > y + 5]
    print(f"- years much slower than whole (> {FAR_APART:g}× and 5 s): "
          + ("; ".join(slow_years) or "none"))
    print("- whole much slower than years: " + ("; ".join(slow_whole) or "none"))
