"""Forecast scores by lead time: RMSE or anomaly correlation of several models, one line each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ngcm_lab.plotting._common import SECONDS_PER, as_float_array, is_dataarray, new_axes

LEAD_TIME_UNITS = tuple(SECONDS_PER)


def _lead_seconds(lead_times: Any, input_unit: str) -> np.ndarray:
    """Lead times in seconds from timedelta64, datetime64 (since the first) or numbers."""
    if is_dataarray(lead_times):
        lead_times = lead_times.values
    lead = np.asarray(lead_times)
    if np.issubdtype(lead.dtype, np.datetime64):  # valid times: lead since the first one
        lead = lead - lead.ravel()[0]
    if np.issubdtype(lead.dtype, np.timedelta64):
        return (lead / np.timedelta64(1, "s")).astype(float).ravel()
    return lead.astype(float).ravel() * SECONDS_PER[input_unit]


def _entry(name: str, entry: Any) -> tuple[Any, Any]:
    """(lead_times, values) from a pair, or from a 1-D DataArray along its lead-time coordinate."""
    if is_dataarray(entry):
        if entry.ndim != 1:
            raise ValueError(f"scores[{name!r}] must be 1-D along lead time, has dims {entry.dims}")
        dim = entry.dims[0]
        has_lead = "lead_time" in entry.coords and entry["lead_time"].dims == (dim,)
        lead = entry["lead_time"] if has_lead else entry[dim]
        return lead, entry
    try:
        lead, values = entry
    except (TypeError, ValueError):
        raise TypeError(
            f"scores[{name!r}] must be a (lead_times, values) pair or a 1-D DataArray"
        ) from None
    return lead, values


def plot_scorecard(
    scores: Mapping[str, Any],
    *,
    metric: str = "RMSE",
    units: str | None = None,
    lead_time_unit: str | None = None,
    input_unit: str = "s",
    threshold: float | None = None,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Scores against forecast lead time, one line (with markers) per model.

    ``scores`` maps a model name to ``(lead_times, values)`` or to a 1-D DataArray along lead
    time (its ``lead_time`` coordinate, or its dimension coordinate, gives the lead times).
    Lead times are timedelta64, datetime64 (valid times, counted from the first) or numbers in
    ``input_unit`` (``"s"``, the package's SI convention, ``"hours"`` or ``"days"``); the axis
    shows ``lead_time_unit`` (default days when the longest lead is at least two days, else
    hours). ``metric`` and ``units`` (or the first DataArray's ``units``) label the y axis.
    ``threshold`` draws a dashed reference line, e.g. 0.6 for ACC (the customary limit of useful
    skill). Lines are added to ``ax`` when given.
    """
    for unit in (input_unit, lead_time_unit):
        if unit is not None and unit not in SECONDS_PER:
            raise ValueError(f"lead-time units must be one of {LEAD_TIME_UNITS}, got {unit!r}")
    if not scores:
        raise ValueError("scores is empty: give {model name: (lead_times, values)}")
    entries = {name: _entry(name, entry) for name, entry in scores.items()}
    leads = {name: _lead_seconds(lead, input_unit) for name, (lead, _) in entries.items()}
    longest = max(float(np.nanmax(lead, initial=0.0)) for lead in leads.values())
    if lead_time_unit is None:
        lead_time_unit = "days" if longest >= 2 * 86400.0 else "hours"
    ax = new_axes(ax, (6.4, 4.2))
    for name, (_, values) in entries.items():
        if units is None and is_dataarray(values):
            units = values.attrs.get("units")
        y = as_float_array(values).ravel()
        x = leads[name] / SECONDS_PER[lead_time_unit]
        if x.shape != y.shape:
            raise ValueError(f"scores[{name!r}]: {x.size} lead times but {y.size} values")
        order = np.argsort(x)
        marker_every = max(1, x.size // 15)
        ax.plot(x[order], y[order], marker="o", markersize=4, markevery=marker_every, label=name)
    if threshold is not None:
        ax.axhline(threshold, linestyle="--", color="0.4", linewidth=1.0, label=f"{threshold:g}")
    ax.set_xlabel(f"lead time ({lead_time_unit})")
    ax.set_ylabel(f"{metric} ({units})" if units else metric)
    ax.set_xlim(left=0.0)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax.figure
