"""Ensemble scores: the continuous ranked probability score (CRPS) and the spread–skill pair.

CRPS(F, y) = E|X − y| − ½ E|X − X′| for X, X′ independent draws of the forecast F (Gneiting &
Raftery 2007, eq. 21). With M members the *fair* estimator (Ferro 2014; Zamo & Naveau 2018)

    CRPS ≈ (1/M) Σ_i |x_i − y| − 1/(2M(M − 1)) Σ_{i≠j} |x_i − x_j|

is unbiased for the CRPS of the distribution the members are drawn from, so even two members
(NeuralGCM's training ensemble) reward the right spread. For a single member it is the absolute
error. For a Gaussian N(μ, σ²) the CRPS has the closed form of Gneiting et al. (2005, eq. 5),
used to test the estimator.

The rank histogram (Hamill 2001, Mon. Wea. Rev. 129:550) counts where the truth falls among the
sorted members: flat for a reliable ensemble, U-shaped for an under-dispersive one.

Sampling intervals of any score over forecast starts are bootstrap percentile intervals (Efron &
Tibshirani 1993, ch. 13): the starts resampled with replacement, the same resamples for every
score of one evaluation, so that differences between forecasts get paired intervals.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.stats as jstats
import numpy as np

Array = jax.Array

BOOTSTRAP_SAMPLES = 2000
INTERVAL = (5.0, 95.0)  # percentiles of the 90 % interval


def crps_ensemble(members: Array, observation: Array, axis: int = 0) -> Array:
    """Fair CRPS of the ensemble `members` (members along `axis`) for each observed point."""
    x = jnp.moveaxis(jnp.asarray(members), axis, 0)
    m = x.shape[0]
    skill = jnp.mean(jnp.abs(x - observation), axis=0)
    if m == 1:
        return skill
    # Σ_{i≠j}|x_i − x_j| from the sorted members in O(M log M): 2 Σ_i (2i − M + 1) x_(i).
    ranked = jnp.sort(x, axis=0)
    rank = jnp.arange(m, dtype=ranked.dtype).reshape((m,) + (1,) * (x.ndim - 1))
    pair_sum = 2.0 * jnp.sum((2.0 * rank - m + 1.0) * ranked, axis=0)
    return skill - pair_sum / (2.0 * m * (m - 1))


def crps_two_members(first: Array, second: Array, observation: Array) -> Array:
    """The fair CRPS of a two-member ensemble: ½(|x₁ − y| + |x₂ − y|) − ½|x₁ − x₂|."""
    return 0.5 * (jnp.abs(first - observation) + jnp.abs(second - observation)) - 0.5 * jnp.abs(
        first - second
    )


def crps_gaussian(mean: Array, std: Array, observation: Array) -> Array:
    """Closed-form CRPS of N(mean, std²) for `observation` (Gneiting et al. 2005, eq. 5)."""
    z = (observation - mean) / std
    return std * (
        z * (2.0 * jstats.norm.cdf(z) - 1.0) + 2.0 * jstats.norm.pdf(z) - 1.0 / np.sqrt(np.pi)
    )


def spread_and_error(members: Array, observation: Array, axis: int = 0) -> tuple[Array, Array]:
    """Point-wise ensemble standard deviation (unbiased) and the ensemble mean's absolute error.

    For a reliable ensemble the area-mean squared spread times (M + 1)/M matches the squared
    error of the mean (Fortin et al. 2014)."""
    x = jnp.moveaxis(jnp.asarray(members), axis, 0)
    return jnp.std(x, axis=0, ddof=1), jnp.abs(jnp.mean(x, axis=0) - observation)


def rank_histogram(members: Array, observation: Array, weights: Array) -> Array:
    """Area-weighted frequency of the truth's rank 0…M among M members, per lead.

    `members` is `(M, leads, [L,] lat, lon)`, `observation` the same without M, `weights` the
    area weights `(lat, lon)` summing to one; levels are averaged. Returns `(leads, M + 1)`."""
    m = members.shape[0]
    rank = jnp.sum(members < observation[None], axis=0)  # (leads, [L,] lat, lon)
    counts = jax.nn.one_hot(rank, m + 1, dtype=weights.dtype)  # (..., lat, lon, M + 1)
    frequency = jnp.sum(counts * weights[..., None], axis=(-3, -2))
    return frequency if frequency.ndim == 2 else jnp.mean(frequency, axis=1)


def bootstrap_resamples(count: int) -> np.ndarray:
    """`BOOTSTRAP_SAMPLES` resamples with replacement of `count` starts, (B, count) indices; the
    same for every score of one evaluation, so their intervals are paired."""
    return np.random.default_rng(0).integers(0, count, (BOOTSTRAP_SAMPLES, count))


def bootstrap_rmse(mse: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """RMSE of each resample of the starts: `mse` (starts, outputs), `resamples` (B, starts)
    indices → (B, outputs)."""
    return np.sqrt(mse[resamples].mean(axis=1))


def percentile_interval(samples: np.ndarray) -> list[list[float]]:
    """The 90 % percentile interval over the first axis of bootstrap `samples`: [low, high]."""
    low, high = np.nanpercentile(samples, INTERVAL, axis=0)
    return [low.tolist(), high.tolist()]
