"""Shallow-water equations on the sphere in vorticity–divergence form, split for IMEX stepping.

With absolute vorticity η = ζ + f, velocity v, fluid depth h = H̄ + h′ and orography h_s
(Williamson et al. 1992, eqs. 2.1–2.3 in vector-invariant form; Hack & Jakob 1992, §2):

    ∂ζ/∂t  = −∇·(η v)
    ∂δ/∂t  =  k·∇×(η v) − ∇²(½|v|² + g h_s) − g ∇²h′
    ∂h′/∂t = −∇·(h′ v) − H̄ δ

The last term of each of the last two lines (gravity waves about the resting depth H̄) is linear
with constant coefficients and is stepped implicitly; it is diagonal in total wavenumber, so the
implicit solve is a 2 × 2 system per degree. All quantities are nondimensional (a = Ω = 1).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.spherical_harmonics import Grid

Array = jax.Array


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class ShallowWaterState:
    """Modal prognostic variables (nondimensional): relative vorticity ζ, divergence δ, and the
    fluid-depth perturbation h′ = h − H̄ from the mean depth, each complex `(M, K)`."""

    vorticity: Array
    divergence: Array
    height: Array


@dataclasses.dataclass(frozen=True)
class ShallowWaterEquations:
    """The equations above on `grid`, in model units.

    Attributes:
      grid: spectral grid and transforms.
      gravity: g in units of a Ω².
      mean_depth: H̄ in Earth radii (the resting depth the implicit gravity waves see).
      orography: h_s on the nodal grid in Earth radii, or None.
      coriolis: f on the nodal grid in units of Ω, or None for 2 sin φ (a rotated Coriolis field
        serves Williamson TC2 with a tilted axis).
    """

    grid: Grid
    gravity: float
    mean_depth: float
    orography: np.ndarray | None = None
    coriolis: np.ndarray | None = None

    def _nodal_constant(self, x: np.ndarray) -> Array:
        return jnp.asarray(np.broadcast_to(x, self.grid.nodal_shape), dtype=self.grid.dtype)

    @property
    def _coriolis(self) -> Array:
        f = 2.0 * self.grid.sin_latitude[:, None] if self.coriolis is None else self.coriolis
        return self._nodal_constant(f)

    @property
    def _orography_modal(self) -> Array | None:
        if self.orography is None:
            return None
        return self.grid.truncate(self.grid.to_modal(self._nodal_constant(self.orography)))

    def explicit_terms(self, state: ShallowWaterState) -> ShallowWaterState:
        grid = self.grid
        u_cos, v_cos = grid.cos_lat_uv_modal(state.vorticity, state.divergence)
        vorticity, height, u_cos, v_cos = grid.to_nodal(
            jnp.stack([state.vorticity, state.height, u_cos, v_cos])
        )
        eta = vorticity + self._coriolis
        cos2 = jnp.asarray((grid.cos_latitude**2)[:, None], dtype=grid.dtype)
        kinetic = 0.5 * (u_cos * u_cos + v_cos * v_cos) / cos2
        # One batched analysis of every flux: (η u, η v, h′ u, h′ v)·cos φ / cos² φ and ½|v|².
        fluxes = jnp.stack([eta * u_cos, eta * v_cos, height * u_cos, height * v_cos]) / cos2
        modal = grid.to_modal(jnp.concatenate([fluxes, kinetic[None]]))
        div_eta = grid.div_cos_lat_modal(modal[0], modal[1])
        curl_eta = grid.div_cos_lat_modal(modal[1], -modal[0])
        div_height = grid.div_cos_lat_modal(modal[2], modal[3])
        bernoulli = modal[4]
        if self._orography_modal is not None:
            bernoulli = bernoulli + self.gravity * self._orography_modal
        return ShallowWaterState(
            vorticity=grid.truncate(-div_eta),
            divergence=grid.truncate(curl_eta - grid.laplacian(bernoulli)),
            height=grid.truncate(-div_height),
        )

    def implicit_terms(self, state: ShallowWaterState) -> ShallowWaterState:
        return ShallowWaterState(
            vorticity=jnp.zeros_like(state.vorticity),
            divergence=-self.gravity * self.grid.laplacian(state.height),
            height=-self.mean_depth * state.divergence,
        )

    def implicit_inverse(self, state: ShallowWaterState, step_size: float) -> ShallowWaterState:
        """Solve (I − θG)Y = X per degree: δ − θ g n(n+1) h′ = X_δ, h′ + θ H̄ δ = X_h."""
        n = self.grid.total_wavenumber
        gn = self.gravity * n * (n + 1)
        theta = float(step_size)
        denominator = jnp.asarray(1.0 + theta * theta * gn * self.mean_depth, dtype=self.grid.dtype)
        gn = jnp.asarray(gn, dtype=self.grid.dtype)
        divergence = (state.divergence + theta * gn * state.height) / denominator
        height = state.height - theta * self.mean_depth * divergence
        return ShallowWaterState(state.vorticity, divergence, height)
