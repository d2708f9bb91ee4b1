"""Model states and trajectories as CF-annotated `xarray.Dataset`s in SI units, and back.

`trajectory_to_dataset(model, model.run(...))` gives a dataset that writes straight to netCDF
(`ds.to_netcdf(path, engine="h5netcdf")`); `dataset_to_state` reads a snapshot back into a model
state, so a saved forecast can be restarted. Both model families are handled:

- shallow water (`ShallowWaterModel`): `u`, `v`, `h`, `vorticity`, `divergence` on
  `(time, lat, lon)`, plus `orography (lat, lon)`;
- primitive equations (`PrimitiveEquationsModel`, recognised by its σ `coords`): `u`, `v`,
  `temperature` on `(time, level, lat, lon)`, `surface_pressure (time, lat, lon)`,
  `surface_geopotential (lat, lon)`, with the CF sigma coordinate `sigma(level)`
  (p = sigma · surface_pressure) and the layer interfaces `sigma_interfaces(level_interface)`.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
from typing import TYPE_CHECKING, Any

import jax
import numpy as np
import xarray as xr

from ngcm_lab.fields import CATALOGUE
from ngcm_lab.physics_registry import describe_physics
from ngcm_lab.sigma_coordinates import SigmaCoordinates

if TYPE_CHECKING:
    from ngcm_lab.forecast import Integration
    from ngcm_lab.models import ShallowWaterModel
    from ngcm_lab.primitive_equations import PrimitiveEquationsState
    from ngcm_lab.primitive_model import PrimitiveEquationsModel
    from ngcm_lab.shallow_water import ShallowWaterState

    Model = ShallowWaterModel | PrimitiveEquationsModel
    State = ShallowWaterState | PrimitiveEquationsState

DEFAULT_START = "2000-01-01T00:00"

# netCDF encoding for coordinates and constants, which never have missing values (CF).
_NO_FILL = {"_FillValue": None}


@dataclasses.dataclass(frozen=True)
class _Field:
    """One output variable: its key in `model.decode(state)`, whether it has layers, CF attrs."""

    key: str
    on_levels: bool
    attrs: dict[str, str]


def _output(key: str, levels: bool) -> _Field:
    spec = CATALOGUE[key]
    return _Field(key, levels and spec.on_levels, spec.attrs)


# Output name → field (shallow water writes the depth as `h`, its usual symbol).
_SHALLOW_WATER_FIELDS: dict[str, _Field] = {
    name: _output(key, False)
    for name, key in [("u", "u"), ("v", "v"), ("h", "depth"), ("vorticity", "vorticity"),
                      ("divergence", "divergence")]
}  # fmt: skip
# Humidity, precipitation and evaporation only for moist models (when `decode` gives them).
_PRIMITIVE_FIELDS: dict[str, _Field] = {
    key: _output(key, True)
    for key in ("u", "v", "temperature", "surface_pressure", "specific_humidity",
                "precipitation_rate", "evaporation_rate")
}  # fmt: skip
# Prognostic variables that a restart needs (specific humidity too, for moist models).
_PRIMITIVE_PROGNOSTIC = ("u", "v", "temperature", "surface_pressure")


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


def _is_primitive(model: Model) -> bool:
    """Primitive-equation models are the ones with σ layers (duck-typed: no model import)."""
    return isinstance(getattr(model, "coords", None), SigmaCoordinates)


def _fields_of(model: Model) -> dict[str, _Field]:
    return _PRIMITIVE_FIELDS if _is_primitive(model) else _SHALLOW_WATER_FIELDS


# ------------------------------------------------------------------- shared coordinates, attrs
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


def _grid_coords(model: Model) -> dict[str, xr.Variable]:
    """Gaussian `lat` (ascending) and `lon` in degrees."""
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


def _sigma_coords(coords: SigmaCoordinates) -> dict[str, xr.Variable]:
    """CF `atmosphere_sigma_coordinate` at layer centres, and the layer interfaces."""
    sigma = xr.Variable(
        "level",
        coords.centers,
        {
            "standard_name": "atmosphere_sigma_coordinate",
            "long_name": "sigma = p / surface pressure at layer centres",
            "units": "1",
            "positive": "down",
            "formula_terms": "sigma: sigma ps: surface_pressure ptop: ptop",
            "comment": "pressure at layer centres: p = sigma * surface_pressure (ptop = 0)",
        },
        _NO_FILL,
    )
    interfaces = xr.Variable(
        "level_interface",
        coords.interfaces,
        {
            "long_name": "sigma at layer interfaces, top (0) to surface (1)",
            "units": "1",
            "comment": "layer k lies between sigma_interfaces[k] and sigma_interfaces[k + 1]",
        },
        _NO_FILL,
    )
    return {"sigma": sigma, "sigma_interfaces": interfaces}


def _global_attrs(model: Model) -> dict[str, Any]:
    """Attributes common to both families, then the family's own (mean depth or layers)."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    primitive = _is_primitive(model)
    kind = "primitive-equation" if primitive else "shallow-water"
    attrs: dict[str, Any] = {
        "Conventions": "CF-1.8",
        "title": f"ngcm_lab {kind} forecast: {model.name or 'custom'} at {model.grid.name}",
        "case": model.name,
        "resolution": model.grid.name,
        "truncation": int(model.grid.truncation),
        "dt_s": float(model.dt_s),
    }
    if primitive:
        attrs["layers"] = int(model.coords.layers)
        attrs["physics"] = describe_physics(getattr(model, "physics", ()))
    else:
        attrs["mean_depth_m"] = float(model.scales.dim_length(model.equation.mean_depth))
    attrs["ngcm_lab_version"] = package_version()
    attrs["history"] = f"{now} created by ngcm_lab {package_version()}"
    return attrs


def _surface_variable(model: Model) -> tuple[str, xr.Variable]:
    """The time-independent lower boundary: orography (m) or surface geopotential (m² s⁻²)."""
    dtype = np.dtype(model.grid.dtype)
    zeros = np.zeros(model.grid.nodal_shape)
    if _is_primitive(model):
        phi_s = model.surface_geopotential_m2_s2
        attrs = {
            "standard_name": "surface_geopotential",
            "long_name": "surface geopotential (g times surface height)",
            "units": "m2 s-2",
        }
        return "surface_geopotential", xr.Variable(("lat", "lon"), phi_s.astype(dtype), attrs)
    orography = zeros if model.orography_m is None else np.asarray(model.orography_m)
    attrs = {
        "standard_name": "surface_altitude",
        "long_name": "orography (surface height h_s)",
        "units": "m",
        "comment": f"spectrally truncated at T{model.grid.truncation}, as the model sees it",
    }
    return "orography", xr.Variable(("lat", "lon"), orography.astype(dtype), attrs)


def _build_dataset(
    model: Model, fields: dict[str, np.ndarray], times_s: np.ndarray, start: Any
) -> xr.Dataset:
    """Assemble the dataset from decoded fields that have a leading time axis."""
    dtype = np.dtype(model.grid.dtype)
    data_vars = {
        name: xr.Variable(
            ("time", "level", "lat", "lon") if spec.on_levels else ("time", "lat", "lon"),
            fields[spec.key].astype(dtype),
            dict(spec.attrs),
        )
        for name, spec in _fields_of(model).items()
        if spec.key in fields
    }
    surface_name, surface = _surface_variable(model)
    data_vars[surface_name] = surface
    coords = {**_time_coords(times_s, _start_time(start)), **_grid_coords(model)}
    if _is_primitive(model):
        coords.update(_sigma_coords(model.coords))
        data_vars["ptop"] = xr.Variable(
            (),
            np.float64(0.0),
            {
                "standard_name": "air_pressure_at_top_of_atmosphere_model",
                "long_name": "pressure at the model top",
                "units": "Pa",
            },
            _NO_FILL,
        )
    return xr.Dataset(data_vars, coords, _global_attrs(model))


# ------------------------------------------------------------------------------ public API
def state_to_dataset(
    model: Model,
    state: State,
    time_s: float = 0.0,
    start: str | np.datetime64 = DEFAULT_START,
) -> xr.Dataset:
    """One model state as a dataset with a length-one `time` axis at `start + time_s`."""
    fields = model.decode(state)
    fields = {key: value[None] for key, value in fields.items()}
    return _build_dataset(model, fields, np.asarray([time_s], np.float64), start)


def trajectory_to_dataset(
    model: Model, integration: Integration, start: str | np.datetime64 = DEFAULT_START
) -> xr.Dataset:
    """Every output of `model.run(...)` as a dataset: dims `(time, [level,] lat, lon)`."""
    times_s = np.asarray(integration.times_s, np.float64)
    # Decoding one snapshot at a time bounds the transform's working memory to one state.
    snapshots = [
        model.decode(jax.tree.map(lambda x, i=i: x[i], integration.states))
        for i in range(len(times_s))
    ]
    fields = {key: np.stack([s[key] for s in snapshots]) for key in snapshots[0]}
    return _build_dataset(model, fields, times_s, start)


def dataset_to_state(model: Model, ds: xr.Dataset, time_index: int = -1) -> State:
    """Re-encode the prognostic SI fields at `time_index` as a model state, e.g. to restart.

    Shallow water needs `u`, `v`, `h`; primitive equations need `u`, `v`, `temperature` and
    `surface_pressure` (and `specific_humidity` for moist models) on the model's own σ layers.
    """
    primitive = _is_primitive(model)
    names = ("u", "v", "h")
    if primitive:
        moist = model.equation.humidity_key is not None
        names = _PRIMITIVE_PROGNOSTIC + (("specific_humidity",) if moist else ())
    missing = [name for name in names if name not in ds]
    if missing:
        raise ValueError(f"dataset lacks variable(s) {', '.join(missing)}; need {', '.join(names)}")
    if "time" in ds.dims:
        ds = ds.isel(time=time_index)
    if "lat" in ds.coords and ds.sizes.get("lat", 0) > 1 and ds.lat[0] > ds.lat[-1]:
        ds = ds.sortby("lat")  # accept north→south files; the model's latitudes ascend
    if primitive and "sigma" in ds and not _same_sigma(ds["sigma"].values, model.coords):
        raise ValueError(
            f"the dataset's sigma levels ({ds.sizes.get('level', '?')} layers) are not the "
            f"model's {model.coords.layers} layers; build the model with the file's layers"
        )
    fields = []
    for name in names:
        da = ds[name]
        if {"lat", "lon"} <= set(da.dims):
            da = da.transpose(..., "lat", "lon")
        on_levels = primitive and _PRIMITIVE_FIELDS[name].on_levels
        expected = model.grid.nodal_shape
        if on_levels:
            expected = (model.coords.layers, *expected)
        if da.shape != expected:
            shape_name = "(level, nlat, nlon)" if on_levels else "(nlat, nlon)"
            raise ValueError(
                f"variable {name!r} has shape {da.shape} but the model's {model.grid.name} grid "
                f"is {shape_name} = {expected}; regrid the data or build the model at the "
                f"resolution the file was written with ({ds.attrs.get('resolution', 'unknown')})"
            )
        fields.append(np.asarray(da.values, np.float64))
    if "lat" in ds.coords:
        lat = np.asarray(ds["lat"].values, np.float64)
        if not np.allclose(lat, np.degrees(model.grid.latitudes), atol=1e-4):
            raise ValueError(
                f"the dataset's latitudes are not the Gaussian latitudes of {model.grid.name}"
            )
    return model.encode(*fields)


def _same_sigma(sigma: np.ndarray, coords: SigmaCoordinates) -> bool:
    return sigma.shape == coords.centers.shape and np.allclose(sigma, coords.centers, atol=1e-6)
