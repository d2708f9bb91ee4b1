"""Hovmöller diagrams: a field against longitude (or latitude) and time, time on the y axis.

Travelling waves show up as sloping stripes whose slope is the phase speed (Hovmöller 1949):
eastward-moving Rossby–Haurwitz waves, baroclinic waves or the Madden–Julian oscillation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ngcm_lab.plotting._common import (
    LAT_NAMES,
    LON_NAMES,
    TIME_NAMES,
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
    time_axis,
)
from ngcm_lab.plotting.maps import add_cyclic_point

SPACE_KINDS = ("longitude", "latitude")


def _hovmoller_inputs(
    field: Any, time: Any, coord: Any, space_kind: str | None
) -> tuple[np.ndarray, Any, np.ndarray, str]:
    """(values[ntime, nspace], time, coordinate in degrees, "longitude" or "latitude")."""
    if is_dataarray(field):
        da = field.squeeze()
        lat_dim, lon_dim = find_dim(da, LAT_NAMES), find_dim(da, LON_NAMES)
        if lat_dim is not None and lon_dim is not None:
            raise ValueError(
                "the field has both latitude and longitude: average or select one first, "
                f"e.g. field.sel({lat_dim}=slice(-10, 10)).mean({lat_dim!r})"
            )
        space_dim = lon_dim or lat_dim
        time_dim = find_dim(da, TIME_NAMES)
        if space_dim is None or time_dim is None or da.ndim != 2:
            raise ValueError(
                f"a Hovmöller DataArray needs dims (time, lon) or (time, lat); got {da.dims}"
            )
        if space_kind is None:
            space_kind = "longitude" if space_dim == lon_dim else "latitude"
        if time is None:
            # Lead time (days since the start) reads better than dates for idealised runs.
            has_lead = "lead_time" in da.coords and da["lead_time"].dims == (time_dim,)
            time = da["lead_time"] if has_lead else da[time_dim]
        if coord is None:
            coord = da[space_dim].values
        field = da.transpose(time_dim, space_dim)
    if time is None or coord is None:
        raise ValueError("pass time= and the longitudes or latitudes (degrees), or a DataArray")
    values, coord = as_float_array(field), as_float_array(coord).ravel()
    if space_kind is None:
        space_kind = "longitude" if np.nanmax(np.abs(coord)) > 90.0 else "latitude"
    if space_kind not in SPACE_KINDS:
        raise ValueError(f"space_kind must be one of {SPACE_KINDS}, got {space_kind!r}")
    n_time = np.asarray(time.values if is_dataarray(time) else time).size
    if values.shape != (n_time, coord.size):
        raise ValueError(
            f"field has shape {values.shape}; expected (ntime, n{space_kind[:3]}) = "
            f"({n_time}, {coord.size})"
        )
    return values, time, coord, space_kind


def plot_hovmoller(
    field: Any,
    time: Any = None,
    lon_or_lat: Any = None,
    *,
    space_kind: str | None = None,
    time_units: str | None = None,
    title: str | None = None,
    cmap: Any = None,
    symmetric: bool = False,
    levels: int | Sequence[float] | None = None,
    units: str | None = None,
    ax: Any = None,
) -> Any:
    """Filled contours of a ``(ntime, nlon)`` or ``(ntime, nlat)`` field, time up the y axis.

    ``time`` may be datetime64 (a date axis), timedelta64 (days, or hours for short spans) or
    numbers (labelled with ``time_units``). ``lon_or_lat`` are degrees; ``space_kind`` says which
    (default: guessed, longitude when any value exceeds 90°). A DataArray with dims
    ``(time, lon)`` or ``(time, lat)`` supplies all of these, preferring its ``lead_time``
    coordinate (days since the start) to dates. Global longitudes are closed with a cyclic
    point. With ``ax`` the axes is cleared and redrawn and its colour bar reused.
    """
    label = field_label(field, units)
    values, time, coord, space_kind = _hovmoller_inputs(field, time, lon_or_lat, space_kind)
    t, ylabel = time_axis(time, time_units)
    order = np.argsort(coord)
    values, coord = values[:, order], coord[order]
    if space_kind == "longitude":
        values, coord = add_cyclic_point(values, coord)
    chosen = contour_levels(values, levels, symmetric)
    if ax is None:
        ax = new_axes(None, (6.0, 5.5))
    else:
        ax.clear()
    filled = ax.contourf(
        coord,
        t,
        values,
        levels=chosen,
        cmap=default_cmap(cmap, symmetric),
        extend=extend(values, chosen),
    )
    cbar = colorbar(ax, filled, label, orientation="vertical")
    label_band_centres(cbar, chosen, levels, symmetric)
    if space_kind == "longitude":
        ax.set_xlabel("longitude (°E)")
        span = coord.max() - coord.min()
        if span > 120:
            start = 60.0 * np.ceil(coord.min() / 60.0)
            ax.set_xticks(np.arange(start, coord.max() + 1e-6, 60.0))
    else:
        ax.set_xlabel("latitude")
        latitude_ticks(ax, coord)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax.figure
