"""The one declaration of the planning workbook.

Every sheet, column, parameter, type, unit, default and help text lives here. The
template writer, the reader and its error messages, and the docs table are all made
from these declarations, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """How a cell is read."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    YESNO = "yes/no"
    LIST = "list"
    CHOICE = "choice"


PHASES: tuple[str, ...] = ("early_years", "primary", "secondary", "post16", "post19")
PHASE_LENGTH: dict[str, int] = {
    "early_years": 2,
    "primary": 7,
    "secondary": 5,
    "post16": 3,
    "post19": 6,
}
PROVIDER_TYPES: tuple[str, ...] = ("mainstream", "resourced", "special", "inmss", "college", "ap")

# School census / SEN2 primary need types, used when the workbook has no Needs sheet.
DEFAULT_NEEDS: dict[str, str] = {
    "ASD": "Autistic spectrum disorder",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SpLD": "Specific learning difficulty",
    "HI": "Hearing impairment",
    "VI": "Visual impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "OTH": "Other difficulty or disability",
    "NSA": "SEN support but no specialist assessment of type of need",
}

# Which provider types can meet demand at each provision level, unless the workbook says.
DEFAULT_SUITABILITY: dict[str, tuple[str, ...]] = {
    "any": PROVIDER_TYPES,
    "mainstream": ("mainstream", "resourced"),
    "resourced": ("resourced", "special", "inmss"),
    "special": ("special", "inmss"),
}

# Capital streams of the Budget sheet: the general pot, and ring-fenced ones "capital:NAME"
# that only the options whose `funding` names them may draw on. Other streams are revenue.
CAPITAL = "capital"
RING_FENCED = "capital:"


def is_capital_stream(stream: str) -> bool:
    """Is a (canonical, lower-case) Budget stream capital money rather than revenue?"""
    return stream == CAPITAL or stream.startswith(RING_FENCED)


YES_WORDS = frozenset({"yes", "y", "true", "1"})
NO_WORDS = frozenset({"no", "n", "false", "0"})


@dataclass(frozen=True)
class Column:
    """One column of a sheet (or one parameter of the Parameters sheet)."""

    name: str
    kind: Kind
    help: str
    unit: str = ""
    required: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None  # strictly greater than
    choices: tuple[str, ...] | None = None
    # Which value set a list/choice/text cell must come from: "need", "phase",
    # "provider_type", "provision", "zone", "provider", "sheet", "stream".
    refers_to: str | None = None
    width: int = 14
    # For an optional column whose absence loosens the plan (no limit, every need): what a
    # sheet without the column means, said in a warning so it is never silent.
    if_absent: str = ""

    def describe_expected(self) -> str:
        """What a valid value looks like, in words, for error messages."""
        if self.kind is Kind.YESNO:
            return "yes or no (y/n, true/false, 1/0)"
        if self.kind is Kind.CHOICE and self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is Kind.LIST:
            what = {"need": "need codes", "phase": "phases", "zone": "zone ids",
                    "stream": "capital streams"}.get(self.refers_to or "", "values")
            return f"a list of {what} separated by ';', or 'all'"
        if self.kind in (Kind.NUMBER, Kind.INTEGER):
            noun = "a whole number" if self.kind is Kind.INTEGER else "a number"
            bounds = []
            if self.above is not None:
                bounds.append(f"> {_fmt(self.above)}")
            if self.minimum is not None:
                bounds.append(f">= {_fmt(self.minimum)}")
            if self.maximum is not None:
                bounds.append(f"<= {_fmt(self.maximum)}")
            return noun + (" " + " and ".join(bounds) if bounds else "")
        return "text"


def _fmt(x: float) -> str:
    """1400000 as such, not 1.4e+06: a planner types the number."""
    return f"{x:.0f}" if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook: a table with headers in row 1."""

    name: str
    purpose: str
    columns: tuple[Column, ...]
    required: bool = False
    key: tuple[str, ...] = ()  # columns whose combination must be unique
    fill_order: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    record: str = "record"  # what one row holds, in messages: "a zone", "a provider"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _location_columns(what: str) -> tuple[Column, ...]:
    return (
        Column("latitude", Kind.NUMBER, f"Latitude of the {what} (WGS84 degrees)", "degrees",
               minimum=-90, maximum=90, width=11),
        Column("longitude", Kind.NUMBER, f"Longitude of the {what} (WGS84 degrees)", "degrees",
               minimum=-180, maximum=180, width=11),
        Column("easting", Kind.NUMBER, f"Easting of the {what}, British National Grid, if not "
               "given as latitude/longitude", "m", minimum=0, maximum=800000, width=11),
        Column("northing", Kind.NUMBER, f"Northing of the {what}, British National Grid, if not "
               "given as latitude/longitude", "m", minimum=0, maximum=1400000, width=11),
    )


def _provider_like_columns(new_site: bool) -> tuple[Column, ...]:
    """The columns that describe a provider; for a new-site option they are its own."""
    required = not new_site
    return (
        Column("type", Kind.CHOICE, "Provider type: mainstream, resourced (resourced provision "
               "or SEN unit in a mainstream school), special (state special school), inmss "
               "(independent or non-maintained special school), college, ap (alternative "
               "provision)", choices=PROVIDER_TYPES, required=required, refers_to="provider_type",
               width=12),
        Column("in_area", Kind.YESNO, "yes if inside the planning authority's area; no for an "
               "out-of-area placement", default=True, width=9),
        *_location_columns("provider" if required else "new site"),
        Column("needs", Kind.LIST, "Needs it can meet, separated by ';', or all",
               default="all", refers_to="need", width=16,
               if_absent="" if new_site else "every provider is taken to meet every need"),
        Column("phases", Kind.LIST, "Phases it takes, separated by ';', or all",
               default="all", refers_to="phase", width=22,
               if_absent="" if new_site else "every provider is taken to take every phase"),
        Column("annual_cost_per_place", Kind.NUMBER, "Cost of one pupil for one year: place "
               "funding plus top-up, or the independent school's fee", "£/pupil/year",
               minimum=0, required=required, width=14),
        Column("residential", Kind.YESNO, "yes for residential placements: no daily journey "
               "limit, fewer trips a year", default=False, width=11),
        Column("max_travel_minutes", Kind.NUMBER, "One-way journey limit for journeys to this "
               "provider; blank = the phase's limit", "minutes", above=0, width=12),
    )


def _window_columns(verb: str, ramps: str) -> tuple[Column, ...]:
    """When an option may open (a measure start), and how it ramps up."""
    return (
        Column("earliest_year", Kind.INTEGER, f"First year it could {verb}; blank = "
               "first_year", "year"),
        Column("latest_year", Kind.INTEGER, f"Last year it could {verb}; blank = the last "
               "planning year", "year"),
        Column("ramp_years", Kind.INTEGER, f"{ramps} evenly over this many years", "years",
               default=1, minimum=1),
    )


def _commitment_columns(required: str, general: str) -> tuple[Column, ...]:
    """Whether an option (a measure) is committed or available, and what pays for it."""
    return (
        Column("required", Kind.YESNO, f"yes if it {required}", default=False, width=10),
        Column("enabled", Kind.YESNO, "no if it is not available (a scenario may switch "
               "it off with this)", default=True, width=10),
        Column("funding", Kind.LIST, "Capital streams that may pay for it, separated by "
               f"';': capital {general}".rstrip() + " and ring-fenced streams capital:NAME "
               "of the Budget sheet, or all", default="capital", refers_to="stream",
               width=22),
    )


PARAMETERS: tuple[Column, ...] = (
    Column("first_year", Kind.INTEGER, "First planning year (an academic year is named by the "
           "calendar year it starts in: 2026 = 2026/27)", "year", required=True,
           minimum=1990, maximum=2200),
    Column("horizon_years", Kind.INTEGER, "Number of planning years", "years", default=10,
           minimum=1, maximum=40),
    Column("home_la", Kind.TEXT, "Name or code of the planning authority (shown in reports)",
           default=""),
    Column("discount_rate", Kind.NUMBER, "Real annual discount rate (HM Treasury Green Book: "
           "3.5%)", "fraction", default=0.035, minimum=0, maximum=1),
    Column("capital_treatment", Kind.CHOICE, "How capital enters the objective: annuity "
           "(spread over the asset life) or upfront (in the opening year)",
           default="annuity", choices=("annuity", "upfront")),
    Column("asset_life_years", Kind.INTEGER, "Asset life for the capital annuity", "years",
           default=40, minimum=1),
    Column("optimism_bias", Kind.NUMBER, "Green Book uplift on capital costs (0.24 = +24%, "
           "standard buildings)", "fraction", default=0.0, minimum=0),
    Column("max_travel_minutes_early_years", Kind.NUMBER, "One-way journey limit, early years",
           "minutes", default=45.0, above=0),
    Column("max_travel_minutes_primary", Kind.NUMBER, "One-way journey limit, primary",
           "minutes", default=45.0, above=0),
    Column("max_travel_minutes_secondary", Kind.NUMBER, "One-way journey limit, secondary",
           "minutes", default=75.0, above=0),
    Column("max_travel_minutes_post16", Kind.NUMBER, "One-way journey limit, post-16",
           "minutes", default=75.0, above=0),
    Column("max_travel_minutes_post19", Kind.NUMBER, "One-way journey limit, post-19",
           "minutes", default=90.0, above=0),
    Column("road_circuity", Kind.NUMBER, "Road distance = straight-line distance x this",
           "ratio", default=1.3, minimum=1),
    Column("road_speed_kmh", Kind.NUMBER, "Average door-to-door speed", "km/h", default=30.0,
           above=0),
    Column("transport_base_cost", Kind.NUMBER, "Fixed part of the transport cost of a "
           "transported pupil", "£/pupil/year", default=1500.0, minimum=0),
    Column("transport_cost_per_km", Kind.NUMBER, "Cost per km of one-way road distance per "
           "journey", "£/pupil/km", default=1.5, minimum=0),
    Column("school_days", Kind.INTEGER, "Days with two journeys for a day placement", "days",
           default=190, minimum=0, maximum=366),
    Column("residential_trips_per_year", Kind.INTEGER, "Return trips a year for a residential "
           "placement", "trips", default=38, minimum=0, maximum=366),
    Column("value_of_travel_minute", Kind.NUMBER, "Optional weight on one-way journey minutes "
           "in the objective", "£/pupil/minute/year", default=0.0, minimum=0),
    Column("unmet_penalty", Kind.NUMBER, "Cost of leaving a pupil without a place",
           "£/pupil/year", default=1_000_000.0, minimum=0),
    Column("budget_limit", Kind.CHOICE, "How the revenue budget binds: soft (overspend "
           "allowed and reported), hard (never exceeded), off", default="soft",
           choices=("soft", "hard", "off")),
    Column("overspend_weight", Kind.NUMBER, "Extra weight per £ of overspend in soft mode",
           "£/£", default=0.0, minimum=0),
    Column("budget_covers", Kind.CHOICE, "What the revenue budget pays for",
           default="placements", choices=("placements", "placements_and_transport")),
    Column("allow_moves", Kind.YESNO, "May pupils in current placements be moved?",
           default=False),
    Column("integer_placements", Kind.YESNO, "Whole pupils only", default=False),
    Column("mip_gap", Kind.NUMBER, "Relative MIP gap at which the solver stops", "fraction",
           default=0.001, minimum=0, maximum=1),
    Column("time_limit_seconds", Kind.NUMBER, "Solver time limit", "seconds", default=600.0,
           above=0),
    Column("threads", Kind.INTEGER, "Solver threads (0 = solver default)", default=0,
           minimum=0),
)
PARAMETER_BY_NAME: dict[str, Column] = {p.name: p for p in PARAMETERS}

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "Parameters",
        "Planning horizon, money, journeys, budget rules and solver settings. One row per "
        "parameter; every parameter is listed with its default.",
        (
            Column("parameter", Kind.TEXT, "Parameter name (see the list)", required=True,
                   width=32),
            Column("value", Kind.TEXT, "Its value; blank = the default", width=16),
            Column("description", Kind.TEXT, "What it means (not read)", width=70),
        ),
        required=True, key=("parameter",), fill_order=1,
    ),
    Sheet(
        "Needs",
        "The need codes you use. Pre-filled with the school census primary need types.",
        (
            Column("need", Kind.TEXT, "Need code, e.g. ASD", required=True, width=10),
            Column("name", Kind.TEXT, "Its name", width=50),
        ),
        key=("need",), fill_order=2,
    ),
    Sheet(
        "Zones",
        "Home zones where pupils live (e.g. MSOAs or wards), each with a location.",
        (
            Column("zone_id", Kind.TEXT, "Unique zone code", required=True, width=12),
            Column("name", Kind.TEXT, "Zone name", width=24),
            *_location_columns("zone's centre (population-weighted if you can)"),
        ),
        required=True, record="zone", key=("zone_id",), fill_order=3,
    ),
    Sheet(
        "Demand",
        "Pupils with an EHC plan needing a place, by home zone, need, phase and provision "
        "level, one column per planning year (wide form), or columns year and pupils (long "
        "form). Includes pupils already placed.",
        (
            Column("zone_id", Kind.TEXT, "Home zone (from Zones)", required=True,
                   refers_to="zone", width=12),
            Column("need", Kind.TEXT, "Need code (from Needs)", required=True,
                   refers_to="need", width=10),
            Column("phase", Kind.CHOICE, "Phase", required=True, choices=PHASES,
                   refers_to="phase", width=13),
            Column("provision", Kind.TEXT, "Provision level needed (from Suitability): any, "
                   "mainstream, resourced, special", default="any", refers_to="provision",
                   width=12),
            Column("year", Kind.INTEGER, "Long form only: the year", "year"),
            Column("pupils", Kind.NUMBER, "Long form only: pupils needing a place", "pupils",
                   minimum=0),
        ),
        required=True, record="row of demand", key=("zone_id", "need", "phase", "provision"),
        fill_order=4,
        notes=("Year columns (2026, 2027, ...) hold pupils, a number >= 0.",),
    ),
    Sheet(
        "Suitability",
        "Which provider types can meet each provision level. Pre-filled with the defaults.",
        (
            Column("provision", Kind.TEXT, "Provision level", required=True, width=14),
            Column("types", Kind.LIST, "Provider types that can meet it, separated by ';', "
                   "or all", required=True, refers_to="provider_type", width=40),
        ),
        key=("provision",), fill_order=5,
    ),
    Sheet(
        "Providers",
        "Every school, unit or college where pupils can be placed, in and out of area.",
        (
            Column("provider_id", Kind.TEXT, "Unique provider code", required=True, width=14),
            Column("name", Kind.TEXT, "Provider name", width=30),
            *_provider_like_columns(new_site=False),
            Column("capacity", Kind.NUMBER, "Total places, all needs and phases together; "
                   "blank = unlimited", "places", minimum=0, width=10,
                   if_absent="every provider has unlimited places (a blank capacity means "
                   "unlimited)"),
            Column("la", Kind.TEXT, "Local authority (information only)", width=12),
            Column("urn", Kind.TEXT, "Unique reference number (information only)", width=10),
        ),
        required=True, record="provider", key=("provider_id",), fill_order=6,
    ),
    Sheet(
        "CapacityLimits",
        "Extra limits: pupils of a need and phase at a provider at most this many places.",
        (
            Column("provider_id", Kind.TEXT, "Provider (from Providers)", required=True,
                   refers_to="provider", width=14),
            Column("need", Kind.TEXT, "Need; blank = all", refers_to="need", width=10),
            Column("phase", Kind.CHOICE, "Phase; blank = all", choices=PHASES,
                   refers_to="phase", width=13),
            Column("places", Kind.NUMBER, "Most pupils of that need and phase", "places",
                   required=True, minimum=0),
        ),
        fill_order=7,
    ),
    Sheet(
        "Expansions",
        "Capacity options the model may build once, opening in a year of its choice: "
        "expansions of existing providers, or new sites (fill the provider columns).",
        (
            Column("option_id", Kind.TEXT, "Unique option code, distinct from every "
                   "provider_id", required=True, width=14),
            Column("name", Kind.TEXT, "Option name", width=30),
            Column("provider_id", Kind.TEXT, "Existing provider to expand; blank = a new site",
                   refers_to="provider", width=14),
            Column("places", Kind.NUMBER, "Places added when fully open", "places",
                   required=True, above=0),
            Column("capital_cost", Kind.NUMBER, "Capital cost (before optimism bias)", "£",
                   required=True, minimum=0, width=14),
            *_window_columns("open", "Places open"),
            Column("group", Kind.TEXT, "At most one option of each group is built "
                   "(alternative sizes or sites)"),
            *_commitment_columns("must be built (a committed project)",
                                 "(the general pot)"),
            *_provider_like_columns(new_site=True),
        ),
        key=("option_id",), fill_order=8,
    ),
    Sheet(
        "Inclusion",
        "Inclusion measures (outreach, inclusion bases) that meet specialist demand in "
        "mainstream.",
        (
            Column("measure_id", Kind.TEXT, "Unique measure code, distinct from every "
                   "provider_id and option_id", required=True, width=14),
            Column("name", Kind.TEXT, "Measure name", width=30),
            Column("needs", Kind.LIST, "Needs whose demand it serves, separated by ';', or "
                   "all", default="all", refers_to="need", width=14),
            Column("phases", Kind.LIST, "Phases whose demand it serves, separated by ';', "
                   "or all", default="all", refers_to="phase", width=18),
            Column("zones", Kind.LIST, "Home zones it reaches (a locality's schools), "
                   "separated by ';', or all", default="all", refers_to="zone", width=18),
            Column("from_provision", Kind.TEXT, "Provision level of the demand it diverts "
                   "(from Suitability)", default="special", refers_to="provision",
                   width=14),
            Column("to_provision", Kind.TEXT, "Provision level the diverted pupils need "
                   "instead (from Suitability)", default="mainstream",
                   refers_to="provision", width=14),
            Column("share", Kind.NUMBER, "Most of the matching new demand (pupils not "
                   "already placed) it diverts in a year at full effect", "fraction",
                   required=True, minimum=0, maximum=1, width=9),
            Column("share_low", Kind.NUMBER, "Low end of the evidence range for share "
                   "(demand samples draw from it); blank = share", "fraction", minimum=0,
                   maximum=1, width=10),
            Column("share_high", Kind.NUMBER, "High end of the evidence range for share; "
                   "blank = share", "fraction", minimum=0, maximum=1, width=10),
            Column("annual_cost", Kind.NUMBER, "Running cost in every year from its start "
                   "(staff, commissioning)", "£/year", default=0.0, minimum=0, width=12),
            Column("cost_per_pupil", Kind.NUMBER, "Support for each diverted pupil, on top "
                   "of the mainstream place", "£/pupil/year", default=0.0, minimum=0,
                   width=12),
            Column("capital_cost", Kind.NUMBER, "Capital cost at the start (before optimism "
                   "bias), paid and charged as an option's", "£", default=0.0, minimum=0,
                   width=12),
            *_window_columns("start", "Its effect reaches share"),
            *_commitment_columns("must be funded (a committed measure)", ""),
        ),
        key=("measure_id",), record="measure", fill_order=9,
        notes=("A measure reaches no one already placed: it diverts only new demand, a "
               "group's demand less its current placements still in place.",),
    ),
    Sheet(
        "CurrentPlacements",
        "Pupils already placed at the start of the plan; they stay while in their phase "
        "unless allow_moves is yes.",
        (
            Column("zone_id", Kind.TEXT, "Home zone", required=True, refers_to="zone"),
            Column("need", Kind.TEXT, "Need", required=True, refers_to="need", width=10),
            Column("phase", Kind.CHOICE, "Phase", required=True, choices=PHASES,
                   refers_to="phase", width=13),
            Column("provision", Kind.TEXT, "Provision level", default="any",
                   refers_to="provision", width=12),
            Column("provider_id", Kind.TEXT, "Where they are placed", required=True,
                   refers_to="provider"),
            Column("pupils", Kind.NUMBER, "Pupils placed", "pupils", required=True, minimum=0),
            Column("years_remaining", Kind.INTEGER, "Years they stay; blank = run off evenly "
                   "over the phase", "years", minimum=0),
        ),
        fill_order=10,
    ),
    Sheet(
        "TravelMatrix",
        "Optional journey overrides for zone-provider pairs; pairs not listed are computed "
        "from locations.",
        (
            Column("zone_id", Kind.TEXT, "Home zone", required=True, refers_to="zone"),
            Column("provider_id", Kind.TEXT, "Provider, or option_id of a new site",
                   required=True, refers_to="provider"),
            Column("minutes", Kind.NUMBER, "One-way journey minutes", "minutes", minimum=0),
            Column("distance_km", Kind.NUMBER, "One-way road distance", "km", minimum=0),
            Column("annual_transport_cost", Kind.NUMBER, "Replaces the transport cost "
                   "formula", "£/pupil/year", minimum=0, width=14),
        ),
        key=("zone_id", "provider_id"), fill_order=11,
    ),
    Sheet(
        "Budget",
        "Revenue budget by year and stream (the pooled budget), and capital money: stream "
        "capital (the general pot, for any option) and ring-fenced streams capital:NAME "
        "(e.g. capital:free_school, capital:s106) for the options whose funding names "
        "them. Unspent capital carries forward, stream by stream.",
        (
            Column("year", Kind.INTEGER, "Year", "year", required=True),
            Column("stream", Kind.TEXT, "Budget stream, e.g. high_needs_block, health, "
                   "social_care (revenue), capital or capital:NAME (capital)", required=True,
                   width=22),
            Column("amount", Kind.NUMBER, "Amount", "£", required=True, minimum=0, width=14),
        ),
        key=("year", "stream"), fill_order=12,
    ),
    Sheet(
        "Boundaries",
        "Optional: the outline of each zone, for the map in the reports, which shades each "
        "zone by its demand. Not used by the model.",
        (
            Column("zone_id", Kind.TEXT, "Zone (from Zones)", required=True, refers_to="zone",
                   width=12),
            Column("geometry", Kind.TEXT, "The zone's boundary: a GeoJSON Polygon or "
                   "MultiPolygon in WGS84 longitude/latitude, e.g. from ONS's generalised "
                   "MSOA boundaries", required=True, width=60),
            Column("source", Kind.TEXT, "Where the boundary comes from and its licence "
                   "(printed on the map)", width=40),
        ),
        key=("zone_id",), fill_order=14,
        notes=("A cell holds at most 32,767 characters: use generalised boundaries.",),
    ),
    Sheet(
        "Scenarios",
        "Named variations of the inputs; each row changes a copy of one sheet. The scenario "
        "base is the inputs unchanged.",
        (
            Column("scenario", Kind.TEXT, "Scenario name", required=True),
            Column("sheet", Kind.TEXT, "Sheet to change", required=True, refers_to="sheet"),
            Column("column", Kind.TEXT, "Column to change (Parameters: the parameter name; "
                   "Demand: a year or *)", required=True),
            Column("filter", Kind.TEXT, "Rows to change: col=v1,v2; col2=v3 (blank = all)",
                   width=30),
            Column("operation", Kind.CHOICE, "set, scale or add", required=True,
                   choices=("set", "scale", "add")),
            Column("value", Kind.TEXT, "The operand", required=True),
            Column("note", Kind.TEXT, "Why (not read)", width=40),
        ),
        fill_order=13,
    ),
)
SHEET_BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}

# Columns of an expansion that describe a new site; filled means "this is a new site".
NEW_SITE_COLUMNS: tuple[str, ...] = tuple(c.name for c in _provider_like_columns(new_site=True))
NEW_SITE_REQUIRED: tuple[str, ...] = ("type", "annual_cost_per_place")


def normalise_header(text: object) -> str:
    """Header matching ignores case and surrounding spaces, and treats spaces as '_'."""
    return "_".join(str(text).strip().lower().replace("_", " ").split())
