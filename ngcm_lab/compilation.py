"""A persistent compilation cache, on by default: a program compiled once is read from disk.

Compile time is a student's wait in every notebook and every CLI command. JAX can keep compiled
programs on disk; importing `ngcm_lab` turns that on (`$JAX_COMPILATION_CACHE_DIR`, default
`paths.cache_dir()/jax`, at most 2 GB, least recently used programs evicted), so the next
notebook run or command reads what an earlier one compiled. A user's own setting wins: nothing
changes where `JAX_COMPILATION_CACHE_DIR` is set, and `NGCM_LAB_COMPILATION_CACHE=0` turns it
off. JAX reads the variable when it is imported; if it was imported first, the cache is set
through `jax.config` instead (safe until the first compilation, and after it for later ones).

`matmul_precisions` reads a lowered program's matrix products and the precision each states:
the one check, used by the tests, notebook 10 and the accelerator benchmark, that no float32
product is left to a global default (TF32 on recent NVIDIA GPUs, one bfloat16 pass on TPUs).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter

CACHE_MAX_BYTES = 2 * 1024**3
_DOT_PRECISION = re.compile(r"stablehlo\.dot_general.*?(?:precision = \[(\w+), (\w+)\]|$)", re.M)


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


def matmul_precisions(fn, *args) -> dict[str, int]:
    """How many matrix products (`dot_general`) of `jax.jit(fn)` lowered at `args` state each
    precision: {"HIGHEST": 23} where every product says HIGHEST for both operands. Products left
    to the global default (`jax.default_matmul_precision` at the call) count as "DEFAULT", or as
    "unstated" where the program prints no precision."""
    import jax

    text = jax.jit(fn).lower(*args).as_text()
    counts = Counter(
        "unstated" if lhs is None else lhs if lhs == rhs else f"{lhs}, {rhs}"
        for lhs, rhs in (m.groups() for m in _DOT_PRECISION.finditer(text))
    )
    return dict(counts)
