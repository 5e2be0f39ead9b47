"""SEN2 (DfE, "Education, health and care plans"): one local authority's history.

Reads the published files (`caseload.csv` and `sen_needs_all_plans.csv` of the DfE
download) or placeopt's cut of them, installed with it (`forecast/data/sen2_caseload.csv`,
`sen2_needs_all_plans.csv`: the same rows and columns as published, fewer of them) and
gives one authority's plans by year, provision level, age and primary need as arrays.

SEN2 counts the plans in force in January; its year 2024/25 (January 2025) is year 2024
here, as in the workbook (an academic year is named by the calendar year it starts in).
Totals by setting go back to 2018/19; ages by setting start in 2023/24; needs are
published for the latest year only.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .ages import AGES

# The settings of SEN2's caseload file that make up each provision level of the workbook
# (SPEC §1, Suitability). Plans in other settings (FE, alternative provision, educated
# elsewhere, early years, placement not recorded) belong to no level.
LEVELS: tuple[str, ...] = ("mainstream", "resourced", "special")
SETTING_COLUMNS: dict[str, tuple[str, ...]] = {
    "mainstream": ("mainstream_la_maintained", "mainstream_academy", "mainstream_free_school",
                   "mainstream_independent"),
    "resourced": ("mainstream_la_maintained_resourced_provision",
                  "mainstream_la_maintained_senunit", "mainstream_academy_resourced_provision",
                  "mainstream_academy_senunit", "mainstream_free_school_resourced_provision",
                  "mainstream_free_school_senunit"),
    "special": ("special_la_maintained", "special_academy_free", "special_independent",
                "special_non_maintained"),
}
# The same settings as rows ("Type of placement") of the needs file.
PLACEMENT_ROWS: dict[str, tuple[str, ...]] = {
    "mainstream": ("Mainstream - LA maintained", "Mainstream - academy",
                   "Mainstream - free school", "Mainstream - independent"),
    "resourced": ("Mainstream - LA maintained (resourced provision)",
                  "Mainstream - LA maintained (SEN unit)",
                  "Mainstream - academy (resourced provision)", "Mainstream - academy (SEN unit)",
                  "Mainstream - free school (resourced provision)",
                  "Mainstream - free school (SEN unit)"),
    "special": ("Special - LA maintained", "Special - Academy/free schools",
                "Special - independent", "Special - non-maintained"),
}
# Primary need codes of the workbook and SEN2's columns; "need not recorded" counts as OTH.
NEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "ASD": ("number_asd",), "SEMH": ("number_semh",), "SLCN": ("number_slcn",),
    "MLD": ("number_mld",), "SLD": ("number_sld",), "PMLD": ("number_pmld",),
    "SpLD": ("number_spld",), "HI": ("number_hi",), "VI": ("number_vi",),
    "MSI": ("number_msi",), "PD": ("number_pd",), "OTH": ("number_oth", "number_need_unknown"),
}
NEEDS: tuple[str, ...] = tuple(NEED_COLUMNS)

CASELOAD_FILES = ("sen2_caseload.csv", "caseload.csv")
NEEDS_FILES = ("sen2_needs_all_plans.csv", "sen_needs_all_plans.csv")
ALL_PLANS = "All EHC plans"
BY_AGE = "Child or young persons age"


class Sen2Missing(ValueError):
    """The folder does not hold the SEN2 files."""


class UnknownAuthority(ValueError):
    """No local authority (or more than one) answers to the name or code given."""


@dataclass(frozen=True)
class Authority:
    old_code: str  # DfE's three-digit code, e.g. 358
    new_code: str  # ONS code, e.g. E08000009
    name: str

    def __str__(self) -> str:
        codes = ", ".join(c for c in (self.old_code, self.new_code) if c)
        return f"{self.name} ({codes})"


ENGLAND = Authority("", "E92000001", "England")


@dataclass(frozen=True)
class History:
    """One authority's EHC plans as SEN2 publishes them. NaN = not published."""

    authority: Authority
    years: tuple[int, ...]  # years with a total
    plans: np.ndarray  # (years,) all plans
    by_level: np.ndarray  # (years, LEVELS)
    not_recorded: np.ndarray  # (years,) plans whose placement SEN2 does not record
    age_years: tuple[int, ...]  # years whose plans by age are published
    by_age: np.ndarray  # (age_years, AGES) all plans
    by_age_level: np.ndarray  # (age_years, AGES, LEVELS)
    need_year: int | None = None  # the year of the need tables (None: not used)
    need_all: np.ndarray | None = None  # (NEEDS,) all plans
    need_by_age: np.ndarray | None = None  # (NEEDS, AGES) all plans
    need_by_level: np.ndarray | None = None  # (LEVELS, NEEDS)

    @property
    def last_year(self) -> int:
        return self.years[-1]

    def until(self, last_year: int) -> History:
        """The history as it stood with `last_year` the latest year (for backtests)."""
        keep = [i for i, y in enumerate(self.years) if y <= last_year]
        keep_ages = [i for i, y in enumerate(self.age_years) if y <= last_year]
        needs_known = self.need_year is not None and self.need_year <= last_year
        return replace(
            self, years=tuple(self.years[i] for i in keep), plans=self.plans[keep],
            by_level=self.by_level[keep], not_recorded=self.not_recorded[keep],
            age_years=tuple(self.age_years[i] for i in keep_ages),
            by_age=self.by_age[keep_ages], by_age_level=self.by_age_level[keep_ages],
            need_year=self.need_year if needs_known else None,
            need_all=self.need_all if needs_known else None,
            need_by_age=self.need_by_age if needs_known else None,
            need_by_level=self.need_by_level if needs_known else None)


def _numbers(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """SEN2 marks 'x' (unavailable) and 'z' (not applicable): both become NaN."""
    return frame[columns].apply(pd.to_numeric, errors="coerce")


def _as_numbers(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`frame` with `columns` as numbers (read once, not once per authority)."""
    present = [c for c in columns if c in frame.columns]
    return frame.assign(**_numbers(frame, present))


def _year(period: pd.Series) -> pd.Series:
    return period.str[:4].astype(int)


def age_of(breakdown: str) -> int:
    text = breakdown.strip().lower()
    return AGES[0] if text == "under 3" else int(text.removeprefix("age "))


def _level_sums(values: pd.DataFrame) -> np.ndarray:
    """(rows, LEVELS): plans in each level; NaN where any of its settings is unpublished."""
    numbers = values.to_numpy(float)
    at = {level: values.columns.get_indexer(list(SETTING_COLUMNS[level])) for level in LEVELS}
    # a plain sum is NaN where any setting is NaN, as wanted
    return np.column_stack([numbers[:, at[level]].sum(axis=1) for level in LEVELS])


def _need_sums(values: pd.DataFrame) -> np.ndarray:
    """(rows, NEEDS) plans by primary need."""
    return np.column_stack([values[list(columns)].sum(axis=1, min_count=1).to_numpy(float)
                            for columns in NEED_COLUMNS.values()])


def _find_file(folder: Path, names: tuple[str, ...]) -> Path:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise Sen2Missing(f"{folder} holds neither {' nor '.join(names)}: give the folder of the "
                      "DfE SEN2 download")


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


class Sen2:
    """The SEN2 tables of every authority and England, read once."""

    # placeopt's cut of SEN2, installed with it (inputs/README.md says how it is made):
    # a forecast needs no download, and no clone of the repository
    PACKAGED = Path(__file__).resolve().parent / "data"

    def __init__(self, caseload: pd.DataFrame, needs: pd.DataFrame, source: Path):
        self.caseload, self.needs, self.source = caseload, needs, source
        self._groups: dict[int, dict[str, np.ndarray]] = {}
        latest = caseload["time_period"].max()
        current = caseload[(caseload["geographic_level"] == "Local authority")
                           & (caseload["time_period"] == latest)
                           & (caseload["breakdown_topic"] == ALL_PLANS)]
        self._current = {r.old_la_code: Authority(r.old_la_code, r.new_la_code, r.la_name)
                         for r in current[["old_la_code", "new_la_code", "la_name"]]
                         .drop_duplicates().itertuples()}

    @classmethod
    def read(cls, folder: str | Path) -> Sen2:
        folder = Path(folder)
        if not folder.is_dir():
            raise Sen2Missing(f"{folder} is not a folder")
        caseload_file = _find_file(folder, CASELOAD_FILES)
        needs_file = _find_file(folder, NEEDS_FILES)
        try:
            caseload = pd.read_csv(caseload_file, dtype=str, encoding="utf-8-sig")
            needs = pd.read_csv(needs_file, dtype=str, encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise Sen2Missing(f"{folder}: a SEN2 file could not be read ({exc})") from None
        wanted = {"time_period", "geographic_level", "old_la_code", "new_la_code", "la_name",
                  "breakdown_topic", "breakdown", "ehcplans", "placement_unknown",
                  *(c for cs in SETTING_COLUMNS.values() for c in cs)}
        missing = sorted(wanted - set(caseload.columns))
        if missing:
            raise Sen2Missing(f"{caseload_file} lacks the columns {', '.join(missing)}")
        keep = caseload["breakdown_topic"].isin((ALL_PLANS, BY_AGE)) & caseload[
            "geographic_level"].isin(("Local authority", "National"))
        numbers = ["ehcplans", "placement_unknown",
                   *(c for cs in SETTING_COLUMNS.values() for c in cs)]
        need_numbers = [c for cs in NEED_COLUMNS.values() for c in cs]
        return cls(_as_numbers(caseload[keep].reset_index(drop=True), numbers),
                   _as_numbers(needs[needs["geographic_level"].isin(
                       ("Local authority", "National"))].reset_index(drop=True), need_numbers),
                   folder)

    def authorities(self) -> list[Authority]:
        """Every authority in the latest year, by name."""
        return sorted(self._current.values(), key=lambda a: a.name)

    def find(self, text: str) -> Authority:
        """An authority by DfE code (358), ONS code (E08000009), name (any case) or a part
        of a name that only one authority's name has ('Herefordshire')."""
        found = self._exact(text)
        if found is not None:
            return found
        by_name = {_normal(a.name): a for a in self._current.values()}
        wanted = _normal(text)
        partial = [a for name, a in sorted(by_name.items())
                   if wanted and re.search(rf"\b{re.escape(wanted)}", name)]
        if len(partial) == 1:
            return partial[0]
        if partial:
            raise UnknownAuthority(f"{text!r} is part of the names of {len(partial)} local "
                                   f"authorities: {'; '.join(map(str, partial))}. Give more of "
                                   "the name, or a code.")
        close = difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=0.6)
        hint = (" Did you mean " + " or ".join(str(by_name[c]) for c in close) + "?") if close \
            else ""
        raise UnknownAuthority(f"no local authority {text!r} in SEN2 ({self.source}); give a "
                               f"name, a DfE code such as 358 or an ONS code such as "
                               f"E08000009.{hint}")

    def exactly(self, text: str, authority: Authority) -> bool:
        """Whether `text` is the authority's code or whole name (not a part of it)."""
        return self._exact(text) == authority

    def _exact(self, text: str) -> Authority | None:
        wanted = text.strip()
        if wanted in self._current:
            return self._current[wanted]
        by_new = {a.new_code.lower(): a for a in self._current.values()}
        if wanted.lower() in by_new:
            return by_new[wanted.lower()]
        codes = self.caseload[["old_la_code", "new_la_code"]].dropna().drop_duplicates()
        old = codes[codes["new_la_code"].str.lower() == wanted.lower()]["old_la_code"]
        if len(old) and old.iloc[0] in self._current:  # a code the authority used before
            return self._current[old.iloc[0]]
        by_name = {_normal(a.name): a for a in self._current.values()}
        return by_name.get(_normal(wanted))

    def history(self, authority: Authority, needs: bool = True) -> History:
        """The authority's history; without its need tables if `needs` is False (the
        backtests do not split by need)."""
        key = "" if authority == ENGLAND else authority.old_code
        return self._history(authority, self.caseload.iloc[self._rows(self.caseload, key)],
                             self.needs.iloc[self._rows(self.needs, key)], needs)

    def _rows(self, frame: pd.DataFrame, key: str) -> np.ndarray:
        """Positions of an authority's rows (key "" for England's), grouped once."""
        if id(frame) not in self._groups:
            keys = np.where(frame["geographic_level"] == "National", "",
                            frame["old_la_code"].fillna(""))
            self._groups[id(frame)] = pd.Series(keys).groupby(keys).indices
        return self._groups[id(frame)].get(key, np.zeros(0, dtype=int))

    def england(self) -> History:
        return self.history(ENGLAND)

    def _history(self, authority: Authority, frame: pd.DataFrame, need_frame: pd.DataFrame,
                 needs: bool) -> History:
        totals = frame[frame["breakdown_topic"] == ALL_PLANS].copy()
        totals["year"] = _year(totals["time_period"])
        totals = totals.sort_values("year")
        columns = ["ehcplans", *(c for cs in SETTING_COLUMNS.values() for c in cs)]
        values = totals[columns].astype(float)  # numbers since `read`
        ages = frame[frame["breakdown_topic"] == BY_AGE]
        age_years = _year(ages["time_period"]).to_numpy()
        age_of_row = ages["breakdown"].map(age_of).to_numpy()
        age_values = ages[columns].astype(float)
        plans = age_values["ehcplans"].to_numpy(float)
        published = sorted(int(y) for y in np.unique(age_years)
                           if np.nansum(plans[age_years == y]) > 0)
        by_age = np.zeros((len(published), len(AGES)))
        by_age_level = np.zeros((len(published), len(AGES), len(LEVELS)))
        levels = _level_sums(age_values)
        for i, year in enumerate(published):
            for j, age in enumerate(AGES):
                at = np.flatnonzero((age_years == year) & (age_of_row == age))
                by_age[i, j] = plans[at].sum()
                by_age_level[i, j] = levels[at].sum(axis=0)  # NaN stays NaN
        return History(authority, tuple(int(y) for y in totals["year"]),
                       values["ehcplans"].to_numpy(float), _level_sums(values),
                       totals["placement_unknown"].to_numpy(float),
                       tuple(int(y) for y in published), by_age, by_age_level,
                       **(self._needs(need_frame) if needs else {}))

    def _needs(self, frame: pd.DataFrame) -> dict[str, object]:
        if frame.empty:
            return {}
        latest = frame["time_period"].max()
        frame = frame[frame["time_period"] == latest]
        columns = [c for cs in NEED_COLUMNS.values() for c in cs]
        by_age = frame[frame["breakdown_topic"] == BY_AGE]
        need_by_age = np.zeros((len(NEEDS), len(AGES)))
        sums = _need_sums(by_age[columns].astype(float))
        for k, breakdown in enumerate(by_age["breakdown"]):
            need_by_age[:, AGES.index(age_of(breakdown))] += np.nan_to_num(sums[k])
        placements = frame[frame["breakdown_topic"] == "Type of placement"]
        place_sums = _need_sums(placements[columns].astype(float))
        need_by_level = np.array([
            np.nansum(place_sums[placements["breakdown"].isin(PLACEMENT_ROWS[level])
                                 .to_numpy()], axis=0) for level in LEVELS])
        all_plans = _need_sums(frame.loc[frame["breakdown_topic"] == ALL_PLANS, columns]
                               .astype(float))
        return {"need_year": int(latest[:4]),
                "need_all": np.nan_to_num(all_plans.sum(axis=0)),
                "need_by_age": need_by_age, "need_by_level": need_by_level}
