"""Cost of the hybrid step against the plain dycore step of the same model, side by side.

The hybrid model is ngcm_lab's `HybridModel`: the moist Held–Suarez dycore with an (untrained)
column network evaluated once per physics interval (60 min) and its tendency held over the dycore
substeps of the interval. Its step is one interval, timed in a jitted ``lax.scan`` of
``intervals`` intervals; the plain dycore (the hybrid's own ``dycore``, without the network) is
timed over the same number of dycore steps, interleaved with it. Both are reported in dycore
steps per second, and ``hybrid_cost_over_dycore`` is the dycore's steps per second over the
hybrid's (> 1: the hybrid step costs more).

Run it through ``python -m benchmarks --only hybrid_step`` (`run` is this section).
"""

from __future__ import annotations

from typing import Any

import jax

from ._timing import SECONDS_PER_DAY, Built, Rollout, all_finite, ratio, side_by_side

CASES = (("T21", 8), ("TL63", 32))  # (resolution, layers); dt = suggested_dt: 1800 s, 720 s
DYCORE_CASE = "moist_held_suarez"
PHYSICS_INTERVAL_S = 3600.0  # the network runs every 60 min
INTERVALS = 6  # physics intervals per timed call of the hybrid


def build_hybrid(resolution: str, layers: int, physics_interval_s: float = PHYSICS_INTERVAL_S):
    """The benchmarked hybrid model (default network, seed 0) and its parameters."""
    from ngcm_lab.column_network import ColumnNetworkConfig
    from ngcm_lab.hybrid_model import HybridModel
    from ngcm_lab.primitive_model import PrimitiveEquationsModel

    dycore = PrimitiveEquationsModel.from_case(DYCORE_CASE, resolution, layers=layers)
    model = HybridModel.create(dycore, ColumnNetworkConfig(), physics_interval_s=physics_interval_s)
    return model, model.init_params(jax.random.key(0))


def _report(rollout: Rollout, substeps: int) -> dict[str, Any]:
    timing = rollout.timing()
    return {
        "dycore_steps_per_second": timing.steps_per_second * substeps,
        "dycore_steps_per_run": rollout.nsteps * substeps,
        "check": {
            "after_days": rollout.steps_taken * rollout.dt_seconds / SECONDS_PER_DAY,
            "finite": all_finite(rollout.state),
        },
    }


def benchmark_case(resolution: str, layers: int, intervals: int, repeats: int) -> dict[str, Any]:
    """The hybrid and its plain dycore at one resolution, timed interleaved."""
    model, params = build_hybrid(resolution, layers)
    dycore, substeps = model.dycore, model.substeps

    def hybrid() -> Built:
        # The parameters travel in the carried state, as in training, not as jit constants.
        def step(carry):
            return carry[0], model.step(*carry)

        carry = (params, model.initial_state())
        rollout = Rollout(step, carry, intervals, model.physics_interval_s)
        return rollout, lambda r: _report(r, substeps)

    def plain() -> Built:
        rollout = Rollout(dycore.step, dycore.initial_state, intervals * substeps, dycore.dt_s)
        return rollout, lambda r: _report(r, 1)

    entry: dict[str, Any] = {
        "resolution": resolution,
        "layers": layers,
        "dycore": DYCORE_CASE,
        "dt_s": dycore.dt_s,
        "physics_interval_s": model.physics_interval_s,
        "substeps_per_interval": substeps,
        "network": {"width": model.network.width, "blocks": model.network.blocks},
        **side_by_side({"hybrid": hybrid, "dycore": plain}, repeats),
    }
    hybrid_entry, dycore_entry = entry["hybrid"], entry["dycore"]
    entry["hybrid_cost_over_dycore"] = {
        "steps_per_second": ratio(
            dycore_entry.get("dycore_steps_per_second"),
            hybrid_entry.get("dycore_steps_per_second"),
        ),
        # From each one's fastest call (both calls cover the same dycore steps).
        "steps_per_second_best_run": ratio(
            hybrid_entry.get("min_run_s"), dycore_entry.get("min_run_s")
        ),
    }
    return entry


def run(
    cases: tuple[tuple[str, int], ...] = CASES, intervals: int = INTERVALS, repeats: int = 5
) -> dict[str, Any]:
    """The hybrid-step section: every (resolution, layers) case, hybrid next to its dycore."""
    return {
        "benchmark": "HybridModel step (network every physics interval) against the plain "
        f"{DYCORE_CASE} dycore step of the same model",
        "precision": "float32",
        "repeats": repeats,
        "intervals_per_run": intervals,
        "timing": "jitted lax.scan per call (hybrid: intervals physics intervals; dycore: the "
        "same number of dycore steps); first call timed alone, then the two interleaved; median "
        "over repeats; hybrid_cost_over_dycore = dycore steps/s over hybrid dycore steps/s",
        "results": {
            f"{resolution}_L{layers}": benchmark_case(resolution, layers, intervals, repeats)
            for resolution, layers in cases
        },
    }
