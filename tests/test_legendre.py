"""Gauss nodes and normalised associated Legendre functions."""

import numpy as np
import pytest
import scipy.special

from ngcm_lab import legendre


@pytest.mark.parametrize("nlat", [32, 64, 256, 320])
def test_gauss_quadrature_is_exact_to_degree_2nlat_minus_1(nlat):
    mu, w = legendre.gauss_legendre_nodes(nlat)
    assert np.all(np.diff(mu) > 0)
    assert abs(w.sum() - 2.0) < 1e-14
    # ∫ μ^(2k) dμ = 2/(2k+1), exact for 2k ≤ 2 nlat − 1.
    for k in (1, nlat // 2, nlat - 1):
        assert abs(np.sum(w * mu ** (2 * k)) - 2.0 / (2 * k + 1)) < 1e-13


def test_matches_scipy_closed_form_at_low_degree():
    mu = np.linspace(-0.99, 0.99, 41)
    p = legendre.associated_legendre(mu, 12, 30)
    for m, n in [(0, 0), (0, 7), (3, 3), (5, 20), (12, 30)]:
        norm = np.sqrt(
            (2 * n + 1) / 2 * scipy.special.factorial(n - m) / scipy.special.factorial(n + m)
        )
        expected = (-1) ** m * norm * scipy.special.lpmv(m, n, mu)  # undo Condon–Shortley
        np.testing.assert_allclose(p[m, :, n], expected, atol=1e-12)
    assert np.all(p[5, :, :5] == 0)


@pytest.mark.parametrize("nlat, truncation", [(64, 42), (256, 256)])
def test_orthonormal_under_gauss_quadrature_up_to_tl255(nlat, truncation):
    """Stable recurrence: orthonormality holds to round-off up to degree 256 (TL255 + 1)."""
    mu, w = legendre.gauss_legendre_nodes(nlat)
    p = legendre.associated_legendre(mu, truncation, truncation)
    assert np.all(np.isfinite(p))
    orders = sorted({0, 1, 2, truncation // 2, truncation - 1, truncation})
    p = p[orders]
    gram = np.matmul(np.swapaxes(p * w[None, :, None], 1, 2), p)
    n = np.arange(truncation + 1)
    exists = n[None, :] >= np.asarray(orders)[:, None]
    expected = np.eye(truncation + 1)[None] * exists[:, :, None]
    exact = n[:, None] + n[None, :] <= 2 * nlat - 1  # quadrature exact for these products
    assert np.max(np.abs(gram - expected)[:, exact]) < 1e-12
