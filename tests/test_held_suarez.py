"""Checks of the Held-Suarez (1994) forcing against hand-evaluated values."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from ngcm_lab.held_suarez import HeldSuarezForcing

DAY = 86400.0
HS = HeldSuarezForcing()
RTOL = 1e-6  # jax computes in float32 unless x64 is enabled


def _reference(lat, sigma, u, v, t, ps):
    """Plain-numpy transcription of the paper's formulas, float64."""
    p = sigma * ps / 1e5
    teq = np.maximum(
        200.0,
        (315.0 - 60.0 * np.sin(lat) ** 2 - 10.0 * np.log(p) * np.cos(lat) ** 2) * p ** (2.0 / 7.0),
    )
    w = np.maximum(0.0, (sigma - 0.7) / 0.3)
    k_t = 1.0 / (40 * DAY) + (1.0 / (4 * DAY) - 1.0 / (40 * DAY)) * w * np.cos(lat) ** 4
    k_v = w / DAY
    return -k_v * u, -k_v * v, -k_t * (t - teq)


def test_rates_are_per_day_of_86400_seconds() -> None:
    assert 1.0 / HS.k_a == pytest.approx(40.0 * DAY, rel=1e-15)
    assert 1.0 / HS.k_s == pytest.approx(4.0 * DAY, rel=1e-15)
    assert 1.0 / HS.k_f == pytest.approx(DAY, rel=1e-15)
    assert (HS.sigma_b, HS.delta_t_y, HS.delta_theta_z) == (0.7, 60.0, 10.0)
    assert (HS.t_min, HS.t_max, HS.p0) == (200.0, 315.0, 1e5)
    assert HS.kappa == pytest.approx(2.0 / 7.0, rel=1e-15)


def test_temperature_relaxation_rate_by_hand() -> None:
    k = HS.temperature_relaxation_rate
    assert float(k(0.0, np.array([1.0]))[0, 0, 0]) == pytest.approx(1 / (4 * DAY), rel=RTOL)
    for s in (0.1, 0.5, 0.7):
        for lat in (0.0, 0.7, 1.5):
            assert float(k(lat, s)) == pytest.approx(1 / (40 * DAY), rel=RTOL)
    # σ = 1 at 60°: cos⁴ = 1/16.
    expected = 1 / (40 * DAY) + (1 / (4 * DAY) - 1 / (40 * DAY)) / 16.0
    assert float(k(math.pi / 3, 1.0)) == pytest.approx(expected, rel=RTOL)
    # Half-way through the boundary layer at the equator.
    expected = 1 / (40 * DAY) + 0.5 * (1 / (4 * DAY) - 1 / (40 * DAY))
    assert float(k(0.0, 0.85)) == pytest.approx(expected, rel=RTOL)


def test_wind_drag_rate_by_hand() -> None:
    k_v = HS.wind_drag_rate(np.array([0.2, 0.7, 0.85, 1.0]))
    assert k_v.shape == (4, 1, 1)
    np.testing.assert_allclose(np.ravel(k_v), [0.0, 0.0, 0.5 / DAY, 1.0 / DAY], rtol=RTOL)


def test_equilibrium_temperature_by_hand() -> None:
    teq = HS.equilibrium_temperature
    assert float(teq(0.0, 1.0, 1e5)) == pytest.approx(315.0, rel=RTOL)
    assert float(teq(math.pi / 2, 1.0, 1e5)) == pytest.approx(255.0, rel=RTOL)
    mid = (315.0 + 10.0 * math.log(2.0)) * 0.5 ** (2.0 / 7.0)
    assert float(teq(0.0, 0.5, 1e5)) == pytest.approx(mid, rel=RTOL)
    # Floors at 200 K aloft at every latitude.
    for lat in (0.0, 0.5, 1.0, 1.5):
        assert float(teq(lat, 0.05, 1e5)) == 200.0
    # Depends on p = σ p_s, not on σ alone.
    assert float(teq(0.3, 1.0, 5e4)) == pytest.approx(float(teq(0.3, 0.5, 1e5)), rel=RTOL)


def test_shapes_broadcast() -> None:
    nlat, nlon, levels = 8, 16, 5
    lat = np.linspace(-1.4, 1.4, nlat)[:, None]
    sigma = (np.arange(levels) + 0.5) / levels
    ps = np.full((nlat, nlon), 1e5)
    t3 = HS.equilibrium_temperature(lat, sigma[:, None, None], ps)
    t1 = HS.equilibrium_temperature(lat, sigma, ps)
    assert t3.shape == t1.shape == (levels, nlat, nlon)
    np.testing.assert_array_equal(t1, t3)
    assert HS.temperature_relaxation_rate(lat, sigma).shape == (levels, nlat, 1)
    full = np.broadcast_to(lat, (nlat, nlon))
    assert HS.temperature_relaxation_rate(full, sigma).shape == (levels, nlat, nlon)
    u = np.ones((levels, nlat, nlon))
    for x in HS.tendencies(lat, sigma, u, u, 250.0 * u, ps):
        assert x.shape == (levels, nlat, nlon)


def test_tendencies_jit_match_numpy_reference() -> None:
    rng = np.random.default_rng(0)
    nlat, nlon, levels = 12, 24, 8
    lat = np.linspace(-1.45, 1.45, nlat)[:, None]
    sigma = ((np.arange(levels) + 0.5) / levels)[:, None, None]
    ps = 1e5 + 2e3 * rng.standard_normal((nlat, nlon))
    u = 20.0 * rng.standard_normal((levels, nlat, nlon))
    v = 10.0 * rng.standard_normal((levels, nlat, nlon))
    t = 250.0 + 30.0 * rng.standard_normal((levels, nlat, nlon))
    expected = _reference(lat, sigma, u, v, t, ps)
    eager = HS.tendencies(lat, sigma, u, v, t, ps)
    jitted = jax.jit(HS.tendencies)(lat, sigma, u, v, t, ps)
    for e, a, b in zip(expected, eager, jitted, strict=True):
        scale = np.max(np.abs(e))
        np.testing.assert_allclose(np.asarray(a), e, rtol=0, atol=2e-6 * scale)
        np.testing.assert_allclose(np.asarray(b), e, rtol=0, atol=2e-6 * scale)


def test_tendencies_signs_and_equilibrium() -> None:
    lat = np.array([[0.0], [0.8]])
    sigma = np.array([0.3, 0.95])
    ps = np.full((2, 3), 1e5)
    teq = HS.equilibrium_temperature(lat, sigma, ps)
    du, dv, dt = HS.tendencies(lat, sigma, np.ones((2, 2, 3)), -np.ones((2, 2, 3)), teq, ps)
    np.testing.assert_array_equal(dt, 0.0)
    np.testing.assert_array_equal(du[0], 0.0)  # free atmosphere: no drag
    assert np.all(np.asarray(du[1]) < 0) and np.all(np.asarray(dv[1]) > 0)
    _, _, dt = HS.tendencies(lat, sigma, 0.0, 0.0, teq + 1.0, ps)
    assert np.all(np.asarray(dt) < 0)
    k_t = HS.temperature_relaxation_rate(lat, sigma)
    np.testing.assert_allclose(np.asarray(dt), -np.broadcast_to(k_t, dt.shape), rtol=1e-5)


def test_forcing_is_hashable_static_argument() -> None:
    custom = HeldSuarezForcing(k_f=2.0 / DAY)
    assert hash(custom) != hash(HS) or custom != HS
    f = jax.jit(lambda forcing, s: forcing.wind_drag_rate(s), static_argnums=0)
    np.testing.assert_allclose(np.ravel(f(custom, np.array([1.0]))), 2.0 / DAY, rtol=RTOL)
