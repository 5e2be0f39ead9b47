"""Benchmark placeopt.model.journeys: dense journey matrices and BNG conversion.

Run from the repository root (the package need not be installed)::

    PYTHONPATH=src python benchmarks/bench_geography.py

Each case runs in a fresh interpreter so its peak RSS is its own, not the largest so far.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np

# England's bounding box, roughly (WGS84 degrees; BNG metres).
LAT_RANGE = (49.9, 55.8)
LON_RANGE = (-5.7, 1.8)
EASTING_RANGE = (80_000.0, 660_000.0)
NORTHING_RANGE = (5_000.0, 660_000.0)
SEED = 20240926

CASES = {
    "journeys_5000x500": (5_000, 500),
    "journeys_7000x2000": (7_000, 2_000),
    "bng_100k": (100_000, 0),
}


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux (bytes on macOS; this project runs on Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run_case(name: str) -> None:
    from placeopt.model.journeys import TravelParameters, journeys
    from placeopt.workbook.coordinates import bng_to_wgs84

    rng = np.random.default_rng(SEED)
    a, b = CASES[name]
    base_rss = _peak_rss_mb()
    if name == "bng_100k":
        east = rng.uniform(*EASTING_RANGE, a)
        north = rng.uniform(*NORTHING_RANGE, a)
        bng_to_wgs84(east[:10], north[:10])  # exclude one-off Transformer construction
        t0 = time.perf_counter()
        lat, _ = bng_to_wgs84(east, north)
        seconds = time.perf_counter() - t0
        extra = f"nan={int(np.isnan(lat).sum())}"
    else:
        zlat, zlon = rng.uniform(*LAT_RANGE, a), rng.uniform(*LON_RANGE, a)
        plat, plon = rng.uniform(*LAT_RANGE, b), rng.uniform(*LON_RANGE, b)
        residential = rng.random(b) < 0.1
        t0 = time.perf_counter()
        j = journeys(zlat, zlon, plat, plon, residential, TravelParameters())
        seconds = time.perf_counter() - t0
        extra = f"pairs={a * b:,} mean_minutes={float(j.minutes.mean()):.1f}"
    print(
        f"{name:<20} {seconds:8.2f} s   peak RSS {_peak_rss_mb():8.1f} MB "
        f"(after imports {base_rss:.1f} MB)   {extra}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), help="run one case in this process")
    args = parser.parse_args()
    if args.case:
        _run_case(args.case)
        return
    for name in CASES:
        subprocess.run([sys.executable, __file__, "--case", name], check=True)


if __name__ == "__main__":
    main()
