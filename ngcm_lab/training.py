"""Training the hybrid model: unroll, compare with the truth, backpropagate, update.

As NeuralGCM trains (Kochkov et al. 2024, Methods "Training"): the hybrid model is unrolled from
truth states, its trajectory is compared with the truth at every output time, and the gradient of
that loss flows back through the whole rollout (dynamical core included). The rollout length
grows by a curriculum (6 h → 5 days by default) so that early, short rollouts teach the network
the fast physics before long ones teach it to stay stable. Everything random (which initial
times, in which order) is a function of `(seed, update)`, so a run resumed from its last
checkpoint produces the same numbers as an uninterrupted one. `mode="offline"` fits the
network's tendency to one-interval residual tendencies instead, through the same loop (what each
mode minimises: `losses.py`).

A stochastic model (`random_fields` set) is trained as NeuralGCM's is: two members with
independent random fields are unrolled from each initial state and scored with the fair
two-member CRPS (`scores.py`), which rewards both accuracy and the right spread. With
"precipitation_rate" among the loss weights the hybrid's diagnosed precipitation (the classical
physics' condensation in the hybrid state) is scored against the truth's too.

Checkpoints are msgpack (`flax.serialization`) of plain arrays: parameters, optimizer state, EMA
parameters and the update counter — never pickle (`checkpoints.py`).
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from ngcm_lab import sharding
from ngcm_lab.checkpoints import (
    CHECKPOINT,
    CONFIG,
    NORMALISATION,
    OUTPUT_SCALES,
    MetricsLog,
    checkpoint_update,
    fine_tuning_start,
    load_checkpoint,
    run_directory,
    save_checkpoint,
    saved_config,
    write_json,
)
from ngcm_lab.errors import InputError, OutputExistsError, RunError
from ngcm_lab.hybrid_model import HybridModel, HybridState
from ngcm_lab.losses import make_loss
from ngcm_lab.training_config import TrainingConfig
from ngcm_lab.training_data import TruthData

Params = Any


class TrainingDivergedError(RunError, FloatingPointError):
    """Too many non-finite updates in a row."""


def learning_rate_schedule(config: TrainingConfig) -> optax.Schedule:
    return optax.warmup_cosine_decay_schedule(
        init_value=0.0,
        peak_value=config.learning_rate,
        warmup_steps=max(config.warmup_updates, 1),
        decay_steps=max(config.total_updates, config.warmup_updates + 1),
        end_value=config.learning_rate * config.final_learning_rate_fraction,
    )


def optimizer(
    config: TrainingConfig, learning_rate: jax.Array | None = None
) -> optax.GradientTransformation:
    """Clipped Adam with the warm-up/cosine schedule, or with `learning_rate` (a traced scalar)
    in its place: the update program then takes the rate as an input, so one compiled program
    serves every learning rate and run length (a new rate would otherwise recompile it). The
    state has the same structure either way."""
    rate = learning_rate_schedule(config) if learning_rate is None else lambda _: learning_rate
    return optax.chain(optax.clip_by_global_norm(config.gradient_clip), optax.adam(rate))


def _schedule_count(opt_state) -> int:
    """The schedule's step count in an optimizer state: the updates applied so far."""
    return int(
        optax.tree_utils.tree_get(
            opt_state,
            "count",
            filtering=lambda path, _: path[-1].tuple_name == "ScaleByScheduleState",
        )
    )


# ------------------------------------------------------------------------------- run directory
def check_run_directory(directory: pathlib.Path, config: TrainingConfig, resume: bool) -> int:
    """The update a run in `directory` starts from, once the directory is safe to train in.

    A new run needs a missing or empty directory (nothing of another run is replaced); a resumed
    one needs a readable checkpoint and the same configuration. Returns the checkpoint's update
    (0 for a new run), which may already be `config.total_updates` (a finished run)."""
    directory = pathlib.Path(directory)
    if not resume:
        contents = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
        if directory.exists() and not directory.is_dir():
            raise InputError(f"{directory} is a file; give a directory for the training run")
        if contents:
            hint = (
                f"it holds an earlier run: resume it with --resume {directory} (or "
                "train(…, resume=True))"
                if CHECKPOINT in contents
                else "choose a new or empty directory"
            )
            raise OutputExistsError(
                f"{directory} is not empty ({', '.join(contents[:4])}"
                f"{', …' if len(contents) > 4 else ''}); {hint}"
            )
        return 0
    saved = saved_config(directory)
    if saved != config:
        raise InputError(
            f"{directory / CONFIG} differs from the configuration given; resume with the saved "
            "one (ngcm-lab train --resume DIR reads it) or train into a new directory"
        )
    return checkpoint_update(directory)


# ------------------------------------------------------------------------------------- training
def _batch_indices(config: TrainingConfig, starts: np.ndarray, update: int) -> np.ndarray:
    """The initial times of `update`: epoch-wise permutations of `starts`, seeded by the epoch."""
    n = len(starts)
    first = update * config.batch_size
    out = []
    for position in range(first, first + config.batch_size):
        epoch, offset = divmod(position, n)
        order = np.random.default_rng([config.seed, epoch]).permutation(n)
        out.append(starts[order[offset]])
    return np.asarray(out)


def make_update(
    model: HybridModel, truth: TruthData, config: TrainingConfig, outputs: int
) -> Callable:
    """The jitted update of rollouts over `outputs` truth intervals: `(params, opt_state, ema,
    states, targets, keys, rate, decay)` → (loss, finite, params, opt_state, ema). The learning
    rate and EMA decay are inputs, not constants of the program, so runs that differ only in
    them, their warm-up or their length share one compiled program. A non-finite loss or
    gradient leaves everything unchanged."""
    loss = make_loss(model, truth, config, outputs)

    def batch_loss(p, states, targets, keys):
        return jnp.mean(jax.vmap(loss, in_axes=(None, 0, 0, 0))(p, states, targets, keys))

    @jax.jit
    def apply(p, o, e, states, targets, keys, rate, decay):
        value, grads = jax.value_and_grad(batch_loss)(p, states, targets, keys)
        finite = jnp.isfinite(value) & jnp.isfinite(optax.tree.norm(grads))
        updates, new_o = optimizer(config, rate).update(grads, o, p)
        new_p = optax.apply_updates(p, updates)
        new_e = jax.tree.map(lambda a, b: decay * a + (1 - decay) * b, e, new_p)
        keep = lambda new, old: jax.tree.map(  # noqa: E731
            lambda x, y: jnp.where(finite, x, y), new, old
        )
        return value, finite, keep(new_p, p), keep(new_o, o), keep(new_e, e)

    return apply


def train(
    model: HybridModel,
    truth: TruthData,
    config: TrainingConfig,
    output: str | pathlib.Path,
    *,
    resume: bool = False,
    progress: bool = True,
    callback: Callable[[dict], bool | None] | None = None,
    stop_after: int | None = None,
    devices: int | None = None,
) -> tuple[Params, Params]:
    """Train and return (params, EMA params). Writes config.json, metrics.jsonl (one JSON line per
    update) and checkpoint.msgpack under `output`; `resume=True` continues from the checkpoint
    there. `callback(record)` sees every metrics record and may return True to stop (a
    checkpoint is written first). `stop_after` stops after that many updates (tests, demos).

    Data parallel: each batch is split over `devices` (default: as many visible devices as divide
    the batch size) and the parameters are replicated; the update is the one-device program,
    partitioned by XLA, so the result equals one device's to round-off (`sharding.py`)."""
    out = pathlib.Path(output)
    check_run_directory(out, config, resume)
    n_devices = sharding.largest_divisor(config.batch_size, devices)
    if devices is not None and n_devices != devices:
        raise InputError(
            f"{devices} devices do not divide the batch of {config.batch_size}; use "
            f"{n_devices} devices or a batch_size that {devices} divides"
        )
    mesh = sharding.mesh(n_devices) if n_devices > 1 else None
    params = model.init_params(jax.random.key(config.seed))
    if config.initial_params is not None and not resume:  # checked before anything is written
        params = fine_tuning_start(run_directory(config.initial_params), model, params)
    out.mkdir(parents=True, exist_ok=True)
    if not resume:
        write_json(out / CONFIG, config.to_json())
        if config.output_scales == "residual":
            scales = {name: np.atleast_1d(value).tolist() for name, value in model.output_scales}
            write_json(out / OUTPUT_SCALES, scales)
        norm = model.normalisation
        write_json(out / NORMALISATION, {"mean": norm.mean.tolist(), "std": norm.std.tolist()})
    opt = optimizer(config)
    opt_state = opt.init(params)
    ema = params
    start = 0
    if resume:
        start, params, opt_state, ema = load_checkpoint(out, params, opt_state, ema)
    if n_devices > 1:
        params, opt_state, ema = sharding.replicate((params, opt_state, ema), mesh)
    metrics = MetricsLog(out, first_update=start)
    schedule = learning_rate_schedule(config)
    decay = np.float32(config.ema_decay)
    compiled: dict[int, Callable] = {}

    def update_fn(outputs: int) -> Callable:
        if outputs not in compiled:
            compiled[outputs] = make_update(model, truth, config, outputs)
        return compiled[outputs]

    total = config.total_updates
    end = total if stop_after is None else min(total, start + stop_after)
    nonfinite = 0
    desc = "training" if n_devices == 1 else f"training on {n_devices} devices"
    bar = tqdm(total=total, initial=start, desc=desc, disable=not progress, unit="update")
    with bar:
        for update in range(start, end):
            stage, hours = config.stage(update)
            outputs = max(1, int(round(hours * 3600.0 / truth.interval_s)))
            starts = truth.training_starts(outputs)
            if starts.size == 0:
                raise InputError(
                    f"no training initial time has {hours:g} h of truth after it before the "
                    f"evaluation window (from day {truth.first_eval_day:g}): shorten the "
                    "curriculum or move the truth's split"
                )
            batch = _batch_indices(config, starts, update)
            states = HybridState(
                jax.tree.map(lambda x, b=batch: x[b], truth.states),
                jnp.asarray(truth.times_s[batch], model.grid.dtype),
            )
            targets = {
                k: jnp.stack([truth.targets[k][i + 1 : i + 1 + outputs] for i in batch])
                for k in truth.targets
            }
            # Random fields of update u: a function of (seed, u) only, so resume is exact.
            keys = jax.random.split(
                jax.random.fold_in(jax.random.key(config.seed + 1), update), len(batch)
            )
            if n_devices > 1:
                states, targets, keys = sharding.split_leading_axis((states, targets, keys), mesh)
            # The schedule at the updates applied so far (skipped ones do not count).
            rate = float(schedule(_schedule_count(opt_state)))
            tic = time.perf_counter()
            value, finite, params, opt_state, ema = update_fn(outputs)(
                params, opt_state, ema, states, targets, keys, np.float32(rate), decay
            )
            record = {
                "update": update,
                "stage": stage,
                "rollout_hours": hours,
                "loss": float(value),
                "learning_rate": rate,
                "initial_times": [int(i) for i in batch],
                "seconds": round(time.perf_counter() - tic, 3),
            }
            if not bool(finite):
                nonfinite += 1
                record["skipped"] = "non-finite loss or gradient"
                tqdm.write(
                    f"update {update}: non-finite loss or gradient at rollout {hours:g} h; "
                    f"update skipped ({nonfinite} in a row)"
                )
            else:
                nonfinite = 0
            metrics.append(record)
            if nonfinite >= config.max_consecutive_nonfinite:
                raise TrainingDivergedError(
                    f"{nonfinite} non-finite updates in a row at update {update}: lower "
                    f"learning_rate (now {config.learning_rate:g}) or resume from the last "
                    f"checkpoint in {out}"
                )
            bar.update(1)
            bar.set_postfix(loss=f"{float(value):.4g}", rollout=f"{hours:g}h")
            stage_end = update + 1 == sum(n for _, n in config.curriculum[: stage + 1])
            stop = bool(callback(record)) if callback is not None else False
            if (
                (update + 1) % config.checkpoint_every == 0
                or stage_end
                or stop
                or update + 1 == end
            ):
                save_checkpoint(out, update + 1, params, opt_state, ema)
            if stop:
                break
    return params, ema
