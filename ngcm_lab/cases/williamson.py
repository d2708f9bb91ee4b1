"""Shallow-water initial conditions of Williamson et al. (1992), J. Comput. Phys. 102:211-224.

All functions are plain numpy: they take latitude ``lat`` and longitude ``lon`` in radians (any
broadcastable shapes, e.g. ``lat[:, None]`` and ``lon[None, :]``) and return SI fields of the
broadcast shape. Formulas are transcribed from the paper's descriptions of test cases 2, 5 and 6;
equation numbers are not quoted because they have not been checked against the paper.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike

from ngcm_lab.constants import ANGULAR_VELOCITY, EARTH_RADIUS, GRAVITY, SECONDS_PER_DAY

# Test case 2: steady geostrophic (solid-body) flow.
TC2_U0 = 2.0 * np.pi * EARTH_RADIUS / (12.0 * SECONDS_PER_DAY)  # m s^-1, ~38.61
TC2_GH0 = 2.94e4  # m^2 s^-2, g times the polar depth of the alpha = 0 flow

# Test case 5: zonal flow over an isolated mountain.
TC5_U0 = 20.0  # m s^-1
TC5_H0 = 5960.0  # m, free-surface height at the poles (not the depth)
TC5_MOUNTAIN_HEIGHT = 2000.0  # m
TC5_MOUNTAIN_RADIUS = np.pi / 9.0  # rad
TC5_MOUNTAIN_LON = 1.5 * np.pi  # rad
TC5_MOUNTAIN_LAT = np.pi / 6.0  # rad

# Test case 6: Rossby-Haurwitz wave.
TC6_OMEGA = 7.848e-6  # s^-1, solid-body part of the stream function
TC6_K = 7.848e-6  # s^-1, wave amplitude
TC6_R = 4  # zonal wavenumber
TC6_H0 = 8000.0  # m


@dataclasses.dataclass(frozen=True, eq=False)
class ShallowWaterFields:
    """Grid-point shallow-water initial state in SI units.

    ``depth`` is the fluid depth h (free surface minus orography) and ``orography`` the
    surface height h_s, so the free surface is ``depth + orography``.
    """

    u: np.ndarray  # eastward wind, m s^-1
    v: np.ndarray  # northward wind, m s^-1
    depth: np.ndarray  # fluid depth, m
    orography: np.ndarray  # surface height, m

    @property
    def free_surface(self) -> np.ndarray:
        """Height of the free surface above the reference sphere, m."""
        return self.depth + self.orography


def broadcast_lat_lon(lat: ArrayLike, lon: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of latitude and longitude broadcast to their common shape."""
    lat_b, lon_b = np.broadcast_arrays(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))
    return lat_b, lon_b


def _rotated_sin_lat(lat: np.ndarray, lon: np.ndarray, alpha: float) -> np.ndarray:
    """sin of the latitude in a frame whose pole is tilted by ``alpha`` towards lon = pi."""
    return -np.cos(lon) * np.cos(lat) * np.sin(alpha) + np.sin(lat) * np.cos(alpha)


def williamson2(lat: ArrayLike, lon: ArrayLike, alpha: float = 0.0) -> ShallowWaterFields:
    """Test case 2: steady nonlinear geostrophic flow, solid-body rotation tilted by ``alpha``.

    u = u0 (cos(phi) cos(alpha) + cos(lam) sin(phi) sin(alpha)), v = -u0 sin(lam) sin(alpha),
    g h = g h0 - (a Omega u0 + u0^2/2) (-cos(lam) cos(phi) sin(alpha) + sin(phi) cos(alpha))^2.
    For alpha != 0 the state is steady only with the tilted Coriolis parameter of
    :func:`williamson2_coriolis`; with alpha = 0 that is the usual 2 Omega sin(phi).
    """
    lat, lon = broadcast_lat_lon(lat, lon)
    u0 = TC2_U0
    u = u0 * (np.cos(lat) * np.cos(alpha) + np.cos(lon) * np.sin(lat) * np.sin(alpha))
    v = -u0 * np.sin(lon) * np.sin(alpha)
    sin_rot = _rotated_sin_lat(lat, lon, alpha)
    gh = TC2_GH0 - (EARTH_RADIUS * ANGULAR_VELOCITY * u0 + 0.5 * u0**2) * sin_rot**2
    return ShallowWaterFields(u=u, v=v, depth=gh / GRAVITY, orography=np.zeros_like(lat))


def williamson2_coriolis(lat: ArrayLike, lon: ArrayLike, alpha: float = 0.0) -> np.ndarray:
    """Coriolis parameter (s^-1) of test case 2: f = 2 Omega sin of the tilted latitude.

    The paper tilts the planet's rotation axis together with the flow so that the state stays
    steady; a model that keeps f = 2 Omega sin(phi) only has a steady solution at alpha = 0.
    """
    lat, lon = broadcast_lat_lon(lat, lon)
    return 2.0 * ANGULAR_VELOCITY * _rotated_sin_lat(lat, lon, alpha)


def williamson5_orography(lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
    """Conical mountain of test case 5 (m): h_s = h_s0 (1 - r/R), r^2 = min(R^2, dlam^2 + dphi^2).

    The longitude difference is wrapped to (-pi, pi]; for lon in [0, 2 pi) this is identical to
    the paper's unwrapped difference because the cone is far from the branch cut.
    """
    lat, lon = broadcast_lat_lon(lat, lon)
    radius = TC5_MOUNTAIN_RADIUS
    dlon = np.pi - np.mod(np.pi - (lon - TC5_MOUNTAIN_LON), 2.0 * np.pi)
    dlat = lat - TC5_MOUNTAIN_LAT
    r = np.sqrt(np.minimum(radius**2, dlon**2 + dlat**2))
    return TC5_MOUNTAIN_HEIGHT * (1.0 - r / radius)


def williamson5(lat: ArrayLike, lon: ArrayLike) -> ShallowWaterFields:
    """Test case 5: zonal flow u = u0 cos(phi) impinging on an isolated mountain.

    The free surface h (not the depth) is balanced: g h = g h0 - (a Omega u0 + u0^2/2) sin^2(phi)
    with h0 = 5960 m, and the depth is h - h_s.
    """
    lat, lon = broadcast_lat_lon(lat, lon)
    u0 = TC5_U0
    u = u0 * np.cos(lat)
    v = np.zeros_like(lat)
    free_surface = (
        TC5_H0 - (EARTH_RADIUS * ANGULAR_VELOCITY * u0 + 0.5 * u0**2) * np.sin(lat) ** 2 / GRAVITY
    )
    orography = williamson5_orography(lat, lon)
    return ShallowWaterFields(u=u, v=v, depth=free_surface - orography, orography=orography)


def williamson6(lat: ArrayLike, lon: ArrayLike) -> ShallowWaterFields:
    """Test case 6: Rossby-Haurwitz wave of zonal wavenumber R = 4.

    u = a w cos(phi) + a K cos^(R-1)(phi) (R sin^2(phi) - cos^2(phi)) cos(R lam),
    v = -a K R cos^(R-1)(phi) sin(phi) sin(R lam),
    g h = g h0 + a^2 [A(phi) + B(phi) cos(R lam) + C(phi) cos(2 R lam)], with the paper's
    A, B, C (the height that keeps the initial divergence tendency zero).
    """
    lat, lon = broadcast_lat_lon(lat, lon)
    a, big_omega = EARTH_RADIUS, ANGULAR_VELOCITY
    w, k, r = TC6_OMEGA, TC6_K, TC6_R
    c, s = np.cos(lat), np.sin(lat)
    u = a * w * c + a * k * c ** (r - 1) * (r * s**2 - c**2) * np.cos(r * lon)
    v = -a * k * r * c ** (r - 1) * s * np.sin(r * lon)
    # cos^(2R) * cos^(-2) is written as cos^(2R-2) so the poles are not 0 * inf.
    coef_a = 0.5 * w * (2.0 * big_omega + w) * c**2 + 0.25 * k**2 * (
        (r + 1) * c ** (2 * r + 2) + (2 * r**2 - r - 2) * c ** (2 * r) - 2 * r**2 * c ** (2 * r - 2)
    )
    coef_b = (
        2.0
        * (big_omega + w)
        * k
        / ((r + 1) * (r + 2))
        * c**r
        * ((r**2 + 2 * r + 2) - (r + 1) ** 2 * c**2)
    )
    coef_c = 0.25 * k**2 * c ** (2 * r) * ((r + 1) * c**2 - (r + 2))
    gh = GRAVITY * TC6_H0 + a**2 * (
        coef_a + coef_b * np.cos(r * lon) + coef_c * np.cos(2 * r * lon)
    )
    return ShallowWaterFields(u=u, v=v, depth=gh / GRAVITY, orography=np.zeros_like(lat))


def rossby_haurwitz_nondivergent_phase_speed() -> float:
    """Eastward angular phase speed (rad s^-1) of the TC6 wave in a nondivergent barotropic model.

    nu = (R (3 + R) w - 2 Omega) / ((1 + R)(2 + R)), about 12.2 degrees per day; the
    shallow-water wave is slower, so this is a reference value, not a test target.
    """
    r = TC6_R
    return (r * (3 + r) * TC6_OMEGA - 2.0 * ANGULAR_VELOCITY) / ((1 + r) * (2 + r))
