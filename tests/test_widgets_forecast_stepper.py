"""ForecastStepper driven without a browser: buttons are clicked from Python."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ngcm_lab.primitive_cases import PRIMITIVE_CASES
from ngcm_lab.widgets import ForecastStepper

HOUR, DAY = 3600.0, 86400.0


@pytest.fixture(scope="module")
def shared() -> ForecastStepper:
    """One T21 L4 Jablonowski–Williamson stepper for the module (compiles once)."""
    return ForecastStepper("jablonowski_williamson", "T21", layers=4)


@pytest.fixture
def stepper(shared: ForecastStepper) -> ForecastStepper:
    shared.stop()
    shared.case.value = "jablonowski_williamson"
    shared.picker.resolution.value = "T21"
    shared.picker.layers.value = 4
    shared.picker.use_suggested_dt()
    shared.picker.interval.value = 6 * HOUR
    shared.select("surface_pressure", 0.85)
    assert shared.build(), shared.last_error
    return shared


def pixels(stepper: ForecastStepper) -> np.ndarray:
    stepper.figure.canvas.draw()
    return np.asarray(stepper.figure.canvas.buffer_rgba()).copy()


def shown_png(stepper: ForecastStepper) -> str:
    (output,) = stepper.output.outputs
    return output["data"]["image/png"]


def test_build_shows_the_initial_state(stepper):
    assert stepper.model.grid.name == "T21" and stepper.model.coords.layers == 4
    assert stepper.time_s == 0.0 and stepper.last_error is None
    assert "day 0, 00:00" in stepper.status.value
    assert stepper.field.shape == stepper.model.grid.nodal_shape
    assert stepper.spectrum.shape == (22,)
    assert shown_png(stepper)
    assert [v for _, v in stepper.case.options] == list(PRIMITIVE_CASES)
    assert [label for label, _ in stepper.level.options] == [f"σ = {s:.3f}" for s in stepper.sigma]


def test_step_click_advances_and_redraws_in_place(stepper):
    before_pixels, before_png = pixels(stepper), shown_png(stepper)
    before_field, before_spectrum = stepper.field.copy(), stepper.spectrum.copy()
    stepper.step_button.click()
    assert stepper.last_error is None and stepper.time_s == 6 * HOUR
    assert "day 0, 06:00" in stepper.status.value
    assert not np.allclose(stepper.field, before_field)
    assert not np.allclose(stepper.spectrum, before_spectrum)
    assert shown_png(stepper) != before_png
    assert not np.array_equal(pixels(stepper), before_pixels)
    assert len(stepper.output.outputs) == 1  # replaced, not appended
    stepper.step_button.click()  # the second interval is timed
    assert stepper.seconds_per_step > 0 and stepper.sim_days_per_s > 0
    assert "simulated days per wall second" in stepper.status.value
    assert "measured" in stepper.picker.estimate.value


def test_variable_and_level_selectors_redraw(stepper):
    stepper.step()
    before = pixels(stepper)
    stepper.variable.value = "temperature"
    decoded = stepper.model.decode(stepper.state)
    k = stepper.level.value
    np.testing.assert_allclose(stepper.field, decoded["temperature"][k])
    assert "temperature" in stepper.figure.axes[0].get_title()
    assert not np.array_equal(pixels(stepper), before)
    stepper.level.value = 0
    np.testing.assert_allclose(stepper.field, decoded["temperature"][0])
    assert f"σ = {stepper.sigma[0]:.2f}" in stepper.figure.axes[0].get_title()
    assert stepper.select("u", level=0.3)
    np.testing.assert_allclose(
        stepper.field, decoded["u"][int(np.argmin(np.abs(stepper.sigma - 0.3)))]
    )


def test_unknown_variable_is_explained(stepper):
    assert not stepper.select("specific_humidity")
    assert "unknown variable" in stepper.last_error and "color:#b00020" in stepper.status.value


def test_run_blocking_and_background_with_pause(stepper):
    stepper.run(0.5)
    assert stepper.time_s == 0.5 * DAY and not stepper.running
    stepper.picker.interval.value = HOUR
    stepper.run(30.0, blocking=False)
    assert stepper.running and not stepper.pause_button.disabled
    assert stepper.step_button.disabled and stepper.picker.apply_button.disabled
    deadline = time.monotonic() + 60
    while stepper.time_s < 0.5 * DAY + 2 * HOUR and time.monotonic() < deadline:
        time.sleep(0.05)
    stepper.pause_button.click()
    stepper.wait(60)
    assert not stepper.running and stepper.last_error is None
    assert 0.5 * DAY + 2 * HOUR <= stepper.time_s < 30 * DAY
    assert not stepper.step_button.disabled and stepper.pause_button.disabled


def test_invalid_picker_choice_blocks_build_with_a_message(stepper):
    model = stepper.model
    stepper.picker.dt.value = 700.0
    assert stepper.picker.apply_button.disabled
    assert not stepper.build()
    assert "divide" in stepper.last_error and stepper.model is model
    assert "press Build / reset" in stepper.status.value


def test_interval_not_divisible_by_built_dt_is_explained(stepper):
    stepper.picker.interval.value = 12 * HOUR
    stepper.picker.dt.value = 2400.0
    assert stepper.build() and stepper.model.dt_s == 2400.0
    stepper.picker.interval.value = HOUR  # the picker now flags dt, but the model is built
    assert not stepper.step() and "does not divide" in stepper.last_error
    assert stepper.time_s == 0.0


def test_blow_up_is_reported_and_last_finite_state_kept(stepper):
    stepper.picker.interval.value = DAY
    stepper.picker.dt.value = 6 * HOUR
    assert stepper.build()
    assert not stepper.step(n_intervals=8)
    assert "left physical bounds" in stepper.last_error or "non-finite" in stepper.last_error
    assert "time step is too long" in stepper.last_error and "try dt = " in stepper.last_error
    assert "--dt" not in stepper.last_error
    assert all(
        np.all(np.isfinite(np.asarray(x))) for x in stepper.model.decode(stepper.state).values()
    )


def test_build_button_changes_the_model(stepper):
    stepper.picker.layers.value = 3
    stepper.picker.apply_button.click()
    assert stepper.model.coords.layers == 3 and stepper.last_error is None
    assert "press Build" not in stepper.status.value


def test_moist_case_offers_humidity_and_precipitation(stepper):
    stepper.case.value = "moist_baroclinic"
    assert "press Build / reset" in stepper.status.value
    assert stepper.build()
    names = [v for _, v in stepper.variable.options]
    assert "specific_humidity" in names and "precipitation_rate" in names
    assert stepper.select("precipitation_rate") and stepper.field.ndim == 2


def test_without_model_explains():
    stepper = ForecastStepper(resolution="T21", layers=2, build=False)
    assert "Build / reset" in stepper.status.value
    assert not stepper.step() and "Build / reset" in stepper.last_error
    stepper.run(1.0)
    assert stepper.time_s == 0.0


def test_bad_constructor_arguments_raise():
    with pytest.raises(ValueError, match="valid cases"):
        ForecastStepper("nope", build=False)
    with pytest.raises(ValueError, match="valid"):
        ForecastStepper(variable="vorticity", build=False)
