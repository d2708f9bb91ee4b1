"""Newtonian cooling: the tendency is −(T − T_eq)/τ, and a resting atmosphere warmed uniformly by
ΔT cools back as ΔT e^(−t/τ).

The decay check runs the full model (dynamics, SIL3, filters) at rest: a horizontally uniform
state on a flat planet has no pressure gradients, so only the cooling acts. With dt/τ = 1/48
the third-order explicit stages err by ~(dt/τ)⁴/24 ≈ 2e-8 per step, and float32 holds T to
~1e-5 K, so 1e-4 of the 1 K anomaly is a generous bound.
"""

from __future__ import annotations

import numpy as np
import pytest

from ngcm_lab.cases.jablonowski_williamson import PrimitiveFields
from ngcm_lab.constants import P0, SCALES
from ngcm_lab.newtonian_cooling import NewtonianCooling
from ngcm_lab.physics_registry import physics_term
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid

DAY = 86400.0
GRID = Grid.from_name("T21")
COORDS = SigmaCoordinates.equidistant(5)


def test_profile_is_the_standard_atmosphere() -> None:
    cooling = NewtonianCooling()
    t_eq = cooling.equilibrium_temperature(np.array([1.0, 0.5, 0.1]))
    # T_0 σ^(R Γ / g), R Γ / g = 287.04 × 0.0065 / 9.80616 ≈ 0.19026, floored at 216.65 K.
    assert t_eq[0] == pytest.approx(288.15, rel=1e-12)
    assert t_eq[1] == pytest.approx(288.15 * 0.5**0.190264, rel=1e-5)
    assert t_eq[2] == pytest.approx(216.65, rel=1e-12)


def test_tendency_is_minus_the_anomaly_over_the_timescale() -> None:
    cooling = NewtonianCooling(timescale_s=2.0 * DAY)
    forcing = cooling.forcing(GRID, COORDS, SCALES)
    shape = (COORDS.layers, *GRID.nodal_shape)
    rng = np.random.default_rng(0)
    t = 250.0 + 30.0 * rng.standard_normal(shape).astype(np.float32)
    u = rng.standard_normal(shape).astype(np.float32)
    log_ps = np.zeros(GRID.nodal_shape, np.float32)
    du, dv, dt, dx = forcing(u, u, t, log_ps, {})
    t_eq = cooling.equilibrium_temperature(COORDS.centers)[:, None, None]
    expected_per_s = -(t - t_eq) / (2.0 * DAY)
    # float32 T has an ulp of 1.5e-5 K near 250 K, which T − T_eq keeps where they nearly cancel
    np.testing.assert_allclose(
        np.asarray(dt) / SCALES.time_unit, expected_per_s, rtol=1e-5, atol=3e-5 / (2.0 * DAY)
    )
    assert np.all(np.asarray(du) == 0) and np.all(np.asarray(dv) == 0) and dx == {}


def test_model_built_by_name_cools_a_uniform_warming_exponentially() -> None:
    tau, dt_s, steps = 1.0 * DAY, 1800.0, 12
    term = physics_term("newtonian_cooling", timescale_s=tau)
    assert isinstance(term, NewtonianCooling)
    shape = (COORDS.layers, *GRID.nodal_shape)
    t_eq = np.broadcast_to(term.equilibrium_temperature(COORDS.centers)[:, None, None], shape)
    zeros = np.zeros(shape)
    fields = PrimitiveFields(
        zeros,
        zeros,
        t_eq + 1.0,
        np.full(GRID.nodal_shape, P0),
        np.zeros(GRID.nodal_shape),
        zeros,
        zeros,
    )
    model = PrimitiveEquationsModel.from_fields(fields, GRID, COORDS, dt_s, physics=(term,))
    out = model.decode(model.rollout(model.initial_state, steps))
    anomaly = out["temperature"] - t_eq
    expected = np.exp(-steps * dt_s / tau)  # e^(−1/4) ≈ 0.7788 after 6 h
    np.testing.assert_allclose(anomaly, expected, atol=1e-4)
    assert np.abs(out["u"]).max() < 1e-3 and np.abs(out["v"]).max() < 1e-3
