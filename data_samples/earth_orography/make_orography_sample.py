"""Copy the 2° Earth orography and land mask into this folder, byte for byte.

Usage: python data_samples/earth_orography/make_orography_sample.py [SOURCE_DIR]

SOURCE_DIR holds `earth_topography_2deg.nc` and `earth_landmask_2deg.nc` as shipped in the
climt 0.31.0 wheel (`climt/_data/topography/` and `climt/_data/land_mask/`); by default the
shared reference-data folder `/work/shared/data/climt_2deg`. The files are not modified: the
SHA-256 sums printed here must match those in this folder's README.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil
import sys

FILES = ("earth_topography_2deg.nc", "earth_landmask_2deg.nc")
DEFAULT_SOURCE = pathlib.Path("/work/shared/data/climt_2deg")


def main(source: pathlib.Path = DEFAULT_SOURCE) -> None:
    here = pathlib.Path(__file__).resolve().parent
    for name in FILES:
        target = here / name
        shutil.copyfile(source / name, target)
        print(f"{hashlib.sha256(target.read_bytes()).hexdigest()}  {name}")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
