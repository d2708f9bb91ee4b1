"""Shared test setup for tests/ and notebooks/: a non-interactive backend and the fast mode.

Set at import time, before matplotlib is imported, and inherited by the notebook kernels that
nbval starts (notebooks read ``NGCM_LAB_FAST`` to shorten their runs). ``--full-notebooks`` runs
the notebooks in full mode instead: ``python -m pytest --full-notebooks notebooks/``.
"""

import os
import shutil
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
# Every program, even the tiny ones that op-by-op array code compiles (in a cold run about 6,400
# programs under 0.5 s, 365 of the 1,797 s spent compiling): notebooks 06 and 07 and their keys,
# one after the other from an empty cache, took 397 s with this at 0 against 419 s at 0.5.
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
# Notebooks keep their live training runs in the system's temporary directory, where a student
# can resume them. Under the tests they would pile up (about 80 MB after a few dozen runs), so
# the kernels and other child processes get one scratch folder as their TMPDIR, removed when the
# run ends. This process (and each pytest-xdist worker) keeps the real one for its own files.
tempfile.tempdir = os.environ.setdefault("NGCM_LAB_TESTS_TMPDIR", tempfile.gettempdir())
_OWN_SCRATCH = "NGCM_LAB_TESTS_SCRATCH" not in os.environ  # False in an xdist worker
if _OWN_SCRATCH:
    os.environ["NGCM_LAB_TESTS_SCRATCH"] = tempfile.mkdtemp(prefix="ngcm_lab_tests_scratch_")
os.environ["TMPDIR"] = os.environ["NGCM_LAB_TESTS_SCRATCH"]


def pytest_addoption(parser):
    parser.addoption(
        "--full-notebooks",
        action="store_true",
        help="run the notebooks in full mode (NGCM_LAB_FAST=0 for their kernels), not FAST mode",
    )


def pytest_unconfigure(config):
    if _OWN_SCRATCH:
        shutil.rmtree(os.environ["NGCM_LAB_TESTS_SCRATCH"], ignore_errors=True)


def pytest_configure(config):
    # After this file's import-time default and before nbval starts any kernel, so the kernels
    # inherit it; it overrides an NGCM_LAB_FAST set in the shell too.
    if config.getoption("--full-notebooks"):
        os.environ["NGCM_LAB_FAST"] = "0"


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test opened, so pyplot does not accumulate them across tests."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def tiny_training():
    """A tiny online-training problem shared by the tests that train: a T21 L3 dry Held–Suarez
    truth of 3 days, a hybrid of that model with a width-8 network, and a four-update
    configuration (hybrid, truth, dataset, config). Dry, because compiling the gradient of a
    rollout is most of these tests' time and the moist physics doubles it; test_stochastic
    trains the moist path."""
    from ngcm_lab.column_network import ColumnNetworkConfig
    from ngcm_lab.hybrid_model import HybridModel
    from ngcm_lab.primitive_model import PrimitiveEquationsModel
    from ngcm_lab.training_config import TrainingConfig
    from ngcm_lab.training_data import load_truth
    from ngcm_lab.xarray_io import trajectory_to_dataset

    config = TrainingConfig(
        curriculum=((6.0, 2), (6.0, 2)),
        batch_size=2,
        checkpoint_every=1,
        network=ColumnNetworkConfig(width=8, blocks=1),
        learning_rate=1e-3,
        warmup_updates=1,
    )
    model = PrimitiveEquationsModel.from_case("held_suarez", "T21", layers=3, dt=1800.0)
    dataset = trajectory_to_dataset(
        model, model.run(3.0, output_interval_hours=6.0, progress=False)
    )
    truth = load_truth(model, dataset)
    hybrid = HybridModel.create(model, config.network, physics_interval_s=3600.0)
    return hybrid, truth, dataset, config


@pytest.fixture(scope="session")
def tiny_drag_truth_file(tmp_path_factory):
    """A tiny learn-drag truth on disk: 3.5 days of dry Held–Suarez T21 L3 with its drag,
    6-hourly, training starts on days 0–1.5 and evaluation starts on days 2–2.5."""
    from ngcm_lab.primitive_model import PrimitiveEquationsModel
    from ngcm_lab.xarray_io import trajectory_to_dataset

    model = PrimitiveEquationsModel.from_case("held_suarez", "T21", layers=3, dt=1800.0)
    run = model.run(3.5, output_interval_hours=6.0, progress=False)
    path = tmp_path_factory.mktemp("truth") / "drag_truth.nc"
    ds = trajectory_to_dataset(model, run)
    ds.attrs.update(split_train_initial_days="0-1.5", split_eval_initial_days="2-2.5")
    ds.to_netcdf(path)
    return path


# A tiny stochastic (CRPS-trained) configuration of the learn-surface-fluxes rung. The resume test
# and the CLI test in test_stochastic train exactly this hybrid on exactly `tiny_moist_truth_file`,
# one after the other in one process (pytest-xdist's --dist loadfile keeps a file together), so
# the second takes its update program from the persistent cache instead of compiling it again.
@pytest.fixture(scope="session")
def tiny_stochastic_config() -> dict:
    """TrainingConfig fields (JSON-ready) of a two-update stochastic CRPS run."""
    return {
        "curriculum": [[6.0, 2]],
        "batch_size": 1,
        "network": {"width": 8, "blocks": 1},
        "random_fields": {"fields": 2},
        "loss": "crps",
        "loss_weights": [["u", 1.0], ["temperature", 1.0], ["precipitation_rate", 0.5]],
        "warmup_updates": 1,
        "initialisation": "none",
    }


@pytest.fixture(scope="session")
def tiny_moist_truth_file(tmp_path_factory):
    """3 days of moist Held–Suarez T21 L3 every 6 h, written as a truth file."""
    from ngcm_lab.primitive_model import PrimitiveEquationsModel
    from ngcm_lab.xarray_io import trajectory_to_dataset

    model = PrimitiveEquationsModel.from_case("moist_held_suarez", "T21", layers=3, dt=1800.0)
    run = model.run(3.0, output_interval_hours=6.0, progress=False)
    path = tmp_path_factory.mktemp("truth") / "moist_truth.nc"
    trajectory_to_dataset(model, run).to_netcdf(path)
    return path
