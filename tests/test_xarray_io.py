"""xarray output: CF dims/coords/attrs, netCDF round trip, and restart from a dataset."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import xarray as xr

from ngcm_lab.models import ShallowWaterModel
from ngcm_lab.xarray_io import dataset_to_state, state_to_dataset, trajectory_to_dataset

VARIABLES = ("u", "v", "h", "vorticity", "divergence")


@pytest.fixture(scope="module")
def model() -> ShallowWaterModel:
    return ShallowWaterModel.from_case("williamson6", "T21")


@pytest.fixture(scope="module")
def integration(model):
    return model.run(1.0, progress=False)


@pytest.fixture(scope="module")
def ds(model, integration) -> xr.Dataset:
    return trajectory_to_dataset(model, integration)


def test_dims_and_coordinates(ds, model):
    nlat, nlon = model.grid.nodal_shape
    assert dict(ds.sizes) == {"time": 2, "lat": nlat, "lon": nlon}
    for name in VARIABLES:
        assert ds[name].dims == ("time", "lat", "lon")
        assert ds[name].dtype == np.float32  # the model's dtype
    assert ds["orography"].dims == ("lat", "lon")
    lat, lon = ds["lat"].values, ds["lon"].values
    assert np.all(np.diff(lat) > 0) and -90 < lat[0] < lat[-1] < 90
    np.testing.assert_allclose(lon, 360.0 * np.arange(nlon) / nlon)
    assert (
        ds["lat"].attrs.items()
        >= {
            "standard_name": "latitude",
            "units": "degrees_north",
            "axis": "Y",
        }.items()
    )
    assert (
        ds["lon"].attrs.items()
        >= {
            "standard_name": "longitude",
            "units": "degrees_east",
            "axis": "X",
        }.items()
    )
    assert ds["time"].dtype.kind == "M"
    np.testing.assert_array_equal(
        ds["time"].values, np.array(["2000-01-01T00", "2000-01-02T00"], "datetime64[ns]")
    )
    assert ds["time"].encoding["units"].startswith("hours since 2000-01-01")
    assert ds["lead_time"].attrs["standard_name"] == "forecast_period"
    np.testing.assert_array_equal(
        ds["lead_time"].values.astype("timedelta64[h]").astype(int), [0, 24]
    )


def test_units_and_attrs(ds, model):
    expected = {
        "u": ("eastward_wind", "m s-1"),
        "v": ("northward_wind", "m s-1"),
        "vorticity": ("atmosphere_relative_vorticity", "s-1"),
        "divergence": ("divergence_of_wind", "s-1"),
        "orography": ("surface_altitude", "m"),
    }
    for name, (standard_name, units) in expected.items():
        assert ds[name].attrs["standard_name"] == standard_name
        assert ds[name].attrs["units"] == units
    assert ds["h"].attrs["units"] == "m" and ds["h"].attrs["long_name"] == "fluid depth"
    assert "h + orography" in ds["h"].attrs["comment"]
    assert "truncated" in ds["orography"].attrs["comment"]
    attrs = ds.attrs
    assert attrs["Conventions"] == "CF-1.8"
    assert attrs["case"] == "williamson6" and attrs["resolution"] == "T21"
    assert attrs["truncation"] == 21 and attrs["dt_s"] == model.dt_s
    assert attrs["mean_depth_m"] > 0 and attrs["ngcm_lab_version"] and attrs["history"]
    assert attrs["title"]


def test_values_match_decode(ds, model, integration):
    last = model.decode(jax.tree.map(lambda x: x[-1], integration.states))
    np.testing.assert_allclose(ds["u"].isel(time=-1), last["u"], rtol=1e-6)
    np.testing.assert_allclose(ds["h"].isel(time=-1), last["depth"], rtol=1e-6)
    np.testing.assert_allclose(
        ds["h"] + ds["orography"],
        np.stack(
            [
                model.decode(jax.tree.map(lambda x, i=i: x[i], integration.states))["free_surface"]
                for i in range(2)
            ]
        ),
        rtol=1e-6,
    )
    # Sanity of the physics in SI: Rossby–Haurwitz winds of tens of m/s, depth near 8–10 km.
    assert 20 < float(np.abs(ds["u"]).max()) < 150
    assert 7000 < float(ds["h"].min()) and float(ds["h"].max()) < 11000


def test_state_to_dataset_single_time(model):
    one = state_to_dataset(model, model.initial_state, time_s=7200.0, start="2010-06-01T12:00")
    assert dict(one.sizes)["time"] == 1
    assert one["time"].values[0] == np.datetime64("2010-06-01T14:00", "ns")
    assert one["u"].dims == ("time", "lat", "lon")


def test_netcdf_round_trip(ds, tmp_path):
    path = tmp_path / "trajectory.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        back = back.load()
    for name in (*VARIABLES, "orography"):
        np.testing.assert_array_equal(back[name].values, ds[name].values)
        assert back[name].attrs == ds[name].attrs
        assert back[name].dtype == ds[name].dtype
    np.testing.assert_array_equal(back["time"].values, ds["time"].values)
    np.testing.assert_array_equal(back["lat"].values, ds["lat"].values)
    assert back["time"].encoding["units"].startswith("hours since 2000-01-01")
    assert back.attrs == ds.attrs
    # Also readable without xarray's decoding: plain CF numbers and units.
    with xr.open_dataset(path, engine="h5netcdf", decode_times=False) as raw:
        np.testing.assert_array_equal(raw["time"].values, [0, 24])


def test_state_round_trip(model, ds, integration):
    state = dataset_to_state(model, ds)  # the last time by default
    expected = jax.tree.map(lambda x: x[-1], integration.states)
    for got, want in zip(jax.tree.leaves(state), jax.tree.leaves(expected), strict=True):
        scale = float(np.max(np.abs(want)))
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-5 * scale)


def test_restart_from_file(model, ds, tmp_path):
    """A state read back from netCDF runs on; one step from it matches one step from the source."""
    path = tmp_path / "restart.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        state = dataset_to_state(model, back, time_index=0)
    rerun = model.run(1.0, state=state, progress=False)
    first = trajectory_to_dataset(model, rerun)
    scale = float(np.abs(ds["h"]).max())
    np.testing.assert_allclose(first["h"].isel(time=-1), ds["h"].isel(time=-1), atol=1e-5 * scale)


def test_north_to_south_file_is_accepted(model, ds):
    flipped = ds.isel(lat=slice(None, None, -1))
    a, b = dataset_to_state(model, flipped), dataset_to_state(model, ds)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_wrong_shape_is_a_clear_error(ds):
    t42 = ShallowWaterModel.from_case("williamson6", "T42")
    with pytest.raises(ValueError, match=r"shape \(32, 64\).*T42.*\(64, 128\)"):
        dataset_to_state(t42, ds)
    with pytest.raises(ValueError, match="lacks variable"):
        dataset_to_state(t42, ds.drop_vars("h"))
