"""Pressure-level data (the canonical reanalysis Dataset) ↔ the primitive-equation model's state.

`model_from_pressure_levels(ds, "T42", 20)` builds a `PrimitiveEquationsModel` whose initial state
is one time of `ds` (as returned by `ngcm_lab.reanalysis.open_reanalysis`):

1. every field is regridded first-order conservatively to the Gauss cells (`regridding`);
2. the surface geopotential Φ_s is the regridded `geopotential_at_surface`, truncated at the grid's
   N and smoothed as `orography.orography_on_grid` does (Sardeshmukh–Hoskins, S(N) = 0.2), so it
   is exactly what the model sees; zero when the file has none;
3. p_s is moved hydrostatically from the data's surface to the model's (below); without
   `surface_pressure` it is found where the data's geopotential crosses Φ_s;
4. u, v, T (and q) go from pressure levels to the σ levels p = σ p_s with the rules of
   `vertical_interpolation.pressure_to_sigma` (ln p-linear inside the data; above the top level
   held; below the lowest level above the data's ground, T at 6.5 K/km and the rest held). The
   data's ground decides which levels are data: levels below it are first refilled by those
   rules, then every level is used, so a level just below the model's surface but above the
   data's still counts (`pressure_to_sigma` would drop it, as it judges by the p_s it is given).

Surface pressure on the model's orography. Smoothing and truncation move the surface: where the
model's Φ_s is higher than the data's, its surface lies above the data's and p_s must be lower.
The hypsometric equation across the thin layer between the two surfaces gives

    p_s,model = p_s,data · exp(−(Φ_s,model − Φ_s,data) / (R_d T_low)),

with T_low the data's (virtual, for moist models) temperature at its own surface (the lowest
level above ground carried down to p_s,data at 6.5 K/km) moved to the middle of that layer at the
same lapse rate, T_low = T_s − Γ ΔΦ_s / (2g); this is second-order accurate in ΔΦ_s. Without
`geopotential_at_surface` the model is flat (Φ_s = 0) and the data's own surface geopotential is
diagnosed from its geopotential at p_s (hypsometric interpolation), so p_s becomes the pressure at
Φ = 0; with neither geopotential field, p_s is taken as given.

Without `surface_pressure`, p_s is where the column's geopotential profile equals the model's
Φ_s: within the bracketing pair of levels the profile is ln p-linear plus the hypsometric
curvature of `vertical_interpolation` (so re-interpolating Φ to that p_s gives Φ_s back), and
below the lowest level it is the 6.5 K/km extrapolation. Needs `geopotential`; a column whose
Φ_s is above the top level's geopotential is an error.

`state_to_pressure_levels(model, state, levels_hpa)` is the way back: canonical variables on
(level, latitude, longitude), with geopotential integrated hypsometrically up from Φ_s with the
model's T (virtual T when moist), optionally regridded conservatively to a given lat–lon grid.

Round-trip error budget (dataset → T42 L20 state → the same levels and grid, maximum over the
levels above the data's ground; measured in tests/test_pressure_levels.py, explained in
docs/pressure_levels.md). WeatherBench2-style sample (5.625°, 5 levels): T 5.0 K at 100 hPa and
≤ 0.43 K below, u 3.1 m s⁻¹ (250 hPa jet), q 2.7e-3 at 1000 hPa, p_s 80 Pa, Φ 255 m² s⁻² at
100 hPa against the hypsometric Φ of the data's own T_v. Jablonowski–Williamson (2.5°, 13 levels):
T 4.7 K at 50–100 hPa and ≤ 0.72 K from 200 hPa down, u 1.2 m s⁻¹ at 1000 hPa, Φ 782 m² s⁻² at
50 hPa (604 of it already lost by representing T on 13 levels) and ≤ 117 m² s⁻² from 150 hPa
down, p_s 30 Pa. The σ spacing dominates near the top data level and below the lowest σ level
(80 layers shrink those errors about 4×); elsewhere the horizontal round trip (conservative
regridding there and back, plus truncation for the blocky 5.625° winds) is most of the error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ngcm_lab.cases.jablonowski_williamson import PrimitiveFields
from ngcm_lab.constants import GRAVITY, P0, R_DRY, VIRTUAL_FACTOR
from ngcm_lab.initialisation import surface_pressure_on_orography
from ngcm_lab.orography import analysis, smoothing_factors, synthesis
from ngcm_lab.physics_terms import PhysicsTerm
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.reanalysis import check_plausible
from ngcm_lab.reanalysis_units import COORDINATE_ATTRS, VARIABLES
from ngcm_lab.regridding import from_model_grid, to_model_grid
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid
from ngcm_lab.vertical_interpolation import (
    LAPSE_EXPONENT,
    STANDARD_LAPSE_RATE,
    geopotential_on_pressure_levels,
    pressure_to_sigma,
    sigma_to_pressure,
)

U, V, T, Z, Q = (
    "u_component_of_wind",
    "v_component_of_wind",
    "temperature",
    "geopotential",
    "specific_humidity",
)
PS, ZS = "surface_pressure", "geopotential_at_surface"
_DIMS = ("latitude", "longitude", "level")


# ------------------------------------------------------------------------------ data → model
def _snapshot(ds: xr.Dataset, time_index: int) -> xr.Dataset:
    """One time of a canonical Dataset, checked: required variables, dims, level units."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"expected an xarray.Dataset, got {type(ds).__name__}")
    missing_dims = [d for d in _DIMS if d not in ds.dims]
    if missing_dims:
        raise ValueError(
            f"the Dataset has no {', '.join(missing_dims)} dimension (found {sorted(ds.dims)}); "
            "pass the canonical Dataset of ngcm_lab.reanalysis.open_reanalysis"
        )
    missing = [name for name in (U, V, T) if name not in ds]
    if PS not in ds and Z not in ds:
        missing.append(f"{PS} (or {Z} on pressure levels, to derive it)")
    if missing:
        raise ValueError(
            f"the Dataset lacks {', '.join(missing)} (found {sorted(map(str, ds.data_vars))}); "
            f"the model needs {U}, {V}, {T} on pressure levels and {PS}, or {Z} and "
            f"optionally {ZS} to find the surface"
        )
    if "time" in ds.dims:
        size = ds.sizes["time"]
        if not -size <= time_index < size:
            raise ValueError(f"time_index {time_index} is out of range: the Dataset has {size}")
        ds = ds.isel(time=time_index)
    if float(ds["level"].max()) > 2000.0:
        raise ValueError("level looks like Pa; the canonical `level` is in hPa")
    return ds.sortby("level")


def _values(da: xr.DataArray) -> np.ndarray:
    dims = [d for d in ("level", "latitude", "longitude") if d in da.dims]
    if set(da.dims) - set(dims):
        raise ValueError(f"{da.name} has unexpected dimensions {da.dims}")
    return np.asarray(da.transpose(*dims).values, np.float64)


def _regrid(name: str, values: np.ndarray, grid: Grid, lat, lon) -> np.ndarray:
    out = to_model_grid(values, grid, lat, lon)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} has missing (NaN) values: fill them before building a model")
    return out


def model_surface_geopotential(phi_s: np.ndarray, grid: Grid, smooth: bool = True) -> np.ndarray:
    """Nodal Φ_s (m² s⁻²) as the model sees it: truncated at N, Sardeshmukh–Hoskins smoothed
    with the defaults of `orography.orography_on_grid` (or only truncated if not `smooth`)."""
    modal = analysis(grid, phi_s)
    if smooth:
        modal = modal * smoothing_factors(grid)
    return synthesis(grid, modal)


def _column_index(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.take_along_axis(values, index[None], axis=0)[0]


def _lowest_above_ground(p: np.ndarray, ps: np.ndarray) -> np.ndarray:
    """Index of the lowest level with p ≤ p_s in each column (the top level if none)."""
    return np.maximum(np.sum(p[:, None, None] <= ps[None], axis=0) - 1, 0)


def _fill_underground(values: np.ndarray, p: np.ndarray, ps: np.ndarray, kind: str) -> np.ndarray:
    """Replace values on levels below the data's own surface (p > p_s: the reanalysis'
    extrapolation, never data) by the rules of `vertical_interpolation` from the lowest level
    above ground: T at 6.5 K/km, anything else held."""
    b = _lowest_above_ground(p, ps)
    base = _column_index(values, b)
    if kind == "temperature":
        fill = base * (p[:, None, None] / p[b]) ** LAPSE_EXPONENT
    else:
        fill = np.broadcast_to(base, values.shape)
    return np.where(np.arange(p.size)[:, None, None] > b, fill, values)


def _complete_columns_to_sigma(
    values: np.ndarray, p: np.ndarray, ps: np.ndarray, sigma: np.ndarray, kind: str
) -> np.ndarray:
    """Values at σ p_s from columns whose every level is data (underground levels filled),
    with the rules of `pressure_to_sigma`: ln p-linear inside, the top value held above, below
    the lowest level T at 6.5 K/km and the rest held.

    `pressure_to_sigma` itself drops levels below the p_s it is given; here p_s is the model's,
    and a level just below the model's surface but above the data's is still data.
    """
    x = np.log(p)
    target = np.log(sigma)[:, None, None] + np.log(ps)[None]
    count = np.sum(x[None, :, None, None] <= target[:, None], axis=1)
    lo, hi = np.clip(count - 1, 0, p.size - 1), np.clip(count, 0, p.size - 1)
    v_lo, v_hi = np.take_along_axis(values, lo, 0), np.take_along_axis(values, hi, 0)
    dx = x[hi] - x[lo]
    w = np.where(dx > 0, (target - x[lo]) / np.where(dx > 0, dx, 1.0), 0.0)
    out = v_lo + w * (v_hi - v_lo)
    if kind == "temperature":
        out = np.where(count >= p.size, v_lo * np.exp(LAPSE_EXPONENT * (target - x[lo])), out)
    return out


def surface_pressure_from_geopotential(
    geopotential: np.ndarray, temperature: np.ndarray, levels_pa: np.ndarray, phi_s: np.ndarray
) -> np.ndarray:
    """p_s (Pa) where each column's Φ profile on ascending `levels_pa` equals Φ_s (module doc).

    `temperature` (virtual for moist air) gives the hypsometric curvature between levels and the
    6.5 K/km extrapolation below the lowest level.
    """
    p = np.asarray(levels_pa, np.float64)
    x = np.log(p)
    above = np.sum(geopotential >= phi_s[None], axis=0)  # levels at or above the surface
    if np.any(above == 0):
        raise ValueError(
            "the surface geopotential exceeds the geopotential of the top pressure level in "
            f"{int(np.sum(above == 0))} column(s): cannot place the surface; check the units"
        )
    n = p.size
    lo = np.minimum(above - 1, n - 1)
    hi = np.minimum(lo + 1, n - 1)
    phi_lo, phi_hi = _column_index(geopotential, lo), _column_index(geopotential, hi)
    t_lo, t_hi = _column_index(temperature, lo), _column_index(temperature, hi)
    dx = x[hi] - x[lo]
    # Between levels: Φ(w) = Φ_lo + w ΔΦ + c w (1 − w), c = ½ R ΔT Δx; Newton from linear.
    slope, c = phi_hi - phi_lo, 0.5 * R_DRY * (t_hi - t_lo) * dx
    safe = np.where(slope != 0, slope, -1.0)
    w = np.clip((phi_s - phi_lo) / safe, 0.0, 1.0)
    for _ in range(4):
        residual = phi_lo + w * slope + c * w * (1.0 - w) - phi_s
        derivative = slope + c * (1.0 - 2.0 * w)
        w = np.clip(w - residual / np.where(derivative != 0, derivative, -1.0), 0.0, 1.0)
    inside = np.exp(x[lo] + w * dx)
    # Below the lowest level: T_s = T_b + Γ (Φ_b − Φ_s) / g and p_s = p_b (T_s / T_b)^(1/α).
    t_surface = t_lo + STANDARD_LAPSE_RATE * (phi_lo - phi_s) / GRAVITY
    below = p[lo] * (t_surface / t_lo) ** (1.0 / LAPSE_EXPONENT)
    return np.where(above >= n, below, inside)


def fields_from_pressure_levels(
    ds: xr.Dataset,
    grid: Grid,
    coords: SigmaCoordinates,
    *,
    time_index: int = 0,
    moist: bool | None = None,
    smooth_orography: bool = True,
) -> PrimitiveFields:
    """Nodal SI fields on `grid` and the σ layers of `coords` from one time of `ds` (the steps
    of the module docstring); `moist` defaults to whether `ds` has specific humidity. That time
    is loaded once and checked by `reanalysis.check_plausible` (implausible values, e.g. from a
    wrong `units` attribute, raise `ReanalysisValueError`), whatever `open_reanalysis` checked."""
    ds = _snapshot(ds, time_index).compute()
    check_plausible(ds)
    moist = Q in ds if moist is None else bool(moist)
    if moist and Q not in ds:
        raise ValueError(f"moist=True needs {Q} in the Dataset")
    lat, lon = ds["latitude"].values, ds["longitude"].values
    p = np.asarray(ds["level"].values, np.float64) * 100.0
    names = [U, V, T] + [n for n in (Z,) if n in ds] + ([Q] if moist else [])
    stacked = _regrid("the level fields", np.stack([_values(ds[n]) for n in names]), grid, lat, lon)
    level = dict(zip(names, stacked, strict=True))
    if moist:
        level[Q] = np.maximum(level[Q], 0.0)
    t_virtual = level[T] * (1.0 + VIRTUAL_FACTOR * level[Q]) if moist else level[T]

    has_zs = ZS in ds
    phi_s_data = _regrid(ZS, _values(ds[ZS]), grid, lat, lon) if has_zs else None
    phi_s = np.zeros(grid.nodal_shape)
    if has_zs:
        phi_s = model_surface_geopotential(phi_s_data, grid, smooth_orography)

    if PS in ds:
        ps_data = _regrid(PS, _values(ds[PS]), grid, lat, lon)
        if ps_data.max() < 2000.0 or ps_data.min() <= 0.0:
            raise ValueError(f"{PS} must be positive and in Pa (maximum {ps_data.max():g})")
        # Regridding leaves round-off on p_s (a constant 1000 hPa comes back as 999.99999…):
        # snap values within 1e-6 of a level onto it, so that the level still counts as data.
        near = np.abs(ps_data[None] - p[:, None, None]) <= 1e-6 * p[:, None, None]
        ps_data = np.where(near.any(axis=0), p[np.argmax(near, axis=0)], ps_data)
        t_surface = pressure_to_sigma(t_virtual, p, ps_data, [1.0], kind="temperature")[0]
        if phi_s_data is None and Z in level:  # diagnose the data's own surface height
            phi_s_data = pressure_to_sigma(
                level[Z], p, ps_data, [1.0], kind="geopotential", temperature=t_virtual
            )[0]
        phi_data = phi_s if phi_s_data is None else phi_s_data
        ps = surface_pressure_on_orography(ps_data, t_surface, phi_data, phi_s)
    else:
        ps_data = ps = surface_pressure_from_geopotential(level[Z], t_virtual, p, phi_s)
    kinds = {U: "wind", V: "wind", T: "temperature"} | ({Q: "humidity"} if moist else {})
    on_sigma = {
        n: _complete_columns_to_sigma(
            _fill_underground(level[n], p, ps_data, kind), p, ps, coords.centers, kind
        )
        for n, kind in kinds.items()
    }
    zeros = np.zeros((coords.layers, *grid.nodal_shape))
    return PrimitiveFields(
        u=on_sigma[U],
        v=on_sigma[V],
        temperature=on_sigma[T],
        surface_pressure=ps,
        surface_geopotential=phi_s,
        vorticity_perturbation=zeros,
        divergence_perturbation=zeros,
        specific_humidity=np.maximum(on_sigma[Q], 0.0) if moist else None,
    )


def model_from_pressure_levels(
    ds: xr.Dataset,
    resolution: str | Grid = "T42",
    layers: int = 20,
    *,
    time_index: int = 0,
    dt_s: float | None = None,
    moist: bool | None = None,
    physics: Sequence[PhysicsTerm] = (),
    dtype: Any = np.float32,
    smooth_orography: bool = True,
    name: str = "pressure_levels",
) -> PrimitiveEquationsModel:
    """A primitive-equation model on `resolution` and `layers` equidistant σ layers whose
    `initial_state` is time `time_index` of the canonical Dataset `ds` (module docstring).

    Moist (virtual temperature, q as a tracer) when `ds` has specific humidity, unless
    `moist=False`; `physics` are the model's physics terms, e.g. `(SimplePhysics(),)` for the
    simple moist physics (aquaplanet surface fluxes).
    `dt_s` defaults to `primitive_model.suggested_dt`. Raises ValueError for missing variables.
    """
    grid = resolution if isinstance(resolution, Grid) else Grid.from_name(resolution, dtype)
    coords = SigmaCoordinates.equidistant(layers)
    fields = fields_from_pressure_levels(
        ds, grid, coords, time_index=time_index, moist=moist, smooth_orography=smooth_orography
    )
    return PrimitiveEquationsModel.from_fields(
        fields, grid, coords, dt_s, physics=physics, name=name
    )


# ------------------------------------------------------------------------------ model → data
def _check_levels(levels_hpa: Any) -> np.ndarray:
    levels = np.unique(np.asarray(levels_hpa, np.float64).ravel())
    if levels.size == 0 or not np.all(np.isfinite(levels)) or np.any(levels <= 0):
        raise ValueError("levels_hpa must be finite, positive pressures in hPa")
    if levels.max() > 2000.0:
        raise ValueError(f"levels_hpa has maximum {levels.max():g}, which looks like Pa")
    return levels


def state_to_pressure_levels(
    model: PrimitiveEquationsModel,
    state: Any,
    levels_hpa: Any,
    *,
    lat: Any = None,
    lon: Any = None,
    time: Any = None,
) -> xr.Dataset:
    """The canonical variables on pressure levels from a model state.

    u, v, T and q are interpolated from σ to `levels_hpa` (returned ascending) with
    `sigma_to_pressure`; levels below the ground are extrapolated (T at 6.5 K/km, Φ
    hypsometrically, the rest held) as reanalyses do. Geopotential is integrated up from the
    model's Φ_s with its T (virtual T when moist): trapezoids in ln σ between layers, 6.5 K/km
    below the lowest, and interpolated with the matching hypsometric curvature. Also
    `surface_pressure` and `geopotential_at_surface`. Dims (level, latitude, longitude) on the
    Gaussian grid, or regridded conservatively to `lat`, `lon` (cell centres, degrees); with
    `time` a length-one `time` dimension is added. Float32 or float64 as the model's grid.
    """
    levels = _check_levels(levels_hpa)
    p = levels * 100.0
    grid, sigma = model.grid, model.coords.centers
    fields = model.decode(state)
    ps, t = fields["surface_pressure"], fields["temperature"]
    q = fields.get(Q)
    phi_s = model.equation.surface_geopotential
    phi_s = (
        np.zeros(grid.nodal_shape)
        if phi_s is None
        else model.scales.dim_geopotential(np.asarray(phi_s, np.float64))
    )
    t_virtual = t if q is None else t * (1.0 + VIRTUAL_FACTOR * q)
    # Only Δln p matters, so the σ levels of every column integrate as p = σ P0 over p_s = P0.
    phi_sigma = geopotential_on_pressure_levels(
        t_virtual, sigma * P0, np.full(grid.nodal_shape, P0), phi_s
    )
    out = {
        U: sigma_to_pressure(fields["u"], sigma, ps, p, kind="wind"),
        V: sigma_to_pressure(fields["v"], sigma, ps, p, kind="wind"),
        T: sigma_to_pressure(t, sigma, ps, p, kind="temperature"),
        Z: sigma_to_pressure(phi_sigma, sigma, ps, p, kind="geopotential", temperature=t_virtual),
    }
    if q is not None:
        out[Q] = np.maximum(sigma_to_pressure(q, sigma, ps, p, kind="humidity"), 0.0)
    out[PS], out[ZS] = ps, phi_s
    if (lat is None) != (lon is None):
        raise ValueError("give both lat and lon (degrees) to regrid, or neither")
    if lat is None:
        lat_deg, lon_deg = np.degrees(grid.latitudes), np.degrees(grid.longitudes)
    else:
        lat_deg, lon_deg = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
        out = {n: from_model_grid(v, grid, lat_deg, lon_deg) for n, v in out.items()}
    dtype = np.dtype(grid.dtype)
    data_vars = {}
    for n, values in out.items():
        dims = ("level", "latitude", "longitude") if values.ndim == 3 else ("latitude", "longitude")
        da = xr.DataArray(values.astype(dtype), dims=dims)
        if time is not None and n != ZS:
            da = da.expand_dims(time=[np.datetime64(time, "ns")])
        da.attrs = VARIABLES[n].attrs  # as open_reanalysis writes them
        data_vars[n] = da
    values = {"level": levels, "latitude": lat_deg, "longitude": lon_deg}
    coords = {name: (name, values[name], dict(COORDINATE_ATTRS[name])) for name in values}
    attrs = {"source": f"ngcm_lab {model.grid.name} L{model.coords.layers} state"}
    return xr.Dataset(data_vars, coords, attrs)
