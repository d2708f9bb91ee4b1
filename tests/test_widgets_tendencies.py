"""TendencyExplorer driven without a browser, on a small moist hybrid model."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from ngcm_lab.column_network import ColumnNetworkConfig
from ngcm_lab.constants import SECONDS_PER_DAY
from ngcm_lab.hybrid_model import HybridModel
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.widgets import TendencyExplorer


@pytest.fixture(scope="module")
def hybrid():
    dycore = PrimitiveEquationsModel.from_case("moist_baroclinic", "T21", layers=4, dt=1800.0)
    model = HybridModel.create(dycore, ColumnNetworkConfig(width=16, blocks=1))
    return model, model.init_params(jax.random.key(0))


@pytest.fixture(scope="module")
def shared(hybrid):
    return TendencyExplorer(*hybrid, variable="temperature", term="physics", lat=20, lon=100)


@pytest.fixture
def explorer(shared):
    shared.select("temperature", "physics", 0.85)
    shared.set_point(20.0, 100.0)
    return shared


def pixels(explorer) -> np.ndarray:
    explorer.figure.canvas.draw()
    return np.asarray(explorer.figure.canvas.buffer_rgba()).copy()


def test_shows_map_section_and_profiles(explorer, hybrid):
    model, params = hybrid
    expected = model.tendencies(params, model.initial_state())
    k = explorer.level.value
    np.testing.assert_allclose(
        explorer.field, expected["physics"]["temperature"][k] * SECONDS_PER_DAY, rtol=1e-5
    )
    assert set(explorer.profiles) == {"dynamics", "physics", "network", "total"}
    np.testing.assert_allclose(
        explorer.profiles["total"],
        sum(explorer.profiles[t] for t in ("dynamics", "physics", "network")),
    )
    map_ax, section_ax, profile_ax = explorer.figure.axes[:3]
    assert "physics" in map_ax.get_title() and "zonal mean" in section_ax.get_title()
    assert [line.get_label() for line in profile_ax.lines[:4]] == [
        "dynamics",
        "physics",
        "network",
        "total",
    ]
    assert "K day⁻¹" in explorer.status.value and explorer.output.outputs


def test_term_variable_and_level_choices_redraw(explorer):
    before, field = pixels(explorer), explorer.field.copy()
    explorer.term.value = "network"
    assert not np.allclose(explorer.field, field)
    assert not np.array_equal(pixels(explorer), before)
    explorer.variable.value = "specific_humidity"
    assert "g kg⁻¹ day⁻¹" in explorer.status.value
    before = explorer.field.copy()
    explorer.level.value = 0
    assert not np.allclose(explorer.field, before)
    assert explorer.select("u", "total", 0.3) and explorer.last_error is None
    np.testing.assert_allclose(explorer.field, explorer.term_field("total", "u")[1] * 86400.0)


def test_point_moves_the_profile(explorer):
    profile = explorer.profiles["physics"].copy()
    explorer.lat.value = -60.0
    assert explorer.last_error is None
    assert not np.allclose(explorer.profiles["physics"], profile)
    assert "S" in explorer.figure.axes[2].get_title()


def test_invalid_choices_are_explained_not_raised(explorer):
    profile = explorer.profiles["physics"].copy()
    assert not explorer.set_point(120.0, 0.0)
    assert "latitude" in explorer.last_error and "color:#b00020" in explorer.status.value
    np.testing.assert_array_equal(explorer.profiles["physics"], profile)
    assert not explorer.select("vorticity")
    assert "unknown variable" in explorer.last_error
    assert not explorer.select(term="radiation")


def test_set_state_recomputes(explorer, hybrid):
    model, params = hybrid
    before = explorer.field.copy()
    final, _ = model.rollout(params, model.initial_state(), 2)
    assert explorer.set_state(final)
    assert not np.allclose(explorer.field, before)
    explorer.set_state(model.initial_state())


def test_dry_model_without_physics_says_zero():
    dycore = PrimitiveEquationsModel.from_case("jw_steady", "T21", layers=3, dt=1800.0)
    model = HybridModel.create(dycore, ColumnNetworkConfig(width=8, blocks=0))
    explorer = TendencyExplorer(model, model.init_params(jax.random.key(1)), term="physics")
    assert explorer.last_error is None and not np.any(explorer.field)
    assert "zero everywhere" in explorer.status.value
    assert "zero everywhere" in explorer.figure.axes[0].get_title()
    with pytest.raises(ValueError, match="valid"):
        TendencyExplorer(model, None, variable="specific_humidity")
