"""Every matrix product states its precision, and the stated one wins over a global default.

Left unset, float32 products run as TF32 on recent NVIDIA GPUs and as a single bfloat16 pass on
TPUs. A CPU computes float32 either way, so the guard here reads the lowered programs: under a
global `jax.default_matmul_precision("bfloat16")` every `dot_general` of the model's step must
still say HIGHEST (`constants.MATMUL_PRECISION`).
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from ngcm_lab.column_network import ColumnNetworkConfig
from ngcm_lab.compilation import matmul_precisions
from ngcm_lab.hybrid_model import HybridModel
from ngcm_lab.models import ShallowWaterModel
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.random_fields import RandomFieldConfig
from ngcm_lab.spherical_harmonics import Grid


def _precisions(fn, *args) -> dict[str, int]:
    with jax.default_matmul_precision("bfloat16"):
        return matmul_precisions(fn, *args)


def _stochastic_moist_hybrid() -> HybridModel:
    dycore = PrimitiveEquationsModel.from_case("moist_held_suarez", "T21", layers=3)
    return HybridModel.create(
        dycore,
        ColumnNetworkConfig(width=8, blocks=1),
        physics_interval_s=2 * dycore.dt_s,
        random_fields=RandomFieldConfig(fields=2),
    )


def test_hybrid_step_states_highest_precision_everywhere():
    """Transforms, vertical operators, moist physics, random fields and the network."""
    model = _stochastic_moist_hybrid()
    params = model.init_params(jax.random.key(0))
    state = model.initial_state(key=jax.random.key(1))
    precisions = _precisions(model.step, params, state)
    assert sum(precisions.values()) > 20, (
        "the step should contain the transforms' and the network's products"
    )
    assert set(precisions) == {"HIGHEST"}, f"products by stated precision: {precisions}"


def test_hybrid_gradient_states_highest_precision_everywhere():
    """The transposed products of the backward pass keep the forward pass's precision."""
    model = _stochastic_moist_hybrid()
    params = model.init_params(jax.random.key(0))
    state = model.initial_state(key=jax.random.key(1))

    def loss(p):
        return (model.step(p, state).dynamics.temperature_variation.real ** 2).mean()

    precisions = _precisions(jax.grad(loss), params)
    assert set(precisions) == {"HIGHEST"}, precisions


def test_shallow_water_step_states_highest_precision_everywhere():
    model = ShallowWaterModel.from_case("williamson2", "T21")
    precisions = _precisions(model.step, model.initial_state)
    assert set(precisions) == {"HIGHEST"}, precisions


@pytest.mark.parametrize("resolution", ["T42", "TL63"])
def test_float32_transforms_match_float64_under_a_bfloat16_default(resolution):
    """Synthesis then analysis of a band-limited field of unit-variance coefficients: float32
    agrees with float64 to a few float32 round-offs (≤ 1e-5 relative), not bfloat16's ~1e-2."""
    rng = np.random.default_rng(0)
    reference = Grid.from_name(resolution, dtype=np.float64)
    coefficients = reference.truncate(
        rng.standard_normal(reference.modal_shape) + 1j * rng.standard_normal(reference.modal_shape)
    )
    results = {}
    for dtype, complex_dtype in ((np.float32, np.complex64), (np.float64, np.complex128)):
        grid = Grid.from_name(resolution, dtype=dtype)
        with jax.enable_x64(dtype == np.float64), jax.default_matmul_precision("bfloat16"):
            nodal = grid.to_nodal(coefficients.astype(complex_dtype))
            results[dtype] = (np.asarray(nodal, np.float64), np.asarray(grid.to_modal(nodal)))
    nodal32, modal32 = results[np.float32]
    nodal64, modal64 = results[np.float64]
    scale = np.sqrt(np.mean(nodal64**2))
    assert np.max(np.abs(nodal32 - nodal64)) / scale < 1e-5
    assert np.max(np.abs(modal32 - modal64)) / np.max(np.abs(modal64)) < 1e-5
