"""Vertical views: latitude–height sections of zonal means, and column profiles.

The vertical coordinate is σ = p/p_s (the model's levels, 0 at the top and 1 at the surface) or
pressure (given in Pa, the package's SI convention, or in hPa; drawn in hPa). Either way the axis
is reversed so that the surface is at the bottom of the figure, as an atmosphere is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ngcm_lab.plotting._common import (
    LAT_NAMES,
    LON_NAMES,
    as_float_array,
    colorbar,
    contour_levels,
    default_cmap,
    extend,
    field_label,
    find_dim,
    is_dataarray,
    label_band_centres,
    latitude_ticks,
    new_axes,
)

VERTICAL_KINDS = ("sigma", "pressure")
# Coordinates that hold the vertical axis in model output and in reanalyses, by kind.
_VERTICAL_COORDS = {
    "sigma": ("sigma", "level", "lev"),
    "pressure": ("pressure", "level", "plev", "pressure_level", "isobaricInhPa", "lev"),
}
_HPA_UNITS = ("hPa", "hpa", "mbar", "millibar", "mb")
_STANDARD_PRESSURES_HPA = (1000, 850, 700, 500, 300, 200, 100, 50, 20, 10, 5, 2, 1)


def _check_kind(vertical_kind: str) -> None:
    if vertical_kind not in VERTICAL_KINDS:
        raise ValueError(f"vertical_kind must be one of {VERTICAL_KINDS}, got {vertical_kind!r}")


def _vertical_dim(da: Any, vertical_kind: str) -> str:
    """The DataArray dimension that is the vertical axis (not lat, lon or time)."""
    for name in _VERTICAL_COORDS[vertical_kind]:
        if name in da.coords and len(da[name].dims) == 1 and da[name].dims[0] in da.dims:
            return da[name].dims[0]
    spatial = set(LAT_NAMES) | set(LON_NAMES) | {"time"}
    candidates = [dim for dim in da.dims if dim not in spatial and da.sizes[dim] > 1]
    if len(candidates) != 1:
        raise ValueError(
            f"cannot tell the vertical dimension of a DataArray with dims {tuple(da.dims)}; "
            "pass vertical= and a numpy array, or select the other dimensions first"
        )
    return candidates[0]


def _vertical_values(da: Any, dim: str, vertical_kind: str) -> tuple[np.ndarray, str | None]:
    """Values (and units) of the vertical coordinate along ``dim``, preferring the kind's names."""
    for name in _VERTICAL_COORDS[vertical_kind]:
        if name in da.coords and da[name].dims == (dim,):
            return np.asarray(da[name].values, float), da[name].attrs.get("units")
    if dim in da.coords:
        return np.asarray(da[dim].values, float), da[dim].attrs.get("units")
    raise ValueError(
        f"the DataArray has no {vertical_kind} coordinate along {dim!r} (looked for "
        f"{_VERTICAL_COORDS[vertical_kind]}); pass vertical= explicitly"
    )


def _vertical_axis(
    vertical: np.ndarray, vertical_kind: str, units: str | None = None
) -> tuple[np.ndarray, str]:
    """Vertical values to draw and the axis label: σ as is, pressure in hPa."""
    vertical = np.asarray(vertical, dtype=float)
    if vertical_kind == "sigma":
        if np.nanmax(vertical) > 1.5:
            raise ValueError(
                "vertical values exceed 1 and so are not σ = p/p_s; for pressure levels pass "
                'vertical_kind="pressure"'
            )
        return vertical, "σ = p / p$_s$"
    in_hpa = units in _HPA_UNITS if units else np.nanmax(vertical) <= 2000.0
    return (vertical if in_hpa else vertical / 100.0), "pressure (hPa)"


def _finish_vertical(ax: Any, vertical: np.ndarray, vertical_kind: str, log_pressure: bool):
    """Surface at the bottom; a log axis with the standard levels for pressure if asked."""
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    if log_pressure and vertical_kind == "pressure":
        ax.set_yscale("log")
        lo, hi = np.nanmin(vertical), np.nanmax(vertical)
        ticks = [p for p in _STANDARD_PRESSURES_HPA if lo * 0.999 <= p <= hi * 1.001]
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
    if not ax.yaxis_inverted():
        ax.invert_yaxis()


def _section_inputs(
    field: Any, lat: Any, vertical: Any, vertical_kind: str, units: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None, str | None]:
    """(values[nlev, nlat], lat, vertical, its units, colorbar label); longitudes averaged."""
    label = field_label(field, units)
    vertical_units = None
    if is_dataarray(field):
        lon_dim = find_dim(field, LON_NAMES)
        if lon_dim is not None:
            field = field.mean(lon_dim, keep_attrs=True)
        field = field.squeeze()
        if field.ndim != 2:
            raise ValueError(
                f"a section needs (level, lat) after averaging longitude; got dims {field.dims}: "
                "select or average the others first, e.g. field.isel(time=-1)"
            )
        lat_dim = find_dim(field, LAT_NAMES)
        if lat_dim is None:
            raise ValueError(f"the DataArray needs a latitude dimension named one of {LAT_NAMES}")
        v_dim = _vertical_dim(field, vertical_kind)
        if lat is None:
            lat = field[lat_dim].values
        if vertical is None:
            vertical, vertical_units = _vertical_values(field, v_dim, vertical_kind)
        field = field.transpose(v_dim, lat_dim)
    if lat is None or vertical is None:
        raise ValueError("pass lat= (degrees) and vertical= (σ or pressure), or a DataArray")
    values = as_float_array(field)
    lat, vertical = as_float_array(lat).ravel(), as_float_array(vertical).ravel()
    if values.ndim == 3:  # (level, lat, lon): the zonal mean
        values = values.mean(axis=-1)
    if values.shape != (vertical.size, lat.size):
        raise ValueError(
            f"field has shape {values.shape}; expected (nlevels, nlat) = "
            f"({vertical.size}, {lat.size}), or (nlevels, nlat, nlon) to be zonally averaged"
        )
    return values, lat, vertical, vertical_units, label


def plot_zonal_mean_section(
    field: Any,
    lat: Any = None,
    vertical: Any = None,
    *,
    vertical_kind: str = "sigma",
    title: str | None = None,
    cmap: Any = None,
    symmetric: bool = False,
    levels: int | Sequence[float] | None = None,
    units: str | None = None,
    contour_lines: bool = True,
    log_pressure: bool = False,
    ax: Any = None,
) -> Any:
    """Latitude–height section: filled contours with labelled contour lines on top.

    ``field`` is ``(nlevels, nlat)`` (or ``(nlevels, nlat, nlon)``, averaged over longitude) with
    ``lat`` in degrees and ``vertical`` the σ values (``vertical_kind="sigma"``) or pressures in
    Pa or hPa (``vertical_kind="pressure"``) of the levels; or a DataArray whose latitude and
    vertical coordinates (``sigma`` of ngcm_lab output; ``level``/``plev``/… for pressure),
    ``long_name`` and ``units`` are used, and whose longitude dimension is averaged over.
    ``symmetric=True`` centres a diverging colormap on zero (zonal wind, anomalies); negative
    contour lines are then dashed. ``log_pressure=True`` draws pressure on a log axis. The
    vertical axis is reversed so the surface is at the bottom. With ``ax`` the axes is cleared
    and redrawn and its colour bar reused.
    """
    _check_kind(vertical_kind)
    values, lat, vertical, v_units, label = _section_inputs(
        field, lat, vertical, vertical_kind, units
    )
    vertical, ylabel = _vertical_axis(vertical, vertical_kind, v_units)
    order_lat, order_v = np.argsort(lat), np.argsort(vertical)
    lat, vertical = lat[order_lat], vertical[order_v]
    values = values[order_v][:, order_lat]
    chosen = contour_levels(values, levels, symmetric)
    if ax is None:
        ax = new_axes(None, (7.0, 4.5))
    else:
        ax.clear()
    filled = ax.contourf(
        lat,
        vertical,
        values,
        levels=chosen,
        cmap=default_cmap(cmap, symmetric),
        extend=extend(values, chosen),
    )
    if contour_lines:
        # Symmetric bands are centred on 0, ±Δ, …: draw the lines there (0 included).
        line_levels = 0.5 * (chosen[1:] + chosen[:-1]) if symmetric else chosen
        lines = ax.contour(lat, vertical, values, levels=line_levels, colors="k", linewidths=0.6)
        ax.clabel(lines, fmt=lambda x: f"{x:.3g}", fontsize=8, inline=True)
    cbar = colorbar(ax, filled, label, orientation="vertical")
    label_band_centres(cbar, chosen, levels, symmetric)
    ax.set_xlabel("latitude")
    latitude_ticks(ax, lat)
    ax.set_ylabel(ylabel)
    _finish_vertical(ax, vertical, vertical_kind, log_pressure)
    if title:
        ax.set_title(title)
    return ax.figure


def _short(value: Any) -> str:
    """A coordinate value for a legend: numbers to 4 significant digits, others as they print."""
    return f"{value:.4g}" if isinstance(value, float | np.floating) else str(value)


def _profile_inputs(
    values: Any, vertical: Any, vertical_kind: str, labels: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, str | None, list[str] | None]:
    """(profiles[n, nlev], vertical, its units, line labels) from arrays, dicts or DataArrays."""
    vertical_units = None
    if isinstance(values, Mapping):
        labels = list(values) if labels is None else labels
        values = [as_float_array(v).ravel() for v in values.values()]
    elif is_dataarray(values):
        da = values.squeeze()
        v_dim = da.dims[0] if da.ndim == 1 else _vertical_dim(da, vertical_kind)
        if vertical is None:
            vertical, vertical_units = _vertical_values(da, v_dim, vertical_kind)
        if da.ndim == 2:
            other = next(dim for dim in da.dims if dim != v_dim)
            if labels is None and other in da.coords:
                labels = [f"{other} = {_short(value)}" for value in np.asarray(da[other].values)]
            da = da.transpose(other, v_dim)
        values = da.values
    if vertical is None:
        raise ValueError("pass vertical= (σ or pressure of the levels), or a DataArray")
    vertical = as_float_array(vertical).ravel()
    profiles = np.atleast_2d(np.asarray(values, dtype=float))
    if profiles.ndim != 2:
        raise ValueError(f"profiles must be 1-D or 2-D, got shape {profiles.shape}")
    if profiles.shape[-1] != vertical.size and profiles.shape[0] == vertical.size:
        profiles = profiles.T  # given as (nlevels, nprofiles)
    if profiles.shape[-1] != vertical.size:
        raise ValueError(
            f"profiles have shape {profiles.shape}; expected (nprofiles, {vertical.size}) "
            "to match vertical"
        )
    if labels is not None and len(labels) != profiles.shape[0]:
        raise ValueError(f"{len(labels)} labels for {profiles.shape[0]} profiles")
    return profiles, vertical, vertical_units, None if labels is None else list(labels)


def plot_column_profile(
    values: Any,
    vertical: Any = None,
    *,
    vertical_kind: str = "sigma",
    labels: Sequence[str] | None = None,
    units: str | None = None,
    xlabel: str | None = None,
    title: str | None = None,
    log_pressure: bool = False,
    ax: Any = None,
) -> Any:
    """One or more vertical profiles, value on x and σ or pressure on y (surface at the bottom).

    ``values`` is one profile ``(nlevels,)``, several ``(nprofiles, nlevels)``, a dict
    ``{label: profile}``, or a DataArray with a vertical dimension (and optionally one more,
    e.g. time or a station, giving one line per entry). ``vertical`` are the σ values or
    pressures (Pa or hPa) of the levels, taken from the DataArray's coordinates when omitted.
    Profiles are added to ``ax`` when given, so calls can overlay.
    """
    _check_kind(vertical_kind)
    label = field_label(values, units)
    profiles, vertical, v_units, labels = _profile_inputs(values, vertical, vertical_kind, labels)
    vertical, ylabel = _vertical_axis(vertical, vertical_kind, v_units)
    ax = new_axes(ax, (4.5, 5.0))
    marker = "." if vertical.size <= 40 else None
    for i, profile in enumerate(profiles):
        ax.plot(profile, vertical, marker=marker, label=None if labels is None else labels[i])
    ax.set_xlabel(xlabel or label or "value")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    _finish_vertical(ax, vertical, vertical_kind, log_pressure)
    if labels is not None:
        ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax.figure
