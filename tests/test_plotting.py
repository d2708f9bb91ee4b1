"""One-call figures: map inputs (numpy and xarray), the periodic seam, levels, spectra."""

import socket
from io import BytesIO

import cartopy.crs as ccrs
import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

from ngcm_lab.plotting import (
    add_cyclic_point,
    animate_maps,
    animation_html,
    central_longitude,
    plot_column_profile,
    plot_energy_spectrum,
    plot_hovmoller,
    plot_map,
    plot_scorecard,
    plot_zonal_mean_section,
    save_animation,
    wrap_longitudes,
)

NLAT, NLON = 32, 64


def gaussian_grid() -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre latitudes (ascending, degrees) and longitudes 0 … 360 − Δλ."""
    mu, _ = np.polynomial.legendre.leggauss(NLAT)
    return np.degrees(np.arcsin(mu)), np.arange(NLON) * 360.0 / NLON


def wave_field() -> np.ndarray:
    lat, lon = gaussian_grid()
    return np.cos(np.radians(lat))[:, None] ** 2 * np.cos(np.radians(4 * lon))[None, :]


def contour_set(fig: Figure) -> ContourSet:
    return next(c for ax in fig.axes for c in ax.collections if isinstance(c, ContourSet))


def colorbar_axes(fig: Figure):
    return next(ax for ax in fig.axes if not hasattr(ax, "projection"))


def test_add_cyclic_point_closes_a_global_grid():
    lat, lon = gaussian_grid()
    values = wave_field()
    closed, closed_lon = add_cyclic_point(values, lon)
    assert closed.shape == (NLAT, NLON + 1)
    assert closed_lon[-1] == pytest.approx(360.0)
    np.testing.assert_array_equal(closed[:, -1], values[:, 0])


def test_add_cyclic_point_leaves_regional_and_closed_grids_alone():
    regional = np.linspace(-30.0, 30.0, 13)
    assert add_cyclic_point(np.zeros((3, 13)), regional)[0].shape == (3, 13)
    closed = np.linspace(0.0, 360.0, 9)
    assert add_cyclic_point(np.zeros((3, 9)), closed)[0].shape == (3, 9)


def test_plot_map_numpy_input():
    lat, lon = gaussian_grid()
    fig = plot_map(wave_field(), lat, lon, units="m", title="waves")
    assert isinstance(fig, Figure)
    geo = fig.axes[0]
    assert isinstance(geo.projection, ccrs.Robinson)
    assert geo.get_title() == "waves"
    assert colorbar_axes(fig).get_xlabel() == "(m)"
    fig.savefig(BytesIO(), format="png")


def test_plot_map_xarray_input_uses_coords_and_attrs():
    lat, lon = gaussian_grid()
    da = xr.DataArray(
        wave_field()[::-1],  # descending latitude, as in many reanalyses
        coords={"latitude": lat[::-1], "longitude": lon},
        dims=("latitude", "longitude"),
        attrs={"long_name": "geopotential height", "units": "m"},
    )
    fig = plot_map(da.expand_dims(time=1))
    assert colorbar_axes(fig).get_xlabel() == "geopotential height (m)"
    levels = contour_set(fig).levels
    assert levels[0] <= -0.9 and levels[-1] >= 0.9


def test_plot_map_has_no_seam_at_the_date_line_of_the_data():
    """Longitudes 0 … 354.4°: without a cyclic point the strip just west of 0° stays blank."""
    lat, lon = gaussian_grid()
    fig = plot_map(np.ones((NLAT, NLON)), lat, lon, projection=ccrs.PlateCarree(), levels=[0, 2])
    geo = fig.axes[0]
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    for lat_deg in (-60.0, 0.0, 60.0):
        x, y = geo.transData.transform((-2.0, lat_deg))
        assert rgb[int(rgb.shape[0] - y), int(x)].min() < 230, f"white gap at lat {lat_deg}"


def test_symmetric_levels_centre_a_band_on_zero():
    lat, lon = gaussian_grid()
    fig = plot_map(3e-5 * wave_field() + 1e-5, lat, lon, symmetric=True)
    levels = contour_set(fig).levels
    np.testing.assert_allclose(levels, -levels[::-1], atol=1e-20)
    assert len(levels) % 2 == 0  # odd number of bands
    assert levels[len(levels) // 2 - 1] < 0 < levels[len(levels) // 2]
    assert levels[-1] >= 4e-5


def test_plot_map_into_existing_axes_reuses_colorbar():
    lat, lon = gaussian_grid()
    fig = plt.figure()
    ax = fig.add_subplot(projection=ccrs.PlateCarree())
    for scale in (1.0, 10.0, 100.0):
        assert plot_map(scale * wave_field(), lat, lon, ax=ax, coastlines=False) is fig
    assert len(fig.axes) == 2
    assert contour_set(fig).levels[-1] >= 100.0


def test_plot_map_explains_bad_inputs():
    lat, lon = gaussian_grid()
    with pytest.raises(ValueError, match="expected \\(nlat, nlon\\)"):
        plot_map(wave_field().T, lat, lon)
    with pytest.raises(ValueError, match="radians"):
        plot_map(wave_field(), np.radians(lat), np.radians(lon))
    with pytest.raises(ValueError, match="lat= and lon="):
        plot_map(wave_field())
    _, plain = plt.subplots()
    with pytest.raises(TypeError, match="GeoAxes"):
        plot_map(wave_field(), lat, lon, ax=plain)


def test_plot_map_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    lat, lon = gaussian_grid()
    plot_map(wave_field(), lat, lon).savefig(BytesIO(), format="png")


def test_energy_spectrum_is_log_log_with_reference_slope():
    n = np.arange(43)
    energy = np.where(n > 0, 100.0 * np.maximum(n, 1) ** -3.0, 0.0)
    fig = plot_energy_spectrum(n, energy, label="T42")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "total wavenumber n"
    assert ax.get_ylabel() == "kinetic energy per unit mass (m² s⁻²)"
    data, guide = ax.get_lines()
    assert data.get_xdata()[0] == 1  # n = 0 skipped
    gx, gy = guide.get_xdata(), guide.get_ydata()
    assert np.polyfit(np.log(gx), np.log(gy), 1)[0] == pytest.approx(-3.0)
    # The guide passes through the data: on an exact n^-3 spectrum the two coincide.
    np.testing.assert_allclose(gy, 100.0 * gx**-3.0, rtol=1e-6)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T42", "$n^{-3}$"]


def test_energy_spectrum_overlays_into_given_axes():
    n = np.arange(1, 22)
    fig, ax = plt.subplots()
    assert plot_energy_spectrum(n, n**-3.0, ax=ax) is fig
    assert plot_energy_spectrum(n, 2 * n**-3.0, ax=ax, reference_slope=None) is fig
    assert len(ax.get_lines()) == 3


# ------------------------------------------------------------- map centring (seam) regression
def render(fig: Figure) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


@pytest.mark.parametrize("centre", [180.0, 90.0, 5.625])
def test_plot_map_centred_anywhere_draws_the_same_zonal_field(centre):
    """A zonally symmetric field looks the same on a map centred anywhere.

    With 0…360° data on a Robinson map centred on 180° the seam of the data lies on the map's
    edge and cartopy used to fill both polar caps (and the bands next to them) with a mid-range
    colour; centres on a grid longitude ± 180° (90°, 5.625° here) are the other risky case.
    """
    lat, lon = gaussian_grid()
    field = np.broadcast_to(np.cos(np.radians(lat))[:, None] ** 2, (NLAT, NLON))

    def image(central_longitude: float) -> np.ndarray:
        fig = plt.figure(figsize=(4.0, 2.6), dpi=60)
        ax = fig.add_subplot(projection=ccrs.Robinson(central_longitude=central_longitude))
        return render(plot_map(field, lat, lon, ax=ax, coastlines=False, levels=np.arange(11) / 10))

    reference, centred = image(0.0), image(centre)
    differs = np.abs(centred - reference).max(axis=-1) > 40
    assert differs.mean() < 0.005, f"{differs.mean():.1%} of pixels differ"


def test_wrap_longitudes_puts_the_seam_at_the_centre():
    lat, lon = gaussian_grid()
    values = np.cos(np.radians(lon))[None, :] + 0 * lat[:, None]
    wrapped, new_lon = wrap_longitudes(values, lon, 180.0)
    assert new_lon[0] == pytest.approx(-180.0) and new_lon[-1] < 180.0
    assert np.all(np.diff(new_lon) > 0)
    np.testing.assert_allclose(
        wrapped, np.cos(np.radians(new_lon))[None, :] + 0 * wrapped, atol=1e-12
    )
    shifted = wrap_longitudes(values, lon, 359.0)[1]  # centre brought to −1°: lon in [−1, 359)
    assert shifted.min() >= -1.0 and shifted.max() < 359.0
    closed_values, closed_lon = add_cyclic_point(values, lon)  # a repeated seam is dropped
    assert wrap_longitudes(closed_values, closed_lon, 0.0)[1].size == NLON
    regional = np.linspace(-30.0, 30.0, 13)
    np.testing.assert_array_equal(wrap_longitudes(np.zeros((3, 13)), regional, 180.0)[1], regional)
    assert central_longitude(ccrs.Robinson(central_longitude=150)) == 150.0


# ------------------------------------------------------------------ sections and profiles
SIGMA = (np.arange(6) + 0.5) / 6
PRESSURE_PA = np.array([100000.0, 85000.0, 50000.0, 25000.0, 10000.0])


def jet(vertical: np.ndarray) -> np.ndarray:
    lat, _ = gaussian_grid()
    shape = np.sin(np.radians(2 * lat)) ** 2
    return 30.0 * np.sin(np.pi * vertical / vertical.max())[:, None] * shape[None, :] - 5.0


def contour_sets(ax) -> list[ContourSet]:
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def test_zonal_mean_section_numpy_sigma():
    lat, _ = gaussian_grid()
    fig = plot_zonal_mean_section(jet(SIGMA), lat, SIGMA, units="m s-1", symmetric=True)
    ax = fig.axes[0]
    assert ax.yaxis_inverted()  # σ = 1 (the surface) at the bottom
    assert ax.get_xlabel() == "latitude" and ax.get_ylabel().startswith("σ")
    filled, lines = contour_sets(ax)
    assert filled.filled and not lines.filled
    assert 0.0 in lines.levels  # symmetric: lines at the band centres, zero included
    assert len(lines.labelTexts) > 0
    assert fig.axes[1].get_ylabel() == "(m s-1)"
    fig.savefig(BytesIO(), format="png")


def test_zonal_mean_section_xarray_pressure_averages_longitude():
    lat, lon = gaussian_grid()
    values = jet(PRESSURE_PA)[:, :, None] + np.cos(np.radians(lon))[None, None, :]
    da = xr.DataArray(
        values,
        dims=("level", "lat", "lon"),
        coords={"level": PRESSURE_PA, "lat": lat, "lon": lon},
        attrs={"long_name": "eastward wind", "units": "m s-1"},
    )
    da["level"].attrs["units"] = "Pa"
    fig = plot_zonal_mean_section(da, vertical_kind="pressure", log_pressure=True, title="u")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "pressure (hPa)" and ax.get_yscale() == "log"
    bottom, top = ax.get_ylim()
    assert bottom == pytest.approx(1000.0) and top == pytest.approx(100.0)
    assert fig.axes[1].get_ylabel() == "eastward wind (m s-1)"
    levels = contour_sets(ax)[0].levels  # the cos λ wave averages out
    assert levels.max() < 40 and levels.min() > -10
    with pytest.raises(ValueError, match="vertical_kind"):
        plot_zonal_mean_section(jet(PRESSURE_PA), lat, PRESSURE_PA)


def test_section_redraws_into_the_same_axes():
    lat, _ = gaussian_grid()
    fig, ax = plt.subplots()
    for scale in (1.0, 2.0):
        assert plot_zonal_mean_section(scale * jet(SIGMA), lat, SIGMA, ax=ax) is fig
    assert len(fig.axes) == 2 and len(contour_sets(ax)) == 2 and ax.yaxis_inverted()


def test_column_profiles():
    lat, _ = gaussian_grid()
    temperature = 300.0 - 60.0 * (1.0 - SIGMA)
    fig = plot_column_profile(temperature, SIGMA, units="K")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 1 and ax.yaxis_inverted() and ax.get_xlabel() == "(K)"
    profiles = jet(PRESSURE_PA)[:, [8, 16, 24]]  # (nlevels, 3): transposed automatically
    fig = plot_column_profile(profiles, PRESSURE_PA, vertical_kind="pressure", labels="abc")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3 and ax.get_ylabel() == "pressure (hPa)"
    assert max(ax.get_ylim()) == pytest.approx(1000.0, rel=0.1) and ax.yaxis_inverted()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    da = xr.DataArray(
        np.stack([temperature, temperature + 5]),
        dims=("time", "level"),
        coords={"time": [0, 1], "sigma": ("level", SIGMA)},
        attrs={"long_name": "temperature", "units": "K"},
    )
    fig = plot_column_profile(da)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 and ax.get_xlabel() == "temperature (K)"
    assert plot_column_profile({"x": temperature}, SIGMA, ax=ax) is fig
    assert len(ax.get_lines()) == 3 and ax.yaxis_inverted()  # overlaid, still inverted


# ------------------------------------------------------------------------------ Hovmöller
def test_hovmoller_from_a_dataarray_puts_time_up_the_y_axis():
    _, lon = gaussian_grid()
    lead = np.arange(12) * np.timedelta64(12, "h")
    wave = np.cos(np.radians(4 * lon)[None, :] - np.arange(12)[:, None] / 3)
    da = xr.DataArray(
        wave,
        dims=("time", "lon"),
        coords={
            "time": np.datetime64("2000-01-01") + lead,
            "lead_time": ("time", lead),
            "lon": lon,
        },
        attrs={"long_name": "meridional wind", "units": "m s-1"},
    )
    fig = plot_hovmoller(da, symmetric=True, title="v at the equator")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "longitude (°E)" and ax.get_ylabel() == "time (days)"
    assert ax.get_ylim() == pytest.approx((0.0, 5.5))
    assert ax.get_xlim()[1] == pytest.approx(360.0)  # closed with the cyclic point
    assert fig.axes[1].get_ylabel() == "meridional wind (m s-1)"
    with pytest.raises(ValueError, match="both latitude and longitude"):
        plot_hovmoller(xr.DataArray(np.zeros((2, 3, 4)), dims=("time", "lat", "lon")))


def test_hovmoller_numpy_latitude():
    lat, _ = gaussian_grid()
    fig = plot_hovmoller(np.outer(np.arange(5.0), lat), np.arange(5.0), lat, time_units="days")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "latitude" and ax.get_ylabel() == "time (days)"
    with pytest.raises(ValueError, match="expected"):
        plot_hovmoller(np.zeros((4, NLAT)), np.arange(5.0), lat)


# --------------------------------------------------------------------------------- scores
def test_scorecard_lines_per_model_and_lead_time_in_days():
    lead_s = np.arange(0, 6) * 86400.0
    scores = {
        "T42": (lead_s, 10.0 + 8.0 * lead_s / 86400.0),
        "persistence": (lead_s, 10.0 + 20.0 * lead_s / 86400.0),
    }
    fig = plot_scorecard(scores, metric="RMSE", units="m", title="Z500")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    assert ax.get_xlabel() == "lead time (days)" and ax.get_ylabel() == "RMSE (m)"
    assert ax.get_lines()[0].get_xdata()[-1] == pytest.approx(5.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T42", "persistence"]


def test_scorecard_hours_timedeltas_dataarrays_and_threshold():
    lead = np.arange(0, 25, 6) * np.timedelta64(1, "h")
    acc = xr.DataArray(np.linspace(1.0, 0.8, 5), dims="lead", coords={"lead_time": ("lead", lead)})
    fig = plot_scorecard(
        {"a": (lead, np.linspace(1, 0.7, 5)), "b": acc}, metric="ACC", threshold=0.6
    )
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3 and ax.get_xlabel() == "lead time (hours)"
    assert ax.get_lines()[1].get_xdata()[-1] == pytest.approx(24.0)
    assert ax.get_ylabel() == "ACC"
    fig = plot_scorecard({"a": ([0, 1, 2], [1, 2, 3])}, input_unit="days", lead_time_unit="hours")
    assert fig.axes[0].get_lines()[0].get_xdata()[-1] == pytest.approx(48.0)
    with pytest.raises(ValueError, match="lead times"):
        plot_scorecard({"a": ([0, 1], [1, 2, 3])})


# ------------------------------------------------------------------------------ animation
def tiny_frames() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lat = np.linspace(-75.0, 75.0, 6)
    lon = np.arange(12) * 30.0
    frames = np.stack(
        [np.cos(np.radians(lat))[:, None] * np.cos(np.radians(2 * lon - 30 * k)) for k in range(3)]
    )
    return frames, lat, lon


def test_animation_keeps_levels_and_titles_frames():
    frames, lat, lon = tiny_frames()
    times = np.arange(3) * np.timedelta64(1, "D")
    anim = animate_maps(frames, lat, lon, times, title="wave", symmetric=True, coastlines=False)
    ax = anim._fig.axes[0]
    levels = contour_set(anim._fig).levels
    anim._init_draw()  # frame 0, as a writer would start
    anim._draw_frame(2)
    assert ax.get_title() == "wave, day 2"
    np.testing.assert_array_equal(contour_set(anim._fig).levels, levels)
    assert len([c for c in ax.collections if isinstance(c, ContourSet)]) == 1


def test_save_animation_writes_a_gif(tmp_path):
    frames, lat, lon = tiny_frames()
    anim = animate_maps(frames, lat, lon, coastlines=False, projection=ccrs.PlateCarree())
    path = save_animation(anim, tmp_path / "wave.gif", dpi=40)
    assert path == tmp_path / "wave.gif" and path.stat().st_size > 0
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.n_frames == 3


def test_save_animation_prefers_mp4_and_falls_back_to_gif(tmp_path, monkeypatch):
    from matplotlib import animation

    frames, lat, lon = tiny_frames()
    anim = animate_maps(frames, lat, lon, coastlines=False, projection=ccrs.PlateCarree())
    if animation.writers.is_available("ffmpeg"):
        path = save_animation(anim, tmp_path / "wave", dpi=40)
        assert path.suffix == ".mp4" and path.stat().st_size > 0
    monkeypatch.setattr(animation.writers, "is_available", lambda name: False)
    with pytest.warns(UserWarning, match="ffmpeg not found"):
        path = save_animation(anim, tmp_path / "wave.mp4", dpi=40)
    assert path == tmp_path / "wave.gif" and path.stat().st_size > 0


def test_animation_html_embeds_javascript():
    frames, lat, lon = tiny_frames()
    da = xr.DataArray(
        frames,
        dims=("time", "lat", "lon"),
        coords={"time": np.arange(3.0), "lat": lat, "lon": lon},
        attrs={"units": "m"},
    )
    anim = animate_maps(da, coastlines=False, projection=ccrs.PlateCarree())
    with plt.rc_context({"savefig.dpi": 30}):
        html = animation_html(anim)
    assert isinstance(html, str) and "<script" in html
    assert not plt.fignum_exists(anim._fig.number)  # closed: not shown again as a still


def test_energy_spectrum_labels_from_a_dataarray():
    n = np.arange(1, 22)
    energy = xr.DataArray(n**-3.0, attrs={"long_name": "kinetic energy", "units": "J kg-1"})
    fig = plot_energy_spectrum(n, energy)
    assert fig.axes[0].get_ylabel() == "kinetic energy (J kg-1)"


def test_section_asks_to_select_other_dimensions():
    lat, _ = gaussian_grid()
    da = xr.DataArray(
        np.zeros((2, SIGMA.size, NLAT)),
        dims=("time", "level", "lat"),
        coords={"sigma": ("level", SIGMA), "lat": lat},
    )
    with pytest.raises(ValueError, match="isel"):
        plot_zonal_mean_section(da)
    assert plot_zonal_mean_section(da.isel(time=0) + 1.0).axes[0].yaxis_inverted()
