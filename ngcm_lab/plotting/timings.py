"""Cost against resolution: wall-clock time per model step, one line per device, precision and
kind of step."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ngcm_lab.plotting._common import new_axes

UNITS = {"s": 1.0, "ms": 1e3, "µs": 1e6}
LINE_STYLES = ("-", "--", ":", "-.")


def truncation(resolution: str | int) -> int:
    """The truncation wavenumber of a grid name (``"T42"`` → 42, ``"TL63"`` → 63) or a number."""
    if isinstance(resolution, int | np.integer):
        return int(resolution)
    found = re.fullmatch(r"T[A-Z]?(\d+)", str(resolution))
    if found is None:
        raise ValueError(f"not a resolution name like 'T42' or 'TL63': {resolution!r}")
    return int(found.group(1))


def _two_and_five(value: float, _position: Any = None) -> str:
    """A log axis's minor tick label: the value at 2 and 5 times a power of ten, else none."""
    if value <= 0:
        return ""
    mantissa = value / 10 ** np.floor(np.log10(value))
    return f"{value:g}" if round(mantissa) in (2, 5) else ""


def _parts(setting: Any) -> tuple[str, str]:
    """(the setting's colour group, its kind of step): a tuple's last part is the kind."""
    if isinstance(setting, tuple) and len(setting) > 1:
        return " ".join(map(str, setting[:-1])), str(setting[-1])
    return str(setting), ""


def plot_step_times(
    times: Mapping[Any, Mapping[str | int, float]],
    *,
    unit: str = "ms",
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Time per model step against resolution, on log–log axes, one line per timed setting.

    ``times`` maps a setting to ``{resolution: seconds per step}``. A setting is a label, or a
    tuple of labels whose last part is the kind of step, e.g. ``("cpu", "float32", "dycore")``:
    settings that differ only in that last part share a colour (one per device and precision)
    and differ in line style (the first kind met solid, the next dashed, …). Resolutions are grid
    names (``"T21"``, ``"TL63"``) or truncation wavenumbers, placed at their wavenumber; on the
    log–log axes a cost growing like N^p is a straight line of slope p. ``unit`` is ``"s"``,
    ``"ms"`` or ``"µs"``. Lines are added to ``ax`` when given.
    """
    from matplotlib.ticker import FormatStrFormatter, FuncFormatter, NullLocator

    if unit not in UNITS:
        raise ValueError(f"unit must be one of {tuple(UNITS)}, got {unit!r}")
    if not times:
        raise ValueError("times is empty: give {setting: {resolution: seconds per step}}")
    ax = new_axes(ax, (6.4, 4.5))
    colours: dict[str, str] = {}
    styles: dict[str, str] = {}
    ticks: dict[int, str] = {}
    for setting, by_resolution in times.items():
        if not by_resolution:
            raise ValueError(f"times[{setting!r}] has no resolutions")
        group, kind = _parts(setting)
        if group not in colours:
            colours[group] = f"C{len(colours) % 10}"
        if kind not in styles:
            styles[kind] = LINE_STYLES[len(styles) % len(LINE_STYLES)]
        points = sorted((truncation(res), res, float(s)) for res, s in by_resolution.items())
        for n, name, _ in points:
            ticks.setdefault(n, str(name))
        x = [n for n, _, _ in points]
        y = [seconds * UNITS[unit] for _, _, seconds in points]
        label = f"{group} {kind}".strip()
        ax.plot(x, y, styles[kind], color=colours[group], marker="o", markersize=4, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sorted(ticks), [ticks[n] for n in sorted(ticks)])
    ax.xaxis.set_minor_locator(NullLocator())  # only the measured resolutions label the x axis
    # Plain numbers (20 rather than 2×10¹), between the decades at 2 and 5 only.
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(FuncFormatter(_two_and_five))
    ax.set_xlabel("resolution (truncation wavenumber, log scale)")
    ax.set_ylabel(f"{unit} per step")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    if title:
        ax.set_title(title)
    return ax.figure
