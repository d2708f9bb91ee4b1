"""The dry primitive-equation model: σ layers + SIL3 IMEX + filters, built from SI fields.

`PrimitiveEquationsModel.from_case("jw_steady", "T42", layers=20)` gives a ready model with an
initial state; `step`, `rollout` and `run` behave as in the shallow-water model.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.cases.jablonowski_williamson import (
    PrimitiveFields,
    jablonowski_williamson,
    moist_specific_humidity,
)
from ngcm_lab.constants import GRAVITY, KAPPA, P0, R_DRY, SCALES, VIRTUAL_FACTOR, Scales
from ngcm_lab.filtering import ExponentialFilter
from ngcm_lab.held_suarez import HeldSuarezForcing
from ngcm_lab.models import SteppedModel
from ngcm_lab.models import suggested_dt as shallow_water_suggested_dt
from ngcm_lab.primitive_equations import Forcing, PrimitiveEquations, PrimitiveEquationsState
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.simple_physics import SimplePhysics
from ngcm_lab.spherical_harmonics import Grid

Array = jax.Array

HUMIDITY = "specific_humidity"  # the tracer name of water vapour (kg kg⁻¹)

PRIMITIVE_CASES = {
    "jw_steady": "Jablonowski & Williamson (2006) steady zonal state (no perturbation)",
    "jablonowski_williamson": "Jablonowski & Williamson (2006) baroclinic wave",
    "held_suarez": "Held & Suarez (1994) dry climate: rest, T = T_eq + noise, HS forcing",
    "moist_baroclinic": "baroclinic wave with DCMIP2016 humidity, condensation and ocean fluxes",
    "moist_held_suarez": "Held–Suarez relaxation + simple moist physics (bulk drag, no Rayleigh)",
}

# Default forecast length (days): JW06 judge the steady state over 30 days and show the wave
# breaking around days 8–10; Held–Suarez spins up from rest into its climate in ~100 days.
PRIMITIVE_DAYS = {
    "jw_steady": 30.0,
    "jablonowski_williamson": 10.0,
    "held_suarez": 100.0,
    "moist_baroclinic": 10.0,
    "moist_held_suarez": 100.0,
}

# Moist Held–Suarez: the radiation stand-in (Newtonian cooling) of HS94, with the boundary layer's
# drag, heat and moisture fluxes from the simple physics' bulk formulas instead of Rayleigh drag.
MOIST_HELD_SUAREZ_FORCING = HeldSuarezForcing(k_f=0.0)

# Initial relative humidity cap of the moist wave: DCMIP2016's profile exceeds saturation near the
# tropical surface of JW06's colder atmosphere; capping it avoids a spurious first-hour downpour.
MOIST_INITIAL_MAX_RELATIVE_HUMIDITY = 0.8


def suggested_dt(grid: Grid) -> float:
    """A stable time step (s) for these cases: advective Courant number 0.6 for 80 m s⁻¹ winds.

    Gravity waves are implicit, so the limit is advective; the result divides one hour (T21 1800,
    T42 900, T63/TL63 720 — NeuralGCM's 12 min — T85 450).
    """
    return shallow_water_suggested_dt(grid, max_wind_m_s=80.0)


def held_suarez_forcing(
    forcing: HeldSuarezForcing, grid: Grid, coords: SigmaCoordinates, scales: Scales = SCALES
) -> Forcing:
    """Held & Suarez (1994) relaxation and drag as a model-unit `Forcing` on `grid`."""
    lat = grid.latitudes[:, None]
    sigma = coords.centers[:, None, None]
    dtype = grid.dtype
    drag = np.asarray(forcing.wind_drag_rate(sigma), np.float64) * scales.time_unit
    relax = np.asarray(forcing.temperature_relaxation_rate(lat, sigma), np.float64)
    drag, relax = (np.asarray(x, dtype) for x in (drag, relax * scales.time_unit))

    def apply(u_cos, v_cos, temperature, log_ps, tracers):
        t_eq = forcing.equilibrium_temperature_from_log_pressure(lat, sigma, log_ps)
        return -drag * u_cos, -drag * v_cos, -relax * (temperature - t_eq.astype(dtype)), {}

    return apply


def sum_forcings(*forcings: Forcing) -> Forcing:
    """One `Forcing` whose tendencies are the sums of those of `forcings`."""

    def apply(u_cos, v_cos, temperature, log_ps, tracers):
        du = dv = dt = 0.0
        dx: dict = {}
        for forcing in forcings:
            a, b, c, d = forcing(u_cos, v_cos, temperature, log_ps, tracers)
            du, dv, dt = du + a, dv + b, dt + c
            for name, value in d.items():
                dx[name] = dx.get(name, 0.0) + value
        return du, dv, dt, dx

    return apply


def simple_physics_forcing(
    physics: SimplePhysics, grid: Grid, coords: SigmaCoordinates, scales: Scales = SCALES
) -> Forcing:
    """The simple moist physics (SI columns) as a model-unit `Forcing` on `grid`; it reads and
    moistens the tracer `HUMIDITY`."""
    dtype = grid.dtype
    cos = np.asarray(grid.cos_latitude[:, None], dtype)
    lat = np.asarray(grid.latitudes[:, None], dtype)
    velocity = np.asarray(scales.velocity_unit, dtype)
    seconds = np.asarray(scales.time_unit, dtype)

    def apply(u_cos, v_cos, temperature, log_ps, tracers):
        u, v = u_cos * (velocity / cos), v_cos * (velocity / cos)
        ps = P0 * jnp.exp(log_ps)
        out = physics.tendencies(
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


def held_suarez_initial_fields(grid: Grid, coords: SigmaCoordinates, seed: int = 0):
    """Rest, p_s = 1000 hPa, T = T_eq(p) plus 0.1 K white noise (breaks zonal symmetry)."""
    lat = grid.latitudes[:, None] * np.ones((1, grid.nlon))
    sigma = coords.centers[:, None, None]
    ps = np.full(grid.nodal_shape, P0)
    t_eq = np.asarray(HeldSuarezForcing().equilibrium_temperature(lat, sigma, ps), np.float64)
    noise = 0.1 * np.random.default_rng(seed).standard_normal(t_eq.shape)
    zeros = np.zeros_like(t_eq)
    return PrimitiveFields(zeros, zeros, t_eq + noise, ps, np.zeros(grid.nodal_shape), zeros, zeros)


def moist_fields(
    fields: PrimitiveFields, lat: np.ndarray, coords: SigmaCoordinates, physics: SimplePhysics
) -> PrimitiveFields:
    """Dry fields made moist: DCMIP2016 humidity (capped at 80 % relative humidity), and T
    lowered so that the virtual temperature is the dry T, which keeps a balanced state balanced.
    """
    t_virtual = fields.temperature
    q = np.broadcast_to(moist_specific_humidity(lat, coords.centers), t_virtual.shape)
    pressure = coords.centers[:, None, None] * fields.surface_pressure
    for _ in range(3):  # T depends on q through T_v; a fixed point converges in a few passes
        t = t_virtual / (1.0 + VIRTUAL_FACTOR * q)
        q_sat = np.asarray(physics.saturation_specific_humidity(t, pressure), np.float64)
        q = np.minimum(q, MOIST_INITIAL_MAX_RELATIVE_HUMIDITY * q_sat)
    t = t_virtual / (1.0 + VIRTUAL_FACTOR * q)
    return dataclasses.replace(fields, temperature=t, specific_humidity=q)


@functools.partial(jax.jit, static_argnums=0)
def _encode(grid: Grid, u: Array, v: Array, temperature_variation: Array, log_ps: Array):
    vorticity, divergence = grid.vort_div_from_uv(u, v)
    modal = grid.to_modal(jnp.concatenate([temperature_variation, log_ps[None]]))
    return vorticity, divergence, grid.truncate(modal[:-1]), grid.truncate(modal[-1])


@functools.partial(jax.jit, static_argnums=0)
def _to_modal(grid: Grid, nodal: Array) -> Array:
    return grid.truncate(grid.to_modal(nodal))


@dataclasses.dataclass(frozen=True)
class PrimitiveEquationsModel(SteppedModel):
    """Primitive equations stepped with SIL3 and filtered after each step.

    Attributes:
      equation: the equations (grid, σ layers, reference temperature, orography).
      dt_s: time step in seconds.
      filters: spectral filters applied after every step.
      scales: SI ↔ model units.
      initial_state: optional initial state.
      name: case name.
      physics: the simple moist physics inside `equation.forcing`, kept to diagnose precipitation
        and evaporation from a state; None for dry models.
    """

    description = "primitive equations"  # progress-bar label without a case name
    # Filtering ln p_s but not Φ_s would unbalance R T ∇ln p_s + ∇Φ over orography at the
    # truncation scale: a resting isothermal atmosphere over Earth's orography then spins up
    # 6 m s⁻¹ winds in 5 days at T21 (0 without). Spectral GCMs leave ln p_s undiffused (e.g.
    # CAM's Eulerian core); its small scales are controlled through the filtered divergence.
    unfiltered_fields = ("log_surface_pressure",)

    equation: PrimitiveEquations
    dt_s: float
    filters: tuple[ExponentialFilter, ...] = (ExponentialFilter(),)
    scales: Scales = SCALES
    initial_state: PrimitiveEquationsState | None = None
    name: str = ""
    physics: SimplePhysics | None = None
    design_wind_m_s = 80.0  # `suggested_dt`'s wind

    @property
    def grid(self) -> Grid:
        return self.equation.grid

    @property
    def coords(self) -> SigmaCoordinates:
        return self.equation.coords

    @classmethod
    def from_fields(
        cls,
        fields: PrimitiveFields,
        grid: Grid,
        coords: SigmaCoordinates,
        dt_s: float | None = None,
        *,
        reference_temperature_k: float = 300.0,
        filters: tuple[ExponentialFilter, ...] = (ExponentialFilter(),),
        forcing: HeldSuarezForcing | None = None,
        physics: SimplePhysics | None = None,
        scales: Scales = SCALES,
        name: str = "",
    ) -> PrimitiveEquationsModel:
        """Model and initial state from nodal SI fields (u, v, T and q on layers; p_s, Φ_s).

        Fields with `specific_humidity` give moist dynamics (virtual temperature); `physics`
        (which needs humidity) adds condensation and surface fluxes, `forcing` Held–Suarez
        relaxation and drag; with both, their tendencies add (a moist Held–Suarez climate in
        the spirit of Thatcher & Jablonowski 2016). `dt_s` defaults to `suggested_dt(grid)`:
        the one place a primitive-equation time step gets its default.
        """
        dt_s = suggested_dt(grid) if dt_s is None else float(dt_s)
        moist = fields.specific_humidity is not None
        if physics is not None and not moist:
            raise ValueError("the moist physics needs fields with specific_humidity")
        terms = []
        if forcing is not None:
            terms.append(held_suarez_forcing(forcing, grid, coords, scales))
        if physics is not None:
            terms.append(simple_physics_forcing(physics, grid, coords, scales))
        column_forcing = sum_forcings(*terms) if terms else None
        phi_s = np.asarray(fields.surface_geopotential, np.float64)
        equation = PrimitiveEquations(
            grid=grid,
            coords=coords,
            reference_temperature=np.full(coords.layers, float(reference_temperature_k)),
            gas_constant=R_DRY / scales.velocity_unit**2,
            kappa=KAPPA,
            surface_geopotential=(
                scales.nondim_geopotential(phi_s) if np.any(phi_s != 0) else None
            ),
            forcing=column_forcing,
            humidity_key=HUMIDITY if moist else None,
        )
        model = cls(equation, float(dt_s), tuple(filters), scales, None, name, physics)
        state = model.encode(
            fields.u,
            fields.v,
            fields.temperature,
            fields.surface_pressure,
            fields.specific_humidity,
        )
        extra_vorticity = np.asarray(fields.vorticity_perturbation, np.float64)
        if np.any(extra_vorticity != 0) or np.any(fields.divergence_perturbation != 0):
            pert = grid.to_modal(
                jnp.asarray(
                    scales.nondim_rate(np.stack([extra_vorticity, fields.divergence_perturbation])),
                    grid.dtype,
                )
            )
            state = dataclasses.replace(
                state,
                vorticity=state.vorticity + grid.truncate(pert[0]),
                divergence=state.divergence + grid.truncate(pert[1]),
            )
        return dataclasses.replace(model, initial_state=state)

    @classmethod
    def from_case(
        cls,
        case: str,
        resolution: str | Grid = "T42",
        layers: int = 20,
        dt: float | None = None,
        dtype=np.float32,
    ) -> PrimitiveEquationsModel:
        """A named case (see `PRIMITIVE_CASES`) on equidistant σ layers; dt in seconds
        (default `suggested_dt`)."""
        if case not in PRIMITIVE_CASES:
            raise ValueError(f"unknown case {case!r}; valid cases: {', '.join(PRIMITIVE_CASES)}")
        grid = resolution if isinstance(resolution, Grid) else Grid.from_name(resolution, dtype)
        coords = SigmaCoordinates.equidistant(layers)
        if case == "held_suarez":
            fields = held_suarez_initial_fields(grid, coords)
            return cls.from_fields(fields, grid, coords, dt, forcing=HeldSuarezForcing(), name=case)
        if case == "moist_held_suarez":
            physics = SimplePhysics()
            fields = moist_fields(
                held_suarez_initial_fields(grid, coords), grid.latitudes[:, None], coords, physics
            )
            return cls.from_fields(
                fields,
                grid,
                coords,
                dt,
                forcing=MOIST_HELD_SUAREZ_FORCING,
                physics=physics,
                name=case,
            )
        lat, lon = grid.latitudes[:, None], grid.longitudes[None, :]
        fields = jablonowski_williamson(lat, lon, coords.centers, perturbed=case != "jw_steady")
        if case == "moist_baroclinic":
            physics = SimplePhysics()
            fields = moist_fields(fields, lat, coords, physics)
            return cls.from_fields(fields, grid, coords, dt, physics=physics, name=case)
        return cls.from_fields(fields, grid, coords, dt, name=case)

    # ------------------------------------------------------------------ SI ↔ model state
    def encode(
        self, u_m_s, v_m_s, temperature_k, surface_pressure_pa, specific_humidity=None
    ) -> PrimitiveEquationsState:
        """Model state from nodal SI u, v, T (and q, kg kg⁻¹) `(L, nlat, nlon)` and p_s
        `(nlat, nlon)`; moist models need q."""
        if (specific_humidity is None) != (self.equation.humidity_key is None):
            kind = "a moist" if specific_humidity is None else "a dry"
            raise ValueError(
                f"{kind} model {'needs' if specific_humidity is None else 'takes no'} "
                "specific_humidity; build the model from fields with the same moisture"
            )
        s, dtype = self.scales, self.grid.dtype
        shape = (self.coords.layers, *self.grid.nodal_shape)
        u = np.broadcast_to(s.nondim_velocity(np.asarray(u_m_s, np.float64)), shape)
        v = np.broadcast_to(s.nondim_velocity(np.asarray(v_m_s, np.float64)), shape)
        t_ref = np.asarray(self.equation.reference_temperature)[:, None, None]
        t_var = np.broadcast_to(np.asarray(temperature_k, np.float64) - t_ref, shape)
        log_ps = np.log(np.asarray(surface_pressure_pa, np.float64) / P0)
        vort, div, temp, q = _encode(
            self.grid, *(jnp.asarray(x, dtype) for x in (u, v, t_var, log_ps))
        )
        tracers = {}
        if specific_humidity is not None:
            humidity = np.broadcast_to(np.asarray(specific_humidity, np.float64), shape)
            tracers[HUMIDITY] = _to_modal(self.grid, jnp.asarray(humidity, dtype))
        return PrimitiveEquationsState(vort, div, temp, q, tracers)

    def warmed(self, state: PrimitiveEquationsState, kelvin) -> PrimitiveEquationsState:
        """`state` with every column warmed uniformly by `kelvin` (a scalar or one value per
        layer; traceable): the perturbation that tests, and teaches, a model's restoring."""
        layers = self.coords.layers
        shift = jnp.broadcast_to(jnp.asarray(kelvin, self.grid.dtype), (layers,))
        ones = jnp.ones((layers, *self.grid.nodal_shape), self.grid.dtype)
        uniform = self.grid.truncate(self.grid.to_modal(ones)) * shift[:, None, None]
        return dataclasses.replace(
            state, temperature_variation=state.temperature_variation + uniform
        )

    @functools.cached_property
    def _nodal(self) -> Callable:
        def nodal(state: PrimitiveEquationsState):
            grid = self.grid
            u, v = grid.uv_from_vort_div(state.vorticity, state.divergence)
            t = grid.to_nodal(state.temperature_variation)
            q = grid.to_nodal(state.log_surface_pressure)
            tracers = {name: grid.to_nodal(x) for name, x in state.tracers.items()}
            return u, v, t, q, tracers

        return jax.jit(nodal)

    def decode(self, state: PrimitiveEquationsState) -> dict[str, np.ndarray]:
        """Nodal SI fields: u, v (m s⁻¹), temperature (K) on layers; surface_pressure (Pa);
        moist models add specific_humidity (kg kg⁻¹), and with physics precipitation_rate and
        evaporation_rate (kg m⁻² s⁻¹, i.e. mm of water per second)."""
        s = self.scales
        u, v, t, q, tracers = jax.tree.map(lambda x: np.asarray(x, np.float64), self._nodal(state))
        t_ref = np.asarray(self.equation.reference_temperature)[:, None, None]
        fields = {
            "u": s.dim_velocity(u),
            "v": s.dim_velocity(v),
            "temperature": t + t_ref,
            "surface_pressure": P0 * np.exp(q),
        }
        if HUMIDITY in tracers:
            fields[HUMIDITY] = tracers[HUMIDITY]
        if self.physics is not None:
            out = self.physics.tendencies(
                self.grid.latitudes[:, None],
                self.coords.centers,
                self.coords.thickness,
                *(fields[k] for k in ("u", "v", "temperature", HUMIDITY, "surface_pressure")),
            )
            fields["precipitation_rate"] = np.asarray(out.precipitation, np.float64)
            fields["evaporation_rate"] = np.asarray(out.evaporation, np.float64)
        return fields

    def extremes(self, state: PrimitiveEquationsState) -> dict[str, Array]:
        """Traceable SI extremes for the blow-up check: largest wind speed, temperature and
        surface-pressure ranges."""
        grid, s = self.grid, self.scales
        u, v = grid.uv_from_vort_div(state.vorticity, state.divergence)
        speed = jnp.sqrt(jnp.max(u * u + v * v)) * s.velocity_unit
        t_ref = jnp.asarray(self.equation.reference_temperature, grid.dtype)[:, None, None]
        temperature = grid.to_nodal(state.temperature_variation) + t_ref
        ps = P0 * jnp.exp(grid.to_nodal(state.log_surface_pressure))
        return {
            "wind_speed": jnp.stack([jnp.zeros_like(speed), speed]),
            "temperature": jnp.stack([jnp.min(temperature), jnp.max(temperature)]),
            "surface_pressure": jnp.stack([jnp.min(ps), jnp.max(ps)]),
        }

    @property
    def surface_geopotential_m2_s2(self) -> np.ndarray:
        """The model's ground Φ_s in m² s⁻², (nlat, nlon); zeros when flat."""
        phi_s = self.equation.surface_geopotential
        if phi_s is None:
            return np.zeros(self.grid.nodal_shape)
        return np.asarray(self.scales.dim_geopotential(np.asarray(phi_s, np.float64)))

    def global_mean_surface_pressure(self, state: PrimitiveEquationsState) -> float:
        """Area-weighted global mean of p_s in Pa: the total air mass per unit area times g."""
        q = np.asarray(self._nodal(state)[3], np.float64)
        return float(np.sum(P0 * np.exp(q) * self.grid.area_weights))

    def global_mean_water_path(self, state: PrimitiveEquationsState) -> float:
        """Area-weighted global mean of the column water vapour Σ_k q_k p_s Δσ_k / g, kg m⁻²."""
        _, _, _, q, tracers = self._nodal(state)
        if HUMIDITY not in tracers:
            return 0.0
        ps = P0 * np.exp(np.asarray(q, np.float64))
        dsig = self.coords.thickness[:, None, None]
        column = np.sum(np.asarray(tracers[HUMIDITY], np.float64) * dsig, axis=0) * ps / GRAVITY
        return float(np.sum(column * self.grid.area_weights))
