"""Make the high-resolution shallow-water references that TC5 and TC6 are validated against.

Williamson et al. (1992) have no analytic solution for TC5 (mountain) and TC6 (Rossby–Haurwitz
wave); published errors are measured against a T213 spectral run. This script makes our own: a
T213 run of ngcm_lab (float32: its round-off, ~1e-6 after 5000 steps, is far below the 1e-4 to 1e-3
errors it is used to measure) with daily free-surface height stored as spherical-harmonic
coefficients truncated at T106 (the variance above degree 106 is printed when the script runs and
kept in the file's attributes). TC5 runs its 15 days; TC6 runs 10 days, the length it is
validated over before the wave's own instability grows (Thuburn & Li 2000).

    python data_samples/shallow_water_references/make_references.py [--resolution T213]

Writes `<case>_<resolution>.nc` beside this script: `free_surface_real/imag(time, m, k)` in metres
with the layout of `ngcm_lab.spherical_harmonics.Grid` at truncation `stored_truncation`.
"""

from __future__ import annotations

import argparse
import pathlib
import time

import jax
import numpy as np
import xarray as xr

from ngcm_lab.models import ShallowWaterModel

HERE = pathlib.Path(__file__).parent
STORED_TRUNCATION = 106
DT_S = {"williamson5": 300.0, "williamson6": 200.0}  # advective Courant number ≤ 0.75
DAYS = {"williamson5": 15.0, "williamson6": 10.0}


def make(case: str, resolution: str) -> pathlib.Path:
    model = ShallowWaterModel.from_case(case, resolution, dt=DT_S[case], dtype=np.float32)
    grid = model.grid
    days = DAYS[case]
    start = time.perf_counter()
    result = model.run(days, output_interval_hours=24.0, progress=True)
    wall = time.perf_counter() - start
    surfaces = []
    for i in range(len(result.times_s)):
        state = jax.tree.map(lambda x, i=i: x[i], result.states)
        surfaces.append(model.decode(state)["free_surface"])
    modal = np.asarray(grid.to_modal(np.stack(surfaces)))
    n = grid.total_wavenumber
    power = np.abs(modal) ** 2 * np.where(grid.order == 0, 1.0, 2.0)
    tail = float(np.max(power[:, n > STORED_TRUNCATION].sum(-1) / power[:, n > 0].sum(-1)))
    kept = modal[:, : STORED_TRUNCATION + 1, : STORED_TRUNCATION + 2]
    kept = np.where(
        (n <= STORED_TRUNCATION)[: STORED_TRUNCATION + 1, : STORED_TRUNCATION + 2], kept, 0.0
    )
    dims = ("time", "m", "k")
    ds = xr.Dataset(
        {
            "free_surface_real": (dims, kept.real.astype(np.float64)),
            "free_surface_imag": (dims, kept.imag.astype(np.float64)),
        },
        coords={"time": ("time", result.times_s / 86400.0, {"units": "days"})},
        attrs={
            "case": case,
            "resolution": resolution,
            "dt_s": model.dt_s,
            "stored_truncation": STORED_TRUNCATION,
            "variance_fraction_above_stored_truncation": tail,
            "wall_time_s": wall,
            "made_by": "data_samples/shallow_water_references/make_references.py",
            "description": "free-surface height h + h_s (m), spherical-harmonic coefficients",
        },
    )
    path = HERE / f"{case}_{resolution}.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    print(f"{case}: wall {wall:.0f} s, variance fraction above T{STORED_TRUNCATION}: {tail:.2e}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="T213")
    parser.add_argument("--cases", nargs="+", default=list(DT_S))
    args = parser.parse_args()
    for case in args.cases:
        make(case, args.resolution)


if __name__ == "__main__":
    main()
