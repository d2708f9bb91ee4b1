"""`python -m benchmarks.accelerator --smoke` on the CPU: the report's shape, not its speed.

The script is meant for a GPU or TPU; here its smoke sizes run on whatever device there is, and
the test checks that every section reports finite, positive timings under the keys the summary
reads, and that the float32 run agrees with the float64 one to float32 round-off.
"""

import json
import math

from benchmarks import __main__ as bench
from benchmarks import accelerator


def _positive(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_smoke_report_has_finite_positive_timings_and_a_full_precision_check(tmp_path, capsys):
    path = tmp_path / "accelerator.json"
    report = accelerator.run(["--smoke", "--json", str(path)])
    assert json.loads(path.read_text()) == json.loads(json.dumps(report))
    assert report["mode"] == "smoke"
    assert report["command"] == f"python -m benchmarks.accelerator --smoke --json {path}"
    env = report["environment"]
    for key in ("device_kind", "platform", "jax", "jaxlib", "dtype"):
        assert env[key], key
    assert env["precision_flags"]["ngcm_lab_matmul_precision"] == "highest"
    sections = report["sections"]
    assert list(sections) == list(report["section_wall_s"]) == list(accelerator.SECTIONS)
    assert all(_positive(t) for t in report["section_wall_s"].values())

    timed = [sections["shallow_water"], *sections["held_suarez"].values()]
    assert list(sections["held_suarez"]) == ["T21_L4", "T42_L4"]
    for entry in timed:
        for key in ("ms_per_step", "ms_per_step_best_run", "compile_and_first_run_s"):
            assert _positive(entry[key]), (key, entry[key])
    assert all(entry["finite"] for entry in sections["held_suarez"].values())
    gradient = sections["hybrid_gradients"]["remat"]
    for key in ("forward_ms", "gradient_ms", "gradient_over_forward", "gradient_compile_s"):
        assert _positive(gradient[key]), (key, gradient[key])

    precision = sections["precision"]
    assert precision["state_dtypes"] == {"float32_run": "complex64", "float64_run": "complex128"}
    assert set(precision["matmul_precisions_in_step"]) == {"HIGHEST"}
    assert 0 < precision["max_relative_difference"] < precision["threshold"]
    assert precision["reduced_precision_suspected"] is False
    assert "reduced precision suspected: False" in capsys.readouterr().out
    # RESULTS.md points to a recorded run by its device.
    assert env["device_kind"] in bench.accelerator_note(path)[-1]
