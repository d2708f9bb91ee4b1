"""Scores per σ level for `evaluation`: RMSE and anomaly correlation by level, zonal-mean bias.

An RMSE over all levels says how far a forecast is off, not where: a hybrid can win aloft and
lose at the surface, where the withheld physics acts. These helpers score each level apart:

- the **area-weighted mean squared error per level** (its mean over levels is the all-level
  mean squared error of `evaluation.errors_by_start`);
- the **anomaly correlation coefficient** (ACC) per level, uncentred (Wilks 2011, *Statistical
  Methods in the Atmospheric Sciences*, §8.6.4): anomalies are departures from a climatology
  that training may see — the truth's time mean over the training initial times;
- the **zonal-mean bias** (forecast − truth) per level and latitude.

`level_scores` runs inside the jitted scoring function of each start; `level_summary` turns the
per-start arrays into the JSON-ready entries of `evaluation.evaluate`'s result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.training_data import TruthData


def training_climatology(truth: TruthData, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The truth's time mean over its training initial times, {var: (L, nlat, nlon)} float32,
    for the layered variables among `names` (precipitation has no levels and is left out)."""
    return {
        name: truth.targets[name][truth.train_indices].mean(0, dtype=np.float64).astype(np.float32)
        for name in names
        if truth.targets[name].ndim == 4
    }


def anomaly_correlation(forecast, observed, climatology, weights) -> jax.Array:
    """Uncentred anomaly correlation over the sphere, Σ w (f−c)(o−c) / √(Σ w (f−c)² · Σ w (o−c)²),
    for arrays (…, nlat, nlon) and area weights (nlat, nlon) → (…). 1 is a perfect pattern, 0
    no skill; it is 0 where either anomaly vanishes (a climatology forecast has no pattern)."""
    f, o = forecast - climatology, observed - climatology
    covariance = jnp.sum(weights * f * o, axis=(-2, -1))
    norm = jnp.sqrt(jnp.sum(weights * f**2, axis=(-2, -1))) * jnp.sqrt(
        jnp.sum(weights * o**2, axis=(-2, -1))
    )
    positive = norm > 0
    return jnp.where(positive, covariance / jnp.where(positive, norm, 1.0), 0.0)


def level_scores(
    forecast: Mapping[str, jax.Array],
    observed: Mapping[str, jax.Array],
    climatology: Mapping[str, jax.Array],
    weights: jax.Array,
) -> dict[str, dict[str, jax.Array]]:
    """One start's scores per level for each variable of `climatology`: fields (outputs, L,
    nlat, nlon) → "mse_by_level" (outputs, L), "acc_by_level" (outputs, L) and "zonal_bias"
    (outputs, L, nlat). Traceable: it runs inside `jax.jit`."""
    mse, acc, bias = {}, {}, {}
    for name, mean in climatology.items():
        error = forecast[name] - observed[name]
        mse[name] = jnp.sum(weights * error**2, axis=(-2, -1))
        acc[name] = anomaly_correlation(forecast[name], observed[name], mean, weights)
        bias[name] = jnp.mean(error, axis=-1)
    return {"mse_by_level": mse, "acc_by_level": acc, "zonal_bias": bias}


def daily_lead_indices(lead_hours: Sequence[float]) -> list[int]:
    """Indices of the whole-day leads; the last lead alone when none is a whole day."""
    daily = [i for i, hours in enumerate(lead_hours) if hours > 0 and hours % 24 == 0]
    return daily or [len(lead_hours) - 1]


def lead_key(hours: float) -> str:
    """The JSON key of a lead in "zonal_mean_bias": hours as `%g` ("24", "48")."""
    return f"{hours:g}"


def level_summary(
    forecasts: Mapping[str, Mapping[str, Any]], lead_hours: Sequence[float]
) -> dict[str, Any]:
    """The per-level entries of `evaluation.evaluate`'s result from each forecast's
    `errors_by_start` arrays (starts first), as lists: "rmse_by_level" {forecast: {var:
    (outputs, L)}} (root of the mean over starts), "acc_by_level" (mean over starts) and
    "zonal_mean_bias" {forecast: {var: {lead hours: (L, nlat)}}} at `daily_lead_indices`."""
    daily = daily_lead_indices(lead_hours)
    rmse, acc, bias = {}, {}, {}
    for name, errors in forecasts.items():
        rmse[name] = {k: np.sqrt(v.mean(0)).tolist() for k, v in errors["mse_by_level"].items()}
        acc[name] = {k: v.mean(0).tolist() for k, v in errors["acc_by_level"].items()}
        bias[name] = {
            k: {lead_key(lead_hours[i]): v.mean(0)[i].tolist() for i in daily}
            for k, v in errors["zonal_bias"].items()
        }
    return {"rmse_by_level": rmse, "acc_by_level": acc, "zonal_mean_bias": bias}
