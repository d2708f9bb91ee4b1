"""Model states and trajectories as CF-annotated `xarray.Dataset`s in SI units, and back.

`trajectory_to_dataset(model, model.run(...))` gives a dataset with dims `(time, lat, lon)` that
writes straight to netCDF (`ds.to_netcdf(path, engine="h5netcdf")`); `dataset_to_state` reads a
snapshot back into a model state, so a saved forecast can be restarted.
"""

from __future__ import annotations

import datetime
import importlib.metadata
from typing import TYPE_CHECKING, Any

import jax
import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from ngcm_lab.forecast import Integration
    from ngcm_lab.models import ShallowWaterModel
    from ngcm_lab.shallow_water import ShallowWaterState

DEFAULT_START = "2000-01-01T00:00"

# Output name → (name in `model.decode`, CF attributes).
_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "u": ("u", {"standard_name": "eastward_wind", "long_name": "eastward wind", "units": "m s-1"}),
    "v": (
        "v",
        {"standard_name": "northward_wind", "long_name": "northward wind", "units": "m s-1"},
    ),
    "h": (
        "depth",
        {
            "long_name": "fluid depth",
            "units": "m",
            "comment": "free-surface height = h + orography",
        },
    ),
    "vorticity": (
        "vorticity",
        {
            "standard_name": "atmosphere_relative_vorticity",
            "long_name": "relative vorticity",
            "units": "s-1",
        },
    ),
    "divergence": (
        "divergence",
        {
            "standard_name": "divergence_of_wind",
            "long_name": "horizontal divergence",
            "units": "s-1",
        },
    ),
}


def package_version() -> str:
    """`ngcm_lab.__version__` if defined, else the installed distribution's version."""
    import ngcm_lab

    version = getattr(ngcm_lab, "__version__", None)
    if version:
        return str(version)
    try:
        return importlib.metadata.version("ngcm-lab")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _start_time(start: str | np.datetime64) -> np.datetime64:
    return np.datetime64(start, "s")


def _time_coords(times_s: np.ndarray, start: np.datetime64) -> dict[str, xr.Variable]:
    """CF `time` (datetime64) and `lead_time` (timedelta64) coordinates along `time`."""
    lead = np.round(np.asarray(times_s, np.float64) * 1e9).astype("timedelta64[ns]")
    whole_hours = np.all(np.mod(np.asarray(times_s, np.float64), 3600.0) == 0.0)
    reference = np.datetime_as_string(start, unit="s").replace("T", " ")
    # Hours when outputs fall on whole hours (they do for suggested time steps), else seconds.
    unit = "hours" if whole_hours else "seconds"
    time = xr.Variable(
        "time",
        start.astype("datetime64[ns]") + lead,
        {"standard_name": "time", "long_name": "valid time", "axis": "T"},
        {
            "units": f"{unit} since {reference}",
            "calendar": "proleptic_gregorian",
            "dtype": "int64" if whole_hours else "float64",
        },
    )
    lead_time = xr.Variable(
        "time",
        lead,
        {"standard_name": "forecast_period", "long_name": "time since start"},
        {"units": unit, "dtype": "int64" if whole_hours else "float64"},
    )
    return {"time": time, "lead_time": lead_time}


def _grid_coords(model: ShallowWaterModel) -> dict[str, xr.Variable]:
    grid = model.grid
    lat = xr.Variable(
        "lat",
        np.degrees(grid.latitudes),
        {
            "standard_name": "latitude",
            "long_name": "latitude (Gaussian)",
            "units": "degrees_north",
            "axis": "Y",
        },
    )
    lon = xr.Variable(
        "lon",
        np.degrees(grid.longitudes),
        {
            "standard_name": "longitude",
            "long_name": "longitude",
            "units": "degrees_east",
            "axis": "X",
        },
    )
    return {"lat": lat, "lon": lon}


def _global_attrs(model: ShallowWaterModel) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    mean_depth_m = float(model.scales.dim_length(model.equation.mean_depth))
    return {
        "Conventions": "CF-1.8",
        "title": f"ngcm_lab shallow-water forecast: {model.name or 'custom'} at {model.grid.name}",
        "case": model.name,
        "resolution": model.grid.name,
        "truncation": int(model.grid.truncation),
        "dt_s": float(model.dt_s),
        "mean_depth_m": mean_depth_m,
        "ngcm_lab_version": package_version(),
        "history": f"{now} created by ngcm_lab {package_version()}",
    }


def _build_dataset(
    model: ShallowWaterModel, fields: dict[str, np.ndarray], times_s: np.ndarray, start: Any
) -> xr.Dataset:
    """Assemble the dataset from decoded fields that have a leading time axis."""
    dtype = np.dtype(model.grid.dtype)
    dims = ("time", "lat", "lon")
    data_vars = {
        name: xr.Variable(dims, fields[key].astype(dtype), dict(attrs))
        for name, (key, attrs) in _FIELDS.items()
    }
    orography = model.orography_m
    orography = np.zeros(model.grid.nodal_shape) if orography is None else orography
    data_vars["orography"] = xr.Variable(
        ("lat", "lon"),
        np.asarray(orography).astype(dtype),
        {
            "standard_name": "surface_altitude",
            "long_name": "orography (surface height h_s)",
            "units": "m",
            "comment": f"spectrally truncated at T{model.grid.truncation}, as the model sees it",
        },
    )
    coords = {**_time_coords(times_s, _start_time(start)), **_grid_coords(model)}
    return xr.Dataset(data_vars, coords, _global_attrs(model))


def state_to_dataset(
    model: ShallowWaterModel,
    state: ShallowWaterState,
    time_s: float = 0.0,
    start: str | np.datetime64 = DEFAULT_START,
) -> xr.Dataset:
    """One model state as a dataset with a length-one `time` axis at `start + time_s`."""
    fields = model.decode(state)
    fields = {key: value[None] for key, value in fields.items()}
    return _build_dataset(model, fields, np.asarray([time_s], np.float64), start)


def trajectory_to_dataset(
    model: ShallowWaterModel, integration: Integration, start: str | np.datetime64 = DEFAULT_START
) -> xr.Dataset:
    """Every output of `model.run(...)` as a dataset with dims `(time, lat, lon)`."""
    times_s = np.asarray(integration.times_s, np.float64)
    # Decoding one snapshot at a time bounds the transform's working memory to one state.
    snapshots = [
        model.decode(jax.tree.map(lambda x, i=i: x[i], integration.states))
        for i in range(len(times_s))
    ]
    fields = {key: np.stack([s[key] for s in snapshots]) for key in snapshots[0]}
    return _build_dataset(model, fields, times_s, start)


def dataset_to_state(
    model: ShallowWaterModel, ds: xr.Dataset, time_index: int = -1
) -> ShallowWaterState:
    """Re-encode `u`, `v`, `h` (SI) at `time_index` as a model state, e.g. to restart a run."""
    missing = [name for name in ("u", "v", "h") if name not in ds]
    if missing:
        raise ValueError(f"dataset lacks variable(s) {', '.join(missing)}; need u, v and h")
    if "time" in ds.dims:
        ds = ds.isel(time=time_index)
    if "lat" in ds.coords and ds.sizes.get("lat", 0) > 1 and ds.lat[0] > ds.lat[-1]:
        ds = ds.sortby("lat")  # accept north→south files; the model's latitudes ascend
    expected = model.grid.nodal_shape
    fields = {}
    for name in ("u", "v", "h"):
        da = ds[name]
        if {"lat", "lon"} <= set(da.dims):
            da = da.transpose(..., "lat", "lon")
        if da.shape != expected:
            raise ValueError(
                f"variable {name!r} has shape {da.shape} but the model's {model.grid.name} grid "
                f"is (nlat, nlon) = {expected}; regrid the data or build the model at the "
                f"resolution the file was written with ({ds.attrs.get('resolution', 'unknown')})"
            )
        fields[name] = np.asarray(da.values, np.float64)
    if "lat" in ds.coords:
        lat = np.asarray(ds["lat"].values, np.float64)
        if not np.allclose(lat, np.degrees(model.grid.latitudes), atol=1e-4):
            raise ValueError(
                f"the dataset's latitudes are not the Gaussian latitudes of {model.grid.name}"
            )
    return model.encode(fields["u"], fields["v"], fields["h"])
