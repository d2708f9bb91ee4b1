"""Implicit–explicit (IMEX) Runge–Kutta time stepping for dX/dt = F(X) + G(X).

F holds the slow, nonlinear terms (advection, Coriolis, forcing) and is stepped explicitly; G holds
the fast linear gravity-wave terms and is stepped implicitly, so the time step is set by advection
rather than by gravity-wave speed. A scheme is its Butcher tableaux, written as in the papers; a
time integrator is a function of an equation and a step size that returns a pure `step(state)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import jax
import numpy as np

PyTree = Any
StepFn = Callable[[PyTree], PyTree]


class ImplicitExplicitODE(Protocol):
    """An equation split into explicit and implicit parts, acting on a pytree state."""

    def explicit_terms(self, state: PyTree) -> PyTree:
        """F(X): tendencies stepped explicitly."""

    def implicit_terms(self, state: PyTree) -> PyTree:
        """G(X): linear tendencies stepped implicitly."""

    def implicit_inverse(self, state: PyTree, step_size: float) -> PyTree:
        """Solve Y − step_size·G(Y) = X for Y."""


@dataclasses.dataclass(frozen=True)
class ImexTableau:
    """Butcher tableaux of an s-stage IMEX Runge–Kutta scheme (s × s matrices, weights of length s).

    `a_explicit` must be strictly lower triangular and `a_implicit` lower triangular.
    """

    a_explicit: Sequence[Sequence[float]]
    a_implicit: Sequence[Sequence[float]]
    b_explicit: Sequence[float]
    b_implicit: Sequence[float]

    def __post_init__(self):
        a_ex, a_im = np.asarray(self.a_explicit), np.asarray(self.a_implicit)
        s = len(self.b_explicit)
        if a_ex.shape != (s, s) or a_im.shape != (s, s) or len(self.b_implicit) != s:
            raise ValueError("IMEX tableaux must be s × s with weights of length s")
        if np.any(np.triu(a_ex) != 0) or np.any(np.triu(a_im, 1) != 0):
            raise ValueError("explicit tableau must be strictly lower, implicit lower triangular")


# Whitaker & Kar (2013, Mon. Wea. Rev. 141:3426, scheme "SIL3"): three explicit evaluations per
# step, as NeuralGCM's dynamical core uses. Its final stage is the update ("stiffly accurate").
# Second order overall; the explicit part is third order on linear problems (tests measure both).
SIL3 = ImexTableau(
    a_explicit=[[0, 0, 0, 0], [1 / 3, 0, 0, 0], [1 / 6, 1 / 2, 0, 0], [1 / 2, -1 / 2, 1, 0]],
    a_implicit=[[0, 0, 0, 0], [1 / 6, 1 / 6, 0, 0], [1 / 3, 0, 1 / 3, 0], [3 / 8, 0, 3 / 8, 1 / 4]],
    b_explicit=[1 / 2, -1 / 2, 1, 0],
    b_implicit=[3 / 8, 0, 3 / 8, 1 / 4],
)

# Forward–backward Euler (first order), for tests and as the simplest IMEX scheme.
EULER = ImexTableau(
    a_explicit=[[0, 0], [1, 0]],
    a_implicit=[[0, 0], [0, 1]],
    b_explicit=[1, 0],
    b_implicit=[0, 1],
)


def _axpy(base: PyTree, terms: Sequence[tuple[float, PyTree]]) -> PyTree:
    """base + Σ cᵢ·termᵢ over pytrees, skipping zero coefficients at trace time."""
    # Python floats are weakly typed in JAX: float32 states stay float32 even with x64 enabled.
    terms = [(float(c), t) for c, t in terms if c != 0]
    if not terms:
        return base
    return jax.tree.map(
        lambda b, *ts: b + sum(c * t for (c, _), t in zip(terms, ts, strict=True)),
        base,
        *[t for _, t in terms],
    )


def imex_runge_kutta(tableau: ImexTableau, equation: ImplicitExplicitODE, dt: float) -> StepFn:
    """Return `step(X_n) -> X_{n+1}` for the IMEX Runge–Kutta scheme `tableau`.

    Stage i: Yᵢ = X + dt Σ_{j<i} (a^E_ij Fⱼ + a^I_ij Gⱼ) + dt a^I_ii G(Yᵢ), solved for Yᵢ with
    `implicit_inverse`; then X_{n+1} = X + dt Σ (b^E_i Fᵢ + b^I_i Gᵢ) (Ascher, Ruuth & Spiteri 1997,
    eq. 2.3). Evaluations whose coefficients are all zero are skipped, and a stiffly accurate scheme
    returns its last stage directly.
    """
    a_ex = np.asarray(tableau.a_explicit, dtype=float) * dt
    a_im = np.asarray(tableau.a_implicit, dtype=float) * dt
    b_ex = np.asarray(tableau.b_explicit, dtype=float) * dt
    b_im = np.asarray(tableau.b_implicit, dtype=float) * dt
    s = len(b_ex)
    need_f = [bool(b_ex[i] or np.any(a_ex[i + 1 :, i])) for i in range(s)]
    need_g = [bool(b_im[i] or np.any(a_im[i + 1 :, i])) for i in range(s)]
    stiffly_accurate = np.allclose(a_ex[-1], b_ex) and np.allclose(a_im[-1], b_im)

    def step(state: PyTree) -> PyTree:
        f, g = [None] * s, [None] * s
        stage = state
        for i in range(s):
            rhs = _axpy(
                state,
                [(a_ex[i, j], f[j]) for j in range(i)] + [(a_im[i, j], g[j]) for j in range(i)],
            )
            stage = equation.implicit_inverse(rhs, float(a_im[i, i])) if a_im[i, i] else rhs
            if need_f[i]:
                f[i] = equation.explicit_terms(stage)
            if need_g[i]:
                g[i] = equation.implicit_terms(stage)
        if stiffly_accurate:
            return stage
        return _axpy(
            state, [(b_ex[i], f[i]) for i in range(s)] + [(b_im[i], g[i]) for i in range(s)]
        )

    return step


def imex_rk_sil3(equation: ImplicitExplicitODE, dt: float) -> StepFn:
    """SIL3 IMEX Runge–Kutta step (Whitaker & Kar 2013)."""
    return imex_runge_kutta(SIL3, equation, dt)


def with_filters(step: StepFn, filters: Sequence[StepFn]) -> StepFn:
    """Compose a step with state filters applied after it, in order."""

    def filtered_step(state: PyTree) -> PyTree:
        state = step(state)
        for apply in filters:
            state = apply(state)
        return state

    return filtered_step


def repeated(step: StepFn, n: int) -> StepFn:
    """`step` applied `n` times in a `lax.scan` (one compiled loop, differentiable)."""
    if n == 1:
        return step

    def body(state: PyTree, _: None) -> tuple[PyTree, None]:
        return step(state), None

    def many(state: PyTree) -> PyTree:
        return jax.lax.scan(body, state, xs=None, length=n)[0]

    return many
