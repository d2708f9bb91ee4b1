"""Online training: the loop learns, checkpoints resume exactly, non-finite updates are guarded."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ngcm_lab.column_network import ColumnNetworkConfig
from ngcm_lab.hybrid_model import HybridModel
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.training import TrainingConfig, TrainingDivergedError, make_loss, train
from ngcm_lab.training_data import load_truth
from ngcm_lab.xarray_io import trajectory_to_dataset


@pytest.fixture(scope="module")
def setup(tiny_training):
    hybrid, truth, dataset, _ = tiny_training
    return hybrid, truth, dataset


@pytest.fixture(scope="module")
def tiny_config(tiny_training):
    return tiny_training[3]


def _lines(path):
    return [json.loads(x) for x in (path / "metrics.jsonl").read_text().splitlines()]


def test_resume_reproduces_an_uninterrupted_run(tiny_config, setup, tmp_path):
    hybrid, truth, _ = setup
    assert len(truth.train_indices) > 2 and len(truth.test_indices) > 0
    full, _ = train(hybrid, truth, tiny_config, tmp_path / "full", progress=False)
    train(hybrid, truth, tiny_config, tmp_path / "split", progress=False, stop_after=3)
    resumed, _ = train(hybrid, truth, tiny_config, tmp_path / "split", resume=True, progress=False)
    for a, b in zip(jax.tree.leaves(full), jax.tree.leaves(resumed), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    full_lines, split_lines = _lines(tmp_path / "full"), _lines(tmp_path / "split")
    assert [x["loss"] for x in full_lines] == [x["loss"] for x in split_lines]
    assert [x["update"] for x in split_lines] == [0, 1, 2, 3]
    assert full_lines[0]["rollout_hours"] == 6.0 and full_lines[0]["learning_rate"] == 0.0
    # Every epoch visits each training initial time once, reshuffled.
    assert len({tuple(x["initial_times"]) for x in full_lines}) > 1


def test_resume_refuses_a_different_configuration(tiny_config, setup, tmp_path):
    hybrid, truth, _ = setup
    train(hybrid, truth, tiny_config, tmp_path, progress=False, stop_after=1)
    other = TrainingConfig(**{**tiny_config.__dict__, "learning_rate": 5e-3})
    with pytest.raises(ValueError, match="differs from the configuration"):
        train(hybrid, truth, other, tmp_path, resume=True, progress=False)


def test_non_finite_updates_are_skipped_then_stop(tiny_config, setup, tmp_path, capsys):
    hybrid, truth, _ = setup
    broken = {k: v.copy() for k, v in truth.targets.items()}
    broken["temperature"][:] = np.nan
    bad = type(truth)(**{**truth.__dict__, "targets": broken})
    config = TrainingConfig(**{**tiny_config.__dict__, "max_consecutive_nonfinite": 2})
    with pytest.raises(TrainingDivergedError, match="lower learning_rate"):
        train(hybrid, bad, config, tmp_path, progress=False)
    lines = _lines(tmp_path)
    assert all(x.get("skipped") for x in lines) and len(lines) == 2
    captured = capsys.readouterr()
    assert "update skipped" in captured.out + captured.err


def test_loss_decreases_on_a_tiny_problem(tiny_config, tmp_path):
    """A dycore without the Held–Suarez forcing learns it from a truth that has it.

    Over 6 h the two differ only by the forcing (same grid, same dynamics), so the whole loss is
    learnable. The output scale is 1 here, not the default 0.1: with Adam each weight moves by
    about the learning rate per update, so the scale bounds how large a tendency 30 updates can
    learn (measured: loss 0.0036 → 0.0024)."""
    model = PrimitiveEquationsModel.from_case("held_suarez", "T21", layers=3, dt=1800.0)
    run = model.run(3.0, output_interval_hours=6.0, progress=False)
    truth = load_truth(model, trajectory_to_dataset(model, run))
    unforced = dataclasses.replace(
        model, equation=dataclasses.replace(model.equation, forcing=None)
    )
    network = ColumnNetworkConfig(width=8, blocks=1, output_scale=1.0)
    hybrid = HybridModel.create(
        unforced,
        network,
        reference_states=jax.tree.map(lambda x: x[truth.train_indices], truth.states),
        physics_interval_s=3600.0,
    )
    config = dataclasses.replace(
        tiny_config,
        curriculum=((6.0, 30),),
        network=network,
        learning_rate=1e-2,
        checkpoint_every=100,
    )
    loss = jax.jit(make_loss(hybrid, truth, config, outputs=1))

    def mean_loss(params):
        total = 0.0
        for i in truth.train_indices[:4]:
            state = hybrid.wrap(truth.state(int(i)), float(truth.times_s[i]))
            targets = {k: jnp.asarray(v[i + 1 : i + 2]) for k, v in truth.targets.items()}
            total += float(loss(params, state, targets, jax.random.key(0)))
        return total / 4

    zero = jax.tree.map(jnp.zeros_like, hybrid.init_params(jax.random.key(0)))
    params, _ = train(hybrid, truth, config, tmp_path, progress=False)
    before, after = mean_loss(zero), mean_loss(params)
    assert after < 0.8 * before, (before, after)


def test_reanalysis_format_data_is_a_truth_like_our_own():
    """A pressure-level dataset in reanalysis layout becomes a σ-level truth for training."""
    from ngcm_lab.reanalysis import open_reanalysis
    from ngcm_lab.training_data import sigma_dataset_from_pressure_levels
    from ngcm_lab.validation import data_samples_dir

    ds = open_reanalysis(data_samples_dir() / "reanalysis_schemas" / "weatherbench2.nc")
    model = PrimitiveEquationsModel.from_case("moist_baroclinic", "T21", layers=3, dt=1800.0)
    truth = load_truth(model, sigma_dataset_from_pressure_levels(model, ds.load()))
    assert len(truth) == ds.sizes["time"] and truth.interval_s == 6 * 3600.0
    assert truth.targets["temperature"].shape == (ds.sizes["time"], 3, 32, 64)
    assert 180.0 < truth.targets["temperature"].min() < truth.targets["temperature"].max() < 330.0
    assert len(truth.train_indices) >= 1 and len(truth.test_indices) >= 1
