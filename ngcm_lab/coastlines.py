"""Offline Natural Earth coastlines, borders and land for cartopy maps.

cartopy downloads Natural Earth shapefiles on first use, which fails on offline machines (Binder
builds, CI, classrooms behind firewalls) with a ``URLError`` at ``savefig`` time. The package ships
the 1:110m files (public domain, Natural Earth 5.1.1) in cartopy's ``pre_existing_data_dir``
layout; :func:`use_offline_natural_earth` points cartopy at them.

Only the 110m scale is vendored, so the helpers here fix ``resolution="110m"``: cartopy's
``"auto"`` scale picks 50m for zoomed-in maps, which would try to download again. For the same
reason use :func:`add_land` rather than ``cartopy.feature.LAND`` (a separate, undownloaded layer).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

NATURAL_EARTH_DIR = Path(__file__).resolve().parent / "_data" / "natural_earth"
RESOLUTION = "110m"


def natural_earth_path(category: str, name: str) -> Path:
    """Path of a vendored shapefile, e.g. ``natural_earth_path("physical", "coastline")``."""
    path = NATURAL_EARTH_DIR / "shapefiles" / "natural_earth" / category
    return path / f"ne_{RESOLUTION}_{name}.shp"


def use_offline_natural_earth() -> Path:
    """Point cartopy at the vendored Natural Earth files and return the directory in use.

    Leaves cartopy alone when the user chose a directory already (``$CARTOPY_DATA_DIR`` or
    ``cartopy.config["pre_existing_data_dir"]``). Calling it again changes nothing.
    """
    import cartopy

    chosen = str(cartopy.config.get("pre_existing_data_dir") or "")
    if chosen in ("", "."):  # cartopy stores Path("") (printed ".") when nothing was chosen
        chosen = os.environ.get("CARTOPY_DATA_DIR", "")
    if chosen:
        return Path(chosen)
    cartopy.config["pre_existing_data_dir"] = NATURAL_EARTH_DIR
    return NATURAL_EARTH_DIR


def add_coastlines(ax: Any, **kwargs: Any) -> Any:
    """Draw 1:110m coastlines on a cartopy ``GeoAxes`` without touching the network."""
    use_offline_natural_earth()
    kwargs.setdefault("linewidth", 0.6)
    return ax.coastlines(resolution=RESOLUTION, **kwargs)


def add_borders(ax: Any, **kwargs: Any) -> Any:
    """Draw 1:110m land borders between countries without touching the network."""
    import cartopy.feature as cfeature

    use_offline_natural_earth()
    kwargs.setdefault("linewidth", 0.3)
    kwargs.setdefault("edgecolor", "0.3")
    feature = cfeature.NaturalEarthFeature(
        "cultural", "admin_0_boundary_lines_land", RESOLUTION, facecolor="none"
    )
    return ax.add_feature(feature, **kwargs)


def add_land(ax: Any, **kwargs: Any) -> Any:
    """Fill land from the vendored country polygons (``cartopy.feature.LAND`` would download).

    The countries are merged into one shape first so no hairline seams show between neighbours.
    Extra keyword arguments go to ``ax.add_geometries`` (default: light grey, below other artists).
    """
    import cartopy.crs as ccrs
    from cartopy.io.shapereader import Reader
    from shapely.ops import unary_union

    reader = Reader(natural_earth_path("cultural", "admin_0_countries"))
    land = unary_union(list(reader.geometries()))
    kwargs.setdefault("facecolor", "0.85")
    kwargs.setdefault("edgecolor", "none")
    kwargs.setdefault("zorder", 0)
    return ax.add_geometries([land], crs=ccrs.PlateCarree(), **kwargs)
