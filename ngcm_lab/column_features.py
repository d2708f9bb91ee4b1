"""What the column network sees: per-column features from a primitive-equation state.

For every grid column (NeuralGCM, Kochkov et al. 2024, Methods "Learned physics"): the prognostic
variables on all levels (u, v, relative vorticity ζ, divergence δ, temperature T, specific humidity
q, ln p_s), the horizontal derivatives of the scalars (∂/∂λ / cos φ, ∂/∂φ and ∇², exact spectral
derivatives), and fields that do not evolve: surface geopotential, land fraction, sin φ, cos φ,
and the top-of-atmosphere incident solar radiation at the current time (`jax_solar`). Optionally
one input that is not the column's own: the global-mean temperature of every level, the same in
every column, which tells a drift of the whole atmosphere from local weather. Features are in model
units and then standardised with fixed per-feature means and standard deviations
(`FeatureNormalisation`), computed once from reference states and stored with the model; the
global means are divided by `GLOBAL_TEMPERATURE_SCALE_K` instead of their spread across states,
which is far smaller than the drifts they are there to show.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import jax_solar
import numpy as np

from ngcm_lab.constants import SECONDS_PER_DAY
from ngcm_lab.primitive_equations import PrimitiveEquationsState
from ngcm_lab.spherical_harmonics import Grid

Array = jax.Array

DAYS_PER_YEAR = 365.2425
GLOBAL_TEMPERATURE_SCALE_K = 1.0  # a uniform warming of 1 K moves each global input by 1


def toa_insolation(time_s: Array, grid: Grid, start: str = "2020-01-01T00:00") -> Array:
    """Top-of-atmosphere incident solar radiation (W m⁻²) on the grid at `start + time_s`.

    The orbital phase is 0 at 1 January 00 UTC of `start`'s year and the synodic phase 0 at
    midnight UTC, as `jax_solar.OrbitalTime` defines them; traceable in `time_s`.
    """
    start64 = np.datetime64(start, "s")
    year = start64.astype("datetime64[Y]")
    offset_days = float((start64 - year.astype("datetime64[s]")) / np.timedelta64(1, "D"))
    days = offset_days + jnp.asarray(time_s) / SECONDS_PER_DAY
    orbital = jax_solar.OrbitalTime(
        orbital_phase=2.0 * jnp.pi * days / DAYS_PER_YEAR,
        synodic_phase=2.0 * jnp.pi * jnp.mod(days, 1.0),
    )
    lat = np.degrees(grid.latitudes)[:, None]
    lon = np.degrees(grid.longitudes)[None, :]
    return jax_solar.radiation_flux(orbital, lon, lat).astype(grid.dtype)


@dataclasses.dataclass(frozen=True)
class StaticFields:
    """Per-column inputs that do not evolve: nodal (nlat, nlon), model units."""

    surface_geopotential: np.ndarray
    land_fraction: np.ndarray


def feature_names(layers: int, moist: bool, global_temperature: bool = False) -> list[str]:
    """Names of the features in the order `column_features` stacks them."""
    per_level = ["u", "v", "vorticity", "divergence"]
    scalars = ["temperature"] + (["specific_humidity"] if moist else [])
    for name in scalars:
        per_level += [name, f"d{name}_dlon", f"d{name}_dlat", f"laplacian_{name}"]
    names = [f"{name}[{k}]" for name in per_level for k in range(layers)]
    names += ["log_surface_pressure", "dlog_surface_pressure_dlon", "dlog_surface_pressure_dlat"]
    names += ["surface_geopotential", "land_fraction", "sin_lat", "cos_lat", "toa_insolation"]
    if global_temperature:
        names += [f"global_mean_temperature[{k}]" for k in range(layers)]
    return names


def column_features(
    grid: Grid,
    state: PrimitiveEquationsState,
    time_s: Array,
    static: StaticFields,
    humidity_key: str | None,
    start: str = "2020-01-01T00:00",
    global_temperature: bool = False,
) -> Array:
    """Unnormalised features, shape (nlat·nlon, n_features), in `feature_names` order."""
    scalars = [state.temperature_variation]
    if humidity_key is not None:
        scalars.append(state.tracers[humidity_key])
    modal = [state.vorticity, state.divergence]
    for x in scalars:
        modal += [x, grid.d_dlon(x), grid.cos_lat_d_dlat(x), grid.laplacian(x)]
    q = state.log_surface_pressure
    modal.append(jnp.stack([q, grid.d_dlon(q), grid.cos_lat_d_dlat(q)]))
    nodal = grid.to_nodal(jnp.concatenate(modal))
    layers = state.vorticity.shape[0]
    u, v = grid.uv_from_vort_div(state.vorticity, state.divergence)
    # ∂/∂λ and cos φ ∂/∂φ come back multiplied by cos φ; divide it out (exact: cos φ > 0 on the
    # Gaussian nodes).
    inv_cos = jnp.asarray(1.0 / grid.cos_latitude[:, None], grid.dtype)
    blocks = [u, v, nodal[:layers], nodal[layers : 2 * layers]]
    for i in range(len(scalars)):
        base = (2 + 4 * i) * layers
        x, dx_dlon, dx_dlat, lap = (
            nodal[base + j * layers : base + (j + 1) * layers] for j in range(4)
        )
        blocks += [x, dx_dlon * inv_cos, dx_dlat * inv_cos, lap]
    surface = nodal[-3:]
    surface = jnp.stack([surface[0], surface[1] * inv_cos, surface[2] * inv_cos])
    lat = grid.latitudes[:, None] * np.ones((1, grid.nlon))
    constant = np.stack(
        [static.surface_geopotential, static.land_fraction, np.sin(lat), np.cos(lat)]
    ).astype(grid.dtype)
    insolation = toa_insolation(time_s, grid, start)[None]
    extra = []
    if global_temperature:
        mean = grid.global_mean(blocks[4])  # (L,): blocks[4] is T on every level
        extra.append(jnp.broadcast_to(mean[:, None, None], (layers, *grid.nodal_shape)))
    stacked = jnp.concatenate([*blocks, surface, jnp.asarray(constant), insolation, *extra])
    return stacked.reshape(stacked.shape[0], -1).T


@dataclasses.dataclass(frozen=True, eq=False)
class FeatureNormalisation:
    """Fixed per-feature standardisation: (x − mean) / std."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def from_features(cls, features: np.ndarray) -> FeatureNormalisation:
        """Statistics over every row of (…, n_features) samples; constant features get std 1."""
        x = np.asarray(features, np.float64).reshape(-1, np.shape(features)[-1])
        mean, std = x.mean(axis=0), x.std(axis=0)
        scale = np.max(np.abs(x), axis=0)
        std = np.where(std > 1e-6 * np.maximum(scale, 1e-30), std, 1.0)
        return cls(mean.astype(np.float32), std.astype(np.float32))

    @classmethod
    def for_columns(
        cls, features: np.ndarray, layers: int, global_temperature: bool = False
    ) -> FeatureNormalisation:
        """`from_features` for `column_features` rows, but the global means (the last `layers`
        features when present) divided by `GLOBAL_TEMPERATURE_SCALE_K`, not by their spread."""
        normalisation = cls.from_features(features)
        if not global_temperature:
            return normalisation
        std = normalisation.std.copy()
        std[-layers:] = GLOBAL_TEMPERATURE_SCALE_K
        return cls(normalisation.mean, std)

    def __call__(self, features: Array) -> Array:
        dtype = features.dtype
        return (features - jnp.asarray(self.mean, dtype)) / jnp.asarray(self.std, dtype)
