"""Gauss–Legendre quadrature and normalised associated Legendre functions.

Everything here is static precomputation in float64 numpy: it runs once per grid, outside any traced
JAX code, and its tables are cast to the model's precision afterwards.
"""

from __future__ import annotations

import numpy as np
import scipy.special


def gauss_legendre_nodes(nlat: int) -> tuple[np.ndarray, np.ndarray]:
    """Return Gauss nodes μ = sin(latitude) in ascending order and weights summing to 2.

    scipy's `roots_legendre` gives a first guess (its asymptotic branch for large `nlat` is only
    good to ~1e-12); two Newton steps on the three-term recurrence for P_nlat bring nodes and
    weights to round-off, which the exact-round-trip guarantee at TL255 needs.
    """
    mu, _ = scipy.special.roots_legendre(nlat)
    mu = np.asarray(mu, dtype=np.float64)
    for _ in range(2):
        p, dp = _legendre_polynomial_and_derivative(nlat, mu)
        mu = mu - p / dp
    _, dp = _legendre_polynomial_and_derivative(nlat, mu)
    weights = 2.0 / ((1.0 - mu * mu) * dp * dp)
    return mu, weights


def _legendre_polynomial_and_derivative(n: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P_n(x) and P_n'(x) (unnormalised) by Bonnet's recurrence."""
    previous, current = np.ones_like(x), x.copy()
    for k in range(2, n + 1):
        previous, current = current, ((2 * k - 1) * x * current - (k - 1) * previous) / k
    derivative = n * (x * current - previous) / (x * x - 1.0)
    return current, derivative


def recurrence_coefficient(m: np.ndarray | int, n: np.ndarray | int) -> np.ndarray:
    """ε_n^m = sqrt((n² − m²) / (4n² − 1)), zero where n ≤ m (or n = 0).

    It is the coefficient in μ P_n^m = ε_{n+1}^m P_{n+1}^m + ε_n^m P_{n−1}^m, valid for functions
    normalised as in `associated_legendre` (Durran 2010, §6.3; Hack & Jakob 1992, eq. 3.9).
    """
    m = np.asarray(m, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    numerator = np.maximum(n * n - m * m, 0.0)
    denominator = np.maximum(4.0 * n * n - 1.0, 1.0)
    return np.sqrt(numerator / denominator)


def associated_legendre(mu: np.ndarray, max_order: int, max_degree: int) -> np.ndarray:
    """Normalised associated Legendre functions P̄_n^m(μ), without the Condon–Shortley phase.

    Normalised so that ∫₋₁¹ P̄_n^m(μ)² dμ = 1. Returns an array of shape
    `(max_order + 1, len(mu), max_degree + 1)` indexed `[m, j, n]`; entries with n < m are zero.

    Uses the standard three-term recurrence in degree at fixed order, started from the sectoral
    functions P̄_m^m = sqrt((2m+1)/(2m)) cos φ P̄_{m−1}^{m−1}. Both recurrences are forward stable;
    the only loss is underflow of sectoral values near the poles at large m, where the true values
    are below 1e-300 and enter no sum that matters (checked to TL255 in the tests).
    """
    mu = np.asarray(mu, dtype=np.float64)
    cos_lat = np.sqrt(1.0 - mu * mu)
    p = np.zeros((max_order + 1, mu.size, max_degree + 1))
    sectoral = np.full(mu.shape, np.sqrt(0.5))
    for m in range(max_order + 1):
        if m > 0:
            sectoral = np.sqrt((2.0 * m + 1.0) / (2.0 * m)) * cos_lat * sectoral
        if m > max_degree:
            break
        p[m, :, m] = sectoral
        previous = np.zeros_like(mu)
        for n in range(m + 1, max_degree + 1):
            # μ P_{n−1} = ε_n P_n + ε_{n−1} P_{n−2}  ⇒  P_n = (μ P_{n−1} − ε_{n−1} P_{n−2}) / ε_n.
            current = (
                mu * p[m, :, n - 1] - recurrence_coefficient(m, n - 1) * previous
            ) / recurrence_coefficient(m, n)
            previous = p[m, :, n - 1]
            p[m, :, n] = current
    return p
