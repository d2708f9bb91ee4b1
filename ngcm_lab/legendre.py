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


def associated_legendre_by_offset(mu: np.ndarray, max_order: int, n_offsets: int) -> np.ndarray:
    """Normalised associated Legendre functions P̄_{m+k}^m(μ) indexed `[m, j, k]`.

    Normalised so that ∫₋₁¹ P̄_n^m(μ)² dμ = 1, without the Condon–Shortley phase; shape
    `(max_order + 1, len(mu), n_offsets)`. Indexing by the offset k = n − m (the layout of the
    spectral arrays) lets both recurrences run vectorised over all orders at once:
    P̄_m^m = sqrt((2m+1)/(2m)) cos φ P̄_{m−1}^{m−1}, then the three-term recurrence in degree,
    P̄_n^m = (μ P̄_{n−1}^m − ε_{n−1}^m P̄_{n−2}^m) / ε_n^m (Durran 2010, §6.3). Both are forward
    stable; the only loss is underflow of sectoral values near the poles at large m, where the
    true values are below 1e-300 and enter no sum that matters (checked to TL255 in the tests).
    """
    mu = np.asarray(mu, dtype=np.float64)
    cos_lat = np.sqrt(1.0 - mu * mu)
    m = np.arange(max_order + 1)
    p = np.zeros((max_order + 1, mu.size, n_offsets))
    sectoral = np.full(mu.shape, np.sqrt(0.5))
    for order in m:
        if order > 0:
            sectoral = np.sqrt((2.0 * order + 1.0) / (2.0 * order)) * cos_lat * sectoral
        p[order, :, 0] = sectoral
    mu_ = mu[None, :]
    for k in range(1, n_offsets):
        n = (m + k)[:, None]
        below = p[:, :, k - 2] if k >= 2 else 0.0
        p[:, :, k] = (
            mu_ * p[:, :, k - 1] - recurrence_coefficient(m[:, None], n - 1) * below
        ) / recurrence_coefficient(m[:, None], n)
    return p


def associated_legendre(mu: np.ndarray, max_order: int, max_degree: int) -> np.ndarray:
    """P̄_n^m(μ) indexed `[m, j, n]` (zero where n < m); see `associated_legendre_by_offset`."""
    by_offset = associated_legendre_by_offset(mu, max_order, max_degree + 1)
    p = np.zeros((max_order + 1, np.size(mu), max_degree + 1))
    for m in range(min(max_order, max_degree) + 1):
        p[m, :, m:] = by_offset[m, :, : max_degree + 1 - m]
    return p
