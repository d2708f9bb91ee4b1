"""The forecast loop: outputs, progress, and blow-up reports that name step and variable."""

import numpy as np
import pytest

from ngcm_lab.forecast import PHYSICAL_BOUNDS, ForecastBlowUpError
from ngcm_lab.models import ShallowWaterModel


def test_run_keeps_initial_state_and_every_output():
    model = ShallowWaterModel.from_case("williamson6", "T21")
    result = model.run(1.0, output_interval_hours=6.0, progress=False)
    np.testing.assert_allclose(result.times_s, np.arange(5) * 6 * 3600.0)
    assert result.states.vorticity.shape == (5, *model.grid.modal_shape)
    np.testing.assert_array_equal(result.states.vorticity[0], model.initial_state.vorticity)


def test_blow_up_names_step_time_variable_and_suggests_smaller_dt():
    model = ShallowWaterModel.from_case("galewsky", "T21", dt=43200.0)
    with pytest.raises(ForecastBlowUpError) as info:
        model.run(6.0, output_interval_hours=24.0, progress=False)
    err = info.value
    # Finite but absurd before it is non-finite: negative depth at step 4 (day 2).
    assert (err.step, err.variable) == (4, "depth") and err.value < 0
    message = str(err)
    assert "step 4 (simulated time 2.000 days)" in message and "depth reached" in message
    assert err.time_step_is_the_cause and err.courant > 1
    assert "try dt = 1200 s" in message and "--dt" not in message
    assert "try --dt 1200" in err.advice("--dt")


def test_advice_depends_on_the_cause():
    """A stable Courant number and the model's own dt point away from the time step: early in
    a run from data, at the data."""

    def error(courant, dt_s, time_s=1800.0):
        bound = PHYSICAL_BOUNDS["temperature"]
        return ForecastBlowUpError(
            1, time_s, "temperature", dt_s, value=40.0, bound=bound, courant=courant,
            stable_dt_s=1800.0,
        )  # fmt: skip

    assert "try --dt 450" in error(2.0, 1800.0).advice("--dt")  # Courant 0.6: 540 s
    assert "try --dt 1800" in error(0.1, 7200.0).advice("--dt")  # longer than the stable dt
    stable = error(0.1, 1800.0)
    assert not stable.time_step_is_the_cause
    assert "initial data may be wrong" in stable.advice("--dt", from_data=True)
    assert "--dt" not in stable.advice("--dt", from_data=True)
    assert "flow itself left physical bounds" in stable.advice("--dt", from_data=False)
    late = error(0.1, 1800.0, time_s=5 * 86400.0)
    assert "initial data" not in late.advice("--dt", from_data=True)


@pytest.mark.parametrize(
    ("minimum", "maximum", "offending"),
    [(200.0, 300.0, None), (50.0, 300.0, 50.0), (200.0, 2e7, 2e7), (float("nan"), 300.0, None)],
)
def test_bounds(minimum, maximum, offending):
    value = PHYSICAL_BOUNDS["temperature"].violated_by(minimum, maximum)
    if np.isnan(minimum):
        assert np.isnan(value)
    else:
        assert value == offending


def test_healthy_run_stays_within_bounds_and_matches_plain_stepping():
    """The checked stepper gives exactly the unchecked scan's states."""
    model = ShallowWaterModel.from_case("williamson6", "T21")
    checked = model.stepper.advance(model.initial_state, 12)
    plain = model.rollout(model.initial_state, 12)
    np.testing.assert_array_equal(np.asarray(checked.vorticity), np.asarray(plain.vorticity))


def test_run_length_must_be_whole_steps():
    model = ShallowWaterModel.from_case("williamson2", "T21", dt=1000.0)
    with pytest.raises(ValueError, match="whole number"):
        model.run(0.1, progress=False)


def test_a_forecast_run_resumes_where_it_stopped():
    """Advancing in pieces, stopping and going on gives the uninterrupted run's states; a blow-up
    keeps the last good state and its step count."""
    import threading

    from ngcm_lab.forecast import ForecastRun

    model = ShallowWaterModel.from_case("williamson6", "T21")
    whole = model.run(1.0, output_interval_hours=6.0, progress=False)
    pieces = ForecastRun(model.stepper, model.initial_state)
    stop = threading.Event()
    seen = []

    def stop_after_two(state, time_s):
        seen.append(time_s)
        if len(seen) == 2:
            stop.set()

    per_output = model.steps_for(0.25)
    taken = pieces.run(4 * per_output, per_output, callbacks=[stop_after_two], stop=stop)
    assert taken == 2 * per_output and seen == [6 * 3600.0, 12 * 3600.0]
    pieces.advance(per_output)
    pieces.advance(per_output)
    assert pieces.time_s == 86400.0 and pieces.seconds_per_step > 0
    np.testing.assert_array_equal(pieces.state.vorticity, whole.states.vorticity[-1])

    unstable = ShallowWaterModel.from_case("galewsky", "T21", dt=43200.0)
    broken = ForecastRun(unstable.stepper, unstable.initial_state)
    broken.advance(2)
    kept = broken.state
    with pytest.raises(ForecastBlowUpError):
        broken.advance(10)
    assert broken.steps_done == 2 and broken.state is kept
