"""ResolutionPicker driven without a browser: estimates, suggested dt, invalid choices."""

from __future__ import annotations

import pytest

from ngcm_lab.primitive_model import suggested_dt
from ngcm_lab.spherical_harmonics import Grid, resolution_names
from ngcm_lab.widgets import ResolutionPicker, RunSettings
from ngcm_lab.widgets.resolution import courant_number, primitive_resource_estimate


def test_lists_every_resolution_and_suggests_dt():
    picker = ResolutionPicker("T42", 20)
    assert [value for _, value in picker.resolution.options] == resolution_names()
    assert picker.dt.value == suggested_dt(Grid.from_name("T42")) == 900.0
    assert picker.settings == RunSettings("T42", 20, 900.0, 6 * 3600.0)
    assert picker.valid and not picker.apply_button.disabled
    picker.resolution.value = "T85"
    assert picker.dt.value == suggested_dt(Grid.from_name("T85"))
    picker.dt.value = 60.0
    picker.resolution.value = "T21"  # a new resolution resets dt to its suggestion
    assert picker.dt.value == 1800.0
    picker.dt.value = 60.0
    picker.suggest_button.click()
    assert picker.dt.value == 1800.0


def test_estimate_is_shown_before_running_and_scales():
    picker = ResolutionPicker("T21", 8)
    text = picker.estimate.value
    assert "2,048 columns × 8 layers" in text and "MB" in text and "simulated day" in text
    small = picker.resources()
    picker.resolution.value = "T85"
    picker.layers.value = 20
    big = picker.resources()
    assert big["memory_mb"] > 10 * small["memory_mb"]
    assert big["seconds_per_step"] > 30 * small["seconds_per_step"]
    assert "32,768 columns × 20 layers" in picker.estimate.value


def test_resource_estimate_counts_arrays():
    e = primitive_resource_estimate("T21", 10, 1800.0)
    assert e["grid_points"] == 32 * 64 and e["steps_per_day"] == 48
    assert e["wall_s_per_day"] == pytest.approx(48 * e["seconds_per_step"])
    assert e["sim_days_per_s"] == pytest.approx(1 / e["wall_s_per_day"])
    moist = primitive_resource_estimate("T21", 10, 1800.0, tracers=1)
    assert moist["memory_mb"] > e["memory_mb"]
    f64 = primitive_resource_estimate("T21", 10, 1800.0, dtype="float64")
    assert f64["memory_mb"] > e["memory_mb"] and f64["seconds_per_step"] > e["seconds_per_step"]
    measured = primitive_resource_estimate("T21", 10, 1800.0, seconds_per_step=0.01)
    assert measured["sim_days_per_s"] == pytest.approx(1 / 0.48)
    assert courant_number("T42", 900.0) == pytest.approx(80 * 42 * 900 / 6.37122e6)


def test_dt_not_dividing_the_interval_is_explained_and_disabled():
    picker = ResolutionPicker("T21", 8)
    picker.dt.value = 700.0
    assert not picker.valid and picker.apply_button.disabled
    assert "does not divide the output interval" in picker.message.value
    assert "color:#b00020" in picker.message.value
    called = []
    picker.on_apply(called.append)
    assert not picker.apply() and called == [] and "divide" in picker.last_error
    picker.interval.value = 3600.0  # 700 s does not divide one hour either
    assert not picker.valid
    picker.dt.value = 600.0
    assert picker.valid and not picker.apply_button.disabled
    assert picker.apply() and called == [RunSettings("T21", 8, 600.0, 3600.0)]


@pytest.mark.parametrize("dt", [0.0, -5.0, float("nan"), 1e9])
def test_bad_dt_is_explained_not_raised(dt):
    picker = ResolutionPicker("T21", 8)
    picker.dt.value = dt
    assert not picker.valid and picker.apply_button.disabled
    assert picker.problems()[0] in picker.message.value.replace("&#x27;", "'")


def test_huge_memory_is_disabled():
    picker = ResolutionPicker("T21", 8, memory_limit_mb=50.0)
    assert picker.valid
    picker.resolution.value = "TL255"
    picker.layers.value = 40
    assert not picker.valid and picker.apply_button.disabled
    assert "exceeds the limit" in picker.message.value


def test_large_courant_number_warns_but_allows():
    picker = ResolutionPicker("T42", 8)
    picker.dt.value = 3600.0
    assert picker.valid and not picker.apply_button.disabled
    assert "Courant number" in picker.message.value and "blow up" in picker.message.value


def test_measured_speed_replaces_the_estimate():
    picker = ResolutionPicker("T21", 8)
    assert "estimated" in picker.estimate.value
    picker.set_measured_seconds_per_step(0.002)
    assert "measured 2 ms per step" in picker.estimate.value
    picker.layers.value = 9  # another choice: back to the estimate
    assert "estimated" in picker.estimate.value


def test_apply_callback_errors_are_shown():
    picker = ResolutionPicker("T21", 8)

    def broken(_settings):
        raise RuntimeError("boom")

    picker.on_apply(broken)
    assert not picker.apply()
    assert "boom" in picker.message.value


def test_calibrate_rescales_the_speed_model():
    picker = ResolutionPicker("T21", 4)
    before = picker.resources()["seconds_per_step"]
    factor = picker.calibrate(layers=2, steps=2)
    assert factor > 0 and picker.speed_factor == factor
    assert picker.resources()["seconds_per_step"] == pytest.approx(before * factor)


def test_bad_constructor_arguments_raise():
    with pytest.raises(ValueError, match="valid"):
        ResolutionPicker("T43")
    with pytest.raises(ValueError, match="interval_hours"):
        ResolutionPicker("T21", interval_hours=5.0)
