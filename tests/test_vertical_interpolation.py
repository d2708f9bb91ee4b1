"""Vertical interpolation pressure levels ↔ σ levels: analytic columns, round trips, rules, errors.

Tolerances are either derived (trapezoid error bounds of the ln p-linear temperature profile) or
measured once with the profiles below and rounded up (see docs/vertical_interpolation.md).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ngcm_lab.constants import GRAVITY, R_DRY
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.vertical_interpolation import (
    LAPSE_EXPONENT,
    STANDARD_LAPSE_RATE,
    geopotential_on_pressure_levels,
    pressure_to_sigma,
    sigma_to_pressure,
    temperature_from_geopotential,
)

# ERA5's 37 pressure levels (Pa), top to bottom.
ERA5_LEVELS_PA = 100.0 * np.array(
    [1, 2, 3, 5, 7, 10, 20, 30, 50, 70, 100, 125, 150, 175, 200, 225, 250, 300, 350, 400, 450]
    + [500, 550, 600, 650, 700, 750, 775, 800, 825, 850, 875, 900, 925, 950, 975, 1000]
)
SIGMA = SigmaCoordinates.equidistant(32).centers
# A 2-D horizontal grid of surface pressures, ocean to high mountains.
SURFACE_PRESSURE_PA = np.array(
    [[103000.0, 101325.0, 98000.0, 95500.0], [90000.0, 85000.0, 70000.0, 60000.0]]
)
T_SURFACE = 288.0  # K
PHI_SURFACE = 1234.0  # m² s⁻²


def lapse_rate_temperature(p, ps):
    """The standard-lapse-rate atmosphere, T = T_s (p/p_s)^(RΓ/g)."""
    return T_SURFACE * (p / ps) ** LAPSE_EXPONENT


def lapse_rate_geopotential(p, ps):
    """Its closed-form geopotential, Φ = Φ_s + (g/Γ)(T_s − T)."""
    return PHI_SURFACE + GRAVITY / STANDARD_LAPSE_RATE * (T_SURFACE - lapse_rate_temperature(p, ps))


def smooth_temperature(p, ps):
    """Lapse-rate troposphere joined smoothly (over ~5 K) to a 215 K stratosphere."""
    t = lapse_rate_temperature(p, ps)
    return 0.5 * (t + 215.0) + 0.5 * np.sqrt((t - 215.0) ** 2 + 25.0)


def jet_wind(p):
    return 5.0 + 30.0 * np.exp(-(np.log(p / 25000.0) ** 2) / 0.5)


def humidity(p, ps):
    return 0.015 * (p / ps) ** 3


def levels_3d():
    return ERA5_LEVELS_PA[:, None, None] * np.ones((1,) + SURFACE_PRESSURE_PA.shape)


# ----------------------------------------------------------------------------- geopotential
def test_isothermal_geopotential_is_exact():
    p, t0 = levels_3d(), 250.0
    ps = np.full(SURFACE_PRESSURE_PA.shape, 1.0e5)  # on a level: no lapse-rate segment
    phi = geopotential_on_pressure_levels(np.full(p.shape, t0), ERA5_LEVELS_PA, ps, PHI_SURFACE)
    exact = PHI_SURFACE - R_DRY * t0 * np.log(p / ps)
    np.testing.assert_allclose(phi, exact, rtol=0, atol=1e-8)


def test_lapse_rate_geopotential_within_trapezoid_bound():
    """Above ground each layer adds the trapezoid of a convex T(ln p) = T_s e^{α(x − x_s)}, so the
    error is ≥ 0 and ≤ Σ R α² T_bottom Δx³/12 over the layers above; underground and between the
    lowest level and p_s the lapse-rate rule is exact for this column."""
    p, ps = levels_3d(), SURFACE_PRESSURE_PA
    t = lapse_rate_temperature(p, ps)
    phi = geopotential_on_pressure_levels(t, ERA5_LEVELS_PA, ps, PHI_SURFACE)
    error = phi - lapse_rate_geopotential(p, ps)
    above = p <= ps
    layer_bound = R_DRY * LAPSE_EXPONENT**2 * t[1:] * np.diff(np.log(p), axis=0) ** 3 / 12
    layer_bound = np.where(above[1:], layer_bound, 0.0)
    bound = np.concatenate([np.cumsum(layer_bound[::-1], axis=0)[::-1], np.zeros_like(t[:1])])
    assert np.all(error[above] >= -1e-8)
    assert np.all(error[above] <= bound[above] + 1e-8)
    assert error[above].max() > 100.0  # the bound is not vacuous: 1 hPa is ~14 m off
    np.testing.assert_allclose(error[~above], 0.0, atol=1e-8)
    # At and below 100 hPa the layers are thinner: measured ≤ 8.6 m² s⁻² (0.9 m), asserted 10.
    assert np.abs(error[above & (p >= 1.0e4)]).max() < 10.0


def test_hypsometric_consistency():
    p, ps = levels_3d(), SURFACE_PRESSURE_PA
    t = lapse_rate_temperature(p, ps)
    phi = geopotential_on_pressure_levels(t, ERA5_LEVELS_PA, ps, PHI_SURFACE)
    layer_t = temperature_from_geopotential(phi, ERA5_LEVELS_PA)
    assert layer_t.shape == (ERA5_LEVELS_PA.size - 1,) + ps.shape
    above = p[1:] <= ps
    # Exactly the ln p-linear profile's layer mean (the trapezoid) …
    np.testing.assert_allclose(layer_t[above], 0.5 * (t[1:] + t[:-1])[above], atol=1e-9)
    # … and the analytic layer mean (1/Δx)∫T dx within α² T Δx² / 12.
    x = np.log(p)
    dx = np.diff(x, axis=0)
    exact_mean = (t[1:] - t[:-1]) / (LAPSE_EXPONENT * dx)
    bound = LAPSE_EXPONENT**2 * t[1:] * dx**2 / 12
    assert np.all(np.abs(layer_t - exact_mean)[above] <= bound[above] + 1e-9)
    # The closed-form Φ gives the analytic layer mean to round-off.
    exact_layer_t = temperature_from_geopotential(lapse_rate_geopotential(p, ps), ERA5_LEVELS_PA)
    np.testing.assert_allclose(exact_layer_t, exact_mean, rtol=1e-9)


def test_geopotential_interpolation_is_consistent_with_integration():
    """Φ from the integration, interpolated with the same T, returns Φ_s at σ = 1 and matches a
    direct integration to each σ level (both use the same ln p-linear / lapse-rate profile)."""
    p, ps = levels_3d(), SURFACE_PRESSURE_PA
    t = smooth_temperature(p, ps)
    phi = geopotential_on_pressure_levels(t, ERA5_LEVELS_PA, ps, PHI_SURFACE)
    sigma = np.r_[SIGMA, 1.0]
    phi_sigma = pressure_to_sigma(
        phi, ERA5_LEVELS_PA, ps, sigma, kind="geopotential", temperature=t
    )
    np.testing.assert_allclose(phi_sigma[-1], PHI_SURFACE, atol=1e-8)
    # Direct check in one column: add the σ level's pressure as a level and integrate again.
    i, j = 1, 2
    target = sigma[20] * ps[i, j]
    levels = np.sort(np.r_[ERA5_LEVELS_PA, target])
    t_col = np.interp(np.log(levels), np.log(ERA5_LEVELS_PA), t[:, i, j])
    direct = geopotential_on_pressure_levels(t_col, levels, ps[i, j], PHI_SURFACE)
    assert phi_sigma[20, i, j] == pytest.approx(direct[levels == target][0], abs=1e-8)


# ----------------------------------------------------------------------------- round trips
def test_round_trip_pressure_sigma_pressure():
    """ERA5 37 levels → 32 equidistant σ → ERA5, 2-D grid of p_s from 1030 to 600 hPa, where both
    grids cover the column (σ_1 p_s ≤ p ≤ σ_L p_s). Measured: T ≤ 0.72 K (mean 0.05 K), jet wind
    ≤ 1.08 m/s, humidity ≤ 3.2e-4 kg/kg, Φ ≤ 0.2 m² s⁻²; asserted with a margin."""
    p, ps = levels_3d(), SURFACE_PRESSURE_PA

    def round_trip(values, kind, **kw):
        on_sigma = pressure_to_sigma(values, ERA5_LEVELS_PA, ps, SIGMA, kind=kind, **kw)
        assert on_sigma.shape == (SIGMA.size,) + ps.shape
        return on_sigma, sigma_to_pressure(on_sigma, SIGMA, ps, ERA5_LEVELS_PA, kind=kind, **kw)

    covered = (p >= SIGMA[0] * ps) & (p <= SIGMA[-1] * ps)
    t = smooth_temperature(p, ps)
    t_sigma, t_back = round_trip(t, "temperature")
    assert t_back.shape == p.shape
    t_error = np.abs(t_back - t)[covered]
    assert t_error.max() < 1.0 and t_error.mean() < 0.1
    u = jet_wind(p)
    assert np.abs(round_trip(u, "wind")[1] - u)[covered].max() < 1.5
    q = humidity(p, ps)
    assert np.abs(round_trip(q, "humidity")[1] - q)[covered].max() < 5e-4
    phi = geopotential_on_pressure_levels(t, ERA5_LEVELS_PA, ps, PHI_SURFACE)
    phi_sigma = pressure_to_sigma(
        phi, ERA5_LEVELS_PA, ps, SIGMA, kind="geopotential", temperature=t
    )
    phi_back = sigma_to_pressure(
        phi_sigma, SIGMA, ps, ERA5_LEVELS_PA, kind="geopotential", temperature=t_sigma
    )
    assert np.abs(phi_back - phi)[covered].max() < 1.0


def test_horizontal_grid_matches_single_columns():
    p, ps = levels_3d(), SURFACE_PRESSURE_PA
    t = smooth_temperature(p, ps)
    grid = pressure_to_sigma(t, ERA5_LEVELS_PA, ps, SIGMA, kind="temperature")
    for i, j in [(0, 0), (1, 3)]:
        column = pressure_to_sigma(t[:, i, j], ERA5_LEVELS_PA, ps[i, j], SIGMA, kind="temperature")
        np.testing.assert_array_equal(grid[:, i, j], column)
    # A scalar surface pressure broadcasts over the grid.
    same = pressure_to_sigma(t, ERA5_LEVELS_PA, 101325.0, SIGMA, kind="temperature")
    np.testing.assert_array_equal(same[:, 0, 1], grid[:, 0, 1])


def test_level_order_is_free():
    p, ps = levels_3d(), SURFACE_PRESSURE_PA
    t = smooth_temperature(p, ps)
    down = pressure_to_sigma(t, ERA5_LEVELS_PA, ps, SIGMA, kind="temperature")
    up = pressure_to_sigma(t[::-1], ERA5_LEVELS_PA[::-1], ps, SIGMA, kind="temperature")
    np.testing.assert_allclose(up, down, rtol=1e-12)
    back_up = sigma_to_pressure(down, SIGMA, ps, ERA5_LEVELS_PA[::-1], kind="temperature")
    back_down = sigma_to_pressure(down, SIGMA, ps, ERA5_LEVELS_PA, kind="temperature")
    np.testing.assert_allclose(back_up, back_down[::-1], rtol=1e-12)
    phi_up = geopotential_on_pressure_levels(t[::-1], ERA5_LEVELS_PA[::-1], ps, 0.0)
    phi_down = geopotential_on_pressure_levels(t, ERA5_LEVELS_PA, ps, 0.0)
    np.testing.assert_allclose(phi_up[::-1], phi_down, rtol=1e-12, atol=1e-9)


# ----------------------------------------------------------------------------- rules outside
def test_temperature_50_hpa_below_surface_follows_standard_lapse_rate():
    ps = np.array([95000.0, 87300.0])
    target = ps + 5000.0
    t_sigma = lapse_rate_temperature(SIGMA[:, None] * ps, ps)
    for k in range(2):
        t = sigma_to_pressure(t_sigma[:, k], SIGMA, ps[k], [target[k]], kind="temperature")
        assert t[0] == pytest.approx(T_SURFACE * (target[k] / ps[k]) ** LAPSE_EXPONENT, rel=1e-12)
    # The geopotential extrapolated alongside gives the height drop: ΔT / Δz = 6.5 K/km.
    phi_sigma = lapse_rate_geopotential(SIGMA[:, None] * ps, ps)
    levels = np.array([ps[0], target[0]])
    phi = sigma_to_pressure(
        phi_sigma[:, 0], SIGMA, ps[0], levels, kind="geopotential", temperature=t_sigma[:, 0]
    )
    t = sigma_to_pressure(t_sigma[:, 0], SIGMA, ps[0], levels, kind="temperature")
    lapse = (t[1] - t[0]) / ((phi[0] - phi[1]) / GRAVITY)
    assert lapse == pytest.approx(6.5e-3, rel=1e-9)
    assert phi[0] == pytest.approx(PHI_SURFACE, abs=1e-8)


def test_underground_pressure_levels_are_ignored():
    ps = np.array([96000.0, 80500.0])
    p = ERA5_LEVELS_PA[:, None] * np.ones(2)
    t = smooth_temperature(p, ps)
    garbage = np.where(p > ps, 1000.0, t)  # what a reanalysis put underground is not used
    sigma = np.r_[SIGMA, 1.0]
    clean = pressure_to_sigma(t, ERA5_LEVELS_PA, ps, sigma, kind="temperature")
    np.testing.assert_array_equal(
        pressure_to_sigma(garbage, ERA5_LEVELS_PA, ps, sigma, kind="temperature"), clean
    )
    # At σ = 1: the lapse rate from the lowest above-ground level (950 and 800 hPa).
    for k, lowest in enumerate([95000.0, 80000.0]):
        expected = t[ERA5_LEVELS_PA == lowest, k][0] * (ps[k] / lowest) ** LAPSE_EXPONENT
        assert clean[-1, k] == pytest.approx(expected, rel=1e-12)
    # With surface values the surface is the lowest data point; winds hold below the data.
    with_surface = pressure_to_sigma(
        t, ERA5_LEVELS_PA, ps, sigma, kind="temperature", surface_values=np.array([300.0, 280.0])
    )
    np.testing.assert_allclose(with_surface[-1], [300.0, 280.0])
    np.testing.assert_array_equal(with_surface[:-3], clean[:-3])
    u = pressure_to_sigma(jet_wind(p), ERA5_LEVELS_PA, ps, sigma, kind="wind")
    assert u[-1, 1] == jet_wind(80000.0)


def test_above_the_top():
    ps = 1.0e5
    levels = ERA5_LEVELS_PA[10:]  # top level 100 hPa
    t = smooth_temperature(levels, ps)
    sigma = np.array([0.02, 0.5])
    out = pressure_to_sigma(t, levels, ps, sigma, kind="temperature")
    assert out[0] == t[0]  # held constant
    phi = geopotential_on_pressure_levels(t, levels, ps, 0.0)
    phi_out = pressure_to_sigma(phi, levels, ps, sigma, kind="geopotential", temperature=t)
    assert phi_out[0] == pytest.approx(phi[0] - R_DRY * t[0] * np.log(0.02 * ps / levels[0]))
    marked = pressure_to_sigma(t, levels, ps, sigma, kind="temperature", outside="nan")
    assert np.isnan(marked[0]) and marked[1] == out[1]
    # σ → p marks levels above σ_1 p_s and underground.
    back = sigma_to_pressure(
        out, sigma, 90000.0, [1000.0, 50000.0, 95000.0], kind="temperature", outside="nan"
    )
    assert np.isnan(back[0]) and np.isfinite(back[1]) and np.isnan(back[2])


def test_jit_matches_numpy():
    p, ps = levels_3d(), SURFACE_PRESSURE_PA
    t = smooth_temperature(p, ps)
    phi = geopotential_on_pressure_levels(t, ERA5_LEVELS_PA, ps, PHI_SURFACE)
    to_sigma = jax.jit(
        functools.partial(
            pressure_to_sigma, pressure_levels_pa=ERA5_LEVELS_PA, sigma=SIGMA, kind="geopotential"
        )
    )
    got = to_sigma(
        jnp.asarray(phi), surface_pressure_pa=jnp.asarray(ps), temperature=jnp.asarray(t)
    )
    want = pressure_to_sigma(phi, ERA5_LEVELS_PA, ps, SIGMA, kind="geopotential", temperature=t)
    np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=1e-5 * np.abs(want).max())
    integrate = jax.jit(
        lambda temp, surface: geopotential_on_pressure_levels(temp, ERA5_LEVELS_PA, surface, 0.0)
    )
    got_phi = integrate(jnp.asarray(t), jnp.asarray(ps))
    want_phi = geopotential_on_pressure_levels(t, ERA5_LEVELS_PA, ps, 0.0)
    np.testing.assert_allclose(np.asarray(got_phi), want_phi, atol=1e-5 * np.abs(want_phi).max())


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda f: pressure_to_sigma(f, [1e4, 5e4, 3e4], 1e5, SIGMA, kind="wind"), "monotonic"),
        (lambda f: pressure_to_sigma(f, [100.0, 500, 1000], 1e5, SIGMA, kind="wind"), "hPa"),
        (lambda f: pressure_to_sigma(f, [1e4, 5e4, 1e5], 1013.0, SIGMA, kind="wind"), "hPa"),
        (
            lambda f: pressure_to_sigma(f, [1e4, 5e4, 1e5], 1e5, [0.0, 0.5], kind="wind"),
            "interfaces",
        ),
        (
            lambda f: pressure_to_sigma(f, [1e4, 5e4, 1e5], 1e5, [0.5, 1.2], kind="wind"),
            r"\(0, 1\]",
        ),
        (lambda f: pressure_to_sigma(f, [1e4, 5e4, 1e5], 1e5, [0.9, 0.5], kind="wind"), "increase"),
        (lambda f: pressure_to_sigma(f, [1e4, 1e5], 1e5, SIGMA, kind="wind"), "vertical axis"),
        (
            lambda f: pressure_to_sigma(f.T, [1e4, 5e4, 1e5], 1e5, SIGMA, kind="wind"),
            "vertical axis",
        ),
        (
            lambda f: pressure_to_sigma(f, [1e4, 5e4, 1e5], np.ones(3) * 1e5, SIGMA, kind="wind"),
            "horizontal shape",
        ),
        (lambda f: pressure_to_sigma(f, [1e4, 5e4, 1e5], 1e5, SIGMA, kind="wnd"), "kind must be"),
        (
            lambda f: pressure_to_sigma(f, [1e4, 5e4, 1e5], 1e5, SIGMA, kind="geopotential"),
            "temperature",
        ),
        (lambda f: sigma_to_pressure(f[:2], [0.3, 0.8], 1e5, [10.0, 20.0], kind="wind"), "hPa"),
        (
            lambda f: sigma_to_pressure(f[:2], [0.3, 0.8], 1e5, [5e4], kind="wind", outside="x"),
            "outside",
        ),
        (
            lambda f: geopotential_on_pressure_levels(f, [1e4, 5e4, 1e5], 1e5, np.zeros(4)),
            "surface_geopotential",
        ),
        (lambda f: temperature_from_geopotential(f, [100.0, 500.0, 1000.0]), "hPa"),
    ],
)
def test_bad_input_raises(call, message):
    field = np.full((3, 2), 250.0)
    with pytest.raises(ValueError, match=message):
        call(field)
