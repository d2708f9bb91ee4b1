"""Truth trajectories for online training: model states to start from and nodal fields to match.

A truth dataset is any σ-level dataset in the layout `xarray_io` writes (dims (time, level, lat,
lon), SI units): our own coarse-grained high-resolution runs (`data_samples/hybrid_training/`) or
a reanalysis brought to σ levels (`ngcm_lab.pressure_levels`). `TruthData` holds it as arrays:
the encoded model state at every time (initial conditions) and the nodal targets, plus the split
of initial times into training and held-out sets.
"""

from __future__ import annotations

import dataclasses
import hashlib

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from ngcm_lab.constants import VIRTUAL_FACTOR
from ngcm_lab.errors import InputError
from ngcm_lab.initialisation import balanced_state, surface_pressure_on_orography
from ngcm_lab.primitive_equations import PrimitiveEquationsState
from ngcm_lab.primitive_model import HUMIDITY, PrimitiveEquationsModel
from ngcm_lab.vertical_interpolation import LAPSE_EXPONENT

TARGET_VARIABLES = ("u", "v", "temperature", HUMIDITY, "surface_pressure")


@dataclasses.dataclass(frozen=True, eq=False)
class TruthData:
    """A truth trajectory on the model grid.

    Attributes:
      states: encoded model states stacked along time (a pytree of (T, …) arrays).
      targets: nodal SI fields {name: (T, [L,] nlat, nlon)} for the loss, with the truth's
        precipitation_rate (kg m⁻² s⁻¹) when it has one.
      times_s: seconds since the first snapshot, (T,).
      interval_s: spacing of the snapshots.
      train_indices / test_indices: which snapshots may start a training / held-out rollout.
    """

    states: PrimitiveEquationsState
    targets: dict[str, np.ndarray]
    times_s: np.ndarray
    interval_s: float
    train_indices: np.ndarray
    test_indices: np.ndarray

    def __len__(self) -> int:
        return len(self.times_s)

    def state(self, index: int) -> PrimitiveEquationsState:
        return jax.tree.map(lambda x: x[index], self.states)

    def fingerprint(self) -> str:
        """SHA-256 of the times and targets (by name, float32 bytes). Scores on two records
        compare only if they are the same weather: a long truth made again after a change of
        round-off (another version, another CPU) is usually other weather, and this says so."""
        digest = hashlib.sha256(np.asarray(self.times_s, np.float64).tobytes())
        for name in sorted(self.targets):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(self.targets[name], np.float32).tobytes())
        return digest.hexdigest()

    def max_lead_steps(self, start: int) -> int:
        """How many snapshots follow `start` (the longest verifiable rollout)."""
        return len(self.times_s) - 1 - int(start)

    @property
    def first_eval_index(self) -> int:
        """The first snapshot of the evaluation window: no training target may reach it."""
        return int(self.test_indices.min())

    @property
    def first_eval_day(self) -> float:
        return float(self.times_s[self.first_eval_index] / 86400.0)

    def training_starts(self, outputs: int) -> np.ndarray:
        """Training initial times whose `outputs` targets all lie before the evaluation window
        (the split guard: training never sees what evaluation scores)."""
        starts = self.train_indices
        return starts[starts + outputs < self.first_eval_index]


def _split(ds: xr.Dataset, n_times: int, interval_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Train/test initial times from the dataset's `split_train_initial_days` and
    `split_eval_initial_days` attributes ("first-last", days since the first snapshot,
    inclusive; evaluation starts every `split_eval_stride_hours`, default every snapshot), else
    the first 60 % of the snapshots / the rest but the last. The training window must end before
    the evaluation window begins."""
    days = np.arange(n_times) * interval_s / 86400.0
    keys = ("split_train_initial_days", "split_eval_initial_days")
    if all(k in ds.attrs for k in keys):
        (a, b), (c, d) = (tuple(float(x) for x in str(ds.attrs[k]).split("-", 1)) for k in keys)
    else:  # the first 60 % of the initial times train, the rest (but the last) are held out
        n_train = max(1, int(0.6 * n_times))
        a, b = days[0], days[n_train - 1]
        c, d = days[min(n_train, n_times - 1)], days[max(n_times - 2, n_train)]
    if b >= c:
        raise InputError(
            f"the truth's training initial times (days {a:g}–{b:g}) reach its evaluation window "
            f"(days {c:g}–{d:g}): training must end before evaluation begins; fix the dataset's "
            "split_train_initial_days / split_eval_initial_days attributes"
        )
    train = np.flatnonzero((days >= a - 1e-9) & (days <= b + 1e-9))
    test = np.flatnonzero((days >= c - 1e-9) & (days <= d + 1e-9))
    stride_hours = float(ds.attrs.get("split_eval_stride_hours", interval_s / 3600.0))
    stride = max(1, int(round(stride_hours * 3600.0 / interval_s)))
    test = test[::stride]
    if train.size == 0 or test.size == 0:
        raise InputError(
            f"the truth's {days[-1]:.2f} days give no training or no held-out initial times "
            f"(train days {a:g}–{b:g}, test days {c:g}–{d:g}); give a longer trajectory"
        )
    return train, test


INITIALISATIONS = ("none", "balanced")


def load_truth(
    model: PrimitiveEquationsModel, dataset: xr.Dataset | str, initialisation: str = "none"
) -> TruthData:
    """Truth on `model`'s grid and layers from a σ-level dataset (path or Dataset).

    `initialisation="balanced"` starts from balanced states (`initialisation.py`): p_s moved
    from the dataset's ground (its `surface_geopotential`) to the model's, then the digital
    filter. The targets stay the dataset's own fields.
    """
    if initialisation not in INITIALISATIONS:
        raise InputError(
            f"initialisation must be one of {', '.join(INITIALISATIONS)}, got {initialisation!r}"
        )
    ds = xr.open_dataset(dataset) if isinstance(dataset, str) else dataset
    ds = ds.transpose("time", "level", "lat", "lon", ...) if "level" in ds.dims else ds
    moist = model.equation.humidity_key is not None
    names = [n for n in TARGET_VARIABLES if moist or n != HUMIDITY]
    missing = [n for n in names if n not in ds]
    if missing:
        raise ValueError(f"the truth dataset lacks {', '.join(missing)}; it needs {names}")
    expected = (model.coords.layers, *model.grid.nodal_shape)
    if ds["temperature"].shape[1:] != expected:
        raise ValueError(
            f"truth fields are {ds['temperature'].shape[1:]} per time but the model is "
            f"{expected} (levels, lat, lon): regrid the truth or build the model to match"
        )
    if "sigma" in ds and not np.allclose(ds["sigma"].values, model.coords.centers, atol=1e-6):
        raise ValueError("the truth's σ levels are not the model's; build the model with them")
    targets = {n: np.asarray(ds[n].values, np.float32) for n in names}
    times = (ds["time"].values - ds["time"].values[0]) / np.timedelta64(1, "s")
    times = np.asarray(times, np.float64)
    interval = float(np.median(np.diff(times)))
    if not np.allclose(np.diff(times), interval):
        raise ValueError("truth snapshots must be evenly spaced in time")
    surface_pressure = targets["surface_pressure"]
    if initialisation == "balanced" and "surface_geopotential" in ds:
        # the lowest layer's temperature carried down to the ground at 6.5 K/km
        lowest = targets["temperature"][:, -1] * model.coords.centers[-1] ** -LAPSE_EXPONENT
        if moist:
            lowest = lowest * (1.0 + VIRTUAL_FACTOR * targets[HUMIDITY][:, -1])
        surface_pressure = surface_pressure_on_orography(
            surface_pressure,
            lowest,
            ds["surface_geopotential"].values,
            model.surface_geopotential_m2_s2,
        )
    encoded = [
        model.encode(
            targets["u"][i],
            targets["v"][i],
            targets["temperature"][i],
            surface_pressure[i],
            targets[HUMIDITY][i] if moist else None,
        )
        for i in range(len(times))
    ]
    states = jax.tree.map(lambda *xs: jnp.stack(xs), *encoded)
    if initialisation == "balanced":
        states = jax.jit(jax.vmap(lambda s: balanced_state(model, s)))(states)
    train, test = _split(ds, len(times), interval)
    if "precipitation_rate" in ds:
        targets["precipitation_rate"] = np.asarray(ds["precipitation_rate"].values, np.float32)
    return TruthData(states, targets, times, interval, train, test)


def sigma_dataset_from_pressure_levels(
    model: PrimitiveEquationsModel, ds: xr.Dataset
) -> xr.Dataset:
    """A reanalysis-format Dataset (canonical names of `reanalysis.open_reanalysis`, pressure
    levels) as a σ-level truth on `model`'s grid and layers, in the layout `load_truth` reads:
    each time goes through `pressure_levels.fields_from_pressure_levels` (conservative
    regridding, p → σ with the model's surface)."""
    from ngcm_lab.pressure_levels import fields_from_pressure_levels

    moist = model.equation.humidity_key is not None
    snapshots = [
        fields_from_pressure_levels(ds, model.grid, model.coords, time_index=i, moist=moist)
        for i in range(ds.sizes["time"])
    ]
    level_dims, surface_dims = ("time", "level", "lat", "lon"), ("time", "lat", "lon")
    data = {
        name: (level_dims, np.stack([getattr(f, name) for f in snapshots]))
        for name in ("u", "v", "temperature") + ((HUMIDITY,) if moist else ())
    }
    data["surface_pressure"] = (surface_dims, np.stack([f.surface_pressure for f in snapshots]))
    coords = {
        "time": ds["time"].values,
        "sigma": ("level", model.coords.centers),
        "lat": np.degrees(model.grid.latitudes),
        "lon": np.degrees(model.grid.longitudes),
    }
    return xr.Dataset(data, coords, attrs=dict(ds.attrs))


def residual_tendencies(
    baseline: PrimitiveEquationsModel,
    state: PrimitiveEquationsState,
    target: dict[str, jax.Array],
    interval_s: float,
) -> dict[str, jax.Array]:
    """The residual tendency the network must supply from one truth state (jittable):

        (truth(t + Δ) − baseline(truth(t), Δ)) / Δ   in SI per second, {name: (L, nlat, nlon)},

    for u, v, temperature (and q), with `target` the truth's nodal fields at t + Δ. It is what
    offline training fits, and what `residual_tendency_scales` takes the rms of."""
    steps = baseline.steps_for(interval_s / 86400.0)
    grid, scales = baseline.grid, baseline.scales
    end = baseline.rollout(state, steps)
    u, v = grid.uv_from_vort_div(end.vorticity, end.divergence)
    t_ref = jnp.asarray(baseline.equation.reference_temperature, grid.dtype)[:, None, None]
    fields = {
        "u": u * scales.velocity_unit,
        "v": v * scales.velocity_unit,
        "temperature": grid.to_nodal(end.temperature_variation) + t_ref,
    }
    if baseline.equation.humidity_key is not None:
        fields[HUMIDITY] = grid.to_nodal(end.tracers[HUMIDITY])
    return {n: (target[n] - f) / interval_s for n, f in fields.items()}


def residual_tendency_scales(
    baseline: PrimitiveEquationsModel,
    truth: TruthData,
    starts: np.ndarray | None = None,
    floor: float = 0.05,
    chunk: int = 128,
) -> dict[str, np.ndarray]:
    """σ_X from data: per variable and level, the area-weighted rms over `starts` (default: the
    training starts) of the residual tendency the network must supply (`residual_tendencies`,
    Δ = the truth's spacing) — the rms rather than the standard deviation, because a mean
    residual (the drag's) is part of what must be learned. Levels below `floor` times the
    variable's largest get that floor, so the network can still act where the baseline lacks
    little."""
    starts = truth.training_starts(1) if starts is None else np.asarray(starts)
    weights = jnp.asarray(baseline.grid.area_weights, baseline.grid.dtype)
    moist = baseline.equation.humidity_key is not None
    names = ["u", "v", "temperature"] + ([HUMIDITY] if moist else [])

    @jax.jit
    def squared_residuals(states, targets):  # summed over the batch: {name: (L,)}
        def one(state, target):
            residual = residual_tendencies(baseline, state, target, truth.interval_s)
            return {n: jnp.sum(r**2 * weights, axis=(-2, -1)) for n, r in residual.items()}

        return jax.tree.map(lambda x: x.sum(0), jax.vmap(one)(states, targets))

    sums = {n: np.zeros(baseline.coords.layers) for n in names}
    for first in range(0, len(starts), chunk):
        batch = starts[first : first + chunk]
        states = jax.tree.map(lambda x, b=batch: x[b], truth.states)
        targets = {n: jnp.asarray(truth.targets[n][batch + 1]) for n in names}
        for n, value in squared_residuals(states, targets).items():
            sums[n] += np.asarray(value, np.float64)
    out = {}
    for n in names:
        rms = np.sqrt(sums[n] / len(starts))
        out[n] = np.maximum(rms, floor * rms.max())
    return out
