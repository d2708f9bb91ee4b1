"""A training run on disk: its configuration, checkpoint and metrics, read and written safely.

A run directory holds `config.json` (the `TrainingConfig`), `checkpoint.msgpack` (parameters,
optimizer state, EMA parameters and the update counter, as msgpack of plain arrays through
`flax.serialization` — never pickle), `metrics.jsonl` (one JSON record per update) and, when σ_X
came from data, `output_scales.json` (the scales the network was trained with), and
`normalisation.json` (the input standardisation, read back by `saved_normalisation`). A new run
may start from another run's parameters (`fine_tuning_start`). Every file
is written to a temporary file and renamed into place (`files.py`), so an interrupted write
leaves the previous version. Reading validates before anything expensive happens: a truncated
or foreign checkpoint, or one whose network does not fit the configuration, is a
`CheckpointError` naming the file and the fix — not a msgpack or flax traceback.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import flax.serialization
import numpy as np

from ngcm_lab.column_features import FeatureNormalisation
from ngcm_lab.column_network import transplant
from ngcm_lab.errors import CheckpointError
from ngcm_lab.files import write_bytes_atomic, write_text_atomic
from ngcm_lab.paths import data_samples_dir
from ngcm_lab.training_config import TrainingConfig

CHECKPOINT = "checkpoint.msgpack"
CONFIG = "config.json"
METRICS = "metrics.jsonl"
OUTPUT_SCALES = "output_scales.json"  # σ_X per variable and level, SI per second
NORMALISATION = "normalisation.json"  # the network's input standardisation: mean, std
_KEYS = {"update", "params", "opt_state", "ema"}


def save_checkpoint(directory: pathlib.Path, update: int, params, opt_state, ema) -> None:
    """Write the training state atomically."""
    payload = {"update": np.int64(update), "params": params, "opt_state": opt_state, "ema": ema}
    write_bytes_atomic(pathlib.Path(directory) / CHECKPOINT, flax.serialization.to_bytes(payload))


def read_checkpoint(directory: pathlib.Path) -> dict[str, Any]:
    """The raw checkpoint (nested dicts of arrays), checked to be complete."""
    path = pathlib.Path(directory) / CHECKPOINT
    if not path.is_file():
        raise CheckpointError(f"{path} not found: give a directory written by `ngcm-lab train`")
    try:
        raw = flax.serialization.msgpack_restore(path.read_bytes())
    except Exception as error:  # msgpack raises several unrelated types for bad bytes
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(error).__name__}: {error}); it may be "
            "truncated — restore it, or retrain into a new directory"
        ) from None
    if not isinstance(raw, dict) or not _KEYS <= set(raw):
        raise CheckpointError(
            f"{path} is not an ngcm-lab training checkpoint (it lacks "
            f"{sorted(_KEYS - set(raw) if isinstance(raw, dict) else _KEYS)})"
        )
    return raw


def checkpoint_update(directory: pathlib.Path) -> int:
    """The number of updates a (validated) checkpoint has done."""
    return int(read_checkpoint(directory)["update"])


def load_checkpoint(directory: pathlib.Path, params, opt_state, ema) -> tuple[int, Any, Any, Any]:
    """Read a checkpoint into the structure of the given templates; a `CheckpointError` when
    it does not fit them (a different network or optimizer)."""
    raw = read_checkpoint(directory)
    template = {"update": np.int64(0), "params": params, "opt_state": opt_state, "ema": ema}
    try:
        restored = flax.serialization.from_state_dict(template, raw)
        _check_shapes(template, restored)
    except (ValueError, KeyError, TypeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CheckpointError(
            f"{pathlib.Path(directory) / CHECKPOINT} does not fit the network of its "
            f"{CONFIG} ({first_line}); was {CONFIG} edited? Restore it, or retrain into a new "
            "directory"
        ) from None
    return int(restored["update"]), restored["params"], restored["opt_state"], restored["ema"]


def _check_shapes(template, restored) -> None:
    import jax

    for (path, want), got in zip(
        jax.tree_util.tree_leaves_with_path(template), jax.tree.leaves(restored), strict=True
    ):
        if np.shape(want) != np.shape(got):
            raise ValueError(
                f"{jax.tree_util.keystr(path)} is {np.shape(got)} in the checkpoint, "
                f"{np.shape(want)} in the configuration"
            )


def read_json(path: pathlib.Path) -> dict:
    """A JSON object from `path`, or a `CheckpointError` naming the file."""
    try:
        data = json.loads(pathlib.Path(path).read_text())
    except FileNotFoundError:
        raise CheckpointError(
            f"{path} not found: give a directory written by `ngcm-lab train`"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path} is not valid JSON ({error}); restore or fix it") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} holds {type(data).__name__}, not a JSON object")
    return data


def write_json(path: pathlib.Path, data: dict | str) -> None:
    """Write a JSON object (or already formatted JSON text) atomically."""
    write_text_atomic(path, data if isinstance(data, str) else json.dumps(data, indent=2))


class MetricsLog:
    """`metrics.jsonl`: records kept in memory and the whole file replaced atomically on each
    `append`, so a crash never leaves a half-written line; opening it drops records from
    `first_update` on (a resumed run recomputes them identically)."""

    def __init__(self, directory: pathlib.Path, first_update: int = 0):
        self.path = pathlib.Path(directory) / METRICS
        self.lines: list[str] = []
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                if line.strip() and json.loads(line).get("update", -1) < first_update:
                    self.lines.append(line)
        if self.path.exists() or first_update == 0:
            self._write()

    def append(self, record: dict) -> None:
        self.lines.append(json.dumps(record))
        self._write()

    def _write(self) -> None:
        write_text_atomic(self.path, "".join(line + "\n" for line in self.lines))


def saved_config(directory: str | pathlib.Path) -> TrainingConfig:
    """The `TrainingConfig` of a run directory, or a `CheckpointError` naming the file."""
    path = pathlib.Path(directory) / CONFIG
    try:
        return TrainingConfig.from_dict(read_json(path))
    except (TypeError, ValueError) as error:
        if isinstance(error, CheckpointError):
            raise
        raise CheckpointError(f"{path} is not a valid training configuration: {error}") from None


def saved_output_scales(directory: str | pathlib.Path) -> dict[str, list[float]] | None:
    """σ_X stored with a run (None for runs with hand-set scales, which store none)."""
    path = pathlib.Path(directory) / OUTPUT_SCALES
    if not path.is_file():
        if saved_config(directory).output_scales == "residual":
            raise CheckpointError(f"{path} not found: the run's σ_X are stored there; restore it")
        return None
    return read_json(path)


def saved_normalisation(directory: str | pathlib.Path) -> FeatureNormalisation | None:
    """The input standardisation a run was trained with (None for runs made before it was
    stored: those recompute it from the truth's training starts, which is the same only on the
    truth they were trained on)."""
    path = pathlib.Path(directory) / NORMALISATION
    if not path.is_file():
        return None
    saved = read_json(path)
    try:
        mean, std = (np.asarray(saved[k], np.float32) for k in ("mean", "std"))
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{path} must hold lists 'mean' and 'std'; restore it") from None
    if mean.shape != std.shape or mean.ndim != 1 or not np.all(std > 0):
        raise CheckpointError(f"{path} holds no valid standardisation (positive std); restore it")
    return FeatureNormalisation(mean, std)


def run_directory(name: str | pathlib.Path) -> pathlib.Path:
    """A run directory named by its path, or by its path under data_samples/ (a shipped
    checkpoint, e.g. "hybrid_training/learn_surface_fluxes_checkpoint"); reading it
    (`read_checkpoint`) says what is wrong when it is neither."""
    path = pathlib.Path(name)
    if not (path / CHECKPOINT).is_file() and not path.is_absolute():
        shipped = data_samples_dir() / path
        if (shipped / CHECKPOINT).is_file():
            return shipped
    return path


def fine_tuning_start(directory: str | pathlib.Path, model, fresh):
    """`fresh` (a hybrid's initial parameters) with the EMA parameters of the trained run in
    `directory` in place, to fine-tune that network rather than start from noise.

    The run must have this network's width, blocks and outputs, and must have been standardised
    and scaled as `model` is (the same truth and initialisation: its weights mean nothing on
    other inputs). Inputs it did not read — random fields, which come last — keep their fresh
    first-layer weights, so a stochastic hybrid can start from a deterministic one."""
    directory = pathlib.Path(directory)
    source = read_checkpoint(directory)["ema"]
    saved = saved_normalisation(directory)
    if saved is None:
        raise CheckpointError(f"{directory / NORMALISATION} not found: fine-tuning needs it")
    n, norm = np.size(saved.mean), model.normalisation
    same = n <= np.size(norm.mean)
    same = same and bool(np.all(np.abs(saved.mean - norm.mean[:n]) <= 1e-3 * saved.std))
    if not (same and np.allclose(saved.std, norm.std[:n], rtol=1e-3, atol=0.0)):
        raise CheckpointError(
            f"the network in {directory} was trained on inputs standardised otherwise than "
            "this run's: fine-tune it on the truth and initialisation it was trained on"
        )
    wanted = saved_output_scales(directory)
    if wanted is None:
        raise CheckpointError(
            f"{directory / OUTPUT_SCALES} not found: only runs with σ_X from data fine-tune"
        )
    for name, value in model.output_scales:
        if name not in wanted or not np.allclose(wanted[name], value, rtol=1e-3, atol=0.0):
            raise CheckpointError(
                f"{directory / OUTPUT_SCALES} differs from this run's σ_X for {name}: fine-tune "
                "on the truth and initialisation it was trained on"
            )
    try:
        return transplant(source, fresh)
    except ValueError as error:
        raise CheckpointError(
            f"{directory / CHECKPOINT}: {error}; fine-tuning needs the same width, blocks and "
            "outputs"
        ) from None
