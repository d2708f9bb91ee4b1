"""Self-checks for the exercises of notebook 10, accelerators: reading a cost slope, what several
devices and larger batches can gain, and how float32 round-off grows (see `ngcm_lab.teaching`).

Timings depend on the machine, so the timing checks test a student's reading of their own
measurements against the limits every machine obeys, not against our numbers.
"""

from __future__ import annotations

import functools
import os
import re

import numpy as np

from ngcm_lab.teaching._common import _number, _numbers_by_key, _verdict


def _truncation(resolution: str) -> int:
    match = re.fullmatch(r"T[LCQ]?(\d+)", str(resolution).strip().upper())
    if match is None:
        raise ValueError(f"not a resolution name like 'T42' or 'TL255': {resolution!r}")
    return int(match.group(1))


def cost_slope(seconds_per_step: dict) -> float:
    """Slope p of the cost law t ∝ N^p: the least-squares line of log(seconds per step) against
    log(truncation N), from ``{"T21": seconds, "T42": seconds, ...}``."""
    n = np.array([_truncation(name) for name in seconds_per_step], float)
    t = np.array([float(s) for s in seconds_per_step.values()])
    return float(np.polyfit(np.log(n), np.log(t), 1)[0])


def check_cost_slope(slope, seconds_per_step: dict) -> bool:
    """Exercise 10.1: the slope of a CPU line of the step-time figure (log time against log N).

    Reference: `cost_slope(seconds_per_step)`, the fit to the times the student read; tolerance
    0.2. The verdict says which law it is nearer: N² (the grid points, with N² log N for the
    FFTs) or N³ (the Legendre transforms). Per dycore step, so the shorter time step of a finer
    grid is not counted. The project's busy 2-core CPU (float32, 20 layers; T21, T42, T85)
    gave 2.3–2.5 from run to run.
    """
    caller = "check_cost_slope"
    value = _number(slope, "the slope", caller)
    if value is None:
        return False
    try:
        times = {name: float(s) for name, s in seconds_per_step.items()}
        reference = cost_slope(times)
    except (AttributeError, TypeError, ValueError) as err:
        print(f"{caller}: seconds_per_step must be {{'T21': seconds, 'T42': seconds}}: {err}")
        return False
    if len(times) < 2 or min(times.values()) <= 0:
        print(f"{caller}: give at least two resolutions with positive times, got {times}")
        return False
    nearer = "N² (the grid points)" if reference < 2.5 else "N³ (the Legendre transforms)"
    if reference < 1.5:
        nearer = "flat: a fixed cost per step (kernel launches on a GPU) still dominates"
    if abs(value - reference) <= 0.2:
        return _verdict(True, f"slope {value:.2f} (fit {reference:.2f}): nearer {nearer}.")
    return _verdict(
        False,
        f"slope {value:.2f}, but these times give {reference:.2f}.",
        "slope = Δ log(time per step) / Δ log N, over the resolutions you timed.",
    )


def check_device_speedup(speedup, devices: int, cores: int | None = None) -> bool:
    """Exercise 10.2: how many times faster the ensemble runs on `devices` CPU devices than on
    one (time on one device ÷ time on several).

    Reference: the limits of the machine. XLA's CPU devices share the same cores, so the gain is
    at most min(devices, cores) (a tolerance of 15 % for timing noise); a single CPU device
    already runs some operations on several threads, so it can be much less, even below 1. Below
    0.5 a timing usually included a compilation.
    """
    caller = "check_device_speedup"
    value = _number(speedup, "the speedup", caller)
    n = _number(devices, "devices", caller)
    c = _number((os.cpu_count() or 1) if cores is None else cores, "cores", caller)
    if value is None or n is None or c is None:
        return False
    limit = min(n, c)
    if 0.5 <= value <= 1.15 * limit:
        gain = "faster" if value > 1.1 else "no faster" if value >= 0.9 else "slower"
        return _verdict(
            True,
            f"{value:.2f}× with {n:.0f} devices on {c:.0f} cores: {gain}. The devices share the "
            f"cores, so {limit:.0f}× is the most they can give.",
        )
    hint = (
        f"{n:.0f} devices on {c:.0f} cores cannot beat {limit:.0f}×: time the second call, after "
        "jax.block_until_ready, for both."
        if value > 1.15 * limit
        else "was a compilation timed? Call once to compile, then time a second call."
    )
    return _verdict(False, f"{value:.2f}× is outside 0.5–{1.15 * limit:.2f}×.", hint)


def batch_saturation(per_member_seconds: dict, gain: float = 0.1) -> int:
    """The batch size from which a larger batch no longer lowers the time per member by more than
    `gain` (10 %): the smallest timed batch b such that every larger batch takes at least
    (1 − gain) times b's time per member. ``{batch: seconds per member and step}``."""
    items = sorted((int(b), float(s)) for b, s in per_member_seconds.items())
    for i, (batch, seconds) in enumerate(items):
        if all(later >= (1.0 - gain) * seconds for _, later in items[i + 1 :]):
            return batch
    return items[-1][0]


def check_batch_saturation(batch, per_member_seconds) -> bool:
    """Exercise 10.3: the batch size at which the time per member stops falling.

    Reference: `batch_saturation(per_member_seconds)` on the student's own timings ("stops
    falling": no larger batch is more than 10 % faster per member). On a GPU that is where the
    batch fills the device; on a CPU, where the cores are busy, which can be at the first batch.
    """
    caller = "check_batch_saturation"
    value = _number(batch, "the batch size", caller)
    times = _numbers_by_key(per_member_seconds, "the times per member by batch size", caller)
    if value is None or times is None:
        return False
    reference = batch_saturation(times)
    if value == reference:
        return _verdict(
            True,
            f"it stops falling at a batch of {reference}: no larger batch gains 10 % per "
            "member, the hardware is busy.",
        )
    return _verdict(
        False,
        f"batch {value:g}; these times stop falling at {reference}.",
        "compare the time per member (batch time ÷ members) of each batch with every larger one.",
    )


@functools.lru_cache(maxsize=8)
def williamson2_height_error(days: float, resolution: str = "T42") -> float:
    """Relative l2 change of the depth of Williamson's steady test case 2 after `days` in float32,
    with the default time step, as notebook 10 measures it (`validation.williamson_norms`)."""
    import jax

    from ngcm_lab.models import ShallowWaterModel
    from ngcm_lab.validation import williamson_norms

    model = ShallowWaterModel.from_case("williamson2", resolution, dtype=np.float32)
    final = jax.jit(lambda state: model.rollout(state, model.steps_for(days)))(model.initial_state)
    h0, h1 = model.decode(model.initial_state)["depth"], model.decode(final)["depth"]
    return williamson_norms(h1, h0, model.grid.area_weights)["l2"]


def check_float32_drift(error, days: float = 30.0) -> bool:
    """Exercise 10.4: the relative l2 height error of test case 2 at T42 in float32 after `days`.

    Reference: `williamson2_height_error(days)`, the same run by the package in one jitted
    rollout (on the default device): 9.5e-8 after 30 days on the project's CPU. Tolerance: a
    factor of 5 either way. Round-off does not grow steadily, it wanders: the same 30 days run
    as `model.run` in 5-day pieces (another compiled program, summing in another order) gives
    3.0, 5.6, 8.6, 7.0, 6.5 and 4.3e-8 at days 5 to 30. Either way it is far below the
    truncation error of a T42 forecast (Rossby–Haurwitz at day 10 against T213: 1.9e-3).
    """
    caller = "check_float32_drift"
    value = _number(error, "the error", caller)
    d = _number(days, "days", caller)
    if value is None or d is None:
        return False
    if not 0 < d <= 100:
        print(f"{caller}: days must be between 0 and 100, got {d:g}")
        return False
    reference = williamson2_height_error(d)
    if value > 0 and reference / 5 <= value <= 5 * reference:
        return _verdict(
            True,
            f"{value:.1e} after {d:g} days, like the package's {reference:.1e}: round-off, far "
            "below a T42 forecast's truncation error (~1e-3).",
        )
    if 0 <= value < 1e-12:
        hint = "that is float64 round-off: build the model with dtype=np.float32."
    elif value > 1e-4:
        hint = "compare the depth at the end with the depth at the start of the same run."
    else:
        hint = "T42 with the default time step, relative l2 of the depth against its start."
    return _verdict(False, f"{value:.1e} after {d:g} days; the package gets {reference:.1e}.", hint)
