"""Online training: the loop learns, checkpoints resume exactly, non-finite updates are guarded."""

import dataclasses
import json

import jax
import numpy as np
import pytest

from ngcm_lab.hybrid_model import HybridState
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.training import (
    TrainingConfig,
    TrainingDivergedError,
    make_update,
    optimizer,
    train,
)
from ngcm_lab.training_data import load_truth


@pytest.fixture(scope="module")
def setup(tiny_training):
    hybrid, truth, dataset, _ = tiny_training
    return hybrid, truth, dataset


@pytest.fixture(scope="module")
def tiny_config(tiny_training):
    return tiny_training[3]


def _lines(path):
    return [json.loads(x) for x in (path / "metrics.jsonl").read_text().splitlines()]


def test_one_update_program_serves_every_learning_rate_and_run_length(tiny_config, setup):
    """A student's second run at another rate, warm-up, EMA decay or length reuses the compiled
    update (from the persistent cache): the lowered programs are the same text."""
    hybrid, truth, _ = setup
    other = dataclasses.replace(
        tiny_config,
        learning_rate=3e-2,
        warmup_updates=5,
        ema_decay=0.5,
        curriculum=((6.0, 40),),
    )
    params = hybrid.init_params(jax.random.key(0))
    opt_state = optimizer(tiny_config).init(params)
    batch = np.array([0, 1])
    states = HybridState(
        jax.tree.map(lambda x: x[batch], truth.states), np.asarray(truth.times_s[batch])
    )
    targets = {k: np.stack([truth.targets[k][i + 1 : i + 2] for i in batch]) for k in truth.targets}
    keys = jax.random.split(jax.random.key(1), 2)
    texts = []
    for config in (tiny_config, other):
        rate, decay = np.float32(config.learning_rate), np.float32(config.ema_decay)
        args = (params, opt_state, params, states, targets, keys, rate, decay)
        texts.append(make_update(hybrid, truth, config, 1).lower(*args).as_text())
    assert texts[0] == texts[1]


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


def test_reanalysis_format_data_is_a_truth_like_our_own():
    """A pressure-level dataset in reanalysis layout becomes a σ-level truth for training."""
    from ngcm_lab.paths import data_samples_dir
    from ngcm_lab.reanalysis import open_reanalysis
    from ngcm_lab.training_data import sigma_dataset_from_pressure_levels

    ds = open_reanalysis(data_samples_dir() / "reanalysis_schemas" / "weatherbench2.nc")
    model = PrimitiveEquationsModel.from_case("moist_baroclinic", "T21", layers=3, dt=1800.0)
    truth = load_truth(model, sigma_dataset_from_pressure_levels(model, ds.load()))
    assert len(truth) == ds.sizes["time"] and truth.interval_s == 6 * 3600.0
    assert truth.targets["temperature"].shape == (ds.sizes["time"], 3, 32, 64)
    assert 180.0 < truth.targets["temperature"].min() < truth.targets["temperature"].max() < 330.0
    assert len(truth.train_indices) >= 1 and len(truth.test_indices) >= 1


def test_warmed_adds_the_same_kelvins_to_every_column(setup):
    hybrid, truth, _ = setup
    model = hybrid.dycore
    state = truth.state(0)
    before = model.decode(state)["temperature"]
    after = model.decode(jax.jit(model.warmed)(state, 1.5))["temperature"]
    np.testing.assert_allclose(after - before, 1.5, atol=2e-4)
    per_layer = np.array([0.0, 1.0, -2.0], np.float32)
    after = model.decode(model.warmed(state, per_layer))["temperature"]
    np.testing.assert_allclose(
        after - before, per_layer[:, None, None] * np.ones_like(before), atol=2e-4
    )


def test_warmed_starts_are_drawn_from_the_key_and_scored_against_the_unwarmed_truth(
    tiny_config, setup
):
    import dataclasses

    from ngcm_lab.hybrid_model import HybridState
    from ngcm_lab.losses import make_loss

    hybrid, truth, _ = setup
    warm = dataclasses.replace(tiny_config, start_warming_k=2.0)
    params = hybrid.init_params(jax.random.key(0))
    state = HybridState(truth.state(0), np.float32(truth.times_s[0]))
    targets = {k: v[1:2] for k, v in truth.targets.items()}
    key = jax.random.key(7)
    loss_warm = jax.jit(make_loss(hybrid, truth, warm, 1))
    loss_cold = jax.jit(make_loss(hybrid, truth, tiny_config, 1))
    warming = 2.0 * float(jax.random.normal(jax.random.fold_in(key, 1)))
    by_hand = dataclasses.replace(state, dynamics=hybrid.dycore.warmed(state.dynamics, warming))
    assert abs(warming) > 0.1
    np.testing.assert_allclose(
        loss_warm(params, state, targets, key), loss_cold(params, by_hand, targets, key), rtol=1e-6
    )
    assert float(loss_warm(params, state, targets, key)) > float(
        loss_cold(params, state, targets, key)
    )
    assert loss_warm(params, state, targets, key) != loss_warm(
        params, state, targets, jax.random.key(8)
    )


@pytest.mark.parametrize(
    "options, message",
    [
        ({"start_warming_k": -1.0}, "must be ≥ 0 K"),
        (
            {"start_warming_k": 1.0, "mode": "offline", "curriculum": ((6.0, 2),)},
            "offline training has none",
        ),
    ],
)
def test_start_warming_is_checked(options, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**options)


def test_spectrum_error_charges_damping_not_displacement(setup):
    from ngcm_lab.losses import spectrum_error

    hybrid, truth, _ = setup
    target = {k: truth.targets[k][1:3] for k in ("u", "v")}
    rolled = {k: np.roll(v, 17, axis=-1) for k, v in target.items()}  # the same flow, moved
    damped = {k: 0.8 * v for k, v in target.items()}  # every scale's energy × 0.64
    assert float(spectrum_error(hybrid, target, target)) == 0.0
    assert float(spectrum_error(hybrid, rolled, target)) < 1e-6
    np.testing.assert_allclose(
        float(jax.jit(lambda p, t: spectrum_error(hybrid, p, t))(damped, target)),
        np.log(0.64) ** 2,
        rtol=1e-3,
    )


def _loss_with_and_without(tiny_config, setup, **weights):
    """(loss with `weights` − loss without, the one-output prediction, the targets) from the
    first truth state with fresh parameters."""
    import dataclasses

    from ngcm_lab.hybrid_model import HybridState
    from ngcm_lab.losses import make_loss, nodal_prediction

    hybrid, truth, _ = setup
    params = hybrid.init_params(jax.random.key(0))
    state = HybridState(truth.state(0), np.float32(truth.times_s[0]))
    targets = {k: v[1:2] for k, v in truth.targets.items()}
    key = jax.random.key(3)
    plain = make_loss(hybrid, truth, tiny_config, 1)(params, state, targets, key)
    with_terms = dataclasses.replace(tiny_config, **weights)
    both = make_loss(hybrid, truth, with_terms, 1)(params, state, targets, key)
    per_output = int(round(truth.interval_s / tiny_config.physics_interval_s))
    _, states = hybrid.rollout(params, state, per_output)
    predicted = nodal_prediction(hybrid, jax.tree.map(lambda x: x[-1:], states))
    return float(both) - float(plain), predicted, targets


def test_the_spectrum_term_adds_its_weight_times_the_error(tiny_config, setup):
    from ngcm_lab.losses import spectrum_error

    added, predicted, targets = _loss_with_and_without(tiny_config, setup, spectrum_loss_weight=2.0)
    expected = 2.0 * float(spectrum_error(setup[0], predicted, targets))
    assert expected > 1e-8
    np.testing.assert_allclose(added, expected, rtol=1e-3)
    with pytest.raises(ValueError, match="must be ≥ 0"):
        TrainingConfig(spectrum_loss_weight=-1.0)


def test_resolved_degree_is_where_the_filter_starts_to_empty_the_spectrum():
    from ngcm_lab.filtering import ExponentialFilter

    model = PrimitiveEquationsModel.from_case("held_suarez", "T21", layers=3, dt=1800.0)
    n = model.resolved_degree()
    factors = ExponentialFilter().factors(model.grid, model.dt_s)[0]
    per_day = factors ** (2 * 48)
    assert n == 17 and per_day[n] >= 0.5 > per_day[n + 1]
    assert model.resolved_degree(10 * 86400.0) < n


def test_the_bias_term_adds_its_weight_times_the_squared_area_mean_error(tiny_config, setup):
    hybrid, truth, _ = setup
    added, predicted, targets = _loss_with_and_without(tiny_config, setup, bias_loss_weight=5.0)
    weights = dict(tiny_config.loss_weights)
    used = [k for k in weights if k in predicted]
    by_hand = sum(
        weights[k]
        * np.mean(hybrid.grid.global_mean(np.asarray(predicted[k]) - targets[k]) ** 2)
        / np.var(truth.targets[k])
        for k in used
    ) / sum(weights[k] for k in used)
    assert by_hand > 0
    np.testing.assert_allclose(added, 5.0 * by_hand, rtol=2e-3)
    with pytest.raises(ValueError, match="offline training has none"):
        TrainingConfig(bias_loss_weight=1.0, mode="offline", curriculum=((6.0, 2),))


def _trained_run(directory, hybrid, config, seed):
    """A run directory as `train` leaves it, holding the parameters of `seed` as if trained."""
    from ngcm_lab.checkpoints import save_checkpoint, write_json

    params = hybrid.init_params(jax.random.key(seed))
    save_checkpoint(directory, 7, params, optimizer(config).init(params), params)
    norm = hybrid.normalisation
    write_json(
        directory / "normalisation.json", {"mean": norm.mean.tolist(), "std": norm.std.tolist()}
    )
    scales = {name: np.atleast_1d(value).tolist() for name, value in hybrid.output_scales}
    write_json(directory / "output_scales.json", scales)
    return params


def test_fine_tuning_starts_from_a_trained_run_and_gives_new_inputs_fresh_weights(
    tiny_config, setup, tmp_path
):
    """`initial_params` starts a run from another run's EMA parameters (update 0's learning
    rate is 0, so one update returns the start); a stochastic hybrid takes a deterministic
    run's weights and keeps fresh first-layer rows for its random-field inputs."""
    from ngcm_lab.checkpoints import fine_tuning_start
    from ngcm_lab.hybrid_model import HybridModel
    from ngcm_lab.random_fields import RandomFieldConfig

    hybrid, truth, _ = setup
    source = _trained_run(tmp_path, hybrid, tiny_config, seed=5)
    config = dataclasses.replace(tiny_config, initial_params=str(tmp_path))
    started, _ = train(hybrid, truth, config, tmp_path / "tuned", progress=False, stop_after=1)
    for a, b in zip(jax.tree.leaves(source), jax.tree.leaves(started), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    stochastic = HybridModel.create(
        hybrid.dycore, hybrid.network, random_fields=RandomFieldConfig(fields=2)
    )
    fresh = stochastic.init_params(jax.random.key(0))
    tuned = fine_tuning_start(tmp_path, stochastic, fresh)
    n = np.size(hybrid.normalisation.mean)
    first = tuned["params"]["Dense_0"]["kernel"]
    np.testing.assert_array_equal(first[:n], source["params"]["Dense_0"]["kernel"])
    np.testing.assert_array_equal(first[n:], fresh["params"]["Dense_0"]["kernel"][n:])
    np.testing.assert_array_equal(
        tuned["params"]["Dense_1"]["kernel"], source["params"]["Dense_1"]["kernel"]
    )


def test_fine_tuning_refuses_a_run_trained_on_other_inputs(tiny_config, setup, tmp_path):
    """A network whose inputs were standardised otherwise (another truth or initialisation), or
    of another width, is refused with one line, before any update."""
    from ngcm_lab.checkpoints import write_json
    from ngcm_lab.column_network import ColumnNetworkConfig
    from ngcm_lab.errors import CheckpointError

    hybrid, truth, _ = setup
    _trained_run(tmp_path, hybrid, tiny_config, seed=5)
    norm = hybrid.normalisation
    shifted = {"mean": (norm.mean + norm.std).tolist(), "std": norm.std.tolist()}
    write_json(tmp_path / "normalisation.json", shifted)
    config = dataclasses.replace(tiny_config, initial_params=str(tmp_path))
    with pytest.raises(CheckpointError, match="standardised otherwise"):
        train(hybrid, truth, config, tmp_path / "a", progress=False, stop_after=1)
    assert not (tmp_path / "a").exists()  # refused before anything is written

    wide = dataclasses.replace(hybrid, network=ColumnNetworkConfig(width=16, blocks=1))
    _trained_run(tmp_path, wide, tiny_config, seed=5)
    with pytest.raises(CheckpointError, match="same width"):
        train(hybrid, truth, config, tmp_path / "b", progress=False, stop_after=1)
    with pytest.raises(CheckpointError, match="not found"):
        train(
            hybrid,
            truth,
            dataclasses.replace(config, initial_params=str(tmp_path / "none")),
            tmp_path / "c",
            progress=False,
            stop_after=1,
        )


def test_truth_fingerprint_tells_records_apart(tiny_training):
    """Two records compare only if they are the same weather: the fingerprint is the same for a
    copy and changes with one value's last bit."""
    _, truth, _, _ = tiny_training
    copy = {name: np.array(value) for name, value in truth.targets.items()}
    assert dataclasses.replace(truth, targets=copy).fingerprint() == truth.fingerprint()
    name = sorted(copy)[0]
    nudged = np.array(copy[name], np.float32)
    nudged.flat[0] = np.nextafter(nudged.flat[0], np.float32(np.inf))
    other = dataclasses.replace(truth, targets={**copy, name: nudged})
    assert other.fingerprint() != truth.fingerprint()
    assert len(truth.fingerprint()) == 64
