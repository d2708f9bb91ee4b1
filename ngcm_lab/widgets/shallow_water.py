"""`ShallowWaterExplorer`: build, step and run a shallow-water case and watch it evolve.

The widget holds no physics: models come from `ShallowWaterModel.from_case`, time steps from
`suggested_dt`, diagnostics from the model and figures from `ngcm_lab.plotting`. Everything a
button does is also a plain method (`build`, `step`, `run`, `stop`), so notebooks and tests can
drive it without clicking. Errors are shown in the status line, never raised to the student.
"""

from __future__ import annotations

import html
import math

import ipywidgets as widgets
import numpy as np

from ngcm_lab.constants import SECONDS_PER_DAY
from ngcm_lab.fields import CATALOGUE, Field
from ngcm_lab.models import ShallowWaterModel, case_names, get_case, suggested_dt
from ngcm_lab.plotting import plot_energy_spectrum, plot_map
from ngcm_lab.spherical_harmonics import Grid, resolution_names
from ngcm_lab.widgets._common import estimate_text, resolution_label, show_figure, status_html
from ngcm_lab.widgets._stepping import SteppingExplorer, format_time

# The fields the map can show, in menu order (labels, units and scales from the catalogue).
VARIABLES: dict[str, Field] = {
    name: CATALOGUE[name] for name in ("vorticity", "divergence", "u", "v", "depth", "free_surface")
}

OUTPUT_INTERVALS: list[tuple[str, float]] = [
    ("1 hour", 3600.0),
    ("6 hours", 6 * 3600.0),
    ("1 day", SECONDS_PER_DAY),
]


class ShallowWaterExplorer(SteppingExplorer):
    """Interactive shallow-water model: choose a case and grid, then build, step and run it.

    Display it as the last expression of a cell (or ``display(explorer.widget)``). Attributes:
      model: the built `ShallowWaterModel` (None before `build`).
      state: the current model state; time_s: simulated seconds since the initial state.
      figure: the matplotlib figure (map and kinetic-energy spectrum) shown in the widget.
      last_error: the message shown in red in the status line, or None.
    """

    def __init__(
        self,
        case: str = "galewsky",
        resolution: str = "T42",
        *,
        dt: float | None = None,
        variable: str = "vorticity",
        interval_hours: float = 6.0,
        build: bool = True,
    ) -> None:
        get_case(case)  # raises a ValueError listing the valid cases
        Grid.from_name(resolution)  # likewise for resolutions
        if variable not in VARIABLES:
            raise ValueError(f"unknown variable {variable!r}; valid: {', '.join(VARIABLES)}")
        intervals = dict((seconds, label) for label, seconds in OUTPUT_INTERVALS)
        if interval_hours * 3600.0 not in intervals:
            raise ValueError(f"interval_hours must be one of {[s / 3600 for s in intervals]}")

        self.build_button = widgets.Button(description=self.build_label, icon="refresh")
        self._init_stepping(self.build_button)
        self.field: np.ndarray | None = None  # the map's field (SI units) as last drawn
        self._built_settings: tuple[str, str, float] | None = None
        self._initial_spectrum: np.ndarray | None = None
        self._max_wind = float("nan")

        wide = {"description_width": "initial"}
        self.resolution = widgets.Dropdown(
            options=[(resolution_label(name), name) for name in resolution_names()],
            value=resolution,
            description="Resolution",
            style=wide,
        )
        self.case = widgets.Dropdown(
            options=[(f"{name}: {get_case(name).description}", name) for name in case_names()],
            value=case,
            description="Case",
            style=wide,
            layout=widgets.Layout(width="560px"),
        )
        self.dt = widgets.FloatText(
            value=_suggested_dt(resolution, case) if dt is None else float(dt),
            description="Time step dt (s)",
            style=wide,
            layout=widgets.Layout(width="220px"),
        )
        self.interval = widgets.Dropdown(
            options=OUTPUT_INTERVALS,
            value=interval_hours * 3600.0,
            description="Step / plot every",
            style=wide,
            layout=widgets.Layout(width="240px"),
        )
        self.run_until = widgets.FloatText(
            value=get_case(case).days,
            description="Run until day",
            style=wide,
            layout=widgets.Layout(width="180px"),
        )
        self.variable = widgets.Dropdown(
            options=[(spec.label, name) for name, spec in VARIABLES.items()],
            value=variable,
            description="Show",
            style=wide,
        )
        self.estimate = widgets.HTML()
        self.status = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(min_height="370px"))

        self.build_button.on_click(lambda _: self._guard(self.build))
        self.resolution.observe(self._settings_changed, names="value")
        self.case.observe(self._case_changed, names="value")
        self.dt.observe(lambda _: self._update_text(), names="value")
        self.variable.observe(lambda _: self._guard(self.redraw), names="value")

        self.widget = widgets.VBox(
            [
                widgets.HBox([self.resolution, self.case]),
                widgets.HBox([self.dt, self.interval, self.run_until]),
                widgets.HBox(
                    [self.build_button, self.step_button, self.run_button, self.pause_button]
                ),
                self.estimate,
                self.status,
                self.variable,
                self.output,
            ]
        )
        self._update_text()
        if build:
            self.build()

    # -------------------------------------------------------------------------- properties
    def suggested_dt(self) -> float:
        """`suggested_dt` (s) for the resolution and case currently selected."""
        return _suggested_dt(self.resolution.value, self.case.value)

    # ------------------------------------------------------------------------- actions
    def build(self) -> bool:
        """Build the model for the current choices: initial state, time 0. False on error."""
        self.stop()
        self.last_error = None
        try:
            dt = float(self.dt.value)
            if not math.isfinite(dt):
                raise ValueError(f"time step must be a finite number of seconds, got {dt}")
            model = ShallowWaterModel.from_case(self.case.value, self.resolution.value, dt=dt)
        except Exception as err:  # shown to the student instead of a traceback
            self._show_error(err)
            return False
        self._start(model)
        self._built_settings = (self.resolution.value, self.case.value, dt)
        self._initial_spectrum = np.asarray(model.energy_spectrum(model.initial_state))
        self._guard(self.redraw)
        self._update_text()
        return self.last_error is None

    def redraw(self) -> None:
        """Draw the selected variable's map and the energy spectrum for the current state."""
        if self.model is None:
            return
        with self.forecast.lock:
            model, state, time_s = self.model, self.state, self.time_s
            fields = model.decode(state)
            spectrum = np.asarray(model.energy_spectrum(state))
            name = self.variable.value
            spec = VARIABLES[name]
            self.field = fields[name]
            self._max_wind = float(np.max(np.hypot(fields["u"], fields["v"])))
            plot_map(
                self.field * spec.display_scale,
                np.degrees(model.grid.latitudes),
                np.degrees(model.grid.longitudes),
                ax=self._map_ax,
                symmetric=spec.diverging,
                units=spec.display_units,
                title=f"{spec.label}, {format_time(time_s).split(' (')[0]}",
            )
            # Resolved wavenumbers n = 0…N (the N + 1 slot is not prognostic).
            n = np.arange(model.grid.truncation + 1)
            ax = self._spectrum_ax
            ax.clear()
            if time_s > 0 and self._initial_spectrum is not None:
                initial = self._initial_spectrum[: n.size]
                plot_energy_spectrum(n, initial, ax=ax, label="day 0", reference_slope=None)
                ax.lines[-1].set_color("0.65")
            plot_energy_spectrum(
                n,
                spectrum[: n.size],
                ax=ax,
                label=f"day {time_s / SECONDS_PER_DAY:.3g}",
                title=f"kinetic energy spectrum, {model.grid.name}",
            )
            # Keep ten decades: the filtered tail would otherwise squash the interesting range.
            bottom, top = ax.get_ylim()
            ax.set_ylim(max(bottom, top * 1e-10), top)
            show_figure(self.output, self.figure)

    # ---------------------------------------------------------------------- internals
    def _interval_steps(self) -> int:
        """Time steps in one output interval; ValueError if dt does not divide it."""
        model = self._require_model()
        seconds = float(self.interval.value)
        try:
            n = model.steps_for(seconds / SECONDS_PER_DAY)
        except ValueError as err:
            raise ValueError(
                f"{err}: choose a dt that divides the output interval ({seconds:g} s); "
                "the suggested dt divides one hour"
            ) from None
        if n < 1:
            raise ValueError(f"dt = {model.dt_s:g} s is longer than the output interval")
        return n

    def _case_changed(self, change: dict) -> None:
        self.run_until.value = get_case(change["new"]).days
        self._settings_changed(change)

    def _settings_changed(self, _: dict) -> None:
        self.dt.value = self.suggested_dt()  # also refreshes the text via the dt observer
        self._update_text()

    def _update_text(self) -> None:
        """Refresh the estimate and status lines from the current settings and state."""
        settings = (self.resolution.value, self.case.value, float(self.dt.value))
        applied = settings == self._built_settings
        dt = float(self.dt.value)
        if dt > 0 and math.isfinite(dt):
            measured = self.seconds_per_step if applied else None
            self.estimate.value = status_html(estimate_text(settings[0], dt, measured))
        else:
            self.estimate.value = status_html("dt must be a positive number of seconds")
        parts = []
        if self.model is None:
            parts.append("No model yet: press Build / reset.")
        else:
            parts.append(f"{self.model.name} at {self.model.grid.name}, dt = {self.model.dt_s:g} s")
            parts.append(format_time(self.time_s))
            if self.sim_days_per_s:
                speed = self.sim_days_per_s
                parts.append(f"model speed {speed:.3g} simulated days per wall second")
            if math.isfinite(self._max_wind):
                parts.append(f"max wind {self._max_wind:.1f} m/s")
        if self._running:
            parts.append("running… (Pause stops after this interval)")
        text = "<b>" + html.escape(" · ".join(parts[:2])) + "</b>"
        if parts[2:]:
            text += " · " + html.escape(" · ".join(parts[2:]))
        if self.model is not None and not applied:
            text += "<br><i>Settings changed: press Build / reset to apply them.</i>"
        if self.last_error:
            text += "<br>" + status_html(self.last_error, error=True)
        self.status.value = text


def _suggested_dt(resolution: str, case: str) -> float:
    return suggested_dt(Grid.from_name(resolution), get_case(case).max_wind_m_s)
