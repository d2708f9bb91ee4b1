"""`TendencyExplorer`: where does a hybrid model's tendency come from — dynamics, classical
physics or the network?

For one state of a `ngcm_lab.hybrid_model.HybridModel`, `HybridModel.tendencies(params, state)`
splits ∂X/∂t of u, v, temperature (and specific humidity) into the dynamical core's terms
("dynamics"), its classical forcing ("physics", e.g. Held–Suarez or the simple moist physics;
zero for a dycore without forcing) and the column network ("network"). The explorer shows the
chosen variable and term as a map on a σ level, a zonal-mean latitude–σ section, and the column
profile of all three terms (and their sum) at a chosen latitude and longitude. Values are shown
per day (e.g. K day⁻¹), converted from the SI per-second tendencies of the package. No physics
here; every control is also a method (`select`, `set_point`, `set_state`); errors go to the
status line.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ngcm_lab.fields import CATALOGUE, Field
from ngcm_lab.plotting import plot_column_profile, plot_map, plot_zonal_mean_section
from ngcm_lab.widgets._common import (
    ReportsErrors,
    format_lat_lon,
    nearest_column,
    show_figure,
    status_html,
)

TERMS = ("dynamics", "physics", "network")
TOTAL = "total"


# The variables whose tendencies are shown (labels, units and scales from the catalogue).
DISPLAY: dict[str, Field] = {
    name: CATALOGUE[name] for name in ("u", "v", "temperature", "specific_humidity")
}


class TendencyExplorer(ReportsErrors):
    """Maps, a zonal-mean section and column profiles of a hybrid model's tendency terms.

    Args:
      hybrid: a `HybridModel`; params: its network parameters.
      state: a `HybridState` (default ``hybrid.initial_state()``).
      variable: "u", "v", "temperature" or "specific_humidity" (moist models).
      term: "dynamics", "physics", "network" or "total" (their sum) for the map and section.
      level: σ of the map's layer (nearest); lat, lon: the column in degrees.

    Attributes: ``tendencies`` ({term: {variable: (L, nlat, nlon)}} in SI s⁻¹, as returned by
    `HybridModel.tendencies`), ``field`` (the map drawn, display units), ``profiles``
    ({term: (L,)} at the column, display units), ``figure``, ``last_error``.
    """

    def __init__(
        self,
        hybrid: Any,
        params: Any,
        state: Any = None,
        *,
        variable: str = "temperature",
        term: str = "physics",
        level: float = 0.85,
        lat: float = 45.0,
        lon: float = 0.0,
    ) -> None:
        self.hybrid = hybrid
        self.params = params
        self.state = hybrid.initial_state() if state is None else state
        variables = list(hybrid.output_variables)
        if variable not in variables:
            raise ValueError(f"unknown variable {variable!r}; valid: {', '.join(variables)}")
        if term not in (*TERMS, TOTAL):
            raise ValueError(f"unknown term {term!r}; valid: {', '.join((*TERMS, TOTAL))}")
        grid = hybrid.grid
        self._lat = np.degrees(grid.latitudes)
        self._lon = np.degrees(grid.longitudes)
        self.sigma = np.asarray(hybrid.dycore.coords.centers)
        self.tendencies: dict[str, dict[str, np.ndarray]] | None = None
        self.field: np.ndarray | None = None
        self.profiles: dict[str, np.ndarray] | None = None
        self.last_error: str | None = None
        self._column = nearest_column(lat, lon, self._lat, self._lon)
        self._point = (float(lat), float(lon))
        self._quiet = False

        import cartopy.crs as ccrs

        self.figure = Figure(figsize=(14.0, 4.4))
        FigureCanvasAgg(self.figure)
        gs = self.figure.add_gridspec(
            1, 3, width_ratios=[1.6, 1.15, 0.75], left=0.01, right=0.98, bottom=0.14, top=0.9
        )
        gs.update(wspace=0.28)
        self._map_ax = self.figure.add_subplot(gs[0], projection=ccrs.Robinson())
        self._section_ax = self.figure.add_subplot(gs[1])
        self._profile_ax = self.figure.add_subplot(gs[2])

        wide = {"description_width": "initial"}
        self.variable = widgets.Dropdown(
            options=[(f"{DISPLAY[v].tendency_label} ({v})", v) for v in variables],
            value=variable,
            description="Variable",
            style=wide,
        )
        self.term = widgets.Dropdown(
            options=[(name, name) for name in (*TERMS, TOTAL)],
            value=term,
            description="Term",
            style=wide,
            layout=widgets.Layout(width="200px"),
        )
        self.level = widgets.Dropdown(
            options=[(f"σ = {s:.3f}", k) for k, s in enumerate(self.sigma)],
            value=int(np.argmin(np.abs(self.sigma - float(level)))),
            description="Level",
            style=wide,
            layout=widgets.Layout(width="180px"),
        )
        self.lat = widgets.FloatText(
            value=float(lat),
            description="Column lat",
            style=wide,
            layout=widgets.Layout(width="160px"),
        )
        self.lon = widgets.FloatText(
            value=float(lon),
            description="lon",
            style=wide,
            layout=widgets.Layout(width="130px"),
        )
        self.status = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(min_height="400px"))
        for control in (self.variable, self.term, self.level):
            control.observe(self._choice_changed, names="value")
        for control in (self.lat, self.lon):
            control.observe(self._point_changed, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.variable, self.term, self.level, self.lat, self.lon]),
                self.status,
                self.output,
            ]
        )
        self.set_state(self.state)

    # ------------------------------------------------------------------------- actions
    def set_state(self, state: Any, params: Any = None) -> bool:
        """Recompute the tendencies for a new state (and parameters) and redraw."""
        self.last_error = None
        self._progress("computing the tendencies (the first time also compiles them)…")
        try:
            params = self.params if params is None else params
            tendencies = self.hybrid.tendencies(params, state)
        except Exception as err:
            self._show_error(err)
            return False
        self.state, self.params, self.tendencies = state, params, tendencies
        return self.redraw()

    def select(
        self, variable: str | None = None, term: str | None = None, level: float | None = None
    ) -> bool:
        """Choose variable, term and σ level (nearest layer), then redraw. False on error."""
        self.last_error = None
        try:
            if variable is not None and variable not in self.hybrid.output_variables:
                raise ValueError(
                    f"unknown variable {variable!r}; this model has "
                    f"{', '.join(self.hybrid.output_variables)}"
                )
            if term is not None and term not in (*TERMS, TOTAL):
                raise ValueError(f"unknown term {term!r}; choose {', '.join((*TERMS, TOTAL))}")
        except ValueError as err:
            self._show_error(err)
            return False
        self._quiet = True
        try:
            if variable is not None:
                self.variable.value = variable
            if term is not None:
                self.term.value = term
            if level is not None:
                self.level.value = int(np.argmin(np.abs(self.sigma - float(level))))
        finally:
            self._quiet = False
        return self.redraw()

    def set_point(self, lat: float, lon: float) -> bool:
        """Choose the column (nearest grid point to lat, lon in degrees) and redraw."""
        self.last_error = None
        try:
            column = nearest_column(lat, lon, self._lat, self._lon)
        except (TypeError, ValueError) as err:
            self._show_error(ValueError(str(err)))
            return False
        self._column, self._point = column, (float(lat), float(lon))
        self._quiet = True
        try:
            self.lat.value, self.lon.value = float(lat), float(lon)
        finally:
            self._quiet = False
        return self.redraw()

    def term_field(self, term: str, variable: str) -> np.ndarray:
        """One term's tendency (``"total"``: the sum) of a variable, (L, nlat, nlon), SI s⁻¹."""
        if term == TOTAL:
            return sum(self.tendencies[t][variable] for t in TERMS)
        return self.tendencies[term][variable]

    def redraw(self) -> bool:
        """Draw map, section and profiles for the current choices. False on error."""
        if self.tendencies is None:
            return False
        try:
            name, term, k = self.variable.value, self.term.value, int(self.level.value)
            spec = DISPLAY[name]
            scale, units, label = (
                spec.tendency_display_scale,
                spec.tendency_display_units,
                spec.tendency_label,
            )
            values = self.term_field(term, name) * scale
            j, i = self._column
            profiles = {t: self.term_field(t, name)[:, j, i] * scale for t in (*TERMS, TOTAL)}
            what = f"{label} from {term}" if term != TOTAL else f"{label}, all terms"
            if not np.any(values):
                what += " (zero everywhere)"
            plot_map(
                values[k],
                self._lat,
                self._lon,
                ax=self._map_ax,
                symmetric=True,
                units=units,
                title=f"{what}, σ = {self.sigma[k]:.2f}",
            )
            import cartopy.crs as ccrs

            self._map_ax.plot(
                self._lon[i],
                self._lat[j],
                marker="x",
                color="k",
                markersize=9,
                mew=2,
                transform=ccrs.PlateCarree(),
            )
            plot_zonal_mean_section(
                values,
                self._lat,
                self.sigma,
                ax=self._section_ax,
                symmetric=True,
                units=units,
                contour_lines=False,
                title=f"zonal mean, {term}",
            )
            self._section_ax.axhline(self.sigma[k], color="k", linewidth=0.8, linestyle=":")
            ax = self._profile_ax
            ax.clear()
            plot_column_profile(
                profiles,
                self.sigma,
                ax=ax,
                xlabel=f"{label} ({units})",
                title=format_lat_lon(self._lat[j], self._lon[i]),
            )
            ax.lines[-1].set(color="k", linewidth=2.0)  # the total
            ax.legend(frameon=False, fontsize=8)
            ax.axvline(0.0, color="0.5", linewidth=0.6)
            show_figure(self.output, self.figure)
        except Exception as err:
            self._show_error(err)
            return False
        self.field, self.profiles = values[k], profiles
        self._update_text()
        return True

    # ---------------------------------------------------------------------- internals
    def _choice_changed(self, _: dict) -> None:
        if not self._quiet:
            self.last_error = None
            self.redraw()

    def _point_changed(self, _: dict) -> None:
        if not self._quiet:
            self.set_point(self.lat.value, self.lon.value)

    def _progress(self, text: str) -> None:
        self.status.value = status_html(text)

    def _update_text(self) -> None:
        parts = []
        if self.field is not None and self.profiles is not None:
            spec = DISPLAY[self.variable.value]
            units = spec.tendency_display_units
            j, i = self._column
            if not np.any(self.field):
                parts.append(f"<i>{html.escape(self.term.value)} is zero everywhere here</i>")
            parts.append(
                f"<b>{html.escape(spec.tendency_label)} from {html.escape(self.term.value)}</b> at "
                f"σ = {self.sigma[int(self.level.value)]:.2f}: "
                f"{np.min(self.field):.3g} to {np.max(self.field):.3g} {units}"
            )
            k = int(self.level.value)
            at = ", ".join(f"{t} {self.profiles[t][k]:+.3g}" for t in (*TERMS, TOTAL))
            parts.append(
                f"column at {format_lat_lon(self._lat[j], self._lon[i])} (nearest grid "
                f"point), σ = {self.sigma[k]:.2f}: {html.escape(at)} {units}"
            )
        text = "<br>".join(parts)
        if self.last_error:
            text += ("<br>" if text else "") + status_html(self.last_error, error=True)
        self.status.value = text
