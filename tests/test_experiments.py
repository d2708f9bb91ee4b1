"""`ngcm-lab train` and `ngcm-lab evaluate` end to end on a tiny truth run."""

import dataclasses
import json

import numpy as np
import pytest

from ngcm_lab import cli, cli_training, evaluation, experiments
from ngcm_lab.training_config import TrainingConfig


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "tiny.json"
    config = {
        "experiment": "learn-drag",
        "curriculum": [[6.0, 2], [12.0, 1]],
        "batch_size": 1,
        # The network also reads the global-mean temperatures, so this test carries that
        # option through training, resuming and evaluating (the plain network is trained end
        # to end in test_training and test_stochastic).
        "network": {"width": 8, "blocks": 1, "global_temperature": True},
        "checkpoint_every": 1,
    }
    path.write_text(json.dumps(config))
    return path


def test_train_resume_and_evaluate(tiny_drag_truth_file, config_file, tmp_path, capsys):
    truth_file = tiny_drag_truth_file
    out = tmp_path / "run"
    base = ["--truth", str(truth_file), "--no-progress"]
    assert cli.main(["train", "--config", str(config_file), "--output", str(out), *base]) == 0
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["rollout_hours"] for x in lines] == [6.0, 6.0, 12.0]
    assert (out / "normalisation.json").is_file() and (out / "output_scales.json").is_file()
    std = json.loads((out / "normalisation.json").read_text())["std"]
    assert std[-3:] == [1.0, 1.0, 1.0]  # the last inputs: three levels' means, each by 1 K
    assert json.loads((out / "config.json").read_text())["network"]["global_temperature"]
    # Training the same configuration into its finished run, or resuming that run, says so
    # and changes nothing (tests/test_bad_input.py has the refusals).
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert cli.main(["train", "--config", str(config_file), "--output", str(out), *base]) == 0
    assert "finished run (3 of 3 updates)" in capsys.readouterr().out
    assert cli.main(["train", "--resume", str(out), *base]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    argv = ["evaluate", "--checkpoint", str(out), "--truth", str(truth_file), "--days", "0.5"]
    capsys.readouterr()
    assert cli.main([*argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["lead_hours"] == [6.0, 12.0] and result["updates"] == 3
    assert result["experiment"] == "learn-drag" and result["held_out_initial_times"] == 3
    truth = experiments.build(
        TrainingConfig.from_dict(json.loads((out / "config.json").read_text())), truth_file
    )[1]
    assert result["truth_sha256"] == truth.fingerprint()
    for model in ("hybrid", "baseline", "oracle"):
        for values in result["rmse"][model].values():
            assert len(values) == 2 and np.all(np.isfinite(values))
    # The truth has the drag the baseline lacks: the baseline drifts away from it, while the
    # oracle (the truth's own model) follows it to float32 round-off.
    u = result["rmse"]
    assert u["baseline"]["u"][1] > u["baseline"]["u"][0] > 100 * u["oracle"]["u"][1]
    for name in ("u", "v", "temperature"):
        low, high = result["rmse_90"]["baseline"][name]
        assert np.all(np.array(low) <= u["baseline"][name]) and np.all(
            np.array(u["baseline"][name]) <= high
        )
        assert len(result["gap_closed"][name]) == 2
    assert result["learned_vs_withheld"]["temperature"] is None
    assert set(result["learned_vs_withheld"]["u"]) >= {"slope", "r"}
    assert set(result["residual_vs_withheld"]["u"]) >= {"slope", "r"}
    # The text form says the same in a few lines.
    text = cli_training._evaluation_text(result)
    assert "baseline | hybrid | oracle" in text and "learned vs withheld" in text
    # header, legend, the last lead per variable, the fit at the starts, its bound (the
    # residual's) and the fit in the forecasts, the kinetic energy over the truth's at the last lead
    assert len(text.splitlines()) == 2 + 3 + 3 + 1
    assert "the one-interval residual vs withheld (the bound): u slope" in text
    assert text.splitlines()[-1].startswith("kinetic energy over the truth's at 12 h, n = 10–17")


def test_unknown_configuration_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["train", "--config", "nope", "--output", str(tmp_path / "x")]) == 2
    assert "learn-surface-fluxes" in capsys.readouterr().err


def test_fast_configuration_is_short():
    full = experiments.CONFIGS["learn-surface-fluxes"]
    config = experiments.fast(full)
    assert max(h for h, _ in config.curriculum) <= 24.0
    assert config.total_updates < full.total_updates / 5


SHIPPED = {
    "learn-surface-fluxes": experiments.LEARN_SURFACE_FLUXES_CHECKPOINT,
    "learn-drag": experiments.LEARN_DRAG_CHECKPOINT,
    "learn-drag-offline": experiments.LEARN_DRAG_OFFLINE_CHECKPOINT,
    "stochastic": experiments.STOCHASTIC_CHECKPOINT,
}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoint_was_trained_by_its_named_configuration(name):
    """`ngcm-lab train --config NAME` reproduces each shipped run's settings: its stored
    config.json (fields added since take their defaults) is the named configuration, with the
    experiment's own initialisation filled in."""
    stored = json.loads(
        (experiments.data_samples_dir() / SHIPPED[name] / "config.json").read_text()
    )
    trained_with = TrainingConfig.from_dict(stored)
    named = experiments.CONFIGS[name]
    resolved = dataclasses.replace(named, initialisation=experiments.initialisation_of(named))
    trained_with = dataclasses.replace(
        trained_with, initialisation=experiments.initialisation_of(trained_with)
    )
    assert trained_with == resolved


def test_shipped_learn_surface_fluxes_checkpoint_learned_the_drag():
    """The T42 → T21 rung's shipped hybrid (σ_X from data), on every eighth held-out start
    (days 16, 18 and 20) over five days: its zonal-mean lowest-layer u tendency regresses on
    the withheld surface drag's with slope 0.7–1.3 and r ≥ 0.8 (the issue's target; the old
    hand-scaled demo run reached a tenth of the amplitude), and it closes at least half of the
    baseline → oracle gap for u, v and T at every lead from 1 to 5 days. (v, T and q do not
    meet the regression target: data_samples/hybrid_training/README.md.)"""
    directory = experiments.data_samples_dir() / experiments.LEARN_SURFACE_FLUXES_CHECKPOINT
    result = evaluation.evaluate(directory, days=5.0, every=8)
    assert result["held_out_initial_times"] == 3
    fit = result["learned_vs_withheld"]["u"]
    assert 0.7 <= fit["slope"] <= 1.3 and fit["r"] >= 0.8, fit
    first = int(round(24.0 / result["lead_hours"][0])) - 1  # the 24-hour lead
    for name in ("u", "v", "temperature"):
        assert min(result["gap_closed"][name][first:]) >= 0.5, (name, result["gap_closed"][name])
    # The withheld surface fluxes restore a uniformly warmed column (the sensible heat falls as
    # the air warms). The network, which reads each level's global-mean temperature and was
    # trained from warmed starts, restores far harder: a thermostat on the global mean (−422
    # W m⁻² K⁻¹ on all 17 starts, −442 six hours into the forecasts; without the global input
    # −27, and its free runs warmed by 5 K per 100 days).
    heating = result["column_heating"]
    assert heating["withheld"]["per_kelvin_W_m2"] < -3.0, heating
    assert heating["network"]["per_kelvin_W_m2"] < 10 * heating["withheld"]["per_kelvin_W_m2"]
    # The same at the hybrid's own states 6 h into its forecasts, where the network acts.
    own = result["column_heating_in_forecast"]
    assert own["network"]["per_kelvin_W_m2"] < 10 * own["withheld"]["per_kelvin_W_m2"], own
    fit = result["learned_vs_withheld_in_forecast"]["u"]
    assert 0.7 <= fit["slope"] <= 1.3 and fit["r"] >= 0.8, fit
    # The bound beside it: the ideal 6-hour residual (what a perfect offline fit would supply)
    # holds the truncation's correction and the flow's response to the fluxes as well, so it
    # regresses on them more loosely than the network's winds do (v with the wrong sign). For T
    # the thermostat's share leaves the network's fit looser than that bound (r 0.36 against
    # 0.48 on all 17 starts; 0.25 against 0.40 on the independent record).
    ideal = result["residual_vs_withheld"]
    assert ideal["temperature"]["r"] < 0.8 and ideal["v"]["slope"] < 0.0, ideal
    for name in ("u", "v"):
        assert result["learned_vs_withheld"][name]["r"] > ideal[name]["r"], (name, ideal)


def test_shipped_learn_surface_fluxes_hybrid_runs_30_days_freely(tmp_path):
    """`ngcm-lab forecast --checkpoint` runs the shipped T42 → T21 hybrid 30 days on its own
    from its first evaluation start: no blow-up, finite fields, and a global-mean temperature
    within 0.6 K of the start (−0.2 K after 30 days, +0.7 K per 100 days over 100; without the
    global-mean temperature input the network warmed by about 1.5 K a month:
    data_samples/hybrid_training/README.md)."""
    import xarray as xr

    directory = experiments.data_samples_dir() / experiments.LEARN_SURFACE_FLUXES_CHECKPOINT
    out = tmp_path / "free.nc"
    argv = ["forecast", "--checkpoint", str(directory), "--days", "30", "--output", str(out)]
    assert cli.main([*argv, "--no-progress"]) == 0
    with xr.open_dataset(out) as ds:
        temperature = ds["temperature"].load()
    assert bool(np.isfinite(temperature).all())
    weights = np.cos(np.radians(temperature["lat"]))
    series = temperature.mean(("level", "lon")).weighted(weights).mean("lat")
    assert float(series["time"][-1] - series["time"][0]) == 30 * 86400e9
    assert abs(float(series[-1] - series[0])) < 0.6, series.values


def test_no_progress_reaches_the_making_of_an_experiments_own_truth(monkeypatch, tmp_path):
    """`--no-progress` reaches the experiment's truth, whose first use runs the model for a while
    (learn-drag: 90 days, once per machine) behind a progress bar: `train` here; `evaluate`
    passes it through `load_trained` the same way."""
    asked = []

    def truth(progress):
        asked.append(progress)
        raise experiments.InputError("stop here: only the flag is tested")

    fake = dataclasses.replace(experiments.EXPERIMENTS["learn-drag"], truth=truth)
    monkeypatch.setitem(experiments.EXPERIMENTS, "learn-drag", fake)
    config = tmp_path / "drag.json"
    config.write_text(json.dumps({"experiment": "learn-drag"}))
    assert (
        cli.main(
            ["train", "--config", str(config), "--output", str(tmp_path / "run"), "--no-progress"]
        )
        == 2
    )
    assert cli.main(["train", "--config", str(config), "--output", str(tmp_path / "run2")]) == 2
    assert asked == [False, True]
