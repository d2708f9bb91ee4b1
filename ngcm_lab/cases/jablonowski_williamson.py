"""Baroclinic-wave test of Jablonowski & Williamson (2006), QJRMS 132:2943-2975 (NCAR/TN-469+STR).

The paper is posed in hybrid η coordinates with p_s = p0 = 1000 hPa everywhere at t = 0, so η is
σ = p/p_s and the formulas are used here with η = σ. All functions are plain numpy: latitude
``lat`` and longitude ``lon`` in radians (any broadcastable shapes, e.g. ``lat[:, None]`` and
``lon[None, :]``) and ``sigma`` the layer-centre σ values (usually 1-D, shape (L,)). A field that
depends on σ gets σ's shape in front of the horizontal shape, so a 1-D ``sigma`` of length L and
``lat`` of shape (nlat, 1) give (L, nlat, 1). Everything is SI.

The balanced state is steady (zonal wind in gradient-wind balance with the geopotential, which is
hydrostatic with the temperature). The wave is triggered by a Gaussian hill u′ of zonal wind
centred at (20°E, 40°N), given here as closed-form relative vorticity and divergence so that a
spectral model adds it exactly. Equation numbers are not quoted: they have not been checked
against the paper.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike

from ngcm_lab.constants import ANGULAR_VELOCITY, EARTH_RADIUS, GRAVITY, P0, R_DRY

ETA_TROPOPAUSE = 0.2  # η_t, 1
ETA_0 = 0.252  # η₀, level of the jet maximum in the wind profile's phase, 1
ETA_SURFACE = 1.0  # η_s, 1
U0 = 35.0  # m s^-1, jet maximum
DELTA_T = 4.8e5  # K, stratospheric temperature increment coefficient
T0 = 288.0  # K, surface temperature of the horizontal mean
LAPSE_RATE = 0.005  # Γ, K m^-1
SURFACE_PRESSURE = P0  # Pa, 1000 hPa everywhere

PERTURBATION_U = 1.0  # u_p, m s^-1
PERTURBATION_RADIUS = EARTH_RADIUS / 10.0  # R, m
PERTURBATION_LON = np.pi / 9.0  # λ_c, rad (20°E)
PERTURBATION_LAT = 2.0 * np.pi / 9.0  # φ_c, rad (40°N)

_EXPONENT = R_DRY * LAPSE_RATE / GRAVITY  # R_d Γ / g


@dataclasses.dataclass(frozen=True, eq=False)
class PrimitiveFields:
    """Grid-point primitive-equation initial state in SI units.

    ``u`` is the balanced zonal wind only; the perturbation (if any) is carried separately as
    ``vorticity_perturbation`` and ``divergence_perturbation`` so that the model adds it in
    spectral space. For an unperturbed state both are zero.
    """

    u: np.ndarray  # eastward wind, m s^-1, (L, nlat, nlon)
    v: np.ndarray  # northward wind, m s^-1, (L, nlat, nlon)
    temperature: np.ndarray  # K, (L, nlat, nlon)
    surface_pressure: np.ndarray  # Pa, (nlat, nlon)
    surface_geopotential: np.ndarray  # m^2 s^-2, (nlat, nlon)
    vorticity_perturbation: np.ndarray  # s^-1, (L, nlat, nlon)
    divergence_perturbation: np.ndarray  # s^-1, (L, nlat, nlon)
    specific_humidity: np.ndarray | None = None  # kg kg^-1, (L, nlat, nlon); None: dry


def _levels(sigma: ArrayLike, ndim: int) -> np.ndarray:
    """σ as floats with ``ndim`` trailing singleton axes, so it broadcasts in front of lat/lon."""
    s = np.asarray(sigma, dtype=float)
    return s.reshape(s.shape + (1,) * ndim)


def _eta_v(eta: np.ndarray) -> np.ndarray:
    """Auxiliary η_v = (η − η₀) π/2."""
    return (eta - ETA_0) * 0.5 * np.pi


def _lat_profiles(lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two latitude factors of the balanced geopotential.

    A(φ) = −2 sin⁶φ (cos²φ + 1/3) + 10/63 multiplies u₀² cos³η_v and B(φ) = 8/5 cos³φ
    (sin²φ + 2/3) − π/4 multiplies a Ω u₀ cos^{3/2}η_v; both have zero global mean.
    """
    s, c = np.sin(lat), np.cos(lat)
    a_part = -2.0 * s**6 * (c**2 + 1.0 / 3.0) + 10.0 / 63.0
    b_part = 1.6 * c**3 * (s**2 + 2.0 / 3.0) - 0.25 * np.pi
    return a_part, b_part


def jw_zonal_wind(lat: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """Balanced zonal wind u = u₀ cos^{3/2}(η_v) sin²(2φ), m s^-1."""
    lat = np.asarray(lat, dtype=float)
    eta = _levels(sigma, lat.ndim)
    return U0 * np.cos(_eta_v(eta)) ** 1.5 * np.sin(2.0 * lat) ** 2


def jw_mean_temperature(sigma: ArrayLike) -> np.ndarray:
    """Horizontal-mean temperature T̄(η), K, of σ's shape.

    T̄ = T₀ η^{R_d Γ/g} in the troposphere, plus ΔT (η_t − η)⁵ above the tropopause (η < η_t).
    """
    eta = np.asarray(sigma, dtype=float)
    t = T0 * eta**_EXPONENT
    return t + np.where(eta < ETA_TROPOPAUSE, DELTA_T * (ETA_TROPOPAUSE - eta) ** 5, 0.0)


def jw_temperature(lat: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """Temperature T(φ, η) = T̄(η) + latitude-dependent part, K.

    The latitude part is (3/4)(η π u₀/R_d) sin η_v cos^{1/2}η_v {2 u₀ cos^{3/2}η_v A(φ) + a Ω B(φ)}
    with A, B the factors of the balanced geopotential, i.e. T = −(1/R_d) ∂Φ/∂ln η.
    """
    lat = np.asarray(lat, dtype=float)
    eta = _levels(sigma, lat.ndim)
    ev = _eta_v(eta)
    a_part, b_part = _lat_profiles(lat)
    bracket = 2.0 * U0 * np.cos(ev) ** 1.5 * a_part + EARTH_RADIUS * ANGULAR_VELOCITY * b_part
    prefactor = 0.75 * eta * np.pi * U0 / R_DRY * np.sin(ev) * np.sqrt(np.cos(ev))
    return jw_mean_temperature(eta) + prefactor * bracket


def jw_mean_geopotential(sigma: ArrayLike) -> np.ndarray:
    """Horizontal-mean geopotential Φ̄(η), m^2 s^-2 (zero at η = 1), of σ's shape."""
    eta = np.asarray(sigma, dtype=float)
    phi = T0 * GRAVITY / LAPSE_RATE * (1.0 - eta**_EXPONENT)
    et = ETA_TROPOPAUSE
    with np.errstate(divide="ignore", invalid="ignore"):
        strat = (
            (np.log(eta / et) + 137.0 / 60.0) * et**5
            - 5.0 * et**4 * eta
            + 5.0 * et**3 * eta**2
            - (10.0 / 3.0) * et**2 * eta**3
            + 1.25 * et * eta**4
            - 0.2 * eta**5
        )
    return phi - np.where(eta < et, R_DRY * DELTA_T * strat, 0.0)


def jw_geopotential(lat: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """Geopotential Φ(φ, η) = Φ̄(η) + u₀ cos^{3/2}η_v {u₀ cos^{3/2}η_v A(φ) + a Ω B(φ)}, m^2 s^-2."""
    lat = np.asarray(lat, dtype=float)
    eta = _levels(sigma, lat.ndim)
    c = np.cos(_eta_v(eta)) ** 1.5
    a_part, b_part = _lat_profiles(lat)
    return jw_mean_geopotential(eta) + U0 * c * (
        U0 * c * a_part + EARTH_RADIUS * ANGULAR_VELOCITY * b_part
    )


def jw_surface_geopotential(lat: ArrayLike) -> np.ndarray:
    """Surface geopotential Φ_s(φ) = Φ(φ, η_s = 1), m^2 s^-2.

    It has zero global mean: about +1.1e3 m² s⁻² at the equator and −3.1e3 m² s⁻² at the poles.
    """
    lat = np.asarray(lat, dtype=float)
    return jw_geopotential(lat, ETA_SURFACE)


def _great_circle_angle(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Central angle r/a (rad) from the perturbation centre, accurate near 0 and π."""
    dlon = lon - PERTURBATION_LON
    sc, cc = np.sin(PERTURBATION_LAT), np.cos(PERTURBATION_LAT)
    cross = np.hypot(np.cos(lat) * np.sin(dlon), cc * np.sin(lat) - sc * np.cos(lat) * np.cos(dlon))
    dot = sc * np.sin(lat) + cc * np.cos(lat) * np.cos(dlon)
    return np.arctan2(cross, dot)


def _perturbation_parts(lat: ArrayLike, lon: ArrayLike):
    """Broadcast lat/lon, u′/u_p = exp(−(r/R)²) and the central angle θ = r/a."""
    lat, lon = np.broadcast_arrays(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))
    theta = _great_circle_angle(lat, lon)
    hill = np.exp(-((EARTH_RADIUS * theta / PERTURBATION_RADIUS) ** 2))
    return lat, lon, theta, hill


def jw_perturbation_wind(lat: ArrayLike, lon: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """Zonal-wind perturbation u′ = u_p exp(−(r/R)²), m s^-1, the same at every level."""
    lat, _, _, hill = _perturbation_parts(lat, lon)
    ones = np.ones_like(_levels(sigma, lat.ndim))
    return ones * (PERTURBATION_U * hill)


def jw_perturbation_vorticity_divergence(
    lat: ArrayLike, lon: ArrayLike, sigma: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form relative vorticity ζ′ and divergence δ′ (s^-1) of u′ (with v′ = 0).

    With X = cos(r/a) = sin φ_c sin φ + cos φ_c cos φ cos(λ − λ_c) and θ = arccos X = r/a,
    ζ′ = −(a cos φ)⁻¹ ∂(u′ cos φ)/∂φ = (u′/a) [tan φ − 2 (a/R)² θ/sin θ (sin φ_c cos φ −
    cos φ_c sin φ cos(λ − λ_c))] and δ′ = (a cos φ)⁻¹ ∂u′/∂λ = −2 u′ (a/R²) θ/sin θ cos φ_c
    sin(λ − λ_c), the same at every level. θ/sin θ → 1 at the centre; far from it u′ underflows
    to zero, which also removes the singularity at the antipode.
    """
    lat, lon, theta, hill = _perturbation_parts(lat, lon)
    u_prime = PERTURBATION_U * hill
    safe_sin = np.maximum(np.sin(theta), np.finfo(float).tiny)
    theta_over_sin = np.where(theta < 0.5 * np.pi, 1.0 / np.sinc(theta / np.pi), theta / safe_sin)
    dlon = lon - PERTURBATION_LON
    sc, cc = np.sin(PERTURBATION_LAT), np.cos(PERTURBATION_LAT)
    dx_dlat = sc * np.cos(lat) - cc * np.sin(lat) * np.cos(dlon)  # ∂X/∂φ
    ratio2 = (EARTH_RADIUS / PERTURBATION_RADIUS) ** 2
    vorticity = (u_prime / EARTH_RADIUS) * (np.tan(lat) - 2.0 * ratio2 * theta_over_sin * dx_dlat)
    divergence = (
        -2.0 * u_prime * EARTH_RADIUS / PERTURBATION_RADIUS**2 * theta_over_sin * cc * np.sin(dlon)
    )
    ones = np.ones_like(_levels(sigma, lat.ndim))
    return ones * vorticity, ones * divergence


def jablonowski_williamson(
    lat: ArrayLike, lon: ArrayLike, sigma: ArrayLike, perturbed: bool = True
) -> PrimitiveFields:
    """Initial state of the baroclinic-wave test, broadcast to (L, nlat, nlon).

    ``u`` is always the balanced zonal wind (u′ excluded). With ``perturbed=True`` the
    perturbation is returned as ζ′ and δ′ (see :func:`jw_perturbation_vorticity_divergence`),
    otherwise those are zeros and the state is the steady zonal flow (part 1 of the test).
    """
    lat, lon = np.broadcast_arrays(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))
    sigma = np.asarray(sigma, dtype=float)
    shape = sigma.shape + lat.shape
    u = np.broadcast_to(jw_zonal_wind(lat, sigma), shape).copy()
    temperature = np.broadcast_to(jw_temperature(lat, sigma), shape).copy()
    if perturbed:
        vort, div = jw_perturbation_vorticity_divergence(lat, lon, sigma)
        vort = np.broadcast_to(vort, shape).copy()
        div = np.broadcast_to(div, shape).copy()
    else:
        vort, div = np.zeros(shape), np.zeros(shape)
    return PrimitiveFields(
        u=u,
        v=np.zeros(shape),
        temperature=temperature,
        surface_pressure=np.full(lat.shape, SURFACE_PRESSURE),
        surface_geopotential=np.broadcast_to(jw_surface_geopotential(lat), lat.shape).copy(),
        vorticity_perturbation=vort,
        divergence_perturbation=div,
    )


# Moist variant: the humidity profile of the DCMIP2016 moist baroclinic wave (Ullrich et al. 2016,
# "DCMIP2016 test case document"), q₀ = 18 g kg⁻¹ at the equatorial surface, decaying with
# latitude (width 2π/9, quartic) and pressure (scale 340 hPa), a trace above η = 0.1.
MOIST_Q0 = 0.018  # kg kg^-1
MOIST_LAT_WIDTH = 2.0 * np.pi / 9.0  # rad
MOIST_PRESSURE_WIDTH = 34000.0  # Pa
MOIST_ETA_TOP = 0.1  # 1, no moisture above
MOIST_Q_TOP = 1.0e-12  # kg kg^-1


def moist_specific_humidity(lat: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """q(φ, η) = q₀ exp[−(φ/φ_w)⁴] exp[−((η − 1) p₀ / p_w)²] below η = 0.1, kg kg⁻¹."""
    lat = np.asarray(lat, dtype=float)
    eta = _levels(sigma, lat.ndim)
    q = (
        MOIST_Q0
        * np.exp(-((lat / MOIST_LAT_WIDTH) ** 4))
        * np.exp(-(((eta - 1.0) * SURFACE_PRESSURE / MOIST_PRESSURE_WIDTH) ** 2))
    )
    return np.where(eta > MOIST_ETA_TOP, q, MOIST_Q_TOP)
