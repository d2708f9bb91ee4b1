"""ngcm_lab: a small, differentiable JAX spectral atmospheric model for Jupyter teaching.

Start with `ngcm_lab.models.ShallowWaterModel.from_case("galewsky", "T42")`; see
docs/architecture.md for the layers and the README for the command line.
"""

from importlib import metadata as _metadata

from ngcm_lab import compilation as _compilation

_compilation.configure()  # the persistent compilation cache, on unless the user set one

try:
    __version__ = _metadata.version("ngcm-lab")
except _metadata.PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
