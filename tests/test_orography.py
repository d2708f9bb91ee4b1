"""Earth orography on model grids: the vendored sample, conservation, heights, ringing."""

import numpy as np
import pytest

from ngcm_lab import orography
from ngcm_lab.constants import GRAVITY
from ngcm_lab.regridding import cell_areas, to_model_grid
from ngcm_lab.spherical_harmonics import Grid


@pytest.fixture(scope="module")
def source():
    return orography.load_earth_orography()


@pytest.fixture(scope="module")
def t42(source):
    grid = Grid.from_name("T42")
    return grid, *orography.orography_on_grid(grid, source=source)


def source_mean(da) -> float:
    areas = cell_areas(da["lat"].values, da["lon"].values)
    return float(np.sum(da.values * areas) / np.sum(areas))


def test_sample_is_the_2deg_etopo_grid(source):
    assert source.sizes == {"lat": 90, "lon": 180}
    phi = source["surface_geopotential"]
    assert phi.attrs["units"] == "m2 s-2"
    assert 0.0 == float(phi.min()) and 5.0e4 < float(phi.max()) < 5.5e4
    land = source["land_sea_mask"].values
    assert set(np.unique(land)) == {0.0, 1.0}
    assert np.all(phi.values[land == 0] == 0.0)  # sea cells are zeroed in the source


def test_missing_sample_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("NGCM_LAB_DATA_SAMPLES", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="earth_orography"):
        orography.load_earth_orography()


def test_global_mean_geopotential_is_conserved(source, t42):
    grid, phi, _ = t42
    expected = source_mean(source["surface_geopotential"])
    regridded = to_model_grid(source["surface_geopotential"], grid)
    assert np.sum(regridded * grid.area_weights) == pytest.approx(expected, rel=1e-12)
    # The smoothing filter leaves n = 0 alone, so the spectral field keeps the same mean.
    assert np.sum(phi * grid.area_weights) == pytest.approx(expected, rel=1e-10)


def test_land_fraction(source, t42):
    grid, _, land = t42
    assert land.min() >= 0.0 and land.max() <= 1.0
    global_land = np.sum(land * grid.area_weights)
    assert global_land == pytest.approx(source_mean(source["land_sea_mask"]), rel=1e-12)
    assert global_land == pytest.approx(0.29, abs=0.02)


def test_tibet_height_is_plausible_at_T42(t42):
    grid, phi, land = t42
    height = phi / GRAVITY
    j, i = np.unravel_index(np.argmax(height), height.shape)
    lat, lon = np.degrees(grid.latitudes[j]), np.degrees(grid.longitudes[i])
    assert 4500.0 < height.max() < 5500.0
    assert 25.0 < lat < 40.0 and 75.0 < lon < 105.0  # the Tibetan plateau
    # Other ranges are where they should be: Andes, Rockies, Greenland, East Antarctica.
    for lat0, lon0, at_least in (
        (-20, 292, 1500),
        (40, 250, 1500),
        (72, 320, 1500),
        (-80, 60, 2500),
    ):
        jj = np.argmin(np.abs(np.degrees(grid.latitudes) - lat0))
        ii = np.argmin(np.abs(np.degrees(grid.longitudes) - lon0))
        assert height[jj, ii] > at_least, (lat0, lon0, height[jj, ii])


def test_filter_reduces_ocean_undershoot(source, t42):
    grid, phi, land = t42
    raw, _ = orography.orography_on_grid(grid, source=source, smooth=False)
    ocean = land < 0.5
    raw_min, filtered_min = raw[ocean].min() / GRAVITY, phi[ocean].min() / GRAVITY
    assert raw_min < -300.0  # raw T42 truncation rings by hundreds of metres
    assert filtered_min > -100.0 and filtered_min > 0.25 * raw_min
    # The spectral field is band-limited at N and matches JAX's transform.
    modal = orography.analysis(grid, phi)
    assert np.abs(modal[~grid.mask]).max() < 1e-9 * np.abs(modal).max()
    np.testing.assert_allclose(
        np.asarray(grid.to_nodal(grid.to_modal(phi))), phi, atol=2e-6 * np.abs(phi).max()
    )


def test_smoothing_factors():
    grid = Grid.from_name("T21")
    s = orography.smoothing_factors(grid, order=1, factor_at_truncation=0.2)
    n = grid.total_wavenumber
    assert s[0, 0] == 1.0
    np.testing.assert_allclose(s[n == grid.truncation], 0.2)
    assert np.all(s[n > grid.truncation] == 0.0)
    assert np.all(np.diff(s[0, : grid.truncation + 1]) < 0)
    with pytest.raises(ValueError):
        orography.smoothing_factors(grid, factor_at_truncation=0.0)
