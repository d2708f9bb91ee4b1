"""Speed benchmarks of ngcm_lab, side by side with Dinosaur 1.5.1 where it has the same model.

``python -m benchmarks`` runs every section and writes one JSON and ``RESULTS.md``; see
``benchmarks/README.md``. The sections are the modules `shallow_water`, `held_suarez`,
`hybrid_step`, `hybrid_gradients` and `first_map` (each has a ``run`` function); `_timing`
holds the one way they time, compare and describe the machine. ``python -m
benchmarks.accelerator`` (`accelerator`) is the prepared run for a GPU or TPU: speeds at larger
sizes and a float32 precision check.
"""

import os

# The benchmarks time compiles. Importing ngcm_lab turns its persistent compilation cache on
# (`ngcm_lab.compilation`), which would turn first calls into disk reads, so it stays off here
# unless a cache was set explicitly (JAX_COMPILATION_CACHE_DIR, e.g. by the test suite), which
# the report's environment records. `first_map` sets a cache of its own for its child processes.
os.environ.setdefault("NGCM_LAB_COMPILATION_CACHE", "0")
