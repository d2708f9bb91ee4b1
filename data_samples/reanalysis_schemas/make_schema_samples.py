"""Write small synthetic reanalysis files in the exact layouts of real public data sets.

    python data_samples/reanalysis_schemas/make_schema_samples.py

The values are NOT real data: they are smooth analytic fields of physically plausible shape
(`synthetic_fields`), evaluated on each product's own grid and written with that product's variable
names, dimension order, coordinate orientation, units spellings and attributes. They exist to test
`ngcm_lab.reanalysis.open_reanalysis`, which must turn each layout into the same canonical
Dataset; the tests import `synthetic_fields` from this file to check the loaded values.

Files (all float32, times 2020-01-01 00, 06, 12 UTC):
- era5_arco.zarr: ARCO-ERA5 layout (Zarr v2, consolidated, one chunk per time step), 10° grid
  with poles, latitude 90 … -90 (descending), longitude 0 … 350, levels 100 … 1000 hPa ascending;
  ERA5 names and units ("m s**-1", "m**2 s**-2", "kg kg**-1"); an extra `2m_temperature`.
- weatherbench2.zarr, weatherbench2.nc: WeatherBench2 layout, the 64x32 equiangular grid without
  poles, latitude ascending (-87.1875 … 87.1875), plus static `geopotential_at_surface`.
- ncep_cf.nc: NCEP/NCAR-reanalysis-style CF netCDF, 7.5° grid, `lat` 90 … -90, levels in millibar
  1000 … 100 (descending), `uwnd vwnd air hgt shum pres` with CF standard_name attributes, units
  "m/s", "degK", "m" (geopotential height), "kg/kg", and surface pressure in "hPa" (the real
  pres.sfc files use Pa; hPa here exercises the conversion), time in hours since 1800-01-01.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import xarray as xr

HERE = pathlib.Path(__file__).resolve().parent
GRAVITY = 9.80616  # m s-2, as ngcm_lab.constants
R_DRY = 287.04  # J kg-1 K-1, as ngcm_lab.constants
LAPSE_EXPONENT = R_DRY * 0.0065 / GRAVITY  # T ∝ p^a for a 6.5 K/km lapse rate
TIMES = pd.date_range("2020-01-01T00:00", periods=3, freq="6h")
LEVELS_HPA = np.array([100, 250, 500, 850, 1000])
SYNTHETIC = (
    "synthetic analytic fields in a real reanalysis schema, made by "
    "data_samples/reanalysis_schemas/make_schema_samples.py to test ngcm_lab.reanalysis; not data"
)
WAVE_DEG_PER_HOUR = 10.0 / 6.0  # phase speed of the travelling waves, degrees longitude per hour


def synthetic_fields(hours, level_hpa, lat_deg, lon_deg) -> dict[str, np.ndarray]:
    """Analytic fields in canonical names and SI units, float64, on (time, level, lat, lon).

    Pointwise functions of the coordinates, so any grid or ordering gives consistent values.
    Surface fields are (time, lat, lon), `geopotential_at_surface` is (lat, lon).
    """
    t = np.asarray(hours, dtype=np.float64)[:, None, None, None]
    p = np.asarray(level_hpa, dtype=np.float64)[None, :, None, None]
    phi = np.deg2rad(np.asarray(lat_deg, dtype=np.float64))[None, None, :, None]
    lam = np.deg2rad(np.asarray(lon_deg, dtype=np.float64))[None, None, None, :]
    lat = np.rad2deg(phi)
    phase = lam - np.deg2rad(WAVE_DEG_PER_HOUR) * t

    z_surface = 1000.0 * np.cos(phi) ** 2 * 0.5 * (1.0 + np.sin(2.0 * lam))  # m, 0 … 1000
    ps = 1.0e5 * np.exp(-z_surface / 8000.0) + 500.0 * np.cos(phi) ** 2 * np.sin(3.0 * phase)
    # T = T0 (p / 1000 hPa)^a, so the hypsometric integral from p_s to p is analytic.
    t0 = 300.0 - 45.0 * np.sin(phi) ** 2 + 2.0 * np.cos(phi) * np.sin(2.0 * phase)
    a = LAPSE_EXPONENT
    temperature = t0 * (p / 1000.0) ** a
    geopotential = GRAVITY * z_surface + R_DRY * t0 / a * ((ps / 1.0e5) ** a - (p / 1000.0) ** a)
    jet = 35.0 * np.exp(-(((np.abs(lat) - 35.0) / 12.0) ** 2)) * np.exp(-(np.log(p / 250.0) ** 2))
    u = jet - 4.0 * np.cos(phi) ** 4 * (p / 1000.0) ** 2
    v = 2.0 * np.sin(2.0 * phi) * np.cos(phi) * np.cos(3.0 * phase) * (p / 1000.0)
    q = 0.018 * np.cos(phi) ** 4 * (p / 1000.0) ** 3 + 3.0e-6
    tp = 5.0e-4 * np.exp(-(((lat - 5.0) / 8.0) ** 2)) * (1.0 + 0.5 * np.sin(2.0 * phase))
    full = np.ones(np.broadcast_shapes(t.shape, p.shape, phi.shape, lam.shape))
    return {
        "u_component_of_wind": u * full,
        "v_component_of_wind": v * full,
        "temperature": temperature * full,
        "geopotential": geopotential * full,
        "specific_humidity": q * full,
        "surface_pressure": (ps * full)[:, 0],
        "total_precipitation": (tp * full)[:, 0],
        "geopotential_at_surface": (GRAVITY * z_surface * full)[0, 0],
        "2m_temperature": (t0 * full)[:, 0] - 6.0,
    }


def _hours(times) -> np.ndarray:
    return np.asarray((times - TIMES[0]) / pd.Timedelta(hours=1), dtype=np.float64)


_ERA5_ATTRS = {  # name: (long_name, units, short_name) as in ERA5 / ARCO-ERA5
    "u_component_of_wind": ("U component of wind", "m s**-1", "u"),
    "v_component_of_wind": ("V component of wind", "m s**-1", "v"),
    "temperature": ("Temperature", "K", "t"),
    "geopotential": ("Geopotential", "m**2 s**-2", "z"),
    "specific_humidity": ("Specific humidity", "kg kg**-1", "q"),
    "surface_pressure": ("Surface pressure", "Pa", "sp"),
    "total_precipitation": ("Total precipitation", "m", "tp"),
    "geopotential_at_surface": ("Geopotential", "m**2 s**-2", "z"),
    "2m_temperature": ("2 metre temperature", "K", "t2m"),
}
_SURFACE = ("surface_pressure", "total_precipitation", "2m_temperature")


def era5_style(lat_deg, lon_deg, names, level_attrs) -> xr.Dataset:
    """ERA5 names, units and dims (time, level, latitude, longitude) on the given grid."""
    fields = synthetic_fields(_hours(TIMES), LEVELS_HPA, lat_deg, lon_deg)
    data_vars = {}
    for name in names:
        long_name, units, short = _ERA5_ATTRS[name]
        if name == "geopotential_at_surface":
            dims = ("latitude", "longitude")
        elif name in _SURFACE:
            dims = ("time", "latitude", "longitude")
        else:
            dims = ("time", "level", "latitude", "longitude")
        attrs = {"long_name": long_name, "units": units, "short_name": short}
        data_vars[name] = (dims, fields[name].astype(np.float32), attrs)
    coords = {
        "time": ("time", TIMES),
        "level": ("level", LEVELS_HPA.astype(np.int64), level_attrs),
        "latitude": (
            "latitude",
            np.asarray(lat_deg, np.float32),
            {"long_name": "latitude", "units": "degrees_north"},
        ),
        "longitude": (
            "longitude",
            np.asarray(lon_deg, np.float32),
            {"long_name": "longitude", "units": "degrees_east"},
        ),
    }
    return xr.Dataset(data_vars, coords, attrs={"comment": SYNTHETIC})


def _zarr_encoding(ds: xr.Dataset) -> dict:
    """One chunk per time step (as ARCO-ERA5 and WeatherBench2 store them)."""
    return {
        name: {"chunks": tuple(1 if d == "time" else ds.sizes[d] for d in var.dims)}
        for name, var in ds.data_vars.items()
    }


def _netcdf_encoding(ds: xr.Dataset) -> dict:
    """Deflate-compressed data variables (netCDF-4) in one chunk per time step; no coord fill."""
    encoding = {
        name: {"zlib": True, "complevel": 4, "shuffle": True, "chunksizes": chunks["chunks"]}
        for name, chunks in _zarr_encoding(ds).items()
    }
    return encoding | {name: {"_FillValue": None} for name in ds.coords}


def write_era5_arco(folder: pathlib.Path) -> pathlib.Path:
    lat = np.arange(90.0, -90.1, -10.0)  # 19, descending, with poles
    lon = np.arange(0.0, 360.0, 10.0)  # 36
    names = [n for n in _ERA5_ATTRS if n != "geopotential_at_surface"]
    ds = era5_style(lat, lon, names, {"long_name": "pressure_level", "units": "millibars"})
    path = folder / "era5_arco.zarr"
    ds.to_zarr(path, mode="w", zarr_format=2, consolidated=True, encoding=_zarr_encoding(ds))
    return path


def weatherbench2_dataset() -> xr.Dataset:
    lat = -87.1875 + 5.625 * np.arange(32)  # 64x32 equiangular, no poles, ascending
    lon = 5.625 * np.arange(64)
    names = [n for n in _ERA5_ATTRS if n != "2m_temperature"]
    return era5_style(lat, lon, names, {"long_name": "pressure_level", "units": "millibar"})


def write_weatherbench2(folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    ds = weatherbench2_dataset()
    zarr_path = folder / "weatherbench2.zarr"
    ds.to_zarr(zarr_path, mode="w", zarr_format=2, consolidated=True, encoding=_zarr_encoding(ds))
    nc_path = folder / "weatherbench2.nc"
    ds.to_netcdf(nc_path, engine="h5netcdf", encoding=_netcdf_encoding(ds))
    return zarr_path, nc_path


_NCEP = {  # NCEP name: (canonical source field, long_name, units, standard_name, scale)
    "uwnd": ("u_component_of_wind", "4xDaily U-wind", "m/s", "eastward_wind", 1.0),
    "vwnd": ("v_component_of_wind", "4xDaily V wind", "m/s", "northward_wind", 1.0),
    "air": ("temperature", "4xDaily Air temperature", "degK", "air_temperature", 1.0),
    "hgt": (
        "geopotential",
        "4xDaily Geopotential height",
        "m",
        "geopotential_height",
        1.0 / GRAVITY,
    ),
    "shum": ("specific_humidity", "4xDaily Specific Humidity", "kg/kg", "specific_humidity", 1.0),
    "pres": (
        "surface_pressure",
        "4xDaily Pressure at Surface",
        "hPa",
        "surface_air_pressure",
        0.01,
    ),
}


def write_ncep_cf(folder: pathlib.Path) -> pathlib.Path:
    lat = np.arange(90.0, -90.1, -7.5)  # 25, descending
    lon = np.arange(0.0, 360.0, 7.5)  # 48
    levels = LEVELS_HPA[::-1]  # NCEP stores 1000 … 10 mb
    fields = synthetic_fields(_hours(TIMES), levels, lat, lon)
    data_vars = {}
    for name, (source, long_name, units, standard_name, scale) in _NCEP.items():
        dims = ("time", "lat", "lon") if name == "pres" else ("time", "level", "lat", "lon")
        attrs = {
            "long_name": long_name,
            "units": units,
            "standard_name": standard_name,
            "dataset": "NCEP Reanalysis (synthetic sample)",
        }
        data_vars[name] = (dims, (fields[source] * scale).astype(np.float32), attrs)
    coords = {
        "time": ("time", TIMES, {"long_name": "Time", "standard_name": "time", "axis": "T"}),
        "level": (
            "level",
            levels.astype(np.float32),
            {"units": "millibar", "long_name": "Level", "positive": "down", "axis": "Z"},
        ),
        "lat": (
            "lat",
            lat.astype(np.float32),
            {"units": "degrees_north", "long_name": "Latitude", "standard_name": "latitude"},
        ),
        "lon": (
            "lon",
            lon.astype(np.float32),
            {"units": "degrees_east", "long_name": "Longitude", "standard_name": "longitude"},
        ),
    }
    ds = xr.Dataset(data_vars, coords, attrs={"Conventions": "CF-1.0", "comment": SYNTHETIC})
    encoding = _netcdf_encoding(ds)
    encoding["time"] |= {"units": "hours since 1800-01-01 00:00:0.0", "dtype": "float64"}
    path = folder / "ncep_cf.nc"
    ds.to_netcdf(path, engine="h5netcdf", encoding=encoding)
    return path


def main(folder: pathlib.Path = HERE) -> None:
    for path in (write_era5_arco(folder), *write_weatherbench2(folder), write_ncep_cf(folder)):
        files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
        print(f"{path.name}: {sum(f.stat().st_size for f in files) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
