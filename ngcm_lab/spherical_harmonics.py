"""Gaussian grids, spherical-harmonic transforms and spectral operators on the unit sphere.

Layout (see docs/architecture.md):
- nodal arrays `(..., nlat, nlon)`, latitudes ascending (Gauss nodes), longitudes 2πi/nlon;
- modal arrays complex `(..., M, K)`: order m = 0…N along M = N + 1, slot k = n − m along K = N + 2,
  so total wavenumber n = m + k. Degree N + 1 is kept so that cos φ ∂/∂φ of a field truncated at N
  is exact; prognostic fields are truncated at n ≤ N.

The transform is an FFT in longitude followed by a Gauss–Legendre quadrature per zonal order. The
Legendre step uses equatorial symmetry, P_n^m(−μ) = (−1)^{n−m} P_n^m(μ): in the (m, k) layout the
symmetric functions are the even slots, so the split is a strided slice and halves the work.

Operators follow Hack & Jakob (1992, NCAR/TN-343, §3) and Durran (2010, §6.3) on a sphere of unit
radius; dimensional radius enters only through `constants.Scales`.
"""

from __future__ import annotations

import dataclasses
import functools
import re

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab import legendre
from ngcm_lab.constants import MATMUL_PRECISION

Array = jax.Array

# name → (truncation N, nlat, nlon). Quadratic grids resolve products of two fields without
# aliasing (nlon ≥ 3N + 1); linear grids (TL) are those of ECMWF and NeuralGCM (nlon ≥ 2N + 1).
RESOLUTIONS: dict[str, tuple[int, int, int]] = {
    "T21": (21, 32, 64),
    "T31": (31, 48, 96),
    "T42": (42, 64, 128),
    "T63": (63, 96, 192),
    "T85": (85, 128, 256),
    "T106": (106, 160, 320),
    "T127": (127, 192, 384),
    "T170": (170, 256, 512),
    "T213": (213, 320, 640),
    "TL63": (63, 64, 128),
    "TL127": (127, 128, 256),
    "TL255": (255, 256, 512),
}


def resolution_names() -> list[str]:
    """Named resolutions, coarsest first."""
    return sorted(RESOLUTIONS, key=lambda name: (RESOLUTIONS[name][1], name))


def _shift_down(x: Array) -> Array:
    """Along the last axis, y[k] = x[k − 1] and y[0] = 0 (degree n − 1 at fixed order)."""
    return jnp.pad(x[..., :-1], [(0, 0)] * (x.ndim - 1) + [(1, 0)])


def _shift_up(x: Array) -> Array:
    """Along the last axis, y[k] = x[k + 1] and y[K − 1] = 0 (degree n + 1 at fixed order)."""
    return jnp.pad(x[..., 1:], [(0, 0)] * (x.ndim - 1) + [(0, 1)])


@dataclasses.dataclass(frozen=True)
class Grid:
    """A Gaussian grid with triangular truncation N, and the transforms between them.

    Attributes:
      truncation: maximum total wavenumber N kept in prognostic fields.
      nlat: number of Gauss latitudes (even).
      nlon: number of equally spaced longitudes.
      dtype: real precision of nodal arrays (modal arrays use the matching complex type).
      name: resolution name, e.g. "T42" or "TL63" (informational).
    """

    truncation: int
    nlat: int
    nlon: int
    dtype: np.dtype = dataclasses.field(default=np.dtype(np.float32))
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "dtype", np.dtype(self.dtype))
        if self.nlat % 2:
            raise ValueError(f"nlat must be even for the symmetric transform, got {self.nlat}")
        if self.nlon // 2 + 1 < self.truncation + 1:
            raise ValueError(
                f"nlon={self.nlon} cannot hold zonal wavenumbers up to {self.truncation}; "
                f"use nlon ≥ {2 * self.truncation + 1}"
            )
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")

    @classmethod
    def from_name(cls, name: str, dtype: np.dtype | type = np.float32) -> Grid:
        """Grid for a named resolution: T21 … T213 (quadratic), TL63, TL127, TL255 (linear)."""
        key = name.strip().upper()
        if key not in RESOLUTIONS:
            match = re.fullmatch(r"T(L?)(\d+)", key)
            hint = ""
            if match and not match.group(1) and f"TL{match.group(2)}" in RESOLUTIONS:
                hint = f" (did you mean TL{match.group(2)}?)"
            raise ValueError(
                f"unknown resolution {name!r}{hint}; valid names: {', '.join(resolution_names())}"
            )
        truncation, nlat, nlon = RESOLUTIONS[key]
        return cls(truncation, nlat, nlon, np.dtype(dtype), key)

    # ----------------------------------------------------------------- static geometry (numpy)
    @property
    def modal_shape(self) -> tuple[int, int]:
        return (self.truncation + 1, self.truncation + 2)

    @property
    def nodal_shape(self) -> tuple[int, int]:
        return (self.nlat, self.nlon)

    @property
    def complex_dtype(self) -> np.dtype:
        return np.dtype(np.complex64 if self.dtype == np.float32 else np.complex128)

    @functools.cached_property
    def _quadrature(self) -> tuple[np.ndarray, np.ndarray]:
        return legendre.gauss_legendre_nodes(self.nlat)

    @property
    def sin_latitude(self) -> np.ndarray:
        """μ = sin φ at the Gauss nodes, ascending (float64)."""
        return self._quadrature[0]

    @property
    def quadrature_weights(self) -> np.ndarray:
        """Gauss weights w_j, Σ w_j = 2 (float64)."""
        return self._quadrature[1]

    @property
    def latitudes(self) -> np.ndarray:
        """Latitudes in radians, ascending (float64)."""
        return np.arcsin(self.sin_latitude)

    @property
    def longitudes(self) -> np.ndarray:
        """Longitudes in radians, 0 ≤ λ < 2π (float64)."""
        return 2.0 * np.pi * np.arange(self.nlon) / self.nlon

    @property
    def cos_latitude(self) -> np.ndarray:
        return np.sqrt(1.0 - self.sin_latitude**2)

    @property
    def area_weights(self) -> np.ndarray:
        """Weights on the nodal grid, shape (nlat, nlon), that sum to 1 (area fraction)."""
        w = self.quadrature_weights[:, None] / (2.0 * self.nlon)
        return np.broadcast_to(w, self.nodal_shape)

    @functools.cached_property
    def order(self) -> np.ndarray:
        """Zonal wavenumber m of each modal slot, shape (M, K)."""
        m, _ = np.indices(self.modal_shape)
        return m

    @functools.cached_property
    def total_wavenumber(self) -> np.ndarray:
        """Total wavenumber n = m + k of each modal slot, shape (M, K)."""
        m, k = np.indices(self.modal_shape)
        return m + k

    @functools.cached_property
    def mask(self) -> np.ndarray:
        """True where n ≤ N (the prognostic triangular truncation), shape (M, K)."""
        return self.total_wavenumber <= self.truncation

    @functools.cached_property
    def _legendre_tables(self) -> np.ndarray:
        """P̄_{m+k}^m at the northern nodes, `(M, nlat/2, K)`, zero where n > N + 1."""
        return self._legendre_at(self.sin_latitude[self.nlat // 2 :])

    def _legendre_at(self, mu: np.ndarray) -> np.ndarray:
        """P̄_{m+k}^m(μ) in the modal layout `(M, len(μ), K)`, zero where n > N + 1."""
        big_m, big_k = self.modal_shape
        table = legendre.associated_legendre_by_offset(mu, big_m - 1, big_k)
        keep = (self.total_wavenumber <= self.truncation + 1)[:, None, :]
        return np.where(keep, table, 0.0)

    # ------------------------------------------------------------------------ transforms (jnp)
    @functools.cached_property
    def _jax_tables(self) -> dict[str, np.ndarray]:
        # numpy, never jnp: a cached jnp array first built inside a jit trace would be a tracer.
        table = self._legendre_tables
        w = self.quadrature_weights[self.nlat // 2 :][None, :, None]
        as_real = functools.partial(np.asarray, dtype=self.dtype)
        return {
            "even": as_real(table[:, :, 0::2]),
            "odd": as_real(table[:, :, 1::2]),
            "w_even": as_real(w * table[:, :, 0::2]),
            "w_odd": as_real(w * table[:, :, 1::2]),
        }

    @functools.partial(jax.jit, static_argnums=0)
    def to_nodal(self, modal: Array) -> Array:
        """Synthesis: modal `(..., M, K)` complex → nodal `(..., nlat, nlon)` real."""
        t = self._jax_tables
        modal = jnp.asarray(modal)
        parts = jnp.stack([modal.real, modal.imag]).astype(self.dtype)  # (2, ..., M, K)
        sym = jnp.einsum(
            "...mk,mjk->...jm", parts[..., 0::2], t["even"], precision=MATMUL_PRECISION
        )
        asym = jnp.einsum(
            "...mk,mjk->...jm", parts[..., 1::2], t["odd"], precision=MATMUL_PRECISION
        )
        # Northern half is S + A; southern mirror is S − A, reversed to ascending latitude.
        fourier = jnp.concatenate([jnp.flip(sym - asym, axis=-2), sym + asym], axis=-2)
        fourier = jax.lax.complex(fourier[0], fourier[1])  # (..., nlat, M)
        pad = self.nlon // 2 + 1 - fourier.shape[-1]
        fourier = jnp.pad(fourier, [(0, 0)] * (fourier.ndim - 1) + [(0, pad)])
        return jnp.fft.irfft(fourier, n=self.nlon, axis=-1) * self.nlon

    @functools.partial(jax.jit, static_argnums=0)
    def to_modal(self, nodal: Array) -> Array:
        """Analysis: nodal `(..., nlat, nlon)` → modal `(..., M, K)`, coefficients up to N + 1.

        Exact (to round-off) for fields band-limited to the grid's quadrature degree.
        """
        t = self._jax_tables
        nodal = jnp.asarray(nodal, dtype=self.dtype)
        fourier = jnp.fft.rfft(nodal, axis=-1)[..., : self.truncation + 1] / self.nlon
        parts = jnp.stack([fourier.real, fourier.imag])  # (2, ..., nlat, M)
        half = self.nlat // 2
        north = parts[..., half:, :]
        south = jnp.flip(parts[..., :half, :], axis=-2)
        even = jnp.einsum(
            "...jm,mjk->...mk", north + south, t["w_even"], precision=MATMUL_PRECISION
        )
        odd = jnp.einsum("...jm,mjk->...mk", north - south, t["w_odd"], precision=MATMUL_PRECISION)
        k_even, k_odd = even.shape[-1], odd.shape[-1]
        interleaved = jnp.stack([even[..., :k_odd], odd], axis=-1).reshape(
            *even.shape[:-1], 2 * k_odd
        )
        if k_even > k_odd:
            interleaved = jnp.concatenate([interleaved, even[..., k_odd:]], axis=-1)
        return jax.lax.complex(interleaved[0], interleaved[1])

    def truncate(self, modal: Array) -> Array:
        """Zero every coefficient with n > N."""
        return jnp.where(self.mask, modal, 0)

    # ------------------------------------------------------------ spectral operators (a = 1)
    @functools.cached_property
    def _operator_coefficients(self) -> dict[str, np.ndarray]:
        m = self.order.astype(np.float64)
        n = self.total_wavenumber.astype(np.float64)
        eps_n = legendre.recurrence_coefficient(m, n)
        eps_n1 = legendre.recurrence_coefficient(m, n + 1)
        valid = n <= self.truncation + 1
        eigen = -n * (n + 1)
        with np.errstate(divide="ignore"):
            inverse_eigen = np.where(n > 0, 1.0 / np.where(n > 0, eigen, 1.0), 0.0)
        return {
            "laplacian": eigen,
            "inverse_laplacian": inverse_eigen,
            # cos φ ∂X/∂φ at degree n = −(n−1) ε_n X_{n−1} + (n+2) ε_{n+1} X_{n+1}.
            "grad_from_below": np.where(valid, -(n - 1) * eps_n, 0.0),
            "grad_from_above": np.where(valid, (n + 2) * eps_n1, 0.0),
            # ∫ g (1−μ²) ∂P_n/∂μ dμ = −n ε_{n+1} g_{n+1} + (n+1) ε_n g_{n−1} (integration by parts).
            "div_from_above": np.where(valid, n * eps_n1, 0.0),
            "div_from_below": np.where(valid, -(n + 1) * eps_n, 0.0),
        }

    def _coefficient(self, name: str) -> Array:
        return jnp.asarray(self._operator_coefficients[name], dtype=self.dtype)

    def laplacian(self, modal: Array) -> Array:
        """∇² on the unit sphere: multiplies degree n by −n(n+1)."""
        return modal * self._coefficient("laplacian")

    def inverse_laplacian(self, modal: Array) -> Array:
        """∇⁻², with the (undetermined) global mean set to zero."""
        return modal * self._coefficient("inverse_laplacian")

    def d_dlon(self, modal: Array) -> Array:
        """∂/∂λ: multiplies order m by i m."""
        return modal * (1j * jnp.asarray(self.order, dtype=self.dtype))

    def cos_lat_d_dlat(self, modal: Array) -> Array:
        """cos φ ∂/∂φ = (1 − μ²) ∂/∂μ; exact from degree ≤ N to degree ≤ N + 1."""
        return self._coefficient("grad_from_below") * _shift_down(modal) + self._coefficient(
            "grad_from_above"
        ) * _shift_up(modal)

    def div_cos_lat(self, a: Array, b: Array) -> Array:
        """Modal ∇·(a/cos φ, b/cos φ) = (∂a/∂λ + cos φ ∂b/∂φ)/cos²φ from nodal a, b.

        a and b are cos φ-weighted vector components (e.g. u cos φ, v cos φ). The φ-derivative is
        moved onto the Legendre functions by parts, so no derivative of a gridded field is taken.
        """
        f, g = jnp.split(self.to_modal(jnp.stack([a, b]) / self._cos2_lat), 2)
        return self.div_cos_lat_modal(f[0], g[0])

    def div_cos_lat_modal(self, f: Array, g: Array) -> Array:
        """`div_cos_lat` from the modal analyses f, g of a/cos²φ and b/cos²φ (batched by caller)."""
        return (
            self.d_dlon(f)
            + self._coefficient("div_from_above") * _shift_up(g)
            + self._coefficient("div_from_below") * _shift_down(g)
        )

    def curl_cos_lat(self, a: Array, b: Array) -> Array:
        """Modal k·∇×(a/cos φ, b/cos φ) from nodal cos φ-weighted components a, b."""
        return self.div_cos_lat(b, -a)

    def div_curl_cos_lat(self, a: Array, b: Array) -> tuple[Array, Array]:
        """Divergence and curl of the same cos φ-weighted vector with one shared analysis."""
        f, g = jnp.split(self.to_modal(jnp.stack([a, b]) / self._cos2_lat), 2)
        f, g = f[0], g[0]
        return self.div_cos_lat_modal(f, g), self.div_cos_lat_modal(g, -f)

    @functools.cached_property
    def _cos2_lat(self) -> np.ndarray:
        return np.asarray((self.cos_latitude**2)[:, None], dtype=self.dtype)

    def cos_lat_uv_modal(self, vorticity: Array, divergence: Array) -> tuple[Array, Array]:
        """Modal (u cos φ, v cos φ) from modal vorticity and divergence (Helmholtz split)."""
        psi = self.inverse_laplacian(vorticity)
        chi = self.inverse_laplacian(divergence)
        u = self.d_dlon(chi) - self.cos_lat_d_dlat(psi)
        v = self.d_dlon(psi) + self.cos_lat_d_dlat(chi)
        return u, v

    @functools.partial(jax.jit, static_argnums=0)
    def uv_from_vort_div(self, vorticity: Array, divergence: Array) -> tuple[Array, Array]:
        """Nodal (u, v) from modal vorticity and divergence on the unit sphere."""
        u, v = self.cos_lat_uv_modal(vorticity, divergence)
        cos_lat = jnp.asarray(self.cos_latitude[:, None], dtype=self.dtype)
        uv = self.to_nodal(jnp.stack([u, v])) / cos_lat
        return uv[0], uv[1]

    @functools.partial(jax.jit, static_argnums=0)
    def vort_div_from_uv(self, u: Array, v: Array) -> tuple[Array, Array]:
        """Modal vorticity and divergence (truncated at N) from nodal (u, v)."""
        cos_lat = jnp.asarray(self.cos_latitude[:, None], dtype=self.dtype)
        divergence, vorticity = self.div_curl_cos_lat(u * cos_lat, v * cos_lat)
        return self.truncate(vorticity), self.truncate(divergence)

    def evaluate_at(self, modal: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Evaluate modal fields `(..., M, K)` at arbitrary points (radians), in float64 numpy.

        Exact spectral interpolation: used to compare runs at different resolutions (a
        high-resolution reference evaluated on a coarse model's grid). `lat` and `lon` are 1-D;
        the result has shape `(..., len(lat), len(lon))`.
        """
        modal = np.asarray(modal, dtype=np.complex128)
        big_m, big_k = self.modal_shape
        table = self._legendre_at(np.sin(np.asarray(lat, np.float64)))
        fourier = np.einsum("...mk,mjk->...jm", modal, table)
        m = np.arange(big_m)
        phase = np.exp(1j * np.asarray(lon, np.float64)[:, None] * m[None, :])  # (nlon, M)
        weight = np.where(m == 0, 1.0, 2.0)
        return np.real(np.einsum("...jm,im->...ji", fourier * weight, phase))

    # ------------------------------------------------------------------------ diagnostics
    def global_mean(self, nodal: Array) -> Array:
        """Area-weighted mean over the last two (lat, lon) axes."""
        return jnp.sum(nodal * jnp.asarray(self.area_weights, dtype=self.dtype), axis=(-2, -1))

    @functools.cached_property
    def _order_weight(self) -> np.ndarray:
        """1 for m = 0, 2 for m > 0: each m > 0 stands for ±m in a real field."""
        return np.where(self.order == 0, 1.0, 2.0)

    @functools.cached_property
    def _degree_projection(self) -> np.ndarray:
        """(M·K, N + 2): each coefficient's |c|² to its total wavenumber, an m > 0 one counted
        twice (it stands for ±m) and halved (the mean of cos² over a circle)."""
        flat_n = self.total_wavenumber.ravel()
        weight = (self._order_weight / 2.0).ravel()
        one_hot = flat_n[:, None] == np.arange(self.truncation + 2)[None, :]
        return np.where(one_hot, weight[:, None], 0.0)

    def power_by_degree(self, modal: Array) -> Array:
        """Global mean of f² contributed by each total wavenumber n = 0…N+1: float64 numpy for
        concrete arrays (diagnostics), traceable jax in the grid's precision under a transform
        (the spectral term of a training loss)."""
        shape = modal.shape[:-2] + (-1,)
        if isinstance(modal, jax.core.Tracer):
            power = jnp.reshape(jnp.abs(modal) ** 2, shape)
            projection = jnp.asarray(self._degree_projection, power.dtype)
            return jnp.matmul(power, projection, precision=MATMUL_PRECISION)
        power = np.reshape(np.abs(np.asarray(modal, np.complex128)) ** 2, shape)
        return power @ self._degree_projection

    def kinetic_energy_spectrum(self, vorticity: Array, divergence: Array) -> Array:
        """Global-mean kinetic energy ½⟨u² + v²⟩ by total wavenumber n = 0…N, on the unit sphere.

        ½(|ζ_n|² + |δ_n|²)/(n(n+1)) per degree (Boer 1983); multiply by (aΩ)² for m² s⁻² when ζ, δ
        are in units of Ω.
        """
        n = np.arange(self.truncation + 1, dtype=np.float64)
        factor = np.where(n > 0, 0.5 / np.maximum(n * (n + 1), 1.0), 0.0)
        power = self.power_by_degree(vorticity) + self.power_by_degree(divergence)
        return factor * power[..., : self.truncation + 1]
