"""Global diagnostics of decoded SI fields: means, energy, mass, water, forecast scores.

Fields are nodal arrays ``(..., nlat, nlon)`` as ``model.decode(state)`` returns them (numpy, jax
or ``xarray.DataArray``), with the vertical axis first for layered fields, ``(..., L, nlat,
nlon)``. Weights are the grid's ``area_weights`` (``Grid.area_weights``, shape ``(nlat, nlon)``;
any weights proportional to cell area work, as they are normalised here). Every reduction is over
the last two axes and keeps the leading ones, so a trajectory ``(time, ...)`` gives one value per
time. A DataArray input (latitude/longitude dims moved last) gives a DataArray with its leading
coordinates kept; other inputs give numpy arrays (0-d for a single field, use ``float(...)``).

Integrals over the sphere use the Earth's radius from :mod:`ngcm_lab.constants`; column masses
in σ coordinates are p_s Δσ_k / g per unit area (Simmons & Burridge 1981, pure σ).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ngcm_lab.constants import ANGULAR_VELOCITY, EARTH_RADIUS, GRAVITY

LAT_NAMES = ("lat", "latitude")
LON_NAMES = ("lon", "longitude")


def _is_dataarray(x: Any) -> bool:
    return hasattr(x, "dims") and hasattr(x, "coords") and hasattr(x, "attrs")


def _spatial_last(x: Any) -> Any:
    """A DataArray with its latitude and longitude dims moved to the end."""
    lat = next((n for n in LAT_NAMES if n in x.dims), None)
    lon = next((n for n in LON_NAMES if n in x.dims), None)
    return x if lat is None or lon is None else x.transpose(..., lat, lon)


def _values(x: Any) -> np.ndarray:
    """float64 numpy values; DataArrays with latitude and longitude last."""
    if _is_dataarray(x):
        x = _spatial_last(x).values
    return np.asarray(x, dtype=np.float64)


def _like(result: np.ndarray, template: Any, drop: int, **attrs: Any) -> Any:
    """``result`` as a DataArray over ``template``'s leading dims (all but the last ``drop``)."""
    if not _is_dataarray(template):
        return result
    import xarray as xr

    template = _spatial_last(template)
    dims = template.dims[: template.ndim - drop]
    coords = {
        name: coord
        for name, coord in template.coords.items()
        if set(coord.dims) <= set(dims)  # keeps scalar coordinates too
    }
    return xr.DataArray(result, dims=dims, coords=coords, attrs=attrs)


def _area_fraction(area_weights: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Weights broadcast to the last two axes of ``shape`` and normalised to sum to 1."""
    weights = _values(area_weights)
    if weights.ndim == 1:  # one weight per latitude
        weights = weights[:, None]
    weights = np.broadcast_to(weights, shape[-2:])
    total = weights.sum()
    if not np.isfinite(total) or total <= 0:
        raise ValueError("area_weights must be non-negative with a positive sum")
    return weights / total


def _mean(values: np.ndarray, area_weights: Any) -> np.ndarray:
    """Area-weighted mean over the last two axes."""
    if values.ndim < 2:
        raise ValueError(f"expected (..., nlat, nlon) fields, got shape {values.shape}")
    return np.sum(values * _area_fraction(area_weights, values.shape), axis=(-2, -1))


def _sphere_area(radius: float) -> float:
    return 4.0 * np.pi * float(radius) ** 2


def _column_mass(surface_pressure: Any, sigma_thickness: Any, gravity: float) -> np.ndarray:
    """Mass per unit area of each σ layer, p_s Δσ_k / g (kg m⁻²), shape (..., L, nlat, nlon)."""
    ps = _values(surface_pressure)
    dsigma = np.asarray(sigma_thickness, dtype=np.float64).reshape(-1, 1, 1)
    return ps[..., None, :, :] * dsigma / gravity


def global_mean(field: Any, area_weights: Any) -> Any:
    """Area-weighted global mean of ``(..., nlat, nlon)`` fields, one value per leading index."""
    units = field.attrs.get("units") if _is_dataarray(field) else None
    result = _mean(_values(field), area_weights)
    return _like(result, field, 2, **({"units": units} if units else {}))


def zonal_mean(field: Any) -> Any:
    """Mean over longitude (the last axis, or a DataArray's lon dim); longitudes equally spaced."""
    if _is_dataarray(field):
        lon = next((n for n in LON_NAMES if n in field.dims), field.dims[-1])
        return field.mean(lon, keep_attrs=True)
    return np.mean(np.asarray(field, dtype=np.float64), axis=-1)


def kinetic_energy(
    u: Any,
    v: Any,
    area_weights: Any,
    *,
    surface_pressure: Any = None,
    sigma_thickness: Any = None,
    gravity: float = GRAVITY,
) -> Any:
    """Global-mean kinetic energy: per unit mass, or per unit area of σ-level columns.

    Without ``surface_pressure``: ½⟨u² + v²⟩ (m² s⁻², J kg⁻¹) per leading index (per level of a
    layered field). With ``surface_pressure`` (Pa, ``(..., nlat, nlon)``) and ``sigma_thickness``
    (Δσ_k, shape (L,)), ``u`` and ``v`` are ``(..., L, nlat, nlon)`` and the result is the global
    mean of the mass-weighted column integral Σ_k ½(u_k² + v_k²) p_s Δσ_k / g (J m⁻²); multiply
    by 4πa² for joules.
    """
    ke = 0.5 * (_values(u) ** 2 + _values(v) ** 2)
    if surface_pressure is None and sigma_thickness is None:
        return _like(_mean(ke, area_weights), u, 2, units="m2 s-2")
    if surface_pressure is None or sigma_thickness is None:
        raise ValueError("a column integral needs both surface_pressure and sigma_thickness")
    column = np.sum(ke * _column_mass(surface_pressure, sigma_thickness, gravity), axis=-3)
    return _like(_mean(column, area_weights), u, 3, units="J m-2")


def enstrophy(vorticity: Any, area_weights: Any) -> Any:
    """Global-mean enstrophy ½⟨ζ²⟩ (s⁻²) per leading index (per level of a layered field)."""
    return _like(_mean(0.5 * _values(vorticity) ** 2, area_weights), vorticity, 2, units="s-2")


def total_mass(
    surface_pressure: Any,
    area_weights: Any,
    radius: float = EARTH_RADIUS,
    gravity: float = GRAVITY,
) -> Any:
    """Mass of the atmosphere (kg): Σ p_s / g · area, from surface pressure in Pa."""
    mass = _mean(_values(surface_pressure) / gravity, area_weights) * _sphere_area(radius)
    return _like(mass, surface_pressure, 2, units="kg")


def total_water(
    specific_humidity: Any,
    surface_pressure: Any,
    sigma_thickness: Any,
    area_weights: Any,
    radius: float = EARTH_RADIUS,
    gravity: float = GRAVITY,
) -> Any:
    """Mass of water vapour (kg): Σ_k q_k p_s Δσ_k / g · area.

    ``specific_humidity`` is ``(..., L, nlat, nlon)`` in kg kg⁻¹, ``surface_pressure``
    ``(..., nlat, nlon)`` in Pa, ``sigma_thickness`` the L values Δσ_k.
    """
    q = _values(specific_humidity)
    mass = _column_mass(surface_pressure, sigma_thickness, gravity)
    column = np.sum(q * mass, axis=-3)  # precipitable water, kg m⁻²
    return _like(
        _mean(column, area_weights) * _sphere_area(radius), specific_humidity, 3, units="kg"
    )


def precipitation_total(rate_kg_m2_s: Any, area_weights: Any, radius: float = EARTH_RADIUS) -> Any:
    """Global precipitation (kg s⁻¹) from a rate in kg m⁻² s⁻¹ (equal to mm of water per s)."""
    total = _mean(_values(rate_kg_m2_s), area_weights) * _sphere_area(radius)
    return _like(total, rate_kg_m2_s, 2, units="kg s-1")


def potential_vorticity_shallow_water(
    vorticity: Any,
    depth: Any,
    latitudes: Any,
    angular_velocity: float = ANGULAR_VELOCITY,
) -> Any:
    """Shallow-water potential vorticity (ζ + f)/h (m⁻¹ s⁻¹), with f = 2Ω sin φ.

    ``vorticity`` (s⁻¹) and ``depth`` h (m, the fluid depth, not the free surface) are
    ``(..., nlat, nlon)``; ``latitudes`` are the grid's latitudes in radians
    (``Grid.latitudes``). It is materially conserved by inviscid shallow-water flow.
    """
    lat = np.asarray(latitudes, dtype=np.float64).ravel()
    if np.abs(lat).max() > np.pi / 2 + 1e-9:
        raise ValueError("latitudes must be in radians (Grid.latitudes), not degrees")
    zeta, h = _values(vorticity), _values(depth)
    if zeta.shape[-2] != lat.size:
        raise ValueError(f"{lat.size} latitudes for fields with {zeta.shape[-2]} rows")
    coriolis = 2.0 * angular_velocity * np.sin(lat)[:, None]
    pv = (zeta + coriolis) / h
    if not _is_dataarray(vorticity):
        return pv
    return (
        _spatial_last(vorticity)
        .copy(data=pv, deep=False)
        .assign_attrs(long_name="potential vorticity (shallow water)", units="m-1 s-1")
    )


def rmse(forecast: Any, truth: Any, area_weights: Any) -> Any:
    """Area-weighted root-mean-square error over the last two axes, one value per leading index."""
    error = _values(forecast) - _values(truth)
    units = forecast.attrs.get("units") if _is_dataarray(forecast) else None
    result = np.sqrt(_mean(error**2, area_weights))
    return _like(result, forecast, 2, **({"units": units} if units else {}))


def acc(
    forecast: Any,
    truth: Any,
    climatology: Any,
    area_weights: Any,
    *,
    centered: bool = False,
) -> Any:
    """Area-weighted anomaly correlation coefficient, one value per leading index.

    With anomalies f′ = forecast − climatology and t′ = truth − climatology,
    ACC = ⟨f′ t′⟩ / √(⟨f′²⟩ ⟨t′²⟩) over the last two axes (the uncentred form used by
    WeatherBench 2, Rasp et al. 2024). ``centered=True`` first removes each anomaly's area mean
    (the centred ACC). 1 is a perfect pattern, 0 no skill, −1 the opposite pattern; 0.6 is the
    customary limit of useful skill for 500 hPa geopotential.
    """
    clim = _values(climatology)
    f, t = _values(forecast) - clim, _values(truth) - clim
    if centered:
        f = f - _mean(f, area_weights)[..., None, None]
        t = t - _mean(t, area_weights)[..., None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        result = _mean(f * t, area_weights) / np.sqrt(
            _mean(f**2, area_weights) * _mean(t**2, area_weights)
        )
    return _like(result, forecast, 2, units="1")
