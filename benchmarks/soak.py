"""Soak: many runs of one workbook in one process through the Python API, memory watched.

A long-lived process (a notebook, a batch worker) must not grow run after run. This runs
`placeopt.plan` N times, writes each result folder over the last one, and records the
resident memory after every run and the objective (which must not change).

    python benchmarks/soak.py models/trafford.xlsx --runs 200
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from placeopt.run import plan, write_results


def resident_mb() -> float:
    """Current resident set size (not the peak), from /proc on Linux."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workbook")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--reports", action="store_true", help="write both reports too")
    parser.add_argument("--out", default="benchmarks/results.jsonl")
    args = parser.parse_args()
    memory, objectives, seconds = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            started = time.perf_counter()
            results = plan(args.workbook)
            write_results(results, Path(folder) / "result", reports=args.reports)
            objectives.append(results.summary["objective"])
            del results
            gc.collect()
            seconds.append(time.perf_counter() - started)
            memory.append(resident_mb())
            if run % 10 == 0 or run == args.runs - 1:
                print(f"run {run + 1}: {seconds[-1]:.1f}s, resident {memory[-1]:.0f} MB",
                      flush=True)
    tenth = max(1, args.runs // 10)
    record = {
        "benchmark": "soak", "workbook": args.workbook, "runs": args.runs,
        "reports": args.reports,
        "resident_mb_first_tenth": round(sum(memory[:tenth]) / tenth, 1),
        "resident_mb_last_tenth": round(sum(memory[-tenth:]) / tenth, 1),
        "resident_mb_max": round(max(memory), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seconds_per_run": round(sum(seconds) / len(seconds), 2),
        "objectives_identical": len(set(objectives)) == 1,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }
    print(json.dumps(record))
    with open(args.out, "a") as handle:
        handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
