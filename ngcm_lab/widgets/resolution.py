"""`ResolutionPicker`: choose truncation, σ layers, time step and output interval, and see what
the choice costs before running anything.

How the estimates are made (no model is built to show them):

- **Memory** counts the arrays a primitive-equation run holds, from their sizes: the Legendre
  tables (``(N+1)·nlat/2·(N+2)`` values, once in float64 numpy and twice — plain and
  quadrature-weighted — in the model's precision), the modal state (``3L + 1`` complex fields of
  ``(N+1)(N+2)`` coefficients, plus ``L`` per tracer), the Runge–Kutta stages of SIL3 (4 explicit
  and 4 implicit tendencies, each the size of the state) and the grid-point work arrays of one
  explicit-terms evaluation (about 20 fields per layer on the ``nlat × nlon`` grid). Python, JAX
  and the compiled code add a few hundred MB that do not depend on the choice and are not
  counted. The estimate is a lower bound on the process's memory, good to a factor of about two.
- **Speed** uses a cost model fitted to measured step times of the Jablonowski–Williamson case in
  float32 on a 2-core CPU (T21, T42, TL63, T63, T85 with 8 and 20 layers; the machine was shared
  with other jobs): seconds per step ``≈ L · (a·nlat·nlon + b·(N+1)(N+2)·nlat)`` with
  ``a = 1.7e-7 s`` (grid-point work and FFTs) and ``b = 1.3e-8 s`` (Legendre transforms), ×1.6
  in float64. It is within about ±30 % of the measured times. `calibrate()` times a small model
  on *this* machine and rescales the model; `set_measured_seconds_per_step` replaces the
  estimate by a measurement (the `ForecastStepper` passes its own). On a GPU the estimate does
  not apply (not measured here; notebook 10 times both).

Invalid choices (a time step that is not positive or does not divide the output interval, a
layer count out of range, more memory than ``memory_limit_mb``) are explained in the message line
and disable the apply button; risky ones (an advective Courant number above 1) are explained but
allowed, so students can see what happens. No physics here: time steps come from
`ngcm_lab.primitive_model.suggested_dt` (or the ``suggest_dt`` function given).
"""

from __future__ import annotations

import dataclasses
import html
import math
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np

from ngcm_lab.constants import EARTH_RADIUS, SECONDS_PER_DAY
from ngcm_lab.spherical_harmonics import RESOLUTIONS, Grid, resolution_names
from ngcm_lab.widgets._common import (
    Shown,
    error_text,
    physical_memory_mb,
    resolution_label,
    status_html,
)

# Fitted cost model (see the module docstring), seconds per step per layer.
SECONDS_PER_GRID_POINT = 1.7e-7
SECONDS_PER_LEGENDRE_TERM = 1.3e-8
FLOAT64_SLOWDOWN = 1.6
# The wind speed the suggested time step is made for (primitive_model.suggested_dt).
DESIGN_WIND_M_S = 80.0
SIL3_STAGES = 4
NODAL_FIELDS_PER_LAYER = 20
MAX_LAYERS = 100

OUTPUT_INTERVALS: list[tuple[str, float]] = [
    ("1 hour", 3600.0),
    ("3 hours", 3 * 3600.0),
    ("6 hours", 6 * 3600.0),
    ("12 hours", 12 * 3600.0),
    ("1 day", SECONDS_PER_DAY),
]


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """What a `ResolutionPicker` is set to: names and SI units."""

    resolution: str
    layers: int
    dt_s: float
    interval_s: float

    @property
    def steps_per_interval(self) -> float:
        return self.interval_s / self.dt_s


def courant_number(resolution: str, dt_s: float, wind_m_s: float = DESIGN_WIND_M_S) -> float:
    """Advective Courant number |u| N Δt / a of the shortest resolved wave (gravity waves are
    implicit, so this is the number that limits the time step)."""
    truncation = RESOLUTIONS[resolution][0]
    return wind_m_s * truncation * dt_s / EARTH_RADIUS


def primitive_resource_estimate(
    resolution: str,
    layers: int,
    dt_s: float,
    *,
    tracers: int = 0,
    dtype: Any = np.float32,
    speed_factor: float = 1.0,
    seconds_per_step: float | None = None,
) -> dict[str, float]:
    """Memory and speed of a primitive-equation run, from array sizes and the cost model above.

    Returns ``grid_points``, ``memory_mb`` (arrays of the model, see the module docstring),
    ``seconds_per_step`` (the measured value when given, else the cost model × ``speed_factor``),
    ``steps_per_day``, ``wall_s_per_day`` and ``sim_days_per_s``, and ``courant``.
    """
    truncation, nlat, nlon = RESOLUTIONS[resolution]
    itemsize = np.dtype(dtype).itemsize
    modal = (truncation + 1) * (truncation + 2)
    tables = (truncation + 1) * (nlat // 2) * (truncation + 2) * (8 + 2 * itemsize)
    state = ((3 + tracers) * layers + 1) * modal * 2 * itemsize
    stepping = (1 + 2 * SIL3_STAGES) * state
    nodal = (NODAL_FIELDS_PER_LAYER + 4 * tracers) * layers * nlat * nlon * itemsize
    if seconds_per_step is None:
        per_layer = SECONDS_PER_GRID_POINT * nlat * nlon + SECONDS_PER_LEGENDRE_TERM * modal * nlat
        seconds_per_step = layers * per_layer * speed_factor
        if np.dtype(dtype) == np.float64:
            seconds_per_step *= FLOAT64_SLOWDOWN
    steps_per_day = SECONDS_PER_DAY / dt_s if dt_s > 0 else math.nan
    wall_per_day = seconds_per_step * steps_per_day
    return {
        "grid_points": float(nlat * nlon),
        "memory_mb": (tables + stepping + nodal) / 1e6,
        "seconds_per_step": float(seconds_per_step),
        "steps_per_day": steps_per_day,
        "wall_s_per_day": wall_per_day,
        "sim_days_per_s": 1.0 / wall_per_day if wall_per_day > 0 else math.nan,
        "courant": courant_number(resolution, dt_s) if dt_s > 0 else math.nan,
    }


def _suggested_primitive_dt(grid: Grid) -> float:
    from ngcm_lab.primitive_model import suggested_dt

    return suggested_dt(grid)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.2g} s"
    if seconds < 7200:
        return f"{seconds / 60:.2g} min"
    return f"{seconds / 3600:.2g} h"


class ResolutionPicker(Shown):
    """Truncation, σ layers, time step and output interval, with a cost estimate shown first.

    Display it as the last expression of a cell. Attributes (ipywidgets): ``resolution``,
    ``layers``, ``dt``, ``interval``, ``suggest_button``, ``apply_button``, ``estimate``,
    ``message``. `settings` is the current choice as a `RunSettings`; `problems()` lists what
    makes it invalid (the apply button is then disabled) and `warnings()` what makes it risky.
    ``on_apply(callback)`` registers ``callback(settings)`` for the apply button (`apply()`);
    ``on_change(callback)`` registers ``callback(picker)`` for any change.

    Args:
      resolution, layers, dt, interval_hours: initial choice (dt default: the suggested one).
      suggest_dt: ``grid -> seconds``; default `ngcm_lab.primitive_model.suggested_dt`.
      memory_limit_mb: largest estimated memory allowed (default: half the physical memory).
      tracers: number of tracers (1 for the moist model), for the memory estimate.
      apply_label: text of the apply button.
    """

    def __init__(
        self,
        resolution: str = "T42",
        layers: int = 20,
        dt: float | None = None,
        interval_hours: float = 6.0,
        *,
        suggest_dt: Callable[[Grid], float] | None = None,
        memory_limit_mb: float | None = None,
        tracers: int = 0,
        dtype: Any = np.float32,
        apply_label: str = "Use these settings",
    ) -> None:
        Grid.from_name(resolution)  # a ValueError listing the valid names
        intervals = [seconds for _, seconds in OUTPUT_INTERVALS]
        if interval_hours * 3600.0 not in intervals:
            raise ValueError(f"interval_hours must be one of {[s / 3600 for s in intervals]}")
        self._suggest = suggest_dt or _suggested_primitive_dt
        if memory_limit_mb is None:
            physical = physical_memory_mb()
            memory_limit_mb = 0.5 * physical if physical else None
        self.memory_limit_mb = memory_limit_mb
        self.tracers = int(tracers)
        self.dtype = np.dtype(dtype)
        self.speed_factor = 1.0
        self._measured: tuple[tuple[str, int, float], float] | None = None
        self._apply_callbacks: list[Callable[[RunSettings], Any]] = []
        self._change_callbacks: list[Callable[[ResolutionPicker], Any]] = []
        self.last_error: str | None = None

        wide = {"description_width": "initial"}
        self.resolution = widgets.Dropdown(
            options=[(resolution_label(name), name) for name in resolution_names()],
            value=resolution.strip().upper(),
            description="Resolution",
            style=wide,
        )
        self.layers = widgets.BoundedIntText(
            value=int(layers),
            min=1,
            max=MAX_LAYERS,
            description="σ layers",
            style=wide,
            layout=widgets.Layout(width="150px"),
        )
        self.dt = widgets.FloatText(
            value=self.suggested_dt() if dt is None else float(dt),
            description="Time step dt (s)",
            style=wide,
            layout=widgets.Layout(width="220px"),
        )
        self.suggest_button = widgets.Button(description="Suggested dt", icon="magic")
        self.interval = widgets.Dropdown(
            options=OUTPUT_INTERVALS,
            value=interval_hours * 3600.0,
            description="Step / plot every",
            style=wide,
            layout=widgets.Layout(width="240px"),
        )
        self.apply_button = widgets.Button(description=apply_label, button_style="primary")
        self.estimate = widgets.HTML()
        self.message = widgets.HTML()

        self.resolution.observe(self._resolution_changed, names="value")
        for control in (self.layers, self.dt, self.interval):
            control.observe(lambda _: self._changed(), names="value")
        self.suggest_button.on_click(lambda _: self.use_suggested_dt())
        self.apply_button.on_click(lambda _: self.apply())
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.resolution, self.layers, self.dt, self.suggest_button]),
                widgets.HBox([self.interval, self.apply_button]),
                self.estimate,
                self.message,
            ]
        )
        self._changed()

    # ------------------------------------------------------------------------- the choice
    @property
    def settings(self) -> RunSettings:
        """The current choice (not checked: see `problems`)."""
        return RunSettings(
            self.resolution.value,
            int(self.layers.value),
            float(self.dt.value),
            float(self.interval.value),
        )

    @property
    def grid(self) -> Grid:
        return Grid.from_name(self.resolution.value, self.dtype)

    def suggested_dt(self) -> float:
        """The suggested (CFL-limited) time step for the selected resolution, in seconds."""
        return float(self._suggest(Grid.from_name(self.resolution.value, self.dtype)))

    def use_suggested_dt(self) -> None:
        self.dt.value = self.suggested_dt()

    def resources(self) -> dict[str, float]:
        """`primitive_resource_estimate` for the current choice (with a measured speed, if any)."""
        s = self.settings
        measured = None
        if self._measured is not None and self._measured[0] == (s.resolution, s.layers, s.dt_s):
            measured = self._measured[1]
        return primitive_resource_estimate(
            s.resolution,
            s.layers,
            s.dt_s,
            tracers=self.tracers,
            dtype=self.dtype,
            speed_factor=self.speed_factor,
            seconds_per_step=measured,
        )

    def problems(self) -> list[str]:
        """Why the current choice cannot be run (empty when it can)."""
        s = self.settings
        found = []
        if not (math.isfinite(s.dt_s) and s.dt_s > 0):
            found.append(f"the time step must be a positive number of seconds, not {s.dt_s:g}")
        else:
            n = s.interval_s / s.dt_s
            if n < 1 - 1e-9:
                found.append(
                    f"dt = {s.dt_s:g} s is longer than the output interval ({s.interval_s:g} s)"
                )
            elif abs(n - round(n)) > 1e-6:
                found.append(
                    f"dt = {s.dt_s:g} s does not divide the output interval ({s.interval_s:g} s): "
                    f"choose a divisor, e.g. the suggested {self.suggested_dt():g} s"
                )
        if not 1 <= s.layers <= MAX_LAYERS:
            found.append(f"choose between 1 and {MAX_LAYERS} layers, not {s.layers}")
        elif self.memory_limit_mb is not None and math.isfinite(s.dt_s) and s.dt_s > 0:
            memory = self.resources()["memory_mb"]
            if memory > self.memory_limit_mb:
                found.append(
                    f"about {memory:,.0f} MB of model arrays exceeds the limit of "
                    f"{self.memory_limit_mb:,.0f} MB: choose a coarser grid or fewer layers"
                )
        return found

    def warnings(self) -> list[str]:
        """What makes a valid choice risky or slow."""
        s = self.settings
        if not (math.isfinite(s.dt_s) and s.dt_s > 0) or self.problems():
            return []
        found = []
        courant = courant_number(s.resolution, s.dt_s)
        if courant > 1.0:
            found.append(
                f"advective Courant number {courant:.2f} > 1 for {DESIGN_WIND_M_S:g} m/s winds: "
                f"the run will probably blow up (suggested dt {self.suggested_dt():g} s)"
            )
        wall_per_day = self.resources()["wall_s_per_day"]
        if wall_per_day > 600:
            found.append(
                f"slow: about {_duration(wall_per_day)} of computing per simulated day on this "
                "kind of machine"
            )
        return found

    @property
    def valid(self) -> bool:
        return not self.problems()

    # ------------------------------------------------------------------------- measurements
    def set_measured_seconds_per_step(self, seconds: float | None, settings=None) -> None:
        """Use a measured step time for ``settings`` (default: the current ones)."""
        s = settings or self.settings
        self._measured = None if seconds is None else ((s.resolution, s.layers, s.dt_s), seconds)
        self._changed()

    def calibrate(self, resolution: str = "T21", layers: int = 4, steps: int = 8) -> float:
        """Time a small Jablonowski–Williamson run on this machine and rescale the speed model
        by measured / estimated; returns the factor (also kept in ``speed_factor``)."""
        import jax

        from ngcm_lab.primitive_model import PrimitiveEquationsModel

        model = PrimitiveEquationsModel.from_case("jw_steady", resolution, layers, dtype=self.dtype)
        advance = jax.jit(lambda state: model.rollout(state, steps))
        state = jax.block_until_ready(advance(model.initial_state))  # compiles
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            state = jax.block_until_ready(advance(state))
            best = min(best, (time.perf_counter() - start) / steps)
        estimate = primitive_resource_estimate(resolution, layers, model.dt_s, dtype=self.dtype)
        self.speed_factor = best / estimate["seconds_per_step"]
        self._changed()
        return self.speed_factor

    # ------------------------------------------------------------------------- callbacks
    def on_apply(self, callback: Callable[[RunSettings], Any]) -> None:
        self._apply_callbacks.append(callback)

    def on_change(self, callback: Callable[[ResolutionPicker], Any]) -> None:
        self._change_callbacks.append(callback)

    def apply(self) -> bool:
        """What the apply button does: call the `on_apply` callbacks with the settings, if the
        choice is valid. False (and the reason in the message line) otherwise."""
        problems = self.problems()
        if problems:
            self.last_error = problems[0]
            self._update_text()
            return False
        self.last_error = None
        for callback in self._apply_callbacks:
            try:
                callback(self.settings)
            except Exception as err:  # shown, never raised to the student
                self.last_error = error_text(err)
        self._update_text()
        return self.last_error is None

    # ------------------------------------------------------------------------- internals
    def _resolution_changed(self, _: dict) -> None:
        self.use_suggested_dt()  # refreshes the text through the dt observer
        self._changed()

    def _changed(self) -> None:
        self.last_error = None
        self._update_text()
        for callback in self._change_callbacks:
            try:
                callback(self)
            except Exception as err:
                self.last_error = error_text(err)
                self._update_text()

    def _update_text(self) -> None:
        s = self.settings
        problems = self.problems()
        self.apply_button.disabled = bool(problems)
        if math.isfinite(s.dt_s) and s.dt_s > 0 and 1 <= s.layers <= MAX_LAYERS:
            e = self.resources()
            measured = self._measured is not None and self._measured[0] == (
                s.resolution,
                s.layers,
                s.dt_s,
            )
            how = "measured" if measured else "estimated"
            self.estimate.value = status_html(
                f"{s.resolution} L{s.layers}: {int(e['grid_points']):,} columns × {s.layers} "
                f"layers · model arrays ≈ {e['memory_mb']:,.3g} MB · {how} "
                f"{e['seconds_per_step'] * 1e3:.3g} ms per step, {e['steps_per_day']:.4g} steps "
                f"per simulated day → about {_duration(e['wall_s_per_day'])} per simulated day "
                f"({e['sim_days_per_s']:.3g} simulated days per wall second) · Courant number "
                f"{e['courant']:.2f}"
            )
        else:
            self.estimate.value = status_html("no estimate for this choice")
        lines = [status_html(p, error=True) for p in problems]
        lines += [
            f'<span style="color:#8a5a00"><b>Note:</b> {html.escape(w)}</span>'
            for w in self.warnings()
        ]
        if self.last_error and self.last_error not in problems:
            lines.append(status_html(self.last_error, error=True))
        self.message.value = "<br>".join(lines)
