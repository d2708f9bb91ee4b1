"""A balanced start: states from another model's data that do not shock the coarse model.

A state coarse-grained from a finer run is out of balance with the coarse model in two ways:

1. **Its surface pressure sits on another orography.** The finer run's ground averaged over the
   coarse cells is not the coarse model's smoothed, truncated ground (113 m rms for the shipped
   T42 → T21 truth), so p_s is about 1 kPa rms off hydrostatic balance with the model's Φ_s.
   `surface_pressure_on_orography` moves p_s hydrostatically from one ground to the other — the
   same rule `pressure_levels` applies to reanalyses.
2. **Its divergence and mass field are not in the coarse model's balance** (truncation,
   conservative averaging). A **digital filter** (Lynch & Huang 1992, Mon. Wea. Rev. 120:1019)
   removes what oscillates faster than a cutoff period τ_c: the state is integrated adiabatically
   forward and backward N steps from t₀, and the filtered state is the weighted sum

       x̄(t₀) = Σ_{n=−N}^{N} h_n x(t₀ + nΔt),   h_n = sin(nθ_c)/(nπ) · σ_n,   θ_c = 2πΔt/τ_c,

   with the Lanczos window σ_n = sin(nπ/(N+1)) / (nπ/(N+1)) (their eqs. 3.2–3.4), the weights
   normalised to sum to one. Adiabatic means the dynamical core alone: no forcing, physics or
   spectral filter (the filter damps, so it would amplify running backward). Tracers keep their
   initial values: they do not carry gravity waves.

`balanced_state(model, state)` applies the filter; the truth loader (`training_data.load_truth`)
applies both when a training configuration asks for `initialisation="balanced"`, so training and
evaluation start from the same states. `surface_pressure_tendency` measures the shock: the
area-weighted rms of ∂p_s/∂t hour by hour (on the shipped truth, measured in
`data_samples/hybrid_training/README.md`).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.constants import GRAVITY, P0, R_DRY
from ngcm_lab.primitive_equations import PrimitiveEquationsState
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.vertical_interpolation import STANDARD_LAPSE_RATE

FILTER_SPAN_S = 6 * 3600.0  # total span 2NΔt: ±3 h, as Lynch & Huang (1992)
CUTOFF_PERIOD_S = 6 * 3600.0  # τ_c: faster oscillations (gravity waves) are removed


def surface_pressure_on_orography(
    surface_pressure_pa, surface_temperature_k, phi_from, phi_to
) -> np.ndarray:
    """p_s moved hydrostatically from the ground Φ_s = `phi_from` to `phi_to` (m² s⁻²).

    p_s,to = p_s,from · exp(−ΔΦ / (R_d T̄)), with T̄ the `surface_temperature_k` (virtual, for moist
    air) moved to the middle of the layer between the two grounds at 6.5 K/km:
    T̄ = T_s − Γ ΔΦ / (2g). Second-order accurate in ΔΦ = Φ_to − Φ_from.
    """
    d_phi = np.asarray(phi_to, np.float64) - np.asarray(phi_from, np.float64)
    t_mean = np.asarray(surface_temperature_k, np.float64) - 0.5 * STANDARD_LAPSE_RATE * (
        d_phi / GRAVITY
    )
    return np.asarray(surface_pressure_pa, np.float64) * np.exp(-d_phi / (R_DRY * t_mean))


def lanczos_weights(half_steps: int, dt_s: float, cutoff_period_s: float) -> np.ndarray:
    """The 2N + 1 weights h_{−N…N} of the Lanczos-windowed low-pass filter (module docstring)."""
    n = np.arange(-half_steps, half_steps + 1, dtype=np.float64)
    theta = 2.0 * np.pi * dt_s / cutoff_period_s
    nonzero = np.where(n == 0, 1.0, n)
    h = np.where(n == 0, theta / np.pi, np.sin(n * theta) / (np.pi * nonzero))
    x = nonzero * np.pi / (half_steps + 1)
    window = np.where(n == 0, 1.0, np.sin(x) / x)
    h = h * window
    return h / h.sum()


def _adiabatic(model: PrimitiveEquationsModel, dt_s: float) -> PrimitiveEquationsModel:
    equation = dataclasses.replace(model.equation, forcing=None)
    return dataclasses.replace(model, equation=equation, filters=(), dt_s=dt_s)


def balanced_state(
    model: PrimitiveEquationsModel,
    state: PrimitiveEquationsState,
    span_s: float = FILTER_SPAN_S,
    cutoff_period_s: float = CUTOFF_PERIOD_S,
) -> PrimitiveEquationsState:
    """`state` digitally filtered with `model`'s adiabatic dynamical core (module docstring).

    Traceable: `jax.vmap` filters a stack of states at once. The span is rounded to whole
    time steps of the model.
    """
    half = max(1, int(round(0.5 * span_s / model.dt_s)))
    h = jnp.asarray(lanczos_weights(half, model.dt_s, cutoff_period_s), model.grid.dtype)

    def weighted_sum(step, weights):
        def body(carry, w):
            x, total = carry
            x = step(x)
            return (x, jax.tree.map(lambda t, y: t + w * y, total, x)), None

        zero = jax.tree.map(jnp.zeros_like, state)
        (_, total), _ = jax.lax.scan(body, (state, zero), weights)
        return total

    forward = weighted_sum(_adiabatic(model, model.dt_s).step, h[half + 1 :])
    backward = weighted_sum(_adiabatic(model, -model.dt_s).step, h[:half][::-1])
    filtered = jax.tree.map(lambda a, b, x: a + b + h[half] * x, forward, backward, state)
    return dataclasses.replace(filtered, tracers=state.tracers)


def surface_pressure_tendency(
    model: PrimitiveEquationsModel, state: PrimitiveEquationsState, hours: int = 6
) -> np.ndarray:
    """Area-weighted rms of ∂p_s/∂t (hPa per hour) over each of the first `hours` hours of a
    forecast from `state` (the model's own step, physics included): the size of the shock."""
    steps = max(1, int(round(3600.0 / model.dt_s)))
    advance = jax.jit(lambda s: model.rollout(s, steps))
    weights = np.asarray(model.grid.area_weights, np.float64)  # sum to one

    def surface_pressure(s):  # Pa
        return P0 * np.exp(np.asarray(model.grid.to_nodal(s.log_surface_pressure), np.float64))

    out, previous = [], surface_pressure(state)
    for _ in range(hours):
        state = advance(state)
        now = surface_pressure(state)
        out.append(np.sqrt(np.sum(weights * (now - previous) ** 2)) / 100.0)
        previous = now
    return np.asarray(out)
