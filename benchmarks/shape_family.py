"""A seeded family of plan shapes: synthetic authorities that differ in what makes a
plan hard (issue 17).

Each `Shape` is a short name and its parameters; `write_shape` turns it into a planning
workbook. The same shape always gives the same workbook (numpy's seeded generator, no
clock, no dict-order surprises). What a shape can vary:

- size: zones (10-300), options (0-150), years (1-15), needs (1-10) and phases (1-5);
- the provider mix (`mix`): `standard` (like benchmarks/synthetic.py), `inmss_heavy`
  (few places in area), `local_rich` (many), `trafford` (many small mainstream schools);
- how tight in-area places are (`pressure`: in-area specialist places as a share of the
  first year's demand);
- capital: `none` (no capital rows: unlimited), `loose` (every option affordable),
  `tight` (a share of what every option would cost, or `capital_per_year`), `ringfenced`
  (a tight general pot plus capital:free_school for new special schools and capital:s106
  for resourced units, named in the options' `funding`);
- `treatment` (annuity, upfront), `budget` (soft, hard, off; `overspend_weight` for soft);
- current placements (`current`): none, some, over (a special school's locked pupils
  over its capacity), far (pupils placed beyond the journey limit), over_far;
  `allow_moves`;
- options: exclusive groups of alternative sizes (`groups`: the share of options that
  are grouped expansions), new special schools as alternative sites of one school (or
  each on its own: `schools_apart`), `required` options, ramps (`ramps`: the share with
  ramp_years > 1), opening windows (`window`: free, narrow, mixed);
- `integer_placements`, and the shape's `mip_gap` (written into Parameters).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from synthetic import NEEDS, SPECIALIST

PHASES = ("primary", "secondary", "post16", "early_years", "post19")
LIMIT_MINUTES = {"early_years": 45, "primary": 45, "secondary": 75, "post16": 75,
                 "post19": 90}  # the workbook's defaults (docs/workbook.md)
CIRCUITY, SPEED_KMH = 1.3, 30.0  # likewise
CENTRE = (53.0, -1.5)
FIRST_YEAR = 2026


@dataclass(frozen=True)
class Shape:
    name: str
    seed: int
    zones: int
    options: int
    years: int
    needs: int = 6
    phases: int = 3
    mix: str = "standard"  # standard | inmss_heavy | local_rich | trafford
    pressure: float = 1.0  # in-area specialist places / first year's specialist demand
    capital: str = "tight"  # none | loose | tight | ringfenced
    capital_share: float = 0.35  # tight: capital over the horizon / all options' capex
    capital_per_year: float | None = None  # £ a year (overrides capital_share)
    treatment: str = "annuity"  # annuity | upfront
    budget: str = "soft"  # soft | hard | off
    overspend_weight: float = 0.25
    current: str = "none"  # none | some | over | far | over_far
    allow_moves: bool = False
    groups: float = 0.0  # share of options that are expansions in exclusive groups
    required: int = 0
    ramps: float = 0.0  # share of options with ramp_years > 1
    window: str = "free"  # free | narrow | mixed
    schools_apart: bool = False  # new special schools each on their own (else one group)
    integer: bool = False
    mip_gap: float = 0.001

    def parameters(self) -> dict:
        return dataclasses.asdict(self)


def _shapes() -> list[Shape]:
    s = Shape
    issue = dict(zones=40, options=40, years=8, groups=1 / 3, capital_per_year=6e6)
    trafford = dict(zones=28, options=12, needs=10, phases=4, mix="trafford",
                    capital="ringfenced", current="some", window="free")
    return [
        # small
        s("tiny_no_options", 1, 10, 0, 1, needs=2, phases=1, capital="none",
          treatment="upfront"),
        s("tiny_integer", 2, 10, 6, 3, integer=True, treatment="upfront", budget="hard"),
        s("small_integer_groups", 3, 15, 10, 5, integer=True, groups=0.4),
        s("one_year", 4, 30, 20, 1, treatment="upfront", capital_share=0.3),
        s("two_years_hard", 5, 20, 12, 2, budget="hard", treatment="upfront"),
        s("no_options_15y", 6, 20, 0, 15, current="some", capital="none"),
        s("small_ringfenced", 7, 25, 15, 6, capital="ringfenced", required=2),
        s("small_ramps", 8, 20, 12, 8, ramps=0.5, capital="loose"),
        # the issue's 40-zone authority, and like it
        s("issue40", 40, **issue),
        s("issue40_upfront", 41, **issue, treatment="upfront"),
        s("issue40_current", 42, **issue, current="some", ramps=0.3),
        s("issue40_hard", 43, **issue, budget="hard", required=2),
        # like Trafford with every option free: many years, few options
        s("trafford_free", 10, years=10, **trafford),
        s("trafford_free_15y", 11, years=15, **trafford),
        s("trafford_free_hard", 12, years=10, **{**trafford, "current": "over_far"},
          budget="hard"),
        s("few_options_15y", 13, 60, 8, 15, capital="loose"),
        # medium
        s("mid_loose", 14, 60, 30, 10, capital="loose", mip_gap=0.0025),
        s("mid_tight_upfront", 15, 60, 30, 10, treatment="upfront", mip_gap=0.005),
        s("mid_hard", 16, 50, 25, 6, budget="hard"),
        s("mid_off_no_capital", 17, 50, 25, 6, budget="off", capital="none"),
        s("mid_ringfenced_required", 18, 80, 40, 8, capital="ringfenced", required=4,
          ramps=0.3, mip_gap=0.005),
        s("mid_over_far", 19, 80, 30, 6, current="over_far"),
        s("mid_inmss_heavy", 20, 70, 35, 7, mix="inmss_heavy", pressure=0.5, mip_gap=0.005),
        s("mid_local_rich", 21, 70, 35, 7, mix="local_rich", pressure=1.2,
          capital="loose", mip_gap=0.0025),
        s("mid_100_options", 22, 60, 100, 5, groups=0.3),
        s("mid_150_options", 23, 100, 150, 4, window="narrow", mip_gap=0.005),
        s("mid_few_needs", 24, 100, 20, 10, needs=3, phases=2),
        s("mid_five_phases", 25, 50, 20, 8, needs=10, phases=5),
        s("mid_moves", 26, 50, 20, 6, current="some", allow_moves=True),
        s("mid_gap_1pct", 27, 100, 50, 10, mip_gap=0.01, window="mixed"),
        s("mid_soft_unweighted", 28, 40, 30, 12, overspend_weight=0.0, window="narrow"),
        s("mid_integer", 29, 30, 10, 4, integer=True, ramps=0.5, current="some"),
        # large
        s("la150", 30, 150, 80, 10, window="mixed", mip_gap=0.005),
        s("la150_hard_current", 31, 150, 50, 8, budget="hard", current="some",
          mip_gap=0.01),
        s("la200_few_options", 32, 200, 15, 12, capital="loose", current="some"),
        s("la250_ringfenced", 33, 250, 100, 6, capital="ringfenced", groups=0.2,
          mip_gap=0.01),
        s("la300_loose", 34, 300, 60, 5, capital="loose", mip_gap=0.01),
    ]


SHAPES: dict[str, Shape] = {shape.name: shape for shape in _shapes()}


def minutes(a: tuple[float, float], b: tuple[float, float]) -> float:
    """One-way road minutes between two points (haversine; a close enough stand-in for
    the geodesic placeopt uses, only to choose placements well inside the limit)."""
    lat1, lon1, lat2, lon2 = map(np.radians, (*a, *b))
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return float(2 * 6371.0 * np.arcsin(np.sqrt(h)) * CIRCUITY / SPEED_KMH * 60)


@dataclass
class Authority:
    """The tables of one shape's workbook, as rows."""

    shape: Shape
    rng: np.random.Generator
    needs: tuple[str, ...]
    phases: tuple[str, ...]
    years: list[int]
    zones: list[list] = dataclasses.field(default_factory=list)
    demand: list[list] = dataclasses.field(default_factory=list)
    providers: list[list] = dataclasses.field(default_factory=list)
    options: list[list] = dataclasses.field(default_factory=list)
    current: list[list] = dataclasses.field(default_factory=list)
    budget: list[list] = dataclasses.field(default_factory=list)

    @property
    def spread(self) -> float:
        """Bigger authorities cover more ground."""
        return float(np.clip(np.sqrt(self.shape.zones / 100), 0.7, 1.6))

    def site(self, sd: float) -> tuple[float, float]:
        return (CENTRE[0] + self.rng.normal(0, sd * self.spread),
                CENTRE[1] + self.rng.normal(0, 1.5 * sd * self.spread))

    def pick(self, values, k: int) -> str:
        """k of `values` (fewer if there are fewer), as a workbook list."""
        values = sorted(values)
        k = min(k, len(values))
        return ";".join(sorted(self.rng.choice(values, k, replace=False)))


def write_shape(shape: Shape, path: str | Path) -> Path:
    """The shape's workbook at `path` (any earlier file there replaced)."""
    rng = np.random.default_rng(shape.seed)
    place = Authority(shape, rng, NEEDS[:shape.needs], PHASES[:shape.phases],
                      list(range(FIRST_YEAR, FIRST_YEAR + shape.years)))
    _zones_and_demand(place)
    _providers(place)
    _options(place)
    _current(place)
    _budget(place)
    _write(place, path)
    return Path(path)


def _provision(need: str, rng: np.random.Generator) -> str:
    if need in SPECIALIST:
        return "special"
    return "resourced" if rng.random() < 0.65 else "mainstream"


def _zones_and_demand(place: Authority) -> None:
    shape, rng = place.shape, place.rng
    for z in range(shape.zones):
        lat, lon = place.site(0.06)
        zone = f"Z{z:03d}"
        place.zones.append([zone, f"zone {z}", round(lat, 5), round(lon, 5)])
        for need in place.needs:
            for phase in place.phases:
                base = rng.gamma(1.2, 0.9 if need in SPECIALIST else 0.5)
                growth = 1 + rng.uniform(-0.01, 0.05)
                provision = _provision(need, rng)
                if base < 0.15:
                    continue
                values = [base * growth**k for k in range(shape.years)]
                values = [round(v) if shape.integer else round(v, 2) for v in values]
                if any(values):
                    place.demand.append([zone, need, phase, provision, *values])


def _first_year_demand(place: Authority, provisions: set[str]) -> float:
    return sum(row[4] for row in place.demand if row[3] in provisions)


MIXES = {  # providers per zone: special, resourced, mainstream, INMSS; mainstream's share
    "standard": (1 / 12, 1 / 5, 1 / 20, 1 / 8),
    "inmss_heavy": (1 / 30, 1 / 15, 1 / 20, 1 / 5),
    "local_rich": (1 / 8, 1 / 3, 1 / 10, 1 / 15),
    "trafford": (1 / 3, 1 / 3, 1 / 4, 1 / 5),
}


def _shares(rng: np.random.Generator, total: float, n: int, low: int) -> list[int]:
    """`total` places over n providers, unevenly, each at least `low`."""
    weights = rng.uniform(0.5, 1.5, n)
    return [max(low, int(round(total * w / weights.sum()))) for w in weights]


def _providers(place: Authority) -> None:
    shape, rng = place.shape, place.rng
    per_zone = MIXES[shape.mix]
    count = [max(minimum, int(round(shape.zones * share)))
             for share, minimum in zip(per_zone, (1, 1, 1, 2), strict=True)]
    specialist = [n for n in place.needs if n in SPECIALIST] or list(place.needs)
    others = [n for n in place.needs if n not in SPECIALIST] or list(place.needs)
    special = _shares(rng, shape.pressure * _first_year_demand(place, {"special"}),
                      count[0], 20)
    resourced = _shares(rng, 0.8 * shape.pressure * _first_year_demand(place, {"resourced"}),
                        count[1], 6)
    mainstream = _shares(rng, _first_year_demand(place, {"mainstream"}), count[2], 4)
    for i, places in enumerate(special):
        lat, lon = place.site(0.05)
        place.providers.append([f"SP{i:02d}", f"special {i}", "special", "yes", lat, lon,
                                place.pick(specialist, 2), _phases(place), places,
                                round(rng.uniform(22000, 27000)), "no"])
    for i, places in enumerate(resourced):
        lat, lon = place.site(0.06)
        place.providers.append([f"RP{i:02d}", f"unit {i}", "resourced", "yes", lat, lon,
                                place.pick(others, 2), _phases(place), places,
                                round(rng.uniform(14000, 16000)), "no"])
    for i, places in enumerate(mainstream):
        lat, lon = place.site(0.06)
        place.providers.append([f"MS{i:02d}", f"mainstream {i}", "mainstream", "yes", lat,
                                lon, "all", "all", None if rng.random() < 0.3 else places,
                                round(rng.uniform(7000, 10000)), "no"])
    for i in range(count[3]):
        angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.25) * place.spread
        residential = i == 0 or rng.random() < 0.1
        place.providers.append([
            f"IN{i:02d}", f"INMSS {i}", "inmss", "no", CENTRE[0] + distance * np.sin(angle),
            CENTRE[1] + 1.5 * distance * np.cos(angle), "all", "all",
            None if rng.random() < 0.3 else int(rng.integers(20, 80)),
            round(rng.uniform(150000, 220000) if residential else rng.uniform(52800, 63000)),
            "yes" if residential else "no"])


def _phases(place: Authority) -> str:
    if len(place.phases) == 1 or place.rng.random() < 0.3:
        return "all"
    return place.pick(place.phases, int(place.rng.integers(1, len(place.phases))))


OPTION_HEADER = ["option_id", "name", "provider_id", "places", "capital_cost",
                 "earliest_year", "latest_year", "ramp_years", "group", "required",
                 "funding", "type", "in_area", "latitude", "longitude", "needs", "phases",
                 "annual_cost_per_place"]


def _window(place: Authority) -> tuple[int, int]:
    shape, rng, years = place.shape, place.rng, place.years
    first = years[min(1, len(years) - 1)]
    kind = shape.window if shape.window != "mixed" else rng.choice(["free", "narrow"])
    if kind == "free":
        return first, years[-1]
    earliest = int(rng.integers(first, years[-1] + 1))
    return earliest, min(years[-1], earliest + int(rng.integers(0, 3)))


def _options(place: Authority) -> None:
    shape, rng = place.shape, place.rng
    grouped = int(round(shape.groups * shape.options))
    existing = [p for p in place.providers if p[2] in ("special", "resourced")]
    row = 0
    while row < grouped:  # alternative sizes of one expansion: at most one is built
        target = existing[int(rng.integers(len(existing)))]
        sizes = [10, 20, 30][:min(int(rng.integers(2, 4)), grouped - row)]
        earliest, latest = _window(place)
        per_place = 110000 if target[2] == "special" else 45000
        for places in sizes:
            place.options.append([f"O{row:03d}", f"expand {target[0]} by {places}",
                                  target[0], places, places * per_place, earliest, latest,
                                  1, f"G{target[0]}", None, None])
            row += 1
    specialist = [n for n in place.needs if n in SPECIALIST] or list(place.needs)
    others = [n for n in place.needs if n not in SPECIALIST] or list(place.needs)
    for i in range(row, shape.options):
        earliest, latest = _window(place)
        kind = i % 4
        if kind in (0, 1):  # a resourced unit at a mainstream school: a new site
            lat, lon = place.site(0.06)
            places = int(rng.choice([8, 12, 16]))
            place.options.append([f"O{i:03d}", f"new unit {i}", None, places,
                                  places * round(rng.uniform(15500, 31000)), earliest,
                                  latest, 1, None, None, None, "resourced", "yes", lat, lon,
                                  place.pick(others, 2), _phases(place),
                                  round(rng.uniform(14000, 16000))])
        elif kind == 2:  # an expansion of an existing provider
            target = existing[int(rng.integers(len(existing)))]
            places = int(rng.choice([10, 20]))
            place.options.append([f"O{i:03d}", f"expand {target[0]}", target[0], places,
                                  places * (110000 if target[2] == "special" else 45000),
                                  earliest, latest, 1, None, None, None])
        else:  # a new special school
            lat, lon = place.site(0.05)
            places = int(rng.choice([60, 90, 120]))
            group = None if shape.schools_apart else "NEW"  # alternative sites
            place.options.append([f"O{i:03d}", f"new school {i}", None, places,
                                  places * 92000, earliest, latest, 1, group, None, None,
                                  "special", "yes", lat, lon, place.pick(specialist, 2),
                                  "all", round(rng.uniform(22000, 26000))])
    _option_terms(place, grouped)


def _option_terms(place: Authority, grouped: int) -> None:
    """Ramps, required options and funding streams, on the options already drawn."""
    shape, rng = place.shape, place.rng
    for option in place.options:
        option.extend([None] * (len(OPTION_HEADER) - len(option)))
        new_school = option[11] == "special"
        if shape.ramps and (new_school or rng.random() < shape.ramps):
            option[7] = 3 if new_school else 2
        if shape.capital == "ringfenced":
            option[10] = ("capital:free_school;capital" if new_school else
                          "capital:s106;capital" if option[11] == "resourced" else None)
    cheapest = sorted(place.options[grouped:], key=lambda o: o[4])
    for option in cheapest[:shape.required]:  # committed projects, early in the plan
        option[9] = "yes"
        option[5] = place.years[min(1, len(place.years) - 1)]
        option[6] = min(place.years[-1], option[5] + 2)


ALLOWED = {"special": ("special", "inmss"), "resourced": ("resourced", "special", "inmss"),
           "mainstream": ("mainstream", "resourced")}  # the default Suitability


def _serves(listed: str, value: str) -> bool:
    return listed == "all" or value in listed.split(";")


def _reachable(place: Authority, zone: list, provision: str, need: str, phase: str
               ) -> list[list]:
    """Day providers that would take the group, well inside its journey limit."""
    limit = 0.7 * LIMIT_MINUTES[phase]
    return [p for p in place.providers
            if p[2] in ALLOWED[provision] and p[10] == "no" and _serves(p[6], need)
            and _serves(p[7], phase) and minutes(tuple(zone[2:4]), (p[4], p[5])) <= limit]


def _current(place: Authority) -> None:
    """Pupils already placed: some groups' first-year demand, in part, at a provider in
    reach; `over` sets one special school's capacity below the pupils locked there, `far`
    adds a provider beyond every journey limit with pupils placed there."""
    shape, rng = place.shape, place.rng
    if shape.current == "none":
        return
    zones = {z[0]: z for z in place.zones}
    for zone, need, phase, provision, first, *_ in place.demand:
        if first <= 0 or rng.random() > 0.4:
            continue
        reach = _reachable(place, zones[zone], provision, need, phase)
        if not reach:
            continue
        provider = reach[int(rng.integers(len(reach)))]
        share = rng.uniform(0.5, 0.9)
        pupils = int(first * share) if shape.integer else round(first * share, 2)
        if pupils > 0:
            remaining = int(rng.integers(1, 4)) if rng.random() < 0.3 else None
            place.current.append([zone, need, phase, provision, provider[0], pupils,
                                  remaining])
    if "over" in shape.current:
        _over_capacity(place)
    if "far" in shape.current:
        _far_placements(place)


def _over_capacity(place: Authority) -> None:
    locked: dict[str, float] = {}
    for row in place.current:
        locked[row[4]] = locked.get(row[4], 0.0) + row[5]
    special = [p for p in place.providers if p[2] == "special" and p[0] in locked]
    if special:
        school = max(special, key=lambda p: locked[p[0]])
        school[8] = max(1, int(0.8 * locked[school[0]]))


def _far_placements(place: Authority) -> None:
    """An independent school ~80 km out (beyond every day journey limit), with a few
    pupils of some groups without a current placement placed there for two years."""
    place.providers.append(["FAR00", "far INMSS", "inmss", "no", CENTRE[0] + 0.7,
                            CENTRE[1] + 0.3, "all", "all", None, 61000, "no"])
    placed = {(r[0], r[1], r[2], r[3]) for r in place.current}
    free = [row for row in place.demand if tuple(row[:4]) not in placed and row[4] >= 1]
    for row in free[:: max(1, len(free) // 8)][:8]:
        place.current.append([*row[:4], "FAR00", 1, 2])


def _budget(place: Authority) -> None:
    shape, rng = place.shape, place.rng
    totals = [sum(row[4 + k] for row in place.demand) for k in range(shape.years)]
    rate = 40000 if shape.budget == "hard" else 32000
    place.budget = [[y, "high_needs_block", round(rate * t)]
                    for y, t in zip(place.years, totals, strict=True)]
    capex = 1.24 * sum(o[4] for o in place.options)  # optimism bias 0.24
    if shape.capital == "none" or not place.options:
        return
    if shape.capital == "loose":
        spread = min(shape.years, 4)
        place.budget += [[y, "capital", round(1.5 * capex / spread)]
                         for y in place.years[:spread]]
        return
    share = shape.capital_share if shape.capital == "tight" else 0.2
    per_year = shape.capital_per_year or share * capex / shape.years
    place.budget += [[y, "capital", round(per_year)] for y in place.years]
    if shape.capital == "ringfenced":
        schools = [o[4] for o in place.options if o[11] == "special"]
        if schools:  # enough for about one new school, in the second year
            year = place.years[min(1, shape.years - 1)]
            place.budget.append([year, "capital:free_school",
                                 round(1.24 * float(rng.choice(schools)))])
        place.budget += [[y, "capital:s106", round(0.05 * capex / shape.years)]
                         for y in place.years]


def _write(place: Authority, path: str | Path) -> None:
    shape = place.shape
    book = Workbook(write_only=True)

    def sheet(name: str, header: list, rows: list) -> None:
        ws = book.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append(row)

    sheet("Parameters", ["parameter", "value"], [
        ["first_year", FIRST_YEAR], ["horizon_years", shape.years],
        ["home_la", f"shape {shape.name}"], ["optimism_bias", 0.24],
        ["capital_treatment", shape.treatment], ["budget_limit", shape.budget],
        ["overspend_weight", shape.overspend_weight],
        ["allow_moves", "yes" if shape.allow_moves else "no"],
        ["integer_placements", "yes" if shape.integer else "no"],
        ["mip_gap", shape.mip_gap], ["time_limit_seconds", 300],
    ])
    sheet("Zones", ["zone_id", "name", "latitude", "longitude"], place.zones)
    sheet("Demand", ["zone_id", "need", "phase", "provision", *place.years], place.demand)
    sheet("Providers", ["provider_id", "name", "type", "in_area", "latitude", "longitude",
                        "needs", "phases", "capacity", "annual_cost_per_place",
                        "residential"], place.providers)
    if place.options:
        sheet("Expansions", OPTION_HEADER, place.options)
    if place.current:
        sheet("CurrentPlacements", ["zone_id", "need", "phase", "provision", "provider_id",
                                    "pupils", "years_remaining"], place.current)
    if place.budget:
        sheet("Budget", ["year", "stream", "amount"], place.budget)
    book.save(path)
