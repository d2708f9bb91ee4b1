"""Scoring a trained hybrid on the evaluation window: baseline, hybrid and oracle side by side.

Every forecast starts from the same truth states (the evaluation starts, independent of the
training window: `training_data.TruthData.training_starts`) and is scored against the truth at
every output time:

- **RMSE** by variable and lead, area-weighted over all levels: the root of the mean over starts
  of each start's mean squared error, with a **bootstrap 90 % interval** from resampling the
  starts with replacement (Efron & Tibshirani 1993, ch. 13, percentile interval);
- **gap closed** = (RMSE_baseline − RMSE_hybrid) / (RMSE_baseline − RMSE_oracle): 0 is the
  baseline, 1 the oracle (the coarse model with the withheld physics switched back on), with a
  paired bootstrap interval (the same resampled starts for all three);
- **what the network learned**: the regression of the network's zonal-mean lowest-layer tendency
  on the withheld physics' tendency over the evaluation states (slope and correlation) — a
  network can beat the baseline by damping alone, but not this way — and the column heating of
  both and its change under a uniform warming; each at the starts and at the hybrid's own
  states `IN_FORECAST_HOURS` into its forecasts (`*_in_forecast`), where the network acts;
  beside it the same regression for the one-interval residual tendency (`residual_vs_withheld`),
  what a network that learned the residual exactly would score;
- **per level** (`evaluation_levels`): RMSE and the anomaly correlation (ACC, against the
  truth's time mean over the training window) by variable, σ level and lead, and the zonal-mean
  bias (forecast − truth, level × latitude) at each whole-day lead;
- the **kinetic-energy spectrum** of each forecast and of the truth at the last lead, in m² s⁻²
  and relative to the truth's (`kinetic_energy_ratio_at_last_lead`, total wavenumbers
  n = 1…N−1, with its bootstrap 90 % interval), to see damping; CRPS and spread for
  stochastic hybrids.

`ngcm_lab.plotting.evaluation` draws the per-level scores and the spectra of the result.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.checkpoints import CHECKPOINT
from ngcm_lab.errors import InputError
from ngcm_lab.evaluation_levels import level_scores, level_summary, training_climatology
from ngcm_lab.experiments import (
    EVALUATED,
    TrainedHybrid,
    initialisation_of,
    load_trained,
    open_truth,
    oracle_model,
)
from ngcm_lab.fields import CATALOGUE
from ngcm_lab.hybrid_model import HybridModel, HybridState
from ngcm_lab.initialisation import surface_pressure_tendency
from ngcm_lab.learned_physics import (
    IN_FORECAST_HOURS,
    column_heating_response,
    forecast_states,
    learned_versus_withheld,
    residual_versus_withheld,
    withheld_at_states,
)
from ngcm_lab.losses import nodal_prediction
from ngcm_lab.scores import (
    bootstrap_resamples,
    bootstrap_rmse,
    crps_ensemble,
    percentile_interval,
    rank_histogram,
)
from ngcm_lab.training_data import TruthData

UNITS = {name: CATALOGUE[name].units for name in ("u", "v", "temperature", "precipitation_rate")}


def errors_by_start(
    model: HybridModel,
    params,
    truth: TruthData,
    starts,
    outputs: int,
    members: int = 1,
    seed: int = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """Per-start area-weighted errors over all levels: {"mse": {var: (starts, outputs)}} of the
    ensemble mean, "crps" (fair CRPS; mean absolute error for one member) and, with `members`
    > 1, "variance" (area-mean ensemble variance), plus "final_spectrum" {"model", "truth":
    (starts, N + 1)}: the kinetic energy per unit mass (m² s⁻²) per total wavenumber n = 0…N at
    the last lead, mean over levels. Per level, for the layered variables (`evaluation_levels`):
    "mse_by_level" and "acc_by_level" {var: (starts, outputs, L)} of the ensemble mean and
    "zonal_bias" {var: (starts, outputs, L, nlat)}. Precipitation is scored (over all levels
    only) when the truth has it and the model diagnoses it."""
    per_output = int(round(truth.interval_s / model.physics_interval_s))
    weights = jnp.asarray(model.grid.area_weights, model.grid.dtype)
    scored = model.diagnoses_precipitation and "precipitation_rate" in truth.targets
    names = EVALUATED + (("precipitation_rate",) if scored else ())
    grid = model.grid
    climatology = jax.tree.map(jnp.asarray, training_climatology(truth, names))
    energy_unit = model.dycore.scales.velocity_unit**2  # the grid's spectrum is in (aΩ)²

    def member(p, state):
        _, trajectory = model.rollout(p, state, outputs * per_output, remat=False)
        kept = jax.tree.map(lambda x: x[per_output - 1 :: per_output], trajectory)
        fields = nodal_prediction(model, kept, "precipitation_rate" in names)
        last = kept.dynamics
        return fields, (last.vorticity[-1], last.divergence[-1])

    def area_mean(x):  # (outputs, [L,] lat, lon) → (outputs,)
        x = jnp.sum(x * weights, axis=(-2, -1))
        return x if x.ndim == 1 else jnp.mean(x, -1)

    @jax.jit
    def errors(p, state, targets, keys, climatology):
        if model.stochastic:
            fields, last = jax.vmap(
                lambda k: member(p, model.wrap(state.dynamics, state.time_s, k))
            )(keys)
        else:
            fields, last = jax.tree.map(lambda x: x[None], member(p, state))
        out = {
            "mse": {k: area_mean((fields[k].mean(0) - targets[k]) ** 2) for k in names},
            "crps": {k: area_mean(crps_ensemble(fields[k], targets[k])) for k in names},
        }
        if members > 1:
            out["variance"] = {k: area_mean(jnp.var(fields[k], axis=0, ddof=1)) for k in names}
            out["rank"] = {k: rank_histogram(fields[k], targets[k], weights) for k in EVALUATED}
        mean = {k: fields[k].mean(0) for k in climatology}
        out.update(level_scores(mean, targets, climatology, weights))
        return out, last

    def spectrum(vorticity, divergence):  # m² s⁻², mean over members and levels, (N + 1,)
        energy = grid.kinetic_energy_spectrum(vorticity, divergence)
        return energy_unit * np.mean(energy, axis=(0, 1))

    rows = []
    for i in starts:
        i = int(i)
        state = HybridState(truth.state(i), jnp.asarray(truth.times_s[i], grid.dtype))
        targets = {k: jnp.asarray(truth.targets[k][i + 1 : i + 1 + outputs]) for k in names}
        keys = jax.random.split(jax.random.fold_in(jax.random.key(seed), i), members)
        row, last = jax.device_get(errors(params, state, targets, keys, climatology))
        final = jax.device_get(truth.state(i + outputs))
        row["final_spectrum"] = {
            "model": spectrum(*last),
            "truth": spectrum(final.vorticity[None], final.divergence[None]),
        }
        rows.append(row)
    return jax.tree.map(lambda *xs: np.stack(xs).astype(np.float64), *rows)


def scores_by_lead(model, params, truth, starts, outputs, members=1, seed=0) -> dict:
    """Scores by lead averaged over `starts`: {"rmse": {var: (outputs,)}, "crps": …, and with
    members "spread"} (roots of the mean squared error and of the mean variance)."""
    errors = errors_by_start(model, params, truth, starts, outputs, members, seed)
    out = {
        "rmse": {k: np.sqrt(v.mean(0)) for k, v in errors["mse"].items()},
        "crps": {k: v.mean(0) for k, v in errors["crps"].items()},
    }
    if "variance" in errors:
        out["spread"] = {k: np.sqrt(v.mean(0)) for k, v in errors["variance"].items()}
    return out


def rmse_by_lead(model, params, truth, starts, outputs) -> dict[str, np.ndarray]:
    """Area-weighted RMSE over all levels by lead time, mean over `starts`: {var: (outputs,)}."""
    return scores_by_lead(model, params, truth, starts, outputs)["rmse"]


def evaluation_starts(truth: TruthData, outputs: int) -> list[int]:
    """The evaluation initial times that have `outputs` snapshots of truth after them."""
    starts = [int(i) for i in truth.test_indices if i + outputs < len(truth)]
    if not starts:
        raise InputError(
            f"no evaluation initial time has {outputs * truth.interval_s / 86400:g} days of truth "
            "after it; ask for a shorter --days"
        )
    return starts


def evaluate(
    directory: str | pathlib.Path,
    truth_path=None,
    days: float = 5.0,
    members: int = 4,
    oracle: bool = True,
    trained: TrainedHybrid | None = None,
    every: int = 1,
) -> dict[str, Any]:
    """Scores by lead of the trained hybrid (EMA parameters), the baseline (the hybrid with the
    network off) and, with `oracle`, the oracle, on the evaluation starts; see the module
    docstring. A stochastic hybrid runs as a `members`-member ensemble (RMSE of its mean, CRPS
    and spread); the deterministic forecasts' CRPS is their mean absolute error. `every` > 1
    scores every `every`-th start only (quick checks); `trained` reuses a loaded run.

    Per level (lists, for JSON): "sigma" (L,) and "latitude" (nlat,) in degrees north;
    "rmse_by_level" and "acc_by_level" {forecast: {var: (outputs, L)}}; "zonal_mean_bias"
    {forecast: {var: {"<lead hours>": (L, nlat)}}} at whole-day leads (the last lead when none
    is); "kinetic_energy_spectrum_at_last_lead" {"truth" and each forecast: (N − 1,)}, n = 1…N−1,
    per unit mass in m² s⁻² (the grid's spectrum is in model units, (aΩ)², and is converted)."""
    directory = pathlib.Path(directory)
    trained = load_trained(directory, truth_path) if trained is None else trained
    hybrid, truth, params, config = trained.hybrid, trained.truth, trained.params, trained.config
    outputs = int(round(days * 86400.0 / truth.interval_s))
    starts = evaluation_starts(truth, outputs)[::every]
    zero = jax.tree.map(jnp.zeros_like, params)
    members = members if hybrid.stochastic else 1
    forecasts = {
        "baseline": errors_by_start(hybrid, zero, truth, starts, outputs),
        "hybrid": errors_by_start(hybrid, params, truth, starts, outputs, members, config.seed),
    }
    oracle_hybrid = None
    if oracle:
        with open_truth(config.experiment, truth_path) as ds:
            oracle_dycore = oracle_model(ds, config.experiment, hybrid.grid.dtype)
        oracle_hybrid = dataclasses.replace(hybrid, dycore=oracle_dycore)
        forecasts["oracle"] = errors_by_start(oracle_hybrid, zero, truth, starts, outputs)

    resamples = bootstrap_resamples(len(starts))
    leads = (np.arange(outputs) + 1) * truth.interval_s / 3600.0
    spacing = np.diff(truth.times_s[starts]) / 3600.0
    result: dict[str, Any] = {
        "experiment": config.experiment,
        "checkpoint": str(directory / CHECKPOINT),
        "truth_sha256": truth.fingerprint(),  # which weather was scored (`TruthData.fingerprint`)
        "updates": trained.updates,
        "held_out_initial_times": len(starts),
        "start_spacing_hours": float(spacing.min()) if spacing.size else None,
        "evaluation_days": [float(truth.times_s[i] / 86400) for i in (starts[0], starts[-1])],
        "training_targets_end_before_day": truth.first_eval_day,
        "lead_hours": leads.tolist(),
        "units": UNITS,
        "sigma": np.asarray(hybrid.dycore.coords.centers, np.float64).tolist(),
        "latitude": np.degrees(hybrid.grid.latitudes).tolist(),
        "initialisation": initialisation_of(config),
        # the shock of the start: rms ∂p_s/∂t (hPa/h) over the baseline's first three hours
        "first_hours_surface_pressure_tendency": surface_pressure_tendency(
            hybrid.dycore, truth.state(int(starts[0])), hours=3
        ).tolist(),
        "rmse": {},
        "rmse_90": {},
    }
    boot = {}
    for name, errors in forecasts.items():
        result["rmse"][name] = {k: np.sqrt(v.mean(0)).tolist() for k, v in errors["mse"].items()}
        boot[name] = {k: bootstrap_rmse(v, resamples) for k, v in errors["mse"].items()}
        result["rmse_90"][name] = {k: percentile_interval(v) for k, v in boot[name].items()}
    result.update(level_summary(forecasts, result["lead_hours"]))
    if oracle:
        gap, gap_90 = {}, {}
        for k in EVALUATED:
            b, h, o = (np.asarray(result["rmse"][n][k]) for n in ("baseline", "hybrid", "oracle"))
            gap[k] = ((b - h) / (b - o)).tolist()
            samples = (boot["baseline"][k] - boot["hybrid"][k]) / (
                boot["baseline"][k] - boot["oracle"][k]
            )
            gap_90[k] = percentile_interval(samples)
        result["gap_closed"], result["gap_closed_90"] = gap, gap_90
        key = jax.random.key(config.seed) if hybrid.stochastic else None
        states = [hybrid.wrap(truth.state(i), truth.times_s[i], key) for i in starts]
        withheld = withheld_at_states(hybrid, oracle_hybrid, params, states)
        result["learned_vs_withheld"] = learned_versus_withheld(
            hybrid, oracle_hybrid, params, states, withheld
        )
        result["residual_vs_withheld"] = residual_versus_withheld(
            hybrid, oracle_hybrid, params, truth, starts, withheld
        )
        result["column_heating"] = column_heating_response(
            hybrid, oracle_hybrid, params, states[::4]
        )
        own = forecast_states(hybrid, params, states, IN_FORECAST_HOURS)
        result["in_forecast_hours"] = IN_FORECAST_HOURS
        result["learned_vs_withheld_in_forecast"] = learned_versus_withheld(
            hybrid, oracle_hybrid, params, own
        )
        result["column_heating_in_forecast"] = column_heating_response(
            hybrid, oracle_hybrid, params, own[::4]
        )
    # n = 1 … N − 1: n = 0 holds no wind and the exponential filter empties n = N every step,
    # while the truth's re-encoded states keep some energy there. Degrees above
    # `resolved_degree` lose most of their energy to the filter within a day in any forecast
    # of this grid (baseline and oracle alike): damping is judged at n ≤ resolved_degree.
    resolved = slice(1, hybrid.grid.truncation)
    result["resolved_degree"] = hybrid.dycore.resolved_degree()
    final = {n: e["final_spectrum"] for n, e in forecasts.items()}
    spectra = {"truth": final["baseline"]["truth"].mean(0)[resolved]}
    spectra.update({n: f["model"].mean(0)[resolved] for n, f in final.items()})
    result["kinetic_energy_ratio_at_last_lead"] = {
        n: (spectra[n] / spectra["truth"]).tolist() for n in forecasts
    }
    # Its 90 % interval: the ratio of the mean spectra over the same resampled starts.
    truth_boot = final["baseline"]["truth"][resamples].mean(1)[:, resolved]
    result["kinetic_energy_ratio_at_last_lead_90"] = {
        n: percentile_interval(f["model"][resamples].mean(1)[:, resolved] / truth_boot)
        for n, f in final.items()
    }
    # Per unit mass, m² s⁻², mean over starts and levels; entry i is n = i + 1.
    result["kinetic_energy_spectrum_at_last_lead"] = {n: e.tolist() for n, e in spectra.items()}
    if hybrid.stochastic:
        result["ensemble_members"] = members
        result["crps"] = {
            n: {k: v.mean(0).tolist() for k, v in forecasts[n]["crps"].items()}
            for n in ("hybrid", "baseline")
        }
        spread = {k: np.sqrt(v.mean(0)) for k, v in forecasts["hybrid"]["variance"].items()}
        result["spread"] = {"hybrid": {k: v.tolist() for k, v in spread.items()}}
        # Fortin et al. (2014): a reliable M-member ensemble has spread²·(M + 1)/M equal to the
        # mean's squared error, so this ratio is 1 for it (< 1: under-dispersive).
        result["spread_error_ratio"] = {
            k: (np.sqrt((members + 1) / members) * spread[k] / result["rmse"]["hybrid"][k]).tolist()
            for k in EVALUATED
        }
        # Frequency of the truth's rank among the members, (leads, M + 1); flat = reliable.
        result["rank_histogram"] = {
            k: v.mean(0).tolist() for k, v in forecasts["hybrid"]["rank"].items()
        }
    return result
