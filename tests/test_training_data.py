"""The hybrid-model training sample in data_samples/hybrid_training/: layout, packing, physics.

The file is made by data_samples/hybrid_training/make_training_data.py (see the README there): a
T42 L8 moist Held–Suarez truth over Earth orography, coarse-grained to T21 L8, 101 snapshots
every 6 hours. Read with h5netcdf only.
"""

import numpy as np
import pytest
import xarray as xr

from ngcm_lab import xarray_io
from ngcm_lab.paths import data_samples_dir
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid

FILE = "truth_T42_to_T21L8.nc"
SNAPSHOTS, LAYERS = 101, 8
# The largest packing errors we accept (SI): far below a coarse model's errors.
REQUIRED_PACKING_ERROR = {
    "u": 0.005,
    "v": 0.005,
    "temperature": 0.005,
    "specific_humidity": 1.0e-6,
    "surface_pressure": 1.0,
    "precipitation_rate": 1.0e-7,
    "evaporation_rate": 1.0e-7,
}
UNITS = {
    "u": "m s-1",
    "v": "m s-1",
    "temperature": "K",
    "specific_humidity": "kg kg-1",
    "surface_pressure": "Pa",
    "precipitation_rate": "kg m-2 s-1",
    "evaporation_rate": "kg m-2 s-1",
    "surface_geopotential": "m2 s-2",
    "baseline_surface_geopotential": "m2 s-2",
}


def _path():
    return data_samples_dir() / "hybrid_training" / FILE


@pytest.fixture(scope="module")
def ds():
    return xr.load_dataset(_path(), engine="h5netcdf")


@pytest.fixture(scope="module")
def raw():
    """The stored integers and packing attributes, not decoded."""
    return xr.load_dataset(_path(), engine="h5netcdf", mask_and_scale=False)


@pytest.fixture(scope="module")
def t21():
    return Grid.from_name("T21")


def _global_mean(da, grid):
    return (da * xr.DataArray(grid.area_weights, dims=("lat", "lon"))).sum(("lat", "lon"))


# ------------------------------------------------------------------------------ layout
def test_dims_and_coordinates(ds, t21):
    assert dict(ds.sizes) == {
        "time": SNAPSHOTS,
        "level": LAYERS,
        "level_interface": LAYERS + 1,
        "lat": 32,
        "lon": 64,
    }
    np.testing.assert_allclose(ds["lat"].values, np.degrees(t21.latitudes), atol=1e-9)
    np.testing.assert_allclose(ds["lon"].values, np.degrees(t21.longitudes), atol=1e-9)
    coords = SigmaCoordinates.equidistant(LAYERS)
    np.testing.assert_allclose(ds["sigma"].values, coords.centers)
    np.testing.assert_allclose(ds["sigma_interfaces"].values, coords.interfaces)
    hours = (ds["lead_time"].values / np.timedelta64(1, "h")).astype(float)
    np.testing.assert_allclose(hours, 6.0 * np.arange(SNAPSHOTS))
    assert (ds["time"].values - ds["time"].values[0] == ds["lead_time"].values).all()
    for name in ("u", "v", "temperature", "specific_humidity"):
        assert ds[name].dims == ("time", "level", "lat", "lon")
    for name in ("surface_pressure", "precipitation_rate", "evaporation_rate"):
        assert ds[name].dims == ("time", "lat", "lon")
    for name in ("surface_geopotential", "baseline_surface_geopotential"):
        assert ds[name].dims == ("lat", "lon")
    for name, units in UNITS.items():
        assert ds[name].attrs["units"] == units, name
        assert np.isfinite(ds[name].values).all(), name


def test_same_layout_as_xarray_io_for_a_t21_l8_moist_model(ds):
    model = PrimitiveEquationsModel.from_case("moist_held_suarez", "T21", layers=LAYERS)
    template = xarray_io.state_to_dataset(model, model.initial_state)
    for name in list(template.data_vars) + list(template.coords):
        assert name in ds.variables, name
        assert ds[name].dims == template[name].dims, name
        for key in ("units", "standard_name"):
            assert ds[name].attrs.get(key) == template[name].attrs.get(key), (name, key)
    assert ds["time"].encoding["units"].startswith("hours since 2000-01-01")


def test_global_attributes(ds):
    a = ds.attrs
    assert a["Conventions"] == "CF-1.8"
    assert (a["resolution"], a["truncation"], a["layers"]) == ("T21", 21, LAYERS)
    assert (a["truth_resolution"], a["truth_layers"]) == ("T42", LAYERS)
    assert a["truth_dt_s"] == 900.0
    assert a["spinup_days"] == 150.0 and a["record_days"] == 25.0
    assert a["output_interval_hours"] == 6.0
    assert a["command"].startswith("python data_samples/hybrid_training/make_training_data.py")
    assert a["wall_time_s"] > 0
    assert "ETOPO" in a["orography_source"]
    assert "SimplePhysics(surface_fluxes=False)" in a["baseline_model"]
    assert "evaporation" in a["withheld_physics"]
    assert "kinetic energy" in a["truncation_removes"]
    assert a["split_train_initial_days"] == "0-15"
    assert a["split_train_time_indices"] == "0-60"
    assert a["split_eval_initial_days"] == "16-20"
    assert a["split_eval_time_indices"] == "64-80"
    assert a["split_verification_only_days"] == "20-25"
    assert a["split_max_forecast_days"] == 5.0
    assert "licence" in a


# ------------------------------------------------------------------------------ packing
@pytest.mark.parametrize("name", sorted(REQUIRED_PACKING_ERROR))
def test_packing_on_the_stated_lattice(ds, raw, name):
    packed = raw[name]
    assert packed.dtype == np.int16
    scale = float(packed.attrs["scale_factor"])
    offset = float(packed.attrs["add_offset"])
    assert np.abs(packed.values.astype(np.int32)).max() <= 32767
    bound = ds[name].attrs["packing_error_bound"]
    # The bound stated in the file is half a lattice step and meets the requirement.
    assert bound == pytest.approx(0.5 * scale, rel=1e-12)
    assert bound <= ds[name].attrs["packing_required_max_abs_error"]
    assert bound <= REQUIRED_PACKING_ERROR[name]
    assert ds[name].attrs["packing_max_abs_error"] <= bound * (1 + 1e-9)
    # Decoded values lie on the lattice offset + k · scale, so a reader gets the packed values.
    k = (ds[name].values - offset) / scale
    np.testing.assert_allclose(k, np.round(k), atol=1e-6)
    np.testing.assert_array_equal(np.round(k), packed.values)
    # The lattice spans the data (the scale was chosen from the range).
    assert np.abs(packed.values).max() >= 32000


# ------------------------------------------------------------------------------ physics
def test_plausible_fields(ds, t21):
    zonal_u = ds["u"].mean(("time", "lon"))
    south = ds["lat"] < 0
    for hemisphere in (south, ~south):
        assert 30.0 <= float(zonal_u.where(hemisphere).max()) <= 60.0
    q = ds["specific_humidity"]
    assert 0.02 < float(q.max()) <= 0.03
    # Spectral transport undershoots; the simple physics' column fixer fills the holes, so only
    # small negative values remain (without the fixer: -0.013 kg/kg and 6 % negative water).
    assert float(q.min()) >= -0.002
    negative = float(_global_mean(q.clip(max=0.0), t21).sum("level").mean())
    positive = float(_global_mean(q.clip(min=0.0), t21).sum("level").mean())
    assert -negative < 0.01 * positive
    ps = ds["surface_pressure"]
    assert 45_000.0 < float(ps.min()) and float(ps.max()) < 110_000.0
    t = ds["temperature"]
    assert 150.0 < float(t.min()) and float(t.max()) < 330.0
    assert float(ds["precipitation_rate"].min()) >= 0.0
    # Orography: the Tibetan plateau and Antarctica are high, the oceans near zero.
    height = ds["surface_geopotential"] / 9.80616
    assert 3000.0 < float(height.max()) < 6000.0
    assert float(_global_mean(height, t21)) == pytest.approx(
        float(_global_mean(ds["baseline_surface_geopotential"] / 9.80616, t21)), rel=1e-3
    )


def test_global_mass_constant(ds, t21):
    mean_ps = _global_mean(ds["surface_pressure"], t21).values
    assert (mean_ps.max() - mean_ps.min()) / mean_ps.mean() < 1e-3


def test_precipitation_balances_evaporation(ds, t21):
    precip = float(_global_mean(ds["precipitation_rate"], t21).mean())
    evap = float(_global_mean(ds["evaporation_rate"], t21).mean())
    # Order of magnitude: without convection or boundary-layer mixing the simple physics
    # evaporates less than Earth's ≈ 3 mm per day, but it must evaporate.
    assert 0.3 < evap * 86400.0 < 5.0  # mm per day
    assert abs(precip - evap) / evap < 0.3


def test_t21_l8_moist_model_reads_snapshot_zero(ds):
    model = PrimitiveEquationsModel.from_case("moist_held_suarez", "T21", layers=LAYERS)
    state = xarray_io.dataset_to_state(model, ds, 0)
    fields = model.decode(state)
    for name in ("u", "v", "temperature", "specific_humidity", "surface_pressure"):
        assert np.all(np.isfinite(fields[name])), name
    # The T21 truncation of cell averages stays close to them.
    diff = fields["temperature"] - ds["temperature"].isel(time=0).values
    assert np.sqrt(np.mean(diff**2)) < 3.0
