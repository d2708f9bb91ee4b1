"""`ForecastStepper`: build, step, run and pause a primitive-equation forecast and watch it.

The primitive-equation counterpart of `ShallowWaterExplorer`, with a `ResolutionPicker` for the
grid, layers, time step and output interval (its estimate is shown before anything runs). The
figure — a map of the chosen variable on the chosen σ level and the kinetic-energy spectrum of
that level — is redrawn in place after every output interval. No physics: the model comes from
`PrimitiveEquationsModel.from_case` (its physics the case's own or the terms chosen by name
from `physics_registry.PHYSICS_TERMS`), fields from `model.decode`, the spectrum from
`model.energy_spectrum`, figures from `ngcm_lab.plotting`. Every button is also a
plain method (`build`, `step`, `run`, `stop`, `select`); errors go to the status line.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np

from ngcm_lab.constants import SECONDS_PER_DAY
from ngcm_lab.fields import CATALOGUE, Field
from ngcm_lab.physics_registry import PHYSICS_TERMS, terms_by_name
from ngcm_lab.physics_terms import PhysicsTerm
from ngcm_lab.plotting import plot_energy_spectrum, plot_map
from ngcm_lab.primitive_cases import PRIMITIVE_CASES, get_case
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.widgets._common import show_figure, status_html
from ngcm_lab.widgets._stepping import SteppingExplorer, format_time
from ngcm_lab.widgets.resolution import ResolutionPicker, RunSettings

_CASE_OWN = "the case's own"  # the physics selector's entry for the case's terms

# The fields the map can show, in menu order (labels, units and scales from the catalogue).
FIELDS: dict[str, Field] = {
    name: CATALOGUE[name]
    for name in ("u", "v", "temperature", "surface_pressure", "specific_humidity",
                 "precipitation_rate", "evaporation_rate")
}  # fmt: skip


def _is_moist(case: str) -> bool:
    """Whether a named case carries humidity (the case registry says so)."""
    return get_case(case).moist


def _chosen_terms(case: str, names: Sequence[str] | None) -> tuple[PhysicsTerm, ...]:
    """The terms of the physics chosen by name: the case's own for None; in `names`, "the
    case's own" stands for the case's terms (summed first). ValueError on an unknown name."""
    own = get_case(case).physics
    if names is None:
        return own
    return (own if _CASE_OWN in names else ()) + terms_by_name(
        name for name in names if name != _CASE_OWN
    )


def _fields_for(case: str, physics: Sequence[str] | None = None) -> list[str]:
    """The fields a case's `model.decode` gives (before a model exists to ask): the
    prognostics, humidity if moist, then what its physics terms (or `physics`) diagnose."""
    spec = get_case(case)
    names = ["u", "v", "temperature", "surface_pressure"]
    if spec.moist:
        names.append("specific_humidity")
    for term in _chosen_terms(case, physics):
        names += [name for name in term.diagnosed if name not in names]
    return names


class ForecastStepper(SteppingExplorer):
    """Interactive primitive-equation forecast: choose a case and grid, build, step and run it.

    Display it as the last expression of a cell. Attributes:
      model, state: the built `PrimitiveEquationsModel` and its current state (None before
        `build`); time_s: simulated seconds since the initial state.
      picker: the `ResolutionPicker` (its apply button is "Build / reset").
      physics: a SelectMultiple of "the case's own" and the registered terms by name
        (`PHYSICS_TERMS`); nothing selected means no physics. `physics_names` reads it.
      figure: the matplotlib figure (map and spectrum); field: the map's field in SI units;
        spectrum: the kinetic-energy spectrum drawn (m² s⁻², n = 0…N).
      last_error: the message shown in red in the status line, or None.
    """

    def __init__(
        self,
        case: str = "jablonowski_williamson",
        resolution: str = "T21",
        layers: int = 8,
        dt: float | None = None,
        *,
        variable: str = "surface_pressure",
        level: float = 0.85,
        interval_hours: float = 6.0,
        physics: Sequence[str] | None = None,
        build: bool = True,
    ) -> None:
        if case not in PRIMITIVE_CASES:
            raise ValueError(f"unknown case {case!r}; valid cases: {', '.join(PRIMITIVE_CASES)}")
        physics = None if physics is None else tuple(physics)
        physics = () if physics == ("none",) else physics
        fields = _fields_for(case, physics)  # ValueError on an unknown physics term
        if variable not in fields:
            raise ValueError(
                f"unknown variable {variable!r} for {case}; valid: {', '.join(fields)}"
            )
        self.picker = ResolutionPicker(
            resolution,
            layers,
            dt,
            interval_hours,
            tracers=int(_is_moist(case)),
            apply_label="Build / reset",
        )
        self._init_stepping(self.picker.apply_button)
        self.field: np.ndarray | None = None
        self.spectrum: np.ndarray | None = None
        self._level_sigma = float(level)
        self._built: tuple[str, RunSettings, tuple[str, ...] | None] | None = None
        self._initial_spectra: np.ndarray | None = None
        self._quiet = False  # True while options are being rebuilt (no redraw per change)

        wide = {"description_width": "initial"}
        self.case = widgets.Dropdown(
            options=[
                (f"{name}: {spec.description}", name) for name, spec in PRIMITIVE_CASES.items()
            ],
            value=case,
            description="Case",
            style=wide,
            layout=widgets.Layout(width="640px"),
        )
        self.run_until = widgets.FloatText(
            value=get_case(case).days,
            description="Run until day",
            style=wide,
            layout=widgets.Layout(width="180px"),
        )
        self.physics = widgets.SelectMultiple(
            options=[(_CASE_OWN, _CASE_OWN)] + [(name, name) for name in PHYSICS_TERMS],
            value=(_CASE_OWN,) if physics is None else physics,
            description="Physics",
            rows=min(len(PHYSICS_TERMS) + 1, 5),
            style=wide,
            layout=widgets.Layout(width="420px"),
        )
        self.variable = widgets.Dropdown(description="Show", style=wide)
        self.level = widgets.Dropdown(description="Level", style=wide)
        self.status = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(min_height="370px"))
        self._set_variable_options(case, variable)

        self.picker.on_apply(lambda _: self._guard(self.build))
        self.picker.on_change(lambda _: self._update_text())
        self.case.observe(self._case_changed, names="value")
        self.physics.observe(lambda _: self._update_text(), names="value")
        self.variable.observe(self._choice_changed, names="value")
        self.level.observe(self._choice_changed, names="value")

        self.widget = widgets.VBox(
            [
                self.case,
                self.physics,
                self.picker.widget,
                widgets.HBox(
                    [self.step_button, self.run_button, self.pause_button, self.run_until]
                ),
                self.status,
                widgets.HBox([self.variable, self.level]),
                self.output,
            ]
        )
        self._update_text()
        if build:
            self.build()

    # -------------------------------------------------------------------------- properties
    @property
    def sigma(self) -> np.ndarray:
        """σ at the layer centres of the built model (empty before `build`)."""
        return np.asarray(self.model.coords.centers) if self.model is not None else np.zeros(0)

    @property
    def physics_names(self) -> tuple[str, ...] | None:
        """The physics chosen: None for the case's own alone, else the names in menu order,
        where "the case's own" stands for the case's terms (summed first)."""
        chosen = tuple(self.physics.value)
        return None if chosen == (_CASE_OWN,) else chosen

    # ------------------------------------------------------------------------- actions
    def build(self) -> bool:
        """Build the model for the current case and picker settings at time 0. False on error."""
        self.stop()
        self.last_error = None
        problems = self.picker.problems()
        if problems:
            self._show_error(ValueError(problems[0]))
            return False
        settings, case = self.picker.settings, self.case.value
        try:
            model = PrimitiveEquationsModel.from_case(
                case,
                settings.resolution,
                layers=settings.layers,
                dt=settings.dt_s,
                physics=_chosen_terms(case, self.physics_names),
            )
            spectra = model.energy_spectrum(model.initial_state)
        except Exception as err:  # shown to the student instead of a traceback
            self._show_error(err)
            return False
        self._start(model)
        self._built = (case, settings, self.physics_names)
        self._initial_spectra = spectra
        self._set_level_options()
        self._set_variable_options(case, names=list(model.decode(model.initial_state)))
        self._guard(self.redraw)
        self._update_text()
        return self.last_error is None

    def select(self, variable: str | None = None, level: float | None = None) -> bool:
        """Choose the variable and the σ level (nearest layer) and redraw. False on error."""
        self.last_error = None
        names = [value for _, value in self.variable.options]
        if variable is not None and variable not in names:
            self._show_error(
                ValueError(f"unknown variable {variable!r}; this case has {', '.join(names)}")
            )
            return False
        self._quiet = True
        try:
            if variable is not None:
                self.variable.value = variable
            if level is not None:
                self._level_sigma = float(level)
                if self.model is not None:
                    self.level.value = int(np.argmin(np.abs(self.sigma - self._level_sigma)))
        finally:
            self._quiet = False
        self._guard(self.redraw)
        self._update_text()
        return self.last_error is None

    def redraw(self) -> None:
        """Draw the map of the chosen field and the spectrum of the chosen level."""
        if self.model is None:
            return
        with self.forecast.lock:
            model, state, time_s = self.model, self.state, self.time_s
            name, k = self.variable.value, int(self.level.value or 0)
            spec = FIELDS[name]
            fields = model.decode(state)
            field = fields[name]
            layered = field.ndim == 3
            self.field = field[k] if layered else field
            spectra = model.energy_spectrum(state)
            self.spectrum = spectra[k]
            sigma = self.sigma[k]
            when = format_time(time_s).split(" (")[0]
            where = f" at σ = {sigma:.2f}" if layered else ""
            plot_map(
                self.field * spec.display_scale,
                np.degrees(model.grid.latitudes),
                np.degrees(model.grid.longitudes),
                ax=self._map_ax,
                symmetric=spec.diverging,
                units=spec.display_units,
                title=f"{spec.label}{where}, {when}",
            )
            n = np.arange(self.spectrum.size)
            ax = self._spectrum_ax
            ax.clear()
            if time_s > 0 and self._initial_spectra is not None:
                plot_energy_spectrum(
                    n, self._initial_spectra[k], ax=ax, label="day 0", reference_slope=None
                )
                ax.lines[-1].set_color("0.65")
            if np.any(self.spectrum[1:] > 0):
                plot_energy_spectrum(
                    n,
                    self.spectrum,
                    ax=ax,
                    label=f"day {time_s / SECONDS_PER_DAY:.3g}",
                    title=f"kinetic energy, σ = {sigma:.2f}, {model.grid.name}",
                )
                bottom, top = ax.get_ylim()
                ax.set_ylim(max(bottom, top * 1e-10), top)
            else:
                ax.set_title(f"kinetic energy, σ = {sigma:.2f}: no motion yet")
            show_figure(self.output, self.figure)

    # ---------------------------------------------------------------------- internals
    def _interval_steps(self) -> int:
        """Time steps in one output interval of the built model; ValueError if dt does not
        divide it."""
        model = self._require_model()
        seconds = float(self.picker.interval.value)
        n = seconds / model.dt_s
        if n < 1 - 1e-9 or abs(n - round(n)) > 1e-6:
            raise ValueError(
                f"the model's dt = {model.dt_s:g} s does not divide the output interval "
                f"({seconds:g} s): choose another interval, or another dt and Build / reset"
            )
        return int(round(n))

    def _build_allowed(self) -> bool:
        return self.picker.valid

    def _measured(self, seconds_per_step: float) -> None:
        self.picker.set_measured_seconds_per_step(seconds_per_step, self._built[1])

    def _set_variable_options(
        self, case: str, variable: str | None = None, names: list[str] | None = None
    ) -> None:
        names = [n for n in (names or _fields_for(case)) if n in FIELDS]
        current = variable or self.variable.value
        self._quiet = True
        try:
            self.variable.options = [(FIELDS[name].label, name) for name in names]
            self.variable.value = current if current in names else "surface_pressure"
        finally:
            self._quiet = False

    def _set_level_options(self) -> None:
        sigma = self.sigma
        self._quiet = True
        try:
            self.level.options = [(f"σ = {s:.3f}", k) for k, s in enumerate(sigma)]
            self.level.value = int(np.argmin(np.abs(sigma - self._level_sigma)))
        finally:
            self._quiet = False

    def _built_key(self) -> tuple | None:
        if self._built is None:
            return None
        case, s, physics = self._built
        return (case, s.resolution, s.layers, s.dt_s, physics)

    def _wanted_key(self) -> tuple:
        s = self.picker.settings
        return (self.case.value, s.resolution, s.layers, s.dt_s, self.physics_names)

    def _case_changed(self, change: dict) -> None:
        case = change["new"]
        self.run_until.value = get_case(case).days
        self.picker.tracers = int(_is_moist(case))
        self._set_variable_options(case)
        self._update_text()

    def _choice_changed(self, change: dict) -> None:
        if self._quiet:
            return
        if change["owner"] is self.level and self.model is not None and change["new"] is not None:
            self._level_sigma = float(self.sigma[int(change["new"])])
        self.last_error = None
        self._guard(self.redraw)
        self._update_text()

    def _update_text(self) -> None:
        parts = []
        if self.model is None:
            parts.append("No model yet: press Build / reset.")
        else:
            m = self.model
            parts.append(f"{m.name} at {m.grid.name} L{m.coords.layers}, dt = {m.dt_s:g} s")
            parts.append(format_time(self.time_s))
            if self.sim_days_per_s:
                parts.append(
                    f"model speed {self.sim_days_per_s:.3g} simulated days per wall second "
                    f"({self.seconds_per_step * 1e3:.3g} ms per step)"
                )
            if self.field is not None:
                spec = FIELDS[self.variable.value]
                lo, hi = np.nanmin(self.field), np.nanmax(self.field)
                lo, hi = lo * spec.display_scale, hi * spec.display_scale
                parts.append(f"{spec.label} from {lo:.4g} to {hi:.4g} {spec.display_units}")
        if self._running:
            parts.append("running… (Pause stops after this interval)")
        text = "<b>" + html.escape(" · ".join(parts[:2])) + "</b>"
        if parts[2:]:
            text += " · " + html.escape(" · ".join(parts[2:]))
        if self.model is not None and self._built_key() != self._wanted_key():
            text += "<br><i>Settings changed: press Build / reset to apply them.</i>"
        if self.last_error:
            text += "<br>" + status_html(self.last_error, error=True)
        self.status.value = text
