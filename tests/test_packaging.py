"""Installable by name: the wheel carries every data sample, and every notebook installs the
package by name on Colab with no edit."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import zipfile

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_the_wheel_carries_every_data_sample(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(tmp_path.glob("ngcm_lab-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    samples = [
        path.relative_to(REPO).as_posix()
        for path in (REPO / "data_samples").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert len(samples) > 100
    missing = [name for name in samples if f"ngcm_lab/{name}" not in names]
    assert not missing, missing[:10]


def test_every_notebook_installs_the_package_by_name_on_colab():
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        text = path.read_text()
        assert "OWNER" not in text, path.name
        cells = json.loads(text)["cells"]
        first = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert 'NGCM_LAB_SOURCE = "ngcm-lab"' in first, path.name
        assert '%pip install --quiet "{NGCM_LAB_SOURCE}"' in first, path.name
        assert 'if "google.colab" in sys.modules:' in first, path.name
