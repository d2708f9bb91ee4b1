"""The learn-subgrid experiment: truth, coarse baseline, hybrid, training and evaluation by name.

The shipped truth (`data_samples/hybrid_training/`) is a T42 moist Held–Suarez run with Earth
orography and the full simple physics, coarse-grained to T21 L8. The **baseline** is the T21 L8
model with Held–Suarez cooling and large-scale condensation but *without the surface fluxes*
(bulk drag, sensible heat, evaporation): that withheld physics, and what the T42 → T21 truncation
removes, is what the column network has to learn. The hybrid is the baseline plus the network.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from ngcm_lab.cases.jablonowski_williamson import PrimitiveFields
from ngcm_lab.checkpoints import CHECKPOINT, CONFIG, load_checkpoint, read_checkpoint
from ngcm_lab.column_network import architecture_of
from ngcm_lab.errors import CheckpointError, InputError
from ngcm_lab.hybrid_model import HybridModel, HybridState
from ngcm_lab.primitive_model import (
    HUMIDITY,
    MOIST_HELD_SUAREZ_FORCING,
    PrimitiveEquationsModel,
    suggested_dt,
)
from ngcm_lab.random_fields import RandomFieldConfig
from ngcm_lab.scores import crps_ensemble
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.simple_physics import SimplePhysics
from ngcm_lab.spherical_harmonics import Grid
from ngcm_lab.training import TrainingConfig, nodal_prediction, optimizer, saved_config
from ngcm_lab.training_data import TruthData, load_truth
from ngcm_lab.validation import data_samples_dir

DEFAULT_TRUTH = "hybrid_training/truth_T42_to_T21L8.nc"
EVALUATED = ("u", "v", "temperature")

DEMO_CHECKPOINT = "hybrid_training/demo_checkpoint"
STOCHASTIC_CHECKPOINT = "hybrid_training/stochastic_checkpoint"

CONFIGS: dict[str, TrainingConfig] = {
    "default": TrainingConfig(),
    # Two members per initial time double the cost of an update, so the curriculum stops at
    # three days; precipitation is scored too.
    "stochastic": TrainingConfig(
        curriculum=((6.0, 60), (24.0, 60), (72.0, 40)),
        random_fields=RandomFieldConfig(),
        loss="crps",
        loss_weights=(
            ("u", 1.0),
            ("v", 1.0),
            ("temperature", 1.0),
            ("specific_humidity", 0.5),
            ("precipitation_rate", 0.5),
        ),
    ),
}


def fast(config: TrainingConfig) -> TrainingConfig:
    """A few-minute version of `config`: rollouts capped at 24 h, a tenth of the updates."""
    stages = [(min(h, 24.0), max(2, n // 10)) for h, n in config.curriculum]
    return dataclasses.replace(config, curriculum=tuple(stages), checkpoint_every=5)


def resolve_config(name_or_file: str) -> TrainingConfig:
    """A named configuration (see `CONFIGS`) or a JSON file of `TrainingConfig` fields."""
    if name_or_file in CONFIGS:
        return CONFIGS[name_or_file]
    path = pathlib.Path(name_or_file)
    if not path.is_file():
        raise InputError(
            f"{name_or_file!r} is neither a configuration name ({', '.join(CONFIGS)}) nor a file"
        )
    try:
        return TrainingConfig.from_dict(json.loads(path.read_text()))
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError) as error:
        raise InputError(f"{path} is not a valid training configuration: {error}") from None


def open_truth(path: str | pathlib.Path | None = None) -> xr.Dataset:
    path = pathlib.Path(path) if path else data_samples_dir() / DEFAULT_TRUTH
    if not path.is_file():
        raise InputError(
            f"truth data {path} not found: run data_samples/hybrid_training/make_training_data.py "
            "or set NGCM_LAB_DATA_SAMPLES to the repository's data_samples folder"
        )
    return xr.open_dataset(path)


def baseline_model(truth: xr.Dataset, dtype=np.float32) -> PrimitiveEquationsModel:
    """The coarse model on the truth's grid and σ levels, lacking the surface fluxes."""
    nlat = truth.sizes["lat"]
    grid = next(
        g
        for name in ("T21", "T31", "T42", "T63", "T85")
        if (g := Grid.from_name(name, dtype)).nodal_shape[0] == nlat
    )
    coords = SigmaCoordinates.equidistant(truth.sizes["level"])
    if not np.allclose(truth["sigma"].values, coords.centers, atol=1e-6):
        raise ValueError("the truth's σ levels are not equidistant; the baseline assumes they are")
    phi_name = next(
        (n for n in ("baseline_surface_geopotential", "surface_geopotential") if n in truth), None
    )
    first = truth.isel(time=0)
    phi = np.zeros(grid.nodal_shape) if phi_name is None else first[phi_name].values
    fields = PrimitiveFields(
        first["u"].values,
        first["v"].values,
        first["temperature"].values,
        first["surface_pressure"].values,
        np.asarray(phi, np.float64),
        np.zeros_like(first["u"].values),
        np.zeros_like(first["u"].values),
        first[HUMIDITY].values if HUMIDITY in first else None,
    )
    return PrimitiveEquationsModel.from_fields(
        fields,
        grid,
        coords,
        suggested_dt(grid),
        forcing=MOIST_HELD_SUAREZ_FORCING,
        physics=SimplePhysics(surface_fluxes=False),
        name="baseline",
    )


def build(config: TrainingConfig, truth_path=None) -> tuple[HybridModel, TruthData]:
    """The hybrid model (baseline + network, normalised on the truth) and the truth data."""
    ds = open_truth(truth_path)
    baseline = baseline_model(ds)
    truth = load_truth(baseline, ds)
    hybrid = HybridModel.create(
        baseline,
        config.network,
        reference_states=jax.tree.map(lambda x: x[truth.train_indices], truth.states),
        physics_interval_s=config.physics_interval_s,
        random_fields=config.random_fields,
    )
    return hybrid, truth


def scores_by_lead(
    model: HybridModel,
    params,
    truth: TruthData,
    starts,
    outputs: int,
    members: int = 1,
    seed: int = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """Area-weighted scores by lead time over all levels, averaged over `starts`.

    Returns {"rmse": {var: (outputs,)}} for the ensemble mean, "crps" (the fair CRPS; the mean
    absolute error for one member) and, with `members` > 1, "spread" (root of the area-mean
    ensemble variance). Precipitation is scored when the truth has it and the model has physics."""
    per_output = int(round(truth.interval_s / model.physics_interval_s))
    weights = jnp.asarray(model.grid.area_weights, model.grid.dtype)
    scored = model.diagnoses_precipitation and "precipitation_rate" in truth.targets
    names = EVALUATED + (("precipitation_rate",) if scored else ())
    ensemble = members > 1

    def member_fields(p, state):
        _, trajectory = model.rollout(p, state, outputs * per_output, remat=False)
        kept = jax.tree.map(lambda x: x[per_output - 1 :: per_output], trajectory)
        return nodal_prediction(model, kept, "precipitation_rate" in names)

    def area_mean(x):  # (outputs, [L,] lat, lon) → (outputs,)
        x = jnp.sum(x * weights, axis=(-2, -1))
        return x if x.ndim == 1 else jnp.mean(x, -1)

    @jax.jit
    def errors(p, state, targets, keys):
        if model.stochastic:
            fields = jax.vmap(
                lambda k: member_fields(p, model.wrap(state.dynamics, state.time_s, k))
            )(keys)
        else:
            fields = jax.tree.map(lambda x: x[None], member_fields(p, state))
        out = {
            "rmse": {k: area_mean((fields[k].mean(0) - targets[k]) ** 2) for k in names},
            "crps": {k: area_mean(crps_ensemble(fields[k], targets[k])) for k in names},
        }
        if ensemble:
            out["spread"] = {k: area_mean(jnp.var(fields[k], axis=0, ddof=1)) for k in names}
        return out

    total = None
    for i in starts:
        state = HybridState(truth.state(int(i)), jnp.asarray(truth.times_s[i], model.grid.dtype))
        targets = {k: jnp.asarray(truth.targets[k][i + 1 : i + 1 + outputs]) for k in names}
        keys = jax.random.split(jax.random.fold_in(jax.random.key(seed), int(i)), members)
        result = jax.tree.map(
            lambda x: np.asarray(x, np.float64), errors(params, state, targets, keys)
        )
        total = result if total is None else jax.tree.map(np.add, total, result)
    mean = jax.tree.map(lambda x: x / len(starts), total)
    for score in ("rmse", "spread"):
        if score in mean:
            mean[score] = {k: np.sqrt(v) for k, v in mean[score].items()}
    return mean


@dataclasses.dataclass(frozen=True, eq=False)
class TrainedHybrid:
    """A training run read back: the hybrid, its EMA parameters, the truth and the config."""

    hybrid: HybridModel
    params: Any
    truth: TruthData
    config: TrainingConfig
    updates: int


def load_trained(directory: str | pathlib.Path, truth_path=None) -> TrainedHybrid:
    """The hybrid of a training directory (config.json + checkpoint.msgpack) with its EMA
    parameters, rebuilt on the truth it was trained against (default: the shipped one). The
    files are checked before the model is built: a `CheckpointError` says what is wrong."""
    directory = pathlib.Path(directory)
    config = saved_config(directory)
    raw = read_checkpoint(directory)
    found = architecture_of(raw["ema"])
    wanted = (config.network.width, config.network.blocks)
    if found != wanted:
        raise CheckpointError(
            f"{directory / CHECKPOINT} holds a network of width {found[0]} with {found[1]} "
            f"blocks, but {directory / CONFIG} says width {wanted[0]} with {wanted[1]}; restore "
            f"the {CONFIG} that trained it"
        )
    hybrid, truth = build(config, truth_path)
    params = hybrid.init_params(jax.random.key(config.seed))
    opt_state = optimizer(config).init(params)
    update, _, _, ema = load_checkpoint(directory, params, opt_state, params)
    return TrainedHybrid(hybrid, ema, truth, config, update)


def rmse_by_lead(
    model: HybridModel, params, truth: TruthData, starts, outputs: int
) -> dict[str, np.ndarray]:
    """Area-weighted RMSE over all levels by lead time, mean over `starts`: {var: (outputs,)}."""
    return scores_by_lead(model, params, truth, starts, outputs)["rmse"]


def evaluate(
    directory: str | pathlib.Path, truth_path=None, days: float = 5.0, members: int = 4
) -> dict:
    """Scores by lead time of the trained hybrid (EMA parameters) and of the baseline on the
    held-out initial times: RMSE, and for a stochastic hybrid (run as a `members`-member
    ensemble) the ensemble mean's RMSE, the CRPS and the spread. The deterministic baseline's
    CRPS is its mean absolute error."""
    directory = pathlib.Path(directory)
    trained = load_trained(directory, truth_path)
    hybrid, truth, ema, config = trained.hybrid, trained.truth, trained.params, trained.config
    update = trained.updates
    outputs = int(round(days * 86400.0 / truth.interval_s))
    starts = [i for i in truth.test_indices if i + outputs < len(truth)]
    if not starts:
        raise ValueError(f"no held-out initial time has {days:g} days of truth after it")
    zero = jax.tree.map(jnp.zeros_like, ema)
    members = members if hybrid.stochastic else 1
    hybrid_scores = scores_by_lead(hybrid, ema, truth, starts, outputs, members, config.seed)
    # The baseline is the hybrid with the network switched off (its random inputs then unused).
    baseline_scores = scores_by_lead(hybrid, zero, truth, starts, outputs, 1)
    leads = (np.arange(outputs) + 1) * truth.interval_s / 3600.0
    result = {
        "checkpoint": str(directory / CHECKPOINT),
        "updates": update,
        "held_out_initial_times": len(starts),
        "lead_hours": leads.tolist(),
        "rmse": {
            "hybrid": {k: v.tolist() for k, v in hybrid_scores["rmse"].items()},
            "baseline": {k: v.tolist() for k, v in baseline_scores["rmse"].items()},
        },
        "units": {
            "u": "m s-1",
            "v": "m s-1",
            "temperature": "K",
            "precipitation_rate": "kg m-2 s-1",
        },
    }
    if hybrid.stochastic:
        result["ensemble_members"] = members
        for score in ("crps", "spread"):
            result[score] = {"hybrid": {k: v.tolist() for k, v in hybrid_scores[score].items()}}
        result["crps"]["baseline"] = {k: v.tolist() for k, v in baseline_scores["crps"].items()}
    return result
