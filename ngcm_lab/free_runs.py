"""Free-running climate: does a trained hybrid stay stable, and keep the truth's climate?

Short-range scores (`evaluation.py`) cannot tell whether a hybrid drifts once it runs on its own
for months, the classic failure of networks trained offline (Brenowitz & Bretherton 2018;
Rasp et al. 2018 found the same instability). `free_run_climate` runs the baseline, the hybrid
and the oracle freely from the first evaluation start for `days`, through the one blow-up check
(`forecast.Stepper`; a run that leaves physical bounds is recorded with the day it did, not
raised), and sets their climate beside the truth record's:

- the time- and zonal-mean u and T (level × latitude) after `spinup_days`, and their
  area-weighted rms difference from the truth's;
- the strongest time-mean zonal-mean wind (the jet) and its latitude;
- the zonal-mean lowest-layer wind speed (the surface wind);
- the global-mean temperature every output and its linear drift in K per 100 days;
- for moist models that diagnose it, the global-mean precipitation;
- the global column budget every `budget_every_days` (`column_budget`): the heating and the
  moistening of the dynamics, the classical physics and the network, which tells which term
  drives a drift, and the network's heating per kelvin of the run's own global-mean warming.

The truth's statistics are those of its whole record (which starts from a spun-up state).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.constants import CP_DRY
from ngcm_lab.diagnostics import global_mean_column_integral
from ngcm_lab.experiments import TrainedHybrid, open_truth, oracle_model
from ngcm_lab.forecast import ForecastBlowUpError
from ngcm_lab.hybrid_model import HybridModel, HybridState
from ngcm_lab.losses import nodal_prediction

CLIMATE_VARIABLES = ("u", "temperature")
SECONDS_PER_DAY = 86400.0


def climate_statistics(
    fields: dict[str, np.ndarray], days: np.ndarray, latitude_weights: np.ndarray, after_day: float
) -> dict[str, Any]:
    """Climate of nodal SI fields {name: (time, L, lat, lon)} at `days` (time,) using the times
    after `after_day`; `latitude_weights` (lat,) sum to one."""
    kept = days >= after_day
    w = latitude_weights / latitude_weights.sum()
    zonal = {k: fields[k][kept].mean(axis=(0, -1)) for k in CLIMATE_VARIABLES}  # (L, lat)
    jet = zonal["u"].max(axis=0)
    speed = np.hypot(fields["u"][kept, -1], fields["v"][kept, -1]).mean(axis=(0, -1))
    global_t = np.einsum("tlyx,y->t", fields["temperature"], w) / (
        fields["temperature"].shape[1] * fields["temperature"].shape[-1]
    )
    slope = np.polyfit(days[kept], global_t[kept], 1)[0] if kept.sum() > 1 else float("nan")
    out = {
        "zonal_mean": {k: v.tolist() for k, v in zonal.items()},
        "jet_m_s": float(jet.max()),
        "jet_index": int(jet.argmax()),
        "surface_wind_speed_m_s": speed.tolist(),
        "global_mean_surface_wind_speed_m_s": float(speed @ w),
        "global_mean_temperature_K": global_t.tolist(),
        "temperature_drift_K_per_100_days": float(slope * 100.0),
    }
    if "precipitation_rate" in fields:
        rate = fields["precipitation_rate"][kept].mean(axis=(0, -1))
        out["global_mean_precipitation_mm_day"] = float(rate @ w * SECONDS_PER_DAY)
    return out


def column_budget(model: HybridModel, params, state: HybridState) -> dict[str, dict[str, float]]:
    """The global mean of each term's column heating c_p Σ_k (p_s Δσ_k / g) ∂T/∂t (W m⁻²) and,
    for a moist model, its column moistening Σ_k (p_s Δσ_k / g) ∂q/∂t (kg m⁻² s⁻¹), at `state`:
    {"heating_W_m2": {term: …}, "moistening_kg_m2_s": {term: …}} for the terms of
    `HybridModel.tendencies` (dynamics, physics, network)."""
    terms = model.tendencies(params, state)
    ps = model.dycore.decode(state.dynamics)["surface_pressure"]
    thickness, weights = model.dycore.coords.thickness, model.grid.area_weights

    def integral(rate) -> float:
        return float(global_mean_column_integral(rate, ps, thickness, weights))

    out = {"heating_W_m2": {k: CP_DRY * integral(v["temperature"]) for k, v in terms.items()}}
    if model.moist:
        out["moistening_kg_m2_s"] = {k: integral(v["specific_humidity"]) for k, v in terms.items()}
    return out


def _budget_along(
    model, params, states, times_s, fields, every: int, start_time_s: float = 0.0
) -> dict[str, Any]:
    """`column_budget` at every `every`-th output of a run, with the global-mean temperature
    there and the network's heating per kelvin of it (its feedback on the run's own drift).
    `times_s` count from the run's start, `start_time_s` is its time (the network reads the
    insolation of the absolute time)."""
    picks = list(range(0, len(times_s), every))
    rows = []
    for i in picks:
        time_s = jnp.asarray(start_time_s + times_s[i], model.grid.dtype)
        state = HybridState(jax.tree.map(lambda x, i=i: x[i], states), time_s)
        rows.append(column_budget(model, params, state))
    thickness = np.asarray(model.dycore.coords.thickness)[:, None, None]
    weights = model.grid.area_weights / model.grid.area_weights.sum()
    mean_t = [
        float(np.sum(np.sum(thickness * fields["temperature"][i], 0) * weights)) for i in picks
    ]
    out: dict[str, Any] = {
        "days": [float(times_s[i] / SECONDS_PER_DAY) for i in picks],
        "mass_weighted_temperature_K": mean_t,
    }
    for kind in rows[0]:
        out[kind] = {term: [r[kind][term] for r in rows] for term in rows[0][kind]}
    network = out["heating_W_m2"]["network"]
    out["network_heating_per_kelvin_W_m2"] = (
        float(np.polyfit(mean_t, network, 1)[0]) if len(picks) > 2 else None
    )
    return out


def _fields_of(model: HybridModel, states, times_s) -> dict[str, np.ndarray]:
    precipitation = model.diagnoses_precipitation
    convert = jax.jit(lambda s: nodal_prediction(model, s, precipitation))
    wrapped = HybridState(states, jnp.asarray(times_s, model.grid.dtype))
    return {k: np.asarray(v, np.float64) for k, v in jax.device_get(convert(wrapped)).items()}


def free_run_climate(
    trained: TrainedHybrid,
    days: float = 100.0,
    *,
    spinup_days: float = 10.0,
    output_interval_hours: float = 24.0,
    truth_path=None,
    runs: tuple[str, ...] = ("baseline", "hybrid", "oracle"),
    progress: bool = True,
    budget_every_days: float = 5.0,
) -> dict[str, Any]:
    """Free runs of the baseline, the trained hybrid and the oracle (or those of them named in
    `runs`) from the first evaluation start, and their climate beside the truth's (see the
    module docstring). A run that blows up reports `"blew_up_day"` and its climate over the days
    it ran."""
    hybrid, truth, config = trained.hybrid, trained.truth, trained.config
    start = truth.first_eval_index
    budget_every = max(1, int(round(budget_every_days * 24.0 / output_interval_hours)))
    zero = jax.tree.map(jnp.zeros_like, trained.params)
    with open_truth(config.experiment, truth_path) as ds:
        oracle = dataclasses.replace(
            hybrid, dycore=oracle_model(ds, config.experiment, hybrid.grid.dtype)
        )
    models = {
        "baseline": (hybrid, zero),
        "hybrid": (hybrid, trained.params),
        "oracle": (oracle, zero),
    }
    unknown = sorted(set(runs) - set(models))
    if unknown:
        raise ValueError(f"unknown free runs {unknown}; choose from {sorted(models)}")
    weights = hybrid.grid.area_weights.sum(axis=-1)
    truth_days = truth.times_s / SECONDS_PER_DAY
    truth_fields = {k: truth.targets[k] for k in ("u", "v", "temperature")}
    if hybrid.diagnoses_precipitation and "precipitation_rate" in truth.targets:
        truth_fields["precipitation_rate"] = truth.targets["precipitation_rate"]
    result: dict[str, Any] = {
        "start_day": float(truth_days[start]),
        "days": float(days),
        "spinup_days": float(spinup_days),
        "latitude": np.degrees(hybrid.grid.latitudes).tolist(),
        "sigma": np.asarray(hybrid.dycore.coords.centers).tolist(),
        "truth": climate_statistics(truth_fields, truth_days, weights, truth_days[0]),
    }
    result["truth"]["days"] = (truth_days - truth_days[start]).tolist()  # the runs start at 0
    key = jax.random.key(config.seed) if hybrid.stochastic else None
    for name in runs:
        model, params = models[name]
        state = model.wrap(truth.state(start), truth.times_s[start], key)
        try:
            run = model.run(
                params, state, days, output_interval_hours=output_interval_hours, progress=progress
            )
            states, times, blew_up = run.states, run.times_s, None
        except ForecastBlowUpError as error:
            blew_up = error.time_s / SECONDS_PER_DAY
            states, times = _run_until(model, params, state, blew_up, output_interval_hours)
        elapsed = np.asarray(times) / SECONDS_PER_DAY
        fields = _fields_of(model, states, times)
        stats = climate_statistics(fields, elapsed, weights, min(spinup_days, elapsed[-1]))
        stats["column_budget"] = _budget_along(
            model, params, states, np.asarray(times), fields, budget_every, truth.times_s[start]
        )
        stats["days"] = elapsed.tolist()
        stats["blew_up_day"] = None if blew_up is None else float(blew_up)
        stats["zonal_mean_rms_difference_from_truth"] = {
            k: _rms_difference(stats["zonal_mean"][k], result["truth"]["zonal_mean"][k], weights)
            for k in CLIMATE_VARIABLES
        }
        result[name] = stats
    return result


def _rms_difference(section, reference, latitude_weights: np.ndarray) -> float:
    """Area-weighted rms difference of two (level, latitude) sections, mean over levels."""
    squared = np.subtract(section, reference) ** 2 @ (latitude_weights / latitude_weights.sum())
    return float(np.sqrt(np.mean(squared)))


def _run_until(model: HybridModel, params, state, days: float, output_interval_hours: float):
    """The outputs of a run that blew up after `days`: whole output intervals before it."""
    per_output = output_interval_hours / 24.0
    whole = int(np.floor(days / per_output)) * per_output
    if whole <= 0:
        return jax.tree.map(lambda x: x[None], state.dynamics), np.asarray([state.time_s])
    run = model.run(
        params, state, whole, output_interval_hours=output_interval_hours, progress=False
    )
    return run.states, run.times_s
