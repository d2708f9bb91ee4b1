"""Speed benchmarks of ngcm_lab, side by side with Dinosaur 1.5.1 where it has the same model.

``python -m benchmarks`` runs every section and writes one JSON and ``RESULTS.md``; see
``benchmarks/README.md``. The sections are the modules `shallow_water`, `held_suarez`,
`hybrid_step` and `hybrid_gradients` (each has a ``run`` function); `_timing` holds the one way
they time, compare and describe the machine. ``python -m benchmarks.accelerator`` (`accelerator`)
is the prepared run for a GPU or TPU: speeds at larger sizes and a float32 precision check.
"""
