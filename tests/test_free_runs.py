"""The column budget of a free run: each term's global-mean column heating, integrated right."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.constants import CP_DRY, GRAVITY
from ngcm_lab.free_runs import column_budget
from ngcm_lab.held_suarez import HeldSuarezForcing
from ngcm_lab.hybrid_model import HybridState


def test_held_suarez_cooling_of_a_uniform_warming_is_its_relaxation_rate(tiny_training):
    """Held–Suarez relaxes T towards T_eq(φ, σ, p_s) at the rate k_T(φ, σ), so warming every
    column by 1 K changes the physics' heating by −c_p Σ_k (p_s Δσ_k / g) k_T exactly; the
    network's heating is zero with zero parameters."""
    hybrid, truth, _, _ = tiny_training
    zero = jax.tree.map(jnp.zeros_like, hybrid.init_params(jax.random.key(0)))
    state = HybridState(truth.state(4), jnp.float32(truth.times_s[4]))
    warm = dataclasses.replace(state, dynamics=hybrid.dycore.warmed(state.dynamics, 1.0))
    before, after = (column_budget(hybrid, zero, s)["heating_W_m2"] for s in (state, warm))
    assert before["network"] == 0.0 and after["network"] == 0.0
    grid, coords = hybrid.grid, hybrid.dycore.coords
    rate = np.asarray(
        HeldSuarezForcing().temperature_relaxation_rate(
            grid.latitudes[:, None], coords.centers[:, None, None]
        )
    )
    ps = hybrid.dycore.decode(state.dynamics)["surface_pressure"]
    mass = ps * coords.thickness[:, None, None] / GRAVITY
    weights = grid.area_weights / grid.area_weights.sum()
    expected = -CP_DRY * np.sum(np.sum(mass * rate, 0) * weights)
    np.testing.assert_allclose(after["physics"] - before["physics"], expected, rtol=2e-3)
    assert expected < -1.0  # W m⁻² K⁻¹: a restoring the test can see
    assert "moistening_kg_m2_s" not in before  # a dry model
