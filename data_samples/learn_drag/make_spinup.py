"""Spin up the learn-drag truth model: dry Held–Suarez at T21 L8 from rest to its climate.

    python data_samples/learn_drag/make_spinup.py [--days 300] [--output FILE] [--overwrite]

Writes `spunup_T21L8.nc`: the last state of a `--days`-day run of the `held_suarez` case (Held &
Suarez 1994 cooling and Rayleigh drag, flat Earth, T21, 8 equidistant σ layers, dt = 1800 s,
float32) in the `ngcm_lab.xarray_io` layout. `ngcm_lab.experiments.learn_drag_truth` starts the
perfect-model truth from it, so that no spin-up has to be repeated where the truth is made.
"""

from __future__ import annotations

import argparse
import pathlib
import time

import jax

from ngcm_lab import files
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.xarray_io import state_to_dataset

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=300.0)
    parser.add_argument("--output", type=pathlib.Path, default=HERE / "spunup_T21L8.nc")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    output = files.check_output(args.output, overwrite=args.overwrite)

    model = PrimitiveEquationsModel.from_case("held_suarez", "T21", layers=8)
    tic = time.perf_counter()
    run = model.run(args.days, output_interval_hours=24.0 * 25)
    wall = time.perf_counter() - tic
    final = jax.tree.map(lambda x: x[-1], run.states)
    ds = state_to_dataset(model, final, time_s=float(run.times_s[-1]))
    ds.attrs.update(
        title="Held-Suarez T21 L8 after a spin-up from rest (learn-drag truth's initial state)",
        spinup_days=args.days,
        wall_time_s=round(wall, 1),
        script="data_samples/learn_drag/make_spinup.py",
    )
    speed = ds["u"].isel(time=0, level=-1)
    print(f"{args.days:g} days in {wall:.0f} s; lowest-layer |u| max {float(abs(speed).max()):.1f}")
    with files.atomic_path(output) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
