"""Installable by name: the package builds (sdist and wheel) and passes `twine check`, the wheel
carries every data sample and finds them when installed, and every notebook installs the package
by name on Colab with no edit."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tarfile
import zipfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
# What loading a shipped checkpoint reads (checkpoints.py, training_data.py).
CHECKPOINT_FILES = ("checkpoint.msgpack", "config.json", "normalisation.json", "output_scales.json")


# Built once for the module, offline: `--no-isolation` uses this environment's setuptools (the
# "test" extra asks for one that builds wheels by itself) instead of downloading a build
# environment. build makes the sdist and then the wheel *from the sdist*, so a sample missing from
# the sdist is missing from the wheel too. About 10 s, most of it compressing the 25 MB of samples.
# Like any setuptools build it leaves ngcm_lab.egg-info/ in the checkout (git ignores it).
@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return out


def wheel_names(dist: pathlib.Path) -> set[str]:
    return set(zipfile.ZipFile(next(dist.glob("ngcm_lab-*.whl"))).namelist())


def samples() -> list[str]:
    """Every file under data_samples/, as a path relative to the repository."""
    return [
        path.relative_to(REPO).as_posix()
        for path in (REPO / "data_samples").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]


def test_twine_accepts_the_wheel_and_the_sdist(dist):
    files = sorted(str(path) for path in dist.iterdir())
    assert len(files) == 2, files
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def test_the_wheel_and_the_sdist_carry_every_data_sample(dist):
    names = wheel_names(dist)
    expected = samples()
    assert len(expected) > 100
    missing = [name for name in expected if f"ngcm_lab/{name}" not in names]
    assert not missing, missing[:10]
    with tarfile.open(next(dist.glob("ngcm_lab-*.tar.gz"))) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    missing = [name for name in expected if f"ngcm_lab/{name}" not in in_sdist]
    assert not missing, missing[:10]


def test_the_wheel_carries_what_the_notebooks_load(dist):
    """Named, so that a change to package-data that drops them fails here by name: the training
    truth and spin-up (notebooks 6-8) and the four shipped checkpoints (notebooks 6-9)."""
    from ngcm_lab import experiments

    names = wheel_names(dist)
    wanted = [experiments.DEFAULT_TRUTH, experiments.LEARN_DRAG_SPINUP]
    for checkpoint in (
        experiments.LEARN_SURFACE_FLUXES_CHECKPOINT,
        experiments.STOCHASTIC_CHECKPOINT,
        experiments.LEARN_DRAG_CHECKPOINT,
        experiments.LEARN_DRAG_OFFLINE_CHECKPOINT,
    ):
        wanted += [f"{checkpoint}/{part}" for part in CHECKPOINT_FILES]
    missing = [name for name in wanted if f"ngcm_lab/data_samples/{name}" not in names]
    assert not missing, missing


def test_an_unpacked_wheel_finds_its_samples(dist, tmp_path):
    """paths.data_samples_dir in an installed wheel (no checkout, no NGCM_LAB_DATA_SAMPLES)."""
    site = tmp_path / "site"
    zipfile.ZipFile(next(dist.glob("ngcm_lab-*.whl"))).extractall(site)
    env = {k: v for k, v in os.environ.items() if k != "NGCM_LAB_DATA_SAMPLES"}
    env["PYTHONPATH"] = str(site)
    done = subprocess.run(
        [sys.executable, "-c", "import ngcm_lab.paths as p; print(p.data_samples_dir())"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = pathlib.Path(done.stdout.strip().splitlines()[-1])
    assert found == site / "ngcm_lab" / "data_samples"
    assert (found / "hybrid_training" / "truth_T42_to_T21L8.nc").is_file()


def test_every_notebook_installs_the_package_by_name_on_colab():
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        text = path.read_text()
        assert "OWNER" not in text, path.name
        cells = json.loads(text)["cells"]
        first = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert 'NGCM_LAB_SOURCE = "ngcm-lab"' in first, path.name
        assert '%pip install --quiet "{NGCM_LAB_SOURCE}"' in first, path.name
        assert 'if "google.colab" in sys.modules:' in first, path.name
