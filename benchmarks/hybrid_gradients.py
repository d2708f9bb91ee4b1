"""Cost of differentiating hybrid rollouts: gradient time / forward time and scratch memory.

For rollouts of 24 and 96 dycore steps (physics interval 60 min = 2 dycore steps at T21's
1800 s, so 12 and 48 network evaluations), times the jitted forward loss and the jitted
value-and-gradient of the same loss, with and without `jax.checkpoint` per physics interval, and
reads XLA's memory analysis of each compiled program (temporary buffers = scratch memory;
arguments and outputs are the same for all). The four programs of one rollout length are timed
interleaved, one call of each per round.

Run it through ``python -m benchmarks --only hybrid_gradients`` (`run` is this section).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from ._timing import TimedCall, gradient_figures, time_interleaved
from .hybrid_step import PHYSICS_INTERVAL_S, build_hybrid

STEPS = (24, 96)  # dycore steps per rollout


def loss_function(model, intervals: int, remat: bool):
    """The benchmarked loss: mean square of the rollout's temperature coefficients."""

    def loss(params, state):
        _, trajectory = model.rollout(params, state, intervals, remat=remat)
        return jnp.mean(trajectory.dynamics.temperature_variation.real**2)

    return loss


def gradient_costs(
    model, params, state, steps: int, repeats: int, remats: tuple[bool, ...] = (True, False)
) -> dict[str, Any]:
    """Forward and gradient of one rollout length, with and without remat, timed interleaved."""
    intervals = steps // model.substeps
    calls: dict[str, tuple[TimedCall, TimedCall]] = {}
    for remat in remats:
        loss = loss_function(model, intervals, remat)
        calls["remat" if remat else "no_remat"] = (
            TimedCall(jax.jit(loss), params, state),
            TimedCall(jax.jit(jax.value_and_grad(loss)), params, state),
        )
    time_interleaved([call for pair in calls.values() for call in pair], repeats)
    row: dict[str, Any] = {"dycore_steps": steps, "physics_intervals": intervals}
    for key, (forward, gradient) in calls.items():
        row[key] = gradient_figures(forward, gradient)
    return row


def run(
    resolution: str = "T21",
    layers: int = 8,
    steps: tuple[int, ...] = STEPS,
    repeats: int = 3,
    remats: tuple[bool, ...] = (True, False),
) -> dict[str, Any]:
    """The hybrid-gradients section: every rollout length of `steps`."""
    model, params = build_hybrid(resolution, layers, PHYSICS_INTERVAL_S)
    state = model.initial_state()
    return {
        "benchmark": "forward loss and its value-and-gradient over hybrid rollouts",
        "resolution": resolution,
        "layers": layers,
        "dt_s": model.dycore.dt_s,
        "physics_interval_s": model.physics_interval_s,
        "network": {"width": model.network.width, "blocks": model.network.blocks},
        "precision": "float32",
        "repeats": repeats,
        "timing": "first call (trace + compile + run) = *_compile_s; then the forward and "
        "gradient programs of one rollout length interleaved; median (and min) over repeats",
        "memory": "scratch = XLA's temp buffer of the compiled program (memory_analysis)",
        "results": [gradient_costs(model, params, state, n, repeats, remats) for n in steps],
    }
