"""Command line: `ngcm-lab forecast` writes a forecast to netCDF, `ngcm-lab validate` checks a case.

`forecast` runs either model family: shallow-water cases (`models.case_names()`) on `(time, lat,
lon)`, or primitive-equation cases (`primitive_cases.PRIMITIVE_CASES`) on `--layers` σ layers,
written as `(time, level, lat, lon)` with a `sigma` coordinate. With `--initial FILE` instead of
`--case`, the primitive-equation model starts from reanalysis data on pressure levels (read by
`reanalysis.open_reanalysis`, put on the model's grid and σ layers by
`pressure_levels.model_from_pressure_levels`) and the output starts at the data's time.
`--physics NAME,...` replaces a primitive-equation case's physics terms by their names in
`physics_registry.PHYSICS_TERMS` (the output's `physics` attribute records the terms).

Thin on purpose: parse the arguments, call the package, format the answer. JAX and xarray are
imported inside the commands, so `--help` and `--version` answer at once.

Exit codes: 0 success (validation passed), 1 the run failed (blow-up, validation not passed,
file not written), 2 bad usage or input (unknown case or resolution, invalid numbers,
implausible data, an output that exists or is an input, a broken checkpoint), 130 interrupted
(Ctrl-C; training saves a checkpoint first). Every error is one line: the package raises named
errors (`ngcm_lab.errors`) and `main` reports them here, once.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import math
import pathlib
import shlex
import sys
import time
from types import ModuleType
from typing import Any

from ngcm_lab.cli_training import PROG, evaluate, train, trained_forecast
from ngcm_lab.errors import InputError, NgcmLabError

DEFAULT_LAYERS = 20


class UsageError(InputError):
    """Bad command-line input; reported as `error: …` with exit code 2."""


class _PhysicsOption(argparse._StoreAction):
    """`--physics`, whose help lists `physics_registry.PHYSICS_TERMS` when shown (JAX is
    imported only then, so `--help` elsewhere still answers at once)."""

    @property
    def help(self) -> str:
        from ngcm_lab.physics_registry import PHYSICS_TERMS

        return (
            "physics terms by name, comma-separated, replacing a primitive-equation case's "
            f"own ({', '.join(PHYSICS_TERMS)}; 'none' for none; default: the case's)"
        )

    @help.setter
    def help(self, value: str | None) -> None:
        pass


def _version() -> str:
    try:
        return importlib.metadata.version("ngcm-lab")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (case and resolution names are checked by the package, not here)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Spectral shallow-water and primitive-equation models: forecasts and "
        "test-case checks.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fc = commands.add_parser(
        "forecast", help="run a named case, or start from reanalysis data, and write netCDF"
    )
    start = fc.add_mutually_exclusive_group(required=True)
    start.add_argument(
        "--case",
        help="case name: shallow water (e.g. williamson6, galewsky) or primitive equations "
        "(jw_steady, jablonowski_williamson, held_suarez)",
    )
    start.add_argument(
        "--initial",
        metavar="FILE",
        help="start the primitive-equation model from reanalysis data on pressure levels: a "
        "netCDF file or .zarr store in a layout open_reanalysis reads (ERA5, WeatherBench2, "
        "NCEP-style CF); moist when it has specific humidity (no physics); needs --days",
    )
    start.add_argument(
        "--checkpoint",
        metavar="DIR",
        help="run a trained hybrid (a directory written by `ngcm-lab train`) freely from its "
        "truth: the first evaluation start, or --time; the grid and layers are the checkpoint's",
    )
    fc.add_argument(
        "--time",
        metavar="ISO",
        help="with --initial or --checkpoint: the initial time, e.g. 2020-01-01T06 (default: the "
        "first, or the first evaluation start; a partial date picks the first time within it)",
    )
    fc.add_argument("--resolution", help="grid name, e.g. T42 or TL63 (with --case, --initial)")
    fc.add_argument(
        "--days", type=float, help="forecast length (default: the case's own; needed by --initial)"
    )
    fc.add_argument("--dt", type=float, help="time step in seconds (default: a stable one)")
    fc.add_argument(
        "--layers",
        type=int,
        metavar="L",
        help=f"σ layers, primitive-equation cases and --initial (default {DEFAULT_LAYERS})",
    )
    fc.add_argument("--physics", action=_PhysicsOption, metavar="NAME[,NAME...]")
    fc.add_argument("--x64", action="store_true", help="compute in float64 (default float32)")
    fc.add_argument(
        "--devices",
        type=int,
        default=1,
        metavar="N",
        help="split the levels over N devices (default 1; see jax.devices())",
    )
    fc.add_argument(
        "--output-interval-hours",
        type=float,
        default=24.0,
        metavar="H",
        help="hours between saved states (default 24)",
    )
    fc.add_argument("--no-progress", action="store_true", help="no progress bar")
    fc.add_argument("--output", required=True, metavar="FILE.nc", help="netCDF file to write")
    fc.add_argument(
        "--overwrite", action="store_true", help="replace --output if it exists (never an input)"
    )

    va = commands.add_parser("validate", help="run a published test case and check its errors")
    va.add_argument("case", nargs="?", metavar="CASE", help="case to check (see --list)")
    va.add_argument("--list", action="store_true", help="list the cases and exit")
    va.add_argument("--resolution", help="grid name (default: the check's own)")
    va.add_argument("--x64", action="store_true", help="compute in float64 (default float32)")
    va.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    va.add_argument("--no-progress", action="store_true", help="no progress bar")

    tr = commands.add_parser("train", help="train the hybrid model online against truth data")
    tr.add_argument(
        "--config",
        default="learn-surface-fluxes",
        help="a named configuration (learn-surface-fluxes, learn-drag, … ; an unknown name "
        "lists them all) or a JSON file of TrainingConfig fields",
    )
    tr.add_argument("--fast", action="store_true", help="a few-minute version (24 h rollouts)")
    tr.add_argument("--truth", metavar="FILE.nc", help="truth trajectory (default: shipped)")
    where = tr.add_mutually_exclusive_group(required=True)
    where.add_argument("--output", metavar="DIR", help="new directory for checkpoints, metrics")
    where.add_argument("--resume", metavar="DIR", help="continue the run saved in DIR")
    tr.add_argument(
        "--devices",
        type=int,
        metavar="N",
        help="split each batch over N devices (default: all visible devices that divide it)",
    )
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")

    ev = commands.add_parser(
        "evaluate", help="RMSE (and CRPS) by lead time of a trained hybrid vs baseline"
    )
    ev.add_argument("--checkpoint", required=True, metavar="DIR", help="a training directory")
    ev.add_argument("--truth", metavar="FILE.nc", help="truth trajectory (default: shipped)")
    ev.add_argument("--days", type=float, default=5.0, help="longest lead time (default 5)")
    ev.add_argument(
        "--members", type=int, default=4, help="ensemble size for a stochastic hybrid (default 4)"
    )
    ev.add_argument(
        "--free-run-days",
        type=float,
        default=0.0,
        metavar="N",
        help="also run baseline, hybrid and oracle freely for N days and compare their climate "
        "with the truth's (e.g. 100; default: no free runs)",
    )
    ev.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ev.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def _positive(name: str, value: float | None, allow_zero: bool = False) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise UsageError(f"{name} must be a {kind} number, got {value:g}")


def _dtype(x64: bool) -> Any:
    """float64 (enabling JAX's x64 mode first, before any array is built) or float32."""
    import numpy as np

    if x64:
        import jax

        jax.config.update("jax_enable_x64", True)
        return np.float64
    return np.float32


def _build_model(case: str, args: argparse.Namespace, dtype: Any) -> tuple[Any, float | None]:
    """The model for `case` from whichever family names it, and the case's default days."""
    from ngcm_lab import models

    if case in models.case_names():
        options = (("layers", args.layers, "one layer"), ("physics", args.physics, "no physics"))
        for option, value, why in options:
            if value is not None:
                raise UsageError(
                    f"--{option} applies to primitive-equation cases only; {case!r} is a "
                    f"shallow-water case ({why})"
                )
        try:
            model = models.ShallowWaterModel.from_case(
                case, args.resolution, dt=args.dt, dtype=dtype
            )
        except ValueError as error:
            raise UsageError(str(error)) from error
        return model, models.get_case(case).days

    # Imported only here, so shallow-water forecasts never depend on the primitive-equation code.
    from ngcm_lab import primitive_cases, primitive_model
    from ngcm_lab.spherical_harmonics import Grid

    if case not in primitive_cases.PRIMITIVE_CASES:
        raise UsageError(
            f"unknown case {case!r}; shallow-water cases: {', '.join(models.case_names())}; "
            f"primitive-equation cases: {', '.join(primitive_cases.case_names())}"
        )
    layers = DEFAULT_LAYERS if args.layers is None else args.layers
    from ngcm_lab.physics_registry import terms_by_name

    try:
        physics = None if args.physics is None else terms_by_name(args.physics)
        grid = Grid.from_name(args.resolution, dtype)
        model = primitive_model.PrimitiveEquationsModel.from_case(
            case, grid, layers=layers, dt=args.dt, dtype=dtype, physics=physics
        )
    except ValueError as error:
        raise UsageError(str(error)) from error
    return model, primitive_cases.get_case(case).days


def _build_initial_model(args: argparse.Namespace, dtype: Any) -> tuple[Any, Any, str]:
    """The primitive-equation model started from `--initial` at `--time` (default the first),
    the initial time (np.datetime64, or None without a time axis) and a label for messages."""
    from ngcm_lab import pressure_levels, reanalysis
    from ngcm_lab.spherical_harmonics import Grid

    layers = DEFAULT_LAYERS if args.layers is None else args.layers
    source = args.initial
    name = pathlib.PurePosixPath(source.rstrip("/")).name or source
    try:
        grid = Grid.from_name(args.resolution, dtype)
        ds = reanalysis.open_reanalysis(source, time=args.time)
        start = ds["time"].values[0] if "time" in ds.dims else None
        model = pressure_levels.model_from_pressure_levels(
            ds, grid, layers, dt_s=args.dt, dtype=dtype, name=f"initial:{name}"
        )
    except (FileNotFoundError, ValueError) as error:
        raise UsageError(f"--initial {source}: {error}") from error
    label = f"forecast from {name}" + ("" if start is None else f" ({str(start)[:16]})")
    return model, start, label


def _forecast(args: argparse.Namespace, command_line: str) -> int:
    started = time.perf_counter()
    if args.initial is not None and args.days is None:
        raise UsageError("--initial needs --days: a forecast from data has no default length")
    if args.time is not None and args.case is not None:
        raise UsageError("--time applies to --initial and --checkpoint (cases start at their own)")
    if args.checkpoint is not None:
        for option in ("resolution", "layers", "dt"):
            if getattr(args, option) is not None:
                raise UsageError(
                    f"--{option} is the checkpoint's own with --checkpoint; drop --{option}"
                )
        if args.days is None:
            raise UsageError("--checkpoint needs --days: a free run has no default length")
    elif args.resolution is None:
        raise UsageError("give --resolution, e.g. T42 (grid names: T21 … T213, TL63 … TL255)")
    if args.physics is not None and args.case is None:
        raise UsageError("--physics applies to --case (the physics of a named case)")
    _positive("--days", args.days, allow_zero=True)
    _positive("--dt", args.dt)
    _positive("--output-interval-hours", args.output_interval_hours)
    if args.layers is not None and args.layers < 1:
        raise UsageError(f"--layers must be a positive integer, got {args.layers}")
    from ngcm_lab import files, sharding

    try:
        sharding.device_count(args.devices)
    except InputError as error:
        raise UsageError(f"--devices: {error}") from error

    output = files.check_output(args.output, inputs=[args.initial], overwrite=args.overwrite)

    from ngcm_lab import forecast, xarray_io

    dtype = _dtype(args.x64)
    start = None
    if args.checkpoint is not None:
        model, start, case = trained_forecast(args.checkpoint, args.time)
        default_days = None
    elif args.initial is not None:
        model, start, case = _build_initial_model(args, dtype)
        default_days = None
    else:
        case = args.case.strip().lower()
        model, default_days = _build_model(case, args, dtype)
    days = default_days if args.days is None else args.days
    if days is None:
        raise UsageError(f"case {case!r} has no default length; give --days")
    hours = args.output_interval_hours
    for option, value, in_days in (
        ("--days", days, days),
        ("--output-interval-hours", hours, hours / 24),
    ):
        try:
            model.steps_for(in_days)
        except ValueError as error:
            raise UsageError(
                f"{option} {value:g} is not a whole number of {model.dt_s:g} s time steps; "
                "change it or --dt"
            ) from error

    try:
        integration = model.run(
            days,
            output_interval_hours=hours,
            progress=not args.no_progress,
            devices=args.devices,
        )
    except forecast.ForecastBlowUpError as error:
        advice = error.advice("--dt", from_data=args.initial is not None)
        if args.checkpoint is not None:
            advice = "The trained hybrid is unstable in this free run."
        print(f"error: {error.facts()} {advice}", file=sys.stderr)
        return 1
    written = getattr(model, "dycore", model)  # a trained hybrid writes its dynamics
    if start is None:
        ds = xarray_io.trajectory_to_dataset(written, integration)
    else:
        ds = xarray_io.trajectory_to_dataset(written, integration, start=start)
    source = args.initial or args.checkpoint
    if source is not None:
        ds.attrs["initial_conditions" if args.initial else "hybrid_checkpoint"] = source
        if start is not None:
            ds.attrs["initial_time"] = str(start)[:19]
    ds.attrs["history"] += f"; command: {command_line}"
    try:
        with files.atomic_path(output) as tmp:
            ds.to_netcdf(tmp, engine="h5netcdf")
    except OSError as error:
        print(f"error: could not write {output}: {error}", file=sys.stderr)
        return 1
    wall = integration.wall_time_s
    where = model.grid.name + (f" L{ds.attrs['layers']}" if "layers" in ds.attrs else "")
    print(
        f"wrote {output}: {case} at {where}, {days:g} days in {wall:.1f} s forecast "
        f"wall time ({days / max(wall, 1e-9):.2f} sim-days/s), "
        f"{time.perf_counter() - started:.1f} s in all"
    )
    return 0


def _load_validation() -> ModuleType:
    """`ngcm_lab.validation`, looked up at call time (tests substitute a fake module)."""
    return importlib.import_module("ngcm_lab.validation")


def _validate(args: argparse.Namespace) -> int:
    validation = _load_validation()
    if args.list:
        names = validation.case_names()
        if args.json:
            print(json.dumps({name: validation.describe(name) for name in names}))
        else:
            width = max((len(name) for name in names), default=0)
            for name in names:
                print(f"{name:<{width}}  {validation.describe(name)}")
        return 0
    if args.case is None:
        raise UsageError("give a CASE to validate, or --list to see them")

    from ngcm_lab import forecast

    dtype = _dtype(args.x64)
    try:
        result = validation.validate(
            args.case, resolution=args.resolution, dtype=dtype, progress=not args.no_progress
        )
    except ValueError as error:
        raise UsageError(str(error)) from error
    except (forecast.ForecastBlowUpError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result.to_dict(), default=_json_default) if args.json else result.table())
    return 0 if result.passed else 1


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays → Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ngcm-lab` console script and `python -m ngcm_lab`; returns exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and argparse's own usage errors
        return exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    try:
        if args.command == "forecast":
            return _forecast(args, shlex.join([PROG, *argv]))
        if args.command == "train":
            return train(args)
        if args.command == "evaluate":
            return evaluate(args)
        return _validate(args)
    except NgcmLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was written after the last saved file", file=sys.stderr)
        return 130
