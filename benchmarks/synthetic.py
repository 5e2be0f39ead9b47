"""Synthetic planning workbooks at local-authority, regional and national scale.

Shapes follow the real system (DOMAIN.md): ~10 needs, 3 phases, per LA ~50 in-area
providers (special schools near full, resourced units, mainstream), ~30 out-of-area
INMSS (fees ~£53-63k), ~80 options (resourced units, special expansions, new special
schools), a pooled budget and capital. Locations are random points around LA centres
placed on a grid over England. With `measures_per_la`, inclusion measures too
(outreach teams and inclusion bases that divert specialist demand to mainstream, with
illustrative costs and shares). Seeded: the same arguments give the same workbook.

    python benchmarks/synthetic.py la out.xlsx
    python benchmarks/synthetic.py region out.xlsx     # 10 LAs
    python benchmarks/synthetic.py england out.xlsx    # 150 LAs
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl import Workbook

NEEDS = ("ASD", "SEMH", "SLCN", "MLD", "SLD", "PMLD", "SpLD", "HI", "VI", "PD")
SPECIALIST = {"ASD", "SEMH", "SLD", "PMLD"}  # need a special place; others resourced
PHASES = ("primary", "secondary", "post16")


@dataclass(frozen=True)
class Size:
    las: int
    zones_per_la: int
    special_per_la: int
    resourced_per_la: int
    mainstream_per_la: int
    inmss_per_la: int
    options_per_la: int
    years: int = 10
    measures_per_la: int = 0


SIZES = {
    "tiny": Size(1, 20, 3, 6, 2, 4, 8),
    "la": Size(1, 150, 12, 30, 8, 30, 80),
    "region": Size(10, 150, 12, 30, 8, 30, 80),
    "england": Size(150, 47, 5, 6, 1, 2, 8),
}


def generate(size: Size, path: str | Path, seed: int = 7, first_year: int = 2026) -> Path:
    rng = np.random.default_rng(seed)
    # LA centres on a grid over England (lat 50.8-54.8, lon -3.0 to 0.5), ~35 km apart.
    side = int(np.ceil(np.sqrt(size.las)))
    centres = [(50.9 + 3.8 * (i // side) / max(side - 1, 1),
                -2.9 + 3.3 * (i % side) / max(side - 1, 1)) for i in range(size.las)]
    zones, demand, providers, options, current, measures = [], [], [], [], [], []
    for la, (lat0, lon0) in enumerate(centres):
        code = f"LA{la:03d}"
        zlat = lat0 + rng.normal(0, 0.06, size.zones_per_la)
        zlon = lon0 + rng.normal(0, 0.09, size.zones_per_la)
        for z in range(size.zones_per_la):
            zones.append([f"{code}Z{z:03d}", f"{code} zone {z}", zlat[z], zlon[z]])
            for need in NEEDS:
                for phase in PHASES:
                    base = rng.gamma(1.2, 0.9 if need in SPECIALIST else 0.5)
                    if base < 0.15:
                        continue
                    growth = 1 + rng.uniform(0.02, 0.08)
                    values = [round(base * growth**k, 2) for k in range(size.years)]
                    provision = "special" if need in SPECIALIST else "resourced"
                    demand.append([f"{code}Z{z:03d}", need, phase, provision, *values])
        def site(spread: float, lat0: float = lat0, lon0: float = lon0) -> tuple[float, float]:
            return lat0 + rng.normal(0, spread), lon0 + rng.normal(0, spread * 1.5)

        for i in range(size.special_per_la):
            lat, lon = site(0.05)
            needs = ";".join(rng.choice(sorted(SPECIALIST), 2, replace=False))
            phase = rng.choice(["primary", "secondary", "all", "secondary;post16"])
            providers.append([f"{code}SP{i:02d}", f"{code} special {i}", "special", "yes",
                              lat, lon, needs, phase, int(rng.integers(60, 200)),
                              round(rng.uniform(22000, 27000)), "no", code])
        for i in range(size.resourced_per_la):
            lat, lon = site(0.06)
            needs = ";".join(rng.choice([n for n in NEEDS if n not in SPECIALIST], 2,
                                        replace=False))
            phase = rng.choice(["primary", "secondary"])
            providers.append([f"{code}RP{i:02d}", f"{code} unit {i}", "resourced", "yes", lat,
                              lon, needs, phase, int(rng.integers(8, 20)),
                              round(rng.uniform(14000, 16000)), "no", code])
        for i in range(size.mainstream_per_la):
            lat, lon = site(0.06)
            providers.append([f"{code}MS{i:02d}", f"{code} mainstream {i}", "mainstream", "yes",
                              lat, lon, "all", "all", int(rng.integers(5, 15)), 9000, "no",
                              code])
        for i in range(size.inmss_per_la):
            angle = rng.uniform(0, 2 * np.pi)
            distance = rng.uniform(0.15, 0.3)  # degrees: ~17-33 km out, 45-90 minutes by road
            residential = rng.random() < 0.1
            providers.append([f"{code}IN{i:02d}", f"{code} INMSS {i}", "inmss", "no",
                              lat0 + distance * np.sin(angle),
                              lon0 + 1.5 * distance * np.cos(angle), "all", "all",
                              None if rng.random() < 0.3 else int(rng.integers(30, 120)),
                              round(rng.uniform(150000, 220000) if residential
                                    else rng.uniform(52800, 63000)),
                              "yes" if residential else "no", "other"])
        specials = [p[0] for p in providers if p[0].startswith(f"{code}SP")]
        for i in range(size.options_per_la):
            kind = i % 4
            earliest = first_year + 1 + int(rng.integers(0, 3))
            if kind in (0, 1):  # resourced unit at a mainstream school: a new site
                lat, lon = site(0.06)
                places = int(rng.choice([8, 12, 16]))
                need = rng.choice([n for n in NEEDS if n not in SPECIALIST])
                options.append([f"{code}O{i:03d}", f"{code} new unit {i}", None, places,
                                places * round(rng.uniform(15500, 31000)), earliest, None, 1,
                                None, "resourced", "yes", lat, lon, need,
                                rng.choice(["primary", "secondary"]),
                                round(rng.uniform(14000, 16000))])
            elif kind == 2:  # special school expansion
                places = int(rng.choice([10, 20, 30]))
                target = specials[i % len(specials)]
                options.append([f"{code}O{i:03d}", f"{code} expand {target}", target, places,
                                places * 120000, earliest, None, 1,
                                f"{code}G{target}", None, None, None, None, None, None, None])
            else:  # new special school
                places = int(rng.choice([80, 120, 150]))
                lat, lon = site(0.05)
                needs = ";".join(rng.choice(sorted(SPECIALIST), 2, replace=False))
                options.append([f"{code}O{i:03d}", f"{code} new school {i}", None, places,
                                places * 92000, first_year + 4, None, 3, f"{code}NEW",
                                "special", "yes", lat, lon, needs, "all",
                                round(rng.uniform(22000, 26000))])
    # Drawn after everything else, so a workbook without measures is as it always was.
    for la in range(size.las):
        measures += _measures(rng, f"LA{la:03d}", size, first_year)
    _write(path, first_year, size.years, zones, demand, providers, options, current, rng,
           size, measures)
    return Path(path)


def _measures(rng: np.random.Generator, code: str, size: Size, first_year: int) -> list:
    """Inclusion measures of one LA: an outreach team for a specialist need across the
    authority, or an inclusion base for a few zones (with capital). Illustrative figures."""
    rows = []
    for i in range(size.measures_per_la):
        need = sorted(SPECIALIST)[i % len(SPECIALIST)]
        share = round(float(rng.uniform(0.05, 0.2)), 3)
        low, high = round(share * 0.5, 3), round(min(1.0, share * 1.8), 3)
        if i % 2 == 0:  # outreach: running cost only
            rows.append([f"{code}M{i:02d}", f"{code} {need} outreach", need,
                         "primary;secondary", "all", share, low, high,
                         round(float(rng.uniform(150_000, 400_000))),
                         round(float(rng.uniform(2_000, 6_000))), 0, first_year, None, 2])
        else:  # an inclusion base serving a few zones
            zones = ";".join(f"{code}Z{z:03d}" for z in sorted(rng.choice(
                size.zones_per_la, min(4, size.zones_per_la), replace=False)))
            rows.append([f"{code}M{i:02d}", f"{code} {need} inclusion base", need,
                         "secondary", zones, share, low, high,
                         round(float(rng.uniform(60_000, 150_000))),
                         round(float(rng.uniform(3_000, 8_000))),
                         round(float(rng.uniform(100_000, 400_000))), first_year + 1, None, 1])
    return rows


def _write(path, first_year, horizon, zones, demand, providers, options, current, rng,
           size, measures=()) -> None:
    book = Workbook(write_only=True)
    years = list(range(first_year, first_year + horizon))

    def sheet(name: str, header: list, rows: list) -> None:
        ws = book.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append(row)

    sheet("Parameters", ["parameter", "value"], [
        ["first_year", first_year], ["horizon_years", horizon], ["home_la", "synthetic"],
        ["optimism_bias", 0.24], ["budget_limit", "soft"], ["mip_gap", 0.01],
        ["time_limit_seconds", 600],
    ])
    sheet("Zones", ["zone_id", "name", "latitude", "longitude"], zones)
    sheet("Demand", ["zone_id", "need", "phase", "provision", *years], demand)
    sheet("Providers", ["provider_id", "name", "type", "in_area", "latitude", "longitude",
                        "needs", "phases", "capacity", "annual_cost_per_place", "residential",
                        "la"], providers)
    sheet("Expansions", ["option_id", "name", "provider_id", "places", "capital_cost",
                         "earliest_year", "latest_year", "ramp_years", "group", "type",
                         "in_area", "latitude", "longitude", "needs", "phases",
                         "annual_cost_per_place"], options)
    total = np.array([row[4:] for row in demand], dtype=float).sum(axis=0)
    budget = [[y, "high_needs_block", round(30000 * t)] for y, t in zip(years, total,
                                                                        strict=True)]
    budget += [[y, "capital", 6_000_000 * size.las] for y in years[:4]]
    sheet("Budget", ["year", "stream", "amount"], budget)
    if measures:
        sheet("Inclusion", ["measure_id", "name", "needs", "phases", "zones", "share",
                            "share_low", "share_high", "annual_cost", "cost_per_pupil",
                            "capital_cost", "earliest_year", "latest_year", "ramp_years"],
              measures)
    book.save(path)


if __name__ == "__main__":
    name, out = sys.argv[1], sys.argv[2]
    generate(SIZES[name], out)
    print(f"wrote {out} ({name})")
