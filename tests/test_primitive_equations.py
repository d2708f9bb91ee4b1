"""Primitive equations on σ levels: discrete operators, implicit solve, steady states."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ngcm_lab.constants import KAPPA, R_DRY, SCALES
from ngcm_lab.primitive_equations import (
    PrimitiveEquations,
    PrimitiveEquationsState,
    hydrostatic_matrix,
)
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid


def equations(dtype=np.float32, layers=8):
    grid = Grid.from_name("T21", dtype)
    coords = SigmaCoordinates.equidistant(layers)
    return PrimitiveEquations(
        grid, coords, np.full(layers, 300.0), R_DRY / SCALES.velocity_unit**2, KAPPA
    )


def random_state(eq, seed=0, scale=1e-3):
    rng = np.random.default_rng(seed)
    shape = (eq.coords.layers, *eq.grid.modal_shape)

    def field(shape):
        x = rng.normal(size=shape) + 1j * rng.normal(size=shape)
        x = np.where(eq.grid.mask, x, 0) * scale
        x[..., 0, :] = x[..., 0, :].real
        return jnp.asarray(x, eq.grid.complex_dtype)

    vorticity, divergence = (field(shape).at[:, 0, 0].set(0.0) for _ in range(2))
    return PrimitiveEquationsState(
        vorticity, divergence, field(shape) * 100, field(eq.grid.modal_shape), {}
    )


def test_isothermal_hydrostatic_geopotential_is_close_to_continuous():
    """Φ_k − Φ_s = R T Σ_j G_kj against R T ln(1/σ_k) for an isothermal column."""
    coords = SigmaCoordinates.equidistant(20)
    discrete = hydrostatic_matrix(coords).sum(axis=1)
    continuous = -np.log(coords.centers)
    assert discrete[0] == pytest.approx(np.log(2.0) + np.log(coords.interfaces[-1] / 0.05))
    np.testing.assert_allclose(discrete[1:], continuous[1:], rtol=0.01)


def test_resting_isothermal_atmosphere_has_no_tendency():
    eq = equations()
    zero = jnp.zeros((eq.coords.layers, *eq.grid.modal_shape), jnp.complex64)
    state = PrimitiveEquationsState(zero, zero, zero, zero[0], {"q": zero})
    for term in (eq.explicit_terms(state), eq.implicit_terms(state)):
        assert max(float(jnp.max(jnp.abs(x))) for x in jax.tree.leaves(term)) == 0.0


def test_implicit_inverse_solves_the_implicit_system():
    with jax.enable_x64(True):
        eq = equations(np.float64)
        x = random_state(eq)
        theta = 0.05
        y = eq.implicit_inverse(x, theta)
        g = eq.implicit_terms(y)
        residual = jax.tree.map(lambda a, b, c: a - theta * b - c, y, g, x)
        for leaf, ref in zip(jax.tree.leaves(residual), jax.tree.leaves(x), strict=True):
            assert float(jnp.max(jnp.abs(leaf))) < 1e-12 * (1 + float(jnp.max(jnp.abs(ref))))


def test_float32_stays_float32_and_global_mean_divergence_stays_zero():
    with jax.enable_x64(True):
        eq = equations(np.float32)
        from ngcm_lab import time_integration as ti

        step = jax.jit(ti.imex_rk_sil3(eq, SCALES.nondim_time(1200.0)))
        state = random_state(eq, scale=1e-4)
        state = PrimitiveEquationsState(
            state.vorticity,
            state.divergence,
            state.temperature_variation,
            state.log_surface_pressure.at[0, 0].set(0.0),
            {"q": state.temperature_variation * 1e-3},
        )
        for _ in range(10):
            state = step(state)
        assert {x.dtype for x in jax.tree.leaves(state)} == {jnp.dtype(jnp.complex64)}
        # ⟨δ⟩ ≡ 0 on every layer: no net convergence can appear (vorticity likewise).
        assert float(jnp.max(jnp.abs(state.vorticity[:, 0, 0]))) == 0.0
        assert float(jnp.max(jnp.abs(state.divergence[:, 0, 0]))) == 0.0


def test_jablonowski_williamson_steady_state_stays_zonal_for_30_days():
    """JW06 part 1: the balanced zonal state must stay zonal and steady (T21, 12 layers)."""
    model = PrimitiveEquationsModel.from_case("jw_steady", "T21", layers=12, dt=1800.0)
    result = model.run(30.0, output_interval_hours=24.0 * 15, progress=False)
    first = model.decode(jax.tree.map(lambda x: x[0], result.states))
    last = model.decode(jax.tree.map(lambda x: x[-1], result.states))
    u = last["u"]
    assert np.max(np.abs(u - u.mean(axis=-1, keepdims=True))) < 1e-3  # stays zonal
    assert np.max(np.abs(u - first["u"])) < 0.5  # m s⁻¹; steady to the discrete balance
    assert np.max(np.abs(last["surface_pressure"] - 1e5)) < 50.0  # Pa


def test_gradient_through_primitive_rollout_is_finite():
    model = PrimitiveEquationsModel.from_case("jablonowski_williamson", "T21", layers=6, dt=1800.0)
    x0 = model.initial_state

    def loss(scale):
        out = model.rollout(jax.tree.map(lambda x: x * scale, x0), 4)
        return jnp.sum(jnp.abs(out.temperature_variation) ** 2)

    g = jax.jit(jax.grad(loss))(1.0)
    assert bool(jnp.isfinite(g)) and float(g) != 0.0


def test_baroclinic_wave_deepens_on_schedule():
    """JW06 part 2 at T42, 20 equidistant σ layers, dt 900 s.

    High-resolution references deepen to a minimum surface pressure in the mid-940s hPa at day 9,
    and Dinosaur (T42 L26) reaches 947 hPa (test-cases.md). We require 940–955 hPa at day 9,
    and that the wave has not run ahead (day 7 above 980 hPa) — a wave a day late or early is the
    classic symptom of an initial-condition bug. Measured: 986.1, 970.6, 947.6 hPa at days 7–9.
    """
    model = PrimitiveEquationsModel.from_case("jablonowski_williamson", "T42", layers=20, dt=900.0)
    result = model.run(9.0, output_interval_hours=24.0, progress=False)
    min_ps = [
        model.decode(jax.tree.map(lambda x, i=i: x[i], result.states))["surface_pressure"].min()
        / 100.0
        for i in range(len(result.times_s))
    ]
    assert min_ps[7] > 980.0
    assert min_ps[8] < min_ps[7] - 5.0
    assert 940.0 <= min_ps[9] <= 955.0


def test_held_suarez_spin_up_has_symmetric_midlatitude_jets():
    """Held & Suarez (1994) at T21, 10 layers, dt 1 h: 150 days, statistics over days 50–150.

    The paper's climate has westerly jets of about 30 m s⁻¹ near σ = 0.25 in both hemispheres,
    surface westerlies under them and easterlies in the tropics. Bands allow for T21's coarseness
    and the short average: jets 20–45 m s⁻¹ between 25° and 55°, hemispheres within 15 %,
    upper-level equatorial wind below a third of the jets. Measured (days 100–200): 33.1 and
    33.1 m s⁻¹ at ±30.5°.
    """
    model = PrimitiveEquationsModel.from_case("held_suarez", "T21", layers=10, dt=3600.0)
    result = model.run(150.0, output_interval_hours=24.0 * 5, progress=False)
    lat = np.degrees(model.grid.latitudes)
    zonal = np.stack(
        [
            model.decode(jax.tree.map(lambda x, i=i: x[i], result.states))["u"].mean(axis=-1)
            for i in range(10, len(result.times_s))
        ]
    ).mean(axis=0)  # (layers, lat), days 50–150
    upper = zonal[np.argmin(np.abs(model.coords.centers - 0.25))]
    jets = []
    for hemisphere in (lat > 0, lat < 0):
        speed = upper[hemisphere].max()
        where = abs(lat[hemisphere][upper[hemisphere].argmax()])
        assert 20.0 <= speed <= 45.0 and 25.0 <= where <= 55.0, (speed, where)
        jets.append(speed)
    assert abs(jets[0] - jets[1]) <= 0.15 * np.mean(jets)
    assert np.max(np.abs(upper[np.abs(lat) < 10])) < np.mean(jets) / 3
    surface = zonal[-1]
    assert surface[np.abs(lat) < 15].mean() < 0.0  # trade easterlies
    assert surface[(np.abs(lat) > 35) & (np.abs(lat) < 55)].mean() > 0.0  # surface westerlies
    # Dry mass: the spectral ln p_s equation does not conserve ∫ p_s exactly; the mass drifts
    # (measured −0.05 % in 150 days, steady). Bound it at 0.1 %; a mass fixer is future work.
    masses = [
        model.global_mean_surface_pressure(jax.tree.map(lambda x, i=i: x[i], result.states))
        for i in (0, -1)
    ]
    assert abs(masses[1] / masses[0] - 1.0) < 1e-3
