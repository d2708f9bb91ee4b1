"""Simple moist physics: large-scale condensation and surface fluxes over a prescribed ocean.

Follows the "simple physics" of Reed & Jablonowski (2012, JAMES 4, M04001; RJ12) with the
aquaplanet sea-surface temperature of Thatcher & Jablonowski (2016, GMD 9:1263; TJ16):

* Saturation specific humidity from Clausius–Clapeyron with a constant latent heat,
  q* = (ε e₀ / p) exp[−(L/R_v)(1/T − 1/T₀)], e₀ = 610.78 Pa, T₀ = 273.16 K (RJ12 §2).
* Large-scale condensation: supersaturation q − q* > 0 condenses, heating the air by L/c_p per unit
  of condensate; the condensate falls out at once as precipitation (no cloud water, no
  re-evaporation). The factor 1 + L² q*/(c_p R_v T²) accounts for q* rising as the latent heat
  warms the air, so the adjustment ends exactly at saturation (RJ12 §2.2).
* Bulk surface fluxes into the lowest layer over an ocean of temperature
  T_s(φ) = T_pole + ΔT exp[−φ²/(2φ_w²)] (TJ16: 271 K, 29 K, φ_w = 26°): evaporation
  E = ρ_a C_E |v_a| (q*(T_s, p_s) − q_a), sensible heat ρ_a c_p C_H |v_a| (T_s − T_a), and drag
  ρ_a C_D |v_a| v_a with C_E = C_H = 1.1e-3 and C_D = 7e-4 + 6.5e-5 |v_a| (capped at 20 m s⁻¹;
  RJ12 §2.3). A flux F into a layer of mass p_s Δσ / g changes its mixing ratio by g F / (p_s Δσ).

Spectral transport lets q go negative next to sharp gradients; the physics fills such holes from
the same column's positive water over `negative_humidity_timescale_s` (column water unchanged),
the role of the borrowing fixers of spectral GCMs (e.g. CAM's Eulerian core).

Two deliberate differences from RJ12, so that the physics is a smooth tendency that the IMEX
integrator steps with the dynamics (one transform pass, differentiable, no operator splitting):
condensation relaxes supersaturation over `condensation_timescale_s` (default one hour, stable
for time steps up to ≈ 2.5 τ with the explicit Runge–Kutta stages) rather than removing it within
one step, and the surface fluxes act on the lowest layer without RJ12's boundary-layer diffusion.
Precipitation is therefore a pure function of the state (`precipitation_rate`), which is what a
learned model is trained against. Everything is SI and written with `jax.numpy`.

As a physics term (`physics_terms.PhysicsTerm`), `forcing(grid, coords, scales)` gives the
tendencies in model units, reading and moistening the tracer `HUMIDITY`, and `diagnose` gives
the precipitation and evaporation rates of a decoded state.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, NamedTuple

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ngcm_lab.constants import (
    CP_DRY,
    EPSILON,
    GRAVITY,
    LATENT_HEAT_VAPORISATION,
    P0,
    R_DRY,
    R_VAPOUR,
    SCALES,
    VIRTUAL_FACTOR,
    Scales,
)
from ngcm_lab.physics_terms import HUMIDITY, PhysicsTerm
from ngcm_lab.primitive_equations import Forcing
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid


def _filled_column(q, layer_mass):
    """q with negative values filled from the same column's positive water (mass conserving).

    Spectral transport makes q negative next to sharp moisture gradients (Gibbs ringing, the
    centred vertical differences); the deficit Σ m max(−q, 0) is taken from the positive layers in
    proportion to their water, the column total Σ m q is unchanged (zero if it is negative).
    """
    positive = jnp.maximum(q, 0.0)
    deficit = jnp.sum(layer_mass * (positive - q), axis=0)
    supply = jnp.sum(layer_mass * positive, axis=0)
    # Divide only where the result is used: a column with no water at all (supply 0) would
    # otherwise give an infinite derivative that the `where` turns into NaN in reverse mode.
    fillable = supply > deficit
    factor = jnp.where(fillable, 1.0 - deficit / jnp.where(fillable, supply, 1.0), 0.0)
    return positive * factor


class PhysicsTendencies(NamedTuple):
    """SI tendencies on (L, nlat, nlon) and surface water fluxes on (nlat, nlon)."""

    u: jnp.ndarray  # m s⁻²
    v: jnp.ndarray  # m s⁻²
    temperature: jnp.ndarray  # K s⁻¹
    specific_humidity: jnp.ndarray  # kg kg⁻¹ s⁻¹
    precipitation: jnp.ndarray  # kg m⁻² s⁻¹ (= mm s⁻¹ of water)
    evaporation: jnp.ndarray  # kg m⁻² s⁻¹


@dataclasses.dataclass(frozen=True)
class SimplePhysics(PhysicsTerm):
    """Parameters (SI) of the simple moist physics; frozen and hashable."""

    needs_humidity: ClassVar[bool] = True
    diagnosed: ClassVar[tuple[str, ...]] = ("precipitation_rate", "evaporation_rate")

    condensation_timescale_s: float = 3600.0
    latent_heat: float = LATENT_HEAT_VAPORISATION  # J kg⁻¹
    saturation_vapour_pressure_pa: float = 610.78  # e₀ at T₀
    triple_point_k: float = 273.16  # T₀
    evaporation_coefficient: float = 1.1e-3  # C_E
    heat_coefficient: float = 1.1e-3  # C_H
    drag_coefficient: float = 7.0e-4  # C_D at rest
    drag_coefficient_per_wind: float = 6.5e-5  # s m⁻¹, slope of C_D with |v_a|
    drag_wind_cap_m_s: float = 20.0  # C_D stops growing above this wind
    sst_pole_k: float = 271.0
    sst_contrast_k: float = 29.0
    sst_width_rad: float = float(np.deg2rad(26.0))
    surface_fluxes: bool = True
    negative_humidity_timescale_s: float | None = 3600.0  # column hole filling; None: off

    def sea_surface_temperature(self, lat: ArrayLike) -> jnp.ndarray:
        """T_s(φ) in K (TJ16), φ in radians."""
        lat = jnp.asarray(lat)
        return self.sst_pole_k + self.sst_contrast_k * jnp.exp(
            -(lat**2) / (2 * self.sst_width_rad**2)
        )

    def saturation_specific_humidity(self, temperature: ArrayLike, pressure: ArrayLike):
        """q*(T, p) in kg kg⁻¹ (RJ12's approximation ε e_s / p)."""
        t = jnp.asarray(temperature)
        e_s = self.saturation_vapour_pressure_pa * jnp.exp(
            -(self.latent_heat / R_VAPOUR) * (1.0 / t - 1.0 / self.triple_point_k)
        )
        return EPSILON * e_s / jnp.asarray(pressure)

    def condensation_rate(self, temperature: ArrayLike, humidity: ArrayLike, pressure: ArrayLike):
        """Condensation (kg kg⁻¹ s⁻¹, ≥ 0): supersaturation over τ, with the latent-heat factor."""
        t = jnp.asarray(temperature)
        q_sat = self.saturation_specific_humidity(t, pressure)
        factor = 1.0 + self.latent_heat**2 * q_sat / (CP_DRY * R_VAPOUR * t**2)
        excess = jnp.maximum(jnp.asarray(humidity) - q_sat, 0.0)
        return excess / (factor * self.condensation_timescale_s)

    def precipitation_rate(
        self,
        sigma: ArrayLike,
        sigma_thickness: ArrayLike,
        temperature: ArrayLike,
        humidity: ArrayLike,
        surface_pressure: ArrayLike,
    ) -> jnp.ndarray:
        """Surface precipitation (kg m⁻² s⁻¹): the column's condensation, which falls out at
        once. Layers first, as in `tendencies`."""
        ps = jnp.asarray(surface_pressure)
        sigma = jnp.asarray(sigma).reshape((-1,) + (1,) * ps.ndim)
        layer_mass = jnp.asarray(sigma_thickness).reshape(sigma.shape) * ps / GRAVITY
        condensation = self.condensation_rate(temperature, humidity, sigma * ps)
        return jnp.sum(condensation * layer_mass, axis=0)

    def tendencies(
        self,
        lat: ArrayLike,
        sigma: ArrayLike,
        sigma_thickness: ArrayLike,
        u: ArrayLike,
        v: ArrayLike,
        temperature: ArrayLike,
        humidity: ArrayLike,
        surface_pressure: ArrayLike,
    ) -> PhysicsTendencies:
        """All tendencies for columns on σ layers (top to surface; layer axis first).

        `lat` (radians) broadcasts against (nlat, nlon); `sigma` and `sigma_thickness` are (L,).
        """
        t, q = jnp.asarray(temperature), jnp.asarray(humidity)
        ps = jnp.asarray(surface_pressure)
        # σ in the columns' dtype: numpy float64 levels would otherwise make a float32 model's
        # surface fluxes float64 under JAX's x64 mode.
        sigma = jnp.asarray(sigma, t.dtype).reshape((-1, 1, 1))
        thickness = jnp.asarray(sigma_thickness, t.dtype).reshape((-1, 1, 1))
        layer_mass = thickness * ps / GRAVITY  # kg m⁻²
        condensation = self.condensation_rate(t, q, sigma * ps)
        dq = -condensation
        dt = (self.latent_heat / CP_DRY) * condensation
        precipitation = jnp.sum(condensation * layer_mass, axis=0)
        if self.negative_humidity_timescale_s is not None:
            dq = dq + (_filled_column(q, layer_mass) - q) / self.negative_humidity_timescale_s
        du = jnp.zeros_like(t)
        dv = jnp.zeros_like(t)
        evaporation = jnp.zeros_like(ps)
        if self.surface_fluxes:
            u_a, v_a, t_a, q_a = (jnp.asarray(x)[-1] for x in (u, v, t, q))
            speed = jnp.sqrt(u_a**2 + v_a**2)
            density = sigma[-1] * ps / (R_DRY * t_a * (1.0 + VIRTUAL_FACTOR * q_a))
            t_s = self.sea_surface_temperature(lat)
            evaporation = (
                density
                * self.evaporation_coefficient
                * speed
                * (self.saturation_specific_humidity(t_s, ps) - q_a)
            )
            c_d = self.drag_coefficient + self.drag_coefficient_per_wind * jnp.minimum(
                speed, self.drag_wind_cap_m_s
            )
            lowest = layer_mass[-1]
            drag = density * c_d * speed / lowest  # s⁻¹
            heating = density * self.heat_coefficient * speed * (t_s - t_a) / lowest
            dq = dq.at[-1].add(evaporation / lowest)
            dt = dt.at[-1].add(heating)
            du = du.at[-1].set(-drag * u_a)
            dv = dv.at[-1].set(-drag * v_a)
        return PhysicsTendencies(du, dv, dt, dq, precipitation, evaporation)

    def forcing(self, grid: Grid, coords: SigmaCoordinates, scales: Scales = SCALES) -> Forcing:
        """`tendencies` (SI columns) as a model-unit `Forcing` on `grid`; it reads and
        moistens the tracer `HUMIDITY`."""
        dtype = grid.dtype
        cos = np.asarray(grid.cos_latitude[:, None], dtype)
        lat = np.asarray(grid.latitudes[:, None], dtype)
        velocity = np.asarray(scales.velocity_unit, dtype)
        seconds = np.asarray(scales.time_unit, dtype)

        def apply(u_cos, v_cos, temperature, log_ps, tracers):
            u, v = u_cos * (velocity / cos), v_cos * (velocity / cos)
            ps = P0 * jnp.exp(log_ps)
            out = self.tendencies(
                lat, coords.centers, coords.thickness, u, v, temperature, tracers[HUMIDITY], ps
            )
            to_model = seconds * cos / velocity
            return (
                out.u * to_model,
                out.v * to_model,
                out.temperature * seconds,
                {HUMIDITY: out.specific_humidity * seconds},
            )

        return apply

    def diagnose(
        self, fields: dict[str, np.ndarray], grid: Grid, coords: SigmaCoordinates
    ) -> dict[str, np.ndarray]:
        """Surface precipitation and evaporation (kg m⁻² s⁻¹) of the decoded SI `fields`."""
        out = self.tendencies(
            grid.latitudes[:, None],
            coords.centers,
            coords.thickness,
            *(fields[k] for k in ("u", "v", "temperature", HUMIDITY, "surface_pressure")),
        )
        return {
            "precipitation_rate": np.asarray(out.precipitation, np.float64),
            "evaporation_rate": np.asarray(out.evaporation, np.float64),
        }
