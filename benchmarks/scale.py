"""Run placeopt at each scale and record stage times and peak memory.

    python benchmarks/scale.py la region england [--engine direct|pyomo] [--time-limit S]

For each size: write the synthetic workbook (benchmarks/out/<size>.xlsx, kept between
runs), run benchmarks/stages.py on it under `/usr/bin/time -v` (peak resident memory of
the whole process), and append one JSON line to benchmarks/results.jsonl with the
machine, commit and date. benchmarks/RESULTS.md is written from those lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import SIZES, generate  # noqa: E402


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_size(size: str, engine: str, time_limit: float, gap: float,
             residential_k: int | None, highs: list[str]) -> dict:
    workbook = HERE / "out" / f"{size}.xlsx"
    workbook.parent.mkdir(exist_ok=True)
    if not workbook.exists():
        started = time.perf_counter()
        generate(SIZES[size], workbook)
        print(f"generated {workbook} in {time.perf_counter() - started:.1f}s", flush=True)
    command = ["/usr/bin/time", "-v", sys.executable, str(HERE / "stages.py"), str(workbook),
               "--engine", engine, "--time-limit", str(time_limit), "--gap", str(gap)]
    if residential_k is not None:
        command += ["--residential-k", str(residential_k)]
    for option in highs:
        command += ["--highs", option]
    started = time.perf_counter()
    done = subprocess.run(command, text=True, capture_output=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        progress = [line for line in done.stderr.splitlines()
                    if line and not line.startswith(("\t", "Command"))]
        reason = next((line for line in done.stderr.splitlines() if "terminated" in line),
                      f"exit {done.returncode}")
        return {"size": size, "failed": reason,
                "progress": progress[-40:],
                "wall_seconds": round(wall, 1),
                "peak_rss_mib_time_v": round(int(peak.group(1)) / 1024) if peak else None,
                "residential_k": residential_k, "highs_options": highs,
                "time_limit": time_limit, "commit": commit(),
                "date": dt.date.today().isoformat()}
    record = json.loads(done.stdout.strip().splitlines()[-1])
    peak_kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    record.update({
        "size": size,
        "wall_seconds": round(wall, 1),
        "peak_rss_mib_time_v": round(int(peak_kb.group(1)) / 1024) if peak_kb else None,
        "time_limit": time_limit,
        "gap_target": gap,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}",
        "commit": commit(),
        "date": dt.date.today().isoformat(),
    })
    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="+", choices=sorted(SIZES))
    parser.add_argument("--engine", choices=("direct", "pyomo"), default="direct")
    parser.add_argument("--time-limit", type=float, default=600)
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--residential-k", type=int, default=None)
    parser.add_argument("--highs", action="append", default=[], metavar="OPTION=VALUE")
    args = parser.parse_args()
    for size in args.sizes:
        record = run_size(size, args.engine, args.time_limit, args.gap, args.residential_k,
                          args.highs)
        with (HERE / "results.jsonl").open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
