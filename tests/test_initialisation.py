"""A balanced start (`initialisation.py`): the hypsometric p_s move, the Lanczos filter's
response, and the shock it removes from the shipped T42 → T21 truth."""

import numpy as np
import pytest
import xarray as xr

from ngcm_lab import experiments
from ngcm_lab.constants import GRAVITY, R_DRY
from ngcm_lab.errors import InputError
from ngcm_lab.initialisation import (
    balanced_state,
    lanczos_weights,
    surface_pressure_on_orography,
    surface_pressure_tendency,
)
from ngcm_lab.paths import data_samples_dir
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.training_config import TrainingConfig
from ngcm_lab.training_data import load_truth
from ngcm_lab.vertical_interpolation import STANDARD_LAPSE_RATE


def test_surface_pressure_follows_the_standard_atmosphere():
    """Moving p_s up 1 km (or down from it) in a 6.5 K/km atmosphere gives the exact
    p(z) = p₀ (1 − Γz/T₀)^(g/RΓ) to 1e-5, and the round trip is the identity."""
    p0, t0, z = 101325.0, 288.15, 1000.0
    exact = p0 * (1 - STANDARD_LAPSE_RATE * z / t0) ** (GRAVITY / (R_DRY * STANDARD_LAPSE_RATE))
    up = surface_pressure_on_orography(p0, t0, 0.0, GRAVITY * z)
    assert up == pytest.approx(exact, rel=1e-5)
    t_top = t0 - STANDARD_LAPSE_RATE * z
    back = surface_pressure_on_orography(up, t_top, GRAVITY * z, 0.0)
    assert back == pytest.approx(p0, rel=1e-5)


def test_lanczos_filter_passes_weather_and_stops_gravity_waves():
    """The response Σ h_n cos(ωnΔt) of the default filter (Δt 30 min, ±3 h, τ_c 6 h): 1 at
    ω = 0, ≥ 0.9 for a 2-day wave, ≤ 0.1 for a 2-hour gravity wave."""
    dt = 1800.0
    h = lanczos_weights(6, dt, 6 * 3600.0)
    n = np.arange(-6, 7)
    assert h.sum() == pytest.approx(1.0) and np.allclose(h, h[::-1])

    def response(period_h):
        return float(np.sum(h * np.cos(2 * np.pi * n * dt / (period_h * 3600.0))))

    assert response(48.0) >= 0.9
    assert abs(response(2.0)) <= 0.1


@pytest.fixture(scope="module")
def shipped_truth():
    with xr.open_dataset(data_samples_dir() / experiments.DEFAULT_TRUTH) as ds:
        yield ds.load()


def test_balanced_start_removes_the_shock(shipped_truth):
    """On the shipped truth the first hour's rms ∂p_s/∂t falls at least tenfold (measured
    12.3 → 0.67 hPa/h), the wind barely moves (< 0.5 m s⁻¹ rms: the filter removes gravity
    waves, not weather) and the targets stay the truth's own fields."""
    model = experiments.baseline_model(shipped_truth)
    raw = load_truth(model, shipped_truth, "none")
    balanced = load_truth(model, shipped_truth, "balanced")
    start = int(raw.test_indices[0])
    shock = surface_pressure_tendency(model, raw.state(start), hours=1)[0]
    calm = surface_pressure_tendency(model, balanced.state(start), hours=1)[0]
    assert shock >= 10.0 * calm, (shock, calm)
    before, after = (model.decode(t.state(start)) for t in (raw, balanced))
    assert np.sqrt(np.mean((before["u"] - after["u"]) ** 2)) < 0.5
    np.testing.assert_array_equal(raw.targets["u"], balanced.targets["u"])


def test_filter_keeps_a_balanced_state():
    """The Jablonowski–Williamson steady state is balanced: the filter changes its wind by
    less than 0.05 m s⁻¹ rms (its jet peaks at 35 m s⁻¹)."""
    model = PrimitiveEquationsModel.from_case("jw_steady", "T21", 8)
    before = model.decode(model.initial_state)
    after = model.decode(balanced_state(model, model.initial_state))
    assert np.sqrt(np.mean((before["u"] - after["u"]) ** 2)) < 0.05


def test_unknown_initialisation_is_refused(shipped_truth):
    with pytest.raises(ValueError, match="initialisation must be one of"):
        TrainingConfig(initialisation="filtered")
    with pytest.raises(InputError, match="initialisation must be one of"):
        load_truth(experiments.baseline_model(shipped_truth), shipped_truth, "nmi")


def test_each_experiment_says_how_its_starts_are_made():
    """A truth from a finer model is balanced; the perfect-model truth, the coarse model's own
    trajectory, is used as stored (so its oracle still follows it to round-off); a
    configuration may override either."""
    assert experiments.initialisation_of(experiments.CONFIGS["learn-surface-fluxes"]) == "balanced"
    assert experiments.initialisation_of(experiments.CONFIGS["learn-drag"]) == "none"
    override = TrainingConfig(experiment="learn-drag", initialisation="balanced")
    assert experiments.initialisation_of(override) == "balanced"
