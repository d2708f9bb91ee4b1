"""The hybrid model: held network tendencies, differentiable rollouts, tendency diagnosis."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ngcm_lab.column_features import feature_names, toa_insolation
from ngcm_lab.column_network import ColumnNetworkConfig, count_parameters
from ngcm_lab.hybrid_model import HybridModel
from ngcm_lab.primitive_equations import PrimitiveEquations
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.spherical_harmonics import Grid

SMALL = ColumnNetworkConfig(width=16, blocks=1)


def _hybrid(dtype=np.float32, case="moist_baroclinic", interval=3600.0):
    grid = Grid.from_name("T21", dtype)
    dycore = PrimitiveEquationsModel.from_case(case, grid, layers=4, dt=1800.0)
    return HybridModel.create(dycore, SMALL, physics_interval_s=interval)


@pytest.fixture(scope="module")
def hybrid():
    return _hybrid()


def test_zero_network_is_the_dycore(hybrid):
    params = jax.tree.map(jnp.zeros_like, hybrid.init_params(jax.random.key(0)))
    final, _ = hybrid.rollout(params, hybrid.initial_state(), 3)
    reference = hybrid.dycore.rollout(hybrid.dycore.initial_state, 3 * hybrid.substeps)
    for a, b in zip(jax.tree.leaves(final.dynamics), jax.tree.leaves(reference), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)
    assert float(final.time_s) == 3 * 3600.0


def test_untrained_network_is_a_small_perturbation(hybrid):
    params = hybrid.init_params(jax.random.key(1))
    nodal = hybrid.network_tendencies_nodal(params, hybrid.initial_state())
    assert set(nodal) == {"u", "v", "temperature", "specific_humidity"}
    per_day = {k: float(jnp.abs(v).max()) * 86400.0 for k, v in nodal.items()}
    assert 0.0 < per_day["temperature"] < 3.0  # K per day
    assert 0.0 < per_day["u"] < 3.0  # m s⁻¹ per day
    assert count_parameters(params) > 0


def test_network_tendency_is_held_over_the_substeps():
    """With the dycore's own terms removed, one interval adds exactly Δt_interval · Ψ."""
    model = _hybrid(case="jw_steady", interval=3600.0)
    params = model.init_params(jax.random.key(2))
    state = model.initial_state()
    psi = model.network_tendencies(params, state)

    class Nothing(PrimitiveEquations):  # the same equation with every term switched off
        def explicit_terms(self, s):
            return jax.tree.map(jnp.zeros_like, s)

        implicit_terms = explicit_terms

        def implicit_inverse(self, s, step_size):
            return s

    equation = model.dycore.equation
    nothing = Nothing(**{f.name: getattr(equation, f.name) for f in dataclasses.fields(equation)})
    quiet = dataclasses.replace(
        model, dycore=dataclasses.replace(model.dycore, equation=nothing, filters=())
    )
    new = quiet.step(params, state)
    dt_model = model.dycore.scales.nondim_time(3600.0)
    expected = state.dynamics.temperature_variation + dt_model * psi.temperature_variation
    np.testing.assert_allclose(
        np.asarray(new.dynamics.temperature_variation), np.asarray(expected), rtol=1e-5, atol=1e-6
    )
    assert quiet.substeps == 2


def test_rollout_gradient_matches_finite_differences():
    """Dry baroclinic wave: the moist physics' max(q, 0) kinks (condensation threshold, hole
    filling) make central differences across them inaccurate, not the gradient."""
    with jax.enable_x64(True):
        model = _hybrid(np.float64, case="jablonowski_williamson")
        params = jax.tree.map(lambda x: x.astype(np.float64), model.init_params(jax.random.key(3)))
        state = model.initial_state()

        def loss(p):
            final, trajectory = model.rollout(p, state, 2)
            return jnp.mean(trajectory.dynamics.temperature_variation.real**2) + jnp.mean(
                jnp.abs(final.dynamics.vorticity) ** 2
            )

        grads = jax.grad(loss)(params)
        direction = jax.tree.map(
            lambda x, k: jax.random.normal(k, x.shape, x.dtype),
            params,
            jax.tree.unflatten(
                jax.tree.structure(params),
                list(jax.random.split(jax.random.key(4), len(jax.tree.leaves(params)))),
            ),
        )
        eps = 1e-4
        plus = loss(jax.tree.map(lambda p, d: p + eps * d, params, direction))
        minus = loss(jax.tree.map(lambda p, d: p - eps * d, params, direction))
        finite = (plus - minus) / (2 * eps)
        analytic = sum(
            jnp.vdot(g, d)
            for g, d in zip(jax.tree.leaves(grads), jax.tree.leaves(direction), strict=True)
        )
        assert abs(float(finite)) > 0
        np.testing.assert_allclose(float(analytic), float(finite), rtol=1e-5)


def test_tendencies_split_by_term(hybrid):
    params = hybrid.init_params(jax.random.key(5))
    terms = hybrid.tendencies(params, hybrid.initial_state())
    assert set(terms) == {"dynamics", "physics", "network"}
    shape = (4, *hybrid.grid.nodal_shape)
    for by_variable in terms.values():
        assert all(v.shape == shape for v in by_variable.values())
    # The moist physics evaporates over the ocean and drags the lowest layer only.
    physics = terms["physics"]
    assert np.abs(physics["u"][:-1]).max() < 1e-3 * np.abs(physics["u"][-1]).max()
    assert physics["specific_humidity"][-1].max() > 0
    # Without classical physics the physics term vanishes.
    dry = HybridModel.create(
        PrimitiveEquationsModel.from_case("jw_steady", "T21", layers=4, dt=1800.0), SMALL
    )
    dry_terms = dry.tendencies(dry.init_params(jax.random.key(5)), dry.initial_state())
    assert max(np.abs(v).max() for v in dry_terms["physics"].values()) == 0.0


def test_inputs_and_configuration_errors(hybrid):
    assert len(feature_names(4, moist=True)) == np.size(hybrid.normalisation.mean)
    insolation = np.asarray(toa_insolation(jnp.asarray(12 * 3600.0), hybrid.grid))
    assert insolation.max() > 1200.0 and insolation.min() == 0.0  # day and night
    with pytest.raises(ValueError, match="whole multiple"):
        HybridModel.create(hybrid.dycore, SMALL, physics_interval_s=2700.0)


def test_global_temperature_inputs_read_a_uniform_warming_and_nothing_local(hybrid):
    """The optional non-local inputs: each level's area-mean T, the same in every column,
    standardised by 1 K, so a uniform warming of 1.5 K moves each by 1.5 and a local anomaly
    of zero mean leaves them alone. The column's own inputs are those of the plain network."""
    network = dataclasses.replace(SMALL, global_temperature=True)
    wide = HybridModel.create(hybrid.dycore, network)
    layers, grid = hybrid.layers, hybrid.grid
    names = wide.feature_names()
    assert names[: len(hybrid.feature_names())] == hybrid.feature_names()
    assert names[-layers:] == [f"global_mean_temperature[{k}]" for k in range(layers)]

    state = wide.initial_state()
    plain, features = np.asarray(hybrid.features(state)), np.asarray(wide.features(state))
    np.testing.assert_array_equal(features[:, : plain.shape[1]], plain)
    glob = features[:, -layers:]
    assert np.all(glob == glob[:1])  # the same in every column
    temperature = np.asarray(grid.to_nodal(state.dynamics.temperature_variation))
    raw = np.asarray(wide.features(state, normalised=False))[0, -layers:]
    np.testing.assert_allclose(raw, (temperature * grid.area_weights).sum((-2, -1)), rtol=1e-5)

    warm = wide.wrap(hybrid.dycore.warmed(state.dynamics, 1.5))
    shift = np.asarray(wide.features(warm))[0, -layers:] - glob[0]
    np.testing.assert_allclose(shift, 1.5, rtol=1e-4)
    # A zonal-wavenumber-3 anomaly has zero area mean: the global inputs do not move.
    wave = np.cos(3 * grid.longitudes)[None, None, :] * np.ones((layers, grid.nlat, 1))
    local = dataclasses.replace(
        state.dynamics,
        temperature_variation=state.dynamics.temperature_variation
        + grid.to_modal(jnp.asarray(5.0 * wave, grid.dtype)),
    )
    moved = np.asarray(wide.features(wide.wrap(local)))[0, -layers:] - glob[0]
    assert np.abs(moved).max() < 1e-4
