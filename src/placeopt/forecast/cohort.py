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

The projection is one central path; its interval comes from the errors the method made
at earlier origins of the SEN2 history (`calibration`, docs/forecast.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .ages import AGES, PHASE_AGES
from .calibration import ErrorModel, shipped_model
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
    share_ratios: np.ndarray  # (LEVELS,) pooled year-on-year ratio of each level's share
    # (1 where the shares are held: share_trend constant or damped)


@dataclass(frozen=True)
class Projection:
    """Plans by year and age band, central; `errors` gives the interval around it."""

    history: History
    method: Method
    estimate: Estimate
    years: tuple[int, ...]  # the last observed year, then the projected years
    plans: np.ndarray  # (years, bands)
    shares: np.ndarray  # (years, LEVELS, bands): each level's share of the band's plans
    phase_split: np.ndarray  # (years, bands, phases): share of a band's plans in a phase
    errors: ErrorModel | None = None  # the interval's error model (None: placeopt's own)

    def level_phase(self) -> np.ndarray:
        """(years, LEVELS + all plans, phases) plans."""
        by_level = self.plans[:, None, :] * self.shares
        every = np.concatenate([by_level, self.plans[:, None, :]], axis=1)
        return np.einsum("ylb,ybp->ylp", every, self.phase_split)

    def measure(self, name: str) -> np.ndarray:
        """(years,): 'total' (all plans), a level, or 'specialist' (resourced + special)."""
        by_level = (self.plans[:, None, :] * self.shares).sum(axis=2)
        if name == "total":
            return self.plans.sum(axis=1)
        if name == "specialist":
            return by_level[:, LEVELS.index("resourced")] + by_level[:, LEVELS.index("special")]
        return by_level[:, LEVELS.index(name)]

    def interval(self, values: np.ndarray, measure: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(central, low, high) of a measure's central values (years, ...), the first year
        the last observed one: the calibrated band of `measure` ('total' for all plans,
        'specialist' for places of one or more provision levels), each series sized by its
        count in the last observed year."""
        low, high = self.error_model.band(values, measure, self.method.interval)
        return values, low, high

    @property
    def error_model(self) -> ErrorModel:
        return self.errors if self.errors is not None else shipped_model()


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


# Levels whose shares move together when share_trend is pooled: specialist places
# (resourced and special) as one group, so that an authority's few unit places do not
# carry a trend of their own; mainstream on its own.
SHARE_GROUPS: tuple[tuple[str, ...], ...] = (("mainstream",), ("resourced", "special"))


def _group_shares(history: History, years: list[int]) -> np.ndarray:
    """(years, SHARE_GROUPS): each group's share of all plans; NaN where unpublished."""
    out = np.full((len(years), len(SHARE_GROUPS)), np.nan)
    for i, year in enumerate(years):
        k = history.years.index(year) if year in history.years else None
        if k is not None and history.plans[k] > 0:
            out[i] = [history.by_level[k, [LEVELS.index(level) for level in group]].sum()
                      / history.plans[k] for group in SHARE_GROUPS]
    return out


def share_ratios(history: History, england: History, share_year: int,
                 method: Method) -> np.ndarray:
    """(LEVELS,): each level's group share, next year over this year, pooled with
    England's as the plans are (`pooling`) and averaged over the last `window` pairs of
    years up to `share_year`; 1 where neither has a ratio."""
    pairs = _transitions(history.years, share_year, method.window)

    def ratios(source: History) -> np.ndarray:
        before = _group_shares(source, pairs)
        after = _group_shares(source, [y + 1 for y in pairs])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(before > 0, after / before, np.nan)

    both = pooled(ratios(history), ratios(england), method.pooling)
    seen = ~np.isnan(both)
    mean = np.where(seen.any(axis=0), np.where(seen, both, 0).sum(axis=0)
                    / np.maximum(seen.sum(axis=0), 1), 1.0)
    by_level = np.ones(len(LEVELS))
    for g, group in enumerate(SHARE_GROUPS):
        by_level[[LEVELS.index(level) for level in group]] = mean[g]
    return by_level


def damped_sum(years: np.ndarray, damping: float) -> np.ndarray:
    """φ + φ² + … + φ^n for each n of `years` (n with φ = 1)."""
    years = np.asarray(years)
    if damping == 1:
        return years.astype(float)
    return damping * (1 - damping ** years) / (1 - damping)


def _share_path(history: History, share_year: int, transitions: list[int], steps: int,
                method: Method, ratios: np.ndarray) -> np.ndarray:
    """(steps, LEVELS): factor on each level's shares in each year after the last one.
    pooled: the share ratio r (`share_ratios`) compounds, damped: r^(φ + … + φ^h), h the
    years after the share year."""
    if method.share_trend == "constant":
        return np.ones((steps, len(LEVELS)))
    if method.share_trend == "pooled":
        ahead = history.last_year - share_year + np.arange(1, steps + 1)
        return ratios[None, :] ** damped_sum(ahead, method.damping)[:, None]
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
            population: PopulationByBand | None = None,
            errors: ErrorModel | None = None) -> Projection:
    """Project `history` `steps` years past its last year (see the module's docstring);
    the interval from `errors` (default: the calibration shipped with placeopt)."""
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
    plans = _run(launch, ratios, entrants)
    share_year = _share_year(history, by_age)
    shares = _level_shares(history, share_year, by_age)
    moving = share_ratios(history, england, share_year, method) \
        if method.share_trend == "pooled" else np.ones(len(LEVELS))
    factors = np.vstack([np.ones(len(LEVELS)),
                         _share_path(history, share_year, growth_years, steps, method, moving)])
    level_shares = _capped(shares[None] * factors[:, :, None])
    years = tuple(range(last, last + steps + 1))
    split = np.repeat(_phase_split(history, by_age)[None], len(years), axis=0)
    estimate = Estimate(BY_AGE if by_age else ALL_AGES, tuple(pairs), own, national, ratios,
                        rates, population is not None, share_year, tuple(growth_years),
                        growth, moving)
    return Projection(history, method, estimate, years, plans, level_shares, split, errors)


def _capped(shares: np.ndarray) -> np.ndarray:
    """Shares of a band's plans never add up to more than 1."""
    total = shares.sum(axis=1, keepdims=True)
    return np.where(total > 1, shares / np.maximum(total, 1e-12), shares)


def _run(launch: np.ndarray, ratios: np.ndarray, entrants: np.ndarray | None) -> np.ndarray:
    """(steps + 1, bands): the cohort arithmetic, or with all ages as one band (no
    entrants) N[t+1] = R · N[t]."""
    if entrants is None:
        return launch[None, :] * np.concatenate([np.ones((1, 1)), np.cumprod(ratios, axis=0)])
    return carry_on(launch, ratios, entrants)
