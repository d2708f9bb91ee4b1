"""Barotropic jet instability of Galewsky, Scott & Polvani (2004), Tellus 56A:429-440.

A zonal jet in gradient-wind balance with a small height bump that triggers its instability.
Equation numbers below are recalled, not checked against the paper: jet (2), balanced height
(3), perturbation (4).
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate, interpolate

from ngcm_lab.cases.williamson import ShallowWaterFields, broadcast_lat_lon
from ngcm_lab.constants import ANGULAR_VELOCITY, EARTH_RADIUS, GRAVITY

U_MAX = 80.0  # m s^-1, jet maximum
PHI0 = np.pi / 7.0  # rad, southern edge of the jet
PHI1 = np.pi / 2.0 - np.pi / 7.0  # rad, northern edge of the jet
E_N = np.exp(-4.0 / (PHI1 - PHI0) ** 2)  # normalisation: u = U_MAX at the jet centre
MEAN_DEPTH = 10_000.0  # m, global (area-weighted) mean depth
H_HAT = 120.0  # m, perturbation amplitude
ALPHA = 1.0 / 3.0  # rad, zonal e-folding width of the perturbation
BETA = 1.0 / 15.0  # rad, meridional e-folding width (divides inside the square)
PHI2 = np.pi / 4.0  # rad, latitude of the perturbation

# Number of intervals of the fine latitude grid spanning the jet (even, for Simpson's rule).
_N_FINE = 2**15


def galewsky_zonal_wind(lat: ArrayLike) -> np.ndarray:
    """Jet u(phi) = (u_max / e_n) exp[1 / ((phi - phi0)(phi - phi1))] on (phi0, phi1), else 0."""
    lat = np.asarray(lat, dtype=float)
    inside = (lat > PHI0) & (lat < PHI1)
    # Evaluate the exponent only inside the jet, where its denominator is negative.
    safe = np.where(inside, lat, 0.5 * (PHI0 + PHI1))
    u = (U_MAX / E_N) * np.exp(1.0 / ((safe - PHI0) * (safe - PHI1)))
    return np.where(inside, u, 0.0)


def _depth_gradient(lat: np.ndarray) -> np.ndarray:
    """dh/dphi (m rad^-1) from gradient-wind balance g dh/dphi = -a u (f + u tan(phi) / a)."""
    u = galewsky_zonal_wind(lat)
    f = 2.0 * ANGULAR_VELOCITY * np.sin(lat)
    return -EARTH_RADIUS * u * (f + u * np.tan(lat) / EARTH_RADIUS) / GRAVITY


@functools.lru_cache(maxsize=1)
def _balanced_depth_interpolant() -> tuple[interpolate.CubicHermiteSpline, float]:
    """Drop in depth across the jet as a spline in latitude, and the depth south of the jet.

    The drop D(phi) = -int_{phi0}^{phi} dh/dphi is integrated with cumulative Simpson on a fine
    grid and interpolated by cubic Hermite using the exact derivative, so any latitude is
    accurate to far below 1e-6 m. The southern depth is chosen from 1-D integrals (independent
    of any model grid) so that the area-weighted global mean is exactly MEAN_DEPTH:
    mean = h_south - (1/2) int D cos(phi) dphi, and integrating by parts over the sphere
    int D cos(phi) dphi = D_total - int_{phi0}^{phi1} D'(phi) sin(phi) dphi.
    """
    phi = np.linspace(PHI0, PHI1, _N_FINE + 1)
    drop_rate = -_depth_gradient(phi)  # D'(phi) >= 0
    drop = integrate.cumulative_simpson(drop_rate, x=phi, initial=0.0)
    spline = interpolate.CubicHermiteSpline(phi, drop, drop_rate)
    drop_total = float(drop[-1])
    moment = float(integrate.simpson(drop_rate * np.sin(phi), x=phi))
    h_south = MEAN_DEPTH + 0.5 * (drop_total - moment)
    return spline, h_south


def galewsky_balanced_depth(lat: ArrayLike) -> np.ndarray:
    """Depth (m) of the unperturbed jet, balanced and with global mean MEAN_DEPTH."""
    lat = np.asarray(lat, dtype=float)
    spline, h_south = _balanced_depth_interpolant()
    return h_south - spline(np.clip(lat, PHI0, PHI1))


def galewsky_perturbation(lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
    """Height bump h' = h_hat cos(phi) exp(-(lam/alpha)^2) exp(-((phi2 - phi)/beta)^2), m.

    The longitude is taken in (-pi, pi], so the bump is centred on lam = 0.
    """
    lat, lon = broadcast_lat_lon(lat, lon)
    lam = np.pi - np.mod(np.pi - lon, 2.0 * np.pi)
    return (
        H_HAT * np.cos(lat) * np.exp(-((lam / ALPHA) ** 2)) * np.exp(-(((PHI2 - lat) / BETA) ** 2))
    )


def galewsky(lat: ArrayLike, lon: ArrayLike, perturbed: bool = True) -> ShallowWaterFields:
    """Galewsky et al. (2004) initial state: balanced zonal jet, plus the bump if ``perturbed``.

    Without the bump the state is an exact steady solution; the bump (height only, winds
    unchanged) seeds the barotropic instability. No orography.
    """
    lat, lon = broadcast_lat_lon(lat, lon)
    u = galewsky_zonal_wind(lat)
    depth = galewsky_balanced_depth(lat)
    if perturbed:
        depth = depth + galewsky_perturbation(lat, lon)
    zeros = np.zeros_like(lat)
    return ShallowWaterFields(u=u, v=zeros, depth=depth, orography=zeros.copy())
