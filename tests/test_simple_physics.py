"""Column tests of the simple moist physics (Reed & Jablonowski 2012 style)."""

import numpy as np
import pytest

from ngcm_lab.constants import CP_DRY, GRAVITY, LATENT_HEAT_VAPORISATION
from ngcm_lab.simple_physics import SimplePhysics

PHYSICS = SimplePhysics()
SIGMA = np.array([0.25, 0.75])
THICKNESS = np.array([0.5, 0.5])


def _column(t_k, q, u=0.0, ps=1.0e5):
    shape = (2, 1, 1)
    return dict(
        u=np.full(shape, u),
        v=np.zeros(shape),
        temperature=np.asarray(t_k, float).reshape(shape),
        humidity=np.asarray(q, float).reshape(shape),
        surface_pressure=np.full((1, 1), ps),
    )


def _tendencies(physics, column, lat=0.0):
    return physics.tendencies(
        np.full((1, 1), lat),
        SIGMA,
        THICKNESS,
        column["u"],
        column["v"],
        column["temperature"],
        column["humidity"],
        column["surface_pressure"],
    )


def test_saturation_humidity_follows_clausius_clapeyron():
    # 610.78 Pa at the triple point, at 1000 hPa: ε e₀ / p.
    assert float(PHYSICS.saturation_specific_humidity(273.16, 1.0e5)) == pytest.approx(
        0.622 * 610.78 / 1.0e5, rel=1e-3
    )
    # About 7 % more per kelvin near 288 K (the Clausius–Clapeyron rate L / (R_v T²)).
    ratio = PHYSICS.saturation_specific_humidity(289.0, 1e5) / (
        PHYSICS.saturation_specific_humidity(288.0, 1e5)
    )
    assert 1.06 < float(ratio) < 1.075


def test_condensation_conserves_moist_enthalpy_and_rains_out_the_condensate():
    physics = SimplePhysics(surface_fluxes=False)
    q_sat = np.asarray(physics.saturation_specific_humidity(np.array([250.0, 290.0]), SIGMA * 1e5))
    column = _column([250.0, 290.0], [0.5 * q_sat[0], 1.2 * q_sat[1]])
    out = _tendencies(physics, column)
    dq, dt = np.asarray(out.specific_humidity)[:, 0, 0], np.asarray(out.temperature)[:, 0, 0]
    assert dq[0] == 0.0 and dt[0] == 0.0  # the subsaturated layer is untouched
    assert dq[1] < 0.0
    heat = CP_DRY * dt
    np.testing.assert_allclose(heat, -LATENT_HEAT_VAPORISATION * dq, rtol=1e-5)  # float32
    layer_mass = THICKNESS * 1.0e5 / GRAVITY
    np.testing.assert_allclose(float(out.precipitation[0, 0]), -np.sum(dq * layer_mass), rtol=1e-6)


def test_condensation_over_its_timescale_ends_near_saturation():
    # One explicit step of length τ removes the supersaturation to first order: the latent-heat
    # factor accounts for q* rising with the warming.
    physics = SimplePhysics(surface_fluxes=False, condensation_timescale_s=600.0)
    t, p = 290.0, 0.75e5
    q = 1.05 * float(physics.saturation_specific_humidity(t, p))
    column = _column([250.0, t], [0.0, q])
    out = _tendencies(physics, column)
    t_new = t + 600.0 * float(out.temperature[1, 0, 0])
    q_new = q + 600.0 * float(out.specific_humidity[1, 0, 0])
    excess_before = q - float(physics.saturation_specific_humidity(t, p))
    excess_after = q_new - float(physics.saturation_specific_humidity(t_new, p))
    assert abs(excess_after) < 0.02 * excess_before


def test_surface_fluxes_act_on_the_lowest_layer_with_the_right_signs():
    physics = SimplePhysics()
    # Dry, cool air moving over the warm equatorial ocean: evaporation, heating, drag.
    column = _column([230.0, 280.0], [0.0, 0.001], u=10.0)
    out = _tendencies(physics, column, lat=0.0)
    assert float(out.evaporation[0, 0]) > 0.0
    assert float(out.specific_humidity[1, 0, 0]) > 0.0 and float(out.temperature[1, 0, 0]) > 0.0
    assert float(out.u[1, 0, 0]) < 0.0 and float(out.u[0, 0, 0]) == 0.0
    assert float(out.specific_humidity[0, 0, 0]) == 0.0
    # The moisture added to the layer is the evaporated mass spread over the layer's mass.
    lowest_mass = THICKNESS[-1] * 1.0e5 / GRAVITY
    np.testing.assert_allclose(
        float(out.specific_humidity[1, 0, 0]) * lowest_mass, float(out.evaporation[0, 0]), rtol=1e-6
    )
    # Over the cold polar ocean the same air is warmer than the sea and loses heat.
    polar = _tendencies(physics, _column([230.0, 280.0], [0.0, 0.001], u=10.0), lat=np.pi / 2)
    assert float(polar.temperature[1, 0, 0]) < 0.0


def test_sea_surface_temperature_profile():
    sst = np.asarray(PHYSICS.sea_surface_temperature(np.deg2rad([0.0, 26.0, 90.0])))
    np.testing.assert_allclose(sst[0], 300.0)
    np.testing.assert_allclose(sst[1], 271.0 + 29.0 * np.exp(-0.5))
    np.testing.assert_allclose(sst[2], 271.0 + 29.0 * np.exp(-0.5 * (90.0 / 26.0) ** 2))


def test_negative_humidity_is_filled_from_the_same_column():
    physics = SimplePhysics(surface_fluxes=False, negative_humidity_timescale_s=100.0)
    column = _column([220.0, 230.0], [-1e-5, 4e-5])  # cold: no condensation
    out = _tendencies(physics, column)
    dq = np.asarray(out.specific_humidity)[:, 0, 0]
    assert dq[0] > 0 and dq[1] < 0
    layer_mass = THICKNESS * 1.0e5 / GRAVITY
    np.testing.assert_allclose(np.sum(dq * layer_mass), 0.0, atol=1e-12)
    # Over its timescale the fill makes the column non-negative, keeping its water.
    q_new = np.array([-1e-5, 4e-5]) + 100.0 * dq
    np.testing.assert_allclose(q_new, [0.0, 3e-5], atol=1e-9)


def test_fill_has_finite_gradients_in_a_dry_column():
    """A column with no water at all must not poison reverse mode (training backpropagates
    through the physics): the fill's division is masked, not just its result."""
    import jax
    import jax.numpy as jnp

    physics = SimplePhysics(surface_fluxes=False, negative_humidity_timescale_s=100.0)
    t = jnp.array([220.0, 230.0])[:, None, None]
    ps = jnp.full((1, 1), 1.0e5)

    def water_tendency(q):
        out = physics.tendencies(0.0, SIGMA, THICKNESS, t * 0, t * 0, t, q, ps)
        return jnp.sum(out.specific_humidity**2)

    for column in ([-1e-5, 0.0], [-1e-5, 4e-5]):
        grad = jax.grad(water_tendency)(jnp.array(column)[:, None, None])
        assert np.all(np.isfinite(np.asarray(grad))), column


def test_float32_columns_stay_float32_in_x64_mode():
    """σ levels come as numpy float64; in JAX's x64 mode they must not turn a float32 model's
    surface fluxes float64 (JAX warns when it scatters those into the float32 lowest layer, and
    will refuse to)."""
    import warnings

    import jax

    column = _column([230.0, 280.0], [0.0, 0.001], u=10.0)
    column = {name: np.asarray(values, np.float32) for name, values in column.items()}
    with jax.enable_x64(True), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = PHYSICS.tendencies(np.zeros((1, 1), np.float32), SIGMA, THICKNESS, **column)
    assert {str(np.asarray(x).dtype) for x in out} == {"float32"}
