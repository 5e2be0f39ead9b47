"""placeopt forecast: the cohort arithmetic by hand, SEN2 as published, the workbook it
writes (new, or into a planner's own without losing anything), backtests, and the
command line's answers to bad arguments.

The SEN2 files are placeopt's cut, installed with it (never the original download).
"""

from __future__ import annotations

import csv
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import run_cli, valid_sheets, write_workbook
from openpyxl.chart import BarChart, Reference

from placeopt.forecast.ages import AGES
from placeopt.forecast.backtest import backtest, project_from, summarise
from placeopt.forecast.calibration import ErrorModel, fit_error_model
from placeopt.forecast.cohort import ALL_AGES, BY_AGE, carry_on, extrapolate, project
from placeopt.forecast.command import make_forecast
from placeopt.forecast.demand import PROVISION
from placeopt.forecast.method import Method
from placeopt.forecast.population import read_population
from placeopt.forecast.sen2 import ENGLAND, LEVELS, NEEDS, Authority, History, Sen2
from placeopt.workbook.reader import read_workbook

DATA = Path(__file__).resolve().parents[1] / "inputs" / "data"
POPULATION = DATA / "trafford_mid2024_population_msoa_syoa.csv"


@pytest.fixture(scope="module")
def sen2() -> Sen2:
    return Sen2.read(Sen2.PACKAGED)


# --------------------------------------------------------------------------------------
# The cohort arithmetic, by hand
# --------------------------------------------------------------------------------------
def test_carry_on_moves_each_cohort_up_an_age() -> None:
    launch = np.array([10.0, 20.0, 30.0, 40.0])
    ratios = np.array([[1.5, 1.0, 0.5], [1.5, 1.0, 0.5]])
    entrants = np.array([[12.0], [14.0]])
    plans = carry_on(launch, ratios, entrants)
    # year 1: 12 enter; 10 x 1.5; 20 x 1.0; 30 x 0.5; the 40 of the oldest age leave
    assert plans[1].tolist() == [12, 15, 20, 15]
    assert plans[2].tolist() == [14, 18, 15, 10]


def _ages(values: dict[int, float]) -> np.ndarray:
    return np.array([values.get(a, 0.0) for a in AGES])


def _history(name: str, years: tuple[int, ...], plans: list[float],
             by_age: dict[int, dict[int, float]], special: dict[int, dict[int, float]]
             ) -> History:
    """A hand-made history: plans by year, ages (and special places by age) by year."""
    age_years = tuple(sorted(by_age))
    levels = np.zeros((len(age_years), len(AGES), len(LEVELS)))
    for i, year in enumerate(age_years):
        levels[i, :, LEVELS.index("special")] = _ages(special.get(year, {}))
        levels[i, :, LEVELS.index("mainstream")] = _ages(by_age[year]) - levels[i, :, 2]
    by_level = np.zeros((len(years), len(LEVELS)))
    by_level[:, LEVELS.index("mainstream")] = plans
    for year in age_years:
        by_level[years.index(year)] = levels[age_years.index(year)].sum(axis=0)
    return History(Authority("999", "E99999999", name), years, np.array(plans, float), by_level,
                   np.zeros(len(years)), age_years,
                   np.array([_ages(by_age[y]) for y in age_years]), levels)


LA = _history("Toyshire", (2022, 2023, 2024), [50, 60, 78],
              {2023: {4: 10, 5: 20, 6: 30}, 2024: {4: 12, 5: 15, 6: 24, 7: 27}},
              {2024: {5: 5, 6: 12, 7: 9}})
TOY_ENGLAND = _history("England", (2022, 2023, 2024), [500, 600, 800],
                       {2023: {4: 100, 5: 200, 6: 300}, 2024: {4: 100, 5: 150, 6: 220, 7: 330}},
                       {})


def test_projection_by_age_by_hand() -> None:
    """Ratios 2023/24 -> 2024/25: the LA's 4->5 15/10 = 1.5, 5->6 24/20 = 1.2, 6->7 27/30
    = 0.9; England's 1.5, 1.1, 1.1; pooled half and half: 1.5, 1.15, 1.0. Nobody was 7 in
    2023/24, so 7->8 has no ratio (0). Age 4 enters at its latest count, 12."""
    projection = project(LA, TOY_ENGLAND, 2, Method(pooling=0.5, share_trend="constant"))
    assert projection.estimate.form == BY_AGE
    plans = projection.plans
    at = {a: AGES.index(a) for a in (4, 5, 6, 7, 8)}
    year_1 = {a: plans[1, j] for a, j in at.items()}
    assert year_1 == pytest.approx({4: 12, 5: 18, 6: 17.25, 7: 24, 8: 0})
    year_2 = {a: plans[2, j] for a, j in at.items()}
    assert year_2 == pytest.approx({4: 12, 5: 18, 6: 20.7, 7: 17.25, 8: 0})
    assert projection.measure("total").tolist() == pytest.approx([78, 71.25, 67.95])
    # special places: each age's 2024/25 share (5 of 15, 12 of 24, 9 of 27) carried on
    assert projection.measure("special")[1] == pytest.approx(18 / 3 + 17.25 / 2 + 24 / 3)


def test_projection_of_all_ages_as_one_band_by_hand() -> None:
    """Without two years of ages: N[t+1] = R N[t], R the mean of the pooled all-plans
    ratios: LA 110/100 = 121/110 = 1.1, England 1.2, pooled 1.15."""
    la = replace(LA, years=(2020, 2021, 2022), plans=np.array([100.0, 110.0, 121.0]),
                 by_level=np.array([[80.0, 0, 20], [88, 0, 22], [96.8, 0, 24.2]]),
                 not_recorded=np.zeros(3), age_years=(), by_age=np.zeros((0, len(AGES))),
                 by_age_level=np.zeros((0, len(AGES), len(LEVELS))))
    england = replace(la, plans=np.array([1000.0, 1200.0, 1440.0]))
    projection = project(la, england, 2, Method(pooling=0.5, share_trend="constant"))
    assert projection.estimate.form == ALL_AGES
    assert projection.measure("total").tolist() == pytest.approx([121, 139.15, 160.0225])
    assert projection.measure("specialist")[2] == pytest.approx(160.0225 * 0.2)
    # pooled shares: the specialist share held at 0.2 here (ratio 1) and fell 0.02 ->
    # 0.0183 -> 0.0168 in "England" (ratios 11/12 twice): pooled (1 + 11/12) / 2, damped
    pooled = project(la, england, 2, Method(pooling=0.5, share_trend="pooled", damping=0.5))
    ratio = (1 + 11 / 12) / 2
    assert pooled.estimate.share_ratios[LEVELS.index("special")] == pytest.approx(ratio)
    assert pooled.measure("specialist").tolist() == pytest.approx(
        [24.2, 139.15 * 0.2 * ratio ** 0.5, 160.0225 * 0.2 * ratio ** 0.75])
    # mainstream, a group of its own: 0.8 held here, 88/1200 over 80/1000 in "England"
    mainstream = (1 + (88 / 1200) / (80 / 1000)) / 2
    assert pooled.measure("mainstream")[1] == pytest.approx(139.15 * 0.8 * mainstream ** 0.5)


def test_constant_ratios_reproduce_a_steady_state() -> None:
    """Every year the same plans at every age (here and in England): the ratios are those
    of the steady state and the projection stays there, in every path of the interval."""
    profile = {a: 30 + 2 * a - 0.05 * a * a for a in AGES}
    total = sum(profile.values())
    steady = _history("Steady", tuple(range(2018, 2025)), [total] * 7,
                      {2023: profile, 2024: profile}, {2023: {5: 4}, 2024: {5: 4}})
    projection = project(steady, steady, 10, Method(pooling=0.3))
    expected = np.broadcast_to(_ages(profile), projection.plans.shape)
    np.testing.assert_allclose(projection.plans, expected, rtol=1e-12)


def test_extrapolate_constant_and_damped_trend() -> None:
    values = np.array([1.0, 1.1, 1.2])
    assert extrapolate(values, 2, "constant", 0.5).tolist() == pytest.approx([1.1, 1.1])
    assert extrapolate(values, 2, "constant", 0.5, hold="last").tolist() == \
        pytest.approx([1.2, 1.2])
    # slope 0.1 from 1.2, damped by 0.5: + 0.05, then + 0.025 more
    assert extrapolate(values, 2, "damped", 0.5).tolist() == pytest.approx([1.25, 1.275])
    assert extrapolate(np.array([1.3]), 2, "damped", 0.8).tolist() == pytest.approx([1.3, 1.3])


def test_docs_give_every_parameter_with_its_default() -> None:
    text = (DATA.parents[1] / "docs" / "forecast.md").read_text(encoding="utf-8")
    for name, _, default, _ in Method().rows():
        assert f"| `{name}` | {default} |" in text, name


def test_method_refuses_impossible_parameters() -> None:
    with pytest.raises(ValueError, match="pooling must be between 0 and 1"):
        Method(pooling=1.5)
    with pytest.raises(ValueError, match="trend must be one of constant, damped"):
        Method(trend="linear")


# --------------------------------------------------------------------------------------
# SEN2 as published (placeopt's cut, installed with it)
# --------------------------------------------------------------------------------------
def test_sen2_reader_on_trafford(sen2: Sen2) -> None:
    trafford = sen2.find("Trafford")
    assert trafford == sen2.find("358") == sen2.find("e08000009")
    history = sen2.history(trafford)
    assert history.years == tuple(range(2018, 2025))
    assert history.plans[-1] == 3143  # January 2025 (SEN2 2024/25)
    assert history.plans[0] == 1788
    special = history.by_level[-1, LEVELS.index("special")]
    assert special == 328 + 493 + 59 + 82  # LA maintained, academy/free, independent, NM
    assert history.by_level[-1, LEVELS.index("resourced")] == 154
    assert history.age_years == (2023, 2024)
    assert history.by_age[-1].sum() == 3143
    assert history.by_age[-1, AGES.index(4)] == 94
    assert history.need_year == 2024
    assert history.need_all.sum() == 3143
    assert history.need_all[NEEDS.index("ASD")] == 709
    assert sen2.england().plans[-1] == 638_745
    assert len(sen2.authorities()) == 153


def test_sen2_finds_old_codes_and_says_when_it_cannot(sen2: Sen2) -> None:
    assert sen2.find("E10000002").name == "Buckinghamshire"  # its code before 2020
    with pytest.raises(ValueError, match="no local authority 'Trafort'.*Did you mean "
                       r"Trafford \(358, E08000009\)"):
        sen2.find("Trafort")
    hackney = sen2.history(sen2.find("Hackney"))
    assert hackney.age_years == (2024,)  # 2023/24: totals only (SEN2 footnote)


def test_split_by_need_keeps_sen2s_need_totals(sen2: Sen2) -> None:
    """In the year of the count, Demand by need is SEN2's plans by need in the settings
    of each level (the IPF keeps both margins)."""
    forecast = make_forecast(sen2, sen2.find("Trafford"), years=(2024, 2025))
    rows = forecast.demand_rows()
    with (Sen2.PACKAGED / "sen2_needs_all_plans.csv").open(encoding="utf-8") as handle:
        placements = [r for r in csv.DictReader(handle) if r["old_la_code"] == "358"
                      and r["breakdown_topic"] == "Type of placement"]
    special = {"Special - LA maintained", "Special - Academy/free schools",
               "Special - independent", "Special - non-maintained"}
    for need, columns in (("ASD", ["number_asd"]), ("SEMH", ["number_semh"]),
                          ("OTH", ["number_oth", "number_need_unknown"])):
        published = sum(float(r[c]) for r in placements if r["breakdown"] in special
                        for c in columns)
        written = sum(r[2024] for r in rows if r["need"] == need and r["provision"] ==
                      "special")
        assert written == pytest.approx(published, abs=0.01), need


# --------------------------------------------------------------------------------------
# Backtests
# --------------------------------------------------------------------------------------
def test_backtest_of_trafford_by_hand(sen2: Sen2) -> None:
    """Hold out 2023/24 and 2024/25: from January 2023 (2,745 plans) the model has no
    ages, so all plans move at the mean of the last three pooled ratios; naive moves at
    the compound growth of the same years."""
    rows = project_from(sen2.history(sen2.find("Trafford")), sen2.england(), 2022)
    total = {r["year"]: r for r in rows if r["measure"] == "total"}
    assert [total[y]["actual"] for y in (2023, 2024)] == [2939, 3143]
    own = [2256 / 2030, 2448 / 2256, 2745 / 2448]
    england = [430_697 / 390_109, 473_255 / 430_697, 517_048 / 473_255]
    ratio = np.mean([(a + b) / 2 for a, b in zip(own, england, strict=True)])
    growth = (2745 / 2030) ** (1 / 3)
    for h, year in ((1, 2023), (2, 2024)):
        assert total[year]["projected"] == pytest.approx(2745 * ratio ** h)
        assert total[year]["naive"] == pytest.approx(2745 * growth ** h)
        assert total[year]["note"] == ""
    specialist = {r["year"]: r for r in rows if r["measure"] == "specialist"}
    assert [specialist[y]["actual"] for y in (2023, 2024)] == [1069, 1116]
    summary = summarise(backtest(sen2, [sen2.find("Trafford")], 2).table)
    assert set(summary["measure"]) == {"total", "specialist"}
    assert summary["rows"].tolist() == [1, 1, 2, 1, 1, 2]


def test_backtest_names_what_it_cannot_score(sen2: Sen2) -> None:
    rows = project_from(sen2.history(sen2.find("Cumberland")), sen2.england(), 2022)
    assert rows and all(r["note"].startswith("not projected") for r in rows)  # from 2023
    rows = project_from(sen2.history(sen2.find("Wolverhampton")), sen2.england(), 2022)
    note = next(r["note"] for r in rows if r["measure"] == "specialist" and r["year"] == 2024)
    assert note == "placement not recorded for 26% of plans"


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------
def test_project_writes_a_workbook_that_validates(tmp_path: Path) -> None:
    out = tmp_path / "trafford.xlsx"
    result = run_cli("forecast", "project", "--la", "Trafford", "-o", out, "--horizon", "3")
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output
    # A new workbook holds the demand; the planner still has to list the providers.
    checked = run_cli("validate", out, "--quiet")
    assert checked.exit_code == 1, checked.output
    errors = [line for line in checked.output.splitlines() if line.startswith("ERROR")]
    assert errors == ["ERROR Providers: no rows under the headers; expected at least one "
                      "provider, one per row from row 2"], checked.output
    filled = openpyxl.load_workbook(out)
    sheet = filled["Providers"]
    header = [cell.value for cell in sheet[1]]
    row = {"provider_id": "SP", "type": "special", "annual_cost_per_place": 26_000,
           "latitude": 53.42, "longitude": -2.35}
    sheet.append([row.get(name) for name in header])
    zones = filled["Zones"]  # and where Trafford is, for the journeys
    names = [cell.value for cell in zones[1]]
    zones.cell(2, names.index("latitude") + 1).value = 53.43
    zones.cell(2, names.index("longitude") + 1).value = -2.33
    filled.save(out)
    checked = run_cli("validate", out, "--quiet")
    assert checked.exit_code == 0, checked.output
    inputs = read_workbook(out)
    assert inputs.tables["Zones"]["zone_id"].tolist() == ["E08000009"]  # Trafford as one
    assert inputs.params["first_year"] == 2025 and inputs.params["horizon_years"] == 3
    assert sorted(inputs.tables["Demand"]["year"].unique()) == [2025, 2026, 2027]
    demand = inputs.tables["Demand"]
    assert set(demand["provision"]) == {"resourced", "special"}
    scenarios = inputs.tables["Scenarios"]
    assert set(scenarios["scenario"]) == {"demand_low", "demand_high"}
    book = openpyxl.load_workbook(out, read_only=True)
    assert "Forecast" in book.sheetnames
    assert (tmp_path / "trafford.forecast.html").read_text().count("<svg") == 3


def _population(path: Path, zones: dict[str, float]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["zone_id", "period", *range(26)])
        for zone, weight in zones.items():
            writer.writerow([zone, "2024-06-30", *(round(weight * (100 + a)) for a in range(26))])
    return path


def test_project_into_a_planners_workbook_keeps_everything(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["Scenarios"] = [["scenario", "sheet", "column", "filter", "operation", "value"],
                           ["dear", "Providers", "annual_cost_per_place", "", "scale", 1.1]]
    sheets["My notes"] = [["what", "why"], ["ring the head of Z2's school", "expansion"]]
    original = write_workbook(tmp_path / "plan.xlsx", sheets)
    people = _population(tmp_path / "people.csv", {"Z1": 1.0, "Z2": 2.0, "Z3": 1.0})
    out = tmp_path / "plan-forecast.xlsx"
    result = run_cli("forecast", "project", "--la", "358", "--workbook", original, "-o", out,
                     "--population", people)
    assert result.exit_code == 0, result.output
    before = openpyxl.load_workbook(original)
    after = openpyxl.load_workbook(out)
    for title in before.sheetnames:
        kept = "Demand before forecast" if title == "Demand" else title
        rows = list(after[kept].values)
        if title == "Scenarios":
            rows = [r for r in rows if r[0] not in ("demand_low", "demand_high")]
        assert rows == list(before[title].values), title
    assert {"Demand", "Forecast"} <= set(after.sheetnames)
    assert run_cli("validate", out, "--quiet").exit_code == 0
    inputs = read_workbook(out)
    assert sorted(inputs.tables["Demand"]["year"].unique()) == [2026, 2027, 2028]
    by_zone = inputs.tables["Demand"].groupby("zone_id")["pupils"].sum()
    assert by_zone["Z2"] == pytest.approx(2 * by_zone["Z1"], rel=1e-3)  # twice the children
    assert "dear" in set(inputs.tables["Scenarios"]["scenario"])
    again = run_cli("forecast", "project", "--la", "358", "--workbook", original, "-o", out,
                    "--population", people)
    assert again.exit_code == 2 and "exists; use --force" in again.output


def test_project_refuses_a_workbook_it_would_damage(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "plan.xlsx", valid_sheets())
    book = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(book["Demand"], min_col=5, min_row=1, max_row=4),
                   titles_from_data=True)
    book["Demand"].add_chart(chart, "J2")
    book.save(path)
    result = run_cli("forecast", "project", "--la", "358", "--workbook", path, "-o",
                     tmp_path / "out.xlsx")
    assert result.exit_code == 1, result.output
    assert "charts" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.filterwarnings("ignore:Data Validation extension:UserWarning")
def test_project_says_which_excel_extensions_the_copy_loses(tmp_path: Path) -> None:
    """A drop-down list that refers to another sheet is an Excel extension (x14) that
    openpyxl does not write back: the cells are copied, and the planner is told."""
    path = write_workbook(tmp_path / "plan.xlsx", {**valid_sheets(),
                                                   "Lists": [["need"], ["ASD"]]})
    extension = (
        '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14='
        '"http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations'
        ' count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        '<x14:dataValidation type="list"><x14:formula1><xm:f>Lists!$A$2:$A$9</xm:f>'
        '</x14:formula1><xm:sqref>B2:B9</xm:sqref></x14:dataValidation></x14:dataValidations>'
        '</ext></extLst></worksheet>')
    edited = tmp_path / "plan-x14.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(edited, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet3.xml":  # Demand
                data = data.replace(b"</worksheet>", extension.encode())
            target.writestr(item, data)
    people = _population(tmp_path / "people.csv", {"Z1": 1.0, "Z2": 1.0, "Z3": 1.0})
    result = run_cli("forecast", "project", "--la", "358", "--workbook", edited, "-o",
                     tmp_path / "out.xlsx", "--population", people)
    assert result.exit_code == 0, result.output
    assert "drop-down lists that refer to other sheets are not in the copy" in result.output


@pytest.mark.parametrize(("args", "fragment"), [
    (["--la", "Narnia"], "no local authority 'Narnia'"),
    (["--la", "kingston"], "'kingston' is part of the names of 2 local authorities: Kingston "
                           "upon Hull, City of (810, E06000010); Kingston upon Thames (314, "
                           "E09000021). Give more of the name, or a code."),
    (["--la", "358", "--provision", "special,schools"], "provision levels must be among"),
    (["--la", "358", "--provision", "any,special"], "'any' (every plan) would count"),
    (["--la", "358", "--first-year", "2020"], "the first planning year 2020 is before 2024"),
    (["--la", "358", "--pooling", "2"], "pooling must be between 0 and 1"),
    (["--la", "358", "--sen2", "."], "holds neither sen2_caseload.csv nor caseload.csv"),
])
def test_project_bad_arguments_are_usage_errors(tmp_path: Path, args: list[str],
                                                fragment: str) -> None:
    result = run_cli("forecast", "project", "-o", tmp_path / "x.xlsx", *args)
    assert result.exit_code == 2, result.output
    assert fragment in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_project_bad_population_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("zone_id,0,1,2\nZ1,5,5,5\n", encoding="utf-8")
    result = run_cli("forecast", "project", "--la", "358", "-o", tmp_path / "x.xlsx",
                     "--population", path)
    assert result.exit_code == 2
    assert "no column for ages 3, 4," in result.output


def test_backtest_command_on_one_authority(tmp_path: Path) -> None:
    result = run_cli("forecast", "backtest", "--la", "Trafford", "--hold-out", "2", "-o",
                     tmp_path)
    assert result.exit_code == 0, result.output
    with (tmp_path / "backtest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:7] == ["la_code", "la_name", "year", "measure", "actual",
                                 "projected", "naive"]
    assert {(r["year"], r["measure"]) for r in rows} == {
        (y, m) for y in ("2023", "2024") for m in ("total", "specialist")}
    for name in ("backtest_summary.csv", "errors.csv", "errors_summary.csv", "coverage.csv",
                 "coverage.svg"):
        assert (tmp_path / name).exists(), name
    # calibrated on every authority's errors known in January 2023 only: no peeking
    model = ErrorModel.from_json((tmp_path / "calibration.json").read_text(encoding="utf-8"))
    assert (model.origins, model.through) == ((2020, 2021), 2022)
    errors = pd.read_csv(tmp_path / "errors.csv")
    assert_same_model(model, fit_error_model(errors[errors["year"] <= 2022]))
    assert "Calibrated on the errors the method made" in result.output
    total = next(r for r in rows if r["measure"] == "total" and r["year"] == "2024")
    low, high = model.ends(float(total["projected"]), float(total["size"]), 2, "total", 0.8)
    assert (float(total["low"]), float(total["high"])) == pytest.approx((low, high), rel=1e-5)
    unknown = run_cli("forecast", "backtest", "--la", "Atlantis", "-o", tmp_path / "b")
    assert unknown.exit_code == 2 and "no local authority 'Atlantis'" in unknown.output
    # held out from January 2021, nothing is known to calibrate on: a usage error
    early = run_cli("forecast", "backtest", "--la", "Trafford", "--hold-out", "4", "-o",
                    tmp_path / "c")
    assert early.exit_code == 2 and "--hold-out" in early.output


def assert_same_model(model: ErrorModel, other: ErrorModel) -> None:
    """The same model, but for the rounding of the errors in a CSV file."""
    assert (model.origins, model.through, model.method) == \
        (other.origins, other.through, other.method)
    for mine, theirs in zip(model.measures, other.measures, strict=True):
        assert (mine.measure, mine.errors) == (theirs.measure, theirs.errors)
        assert mine.sigma == pytest.approx(theirs.sigma, rel=1e-3)
        assert mine.size_scale == pytest.approx(theirs.size_scale, rel=1e-3)
        assert mine.persistence == pytest.approx(theirs.persistence, abs=0.011)


def test_la_takes_a_part_of_a_name_and_says_which(tmp_path: Path) -> None:
    result = run_cli("forecast", "project", "--la", "Herefordshire", "-o",
                     tmp_path / "h.xlsx", "--horizon", "2")
    assert result.exit_code == 0, result.output
    assert "--la 'Herefordshire': Herefordshire, County of (884, E06000019)" in result.stderr
    exact = run_cli("forecast", "project", "--la", "Trafford", "-o", tmp_path / "t.xlsx",
                    "--horizon", "2")
    assert exact.exit_code == 0 and "--la" not in exact.stderr


def test_population_years_and_zones(tmp_path: Path) -> None:
    population = read_population(POPULATION)  # ONS mid-2024 by MSOA, persons only
    assert population.years == (2024,) and len(population.zone_ids) == 28
    assert population.by_band(2030).tolist() == population.by_band(2024).tolist()
    assert population.by_band(2024)[AGES.index(4)] == 2809
    shares = population.phase_shares(2024)
    assert shares["primary"].sum() == pytest.approx(1)
    projection = tmp_path / "projection.csv"
    with projection.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["year", *range(26)])
        writer.writerows([[2024, *[100] * 26], [2026, *[120] * 26]])
    later = read_population(projection)
    assert later.years == (2024, 2026)
    assert later.by_band(2027)[AGES.index(4)] == 120 and later.by_band(2020)[1] == 100


def test_entrants_follow_a_population_projection(sen2: Sen2, tmp_path: Path) -> None:
    """With children of the entry ages 10% fewer from 2026, the entrants are 10% fewer."""
    path = tmp_path / "projection.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["year", *range(26)])
        writer.writerows([[2024, *[3000] * 26], [2026, *[2700] * 26]])
    history = sen2.history(sen2.find("Trafford"))
    with_people = project(history, sen2.england(), 3, population=read_population(path).by_band)
    without = project(history, sen2.england(), 3)
    entry = AGES.index(4)
    assert with_people.plans[1, entry] == without.plans[1, entry] == 94
    assert with_people.plans[2, entry] == pytest.approx(94 * 0.9)
    assert set(PROVISION) == {*LEVELS, "any"} and ENGLAND.name == "England"
