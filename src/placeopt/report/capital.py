"""The capital side of the business case: the programme, what each project is worth, and
which funding stream pays for what.

Project values (`expansions.csv` npv_if_dropped / npv_if_forced, with value_gap, the most
each figure may be off) are judged before they are shown: a figure no larger than its
tolerance cannot be told from zero and is not shown as a value; options are ranked only
where their values differ by more than both tolerances (ties share a rank); and options
whose re-solves swap one for another (summary.json project_values: builds_instead,
drops_too) are named as substitutes, since each one's figure is then the worth of a group
against its alternative, not of the option alone.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .appraisal import WHEN_SPENT
from .folder import ResultFolder
from .formats import Table, additional_pupils, money_words, pupils_words, saves_words, total


def optimism_bias(data: ResultFolder) -> str:
    """'with 24% optimism bias', as the capital figures of the folder carry it."""
    return f"with {float(data.options.get('optimism_bias', 0.0)):.0%} optimism bias"


def capital_programme(data: ResultFolder) -> Table:
    """The options, built first in opening order, with capital per place, the streams
    that pay for each, and the marginal value of one more place at the option's provider
    in the last year."""
    options = data.expansions.copy()
    last = data.capacity[data.capacity["year"] == data.last_year]
    marginal = dict(zip(last["provider_id"], last["marginal_value"], strict=True))
    options["per_place"] = options["capital_cost"] / options["places"].where(options["places"] > 0)
    options["marginal"] = options["provider_id"].map(marginal)
    options = options.sort_values(["built", "open_year", "option_id"],
                                  ascending=[False, True, True], na_position="last")
    value_column = f"Value of one more place here in {data.last_year} (£ a year)"
    capital_column = f"Capital cost ({optimism_bias(data)})"
    paid = paid_from(data)
    frame = pd.DataFrame({
        "Option": options["option_id"], "Name": options["name"],
        "Built": options["built"], "Opens": options["open_year"], "Places": options["places"],
        capital_column: options["capital_cost"], "Capital per place": options["per_place"],
        "Paid from": [paid.get(o, "") for o in options["option_id"]],
        value_column: options["marginal"],
    })
    built = options[options["built"] == "yes"]
    if len(built):
        places, capital = built["places"].sum(), built["capital_cost"].sum()
        row = {"Option": "Total built", "Places": places, capital_column: capital,
               "Capital per place": capital / places if places else None}
        frame = pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
    kinds = {"Option": "text", "Name": "text", "Built": "text", "Opens": "year",
             "Places": "places", "Paid from": "text"}
    return Table("Capital programme", frame, kinds,
                 source=f"expansions.csv (capital_cost includes optimism bias); funding.csv; "
                        f"the value of one more place: capacity.csv marginal_value, "
                        f"{data.last_year}")


def paid_from(data: ResultFolder) -> dict[str, str]:
    """Option -> the streams that pay for it ('capital', or each with its amount)."""
    funding = data.funding
    if funding is None or funding.empty:
        return {}
    paid = {}
    for option, rows in funding[funding["amount"] > 0.005].groupby("option_id", sort=False):
        if len(rows) == 1:
            paid[option] = str(rows["stream"].iloc[0])
        else:
            paid[option] = "; ".join(f"{s} {money_words(a)}"
                                     for s, a in zip(rows["stream"], rows["amount"], strict=True))
    return paid


def capital_note(data: ResultFolder) -> str:
    saved = data.summary["savings"]
    per_place = saved["savings_per_new_place"]
    whole = (f"Taken as a whole, the programme "
             f"{saves_words(saved['revenue_savings'][-1], 'revenue')} in {data.last_year}")
    if per_place is not None and abs(per_place) >= 0.5:
        whole += (f", {money_words(abs(per_place))} "
                  f"{'saved' if per_place > 0 else 'more'} for each new place beyond the "
                  "baseline")
    extra = additional_pupils(data)[-1]
    if extra >= 0.0005:
        whole += (f", while placing {pupils_words(extra)} more pupils that year than the "
                  "baseline can")
    return (
        f"Capital costs are {optimism_bias(data)}, as in every capital figure of these "
        "reports (the workbook's capital_cost is without it). "
        "The revenue saving is not split between options. The options work together: a "
        "new place in one school frees a place in another, which takes a pupil who would "
        "otherwise travel out of area, so the saving of one option depends on which others "
        "are built, and any split would be arbitrary. " + whole + ". The last column is "
        "sound but narrower: what one more place at that provider would save a year, with "
        "the programme as it is, valid for a small change only. What each project is worth "
        "to the programme is on the sheet Project values.")


# --- What each project is worth -------------------------------------------------------

PROJECT_VALUE_COLUMNS = ("npv_if_dropped", "npv_if_forced", "value_gap", "entry_capital_cost")
WITHIN = "within tolerance"  # a figure no larger than its give-or-take


@dataclass(frozen=True)
class Worth:
    """One option's re-solve as the reports judge it."""

    option: str
    built: bool
    value: float | None  # NPV lost if dropped (built), NPV change if built (left out)
    gap: float | None  # the most the value may be off (None: unknown)
    status: str
    builds_instead: tuple[str, ...] = ()
    drops_too: tuple[str, ...] = ()

    @property
    def distinct(self) -> bool:
        """A value larger than its tolerance: told apart from zero."""
        return self.value is not None and self.gap is not None and abs(self.value) > self.gap

    @property
    def swaps(self) -> bool:
        return bool(self.builds_instead or self.drops_too)


def worths(data: ResultFolder) -> list[Worth]:
    """The options valued (or that could not be), built first, each list by value."""
    options = data.expansions
    if not set(PROJECT_VALUE_COLUMNS) <= set(options.columns):
        return []
    solves = data.summary.get("project_values", {}).get("solves", {})
    found = []
    for row in options.itertuples(index=False):
        solve = solves.get(row.option_id, {})
        value = row.npv_if_dropped if row.built == "yes" else row.npv_if_forced
        if pd.isna(value) and not solve:
            continue
        found.append(Worth(row.option_id, row.built == "yes",
                           None if pd.isna(value) else float(value),
                           None if pd.isna(row.value_gap) else float(row.value_gap),
                           solve.get("status", "optimal"),
                           tuple(solve.get("builds_instead", ())),
                           tuple(solve.get("drops_too", ()))))
    return sorted(found, key=lambda w: (not w.built, w.value is None,
                                        -(w.value or 0.0)))


def ranks(found: list[Worth]) -> dict[str, str]:
    """The built options' ranks by value, where the values can be told apart: an option's
    rank is one more than the options certainly worth more (by more than both tolerances),
    so options within each other's tolerance share a rank ('=2'). Figures within their
    tolerance of zero and figures of unknown tolerance are not ranked."""
    ranked = [w for w in found if w.built and w.distinct]
    rank = {w.option: 1 + sum(1 for o in ranked if o.value - o.gap > w.value + w.gap)
            for w in ranked}
    shared = {r for r in rank.values() if list(rank.values()).count(r) > 1}
    return {o: (f"={r}" if r in shared else str(r)) for o, r in rank.items()}


def substitutes(found: list[Worth]) -> list[tuple[list[str], str]]:
    """Sentences on the options that swap for others when re-solved: one per swap (the
    options that come in, the options that go out), naming every option valued by it
    (dropped or built): (members, sentence)."""
    swaps: dict[tuple[frozenset[str], frozenset[str]], list[Worth]] = {}
    for w in found:
        if w.swaps:
            added = {*w.builds_instead} | ({w.option} if not w.built else set())
            removed = {*w.drops_too} | ({w.option} if w.built else set())
            swaps.setdefault((frozenset(added), frozenset(removed)), []).append(w)
    return [([w.option for w in members], _swap_sentence(members, sorted(added),
                                                         sorted(removed)))
            for (added, removed), members in swaps.items()]


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _swap_sentence(members: list[Worth], added: list[str], removed: list[str]) -> str:
    """One swap in words: who is dropped or built, what comes in and goes out instead."""
    dropped = [w.option for w in members if w.built]
    built = [w.option for w in members if not w.built]
    parts = []
    if dropped:
        who = f"any one of {_listed(dropped)}" if len(dropped) > 1 else dropped[0]
        out = [o for o in removed if o not in dropped]
        instead = (f"builds {_listed(added)} instead"
                   + (f" of all {len(removed)}" if not out and len(removed) > 1 else "")
                   if added else f"drops all {len(removed)}")
        parts.append(f"without {who}, the plan {instead}"
                     + (f" and also drops {_listed(out)}" if out and added else ""))
    if built:
        extra = [o for o in added if o not in built]
        them = (f"all {len(removed)}" if dropped and set(removed) == set(dropped)
                and len(removed) > 1 else _listed(removed))
        parts.append(f"built, {_listed(built)} "
                     + (f"takes the place of {them}" if removed else "brings in")
                     + (f" (with {_listed(extra)})" if extra else ""))
    text = "; ".join(parts)
    return (text[0].upper() + text[1:] + ". Each of these figures is the worth of that "
            "whole swap, not of one option alone, so they do not add up.")


def project_values(data: ResultFolder) -> Table | None:
    """What each option is worth at the margin of the plan, as judged (see the module)."""
    found = worths(data)
    if not found:
        return None
    rank = ranks(found)
    letters = {o: string.ascii_uppercase[i % 26]
               for i, (members, _) in enumerate(substitutes(found)) for o in members}
    entry = dict(zip(data.expansions["option_id"], data.expansions["entry_capital_cost"],
                     strict=True))
    names = dict(zip(data.expansions["option_id"], data.expansions["name"], strict=True))

    def shown(w: Worth, built: bool) -> Any:
        if w.built != built or w.value is None:
            return None
        return w.value if w.distinct or w.gap is None else WITHIN

    frame = pd.DataFrame({
        "Rank": [rank.get(w.option, "") for w in found],
        "Option": [w.option for w in found], "Name": [names[w.option] for w in found],
        "NPV lost if dropped": [shown(w, True) for w in found],
        "NPV change if built": [shown(w, False) for w in found],
        "Give or take": [w.gap for w in found],
        "Would be built at a capital cost of at most": [entry[w.option] for w in found],
        "Note": [_note(w, letters) for w in found],
    })
    return Table("What each project is worth", frame,
                 {"Rank": "text", "Option": "text", "Name": "text", "Note": "text"},
                 source="expansions.csv: npv_if_dropped, npv_if_forced, value_gap, "
                        "entry_capital_cost (with optimism bias); summary.json "
                        "project_values (what each re-solve builds instead)")


def _note(w: Worth, letters: dict[str, str]) -> str:
    if w.value is None:
        return "cannot be built" if "infeasible" in w.status else "not computed"
    notes = ([f"substitutes: see {letters[w.option]}"] if w.option in letters else []) + (
        [] if w.status == "optimal" else [w.status])
    return "; ".join(notes)


def project_values_notes(data: ResultFolder) -> list[str]:
    """How to read the project values, or why there are none; then a sentence for each
    group of substitutes and each option that could not be valued."""
    status = data.summary.get("project_values", {}).get("status")
    found = worths(data)
    if not found:
        why = f" ({status})" if status else " (a result folder from an older placeopt)"
        return ["Each project's own worth was not computed for this run" + why + ". "
                "placeopt run --project-values computes it."]
    lines = [
        "Each built option's worth is the NPV the plan would lose if that option alone were "
        "dropped, the rest of the programme free to adapt (the plan solved again without "
        "it); each option left out shows the NPV change if it had to be built (usually a "
        "loss). These are values at the margin of this programme: they do not add up to "
        "the programme's NPV, because the options work together. 'Give or take' is the most "
        "a figure can be off, from the solver's tolerance: a figure no larger than that is "
        f"shown as '{WITHIN}' (it cannot be told from zero), and options are ranked only "
        "where their figures differ by more than both tolerances (a shared rank, '=2', "
        "means they cannot be told apart). For an option left out, 'Would be built at a "
        "capital cost of at most' is a capital cost (with optimism bias) at or below which "
        "the plan would build it; it may enter at a higher price too, since cheaper capital "
        "also frees money for other options. Blank: no such price was found."
        + ("" if status in (None, "computed") else f" Note: {status}.")]
    for i, (_, sentence) in enumerate(substitutes(found)):
        lines.append(f"{string.ascii_uppercase[i % 26]}. {sentence}")
    lines += [f"{w.option}: {w.status}." for w in found if w.value is None]
    return lines


# --- Funding streams -------------------------------------------------------------------


def funding_streams(data: ResultFolder) -> Table | None:
    """Each capital stream: its limit, what the plan spends from it, what is left."""
    streams = data.summary.get("funding")
    if not streams:
        return None
    rows = []
    for name, entry in streams.items():
        spent = total(entry["spent"])
        if entry["limited"]:
            rows.append((name, total(entry["available"]), spent, entry["unspent"][-1]))
        else:
            rows.append((name, "no limit", spent, None))
    frame = pd.DataFrame(rows, columns=["Stream", "Capital available, all years",
                                        "Spent by the plan", f"Unspent at the end of "
                                        f"{data.last_year}"])
    return Table("Capital by funding stream", frame, {"Stream": "text"},
                 source="summary.json funding (capital: the general pot; capital:NAME: "
                        "ring-fenced for the options whose funding names it)")


def funding_by_year(data: ResultFolder) -> Table | None:
    """Each stream's capital by year: what arrives, what the plan spends (when spent, with
    optimism bias) and what is carried forward unspent."""
    streams = data.summary.get("funding")
    if not streams:
        return None
    rows: list[list[Any]] = []
    for name, entry in streams.items():
        for measure in ("available", "spent", "unspent"):
            if entry["limited"] or measure == "spent":
                values = list(entry[measure])
                rows.append([f"{name}: {measure}", *values,
                             None if measure == "unspent" else total(values)])
    frame = pd.DataFrame(rows, columns=["Stream", *data.years, "All years"])
    return Table(f"Capital by stream and year, {WHEN_SPENT}", frame, {"Stream": "text"},
                 source="summary.json funding: available (arriving that year), spent, "
                        "unspent (carried forward, cumulative); the openings each stream "
                        "pays for are in funding.csv and the Capital programme's Paid from")
