"""PrimitiveEquationsModel's traceable SI perturbation and point value (the adjoint's pieces)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ngcm_lab.primitive_model import PrimitiveEquationsModel


@pytest.fixture(scope="module")
def model():
    return PrimitiveEquationsModel.from_case("jablonowski_williamson", "T21", layers=3)


def _smooth(model, amplitude: float) -> np.ndarray:
    """A field the truncation keeps: amplitude · cos²φ cos λ (degree ≤ 3)."""
    lat, lon = model.grid.latitudes[:, None], model.grid.longitudes[None, :]
    return amplitude * np.cos(lat) ** 2 * np.cos(lon)


def test_perturbed_adds_the_si_increments(model):
    state = model.initial_state
    d_t = np.stack([_smooth(model, 1.0 + k) for k in range(model.coords.layers)])
    d_ps = _smooth(model, 200.0)
    d_u = np.broadcast_to(3.0 * np.cos(model.grid.latitudes)[:, None], d_t.shape)  # solid body
    delta = {"temperature": jnp.asarray(d_t, jnp.float32), "u": jnp.asarray(d_u, jnp.float32)}
    delta["surface_pressure"] = jnp.asarray(d_ps, jnp.float32)
    before, after = model.decode(state), model.decode(model.perturbed(state, delta))
    np.testing.assert_allclose(after["temperature"] - before["temperature"], d_t, atol=1e-2)
    np.testing.assert_allclose(after["u"] - before["u"], d_u, atol=1e-2)
    np.testing.assert_allclose(after["v"], before["v"], atol=1e-2)
    # ln(p_s + δp_s) is truncated, not p_s + δp_s: the product p_s(φ, λ)·(1 + δp_s/p_s) has
    # degrees beyond T21, so a small fraction of δp_s is lost.
    ps_change = after["surface_pressure"] - before["surface_pressure"]
    assert np.max(np.abs(ps_change - d_ps)) < 0.005 * np.max(np.abs(d_ps))  # measured 0.1 %
    with pytest.raises(ValueError, match="valid: u, v, temperature"):
        model.perturbed(state, {"humidity": d_t})


@pytest.mark.parametrize("variable", ["u", "v", "temperature", "surface_pressure"])
def test_point_value_is_the_decoded_field_there(model, variable):
    fields = model.decode(model.initial_state)
    k, j, i = 1, 20, 7
    value = model.point_value(model.initial_state, variable, jnp.asarray([k, j, i]))
    expected = (
        fields[variable][j, i] if variable == "surface_pressure" else fields[variable][k, j, i]
    )
    assert float(value) == pytest.approx(expected, rel=1e-5, abs=1e-4)


def test_point_value_gradient_matches_a_finite_difference(model):
    """∂/∂ε of p_s at one point after 4 steps, the initial T perturbed by ε·δT: the gradient
    (one reverse pass) against a centred difference of two forecasts."""
    state, index = model.initial_state, jnp.asarray([0, 22, 5])
    direction = {"temperature": jnp.asarray(np.stack([_smooth(model, 1.0)] * 3), jnp.float32)}

    def target(delta):
        return model.point_value(
            model.rollout(model.perturbed(state, delta), 4), "surface_pressure", index
        )

    gradient = jax.jit(jax.grad(target))(model.zero_perturbation())
    predicted = float(jnp.sum(gradient["temperature"] * direction["temperature"]))
    eps = 2.0
    plus, minus = (
        float(jax.jit(target)({"temperature": s * eps * direction["temperature"]})) for s in (1, -1)
    )
    actual = (plus - minus) / (2 * eps)
    assert abs(actual) > 1.0  # Pa per K: well above float32 round-off of p_s (~0.01 Pa)
    assert predicted == pytest.approx(actual, rel=0.005)  # measured 1e-4


def test_energy_spectrum_sums_to_the_global_mean_kinetic_energy_of_each_layer():
    """`energy_spectrum` (what the stepper widget draws) in m² s⁻²: its sum over wavenumbers is
    the area-weighted mean of (u² + v²)/2 on every layer."""
    import numpy as np

    from ngcm_lab.primitive_model import PrimitiveEquationsModel

    model = PrimitiveEquationsModel.from_case("jablonowski_williamson", "T21", layers=4)
    spectrum = model.energy_spectrum(model.initial_state)
    assert spectrum.shape == (4, model.grid.truncation + 1)
    fields = model.decode(model.initial_state)
    weights = model.grid.area_weights / model.grid.area_weights.sum()
    direct = np.sum(0.5 * (fields["u"] ** 2 + fields["v"] ** 2) * weights, axis=(-2, -1))
    np.testing.assert_allclose(spectrum.sum(-1), direct, rtol=2e-3)
