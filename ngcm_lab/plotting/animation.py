"""Animated maps: one frame per output time, fixed colour levels, saved as MP4 or GIF.

``animate_maps`` returns a ``matplotlib.animation.FuncAnimation``; keep a reference to it while
it is shown or saved. In a notebook show it with ``IPython.display.HTML(animation_html(anim))``,
or write a file with ``save_animation(anim, "forecast.mp4")``: MP4 when ffmpeg is installed,
else a GIF (Pillow).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ngcm_lab.coastlines import add_borders, add_coastlines
from ngcm_lab.plotting._common import (
    LAT_NAMES,
    LON_NAMES,
    TIME_NAMES,
    as_float_array,
    colorbar,
    contour_levels,
    default_cmap,
    field_label,
    find_coord,
    find_dim,
    is_dataarray,
    label_band_centres,
    time_axis,
)
from ngcm_lab.plotting.maps import _geo_axes, draw_filled, prepare_global


def _frame_inputs(
    frames: Any, lat: Any, lon: Any, times: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """(values[nframes, nlat, nlon] on ascending latitudes, lat, lon, times) from any input."""
    if is_dataarray(frames):
        lat_name, lon_name = find_coord(frames, LAT_NAMES), find_coord(frames, LON_NAMES)
        time_dim = find_dim(frames, TIME_NAMES)
        if lat_name is None or lon_name is None or time_dim is None:
            raise ValueError(
                f"animate_maps needs a DataArray with time, lat and lon dims; got {frames.dims}"
            )
        lat = frames[lat_name].values if lat is None else lat
        lon = frames[lon_name].values if lon is None else lon
        if times is None:
            has_lead = "lead_time" in frames.coords and frames["lead_time"].dims == (time_dim,)
            times = frames["lead_time" if has_lead else time_dim].values
        frames = frames.squeeze().transpose(time_dim, lat_name, lon_name)
    if lat is None or lon is None:
        raise ValueError("pass lat= and lon= in degrees, or a DataArray with lat/lon coordinates")
    values = as_float_array(frames)
    lat, lon = as_float_array(lat).ravel(), as_float_array(lon).ravel()
    if values.ndim != 3 or values.shape[1:] != (lat.size, lon.size):
        raise ValueError(
            f"frames have shape {values.shape}; expected (nframes, nlat, nlon) with "
            f"(nlat, nlon) = ({lat.size}, {lon.size})"
        )
    if lat.size > 3 and np.abs(lat).max() <= np.pi / 2 and np.abs(lon).max() <= 2 * np.pi:
        raise ValueError("lat/lon look like radians; animate_maps expects degrees")
    if times is not None and np.asarray(times).size != values.shape[0]:
        raise ValueError(f"{np.asarray(times).size} times for {values.shape[0]} frames")
    order = np.argsort(lat)
    return values[:, order], lat[order], lon, times


def _time_texts(times: Any) -> list[str]:
    """Frame titles' times: dates, ``day 1.5`` (or ``6 h`` when all leads are short), numbers."""
    times = np.asarray(times.values if is_dataarray(times) else times).ravel()
    if np.issubdtype(times.dtype, np.datetime64):
        return [np.datetime_as_string(t, unit="m").replace("T", " ") for t in times]
    values, axis_label = time_axis(times)
    if np.issubdtype(times.dtype, np.timedelta64):
        if axis_label.endswith("(days)"):
            return [f"day {v:.3g}" for v in values]
        return [f"{v:.3g} h" for v in values]
    return [f"t = {v:.4g}" for v in values]


def animate_maps(
    frames: Any,
    lat: Any = None,
    lon: Any = None,
    times: Any = None,
    *,
    projection: Any = None,
    title: str | None = None,
    cmap: Any = None,
    symmetric: bool = False,
    levels: int | Sequence[float] | None = None,
    units: str | None = None,
    coastlines: bool = True,
    interval_ms: int = 200,
    ax: Any = None,
) -> Any:
    """Animation of maps of ``frames`` ``(nframes, nlat, nlon)``, colour levels fixed over all.

    ``lat``/``lon`` are degrees and ``times`` label the frames (datetime64, timedelta64 or
    numbers); a DataArray with ``time``, ``lat`` and ``lon`` dims supplies them, preferring its
    ``lead_time`` coordinate. Options are those of ``plot_map``; each frame's title is
    ``"{title}, {time}"``. Coastlines and the colour bar are drawn once; each frame replaces only
    the filled contours. Returns the ``matplotlib.animation.FuncAnimation``.
    """
    from matplotlib.animation import FuncAnimation

    label = field_label(frames, units)
    values, lat, lon, times = _frame_inputs(frames, lat, lon, times)
    ax = _geo_axes(ax, projection)
    values, lat, lon = prepare_global(values, lat, lon, ax.projection)
    chosen = contour_levels(values, levels, symmetric)
    colours = default_cmap(cmap, symmetric)
    ax.set_global()
    if coastlines:
        add_coastlines(ax, color="k")
        add_borders(ax)
    filled = [draw_filled(ax, values[0], lat, lon, chosen, colours, values)]
    label_band_centres(colorbar(ax, filled[0], label), chosen, levels, symmetric)

    time_texts = None if times is None else _time_texts(times)

    def title_of(index: int) -> str:
        parts = [title] if title else []
        if time_texts is not None:
            parts.append(time_texts[index])
        return ", ".join(parts) if parts else f"frame {index + 1}/{values.shape[0]}"

    def update(index: int) -> list[Any]:
        filled[0].remove()
        filled[0] = draw_filled(ax, values[index], lat, lon, chosen, colours, values)
        ax.set_title(title_of(index))
        return [filled[0]]

    ax.set_title(title_of(0))
    return FuncAnimation(ax.figure, update, frames=values.shape[0], interval=interval_ms)


def _fps(anim: Any, fps: float | None) -> float:
    if fps is not None:
        return float(fps)
    return 1000.0 / float(getattr(anim, "_interval", 200) or 200)


def save_animation(
    anim: Any, path: str | Path, *, fps: float | None = None, dpi: float = 100
) -> Path:
    """Write ``anim`` to ``path`` and return the path written.

    ``.gif`` is always written with Pillow. Any other name (``.mp4`` or none) becomes an MP4
    through ffmpeg when matplotlib finds it, else a GIF next to it (``forecast.mp4`` →
    ``forecast.gif``, with a warning), since Pillow is always installed with matplotlib.
    ``fps`` defaults to the animation's own frame interval.
    """
    from matplotlib import animation

    path = Path(path)
    rate = _fps(anim, fps)
    if path.suffix.lower() != ".gif" and animation.writers.is_available("ffmpeg"):
        path = path if path.suffix else path.with_suffix(".mp4")
        writer: Any = animation.FFMpegWriter(fps=rate)
    else:
        if path.suffix.lower() not in (".gif", ""):
            warnings.warn(f"ffmpeg not found: writing a GIF instead of {path.name}", stacklevel=2)
        path = path.with_suffix(".gif")
        writer = animation.PillowWriter(fps=rate)
    path.parent.mkdir(parents=True, exist_ok=True)
    anim.save(str(path), writer=writer, dpi=dpi)
    return path


def animation_html(anim: Any, *, fps: float | None = None, close: bool = True) -> str:
    """The animation as self-contained HTML with play controls (JavaScript, frames embedded).

    In a notebook: ``from IPython.display import HTML; HTML(animation_html(anim))``. The figure
    is then closed in pyplot (``close=True``), so the notebook does not also show it as a still
    image; ``save_animation`` still works afterwards. Large animations may exceed matplotlib's
    ``animation.embed_limit`` (20 MB by default).
    """
    html = anim.to_jshtml(fps=_fps(anim, fps))
    if close:
        import matplotlib.pyplot as plt

        plt.close(anim._fig)
    return html
