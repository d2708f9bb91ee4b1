"""Checks of the Jablonowski-Williamson (2006) baroclinic-wave initial state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ngcm_lab import constants
from ngcm_lab.cases.jablonowski_williamson import (
    PrimitiveFields,
    jablonowski_williamson,
    jw_geopotential,
    jw_mean_geopotential,
    jw_mean_temperature,
    jw_perturbation_vorticity_divergence,
    jw_perturbation_wind,
    jw_surface_geopotential,
    jw_temperature,
    jw_zonal_wind,
)

A = constants.EARTH_RADIUS
OMEGA = constants.ANGULAR_VELOCITY
G = constants.GRAVITY
RD = constants.R_DRY
U0 = 35.0
ETA0 = 0.252
ETA_V_SURFACE = (1.0 - ETA0) * math.pi / 2.0  # η_v at the surface
LAT_C, LON_C = math.radians(40.0), math.radians(20.0)


def _hand_surface_geopotential(lat: float) -> float:
    """Φ_s from the paper's formula, evaluated with scalar math only."""
    c = math.cos(ETA_V_SURFACE) ** 1.5
    s, co = math.sin(lat), math.cos(lat)
    a_part = -2.0 * s**6 * (co**2 + 1.0 / 3.0) + 10.0 / 63.0
    b_part = 8.0 / 5.0 * co**3 * (s**2 + 2.0 / 3.0) - math.pi / 4.0
    return U0 * c * (a_part * U0 * c + b_part * A * OMEGA)


def test_zonal_wind_maximum_35_at_eta0_and_45_degrees() -> None:
    lat = np.linspace(-np.pi / 2, np.pi / 2, 181)[:, None]  # 1° spacing, contains ±45°
    sigma = np.linspace(0.002, 1.0, 500)
    sigma = np.sort(np.append(sigma, ETA0))
    u = jw_zonal_wind(lat, sigma)
    assert u.shape == (sigma.size, 181, 1)
    assert u.max() == pytest.approx(35.0, rel=1e-14)
    k, j, _ = np.unravel_index(np.argmax(u), u.shape)
    assert sigma[k] == ETA0
    assert abs(abs(lat[j, 0]) - np.pi / 4) < 1e-12
    np.testing.assert_allclose(u[k, 135, 0], u[k, 45, 0], rtol=1e-14)  # hemispheric symmetry
    assert np.all(u >= 0.0)
    # Surface jet: u0 cos^{3/2}(η_v(1)) ≈ 8.4 m s^-1 at 45°.
    assert u[-1, 135, 0] == pytest.approx(U0 * math.cos(ETA_V_SURFACE) ** 1.5, rel=1e-14)
    assert 8.0 < u[-1, 135, 0] < 9.0


def test_mean_temperature_profile() -> None:
    exponent = RD * 0.005 / G
    assert jw_mean_temperature(1.0) == pytest.approx(288.0, rel=1e-15)
    assert jw_mean_temperature(0.5) == pytest.approx(288.0 * 0.5**exponent, rel=1e-15)
    assert jw_mean_temperature(0.2) == pytest.approx(288.0 * 0.2**exponent, rel=1e-15)
    # Stratosphere: the ΔT (η_t − η)^5 term warms the top.
    assert jw_mean_temperature(0.1) == pytest.approx(
        288.0 * 0.1**exponent + 4.8e5 * 0.1**5, rel=1e-15
    )
    assert jw_mean_temperature(np.array([0.01, 0.1])).shape == (2,)


def test_surface_temperature_equator_and_pole_by_hand() -> None:
    ev = ETA_V_SURFACE
    pref = 0.75 * 1.0 * math.pi * U0 / RD * math.sin(ev) * math.sqrt(math.cos(ev))
    # Equator: A(0) = 10/63, B(0) = 16/15 − π/4.
    equator = 288.0 + pref * (
        2.0 * U0 * math.cos(ev) ** 1.5 * 10.0 / 63.0 + A * OMEGA * (16.0 / 15.0 - math.pi / 4)
    )
    # Pole: A = −2/3 + 10/63, B = −π/4.
    pole = 288.0 + pref * (
        2.0 * U0 * math.cos(ev) ** 1.5 * (-2.0 / 3.0 + 10.0 / 63.0) - A * OMEGA * math.pi / 4
    )
    t = jw_temperature(np.array([0.0, np.pi / 2]), np.array([1.0]))
    assert t.shape == (1, 2)
    assert t[0, 0] == pytest.approx(equator, rel=1e-13)
    assert t[0, 1] == pytest.approx(pole, rel=1e-13)
    assert 309.0 < equator < 311.0  # ≈ 309.95 K
    assert 226.0 < pole < 227.5  # ≈ 226.5 K


def test_surface_geopotential_hand_values_and_zero_mean() -> None:
    equator = _hand_surface_geopotential(0.0)
    pole = _hand_surface_geopotential(math.pi / 2)
    phi = jw_surface_geopotential(np.array([0.0, np.pi / 2, -np.pi / 2]))
    np.testing.assert_allclose(phi, [equator, pole, pole], rtol=1e-13)
    assert 1.0e3 < equator < 1.2e3  # ≈ 113 m of "orography" at the equator
    assert -3.2e3 < pole < -3.0e3  # ≈ −315 m at the poles
    # Area mean vanishes: A(φ) and B(φ) were built with zero global mean (B has cos³φ, not a
    # polynomial in sin φ, so Gauss quadrature converges algebraically: ~1e-12 relative at n=500).
    mu, w = np.polynomial.legendre.leggauss(500)
    mean = np.sum(w * jw_surface_geopotential(np.arcsin(mu))) / 2.0
    assert abs(mean) < 1e-11 * abs(pole)
    # Φ_s is the geopotential at η = 1 and Φ̄(1) = 0.
    lat = np.linspace(-1.5, 1.5, 31)
    np.testing.assert_allclose(jw_geopotential(lat, 1.0), jw_surface_geopotential(lat), rtol=1e-15)
    assert jw_mean_geopotential(1.0) == 0.0


def test_mean_geopotential_continuous_at_tropopause() -> None:
    et = 0.2
    below, above = jw_mean_geopotential(np.array([et * (1 + 1e-12), et * (1 - 1e-12)]))
    assert above == pytest.approx(below, rel=1e-9)


def test_hydrostatic_balance() -> None:
    """dΦ/d ln η = −R_d T, checked with centred differences in ln η."""
    lat = np.linspace(-1.5, 1.5, 61)[:, None]
    eta = np.exp(np.linspace(np.log(0.005), np.log(0.999), 300))
    h = 1e-4
    dphi = (jw_geopotential(lat, eta * np.exp(h)) - jw_geopotential(lat, eta * np.exp(-h))) / (
        2.0 * h
    )
    rhs = -RD * jw_temperature(lat, eta)
    err = np.max(np.abs(dphi - rhs) / np.abs(rhs))
    assert err < 1e-7


def test_gradient_wind_balance_on_eta_surfaces() -> None:
    """a⁻¹ ∂Φ/∂φ = −(f + u tan φ / a) u at several levels (p_s uniform, so η surfaces are p)."""
    lat = np.linspace(-1.5, 1.5, 301)
    eta = np.array([0.05, 0.252, 0.5, 0.85, 1.0])
    h = 1e-5
    dphi = (jw_geopotential(lat + h, eta) - jw_geopotential(lat - h, eta)) / (2.0 * h * A)
    u = jw_zonal_wind(lat, eta)
    rhs = -(2.0 * OMEGA * np.sin(lat) + u * np.tan(lat) / A) * u
    assert np.max(np.abs(dphi - rhs)) < 1e-7 * np.max(np.abs(rhs))


def test_perturbation_peak_and_shape() -> None:
    sigma = np.array([0.1, 0.5, 0.9])
    u_c = jw_perturbation_wind(LAT_C, LON_C, sigma)
    np.testing.assert_allclose(u_c, 1.0, rtol=1e-15)
    # One e-folding radius (a/10) due north of the centre: u′ = 1/e.
    u_r = jw_perturbation_wind(LAT_C + 0.1, LON_C, 0.5)
    assert u_r == pytest.approx(math.exp(-1.0), rel=1e-12)
    # Centre: ∂X/∂φ = 0 and sin(λ − λ_c) = 0, so ζ′ = u_p tan φ_c / a and δ′ = 0.
    vort, div = jw_perturbation_vorticity_divergence(LAT_C, LON_C, sigma)
    np.testing.assert_allclose(vort, math.tan(LAT_C) / A, rtol=1e-12)
    np.testing.assert_allclose(div, 0.0, atol=1e-25)


def test_perturbation_closed_forms_match_finite_differences() -> None:
    n = 2001
    lat1 = LAT_C + np.linspace(-0.4, 0.4, n)
    lon1 = LON_C + np.linspace(-0.6, 0.6, n)
    lat, lon = lat1[:, None], lon1[None, :]
    u = jw_perturbation_wind(lat, lon, 1.0)
    ucos = u * np.cos(lat)
    vort_fd = -np.gradient(ucos, lat1, axis=0) / (A * np.cos(lat))
    div_fd = np.gradient(u, lon1, axis=1) / (A * np.cos(lat))
    vort, div = jw_perturbation_vorticity_divergence(lat, lon, 1.0)
    inner = (slice(1, -1), slice(1, -1))
    assert np.max(np.abs(vort - vort_fd)[inner]) < 1e-4 * np.max(np.abs(vort))
    assert np.max(np.abs(div - div_fd)[inner]) < 1e-4 * np.max(np.abs(div))
    # Magnitude: ~2 u_p a / R² · (R/a) ≈ 2e-6 s^-1 at most.
    assert 1e-6 < np.max(np.abs(vort)) < 3e-6


def test_perturbation_finite_everywhere_including_antipode() -> None:
    lat = np.array([-LAT_C, -LAT_C, 0.0, 1.5, -1.5])
    lon = np.array([LON_C + np.pi, LON_C - np.pi, LON_C, LON_C + 3.0, 0.0])
    vort, div = jw_perturbation_vorticity_divergence(lat, lon, np.array([0.5]))
    assert vort.shape == div.shape == (1, 5)
    assert np.all(np.isfinite(vort)) and np.all(np.isfinite(div))
    np.testing.assert_allclose(vort[0, [0, 1, 3, 4]], 0.0, atol=1e-30)
    np.testing.assert_allclose(div[0, [0, 1, 3, 4]], 0.0, atol=1e-30)


def test_initial_state_shapes_and_contents() -> None:
    lat = np.linspace(-1.5, 1.5, 32)[:, None]
    lon = np.linspace(0.0, 2 * np.pi, 64, endpoint=False)[None, :]
    sigma = (np.arange(20) + 0.5) / 20
    f = jablonowski_williamson(lat, lon, sigma)
    assert isinstance(f, PrimitiveFields)
    full, surface = (20, 32, 64), (32, 64)
    for x in (f.u, f.v, f.temperature, f.vorticity_perturbation, f.divergence_perturbation):
        assert x.shape == full
    assert f.surface_pressure.shape == surface and f.surface_geopotential.shape == surface
    np.testing.assert_array_equal(f.surface_pressure, 1.0e5)
    np.testing.assert_array_equal(f.v, 0.0)
    # u is the balanced zonal wind only (u′ is in ζ′, δ′), so it is zonally symmetric.
    np.testing.assert_array_equal(f.u, np.broadcast_to(jw_zonal_wind(lat, sigma), full))
    np.testing.assert_array_equal(f.temperature, np.broadcast_to(jw_temperature(lat, sigma), full))
    np.testing.assert_array_equal(
        f.surface_geopotential, np.broadcast_to(jw_surface_geopotential(lat), surface)
    )
    vort, div = jw_perturbation_vorticity_divergence(lat, lon, sigma)
    np.testing.assert_array_equal(f.vorticity_perturbation, vort)
    np.testing.assert_array_equal(f.divergence_perturbation, div)
    np.testing.assert_array_equal(f.vorticity_perturbation[0], f.vorticity_perturbation[-1])
    assert np.max(np.abs(f.vorticity_perturbation)) > 1e-7

    g = jablonowski_williamson(lat, lon, sigma, perturbed=False)
    np.testing.assert_array_equal(g.vorticity_perturbation, 0.0)
    np.testing.assert_array_equal(g.divergence_perturbation, 0.0)
    np.testing.assert_array_equal(g.u, f.u)
    assert g.vorticity_perturbation.shape == full
