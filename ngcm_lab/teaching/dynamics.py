"""Self-checks for the exercises of the course notebooks 1–5: spherical harmonics, shallow water,
the baroclinic wave, Held–Suarez and real data (see `ngcm_lab.teaching`).
"""

from __future__ import annotations

import functools

import numpy as np

from ngcm_lab.constants import EARTH_RADIUS
from ngcm_lab.teaching._common import _number, _verdict

# ---------------------------------------------------------------- notebook 1: spherical harmonics


def check_round_trip_float64(error) -> bool:
    """Exercise 1.1: the largest round-trip change of a resolved field, relative to its maximum,
    on a float64 T42 grid.

    Reference: float64 round-off. Each value passes through an FFT and a Legendre sum over
    ~N terms each way, so the error is a few hundred machine epsilons at most; we accept anything
    below 10⁴ ε ≈ 2e-12 (a float32 round trip gives ~1e-7, far outside).
    """
    value = _number(error, "the relative round-trip error", "check_round_trip_float64")
    if value is None:
        return False
    limit = 1e4 * np.finfo(np.float64).eps
    if value < 0:
        return _verdict(False, f"an error is a size, {value:g} is negative.", "take np.abs first.")
    if value <= limit:
        return _verdict(True, f"{value:.1e} is at float64 round-off (below {limit:.1e}).")
    hint = (
        "that is float32 round-off: run jax.config.update('jax_enable_x64', True) in a fresh "
        "kernel before building Grid.from_name('T42', np.float64), and transform a float64 field."
        if value < 1e-5
        else "is the field made of resolved waves only (the random field of section 3)?"
    )
    return _verdict(False, f"{value:.1e} is larger than float64 round-off ({limit:.1e}).", hint)


def orography_spectral_slope(truncation: str = "T85", n_min: int = 10) -> float:
    """Slope of the power spectrum of the unsmoothed Earth orography, log power against log n,
    fitted over n = n_min … N (the exercise-1.3 reference)."""
    return _orography_slope(truncation, n_min)


@functools.lru_cache(maxsize=4)
def _orography_slope(resolution: str, n_min: int) -> float:
    from ngcm_lab.orography import orography_on_grid
    from ngcm_lab.spherical_harmonics import Grid

    grid = Grid.from_name(resolution)
    phi, _ = orography_on_grid(grid, smooth=False)
    power = np.asarray(grid.power_by_degree(grid.to_modal(phi)))[: grid.truncation + 1]
    n = np.arange(n_min, grid.truncation + 1)
    return float(np.polyfit(np.log(n), np.log(power[n]), 1)[0])


def check_orography_slope(slope) -> bool:
    """Exercise 1.3: the power-law exponent of the unsmoothed orography's spectrum at T85.

    Reference: the package's own fit, `orography_spectral_slope("T85")` (log power against log n
    over n = 10 … 85). Tolerance ±0.4: a fit over a somewhat different range of n moves the slope
    by a few tenths, a different law (the cap's −2, a smooth field's steep fall) by more.
    """
    value = _number(slope, "the slope", "check_orography_slope")
    if value is None:
        return False
    reference = orography_spectral_slope("T85")
    if abs(value - reference) <= 0.4:
        return _verdict(True, f"slope {value:.2f}: the package fits {reference:.2f} (n = 10–85).")
    hint = (
        "a power spectrum falls with n, so the slope is negative."
        if value > 0
        else "fit np.polyfit(np.log(n), np.log(power), 1) over n ≥ 10 of the unsmoothed "
        "orography (orography_on_grid(grid, smooth=False)) at T85."
    )
    return _verdict(False, f"slope {value:.2f} is more than 0.4 from {reference:.2f}.", hint)


@functools.lru_cache(maxsize=1)
def _fine_cap() -> tuple[object, np.ndarray]:
    """The flat-topped cap of notebook 1 (20° radius, centred on the equator at 180°) on T213:
    the grid and its modal coefficients."""
    from ngcm_lab.spherical_harmonics import Grid

    fine = Grid.from_name("T213")
    lat, lon = np.meshgrid(fine.latitudes, fine.longitudes, indexing="ij")
    cos_d = np.cos(lat) * np.cos(lon - np.pi)
    cap = (np.arccos(np.clip(cos_d, -1.0, 1.0)) < np.radians(20.0)).astype(float)
    return fine, np.asarray(fine.to_modal(cap))


def gibbs_overshoot(truncation: int) -> float:
    """Overshoot (a fraction of the jump) of the notebook-1 cap on T213 truncated at n ≤ N."""
    fine, modal = _fine_cap()
    kept = np.where(fine.total_wavenumber <= int(truncation), modal, 0)
    return float(np.asarray(fine.to_nodal(kept)).max() - 1.0)


def check_gibbs_overshoot(overshoot, truncation: int) -> bool:
    """Exercise 1.4: the overshoot of the truncated cap at n ≤ `truncation`, as a fraction of the
    jump (0.09 for 9 %), the cap taken on the T213 grid.

    Reference: `gibbs_overshoot(truncation)`, the same measurement made by the package. Tolerance
    0.01 (one percentage point): the grid points sample the ripple's crest slightly differently
    with another fine grid or cap centre.
    """
    value = _number(overshoot, "the overshoot", "check_gibbs_overshoot")
    n = _number(truncation, "the truncation N", "check_gibbs_overshoot")
    if value is None or n is None:
        return False
    if not 1 <= n <= 213 or n != int(n):
        print(f"check_gibbs_overshoot: the truncation must be a whole number 1–213, got {n:g}")
        return False
    reference = gibbs_overshoot(int(n))
    if abs(value - reference) <= 0.01:
        return _verdict(True, f"overshoot at N = {n:.0f}: {value:.3f} ≈ {reference:.3f}.")
    hint = (
        "give the overshoot as a fraction of the jump (0.09 for 9 %)."
        if 1 < value < 100
        else "overshoot = truncated.max() − 1 for a cap of height 1; keep n ≤ N of the T213 "
        "coefficients (fine.total_wavenumber <= N), without smoothing."
    )
    return _verdict(False, f"overshoot {value:.3f} at N = {n:.0f}; expected {reference:.3f}.", hint)


# ---------------------------------------------------------------- notebook 2: shallow water


def check_courant_number(courant, max_wind_m_s: float, truncation: int, dt_s: float) -> bool:
    """Exercise 2.2: the advective Courant number u_max N Δt / a of a run.

    Reference: the formula with the Earth's radius from `ngcm_lab.constants`; tolerance 2 %.
    """
    caller = "check_courant_number"
    values = [
        _number(courant, "the Courant number", caller),
        _number(max_wind_m_s, "max_wind_m_s", caller),
        _number(truncation, "truncation", caller),
        _number(dt_s, "dt_s", caller),
    ]
    if any(v is None for v in values):
        return False
    value, wind, n, dt = values
    reference = wind * n * dt / EARTH_RADIUS
    if abs(value - reference) <= 0.02 * abs(reference):
        return _verdict(True, f"Courant number {value:.3g} (u {wind:g} m/s, N {n:g}, Δt {dt:g} s).")
    hint = (
        "use the Earth's radius in metres (6.371e6), Δt in seconds and u in m/s."
        if reference and abs(np.log10(abs(value / reference))) > 2
        else "C = u_max · N · Δt / a."
    )
    return _verdict(False, f"{value:.3g}, but u N Δt / a = {reference:.3g}.", hint)


def rossby_haurwitz_reference_speed() -> float:
    """Converged eastward phase speed (° per day) of the wave-4 Rossby–Haurwitz wave in the
    shallow-water equations: the fit over the stored 10-day T213 reference run."""
    from ngcm_lab.validation import reference_phase_speed

    return reference_phase_speed(10.0)


def check_rossby_haurwitz_phase_speed(speed) -> bool:
    """Exercise 2.4: the converged Rossby–Haurwitz phase speed in degrees per day (east positive),
    from a run at T42 or finer.

    Reference: `rossby_haurwitz_reference_speed()`, the same fit on the stored T213 run. Tolerance
    0.1° per day (1° in 10 days), the threshold of the package's own `williamson6` validation.
    """
    value = _number(speed, "the phase speed", "check_rossby_haurwitz_phase_speed")
    if value is None:
        return False
    from ngcm_lab.cases import rossby_haurwitz_nondivergent_phase_speed

    reference = rossby_haurwitz_reference_speed()
    analytic = float(np.degrees(rossby_haurwitz_nondivergent_phase_speed()) * 86400.0)
    if abs(value - reference) <= 0.1:
        return _verdict(True, f"{value:.2f}° per day matches the T213 run's {reference:.2f}.")
    if abs(value - analytic) < 0.1:
        hint = (
            "that is the nondivergent formula; measure the model with rossby_haurwitz_phase_speed."
        )
    elif value < 0:
        hint = "the wave moves eastward: the speed is positive."
    elif abs(value - reference) < 1.0:
        hint = "close: is the run at T42 or finer? T21 is too coarse to have converged."
    else:
        hint = "the speed is in degrees of longitude per day, from a run of at least 7 days."
    return _verdict(False, f"{value:.2f}° per day; converged value {reference:.2f}.", hint)


# ---------------------------------------------------------------- notebook 3: baroclinic wave


def check_jw_minimum_surface_pressure(hpa, truncation: int) -> bool:
    """Exercise 3.1: the minimum surface pressure (hPa) at day 9 of the Jablonowski–Williamson
    wave with 20 layers at truncation `truncation`.

    Reference ranges, by truncation: at T42 940–955 hPa, the range of the package's
    `jablonowski_williamson` validation around the published high-resolution mid-940s (the model
    gives 947.5 hPa). At T21 the wave grows more slowly: 955–1000 hPa (the model gives 970 hPa,
    with 8 or 20 layers). Finer than T42 this model deepens the low further than the published
    references (937.7 hPa at T63 L20, dt 720 s), so there 930–955 hPa is accepted.
    """
    caller = "check_jw_minimum_surface_pressure"
    value = _number(hpa, "the pressure in hPa", caller)
    n = _number(truncation, "truncation", caller)
    if value is None or n is None:
        return False
    if value > 5000:
        return _verdict(False, f"{value:g} looks like Pa.", "divide by 100 for hPa.")
    low, high = (955.0, 1000.0) if n < 42 else (940.0, 955.0) if n < 63 else (930.0, 955.0)
    ok = low <= value <= high
    return _verdict(
        ok,
        f"{value:.1f} hPa at T{n:.0f} {'is' if ok else 'is not'} within {low:.0f}–{high:.0f} hPa"
        + (" (a coarse grid deepens the low less)." if n < 42 else "."),
        "take the minimum over the globe of surface_pressure at day 9 (not the last output), "
        "with 20 layers.",
    )


def check_jw_steady_eddy_wind(eddy_wind) -> bool:
    """Exercise 3.2: the largest deviation of u from its zonal mean in the unperturbed jet
    (`jw_steady`), in m s⁻¹.

    Reference: a spectral model on a Gaussian grid creates no zonal asymmetry, so it stays at
    round-off: at most 1e-3 m s⁻¹, the package's `jw_steady` validation threshold.
    """
    value = _number(eddy_wind, "the eddy wind", "check_jw_steady_eddy_wind")
    if value is None:
        return False
    ok = 0 <= value <= 1e-3
    return _verdict(
        ok,
        f"{value:.1e} m/s {'is' if ok else 'is not'} at round-off (≤ 1e-3 m/s).",
        "is it the unperturbed case jw_steady, and (u − u.mean('lon')) with absolute values?",
    )


# ---------------------------------------------------------------- notebook 4: Held–Suarez


@functools.lru_cache(maxsize=1)
def eddy_heat_flux_peak_latitude(sigma: float = 0.85) -> float:
    """|latitude| (°) of the largest poleward eddy heat flux v'T' on the level nearest `sigma` in
    the stored 1000-day T42 L20 Held–Suarez climatology (mean of the two hemispheres)."""
    import xarray as xr

    from ngcm_lab.paths import data_samples_dir

    path = data_samples_dir() / "held_suarez_climatology" / "held_suarez_T42L20.nc"
    with xr.open_dataset(path) as clim:
        flux = clim["eddy_heat_flux"].sel(sigma=sigma, method="nearest").values
        lat = clim["lat"].values
    north, south = lat > 0, lat < 0  # poleward: v'T' > 0 in the north, < 0 in the south
    return (lat[north][np.argmax(flux[north])] - lat[south][np.argmin(flux[south])]) / 2.0


def check_eddy_heat_flux_peak(latitude) -> bool:
    """Exercise 4.4: the latitude where the poleward eddy heat flux at σ ≈ 0.85 is largest
    (either sign: the hemispheres mirror each other).

    Reference: `eddy_heat_flux_peak_latitude()` from the stored T42 climatology. Tolerance ±10°:
    a T21 run puts its storm track some degrees equatorward of T42's, and a few hundred days of
    averaging leave a few degrees of noise.
    """
    value = _number(latitude, "the latitude", "check_eddy_heat_flux_peak")
    if value is None:
        return False
    reference = eddy_heat_flux_peak_latitude()
    ok = abs(abs(value) - reference) <= 10.0
    return _verdict(
        ok,
        f"{abs(value):.0f}° {'is' if ok else 'is not'} within 10° of the stored T42 climate's "
        f"{reference:.0f}°.",
        "average v'T' over the second half of a full-length run (the eddies need weeks to grow), "
        "on the level nearest σ = 0.85.",
    )


# ---------------------------------------------------------------- notebook 5: real data


@functools.lru_cache(maxsize=1)
def acc_without_climatology() -> float:
    """ACC of the persistence forecast of ERA5 z500 at the last time (+36 h) of the sample, with
    no climatology removed (climatology 0), area-weighted on the data's grid."""
    import xarray as xr

    from ngcm_lab.diagnostics import acc
    from ngcm_lab.paths import data_samples_dir
    from ngcm_lab.reanalysis import open_reanalysis
    from ngcm_lab.regridding import cell_areas

    path = data_samples_dir() / "real" / "era5_z_t_850_500_2017-01-01.nc"
    with xr.open_dataset(path, engine="h5netcdf") as members:
        era5 = open_reanalysis(members.mean("number", keep_attrs=True))
        z500 = era5["geopotential"].sel(level=500).load()
    weights = cell_areas(z500["latitude"], z500["longitude"])
    return float(acc(z500[0], z500[-1], 0.0, weights))


def check_acc_without_climatology(value) -> bool:
    """Exercise 5.6: the ACC of a +36 h z500 forecast when no climatology is removed.

    Reference: `acc_without_climatology()`, persistence on the ERA5 sample: any forecast of the
    right planet scores about as high, because Φ500 is everywhere near its 5.6 km mean. Accept
    within 0.005 of it.
    """
    number = _number(value, "the ACC", "check_acc_without_climatology")
    if number is None:
        return False
    reference = acc_without_climatology()
    ok = abs(number - reference) <= 0.005
    return _verdict(
        ok,
        f"ACC {number:.4f} {'≈' if ok else 'differs from'} persistence's {reference:.4f} "
        "without a climatology.",
        "pass climatology=0 to acc(forecast, truth, 0, weights) on the data's grid.",
    )
