"""Shallow-water throughput benchmark: ngcm_lab against Dinosaur, side by side.

Both models integrate Williamson et al. (1992) test case 2 (steady, nonlinear, geostrophically
balanced zonal flow, flow angle alpha = 0) at the same resolution, time step and floating-point
precision, in the same process. For each model a ``jax.lax.scan`` of ``nsteps`` steps is jitted
once; the first call (tracing + compilation + one run) is timed separately, then the models'
timed calls are interleaved for ``repeats`` rounds and the median and minimum are reported.

Run it through ``python -m benchmarks --only shallow_water`` (`run` is this section). Speed
ratios (``ngcm_lab / dinosaur`` steps per second; > 1 means ngcm_lab is faster) are only
meaningful between numbers measured in the same run on the same machine.
"""

from __future__ import annotations

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

# Williamson et al. (1992), test case 2, in SI units.
EARTH_RADIUS = 6.37122e6  # m
OMEGA = 7.292e-5  # s^-1
GRAVITY = 9.80616  # m s^-2
U0 = 2.0 * np.pi * EARTH_RADIUS / (12.0 * SECONDS_PER_DAY)  # m s^-1, ~38.6
GH0 = 2.94e4  # m^2 s^-2

# Per resolution: time step (s), steps per timed call, grid shape (nlon, nlat).
RESOLUTIONS: dict[str, dict[str, Any]] = {
    "T42": {"dt": 1200.0, "nsteps": 100, "grid": (128, 64)},
    "T85": {"dt": 600.0, "nsteps": 50, "grid": (256, 128)},
}

# Dinosaur's spherical-harmonic implementations that can be benchmarked, by short name.
DINOSAUR_IMPLS = ("real", "fast")
# Dinosaur's exponential step filter, passed explicitly (these equal its defaults): each step's
# output is multiplied by exp(-(dt / tau) * (n / n_max) ** (2 * order)), n_max = N + 1.
DINOSAUR_FILTER_TAU = 0.010938  # in Dinosaur's time unit 1 / (2 Omega), i.e. 75.0 s
DINOSAUR_FILTER_ORDER = 18
DINOSAUR_FILTER_CUTOFF = 0.0


# ---------------------------------------------------------------------------------------------
# Check shared by both models (timing helpers: _timing.py)
# ---------------------------------------------------------------------------------------------


def modal_drift(initial: Any, final: Any) -> float:
    """max |final - initial| / max |initial| over spectral coefficients (unit-free)."""
    initial = np.asarray(initial)
    final = np.asarray(final)
    return float(np.max(np.abs(final - initial)) / np.max(np.abs(initial)))


# ---------------------------------------------------------------------------------------------
# Dinosaur 1.5.1
# ---------------------------------------------------------------------------------------------


def build_dinosaur(resolution: str, dt: float, nsteps: int, impl: str = "real") -> Built:
    """Dinosaur's single-layer shallow-water model on Williamson TC2.

    Setup (as in dinosaur/shallow_water_test.py): ``ShallowWaterEquations`` on a one-layer
    ``CoordinateSystem``, no orography, unit density, ``imex_rk_sil3`` stepping and
    ``exponential_step_filter`` (its default tau, order and cutoff) applied to each step's
    output via ``step_with_filters``. Dinosaur's default scale makes
    lengths nondimensional by the Earth radius and time by 1 / (2 Omega).
    """
    from dinosaur import (
        coordinate_systems,
        layer_coordinates,
        scales,
        shallow_water,
        spherical_harmonic,
        time_integration,
        units,
    )

    impl_class = {
        "real": spherical_harmonic.RealSphericalHarmonics,
        "fast": spherical_harmonic.FastSphericalHarmonics,
    }[impl]
    grid = getattr(spherical_harmonic.Grid, resolution)(spherical_harmonics_impl=impl_class)
    coords = coordinate_systems.CoordinateSystem(grid, layer_coordinates.LayerCoordinates(1))
    specs = units.SimUnits.from_si()

    u = scales.units
    a = specs.radius
    omega = specs.angular_velocity
    u0 = specs.nondimensionalize(U0 * u.m / u.s)
    gh0 = specs.nondimensionalize(GH0 * u.m**2 / u.s**2)
    dt_nondim = specs.nondimensionalize(dt * u.s)

    # TC2 with alpha = 0: u = u0 cos(lat), v = 0, zeta = 2 u0 sin(lat) / a, and
    # g h = g h0 - (a Omega u0 + u0^2 / 2) sin^2(lat). Dinosaur's prognostic "potential" is the
    # deviation from a reference geopotential; use the exact global mean (<sin^2> = 1/3).
    _, sin_lat = grid.nodal_mesh  # shapes (nlon, nlat)
    exact_geopotential = gh0 - (a * omega * u0 + 0.5 * u0**2) * sin_lat**2
    reference_potential = gh0 - (a * omega * u0 + 0.5 * u0**2) / 3.0
    vorticity = grid.to_modal((2.0 * u0 / a * sin_lat)[np.newaxis])
    potential = grid.to_modal((exact_geopotential - reference_potential)[np.newaxis])
    initial_state = shallow_water.State(
        vorticity=vorticity, divergence=jax.numpy.zeros_like(vorticity), potential=potential
    )

    equation = shallow_water.ShallowWaterEquations(
        coords, specs, orography=None, reference_potential=np.array([reference_potential])
    )
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

    def report(rollout: Rollout) -> dict[str, Any]:
        final_state = rollout.state
        final_geopotential = (
            np.asarray(grid.to_nodal(final_state.potential))[0] + reference_potential
        )
        height_error = np.max(np.abs(final_geopotential - exact_geopotential)) / np.max(
            np.abs(exact_geopotential)
        )
        return {
            "implementation": impl_class.__name__,
            "state_dtype": str(np.asarray(final_state.potential).dtype),
            "steady_state_check": {
                "after_steps": rollout.steps_taken,
                "after_days": rollout.steps_taken * dt / SECONDS_PER_DAY,
                "finite": all_finite(final_state),
                # Williamson's l_inf height error: max|h - h_exact| / max|h_exact|.
                "max_rel_height_error": float(height_error),
                "modal_height_perturbation_drift": modal_drift(
                    initial_state.potential, final_state.potential
                ),
            },
            "filter": {
                "kind": "exponential_step_filter (runge_kutta_step_filter of exponential_filter)",
                "tau_nondim": DINOSAUR_FILTER_TAU,
                "tau_s": float(specs.dimensionalize(DINOSAUR_FILTER_TAU, u.s).magnitude),
                "attenuation_per_step": float(dt_nondim / DINOSAUR_FILTER_TAU),
                "order": DINOSAUR_FILTER_ORDER,
                "cutoff": DINOSAUR_FILTER_CUTOFF,
                "factor_per_step": "exp(-attenuation * (n / (N + 1)) ** (2 * order)), "
                "n = total wavenumber",
            },
            "integrator": "imex_rk_sil3",
        }

    return Rollout(step, initial_state, nsteps, dt), report


# ---------------------------------------------------------------------------------------------
# ngcm_lab
# ---------------------------------------------------------------------------------------------


def build_ngcm_lab(resolution: str, dt: float, nsteps: int, dtype: Any) -> Built:
    """ngcm_lab's shallow-water model on Williamson TC2 (``ShallowWaterModel.from_case``)."""
    from ngcm_lab.models import ShallowWaterModel

    model = ShallowWaterModel.from_case("williamson2", resolution=resolution, dt=dt, dtype=dtype)
    initial_state = model.initial_state

    def report(rollout: Rollout) -> dict[str, Any]:
        final_state = rollout.state
        return {
            "state_dtype": str(np.asarray(final_state.height).dtype),
            "steady_state_check": {
                "after_steps": rollout.steps_taken,
                "after_days": rollout.steps_taken * dt / SECONDS_PER_DAY,
                "finite": all_finite(final_state),
                "modal_height_perturbation_drift": modal_drift(
                    initial_state.height, final_state.height
                ),
            },
        }

    return Rollout(model.step, initial_state, nsteps, dt), report


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def benchmark_resolution(
    resolution: str,
    repeats: int,
    dtype: Any = np.float32,
    dinosaur_impls: tuple[str, ...] = ("real",),
    with_dinosaur: bool = True,
    nsteps: int | None = None,
) -> dict[str, Any]:
    """Both models at one resolution, timed interleaved; ``nsteps`` overrides the steps per
    call (default: the resolution's). Without Dinosaur its entries say they were not run."""
    spec = RESOLUTIONS[resolution]
    dt = spec["dt"]
    nsteps = spec["nsteps"] if nsteps is None else nsteps
    builders = engine_builders(
        lambda: build_ngcm_lab(resolution, dt, nsteps, dtype),
        lambda impl: build_dinosaur(resolution, dt, nsteps, impl),
        dinosaur_impls,
        with_dinosaur,
    )
    entry: dict[str, Any] = {
        "grid_nlon_x_nlat": "{}x{}".format(*spec["grid"]),
        "dt_s": dt,
        "nsteps_per_run": nsteps,
        **side_by_side(builders, repeats),
    }
    ngcm = entry["ngcm_lab"]
    for impl in dinosaur_impls:
        other = entry[dinosaur_key(impl)]
        entry[f"ratio_ngcm_lab_over_{dinosaur_key(impl)}"] = {
            "steps_per_second": ratio(ngcm.get("steps_per_second"), other.get("steps_per_second")),
            # From each model's fastest call: less sensitive to background load.
            "steps_per_second_best_run": ratio(other.get("min_run_s"), ngcm.get("min_run_s")),
        }
    return entry


def run(
    resolutions: tuple[str, ...] = tuple(RESOLUTIONS),
    repeats: int = 5,
    dtype: Any = np.float32,
    dinosaur_impls: tuple[str, ...] = ("real",),
    with_dinosaur: bool = True,
    nsteps: int | None = None,
) -> dict[str, Any]:
    """The shallow-water section: every resolution, both models side by side. float64 needs
    ``jax.config.update("jax_enable_x64", True)`` before anything else."""
    return {
        "benchmark": "shallow water, Williamson (1992) test case 2, alpha = 0",
        "precision": np.dtype(dtype).name,
        "repeats": repeats,
        "timing": "jitted lax.scan of nsteps steps; first call (trace + compile + run) timed "
        "alone, then the models' calls interleaved, one of each per round; median over repeats; "
        "ratio = ngcm_lab / dinosaur steps per second",
        "results": {
            resolution: benchmark_resolution(
                resolution, repeats, dtype, dinosaur_impls, with_dinosaur, nsteps
            )
            for resolution in resolutions
        },
    }
