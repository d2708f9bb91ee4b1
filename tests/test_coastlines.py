"""Offline Natural Earth: the vendored files are complete and cartopy draws them with no network."""

import socket
import urllib.request
from io import BytesIO
from pathlib import Path

import cartopy
import cartopy.crs as ccrs
import cartopy.feature
import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapefile
from cartopy.io import shapereader

from ngcm_lab.coastlines import (
    NATURAL_EARTH_DIR,
    add_borders,
    add_coastlines,
    add_land,
    natural_earth_path,
    use_offline_natural_earth,
)

LAYERS = [
    ("physical", "coastline", 134),
    ("cultural", "admin_0_boundary_lines_land", 331),
    ("cultural", "admin_0_countries", 177),
]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network, an empty cartopy download cache, and no data directory chosen yet."""

    def refuse(*args, **kwargs):
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr("cartopy.io.urlopen", refuse)
    monkeypatch.delenv("CARTOPY_DATA_DIR", raising=False)
    monkeypatch.setitem(cartopy.config, "data_dir", tmp_path / "cartopy_downloads")
    monkeypatch.setitem(cartopy.config, "pre_existing_data_dir", Path(""))


def dark_pixel_count(fig) -> int:
    """Number of near-black pixels in the rendered figure."""
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    return int((rgb.max(axis=-1) < 80).sum())


@pytest.mark.parametrize(("category", "name", "n_shapes"), LAYERS)
def test_vendored_layers_have_matching_shp_shx_dbf(category, name, n_shapes):
    path = natural_earth_path(category, name)
    for suffix in (".shp", ".shx", ".dbf", ".prj"):
        assert path.with_suffix(suffix).is_file()
    with shapefile.Reader(str(path)) as reader:
        assert len(reader.shapes()) == n_shapes
        assert len(reader.records()) == n_shapes


def test_credits_and_version_are_shipped():
    assert (NATURAL_EARTH_DIR / "VERSION.txt").read_text().strip() == "5.1.1"
    credits = (NATURAL_EARTH_DIR / "README.md").read_text()
    assert "public domain" in credits and "naturalearthdata.com" in credits


def test_configures_vendored_dir_and_is_idempotent(offline):
    assert use_offline_natural_earth() == NATURAL_EARTH_DIR
    assert Path(cartopy.config["pre_existing_data_dir"]) == NATURAL_EARTH_DIR
    assert use_offline_natural_earth() == NATURAL_EARTH_DIR
    found = Path(shapereader.natural_earth("110m", "physical", "coastline"))
    assert found == natural_earth_path("physical", "coastline")


def test_respects_a_directory_the_user_chose(offline, tmp_path):
    cartopy.config["pre_existing_data_dir"] = tmp_path
    assert use_offline_natural_earth() == tmp_path
    assert cartopy.config["pre_existing_data_dir"] == tmp_path


def test_respects_cartopy_data_dir_variable(offline, monkeypatch, tmp_path):
    monkeypatch.setenv("CARTOPY_DATA_DIR", str(tmp_path))
    assert use_offline_natural_earth() == tmp_path
    assert str(cartopy.config["pre_existing_data_dir"]) in ("", ".")


def test_coastlines_and_borders_draw_without_network(offline):
    fig, ax = plt.subplots(subplot_kw={"projection": ccrs.PlateCarree()})
    ax.set_global()
    blank = dark_pixel_count(fig)
    add_coastlines(ax, color="k")
    add_borders(ax, edgecolor="k")
    ax.add_feature(cartopy.feature.BORDERS.with_scale("110m"))
    fig.savefig(BytesIO(), format="png")  # raises URLError/OSError if anything is downloaded
    assert dark_pixel_count(fig) > blank + 2000
    assert not (Path(cartopy.config["data_dir"])).exists()


def test_plain_cartopy_coastlines_work_after_configuring(offline):
    use_offline_natural_earth()
    fig, ax = plt.subplots(subplot_kw={"projection": ccrs.Robinson()})
    ax.coastlines(resolution="110m")
    fig.savefig(BytesIO(), format="png")


def test_add_land_fills_continents_not_oceans(offline):
    fig, ax = plt.subplots(figsize=(6, 3), subplot_kw={"projection": ccrs.PlateCarree()})
    ax.set_global()
    add_land(ax, facecolor="k")
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    height = rgb.shape[0]

    def is_dark(lon: float, lat: float) -> bool:
        x, y = ax.transData.transform((lon, lat))
        return rgb[int(height - y), int(x)].max() < 80

    assert is_dark(20.0, 0.0)  # Congo basin
    assert is_dark(-100.0, 40.0)  # North American plains
    assert not is_dark(-150.0, 0.0)  # central Pacific
    assert not is_dark(-30.0, 30.0)  # North Atlantic
