"""xarray output of both model families: CF dims/coords/attrs, netCDF round trip, restart."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import xarray as xr

from ngcm_lab.models import ShallowWaterModel
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.sigma_coordinates import SigmaCoordinates
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


# ------------------------------------------------------------------ primitive-equation models
PRIMITIVE_VARIABLES = ("u", "v", "temperature", "surface_pressure")


@pytest.fixture(scope="module")
def pe_model() -> PrimitiveEquationsModel:
    return PrimitiveEquationsModel.from_case("jablonowski_williamson", "T21", layers=4, dt=1800)


@pytest.fixture(scope="module")
def pe_integration(pe_model):
    return pe_model.run(0.5, output_interval_hours=12, progress=False)


@pytest.fixture(scope="module")
def pe_ds(pe_model, pe_integration) -> xr.Dataset:
    return trajectory_to_dataset(pe_model, pe_integration)


def test_primitive_dims_and_sigma(pe_ds, pe_model):
    nlat, nlon = pe_model.grid.nodal_shape
    assert dict(pe_ds.sizes) == {
        "time": 2,
        "level": 4,
        "lat": nlat,
        "lon": nlon,
        "level_interface": 5,
    }
    for name in ("u", "v", "temperature"):
        assert pe_ds[name].dims == ("time", "level", "lat", "lon")
        assert pe_ds[name].dtype == np.float32
    assert pe_ds["surface_pressure"].dims == ("time", "lat", "lon")
    assert pe_ds["surface_geopotential"].dims == ("lat", "lon")
    coords = SigmaCoordinates.equidistant(4)
    np.testing.assert_array_equal(pe_ds["sigma"].values, coords.centers)
    np.testing.assert_array_equal(pe_ds["sigma_interfaces"].values, coords.interfaces)
    assert pe_ds["sigma"].dims == ("level",) and "sigma" in pe_ds.coords
    sigma = pe_ds["sigma"].attrs
    assert sigma["standard_name"] == "atmosphere_sigma_coordinate"
    assert sigma["units"] == "1" and sigma["positive"] == "down"
    assert sigma["formula_terms"] == "sigma: sigma ps: surface_pressure ptop: ptop"
    assert float(pe_ds["ptop"]) == 0.0 and pe_ds["ptop"].attrs["units"] == "Pa"
    # Shared time and grid coordinates, as for shallow water.
    np.testing.assert_array_equal(
        pe_ds["lead_time"].values.astype("timedelta64[h]").astype(int), [0, 12]
    )
    assert pe_ds["lat"].attrs["units"] == "degrees_north"


def test_primitive_units_and_attrs(pe_ds, pe_model):
    expected = {
        "u": ("eastward_wind", "m s-1"),
        "v": ("northward_wind", "m s-1"),
        "temperature": ("air_temperature", "K"),
        "surface_pressure": ("surface_air_pressure", "Pa"),
        "surface_geopotential": ("surface_geopotential", "m2 s-2"),
    }
    for name, (standard_name, units) in expected.items():
        assert pe_ds[name].attrs["standard_name"] == standard_name
        assert pe_ds[name].attrs["units"] == units
    attrs = pe_ds.attrs
    assert attrs["Conventions"] == "CF-1.8" and "primitive-equation" in attrs["title"]
    assert attrs["case"] == "jablonowski_williamson" and attrs["resolution"] == "T21"
    assert attrs["layers"] == 4 and attrs["dt_s"] == 1800.0 and attrs["truncation"] == 21
    assert "mean_depth_m" not in attrs and attrs["history"]


def test_primitive_values_match_decode(pe_ds, pe_model, pe_integration):
    last = pe_model.decode(jax.tree.map(lambda x: x[-1], pe_integration.states))
    for name in PRIMITIVE_VARIABLES:
        np.testing.assert_allclose(pe_ds[name].isel(time=-1), last[name], rtol=1e-6)
    phi_s = pe_model.scales.dim_geopotential(np.asarray(pe_model.equation.surface_geopotential))
    np.testing.assert_allclose(pe_ds["surface_geopotential"], phi_s, rtol=1e-6)
    # JW06 in SI: a ~35 m/s jet, 1000 hPa surface, tropospheric temperatures.
    assert 25 < float(pe_ds["u"].max()) < 50
    np.testing.assert_allclose(pe_ds["surface_pressure"], 1e5, rtol=0.01)
    assert 180 < float(pe_ds["temperature"].min()) < float(pe_ds["temperature"].max()) < 320


def test_primitive_state_to_dataset(pe_model):
    one = state_to_dataset(pe_model, pe_model.initial_state, time_s=3600.0)
    assert one.sizes["time"] == 1 and one["temperature"].dims == ("time", "level", "lat", "lon")
    assert one["time"].values[0] == np.datetime64("2000-01-01T01:00", "ns")


def test_primitive_netcdf_round_trip(pe_ds, tmp_path):
    path = tmp_path / "pe.nc"
    pe_ds.to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        back = back.load()
    for name in (*PRIMITIVE_VARIABLES, "surface_geopotential", "sigma", "sigma_interfaces"):
        np.testing.assert_array_equal(back[name].values, pe_ds[name].values)
        assert back[name].attrs == pe_ds[name].attrs
        assert back[name].dims == pe_ds[name].dims
        assert back[name].dtype == pe_ds[name].dtype
    assert "sigma" in back.coords and "sigma_interfaces" in back.coords
    assert back.attrs == pe_ds.attrs


def test_primitive_restart_round_trip(pe_model, pe_ds, pe_integration):
    state = dataset_to_state(pe_model, pe_ds.isel(lat=slice(None, None, -1)))
    expected = jax.tree.map(lambda x: x[-1], pe_integration.states)
    for got, want in zip(jax.tree.leaves(state), jax.tree.leaves(expected), strict=True):
        scale = float(np.max(np.abs(want)))
        # log(p_s / p0) is ~1e-4 but stored as float32 Pa, i.e. to ~0.01 Pa ≈ 1e-7 in log p_s.
        atol = max(1e-5 * scale, 1e-7)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=atol)


def test_primitive_restart_checks_layers_and_variables(pe_ds):
    six = PrimitiveEquationsModel.from_case("jablonowski_williamson", "T21", layers=6, dt=1800)
    with pytest.raises(ValueError, match="sigma levels.*6 layers"):
        dataset_to_state(six, pe_ds)
    with pytest.raises(ValueError, match=r"shape \(4, 32, 64\).*\(6, 32, 64\)"):
        dataset_to_state(six, pe_ds.drop_vars("sigma"))
    with pytest.raises(ValueError, match="lacks variable.*temperature"):
        dataset_to_state(six, pe_ds.drop_vars("temperature"))
