"""Writing files without losing data: outputs checked before a run, written atomically.

Every file the package writes (forecast netCDF, checkpoints, metrics, configurations) goes to a
temporary file in the same directory and is renamed into place only once it is complete, so an
interrupted or failed write leaves the previous file — or nothing — never a truncated one
(`os.replace` is atomic within one file system). `check_output` runs before any work starts: it
refuses an output that is one of the run's inputs, and an existing output unless the caller
asked to overwrite it.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import uuid
from collections.abc import Iterable, Iterator

from ngcm_lab.errors import InputError, OutputExistsError

PathLike = str | os.PathLike


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when `a` and `b` name the same file (links and relative paths resolved)."""
    a, b = pathlib.Path(a), pathlib.Path(b)
    try:
        return a.samefile(b)
    except OSError:  # one of them does not exist yet
        return a.resolve() == b.resolve()


def check_output(
    path: PathLike,
    *,
    inputs: Iterable[PathLike | None] = (),
    overwrite: bool = False,
    option: str = "--output",
) -> pathlib.Path:
    """The output path, once it is safe to write: its directory exists, it is not an input, and
    it does not exist unless `overwrite`. `option` names the setting in the messages."""
    path = pathlib.Path(path)
    for source in inputs:
        if source is not None and same_file(path, source):
            raise InputError(
                f"{option} {path} is also an input of this run; writing it would destroy the "
                "data: choose another output file"
            )
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: directory {path.parent} does not exist")
    if path.is_dir():
        raise InputError(f"{option} {path} is a directory; give a file name")
    if path.exists() and not overwrite:
        raise OutputExistsError(
            f"{option} {path} already exists; choose another name, or pass --overwrite to "
            "replace it"
        )
    return path


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[pathlib.Path]:
    """A temporary path beside `path`; renamed onto `path` if the block succeeds, removed if not.

    with atomic_path("out.nc") as tmp:
        ds.to_netcdf(tmp)
    """
    path = pathlib.Path(path)
    # Not created here, so the writer creates it with the usual permissions.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically (flushed to disk before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_text_atomic(path: PathLike, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))
