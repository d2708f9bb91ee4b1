"""Models assembled from a grid, an equation, an IMEX integrator and a filter; named cases.

`ShallowWaterModel.from_case("galewsky", "T42")` gives a ready model whose `initial_state` and pure
`step` compose with `jit`, `grad` and `lax.scan`; `model.run(days=…)` is the friendly forecast loop.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab import cases, forecast, time_integration
from ngcm_lab.constants import SCALES, SECONDS_PER_DAY, Scales
from ngcm_lab.filtering import Diffusion, ExponentialFilter, modal_filter
from ngcm_lab.shallow_water import ShallowWaterEquations, ShallowWaterState
from ngcm_lab.spherical_harmonics import Grid

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class ShallowWaterCase:
    """A named initial condition: `fields(lat, lon)` in SI, optional rotated f, run length."""

    description: str
    fields: Callable[[np.ndarray, np.ndarray], cases.ShallowWaterFields]
    days: float
    coriolis: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    max_wind_m_s: float = 100.0  # sets the suggested time step (advective CFL)
    viscosity: Diffusion | None = None  # part of the published set-up where the paper has one


SHALLOW_WATER_CASES: dict[str, ShallowWaterCase] = {
    "williamson2": ShallowWaterCase(
        "Williamson et al. (1992) TC2: steady geostrophic flow",
        cases.williamson2,
        5.0,
        max_wind_m_s=40.0,
    ),
    "williamson5": ShallowWaterCase(
        "Williamson et al. (1992) TC5: zonal flow over an isolated mountain",
        cases.williamson5,
        15.0,
        max_wind_m_s=40.0,
    ),
    "williamson6": ShallowWaterCase(
        "Williamson et al. (1992) TC6: Rossby–Haurwitz wave 4",
        cases.williamson6,
        14.0,
        max_wind_m_s=110.0,
    ),
    "galewsky": ShallowWaterCase(
        "Galewsky et al. (2004): perturbed barotropically unstable jet, ∇² viscosity 1e5 m² s⁻¹",
        cases.galewsky,
        6.0,
        max_wind_m_s=100.0,
        viscosity=Diffusion(1.0e5),
    ),
    "galewsky_unperturbed": ShallowWaterCase(
        "Galewsky et al. (2004): balanced jet without the bump (stays zonal)",
        lambda lat, lon: cases.galewsky(lat, lon, perturbed=False),
        6.0,
        max_wind_m_s=100.0,
        viscosity=Diffusion(1.0e5),
    ),
}


def case_names() -> list[str]:
    return list(SHALLOW_WATER_CASES)


def get_case(name: str) -> ShallowWaterCase:
    if name not in SHALLOW_WATER_CASES:
        raise ValueError(f"unknown case {name!r}; valid cases: {', '.join(SHALLOW_WATER_CASES)}")
    return SHALLOW_WATER_CASES[name]


def suggested_dt(grid: Grid, max_wind_m_s: float = 100.0, scales: Scales = SCALES) -> float:
    """A stable time step in seconds: advective Courant number ≈ 0.6 at the truncation scale.

    Gravity waves are implicit, so the limit is |v| N Δt / a ≲ 1 for the shortest resolved wave;
    the result is rounded down to a divisor of one hour so that outputs fall on whole hours.
    """
    limit = forecast.SUGGESTED_COURANT * scales.radius / (grid.truncation * max_wind_m_s)
    return forecast.hour_divisor_at_most(limit)


@functools.partial(jax.jit, static_argnums=0)
def _encode(grid: Grid, u: Array, v: Array, height: Array) -> ShallowWaterState:
    """Modal state from nodal model-unit wind and depth perturbation (one compile per grid)."""
    vorticity, divergence = grid.vort_div_from_uv(u, v)
    height = grid.truncate(grid.to_modal(height))
    return ShallowWaterState(vorticity, divergence, height.at[0, 0].set(0.0))


@functools.partial(jax.jit, static_argnums=0)
def _truncated(grid: Grid, nodal: Array) -> Array:
    """A nodal field as the model sees it: truncated at degree N."""
    return grid.to_nodal(grid.truncate(grid.to_modal(nodal)))


class SteppedModel:
    """Stepping shared by the models: SIL3 IMEX on `self.equation`, then the product of
    `self.filters`; expects `equation`, `dt_s`, `filters`, `scales`, `initial_state`, `name`
    and a traceable `extremes(state)` for the blow-up check (`forecast.BlowUpCheck`)."""

    description = "model"
    # State fields the filters leave alone (see PrimitiveEquationsModel).
    unfiltered_fields: tuple[str, ...] = ()
    design_wind_m_s: float = 100.0  # the fastest wind expected; sets `stable_dt_s`

    @property
    def step(self) -> Callable:
        """Pure `state -> state` for one time step (IMEX SIL3, then the filters)."""
        dt = self.scales.nondim_time(self.dt_s)
        raw = time_integration.imex_rk_sil3(self.equation, dt)
        grid = self.equation.grid
        apply = modal_filter(self._filter_factors(), grid.dtype)
        keep = self.unfiltered_fields
        if keep:
            filtered = apply

            def apply(state: Any) -> Any:
                kept = {name: getattr(state, name) for name in keep}
                return dataclasses.replace(filtered(state), **kept)

        return time_integration.with_filters(raw, [apply])

    def _filter_factors(self) -> np.ndarray:
        """The per-step multipliers of all the filters together, on the modal layout."""
        return np.prod([f.factors(self.equation.grid, self.dt_s) for f in self.filters], axis=0)

    def resolved_degree(self, period_s: float = SECONDS_PER_DAY) -> int:
        """The largest total wavenumber n such that the filters keep at least half the energy of
        every degree ≤ n over `period_s`: the scales the model carries rather than removes
        (17 of T21's 21 with the default filter and a 30-minute step). Losses and scores that
        compare spectra stop here; above it every model of this grid is empty by design."""
        grid = self.equation.grid
        steps = period_s / self.dt_s
        per_degree = self._filter_factors()[0, : grid.truncation + 1]  # m = 0 row: n = k
        energy = np.abs(per_degree) ** (2 * steps)
        removed = np.flatnonzero(energy < 0.5)
        return int(removed[0] - 1) if removed.size else grid.truncation

    def steps_for(self, days: float) -> int:
        """The whole number of time steps in `days`, or a ValueError naming the mismatch."""
        return forecast.whole_steps(days * SECONDS_PER_DAY, self.dt_s, f"{days:g} days")

    def rollout(self, state: Any, n_steps: int) -> Any:
        """Differentiable `n_steps`-step forecast (one `lax.scan`)."""
        return time_integration.repeated(self.step, n_steps)(state)

    @property
    def stable_dt_s(self) -> float:
        """The suggested time step of this model's grid (s): Courant number 0.6 at its design
        wind."""
        return suggested_dt(self.grid, self.design_wind_m_s, self.scales)

    @functools.cached_property
    def stepper(self) -> forecast.Stepper:
        """Advances this model's states with the blow-up check (compiled once per length)."""
        check = forecast.BlowUpCheck(
            self.extremes,
            courant_per_wind=self.grid.truncation * self.dt_s / self.scales.radius,
            stable_dt_s=self.stable_dt_s,
        )
        return forecast.Stepper(self.step, self.dt_s, check)

    def run(
        self,
        days: float,
        *,
        output_interval_hours: float = 24.0,
        state: Any = None,
        progress: bool = True,
        callbacks=(),
        devices: int = 1,
    ) -> forecast.Integration:
        """Forecast `days` from `state` (default: the initial state), keeping every output;
        `devices` > 1 splits the levels over that many devices (`forecast.integrate`)."""
        state = self.initial_state if state is None else state
        if state is None:
            raise ValueError("no state given and the model has no initial_state")
        return forecast.integrate(
            self.stepper,
            state,
            n_steps=self.steps_for(days),
            steps_per_output=self.steps_for(output_interval_hours / 24.0),
            progress=progress,
            description=self.name or self.description,
            callbacks=callbacks,
            devices=devices,
        )


@dataclasses.dataclass(frozen=True)
class ShallowWaterModel(SteppedModel):
    """Shallow-water model: SIL3 IMEX stepping of `ShallowWaterEquations`, then spectral filters.

    Attributes:
      equation: the equations (they hold the grid, gravity, mean depth, orography).
      dt_s: time step in seconds.
      filters: scale-selective dissipation applied after every step (their factors multiply).
      scales: units used to convert SI ↔ model units.
      orography_m: orography h_s (m) on the nodal grid as the model sees it (truncated at N).
      initial_state: optional initial state (model units).
      name: case name, when built from one.
    """

    description = "shallow water"  # progress-bar label when the model has no case name

    equation: ShallowWaterEquations
    dt_s: float
    filters: tuple[ExponentialFilter | Diffusion, ...] = (ExponentialFilter(),)
    scales: Scales = Scales()
    orography_m: np.ndarray | None = None
    initial_state: ShallowWaterState | None = None
    name: str = ""
    design_wind_m_s: float = 100.0  # the fastest wind expected; sets `stable_dt_s`

    @property
    def grid(self) -> Grid:
        return self.equation.grid

    @classmethod
    def from_fields(
        cls,
        fields: cases.ShallowWaterFields,
        grid: Grid,
        dt_s: float,
        *,
        coriolis_per_s: np.ndarray | None = None,
        filters: tuple[ExponentialFilter | Diffusion, ...] = (ExponentialFilter(),),
        scales: Scales = SCALES,
        name: str = "",
        design_wind_m_s: float = 100.0,
    ) -> ShallowWaterModel:
        """Build a model and its initial state from nodal SI fields on `grid`."""
        depth = np.asarray(fields.depth, dtype=np.float64)
        mean_depth_m = float(np.sum(depth * grid.area_weights))
        orography = np.asarray(fields.orography, dtype=np.float64)
        has_orography = bool(np.any(orography != 0))
        equation = ShallowWaterEquations(
            grid=grid,
            gravity=scales.gravity / (scales.radius * scales.angular_velocity**2),
            mean_depth=scales.nondim_length(mean_depth_m),
            orography=scales.nondim_length(orography) if has_orography else None,
            coriolis=None if coriolis_per_s is None else scales.nondim_rate(coriolis_per_s),
        )
        # Keep the orography the model actually sees (spectrally truncated) for output.
        seen = _truncated(grid, jnp.asarray(orography, grid.dtype))
        seen = np.asarray(seen, np.float64) if has_orography else np.zeros(grid.nodal_shape)
        model = cls(
            equation, float(dt_s), tuple(filters), scales, seen, None, name, design_wind_m_s
        )
        return dataclasses.replace(model, initial_state=model.encode(fields.u, fields.v, depth))

    @classmethod
    def from_case(
        cls,
        case: str,
        resolution: str | Grid = "T42",
        dt: float | None = None,
        dtype: Any = np.float32,
        *,
        filters: tuple[ExponentialFilter | Diffusion, ...] = (ExponentialFilter(),),
    ) -> ShallowWaterModel:
        """Model for a named case (see `case_names()`) at a named resolution; dt in seconds.

        The case's published viscosity, if any, is added to `filters`.
        """
        spec = get_case(case)
        grid = resolution if isinstance(resolution, Grid) else Grid.from_name(resolution, dtype)
        lat, lon = grid.latitudes[:, None], grid.longitudes[None, :]
        dt_s = suggested_dt(grid, spec.max_wind_m_s) if dt is None else float(dt)
        if not dt_s > 0:
            raise ValueError(f"time step must be positive, got {dt_s} s")
        coriolis = None if spec.coriolis is None else spec.coriolis(lat, lon)
        filters = tuple(filters) + ((spec.viscosity,) if spec.viscosity else ())
        return cls.from_fields(
            spec.fields(lat, lon),
            grid,
            dt_s,
            coriolis_per_s=coriolis,
            filters=filters,
            name=case,
            design_wind_m_s=spec.max_wind_m_s,
        )

    # ------------------------------------------------------------------ SI ↔ model state
    def encode(
        self, u_m_s: np.ndarray, v_m_s: np.ndarray, depth_m: np.ndarray
    ) -> ShallowWaterState:
        """Model state from nodal SI wind (m s⁻¹) and fluid depth (m)."""
        s, dtype = self.scales, self.grid.dtype
        u = jnp.asarray(s.nondim_velocity(np.asarray(u_m_s, np.float64)), dtype)
        v = jnp.asarray(s.nondim_velocity(np.asarray(v_m_s, np.float64)), dtype)
        height = s.nondim_length(np.asarray(depth_m, np.float64)) - self.equation.mean_depth
        return _encode(self.grid, u, v, jnp.asarray(height, dtype))

    @functools.cached_property
    def _nodal_fields(self) -> Callable[[ShallowWaterState], tuple[Array, ...]]:
        """Jitted modal → nodal (u, v, h′, ζ, δ) in model units (one compile per model)."""

        def nodal(state: ShallowWaterState) -> tuple[Array, ...]:
            grid = self.grid
            u, v = grid.uv_from_vort_div(state.vorticity, state.divergence)
            rest = grid.to_nodal(jnp.stack([state.height, state.vorticity, state.divergence]))
            return u, v, rest[0], rest[1], rest[2]

        return jax.jit(nodal)

    def decode(self, state: ShallowWaterState) -> dict[str, np.ndarray]:
        """Nodal SI fields: u, v (m s⁻¹), depth h and free surface h + h_s (m), ζ and δ (s⁻¹)."""
        s, grid = self.scales, self.grid
        u, v, *nodal = (np.asarray(x, np.float64) for x in self._nodal_fields(state))
        depth = np.asarray(s.dim_length(nodal[0] + self.equation.mean_depth), np.float64)
        orography = np.zeros(grid.nodal_shape) if self.orography_m is None else self.orography_m
        return {
            "u": np.asarray(s.dim_velocity(u), np.float64),
            "v": np.asarray(s.dim_velocity(v), np.float64),
            "depth": depth,
            "free_surface": depth + orography,
            "vorticity": nodal[1] / s.time_unit,
            "divergence": nodal[2] / s.time_unit,
        }

    def extremes(self, state: ShallowWaterState) -> dict[str, Array]:
        """Traceable SI extremes for the blow-up check: largest wind speed, depth range."""
        s, grid = self.scales, self.grid
        u, v = grid.uv_from_vort_div(state.vorticity, state.divergence)
        speed = jnp.sqrt(jnp.max(u * u + v * v)) * s.velocity_unit
        depth = (grid.to_nodal(state.height) + self.equation.mean_depth) * s.length_unit
        return {
            "wind_speed": jnp.stack([jnp.zeros_like(speed), speed]),
            "depth": jnp.stack([jnp.min(depth), jnp.max(depth)]),
        }

    # ----------------------------------------------------------------------- diagnostics
    def total_mass(self, state: ShallowWaterState) -> float:
        """Global-mean fluid depth in metres (proportional to total mass)."""
        mean_height = float(np.real(state.height[..., 0, 0])) / np.sqrt(2.0)
        return self.scales.dim_length(self.equation.mean_depth + mean_height)

    def energy_spectrum(self, state: ShallowWaterState) -> np.ndarray:
        """Global-mean kinetic energy per unit mass (m² s⁻²) by total wavenumber 0…N."""
        spectrum = self.grid.kinetic_energy_spectrum(state.vorticity, state.divergence)
        return spectrum * self.scales.velocity_unit**2
