"""Jablonowski–Williamson baroclinic wave on a resolution ladder: minimum surface pressure by day.

    python benchmarks/jw_resolution_ladder.py [--resolutions T21 T42 T63 T85] [--layers 20]

Runs the wave for 10 days at each resolution (float32, the suggested dt) and writes the daily
global minimum of p_s (hPa) to `benchmarks/results/jw_resolution_ladder.json`, so the T42
validation (`ngcm-lab validate jablonowski_williamson`) can be read against a converging ladder of
our own model: the minima of days 7–10 should approach each other as the truncation rises.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import jax
import numpy as np

from ngcm_lab.primitive_model import PrimitiveEquationsModel

RESULTS = pathlib.Path(__file__).parent / "results" / "jw_resolution_ladder.json"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolutions", nargs="+", default=["T21", "T42", "T63", "T85"])
    parser.add_argument("--layers", type=int, default=20)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = {}
    for resolution in args.resolutions:
        model = PrimitiveEquationsModel.from_case(
            "jablonowski_williamson", resolution, layers=args.layers
        )
        one_day = jax.jit(lambda s, m=model: m.rollout(s, m.steps_for(1.0)))
        state, minima = model.initial_state, [1000.0]
        tic = time.perf_counter()
        for _ in range(args.days):
            state = one_day(state)
            minima.append(float(np.min(model.decode(state)["surface_pressure"])) / 100.0)
        rows[resolution] = {
            "dt_s": model.dt_s,
            "min_surface_pressure_hpa_by_day": minima,
            "wall_s": time.perf_counter() - tic,
        }
        print(resolution, " ".join(f"{x:.1f}" for x in minima[7:]), flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"layers": args.layers, "runs": rows}, indent=2))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
