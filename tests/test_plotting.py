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

from ngcm_lab.plotting import add_cyclic_point, plot_energy_spectrum, plot_map

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
