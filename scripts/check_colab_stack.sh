#!/usr/bin/env bash
# Colab's Jupyter stack: ipywidgets 7 and the classic Notebook 6 (not the ipywidgets 8 and
# JupyterLab 4 of constraints.txt). Installs the package as Colab does -- a regular, non-editable
# install of the wheel, data samples included -- into a throwaway virtual environment with
# ipywidgets>=7.7,<8 and notebook<7, and runs one widget notebook under nbval in FAST mode there,
# and the widgets' tests.
#
#     scripts/check_colab_stack.sh [NOTEBOOK]     (default notebooks/02_shallow_water.ipynb)
#
# Downloads packages from the index. Everything but the Jupyter/widget packages keeps the tested
# versions of constraints.txt.
set -euo pipefail
unset PYTHONPATH  # the kernel must not see the checkout
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"
notebook="${1:-notebooks/02_shallow_water.ipynb}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The tested lock without the packages Colab's stack replaces (they conflict with ipywidgets 7
# and Notebook 6).
grep -viE '^(ipywidgets|widgetsnbextension|jupyterlab[-_]widgets|notebook|notebook[-_]shim|nbclassic)==' \
  constraints.txt > "$tmp/constraints.txt"

python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet -c "$tmp/constraints.txt" \
  "$repo" "ipywidgets>=7.7,<8" "notebook<7" pytest nbval pytest-xdist

# The kernel must import the installed package and ipywidgets 7, not the checkout.
(cd "$tmp" && "$tmp/venv/bin/python" - <<'EOF'
import importlib.metadata as m
import ngcm_lab.paths
import ipywidgets
assert ipywidgets.__version__.startswith("7."), ipywidgets.__version__
assert "site-packages" in ngcm_lab.__file__, ngcm_lab.__file__
print("ngcm_lab", ngcm_lab.__file__, "| samples", ngcm_lab.paths.data_samples_dir())
print("ipywidgets", ipywidgets.__version__, "| notebook", m.version("notebook"))
EOF
)

# The notebook, and the widgets' own tests (every widget, clicked from Python) on ipywidgets 7.
# --nbval-current-env: the kernel runs in this venv's Python; --import-mode=importlib keeps the
# checkout off sys.path, so the tests too import the installed package. The checkout's
# conftest.py and pyproject.toml set FAST mode, the Agg backend and nbval's lax mode; -n 0: one
# process for these few tests (pyproject's addopts asks for pytest-xdist's workers).
cd "$tmp"
NGCM_LAB_FAST=1 "$tmp/venv/bin/python" -m pytest -q --rootdir "$repo" -c "$repo/pyproject.toml" \
  -n 0 --import-mode=importlib --nbval-current-env "$repo/$notebook" "$repo"/tests/test_widget*.py
