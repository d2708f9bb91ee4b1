"""Conservative regridding: constants, global integrals, NaN handling, grid conventions."""

import numpy as np
import pytest
import xarray as xr

from ngcm_lab.regridding import (
    cell_areas,
    conservative_regrid,
    from_model_grid,
    gaussian_cell_edges,
    to_model_grid,
)
from ngcm_lab.spherical_harmonics import Grid

LAT = np.arange(-89.0, 90.0, 2.0)  # 2° cell centres, as the orography sample
LON = np.arange(1.0, 360.0, 2.0)


@pytest.fixture(scope="module")
def grid() -> Grid:
    return Grid.from_name("T21")


def random_field(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return 280.0 + 30.0 * np.random.default_rng(seed).normal(size=shape)


def gauss_integral(values: np.ndarray, grid: Grid) -> np.ndarray:
    """∫ f dA on the unit sphere by Gaussian quadrature."""
    weights = grid.quadrature_weights[:, None] * (2.0 * np.pi / grid.nlon)
    return np.sum(values * weights, axis=(-2, -1))


def test_gaussian_cells_have_the_quadrature_weights_as_areas(grid):
    edges = gaussian_cell_edges(grid)
    lat = np.degrees(grid.latitudes)
    assert edges[0] == -90.0 and edges[-1] == 90.0
    assert np.all((edges[:-1] < lat) & (lat < edges[1:]))
    areas = cell_areas(lat, np.degrees(grid.longitudes), edges)
    np.testing.assert_allclose(areas[:, 0], grid.quadrature_weights * 2 * np.pi / grid.nlon)
    assert cell_areas(LAT, LON).sum() == pytest.approx(4 * np.pi, rel=1e-14)


def test_constants_are_preserved_both_ways(grid):
    on_grid = to_model_grid(np.full((2, LAT.size, LON.size), 3.25), grid, LAT, LON)
    assert on_grid.shape == (2, grid.nlat, grid.nlon)
    np.testing.assert_allclose(on_grid, 3.25, rtol=1e-12, atol=0)
    back = from_model_grid(np.full(grid.nodal_shape, -7.5), grid, LAT, LON)
    np.testing.assert_allclose(back, -7.5, rtol=1e-12, atol=0)


def test_global_integral_is_conserved_both_ways(grid):
    field = random_field((3, LAT.size, LON.size))
    source_integral = np.sum(field * cell_areas(LAT, LON), axis=(-2, -1))
    on_grid = to_model_grid(field, grid, LAT, LON)
    np.testing.assert_allclose(gauss_integral(on_grid, grid), source_integral, rtol=1e-12)

    nodal = random_field((3, *grid.nodal_shape), seed=1)
    back = from_model_grid(nodal, grid, LAT, LON)
    np.testing.assert_allclose(
        np.sum(back * cell_areas(LAT, LON), axis=(-2, -1)), gauss_integral(nodal, grid), rtol=1e-12
    )


def test_generic_api_matches_the_model_grid_helper(grid):
    field = random_field((LAT.size, LON.size))
    generic = conservative_regrid(
        field,
        LAT,
        LON,
        np.degrees(grid.latitudes),
        np.degrees(grid.longitudes),
        target_lat_edges_deg=gaussian_cell_edges(grid),
    )
    np.testing.assert_allclose(generic, to_model_grid(field, grid, LAT, LON), rtol=1e-12)


def test_regular_to_regular_integral_and_block_average():
    """2° → 6° with nested cells: each coarse cell is the area-weighted mean of its 3 × 3 block."""
    field = random_field((LAT.size, LON.size), seed=2)
    lat6, lon6 = np.arange(-87.0, 90.0, 6.0), np.arange(3.0, 360.0, 6.0)
    coarse = conservative_regrid(field, LAT, LON, lat6, lon6)
    areas = cell_areas(LAT, LON)
    block = (field * areas).reshape(30, 3, 60, 3).sum(axis=(1, 3))
    np.testing.assert_allclose(coarse, block / areas.reshape(30, 3, 60, 3).sum(axis=(1, 3)))


def test_longitude_and_latitude_conventions_give_identical_results(grid):
    field = random_field((LAT.size, LON.size), seed=3)
    reference = to_model_grid(field, grid, LAT, LON)
    # −180…180 longitudes (rolled so that they stay ascending) and descending latitudes.
    lon_pm = np.where(LON > 180.0, LON - 360.0, LON)
    order = np.argsort(lon_pm)
    shifted = to_model_grid(field[::-1][:, order], grid, LAT[::-1], lon_pm[order])
    np.testing.assert_allclose(shifted, reference, rtol=1e-12, atol=1e-12)
    # Target side: a descending, −180…180 regular grid.
    lat_t, lon_t = np.arange(88.5, -90.0, -3.0), np.arange(-178.5, 180.0, 3.0)
    out = from_model_grid(reference, grid, lat_t, lon_t)
    same = from_model_grid(reference, grid, lat_t[::-1], np.mod(lon_t, 360.0))
    np.testing.assert_allclose(out, same[::-1], rtol=1e-12, atol=1e-12)


def test_dataarray_input_is_read_by_coordinate_name(grid):
    field = random_field((LAT.size, LON.size), seed=4)
    da = xr.DataArray(
        field.T, coords={"longitude": LON, "latitude": LAT}, dims=("longitude", "latitude")
    )
    np.testing.assert_array_equal(to_model_grid(da, grid), to_model_grid(field, grid, LAT, LON))
    with pytest.raises(ValueError, match="lat= and lon="):
        to_model_grid(field, grid)


def test_nan_cells_are_excluded_and_weights_renormalised(grid):
    field = random_field((LAT.size, LON.size), seed=5)
    holey = field.copy()
    holey[44, 30] = np.nan  # one 2° cell: every T21 cell keeps some valid source
    out = to_model_grid(holey, grid, LAT, LON)
    assert np.all(np.isfinite(out))
    # A constant with holes stays exactly that constant wherever anything is valid.
    const = np.where(np.isnan(holey), np.nan, 2.0)
    np.testing.assert_allclose(to_model_grid(const, grid, LAT, LON), 2.0, rtol=1e-12)
    # Cells that do not touch the hole are unchanged.
    changed = ~np.isclose(out, to_model_grid(field, grid, LAT, LON), rtol=1e-13)
    assert 1 <= changed.sum() <= 4
    # Nested 2° → 6°: the coarse cell is the area-weighted mean of its 8 valid sub-cells.
    lat6, lon6 = np.arange(-87.0, 90.0, 6.0), np.arange(3.0, 360.0, 6.0)
    coarse = conservative_regrid(holey, LAT, LON, lat6, lon6)
    areas = cell_areas(LAT, LON)[42:45, 30:33]
    block, valid = holey[42:45, 30:33], np.isfinite(holey[42:45, 30:33])
    expected = np.sum(np.where(valid, block * areas, 0.0)) / np.sum(areas[valid])
    assert coarse[14, 10] == pytest.approx(expected, rel=1e-12)


def test_output_cell_with_no_valid_source_is_nan(grid):
    field = random_field((LAT.size, LON.size), seed=6)
    field[LAT > 60.0] = np.nan
    out = to_model_grid(field, grid, LAT, LON)
    lat = np.degrees(grid.latitudes)
    lower_edges = gaussian_cell_edges(grid)[:-1]
    assert np.all(np.isnan(out[lower_edges >= 60.0]))  # cells entirely north of 60°
    assert np.all(np.isfinite(out[lower_edges < 60.0 - 1e-9]))
    assert np.all(np.isfinite(out[lat < 55.0]))
    # A minimum valid fraction turns partly covered cells into NaN as well.
    strict = to_model_grid(field, grid, LAT, LON, min_valid_fraction=0.99)
    assert np.isnan(strict).sum() > np.isnan(out).sum()


def test_bad_inputs_are_rejected(grid):
    with pytest.raises(ValueError, match="repeat modulo 360"):
        to_model_grid(np.zeros((LAT.size, 181)), grid, LAT, np.append(LON, 361.0))
    with pytest.raises(ValueError, match="source grid"):
        to_model_grid(np.zeros((LAT.size, LON.size - 1)), grid, LAT, LON)
    with pytest.raises(ValueError, match="-90, 90"):
        conservative_regrid(np.zeros((2, 2)), [0.0, 100.0], [0.0, 180.0], [0.0], [0.0])
