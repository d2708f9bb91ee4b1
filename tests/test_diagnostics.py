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


# ------------------------------------------------------------------- balanced winds (Grid)
# float32 grids as the models use them; Williamson et al. (1992) TC2's geopotential is
# Φ = g h₀ − (a Ω u₀ + u₀²/2) sin²φ, in nonlinear balance with solid-body rotation u₀ cos φ.
U0 = 38.6
TC2_SLOPE = EARTH_RADIUS * ANGULAR_VELOCITY * U0 + 0.5 * U0**2


def _tc2(grid):
    lat = grid.latitudes[:, None] + 0.0 * grid.longitudes[None, :]
    return lat, 2.94e4 - TC2_SLOPE * np.sin(lat) ** 2


def _divergence_tendency(u, v, phi, grid):
    """|∂δ/∂t| of a shallow-water model started from (u, v, Φ/g), relative to its g∇²h′ part."""
    from ngcm_lab.cases import ShallowWaterFields
    from ngcm_lab.models import ShallowWaterModel

    fields = ShallowWaterFields(u, v, phi / GRAVITY, np.zeros(grid.nodal_shape))
    model = ShallowWaterModel.from_fields(fields, grid, 1800.0)
    state = model.initial_state
    gravity_part = model.equation.implicit_terms(state).divergence
    total = model.equation.explicit_terms(state).divergence + gravity_part
    return float(np.abs(total).max() / np.abs(gravity_part).max())


def _wavy_geopotential(grid):
    lat, lon = grid.latitudes[:, None], grid.longitudes[None, :]
    waves = np.cos(lat) ** 2 * np.sin(lat) ** 2 * (2400.0 * np.cos(4 * lon) + 900 * np.sin(2 * lon))
    return 5.5e4 - 8000.0 * np.sin(lat) ** 2 + waves


def test_latitude_taper():
    lat = np.radians([-90.0, -25.0, -15.0, 0.0, 5.0, 15.0, 20.0, 60.0])
    w = diag.latitude_taper(lat, (10.0, 20.0))
    np.testing.assert_allclose(w, [1, 1, 0.5, 0, 0, 0.5, 1, 1], atol=1e-12)
    np.testing.assert_array_equal(diag.latitude_taper(lat, (0.0, 0.0)), np.ones(lat.size))
    with pytest.raises(ValueError, match="taper_deg"):
        diag.latitude_taper(lat, (20.0, 10.0))


def test_geostrophic_wind_of_williamson2_and_of_a_wave():
    grid = Grid.from_name("T21")
    lat, phi = _tc2(grid)
    # −(1/fa) ∂Φ/∂φ of TC2: (u₀ + u₀²/(2aΩ)) cos φ, a little more than the balanced u₀ cos φ.
    expected = (U0 + U0**2 / (2 * EARTH_RADIUS * ANGULAR_VELOCITY)) * np.cos(lat)
    for nondivergent in (True, False):
        u, v = diag.geostrophic_wind(phi, grid, taper_deg=(0, 0), nondivergent=nondivergent)
        np.testing.assert_allclose(u, expected, atol=2e-4 * U0)
        np.testing.assert_allclose(v, 0.0, atol=2e-4 * U0)
    # Default taper: zero within 10° of the equator, full poleward of 20°; the nondivergent
    # projection smooths the edge at the truncation (a little wind leaks into the band).
    tropics, outside = np.abs(lat) < np.radians(10.0), np.abs(lat) > np.radians(25.0)
    u, v = diag.geostrophic_wind(phi, grid, nondivergent=False)
    assert np.all(u[tropics] == 0) and np.all(v == 0)
    np.testing.assert_allclose(u[outside], expected[outside], atol=2e-4 * U0)
    u, v = diag.geostrophic_wind(phi, grid)
    assert np.abs(u[tropics]).max() < 0.05 * U0
    # Φ' = A sin φ cos φ cos λ: v_g = −A sin λ / (2Ωa), u_g = −A cos 2φ cos λ / (2Ωa sin φ).
    lon = grid.longitudes[None, :]
    amplitude = 2000.0
    wave = amplitude * np.sin(lat) * np.cos(lat) * np.cos(lon)
    u, v = diag.geostrophic_wind(5.5e4 + wave, grid, nondivergent=False)
    scale = amplitude / (2 * ANGULAR_VELOCITY * EARTH_RADIUS)
    outside = np.abs(lat) > np.radians(20.0)
    np.testing.assert_allclose(v[outside], (-scale * np.sin(lon) + 0 * lat)[outside], atol=1e-3)
    u_expected = -scale * np.cos(2 * lat) * np.cos(lon) / np.sin(lat)
    np.testing.assert_allclose(u[outside], u_expected[outside], atol=1e-3)


def test_balanced_geopotential_of_solid_body_rotation():
    grid = Grid.from_name("T21")
    lat, phi = _tc2(grid)
    mean = float(diag.global_mean(phi, grid.area_weights))
    u, v = U0 * np.cos(lat), np.zeros(grid.nodal_shape)
    balanced = diag.balanced_geopotential(u, v, grid, global_mean=mean)
    np.testing.assert_allclose(balanced, phi, atol=1e-5 * TC2_SLOPE)
    # A divergent wind (v = V sin φ cos φ has no vorticity) is dropped: the result is the same.
    divergent = 5.0 * np.sin(lat) * np.cos(lat)
    with_divergence = diag.balanced_geopotential(u, divergent, grid, global_mean=mean)
    np.testing.assert_allclose(with_divergence, phi, atol=1e-5 * TC2_SLOPE)
    with pytest.raises(ValueError, match="to_model_grid"):
        diag.balanced_geopotential(u[:, :-1], v[:, :-1], grid)


def test_nonlinear_balance_recovers_the_williamson2_wind():
    grid = Grid.from_name("T42")
    lat, phi = _tc2(grid)
    flow = diag.nonlinear_balance(phi, grid)
    assert flow.residual_rms[0] > 150.0 and flow.residual_rms[flow.best_iteration] < 2.0
    outside = np.abs(lat) > np.radians(35.0)
    np.testing.assert_allclose(flow.u[outside], U0 * np.cos(lat[outside]), atol=0.3)
    np.testing.assert_allclose(flow.v, 0.0, atol=1e-3)
    # Equatorward of the tapers the wind is the tapered geostrophic first guess: ~0 within 10°.
    assert np.abs(flow.u[np.abs(lat) < np.radians(10.0)]).max() < 0.05 * U0


def test_nonlinear_balance_starts_the_model_without_a_divergence_tendency():
    grid = Grid.from_name("T21")
    phi = _wavy_geopotential(grid)
    flow = diag.nonlinear_balance(phi, grid)
    assert flow.best_iteration > 0
    assert flow.residual_rms[flow.best_iteration] < 0.1 * flow.residual_rms[0]
    assert float(diag.global_mean(flow.geopotential, grid.area_weights)) == pytest.approx(
        float(diag.global_mean(phi, grid.area_weights)), abs=0.05
    )
    # Balanced start: ∂δ/∂t vanishes to float32 round-off; the geostrophic start is far off it.
    assert _divergence_tendency(flow.u, flow.v, flow.geopotential, grid) < 1e-5
    u, v = diag.geostrophic_wind(phi, grid)
    assert _divergence_tendency(u, v, flow.target, grid) > 0.05
    with pytest.raises(ValueError, match="one"):
        diag.nonlinear_balance(np.stack([phi, phi]), grid)


def test_nonlinear_balance_of_real_500_hpa_geopotential():
    """ERA5 z500 (data_samples/real): the fit converges outside the tropics, winds are sane."""
    from ngcm_lab.paths import data_samples_dir
    from ngcm_lab.regridding import to_model_grid

    path = data_samples_dir() / "real" / "era5_z_t_850_500_2017-01-01.nc"
    z500 = xr.open_dataset(path, engine="h5netcdf")["geopotential"].sel(level=500)
    grid = Grid.from_name("T21")
    phi = to_model_grid(z500.isel(time=0).mean("number"), grid)
    flow = diag.nonlinear_balance(phi, grid)
    assert flow.residual_rms[0] > 150.0, flow.residual_rms[0]  # geostrophy is off by ~20 m
    assert flow.residual_rms[flow.best_iteration] < 30.0, flow.residual_rms
    speed = np.hypot(flow.u, flow.v)
    assert 30.0 < speed.max() < 80.0, speed.max()  # 500 hPa jets, smoothed at T21
    assert _divergence_tendency(flow.u, flow.v, flow.geopotential, grid) < 1e-5
