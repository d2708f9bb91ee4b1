"""Running a step function forward: output intervals, progress, and the one blow-up check.

`Stepper.advance(state, n)` is the only way the package advances a forecast by many steps, so the
command line, the widgets and trained hybrids share one blow-up check. The inner loop is one
compiled `lax.scan` per length; it carries, for every state variable, the first step at which
that variable stopped being finite, and the model's SI extremes (`BlowUpCheck.extremes`: wind
speed, temperature, surface pressure or depth) are checked against `PHYSICAL_BOUNDS` after each
advance. A forecast can blow up while staying finite (u of 5e7 m s⁻¹, T of 2e7 K), so both count.
Only when something is wrong is the interval re-run step by step to find the first bad step, so a
healthy forecast pays for one extra evaluation of the extremes per output.

`ForecastBlowUpError` states the facts (step, simulated time, variable, value, bound) and the
cause: the advective Courant number N|V|Δt/a of the last good state and the model's stable time
step say whether a smaller time step would help; otherwise the flow itself left physical bounds
(at the start of a run from data: the data are likely wrong). Front ends word the advice for
their users with `ForecastBlowUpError.advice`.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from ngcm_lab import sharding
from ngcm_lab.errors import RunError

PyTree = Any

_NOT_YET = np.iinfo(np.int32).max

# Above this advective Courant number the explicit advection of SIL3 is unstable in practice;
# models suggest time steps with Courant number 0.6 at their design wind.
UNSTABLE_COURANT = 1.0
SUGGESTED_COURANT = 0.6


@dataclasses.dataclass(frozen=True)
class Bound:
    """An open interval (lower, upper) that a decoded SI extreme must stay in; None: unbounded."""

    name: str
    units: str
    lower: float | None = None
    upper: float | None = None

    def violated_by(self, minimum: float, maximum: float) -> float | None:
        """The offending value (min or max), or None when both lie strictly inside."""
        if not (math.isfinite(minimum) and math.isfinite(maximum)):
            return minimum if not math.isfinite(minimum) else maximum
        if self.lower is not None and minimum <= self.lower:
            return minimum
        if self.upper is not None and maximum >= self.upper:
            return maximum
        return None

    def describe(self) -> str:
        if self.lower is None:
            return f"below {self.upper:g} {self.units}"
        if self.upper is None:
            return f"above {self.lower:g} {self.units}"
        return f"between {self.lower:g} and {self.upper:g} {self.units}"


# Physically absurd on any Earth-like planet, whatever the case: the fastest jets reach ~150 m s⁻¹
# and sound travels at ~340 m s⁻¹; the atmosphere's temperatures lie within 150–350 K; surface
# pressure within 330–1085 hPa; a fluid depth must stay positive.
PHYSICAL_BOUNDS = {
    bound.name: bound
    for bound in (
        Bound("wind_speed", "m s-1", upper=300.0),
        Bound("temperature", "K", lower=100.0, upper=400.0),
        Bound("surface_pressure", "Pa", lower=1.0e4, upper=1.5e5),
        Bound("depth", "m", lower=0.0),
    )
}


@dataclasses.dataclass(frozen=True)
class BlowUpCheck:
    """What a model tells the stepper to judge its states by.

    Attributes:
      extremes: traceable `state -> {name: array([min, max])}` of decoded SI fields, names from
        `PHYSICAL_BOUNDS` (`wind_speed` is the largest |V|).
      courant_per_wind: the advective Courant number of a 1 m s⁻¹ wind, N Δt / a.
      stable_dt_s: the model's suggested (default) time step in seconds.
    """

    extremes: Callable[[PyTree], dict[str, jax.Array]]
    courant_per_wind: float
    stable_dt_s: float


class ForecastBlowUpError(RunError, FloatingPointError):
    """A forecast left physical bounds or became non-finite; says where, why, and what to do."""

    def __init__(
        self,
        step: int,
        time_s: float,
        variable: str,
        dt_s: float,
        *,
        value: float = float("nan"),
        bound: Bound | None = None,
        courant: float | None = None,
        stable_dt_s: float | None = None,
    ):
        self.step, self.time_s, self.variable, self.dt_s = step, time_s, variable, dt_s
        self.value, self.bound, self.courant, self.stable_dt_s = value, bound, courant, stable_dt_s
        super().__init__(f"{self.facts()} {self.advice()}")

    def facts(self) -> str:
        where = f"at step {self.step} (simulated time {self.time_s / 86400.0:.3f} days)"
        if self.bound is None or not math.isfinite(self.value):
            return f"forecast became non-finite {where} in variable '{self.variable}'."
        return (
            f"forecast left physical bounds {where}: {self.variable} reached {self.value:.4g} "
            f"{self.bound.units} (must stay {self.bound.describe()})."
        )

    @property
    def time_step_is_the_cause(self) -> bool:
        """True when the Courant number or a step longer than the model's stable one explains
        the blow-up (also when nothing is known about either)."""
        if self.courant is None and self.stable_dt_s is None:
            return True
        too_long = self.stable_dt_s is not None and self.dt_s > self.stable_dt_s * (1 + 1e-9)
        return too_long or (self.courant is not None and self.courant >= UNSTABLE_COURANT)

    def suggested_dt_s(self) -> float:
        """A time step that would have kept the Courant number at 0.6 (and ≤ the stable one)."""
        candidates = [self.dt_s / 2.0]
        if self.stable_dt_s is not None:
            candidates.append(self.stable_dt_s)
        if self.courant:
            candidates.append(self.dt_s * SUGGESTED_COURANT / self.courant)
        return hour_divisor_at_most(min(candidates))

    def advice(self, dt_option: str | None = None, from_data: bool = False) -> str:
        """What to do, in the caller's words: `dt_option` names the setting (e.g. "--dt"; by
        default "dt = … s"); `from_data` says the run started from data, which an early
        blow-up then suspects."""
        courant = "" if self.courant is None else f"Courant number {self.courant:.2f}; "
        if self.time_step_is_the_cause:
            dt = self.suggested_dt_s()
            setting = f"dt = {dt:g} s" if dt_option is None else f"{dt_option} {dt:g}"
            return (
                f"The time step is too long for this flow ({courant}dt = {self.dt_s:g} s): try "
                f"{setting}."
            )
        early = self.time_s <= 6 * 3600.0
        if from_data and early:
            return (
                f"The time step is not the cause ({courant}dt = {self.dt_s:g} s is stable): the "
                "initial data may be wrong — check their units and values."
            )
        return (
            f"The time step is not the cause ({courant}dt = {self.dt_s:g} s is stable): the "
            "flow itself left physical bounds; check the initial state and the physics."
        )


def whole_steps(duration_s: float, step_s: float, what: str) -> int:
    """The whole number of `step_s` steps in `duration_s`, or a ValueError that names `what`
    (e.g. "10 days") and the step — the one check every front end's durations go through."""
    n = duration_s / step_s
    if abs(n - round(n)) > 1e-6:
        raise ValueError(f"{what} is not a whole number of {step_s:g} s steps")
    return int(round(n))


def hour_divisor_at_most(limit_s: float) -> float:
    """The largest divisor of one hour that is ≤ `limit_s` (so outputs fall on whole hours), or
    `limit_s` itself below one second."""
    divisors = [d for d in range(1, 3601) if 3600 % d == 0 and d <= limit_s]
    return float(divisors[-1]) if divisors else float(limit_s)


def _leaf_names(state: PyTree) -> list[str]:
    paths = jax.tree_util.tree_flatten_with_path(state)[0]
    return [jax.tree_util.keystr(path).lstrip(".") or "state" for path, _ in paths]


def _finite_per_leaf(state: PyTree) -> jax.Array:
    return jnp.stack([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(state)])


class Stepper:
    """Advances states of one model by whole numbers of steps, with the one blow-up check.

    Compiled functions are kept per length, so stepping a widget by one output interval after
    another compiles once. `check` (from the model) adds physical bounds to the non-finite test.
    """

    def __init__(
        self,
        step: Callable[[PyTree], PyTree],
        dt_s: float,
        check: BlowUpCheck | None = None,
        bounds: dict[str, Bound] | None = None,
    ):
        self.step, self.dt_s, self.check = step, float(dt_s), check
        self.bounds = PHYSICAL_BOUNDS if bounds is None else bounds
        self._advance: dict[int, Callable] = {}
        self._trace: dict[int, Callable] = {}
        self._extremes = None if check is None else jax.jit(check.extremes)

    def _compiled(self, n: int) -> Callable:
        """Jitted `(state, first_step) -> (state, first non-finite step per leaf, extremes)`."""
        if n not in self._advance:

            def body(carry, index):
                state, first_bad = carry
                state = self.step(state)
                bad = ~_finite_per_leaf(state) & (first_bad == _NOT_YET)
                return (state, jnp.where(bad, index, first_bad)), None

            def advance(state, first_step):
                first_bad = jnp.full((len(jax.tree.leaves(state)),), _NOT_YET, jnp.int32)
                indices = first_step + 1 + jnp.arange(n, dtype=jnp.int32)
                (state, first_bad), _ = jax.lax.scan(body, (state, first_bad), indices)
                extremes = {} if self.check is None else self.check.extremes(state)
                return state, first_bad, extremes

            self._advance[n] = jax.jit(advance)
        return self._advance[n]

    def _traced(self, n: int) -> Callable:
        """Jitted `state -> (finite flags, extremes)` after each of `n` steps (only on failure)."""
        if n not in self._trace:

            def body(state, _):
                state = self.step(state)
                extremes = {} if self.check is None else self.check.extremes(state)
                return state, (_finite_per_leaf(state), extremes)

            self._trace[n] = jax.jit(lambda state: jax.lax.scan(body, state, None, length=n)[1])
        return self._trace[n]

    def _violation(self, extremes: dict[str, np.ndarray]) -> tuple[str, float] | None:
        for name, (low, high) in extremes.items():
            value = self.bounds[name].violated_by(float(low), float(high))
            if value is not None:
                return name, value
        return None

    def advance(self, state: PyTree, n: int, first_step: int = 0) -> PyTree:
        """`state` after `n` steps; `first_step` (the steps already taken) numbers the steps in a
        `ForecastBlowUpError`, which is raised at the first step that is non-finite or out of
        bounds."""
        if n < 1:
            return state
        new, first_bad, extremes = self._compiled(n)(state, jnp.int32(first_step))
        first_bad = np.asarray(first_bad)
        extremes = {k: np.asarray(v) for k, v in extremes.items()}
        if np.all(first_bad == _NOT_YET) and self._violation(extremes) is None:
            return new
        raise self._locate(state, n, first_step)

    def _locate(self, state: PyTree, n: int, first_step: int) -> ForecastBlowUpError:
        """Re-run the interval step by step and describe its first bad step."""
        finite, extremes = jax.device_get(self._traced(n)(state))
        names = _leaf_names(state)
        last_good = None if self._extremes is None else jax.device_get(self._extremes(state))
        for i in range(n):
            step = first_step + i + 1
            now = {k: v[i] for k, v in extremes.items()}
            courant = None
            if last_good is not None and self.check is not None:
                courant = float(last_good["wind_speed"][1]) * self.check.courant_per_wind
            context = dict(
                courant=courant if courant is None or math.isfinite(courant) else None,
                stable_dt_s=None if self.check is None else self.check.stable_dt_s,
            )
            violation = self._violation(now)
            if violation is not None:
                name, value = violation
                bound = self.bounds[name]
                return ForecastBlowUpError(
                    step, step * self.dt_s, name, self.dt_s, value=value, bound=bound, **context
                )
            if not np.all(finite[i]):
                leaf = names[int(np.argmin(finite[i]))]
                return ForecastBlowUpError(step, step * self.dt_s, leaf, self.dt_s, **context)
            last_good = now
        # Not reproduced step by step (cannot happen for a deterministic step): report the end.
        step = first_step + n
        return ForecastBlowUpError(step, step * self.dt_s, "state", self.dt_s)


class ForecastRun:
    """A forecast that can be continued: a stepper, its current state and the steps taken.

    `advance(n)` moves on by `n` steps through the one blow-up check (on a blow-up the state
    stays the last good one and `ForecastBlowUpError` says where); `run` advances by output
    intervals, calls its callbacks after each and stops early when its stop event is set.
    `integrate`, the command line and the stepping widgets all go through it. The first
    advance of each length compiles; later ones time the step (`seconds_per_step`). A lock
    lets a widget redraw from another thread while a run goes on.
    """

    def __init__(self, stepper: Stepper, state: PyTree, steps_done: int = 0):
        self.stepper, self.state, self.steps_done = stepper, state, int(steps_done)
        self.seconds_per_step: float | None = None
        self.lock = threading.RLock()
        self._timed_lengths: set[int] = set()

    @property
    def dt_s(self) -> float:
        return self.stepper.dt_s

    @property
    def time_s(self) -> float:
        """Simulated seconds since the initial state."""
        return self.steps_done * self.stepper.dt_s

    def advance(self, n: int) -> PyTree:
        """The state after `n` more steps (also kept as `self.state`)."""
        with self.lock:
            tic = time.perf_counter()
            self.state = self.stepper.advance(self.state, n, first_step=self.steps_done)
            elapsed = time.perf_counter() - tic
            self.steps_done += n
        if n in self._timed_lengths:
            self.seconds_per_step = elapsed / n
        self._timed_lengths.add(n)
        return self.state

    def run(
        self,
        n_steps: int,
        steps_per_output: int,
        callbacks: Sequence[Callable[[PyTree, float], None]] = (),
        stop: threading.Event | None = None,
    ) -> int:
        """Advance `n_steps` in chunks of `steps_per_output`, calling `callback(state, time_s)`
        after each chunk, until done or `stop` is set (checked between chunks); the number of
        steps taken."""
        if n_steps < 0 or steps_per_output < 1:
            raise ValueError("n_steps must be ≥ 0 and steps_per_output ≥ 1")
        done = 0
        while done < n_steps and not (stop is not None and stop.is_set()):
            chunk = min(steps_per_output, n_steps - done)
            state = self.advance(chunk)
            done += chunk
            for callback in callbacks:
                callback(state, self.time_s)
        return done


@dataclasses.dataclass
class Integration:
    """Result of `integrate`: snapshots stacked along a leading time axis, and their times."""

    states: PyTree
    times_s: np.ndarray
    wall_time_s: float


def integrate(
    stepper: Stepper,
    state: PyTree,
    *,
    n_steps: int,
    steps_per_output: int,
    progress: bool = True,
    description: str = "forecast",
    callbacks: Sequence[Callable[[PyTree, float], None]] = (),
    devices: int = 1,
) -> Integration:
    """Advance `state` by `n_steps` with `stepper`, keeping the initial state and every output.

    Raises `ForecastBlowUpError` at the first step that is non-finite or out of physical bounds.
    `callbacks` are called with `(state, time_s)` after each output interval (widgets update
    plots this way). `devices` > 1 splits the state's leading (level) axis over that many
    devices (`sharding.py`); the compiled step is the same program, partitioned by XLA.
    """
    if devices > 1:
        state = sharding.split_leading_axis(state, devices, what="levels")
    forecast = ForecastRun(stepper, state)
    snapshots, times = [jax.device_get(state)], [0.0]
    start = time.perf_counter()
    bar = tqdm(
        total=n_steps * stepper.dt_s / 86400.0,
        unit="day",
        desc=description,
        disable=not progress,
        bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} days [{elapsed}<{remaining}{postfix}]",
    )

    def keep(state: PyTree, time_s: float) -> None:
        snapshots.append(jax.device_get(state))
        times.append(time_s)
        bar.update(time_s / 86400.0 - bar.n)
        elapsed = time.perf_counter() - start
        bar.set_postfix_str(f"{time_s / 86400.0 / max(elapsed, 1e-9):.2f} sim-days/s")

    with bar:
        if progress and n_steps:
            bar.set_postfix_str("compiling…")
        forecast.run(n_steps, steps_per_output, callbacks=[keep, *callbacks])
    wall = time.perf_counter() - start
    stacked = jax.tree.map(lambda *xs: np.stack(xs), *snapshots)
    return Integration(states=stacked, times_s=np.asarray(times), wall_time_s=wall)
