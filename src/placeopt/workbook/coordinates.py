"""Locations as the workbook gives them: British National Grid metres to WGS84 degrees.

The reader turns every easting/northing into latitude/longitude here, so everything
downstream (journeys, maps) works in one coordinate system.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
import pyproj

ArrayLike = npt.ArrayLike


@functools.cache
def _bng_transformer() -> pyproj.Transformer:
    # Built once: constructing a Transformer queries proj.db and costs milliseconds.
    # PROJ picks the best operation it has: the OSTN15 grid when installed, otherwise the
    # 7-parameter Helmert "OSGB36 to WGS 84 (6)" (~2 m), ample for journey distances.
    return pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def bng_to_wgs84(easting: ArrayLike, northing: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert British National Grid (EPSG:27700) metres to WGS84 degrees.

    Parameters
    ----------
    easting, northing : array_like
        Metres; broadcast against each other. NaN marks a missing location.

    Returns
    -------
    latitude, longitude : numpy.ndarray
        Degrees, in the broadcast shape; NaN where the input is NaN or not convertible.
    """
    e, n = np.broadcast_arrays(
        np.asarray(easting, dtype=np.float64), np.asarray(northing, dtype=np.float64)
    )
    shape = e.shape
    lon, lat = _bng_transformer().transform(e.ravel(), n.ravel())
    lat = np.asarray(lat, dtype=np.float64).reshape(shape)
    lon = np.asarray(lon, dtype=np.float64).reshape(shape)
    # PROJ signals failure (including a NaN in either coordinate) with inf, not NaN.
    bad = ~(np.isfinite(lat) & np.isfinite(lon))
    lat[bad] = np.nan
    lon[bad] = np.nan
    return lat, lon
