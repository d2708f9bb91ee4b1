"""`python -m benchmarks --quick` for ngcm_lab's side: the report's shape, not its speed.

Dinosaur is not needed (its entries are then "not run" and every ratio with it is None), and no
figure is compared with a threshold: the test checks that each section runs and reports finite,
positive numbers under the keys RESULTS.md reads.
"""

import json
import math

import pytest

from benchmarks import __main__ as bench
from benchmarks import first_map


def _positive(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def _assert_timed(entry: dict) -> None:
    for key in ("steps_per_second", "compile_and_first_run_s", "median_run_s", "min_run_s"):
        assert _positive(entry[key]), (key, entry[key])
    assert len(entry["run_times_s"]) == entry["repeats"] == 1
    assert all(_positive(t) for t in entry["run_times_s"])


def _assert_gradient_figures(figures: dict) -> None:
    for key in (
        "forward_s",
        "gradient_s",
        "gradient_over_forward",
        "gradient_over_forward_best_run",
        "forward_compile_s",
        "gradient_compile_s",
        "forward_scratch_bytes",
        "gradient_scratch_bytes",
    ):
        assert _positive(figures[key]), (key, figures[key])


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    argv = ["--quick", "--no-dinosaur", "--repeats", "1"]
    argv += ["--json", str(out / "all.json"), "--markdown", str(out / "RESULTS.md")]
    report = bench.run(argv)
    return report, out


def test_quick_report_has_every_section_with_finite_positive_figures(quick_report):
    report, out = quick_report
    assert json.loads((out / "all.json").read_text()) == json.loads(json.dumps(report))
    assert report["mode"] == "quick"
    assert report["command"].startswith("python -m benchmarks --quick")
    env = report["environment"]
    assert env["cpu_count"] >= 1 and env["devices"] and env["jax"] and env["cpu_model"]
    assert len(env["load_average_1_5_15_min"]) == 3
    assert list(report["sections"]) == list(bench.SECTIONS)
    for section in report["sections"].values():
        assert _positive(section["wall_s"])
        assert set(section["load_average_1_5_15_min"]) == {"start", "end"}

    for name in ("shallow_water", "held_suarez"):
        for entry in report["sections"][name]["results"].values():
            _assert_timed(entry["ngcm_lab"])
            assert entry["dinosaur"] == {"skipped": "--no-dinosaur"}
            ratios = entry["ratio_ngcm_lab_over_dinosaur"]
            assert ratios["steps_per_second"] is None
            assert ratios["steps_per_second_best_run"] is None
    for entry in report["sections"]["shallow_water"]["results"].values():
        assert entry["ngcm_lab"]["steady_state_check"]["finite"]
    for entry in report["sections"]["held_suarez"]["results"].values():
        assert entry["ngcm_lab"]["check"]["finite"]
        assert _positive(entry["ngcm_lab"]["xla_temp_bytes"])
        assert _positive(entry["ngcm_lab"]["xla_flops_per_step"])

    (step,) = report["sections"]["hybrid_step"]["results"].values()
    for name in ("hybrid", "dycore"):
        _assert_timed(step[name])
        assert _positive(step[name]["dycore_steps_per_second"])
        assert step[name]["check"]["finite"]
    assert step["hybrid"]["dycore_steps_per_run"] == step["dycore"]["dycore_steps_per_run"]
    assert all(_positive(x) for x in step["hybrid_cost_over_dycore"].values())

    (row,) = report["sections"]["hybrid_gradients"]["results"]
    dycore = report["sections"]["dycore_gradients"]["results"]
    assert dycore["dinosaur"] == {"skipped": "--no-dinosaur"}
    for figures in (row["remat"], dycore["ngcm_lab"]["remat"]):
        _assert_gradient_figures(figures)

    # Fresh processes from import to a map PNG: every phase timed, the PNG written, the child's
    # phases inside the parent's clock. Cold and warm each had a run of their own.
    first = report["sections"]["first_map"]
    for kind in ("cold", "warm"):
        (child,) = first[kind]["runs"]
        assert all(_positive(child[key]) for key in ("wall_s", *first_map.PHASES)), child
        assert sum(child[key] for key in first_map.PHASES) < child["wall_s"]
        assert child["png_bytes"] > 10_000  # a drawn map, not an empty figure


def test_results_markdown_names_the_machine_command_and_every_section(quick_report):
    report, out = quick_report
    text = (out / "RESULTS.md").read_text()
    assert "Quick mode" in text
    assert report["command"] in text
    assert report["environment"]["cpu_model"] in text
    assert "Load average" in text
    for title, *_ in bench.TITLES.values():
        assert f"## {title}" in text
    assert "not run (--no-dinosaur)" in text
    assert text.rstrip().endswith("\n".join(bench.accelerator_note()))


def test_only_and_repeats_select_sections_and_sizes():
    args = bench.parse_args(["--quick", "--only", "held_suarez,hybrid_step", "--repeats", "3"])
    assert args.sections == ["held_suarez", "hybrid_step"]
    kwargs = bench.section_kwargs("held_suarez", args)
    assert kwargs["repeats"] == 3 and kwargs["with_dinosaur"]
    assert "with_dinosaur" not in bench.section_kwargs("hybrid_step", args)
    with pytest.raises(SystemExit):
        bench.parse_args(["--only", "nonsense"])
