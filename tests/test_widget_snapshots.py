"""SnapshotViewer driven without a browser, on a tiny hand-made trajectory dataset."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ngcm_lab.widgets import SnapshotViewer

N_TIME, N_LEVEL, N_LAT, N_LON = 3, 2, 8, 16


@pytest.fixture
def dataset() -> xr.Dataset:
    """3 daily outputs, 2 σ layers, an 8 × 16 grid: a wave that grows with time."""
    lat = np.linspace(-78.75, 78.75, N_LAT)
    lon = np.arange(N_LON) * 360.0 / N_LON
    lat2, lon2 = np.meshgrid(np.radians(lat), np.radians(lon), indexing="ij")
    wave = np.cos(lat2) ** 2 * np.cos(4 * lon2)
    growth = np.array([0.0, 1.0, 3.0])[:, None, None]
    sigma = np.array([0.25, 0.75])
    u = (20.0 * np.cos(lat2) + growth * wave)[:, None] * (1.0 + sigma)[None, :, None, None]
    temperature = 250.0 + 30.0 * np.cos(lat2) + 2.0 * growth * wave
    temperature = temperature[:, None] + 40.0 * sigma[None, :, None, None]
    surface_pressure = 1.0e5 + 500.0 * growth * wave
    lead = np.arange(N_TIME) * np.timedelta64(1, "D")
    return xr.Dataset(
        {
            "u": (
                ("time", "level", "lat", "lon"),
                u,
                {"long_name": "eastward wind", "units": "m s-1"},
            ),
            "temperature": (
                ("time", "level", "lat", "lon"),
                temperature,
                {"long_name": "air temperature", "units": "K"},
            ),
            "surface_pressure": (
                ("time", "lat", "lon"),
                surface_pressure,
                {"long_name": "surface pressure", "units": "Pa"},
            ),
            "surface_geopotential": (("lat", "lon"), np.zeros((N_LAT, N_LON))),
        },
        coords={
            "time": np.datetime64("2000-01-01T00:00", "ns") + lead,
            "lead_time": ("time", lead),
            "lat": lat,
            "lon": lon,
            "sigma": ("level", sigma),
        },
    )


def pixels(viewer: SnapshotViewer) -> np.ndarray:
    canvas = viewer.figure.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def shown_png(viewer: SnapshotViewer) -> str:
    (output,) = viewer.output.outputs
    return output["data"]["image/png"]


def test_builds_and_shows_first_time(dataset):
    viewer = SnapshotViewer(dataset, "surface_pressure")
    assert viewer.last_error is None and viewer.time_index == 0
    assert viewer.variables == ["u", "temperature", "surface_pressure"]  # static field skipped
    assert viewer.field.shape == (N_LAT, N_LON)
    np.testing.assert_allclose(viewer.field, 1000.0)  # hPa
    assert "day 0, 00:00" in viewer.status.value and "output 1 of 3" in viewer.status.value
    assert "hPa" in viewer.status.value
    assert viewer.level.disabled  # a 2-D variable has no level to choose
    assert shown_png(viewer)


def test_slider_moves_time_and_redraws(dataset):
    viewer = SnapshotViewer(dataset, "surface_pressure")
    before_pixels, before_field, before_png = pixels(viewer), viewer.field, shown_png(viewer)
    viewer.slider.value = 2
    assert viewer.time_index == 2 and viewer.last_error is None
    assert not np.allclose(viewer.field, before_field)
    assert not np.array_equal(pixels(viewer), before_pixels)
    assert shown_png(viewer) != before_png
    assert "day 2, 00:00" in viewer.status.value
    assert f"max {viewer.field.max():.4g}" in viewer.status.value


def test_colour_levels_are_fixed_across_times(dataset):
    viewer = SnapshotViewer(dataset, "surface_pressure")
    levels = viewer.color_levels.copy()
    assert viewer.show(2)
    np.testing.assert_array_equal(viewer.color_levels, levels)
    # They span the field over all times: the growing wave at the last time fits in.
    assert levels[0] <= viewer.field.min() and viewer.field.max() <= levels[-1]
    assert levels[-1] - levels[0] > 10.0  # not the constant 1000 hPa of time 0


def test_show_is_pure_python_and_syncs_the_slider(dataset):
    viewer = SnapshotViewer(dataset, "temperature")
    assert viewer.show(-1)
    assert viewer.time_index == 2 and viewer.slider.value == 2
    assert not viewer.show(7)
    assert "out of range" in viewer.last_error and "color:#b00020" in viewer.status.value
    assert viewer.time_index == 2  # the previous snapshot stays


def test_variable_and_level_change_redraw(dataset):
    viewer = SnapshotViewer(dataset, "u", level=0.3, time_index=1)
    assert viewer.level.value == 0 and not viewer.level.disabled
    assert "σ = 0.250" in viewer.status.value
    before = pixels(viewer)
    u_top = viewer.field
    viewer.level.value = 1
    assert "σ = 0.750" in viewer.status.value
    np.testing.assert_allclose(viewer.field, dataset["u"].isel(time=1, level=1).values)
    assert not np.allclose(viewer.field, u_top)
    assert not np.array_equal(pixels(viewer), before)
    before = pixels(viewer)
    viewer.variable.value = "temperature"
    np.testing.assert_allclose(viewer.field, dataset["temperature"].isel(time=1, level=1).values)
    assert "air temperature" in viewer.figure.axes[0].get_title()
    assert not np.array_equal(pixels(viewer), before)
    assert viewer.time_index == 1


def test_level_defaults_to_the_lowest_layer(dataset):
    viewer = SnapshotViewer(dataset, "temperature")
    assert viewer.level.value == N_LEVEL - 1


def test_invalid_variable_is_explained_not_raised(dataset):
    viewer = SnapshotViewer(dataset, "vorticity")
    assert "unknown variable 'vorticity'" in viewer.last_error
    assert "surface_pressure" in viewer.last_error  # the valid choices are listed
    assert "color:#b00020" in viewer.status.value
    assert viewer.field is not None  # something valid is shown meanwhile
    assert not viewer.select("nope")
    assert viewer.variable.value == "u" and "nope" in viewer.status.value
    assert viewer.select("surface_pressure")
    assert viewer.last_error is None and "color:#b00020" not in viewer.status.value


def test_dataset_without_time_raises(dataset):
    with pytest.raises(ValueError, match="time"):
        SnapshotViewer(dataset.isel(time=0))
