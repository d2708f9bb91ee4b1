"""SensitivityExplorer: the adjoint map against finite differences, and its controls."""

from __future__ import annotations

import numpy as np
import pytest

from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.widgets import SensitivityExplorer


@pytest.fixture(scope="module")
def model():
    return PrimitiveEquationsModel.from_case("jablonowski_williamson", "T21", layers=3)


@pytest.fixture(scope="module")
def shared(model):
    return SensitivityExplorer(model, hours=6, lat=50, lon=40, variable="surface_pressure")


@pytest.fixture
def explorer(shared):
    shared.set_target("surface_pressure", lat=50, lon=40, hours=6)
    shared.select_initial("temperature", 0.85)
    if shared._target_spec() != shared._target:
        assert shared.compute(), shared.last_error
    return shared


def pixels(explorer) -> np.ndarray:
    explorer.figure.canvas.draw()
    return np.asarray(explorer.figure.canvas.buffer_rgba()).copy()


def _bump(explorer, k: int, j: int, i: int, amplitude: float, layered: bool = True):
    lat = np.radians(explorer._lat)[:, None]
    lon = np.radians(explorer._lon)[None, :]
    lat0, lon0 = np.radians(explorer._lat[j]), np.radians(explorer._lon[i])
    dlon = (lon - lon0 + np.pi) % (2 * np.pi) - np.pi
    shape = amplitude * np.exp(-((lat - lat0) ** 2 + (dlon * np.cos(lat)) ** 2) / (2 * 0.12**2))
    if not layered:
        return shape
    out = np.zeros((explorer.sigma.size, *shape.shape))
    out[k] = shape
    return out


def test_value_matches_the_forecast(explorer, model):
    final = model.decode(model.rollout(model.initial_state, 12))["surface_pressure"]
    _, _, (_, j, i) = explorer._target
    assert explorer.value == pytest.approx(final[j, i] / 100.0, rel=1e-5)
    assert "hPa per (K over 10⁶ km²)" in explorer.figure.axes[0].get_xlabel() + "".join(
        ax.get_xlabel() for ax in explorer.figure.axes
    )


@pytest.mark.parametrize(
    ("name", "amplitude"), [("temperature", 0.3), ("u", 0.5), ("surface_pressure", 50.0)]
)
def test_gradient_predicts_small_perturbations(explorer, name, amplitude):
    """The adjoint's linear prediction matches the difference of two forecasts."""
    values = explorer.gradient[name]
    if values.ndim == 2:
        j, i = np.unravel_index(np.argmax(np.abs(values)), values.shape)
        bump = _bump(explorer, 0, j, i, amplitude, layered=False)
    else:
        k, j, i = np.unravel_index(np.argmax(np.abs(values)), values.shape)
        bump = _bump(explorer, k, j, i, amplitude)
    predicted, actual = explorer.response({name: bump})
    assert abs(actual) > 1e-3  # hPa: a change well above float32 round-off of ~1e-4 hPa
    assert predicted == pytest.approx(actual, rel=0.1)


def test_sensitivity_is_localised_near_the_target_at_short_lead(explorer):
    s = np.abs(explorer.sensitivity["temperature"]).max(axis=0)
    j, i = np.unravel_index(np.argmax(s), s.shape)
    assert abs(explorer._lat[j] - 50) < 15
    assert abs((explorer._lon[i] - 40 + 180) % 360 - 180) < 30


def test_initial_field_choice_redraws_without_recomputing(explorer):
    gradient = explorer.gradient
    before = pixels(explorer)
    explorer.initial_variable.value = "u"
    assert explorer.gradient is gradient
    assert "zonal wind" in explorer.figure.axes[0].get_title()
    assert not np.array_equal(pixels(explorer), before)
    assert explorer.select_initial("surface_pressure")
    assert explorer.field.shape == explorer.model.grid.nodal_shape
    assert explorer.initial_level.disabled


def test_moving_the_target_recomputes(explorer):
    field = explorer.field.copy()
    png = explorer.output.outputs[0]["data"]["image/png"]
    explorer.lat.value = -30.0
    assert "press Compute" in explorer.status.value
    explorer.compute_button.click()  # runs in a background thread
    explorer.wait(120)
    assert explorer.last_error is None
    assert not np.allclose(explorer.field, field)
    assert explorer.output.outputs[0]["data"]["image/png"] != png
    explorer.set_target("temperature", level=0.5, lat=50, lon=40)
    assert explorer.compute() and "temperature" in explorer.status.value


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": 0.25}, "whole number"),
        ({"hours": -6.0}, "whole number"),
        ({"lat": 95}, "latitude"),
    ],
)
def test_invalid_targets_are_explained_not_raised(explorer, change, message):
    gradient = explorer.gradient
    explorer.set_target(**change)
    assert not explorer.compute()
    assert message in explorer.last_error and "color:#b00020" in explorer.status.value
    assert explorer.gradient is gradient


def test_cancel_discards_the_result(explorer):
    explorer.set_target(lat=10.0)
    gradient = explorer.gradient
    assert explorer.compute(blocking=False)
    explorer.cancel_button.click()
    explorer.wait(120)
    assert explorer.gradient is gradient and "discarded" in explorer.status.value


def test_unknown_variables_raise_in_constructor(model):
    with pytest.raises(ValueError, match="valid"):
        SensitivityExplorer(model, variable="vorticity", compute=False)
