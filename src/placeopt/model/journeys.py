"""Journeys between home zones and providers: road distance, travel time, transport cost.

Road distance is the WGS84 geodesic scaled by a circuity factor; travel time assumes a
constant road speed; transport cost is a fixed cost plus a per-km cost for the return
trips made in a year (every school day for day places, far fewer for residential ones).
A travel matrix supplied by the local authority may override any of these per pair.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj

__all__ = [
    "JourneyCache",
    "Journeys",
    "TravelParameters",
    "geodesic_km",
    "journeys",
    "pair_journeys",
    "reusing",
]

ArrayLike = npt.ArrayLike

_GEOD = pyproj.Geod(ellps="WGS84")

# Pairs per block when filling a dense matrix: bounds the four coordinate temporaries
# Geod.inv needs to ~32 MB however large the matrix is.
_BLOCK_PAIRS = 1 << 20

_OVERRIDE_VALUE_COLUMNS = ("minutes", "distance_km", "annual_transport_cost")


def geodesic_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Geodesic distance on the WGS84 ellipsoid, in km (Karney's algorithm).

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Degrees; broadcast against each other like numpy operands.

    Returns
    -------
    numpy.ndarray
        Kilometres in the broadcast shape; NaN where any input is NaN.
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (lon1, lat1, lon2, lat2))
    )
    shape = arrays[0].shape
    # Fresh contiguous copies: inplace=True overwrites them with the results, which
    # spares three output allocations but must never touch the caller's arrays.
    lons1, lats1, lons2, lats2 = (np.array(a, dtype=np.float64, order="C").ravel() for a in arrays)
    _GEOD.inv(lons1, lats1, lons2, lats2, inplace=True)
    dist = lons2  # inv wrote the distances (m) here
    dist *= 1e-3
    return dist.reshape(shape)


@dataclass(frozen=True)
class TravelParameters:
    """Assumptions turning straight-line geodesics into road journeys and costs."""

    road_circuity: float = 1.3
    road_speed_kmh: float = 30.0
    transport_base_cost: float = 1500.0
    transport_cost_per_km: float = 1.5
    school_days: int = 190
    residential_trips_per_year: int = 38

    def __post_init__(self) -> None:
        # Zero speed would turn every journey into inf minutes rather than an error.
        if not self.road_speed_kmh > 0:
            raise ValueError(f"road_speed_kmh must be > 0, got {self.road_speed_kmh}")
        if not self.road_circuity > 0:
            raise ValueError(f"road_circuity must be > 0, got {self.road_circuity}")
        for name in (
            "transport_base_cost",
            "transport_cost_per_km",
            "school_days",
            "residential_trips_per_year",
        ):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


# eq=False: the generated __eq__/__hash__ would compare/hash arrays and fail.
@dataclass(frozen=True, eq=False)
class Journeys:
    """Road distance, journey time and transport cost, aligned elementwise.

    Attributes
    ----------
    distance_km : numpy.ndarray
        Road km, shape (n_zones, n_providers), or (n_pairs,) from `pair_journeys`.
    minutes : numpy.ndarray
        One-way journey minutes, same shape.
    transport_cost : numpy.ndarray
        Annual transport cost, £ per pupil per year, same shape.
    """

    distance_km: np.ndarray
    minutes: np.ndarray
    transport_cost: np.ndarray


# --- The formulas: the single implementation shared by journeys and pair_journeys. ---


def _to_road_km(geodesic: np.ndarray, params: TravelParameters) -> np.ndarray:
    """Scale geodesic km to road km, in place."""
    geodesic *= params.road_circuity
    return geodesic


def _trips_per_year(residential: np.ndarray, params: TravelParameters) -> np.ndarray:
    return np.where(
        residential, float(params.residential_trips_per_year), float(params.school_days)
    )


def _from_road_km(road_km: np.ndarray, trips: np.ndarray, params: TravelParameters) -> Journeys:
    """Minutes and transport cost from road km; ``trips`` broadcasts against ``road_km``."""
    minutes = np.multiply(road_km, 60.0 / params.road_speed_kmh)
    # Each trip is a return journey, hence the 2.
    cost = np.multiply(road_km, 2.0 * params.transport_cost_per_km * trips)
    cost += params.transport_base_cost
    return Journeys(distance_km=road_km, minutes=minutes, transport_cost=cost)


def _as_float_1d(values: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def _as_bool_1d(values: ArrayLike, n: int, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    if arr.dtype.kind == "b":
        return arr
    # A plain bool cast would turn NaN (a missing flag) into True.
    if arr.dtype.kind in "iuf" and np.isin(arr, (0, 1)).all():
        return arr.astype(bool)
    raise ValueError(f"{name} must hold booleans (or 0/1), got dtype {arr.dtype}")


def pair_journeys(
    zone_lat: ArrayLike,
    zone_lon: ArrayLike,
    provider_lat: ArrayLike,
    provider_lon: ArrayLike,
    residential: ArrayLike,
    params: TravelParameters,
) -> Journeys:
    """Journeys for aligned pairs: element i joins zone i to provider i.

    Parameters
    ----------
    zone_lat, zone_lon, provider_lat, provider_lon : array_like
        WGS84 degrees, 1-D, one element per pair; NaN marks a missing location.
    residential : array_like of bool
        Per pair: whether the provider is residential.
    params : TravelParameters

    Returns
    -------
    Journeys
        1-D arrays, one element per pair; NaN where a location is missing.
    """
    zlat = _as_float_1d(zone_lat, "zone_lat")
    arrays = [zlat] + [
        _as_float_1d(a, name)
        for a, name in (
            (zone_lon, "zone_lon"),
            (provider_lat, "provider_lat"),
            (provider_lon, "provider_lon"),
        )
    ]
    if any(a.shape != zlat.shape for a in arrays):
        raise ValueError("pair coordinate arrays must all have the same length")
    res = _as_bool_1d(residential, zlat.shape[0], "residential")
    road_km = _to_road_km(geodesic_km(*arrays), params)
    return _from_road_km(road_km, _trips_per_year(res, params), params)


def _override_positions(frame: pd.DataFrame, column: str, n: int) -> np.ndarray:
    if column not in frame.columns:
        raise ValueError(f"overrides is missing column {column!r}")
    raw = frame[column].to_numpy()
    if raw.dtype.kind in "iu":
        pos = raw.astype(np.intp)
    else:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        if not np.all(np.isfinite(values) & (values == np.round(values))):
            raise ValueError(f"overrides[{column!r}] must hold integer positions")
        pos = values.astype(np.intp)
    # Negative positions would silently index from the end.
    if pos.size and (pos.min() < 0 or pos.max() >= n):
        raise ValueError(f"overrides[{column!r}] out of range [0, {n})")
    return pos


def _override_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    # No errors="coerce": unparseable text must fail, not quietly read as "not given".
    return pd.to_numeric(frame[column]).to_numpy(dtype=np.float64, na_value=np.nan)


def journeys(
    zone_lat: ArrayLike,
    zone_lon: ArrayLike,
    provider_lat: ArrayLike,
    provider_lon: ArrayLike,
    residential: ArrayLike,
    params: TravelParameters,
    overrides: pd.DataFrame | None = None,
) -> Journeys:
    """Dense zone × provider journeys, with optional travel-matrix overrides.

    Parameters
    ----------
    zone_lat, zone_lon : array_like
        WGS84 degrees per zone, 1-D; NaN marks a missing location.
    provider_lat, provider_lon : array_like
        WGS84 degrees per provider, 1-D; NaN marks a missing location.
    residential : array_like of bool
        Per provider: residential (``residential_trips_per_year``) or day
        (``school_days``) placements.
    params : TravelParameters
    overrides : pandas.DataFrame, optional
        Columns ``zone_row``, ``provider_row`` (integer positions, each pair at most
        once) and any of ``minutes``, ``distance_km``, ``annual_transport_cost``
        (NaN = not given). A given distance also drives the pair's minutes and cost
        unless those are given too.

    Returns
    -------
    Journeys
        Arrays of shape (n_zones, n_providers); NaN where a quantity is neither
        given nor computable (a location is missing). Within `reusing(cache)` they may
        be the cache's (read-only) arrays for the same inputs.
    """
    zlat = _as_float_1d(zone_lat, "zone_lat")
    zlon = _as_float_1d(zone_lon, "zone_lon")
    plat = _as_float_1d(provider_lat, "provider_lat")
    plon = _as_float_1d(provider_lon, "provider_lon")
    if zlat.shape != zlon.shape:
        raise ValueError("zone_lat and zone_lon must have the same length")
    if plat.shape != plon.shape:
        raise ValueError("provider_lat and provider_lon must have the same length")
    res = _as_bool_1d(residential, plat.shape[0], "residential")
    cache = _ACTIVE_CACHE.get()
    if cache is None:
        return _dense_journeys(zlat, zlon, plat, plon, res, params, overrides)
    key = _journeys_key(zlat, zlon, plat, plon, res, params, overrides)
    return cache.get(key, lambda: _dense_journeys(zlat, zlon, plat, plon, res, params,
                                                  overrides))


def _dense_journeys(zlat: np.ndarray, zlon: np.ndarray, plat: np.ndarray, plon: np.ndarray,
                    res: np.ndarray, params: TravelParameters,
                    overrides: pd.DataFrame | None) -> Journeys:
    n_zones, n_providers = zlat.shape[0], plat.shape[0]
    road_km = np.empty((n_zones, n_providers), dtype=np.float64)
    block = max(1, _BLOCK_PAIRS // max(n_providers, 1))
    for start in range(0, n_zones, block):
        stop = min(start + block, n_zones)
        road_km[start:stop] = geodesic_km(
            zlat[start:stop, None], zlon[start:stop, None], plat[None, :], plon[None, :]
        )
    _to_road_km(road_km, params)

    if overrides is None or len(overrides) == 0:
        return _from_road_km(road_km, _trips_per_year(res, params)[None, :], params)

    zi = _override_positions(overrides, "zone_row", n_zones)
    pi = _override_positions(overrides, "provider_row", n_providers)
    flat = zi * n_providers + pi
    if np.unique(flat).size != flat.size:
        raise ValueError("overrides gives some (zone_row, provider_row) pair more than once")
    given = {c: _override_values(overrides, c) for c in _OVERRIDE_VALUE_COLUMNS}

    # Distance first: minutes and cost are derived from it.
    has = ~np.isnan(given["distance_km"])
    road_km[zi[has], pi[has]] = given["distance_km"][has]
    out = _from_road_km(road_km, _trips_per_year(res, params)[None, :], params)
    for column, target in (
        ("minutes", out.minutes),
        ("annual_transport_cost", out.transport_cost),
    ):
        has = ~np.isnan(given[column])
        target[zi[has], pi[has]] = given[column][has]
    return out


# --- Reusing journeys between cases of one workbook (a batch) ---------------------------


class JourneyCache:
    """Journeys already computed, for a process that compiles many cases of one workbook.

    A batch solves scenarios and demand samples that mostly leave locations, travel
    parameters and TravelMatrix alone; they then share one matrix instead of each
    computing it again. Entries are keyed on a digest of every input of `journeys`, so a
    changed coordinate, parameter or override is a miss, never a stale hit; the arrays
    handed out are read-only, so no caller can change what the next one gets. `size`
    bounds the memory: at national scale one matrix is a few hundred MB.
    """

    def __init__(self, size: int = 2):
        self.size = size
        self.hits = self.misses = 0
        self._entries: OrderedDict[str, Journeys] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable[[], Journeys]) -> Journeys:
        with self._lock:
            if key in self._entries:
                self.hits += 1
                self._entries.move_to_end(key)
                return self._entries[key]
        found = compute()
        for array in (found.distance_km, found.minutes, found.transport_cost):
            array.setflags(write=False)
        with self._lock:
            self.misses += 1
            self._entries[key] = found
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return found


_ACTIVE_CACHE: ContextVar[JourneyCache | None] = ContextVar("journey_cache", default=None)


@contextlib.contextmanager
def reusing(cache: JourneyCache) -> Iterator[JourneyCache]:
    """Within the block, `journeys` looks in `cache` first (in this thread or task)."""
    token = _ACTIVE_CACHE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE_CACHE.reset(token)


def _journeys_key(zlat: np.ndarray, zlon: np.ndarray, plat: np.ndarray, plon: np.ndarray,
                  res: np.ndarray, params: TravelParameters,
                  overrides: pd.DataFrame | None) -> str:
    """A digest of everything `journeys` reads: coordinates, flags, parameters, overrides."""
    digest = hashlib.blake2b(digest_size=20)
    for array in (zlat, zlon, plat, plon):
        digest.update(len(array).to_bytes(8, "little"))
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(res, dtype=bool).tobytes())
    digest.update(repr(params).encode())
    if overrides is not None and len(overrides):
        # Read as `_dense_journeys` reads them, so text that it would refuse fails here too.
        digest.update(_override_positions(overrides, "zone_row", len(zlat)).tobytes())
        digest.update(_override_positions(overrides, "provider_row", len(plat)).tobytes())
        for column in _OVERRIDE_VALUE_COLUMNS:
            digest.update(column.encode() + _override_values(overrides, column).tobytes())
    return digest.hexdigest()
