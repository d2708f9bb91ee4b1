"""Where the package finds its data samples and keeps what it generates (the one place)."""

from __future__ import annotations

import os
import pathlib

from ngcm_lab.errors import InputError


def data_samples_dir() -> pathlib.Path:
    """The data samples (`$NGCM_LAB_DATA_SAMPLES` if set), with a clear error if missing.

    The package's `data_samples` is a link to the repository's `data_samples/` in a checkout and
    a copy of it in an installed wheel, so both find the samples here without a clone."""
    path = pathlib.Path(
        os.environ.get("NGCM_LAB_DATA_SAMPLES", pathlib.Path(__file__).parent / "data_samples")
    )
    if not path.is_dir():
        raise InputError(
            f"data samples not found at {path}; reinstall ngcm-lab (its wheel carries them) or "
            "set NGCM_LAB_DATA_SAMPLES to a copy of the repository's data_samples/ folder"
        )
    return path


def cache_dir() -> pathlib.Path:
    """A folder for data the package generates and may reuse (`$NGCM_LAB_CACHE`, else
    `$XDG_CACHE_HOME/ngcm_lab`, else `~/.cache/ngcm_lab`), created on demand."""
    root = os.environ.get("NGCM_LAB_CACHE")
    if root is None:
        base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
        root = pathlib.Path(base) / "ngcm_lab"
    path = pathlib.Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path
