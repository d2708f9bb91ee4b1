"""Small helpers shared by the widgets: figure display, status lines, resource estimates.

Only APIs common to ipywidgets 7.6+ and 8 are used. Figures are plain ``matplotlib.figure.Figure``
objects (not pyplot-managed), so the inline backend never shows them a second time and they can be
drawn from a background thread.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from typing import Any

import numpy as np

from ngcm_lab.errors import NgcmLabError
from ngcm_lab.spherical_harmonics import RESOLUTIONS

_REFERENCE = ("T42", 900.0)  # resolution and time step that "relative cost 1×" refers to


def show_figure(output: Any, figure: Any, dpi: int = 90) -> None:
    """Replace what ``output`` (an ``ipywidgets.Output``) shows with a PNG of ``figure``.

    Setting the ``outputs`` trait (what ``Output.append_display_data`` does) is a single,
    thread-safe update in ipywidgets 7 and 8, unlike ``with output: clear_output(); display()``,
    which can send output to the wrong cell when called from a background thread.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    data = {
        "image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
        "text/plain": f"<Figure {figure.get_figwidth():g}×{figure.get_figheight():g} in>",
    }
    output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)


def status_html(text: str, error: bool = False) -> str:
    """HTML for a one-line status message; errors in red. ``text`` is escaped."""
    body = html.escape(text).replace("\n", "<br>")
    if error:
        return f'<span style="color:#b00020"><b>Error:</b> {body}</span>'
    return f"<span>{body}</span>"


def error_text(err: BaseException) -> str:
    """What a student sees for an exception: the message of one of the package's errors or a
    ValueError (our explanations), the type and message of anything unexpected."""
    if isinstance(err, NgcmLabError | ValueError | KeyError | IndexError):
        return str(err).strip("'\"")
    return f"unexpected {type(err).__name__}: {err}"


def physical_memory_mb() -> float | None:
    """This machine's physical memory in MB, or None where the OS does not say (Windows)."""
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (AttributeError, OSError, ValueError):
        return None


def resolution_label(name: str) -> str:
    """Dropdown label for a named resolution, e.g. ``'T42 (128×64)'`` (nlon × nlat)."""
    _, nlat, nlon = RESOLUTIONS[name]
    return f"{name} ({nlon}×{nlat})"


def resource_estimate(
    resolution: str, dt_s: float, seconds_per_step: float | None = None
) -> dict[str, float]:
    """Rough size and cost of a run: grid points, memory, steps per day and speed.

    ``memory_mb`` counts the Legendre tables (float64 in numpy plus two float32 copies on the
    device), which dominate. ``relative_cost`` is the work per simulated day relative to T42 at
    900 s, taking the transform work per step ∝ (N+1)(N+2)·nlat. With a measured
    ``seconds_per_step`` the speed in simulated days per wall-clock second is included.
    """
    truncation, nlat, nlon = RESOLUTIONS[resolution]
    steps_per_day = 86400.0 / dt_s if dt_s > 0 else float("nan")

    def work(name: str) -> float:
        n, lat_points, _ = RESOLUTIONS[name]
        return (n + 1) * (n + 2) * lat_points

    table_entries = (truncation + 1) * (nlat // 2) * (truncation + 2)
    estimate = {
        "grid_points": float(nlat * nlon),
        "memory_mb": 16.0 * table_entries / 1e6,
        "steps_per_day": steps_per_day,
        "relative_cost": work(resolution)
        * steps_per_day
        / (work(_REFERENCE[0]) * 86400.0)
        * _REFERENCE[1],
    }
    if seconds_per_step:
        estimate["sim_days_per_s"] = 1.0 / (seconds_per_step * steps_per_day)
    return estimate


def estimate_text(resolution: str, dt_s: float, seconds_per_step: float | None = None) -> str:
    """One line describing ``resource_estimate`` for the status area."""
    e = resource_estimate(resolution, dt_s, seconds_per_step)
    text = (
        f"{resolution}: {int(e['grid_points']):,} grid points, ~{e['memory_mb']:.2g} MB of "
        f"transform tables, {e['steps_per_day']:.4g} steps per simulated day, "
        f"cost ≈ {e['relative_cost']:.2g}× T42 at 900 s"
    )
    if "sim_days_per_s" in e:
        text += f"; measured {e['sim_days_per_s']:.3g} simulated days per wall second"
    else:
        text += "; speed is measured after the first step"
    return text


class Shown:
    """A front end that shows as its `widget` box when it is a cell's last expression."""

    widget: Any

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class ReportsErrors(Shown):
    """For a widget with a status line: `_show_error` puts an exception's one-line text in
    `last_error` and refreshes the line (`_update_text`); `_guard(action)` runs a button's
    action so that a mistake shows there instead of as a traceback."""

    last_error: str | None = None

    def _update_text(self) -> None:
        raise NotImplementedError

    def _guard(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as err:
            self._show_error(err)

    def _show_error(self, err: BaseException) -> None:
        self.last_error = error_text(err)
        self._update_text()


def nearest_column(lat_deg: float, lon_deg: float, lat_grid: np.ndarray, lon_grid: np.ndarray):
    """Indices (j, i) of the grid column nearest (lat, lon) in degrees; ValueError if outside."""
    lat_deg, lon_deg = float(lat_deg), float(lon_deg)
    if not -90.0 <= lat_deg <= 90.0:
        raise ValueError(f"latitude must be between -90 and 90 degrees, got {lat_deg:g}")
    if not np.isfinite(lon_deg):
        raise ValueError(f"longitude must be a finite number of degrees, got {lon_deg:g}")
    j = int(np.argmin(np.abs(lat_grid - lat_deg)))
    distance = np.abs((lon_grid - lon_deg + 180.0) % 360.0 - 180.0)
    return j, int(np.argmin(distance))


def format_lat_lon(lat: float, lon: float) -> str:
    """ "12.5°S, 30.0°W" for a point given in degrees (longitudes wrapped to ±180)."""
    lon = (lon + 180.0) % 360.0 - 180.0
    return f"{abs(lat):.1f}°{'N' if lat >= 0 else 'S'}, {abs(lon):.1f}°{'E' if lon >= 0 else 'W'}"
