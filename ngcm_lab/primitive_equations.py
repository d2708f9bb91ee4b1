"""Hydrostatic primitive equations on σ levels, in vorticity–divergence form, split for IMEX.

Prognostic variables per layer k (modal): vorticity ζ, divergence δ, temperature variation
T′ = T − T̄_k about a reference T̄_k, tracers X (e.g. specific humidity); and q = ln p_s. With
v the wind, f the Coriolis parameter and σ̇ the σ-velocity (Haltiner & Williams 1980, §6; vector-
invariant form as in Simmons & Burridge 1981, Mon. Wea. Rev. 109:758):

    ∂v/∂t = −(ζ + f) k×v − σ̇ ∂v/∂σ − R T′ ∇q − ∇(Φ + ½|v|² + R T̄ q)
    ∂T/∂t = −v·∇T − σ̇ ∂T/∂σ + κ T ω/p
    ∂q/∂t = −Σ_k Δσ_k (δ_k + v_k·∇q)
    ∂X/∂t = −v·∇X − σ̇ ∂X/∂σ

taking k·∇× and ∇· of the first for ζ and δ. The vertical discretisation is Simmons & Burridge's
energy- and angular-momentum-conserving scheme for pure σ: hydrostatic Φ_k = Φ_s + R Σ_j G_kj T_j
(their eq. 3.11 with α_k), ω/p by their eq. 3.12, and centred vertical advection (eq. 3.9).

Linear terms about a resting atmosphere with temperature T̄_k (gravity waves: ∇²(Φ′ + R T̄ q) in the
δ equation, the linear energy conversion and reference-profile advection in the T′ equation, and
−Σ Δσ δ for q) are stepped implicitly; the rest explicitly. All quantities are nondimensional
(a = Ω = 1) except temperature, which stays in kelvin (so R and c_p are in (aΩ)² K⁻¹).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.constants import MATMUL_PRECISION, VIRTUAL_FACTOR
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid

Array = jax.Array

# A forcing maps nodal (u cos φ, v cos φ, T, ln p_s, {tracer: X}) in model units (T in K) to
# tendencies of (u cos φ, v cos φ, T, {tracer: X}); e.g. Held–Suarez relaxation and drag, or the
# simple moist physics. It is added to the explicit terms. Tracers it leaves alone may be omitted.
Forcing = Callable[
    [Array, Array, Array, Array, dict[str, Array]],
    tuple[Array, Array, Array, dict[str, Array]],
]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class PrimitiveEquationsState:
    """Modal prognostic variables: `(L, M, K)` per layer, `log_surface_pressure` `(M, K)`."""

    vorticity: Array
    divergence: Array
    temperature_variation: Array
    log_surface_pressure: Array
    tracers: dict[str, Array] = dataclasses.field(default_factory=dict)


def _column_matrices(coords: SigmaCoordinates, reference_temperature: np.ndarray, kappa: float):
    """Hydrostatic matrix G and the linear temperature matrix H (T′_t = −H δ).

    Built by applying the discrete operators of Simmons & Burridge (1981) to unit vectors, so the
    implicit part is exactly the linearisation of the explicit code below.
    """
    layers = coords.layers
    eye = np.eye(layers)
    return (
        hydrostatic_matrix(coords),
        np.stack(
            [_linear_temperature_rate(coords, reference_temperature, kappa, e) for e in eye],
            axis=-1,
        ),
    )


def hydrostatic_matrix(coords: SigmaCoordinates) -> np.ndarray:
    """G with Φ_k − Φ_s = R Σ_j G_kj T_j (Simmons & Burridge 1981, eq. 3.11 for pure σ).

    G_kj = ln(σ_{j+½}/σ_{j−½}) for j > k (the layers below k), G_kk = α_k with
    α_k = 1 − σ_{k−½}/Δσ_k · ln(σ_{k+½}/σ_{k−½}) and α_1 = ln 2 at the top (σ_{½} = 0).
    """
    b, dsig = coords.interfaces, coords.thickness
    layers = coords.layers
    log_ratio = np.zeros(layers)
    log_ratio[1:] = np.log(b[2:] / b[1:-1])
    alpha = np.empty(layers)
    alpha[0] = np.log(2.0)
    alpha[1:] = 1.0 - b[1:-1] / dsig[1:] * log_ratio[1:]
    g = np.diag(alpha)
    for k in range(layers):
        g[k, k + 1 :] = log_ratio[k + 1 :]
    return g


def _xp(x):
    """numpy for numpy input (float64 precomputation), jax.numpy otherwise."""
    return np if isinstance(x, np.ndarray) else jnp


def _column(values: np.ndarray, like) -> np.ndarray:
    """A per-layer (or per-interface) vector in `like`'s precision, broadcasting over its trailing
    axes (numpy constants keep float32 code float32 even with x64 enabled)."""
    return np.asarray(values, dtype=like.dtype).reshape((-1,) + (1,) * (like.ndim - 1))


def _mix_levels(matrix, x: Array) -> Array:
    """Σ_j matrix[k, j] x[j, ...]: a vertical operator applied to every column, at the stated
    matmul precision (`constants.MATMUL_PRECISION`)."""
    return jnp.einsum("kj,j...->k...", matrix, x, precision=MATMUL_PRECISION)


def _sigma_dot(coords: SigmaCoordinates, column_divergence: np.ndarray) -> np.ndarray:
    """σ̇ at the L − 1 inner interfaces from D_k = δ_k + v_k·∇q (leading axis = layers).

    σ̇_{k+½} = σ_{k+½} Σ_j Δσ_j D_j − Σ_{j≤k} Δσ_j D_j; zero at the top and the surface.
    """
    weighted = column_divergence * _column(coords.thickness, column_divergence)
    partial = np.cumsum(weighted, axis=0)[:-1]
    return _column(coords.interfaces[1:-1], weighted) * np.sum(weighted, axis=0) - partial


def _split_layers(batch: Array, layers: int, fields: int, singles: int) -> list[Array]:
    """`fields` blocks of `layers` rows, then `singles` rows (each kept as a (1, …) block), of a
    batch stacked along its leading axis."""
    sizes = [layers] * fields + [1] * singles
    return jnp.split(batch, np.cumsum(sizes)[:-1].tolist())


def _vertical_advection(coords: SigmaCoordinates, sigma_dot: Array, x: Array) -> Array:
    """(σ̇ ∂X/∂σ)_k = [σ̇_{k+½}(X_{k+1} − X_k) + σ̇_{k−½}(X_k − X_{k−1})] / (2Δσ_k)."""
    xp = _xp(sigma_dot)
    flux = sigma_dot * (x[1:] - x[:-1])  # at inner interfaces
    flux = xp.pad(flux, [(1, 1)] + [(0, 0)] * (flux.ndim - 1))
    return (flux[1:] + flux[:-1]) / (2.0 * _column(coords.thickness, flux))


def _omega_over_p_divergence_part(
    coords: SigmaCoordinates, column_divergence: np.ndarray
) -> np.ndarray:
    """The part of ω/p at layer centres that the column divergence D makes (Simmons & Burridge
    1981, eq. 3.12, pure σ); the explicit terms add the rest, v_k·∇q:

    ω_k/p_k = v_k·∇q − [ln(σ_{k+½}/σ_{k−½}) Σ_{j<k} Δσ_j D_j + α_k Δσ_k D_k] / Δσ_k.
    """
    b, d = coords.interfaces, column_divergence
    log_ratio = np.zeros(coords.layers)
    log_ratio[1:] = np.log(b[2:] / b[1:-1])
    alpha = np.diag(hydrostatic_matrix(coords))
    weighted = d * _column(coords.thickness, d)
    above = np.cumsum(weighted, axis=0) - weighted  # Σ_{j<k}
    return -(_column(log_ratio, d) * above + _column(alpha, d) * weighted) / _column(
        coords.thickness, d
    )


def _divergence_column_operators(coords: SigmaCoordinates) -> np.ndarray:
    """σ̇ at the L − 1 inner interfaces and the D-part of ω/p at the L layers, both linear in the
    column divergence D (`_sigma_dot`, `_omega_over_p_divergence_part`), as one (2L − 1, L)
    matrix.

    The explicit terms apply it as one L × L product per column instead of two running sums over
    the layers (a cumulative sum compiles to a slow windowed reduction on CPU).
    """
    eye = np.eye(coords.layers)
    return np.concatenate(
        [
            np.stack([_sigma_dot(coords, e) for e in eye], axis=-1),
            np.stack([_omega_over_p_divergence_part(coords, e) for e in eye], axis=-1),
        ]
    )


def _linear_temperature_rate(coords, reference_temperature, kappa, divergence) -> np.ndarray:
    """H applied to δ, where the linear T′ tendency at rest is −σ̇ ∂T̄/∂σ + κ T̄ ω/p = −H δ."""
    div = np.asarray(divergence, np.float64)
    t_ref = np.asarray(reference_temperature, np.float64)
    omega = _omega_over_p_divergence_part(coords, div)  # at rest v·∇q = 0
    rate = -_vertical_advection(coords, _sigma_dot(coords, div), t_ref) + kappa * t_ref * omega
    return -rate


@dataclasses.dataclass(frozen=True)
class PrimitiveEquations:
    """Dry or moist primitive equations on `grid` and `coords`.

    With `humidity_key` naming the specific-humidity tracer, the hydrostatic geopotential and the
    pressure-gradient force use the virtual temperature T_v = T(1 + 0.608 q): the terms through
    which water vapour's lower density acts on the flow. The energy-conversion term κTω/p and the
    implicit (linear) part stay dry.

    Attributes:
      grid: spectral grid.
      coords: σ layers.
      reference_temperature: T̄_k in K, shape (L,); the implicit gravity waves see it, so it should
        be at least as warm as the atmosphere (Simmons, Hoskins & Burridge 1978).
      gas_constant: R in (aΩ)² K⁻¹.
      kappa: R / c_p.
      surface_geopotential: Φ_s on the nodal grid in (aΩ)², or None.
      forcing: optional column forcing (see `Forcing`), evaluated on the nodal grid inside the
        explicit terms so that it shares their transforms.
      humidity_key: the tracer holding specific humidity (kg kg⁻¹), or None for dry dynamics.
      virtual_factor: R_v/R_d − 1.
    """

    grid: Grid
    coords: SigmaCoordinates
    reference_temperature: np.ndarray
    gas_constant: float
    kappa: float
    surface_geopotential: np.ndarray | None = None
    forcing: Forcing | None = None
    humidity_key: str | None = None
    virtual_factor: float = VIRTUAL_FACTOR

    @functools.cached_property
    def _matrices(self) -> tuple[np.ndarray, np.ndarray]:
        return _column_matrices(self.coords, np.asarray(self.reference_temperature), self.kappa)

    @functools.cached_property
    def _divergence_operators(self) -> np.ndarray:
        return _divergence_column_operators(self.coords)

    def _layers(self, x: np.ndarray) -> Array:
        return jnp.asarray(x, self.grid.dtype).reshape((-1, 1, 1))

    def geopotential_variation(self, temperature_variation: Array) -> Array:
        """Φ′_k = R Σ_j G_kj T′_j (modal or nodal, leading axis layers)."""
        g = jnp.asarray(self._matrices[0] * self.gas_constant, self.grid.dtype)
        return _mix_levels(g, temperature_variation)

    def explicit_terms(self, state: PrimitiveEquationsState) -> PrimitiveEquationsState:
        grid, coords = self.grid, self.coords
        dtype = grid.dtype
        layers = coords.layers
        u_cos, v_cos = grid.cos_lat_uv_modal(state.vorticity, state.divergence)
        q = state.log_surface_pressure
        tracer_names = sorted(state.tracers)
        tracers = [state.tracers[name] for name in tracer_names]
        # One batched synthesis of every field the nonlinear terms need.
        stacked = jnp.concatenate(
            [state.vorticity, state.divergence, state.temperature_variation, u_cos, v_cos, *tracers]
            + [jnp.stack([grid.d_dlon(q), grid.cos_lat_d_dlat(q), q])]
        )
        # Split, not sliced: the gradient of a split is one concatenation, that of each slice
        # a zero-padded copy of the whole batch, and the copies are summed.
        nodal = _split_layers(grid.to_nodal(stacked), layers, 5 + len(tracers), 3)
        vort, div, temp, u, v = nodal[:5]
        nodal_tracers = nodal[5:-3]
        q_lon, q_lat, q_nodal = (jnp.squeeze(x, 0) for x in nodal[-3:])
        cos2 = jnp.asarray((grid.cos_latitude**2)[:, None], dtype)
        f = jnp.asarray(2.0 * grid.sin_latitude[:, None], dtype)

        v_grad_q = (u * q_lon + v * q_lat) / cos2
        column_div = div + v_grad_q
        vertical = _mix_levels(self._divergence_operators.astype(dtype), column_div)
        sigma_dot, omega = vertical[: layers - 1], v_grad_q + vertical[layers - 1 :]
        t_ref = self._layers(self.reference_temperature)
        r = self.gas_constant

        eta = vort + f
        # T_v − T̄ in the pressure gradient; its hydrostatic Φ beyond the implicit R G T′ goes
        # into the Bernoulli function with the kinetic energy.
        kinetic = 0.5 * (u * u + v * v) / cos2
        temp_v = temp
        if self.humidity_key is not None:
            humidity = nodal_tracers[tracer_names.index(self.humidity_key)]
            moist_excess = self.virtual_factor * humidity * (temp + t_ref)
            temp_v = temp + moist_excess
            g = jnp.asarray(self._matrices[0] * r, dtype)
            kinetic = kinetic + _mix_levels(g, moist_excess)
        force_u = eta * v - _vertical_advection(coords, sigma_dot, u) - r * temp_v * q_lon
        force_v = -eta * u - _vertical_advection(coords, sigma_dot, v) - r * temp_v * q_lat
        forcing_t, forcing_x = 0.0, {}
        if self.forcing is not None:
            du, dv, forcing_t, forcing_x = self.forcing(
                u, v, temp + t_ref, q_nodal, dict(zip(tracer_names, nodal_tracers, strict=True))
            )
            force_u, force_v = force_u + du, force_v + dv

        # Temperature: the full tendency here; its linear part −Hδ (implicit) is removed in
        # spectral space below, where it costs an L × L product instead of nodal column work.
        source_t = (
            temp * div
            - _vertical_advection(coords, sigma_dot, temp + t_ref)
            + self.kappa * (temp + t_ref) * omega
            + forcing_t
        )
        sources_x = [
            x * div - _vertical_advection(coords, sigma_dot, x) + forcing_x.get(name, 0.0)
            for name, x in zip(tracer_names, nodal_tracers, strict=True)
        ]

        # One batched analysis: fluxes divided by cos²φ for div/curl, and the scalar sources.
        dsig = jnp.asarray(coords.thickness, dtype).reshape((-1, 1, 1))
        fluxes = (
            jnp.concatenate(
                [force_u, force_v, u * temp, v * temp]
                + [c for x in nodal_tracers for c in (u * x, v * x)]
            )
            / cos2
        )
        q_source = -jnp.sum(dsig * v_grad_q, axis=0, keepdims=True)
        scalars = jnp.concatenate([kinetic, source_t, *sources_x, q_source])
        modal = grid.to_modal(jnp.concatenate([fluxes, scalars]))
        *chunks, q_t = _split_layers(modal, layers, (modal.shape[0] - 1) // layers, 1)
        q_t = jnp.squeeze(q_t, 0)
        fu, fv, ut, vt = chunks[:4]
        n_x = len(tracers)
        tracer_fluxes = chunks[4 : 4 + 2 * n_x]
        kinetic_m, source_t_m = chunks[4 + 2 * n_x : 6 + 2 * n_x]
        source_x_m = chunks[6 + 2 * n_x :]

        bernoulli = kinetic_m
        if self.surface_geopotential is not None:
            phi_s = grid.to_modal(jnp.asarray(self.surface_geopotential, dtype))
            bernoulli = bernoulli + phi_s
        vorticity_t = grid.div_cos_lat_modal(fv, -fu)
        divergence_t = grid.div_cos_lat_modal(fu, fv) - grid.laplacian(bernoulli)
        h = jnp.asarray(self._matrices[1], dtype)
        temperature_t = (
            source_t_m - grid.div_cos_lat_modal(ut, vt) + _mix_levels(h, state.divergence)
        )
        tracer_t = {
            name: source_x_m[i]
            - grid.div_cos_lat_modal(tracer_fluxes[2 * i], tracer_fluxes[2 * i + 1])
            for i, name in enumerate(tracer_names)
        }
        return PrimitiveEquationsState(
            grid.truncate(vorticity_t),
            grid.truncate(divergence_t),
            grid.truncate(temperature_t),
            grid.truncate(q_t),
            {name: grid.truncate(x) for name, x in tracer_t.items()},
        )

    def implicit_terms(self, state: PrimitiveEquationsState) -> PrimitiveEquationsState:
        grid = self.grid
        dtype = grid.dtype
        _, h = self._matrices
        t_ref = self._layers(self.reference_temperature)
        potential = self.geopotential_variation(state.temperature_variation) + (
            self.gas_constant * t_ref * state.log_surface_pressure
        )
        dsig = jnp.asarray(self.coords.thickness, dtype).reshape((-1, 1, 1))
        return PrimitiveEquationsState(
            jnp.zeros_like(state.vorticity),
            -grid.laplacian(potential),
            -_mix_levels(jnp.asarray(h, dtype), state.divergence),
            -jnp.sum(dsig * state.divergence, axis=0),
            {name: jnp.zeros_like(x) for name, x in state.tracers.items()},
        )

    @functools.cached_property
    def _vertical_modes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Eigen-decomposition C = V diag(d) V⁻¹ of the gravity-wave coupling C = R(GH + T̄Δσᵀ).

        The implicit matrix for degree n is I + θ²λ_n C, so all degrees share C's eigenvectors
        (the vertical normal modes; d are squared gravity-wave speeds, real and positive for a
        stable reference state), and inverting it is two L × L products and a scaling.
        """
        g, h = self._matrices
        t_ref = np.asarray(self.reference_temperature, np.float64)
        coupling = self.gas_constant * (g @ h + np.outer(t_ref, self.coords.thickness))
        d, v = np.linalg.eig(coupling)
        if np.max(np.abs(d.imag)) > 1e-9 * np.max(np.abs(d.real)) or np.min(d.real) <= 0:
            raise ValueError("the reference temperature gives unstable vertical gravity modes")
        v = v.real
        return d.real, v, np.linalg.inv(v)

    def implicit_inverse(
        self, state: PrimitiveEquationsState, step_size: float
    ) -> PrimitiveEquationsState:
        """Solve (I − θL)Y = X: δ from one system per degree, then T′ and q.

        With λ_n = n(n+1): [I + θ² λ_n R (G H + T̄ Δσᵀ)] δ = X_δ + θ λ_n R (G X_T + T̄ X_q), solved in
        the basis of vertical normal modes (`_vertical_modes`).
        """
        theta = float(step_size)
        grid, dtype = self.grid, self.grid.dtype
        _, h = self._matrices
        d, v, v_inv = self._vertical_modes
        r = self.gas_constant
        dsig = self.coords.thickness
        n = np.minimum(grid.total_wavenumber, grid.truncation + 1)
        lam = n * (n + 1.0)
        scale = 1.0 / (1.0 + theta**2 * d[:, None, None] * lam[None])  # (L, M, K)
        rhs = state.divergence + theta * jnp.asarray(lam, dtype) * (
            self.geopotential_variation(state.temperature_variation)
            + r * self._layers(self.reference_temperature) * state.log_surface_pressure
        )
        modes = _mix_levels(jnp.asarray(v_inv, dtype), rhs)
        divergence = _mix_levels(jnp.asarray(v, dtype), jnp.asarray(scale, dtype) * modes)
        temperature = state.temperature_variation - theta * _mix_levels(
            jnp.asarray(h, dtype), divergence
        )
        log_ps = state.log_surface_pressure - theta * jnp.sum(
            jnp.asarray(dsig, dtype).reshape((-1, 1, 1)) * divergence, axis=0
        )
        return PrimitiveEquationsState(
            state.vorticity, divergence, temperature, log_ps, dict(state.tracers)
        )
