"""The learned physics Ψ: one small neural network applied to every atmospheric column.

NeuralGCM (Kochkov et al. 2024, Nature 632:1060) parameterises everything the dynamical core does
not resolve with a network that sees one column at a time (its prognostic variables on all levels,
their horizontal derivatives and a few surface and forcing fields) and returns tendencies for the
same column; the same weights act on every column. Here the network is a residual MLP (their
encoder–decoder uses 5 residual blocks of width 384; the defaults are CPU-sized) whose raw output
is multiplied by a scale σ_X per variable and level (SI units per second): the typical size of
the tendency it must supply, measured from data (`training_data.residual_tendency_scales`), so a
raw output of order one is the right amplitude. The last layer starts small (weights of standard
deviation ~0.01 per unit input), so the untrained network is a small perturbation of the
dynamical core rather than noise, without a global factor that would cap what it can learn.

The columns are the rows of a (columns, features) matrix: a dense layer on the last axis is the
per-column map, so no `vmap` is needed and XLA sees one large matrix product.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ngcm_lab.constants import MATMUL_PRECISION

Array = jax.Array

# Hand-set magnitudes of the unresolved tendencies (SI units per second), by variable: the scales
# of models trained before σ_X came from data (their configurations say output_scales "fixed").
DEFAULT_OUTPUT_SCALES = {
    "u": 2.0 / 86400.0,  # m s⁻¹ per day
    "v": 2.0 / 86400.0,
    "temperature": 2.0 / 86400.0,  # K per day
    "specific_humidity": 2.0e-3 / 86400.0,  # g kg⁻¹ per day
}


@dataclasses.dataclass(frozen=True)
class ColumnNetworkConfig:
    """Architecture of the column network.

    Attributes:
      width: hidden width (NeuralGCM: 384).
      blocks: residual MLP blocks (NeuralGCM: 5).
      output_scale: global factor on every output (1: σ_X alone sets the amplitude; runs from
        before σ_X came from data used 0.1).
      activation: "gelu", "silu" or "tanh".
      global_temperature: also read the global-mean temperature of every level
        (`column_features`): the one input that is not the column's own. A column cannot tell
        a warming of the whole atmosphere from local weather; with it, the network can restore
        the first without damping the second.
    """

    width: int = 64
    blocks: int = 2
    output_scale: float = 1.0
    activation: str = "gelu"
    global_temperature: bool = False

    def __post_init__(self):
        if self.width < 1 or self.blocks < 0:
            raise ValueError(f"need width ≥ 1 and blocks ≥ 0, got {self.width}, {self.blocks}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; choose one of {', '.join(_ACTIVATIONS)}"
            )


_ACTIVATIONS = {"gelu": nn.gelu, "silu": nn.silu, "tanh": jnp.tanh}
LAST_LAYER_VARIANCE = 1e-4  # variance scale of the last layer's initial weights (fan-in)


class ResidualBlock(nn.Module):
    """x + W₂ act(W₁ LayerNorm(x)): a pre-normalised residual MLP block."""

    width: int
    activation: str

    @nn.compact
    def __call__(self, x: Array) -> Array:
        act = _ACTIVATIONS[self.activation]
        h = nn.LayerNorm()(x)
        h = act(nn.Dense(self.width, precision=MATMUL_PRECISION)(h))
        return x + nn.Dense(self.width, precision=MATMUL_PRECISION)(h)


class ColumnNetwork(nn.Module):
    """(columns, n_in) normalised features → (columns, n_out) raw outputs of order one."""

    n_out: int
    config: ColumnNetworkConfig = ColumnNetworkConfig()

    @nn.compact
    def __call__(self, features: Array) -> Array:
        cfg = self.config
        x = nn.Dense(cfg.width, precision=MATMUL_PRECISION)(features)
        for _ in range(cfg.blocks):
            x = ResidualBlock(cfg.width, cfg.activation)(x)
        x = _ACTIVATIONS[cfg.activation](nn.LayerNorm()(x))
        # Small last layer: raw outputs of ~0.01 at first, so the untrained hybrid is the dycore
        # plus ~1 % of the tendency it will learn (the gradients still reach every weight).
        small = nn.initializers.variance_scaling(LAST_LAYER_VARIANCE, "fan_in", "truncated_normal")
        return nn.Dense(self.n_out, kernel_init=small, precision=MATMUL_PRECISION)(x)


_INPUT_LAYER = "Dense_0"  # flax's name for the first Dense of `ColumnNetwork`


def architecture_of(params) -> tuple[int, int]:
    """(width, blocks) of a `ColumnNetwork`'s parameters (a flax variable dict, or the nested
    dict read from a checkpoint), to check a checkpoint against its configuration."""
    layers = params.get("params", params)
    width = int(np.shape(layers[_INPUT_LAYER]["kernel"])[1])
    blocks = sum(1 for name in layers if name.startswith("ResidualBlock_"))
    return width, blocks


def inputs_of(params) -> int:
    """How many input features a `ColumnNetwork`'s parameters read (as `architecture_of`)."""
    layers = params.get("params", params)
    return int(np.shape(layers[_INPUT_LAYER]["kernel"])[0])


def transplant(source, fresh):
    """`fresh` parameters with every value of `source` (the same network's, e.g. read from a
    checkpoint) in place. Where `source` reads fewer inputs, appended last (random fields), the
    input layer's rows for them keep their fresh weights. A `ValueError` names the first
    parameter that `source` lacks or holds with another shape."""

    def take(path, value):
        keys = [getattr(k, "key", k) for k in path]
        found = source
        for key in keys:
            if not isinstance(found, dict) or key not in found:
                raise ValueError(f"no {jax.tree_util.keystr(path)} in the source network")
            found = found[key]
        value = np.asarray(value)
        found = np.asarray(found, value.dtype)
        if found.shape == value.shape:
            return found
        input_kernel = keys[-2:] == [_INPUT_LAYER, "kernel"]
        if input_kernel and found.shape[0] < value.shape[0] and found.shape[1:] == value.shape[1:]:
            return np.concatenate([found, value[found.shape[0] :]], axis=0)
        raise ValueError(
            f"{jax.tree_util.keystr(path)} is {found.shape} there but {value.shape} here"
        )

    return jax.tree.map(jnp.asarray, jax.tree_util.tree_map_with_path(take, fresh))


def count_parameters(params) -> int:
    """Number of scalar parameters in a pytree of arrays."""
    return int(sum(np.size(x) for x in jax.tree.leaves(params)))
