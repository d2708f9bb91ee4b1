"""Scale-selective spectral dissipation applied to modal states after each time step.

Both filters act on total wavenumber only (isotropic on the sphere) and leave degrees
n ≤ `protected_degree` (default 2) exactly untouched, so solid-body rotation and the Williamson
TC2 balance (n ≤ 2) are kept to round-off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.spherical_harmonics import Grid

PyTree = Any


@dataclasses.dataclass(frozen=True)
class ExponentialFilter:
    """Multiply degree n by exp(−α x^p), x = (n − n₀)/(N − n₀) clipped to [0, 1] (n₀ protected).

    The exponential filter of spectral methods (Gottlieb & Hesthaven 2001, J. Comput. Appl. Math.
    128:83, §5); applied after
    every step, as NeuralGCM does, with α = 16 and high order it damps only the top few degrees.
    Because it acts once per step, its strength per unit time scales with 1/dt.
    """

    attenuation: float = 16.0
    order: int = 18
    protected_degree: int = 2

    def factors(self, grid: Grid) -> np.ndarray:
        n = grid.total_wavenumber.astype(np.float64)
        n0 = float(self.protected_degree)
        x = np.clip((n - n0) / max(grid.truncation - n0, 1.0), 0.0, None)
        return np.where(grid.mask, np.exp(-self.attenuation * x**self.order), 0.0)


@dataclasses.dataclass(frozen=True)
class Hyperdiffusion:
    """∇^{2p} hyperdiffusion integrated exactly over one step: exp(−ν dt (λ_n^p − λ_{n₀}^p)).

    λ_n = n(n+1)/a². Subtracting the protected degree's eigenvalue keeps n ≤ n₀ untouched (a plain
    ∇⁴ would slowly damp the n ≤ 2 Williamson TC2 balance). `timescale_s` is the
    e-folding time of the highest degree N (SI seconds), the usual way to set strength across
    resolutions.
    """

    timescale_s: float = 3600.0
    power: int = 2
    protected_degree: int = 2

    def factors(self, grid: Grid, dt_s: float) -> np.ndarray:
        n = grid.total_wavenumber.astype(np.float64)
        eig = (n * (n + 1)) ** self.power
        n0 = float(self.protected_degree)
        eig0 = (n0 * (n0 + 1)) ** self.power
        top = (grid.truncation * (grid.truncation + 1)) ** self.power - eig0
        rate = np.clip(eig - eig0, 0.0, None) / top / self.timescale_s
        return np.where(grid.mask, np.exp(-rate * dt_s), 0.0)


def modal_filter(factors: np.ndarray, dtype: np.dtype) -> Callable[[PyTree], PyTree]:
    """A state filter multiplying every modal leaf by `factors` (shape (M, K))."""
    weights = jnp.asarray(factors, dtype=dtype)

    def apply(state: PyTree) -> PyTree:
        return jax.tree.map(lambda x: x * weights, state)

    return apply
