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


def test_free_run_budget_reads_the_network_at_the_runs_own_time(tiny_training):
    """A run's outputs count time from its start; the budget along it must evaluate the network
    at the absolute time (its insolation input), as the run itself does."""
    from ngcm_lab.free_runs import _budget_along, _fields_of

    hybrid, truth, _, _ = tiny_training
    params = hybrid.init_params(jax.random.key(0))
    start_s = 100 * 86400.0
    run = hybrid.run(params, hybrid.wrap(truth.state(0), start_s), 0.25, progress=False)
    fields = _fields_of(hybrid, run.states, run.times_s)
    budget = _budget_along(hybrid, params, run.states, run.times_s, fields, 1, start_s)
    last = jax.tree.map(lambda x: x[-1], run.states)
    at = {
        t: column_budget(hybrid, params, HybridState(last, jnp.float32(t)))["heating_W_m2"]
        for t in (start_s + run.times_s[-1], run.times_s[-1])
    }
    right, wrong = (h["network"] for h in at.values())
    assert abs(right - wrong) > 1e-3 * abs(right)  # the insolation input does matter here
    np.testing.assert_allclose(budget["heating_W_m2"]["network"][-1], right, rtol=1e-6)
