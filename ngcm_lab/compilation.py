"""A persistent compilation cache, on by default: a program compiled once is read from disk.

Compile time is a student's wait in every notebook and every CLI command. JAX can keep compiled
programs on disk; importing `ngcm_lab` turns that on (`$JAX_COMPILATION_CACHE_DIR`, default
`paths.cache_dir()/jax`, at most 2 GB, least recently used programs evicted), so the next
notebook run or command reads what an earlier one compiled. A user's own setting wins: nothing
changes where `JAX_COMPILATION_CACHE_DIR` is set, and `NGCM_LAB_COMPILATION_CACHE=0` turns it
off. JAX reads the variable when it is imported; if it was imported first, the cache is set
through `jax.config` instead (safe until the first compilation, and after it for later ones).
"""

from __future__ import annotations

import os
import sys

CACHE_MAX_BYTES = 2 * 1024**3


def configure(environ: dict | None = None) -> dict[str, str]:
    """Turn the persistent compilation cache on in `environ` (default `os.environ`, and JAX's
    config when JAX is already imported); return the variables that were set."""
    env = os.environ if environ is None else environ
    if env.get("NGCM_LAB_COMPILATION_CACHE", "1") == "0" or "JAX_COMPILATION_CACHE_DIR" in env:
        return {}
    from ngcm_lab.paths import cache_dir

    applied = {
        "JAX_COMPILATION_CACHE_DIR": str(cache_dir() / "jax"),
        "JAX_COMPILATION_CACHE_MAX_SIZE": str(CACHE_MAX_BYTES),
    }
    env.update(applied)
    if environ is None and "jax" in sys.modules:
        import jax

        if jax.config.jax_compilation_cache_dir is None:
            jax.config.update("jax_compilation_cache_dir", applied["JAX_COMPILATION_CACHE_DIR"])
            jax.config.update("jax_compilation_cache_max_size", CACHE_MAX_BYTES)
    return applied
