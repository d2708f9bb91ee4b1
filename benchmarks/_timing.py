"""Timing helpers shared by the benchmarks in this folder.

Every model is timed the same way: ``nsteps`` applications of its step function are fused into
one ``jax.lax.scan`` inside one ``jax.jit`` function (`Rollout`). The first call (tracing +
compilation + one run) is timed on its own; every later call continues from the previous call's
output and is timed with ``jax.block_until_ready``. A jitted function of fixed arguments (a loss
and its gradient) is timed the same way by `TimedCall`, with the same arguments every call.

`time_interleaved` times several of them in turn, one call of each per round, so that background
load on a shared machine hits all of them alike. `environment` records the machine, the versions
and the load average next to the figures.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

SECONDS_PER_DAY = 86400.0

Pytree = Any
StepFn = Callable[[Pytree], Pytree]


@dataclasses.dataclass(frozen=True)
class Timing:
    """Wall-clock figures of one timed function (``nsteps`` model steps per call)."""

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
            "run_times_s": list(self.run_times_s),
            "nsteps_per_run": self.nsteps,
            "repeats": self.repeats,
        }


class _Timed:
    """A jitted call timed once with its compilation (`first_call`) and then per call."""

    nsteps = 1
    dt_seconds = 0.0

    def __init__(self):
        self.first_call_s: float | None = None
        self.run_times_s: list[float] = []

    def _run_once(self) -> None:
        raise NotImplementedError

    def _call(self) -> float:
        start = time.perf_counter()
        self._run_once()
        return time.perf_counter() - start

    def first_call(self) -> float:
        """Traces, compiles and runs once; returns (and records) the wall time of all three."""
        self.first_call_s = self._call()
        return self.first_call_s

    def timed_call(self) -> float:
        """Runs once more; returns (and records) the wall time."""
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


class Rollout(_Timed):
    """``nsteps`` applications of ``step`` fused into one jitted ``lax.scan``, timed per call.

    Attributes:
      step: the model's step function.
      initial_state: the state the first call starts from.
      state: the state after the calls made so far (starts as the initial state).
      steps_taken: number of steps that led to ``state``.
      first_call_s: wall time of the first call (trace + compile + run), once made.
      run_times_s: wall times of the later calls.
    """

    def __init__(self, step: StepFn, initial_state: Pytree, nsteps: int, dt_seconds: float):
        super().__init__()
        self.step = step
        self.nsteps = nsteps
        self.dt_seconds = dt_seconds
        self.initial_state = self.state = initial_state
        self.steps_taken = 0

        @jax.jit
        def run(state: Pytree) -> Pytree:
            final, _ = jax.lax.scan(lambda s, _: (step(s), None), state, xs=None, length=nsteps)
            return final

        self._run = run

    def _run_once(self) -> None:
        self.state = jax.block_until_ready(self._run(self.state))
        self.steps_taken += self.nsteps

    def compiled_stats(self) -> dict[str, Any]:
        """XLA's memory figures and per-step cost figures of the compiled rollout.

        Cost figures come from XLA's HLO cost analysis, which counts the body of the
        ``lax.scan`` loop once, so they are per step. See `compiled_stats`.
        """
        stats = compiled_stats(self._run, self.state)
        return {
            (f"{key}_per_step" if key in _COST_KEYS.values() else key): value
            for key, value in stats.items()
        }


class TimedCall(_Timed):
    """``fn(*args)`` (a jitted function) timed per call, with the same arguments every call."""

    def __init__(self, fn: Callable, *args: Any):
        super().__init__()
        self.fn = fn
        self.args = args

    def _run_once(self) -> None:
        jax.block_until_ready(self.fn(*self.args))

    def compiled_stats(self) -> dict[str, Any]:
        return compiled_stats(self.fn, *self.args)


def gradient_figures(forward: TimedCall, gradient: TimedCall) -> dict[str, Any]:
    """A loss's forward call beside its gradient's, both timed: medians and fastest calls, their
    ratio, first calls (trace + compile + run) and XLA's scratch buffer of each program."""
    f, g = forward.timing(), gradient.timing()
    return {
        "forward_s": f.median_s,
        "gradient_s": g.median_s,
        "gradient_over_forward": ratio(g.median_s, f.median_s),
        "forward_min_s": min(f.run_times_s),
        "gradient_min_s": min(g.run_times_s),
        "gradient_over_forward_best_run": ratio(min(g.run_times_s), min(f.run_times_s)),
        "forward_compile_s": f.compile_and_first_run_s,
        "gradient_compile_s": g.compile_and_first_run_s,
        "forward_scratch_bytes": forward.compiled_stats().get("xla_temp_bytes"),
        "gradient_scratch_bytes": gradient.compiled_stats().get("xla_temp_bytes"),
        "forward_run_times_s": f.run_times_s,
        "gradient_run_times_s": g.run_times_s,
    }


_COST_KEYS = {
    "flops": "xla_flops",
    "transcendentals": "xla_transcendentals",
    "bytes accessed": "xla_bytes_accessed",
}


def compiled_stats(jitted: Any, *args: Any) -> dict[str, Any]:
    """XLA's static memory and cost figures of ``jitted`` compiled for ``args``.

    Call after the first call: the trace then comes from JAX's cache. Memory figures are XLA's
    buffer assignment (bytes), not a measured peak: ``temp`` is the scratch space of one call,
    ``argument``/``output`` what is passed in and out. Cost figures come from XLA's HLO cost
    analysis; they estimate work, not time.
    """
    compiled = jitted.lower(*args).compile()
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
        for key, name in _COST_KEYS.items():
            if key in cost:
                stats[name] = float(cost[key])
    return stats


def time_interleaved(timed: Sequence[_Timed], repeats: int) -> None:
    """Compiles every rollout or call (in order), then makes ``repeats`` rounds of one timed call
    of each.

    Interleaving the calls spreads slow phases of a shared machine over all models instead of
    letting them fall on whichever model happened to run then.
    """
    for item in timed:
        if item.first_call_s is None:
            item.first_call()
    for _ in range(repeats):
        for item in timed:
            item.timed_call()


def ratio(numerator: Any, denominator: Any) -> float | None:
    """numerator / denominator, or None unless both are numbers and the denominator is not 0."""
    numbers = isinstance(numerator, int | float) and isinstance(denominator, int | float)
    return numerator / denominator if numbers and denominator else None


def all_finite(state: Pytree) -> bool:
    return all(bool(np.isfinite(np.asarray(x)).all()) for x in jax.tree_util.tree_leaves(state))


def failure(error: BaseException) -> dict[str, str]:
    """The entry of a model that could not be built or run: its figures are then missing and
    every ratio with it is None."""
    return {"error": f"{type(error).__name__}: {error}"}


NOT_RUN = {"skipped": "--no-dinosaur"}


def dinosaur_key(impl: str) -> str:
    """The entry of one of Dinosaur's spherical-harmonic implementations: "dinosaur" for its
    default (``RealSphericalHarmonics``, "real"), "dinosaur_fast" for "fast"."""
    return "dinosaur" if impl == "real" else f"dinosaur_{impl}"


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def environment() -> dict[str, Any]:
    return {
        "jax": jax.__version__,
        "jaxlib": _version("jaxlib"),
        "dinosaur": _version("dinosaur"),
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        # Other processes competing for the CPU make timings noisy; record how busy it was.
        "load_average_1_5_15_min": load_average(),
        # With JAX's persistent cache on, first calls may read compiled programs from disk.
        "jax_compilation_cache_dir": jax.config.jax_compilation_cache_dir,
    }


Built = tuple[Rollout, Callable[[Rollout], dict[str, Any]]]


def engine_builders(
    ngcm_lab: Callable[[], Any],
    dinosaur: Callable[[str], Any],
    dinosaur_impls: tuple[str, ...],
    with_dinosaur: bool,
) -> dict[str, Callable[[], Any] | None]:
    """ngcm_lab's builder, then Dinosaur's for each spherical-harmonic implementation of
    `dinosaur_impls` under `dinosaur_key` (None, i.e. not run, without Dinosaur)."""
    builders: dict[str, Callable[[], Any] | None] = {"ngcm_lab": ngcm_lab}
    for impl in dinosaur_impls:
        builders[dinosaur_key(impl)] = (lambda impl=impl: dinosaur(impl)) if with_dinosaur else None
    return builders


def build_all(
    builders: dict[str, Callable[[], Any] | None],
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Calls every builder: (what each built, the entries of those not built). A builder of None
    is a model not asked for (`NOT_RUN`); one that raises becomes its `failure` entry and the
    others are built all the same."""
    built: dict[str, Any] = {}
    entries: dict[str, dict[str, str]] = {}
    for name, build in builders.items():
        if build is None:
            entries[name] = dict(NOT_RUN)
            continue
        try:
            built[name] = build()
        except Exception as error:  # report the other models' figures all the same
            entries[name] = failure(error)
    return built, entries


def side_by_side(
    builders: dict[str, Callable[[], Built] | None], repeats: int
) -> dict[str, dict[str, Any]]:
    """Builds every model, times them interleaved and reports each, all in this one process.

    Each builder returns the model's `Rollout` and a function that reports on the rollout after
    the timed calls (checks, configuration, XLA figures); see `build_all` for the missing ones.

    Returns:
      Per model (in the builders' order): its `Timing` figures and its report, or why it is
      missing.
    """
    built, entries = build_all(builders)
    time_interleaved([rollout for rollout, _ in built.values()], repeats)
    for name, (rollout, report) in built.items():
        entries[name] = {**rollout.timing().as_dict(), **report(rollout)}
    return {name: entries[name] for name in builders}
