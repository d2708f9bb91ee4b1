"""Reanalysis data on pressure levels, from several public layouts, as one canonical Dataset.

`open_reanalysis(source)` reads

- the analysis-ready ERA5 Zarr store (ARCO-ERA5) and WeatherBench2 Zarr or netCDF files, which use
  the ERA5 long names below;
- CF netCDF from other reanalyses (NCEP/NCAR-style `uwnd vwnd air hgt shum pres` on
  `lat lon level`), whose variables are recognised by their CF `standard_name` attribute first
  and by name second;
- an `xarray.Dataset` already open (to fix a file's attributes in memory and retry);

and returns the same **canonical** Dataset for all of them:

| variable | dims | units |
|---|---|---|
| `u_component_of_wind`, `v_component_of_wind` | (time, level, latitude, longitude) | m s-1 |
| `temperature` | (time, level, latitude, longitude) | K |
| `geopotential` | (time, level, latitude, longitude) | m2 s-2 |
| `specific_humidity` | (time, level, latitude, longitude) | kg kg-1 |
| `surface_pressure` | (time, latitude, longitude) | Pa |
| `total_precipitation` | (time, latitude, longitude) | m, accumulated as in the source (ERA5 1 h) |
| `geopotential_at_surface` | (latitude, longitude) | m2 s-2 |

Coordinates: `level` in hPa, float64, **ascending** pressure (top of the atmosphere first, the
order of ARCO-ERA5, WeatherBench2 and the model's σ layers); `latitude` ascending (south → north,
the model's convention); `longitude` ascending in [0, 360). Units are checked against each
variable's `units` attribute (common spellings accepted) and converted: geopotential height × g
(g = 9.80616 m s-2), °C → K, hPa → Pa, g/kg → kg/kg, mm → m. Variables keep the source dtype
(float32 for ERA5). The unit tables, the variable catalogue and the plausibility check live in
`ngcm_lab.reanalysis_units`.

Values are then checked for plausibility (`check_plausible`: generous physical limits of Earth's
atmosphere per variable, per level for geopotential), which catches a wrong `units` attribute
(°C labelled K, g/kg labelled kg/kg, Pa labelled hPa, height labelled geopotential) and names the
fix. Nothing is read until asked: Zarr stores open with `xr.open_zarr` and netCDF files with
`xr.open_dataset(..., chunks={})`, so every array is dask-backed; `time` and `levels_hpa` only
narrow that lazy view. The one exception is that check: a selection of at most 256 MiB (a local
sample, one selected time of a coarse grid) has its minima and maxima computed at open; a bigger
one is checked by `pressure_levels.fields_from_pressure_levels` on the time it loads. Network
access happens only for a `gs://`, `s3://` or `http(s)://` URL. Problems raise subclasses of
`ReanalysisError` (an `errors.InputError`, hence a `ValueError`) whose one-line message says what
was found, what was expected and how to fix it.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ngcm_lab.reanalysis_units import (
    CANONICAL_VARIABLES,
    COORDINATE_ATTRS,
    DATASET_PASSED_IN,
    PRESSURE_PA,
    VARIABLES,
    Conversion,
    ReanalysisError,
    Source,
    Variable,
    check_plausible,
    find_conversion,
)
from ngcm_lab.reanalysis_units import ReanalysisValueError as ReanalysisValueError  # re-export

REMOTE_PREFIXES = ("gs://", "gcs://", "s3://", "http://", "https://")


class ReanalysisSchemaError(ReanalysisError):
    """Unknown layout, a missing variable or coordinate, or unexpected dimensions."""


class ReanalysisUnitsError(ReanalysisError):
    """A `units` attribute is missing or not one of the accepted spellings."""


class ReanalysisLevelError(ReanalysisError):
    """Requested pressure levels are not in the source."""


class ReanalysisTimeError(ReanalysisError):
    """Requested times are not in the source."""


class ReanalysisSourceError(ReanalysisError):
    """The source could not be opened (a remote store, or a file in an unknown format)."""


# Selections up to this size are checked for plausible values when opened (read once more);
# bigger ones (a whole remote ERA5 store) are checked when a time is loaded for the model.
CHECK_AT_OPEN_MAX_BYTES = 256 * 2**20

# Canonical dimension name: (usual names in files, CF standard_name of its coordinate).
_COORDINATES = {
    "time": (("time", "valid_time"), "time"),
    "level": (("level", "plev", "pressure_level", "isobaricInhPa", "lev"), "air_pressure"),
    "latitude": (("latitude", "lat"), "latitude"),
    "longitude": (("longitude", "lon"), "longitude"),
}
_STORAGE_DEFAULTS = {
    "gs://": {"token": "anon"},
    "gcs://": {"token": "anon"},
    "s3://": {"anon": True},
}


def open_reanalysis(
    source: str | os.PathLike | xr.Dataset,
    *,
    time: Any = None,
    levels_hpa: float | Sequence[float] | None = None,
    variables: Sequence[str] | None = None,
    storage_options: dict[str, Any] | None = None,
    check_values: bool = True,
) -> xr.Dataset:
    """Open a reanalysis Zarr store, netCDF file or Dataset as the canonical, lazy Dataset.

    source: a local `.zarr` directory or netCDF file (never touches the network), an open
        `xarray.Dataset`, or a `gs://`, `s3://` or `http(s)://` URL of a Zarr store (read
        anonymously unless `storage_options` says otherwise; needs gcsfs, s3fs or aiohttp).
    time: a label ("2020-01-01T06"), a slice of labels, or a list of labels; the `time`
        dimension is kept even for a single label.
    levels_hpa: pressure levels to keep, in hPa (each must be in the source).
    variables: canonical names to return (see `CANONICAL_VARIABLES`); by default every one found.
    check_values: test the values for plausibility (`check_plausible`: a wrong `units` attribute
        or corrupt data raise `ReanalysisValueError`) when the selection holds at most
        `CHECK_AT_OPEN_MAX_BYTES` (256 MiB), which reads it once here; a bigger selection is not
        read at open, and is checked time by time as `pressure_levels.fields_from_pressure_levels`
        loads it. False skips the check at open.
    """
    ds, label = _open(source, storage_options)
    roles = _find_coordinates(ds, label)
    wanted = _check_variable_names(variables)
    found = _identify_variables(ds, roles.get("level"), wanted, label, explicit=variables)

    arrays, conversions = {}, {}
    for name, (source_name, src) in found.items():
        spec = VARIABLES[name]
        da = ds[source_name].reset_coords(drop=True)
        conversions[name] = _checked_conversion(da, source_name, src)
        da = da.rename({roles[r]: r for r in roles if roles[r] in da.dims and roles[r] != r})
        if spec.kind == "static" and "time" in da.dims:
            da = da.isel(time=0, drop=True)  # a constant field stored per time step
        arrays[name] = _canonical_dims(da, source_name, spec)
    out = xr.Dataset(arrays)
    if "level" in out.dims:
        out = out.assign_coords(level=("level", _levels_in_hpa(ds, roles["level"], label)))
    # Select and reorder first (index operations on the lazy arrays), convert units after.
    out = _orient_horizontal(
        _select_levels(_select_time(out, time, label), levels_hpa, label), label
    )
    for name, (source_name, _) in found.items():
        spec = VARIABLES[name]
        out[name] = conversions[name](out[name])  # lazy; float32 stays float32
        out[name].attrs = {
            **spec.attrs,
            "source_variable": source_name,
            "source_units": str(ds[source_name].attrs["units"]),
        }
    out.attrs = {
        "source": label,
        "comment": "canonicalised by ngcm_lab.reanalysis.open_reanalysis (level ascending hPa, "
        "latitude ascending, longitude 0-360 ascending, SI units)",
    }
    if check_values and out.nbytes <= CHECK_AT_OPEN_MAX_BYTES:
        check_plausible(out)
    return out


def _open(source: Any, storage_options: dict[str, Any] | None) -> tuple[xr.Dataset, str]:
    if isinstance(source, xr.Dataset):
        return source, DATASET_PASSED_IN
    text = os.fspath(source)
    if text.startswith(REMOTE_PREFIXES):
        return _open_remote(text, storage_options), text
    path = pathlib.Path(text).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"no file or Zarr store at {path}; pass the path of a local .zarr directory or netCDF "
            "file, or a gs://, s3:// or https:// URL of a Zarr store"
        )
    if path.is_dir():
        markers = (".zgroup", ".zmetadata", "zarr.json")
        if path.suffix != ".zarr" and not any((path / m).exists() for m in markers):
            raise ReanalysisSourceError(
                f"{path} is a directory but not a Zarr store (no .zgroup, .zmetadata or zarr.json "
                "in it); pass the store's top folder or a netCDF file"
            )
        return xr.open_zarr(path, chunks={}), str(path)
    try:
        return xr.open_dataset(path, chunks={}), str(path)
    except (OSError, ValueError) as exc:
        raise ReanalysisSourceError(
            f"could not open {path} as netCDF ({type(exc).__name__}: {exc}); pass a netCDF file "
            "or a .zarr directory"
        ) from exc


def _open_remote(url: str, storage_options: dict[str, Any] | None) -> xr.Dataset:
    defaults = next((v for k, v in _STORAGE_DEFAULTS.items() if url.startswith(k)), {})
    options = {**defaults, **(storage_options or {})}
    try:
        return xr.open_zarr(url, storage_options=options, chunks={})
    except Exception as exc:  # any failure of the remote filesystem layer, reported one way
        raise ReanalysisSourceError(
            f"could not open the remote Zarr store {url}: network access was attempted and failed "
            f"({type(exc).__name__}: {exc}). Check the URL, the connection and that the filesystem "
            "package is installed (gcsfs for gs://, s3fs for s3://, aiohttp for https://), or work "
            "offline: copy the store (or a netCDF subset) to disk and pass its local path instead"
        ) from exc


def _find_coordinates(ds: xr.Dataset, label: str) -> dict[str, Hashable]:
    """Dimension names in `ds` for time, level, latitude and longitude (those present)."""
    roles: dict[str, Hashable] = {}
    for role, (names, standard_name) in _COORDINATES.items():
        by_name = [d for d in names if d in ds.dims]
        by_cf = [
            d
            for d in ds.dims
            if d in ds.coords and ds[d].attrs.get("standard_name") == standard_name
        ]
        if by_name or by_cf:
            roles[role] = (by_name + by_cf)[0]
    missing = [r for r in ("latitude", "longitude") if r not in roles]
    if missing:
        raise ReanalysisSchemaError(
            f"no {' or '.join(missing)} dimension in {label}: dimensions found "
            f"{sorted(map(str, ds.dims))}; "
            "expected 'latitude'/'lat' and 'longitude'/'lon' (or coordinates with CF standard_name "
            "'latitude'/'longitude'); rename them with ds.rename(...) and pass the Dataset"
        )
    return roles


def _check_variable_names(variables: Sequence[str] | None) -> list[str]:
    if variables is None:
        return list(CANONICAL_VARIABLES)
    if isinstance(variables, str):
        variables = [variables]
    unknown = [v for v in variables if v not in VARIABLES]
    if unknown:
        raise ReanalysisSchemaError(
            f"unknown variable name(s) {unknown}; `variables` takes canonical names: "
            f"{list(CANONICAL_VARIABLES)}"
        )
    return list(dict.fromkeys(variables))


def _identify_variables(
    ds: xr.Dataset, level_dim: Hashable | None, wanted: list[str], label: str, explicit: Any
) -> dict[str, tuple[Hashable, Source]]:
    """For each wanted canonical name, the source variable and how it is stored."""

    taken: set[Hashable] = set()
    found: dict[str, tuple[Hashable, Source]] = {}
    for name in wanted:
        spec = VARIABLES[name]

        def fits(candidate: Hashable, spec: Variable = spec) -> bool:
            on_levels = level_dim is not None and level_dim in ds[candidate].dims
            return on_levels == (spec.kind == "level") and candidate not in taken

        hit = _match(ds, spec, fits)
        if hit:
            found[name] = hit
            taken.add(hit[0])
        elif explicit is not None:
            names = [name, *(n for s in spec.sources for n in s.names)]
            raise ReanalysisSchemaError(
                f"variable '{name}' not found in {label} (variables found: "
                f"{sorted(map(str, ds.data_vars))}); it is recognised by a standard_name attribute "
                f"in {[s.standard_name for s in spec.sources]} or by a name in {names}"
                + (" on pressure levels" if spec.kind == "level" else " without a level dimension")
                + "; rename it (ds.rename) or leave it out of `variables`"
            )
    if not found:
        sources = [s for v in VARIABLES.values() for s in v.sources]
        raise ReanalysisSchemaError(
            f"unknown schema: no reanalysis variable recognised in {label}. Variables found: "
            f"{sorted(map(str, ds.data_vars))}; expected ERA5/WeatherBench2 names "
            f"{list(CANONICAL_VARIABLES)}, CF standard_name attributes "
            f"{sorted({s.standard_name for s in sources})}, or NCEP/CDS names "
            f"{sorted({n for s in sources for n in s.names})} (on pressure levels for 3-D fields)"
        )
    return found


def _match(ds: xr.Dataset, spec: Variable, fits) -> tuple[Hashable, Source] | None:
    """The ERA5/WeatherBench2 name first, then a CF standard_name, then the usual short names."""
    if spec.name in ds.data_vars and fits(spec.name):
        stated = ds[spec.name].attrs.get("standard_name")
        return spec.name, next(
            (s for s in spec.sources if s.standard_name == stated), spec.sources[0]
        )
    for src in spec.sources:
        for candidate in ds.data_vars:
            if ds[candidate].attrs.get("standard_name") == src.standard_name and fits(candidate):
                return candidate, src
    for src in spec.sources:
        for candidate in src.names:
            if candidate in ds.data_vars and fits(candidate):
                return candidate, src
    return None


def _checked_conversion(da: xr.DataArray, source_name: Hashable, src: Source) -> Conversion:
    units = da.attrs.get("units")
    conversion = find_conversion(src.units, units)
    if conversion is None:
        what = "has no units attribute" if units is None else f"has units '{units}'"
        raise ReanalysisUnitsError(
            f"'{source_name}' ({src.standard_name}) {what}; expected one of "
            f"{list(src.units)}. If the values are right, set ds['{source_name}'].attrs['units'] "
            "to one of those and pass the Dataset to open_reanalysis"
        )
    return conversion


def _canonical_dims(da: xr.DataArray, source_name: Hashable, spec: Variable) -> xr.DataArray:
    expected = {
        "level": ("time", "level", "latitude", "longitude"),
        "surface": ("time", "latitude", "longitude"),
        "static": ("latitude", "longitude"),
    }[spec.kind]
    extra = [d for d in da.dims if d not in expected]
    da = da.squeeze([d for d in extra if da.sizes[d] == 1], drop=True)
    if set(da.dims) != set(expected):
        raise ReanalysisSchemaError(
            f"'{source_name}' (for {spec.name}) has dimensions {dict(da.sizes)}; expected "
            f"{expected}. Select the extra dimensions away (e.g. ds.isel(number=0)) or rename "
            "the missing ones, then pass the Dataset"
        )
    return da.transpose(*expected)


def _levels_in_hpa(ds: xr.Dataset, name: Hashable, label: str) -> np.ndarray:
    if name not in ds.coords:
        raise ReanalysisSchemaError(
            f"the level dimension '{name}' in {label} has no coordinate values; assign the "
            "pressures (ds.assign_coords) and pass the Dataset"
        )
    level = ds[name]
    values = np.asarray(level.values, dtype=np.float64)
    units = level.attrs.get("units")
    if units is None and 0 < values.max() <= 1100:
        return values  # no units attribute, but only hPa makes sense of 0 … 1100
    conversion = find_conversion(PRESSURE_PA, units)
    if conversion is None:
        raise ReanalysisUnitsError(
            f"the level coordinate '{level.name}' in {label} has units '{units}'; expected a "
            f"pressure in one of {list(PRESSURE_PA)} (pressure levels, not model or height levels)"
        )
    return conversion(values) / 100.0


def _select_time(ds: xr.Dataset, time: Any, label: str) -> xr.Dataset:
    if time is None:
        return ds
    if "time" not in ds.dims:
        raise ReanalysisTimeError(f"time={time!r} requested but {label} has no time dimension")
    try:
        if isinstance(time, slice):
            out = ds.sel(time=time)
        elif np.ndim(time) > 0:  # a list, array or index of labels
            out = ds.sel(time=list(time))
        else:
            out = ds.sel(time=time)
            if "time" not in out.dims:  # one exact label: keep the dimension
                out = ds.sel(time=[out["time"].values])
    except (KeyError, ValueError, TypeError) as exc:
        raise _time_error(ds, time, label) from exc
    if out.sizes["time"] == 0:
        raise _time_error(ds, time, label)
    return out


def _time_error(ds: xr.Dataset, time: Any, label: str) -> ReanalysisTimeError:
    times = ds.indexes["time"]
    listing = (
        [str(t) for t in times]
        if len(times) <= 8
        else f"{len(times)} times from {times[0]} to {times[-1]}"
    )
    return ReanalysisTimeError(
        f"time {time!r} not found in {label}; available: {listing}. Pass an existing label, a "
        "slice(start, stop) within that range, or a list of existing labels"
    )


def _select_levels(ds: xr.Dataset, levels_hpa: Any, label: str) -> xr.Dataset:
    if "level" not in ds.dims:
        if levels_hpa is not None:
            raise ReanalysisLevelError(
                f"levels_hpa={levels_hpa!r} requested but none of the selected variables from "
                f"{label} is on pressure levels"
            )
        return ds
    available = ds["level"].values
    if levels_hpa is None:
        indices = np.argsort(available, kind="stable")
    else:
        requested = np.atleast_1d(np.asarray(levels_hpa, dtype=np.float64))
        matches = [np.flatnonzero(np.isclose(available, r, rtol=0.0, atol=1e-3)) for r in requested]
        missing = [float(r) for r, m in zip(requested, matches, strict=True) if m.size == 0]
        if missing:
            raise ReanalysisLevelError(
                f"pressure level(s) {missing} hPa not in {label}; available levels (hPa): "
                f"{sorted(float(a) for a in available)}. Choose levels_hpa from that list "
                "(interpolating in pressure is not done by the loader)"
            )
        chosen = np.unique(np.concatenate(matches))
        indices = chosen[np.argsort(available[chosen], kind="stable")]
    if np.array_equal(indices, np.arange(available.size)):
        return ds
    return ds.isel(level=indices)


def _orient_horizontal(ds: xr.Dataset, label: str) -> xr.Dataset:
    """Latitude ascending in [-90, 90], longitude ascending in [0, 360), without loading data."""
    lat = np.asarray(ds["latitude"].values, dtype=np.float64)
    if lat.size and (np.nanmin(lat) < -90.0 or np.nanmax(lat) > 90.0):
        raise ReanalysisSchemaError(
            f"latitudes in {label} run from {lat.min()} to {lat.max()}; expected degrees north "
            "within [-90, 90]"
        )
    if np.all(np.diff(lat) < 0):
        ds = ds.isel(latitude=slice(None, None, -1))
    elif not np.all(np.diff(lat) > 0):
        ds = ds.isel(latitude=np.argsort(lat, kind="stable"))
    lon = np.mod(np.asarray(ds["longitude"].values, dtype=np.float64), 360.0)
    unique, first = np.unique(lon, return_index=True)  # sorted; drops a duplicated 0 = 360
    if not np.array_equal(first, np.arange(lon.size)):
        ds = ds.isel(longitude=first)
    ds = ds.assign_coords(
        latitude=("latitude", ds["latitude"].values.astype(np.float64)),
        longitude=("longitude", unique),
    )
    for name, attrs in COORDINATE_ATTRS.items():
        if name in ds.coords:
            ds[name].attrs = dict(attrs)
    return ds
