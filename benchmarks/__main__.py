"""One benchmark entry: every section side by side, one JSON and a generated RESULTS.md.

    python -m benchmarks [--quick] [--only SECTION[,SECTION]] [--repeats N] [--no-dinosaur]
                         [--dinosaur-fast] [--json PATH] [--markdown PATH]

Sections (all run in this one process, both engines of a section in it, their timed calls
interleaved): shallow_water (Williamson TC2 at T42 and T85, ngcm_lab vs Dinosaur), held_suarez
(T42 L24 and TL63 L32 at dt 600 s, ngcm_lab vs Dinosaur), hybrid_step (HybridModel at T21 L8
and TL63 L32 vs its plain dycore), hybrid_gradients (24- and 96-step rollouts at T21 L8: gradient
over forward time, scratch bytes, compile times), dycore_gradients (the same figures for a
Held–Suarez T21 L8 dycore rollout alone, ngcm_lab vs Dinosaur: the reference for
hybrid_gradients), first_map (a fresh process from import to
a T42 forecast map, with an empty and a filled compilation cache). ``--quick`` runs tiny sizes
and few repeats: a smoke test of the machinery whose figures mean little.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import (
    accelerator,
    dycore_gradients,
    first_map,
    held_suarez,
    hybrid_gradients,
    hybrid_step,
    shallow_water,
)
from ._timing import environment, load_average

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "all.json"
DEFAULT_MARKDOWN = HERE / "RESULTS.md"

# Per section: (run function, keyword arguments of the full run, of the quick run). The repeats
# and Dinosaur options are added by `section_kwargs`.
SECTIONS: dict[str, tuple[Callable[..., dict[str, Any]], dict[str, Any], dict[str, Any]]] = {
    "shallow_water": (
        shallow_water.run,
        {"resolutions": ("T42", "T85"), "repeats": 5},
        {"resolutions": ("T42",), "nsteps": 5, "repeats": 2},
    ),
    "held_suarez": (
        held_suarez.run,
        {"cases": (("T42", 24), ("TL63", 32)), "nsteps": 20, "repeats": 5},
        {"cases": (("T21", 4),), "nsteps": 2, "repeats": 2},
    ),
    "hybrid_step": (
        hybrid_step.run,
        {"cases": (("T21", 8), ("TL63", 32)), "intervals": 6, "repeats": 5},
        {"cases": (("T21", 4),), "intervals": 2, "repeats": 2},
    ),
    "hybrid_gradients": (
        hybrid_gradients.run,
        {"resolution": "T21", "layers": 8, "steps": (24, 96), "repeats": 3},
        {"resolution": "T21", "layers": 4, "steps": (4,), "remats": (True,), "repeats": 2},
    ),
    "dycore_gradients": (
        dycore_gradients.run,
        {"resolution": "T21", "layers": 8, "dt": 1800.0, "steps": 24, "repeats": 5},
        {"resolution": "T21", "layers": 4, "steps": 2, "remats": (True,), "repeats": 2},
    ),
    "first_map": (
        first_map.run,
        {"resolution": "T42", "layers": 20, "days": 1.0, "repeats": 3},
        {"resolution": "T21", "layers": 4, "days": 0.25, "repeats": 1},
    ),
}
WITH_DINOSAUR = ("shallow_water", "held_suarez", "dycore_gradients")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes and repeats (smoke test)")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})",
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per model")
    parser.add_argument("--no-dinosaur", action="store_true", help="run ngcm_lab's side only")
    parser.add_argument(
        "--dinosaur-fast",
        action="store_true",
        help="also time Dinosaur with FastSphericalHarmonics (entries dinosaur_fast)",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where the JSON goes")
    parser.add_argument(
        "--markdown", type=Path, default=DEFAULT_MARKDOWN, help="where the summary goes"
    )
    args = parser.parse_args(argv)
    args.sections = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown or not args.sections:
        parser.error(f"--only takes sections among {', '.join(SECTIONS)} (got {args.only!r})")
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def section_kwargs(name: str, args: argparse.Namespace) -> dict[str, Any]:
    _, full, quick = SECTIONS[name]
    kwargs = dict(quick if args.quick else full)
    if args.repeats is not None:
        kwargs["repeats"] = args.repeats
    if name in WITH_DINOSAUR:
        kwargs["with_dinosaur"] = not args.no_dinosaur
        kwargs["dinosaur_impls"] = ("real", "fast") if args.dinosaur_fast else ("real",)
    return kwargs


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Runs the asked sections; returns (and writes) the report."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    start = time.perf_counter()
    report: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "benchmarks", *argv]),
        "mode": "quick" if args.quick else "full",
        "environment": environment(),
        "sections": {},
    }
    for name in args.sections:
        kwargs = section_kwargs(name, args)
        print(f"{name}: running", file=sys.stderr, flush=True)
        tic, load = time.perf_counter(), load_average()
        section = SECTIONS[name][0](**kwargs)
        section["wall_s"] = time.perf_counter() - tic
        section["load_average_1_5_15_min"] = {"start": load, "end": load_average()}
        report["sections"][name] = section
        print(f"{name}: done in {section['wall_s']:.0f} s", file=sys.stderr, flush=True)
    report["environment"]["load_average_1_5_15_min_at_end"] = load_average()
    report["wall_s"] = time.perf_counter() - start

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(markdown(report))
    print(f"wrote {args.json} and {args.markdown}", file=sys.stderr)
    return report


# ---------------------------------------------------------------------------------------------
# RESULTS.md
# ---------------------------------------------------------------------------------------------


def _number(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}"


def _ratio(value: Any) -> str:
    return "—" if not isinstance(value, int | float) else f"{value:.2f}×"


def _mb(value: Any) -> str:
    return "—" if not isinstance(value, int | float) else f"{value / 1e6:.1f}"


def _speed(entry: dict[str, Any], key: str = "steps_per_second") -> str:
    """Median / best-run steps per second of one model, or why it has none."""
    if "error" in entry:
        return f"error: {entry['error'].splitlines()[0][:80]}"
    if "skipped" in entry:
        return f"not run ({entry['skipped']})"
    best = entry["nsteps_per_run"] / entry["min_run_s"]
    if key == "dycore_steps_per_second":
        best = entry["dycore_steps_per_run"] / entry["min_run_s"]
    return f"{_number(entry.get(key))} / {_number(best)}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _dinosaur_keys(results: dict[str, Any]) -> list[str]:
    first = next(iter(results.values()), {})
    return [key for key in first if key.startswith("dinosaur")]


def _versus_dinosaur(
    section: dict[str, Any], case: Callable[[str, dict[str, Any]], str], extra: dict[str, str]
) -> list[str]:
    """One row per case and Dinosaur entry: speeds, speed ratios and the `extra` ratios
    (column title → ratio key)."""
    rows = []
    for name, entry in section["results"].items():
        for key in _dinosaur_keys(section["results"]):
            ratios = entry[f"ratio_ngcm_lab_over_{key}"]
            rows.append(
                [
                    case(name, entry),
                    _speed(entry["ngcm_lab"]),
                    f"{key}: {_speed(entry[key])}",
                    _ratio(ratios["steps_per_second"]),
                    _ratio(ratios["steps_per_second_best_run"]),
                    *(_ratio(ratios[k]) for k in extra.values()),
                ]
            )
    titles = ["case", "ngcm_lab steps/s (median / best)", "Dinosaur steps/s (median / best)"]
    return _table([*titles, "ratio", "ratio, best runs", *extra], rows)


def _shallow_water(section: dict[str, Any]) -> list[str]:
    return _versus_dinosaur(
        section, lambda res, e: f"{res} ({e['grid_nlon_x_nlat']}), dt {e['dt_s']:g} s", {}
    )


def _held_suarez(section: dict[str, Any]) -> list[str]:
    extra = {
        "XLA scratch ratio": "xla_temp_bytes",
        "flops/step ratio": "xla_flops_per_step",
        "compile ratio": "compile_and_first_run_s",
    }
    return _versus_dinosaur(section, lambda case, e: f"{case}, dt {e['dt_s']:g} s", extra)


def _hybrid_step(section: dict[str, Any]) -> list[str]:
    rows = []
    for case, entry in section["results"].items():
        cost = entry["hybrid_cost_over_dycore"]
        rows.append(
            [
                f"{case}, dt {entry['dt_s']:g} s, network every "
                f"{entry['physics_interval_s'] / 60:g} min",
                _speed(entry["dycore"], "dycore_steps_per_second"),
                _speed(entry["hybrid"], "dycore_steps_per_second"),
                _ratio(cost["steps_per_second"]),
                _ratio(cost["steps_per_second_best_run"]),
            ]
        )
    return _table(
        [
            "case",
            "dycore steps/s (median / best)",
            "hybrid, dycore steps/s (median / best)",
            "hybrid cost / dycore",
            "same, best runs",
        ],
        rows,
    )


GRADIENT_COLUMNS = [
    "forward s",
    "gradient s",
    "gradient / forward",
    "same, best runs",
    "scratch MB (fwd / grad)",
    "first call s (fwd / grad)",
]


def _gradient_cells(r: dict[str, Any]) -> list[str]:
    """The `GRADIENT_COLUMNS` of one forward-and-gradient pair (`_timing.gradient_figures`)."""
    return [
        _number(r["forward_s"]),
        _number(r["gradient_s"]),
        _ratio(r["gradient_over_forward"]),
        _ratio(r["gradient_over_forward_best_run"]),
        f"{_mb(r['forward_scratch_bytes'])} / {_mb(r['gradient_scratch_bytes'])}",
        f"{_number(r['forward_compile_s'])} / {_number(r['gradient_compile_s'])}",
    ]


def _hybrid_gradients(section: dict[str, Any]) -> list[str]:
    rows = []
    for row in section["results"]:
        for remat in ("remat", "no_remat"):
            if remat in row:
                steps = f"{row['dycore_steps']} ({row['physics_intervals']} intervals)"
                yes = "yes" if remat == "remat" else "no"
                rows.append([steps, yes, *_gradient_cells(row[remat])])
    return _table(["dycore steps", "remat", *GRADIENT_COLUMNS], rows)


def _dycore_gradients(section: dict[str, Any]) -> list[str]:
    rows = []
    for engine, entry in section["results"].items():
        if "error" in entry or "skipped" in entry:
            rows.append([engine, *(["—"] * len(GRADIENT_COLUMNS)), _speed(entry)])
            continue
        for remat, r in entry.items():
            rows.append([engine, "yes" if remat == "remat" else "no", *_gradient_cells(r)])
    return _table(["engine", "checkpoint per step", *GRADIENT_COLUMNS], rows)


def _first_map(section: dict[str, Any]) -> list[str]:
    rows = []
    for kind in ("cold", "warm"):
        med, best = section[kind]["median"], section[kind]["min"]
        rows.append(
            [
                f"{kind} ({'empty' if kind == 'cold' else 'filled'} compilation cache)",
                f"{_number(med['wall_s'])} / {_number(best['wall_s'])}",
                *(_number(med[k], 2) for k in first_map.PHASES),
            ]
        )
    phases = [f"{k.removesuffix('_s')} s" for k in first_map.PHASES]
    return _table(["start", "wall s (median / best)", *phases], rows)


def _timed_calls(section: dict[str, Any]) -> str:
    return f"{section['repeats']} timed calls per model after the first"


def _dycore_gradients_setup(section: dict[str, Any]) -> str:
    return (
        f"Held–Suarez {section['resolution']} L{section['layers']}, dt {section['dt_s']:g} s, "
        f"{section['steps']} steps, the loss and its gradient with respect to the initial "
        f"state; {section['repeats']} timed calls per program after the first"
    )


def _first_map_setup(section: dict[str, Any]) -> str:
    return (
        f"{section['resolution']} L{section['layers']} Jablonowski–Williamson wave, "
        f"{section['forecast_days']:g}-day forecast, surface-pressure map to PNG (issue 15's "
        f"target: {section['target_s']:g} s cold); {section['repeats']} cold-then-warm pairs "
        "of fresh processes; phases are medians"
    )


# Per section of RESULTS.md: its title, its table and the sentence that says how it was timed.
TITLES = {
    "shallow_water": ("Shallow water, Williamson TC2 (float32)", _shallow_water, _timed_calls),
    "held_suarez": ("Held–Suarez (float32)", _held_suarez, _timed_calls),
    "hybrid_step": (
        "Hybrid step against the plain dycore (float32)",
        _hybrid_step,
        _timed_calls,
    ),
    "hybrid_gradients": (
        "Gradients of hybrid rollouts (float32)",
        _hybrid_gradients,
        _timed_calls,
    ),
    "dycore_gradients": (
        "Gradients of dycore rollouts, ngcm_lab and Dinosaur (float32)",
        _dycore_gradients,
        _dycore_gradients_setup,
    ),
    "first_map": (
        "From a fresh process to the first forecast map",
        _first_map,
        _first_map_setup,
    ),
}


def markdown(report: dict[str, Any]) -> str:
    """RESULTS.md: the machine, the command, the load and one table per section."""
    env = report["environment"]
    lines = ["# Benchmark results", ""]
    lines += ["Generated by `python -m benchmarks`; do not edit by hand.", ""]
    if report["mode"] == "quick":
        lines += [
            "**Quick mode (`--quick`): tiny sizes and repeats, a smoke test of the benchmark "
            "itself. These are not the benchmark's figures; run it without `--quick` for them.**",
            "",
        ]
    lines += [
        f"- Command: `{report['command']}` (wall time {report['wall_s']:.0f} s)",
        f"- CPU: {env['cpu_model']}, {env['cpu_count']} cores; devices: "
        f"{', '.join(env['devices'])} (backend {env['backend']})",
        f"- Versions: jax {env['jax']}, jaxlib {env['jaxlib']}, dinosaur {env['dinosaur']}, "
        f"Python {env['python']}",
        "- Load average (1, 5, 15 min): "
        + ", ".join(
            f"{label} {'/'.join(f'{x:g}' for x in values)}"
            for label, values in (
                ("start", env["load_average_1_5_15_min"]),
                ("end", env["load_average_1_5_15_min_at_end"]),
            )
        ),
        "",
        "Speeds are the median and the fastest of the interleaved timed calls; ratios are "
        "ngcm_lab over Dinosaur (> 1: ngcm_lab faster or larger) and compare figures of this one "
        "run only. Above a load average of the core count, prefer the best-run ratios.",
    ]
    for name, section in report["sections"].items():
        title, table, setup = TITLES[name]
        load = section["load_average_1_5_15_min"]
        lines += ["", f"## {title}", ""]
        what = setup(section)
        lines += [
            f"{what}; section wall time {section['wall_s']:.0f} s; 1-min load average "
            f"{load['start'][0]:g} at the start, {load['end'][0]:g} at the end.",
            "",
        ]
        lines += table(section)
    return "\n".join([*lines, "", *accelerator_note()]) + "\n"


def accelerator_note(path: Path = accelerator.DEFAULT_JSON) -> list[str]:
    """The closing section of RESULTS.md: where the accelerator run's figures are kept."""
    lines = ["## Accelerator (GPU / TPU)", ""]
    if not path.exists():
        return lines + [
            "No accelerator run has been recorded yet. On a machine with a GPU or TPU, run "
            f"`{accelerator.COMMAND}` from the repository root; it writes "
            f"`benchmarks/results/{path.name}` (see README.md)."
        ]
    env = json.loads(path.read_text())["environment"]
    return lines + [
        f"`{accelerator.COMMAND}` was last recorded on {env['device_kind']} "
        f"({env['platform']}), jax {env['jax']}: see `benchmarks/results/{path.name}`."
    ]


if __name__ == "__main__":
    run()
