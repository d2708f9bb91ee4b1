"""Several devices: a forecast split over levels and a training split over its batch give one
device's results to round-off (on four forced host devices), and bad device counts get one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from ngcm_lab import cli

FOUR_DEVICES = textwrap.dedent(
    """
    import json, pathlib, sys, tempfile
    import jax, numpy as np
    from ngcm_lab import experiments
    from ngcm_lab.column_network import ColumnNetworkConfig
    from ngcm_lab.primitive_model import PrimitiveEquationsModel
    from ngcm_lab.training import train
    from ngcm_lab.training_config import TrainingConfig
    from ngcm_lab.xarray_io import trajectory_to_dataset

    assert jax.device_count() == 4, jax.devices()
    out = {}
    model = PrimitiveEquationsModel.from_case("held_suarez", "T21", layers=4, dt=1800.0)
    runs = [model.run(1.0, output_interval_hours=12.0, progress=False, devices=n) for n in (1, 4)]
    one, four = (np.asarray(r.states.temperature_variation) for r in runs)
    out["forecast_relative_difference"] = float(np.abs(one - four).max() / np.abs(one).max())

    # The learn-drag rung on a small truth: the baseline lacks the drag, so the loss is the
    # drag's signal, not round-off.
    work = pathlib.Path(sys.argv[1])
    truth = trajectory_to_dataset(model, model.run(6.0, output_interval_hours=6.0, progress=False))
    truth.attrs.update(split_train_initial_days="3-4", split_eval_initial_days="5.5-5.5")
    truth.to_netcdf(work / "truth.nc")
    config = TrainingConfig(
        experiment="learn-drag",
        curriculum=((6.0, 2),),
        batch_size=4,
        network=ColumnNetworkConfig(width=8, blocks=1),
        learning_rate=1e-3,
        warmup_updates=1,
    )
    hybrid, data = experiments.build(config, work / "truth.nc")
    trained = {}
    for n in (1, 4):
        params, _ = train(hybrid, data, config, work / f"run{n}", progress=False, devices=n)
        trained[n] = jax.tree.leaves(jax.device_get(params))
        lines = (work / f"run{n}" / "metrics.jsonl").read_text().splitlines()
        out[f"losses_{n}"] = [json.loads(line)["loss"] for line in lines]
    initial = jax.tree.leaves(hybrid.init_params(jax.random.key(config.seed)))
    change = max(float(np.abs(a - b).max()) for a, b in zip(trained[1], initial))
    difference = max(float(np.abs(a - b).max()) for a, b in zip(trained[1], trained[4]))
    out["params_difference_over_change"] = difference / change
    print(json.dumps(out))
    """
)


def test_four_devices_match_one_to_round_off(tmp_path):
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    done = subprocess.run(
        [sys.executable, "-c", FOUR_DEVICES, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["forecast_relative_difference"] < 1e-5
    assert result["losses_1"] == pytest.approx(result["losses_4"], rel=1e-5)
    assert result["params_difference_over_change"] < 1e-3


def test_forecast_refuses_more_devices_than_visible(tmp_path, capsys):
    output = tmp_path / "f.nc"
    argv = ["forecast", "--case", "held_suarez", "--resolution", "T21", "--days", "1"]
    assert cli.main([*argv, "--devices", "64", "--output", str(output)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --devices: 64 devices requested but") and "\n" not in err
    assert not output.exists()
