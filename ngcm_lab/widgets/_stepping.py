"""What the stepping widgets share: a resumable forecast, Step / Run / Pause and the run thread.

`SteppingExplorer` holds a `forecast.ForecastRun` (the model's state, the steps taken, the one
blow-up check, the measured speed), the buttons that advance it, the background thread of a
run and its stop event, the status line's error and a figure with a map beside a spectrum.
An explorer adds its own controls and implements `build`, `redraw`, `_interval_steps` and
`_update_text`. Every button is also a plain method, and errors go to the status line.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ngcm_lab.constants import SECONDS_PER_DAY
from ngcm_lab.forecast import ForecastRun
from ngcm_lab.widgets._common import ReportsErrors


def format_time(time_s: float) -> str:
    """Simulated time as ``'day 2, 06:00 (2.25 days)'``."""
    minutes = int(round(time_s / 60.0))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"day {days}, {hours:02d}:{minutes:02d} ({time_s / SECONDS_PER_DAY:.3g} days)"


class SteppingExplorer(ReportsErrors):
    """Base of the explorers that step a model: see the module docstring.

    Attributes: model (None before `build`), forecast (its `ForecastRun`), state and time_s
    (the forecast's), figure, last_error (the status line's red message, or None).
    """

    build_label = "Build / reset"

    def _init_stepping(self, build_button: widgets.Button) -> None:
        """Set up the shared state and buttons; `build_button` is disabled while running."""
        self.model: Any = None
        self.forecast: ForecastRun | None = None
        self.last_error: str | None = None
        self._build_button = build_button
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False
        self.figure = Figure(figsize=(11.0, 4.0))
        FigureCanvasAgg(self.figure)
        self._map_ax, self._spectrum_ax = _map_and_spectrum_axes(self.figure)
        self.step_button = widgets.Button(description="Step", icon="step-forward")
        self.run_button = widgets.Button(description="Run", icon="play", button_style="success")
        self.pause_button = widgets.Button(
            description="Pause", icon="pause", button_style="warning", disabled=True
        )
        self.step_button.on_click(lambda _: self._guard(self.step))
        self.run_button.on_click(lambda _: self._guard(self._run_clicked))
        self.pause_button.on_click(lambda _: self.stop(wait=False))

    def _start(self, model: Any) -> None:
        """Make `model` the explorer's, from its initial state at time 0."""
        self.model = model
        self.forecast = ForecastRun(model.stepper, model.initial_state)

    # ------------------------------------------------------------------------ to implement
    def build(self) -> bool:
        raise NotImplementedError

    def redraw(self) -> None:
        raise NotImplementedError

    def _interval_steps(self) -> int:
        """Time steps in one output interval of the built model (ValueError if none fit)."""
        raise NotImplementedError

    def _update_text(self) -> None:
        raise NotImplementedError

    def _build_allowed(self) -> bool:
        """Whether the build button may be enabled when no run is going on."""
        return True

    def _measured(self, seconds_per_step: float) -> None:
        """Called with each new measurement of the step's wall time."""

    # ---------------------------------------------------------------------------- display
    # ------------------------------------------------------------------------- properties
    @property
    def state(self) -> Any:
        """The current model state (None before `build`)."""
        return None if self.forecast is None else self.forecast.state

    @property
    def time_s(self) -> float:
        """Simulated time in seconds since the initial state."""
        return 0.0 if self.forecast is None else self.forecast.time_s

    @property
    def running(self) -> bool:
        """True while `run` is advancing the model."""
        return self._running

    @property
    def seconds_per_step(self) -> float | None:
        """Measured wall-clock seconds per time step (after the first compiled interval)."""
        return None if self.forecast is None else self.forecast.seconds_per_step

    @property
    def sim_days_per_s(self) -> float | None:
        """Measured speed in simulated days per wall-clock second."""
        if not self.seconds_per_step:
            return None
        return self.forecast.dt_s / self.seconds_per_step / SECONDS_PER_DAY

    # ---------------------------------------------------------------------------- actions
    def step(self, n_intervals: int = 1) -> bool:
        """Advance by `n_intervals` output intervals and redraw. False on error."""
        if self._running:
            self._show_error(ValueError("the model is running: press Pause first"))
            return False
        self.last_error = None
        ok = True
        for _ in range(int(n_intervals)):
            ok = self._advance(None)
            if not ok:
                break
        self._guard(self.redraw)
        self._update_text()
        return ok

    def run(self, days: float, blocking: bool = True) -> None:
        """Advance by `days`, redrawing every output interval, until done or `stop()`.

        With ``blocking=False`` the loop runs in a background thread, so the notebook (and the
        Pause button) stay responsive; `wait()` joins it.
        """
        if self._running:
            self._show_error(ValueError("the model is already running"))
            return
        self.last_error = None
        try:
            self._require_model()
            days = float(days)
            if not days > 0 or not math.isfinite(days):
                raise ValueError(f"the run length must be a positive number of days, got {days}")
            self._interval_steps()
        except ValueError as err:
            self._show_error(err)
            return
        steps = math.ceil(days * SECONDS_PER_DAY / self.forecast.dt_s - 1e-9)
        target = self.forecast.steps_done + steps
        self._stop_event.clear()
        self._set_running(True)
        if blocking:
            self._run_loop(target)
        else:
            self._thread = threading.Thread(target=self._run_loop, args=(target,), daemon=True)
            self._thread.start()

    def stop(self, wait: bool = True, timeout: float = 120.0) -> None:
        """Ask a running `run` to stop after the current interval (and wait for it)."""
        self._stop_event.set()
        if wait:
            self.wait(timeout)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background `run` to finish."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -------------------------------------------------------------------------- internals
    def _require_model(self) -> Any:
        if self.model is None:
            raise ValueError(f"no model yet: press {self.build_label}")
        return self.model

    def _advance(self, n: int | None) -> bool:
        """Advance `n` steps (None: one output interval) through the blow-up check; on error
        keep the last good state and show the error."""
        try:
            n = self._interval_steps() if n is None else n
            self.forecast.advance(n)
            if self.forecast.seconds_per_step is not None:
                self._measured(self.forecast.seconds_per_step)
            return True
        except Exception as err:  # ForecastBlowUpError, ValueError, anything unexpected
            self._show_error(err)
            return False

    def _run_loop(self, target_steps: int) -> None:
        try:
            while not self._stop_event.is_set() and self.forecast.steps_done < target_steps:
                n = min(self._interval_steps(), target_steps - self.forecast.steps_done)
                if not self._advance(n):
                    break
                self._guard(self.redraw)
                self._update_text()
        except Exception as err:
            self._show_error(err)
        finally:
            self._set_running(False)
            self._update_text()

    def _run_clicked(self) -> None:
        remaining = float(self.run_until.value) - self.time_s / SECONDS_PER_DAY
        if not remaining > 1e-9:
            raise ValueError(
                f"already at {format_time(self.time_s)}: raise 'Run until day' or press "
                f"{self.build_label}"
            )
        self.run(remaining, blocking=False)

    def _set_running(self, running: bool) -> None:
        self._running = running
        for button in (self._build_button, self.step_button, self.run_button):
            button.disabled = running
        if not running:
            self._build_button.disabled = not self._build_allowed()
        self.pause_button.disabled = not running


def _map_and_spectrum_axes(figure: Figure) -> tuple[Any, Any]:
    """A Robinson map beside a spectrum panel. Fixed margins rather than a constrained layout:
    that halves the time to draw a frame."""
    import cartopy.crs as ccrs

    grid = figure.add_gridspec(
        1, 2, width_ratios=[1.75, 1.0], left=0.01, right=0.98, bottom=0.12, top=0.92, wspace=0.12
    )
    return figure.add_subplot(grid[0], projection=ccrs.Robinson()), figure.add_subplot(grid[1])
