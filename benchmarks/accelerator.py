"""One prepared run for whenever a GPU or TPU is at hand: speeds and a precision check.

    python -m benchmarks.accelerator [--json OUT] [--smoke]

On ``jax.devices()[0]`` (whatever it is), in one process, float32:

- ``shallow_water``: Williamson TC2 at T85 (dt 600 s), ms per step;
- ``held_suarez``: Held–Suarez at TL63, TL127 and TL255, 32 layers (dt = the smaller of the
  Held–Suarez benchmark's 600 s and the package's ``suggested_dt``: 600, 360 and 180 s), ms per
  step after compiling, and the compile time on its own;
- ``hybrid_gradients``: the 24-step T21 L8 hybrid rollout: compile s, forward ms, gradient ms and
  gradient / forward, with and without remat;
- ``precision``: the same short Held–Suarez TL63 L32 run in float32 (the package's transforms
  and vertical operators state HIGHEST matmul precision) and in float64, on the device where it
  supports float64, else on the CPU; the max relative difference shows whether float32 products
  were silently run at reduced precision (TF32 on NVIDIA GPUs, bfloat16 passes on TPUs).

Every section reuses the other benchmarks' builders and `_timing`'s way of timing; Dinosaur is not
run. ``--smoke`` shrinks every size so that the whole run takes about a minute on a small CPU: a
test of the script, not figures. Progress goes to stderr, the summary to stdout, the report to
``--json`` (default ``benchmarks/results/accelerator.json``; with ``--smoke`` only if given).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import jax
import numpy as np

from ngcm_lab.compilation import matmul_precisions

from . import held_suarez, hybrid_gradients, shallow_water
from ._timing import Rollout, _version, environment, load_average

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "accelerator.json"
COMMAND = "python -m benchmarks.accelerator"

# Sizes of the full run (target: a few minutes on one GPU, compiles included) and of --smoke.
SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "full": {
        "shallow_water": {"resolution": "T85", "nsteps": 100, "repeats": 5},
        "held_suarez": {
            "cases": (("TL63", 32), ("TL127", 32), ("TL255", 32)),
            "nsteps": 20,
            "repeats": 5,
        },
        "hybrid_gradients": {
            "resolution": "T21",
            "layers": 8,
            "steps": 24,
            "remats": (True, False),
            "repeats": 5,
        },
        "precision": {"resolution": "TL63", "layers": 32, "nsteps": 10},
    },
    "smoke": {
        "shallow_water": {"resolution": "T42", "nsteps": 5, "repeats": 2},
        "held_suarez": {"cases": (("T21", 4), ("T42", 4)), "nsteps": 2, "repeats": 2},
        "hybrid_gradients": {
            "resolution": "T21",
            "layers": 4,
            "steps": 4,
            "remats": (True,),
            "repeats": 2,
        },
        "precision": {"resolution": "T21", "layers": 4, "nsteps": 4},
    },
}

# Full float32 differs from float64 by round-off amplified by the flow: 2.6e-5 relative (in the
# divergence) after the full run's 10 TL63 L32 steps on a CPU. TF32 keeps 10 mantissa bits
# (2^-11 ≈ 5e-4 per product, 2^13 times float32's) and a bfloat16 pass 7: either lands far above.
REDUCED_PRECISION_THRESHOLD = 1e-3
# Platforms whose devices compute float64; elsewhere (TPU) the float64 reference runs on the CPU.
X64_PLATFORMS = ("cpu", "gpu", "cuda", "rocm")
PLUGINS = ("jax-cuda12-plugin", "jax-cuda12-pjrt", "jax-cuda13-plugin", "jax-cuda13-pjrt", "libtpu")


def progress(message: str) -> None:
    print(f"[accelerator] {message}", file=sys.stderr, flush=True)


def per_step(entry: dict[str, Any]) -> dict[str, float]:
    """ms per step (median and fastest call) and the compile time of one timed rollout entry.

    ``compile_s`` is the first call (trace + compile + one run) less one median call.
    """
    nsteps = entry["nsteps_per_run"]
    return {
        "ms_per_step": 1e3 * entry["median_run_s"] / nsteps,
        "ms_per_step_best_run": 1e3 * entry["min_run_s"] / nsteps,
        "compile_s": entry["compile_and_first_run_s"] - entry["median_run_s"],
        "compile_and_first_run_s": entry["compile_and_first_run_s"],
    }


def shallow_water_section(resolution: str, nsteps: int, repeats: int) -> dict[str, Any]:
    progress(f"shallow water {resolution}: compiling, then {repeats} calls of {nsteps} steps")
    entry = shallow_water.benchmark_resolution(
        resolution, repeats, np.float32, with_dinosaur=False, nsteps=nsteps
    )
    ngcm = entry["ngcm_lab"]
    return {
        "case": "Williamson TC2",
        "resolution": resolution,
        "grid_nlon_x_nlat": entry["grid_nlon_x_nlat"],
        "dt_s": entry["dt_s"],
        **per_step(ngcm),
        "details": ngcm,
    }


def held_suarez_dt(resolution: str) -> float:
    """The Held–Suarez benchmark's dt, or the package's stable dt where that is smaller."""
    from ngcm_lab.primitive_model import suggested_dt
    from ngcm_lab.spherical_harmonics import Grid

    return min(held_suarez.DT_SECONDS, suggested_dt(Grid.from_name(resolution)))


def held_suarez_section(
    cases: tuple[tuple[str, int], ...], nsteps: int, repeats: int
) -> dict[str, Any]:
    results = {}
    for resolution, layers in cases:
        dt = held_suarez_dt(resolution)
        progress(
            f"Held–Suarez {resolution} L{layers} (dt {dt:g} s): compiling, then {repeats} calls "
            f"of {nsteps} steps"
        )
        entry = held_suarez.benchmark_case(
            resolution, layers, nsteps, repeats, np.float32, with_dinosaur=False, dt=dt
        )
        ngcm = entry["ngcm_lab"]
        results[f"{resolution}_L{layers}"] = {
            "resolution": resolution,
            "layers": layers,
            "dt_s": dt,
            **per_step(ngcm),
            "finite": ngcm["check"]["finite"],
            "details": ngcm,
        }
    return results


def hybrid_gradients_section(
    resolution: str, layers: int, steps: int, remats: tuple[bool, ...], repeats: int
) -> dict[str, Any]:
    progress(
        f"hybrid gradients {resolution} L{layers}, {steps} steps: compiling forward and "
        f"gradient ({len(remats) * 2} programs), then {repeats} calls of each"
    )
    section = hybrid_gradients.run(resolution, layers, (steps,), repeats, remats)
    (row,) = section["results"]
    out = {key: section[key] for key in ("resolution", "layers", "dt_s", "physics_interval_s")}
    out["dycore_steps"] = row["dycore_steps"]
    for key in ("remat", "no_remat"):
        if key in row:
            r = row[key]
            out[key] = {
                "forward_ms": 1e3 * r["forward_s"],
                "gradient_ms": 1e3 * r["gradient_s"],
                "gradient_over_forward": r["gradient_over_forward"],
                "gradient_over_forward_best_run": r["gradient_over_forward_best_run"],
                "forward_compile_s": r["forward_compile_s"],
                "gradient_compile_s": r["gradient_compile_s"],
                "details": r,
            }
    return out


# ---------------------------------------------------------------------------------------------
# Precision
# ---------------------------------------------------------------------------------------------


def held_suarez_state(resolution: str, layers: int, nsteps: int, dt: float, dtype):
    """The Held–Suarez state after ``nsteps`` steps (one jitted call), as numpy, and the model."""
    from ngcm_lab.primitive_model import PrimitiveEquationsModel

    model = PrimitiveEquationsModel.from_case(
        "held_suarez", resolution, layers=layers, dt=dt, dtype=dtype
    )
    rollout = Rollout(model.step, model.initial_state, nsteps, dt)
    rollout.first_call()
    return jax.tree_util.tree_map(np.asarray, rollout.state), model


def float64_reference(resolution: str, layers: int, nsteps: int, dt: float):
    """The float64 run on the benchmarked device where it computes float64, else on the CPU."""
    device = jax.devices()[0]
    devices = [device] if device.platform in X64_PLATFORMS else []
    if device.platform != "cpu":
        devices.append(jax.devices("cpu")[0])
    errors = []
    for where in devices:
        try:
            with jax.enable_x64(True), jax.default_device(where):
                state, _ = held_suarez_state(resolution, layers, nsteps, dt, np.float64)
            return state, where, errors
        except Exception as error:  # e.g. no float64 on this device: try the CPU
            errors.append(f"{where}: {type(error).__name__}: {error}"[:300])
    raise RuntimeError("no device ran the float64 reference: " + "; ".join(errors))


def precision_section(resolution: str, layers: int, nsteps: int) -> dict[str, Any]:
    dt = held_suarez_dt(resolution)
    progress(f"precision: Held–Suarez {resolution} L{layers}, {nsteps} steps in float32")
    single, model = held_suarez_state(resolution, layers, nsteps, dt, np.float32)
    precisions = matmul_precisions(model.step, model.initial_state)
    progress("precision: the same run in float64")
    double, where, errors = float64_reference(resolution, layers, nsteps, dt)
    fields = {}
    for (path, reference), value in zip(
        jax.tree_util.tree_flatten_with_path(double)[0],
        jax.tree_util.tree_leaves(single),
        strict=True,
    ):
        scale = np.max(np.abs(reference))
        diff = np.max(np.abs(value.astype(reference.dtype) - reference))
        fields[jax.tree_util.keystr(path)] = float(diff / scale) if scale else float(diff)
    worst = max(fields.values())
    return {
        "case": "held_suarez",
        "resolution": resolution,
        "layers": layers,
        "dt_s": dt,
        "steps": nsteps,
        "float32_device": str(jax.devices()[0]),
        "float64_device": str(where),
        "float64_errors": errors,
        "state_dtypes": {
            name: str(jax.tree_util.tree_leaves(state)[0].dtype)
            for name, state in (("float32_run", single), ("float64_run", double))
        },
        "matmul_precisions_in_step": precisions,
        "max_relative_difference_by_field": fields,
        "max_relative_difference": worst,
        "threshold": REDUCED_PRECISION_THRESHOLD,
        "reduced_precision_suspected": bool(not np.isfinite(worst))
        or worst > REDUCED_PRECISION_THRESHOLD,
        "measure": "max |float32 - float64| / max |float64| per modal field after the steps",
    }


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def device_environment() -> dict[str, Any]:
    """The benchmarked device, the versions and every flag that decides matmul precision."""
    from ngcm_lab.constants import MATMUL_PRECISION

    device = jax.devices()[0]
    return {
        **environment(),
        "device": str(device),
        "device_kind": device.device_kind,
        "platform": device.platform,
        "device_count": jax.device_count(),
        "plugins": {name: v for name in PLUGINS if (v := _version(name))},
        "dtype": "float32",
        "precision_flags": {
            "ngcm_lab_matmul_precision": MATMUL_PRECISION,
            "jax_default_matmul_precision": jax.config.jax_default_matmul_precision,
            "jax_enable_x64": bool(jax.config.jax_enable_x64),
            "XLA_FLAGS": os.environ.get("XLA_FLAGS"),
            "NVIDIA_TF32_OVERRIDE": os.environ.get("NVIDIA_TF32_OVERRIDE"),
        },
    }


SECTIONS = {
    "shallow_water": shallow_water_section,
    "held_suarez": held_suarez_section,
    "hybrid_gradients": hybrid_gradients_section,
    "precision": precision_section,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: a test of the script")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help=f"where the report goes (default {DEFAULT_JSON}; none with --smoke)",
    )
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Runs every section on ``jax.devices()[0]``; returns (and writes) the report."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    mode = "smoke" if args.smoke else "full"
    start = time.perf_counter()
    env = device_environment()
    progress(f"{mode} run on {env['device_kind']} ({env['platform']}), jax {env['jax']}")
    report: dict[str, Any] = {
        "command": shlex.join([*COMMAND.split(), *argv]),
        "mode": mode,
        "environment": env,
        "sizes": SIZES[mode],
        "sections": {},
        "section_wall_s": {},
    }
    for name, section in SECTIONS.items():
        tic = time.perf_counter()
        report["sections"][name] = section(**SIZES[mode][name])
        report["section_wall_s"][name] = time.perf_counter() - tic
        progress(f"{name}: done in {report['section_wall_s'][name]:.0f} s")
    env["load_average_1_5_15_min_at_end"] = load_average()
    report["wall_s"] = time.perf_counter() - start

    path = args.json if args.json is not None or args.smoke else DEFAULT_JSON
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
        progress(f"wrote {path}")
    print(summary(report))
    return report


def summary(report: dict[str, Any]) -> str:
    """A few lines of the report's figures, for the terminal."""
    env, sections = report["environment"], report["sections"]
    sw = sections["shallow_water"]
    lines = [
        f"{report['command']} on {env['device_kind']} ({env['platform']}), jax {env['jax']}, "
        f"{report['wall_s']:.0f} s",
        f"shallow water {sw['resolution']}: {sw['ms_per_step']:.3g} ms/step, "
        f"compile {sw['compile_s']:.3g} s",
    ]
    for case, entry in sections["held_suarez"].items():
        lines.append(
            f"Held–Suarez {case} (dt {entry['dt_s']:g} s): {entry['ms_per_step']:.3g} ms/step, "
            f"compile {entry['compile_s']:.3g} s"
        )
    grad = sections["hybrid_gradients"]
    for key in ("remat", "no_remat"):
        if key in grad:
            r = grad[key]
            lines.append(
                f"hybrid gradient {grad['resolution']} L{grad['layers']} "
                f"{grad['dycore_steps']} steps ({key}): forward {r['forward_ms']:.3g} ms, "
                f"gradient {r['gradient_ms']:.3g} ms ({r['gradient_over_forward']:.2f}x), "
                f"compile {r['forward_compile_s']:.3g} / {r['gradient_compile_s']:.3g} s"
            )
    p = sections["precision"]
    lines.append(
        f"precision {p['resolution']} L{p['layers']}, {p['steps']} steps: max rel. diff "
        f"float32 vs float64 ({p['float64_device']}) {p['max_relative_difference']:.2e}; "
        f"reduced precision suspected: {p['reduced_precision_suspected']}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    run()
