"""The climate of free runs beside the truth's, from the dict `free_runs.free_run_climate`
returns (also after a JSON round trip): zonal-mean sections, global-mean temperature and the
surface wind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from ngcm_lab.plotting._common import contour_levels, latitude_ticks

RUNS = ("truth", "baseline", "hybrid", "oracle")
COLOURS = {"truth": "k", "baseline": "tab:red", "hybrid": "tab:blue", "oracle": "tab:green"}
LABELS = {"u": ("zonal wind", "m s⁻¹"), "temperature": ("temperature", "K")}


def _title(result: Mapping[str, Any], name: str) -> str:
    run = result[name]
    if name == "truth":
        return "truth (record)"
    if run.get("blew_up_day") is not None:
        return f"{name}: blew up on day {run['blew_up_day']:.1f}"
    rms = run["zonal_mean_rms_difference_from_truth"]
    return f"{name}: rms Δ {rms['u']:.2f} m s⁻¹, {rms['temperature']:.2f} K"


def plot_free_run_climate(
    result: Mapping[str, Any], variable: str = "u", runs: Sequence[str] | None = None
) -> Any:
    """Top: the time- and zonal-mean `variable` (latitude × σ) of each run (default: the truth
    and every run the result holds), one colour scale. Bottom: the global-mean temperature
    against days, and the zonal-mean lowest-layer wind speed against latitude. Returns the
    Figure."""
    runs = [r for r in RUNS if r in result] if runs is None else list(runs)
    lat, sigma = np.asarray(result["latitude"]), np.asarray(result["sigma"])
    name, units = LABELS[variable]
    sections = [np.asarray(result[r]["zonal_mean"][variable]) for r in runs]
    both = np.concatenate([s.ravel() for s in sections])
    symmetric = variable == "u"
    levels = contour_levels(both, None, symmetric)
    fig = plt.figure(figsize=(3.2 * len(runs), 7.2), layout="constrained")
    grid = fig.add_gridspec(2, len(runs))
    top = []
    for i, (run, section) in enumerate(zip(runs, sections, strict=True)):
        ax = fig.add_subplot(grid[0, i])
        top.append(ax)
        cmap = "RdBu_r" if symmetric else "viridis"
        filled = ax.contourf(lat, sigma, section, levels=levels, cmap=cmap, extend="both")
        ax.contour(lat, sigma, section, levels=levels[::2], colors="k", linewidths=0.4)
        ax.set_ylim(1.0, 0.0)
        latitude_ticks(ax, lat)
        ax.set_title(_title(result, run), fontsize=9)
        ax.set_ylabel("σ" if i == 0 else "")
    bar = fig.colorbar(filled, ax=top, orientation="vertical", shrink=0.9)
    bar.set_label(f"time- and zonal-mean {name} ({units})")
    half = max(1, len(runs) // 2)
    ax_t = fig.add_subplot(grid[1, :half])
    ax_w = fig.add_subplot(grid[1, half:])
    for run in runs:
        stats = result[run]
        style = {"color": COLOURS.get(run), "label": run, "zorder": 3 if run == "truth" else 2}
        ax_t.plot(stats["days"], stats["global_mean_temperature_K"], **style)
        ax_w.plot(lat, stats["surface_wind_speed_m_s"], **style)
    ax_t.set_xlabel(f"days since the free runs' start (day {result['start_day']:g} of the truth)")
    ax_t.set_ylabel("global-mean temperature (K)")
    ax_t.legend(fontsize=8)
    ax_w.set_xlabel("latitude")
    latitude_ticks(ax_w, lat)
    ax_w.set_ylabel("lowest-layer wind speed (m s⁻¹)")
    fig.suptitle(
        f"{result['days']:g}-day free runs from day {result['start_day']:g} "
        f"(means after day {result['spinup_days']:g}) beside the truth"
    )
    return fig
