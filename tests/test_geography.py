"""Tests for coordinates and journeys: BNG, geodesics, journeys, travel-matrix overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from placeopt.model.journeys import (
    Journeys,
    TravelParameters,
    geodesic_km,
    journeys,
    pair_journeys,
)
from placeopt.workbook.coordinates import bng_to_wgs84

# --- BNG -> WGS84 ----------------------------------------------------------------------

# Ordnance Survey OSTN15/OSGM15 Developer Pack test points ("OSTN15_OSGM15_TestInput_OSGBtoETRS.txt"
# joined with its RESULT rows), https://www.ordnancesurvey.co.uk/documents/resources/
# OSTN15-OSGM15-DevelopersPack.zip: (ETRS89 lat, ETRS89 lon, OSGB36 easting, northing).
# The same figures appear in the test suites of several independent OSTN15 implementations.
# ETRS89 is within ~1 m of WGS84 in GB. Without the OSTN15 grid installed PROJ uses the
# Helmert "OSGB36 to WGS 84 (6)" transformation (~2 m), hence the 5 m tolerance.
# (The OS guide's "Caister water tower" example, E 651409.903 N 313177.270, is *not* used:
# its published lat/lon, 52°39'27.2531"N 1°43'4.5177"E, is on OSGB36/Airy, ~120 m from
# WGS84 there, so it tests the projection only, not the datum shift we depend on.)
OS_TEST_POINTS = {
    "LOND": (51.48936564611111, -0.1199255641666667, 530624.963, 178388.461),
    "LEED": (53.80021519916667, -1.663791675833333, 422242.174, 433818.699),
    "KING": (52.75136687444444, 0.4015354769444445, 562180.535, 319784.993),
    "NOTT": (52.962191095, -1.197476561666667, 454002.822, 340834.941),
    "NEWC": (54.97912274, -1.616576845555556, 424639.343, 565012.700),
    "PLYM": (50.43885825472222, -4.108645639722222, 250359.798, 62016.567),
    "OSHQ": (50.9312793775, -1.450514340555556, 438710.908, 114792.248),
}


def test_bng_to_wgs84_matches_os_published_points() -> None:
    lat_ref, lon_ref, east, north = (
        np.array(c) for c in zip(*OS_TEST_POINTS.values(), strict=True)
    )
    lat, lon = bng_to_wgs84(east, north)
    error_m = geodesic_km(lat, lon, lat_ref, lon_ref) * 1000.0
    assert error_m.max() < 5.0, dict(zip(OS_TEST_POINTS, error_m.round(2), strict=True))
    # Degrees, as a check independent of geodesic_km.
    np.testing.assert_allclose(lat, lat_ref, atol=5e-5)
    np.testing.assert_allclose(lon, lon_ref, atol=8e-5)


def test_bng_to_wgs84_nan_and_shape() -> None:
    e = np.array([[530624.963, np.nan], [422242.174, 422242.174]])
    n = np.array([[178388.461, 178388.461], [np.nan, 433818.699]])
    lat, lon = bng_to_wgs84(e, n)
    assert lat.shape == lon.shape == (2, 2)
    np.testing.assert_array_equal(np.isnan(lat), [[False, True], [True, False]])
    np.testing.assert_array_equal(np.isnan(lon), np.isnan(lat))
    assert lat[0, 0] == pytest.approx(51.489366, abs=5e-5)
    assert lon[1, 1] == pytest.approx(-1.663792, abs=8e-5)


def test_bng_to_wgs84_scalar_and_unconvertible() -> None:
    lat, lon = bng_to_wgs84(530624.963, 178388.461)
    assert lat.shape == () and np.isfinite(lat) and np.isfinite(lon)
    lat, lon = bng_to_wgs84([1e12], [1e12])  # PROJ fails with inf; we want NaN
    assert np.isnan(lat[0]) and np.isnan(lon[0])


# --- geodesic ----------------------------------------------------------------------------

GEODESIC_PAIRS = [
    ((53.45146, -2.27829), (53.39631, -2.34818)),  # two Trafford schools, ~7.7 km
    ((51.5074, -0.1278), (55.9533, -3.1883)),  # London - Edinburgh
    ((50.0657, -5.7132), (58.6373, -3.0689)),  # Land's End - John o' Groats
    ((52.0, 1.7), (52.0, 1.70001)),  # ~0.7 m
    ((10.0, 10.0), (10.0, 10.0)),  # same point
    ((-33.9, 151.2), (51.5, -0.13)),  # Sydney - London, crosses the antimeridian
    ((0.0, 0.0), (0.5, 179.7)),  # nearly antipodal
]


def test_geodesic_km_matches_geopy() -> None:
    distance = pytest.importorskip("geopy.distance")
    points = np.array(GEODESIC_PAIRS)  # (pair, end, lat/lon)
    lat1, lon1, lat2, lon2 = points[:, 0, 0], points[:, 0, 1], points[:, 1, 0], points[:, 1, 1]
    got = geodesic_km(lat1, lon1, lat2, lon2)
    want = np.array([distance.geodesic(a, b).km for a, b in GEODESIC_PAIRS])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_geodesic_km_broadcasts_and_leaves_inputs_alone() -> None:
    zlat = np.array([[51.0], [52.0]])
    plat = np.array([51.0, 52.0, 53.0])
    plon = np.array([1.0, 1.0, 1.0])
    before = (zlat.copy(), plat.copy(), plon.copy())
    d = geodesic_km(zlat, 0.0, plat, plon)
    assert d.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert d[i, j] == geodesic_km(zlat[i, 0], 0.0, plat[j], plon[j])
    for a, b in zip((zlat, plat, plon), before, strict=True):
        np.testing.assert_array_equal(a, b)
    # Same-shape float64 inputs are the case where an in-place trick could clobber them.
    lat1, lon1 = np.array([51.0, 52.0]), np.array([0.0, 0.1])
    lat2, lon2 = np.array([51.5, 52.5]), np.array([0.2, 0.3])
    geodesic_km(lat1, lon1, lat2, lon2)
    np.testing.assert_array_equal(lon2, [0.2, 0.3])
    np.testing.assert_array_equal(lat1, [51.0, 52.0])


def test_geodesic_km_nan_propagation() -> None:
    d = geodesic_km(
        np.array([51.0, np.nan, 51.0, 51.0, 51.0]),
        np.array([0.0, 0.0, np.nan, 0.0, 0.0]),
        np.array([52.0, 52.0, 52.0, np.nan, 52.0]),
        np.array([1.0, 1.0, 1.0, 1.0, np.nan]),
    )
    assert np.isfinite(d[0])
    assert np.isnan(d[1:]).all()


# --- journeys ----------------------------------------------------------------------------

PARAMS = TravelParameters(
    road_circuity=1.5,
    road_speed_kmh=30.0,  # so minutes = 2 x road km
    transport_base_cost=1000.0,
    transport_cost_per_km=2.0,
    school_days=190,
    residential_trips_per_year=38,
)
ZONE_LAT = np.array([53.45, 53.40])
ZONE_LON = np.array([-2.30, -2.35])
PROV_LAT = np.array([53.46, 53.38, 53.50])
PROV_LON = np.array([-2.27, -2.33, -2.40])
RESIDENTIAL = np.array([False, True, False])


def _hand(zone: int, prov: int, road_km: float | None = None) -> tuple[float, float, float]:
    """(road km, minutes, cost) for one pair, written out from the contract."""
    if road_km is None:
        geo = float(geodesic_km(ZONE_LAT[zone], ZONE_LON[zone], PROV_LAT[prov], PROV_LON[prov]))
        road_km = 1.5 * geo
    trips = 38 if RESIDENTIAL[prov] else 190
    return road_km, road_km / 30.0 * 60.0, 1000.0 + 2.0 * road_km * 2 * trips


def _journeys(**kwargs) -> Journeys:
    return journeys(ZONE_LAT, ZONE_LON, PROV_LAT, PROV_LON, RESIDENTIAL, PARAMS, **kwargs)


def test_journeys_hand_case() -> None:
    j = _journeys()
    assert j.distance_km.shape == j.minutes.shape == j.transport_cost.shape == (2, 3)
    for z in range(2):
        for s in range(3):
            km, minutes, cost = _hand(z, s)
            assert j.distance_km[z, s] == pytest.approx(km, rel=1e-12)
            assert j.minutes[z, s] == pytest.approx(minutes, rel=1e-12)
            assert j.transport_cost[z, s] == pytest.approx(cost, rel=1e-12)
    # Pin one pair to absolute numbers so a shared mistake in _hand cannot hide:
    # zone 0 -> provider 0 is 2.2825907 km geodesic (geopy); a day placement, so
    # 2 x 190 return trips x £2/km = £760 per road km.
    geo = 2.2825907
    assert j.distance_km[0, 0] == pytest.approx(1.5 * geo, abs=1e-6)
    assert j.minutes[0, 0] == pytest.approx(2 * 1.5 * geo, abs=1e-6)
    assert j.transport_cost[0, 0] == pytest.approx(1000 + 760 * 1.5 * geo, abs=1e-3)
    # The residential provider is cheaper per km: 38 return trips, not 190.
    km = j.distance_km[0, 1]
    assert j.transport_cost[0, 1] == pytest.approx(1000 + 152 * km, rel=1e-12)


def test_pair_journeys_equals_dense_journeys() -> None:
    dense = _journeys()
    zi, si = np.meshgrid(np.arange(2), np.arange(3), indexing="ij")
    zi, si = zi.ravel(), si.ravel()
    pairs = pair_journeys(
        ZONE_LAT[zi], ZONE_LON[zi], PROV_LAT[si], PROV_LON[si], RESIDENTIAL[si], PARAMS
    )
    assert pairs.distance_km.shape == (6,)
    np.testing.assert_array_equal(pairs.distance_km, dense.distance_km.ravel())
    np.testing.assert_array_equal(pairs.minutes, dense.minutes.ravel())
    np.testing.assert_array_equal(pairs.transport_cost, dense.transport_cost.ravel())


def test_default_parameters() -> None:
    p = TravelParameters()
    assert (p.road_circuity, p.road_speed_kmh) == (1.3, 30.0)
    assert (p.transport_base_cost, p.transport_cost_per_km) == (1500.0, 1.5)
    assert (p.school_days, p.residential_trips_per_year) == (190, 38)
    with pytest.raises(ValueError, match="road_speed_kmh"):
        TravelParameters(road_speed_kmh=0.0)


def _overrides(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("minutes", "distance_km", "annual_transport_cost"):
        if column not in frame:
            frame[column] = np.nan
    return frame.astype(
        {
            "zone_row": "int64",
            "provider_row": "int64",
            "minutes": "float64",
            "distance_km": "float64",
            "annual_transport_cost": "float64",
        }
    )


def test_override_minutes_only() -> None:
    base = _journeys()
    j = _journeys(overrides=_overrides([{"zone_row": 0, "provider_row": 2, "minutes": 45.0}]))
    assert j.minutes[0, 2] == 45.0
    # Distance and cost stay computed from locations.
    assert j.distance_km[0, 2] == base.distance_km[0, 2]
    assert j.transport_cost[0, 2] == base.transport_cost[0, 2]
    untouched = np.ones((2, 3), dtype=bool)
    untouched[0, 2] = False
    np.testing.assert_array_equal(j.minutes[untouched], base.minutes[untouched])


def test_override_distance_only_drives_minutes_and_cost() -> None:
    j = _journeys(overrides=_overrides([{"zone_row": 1, "provider_row": 1, "distance_km": 12.0}]))
    assert j.distance_km[1, 1] == 12.0
    assert j.minutes[1, 1] == pytest.approx(24.0, rel=1e-12)  # 12 km at 30 km/h
    assert j.transport_cost[1, 1] == pytest.approx(1000 + 2.0 * 12 * 2 * 38, rel=1e-12)


def test_override_distance_and_minutes() -> None:
    j = _journeys(
        overrides=_overrides(
            [{"zone_row": 1, "provider_row": 0, "distance_km": 12.0, "minutes": 50.0}]
        )
    )
    assert (j.distance_km[1, 0], j.minutes[1, 0]) == (12.0, 50.0)
    assert j.transport_cost[1, 0] == pytest.approx(1000 + 2.0 * 12 * 2 * 190, rel=1e-12)


def test_override_annual_transport_cost_only() -> None:
    base = _journeys()
    j = _journeys(
        overrides=_overrides([{"zone_row": 0, "provider_row": 0, "annual_transport_cost": 9999.0}])
    )
    assert j.transport_cost[0, 0] == 9999.0
    assert j.distance_km[0, 0] == base.distance_km[0, 0]
    assert j.minutes[0, 0] == base.minutes[0, 0]


def test_nan_location_with_and_without_given_minutes() -> None:
    zone_lat = ZONE_LAT.copy()
    zone_lat[1] = np.nan
    overrides = _overrides(
        [
            {"zone_row": 1, "provider_row": 0, "minutes": 33.0},
            {"zone_row": 1, "provider_row": 1, "distance_km": 10.0},
            {"zone_row": 1, "provider_row": 2, "annual_transport_cost": 5000.0},
        ]
    )
    j = journeys(zone_lat, ZONE_LON, PROV_LAT, PROV_LON, RESIDENTIAL, PARAMS, overrides)
    # Minutes given: kept; km and cost cannot be computed.
    assert j.minutes[1, 0] == 33.0
    assert np.isnan(j.distance_km[1, 0]) and np.isnan(j.transport_cost[1, 0])
    # Distance given: everything follows from it.
    assert j.distance_km[1, 1] == 10.0
    assert j.minutes[1, 1] == pytest.approx(20.0, rel=1e-12)
    assert j.transport_cost[1, 1] == pytest.approx(1000 + 2.0 * 10 * 2 * 38, rel=1e-12)
    # Only cost given: minutes (and km) NaN for the caller to report.
    assert j.transport_cost[1, 2] == 5000.0
    assert np.isnan(j.minutes[1, 2]) and np.isnan(j.distance_km[1, 2])
    # The other zone is unaffected.
    np.testing.assert_array_equal(j.minutes[0], _journeys().minutes[0])


def test_nan_propagation_dense_and_pairs() -> None:
    zone_lon = ZONE_LON.copy()
    zone_lon[0] = np.nan
    prov_lat = PROV_LAT.copy()
    prov_lat[2] = np.nan
    j = journeys(ZONE_LAT, zone_lon, prov_lat, PROV_LON, RESIDENTIAL, PARAMS)
    expected_nan = np.array([[True, True, True], [False, False, True]])
    for arr in (j.distance_km, j.minutes, j.transport_cost):
        np.testing.assert_array_equal(np.isnan(arr), expected_nan)
    p = pair_journeys(
        np.array([53.4, np.nan]),
        np.array([-2.3, -2.3]),
        np.array([53.5, 53.5]),
        np.array([-2.2, -2.2]),
        np.array([True, False]),
        PARAMS,
    )
    for arr in (p.distance_km, p.minutes, p.transport_cost):
        np.testing.assert_array_equal(np.isnan(arr), [False, True])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"zone_row": 2, "provider_row": 0, "minutes": 1.0}], "zone_row"),
        ([{"zone_row": -1, "provider_row": 0, "minutes": 1.0}], "zone_row"),
        ([{"zone_row": 0, "provider_row": 3, "minutes": 1.0}], "provider_row"),
        (
            [
                {"zone_row": 0, "provider_row": 1, "minutes": 1.0},
                {"zone_row": 0, "provider_row": 1, "distance_km": 2.0},
            ],
            "more than once",
        ),
    ],
)
def test_bad_overrides_raise(rows: list[dict], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _journeys(overrides=_overrides(rows))


def test_residential_flags_may_be_zeros_and_ones() -> None:
    flags = np.array([False, True, False])
    given = journeys(ZONE_LAT, ZONE_LON, PROV_LAT, PROV_LON, flags, PARAMS)
    numbers = journeys(ZONE_LAT, ZONE_LON, PROV_LAT, PROV_LON, np.array([0, 1, 0]), PARAMS)
    np.testing.assert_array_equal(numbers.transport_cost, given.transport_cost)


def test_empty_overrides_and_missing_residential_flag() -> None:
    empty = _overrides([{"zone_row": 0, "provider_row": 0}]).iloc[:0]
    np.testing.assert_array_equal(_journeys(overrides=empty).minutes, _journeys().minutes)
    with pytest.raises(ValueError, match="residential"):
        journeys(ZONE_LAT, ZONE_LON, PROV_LAT, PROV_LON, np.array([0.0, np.nan, 1.0]), PARAMS)
