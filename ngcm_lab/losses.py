"""What training minimises: the error of a hybrid's rollout against the truth (online), or of
its network's tendency against the residual tendency (offline).

Online (NeuralGCM; Kochkov et al. 2024, Methods "Training"): the hybrid is unrolled from truth
states and its trajectory is compared with the truth at every output time — squared error over
the truth's variance, or the fair two-member CRPS over its standard deviation for a stochastic
model — so the gradient flows back through the dynamical core — plus, if asked, a term on the
rollout's kinetic-energy spectrum (`spectrum_error`) and one on its area-mean bias. Offline
(the classic alternative, e.g. Brenowitz & Bretherton 2018): the network's instantaneous
tendency is fitted to (truth(t + Δ) − baseline(truth(t), Δ)) / Δ, one interval at a time; it
never sees its own feedback on the flow.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.constants import P0
from ngcm_lab.hybrid_model import HybridModel, HybridState
from ngcm_lab.scores import crps_two_members
from ngcm_lab.training_data import TruthData, residual_tendencies

if TYPE_CHECKING:
    from ngcm_lab.training_config import TrainingConfig

Params = Any


def nodal_prediction(
    model: HybridModel, states: HybridState, precipitation: bool = False
) -> dict[str, jax.Array]:
    """Nodal SI u, v, T (and q) of stacked hybrid states, for the loss; with `precipitation`
    also the precipitation rate (kg m⁻² s⁻¹) that the classical physics diagnoses from them."""
    grid, s = model.grid, model.dycore.scales
    dyn = states.dynamics
    u, v = grid.uv_from_vort_div(dyn.vorticity, dyn.divergence)
    t_ref = jnp.asarray(model.dycore.equation.reference_temperature, grid.dtype)[:, None, None]
    out = {
        "u": u * s.velocity_unit,
        "v": v * s.velocity_unit,
        "temperature": grid.to_nodal(dyn.temperature_variation) + t_ref,
    }
    if model.moist:
        out["specific_humidity"] = grid.to_nodal(dyn.tracers["specific_humidity"])
    if precipitation:
        physics = model.dycore.moist_physics
        if not model.diagnoses_precipitation:
            raise ValueError(
                "precipitation needs a moist hybrid model with classical physics; drop "
                "precipitation_rate from the loss weights"
            )
        coords = model.dycore.coords
        ps = P0 * jnp.exp(grid.to_nodal(dyn.log_surface_pressure))
        rate = functools.partial(physics.precipitation_rate, coords.centers, coords.thickness)
        for _ in range(ps.ndim - 2):  # over any stacking (time, members) of the states
            rate = jax.vmap(rate)
        out["precipitation_rate"] = rate(out["temperature"], out["specific_humidity"], ps)
    return out


def spectrum_error(
    model: HybridModel, predicted: dict[str, jax.Array], target: dict[str, jax.Array]
) -> jax.Array:
    """Mean squared log ratio of the kinetic-energy spectrum of the predicted winds to the
    truth's, over leading axes, levels and total wavenumbers 1…`resolved_degree()` of the coarse
    model (both computed alike from nodal u, v). Above that degree the model's filter empties
    every forecast by design (T21: KE at n = 20 falls by 10⁵ in 6 h), so no network could match
    the truth there. A forecast that keeps its scales at the truth's energy scores 0 however
    misplaced they are: the complement of squared error, which such scales double-penalise."""
    grid = model.grid
    kept = slice(1, model.dycore.resolved_degree() + 1)

    def spectrum(fields):
        vorticity, divergence = grid.vort_div_from_uv(fields["u"], fields["v"])
        return grid.kinetic_energy_spectrum(vorticity, divergence)[..., kept]

    tiny = jnp.finfo(grid.dtype).tiny
    ratio = jnp.log(spectrum(predicted) + tiny) - jnp.log(spectrum(target) + tiny)
    return jnp.mean(ratio**2)


def make_loss(
    model: HybridModel, truth: TruthData, config: TrainingConfig, outputs: int
) -> Callable[[Params, HybridState, dict[str, jax.Array], jax.Array], jax.Array]:
    """`loss(params, state, targets, key)`: the mean over `outputs` truth times of the weighted,
    area-weighted error of the rollout started from `state` — squared error over the truth's
    variance ("mse"), or the two-member CRPS over its standard deviation ("crps"; the members'
    random fields are drawn from `key`), plus `config.spectrum_loss_weight` times the
    `spectrum_error` of the trajectory (of each member) and `config.bias_loss_weight` times its
    squared area-mean error per level over the truth's variance (of the members' mean)."""
    per_output = int(round(truth.interval_s / config.physics_interval_s))
    if per_output < 1 or abs(per_output * config.physics_interval_s - truth.interval_s) > 1e-6:
        raise ValueError(
            f"the truth's {truth.interval_s:g} s spacing is not a multiple of the physics "
            f"interval ({config.physics_interval_s:g} s)"
        )
    if config.loss == "crps" and not model.stochastic:
        raise ValueError("a CRPS loss needs a stochastic hybrid model (random_fields)")
    weights = jnp.asarray(model.grid.area_weights, model.grid.dtype)
    predicted_names = set(model.output_variables)
    if model.diagnoses_precipitation:
        predicted_names.add("precipitation_rate")
    variables = {
        k: w for k, w in config.loss_weights if k in predicted_names and k in truth.targets
    }
    precipitation = "precipitation_rate" in variables
    if config.mode == "offline":
        return _offline_loss(model, truth, config, outputs, variables)
    power = 2 if config.loss == "mse" else 1
    normaliser = {k: float(np.std(truth.targets[k]) ** -power) for k in variables}
    inverse_variance = {k: float(np.var(truth.targets[k]) ** -1) for k in variables}

    def trajectory(params: Params, state: HybridState) -> dict[str, jax.Array]:
        _, states = model.rollout(params, state, outputs * per_output)
        kept = jax.tree.map(lambda x: x[per_output - 1 :: per_output], states)
        return nodal_prediction(model, kept, precipitation)

    def combine(errors: dict[str, jax.Array]) -> jax.Array:
        total = sum(
            w * normaliser[k] * jnp.mean(jnp.sum(errors[k] * weights, axis=(-2, -1)))
            for k, w in variables.items()
        )
        return total / sum(variables.values())

    def spectral(predicted, targets):
        if config.spectrum_loss_weight == 0:
            return 0.0
        return config.spectrum_loss_weight * spectrum_error(model, predicted, targets)

    def bias(predicted, targets):
        """The systematic part of the error, which a free run accumulates: NeuralGCM's bias
        term, its batch mean taken here over the globe of each forecast."""
        if config.bias_loss_weight == 0:
            return 0.0
        total = sum(
            w
            * inverse_variance[k]
            * jnp.mean(jnp.sum((predicted[k] - targets[k]) * weights, axis=(-2, -1)) ** 2)
            for k, w in variables.items()
        )
        return config.bias_loss_weight * total / sum(variables.values())

    def loss(params, state, targets, key):
        if config.start_warming_k > 0:
            warming = config.start_warming_k * jax.random.normal(jax.random.fold_in(key, 1))
            state = dataclasses.replace(
                state, dynamics=model.dycore.warmed(state.dynamics, warming)
            )
        if config.loss == "mse":
            if model.stochastic:
                state = model.wrap(state.dynamics, state.time_s, key)
            predicted = trajectory(params, state)
            error = combine({k: (predicted[k] - targets[k]) ** 2 for k in variables})
            return error + spectral(predicted, targets) + bias(predicted, targets)
        members = jax.vmap(lambda k: model.wrap(state.dynamics, state.time_s, k))(
            jax.random.split(key)
        )
        first, second = (
            trajectory(params, jax.tree.map(lambda x, i=i: x[i], members)) for i in (0, 1)
        )
        error = combine({k: crps_two_members(first[k], second[k], targets[k]) for k in variables})
        mean = {k: (first[k] + second[k]) / 2 for k in variables}
        spectra = (spectral(first, targets) + spectral(second, targets)) / 2
        return error + spectra + bias(mean, targets)

    return loss


def _offline_loss(
    model: HybridModel, truth: TruthData, config: TrainingConfig, outputs: int, variables: dict
) -> Callable:
    """Offline training's loss: the squared error of the network's tendency against the
    one-interval residual tendency (`training_data.residual_tendencies`), per level in units of
    σ_X, area-weighted — the network is never run forward in the hybrid."""
    if outputs != 1:
        raise ValueError(
            f"offline training fits one truth interval: set every curriculum stage's hours to "
            f"the truth's spacing ({truth.interval_s / 3600:g} h)"
        )
    weights = jnp.asarray(model.grid.area_weights, model.grid.dtype)
    fitted = {k: w for k, w in variables.items() if k in model.output_variables}
    sigma = {
        k: jnp.asarray(v, model.grid.dtype)[:, None, None]
        for k, v in model.output_scales_by_level().items()
    }

    def loss(params, state, targets, key):
        if model.stochastic:
            state = model.wrap(state.dynamics, state.time_s, key)
        first = {k: targets[k][0] for k in targets}
        residual = residual_tendencies(model.dycore, state.dynamics, first, truth.interval_s)
        learned = model.network_tendencies_nodal(params, state)
        total = sum(
            w * jnp.mean(jnp.sum(((learned[k] - residual[k]) / sigma[k]) ** 2 * weights, (-2, -1)))
            for k, w in fitted.items()
        )
        return total / sum(fitted.values())

    return loss
