"""Newtonian cooling: temperature relaxes toward a prescribed profile with one timescale.

    dT/dt = −(T − T_eq(σ)) / τ,

the simplest stand-in for radiation (e.g. Held & Suarez 1994's k_a, without their latitude and
boundary-layer structure). The equilibrium profile is the troposphere of the U.S. Standard
Atmosphere (1976): a constant lapse rate Γ from T_0 at the surface, with p/p_s = σ,

    T_eq(σ) = max(T_tp, T_0 σ^(R_d Γ / g)),

floored at the tropopause temperature T_tp. It depends on σ alone, so a resting atmosphere with
T = T_eq + ΔT uniform on every layer stays at rest and its anomaly decays as ΔT e^(−t/τ).
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from ngcm_lab.constants import GRAVITY, R_DRY, SCALES, SECONDS_PER_DAY, Scales
from ngcm_lab.physics_terms import PhysicsTerm
from ngcm_lab.primitive_equations import Forcing
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid


@dataclasses.dataclass(frozen=True)
class NewtonianCooling(PhysicsTerm):
    """Relaxation of T toward the standard-atmosphere profile `equilibrium_temperature`.

    Attributes (SI): timescale_s τ; surface_temperature_k T_0 = 288.15 K; lapse_rate_k_m
    Γ = 6.5 K km⁻¹; tropopause_temperature_k T_tp = 216.65 K (the 1976 standard atmosphere).
    """

    timescale_s: float = 40.0 * SECONDS_PER_DAY
    surface_temperature_k: float = 288.15
    lapse_rate_k_m: float = 6.5e-3
    tropopause_temperature_k: float = 216.65

    def equilibrium_temperature(self, sigma: np.ndarray) -> np.ndarray:
        """T_eq(σ) = max(T_tp, T_0 σ^(R_d Γ / g)) in K, for σ of any shape."""
        exponent = R_DRY * self.lapse_rate_k_m / GRAVITY
        profile = self.surface_temperature_k * np.asarray(sigma, np.float64) ** exponent
        return np.maximum(self.tropopause_temperature_k, profile)

    def forcing(self, grid: Grid, coords: SigmaCoordinates, scales: Scales = SCALES) -> Forcing:
        """−(T − T_eq)/τ per unit model time; no wind, surface-pressure or tracer tendency."""
        dtype = grid.dtype
        t_eq = np.asarray(self.equilibrium_temperature(coords.centers)[:, None, None], dtype)
        rate = np.asarray(scales.time_unit / self.timescale_s, dtype)

        def apply(u_cos, v_cos, temperature, log_ps, tracers):
            zero = jnp.zeros_like(u_cos)
            return zero, zero, -rate * (temperature - t_eq), {}

        return apply
