"""What a hybrid's network learned, measured against the physics its baseline withholds.

- **Regressions** of the network's zonal-mean lowest-layer tendency on the withheld physics'
  (the oracle's classical forcing minus the baseline's): slope 1 is the right amplitude, and a
  network can beat the baseline by damping alone, but not this way (`learned_versus_withheld`);
  beside it the same regression of the one-interval residual tendency, what a network fitting
  that offline target exactly would score (`residual_versus_withheld`). Each comes with bootstrap
  90 % intervals of slope and r over the states.
- **Column heating** of the network and of the withheld physics, and its change under a uniform
  warming (`column_heating_response`): a surface flux restores, a network without that response
  lets a free run drift.
- The hybrid's **own states** some hours into its forecasts (`forecast_states`), where the
  network acts, as well as the truth's.

`evaluation.evaluate` reports all of them; notebooks 06 and 07 call them directly.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.forecast import ForecastRun, whole_steps
from ngcm_lab.free_runs import column_budget
from ngcm_lab.hybrid_model import HybridModel, HybridState
from ngcm_lab.scores import BOOTSTRAP_SAMPLES, INTERVAL, bootstrap_resamples
from ngcm_lab.training_data import TruthData, residual_tendencies


def _withheld(hybrid: HybridModel, oracle: HybridModel):
    """`(params, state)` → the withheld physics' SI tendencies at `state` (the oracle's classical
    forcing minus the baseline's), {variable: (L, nlat, nlon)}: one compiled program, which
    op by op would cost a quarter of a second per state at T21 L8."""

    def difference(on, off):  # below 1e-5 of the largest term: float32 round-off, no physics
        return jnp.where(jnp.abs(on - off) <= 1e-5 * jnp.abs(on).max(), 0.0, on - off)

    def withheld(params, state):
        zero = jax.tree.map(jnp.zeros_like, params)
        return jax.tree.map(
            difference,
            oracle.si_tendencies(zero, state)["physics"],
            hybrid.si_tendencies(zero, state)["physics"],
        )

    return jax.jit(withheld)


def _lowest_zonal_mean(fields: dict, names) -> dict[str, np.ndarray]:
    """{name: zonal mean of the lowest layer, (nlat,)} of SI tendencies {name: (L, nlat, nlon)}."""
    return {k: np.asarray(fields[k][-1], np.float64).mean(-1) for k in names}


def withheld_at_states(
    hybrid: HybridModel, oracle: HybridModel, params, states: list[HybridState]
) -> list[dict[str, np.ndarray]]:
    """The withheld physics' zonal-mean lowest-layer SI tendency of each output variable at each
    of `states` (the oracle's classical forcing minus the baseline's)."""
    withheld_at = _withheld(hybrid, oracle)
    return [_lowest_zonal_mean(withheld_at(params, s), hybrid.output_variables) for s in states]


def learned_versus_withheld(
    hybrid: HybridModel,
    oracle: HybridModel,
    params,
    states: list[HybridState],
    withheld: list[dict[str, np.ndarray]] | None = None,
) -> dict[str, dict[str, float] | None]:
    """Regression of the network's zonal-mean lowest-layer tendency on the withheld physics'
    (the oracle's classical forcing minus the baseline's) over `states`: per variable the slope
    (1: the right amplitude), the correlation r and the rms of both (SI per second); None where
    the withheld physics does not act on the variable. `withheld`: `withheld_at_states` of the
    same states, when the caller has it already."""
    if withheld is None:
        withheld = withheld_at_states(hybrid, oracle, params, states)
    network_at = jax.jit(lambda p, s: hybrid.si_tendencies(p, s)["network"])
    learned = [_lowest_zonal_mean(network_at(params, s), hybrid.output_variables) for s in states]
    return _regressions(withheld, learned)


def residual_versus_withheld(
    hybrid: HybridModel,
    oracle: HybridModel,
    params,
    truth: TruthData,
    starts,
    withheld: list[dict[str, np.ndarray]] | None = None,
) -> dict[str, dict[str, float] | None]:
    """The same regression for the ideal target of a network that learns the residual over one
    truth interval Δ, (truth(t + Δ) − baseline(truth(t), Δ)) / Δ (`residual_tendencies`): what
    a network matching the residual perfectly would score, the bound beside
    `learned_versus_withheld`. Where the coarse model also lacks resolution, the residual holds
    the truncation's correction and the flow's adjustment to the fluxes within Δ, so it need
    not regress on the instantaneous withheld tendency at slope 1 and r 1. `withheld`:
    `withheld_at_states` at the truth's states of `starts`, when the caller has it already."""
    residual = jax.jit(
        lambda state, target: residual_tendencies(hybrid.dycore, state, target, truth.interval_s)
    )
    key = jax.random.key(0) if hybrid.stochastic else None  # the withheld term ignores it
    names = [k for k in hybrid.output_variables if k in truth.targets]
    states = [hybrid.wrap(truth.state(int(i)), truth.times_s[i], key) for i in starts]
    if withheld is None:
        withheld = withheld_at_states(hybrid, oracle, params, states)
    ideal = []
    for i, state in zip(starts, states, strict=True):
        target = {k: truth.targets[k][int(i) + 1] for k in names}
        ideal.append(_lowest_zonal_mean(residual(state.dynamics, target), names))
    return _regressions(withheld, ideal)


def _regressions(withheld: list[dict], learned: list[dict]) -> dict[str, dict[str, float] | None]:
    """Per variable, slope, r and rms of `learned` regressed on `withheld` (lists over states of
    {variable: zonal-mean lowest-layer tendency}), with bootstrap 90 % intervals of slope and r
    from resampling the states (the same resamples as the RMSE intervals of `evaluate`); None
    where the withheld term is zero."""
    resamples = bootstrap_resamples(len(learned))
    out: dict[str, dict[str, float] | None] = {}
    for name in learned[0]:
        x = np.stack([w[name] for w in withheld]).astype(np.float64)  # (states, nlat)
        y = np.stack([a[name] for a in learned]).astype(np.float64)
        if not np.std(x) > 0:
            out[name] = None
            continue
        slope, r = _slope_and_r(x.reshape(1, -1), y.reshape(1, -1))
        slopes, rs = _slope_and_r(
            x[resamples].reshape(BOOTSTRAP_SAMPLES, -1), y[resamples].reshape(BOOTSTRAP_SAMPLES, -1)
        )
        out[name] = {
            "slope": float(slope[0]),
            "r": float(r[0]),
            "rms_learned": float(np.sqrt(np.mean(y**2))),
            "rms_withheld": float(np.sqrt(np.mean(x**2))),
            "slope_90": [float(v) for v in np.nanpercentile(slopes, INTERVAL)],
            "r_90": [float(v) for v in np.nanpercentile(rs, INTERVAL)],
        }
    return out


def _slope_and_r(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope of y on x and the correlation r, row by row of (samples, points)."""
    dx = x - x.mean(-1, keepdims=True)
    dy = y - y.mean(-1, keepdims=True)
    sxx, syy, sxy = (dx * dx).sum(-1), (dy * dy).sum(-1), (dx * dy).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample of one constant start
        return sxy / sxx, sxy / np.sqrt(sxx * syy)


# Where the network acts in a forecast: the coarse-grained starts carry structure the coarse
# model removes within its first hour, and the network's tendency there can differ wildly from
# what it does an hour later (data_samples/hybrid_training/README.md), so the learned-vs-withheld
# and heating diagnostics are also taken at the hybrid's own states this far into its forecasts.
IN_FORECAST_HOURS = 6.0


def forecast_states(
    hybrid: HybridModel, params, states: list[HybridState], hours: float
) -> list[HybridState]:
    """The hybrid's own state `hours` into its forecast from each of `states` (a stochastic
    hybrid's random fields evolve with it)."""
    stepper = hybrid.stepper(params)
    steps = whole_steps(hours * 3600.0, hybrid.physics_interval_s, f"{hours:g} h")
    return [ForecastRun(stepper, state).advance(steps) for state in states]


def column_heating_response(
    hybrid: HybridModel,
    oracle: HybridModel,
    params,
    states: list[HybridState],
    warmings_k: tuple[float, ...] = (-2.0, 0.0, 2.0),
) -> dict[str, dict[str, float]]:
    """The global-mean column heating Σ c_p (p_s/g) Δσ ∂T/∂t (W m⁻²) of the network and of the
    withheld physics at `states`, and its change per kelvin when every column is warmed
    uniformly by `warmings_k`. A surface flux restores (its heating falls as the air warms);
    a network without that response lets a free run drift."""
    rows = {"network": [], "withheld": []}
    for warming in warmings_k:
        network, withheld = [], []
        for state in states:
            state = dataclasses.replace(
                state, dynamics=hybrid.dycore.warmed(state.dynamics, warming)
            )
            own = column_budget(hybrid, params, state)["heating_W_m2"]
            restored = column_budget(oracle, params, state)["heating_W_m2"]
            network.append(own["network"])
            withheld.append(restored["physics"] - own["physics"])
        rows["network"].append(np.mean(network))
        rows["withheld"].append(np.mean(withheld))
    base = warmings_k.index(0.0) if 0.0 in warmings_k else 0
    return {
        name: {
            "mean_W_m2": float(values[base]),
            "per_kelvin_W_m2": float(np.polyfit(warmings_k, values, 1)[0]),
        }
        for name, values in rows.items()
    }
