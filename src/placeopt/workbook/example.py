"""The worked example: Northbridge, a fictional English local authority.

`placeopt template PATH --example` writes these tables as a filled-in planning workbook,
and the docs and tests solve it. Northbridge Borough Council, its zones, schools, pupils
and budgets are invented; the locations sit in the north-west Midlands only so that the
journeys are realistic, and any resemblance to a real place or school is coincidence.
The URNs (99xxxx) are invented too.

What is real (DOMAIN.md; [V] = checked against the source, [U] = not checked):
- costs per place a year: resourced provision ~£15,000 (Stockport £14-16k) [V]; state
  special schools £22k-£26k (DfE Feb 2026 average ~£26k; Dorset ~£22k; Surrey ~£22.2k)
  [V]; independent and non-maintained special schools (INMSS) £52.8k-£63k (Surrey ~£52.8k;
  DfE Feb 2026 average ~£63k) [V]; alternative provision £22,650 (Devon) [V];
- capital per place: resourced provision by adapting space £15.5k-£31k (Oldham) [V];
  special school expansion ~£120k (Surrey 2022) [V]; new special school ~£92k (West
  Northamptonshire: 250 places, £23m) [V]; lead time of a new school 4-6 years [U];
- Green Book: 3.5% real discount rate (the default) and 24% optimism bias for standard
  buildings [V];
- growth: EHC plans rose 10.8% in the year to January 2025 and have more than doubled
  since 2015 [V]; the example assumes growth slows to 4-8% a year by need.

What is illustrative: every count of pupils, capacity, budget and journey; mainstream
(£9,000: the first £6,000 from the school plus a top-up within the £1k-£10k range [U])
and college (£14,000 [U]: there is no reliable national figure) costs per place; the
residential fee (£168,000: DOMAIN.md only says some packages exceed £200k [U]).

The example is built so that solving it is interesting: local special schools are
nearly full in 2026 and demand grows, so in the baseline (only the committed project
built) pupils of every specialist need and phase spill out of area to INMSS, and
building local places saves money. Capital (£24m over the ten years) is enough for some
options but not all (£27m with optimism bias), and the pooled revenue budget is
overspent in the baseline from 2029 but not by a plan that builds.
"""

from __future__ import annotations

import copy

# The worked example's paragraph on the workbook's Guide sheet.
EXAMPLE_NOTE = (
    "This is placeopt's worked example: Northbridge Borough Council is fictional, and so are "
    "its zones, schools, pupils and budgets. Costs per place follow published figures "
    "(state special schools about £22k-£26k a year, independent special schools £53k-£63k, "
    "resourced provision about £15k; capital about £120k a place to expand a special "
    "school, £92k for a new one, £15.5k-£31k for resourced provision). Local special "
    "schools are nearly full and demand grows 4-8% a year, so without new places pupils "
    "go to distant independent schools. Solve it with 'placeopt run', or try the "
    "scenarios on the Scenarios sheet."
)

FIRST_YEAR = 2026
HORIZON_YEARS = 10
YEARS = tuple(range(FIRST_YEAR, FIRST_YEAR + HORIZON_YEARS))

PARAMETERS: list[dict] = [
    {"parameter": "first_year", "value": FIRST_YEAR},
    {"parameter": "horizon_years", "value": HORIZON_YEARS},
    {"parameter": "home_la", "value": "Northbridge Borough Council (fictional)"},
    {"parameter": "discount_rate", "value": 0.035},  # Green Book real rate [V]
    {"parameter": "optimism_bias", "value": 0.24},  # Green Book, standard buildings [V]
    {"parameter": "capital_treatment", "value": "annuity"},
    {"parameter": "asset_life_years", "value": 40},
    {"parameter": "budget_limit", "value": "soft"},
    {"parameter": "budget_covers", "value": "placements"},
]

# Zones are wards of the fictional borough, a few km apart. Holmwick is given in British
# National Grid metres, as GIAS and OS data give locations, to exercise the conversion.
ZONES: list[dict] = [
    {"zone_id": "NB01", "name": "Northbridge Town", "latitude": 52.9050, "longitude": -2.3350},
    {"zone_id": "NB02", "name": "Ashgrove", "latitude": 52.9544, "longitude": -2.3201},
    {"zone_id": "NB03", "name": "Kelderby", "latitude": 52.9184, "longitude": -2.2384},
    {"zone_id": "NB04", "name": "Holmwick", "easting": 381540, "northing": 329210},
    {"zone_id": "NB05", "name": "Saltmere", "latitude": 52.8556, "longitude": -2.3870},
    {"zone_id": "NB06", "name": "Wrayton", "latitude": 52.9095, "longitude": -2.4316},
    {"zone_id": "NB07", "name": "Fellside", "latitude": 52.9634, "longitude": -2.3871},
]

# Demand: (zone_id, need, phase, provision, pupils in 2026, annual growth).
# Growth of 4-8% a year by need: EHC plans grew 10.8% in the year to January 2025 and
# about 10% a year since 2015 (DOMAIN.md [V]); the example assumes it slows, fastest for
# ASD (31.5% of plans) and SEMH (20.7%), slowest for PMLD (1.3%) [V for the shares].
_DEMAND_GROWTH: list[tuple[str, str, str, str, float, float]] = [
    # special school places
    ("NB01", "ASD", "primary", "special", 18, 0.07),
    ("NB02", "ASD", "primary", "special", 14, 0.07),
    ("NB03", "ASD", "primary", "special", 12, 0.07),
    ("NB05", "ASD", "primary", "special", 10, 0.07),
    ("NB07", "ASD", "primary", "special", 8, 0.07),
    ("NB01", "ASD", "secondary", "special", 22, 0.07),
    ("NB02", "ASD", "secondary", "special", 16, 0.07),
    ("NB03", "ASD", "secondary", "special", 10, 0.07),
    ("NB04", "ASD", "secondary", "special", 16, 0.07),
    ("NB06", "ASD", "secondary", "special", 14, 0.07),
    ("NB01", "ASD", "post16", "special", 12, 0.06),
    ("NB04", "ASD", "post16", "special", 10, 0.06),
    ("NB01", "SEMH", "primary", "special", 10, 0.06),
    ("NB04", "SEMH", "primary", "special", 9, 0.06),
    ("NB05", "SEMH", "primary", "special", 7, 0.06),
    ("NB01", "SEMH", "secondary", "special", 16, 0.07),
    ("NB03", "SEMH", "secondary", "special", 11, 0.07),
    ("NB04", "SEMH", "secondary", "special", 14, 0.07),
    ("NB06", "SEMH", "secondary", "special", 9, 0.07),
    ("NB02", "SLD", "primary", "special", 9, 0.05),
    ("NB03", "SLD", "primary", "special", 8, 0.05),
    ("NB05", "SLD", "primary", "special", 7, 0.05),
    ("NB01", "SLD", "secondary", "special", 10, 0.05),
    ("NB03", "SLD", "secondary", "special", 8, 0.05),
    ("NB06", "SLD", "secondary", "special", 8, 0.05),
    ("NB03", "SLD", "post16", "special", 8, 0.05),
    ("NB05", "SLD", "post16", "special", 6, 0.05),
    ("NB01", "PMLD", "primary", "special", 5, 0.04),
    ("NB04", "PMLD", "primary", "special", 4, 0.04),
    ("NB02", "PMLD", "secondary", "special", 4, 0.04),
    ("NB05", "PMLD", "secondary", "special", 4, 0.04),
    # resourced provision places
    ("NB01", "ASD", "primary", "resourced", 8, 0.08),
    ("NB02", "ASD", "primary", "resourced", 8, 0.08),
    ("NB06", "ASD", "primary", "resourced", 6, 0.08),
    ("NB03", "ASD", "secondary", "resourced", 7, 0.08),
    ("NB04", "ASD", "secondary", "resourced", 6, 0.08),
    ("NB07", "ASD", "secondary", "resourced", 5, 0.08),
    ("NB04", "SLCN", "primary", "resourced", 6, 0.06),
    ("NB05", "SLCN", "primary", "resourced", 8, 0.06),
    # mainstream places with support
    ("NB01", "SLCN", "primary", "mainstream", 14, 0.05),
    ("NB02", "SLCN", "primary", "mainstream", 12, 0.05),
    ("NB05", "SLCN", "primary", "mainstream", 14, 0.05),
    ("NB03", "MLD", "primary", "mainstream", 15, 0.04),
    ("NB06", "MLD", "primary", "mainstream", 15, 0.04),
    ("NB01", "ASD", "primary", "mainstream", 15, 0.07),
    ("NB04", "ASD", "primary", "mainstream", 15, 0.07),
    ("NB07", "ASD", "primary", "mainstream", 15, 0.07),
    ("NB02", "MLD", "secondary", "mainstream", 18, 0.04),
    ("NB05", "MLD", "secondary", "mainstream", 17, 0.04),
    ("NB01", "ASD", "secondary", "mainstream", 20, 0.07),
    ("NB03", "ASD", "secondary", "mainstream", 20, 0.07),
    ("NB04", "SLCN", "secondary", "mainstream", 13, 0.05),
    ("NB06", "SLCN", "secondary", "mainstream", 12, 0.05),
    # any setting: secondary SEMH (alternative provision) and post-16 (college)
    ("NB01", "SEMH", "secondary", "any", 7, 0.06),
    ("NB05", "SEMH", "secondary", "any", 5, 0.06),
    ("NB02", "MLD", "post16", "any", 10, 0.06),
    ("NB06", "MLD", "post16", "any", 8, 0.06),
    ("NB04", "SLCN", "post16", "any", 12, 0.06),
    ("NB01", "ASD", "post16", "any", 14, 0.06),
    ("NB03", "ASD", "post16", "any", 11, 0.06),
]

_NB = "Northbridge (fictional)"

PROVIDERS: list[dict] = [
    # Mainstream schools, grouped by partnership; capacity = places for pupils with EHC
    # plans. £9,000 = the school's first £6,000 plus a top-up (illustrative, [U]).
    {"provider_id": "MS-PN", "name": "North Northbridge primary partnership",
     "type": "mainstream", "in_area": "yes", "latitude": 52.9481, "longitude": -2.3424,
     "needs": "ASD;SLCN;MLD", "phases": "primary", "capacity": 110,
     "annual_cost_per_place": 9000, "la": _NB},
    {"provider_id": "MS-PS", "name": "South Northbridge primary partnership",
     "type": "mainstream", "in_area": "yes", "latitude": 52.8673, "longitude": -2.3498,
     "needs": "ASD;SLCN;MLD", "phases": "primary", "capacity": 100,
     "annual_cost_per_place": 9000, "la": _NB},
    {"provider_id": "MS-SEC", "name": "Northbridge secondary schools partnership",
     "type": "mainstream", "in_area": "yes", "latitude": 52.9014, "longitude": -2.3261,
     "needs": "ASD;SLCN;MLD", "phases": "secondary", "capacity": 170,
     "annual_cost_per_place": 9000, "la": _NB},
    # Resourced provision in mainstream schools: ~£15,000 (Stockport £14-16k) [V].
    {"provider_id": "RP-ASH", "name": "Ashgrove Primary School ASD resourced provision",
     "type": "resourced", "in_area": "yes", "latitude": 52.9508, "longitude": -2.3157,
     "needs": "ASD", "phases": "primary", "capacity": 14,
     "annual_cost_per_place": 15000, "la": _NB, "urn": "990101"},
    {"provider_id": "RP-KEL", "name": "Kelderby Academy communication base",
     "type": "resourced", "in_area": "yes", "latitude": 52.9140, "longitude": -2.2458,
     "needs": "ASD;SLCN", "phases": "secondary", "capacity": 20,
     "annual_cost_per_place": 16000, "la": _NB, "urn": "990102"},
    {"provider_id": "RP-SAL", "name": "Saltmere Primary speech and language unit",
     "type": "resourced", "in_area": "yes", "easting": 374343, "northing": 329243,
     "needs": "SLCN", "phases": "primary", "capacity": 10,
     "annual_cost_per_place": 14000, "la": _NB, "urn": "990103"},
    # State special schools: £22k-£26k (DfE ~£26k; Dorset ~£22k; Surrey ~£22.2k) [V].
    {"provider_id": "SP-BRK", "name": "Brackenhurst School", "type": "special",
     "in_area": "yes", "latitude": 52.9149, "longitude": -2.3469,
     "needs": "ASD;SLCN;MLD;SEMH", "phases": "primary;secondary", "capacity": 150,
     "annual_cost_per_place": 24500, "la": _NB, "urn": "990201"},
    {"provider_id": "SP-KLP", "name": "Kelderby Park School", "type": "special",
     "in_area": "yes", "latitude": 52.9256, "longitude": -2.2547,
     "needs": "SLD;PMLD;ASD", "phases": "primary;secondary;post16", "capacity": 100,
     "annual_cost_per_place": 26000, "la": _NB, "urn": "990202"},
    {"provider_id": "SP-HOL", "name": "Holmwick Hall School", "type": "special",
     "in_area": "yes", "latitude": 52.8663, "longitude": -2.2815,
     "needs": "SEMH", "phases": "primary;secondary", "capacity": 40,
     "annual_cost_per_place": 22000, "la": _NB, "urn": "990203"},
    # A neighbouring council's special school that sells Northbridge a few places.
    {"provider_id": "SP-WST", "name": "Westmoor Brook School", "type": "special",
     "in_area": "no", "latitude": 52.9407, "longitude": -2.5730,
     "needs": "ASD;MLD", "phases": "secondary", "capacity": 8,
     "annual_cost_per_place": 27000, "la": "Westmoor (fictional)", "urn": "990204"},
    # INMSS: £52.8k (Surrey) to £63k (DfE average) [V]. The council accepts journeys of up
    # to 90 minutes to Meadowbank and Fernlea, as it does today.
    {"provider_id": "IN-MBK", "name": "Meadowbank School (independent)", "type": "inmss",
     "in_area": "no", "latitude": 53.1566, "longitude": -2.3051,
     "needs": "ASD;SLCN", "phases": "primary;secondary;post16", "capacity": 50,
     "annual_cost_per_place": 56500, "max_travel_minutes": 90,
     "la": "Dunmore (fictional)", "urn": "990301"},
    {"provider_id": "IN-HGR", "name": "Hollins Grange School (independent)", "type": "inmss",
     "in_area": "no", "latitude": 52.9088, "longitude": -1.9188,
     "needs": "SEMH", "phases": "secondary", "capacity": 30,
     "annual_cost_per_place": 52800, "la": "Eastfold (fictional)", "urn": "990302"},
    {"provider_id": "IN-FER", "name": "Fernlea House School (non-maintained)",
     "type": "inmss", "in_area": "no", "latitude": 52.7339, "longitude": -2.6163,
     "needs": "all", "phases": "primary;secondary;post16",
     "annual_cost_per_place": 63000, "max_travel_minutes": 90,
     "la": "Marlshire (fictional)", "urn": "990303"},
    # Residential: DOMAIN.md says only that some packages exceed £200k a year [U].
    {"provider_id": "IN-RAV", "name": "Ravensmoor Residential School", "type": "inmss",
     "in_area": "no", "latitude": 53.4696, "longitude": -2.9373,
     "needs": "SLD;PMLD;ASD", "phases": "all", "capacity": 12,
     "annual_cost_per_place": 168000, "residential": "yes",
     "la": "Carrow (fictional)", "urn": "990304"},
    # College: no reliable national figure [U]; 16-19 funding + £6,000 + top-up.
    {"provider_id": "CO-NBC", "name": "Northbridge College", "type": "college",
     "in_area": "yes", "latitude": 52.9122, "longitude": -2.3305,
     "needs": "ASD;SLCN;MLD;SEMH", "phases": "post16", "capacity": 70,
     "annual_cost_per_place": 14000, "la": _NB, "urn": "990401"},
    # Alternative provision: £10,000 place + top-up, ~£22,650 (Devon) [V].
    {"provider_id": "AP-NLC", "name": "Northbridge Learning Centre (pupil referral unit)",
     "type": "ap", "in_area": "yes", "latitude": 52.8906, "longitude": -2.3083,
     "needs": "SEMH;ASD", "phases": "primary;secondary", "capacity": 30,
     "annual_cost_per_place": 22650, "la": _NB, "urn": "990501"},
]

CAPACITY_LIMITS: list[dict] = [
    # Brackenhurst's SEMH secondary class base is kept small, whatever its total places;
    # Kelderby Park's autism places are in one building.
    {"provider_id": "SP-BRK", "need": "SEMH", "phase": "secondary", "places": 24},
    {"provider_id": "SP-KLP", "need": "ASD", "places": 40},
]

# Capital per place (DOMAIN.md [V]): resourced provision by adapting space £15.5k-£31k
# (Oldham); special school expansion ~£120k (Surrey 2022); new special school ~£92k (West
# Northamptonshire). Lead times [U]: resourced provision 9-12 months, expansion 12-18
# months, a new school 4-6 years (central free school route).
EXPANSIONS: list[dict] = [
    # New resourced provision units in mainstream schools: £24k and £31k a place.
    {"option_id": "RP-NEW-FEL", "name": "Fellside Primary ASD resourced provision",
     "places": 16, "capital_cost": 16 * 24_000, "earliest_year": 2027, "ramp_years": 1,
     "type": "resourced", "in_area": "yes", "latitude": 52.9589, "longitude": -2.3796,
     "needs": "ASD", "phases": "primary", "annual_cost_per_place": 15000,
     "residential": "no"},
    {"option_id": "RP-NEW-HOL", "name": "Holmwick Academy ASD and SLCN resourced provision",
     "places": 20, "capital_cost": 20 * 31_000, "earliest_year": 2027, "ramp_years": 1,
     "type": "resourced", "in_area": "yes", "easting": 381042, "northing": 329412,
     "needs": "ASD;SLCN", "phases": "secondary", "annual_cost_per_place": 16000,
     "residential": "no"},
    # Brackenhurst: two alternative sizes (one group); the new block is a little cheaper
    # per place than the Surrey figure (illustrative).
    {"option_id": "EXP-BRK-20", "name": "Brackenhurst School: 20 more places",
     "provider_id": "SP-BRK", "places": 20, "capital_cost": 20 * 120_000,
     "earliest_year": 2027, "ramp_years": 1, "group": "BRK-EXPANSION"},
    {"option_id": "EXP-BRK-40", "name": "Brackenhurst School: 40 more places (new block)",
     "provider_id": "SP-BRK", "places": 40, "capital_cost": 40 * 110_000,
     "earliest_year": 2028, "ramp_years": 2, "group": "BRK-EXPANSION"},
    # Committed and funded: it must be built, in the baseline too.
    {"option_id": "EXP-KLP", "name": "Kelderby Park School: 16 places (committed)",
     "provider_id": "SP-KLP", "places": 16, "capital_cost": 16 * 120_000,
     "earliest_year": 2027, "latest_year": 2027, "required": "yes"},
    {"option_id": "EXP-HOL", "name": "Holmwick Hall School: 12 more SEMH places",
     "provider_id": "SP-HOL", "places": 12, "capital_cost": 12 * 120_000,
     "earliest_year": 2028, "ramp_years": 1},
    # Adapting college space, costed like resourced provision (lower Oldham figure).
    {"option_id": "EXP-COL", "name": "Northbridge College supported learning hub",
     "provider_id": "CO-NBC", "places": 24, "capital_cost": 24 * 15_500,
     "earliest_year": 2027, "ramp_years": 1},
    # A new special free school: £92k a place, opens at the earliest in 2030 (4 years),
    # filling over 3 years.
    {"option_id": "NEW-SCH", "name": "Northbridge Vale special free school",
     "places": 140, "capital_cost": 140 * 92_000, "earliest_year": 2030, "ramp_years": 3,
     "type": "special", "in_area": "yes", "latitude": 52.9320, "longitude": -2.2978,
     "needs": "ASD;SEMH;SLCN", "phases": "primary;secondary", "annual_cost_per_place": 24000,
     "residential": "no"},
    # Not available until a site is secured (the with_satellite scenario switches it on).
    {"option_id": "SAT-KLP", "name": "Kelderby Park satellite at Wrayton (site not secured)",
     "places": 24, "capital_cost": 24 * 92_000, "earliest_year": 2029, "ramp_years": 2,
     "enabled": "no",
     "type": "special", "in_area": "yes", "latitude": 52.9068, "longitude": -2.4242,
     "needs": "SLD;PMLD", "phases": "primary;secondary;post16",
     "annual_cost_per_place": 26000, "residential": "no"},
]

# Pupils already placed in 2026: (zone_id, need, phase, provision, provider_id, pupils,
# years_remaining). Blank years_remaining = they run off evenly over their phase.
_CURRENT: list[tuple[str, str, str, str, str, float, int | None]] = [
    # Brackenhurst School
    ("NB01", "ASD", "primary", "special", "SP-BRK", 14, None),
    ("NB02", "ASD", "primary", "special", "SP-BRK", 11, None),
    ("NB03", "ASD", "primary", "special", "SP-BRK", 8, None),
    ("NB05", "ASD", "primary", "special", "SP-BRK", 8, None),
    ("NB07", "ASD", "primary", "special", "SP-BRK", 5, None),
    ("NB01", "ASD", "secondary", "special", "SP-BRK", 16, None),
    ("NB02", "ASD", "secondary", "special", "SP-BRK", 10, None),
    ("NB03", "ASD", "secondary", "special", "SP-BRK", 8, None),
    ("NB04", "ASD", "secondary", "special", "SP-BRK", 12, None),
    ("NB06", "ASD", "secondary", "special", "SP-BRK", 8, None),
    ("NB01", "SEMH", "primary", "special", "SP-BRK", 6, None),
    ("NB01", "SEMH", "secondary", "special", "SP-BRK", 12, None),
    ("NB04", "SEMH", "secondary", "special", "SP-BRK", 10, None),
    ("NB06", "ASD", "primary", "resourced", "SP-BRK", 2, None),
    ("NB07", "ASD", "secondary", "resourced", "SP-BRK", 2, None),
    # Kelderby Park School
    ("NB02", "SLD", "primary", "special", "SP-KLP", 8, None),
    ("NB03", "SLD", "primary", "special", "SP-KLP", 7, None),
    ("NB05", "SLD", "primary", "special", "SP-KLP", 6, None),
    ("NB01", "SLD", "secondary", "special", "SP-KLP", 9, None),
    ("NB03", "SLD", "secondary", "special", "SP-KLP", 5, None),
    ("NB06", "SLD", "secondary", "special", "SP-KLP", 8, None),
    ("NB03", "SLD", "post16", "special", "SP-KLP", 7, None),
    ("NB05", "SLD", "post16", "special", "SP-KLP", 4, None),
    ("NB01", "PMLD", "primary", "special", "SP-KLP", 4, None),
    ("NB04", "PMLD", "primary", "special", "SP-KLP", 3, None),
    ("NB02", "PMLD", "secondary", "special", "SP-KLP", 3, None),
    ("NB05", "PMLD", "secondary", "special", "SP-KLP", 3, None),
    ("NB01", "ASD", "post16", "special", "SP-KLP", 10, None),
    ("NB04", "ASD", "post16", "special", "SP-KLP", 8, None),
    ("NB03", "ASD", "primary", "special", "SP-KLP", 2, None),
    ("NB03", "ASD", "secondary", "special", "SP-KLP", 2, None),
    # Holmwick Hall School
    ("NB01", "SEMH", "primary", "special", "SP-HOL", 2, None),
    ("NB04", "SEMH", "primary", "special", "SP-HOL", 8, None),
    ("NB05", "SEMH", "primary", "special", "SP-HOL", 6, None),
    ("NB01", "SEMH", "secondary", "special", "SP-HOL", 4, None),
    ("NB03", "SEMH", "secondary", "special", "SP-HOL", 6, None),
    ("NB04", "SEMH", "secondary", "special", "SP-HOL", 3, None),
    ("NB06", "SEMH", "secondary", "special", "SP-HOL", 5, None),
    # resourced provision
    ("NB01", "ASD", "primary", "resourced", "RP-ASH", 6, None),
    ("NB02", "ASD", "primary", "resourced", "RP-ASH", 7, None),
    ("NB03", "ASD", "secondary", "resourced", "RP-KEL", 7, None),
    ("NB04", "ASD", "secondary", "resourced", "RP-KEL", 4, None),
    ("NB07", "ASD", "secondary", "resourced", "RP-KEL", 3, None),
    ("NB04", "SLCN", "primary", "resourced", "RP-SAL", 3, None),
    ("NB05", "SLCN", "primary", "resourced", "RP-SAL", 7, None),
    # out of area: a neighbour's special school and the independent sector
    ("NB06", "ASD", "secondary", "special", "SP-WST", 4, None),
    ("NB01", "ASD", "primary", "special", "IN-MBK", 3, None),
    ("NB02", "ASD", "primary", "special", "IN-MBK", 2, None),
    ("NB07", "ASD", "primary", "special", "IN-MBK", 2, None),
    ("NB01", "ASD", "secondary", "special", "IN-MBK", 4, None),
    ("NB02", "ASD", "secondary", "special", "IN-MBK", 4, None),
    ("NB04", "ASD", "secondary", "special", "IN-MBK", 3, None),
    ("NB04", "ASD", "post16", "special", "IN-MBK", 2, 2),
    ("NB04", "ASD", "secondary", "resourced", "IN-MBK", 2, None),
    ("NB03", "SEMH", "secondary", "special", "IN-HGR", 5, None),
    ("NB04", "SEMH", "secondary", "special", "IN-HGR", 1, None),
    ("NB06", "SEMH", "secondary", "special", "IN-HGR", 3, None),
    ("NB03", "SLD", "primary", "special", "IN-FER", 1, None),
    ("NB05", "SLD", "post16", "special", "IN-FER", 2, None),
    ("NB01", "SEMH", "primary", "special", "IN-FER", 2, None),
    ("NB05", "PMLD", "secondary", "special", "IN-FER", 1, None),
    ("NB06", "ASD", "secondary", "special", "IN-FER", 2, None),
    ("NB03", "SLD", "secondary", "special", "IN-RAV", 2, 3),
    ("NB04", "PMLD", "primary", "special", "IN-RAV", 1, 5),
    # post-16 and alternative provision
    ("NB01", "ASD", "post16", "any", "CO-NBC", 12, None),
    ("NB04", "SLCN", "post16", "any", "CO-NBC", 10, None),
    ("NB01", "SEMH", "secondary", "any", "AP-NLC", 5, None),
]

TRAVEL_MATRIX: list[dict] = [
    # Wrayton has a fast road to Hollins Grange; the straight-line estimate would be 90 min.
    {"zone_id": "NB06", "provider_id": "IN-HGR", "minutes": 65, "distance_km": 46},
    # Saltmere pupils walk to the speech and language unit: no transport.
    {"zone_id": "NB05", "provider_id": "RP-SAL", "annual_transport_cost": 0},
]

# Pooled revenue budget (£m a year by stream), illustrative: it pays for placements
# (budget_covers), not transport. Capital (£m) is illustrative too; for scale, DfE's £3bn
# high needs capital for 2026-27 to 2029-30 buys ~50,000 places (DOMAIN.md [V]). Capital
# rows run to the last year because the capital limit binds only up to the last year
# that has one.
_REVENUE_M = {  # year: (high_needs_block, health, social_care), rising ~6% a year
    2026: (12.7, 0.8, 0.6), 2027: (13.4, 0.9, 0.7), 2028: (14.2, 1.0, 0.7),
    2029: (15.1, 1.0, 0.8), 2030: (16.0, 1.1, 0.8), 2031: (17.0, 1.1, 0.9),
    2032: (18.1, 1.2, 0.9), 2033: (19.2, 1.3, 1.0), 2034: (20.4, 1.4, 1.0),
    2035: (21.9, 1.5, 1.1),
}
_CAPITAL_M = {2026: 4.0, 2027: 5.0, 2028: 6.0, 2029: 6.0, 2030: 0.5, 2031: 0.5, 2032: 0.5,
              2033: 0.5, 2034: 0.5, 2035: 0.5}
BUDGET: list[dict] = [
    *[{"year": y, "stream": stream, "amount": round(m * 1e6)}
      for y, amounts in _REVENUE_M.items()
      for stream, m in zip(("high_needs_block", "health", "social_care"), amounts, strict=True)],
    *[{"year": y, "stream": "capital", "amount": round(m * 1e6)} for y, m in _CAPITAL_M.items()],
]

SCENARIOS: list[dict] = [
    {"scenario": "high_growth", "sheet": "Demand", "column": "*", "operation": "scale",
     "value": 1.1, "note": "Demand 10% higher in every year"},
    {"scenario": "no_new_school", "sheet": "Expansions", "column": "enabled",
     "filter": "option_id=NEW-SCH", "operation": "set", "value": "no",
     "note": "The free school bid fails"},
    {"scenario": "hard_budget", "sheet": "Parameters", "column": "budget_limit",
     "operation": "set", "value": "hard", "note": "The pooled budget may not be overspent"},
    {"scenario": "with_satellite", "sheet": "Expansions", "column": "enabled",
     "filter": "option_id=SAT-KLP", "operation": "set", "value": "yes",
     "note": "The Wrayton site for a Kelderby Park satellite is secured"},
    {"scenario": "inmss_fees_rise", "sheet": "Providers", "column": "annual_cost_per_place",
     "filter": "type=inmss", "operation": "scale", "value": 1.18,
     "note": "INMSS fees £60.8k now, £72k by 2029 (CCN/Isos 2025)"},
]


def _demand_rows() -> list[dict]:
    rows = []
    for zone_id, need, phase, provision, pupils, growth in _DEMAND_GROWTH:
        row: dict = {"zone_id": zone_id, "need": need, "phase": phase, "provision": provision}
        for k, year in enumerate(YEARS):
            row[year] = round(pupils * (1 + growth) ** k, 1)
        rows.append(row)
    return rows


def _current_rows() -> list[dict]:
    rows = []
    for zone_id, need, phase, provision, provider_id, pupils, years_remaining in _CURRENT:
        row: dict = {"zone_id": zone_id, "need": need, "phase": phase, "provision": provision,
                     "provider_id": provider_id, "pupils": pupils}
        if years_remaining is not None:
            row["years_remaining"] = years_remaining
        rows.append(row)
    return rows


def example_tables() -> dict[str, list[dict]]:
    """Sheet name -> rows; each row a dict keyed by the SPEC's column names."""
    tables = {
        "Parameters": PARAMETERS,
        "Zones": ZONES,
        "Demand": _demand_rows(),
        "Providers": PROVIDERS,
        "CapacityLimits": CAPACITY_LIMITS,
        "Expansions": EXPANSIONS,
        "CurrentPlacements": _current_rows(),
        "TravelMatrix": TRAVEL_MATRIX,
        "Budget": BUDGET,
        "Scenarios": SCENARIOS,
    }
    return copy.deepcopy(tables)
