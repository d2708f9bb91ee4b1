"""Held & Suarez (1994, BAMS 75:1825-1830) forcing: Newtonian cooling and boundary-layer drag.

Temperature relaxes towards a zonally symmetric equilibrium T_eq(φ, p) at rate k_T(φ, σ), and the
winds are damped by Rayleigh drag at rate k_v(σ) below σ_b = 0.7; there is no forcing on the
surface pressure and no orography or moisture. Everything is SI (rates in s^-1, with the paper's
day of 86400 s) and written with ``jax.numpy``, so the methods trace under ``jit``; numpy inputs
are accepted and give jax arrays.

As a physics term (`physics_terms.PhysicsTerm`), `forcing(grid, coords, scales)` gives these
tendencies in model units for `PrimitiveEquationsModel.from_fields(..., physics=(...,))`.

Shapes: ``lat`` is (nlat, 1) or (nlat, nlon) in radians; ``sigma`` is (L, 1, 1), or a 1-D array of
the L layer-centre values which is read as (L, 1, 1); ``surface_pressure`` is (nlat, nlon) in Pa.
Results broadcast to (L, nlat, nlon).
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ngcm_lab.constants import KAPPA, P0, SCALES, SECONDS_PER_DAY, Scales
from ngcm_lab.physics_terms import PhysicsTerm
from ngcm_lab.primitive_equations import Forcing
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid


def _levels(sigma: ArrayLike) -> jnp.ndarray:
    """σ as a jax array; a 1-D array of levels gets two trailing axes, (L,) -> (L, 1, 1)."""
    s = jnp.asarray(sigma)
    return s[:, None, None] if s.ndim == 1 else s


@dataclasses.dataclass(frozen=True)
class HeldSuarezForcing(PhysicsTerm):
    """Parameters of the Held-Suarez forcing (SI) and the forcing terms it defines.

    Defaults are the paper's: k_a = 1/40 day⁻¹, k_s = 1/4 day⁻¹, k_f = 1 day⁻¹, σ_b = 0.7,
    ΔT_y = 60 K, Δθ_z = 10 K, T_eq between 200 K and 315 K, p0 = 1000 hPa, κ = 2/7. Frozen and
    hashable, so an instance can be a static argument of ``jax.jit``.
    """

    k_a: float = 1.0 / (40.0 * SECONDS_PER_DAY)  # s^-1, free-atmosphere cooling rate
    k_s: float = 1.0 / (4.0 * SECONDS_PER_DAY)  # s^-1, surface cooling rate at the equator
    k_f: float = 1.0 / SECONDS_PER_DAY  # s^-1, surface Rayleigh-drag rate
    sigma_b: float = 0.7  # 1, top of the boundary layer
    delta_t_y: float = 60.0  # K, equator-to-pole temperature difference
    delta_theta_z: float = 10.0  # K, static-stability parameter
    t_min: float = 200.0  # K, floor of T_eq (stratosphere)
    t_max: float = 315.0  # K, surface T_eq at the equator
    p0: float = P0  # Pa, reference pressure
    kappa: float = KAPPA  # 1, R_d / c_p

    def _boundary_layer_weight(self, sigma: ArrayLike) -> jnp.ndarray:
        """max(0, (σ − σ_b)/(1 − σ_b)): 0 above σ_b, 1 at the surface."""
        s = _levels(sigma)
        return jnp.maximum(0.0, (s - self.sigma_b) / (1.0 - self.sigma_b))

    def equilibrium_temperature(
        self, lat: ArrayLike, sigma: ArrayLike, surface_pressure: ArrayLike
    ) -> jnp.ndarray:
        """T_eq = max{T_min, [T_max − ΔT_y sin²φ − Δθ_z ln(p/p0) cos²φ](p/p0)^κ}, K, p = σ p_s."""
        log_ps = jnp.log(jnp.asarray(surface_pressure) / self.p0)
        return self.equilibrium_temperature_from_log_pressure(lat, sigma, log_ps)

    def equilibrium_temperature_from_log_pressure(
        self, lat: ArrayLike, sigma: ArrayLike, log_surface_pressure: ArrayLike
    ) -> jnp.ndarray:
        """T_eq from q = ln(p_s/p0), the model's prognostic variable.

        ln(p/p0) = ln σ + q and (p/p0)^κ = σ^κ e^{κq}: the transcendental functions act on the
        2-D q field, not on every level, which keeps the forcing cheap inside a time step.
        """
        lat = jnp.asarray(lat)
        log_sigma = jnp.log(_levels(sigma))
        q = jnp.asarray(log_surface_pressure)
        sin2, cos2 = jnp.sin(lat) ** 2, jnp.cos(lat) ** 2
        theta = self.t_max - self.delta_t_y * sin2 - self.delta_theta_z * (log_sigma + q) * cos2
        return jnp.maximum(
            self.t_min, theta * jnp.exp(self.kappa * log_sigma) * jnp.exp(self.kappa * q)
        )

    def temperature_relaxation_rate(self, lat: ArrayLike, sigma: ArrayLike) -> jnp.ndarray:
        """k_T = k_a + (k_s − k_a) max(0, (σ − σ_b)/(1 − σ_b)) cos⁴φ, s^-1."""
        cos4 = jnp.cos(jnp.asarray(lat)) ** 4
        return self.k_a + (self.k_s - self.k_a) * self._boundary_layer_weight(sigma) * cos4

    def wind_drag_rate(self, sigma: ArrayLike) -> jnp.ndarray:
        """k_v = k_f max(0, (σ − σ_b)/(1 − σ_b)), s^-1, of shape (L, 1, 1) for 1-D σ."""
        return self.k_f * self._boundary_layer_weight(sigma)

    def tendencies(
        self,
        lat: ArrayLike,
        sigma: ArrayLike,
        u: ArrayLike,
        v: ArrayLike,
        temperature: ArrayLike,
        surface_pressure: ArrayLike,
    ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
        """(du/dt, dv/dt, dT/dt) = (−k_v u, −k_v v, −k_T (T − T_eq)) in m s^-2 and K s^-1."""
        k_v = self.wind_drag_rate(sigma)
        k_t = self.temperature_relaxation_rate(lat, sigma)
        t_eq = self.equilibrium_temperature(lat, sigma, surface_pressure)
        return (
            -k_v * jnp.asarray(u),
            -k_v * jnp.asarray(v),
            -k_t * (jnp.asarray(temperature) - t_eq),
        )

    def forcing(self, grid: Grid, coords: SigmaCoordinates, scales: Scales = SCALES) -> Forcing:
        """The relaxation and drag as a model-unit `Forcing` on `grid`: the rates are numpy
        arrays fixed when it is built, T_eq is evaluated from ln p_s inside the step."""
        lat = grid.latitudes[:, None]
        sigma = coords.centers[:, None, None]
        dtype = grid.dtype
        drag = np.asarray(self.wind_drag_rate(sigma), np.float64) * scales.time_unit
        relax = np.asarray(self.temperature_relaxation_rate(lat, sigma), np.float64)
        drag, relax = (np.asarray(x, dtype) for x in (drag, relax * scales.time_unit))

        def apply(u_cos, v_cos, temperature, log_ps, tracers):
            t_eq = self.equilibrium_temperature_from_log_pressure(lat, sigma, log_ps)
            return -drag * u_cos, -drag * v_cos, -relax * (temperature - t_eq.astype(dtype)), {}

        return apply
