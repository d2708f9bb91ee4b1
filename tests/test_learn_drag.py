"""The learn-drag rung: a perfect-model truth, σ_X from data, clean splits, and a network that
learns the withheld Rayleigh drag at its true amplitude.

The truth is the T21 L8 dry Held & Suarez (1994) model itself; the baseline lacks the drag
−k_v(σ) v with k_v = k_f max(0, (σ − 0.7)/0.3), k_f = 1 day⁻¹ (HS94 eq. 2–3). Everything the
baseline gets wrong is that one term, so its size and its regression slope are known exactly.
"""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from ngcm_lab import evaluation, experiments
from ngcm_lab.column_network import ColumnNetworkConfig
from ngcm_lab.errors import InputError
from ngcm_lab.held_suarez import HeldSuarezForcing
from ngcm_lab.hybrid_model import HybridModel, HybridState
from ngcm_lab.paths import data_samples_dir
from ngcm_lab.training import train
from ngcm_lab.training_config import TrainingConfig
from ngcm_lab.training_data import load_truth, residual_tendency_scales
from ngcm_lab.xarray_io import trajectory_to_dataset

DAY = 86400.0


@pytest.fixture(scope="module")
def short_truth() -> xr.Dataset:
    """Four days of the learn-drag truth model, 6-hourly, from the shipped spun-up state:
    training starts on days 0–2, evaluation on day 3 (a short stand-in for the real record)."""
    with xr.open_dataset(data_samples_dir() / experiments.LEARN_DRAG_SPINUP) as spinup:
        model = experiments.oracle_model(spinup.load(), "learn-drag")
    ds = trajectory_to_dataset(model, model.run(4.0, output_interval_hours=6.0, progress=False))
    ds.attrs.update(split_train_initial_days="0-2", split_eval_initial_days="3-3.5")
    return ds


@pytest.fixture(scope="module")
def problem(short_truth):
    baseline = experiments.baseline_model(short_truth, "learn-drag")
    oracle = experiments.oracle_model(short_truth, "learn-drag")
    return baseline, oracle, load_truth(baseline, short_truth)


def test_split_guard_refuses_overlapping_windows(short_truth, problem):
    baseline, _, _ = problem
    leaky = short_truth.copy()
    leaky.attrs.update(split_train_initial_days="0-3", split_eval_initial_days="2-3.5")
    with pytest.raises(InputError, match="training must end before evaluation begins"):
        load_truth(baseline, leaky)


def test_training_targets_never_reach_the_evaluation_window(problem, tmp_path):
    _, _, truth = problem
    assert truth.first_eval_day == 3.0
    for outputs in (1, 4, 8):
        starts = truth.training_starts(outputs)
        assert starts.size and np.all(starts + outputs < truth.first_eval_index)
    assert truth.training_starts(12).size == 0  # 3-day rollouts: every start would reach day 3
    hybrid = HybridModel.create(
        problem[0], ColumnNetworkConfig(width=4, blocks=0), physics_interval_s=3600.0
    )
    config = TrainingConfig(curriculum=((72.0, 1),), experiment="learn-drag")
    with pytest.raises(InputError, match="before the evaluation window"):
        train(hybrid, truth, config, tmp_path / "run", progress=False)


def test_output_scales_from_data_measure_the_missing_drag(problem):
    """σ_X of u in the lowest layer is the rms of the drag k_v u there (to the few per cent
    that the drag's decay over 6 h and the flow's response change); layers above σ_b = 0.7
    feel no drag and get far smaller scales; T, which the drag does not force, smaller still."""
    baseline, _, truth = problem
    scales = residual_tendency_scales(baseline, truth)
    starts = truth.training_starts(1)
    weights = baseline.grid.area_weights
    sigma = baseline.coords.centers
    k_v = np.asarray(HeldSuarezForcing().wind_drag_rate(sigma[:, None, None]))[:, 0, 0]
    for name in ("u", "v"):
        fields = truth.targets[name][starts]  # (starts, L, lat, lon)
        drag_rms = k_v * np.sqrt(np.mean(np.sum(fields**2 * weights, axis=(-2, -1)), axis=0))
        assert 0.8 < scales[name][-1] / drag_rms[-1] < 1.1, (name, scales[name], drag_rms)
        assert scales[name][-1] > 4 * scales[name][:4].max()  # free atmosphere: no drag
    assert scales["temperature"].max() * DAY < 0.5  # K/day, against ~4 m/s/day for u


def test_untrained_network_starts_near_zero_at_full_scale(problem):
    """With σ_X from data and a global factor of 1, the small last layer keeps the untrained
    tendency at about a hundredth of σ_X."""
    baseline, _, truth = problem
    scales = residual_tendency_scales(baseline, truth)
    hybrid = HybridModel.create(baseline, ColumnNetworkConfig(), output_scales=scales)
    assert hybrid.network.output_scale == 1.0
    params = hybrid.init_params(jax.random.key(0))
    state = HybridState(truth.state(0), jnp.zeros((), hybrid.grid.dtype))
    nodal = hybrid.network_tendencies_nodal(params, state)
    for name, value in nodal.items():
        rms = np.sqrt(np.mean(np.asarray(value) ** 2, axis=(-2, -1)))
        assert np.all(rms < 0.05 * scales[name]) and np.any(rms > 0), name


def test_a_short_online_run_learns_the_drag_at_its_amplitude(problem, tmp_path):
    """40 updates of 6-hour rollouts (about 30 s; learning rate 1e-2, EMA 0.8 for so short a
    run): the loss falls more than five-fold, and the learned zonal-mean lowest-layer u tendency
    regresses on the true drag with the rung's target slope 0.8–1.2 and r ≥ 0.9 (measured:
    loss ÷16, slope 0.94, r 0.98)."""
    baseline, oracle, truth = problem
    hybrid = _small_hybrid(baseline, truth)
    config = _short_run(hybrid)
    _, ema = train(hybrid, truth, config, tmp_path / "run", progress=False)
    losses = [r["loss"] for r in _records(tmp_path / "run")]
    assert np.mean(losses[-5:]) < 0.2 * np.mean(losses[:5])
    fit = _learned_versus_withheld(hybrid, oracle, truth, ema)
    assert fit["temperature"] is None  # the drag does not heat
    assert 0.8 < fit["u"]["slope"] < 1.2 and fit["u"]["r"] >= 0.9, fit["u"]


def _small_hybrid(baseline, truth) -> HybridModel:
    """The short runs' hybrid: a width-32 network with one block, σ_X from the data."""
    return HybridModel.create(
        baseline,
        ColumnNetworkConfig(width=32, blocks=1),
        reference_states=jax.tree.map(lambda x: x[truth.train_indices], truth.states),
        physics_interval_s=3600.0,
        output_scales=residual_tendency_scales(baseline, truth),
    )


def _short_run(hybrid, **changes) -> TrainingConfig:
    """40 updates of 6 hours at learning rate 1e-2 with EMA 0.8 (for so short a run)."""
    return TrainingConfig(
        experiment="learn-drag",
        curriculum=((6.0, 40),),
        learning_rate=1e-2,
        ema_decay=0.8,
        network=hybrid.network,
        loss_weights=(("u", 1.0), ("v", 1.0), ("temperature", 1.0)),
        checkpoint_every=100,
        **changes,
    )


def _learned_versus_withheld(hybrid, oracle, truth, params):
    """The regression of the learned on the withheld tendency over the evaluation states."""
    states = [
        HybridState(truth.state(int(i)), jnp.asarray(truth.times_s[i], hybrid.grid.dtype))
        for i in truth.test_indices
    ]
    oracle_hybrid = dataclasses.replace(hybrid, dycore=oracle)
    return evaluation.learned_versus_withheld(hybrid, oracle_hybrid, params, states)


def _records(run):
    import json

    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def shipped():
    return experiments.load_trained(data_samples_dir() / experiments.LEARN_DRAG_CHECKPOINT)


def test_a_run_keeps_its_input_standardisation_on_another_truth(short_truth, shipped, tmp_path):
    """Evaluating a run against another truth (`--truth`) must not re-standardise the network's
    inputs from that truth: the run's own statistics (normalisation.json) are used, where
    recomputing them from the 4-day truth would change them."""
    path = tmp_path / "other_truth.nc"
    short_truth.to_netcdf(path)
    directory = data_samples_dir() / experiments.LEARN_DRAG_CHECKPOINT
    other = experiments.load_trained(directory, path)
    saved = shipped.hybrid.normalisation
    assert np.array_equal(other.hybrid.normalisation.mean, saved.mean)
    assert np.array_equal(other.hybrid.normalisation.std, saved.std)
    recomputed, _ = experiments.build(other.config, path, output_scales={})
    assert not np.allclose(recomputed.normalisation.mean, saved.mean, rtol=1e-3, atol=1e-3)


def test_shipped_checkpoint_learned_the_drag_and_closes_the_gap(shipped):
    """The shipped learn-drag hybrid on every tenth evaluation start (4 of the 40, days 40–70)
    over three days: the issue's targets — the learned drag's slope within 0.8–1.2 with
    r ≥ 0.9, and ≥ 80 % of the baseline→oracle gap closed — for the winds at every lead. (The
    full 40-start figures, with intervals, are in the checkpoint's evaluation.json.)"""
    result = evaluation.evaluate(
        data_samples_dir() / experiments.LEARN_DRAG_CHECKPOINT, days=3.0, trained=shipped, every=10
    )
    assert result["held_out_initial_times"] == 4 and result["start_spacing_hours"] == 240
    assert result["evaluation_days"][0] >= result["training_targets_end_before_day"]
    for name in ("u", "v"):
        fit = result["learned_vs_withheld"][name]
        assert 0.8 < fit["slope"] < 1.2 and fit["r"] >= 0.9, (name, fit)
        assert min(result["gap_closed"][name]) >= 0.8, (name, result["gap_closed"][name])
    assert result["learned_vs_withheld"]["temperature"] is None
    # The 6-hour residual that offline training fits is not the drag: within the interval the
    # drag weakens the wind it acts on and the Coriolis force turns the deficit into v, so the
    # residual holds u at about 70 % (slope 0.69, r 0.92 on these starts) and v with the wrong
    # sign. Online training, scored on what the hybrid does hour by hour, recovers the
    # instantaneous drag that a perfect offline fit could not (offline_checkpoint: u 0.72, v −0.48).
    ideal = result["residual_vs_withheld"]
    assert ideal["u"]["r"] >= 0.85 and ideal["u"]["slope"] < 0.8, ideal
    assert ideal["v"]["slope"] < 0.0, ideal


def test_shipped_hybrid_runs_free_for_30_days(shipped, tmp_path, capsys):
    """`ngcm-lab forecast --checkpoint` runs the trained hybrid like any forecast: 30 days from
    the first evaluation start stay within physical bounds, and the free run keeps the truth's
    climate over the same 30 days — the strongest wind within 25 % of the truth's, the
    time-mean zonal-mean jet within 15 %."""
    from ngcm_lab import cli

    path = tmp_path / "free.nc"
    directory = str(data_samples_dir() / experiments.LEARN_DRAG_CHECKPOINT)
    argv = ["forecast", "--checkpoint", directory, "--days", "30", "--no-progress"]
    assert cli.main([*argv, "--output", str(path)]) == 0, capsys.readouterr().err
    truth = shipped.truth
    first = truth.first_eval_index
    span = truth.targets["u"][first : first + int(30 * DAY / truth.interval_s) + 1]
    with xr.open_dataset(path) as ds:
        assert ds.sizes["time"] == 31 and ds.attrs["hybrid_checkpoint"] == directory
        u = ds["u"].values
    assert np.all(np.isfinite(u))
    assert abs(np.abs(u).max() / np.abs(span).max() - 1) < 0.25
    jet, truth_jet = (x.mean(axis=(0, -1)).max() for x in (u, span))  # time- and zonal-mean
    assert abs(jet / truth_jet - 1) < 0.15, (jet, truth_jet)


def test_a_short_offline_run_fits_the_residual_tendency(problem, tmp_path):
    """Offline training fits the network's tendency to the 6-hour residual tendency of each
    training start, with no rollout: 40 updates halve the loss (in units of σ_X²), and the
    learned lowest-layer u tendency correlates with the true drag."""
    baseline, oracle, truth = problem
    hybrid = _small_hybrid(baseline, truth)
    config = _short_run(hybrid, mode="offline", batch_size=4)
    _, ema = train(hybrid, truth, config, tmp_path / "run", progress=False)
    losses = [r["loss"] for r in _records(tmp_path / "run")]
    assert 0.5 < np.mean(losses[:3]) < 1.5  # the untrained network: residual ≈ σ_X in rms
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    fit = _learned_versus_withheld(hybrid, oracle, truth, ema)
    assert fit["u"]["r"] >= 0.8, fit["u"]
    with pytest.raises(ValueError, match="offline training fits one truth interval"):
        longer = dataclasses.replace(config, curriculum=((24.0, 1),))
        train(hybrid, truth, longer, tmp_path / "longer", progress=False)
    with pytest.raises(ValueError, match="mode must be"):
        dataclasses.replace(config, mode="semi")


def test_free_runs_report_the_climate_beside_the_truth(shipped):
    """`free_run_climate` runs baseline, hybrid and oracle freely through the blow-up check and
    sets their climate beside the truth's: over days 5–15 of the perfect-model rung, the oracle's
    and the hybrid's zonal-mean u stay far closer to the truth's than the drag-free
    baseline's, whose surface wind runs away; the figure draws one panel per run."""
    from ngcm_lab.free_runs import free_run_climate
    from ngcm_lab.plotting import plot_free_run_climate

    result = free_run_climate(shipped, 15.0, spinup_days=5.0, progress=False)
    assert result["start_day"] == shipped.truth.first_eval_day
    rms = {n: result[n]["zonal_mean_rms_difference_from_truth"]["u"] for n in RUNS}
    assert all(result[n]["blew_up_day"] is None for n in RUNS)
    assert len(result["hybrid"]["days"]) == 16 and result["hybrid"]["days"][-1] == 15.0
    assert rms["hybrid"] < 0.5 * rms["baseline"] and rms["oracle"] < 0.5 * rms["baseline"], rms
    wind = {n: result[n]["global_mean_surface_wind_speed_m_s"] for n in ("truth", *RUNS)}
    assert wind["baseline"] > 1.3 * wind["truth"]
    assert abs(wind["hybrid"] / wind["truth"] - 1) < 0.2, wind
    fig = plot_free_run_climate(json.loads(json.dumps(result)))
    assert len([ax for ax in fig.axes if ax.get_label() != "<colorbar>"]) == 6  # 4 + 2


RUNS = ("baseline", "hybrid", "oracle")
