"""`placeopt batch` (SPEC §3): scenarios in worker processes or on a real Dask cluster,
failures recorded while the rest go on, resume, demand samples, a fixed programme.

The workbook is tests/batch_cases.py's, whose optimum is worked out there by hand.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest
from batch_cases import batch_workbook
from conftest import run_cli

from placeopt import batch
from placeopt.batches.programme import read_programme
from placeopt.batches.records import EXIT_FAILED, FolderError
from placeopt.batches.run import run_batch
from placeopt.batches.uncertainty import (
    SEN2_PHASE_SPREAD,
    DemandModel,
    DemandSample,
)
from placeopt.case import build_case
from placeopt.forecast.calibration import shipped_model
from placeopt.model.journeys import JourneyCache, TravelParameters, journeys, reusing
from placeopt.model.portfolio import cores
from placeopt.problems import InputError
from placeopt.run import plan, write_results
from placeopt.workbook.reader import read_workbook

ROOT = Path(__file__).resolve().parents[1]
# What depends on where and when a batch ran, not on what it found.
RUN_COLUMNS = ["seconds", "reused", "folder"]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return batch_workbook(tmp_path / "tiny.xlsx")


def _found(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=RUN_COLUMNS).set_index("label")


def _check_tiny_batch(table: pd.DataFrame) -> None:
    rows = table.set_index("label")
    assert list(rows.index) == ["base", "grow", "no_option", "broke", "bad"]
    assert rows.loc["base", "npv"] == pytest.approx(330_000)
    assert rows.loc["grow", "npv"] == pytest.approx(780_000)
    assert rows.loc["grow", "options_built"] == "OPT_A 2026; OPT_B 2027"
    assert rows.loc["no_option", "npv"] == pytest.approx(0)
    # Proven before any model is built (a pre-solve check): infeasible, with why.
    assert rows.loc["broke", "status"] == "infeasible" and not rows.loc["broke", "solved"]
    assert "required options OPT_A must open by 2026" in rows.loc["broke", "reason"]
    assert rows.loc["bad", "status"] == "error"
    assert "Scenarios!F7" in rows.loc["bad", "reason"]
    assert "capacity" in rows.loc["bad", "reason"]


def test_local_processes_and_dask_cluster_agree_failures_included(workbook: Path,
                                                                  tmp_path: Path) -> None:
    from distributed import LocalCluster

    local = run_batch(workbook, tmp_path / "local", jobs=2, reports=False)
    _check_tiny_batch(local.table)
    assert local.exit_code == EXIT_FAILED
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        events: list[tuple[str, object]] = []
        remote = run_batch(workbook, tmp_path / "dask", scheduler=cluster.scheduler_address,
                           reports=False, listener=lambda kind, p: events.append((kind, p)))
    pd.testing.assert_frame_equal(_found(local.table), _found(remote.table))
    assert remote.exit_code == EXIT_FAILED
    # Without --threads each task solves on its share of the cores: two local workers,
    # or two one-thread Dask workers on this machine, each get half of them.
    share = max(1, cores() // 2)
    for where in ("local", "dask"):
        summary = json.loads((tmp_path / where / "base" / "summary.json").read_text())
        assert summary["provenance"]["options"]["threads"] == share, where
    # Progress reached this process from the workers: every task started, solved in stages.
    stages = {(p["label"], p["stage"]) for kind, p in events if kind == "progress"}
    assert {("base", "starting"), ("base", "plan"), ("grow", "baseline")} <= stages
    for label in ("base", "grow", "no_option"):
        summaries = [json.loads((tmp_path / where / label / "summary.json").read_text())
                     for where in ("local", "dask")]
        assert summaries[0]["objective"] == summaries[1]["objective"]
        assert summaries[0]["plan"] == summaries[1]["plan"]
        expansions = [pd.read_csv(tmp_path / where / label / "expansions.csv")
                      for where in ("local", "dask")]
        pd.testing.assert_frame_equal(*expansions)


def test_a_worker_that_dies_fails_its_task_alone(workbook: Path, tmp_path: Path) -> None:
    killed: list[int] = []

    def kill_the_first_worker(kind: str, payload) -> None:
        if kind == "progress" and not killed:
            killed.append(payload["pid"])
            os.kill(payload["pid"], signal.SIGKILL)

    result = run_batch(workbook, tmp_path, "base,grow,no_option", jobs=2, reports=False,
                       listener=kill_the_first_worker)
    rows = result.table.set_index("label")
    stopped = rows[rows["reason"].str.contains("worker process stopped", na=False)]
    assert len(stopped) == 1 and stopped["status"].tolist() == ["error"]
    summary = json.loads((Path(stopped["folder"].iloc[0]) / "summary.json").read_text())
    assert summary["status"] == "error" and "worker process stopped" in summary["explanation"]
    assert rows["solved"].sum() == 2 and result.exit_code == EXIT_FAILED


def test_cli_batch_writes_summaries_exits_3_and_resumes(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_cli("batch", workbook, "-o", out, "--jobs", "1", "--scenarios",
                    "base,broke,bad")
    assert first.exit_code == 3, first.output
    assert "Traceback" not in first.output
    assert "FAILED broke: infeasible" in first.output
    table = pd.read_csv(out / "batch_summary.csv")
    assert list(table["label"]) == ["base", "broke", "bad"]
    assert (out / "base" / "report.html").exists()  # scenarios get their reports
    book = openpyxl.load_workbook(out / "batch_summary.xlsx")
    assert book["Scenarios"]._charts, "a native chart compares the scenarios"
    assert {"Scenarios", "About"} <= set(book.sheetnames)
    page = (out / "batch.html").read_text(encoding="utf-8")
    assert "<svg" in page and "broke" in page and "http" not in page.split("<main>")[1]

    started = json.loads((out / "base" / "summary.json").read_text())["provenance"]["started_at"]
    second = run_cli("batch", workbook, "-o", out, "--jobs", "1", "--scenarios",
                     "base,broke,bad")
    assert second.exit_code == 3
    again = pd.read_csv(out / "batch_summary.csv").set_index("label")
    assert again.loc["base", "reused"]
    assert not again.loc["bad", "reused"]
    assert json.loads((out / "base" / "summary.json").read_text())["provenance"][
        "started_at"] == started
    pd.testing.assert_frame_equal(_found(table).drop(columns=["reason"]),
                                  _found(again.reset_index()).drop(columns=["reason"]))

    forced = run_cli("batch", workbook, "-o", out, "--jobs", "1", "--scenarios", "base",
                     "--force", "--no-reports", "--quiet")
    assert forced.exit_code == 0 and forced.output == ""
    assert not pd.read_csv(out / "batch_summary.csv").loc[0, "reused"]


def test_failed_scenarios_keep_their_story(workbook: Path, tmp_path: Path,
                                           monkeypatch) -> None:
    """Each failed scenario's folder holds its summary.json with status and explanation
    (SPEC §3, §4): the infeasible one as `placeopt run` writes it, the one with an input
    error with its cells, the one a bug stopped saying so; the batch exits 4 when a bug
    stopped any (3 for the others). Failed scenarios used to leave no folder."""
    from placeopt.batches import solving

    real = solving.solve_case

    def a_bug_in_grow(case, **kwargs):
        if case.scenario == "grow":
            raise ZeroDivisionError("a bug in placeopt")
        return real(case, **kwargs)

    out = tmp_path / "out"
    result = run_cli("batch", workbook, "-o", out, "--jobs", "1", "--no-reports",
                     "--scenarios", "base,broke,bad")
    assert result.exit_code == 3, result.output
    broke = json.loads((out / "broke" / "summary.json").read_text())
    assert sorted(p.name for p in (out / "broke").iterdir()) == ["summary.json"]
    assert broke["status"] == "infeasible" and broke["scenario"] == "broke"
    assert broke["explanation"].startswith("required options OPT_A must open by 2026 and "
                                           "cost £30,000 with optimism bias")
    assert broke["years"] == [2026, 2027, 2028]
    assert broke["batch"]["task"]["scenario"] == "broke"
    bad = json.loads((out / "bad" / "summary.json").read_text())
    assert bad["status"] == "error" and "Scenarios!F7" in bad["explanation"]
    assert bad["provenance"]["workbook_sha256"] == broke["provenance"]["workbook_sha256"]

    monkeypatch.setattr(solving, "solve_case", a_bug_in_grow)
    result = run_cli("batch", workbook, "-o", out, "--jobs", "1", "--no-reports",
                     "--scenarios", "base,grow,broke")
    assert result.exit_code == 4, result.output
    assert "internal error" in result.output and "Traceback" not in result.output
    grow = json.loads((out / "grow" / "summary.json").read_text())
    assert grow["status"] == "error" and grow["batch"]["bug"] is True
    assert "ZeroDivisionError: a bug in placeopt" in grow["explanation"]
    table = pd.read_csv(out / "batch_summary.csv").set_index("label")
    assert table.loc["base", "reused"] and not table.loc["grow", "solved"]
    assert table.loc["broke", "reused"] and table.loc["broke", "status"] == "infeasible"
    assert table.loc["broke", "reason"] == broke["explanation"]


def test_a_changed_setting_is_solved_again(workbook: Path, tmp_path: Path) -> None:
    run_batch(workbook, tmp_path, "base", jobs=1, reports=False)
    table = batch(workbook, tmp_path, "base", jobs=1, reports=False)
    assert table.loc[0, "reused"]
    from placeopt.case import Overrides

    table = batch(workbook, tmp_path, "base", jobs=1, reports=False,
                  overrides=Overrides(mip_gap=0.01))
    assert not table.loc[0, "reused"]


def test_usage_and_input_errors(workbook: Path, tmp_path: Path) -> None:
    both = run_cli("batch", workbook, "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert both.exit_code == 2 and "--jobs is for local runs" in both.output
    seed = run_cli("batch", workbook, "--seed", "3")
    assert seed.exit_code == 2 and "give --samples" in seed.output
    # A wrong argument, as in `run` (it was exit 1, blaming the workbook).
    unknown = run_cli("batch", workbook, "-o", tmp_path / "x", "--scenarios", "base,nope")
    assert unknown.exit_code == 2, unknown.output
    assert "--scenarios" in unknown.output and "no scenario named 'nope'" in unknown.output
    assert not (tmp_path / "x").exists()
    missing = run_cli("batch", tmp_path / "nowhere.xlsx", "-o", tmp_path / "y")
    assert missing.exit_code == 2, missing.output
    assert "does not exist" in missing.output and "Traceback" not in missing.output
    occupied = tmp_path / "occupied"
    (occupied / "base").mkdir(parents=True)
    (occupied / "base" / "notes.txt").write_text("mine")
    with pytest.raises(FolderError, match="not result folders"):
        run_batch(workbook, occupied, "base", jobs=1)
    refused = run_cli("batch", workbook, "-o", occupied, "--scenarios", "base")
    assert refused.exit_code == 2
    assert (occupied / "base" / "notes.txt").read_text() == "mine"


# --- Fixed programme --------------------------------------------------------------------


def test_fixed_programme_regret_against_each_scenarios_optimum(workbook: Path,
                                                                 tmp_path: Path) -> None:
    source = write_results(plan(workbook, "base"), tmp_path / "chosen", reports=False)
    result = run_batch(workbook, tmp_path / "fixed", "base,grow,no_option", jobs=1,
                       fix_programme=source, reports=True)
    rows = result.table.set_index("label")
    assert list(rows.index) == ["base.programme", "grow.programme", "no_option.programme"]
    base, grow = rows.loc["base.programme"], rows.loc["grow.programme"]
    assert base["npv"] == pytest.approx(330_000) and base["regret"] == pytest.approx(0)
    assert grow["npv"] == pytest.approx(530_000)
    assert grow["optimum_npv"] == pytest.approx(780_000)
    assert grow["regret"] == pytest.approx(250_000)
    assert grow["objective_regret"] == pytest.approx(250_000)
    assert grow["options_built"] == "OPT_A 2026"
    assert grow["optimum_options_built"] == "OPT_A 2026; OPT_B 2027"
    # The folder sets the programme against the scenario's do-minimum, not against itself.
    summary = json.loads((tmp_path / "fixed" / "grow.programme" / "summary.json").read_text())
    assert sum(summary["baseline"]["total_cost"]) == pytest.approx(1_560_000)
    assert summary["baseline"]["capital_cost"] == [0, 0, 0]
    assert summary["fixed_programme"]["built"] == {"OPT_A": 2026}
    costs = pd.read_csv(tmp_path / "fixed" / "grow.programme" / "costs.csv")
    assert costs.loc[costs["case"] == "baseline", "pupils"].sum() == pytest.approx(36)
    assert (tmp_path / "fixed" / "grow.programme" / "report.html").exists()
    # A programme that builds what the scenario switches off cannot be carried out there.
    no_option = rows.loc["no_option.programme"]
    assert no_option["status"] == "error" and "switches off" in no_option["reason"]


def test_programme_folder_must_be_a_result_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expansions.csv is missing"):
        read_programme(tmp_path)
    (tmp_path / "expansions.csv").write_text("option_id,built,open_year\nA,yes,\n")
    with pytest.raises(InputError, match="open_year is ''; expected a year"):
        read_programme(tmp_path)


# --- Demand samples ---------------------------------------------------------------------


def test_samples_are_reproducible_and_summarised(workbook: Path, tmp_path: Path) -> None:
    first = run_batch(workbook, tmp_path / "a", "base,grow", jobs=1, samples=3, seed=11)
    again = run_batch(workbook, tmp_path / "b", "grow", jobs=1, samples=3, seed=11)
    other = run_batch(workbook, tmp_path / "c", "base", jobs=1, samples=3, seed=12)
    pd.testing.assert_frame_equal(_found(first.table).iloc[4:], _found(again.table))
    # Each scenario is solved itself (the central case), then its samples.
    assert list(first.table["label"])[:4] == ["base", "base.sample-0001", "base.sample-0002",
                                              "base.sample-0003"]
    assert not np.allclose(first.table["objective"][1:4], other.table["objective"][1:4])
    demand = pd.read_csv(tmp_path / "a" / "base.sample-0002" / "placements.csv").groupby(
        "year")["pupils"].sum()
    assert demand[2026] == pytest.approx(6)  # the first year is taken as known
    assert demand[2028] != pytest.approx(10)
    # Percentiles over each scenario's samples, and how often each option is built.
    p = first.percentiles.set_index(["scenario", "measure"])
    rows = first.table[first.table["scenario"] == "grow"]
    npv = rows.loc[rows["sample"].notna(), "npv"]
    assert p.loc[("grow", "NPV (£)"), "P50"] == pytest.approx(npv.median())
    assert p.loc[("grow", "NPV (£)"), "samples"] == 3
    # ... and where the scenario itself falls among them (batch_cases: grow's NPV 780,000).
    assert p.loc[("grow", "NPV (£)"), "central"] == pytest.approx(780_000)
    assert p.loc[("grow", "NPV (£)"), "central_percentile"] == pytest.approx(
        ((npv < 780_000).sum() + 0.5 * (npv == 780_000).sum()) / 3)
    assert first.options.set_index(["scenario", "option_id"]).loc[
        ("grow", "OPT_B"), "central_open_year"] == 2027
    assert (tmp_path / "a" / "grow" / "report.xlsx").exists()  # the central case's reports
    options = first.options.set_index(["scenario", "option_id"])
    built = first.table.loc[(first.table["scenario"] == "base") & first.table["sample"].notna(),
                            "options_built"]
    assert options.loc[("base", "OPT_A"), "built_share"] == pytest.approx(
        built.str.contains("OPT_A").mean())
    for name in ("batch_samples.csv", "batch_options.csv", "batch.html", "batch_demand.csv"):
        assert (tmp_path / "a" / name).exists()
    assert not (tmp_path / "a" / "base.sample-0001" / "report.xlsx").exists()
    # The samples' total demand, beside the calibrated band it is drawn from.
    banded = pd.read_csv(tmp_path / "a" / "batch_demand.csv").set_index(["scenario", "year"])
    assert banded.loc[("base", 2028), "central"] == pytest.approx(10)
    assert banded.loc[("base", 2026), "P90"] == banded.loc[("base", 2026), "band_high"] == 6
    assert banded.loc[("base", 2028), "band_low"] < 10 < banded.loc[("base", 2028), "band_high"]
    assert "error model for specialist places" in (tmp_path / "a" / "batch.html").read_text()


def test_spread_says_what_it_overrides(workbook: Path, tmp_path: Path) -> None:
    result = run_cli("batch", workbook, "--scenarios", "base,bad", "--samples", "1",
                     "--spread", "0.1", "--jobs", "1", "-o", tmp_path / "b")
    assert result.exit_code == EXIT_FAILED, result.output  # "bad" cannot be applied
    demand = pd.read_csv(tmp_path / "b" / "batch_demand.csv")
    assert set(demand["scenario"]) == {"base"}  # the samples' demand of what could be
    assert "yearly spread 0.1000" in result.stderr
    # in place of the calibrated spread of an authority of 6 specialist places: σ √(1 + N₀/6)
    calibrated = shipped_model().of("specialist").yearly(6)
    assert f"--spread 0.1, in place of {calibrated:.4f}" in result.stderr


def test_sample_draws_follow_the_documented_model() -> None:
    model = DemandModel(spread=0.06, persistence=0.3)
    years = 10
    shared = np.array([DemandSample(model, 4, i).shared(years) for i in range(1, 2001)])
    assert np.all(shared[:, 0] == 0)  # M = 1 in the first year
    # s[k] is a sum of k AR(1) steps: its variance is sigma^2 sum_ij rho^|i-j|.
    k = years - 1
    steps = np.arange(k)
    correlation = model.persistence ** np.abs(steps[:, None] - steps[None, :])
    assert np.std(shared[:, -1]) == pytest.approx(model.spread * np.sqrt(correlation.sum()),
                                                  rel=0.06)
    assert np.median(shared[:, -1]) == pytest.approx(0, abs=0.02)  # median multiplier 1
    mix = np.array([DemandSample(model, 4, i).mix("ASD", "primary", years)
                    for i in range(1, 2001)])
    assert np.std(mix[:, -1]) == pytest.approx(
        SEN2_PHASE_SPREAD["primary"] * np.sqrt(correlation.sum()), rel=0.06)
    # Sample i is sample i whatever else is drawn, and shared by every scenario.
    same = DemandSample(model, 4, 7)
    assert np.allclose(same.shared(years), shared[6])
    assert np.allclose(same.shared(6), shared[6, :6])
    # Needs differ in their own part of the path; the whole-authority part is shared.
    assert not np.array_equal(same.mix("ASD", "primary", years),
                              same.mix("SEMH", "primary", years))


def test_sampled_demand_scales_each_row_by_its_path(workbook: Path) -> None:
    inputs = read_workbook(workbook)
    sample = DemandSample(DemandModel(spread=0.06, persistence=0.2), 1, 2)
    case = build_case(inputs, "grow", adjust=sample)
    path = np.exp(sample.shared(3))  # one need and phase: its mix is its total's
    assert case.instance.demand[0] == pytest.approx(np.round(np.array([9, 12, 15]) * path, 3))
    assert inputs.tables["Demand"]["pupils"].tolist() == [6, 8, 10]  # the read is untouched


def test_the_mix_moves_pupils_and_the_shared_path_the_total() -> None:
    """Two needs and two phases: each row moves by its own mix, but each year's total is
    the scenario's times exp(s[k]), the calibrated whole-authority path."""
    demand = pd.DataFrame({"zone_id": "Z1", "need": ["ASD", "ASD", "SEMH", "SEMH"] * 3,
                           "phase": ["primary", "post19"] * 6, "provision": "special",
                           "year": np.repeat([2025, 2026, 2027], 4),
                           "pupils": [10.0, 20, 30, 40, 12, 22, 33, 41, 15, 25, 35, 45]})
    inputs = SimpleNamespace(tables={"Demand": demand.copy()}, years=[2025, 2026, 2027])
    sample = DemandSample(DemandModel(spread=0.05, persistence=0.4), 3, 5)
    sample(inputs)
    sampled = inputs.tables["Demand"]
    totals = sampled.groupby("year")["pupils"].sum().to_numpy()
    expected = demand.groupby("year")["pupils"].sum().to_numpy() * np.exp(sample.shared(3))
    assert totals == pytest.approx(expected, abs=0.002)  # rows are rounded to 3 decimals
    assert sampled["pupils"].iloc[:4].tolist() == [10, 20, 30, 40]  # the first year known
    ratio = sampled["pupils"].to_numpy() / demand["pupils"].to_numpy()
    assert len(np.unique(np.round(ratio[4:8], 4))) == 4  # each row its own mix


def test_the_phase_spreads_are_derived_from_the_sen2_extract() -> None:
    script = ROOT / "inputs" / "sen2_growth_spread.py"
    spec = importlib.util.spec_from_file_location("sen2_growth_spread", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for phase, (value, _) in module.phase_spreads(module.read()).items():
        assert SEN2_PHASE_SPREAD[phase] == pytest.approx(value, abs=0.005)


# --- Journeys shared between the cases of a worker --------------------------------------


def test_journey_cache_reuses_only_identical_inputs() -> None:
    args = ([52.0, 52.1], [-1.0, -1.1], [52.05, 52.2, 52.3], [-1.05, -1.0, -1.2],
            [False, True, False], TravelParameters())
    overrides = pd.DataFrame({"zone_row": [0], "provider_row": [1], "minutes": [12.0],
                              "distance_km": [np.nan], "annual_transport_cost": [np.nan]})
    fresh = journeys(*args, overrides)
    cache = JourneyCache()
    with reusing(cache):
        first = journeys(*args, overrides)
        second = journeys(*args, overrides.copy())
        moved = journeys(args[0], args[1], [52.05, 52.2, 52.31], *args[3:], overrides)
        slower = journeys(*args[:5], TravelParameters(road_speed_kmh=25), overrides)
        other = journeys(*args, overrides.assign(minutes=[13.0]))
    assert second is first and (cache.hits, cache.misses) == (1, 4)
    for name in ("distance_km", "minutes", "transport_cost"):
        assert np.array_equal(getattr(first, name), getattr(fresh, name), equal_nan=True)
    assert moved.distance_km[0, 2] != first.distance_km[0, 2]
    assert slower.minutes[1, 0] > first.minutes[1, 0]
    assert other.minutes[0, 1] == 13.0
    with pytest.raises(ValueError):
        first.minutes[0, 0] = 1.0  # what the cache hands out cannot be changed
    assert journeys(*args, overrides) is not first  # outside the block: computed afresh
