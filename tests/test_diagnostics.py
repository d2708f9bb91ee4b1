"""Global diagnostics against analytic values on a Gaussian grid (Gauss quadrature is exact for
the low-degree polynomials in sin φ and cos λ used here)."""

import numpy as np
import pytest
import xarray as xr

from ngcm_lab import diagnostics as diag
from ngcm_lab.constants import ANGULAR_VELOCITY, EARTH_RADIUS, GRAVITY
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid

GRID = Grid.from_name("T21", dtype=np.float64)
LAT, LON = np.meshgrid(GRID.latitudes, GRID.longitudes, indexing="ij")
W = GRID.area_weights
AREA = 4.0 * np.pi * EARTH_RADIUS**2
SIGMA = SigmaCoordinates(tuple(np.array([0.0, 0.1, 0.3, 0.6, 1.0])))


def test_global_mean_of_polynomials_in_sin_latitude():
    assert float(diag.global_mean(np.full(GRID.nodal_shape, 3.0), W)) == pytest.approx(3.0)
    assert float(diag.global_mean(np.sin(LAT) ** 2, W)) == pytest.approx(1.0 / 3.0, rel=1e-12)
    waves = np.cos(LAT) * np.cos(3 * LON)
    assert float(diag.global_mean(waves, W)) == pytest.approx(0.0, abs=1e-14)
    # Weights per latitude, or unnormalised (cos φ-like) weights, give the same means.
    stack = np.stack([np.ones_like(LAT), np.sin(LAT) ** 2])
    np.testing.assert_allclose(diag.global_mean(stack, W[:, 0] * 7.0), [1.0, 1.0 / 3.0])


def test_total_mass_of_a_uniform_atmosphere():
    ps = np.full(GRID.nodal_shape, 1.0e5)
    mass = float(diag.total_mass(ps, W))
    assert mass == pytest.approx(AREA * 1.0e5 / GRAVITY, rel=1e-6)
    assert 5.0e18 < mass < 5.5e18  # Earth's atmosphere, about 5.1e18 kg
    assert float(diag.total_mass(ps, W, radius=1.0)) == pytest.approx(4 * np.pi * 1e5 / GRAVITY)


def test_total_water_is_column_integral_of_humidity():
    ps = np.full(GRID.nodal_shape, 1.0e5)
    q = np.broadcast_to(np.array([0.0, 0.001, 0.005, 0.01])[:, None, None], (4, *ps.shape))
    expected = (
        AREA * 1.0e5 / GRAVITY * np.sum(np.array([0.0, 0.001, 0.005, 0.01]) * SIGMA.thickness)
    )
    assert float(diag.total_water(q, ps, SIGMA.thickness, W)) == pytest.approx(expected, rel=1e-9)
    # Uniform q: the water mass is q times the air mass; a time axis gives one value per time.
    q_t = np.full((2, 4, *ps.shape), 0.01)
    water = diag.total_water(q_t, np.stack([ps, 2 * ps]), SIGMA.thickness, W)
    np.testing.assert_allclose(water, np.array([0.01, 0.02]) * diag.total_mass(ps, W), rtol=1e-12)


def test_kinetic_energy_of_solid_body_rotation():
    speed = 20.0
    u, v = speed * np.cos(LAT), np.zeros_like(LAT)
    # ½⟨U² cos²φ⟩ = U²/3.
    assert float(diag.kinetic_energy(u, v, W)) == pytest.approx(speed**2 / 3.0, rel=1e-12)
    levels = np.stack([u, 2 * u, 3 * u, 4 * u])
    per_level = diag.kinetic_energy(levels, 0 * levels, W)
    np.testing.assert_allclose(per_level, speed**2 / 3.0 * np.array([1, 4, 9, 16]), rtol=1e-12)
    ps = np.full(GRID.nodal_shape, 1.0e5)
    column = diag.kinetic_energy(
        levels, 0 * levels, W, surface_pressure=ps, sigma_thickness=SIGMA.thickness
    )
    expected = np.sum(speed**2 / 3.0 * np.array([1, 4, 9, 16]) * SIGMA.thickness) * 1e5 / GRAVITY
    assert float(column) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="both"):
        diag.kinetic_energy(levels, levels, W, surface_pressure=ps)


def test_enstrophy_of_a_zonal_vorticity_profile():
    zeta0 = 1e-5
    assert float(diag.enstrophy(zeta0 * np.sin(LAT), W)) == pytest.approx(zeta0**2 / 6.0)


def test_precipitation_total():
    rate = np.full(GRID.nodal_shape, 3e-5)  # about 2.6 mm per day
    assert float(diag.precipitation_total(rate, W)) == pytest.approx(3e-5 * AREA, rel=1e-12)


def test_shallow_water_potential_vorticity_at_rest():
    depth = np.full(GRID.nodal_shape, 8000.0)
    pv = diag.potential_vorticity_shallow_water(np.zeros_like(depth), depth, GRID.latitudes)
    np.testing.assert_allclose(pv, 2 * ANGULAR_VELOCITY * np.sin(LAT) / 8000.0, rtol=1e-12)
    pv = diag.potential_vorticity_shallow_water(1e-5 * np.ones_like(depth), depth, GRID.latitudes)
    assert pv[GRID.nlat // 2, 0] > 1e-5 / 8000.0  # northern hemisphere: ζ + f > ζ
    with pytest.raises(ValueError, match="radians"):
        diag.potential_vorticity_shallow_water(depth, depth, np.degrees(GRID.latitudes))


def test_rmse_of_a_constant_offset_is_its_size():
    truth = np.cos(LAT) * np.cos(2 * LON) + np.sin(LAT)
    offsets = np.array([1.0, -2.0, 0.5])
    forecast = truth + offsets[:, None, None]
    np.testing.assert_allclose(diag.rmse(forecast, truth, W), np.abs(offsets), rtol=1e-12)
    assert float(diag.rmse(truth, truth, W)) == 0.0


def test_anomaly_correlation():
    climatology = 5000.0 + 300.0 * np.cos(LAT) ** 2
    anomaly = 50.0 * np.cos(LAT) * np.cos(4 * LON)
    truth = climatology + anomaly
    assert float(diag.acc(truth, truth, climatology, W)) == pytest.approx(1.0)
    assert float(diag.acc(climatology - anomaly, truth, climatology, W)) == pytest.approx(-1.0)
    # Amplitude does not matter; an orthogonal pattern has no skill.
    assert float(diag.acc(climatology + 3 * anomaly, truth, climatology, W)) == pytest.approx(1.0)
    other = climatology + 50.0 * np.sin(LAT)
    assert float(diag.acc(other, truth, climatology, W)) == pytest.approx(0.0, abs=1e-12)
    leads = np.stack([truth, climatology + anomaly + 0.5 * (other - climatology)])
    scores = diag.acc(leads, truth, climatology, W, centered=True)
    assert scores.shape == (2,) and scores[0] == pytest.approx(1.0) and 0 < scores[1] < 1


def test_zonal_mean():
    field = np.sin(LAT) + np.cos(LAT) * np.cos(LON)
    np.testing.assert_allclose(diag.zonal_mean(field), np.sin(GRID.latitudes), atol=1e-12)


def test_dataarray_inputs_keep_leading_coordinates():
    times = np.array(["2000-01-01", "2000-01-02"], dtype="datetime64[ns]")
    ps = xr.DataArray(
        np.full((2, GRID.nlon, GRID.nlat), 1.0e5),  # lon before lat: moved last by the functions
        dims=("time", "lon", "lat"),
        coords={
            "time": times,
            "lat": np.degrees(GRID.latitudes),
            "lon": np.degrees(GRID.longitudes),
        },
        attrs={"units": "Pa"},
    )
    mass = diag.total_mass(ps, W)
    assert isinstance(mass, xr.DataArray) and mass.dims == ("time",)
    np.testing.assert_array_equal(mass["time"].values, times)
    assert mass.attrs["units"] == "kg"
    np.testing.assert_allclose(mass.values, AREA * 1e5 / GRAVITY, rtol=1e-9)
    mean = diag.global_mean(ps, W)
    assert mean.attrs["units"] == "Pa" and mean.dims == ("time",)
    zonal = diag.zonal_mean(ps)
    assert zonal.dims == ("time", "lat") and zonal.attrs["units"] == "Pa"
    error = diag.rmse(ps + 2.0, ps, W)
    np.testing.assert_allclose(error.values, 2.0)
