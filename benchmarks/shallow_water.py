"""Shallow-water throughput benchmark: ngcm_lab against Dinosaur, side by side.

Both models integrate Williamson et al. (1992) test case 2 (steady, nonlinear, geostrophically
balanced zonal flow, flow angle alpha = 0) at the same resolution, time step and floating-point
precision, in the same process. For each model a ``jax.lax.scan`` of ``nsteps`` steps is jitted
once; the first call (tracing + compilation + one run) is timed separately, then the median of
``--repeats`` further calls is reported as steps per second and simulated days per wall second.

Usage::

    python benchmarks/shallow_water.py [--resolutions T42 T85] [--x64] [--repeats 5]
                                       [--output PATH]

Speed ratios (``ngcm_lab / dinosaur`` steps per second; > 1 means ngcm_lab is faster) are only
meaningful between numbers measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import jax
import numpy as np
from _timing import time_stepper

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "shallow_water.json"

# Williamson et al. (1992), test case 2, in SI units.
EARTH_RADIUS = 6.37122e6  # m
OMEGA = 7.292e-5  # s^-1
GRAVITY = 9.80616  # m s^-2
SECONDS_PER_DAY = 86400.0
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

Pytree = Any


# ---------------------------------------------------------------------------------------------
# Checks shared by every model (timing helpers: _timing.py)
# ---------------------------------------------------------------------------------------------


def modal_drift(initial: Any, final: Any) -> float:
    """max |final - initial| / max |initial| over spectral coefficients (unit-free)."""
    initial = np.asarray(initial)
    final = np.asarray(final)
    return float(np.max(np.abs(final - initial)) / np.max(np.abs(initial)))


def all_finite(state: Pytree) -> bool:
    return all(bool(np.isfinite(np.asarray(x)).all()) for x in jax.tree_util.tree_leaves(state))


# ---------------------------------------------------------------------------------------------
# Dinosaur 1.5.1
# ---------------------------------------------------------------------------------------------


def time_dinosaur(
    resolution: str, dt: float, nsteps: int, repeats: int, impl: str = "real"
) -> dict[str, Any]:
    """Benchmarks Dinosaur's single-layer shallow-water model on Williamson TC2.

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

    timing, final_state, total_steps = time_stepper(step, initial_state, nsteps, repeats, dt)

    final_geopotential = np.asarray(grid.to_nodal(final_state.potential))[0] + reference_potential
    height_error = np.max(np.abs(final_geopotential - exact_geopotential)) / np.max(
        np.abs(exact_geopotential)
    )
    return {
        "implementation": impl_class.__name__,
        **timing.as_dict(),
        "state_dtype": str(np.asarray(final_state.potential).dtype),
        "steady_state_check": {
            "after_steps": total_steps,
            "after_days": total_steps * dt / SECONDS_PER_DAY,
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


# ---------------------------------------------------------------------------------------------
# ngcm_lab
# ---------------------------------------------------------------------------------------------


def time_ngcm_lab(
    resolution: str, dt: float, nsteps: int, dtype: Any, repeats: int = 5
) -> dict[str, Any]:
    """Benchmarks ngcm_lab's shallow-water model on Williamson TC2.

    Returns ``{"error": ...}`` instead of raising if ngcm_lab cannot be imported or its model
    cannot be built, so that the Dinosaur figures are still reported.
    """
    try:
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        from ngcm_lab.models import ShallowWaterModel

        model = ShallowWaterModel.from_case(
            "williamson2", resolution=resolution, dt=dt, dtype=dtype
        )
        initial_state = model.initial_state
        step = model.step
    except Exception as error:  # any failure here means "not available yet"
        return {"error": f"{type(error).__name__}: {error}"}

    timing, final_state, total_steps = time_stepper(step, initial_state, nsteps, repeats, dt)
    result: dict[str, Any] = {**timing.as_dict()}
    check: dict[str, Any] = {
        "after_steps": total_steps,
        "after_days": total_steps * dt / SECONDS_PER_DAY,
        "finite": all_finite(final_state),
    }
    height = getattr(initial_state, "height", None)
    if height is not None:
        result["state_dtype"] = str(np.asarray(final_state.height).dtype)
        check["modal_height_perturbation_drift"] = modal_drift(height, final_state.height)
    result["steady_state_check"] = check
    return result


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def benchmark_resolution(
    resolution: str, repeats: int, dtype: Any, dinosaur_impls: list[str]
) -> dict[str, Any]:
    spec = RESOLUTIONS[resolution]
    dt, nsteps = spec["dt"], spec["nsteps"]
    entry: dict[str, Any] = {
        "grid_nlon_x_nlat": "{}x{}".format(*spec["grid"]),
        "dt_s": dt,
        "nsteps_per_run": nsteps,
    }
    for impl in dinosaur_impls:
        key = "dinosaur" if impl == "real" else f"dinosaur_{impl}"
        entry[key] = time_dinosaur(resolution, dt, nsteps, repeats, impl)
    entry["ngcm_lab"] = time_ngcm_lab(resolution, dt, nsteps, dtype, repeats)

    ngcm_speed = entry["ngcm_lab"].get("steps_per_second")
    for impl in dinosaur_impls:
        key = "dinosaur" if impl == "real" else f"dinosaur_{impl}"
        ratio = ngcm_speed / entry[key]["steps_per_second"] if ngcm_speed else None
        entry[f"ratio_ngcm_lab_over_{key}"] = ratio
    return entry


def environment() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        dinosaur_version = version("dinosaur")
    except PackageNotFoundError:
        dinosaur_version = None
    return {
        "jax": jax.__version__,
        "dinosaur": dinosaur_version,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        # Other processes competing for the CPU make timings noisy; record how busy it was.
        "load_average_1_5_15_min": list(os.getloadavg()),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--resolutions", nargs="+", default=list(RESOLUTIONS), choices=list(RESOLUTIONS)
    )
    parser.add_argument("--x64", action="store_true", help="run in float64 (default float32)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls after compilation")
    parser.add_argument(
        "--dinosaur-impls",
        nargs="+",
        default=list(DINOSAUR_IMPLS),
        choices=list(DINOSAUR_IMPLS),
        help="Dinosaur spherical-harmonic implementations: real=RealSphericalHarmonics "
        "(default of dinosaur.spherical_harmonic.Grid), fast=FastSphericalHarmonics",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    jax.config.update("jax_enable_x64", args.x64)
    import jax.numpy as jnp

    dtype = jnp.float64 if args.x64 else jnp.float32
    report: dict[str, Any] = {
        "benchmark": "shallow water, Williamson (1992) test case 2, alpha = 0",
        "precision": "float64" if args.x64 else "float32",
        "repeats": args.repeats,
        "timing": "jitted lax.scan of nsteps steps; median over repeats after a first "
        "(trace + compile + run) call; ratio = ngcm_lab / dinosaur steps per second",
        "environment": environment(),
        "results": {},
    }
    for resolution in args.resolutions:
        report["results"][resolution] = benchmark_resolution(
            resolution, args.repeats, dtype, args.dinosaur_impls
        )

    text = json.dumps(report, indent=2)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    return report


if __name__ == "__main__":
    main()
