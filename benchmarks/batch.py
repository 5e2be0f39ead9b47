"""Measure `placeopt batch`: parallel speed-up, memory over many samples, Dask overhead.

    python benchmarks/batch.py parallel   # 8 LA-scale scenarios: --jobs 2 against one by one
    python benchmarks/batch.py samples    # 100 Trafford demand samples: memory stays flat?
    python benchmarks/batch.py dask       # the 8 LA scenarios on a local Dask cluster
    python benchmarks/batch.py smoke      # all three, small (Northbridge): minutes, not hours

The targets (issue 12): 8 LA scenarios with --jobs 2 on 2 cores in <= 0.6 x the time one
after another; 100 Trafford samples in one batch with flat memory; Dask <= 10% over the
local run. Each measurement appends one JSON line to benchmarks/batch_results.jsonl
(machine, commit, date, figures); benchmarks/RESULTS.md quotes them.

Memory is sampled every 0.5 s over this process and all its children (the local workers,
or the Dask workers of the LocalCluster started here): resident set size, summed, and
per worker after each finished task (is it growing?).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import threading
import time
from pathlib import Path

import openpyxl
import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from scale import commit  # noqa: E402
from synthetic import SIZES, generate  # noqa: E402

from placeopt.batches.run import run_batch  # noqa: E402
from placeopt.case import Overrides  # noqa: E402

OUT = HERE / "out"
RECORDS = HERE / "batch_results.jsonl"
# Eight futures of the synthetic LA: demand, fees, capital and the budget varied.
LA_SCENARIOS = [
    ["scenario", "sheet", "column", "filter", "operation", "value"],
    ["low_growth", "Demand", "*", None, "scale", 0.9],
    ["high_growth", "Demand", "*", None, "scale", 1.1],
    ["very_high_growth", "Demand", "*", None, "scale", 1.2],
    ["inmss_fees_rise", "Providers", "annual_cost_per_place", "type=inmss", "scale", 1.18],
    ["less_capital", "Budget", "amount", "stream=capital", "scale", 0.5],
    ["hard_budget", "Parameters", "budget_limit", None, "set", "hard"],
    ["no_new_schools", "Expansions", "enabled", "group=LA000NEW", "set", "no"],
]


class Memory:
    """Resident memory of this process and its children, sampled in a thread."""

    def __init__(self, every: float = 0.5):
        self.every, self.peak, self.samples = every, 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _processes(self) -> list[psutil.Process]:
        me = psutil.Process()
        return [me, *me.children(recursive=True)]

    def now(self) -> dict[int, int]:
        out = {}
        for process in self._processes():
            try:
                out[process.pid] = process.memory_info().rss
            except psutil.Error:
                continue
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            total = sum(self.now().values())
            self.peak = max(self.peak, total)

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


def la_workbook() -> Path:
    path = OUT / "la_scenarios.xlsx"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        generate(SIZES["la"], path)
        book = openpyxl.load_workbook(path)
        sheet = book.create_sheet("Scenarios")
        for row in LA_SCENARIOS:
            sheet.append(row)
        book.save(path)
    return path


def record(kind: str, figures: dict) -> dict:
    line = {"benchmark": kind, "commit": commit(), "date": dt.date.today().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"{psutil.virtual_memory().total / 2**30:.0f} GiB", **figures}
    with RECORDS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
    print(json.dumps(line, indent=1), flush=True)
    return line


def timed_batch(workbook: Path, folder: Path, **options) -> dict:
    """One batch from scratch (its folder removed first): wall time, peak memory, and each
    worker's memory after each task it finished."""
    shutil.rmtree(folder, ignore_errors=True)
    after_task: list[int] = []

    def listener(kind: str, payload) -> None:
        if kind == "done":
            after_task.append(max(memory.now().values()))

    with Memory() as memory:
        started = time.perf_counter()
        result = run_batch(workbook, folder, force=True, listener=listener, **options)
        wall = time.perf_counter() - started
    table = result.table
    return {"wall_seconds": round(wall, 1), "peak_rss_mib": round(memory.peak / 2**20),
            "largest_process_after_each_task_mib": [round(m / 2**20) for m in after_task],
            "tasks": len(table), "solved": int(table["solved"].sum()),
            "task_seconds": [float(s) for s in table["seconds"]],
            "statuses": table["status"].tolist(),
            "npv": [None if v != v else float(v) for v in table["npv"]]}


def parallel(workbook: Path, scenarios: str, jobs: int, overrides: Overrides,
             name: str) -> dict:
    one = timed_batch(workbook, OUT / f"{name}-jobs1", scenarios=scenarios, jobs=1,
                      overrides=overrides)
    many = timed_batch(workbook, OUT / f"{name}-jobs{jobs}", scenarios=scenarios, jobs=jobs,
                       overrides=overrides)
    return record("parallel", {"workbook": str(workbook), "jobs": jobs,
                               "one_after_another": one, "parallel": many,
                               "ratio": round(many["wall_seconds"] / one["wall_seconds"], 3),
                               "same_npv": one["npv"] == many["npv"]})


def samples(workbook: Path, count: int, jobs: int, overrides: Overrides, name: str) -> dict:
    run = timed_batch(workbook, OUT / f"{name}-samples", scenarios="base", samples=count,
                      seed=1, jobs=jobs, overrides=overrides)
    return record("samples", {"workbook": str(workbook), "samples": count, "jobs": jobs,
                              **run})


def dask(workbook: Path, scenarios: str, jobs: int, overrides: Overrides, name: str,
         malloc_trim: bool = True) -> dict:
    """`malloc_trim=False` leaves MALLOC_TRIM_THRESHOLD_ out of the environment Dask's
    nannies give their workers (Dask sets it to 65536 by default; it slows HiGHS)."""
    import dask as dask_config
    from distributed import LocalCluster

    local = timed_batch(workbook, OUT / f"{name}-local", scenarios=scenarios, jobs=jobs,
                        overrides=overrides)
    environ = dict(dask_config.config.get("distributed.nanny.pre-spawn-environ"))
    if not malloc_trim:
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    started = time.perf_counter()
    with dask_config.config.set({"distributed.nanny.pre-spawn-environ": environ}), \
            LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                         host="127.0.0.1", dashboard_address=None) as cluster:
        cluster_start = time.perf_counter() - started
        remote = timed_batch(workbook, OUT / f"{name}-dask", scenarios=scenarios,
                             scheduler=cluster.scheduler_address, overrides=overrides)
    return record("dask", {"workbook": str(workbook), "workers": jobs, "local": local,
                           "worker_environ": environ,
                           "dask": remote, "cluster_start_seconds": round(cluster_start, 1),
                           "overhead": round(remote["wall_seconds"] / local["wall_seconds"]
                                             - 1, 3),
                           "same_npv": local["npv"] == remote["npv"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["parallel", "samples", "dask", "smoke"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--time-limit", type=float, default=600)
    parser.add_argument("--threads", type=int, default=1, help="HiGHS threads per solve")
    parser.add_argument("--no-malloc-trim", action="store_true",
                        help="dask: leave MALLOC_TRIM_THRESHOLD_ out of the workers' environment")
    args = parser.parse_args()
    overrides = Overrides(time_limit=args.time_limit, threads=args.threads)
    if args.what == "smoke":
        small = ROOT / "models" / "northbridge.xlsx"
        parallel(small, "all", args.jobs, overrides, "smoke")
        samples(small, 10, args.jobs, overrides, "smoke")
        dask(small, "all", args.jobs, overrides, "smoke")
    elif args.what == "parallel":
        parallel(la_workbook(), "all", args.jobs, overrides, "la")
    elif args.what == "samples":
        samples(ROOT / "models" / "trafford.xlsx", args.samples, args.jobs, overrides,
                "trafford")
    else:
        dask(la_workbook(), "all", args.jobs, overrides, "la",
             malloc_trim=not args.no_malloc_trim)


if __name__ == "__main__":
    main()
