"""The primitive-equation model: σ layers + SIL3 IMEX + filters, built from SI fields.

`PrimitiveEquationsModel.from_case("jw_steady", "T42", layers=20)` gives a ready model with an
initial state (the cases are `primitive_cases.PRIMITIVE_CASES`); `from_fields(..., physics=(term,
...))` takes physics terms (`physics_terms`) and sums their forcings; `step`, `rollout` and `run`
behave as in the shallow-water model.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.cases.jablonowski_williamson import PrimitiveFields
from ngcm_lab.constants import GRAVITY, KAPPA, P0, R_DRY, SCALES, Scales
from ngcm_lab.filtering import ExponentialFilter
from ngcm_lab.models import SteppedModel
from ngcm_lab.models import suggested_dt as shallow_water_suggested_dt
from ngcm_lab.physics_terms import HUMIDITY, PhysicsTerm, checked_terms, sum_forcings
from ngcm_lab.primitive_cases import get_case
from ngcm_lab.primitive_equations import PrimitiveEquations, PrimitiveEquationsState
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid

Array = jax.Array


def suggested_dt(grid: Grid) -> float:
    """A stable time step (s) for these cases: advective Courant number 0.6 for 80 m s⁻¹ winds.

    Gravity waves are implicit, so the limit is advective; the result divides one hour (T21 1800,
    T42 900, T63/TL63 720 — NeuralGCM's 12 min — T85 450).
    """
    return shallow_water_suggested_dt(grid, max_wind_m_s=80.0)


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
      physics: the physics terms (`physics_terms.PhysicsTerm`) whose forcings, summed, are
        `equation.forcing`; kept so that `decode` adds the fields they diagnose.
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
    physics: tuple[PhysicsTerm, ...] = ()
    design_wind_m_s = 80.0  # `suggested_dt`'s wind

    @property
    def grid(self) -> Grid:
        return self.equation.grid

    @property
    def coords(self) -> SigmaCoordinates:
        return self.equation.coords

    @property
    def moist_physics(self) -> PhysicsTerm | None:
        """The term that diagnoses precipitation (`"precipitation_rate"` in its `diagnosed`,
        e.g. `SimplePhysics`, with its `precipitation_rate` method), or None."""
        return next((t for t in self.physics if "precipitation_rate" in t.diagnosed), None)

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
        physics: Sequence[PhysicsTerm] = (),
        scales: Scales = SCALES,
        name: str = "",
    ) -> PrimitiveEquationsModel:
        """Model and initial state from nodal SI fields (u, v, T and q on layers; p_s, Φ_s).

        Fields with `specific_humidity` give moist dynamics (virtual temperature). `physics` is
        a sequence of physics terms (`physics_terms.PhysicsTerm`, by name from
        `physics_registry.physics_term`) whose tendencies add in order: e.g.
        `(HeldSuarezForcing(k_f=0.0), SimplePhysics())` is a moist Held–Suarez climate in the
        spirit of Thatcher & Jablonowski (2016); terms that need humidity need moist fields.
        `dt_s` defaults to `suggested_dt(grid)`: the one place a primitive-equation time step
        gets its default.
        """
        dt_s = suggested_dt(grid) if dt_s is None else float(dt_s)
        moist = fields.specific_humidity is not None
        terms = checked_terms(physics, moist)
        forcings = [term.forcing(grid, coords, scales) for term in terms]
        column_forcing = sum_forcings(*forcings) if forcings else None
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
        model = cls(equation, float(dt_s), tuple(filters), scales, None, name, terms)
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
        physics: Sequence[PhysicsTerm] | None = None,
    ) -> PrimitiveEquationsModel:
        """A named case (`primitive_cases.PRIMITIVE_CASES`: its initial fields and physics
        terms) on equidistant σ layers; dt in seconds (default `suggested_dt`). `physics`, if
        given, replaces the case's terms (e.g. `physics_registry.terms_by_name(names)`)."""
        spec = get_case(case)
        grid = resolution if isinstance(resolution, Grid) else Grid.from_name(resolution, dtype)
        coords = SigmaCoordinates.equidistant(layers)
        fields = spec.initial_fields(grid, coords)
        terms = spec.physics if physics is None else physics
        return cls.from_fields(fields, grid, coords, dt, physics=terms, name=case)

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

    def zero_perturbation(self) -> dict[str, Array]:
        """Zero nodal increments of u, v, temperature `(L, nlat, nlon)` and surface_pressure
        `(nlat, nlon)`: the full argument of `perturbed`, e.g. to differentiate against."""
        grid, layers = self.grid, self.coords.layers
        zeros = jnp.zeros((layers, *grid.nodal_shape), grid.dtype)
        surface = jnp.zeros(grid.nodal_shape, grid.dtype)
        return {"u": zeros, "v": zeros, "temperature": zeros, "surface_pressure": surface}

    def perturbed(
        self, state: PrimitiveEquationsState, delta: dict[str, Array]
    ) -> PrimitiveEquationsState:
        """`state` plus nodal SI increments `delta` (keys of `zero_perturbation`; missing ones
        are zero), encoded as `encode` does (traceable): u, v → ζ, δ; T and
        ln(p_s + δp_s) − ln p_s to truncated spherical harmonics, p_s the state's own."""
        unknown = set(delta) - {"u", "v", "temperature", "surface_pressure"}
        if unknown:
            raise ValueError(
                f"unknown perturbation {sorted(unknown)}; valid: u, v, temperature, "
                "surface_pressure"
            )
        delta = {**self.zero_perturbation(), **delta}
        grid, s = self.grid, self.scales
        d_vort, d_div = grid.vort_div_from_uv(
            s.nondim_velocity(delta["u"]), s.nondim_velocity(delta["v"])
        )
        ps = P0 * jnp.exp(grid.to_nodal(state.log_surface_pressure))
        d_log_ps = jnp.log1p(delta["surface_pressure"] / ps)
        modal = grid.truncate(
            grid.to_modal(jnp.concatenate([delta["temperature"], d_log_ps[None]]))
        )
        return dataclasses.replace(
            state,
            vorticity=state.vorticity + d_vort,
            divergence=state.divergence + d_div,
            temperature_variation=state.temperature_variation + modal[:-1],
            log_surface_pressure=state.log_surface_pressure + modal[-1],
        )

    def point_value(self, state: PrimitiveEquationsState, variable: str, index: Array) -> Array:
        """SI value of u, v, temperature (layer k) or surface_pressure at grid point (j, i),
        `index = [k, j, i]` (k unused for surface_pressure); traceable, `index` may be traced."""
        grid = self.grid
        k, j, i = index[0], index[1], index[2]
        if variable in ("u", "v"):
            u, v = grid.uv_from_vort_div(state.vorticity[k], state.divergence[k])
            nodal = self.scales.dim_velocity(u if variable == "u" else v)
        elif variable == "temperature":
            t_ref = jnp.asarray(self.equation.reference_temperature, grid.dtype)
            nodal = grid.to_nodal(state.temperature_variation[k]) + t_ref[k]
        elif variable == "surface_pressure":
            nodal = P0 * jnp.exp(grid.to_nodal(state.log_surface_pressure))
        else:
            raise ValueError(
                f"unknown variable {variable!r}; valid: u, v, temperature, surface_pressure"
            )
        return nodal[j, i]

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

    def energy_spectrum(self, state: PrimitiveEquationsState) -> np.ndarray:
        """Kinetic energy per unit mass (m² s⁻²) of every layer by total wavenumber, (L, N + 1)."""
        spectra = self.grid.kinetic_energy_spectrum(state.vorticity, state.divergence)
        return np.asarray(spectra) * self.scales.velocity_unit**2

    def decode(self, state: PrimitiveEquationsState) -> dict[str, np.ndarray]:
        """Nodal SI fields: u, v (m s⁻¹), temperature (K) on layers; surface_pressure (Pa);
        moist models add specific_humidity (kg kg⁻¹), and the physics terms the fields they
        diagnose (the simple physics: precipitation_rate and evaporation_rate, kg m⁻² s⁻¹)."""
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
        for term in self.physics:
            fields.update(term.diagnose(fields, self.grid, self.coords))
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
