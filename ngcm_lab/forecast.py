"""Running a step function forward: output intervals, progress, and blow-up detection.

The inner loop is one compiled `lax.scan` per output interval. It carries, for every state variable,
the first step at which that variable stopped being finite, so a blown-up forecast is reported at
the exact step and variable without re-running anything.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

PyTree = Any

_NOT_YET = np.iinfo(np.int32).max


class ForecastBlowUpError(FloatingPointError):
    """A forecast produced a non-finite value; says where and how to avoid it."""

    def __init__(self, step: int, time_s: float, variable: str, dt_s: float):
        self.step, self.time_s, self.variable, self.dt_s = step, time_s, variable, dt_s
        super().__init__(
            f"forecast became non-finite at step {step} (simulated time {time_s / 86400.0:.3f} "
            f"days) in variable '{variable}'. The time step is probably too long for this flow: "
            f"try a smaller time step, e.g. dt = {_smaller_dt(dt_s):g} s (was {dt_s:g} s; "
            f"on the command line: --dt {_smaller_dt(dt_s):g})."
        )


def _smaller_dt(dt_s: float) -> float:
    return float(np.floor(dt_s / 2.0)) if dt_s >= 2 else dt_s / 2.0


def _leaf_names(state: PyTree) -> list[str]:
    paths = jax.tree_util.tree_flatten_with_path(state)[0]
    return [jax.tree_util.keystr(path).lstrip(".") or "state" for path, _ in paths]


def _scan_with_blowup_check(step: Callable[[PyTree], PyTree], n: int) -> Callable:
    """Jitted `(state, first_step) -> (state, first_bad_step_per_leaf)` over `n` steps."""

    def body(carry, index):
        state, first_bad = carry
        state = step(state)
        finite = jnp.stack([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(state)])
        first_bad = jnp.where(~finite & (first_bad == _NOT_YET), index, first_bad)
        return (state, first_bad), None

    @jax.jit
    def advance(state, first_step):
        n_leaves = len(jax.tree.leaves(state))
        first_bad = jnp.full((n_leaves,), _NOT_YET, dtype=jnp.int32)
        indices = first_step + 1 + jnp.arange(n, dtype=jnp.int32)
        (state, first_bad), _ = jax.lax.scan(body, (state, first_bad), indices)
        return state, first_bad

    return advance


@dataclasses.dataclass
class Integration:
    """Result of `integrate`: snapshots stacked along a leading time axis, and their times."""

    states: PyTree
    times_s: np.ndarray
    wall_time_s: float


def integrate(
    step: Callable[[PyTree], PyTree],
    state: PyTree,
    *,
    dt_s: float,
    n_steps: int,
    steps_per_output: int,
    progress: bool = True,
    description: str = "forecast",
    callbacks: Sequence[Callable[[PyTree, float], None]] = (),
) -> Integration:
    """Advance `state` by `n_steps` of `step`, keeping the initial state and every output.

    Raises `ForecastBlowUpError` naming the first non-finite step and variable. `callbacks` are
    called with `(state, time_s)` after each output interval (widgets update plots this way).
    """
    if n_steps < 0 or steps_per_output < 1:
        raise ValueError("n_steps must be ≥ 0 and steps_per_output ≥ 1")
    names = _leaf_names(state)
    advance = _scan_with_blowup_check(step, steps_per_output)
    remainder = n_steps % steps_per_output
    advance_rest = _scan_with_blowup_check(step, remainder) if remainder else None
    snapshots = [jax.device_get(state)]
    times = [0.0]
    done = 0
    start = time.perf_counter()
    bar = tqdm(
        total=n_steps * dt_s / 86400.0,
        unit="day",
        desc=description,
        disable=not progress,
        bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} days [{elapsed}<{remaining}{postfix}]",
    )
    with bar:
        while done < n_steps:
            chunk = min(steps_per_output, n_steps - done)
            fn = advance if chunk == steps_per_output else advance_rest
            state, first_bad = fn(state, jnp.int32(done))
            first_bad = np.asarray(first_bad)
            if np.any(first_bad != _NOT_YET):
                leaf = int(np.argmin(first_bad))
                bad_step = int(first_bad[leaf])
                raise ForecastBlowUpError(bad_step, bad_step * dt_s, names[leaf], dt_s)
            done += chunk
            snapshots.append(jax.device_get(state))
            times.append(done * dt_s)
            for callback in callbacks:
                callback(state, done * dt_s)
            elapsed = time.perf_counter() - start
            bar.update(chunk * dt_s / 86400.0)
            bar.set_postfix_str(f"{done * dt_s / 86400.0 / max(elapsed, 1e-9):.2f} sim-days/s")
    wall = time.perf_counter() - start
    stacked = jax.tree.map(lambda *xs: np.stack(xs), *snapshots)
    return Integration(states=stacked, times_s=np.asarray(times), wall_time_s=wall)
