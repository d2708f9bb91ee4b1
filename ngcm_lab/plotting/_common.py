"""Helpers shared by the plotting modules: xarray inputs, labels, contour levels, colour bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LAT_NAMES = ("lat", "latitude")
LON_NAMES = ("lon", "longitude")
TIME_NAMES = ("time", "valid_time", "lead_time", "step")
_COLORBAR_LABEL = "ngcm_lab colorbar for axes {}"

# Seconds in each unit a time axis may be labelled in.
SECONDS_PER = {"days": 86400.0, "hours": 3600.0, "minutes": 60.0, "s": 1.0}


def is_dataarray(field: Any) -> bool:
    """True for an ``xarray.DataArray`` (duck-typed, so xarray is imported only when used)."""
    return hasattr(field, "coords") and hasattr(field, "dims") and hasattr(field, "attrs")


def find_coord(field: Any, names: Sequence[str]) -> str | None:
    """Name of the first of ``names`` that is a coordinate of the DataArray, if any."""
    return next((name for name in names if name in field.coords), None)


def find_dim(field: Any, names: Sequence[str]) -> str | None:
    """Name of the first of ``names`` that is a dimension of the DataArray, if any."""
    return next((name for name in names if name in field.dims), None)


def field_label(field: Any, units: str | None) -> str | None:
    """``"long name (units)"`` from a DataArray's attrs, with ``units`` overriding its own."""
    label = None
    if is_dataarray(field):
        units = units if units is not None else field.attrs.get("units")
        label = field.attrs.get("long_name") or field.name
    if units:
        label = f"{label} ({units})" if label else f"({units})"
    return label


def as_float_array(values: Any) -> np.ndarray:
    """A float64 numpy copy of numpy, jax or xarray input."""
    if is_dataarray(values):
        values = values.values
    return np.asarray(values, dtype=float)


def contour_levels(
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


def extend(values: np.ndarray, levels: np.ndarray) -> str:
    """Which colorbar ends need arrows because data fall outside the levels."""
    below, above = np.nanmin(values) < levels[0], np.nanmax(values) > levels[-1]
    return {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (bool(below), bool(above)), "both"
    )


def default_cmap(cmap: Any, symmetric: bool) -> Any:
    return cmap or ("RdBu_r" if symmetric else "viridis")


def colorbar(ax: Any, mappable: Any, label: str | None, orientation: str = "horizontal") -> Any:
    """Add a colorbar beside ``ax``, reusing the one a previous call made for the same axes."""
    fig = ax.figure
    tag = _COLORBAR_LABEL.format(id(ax))
    cax = next((other for other in fig.axes if other.get_label() == tag), None)
    if cax is None:
        size = {"shrink": 0.75, "aspect": 40} if orientation == "horizontal" else {}
        cbar = fig.colorbar(mappable, ax=ax, orientation=orientation, **size)
        cbar.ax.set_label(tag)
    else:
        cax.clear()
        cbar = fig.colorbar(mappable, cax=cax, orientation=orientation)
    if label:
        cbar.set_label(label)
    return cbar


def label_band_centres(cbar: Any, levels: np.ndarray, requested: Any, symmetric: bool) -> None:
    """With automatic symmetric levels, tick the colour bar at band centres (0 included)."""
    if symmetric and (requested is None or isinstance(requested, int | np.integer)):
        step = levels[1] - levels[0]
        cbar.set_ticks(np.arange(levels[0] + step / 2, levels[-1], step))


def new_axes(ax: Any, figsize: tuple[float, float] = (6.4, 4.5)) -> Any:
    """``ax`` as given, or the axes of a new constrained-layout pyplot figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def time_axis(time: Any, units: str | None = None) -> tuple[np.ndarray, str]:
    """Times ready for a matplotlib axis, and the axis label.

    ``datetime64`` stays a date axis; ``timedelta64`` becomes days (hours when the span is under
    two days); plain numbers are kept and labelled with ``units`` when given.
    """
    if is_dataarray(time):
        units = units if units is not None else time.attrs.get("units")
        time = time.values
    time = np.asarray(time)
    if np.issubdtype(time.dtype, np.datetime64):
        return time, "time"
    if np.issubdtype(time.dtype, np.timedelta64):
        seconds = time / np.timedelta64(1, "s")
        unit = "days" if np.nanmax(np.abs(seconds), initial=0.0) >= 2 * 86400.0 else "hours"
        return seconds / SECONDS_PER[unit], f"time ({unit})"
    return time.astype(float), f"time ({units})" if units else "time"


def latitude_ticks(ax: Any, lat: np.ndarray, axis: str = "x") -> None:
    """Ticks every 30° of latitude within the range of ``lat``, labelled 60°S … EQ … 60°N."""

    def name(value: float) -> str:
        return "EQ" if abs(value) < 1e-9 else f"{abs(value):g}°{'N' if value > 0 else 'S'}"

    ticks = np.arange(-90.0, 91.0, 30.0)
    ticks = ticks[(ticks >= np.min(lat) - 1e-6) & (ticks <= np.max(lat) + 1e-6)]
    labels = [name(t) for t in ticks]
    if axis == "x":
        ax.set_xticks(ticks, labels)
    else:
        ax.set_yticks(ticks, labels)
