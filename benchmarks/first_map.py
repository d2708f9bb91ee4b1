"""Time to a student's first forecast map, in a fresh Python process.

The child process does what notebook 03 does first: import ngcm_lab, build the
Jablonowski–Williamson wave at T42 L20, forecast one day, turn it into an xarray Dataset and draw
the surface-pressure map to a PNG. Issue 15's target is 10 s from a cold start. Each repeat runs
the child twice: **cold**, with an empty persistent compilation cache (a student's first run),
then **warm**, with the cache that run filled (the notebook opened again). The child sees the
user's defaults, not the test suite's cache settings. Wall time is the parent's clock around
the whole child, interpreter start included; the phases are the child's own clock.

Run it through ``python -m benchmarks --only first_map`` (`run` is this section).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

PHASES = ("import_s", "model_s", "forecast_s", "dataset_s", "map_s")

# The child prints its clock at its start and after each of PHASES, in order.
CHILD = r"""
import json, sys, time
marks = [time.perf_counter()]
import ngcm_lab  # turns the persistent compilation cache on
from ngcm_lab import xarray_io
from ngcm_lab.plotting import plot_map
from ngcm_lab.primitive_model import PrimitiveEquationsModel
resolution, layers, days, png = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
marks.append(time.perf_counter())
model = PrimitiveEquationsModel.from_case("jablonowski_williamson", resolution, layers=layers)
marks.append(time.perf_counter())
run = model.run(days, progress=False)
marks.append(time.perf_counter())
ds = xarray_io.trajectory_to_dataset(model, run)
marks.append(time.perf_counter())
plot_map(ds["surface_pressure"].isel(time=-1), title=f"day {days:g}").savefig(png)
marks.append(time.perf_counter())
print(json.dumps(marks))
"""


def _child_env(cache: Path) -> dict[str, str]:
    """The user's environment with only the compilation cache moved to `cache`: no cache
    threshold or location the test suite or a shell may have set (other JAX settings, such as
    `JAX_PLATFORMS`, stay)."""
    env = {k: v for k, v in os.environ.items() if not (k.startswith("JAX_") and "CACHE" in k)}
    env.pop("NGCM_LAB_COMPILATION_CACHE", None)
    env["JAX_COMPILATION_CACHE_DIR"] = str(cache)
    env["MPLBACKEND"] = "Agg"
    return env


def one_child(resolution: str, layers: int, days: float, cache: Path, png: Path) -> dict:
    """One child process: its wall time on the parent's clock and its phases."""
    tic = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, resolution, str(layers), str(days), str(png)],
        env=_child_env(cache),
        capture_output=True,
        text=True,
        timeout=600,
    )
    wall = time.perf_counter() - tic
    if done.returncode != 0:
        raise RuntimeError(f"first-map child failed: {done.stderr.strip()[-2000:]}")
    marks = json.loads(done.stdout.strip().splitlines()[-1])
    phases = {k: b - a for k, a, b in zip(PHASES, marks[:-1], marks[1:], strict=True)}
    return {"wall_s": wall, **phases, "png_bytes": png.stat().st_size}


def _summary(runs: list[dict]) -> dict[str, Any]:
    keys = ("wall_s", *PHASES)
    return {
        "median": {k: median(r[k] for r in runs) for k in keys},
        "min": {k: min(r[k] for r in runs) for k in keys},
        "runs": runs,
    }


def run(
    resolution: str = "T42", layers: int = 20, days: float = 1.0, repeats: int = 3
) -> dict[str, Any]:
    """The first-map section: `repeats` pairs of (cold, warm) child processes, interleaved."""
    cold, warm = [], []
    with tempfile.TemporaryDirectory(prefix="ngcm_lab_first_map_") as tmp:
        for i in range(repeats):
            cache = Path(tmp) / f"cache{i}"
            cold.append(one_child(resolution, layers, days, cache, Path(tmp) / f"cold{i}.png"))
            warm.append(one_child(resolution, layers, days, cache, Path(tmp) / f"warm{i}.png"))
    return {
        "benchmark": "fresh process: import, Jablonowski–Williamson model, forecast, map PNG",
        "resolution": resolution,
        "layers": layers,
        "forecast_days": days,
        "repeats": repeats,
        "timing": "wall = the parent's clock around the child (interpreter start included); "
        "phases = the child's clock; cold = empty compilation cache, warm = the cache the cold "
        "run of the same repeat filled",
        "target_s": 10.0,
        "cold": _summary(cold),
        "warm": _summary(warm),
    }
