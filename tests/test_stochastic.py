"""The stochastic hybrid: AR(1) Gaussian random fields, the CRPS and its use in training."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.polynomial import legendre as npleg

from ngcm_lab import cli, cli_training, experiments
from ngcm_lab.column_network import ColumnNetworkConfig
from ngcm_lab.constants import EARTH_RADIUS
from ngcm_lab.hybrid_model import HybridModel
from ngcm_lab.losses import make_loss
from ngcm_lab.plotting import plot_rank_histogram, plot_spread_skill
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.random_fields import GaussianRandomField, RandomFieldConfig
from ngcm_lab.scores import crps_ensemble, crps_gaussian, crps_two_members, rank_histogram
from ngcm_lab.spherical_harmonics import Grid
from ngcm_lab.training import train
from ngcm_lab.training_config import TrainingConfig
from ngcm_lab.training_data import load_truth
from ngcm_lab.xarray_io import trajectory_to_dataset

GRID = Grid.from_name("T21")


# ------------------------------------------------------------------------------------ the CRPS
def test_crps_matches_the_gaussian_closed_form():
    """The fair estimator's mean over many ensembles is the CRPS of the distribution drawn from."""
    key = jax.random.key(0)
    mean, std, y = 0.3, 1.7, -0.9
    members = mean + std * jax.random.normal(key, (2, 200_000))
    two = crps_two_members(members[0], members[1], y)
    expected = float(crps_gaussian(mean, std, y))
    assert abs(float(two.mean()) - expected) < 0.01 * expected
    big = mean + std * jax.random.normal(jax.random.key(1), (20_000,))
    assert abs(float(crps_ensemble(big, y)) - expected) < 0.02 * expected
    # The closed form itself: CRPS of N(0, 1) at its mean is (√2 − 1)/√π.
    np.testing.assert_allclose(crps_gaussian(0.0, 1.0, 0.0), (np.sqrt(2) - 1) / np.sqrt(np.pi))


def test_crps_estimators_agree_and_reduce_to_the_absolute_error():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 7))
    y = rng.normal(size=7)
    brute = np.mean(np.abs(x - y), 0) - np.abs(x[:, None] - x[None]).sum((0, 1)) / (2 * 5 * 4)
    np.testing.assert_allclose(crps_ensemble(x, y), brute, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        crps_ensemble(x[:2], y), crps_two_members(x[0], x[1], y), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(crps_ensemble(x[:1], y), np.abs(x[0] - y), rtol=1e-6)
    # A spread-out ensemble centred on the truth beats a sharp one that misses it.
    assert float(crps_ensemble(np.array([-1.0, 1.0]), 0.0)) < float(
        crps_ensemble(np.array([0.9, 1.1]), 0.0)
    )


def test_rank_histogram_is_flat_for_a_reliable_ensemble_and_u_shaped_for_a_sharp_one():
    """Truth and 4 members drawn from one distribution: every rank 1/5 (±0.02 over 4096
    points); members with a fifth of the spread: the extreme ranks take most of the truth."""
    rng = np.random.default_rng(0)
    weights = jnp.full((64, 64), 1.0 / 4096)
    truth = rng.normal(size=(2, 3, 64, 64))  # (leads, levels, lat, lon)
    reliable = rank_histogram(jnp.asarray(rng.normal(size=(4, 2, 3, 64, 64))), truth, weights)
    assert reliable.shape == (2, 5)
    np.testing.assert_allclose(reliable.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(reliable, 0.2, atol=0.02)
    sharp = rank_histogram(jnp.asarray(0.2 * rng.normal(size=(4, 2, 3, 64, 64))), truth, weights)
    assert np.all(sharp[:, 0] + sharp[:, -1] > 0.6)


# ---------------------------------------------------------------------------- random fields
def _exact_correlation(field: GaussianRandomField, distance_m: float) -> float:
    n = np.arange(GRID.truncation + 1)
    std = field.component_std[0, : GRID.truncation + 1]  # m = 0: variance 2 v_n
    v = std**2 / 2
    theta = distance_m / EARTH_RADIUS
    return float(npleg.legval(np.cos(theta), (2 * n + 1) * v) / np.sum((2 * n + 1) * v))


def test_random_fields_have_the_set_variance_and_correlation_length():
    config = RandomFieldConfig(fields=400, correlation_length_m=1.5e6, variance=2.0)
    field = GaussianRandomField(GRID, config)
    x = np.asarray(field.nodal(field.initial(jax.random.key(0))), np.float64)
    variance = np.sum(x.var(axis=0) * GRID.area_weights)
    assert abs(variance - 2.0) < 0.1
    assert abs(np.sum(x.mean(axis=0) * GRID.area_weights)) < 0.1
    # L is the e^(−1/2) correlation distance (squared-exponential covariance).
    assert abs(_exact_correlation(field, 1.5e6) - np.exp(-0.5)) < 0.03
    # Along the equator (nodes nlat/2 − 1, nlat/2 straddle it), compare with the samples.
    row = x[:, GRID.nlat // 2]
    shift = int(round(1.5e6 / (EARTH_RADIUS * 2 * np.pi / GRID.nlon)))
    distance = shift * EARTH_RADIUS * 2 * np.pi / GRID.nlon
    lagged = np.mean(row * np.roll(row, shift, axis=1)) / np.mean(row * row)
    assert abs(lagged - _exact_correlation(field, distance)) < 0.05


def test_random_fields_decorrelate_over_the_correlation_time():
    config = RandomFieldConfig(fields=200, correlation_time_s=6 * 3600.0)
    field = GaussianRandomField(GRID, config)
    first = field.initial(jax.random.key(3))
    second = field.advance(first, 3 * 3600.0)
    a, b = (np.asarray(field.nodal(s), np.float64) for s in (first, second))
    lag = np.mean(a * b) / np.sqrt(np.mean(a * a) * np.mean(b * b))
    assert abs(lag - np.exp(-0.5)) < 0.03
    # Stationary: the variance stays put.
    assert abs(np.mean(b * b) / np.mean(a * a) - 1.0) < 0.05


def test_random_field_configuration_errors():
    with pytest.raises(ValueError, match="positive"):
        RandomFieldConfig(correlation_length_m=0.0)
    with pytest.raises(ValueError, match="at least 1"):
        RandomFieldConfig(fields=0)
    with pytest.raises(ValueError, match="stochastic model"):
        TrainingConfig(loss="crps")


# --------------------------------------------------------------------- the stochastic hybrid
@pytest.fixture(scope="module")
def setup():
    model = PrimitiveEquationsModel.from_case("moist_held_suarez", "T21", layers=3, dt=1800.0)
    run = model.run(2.0, output_interval_hours=6.0, progress=False)
    truth = load_truth(model, trajectory_to_dataset(model, run))
    hybrid = HybridModel.create(
        model,
        ColumnNetworkConfig(width=8, blocks=1, output_scale=1.0),
        physics_interval_s=3600.0,
        random_fields=RandomFieldConfig(fields=2),
    )
    return hybrid, truth


def test_members_differ_only_through_their_keys(setup):
    hybrid, truth = setup
    params = hybrid.init_params(jax.random.key(0))
    with pytest.raises(ValueError, match="key="):
        hybrid.wrap(truth.state(0))
    states = [hybrid.wrap(truth.state(0), 0.0, jax.random.key(k)) for k in (1, 2, 1)]
    ends = [hybrid.rollout(params, s, 3)[0] for s in states]
    t = [np.asarray(e.dynamics.temperature_variation) for e in ends]
    np.testing.assert_array_equal(t[0], t[2])
    assert np.max(np.abs(t[0] - t[1])) > 1e-6
    # Without a network the random inputs do nothing: both members are the dycore.
    zero = jax.tree.map(jnp.zeros_like, params)
    a, b = (np.asarray(hybrid.rollout(zero, s, 3)[0].dynamics.vorticity) for s in states[:2])
    np.testing.assert_array_equal(a, b)


def test_crps_training_has_finite_gradients_and_resumes_exactly(
    tiny_moist_truth_file, tiny_stochastic_config, tmp_path
):
    """The CLI test's stochastic configuration (below), through the Python API."""
    config = TrainingConfig.from_dict(tiny_stochastic_config)
    hybrid, truth = experiments.build(config, tiny_moist_truth_file)
    initial = hybrid.init_params(jax.random.key(config.seed))
    full, _ = train(hybrid, truth, config, tmp_path / "full", progress=False)
    lines = [json.loads(x) for x in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()]
    # Both updates were applied (a non-finite gradient would have been skipped and logged).
    assert len(lines) == 2 and not any("skipped" in x for x in lines)
    assert all(np.isfinite(x["loss"]) and x["loss"] > 0 for x in lines)
    changed = [
        float(jnp.max(jnp.abs(a - b)))
        for a, b in zip(jax.tree.leaves(full), jax.tree.leaves(initial), strict=True)
    ]
    assert all(np.isfinite(changed)) and max(changed) > 0
    # Stopped after one update and resumed, it repeats the uninterrupted run bit for bit.
    train(hybrid, truth, config, tmp_path / "split", progress=False, stop_after=1)
    resumed, _ = train(hybrid, truth, config, tmp_path / "split", resume=True, progress=False)
    for a, b in zip(jax.tree.leaves(full), jax.tree.leaves(resumed), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_stochastic_train_and_evaluate(
    tiny_moist_truth_file, tiny_stochastic_config, tmp_path, capsys
):
    """`ngcm-lab train` and `ngcm-lab evaluate --members` end to end on the same configuration
    and truth as the test above, in the same process after it, so its update program comes
    from the persistent compilation cache."""
    truth_file = tiny_moist_truth_file
    config = tmp_path / "stochastic.json"
    config.write_text(json.dumps(tiny_stochastic_config))
    out = tmp_path / "run"
    base = ["--truth", str(truth_file), "--no-progress"]
    assert cli.main(["train", "--config", str(config), "--output", str(out), *base]) == 0
    capsys.readouterr()
    argv = ["evaluate", "--checkpoint", str(out), "--truth", str(truth_file), "--days", "0.5"]
    assert cli.main([*argv, "--members", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ensemble_members"] == 3
    for score in ("crps", "spread"):
        assert set(result[score]["hybrid"]) == {"u", "v", "temperature", "precipitation_rate"}
    spread = np.array(result["spread"]["hybrid"]["u"])
    assert np.all(spread > 0) and np.all(np.isfinite(spread))
    # Fortin's ratio is spread·√(4/3) over the mean's RMSE; the rank histogram has M + 1 bins
    # per lead that sum to one.
    ratio = np.array(result["spread_error_ratio"]["u"])
    np.testing.assert_allclose(
        ratio, np.sqrt(4 / 3) * spread / np.array(result["rmse"]["hybrid"]["u"]), rtol=1e-5
    )
    ranks = np.array(result["rank_histogram"]["temperature"])
    assert ranks.shape == (2, 4)
    np.testing.assert_allclose(ranks.sum(-1), 1.0, rtol=1e-4)
    assert len(plot_spread_skill(result).axes[0].lines) == 1 + 3  # the 1 line, u, v, T
    assert len(plot_rank_histogram(result, "u").axes[0].patches) == 4
    assert "spread/error temperature by day" in cli_training._evaluation_text(result)
    # The deterministic baseline's CRPS is its mean absolute error: no more than its RMSE.
    for name in ("u", "temperature"):
        mae = np.array(result["crps"]["baseline"][name])
        assert np.all(mae > 0) and np.all(mae <= np.array(result["rmse"]["baseline"][name]))
    assert cli.main([*argv, "--members", "0"]) == 2


def test_deterministic_configuration_of_a_stochastic_model_is_refused(setup):
    hybrid, truth = setup
    with pytest.raises(ValueError, match="features"):
        dataclasses.replace(hybrid, random_fields=None)
    config = TrainingConfig(random_fields=RandomFieldConfig(), loss="crps")
    deterministic = HybridModel.create(hybrid.dycore, hybrid.network, physics_interval_s=3600.0)
    with pytest.raises(ValueError, match="stochastic hybrid"):
        make_loss(deterministic, truth, config, outputs=1)
