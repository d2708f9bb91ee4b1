"""Several devices on JAX's own engine: a one-axis mesh and pytrees split along a leading axis.

Nothing here knows physics. A forecast splits its state along the level axis (every transform
works level by level; the few vertical operators gather the levels they need); training splits
its batch of initial states (data parallelism: each device rolls out its share and the gradients
are averaged across devices). Either way the program is the single-device one: `jax.jit`
propagates the input shardings through it (GSPMD), so the results equal one device's to
round-off. Meshes are built with `AxisType.Auto` axes, the classic automatic partitioning.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from ngcm_lab.errors import InputError

AXIS = "devices"


def device_count(requested: int | None = None) -> int:
    """`requested` devices (all visible ones for None), or an InputError naming what is there."""
    available = jax.device_count()
    if requested is None:
        return available
    if not 1 <= requested <= available:
        raise InputError(
            f"{requested} devices requested but {available} are visible "
            f"({jax.default_backend()}); ask for 1 to {available}"
        )
    return int(requested)


def mesh(devices: int | None = None) -> Mesh:
    """A one-axis mesh over the first `devices` visible devices (all for None)."""
    n = device_count(devices)
    return jax.make_mesh((n,), (AXIS,), axis_types=(AxisType.Auto,), devices=jax.devices()[:n])


def split_leading_axis(tree: Any, devices: Mesh | int | None = None, *, what: str = "") -> Any:
    """`tree` placed on a mesh: every array leaf whose leading axis is a multiple of the device
    count is split along it; the other leaves (scalars, keys, odd lengths) are replicated. With
    `what` (e.g. "levels"), an InputError says so when no leaf can be split at all."""
    grid = devices if isinstance(devices, Mesh) else mesh(devices)
    n = grid.devices.size
    lengths = sorted({np.shape(x)[0] for x in jax.tree.leaves(tree) if np.ndim(x) > 0})
    if what and n > 1 and not any(length % n == 0 for length in lengths):
        choices = sorted({d for length in lengths for d in range(1, length + 1) if length % d == 0})
        usable = [d for d in choices if d <= jax.device_count()]
        raise InputError(
            f"{n} devices do not divide the {what} ({', '.join(map(str, lengths))}); "
            f"use {', '.join(map(str, usable))} devices"
        )
    split = NamedSharding(grid, PartitionSpec(AXIS))
    whole = NamedSharding(grid, PartitionSpec())

    def place(leaf):
        shape = np.shape(leaf)
        divisible = len(shape) > 0 and shape[0] % n == 0
        return jax.device_put(leaf, split if divisible and n > 1 else whole)

    return jax.tree.map(place, tree)


def replicate(tree: Any, devices: Mesh | int | None = None) -> Any:
    """`tree` copied whole onto every device of the mesh (parameters, optimiser state)."""
    grid = devices if isinstance(devices, Mesh) else mesh(devices)
    return jax.device_put(tree, NamedSharding(grid, PartitionSpec()))


def largest_divisor(count: int, devices: int | None = None) -> int:
    """The most devices (at most `devices`, default all visible) that divide `count` evenly."""
    n = device_count(devices)
    return max(d for d in range(1, n + 1) if count % d == 0)
