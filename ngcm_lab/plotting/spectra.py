"""Kinetic-energy spectra: log–log against total wavenumber, with a k⁻³ guide line."""

from __future__ import annotations

from typing import Any

import numpy as np

from ngcm_lab.plotting._common import field_label, is_dataarray


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
    ``None`` to omit it, e.g. when overlaying further spectra on the same ``ax``. A DataArray
    ``energy`` with ``long_name``/``units`` attributes labels the y axis with them.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, LogLocator

    n = np.asarray(wavenumber, dtype=float).ravel()
    e = np.asarray(energy.values if is_dataarray(energy) else energy, dtype=float).ravel()
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
    ax.set_ylabel(field_label(energy, None) or "kinetic energy per unit mass (m² s⁻²)")
    ax.grid(True, which="major", alpha=0.3)
    if label is not None or reference_slope is not None:
        ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax.figure
