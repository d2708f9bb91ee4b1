"""Checks of the published initial conditions against their defining properties."""

from __future__ import annotations

import numpy as np
import pytest

from ngcm_lab import constants
from ngcm_lab.cases import (
    ShallowWaterFields,
    galewsky,
    rossby_haurwitz_nondivergent_phase_speed,
    williamson2,
    williamson2_coriolis,
    williamson5,
    williamson6,
)
from ngcm_lab.cases.galewsky import galewsky_perturbation

A = constants.EARTH_RADIUS
OMEGA = constants.ANGULAR_VELOCITY
G = constants.GRAVITY


def _fine_lat(n: int = 20001, edge: float = 1.5) -> np.ndarray:
    return np.linspace(-edge, edge, n)


def _gradient_wind_residual(lat: np.ndarray, u: np.ndarray, free_surface: np.ndarray) -> float:
    """Relative residual of g dh/dphi = -u (2 Omega a sin(phi) + u tan(phi)), max norm."""
    dh = np.gradient(free_surface, lat)
    rhs = -u * (2.0 * OMEGA * A * np.sin(lat) + u * np.tan(lat))
    interior = slice(1, -1)
    return float(np.max(np.abs(G * dh - rhs)[interior]) / np.max(np.abs(rhs)))


class _SphereGrid:
    """Regular lat-lon grid (poles excluded) with second-order finite-difference operators."""

    def __init__(self, nlat: int = 721, nlon: int = 1440, edge: float = 1.35) -> None:
        self.lat1 = np.linspace(-edge, edge, nlat)
        self.lon1 = 2.0 * np.pi * np.arange(nlon) / nlon
        self.lat = self.lat1[:, None]
        self.lon = self.lon1[None, :]
        self.dlon = self.lon1[1] - self.lon1[0]

    def d_dlon(self, f: np.ndarray) -> np.ndarray:
        return (np.roll(f, -1, axis=-1) - np.roll(f, 1, axis=-1)) / (2.0 * self.dlon)

    def d_dlat(self, f: np.ndarray) -> np.ndarray:
        return np.gradient(f, self.lat1, axis=0)

    def divergence(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        cos = np.cos(self.lat)
        return (self.d_dlon(x) + self.d_dlat(y * cos)) / (A * cos)

    def curl(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        cos = np.cos(self.lat)
        return (self.d_dlon(y) - self.d_dlat(x * cos)) / (A * cos)

    def gradient(self, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.d_dlon(f) / (A * np.cos(self.lat)), self.d_dlat(f) / A


def _momentum_tendency(
    grid: _SphereGrid, fields: ShallowWaterFields, coriolis: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Vector-invariant tendency -(zeta + f) k x v - grad(g h_free + |v|^2 / 2) and its scale."""
    u, v = fields.u, fields.v
    absolute = grid.curl(u, v) + coriolis
    energy = G * fields.free_surface + 0.5 * (u**2 + v**2)
    de_x, de_y = grid.gradient(energy)
    du = absolute * v - de_x
    dv = -absolute * u - de_y
    scale = float(np.max(np.abs(absolute * u)))
    return du, dv, scale


def _trim(f: np.ndarray, n: int = 2) -> np.ndarray:
    return f[n:-n]


# ---------------------------------------------------------------- constants


def test_constants_and_scales_round_trip() -> None:
    assert constants.CP_DRY == pytest.approx(287.04 * 3.5)
    s = constants.SCALES
    assert s.nondim_length(constants.EARTH_RADIUS) == pytest.approx(1.0)
    assert s.nondim_time(1.0 / constants.ANGULAR_VELOCITY) == pytest.approx(1.0)
    assert s.nondim_velocity(A * OMEGA) == pytest.approx(1.0)
    assert s.nondim_geopotential((A * OMEGA) ** 2) == pytest.approx(1.0)
    assert s.nondim_gravity() == pytest.approx(G / (A * OMEGA**2))
    x = np.array([1.0, 2.5e3, -7.0])
    for fwd, back in [
        (s.nondim_length, s.dim_length),
        (s.nondim_time, s.dim_time),
        (s.nondim_velocity, s.dim_velocity),
        (s.nondim_geopotential, s.dim_geopotential),
        (s.nondim_rate, s.dim_rate),
    ]:
        np.testing.assert_allclose(back(fwd(x)), x, rtol=1e-15)
    # g h0 of TC2 in model units, then back to a depth: nondim_geopotential / nondim_gravity
    # must be the depth in Earth radii.
    depth_m = 2.94e4 / G
    assert s.nondim_geopotential(2.94e4) / s.nondim_gravity() == pytest.approx(depth_m / A)


# ---------------------------------------------------------------- Williamson 2


def test_tc2_constants() -> None:
    f = williamson2(np.array([0.0, np.pi / 2]), np.array([0.0, 0.0]))
    assert f.u[0] == pytest.approx(38.61068276698372, rel=1e-12)
    assert f.depth[0] == pytest.approx(2.94e4 / G, rel=1e-14)  # equator depth is h0 at alpha = 0
    drop = (A * OMEGA * f.u[0] + 0.5 * f.u[0] ** 2) / G
    assert f.depth[1] == pytest.approx(2.94e4 / G - drop, rel=1e-14)
    np.testing.assert_array_equal(f.orography, 0.0)


def test_tc2_alpha0_gradient_wind_balance() -> None:
    lat = _fine_lat()
    f = williamson2(lat, 0.0)
    assert f.u.shape == lat.shape
    np.testing.assert_array_equal(f.v, 0.0)
    assert _gradient_wind_residual(lat, f.u, f.free_surface) < 1e-6


def test_tc2_broadcast_shapes() -> None:
    lat = np.linspace(-1.0, 1.0, 5)[:, None]
    lon = np.linspace(0.0, 6.0, 7)[None, :]
    f = williamson2(lat, lon, alpha=0.3)
    for field in (f.u, f.v, f.depth, f.orography):
        assert field.shape == (5, 7)


def test_tc2_alpha_half_pi_symmetry() -> None:
    lat = np.linspace(-1.5, 1.5, 61)[:, None]
    lon = np.linspace(0.0, 2 * np.pi, 72, endpoint=False)[None, :]
    f = williamson2(lat, lon, alpha=np.pi / 2)
    h0 = 2.94e4 / G
    # Rotation axis through (0, 0) and (pi, 0): h depends on cos(lam) cos(phi) only.
    h_expected = (
        h0
        - (A * OMEGA * 38.61068276698372 + 0.5 * 38.61068276698372**2)
        * (np.cos(lon) * np.cos(lat)) ** 2
        / G
    )
    np.testing.assert_allclose(f.depth, h_expected, rtol=1e-12)
    # Symmetric about the equator and under lam -> lam + pi and lam -> -lam.
    np.testing.assert_allclose(f.depth, f.depth[::-1, :], rtol=1e-13)
    np.testing.assert_allclose(f.depth, np.roll(f.depth, 36, axis=1), rtol=1e-13)
    g = williamson2(lat, -lon, alpha=np.pi / 2)
    np.testing.assert_allclose(f.depth, g.depth, rtol=1e-13)
    # Flow crosses the poles: u = u0 sin(phi) cos(lam), v = -u0 sin(lam); at lam = 0 purely zonal.
    np.testing.assert_allclose(f.v[:, 0], 0.0, atol=1e-12)
    pole = williamson2(np.pi / 2, np.array([0.0, np.pi / 2]), alpha=np.pi / 2)
    assert pole.depth == pytest.approx(h0, rel=1e-14)  # poles lie on the rotated equator
    assert np.hypot(pole.u, pole.v) == pytest.approx(38.61068276698372, rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.05, np.pi / 4, np.pi / 2 - 0.05, np.pi / 2])
def test_tc2_steady_with_tilted_coriolis(alpha: float) -> None:
    grid = _SphereGrid()
    f = williamson2(grid.lat, grid.lon, alpha)
    coriolis = williamson2_coriolis(grid.lat, grid.lon, alpha)
    du, dv, scale = _momentum_tendency(grid, f, coriolis)
    assert np.max(np.abs(_trim(du))) / scale < 1e-4
    assert np.max(np.abs(_trim(dv))) / scale < 1e-4
    div = _trim(grid.divergence(f.u, f.v))
    assert np.max(np.abs(div)) < 1e-3 * np.max(np.abs(_trim(grid.curl(f.u, f.v))))


def test_tc2_tilted_flow_not_steady_with_untilted_coriolis() -> None:
    grid = _SphereGrid()
    f = williamson2(grid.lat, grid.lon, np.pi / 4)
    du, dv, scale = _momentum_tendency(grid, f, 2.0 * OMEGA * np.sin(grid.lat))
    assert max(np.max(np.abs(du)), np.max(np.abs(dv))) / scale > 0.1


# ---------------------------------------------------------------- Williamson 5


def test_tc5_mountain() -> None:
    centre = williamson5(np.pi / 6, 1.5 * np.pi)
    assert centre.orography == pytest.approx(2000.0, abs=1e-9)
    lat = np.linspace(-np.pi / 2, np.pi / 2, 181)[:, None]
    lon = np.linspace(0.0, 2 * np.pi, 360, endpoint=False)[None, :]
    f = williamson5(lat, lon)
    assert f.orography.max() <= 2000.0
    assert f.orography.min() == 0.0
    far = williamson5(
        np.array([-np.pi / 6, np.pi / 6, 1.2]), np.array([1.5 * np.pi, np.pi / 2, 0.0])
    )
    np.testing.assert_array_equal(far.orography, 0.0)
    # Cone: half height at half radius, zero at the rim (along the meridian through the centre).
    half = williamson5(np.pi / 6 + np.pi / 18, 1.5 * np.pi)
    assert half.orography == pytest.approx(1000.0, rel=1e-12)
    rim = williamson5(np.pi / 6, 1.5 * np.pi + np.pi / 9)
    assert rim.orography == pytest.approx(0.0, abs=1e-9)


def test_tc5_free_surface_and_balance() -> None:
    lat = _fine_lat()
    f = williamson5(lat, 0.0)  # lon = 0 is away from the mountain
    np.testing.assert_array_equal(f.orography, 0.0)
    assert f.depth[np.argmin(np.abs(lat))] == pytest.approx(5960.0, rel=1e-14)
    assert f.u.max() == pytest.approx(20.0, rel=1e-6)
    assert _gradient_wind_residual(lat, f.u, f.free_surface) < 1e-6
    # Over the mountain the free surface is unchanged and the depth shrinks by h_s.
    over = williamson5(np.pi / 6, 1.5 * np.pi)
    beside = williamson5(np.pi / 6, 0.5 * np.pi)
    assert over.free_surface == pytest.approx(beside.free_surface, rel=1e-14)
    assert beside.depth - over.depth == pytest.approx(2000.0, rel=1e-12)


def test_tc5_steady_away_from_mountain() -> None:
    grid = _SphereGrid(nlon=720)
    f = williamson5(grid.lat, grid.lon)
    flat = ShallowWaterFields(u=f.u, v=f.v, depth=f.free_surface, orography=0.0 * f.depth)
    du, dv, scale = _momentum_tendency(grid, flat, 2.0 * OMEGA * np.sin(grid.lat))
    assert np.max(np.abs(_trim(dv))) / scale < 1e-4
    assert np.max(np.abs(du)) / scale < 1e-12


# ---------------------------------------------------------------- Williamson 6


def _tc6_height_by_expansion(phi: float, lam: float) -> float:
    """TC6 height from the paper's A, B, C expanded as polynomials in x = cos^2(phi), R = 4."""
    w = k = 7.848e-6
    x = np.cos(phi) ** 2
    # A = w/2 (2 Omega + w) x + K^2/4 x^3 [5 x + 26 - 32 / x] = ... expanded for R = 4:
    a_term = 0.5 * w * (2 * OMEGA + w) * x + 0.25 * k**2 * (5 * x**5 + 26 * x**4 - 32 * x**3)
    # B = 2 (Omega + w) K / 30 x^2 (26 - 25 x)
    b_term = (2 * (OMEGA + w) * k / 30.0) * (26 * x**2 - 25 * x**3)
    # C = K^2/4 x^4 (5 x - 6)
    c_term = 0.25 * k**2 * (5 * x**5 - 6 * x**4)
    return 8000.0 + A**2 * (a_term + b_term * np.cos(4 * lam) + c_term * np.cos(8 * lam)) / G


@pytest.mark.parametrize(
    ("phi", "lam"),
    [
        (0.0, 0.0),
        (0.0, np.pi / 4),
        (np.pi / 4, np.pi / 8),
        (-0.7, 2.0),
        (1.2, 5.5),
        (np.pi / 2, 1.0),
    ],
)
def test_tc6_height_points(phi: float, lam: float) -> None:
    f = williamson6(phi, lam)
    assert f.depth == pytest.approx(_tc6_height_by_expansion(phi, lam), rel=1e-13, abs=1e-9)


def test_tc6_hand_values() -> None:
    w = k = 7.848e-6
    # Equator, lam = 0: A = w/2 (2 Omega + w) - K^2/4, B = 2 (Omega + w) K / 30, C = -K^2/4.
    h_eq = 8000.0 + A**2 * (w / 2 * (2 * OMEGA + w) - k**2 / 2 + 2 * (OMEGA + w) * k / 30) / G
    f = williamson6(0.0, 0.0)
    assert f.depth == pytest.approx(h_eq, rel=1e-14)
    assert f.u == pytest.approx(0.0, abs=1e-9)  # a (w - K) with w = K
    # Evaluated by hand: a^2 (6.0307e-10 - 0.3080e-10 + 0.4226e-10) / g = 2543.9 m above h0.
    assert f.depth == pytest.approx(10543.9, abs=0.1)
    # Poles: every term carries a power of cos(phi), so h = h0 and the wind vanishes.
    pole = williamson6(np.pi / 2, 0.3)
    assert pole.depth == pytest.approx(8000.0, abs=1e-9)
    # (pi/4, pi/8): cos(R lam) = 0, sin(R lam) = 1; u = a w / sqrt(2), v = -a K R cos^4 = -a K.
    mid = williamson6(np.pi / 4, np.pi / 8)
    assert mid.u == pytest.approx(A * w / np.sqrt(2.0), rel=1e-12)
    assert mid.v == pytest.approx(-A * k, rel=1e-12)
    np.testing.assert_array_equal(mid.orography, 0.0)


def test_tc6_nondivergent_and_initially_balanced() -> None:
    """The wind is nondivergent and the height makes the divergence tendency vanish."""
    grid = _SphereGrid()
    f = williamson6(grid.lat, grid.lon)
    div = _trim(grid.divergence(f.u, f.v))
    assert np.max(np.abs(div)) < 1e-3 * np.max(np.abs(_trim(grid.curl(f.u, f.v))))
    du, dv, scale = _momentum_tendency(grid, f, 2.0 * OMEGA * np.sin(grid.lat))
    div_tendency = _trim(grid.divergence(du, dv), 4)
    reference = _trim(grid.divergence(*grid.gradient(G * f.depth)), 4)
    # Second-order truncation error: 4.6e-4, 1.15e-4, 2.9e-5 at 361, 721, 1441 latitudes.
    assert np.max(np.abs(div_tendency)) < 2e-4 * np.max(np.abs(reference))
    # A wrong height, here B with the opposite sign (shift by pi/R flips cos(R lam) only),
    # leaves a tendency as large as the terms themselves.
    flipped_b = williamson6(grid.lat, grid.lon + np.pi / 4).depth
    wrong = ShallowWaterFields(u=f.u, v=f.v, depth=flipped_b, orography=f.orography)
    du, dv, _ = _momentum_tendency(grid, wrong, 2.0 * OMEGA * np.sin(grid.lat))
    assert np.max(np.abs(_trim(grid.divergence(du, dv), 4))) > 0.1 * np.max(np.abs(reference))


def test_rossby_haurwitz_phase_speed() -> None:
    nu = rossby_haurwitz_nondivergent_phase_speed()
    assert nu == pytest.approx((28 * 7.848e-6 - 2 * OMEGA) / 30, rel=1e-14)
    assert np.degrees(nu) * 86400.0 == pytest.approx(12.2, abs=0.05)


# ---------------------------------------------------------------- Galewsky


def test_galewsky_jet_profile() -> None:
    lat = np.linspace(-np.pi / 2, np.pi / 2, 200001)
    f = galewsky(lat, 0.0, perturbed=False)
    assert f.u.max() <= 80.0 * (1 + 1e-12)
    assert f.u.max() == pytest.approx(80.0, abs=1e-6)
    centre = galewsky(0.5 * (np.pi / 7 + np.pi / 2 - np.pi / 7), 0.0)
    assert centre.u == pytest.approx(80.0, rel=1e-14)
    outside = (lat <= np.pi / 7) | (lat >= np.pi / 2 - np.pi / 7)
    np.testing.assert_array_equal(f.u[outside], 0.0)
    assert np.all(f.u >= 0.0)
    core = (lat > np.pi / 7 + 0.01) & (lat < np.pi / 2 - np.pi / 7 - 0.01)
    assert np.all(f.u[core] > 0.0)  # nearer the edges exp underflows to 0
    np.testing.assert_array_equal(f.v, 0.0)
    np.testing.assert_array_equal(f.orography, 0.0)
    assert np.all(np.isfinite(f.depth))


def test_galewsky_global_mean_depth() -> None:
    x, w = np.polynomial.legendre.leggauss(2048)
    lat = np.arcsin(x)
    f = galewsky(lat, 1.0, perturbed=False)
    mean = np.sum(w * f.depth) / 2.0
    assert mean == pytest.approx(10_000.0, rel=1e-9)
    # Depth is flat outside the jet and lower to the north (westerly jet, f > 0).
    south = galewsky(np.array([-1.5, 0.0, np.pi / 7]), 0.0, perturbed=False).depth
    np.testing.assert_allclose(south, south[0], rtol=1e-15)
    north = galewsky(np.array([np.pi / 2 - np.pi / 7, 1.5]), 0.0, perturbed=False).depth
    np.testing.assert_allclose(north, north[0], rtol=1e-15)
    assert 500.0 < south[0] - north[0] < 2000.0


def test_galewsky_gradient_wind_balance() -> None:
    lat = np.linspace(0.3, 1.3, 100001)
    f = galewsky(lat, 0.0, perturbed=False)
    assert _gradient_wind_residual(lat, f.u, f.depth) < 1e-6


def test_galewsky_depth_independent_of_requested_grid() -> None:
    lat = np.array([0.5, 0.7853, 1.0])
    alone = galewsky(lat, 0.0, perturbed=False).depth
    x, _ = np.polynomial.legendre.leggauss(64)
    mixed = galewsky(np.concatenate([np.arcsin(x), lat]), 0.0, perturbed=False).depth[-3:]
    np.testing.assert_array_equal(alone, mixed)


def test_galewsky_perturbation() -> None:
    lat = np.linspace(0.5, 1.1, 30001)[:, None]
    lon = np.concatenate([np.linspace(-0.5, 0.5, 101), [np.pi, 2 * np.pi - 0.1]])[None, :]
    pert = galewsky(lat, lon, perturbed=True)
    base = galewsky(lat, lon, perturbed=False)
    bump = pert.depth - base.depth
    lam = lon % (2 * np.pi)
    lam = np.where(lam > np.pi, lam - 2 * np.pi, lam)
    expected = (
        120.0
        * np.cos(lat)
        * np.exp(-((3.0 * lam) ** 2))
        * np.exp(-((15.0 * (np.pi / 4 - lat)) ** 2))
    )
    np.testing.assert_allclose(bump, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(pert.u, base.u)
    np.testing.assert_array_equal(pert.v, base.v)
    # Peak on lam = 0 just south of pi/4 (the cos(phi) factor), height 120 cos(phi) there.
    i, j = np.unravel_index(np.argmax(bump), bump.shape)
    assert lon[0, j] == 0.0
    assert abs(lat[i, 0] - np.pi / 4) < 3e-3
    at_centre = galewsky_perturbation(np.pi / 4, 0.0)
    assert at_centre == pytest.approx(120.0 * np.cos(np.pi / 4), rel=1e-14)
    assert at_centre <= bump.max() <= 120.0 * np.cos(np.pi / 4 - 3e-3)
    # Meridional e-folding: 1/15 rad (beta inside the square), zonal: 1/3 rad.
    ratio = galewsky_perturbation(np.pi / 4 + 1 / 15, 0.0) / at_centre
    assert ratio == pytest.approx(np.exp(-1.0) * np.cos(np.pi / 4 + 1 / 15) / np.cos(np.pi / 4))
    zonal = galewsky_perturbation(np.pi / 4, 1 / 3) / at_centre
    assert zonal == pytest.approx(np.exp(-1.0), rel=1e-14)
    # Centred at lam = 0, not pi: wrapping makes lam = 2 pi - d the same as -d.
    np.testing.assert_allclose(
        bump[:, -1], bump[:, np.argmin(np.abs(lon[0, :101] + 0.1))], rtol=1e-9
    )
    assert np.max(np.abs(bump[:, -2])) < 1e-30
