"""Cut the public source files down to what placeopt needs.

Run once, from the repository root, with the folder that holds the downloaded public
files (the layout of the DfE, ONS and Trafford Data Lab downloads described in
inputs/README.md):

    python inputs/extract_inputs.py SOURCE_DIR

It writes the small files that `inputs/build_trafford.py` and `placeopt forecast`
read: SEN2 for every local authority and England in src/placeopt/forecast/data/
(installed with placeopt, so that a forecast needs neither the download nor a clone),
the rest, for Trafford only, in inputs/data/. Values are copied as text, never re-typed,
so the committed files hold exactly the published figures. Nothing else in the project
reads SOURCE_DIR: the build and the tests use only those two folders.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from placeopt.forecast.sen2 import NEED_COLUMNS, PLACEMENT_ROWS, SETTING_COLUMNS

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
# The SEN2 cut the forecast reads is installed with placeopt (package data).
SEN2 = HERE.parent / "src" / "placeopt" / "forecast" / "data"

TRAFFORD_OLD_CODE = "358"  # DfE (old) LA code; new code E08000009


def _filter_csv(source: Path, target: Path, keep: Callable[[dict[str, str]], bool],
                columns: Sequence[str] | None = None) -> int:
    """Copy the header and the rows that `keep` accepts (only `columns`, in the published
    order, when given); values stay as published text."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        if columns is not None:
            missing = sorted(set(columns) - set(fields))
            if missing:
                raise SystemExit(f"{source}: columns {missing} not found")
            fields = [f for f in fields if f in columns]
        rows = [{f: row[f] for f in fields} for row in reader if keep(row)]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


# SEN2 for every local authority and England: what `placeopt forecast` and the Trafford
# build read (src/placeopt/forecast/sen2.py names every column it uses).
SEN2_KEYS = ("time_period", "geographic_level", "new_la_code", "old_la_code", "la_name",
             "breakdown_topic", "breakdown")
CASELOAD_COLUMNS = (*SEN2_KEYS, "ehcplans", *SETTING_COLUMNS["mainstream"],
                    *SETTING_COLUMNS["resourced"], *SETTING_COLUMNS["special"],
                    "placement_unknown")
NEEDS_COLUMNS = (*SEN2_KEYS, "ehc_plans", *(c for cs in NEED_COLUMNS.values() for c in cs))
PLACEMENTS = {row for rows in PLACEMENT_ROWS.values() for row in rows}


def _la_or_england(row: dict[str, str]) -> bool:
    return row["geographic_level"] in ("Local authority", "National")


def _caseload_row(row: dict[str, str]) -> bool:
    """Plans by setting: every year's totals, and by age (published from 2023/24)."""
    return _la_or_england(row) and row["breakdown_topic"] in ("All EHC plans",
                                                              "Child or young persons age")


def _needs_row(row: dict[str, str]) -> bool:
    """Plans by primary need (2024/25 only): in all, by age, and in the placements that
    make up the provision levels."""
    if not _la_or_england(row):
        return False
    topic = row["breakdown_topic"]
    return topic in ("All EHC plans", "Child or young persons age") or (
        topic == "Type of placement" and row["breakdown"] in PLACEMENTS)


GROWTH_TOPICS = ("All EHC plans", "Child or young persons age")
GROWTH_COLUMNS = ("time_period", "geographic_level", "old_la_code", "la_name",
                  "breakdown_topic", "breakdown", "ehcplans")


def _growth_rows(row: dict[str, str]) -> bool:
    """Every LA's and England's plan counts, in all and by age: the demand spread of
    `placeopt batch --samples` is derived from them (inputs/sen2_growth_spread.py)."""
    return (row["geographic_level"] in ("National", "Local authority")
            and row["breakdown_topic"] in GROWTH_TOPICS)


def extract(source: Path) -> dict[str, int]:
    sen2 = source / "dfe_ehcp_sen2_2025"
    trafford = source / "trafford_example"
    ons = source / "ons_geography"
    DATA.mkdir(parents=True, exist_ok=True)
    counts = {
        "sen2_caseload.csv": _filter_csv(
            sen2 / "caseload.csv", SEN2 / "sen2_caseload.csv", _caseload_row,
            CASELOAD_COLUMNS),
        "sen2_needs_all_plans.csv": _filter_csv(
            sen2 / "sen_needs_all_plans.csv", SEN2 / "sen2_needs_all_plans.csv", _needs_row,
            NEEDS_COLUMNS),
        "sen2_caseload_growth.csv": _filter_csv(
            sen2 / "caseload.csv", DATA / "sen2_caseload_growth.csv", _growth_rows,
            GROWTH_COLUMNS),
        "sen2_residential_trafford.csv": _filter_csv(
            sen2 / "residential_settings.csv", DATA / "sen2_residential_trafford.csv",
            lambda row: row["old_la_code"] == TRAFFORD_OLD_CODE),
        "trafford_mid2024_population_msoa_syoa.csv": _filter_csv(
            trafford / "trafford_mid2024_population_msoa_syoa.csv",
            DATA / "trafford_mid2024_population_msoa_syoa.csv",
            lambda row: row["sex"] == "Persons"),
        "msoa_dec2011_pwc_trafford.csv": _filter_csv(
            ons / "MSOA_Dec2011_Population_Weighted_Centroids_EW_wgs84.csv",
            DATA / "msoa_dec2011_pwc_trafford.csv",
            lambda row: row["msoa11nm"].startswith("Trafford ")),
    }
    gias = "trafford_schools_and_colleges_gias_20240926.csv"
    shutil.copyfile(trafford / gias, DATA / gias)  # already Trafford only: copied whole
    counts[gias] = sum(1 for _ in (DATA / gias).open(encoding="utf-8")) - 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder with the downloaded public files")
    args = parser.parse_args()
    for name, rows in extract(args.source).items():
        print(f"{name}: {rows} rows")


if __name__ == "__main__":
    main()
