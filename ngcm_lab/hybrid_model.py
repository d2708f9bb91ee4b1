"""The hybrid model: dynamical core Φ (+ optional classical physics) plus the column network Ψ.

    X_{t+Δt} = X_t + Δt [Φ(X) + Ψ(X_t)]

Ψ is evaluated once per physics interval (NeuralGCM: 60 min at TL63 with 12-min dycore steps) and
its tendency is held constant over the dycore substeps inside the interval, as an extra explicit
term of the IMEX scheme; the implicit gravity-wave solve and the filters are the dycore's own. The
network never changes ln p_s, so the dry mass is the dycore's to conserve.

Everything is a pure function of `(params, state)`: `step` advances one physics interval,
`rollout` scans it (with `jax.checkpoint` per interval so that reverse-mode memory grows with the
number of intervals, not with the substeps inside them), and `tendencies` splits the tendency of
a state into dynamics, classical physics and network, per variable and level, for diagnosis.

A *stochastic* hybrid (`random_fields` set) also feeds the network Gaussian random fields that
evolve as AR(1) processes (`random_fields.py`); they live in the state with the key that draws
their next innovation, so two members started from one state with different keys diverge, and
every rollout is still a pure function of `(params, state)`.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab import forecast
from ngcm_lab.column_features import (
    FeatureNormalisation,
    StaticFields,
    column_features,
    feature_names,
)
from ngcm_lab.column_network import DEFAULT_OUTPUT_SCALES, ColumnNetwork, ColumnNetworkConfig
from ngcm_lab.primitive_equations import PrimitiveEquationsState
from ngcm_lab.primitive_model import HUMIDITY, PrimitiveEquationsModel
from ngcm_lab.random_fields import GaussianRandomField, RandomFieldConfig, RandomFieldState
from ngcm_lab.time_integration import repeated

Array = jax.Array
Params = Any


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class HybridState:
    """The dycore's modal state, the simulated time since the model's `start` (s) and, for a
    stochastic model, its random fields (None otherwise)."""

    dynamics: PrimitiveEquationsState
    time_s: Array
    noise: RandomFieldState | None = None


@dataclasses.dataclass(frozen=True)
class WithHeldTendency:
    """An IMEX equation with a constant tendency added to its explicit terms."""

    equation: Any
    tendency: PrimitiveEquationsState

    def explicit_terms(self, state):
        return jax.tree.map(jnp.add, self.equation.explicit_terms(state), self.tendency)

    def implicit_terms(self, state):
        return self.equation.implicit_terms(state)

    def implicit_inverse(self, state, step_size):
        return self.equation.implicit_inverse(state, step_size)

    @property
    def grid(self):
        return self.equation.grid


@dataclasses.dataclass(frozen=True, eq=False)
class HybridModel:
    """Dycore + column network.

    Attributes:
      dycore: the primitive-equation model (its dt is the dycore step; its forcing, if any, is the
        classical physics kept in the hybrid).
      network: the column network's architecture.
      normalisation: fixed feature standardisation (see `FeatureNormalisation.from_features`).
      physics_interval_s: how often the network is evaluated; a multiple of the dycore step.
      land_fraction: nodal land fraction 0–1 (a network input), or None for an aquaplanet.
      start: the date and time that `time_s = 0` is (for the solar input).
      output_scales: σ_X in SI per second for u, v, temperature (and specific_humidity): one
        value per variable, or one per level (from data: `training_data.residual_tendency_scales`).
      random_fields: extra random inputs of a stochastic model (None: deterministic).
    """

    dycore: PrimitiveEquationsModel
    network: ColumnNetworkConfig
    normalisation: FeatureNormalisation
    physics_interval_s: float = 3600.0
    land_fraction: np.ndarray | None = None
    start: str = "2020-01-01T00:00"
    output_scales: tuple[tuple[str, float | tuple[float, ...]], ...] = tuple(
        DEFAULT_OUTPUT_SCALES.items()
    )
    random_fields: RandomFieldConfig | None = None

    def __post_init__(self):
        substeps = self.physics_interval_s / self.dycore.dt_s
        if substeps < 1 or abs(substeps - round(substeps)) > 1e-9:
            raise ValueError(
                f"the physics interval ({self.physics_interval_s:g} s) must be a whole multiple "
                f"of the dycore time step ({self.dycore.dt_s:g} s)"
            )
        n_features = len(self.feature_names())
        if np.shape(self.normalisation.mean) != (n_features,):
            raise ValueError(
                f"the normalisation has {np.size(self.normalisation.mean)} features but this "
                f"model's columns have {n_features}; rebuild it with `HybridModel.create`"
            )

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(
        cls,
        dycore: PrimitiveEquationsModel,
        network: ColumnNetworkConfig | None = None,
        *,
        reference_states: PrimitiveEquationsState | None = None,
        physics_interval_s: float = 3600.0,
        land_fraction: np.ndarray | None = None,
        start: str = "2020-01-01T00:00",
        random_fields: RandomFieldConfig | None = None,
        output_scales: dict[str, Any] | None = None,
    ) -> HybridModel:
        """A hybrid model whose feature normalisation comes from `reference_states` (stacked
        along a leading axis; default: the dycore's initial state). Random inputs are already
        standard (mean 0, variance `random_fields.variance`) and are normalised by that.
        `output_scales` are σ_X per variable (a number or one per level; default: hand-set)."""
        network = ColumnNetworkConfig() if network is None else network
        states = reference_states
        if states is None:
            states = jax.tree.map(lambda x: x[None], dycore.initial_state)
        static = _static_fields(dycore, land_fraction)
        moist = dycore.equation.humidity_key is not None
        # One compiled program: op by op, the vmapped features cost hundreds of tiny compiles.
        features = jax.jit(
            jax.vmap(
                lambda s: column_features(
                    dycore.grid,
                    s,
                    jnp.zeros((), dycore.grid.dtype),
                    static,
                    HUMIDITY if moist else None,
                    start,
                    network.global_temperature,
                )
            )
        )(states)
        normalisation = FeatureNormalisation.for_columns(
            np.asarray(features), dycore.coords.layers, network.global_temperature
        )
        if random_fields is not None:
            n = random_fields.fields
            normalisation = FeatureNormalisation(
                np.concatenate([normalisation.mean, np.zeros(n, np.float32)]),
                np.concatenate(
                    [normalisation.std, np.full(n, np.sqrt(random_fields.variance), np.float32)]
                ),
            )
        scales = DEFAULT_OUTPUT_SCALES if output_scales is None else output_scales
        return cls(
            dycore,
            network,
            normalisation,
            float(physics_interval_s),
            land_fraction,
            start,
            output_scales=tuple(
                (name, value if np.ndim(value) == 0 else tuple(float(x) for x in value))
                for name, value in scales.items()
            ),
            random_fields=random_fields,
        )

    @property
    def grid(self):
        return self.dycore.grid

    @property
    def layers(self) -> int:
        return self.dycore.coords.layers

    @property
    def moist(self) -> bool:
        return self.dycore.equation.humidity_key is not None

    @property
    def substeps(self) -> int:
        return int(round(self.physics_interval_s / self.dycore.dt_s))

    @property
    def output_variables(self) -> tuple[str, ...]:
        return ("u", "v", "temperature") + ((HUMIDITY,) if self.moist else ())

    @property
    def diagnoses_precipitation(self) -> bool:
        """True when the classical physics can diagnose precipitation from the hybrid's state."""
        return self.moist and self.dycore.moist_physics is not None

    @property
    def stochastic(self) -> bool:
        return self.random_fields is not None

    @property
    def random_inputs(self) -> int:
        """Number of random-field inputs per column (0 for a deterministic model)."""
        return 0 if self.random_fields is None else self.random_fields.fields

    @functools.cached_property
    def random_field(self) -> GaussianRandomField | None:
        if self.random_fields is None:
            return None
        return GaussianRandomField(self.grid, self.random_fields, self.dycore.scales.radius)

    @functools.cached_property
    def _network(self) -> ColumnNetwork:
        return ColumnNetwork(len(self.output_variables) * self.layers, self.network)

    @functools.cached_property
    def _static(self) -> StaticFields:
        return _static_fields(self.dycore, self.land_fraction)

    def init_params(self, key: Array) -> Params:
        """Random initial network parameters."""
        n_features = np.size(self.normalisation.mean)
        return self._network.init(key, jnp.zeros((1, n_features), self.grid.dtype))

    def initial_state(self, time_s: float = 0.0, key: Array | None = None) -> HybridState:
        return self.wrap(self.dycore.initial_state, time_s, key)

    def wrap(
        self, dynamics: PrimitiveEquationsState, time_s: float | Array = 0.0, key=None
    ) -> HybridState:
        """A hybrid state from a dycore state; a stochastic model needs a `key` for its random
        fields (one key per ensemble member)."""
        noise = None
        if self.random_field is not None:
            if key is None:
                raise ValueError(
                    "this hybrid model is stochastic: pass key=jax.random.key(member) to draw its "
                    "random fields"
                )
            noise = self.random_field.initial(key)
        return HybridState(dynamics, jnp.asarray(time_s, self.grid.dtype), noise)

    # ------------------------------------------------------------------ the network term
    def feature_names(self) -> list[str]:
        """Names of the network's inputs, in the order of `features`' columns."""
        names = feature_names(self.layers, self.moist, self.network.global_temperature)
        return names + [f"random_field[{i}]" for i in range(self.random_inputs)]

    def features(self, state: HybridState, normalised: bool = True) -> Array:
        """What the network sees: one row per column, `(nlat·nlon, n_features)`, standardised
        (or in model units with `normalised=False`; random fields are standard either way)."""
        features = column_features(
            self.grid,
            state.dynamics,
            state.time_s,
            self._static,
            HUMIDITY if self.moist else None,
            self.start,
            self.network.global_temperature,
        )
        if self.random_field is not None:
            if state.noise is None:
                raise ValueError(
                    "a stochastic model's state needs random fields: use `wrap(…, key=)`"
                )
            noise = self.random_field.nodal(state.noise)
            features = jnp.concatenate([features, noise.reshape(noise.shape[0], -1).T], axis=1)
        return self.normalisation(features) if normalised else features

    def network_tendencies_nodal(self, params: Params, state: HybridState) -> dict[str, Array]:
        """Ψ(X) on the grid in SI per second: {variable: (L, nlat, nlon)}."""
        grid = self.grid
        raw = self._network.apply(params, self.features(state))
        raw = raw.T.reshape(len(self.output_variables), self.layers, *grid.nodal_shape)
        scales = self.output_scales_by_level()
        return {
            name: raw[i] * jnp.asarray(scales[name], grid.dtype)[:, None, None]
            for i, name in enumerate(self.output_variables)
        }

    def output_scales_by_level(self) -> dict[str, np.ndarray]:
        """σ_X times the global factor, per variable and level (SI per second): {name: (L,)}."""
        scales = dict(self.output_scales)
        missing = [name for name in self.output_variables if name not in scales]
        if missing:
            raise ValueError(f"output_scales lacks {missing}; give one scale per output variable")
        factor = self.network.output_scale
        return {
            name: factor * np.broadcast_to(np.asarray(scales[name], np.float64), (self.layers,))
            for name in self.output_variables
        }

    def network_tendencies(self, params: Params, state: HybridState) -> PrimitiveEquationsState:
        """Ψ(X) as a modal tendency in model units (zero for ln p_s)."""
        grid, s = self.grid, self.dycore.scales
        nodal = self.network_tendencies_nodal(params, state)
        to_model = s.time_unit / s.velocity_unit
        vorticity, divergence = grid.vort_div_from_uv(nodal["u"] * to_model, nodal["v"] * to_model)
        scalars = [nodal["temperature"] * s.time_unit]
        if self.moist:
            scalars.append(nodal[HUMIDITY] * s.time_unit)
        modal = grid.truncate(grid.to_modal(jnp.concatenate(scalars)))
        tracers = {HUMIDITY: modal[self.layers :]} if self.moist else {}
        return PrimitiveEquationsState(
            vorticity,
            divergence,
            modal[: self.layers],
            jnp.zeros_like(state.dynamics.log_surface_pressure),
            tracers,
        )

    # ------------------------------------------------------------------ stepping
    def step(self, params: Params, state: HybridState) -> HybridState:
        """One physics interval: Ψ once, then the dycore substeps with Ψ held constant."""
        held = WithHeldTendency(self.dycore.equation, self.network_tendencies(params, state))
        dycore = dataclasses.replace(self.dycore, equation=held)
        dynamics = repeated(dycore.step, self.substeps)(state.dynamics)
        noise = state.noise
        if self.random_field is not None:
            noise = self.random_field.advance(noise, self.physics_interval_s)
        return HybridState(dynamics, state.time_s + self.physics_interval_s, noise)

    def rollout(
        self, params: Params, state: HybridState, intervals: int, *, remat: bool = True
    ) -> tuple[HybridState, HybridState]:
        """`intervals` physics intervals in one `lax.scan`: (final state, the state after each
        interval stacked on a leading axis). `remat` recomputes each interval in the backward
        pass instead of storing its substeps (`jax.checkpoint`)."""
        step = functools.partial(self.step, params)
        if remat:
            step = jax.checkpoint(step)

        def body(carry, _):
            new = step(carry)
            return new, new

        return jax.lax.scan(body, state, xs=None, length=intervals)

    def stepper(self, params: Params) -> forecast.Stepper:
        """Advances hybrid states by physics intervals with the one blow-up check (on the
        dynamics; the Courant number is the dycore step's)."""
        dycore = self.dycore
        check = forecast.BlowUpCheck(
            lambda state: dycore.extremes(state.dynamics),
            courant_per_wind=dycore.grid.truncation * dycore.dt_s / dycore.scales.radius,
            stable_dt_s=self.physics_interval_s,
        )
        step = functools.partial(self.step, params)
        return forecast.Stepper(step, self.physics_interval_s, check)

    def run(
        self,
        params: Params,
        state: HybridState,
        days: float,
        *,
        output_interval_hours: float = 24.0,
        progress: bool = True,
        devices: int = 1,
    ) -> forecast.Integration:
        """A free-running forecast of `days` from `state`, every output kept as in
        `PrimitiveEquationsModel.run` (and split over `devices` as there); the integration's
        states are the dynamics, so `xarray_io.trajectory_to_dataset(hybrid.dycore, result)`
        writes them."""
        interval = self.physics_interval_s
        n = forecast.whole_steps(days * 86400.0, interval, f"{days:g} days")
        hours = output_interval_hours
        per_output = forecast.whole_steps(hours * 3600.0, interval, f"{hours:g} h")
        result = forecast.integrate(
            self.stepper(params),
            state,
            n_steps=n,
            steps_per_output=max(1, per_output),
            progress=progress,
            description="hybrid",
            devices=devices,
        )
        return dataclasses.replace(result, states=result.states.dynamics)

    # ------------------------------------------------------------------ diagnosis
    def tendencies(self, params: Params, state: HybridState) -> dict[str, dict[str, np.ndarray]]:
        """Instantaneous tendencies of u, v, temperature (and q) in SI per second on the grid,
        split into "dynamics" (the dycore without forcing), "physics" (its classical forcing)
        and "network" (Ψ): {term: {variable: (L, nlat, nlon)}}, as float64 numpy arrays."""
        terms = self.si_tendencies(params, state)
        return jax.tree.map(lambda x: np.asarray(x, np.float64), terms)

    def si_tendencies(self, params: Params, state: HybridState) -> dict[str, dict[str, jax.Array]]:
        """`tendencies` as JAX arrays in the grid's dtype: traceable, so a diagnosis over many
        states compiles once (`jax.jit`) instead of running op by op."""
        equation = self.dycore.equation
        dry = dataclasses.replace(equation, forcing=None)
        total_dyn = _sum_terms(dry, state.dynamics)
        total_all = _sum_terms(equation, state.dynamics)
        physics = jax.tree.map(jnp.subtract, total_all, total_dyn)
        return {
            "dynamics": self._modal_to_si(total_dyn),
            "physics": self._modal_to_si(physics),
            "network": self.network_tendencies_nodal(params, state),
        }

    def _modal_to_si(self, tendency: PrimitiveEquationsState) -> dict[str, jax.Array]:
        grid, s = self.grid, self.dycore.scales
        u, v = grid.uv_from_vort_div(tendency.vorticity, tendency.divergence)
        accel = s.velocity_unit / s.time_unit
        out = {
            "u": u * accel,
            "v": v * accel,
            "temperature": grid.to_nodal(tendency.temperature_variation) / s.time_unit,
        }
        if self.moist:
            out[HUMIDITY] = grid.to_nodal(tendency.tracers[HUMIDITY]) / s.time_unit
        return out


def _sum_terms(equation, state: PrimitiveEquationsState) -> PrimitiveEquationsState:
    return jax.tree.map(jnp.add, equation.explicit_terms(state), equation.implicit_terms(state))


def _static_fields(dycore: PrimitiveEquationsModel, land_fraction) -> StaticFields:
    shape = dycore.grid.nodal_shape
    phi = dycore.equation.surface_geopotential
    return StaticFields(
        np.zeros(shape) if phi is None else np.asarray(phi, np.float64),
        np.zeros(shape) if land_fraction is None else np.asarray(land_fraction, np.float64),
    )
