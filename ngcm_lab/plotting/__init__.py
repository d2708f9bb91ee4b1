"""One-call figures: maps, spectra, vertical sections and profiles, Hovmöller diagrams,
forecast scores, a hybrid's evaluation and animated maps.

Every function takes plain numpy arrays or ``xarray.DataArray`` objects (latitude/longitude in
degrees; a DataArray's coordinates, ``long_name`` and ``units`` label the figure) and returns the
matplotlib ``Figure`` (``animate_maps`` returns the animation). Given ``ax=``, they draw into
that axes and return ``ax.figure``, so a widget can redraw in place. The active matplotlib
backend is used as it is; figures are made with pyplot, so in a notebook end the call with ``;``
(or assign it) to show the figure once.

Modules: ``maps`` (``plot_map``), ``spectra`` (``plot_energy_spectrum``), ``sections``
(``plot_zonal_mean_section``, ``plot_column_profile``), ``hovmoller`` (``plot_hovmoller``),
``scores`` (``plot_scorecard``), ``evaluation`` (``plot_rmse_by_level``,
``plot_zonal_mean_bias``, ``plot_kinetic_energy_spectra``, ``plot_spread_skill``,
``plot_rank_histogram``: they take the dict
``ngcm_lab.evaluation.evaluate`` returns), ``climate`` (``plot_free_run_climate``, from
``ngcm_lab.free_runs.free_run_climate``), ``timings`` (``plot_step_times``: time per step against
resolution) and ``animation`` (``animate_maps``, ``save_animation``, ``animation_html``).
"""

from ngcm_lab.plotting._common import LAT_NAMES, LON_NAMES
from ngcm_lab.plotting.animation import animate_maps, animation_html, save_animation
from ngcm_lab.plotting.climate import plot_free_run_climate
from ngcm_lab.plotting.evaluation import (
    plot_kinetic_energy_spectra,
    plot_rank_histogram,
    plot_rmse_by_level,
    plot_spread_skill,
    plot_zonal_mean_bias,
)
from ngcm_lab.plotting.hovmoller import plot_hovmoller
from ngcm_lab.plotting.maps import (
    add_cyclic_point,
    central_longitude,
    plot_map,
    wrap_longitudes,
)
from ngcm_lab.plotting.scores import plot_scorecard
from ngcm_lab.plotting.sections import plot_column_profile, plot_zonal_mean_section
from ngcm_lab.plotting.spectra import plot_energy_spectrum
from ngcm_lab.plotting.timings import plot_step_times

__all__ = [
    "LAT_NAMES",
    "LON_NAMES",
    "add_cyclic_point",
    "animate_maps",
    "animation_html",
    "central_longitude",
    "plot_column_profile",
    "plot_energy_spectrum",
    "plot_free_run_climate",
    "plot_hovmoller",
    "plot_kinetic_energy_spectra",
    "plot_map",
    "plot_rank_histogram",
    "plot_rmse_by_level",
    "plot_scorecard",
    "plot_spread_skill",
    "plot_step_times",
    "plot_zonal_mean_bias",
    "plot_zonal_mean_section",
    "save_animation",
    "wrap_longitudes",
]
