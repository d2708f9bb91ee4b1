"""A long Held & Suarez (1994) run reduced to its climatology: zonal means and eddy statistics.

    python data_samples/held_suarez_climatology/make_climatology.py \
        --resolution T42 --layers 20 --days 1000 --spinup-days 200 --dt 900

The state is sampled once per simulated day. After `--spinup-days` the samples are accumulated
into time means (float64, on the host) of the zonal-mean u, v, T and of the eddy statistics of
Held & Suarez's figures: eddy kinetic energy, temperature variance, and the eddy fluxes of
momentum u′v′ and heat v′T′ (primes: departures from the zonal mean). Every day also records the
global-mean surface pressure (dry-mass drift) and the strongest zonal-mean wind. A checkpoint
(npz of plain arrays, read with ``allow_pickle=False``) every `--checkpoint-days` lets an
interrupted run resume where it stopped with the same numbers.
"""

from __future__ import annotations

import argparse
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from ngcm_lab import __version__
from ngcm_lab.primitive_equations import PrimitiveEquationsState
from ngcm_lab.primitive_model import PrimitiveEquationsModel

HERE = pathlib.Path(__file__).parent
STATISTICS = (
    "u",
    "v",
    "temperature",
    "eddy_kinetic_energy",
    "temperature_variance",
    "eddy_momentum_flux",
    "eddy_heat_flux",
)


def daily_statistics(fields: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Zonal means and eddy (co)variances of one sample, each of shape (L, nlat)."""
    u, v, t = fields["u"], fields["v"], fields["temperature"]
    du, dv, dt = (x - x.mean(-1, keepdims=True) for x in (u, v, t))
    return {
        "u": u.mean(-1),
        "v": v.mean(-1),
        "temperature": t.mean(-1),
        "eddy_kinetic_energy": 0.5 * (du**2 + dv**2).mean(-1),
        "temperature_variance": (dt**2).mean(-1),
        "eddy_momentum_flux": (du * dv).mean(-1),
        "eddy_heat_flux": (dv * dt).mean(-1),
    }


def _save_checkpoint(path, day, state, sums, n_samples, series):
    arrays = {
        f"state_{k}": np.asarray(getattr(state, k))
        for k in ("vorticity", "divergence", "temperature_variation", "log_surface_pressure")
    }
    arrays |= {f"sum_{k}": v for k, v in sums.items()}
    arrays |= {f"series_{k}": np.asarray(v) for k, v in series.items()}
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, day=day, n_samples=n_samples, **arrays)
    tmp.replace(path)


def _load_checkpoint(path, dtype):
    with np.load(path, allow_pickle=False) as f:
        state = PrimitiveEquationsState(
            *(
                jnp.asarray(f[f"state_{k}"])
                for k in (
                    "vorticity",
                    "divergence",
                    "temperature_variation",
                    "log_surface_pressure",
                )
            ),
            {},
        )
        sums = {k: f[f"sum_{k}"] for k in STATISTICS}
        series = {k[len("series_") :]: list(f[k]) for k in f.files if k.startswith("series_")}
        return int(f["day"]), state, sums, int(f["n_samples"]), series


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="T42")
    parser.add_argument("--layers", type=int, default=20)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--spinup-days", type=int, default=200)
    parser.add_argument("--dt", type=float, default=900.0)
    parser.add_argument("--checkpoint-days", type=int, default=25)
    parser.add_argument(
        "--checkpoint",
        type=pathlib.Path,
        default=None,
        help="checkpoint file (default: next to the output, *.checkpoint.npz)",
    )
    parser.add_argument("--output", type=pathlib.Path, default=None)
    parser.add_argument(
        "--reduce-only",
        action="store_true",
        help="write the climatology of the days in the checkpoint so far, without running on",
    )
    args = parser.parse_args(argv)

    name = f"held_suarez_{args.resolution}L{args.layers}"
    output = args.output or HERE / f"{name}.nc"
    checkpoint = args.checkpoint or output.with_suffix(".checkpoint.npz")
    model = PrimitiveEquationsModel.from_case("held_suarez", args.resolution, args.layers, args.dt)
    grid, coords = model.grid, model.coords
    one_day = jax.jit(lambda s: model.rollout(s, model.steps_for(1.0)))

    nlat = grid.nodal_shape[0]
    if checkpoint.exists():
        day, state, sums, n_samples, series = _load_checkpoint(checkpoint, grid.dtype)
        print(f"resuming from {checkpoint} at day {day}")
    else:
        day, state, n_samples = 0, model.initial_state, 0
        sums = {k: np.zeros((coords.layers, nlat)) for k in STATISTICS}
        series = {
            "day": [0.0],
            "global_mean_surface_pressure": [model.global_mean_surface_pressure(state)],
            "max_zonal_mean_u": [0.0],
            "wall_seconds": [0.0],
        }

    start = time.perf_counter() - series["wall_seconds"][-1]
    if args.reduce_only:
        args.days = day
    while day < args.days:
        state = one_day(state)
        day += 1
        fields = model.decode(state)
        for key, value in fields.items():
            if not np.all(np.isfinite(value)):
                raise FloatingPointError(f"{key} became non-finite on day {day}")
        stats = daily_statistics(fields)
        if day > args.spinup_days:
            n_samples += 1
            for key in STATISTICS:
                sums[key] += stats[key]
        series["day"].append(float(day))
        series["global_mean_surface_pressure"].append(model.global_mean_surface_pressure(state))
        series["max_zonal_mean_u"].append(float(stats["u"].max()))
        series["wall_seconds"].append(time.perf_counter() - start)
        if day % args.checkpoint_days == 0 or day == args.days:
            _save_checkpoint(checkpoint, day, state, sums, n_samples, series)
            print(
                f"day {day}: max zonal-mean u {stats['u'].max():.1f} m/s, global-mean p_s "
                f"{series['global_mean_surface_pressure'][-1]:.2f} Pa, "
                f"wall {series['wall_seconds'][-1]:.0f} s",
                flush=True,
            )

    ps = np.asarray(series["global_mean_surface_pressure"])
    data = {k: (("sigma", "lat"), sums[k] / max(n_samples, 1)) for k in STATISTICS}
    data |= {
        k: ("day", np.asarray(series[k]))
        for k in ("global_mean_surface_pressure", "max_zonal_mean_u", "wall_seconds")
    }
    units = {
        "u": "m s-1",
        "v": "m s-1",
        "temperature": "K",
        "eddy_kinetic_energy": "m2 s-2",
        "temperature_variance": "K2",
        "eddy_momentum_flux": "m2 s-2",
        "eddy_heat_flux": "K m s-1",
        "global_mean_surface_pressure": "Pa",
        "max_zonal_mean_u": "m s-1",
        "wall_seconds": "s",
    }
    ds = xr.Dataset(
        data,
        coords={
            "sigma": coords.centers,
            "lat": np.degrees(grid.latitudes),
            "day": np.asarray(series["day"]),
        },
        attrs={
            "title": f"Held & Suarez (1994) climatology, ngcm_lab {args.resolution} L{args.layers}",
            "description": "time means of daily samples of zonal means and eddy statistics "
            "(primes: departures from the zonal mean)",
            "resolution": args.resolution,
            "layers": args.layers,
            "dt_s": args.dt,
            "days": args.days,
            "spinup_days": args.spinup_days,
            "samples": n_samples,
            "dtype": np.dtype(grid.dtype).name,
            "ngcm_lab_version": __version__,
            "wall_time_s": float(series["wall_seconds"][-1]),
            "dry_mass_drift": float(ps[-1] / ps[0] - 1.0),
            "command": f"python data_samples/held_suarez_climatology/make_climatology.py "
            f"--resolution {args.resolution} --layers {args.layers} "
            f"--days {args.days} --spinup-days {args.spinup_days} --dt {args.dt:g}",
            "jax_backend": jax.default_backend(),
        },
    )
    for key, unit in units.items():
        ds[key].attrs["units"] = unit
    ds.to_netcdf(output)
    print(
        f"wrote {output}: {n_samples} samples, wall {ds.attrs['wall_time_s']:.0f} s, "
        f"dry-mass drift {ds.attrs['dry_mass_drift']:+.2e}"
    )


if __name__ == "__main__":
    main()
