"""Build models/trafford.xlsx, a planning workbook for Trafford (LA 358, E08000009).

Run from the repository root:

    python inputs/build_trafford.py [--output models/trafford.xlsx]

It reads only the public files in inputs/data/ (see inputs/README.md for their sources,
licences and how they were cut from the published files) and writes the workbook with
placeopt's own `write_workbook`. The build is deterministic: no randomness, every table
in a fixed order, every number rounded the same way.

What is real and what is assumed is listed in the workbook's Guide and Notes sheets and
in docs/trafford.md. In short:

- real: Trafford's January 2025 EHC plans by setting, primary need and age (DfE SEN2), its
  2019-2025 history, the mid-2024 child population of its 28 MSOAs (ONS), their
  population-weighted centroids and generalised boundaries (ONS), its special schools,
  units and resourced provision
  (GIAS: URN, name, ages, capacity, location), national costs and capital costs per place
  (DOMAIN.md), the Green Book discount rate and optimism bias;
- estimated from the real data: the need x phase split of each setting (iterative
  proportional fitting of SEN2's two margins), pupils by home zone and school (a
  doubly-constrained gravity model), demand from 2026/27 (placeopt forecast: the cohort
  model of docs/forecast.md on Trafford's SEN2 history and population);
- illustrative: the out-of-area schools (real town centres, invented schools), the share
  of each school's places available to Trafford, unit capacities, the new sites, the
  budgets.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font
from scipy import sparse
from scipy.optimize import linprog

from placeopt.forecast.ages import PHASE_AGES, phase_of_age
from placeopt.forecast.command import make_forecast
from placeopt.forecast.demand import PHASES, PROVISION, Forecast, ipf
from placeopt.forecast.method import Method
from placeopt.forecast.population import read_population
from placeopt.forecast.sen2 import (
    NEED_COLUMNS,
    NEEDS,
    PLACEMENT_ROWS,
    SETTING_COLUMNS,
    Sen2,
    age_of,
)
from placeopt.forecast.sheets import write_method_sheet
from placeopt.model.journeys import geodesic_km
from placeopt.workbook.schema import PARAMETER_BY_NAME
from placeopt.workbook.template import build_workbook

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SEN2 = HERE.parent / "src" / "placeopt" / "forecast" / "data"  # installed with placeopt
ROOT = HERE.parent
DEFAULT_OUTPUT = ROOT / "models" / "trafford.xlsx"

# --------------------------------------------------------------------------------------
# Planning frame
# --------------------------------------------------------------------------------------
SNAPSHOT = "202425"  # SEN2 counts at January 2025 (academic year 2024/25)
FIRST_YEAR = 2025  # 2025/26: the year after the snapshot; year 1 reproduces SEN2 exactly
HORIZON = 10
YEARS = list(range(FIRST_YEAR, FIRST_YEAR + HORIZON))
HISTORY = ("201819", "201920", "202021", "202122", "202223", "202324", "202425")
TRAFFORD = "358"  # DfE (old) LA code; ONS code E08000009
POPULATION = "trafford_mid2024_population_msoa_syoa.csv"

# Needs, phases and the SEN2 columns behind them are placeopt forecast's (its sen2 and ages
# modules): "need unknown" (8 plans in Trafford) is counted as OTH; SEN2 age is at 31
# August before the census, so 4 = Reception, 10 = Year 6, 11 = Year 7, 15 = Year 11.
# The demand projection's parameters (docs/forecast.md): change one and rebuild. The
# provision shares stay constant, as when docs/trafford.md's plans were solved; the
# forecast's default since then (share_trend pooled) takes Trafford's specialist places to
# about 1,690 in 2034/35 instead of 1,846: rebuild and solve again to move to it.
FORECAST = Method(share_trend="constant")

# Settings counted as needing a resourced or specialist place (SEN2 caseload columns and
# the matching sen_needs_all_plans placement rows). Not counted: mainstream without a
# unit, FE colleges and specialist post-16 institutions, AP/PRU (20 plans: short-term
# placements, not specialist places in the SCAP sense), educated elsewhere, early years.
SETTINGS = {
    "special_la": (["special_la_maintained"], ["Special - LA maintained"]),
    "special_academy": (["special_academy_free"], ["Special - Academy/free schools"]),
    "inmss": (["special_independent", "special_non_maintained"],
              ["Special - independent", "Special - non-maintained"]),
    "resourced": (list(SETTING_COLUMNS["resourced"]), list(PLACEMENT_ROWS["resourced"])),
}

# Costs per pupil per year (DOMAIN.md): resourced ~£15,000 (Stockport £14-16k) [V]; state
# special ~£26,000 (DfE Feb 2026 average) [V]; INMSS ~£63,000 (DfE Feb 2026 average) [V];
# residential: DOMAIN.md says only that some packages exceed £200k [U]; £168,000 as in
# placeopt's worked example (illustrative).
COST = {"resourced": 15_000, "special": 26_000, "inmss": 63_000, "residential": 168_000}
# Capital per place (DOMAIN.md): resourced provision by adapting space £15.5k-£31k
# (Oldham) [V]; special school expansion ~£120k (Surrey 2022) [V]; new special school
# ~£92k (West Northants, 250 places for £23m) [V]. Lead times [U]: resourced 9-12 months,
# expansion 12-18 months, new school 4-6 years.
CAPEX_RP_PRIMARY = 23_250  # mid-point of £15.5k-£31k
CAPEX_RP_SECONDARY = 31_000  # top of the range: specialist teaching rooms
CAPEX_EXPANSION = 120_000
CAPEX_NEW_SCHOOL = 92_000
EARLIEST_RP, EARLIEST_EXPANSION, EARLIEST_NEW_SCHOOL = 2026, 2027, 2029
# When each option may open (a planning choice that also keeps the search small): a
# unit agreed now opens in September 2026 or not at all; expansions and the new school
# within two years of their earliest year, inside DfE's capital programme to 2029-30.
OPEN_WINDOW = {"resourced": 0, "expansion": 2, "new_school": 2}

# Capital: DfE high needs provision capital, £740m for 2025-26 and £3bn for 2026-27 to
# 2029-30 [V], shared by Trafford's share of England's EHC plans (January 2025). No
# programme is announced after 2029-30: £1m a year is assumed (illustrative).
NATIONAL_HNPCA = {2025: 740e6, **{y: 3e9 / 4 for y in range(2026, 2030)}}
CAPITAL_AFTER_2029 = 1_000_000
# A new special free school may be paid from a ring-fenced DfE free-school grant (the
# central free school route) and from Trafford's own capital. No bid is approved in the
# base case: the stream holds £0 (scenario free_school_funded fills it).
FREE_SCHOOL_STREAM = "capital:free_school"
FREE_SCHOOL_FUNDING = f"{FREE_SCHOOL_STREAM}; capital"
# Pooled revenue budget (illustrative): the 2025/26 budget equals the modelled cost of
# the placements in 2025/26 (the high-needs block pays 93%, health 4%, social care 3%),
# growing 3% a year in real terms: less than demand, as nationally.
BUDGET_SHARES = {"high_needs_block": 0.93, "health": 0.04, "social_care": 0.03}
BUDGET_REAL_GROWTH = 0.03

OPTIMISM_BIAS = 0.24  # Green Book, standard buildings [V]
OOA_SPECIAL_HEADROOM = 5  # places a neighbouring LA could still sell Trafford (illustrative)
INMSS_MAX_MINUTES = 90  # Trafford already accepts journeys this long to independent schools
EGERTON_CAPACITY = 76  # GIAS blank; Trafford Council statutory notice: 60 funded places
#                        (11-16) + 16 sixth-form places

# Inclusion measures (SPEC §1 Inclusion; issue 21): what the model may fund instead of, or
# beside, building places. ILLUSTRATIVE: the published evidence is thin, so each figure
# says what it leans on; change them here and rebuild.
# - A pupil kept in mainstream takes a place at a school near home: the school meets the
#   first £6,000 of additional support from its own budget (element 2; e.g.
#   https://www.cambridgeshire.gov.uk/residents/children-and-families/schools-learning/
#   school-funding/funding-special-educational-needs), the council pays a top-up above it
#   from the high-needs block. Bands differ by council and no national average is
#   published: £6,000 a year is assumed. No home-to-school transport (a local school).
MAINSTREAM_TOP_UP = 6_000
# - Effect (share of new specialist demand kept in mainstream). Birmingham's autism team
#   with the Autism Education Trust programme saw the share of its autistic pupils in
#   specialist schools fall from 39% to 35% in 2016-2019, 178 pupils, about a tenth of
#   the specialist share (https://www.autismeducationtrust.org.uk/md-case-studies/; the
#   AET licence cost £15,000 a year, the team's own cost is not given). DfE's Delivering
#   Better Value reviews judged that 65% of the children whose cases were reviewed could
#   have had their needs met in other provision, 35,000 more in mainstream nationally
#   (https://dbvinsend.com/insights): an upper end, not an effect measured.
# - Cost: staff at about £60,000 a year each with on-costs (illustrative); an inclusion
#   base made by adapting a classroom for 12 pupils at Oldham's £15.5k-£31k a place for
#   resourced provision by adapting space (DOMAIN.md) gives about £250,000 of capital;
#   DfE expects inclusion bases in every secondary school, "additional spaces within the
#   school building or refurbishment or repurposing of existing space"
#   (https://schoolsweek.co.uk/inclusion-base-for-every-school-but-who-will-pay).
# - Trafford itself: its small specialist class for autistic pupils at Lostock High
#   School grew from 10 students in 2018 to 22 by September 2021 and was reviewed as
#   "extremely successful" (https://www.trafford.gov.uk/residents/schools/
#   high-needs-capital/strategic-priorities-and-proposals-2021-22.aspx).
MAINSTREAM_PROVIDER = "MS-NEAR-HOME"
LOCALITIES = {  # illustrative groupings of the MSOAs (by name) for the inclusion bases
    "north and west (Stretford, Old Trafford, Urmston, Partington)": (
        "Old Trafford", "Trafford Park", "Gorse Hill", "Firswood", "Davyhulme", "Flixton",
        "Lostock", "Urmston", "Stretford", "Partington"),
    "south and central (Sale, Altrincham, Timperley, Hale)": (
        "Sale", "Ashton upon Mersey", "Broadheath", "Timperley", "West Timperley",
        "Altrincham", "Hale",
        "Bowdon"),
}
INCLUSION_MEASURES = [  # measure_id, name, needs, phases, locality (None: all), share,
    #                     low, high, annual_cost, cost_per_pupil, capital_cost, earliest,
    #                     latest, ramp
    ("AUTISM-OUTREACH", "Autism outreach team from the special schools to mainstream "
     "(6 staff; illustrative)", "ASD", "primary;secondary", None, 0.10, 0.05, 0.25,
     360_000, 3_000, 0, 2026, 2029, 2),
    ("SEMH-BASE-NORTH", "SEMH inclusion bases in secondary schools, north and west "
     "(illustrative)", "SEMH", "secondary", 0, 0.15, 0.05, 0.30, 180_000, 2_000, 250_000,
     2026, 2030, 1),
    ("SEMH-BASE-SOUTH", "SEMH inclusion bases in secondary schools, south and central "
     "(illustrative)", "SEMH", "secondary", 1, 0.15, 0.05, 0.30, 180_000, 2_000, 250_000,
     2026, 2030, 1),
]


@dataclass
class Provider:
    provider_id: str
    name: str
    type: str
    in_area: bool
    latitude: float
    longitude: float
    needs: list[str] | None  # None = all
    phases: list[str]
    cost: float
    setting: str  # allocation group: special_la, special_academy, ooa_special, inmss_day,
    #               inmss_res, resourced
    la: str
    urn: str = ""
    residential: bool = False
    max_travel_minutes: float | None = None
    gias_capacity: float | None = None
    weight: float = 1.0
    capacity_rule: str = "full"  # full | headroom | unlimited
    source: str = ""
    allocated: float = field(default=0.0)

    def serves(self, need: str, phase: str) -> bool:
        return (self.needs is None or need in self.needs) and phase in self.phases


# --------------------------------------------------------------------------------------
# Reading the committed public data
# --------------------------------------------------------------------------------------
def _read_csv(name: str, folder: Path = DATA) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> float:
    return 0.0 if text in ("x", "z", "") else float(text)


@functools.cache
def _sen2_rows(name: str) -> tuple[dict[str, str], ...]:
    """Trafford's and England's rows of a SEN2 file (read once: the files cover every LA)."""
    return tuple(r for r in _read_csv(name, SEN2) if r["old_la_code"] == TRAFFORD
                 or r["geographic_level"] == "National")


def trafford_caseload() -> list[dict[str, str]]:
    return [r for r in _sen2_rows("sen2_caseload.csv") if r["old_la_code"] == TRAFFORD]


def trafford_needs() -> list[dict[str, str]]:
    return [r for r in _sen2_rows("sen2_needs_all_plans.csv") if r["old_la_code"] == TRAFFORD]


def caseload_total(period: str, columns: Iterable[str]) -> float:
    row = next(r for r in trafford_caseload() if r["time_period"] == period
               and r["breakdown_topic"] == "All EHC plans")
    return sum(_number(row[c]) for c in columns)


def england_plans(period: str) -> float:
    row = next(r for r in _sen2_rows("sen2_caseload.csv")
               if r["geographic_level"] == "National" and r["time_period"] == period
               and r["breakdown_topic"] == "All EHC plans")
    return _number(row["ehcplans"])


def setting_margins(setting: str) -> tuple[np.ndarray, np.ndarray]:
    """(need totals, phase totals) of one setting group, January 2025 (SEN2)."""
    columns, placements = SETTINGS[setting]
    by_phase = np.zeros(len(PHASES))
    for row in trafford_caseload():
        if row["time_period"] == SNAPSHOT and row["breakdown_topic"] == \
                "Child or young persons age":
            by_phase[PHASES.index(phase_of_age(age_of(row["breakdown"])))] += sum(
                _number(row[c]) for c in columns)
    by_need = np.zeros(len(NEEDS))
    needs_rows = {r["breakdown"]: r for r in trafford_needs()
                  if r["breakdown_topic"] == "Type of placement"}
    for placement in placements:
        row = needs_rows.get(placement)  # SEN2 leaves out the settings with no plans
        if row is None:
            continue
        for i, need in enumerate(NEEDS):
            by_need[i] += sum(_number(row[c]) for c in NEED_COLUMNS[need])
    total = caseload_total(SNAPSHOT, columns)
    if not (by_need.sum() == by_phase.sum() == total):
        raise ValueError(f"{setting}: SEN2 margins disagree: needs {by_need.sum()}, ages "
                         f"{by_phase.sum()}, total {total}")
    return by_need, by_phase


def need_by_phase_all_plans() -> np.ndarray:
    """Trafford's EHC plans (all settings) by need and phase: the seed of the IPF."""
    seed = np.zeros((len(NEEDS), len(PHASES)))
    for row in trafford_needs():
        if row["breakdown_topic"] == "Child or young persons age":
            p = PHASES.index(phase_of_age(age_of(row["breakdown"])))
            for i, need in enumerate(NEEDS):
                seed[i, p] += sum(_number(row[c]) for c in NEED_COLUMNS[need])
    return seed


def need_phase_cells(setting: str) -> np.ndarray:
    """Pupils by need x phase in one setting: SEN2 gives the two margins only, so the
    cells are fitted to both from Trafford's all-plans need x age table (+0.5 a cell),
    then rounded to whole pupils keeping both margins exactly."""
    by_need, by_phase = setting_margins(setting)
    seed = need_by_phase_all_plans() + 0.5
    seed[by_need == 0, :] = 0
    seed[:, by_phase == 0] = 0
    return controlled_round(ipf(seed, by_need, by_phase), by_need, by_phase)


def controlled_round(cells: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Whole numbers with the given (whole) row and column sums: floor every cell, then
    give the missing units to the cells with the largest remainders whose row and column
    still lack one."""
    result = np.floor(cells + 1e-9)
    remainder = cells - result
    row_gap = (rows - result.sum(axis=1)).round().astype(int)
    col_gap = (cols - result.sum(axis=0)).round().astype(int)
    order = sorted((-remainder[i, j], i, j) for i in range(cells.shape[0])
                    for j in range(cells.shape[1]) if cells[i, j] > 0)
    for _, i, j in order:
        if row_gap[i] > 0 and col_gap[j] > 0:
            result[i, j] += 1
            row_gap[i] -= 1
            col_gap[j] -= 1
    if row_gap.any() or col_gap.any():
        raise ValueError("controlled rounding left a margin short")
    return result


def residential_in_special_independent() -> float:
    rows = _read_csv("sen2_residential_trafford.csv")
    return sum(_number(r["Res_tot"]) for r in rows if r["time_period"] == SNAPSHOT
               and r["breakdown_topic"] == "Type of placement"
               and r["breakdown"] in ("Special - independent", "Special - non-maintained"))


# --------------------------------------------------------------------------------------
# Zones: Trafford's 28 MSOAs
# --------------------------------------------------------------------------------------
@dataclass
class Zones:
    ids: list[str]
    names: list[str]
    latitude: np.ndarray
    longitude: np.ndarray
    share: dict[str, np.ndarray]  # phase -> share of Trafford's children of that phase


def zones() -> Zones:
    """2021 MSOAs (population) located at their 2011 population-weighted centroid.

    Trafford's 28 MSOA codes are the same in 2011 and 2021 (ONS kept the code where the
    boundary did not change); the build stops if one is missing, rather than guess."""
    population = _read_csv("trafford_mid2024_population_msoa_syoa.csv")
    centroids = {r["msoa11cd"]: r for r in _read_csv("msoa_dec2011_pwc_trafford.csv")}
    population.sort(key=lambda r: r["area_code"])
    missing = [r["area_code"] for r in population if r["area_code"] not in centroids]
    if missing or len(population) != len(centroids):
        raise ValueError(f"2021 MSOAs without a 2011 centroid: {missing}; add a rule "
                         "(e.g. the population-weighted mean of their LSOA centroids)")
    by_phase = {p: np.array([sum(float(r[str(a)]) for a in range(lo, hi + 1))
                             for r in population]) for p, (lo, hi) in PHASE_AGES.items()}
    return Zones(
        ids=[r["area_code"] for r in population],
        names=[r["area_name"] for r in population],
        latitude=np.array([float(centroids[r["area_code"]]["Y"]) for r in population]),
        longitude=np.array([float(centroids[r["area_code"]]["X"]) for r in population]),
        share={p: v / v.sum() for p, v in by_phase.items()},
    )


BOUNDARY_FILE = "trafford_msoa_dec2011_generalised.geojson"
BOUNDARY_SOURCE = ("ONS MSOA (Dec 2011) generalised boundaries via Trafford Data Lab, OGL "
                   "v3.0. Contains National Statistics and OS data © Crown copyright and "
                   "database right 2011")


def boundary_rows(zone_ids: list[str]) -> list[dict[str, Any]]:
    """Each zone's MSOA boundary as GeoJSON, coordinates to 5 decimals (about 1 m, far
    finer than the 20 m generalisation), for the Boundaries sheet; stops if one is
    missing (the 2011 and 2021 codes are the same for Trafford, see `zones`)."""
    features = json.loads((DATA / BOUNDARY_FILE).read_text(encoding="utf-8"))["features"]
    shapes = {f["properties"]["area_code"]: f["geometry"] for f in features}
    missing = [z for z in zone_ids if z not in shapes]
    if missing:
        raise ValueError(f"MSOAs without a boundary in {BOUNDARY_FILE}: {missing}")

    def rounded(value: Any) -> Any:
        return [rounded(v) for v in value] if isinstance(value, list) else round(value, 5)

    return [{"zone_id": z, "geometry": json.dumps(
                {"type": shapes[z]["type"], "coordinates": rounded(shapes[z]["coordinates"])},
                separators=(",", ":")), "source": BOUNDARY_SOURCE} for z in zone_ids]


def minutes(lat1: np.ndarray, lon1: np.ndarray, lat2: float, lon2: float) -> np.ndarray:
    """One-way minutes as placeopt computes them with the default journey parameters."""
    circuity = float(PARAMETER_BY_NAME["road_circuity"].default)
    speed = float(PARAMETER_BY_NAME["road_speed_kmh"].default)
    return geodesic_km(lat1, lon1, lat2, lon2) * circuity / speed * 60


def phase_limit(phase: str) -> float:
    return float(PARAMETER_BY_NAME[f"max_travel_minutes_{phase}"].default)


# --------------------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------------------
def phases_for_ages(low: int, high: int) -> list[str]:
    """Phases a school takes: GIAS ages run from the youngest on entry to the age pupils
    leave at, so the ages taught are low .. high - 1."""
    return [p for p, (lo, hi) in PHASE_AGES.items() if lo <= high - 1 and low <= hi]


def _phase_years(low: int, high: int, phase: str) -> int:
    lo, hi = PHASE_AGES[phase]
    return max(0, min(hi, high - 1) - max(lo, low) + 1)


# Designations of Trafford's special schools (the GIAS extract carries none). Sources:
# Trafford Local Offer, "Specialist Primary Schools in Trafford" (Delamere, Pictor and The
# Orchards: severe and complex learning needs and autism, by postcode; Longford Park:
# primarily social and emotional needs); Brentwood School admissions (Trafford's only
# secondary school for severe and profound learning difficulties); St John Vianney
# admissions (MLD, complex needs, SLCN, autism); Ofsted on Manor (MLD with ASD, SLCN,
# physical disability, rising SEMH); Trafford Council notice on Egerton High (SEMH).
_COMPLEX = [n for n in NEEDS if n != "SEMH"]
SPECIAL_SCHOOLS = {  # URN: (setting, needs)
    "106167": ("special_la", ["ASD", "MLD", "SLCN", "SpLD", "OTH"]),  # St John Vianney
    "106391": ("special_la", ["SLD", "PMLD", "ASD", "PD", "HI", "VI", "MSI"]),  # Brentwood
    "106394": ("special_la", _COMPLEX),  # Delamere
    "131885": ("special_la", ["SEMH"]),  # Egerton High
    "142289": ("special_academy", _COMPLEX),  # Pictor Academy
    "142782": ("special_academy", _COMPLEX),  # The Orchards
    "147372": ("special_academy", ["SEMH"]),  # Longford Park
    "142288": ("special_academy", ["MLD", "ASD", "SLCN", "PD", "SEMH", "SpLD", "HI", "VI",
                                   "OTH"]),  # Manor Academy Sale
}
# Independent special schools in Trafford (GIAS establishment numbers 6xxx). Changing
# Lives takes 11-18 year olds disengaged from school (ITV, 2023); Fairfield House: not
# known, so all needs. Assumed: half their places are Trafford's (illustrative).
INDEPENDENT_SPECIAL = {"149213": ["SEMH", "ASD", "MLD", "SLCN", "SpLD"], "136239": None}
INDEPENDENT_TRAFFORD_SHARE = 0.5

# Out-of-area schools: invented, at real town centres (approximate coordinates of the
# centre, checked against the ONS postcode-district centroids: within 3 km).
TOWNS = {  # town: (latitude, longitude, local authority)
    "Manchester": (53.4781, -2.2445, "Manchester"),
    "Stockport": (53.4096, -2.1575, "Stockport"),
    "Bolton": (53.5783, -2.4292, "Bolton"),
    "Knutsford": (53.3030, -2.3728, "Cheshire East"),
    "Northwich": (53.2588, -2.5180, "Cheshire West and Chester"),
}
OOA_SPECIAL = [  # id, town, phases
    ("OOA-SP-MAN", "Manchester", ["primary", "secondary", "post16"]),
    ("OOA-SP-STO", "Stockport", ["primary", "secondary", "post16"]),
]
OOA_INMSS = [  # id, town, needs (None = all), phases, residential
    ("OOA-IN-BOL", "Bolton", None, ["primary", "secondary", "post16", "post19"], False),
    ("OOA-IN-KNU", "Knutsford", None, ["primary", "secondary", "post16", "post19"], False),
    # Residential placements are for the most complex needs (assumed: SEN2 does not say
    # which needs Trafford's 4 residential pupils have).
    ("OOA-IN-NOR", "Northwich", ["ASD", "SLD", "PMLD", "SEMH"],
     ["secondary", "post16", "post19"], True),
]
OOA_INMSS_WEIGHT = 25.0  # relative share of Trafford's day INMSS pupils (illustrative)


def gias() -> dict[str, dict[str, str]]:
    return {r["unique_reference_number"]: r
            for r in _read_csv("trafford_schools_and_colleges_gias_20240926.csv")}


def providers() -> list[Provider]:
    schools = gias()
    result: list[Provider] = []
    for urn, (setting, needs) in SPECIAL_SCHOOLS.items():
        s = schools[urn]
        low, high = int(s["lowest_admission_age"]), int(s["highest_admission_age"])
        capacity = float(s["capacity"]) if s["capacity"] not in ("", "NA") else None
        source = "GIAS capacity"
        if capacity is None:
            capacity, source = EGERTON_CAPACITY, "Trafford Council notice (GIAS blank)"
        result.append(Provider(
            f"SP-{urn}", s["name"], "special", True, float(s["lat"]), float(s["lon"]),
            needs if needs != list(NEEDS) else None, phases_for_ages(low, high), COST["special"],
            setting, "Trafford", urn, gias_capacity=capacity, source=source))
    for urn, needs in INDEPENDENT_SPECIAL.items():
        s = schools[urn]
        low, high = int(s["lowest_admission_age"]), int(s["highest_admission_age"])
        capacity = float(s["capacity"])
        result.append(Provider(
            f"IN-{urn}", f"{s['name']} (independent special school)", "inmss", True,
            float(s["lat"]), float(s["lon"]), needs, phases_for_ages(low, high),
            COST["inmss"], "inmss_day", "Trafford", urn, gias_capacity=capacity,
            weight=capacity * INDEPENDENT_TRAFFORD_SHARE, source="GIAS capacity"))
    # Mainstream schools with an SEN unit or resourced provision (GIAS flag); GIAS also
    # flags two special academies (Manor, Longford Park), which are special schools here.
    units = [s for s in schools.values()
             if s["resource_provision"] in ("SEN unit", "Resourced provision",
                                            "Resourced provision and SEN unit")
             and s["unique_reference_number"] not in SPECIAL_SCHOOLS]
    for s in sorted(units, key=lambda r: r["unique_reference_number"]):
        low, high = int(s["lowest_admission_age"]), int(s["highest_admission_age"])
        phases = [p for p in phases_for_ages(low, high) if p in ("primary", "secondary")]
        result.append(Provider(
            f"RP-{s['unique_reference_number']}",
            f"{s['name']} ({s['resource_provision']})",
            "resourced", True, float(s["lat"]), float(s["lon"]), None, phases,
            COST["resourced"], "resourced", "Trafford", s["unique_reference_number"],
            source="GIAS gives no unit capacity"))
    for pid, town, phases in OOA_SPECIAL:
        lat, lon, la = TOWNS[town]
        result.append(Provider(
            pid, f"State special school near {town} centre (illustrative, out of area)",
            "special", False, lat, lon, None, phases, COST["special"], "ooa_special", la,
            capacity_rule="headroom", source="illustrative"))
    for pid, town, needs, phases, residential in OOA_INMSS:
        lat, lon, la = TOWNS[town]
        kind = "Residential independent" if residential else "Independent"
        result.append(Provider(
            pid, f"{kind} special school near {town} (illustrative, out of area)", "inmss",
            False, lat, lon, needs, phases,
            COST["residential" if residential else "inmss"],
            "inmss_res" if residential else "inmss_day", la, residential=residential,
            max_travel_minutes=None if residential else INMSS_MAX_MINUTES,
            weight=OOA_INMSS_WEIGHT, capacity_rule="unlimited", source="illustrative"))
    return result


# --------------------------------------------------------------------------------------
# Current placements (January 2025) by need, phase and school
# --------------------------------------------------------------------------------------
def _phase_weight(p: Provider, phase: str) -> float:
    if p.gias_capacity is None or p.urn == "" or p.type != "special":
        return p.weight
    s = gias()[p.urn]
    low, high = int(s["lowest_admission_age"]), int(s["highest_admission_age"])
    years = sum(_phase_years(low, high, ph) for ph in PHASES)
    return p.gias_capacity * _phase_years(low, high, phase) / years


def allocate_to_schools(cells: dict[str, np.ndarray], plist: list[Provider]
                        ) -> dict[tuple[str, str, str], float]:
    """(provider_id, need, phase) -> pupils: each setting's need x phase cells shared
    among the schools of that setting that take the need and phase, in proportion to
    their places for the phase; what no Trafford school of the setting takes goes to
    the out-of-area special schools (state settings) in equal shares."""
    out: dict[tuple[str, str, str], float] = defaultdict(float)
    ooa = [p for p in plist if p.setting == "ooa_special"]
    res = [p for p in plist if p.setting == "inmss_res"]
    # SEN2 gives only the number of residential pupils: they are spread over the needs and
    # phases the residential school takes, in proportion to Trafford's INMSS pupils.
    served = np.array([[any(p.serves(n, ph) for p in res) for ph in PHASES] for n in NEEDS])
    residential_share = residential_in_special_independent() / cells["inmss"][served].sum()

    def share(amount: float, need: str, phase: str, candidates: list[Provider],
              weight) -> None:
        chosen = [p for p in candidates if p.serves(need, phase)]
        weights = np.array([weight(p, phase) for p in chosen], dtype=float)
        if not chosen or weights.sum() <= 0:
            raise ValueError(f"no provider for {need} {phase}")
        for p, w in zip(chosen, weights / weights.sum(), strict=True):
            out[(p.provider_id, need, phase)] += amount * w

    for setting in ("special_la", "special_academy"):
        own = [p for p in plist if p.setting == setting]
        for i, need in enumerate(NEEDS):
            for j, phase in enumerate(PHASES):
                amount = cells[setting][i, j]
                if amount <= 0:
                    continue
                if any(p.serves(need, phase) for p in own):
                    share(amount, need, phase, own, _phase_weight)
                else:
                    share(amount, need, phase, ooa, lambda p, ph: 1.0)
    day = [p for p in plist if p.setting == "inmss_day"]
    resourced = [p for p in plist if p.setting == "resourced"]
    for i, need in enumerate(NEEDS):
        for j, phase in enumerate(PHASES):
            amount = cells["inmss"][i, j]
            if amount > 0:
                part = amount * residential_share if served[i, j] else 0.0
                if part > 0:
                    share(part, need, phase, res, lambda p, ph: p.weight)
                share(amount - part, need, phase, day, lambda p, ph: p.weight)
            amount = cells["resourced"][i, j]
            if amount > 0:
                share(amount, need, phase, resourced, lambda p, ph: 1.0)
    _fit_to_places(out, plist)
    return dict(out)


def _fit_to_places(out: dict[tuple[str, str, str], float], plist: list[Provider]) -> None:
    """No school holds more pupils than its GIAS places (for the independent schools:
    Trafford's assumed share of them). The excess of a school moves, need by need, to
    the schools of its setting with spare places that take that need and phase (in
    proportion to their spare places), and what they cannot take to the out-of-area
    special schools."""
    by_id = {p.provider_id: p for p in plist}
    ooa = [p for p in plist if p.setting == "ooa_special"]

    def limit(p: Provider) -> float:
        if p.gias_capacity is None:
            return math.inf
        return p.weight if p.type == "inmss" else p.gias_capacity

    def totals() -> dict[str, float]:
        t: dict[str, float] = defaultdict(float)
        for (pid, _, _), v in out.items():
            t[pid] += v
        return t

    for _ in range(100):
        t = totals()
        over = sorted(pid for pid, v in t.items() if v > limit(by_id[pid]) + 1e-9)
        if not over:
            return
        pid = over[0]
        fraction = (t[pid] - limit(by_id[pid])) / t[pid]
        for key in sorted(k for k in out if k[0] == pid):
            moved = out[key] * fraction
            out[key] -= moved
            _, need, phase = key
            peers = [p for p in plist if p.setting == by_id[pid].setting
                     and p.provider_id != pid and p.serves(need, phase)]
            spare = np.array([max(0.0, limit(p) - t[p.provider_id]) for p in peers])
            if np.isinf(spare).any():  # an unlimited peer: they share it equally
                spare = np.isinf(spare).astype(float)
                taken = moved
            else:
                taken = min(moved, spare.sum())
            for p, room in zip(peers, spare, strict=True):
                if room > 0:
                    out[(p.provider_id, need, phase)] += taken * room / spare.sum()
                    t[p.provider_id] += taken * room / spare.sum()
            rest = moved - taken
            if rest > 1e-12:
                if by_id[pid].type == "inmss":
                    raise ValueError(f"{pid}: no room for {rest:.2f} INMSS pupils")
                targets = [p for p in ooa if p.serves(need, phase)]
                for p in targets:
                    out[(p.provider_id, need, phase)] += rest / len(targets)
    raise ValueError("allocation to schools did not settle")


def allocate_to_zones(amounts: dict[tuple[str, str, str], float], plist: list[Provider],
                      z: Zones) -> dict[tuple[str, str, str, str, str], float]:
    """(zone, need, phase, provision, provider) -> pupils.

    For each need, phase and provision level, pupils are spread over home zones in
    proportion to the zone's children of that phase (the row sums, exactly), and each
    school keeps its pupils (the column sums). Between the two, pupils are taken to come
    from the nearest zones: the assignment with the fewest journey minutes (a
    transportation problem, solved exactly), as Trafford's own primary special school
    model allocates places by postcode. Pairs beyond the journey limit are not used."""
    by_id = {p.provider_id: p for p in plist}
    provision_of = {p.provider_id: "resourced" if p.setting == "resourced" else "special"
                    for p in plist}
    cells: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for (pid, need, phase), v in amounts.items():
        cells[(need, phase, provision_of[pid])][pid] = v
    out: dict[tuple[str, str, str, str, str], float] = {}
    for (need, phase, provision), cols in sorted(cells.items()):
        ids = sorted(cols)
        col_targets = np.array([cols[i] for i in ids])
        row_targets = z.share[phase] * col_targets.sum()
        cost = np.zeros((len(z.ids), len(ids)))
        for j, pid in enumerate(ids):
            p = by_id[pid]
            m = minutes(z.latitude, z.longitude, p.latitude, p.longitude)
            limit = p.max_travel_minutes or phase_limit(phase)
            reach = np.ones_like(m, dtype=bool) if p.residential else m <= limit
            cost[:, j] = np.where(reach, m, np.nan)
        flows = transport(cost, row_targets, col_targets)
        for i, zone in enumerate(z.ids):
            for j, pid in enumerate(ids):
                if flows[i, j] > 1e-9:
                    out[(zone, need, phase, provision, pid)] = flows[i, j]
    return out


def transport(cost: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Least-cost flows with the given row and column sums (NaN cost = no flow)."""
    n_rows, n_cols = cost.shape
    pairs = np.argwhere(~np.isnan(cost))
    count = len(pairs)
    equality = sparse.vstack([
        sparse.csr_matrix((np.ones(count), (pairs[:, 0], np.arange(count))),
                          shape=(n_rows, count)),
        sparse.csr_matrix((np.ones(count), (pairs[:, 1], np.arange(count))),
                          shape=(n_cols, count)),
    ])
    result = linprog(cost[pairs[:, 0], pairs[:, 1]], A_eq=equality,
                     b_eq=np.concatenate([rows, cols]), bounds=(0, None), method="highs")
    if result.status != 0:
        raise ValueError(f"no assignment of pupils to zones: {result.message}")
    flows = np.zeros_like(cost)
    flows[pairs[:, 0], pairs[:, 1]] = result.x
    return flows


def cascade_round(values: list[float], places: int = 3) -> list[int]:
    """Round to 1/1000 so that every running total is the rounded running total: blocks
    whose exact totals are whole numbers keep them exactly. Returns thousandths."""
    scale = 10 ** places
    result, running, previous = [], 0.0, 0
    for v in values:
        running += v
        now = round(running * scale)
        result.append(now - previous)
        previous = now
    return result


# --------------------------------------------------------------------------------------
# The workbook's tables
# --------------------------------------------------------------------------------------
def demand_forecast() -> Forecast:
    """Trafford's demand projected by placeopt forecast (docs/forecast.md) from its SEN2
    history and its MSOAs' mid-2024 children: the January 2025 count stands for 2025/26,
    the first planning year (it is the current placements), and later years are projected
    from it."""
    sen2 = Sen2.read(SEN2)
    return make_forecast(sen2, sen2.find(TRAFFORD), years=tuple(YEARS), base_year=FIRST_YEAR,
                         method=FORECAST, population=read_population(DATA / POPULATION))


def build_tables() -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    z = zones()
    plist = providers()
    by_id = {p.provider_id: p for p in plist}
    cells = {s: need_phase_cells(s) for s in SETTINGS}
    school_amounts = allocate_to_schools(cells, plist)
    placed = allocate_to_zones(school_amounts, plist, z)

    # Current placements, rounded in blocks by provider type so that each type's total
    # stays the SEN2 whole number.
    type_order = {"special": 0, "inmss": 1, "resourced": 2}
    keys = sorted(placed, key=lambda k: (type_order[by_id[k[4]].type], k[4], k[1], k[2],
                                         k[0]))
    milli = cascade_round([placed[k] for k in keys])
    current = [(k, m) for k, m in zip(keys, milli, strict=True) if m > 0]
    group_milli: dict[tuple[str, str, str, str], int] = defaultdict(int)
    provider_milli: dict[str, int] = defaultdict(int)
    for (zone, need, phase, provision, pid), m in current:
        group_milli[(zone, need, phase, provision)] += m
        provider_milli[pid] += m

    forecast = demand_forecast()
    # (years, provision level, phase): each group of a level and phase follows its level
    # and phase in the forecast (need and zone shares stay as in January 2025)
    projected = forecast.level_phase()

    zone_rows = [{"zone_id": i, "name": n, "latitude": round(float(la), 6),
                  "longitude": round(float(lo), 6)}
                 for i, n, la, lo in zip(z.ids, z.names, z.latitude, z.longitude,
                                         strict=True)]
    zone_order = {i: k for k, i in enumerate(z.ids)}
    demand_rows = []
    for key in sorted(group_milli, key=lambda k: (k[3], NEEDS.index(k[1]),
                                                  PHASES.index(k[2]), zone_order[k[0]])):
        zone, need, phase, provision = key
        base = group_milli[key] / 1000
        row: dict[str, Any] = {"zone_id": zone, "need": need, "phase": phase,
                               "provision": provision}
        path = projected[:, PROVISION.index(provision), PHASES.index(phase)]
        for k, year in enumerate(YEARS):
            row[year] = round(base * path[k] / path[0], 3)
        demand_rows.append(row)

    provider_rows = []
    for p in plist:
        placed_here = provider_milli.get(p.provider_id, 0) / 1000
        if p.capacity_rule == "full":
            capacity: float | None = math.ceil(placed_here - 1e-9)
        elif p.capacity_rule == "headroom":
            capacity = math.ceil(placed_here - 1e-9) + OOA_SPECIAL_HEADROOM
        else:
            capacity = None
        p.allocated = placed_here
        row = {"provider_id": p.provider_id, "name": p.name, "type": p.type,
               "in_area": "yes" if p.in_area else "no",
               "latitude": round(p.latitude, 6), "longitude": round(p.longitude, 6),
               "needs": "all" if p.needs is None else ";".join(p.needs),
               "phases": ";".join(p.phases), "capacity": capacity,
               "annual_cost_per_place": p.cost,
               "residential": "yes" if p.residential else "no",
               "max_travel_minutes": p.max_travel_minutes, "la": p.la, "urn": p.urn or None}
        provider_rows.append(row)

    current_rows = [{"zone_id": zone, "need": need, "phase": phase, "provision": provision,
                     "provider_id": pid, "pupils": m / 1000}
                    for (zone, need, phase, provision, pid), m in current]

    provider_rows.append(mainstream_row(z))
    expansions = expansion_rows(plist)
    budget, capital_notes = budget_rows(current_rows, by_id)
    scenarios = forecast.scenario_rows() + scenario_rows(plist)
    params = [
        {"parameter": "first_year", "value": FIRST_YEAR},
        {"parameter": "horizon_years", "value": HORIZON},
        {"parameter": "home_la", "value": "Trafford (LA 358, E08000009)"},
        {"parameter": "optimism_bias", "value": OPTIMISM_BIAS},
    ]
    tables = {
        "Parameters": params,
        "Zones": zone_rows,
        "Demand": demand_rows,
        "Providers": provider_rows,
        "Expansions": expansions,
        "CurrentPlacements": current_rows,
        "TravelMatrix": [{"zone_id": zone, "provider_id": MAINSTREAM_PROVIDER, "minutes": 10,
                          "annual_transport_cost": 0} for zone in z.ids],
        "Budget": budget,
        "Inclusion": inclusion_rows(z),
        "Boundaries": boundary_rows(z.ids),
        "Scenarios": scenarios,
    }
    facts = {"forecast": forecast, "cells": cells,
             "providers": plist, "capital": capital_notes,
             "residential": residential_in_special_independent()}
    return tables, facts


RP_OPTIONS = [  # URN, places; new resourced provision at mainstream schools without one
    ("143380", 12),  # Partington Central Academy (west)
    ("140738", 12),  # Old Trafford Community Academy (north-east)
    ("106290", 12),  # Broomwood Primary School (Timperley / Altrincham)
    ("106370", 16),  # Stretford High School (north)
    ("138614", 16),  # Altrincham College (south)
]
EXPANSION_OPTIONS = [  # URN, places: one expansion for each kind of special school
    ("142782", 16),  # The Orchards: primary, complex learning needs and autism
    ("147372", 12),  # Longford Park: primary SEMH
    ("131885", 16),  # Egerton High: secondary SEMH
    ("142288", 24),  # Manor Academy: secondary MLD, autism, SLCN
    ("106391", 16),  # Brentwood: secondary SLD and PMLD
]  # Not offered: St John Vianney (being rebuilt for ~160 pupils under the School
#    Rebuilding Programme, new building 2026), Delamere and Pictor (like The Orchards).


def expansion_rows(plist: list[Provider]) -> list[dict[str, Any]]:
    schools = gias()
    rows: list[dict[str, Any]] = []
    for urn, places in RP_OPTIONS:
        s = schools[urn]
        secondary = int(s["lowest_admission_age"]) >= 11
        per_place = CAPEX_RP_SECONDARY if secondary else CAPEX_RP_PRIMARY
        rows.append({
            "option_id": f"NEW-RP-{urn}",
            "name": f"{s['name']}: new resourced provision, {places} places",
            "places": places, "capital_cost": places * per_place,
            "earliest_year": EARLIEST_RP,
            "latest_year": EARLIEST_RP + OPEN_WINDOW["resourced"],
            "ramp_years": 1,
            "type": "resourced", "in_area": "yes",
            "latitude": round(float(s["lat"]), 6), "longitude": round(float(s["lon"]), 6),
            "needs": "ASD;SLCN;SEMH;MLD;SpLD" if secondary else "ASD;SLCN;MLD;SpLD",
            "phases": "secondary" if secondary else "primary",
            "annual_cost_per_place": COST["resourced"], "residential": "no"})
    by_urn = {p.urn: p for p in plist if p.type == "special" and p.in_area}
    for urn, places in EXPANSION_OPTIONS:
        p = by_urn[urn]
        rows.append({
            "option_id": f"EXP-{urn}", "name": f"{p.name}: {places} more places",
            "provider_id": p.provider_id, "places": places,
            "capital_cost": places * CAPEX_EXPANSION,
            "earliest_year": EARLIEST_EXPANSION,
            "latest_year": EARLIEST_EXPANSION + OPEN_WINDOW["expansion"], "ramp_years": 1})
    z = zones()
    site = z.ids.index("E02001273")  # Sale Central: a central, illustrative site
    for option_id, places, phases, needs, name in (
            ("NEW-SCH-150", 150, "secondary;post16", "ASD;SEMH;SLCN;MLD",
             "New special free school, 150 places, 11-19 (site illustrative: Sale)"),
            ("NEW-SCH-250", 250, "primary;secondary;post16", "ASD;SEMH;SLCN;MLD",
             "New special free school, 250 places, 4-19 (site illustrative: Sale)")):
        rows.append({
            "option_id": option_id, "name": name, "places": places,
            "capital_cost": places * CAPEX_NEW_SCHOOL, "earliest_year": EARLIEST_NEW_SCHOOL,
            "latest_year": EARLIEST_NEW_SCHOOL + OPEN_WINDOW["new_school"],
            "ramp_years": 3, "group": "NEW-SPECIAL-SCHOOL", "funding": FREE_SCHOOL_FUNDING,
            "type": "special",
            "in_area": "yes", "latitude": round(float(z.latitude[site]), 6),
            "longitude": round(float(z.longitude[site]), 6), "needs": needs,
            "phases": phases, "annual_cost_per_place": COST["special"], "residential": "no"})
    return rows


def mainstream_row(z: Zones) -> dict[str, Any]:
    """One provider stands for Trafford's mainstream schools: where the pupils an inclusion
    measure keeps in mainstream go, near home (TravelMatrix: 10 minutes, no transport)."""
    centre = z.ids.index("E02001273")  # Sale Central: a point for the map only
    return {"provider_id": MAINSTREAM_PROVIDER,
            "name": "Mainstream schools near home (all of Trafford's, as one)",
            "type": "mainstream", "in_area": "yes",
            "latitude": round(float(z.latitude[centre]), 6),
            "longitude": round(float(z.longitude[centre]), 6), "needs": "all",
            "phases": "primary;secondary", "capacity": None,
            "annual_cost_per_place": MAINSTREAM_TOP_UP, "residential": "no",
            "max_travel_minutes": None, "la": "Trafford", "urn": None}


def inclusion_rows(z: Zones) -> list[dict[str, Any]]:
    localities = list(LOCALITIES.values())
    rows = []
    for (measure_id, name, needs, phases, locality, share, low, high, annual, per_pupil,
         capital, earliest, latest, ramp) in INCLUSION_MEASURES:
        zones = "all" if locality is None else ";".join(
            i for i, n in zip(z.ids, z.names, strict=True)
            if n.startswith(localities[locality]))
        rows.append({"measure_id": measure_id, "name": name, "needs": needs,
                     "phases": phases, "zones": zones, "from_provision": "special",
                     "to_provision": "mainstream", "share": share, "share_low": low,
                     "share_high": high, "annual_cost": annual, "cost_per_pupil": per_pupil,
                     "capital_cost": capital, "earliest_year": earliest,
                     "latest_year": latest, "ramp_years": ramp})
    return rows


def budget_rows(current_rows: list[dict[str, Any]], by_id: dict[str, Provider]
                ) -> tuple[list[dict[str, Any]], dict[str, float]]:
    share = caseload_total(SNAPSHOT, ["ehcplans"]) / england_plans(SNAPSHOT)
    first_cost = sum(r["pupils"] * by_id[r["provider_id"]].cost for r in current_rows)
    rows = []
    for k, year in enumerate(YEARS):
        for stream, part in BUDGET_SHARES.items():
            rows.append({"year": year, "stream": stream,
                         "amount": round(first_cost * part * (1 + BUDGET_REAL_GROWTH) ** k,
                                         -3)})
    capital = {}
    for year in YEARS:
        amount = NATIONAL_HNPCA[year] * share if year in NATIONAL_HNPCA else CAPITAL_AFTER_2029
        capital[year] = round(amount, -4)
        rows.append({"year": year, "stream": "capital", "amount": capital[year]})
    rows.append({"year": EARLIEST_NEW_SCHOOL, "stream": FREE_SCHOOL_STREAM, "amount": 0})
    return rows, {"share": share, "first_cost": first_cost, **capital}


def scenario_rows(plist: list[Provider]) -> list[dict[str, Any]]:
    """The scenarios besides the forecast's demand_low and demand_high."""
    rows: list[dict[str, Any]] = []
    for p in plist:
        if p.in_area and p.gias_capacity is not None:
            rows.append({"scenario": "gias_capacity", "sheet": "Providers",
                         "column": "capacity", "filter": f"provider_id={p.provider_id}",
                         "operation": "set", "value": p.gias_capacity,
                         "note": f"all {p.gias_capacity:g} places ({p.source}) open to "
                                 "Trafford pupils"})
    school = next(r for r in expansion_rows(plist) if r["option_id"] == "NEW-SCH-150")
    rows.append({"scenario": "free_school_funded", "sheet": "Budget", "column": "amount",
                 "filter": f"year={EARLIEST_NEW_SCHOOL}; stream={FREE_SCHOOL_STREAM}",
                 "operation": "set",
                 "value": round(school["capital_cost"] * (1 + OPTIMISM_BIAS)),
                 "note": "DfE's central free school route pays for a 150-place special "
                         "school (capital incl. optimism bias), ring-fenced to the new "
                         "school, on top of Trafford's share"})
    rows.append({"scenario": "no_inclusion", "sheet": "Inclusion", "column": "enabled",
                 "operation": "set", "value": "no",
                 "note": "no inclusion measure: the capital programme alone, as before "
                         "the Inclusion sheet"})
    rows.append({"scenario": "inmss_fees_rise", "sheet": "Providers",
                 "column": "annual_cost_per_place", "filter": "type=inmss",
                 "operation": "scale", "value": round(72_000 / 63_000, 6),
                 "note": "INMSS fees rise to £72k (CCN/Isos 2025: £72,000 by 2029)"})
    return rows


# --------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------
def specialist_demand(forecast: Forecast) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(central, low, high) pupils needing a resourced or special place, by planning year."""
    levels = [PROVISION.index("resourced"), PROVISION.index("special")]
    plans = forecast.projection.level_phase()[:, levels].sum(axis=(1, 2))
    return tuple(values[forecast.steps()] for values in
                 forecast.projection.interval(plans, "specialist"))


def guide_notes(facts: dict[str, Any]) -> list[str]:
    cap = facts["capital"]
    central, low, high = specialist_demand(facts["forecast"])
    growth = (central[-1] / central[0]) ** (1 / (len(central) - 1)) - 1
    return [
        "Trafford (LA 358, E08000009): a planning workbook built from public data by "
        "inputs/build_trafford.py. It is an example for placeopt, not Trafford Council's "
        "plan: some figures are real, some are estimated from real data, and some are "
        "illustrative assumptions, as listed here and on the Notes sheet (details and "
        "sources in docs/trafford.md).",
        "REAL (published data): Trafford's EHC plans at January 2025 by setting, primary "
        "need and age (DfE SEN2, 2025 release): 962 in special schools (328 LA-maintained, "
        "493 academy/free, 59 independent, 82 non-maintained; 4 of the 141 INMSS pupils "
        "residential) and 154 in resourced provision or SEN units; Trafford's 2019-2025 "
        "history; the mid-2024 child population of its 28 MSOAs (ONS), their "
        "population-weighted centroids and generalised boundaries (ONS); its special "
        "schools, independent special "
        "schools, units and resourced provision (GIAS: URN, name, ages, capacity, "
        "location); need designations of the special schools (Trafford Local Offer, "
        "school admissions pages); national costs per place (special £26k, INMSS £63k, "
        "resourced £15k; DfE 2026, Stockport) and capital costs per place (DOMAIN.md); "
        "Green Book 3.5% discount rate and 24% optimism bias.",
        "ESTIMATED from real data: pupils by need x phase within each setting (SEN2 gives "
        "need and age separately: fitted to both by IPF, in whole pupils), pupils by home "
        "zone (in proportion to each MSOA's children of the phase), which school each is "
        "at (shared by the schools' places; home zones by the fewest journey minutes, as "
        "Trafford's primary special schools admit by postcode), and demand from 2026/27: "
        "placeopt forecast's cohort model (docs/forecast.md) on Trafford's SEN2 history and "
        f"mid-2024 population takes resourced and special places from {central[0]:,.0f} in "
        f"2025/26 to {central[-1]:,.0f} in 2034/35 ({growth:.1%} a year on average; "
        f"80% interval {low[-1]:,.0f}-{high[-1]:,.0f}).",
        "ILLUSTRATIVE assumptions: Trafford's schools are full, so the places open to "
        "Trafford pupils are those its pupils held in January 2025 (the rest of a school's "
        "GIAS capacity is taken by other councils' pupils; scenario gias_capacity opens "
        "every GIAS place instead); unit capacities (GIAS gives none); the out-of-area "
        "state special and independent schools (invented schools at real town centres in "
        "Greater Manchester and Cheshire); the residential fee (£168k); new resourced "
        "provision at real mainstream schools and a new special school at an illustrative "
        "Sale site; the pooled revenue budget (the 2025/26 cost, +3% a year real); capital "
        f"of £{cap[2025] / 1e6:.2f}m in 2025 and £{cap[2026] / 1e6:.2f}m a year "
        "2026-2029 (Trafford's share of DfE's high needs capital) and £1m a year after; "
        "a ring-fenced free-school grant (stream capital:free_school) that only the new "
        "special school may draw on, £0 in the base case (scenario free_school_funded: "
        "enough for the 150-place school in 2029).",
        "INCLUSION MEASURES (illustrative, Inclusion sheet): an autism outreach team and "
        "SEMH inclusion bases in secondary schools in two localities, each diverting a share "
        "of the new demand for special school places to mainstream schools near home (one "
        "provider, MS-NEAR-HOME, at a £6,000 top-up a year, no transport). Their shares, "
        "evidence ranges and costs lean on Birmingham's autism team (AET case study), DfE's "
        "Delivering Better Value reviews and Trafford's Lostock High class; the figures and "
        "their sources are in inputs/build_trafford.py and docs/trafford.md.",
        "2025/26 is the first planning year: its demand is exactly the January 2025 SEN2 "
        "count and every pupil is a current placement, so year 1 of the baseline "
        "reproduces SEN2; demand follows the forecast from 2026/27, each provision level and "
        "phase on its own path. Scenarios demand_low and demand_high scale each year's "
        "demand of each provision level to the ends of the forecast's 80% interval; the "
        "Forecast sheet records the method, its parameters and the figures. To change an "
        "assumption, edit FORECAST in inputs/build_trafford.py and rebuild.",
    ]


def notes_sheet(book: Workbook, facts: dict[str, Any]) -> None:
    """A Notes sheet (placeopt ignores sheets it does not know): figures and sources."""
    ws = book.create_sheet("Notes", 1)
    bold = Font(bold=True)
    rows: list[list[Any]] = [
        ["Trafford planning workbook: figures and where they come from"],
        [],
        ["Demand", None, "value", "source"],
    ]
    columns = [c for s in SETTINGS.values() for c in s[0]]
    for period in HISTORY:
        rows.append([f"specialist placements, January {int(period[:4]) + 1}",
                     None, caseload_total(period, columns),
                     "SEN2 caseload.csv: resourced provision + SEN units + special schools"])
    central, low, high = specialist_demand(facts["forecast"])
    for k, year in enumerate(YEARS):
        rows.append([f"specialist demand {year}/{(year + 1) % 100:02d}", None,
                     round(float(central[k]), 3),
                     "the January 2025 count" if k == 0 else
                     f"placeopt forecast (Forecast sheet); 80% interval {low[k]:,.1f}-"
                     f"{high[k]:,.1f}"])
    rows += [
        [],
        ["Capital", None, "value", "source"],
        ["Trafford share of England's EHC plans, Jan 2025", None,
         round(facts["capital"]["share"], 6),
         f"SEN2: {caseload_total(SNAPSHOT, ['ehcplans']):,.0f} of "
         f"{england_plans(SNAPSHOT):,.0f}"],
        *[[f"capital {y}", None, facts["capital"][y],
           "DfE high needs capital x share" if y < 2030 else "illustrative"] for y in YEARS],
        [],
        ["Places open to Trafford pupils", None, "GIAS capacity",
         "Trafford pupils Jan 2025 (= capacity used, rounded up)"],
    ]
    for p in facts["providers"]:
        if p.in_area:
            rows.append([p.provider_id, p.name, p.gias_capacity, round(p.allocated, 3)])
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if r == 1 or (values and values[0] in ("Demand", "Capital",
                                                   "Places open to Trafford pupils")):
                cell.font = bold
    for letter, width in zip("ABCD", (44, 52, 14, 60), strict=True):
        ws.column_dimensions[letter].width = width


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    tables, facts = build_tables()
    book = build_workbook(tables, notes=guide_notes(facts),
                          title="placeopt planning workbook: Trafford (from public data)")
    notes_sheet(book, facts)
    write_method_sheet(book, facts["forecast"])
    output.parent.mkdir(parents=True, exist_ok=True)
    book.save(output)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    print(f"wrote {build(args.output)}")


if __name__ == "__main__":
    main()
