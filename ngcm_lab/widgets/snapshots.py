"""`SnapshotViewer`: step through the saved outputs of a forecast, one map at a time.

Give it the `xarray.Dataset` of `trajectory_to_dataset(model, model.run(...))` (any dataset whose
variables have `time`, `lat` and `lon` dimensions, optionally `level`). A slider (with a Play
button) picks the output time, dropdowns pick the variable and, for layered variables, the σ
level. The colour levels of a variable are fixed over all times, so growth and decay are seen as
colour, not hidden by a rescaled colour bar. No physics: it only reads and plots the dataset.
Only APIs common to ipywidgets 7.6+ and 8 are used; errors are shown in the status line.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ngcm_lab.plotting import LAT_NAMES, LON_NAMES, plot_map
from ngcm_lab.widgets._common import Shown, show_figure, status_html
from ngcm_lab.widgets._stepping import format_time

# Friendlier display units for a few SI units (presentation only).
_DISPLAY_UNITS: dict[str, tuple[float, str]] = {"Pa": (0.01, "hPa"), "s-1": (1e5, "10⁻⁵ s⁻¹")}


def _spatial_names(dataset: Any) -> tuple[str, str]:
    lat = next((name for name in LAT_NAMES if name in dataset.dims), None)
    lon = next((name for name in LON_NAMES if name in dataset.dims), None)
    if lat is None or lon is None:
        raise ValueError(
            f"dataset needs latitude and longitude dimensions named one of {LAT_NAMES} and "
            f"{LON_NAMES}; it has {tuple(dataset.dims)}"
        )
    return lat, lon


class SnapshotViewer(Shown):
    """Browse a trajectory dataset: time slider (and Play), variable and σ-level choices, a map.

    ``variable`` names the field shown first and ``level`` the σ value whose nearest layer is
    shown for layered variables (default: the lowest layer, nearest the surface). ``levels`` is
    the number of colour intervals, ``projection`` a cartopy CRS for the map (default Robinson).
    Display the viewer as the last expression of a cell. Attributes:
      figure: the matplotlib figure shown in the widget; time_index: the time shown.
      field: the 2-D array last drawn (display units); color_levels: its fixed colour levels.
      last_error: the message shown in red in the status line, or None.
    """

    def __init__(
        self,
        dataset: Any,
        variable: str | None = None,
        level: float | None = None,
        *,
        time_index: int = 0,
        levels: int = 12,
        projection: Any = None,
        cmap: Any = None,
    ) -> None:
        if "time" not in dataset.dims or dataset.sizes["time"] < 1:
            raise ValueError("SnapshotViewer needs a dataset with a non-empty 'time' dimension")
        self.dataset = dataset
        self._lat, self._lon = _spatial_names(dataset)
        self._variables = [
            name
            for name, da in dataset.data_vars.items()
            if {"time", self._lat, self._lon} <= set(da.dims)
            and len(da.dims) <= 4
            and np.issubdtype(da.dtype, np.number)
        ]
        if not self._variables:
            raise ValueError("the dataset has no variable on (time, lat, lon) to show")
        self._n_levels = int(levels)
        self._cmap = cmap
        self._level_cache: dict[tuple[str, int], np.ndarray] = {}
        self._sigma = self._level_values(dataset)
        self._lead_s = self._lead_seconds(dataset)
        # Longitudes in [-180°, 180°): with 0…360° data cartopy mis-fills the polar caps of
        # projections centred on 180° (the data seam then lies on the map's edge).
        lon = np.asarray(dataset[self._lon].values, np.float64)
        self._lon_wrapped = (lon + 180.0) % 360.0 - 180.0
        self._lon_order = np.argsort(self._lon_wrapped, kind="stable")
        self._time_index = 0
        self._drawing = False
        self.last_error: str | None = None
        self.field: np.ndarray | None = None
        self.color_levels: np.ndarray | None = None

        import cartopy.crs as ccrs

        self.figure = Figure(figsize=(8.0, 4.6))
        FigureCanvasAgg(self.figure)
        # Fixed margins (no constrained layout, which is slow); plot_map puts the colour bar below.
        self._ax = self.figure.add_axes(
            (0.01, 0.0, 0.98, 0.95), projection=projection or ccrs.Robinson()
        )

        wide = {"description_width": "initial"}
        n_times = dataset.sizes["time"]
        self.slider = widgets.IntSlider(
            value=0,
            min=0,
            max=n_times - 1,
            description="Output",
            continuous_update=False,
            style=wide,
            layout=widgets.Layout(width="420px"),
        )
        self.play = widgets.Play(value=0, min=0, max=n_times - 1, interval=700, description="Play")
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.variable = widgets.Dropdown(
            options=[(self._label(name), name) for name in self._variables],
            value=self._variables[0],
            description="Variable",
            style=wide,
        )
        self.level = widgets.Dropdown(
            options=[(f"σ = {s:.3f}", i) for i, s in enumerate(self._sigma)] or [("—", 0)],
            value=max(len(self._sigma) - 1, 0),
            description="Level",
            style=wide,
        )
        self.status = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(min_height="420px"))

        self.slider.observe(self._time_changed, names="value")
        self.variable.observe(self._choice_changed, names="value")
        self.level.observe(self._choice_changed, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.play, self.slider]),
                widgets.HBox([self.variable, self.level]),
                self.status,
                self.output,
            ]
        )
        self.select(variable, level, time_index=time_index)

    # ----------------------------------------------------------------------------- display
    @property
    def time_index(self) -> int:
        """Index along `time` of the snapshot shown."""
        return self._time_index

    @property
    def variables(self) -> list[str]:
        """Names of the variables that can be shown."""
        return list(self._variables)

    # ------------------------------------------------------------------------- actions
    def show(self, time_index: int) -> bool:
        """Show the snapshot at ``time_index`` (negative counts from the end). False on error."""
        n_times = self.dataset.sizes["time"]
        try:
            index = int(time_index)
            if not -n_times <= index < n_times:
                raise ValueError(
                    f"time index {time_index} is out of range: the dataset has {n_times} "
                    f"outputs (0 … {n_times - 1})"
                )
        except (TypeError, ValueError) as err:
            self._show_error(err)
            return False
        self._time_index = index % n_times
        if self.slider.value != self._time_index:
            self._drawing = True  # the slider observer would redraw a second time
            try:
                self.slider.value = self._time_index
            finally:
                self._drawing = False
        return self.redraw()

    def select(
        self,
        variable: str | None = None,
        level: float | None = None,
        *,
        time_index: int | None = None,
    ) -> bool:
        """Choose the variable and the σ level (nearest layer), then redraw. False on error.

        An unknown variable is explained in the status line and the current one is kept.
        """
        self.last_error = None
        error = None
        if variable is not None and variable not in self._variables:
            error = f"unknown variable {variable!r}; this dataset has {', '.join(self._variables)}"
            variable = None
        self._drawing = True
        try:
            if variable is not None:
                self.variable.value = variable
            if level is not None and self._sigma.size:
                self.level.value = int(np.argmin(np.abs(self._sigma - float(level))))
        except (TypeError, ValueError) as err:
            error = f"invalid level {level!r}: {err}"
        finally:
            self._drawing = False
        ok = self.show(self._time_index if time_index is None else time_index)
        if error is not None:
            self._show_error(ValueError(error))
            return False
        return ok

    def redraw(self) -> bool:
        """Draw the current choice into the figure and the widget. False on error."""
        try:
            name = self.variable.value
            da = self._selection(name)
            scale, units = self._display_units(name)
            values = np.asarray(da.isel(time=self._time_index).values, np.float64) * scale
            color_levels = self._fixed_levels(name) * scale
            symmetric = bool(np.isclose(color_levels[0], -color_levels[-1]))
            plot_map(
                values[:, self._lon_order],
                np.asarray(self.dataset[self._lat].values, np.float64),
                self._lon_wrapped[self._lon_order],
                ax=self._ax,
                levels=color_levels,
                symmetric=symmetric,
                cmap=self._cmap or ("RdBu_r" if symmetric else "viridis"),
                units=units,
                title=f"{self._label(name)}{self._level_text(name)}, {self._time_text()}",
            )
            show_figure(self.output, self.figure)
        except Exception as err:  # shown to the student instead of a traceback
            self._show_error(err)
            return False
        self.field, self.color_levels = values, color_levels
        self.last_error = None
        self.level.disabled = not self._is_layered(name)
        self._update_text()
        return True

    # ---------------------------------------------------------------------- internals
    def _is_layered(self, name: str) -> bool:
        return len(self.dataset[name].dims) == 4

    def _selection(self, name: str) -> Any:
        """The variable as (time, lat, lon): the chosen layer of a layered variable."""
        da = self.dataset[name]
        if self._is_layered(name):
            level_dim = next(d for d in da.dims if d not in ("time", self._lat, self._lon))
            da = da.isel({level_dim: int(self.level.value)})
        return da.transpose("time", self._lat, self._lon)

    def _fixed_levels(self, name: str) -> np.ndarray:
        """Colour levels spanning the field over all times (per variable and layer), in SI."""
        key = (name, int(self.level.value) if self._is_layered(name) else -1)
        if key not in self._level_cache:
            values = np.asarray(self._selection(name).values, np.float64)
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                raise ValueError(f"{name} has no finite values to show")
            lo, hi = float(finite.min()), float(finite.max())
            if lo < 0 < hi and min(-lo, hi) > 0.1 * max(-lo, hi):  # signed field: centre on 0
                lo, hi = -max(-lo, hi), max(-lo, hi)
            if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1.0):
                pad = max(abs(hi) * 1e-3, 1e-12)
                lo, hi = lo - pad, hi + pad
            locator = MaxNLocator(nbins=self._n_levels, symmetric=lo == -hi)
            self._level_cache[key] = locator.tick_values(lo, hi)
        return self._level_cache[key]

    def _display_units(self, name: str) -> tuple[float, str]:
        units = str(self.dataset[name].attrs.get("units", ""))
        return _DISPLAY_UNITS.get(units, (1.0, units))

    def _label(self, name: str) -> str:
        return str(self.dataset[name].attrs.get("long_name", name))

    def _level_text(self, name: str) -> str:
        if not self._is_layered(name) or not self._sigma.size:
            return ""
        return f" at σ = {self._sigma[int(self.level.value)]:.3f}"

    def _time_text(self) -> str:
        if self._lead_s is not None:
            return format_time(float(self._lead_s[self._time_index]))
        return str(self.dataset["time"].values[self._time_index])

    @staticmethod
    def _level_values(dataset: Any) -> np.ndarray:
        """σ at the layers (the `sigma` coordinate), or the `level` values, or 0, 1, …"""
        if "level" not in dataset.dims:
            return np.zeros(0)
        for name in ("sigma", "level"):
            if name in dataset.coords and dataset[name].dims == ("level",):
                values = np.asarray(dataset[name].values)
                if np.issubdtype(values.dtype, np.number):
                    return values.astype(np.float64)
        return np.arange(dataset.sizes["level"], dtype=np.float64)

    @staticmethod
    def _lead_seconds(dataset: Any) -> np.ndarray | None:
        """Seconds since the first output: `lead_time`, or `time` minus its first value."""
        for name in ("lead_time", "time"):
            if name not in dataset.coords:
                continue
            values = np.asarray(dataset[name].values)
            if np.issubdtype(values.dtype, np.timedelta64):
                return values.astype("timedelta64[ns]").astype(np.float64) / 1e9
            if np.issubdtype(values.dtype, np.datetime64):
                delta = values - values[0]
                return delta.astype("timedelta64[ns]").astype(np.float64) / 1e9
        return None

    def _time_changed(self, change: dict) -> None:
        if not self._drawing:
            self.show(change["new"])

    def _choice_changed(self, _: dict) -> None:
        if not self._drawing:
            self.last_error = None
            self.redraw()

    def _show_error(self, err: BaseException) -> None:
        if isinstance(err, ValueError | KeyError | IndexError):
            self.last_error = str(err).strip("'\"")
        else:
            self.last_error = f"unexpected {type(err).__name__}: {err}"
        self._update_text()

    def _update_text(self) -> None:
        name = self.variable.value
        n_times = self.dataset.sizes["time"]
        text = (
            f"<b>{html.escape(self._time_text())}</b> · output {self._time_index + 1} of "
            f"{n_times} · {html.escape(self._label(name) + self._level_text(name))}"
        )
        if self.field is not None:
            _, units = self._display_units(name)
            text += html.escape(
                f" · min {np.nanmin(self.field):.4g}, max {np.nanmax(self.field):.4g} {units}"
            ).rstrip()
        if self.last_error:
            text += "<br>" + status_html(self.last_error, error=True)
        self.status.value = text
