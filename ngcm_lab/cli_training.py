"""The training commands of `ngcm-lab`: `train` (new, resumed, interrupted runs) and `evaluate`.

Runs stay apart: `train --output` refuses a directory that holds anything but a finished run of
the same configuration (which it reports and leaves alone), `--resume` of a finished run says so
and exits 0, and Ctrl-C stops after the current update with a checkpoint (exit 130). Errors are
the package's own (`ngcm_lab.errors`), reported in one line by `cli.main`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
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
        config = checkpoints.saved_config(directory)
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
    if done is not None and done >= config.total_updates:
        print(
            f"{directory} is a finished run ({done} of {config.total_updates} updates); nothing "
            f"to do. Score it with: {PROG} evaluate --checkpoint {directory}"
        )
        return 0
    if not args.resume:  # refused at once, before the model and truth are built
        training.check_run_directory(directory, config, resume=False)
        if config.initial_params is not None:
            checkpoints.read_checkpoint(checkpoints.run_directory(config.initial_params))
    scales = checkpoints.saved_output_scales(directory) if args.resume else None
    hybrid, truth = experiments.build(
        config, args.truth, output_scales=scales, progress=not args.no_progress
    )
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
            devices=args.devices,
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
    from ngcm_lab import checkpoints

    if not (directory / checkpoints.CHECKPOINT).is_file():
        return None
    try:
        same = checkpoints.saved_config(directory) == config
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
    from ngcm_lab import evaluation, experiments

    if not (math.isfinite(args.days) and args.days > 0):
        raise InputError(f"--days must be a positive number, got {args.days:g}")
    if args.members < 1:
        raise InputError(f"--members must be at least 1, got {args.members}")
    if not (math.isfinite(args.free_run_days) and args.free_run_days >= 0):
        raise InputError(f"--free-run-days must be 0 or more, got {args.free_run_days:g}")
    trained = experiments.load_trained(args.checkpoint, args.truth, not args.no_progress)
    result = evaluation.evaluate(
        args.checkpoint, args.truth, args.days, args.members, trained=trained
    )
    if args.free_run_days:
        from ngcm_lab.free_runs import free_run_climate

        result["free_run"] = free_run_climate(
            trained, args.free_run_days, truth_path=args.truth, progress=not args.no_progress
        )
    if args.json:
        print(json.dumps(significant(result)))
        return 0
    print(_evaluation_text(result))
    if "free_run" in result:
        print(_free_run_text(result["free_run"]))
    return 0


def significant(value: Any, digits: int = 6) -> Any:
    """`value` with every float rounded to `digits` significant digits (JSON a person can
    read and a repository can hold; scores carry no more)."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: significant(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [significant(v, digits) for v in value]
    return value


def _free_run_text(climate: dict[str, Any]) -> str:
    """Free-run climate beside the truth's, a line per run."""
    lines = [
        f"free runs of {climate['days']:g} days from day {climate['start_day']:g} "
        f"(climate after day {climate['spinup_days']:g}):"
    ]
    for name in ("truth", "baseline", "hybrid", "oracle"):
        run = climate[name]
        jet_lat = climate["latitude"][run["jet_index"]]
        text = (
            f"  {name:8s} jet {run['jet_m_s']:5.1f} m/s at {jet_lat:+5.1f}°, surface wind "
            f"{run['global_mean_surface_wind_speed_m_s']:4.1f} m/s, global-mean T drift "
            f"{run['temperature_drift_K_per_100_days']:+.2f} K/100 d"
        )
        if name != "truth":
            rms = run["zonal_mean_rms_difference_from_truth"]
            text += f"; zonal means vs truth: u {rms['u']:.2f} m/s, T {rms['temperature']:.2f} K"
            if run["blew_up_day"] is not None:
                text += f"; BLEW UP on day {run['blew_up_day']:.1f}"
        lines.append(text)
    return "\n".join(lines)


def _fits_text(fits: dict | None) -> str:
    """'u slope 1.01 [0.95, 1.06], r 0.93 [0.90, 0.95]; …' for a {variable: regression or None}
    of `evaluation`, with the 90 % intervals where the result has them."""

    def cell(fit: dict, key: str) -> str:
        low_high = fit.get(key + "_90")
        return f"{fit[key]:.2f}" + (" [{:.2f}, {:.2f}]".format(*low_high) if low_high else "")

    return "; ".join(
        f"{name} slope {cell(fit, 'slope')}, r {cell(fit, 'r')}"
        for name, fit in (fits or {}).items()
        if fit is not None
    )


def _evaluation_text(result: dict[str, Any]) -> str:
    """The evaluation as a few lines a person reads: RMSE of baseline | hybrid | oracle with
    90 % intervals, the gap closed, and what the network learned, once a day; the last line of
    each variable adds the σ level where the hybrid's RMSE is largest at that lead."""
    leads = result["lead_hours"]
    first, last = result["evaluation_days"]
    gap = "; gap closed [90 % interval]" if "gap_closed" in result else ""
    lines = [
        f"{result['experiment']}: {result['held_out_initial_times']} evaluation starts "
        f"{result['start_spacing_hours'] or 0:g} h apart (days {first:g}–{last:g}; training "
        f"targets end before day {result['training_targets_end_before_day']:g})",
        "RMSE [90 % interval]: " + " | ".join(result["rmse"]) + gap,
    ]
    daily = [i for i, hours in enumerate(leads) if hours % 24 == 0] or [len(leads) - 1]
    factor = {"precipitation_rate": 86400.0}  # shown in mm/day; the JSON keeps SI
    for name in result["rmse"]["baseline"]:
        for i in daily:
            cells = []
            for model in result["rmse"]:
                value = result["rmse"][model][name][i] * factor.get(name, 1.0)
                low, high = (x[i] * factor.get(name, 1.0) for x in result["rmse_90"][model][name])
                cells.append(f"{value:.3g} [{low:.3g}, {high:.3g}]")
            text = f"  {name} {leads[i]:4.0f} h: " + " | ".join(cells)
            if name in result.get("gap_closed", {}):
                low, high = (x[i] for x in result["gap_closed_90"][name])
                text += f"; {result['gap_closed'][name][i]:.2f} [{low:.2f}, {high:.2f}]"
            by_level = result.get("rmse_by_level", {}).get("hybrid", {}).get(name)
            if by_level is not None and i == daily[-1]:
                worst = max(range(len(by_level[i])), key=by_level[i].__getitem__)
                text += (
                    f"; hybrid worst at σ {result['sigma'][worst]:.2f}: {by_level[i][worst]:.3g}"
                )
            lines.append(text)
    hours = result.get("in_forecast_hours") or 0.0
    for suffix, where in (
        ("", "at the starts"),
        ("_in_forecast", f"after {hours:g} h of forecast"),
    ):
        cells = _fits_text(result.get("learned_vs_withheld" + suffix))
        if cells:
            lines.append(f"learned vs withheld (zonal-mean lowest layer, {where}): {cells}")
        ideal = _fits_text(result.get("residual_vs_withheld")) if not suffix else ""
        if ideal and cells:  # what a network learning the residual exactly would score
            lines.append(f"the one-interval residual vs withheld (the bound): {ideal}")
        heating = result.get("column_heating" + suffix)
        if heating and any(heating["withheld"].values()):  # only where the withheld term heats
            lines.append(
                f"column heating (W m⁻², and per K of uniform warming; {where}): "
                + "; ".join(
                    f"{name} {h['mean_W_m2']:+.1f}, {h['per_kelvin_W_m2']:+.1f} per K"
                    for name, h in heating.items()
                )
            )
    ratio, top = result.get("kinetic_energy_ratio_at_last_lead"), result.get("resolved_degree")
    if ratio and top:  # entry i is n = i + 1; the scales a student sees damped or not
        low = min(10, top)
        kept = slice(low - 1, top)
        interval = result.get("kinetic_energy_ratio_at_last_lead_90", {})

        def energy(name: str, r: list) -> str:
            text = f"{name} {min(r[kept]):.2f}–{max(r[kept]):.2f}"
            if name in interval:  # the lowest and highest 90 % bounds over the same n
                bottom, upper = interval[name]
                text += f" [{min(bottom[kept]):.2f}, {max(upper[kept]):.2f}]"
            return text

        lines.append(
            f"kinetic energy over the truth's at {leads[-1]:g} h, n = {low}–{top} (range, "
            "[90 % bounds]): " + "; ".join(energy(name, r) for name, r in ratio.items())
        )
    for score in ("crps", "spread"):
        if score in result:
            for name, values in result[score]["hybrid"].items():
                by_day = ", ".join(f"{values[i] * factor.get(name, 1.0):.3g}" for i in daily)
                lines.append(f"  {score} {name} hybrid by day: {by_day}")
    for name, values in result.get("spread_error_ratio", {}).items():
        by_day = ", ".join(f"{values[i]:.2f}" for i in daily)
        lines.append(f"  spread/error {name} by day (1: calibrated): {by_day}")
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class TrainedForecast:
    """A trained hybrid and a start state, with the forecast interface the CLI runs: `run`,
    `steps_for`, `dt_s` (one physics interval), `grid`; `dycore` writes the output."""

    hybrid: Any
    params: Any
    state: Any

    @property
    def dt_s(self) -> float:
        return self.hybrid.physics_interval_s

    @property
    def grid(self) -> Any:
        return self.hybrid.grid

    @property
    def dycore(self) -> Any:
        return self.hybrid.dycore

    def steps_for(self, days: float) -> int:
        from ngcm_lab.forecast import whole_steps

        return whole_steps(days * 86400.0, self.dt_s, f"{days:g} days")

    def run(
        self, days: float, *, output_interval_hours: float, progress: bool, devices: int = 1
    ) -> Any:
        return self.hybrid.run(
            self.params,
            self.state,
            days,
            output_interval_hours=output_interval_hours,
            progress=progress,
            devices=devices,
        )


def trained_forecast(directory: str, time_label: str | None) -> tuple[TrainedForecast, Any, str]:
    """The trained hybrid of `directory` started from its truth at `time_label` (default: the
    first evaluation start), that start time, and a label for messages."""
    import jax
    import numpy as np

    from ngcm_lab import experiments

    trained = experiments.load_trained(directory)
    truth = trained.truth
    with experiments.open_truth(trained.config.experiment) as ds:
        times = ds["time"].values
    if time_label is None:
        index = truth.first_eval_index
    else:
        try:
            wanted = np.datetime64(time_label)
        except ValueError:
            raise InputError(f"--time {time_label!r} is not an ISO date and time") from None
        matches = np.flatnonzero(times >= wanted)
        if matches.size == 0:
            raise InputError(
                f"--time {time_label}: the truth runs from {str(times[0])[:16]} to "
                f"{str(times[-1])[:16]}; choose a time in between"
            )
        index = int(matches[0])
    key = jax.random.key(0) if trained.hybrid.stochastic else None
    state = trained.hybrid.wrap(truth.state(index), truth.times_s[index], key)
    label = f"hybrid {pathlib.Path(directory).name} ({trained.config.experiment})"
    return TrainedForecast(trained.hybrid, trained.params, state), times[index], label
