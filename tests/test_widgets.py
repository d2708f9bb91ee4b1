"""ShallowWaterExplorer driven without a browser: buttons are clicked from Python."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ngcm_lab.models import case_names, get_case, suggested_dt
from ngcm_lab.spherical_harmonics import Grid, resolution_names
from ngcm_lab.widgets import ShallowWaterExplorer
from ngcm_lab.widgets._common import estimate_text, resource_estimate
from ngcm_lab.widgets._stepping import format_time

HOUR, DAY = 3600.0, 86400.0


@pytest.fixture(scope="module")
def shared() -> ShallowWaterExplorer:
    """One T21 Galewsky explorer for the module (the first build compiles the transforms)."""
    return ShallowWaterExplorer(case="galewsky", resolution="T21")


@pytest.fixture
def explorer(shared: ShallowWaterExplorer) -> ShallowWaterExplorer:
    """The shared explorer reset to its defaults: T21 Galewsky, suggested dt, 6-hour steps."""
    shared.stop()
    shared.resolution.value, shared.case.value = "T21", "galewsky"
    shared.dt.value = shared.suggested_dt()
    shared.interval.value = 6 * HOUR
    shared.variable.value = "vorticity"
    assert shared.build(), shared.last_error
    return shared


def pixels(explorer: ShallowWaterExplorer) -> np.ndarray:
    canvas = explorer.figure.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def shown_png(explorer: ShallowWaterExplorer) -> str:
    (output,) = explorer.output.outputs
    return output["data"]["image/png"]


def test_choices_list_every_resolution_and_case(explorer):
    labels = dict((value, label) for label, value in explorer.resolution.options)
    assert list(labels) == resolution_names()
    assert labels["T42"] == "T42 (128×64)"
    assert [value for _, value in explorer.case.options] == case_names()
    assert all(get_case(name).description in label for label, name in explorer.case.options)


def test_build_shows_initial_state(explorer):
    assert explorer.model.grid.name == "T21"
    assert explorer.time_s == 0.0 and explorer.state is explorer.model.initial_state
    assert explorer.last_error is None
    assert "day 0, 00:00" in explorer.status.value and "max wind" in explorer.status.value
    assert "2,048 grid points" in explorer.estimate.value
    assert shown_png(explorer)
    assert explorer.field.shape == explorer.model.grid.nodal_shape


def test_resolution_and_case_change_update_dt(explorer):
    assert explorer.dt.value == suggested_dt(Grid.from_name("T21"), 100.0) == 1800.0
    explorer.resolution.value = "T42"
    assert explorer.dt.value == suggested_dt(Grid.from_name("T42"), 100.0) == 900.0
    assert "8,192 grid points" in explorer.estimate.value
    assert "press Build / reset" in explorer.status.value
    assert explorer.model.grid.name == "T21"  # not rebuilt until asked
    explorer.case.value = "williamson2"
    wind = get_case("williamson2").max_wind_m_s
    assert explorer.dt.value == suggested_dt(Grid.from_name("T42"), wind)
    assert explorer.run_until.value == get_case("williamson2").days
    explorer.build_button.click()
    assert explorer.model.name == "williamson2" and explorer.model.grid.name == "T42"
    assert explorer.model.dt_s == explorer.dt.value
    assert "press Build / reset" not in explorer.status.value


def test_step_click_advances_time_and_redraws(explorer):
    before_pixels, before_field, before_png = pixels(explorer), explorer.field, shown_png(explorer)
    explorer.step_button.click()
    assert explorer.last_error is None
    assert explorer.time_s == 6 * HOUR
    assert "day 0, 06:00" in explorer.status.value
    assert not np.allclose(explorer.field, before_field)
    assert not np.array_equal(pixels(explorer), before_pixels)
    assert shown_png(explorer) != before_png
    explorer.step_button.click()  # the second interval is timed (the first one compiled)
    assert explorer.time_s == 12 * HOUR
    assert "simulated days per wall second" in explorer.status.value


def test_step_uses_the_chosen_interval(explorer):
    explorer.interval.value = DAY
    assert explorer.step(n_intervals=2)
    assert explorer.time_s == 2 * DAY


def test_build_resets_time_and_state(explorer):
    explorer.step()
    explorer.build_button.click()
    assert explorer.time_s == 0.0 and explorer.state is explorer.model.initial_state


def test_variable_selector_redraws(explorer):
    before = pixels(explorer)
    explorer.variable.value = "depth"
    np.testing.assert_allclose(explorer.field, explorer.model.decode(explorer.state)["depth"])
    assert "fluid depth" in explorer.figure.axes[0].get_title()
    assert not np.array_equal(pixels(explorer), before)


@pytest.mark.parametrize("dt", [0.0, -600.0, float("inf")])
def test_invalid_dt_is_explained_not_raised(explorer, dt):
    model = explorer.model
    explorer.dt.value = dt
    explorer.build_button.click()
    assert explorer.last_error and (
        "positive" in explorer.last_error or "finite" in explorer.last_error
    )
    assert "color:#b00020" in explorer.status.value
    assert explorer.model is model  # the previous model is kept
    assert "positive number" in explorer.estimate.value


def test_dt_that_does_not_divide_the_interval_is_explained(explorer):
    explorer.dt.value = 700.0
    assert explorer.build()
    explorer.step_button.click()
    assert "divides the output interval" in explorer.last_error
    assert explorer.time_s == 0.0


def test_blow_up_is_reported_and_last_finite_state_kept(explorer):
    explorer.dt.value = 6 * HOUR
    explorer.interval.value = DAY
    explorer.build()
    assert not explorer.step(n_intervals=6)
    # Negative depth (finite but absurd) stops it before anything is non-finite.
    assert "left physical bounds" in explorer.last_error and "depth" in explorer.last_error
    assert (
        "time step is too long" in explorer.last_error and "try dt = 720 s" in explorer.last_error
    )
    assert "--dt" not in explorer.last_error
    assert "color:#b00020" in explorer.status.value
    assert all(np.all(np.isfinite(x)) for x in explorer.state.__dict__.values())
    assert explorer.time_s < 6 * DAY and np.all(np.isfinite(explorer.field))


def test_run_blocking_then_stop(explorer):
    explorer.run(0.5, blocking=True)
    assert explorer.time_s == 0.5 * DAY and not explorer.running
    explorer.stop()  # nothing running: a no-op
    assert not explorer.step_button.disabled and explorer.pause_button.disabled
    explorer.interval.value = DAY
    explorer.run(0.25)  # shorter than one interval: a partial interval
    assert explorer.time_s == 0.75 * DAY and explorer.last_error is None


def test_run_in_background_stops_on_pause(explorer):
    explorer.interval.value = HOUR
    explorer.run(30.0, blocking=False)
    assert explorer.running and explorer.pause_button.disabled is False
    assert explorer.run_button.disabled and explorer.step_button.disabled
    deadline = time.monotonic() + 60
    while explorer.time_s < 2 * HOUR and time.monotonic() < deadline:
        time.sleep(0.05)
    explorer.pause_button.click()
    explorer.wait(60)
    assert not explorer.running and explorer.last_error is None
    assert 2 * HOUR <= explorer.time_s < 30 * DAY
    assert not explorer.run_button.disabled and explorer.pause_button.disabled


def test_run_button_past_target_is_explained(explorer):
    explorer.run_until.value = 0.0
    explorer.run_button.click()
    assert "Run until day" in explorer.last_error and not explorer.running


def test_explorer_without_model_explains():
    explorer = ShallowWaterExplorer(resolution="T21", build=False)
    assert explorer.model is None and "Build / reset" in explorer.status.value
    assert not explorer.step()
    assert "Build / reset" in explorer.last_error
    explorer.run(1.0)
    assert explorer.time_s == 0.0


def test_bad_constructor_arguments_raise():
    with pytest.raises(ValueError, match="valid"):
        ShallowWaterExplorer(case="nope", build=False)
    with pytest.raises(ValueError, match="valid"):
        ShallowWaterExplorer(resolution="T43", build=False)
    with pytest.raises(ValueError, match="valid"):
        ShallowWaterExplorer(variable="pressure", build=False)


def test_resource_estimate_is_pure_and_scales():
    t42 = resource_estimate("T42", 900.0)
    assert t42["grid_points"] == 128 * 64 and t42["steps_per_day"] == 96
    assert t42["relative_cost"] == pytest.approx(1.0)
    assert resource_estimate("T85", 450.0)["relative_cost"] > 10
    assert resource_estimate("T42", 900.0, seconds_per_step=0.01)["sim_days_per_s"] == (
        pytest.approx(1.0 / 0.96)
    )
    assert "measured" in estimate_text("T42", 900.0, 0.01)


def test_format_time():
    assert format_time(0.0).startswith("day 0, 00:00")
    assert format_time(2.25 * DAY).startswith("day 2, 06:00")
