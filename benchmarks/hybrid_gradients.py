"""Cost of differentiating hybrid rollouts: gradient time / forward time and scratch memory.

    python benchmarks/hybrid_gradients.py [--resolution T21] [--layers 8] [--steps 24 96]

For rollouts of 24 and 96 dycore steps (physics interval = 2 dycore steps at T21's 1800 s, so
12 and 48 network evaluations), times the jitted forward loss and the jitted value-and-gradient
of the same loss with and without `jax.checkpoint` per physics interval, and reads XLA's memory
analysis of each compiled program (temporary buffers = scratch memory; arguments and outputs are
the same for all). Writes `benchmarks/results/hybrid_gradients.json`.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import platform
import statistics
import time

import jax
import jax.numpy as jnp

from ngcm_lab.column_network import ColumnNetworkConfig
from ngcm_lab.hybrid_model import HybridModel
from ngcm_lab.primitive_model import PrimitiveEquationsModel

RESULTS = pathlib.Path(__file__).parent / "results" / "hybrid_gradients.json"


def _time(fn, *args, repeats: int = 3) -> tuple[float, float]:
    tic = time.perf_counter()
    jax.block_until_ready(fn(*args))
    first = time.perf_counter() - tic
    runs = []
    for _ in range(repeats):
        tic = time.perf_counter()
        jax.block_until_ready(fn(*args))
        runs.append(time.perf_counter() - tic)
    return first, statistics.median(runs)


def _scratch_bytes(fn, *args) -> int | None:
    analysis = fn.lower(*args).compile().memory_analysis()
    return None if analysis is None else int(analysis.temp_size_in_bytes)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="T21")
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--steps", type=int, nargs="+", default=[24, 96])
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)

    dycore = PrimitiveEquationsModel.from_case(
        "moist_held_suarez", args.resolution, layers=args.layers
    )
    interval = 2 * dycore.dt_s
    model = HybridModel.create(dycore, ColumnNetworkConfig(), physics_interval_s=interval)
    params = model.init_params(jax.random.key(0))
    state = model.initial_state()
    results = []
    for steps in args.steps:
        intervals = steps // model.substeps
        row = {"dycore_steps": steps, "physics_intervals": intervals}
        for remat in (True, False):

            def loss(p, s, remat=remat, intervals=intervals):
                _, trajectory = model.rollout(p, s, intervals, remat=remat)
                return jnp.mean(trajectory.dynamics.temperature_variation.real ** 2)

            forward = jax.jit(loss)
            gradient = jax.jit(jax.value_and_grad(loss))
            compile_f, run_f = _time(forward, params, state)
            compile_g, run_g = _time(gradient, params, state)
            key = "remat" if remat else "no_remat"
            row[key] = {
                "forward_s": run_f,
                "gradient_s": run_g,
                "gradient_over_forward": run_g / run_f,
                "forward_compile_s": compile_f,
                "gradient_compile_s": compile_g,
                "forward_scratch_bytes": _scratch_bytes(forward, params, state),
                "gradient_scratch_bytes": _scratch_bytes(gradient, params, state),
            }
            print(steps, key, json.dumps(row[key]), flush=True)
        results.append(row)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "resolution": args.resolution,
                "layers": args.layers,
                "dt_s": dycore.dt_s,
                "physics_interval_s": interval,
                "network": {"width": model.network.width, "blocks": model.network.blocks},
                "dtype": "float32",
                "backend": jax.default_backend(),
                "machine": platform.processor() or platform.machine(),
                "results": results,
            },
            indent=2,
        )
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
