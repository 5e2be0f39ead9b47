"""A capital programme already chosen, evaluated under another scenario or demand future.

`placeopt batch --fix-programme RESULT_DIR` asks "does our programme still pay if demand
grows faster?". The programme is the build decisions of an earlier result folder
(`expansions.csv`: which options are built, and when). Each scenario is then solved
twice: once free (its own optimum) and once with the programme fixed. The programme is
fixed in the inputs, not the solver: an option it builds in year Y becomes required with
earliest = latest = Y, and every other option is switched off.

A required option is part of the baseline (SPEC §2: the do-minimum builds the required
options), so the fixed solve's own baseline is the programme itself. Its results are
therefore set against the scenario's real do-minimum, the baseline of the free solve,
and the savings computed again (`rebase`). Regret is what committing to the programme
costs in this future: the optimum's NPV minus the programme's (docs/batch.md).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model.instance import Instance
from ..model.results import Results, savings, savings_json
from ..problems import InputError, Problem, Problems
from ..workbook.inputs import Inputs


@dataclass(frozen=True)
class Programme:
    """Build decisions: each option of the source folder with its opening year (None: not
    built)."""

    source: Path
    builds: tuple[tuple[str, int | None], ...]
    workbook_sha256: str | None = None
    scenario: str | None = None

    @property
    def built(self) -> dict[str, int]:
        return {option: year for option, year in self.builds if year is not None}

    @property
    def digest(self) -> str:
        """Identifies the decisions (not the folder's path): a resumed batch re-solves only
        if they changed."""
        return hashlib.sha256(json.dumps(self.builds).encode()).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        return {"source": str(self.source), "source_scenario": self.scenario,
                "source_workbook_sha256": self.workbook_sha256, "digest": self.digest,
                "built": self.built}

    def __call__(self, inputs: Inputs) -> None:
        """Fix the programme in a scenario's inputs (as `build_case(adjust=...)`)."""
        problems = Problems()
        where = str(self.source / "expansions.csv")
        table = inputs.tables.get("Expansions")
        known = set() if table is None else set(table["option_id"])
        unknown = sorted(set(self.built) - known)
        if unknown:
            problems.error(where, "the programme builds option(s) the workbook does not "
                           f"have: {', '.join(unknown)}")
        years = inputs.years
        for option, year in self.built.items():
            if option in known and not years[0] <= year <= years[-1]:
                problems.error(where, f"the programme opens {option} in {year}, outside "
                               f"scenario {inputs.scenario}'s years {years[0]}-{years[-1]}")
        if table is not None and not problems.errors:
            self._fix(inputs, table, where, problems)
        problems.raise_if_errors()
        inputs.warnings.extend(problems.warnings)

    def _fix(self, inputs: Inputs, table: pd.DataFrame, where: str,
             problems: Problems) -> None:
        built = self.built
        listed = {option for option, _ in self.builds}
        if self.workbook_sha256 and self.workbook_sha256 != inputs.source.sha256:
            problems.warn(where, "the programme comes from a run of another workbook (or "
                          "another version of it); its options are matched by option_id")
        for option in table["option_id"]:
            if option not in listed:
                problems.warn(where, f"option {option} is not in the programme; it is not "
                              "built")
        enabled = table["enabled"].astype(bool)
        off = sorted(set(built) & set(table.loc[~enabled, "option_id"]))
        if off:
            problems.error(where, f"scenario {inputs.scenario} switches off option(s) "
                           f"{', '.join(off)}, which the programme builds")
        required = table["required"].astype(bool) & enabled
        dropped = sorted(set(table.loc[required, "option_id"]) - set(built))
        if dropped:
            problems.error(where, f"scenario {inputs.scenario} requires option(s) "
                           f"{', '.join(dropped)}, which the programme does not build")
        groups: dict[str, str] = {}
        for option, group in zip(table["option_id"], table["group"], strict=True):
            if option in built and isinstance(group, str) and group.strip():
                if group in groups:
                    problems.error(where, f"the programme builds {groups[group]} and "
                                   f"{option}, both of group {group}; at most one may be built")
                groups[group] = option
        is_built = table["option_id"].isin(list(built))
        opening = table["option_id"].map(built)
        table["required"] = is_built.to_numpy()
        table["enabled"] = is_built.to_numpy()
        table["earliest_year"] = opening.where(is_built, table["earliest_year"]).astype(float)
        table["latest_year"] = opening.where(is_built, table["latest_year"]).astype(float)


def read_programme(folder: str | Path) -> Programme:
    """The build decisions of a result folder; InputError naming the file if it is not one."""
    folder = Path(folder)
    path = folder / "expansions.csv"
    if not path.is_file():
        raise InputError([Problem("error", str(folder), "expansions.csv is missing: give the "
                                  "result folder of a run (placeopt run or batch)")])
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"option_id", "built", "open_year"} - set(table.columns)
    if missing:
        raise InputError([Problem("error", str(path), "expected the columns option_id, "
                                  f"built and open_year; missing {', '.join(sorted(missing))}")])
    problems = Problems()
    builds: list[tuple[str, int | None]] = []
    for number, (option, built, year) in enumerate(
            zip(table["option_id"], table["built"], table["open_year"], strict=True), start=2):
        if built not in ("yes", "no"):
            problems.error(f"{path} row {number}", f"built is {built!r}; expected yes or no")
        elif built == "yes" and not year.strip().isdigit():
            problems.error(f"{path} row {number}", f"option {option} is built but open_year "
                           f"is {year!r}; expected a year")
        else:
            builds.append((option, int(year) if built == "yes" else None))
    problems.raise_if_errors()
    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) \
        if summary_path.is_file() else {}
    return Programme(source=folder, builds=tuple(builds),
                     workbook_sha256=summary.get("provenance", {}).get("workbook_sha256"),
                     scenario=summary.get("scenario"))


def rebase(evaluated: Results, optimum: Results, instance: Instance) -> Results:
    """The fixed programme's results against the scenario's do-minimum: the optimum run's
    baseline (same scenario, the workbook's own required options only)."""
    summary = copy.deepcopy(evaluated.summary)
    reference = optimum.summary
    summary["baseline"] = copy.deepcopy(reference["baseline"])
    for key in ("baseline_objective", "baseline_mip_gap"):
        if key in reference:
            summary[key] = reference[key]
    if summary.get("status") == "optimal" and reference.get("status") != "optimal":
        summary["status"] = reference.get("status")
    plan = {k: np.asarray(v, dtype=float) for k, v in summary["plan"].items()}
    baseline = {k: np.asarray(v, dtype=float) for k, v in summary["baseline"].items()}
    saved = savings_json(savings(instance, plan, baseline))
    summary["savings"] = saved
    costs = pd.concat([evaluated.costs[evaluated.costs["case"] != "baseline"],
                       optimum.costs[optimum.costs["case"] == "baseline"]],
                      ignore_index=True).sort_values(["year", "case"], kind="stable",
                                                     ignore_index=True)
    return dataclasses.replace(evaluated, summary=summary, costs=costs,
                               baseline_placements=optimum.baseline_placements)


def regret(programme: dict[str, Any], optimum: dict[str, Any]) -> dict[str, Any]:
    """What committing to the programme costs in this future, from the two summaries: in
    NPV (optimum's minus programme's) and in the model's objective (programme's minus
    optimum's, discounted £, unmet-pupil penalties included)."""
    npv, best = programme["savings"]["npv"], optimum["savings"]["npv"]
    return {"regret": round(best - npv, 2),
            "objective_regret": round(programme["objective"] - optimum["objective"], 2),
            "optimum_npv": best, "optimum_objective": optimum["objective"],
            "optimum_status": optimum.get("status")}

