"""Shallow-water model: balance, conservation, precision, differentiability, jit/scan."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ngcm_lab import cases, time_integration
from ngcm_lab.models import ShallowWaterModel, suggested_dt
from ngcm_lab.spherical_harmonics import Grid


def test_rotated_williamson2_stays_at_round_off_with_tilted_coriolis():
    """TC2 with the flow axis tilted by α = π/4: f is rotated too, degrees stay ≤ 2."""
    with jax.enable_x64(True):
        grid = Grid.from_name("T21", np.float64)
        lat, lon = grid.latitudes[:, None], grid.longitudes[None, :]
        alpha = np.pi / 4
        fields = cases.williamson2(lat, lon, alpha=alpha)
        coriolis = cases.williamson2_coriolis(lat, lon, alpha=alpha)
        model = ShallowWaterModel.from_fields(fields, grid, 1800.0, coriolis_per_s=coriolis)
        state = model.rollout(model.initial_state, 48)  # one day
        h = model.decode(state)["free_surface"]
        assert np.max(np.abs(h - fields.free_surface)) / np.max(fields.free_surface) < 1e-12


def test_mass_is_conserved_exactly_in_a_nonlinear_flow():
    model = ShallowWaterModel.from_case("galewsky", "T21")
    state = jax.jit(lambda s: model.rollout(s, 96))(model.initial_state)
    assert model.total_mass(state) == model.total_mass(model.initial_state)
    assert float(jnp.abs(state.height[0, 0])) == 0.0


def test_float32_model_stays_float32_even_with_x64_enabled():
    with jax.enable_x64(True):
        model = ShallowWaterModel.from_case("williamson6", "T21", dtype=np.float32)
        state = jax.jit(model.step)(model.initial_state)
        assert {x.dtype for x in jax.tree.leaves(state)} == {jnp.dtype(jnp.complex64)}


def test_gradient_through_a_jitted_scan_rollout_matches_finite_differences():
    """d(final energy)/d(initial amplitude) by jax.grad vs a central difference."""
    with jax.enable_x64(True):
        model = ShallowWaterModel.from_case("williamson6", "T21", dtype=np.float64)
        x0 = model.initial_state

        @jax.jit
        def final_enstrophy(scale):
            state = jax.tree.map(lambda x: x * scale, x0)
            out = time_integration.repeated(model.step, 12)(state)
            return jnp.sum(jnp.abs(out.vorticity) ** 2)

        grad = jax.grad(final_enstrophy)(1.0)
        eps = 1e-5
        fd = (final_enstrophy(1.0 + eps) - final_enstrophy(1.0 - eps)) / (2 * eps)
        assert float(grad) == pytest.approx(float(fd), rel=1e-6)


def test_encode_decode_round_trip_of_si_fields():
    model = ShallowWaterModel.from_case("williamson6", "T42")
    grid = model.grid
    fields = cases.williamson6(grid.latitudes[:, None], grid.longitudes[None, :])
    out = model.decode(model.initial_state)
    for key, ref in [("u", fields.u), ("v", fields.v), ("depth", fields.depth)]:
        assert np.max(np.abs(out[key] - ref)) <= 2e-6 * np.max(np.abs(ref)) + 1e-4


def test_suggested_time_step_scales_with_resolution_and_divides_an_hour():
    dts = [suggested_dt(Grid.from_name(n)) for n in ("T21", "T42", "T85", "T213")]
    assert dts == sorted(dts, reverse=True)
    assert all(3600 % dt == 0 for dt in dts)
