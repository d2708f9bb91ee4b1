"""Spectral filters leave n ≤ 2 untouched and damp only small scales."""

import numpy as np

from ngcm_lab.filtering import Diffusion, ExponentialFilter
from ngcm_lab.spherical_harmonics import Grid


def test_exponential_filter_protects_low_degrees_and_damps_the_top():
    grid = Grid.from_name("T42")
    f = ExponentialFilter().factors(grid, 1200.0)
    n = grid.total_wavenumber
    assert np.all(f[n <= 2] == 1.0)
    assert np.all(f[n > grid.truncation] == 0.0)  # the extra degree N+1 is never prognostic
    assert np.all((f >= 0) & (f <= 1))
    top = f[(n == grid.truncation)]
    assert np.allclose(top, np.exp(-16.0))  # Δt/τ = 1200/75 at degree N
    assert np.all(f[(n <= 0.6 * grid.truncation)] > 1 - 1e-6)  # large scales are untouched


def test_exponential_filter_strength_is_per_unit_time():
    grid = Grid.from_name("T21")
    one = ExponentialFilter().factors(grid, 600.0)
    half = ExponentialFilter().factors(grid, 300.0)
    np.testing.assert_allclose(half**2, one, rtol=1e-12)


def test_diffusion_matches_laplacian_eigenvalues():
    grid = Grid.from_name("T21")
    nu, dt, a = 1e5, 600.0, 6.37122e6
    f = Diffusion(nu).factors(grid, dt)
    n = grid.total_wavenumber
    expected = np.where(grid.mask, np.exp(-nu * n * (n + 1) / a**2 * dt), 0.0)
    np.testing.assert_allclose(f, expected, rtol=1e-12)
    protected = Diffusion(1e16, power=2, protected_degree=2).factors(grid, dt)
    assert np.all(protected[n <= 2] == 1.0) and np.all(protected[(n > 2) & grid.mask] < 1.0)
