"""Timing helpers shared by the benchmark scripts in this folder.

Every model is timed the same way: ``nsteps`` applications of its step function are fused into
one ``jax.lax.scan`` inside one ``jax.jit`` function (`Rollout`). The first call (tracing +
compilation + one run) is timed on its own; every later call continues from the previous call's
output and is timed with ``jax.block_until_ready``.

`time_stepper` times one model on its own. `time_interleaved` times several models in turn, one
call of each per round, so that background load on a shared machine hits all of them alike.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax

SECONDS_PER_DAY = 86400.0

Pytree = Any
StepFn = Callable[[Pytree], Pytree]


@dataclasses.dataclass(frozen=True)
class Timing:
    """Wall-clock figures of one model at one resolution."""

    nsteps: int
    repeats: int
    dt_seconds: float
    compile_and_first_run_s: float
    run_times_s: list[float]

    @property
    def median_s(self) -> float:
        return statistics.median(self.run_times_s)

    @property
    def steps_per_second(self) -> float:
        return self.nsteps / self.median_s

    @property
    def simulated_days_per_second(self) -> float:
        return self.steps_per_second * self.dt_seconds / SECONDS_PER_DAY

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps_per_second": self.steps_per_second,
            "simulated_days_per_wall_second": self.simulated_days_per_second,
            "compile_and_first_run_s": self.compile_and_first_run_s,
            "median_run_s": self.median_s,
            "min_run_s": min(self.run_times_s),
            "max_run_s": max(self.run_times_s),
            "nsteps_per_run": self.nsteps,
            "repeats": self.repeats,
        }


class Rollout:
    """``nsteps`` applications of ``step`` fused into one jitted ``lax.scan``, timed per call.

    Attributes:
      state: the state after the calls made so far (starts as the initial state).
      steps_taken: number of steps that led to ``state``.
      first_call_s: wall time of the first call (trace + compile + run), once made.
      run_times_s: wall times of the later calls.
    """

    def __init__(self, step: StepFn, initial_state: Pytree, nsteps: int, dt_seconds: float):
        self.nsteps = nsteps
        self.dt_seconds = dt_seconds
        self.state = initial_state
        self.steps_taken = 0
        self.first_call_s: float | None = None
        self.run_times_s: list[float] = []

        @jax.jit
        def run(state: Pytree) -> Pytree:
            final, _ = jax.lax.scan(lambda s, _: (step(s), None), state, xs=None, length=nsteps)
            return final

        self._run = run

    def _call(self) -> float:
        start = time.perf_counter()
        self.state = jax.block_until_ready(self._run(self.state))
        elapsed = time.perf_counter() - start
        self.steps_taken += self.nsteps
        return elapsed

    def first_call(self) -> float:
        """Traces, compiles and runs once; returns (and records) the wall time of all three."""
        self.first_call_s = self._call()
        return self.first_call_s

    def timed_call(self) -> float:
        """Runs once more from the current state; returns (and records) the wall time."""
        if self.first_call_s is None:
            self.first_call()
        elapsed = self._call()
        self.run_times_s.append(elapsed)
        return elapsed

    def timing(self) -> Timing:
        assert self.first_call_s is not None and self.run_times_s, "no timed calls yet"
        return Timing(
            self.nsteps,
            len(self.run_times_s),
            self.dt_seconds,
            self.first_call_s,
            list(self.run_times_s),
        )

    def compiled_stats(self) -> dict[str, Any]:
        """XLA's static memory and cost figures of the compiled rollout.

        Call after `first_call`: the lowering and executable then come from JAX's caches, so
        nothing is compiled again. Memory figures are XLA's buffer assignment (bytes), not a
        measured peak: ``temp`` is the scratch space of one call, ``argument``/``output`` the
        state passed in and out. Cost figures come from XLA's HLO cost analysis, which counts
        the body of the ``lax.scan`` loop once, so they are per step.
        """
        compiled = self._run.lower(self.state).compile()
        stats: dict[str, Any] = {}
        memory = compiled.memory_analysis()
        if memory is not None:
            for name in ("temp", "argument", "output", "alias", "generated_code"):
                value = getattr(memory, f"{name}_size_in_bytes", None)
                if value is not None:
                    stats[f"xla_{name}_bytes"] = int(value)
        cost = compiled.cost_analysis()
        if isinstance(cost, list | tuple):  # older JAX returns one dict per device
            cost = cost[0] if cost else None
        if cost:
            for key in ("flops", "transcendentals", "bytes accessed"):
                if key in cost:
                    stats[f"xla_{key.replace(' ', '_')}_per_step"] = float(cost[key])
        return stats


def time_stepper(
    step: StepFn, initial_state: Pytree, nsteps: int, repeats: int, dt_seconds: float
) -> tuple[Timing, Pytree, int]:
    """Times ``nsteps`` applications of ``step`` fused into one jitted ``lax.scan``.

    The first call (trace + compile + run) is timed on its own; then ``repeats`` further calls
    are timed, each continuing from the previous output so the returned state is the result of
    ``(repeats + 1) * nsteps`` steps (used for the steady-state check).

    Returns:
        The timing, the final state and the total number of steps taken to reach it.
    """
    rollout = Rollout(step, initial_state, nsteps, dt_seconds)
    rollout.first_call()
    for _ in range(repeats):
        rollout.timed_call()
    return rollout.timing(), rollout.state, rollout.steps_taken


def time_interleaved(rollouts: Sequence[Rollout], repeats: int) -> None:
    """Compiles every rollout (in order), then makes ``repeats`` rounds of one timed call each.

    Interleaving the calls spreads slow phases of a shared machine over all models instead of
    letting them fall on whichever model happened to run then.
    """
    for rollout in rollouts:
        if rollout.first_call_s is None:
            rollout.first_call()
    for _ in range(repeats):
        for rollout in rollouts:
            rollout.timed_call()
