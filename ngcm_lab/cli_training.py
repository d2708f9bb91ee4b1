"""The training commands of `ngcm-lab`: `train` (new, resumed, interrupted runs) and `evaluate`.

Runs stay apart: `train --output` refuses a directory that holds anything but a finished run of
the same configuration (which it reports and leaves alone), `--resume` of a finished run says so
and exits 0, and Ctrl-C stops after the current update with a checkpoint (exit 130). Errors are
the package's own (`ngcm_lab.errors`), reported in one line by `cli.main`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import pathlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from ngcm_lab.errors import InputError, NgcmLabError

PROG = "ngcm-lab"  # the command, as messages name it


def train(args: argparse.Namespace) -> int:
    """`ngcm-lab train`: a new run (`--output`) or a resumed one (`--resume`)."""
    from ngcm_lab import checkpoints, experiments, training

    if args.resume:
        directory = pathlib.Path(args.resume)
        config = training.saved_config(directory)
        done = checkpoints.checkpoint_update(directory)
    else:
        directory = pathlib.Path(args.output)
        try:
            config = experiments.resolve_config(args.config)
        except ValueError as error:
            raise InputError(str(error)) from error
        if args.fast:
            config = experiments.fast(config)
        done = _finished_update(directory, config)
        if done is None:
            training.check_run_directory(directory, config, resume=False)
    if done is not None and done >= config.total_updates:
        print(
            f"{directory} is a finished run ({done} of {config.total_updates} updates); nothing "
            f"to do. Score it with: {PROG} evaluate --checkpoint {directory}"
        )
        return 0
    hybrid, truth = experiments.build(config, args.truth)
    tic = time.perf_counter()
    with _stop_requested() as stop:
        training.train(
            hybrid,
            truth,
            config,
            directory,
            resume=bool(args.resume),
            progress=not args.no_progress,
            callback=lambda record: stop.is_set(),
        )
    update = checkpoints.checkpoint_update(directory)
    if stop.is_set():
        print(
            f"interrupted: checkpoint at update {update} of {config.total_updates} saved in "
            f"{directory}; continue with: {PROG} train --resume {directory}",
            file=sys.stderr,
        )
        return 130
    print(
        f"trained {update - (done or 0)} updates ({update} of {config.total_updates}) in "
        f"{time.perf_counter() - tic:.0f} s; checkpoint and metrics in {directory}"
    )
    return 0


def _finished_update(directory: pathlib.Path, config: Any) -> int | None:
    """The update count of a run of `config` already in `directory`, None if there is none."""
    from ngcm_lab import checkpoints, training

    if not (directory / checkpoints.CHECKPOINT).is_file():
        return None
    try:
        same = training.saved_config(directory) == config
    except NgcmLabError:
        return None
    return checkpoints.checkpoint_update(directory) if same else None


@contextlib.contextmanager
def _stop_requested() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C (the run stops after the current update and saves a
    checkpoint); a second Ctrl-C stops at once, keeping the last checkpoint."""
    event = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        if event.is_set():
            raise KeyboardInterrupt
        event.set()
        print(
            "stopping after the current update (it may still be compiling), then saving a "
            "checkpoint; Ctrl-C again stops at once",
            file=sys.stderr,
        )

    if threading.current_thread() is not threading.main_thread():
        yield event  # signals reach the main thread only
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)


def evaluate(args: argparse.Namespace) -> int:
    """`ngcm-lab evaluate`: scores by lead time of a trained hybrid, as text or JSON."""
    from ngcm_lab import experiments

    if not (math.isfinite(args.days) and args.days > 0):
        raise InputError(f"--days must be a positive number, got {args.days:g}")
    if args.members < 1:
        raise InputError(f"--members must be at least 1, got {args.members}")
    result = experiments.evaluate(args.checkpoint, args.truth, args.days, args.members)
    if args.json:
        print(json.dumps(result))
        return 0
    leads = result["lead_hours"]
    # Precipitation is printed in mm/day (the JSON keeps SI, kg m⁻² s⁻¹).
    factor = {"precipitation_rate": 86400.0}
    for score in ("rmse", "crps"):
        if score not in result:
            continue
        print(
            f"{result['held_out_initial_times']} held-out initial times, {score.upper()} "
            "(hybrid / baseline; precipitation in mm/day):"
        )
        for i in range(3, len(leads), 4):
            cells = [
                f"{k} {result[score]['hybrid'][k][i] * factor.get(k, 1):.2f}/"
                f"{result[score]['baseline'][k][i] * factor.get(k, 1):.2f}"
                for k in result[score]["hybrid"]
            ]
            print(f"  {leads[i]:5.0f} h: " + ", ".join(cells))
    return 0
