"""One-call figures: a global map of a field and a kinetic-energy spectrum.

Both take plain numpy arrays or ``xarray.DataArray`` objects (latitude/longitude in degrees) and
return the matplotlib ``Figure``. Given ``ax=``, they draw into that axes and return ``ax.figure``,
so a widget can redraw in place. The active matplotlib backend is used as it is; figures are made
with pyplot, so in a notebook end the call with ``;`` (or assign it) to show the figure once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ngcm_lab.coastlines import add_borders, add_coastlines, use_offline_natural_earth

LAT_NAMES = ("lat", "latitude")
LON_NAMES = ("lon", "longitude")
_COLORBAR_LABEL = "ngcm_lab colorbar for axes {}"


def add_cyclic_point(values: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Repeat the first longitude column at ``lon[0] + 360`` for a global, evenly spaced grid.

    Without it, filled contours stop one grid interval short of closing the circle and leave a
    white stripe at the seam. Regional or already-cyclic grids are returned unchanged.
    """
    lon = np.asarray(lon, dtype=float)
    if lon.size < 2:
        return values, lon
    step = np.diff(lon)
    is_even = np.allclose(step, step[0], rtol=1e-6)
    if not is_even or not np.isclose(lon[-1] + step[0] - lon[0], 360.0, atol=1e-6 * 360):
        return values, lon
    values = np.concatenate([values, values[..., :1]], axis=-1)
    return values, np.append(lon, lon[0] + 360.0)


def _pad_poles(values: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extend ascending latitudes to ±90° by repeating the outermost rows.

    Gaussian latitudes stop short of the poles (at 87.9° for T42), which would leave blank polar
    caps; showing the nearest row there is what a cell-filling plot would show too.
    """
    if lat[0] > -90.0:
        lat, values = np.concatenate([[-90.0], lat]), np.concatenate([values[:1], values])
    if lat[-1] < 90.0:
        lat, values = np.append(lat, 90.0), np.concatenate([values, values[-1:]])
    return values, lat


def _find_coord(field: Any, names: Sequence[str]) -> str | None:
    """Name of the first of ``names`` that is a coordinate of the DataArray, if any."""
    return next((name for name in names if name in field.coords), None)


def _map_inputs(
    field: Any, lat: Any, lon: Any, units: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    """Return (values[nlat, nlon], lat, lon, colorbar label) from numpy or xarray input."""
    label = None
    if hasattr(field, "coords") and hasattr(field, "dims"):  # xarray.DataArray
        lat_name, lon_name = _find_coord(field, LAT_NAMES), _find_coord(field, LON_NAMES)
        if lat is None and lat_name is not None:
            lat = field[lat_name].values
        if lon is None and lon_name is not None:
            lon = field[lon_name].values
        if lat_name is not None and lon_name is not None:
            field = field.squeeze().transpose(..., lat_name, lon_name)
        attrs = field.attrs
        units = units if units is not None else attrs.get("units")
        label = attrs.get("long_name") or field.name
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


def _contour_levels(
    values: np.ndarray, levels: int | Sequence[float] | None, symmetric: bool
) -> np.ndarray:
    """Contour levels: the given sequence, or ``levels`` (default 12) nicely rounded steps."""
    from matplotlib.ticker import MaxNLocator

    if levels is not None and not isinstance(levels, int | np.integer):
        return np.asarray(levels, dtype=float)
    lo, hi = np.nanmin(values), np.nanmax(values)
    if symmetric:
        lo, hi = -max(abs(lo), abs(hi)), max(abs(lo), abs(hi))
    if not np.isfinite(lo) or not np.isfinite(hi):
        raise ValueError("field has no finite values to plot")
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1.0):  # constant field: one band around it
        lo, hi = lo - max(abs(lo) * 1e-3, 1e-12), hi + max(abs(hi) * 1e-3, 1e-12)
    nbins = 12 if levels is None else int(levels)
    ticks = MaxNLocator(nbins=nbins, symmetric=symmetric).tick_values(lo, hi)
    if not symmetric:
        return ticks
    # Odd number of bands with the middle one straddling zero, so near-zero noise stays white
    # instead of flickering between the first red and first blue band.
    step = ticks[1] - ticks[0]
    k = np.ceil(hi / step - 0.5)
    return np.arange(-k - 0.5, k + 0.5 + 1e-9) * step


def _extend(values: np.ndarray, levels: np.ndarray) -> str:
    """Which colorbar ends need arrows because data fall outside the levels."""
    below, above = np.nanmin(values) < levels[0], np.nanmax(values) > levels[-1]
    return {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (bool(below), bool(above)), "both"
    )


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


def _colorbar(ax: Any, mappable: Any, label: str | None) -> Any:
    """Add a horizontal colorbar below ``ax``, reusing the one a previous call made."""
    fig = ax.figure
    tag = _COLORBAR_LABEL.format(id(ax))
    cax = next((other for other in fig.axes if other.get_label() == tag), None)
    if cax is None:
        cbar = fig.colorbar(mappable, ax=ax, orientation="horizontal", shrink=0.75, aspect=40)
        cbar.ax.set_label(tag)
    else:
        cax.clear()
        cbar = fig.colorbar(mappable, cax=cax, orientation="horizontal")
    if label:
        cbar.set_label(label)
    return cbar


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
    may be in either order. ``symmetric=True`` centres a diverging colormap on zero (anomalies,
    vorticity). ``levels`` is a number of contour intervals or explicit level values.
    ``projection`` is a cartopy CRS (default Robinson). With ``ax`` (a GeoAxes) the axes is
    cleared and redrawn and its colorbar reused, so a widget can call this repeatedly.
    Coastlines and borders come from the vendored Natural Earth files: no network is needed.
    """
    import cartopy.crs as ccrs

    values, lat, lon, label = _map_inputs(field, lat, lon, units)
    values, lon = add_cyclic_point(values, lon)
    values, lat = _pad_poles(values, lat)
    contour_levels = _contour_levels(values, levels, symmetric)
    ax = _geo_axes(ax, projection)
    ax.set_global()
    filled = ax.contourf(
        lon,
        lat,
        values,
        levels=contour_levels,
        cmap=cmap or ("RdBu_r" if symmetric else "viridis"),
        extend=_extend(values, contour_levels),
        transform=ccrs.PlateCarree(),
    )
    if coastlines:
        use_offline_natural_earth()
        add_coastlines(ax, color="k")
        add_borders(ax)
    cbar = _colorbar(ax, filled, label)
    if symmetric and (levels is None or isinstance(levels, int)):  # label the band centres
        step = contour_levels[1] - contour_levels[0]
        cbar.set_ticks(np.arange(contour_levels[0] + step / 2, contour_levels[-1], step))
    if title:
        ax.set_title(title)
    return ax.figure


def plot_energy_spectrum(
    wavenumber: Any,
    energy: Any,
    *,
    ax: Any = None,
    label: str | None = None,
    reference_slope: float | None = -3.0,
    title: str | None = None,
) -> Any:
    """Log–log kinetic-energy spectrum against total wavenumber n, skipping n = 0.

    A dashed guide line of slope ``reference_slope`` (default −3, the enstrophy-cascade range of
    two-dimensional turbulence, Kraichnan 1967) is drawn through the curve at mid-range; pass
    ``None`` to omit it, e.g. when overlaying further spectra on the same ``ax``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, LogLocator

    n = np.asarray(wavenumber, dtype=float).ravel()
    e = np.asarray(energy, dtype=float).ravel()
    if n.shape != e.shape:
        raise ValueError(f"wavenumber has {n.size} values but energy has {e.size}")
    keep = (n > 0) & (e > 0) & np.isfinite(e)
    n, e = n[keep], e[keep]
    if n.size == 0:
        raise ValueError("no positive energy at wavenumbers n > 0 to plot")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 4.5), layout="constrained")
    (line,) = ax.loglog(n, e, label=label, marker="." if n.size < 30 else None)
    if reference_slope is not None and n.size >= 3:
        n_mid = np.sqrt(n.min() * n.max())
        e_mid = np.exp(np.interp(np.log(n_mid), np.log(n), np.log(e)))
        guide_n = np.geomspace(np.sqrt(n.min() * n_mid), np.sqrt(n_mid * n.max()), 20)
        ax.loglog(
            guide_n,
            e_mid * (guide_n / n_mid) ** reference_slope,
            linestyle="--",
            color="0.4",
            linewidth=1.0,
            label=f"$n^{{{reference_slope:g}}}$",
        )
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.set_xlabel("total wavenumber n")
    ax.set_ylabel("kinetic energy per unit mass (m² s⁻²)")
    ax.grid(True, which="major", alpha=0.3)
    if label is not None or reference_slope is not None:
        ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax.figure
