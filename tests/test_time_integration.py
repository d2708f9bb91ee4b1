"""IMEX Runge–Kutta schemes: tableau checks, convergence order, composition."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ngcm_lab import time_integration as ti


@dataclasses.dataclass(frozen=True)
class SplitLinear:
    """dy/dt = λ_E y + λ_I y with exact solution y₀ exp((λ_E + λ_I) t)."""

    lam_explicit: complex
    lam_implicit: complex

    def explicit_terms(self, y):
        return jax.tree.map(lambda x: self.lam_explicit * x, y)

    def implicit_terms(self, y):
        return jax.tree.map(lambda x: self.lam_implicit * x, y)

    def implicit_inverse(self, y, step_size):
        return jax.tree.map(lambda x: x / (1 - step_size * self.lam_implicit), y)


def error_at(tableau, dt, t_end=1.0):
    eq = SplitLinear(-0.7 + 1.3j, -0.4 + 2.0j)
    step = jax.jit(ti.imex_runge_kutta(tableau, eq, dt))
    y = jnp.asarray(1.0 + 0j, jnp.complex128)
    for _ in range(int(round(t_end / dt))):
        y = step(y)
    return abs(complex(y) - np.exp(eq.lam_explicit + eq.lam_implicit))


def test_sil3_is_second_order_and_euler_first_order():
    with jax.enable_x64(True):
        for tableau, order in [(ti.SIL3, 2), (ti.EULER, 1)]:
            e1, e2 = error_at(tableau, 0.02), error_at(tableau, 0.01)
            assert np.log2(e1 / e2) == pytest.approx(order, abs=0.15)


def test_sil3_explicit_part_is_third_order_on_linear_problems():
    """SIL3's explicit tableau satisfies the linear third-order conditions (b·A·c = 1/6) but not
    b·c² = 1/3 (it gives 7/18), so it is third order on linear problems and second otherwise."""
    with jax.enable_x64(True):
        tableau = ti.SIL3
        eq = SplitLinear(-0.7 + 1.3j, 0.0)
        errors = []
        for dt in (0.04, 0.02):
            step = jax.jit(ti.imex_runge_kutta(tableau, eq, dt))
            y = jnp.asarray(1.0 + 0j, jnp.complex128)
            for _ in range(int(round(1 / dt))):
                y = step(y)
            errors.append(abs(complex(y) - np.exp(eq.lam_explicit)))
        assert np.log2(errors[0] / errors[1]) == pytest.approx(3.0, abs=0.15)
        c = np.sum(tableau.a_explicit, axis=1)
        assert np.dot(tableau.b_explicit, c) == pytest.approx(1 / 2)
        a_c = np.asarray(tableau.a_explicit) @ c
        assert np.dot(tableau.b_explicit, a_c) == pytest.approx(1 / 6)
        assert sum(tableau.b_explicit) == pytest.approx(1.0)
        assert sum(tableau.b_implicit) == pytest.approx(1.0)


def test_stiff_implicit_part_is_stable_at_huge_steps():
    eq = SplitLinear(0.0, -1e6)
    y = ti.imex_rk_sil3(eq, 1.0)(jnp.asarray(1.0))
    assert abs(float(y)) < 1.0


def test_tableau_validation():
    with pytest.raises(ValueError, match="strictly lower"):
        ti.ImexTableau([[1.0]], [[0.0]], [1.0], [1.0])


def test_pytree_states_filters_and_repeat():
    eq = SplitLinear(-1.0, 0.0)
    step = ti.with_filters(ti.imex_rk_sil3(eq, 0.1), [lambda s: jax.tree.map(lambda x: 2 * x, s)])
    state = {"a": jnp.ones(3), "b": jnp.zeros(2)}
    once = step(state)
    assert set(once) == {"a", "b"} and float(once["a"][0]) > 1.5
    many = ti.repeated(step, 3)(state)
    manual = step(step(step(state)))
    np.testing.assert_allclose(many["a"], manual["a"], rtol=1e-6)
