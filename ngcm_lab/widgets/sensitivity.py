"""`SensitivityExplorer`: which initial perturbations change a forecast at one point the most?

Choose a target — a variable at a σ level and a point (lat, lon) at the end of an N-step forecast
of a `PrimitiveEquationsModel` — and the explorer computes, with one reverse-mode pass of
`jax.grad` through `model.rollout(state, N)` (the *adjoint* of the model), its derivative with
respect to every initial grid-point value of u, v, T on every layer and of p_s.

What is shown. The initial state is perturbed on the grid, X₀ + δX (`model.perturbed`: the
increments encoded as the model encodes fields). With J the target (`model.point_value`) and
g_j = ∂J/∂(δX_j) the gradient at grid point j (area fraction w_j of the sphere), a small
perturbation changes the target by δJ ≈ Σ_j g_j δX_j. The map shows the *sensitivity density*

    S_j = g_j / (w_j · 4πa²) · 10¹² m²,

the change of J per unit change of the initial field spread over an area of 10⁶ km² (a
1000 km × 1000 km patch) around point j, so it does not depend on the grid spacing. Units: the
target's units per initial-field unit per 10⁶ km², e.g. "hPa per (K over 10⁶ km²)"; p_s is shown
in hPa. The sensitivity is linear: it predicts the response to small perturbations, and
`response()` compares that prediction with the actual (nonlinear) change.

No physics here: only the model's own `perturbed`, `rollout` and `point_value`. The point
value is read at the nearest grid point. Every control is also a method (`compute`,
`select_initial`, `set_target`); errors go to the status line. The first computation for a
target variable and lead time compiles the adjoint (tens of seconds at T21); moving the point or
changing the level reuses it. ``compute(blocking=False)`` runs in a background thread and the
Cancel button discards its result (JAX cannot stop a computation half-way).
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ngcm_lab.fields import CATALOGUE, Field
from ngcm_lab.forecast import whole_steps
from ngcm_lab.plotting import plot_map
from ngcm_lab.widgets._common import (
    ReportsErrors,
    format_lat_lon,
    nearest_column,
    show_figure,
    status_html,
)

PATCH_AREA_M2 = 1.0e12  # 10⁶ km²
QUANTITIES: dict[str, Field] = {
    name: CATALOGUE[name] for name in ("u", "v", "temperature", "surface_pressure")
}
SURFACE = ("surface_pressure",)
STAR = {"marker": "*", "color": "k", "markersize": 12, "markerfacecolor": "yellow"}  # the target


def _known(name: str) -> str:
    if name not in QUANTITIES:
        raise ValueError(f"unknown variable {name!r}; valid: {', '.join(QUANTITIES)}")
    return name


class SensitivityExplorer(ReportsErrors):
    """Adjoint sensitivity of a forecast value at one point to the initial fields.

    Args:
      model: a `PrimitiveEquationsModel`; state: the initial state (default its initial state).
      hours: lead time; a whole number of time steps.
      lat, lon: the target point in degrees (nearest grid point).
      variable: target variable ("u", "v", "temperature", "surface_pressure"); level: its σ.
      initial_variable, initial_level: which sensitivity map to show first.
      compute: compute at once (blocking).

    Attributes: ``gradient`` ({variable: ∂J/∂X₀ per grid point, SI}), ``sensitivity`` (the
    densities S in display units, {variable: (L, nlat, nlon) or (nlat, nlon)}), ``value`` (J at
    the final time, display units), ``field`` (the map drawn), ``figure``, ``last_error``.
    """

    def __init__(
        self,
        model: Any,
        state: Any = None,
        *,
        hours: float = 24.0,
        lat: float = 45.0,
        lon: float = 0.0,
        variable: str = "surface_pressure",
        level: float = 0.85,
        initial_variable: str = "temperature",
        initial_level: float = 0.85,
        compute: bool = True,
    ) -> None:
        _known(variable), _known(initial_variable)
        self.model = model
        self.state = model.initial_state if state is None else state
        grid = model.grid
        self.sigma = np.asarray(model.coords.centers)
        self._lat = np.degrees(grid.latitudes)
        self._lon = np.degrees(grid.longitudes)
        area = np.asarray(grid.area_weights) * 4.0 * np.pi * model.scales.radius**2
        self._per_patch = PATCH_AREA_M2 / area
        self._cache: dict[tuple[str, int], Callable] = {}
        self.gradient: dict[str, np.ndarray] | None = None
        self.sensitivity: dict[str, np.ndarray] | None = None
        self.value: float | None = None
        self.field: np.ndarray | None = None
        self.final_fields: dict[str, np.ndarray] | None = None
        self.last_error: str | None = None
        self._target: tuple | None = None  # what the shown gradient is of
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._busy = False
        self._quiet = False

        import cartopy.crs as ccrs

        self.figure = Figure(figsize=(12.5, 4.2))
        FigureCanvasAgg(self.figure)
        gs = self.figure.add_gridspec(
            1, 2, left=0.01, right=0.99, bottom=0.12, top=0.9, wspace=0.05
        )
        self._map_ax = self.figure.add_subplot(gs[0], projection=ccrs.Robinson())
        self._target_ax = self.figure.add_subplot(gs[1], projection=ccrs.Robinson())

        wide = {"description_width": "initial"}
        levels = [(f"σ = {s:.3f}", k) for k, s in enumerate(self.sigma)]
        self.variable = widgets.Dropdown(
            options=[(q.label, n) for n, q in QUANTITIES.items()],
            value=variable,
            description="Target",
            style=wide,
        )
        self.level = widgets.Dropdown(
            options=levels, value=self._nearest(level), description="at", style=wide
        )

        def number(value: float, description: str, width: str = "130px") -> widgets.FloatText:
            layout = widgets.Layout(width=width)
            return widgets.FloatText(
                float(value), description=description, style=wide, layout=layout
            )

        self.lat, self.lon = number(lat, "lat"), number(lon, "lon")
        self.hours = number(hours, "after (hours)", "170px")
        self.compute_button = widgets.Button(
            description="Compute", icon="calculator", button_style="primary"
        )
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", disabled=True)
        self.initial_variable = widgets.Dropdown(
            options=[(f"initial {q.label}", n) for n, q in QUANTITIES.items()],
            value=initial_variable,
            description="Sensitivity to",
            style=wide,
        )
        self.initial_level = widgets.Dropdown(
            options=levels, value=self._nearest(initial_level), description="at", style=wide
        )
        self.status = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(min_height="380px"))

        self.compute_button.on_click(lambda _: self._guard(lambda: self.compute(blocking=False)))
        self.cancel_button.on_click(lambda _: self.cancel())
        for control in (self.initial_variable, self.initial_level):
            control.observe(self._initial_changed, names="value")
        for control in (self.variable, self.level, self.lat, self.lon, self.hours):
            control.observe(lambda _: self._update_text(), names="value")
        buttons = [self.compute_button, self.cancel_button]
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.variable, self.level, self.lat, self.lon, self.hours]),
                widgets.HBox([self.initial_variable, self.initial_level, *buttons]),
                self.status,
                self.output,
            ]
        )
        self._update_levels_enabled()
        self._update_text()
        if compute:
            self.compute()

    # ------------------------------------------------------------------------- actions
    def set_target(
        self,
        variable: str | None = None,
        level: float | None = None,
        lat: float | None = None,
        lon: float | None = None,
        hours: float | None = None,
    ) -> None:
        """Change the target's controls (then `compute`)."""
        self._quiet = True
        try:
            if variable is not None:
                self.variable.value = variable
            if level is not None:
                self.level.value = self._nearest(level)
            if lat is not None:
                self.lat.value = float(lat)
            if lon is not None:
                self.lon.value = float(lon)
            if hours is not None:
                self.hours.value = float(hours)
        finally:
            self._quiet = False
        self._update_levels_enabled()
        self._update_text()

    def compute(self, blocking: bool = True) -> bool:
        """Compute the sensitivity of the current target and redraw. False on error; with
        ``blocking=False`` it runs in a background thread (returns True once started)."""
        if self._busy:
            self._show_error(ValueError("a computation is running: wait, or press Cancel"))
            return False
        self.last_error = None
        try:
            target = self._target_spec()
        except ValueError as err:
            self._show_error(err)
            return False
        self._cancel.clear()
        self._set_busy(True, target)
        if blocking:
            return self._compute(target)
        self._thread = threading.Thread(target=self._compute, args=(target,), daemon=True)
        self._thread.start()
        return True

    def cancel(self) -> None:
        """Discard the running computation's result (it finishes in the background)."""
        if self._busy:
            self._cancel.set()
            self.status.value = status_html("cancelled: the result will be discarded")

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def select_initial(self, variable: str | None = None, level: float | None = None) -> bool:
        """Show the sensitivity to another initial field or level (no recomputation)."""
        self.last_error = None
        try:
            variable = variable if variable is None else _known(variable)
        except ValueError as err:
            self._show_error(err)
            return False
        self._quiet = True
        try:
            if variable is not None:
                self.initial_variable.value = variable
            if level is not None:
                self.initial_level.value = self._nearest(level)
        finally:
            self._quiet = False
        self._update_levels_enabled()
        return self.redraw()

    def response(self, perturbation: dict[str, np.ndarray]) -> tuple[float, float]:
        """(predicted, actual) change of the target for an initial perturbation in SI units
        ({variable: (L, nlat, nlon) or (nlat, nlon) for p_s}; missing variables are zero):
        the linear prediction Σ g δX from the gradient, and the difference of two forecasts.
        Display units (hPa for p_s)."""
        if self.gradient is None or self._target is None:
            raise ValueError("no sensitivity yet: press Compute")
        variable, n, (k, j, i) = self._target
        index = jnp.asarray([k, j, i], jnp.int32)  # as in `_compute`: no recompilation
        zero = self.model.zero_perturbation()
        for name in perturbation:
            _known(name)
        full = {
            name: jnp.asarray(np.broadcast_to(perturbation.get(name, 0.0), z.shape), z.dtype)
            for name, z in zero.items()
        }
        predicted = sum(
            float(np.sum(self.gradient[name] * np.asarray(full[name], np.float64))) for name in full
        )
        function = self._function(variable, n)  # reused: a forward-only version would compile
        base = float(function(zero, self.state, index)[0][0])
        actual = float(function(full, self.state, index)[0][0]) - base
        scale = QUANTITIES[variable].display_scale
        return predicted * scale, actual * scale

    def redraw(self) -> bool:
        """Draw the chosen sensitivity map and the target field. False on error."""
        if self.sensitivity is None:
            return False
        try:
            name = self.initial_variable.value
            k = int(self.initial_level.value)
            field = self._on_level(self.sensitivity[name], name, k)
            target_var, n, (kt, j, i) = self._target
            tq, iq = QUANTITIES[target_var], QUANTITIES[name]
            units = f"{tq.display_units} per ({iq.display_units} over 10⁶ km²)"
            where = self._where(name, k)
            import cartopy.crs as ccrs

            plot_map(
                field,
                self._lat,
                self._lon,
                ax=self._map_ax,
                symmetric=True,
                units=units,
                title=f"sensitivity to initial {iq.label}{where}",
            )
            target_where = self._where(target_var, kt)
            final = self._on_level(self.final_fields[target_var], target_var, kt)
            plot_map(
                final * tq.display_scale,
                self._lat,
                self._lon,
                ax=self._target_ax,
                symmetric=target_var in ("u", "v"),
                units=tq.display_units,
                title=f"target: {tq.label}{target_where} after {self._hours_text(n)}",
            )
            for ax in (self._map_ax, self._target_ax):
                ax.plot(self._lon[i], self._lat[j], transform=ccrs.PlateCarree(), **STAR)
            show_figure(self.output, self.figure)
        except Exception as err:
            self._show_error(err)
            return False
        self.field = field
        self._update_text()
        return True

    # ---------------------------------------------------------------------- internals
    def _nearest(self, sigma: float) -> int:
        return int(np.argmin(np.abs(self.sigma - float(sigma))))

    @staticmethod
    def _on_level(values: np.ndarray, variable: str, k: int) -> np.ndarray:
        return values if variable in SURFACE else values[k]

    def _where(self, variable: str, k: int) -> str:
        return "" if variable in SURFACE else f" at σ = {self.sigma[k]:.2f}"

    def _hours_text(self, n: int) -> str:
        return f"{n * self.model.dt_s / 3600.0:g} h ({n} steps)"

    def _target_spec(self) -> tuple[str, int, tuple[int, int, int]]:
        """(variable, steps, (level, j, i)) of the target; ValueError with the reason."""
        hours = float(self.hours.value)
        n = whole_steps(hours * 3600.0, self.model.dt_s, f"a lead time of {hours:g} hours")
        if n < 1:
            raise ValueError(f"the lead time must be a positive whole number of steps, not {n}")
        j, i = nearest_column(self.lat.value, self.lon.value, self._lat, self._lon)
        return self.variable.value, n, (int(self.level.value), j, i)

    def _function(self, variable: str, n: int) -> Callable:
        """Jitted ``(delta, state, index) -> ((J, final state), ∂J/∂delta)`` for a variable and
        lead time (one compilation gives the value, the final state and the gradient)."""
        key, model = (variable, n), self.model
        if key not in self._cache:

            def target(delta, state, index):
                final = model.rollout(model.perturbed(state, delta), n)
                return model.point_value(final, variable, index), final

            self._cache[key] = jax.jit(jax.value_and_grad(target, has_aux=True))
        return self._cache[key]

    def _compute(self, target: tuple) -> bool:
        variable, n, (k, j, i) = target
        start = time.perf_counter()
        try:
            grad_fn = self._function(variable, n)
            index = jnp.asarray([k, j, i], jnp.int32)
            (value, final), grad = grad_fn(self.model.zero_perturbation(), self.state, index)
            gradient = {name: np.asarray(g, np.float64) for name, g in grad.items()}
            final_fields = self.model.decode(final)
        except Exception as err:
            self._set_busy(False)
            if not self._cancel.is_set():
                self._show_error(err)
            return False
        if self._cancel.is_set():
            self._set_busy(False)
            self.status.value = status_html("cancelled: the result was discarded")
            return False
        scale = QUANTITIES[variable].display_scale
        sensitivity = {  # per display unit of the initial field, per patch, in display units
            name: g / QUANTITIES[name].display_scale * self._per_patch * scale
            for name, g in gradient.items()
        }
        self.gradient, self.sensitivity = gradient, sensitivity
        self.value = float(value) * scale
        self.final_fields = final_fields
        self._target = target
        self._elapsed = time.perf_counter() - start
        self._set_busy(False)
        return self.redraw()

    def _set_busy(self, busy: bool, target: tuple | None = None) -> None:
        self._busy = busy
        self.compute_button.disabled = busy
        self.cancel_button.disabled = not busy
        if busy and target is not None:
            variable, n, _ = target
            compiled = (variable, n) in self._cache
            note = "" if compiled else " (the first time compiles the adjoint: tens of seconds)"
            self.status.value = status_html(
                f"computing the adjoint of a {self._hours_text(n)} forecast{note}…"
            )

    def _update_levels_enabled(self) -> None:
        self.level.disabled = self.variable.value in SURFACE
        self.initial_level.disabled = self.initial_variable.value in SURFACE

    def _initial_changed(self, _: dict) -> None:
        self._update_levels_enabled()
        if not self._quiet:
            self.last_error = None
            self.redraw()

    def _update_text(self) -> None:
        parts = []
        if self._target is not None and self.value is not None:
            variable, n, (k, j, i) = self._target
            q = QUANTITIES[variable]
            where = self._where(variable, k)
            parts.append(
                f"<b>target:</b> {html.escape(q.label)}{where} at "
                f"{format_lat_lon(self._lat[j], self._lon[i])} (nearest grid point) after "
                f"{self._hours_text(n)} = {self.value:.5g} {q.display_units}"
            )
            if self.field is not None:
                parts.append(
                    f"map range {np.min(self.field):.3g} to {np.max(self.field):.3g}; computed "
                    f"in {self._elapsed:.1f} s"
                )
            with contextlib.suppress(ValueError):
                if self._target_spec() != self._target:
                    parts.append("<i>Target changed: press Compute.</i>")
        elif not self._busy:
            parts.append("Choose a target and press Compute.")
        text = "<br>".join(parts)
        if self.last_error:
            text += ("<br>" if text else "") + status_html(self.last_error, error=True)
        if not self._busy:
            self.status.value = text
