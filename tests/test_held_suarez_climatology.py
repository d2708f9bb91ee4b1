"""The stored 1000-day Held–Suarez climatology against the paper's key numbers.

Held & Suarez (1994) give figures, not tables: the zonal-mean zonal wind peaks at about
28–32 m s⁻¹ near ±45° and σ ≈ 0.25, hemispherically symmetric, with surface westerlies under the
jets and easterlies in the tropics. The bands below allow the spread between models in the
paper's comparison (jets within ±3 m s⁻¹ and ±7° of latitude of those values).
Measured (T42 L20, days 201–1000): 31.6 / 32.1 m s⁻¹ at ∓40.5°, σ = 0.225.
"""

import numpy as np
import pytest
import xarray as xr

from ngcm_lab.paths import data_samples_dir


@pytest.fixture(scope="module")
def climatology():
    path = data_samples_dir() / "held_suarez_climatology" / "held_suarez_T42L20.nc"
    return xr.load_dataset(path)


def test_jets_where_and_as_strong_as_the_paper_says(climatology):
    u = climatology["u"]
    for band in (u.lat < 0, u.lat > 0):
        jet = u.where(band)
        peak = jet.where(jet == jet.max(), drop=True)
        assert 27.0 <= float(jet.max()) <= 35.0
        assert 38.0 <= abs(float(peak.lat[0])) <= 52.0
        assert 0.15 <= float(peak.sigma[0]) <= 0.35
    mirrored = u.isel(lat=slice(None, None, -1)).values
    assert np.abs(u.values - mirrored).max() < 3.0  # symmetric forcing, 800-day sampling


def test_surface_westerlies_and_trade_easterlies(climatology):
    surface = climatology["u"].isel(sigma=-1)
    midlatitudes = surface.where((abs(surface.lat) > 35) & (abs(surface.lat) < 55))
    tropics = surface.where(abs(surface.lat) < 20)
    assert float(midlatitudes.max()) > 3.0 and float(tropics.min()) < -3.0


def test_eddy_fluxes_and_mass(climatology):
    heat = climatology["eddy_heat_flux"]
    assert float(heat.where(heat.lat > 0).max()) > 10.0  # poleward heat flux, both hemispheres
    assert float(heat.where(heat.lat < 0).min()) < -10.0
    assert climatology.attrs["days"] == 1000 and climatology.attrs["samples"] == 800
    assert abs(climatology.attrs["dry_mass_drift"]) < 1e-3
    assert np.all(np.isfinite(climatology["max_zonal_mean_u"].values))
