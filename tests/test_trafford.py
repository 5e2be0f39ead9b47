"""models/trafford.xlsx: valid, rebuilt identically from inputs/, and true to SEN2.

The workbook is built by inputs/build_trafford.py from the public files in inputs/data/
(docs/trafford.md). These tests read only the repository: never the original downloads.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from placeopt.batches.uncertainty import DemandModel, sampled_demand
from placeopt.case import check_workbook
from placeopt.forecast.demand import PHASES, PROVISION
from placeopt.workbook.inputs import Inputs
from placeopt.workbook.reader import read_workbook

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "trafford.xlsx"
SCRIPT = ROOT / "inputs" / "build_trafford.py"
DATA = ROOT / "inputs" / "data"

SPECIAL_COLUMNS = ("special_la_maintained", "special_academy_free", "special_independent",
                   "special_non_maintained")
RESOURCED_COLUMNS = (
    "mainstream_la_maintained_resourced_provision", "mainstream_la_maintained_senunit",
    "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
    "mainstream_free_school_resourced_provision", "mainstream_free_school_senunit",
)


@pytest.fixture(scope="module")
def committed() -> Inputs:
    return read_workbook(MODEL)  # raises InputError, listing them, if there are errors


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_trafford", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _sen2_january_2025() -> dict[str, float]:
    """Trafford's 'All EHC plans' row of SEN2 caseload.csv for 2024/25 (installed with
    placeopt)."""
    caseload = ROOT / "src" / "placeopt" / "forecast" / "data" / "sen2_caseload.csv"
    with caseload.open(encoding="utf-8", newline="") as handle:
        row = next(r for r in csv.DictReader(handle)
                   if r["old_la_code"] == "358" and r["time_period"] == "202425"
                   and r["breakdown_topic"] == "All EHC plans")
    values = {k: float(v) for k, v in row.items() if v.replace(".", "").isdigit()}
    values["special_total"] = sum(values[c] for c in SPECIAL_COLUMNS)
    return values


def _residential_january_2025() -> float:
    with (DATA / "sen2_residential_trafford.csv").open(encoding="utf-8", newline="") as handle:
        return sum(float(r["Res_tot"]) for r in csv.DictReader(handle)
                   if r["time_period"] == "202425" and r["breakdown_topic"] ==
                   "Type of placement" and r["breakdown"] in ("Special - independent",
                                                              "Special - non-maintained"))


def test_workbook_validates_cleanly() -> None:
    warnings, notes = check_workbook(MODEL)  # every scenario; raises on any error
    # Two warnings, both true: without the free-school grant (£0 but in scenario
    # free_school_funded) the 250-place school costs more than all Trafford's capital; and
    # with no inclusion measure (scenario no_inclusion) nobody is sent to the mainstream
    # schools that stand for where the measures keep pupils.
    assert [f"{w.where}: {w.message}" for w in warnings] == [
        "Expansions!A13: option NEW-SCH-250 costs £28,520,000 with optimism bias, more than "
        "all the capital of its funding streams (capital:free_school £0, capital "
        "£23,400,000): it is never built",
        "Providers!A27: [scenario no_inclusion] provider MS-NEAR-HOME is in reach of no "
        "demand it can serve (its type, needs, phases and the journey limits leave no zone "
        "that can use it): its places will be empty in every plan"]
    assert "28 zones" in notes[0]


def test_rebuilding_gives_identical_tables(committed: Inputs, tmp_path: Path) -> None:
    rebuilt = read_workbook(_build_script().build(tmp_path / "trafford.xlsx"))
    assert rebuilt.params == committed.params
    assert sorted(rebuilt.tables) == sorted(committed.tables)
    for name, table in committed.tables.items():
        pd.testing.assert_frame_equal(rebuilt.tables[name], table, check_exact=True,
                                      obj=name)


def test_current_placements_are_the_sen2_counts(committed: Inputs) -> None:
    sen2 = _sen2_january_2025()
    # The figures the docs quote, as published (SEN2 2025, Trafford, January 2025).
    assert (sen2["special_la_maintained"], sen2["special_academy_free"],
            sen2["special_independent"], sen2["special_non_maintained"]) == (328, 493, 59, 82)
    current = committed.tables["CurrentPlacements"].merge(
        committed.tables["Providers"][["provider_id", "type", "residential"]],
        on="provider_id", validate="many_to_one")
    by_type = current.groupby("type")["pupils"].sum()
    assert set(by_type.index) == {"special", "inmss", "resourced"}
    assert by_type["special"] == pytest.approx(
        sen2["special_la_maintained"] + sen2["special_academy_free"], abs=1e-6)
    assert by_type["inmss"] == pytest.approx(
        sen2["special_independent"] + sen2["special_non_maintained"], abs=1e-6)
    assert by_type["resourced"] == pytest.approx(
        sum(sen2[c] for c in RESOURCED_COLUMNS), abs=1e-6)
    assert current.loc[current["residential"].astype(bool), "pupils"].sum() == pytest.approx(
        _residential_january_2025(), abs=1e-6)


def test_first_year_demand_is_the_current_placements(committed: Inputs) -> None:
    """2025/26 demand is the January 2025 count; demand then follows the forecast."""
    sen2 = _sen2_january_2025()
    demand = committed.tables["Demand"]
    first = committed.params["first_year"]
    by_level = demand[demand["year"] == first].groupby("provision")["pupils"].sum()
    assert by_level["special"] == pytest.approx(sen2["special_total"], abs=1e-6)
    assert by_level["resourced"] == pytest.approx(
        sum(sen2[c] for c in RESOURCED_COLUMNS), abs=1e-6)
    current = committed.tables["CurrentPlacements"]
    key = ["zone_id", "need", "phase", "provision"]
    placed = current.groupby(key)["pupils"].sum()
    wanted = demand[demand["year"] == first].set_index(key)["pupils"]
    assert placed.reindex(wanted.index, fill_value=0).to_numpy() == pytest.approx(
        wanted.to_numpy(), abs=1e-6)
    # each provision level and phase follows placeopt forecast's central projection
    forecast = _build_script().demand_forecast()
    projected = forecast.level_phase()
    totals = demand.groupby(["year", "provision", "phase"])["pupils"].sum()
    for (year, provision, phase), pupils in totals.items():
        expected = projected[forecast.years.index(year), PROVISION.index(provision),
                             PHASES.index(phase)]
        assert pupils == pytest.approx(expected, abs=0.05), (year, provision, phase)
    assert totals.groupby("year").sum().is_monotonic_increasing  # Trafford's demand rises


def test_batch_samples_spread_as_the_forecast_band(committed: Inputs) -> None:
    """One uncertainty model: the demand samples of `placeopt batch --samples` on Trafford
    (drawn without solving) spread as the forecast's 80% band of specialist places."""
    forecast = _build_script().demand_forecast()
    levels = [PROVISION.index("resourced"), PROVISION.index("special")]
    plans = forecast.projection.level_phase()[:, levels].sum(axis=(1, 2))
    central, low, high = (v[forecast.steps()] for v in
                          forecast.projection.interval(plans, "specialist"))
    model = DemandModel.calibrated(committed)
    assert "specialist places, 1,116 pupils in 2025" in model.basis
    drawn = sampled_demand(committed, ["base"], model, seed=0, samples=4000)
    assert drawn["central"].to_numpy() == pytest.approx(central, abs=0.5)  # rows rounded
    assert drawn["band_low"].to_numpy() == pytest.approx(low, rel=1e-3)
    assert drawn["band_high"].to_numpy() == pytest.approx(high, rel=1e-3)
    # 4,000 samples: their P10 and P90 within about 1.5% of the band's ends
    assert drawn["P10"].to_numpy() == pytest.approx(low, rel=0.015)
    assert drawn["P90"].to_numpy() == pytest.approx(high, rel=0.015)
    assert high[-1] / central[-1] > 1.25  # ten years ahead: a wide band, not a thin line
