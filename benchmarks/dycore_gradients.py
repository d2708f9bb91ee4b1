"""What a rollout's gradient costs in a dycore alone, for ngcm_lab and for Dinosaur.

The reference for `hybrid_gradients`: both engines' Held–Suarez models (as the held_suarez
section builds them) at one resolution and time step, a loss of the state after ``steps``
steps (the mean square of its temperature coefficients), and its gradient with respect to
the initial state, with a `jax.checkpoint` per step and without. The four programs of each
engine (forward and gradient, with and without the checkpoint) are timed interleaved, one call
of each per round, in this one process, so gradient over forward can be compared between the
engines.

Run it through ``python -m benchmarks --only dycore_gradients`` (`run` is this section).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._timing import (
    TimedCall,
    build_all,
    engine_builders,
    gradient_figures,
    time_interleaved,
)
from .held_suarez import build_dinosaur, build_ngcm_lab


def loss_function(step, steps: int, remat: bool):
    """The benchmarked loss: mean square of the temperature coefficients after `steps` steps."""
    body = jax.checkpoint(step) if remat else step

    def loss(state):
        final, _ = jax.lax.scan(lambda s, _: (body(s), None), state, xs=None, length=steps)
        return jnp.mean(jnp.abs(final.temperature_variation) ** 2)

    return loss


def engine_calls(step, state, steps: int, remats: tuple[bool, ...]) -> dict[str, tuple]:
    """(forward, gradient) timed calls of one engine, per remat setting."""
    calls = {}
    for remat in remats:
        loss = loss_function(step, steps, remat)
        calls["remat" if remat else "no_remat"] = (
            TimedCall(jax.jit(loss), state),
            TimedCall(jax.jit(jax.grad(loss)), state),
        )
    return calls


def run(
    resolution: str = "T21",
    layers: int = 8,
    dt: float = 1800.0,
    steps: int = 24,
    repeats: int = 3,
    remats: tuple[bool, ...] = (True, False),
    with_dinosaur: bool = True,
    dinosaur_impls: tuple[str, ...] = ("real",),
) -> dict[str, Any]:
    """The dycore-gradients section: each engine's forward and gradient, timed interleaved."""
    builders = engine_builders(
        lambda: build_ngcm_lab(resolution, layers, dt, 1, np.float32),
        lambda impl: build_dinosaur(resolution, layers, dt, 1, impl),
        dinosaur_impls,
        with_dinosaur,
    )
    built, results = build_all(builders)
    calls = {
        name: engine_calls(rollout.step, rollout.initial_state, steps, remats)
        for name, (rollout, _) in built.items()
    }
    time_interleaved(
        [c for engine in calls.values() for pair in engine.values() for c in pair], repeats
    )
    for name, engine in calls.items():
        results[name] = {key: gradient_figures(*pair) for key, pair in engine.items()}
    return {
        "benchmark": "forward loss and its gradient over Held-Suarez dycore rollouts, both engines",
        "resolution": resolution,
        "layers": layers,
        "dt_s": dt,
        "steps": steps,
        "precision": "float32",
        "repeats": repeats,
        "timing": "first call (trace + compile + run) = *_compile_s; then every engine's "
        "forward and gradient programs interleaved; median (and min) over repeats",
        "memory": "scratch = XLA's temp buffer of the compiled program (memory_analysis)",
        "results": {name: results[name] for name in builders},
    }
