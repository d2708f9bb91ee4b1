"""Figures of a hybrid's evaluation: RMSE by level, zonal-mean bias, kinetic-energy spectra.

Each function takes the dict `ngcm_lab.evaluation.evaluate` returns (or the same after a JSON
round trip, as `ngcm-lab evaluate --json` writes it) and draws what it holds: the baseline
(network off), the hybrid and, when scored, the oracle. No score is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ngcm_lab.plotting._common import (
    contour_levels,
    extend,
    label_band_centres,
    latitude_ticks,
    new_axes,
)

FORECASTS = ("baseline", "hybrid", "oracle")
# One style per forecast in every figure, the truth in black; the oracle is dashed so that a
# hybrid that matches it stays visible beneath it.
STYLES = {
    "truth": {"color": "black", "linewidth": 2.5, "zorder": 1},
    "baseline": {"color": "C0"},
    "hybrid": {"color": "C1"},
    "oracle": {"color": "C2", "linestyle": "--"},
}
SIGMA_LABEL = "σ = p / p$_s$"


def _forecasts(scores: Mapping[str, Any]) -> list[str]:
    return [name for name in FORECASTS if name in scores]


def _units(result: Mapping[str, Any], variable: str) -> str:
    return result.get("units", {}).get(variable, "")


def _check_variable(table: Mapping[str, Any], variable: str, what: str) -> None:
    if variable not in table:
        raise ValueError(f"the result has no {what} of {variable!r}; it has {sorted(table)}")


def _lead_index(result: Mapping[str, Any], lead_hours: float | None) -> int:
    """Index of `lead_hours` in the result's leads (default the last)."""
    leads = np.asarray(result["lead_hours"], float)
    if lead_hours is None:
        return len(leads) - 1
    found = np.flatnonzero(np.isclose(leads, lead_hours))
    if found.size == 0:
        raise ValueError(f"no lead of {lead_hours:g} h in the result; leads (h): {leads.tolist()}")
    return int(found[0])


def plot_rmse_by_level(
    result: Mapping[str, Any], variable: str, lead_hours: float | None = None, ax: Any = None
) -> Any:
    """RMSE of `variable` against σ (surface at the bottom) at one lead (default the last), one
    line per forecast, from ``result["rmse_by_level"]``. Returns the figure."""
    table = result["rmse_by_level"]
    _check_variable(table["baseline"], variable, "RMSE by level")
    i = _lead_index(result, lead_hours)
    sigma = np.asarray(result["sigma"], float)
    ax = new_axes(ax, (4.8, 4.8))
    for name in _forecasts(table):
        rmse = np.asarray(table[name][variable], float)[i]
        ax.plot(rmse, sigma, marker="o", label=name, **STYLES[name])
    units = _units(result, variable)
    ax.set_xlabel(f"RMSE ({units})" if units else "RMSE")
    ax.set_ylabel(SIGMA_LABEL)
    ax.set_ylim(1.0, 0.0)  # σ increases downward: the surface at the bottom
    ax.set_xlim(left=0.0)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    lead = result["lead_hours"][i]
    starts = result.get("held_out_initial_times")
    over = f", {starts} starts" if starts else ""
    ax.set_title(f"{variable} RMSE by level at {lead:g} h lead{over}")
    return ax.figure


def _bias_key(biases: Mapping[str, Any], lead_hours: float | None) -> str:
    """The key of `lead_hours` among the bias leads (default the last), as stored ("24")."""
    keys = sorted(biases, key=float)
    if lead_hours is None:
        return keys[-1]
    for key in keys:
        if np.isclose(float(key), lead_hours):
            return key
    raise ValueError(
        f"the zonal-mean bias is kept at leads {', '.join(keys)} h only, not {lead_hours:g} h"
    )


def plot_zonal_mean_bias(
    result: Mapping[str, Any], variable: str, lead_hours: float | None = None
) -> Any:
    """Zonal-mean bias (forecast − truth) of `variable` on latitude × σ at one of the stored
    leads (default the last), one filled-contour panel per forecast on a shared symmetric
    diverging colour scale, from ``result["zonal_mean_bias"]``. Returns the figure."""
    import matplotlib.pyplot as plt

    table = result["zonal_mean_bias"]
    _check_variable(table["baseline"], variable, "zonal-mean bias")
    names = _forecasts(table)
    key = _bias_key(table["baseline"][variable], lead_hours)
    bias = {n: np.asarray(table[n][variable][key], float) for n in names}
    lat = np.asarray(result["latitude"], float)
    sigma = np.asarray(result["sigma"], float)
    values = np.stack(list(bias.values()))
    levels = contour_levels(values, None, symmetric=True)
    units = _units(result, variable)
    fig, axes = plt.subplots(
        1, len(names), figsize=(3.6 * len(names) + 1.0, 3.8), sharey=True, layout="constrained"
    )
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names, strict=True):
        filled = ax.contourf(
            lat, sigma, bias[name], levels=levels, cmap="RdBu_r", extend=extend(values, levels)
        )
        ax.set_title(f"{name}\nmax |bias| {np.abs(bias[name]).max():.2g} {units}")
        ax.set_xlabel("latitude")
        latitude_ticks(ax, lat)
        ax.set_ylim(sigma.max(), sigma.min())  # σ increases downward: the surface at the bottom
    axes[0].set_ylabel(SIGMA_LABEL)
    label = f"{variable} bias ({units})" if units else f"{variable} bias"
    cbar = fig.colorbar(filled, ax=list(axes), orientation="vertical", shrink=0.9)
    cbar.set_label(label)
    label_band_centres(cbar, levels, None, symmetric=True)
    fig.suptitle(f"zonal-mean {variable} bias (forecast − truth) at {key} h lead")
    return fig


def plot_kinetic_energy_spectra(result: Mapping[str, Any], ax: Any = None) -> Any:
    """Log–log kinetic-energy spectra at the last lead of the truth and each forecast, from
    ``result["kinetic_energy_spectrum_at_last_lead"]`` (entry i is wavenumber n = i + 1).
    Returns the figure."""
    from matplotlib.ticker import FormatStrFormatter, LogLocator

    spectra = result["kinetic_energy_spectrum_at_last_lead"]
    ax = new_axes(ax, (6.0, 4.5))
    for name in ("truth", *_forecasts(spectra)):
        energy = np.asarray(spectra[name], float)
        n = np.arange(1, energy.size + 1)
        keep = energy > 0
        ax.loglog(n[keep], energy[keep], label=name, **STYLES[name])
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.set_xlabel("total wavenumber n")
    ax.set_ylabel("kinetic energy per unit mass (m² s⁻²)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False, title="mean over starts and levels")
    ax.set_title(f"kinetic-energy spectra at {result['lead_hours'][-1]:g} h lead")
    return ax.figure


def _ensemble(result: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    if key not in result:
        raise ValueError(
            f"the result has no {key!r}: it is not a stochastic hybrid's evaluation "
            "(evaluate a run trained with random_fields)"
        )
    return result[key]


def plot_spread_skill(
    result: Mapping[str, Any],
    variables: tuple[str, ...] = ("u", "v", "temperature"),
    ax: Any = None,
) -> Any:
    """The stochastic hybrid's spread/error ratio by lead, one line per variable, from
    ``result["spread_error_ratio"]`` (spread × √((M + 1)/M) over the ensemble mean's RMSE: 1 for
    a reliable ensemble), with the 0.7–1.3 band. Returns the figure."""
    ratios = _ensemble(result, "spread_error_ratio")
    leads = np.asarray(result["lead_hours"], float) / 24.0
    ax = new_axes(ax, (6.0, 4.0))
    ax.axhspan(0.7, 1.3, color="0.9", zorder=0, label="0.7–1.3")
    ax.axhline(1.0, color="black", linewidth=1)
    for variable in variables:
        _check_variable(ratios, variable, "spread/error ratio")
        ax.plot(leads, ratios[variable], marker="o", markersize=3, label=variable)
    ax.set_xlabel("lead (days)")
    ax.set_ylabel("spread × √((M+1)/M) / RMSE of the mean")
    ax.set_ylim(0.0, max(1.5, float(np.nanmax([np.max(ratios[v]) for v in variables])) * 1.1))
    ax.legend(frameon=False, ncols=2)
    ax.set_title(f"spread–skill, {result.get('ensemble_members', '?')} members")
    return ax.figure


def plot_rank_histogram(
    result: Mapping[str, Any], variable: str, lead_hours: float | None = None, ax: Any = None
) -> Any:
    """Where the truth falls among the sorted members at one lead (default the last), from
    ``result["rank_histogram"]``: bars of frequency × (M + 1), so a reliable ensemble gives 1
    everywhere and an under-dispersive one a U. Returns the figure."""
    histograms = _ensemble(result, "rank_histogram")
    _check_variable(histograms, variable, "rank histogram")
    index = _lead_index(result, lead_hours)
    frequency = np.asarray(histograms[variable], float)[index]
    ranks = np.arange(frequency.size)
    ax = new_axes(ax, (5.0, 3.5))
    ax.bar(ranks, frequency * frequency.size, color=STYLES["hybrid"]["color"])
    ax.axhline(1.0, color="black", linewidth=1)
    ax.set_xticks(ranks)
    ax.set_xlabel("rank of the truth among the members")
    ax.set_ylabel("frequency × (M + 1)")
    ax.set_title(f"{variable}, {result['lead_hours'][index]:g} h lead")
    return ax.figure
