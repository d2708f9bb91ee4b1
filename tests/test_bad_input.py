"""Nothing silently wrong, nothing lost: a user's mistakes at the command line, one row each.

Every row runs `ngcm-lab` in-process on files in a fresh directory and asserts the exit code
(2 for bad input, 1 for a failed run, 0 when there is nothing to do), a one-line message with the
expected words, and that no file that existed before changed (checksums) and no output appeared.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import signal
import time

import numpy as np
import pytest
import xarray as xr

from ngcm_lab import checkpoints, cli, experiments, training
from ngcm_lab.paths import data_samples_dir

SAMPLE = data_samples_dir() / "reanalysis_schemas" / "weatherbench2.nc"
SHIPPED_RUN = data_samples_dir() / experiments.LEARN_SURFACE_FLUXES_CHECKPOINT
SHIPPED_UPDATES = checkpoints.saved_config(SHIPPED_RUN).total_updates


def _checksums(folder: pathlib.Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _data_file(folder: pathlib.Path, name: str, change=None) -> None:
    """The WeatherBench2-layout sample, optionally altered by `change(ds)` (in place)."""
    with xr.open_dataset(SAMPLE) as source:
        ds = source.load()
    if change is not None:
        change(ds)
    ds.to_netcdf(folder / name)


def _celsius_labelled_kelvin(ds):
    ds["temperature"].values -= 273.15


def _grams_labelled_kilograms(ds):
    ds["specific_humidity"].values *= 1000.0


def _pascals_labelled_hectopascals(ds):
    ds["surface_pressure"].attrs["units"] = "hPa"


def _forecast(*args: str) -> list[str]:
    return ["forecast", "--resolution", "T21", "--no-progress", *args]


def _initial(name: str, *args: str) -> list[str]:
    return _forecast("--initial", name, "--layers", "5", "--days", "0.25", *args)


def _run_copy(folder: pathlib.Path, name: str, change=None) -> None:
    shutil.copytree(SHIPPED_RUN, folder / name)
    if change is not None:
        change(folder / name)


def _truncate(run: pathlib.Path) -> None:
    path = run / checkpoints.CHECKPOINT
    path.write_bytes(path.read_bytes()[:100_000])


def _narrower_config(run: pathlib.Path) -> None:
    config = json.loads((run / checkpoints.CONFIG).read_text())
    config["network"]["width"] = 32
    (run / checkpoints.CONFIG).write_text(json.dumps(config))


def _short_normalisation(run: pathlib.Path) -> None:
    saved = json.loads((run / checkpoints.NORMALISATION).read_text())
    saved = {k: v[:-4] for k, v in saved.items()}
    (run / checkpoints.NORMALISATION).write_text(json.dumps(saved))


def _interrupted(run: pathlib.Path) -> None:
    """A run of the default configuration stopped after 60 of its 200 updates."""
    lines = (run / checkpoints.METRICS).read_text().splitlines()[:60]
    (run / checkpoints.METRICS).write_text("".join(line + "\n" for line in lines))
    raw = checkpoints.read_checkpoint(run)
    checkpoints.save_checkpoint(run, 60, raw["params"], raw["opt_state"], raw["ema"])


def _unrelated_folder(folder: pathlib.Path) -> None:
    (folder / "mine").mkdir()
    (folder / "mine" / "config.json").write_text('{"my": "own settings"}\n')


# (id, set-up of the folder, argv, exit code, words the one-line message must hold)
CASES = [
    (
        "finite blow-up of the baroclinic wave",
        None,
        _forecast("--case", "jablonowski_williamson", "--days", "2", "--dt", "21600",
                  "--output", "o.nc"),
        1,
        ["left physical bounds", "step", "K", "--dt 1200"],
    ),
    (
        "finite blow-up of the Rossby-Haurwitz wave",
        None,
        _forecast("--case", "williamson6", "--days", "2", "--dt", "43200", "--output", "o.nc"),
        1,
        ["left physical bounds", "depth", "Courant number", "--dt 900"],
    ),
    (
        "non-finite blow-up of Held-Suarez",
        None,
        _forecast("--case", "held_suarez", "--layers", "8", "--days", "3", "--dt", "21600",
                  "--output", "o.nc"),
        1,
        ["step", "days", "--dt 1800"],
    ),
    (
        "output is the input",
        lambda f: _data_file(f, "in.nc"),
        _initial("in.nc", "--output", "in.nc"),
        2,
        ["in.nc", "also an input"],
    ),
    (
        "output exists",
        lambda f: (f / "o.nc").write_bytes(b"earlier results"),
        _forecast("--case", "williamson2", "--days", "1", "--output", "o.nc"),
        2,
        ["o.nc already exists", "--overwrite"],
    ),
    (
        "temperature in Celsius labelled K",
        lambda f: _data_file(f, "in.nc", _celsius_labelled_kelvin),
        _initial("in.nc", "--output", "o.nc"),
        2,
        ["temperature", "degC"],
    ),
    (
        "humidity in g/kg labelled kg/kg",
        lambda f: _data_file(f, "in.nc", _grams_labelled_kilograms),
        _initial("in.nc", "--output", "o.nc"),
        2,
        ["specific_humidity", "g"],
    ),
    (
        "surface pressure in Pa labelled hPa",
        lambda f: _data_file(f, "in.nc", _pascals_labelled_hectopascals),
        _initial("in.nc", "--output", "o.nc"),
        2,
        ["surface_pressure", "Pa"],
    ),
    (
        "truncated checkpoint",
        lambda f: _run_copy(f, "run", _truncate),
        ["evaluate", "--checkpoint", "run", "--days", "1"],
        2,
        ["run/checkpoint.msgpack", "truncated"],
    ),
    (
        "checkpoint that does not fit its config",
        lambda f: _run_copy(f, "run", _narrower_config),
        ["evaluate", "--checkpoint", "run", "--days", "1"],
        2,
        ["width 64", "width 32", "config.json"],
    ),
    (
        "normalisation that does not fit the network",
        lambda f: _run_copy(f, "run", _short_normalisation),
        ["evaluate", "--checkpoint", "run", "--days", "1"],
        2,
        ["run/normalisation.json", "108 inputs", "112"],
    ),
    (
        "train --output into an interrupted run",
        lambda f: _run_copy(f, "run", _interrupted),
        ["train", "--output", "run", "--no-progress"],
        2,
        ["run is not empty", "--resume run"],
    ),
    (
        "train --output into an unrelated folder",
        _unrelated_folder,
        ["train", "--output", "mine", "--no-progress"],
        2,
        ["mine is not empty", "config.json"],
    ),
    (
        "train --resume of a finished run",
        lambda f: _run_copy(f, "run"),
        ["train", "--resume", "run", "--no-progress"],
        0,
        ["finished run", f"{SHIPPED_UPDATES} of {SHIPPED_UPDATES}", "nothing to do"],
    ),
    (
        "train --resume of a folder without a run",
        lambda f: (f / "empty").mkdir(),
        ["train", "--resume", "empty", "--no-progress"],
        2,
        ["empty/config.json not found"],
    ),
    (
        "unknown case",
        None,
        _forecast("--case", "nonesuch", "--output", "o.nc"),
        2,
        ["unknown case 'nonesuch'", "williamson6"],
    ),
    (
        "zero time step",
        None,
        _forecast("--case", "williamson6", "--dt", "0", "--output", "o.nc"),
        2,
        ["--dt must be a positive number"],
    ),
    (
        "missing initial file",
        None,
        _initial("nonesuch.nc", "--output", "o.nc"),
        2,
        ["nonesuch.nc"],
    ),
    (
        "missing checkpoint folder",
        None,
        ["evaluate", "--checkpoint", "nonesuch"],
        2,
        ["nonesuch/config.json not found"],
    ),
    (
        "missing training configuration file",
        None,
        ["train", "--config", "nonesuch.json", "--output", "run"],
        2,
        ["nonesuch.json", "neither a configuration name"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "argv", "code", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_input(tmp_path, monkeypatch, capsys, setup, argv, code, words):
    monkeypatch.chdir(tmp_path)
    if setup is not None:
        setup(tmp_path)
    before = _checksums(tmp_path)
    assert cli.main(argv) == code
    captured = capsys.readouterr()
    message = captured.err if code else captured.out
    assert len(message.strip().splitlines()) == 1, message
    if code:
        assert message.startswith("error: ") and captured.out == ""
    for word in words:
        assert word in message, (word, message)
    assert _checksums(tmp_path) == before  # nothing changed, nothing new (no o.nc, no run)


def test_overwrite_replaces_only_when_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "o.nc").write_bytes(b"earlier results")
    argv = _forecast("--case", "williamson2", "--days", "0.25", "--output", "o.nc", "--overwrite")
    assert cli.main(argv) == 0
    with xr.open_dataset(tmp_path / "o.nc") as ds:
        assert ds.sizes["time"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["o.nc"]  # no temporary file left behind


def test_celsius_labelled_as_such_runs(tmp_path, monkeypatch, capsys):
    def to_celsius(ds):
        ds["temperature"].values -= 273.15
        ds["temperature"].attrs["units"] = "degC"

    monkeypatch.chdir(tmp_path)
    _data_file(tmp_path, "c.nc", to_celsius)
    _data_file(tmp_path, "k.nc")
    assert cli.main(_initial("c.nc", "--output", "from_c.nc")) == 0
    assert cli.main(_initial("k.nc", "--output", "from_k.nc")) == 0
    with xr.open_dataset("from_c.nc") as c, xr.open_dataset("from_k.nc") as k:
        np.testing.assert_allclose(c["temperature"], k["temperature"], atol=1e-3)


def test_ctrl_c_saves_a_checkpoint_and_exits_130(tmp_path, monkeypatch, capsys, tiny_training):
    """Ctrl-C (a real SIGINT, sent after the second update) stops training after the current
    update with a checkpoint, one line and exit code 130."""
    hybrid, truth, _, config = tiny_training
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(experiments, "build", lambda config, truth_path, **_: (hybrid, truth))
    train = training.train

    def train_then_press_ctrl_c(*args, callback, **kwargs):
        def pressing(record):
            if record["update"] == 1:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # the handler runs in this (main) thread
            return callback(record)

        return train(*args, callback=pressing, **kwargs)

    monkeypatch.setattr(training, "train", train_then_press_ctrl_c)
    (tmp_path / "tiny.json").write_text(config.to_json())
    code = cli.main(["train", "--config", "tiny.json", "--output", "run", "--no-progress"])
    assert code == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("interrupted: checkpoint at update 2 of 4 saved in run")
    assert "--resume run" in err[-1]
    assert checkpoints.checkpoint_update(tmp_path / "run") == 2
    records = (tmp_path / "run" / checkpoints.METRICS).read_text().splitlines()
    assert [json.loads(x)["update"] for x in records] == [0, 1]
    assert cli.main(["train", "--resume", "run", "--no-progress"]) == 0
    assert "trained 2 updates (4 of 4)" in capsys.readouterr().out
