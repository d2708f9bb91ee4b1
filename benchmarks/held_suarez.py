"""Held–Suarez throughput benchmark: ngcm_lab against Dinosaur, side by side.

Both models integrate the Held & Suarez (1994) dry dynamical-core test (Newtonian cooling towards
T_eq, Rayleigh drag below σ = 0.7, no orography) on equidistant σ levels, at the same spectral
truncation, Gaussian grid, number of layers, time step and floating-point precision, in the same
process. Each model's step (SIL3 IMEX Runge–Kutta + exponential filter) is fused into one jitted
``lax.scan`` of ``nsteps`` steps. The first call (trace + compile + run) is timed separately;
then the timed calls of the two models are interleaved, one call of each per round, for
``repeats`` rounds, so background load on a shared machine hits both alike. XLA's static
memory figures (temp / argument / output bytes) and per-step cost figures of each compiled
rollout are reported next to the timings.

Run it through ``python -m benchmarks --only held_suarez`` (`run` is this section). Speed ratios
(``ngcm_lab / dinosaur``; > 1 means ngcm_lab is faster) are only meaningful between numbers
measured in the same run on the same machine.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import numpy as np

from ._timing import (
    SECONDS_PER_DAY,
    Built,
    Rollout,
    all_finite,
    dinosaur_key,
    engine_builders,
    ratio,
    side_by_side,
)

CASES = (("T42", 24), ("TL63", 32))  # (resolution, layers); Gaussian grids 128 x 64 in both
DT_SECONDS = 600.0
NSTEPS = 20  # steps per timed call

# Dinosaur, as in its Held–Suarez notebook (notebooks/held_suarez.ipynb, Dinosaur 1.5.x):
# isothermal rest atmosphere (T = T_ref = 288 K), p_s = 1000 hPa plus a 50 hPa wave-number-4
# Gaussian bump at a random place (PRNGKey(0)), and the notebook's exponential step filter.
DINOSAUR_P0_PA = 1e5
DINOSAUR_P1_PA = 5e3
DINOSAUR_SEED = 0
# Each step's output is multiplied by exp(-(dt / tau) * ((k - cutoff) / (1 - cutoff)) ** (2 order))
# for k = n / n_max > cutoff (n_max = N + 1, Dinosaur's extra top degree).
DINOSAUR_FILTER_TAU = 0.0087504  # in Dinosaur's time unit 1 / (2 Omega), i.e. 60.0 s
DINOSAUR_FILTER_ORDER = 1.5
DINOSAUR_FILTER_CUTOFF = 0.8
DINOSAUR_IMPLS = ("real", "fast")


def state_bytes(state: Any) -> int:
    return int(sum(np.asarray(x).nbytes for x in jax.tree_util.tree_leaves(state)))


def field_summary(u, v, temperature, surface_pressure) -> dict[str, float]:
    """A few SI extremes, to show both models are running the same kind of flow."""
    speed = np.sqrt(np.asarray(u) ** 2 + np.asarray(v) ** 2)
    return {
        "max_wind_speed_m_s": float(np.max(speed)),
        "temperature_min_k": float(np.min(temperature)),
        "temperature_max_k": float(np.max(temperature)),
        "surface_pressure_min_hpa": float(np.min(surface_pressure) / 100.0),
        "surface_pressure_max_hpa": float(np.max(surface_pressure) / 100.0),
    }


# ---------------------------------------------------------------------------------------------
# Dinosaur 1.5.1
# ---------------------------------------------------------------------------------------------


def build_dinosaur(
    resolution: str, layers: int, dt: float, nsteps: int, impl: str = "real"
) -> Built:
    """Dinosaur's dry primitive equations with Held–Suarez forcing, as its notebook builds them.

    ``PrimitiveEquations`` (= ``PrimitiveEquationsSigma``) on
    ``SigmaCoordinates.equidistant(layers)`` composed with ``held_suarez.HeldSuarezForcing``
    (= ``HeldSuarezForcingSigma``) by ``compose_equations``; ``imex_rk_sil3`` stepping and
    ``exponential_step_filter`` (the notebook's tau, order and cutoff) applied to each step's
    output through ``step_with_filters``. The reference temperature and the initial state come
    from ``primitive_equations_states.isothermal_rest_atmosphere`` (T_ref = 288 K everywhere).
    """
    from dinosaur import (
        coordinate_systems,
        held_suarez,
        primitive_equations,
        primitive_equations_states,
        scales,
        sigma_coordinates,
        spherical_harmonic,
        time_integration,
        xarray_utils,
    )

    units = scales.units
    impl_class = {
        "real": spherical_harmonic.RealSphericalHarmonics,
        "fast": spherical_harmonic.FastSphericalHarmonics,
    }[impl]
    grid = getattr(spherical_harmonic.Grid, resolution)(spherical_harmonics_impl=impl_class)
    coords = coordinate_systems.CoordinateSystem(
        horizontal=grid, vertical=sigma_coordinates.SigmaCoordinates.equidistant(layers)
    )
    physics_specs = primitive_equations.PrimitiveEquationsSpecs.from_si()
    p0 = DINOSAUR_P0_PA * units.pascal
    initial_state_fn, aux_features = primitive_equations_states.isothermal_rest_atmosphere(
        coords=coords, physics_specs=physics_specs, p0=p0, p1=DINOSAUR_P1_PA * units.pascal
    )
    initial_state = initial_state_fn(jax.random.PRNGKey(DINOSAUR_SEED))
    ref_temps = aux_features[xarray_utils.REF_TEMP_KEY]
    orography = primitive_equations.truncated_modal_orography(
        aux_features[xarray_utils.OROGRAPHY], coords
    )
    primitive = primitive_equations.PrimitiveEquations(ref_temps, orography, coords, physics_specs)
    forcing = held_suarez.HeldSuarezForcing(
        coords=coords, physics_specs=physics_specs, reference_temperature=ref_temps, p0=p0
    )
    equation = time_integration.compose_equations([primitive, forcing])
    dt_nondim = physics_specs.nondimensionalize(dt * units.s)
    step = time_integration.step_with_filters(
        time_integration.imex_rk_sil3(equation, dt_nondim),
        [
            time_integration.exponential_step_filter(
                grid,
                dt_nondim,
                tau=DINOSAUR_FILTER_TAU,
                order=DINOSAUR_FILTER_ORDER,
                cutoff=DINOSAUR_FILTER_CUTOFF,
            )
        ],
    )

    def summary(state) -> dict[str, float]:
        u, v = spherical_harmonic.vor_div_to_uv_nodal(grid, state.vorticity, state.divergence)
        temperature = np.asarray(ref_temps)[:, None, None] + np.asarray(
            grid.to_nodal(state.temperature_variation)
        )
        surface_pressure = np.exp(np.asarray(grid.to_nodal(state.log_surface_pressure)))
        return field_summary(
            physics_specs.dimensionalize(np.asarray(u), units.m / units.s).magnitude,
            physics_specs.dimensionalize(np.asarray(v), units.m / units.s).magnitude,
            physics_specs.dimensionalize(temperature, units.degK).magnitude,
            physics_specs.dimensionalize(surface_pressure, units.pascal).magnitude,
        )

    nlon, nlat = grid.nodal_shape
    tau_s = physics_specs.dimensionalize(DINOSAUR_FILTER_TAU, units.s).magnitude
    config = {
        "implementation": impl_class.__name__,
        "grid_nlon_x_nlat": f"{nlon}x{nlat}",
        "modal_shape": list(coords.modal_shape),
        "equations": "compose_equations([PrimitiveEquations (= PrimitiveEquationsSigma), "
        "held_suarez.HeldSuarezForcing (= HeldSuarezForcingSigma)])",
        "vertical": f"SigmaCoordinates.equidistant({layers})",
        "reference_temperature_k": sorted({round(float(t), 6) for t in np.asarray(ref_temps)}),
        "initial_state": "isothermal_rest_atmosphere: rest, T = T_ref, p_s = "
        f"{DINOSAUR_P0_PA / 100:g} hPa + {DINOSAUR_P1_PA / 100:g} hPa localized k = 4 "
        f"perturbation (PRNGKey({DINOSAUR_SEED})), flat orography",
        "integrator": "imex_rk_sil3 (3 explicit evaluations, 3 implicit solves per step)",
        "filter": {
            "kind": "exponential_step_filter (as in Dinosaur's Held-Suarez notebook)",
            "tau_nondim": DINOSAUR_FILTER_TAU,
            "tau_s": float(tau_s),
            "attenuation_per_step": float(dt_nondim / DINOSAUR_FILTER_TAU),
            "order": DINOSAUR_FILTER_ORDER,
            "cutoff": DINOSAUR_FILTER_CUTOFF,
            "factor_per_step": "exp(-attenuation * ((k - cutoff) / (1 - cutoff)) ** (2 * order)) "
            "for k = n / (N + 1) > cutoff, n = total wavenumber",
        },
    }
    return Rollout(step, initial_state, nsteps, dt), model_report(summary, config)


# ---------------------------------------------------------------------------------------------
# ngcm_lab
# ---------------------------------------------------------------------------------------------


def build_ngcm_lab(resolution: str, layers: int, dt: float, nsteps: int, dtype: Any) -> Built:
    """ngcm_lab's Held–Suarez case, exactly as ``PrimitiveEquationsModel.from_case`` builds it."""
    from ngcm_lab.primitive_model import PrimitiveEquationsModel

    model = PrimitiveEquationsModel.from_case(
        "held_suarez", resolution, layers=layers, dt=dt, dtype=dtype
    )

    def summary(state) -> dict[str, float]:
        fields = model.decode(state)
        return field_summary(
            fields["u"], fields["v"], fields["temperature"], fields["surface_pressure"]
        )

    grid = model.grid
    filters = [
        {"kind": type(f).__name__, **(dataclasses.asdict(f) if dataclasses.is_dataclass(f) else {})}
        for f in model.filters
    ]
    config = {
        "grid_nlon_x_nlat": f"{grid.nlon}x{grid.nlat}",
        "modal_shape": list(grid.modal_shape),
        "vertical": f"SigmaCoordinates.equidistant({layers})",
        "reference_temperature_k": sorted(
            {round(float(t), 6) for t in np.asarray(model.equation.reference_temperature)}
        ),
        "initial_state": "rest, p_s = 1000 hPa, T = T_eq(phi, p) + 0.1 K white noise",
        "integrator": "imex_rk_sil3, Held-Suarez forcing inside the explicit terms",
        "filters": filters,
    }
    return Rollout(model.step, model.initial_state, nsteps, dt), model_report(summary, config)


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def model_report(summary, config: dict[str, Any]):
    """The report of one model after its timed calls: XLA figures, a check and its setup."""

    def report(rollout: Rollout) -> dict[str, Any]:
        finite = all_finite(rollout.state)
        timing = rollout.timing()
        return {
            "simulated_days_per_wall_hour": timing.simulated_days_per_second * 3600.0,
            **rollout.compiled_stats(),
            "state_bytes": state_bytes(rollout.state),
            "state_dtype": str(np.asarray(jax.tree_util.tree_leaves(rollout.state)[0]).dtype),
            "check": {
                "after_steps": rollout.steps_taken,
                "after_days": rollout.steps_taken * rollout.dt_seconds / SECONDS_PER_DAY,
                "finite": finite,
                **(summary(rollout.state) if finite else {}),
            },
            "configuration": config,
        }

    return report


RATIO_KEYS = (
    "steps_per_second",
    "compile_and_first_run_s",
    "xla_temp_bytes",
    "xla_argument_bytes",
    "xla_output_bytes",
    "xla_flops_per_step",
)


def ratios(numerator: dict[str, Any], denominator: dict[str, Any]) -> dict[str, float | None]:
    out = {key: ratio(numerator.get(key), denominator.get(key)) for key in RATIO_KEYS}
    # Speed ratio from each model's fastest call: less sensitive to background load.
    out["steps_per_second_best_run"] = ratio(
        denominator.get("min_run_s"), numerator.get("min_run_s")
    )
    return out


def benchmark_case(
    resolution: str,
    layers: int,
    nsteps: int,
    repeats: int,
    dtype: Any = np.float32,
    dinosaur_impls: tuple[str, ...] = ("real",),
    with_dinosaur: bool = True,
    dt: float = DT_SECONDS,
) -> dict[str, Any]:
    """Both models at one resolution and number of layers and time step ``dt`` (s), timed
    interleaved."""
    builders = engine_builders(
        lambda: build_ngcm_lab(resolution, layers, dt, nsteps, dtype),
        lambda impl: build_dinosaur(resolution, layers, dt, nsteps, impl),
        dinosaur_impls,
        with_dinosaur,
    )
    entry: dict[str, Any] = {
        "resolution": resolution,
        "layers": layers,
        "dt_s": dt,
        "nsteps_per_run": nsteps,
        **side_by_side(builders, repeats),
    }
    for impl in dinosaur_impls:
        key = dinosaur_key(impl)
        entry[f"ratio_ngcm_lab_over_{key}"] = ratios(entry["ngcm_lab"], entry[key])
    return entry


def run(
    cases: tuple[tuple[str, int], ...] = CASES,
    nsteps: int = NSTEPS,
    repeats: int = 5,
    dinosaur_impls: tuple[str, ...] = ("real",),
    with_dinosaur: bool = True,
) -> dict[str, Any]:
    """The Held–Suarez section: every (resolution, layers) case, both models side by side."""
    return {
        "benchmark": "Held & Suarez (1994) dry dynamical core, equidistant sigma levels, "
        "no orography",
        "precision": "float32",
        "repeats": repeats,
        "nsteps_per_run": nsteps,
        "timing": "jitted lax.scan of nsteps steps per call; first call (trace + compile + run) "
        "timed alone; then the models' timed calls interleaved, one of each per round; median "
        "over repeats; ratio = ngcm_lab / dinosaur",
        "memory": "XLA buffer assignment of the compiled rollout (compiled.memory_analysis()): "
        "temp = scratch of one call, argument / output = state in and out; not a measured peak",
        "cost": "XLA HLO cost analysis of the compiled rollout; the scan body is counted once, "
        "so figures are per step",
        "results": {
            f"{resolution}_L{layers}": benchmark_case(
                resolution, layers, nsteps, repeats, np.float32, dinosaur_impls, with_dinosaur
            )
            for resolution, layers in cases
        },
    }
