"""Shared test setup for tests/ and notebooks/: a non-interactive backend and the fast mode.

Set at import time, before matplotlib is imported, and inherited by the notebook kernels that
nbval starts (notebooks read ``NGCM_LAB_FAST`` to shorten their runs).
"""

import os
import sys
import tempfile

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("NGCM_LAB_FAST", "1")
# Many tests compile the same step functions (fresh closures, identical programs): JAX's persistent
# compilation cache turns every recompilation after the first into a disk read. Notebook kernels
# inherit it through the environment.
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR", os.path.join(tempfile.gettempdir(), "ngcm_lab_jax_cache")
)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test opened, so pyplot does not accumulate them across tests."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
