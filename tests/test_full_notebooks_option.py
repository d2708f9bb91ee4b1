"""`pytest --full-notebooks` reaches the notebook kernels: they see NGCM_LAB_FAST=0 (full mode),
although this file's conftest defaults it to 1 and the shell may have set it."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_full_notebooks_sets_full_mode_in_the_kernel(tmp_path):
    source = (
        'import os\nassert os.environ.get("NGCM_LAB_FAST") == "0", os.environ.get("NGCM_LAB_FAST")'
    )
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": source.splitlines(keepends=True),
            }
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "mode.ipynb"
    path.write_text(json.dumps(notebook))
    env = {**os.environ, "NGCM_LAB_FAST": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    # The notebook lies outside the repository, so the repository's conftest.py is loaded as a
    # plugin by name.
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "conftest",
        "--nbval-lax",
        "--nbval-current-env",
        "--full-notebooks",
        str(path),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout
