"""First-order conservative regridding between latitude–longitude grids and Gaussian grids.

Each grid is a set of cells: a latitude band [φ₀, φ₁] times a longitude interval [λ₀, λ₁]. The
area of a cell on the unit sphere is (sin φ₁ − sin φ₀)(λ₁ − λ₀), so the area of the overlap of a
target cell i with a source cell j factorises into a latitude part (the overlap of two intervals
of μ = sin φ) and a longitude part (the overlap of two periodic intervals). The regridded value is
the overlap-weighted mean (Jones 1999, Mon. Wea. Rev. 127:2204, first-order scheme):

    f_i = Σ_j A_ij f_j / Σ_j A_ij,     A_ij = M_ab · L_cd  (i = (a, c), j = (b, d)),

applied with two small dense matrices M (latitude) and L (longitude) in an einsum. It is exact on
constants, and when both grids cover the sphere Σ_j A_ij is the target cell's area and
Σ_i A_ij the source cell's, so the global integral is conserved to round-off.

Cell edges: regular grids put edges midway between centres (outer latitude edges clipped at
±90°); Gaussian grids put latitude edges where the cumulative Gauss weights are, μ_{j+½} =
−1 + Σ_{i≤j} w_i, so each Gauss cell's area is exactly its quadrature weight times Δλ and a field
regridded onto the model grid has the same Gaussian-quadrature integral as its source. Longitudes
are always periodic (global grids); either 0…360 or −180…180, in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ngcm_lab.spherical_harmonics import Grid

LAT_NAMES = ("lat", "latitude")
LON_NAMES = ("lon", "longitude")

# Per-cell bounds: (lower, upper) arrays in the original cell order.
Cells = tuple[np.ndarray, np.ndarray]


# ----------------------------------------------------------------------------- cell geometry
def _as_1d(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has non-finite values")
    return arr


def _latitude_cells(lat_deg: Any, edges_deg: Any = None) -> Cells:
    """Per-cell (μ_lower, μ_upper) from centres (edges midway) or from explicit edges.

    `edges_deg` has one more entry than `lat_deg`, cell i spanning edges i and i + 1.
    """
    lat = _as_1d(lat_deg, "latitude")
    if np.any(np.abs(lat) > 90.0):
        raise ValueError("latitudes must lie within [-90, 90] degrees")
    if edges_deg is not None:
        edges = _as_1d(edges_deg, "latitude edges")
        if edges.size != lat.size + 1:
            raise ValueError(f"need {lat.size + 1} latitude edges for {lat.size} cells")
        lo, hi = np.minimum(edges[:-1], edges[1:]), np.maximum(edges[:-1], edges[1:])
        lo, hi = np.clip(lo, -90.0, 90.0), np.clip(hi, -90.0, 90.0)
        return np.sin(np.radians(lo)), np.sin(np.radians(hi))
    order = np.argsort(lat)
    s = lat[order]
    if np.any(np.diff(s) <= 0):
        raise ValueError("latitudes must be distinct (strictly ascending or descending)")
    if s.size == 1:
        inner = np.array([-90.0, 90.0])
    else:
        mid = 0.5 * (s[1:] + s[:-1])
        inner = np.concatenate([[s[0] - (mid[0] - s[0])], mid, [s[-1] + (s[-1] - mid[-1])]])
    edges = np.clip(inner, -90.0, 90.0)
    mu = np.sin(np.radians(edges))
    mu[edges == -90.0], mu[edges == 90.0] = -1.0, 1.0
    lo, hi = np.empty_like(lat), np.empty_like(lat)
    lo[order], hi[order] = mu[:-1], mu[1:]
    return lo, hi


def _longitude_cells(lon_deg: Any) -> Cells:
    """Per-cell (start, end) in radians, start in [0, 2π), edges midway between periodic centres."""
    lon = np.mod(_as_1d(lon_deg, "longitude"), 360.0)
    order = np.argsort(lon)
    s = lon[order]
    gaps = np.diff(np.concatenate([s, [s[0] + 360.0]]))  # to the next centre, periodically
    if np.any(gaps <= 1e-9):
        raise ValueError(
            "longitudes repeat modulo 360 (drop a cyclic column such as 360 next to 0)"
        )
    start_sorted = np.mod(s - 0.5 * np.roll(gaps, 1), 360.0)
    start, width = np.empty_like(lon), np.empty_like(lon)
    start[order], width[order] = start_sorted, 0.5 * (gaps + np.roll(gaps, 1))
    if s.size == 1:
        start[:], width[:] = 0.0, 360.0
    return np.radians(start), np.radians(start + width)


def _gaussian_mu_edges(grid: Grid) -> np.ndarray:
    """μ at the Gauss cell edges: −1, −1 + w₀, −1 + w₀ + w₁, …, 1 (ascending, nlat + 1)."""
    edges = np.concatenate([[-1.0], -1.0 + np.cumsum(grid.quadrature_weights)])
    edges[-1] = 1.0
    return edges


def gaussian_cell_edges(grid: Grid) -> np.ndarray:
    """Latitude edges (degrees, ascending, nlat + 1) of the Gauss cells of `grid`.

    μ edges are the cumulative sums of the Gauss weights, so cell j's area fraction equals
    w_j / 2 exactly and each Gauss node lies inside its cell.
    """
    return np.degrees(np.arcsin(_gaussian_mu_edges(grid)))


def _grid_cells(grid: Grid) -> tuple[Cells, Cells]:
    mu = _gaussian_mu_edges(grid)
    return (mu[:-1], mu[1:]), _longitude_cells(np.degrees(grid.longitudes))


# ------------------------------------------------------------------------- overlap matrices
def _interval_overlap(target: Cells, source: Cells) -> np.ndarray:
    """|[a₀, a₁] ∩ [b₀, b₁]| for every (target, source) pair, shape (n_target, n_source)."""
    lo = np.maximum(target[0][:, None], source[0][None, :])
    hi = np.minimum(target[1][:, None], source[1][None, :])
    return np.clip(hi - lo, 0.0, None)


def _periodic_overlap(target: Cells, source: Cells) -> np.ndarray:
    """Overlap of periodic longitude intervals (period 2π); starts in [0, 2π), widths ≤ 2π."""
    total = np.zeros((target[0].size, source[0].size))
    for shift in (-2.0 * np.pi, 0.0, 2.0 * np.pi):
        total += _interval_overlap(target, (source[0] + shift, source[1] + shift))
    return total


def overlap_matrices(
    source_lat: Cells, source_lon: Cells, target_lat: Cells, target_lon: Cells
) -> tuple[np.ndarray, np.ndarray]:
    """(M, L): overlaps in μ (n_target_lat, n_source_lat) and in λ (n_target_lon, n_source_lon).

    The overlap area of target cell (a, c) and source cell (b, d) is M[a, b] · L[c, d].
    """
    return _interval_overlap(target_lat, source_lat), _periodic_overlap(target_lon, source_lon)


def _apply(
    values: np.ndarray, lat_matrix: np.ndarray, lon_matrix: np.ndarray, min_valid_fraction: float
) -> np.ndarray:
    """Overlap-weighted mean over the last two axes; NaN source cells carry no weight."""
    if values.ndim < 2:
        raise ValueError(f"values must have (…, lat, lon) axes, got shape {values.shape}")
    expected = (lat_matrix.shape[1], lon_matrix.shape[1])
    if values.shape[-2:] != expected:
        raise ValueError(f"values end in shape {values.shape[-2:]}; the source grid is {expected}")
    full = np.outer(lat_matrix.sum(axis=1), lon_matrix.sum(axis=1))  # covered target area

    def contract(f: np.ndarray) -> np.ndarray:
        return np.einsum("ab,...bd,cd->...ac", lat_matrix, f, lon_matrix, optimize=True)

    valid = np.isfinite(values)
    if valid.all():
        weight = np.broadcast_to(full, values.shape[:-2] + full.shape)
        numerator = contract(values)
    else:
        weight = contract(valid.astype(np.float64))
        numerator = contract(np.where(valid, values, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = numerator / weight
    threshold = max(min_valid_fraction, 1e-12) * full
    return np.where(weight > threshold, out, np.nan)


# ------------------------------------------------------------------------------- public API
def _lat_lon_from_dataarray(
    field: Any, lat: Any, lon: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values[..., lat, lon], lat, lon) from a DataArray (coords named lat/latitude…) or arrays."""
    if hasattr(field, "dims") and hasattr(field, "coords"):
        lat_name = next((n for n in LAT_NAMES if n in field.coords), None)
        lon_name = next((n for n in LON_NAMES if n in field.coords), None)
        if lat_name is not None and lon_name is not None:
            field = field.transpose(..., lat_name, lon_name)
            lat = field[lat_name].values if lat is None else lat
            lon = field[lon_name].values if lon is None else lon
    if lat is None or lon is None:
        raise ValueError(
            "pass lat= and lon= in degrees, or a DataArray with coordinates named one of "
            f"{LAT_NAMES} and {LON_NAMES}"
        )
    return np.asarray(field, dtype=np.float64), np.asarray(lat), np.asarray(lon)


def conservative_regrid(
    values: Any,
    source_lat_deg: Sequence[float] | np.ndarray,
    source_lon_deg: Sequence[float] | np.ndarray,
    target_lat_deg: Sequence[float] | np.ndarray,
    target_lon_deg: Sequence[float] | np.ndarray,
    target_lat_edges_deg: Sequence[float] | np.ndarray | None = None,
    *,
    source_lat_edges_deg: Sequence[float] | np.ndarray | None = None,
    min_valid_fraction: float = 0.0,
) -> np.ndarray:
    """Area-weighted (first-order conservative) regridding over the last two axes (lat, lon).

    Cell centres in degrees, latitudes in either order, longitudes in any periodic convention
    (0…360 or −180…180). Edges are midway between centres unless given (`*_lat_edges_deg`,
    one more than the cells, cell i between edges i and i + 1; use `gaussian_cell_edges`).
    NaN source cells are left out and the remaining weights renormalised; a target cell whose
    valid overlap is at most `min_valid_fraction` of its area (default: none at all) is NaN.
    Returns float64 with shape `values.shape[:-2] + (len(target_lat), len(target_lon))`.
    """
    lat_m, lon_m = overlap_matrices(
        _latitude_cells(source_lat_deg, source_lat_edges_deg),
        _longitude_cells(source_lon_deg),
        _latitude_cells(target_lat_deg, target_lat_edges_deg),
        _longitude_cells(target_lon_deg),
    )
    return _apply(np.asarray(values, dtype=np.float64), lat_m, lon_m, min_valid_fraction)


def to_model_grid(
    da_or_values: Any,
    grid: Grid,
    lat: Any = None,
    lon: Any = None,
    *,
    min_valid_fraction: float = 0.0,
) -> np.ndarray:
    """Conservatively regrid a lat–lon field (DataArray, or array with `lat`/`lon` in degrees)
    onto the Gauss cells of `grid`; returns float64 `(..., nlat, nlon)`, latitudes ascending.

    The Gaussian-quadrature integral of the result equals the source's area integral.
    """
    values, lat, lon = _lat_lon_from_dataarray(da_or_values, lat, lon)
    target_lat, target_lon = _grid_cells(grid)
    lat_m, lon_m = overlap_matrices(
        _latitude_cells(lat), _longitude_cells(lon), target_lat, target_lon
    )
    return _apply(values, lat_m, lon_m, min_valid_fraction)


def from_model_grid(
    values: Any,
    grid: Grid,
    lat_deg: Sequence[float] | np.ndarray,
    lon_deg: Sequence[float] | np.ndarray,
    *,
    min_valid_fraction: float = 0.0,
) -> np.ndarray:
    """Conservatively regrid nodal `(..., nlat, nlon)` values on `grid` to a lat–lon grid given
    by its cell centres in degrees; returns float64 `(..., len(lat_deg), len(lon_deg))`."""
    source_lat, source_lon = _grid_cells(grid)
    lat_m, lon_m = overlap_matrices(
        source_lat, source_lon, _latitude_cells(lat_deg), _longitude_cells(lon_deg)
    )
    return _apply(np.asarray(values, dtype=np.float64), lat_m, lon_m, min_valid_fraction)


def cell_areas(
    lat_deg: Sequence[float] | np.ndarray,
    lon_deg: Sequence[float] | np.ndarray,
    lat_edges_deg: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """Cell areas on the unit sphere (steradians, summing to 4π for a global grid), (nlat, nlon)."""
    mu_lo, mu_hi = _latitude_cells(lat_deg, lat_edges_deg)
    lon_lo, lon_hi = _longitude_cells(lon_deg)
    return np.outer(mu_hi - mu_lo, lon_hi - lon_lo)
