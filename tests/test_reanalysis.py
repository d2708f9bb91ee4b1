"""Reanalysis loader: every sample schema gives the same canonical, lazy Dataset; clear errors."""

import importlib.util
import re

import dask.array
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ngcm_lab import errors, reanalysis
from ngcm_lab import pressure_levels as pl
from ngcm_lab.constants import GRAVITY
from ngcm_lab.paths import data_samples_dir
from ngcm_lab.reanalysis import check_plausible, open_reanalysis

LEVEL_VARIABLES = [
    "u_component_of_wind",
    "v_component_of_wind",
    "temperature",
    "geopotential",
    "specific_humidity",
]
CANONICAL_UNITS = {
    "u_component_of_wind": "m s-1",
    "v_component_of_wind": "m s-1",
    "temperature": "K",
    "geopotential": "m2 s-2",
    "specific_humidity": "kg kg-1",
    "surface_pressure": "Pa",
    "total_precipitation": "m",
    "geopotential_at_surface": "m2 s-2",
}
EXPECTED_VARIABLES = {  # what each sample holds, in canonical names
    "era5_arco.zarr": [*LEVEL_VARIABLES, "surface_pressure", "total_precipitation"],
    "weatherbench2.zarr": [*CANONICAL_UNITS],
    "weatherbench2.nc": [*CANONICAL_UNITS],
    "ncep_cf.nc": [*LEVEL_VARIABLES, "surface_pressure"],
}
SAMPLES = list(EXPECTED_VARIABLES)
TIMES = pd.date_range("2020-01-01T00", periods=3, freq="6h")


def sample(name: str) -> str:
    return str(data_samples_dir() / "reanalysis_schemas" / name)


@pytest.fixture(scope="module")
def maker():
    """The script that wrote the samples, for its analytic fields."""
    path = data_samples_dir() / "reanalysis_schemas" / "make_schema_samples.py"
    spec = importlib.util.spec_from_file_location("make_schema_samples", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ncep_raw() -> xr.Dataset:
    return xr.open_dataset(sample("ncep_cf.nc"), chunks={})


def expected_fields(maker, ds: xr.Dataset) -> dict[str, np.ndarray]:
    hours = (ds.indexes["time"] - TIMES[0]) / pd.Timedelta(hours=1)
    return maker.synthetic_fields(
        np.asarray(hours), ds["level"].values, ds["latitude"].values, ds["longitude"].values
    )


@pytest.mark.parametrize("name", SAMPLES)
def test_every_schema_loads_to_the_canonical_form(name):
    ds = open_reanalysis(sample(name))
    assert list(ds.data_vars) == EXPECTED_VARIABLES[name]
    for var, da in ds.data_vars.items():
        expected_dims = {
            "surface_pressure": ("time", "latitude", "longitude"),
            "total_precipitation": ("time", "latitude", "longitude"),
            "geopotential_at_surface": ("latitude", "longitude"),
        }.get(var, ("time", "level", "latitude", "longitude"))
        assert da.dims == expected_dims, var
        assert da.attrs["units"] == CANONICAL_UNITS[var], var
        assert da.dtype == np.float32, var
    np.testing.assert_array_equal(ds["level"].values, [100.0, 250.0, 500.0, 850.0, 1000.0])
    assert ds["level"].attrs["units"] == "hPa"
    assert np.all(np.diff(ds["latitude"].values) > 0)
    lon = ds["longitude"].values
    assert np.all(np.diff(lon) > 0) and lon[0] >= 0.0 and lon[-1] < 360.0
    np.testing.assert_array_equal(ds.indexes["time"], TIMES)


@pytest.mark.parametrize("name", SAMPLES)
def test_values_are_those_the_script_wrote(maker, name):
    """Checks orientation, level order and unit conversion together, point by point."""
    ds = open_reanalysis(sample(name)).load()
    expected = expected_fields(maker, ds)
    for var in ds.data_vars:
        scale = np.abs(expected[var]).max()
        np.testing.assert_allclose(
            ds[var].values, expected[var], rtol=2e-6, atol=2e-7 * scale, err_msg=var
        )


def test_ncep_height_becomes_geopotential_and_hpa_becomes_pa():
    raw = ncep_raw().load()
    ds = open_reanalysis(sample("ncep_cf.nc")).load()
    hgt = raw["hgt"].sortby("level").sortby("lat").values  # raw: 1000 … 100 mb, 90 … -90
    np.testing.assert_allclose(ds["geopotential"].values, hgt * GRAVITY, rtol=1e-6)
    pres = raw["pres"].sortby("lat").values
    assert raw["pres"].attrs["units"] == "hPa" and 850.0 < pres.mean() < 1010.0
    np.testing.assert_allclose(ds["surface_pressure"].values, pres * 100.0, rtol=1e-6)
    assert ds["geopotential"].attrs["source_variable"] == "hgt"
    assert ds["geopotential"].attrs["source_units"] == "m"


def test_descending_latitude_store_is_flipped():
    raw = xr.open_zarr(sample("era5_arco.zarr"))
    assert raw["latitude"].values[0] == 90.0  # as ARCO-ERA5 stores it: north first
    ds = open_reanalysis(sample("era5_arco.zarr"))
    assert ds["latitude"].values[0] == -90.0 and ds["latitude"].values[-1] == 90.0
    np.testing.assert_array_equal(
        ds["temperature"].isel(latitude=0).values, raw["temperature"].isel(latitude=-1).values
    )


@pytest.mark.parametrize("name", SAMPLES)
def test_arrays_stay_lazy_until_load(name):
    ds = open_reanalysis(sample(name))
    assert all(isinstance(da.data, dask.array.Array) for da in ds.data_vars.values())
    loaded = ds.load()
    assert all(isinstance(da.data, np.ndarray) for da in loaded.data_vars.values())


def test_time_and_level_selection(maker):
    ds = open_reanalysis(sample("era5_arco.zarr"), time="2020-01-01T06", levels_hpa=[850, 500])
    assert dict(ds.sizes) == {"time": 1, "level": 2, "latitude": 19, "longitude": 36}
    np.testing.assert_array_equal(ds["level"].values, [500.0, 850.0])  # ascending, always
    temperature = ds["temperature"].data
    assert isinstance(temperature, dask.array.Array)
    assert temperature.numblocks[0] == 1  # one of the store's three time chunks is all it reads
    expected = expected_fields(maker, ds)["temperature"]
    np.testing.assert_allclose(ds["temperature"].values, expected, rtol=2e-6)

    window = open_reanalysis(sample("ncep_cf.nc"), time=slice("2020-01-01T06", None))
    np.testing.assert_array_equal(window.indexes["time"], TIMES[1:])
    picked = open_reanalysis(sample("ncep_cf.nc"), time=["2020-01-01T12", "2020-01-01T00"])
    assert set(picked.indexes["time"]) == {TIMES[0], TIMES[2]}
    one_level = open_reanalysis(sample("weatherbench2.nc"), levels_hpa=250)
    assert one_level.sizes["level"] == 1 and float(one_level["level"][0]) == 250.0


def test_variables_are_chosen_by_canonical_name():
    ds = open_reanalysis(
        sample("weatherbench2.zarr"), variables=["surface_pressure", "temperature"]
    )
    assert list(ds.data_vars) == ["surface_pressure", "temperature"]
    surface = open_reanalysis(sample("weatherbench2.zarr"), variables=["surface_pressure"])
    assert "level" not in surface.dims
    with pytest.raises(reanalysis.ReanalysisSchemaError, match="canonical names") as info:
        open_reanalysis(sample("weatherbench2.zarr"), variables=["t2m"])
    assert "'t2m'" in str(info.value) and "u_component_of_wind" in str(info.value)


def test_cf_variables_are_found_by_standard_name_not_name():
    renamed = ncep_raw().rename({v: f"field{i}" for i, v in enumerate(ncep_raw().data_vars)})
    ds = open_reanalysis(renamed)
    reference = open_reanalysis(sample("ncep_cf.nc"))
    assert list(ds.data_vars) == list(reference.data_vars)
    xr.testing.assert_allclose(ds.load(), reference.load())
    assert ds["geopotential"].attrs["source_variable"].startswith("field")


def test_grams_per_kilogram_pascal_levels_and_negative_longitudes_are_converted():
    reference = open_reanalysis(sample("ncep_cf.nc")).load()
    raw = ncep_raw()
    raw["shum"] = raw["shum"] * 1000.0
    raw["shum"].attrs = {"units": "g/kg", "standard_name": "specific_humidity"}
    raw = raw.assign_coords(level=("level", raw["level"].values * 100.0, {"units": "Pa"}))
    lon = raw["lon"].values
    raw = raw.assign_coords(lon=("lon", np.where(lon >= 180.0, lon - 360.0, lon), {}))
    ds = open_reanalysis(raw).load()
    np.testing.assert_array_equal(ds["level"].values, reference["level"].values)
    np.testing.assert_array_equal(ds["longitude"].values, reference["longitude"].values)
    xr.testing.assert_allclose(ds, reference, rtol=1e-6)


@pytest.mark.parametrize("spelling", ["m s**-1", "m/s", "m s-1", "M S^-1"])
def test_common_unit_spellings_are_accepted(spelling):
    raw = ncep_raw()
    raw["uwnd"].attrs["units"] = spelling
    assert open_reanalysis(raw, variables=["u_component_of_wind"])["u_component_of_wind"].size


def test_unknown_schema_lists_found_and_expected_names():
    ds = xr.Dataset(
        {"foo": (("lat", "lon"), np.zeros((3, 4))), "bar": (("lat", "lon"), np.ones((3, 4)))},
        coords={"lat": [-30.0, 0.0, 30.0], "lon": [0.0, 90.0, 180.0, 270.0]},
    )
    with pytest.raises(reanalysis.ReanalysisSchemaError, match="unknown schema") as info:
        open_reanalysis(ds)
    message = str(info.value)
    for expected in ("'foo'", "'bar'", "u_component_of_wind", "eastward_wind", "uwnd"):
        assert expected in message


def test_missing_variable_names_it_and_what_was_found():
    with pytest.raises(reanalysis.ReanalysisSchemaError) as info:
        open_reanalysis(sample("ncep_cf.nc"), variables=["temperature", "total_precipitation"])
    message = str(info.value)
    assert "'total_precipitation' not found" in message
    assert "'hgt'" in message and "lwe_thickness_of_precipitation_amount" in message


def test_extra_dimensions_are_named():
    raw = ncep_raw()
    raw["uwnd"] = raw["uwnd"].expand_dims(number=2)  # an ensemble dimension the model has not
    with pytest.raises(reanalysis.ReanalysisSchemaError, match="'uwnd'.*'number': 2"):
        open_reanalysis(raw)
    raw = ncep_raw()
    raw["uwnd"] = raw["uwnd"].expand_dims(number=1)  # a length-1 extra dimension is dropped
    assert open_reanalysis(raw)["u_component_of_wind"].dims[0] == "time"


def test_bad_or_missing_units_name_the_found_and_expected_units():
    raw = ncep_raw()
    raw["air"].attrs["units"] = "degF"
    with pytest.raises(reanalysis.ReanalysisUnitsError) as info:
        open_reanalysis(raw)
    message = str(info.value)
    assert "'air'" in message and "'degF'" in message and "'degK'" in message
    assert "'degC'" in message  # Celsius is accepted (and converted), so it is offered
    raw = ncep_raw()
    del raw["pres"].attrs["units"]
    with pytest.raises(reanalysis.ReanalysisUnitsError, match="'pres'.*has no units attribute"):
        open_reanalysis(raw)


def test_levels_not_in_the_file_list_the_available_ones():
    with pytest.raises(reanalysis.ReanalysisLevelError) as info:
        open_reanalysis(sample("weatherbench2.zarr"), levels_hpa=[500, 700])
    message = str(info.value)
    assert "[700.0] hPa not in" in message
    assert "available levels (hPa): [100.0, 250.0, 500.0, 850.0, 1000.0]" in message


@pytest.mark.parametrize(
    "time", ["2021-01-01", slice("2019-01-01", "2019-02-01"), ["2020-01-01T03"]]
)
def test_times_not_in_the_file_list_the_available_ones(time):
    with pytest.raises(reanalysis.ReanalysisTimeError) as info:
        open_reanalysis(sample("era5_arco.zarr"), time=time)
    message = str(info.value)
    assert "not found" in message and "2020-01-01 06:00:00" in message


def test_errors_are_value_errors_and_bad_paths_say_so(tmp_path):
    for error in (
        reanalysis.ReanalysisSchemaError,
        reanalysis.ReanalysisUnitsError,
        reanalysis.ReanalysisLevelError,
        reanalysis.ReanalysisTimeError,
        reanalysis.ReanalysisSourceError,
        reanalysis.ReanalysisValueError,
    ):
        assert issubclass(error, reanalysis.ReanalysisError)
        assert issubclass(error, errors.InputError) and issubclass(error, ValueError)
    with pytest.raises(FileNotFoundError, match="no file or Zarr store"):
        open_reanalysis(tmp_path / "missing.zarr")
    (tmp_path / "folder").mkdir()
    with pytest.raises(reanalysis.ReanalysisSourceError, match="not a Zarr store"):
        open_reanalysis(tmp_path / "folder")


def test_remote_url_failure_says_network_was_tried(monkeypatch):
    """No network here: xr.open_zarr is replaced; the URL and options it got are checked."""
    calls = []

    def offline_open_zarr(store, **kwargs):
        calls.append((store, kwargs))
        raise OSError("name resolution failed")

    monkeypatch.setattr(xr, "open_zarr", offline_open_zarr)
    url = "gs://gcp-public-data-arco-era5/ar/full_37-1h-0p25deg-chunk-1.zarr-v3"
    with pytest.raises(reanalysis.ReanalysisSourceError) as info:
        open_reanalysis(url)
    message = str(info.value)
    assert "network access was attempted" in message and "local path" in message
    assert "name resolution failed" in message and url in message
    assert calls == [(url, {"storage_options": {"token": "anon"}, "chunks": {}})]


def test_remote_url_goes_through_the_same_canonicalisation(monkeypatch):
    local = xr.open_zarr(sample("era5_arco.zarr"))
    monkeypatch.setattr(xr, "open_zarr", lambda store, **kwargs: local)
    ds = open_reanalysis("https://example.invalid/era5.zarr", levels_hpa=[500])
    assert ds["latitude"].values[0] == -90.0 and ds.sizes["level"] == 1
    assert ds.attrs["source"] == "https://example.invalid/era5.zarr"


# ---------------------------------------------------------------- units and plausible values
def changed(raw: xr.Dataset, name: str, factor=1.0, offset=0.0, **attrs) -> xr.Dataset:
    """`raw` with `name` scaled and shifted, its attributes kept and updated by `attrs`."""
    out = raw.copy()
    out[name] = (raw[name] * factor + offset).assign_attrs({**raw[name].attrs, **attrs})
    return out


def refusal(ds, **kwargs) -> str:
    with pytest.raises(reanalysis.ReanalysisValueError) as info:
        open_reanalysis(ds, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith("implausible ")
    return message


@pytest.mark.parametrize(
    "spelling", ["degC", "deg C", "°C", "C", "celsius", "degrees_Celsius", "DEGC"]
)
def test_celsius_is_converted_to_the_same_kelvin(spelling):
    reference = open_reanalysis(sample("ncep_cf.nc")).load()
    ds = open_reanalysis(changed(ncep_raw(), "air", offset=-273.15, units=spelling)).load()
    assert ds["temperature"].dtype == np.float32
    assert ds["temperature"].attrs["units"] == "K"
    assert ds["temperature"].attrs["source_units"] == spelling
    np.testing.assert_allclose(
        ds["temperature"].values, reference["temperature"].values, rtol=0, atol=1e-4
    )


# name: (the mislabelled source from the NCEP sample, what the refusal must say).
MISLABELLED = {
    "celsius labelled kelvin": (
        lambda raw: changed(raw, "air", offset=-273.15),
        [
            "temperature ('air'",
            "units 'degK'",
            "minimum -",
            " K at time ",
            "level 100 hPa",
            "degrees Celsius",
            "set ds['air'].attrs['units'] = 'degC'",
        ],
    ),
    "kelvin labelled celsius": (
        lambda raw: changed(raw, "air", units="degC"),
        [
            "temperature ('air'",
            "units 'degC'",
            "maximum 5",
            " K at time ",
            "level 1000 hPa",
            "set ds['air'].attrs['units'] = 'K'",
        ],
    ),
    "grams per kilogram labelled kg/kg": (
        lambda raw: changed(raw, "shum", factor=1000.0),
        [
            "specific_humidity ('shum'",
            "units 'kg/kg'",
            " kg kg-1 at time ",
            "level 1000 hPa",
            "set ds['shum'].attrs['units'] = 'g kg-1'",
        ],
    ),
    "pascals labelled hPa": (
        lambda raw: changed(raw, "pres", factor=100.0),
        [
            "surface_pressure ('pres'",
            "units 'hPa'",
            "maximum 1.00",
            "e+07 Pa at time ",
            "set ds['pres'].attrs['units'] = 'Pa'",
        ],
    ),
    "hPa labelled pascals": (
        lambda raw: changed(raw, "pres", units="Pa"),
        [
            "surface_pressure ('pres'",
            "units 'Pa'",
            "minimum 8",
            " Pa at time ",
            "set ds['pres'].attrs['units'] = 'hPa'",
        ],
    ),
    "height labelled geopotential": (
        lambda raw: changed(raw, "hgt", units="m2 s-2", standard_name="geopotential"),
        [
            "geopotential ('hgt'",
            "units 'm2 s-2'",
            "at that level",
            "geopotential height",
            "set ds['hgt'].attrs.update(units='m', standard_name='geopotential_height')",
        ],
    ),
    "geopotential labelled height": (
        lambda raw: changed(raw, "hgt", factor=GRAVITY),
        [
            "geopotential ('hgt'",
            "units 'm'",
            "at that level",
            "set ds['hgt'].attrs.update(units='m2 s-2', standard_name='geopotential')",
        ],
    ),
}


@pytest.mark.parametrize("case", MISLABELLED)
def test_a_wrong_unit_is_refused_with_the_fix(case):
    mislabel, expected = MISLABELLED[case]
    ds = mislabel(ncep_raw())
    message = refusal(ds)
    for text in expected:
        assert text in message, text
    assert "look like" in message and "look corrupt" not in message
    # Doing what the message says opens the data, with the reference values.
    fix = re.search(r"set (ds\[.*?) and pass the Dataset to open_reanalysis$", message).group(1)
    exec(fix, {"ds": ds})
    reference = open_reanalysis(sample("ncep_cf.nc")).load()
    xr.testing.assert_allclose(open_reanalysis(ds).load(), reference, rtol=1e-5)


def test_precipitation_in_millimetres_labelled_metres_is_refused_with_the_fix():
    raw = xr.open_zarr(sample("weatherbench2.zarr"))
    raw = changed(raw, "total_precipitation", factor=1000.0)  # in mm, still labelled m
    message = refusal(raw, variables=["total_precipitation"])
    assert "maximum 0.69" in message and "outside the plausible 0 … 0.5 m" in message
    assert "look like millimetres: set ds['total_precipitation'].attrs['units'] = 'mm'" in message


def test_a_wrong_unit_of_a_file_is_refused_at_open_with_a_place(tmp_path):
    raw = ncep_raw().load()
    raw["air"][2, 3, 5, 7] = 150.0  # the one coldest value: 12 UTC, 250 hPa, 52.5 N, 52.5 E
    path = tmp_path / "celsius.nc"
    changed(raw, "air", offset=-273.15).to_netcdf(path)
    message = refusal(path)
    assert "minimum -123.15 K at time 2020-01-01T12:00, level 250 hPa, latitude 52.5, " in message
    assert "longitude 52.5, outside the plausible 150 … 350 K" in message
    assert f"'air' in {path}" in message and "open it with xarray, set ds['air']" in message


def test_an_impossible_wind_is_refused_without_a_unit_hint():
    raw = ncep_raw().load()
    raw["uwnd"][1, 2, 3, 4] = 1e4
    message = refusal(raw)
    assert "u_component_of_wind ('uwnd'" in message and "maximum 10000 m s-1" in message
    assert "-200 … 200 m s-1" in message
    place = f"time 2020-01-01T06:00, level 500 hPa, latitude {float(raw['lat'][3]):g}, longitude 30"
    assert place in message
    assert "look corrupt" in message and "look like" not in message and "attrs" not in message


def test_a_value_just_outside_its_range_gets_no_unit_hint():
    raw = ncep_raw().load()
    raw["shum"][0, 0, 0, 0] = -2e-4  # g/kg would fit, but this is a bad value, not a unit
    message = refusal(raw)
    assert "minimum -0.0002 kg kg-1" in message and "look corrupt" in message
    assert "look like" not in message and "'g kg-1'" not in message


def test_nans_are_ignored_but_an_all_nan_variable_is_refused():
    raw = ncep_raw().load()
    raw["air"][0, 1] = np.nan
    assert np.isnan(open_reanalysis(raw)["temperature"].values).any()
    raw["air"][:] = np.nan
    with pytest.raises(reanalysis.ReanalysisValueError) as info:
        open_reanalysis(raw)
    message = str(info.value)
    assert "temperature ('air'" in message and "NaN everywhere" in message
    assert "\n" not in message


def test_check_values_false_skips_the_check():
    raw = changed(ncep_raw(), "air", offset=-273.15)
    ds = open_reanalysis(raw, check_values=False)
    assert float(ds["temperature"].min()) < 0.0  # the °C values, read as K
    with pytest.raises(reanalysis.ReanalysisValueError, match="degC"):
        check_plausible(ds)


def test_small_selections_are_checked_at_open_and_big_ones_when_loaded(monkeypatch):
    calls = []
    monkeypatch.setattr(reanalysis, "check_plausible", lambda ds: calls.append(ds.nbytes))
    open_reanalysis(sample("weatherbench2.zarr"))
    assert len(calls) == 1
    monkeypatch.setattr(reanalysis, "CHECK_AT_OPEN_MAX_BYTES", 1000)  # "a whole ERA5 store"
    open_reanalysis(sample("weatherbench2.zarr"))
    assert len(calls) == 1
    monkeypatch.undo()

    monkeypatch.setattr(reanalysis, "CHECK_AT_OPEN_MAX_BYTES", 1000)
    raw = changed(xr.open_zarr(sample("weatherbench2.zarr")), "temperature", offset=-273.15)
    ds = open_reanalysis(raw)  # not read at open, so not refused
    assert isinstance(ds["temperature"].data, dask.array.Array)
    with pytest.raises(reanalysis.ReanalysisValueError, match="degC") as info:
        pl.model_from_pressure_levels(ds, "T21", 5, time_index=1)
    assert "time 2020-01-01T06:00" in str(info.value)  # the time that was loaded


def test_check_plausible_computes_once_and_leaves_data_lazy():
    from dask.callbacks import Callback

    class Counter(Callback):
        computes = 0

        def _start(self, dsk):
            Counter.computes += 1

    ds = open_reanalysis(sample("era5_arco.zarr"), check_values=False)
    with Counter():
        check_plausible(ds)
    assert Counter.computes == 1
    assert all(isinstance(da.data, dask.array.Array) for da in ds.data_vars.values())


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_is_plausible(name):
    check_plausible(open_reanalysis(sample(name), check_values=False))
