"""The forecast loop: outputs, progress, and blow-up reports that name step and variable."""

import numpy as np
import pytest

from ngcm_lab.forecast import ForecastBlowUpError
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
    assert err.step > 0 and err.variable in {"vorticity", "divergence", "height"}
    message = str(err)
    assert f"step {err.step}" in message and err.variable in message
    assert "dt = 21600 s" in message and "--dt 21600" in message


def test_run_length_must_be_whole_steps():
    model = ShallowWaterModel.from_case("williamson2", "T21", dt=1000.0)
    with pytest.raises(ValueError, match="whole number"):
        model.run(0.1, progress=False)
