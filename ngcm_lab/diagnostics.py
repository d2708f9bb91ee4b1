"""Global diagnostics of decoded SI fields: means, energy, mass, water, forecast scores, and
balanced winds for starting forecasts from a geopotential analysis.

Fields are nodal arrays ``(..., nlat, nlon)`` as ``model.decode(state)`` returns them (numpy, jax
or ``xarray.DataArray``), with the vertical axis first for layered fields, ``(..., L, nlat,
nlon)``. Weights are the grid's ``area_weights`` (``Grid.area_weights``, shape ``(nlat, nlon)``;
any weights proportional to cell area work, as they are normalised here). Every reduction is over
the last two axes and keeps the leading ones, so a trajectory ``(time, ...)`` gives one value per
time. A DataArray input (latitude/longitude dims moved last) gives a DataArray with its leading
coordinates kept; other inputs give numpy arrays (0-d for a single field, use ``float(...)``).

Integrals over the sphere use the Earth's radius from :mod:`ngcm_lab.constants`; column masses
in σ coordinates are p_s Δσ_k / g per unit area (Simmons & Burridge 1981, pure σ).

Balanced winds (the last section) also take a spectral ``Grid`` and work on its nodal fields:
`geostrophic_wind` of a geopotential, `balanced_geopotential` of a wind (the nonlinear balance
equation, with the shallow-water model's own spectral operators) and `nonlinear_balance`, which
fits a balanced wind and geopotential to a geopotential such as a 500 hPa analysis, to start a
shallow-water forecast without gravity-wave shock.
"""

from __future__ import annotations

from typing import Any, NamedTuple

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


def global_mean_column_integral(
    field: Any,
    surface_pressure: Any,
    sigma_thickness: Any,
    area_weights: Any,
    gravity: float = GRAVITY,
) -> Any:
    """Global mean per unit area of the column integral Σ_k x_k p_s Δσ_k / g.

    A heating rate ∂T/∂t (K s⁻¹) times c_p gives W m⁻²; a moistening ∂q/∂t (kg kg⁻¹ s⁻¹) gives
    kg m⁻² s⁻¹. ``field`` is ``(..., L, nlat, nlon)``, ``surface_pressure`` ``(..., nlat, nlon)``
    in Pa, ``sigma_thickness`` the L values Δσ_k.
    """
    mass = _column_mass(surface_pressure, sigma_thickness, gravity)
    column = np.sum(_values(field) * mass, axis=-3)
    return _like(_mean(column, area_weights), field, 3)


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


# ------------------------------------------------------------------------- balanced winds
# These take a `Grid` (spherical_harmonics) and use its spectral derivatives, so that a wind or
# geopotential they return is in balance in the model's own discretisation.


class BalancedFlow(NamedTuple):
    """Result of `nonlinear_balance`: nodal SI fields on the grid and the fit's history.

    ``u``, ``v`` (m s⁻¹) are nondivergent; ``geopotential`` (m² s⁻²) is in nonlinear balance
    with them; ``target`` is the geopotential that was fitted, truncated at the grid's N (what
    the model can represent); ``residual_rms`` is the rms of target − geopotential over the
    corrected latitudes, less its mean in each hemisphere (the tropics, left uncorrected, can
    offset a hemisphere as a whole), at each iteration (0 is the geostrophic first guess); and
    ``best_iteration`` is the iteration returned.
    """

    u: np.ndarray
    v: np.ndarray
    geopotential: np.ndarray
    target: np.ndarray
    residual_rms: np.ndarray
    best_iteration: int


def latitude_taper(latitudes: Any, taper_deg: tuple[float, float]) -> np.ndarray:
    """Weight 0 for |φ| ≤ taper_deg[0], 1 for |φ| ≥ taper_deg[1], a sin² ramp between.

    ``latitudes`` in radians (``Grid.latitudes``); ``(0, 0)`` gives 1 everywhere.
    """
    low, high = (float(t) for t in taper_deg)
    if not 0.0 <= low <= high <= 90.0:
        raise ValueError(f"taper_deg must satisfy 0 ≤ low ≤ high ≤ 90, got {taper_deg}")
    phi = np.abs(np.degrees(np.asarray(latitudes, dtype=np.float64)))
    if high == low:
        return np.where(phi >= high, 1.0, 0.0)
    x = np.clip((phi - low) / (high - low), 0.0, 1.0)
    return np.sin(0.5 * np.pi * x) ** 2


def _nodal(grid: Any, modal: Any) -> np.ndarray:
    return np.asarray(grid.to_nodal(modal), dtype=np.float64)


def _rotational_part(grid: Any, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nondivergent part of a nodal wind: its vorticity (truncated at N), zero divergence."""
    vorticity, divergence = grid.vort_div_from_uv(u, v)
    u, v = grid.uv_from_vort_div(vorticity, divergence * 0)
    return np.asarray(u, np.float64), np.asarray(v, np.float64)


def _check_nodal(name: str, x: Any, grid: Any) -> np.ndarray:
    values = _values(x)
    if values.shape[-2:] != tuple(grid.nodal_shape):
        raise ValueError(
            f"{name} has shape {values.shape}; expected (..., {grid.nlat}, {grid.nlon}) on the "
            f"{grid.name or 'given'} grid (regrid with ngcm_lab.regridding.to_model_grid first)"
        )
    return values


def geostrophic_wind(
    geopotential: Any,
    grid: Any,
    *,
    taper_deg: tuple[float, float] = (10.0, 20.0),
    nondivergent: bool = True,
    radius: float = EARTH_RADIUS,
    angular_velocity: float = ANGULAR_VELOCITY,
) -> tuple[np.ndarray, np.ndarray]:
    """Geostrophic wind (m s⁻¹) of a geopotential Φ (m² s⁻²) on the nodal grid of ``grid``.

    u_g = −(1 / f a) ∂Φ/∂φ and v_g = (1 / f a cos φ) ∂Φ/∂λ with f = 2Ω sin φ, the derivatives
    taken spectrally from Φ truncated at the grid's N. Geostrophy fails as f → 0, so the wind is
    multiplied by `latitude_taper(φ, taper_deg)`: zero equatorward of ``taper_deg[0]``, full
    poleward of ``taper_deg[1]``. With ``nondivergent`` (default) the rotational part of that
    wind is returned (its vorticity, zero divergence): on the sphere the geostrophic wind is
    slightly divergent (β v_g / f), and the taper adds divergence too. Fields are
    ``(..., nlat, nlon)``; the result has the same shape.
    """
    phi = _check_nodal("geopotential", geopotential, grid)
    phi = phi - _mean(phi, grid.area_weights)[..., None, None]  # the mean has no gradient
    modal = grid.truncate(grid.to_modal(phi))
    cos_lat = grid.cos_latitude[:, None]
    d_dlat = _nodal(grid, grid.cos_lat_d_dlat(modal)) / cos_lat
    d_dlon = _nodal(grid, grid.d_dlon(modal))
    weight = latitude_taper(grid.latitudes, taper_deg)[:, None]
    f_a = 2.0 * angular_velocity * grid.sin_latitude[:, None] * radius
    safe = np.where(weight > 0, f_a, 1.0)
    u = np.where(weight > 0, -weight * d_dlat / safe, 0.0)
    v = np.where(weight > 0, weight * d_dlon / (safe * cos_lat), 0.0)
    return _rotational_part(grid, u, v) if nondivergent else (u, v)


def balanced_geopotential(
    u: Any,
    v: Any,
    grid: Any,
    *,
    global_mean: float = 0.0,
    radius: float = EARTH_RADIUS,
    angular_velocity: float = ANGULAR_VELOCITY,
) -> np.ndarray:
    """Geopotential (m² s⁻²) in nonlinear balance with the rotational part of a wind (m s⁻¹).

    Setting δ = ∂δ/∂t = 0 in the shallow-water divergence equation (Φ = g h) gives the
    nonlinear balance equation ∇²Φ = k·∇×[(ζ + f) v] − ∇²(½|v|²), solved here with the grid's
    spectral operators exactly as the model forms those terms, so a model started from this Φ
    and wind has ∂δ/∂t = 0 at the first step (to round-off). Φ is truncated at the grid's N;
    its area mean, which the equation leaves free, is ``global_mean``. ``u``, ``v`` are
    ``(nlat, nlon)`` nodal fields on ``grid``; any divergent part of the wind is dropped.
    """
    u, v = _rotational_part(grid, _check_nodal("u", u, grid), _check_nodal("v", v, grid))
    vorticity, _ = grid.vort_div_from_uv(u, v)  # a ζ on the unit sphere
    f = 2.0 * angular_velocity * grid.sin_latitude[:, None]
    eta = _nodal(grid, vorticity) / radius + f
    cos_lat = grid.cos_latitude[:, None]
    curl = grid.curl_cos_lat(eta * u * cos_lat, eta * v * cos_lat)  # a k·∇×(η v)
    kinetic = grid.to_modal(0.5 * (u**2 + v**2))
    phi = _nodal(grid, grid.truncate(radius * grid.inverse_laplacian(curl) - kinetic))
    return phi - _mean(phi, grid.area_weights)[..., None, None] + global_mean


def _residual_rms(residual: np.ndarray, weight: np.ndarray, north: np.ndarray) -> float:
    """Weighted rms of a residual less its weighted mean in each hemisphere."""
    total, count = 0.0, 0.0
    for hemisphere in (north, ~north):
        w = np.where(hemisphere, weight, 0.0)
        if w.sum() > 0:
            offset = np.sum(w * residual) / w.sum()
            total, count = total + np.sum(w * (residual - offset) ** 2), count + w.sum()
    return float(np.sqrt(total / count)) if count > 0 else 0.0


def nonlinear_balance(
    geopotential: Any,
    grid: Any,
    *,
    iterations: int = 30,
    relaxation: float = 0.6,
    taper_deg: tuple[float, float] = (10.0, 20.0),
    correction_taper_deg: tuple[float, float] = (20.0, 30.0),
    radius: float = EARTH_RADIUS,
    angular_velocity: float = ANGULAR_VELOCITY,
) -> BalancedFlow:
    """A nondivergent wind and a geopotential in nonlinear balance that fit Φ outside the tropics.

    Starting from the `geostrophic_wind` of the target Φ (``taper_deg``), each iteration
    computes the `balanced_geopotential` Φ_b of the current wind and adds ``relaxation`` times
    the geostrophic wind of the residual Φ − Φ_b, tapered by ``correction_taper_deg``: the
    geostrophic relation serves as an approximate inverse of the balance operator, good where
    the Rossby number is small. Corrections stop short of the subtropics because there the
    small f makes the step overshoot and the iteration diverge; equatorward of them the wind
    stays the tapered geostrophic first guess and Φ_b departs from Φ. The iterate with the
    smallest residual rms (area-weighted by the correction taper, less each hemisphere's mean
    residual) is returned.

    ``geopotential`` (m² s⁻²) is a single nodal field ``(nlat, nlon)`` on ``grid``; it is
    truncated at N before fitting, and Φ_b keeps its area mean.
    """
    target = _check_nodal("geopotential", geopotential, grid)
    if target.ndim != 2:
        raise ValueError(f"nonlinear_balance takes one (nlat, nlon) field, got {target.shape}")
    if iterations < 0 or not 0.0 < relaxation <= 1.0:
        raise ValueError("need iterations ≥ 0 and 0 < relaxation ≤ 1")
    mean = float(_mean(target, grid.area_weights))
    target = _nodal(grid, grid.truncate(grid.to_modal(target - mean))) + mean
    weight = latitude_taper(grid.latitudes, correction_taper_deg)[:, None] * grid.area_weights
    north = (grid.latitudes > 0)[:, None]
    constants = {"radius": radius, "angular_velocity": angular_velocity}
    u, v = geostrophic_wind(target, grid, taper_deg=taper_deg, **constants)
    history, best = [], None
    for iteration in range(iterations + 1):
        phi = balanced_geopotential(u, v, grid, global_mean=mean, **constants)
        residual = target - phi
        history.append(_residual_rms(residual, weight, north))
        if best is None or history[-1] < history[best[0]]:
            best = (iteration, u, v, phi)
        if iteration < iterations:
            du, dv = geostrophic_wind(residual, grid, taper_deg=correction_taper_deg, **constants)
            u, v = u + relaxation * du, v + relaxation * dv
    iteration, u, v, phi = best
    return BalancedFlow(u, v, phi, target, np.asarray(history), iteration)
