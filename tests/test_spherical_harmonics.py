"""Transforms and spectral operators on named Gaussian grids."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ngcm_lab.spherical_harmonics import RESOLUTIONS, Grid


def random_modal(grid: Grid, seed: int = 0, truncation: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=grid.modal_shape) + 1j * rng.normal(size=grid.modal_shape)
    top = grid.truncation if truncation is None else truncation
    c = np.where(grid.total_wavenumber <= top, c, 0)
    c[0] = c[0].real  # m = 0 coefficients of a real field are real
    return c


def test_all_required_resolutions_exist():
    for name in ["T21", "T31", "T42", "T63", "T85", "T106", "T127", "TL63", "TL127", "TL255"]:
        grid = Grid.from_name(name)
        assert (grid.truncation, grid.nlat, grid.nlon) == RESOLUTIONS[name]
        linear = name.startswith("TL")
        assert grid.nlon >= (2 if linear else 3) * grid.truncation + 1


def test_unknown_resolution_lists_valid_names():
    with pytest.raises(ValueError, match="valid names: .*T42.*TL255"):
        Grid.from_name("T43")
    with pytest.raises(ValueError, match="did you mean TL255"):
        Grid.from_name("T255")


@pytest.mark.parametrize("name", ["T21", "T42", "TL63", "TL255"])
def test_round_trip_float64(name):
    with jax.enable_x64(True):
        grid = Grid.from_name(name, np.float64)
        c = random_modal(grid)
        back = grid.to_modal(grid.to_nodal(jnp.asarray(c)))
        assert back.dtype == jnp.complex128
        assert np.max(np.abs(back - c)) / np.max(np.abs(c)) <= 1e-12


@pytest.mark.parametrize("name", ["T42", "TL255"])
def test_round_trip_float32(name):
    grid = Grid.from_name(name)
    c = random_modal(grid)
    nodal = grid.to_nodal(jnp.asarray(c, jnp.complex64))
    assert nodal.dtype == jnp.float32
    back = grid.to_modal(nodal)
    assert back.dtype == jnp.complex64
    assert np.max(np.abs(back - c)) / np.max(np.abs(c)) <= 1e-5


def test_batched_transform_equals_one_by_one():
    grid = Grid.from_name("T21")
    batch = jnp.asarray(np.stack([random_modal(grid, s) for s in range(3)]))[None]
    nodal = grid.to_nodal(batch)
    assert nodal.shape == (1, 3, grid.nlat, grid.nlon)
    for i in range(3):
        np.testing.assert_allclose(nodal[0, i], grid.to_nodal(batch[0, i]), atol=1e-5)


def test_known_harmonics_on_the_grid():
    with jax.enable_x64(True):
        grid = Grid.from_name("T21", np.float64)
        mu = grid.sin_latitude[:, None]
        lam = grid.longitudes[None, :]
        # P̄_1^0 = √(3/2) μ; a real field 2 Re(c e^{iλ}) P̄_1^1 with P̄_1^1 = √(3/4) cos φ.
        c = np.zeros(grid.modal_shape, complex)
        c[0, 1] = 1.0
        c[1, 0] = 0.5 - 0.25j
        expected = np.sqrt(1.5) * mu + 2 * np.sqrt(0.75) * np.sqrt(1 - mu**2) * (
            0.5 * np.cos(lam) + 0.25 * np.sin(lam)
        )
        np.testing.assert_allclose(grid.to_nodal(c), expected, atol=1e-13)
        assert abs(float(grid.global_mean(grid.to_nodal(c)))) < 1e-15


def test_derivative_operators_against_analytic_fields():
    with jax.enable_x64(True):
        grid = Grid.from_name("T42", np.float64)
        mu = grid.sin_latitude[:, None]
        cos = np.sqrt(1 - mu**2)
        lam = grid.longitudes[None, :]
        f = cos**3 * np.sin(3 * lam) + mu**2  # degree ≤ 3
        modal = grid.to_modal(f)
        np.testing.assert_allclose(
            grid.to_nodal(grid.d_dlon(modal)), 3 * cos**3 * np.cos(3 * lam), atol=1e-12
        )
        # cos φ ∂f/∂φ = (1 − μ²) ∂f/∂μ.
        expected = (1 - mu**2) * (-3 * mu * cos * np.sin(3 * lam) + 2 * mu)
        np.testing.assert_allclose(grid.to_nodal(grid.cos_lat_d_dlat(modal)), expected, atol=1e-12)
        # ∇²: degree 3 sector and the n=2 zonal part of μ² = 1/3 + (2/3) P₂(μ).
        lap = grid.to_nodal(grid.laplacian(modal))
        expected_lap = -12 * cos**3 * np.sin(3 * lam) - 6 * (mu**2 - 1 / 3)
        np.testing.assert_allclose(lap, expected_lap, atol=1e-12)
        back = grid.inverse_laplacian(grid.laplacian(modal))
        np.testing.assert_allclose(back, modal.at[0, 0].set(0), atol=1e-13)


def test_winds_from_vorticity_and_divergence_round_trip():
    with jax.enable_x64(True):
        grid = Grid.from_name("TL63", np.float64)
        zeta = jnp.asarray(random_modal(grid, 1)).at[0, 0].set(0)
        delta = jnp.asarray(random_modal(grid, 2)).at[0, 0].set(0)
        u, v = grid.uv_from_vort_div(zeta, delta)
        z2, d2 = grid.vort_div_from_uv(u, v)
        assert np.max(np.abs(z2 - zeta)) < 1e-11 * np.max(np.abs(zeta))
        assert np.max(np.abs(d2 - delta)) < 1e-11 * np.max(np.abs(delta))


def test_solid_body_rotation_winds():
    """ζ = 2 u₀ μ (unit sphere) is solid-body rotation u = u₀ cos φ, v = 0."""
    with jax.enable_x64(True):
        grid = Grid.from_name("T21", np.float64)
        zeta = grid.to_modal(
            np.broadcast_to(2 * 0.1 * grid.sin_latitude[:, None], grid.nodal_shape)
        )
        u, v = grid.uv_from_vort_div(zeta, jnp.zeros_like(zeta))
        np.testing.assert_allclose(
            u, 0.1 * grid.cos_latitude[:, None] * np.ones((1, 64)), atol=1e-14
        )
        np.testing.assert_allclose(v, 0, atol=1e-14)


def test_energy_spectrum_sums_to_global_mean_kinetic_energy():
    with jax.enable_x64(True):
        grid = Grid.from_name("T42", np.float64)
        zeta = jnp.asarray(random_modal(grid, 3)).at[0, 0].set(0)
        delta = jnp.asarray(random_modal(grid, 4)).at[0, 0].set(0)
        u, v = grid.uv_from_vort_div(zeta, delta)
        mean_ke = float(grid.global_mean(0.5 * (u**2 + v**2)))
        spectrum = grid.kinetic_energy_spectrum(zeta, delta)
        assert spectrum.shape == (grid.truncation + 1,)
        assert abs(spectrum.sum() - mean_ke) < 1e-10 * mean_ke


def test_evaluate_at_reproduces_the_grid_and_interpolates():
    with jax.enable_x64(True):
        grid = Grid.from_name("T21", np.float64)
        c = random_modal(grid, 5)
        np.testing.assert_allclose(
            grid.evaluate_at(c, grid.latitudes, grid.longitudes), grid.to_nodal(c), atol=1e-12
        )
        fine = Grid.from_name("T42", np.float64)
        padded = np.zeros(fine.modal_shape, complex)
        padded[: grid.modal_shape[0], : grid.modal_shape[1]] = c
        np.testing.assert_allclose(
            grid.evaluate_at(c, fine.latitudes, fine.longitudes), fine.to_nodal(padded), atol=1e-12
        )


def test_transforms_are_differentiable_and_jittable():
    grid = Grid.from_name("T21")
    c = jnp.asarray(random_modal(grid), jnp.complex64)

    @jax.jit
    def energy(x):
        return jnp.sum(grid.to_nodal(x) ** 2)

    g = jax.grad(lambda re: energy(re + 1j * c.imag))(c.real)
    assert g.shape == c.shape and bool(jnp.all(jnp.isfinite(g)))


def test_tables_first_built_inside_jit_do_not_leak_tracers():
    grid = Grid(21, 32, 64, np.float32, "fresh")  # a new instance: its caches are empty
    c = jnp.asarray(random_modal(grid), jnp.complex64)
    inside = jax.jit(grid.to_nodal)(c)
    outside = grid.to_nodal(c)  # would raise UnexpectedTracerError if a tracer had been cached
    np.testing.assert_allclose(inside, outside, atol=1e-5)


def test_power_by_degree_is_the_same_traced_and_concrete():
    grid = Grid.from_name("T21")
    modal = jnp.asarray(random_modal(grid, 6), grid.complex_dtype)
    concrete = grid.power_by_degree(modal)
    traced = jax.jit(grid.power_by_degree)(modal)
    assert concrete.dtype == np.float64 and traced.dtype == np.float32
    np.testing.assert_allclose(traced, concrete, rtol=1e-5)
    # and it is differentiable: d/dc of the total power of a real field's m = 0 part
    grad = jax.grad(lambda c: grid.power_by_degree(c).sum())(modal.real.astype(np.float32))
    assert np.all(np.isfinite(grad))
