"""Gaussian random fields on the sphere that evolve as AR(1) processes in time.

The stochastic hybrid model feeds such fields to its column network as extra inputs (NeuralGCM,
Kochkov et al. 2024, Methods "Stochastic models"), so that two members started from the same
state diverge and a CRPS loss can train the spread.

A field is a sum of real spherical harmonics with independent Gaussian coefficients. Their
variance depends only on the total wavenumber n (so the field is isotropic) and falls off as

    v_n ∝ exp(−n(n + 1) L² / (2 a²)),

the spherical analogue of a squared-exponential covariance with correlation length L on a sphere
of radius a; v_n is normalised so that the point-wise variance is `variance`. In time every
coefficient follows the AR(1) recursion

    c(t + Δt) = φ c(t) + √(1 − φ²) ξ,   φ = exp(−Δt / τ),   ξ ~ N(0, v_n),

which leaves the distribution stationary and decorrelates over the correlation time τ.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.constants import EARTH_RADIUS
from ngcm_lab.spherical_harmonics import Grid

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class RandomFieldConfig:
    """Independent random fields fed to the network.

    Attributes:
      fields: how many independent fields (each one extra input per column).
      correlation_length_m: L, the horizontal correlation length (m).
      correlation_time_s: τ, the e-folding time of the AR(1) process (s).
      variance: point-wise variance of each field (dimensionless).
    """

    fields: int = 4
    correlation_length_m: float = 1.0e6
    correlation_time_s: float = 6 * 3600.0
    variance: float = 1.0

    def __post_init__(self):
        if self.fields < 1:
            raise ValueError(f"fields must be at least 1, got {self.fields}")
        if self.correlation_length_m <= 0 or self.correlation_time_s <= 0:
            raise ValueError(
                "correlation_length_m and correlation_time_s must be positive, got "
                f"{self.correlation_length_m:g} m and {self.correlation_time_s:g} s"
            )


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class RandomFieldState:
    """Modal coefficients `(fields, M, K)` and the key that draws the next innovation."""

    coefficients: Array
    key: Array


@dataclasses.dataclass(frozen=True, eq=False)
class GaussianRandomField:
    """Isotropic AR(1) random fields on `grid` (see the module docstring)."""

    grid: Grid
    config: RandomFieldConfig
    radius_m: float = EARTH_RADIUS

    @functools.cached_property
    def component_std(self) -> np.ndarray:
        """Standard deviation of the real and imaginary part of every modal slot, `(M, K)`.

        In this package's layout an m = 0 coefficient c adds c²/2 to the global mean square and
        each real component of an m > 0 coefficient adds its square (`Grid.power_by_degree`);
        m = 0 coefficients are real.
        """
        grid, cfg = self.grid, self.config
        n = grid.total_wavenumber.astype(np.float64)
        per_function = np.exp(-n * (n + 1) * (cfg.correlation_length_m / self.radius_m) ** 2 / 2)
        per_function = np.where(grid.mask, per_function, 0.0)
        degrees = np.arange(grid.truncation + 1)
        per_degree = per_function[0, : grid.truncation + 1]  # v_n at m = 0, k = n
        total = np.sum((2 * degrees + 1) * per_degree)
        v = per_function * (cfg.variance / total)
        return np.sqrt(np.where(grid.order == 0, 2.0 * v, v))

    def _innovation(self, key: Array) -> Array:
        shape = (self.config.fields, *self.grid.modal_shape)
        real, imag = jax.random.normal(key, (2, *shape), self.grid.dtype)
        std = jnp.asarray(self.component_std, self.grid.dtype)
        imag = jnp.where(jnp.asarray(self.grid.order == 0), 0.0, imag)
        return jax.lax.complex(real * std, imag * std)

    def initial(self, key: Array) -> RandomFieldState:
        """A draw from the stationary distribution."""
        key, sub = jax.random.split(key)
        return RandomFieldState(self._innovation(sub), key)

    def advance(self, state: RandomFieldState, dt_s: float) -> RandomFieldState:
        """One AR(1) step of length `dt_s`."""
        phi = float(np.exp(-dt_s / self.config.correlation_time_s))
        key, sub = jax.random.split(state.key)
        noise = self._innovation(sub)
        return RandomFieldState(phi * state.coefficients + np.sqrt(1 - phi**2) * noise, key)

    def nodal(self, state: RandomFieldState) -> Array:
        """The fields on the grid, `(fields, nlat, nlon)`."""
        return self.grid.to_nodal(state.coefficients)
