"""Global maps: filled contours of a ``(lat, lon)`` field on a cartopy map, offline coastlines.

Longitudes are wrapped to the projection's central longitude before the cyclic point is added,
so the seam of the data never lies on the map's edge (where cartopy mis-fills the polar caps).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ngcm_lab.coastlines import add_borders, add_coastlines, use_offline_natural_earth
from ngcm_lab.plotting._common import (
    LAT_NAMES,
    LON_NAMES,
    colorbar,
    contour_levels,
    default_cmap,
    extend,
    find_coord,
    is_dataarray,
    label_band_centres,
)


def add_cyclic_point(values: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Repeat the first longitude column at ``lon[0] + 360`` for a global, evenly spaced grid.

    Without it, filled contours stop one grid interval short of closing the circle and leave a
    white stripe at the seam. Regional or already-cyclic grids are returned unchanged.
    """
    lon = np.asarray(lon, dtype=float)
    if not _is_global(lon):
        return values, lon
    values = np.concatenate([values, values[..., :1]], axis=-1)
    return values, np.append(lon, lon[0] + 360.0)


def _pad_poles(values: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extend ascending latitudes of ``(..., nlat, nlon)`` values to ±90° (outermost rows repeated).

    Gaussian latitudes stop short of the poles (at 87.9° for T42), which would leave blank polar
    caps; showing the nearest row there is what a cell-filling plot would show too.
    """
    if lat[0] > -90.0:
        lat = np.concatenate([[-90.0], lat])
        values = np.concatenate([values[..., :1, :], values], axis=-2)
    if lat[-1] < 90.0:
        lat = np.append(lat, 90.0)
        values = np.concatenate([values, values[..., -1:, :]], axis=-2)
    return values, lat


def _is_global(lon: np.ndarray) -> bool:
    """Evenly spaced longitudes covering the circle once: 0, Δ, …, 360 − Δ (any origin)."""
    if lon.size < 2:
        return False
    step = np.diff(lon)
    return bool(
        np.allclose(step, step[0], rtol=1e-6)
        and np.isclose(lon[-1] + step[0] - lon[0], 360.0, atol=1e-6 * 360)
    )


def central_longitude(projection: Any) -> float:
    """The longitude (degrees) a cartopy projection is centred on; 0 when it has none."""
    params = getattr(projection, "proj4_params", None) or {}
    return float(params.get("lon_0", 0.0))


def wrap_longitudes(
    values: np.ndarray, lon: np.ndarray, centre: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Roll a global field so its longitudes run from ``centre`` over 360° (the seam at the centre).

    ``centre`` is first brought into [−180°, 180°), so longitudes stay within [−180°, 540°). A map
    centred on ``centre`` then has the data's seam in its middle, where the cyclic point closes it,
    and never on its left/right edge: with the seam exactly on the edge (0…360° data on a map
    centred on 180°, or any grid with a point at centre ± 180°) cartopy cannot tell which side the
    polygons touching the edge lie on, and Robinson maps get their polar caps filled with the
    wrong colour. Regional (non-global) grids are returned unchanged; a grid that repeats its
    first longitude at the end loses the repeat (``add_cyclic_point`` adds it back).
    """
    lon = np.asarray(lon, dtype=float)
    if lon.size > 2 and np.isclose(lon[-1] - lon[0], 360.0, atol=1e-6 * 360):
        if np.allclose(values[..., -1], values[..., 0], equal_nan=True):
            values, lon = values[..., :-1], lon[:-1]
    if not _is_global(lon):
        return values, lon
    start = (float(centre) + 180.0) % 360.0 - 180.0
    wrapped = (lon - start) % 360.0 + start
    wrapped[wrapped >= start + 360.0 - 1e-9] -= 360.0  # (x % 360) can round up to 360
    order = np.argsort(wrapped, kind="stable")
    return values[..., order], wrapped[order]


def _map_inputs(
    field: Any, lat: Any, lon: Any, units: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    """Return (values[nlat, nlon], lat, lon, colorbar label) from numpy or xarray input."""
    label = None
    if is_dataarray(field):
        lat_name, lon_name = find_coord(field, LAT_NAMES), find_coord(field, LON_NAMES)
        if lat is None and lat_name is not None:
            lat = field[lat_name].values
        if lon is None and lon_name is not None:
            lon = field[lon_name].values
        if lat_name is not None and lon_name is not None:
            field = field.squeeze().transpose(..., lat_name, lon_name)
        units = units if units is not None else field.attrs.get("units")
        label = field.attrs.get("long_name") or field.name
    if lat is None or lon is None:
        raise ValueError(
            "plot_map needs latitudes and longitudes in degrees: pass lat= and lon=, or a "
            f"DataArray with coordinates named one of {LAT_NAMES} and {LON_NAMES}"
        )
    values = np.squeeze(np.asarray(field, dtype=float))
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if values.shape != (lat.size, lon.size):
        raise ValueError(
            f"field has shape {values.shape}; expected (nlat, nlon) = ({lat.size}, {lon.size})"
        )
    if lat.size > 3 and np.abs(lat).max() <= np.pi / 2 and np.abs(lon).max() <= 2 * np.pi:
        raise ValueError("lat/lon look like radians; plot_map expects degrees")
    order = np.argsort(lat)
    if units:
        label = f"{label} ({units})" if label else f"({units})"
    return values[order], lat[order], lon, label


def _geo_axes(ax: Any, projection: Any) -> Any:
    """A cartopy GeoAxes: a new figure's, or ``ax`` cleared for redrawing."""
    import cartopy.crs as ccrs
    import matplotlib.pyplot as plt

    if ax is None:
        fig = plt.figure(figsize=(9.0, 5.2), layout="constrained")
        return fig.add_subplot(projection=projection or ccrs.Robinson())
    if not hasattr(ax, "projection"):
        raise TypeError("plot_map needs a cartopy GeoAxes, e.g. fig.add_subplot(projection=...)")
    ax.clear()
    return ax


def plot_map(
    field: Any,
    lat: Any = None,
    lon: Any = None,
    *,
    projection: Any = None,
    title: str | None = None,
    cmap: Any = None,
    symmetric: bool = False,
    levels: int | Sequence[float] | None = None,
    units: str | None = None,
    ax: Any = None,
    coastlines: bool = True,
) -> Any:
    """Filled-contour map of a global field on ``(nlat, nlon)`` points, with coastlines.

    ``field`` is a numpy array with ``lat``/``lon`` in degrees, or a DataArray whose ``lat``/``lon``
    (or ``latitude``/``longitude``) coordinates, ``long_name`` and ``units`` are used. Latitudes
    may be in either order, longitudes in any 360° window (0…360 or −180…180). ``symmetric=True``
    centres a diverging colormap on zero (anomalies, vorticity). ``levels`` is a number of
    contour intervals or explicit level values. ``projection`` is a cartopy CRS (default
    Robinson), centred anywhere. With ``ax`` (a GeoAxes) the axes is cleared and redrawn and its
    colorbar reused, so a widget can call this repeatedly. Coastlines and borders come from the
    vendored Natural Earth files: no network is needed.
    """
    values, lat, lon, label = _map_inputs(field, lat, lon, units)
    ax = _geo_axes(ax, projection)
    values, lat, lon = prepare_global(values, lat, lon, ax.projection)
    chosen = contour_levels(values, levels, symmetric)
    ax.set_global()
    filled = draw_filled(ax, values, lat, lon, chosen, default_cmap(cmap, symmetric))
    if coastlines:
        use_offline_natural_earth()
        add_coastlines(ax, color="k")
        add_borders(ax)
    cbar = colorbar(ax, filled, label)
    label_band_centres(cbar, chosen, levels, symmetric)
    if title:
        ax.set_title(title)
    return ax.figure


def prepare_global(
    values: np.ndarray, lat: np.ndarray, lon: np.ndarray, projection: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(..., nlat, nlon)`` values on ascending latitudes, ready to contour on ``projection``.

    Longitudes are wrapped to start at the projection's centre, the cyclic point is added and
    the latitudes are extended to the poles.
    """
    values, lon = wrap_longitudes(values, lon, central_longitude(projection))
    values, lon = add_cyclic_point(values, lon)
    values, lat = _pad_poles(values, lat)
    return values, lat, lon


def draw_filled(
    ax: Any,
    values: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    levels: np.ndarray,
    cmap: Any,
    extend_to: np.ndarray | None = None,
) -> Any:
    """Filled contours of prepared values on a GeoAxes; colour-bar arrows from ``extend_to``."""
    import cartopy.crs as ccrs

    return ax.contourf(
        lon,
        lat,
        values,
        levels=levels,
        cmap=cmap,
        extend=extend(values if extend_to is None else extend_to, levels),
        transform=ccrs.PlateCarree(),
    )
