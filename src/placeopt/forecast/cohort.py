"""The cohort model: EHC plans by age, carried on one year at a time.

Pupils of age a in year t are age a+1 in year t+1; the plans of a cohort change on the
way (new plans, ceased plans, moves between authorities), and the *progression ratio*
r[a] = N[a+1, t+1] / N[a, t] carries all of it. The youngest ages (up to `entry_age`)
have no younger cohort to come from: their plans are *entrants*, a rate of the children
of that age. Plans are then split into provision levels by the latest shares by age.
The equations and every parameter are in docs/forecast.md.

SEN2 publishes ages from 2023/24 only. Where the history holds no pair of years with
ages (a backtest that holds out 2023/24), the model runs on all ages as one band:
N[t+1] = R · N[t], R the progression ratio of all plans.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .ages import AGES, PHASE_AGES
from .method import DEFAULT_METHOD, Method
from .sen2 import LEVELS, History

BY_AGE, ALL_AGES = "by age", "all ages"


class NotEnoughHistory(ValueError):
    """The history has no pair of years to take a ratio from."""


def extrapolate(values: np.ndarray, steps: int, trend: str, damping: float,
                hold: str = "mean") -> np.ndarray:
    """Values for 1..`steps` years after the last of `values` (axis 0: the window's years,
    oldest first; NaN = not observed). constant: the mean (`hold="mean"`, for ratios) or
    the latest value (`hold="last"`, for rates and shares); damped: the least-squares line
    through the window, from its value at the last year, its slope b adding b·φ^k in the
    k-th year ahead (φ = `damping`)."""
    values = np.asarray(values, dtype=float)
    x = np.arange(len(values), dtype=float)[(slice(None),) + (None,) * (values.ndim - 1)]
    seen = ~np.isnan(values)
    count = seen.sum(axis=0)
    x_mean = np.where(seen, x, 0).sum(axis=0) / np.maximum(count, 1)
    y_mean = np.where(seen, values, 0).sum(axis=0) / np.maximum(count, 1)
    last = np.where(seen, x, -1).argmax(axis=0)
    latest = np.take_along_axis(np.where(seen, values, np.nan), last[None], axis=0)[0]
    if trend == "constant":
        level = y_mean if hold == "mean" else latest
        return np.repeat(np.where(count > 0, level, np.nan)[None], steps, axis=0)
    dx = np.where(seen, x - x_mean, 0)
    slope = np.where(count > 1, (dx * np.where(seen, values - y_mean, 0)).sum(axis=0)
                     / np.maximum((dx ** 2).sum(axis=0), 1e-12), 0.0)
    level = y_mean + slope * (len(values) - 1 - x_mean)
    added = np.cumsum(damping ** np.arange(1, steps + 1))
    path = level[None] + slope[None] * added[(slice(None),) + (None,) * slope.ndim]
    return np.where(count > 0, path, np.nan)


def pooled(own: np.ndarray, england: np.ndarray, weight: float) -> np.ndarray:
    """weight · England + (1 − weight) · own; England's alone where own is unknown."""
    return np.where(np.isnan(own), england, weight * england + (1 - weight) * own)


def carry_on(launch: np.ndarray, ratios: np.ndarray, entrants: np.ndarray) -> np.ndarray:
    """The cohort arithmetic. `launch` (…, bands): plans in the last observed year;
    `ratios` (…, steps, bands − 1): r[a] from band a to a+1 in each step; `entrants`
    (…, steps, entry bands): plans of the youngest bands in each step. Returns
    (…, steps + 1, bands): N[t+1, a+1] = r[t+1, a] · N[t, a] beyond the entry bands."""
    steps, entry = ratios.shape[-2], entrants.shape[-1]
    plans = np.empty(launch.shape[:-1] + (steps + 1, launch.shape[-1]))
    plans[..., 0, :] = launch
    for k in range(1, steps + 1):
        plans[..., k, :entry] = entrants[..., k - 1, :]
        plans[..., k, entry:] = ratios[..., k - 1, entry - 1:] * plans[..., k - 1, entry - 1:-1]
    return plans


@dataclass(frozen=True)
class Estimate:
    """What the projection was made from, for the method sheet."""

    form: str  # BY_AGE or ALL_AGES
    transitions: tuple[int, ...]  # first years of the pairs of years averaged
    own_ratios: np.ndarray  # (transitions, bands − 1 or 1): the authority's
    england_ratios: np.ndarray  # the same for England
    ratios: np.ndarray  # (steps, bands − 1 or 1): used
    entry_rates: np.ndarray  # (steps, entry bands): plans per child, or plans
    per_child: bool  # entry rates are per child (a population was given)
    share_year: int  # the year of the shares of provision levels
    growth_years: tuple[int, ...]  # the window's pairs of years for all plans
    growth: np.ndarray  # their pooled all-plans ratios
    spread_years: tuple[int, ...]  # every pair of years of the history: one path each
    spread: np.ndarray  # the factor on every ratio in each path


@dataclass(frozen=True)
class Projection:
    """Plans by year and age band: [0] the central projection, [1:] one path for each
    pair of years of the history (see `spread`)."""

    history: History
    method: Method
    estimate: Estimate
    years: tuple[int, ...]  # the last observed year, then the projected years
    plans: np.ndarray  # (1 + paths, years, bands)
    shares: np.ndarray  # (years, LEVELS, bands): each level's share of the band's plans
    phase_split: np.ndarray  # (years, bands, phases): share of a band's plans in a phase

    def level_phase(self) -> np.ndarray:
        """(1 + paths, years, LEVELS + all plans, phases) plans."""
        by_level = self.plans[:, :, None, :] * self.shares[None]
        every = np.concatenate([by_level, self.plans[:, :, None, :]], axis=2)
        return np.einsum("dylb,ybp->dylp", every, self.phase_split)

    def measure(self, name: str) -> np.ndarray:
        """(1 + paths, years): 'total' (all plans), a level, or 'specialist' (resourced +
        special)."""
        by_level = (self.plans[:, :, None, :] * self.shares[None]).sum(axis=3)
        if name == "total":
            return self.plans.sum(axis=2)
        if name == "specialist":
            return by_level[:, :, LEVELS.index("resourced")] + \
                by_level[:, :, LEVELS.index("special")]
        return by_level[:, :, LEVELS.index(name)]

    def interval(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(central, low, high) of a measure's array (1 + paths, ...)."""
        tail = (1 - self.method.interval) / 2
        paths = values[1:] if len(values) > 1 else values
        return values[0], np.quantile(paths, tail, axis=0), np.quantile(paths, 1 - tail, axis=0)


def _transitions(years: tuple[int, ...], last: int, window: int) -> list[int]:
    """First years y of the last `window` pairs (y, y+1) both in `years`, up to `last`."""
    pairs = [y for y in years if y + 1 in years and y + 1 <= last]
    return pairs[-window:]


def _ratios_by_age(history: History, years: list[int]) -> np.ndarray:
    """(years, bands − 1): N[a+1, y+1] / N[a, y]; NaN where year or base is missing."""
    out = np.full((len(years), len(AGES) - 1), np.nan)
    for i, y in enumerate(years):
        if y in history.age_years and y + 1 in history.age_years:
            now = history.by_age[history.age_years.index(y)]
            after = history.by_age[history.age_years.index(y + 1)]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[i] = np.where(now[:-1] > 0, after[1:] / now[:-1], np.nan)
    return out


def _growth(history: History, years: list[int]) -> np.ndarray:
    """(years,): all plans in y+1 over all plans in y; NaN where a year is missing."""
    plans = dict(zip(history.years, history.plans, strict=True))
    return np.array([plans[y + 1] / plans[y] if y in plans and y + 1 in plans and plans[y] > 0
                     else np.nan for y in years])


def _share_year(history: History, by_age: bool) -> int:
    """The latest year whose plans by provision level are published."""
    if by_age:
        known = [y for i, y in enumerate(history.age_years)
                 if not np.isnan(history.by_age_level[i]).any()]
    else:
        known = [y for i, y in enumerate(history.years) if not np.isnan(history.by_level[i]).any()]
    if not known:
        raise NotEnoughHistory(f"{history.authority}: SEN2 publishes no year of plans by "
                               "setting")
    return known[-1]


def _level_shares(history: History, year: int, by_age: bool) -> np.ndarray:
    """(LEVELS, bands): each level's share of all plans, by age (or all ages as one band)."""
    index = history.years.index(year)
    overall = history.by_level[index] / history.plans[index] if history.plans[index] > 0 \
        else np.zeros(len(LEVELS))
    if not by_age:
        return np.nan_to_num(overall)[:, None]
    i = history.age_years.index(year)
    plans = history.by_age[i]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = history.by_age_level[i] / plans[:, None]
    return np.where(plans[:, None] > 0, shares, np.nan_to_num(overall)[None]).T


def _share_path(history: History, share_year: int, transitions: list[int], steps: int,
                method: Method) -> np.ndarray:
    """(steps, LEVELS): factor on each level's shares in each year after the last one."""
    if method.share_trend == "constant":
        return np.ones((steps, len(LEVELS)))
    years = [y for y in range(transitions[0] if transitions else share_year, share_year + 1)
             if y in history.years]
    shares = np.array([history.by_level[history.years.index(y)] / history.plans[
        history.years.index(y)] for y in years])
    ahead = history.last_year - share_year + steps
    path = extrapolate(shares, ahead, "damped", method.damping, hold="last")[-steps:]
    base = shares[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base > 0, np.clip(path, 0, 1) / base, 1.0)


def _phase_split(history: History, by_age: bool) -> np.ndarray:
    """(bands, phases): where a band's plans fall by phase. With ages, each band is in one
    phase; all ages as one band are split as in the latest year with ages."""
    phases = list(PHASE_AGES)
    if by_age:
        split = np.zeros((len(AGES), len(phases)))
        for j, age in enumerate(AGES):
            split[j, next(i for i, (lo, hi) in enumerate(PHASE_AGES.values())
                          if lo <= age <= hi)] = 1.0
        return split
    if not history.age_years:
        return np.full((1, len(phases)), np.nan)
    plans = history.by_age[-1]
    by_phase = np.array([plans[[j for j, a in enumerate(AGES) if lo <= a <= hi]].sum()
                         for lo, hi in PHASE_AGES.values()])
    return (by_phase / by_phase.sum())[None]


PopulationByBand = Callable[[int], np.ndarray]  # year -> children in each of AGES


def project(history: History, england: History, steps: int, method: Method = DEFAULT_METHOD,
            population: PopulationByBand | None = None) -> Projection:
    """Project `history` `steps` years past its last year (see the module's docstring)."""
    if not history.years:
        raise NotEnoughHistory(f"{history.authority}: SEN2 has no count in these years")
    last = history.last_year
    age_pairs = _transitions(england.age_years, last, method.window)
    by_age = last in history.age_years and bool(age_pairs)
    growth_years = _transitions(history.years, last, method.window)
    if not growth_years:
        raise NotEnoughHistory(f"{history.authority}: SEN2 has no two consecutive years up to "
                               f"{last}/{(last + 1) % 100:02d} to take a ratio from")
    growth = pooled(_growth(history, growth_years), _growth(england, growth_years),
                    method.pooling)
    if by_age:
        own, national = _ratios_by_age(history, age_pairs), _ratios_by_age(england, age_pairs)
        ratios = extrapolate(pooled(own, national, method.pooling), steps, method.trend,
                             method.damping)
        ratios = np.clip(np.nan_to_num(ratios), 0, None)
        entry = method.entry_age - AGES[0] + 1
        rate_years = [y for y in history.age_years if y >= age_pairs[0]]
        people = {y: population(y)[:entry] if population else np.ones(entry)
                  for y in range(rate_years[0], last + steps + 1)}
        observed = np.array([history.by_age[history.age_years.index(y), :entry]
                             / np.where(people[y] > 0, people[y], 1.0) for y in rate_years])
        rates = np.clip(extrapolate(observed, steps, method.trend, method.damping, hold="last"),
                        0, None)
        ahead = np.array([np.where(people[last + k] > 0, people[last + k], 1.0)
                          for k in range(1, steps + 1)])
        launch, entrants, pairs = history.by_age[-1], rates * ahead, age_pairs
    else:
        own, national = _growth(history, growth_years)[:, None], \
            _growth(england, growth_years)[:, None]
        ratios = np.clip(extrapolate(pooled(own, national, method.pooling), steps,
                                     method.trend, method.damping), 0, None)
        # one band that feeds itself: "entrants" are the band carried on by its ratio
        launch, entrants, rates, pairs = history.plans[-1:], None, np.zeros((steps, 0)), \
            growth_years
    spread_years = _transitions(history.years, last, len(history.years))
    spread = spread_factors(_growth(history, spread_years), growth)
    plans = _run(launch, ratios, entrants, spread)
    share_year = _share_year(history, by_age)
    shares = _level_shares(history, share_year, by_age)
    factors = np.vstack([np.ones(len(LEVELS)),
                         _share_path(history, share_year, growth_years, steps, method)])
    level_shares = _capped(shares[None] * factors[:, :, None])
    years = tuple(range(last, last + steps + 1))
    split = np.repeat(_phase_split(history, by_age)[None], len(years), axis=0)
    estimate = Estimate(BY_AGE if by_age else ALL_AGES, tuple(pairs), own, national, ratios,
                        rates, population is not None, share_year, tuple(growth_years),
                        growth, tuple(spread_years), spread)
    return Projection(history, method, estimate, years, plans, level_shares, split)


def _capped(shares: np.ndarray) -> np.ndarray:
    """Shares of a band's plans never add up to more than 1."""
    total = shares.sum(axis=1, keepdims=True)
    return np.where(total > 1, shares / np.maximum(total, 1e-12), shares)


def spread_factors(own: np.ndarray, used: np.ndarray) -> np.ndarray:
    """One factor on every ratio for each pair of years of the authority's history: how
    far that year's all-plans ratio was from the authority's mean, relative to the ratio
    used, 1 + (G[y] − mean G) / mean(used). A path takes one such year as the pattern of
    every year ahead: the distribution a bootstrap drawing one year of the history
    samples, enumerated instead of drawn."""
    seen = own[~np.isnan(own)]
    return 1 + (seen - seen.mean()) / np.nanmean(used)


def _run(launch: np.ndarray, ratios: np.ndarray, entrants: np.ndarray | None,
         spread: np.ndarray) -> np.ndarray:
    """The central projection and one path for each spread factor m, (1 + paths, steps + 1,
    bands): every ratio times m, and the entrants (which have no ratio) times m per year
    ahead. SEN2's one pair of years with ages cannot give a spread by age, so every age
    moves with the spread of the whole caseload's ratios."""
    scale = np.concatenate([[1.0], spread])
    steps = ratios.shape[0]
    scaled_ratios = ratios[None] * scale[:, None, None]
    if entrants is None:  # all ages as one band: N[t+1] = R · N[t]
        return launch[None, None, :] * np.concatenate(
            [np.ones((len(scale), 1, 1)), np.cumprod(scaled_ratios, axis=1)], axis=1)
    ahead = np.arange(1, steps + 1)
    scaled_entrants = entrants[None] * scale[:, None, None] ** ahead[None, :, None]
    return carry_on(np.broadcast_to(launch, (len(scale), len(launch))), scaled_ratios,
                    scaled_entrants)
